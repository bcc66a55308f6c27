//! PDF: text per page, with text split across positioning operators rejoined.

use super::sniff::Format;
use super::{Input, Node, Note, formats};

pub fn pdf(node: &mut Node<'_>, input: Input<'_>) -> Result<Note, String> {
    formats::not_yet(node, Format::Pdf, input)
}
