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
    let (findings, files, _) = scan_rows_and_peak(root, extra);
    (findings, files)
}

/// `scan_rows`, and the scan's own peak resident memory in bytes.
fn scan_rows_and_peak(root: &Path, extra: &[&str]) -> (Vec<String>, Vec<String>, u64) {
    let out = tempfile::tempdir().expect("tempdir");
    let report = out.path().join("report");
    let (output, peak) = scan_with_peak_rss(root, &report, extra);
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
    (findings, files, peak)
}

fn share() -> (tempfile::TempDir, std::path::PathBuf) {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = dir.path().join("share");
    fs::create_dir(&root).expect("dir");
    (dir, root)
}

#[test]
fn a_200_mb_line_without_newline_is_scanned_in_bounded_memory() {
    one_line_without_newline(200 * MIB);
}

#[test]
fn a_1_gb_line_without_newline_is_scanned_in_bounded_memory() {
    let started = std::time::Instant::now();
    one_line_without_newline(1 << 30);
    eprintln!("1 GiB line: {:?} in all", started.elapsed());
}

/// Writes one line of `total` bytes (values at the start, the middle and the end, `x`
/// elsewhere) in 1 MiB blocks, scans it and removes it.
fn one_line_without_newline(total: usize) {
    let (_dir, root) = share();
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
    let started = std::time::Instant::now();
    let (findings, files, peak) = scan_rows_and_peak(&root, &["--threads", "2"]);
    let elapsed = started.elapsed();
    assert_eq!(
        findings,
        [
            "one-line.txt||1|us_ssn",
            "one-line.txt||1|payment_card",
            "one-line.txt||1|email",
        ]
    );
    assert_eq!(files, ["one-line.txt|text/utf-8|scanned|"]);
    eprintln!(
        "{} MiB line: scan {elapsed:?}, peak RSS {} MiB",
        total >> 20,
        peak >> 20
    );
    assert!(peak < 200 * MIB as u64, "peak RSS {peak} bytes");
    fs::remove_file(root.join("one-line.txt")).expect("remove");
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

// ------------------------------------------------------------------ mutation smoke (stable fuzzing)

mod seeds {
    //! Small valid inputs of every extracted format, for the mutation smoke test.

    use std::io::{Cursor, Write};

    pub const TEXT: &str =
        "name,ssn,card\nJane Roe,536-22-5487,4539 5787 6362 1486\njane.roe@example.com\n";

    pub fn zip(members: &[(&str, &[u8])]) -> Vec<u8> {
        let mut writer = zip::ZipWriter::new(Cursor::new(Vec::new()));
        for (name, content) in members {
            writer
                .start_file(*name, zip::write::SimpleFileOptions::default())
                .expect("start");
            writer.write_all(content).expect("write");
        }
        writer.finish().expect("finish").into_inner()
    }

    pub fn tar(members: &[(&str, &[u8])]) -> Vec<u8> {
        let mut builder = tar::Builder::new(Vec::new());
        for (name, content) in members {
            let mut header = tar::Header::new_gnu();
            header.set_size(content.len() as u64);
            header.set_mode(0o644);
            header.set_entry_type(tar::EntryType::Regular);
            builder
                .append_data(&mut header, name, *content)
                .expect("tar");
        }
        builder.into_inner().expect("tar")
    }

    pub fn gzip(data: &[u8]) -> Vec<u8> {
        let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        encoder.write_all(data).expect("gz");
        encoder.finish().expect("gz")
    }

    pub fn bzip2(data: &[u8]) -> Vec<u8> {
        let mut encoder = bzip2::write::BzEncoder::new(Vec::new(), bzip2::Compression::fast());
        encoder.write_all(data).expect("bz2");
        encoder.finish().expect("bz2")
    }

    pub fn xz(data: &[u8]) -> Vec<u8> {
        let mut writer =
            lzma_rust2::XzWriter::new(Vec::new(), lzma_rust2::XzOptions::default()).expect("xz");
        writer.write_all(data).expect("xz");
        writer.finish().expect("xz")
    }

    pub fn seven_z(members: &[(&str, &[u8])]) -> Vec<u8> {
        let mut writer = sevenz_rust2::ArchiveWriter::new(Cursor::new(Vec::new())).expect("7z");
        for (name, content) in members {
            writer
                .push_archive_entry(
                    sevenz_rust2::ArchiveEntry::new_file(name),
                    Some(Cursor::new(content.to_vec())),
                )
                .expect("7z entry");
        }
        writer.finish().expect("7z").into_inner()
    }

    pub fn docx() -> Vec<u8> {
        zip(&[
            ("[Content_Types].xml", br#"<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>"#),
            ("word/document.xml", br#"<?xml version="1.0"?><w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body><w:p><w:r><w:t>SSN 536-22-5487</w:t></w:r></w:p><w:p><w:r><w:t>jane.roe@example.com</w:t></w:r></w:p></w:body></w:document>"#),
        ])
    }

    pub fn xlsx() -> Vec<u8> {
        let mut book = rust_xlsxwriter::Workbook::new();
        let sheet = book.add_worksheet();
        sheet.write_string(0, 0, "SSN").expect("cell");
        sheet.write_string(0, 1, "Card").expect("cell");
        sheet.write_number(1, 0, 536225487.0).expect("cell");
        sheet.write_string(1, 1, "4539578763621486").expect("cell");
        book.save_to_buffer().expect("xlsx")
    }

    pub fn pdf() -> Vec<u8> {
        let content = "BT /F1 12 Tf 72 700 Td [(SSN 536-)(22-5487)] TJ ET";
        let objects = [
            "<< /Type /Catalog /Pages 2 0 R >>".to_string(),
            "<< /Type /Pages /Kids [3 0 R] /Count 1 >>".to_string(),
            "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 5 0 R >> >> /Contents 4 0 R >>".to_string(),
            format!("<< /Length {} >>\nstream\n{content}\nendstream", content.len()),
            "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>".to_string(),
        ];
        let mut out = b"%PDF-1.4\n".to_vec();
        let mut offsets = Vec::new();
        for (i, body) in objects.iter().enumerate() {
            offsets.push(out.len());
            out.extend_from_slice(format!("{} 0 obj\n{body}\nendobj\n", i + 1).as_bytes());
        }
        let xref = out.len();
        out.extend_from_slice(b"xref\n0 6\n0000000000 65535 f \n");
        for offset in offsets {
            out.extend_from_slice(format!("{offset:010} 00000 n \n").as_bytes());
        }
        out.extend_from_slice(
            format!("trailer\n<< /Size 6 /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n").as_bytes(),
        );
        out
    }

    pub fn eml() -> Vec<u8> {
        use base64::Engine;
        let attachment = base64::engine::general_purpose::STANDARD.encode(TEXT);
        format!(
            "From: a@corp.example\r\nTo: b@corp.example\r\nSubject: =?utf-8?B?U1NOIDUzNi0yMi01NDg3?=\r\n\
             MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"b1\"\r\n\r\n\
             --b1\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n\
             card 4539 5787 63=\r\n62 1486\r\n\
             --b1\r\nContent-Type: text/csv; name=\"p.csv\"\r\nContent-Disposition: attachment; filename=\"p.csv\"\r\n\
             Content-Transfer-Encoding: base64\r\n\r\n{attachment}\r\n--b1--\r\n"
        )
        .into_bytes()
    }

    pub fn sqlite() -> Vec<u8> {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("db.sqlite");
        let conn = rusqlite::Connection::open(&path).expect("db");
        conn.execute_batch(
            "CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT, ssn INTEGER, card TEXT);
             INSERT INTO customers VALUES (1, 'Jane Roe', 536225487, '4539578763621486');",
        )
        .expect("fill");
        drop(conn);
        std::fs::read(&path).expect("read")
    }

    pub const SQL_DUMP: &str = "-- MySQL dump 10.13\nCREATE TABLE `people` (\n  `id` int NOT NULL,\n  `ssn` varchar(11)\n);\nINSERT INTO `people` VALUES (1,'536225487'),(2,'219-45-7731');\n";
    pub const JSON: &str = "{\"customers\": [{\"name\": \"Jane\", \"ssn\": 536225487, \"card\": \"4539 5787 6362 1486\"}]}\n";
    pub const HTML: &str = "<html><body><p>SSN <b>536-22-5487</b></p><script>x=1</script><p>jane.roe@example.com</p></body></html>\n";
    pub const RTF: &str = "{\\rtf1\\ansi{\\fonttbl\\f0 Arial;}\\f0 SSN 536-22-5487\\par card 4539 5787 6362 1486\\par}";
}

/// Every format's seed, named so that the name also hints the format.
fn mutation_seeds() -> Vec<(&'static str, Vec<u8>)> {
    let text = seeds::TEXT.as_bytes();
    let tar = seeds::tar(&[("a.csv", text), ("b.txt", text)]);
    let utf16: Vec<u8> = [0xff, 0xfe]
        .into_iter()
        .chain(seeds::TEXT.encode_utf16().flat_map(u16::to_le_bytes))
        .collect();
    vec![
        ("seed.txt", text.to_vec()),
        ("seed-utf16.txt", utf16),
        (
            "seed.bin",
            [&[0u8, 1, 2, 0xff][..], text, &[0u8; 8]].concat(),
        ),
        (
            "seed.zip",
            seeds::zip(&[
                ("a.csv", text),
                ("in/b.zip", &seeds::zip(&[("c.txt", text)])),
            ]),
        ),
        ("seed.tar", tar.clone()),
        ("seed.tar.gz", seeds::gzip(&tar)),
        ("seed.tar.bz2", seeds::bzip2(&tar)),
        ("seed.tar.xz", seeds::xz(&tar)),
        ("seed.tar.zst", zstd::encode_all(&tar[..], 3).expect("zstd")),
        ("seed.7z", seeds::seven_z(&[("a.csv", text)])),
        ("seed.docx", seeds::docx()),
        ("seed.xlsx", seeds::xlsx()),
        ("seed.pdf", seeds::pdf()),
        ("seed.eml", seeds::eml()),
        (
            "seed.mbox",
            [&b"From a@b Mon Jan  1 00:00:00 2024\n"[..], &seeds::eml()].concat(),
        ),
        ("seed.sqlite", seeds::sqlite()),
        ("seed.sql", seeds::SQL_DUMP.as_bytes().to_vec()),
        ("seed.json", seeds::JSON.as_bytes().to_vec()),
        ("seed.html", seeds::HTML.as_bytes().to_vec()),
        ("seed.rtf", seeds::RTF.as_bytes().to_vec()),
    ]
}

/// Deterministic xorshift: the same mutations on every machine.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

/// One mutation of `data`: bit flips, a cut, a splice from another seed, or "interesting" values
/// (0xff runs, zeros, large little-endian sizes) over lengths and counts.
fn mutate(rng: &mut Rng, data: &[u8], other: &[u8]) -> Vec<u8> {
    let mut out = data.to_vec();
    if out.is_empty() {
        return other.to_vec();
    }
    for _ in 0..1 + rng.below(3) {
        let len = out.len().max(1);
        match rng.below(6) {
            0 => {
                for _ in 0..1 + rng.below(8) {
                    let at = rng.below(len);
                    if let Some(b) = out.get_mut(at) {
                        *b ^= 1 << rng.below(8);
                    }
                }
            }
            1 => out.truncate(rng.below(len)),
            2 => {
                let at = rng.below(len);
                let from = rng.below(other.len());
                let take = rng.below(other.len() - from + 1).min(4096);
                out.splice(at..at, other[from..from + take].iter().copied());
            }
            3 => {
                let at = rng.below(len);
                let end = (at + 1 + rng.below(16)).min(out.len());
                out[at.min(end)..end].fill(0xff);
            }
            4 => {
                let at = rng.below(len);
                let value = [0u32, 1, 0x7fff_ffff, 0xffff_fffe, 0x1000_0000][rng.below(5)];
                for (i, b) in value.to_le_bytes().iter().enumerate() {
                    if let Some(slot) = out.get_mut(at + i) {
                        *slot = *b;
                    }
                }
            }
            _ => {
                // Duplicate a stretch (repeated headers, members, objects).
                let at = rng.below(len);
                let end = (at + 1 + rng.below(256)).min(out.len());
                let copy = out[at..end].to_vec();
                out.splice(end..end, copy);
            }
        }
    }
    out
}

/// Runs the builtin engine over every chunk, as a scan would.
struct EngineSink<'a> {
    engine: &'a breachscope::detect::Engine,
    scratch: breachscope::detect::Scratch,
    matches: Vec<breachscope::detect::Match>,
    chunks: usize,
    members: usize,
}

impl breachscope::extract::ContentSink for EngineSink<'_> {
    fn text(&mut self, _path: &str, chunk: breachscope::content::TextChunk<'_>) {
        self.chunks += 1;
        self.matches.clear();
        let input = breachscope::detect::ChunkInput {
            text: chunk.text,
            columns: chunk.columns,
            report_limit: chunk.report_limit,
        };
        self.engine
            .scan(input, &mut self.scratch, &mut self.matches);
    }

    fn member(&mut self, _record: breachscope::extract::MemberRecord) {
        self.members += 1;
    }
}

/// Limits small enough that every mutated input is done with quickly.
fn smoke_limits() -> breachscope::config::Limits {
    breachscope::config::Limits {
        max_expanded_bytes: 16 << 20,
        max_entries: 1000,
        max_depth: 4,
        ..Default::default()
    }
}

/// Extracts `data` as `name` and scans it with the engine; `Err` holds a panic message.
fn extract_and_detect(
    engine: &breachscope::detect::Engine,
    name: &str,
    data: &[u8],
) -> Result<breachscope::extract::ExtractOutcome, String> {
    let limits = smoke_limits();
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        let mut sink = EngineSink {
            engine,
            scratch: Default::default(),
            matches: Vec::new(),
            chunks: 0,
            members: 0,
        };
        // The engine on the raw bytes too, as the detector fuzz target does.
        sink.engine.scan(
            breachscope::detect::ChunkInput {
                text: data,
                columns: None,
                report_limit: data.len(),
            },
            &mut sink.scratch,
            &mut sink.matches,
        );
        breachscope::extract::extract_bytes(name, data, &limits, &mut sink)
    }))
    .map_err(|panic| {
        panic
            .downcast_ref::<String>()
            .cloned()
            .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
            .unwrap_or_else(|| "panic".to_string())
    })
}

fn regressions_dir() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/fuzz-regressions")
}

#[test]
fn mutated_inputs_of_every_format_never_panic_or_hang() {
    let seeds = mutation_seeds();
    let rules = breachscope::rules::load_builtin().expect("rules");
    let engine = breachscope::detect::Engine::new(&rules).expect("engine");
    // Every seed is read cleanly first: mutations start from valid inputs.
    for (name, data) in &seeds {
        let outcome = extract_and_detect(&engine, name, data).expect("seed panicked");
        assert_ne!(
            outcome.status,
            breachscope::extract::Status::Error,
            "{name}: {}",
            outcome.reason
        );
    }
    let budget = std::time::Duration::from_secs(20);
    let started = std::time::Instant::now();
    let current = std::sync::Arc::new(std::sync::Mutex::new((String::new(), Vec::new())));
    let (done_tx, done_rx) = std::sync::mpsc::channel();
    let worker_current = std::sync::Arc::clone(&current);
    std::thread::spawn(move || {
        let mut rng = Rng(0x5eed_00fb_4eac_4e55);
        let mut failures = Vec::new();
        let mut runs = 0usize;
        'rounds: for round in 0..2500 {
            for (i, (name, data)) in seeds.iter().enumerate() {
                if started.elapsed() > budget {
                    break 'rounds;
                }
                let other = &seeds[(i + 1 + round) % seeds.len()].1;
                let input = mutate(&mut rng, data, other);
                if let Ok(mut slot) = worker_current.lock() {
                    *slot = (name.to_string(), input.clone());
                }
                runs += 1;
                if let Err(message) = extract_and_detect(&engine, name, &input) {
                    failures.push((name.to_string(), input, message));
                }
            }
        }
        let _ = done_tx.send((runs, failures));
    });
    // An input that hangs is reported instead of hanging the test run.
    let result = done_rx.recv_timeout(budget + std::time::Duration::from_secs(60));
    let save = |name: &str, data: &[u8], what: &str| -> std::path::PathBuf {
        let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("fuzz-findings");
        fs::create_dir_all(&dir).expect("dir");
        let hash = data.iter().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
            (h ^ u64::from(*b)).wrapping_mul(0x100_0000_01b3)
        });
        let path = dir.join(format!("{what}-{hash:016x}-{name}"));
        fs::write(&path, data).expect("save");
        path
    };
    let (runs, failures) = match result {
        Ok(done) => done,
        Err(_) => {
            let (name, data) = current.lock().map(|c| c.clone()).unwrap_or_default();
            let path = save(&name, &data, "hang");
            panic!(
                "extraction of a mutated {name} did not return; input saved to {} (copy it into tests/data/fuzz-regressions/)",
                path.display()
            );
        }
    };
    let saved: Vec<String> = failures
        .iter()
        .map(|(name, data, message)| format!("{} ({message})", save(name, data, "crash").display()))
        .collect();
    assert!(
        saved.is_empty(),
        "{} of {runs} mutated inputs panicked; saved (copy into tests/data/fuzz-regressions/):\n{}",
        saved.len(),
        saved.join("\n")
    );
    eprintln!("{runs} mutated inputs in {:?}", started.elapsed());
    assert!(
        runs >= 500,
        "only {runs} mutated inputs ran in the time budget"
    );
}

#[test]
fn fuzz_regressions_replay_cleanly() {
    let rules = breachscope::rules::load_builtin().expect("rules");
    let engine = breachscope::detect::Engine::new(&rules).expect("engine");
    let Ok(entries) = fs::read_dir(regressions_dir()) else {
        return;
    };
    let mut replayed = 0;
    for entry in entries {
        let path = entry.expect("entry").path();
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("input");
        if name.ends_with(".md") {
            continue;
        }
        // The file name ends with the format hint: crash-<hash>-seed.zip.
        let hint = name.rsplit('-').next().unwrap_or(name);
        let data = fs::read(&path).expect("read");
        if let Err(message) = extract_and_detect(&engine, hint, &data) {
            panic!("{name}: {message}");
        }
        replayed += 1;
    }
    eprintln!("{replayed} regression inputs replayed");
}

#[test]
fn a_compressed_text_cut_mid_stream_keeps_the_text_before_the_cut() {
    use std::io::Write;
    let (dir, root) = share();
    // Values at the start, then enough incompressible-ish text that the cut lands well after them.
    let mut text = String::from("ssn 536-22-5487\ncard 4539578763621486\n");
    let mut state = 7u64;
    while text.len() < 4 << 20 {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        // Letters only: random digits would now and then form a valid card number.
        let word: String = (0..16)
            .map(|k| char::from(b'a' + ((state >> (k * 4)) % 26) as u8))
            .collect();
        text.push_str(&format!("line {word}\n"));
    }
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    encoder.write_all(text.as_bytes()).expect("gzip");
    let gz = encoder.finish().expect("gzip");
    fs::write(root.join("log.txt.gz"), &gz[..gz.len() * 7 / 10]).expect("write");
    let report = dir.path().join("report");
    let output = scan(&root, &report, &[]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let findings = rows_prefix(&report.join("findings.csv"), 4);
    assert_eq!(
        findings,
        [
            "log.txt.gz!log.txt,,1,us_ssn",
            "log.txt.gz!log.txt,,2,payment_card"
        ]
    );
}

// ------------------------------------------------------------- bombs, quines, liars (issue 8)

const SSN: &str = "536-22-5487";

/// Text with one of each planted value on lines 2, 3 and 4.
fn planted_text() -> String {
    format!("Employee record\nssn {SSN}\ncard 4539 5787 6362 1486\ncontact jane.roe@example.com\n")
}

/// Findings rows (`path|location|line|detector`) for [`planted_text`] at `path`.
fn planted_findings(path: &str) -> Vec<String> {
    vec![
        format!("{path}||2|us_ssn"),
        format!("{path}||3|payment_card"),
        format!("{path}||4|email"),
    ]
}

/// `scan_rows_and_peak`, and how long the scan took.
fn timed_scan(root: &Path, extra: &[&str]) -> (Vec<String>, Vec<String>, std::time::Duration, u64) {
    let started = std::time::Instant::now();
    let (findings, files, peak) = scan_rows_and_peak(root, extra);
    (findings, files, started.elapsed(), peak)
}

/// The files.csv row (`path|format|status|reason`) for `path`.
fn row<'a>(files: &'a [String], path: &str) -> &'a str {
    files
        .iter()
        .find(|r| r.split('|').next() == Some(path))
        .unwrap_or_else(|| panic!("no files.csv row for {path}: {files:#?}"))
}

fn zip_deflated(members: &[(&str, &[u8])]) -> Vec<u8> {
    let mut writer = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    for (name, content) in members {
        writer.start_file(*name, options).expect("start");
        writer.write_all(content).expect("write");
    }
    writer.finish().expect("finish").into_inner()
}

fn raw_deflate(data: &[u8]) -> Vec<u8> {
    let mut encoder = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::best());
    encoder.write_all(data).expect("deflate");
    encoder.finish().expect("deflate")
}

fn crc32(data: &[u8]) -> u32 {
    let mut crc = flate2::Crc::new();
    crc.update(data);
    crc.sum()
}

/// One entry of a hand-built zip: the header fields, as the writer chooses to state them.
struct RawEntry<'a> {
    name: &'a str,
    method: u16,
    crc: u32,
    compressed: u32,
    size: u32,
    offset: u32,
    extra: Vec<u8>,
}

fn local_header(entry: &RawEntry<'_>) -> Vec<u8> {
    let mut out = b"PK\x03\x04".to_vec();
    out.extend_from_slice(&20u16.to_le_bytes()); // version needed
    out.extend_from_slice(&0u16.to_le_bytes()); // flags
    out.extend_from_slice(&entry.method.to_le_bytes());
    out.extend_from_slice(&[0, 0, 0x21, 0]); // time, date (1980-01-01)
    out.extend_from_slice(&entry.crc.to_le_bytes());
    out.extend_from_slice(&entry.compressed.to_le_bytes());
    out.extend_from_slice(&entry.size.to_le_bytes());
    out.extend_from_slice(&(entry.name.len() as u16).to_le_bytes());
    out.extend_from_slice(&(entry.extra.len() as u16).to_le_bytes());
    out.extend_from_slice(entry.name.as_bytes());
    out.extend_from_slice(&entry.extra);
    out
}

fn central_header(entry: &RawEntry<'_>) -> Vec<u8> {
    let mut out = b"PK\x01\x02".to_vec();
    out.extend_from_slice(&45u16.to_le_bytes()); // made by
    out.extend_from_slice(&45u16.to_le_bytes()); // version needed
    out.extend_from_slice(&0u16.to_le_bytes());
    out.extend_from_slice(&entry.method.to_le_bytes());
    out.extend_from_slice(&[0, 0, 0x21, 0]);
    out.extend_from_slice(&entry.crc.to_le_bytes());
    out.extend_from_slice(&entry.compressed.to_le_bytes());
    out.extend_from_slice(&entry.size.to_le_bytes());
    out.extend_from_slice(&(entry.name.len() as u16).to_le_bytes());
    out.extend_from_slice(&(entry.extra.len() as u16).to_le_bytes());
    out.extend_from_slice(&[0; 6]); // comment length, disk, internal attributes
    out.extend_from_slice(&0u32.to_le_bytes()); // external attributes
    out.extend_from_slice(&entry.offset.to_le_bytes());
    out.extend_from_slice(entry.name.as_bytes());
    out.extend_from_slice(&entry.extra);
    out
}

fn end_of_central_directory(entries: usize, size: usize, offset: usize) -> Vec<u8> {
    let mut out = b"PK\x05\x06".to_vec();
    out.extend_from_slice(&[0; 4]);
    out.extend_from_slice(&(entries as u16).to_le_bytes());
    out.extend_from_slice(&(entries as u16).to_le_bytes());
    out.extend_from_slice(&(size as u32).to_le_bytes());
    out.extend_from_slice(&(offset as u32).to_le_bytes());
    out.extend_from_slice(&0u16.to_le_bytes());
    out
}

/// An overlapping-entry ("non-recursive") zip bomb after David Fifield: one deflate kernel of
/// `kernel_bytes` zeros, `copies` central-directory entries that all point at it, and a normal
/// member `planted.txt` after the kernel.
fn overlapping_zip_bomb(copies: usize, kernel_bytes: usize) -> Vec<u8> {
    let zeros = vec![0u8; kernel_bytes];
    let kernel = raw_deflate(&zeros);
    let kernel_entry = RawEntry {
        name: "kernel.bin",
        method: 8,
        crc: crc32(&zeros),
        compressed: kernel.len() as u32,
        size: kernel_bytes as u32,
        offset: 0,
        extra: Vec::new(),
    };
    let mut out = local_header(&kernel_entry);
    out.extend_from_slice(&kernel);
    let text = planted_text();
    let planted = RawEntry {
        name: "planted.txt",
        method: 0,
        crc: crc32(text.as_bytes()),
        compressed: text.len() as u32,
        size: text.len() as u32,
        offset: out.len() as u32,
        extra: Vec::new(),
    };
    out.extend_from_slice(&local_header(&planted));
    out.extend_from_slice(text.as_bytes());
    let directory_start = out.len();
    let names: Vec<String> = (0..copies).map(|i| format!("bomb{i:03}.bin")).collect();
    for name in &names {
        out.extend_from_slice(&central_header(&RawEntry {
            name,
            extra: Vec::new(),
            ..kernel_entry
        }));
    }
    out.extend_from_slice(&central_header(&planted));
    let directory_len = out.len() - directory_start;
    out.extend_from_slice(&end_of_central_directory(
        copies + 1,
        directory_len,
        directory_start,
    ));
    out
}

#[test]
fn overlapping_entry_zip_bomb_reads_the_kernel_once() {
    let (_dir, root) = share();
    fs::write(root.join("overlap.zip"), overlapping_zip_bomb(300, 8 * MIB)).expect("write");
    let (findings, files, elapsed, peak) = timed_scan(&root, &[]);
    eprintln!(
        "overlapping zip bomb: {elapsed:?}, peak RSS {} MiB",
        peak >> 20
    );
    assert_eq!(findings, planted_findings("overlap.zip!planted.txt"));
    assert_eq!(
        row(&files, "overlap.zip!planted.txt"),
        "overlap.zip!planted.txt|text/utf-8|scanned|"
    );
    // The first entry on the kernel is read; every other one is listed as an overlap.
    // (Zeros deflate at about 1030:1, so the ratio guard cuts the one copy that is read.)
    let first = row(&files, "overlap.zip!bomb000.bin");
    assert!(
        first.contains("|truncated|") && first.contains("compression ratio above 1000:1"),
        "{first}"
    );
    for i in 1..300 {
        let path = format!("overlap.zip!bomb{i:03}.bin");
        assert_eq!(
            row(&files, &path),
            format!(
                "{path}||skipped|zip entry overlaps the data of bomb000.bin (overlapping-entry zip bomb): not read"
            )
        );
    }
    let zip = row(&files, "overlap.zip");
    assert!(
        zip.contains("|truncated|") && zip.contains("299 member(s) overlap"),
        "{zip}"
    );
    assert!(
        elapsed < std::time::Duration::from_secs(30),
        "took {elapsed:?}"
    );
    assert!(peak < 200 * MIB as u64);
}

/// Zips nested `levels` deep (`level1.zip!level2.zip!…`), planted text at the bottom.
fn nested_zip(levels: usize, inner_name: &str) -> Vec<u8> {
    let mut inner = zip_deflated(&[(inner_name, planted_text().as_bytes())]);
    for level in (1..=levels).rev() {
        inner = zip_deflated(&[(&format!("level{level}.zip"), &inner)]);
    }
    inner
}

#[test]
fn twenty_deep_zips_stop_at_the_default_depth_and_open_with_max_depth_25() {
    let (_dir, root) = share();
    fs::write(root.join("deep.zip"), nested_zip(20, "ssn.txt")).expect("write");
    let (findings, files, elapsed, _) = timed_scan(&root, &[]);
    assert!(findings.is_empty(), "{findings:?}");
    let mut path = "deep.zip".to_string();
    for level in 1..=8 {
        path.push_str(&format!("!level{level}.zip"));
        assert_eq!(row(&files, &path), format!("{path}|zip|scanned|"));
    }
    path.push_str("!level9.zip");
    assert_eq!(
        row(&files, &path),
        format!("{path}||skipped|nested deeper than the depth limit (8; --max-depth)")
    );
    // Nothing below the skipped level is listed: it was never opened.
    assert_eq!(files.len(), 10, "{files:#?}");
    assert!(
        elapsed < std::time::Duration::from_secs(20),
        "took {elapsed:?}"
    );

    let (findings, files, elapsed, peak) = timed_scan(&root, &["--max-depth", "25"]);
    let bottom: String = std::iter::once("deep.zip".to_string())
        .chain((1..=20).map(|l| format!("level{l}.zip")))
        .chain(std::iter::once("ssn.txt".to_string()))
        .collect::<Vec<_>>()
        .join("!");
    assert_eq!(findings, planted_findings(&bottom));
    assert_eq!(
        row(&files, &bottom),
        format!("{bottom}|text/utf-8|scanned|")
    );
    assert_eq!(files.len(), 22, "{files:#?}");
    assert!(
        elapsed < std::time::Duration::from_secs(20),
        "took {elapsed:?}"
    );
    assert!(peak < 200 * MIB as u64);
}

/// A zip quine (a zip that contains itself, as in Russ Cox's r.zip) needs a deflate stream that
/// reproduces its own container and a CRC-32 that is its own fixed point; it is approximated here
/// by what it does to a scanner: every level opens another identical-looking `quine.zip`, 64
/// levels deep. The depth limit is what stops it (not a hash of the ancestors: a real quine's
/// member is byte-identical to its parent, this one's members only look alike).
#[test]
fn a_zip_quine_is_stopped_by_the_depth_limit() {
    let (_dir, root) = share();
    let mut inner = zip_deflated(&[("quine.zip", b"PK\x03\x04 the innermost level")]);
    for _ in 0..64 {
        inner = zip_deflated(&[("quine.zip", &inner)]);
    }
    fs::write(root.join("quine.zip"), &inner).expect("write");
    let (findings, files, elapsed, _) = timed_scan(&root, &[]);
    assert!(findings.is_empty(), "{findings:?}");
    let deepest = format!("quine.zip{}", "!quine.zip".repeat(9));
    assert_eq!(
        row(&files, &deepest),
        format!("{deepest}||skipped|nested deeper than the depth limit (8; --max-depth)")
    );
    assert_eq!(files.len(), 10, "{files:#?}");
    assert!(
        elapsed < std::time::Duration::from_secs(20),
        "took {elapsed:?}"
    );
}

#[test]
fn zip64_sizes_that_lie_allocate_nothing_and_keep_the_honest_members() {
    let (_dir, root) = share();
    let text = planted_text();
    let good = RawEntry {
        name: "good.txt",
        method: 0,
        crc: crc32(text.as_bytes()),
        compressed: text.len() as u32,
        size: text.len() as u32,
        offset: 0,
        extra: Vec::new(),
    };
    let mut out = local_header(&good);
    out.extend_from_slice(text.as_bytes());
    // Deflated; the central header claims 2^62 bytes uncompressed through a zip64 extra field.
    let small = b"nothing to see here\n".repeat(50);
    let kernel = raw_deflate(&small);
    let huge_local = RawEntry {
        name: "huge.txt",
        method: 8,
        crc: crc32(&small),
        compressed: kernel.len() as u32,
        size: small.len() as u32,
        offset: out.len() as u32,
        extra: Vec::new(),
    };
    let mut zip64 = 1u16.to_le_bytes().to_vec();
    zip64.extend_from_slice(&8u16.to_le_bytes());
    zip64.extend_from_slice(&(1u64 << 62).to_le_bytes());
    let huge_central = RawEntry {
        name: "huge.txt",
        size: u32::MAX,
        extra: zip64,
        ..huge_local
    };
    out.extend_from_slice(&local_header(&huge_local));
    out.extend_from_slice(&kernel);
    // Stored; the central header claims 4000 bytes where the local one says (truly) 40.
    let short = b"a"
        .repeat(39)
        .into_iter()
        .chain(*b"\n")
        .collect::<Vec<u8>>();
    let short_local = RawEntry {
        name: "short.txt",
        method: 0,
        crc: crc32(&short),
        compressed: short.len() as u32,
        size: short.len() as u32,
        offset: out.len() as u32,
        extra: Vec::new(),
    };
    let short_central = RawEntry {
        compressed: 4000,
        size: 4000,
        extra: Vec::new(),
        ..short_local
    };
    out.extend_from_slice(&local_header(&short_local));
    out.extend_from_slice(&short);
    let directory_start = out.len();
    for entry in [&good, &huge_central, &short_central] {
        out.extend_from_slice(&central_header(entry));
    }
    let directory_len = out.len() - directory_start;
    out.extend_from_slice(&end_of_central_directory(3, directory_len, directory_start));
    fs::write(root.join("liar.zip"), &out).expect("write");
    let (findings, files, elapsed, peak) = timed_scan(&root, &[]);
    assert_eq!(findings, planted_findings("liar.zip!good.txt"));
    assert_eq!(
        files,
        [
            "liar.zip|zip|scanned|",
            "liar.zip!good.txt|text/utf-8|scanned|",
            // Read to a clean end (CRC-32 good): the content is whole, the header lied.
            "liar.zip!huge.txt|text/utf-8|scanned|the container declares 4611686018427387904 bytes but the data holds 1000",
            // Read past its real end into the directory: the CRC-32 catches it.
            "liar.zip!short.txt||error|cannot read member: Invalid checksum",
        ]
    );
    assert!(
        elapsed < std::time::Duration::from_secs(20),
        "took {elapsed:?}"
    );
    assert!(peak < 200 * MIB as u64);
}

/// A PDF from object bodies (object `i + 1` is `objects[i]`, raw bytes) and a trailer tail
/// (`/Root 1 0 R` and `/Size` are added).
fn pdf_bytes(objects: &[Vec<u8>], trailer_extra: &str) -> Vec<u8> {
    let mut out = b"%PDF-1.4\n".to_vec();
    let mut offsets = Vec::new();
    for (i, body) in objects.iter().enumerate() {
        offsets.push(out.len());
        out.extend_from_slice(format!("{} 0 obj\n", i + 1).as_bytes());
        out.extend_from_slice(body);
        out.extend_from_slice(b"\nendobj\n");
    }
    let xref = out.len();
    out.extend_from_slice(
        format!("xref\n0 {}\n0000000000 65535 f \n", objects.len() + 1).as_bytes(),
    );
    for offset in offsets {
        out.extend_from_slice(format!("{offset:010} 00000 n \n").as_bytes());
    }
    let trailer_extra = trailer_extra.replace("{xref}", &xref.to_string());
    out.extend_from_slice(
        format!(
            "trailer\n<< /Size {} /Root 1 0 R {trailer_extra} >>\nstartxref\n{xref}\n%%EOF\n",
            objects.len() + 1
        )
        .as_bytes(),
    );
    out
}

fn text_stream(content: &str) -> Vec<u8> {
    format!(
        "<< /Length {} >>\nstream\n{content}\nendstream",
        content.len()
    )
    .into_bytes()
}

const PDF_FONT: &str = "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>";

fn pdf_page(parent: usize, contents: usize, font: usize) -> Vec<u8> {
    format!(
        "<< /Type /Page /Parent {parent} 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 {font} 0 R >> >> /Contents {contents} 0 R >>"
    )
    .into_bytes()
}

#[test]
fn pdf_with_cyclic_page_tree_and_xref_loop_terminates() {
    let (_dir, root) = share();
    let objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>".to_vec(),
        // The root's kids: the page, and a Pages node whose only kid is the root again.
        b"<< /Type /Pages /Kids [3 0 R 6 0 R] /Count 2 >>".to_vec(),
        pdf_page(2, 4, 5),
        text_stream(&format!("BT /F1 12 Tf 72 700 Td (SSN {SSN}) Tj ET")),
        PDF_FONT.as_bytes().to_vec(),
        b"<< /Type /Pages /Parent 2 0 R /Kids [2 0 R 6 0 R] /Count 1 >>".to_vec(),
    ];
    // The trailer's /Prev points at its own xref section: a loop of one.
    fs::write(root.join("cycle.pdf"), pdf_bytes(&objects, "/Prev {xref}")).expect("write");
    let (findings, files, elapsed, peak) = timed_scan(&root, &[]);
    eprintln!("cyclic PDF: {elapsed:?}, peak RSS {} MiB", peak >> 20);
    assert_eq!(findings, ["cycle.pdf|page 1|1|us_ssn"]);
    assert_eq!(
        files,
        [
            "cycle.pdf|pdf|truncated|page 2 is page 1 again (cyclic or repeated page tree): not read twice"
        ]
    );
    assert!(
        elapsed < std::time::Duration::from_secs(20),
        "took {elapsed:?}"
    );
}

#[test]
fn pdf_decompression_bomb_is_cut_at_max_expanded_bytes() {
    let (_dir, root) = share();
    // 1 GiB of zeros through FlateDecode: about a megabyte on disk, streamed into the encoder.
    let mut encoder = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::best());
    let block = vec![0u8; MIB];
    for _ in 0..1024 {
        encoder.write_all(&block).expect("zlib");
    }
    let bomb = encoder.finish().expect("zlib");
    let mut bomb_stream = format!(
        "<< /Length {} /Filter /FlateDecode >>\nstream\n",
        bomb.len()
    )
    .into_bytes();
    bomb_stream.extend_from_slice(&bomb);
    bomb_stream.extend_from_slice(b"\nendstream");
    let objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>".to_vec(),
        b"<< /Type /Pages /Kids [3 0 R 6 0 R] /Count 2 >>".to_vec(),
        pdf_page(2, 4, 5),
        text_stream(&format!("BT /F1 12 Tf 72 700 Td (SSN {SSN}) Tj ET")),
        PDF_FONT.as_bytes().to_vec(),
        pdf_page(2, 7, 5),
        bomb_stream,
    ];
    fs::write(root.join("bomb.pdf"), pdf_bytes(&objects, "")).expect("write");
    let (findings, files, elapsed, peak) = timed_scan(&root, &["--max-expanded-bytes", "16M"]);
    eprintln!("PDF bomb: {elapsed:?}, peak RSS {} MiB", peak >> 20);
    assert_eq!(findings, ["bomb.pdf|page 1|1|us_ssn"]);
    assert_eq!(
        files,
        [
            "bomb.pdf|pdf|truncated|page 2: cannot read content: a stream inflates past 16777216 bytes (decompression bomb guard: the smaller of --max-expanded-bytes left and 67108864 bytes a stream); not read"
        ]
    );
    assert!(
        elapsed < std::time::Duration::from_secs(30),
        "took {elapsed:?}"
    );
    assert!(peak < 200 * MIB as u64, "peak RSS {peak}");
}

#[test]
fn a_pdf_page_whose_content_breaks_midway_keeps_the_text_before_the_break() {
    let (_dir, root) = share();
    // An inline image without its `EI` end cannot be skipped: the content stops parsing there.
    let content = format!(
        "BT /F1 12 Tf 72 700 Td (SSN {SSN}) Tj ET\nBI /W 1 /H 1 /BPC 8 /CS /G ID X\nBT (after) Tj ET"
    );
    fs::write(root.join("broken.pdf"), one_page_pdf(&content)).expect("write");
    let (findings, files) = scan_rows(&root, &[]);
    assert_eq!(findings, ["broken.pdf|page 1|1|us_ssn"]);
    assert_eq!(
        files,
        [
            "broken.pdf|pdf|truncated|page 1: malformed content partway through (couldn't parse input): the text before it was read"
        ]
    );
}

/// A one-page PDF of `mib` MiB of text operators with an SSN every 1,000 lines, and how many
/// SSNs it holds.
fn ledger_pdf(mib: usize) -> (Vec<u8>, usize) {
    let mut content = String::new();
    let mut planted = 0;
    let mut line = 0;
    while content.len() < mib * MIB {
        line += 1;
        let text = if line % 1000 == 0 {
            planted += 1;
            format!("payroll record {line} SSN {SSN}")
        } else {
            format!("quarterly statement line {line} of the ledger")
        };
        content.push_str(&format!(
            "BT /F1 10 Tf 50 {} Td ({text}) Tj ET\n",
            40 + line % 700
        ));
    }
    (one_page_pdf(&content), planted)
}

/// A PDF of one page whose content stream is `content`, in font `F1`.
fn one_page_pdf(content: &str) -> Vec<u8> {
    let objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>".to_vec(),
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>".to_vec(),
        pdf_page(2, 4, 5),
        text_stream(content),
        PDF_FONT.as_bytes().to_vec(),
    ];
    pdf_bytes(&objects, "")
}

/// Scans `root` with two threads; returns the findings.csv rows and the scan's own peak RSS.
fn scan_measuring_peak(root: &Path) -> (usize, u64) {
    let out = tempfile::tempdir().expect("tempdir");
    let report = out.path().join("report");
    let (output, peak) = scan_with_peak_rss(root, &report, &["--threads", "2"]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    (read_csv(&report.join("findings.csv")).len() - 1, peak)
}

/// What parsing one PDF of `size` bytes may hold at most: the file, its objects and its page's
/// content once each, and the scan around it. Decoded all at once, a page's operations took
/// about forty times the content's size (1 GB for this test's 24 MiB).
fn one_pdf_bound(size: u64) -> u64 {
    4 * size + 48 * MIB as u64
}

/// Scans (two threads) a share of copies of one 24 MiB ledger PDF named `names`; asserts every
/// copy's SSNs are found, and returns the PDF's size and the scan's peak RSS.
fn scan_ledger_copies(names: &[&str]) -> (u64, u64) {
    let (_dir, root) = share();
    let (pdf, planted) = ledger_pdf(24);
    for name in names {
        fs::write(root.join(name), &pdf).expect("write");
    }
    let (findings, peak) = scan_measuring_peak(&root);
    // One row per SSN: each stands on a line of its own.
    assert_eq!(findings, names.len() * planted);
    (pdf.len() as u64, peak)
}

#[test]
fn a_pdf_with_one_large_page_is_read_in_memory_a_small_multiple_of_its_size() {
    let (size, peak) = scan_ledger_copies(&["ledger.pdf"]);
    eprintln!("{} MiB PDF: peak RSS {} MiB", size >> 20, peak >> 20);
    assert!(
        peak < one_pdf_bound(size),
        "peak RSS {peak} for {size} bytes"
    );
}

#[test]
fn large_pdfs_on_two_workers_are_parsed_one_at_a_time() {
    let (size, peak) = scan_ledger_copies(&["first.pdf", "second.pdf"]);
    eprintln!("two {} MiB PDFs: peak RSS {} MiB", size >> 20, peak >> 20);
    assert!(
        peak < one_pdf_bound(size),
        "peak RSS {peak} for two of {size} bytes"
    );
}

#[test]
fn large_pdfs_put_aside_while_the_gate_is_full_are_all_read() {
    // Three PDFs two of which do not fit the gate together, among small files: a worker that
    // finds the gate full reads the small files and comes back to its PDFs.
    let (_dir, root) = share();
    let (pdf, planted) = ledger_pdf(20);
    for name in ["first.pdf", "second.pdf", "third.pdf"] {
        fs::write(root.join(name), &pdf).expect("write");
    }
    for i in 0..40 {
        fs::write(
            root.join(format!("note-{i:02}.txt")),
            format!("ssn {SSN}\n"),
        )
        .expect("write");
    }
    let (findings, files) = scan_rows(&root, &["--threads", "2"]);
    assert_eq!(findings.len(), 3 * planted + 40);
    assert_eq!(files.len(), 43, "{files:#?}");
    for name in ["first.pdf", "second.pdf", "third.pdf"] {
        assert_eq!(row(&files, name), format!("{name}|pdf|scanned|"));
        let found = findings.iter().filter(|f| f.starts_with(name)).count();
        assert_eq!(found, planted, "{name}");
    }
}

/// A workbook whose shared strings are `strings` distinct lines of stock (no personal data),
/// about 80 bytes each in sharedStrings.xml.
fn stock_workbook(path: &Path, strings: u32) {
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    for row in 0..strings {
        let text = format!(
            "inventory item {row} shelf {} bin {} described as a plain widget part",
            row % 977,
            row % 61
        );
        sheet.write_string(row, 0, text).expect("cell");
    }
    book.save(path).expect("save");
}

#[test]
fn large_workbooks_on_two_workers_are_read_one_at_a_time() {
    // 15.6 MB of shared strings each, just under the 16 MiB past which they are inlined on disk
    // (so calamine holds them whole); with a gate of 16 MiB, two together do not fit.
    let (_one_dir, one) = share();
    stock_workbook(&one.join("first.xlsx"), 150_000);
    let (_two_dir, two) = share();
    fs::copy(one.join("first.xlsx"), two.join("first.xlsx")).expect("copy");
    fs::copy(one.join("first.xlsx"), two.join("second.xlsx")).expect("copy");
    let gate = ["--threads", "2", "--document-memory", "16M"];
    let (_, _, alone) = scan_rows_and_peak(&one, &gate);
    let (_, _, together) = scan_rows_and_peak(&two, &gate);
    eprintln!(
        "one workbook: peak RSS {} MiB; two: {} MiB",
        alone >> 20,
        together >> 20
    );
    // Read at once, the second workbook's strings added about 20 MiB.
    assert!(
        together < alone + 10 * MIB as u64,
        "two workbooks peaked at {together} bytes, one at {alone}"
    );
}

/// Orders of `rows` customers, each line naming the customer's e-mail: about 90 bytes a line.
fn order_lines(rows: u32) -> impl Iterator<Item = String> {
    (0..rows).map(|row| {
        format!("order {row} placed by jane.roe{row}@example.com for delivery to the loading door")
    })
}

/// A workbook whose shared strings pass 16 MiB is rewritten with them inline, on disk: it
/// takes about the memory of the same lines as text, and gives every finding. (With the
/// strings held by calamine it peaked at 91 MiB in the test build, against 60 MiB for the text
/// and 64 MiB inlined.)
#[test]
fn a_workbook_of_large_shared_strings_reads_them_from_disk() {
    let rows = 250_000;
    let (_book_dir, book) = share();
    let mut workbook = rust_xlsxwriter::Workbook::new();
    let sheet = workbook.add_worksheet();
    for (row, line) in order_lines(rows).enumerate() {
        sheet.write_string(row as u32, 0, line).expect("cell");
    }
    workbook.save(book.join("orders.xlsx")).expect("save");
    let (_text_dir, text) = share();
    let mut lines: String = order_lines(rows).collect::<Vec<_>>().join("\n");
    lines.push('\n');
    fs::write(text.join("orders.txt"), lines).expect("write");
    let (book_findings, book_files, book_peak) = scan_rows_and_peak(&book, &["--threads", "2"]);
    let (text_findings, _, text_peak) = scan_rows_and_peak(&text, &["--threads", "2"]);
    eprintln!(
        "workbook: peak RSS {} MiB; text: {} MiB",
        book_peak >> 20,
        text_peak >> 20
    );
    assert_eq!(book_files, ["orders.xlsx|xlsx|scanned|"]);
    assert_eq!(book_findings.len(), rows as usize);
    assert_eq!(text_findings.len(), rows as usize);
    assert!(
        book_findings
            .iter()
            .all(|f| f.starts_with("orders.xlsx|Sheet1!A") && f.ends_with("|email")),
        "{:?}",
        &book_findings[..3]
    );
    assert!(
        book_peak < text_peak + 12 * MIB as u64,
        "workbook {book_peak} bytes, text {text_peak}"
    );
}

/// Truncates `victim` to `keep` bytes the first time any text reaches the sink: the file shrinks
/// while the extractor is reading it, at the same point on every run.
struct ShrinkingSink {
    victim: std::path::PathBuf,
    keep: u64,
    done: bool,
    texts: Vec<String>,
    members: Vec<breachscope::extract::MemberRecord>,
}

impl breachscope::extract::ContentSink for ShrinkingSink {
    fn text(&mut self, path: &str, chunk: breachscope::content::TextChunk<'_>) {
        if !self.done {
            self.done = true;
            let file = fs::OpenOptions::new()
                .write(true)
                .open(&self.victim)
                .expect("open");
            file.set_len(self.keep).expect("truncate");
        }
        if chunk.text.windows(SSN.len()).any(|w| w == SSN.as_bytes()) {
            self.texts.push(path.to_string());
        }
    }
    fn member(&mut self, record: breachscope::extract::MemberRecord) {
        self.members.push(record);
    }
}

#[test]
fn a_file_truncated_during_the_scan_is_truncated_not_a_crash() {
    use breachscope::extract::{Status, extract_file};
    let (_dir, root) = share();
    let limits = breachscope::config::Limits::default();
    // Text: SSN at the start and at the end of 8 MiB; cut to 1 MiB after the first chunk.
    let text = root.join("shrinking.txt");
    let mut body = format!("ssn {SSN}\n").into_bytes();
    body.resize(8 * MIB - 20, b'x');
    body.extend_from_slice(format!("\nssn {SSN}\n").as_bytes());
    fs::write(&text, &body).expect("write");
    let mut sink = ShrinkingSink {
        victim: text.clone(),
        keep: MIB as u64,
        done: false,
        texts: Vec::new(),
        members: Vec::new(),
    };
    let outcome = extract_file(&text, "shrinking.txt", &limits, &mut sink);
    assert_eq!(outcome.status, Status::Truncated, "{outcome:?}");
    assert!(outcome.bytes_read < body.len() as u64, "{outcome:?}");
    assert_eq!(
        outcome.reason,
        format!(
            "file shrank while being read: {} of {} bytes read",
            outcome.bytes_read,
            body.len()
        )
    );
    // The value before the cut was seen; the one after it is gone with the bytes.
    assert_eq!(sink.texts, ["shrinking.txt"]);

    // Zip: hashed whole, then cut while its first member is read: later members fail alone.
    let zip_path = root.join("shrinking.zip");
    let filler = vec![b'y'; 2 * MIB];
    let zip = zip_deflated(&[
        ("first.txt", planted_text().as_bytes()),
        ("filler.txt", &filler),
        ("last.txt", planted_text().as_bytes()),
    ]);
    fs::write(&zip_path, &zip).expect("write");
    let mut sink = ShrinkingSink {
        victim: zip_path.clone(),
        keep: 200,
        done: false,
        texts: Vec::new(),
        members: Vec::new(),
    };
    let outcome = extract_file(&zip_path, "shrinking.zip", &limits, &mut sink);
    assert_eq!(sink.texts, ["shrinking.zip!first.txt"]);
    let members: Vec<String> = sink
        .members
        .iter()
        .map(|m| format!("{}|{}", m.path, m.status.as_str()))
        .collect();
    assert_eq!(members[0], "shrinking.zip!first.txt|scanned", "{members:?}");
    for member in &sink.members[1..] {
        assert!(
            matches!(member.status, Status::Error | Status::Truncated) && !member.reason.is_empty(),
            "{member:?}"
        );
    }
    assert_eq!(outcome.status, Status::Truncated, "{outcome:?}");
    assert!(
        outcome.reason.ends_with(&format!(
            "file shrank while being read: 200 of {} bytes left",
            zip.len()
        )),
        "{outcome:?}"
    );

    // And a scan of the share afterwards is whole: both files are listed, nothing panics.
    fs::write(root.join("intact.txt"), planted_text()).expect("write");
    let (findings, files) = scan_rows(&root, &[]);
    assert!(
        findings.contains(&"intact.txt||2|us_ssn".to_string()),
        "{findings:?}"
    );
    assert!(
        files.contains(&"intact.txt|text/utf-8|scanned|".to_string()),
        "{files:?}"
    );
    assert!(!files.iter().any(|f| f.contains("panic")), "{files:?}");
}
