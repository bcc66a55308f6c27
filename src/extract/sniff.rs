//! What an item is: magic bytes first, then the name; zip-based documents are told apart by
//! their members.

/// Every format the extractors know.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Format {
    /// Text or binary data read by the text decoder or the strings pass.
    Plain,
    Zip,
    Tar,
    Gzip,
    Bzip2,
    Xz,
    Zstd,
    SevenZ,
    Docx,
    Pptx,
    Xlsx,
    Xlsb,
    Odt,
    Odp,
    Ods,
    /// OLE2 compound file: legacy .doc, .xls, .ppt, Outlook .msg.
    Ole,
    Pdf,
    Rtf,
    Html,
    Xml,
    Eml,
    Mbox,
    Pst,
    Sqlite,
    SqlDump,
    Json,
    Ndjson,
}

impl Format {
    /// The name files.csv shows in `format`.
    pub fn name(self) -> &'static str {
        match self {
            Format::Plain => "text",
            Format::Zip => "zip",
            Format::Tar => "tar",
            Format::Gzip => "gzip",
            Format::Bzip2 => "bzip2",
            Format::Xz => "xz",
            Format::Zstd => "zstd",
            Format::SevenZ => "7z",
            Format::Docx => "docx",
            Format::Pptx => "pptx",
            Format::Xlsx => "xlsx",
            Format::Xlsb => "xlsb",
            Format::Odt => "odt",
            Format::Odp => "odp",
            Format::Ods => "ods",
            Format::Ole => "ole",
            Format::Pdf => "pdf",
            Format::Rtf => "rtf",
            Format::Html => "html",
            Format::Xml => "xml",
            Format::Eml => "eml",
            Format::Mbox => "mbox",
            Format::Pst => "pst",
            Format::Sqlite => "sqlite",
            Format::SqlDump => "sql",
            Format::Json => "json",
            Format::Ndjson => "ndjson",
        }
    }

    /// Formats read front to back with no seeking: these are streamed, never spooled.
    pub fn streams(self) -> bool {
        matches!(
            self,
            Format::Plain
                | Format::Tar
                | Format::Gzip
                | Format::Bzip2
                | Format::Xz
                | Format::Zstd
                | Format::Eml
                | Format::Mbox
                | Format::SqlDump
                | Format::Ndjson
                | Format::Html
                | Format::Xml
                | Format::Rtf
        )
    }
}

fn extension(name: &str) -> String {
    let base = name.rsplit(['/', '!']).next().unwrap_or(name);
    base.rsplit_once('.')
        .map(|(_, ext)| ext.to_ascii_lowercase())
        .unwrap_or_default()
}

/// Decides the format from the first bytes (up to a few KiB) and the item's name. Content
/// wins over the name; the name decides only among text formats and for zip-less guesses.
pub fn sniff(head: &[u8], name: &str) -> Format {
    if head.starts_with(b"PK\x03\x04")
        || head.starts_with(b"PK\x05\x06")
        || head.starts_with(b"PK\x07\x08")
    {
        return Format::Zip;
    }
    if head.starts_with(b"\x1f\x8b") {
        return Format::Gzip;
    }
    if head.starts_with(b"BZh") && head.get(3).is_some_and(|b| (b'1'..=b'9').contains(b)) {
        return Format::Bzip2;
    }
    if head.starts_with(b"\xfd7zXZ\x00") {
        return Format::Xz;
    }
    if head.starts_with(b"\x28\xb5\x2f\xfd") {
        return Format::Zstd;
    }
    if head.starts_with(b"7z\xbc\xaf\x27\x1c") {
        return Format::SevenZ;
    }
    if head.starts_with(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1") {
        return Format::Ole;
    }
    if head.starts_with(b"!BDN") {
        return Format::Pst;
    }
    if head.starts_with(b"SQLite format 3\x00") {
        return Format::Sqlite;
    }
    if head.len() > 262 && &head[257..262] == b"ustar" {
        return Format::Tar;
    }
    let text_start = skip_bom_and_space(head);
    if text_start.starts_with(b"%PDF-") || find(&head[..head.len().min(1024)], b"%PDF-").is_some() {
        return Format::Pdf;
    }
    if text_start.starts_with(b"{\\rtf") {
        return Format::Rtf;
    }
    let ext = extension(name);
    if head.starts_with(b"From ")
        && (ext == "mbox"
            || ext.is_empty()
            || looks_like_mail_headers(
                &head[head
                    .iter()
                    .position(|&b| b == b'\n')
                    .map_or(head.len(), |p| p + 1)..],
            ))
    {
        return Format::Mbox;
    }
    let lower: Vec<u8> = text_start
        .iter()
        .take(512)
        .map(u8::to_ascii_lowercase)
        .collect();
    if lower.starts_with(b"<!doctype html")
        || lower.starts_with(b"<html")
        || ext == "html"
        || ext == "htm"
    {
        return Format::Html;
    }
    if lower.starts_with(b"<?xml") || ext == "xml" || ext == "config" {
        return Format::Xml;
    }
    match ext.as_str() {
        "eml" | "msg" if looks_like_mail_headers(head) => return Format::Eml,
        "mbox" | "mbx" => return Format::Mbox,
        "json" | "geojson" if matches!(text_start.first(), Some(b'{' | b'[')) => {
            return Format::Json;
        }
        "ndjson" | "jsonl" => return Format::Ndjson,
        "sql" => return Format::SqlDump,
        // A tar without the ustar magic (v7) is only known by its name.
        "tar" => return Format::Tar,
        _ => {}
    }
    if looks_like_mail_headers(head) {
        return Format::Eml;
    }
    if lower.starts_with(b"-- mysql dump")
        || lower.starts_with(b"-- postgresql database dump")
        || find(&lower, b"insert into ").is_some()
            && (lower.starts_with(b"--") || lower.starts_with(b"/*"))
    {
        return Format::SqlDump;
    }
    Format::Plain
}

/// Tells OOXML and ODF documents from plain zip archives by their member names and the ODF
/// `mimetype` member.
pub fn classify_zip(names: &[&str], odf_mimetype: Option<&str>) -> Format {
    if let Some(mime) = odf_mimetype {
        match mime.trim() {
            "application/vnd.oasis.opendocument.text" => return Format::Odt,
            "application/vnd.oasis.opendocument.spreadsheet" => return Format::Ods,
            "application/vnd.oasis.opendocument.presentation" => return Format::Odp,
            _ => {}
        }
    }
    let has = |name: &str| names.iter().any(|n| n.eq_ignore_ascii_case(name));
    if has("[Content_Types].xml") {
        if has("word/document.xml") {
            return Format::Docx;
        }
        if has("xl/workbook.xml") {
            return Format::Xlsx;
        }
        if has("xl/workbook.bin") {
            return Format::Xlsb;
        }
        if has("ppt/presentation.xml") {
            return Format::Pptx;
        }
    }
    Format::Zip
}

fn skip_bom_and_space(head: &[u8]) -> &[u8] {
    let head = head.strip_prefix(b"\xef\xbb\xbf").unwrap_or(head);
    let start = head
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .unwrap_or(head.len());
    &head[start..]
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    memchr::memmem::find(haystack, needle)
}

/// At least two RFC 5322 header lines, among them From/To/Subject/Received/Message-ID/Return-Path.
fn looks_like_mail_headers(head: &[u8]) -> bool {
    const NAMES: &[&[u8]] = &[
        b"from:",
        b"to:",
        b"subject:",
        b"received:",
        b"message-id:",
        b"return-path:",
        b"date:",
        b"mime-version:",
        b"delivered-to:",
    ];
    let mut known = 0;
    for line in head.split(|&b| b == b'\n').take(30) {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if line.is_empty() {
            break;
        }
        let lower: Vec<u8> = line.iter().take(16).map(u8::to_ascii_lowercase).collect();
        if NAMES.iter().any(|n| lower.starts_with(n)) {
            known += 1;
        }
    }
    known >= 2
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_beats_the_name() {
        assert_eq!(sniff(b"PK\x03\x04rest", "report.pdf"), Format::Zip);
        assert_eq!(sniff(b"%PDF-1.7\n", "notes.txt"), Format::Pdf);
        assert_eq!(sniff(b"\x1f\x8b\x08\x00", "x.csv"), Format::Gzip);
        assert_eq!(
            sniff(b"SQLite format 3\x00....", "cache.dat"),
            Format::Sqlite
        );
        assert_eq!(
            sniff(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "a.doc"),
            Format::Ole
        );
        assert_eq!(
            sniff(b"From: a@b.com\nTo: c@d.com\nSubject: hi\n\nbody", "note"),
            Format::Eml
        );
        assert_eq!(
            sniff(
                b"From MAILER-DAEMON Fri Jul  8 12:08:34 2011\nFrom: a@b.com\n",
                "inbox"
            ),
            Format::Mbox
        );
        assert_eq!(sniff(b"[{\"a\": 1}]", "data.json"), Format::Json);
        assert_eq!(sniff(b"name,ssn\n", "x.csv"), Format::Plain);
        assert_eq!(
            sniff(b"-- MySQL dump 10.13\nINSERT INTO t VALUES (1);", "dump"),
            Format::SqlDump
        );
    }

    #[test]
    fn zip_documents_by_members() {
        assert_eq!(
            classify_zip(&["[Content_Types].xml", "word/document.xml"], None),
            Format::Docx
        );
        assert_eq!(
            classify_zip(&["[Content_Types].xml", "xl/workbook.xml"], None),
            Format::Xlsx
        );
        assert_eq!(
            classify_zip(
                &["mimetype", "content.xml"],
                Some("application/vnd.oasis.opendocument.text")
            ),
            Format::Odt
        );
        assert_eq!(classify_zip(&["a.csv"], None), Format::Zip);
    }
}
