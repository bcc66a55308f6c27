//! Turns an item into content: sniffs what a file is, opens it read-only and streams decoded
//! text chunks to the detectors, under the run's limits. A bad file fails alone.

mod text;

use std::fs::File;
use std::io::{self, Read};
use std::path::Path;

use sha2::{Digest, Sha256};

use crate::config::Limits;
use crate::content::TextChunk;

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

/// Opens a file for reading without changing its access time where the OS allows it.
pub fn open_evidence(path: &Path) -> io::Result<File> {
    use std::os::unix::fs::OpenOptionsExt;
    let mut options = std::fs::OpenOptions::new();
    options.read(true).custom_flags(libc::O_NOATIME | libc::O_NONBLOCK);
    match options.open(path) {
        Ok(file) => Ok(file),
        // O_NOATIME is refused for files the user does not own; read them normally.
        Err(e) if e.raw_os_error() == Some(libc::EPERM) => {
            std::fs::OpenOptions::new().read(true).custom_flags(libc::O_NONBLOCK).open(path)
        }
        Err(e) => Err(e),
    }
}

/// Reads blocks from the evidence, hashing every byte on the way.
pub struct HashingReader<R> {
    inner: R,
    hasher: Sha256,
    pub bytes_read: u64,
}

impl<R: Read> HashingReader<R> {
    pub fn new(inner: R) -> Self {
        HashingReader { inner, hasher: Sha256::new(), bytes_read: 0 }
    }

    /// Fills as much of `buf` as the source gives (short only at the end).
    pub fn fill(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let mut filled = 0;
        while filled < buf.len() {
            match self.inner.read(&mut buf[filled..]) {
                Ok(0) => break,
                Ok(n) => filled += n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
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

/// Scans one file from disk: decodes text (or pulls strings out of binary data) and hands every
/// chunk to `sink` under the report path `display`.
pub fn extract_file(path: &Path, display: &str, limits: &Limits, sink: &mut dyn ContentSink) -> ExtractOutcome {
    let file = match open_evidence(path) {
        Ok(file) => file,
        Err(e) => {
            return ExtractOutcome {
                format: String::new(),
                status: Status::Error,
                reason: format!("cannot open: {}", io_reason(&e)),
                sha256: None,
                bytes_read: 0,
            };
        }
    };
    let mut reader = HashingReader::new(file);
    let result = text::stream_text(&mut reader, limits, &mut |chunk| sink.text(display, chunk));
    let bytes_read = reader.bytes_read;
    let sha256 = Some(reader.finish());
    match result {
        Ok(encoding) => ExtractOutcome {
            format: encoding.format_name().to_string(),
            status: Status::Scanned,
            reason: encoding.reason().to_string(),
            sha256,
            bytes_read,
        },
        Err((encoding, e)) => ExtractOutcome {
            format: encoding.map(|e| e.format_name().to_string()).unwrap_or_default(),
            status: if bytes_read > 0 { Status::Truncated } else { Status::Error },
            reason: format!("read failed after {bytes_read} bytes: {}", io_reason(&e)),
            sha256,
            bytes_read,
        },
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
