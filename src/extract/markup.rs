//! Markup: HTML and XML (text and attribute values) and RTF.

use super::sniff::Format;
use super::{Input, Node, Note, formats};

pub fn markup(node: &mut Node<'_>, format: Format, input: Input<'_>) -> Result<Note, String> {
    formats::not_yet(node, format, input)
}

pub fn rtf(node: &mut Node<'_>, input: Input<'_>) -> Result<Note, String> {
    formats::not_yet(node, Format::Rtf, input)
}
