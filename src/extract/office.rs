//! Word-processing and presentation documents: docx, pptx, odt, odp, and OLE2 compound files
//! (legacy .doc/.xls/.ppt by a strings pass over their streams, Outlook .msg).

use super::sniff::Format;
use super::{Input, Node, Note, formats};

pub fn document(node: &mut Node<'_>, format: Format, input: Input<'_>) -> Result<Note, String> {
    formats::not_yet(node, format, input)
}

pub fn ole(node: &mut Node<'_>, input: Input<'_>) -> Result<Note, String> {
    formats::not_yet(node, Format::Ole, input)
}
