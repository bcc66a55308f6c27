//! Single-stream compressors: gzip (multi-member), bzip2, xz and zstd.

use super::sniff::Format;
use super::{Input, Node, Note, formats};

pub fn decompress(node: &mut Node<'_>, format: Format, input: Input<'_>) -> Result<Note, String> {
    formats::not_yet(node, format, input)
}
