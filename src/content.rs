//! The neutral hand-off between extraction and detection: decoded text chunks and where their
//! bytes came from.

use crate::detect::Columns;

/// How to name the place of a match inside a chunk.
#[derive(Debug, Clone, Copy)]
pub enum Placement<'a> {
    /// Plain text: the line number says it all. `first_offset` is the decoded offset of the
    /// chunk's first byte, which orders findings on one long line across chunks.
    Lines { first_line: u64, first_offset: u64 },
    /// Strings pulled out of a binary: each run's position in the chunk and in the file.
    Offsets(&'a [RunOrigin]),
    /// Structured content (cells, pages, table rows, JSON values, attachments): each segment
    /// names its place, sorted by `text_start`.
    Segments(&'a [Segment]),
}

/// A stretch of a chunk that comes from one named place.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Segment {
    pub text_start: usize,
    /// Format-specific place: `Sheet1!C5`, `page 3`, `table customers row 17 column ssn`.
    pub location: String,
    /// 1-based line of `text_start` within that place, where lines mean something.
    pub first_line: Option<u64>,
}

impl Segment {
    /// The segment holding chunk position `pos`.
    pub fn at(segments: &[Segment], pos: usize) -> Option<&Segment> {
        let index = segments
            .partition_point(|s| s.text_start <= pos)
            .checked_sub(1)?;
        segments.get(index)
    }
}

/// Where one run of a strings pass came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RunOrigin {
    pub text_start: usize,
    pub file_offset: u64,
    /// Bytes per character in the file (1 for ASCII, 2 for UTF-16).
    pub stride: u8,
}

/// Decoded text ready for the detectors.
#[derive(Debug, Clone, Copy)]
pub struct TextChunk<'a> {
    pub text: &'a [u8],
    pub placement: Placement<'a>,
    /// Matches starting at or after this offset belong to the next, overlapping chunk.
    pub report_limit: usize,
    pub columns: Option<&'a Columns>,
}

impl RunOrigin {
    /// The file offset of chunk position `pos`, given the runs sorted by `text_start`.
    pub fn file_offset_of(runs: &[RunOrigin], pos: usize) -> Option<u64> {
        let index = runs
            .partition_point(|r| r.text_start <= pos)
            .checked_sub(1)?;
        let run = runs[index];
        Some(run.file_offset + (pos - run.text_start) as u64 * u64::from(run.stride))
    }
}
