//! Spreadsheets: xlsx, xlsb, ods (and legacy xls via the OLE path), located by `Sheet!Cell`.
//!
//! Each sheet becomes tab-separated lines, one per row, with every cell a segment of its own;
//! the first row with content is the header that gives the cells below their column context.
//! Numbers are shown as a user sees them: whole numbers without `.0` or an exponent. An xlsx
//! with large shared strings is read from a copy with them inline (`inline_strings`).

use std::borrow::Cow;
use std::panic::{AssertUnwindSafe, catch_unwind};

use calamine::{Data, DataRef, Ods, Reader, Xls, Xlsb, Xlsx};

use super::chunks::{SegmentChunker, flatten};
use super::inline_strings::{INLINE_PAST, inline_shared_strings};
use super::sniff::Format;
use super::{Input, Node, Note, Source, Status, office};
use crate::detect::Columns;

/// Every sheet of `$book` (an xlsx or xlsb workbook, whose cell readers share no trait) read a
/// cell at a time; the note.
macro_rules! each_sheet_by_cells {
    ($book:ident, $node:ident, $format:ident) => {{
        let mut sheets = Sheets::new($node);
        for name in $book.sheet_names() {
            match $book.worksheet_cells_reader(&name) {
                Ok(mut cells) => sheets.read_cells($node, &name, || cells.next_cell()),
                Err(e) => sheets.failed(&name, &e.to_string()),
            }
        }
        sheets.note($node, $format)
    }};
}

pub fn workbook(node: &mut Node<'_>, format: Format, input: Input<'_>) -> Result<Note, String> {
    let Input::Seekable(source) = input else {
        return Err(format!("{} needs a seekable input", format.name()));
    };
    // calamine inflates members itself: check their declared sizes against our limits first.
    let held_whole = office::zip_precheck(node, source, held_whole(format))?;
    // Large shared strings go inline, into a rewritten copy on disk, rather than into memory.
    // A workbook that cannot be rewritten is read as it stands (its parsers guarded as
    // calamine is, though none is known to panic).
    let mut inlined = (format == Format::Xlsx && held_whole > INLINE_PAST)
        .then(|| catch_unwind(AssertUnwindSafe(|| inline_shared_strings(&mut *source))))
        .and_then(|rewritten| rewritten.ok()?.ok())
        .map(std::io::BufReader::new);
    // calamine holds a workbook's shared strings (an ods sheet's cells) whole while it reads:
    // other workers' large documents wait their turn.
    let weight = if inlined.is_some() { 0 } else { held_whole };
    let _in_memory = node.limits.whole_documents.enter(weight);
    let result = catch_unwind(AssertUnwindSafe(|| match format {
        Format::Xlsx => match &mut inlined {
            Some(rewritten) => xlsx(node, rewritten, format),
            None => xlsx(node, &mut *source, format),
        },
        Format::Xlsb => {
            let mut book: Xlsb<_> = Xlsb::new(&mut *source).map_err(|e| open_error(&e))?;
            Ok(each_sheet_by_cells!(book, node, format))
        }
        _ => {
            let mut book: Ods<_> = Ods::new(&mut *source).map_err(|e| open_error(&e))?;
            Ok(ranges(node, &mut book, format))
        }
    }));
    match result {
        Ok(Ok(note)) => Ok(note),
        Ok(Err(Encrypted)) => Ok(Note::with(
            format.name(),
            Status::Encrypted,
            "workbook is password protected",
        )),
        Ok(Err(Failed(reason))) => Err(reason),
        Err(_) => Err(format!(
            "the {} parser failed on malformed content",
            format.name()
        )),
    }
}

/// Every sheet of an xlsx workbook, a cell at a time.
fn xlsx<RS: std::io::Read + std::io::Seek>(
    node: &mut Node<'_>,
    input: RS,
    format: Format,
) -> Result<Note, OpenError> {
    let mut book: Xlsx<_> = Xlsx::new(input).map_err(|e| open_error(&e))?;
    Ok(each_sheet_by_cells!(book, node, format))
}

/// The members calamine reads whole into memory: the shared strings of xlsx and xlsb, and the
/// content of ods (its sheets are read as whole ranges).
fn held_whole(format: Format) -> &'static [&'static str] {
    match format {
        Format::Xlsx => &["xl/sharedStrings.xml"],
        Format::Xlsb => &["xl/sharedStrings.bin"],
        _ => &["content.xml"],
    }
}

/// A legacy .xls workbook: the whole OLE compound file, which holds a Workbook stream.
pub fn xls(node: &mut Node<'_>, source: &mut Source) -> Result<Note, String> {
    // calamine reads the Workbook stream and each sheet's cells whole.
    let size = source
        .len()
        .map_err(|e| format!("cannot read workbook: {e}"))?;
    let _in_memory = node.limits.whole_documents.enter(size);
    let result = catch_unwind(AssertUnwindSafe(|| {
        let mut book: Xls<_> = Xls::new(&mut *source).map_err(|e| open_error(&e))?;
        Ok(ranges(node, &mut book, Format::Ole))
    }));
    match result {
        Ok(Ok(mut note)) => {
            note.format = "xls".to_string();
            Ok(note)
        }
        Ok(Err(Encrypted)) => Ok(Note::with(
            "xls",
            Status::Encrypted,
            "workbook is password protected",
        )),
        Ok(Err(Failed(reason))) => Err(reason),
        Err(_) => Err("the xls parser failed on malformed content".to_string()),
    }
}

enum OpenError {
    Encrypted,
    Failed(String),
}
use OpenError::{Encrypted, Failed};

fn open_error(e: &dyn std::fmt::Display) -> OpenError {
    let text = e.to_string();
    if text.to_ascii_lowercase().contains("password") {
        Encrypted
    } else {
        Failed(format!("cannot open workbook: {text}"))
    }
}

/// Reads every sheet of a workbook whose parser loads whole ranges (ods, xls).
fn ranges<RS: std::io::Read + std::io::Seek, R: Reader<RS>>(
    node: &mut Node<'_>,
    book: &mut R,
    format: Format,
) -> Note
where
    R::Error: std::fmt::Display,
{
    let mut sheets = Sheets::new(node);
    for name in book.sheet_names() {
        match book.worksheet_range(&name) {
            Ok(range) => {
                sheets.start(node, &name);
                let (row0, col0) = range.start().unwrap_or((0, 0));
                for (row, col, value) in range.used_cells() {
                    let (row, col) = (row0 + row as u32, col0 + col as u32);
                    sheets.cell(node, row, col, render(value));
                }
                sheets.finish_sheet(node);
            }
            Err(e) => sheets.failed(&name, &e.to_string()),
        }
    }
    sheets.note(node, format)
}

/// Writes cells as tab-separated rows, one segment per cell.
struct Sheets {
    chunker: SegmentChunker,
    sheet: String,
    /// The row being written, its first byte in the chunk and the tabs written so far.
    row: Option<u32>,
    row_start: usize,
    tabs: u32,
    header_seen: bool,
    cells: u64,
    failures: Vec<String>,
}

/// Tabs written to align one cell under its header: at most the columns Excel has.
const MAX_COLUMNS: u32 = 16_384;

impl Sheets {
    fn new(node: &Node<'_>) -> Self {
        Sheets {
            chunker: SegmentChunker::new(node),
            sheet: String::new(),
            row: None,
            row_start: 0,
            tabs: 0,
            header_seen: false,
            cells: 0,
            failures: Vec::new(),
        }
    }

    fn start(&mut self, node: &mut Node<'_>, name: &str) {
        // Each sheet has its own header row.
        self.chunker.set_columns(node, None);
        self.sheet = name.to_string();
        self.row = None;
        self.header_seen = false;
    }

    fn cell(&mut self, node: &mut Node<'_>, row: u32, col: u32, value: Option<Cow<'_, str>>) {
        let Some(value) = value else { return };
        if value.is_empty() {
            return;
        }
        if self.row != Some(row) {
            self.end_row(node);
            self.row = Some(row);
            self.row_start = self.chunker.position();
            self.tabs = 0;
        }
        let col = col.min(MAX_COLUMNS);
        if col > self.tabs {
            for _ in self.tabs..col {
                self.chunker.push_byte(node, b'\t');
            }
            self.tabs = col;
        } else if self.chunker.position() > self.row_start {
            // Out of order: keep the values apart even if the column is then off.
            self.chunker.push_byte(node, b'\t');
            self.tabs += 1;
        }
        self.chunker
            .place(format!("{}!{}", self.sheet, cell_name(row, col)), None);
        self.chunker.push_str(node, &flatten(&value));
        self.cells += 1;
    }

    /// Writes sheet `name`'s cells as `next` gives them (a workbook's cell reader), noting the
    /// error that ends the sheet early.
    fn read_cells<'a, E: std::fmt::Display>(
        &mut self,
        node: &mut Node<'_>,
        name: &str,
        mut next: impl FnMut() -> Result<Option<calamine::Cell<DataRef<'a>>>, E>,
    ) {
        self.start(node, name);
        loop {
            match next() {
                Ok(Some(cell)) => {
                    let (row, col) = cell.get_position();
                    self.cell(node, row, col, render_ref(cell.get_value()));
                }
                Ok(None) => break,
                Err(e) => {
                    self.failed(name, &e.to_string());
                    break;
                }
            }
        }
        self.finish_sheet(node);
    }

    fn end_row(&mut self, node: &mut Node<'_>) {
        if self.row.is_none() {
            return;
        }
        self.row = None;
        if !self.header_seen {
            self.header_seen = true;
            let columns = Columns::from_header_line(self.chunker.since(self.row_start));
            self.chunker.end_line(node);
            self.chunker.set_columns(node, columns);
        } else {
            self.chunker.end_line(node);
        }
    }

    fn finish_sheet(&mut self, node: &mut Node<'_>) {
        self.end_row(node);
        self.chunker.flush(node);
    }

    fn failed(&mut self, sheet: &str, reason: &str) {
        self.failures.push(format!("sheet {sheet}: {reason}"));
    }

    fn note(&mut self, node: &mut Node<'_>, format: Format) -> Note {
        self.chunker.flush(node);
        if self.failures.is_empty() {
            Note::scanned(format.name())
        } else {
            Note::with(format.name(), Status::Truncated, self.failures.join("; "))
        }
    }
}

/// `A1`-style name of a zero-based cell position.
pub fn cell_name(row: u32, col: u32) -> String {
    let mut letters = Vec::new();
    let mut n = col as u64 + 1;
    while n > 0 {
        let rem = ((n - 1) % 26) as u8;
        letters.push(b'A' + rem);
        n = (n - 1) / 26;
    }
    letters.reverse();
    format!(
        "{}{}",
        String::from_utf8_lossy(&letters),
        u64::from(row) + 1
    )
}

fn render(value: &Data) -> Option<Cow<'_, str>> {
    Some(match value {
        Data::Int(i) => Cow::Owned(i.to_string()),
        Data::Float(f) => Cow::Owned(number(*f)),
        Data::String(s) => Cow::Borrowed(s.as_str()),
        Data::Bool(b) => Cow::Borrowed(if *b { "TRUE" } else { "FALSE" }),
        Data::DateTime(d) => Cow::Owned(date_time(d)),
        Data::DateTimeIso(s) | Data::DurationIso(s) => Cow::Borrowed(s.as_str()),
        Data::Error(_) | Data::Empty => return None,
    })
}

fn render_ref<'a>(value: &'a DataRef<'_>) -> Option<Cow<'a, str>> {
    Some(match value {
        DataRef::Int(i) => Cow::Owned(i.to_string()),
        DataRef::Float(f) => Cow::Owned(number(*f)),
        DataRef::String(s) => Cow::Borrowed(s.as_str()),
        DataRef::SharedString(s) => Cow::Borrowed(*s),
        DataRef::Bool(b) => Cow::Borrowed(if *b { "TRUE" } else { "FALSE" }),
        DataRef::DateTime(d) => Cow::Owned(date_time(d)),
        DataRef::DateTimeIso(s) | DataRef::DurationIso(s) => Cow::Borrowed(s.as_str()),
        DataRef::Error(_) | DataRef::Empty => return None,
    })
}

/// A number as the user sees its digits: whole numbers exactly, without `.0` or an exponent
/// (an SSN or card number stored as a number stays a digit string); others in shortest form.
pub fn number(f: f64) -> String {
    if f.is_finite() && f.fract() == 0.0 && f.abs() < 1e21 {
        format!("{f:.0}")
    } else {
        format!("{f}")
    }
}

/// A date cell as ISO 8601 (the date alone at midnight), so date rules see a date.
fn date_time(d: &calamine::ExcelDateTime) -> String {
    if !d.is_datetime() {
        return number(d.as_f64());
    }
    let (y, mo, day, h, mi, s, _) = d.to_ymd_hms_milli();
    if (h, mi, s) == (0, 0, 0) {
        format!("{y:04}-{mo:02}-{day:02}")
    } else {
        format!("{y:04}-{mo:02}-{day:02} {h:02}:{mi:02}:{s:02}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cell_names() {
        assert_eq!(cell_name(0, 0), "A1");
        assert_eq!(cell_name(4, 3), "D5");
        assert_eq!(cell_name(0, 25), "Z1");
        assert_eq!(cell_name(0, 26), "AA1");
        assert_eq!(cell_name(9, 16383), "XFD10");
    }

    /// Every cell of every sheet as calamine reads it from an xlsx: (sheet, row, column, the
    /// cell as rendered), and each sheet's error, if any.
    fn xlsx_cells<RS: std::io::Read + std::io::Seek>(input: RS) -> Vec<String> {
        let mut book: Xlsx<_> = Xlsx::new(input).expect("workbook opens");
        let mut cells = Vec::new();
        for name in book.sheet_names() {
            let mut reader = book.worksheet_cells_reader(&name).expect("sheet");
            loop {
                match reader.next_cell() {
                    Ok(Some(cell)) => {
                        let (row, col) = cell.get_position();
                        let value = render_ref(cell.get_value()).map(|v| v.into_owned());
                        cells.push(format!("{name}!{row}:{col}={value:?}"));
                    }
                    Ok(None) => break,
                    Err(e) => {
                        cells.push(format!("{name}: error {e}"));
                        break;
                    }
                }
            }
        }
        cells
    }

    /// calamine's cells of `workbook` as it stands and with its shared strings inline are
    /// the same; returns them, and the rewritten sheets' XML.
    fn inlined_reads_the_same(workbook: &[u8]) -> (Vec<String>, String) {
        let before = xlsx_cells(std::io::Cursor::new(workbook));
        let mut rewritten =
            inline_shared_strings(&mut std::io::Cursor::new(workbook)).expect("inlined");
        let after = xlsx_cells(std::io::BufReader::new(&mut rewritten));
        assert_eq!(after, before);
        use std::io::{Read, Seek};
        rewritten.rewind().expect("rewind");
        let mut zip = zip::ZipArchive::new(rewritten).expect("zip");
        assert!(zip.index_for_name("xl/sharedStrings.xml").is_none());
        let mut sheets = String::new();
        for i in 0..zip.len() {
            let mut member = zip.by_index(i).expect("member");
            if member.name().expect("name").starts_with("xl/worksheets/") {
                member.read_to_string(&mut sheets).expect("sheet");
            }
        }
        (before, sheets)
    }

    /// Every kind of cell a workbook writer produces reads back the same once its shared
    /// strings are inline: plain, padded, rich, escaped and non-Latin strings, empty strings,
    /// numbers, dates and durations, booleans, formulas with string results, several sheets.
    #[test]
    fn inlined_shared_strings_read_back_cell_for_cell() {
        let mut book = rust_xlsxwriter::Workbook::new();
        let date = rust_xlsxwriter::Format::new().set_num_format("yyyy-mm-dd");
        let duration = rust_xlsxwriter::Format::new().set_num_format("[h]:mm:ss");
        let bold = rust_xlsxwriter::Format::new().set_bold();
        let sheet = book.add_worksheet().set_name("Customers").expect("name");
        for (col, header) in ["name", "email", "ssn", "note", "dob", "active", "amount"]
            .iter()
            .enumerate()
        {
            sheet.write_string(0, col as u16, *header).expect("header");
        }
        for row in 1..200u32 {
            sheet
                .write_string(row, 0, format!("Jane Roe {}", row % 17))
                .expect("cell");
            sheet
                .write_string(row, 1, format!("jane.roe{row}@example.com"))
                .expect("cell");
            sheet
                .write_string(row, 2, format!("536-22-{:04}", 5000 + row))
                .expect("cell");
            match row % 5 {
                0 => sheet.write_string(row, 3, "  padded  "),
                1 => sheet.write_string(row, 3, "Fish & <chips> \"quoted\" naïve 東京"),
                2 => sheet.write_rich_string(
                    row,
                    3,
                    &[
                        (&bold, "VIP "),
                        (&rust_xlsxwriter::Format::default(), "customer"),
                    ],
                ),
                3 => sheet.write_string(row, 3, ""),
                _ => sheet.write_formula(
                    row,
                    3,
                    rust_xlsxwriter::Formula::new("=\"id\"&A2").set_result("idJane"),
                ),
            }
            .expect("cell");
            sheet
                .write_number_with_format(row, 4, 30000.0 + f64::from(row), &date)
                .expect("cell");
            sheet.write_boolean(row, 5, row % 2 == 0).expect("cell");
            sheet
                .write_number_with_format(row, 6, f64::from(row) / 24.0, &duration)
                .expect("cell");
        }
        let other = book.add_worksheet().set_name("Notes").expect("name");
        other
            .write_string(0, 0, "Jane Roe 536-22-5001")
            .expect("cell");
        other
            .write_string(2, 3, "jane.roe1@example.com")
            .expect("cell");
        let bytes = book.save_to_buffer().expect("save");
        let (cells, sheets) = inlined_reads_the_same(&bytes);
        assert!(cells.len() > 1000, "{}", cells.len());
        assert!(cells.contains(&"Customers!1:1=Some(\"jane.roe1@example.com\")".to_string()));
        assert!(cells.contains(&"Notes!2:3=Some(\"jane.roe1@example.com\")".to_string()));
        assert!(sheets.matches("t=\"inlineStr\"").count() > 600);
        assert!(!sheets.contains("t=\"s\""));
    }

    /// A workbook of `sheet` (the XML inside `<sheetData>`) and `strings` (inside `<sst>`).
    fn handmade_workbook(sheet: &str, strings: &str) -> Vec<u8> {
        use std::io::Write;
        let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
        let options = zip::write::SimpleFileOptions::default();
        let mut member = |name: &str, text: &str| {
            zip.start_file(name, options).expect("member");
            zip.write_all(text.as_bytes()).expect("write");
        };
        member(
            "[Content_Types].xml",
            r#"<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="xml" ContentType="application/xml"/><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>"#,
        );
        member(
            "_rels/.rels",
            r#"<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>"#,
        );
        member(
            "xl/workbook.xml",
            r#"<?xml version="1.0"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="S" sheetId="1" r:id="rId1"/></sheets></workbook>"#,
        );
        member(
            "xl/_rels/workbook.xml.rels",
            r#"<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>"#,
        );
        member(
            "xl/worksheets/sheet1.xml",
            &format!(
                r#"<?xml version="1.0"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>{sheet}</sheetData></worksheet>"#
            ),
        );
        member(
            "xl/sharedStrings.xml",
            &format!(
                r#"<?xml version="1.0"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">{strings}</sst>"#
            ),
        );
        zip.finish().expect("zip").into_inner()
    }

    /// What writers rarely produce reads back the same too: an empty `<si/>`, phonetic runs,
    /// CDATA, a comment inside a string, an index with spaces (calamine reads it as 0), an
    /// empty `<v>`, a formula before the value, a cell without `r`; and an index past the table
    /// fails the sheet as it did.
    #[test]
    fn inlined_shared_strings_keep_calamines_reading_of_odd_cells() {
        let strings = concat!(
            "<si><t>zero</t></si>",
            "<si/>",
            "<si><t xml:space=\"preserve\"> one </t><rPh sb=\"0\" eb=\"1\"><t>ruby</t></rPh></si>",
            "<si><r><t>two</t></r><r><rPr><b/></rPr><t><![CDATA[ & <three>]]></t></r></si>",
            "<si><t>fo<!-- note -->ur&amp;&#x41;</t></si>",
        );
        let sheet = concat!(
            "<row r=\"1\"><c r=\"A1\" t=\"s\"><v>0</v></c><c r=\"B1\" t=\"s\"><v>1</v></c>",
            "<c r=\"C1\" t=\"s\"><v>2</v></c><c r=\"D1\" t=\"s\"><v>3</v></c>",
            "<c r=\"E1\" t=\"s\" s=\"0\"><v>4</v></c></row>",
            "<row r=\"2\"><c r=\"A2\" t=\"s\"><v> 3 </v></c><c r=\"B2\" t=\"s\"><v></v></c>",
            "<c r=\"C2\" t=\"s\"><f>A1</f><v>3</v></c><c t=\"s\"><v>4</v></c>",
            "<c r=\"F2\" t=\"s\"/><c r=\"G2\"><v>12.5</v></c></row>",
        );
        let (cells, sheets) = inlined_reads_the_same(&handmade_workbook(sheet, strings));
        assert_eq!(cells.len(), 11, "{cells:#?}");
        assert!(sheets.contains("<c r=\"E1\" t=\"inlineStr\" s=\"0\"><is>"));
        // An index past the table: the sheet fails at that cell, before and after.
        let broken =
            "<row r=\"1\"><c r=\"A1\" t=\"s\"><v>0</v></c><c r=\"B1\" t=\"s\"><v>7</v></c></row>";
        let (cells, _) = inlined_reads_the_same(&handmade_workbook(broken, strings));
        assert_eq!(cells.len(), 2, "{cells:#?}");
        assert!(cells[1].contains("error"), "{cells:#?}");
    }

    #[test]
    fn numbers_render_as_users_see_them() {
        assert_eq!(number(536225487.0), "536225487");
        assert_eq!(number(4111111111111111.0), "4111111111111111");
        assert_eq!(number(12.5), "12.5");
        assert_eq!(number(-3.0), "-3");
    }
}
