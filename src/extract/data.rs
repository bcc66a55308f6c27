//! Databases and data dumps: SQLite (read-only), SQL INSERT dumps, JSON and NDJSON.

use super::sniff::Format;
use super::{Input, Node, Note, formats};

pub fn sqlite(node: &mut Node<'_>, input: Input<'_>) -> Result<Note, String> {
    formats::not_yet(node, Format::Sqlite, input)
}

pub fn sql_dump(node: &mut Node<'_>, input: Input<'_>) -> Result<Note, String> {
    formats::not_yet(node, Format::SqlDump, input)
}

pub fn json(node: &mut Node<'_>, format: Format, input: Input<'_>) -> Result<Note, String> {
    formats::not_yet(node, format, input)
}
