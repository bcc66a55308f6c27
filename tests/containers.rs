//! Containers and mail end to end: fixtures are built at test time (zip, tar, gzip, bzip2, xz,
//! zstd, 7z, eml, mbox) with planted values, and the exact findings and files.csv rows checked,
//! hostile inputs (bombs, deep nesting, `../` names, truncation, a 50 MB attachment) included.

mod util;

use std::fs::{self, File};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use util::*;

const SSN: &str = "536-22-5487";
const CARD: &str = "4539 5787 6362 1486";
const EMAIL: &str = "jane.roe@example.com";

/// A CSV body holding one of each planted value, each on its own line.
fn planted_csv() -> String {
    format!("name,ssn,card,email\nJane Roe,{SSN},{CARD},{EMAIL}\n")
}

fn planted_text() -> String {
    format!("Employee record\nssn {SSN}\ncard {CARD}\ncontact {EMAIL}\n")
}

struct Scan {
    _dir: tempfile::TempDir,
    report: PathBuf,
    elapsed: Duration,
    /// The scan's own peak resident memory, in bytes.
    peak_rss: u64,
}

impl Scan {
    /// findings.csv rows as path,location,line.
    fn findings(&self) -> Vec<String> {
        rows_prefix(&self.report.join("findings.csv"), 3)
    }

    /// findings.csv rows as path,location,line,masked_value.
    fn findings_masked(&self) -> Vec<String> {
        read_csv(&self.report.join("findings.csv"))
            .into_iter()
            .skip(1)
            .map(|r| format!("{},{},{},{}", r[0], r[1], r[2], r[6]))
            .collect()
    }

    /// files.csv rows as path,format,status,reason.
    fn files(&self) -> Vec<String> {
        read_csv(&self.report.join("files.csv"))
            .into_iter()
            .skip(1)
            .map(|r| format!("{},{},{},{}", r[0], r[3], r[4], r[5]))
            .collect()
    }

    fn file(&self, path: &str) -> Vec<String> {
        read_csv(&self.report.join("files.csv"))
            .into_iter()
            .find(|r| r[0] == path)
            .unwrap_or_else(|| panic!("no files.csv row for {path}: {:#?}", self.files()))
    }
}

/// Builds a share with `build`, scans it and returns the report.
fn scan_share(extra: &[&str], build: impl FnOnce(&Path)) -> Scan {
    let (dir, share) = new_share();
    build(&share);
    let report = dir.path().join("report");
    let started = Instant::now();
    let (output, peak_rss) = scan_with_peak_rss(&share, &report, extra);
    let elapsed = started.elapsed();
    assert!(
        matches!(output.status.code(), Some(0 | 1)),
        "scan failed: {}",
        stderr(&output)
    );
    Scan {
        _dir: dir,
        report,
        elapsed,
        peak_rss,
    }
}

// ---------------------------------------------------------------- fixture builders

fn zip_options() -> zip::write::SimpleFileOptions {
    zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated)
}

/// A zip with the given (name, content) members, deflated.
fn zip_bytes(members: &[(&str, &[u8])]) -> Vec<u8> {
    let mut writer = zip::ZipWriter::new(io::Cursor::new(Vec::new()));
    for (name, content) in members {
        writer.start_file(*name, zip_options()).expect("start");
        writer.write_all(content).expect("write");
    }
    writer.finish().expect("finish").into_inner()
}

fn gzip(data: &[u8], filename: Option<&str>) -> Vec<u8> {
    let mut builder = flate2::GzBuilder::new();
    if let Some(name) = filename {
        builder = builder.filename(name);
    }
    let mut encoder = builder.write(Vec::new(), flate2::Compression::default());
    encoder.write_all(data).expect("gzip");
    encoder.finish().expect("gzip")
}

fn tar_bytes(members: &[(&str, &[u8])]) -> Vec<u8> {
    let mut builder = tar::Builder::new(Vec::new());
    for (name, content) in members {
        let mut header = tar::Header::new_gnu();
        header.set_size(content.len() as u64);
        header.set_mode(0o644);
        header.set_mtime(1_700_000_000);
        header.set_entry_type(tar::EntryType::Regular);
        builder
            .append_data(&mut header, name, *content)
            .expect("tar append");
    }
    builder.into_inner().expect("tar")
}

fn bzip2_bytes(data: &[u8]) -> Vec<u8> {
    let mut encoder = bzip2::write::BzEncoder::new(Vec::new(), bzip2::Compression::default());
    encoder.write_all(data).expect("bz2");
    encoder.finish().expect("bz2")
}

fn xz_bytes(data: &[u8]) -> Vec<u8> {
    let mut writer =
        lzma_rust2::XzWriter::new(Vec::new(), lzma_rust2::XzOptions::default()).expect("xz");
    writer.write_all(data).expect("xz");
    writer.finish().expect("xz")
}

fn zstd_bytes(data: &[u8]) -> Vec<u8> {
    zstd::encode_all(data, 3).expect("zstd")
}

fn seven_z_bytes(members: &[(&str, &[u8])], password: Option<&str>, hide_names: bool) -> Vec<u8> {
    let mut writer = sevenz_rust2::ArchiveWriter::new(io::Cursor::new(Vec::new())).expect("7z");
    writer.set_encrypt_header(hide_names);
    if let Some(password) = password {
        writer.set_content_methods(vec![
            sevenz_rust2::encoder_options::AesEncoderOptions::new(password.into()).into(),
            sevenz_rust2::EncoderMethod::LZMA2.into(),
        ]);
    }
    for (name, content) in members {
        writer
            .push_archive_entry(
                sevenz_rust2::ArchiveEntry::new_file(name),
                Some(io::Cursor::new(content.to_vec())),
            )
            .expect("7z entry");
    }
    writer.finish().expect("7z finish").into_inner()
}

fn base64_lines(data: &[u8]) -> String {
    use base64::Engine;
    let encoded = base64::engine::general_purpose::STANDARD.encode(data);
    let mut out = String::new();
    for chunk in encoded.as_bytes().chunks(76) {
        out.push_str(std::str::from_utf8(chunk).expect("ascii"));
        out.push_str("\r\n");
    }
    out
}

/// A multipart message: an encoded subject, a quoted-printable body with the card number cut by
/// a soft line break, a UTF-16 body part, and a base64 CSV attachment.
fn eml_message(subject_ssn: bool) -> String {
    use base64::Engine;
    let subject = if subject_ssn {
        let words = base64::engine::general_purpose::STANDARD.encode(format!("Re: SSN {SSN}"));
        format!("=?utf-8?B?{words}?=")
    } else {
        "=?iso-8859-1?Q?Gr=FC=DFe?=".to_string()
    };
    let utf16: Vec<u8> = format!("Reply to {EMAIL} please\n")
        .encode_utf16()
        .flat_map(u16::to_le_bytes)
        .collect();
    format!(
        "From: HR <hr@corp.example>\r\n\
         To: Payroll <payroll@corp.example>\r\n\
         Subject: {subject}\r\n\
         MIME-Version: 1.0\r\n\
         Content-Type: multipart/mixed; boundary=\"outer\"\r\n\
         \r\n\
         preamble\r\n\
         --outer\r\n\
         Content-Type: multipart/alternative; boundary=inner\r\n\
         \r\n\
         --inner\r\n\
         Content-Type: text/plain; charset=utf-8\r\n\
         Content-Transfer-Encoding: quoted-printable\r\n\
         \r\n\
         Hello,\r\n\
         the card is 4539 5787 63=\r\n\
         62 1486 as agreed =E2=80=94 thanks\r\n\
         --inner\r\n\
         Content-Type: text/plain; charset=utf-16le\r\n\
         Content-Transfer-Encoding: base64\r\n\
         \r\n\
         {utf16}\
         --inner--\r\n\
         --outer\r\n\
         Content-Type: text/csv; name=\"payroll.csv\"\r\n\
         Content-Disposition: attachment; filename=\"payroll.csv\"\r\n\
         Content-Transfer-Encoding: base64\r\n\
         \r\n\
         {attachment}\
         --outer--\r\n\
         epilogue\r\n",
        utf16 = base64_lines(&utf16),
        attachment = base64_lines(planted_csv().as_bytes()),
    )
}

// ---------------------------------------------------------------- tests

/// Findings expected for the planted CSV at `path` (line 2 of the CSV).
fn csv_findings(path: &str) -> Vec<String> {
    vec![
        // The `name` column (columns.toml) holds a person name: initials only.
        format!("{path},,2,J. R."),
        format!("{path},,2,***-**-5487"),
        format!("{path},,2,Visa ************1486"),
        format!("{path},,2,***@example.com"),
    ]
}

/// Findings expected for the planted text at `path` (lines 2, 3 and 4).
fn text_findings(path: &str) -> Vec<String> {
    vec![
        format!("{path},,2,***-**-5487"),
        format!("{path},,3,Visa ************1486"),
        format!("{path},,4,***@example.com"),
    ]
}

#[test]
fn zip_members_are_scanned_with_their_paths() {
    let s = scan_share(&[], |share| {
        let mut writer = zip::ZipWriter::new(io::Cursor::new(Vec::new()));
        writer.add_directory("hr/", zip_options()).unwrap();
        writer.start_file("hr/staff.csv", zip_options()).unwrap();
        writer.write_all(planted_csv().as_bytes()).unwrap();
        // Stored, and a zip64 entry (forced zip64 extra fields).
        writer
            .start_file(
                "big/notes.txt",
                zip_options()
                    .compression_method(zip::CompressionMethod::Stored)
                    .large_file(true),
            )
            .unwrap();
        writer.write_all(planted_text().as_bytes()).unwrap();
        let bytes = writer.finish().unwrap().into_inner();
        fs::write(share.join("backup.zip"), bytes).unwrap();
    });
    let mut expected = text_findings("backup.zip!big/notes.txt");
    expected.extend(csv_findings("backup.zip!hr/staff.csv"));
    assert_eq!(s.findings_masked(), expected);
    assert_eq!(
        s.files(),
        vec![
            "backup.zip,zip,scanned,",
            "backup.zip!big/notes.txt,text/utf-8,scanned,",
            "backup.zip!hr/staff.csv,text/utf-8,scanned,",
        ]
    );
    // Members with findings carry their hash (evidence integrity).
    assert_eq!(s.file("backup.zip!hr/staff.csv")[7].len(), 64);
}

#[test]
fn zip_hostile_names_are_shown_not_followed() {
    let s = scan_share(&[], |share| {
        let bytes = zip_bytes(&[
            ("../../etc/evil.txt", planted_text().as_bytes()),
            ("/abs/path.txt", b"nothing"),
            ("nul\0name.txt", b"nothing"),
        ]);
        fs::write(share.join("evil.zip"), bytes).unwrap();
    });
    assert_eq!(
        s.findings_masked(),
        text_findings("evil.zip!../../etc/evil.txt")
    );
    assert_eq!(
        s.files(),
        vec![
            "evil.zip,zip,scanned,",
            "evil.zip!../../etc/evil.txt,text/utf-8,scanned,",
            "evil.zip!/abs/path.txt,text/utf-8,scanned,",
            "evil.zip!nul\\x00name.txt,text/utf-8,scanned,",
        ]
    );
    // Nothing was written next to the share or above it.
    assert!(!s.report.parent().unwrap().join("etc").exists());
}

#[test]
fn zip_encrypted_entries_are_listed_as_encrypted() {
    let s = scan_share(&[], |share| {
        let mut writer = zip::ZipWriter::new(io::Cursor::new(Vec::new()));
        writer
            .start_file(
                "aes.csv",
                zip_options().with_aes_encryption(zip::AesMode::Aes256, "secret"),
            )
            .unwrap();
        writer.write_all(planted_csv().as_bytes()).unwrap();
        writer
            .start_file(
                "zipcrypto.csv",
                zip::unstable::write::FileOptionsExt::with_deprecated_encryption(
                    zip_options(),
                    b"secret",
                )
                .unwrap(),
            )
            .unwrap();
        writer.write_all(planted_csv().as_bytes()).unwrap();
        writer.start_file("open.txt", zip_options()).unwrap();
        writer.write_all(planted_text().as_bytes()).unwrap();
        fs::write(
            share.join("locked.zip"),
            writer.finish().unwrap().into_inner(),
        )
        .unwrap();
    });
    assert_eq!(s.findings_masked(), text_findings("locked.zip!open.txt"));
    let reason = "encrypted zip entry (AES or ZipCrypto): no password to open it";
    assert_eq!(
        s.files(),
        vec![
            "locked.zip,zip,scanned,".to_string(),
            format!("locked.zip!aes.csv,,encrypted,{reason}"),
            "locked.zip!open.txt,text/utf-8,scanned,".to_string(),
            format!("locked.zip!zipcrypto.csv,,encrypted,{reason}"),
        ]
    );
}

#[test]
fn zip_entry_limit_skips_the_rest() {
    let s = scan_share(&["--max-entries", "2"], |share| {
        let bytes = zip_bytes(&[
            ("a.txt", b"a"),
            ("b.txt", b"b"),
            ("c.txt", planted_text().as_bytes()),
        ]);
        fs::write(share.join("many.zip"), bytes).unwrap();
    });
    assert!(s.findings().is_empty());
    let c = s.file("many.zip!c.txt");
    assert_eq!(c[4], "skipped");
    assert!(c[5].contains("--max-entries"), "{c:?}");
    assert_eq!(s.file("many.zip")[4], "truncated");
}

#[test]
fn tar_and_compressed_tars_yield_their_members() {
    let s = scan_share(&[], |share| {
        let tar = tar_bytes(&[
            ("docs/hr.txt", planted_text().as_bytes()),
            ("x.csv", b"a,b\n"),
        ]);
        fs::write(share.join("plain.tar"), &tar).unwrap();
        fs::write(share.join("a.tar.gz"), gzip(&tar, None)).unwrap();
        fs::write(share.join("b.tar.bz2"), bzip2_bytes(&tar)).unwrap();
        fs::write(share.join("c.tar.xz"), xz_bytes(&tar)).unwrap();
        fs::write(share.join("d.tar.zst"), zstd_bytes(&tar)).unwrap();
    });
    let mut expected = Vec::new();
    for name in [
        "a.tar.gz",
        "b.tar.bz2",
        "c.tar.xz",
        "d.tar.zst",
        "plain.tar",
    ] {
        expected.extend(text_findings(&format!("{name}!docs/hr.txt")));
    }
    assert_eq!(s.findings_masked(), expected);
    let files = s.files();
    for (name, format) in [
        ("a.tar.gz", "tar.gz"),
        ("b.tar.bz2", "tar.bz2"),
        ("c.tar.xz", "tar.xz"),
        ("d.tar.zst", "tar.zst"),
        ("plain.tar", "tar"),
    ] {
        assert!(
            files.contains(&format!("{name},{format},scanned,")),
            "{files:#?}"
        );
        assert!(
            files.contains(&format!("{name}!docs/hr.txt,text/utf-8,scanned,")),
            "{files:#?}"
        );
        assert!(
            files.contains(&format!("{name}!x.csv,text/utf-8,scanned,")),
            "{files:#?}"
        );
    }
    assert_eq!(files.len(), 15, "{files:#?}");
}

#[test]
fn gzip_single_files_are_named_from_header_or_outer_name() {
    let s = scan_share(&[], |share| {
        let text = planted_text();
        fs::write(
            share.join("named.gz"),
            gzip(text.as_bytes(), Some("payroll.txt")),
        )
        .unwrap();
        fs::write(share.join("report.txt.gz"), gzip(text.as_bytes(), None)).unwrap();
        // Two gzip members back to back: the value sits in the second.
        let mut multi = gzip(b"first member\n", None);
        multi.extend(gzip(text.as_bytes(), None));
        fs::write(share.join("multi.log.gz"), multi).unwrap();
        fs::write(share.join("notes.txt.bz2"), bzip2_bytes(text.as_bytes())).unwrap();
        fs::write(share.join("notes.txt.xz"), xz_bytes(text.as_bytes())).unwrap();
        fs::write(share.join("notes.txt.zst"), zstd_bytes(text.as_bytes())).unwrap();
    });
    let mut expected = Vec::new();
    // multi.log.gz: the second member starts on line 2.
    expected.push("multi.log.gz!multi.log,,3,***-**-5487".to_string());
    expected.push("multi.log.gz!multi.log,,4,Visa ************1486".to_string());
    expected.push("multi.log.gz!multi.log,,5,***@example.com".to_string());
    expected.extend(text_findings("named.gz!payroll.txt"));
    expected.extend(text_findings("notes.txt.bz2!notes.txt"));
    expected.extend(text_findings("notes.txt.xz!notes.txt"));
    expected.extend(text_findings("notes.txt.zst!notes.txt"));
    expected.extend(text_findings("report.txt.gz!report.txt"));
    assert_eq!(s.findings_masked(), expected);
    assert_eq!(s.file("named.gz")[3..6], ["gzip", "scanned", ""]);
    assert_eq!(s.file("notes.txt.xz")[3..6], ["xz", "scanned", ""]);
}

#[test]
fn seven_z_members_and_encrypted_entries() {
    let s = scan_share(&[], |share| {
        let plain = seven_z_bytes(
            &[
                ("hr/staff.csv", planted_csv().as_bytes()),
                ("readme.txt", b"hello"),
            ],
            None,
            false,
        );
        fs::write(share.join("archive.7z"), plain).unwrap();
        let locked = seven_z_bytes(
            &[("secret.csv", planted_csv().as_bytes())],
            Some("pw"),
            false,
        );
        fs::write(share.join("locked.7z"), locked).unwrap();
        let hidden = seven_z_bytes(
            &[("secret.csv", planted_csv().as_bytes())],
            Some("pw"),
            true,
        );
        fs::write(share.join("hidden.7z"), hidden).unwrap();
    });
    assert_eq!(s.findings_masked(), csv_findings("archive.7z!hr/staff.csv"));
    assert_eq!(s.file("archive.7z")[4], "scanned");
    assert_eq!(s.file("archive.7z!hr/staff.csv")[4], "scanned");
    assert_eq!(s.file("archive.7z!readme.txt")[4], "scanned");
    assert_eq!(
        s.file("locked.7z!secret.csv")[3..6],
        [
            "",
            "encrypted",
            "encrypted 7z entry: no password to open it"
        ]
    );
    assert_eq!(
        s.file("hidden.7z")[3..6],
        [
            "7z",
            "encrypted",
            "encrypted 7z archive (names hidden too): no password to open it"
        ]
    );
}

#[test]
fn eml_headers_bodies_and_attachments() {
    let s = scan_share(&[], |share| {
        fs::write(share.join("mail.eml"), eml_message(true)).unwrap();
    });
    // In reading order: headers first, then the bodies.
    let mut expected = vec![
        // An RFC 2047 encoded subject.
        "mail.eml,header Subject,,***-**-5487".to_string(),
        // The card number is cut by a quoted-printable soft line break.
        "mail.eml,body,2,Visa ************1486".to_string(),
        // A UTF-16LE body part, base64-encoded.
        "mail.eml,body part 2,1,***@example.com".to_string(),
    ];
    expected.extend(csv_findings("mail.eml!payroll.csv"));
    assert_eq!(s.findings_masked(), expected);
    assert_eq!(
        s.files(),
        vec![
            "mail.eml,eml,scanned,",
            "mail.eml!payroll.csv,text/utf-8,scanned,"
        ]
    );
}

#[test]
fn mbox_messages_are_members() {
    let s = scan_share(&[], |share| {
        let mut mbox = String::new();
        mbox.push_str("From alice@example.org Mon Jan  1 00:00:00 2024\n");
        mbox.push_str(
            "From: alice@example.org\nSubject: hello\n\nnothing here\n>From the desk\n\n",
        );
        mbox.push_str("From bob@example.org Mon Jan  1 00:00:00 2024\n");
        mbox.push_str(&format!(
            "From: bob@example.org\nSubject: ssn\n\nmy ssn is {SSN}\n\n"
        ));
        mbox.push_str("From carol@example.org Mon Jan  1 00:00:00 2024\n");
        mbox.push_str(&eml_message(false).replace("\r\n", "\n"));
        fs::write(share.join("inbox.mbox"), mbox).unwrap();
    });
    let mut expected = vec![
        "inbox.mbox!message 1,header From,,***@example.org".to_string(),
        "inbox.mbox!message 2,header From,,***@example.org".to_string(),
        "inbox.mbox!message 2,body,1,***-**-5487".to_string(),
    ];
    expected.push("inbox.mbox!message 3,body,2,Visa ************1486".to_string());
    expected.push("inbox.mbox!message 3,body part 2,1,***@example.com".to_string());
    expected.extend(csv_findings("inbox.mbox!message 3!payroll.csv"));
    assert_eq!(s.findings_masked(), expected);
    assert_eq!(
        s.files(),
        vec![
            "inbox.mbox,mbox,scanned,",
            "inbox.mbox!message 1,eml,scanned,",
            "inbox.mbox!message 2,eml,scanned,",
            "inbox.mbox!message 3,eml,scanned,",
            "inbox.mbox!message 3!payroll.csv,text/utf-8,scanned,",
        ]
    );
}

#[test]
fn pst_is_listed_as_skipped() {
    let s = scan_share(&[], |share| {
        let mut pst = b"!BDN".to_vec();
        pst.extend(vec![0u8; 1000]);
        fs::write(share.join("outlook.pst"), pst).unwrap();
    });
    assert_eq!(
        s.file("outlook.pst")[3..6],
        [
            "pst",
            "skipped",
            "Outlook PST stores are not opened: no maintained parser; export to mbox/eml"
        ]
    );
}

// ---------------------------------------------------------------- hostile inputs

#[test]
fn zip_bomb_is_cut_at_the_ratio_limit() {
    let s = scan_share(&[], |share| {
        // 1 GiB of zeros compresses to a few kilobytes with zstd: far above 1000:1.
        let mut writer = zip::ZipWriter::new(io::Cursor::new(Vec::new()));
        writer
            .start_file(
                "zeros.txt",
                zip::write::SimpleFileOptions::default()
                    .compression_method(zip::CompressionMethod::Zstd)
                    .large_file(true),
            )
            .unwrap();
        let block = vec![0u8; 1 << 20];
        for _ in 0..1024 {
            writer.write_all(&block).unwrap();
        }
        writer.start_file("after.txt", zip_options()).unwrap();
        writer.write_all(planted_text().as_bytes()).unwrap();
        fs::write(
            share.join("bomb.zip"),
            writer.finish().unwrap().into_inner(),
        )
        .unwrap();
    });
    let zeros = s.file("bomb.zip!zeros.txt");
    assert_eq!(zeros[4], "truncated", "{zeros:?}");
    assert!(
        zeros[5].contains("compression ratio above 1000:1 (--max-ratio)"),
        "{zeros:?}"
    );
    // The member after the bomb is still read.
    assert_eq!(s.findings_masked(), text_findings("bomb.zip!after.txt"));
    assert!(s.elapsed < Duration::from_secs(60), "took {:?}", s.elapsed);
}

#[test]
fn gzip_stream_bomb_inside_a_zip_is_cut() {
    let s = scan_share(&[], |share| {
        let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
        let block = vec![0u8; 1 << 20];
        for _ in 0..256 {
            encoder.write_all(&block).unwrap();
        }
        let gz = encoder.finish().unwrap();
        fs::write(share.join("outer.zip"), zip_bytes(&[("zeros.bin.gz", &gz)])).unwrap();
    });
    let gz = s.file("outer.zip!zeros.bin.gz");
    assert_eq!(gz[4], "truncated", "{gz:?}");
    assert!(gz[5].contains("compression ratio above 1000:1"), "{gz:?}");
    assert!(s.elapsed < Duration::from_secs(60), "took {:?}", s.elapsed);
}

#[test]
fn nested_zips_stop_at_the_depth_limit() {
    let s = scan_share(&[], |share| {
        let mut inner = zip_bytes(&[("deep.txt", planted_text().as_bytes())]);
        for level in (1..=10).rev() {
            inner = zip_bytes(&[(&format!("level{level}.zip"), &inner)]);
        }
        fs::write(share.join("nest.zip"), inner).unwrap();
    });
    assert!(s.findings().is_empty(), "{:?}", s.findings());
    let mut path = "nest.zip".to_string();
    for level in 1..=8 {
        path.push_str(&format!("!level{level}.zip"));
        assert_eq!(s.file(&path)[4], "scanned", "{path}");
    }
    path.push_str("!level9.zip");
    let row = s.file(&path);
    assert_eq!(row[4], "skipped");
    assert_eq!(
        row[5],
        "nested deeper than the depth limit (8; --max-depth)"
    );
}

#[test]
fn truncated_archives_keep_what_came_before_the_damage() {
    let s = scan_share(&[], |share| {
        // 3 MB of noise: several bzip2 blocks and xz chunks, so half a stream still decodes.
        let mut seed = 0x2545_f491_4f6c_dd1du64;
        let filler: Vec<u8> = (0..3_000_000)
            .map(|_| {
                seed ^= seed << 13;
                seed ^= seed >> 7;
                seed ^= seed << 17;
                (seed >> 56) as u8
            })
            .collect();
        let zip = zip_bytes(&[
            ("first.txt", planted_text().as_bytes()),
            ("second.bin", &filler),
        ]);
        fs::write(share.join("cut.zip"), &zip[..zip.len() - 1_000_000]).unwrap();
        let tar = tar_bytes(&[
            ("first.txt", planted_text().as_bytes()),
            ("second.bin", &filler),
        ]);
        fs::write(share.join("cut.tar"), &tar[..tar.len() - 1_000_000]).unwrap();
        let gz = gzip(&tar, None);
        fs::write(share.join("cut.tar.gz"), &gz[..gz.len() / 2]).unwrap();
        let text_gz = gzip(
            format!("{}{}", planted_text(), "x".repeat(100_000)).as_bytes(),
            None,
        );
        fs::write(share.join("cut.txt.gz"), &text_gz[..text_gz.len() - 10]).unwrap();
        let bz = bzip2_bytes(&tar);
        fs::write(share.join("cut.tar.bz2"), &bz[..bz.len() / 2]).unwrap();
        let xz = xz_bytes(&tar);
        fs::write(share.join("cut.tar.xz"), &xz[..xz.len() / 2]).unwrap();
        let zst = zstd_bytes(&tar);
        fs::write(share.join("cut.tar.zst"), &zst[..zst.len() / 2]).unwrap();
        let sz = seven_z_bytes(&[("first.txt", planted_text().as_bytes())], None, false);
        fs::write(share.join("cut.7z"), &sz[..sz.len() - 20]).unwrap();
        let eml = eml_message(false);
        fs::write(share.join("cut.eml"), &eml[..eml.len() - 200]).unwrap();
    });
    let findings = s.findings_masked();
    for path in [
        "cut.zip!first.txt",
        "cut.tar!first.txt",
        "cut.tar.gz!first.txt",
        "cut.tar.bz2!first.txt",
        "cut.tar.xz!first.txt",
        "cut.tar.zst!first.txt",
    ] {
        for f in text_findings(path) {
            assert!(findings.contains(&f), "missing {f}: {findings:#?}");
        }
    }
    for path in [
        "cut.zip",
        "cut.tar",
        "cut.tar.gz",
        "cut.txt.gz",
        "cut.tar.bz2",
        "cut.tar.xz",
        "cut.tar.zst",
    ] {
        let row = s.file(path);
        assert!(
            row[4] == "truncated" || row[4] == "error",
            "{path} should be truncated: {row:?}"
        );
        assert!(!row[5].is_empty(), "{path} needs a reason: {row:?}");
    }
    assert!(s.file("cut.zip")[5].contains("recovered from local headers"));
    // A 7z keeps its index at the end: cut, nothing can be listed, and the row says why.
    let sz = s.file("cut.7z");
    assert_eq!(sz[4], "error", "{sz:?}");
    assert!(sz[5].starts_with("not a readable 7z"), "{sz:?}");
    // The mail cut inside its attachment: bodies before it still scanned.
    assert!(findings.contains(&"cut.eml,body,2,Visa ************1486".to_string()));
}

#[test]
fn deeply_nested_mime_is_bounded() {
    let s = scan_share(&[], |share| {
        let depth = 5000;
        let mut mail = String::from("From: a@b.example\nTo: c@d.example\nSubject: deep\n");
        for level in 0..depth {
            mail.push_str(&format!(
                "Content-Type: multipart/mixed; boundary=\"b{level}\"\n\n--b{level}\n"
            ));
        }
        mail.push_str(&format!("Content-Type: text/plain\n\nssn {SSN}\n"));
        for level in (0..depth).rev() {
            mail.push_str(&format!("--b{level}--\n"));
        }
        fs::write(share.join("deep.eml"), mail).unwrap();
    });
    let row = s.file("deep.eml");
    assert_eq!(row[4], "scanned");
    assert!(row[5].contains("nested deeper than 16 levels"), "{row:?}");
    // The value inside is still read, as raw text.
    assert_eq!(s.findings().len(), 1, "{:?}", s.findings());
}

#[test]
fn mail_with_a_50_mb_attachment_is_streamed() {
    let s = scan_share(&[], |share| {
        let mut file = io::BufWriter::new(File::create(share.join("big.eml")).unwrap());
        write!(
            file,
            "From: a@b.example\r\nTo: c@d.example\r\nSubject: backup\r\nMIME-Version: 1.0\r\n\
             Content-Type: multipart/mixed; boundary=\"x\"\r\n\r\n--x\r\n\
             Content-Type: text/plain\r\n\r\nsee attachment\r\n--x\r\n\
             Content-Type: text/plain; name=\"dump.txt\"\r\n\
             Content-Disposition: attachment; filename=\"dump.txt\"\r\n\
             Content-Transfer-Encoding: base64\r\n\r\n"
        )
        .unwrap();
        // 50 MiB of log lines, base64-encoded in 57-byte groups (76 characters a line).
        let line = b"2024-01-01 00:00:00 INFO nothing to see in this line at all, moving on\n";
        let mut raw = Vec::with_capacity(1 << 20);
        let mut written = 0usize;
        let mut pending = Vec::new();
        while written < 50 << 20 {
            raw.clear();
            while raw.len() < 1 << 20 {
                raw.extend_from_slice(line);
            }
            written += raw.len();
            if written >= 50 << 20 {
                raw.extend_from_slice(planted_text().as_bytes());
            }
            pending.extend_from_slice(&raw);
            let whole = pending.len() / 57 * 57;
            file.write_all(base64_lines(&pending[..whole]).as_bytes())
                .unwrap();
            pending.drain(..whole);
        }
        file.write_all(base64_lines(&pending).as_bytes()).unwrap();
        file.write_all(b"--x--\r\n").unwrap();
    });
    let row = s.file("big.eml!dump.txt");
    assert_eq!(row[4], "scanned", "{row:?}");
    assert!(row[1].parse::<u64>().unwrap() > 50 << 20, "{row:?}");
    let findings = s.findings();
    assert_eq!(findings.len(), 3, "{findings:?}");
    assert!(findings.iter().all(|f| f.starts_with("big.eml!dump.txt,,")));
    let rss = s.peak_rss;
    eprintln!(
        "50 MB attachment: {:?}, peak RSS {} MiB",
        s.elapsed,
        rss >> 20
    );
    assert!(rss < 200 << 20, "max RSS {} MiB", rss >> 20);
}

#[test]
fn mutated_containers_never_crash_or_hang() {
    let tar = tar_bytes(&[
        ("a.txt", planted_text().as_bytes()),
        ("b.csv", planted_csv().as_bytes()),
    ]);
    let seeds: Vec<(&str, Vec<u8>)> = vec![
        (
            "zip",
            zip_bytes(&[
                ("a.txt", planted_text().as_bytes()),
                ("b.csv", planted_csv().as_bytes()),
            ]),
        ),
        ("tar", tar.clone()),
        ("tar.gz", gzip(&tar, Some("x.tar"))),
        ("tar.bz2", bzip2_bytes(&tar)),
        ("tar.xz", xz_bytes(&tar)),
        ("tar.zst", zstd_bytes(&tar)),
        (
            "7z",
            seven_z_bytes(
                &[
                    ("a.txt", planted_text().as_bytes()),
                    ("b.csv", planted_csv().as_bytes()),
                ],
                None,
                false,
            ),
        ),
        ("eml", eml_message(true).into_bytes()),
        (
            "mbox",
            format!("From a@b Mon Jan  1 00:00:00 2024\n{}", eml_message(false)).into_bytes(),
        ),
    ];
    let mut seed = 0x9e37_79b9_7f4a_7c15u64;
    let mut next = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    let mut names = Vec::new();
    let s = scan_share(&[], |share| {
        for (ext, bytes) in &seeds {
            for i in 0..30 {
                let mut data = bytes.clone();
                match i % 3 {
                    // Flip a few bytes.
                    0 => {
                        for _ in 0..1 + next() % 8 {
                            let at = (next() as usize) % data.len();
                            data[at] ^= (next() as u8) | 1;
                        }
                    }
                    // Cut anywhere.
                    1 => data.truncate((next() as usize) % data.len()),
                    // Overwrite a run with 0xff (sizes and counts become huge).
                    _ => {
                        let at = (next() as usize) % data.len();
                        let end = (at + 1 + (next() as usize) % 16).min(data.len());
                        data[at..end].fill(0xff);
                    }
                }
                let name = format!("m{i:02}.{ext}");
                fs::write(share.join(&name), data).unwrap();
                names.push(name);
            }
        }
    });
    for name in &names {
        let row = s.file(name);
        assert!(!row[5].contains("panic"), "{row:?}");
    }
    let files = s.files();
    assert!(!files.iter().any(|r| r.contains("panic")), "{files:#?}");
    assert!(s.elapsed < Duration::from_secs(120), "took {:?}", s.elapsed);
}

#[test]
fn eml_forwarded_message_and_unnamed_parts() {
    let s = scan_share(&[], |share| {
        let inner = format!("From: x@y.example\nTo: z@y.example\nSubject: old\n\nssn {SSN}\n");
        let mail = format!(
            "From: a@b.example\nTo: c@d.example\nSubject: fwd\nMIME-Version: 1.0\n\
             Content-Type: multipart/mixed; boundary=\"b\"\n\n--b\n\
             Content-Type: text/plain; charset=windows-1252\n\n\
             Gr\u{fc}\u{df}e, card {CARD}\n--b\n\
             Content-Type: message/rfc822\n\n{inner}--b\n\
             Content-Type: application/octet-stream\n\
             Content-Disposition: attachment; filename*=utf-8''Geh%C3%A4lter.txt\n\
             Content-Transfer-Encoding: base64\n\n{}--b--\n",
            base64_lines(planted_text().as_bytes())
        );
        fs::write(share.join("fwd.eml"), mail).unwrap();
    });
    let mut expected = vec![
        "fwd.eml,body,1,Visa ************1486".to_string(),
        // The forwarded message is a member of its own: `part N` when it has no file name.
        "fwd.eml!part 2,body,1,***-**-5487".to_string(),
    ];
    expected.extend(text_findings("fwd.eml!Gehälter.txt"));
    expected.sort();
    let mut actual = s.findings_masked();
    actual.sort();
    assert_eq!(actual, expected);
    assert_eq!(s.file("fwd.eml!part 2")[3..5], ["eml", "scanned"]);
}

#[test]
fn mail_attachment_limit_lists_the_first_skipped() {
    let s = scan_share(&["--max-entries", "2"], |share| {
        let mut mail = String::from(
            "From: a@b.example\nTo: c@d.example\nSubject: many\nMIME-Version: 1.0\n\
             Content-Type: multipart/mixed; boundary=\"b\"\n\n",
        );
        for i in 1..=4 {
            mail.push_str(&format!(
                "--b\nContent-Type: text/plain\nContent-Disposition: attachment; filename=\"f{i}.txt\"\n\n{}",
                planted_text()
            ));
        }
        mail.push_str("--b--\n");
        fs::write(share.join("many.eml"), mail).unwrap();
    });
    let mut expected = text_findings("many.eml!f1.txt");
    expected.extend(text_findings("many.eml!f2.txt"));
    assert_eq!(s.findings_masked(), expected);
    assert_eq!(
        s.files(),
        vec![
            "many.eml,eml,scanned,more than 2 attachments (--max-entries): later ones not read or listed",
            "many.eml!f1.txt,text/utf-8,scanned,",
            "many.eml!f2.txt,text/utf-8,scanned,",
            "many.eml!f3.txt,,skipped,message has more than 2 attachments (--max-entries); not read",
        ]
    );
}
