//! Hostile input, generated at test time: huge lines, binary noise, broken encodings, link
//! loops, special and unreadable files, vanished files and names that are not UTF-8. The scan
//! never crashes, accounts for every entry and keeps every finding it can. (Archive-specific
//! hostile cases live in tests/containers.rs.)

mod util;

use std::ffi::OsStr;
use std::fs::{self, File};
use std::io::{BufWriter, Write};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::symlink;
use std::path::Path;

use util::*;

const MIB: usize = 1 << 20;

/// Scans `root` with `extra` arguments; returns findings as `path|location|line|detector` and
/// files as `path|format|status|reason`.
fn scan_rows(root: &Path, extra: &[&str]) -> (Vec<String>, Vec<String>) {
    let out = tempfile::tempdir().expect("tempdir");
    let report = out.path().join("report");
    let output = scan(root, &report, extra);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let findings = read_csv(&report.join("findings.csv"))
        .into_iter()
        .skip(1)
        .map(|r| format!("{}|{}|{}|{}", r[0], r[1], r[2], r[3]))
        .collect();
    let files = read_csv(&report.join("files.csv"))
        .into_iter()
        .skip(1)
        .map(|r| format!("{}|{}|{}|{}", r[0], r[3], r[4], r[5]))
        .collect();
    (findings, files)
}

fn share() -> (tempfile::TempDir, std::path::PathBuf) {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = dir.path().join("share");
    fs::create_dir(&root).expect("dir");
    (dir, root)
}

fn children_peak_rss_bytes() -> u64 {
    // SAFETY: getrusage writes into the zeroed struct we pass.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    let rc = unsafe { libc::getrusage(libc::RUSAGE_CHILDREN, &mut usage) };
    assert_eq!(rc, 0);
    (usage.ru_maxrss as u64) * 1024
}

#[test]
fn a_200_mb_line_without_newline_is_scanned_in_bounded_memory() {
    let (_dir, root) = share();
    let total = 200 * MIB;
    let planted: [(usize, &[u8]); 3] = [
        (0, b"ssn 536-22-5487 "),
        (total / 2, b" 4539578763621486 "),
        (total - 21, b" jane.roe@example.com"),
    ];
    let mut file = BufWriter::new(File::create(root.join("one-line.txt")).expect("create"));
    let mut block = vec![b'x'; MIB];
    for start in (0..total).step_by(MIB) {
        block.fill(b'x');
        for (at, value) in planted {
            if (start..start + MIB).contains(&at) {
                block[at - start..at - start + value.len()].copy_from_slice(value);
            }
        }
        file.write_all(&block).expect("write");
    }
    drop(file);
    let (findings, files) = scan_rows(&root, &["--threads", "2"]);
    assert_eq!(
        findings,
        [
            "one-line.txt||1|us_ssn",
            "one-line.txt||1|payment_card",
            "one-line.txt||1|email",
        ]
    );
    assert_eq!(files, ["one-line.txt|text/utf-8|scanned|"]);
    let peak = children_peak_rss_bytes();
    assert!(peak < 200 * MIB as u64, "peak RSS {peak} bytes");
}

#[test]
fn nul_heavy_binaries_still_give_up_their_strings() {
    let (_dir, root) = share();
    let mut data = vec![0u8; MIB];
    let ascii = b" ssn 536-22-5487 ";
    data[1000..1000 + ascii.len()].copy_from_slice(ascii);
    // UTF-16LE at an odd offset, then binary noise right after it.
    let wide: Vec<u8> = "card 4539578763621486"
        .encode_utf16()
        .flat_map(u16::to_le_bytes)
        .collect();
    data[500_001..500_001 + wide.len()].copy_from_slice(&wide);
    for (i, b) in data[600_000..700_000].iter_mut().enumerate() {
        *b = (i * 7919 % 251) as u8;
    }
    fs::write(root.join("blob.bin"), &data).expect("write");
    // All NUL: nothing to find, nothing to fail.
    fs::write(root.join("zeros.bin"), vec![0u8; 3 * MIB]).expect("write");
    let (findings, files) = scan_rows(&root, &[]);
    assert_eq!(
        findings,
        [
            "blob.bin|offset 1005||us_ssn",
            "blob.bin|offset 500011||payment_card",
        ]
    );
    let binary = "binary data: strings pass (ASCII and UTF-16LE runs of 6+ characters)";
    assert_eq!(
        files,
        [
            format!("blob.bin|binary|scanned|{binary}"),
            format!("zeros.bin|binary|scanned|{binary}"),
        ]
    );
}

#[test]
fn invalid_utf8_and_lone_surrogates_are_still_scanned() {
    let (_dir, root) = share();
    // Broken UTF-8 in the first block: read as Windows-1252.
    fs::write(
        root.join("latin.txt"),
        b"header\nssn 536-22-5487 \xff\xc3\x28 card 4539578763621486\n",
    )
    .expect("write");
    // Valid UTF-8 for the first 1.5 MB (past the block the encoding is sniffed from), broken later: stays UTF-8, bytes still scanned.
    let mut late = "caf\u{e9} ".repeat(300_000).into_bytes();
    late.extend_from_slice(b"\n\xc0\xaf\xed\xa0\x80 ssn 536-22-5487\n");
    fs::write(root.join("late.txt"), &late).expect("write");
    // UTF-16LE with unpaired surrogates next to the values.
    let mut utf16 = vec![0xff, 0xfe];
    let push = |out: &mut Vec<u8>, units: &[u16]| {
        for u in units {
            out.extend_from_slice(&u.to_le_bytes());
        }
    };
    let text = |s: &str| s.encode_utf16().collect::<Vec<u16>>();
    push(&mut utf16, &text("ssn 536-22-5487 "));
    push(&mut utf16, &[0xd800]);
    push(&mut utf16, &text("\ncard 4539578763621486 "));
    push(&mut utf16, &[0xdc00, 0xdc00]);
    push(&mut utf16, &text("\n"));
    push(&mut utf16, &[0xd83d]);
    fs::write(root.join("wide.txt"), &utf16).expect("write");
    let (findings, files) = scan_rows(&root, &[]);
    assert_eq!(
        findings,
        [
            "late.txt||2|us_ssn",
            "latin.txt||2|us_ssn",
            "latin.txt||2|payment_card",
            "wide.txt||1|us_ssn",
            "wide.txt||2|payment_card",
        ]
    );
    assert_eq!(
        files,
        [
            "late.txt|text/utf-8|scanned|",
            "latin.txt|text/windows-1252|scanned|not valid UTF-8: decoded as Windows-1252",
            "wide.txt|text/utf-16le|scanned|",
        ]
    );
}

/// A share with a link loop, links out of the root, to devices, to a FIFO, and a dangling link.
fn linked_share() -> (tempfile::TempDir, std::path::PathBuf) {
    let (dir, root) = share();
    fs::write(root.join("a.txt"), "ssn 536-22-5487\n").expect("write");
    fs::create_dir(root.join("sub")).expect("dir");
    symlink("..", root.join("sub/loop")).expect("link");
    let outside = dir.path().join("outside");
    fs::create_dir(&outside).expect("dir");
    fs::write(outside.join("b.txt"), "card 4539578763621486\n").expect("write");
    symlink(&outside, root.join("out")).expect("link");
    symlink("/dev/zero", root.join("zero")).expect("link");
    symlink("nowhere.txt", root.join("dangling")).expect("link");
    let fifo = dir.path().join("pipe");
    let c_path = std::ffi::CString::new(fifo.as_os_str().as_bytes()).expect("cstring");
    // SAFETY: mkfifo with a valid NUL-terminated path.
    assert_eq!(unsafe { libc::mkfifo(c_path.as_ptr(), 0o600) }, 0);
    symlink(&fifo, root.join("to-pipe")).expect("link");
    (dir, root)
}

#[test]
fn links_are_listed_not_followed_by_default() {
    let (dir, root) = linked_share();
    let (findings, files) = scan_rows(&root, &[]);
    assert_eq!(findings, ["a.txt||1|us_ssn"]);
    let not_followed = |name: &str, target: &str| {
        format!(
            "{name}|symlink|skipped|symbolic link to {target} not followed (use --follow-links)"
        )
    };
    assert_eq!(
        files,
        [
            "a.txt|text/utf-8|scanned|".to_string(),
            not_followed("dangling", "nowhere.txt"),
            not_followed("out", &dir.path().join("outside").display().to_string()),
            not_followed("sub/loop", ".."),
            not_followed("to-pipe", &dir.path().join("pipe").display().to_string()),
            not_followed("zero", "/dev/zero"),
        ]
    );
}

#[test]
fn following_links_terminates_on_loops_and_never_opens_devices_or_fifos() {
    let (_dir, root) = linked_share();
    let (findings, files) = scan_rows(&root, &["--follow-links"]);
    // Links out of the root are followed when asked: the outside file is scanned under the link.
    assert_eq!(findings, ["a.txt||1|us_ssn", "out/b.txt||1|payment_card"]);
    assert_eq!(
        files,
        [
            "a.txt|text/utf-8|scanned|",
            "dangling||error|symbolic link to nowhere.txt whose target does not exist",
            "out/b.txt|text/utf-8|scanned|",
            "sub/loop||skipped|symbolic link loop back to share",
            "to-pipe|special|skipped|FIFO (named pipe): never opened",
            "zero|special|skipped|character device: never opened",
        ]
    );
}

#[test]
fn device_files_are_never_opened() {
    let (_dir, root) = share();
    let device = root.join("null-device");
    let c_path = std::ffi::CString::new(device.as_os_str().as_bytes()).expect("cstring");
    // SAFETY: mknod with a valid NUL-terminated path; needs CAP_MKNOD (root), else skipped.
    let made = unsafe { libc::mknod(c_path.as_ptr(), libc::S_IFCHR | 0o600, libc::makedev(1, 3)) };
    if made != 0 {
        eprintln!(
            "note: mknod failed ({}); character-device case skipped (needs root)",
            std::io::Error::last_os_error()
        );
        return;
    }
    fs::write(root.join("a.txt"), "ssn 536-22-5487\n").expect("write");
    let (findings, files) = scan_rows(&root, &[]);
    assert_eq!(findings, ["a.txt||1|us_ssn"]);
    assert_eq!(
        files,
        [
            "a.txt|text/utf-8|scanned|",
            "null-device|special|skipped|character device: never opened",
        ]
    );
}

#[test]
fn unreadable_files_and_folders_are_errors_with_reasons() {
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } == 0 {
        eprintln!(
            "note: running as root, which ignores file permissions; unreadable-file case skipped (the vanished-file case covers the open-error path)"
        );
        return;
    }
    use std::os::unix::fs::PermissionsExt;
    let (_dir, root) = share();
    fs::write(root.join("a.txt"), "ssn 536-22-5487\n").expect("write");
    fs::write(root.join("locked.txt"), "card 4539578763621486\n").expect("write");
    fs::create_dir(root.join("closed")).expect("dir");
    fs::write(root.join("closed/inner.txt"), "x").expect("write");
    fs::set_permissions(root.join("locked.txt"), fs::Permissions::from_mode(0o000)).expect("chmod");
    fs::set_permissions(root.join("closed"), fs::Permissions::from_mode(0o000)).expect("chmod");
    let (findings, files) = scan_rows(&root, &[]);
    fs::set_permissions(root.join("closed"), fs::Permissions::from_mode(0o700)).expect("chmod");
    assert_eq!(findings, ["a.txt||1|us_ssn"]);
    assert_eq!(
        files,
        [
            "a.txt|text/utf-8|scanned|",
            "closed||error|directory not readable: permission denied",
            "locked.txt||error|cannot open: permission denied",
        ]
    );
}

struct NullSink;

impl breachscope::extract::ContentSink for NullSink {
    fn text(&mut self, _path: &str, _chunk: breachscope::content::TextChunk<'_>) {}
    fn member(&mut self, _record: breachscope::extract::MemberRecord) {}
}

#[test]
fn a_file_that_vanished_is_an_error_not_a_crash() {
    let dir = tempfile::tempdir().expect("tempdir");
    let gone = dir.path().join("gone.txt");
    fs::write(&gone, "ssn 536-22-5487\n").expect("write");
    fs::remove_file(&gone).expect("remove");
    let outcome = breachscope::extract::extract_file(
        &gone,
        "gone.txt",
        &breachscope::config::Limits::default(),
        &mut NullSink,
    );
    assert_eq!(outcome.status, breachscope::extract::Status::Error);
    assert_eq!(outcome.reason, "cannot open: file vanished during the scan");
    assert_eq!(outcome.sha256, None);
}

#[test]
fn names_that_are_not_utf8_are_shown_losslessly_escaped() {
    let (_dir, root) = share();
    let odd = root.join(OsStr::from_bytes(b"caf\xe9 \xff\\.txt"));
    fs::write(&odd, "ssn 536-22-5487\n").expect("write");
    let newline = root.join(OsStr::from_bytes(b"two\nlines.txt"));
    fs::write(&newline, "card 4539578763621486\n").expect("write");
    let dir_name = root.join(OsStr::from_bytes(b"d\x80"));
    fs::create_dir(&dir_name).expect("dir");
    fs::write(dir_name.join("x.txt"), "jane.roe@example.com\n").expect("write");
    let (findings, files) = scan_rows(&root, &[]);
    assert_eq!(
        findings,
        [
            r"caf\xe9 \xff\\.txt||1|us_ssn",
            r"d\x80/x.txt||1|email",
            r"two\x0alines.txt||1|payment_card",
        ]
    );
    assert_eq!(
        files,
        [
            r"caf\xe9 \xff\\.txt|text/utf-8|scanned|",
            r"d\x80/x.txt|text/utf-8|scanned|",
            r"two\x0alines.txt|text/utf-8|scanned|",
        ]
    );
}
