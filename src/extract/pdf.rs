//! PDF: text per page, with text split across positioning operators rejoined.
//!
//! lopdf parses the file (depth-limited parser, decompression bounded per stream); we walk each
//! page's content stream ourselves so that pieces of one word placed by separate `Tj`/`TJ`
//! operators or small `Td` moves on one line come out joined, and real gaps as spaces.

use std::collections::BTreeMap;
use std::panic::{AssertUnwindSafe, catch_unwind};

use lopdf::content::Content;
use lopdf::{Dictionary, Document, Encoding, LoadOptions, Object};

use super::chunks::SegmentChunker;
use super::sniff::Format;
use super::{Input, Node, Note, Status};

/// Largest PDF read into memory (lopdf parses from a slice).
const MAX_PDF_BYTES: u64 = 512 << 20;
/// Largest decompressed stream (a page's content, a font's ToUnicode map).
const MAX_STREAM_BYTES: u64 = 64 << 20;
/// A horizontal gap wider than this share of the font size reads as a space.
const SPACE_GAP_EM: f64 = 0.25;

pub fn pdf(node: &mut Node<'_>, input: Input<'_>) -> Result<Note, String> {
    let Input::Seekable(source) = input else {
        return Err("pdf needs a seekable input".to_string());
    };
    let limits = node.limits;
    let size = source.len().map_err(|e| format!("cannot read PDF: {e}"))?;
    // Parsing holds the file and its objects whole: other workers' PDFs wait their turn while
    // this one is read, so two large ones do not add up.
    let _in_memory = (size <= MAX_PDF_BYTES).then(|| limits.whole_documents.enter(size));
    let bytes = source
        .to_vec(MAX_PDF_BYTES)
        .map_err(|e| format!("cannot read PDF: {e}"))?;
    let max_stream = MAX_STREAM_BYTES.min(node.budget.left()).max(1) as usize;
    // lopdf is not known to panic on bad input, but it is third-party code over hostile
    // bytes: a panic must fail this file alone.
    let loaded = catch_unwind(AssertUnwindSafe(|| {
        Document::load_mem_with_options(&bytes, LoadOptions::with_max_decompressed_size(max_stream))
    }));
    let doc = match loaded {
        Ok(Ok(doc)) => doc,
        Ok(Err(lopdf::Error::InvalidPassword | lopdf::Error::Decryption(_))) => {
            return Ok(encrypted());
        }
        Ok(Err(e)) => return Err(format!("not a readable PDF: {e}")),
        Err(_) => return Err("the PDF parser failed on malformed content".to_string()),
    };
    drop(bytes);
    if doc.is_encrypted() && !doc.was_encrypted() {
        // The empty user password did not open it.
        return Ok(encrypted());
    }
    let pages = catch_unwind(AssertUnwindSafe(|| doc.get_pages()))
        .map_err(|_| "the PDF page tree is malformed".to_string())?;
    let mut chunker = SegmentChunker::new(node);
    let mut failed = Vec::new();
    // A page tree whose /Kids lead back up (a cycle) lists the same page again: read it once.
    let mut seen = std::collections::HashMap::new();
    for (number, page_id) in pages {
        if let Some(first) = seen.insert(page_id, number) {
            seen.insert(page_id, first);
            failed.push(format!(
                "page {number} is page {first} again (cyclic or repeated page tree): not read twice"
            ));
            continue;
        }
        let mut page = PageText::new(format!("page {number}"));
        let read = catch_unwind(AssertUnwindSafe(|| {
            page_text(&doc, page_id, max_stream, &mut page, &mut chunker, node)
        }));
        // What a page gave before failing is kept: the failure is noted beside it.
        page.finish(&mut chunker, node);
        match read {
            Ok(Ok(())) => {}
            Ok(Err(e)) => failed.push(format!("page {number}: {e}")),
            Err(_) => failed.push(format!("page {number}: malformed content")),
        }
        // Page content counts against the file's decompression budget.
        node.budget.take(page.inflated);
        if node.budget.left() == 0 {
            failed.push(
                "decompression budget of the top-level file used up (--max-expanded-bytes)"
                    .to_string(),
            );
            break;
        }
    }
    chunker.flush(node);
    if failed.is_empty() {
        let reason = if doc.was_encrypted() {
            "encrypted with an empty user password: decrypted"
        } else {
            ""
        };
        Ok(Note::with(Format::Pdf.name(), Status::Scanned, reason))
    } else {
        failed.truncate(10);
        Ok(Note::with(
            Format::Pdf.name(),
            Status::Truncated,
            failed.join("; "),
        ))
    }
}

/// A lopdf error in words; a stream over the size limit is named as the bomb guard it is.
fn pdf_error(e: &lopdf::Error) -> String {
    match e {
        lopdf::Error::Decompress(lopdf::DecompressError::MemoryLimitExceeded { limit }) => {
            format!(
                "a stream inflates past {limit} bytes (decompression bomb guard: the smaller of \
                 --max-expanded-bytes left and {MAX_STREAM_BYTES} bytes a stream); not read"
            )
        }
        lopdf::Error::Decompress(inner) => format!("{e}: {inner}"),
        other => other.to_string(),
    }
}

fn encrypted() -> Note {
    Note::with(
        Format::Pdf.name(),
        Status::Encrypted,
        "encrypted PDF: the empty user password does not open it",
    )
}

/// A font as far as text extraction needs it: how to decode its bytes and how wide glyphs are.
struct Font<'a> {
    encoding: Option<Encoding<'a>>,
    /// Two-byte codes (composite fonts).
    wide: bool,
    first_char: i64,
    widths: Vec<f64>,
}

impl Font<'_> {
    /// Width in text space units of one em (1000 glyph units) for code `code`.
    fn width(&self, code: u32) -> f64 {
        let index = i64::from(code) - self.first_char;
        if index >= 0
            && let Some(w) = self.widths.get(index as usize)
            && *w > 0.0
        {
            return w / 1000.0;
        }
        0.5
    }
}

fn number(object: &Object) -> Option<f64> {
    match object {
        Object::Integer(i) => Some(*i as f64),
        Object::Real(r) => Some(f64::from(*r)),
        _ => None,
    }
}

fn load_font<'a>(doc: &'a Document, dict: &'a Dictionary, max: usize) -> Font<'a> {
    let wide = dict
        .get(b"Subtype")
        .and_then(Object::as_name)
        .is_ok_and(|s| s == b"Type0");
    let first_char = dict.get(b"FirstChar").ok().and_then(number).unwrap_or(0.0) as i64;
    let widths = dict
        .get(b"Widths")
        .ok()
        .and_then(|w| match w {
            Object::Reference(id) => doc.get_object(*id).ok(),
            other => Some(other),
        })
        .and_then(|w| w.as_array().ok())
        .map(|a| a.iter().take(65_536).filter_map(number).collect())
        .unwrap_or_default();
    Font {
        encoding: dict.get_font_encoding_with_limit(doc, max).ok(),
        wide,
        first_char,
        widths,
    }
}

/// Where text is being placed on the page, enough to tell joined pieces from gaps and lines.
struct Cursor {
    /// Text-line start (user space), from Tm/Td.
    line_x: f64,
    line_y: f64,
    /// Estimated end of the last glyph shown.
    x: f64,
    scale_x: f64,
    scale_y: f64,
    leading: f64,
    font_size: f64,
}

/// Text of a page hands on to the chunker in pieces of about this size, so a page of many
/// megabytes is never held whole.
const PAGE_PIECE_BYTES: usize = 64 << 10;

/// One page's text on its way to the chunker: it remembers the last character handed on (to
/// tell joined pieces from gaps), and places the page only once it holds more than white
/// space, as a page of only white space adds nothing.
struct PageText {
    location: String,
    pending: String,
    last: Option<char>,
    placed: bool,
    /// Bytes of content inflated to read the page, for the decompression budget.
    inflated: u64,
}

impl PageText {
    fn new(location: String) -> Self {
        PageText {
            location,
            pending: String::new(),
            last: None,
            placed: false,
            inflated: 0,
        }
    }

    fn push(&mut self, c: char) {
        self.pending.push(c);
        self.last = Some(c);
    }

    /// Nothing shown on the page yet.
    fn is_empty(&self) -> bool {
        self.last.is_none()
    }

    fn ends_with(&self, any: &[char]) -> bool {
        self.last.is_some_and(|c| any.contains(&c))
    }

    fn newline(&mut self) {
        if !self.is_empty() && !self.ends_with(&['\n']) {
            self.push('\n');
        }
    }

    /// Hands the pending text on once a piece is full.
    fn hand_on_if_full(&mut self, chunker: &mut SegmentChunker, node: &mut Node<'_>) {
        if self.pending.len() >= PAGE_PIECE_BYTES {
            self.hand_on(chunker, node);
        }
    }

    fn hand_on(&mut self, chunker: &mut SegmentChunker, node: &mut Node<'_>) {
        if !self.placed {
            if self.pending.trim().is_empty() {
                return;
            }
            chunker.place(std::mem::take(&mut self.location), Some(1));
            self.placed = true;
        }
        chunker.push_str(node, &self.pending);
        self.pending.clear();
    }

    /// Hands on the rest and ends the page's line.
    fn finish(&mut self, chunker: &mut SegmentChunker, node: &mut Node<'_>) {
        self.hand_on(chunker, node);
        if self.placed {
            chunker.end_line(node);
        }
    }
}

/// Reads one page's text into `page`. Its content is decoded one operation at a time: a
/// content stream's operations decoded at once took about forty times its size.
fn page_text(
    doc: &Document,
    page_id: lopdf::ObjectId,
    max: usize,
    page: &mut PageText,
    chunker: &mut SegmentChunker,
    node: &mut Node<'_>,
) -> Result<(), String> {
    let fonts: BTreeMap<Vec<u8>, Font<'_>> = doc
        .get_page_fonts(page_id)
        .map_err(|e| format!("cannot read fonts: {}", pdf_error(&e)))?
        .into_iter()
        .map(|(name, dict)| (name, load_font(doc, dict, max)))
        .collect();
    let data = doc
        .get_page_content_with_limit(page_id, max)
        .map_err(|e| format!("cannot read content: {}", pdf_error(&e)))?;
    page.inflated = data.len() as u64;
    let mut font: Option<&Font<'_>> = None;
    let mut at = Cursor {
        line_x: 0.0,
        line_y: 0.0,
        x: 0.0,
        scale_x: 1.0,
        scale_y: 1.0,
        leading: 0.0,
        font_size: 12.0,
    };
    for op in Content::decode_iter(&data) {
        let op = op.map_err(|e| {
            format!("malformed content partway through ({e}): the text before it was read")
        })?;
        let operands = &op.operands;
        let num = |i: usize| operands.get(i).and_then(number).unwrap_or(0.0);
        match op.operator.as_str() {
            "BT" => {
                at.line_x = 0.0;
                at.line_y = 0.0;
                at.x = 0.0;
                at.scale_x = 1.0;
                at.scale_y = 1.0;
            }
            "Tf" => {
                font = operands
                    .first()
                    .and_then(|n| n.as_name().ok())
                    .and_then(|n| fonts.get(n));
                at.font_size = num(1).abs().max(0.1);
            }
            "TL" => at.leading = num(0),
            "Td" | "TD" => {
                let (tx, ty) = (num(0) * at.scale_x, num(1) * at.scale_y);
                if op.operator == "TD" {
                    at.leading = -num(1);
                }
                let (x, y) = (at.line_x + tx, at.line_y + ty);
                move_to(page, &mut at, x, y);
            }
            "Tm" => {
                let (a, d) = (num(0), num(3));
                at.scale_x = if a.abs() > 1e-6 { a.abs() } else { 1.0 };
                at.scale_y = if d.abs() > 1e-6 { d.abs() } else { 1.0 };
                move_to(page, &mut at, num(4), num(5));
            }
            "T*" => {
                page.newline();
                at.line_y -= at.leading * at.scale_y;
                at.x = at.line_x;
            }
            "Tj" => show(page, &mut at, font, operands.first()),
            "'" => {
                page.newline();
                at.x = at.line_x;
                show(page, &mut at, font, operands.first());
            }
            "\"" => {
                page.newline();
                at.x = at.line_x;
                show(page, &mut at, font, operands.get(2));
            }
            "TJ" => {
                let Some(Object::Array(items)) = operands.first() else {
                    continue;
                };
                for item in items {
                    match item {
                        Object::String(..) => show(page, &mut at, font, Some(item)),
                        other => {
                            // Negative numbers move right, in thousandths of an em.
                            let shift = -number(other).unwrap_or(0.0) / 1000.0;
                            if shift > SPACE_GAP_EM && !page.ends_with(&[' ', '\n']) {
                                page.push(' ');
                            }
                            at.x += shift * at.font_size * at.scale_x;
                        }
                    }
                }
            }
            _ => {}
        }
        page.hand_on_if_full(chunker, node);
    }
    Ok(())
}

/// Moves to a new text-line start: a different baseline is a new line; on the same baseline a
/// gap wider than a space is a space, and a small move joins the pieces.
fn move_to(page: &mut PageText, at: &mut Cursor, x: f64, y: f64) {
    let em = at.font_size * at.scale_y.max(at.scale_x);
    if (y - at.line_y).abs() > em * 0.5 {
        page.newline();
    } else if (x - at.x > SPACE_GAP_EM * em || x < at.line_x - em)
        && !page.is_empty()
        && !page.ends_with(&[' ', '\n'])
    {
        page.push(' ');
    }
    at.line_x = x;
    at.line_y = y;
    at.x = x;
}

/// Shows one string: decoded with the font's encoding, the cursor advanced by its width.
fn show(page: &mut PageText, at: &mut Cursor, font: Option<&Font<'_>>, operand: Option<&Object>) {
    let Some(Object::String(bytes, _)) = operand else {
        return;
    };
    let decoded = match font.and_then(|f| f.encoding.as_ref()) {
        Some(encoding) => Document::decode_text(encoding, bytes).ok(),
        None => None,
    };
    let decoded = decoded.unwrap_or_else(|| bytes.iter().map(|&b| char::from(b)).collect());
    // Control characters (a font's private codes) would run into the next value as garbage.
    for c in decoded.chars() {
        page.push(if c.is_control() && c != '\t' { ' ' } else { c });
    }
    let wide = font.is_some_and(|f| f.wide);
    let width: f64 = if wide {
        bytes.len() as f64 / 2.0 * 0.5
    } else {
        bytes
            .iter()
            .map(|&b| font.map_or(0.5, |f| f.width(u32::from(b))))
            .sum()
    };
    at.x += width * at.font_size * at.scale_x;
}
