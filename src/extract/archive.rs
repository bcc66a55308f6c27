//! Archives: zip (with zip64 and encrypted entries), tar and 7z; members are extracted recursively.

use std::io::{self, Read, Seek, SeekFrom};
use std::time::SystemTime;

use super::sniff::{self, Format};
use super::{Input, MemberInfo, Node, Note, Source, Status, formats, io_reason};

/// Bytes of an ODF `mimetype` member read to tell documents from plain zips.
const MIMETYPE_BYTES: u64 = 256;
/// Damaged local headers tolerated while recovering a zip (each costs a search of the file).
const MAX_DAMAGED_HEADERS: usize = 1000;
/// Dictionary and model memory a 7z decoder may take (KiB): beyond it the block is not decoded.
const SEVEN_Z_MEMORY_KB: usize = 192 * 1024;

/// A member name as bytes, shown losslessly: valid UTF-8 stays as it is, control characters
/// (NUL, newline…) and bytes that are not UTF-8 become `\xNN`, a backslash becomes `\\`. Names
/// are only ever shown, never used as filesystem paths, so `../` and absolute paths stay visible.
pub(super) fn display_name(raw: &[u8]) -> String {
    let mut out = String::with_capacity(raw.len());
    for chunk in raw.utf8_chunks() {
        for c in chunk.valid().chars() {
            match c {
                '\\' => out.push_str("\\\\"),
                c if c.is_control() => {
                    let mut buf = [0u8; 4];
                    for b in c.encode_utf8(&mut buf).bytes() {
                        out.push_str(&format!("\\x{b:02x}"));
                    }
                }
                c => out.push(c),
            }
        }
        for b in chunk.invalid() {
            out.push_str(&format!("\\x{b:02x}"));
        }
    }
    out
}

fn entries_reason(limit: usize) -> String {
    format!("archive has more than {limit} members (--max-entries); not read")
}

fn zip_time(time: Option<zip::DateTime>) -> Option<SystemTime> {
    let time = time?;
    let primitive = time::PrimitiveDateTime::try_from(time).ok()?;
    Some(primitive.assume_utc().into())
}

/// Zip archives read through their central directory; when it is missing or damaged, members
/// are recovered front to back from their local headers.
pub fn zip(node: &mut Node<'_>, input: Input<'_>) -> Result<Note, String> {
    let Input::Seekable(source) = input else {
        // The framework spools non-streaming formats; a stream here is a caller bug.
        return Err("zip needs a seekable source".to_string());
    };
    source.seek(SeekFrom::Start(0)).map_err(|e| io_reason(&e))?;
    let mut archive = match zip::ZipArchive::new(&mut *source) {
        Ok(archive) => archive,
        Err(e) => {
            let why = format!("central directory unreadable ({e})");
            return zip_recover(node, source, &why);
        }
    };
    if let Some(document) = zip_document(&mut archive) {
        drop(archive);
        source.seek(SeekFrom::Start(0)).map_err(|e| io_reason(&e))?;
        return formats::extract(node, document, Input::Seekable(source));
    }
    let mut members = 0usize;
    let mut failed = 0usize;
    let mut over_limit = 0usize;
    let mut overlapping = 0usize;
    // Byte ranges of the entries read so far: an overlapping-entry ("non-recursive") zip bomb
    // points many directory entries at one compressed kernel, so each would expand it again.
    let mut read_ranges = ReadRanges::default();
    for index in 0..archive.len() {
        let Ok(entry) = archive.by_index_data(index) else {
            continue;
        };
        if entry.is_dir() {
            continue;
        }
        let name = zip_entry_name(entry.name_raw(), entry.name().ok().as_deref());
        // The compressed data follows a local header of at least 30 bytes whose name and
        // extra field are not known before it is read: the range starts early and ends early
        // by as much, never past the entry's real end.
        let start = entry.header_start().saturating_add(30);
        let end = start.saturating_add(entry.compressed_size());
        let info = MemberInfo {
            declared_size: Some(entry.size()),
            compressed_size: Some(entry.compressed_size()),
            modified: zip_time(entry.last_modified()),
        };
        let encrypted = entry.encrypted();
        let method = entry.compression();
        members += 1;
        if members > node.limits.max_entries {
            over_limit += 1;
            node.member_not_read(
                &name,
                info,
                "",
                Status::Skipped,
                entries_reason(node.limits.max_entries),
            );
            continue;
        }
        if let Some(other) = read_ranges.overlap(start, end) {
            overlapping += 1;
            let reason = format!(
                "zip entry overlaps the data of {other} (overlapping-entry zip bomb): not read"
            );
            node.member_not_read(&name, info, "", Status::Skipped, reason);
            continue;
        }
        if encrypted {
            node.member_not_read(
                &name,
                info,
                "",
                Status::Encrypted,
                "encrypted zip entry (AES or ZipCrypto): no password to open it",
            );
            continue;
        }
        read_ranges.insert(start, end, &name);
        match archive.by_index(index) {
            Ok(mut file) => node.member(&name, &mut file, info),
            Err(zip::result::ZipError::UnsupportedArchive(why)) => {
                node.member_not_read(
                    &name,
                    info,
                    "",
                    Status::Skipped,
                    format!("zip entry not readable: {why}"),
                );
            }
            Err(zip::result::ZipError::CompressionMethodNotSupported(_)) => {
                node.member_not_read(
                    &name,
                    info,
                    "",
                    Status::Skipped,
                    format!("zip compression method {method} is not supported"),
                );
            }
            Err(e) => {
                failed += 1;
                node.member_not_read(
                    &name,
                    info,
                    "",
                    Status::Error,
                    format!("cannot open zip entry: {e}"),
                );
            }
        }
    }
    let mut reasons = Vec::new();
    if archive.has_duplicate_names() {
        reasons.push("duplicate member names: only one of each is read".to_string());
    }
    if failed > 0 {
        reasons.push(format!("{failed} member(s) could not be opened"));
    }
    if overlapping > 0 {
        reasons.push(format!(
            "{overlapping} member(s) overlap the data of another member (overlapping-entry zip bomb): not read"
        ));
    }
    if over_limit > 0 {
        reasons.push(format!(
            "{over_limit} member(s) past the --max-entries limit of {} not read",
            node.limits.max_entries
        ));
    }
    if over_limit > 0 || overlapping > 0 {
        return Ok(Note::with("zip", Status::Truncated, reasons.join("; ")));
    }
    Ok(Note::with("zip", Status::Scanned, reasons.join("; ")))
}

/// Non-overlapping byte ranges `[start, end)` of the zip entries read, each with its name.
#[derive(Default)]
struct ReadRanges(std::collections::BTreeMap<u64, (u64, String)>);

impl ReadRanges {
    /// The name of a read entry whose range meets `[start, end)`, if any.
    fn overlap(&self, start: u64, end: u64) -> Option<&str> {
        let before = self.0.range(..=start).next_back();
        let after = self.0.range(start..end).next();
        before
            .filter(|(_, (e, _))| *e > start)
            .or(after)
            .map(|(_, (_, name))| name.as_str())
    }

    fn insert(&mut self, start: u64, end: u64, name: &str) {
        self.0.insert(start, (end, name.to_string()));
    }
}

/// A member name: the raw bytes when they are UTF-8, else the zip's own decoding (CP437 when
/// the UTF-8 flag is unset, which maps every byte), else the bytes escaped.
fn zip_entry_name(raw: &[u8], decoded: Option<&str>) -> String {
    match (std::str::from_utf8(raw), decoded) {
        (Ok(_), _) | (Err(_), None) => display_name(raw),
        (Err(_), Some(decoded)) => display_name(decoded.as_bytes()),
    }
}

/// The document format when the zip is an OOXML or ODF document.
fn zip_document(archive: &mut zip::ZipArchive<&mut Source>) -> Option<Format> {
    let names: Vec<String> = archive
        .file_names()
        .take(10_000)
        .filter_map(Result::ok)
        .map(|n| n.into_owned())
        .collect();
    let mimetype = match archive.by_name("mimetype") {
        Ok(file) => {
            let mut text = String::new();
            file.take(MIMETYPE_BYTES).read_to_string(&mut text).ok();
            Some(text)
        }
        Err(_) => None,
    };
    let refs: Vec<&str> = names.iter().map(String::as_str).collect();
    match sniff::classify_zip(&refs, mimetype.as_deref()) {
        Format::Zip => None,
        document => Some(document),
    }
}

/// Counts the bytes a zip reader consumes, so recovery knows where a member ended.
struct Position<'r> {
    inner: &'r mut Source,
    pos: u64,
}

impl Read for Position<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.pos += n as u64;
        Ok(n)
    }
}

/// Offset of the next local file header signature at or after `from`.
fn next_local_header(source: &mut Source, from: u64) -> io::Result<Option<u64>> {
    const SIGNATURE: &[u8] = b"PK\x03\x04";
    source.seek(SeekFrom::Start(from))?;
    let mut buf = vec![0u8; 1 << 16];
    let mut base = from;
    let mut carry = 0usize;
    loop {
        let n = read_some(source, &mut buf[carry..])?;
        if n == 0 {
            return Ok(None);
        }
        let filled = carry + n;
        if let Some(at) = memchr::memmem::find(&buf[..filled], SIGNATURE) {
            return Ok(Some(base + at as u64));
        }
        // Keep the last bytes: a signature may straddle two reads.
        let keep = (SIGNATURE.len() - 1).min(filled);
        buf.copy_within(filled - keep..filled, 0);
        base += (filled - keep) as u64;
        carry = keep;
    }
}

fn read_some(reader: &mut dyn Read, buf: &mut [u8]) -> io::Result<usize> {
    loop {
        match reader.read(buf) {
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            other => return other,
        }
    }
}

/// Reads members front to back from their local headers (a truncated download, a damaged
/// central directory); whatever comes before the damage is scanned.
fn zip_recover(node: &mut Node<'_>, source: &mut Source, why: &str) -> Result<Note, String> {
    let len = source.len().map_err(|e| io_reason(&e))?;
    let mut offset = 0u64;
    let mut members = 0usize;
    let mut stop_reason = None;
    let mut damaged = 0usize;
    let mut last_damage = None;
    loop {
        let found = next_local_header(source, offset).map_err(|e| io_reason(&e))?;
        let Some(start) = found else { break };
        if members >= node.limits.max_entries {
            stop_reason = Some(entries_reason(node.limits.max_entries));
            break;
        }
        // An entry whose sizes follow its data (data descriptor) is bounded by the next header.
        let next = next_local_header(source, start + 4)
            .map_err(|e| io_reason(&e))?
            .unwrap_or(len);
        source
            .seek(SeekFrom::Start(start))
            .map_err(|e| io_reason(&e))?;
        let mut reader = Position {
            inner: source,
            pos: start,
        };
        let bound = next.saturating_sub(start).saturating_sub(30);
        let uses_descriptor;
        match zip::read::read_zipfile_from_stream_with_compressed_size(&mut reader, bound) {
            Ok(Some(mut file)) => {
                uses_descriptor = file.compressed_size() == bound;
                if !file.is_dir() {
                    members += 1;
                    let name = zip_entry_name(file.name_raw(), file.name().ok().as_deref());
                    let info = MemberInfo {
                        declared_size: (!uses_descriptor).then(|| file.size()),
                        compressed_size: (!uses_descriptor).then(|| file.compressed_size()),
                        modified: zip_time(file.last_modified()),
                    };
                    if file.encrypted() {
                        node.member_not_read(
                            &name,
                            info,
                            "",
                            Status::Encrypted,
                            "encrypted zip entry (AES or ZipCrypto): no password to open it",
                        );
                    } else {
                        node.member(&name, &mut file, info);
                    }
                }
            }
            Ok(None) => break,
            Err(e) => {
                damaged += 1;
                last_damage = Some(format!("damaged local header at offset {start}: {e}"));
                if damaged >= MAX_DAMAGED_HEADERS {
                    stop_reason = Some(format!("gave up after {damaged} damaged local headers"));
                    break;
                }
                // Try the next header after the damaged one.
                offset = start + 4;
                continue;
            }
        }
        let after = reader.pos;
        offset = if uses_descriptor {
            next
        } else {
            after.max(start + 4)
        };
    }
    let mut reason = format!("{why}: {members} member(s) recovered from local headers");
    if let Some(damage) = last_damage {
        reason.push_str(&format!("; {damage}"));
    }
    if let Some(stop) = stop_reason {
        reason.push_str(&format!("; {stop}"));
    }
    Ok(Note::with("zip", Status::Truncated, reason))
}

/// Tar archives, read as a stream.
pub fn tar(node: &mut Node<'_>, mut input: Input<'_>) -> Result<Note, String> {
    tar_stream(node, &mut input, "tar")
}

/// Reads tar members from any stream (also the decompressed body of a .tar.gz).
pub(super) fn tar_stream(
    node: &mut Node<'_>,
    reader: &mut dyn Read,
    format_name: &str,
) -> Result<Note, String> {
    let mut archive = tar::Archive::new(reader);
    let entries = archive
        .entries()
        .map_err(|e| format!("not a readable tar: {}", io_reason(&e)))?;
    let mut members = 0usize;
    let mut problem: Option<(Status, String)> = None;
    for entry in entries {
        let mut entry = match entry {
            Ok(entry) => entry,
            Err(e) => {
                let status = if members > 0 {
                    Status::Truncated
                } else {
                    Status::Error
                };
                problem = Some((
                    status,
                    format!("tar damaged after {members} member(s): {}", io_reason(&e)),
                ));
                break;
            }
        };
        let kind = entry.header().entry_type();
        if kind.is_dir() || kind.is_pax_global_extensions() || kind.is_pax_local_extensions() {
            continue;
        }
        let name = display_name(&entry.path_bytes());
        let size = entry.size();
        let modified = entry
            .header()
            .mtime()
            .ok()
            .map(|s| SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(s));
        let info = MemberInfo {
            declared_size: Some(size),
            compressed_size: None,
            modified,
        };
        members += 1;
        if members > node.limits.max_entries {
            node.member_not_read(
                &name,
                info,
                "",
                Status::Skipped,
                entries_reason(node.limits.max_entries),
            );
            problem = Some((
                Status::Truncated,
                format!(
                    "stopped after {} members (--max-entries); later members not listed",
                    node.limits.max_entries
                ),
            ));
            break;
        }
        if kind.is_file() || kind.is_contiguous() || kind.is_gnu_sparse() {
            let mut exact = Exact {
                inner: &mut entry,
                left: size,
            };
            node.member(&name, &mut exact, info);
        } else if kind.is_symlink() || kind.is_hard_link() {
            let target = entry
                .link_name_bytes()
                .map(|t| display_name(&t))
                .unwrap_or_default();
            let what = if kind.is_symlink() {
                "symbolic"
            } else {
                "hard"
            };
            node.member_not_read(
                &name,
                info,
                "",
                Status::Skipped,
                format!("{what} link to {target}: no content of its own"),
            );
        } else {
            node.member_not_read(
                &name,
                info,
                "",
                Status::Skipped,
                "special tar entry (device, fifo…): no content",
            );
        }
    }
    Ok(match problem {
        Some((status, reason)) => Note::with(format_name, status, reason),
        None => Note::scanned(format_name),
    })
}

/// A member of known size: ending early is an error, not a short file.
struct Exact<'r, R: Read> {
    inner: &'r mut R,
    left: u64,
}

impl<R: Read> Read for Exact<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.left == 0 || buf.is_empty() {
            return Ok(0);
        }
        let want = buf
            .len()
            .min(usize::try_from(self.left).unwrap_or(usize::MAX));
        let n = self.inner.read(&mut buf[..want])?;
        if n == 0 {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                format!("member cut short: {} bytes missing", self.left),
            ));
        }
        self.left -= n as u64;
        Ok(n)
    }
}

/// 7z archives: each non-encrypted block decoded in turn under a memory limit; entries of
/// encrypted blocks are listed as encrypted.
pub fn seven_z(node: &mut Node<'_>, input: Input<'_>) -> Result<Note, String> {
    use sevenz_rust2::{Archive, BlockDecoder, Error as SzError, Password};

    let Input::Seekable(source) = input else {
        return Err("7z needs a seekable source".to_string());
    };
    source.seek(SeekFrom::Start(0)).map_err(|e| io_reason(&e))?;
    let password = Password::empty();
    let archive = match Archive::read_with_memory_limit(source, &password, SEVEN_Z_MEMORY_KB) {
        Ok(archive) => archive,
        Err(SzError::PasswordRequired | SzError::MaybeBadPassword(_)) => {
            return Ok(Note::with(
                "7z",
                Status::Encrypted,
                "encrypted 7z archive (names hidden too): no password to open it",
            ));
        }
        Err(SzError::MaxMemLimited { actaul_kb, .. }) => {
            return Ok(Note::with(
                "7z",
                Status::Skipped,
                format!(
                    "7z header needs {} MiB to decode, more than the {} MiB allowed",
                    actaul_kb / 1024,
                    SEVEN_Z_MEMORY_KB / 1024
                ),
            ));
        }
        Err(e) => return Err(format!("not a readable 7z: {e}")),
    };
    let limit = node.limits.max_entries;
    let mut listed = 0usize;
    let mut problems: Vec<String> = Vec::new();
    let mut status = Status::Scanned;
    let file_time = |entry: &sevenz_rust2::ArchiveEntry| {
        entry
            .has_last_modified_date
            .then(|| SystemTime::from(entry.last_modified_date))
    };
    let info_of = |entry: &sevenz_rust2::ArchiveEntry| MemberInfo {
        declared_size: Some(entry.size),
        compressed_size: None,
        modified: file_time(entry),
    };
    for (index, entry) in archive.files.iter().enumerate() {
        if archive.is_file_encrypted(index) && !entry.is_directory {
            node.member_not_read(
                &display_name(entry.name.as_bytes()),
                info_of(entry),
                "",
                Status::Encrypted,
                "encrypted 7z entry: no password to open it",
            );
        }
    }
    for block in 0..archive.blocks.len() {
        let first = archive
            .stream_map
            .block_first_file_index
            .get(block)
            .copied();
        let encrypted = first.is_some_and(|f| archive.is_file_encrypted(f));
        if encrypted {
            continue;
        }
        let decoder = BlockDecoder::new_with_memory_limit(
            1,
            SEVEN_Z_MEMORY_KB,
            block,
            &archive,
            &password,
            &mut *source,
        );
        let entries: Vec<sevenz_rust2::ArchiveEntry> = decoder.entries().to_vec();
        let mut seen = 0usize;
        // Why the rest of the block was abandoned, if it was.
        let mut abandoned: Option<String> = None;
        let result = decoder.for_each_entries(&mut |entry, reader| {
            seen += 1;
            if entry.is_directory || entry.is_anti_item {
                return Ok(true);
            }
            let name = display_name(entry.name.as_bytes());
            listed += 1;
            if listed > limit {
                node.member_not_read(
                    &name,
                    info_of(entry),
                    "",
                    Status::Skipped,
                    entries_reason(limit),
                );
                abandoned = Some(entries_reason(limit));
                return Ok(false);
            }
            let mut counted = Counted {
                inner: reader,
                read: 0,
            };
            node.member(&name, &mut counted, info_of(entry));
            if counted.read < entry.size {
                // The member stopped early (a limit or an error): decoding the rest of a solid
                // block only to throw it away could take unbounded time.
                abandoned = Some(format!(
                    "not decoded: {name} earlier in the same solid block was not read to its end"
                ));
                return Ok(false);
            }
            Ok(true)
        });
        if let Some(why) = &abandoned {
            for entry in entries.iter().skip(seen) {
                if entry.is_directory || entry.is_anti_item {
                    continue;
                }
                node.member_not_read(
                    &display_name(entry.name.as_bytes()),
                    info_of(entry),
                    "",
                    Status::Skipped,
                    why.clone(),
                );
            }
            status = Status::Truncated;
        }
        match result {
            Ok(_) => {}
            Err(SzError::MaxMemLimited { actaul_kb, .. }) => {
                problems.push(format!(
                    "block {} needs {} MiB to decode, more than the {} MiB allowed: its members are not read",
                    block + 1,
                    actaul_kb / 1024,
                    SEVEN_Z_MEMORY_KB / 1024
                ));
                list_unread(
                    node,
                    &entries,
                    seen,
                    "7z block needs more decoder memory than allowed",
                    &info_of,
                );
                status = Status::Truncated;
            }
            Err(SzError::UnsupportedCompressionMethod(method)) => {
                problems.push(format!(
                    "block {}: compression method {method} is not supported",
                    block + 1
                ));
                list_unread(
                    node,
                    &entries,
                    seen,
                    &format!("7z compression method {method} is not supported"),
                    &info_of,
                );
                status = Status::Truncated;
            }
            Err(e) => {
                problems.push(format!("block {} damaged: {e}", block + 1));
                list_unread(
                    node,
                    &entries,
                    seen,
                    &format!("7z block damaged: {e}"),
                    &info_of,
                );
                status = Status::Truncated;
            }
        }
    }
    // Empty files belong to no block.
    for (index, entry) in archive.files.iter().enumerate() {
        let in_block = archive
            .stream_map
            .file_block_index
            .get(index)
            .copied()
            .flatten()
            .is_some();
        if in_block || entry.is_directory || entry.is_anti_item || entry.has_stream {
            continue;
        }
        listed += 1;
        let name = display_name(entry.name.as_bytes());
        if listed > limit {
            node.member_not_read(
                &name,
                info_of(entry),
                "",
                Status::Skipped,
                entries_reason(limit),
            );
            continue;
        }
        node.member(&name, &mut io::empty(), info_of(entry));
    }
    if archive.is_solid {
        problems.insert(0, "solid archive".to_string());
    }
    Ok(Note::with("7z", status, problems.join("; ")))
}

/// Lists the members of a block that failed before they were reached.
fn list_unread(
    node: &mut Node<'_>,
    entries: &[sevenz_rust2::ArchiveEntry],
    seen: usize,
    reason: &str,
    info_of: &dyn Fn(&sevenz_rust2::ArchiveEntry) -> MemberInfo,
) {
    for entry in entries.iter().skip(seen) {
        if entry.is_directory || entry.is_anti_item {
            continue;
        }
        node.member_not_read(
            &display_name(entry.name.as_bytes()),
            info_of(entry),
            "",
            Status::Skipped,
            reason,
        );
    }
}

/// Counts the bytes read from a member.
struct Counted<'r> {
    inner: &'r mut dyn Read,
    read: u64,
}

impl Read for Counted<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.read += n as u64;
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_shown_losslessly() {
        assert_eq!(display_name(b"../../etc/passwd"), "../../etc/passwd");
        assert_eq!(display_name(b"/abs/x.txt"), "/abs/x.txt");
        assert_eq!(display_name(b"a\0b"), "a\\x00b");
        assert_eq!(display_name(b"a\\b\n"), "a\\\\b\\x0a");
        assert_eq!(display_name(b"caf\xe9.txt"), "caf\\xe9.txt");
        assert_eq!(display_name("Gehälter.xlsx".as_bytes()), "Gehälter.xlsx");
    }

    #[test]
    fn read_ranges_find_overlaps() {
        let mut ranges = ReadRanges::default();
        ranges.insert(100, 200, "a");
        ranges.insert(300, 400, "b");
        assert_eq!(ranges.overlap(100, 150), Some("a"));
        assert_eq!(ranges.overlap(150, 250), Some("a"));
        assert_eq!(ranges.overlap(50, 101), Some("a"));
        assert_eq!(ranges.overlap(250, 350), Some("b"));
        assert_eq!(ranges.overlap(0, 100), None);
        assert_eq!(ranges.overlap(200, 300), None);
        assert_eq!(ranges.overlap(400, 500), None);
    }

    #[test]
    fn exact_reader_reports_a_short_member() {
        let mut data: &[u8] = b"abc";
        let mut exact = Exact {
            inner: &mut data,
            left: 5,
        };
        let mut out = Vec::new();
        let err = exact.read_to_end(&mut out).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::UnexpectedEof);
        assert_eq!(out, b"abc");
    }
}
