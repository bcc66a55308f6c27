//! Markup: HTML and XML (text and attribute values) and RTF.
//!
//! Both are read front to back in bounded memory by small tolerant state machines: real-world
//! HTML is rarely well-formed, and a strict parser would lose the rest of a file at the first
//! slip. Findings carry the source line of the text they sit in.

use std::io::Read;

use super::chunks::SegmentChunker;
use super::sniff::Format;
use super::{Input, Node, Note, Status, io_reason};

/// A tag, comment or text run longer than this is handed on in pieces.
const MAX_TOKEN: usize = 1 << 20;
/// Open XML elements remembered for naming values.
const MAX_STACK: usize = 256;

/// HTML elements that run inside a line of text: a value split by them is joined.
const INLINE: &[&str] = &[
    "a", "abbr", "b", "bdi", "bdo", "big", "cite", "code", "data", "del", "dfn", "em", "font", "i",
    "ins", "kbd", "mark", "q", "s", "samp", "small", "span", "strike", "strong", "sub", "sup",
    "time", "tt", "u", "var", "wbr",
];

pub fn markup(node: &mut Node<'_>, format: Format, mut input: Input<'_>) -> Result<Note, String> {
    let mut parser = Markup::new(node, format == Format::Xml);
    let mut block = vec![0u8; 64 * 1024];
    loop {
        let n = match input.read(&mut block) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) if parser.emitted => {
                parser.finish(node);
                return Ok(Note::with(
                    format.name(),
                    Status::Truncated,
                    format!("read failed: {}", io_reason(&e)),
                ));
            }
            Err(e) => return Err(format!("read failed: {}", io_reason(&e))),
        };
        for &b in &block[..n] {
            parser.byte(node, b);
        }
    }
    parser.finish(node);
    Ok(Note::scanned(format.name()))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Text,
    /// Inside `<...>`, with the quote we are in, if any.
    Tag(Option<u8>),
    Comment,
    CData,
    /// Raw text of `<script>` or `<style>` up to its end tag.
    Raw,
}

struct Markup {
    xml: bool,
    state: State,
    line: u64,
    /// Text (entity-encoded) of the current run and the line it starts on.
    run: Vec<u8>,
    run_line: u64,
    /// The tag, comment or CDATA being read, and the line it starts on.
    token: Vec<u8>,
    token_line: u64,
    /// End tag that closes the raw element (`</script`).
    raw_end: &'static [u8],
    stack: Vec<String>,
    chunker: SegmentChunker,
    emitted: bool,
}

impl Markup {
    fn new(node: &Node<'_>, xml: bool) -> Self {
        Markup {
            xml,
            state: State::Text,
            line: 1,
            run: Vec::new(),
            run_line: 1,
            token: Vec::new(),
            token_line: 1,
            raw_end: b"",
            stack: Vec::new(),
            chunker: SegmentChunker::new(node),
            emitted: false,
        }
    }

    fn byte(&mut self, node: &mut Node<'_>, b: u8) {
        match self.state {
            State::Text => {
                if b == b'<' {
                    self.state = State::Tag(None);
                    self.token.clear();
                    self.token_line = self.line;
                } else {
                    if self.run.is_empty() {
                        self.run_line = self.line;
                    }
                    self.run.push(b);
                    if self.run.len() >= MAX_TOKEN {
                        self.flush_run(node);
                    }
                }
            }
            State::Tag(quote) => {
                self.token.push(b);
                match quote {
                    Some(q) if b == q => self.state = State::Tag(None),
                    Some(_) => {}
                    None if b == b'"' || b == b'\'' => {
                        // Quotes only matter inside a start tag's attribute list.
                        if self.token.first().is_some_and(u8::is_ascii_alphabetic) {
                            self.state = State::Tag(Some(b));
                        }
                    }
                    None if b == b'>' => {
                        self.token.pop();
                        self.state = State::Text;
                        self.tag(node);
                    }
                    None => {
                        if self.token == b"!--" {
                            self.state = State::Comment;
                            self.token.clear();
                            self.token_line = self.line;
                        } else if self.token.eq_ignore_ascii_case(b"![CDATA[") {
                            self.state = State::CData;
                            self.token.clear();
                            self.token_line = self.line;
                        } else if self.token.len() == 1
                            && !(b.is_ascii_alphabetic() || matches!(b, b'/' | b'!' | b'?'))
                        {
                            // `a < b` in text: not a tag.
                            self.state = State::Text;
                            let token = std::mem::take(&mut self.token);
                            if self.run.is_empty() {
                                self.run_line = self.token_line;
                            }
                            self.run.push(b'<');
                            self.run.extend_from_slice(&token);
                        }
                    }
                }
                if self.token.len() >= MAX_TOKEN {
                    self.state = State::Text;
                    self.token.clear();
                }
            }
            State::Comment | State::CData => {
                self.token.push(b);
                let end: &[u8] = if self.state == State::Comment {
                    b"-->"
                } else {
                    b"]]>"
                };
                if self.token.ends_with(end) {
                    self.token.truncate(self.token.len() - 3);
                    let cdata = self.state == State::CData;
                    self.state = State::Text;
                    if cdata {
                        // CDATA is text of the element, without entity decoding.
                        let token = std::mem::take(&mut self.token);
                        self.emit(node, &token, self.token_line, false);
                    } else {
                        // Comments often hold commented-out credentials: read them alone.
                        self.flush_run(node);
                        let token = std::mem::take(&mut self.token);
                        self.emit_plain(node, &token, self.token_line);
                    }
                } else if self.token.len() >= MAX_TOKEN {
                    let token = std::mem::take(&mut self.token);
                    self.emit_plain(node, &token, self.token_line);
                    self.token_line = self.line;
                }
            }
            State::Raw => {
                self.token.push(b);
                let end = self.raw_end;
                let len = self.token.len();
                if len >= end.len() && self.token[len - end.len()..].eq_ignore_ascii_case(end) {
                    self.token.truncate(len - end.len());
                    let token = std::mem::take(&mut self.token);
                    self.emit_plain(node, &token, self.token_line);
                    // The rest of the end tag is read as a tag.
                    self.state = State::Tag(None);
                    self.token.extend_from_slice(&end[1..]);
                    self.token_line = self.line;
                } else if len >= MAX_TOKEN {
                    let token = std::mem::take(&mut self.token);
                    self.emit_plain(node, &token, self.token_line);
                    self.token_line = self.line;
                }
            }
        }
        if b == b'\n' {
            self.line += 1;
        }
    }

    /// A complete tag in `token` (without `<` and `>`).
    fn tag(&mut self, node: &mut Node<'_>) {
        let token = std::mem::take(&mut self.token);
        let (closing, body) = match token.strip_prefix(b"/") {
            Some(rest) => (true, rest),
            None => (false, &token[..]),
        };
        if body.first().is_some_and(|b| matches!(b, b'!' | b'?')) {
            // Declarations and processing instructions: attributes of `<?xml` are noise.
            self.token = token;
            self.token.clear();
            return;
        }
        let name_end = body
            .iter()
            .position(|b| b.is_ascii_whitespace() || *b == b'/')
            .unwrap_or(body.len());
        let name = String::from_utf8_lossy(&body[..name_end]).to_ascii_lowercase();
        let local = name.rsplit(':').next().unwrap_or(&name).to_string();
        let self_closing = body.ends_with(b"/");
        let inline = !self.xml && INLINE.contains(&local.as_str());
        let spans_lines = token.contains(&b'\n');
        if !inline || spans_lines {
            self.flush_run(node);
        }
        if closing {
            if self.xml
                && let Some(pos) = self.stack.iter().rposition(|n| *n == local)
            {
                self.stack.truncate(pos);
            }
        } else {
            let attributes = attributes(&body[name_end..]);
            if !attributes.is_empty() {
                self.flush_run(node);
                let mut line = local.clone().into_bytes();
                for (key, value) in &attributes {
                    line.push(b' ');
                    line.extend_from_slice(key);
                    line.extend_from_slice(b"=\"");
                    line.extend_from_slice(value);
                    line.push(b'"');
                }
                self.emit(node, &line, self.token_line, true);
            }
            if self.xml && !self_closing && self.stack.len() < MAX_STACK {
                self.stack.push(local.clone());
            }
            if !self.xml && !self_closing && (local == "script" || local == "style") {
                self.state = State::Raw;
                self.raw_end = if local == "script" {
                    b"</script"
                } else {
                    b"</style"
                };
                self.token_line = self.line;
            }
        }
        self.token = token;
        self.token.clear();
    }

    /// Hands on the pending text run (named by its element in XML).
    fn flush_run(&mut self, node: &mut Node<'_>) {
        if self.run.is_empty() {
            return;
        }
        let run = std::mem::take(&mut self.run);
        self.emit(node, &run, self.run_line, true);
        self.run = run;
        self.run.clear();
    }

    /// Emits one value: leading blank lines trimmed (the line number follows), entities
    /// decoded, XML text prefixed by its element's name so the name is context.
    fn emit(&mut self, node: &mut Node<'_>, text: &[u8], line: u64, decode: bool) {
        let start = text
            .iter()
            .position(|b| !b.is_ascii_whitespace())
            .unwrap_or(text.len());
        if start == text.len() {
            return;
        }
        let line = line + memchr::memchr_iter(b'\n', &text[..start]).count() as u64;
        let text = text[start..].trim_ascii_end();
        self.chunker.place("", Some(line));
        if self.xml
            && let Some(element) = self.stack.last()
            && !text.starts_with(element.as_bytes())
        {
            let prefix = format!("{element}: ");
            self.chunker.push_str(node, &prefix);
        }
        if decode {
            let decoded = decode_entities(text);
            self.chunker.push(node, &decoded);
        } else {
            self.chunker.push(node, text);
        }
        self.chunker.end_line(node);
        self.emitted = true;
    }

    /// Emits comment or script text as it stands.
    fn emit_plain(&mut self, node: &mut Node<'_>, text: &[u8], line: u64) {
        let xml = self.xml;
        self.xml = false;
        self.emit(node, text, line, false);
        self.xml = xml;
    }

    fn finish(&mut self, node: &mut Node<'_>) {
        match self.state {
            State::Text => {}
            _ => {
                // An unterminated tag or comment at the end: its bytes are still read.
                let token = std::mem::take(&mut self.token);
                self.emit_plain(node, &token, self.token_line);
            }
        }
        self.flush_run(node);
        self.chunker.flush(node);
    }
}

/// `name="value"` pairs of a start tag (values with entities decoded); bare names are skipped.
fn attributes(text: &[u8]) -> Vec<(Vec<u8>, Vec<u8>)> {
    let mut out = Vec::new();
    let mut i = 0;
    let n = text.len();
    while i < n {
        while i < n && (text[i].is_ascii_whitespace() || text[i] == b'/') {
            i += 1;
        }
        let key_start = i;
        while i < n && !text[i].is_ascii_whitespace() && text[i] != b'=' && text[i] != b'/' {
            i += 1;
        }
        let key = &text[key_start..i];
        while i < n && text[i].is_ascii_whitespace() {
            i += 1;
        }
        if i >= n || text[i] != b'=' {
            if i == key_start {
                i += 1;
            }
            continue;
        }
        i += 1;
        while i < n && text[i].is_ascii_whitespace() {
            i += 1;
        }
        let value = if i < n && (text[i] == b'"' || text[i] == b'\'') {
            let quote = text[i];
            let start = i + 1;
            let end = memchr::memchr(quote, &text[start..]).map_or(n, |p| start + p);
            i = (end + 1).min(n);
            &text[start..end]
        } else {
            let start = i;
            while i < n && !text[i].is_ascii_whitespace() {
                i += 1;
            }
            &text[start..i]
        };
        if !key.is_empty() && !value.trim_ascii().is_empty() {
            let value: Vec<u8> = decode_entities(value)
                .into_iter()
                .map(|b| {
                    if matches!(b, b'\n' | b'\r' | b'\t') {
                        b' '
                    } else {
                        b
                    }
                })
                .collect();
            out.push((key.to_vec(), value));
        }
    }
    out
}

/// Decodes character references and the common named entities; unknown ones stay as written.
pub fn decode_entities(text: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(text.len());
    let mut i = 0;
    while i < text.len() {
        if text[i] == b'&'
            && let Some(len) = text[i + 1..].iter().take(12).position(|&b| b == b';')
        {
            let name = &text[i + 1..i + 1 + len];
            let decoded: Option<char> = match name {
                b"amp" => Some('&'),
                b"lt" => Some('<'),
                b"gt" => Some('>'),
                b"quot" => Some('"'),
                b"apos" => Some('\''),
                b"nbsp" => Some(' '),
                b"copy" => Some('©'),
                b"reg" => Some('®'),
                b"euro" => Some('€'),
                _ => name.strip_prefix(b"#").and_then(|num| {
                    let num = std::str::from_utf8(num).ok()?;
                    let code = match num.strip_prefix(['x', 'X']) {
                        Some(hex) => u32::from_str_radix(hex, 16).ok()?,
                        None => num.parse().ok()?,
                    };
                    char::from_u32(code)
                }),
            };
            if let Some(c) = decoded {
                let c = if c == '\u{a0}' { ' ' } else { c };
                let mut utf8 = [0u8; 4];
                out.extend_from_slice(c.encode_utf8(&mut utf8).as_bytes());
                i += len + 2;
                continue;
            }
        }
        out.push(text[i]);
        i += 1;
    }
    out
}

/// RTF: control words stripped, text and `\'xx` escapes (Windows-1252) and `\u` kept; font
/// tables, pictures and other non-text destinations skipped. Lines are those of the text.
pub fn rtf(node: &mut Node<'_>, mut input: Input<'_>) -> Result<Note, String> {
    let mut rtf = Rtf {
        chunker: SegmentChunker::new(node),
        out: Vec::new(),
        line: 1,
        depth: 0,
        skip_depth: None,
        state: RtfState::Text,
        word: Vec::new(),
        param: Vec::new(),
        hex: Vec::new(),
        skip_chars: 0,
        uc: 1,
        star: false,
    };
    let mut block = vec![0u8; 64 * 1024];
    loop {
        let n = match input.read(&mut block) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(format!("read failed: {}", io_reason(&e))),
        };
        for &b in &block[..n] {
            rtf.byte(node, b);
        }
    }
    rtf.flush(node, true);
    Ok(Note::scanned(Format::Rtf.name()))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum RtfState {
    Text,
    /// After a backslash.
    Escape,
    Word,
    Param,
    /// `\'` and the hex digits read so far.
    Hex,
}

/// Destinations whose content is not text of the document.
const SKIPPED: &[&[u8]] = &[
    b"fonttbl",
    b"colortbl",
    b"stylesheet",
    b"listtable",
    b"listoverridetable",
    b"pict",
    b"themedata",
    b"colorschememapping",
    b"datastore",
    b"latentstyles",
    b"rsidtbl",
    b"generator",
    b"xmlnstbl",
    b"mmathPr",
    b"objdata",
    b"fldinst",
    b"bkmkstart",
    b"bkmkend",
];

struct Rtf {
    chunker: SegmentChunker,
    /// Decoded text not yet handed on, and the text line it starts on.
    out: Vec<u8>,
    line: u64,
    depth: usize,
    /// Group depth below which content is skipped.
    skip_depth: Option<usize>,
    state: RtfState,
    word: Vec<u8>,
    param: Vec<u8>,
    hex: Vec<u8>,
    /// Fallback characters still to skip after a `\u`.
    skip_chars: usize,
    uc: usize,
    /// `\*` seen: the next destination is optional and skipped if unknown.
    star: bool,
}

impl Rtf {
    fn byte(&mut self, node: &mut Node<'_>, b: u8) {
        match self.state {
            RtfState::Text => match b {
                b'\\' => self.state = RtfState::Escape,
                b'{' => self.depth += 1,
                b'}' => {
                    if self.skip_depth == Some(self.depth) {
                        self.skip_depth = None;
                    }
                    self.depth = self.depth.saturating_sub(1);
                }
                b'\r' | b'\n' => {}
                _ => self.text(node, b),
            },
            RtfState::Escape => {
                if b.is_ascii_alphabetic() {
                    self.word.clear();
                    self.param.clear();
                    self.word.push(b);
                    self.state = RtfState::Word;
                } else if b == b'\'' {
                    self.hex.clear();
                    self.state = RtfState::Hex;
                } else {
                    self.state = RtfState::Text;
                    match b {
                        b'*' => self.star = true,
                        b'~' => self.text(node, b' '),
                        b'\\' | b'{' | b'}' => self.text(node, b),
                        b'\n' | b'\r' => self.newline(node),
                        _ => {}
                    }
                }
            }
            RtfState::Word => {
                if b.is_ascii_alphabetic() && self.word.len() < 32 {
                    self.word.push(b);
                } else if b == b'-' || b.is_ascii_digit() {
                    self.param.push(b);
                    self.state = RtfState::Param;
                } else {
                    self.control(node);
                    self.after_control(node, b);
                }
            }
            RtfState::Param => {
                if b.is_ascii_digit() && self.param.len() < 12 {
                    self.param.push(b);
                } else {
                    self.control(node);
                    self.after_control(node, b);
                }
            }
            RtfState::Hex => {
                self.hex.push(b);
                if self.hex.len() == 2 {
                    self.state = RtfState::Text;
                    if let Ok(value) =
                        u8::from_str_radix(std::str::from_utf8(&self.hex).unwrap_or(""), 16)
                    {
                        if self.skip_chars > 0 {
                            self.skip_chars -= 1;
                        } else if self.skip_depth.is_none() {
                            let byte = [value];
                            let (text, _) =
                                encoding_rs::WINDOWS_1252.decode_without_bom_handling(&byte);
                            let text = text.into_owned();
                            self.push_str(node, text.as_bytes());
                        }
                    }
                }
            }
        }
    }

    /// A control word ends at the first byte that is not part of it; a space is eaten.
    fn after_control(&mut self, node: &mut Node<'_>, b: u8) {
        self.state = RtfState::Text;
        if b != b' ' {
            self.byte(node, b);
        }
    }

    fn control(&mut self, node: &mut Node<'_>) {
        let word = std::mem::take(&mut self.word);
        let param: Option<i64> = std::str::from_utf8(&self.param)
            .ok()
            .and_then(|p| p.parse().ok());
        let star = std::mem::take(&mut self.star);
        if self.skip_depth.is_none() && (star || SKIPPED.contains(&word.as_slice())) {
            self.skip_depth = Some(self.depth);
        }
        if self.skip_depth.is_none() {
            match word.as_slice() {
                b"par" | b"line" | b"row" | b"sect" | b"page" => self.newline(node),
                b"tab" | b"cell" => self.text(node, b'\t'),
                b"uc" => self.uc = param.unwrap_or(1).clamp(0, 8) as usize,
                b"u" => {
                    if let Some(code) = param {
                        let code = if code < 0 { code + 65536 } else { code };
                        if let Some(c) = char::from_u32(code as u32) {
                            let mut utf8 = [0u8; 4];
                            self.push_str(node, c.encode_utf8(&mut utf8).as_bytes());
                        }
                        self.skip_chars = self.uc;
                    }
                }
                b"emdash" => self.push_str(node, "—".as_bytes()),
                b"endash" => self.push_str(node, "–".as_bytes()),
                b"lquote" | b"rquote" => self.text(node, b'\''),
                b"ldblquote" | b"rdblquote" => self.text(node, b'"'),
                _ => {}
            }
        }
        self.word = word;
    }

    fn text(&mut self, node: &mut Node<'_>, b: u8) {
        if self.skip_chars > 0 {
            self.skip_chars -= 1;
            return;
        }
        if self.skip_depth.is_some() {
            return;
        }
        self.out.push(b);
        if self.out.len() >= MAX_TOKEN {
            self.flush(node, false);
        }
    }

    fn push_str(&mut self, node: &mut Node<'_>, bytes: &[u8]) {
        if self.skip_depth.is_some() {
            return;
        }
        self.out.extend_from_slice(bytes);
        if self.out.len() >= MAX_TOKEN {
            self.flush(node, false);
        }
    }

    fn newline(&mut self, node: &mut Node<'_>) {
        if self.skip_depth.is_some() {
            return;
        }
        self.out.push(b'\n');
        if self.out.len() >= 64 * 1024 {
            self.flush(node, false);
        }
    }

    /// Hands the decoded text on as one place starting at the current text line.
    fn flush(&mut self, node: &mut Node<'_>, last: bool) {
        if !self.out.is_empty() {
            self.chunker.place("", Some(self.line));
            self.chunker.push(node, &self.out);
            self.line += memchr::memchr_iter(b'\n', &self.out).count() as u64;
            if !self.out.ends_with(b"\n") {
                // A cut inside a line: the line goes on in the next piece.
                self.chunker.push_byte(node, b'\n');
            }
            self.out.clear();
        }
        if last {
            self.chunker.flush(node);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entities_decode() {
        assert_eq!(
            decode_entities(b"a&amp;b &#53;36&#x2d;22 &bogus; &nbsp;x"),
            "a&b 536-22 &bogus;  x".as_bytes()
        );
    }

    #[test]
    fn attributes_parse() {
        let attrs = attributes(b" type=\"text\" value='536-22-5487' disabled data-x=1");
        assert_eq!(
            attrs,
            vec![
                (b"type".to_vec(), b"text".to_vec()),
                (b"value".to_vec(), b"536-22-5487".to_vec()),
                (b"data-x".to_vec(), b"1".to_vec()),
            ]
        );
    }
}
