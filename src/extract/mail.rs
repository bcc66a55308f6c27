//! Mail: RFC 5322 messages and mbox files (headers, bodies in every transfer encoding,
//! attachments recursively), and Outlook PST stores.

use super::sniff::Format;
use super::{Input, Node, Note, formats};

pub fn mime(node: &mut Node<'_>, format: Format, input: Input<'_>) -> Result<Note, String> {
    formats::not_yet(node, format, input)
}

pub fn pst(node: &mut Node<'_>, input: Input<'_>) -> Result<Note, String> {
    formats::not_yet(node, Format::Pst, input)
}
