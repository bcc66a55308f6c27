//! Large xlsx workbooks rewritten with their shared strings inline, on disk, so that the
//! spreadsheet parser never holds the shared-strings table whole.
//!
//! calamine keeps an xlsx's shared strings as one `String` each, about twice the XML's size: a
//! 10 MB workbook of 300,000 customer rows held 190 MB. Past `INLINE_PAST` declared bytes, the
//! table is copied to a temporary file instead (each `<si>` element's XML as it stands, found by
//! its offset), and every shared-string cell of every worksheet becomes an inline-string cell
//! (`t="inlineStr"`) whose `<is>` holds that same XML. calamine reads `<si>` and `<is>` with one
//! function, so each cell's text comes out as it did; the rewritten workbook is a stored zip in a
//! temporary file, with every other member copied as it was.

use std::fs::File;
use std::io::{self, BufReader, BufWriter, Read, Seek, SeekFrom, Write};
use std::os::unix::fs::FileExt;

use quick_xml::events::{BytesStart, Event};
use quick_xml::{Reader, Writer};

/// Declared bytes of `xl/sharedStrings.xml` past which the strings are inlined. calamine held
/// about 1.3 times their size (a 21.7 MB table: 161 MB at the walk's peak, 133 MB inlined), and
/// the rewrite reads every sheet once more (2.5 s for that workbook's 138 MB sheet, which the
/// scan otherwise read in 4.8 s): below this, memory is cheaper than the time.
pub const INLINE_PAST: u64 = 16 << 20;

/// The shared-strings member, as calamine names it.
const SHARED_STRINGS: &str = "xl/sharedStrings.xml";

/// The shared strings, each as the XML inside its `<si>` element, in a temporary file.
struct StringTable {
    file: File,
    /// Where each string starts in `file`, and (last) where the last one ends.
    bounds: Vec<u64>,
    /// Blocks of `file` read lately, each in the slot of its number modulo `CACHED_BLOCKS`:
    /// cells name strings near the ones named before them, or the few that repeat, and a read
    /// of the file for each of a sheet's million cells took longer than the rest of the rewrite.
    blocks: Vec<(u64, Vec<u8>)>,
}

/// Bytes of the string table read at once, and how many such blocks are kept (4 MiB).
const BLOCK_BYTES: u64 = 64 << 10;
const CACHED_BLOCKS: usize = 64;

impl StringTable {
    fn len(&self) -> usize {
        self.bounds.len().saturating_sub(1)
    }

    /// The XML of string `index` into `into` (cleared first).
    fn read(&mut self, index: usize, into: &mut Vec<u8>) -> io::Result<()> {
        let (Some(&start), Some(&end)) = (self.bounds.get(index), self.bounds.get(index + 1))
        else {
            return Err(io::Error::other("no such shared string"));
        };
        into.clear();
        let block = start / BLOCK_BYTES;
        if end.saturating_sub(1) / BLOCK_BYTES != block {
            // A string across blocks (or longer than one) is read alone.
            let len = usize::try_from(end - start).map_err(|_| io::ErrorKind::OutOfMemory)?;
            into.resize(len, 0);
            return self.file.read_exact_at(into, start);
        }
        let total = self.bounds.last().copied().unwrap_or(0);
        let (cached, bytes) = &mut self.blocks[(block % CACHED_BLOCKS as u64) as usize];
        if *cached != block {
            let len = (total - block * BLOCK_BYTES).min(BLOCK_BYTES) as usize;
            bytes.resize(len, 0);
            self.file.read_exact_at(bytes, block * BLOCK_BYTES)?;
            *cached = block;
        }
        let at = (start - block * BLOCK_BYTES) as usize;
        let string = bytes.get(at..at + (end - start) as usize);
        into.extend_from_slice(string.ok_or_else(|| io::Error::other("a shared string is cut"))?);
        Ok(())
    }
}

/// An XML reader configured as calamine configures its own, so that what the rewrite reads as
/// one element is what calamine would read as one.
fn xml_reader<R: io::BufRead>(input: R) -> Reader<R> {
    let mut reader = Reader::from_reader(input);
    let config = reader.config_mut();
    config.check_end_names = false;
    config.trim_text(false);
    config.check_comments = false;
    config.expand_empty_elements = false;
    reader
}

fn xml_error(part: &str, e: impl std::fmt::Display) -> String {
    format!("cannot inline the shared strings ({part}): {e}")
}

/// The workbook in `source` (an xlsx zip) with its shared strings inline, as a stored zip in a
/// temporary file, rewound. Members are read no further than their declared sizes, which
/// `office::zip_precheck` checked against the limits.
pub fn inline_shared_strings<R: Read + Seek>(source: &mut R) -> Result<File, String> {
    source
        .seek(SeekFrom::Start(0))
        .map_err(|e| xml_error("rewind", e))?;
    let mut zip = zip::ZipArchive::new(&mut *source).map_err(|e| xml_error("zip", e))?;
    let name_of = |zip: &zip::ZipArchive<&mut R>, i: usize| -> String {
        match zip.name_for_index(i) {
            Some(Ok(name)) => name.into_owned(),
            _ => String::new(),
        }
    };
    let table_index =
        (0..zip.len()).find(|&i| name_of(&zip, i).eq_ignore_ascii_case(SHARED_STRINGS));
    let Some(table_index) = table_index else {
        return Err(xml_error(SHARED_STRINGS, "no such member"));
    };
    let mut table = {
        let member = zip
            .by_index(table_index)
            .map_err(|e| xml_error(SHARED_STRINGS, e))?;
        let size = member.size();
        read_string_table(BufReader::new(member.take(size)))
            .map_err(|e| xml_error(SHARED_STRINGS, e))?
    };
    let out = tempfile::tempfile().map_err(|e| xml_error("temporary file", e))?;
    let mut writer = zip::ZipWriter::new(BufWriter::new(out));
    let stored = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Stored)
        .large_file(true);
    let mut value = Vec::new();
    for i in 0..zip.len() {
        if i == table_index {
            continue;
        }
        let name = name_of(&zip, i);
        if is_worksheet(&name) {
            let member = zip.by_index(i).map_err(|e| xml_error(&name, e))?;
            let size = member.size();
            writer
                .start_file(name.as_str(), stored)
                .map_err(|e| xml_error(&name, e))?;
            inline_sheet(
                BufReader::new(member.take(size)),
                &mut writer,
                &mut table,
                &mut value,
            )
            .map_err(|e| xml_error(&name, e))?;
        } else {
            let member = zip.by_index_raw(i).map_err(|e| xml_error(&name, e))?;
            writer
                .raw_copy_file(member)
                .map_err(|e| xml_error(&name, e))?;
        }
    }
    let mut out = writer
        .finish()
        .map_err(|e| xml_error("zip", e))?
        .into_inner()
        .map_err(|e| xml_error("temporary file", e.into_error()))?;
    out.seek(SeekFrom::Start(0))
        .map_err(|e| xml_error("temporary file", e))?;
    Ok(out)
}

/// Worksheets are where cells stand: `xl/worksheets/sheetN.xml` as every writer names them.
fn is_worksheet(name: &str) -> bool {
    let name = name.to_ascii_lowercase();
    name.starts_with("xl/worksheets/") && !name.contains("/_rels/") && name.ends_with(".xml")
}

/// Copies each `<si>` of the table's `<sst>` (as calamine finds them: by local name, each ending
/// at the first end tag of its own name) to a temporary file, as the XML it holds.
fn read_string_table<R: io::BufRead>(input: R) -> io::Result<StringTable> {
    let mut reader = xml_reader(input);
    let mut out = Writer::new(Counted {
        inner: BufWriter::new(tempfile::tempfile()?),
        written: 0,
    });
    let mut bounds = vec![0u64];
    let mut buf = Vec::new();
    let mut in_table = false;
    loop {
        buf.clear();
        match reader.read_event_into(&mut buf).map_err(io::Error::other)? {
            Event::Start(e) if !in_table && e.local_name().as_ref() == "sst" => in_table = true,
            Event::Start(e) if in_table && e.local_name().as_ref() == "si" => {
                let closing = e.name().as_ref().to_string();
                let mut inner = Vec::new();
                loop {
                    inner.clear();
                    match reader
                        .read_event_into(&mut inner)
                        .map_err(io::Error::other)?
                    {
                        Event::End(end) if end.name().as_ref() == closing.as_str() => break,
                        Event::Eof => {
                            return Err(io::Error::new(
                                io::ErrorKind::UnexpectedEof,
                                "a shared string does not end",
                            ));
                        }
                        event => out.write_event(event)?,
                    }
                }
                bounds.push(out.get_mut().written);
            }
            // `<si/>`: an empty string.
            Event::Empty(e) if in_table && e.local_name().as_ref() == "si" => {
                bounds.push(out.get_mut().written);
            }
            Event::End(e) if in_table && e.local_name().as_ref() == "sst" => break,
            Event::Eof => {
                return Err(io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    "the shared strings do not end",
                ));
            }
            _ => {}
        }
    }
    let file = out
        .into_inner()
        .inner
        .into_inner()
        .map_err(|e| e.into_error())?;
    Ok(StringTable {
        file,
        bounds,
        blocks: vec![(u64::MAX, Vec::new()); CACHED_BLOCKS],
    })
}

/// A writer that counts the bytes written through it.
struct Counted<W> {
    inner: W,
    written: u64,
}

impl<W: Write> Write for Counted<W> {
    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(bytes)?;
        self.written += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

/// Copies a worksheet's XML to `out` event by event, each shared-string cell (`t="s"`) turned
/// into an inline-string cell whose `<is>` holds the string's XML where its `<v>` stood. A cell
/// whose index the table lacks is left as it was: calamine fails on it as it did before.
fn inline_sheet<R: io::BufRead, W: Write>(
    input: R,
    out: W,
    table: &mut StringTable,
    value: &mut Vec<u8>,
) -> io::Result<()> {
    let mut reader = xml_reader(input);
    let mut out = Writer::new(BufWriter::with_capacity(1 << 16, out));
    let mut buf = Vec::new();
    loop {
        buf.clear();
        let event = reader.read_event_into(&mut buf).map_err(io::Error::other)?;
        let shared_cell = match &event {
            Event::Eof => break,
            Event::Start(cell) => cell.local_name().as_ref() == "c" && is_shared(cell)?,
            _ => false,
        };
        match event {
            Event::Start(cell) if shared_cell => {
                let cell = cell.into_owned();
                let children = read_cell(&mut reader)?;
                write_cell(&mut out, cell, children, table, value)?;
            }
            event => out.write_event(event)?,
        }
    }
    out.into_inner().flush()
}

/// Whether a `<c>` element is a shared-string cell: its `t` attribute is `s`.
fn is_shared(cell: &BytesStart<'_>) -> io::Result<bool> {
    Ok(cell
        .try_get_attribute("t")
        .map_err(io::Error::other)?
        .is_some_and(|t| t.value.as_ref() == "s"))
}

/// The events inside a `<c>` element, up to its end tag (which is not kept).
fn read_cell<R: io::BufRead>(reader: &mut Reader<R>) -> io::Result<Vec<Event<'static>>> {
    let mut children = Vec::new();
    let mut buf = Vec::new();
    loop {
        buf.clear();
        match reader.read_event_into(&mut buf).map_err(io::Error::other)? {
            Event::End(end) if end.local_name().as_ref() == "c" => return Ok(children),
            Event::Eof => {
                return Err(io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    "a cell does not end",
                ));
            }
            event => children.push(event.into_owned()),
        }
    }
}

/// The shared-string index of a `<v>`'s text, as calamine reads it: digits, else 0.
fn string_index(text: &str) -> usize {
    Some(text)
        .filter(|t| !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit()))
        .and_then(|t| t.parse().ok())
        .unwrap_or(0)
}

/// Writes a shared-string cell with its string inline: `<v>N</v>` becomes `<is>…</is>`, an
/// empty `<v>` is dropped (the cell is empty either way), the rest is kept.
fn write_cell<W: Write>(
    out: &mut Writer<W>,
    cell: BytesStart<'static>,
    children: Vec<Event<'static>>,
    table: &mut StringTable,
    value: &mut Vec<u8>,
) -> io::Result<()> {
    // Each `<v>` child: where it starts among the children, where it ends, and its text.
    let mut values: Vec<(usize, usize, String)> = Vec::new();
    let mut i = 0;
    while i < children.len() {
        if let Event::Start(v) = &children[i]
            && v.local_name().as_ref() == "v"
        {
            // calamine reads the first event inside `<v>` alone: text, or else no value.
            let text = match children.get(i + 1) {
                Some(Event::Text(t)) => t.as_ref().to_string(),
                _ => String::new(),
            };
            let mut j = i + 1;
            while j < children.len()
                && !matches!(&children[j], Event::End(end) if end.name() == v.name())
            {
                j += 1;
            }
            values.push((i, j, text));
            i = j;
        }
        i += 1;
    }
    let resolvable = values
        .iter()
        .all(|(_, _, text)| text.is_empty() || string_index(text) < table.len());
    if !resolvable {
        out.write_event(Event::Start(cell.borrow()))?;
        for child in children {
            out.write_event(child)?;
        }
        return out.write_event(Event::End(cell.to_end()));
    }
    let mut inline = BytesStart::new(cell.name().as_ref().to_string());
    for attribute in cell.attributes().with_checks(false) {
        let attribute = attribute.map_err(io::Error::other)?;
        if attribute.key.as_ref() == "t" {
            inline.push_attribute(("t", "inlineStr"));
        } else {
            inline.push_attribute(attribute);
        }
    }
    out.write_event(Event::Start(inline.borrow()))?;
    let mut next_value = values.iter().peekable();
    let mut i = 0;
    while i < children.len() {
        match next_value.peek() {
            Some(&&(start, end, ref text)) if start == i => {
                next_value.next();
                if !text.is_empty() {
                    table.read(string_index(text), value)?;
                    out.get_mut().write_all(b"<is>")?;
                    out.get_mut().write_all(value)?;
                    out.get_mut().write_all(b"</is>")?;
                }
                i = end + 1;
            }
            _ => {
                out.write_event(children[i].borrow())?;
                i += 1;
            }
        }
    }
    out.write_event(Event::End(inline.to_end()))
}
