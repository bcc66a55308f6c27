//! Databases and data dumps: SQLite (read-only), SQL INSERT dumps, JSON and NDJSON.
//!
//! Rows become tab-separated lines with one segment per value and the column names as the
//! header context; JSON values become `key: value` lines located by their JSON path.

use std::collections::HashMap;
use std::io::{self, BufRead, BufReader, Read, Write};

use rusqlite::types::ValueRef;
use rusqlite::{Connection, OpenFlags};

use super::chunks::{SegmentChunker, flatten};
use super::sniff::{self, Format};
use super::{Input, MemberInfo, Node, Note, Source, Status, io_reason, sheet};
use crate::detect::Columns;

/// Deepest JSON nesting followed; deeper documents are refused as malformed.
const MAX_JSON_DEPTH: usize = 512;
/// Longest JSON key or SQL identifier kept (the rest is dropped).
const MAX_NAME: usize = 1024;
/// Most bytes of one JSON string held at once; a longer string is chunked piece by piece.
const STRING_PIECE: usize = 1 << 20;
/// Longest SQL statement head (up to `VALUES`) or COPY line read.
const MAX_HEAD: usize = 256 * 1024;

// ---------------------------------------------------------------------------------------------
// SQLite

pub fn sqlite(node: &mut Node<'_>, input: Input<'_>) -> Result<Note, String> {
    let Input::Seekable(source) = input else {
        return Err("sqlite needs a seekable input".to_string());
    };
    // SQLite opens a path. The evidence is opened through its descriptor; a member is copied
    // to a private temporary file first. `immutable=1` means no lock, journal or WAL file is
    // ever created beside the evidence.
    let mut _copy = None;
    let path = match source {
        Source::File(file) => {
            use std::os::fd::AsRawFd;
            format!("/proc/self/fd/{}", file.as_raw_fd())
        }
        Source::Memory(_) | Source::Spool(_) => {
            let mut temp =
                tempfile::NamedTempFile::new().map_err(|e| format!("cannot spool: {e}"))?;
            io::Seek::seek(source, io::SeekFrom::Start(0))
                .and_then(|_| io::copy(source, temp.as_file_mut()))
                .and_then(|_| temp.as_file_mut().flush())
                .map_err(|e| format!("cannot spool: {}", io_reason(&e)))?;
            let path = temp.path().to_string_lossy().into_owned();
            _copy = Some(temp);
            path
        }
    };
    let uri = format!("file:{path}?mode=ro&immutable=1");
    let conn = Connection::open_with_flags(
        &uri,
        OpenFlags::SQLITE_OPEN_READ_ONLY
            | OpenFlags::SQLITE_OPEN_URI
            | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(|e| format!("cannot open SQLite database: {e}"))?;
    let tables: Vec<String> = conn
        .prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY rowid")
        .and_then(|mut s| {
            s.query_map([], |r| r.get::<_, String>(0))?
                .collect::<Result<Vec<_>, _>>()
        })
        .map_err(|e| format!("not a readable SQLite database: {e}"))?;
    let mut chunker = SegmentChunker::new(node);
    let mut failed = Vec::new();
    for table in tables {
        if let Err(e) = sqlite_table(node, &mut chunker, &conn, &table) {
            failed.push(format!("table {table}: {e}"));
        }
    }
    chunker.flush(node);
    if failed.is_empty() {
        Ok(Note::scanned(Format::Sqlite.name()))
    } else {
        failed.truncate(10);
        Ok(Note::with(
            Format::Sqlite.name(),
            Status::Truncated,
            failed.join("; "),
        ))
    }
}

fn quote_identifier(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// The names of a table's columns, read as bytes: rusqlite's `column_names` panics on a name
/// that is not UTF-8, which a damaged or hostile database can hold. Falls back to `column N`.
fn column_names(conn: &Connection, quoted: &str, count: usize) -> Vec<String> {
    let mut names: Vec<String> = conn
        .prepare(&format!("PRAGMA table_info({quoted})"))
        .and_then(|mut s| {
            s.query_map([], |r| {
                Ok(match r.get_ref(1)? {
                    ValueRef::Text(bytes) | ValueRef::Blob(bytes) => {
                        String::from_utf8_lossy(bytes).into_owned()
                    }
                    _ => String::new(),
                })
            })?
            .collect::<Result<Vec<_>, _>>()
        })
        .unwrap_or_default();
    names.resize(count, String::new());
    for (i, name) in names.iter_mut().enumerate() {
        if name.is_empty() {
            *name = format!("column {}", i + 1);
        }
    }
    names
}

fn sqlite_table(
    node: &mut Node<'_>,
    chunker: &mut SegmentChunker,
    conn: &Connection,
    table: &str,
) -> rusqlite::Result<()> {
    let quoted = quote_identifier(table);
    // Rows in rowid order, so `row R` is stable; WITHOUT ROWID tables in their key order.
    let mut statement = match conn.prepare(&format!("SELECT * FROM {quoted} ORDER BY rowid")) {
        Ok(s) => s,
        Err(_) => conn.prepare(&format!("SELECT * FROM {quoted}"))?,
    };
    let names = column_names(conn, &quoted, statement.column_count());
    chunker.set_columns(node, Columns::from_header_line(names.join("\t").as_bytes()));
    let mut rows = statement.query([])?;
    let mut number: u64 = 0;
    while let Some(row) = rows.next()? {
        number += 1;
        for (i, column) in names.iter().enumerate() {
            if i > 0 {
                chunker.push_byte(node, b'\t');
            }
            let location = || format!("table {table} row {number} column {column}");
            match row.get_ref(i)? {
                ValueRef::Null => {}
                ValueRef::Integer(v) => {
                    chunker.place(location(), None);
                    chunker.push_str(node, &v.to_string());
                }
                ValueRef::Real(v) => {
                    chunker.place(location(), None);
                    chunker.push_str(node, &sheet::number(v));
                }
                ValueRef::Text(bytes) => {
                    chunker.place(location(), None);
                    let text = String::from_utf8_lossy(bytes);
                    chunker.push_str(node, &flatten(&text));
                }
                ValueRef::Blob(bytes) => {
                    // A blob that is a file (a document, an archive) is an item of its own;
                    // a blob of text is a value.
                    let format = sniff::sniff(&bytes[..bytes.len().min(8192)], "");
                    if format != Format::Plain {
                        let mut reader = bytes;
                        let info = MemberInfo {
                            declared_size: Some(bytes.len() as u64),
                            ..MemberInfo::default()
                        };
                        node.member(&location(), &mut reader, info);
                    } else if let Ok(text) = std::str::from_utf8(bytes) {
                        chunker.place(location(), None);
                        chunker.push_str(node, &flatten(text));
                    }
                }
            }
        }
        chunker.end_line(node);
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// SQL dumps

pub fn sql_dump(node: &mut Node<'_>, input: Input<'_>) -> Result<Note, String> {
    let mut dump = Dump::new(node);
    let mut reader = BufReader::with_capacity(256 * 1024, input);
    loop {
        let buf = match reader.fill_buf() {
            Ok([]) => break,
            Ok(buf) => buf,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => {
                dump.finish(node);
                return Ok(Note::with(
                    Format::SqlDump.name(),
                    Status::Truncated,
                    format!("read failed: {}", io_reason(&e)),
                ));
            }
        };
        let len = buf.len();
        dump.bytes(node, buf);
        reader.consume(len);
    }
    dump.finish(node);
    Ok(Note::scanned(Format::SqlDump.name()))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum DumpState {
    /// Reading a statement up to `VALUES (` or `;`, with the quote we are in.
    Head(Option<u8>),
    /// A `-- comment` line.
    LineComment,
    /// Inside a tuple, before a value.
    FieldStart,
    /// Inside a quoted string value; `escape` after a backslash.
    Str { escape: bool },
    /// A quote inside a string: the end, or the first of a doubled quote.
    StrQuote,
    /// A bare value (number, NULL, function call) with its parenthesis depth.
    Bare(u32),
    /// After a value, before `,` or `)`.
    AfterField,
    /// After a tuple, before `,` `(` or `;`.
    BetweenTuples,
    /// PostgreSQL `COPY ... FROM stdin` data lines up to `\.`.
    Copy,
}

struct Dump {
    state: DumpState,
    line: u64,
    head: Vec<u8>,
    /// Column names of tables from their CREATE TABLE statements.
    schemas: HashMap<String, Vec<String>>,
    table: String,
    columns: Vec<String>,
    /// Columns the current chunk's header context was made from.
    context_for: Option<Vec<String>>,
    rows: HashMap<String, u64>,
    row: u64,
    field: usize,
    value: Vec<u8>,
    value_line: u64,
    /// Tabs written in the current row (fields before the next value).
    fields_written: usize,
    /// The line that holds `COPY ... FROM stdin;` ends before its data starts.
    skip_rest_of_line: bool,
    chunker: SegmentChunker,
}

impl Dump {
    fn new(node: &Node<'_>) -> Self {
        Dump {
            state: DumpState::Head(None),
            line: 1,
            head: Vec::new(),
            schemas: HashMap::new(),
            table: String::new(),
            columns: Vec::new(),
            context_for: None,
            rows: HashMap::new(),
            row: 0,
            field: 0,
            value: Vec::new(),
            value_line: 1,
            fields_written: 0,
            skip_rest_of_line: false,
            chunker: SegmentChunker::new(node),
        }
    }

    /// Feeds `buf` through `byte`, except runs that change nothing but the value or line being
    /// collected: the bytes inside a quoted string up to its next quote, escape or line break,
    /// and a `COPY` data line up to its end go in as one slice. Most of a dump is such runs.
    fn bytes(&mut self, node: &mut Node<'_>, buf: &[u8]) {
        let mut at = 0;
        while let Some(&b) = buf.get(at) {
            let run = match self.state {
                DumpState::Str { escape: false } => buf[at..]
                    .iter()
                    .position(|&b| matches!(b, b'\\' | b'\'' | b'\n' | b'\r' | b'\t'))
                    .unwrap_or(buf.len() - at),
                DumpState::Copy => memchr::memchr(b'\n', &buf[at..]).unwrap_or(buf.len() - at),
                _ => 0,
            };
            if run == 0 {
                self.byte(node, b);
                at += 1;
                continue;
            }
            let plain = &buf[at..at + run];
            let target = if self.state == DumpState::Copy {
                &mut self.head
            } else {
                &mut self.value
            };
            let room = MAX_HEAD.saturating_sub(target.len());
            target.extend_from_slice(&plain[..plain.len().min(room)]);
            at += run;
        }
    }

    fn byte(&mut self, node: &mut Node<'_>, b: u8) {
        match self.state {
            DumpState::Head(quote) => self.head_byte(node, b, quote),
            DumpState::LineComment => {
                if b == b'\n' {
                    self.state = DumpState::Head(None);
                }
            }
            DumpState::FieldStart => match b {
                b' ' | b'\t' | b'\r' | b'\n' => {}
                b'\'' => {
                    self.start_value();
                    self.state = DumpState::Str { escape: false };
                }
                b')' => {
                    if self.field > 0 || !self.value.is_empty() {
                        self.field += 1;
                    }
                    self.end_tuple(node);
                }
                b',' => self.field += 1,
                _ => {
                    self.start_value();
                    self.state = DumpState::Bare(0);
                    self.byte(node, b);
                }
            },
            DumpState::Str { escape: true } => {
                let c = match b {
                    b'0' => b' ',
                    b'n' | b'r' | b't' | b'Z' | b'b' => b' ',
                    other => other,
                };
                self.push_value(c);
                self.state = DumpState::Str { escape: false };
            }
            DumpState::Str { escape: false } => match b {
                b'\\' => self.state = DumpState::Str { escape: true },
                b'\'' => self.state = DumpState::StrQuote,
                b'\n' | b'\r' | b'\t' => self.push_value(b' '),
                other => self.push_value(other),
            },
            DumpState::StrQuote => {
                if b == b'\'' {
                    self.push_value(b'\'');
                    self.state = DumpState::Str { escape: false };
                } else {
                    self.end_value(node);
                    self.state = DumpState::AfterField;
                    self.byte(node, b);
                }
            }
            DumpState::Bare(depth) => match b {
                b'(' => {
                    self.push_value(b);
                    self.state = DumpState::Bare(depth + 1);
                }
                b')' if depth > 0 => {
                    self.push_value(b);
                    self.state = DumpState::Bare(depth - 1);
                }
                b',' | b')' if depth == 0 => {
                    self.end_value(node);
                    self.state = DumpState::AfterField;
                    self.byte(node, b);
                }
                b'\n' | b'\r' | b'\t' => self.push_value(b' '),
                other => self.push_value(other),
            },
            DumpState::AfterField => match b {
                b',' => {
                    self.field += 1;
                    self.state = DumpState::FieldStart;
                }
                b')' => {
                    self.field += 1;
                    self.end_tuple(node);
                }
                _ => {}
            },
            DumpState::BetweenTuples => match b {
                b'(' => self.start_tuple(),
                b',' | b' ' | b'\t' | b'\r' | b'\n' => {}
                b';' => self.state = DumpState::Head(None),
                _ => {
                    self.state = DumpState::Head(None);
                    self.byte(node, b);
                }
            },
            DumpState::Copy => {
                if b == b'\n' {
                    self.copy_line(node);
                    self.head.clear();
                } else if self.head.len() < MAX_HEAD {
                    self.head.push(b);
                }
            }
        }
        if b == b'\n' {
            self.line += 1;
        }
    }

    fn head_byte(&mut self, node: &mut Node<'_>, b: u8, quote: Option<u8>) {
        if let Some(q) = quote {
            if b == q {
                self.state = DumpState::Head(None);
            }
            if self.head.len() < MAX_HEAD {
                self.head.push(b);
            }
            return;
        }
        match b {
            b'-' if self.head.last() == Some(&b'-')
                && self.head[..self.head.len() - 1].trim_ascii().is_empty() =>
            {
                self.head.clear();
                self.state = DumpState::LineComment;
            }
            b';' => {
                self.statement_end(node);
                self.head.clear();
            }
            b'(' if upper_ends_with(&self.head, b"VALUES") => {
                self.insert_head();
                self.head.clear();
                self.start_tuple();
            }
            b'\'' | b'"' | b'`' => {
                self.state = DumpState::Head(Some(b));
                if self.head.len() < MAX_HEAD {
                    self.head.push(b);
                }
            }
            _ => {
                if self.head.len() < MAX_HEAD {
                    self.head.push(b);
                }
            }
        }
    }

    /// `INSERT INTO t (a, b) VALUES`: the table and its columns.
    fn insert_head(&mut self) {
        let head = String::from_utf8_lossy(&self.head).into_owned();
        let upper = head.to_ascii_uppercase();
        let Some(into) = upper.find("INTO") else {
            self.table = "?".to_string();
            self.columns.clear();
            return;
        };
        let rest = head[into + 4..].trim_start();
        let (name, after) = split_identifier(rest);
        self.table = name;
        let after = after.trim_start();
        self.columns = if let Some(list) = after.strip_prefix('(') {
            let inner = list.split(')').next().unwrap_or("");
            inner.split(',').map(|c| unquote(c.trim())).collect()
        } else {
            self.schemas.get(&self.table).cloned().unwrap_or_default()
        };
    }

    fn statement_end(&mut self, node: &mut Node<'_>) {
        let head = String::from_utf8_lossy(&self.head).into_owned();
        let trimmed = head.trim_start();
        let upper = trimmed.to_ascii_uppercase();
        if upper.starts_with("CREATE TABLE") {
            let mut rest = trimmed["CREATE TABLE".len()..].trim_start();
            if rest.to_ascii_uppercase().starts_with("IF NOT EXISTS") {
                rest = rest["IF NOT EXISTS".len()..].trim_start();
            }
            let (name, after) = split_identifier(rest);
            let body = after.trim_start().strip_prefix('(').unwrap_or("");
            let columns: Vec<String> = split_top_level(body)
                .into_iter()
                .filter_map(|def| {
                    let def = def.trim();
                    let first = def.split_whitespace().next()?.to_ascii_uppercase();
                    let constraint = [
                        "PRIMARY",
                        "KEY",
                        "UNIQUE",
                        "CONSTRAINT",
                        "INDEX",
                        "FOREIGN",
                        "CHECK",
                        "FULLTEXT",
                        "SPATIAL",
                        ")",
                    ];
                    (!constraint.contains(&first.as_str())).then(|| split_identifier(def).0)
                })
                .collect();
            self.schemas.insert(name, columns);
        } else if upper.starts_with("COPY") && upper.contains("FROM STDIN") {
            let (name, after) = split_identifier(trimmed["COPY".len()..].trim_start());
            self.table = name;
            let after = after.trim_start();
            self.columns = if let Some(list) = after.strip_prefix('(') {
                let inner = list.split(')').next().unwrap_or("");
                inner.split(',').map(|c| unquote(c.trim())).collect()
            } else {
                self.schemas.get(&self.table).cloned().unwrap_or_default()
            };
            self.use_context(node);
            self.state = DumpState::Copy;
            // The data starts on the next line; the rest of this one is the statement's.
            self.skip_rest_of_line = true;
        }
    }

    /// Header context for rows of the current table's columns.
    fn use_context(&mut self, node: &mut Node<'_>) {
        if self.context_for.as_ref() != Some(&self.columns) {
            let columns = Columns::from_header_line(self.columns.join("\t").as_bytes());
            self.chunker.set_columns(node, columns);
            self.context_for = Some(self.columns.clone());
        }
    }

    fn start_tuple(&mut self) {
        self.state = DumpState::FieldStart;
        let row = self.rows.entry(self.table.clone()).or_insert(0);
        *row += 1;
        self.row = *row;
        self.field = 0;
        self.value.clear();
    }

    fn start_value(&mut self) {
        self.value.clear();
        self.value_line = self.line;
    }

    fn push_value(&mut self, b: u8) {
        if self.value.len() < MAX_HEAD {
            self.value.push(b);
        }
    }

    /// `table customers row 17 column ssn`, built by hand: one is made for every value of a
    /// dump, and `format!` was most of the cost of reading one.
    fn location(&self, field: usize) -> String {
        let column = self.columns.get(field);
        let mut row = itoa::Buffer::new();
        let row = row.format(self.row);
        let mut out = String::with_capacity(
            self.table.len() + row.len() + column.map_or(0, |c| c.len() + 8) + 11,
        );
        out.push_str("table ");
        out.push_str(&self.table);
        out.push_str(" row ");
        out.push_str(row);
        if let Some(column) = column {
            out.push_str(" column ");
            out.push_str(column);
        }
        out
    }

    fn end_value(&mut self, node: &mut Node<'_>) {
        if self.field == 0 {
            self.use_context(node);
        }
        for _ in self.written_fields()..self.field {
            self.chunker.push_byte(node, b'\t');
        }
        let is_null = self.value.eq_ignore_ascii_case(b"NULL");
        if !self.value.is_empty() && !is_null {
            self.chunker
                .place(self.location(self.field), Some(self.value_line));
            let value = std::mem::take(&mut self.value);
            self.chunker.push(node, &value);
            self.value = value;
        }
        self.value.clear();
        self.fields_written = self.field;
    }

    fn written_fields(&self) -> usize {
        self.fields_written
    }

    fn end_tuple(&mut self, node: &mut Node<'_>) {
        self.chunker.end_line(node);
        self.fields_written = 0;
        self.state = DumpState::BetweenTuples;
    }

    fn copy_line(&mut self, node: &mut Node<'_>) {
        if std::mem::take(&mut self.skip_rest_of_line) {
            return;
        }
        let line = std::mem::take(&mut self.head);
        let line = line.strip_suffix(b"\r").unwrap_or(&line);
        if line == b"\\." {
            self.state = DumpState::Head(None);
            self.head.clear();
            return;
        }
        let row = self.rows.entry(self.table.clone()).or_insert(0);
        *row += 1;
        self.row = *row;
        for (i, field) in line.split(|&b| b == b'\t').enumerate() {
            if i > 0 {
                self.chunker.push_byte(node, b'\t');
            }
            if field == b"\\N" || field.is_empty() {
                continue;
            }
            let mut value = Vec::with_capacity(field.len());
            let mut escape = false;
            for &b in field {
                if escape {
                    value.push(match b {
                        b'n' | b'r' | b't' => b' ',
                        other => other,
                    });
                    escape = false;
                } else if b == b'\\' {
                    escape = true;
                } else {
                    value.push(b);
                }
            }
            self.chunker.place(self.location(i), Some(self.line));
            self.chunker.push(node, &value);
        }
        self.chunker.end_line(node);
    }

    fn finish(&mut self, node: &mut Node<'_>) {
        if self.state == DumpState::Copy && !self.head.is_empty() {
            self.copy_line(node);
        }
        self.chunker.flush(node);
    }
}

fn upper_ends_with(head: &[u8], word: &[u8]) -> bool {
    let head = head.trim_ascii_end();
    head.len() >= word.len()
        && head[head.len() - word.len()..].eq_ignore_ascii_case(word)
        && head
            .len()
            .checked_sub(word.len() + 1)
            .is_none_or(|i| !head[i].is_ascii_alphanumeric() && head[i] != b'_')
}

/// An identifier (quoted with backticks, double quotes or brackets, possibly schema-qualified)
/// and the text after it.
fn split_identifier(text: &str) -> (String, &str) {
    let mut name = String::new();
    let mut rest = text;
    loop {
        let (part, after) = match rest.chars().next() {
            Some(q @ ('`' | '"' | '[')) => {
                let close = if q == '[' { ']' } else { q };
                let body = &rest[1..];
                match body.find(close) {
                    Some(end) => (&body[..end], &body[end + 1..]),
                    None => (body, ""),
                }
            }
            _ => {
                let end = rest
                    .find(|c: char| !(c.is_alphanumeric() || c == '_' || c == '$'))
                    .unwrap_or(rest.len());
                (&rest[..end], &rest[end..])
            }
        };
        name.push_str(part);
        rest = after;
        if let Some(after_dot) = rest.strip_prefix('.') {
            name.push('.');
            rest = after_dot;
        } else {
            break;
        }
    }
    // A byte cap could fall inside a multi-byte character (a panic): cut at a boundary.
    name.truncate(name.floor_char_boundary(MAX_NAME));
    (name, rest)
}

fn unquote(text: &str) -> String {
    split_identifier(text).0
}

/// Splits a column definition list at top-level commas.
fn split_top_level(body: &str) -> Vec<&str> {
    let mut parts = Vec::new();
    let mut depth = 0i32;
    let mut start = 0;
    let mut quote: Option<char> = None;
    for (i, c) in body.char_indices() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), _) => {}
            (None, '\'' | '"' | '`') => quote = Some(c),
            (None, '(') => depth += 1,
            (None, ')') if depth == 0 => {
                parts.push(&body[start..i]);
                return parts;
            }
            (None, ')') => depth -= 1,
            (None, ',') if depth == 0 => {
                parts.push(&body[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    parts.push(&body[start..]);
    parts
}

// ---------------------------------------------------------------------------------------------
// JSON

pub fn json(node: &mut Node<'_>, format: Format, input: Input<'_>) -> Result<Note, String> {
    let ndjson = format == Format::Ndjson;
    let mut parser = Json {
        reader: BufReader::with_capacity(256 * 1024, input),
        line: 1,
        peeked: None,
        chunker: SegmentChunker::new(node),
        emitted: false,
    };
    let mut bad_lines = Vec::new();
    loop {
        match parser.document(node, ndjson) {
            Ok(true) => {}
            Ok(false) => break,
            Err(e) if ndjson => {
                // One bad record does not hide the others: skip to the next line.
                if bad_lines.len() < 10 {
                    bad_lines.push(format!("line {}: {e}", parser.line));
                }
                if !parser.skip_line() {
                    break;
                }
            }
            Err(e) => {
                parser.chunker.flush(node);
                if !parser.emitted {
                    return Err(format!("malformed JSON at line {}: {e}", parser.line));
                }
                return Ok(Note::with(
                    format.name(),
                    Status::Truncated,
                    format!(
                        "malformed JSON at line {}: {e}; values before it were read, the rest was not",
                        parser.line
                    ),
                ));
            }
        }
    }
    parser.chunker.flush(node);
    if bad_lines.is_empty() {
        Ok(Note::scanned(format.name()))
    } else {
        Ok(Note::with(
            format.name(),
            Status::Truncated,
            format!("malformed records skipped: {}", bad_lines.join("; ")),
        ))
    }
}

enum Frame {
    Object(Option<String>),
    Array(u64),
}

struct Json<R> {
    reader: BufReader<R>,
    line: u64,
    peeked: Option<u8>,
    chunker: SegmentChunker,
    emitted: bool,
}

type JsonResult<T> = Result<T, String>;

impl<R: Read> Json<R> {
    fn next(&mut self) -> JsonResult<Option<u8>> {
        if let Some(b) = self.peeked.take() {
            return Ok(Some(b));
        }
        loop {
            let byte = match self.reader.fill_buf() {
                Ok(buffered) => buffered.first().copied(),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(format!("read failed: {}", io_reason(&e))),
            };
            if let Some(byte) = byte {
                self.reader.consume(1);
                if byte == b'\n' {
                    self.line += 1;
                }
            }
            return Ok(byte);
        }
    }

    fn peek(&mut self) -> JsonResult<Option<u8>> {
        if self.peeked.is_none() {
            self.peeked = self.next()?;
        }
        Ok(self.peeked)
    }

    fn skip_ws(&mut self) -> JsonResult<Option<u8>> {
        loop {
            match self.peek()? {
                Some(b' ' | b'\t' | b'\r' | b'\n') => {
                    self.peeked = None;
                }
                // A UTF-8 byte order mark at the start.
                Some(0xef | 0xbb | 0xbf) => {
                    self.peeked = None;
                }
                other => return Ok(other),
            }
        }
    }

    fn expect_byte(&mut self) -> JsonResult<u8> {
        self.next()?
            .ok_or_else(|| "unexpected end of data".to_string())
    }

    /// Skips the rest of a line after a malformed NDJSON record; false at the end of data.
    fn skip_line(&mut self) -> bool {
        if self.peeked == Some(b'\n') {
            self.peeked = None;
            return true;
        }
        loop {
            match self.next() {
                Ok(Some(b'\n')) => return true,
                Ok(Some(_)) => {}
                _ => return false,
            }
        }
    }

    /// Reads one top-level value; false at the end of data.
    fn document(&mut self, node: &mut Node<'_>, ndjson: bool) -> JsonResult<bool> {
        if self.skip_ws()?.is_none() {
            return Ok(false);
        }
        let prefix = if ndjson {
            format!("line {} $", self.line)
        } else {
            "$".to_string()
        };
        let mut stack: Vec<Frame> = Vec::new();
        // A record is a whole NDJSON line, or an element of a top-level array.
        let record_depth = if ndjson { 0 } else { 1 };
        loop {
            // A value.
            let start = self.skip_ws()?.ok_or("unexpected end of data")?;
            match start {
                b'{' => {
                    self.peeked = None;
                    if stack.len() >= MAX_JSON_DEPTH {
                        return Err("nested too deep".to_string());
                    }
                    if self.skip_ws()? == Some(b'}') {
                        self.peeked = None;
                    } else {
                        let key = self.key()?;
                        stack.push(Frame::Object(Some(key)));
                        continue;
                    }
                }
                b'[' => {
                    self.peeked = None;
                    if stack.len() >= MAX_JSON_DEPTH {
                        return Err("nested too deep".to_string());
                    }
                    if self.skip_ws()? == Some(b']') {
                        self.peeked = None;
                    } else {
                        stack.push(Frame::Array(0));
                        continue;
                    }
                }
                _ => self.scalar(node, &prefix, &stack)?,
            }
            if stack.len() <= record_depth {
                self.chunker.end_record(node);
            }
            // After a value: close containers or move to the next member.
            loop {
                let Some(frame) = stack.last_mut() else {
                    return Ok(true);
                };
                let b = self.skip_ws()?.ok_or("unexpected end of data")?;
                self.peeked = None;
                match (frame, b) {
                    (Frame::Object(_), b'}') | (Frame::Array(_), b']') => {
                        stack.pop();
                        if stack.len() <= record_depth {
                            self.chunker.end_record(node);
                        }
                    }
                    (Frame::Object(key), b',') => {
                        *key = None;
                        let next = self.key()?;
                        if let Some(Frame::Object(key)) = stack.last_mut() {
                            *key = Some(next);
                        }
                        break;
                    }
                    (Frame::Array(index), b',') => {
                        *index += 1;
                        break;
                    }
                    (_, other) => {
                        return Err(format!("unexpected '{}'", char::from(other)));
                    }
                }
            }
        }
    }

    /// `"key":` — the key, cut to a sane length.
    fn key(&mut self) -> JsonResult<String> {
        if self.skip_ws()? != Some(b'"') {
            return Err("expected a key".to_string());
        }
        self.peeked = None;
        let mut key = Vec::new();
        // Read to its end whatever its length; only MAX_NAME bytes are kept.
        self.string(&mut key, MAX_NAME, usize::MAX)?;
        if self.skip_ws()? != Some(b':') {
            return Err("expected ':' after a key".to_string());
        }
        self.peeked = None;
        Ok(String::from_utf8_lossy(&key).into_owned())
    }

    /// A string's content after its opening quote, unescaped, appended to `out` up to `limit`
    /// bytes (the rest is read and dropped), until the closing quote (true) or until `out`
    /// holds `piece` bytes (false: the string goes on, and the next call reads on). Plain bytes
    /// are taken from the read buffer in runs, not one call at a time: strings are most of a
    /// JSON file.
    fn string(&mut self, out: &mut Vec<u8>, limit: usize, piece: usize) -> JsonResult<bool> {
        let push = |out: &mut Vec<u8>, byte: u8| {
            if out.len() < limit {
                out.push(byte);
            }
        };
        loop {
            if out.len() >= piece {
                return Ok(false);
            }
            if self.peeked.is_none() {
                let buffered = match self.reader.fill_buf() {
                    Ok(buffered) => buffered,
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                    Err(e) => return Err(format!("read failed: {}", io_reason(&e))),
                };
                let plain = buffered
                    .iter()
                    .position(|&b| matches!(b, b'"' | b'\\' | b'\n' | b'\r' | b'\t'))
                    .unwrap_or(buffered.len());
                let plain = plain.min(piece - out.len());
                let room = limit.saturating_sub(out.len());
                out.extend_from_slice(&buffered[..plain.min(room)]);
                self.reader.consume(plain);
                if out.len() >= piece {
                    return Ok(false);
                }
            }
            let b = self.expect_byte()?;
            match b {
                b'"' => return Ok(true),
                b'\\' => {
                    let e = self.expect_byte()?;
                    match e {
                        b'n' | b'r' | b't' | b'b' | b'f' => push(out, b' '),
                        b'u' => {
                            let mut code = self.hex4()?;
                            if (0xd800..0xdc00).contains(&code) {
                                // A surrogate pair.
                                if self.expect_byte()? == b'\\' && self.expect_byte()? == b'u' {
                                    let low = self.hex4()?;
                                    code = 0x10000
                                        + ((code - 0xd800) << 10)
                                        + (low.wrapping_sub(0xdc00) & 0x3ff);
                                }
                            }
                            let c = char::from_u32(code).unwrap_or('\u{fffd}');
                            let c = if c.is_control() { ' ' } else { c };
                            let mut utf8 = [0u8; 4];
                            for &byte in c.encode_utf8(&mut utf8).as_bytes() {
                                push(out, byte);
                            }
                        }
                        other => push(out, other),
                    }
                }
                b'\n' | b'\r' | b'\t' => push(out, b' '),
                other => push(out, other),
            }
        }
    }

    fn hex4(&mut self) -> JsonResult<u32> {
        let mut code = 0u32;
        for _ in 0..4 {
            let digit = char::from(self.expect_byte()?)
                .to_digit(16)
                .ok_or("bad \\u escape")?;
            code = code * 16 + digit;
        }
        Ok(code)
    }

    /// A string, number, true, false or null, emitted as `key: value` at its path.
    fn scalar(&mut self, node: &mut Node<'_>, prefix: &str, stack: &[Frame]) -> JsonResult<()> {
        // Sized once for the keys below: built up from empty, every value's path grew twice.
        let mut path = String::with_capacity(prefix.len() + 64);
        path.push_str(prefix);
        let mut key: Option<&str> = None;
        for frame in stack {
            match frame {
                Frame::Object(Some(k)) => {
                    if !k.is_empty()
                        && k.chars()
                            .all(|c| c.is_alphanumeric() || c == '_' || c == '-')
                    {
                        path.push('.');
                        path.push_str(k);
                    } else {
                        path.push_str(&format!("['{}']", k.replace('\'', "\\'")));
                    }
                    key = Some(k);
                }
                Frame::Object(None) => {}
                Frame::Array(i) => path.push_str(&format!("[{i}]")),
            }
        }
        let line = self.line;
        let first = self.expect_byte()?;
        if first == b'"' {
            let mut value = Vec::with_capacity(64);
            let mut finished = self.string(&mut value, usize::MAX, STRING_PIECE)?;
            if finished && value.trim_ascii().is_empty() {
                return Ok(());
            }
            // A string longer than a piece goes to the chunker piece by piece, which cuts it
            // with overlap like a long line: memory stays bounded whatever its length.
            self.begin_value(node, path, key, line);
            self.chunker.push(node, &value);
            while !finished {
                value.clear();
                finished = self.string(&mut value, usize::MAX, STRING_PIECE)?;
                self.chunker.push(node, &value);
            }
            self.chunker.end_value(node);
            return Ok(());
        }
        if !(first == b'-' || first.is_ascii_alphanumeric()) {
            return Err(format!("unexpected '{}'", char::from(first)));
        }
        let mut value = vec![first];
        while let Some(b) = self.peek()? {
            if b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'+') {
                if value.len() < MAX_NAME {
                    value.push(b);
                }
                self.peeked = None;
            } else {
                break;
            }
        }
        if !matches!(value.as_slice(), b"true" | b"false" | b"null") {
            // Numbers are kept as written: a 16-digit card number stays exact.
            self.emit(node, path, key, &value, line);
        }
        Ok(())
    }

    fn emit(
        &mut self,
        node: &mut Node<'_>,
        path: String,
        key: Option<&str>,
        value: &[u8],
        line: u64,
    ) {
        self.begin_value(node, path, key, line);
        self.chunker.push(node, value);
        self.chunker.end_value(node);
    }

    /// Places a value and writes its key; the value's text follows.
    fn begin_value(&mut self, node: &mut Node<'_>, path: String, key: Option<&str>, line: u64) {
        self.chunker.place(path, Some(line));
        if let Some(key) = key {
            // The key right before its value is the context the detectors look for.
            self.chunker.push_str(node, key);
            self.chunker.push_str(node, ": ");
        }
        self.emitted = true;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identifiers() {
        assert_eq!(split_identifier("`customers` (a)").0, "customers");
        assert_eq!(split_identifier("public.\"Users\" x").0, "public.Users");
        assert_eq!(split_identifier("[dbo].[t] VALUES").0, "dbo.t");
    }

    #[test]
    fn create_table_columns() {
        let parts = split_top_level(
            "`id` int(11) NOT NULL, `ssn` varchar(11), PRIMARY KEY (`id`)) ENGINE=x",
        );
        assert_eq!(parts.len(), 3);
    }
}
