//! Builds bounded text chunks of structured content (cells, pages, rows, values), each stretch
//! of text tagged with the place it came from.

use super::Node;
use crate::content::{Placement, Segment, TextChunk};
use crate::detect::Columns;

/// Collects values with their places and hands them to the detectors in bounded chunks.
pub struct SegmentChunker {
    text: Vec<u8>,
    segments: Vec<Segment>,
    columns: Option<Columns>,
    /// A chunk is handed on once it holds this much text, at the next value boundary.
    chunk_bytes: usize,
    /// A single value longer than a chunk is cut with this much text repeated in the next.
    overlap: usize,
}

impl SegmentChunker {
    pub fn new(node: &Node<'_>) -> Self {
        let chunk_bytes = node.limits.chunk_bytes.max(4096);
        SegmentChunker {
            text: Vec::with_capacity(chunk_bytes.min(1 << 20) + 1024),
            segments: Vec::new(),
            columns: None,
            chunk_bytes,
            overlap: node.limits.chunk_overlap.min(chunk_bytes / 4),
        }
    }

    /// Column headers for the rows that follow (tab-delimited lines); hands on what came before.
    pub fn set_columns(&mut self, node: &mut Node<'_>, columns: Option<Columns>) {
        self.flush(node);
        self.columns = columns;
    }

    /// Starts a new place at the current end of the text.
    pub fn place(&mut self, location: impl Into<String>, first_line: Option<u64>) {
        let location = location.into();
        if let Some(last) = self.segments.last_mut()
            && last.text_start == self.text.len()
        {
            // An empty place is replaced, so segments stay strictly sorted.
            last.location = location;
            last.first_line = first_line;
            return;
        }
        self.segments.push(Segment {
            text_start: self.text.len(),
            location,
            first_line,
        });
    }

    pub fn position(&self) -> usize {
        self.text.len()
    }

    /// The text collected from `start` on (a header row just written).
    pub fn since(&self, start: usize) -> &[u8] {
        self.text.get(start..).unwrap_or_default()
    }

    /// Appends text of the current place; a place that outgrows a chunk is cut with overlap.
    pub fn push(&mut self, node: &mut Node<'_>, bytes: &[u8]) {
        let mut rest = bytes;
        while !rest.is_empty() {
            let room = (2 * self.chunk_bytes)
                .saturating_sub(self.text.len())
                .max(1);
            let take = rest.len().min(room);
            self.text.extend_from_slice(&rest[..take]);
            rest = &rest[take..];
            if self.text.len() >= 2 * self.chunk_bytes {
                self.cut(node);
            }
        }
    }

    pub fn push_str(&mut self, node: &mut Node<'_>, text: &str) {
        self.push(node, text.as_bytes());
    }

    /// Appends one byte (separators).
    pub fn push_byte(&mut self, node: &mut Node<'_>, byte: u8) {
        self.push(node, &[byte]);
    }

    /// Ends a value or a line: a newline, and the chunk is handed on when it is full.
    pub fn end_line(&mut self, node: &mut Node<'_>) {
        self.text.push(b'\n');
        if self.text.len() >= self.chunk_bytes {
            self.flush(node);
        }
    }

    /// Ends a value inside a record (a JSON object's member): a newline, and the chunk waits
    /// for the record's end, so the parts of one record (a given and a family name) are read
    /// together; only a record that alone outgrows half a chunk more is handed on midway.
    pub fn end_value(&mut self, node: &mut Node<'_>) {
        self.text.push(b'\n');
        if self.text.len() >= self.chunk_bytes + self.chunk_bytes / 2 {
            self.flush(node);
        }
    }

    /// Ends a record whose values ended with `end_value`: handed on when the chunk is full.
    pub fn end_record(&mut self, node: &mut Node<'_>) {
        if self.text.len() >= self.chunk_bytes {
            self.flush(node);
        }
    }

    /// Hands on what has been collected.
    pub fn flush(&mut self, node: &mut Node<'_>) {
        if !self.text.is_empty() {
            node.text(TextChunk {
                text: &self.text,
                placement: Placement::Segments(&self.segments),
                report_limit: self.text.len(),
                columns: self.columns.as_ref(),
            });
        }
        self.text.clear();
        self.segments.clear();
    }

    /// Hands on a chunk in the middle of a long value, keeping its tail for the next chunk so a
    /// match across the cut is still found there.
    fn cut(&mut self, node: &mut Node<'_>) {
        let keep_from = self.text.len() - self.overlap;
        node.text(TextChunk {
            text: &self.text,
            placement: Placement::Segments(&self.segments),
            report_limit: keep_from,
            columns: self.columns.as_ref(),
        });
        let current = Segment::at(&self.segments, keep_from).cloned();
        let first_line = current.as_ref().and_then(|s| {
            s.first_line.map(|line| {
                line + memchr::memchr_iter(b'\n', &self.text[s.text_start..keep_from]).count()
                    as u64
            })
        });
        self.text.drain(..keep_from);
        self.segments.clear();
        if let Some(segment) = current {
            self.segments.push(Segment {
                text_start: 0,
                location: segment.location,
                first_line,
            });
        }
    }
}

/// Replaces the bytes that separate values and cells (tab, CR, LF) inside one value by spaces.
pub fn flatten(value: &str) -> std::borrow::Cow<'_, str> {
    if value.bytes().any(|b| matches!(b, b'\t' | b'\n' | b'\r')) {
        std::borrow::Cow::Owned(value.replace(['\t', '\n', '\r'], " "))
    } else {
        std::borrow::Cow::Borrowed(value)
    }
}
