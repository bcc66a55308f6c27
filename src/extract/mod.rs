//! Turns an item into content: sniffs what a file is, opens it read-only and streams decoded
//! text chunks to the detectors, under the run's limits. A bad file fails alone.

mod archive;
mod chunks;
mod compress;
mod data;
mod formats;
mod inline_strings;
mod mail;
mod markup;
mod office;
mod pdf;
mod sheet;
pub mod sniff;
mod text;

use std::cell::{Cell, RefCell};
use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::path::Path;
use std::rc::Rc;
use std::time::SystemTime;

use sniff::Format;

use sha2::{Digest, Sha256};

use crate::config::{Limits, StopFlag};
use crate::content::TextChunk;
use crate::gate::{MemoryAllowance, MemoryHold};

pub use text::{Encoding, sniff_encoding};

/// Receives what extraction finds: text of the item or of any member inside it, and the account
/// of every member (the top-level file's own account is the return value of [`extract_file`]).
pub trait ContentSink {
    /// Text belonging to the item at report path `path` (`outer.zip!inner/b.csv` for members).
    fn text(&mut self, path: &str, chunk: TextChunk<'_>);
    /// One archive member or embedded item, scanned or not.
    fn member(&mut self, record: MemberRecord);
}

/// The account of one member inside a container (a row of files.csv).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemberRecord {
    pub path: String,
    pub size: u64,
    pub modified: Option<std::time::SystemTime>,
    pub format: String,
    pub status: Status,
    pub reason: String,
    pub sha256: Option<String>,
}

/// What happened to one item.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExtractOutcome {
    pub format: String,
    pub status: Status,
    pub reason: String,
    pub sha256: Option<String>,
    pub bytes_read: u64,
}

/// Item statuses of the output contract.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Status {
    Scanned,
    Skipped,
    Error,
    Encrypted,
    Truncated,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Scanned => "scanned",
            Status::Skipped => "skipped",
            Status::Error => "error",
            Status::Encrypted => "encrypted",
            Status::Truncated => "truncated",
        }
    }
}

/// Reason recorded for an item whose reading a stop request (SIGINT/SIGTERM) cut short.
pub const INTERRUPTED: &str = "scan interrupted";

/// Reads until the scan is asked to stop, then fails with [`INTERRUPTED`]: the file being read
/// ends at the next block instead of being read to its end.
struct Stoppable<R> {
    inner: R,
    stop: StopFlag,
}

impl<R: Read> Read for Stoppable<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.stop.is_raised() {
            return Err(io::Error::other(INTERRUPTED));
        }
        self.inner.read(buf)
    }
}

/// Opens a file for reading without changing its access time where the OS allows it.
///
/// O_NOATIME is only granted to the file's owner (or a process with CAP_FOWNER, e.g. root);
/// any other file is opened normally, and its access time may then change on filesystems
/// mounted without `noatime` (bytes and modification times are never changed: read-only open).
pub fn open_evidence(path: &Path) -> io::Result<File> {
    use std::os::unix::fs::OpenOptionsExt;
    let mut options = std::fs::OpenOptions::new();
    options
        .read(true)
        .custom_flags(libc::O_NOATIME | libc::O_NONBLOCK);
    match options.open(path) {
        Ok(file) => Ok(file),
        // O_NOATIME is refused for files the user does not own; read them normally.
        Err(e) if e.raw_os_error() == Some(libc::EPERM) => std::fs::OpenOptions::new()
            .read(true)
            .custom_flags(libc::O_NONBLOCK)
            .open(path),
        Err(e) => Err(e),
    }
}

/// Reads blocks from the evidence, hashing every byte on the way.
pub struct HashingReader<R> {
    inner: R,
    hasher: Sha256,
    pub bytes_read: u64,
    /// A read error met after part of a block was filled: reported on the next call, so the
    /// bytes before it are still handed on.
    deferred: Option<io::Error>,
}

impl<R: Read> HashingReader<R> {
    pub fn new(inner: R) -> Self {
        HashingReader {
            inner,
            hasher: Sha256::new(),
            bytes_read: 0,
            deferred: None,
        }
    }

    /// Fills as much of `buf` as the source gives (short only at the end).
    pub fn fill(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if let Some(e) = self.deferred.take() {
            return Err(e);
        }
        let mut filled = 0;
        while filled < buf.len() {
            match self.inner.read(&mut buf[filled..]) {
                Ok(0) => break,
                Ok(n) => filled += n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) if filled > 0 => {
                    self.deferred = Some(e);
                    break;
                }
                Err(e) => return Err(e),
            }
        }
        self.hasher.update(&buf[..filled]);
        self.bytes_read += filled as u64;
        Ok(filled)
    }

    pub fn finish(self) -> String {
        hex::encode(self.hasher.finalize())
    }
}

/// Scans one file from disk: sniffs its format, then decodes text (or pulls strings out of
/// binary data) or opens the container or document, handing every chunk to `sink` under the
/// report path `display` and every member's account to `sink.member`.
pub fn extract_file(
    path: &Path,
    display: &str,
    limits: &Limits,
    sink: &mut dyn ContentSink,
) -> ExtractOutcome {
    let failed = |reason: String| ExtractOutcome {
        format: String::new(),
        status: Status::Error,
        reason,
        sha256: None,
        bytes_read: 0,
    };
    let mut file = match open_evidence(path) {
        Ok(file) => file,
        Err(e) => return failed(format!("cannot open: {}", io_reason(&e))),
    };
    // A file that shrinks while it is read (truncated by its owner mid-scan) ends early: said.
    let size_at_open = file.metadata().map(|m| m.len()).ok();
    let mut head = vec![0u8; SNIFF_BYTES];
    let head_len = match read_head(&mut file, &mut head) {
        Ok(n) => n,
        Err(e) => return failed(format!("cannot read: {}", io_reason(&e))),
    };
    let format = sniff::sniff(&head[..head_len], display);
    if format == Format::Plain {
        // The common case reads the file once: hash and text in one pass.
        let file = Stoppable {
            inner: file,
            stop: limits.stop.clone(),
        };
        let mut reader = HashingReader::new(io::Cursor::new(&head[..head_len]).chain(file));
        let result = text::stream_text(&mut reader, limits, &mut |chunk| sink.text(display, chunk));
        let bytes_read = reader.bytes_read;
        let sha256 = Some(reader.finish());
        return match result {
            Ok(encoding) => match size_at_open.filter(|&size| bytes_read < size) {
                Some(size) => ExtractOutcome {
                    format: encoding.format_name().to_string(),
                    status: Status::Truncated,
                    reason: [
                        encoding.reason().to_string(),
                        format!("file shrank while being read: {bytes_read} of {size} bytes read"),
                    ]
                    .join("; ")
                    .trim_start_matches("; ")
                    .to_string(),
                    sha256,
                    bytes_read,
                },
                None => ExtractOutcome {
                    format: encoding.format_name().to_string(),
                    status: Status::Scanned,
                    reason: encoding.reason().to_string(),
                    sha256,
                    bytes_read,
                },
            },
            Err((encoding, e)) => ExtractOutcome {
                format: encoding
                    .map(|e| e.format_name().to_string())
                    .unwrap_or_default(),
                status: if bytes_read > 0 {
                    Status::Truncated
                } else {
                    Status::Error
                },
                reason: format!("read failed after {bytes_read} bytes: {}", io_reason(&e)),
                sha256,
                bytes_read,
            },
        };
    }
    // Containers and documents are read by their own parsers, which seek: hash in a pass of
    // its own, then hand the parser the file.
    let (sha256, bytes_read) = match hash_whole(&mut file, &limits.stop) {
        Ok(hashed) => hashed,
        Err(e) => return failed(format!("cannot read: {}", io_reason(&e))),
    };
    if let Err(e) = file.seek(SeekFrom::Start(0)) {
        return failed(format!("cannot rewind: {}", io_reason(&e)));
    }
    let budget = Budget::new(limits.max_expanded_bytes);
    let mut node = Node {
        path: display,
        depth: 0,
        limits,
        budget,
        sink,
    };
    let mut source = Source::File(file);
    let mut note = node.dispatch(format, Input::Seekable(&mut source));
    if let Ok(now) = source.len()
        && now < bytes_read
    {
        // Members read after the cut failed alone (their rows say so); the file says why.
        let shrank = format!("file shrank while being read: {now} of {bytes_read} bytes left");
        if note.status == Status::Scanned {
            note.status = Status::Truncated;
        }
        note.reason = if note.reason.is_empty() {
            shrank
        } else {
            format!("{}; {shrank}", note.reason)
        };
    }
    ExtractOutcome {
        format: note.format,
        status: note.status,
        reason: note.reason,
        sha256: Some(sha256),
        bytes_read,
    }
}

/// Scans one item held in memory as if it were a file named `name` (the name is a format hint
/// and the report path): the entry point for fuzzing and for callers that already hold bytes.
pub fn extract_bytes(
    name: &str,
    data: &[u8],
    limits: &Limits,
    sink: &mut dyn ContentSink,
) -> ExtractOutcome {
    let format = sniff::sniff(&data[..data.len().min(SNIFF_BYTES)], name);
    let mut node = Node {
        path: name,
        depth: 0,
        limits,
        budget: Budget::new(limits.max_expanded_bytes),
        sink,
    };
    let mut source = Source::Memory(io::Cursor::new(data.to_vec()));
    let note = node.dispatch(format, Input::Seekable(&mut source));
    ExtractOutcome {
        format: note.format,
        status: note.status,
        reason: note.reason,
        sha256: Some(hex::encode(Sha256::digest(data))),
        bytes_read: data.len() as u64,
    }
}

/// Bytes read to decide an item's format.
const SNIFF_BYTES: usize = 8192;
/// Members up to this size are spooled in memory; larger ones go to a private temporary file.
const MEMORY_SPOOL_BYTES: u64 = 32 << 20;
/// A member is read into memory this much at a time, each step taken from the allowance.
const SPOOL_STEP_BYTES: u64 = 1 << 20;
/// The ratio guard starts after this many expanded bytes: tiny members compress absurdly well.
const RATIO_GRACE_BYTES: u64 = 1 << 20;

fn read_head(reader: &mut dyn Read, head: &mut [u8]) -> io::Result<usize> {
    let mut filled = 0;
    while filled < head.len() {
        match reader.read(&mut head[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        }
    }
    Ok(filled)
}

fn hash_whole(file: &mut File, stop: &StopFlag) -> io::Result<(String, u64)> {
    file.seek(SeekFrom::Start(0))?;
    let mut reader = HashingReader::new(Stoppable {
        inner: file,
        stop: stop.clone(),
    });
    HASH_BUFFER.with_borrow_mut(|buf| -> io::Result<()> {
        while reader.fill(buf)? > 0 {}
        Ok(())
    })?;
    let bytes = reader.bytes_read;
    Ok((reader.finish(), bytes))
}

thread_local! {
    /// `hash_whole`'s read buffer, kept per thread: zeroing a fresh megabyte for every archive
    /// and document cost more than hashing a small one.
    static HASH_BUFFER: std::cell::RefCell<Vec<u8>> = std::cell::RefCell::new(vec![0u8; 1 << 20]);
}

/// Decompressed bytes still allowed for one top-level file, shared down the nesting chain.
#[derive(Debug, Clone)]
pub struct Budget {
    left: Rc<Cell<u64>>,
}

impl Budget {
    pub fn new(bytes: u64) -> Self {
        Budget {
            left: Rc::new(Cell::new(bytes)),
        }
    }

    pub fn left(&self) -> u64 {
        self.left.get()
    }

    fn take(&self, bytes: u64) -> u64 {
        let granted = bytes.min(self.left.get());
        self.left.set(self.left.get() - granted);
        granted
    }
}

/// Random-access bytes of one item: the evidence file itself, a buffer, or a private,
/// already-unlinked temporary file (removed by the OS when closed).
pub enum Source {
    File(File),
    Memory(io::Cursor<Vec<u8>>),
    Spool(File),
}

impl Source {
    /// Total length in bytes.
    pub fn len(&mut self) -> io::Result<u64> {
        match self {
            Source::File(f) | Source::Spool(f) => f.metadata().map(|m| m.len()),
            Source::Memory(c) => Ok(c.get_ref().len() as u64),
        }
    }

    pub fn is_empty(&mut self) -> io::Result<bool> {
        self.len().map(|l| l == 0)
    }

    /// The whole content in memory, for parsers that want a slice (bounded by the spool limit
    /// for members; top-level files larger than `max` are refused with an error).
    pub fn to_vec(&mut self, max: u64) -> io::Result<Vec<u8>> {
        let len = self.len()?;
        if len > max {
            return Err(io::Error::other(format!(
                "{len} bytes is more than the {max} this parser reads into memory"
            )));
        }
        self.seek(SeekFrom::Start(0))?;
        let mut data = Vec::with_capacity(len as usize);
        self.read_to_end(&mut data)?;
        Ok(data)
    }
}

impl Read for Source {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            Source::File(f) | Source::Spool(f) => f.read(buf),
            Source::Memory(c) => c.read(buf),
        }
    }
}

impl Seek for Source {
    fn seek(&mut self, pos: SeekFrom) -> io::Result<u64> {
        match self {
            Source::File(f) | Source::Spool(f) => f.seek(pos),
            Source::Memory(c) => c.seek(pos),
        }
    }
}

/// How an extractor receives an item's bytes.
pub enum Input<'r> {
    /// Front to back only (a member being decompressed).
    Stream(&'r mut dyn Read),
    /// Seekable (a file on disk, or a spooled member).
    Seekable(&'r mut Source),
}

impl Read for Input<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            Input::Stream(r) => r.read(buf),
            Input::Seekable(s) => s.read(buf),
        }
    }
}

/// The result of reading one item's content.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Note {
    pub format: String,
    pub status: Status,
    pub reason: String,
}

impl Note {
    pub fn scanned(format: &str) -> Self {
        Note {
            format: format.to_string(),
            status: Status::Scanned,
            reason: String::new(),
        }
    }

    pub fn with(format: &str, status: Status, reason: impl Into<String>) -> Self {
        Note {
            format: format.to_string(),
            status,
            reason: reason.into(),
        }
    }
}

/// What a container knows about a member before reading it.
#[derive(Debug, Clone, Default)]
pub struct MemberInfo {
    /// Uncompressed size as the container declares it (may lie).
    pub declared_size: Option<u64>,
    /// Compressed size, for the ratio guard.
    pub compressed_size: Option<u64>,
    pub modified: Option<SystemTime>,
}

/// One item being extracted: where it sits, how deep, and where its content goes.
pub struct Node<'a> {
    /// Report path: `share/a.zip!inner/b.xlsx`.
    pub path: &'a str,
    /// 0 for a file on disk, +1 per container level.
    pub depth: usize,
    pub limits: &'a Limits,
    pub budget: Budget,
    pub sink: &'a mut dyn ContentSink,
}

impl Node<'_> {
    /// Decodes `reader` as text, or pulls strings out of it when binary, under this item's path.
    pub fn stream_text(&mut self, reader: &mut dyn Read) -> Result<Encoding, String> {
        let mut hashing = HashingReader::new(Stoppable {
            inner: reader,
            stop: self.limits.stop.clone(),
        });
        let path = self.path;
        let sink = &mut *self.sink;
        text::stream_text(&mut hashing, self.limits, &mut |chunk| {
            sink.text(path, chunk)
        })
        .map_err(|(_, e)| format!("read failed: {}", io_reason(&e)))
    }

    /// Hands one prepared chunk (cells, pages, rows) to the detectors.
    pub fn text(&mut self, chunk: TextChunk<'_>) {
        self.sink.text(self.path, chunk);
    }

    /// Reads the item as `format`. An extractor that fails leaves an `error` with its reason,
    /// and the raw bytes still get a strings pass when they can be re-read, so nothing
    /// readable is lost.
    pub fn dispatch(&mut self, format: Format, input: Input<'_>) -> Note {
        let name = format.name();
        match input {
            Input::Stream(reader) if !format.streams() => {
                // Parsers that seek get a spooled copy.
                match spool(reader, &self.limits.spooled_in_memory) {
                    // The copy's hold on the allowance ends with the copy, after its parse.
                    Ok((mut source, _held)) => self.dispatch(format, Input::Seekable(&mut source)),
                    Err(e) => Note::with(
                        name,
                        Status::Error,
                        format!("cannot spool for {name}: {}", io_reason(&e)),
                    ),
                }
            }
            Input::Seekable(source) => {
                match formats::extract(self, format, Input::Seekable(source)) {
                    Ok(note) => note,
                    Err(reason) => {
                        let fallback = source.seek(SeekFrom::Start(0)).is_ok()
                            && self.stream_text(source).is_ok();
                        let tail = if fallback {
                            "; raw bytes given a strings pass instead"
                        } else {
                            ""
                        };
                        Note::with(name, Status::Error, format!("{reason}{tail}"))
                    }
                }
            }
            input @ Input::Stream(_) => match formats::extract(self, format, input) {
                Ok(note) => note,
                Err(reason) => Note::with(name, Status::Error, reason),
            },
        }
    }

    /// Reads one member of this container: checks depth and budgets, sniffs it, extracts it
    /// recursively, and reports its account (a row of files.csv).
    pub fn member(&mut self, name: &str, reader: &mut dyn Read, info: MemberInfo) {
        let path = format!("{}!{}", self.path, name);
        let mut record = MemberRecord {
            path: path.clone(),
            size: info.declared_size.unwrap_or(0),
            modified: info.modified,
            format: String::new(),
            status: Status::Skipped,
            reason: String::new(),
            sha256: None,
        };
        if self.limits.stop.is_raised() {
            record.reason = format!("not scanned: {INTERRUPTED}");
            self.sink.member(record);
            return;
        }
        if self.depth + 1 > self.limits.max_depth {
            record.reason = format!(
                "nested deeper than the depth limit ({}; --max-depth)",
                self.limits.max_depth
            );
            self.sink.member(record);
            return;
        }
        if self.budget.left() == 0 {
            record.reason = format!(
                "decompression budget of the top-level file used up ({} bytes; --max-expanded-bytes)",
                self.limits.max_expanded_bytes
            );
            self.sink.member(record);
            return;
        }
        let ratio_limit = info.compressed_size.map(|c| {
            c.max(1)
                .saturating_mul(self.limits.max_ratio)
                .max(RATIO_GRACE_BYTES)
        });
        let stop = Rc::new(RefCell::new(None));
        let mut guarded = Guarded {
            inner: reader,
            hasher: Sha256::new(),
            read: 0,
            budget: self.budget.clone(),
            ratio_limit,
            max_ratio: self.limits.max_ratio,
            stop: Rc::clone(&stop),
            complete: false,
        };
        let mut head = vec![0u8; SNIFF_BYTES];
        let head_len = match read_head(&mut guarded, &mut head) {
            Ok(n) => n,
            Err(e) => {
                record.status = Status::Error;
                record.reason = format!("cannot read member: {}", io_reason(&e));
                self.sink.member(record);
                return;
            }
        };
        head.truncate(head_len);
        let format = sniff::sniff(&head, name);
        let mut child = Node {
            path: &path,
            depth: self.depth + 1,
            limits: self.limits,
            budget: self.budget.clone(),
            sink: &mut *self.sink,
        };
        let note = {
            let mut chained = io::Cursor::new(head).chain(&mut guarded);
            child.dispatch(format, Input::Stream(&mut chained))
        };
        // Read what the extractor left so the hash covers the member (bounded by the guard).
        let drained = io::copy(&mut guarded, &mut io::sink());
        record.format = note.format;
        record.status = note.status;
        record.reason = note.reason;
        record.size = guarded.read;
        let stopped = stop.borrow().clone();
        if let Some(reason) = stopped {
            if record.status == Status::Scanned {
                record.status = Status::Truncated;
            }
            record.reason = if record.reason.is_empty() {
                reason
            } else {
                format!("{}; {reason}", record.reason)
            };
        } else if drained.is_ok() && guarded.complete {
            record.sha256 = Some(hex::encode(guarded.hasher.finalize()));
            // The data ended cleanly at another size than the header claims (a zip64 field
            // saying 2^62 bytes, say): the content is whole, the header lies; say so.
            if let Some(declared) = info.declared_size.filter(|&d| d != guarded.read) {
                let lie = format!(
                    "the container declares {declared} bytes but the data holds {}",
                    guarded.read
                );
                record.reason = if record.reason.is_empty() {
                    lie
                } else {
                    format!("{}; {lie}", record.reason)
                };
            }
        }
        self.sink.member(record);
    }

    /// Reports a member that is listed but not read (encrypted, unsupported, over a limit).
    pub fn member_not_read(
        &mut self,
        name: &str,
        info: MemberInfo,
        format: &str,
        status: Status,
        reason: impl Into<String>,
    ) {
        self.sink.member(MemberRecord {
            path: format!("{}!{}", self.path, name),
            size: info.declared_size.unwrap_or(0),
            modified: info.modified,
            format: format.to_string(),
            status,
            reason: reason.into(),
            sha256: None,
        });
    }
}

/// Copies a stream into memory, or into a private temporary file once it grows large or the
/// scan's memory allowance runs out. The hold returned keeps the copy's share of the allowance.
pub fn spool(
    reader: &mut dyn Read,
    allowance: &MemoryAllowance,
) -> io::Result<(Source, MemoryHold)> {
    let mut memory = Vec::new();
    let mut held = allowance.hold();
    loop {
        let step = SPOOL_STEP_BYTES.min(MEMORY_SPOOL_BYTES + 1 - memory.len() as u64);
        if step == 0 || !held.grow(step) {
            break;
        }
        let read = (&mut *reader).take(step).read_to_end(&mut memory)? as u64;
        if read < step {
            held.shrink_to(memory.len() as u64);
            return Ok((Source::Memory(io::Cursor::new(memory)), held));
        }
    }
    // tempfile() is created 0600 and unlinked at once: nothing is left behind.
    let mut file = tempfile::tempfile()?;
    file.write_all(&memory)?;
    drop(memory);
    held.shrink_to(0);
    io::copy(reader, &mut file)?;
    file.seek(SeekFrom::Start(0))?;
    Ok((Source::Spool(file), held))
}

/// Reads a member within the budgets, hashing as it goes; past a limit it reports end of data
/// and records why, so what was read is still scanned.
struct Guarded<'r> {
    inner: &'r mut dyn Read,
    hasher: Sha256,
    read: u64,
    budget: Budget,
    ratio_limit: Option<u64>,
    max_ratio: u64,
    stop: Rc<RefCell<Option<String>>>,
    complete: bool,
}

impl Read for Guarded<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.stop.borrow().is_some() || self.complete {
            return Ok(0);
        }
        let mut allowed = buf.len() as u64;
        if let Some(limit) = self.ratio_limit {
            allowed = allowed.min(limit.saturating_sub(self.read));
        }
        allowed = allowed.min(self.budget.left());
        if allowed == 0 {
            let reason = if self.budget.left() == 0 {
                "decompression budget of the top-level file used up (--max-expanded-bytes); read up to it".to_string()
            } else {
                format!(
                    "compression ratio above {}:1 (--max-ratio); read up to the limit",
                    self.max_ratio
                )
            };
            *self.stop.borrow_mut() = Some(reason);
            return Ok(0);
        }
        let n = self.inner.read(&mut buf[..allowed as usize])?;
        if n == 0 {
            self.complete = true;
        }
        self.hasher.update(&buf[..n]);
        self.read += n as u64;
        self.budget.take(n as u64);
        Ok(n)
    }
}

/// An I/O error in words, without the path (the row already names it).
pub fn io_reason(e: &io::Error) -> String {
    match e.kind() {
        io::ErrorKind::PermissionDenied => "permission denied".to_string(),
        io::ErrorKind::NotFound => "file vanished during the scan".to_string(),
        _ => e.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Spools `data` within `allowance`: whether the copy is in memory, its bytes read back,
    /// and the bytes it holds of the allowance.
    fn spooled(data: &[u8], allowance: &MemoryAllowance) -> (bool, Vec<u8>, u64) {
        let (mut source, held) = spool(&mut &data[..], allowance).expect("spools");
        let in_memory = matches!(source, Source::Memory(_));
        let mut back = Vec::new();
        source.read_to_end(&mut back).expect("reads back");
        (in_memory, back, held.bytes())
    }

    #[test]
    fn a_member_is_copied_to_memory_within_the_allowance_and_to_a_file_past_it() {
        let data: Vec<u8> = (0..3 * SPOOL_STEP_BYTES + 17)
            .map(|i| (i % 251) as u8)
            .collect();
        let size = data.len() as u64;
        let roomy = MemoryAllowance::new(64 << 20);
        assert_eq!(spooled(&data, &roomy), (true, data.clone(), size));
        assert_eq!(roomy.left(), 64 << 20, "given back with the copy");
        // Room for two of its four steps: the two read go to the file with the rest.
        let tight = MemoryAllowance::new(2 * SPOOL_STEP_BYTES);
        assert_eq!(spooled(&data, &tight), (false, data.clone(), 0));
        assert_eq!(tight.left(), 2 * SPOOL_STEP_BYTES);
        let spent = MemoryAllowance::new(0);
        assert_eq!(spooled(&data, &spent), (false, data.clone(), 0));
        assert_eq!(spooled(b"", &spent), (false, Vec::new(), 0));
    }

    #[test]
    fn a_member_larger_than_the_memory_limit_goes_to_a_file_whatever_the_allowance() {
        let data = vec![7u8; MEMORY_SPOOL_BYTES as usize + 1];
        let roomy = MemoryAllowance::new(1 << 30);
        let (in_memory, back, held) = spooled(&data, &roomy);
        assert!(!in_memory);
        assert_eq!(back.len(), data.len());
        assert_eq!(held, 0);
        let exact = vec![7u8; MEMORY_SPOOL_BYTES as usize];
        let (in_memory, back, held) = spooled(&exact, &roomy);
        assert!(in_memory);
        assert_eq!(back.len(), exact.len());
        assert_eq!(held, MEMORY_SPOOL_BYTES);
    }
}
