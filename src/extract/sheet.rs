//! Spreadsheets: xlsx, xlsb, ods (and legacy xls via the OLE path), located by `Sheet!Cell`.

use super::sniff::Format;
use super::{Input, Node, Note, formats};

pub fn workbook(node: &mut Node<'_>, format: Format, input: Input<'_>) -> Result<Note, String> {
    formats::not_yet(node, format, input)
}
