//! Word-processing and presentation documents: docx, pptx, odt, odp, and OLE2 compound files
//! (legacy .doc/.xls/.ppt by a strings pass over their streams, Outlook .msg).

use std::io::{self, BufReader, Read};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};

use quick_xml::events::Event;

use super::chunks::{SegmentChunker, flatten};
use super::sniff::Format;
use super::{Budget, Input, MemberInfo, Node, Note, RATIO_GRACE_BYTES, Source, Status, sheet};

/// Decompressed bytes read from one XML part of a document; past it the part is cut.
const MAX_PART_BYTES: u64 = 256 << 20;
/// Bytes read from one property of an Outlook message.
const MAX_PROPERTY_BYTES: u64 = 16 << 20;

pub fn document(node: &mut Node<'_>, format: Format, input: Input<'_>) -> Result<Note, String> {
    let Input::Seekable(source) = input else {
        return Err(format!("{} needs a seekable input", format.name()));
    };
    zip_precheck(node, source, &[])?;
    let mut zip = zip::ZipArchive::new(&mut *source)
        .map_err(|e| format!("cannot open {} container: {e}", format.name()))?;
    let names: Vec<String> = zip
        .file_names()
        .filter_map(|n| n.ok().map(|n| n.into_owned()))
        .collect();
    let mut parts: Vec<(String, Style, String)> = Vec::new();
    match format {
        Format::Docx => {
            parts.push(("word/document.xml".into(), Style::Word, "paragraph".into()));
            let mut extra: Vec<&String> = names
                .iter()
                .filter(|n| {
                    let Some(base) = n.strip_prefix("word/") else {
                        return false;
                    };
                    !base.contains('/')
                        && base.ends_with(".xml")
                        && ["header", "footer", "footnotes", "endnotes", "comments"]
                            .iter()
                            .any(|p| base.starts_with(p))
                })
                .collect();
            extra.sort_by_key(|n| numbered(n));
            for name in extra {
                let label = name
                    .trim_start_matches("word/")
                    .trim_end_matches(".xml")
                    .to_string();
                parts.push((name.clone(), Style::Word, format!("{label} paragraph")));
            }
        }
        Format::Pptx => {
            for (dir, prefix, label) in [
                ("ppt/slides/", "slide", "slide"),
                ("ppt/notesSlides/", "notesSlide", "notes slide"),
            ] {
                let mut slides: Vec<(u64, &String)> = names
                    .iter()
                    .filter_map(|n| {
                        let number = n
                            .strip_prefix(dir)?
                            .strip_prefix(prefix)?
                            .strip_suffix(".xml")?
                            .parse()
                            .ok()?;
                        Some((number, n))
                    })
                    .collect();
                slides.sort();
                for (number, name) in slides {
                    parts.push((name.clone(), Style::Drawing, format!("{label} {number}")));
                }
            }
        }
        Format::Odp => parts.push(("content.xml".into(), Style::OdfSlides, String::new())),
        _ => parts.push(("content.xml".into(), Style::Odf, "paragraph".into())),
    }
    let mut chunker = SegmentChunker::new(node);
    let mut problems = Vec::new();
    for (name, style, label) in &parts {
        let file = match zip.by_name(name) {
            Ok(file) => file,
            Err(zip::result::ZipError::FileNotFound) if name == "word/document.xml" => {
                return Err("word/document.xml is missing".to_string());
            }
            Err(e) => {
                problems.push(format!("{name}: {e}"));
                continue;
            }
        };
        let mut limited = BudgetReader::new(file.take(MAX_PART_BYTES), node.budget.clone());
        let result = xml_paragraphs(
            node,
            &mut chunker,
            BufReader::new(&mut limited),
            *style,
            label,
        );
        if let Err(e) = result {
            problems.push(format!("{name}: {e}"));
        }
        if limited.cut() {
            problems.push(format!(
                "{name}: read up to the size or decompression budget limit"
            ));
        }
    }
    chunker.flush(node);
    // Embedded files (OLE objects, attached workbooks) are items of their own.
    let embedded: Vec<String> = names
        .iter()
        .filter(|n| {
            !n.ends_with('/')
                && (n.starts_with("word/embeddings/")
                    || n.starts_with("ppt/embeddings/")
                    || n.starts_with("xl/embeddings/")
                    || (n.starts_with("Object ") && !n.ends_with(".xml")))
        })
        .cloned()
        .collect();
    for name in embedded {
        match zip.by_name(&name) {
            Ok(mut file) => {
                let info = MemberInfo {
                    declared_size: Some(file.size()),
                    compressed_size: Some(file.compressed_size()),
                    modified: None,
                };
                node.member(&name, &mut file, info);
            }
            Err(e) => problems.push(format!("{name}: {e}")),
        }
    }
    if problems.is_empty() {
        Ok(Note::scanned(format.name()))
    } else {
        Ok(Note::with(
            format.name(),
            Status::Truncated,
            problems.join("; "),
        ))
    }
}

/// The number in a part name, so `header10` sorts after `header2`.
fn numbered(name: &str) -> (String, u64) {
    let digits: String = name.chars().filter(char::is_ascii_digit).collect();
    let stem: String = name.chars().filter(|c| !c.is_ascii_digit()).collect();
    (stem, digits.parse().unwrap_or(0))
}

/// Refuses a zip-based document whose members declare more than the decompression budget or a
/// ratio above the limit, before a parser that inflates members on its own reads them. Returns
/// the bytes declared by the members named `held_whole` (any case): those the parser will hold
/// whole in memory.
pub fn zip_precheck(
    node: &mut Node<'_>,
    source: &mut Source,
    held_whole: &[&str],
) -> Result<u64, String> {
    use std::io::{Seek, SeekFrom};
    let mut total: u64 = 0;
    let mut whole: u64 = 0;
    {
        let mut zip = zip::ZipArchive::new(&mut *source)
            .map_err(|e| format!("cannot open zip container: {e}"))?;
        if zip.len() > node.limits.max_entries {
            return Err(format!(
                "{} members, more than the entry limit ({}; --max-entries)",
                zip.len(),
                node.limits.max_entries
            ));
        }
        for i in 0..zip.len() {
            let file = zip
                .by_index_raw(i)
                .map_err(|e| format!("cannot read zip directory: {e}"))?;
            let size = file.size();
            let limit = file
                .compressed_size()
                .max(1)
                .saturating_mul(node.limits.max_ratio)
                .max(RATIO_GRACE_BYTES);
            if size > limit {
                return Err(format!(
                    "member {} declares a compression ratio above {}:1 (--max-ratio)",
                    file.name().unwrap_or_default(),
                    node.limits.max_ratio
                ));
            }
            total = total.saturating_add(size);
            let name = file.name().unwrap_or_default();
            if held_whole
                .iter()
                .any(|held| name.eq_ignore_ascii_case(held))
            {
                whole = whole.saturating_add(size);
            }
        }
    }
    if total > node.budget.left() {
        return Err(format!(
            "members declare {total} bytes, more than the decompression budget left ({}; --max-expanded-bytes)",
            node.budget.left()
        ));
    }
    source
        .seek(SeekFrom::Start(0))
        .map_err(|e| format!("cannot rewind: {e}"))?;
    Ok(whole)
}

/// Counts what a parser inflates against the top-level file's budget, and ends the data there.
pub struct BudgetReader<R> {
    inner: R,
    budget: Budget,
    cut: bool,
}

impl<R: Read> BudgetReader<R> {
    pub fn new(inner: R, budget: Budget) -> Self {
        BudgetReader {
            inner,
            budget,
            cut: false,
        }
    }

    /// True when the data was cut by the budget or the reader's own size limit.
    pub fn cut(&mut self) -> bool {
        if !self.cut {
            // A limited reader that still has data was cut by its limit.
            let mut probe = [0u8; 1];
            if self.budget.left() > 0 && matches!(self.inner.read(&mut probe), Ok(n) if n > 0) {
                self.cut = true;
            }
        }
        self.cut
    }
}

impl<R: Read> Read for BudgetReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let allowed = (buf.len() as u64).min(self.budget.left()) as usize;
        if allowed == 0 && !buf.is_empty() {
            self.cut = true;
            return Ok(0);
        }
        let n = self.inner.read(&mut buf[..allowed])?;
        self.budget.take(n as u64);
        Ok(n)
    }
}

/// Which elements of a document's XML hold paragraphs and text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Style {
    /// WordprocessingML: text in `w:t`/`w:delText`, paragraphs `w:p`.
    Word,
    /// DrawingML (slides): text in `a:t`, paragraphs `a:p`; the whole part is one slide.
    Drawing,
    /// ODF text: all text inside `text:p`/`text:h`, `text:s` and `text:tab` as spaces.
    Odf,
    /// ODF presentation: as ODF text, each `draw:page` a slide.
    OdfSlides,
}

/// Reads the paragraphs of one XML part: text runs of a paragraph are joined (a value split
/// across runs is found whole), paragraphs end with a newline, each paragraph is a segment.
fn xml_paragraphs<R: io::BufRead>(
    node: &mut Node<'_>,
    chunker: &mut SegmentChunker,
    input: R,
    style: Style,
    label: &str,
) -> Result<(), String> {
    let mut reader = quick_xml::Reader::from_reader(input);
    reader.config_mut().check_end_names = false;
    let mut buf = Vec::new();
    let mut paragraphs: u64 = 0;
    let mut slides: u64 = 0;
    // Depth of text elements (Word/Drawing) or paragraphs (ODF) we are inside.
    let mut in_text = 0usize;
    let mut in_paragraph = 0usize;
    let location = |paragraphs: u64, slides: u64| match style {
        Style::Word | Style::Odf => format!("{label} {paragraphs}"),
        Style::Drawing => label.to_string(),
        Style::OdfSlides => format!("slide {slides}"),
    };
    loop {
        let event = reader
            .read_event_into(&mut buf)
            .map_err(|e| format!("malformed XML at byte {}: {e}", reader.buffer_position()))?;
        match event {
            Event::Start(e) => {
                let name = e.local_name();
                let name = name.as_ref();
                match (style, name) {
                    (Style::Word | Style::Drawing | Style::Odf | Style::OdfSlides, "p")
                    | (Style::Odf | Style::OdfSlides, "h") => {
                        paragraphs += 1;
                        in_paragraph += 1;
                        chunker.place(location(paragraphs, slides), None);
                    }
                    (Style::Word, "t" | "delText") | (Style::Drawing, "t") => in_text += 1,
                    (Style::OdfSlides, "page") => {
                        slides += 1;
                        chunker.place(location(paragraphs, slides), None);
                    }
                    _ => {}
                }
            }
            Event::Empty(e) => {
                let name = e.local_name();
                let separator = match (style, name.as_ref()) {
                    (Style::Word, "tab") | (Style::Odf | Style::OdfSlides, "tab") => Some(b'\t'),
                    (Style::Word, "br" | "cr") | (Style::Drawing, "br") => Some(b'\n'),
                    (Style::Odf | Style::OdfSlides, "line-break") => Some(b'\n'),
                    (Style::Odf | Style::OdfSlides, "s") => Some(b' '),
                    (_, "p") => {
                        // An empty paragraph still counts.
                        paragraphs += 1;
                        None
                    }
                    _ => None,
                };
                if let Some(separator) = separator
                    && (in_paragraph > 0 || in_text > 0)
                {
                    chunker.push_byte(node, separator);
                }
            }
            Event::End(e) => {
                let name = e.local_name();
                match (style, name.as_ref()) {
                    (_, "p") | (Style::Odf | Style::OdfSlides, "h") => {
                        in_paragraph = in_paragraph.saturating_sub(1);
                        chunker.end_line(node);
                    }
                    (Style::Word, "t" | "delText") | (Style::Drawing, "t") => {
                        in_text = in_text.saturating_sub(1);
                    }
                    _ => {}
                }
            }
            Event::Text(e) => {
                let wanted = match style {
                    Style::Word | Style::Drawing => in_text > 0,
                    Style::Odf | Style::OdfSlides => in_paragraph > 0,
                };
                if wanted {
                    let text = e.xml10_content();
                    chunker.push_str(node, &flatten(&text));
                }
            }
            Event::CData(e) => {
                let wanted = match style {
                    Style::Word | Style::Drawing => in_text > 0,
                    Style::Odf | Style::OdfSlides => in_paragraph > 0,
                };
                if wanted {
                    chunker.push_str(node, &flatten(&e));
                }
            }
            Event::GeneralRef(e) => {
                let wanted = match style {
                    Style::Word | Style::Drawing => in_text > 0,
                    Style::Odf | Style::OdfSlides => in_paragraph > 0,
                };
                if wanted && let Some(c) = resolve_ref(&e) {
                    let mut utf8 = [0u8; 4];
                    chunker.push_str(node, c.encode_utf8(&mut utf8));
                }
            }
            Event::Eof => break,
            _ => {}
        }
        buf.clear();
    }
    Ok(())
}

/// A character or predefined entity reference (`&#x35;`, `&amp;`).
fn resolve_ref(e: &quick_xml::events::BytesRef<'_>) -> Option<char> {
    if e.is_char_ref() {
        return e.resolve_char_ref().ok().flatten();
    }
    match e.as_ref() {
        "amp" => Some('&'),
        "lt" => Some('<'),
        "gt" => Some('>'),
        "quot" => Some('"'),
        "apos" => Some('\''),
        _ => None,
    }
}

/// An OLE2 compound file: a legacy workbook (read as a spreadsheet), an Outlook message, an
/// encrypted OOXML package, or another legacy document whose streams get a strings pass.
pub fn ole(node: &mut Node<'_>, input: Input<'_>) -> Result<Note, String> {
    let Input::Seekable(source) = input else {
        return Err("OLE needs a seekable input".to_string());
    };
    let kind = catch_unwind(AssertUnwindSafe(|| classify_ole(source)))
        .map_err(|_| "the OLE parser failed on malformed content".to_string())??;
    match kind {
        OleKind::Encrypted => Ok(Note::with(
            "ole",
            Status::Encrypted,
            "password-protected Office document (EncryptedPackage)",
        )),
        OleKind::Workbook => sheet::xls(node, source),
        OleKind::Message => catch_unwind(AssertUnwindSafe(|| message(node, source)))
            .map_err(|_| "the OLE parser failed on malformed content".to_string())?,
        OleKind::Streams(format) => {
            catch_unwind(AssertUnwindSafe(|| streams(node, source, format)))
                .map_err(|_| "the OLE parser failed on malformed content".to_string())?
        }
    }
}

enum OleKind {
    Encrypted,
    Workbook,
    Message,
    Streams(&'static str),
}

fn open_cfb(source: &mut Source) -> Result<cfb::CompoundFile<&mut Source>, String> {
    use std::io::{Seek, SeekFrom};
    source
        .seek(SeekFrom::Start(0))
        .map_err(|e| format!("cannot rewind: {e}"))?;
    cfb::CompoundFile::open(source).map_err(|e| format!("not a readable OLE compound file: {e}"))
}

fn classify_ole(source: &mut Source) -> Result<OleKind, String> {
    let file = open_cfb(source)?;
    let root_has = |name: &str| file.is_stream(format!("/{name}"));
    if root_has("EncryptedPackage") {
        return Ok(OleKind::Encrypted);
    }
    if root_has("Workbook") || root_has("Book") {
        return Ok(OleKind::Workbook);
    }
    if file.is_stream("/__properties_version1.0") {
        return Ok(OleKind::Message);
    }
    Ok(OleKind::Streams(if root_has("WordDocument") {
        "doc"
    } else if root_has("PowerPoint Document") {
        "ppt"
    } else {
        "ole"
    }))
}

/// A stream's name without the control characters OLE puts before some names.
fn stream_name(path: &Path) -> String {
    path.to_string_lossy()
        .trim_start_matches('/')
        .chars()
        .filter(|c| !c.is_control())
        .collect()
}

/// Every stream of a legacy document as a member: decoded as text or given a strings pass.
fn streams(node: &mut Node<'_>, source: &mut Source, format: &str) -> Result<Note, String> {
    let mut file = open_cfb(source)?;
    let entries: Vec<(PathBuf, u64)> = file
        .walk()
        .filter(|e| e.is_stream())
        .map(|e| (e.path().to_path_buf(), e.len()))
        .take(node.limits.max_entries)
        .collect();
    for (path, len) in entries {
        let name = stream_name(&path);
        match file.open_stream(&path) {
            Ok(mut stream) => {
                let info = MemberInfo {
                    declared_size: Some(len),
                    compressed_size: None,
                    modified: None,
                };
                node.member(&name, &mut stream, info);
            }
            Err(e) => node.member_not_read(
                &name,
                MemberInfo::default(),
                "",
                Status::Error,
                format!("cannot open stream: {e}"),
            ),
        }
    }
    Ok(Note::with(
        format,
        Status::Scanned,
        "legacy document: every stream read as a member (text or strings pass)",
    ))
}

/// Outlook .msg: header fields, recipients and body as text, attachments as members.
fn message(node: &mut Node<'_>, source: &mut Source) -> Result<Note, String> {
    let mut file = open_cfb(source)?;
    let mut chunker = SegmentChunker::new(node);
    let fields = [
        ("0037", "subject"),
        ("0C1A", "from"),
        ("0C1F", "from"),
        ("5D01", "from"),
        ("0042", "from"),
        ("0065", "from"),
        ("0E04", "to"),
        ("0E03", "cc"),
        ("0E02", "bcc"),
    ];
    for (id, location) in fields {
        if let Some(value) = property(&mut file, "", id) {
            chunker.place(location, None);
            chunker.push_str(node, &flatten(&value));
            chunker.end_line(node);
        }
    }
    let storages: Vec<String> = file
        .read_storage("/")
        .map(|entries| {
            entries
                .filter(|e| e.is_storage())
                .map(|e| e.name().to_string())
                .collect()
        })
        .unwrap_or_default();
    let mut recipient = 0;
    for storage in storages
        .iter()
        .filter(|s| s.starts_with("__recip_version1.0_"))
    {
        recipient += 1;
        for id in ["3001", "39FE", "3003"] {
            if let Some(value) = property(&mut file, storage, id) {
                chunker.place(format!("recipient {recipient}"), None);
                chunker.push_str(node, &flatten(&value));
                chunker.end_line(node);
            }
        }
    }
    let body = property(&mut file, "", "1000").or_else(|| property(&mut file, "", "1013"));
    if let Some(body) = body {
        chunker.place("body", Some(1));
        chunker.push_str(node, &body.replace("\r\n", "\n"));
        chunker.end_line(node);
    }
    chunker.flush(node);
    let attachments = storages
        .iter()
        .filter(|s| s.starts_with("__attach_version1.0_"));
    for (index, storage) in attachments.enumerate() {
        let attachment = index + 1;
        let name = property(&mut file, storage, "3707")
            .or_else(|| property(&mut file, storage, "3704"))
            .filter(|n| !n.trim().is_empty())
            .unwrap_or_else(|| format!("attachment {attachment}"));
        let name = name.replace(['/', '!', '\\'], "_");
        let data = format!("/{storage}/__substg1.0_37010102");
        if file.is_stream(&data) {
            match file.open_stream(&data) {
                Ok(mut stream) => {
                    let info = MemberInfo {
                        declared_size: Some(stream.len()),
                        compressed_size: None,
                        modified: None,
                    };
                    node.member(&name, &mut stream, info);
                }
                Err(e) => node.member_not_read(
                    &name,
                    MemberInfo::default(),
                    "",
                    Status::Error,
                    format!("cannot open attachment: {e}"),
                ),
            }
        } else if file.is_storage(format!("/{storage}/__substg1.0_3701000D")) {
            node.member_not_read(
                &name,
                MemberInfo::default(),
                "msg",
                Status::Skipped,
                "embedded message stored as an OLE storage: not opened",
            );
        }
    }
    Ok(Note::scanned("msg"))
}

/// One string property of a message or of one of its storages (UTF-16 or 8-bit form).
fn property(file: &mut cfb::CompoundFile<&mut Source>, storage: &str, id: &str) -> Option<String> {
    let base = if storage.is_empty() {
        String::new()
    } else {
        format!("/{storage}")
    };
    for (kind, wide) in [("001F", true), ("001E", false), ("0102", false)] {
        let path = format!("{base}/__substg1.0_{id}{kind}");
        if !file.is_stream(&path) {
            continue;
        }
        let mut bytes = Vec::new();
        let mut stream = file.open_stream(&path).ok()?;
        (&mut stream)
            .take(MAX_PROPERTY_BYTES)
            .read_to_end(&mut bytes)
            .ok()?;
        let text = if wide {
            let (text, _) = encoding_rs::UTF_16LE.decode_without_bom_handling(&bytes);
            text.into_owned()
        } else if let Ok(text) = std::str::from_utf8(&bytes) {
            text.to_string()
        } else {
            let (text, _) = encoding_rs::WINDOWS_1252.decode_without_bom_handling(&bytes);
            text.into_owned()
        };
        let text = text.trim_end_matches('\0').to_string();
        return Some(text);
    }
    None
}
