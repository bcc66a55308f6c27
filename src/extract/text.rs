//! Text decoding in bounded chunks: UTF-8, UTF-16LE/BE (BOM or detected), Windows-1252, and a
//! strings pass (ASCII and UTF-16LE runs) over binary data.

use std::io::{self, Read};

use encoding_rs::{Decoder, UTF_16BE, UTF_16LE, WINDOWS_1252};

use super::HashingReader;
use crate::config::Limits;
use crate::content::{Placement, RunOrigin, TextChunk};
use crate::detect::Columns;
use crate::reuse::{PENDING_LINES, READ_BLOCK, Reused};

/// What a byte stream was read as.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    Empty,
    Utf8,
    Utf16Le,
    Utf16Be,
    Windows1252,
    Binary,
}

impl Encoding {
    pub fn format_name(self) -> &'static str {
        match self {
            Encoding::Empty => "empty",
            Encoding::Utf8 => "text/utf-8",
            Encoding::Utf16Le => "text/utf-16le",
            Encoding::Utf16Be => "text/utf-16be",
            Encoding::Windows1252 => "text/windows-1252",
            Encoding::Binary => "binary",
        }
    }

    pub fn reason(self) -> &'static str {
        match self {
            Encoding::Binary => {
                "binary data: strings pass (ASCII and UTF-16LE runs of 6+ characters)"
            }
            Encoding::Windows1252 => "not valid UTF-8: decoded as Windows-1252",
            _ => "",
        }
    }
}

/// Decides the encoding from the first block of a stream (BOM, NUL pattern, UTF-8 validity).
pub fn sniff_encoding(head: &[u8], complete: bool) -> Encoding {
    if head.is_empty() {
        return Encoding::Empty;
    }
    if head.starts_with(b"\xef\xbb\xbf") {
        return Encoding::Utf8;
    }
    if head.starts_with(b"\xff\xfe") {
        return Encoding::Utf16Le;
    }
    if head.starts_with(b"\xfe\xff") {
        return Encoding::Utf16Be;
    }
    let sample = &head[..head.len().min(4096)];
    let pairs = sample.len() / 2;
    if pairs >= 4 {
        let zero_odd = sample
            .iter()
            .skip(1)
            .step_by(2)
            .filter(|&&b| b == 0)
            .count();
        let zero_even = sample.iter().step_by(2).filter(|&&b| b == 0).count();
        // Mostly-ASCII UTF-16 has a NUL in nearly every high byte and almost none in the low bytes.
        if zero_odd * 10 >= pairs * 7 && zero_even * 20 <= pairs {
            return Encoding::Utf16Le;
        }
        if zero_even * 10 >= pairs * 7 && zero_odd * 20 <= pairs {
            return Encoding::Utf16Be;
        }
    }
    let controls = sample
        .iter()
        .filter(|&&b| b == 0 || (b < 0x20 && !matches!(b, b'\t' | b'\n' | b'\r' | 0x0c | 0x1b)))
        .count();
    if sample.contains(&0) || controls * 20 > sample.len() {
        return Encoding::Binary;
    }
    match std::str::from_utf8(head) {
        Ok(_) => Encoding::Utf8,
        // A multi-byte character cut by the end of the block is still UTF-8.
        Err(e) if e.error_len().is_none() && !complete => Encoding::Utf8,
        Err(_) => Encoding::Windows1252,
    }
}

/// Cuts decoded text into chunks at line ends; a line longer than a chunk is cut with an overlap
/// so that a match spanning the cut is found in the next chunk.
struct LineChunker {
    pending: Reused,
    /// Line number of `pending[0]`.
    line: u64,
    /// Decoded offset of `pending[0]`.
    offset: u64,
    chunk_bytes: usize,
    overlap: usize,
    columns: Option<Columns>,
    first_line_seen: bool,
    detect_columns: bool,
}

impl LineChunker {
    fn new(limits: &Limits, detect_columns: bool) -> Self {
        let chunk_bytes = limits.chunk_bytes.max(4 * limits.chunk_overlap).max(4096);
        let mut pending = Reused::take(&PENDING_LINES);
        pending.clear();
        pending.reserve(chunk_bytes + 64 * 1024);
        LineChunker {
            pending,
            line: 1,
            offset: 0,
            chunk_bytes,
            overlap: limits.chunk_overlap,
            columns: None,
            first_line_seen: false,
            detect_columns,
        }
    }

    fn push(&mut self, data: &[u8], sink: &mut dyn FnMut(TextChunk<'_>)) {
        self.pending.extend_from_slice(data);
        if !self.first_line_seen
            && let Some(end) = memchr::memchr(b'\n', &self.pending)
        {
            self.first_line_seen = true;
            if self.detect_columns {
                self.columns = Columns::from_header_line(&self.pending[..end]);
            }
        }
        while self.pending.len() >= self.chunk_bytes {
            self.cut(sink);
        }
    }

    fn cut(&mut self, sink: &mut dyn FnMut(TextChunk<'_>)) {
        let window = &self.pending[..self.chunk_bytes];
        match memchr::memrchr(b'\n', window) {
            Some(newline) => {
                let end = newline + 1;
                self.emit(end, end, sink);
                self.line += memchr::memchr_iter(b'\n', &self.pending[..end]).count() as u64;
                self.offset += end as u64;
                self.pending.drain(..end);
            }
            None => {
                let keep_from = self.chunk_bytes - self.overlap;
                self.emit(self.chunk_bytes, keep_from, sink);
                self.offset += keep_from as u64;
                self.pending.drain(..keep_from);
            }
        }
    }

    fn emit(&self, end: usize, report_limit: usize, sink: &mut dyn FnMut(TextChunk<'_>)) {
        sink(TextChunk {
            text: &self.pending[..end],
            placement: Placement::Lines {
                first_line: self.line,
                first_offset: self.offset,
            },
            report_limit,
            columns: self.columns.as_ref(),
        });
    }

    fn finish(&mut self, sink: &mut dyn FnMut(TextChunk<'_>)) {
        if !self.first_line_seen && self.detect_columns {
            self.columns = None;
        }
        if !self.pending.is_empty() {
            let len = self.pending.len();
            self.emit(len, len, sink);
            self.pending.clear();
        }
    }
}

type StreamError = (Option<Encoding>, io::Error);

/// Reads the whole stream and hands decoded chunks to `sink`; returns how it was read.
pub fn stream_text<R: Read>(
    reader: &mut HashingReader<R>,
    limits: &Limits,
    sink: &mut dyn FnMut(TextChunk<'_>),
) -> Result<Encoding, StreamError> {
    let block_size = limits.chunk_bytes.clamp(64 * 1024, 4 << 20);
    let mut block = Reused::take(&READ_BLOCK);
    // Only the bytes `fill` reports are read: what the last file left needs no zeroing.
    block.resize(block_size, 0);
    let first = reader.fill(&mut block).map_err(|e| (None, e))?;
    let encoding = sniff_encoding(&block[..first], first < block_size);
    let fail = |e| (Some(encoding), e);
    match encoding {
        Encoding::Empty => {}
        Encoding::Binary => {
            let mut strings = StringsPass::new(limits);
            let mut len = first;
            while len > 0 {
                strings.push(&block[..len], sink);
                len = match reader.fill(&mut block) {
                    Ok(len) => len,
                    Err(e) => {
                        // What was read before the failure is still scanned.
                        strings.finish(sink);
                        return Err(fail(e));
                    }
                };
            }
            strings.finish(sink);
        }
        Encoding::Utf8 => {
            let mut chunker = LineChunker::new(limits, true);
            let start = if block.starts_with(b"\xef\xbb\xbf") {
                3
            } else {
                0
            };
            chunker.push(&block[start..first], sink);
            loop {
                let len = match reader.fill(&mut block) {
                    Ok(len) => len,
                    Err(e) => {
                        chunker.finish(sink);
                        return Err(fail(e));
                    }
                };
                if len == 0 {
                    break;
                }
                chunker.push(&block[..len], sink);
            }
            chunker.finish(sink);
        }
        Encoding::Utf16Le | Encoding::Utf16Be | Encoding::Windows1252 => {
            let decoder = match encoding {
                Encoding::Utf16Le => UTF_16LE.new_decoder(),
                Encoding::Utf16Be => UTF_16BE.new_decoder(),
                _ => WINDOWS_1252.new_decoder_without_bom_handling(),
            };
            let mut chunker = LineChunker::new(limits, true);
            let mut decoding = Decoding {
                decoder,
                out: vec![0u8; block_size * 3 + 16],
            };
            decoding.feed(&block[..first], false, &mut chunker, sink);
            loop {
                let len = match reader.fill(&mut block) {
                    Ok(len) => len,
                    Err(e) => {
                        decoding.feed(&[], true, &mut chunker, sink);
                        chunker.finish(sink);
                        return Err(fail(e));
                    }
                };
                decoding.feed(&block[..len], len == 0, &mut chunker, sink);
                if len == 0 {
                    break;
                }
            }
            chunker.finish(sink);
        }
    }
    Ok(encoding)
}

struct Decoding {
    decoder: Decoder,
    out: Vec<u8>,
}

impl Decoding {
    fn feed(
        &mut self,
        mut input: &[u8],
        last: bool,
        chunker: &mut LineChunker,
        sink: &mut dyn FnMut(TextChunk<'_>),
    ) {
        loop {
            let (result, read, written, _) =
                self.decoder.decode_to_utf8(input, &mut self.out, last);
            chunker.push(&self.out[..written], sink);
            input = &input[read..];
            if matches!(result, encoding_rs::CoderResult::InputEmpty) {
                break;
            }
        }
    }
}

/// Pulls printable ASCII and UTF-16LE runs out of binary data, one run per line, remembering
/// where each run stood in the file.
struct StringsPass {
    min_run: usize,
    max_run: usize,
    chunk_bytes: usize,
    offset: u64,
    ascii: Vec<u8>,
    ascii_start: u64,
    /// UTF-16LE runs for the two byte alignments: characters, start offset, pending low byte.
    wide: [WideRun; 2],
    out: Vec<u8>,
    origins: Vec<RunOrigin>,
}

#[derive(Default)]
struct WideRun {
    chars: Vec<u8>,
    start: u64,
    low: Option<u8>,
}

fn printable(b: u8) -> bool {
    (0x20..0x7f).contains(&b) || b == b'\t'
}

impl StringsPass {
    fn new(limits: &Limits) -> Self {
        StringsPass {
            min_run: 6,
            max_run: 64 * 1024,
            chunk_bytes: limits.chunk_bytes.max(4096),
            offset: 0,
            ascii: Vec::new(),
            ascii_start: 0,
            wide: [WideRun::default(), WideRun::default()],
            out: Vec::new(),
            origins: Vec::new(),
        }
    }

    fn push(&mut self, data: &[u8], sink: &mut dyn FnMut(TextChunk<'_>)) {
        for &b in data {
            let pos = self.offset;
            self.offset += 1;
            if printable(b) {
                if self.ascii.is_empty() {
                    self.ascii_start = pos;
                }
                self.ascii.push(b);
                if self.ascii.len() >= self.max_run {
                    self.flush_ascii();
                }
            } else {
                self.flush_ascii();
            }
            let lane = (pos % 2) as usize;
            let other = 1 - lane;
            // This byte is a low byte for its own lane and a high byte for the other.
            if let Some(low) = self.wide[other].low.take() {
                if b == 0 {
                    if self.wide[other].chars.is_empty() {
                        self.wide[other].start = pos - 1;
                    }
                    self.wide[other].chars.push(low);
                    if self.wide[other].chars.len() >= self.max_run {
                        self.flush_wide(other);
                    }
                } else {
                    self.flush_wide(other);
                }
            }
            if printable(b) {
                self.wide[lane].low = Some(b);
            } else {
                self.flush_wide(lane);
            }
            if self.out.len() >= self.chunk_bytes {
                self.emit(sink);
            }
        }
    }

    fn flush_ascii(&mut self) {
        if self.ascii.len() >= self.min_run {
            self.origins.push(RunOrigin {
                text_start: self.out.len(),
                file_offset: self.ascii_start,
                stride: 1,
            });
            self.out.extend_from_slice(&self.ascii);
            self.out.push(b'\n');
        }
        self.ascii.clear();
    }

    fn flush_wide(&mut self, lane: usize) {
        let run = &mut self.wide[lane];
        if run.chars.len() >= self.min_run {
            self.origins.push(RunOrigin {
                text_start: self.out.len(),
                file_offset: run.start,
                stride: 2,
            });
            self.out.extend_from_slice(&run.chars);
            self.out.push(b'\n');
        }
        run.chars.clear();
        run.low = None;
    }

    fn emit(&mut self, sink: &mut dyn FnMut(TextChunk<'_>)) {
        if !self.out.is_empty() {
            sink(TextChunk {
                text: &self.out,
                placement: Placement::Offsets(&self.origins),
                report_limit: self.out.len(),
                columns: None,
            });
        }
        self.out.clear();
        self.origins.clear();
    }

    fn finish(&mut self, sink: &mut dyn FnMut(TextChunk<'_>)) {
        self.flush_ascii();
        self.flush_wide(0);
        self.flush_wide(1);
        self.emit(sink);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Each chunk as (text, report limit, first line).
    type Seen = Vec<(Vec<u8>, usize, Option<u64>)>;

    fn chunks_of(data: &[u8], limits: &Limits) -> (Encoding, Seen) {
        let mut reader = HashingReader::new(data);
        let mut seen = Vec::new();
        let encoding = stream_text(&mut reader, limits, &mut |chunk| {
            let line = match chunk.placement {
                Placement::Lines { first_line, .. } => Some(first_line),
                Placement::Offsets(_) | Placement::Segments(_) => None,
            };
            seen.push((chunk.text.to_vec(), chunk.report_limit, line));
        })
        .map_err(|(_, e)| e.to_string())
        .unwrap_or(Encoding::Empty);
        (encoding, seen)
    }

    #[test]
    fn sniffs_encodings() {
        assert_eq!(sniff_encoding(b"", true), Encoding::Empty);
        assert_eq!(sniff_encoding(b"plain text\n", true), Encoding::Utf8);
        assert_eq!(sniff_encoding(b"caf\xc3\xa9\n", true), Encoding::Utf8);
        assert_eq!(
            sniff_encoding(b"caf\xe9 cr\xe8me\n", true),
            Encoding::Windows1252
        );
        assert_eq!(sniff_encoding(b"\xff\xfeh\0i\0", true), Encoding::Utf16Le);
        assert_eq!(
            sniff_encoding(b"h\0e\0l\0l\0o\0 \0w\0o\0r\0l\0d\0", true),
            Encoding::Utf16Le
        );
        assert_eq!(
            sniff_encoding(b"\0h\0e\0l\0l\0o\0 \0w\0o\0r\0l\0d", true),
            Encoding::Utf16Be
        );
        assert_eq!(
            sniff_encoding(b"\x7fELF\x02\x01\x01\0\0\0\0\0\0\0\0\0", true),
            Encoding::Binary
        );
    }

    #[test]
    fn utf16_decodes_with_right_line_numbers() {
        let text = "a\nb\nssn 536-22-5487\n";
        let mut data = vec![0xff, 0xfe];
        for unit in text.encode_utf16() {
            data.extend_from_slice(&unit.to_le_bytes());
        }
        let (encoding, chunks) = chunks_of(&data, &Limits::default());
        assert_eq!(encoding, Encoding::Utf16Le);
        let joined: Vec<u8> = chunks.iter().flat_map(|c| c.0.clone()).collect();
        assert_eq!(joined, text.as_bytes());
    }

    #[test]
    fn long_lines_overlap_and_line_numbers_advance() {
        let limits = Limits {
            chunk_bytes: 16 * 1024,
            chunk_overlap: 1024,
            ..Limits::default()
        };
        let mut data = b"first\nsecond\n".to_vec();
        data.extend(std::iter::repeat_n(b'x', 40 * 1024));
        data.extend_from_slice(b"\nlast\n");
        let (_, chunks) = chunks_of(&data, &limits);
        assert!(chunks.len() >= 3);
        // Every byte is reported exactly once across the report limits.
        let reported: usize = chunks.iter().map(|c| c.1).sum();
        assert_eq!(reported, data.len());
        assert_eq!(chunks.last().map(|c| c.2), Some(Some(3)));
    }

    #[test]
    fn strings_pass_finds_ascii_and_utf16_runs_with_offsets() {
        let mut data = vec![0u8, 1, 2, 3];
        data.extend_from_slice(b"ssn=536-22-5487");
        data.extend_from_slice(&[0, 0, 7]);
        let wide_at = data.len() as u64;
        for b in b"mail jane@example.com" {
            data.extend_from_slice(&[*b, 0]);
        }
        data.extend_from_slice(&[1, 2, 3]);
        let mut reader = HashingReader::new(&data[..]);
        let mut found = Vec::new();
        let encoding = stream_text(&mut reader, &Limits::default(), &mut |chunk| {
            if let Placement::Offsets(runs) = chunk.placement {
                for run in runs {
                    let end = chunk.text[run.text_start..]
                        .iter()
                        .position(|&b| b == b'\n')
                        .unwrap_or(0);
                    found.push((
                        String::from_utf8_lossy(&chunk.text[run.text_start..run.text_start + end])
                            .into_owned(),
                        run.file_offset,
                    ));
                }
            }
        });
        assert!(matches!(encoding, Ok(Encoding::Binary)));
        assert_eq!(
            found,
            vec![
                ("ssn=536-22-5487".to_string(), 4),
                ("mail jane@example.com".to_string(), wide_at)
            ]
        );
    }
}
