//! Mail: RFC 5322 messages and mbox files (headers, bodies in every transfer encoding,
//! attachments recursively), and Outlook PST stores.

use std::collections::HashSet;
use std::io::{self, BufRead, BufReader, Read};

use encoding_rs::{Decoder, Encoding};

use super::archive::display_name;
use super::sniff::Format;
use super::{Input, MemberInfo, Node, Note, Status, io_reason};
use crate::content::{Placement, Segment, TextChunk};

/// Longest line kept whole; longer lines arrive in pieces (a base64 body without line breaks).
const MAX_LINE: usize = 64 * 1024;
/// Header bytes of one entity kept for decoding; further header lines are read past.
const MAX_HEADER_BYTES: usize = 256 * 1024;
/// Multipart levels opened; deeper ones are read as raw text (no recursion, no stack growth).
const MAX_MIME_DEPTH: usize = 16;
/// Decoded bytes handed on per read of a body.
const READ_BYTES: usize = 64 * 1024;
/// Headers whose values are scanned: the people and the words of a message, not its routing.
const SCANNED_HEADERS: &[&str] = &[
    "from",
    "to",
    "cc",
    "bcc",
    "reply-to",
    "sender",
    "return-path",
    "delivered-to",
    "x-original-to",
    "subject",
    "comments",
    "keywords",
    "organization",
    "disposition-notification-to",
];

/// .eml messages (one entity tree) and mbox files (each message a member `message N`).
pub fn mime(node: &mut Node<'_>, format: Format, mut input: Input<'_>) -> Result<Note, String> {
    let mut lines = Lines::new(&mut input);
    match format {
        Format::Mbox => mbox(node, &mut lines),
        _ => {
            // A single message saved with its mbox "From " envelope line.
            let mut first = Vec::new();
            if let Some(info) = lines.next(&mut first).map_err(|e| io_reason(&e))?
                && !(info.starts && first.starts_with(b"From "))
            {
                lines.unread(first, info);
            }
            message(node, &mut lines, "eml")
        }
    }
}

/// Outlook stores: no maintained, safe parser exists, so they are listed and not opened.
pub fn pst(_node: &mut Node<'_>, _input: Input<'_>) -> Result<Note, String> {
    Ok(Note::with(
        Format::Pst.name(),
        Status::Skipped,
        "Outlook PST stores are not opened: no maintained parser; export to mbox/eml",
    ))
}

/// Reads one message (headers, bodies, attachments) from `lines`.
fn message(node: &mut Node<'_>, lines: &mut Lines<'_>, format: &str) -> Result<Note, String> {
    let mut mime = Mime {
        lines,
        boundaries: Vec::new(),
        leaves: 0,
        bodies: 0,
        attachments: 0,
        names: HashSet::new(),
        problems: Vec::new(),
    };
    let result = entity(node, &mut mime, true);
    let mut problems = std::mem::take(&mut mime.problems);
    let status = match result {
        Ok(_) => Status::Scanned,
        Err(e) => {
            problems.push(format!("read failed: {}", io_reason(&e)));
            Status::Truncated
        }
    };
    Ok(Note::with(format, status, problems.join("; ")))
}

/// Splits an mbox at its "From " lines; each message is a member.
fn mbox(node: &mut Node<'_>, lines: &mut Lines<'_>) -> Result<Note, String> {
    let mut count = 0usize;
    let mut line = Vec::new();
    // Skip to the first envelope line.
    loop {
        match lines.next(&mut line).map_err(|e| io_reason(&e))? {
            None => return Ok(Note::with("mbox", Status::Scanned, "no messages")),
            Some(info) if info.starts && line.starts_with(b"From ") => break,
            Some(_) => {}
        }
    }
    loop {
        count += 1;
        if count > node.limits.max_entries {
            node.member_not_read(
                &format!("message {count}"),
                MemberInfo::default(),
                "eml",
                Status::Skipped,
                format!(
                    "mbox has more than {} messages (--max-entries); not read",
                    node.limits.max_entries
                ),
            );
            return Ok(Note::with(
                "mbox",
                Status::Truncated,
                format!(
                    "stopped after {} messages (--max-entries); later messages not listed",
                    node.limits.max_entries
                ),
            ));
        }
        let mut reader = MboxMessage {
            lines,
            out: Vec::new(),
            pos: 0,
            previous_blank: false,
            next_message: false,
            done: false,
        };
        node.member(
            &format!("message {count}"),
            &mut reader,
            MemberInfo::default(),
        );
        let drained = io::copy(&mut reader, &mut io::sink());
        if let Err(e) = drained {
            return Ok(Note::with(
                "mbox",
                Status::Truncated,
                format!("read failed after {count} message(s): {}", io_reason(&e)),
            ));
        }
        if !reader.next_message {
            break;
        }
    }
    Ok(Note::scanned("mbox"))
}

/// One message of an mbox: its lines up to the next envelope line, with mboxrd `>From `
/// quoting undone.
struct MboxMessage<'a, 'r> {
    lines: &'a mut Lines<'r>,
    out: Vec<u8>,
    pos: usize,
    previous_blank: bool,
    next_message: bool,
    done: bool,
}

impl Read for MboxMessage<'_, '_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        while self.pos >= self.out.len() {
            if self.done {
                return Ok(0);
            }
            self.pos = 0;
            let Some(info) = self.lines.next(&mut self.out)? else {
                self.out.clear();
                self.done = true;
                return Ok(0);
            };
            if info.starts && self.previous_blank && self.out.starts_with(b"From ") {
                // The envelope line of the next message: consumed here, the caller goes on.
                self.out.clear();
                self.done = true;
                self.next_message = true;
                return Ok(0);
            }
            self.previous_blank = info.starts && info.ends && trim_eol(&self.out).is_empty();
            if info.starts && self.out.starts_with(b">") {
                let quotes = self.out.iter().take_while(|&&b| b == b'>').count();
                if self.out[quotes..].starts_with(b"From ") {
                    self.out.remove(0);
                }
            }
        }
        let n = buf.len().min(self.out.len() - self.pos);
        buf[..n].copy_from_slice(&self.out[self.pos..self.pos + n]);
        self.pos += n;
        Ok(n)
    }
}

/// Where a line sits: at the start of a line, and whether it ends one.
#[derive(Debug, Clone, Copy)]
struct LineInfo {
    starts: bool,
    ends: bool,
}

/// Lines of a stream with their terminators, each at most `MAX_LINE` bytes (longer lines come
/// in pieces), with one line of push-back.
struct Lines<'r> {
    inner: BufReader<&'r mut dyn Read>,
    at_start: bool,
    pushed: Option<(Vec<u8>, LineInfo)>,
}

impl<'r> Lines<'r> {
    fn new(inner: &'r mut dyn Read) -> Self {
        Lines {
            inner: BufReader::with_capacity(64 * 1024, inner),
            at_start: true,
            pushed: None,
        }
    }

    fn unread(&mut self, line: Vec<u8>, info: LineInfo) {
        self.pushed = Some((line, info));
    }

    /// The next line or piece of a line into `buf` (cleared first); `None` at the end.
    fn next(&mut self, buf: &mut Vec<u8>) -> io::Result<Option<LineInfo>> {
        buf.clear();
        if let Some((line, info)) = self.pushed.take() {
            buf.extend_from_slice(&line);
            return Ok(Some(info));
        }
        let starts = self.at_start;
        loop {
            let available = match self.inner.fill_buf() {
                Ok(available) => available,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            };
            if available.is_empty() {
                self.at_start = true;
                return Ok((!buf.is_empty()).then_some(LineInfo {
                    starts,
                    ends: false,
                }));
            }
            let room = MAX_LINE - buf.len();
            let window = &available[..available.len().min(room)];
            if let Some(newline) = memchr::memchr(b'\n', window) {
                buf.extend_from_slice(&window[..=newline]);
                self.inner.consume(newline + 1);
                self.at_start = true;
                return Ok(Some(LineInfo { starts, ends: true }));
            }
            let taken = window.len();
            buf.extend_from_slice(window);
            self.inner.consume(taken);
            if buf.len() >= MAX_LINE {
                self.at_start = false;
                return Ok(Some(LineInfo {
                    starts,
                    ends: false,
                }));
            }
        }
    }
}

fn trim_eol(line: &[u8]) -> &[u8] {
    let line = line.strip_suffix(b"\n").unwrap_or(line);
    line.strip_suffix(b"\r").unwrap_or(line)
}

fn trim_end_space(line: &[u8]) -> &[u8] {
    let end = line
        .iter()
        .rposition(|b| !b.is_ascii_whitespace())
        .map_or(0, |p| p + 1);
    &line[..end]
}

/// How a part ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum End {
    Eof,
    /// A delimiter of the multipart at `level` of the boundary stack; `close` for `--b--`.
    Boundary {
        level: usize,
        close: bool,
    },
}

/// Whether a line is a delimiter of one of the open multiparts (innermost first).
fn boundary_hit(line: &[u8], info: LineInfo, boundaries: &[Vec<u8>]) -> Option<End> {
    if !info.starts || !line.starts_with(b"--") {
        return None;
    }
    let line = trim_end_space(&line[2..]);
    for (level, boundary) in boundaries.iter().enumerate().rev() {
        if let Some(rest) = line.strip_prefix(boundary.as_slice()) {
            if rest.is_empty() {
                return Some(End::Boundary {
                    level,
                    close: false,
                });
            }
            if rest == b"--" {
                return Some(End::Boundary { level, close: true });
            }
        }
    }
    None
}

/// The state of one message being read.
struct Mime<'a, 'r> {
    lines: &'a mut Lines<'r>,
    boundaries: Vec<Vec<u8>>,
    /// Leaf parts seen so far (names unnamed attachments: `part N`).
    leaves: usize,
    /// Text bodies seen so far (the first is `body`, later ones `body part N`).
    bodies: usize,
    /// Attachments seen so far (bounded by `--max-entries`).
    attachments: usize,
    names: HashSet<String>,
    problems: Vec<String>,
}

impl Mime<'_, '_> {
    /// Records a problem once, however often it recurs.
    fn problem(&mut self, text: String) {
        if !self.problems.contains(&text) {
            self.problems.push(text);
        }
    }
}

/// One header, unfolded, with its raw value.
struct Header {
    name: String,
    value: Vec<u8>,
}

/// Reads a header block up to the blank line (or a line that cannot be a header, or a
/// delimiter, which ends the part at once).
fn read_headers(mime: &mut Mime<'_, '_>) -> io::Result<(Vec<Header>, Option<End>)> {
    let mut headers: Vec<Header> = Vec::new();
    let mut kept = 0usize;
    let mut line = Vec::new();
    let mut cut = false;
    loop {
        let Some(info) = mime.lines.next(&mut line)? else {
            return Ok((headers, Some(End::Eof)));
        };
        if let Some(end) = boundary_hit(&line, info, &mime.boundaries) {
            return Ok((headers, Some(end)));
        }
        let content = trim_eol(&line);
        if info.starts && content.is_empty() {
            break;
        }
        if !info.starts {
            // The rest of an over-long header line.
            continue;
        }
        if matches!(content.first(), Some(b' ' | b'\t')) {
            if let Some(last) = headers.last_mut()
                && kept + content.len() <= MAX_HEADER_BYTES
            {
                kept += content.len();
                last.value.push(b' ');
                last.value.extend_from_slice(trim_space(content));
            }
            continue;
        }
        let colon = content.iter().position(|&b| b == b':');
        let name_ok = colon.is_some_and(|c| {
            c > 0
                && content[..c]
                    .iter()
                    .all(|&b| b.is_ascii_graphic() || b == b' ')
        });
        if !name_ok {
            // Not a header: the body starts without the blank line.
            let line = std::mem::take(&mut line);
            mime.lines.unread(line, info);
            break;
        }
        let colon = colon.unwrap_or(0);
        if kept + content.len() > MAX_HEADER_BYTES {
            cut = true;
            continue;
        }
        kept += content.len();
        headers.push(Header {
            name: String::from_utf8_lossy(trim_space(&content[..colon])).into_owned(),
            value: trim_space(&content[colon + 1..]).to_vec(),
        });
    }
    if cut {
        mime.problem(format!(
            "header block longer than {MAX_HEADER_BYTES} bytes: the rest was not scanned"
        ));
    }
    Ok((headers, None))
}

fn trim_space(bytes: &[u8]) -> &[u8] {
    let start = bytes
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .unwrap_or(bytes.len());
    trim_end_space(&bytes[start..])
}

fn header<'h>(headers: &'h [Header], name: &str) -> Option<&'h [u8]> {
    headers
        .iter()
        .find(|h| h.name.eq_ignore_ascii_case(name))
        .map(|h| h.value.as_slice())
}

/// Transfer encodings of a part body.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Transfer {
    Identity,
    Base64,
    QuotedPrintable,
}

/// What a part's headers say about it.
struct PartKind {
    mime_type: String,
    params: Vec<(String, String)>,
    transfer: Transfer,
    attachment: bool,
    filename: Option<String>,
}

impl PartKind {
    fn param(&self, name: &str) -> Option<&str> {
        self.params
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

fn part_kind(headers: &[Header], parent_digest: bool) -> PartKind {
    let (mut mime_type, params) = header(headers, "content-type")
        .map(parse_content_field)
        .unwrap_or_default();
    if mime_type.is_empty() {
        mime_type = if parent_digest {
            "message/rfc822".to_string()
        } else {
            "text/plain".to_string()
        };
    }
    let transfer = match header(headers, "content-transfer-encoding")
        .map(|v| String::from_utf8_lossy(trim_space(v)).to_ascii_lowercase())
        .as_deref()
    {
        Some("base64") => Transfer::Base64,
        Some("quoted-printable") => Transfer::QuotedPrintable,
        _ => Transfer::Identity,
    };
    let (disposition, disposition_params) = header(headers, "content-disposition")
        .map(parse_content_field)
        .unwrap_or_default();
    let find = |params: &[(String, String)], name: &str| {
        params
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.clone())
    };
    let filename = find(&disposition_params, "filename")
        .or_else(|| find(&params, "name"))
        .filter(|f| !f.trim().is_empty());
    PartKind {
        mime_type,
        params,
        transfer,
        attachment: disposition == "attachment",
        filename,
    }
}

/// `type/subtype; a=b; c="d"` (also Content-Disposition), with RFC 2231 continuations and
/// charsets and RFC 2047 words in values. The first value is lower-cased.
fn parse_content_field(value: &[u8]) -> (String, Vec<(String, String)>) {
    let text = String::from_utf8_lossy(value);
    let mut parts = split_params(&text).into_iter();
    let main = parts
        .next()
        .map(|m| m.trim().to_ascii_lowercase())
        .unwrap_or_default();
    // name -> (section, encoded, value)
    let mut raw: Vec<(String, usize, bool, String)> = Vec::new();
    for part in parts {
        let Some((name, value)) = part.split_once('=') else {
            continue;
        };
        let name = name.trim().to_ascii_lowercase();
        let value = unquote(value.trim());
        let (base, section, encoded) = match name.split_once('*') {
            None => (name.clone(), 0, false),
            Some((base, rest)) => {
                let encoded = rest.ends_with('*') || rest.is_empty();
                let number = rest.trim_end_matches('*');
                (base.to_string(), number.parse().unwrap_or(0), encoded)
            }
        };
        raw.push((base, section, encoded, value));
    }
    let mut params: Vec<(String, String)> = Vec::new();
    let mut names: Vec<String> = raw.iter().map(|r| r.0.clone()).collect();
    names.dedup();
    let mut seen = HashSet::new();
    for name in names {
        if !seen.insert(name.clone()) {
            continue;
        }
        let mut pieces: Vec<&(String, usize, bool, String)> =
            raw.iter().filter(|r| r.0 == name).collect();
        pieces.sort_by_key(|r| r.1);
        let extended = pieces.iter().any(|r| r.2);
        let value = if extended {
            decode_rfc2231(&pieces)
        } else {
            pieces.iter().map(|r| r.3.as_str()).collect::<String>()
        };
        params.push((name, decode_words(value.as_bytes())));
    }
    (main, params)
}

fn split_params(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut current = String::new();
    let mut quoted = false;
    let mut escaped = false;
    for c in text.chars() {
        if escaped {
            current.push(c);
            escaped = false;
            continue;
        }
        match c {
            '\\' if quoted => {
                current.push(c);
                escaped = true;
            }
            '"' => {
                quoted = !quoted;
                current.push(c);
            }
            ';' if !quoted => out.push(std::mem::take(&mut current)),
            c => current.push(c),
        }
    }
    out.push(current);
    out
}

fn unquote(value: &str) -> String {
    let Some(inner) = value.strip_prefix('"') else {
        return value.to_string();
    };
    let inner = inner.strip_suffix('"').unwrap_or(inner);
    let mut out = String::with_capacity(inner.len());
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            if let Some(next) = chars.next() {
                out.push(next);
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// `utf-8'en'%E2%82%AC` pieces: percent-decoded, in the charset of the first piece.
fn decode_rfc2231(pieces: &[&(String, usize, bool, String)]) -> String {
    let mut bytes = Vec::new();
    let mut charset = None;
    for (index, (_, _, encoded, value)) in pieces.iter().enumerate() {
        let mut value = value.as_str();
        if index == 0 && *encoded {
            let mut fields = value.splitn(3, '\'');
            if let (Some(cs), Some(_lang), Some(rest)) =
                (fields.next(), fields.next(), fields.next())
            {
                charset = Some(cs.to_string());
                value = rest;
            }
        }
        if *encoded {
            bytes.extend(percent_decode(value.as_bytes()));
        } else {
            bytes.extend_from_slice(value.as_bytes());
        }
    }
    decode_charset(&bytes, charset.as_deref())
}

fn percent_decode(value: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(value.len());
    let mut i = 0;
    while i < value.len() {
        if value[i] == b'%'
            && let (Some(h), Some(l)) = (
                value.get(i + 1).and_then(|&b| hex(b)),
                value.get(i + 2).and_then(|&b| hex(b)),
            )
        {
            out.push(h << 4 | l);
            i += 3;
            continue;
        }
        out.push(value[i]);
        i += 1;
    }
    out
}

fn hex(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

/// Bytes in a named charset as a string; unknown charsets and raw 8-bit header bytes are read
/// as UTF-8 when valid, else Windows-1252.
fn decode_charset(bytes: &[u8], charset: Option<&str>) -> String {
    let label = charset.map(|c| c.split('*').next().unwrap_or(c).trim());
    if let Some(encoding) = label.and_then(|l| Encoding::for_label(l.as_bytes())) {
        return encoding.decode_without_bom_handling(bytes).0.into_owned();
    }
    match std::str::from_utf8(bytes) {
        Ok(text) => text.to_string(),
        Err(_) => encoding_rs::WINDOWS_1252
            .decode_without_bom_handling(bytes)
            .0
            .into_owned(),
    }
}

/// Decodes RFC 2047 encoded words (`=?utf-8?B?...?=`, `=?iso-8859-1?Q?...?=`); whitespace
/// between two encoded words is dropped, as the RFC says.
fn decode_words(value: &[u8]) -> String {
    let mut out = String::new();
    let mut rest = value;
    let mut pending_space: Vec<u8> = Vec::new();
    let mut last_was_word = false;
    while !rest.is_empty() {
        if rest.starts_with(b"=?")
            && let Some((decoded, used)) = encoded_word(rest)
        {
            if !last_was_word {
                out.push_str(&decode_charset(&pending_space, None));
            }
            pending_space.clear();
            out.push_str(&decoded);
            rest = &rest[used..];
            last_was_word = true;
            continue;
        }
        let next = memchr::memmem::find(&rest[1..], b"=?").map_or(rest.len(), |p| p + 1);
        let (text, tail) = rest.split_at(next);
        let is_space = text.iter().all(|b| b.is_ascii_whitespace());
        if last_was_word && is_space {
            pending_space.extend_from_slice(text);
        } else {
            out.push_str(&decode_charset(&pending_space, None));
            pending_space.clear();
            out.push_str(&decode_charset(text, None));
            last_was_word = false;
        }
        rest = tail;
    }
    out.push_str(&decode_charset(&pending_space, None));
    out
}

/// One `=?charset?enc?text?=` word at the start of `input`: its text and the bytes it used.
fn encoded_word(input: &[u8]) -> Option<(String, usize)> {
    let body = &input[2..];
    let q1 = body.iter().position(|&b| b == b'?')?;
    let charset = std::str::from_utf8(&body[..q1]).ok()?;
    let encoding = *body.get(q1 + 1)?;
    if body.get(q1 + 2) != Some(&b'?') {
        return None;
    }
    let text_start = q1 + 3;
    let end = memchr::memmem::find(&body[text_start..], b"?=")? + text_start;
    let text = &body[text_start..end];
    if text.iter().any(|b| b.is_ascii_whitespace()) {
        return None;
    }
    let bytes = match encoding.to_ascii_uppercase() {
        b'B' => {
            let mut state = Base64::default();
            let mut out = Vec::new();
            state.push(text, &mut out);
            state.finish(&mut out);
            out
        }
        b'Q' => {
            let mut out = Vec::with_capacity(text.len());
            let mut i = 0;
            while i < text.len() {
                match text[i] {
                    b'_' => out.push(b' '),
                    b'=' => {
                        if let (Some(h), Some(l)) = (
                            text.get(i + 1).and_then(|&b| hex(b)),
                            text.get(i + 2).and_then(|&b| hex(b)),
                        ) {
                            out.push(h << 4 | l);
                            i += 3;
                            continue;
                        }
                        out.push(b'=');
                    }
                    b => out.push(b),
                }
                i += 1;
            }
            out
        }
        _ => return None,
    };
    Some((decode_charset(&bytes, Some(charset)), 2 + end + 2))
}

/// A streaming base64 decoder that skips line breaks and stray characters.
#[derive(Default)]
struct Base64 {
    quad: [u8; 4],
    filled: usize,
}

impl Base64 {
    fn push(&mut self, input: &[u8], out: &mut Vec<u8>) {
        for &b in input {
            let value = match b {
                b'A'..=b'Z' => b - b'A',
                b'a'..=b'z' => b - b'a' + 26,
                b'0'..=b'9' => b - b'0' + 52,
                b'+' | b'-' => 62,
                b'/' | b'_' => 63,
                b'=' => {
                    self.finish(out);
                    continue;
                }
                _ => continue,
            };
            self.quad[self.filled] = value;
            self.filled += 1;
            if self.filled == 4 {
                let q = self.quad;
                out.push(q[0] << 2 | q[1] >> 4);
                out.push(q[1] << 4 | q[2] >> 2);
                out.push(q[2] << 6 | q[3]);
                self.filled = 0;
            }
        }
    }

    /// Emits the bytes of a partial group (at padding or the end of the data).
    fn finish(&mut self, out: &mut Vec<u8>) {
        let q = self.quad;
        if self.filled >= 2 {
            out.push(q[0] << 2 | q[1] >> 4);
        }
        if self.filled >= 3 {
            out.push(q[1] << 4 | q[2] >> 2);
        }
        self.filled = 0;
    }
}

/// The decoded body of one leaf part, ending at the next delimiter of any open multipart.
struct PartReader<'m, 'a, 'r> {
    mime: &'m mut Mime<'a, 'r>,
    transfer: Transfer,
    line: Vec<u8>,
    out: Vec<u8>,
    pos: usize,
    end: Option<End>,
    base64: Base64,
    /// A line ending held back: the one before a delimiter belongs to the delimiter.
    held_eol: Vec<u8>,
    /// The tail of a quoted-printable piece that may be a cut `=XX`.
    qp_carry: Vec<u8>,
}

impl<'m, 'a, 'r> PartReader<'m, 'a, 'r> {
    fn new(mime: &'m mut Mime<'a, 'r>, transfer: Transfer) -> Self {
        PartReader {
            mime,
            transfer,
            line: Vec::new(),
            out: Vec::new(),
            pos: 0,
            end: None,
            base64: Base64::default(),
            held_eol: Vec::new(),
            qp_carry: Vec::new(),
        }
    }

    /// Reads to the end of the part, decoding nothing more than needed; returns how it ended.
    fn finish(mut self) -> io::Result<End> {
        self.transfer = Transfer::Identity;
        while self.end.is_none() {
            self.out.clear();
            self.pos = 0;
            self.fill()?;
        }
        Ok(self.end.unwrap_or(End::Eof))
    }

    /// Decodes the next line into `out`, or records the end.
    fn fill(&mut self) -> io::Result<()> {
        let Some(info) = self.mime.lines.next(&mut self.line)? else {
            self.end = Some(End::Eof);
            self.flush_tail();
            return Ok(());
        };
        if let Some(end) = boundary_hit(&self.line, info, &self.mime.boundaries) {
            self.end = Some(end);
            self.flush_tail();
            return Ok(());
        }
        match self.transfer {
            Transfer::Identity => {
                let content_len = if info.ends {
                    trim_eol(&self.line).len()
                } else {
                    self.line.len()
                };
                self.out.append(&mut self.held_eol);
                self.out.extend_from_slice(&self.line[..content_len]);
                self.held_eol.extend_from_slice(&self.line[content_len..]);
            }
            Transfer::Base64 => self.base64.push(&self.line, &mut self.out),
            Transfer::QuotedPrintable => {
                self.out.append(&mut self.held_eol);
                let mut data = std::mem::take(&mut self.qp_carry);
                let (content, soft) = if info.ends {
                    let content = trim_end_space(trim_eol(&self.line));
                    match content.strip_suffix(b"=") {
                        Some(stripped) => (stripped, true),
                        None => (content, false),
                    }
                } else {
                    (self.line.as_slice(), true)
                };
                data.extend_from_slice(content);
                let keep = if info.ends {
                    0
                } else {
                    // A piece of an over-long line may end inside `=XX`.
                    data.iter()
                        .rev()
                        .take(2)
                        .position(|&b| b == b'=')
                        .map_or(0, |p| p + 1)
                };
                let split = data.len() - keep;
                qp_decode(&data[..split], &mut self.out);
                self.qp_carry.extend_from_slice(&data[split..]);
                if !soft {
                    let eol = &self.line[trim_eol(&self.line).len()..];
                    self.held_eol.extend_from_slice(eol);
                }
            }
        }
        Ok(())
    }

    fn flush_tail(&mut self) {
        match self.transfer {
            Transfer::Base64 => self.base64.finish(&mut self.out),
            Transfer::QuotedPrintable => {
                let carry = std::mem::take(&mut self.qp_carry);
                self.out.extend_from_slice(&carry);
            }
            Transfer::Identity => {}
        }
        self.held_eol.clear();
    }
}

impl Read for PartReader<'_, '_, '_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        while self.pos >= self.out.len() {
            if self.end.is_some() {
                return Ok(0);
            }
            self.out.clear();
            self.pos = 0;
            self.fill()?;
        }
        let n = buf.len().min(self.out.len() - self.pos);
        buf[..n].copy_from_slice(&self.out[self.pos..self.pos + n]);
        self.pos += n;
        Ok(n)
    }
}

fn qp_decode(data: &[u8], out: &mut Vec<u8>) {
    let mut i = 0;
    while i < data.len() {
        if data[i] == b'='
            && let (Some(h), Some(l)) = (
                data.get(i + 1).and_then(|&b| hex(b)),
                data.get(i + 2).and_then(|&b| hex(b)),
            )
        {
            out.push(h << 4 | l);
            i += 3;
            continue;
        }
        out.push(data[i]);
        i += 1;
    }
}

/// Reads one entity (a message or a part): its headers, then its body or its parts.
/// Multipart nesting is bounded by `MAX_MIME_DEPTH`, so recursion depth is too.
fn entity(node: &mut Node<'_>, mime: &mut Mime<'_, '_>, top: bool) -> io::Result<End> {
    entity_in(node, mime, top, false)
}

fn entity_in(
    node: &mut Node<'_>,
    mime: &mut Mime<'_, '_>,
    top: bool,
    parent_digest: bool,
) -> io::Result<End> {
    let (headers, ended) = read_headers(mime)?;
    if top {
        header_text(node, &headers);
    }
    if let Some(end) = ended {
        return Ok(end);
    }
    let kind = part_kind(&headers, parent_digest);
    if kind.mime_type.starts_with("multipart/") {
        let boundary = kind.param("boundary").map(str::to_string);
        match boundary {
            Some(boundary) if !boundary.is_empty() && mime.boundaries.len() < MAX_MIME_DEPTH => {
                let digest = kind.mime_type == "multipart/digest";
                return multipart(node, mime, boundary.into_bytes(), digest);
            }
            Some(_) if mime.boundaries.len() >= MAX_MIME_DEPTH => {
                mime.problem(format!(
                    "MIME parts nested deeper than {MAX_MIME_DEPTH} levels: the deeper ones were read as raw text"
                ));
            }
            _ => {}
        }
        return text_body(node, mime, Transfer::Identity, None);
    }
    mime.leaves += 1;
    let is_text = kind.mime_type.starts_with("text/");
    if is_text && kind.filename.is_none() && !kind.attachment {
        let charset = kind.param("charset").map(str::to_string);
        return text_body(node, mime, kind.transfer, charset.as_deref());
    }
    let name = attachment_name(mime, kind.filename.as_deref());
    let limit = node.limits.max_entries;
    if mime.attachments >= limit {
        // Past the limit only the first is listed: a hostile message may hold millions.
        if mime.attachments == limit {
            node.member_not_read(
                &name,
                MemberInfo::default(),
                "",
                Status::Skipped,
                format!("message has more than {limit} attachments (--max-entries); not read"),
            );
            mime.problem(format!(
                "more than {limit} attachments (--max-entries): later ones not read or listed"
            ));
        }
        mime.attachments += 1;
        return PartReader::new(mime, kind.transfer).finish();
    }
    mime.attachments += 1;
    let mut reader = PartReader::new(mime, kind.transfer);
    node.member(&name, &mut reader, MemberInfo::default());
    reader.finish()
}

/// A unique member name for an attachment: its file name, else `part N`.
fn attachment_name(mime: &mut Mime<'_, '_>, filename: Option<&str>) -> String {
    let base = match filename {
        // Shown whole and escaped: a name is never used as a path.
        Some(name) => display_name(name.as_bytes()),
        None => format!("part {}", mime.leaves),
    };
    let mut name = base.clone();
    let mut n = 2;
    while !mime.names.insert(name.clone()) {
        name = format!("{base} ({n})");
        n += 1;
    }
    name
}

/// The parts of a multipart entity, up to its closing delimiter.
fn multipart(
    node: &mut Node<'_>,
    mime: &mut Mime<'_, '_>,
    boundary: Vec<u8>,
    digest: bool,
) -> io::Result<End> {
    mime.boundaries.push(boundary);
    let level = mime.boundaries.len() - 1;
    // The preamble is not shown to readers: skipped.
    let mut end = PartReader::new(mime, Transfer::Identity).finish()?;
    let result = loop {
        match end {
            End::Boundary {
                level: l,
                close: false,
            } if l == level => {
                end = entity_in(node, mime, false, digest)?;
            }
            End::Boundary {
                level: l,
                close: true,
            } if l == level => {
                mime.boundaries.truncate(level);
                // The epilogue runs to the parent's next delimiter.
                break PartReader::new(mime, Transfer::Identity).finish()?;
            }
            other => break other,
        }
    };
    mime.boundaries.truncate(level);
    Ok(result)
}

/// A text body: decoded, converted to UTF-8 from its charset, and handed on in chunks with
/// location `body` (the first) or `body part N`.
fn text_body(
    node: &mut Node<'_>,
    mime: &mut Mime<'_, '_>,
    transfer: Transfer,
    charset: Option<&str>,
) -> io::Result<End> {
    mime.bodies += 1;
    let location = if mime.bodies == 1 {
        "body".to_string()
    } else {
        format!("body part {}", mime.leaves)
    };
    let decoder = charset
        .and_then(|c| Encoding::for_label(c.trim().as_bytes()))
        .filter(|e| *e != encoding_rs::UTF_8)
        .map(|e| e.new_decoder_without_bom_handling());
    let mut chunker = BodyChunker::new(node, location, decoder);
    let mut reader = PartReader::new(mime, transfer);
    let mut buf = vec![0u8; READ_BYTES];
    loop {
        let n = reader.read(&mut buf)?;
        if n == 0 {
            break;
        }
        chunker.push(node, &buf[..n], false);
    }
    chunker.push(node, &[], true);
    chunker.flush(node);
    reader.finish()
}

/// Cuts a body into chunks at line ends (with an overlap where a line is longer than a chunk),
/// each a single segment naming the body and its first line.
struct BodyChunker {
    pending: Vec<u8>,
    line: u64,
    location: String,
    chunk_bytes: usize,
    overlap: usize,
    decoder: Option<Decoder>,
}

impl BodyChunker {
    fn new(node: &Node<'_>, location: String, decoder: Option<Decoder>) -> Self {
        let chunk_bytes = node
            .limits
            .chunk_bytes
            .max(4 * node.limits.chunk_overlap)
            .max(4096);
        BodyChunker {
            pending: Vec::new(),
            line: 1,
            location,
            chunk_bytes,
            overlap: node.limits.chunk_overlap,
            decoder,
        }
    }

    fn push(&mut self, node: &mut Node<'_>, data: &[u8], last: bool) {
        match &mut self.decoder {
            Some(decoder) => {
                let mut input = data;
                loop {
                    let room = decoder
                        .max_utf8_buffer_length(input.len())
                        .unwrap_or(input.len() * 3 + 16)
                        .clamp(64, READ_BYTES * 4);
                    let start = self.pending.len();
                    self.pending.resize(start + room, 0);
                    let (result, read, written, _) =
                        decoder.decode_to_utf8(input, &mut self.pending[start..], last);
                    self.pending.truncate(start + written);
                    input = &input[read..];
                    if result == encoding_rs::CoderResult::InputEmpty {
                        break;
                    }
                }
            }
            None => self.pending.extend_from_slice(data),
        }
        while self.pending.len() >= self.chunk_bytes {
            self.cut(node);
        }
    }

    fn cut(&mut self, node: &mut Node<'_>) {
        let window = &self.pending[..self.chunk_bytes];
        match memchr::memrchr(b'\n', window) {
            Some(newline) => {
                let end = newline + 1;
                self.emit(node, end, end);
                self.line += memchr::memchr_iter(b'\n', &self.pending[..end]).count() as u64;
                self.pending.drain(..end);
            }
            None => {
                let keep_from = self.chunk_bytes - self.overlap.min(self.chunk_bytes / 2);
                self.emit(node, self.chunk_bytes, keep_from);
                self.pending.drain(..keep_from);
            }
        }
    }

    fn emit(&self, node: &mut Node<'_>, len: usize, report_limit: usize) {
        let segments = [Segment {
            text_start: 0,
            location: self.location.clone(),
            first_line: Some(self.line),
        }];
        node.text(TextChunk {
            text: &self.pending[..len],
            placement: Placement::Segments(&segments),
            report_limit,
            columns: None,
        });
    }

    fn flush(&mut self, node: &mut Node<'_>) {
        if !self.pending.is_empty() {
            let len = self.pending.len();
            self.emit(node, len, len);
            self.pending.clear();
        }
    }
}

/// The scanned headers as one chunk: `Name: value` lines, each its own segment.
fn header_text(node: &mut Node<'_>, headers: &[Header]) {
    let mut text = Vec::new();
    let mut segments = Vec::new();
    for h in headers {
        if !SCANNED_HEADERS
            .iter()
            .any(|s| h.name.eq_ignore_ascii_case(s))
        {
            continue;
        }
        let value = decode_words(&h.value);
        if value.trim().is_empty() {
            continue;
        }
        segments.push(Segment {
            text_start: text.len(),
            location: format!("header {}", h.name),
            first_line: None,
        });
        text.extend_from_slice(h.name.as_bytes());
        text.extend_from_slice(b": ");
        text.extend_from_slice(value.as_bytes());
        text.push(b'\n');
    }
    if text.is_empty() {
        return;
    }
    let len = text.len();
    node.text(TextChunk {
        text: &text,
        placement: Placement::Segments(&segments),
        report_limit: len,
        columns: None,
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encoded_words_are_decoded_and_joined() {
        assert_eq!(
            decode_words(b"=?utf-8?B?SmFuZSBSb2U=?= <jane@example.com>"),
            "Jane Roe <jane@example.com>"
        );
        assert_eq!(
            decode_words(b"=?iso-8859-1?Q?Gr=FC=DFe?= =?utf-8?Q?_aus_K=C3=B6ln?="),
            "Grüße aus Köln"
        );
        assert_eq!(decode_words(b"plain =?bogus"), "plain =?bogus");
    }

    #[test]
    fn content_fields_with_continuations() {
        let (main, params) = parse_content_field(
            b"attachment; filename*0*=utf-8''Geh%C3%A4lter; filename*1=\".csv\"",
        );
        assert_eq!(main, "attachment");
        assert_eq!(
            params,
            vec![("filename".to_string(), "Gehälter.csv".to_string())]
        );
        let (main, params) = parse_content_field(b"multipart/mixed; boundary=\"a;b\"");
        assert_eq!(main, "multipart/mixed");
        assert_eq!(params[0].1, "a;b");
    }

    #[test]
    fn base64_skips_noise_and_handles_padding() {
        let mut state = Base64::default();
        let mut out = Vec::new();
        state.push(b"aGVs\r\nbG8g\nd29y bGQ=", &mut out);
        state.finish(&mut out);
        assert_eq!(out, b"hello world");
    }

    #[test]
    fn boundaries_match_innermost_first() {
        let b = vec![b"outer".to_vec(), b"inner".to_vec()];
        let info = LineInfo {
            starts: true,
            ends: true,
        };
        assert_eq!(
            boundary_hit(b"--inner--\r\n", info, &b),
            Some(End::Boundary {
                level: 1,
                close: true
            })
        );
        assert_eq!(
            boundary_hit(b"--outer \r\n", info, &b),
            Some(End::Boundary {
                level: 0,
                close: false
            })
        );
        assert_eq!(boundary_hit(b"--other\r\n", info, &b), None);
    }
}
