//! Dispatch from a sniffed format to its extractor.

use super::sniff::Format;
use super::{Input, Node, Note, archive, compress, data, mail, markup, office, pdf, sheet};

/// Reads the item as `format`; `Err` carries the reason it could not be read.
pub fn extract(node: &mut Node<'_>, format: Format, input: Input<'_>) -> Result<Note, String> {
    match format {
        Format::Plain => plain(node, input),
        Format::Zip => archive::zip(node, input),
        Format::Tar => archive::tar(node, input),
        Format::SevenZ => archive::seven_z(node, input),
        Format::Gzip | Format::Bzip2 | Format::Xz | Format::Zstd => {
            compress::decompress(node, format, input)
        }
        Format::Eml | Format::Mbox => mail::mime(node, format, input),
        Format::Pst => mail::pst(node, input),
        Format::Ole => office::ole(node, input),
        Format::Docx | Format::Pptx | Format::Odt | Format::Odp => {
            office::document(node, format, input)
        }
        Format::Xlsx | Format::Xlsb | Format::Ods => sheet::workbook(node, format, input),
        Format::Pdf => pdf::pdf(node, input),
        Format::Rtf => markup::rtf(node, input),
        Format::Html | Format::Xml => markup::markup(node, format, input),
        Format::Sqlite => data::sqlite(node, input),
        Format::SqlDump => data::sql_dump(node, input),
        Format::Json | Format::Ndjson => data::json(node, format, input),
    }
}

/// Text decoding, or a strings pass when the bytes are binary.
pub fn plain(node: &mut Node<'_>, mut input: Input<'_>) -> Result<Note, String> {
    let encoding = node.stream_text(&mut input)?;
    Ok(Note::with(
        encoding.format_name(),
        super::Status::Scanned,
        encoding.reason(),
    ))
}
