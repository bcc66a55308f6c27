//! Archives: zip (with zip64 and encrypted entries), tar and 7z; members are extracted recursively.

use super::sniff::Format;
use super::{Input, Node, Note, formats};

pub fn zip(node: &mut Node<'_>, input: Input<'_>) -> Result<Note, String> {
    formats::not_yet(node, Format::Zip, input)
}

pub fn tar(node: &mut Node<'_>, input: Input<'_>) -> Result<Note, String> {
    formats::not_yet(node, Format::Tar, input)
}

pub fn seven_z(node: &mut Node<'_>, input: Input<'_>) -> Result<Note, String> {
    formats::not_yet(node, Format::SevenZ, input)
}
