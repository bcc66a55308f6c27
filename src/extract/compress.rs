//! Single-stream compressors: gzip (multi-member), bzip2, xz and zstd.

use std::cell::{Cell, RefCell};
use std::io::{self, Read};
use std::rc::Rc;
use std::time::{Duration, SystemTime};

use super::archive::{display_name, tar_stream};
use super::sniff::{self, Format};
use super::{Input, MemberInfo, Node, Note, Status, io_reason};

/// Decompressed bytes read to sniff the content (a tar header is at 257..262).
const HEAD_BYTES: usize = 8192;
/// The stream ratio guard starts after this many decompressed bytes (as the member guard does).
const RATIO_GRACE_BYTES: u64 = 1 << 20;
/// Largest xz dictionary accepted (KiB): bounds decoder memory whatever the header claims.
const XZ_MEMORY_KB: u32 = 128 * 1024;
/// Largest zstd window (log2): 128 MiB, the format's default maximum for decoders.
const ZSTD_WINDOW_LOG_MAX: u32 = 27;

/// Decompresses the item as one stream: a tar inside yields its members directly (`a.tar.gz!x`);
/// anything else is one member named after the gzip header's file name or the outer name
/// without its compression suffix (`report.csv.gz!report.csv`).
pub fn decompress(
    node: &mut Node<'_>,
    format: Format,
    mut input: Input<'_>,
) -> Result<Note, String> {
    // A file on disk knows its compressed length: the member guard then applies the ratio
    // limit itself. A stream does not: our own guard watches the ratio as bytes flow.
    let compressed_len = match &mut input {
        Input::Seekable(source) => source.len().ok(),
        Input::Stream(_) => None,
    };
    let consumed = Rc::new(Cell::new(0u64));
    let counted = CountedInput {
        inner: &mut input,
        consumed: Rc::clone(&consumed),
    };
    let bad = |e: io::Error| format!("not a readable {} stream: {}", format.name(), io_reason(&e));
    match format {
        Format::Gzip => {
            let mut decoder = flate2::read::MultiGzDecoder::new(counted);
            let head = read_head(&mut decoder).map_err(bad)?;
            let header = decoder.header();
            let name = header
                .and_then(|h| h.filename())
                .filter(|f| !f.is_empty())
                .map(display_name);
            let modified = header
                .map(|h| h.mtime())
                .filter(|&t| t > 0)
                .map(|t| SystemTime::UNIX_EPOCH + Duration::from_secs(u64::from(t)));
            let rest = head.rest(decoder);
            finish(
                node,
                format,
                &head.bytes,
                rest,
                name,
                modified,
                compressed_len,
                consumed,
            )
        }
        Format::Bzip2 => {
            let mut decoder = bzip2::read::MultiBzDecoder::new(counted);
            let head = read_head(&mut decoder).map_err(bad)?;
            let rest = head.rest(decoder);
            finish(
                node,
                format,
                &head.bytes,
                rest,
                None,
                None,
                compressed_len,
                consumed,
            )
        }
        Format::Xz => {
            let mut decoder = lzma_rust2::XzReader::new_mem_limit(counted, true, XZ_MEMORY_KB);
            let head = read_head(&mut decoder).map_err(bad)?;
            let rest = head.rest(decoder);
            finish(
                node,
                format,
                &head.bytes,
                rest,
                None,
                None,
                compressed_len,
                consumed,
            )
        }
        Format::Zstd => {
            let mut decoder = zstd::stream::read::Decoder::new(counted).map_err(bad)?;
            decoder.window_log_max(ZSTD_WINDOW_LOG_MAX).map_err(bad)?;
            let head = read_head(&mut decoder).map_err(bad)?;
            let rest = head.rest(decoder);
            finish(
                node,
                format,
                &head.bytes,
                rest,
                None,
                None,
                compressed_len,
                consumed,
            )
        }
        other => Err(format!("{} is not a compression format", other.name())),
    }
}

/// The first decompressed bytes, and the error that stopped them early, if any.
struct Head {
    bytes: Vec<u8>,
    error: Option<io::Error>,
}

impl Head {
    /// The stream after the head: the decoder, or the error it already gave (a decoder that
    /// failed once is not asked again).
    fn rest<'d>(&self, decoder: impl Read + 'd) -> Box<dyn Read + 'd> {
        match &self.error {
            None => Box::new(decoder),
            Some(e) => Box::new(Failed(Some(io::Error::new(e.kind(), e.to_string())))),
        }
    }
}

/// A reader that reports one stored error.
struct Failed(Option<io::Error>);

impl Read for Failed {
    fn read(&mut self, _buf: &mut [u8]) -> io::Result<usize> {
        match self.0.take() {
            Some(e) => Err(e),
            None => Ok(0),
        }
    }
}

#[allow(clippy::too_many_arguments)]
fn finish(
    node: &mut Node<'_>,
    format: Format,
    head: &[u8],
    decoder: impl Read,
    header_name: Option<String>,
    modified: Option<SystemTime>,
    compressed_len: Option<u64>,
    consumed: Rc<Cell<u64>>,
) -> Result<Note, String> {
    let name = header_name.unwrap_or_else(|| inner_name(node.path, format));
    let head_bytes = head;
    let is_tar = sniff::sniff(head_bytes, &name) == Format::Tar;
    let state = Rc::new(RefCell::new(StreamState::default()));
    let mut guarded = StreamGuard {
        inner: io::Cursor::new(head_bytes.to_vec()).chain(decoder),
        produced: 0,
        consumed,
        // Only streams need our guard; for a file the member guard knows the full ratio.
        max_ratio: compressed_len.is_none().then_some(node.limits.max_ratio),
        state: Rc::clone(&state),
    };
    let suffix = match format {
        Format::Gzip => "gz",
        Format::Bzip2 => "bz2",
        Format::Xz => "xz",
        _ => "zst",
    };
    let (format_name, mut note) = if is_tar {
        let format_name = format!("tar.{suffix}");
        let note = tar_stream(node, &mut guarded, &format_name)?;
        (format_name, note)
    } else {
        let info = MemberInfo {
            declared_size: None,
            compressed_size: compressed_len,
            modified,
        };
        node.member(&name, &mut guarded, info);
        let format_name = format.name().to_string();
        // The member guard may have stopped at a limit: if data is left, say so here too.
        let mut probe = [0u8; 1];
        let note = match guarded.read(&mut probe) {
            Ok(1) => Note::with(
                &format_name,
                Status::Truncated,
                format!("{name} was not read to its end: a limit was reached (see its row)"),
            ),
            _ => Note::scanned(&format_name),
        };
        (format_name.clone(), note)
    };
    let state = state.borrow();
    let trouble = state.ratio_stop.clone().or_else(|| {
        state
            .failure
            .as_ref()
            .map(|e| format!("decompression failed after {} bytes: {e}", state.produced))
    });
    if let Some(reason) = trouble {
        let status = if state.produced > 0 {
            Status::Truncated
        } else {
            Status::Error
        };
        note.status = note.status.max(status);
        note.reason = if note.reason.is_empty() {
            reason
        } else {
            format!("{}; {reason}", note.reason)
        };
    }
    note.format = format_name;
    Ok(note)
}

/// The member name when the stream carries none: the outer name without its suffix.
fn inner_name(path: &str, format: Format) -> String {
    let base = path.rsplit(['/', '!']).next().unwrap_or(path);
    let lower = base.to_ascii_lowercase();
    let suffixes: &[(&str, &str)] = match format {
        Format::Gzip => &[(".tgz", ".tar"), (".gz", ""), (".gzip", ""), (".z", "")],
        Format::Bzip2 => &[
            (".tbz2", ".tar"),
            (".tbz", ".tar"),
            (".bz2", ""),
            (".bz", ""),
        ],
        Format::Xz => &[(".txz", ".tar"), (".xz", "")],
        _ => &[(".tzst", ".tar"), (".zst", ""), (".zstd", "")],
    };
    for (suffix, replacement) in suffixes {
        if lower.ends_with(suffix) && base.len() > suffix.len() {
            return format!("{}{replacement}", &base[..base.len() - suffix.len()]);
        }
    }
    base.to_string()
}

/// Reads the first bytes; an error after some data is kept for later so the data is scanned.
fn read_head(reader: &mut dyn Read) -> io::Result<Head> {
    let mut head = vec![0u8; HEAD_BYTES];
    let mut filled = 0;
    let mut error = None;
    while filled < head.len() {
        match reader.read(&mut head[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) if filled == 0 => return Err(e),
            Err(e) => {
                error = Some(e);
                break;
            }
        }
    }
    head.truncate(filled);
    Ok(Head { bytes: head, error })
}

/// Counts the compressed bytes the decoder takes in.
struct CountedInput<'a, 'r> {
    inner: &'a mut Input<'r>,
    consumed: Rc<Cell<u64>>,
}

impl Read for CountedInput<'_, '_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.consumed.set(self.consumed.get() + n as u64);
        Ok(n)
    }
}

#[derive(Default)]
struct StreamState {
    produced: u64,
    ratio_stop: Option<String>,
    failure: Option<String>,
}

/// Watches the decompressed stream: records a decoder failure, and for streams of unknown
/// compressed length stops at the ratio limit (an error, so the member is not taken as whole).
struct StreamGuard<R> {
    inner: R,
    produced: u64,
    consumed: Rc<Cell<u64>>,
    max_ratio: Option<u64>,
    state: Rc<RefCell<StreamState>>,
}

impl<R: Read> Read for StreamGuard<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if let Some(reason) = self.state.borrow().ratio_stop.clone() {
            return Err(io::Error::other(reason));
        }
        let mut want = buf.len();
        if let Some(ratio) = self.max_ratio {
            let limit = self
                .consumed
                .get()
                .max(1)
                .saturating_mul(ratio)
                .max(RATIO_GRACE_BYTES);
            let left = limit.saturating_sub(self.produced);
            if left == 0 {
                let reason = format!(
                    "compression ratio above {ratio}:1 (--max-ratio); read up to the limit"
                );
                self.state.borrow_mut().ratio_stop = Some(reason.clone());
                return Err(io::Error::other(reason));
            }
            want = want.min(usize::try_from(left).unwrap_or(usize::MAX));
        }
        match self.inner.read(&mut buf[..want]) {
            Ok(n) => {
                self.produced += n as u64;
                self.state.borrow_mut().produced = self.produced;
                Ok(n)
            }
            Err(e) => {
                if e.kind() != io::ErrorKind::Interrupted {
                    self.state.borrow_mut().failure = Some(io_reason(&e));
                }
                Err(e)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn member_name_drops_the_suffix() {
        assert_eq!(
            inner_name("share/a/report.csv.gz", Format::Gzip),
            "report.csv"
        );
        assert_eq!(inner_name("x.zip!b.tgz", Format::Gzip), "b.tar");
        assert_eq!(inner_name("dump.SQL.XZ", Format::Xz), "dump.SQL");
        assert_eq!(inner_name("data.zst", Format::Zstd), "data");
        assert_eq!(inner_name("blob", Format::Bzip2), "blob");
        assert_eq!(inner_name(".gz", Format::Gzip), ".gz");
    }
}
