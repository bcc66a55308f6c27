//! Interrupted runs and evidence handling: a stopped scan still writes a report that accounts
//! for every file, the scanned tree is left untouched, and `--reveal` is explicit and recorded.

mod util;

use std::collections::BTreeMap;
use std::fs;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant, SystemTime};

use util::*;

fn summary(report: &Path) -> serde_json::Value {
    serde_json::from_slice(&fs::read(report.join("summary.json")).expect("summary")).expect("json")
}

/// A share of `files` files of 64 KiB, each with one SSN on its last line.
fn large_share(root: &Path, files: usize) -> Vec<String> {
    let filler = "2024-03-01 INFO nothing to see here, just a long enough log line for padding\n";
    let mut body = String::with_capacity(64 * 1024);
    while body.len() + filler.len() < 64 * 1024 - 32 {
        body.push_str(filler);
    }
    body.push_str("ssn 536-22-5487\n");
    let mut names = Vec::with_capacity(files);
    for i in 0..files {
        let dir = format!("d{:02}", i / 100);
        fs::create_dir_all(root.join(&dir)).expect("dir");
        let name = format!("{dir}/f{i:05}.log");
        fs::write(root.join(&name), &body).expect("write");
        names.push(name);
    }
    names
}

#[test]
fn sigint_writes_an_interrupted_report_that_accounts_for_every_file() {
    let dir = tempfile::tempdir().expect("tempdir");
    let share = dir.path().join("share");
    let names = large_share(&share, 3000);
    let report = dir.path().join("report");
    let mut child = breachscope()
        .args(["scan", "--threads", "2", "--out"])
        .arg(&report)
        .arg(&share)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    std::thread::sleep(Duration::from_millis(300));
    // SAFETY: kill with a live child's pid and a valid signal number.
    assert_eq!(unsafe { libc::kill(child.id() as i32, libc::SIGINT) }, 0);
    let deadline = Instant::now() + Duration::from_secs(120);
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait") {
            break status;
        }
        assert!(Instant::now() < deadline, "the scan did not stop");
        std::thread::sleep(Duration::from_millis(20));
    };
    let mut err = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().expect("stderr"), &mut err)
        .expect("stderr");
    assert_eq!(status.code(), Some(130), "{err}");
    let summary = summary(&report);
    assert_eq!(summary["status"], "interrupted", "{err}");

    // Every CSV parses; files.csv lists every generated file exactly once.
    for name in ["findings.csv", "impact.csv"] {
        assert!(!read_csv(&report.join(name)).is_empty(), "{name}");
    }
    let rows = read_csv(&report.join("files.csv"));
    assert_eq!(rows[0][0], "path");
    let mut seen: BTreeMap<String, (String, String)> = BTreeMap::new();
    for row in &rows[1..] {
        let previous = seen.insert(row[0].clone(), (row[4].clone(), row[5].clone()));
        assert!(previous.is_none(), "listed twice: {}", row[0]);
    }
    assert_eq!(
        seen.keys().cloned().collect::<Vec<_>>(),
        names,
        "files.csv must list every file once"
    );
    let mut by_status: BTreeMap<&str, usize> = BTreeMap::new();
    for (status, reason) in seen.values() {
        *by_status.entry(status.as_str()).or_default() += 1;
        match status.as_str() {
            "scanned" => assert_eq!(reason, ""),
            "truncated" => assert_eq!(reason, "scan interrupted"),
            "skipped" => assert_eq!(reason, "not scanned: scan interrupted"),
            other => panic!("unexpected status {other}: {reason}"),
        }
    }
    eprintln!("after SIGINT: {by_status:?}");
    assert!(
        by_status.get("skipped").copied().unwrap_or(0) > 0,
        "the scan finished before the signal: {by_status:?}"
    );
    assert_eq!(
        summary["counts"]["items"].as_u64(),
        Some(names.len() as u64),
        "{by_status:?}"
    );
    // Nothing found before the stop is lost: every fully scanned file has its SSN.
    let findings = read_csv(&report.join("findings.csv"));
    let with_findings: std::collections::BTreeSet<&str> =
        findings[1..].iter().map(|r| r[0].as_str()).collect();
    for (path, (status, _)) in &seen {
        if status == "scanned" {
            assert!(
                with_findings.contains(path.as_str()),
                "finding lost: {path}"
            );
        }
    }
    // No temporary files are left behind.
    assert_eq!(file_names(&report), REPORT_FILE_NAMES);
}

#[test]
fn a_normal_run_is_complete_and_records_its_options() {
    let out = tempfile::tempdir().expect("tempdir");
    let report = out.path().join("report");
    let output = scan(
        &sample_share(),
        &report,
        &["--max-depth", "3", "--document-memory", "48M"],
    );
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let summary = summary(&report);
    assert_eq!(summary["status"], "complete");
    assert_eq!(summary["limits"]["document_memory"], 48 << 20);
    assert_eq!(summary["version"], env!("CARGO_PKG_VERSION"));
    assert_eq!(
        summary["rules"]["rule_set_sha256"].as_str().map(str::len),
        Some(64)
    );
    assert_eq!(summary["limits"]["max_depth"], 3);
    for limit in ["max_expanded_bytes", "max_ratio", "max_entries"] {
        assert!(summary["limits"][limit].is_u64(), "{limit}");
    }
    assert_eq!(summary["options"]["reveal"], false);
    assert_eq!(summary["values_in_outputs"], "masked");
}

/// Every regular file under `root`, sorted.
fn files_under(root: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in fs::read_dir(&dir).expect("dir") {
            let path = entry.expect("entry").path();
            let meta = fs::symlink_metadata(&path).expect("meta");
            if meta.is_dir() {
                stack.push(path);
            } else if meta.is_file() {
                files.push(path);
            }
        }
    }
    files.sort();
    files
}

fn copy_tree(from: &Path, to: &Path) {
    fs::create_dir_all(to).expect("dir");
    for entry in fs::read_dir(from).expect("dir") {
        let entry = entry.expect("entry");
        let target = to.join(entry.file_name());
        if entry.file_type().expect("type").is_dir() {
            copy_tree(&entry.path(), &target);
        } else {
            fs::copy(entry.path(), &target).expect("copy");
        }
    }
}

/// Modification and access times (seconds, nanoseconds) of a file, from metadata only.
fn times(path: &Path) -> (i64, i64, i64, i64) {
    let meta = fs::metadata(path).expect("meta");
    (
        meta.mtime(),
        meta.mtime_nsec(),
        meta.atime(),
        meta.atime_nsec(),
    )
}

#[test]
fn scanning_leaves_the_evidence_untouched() {
    let dir = tempfile::tempdir().expect("tempdir");
    let share = dir.path().join("share");
    copy_tree(&sample_share(), &share);
    // Access times well before modification times: under `relatime` (the usual mount option)
    // any plain read would then move them, so unchanged access times show that the scan opened
    // every file with O_NOATIME (granted here: the test owns the files).
    let old = SystemTime::UNIX_EPOCH + Duration::from_secs(946_684_800);
    let files = files_under(&share);
    assert!(files.len() >= 10);
    for path in &files {
        let file = fs::File::options().write(true).open(path).expect("open");
        file.set_times(fs::FileTimes::new().set_accessed(old))
            .expect("set atime");
    }
    let before: Vec<_> = files.iter().map(|p| times(p)).collect();
    assert!(before.iter().all(|t| t.2 == 946_684_800));
    let report = dir.path().join("report");
    let output = scan(&share, &report, &[]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let after: Vec<_> = files.iter().map(|p| times(p)).collect();
    assert_eq!(files_under(&share), files, "files appeared or vanished");
    for ((path, b), a) in files.iter().zip(&before).zip(&after) {
        assert_eq!((a.0, a.1), (b.0, b.1), "mtime changed: {}", path.display());
        assert_eq!((a.2, a.3), (b.2, b.3), "atime changed: {}", path.display());
    }
    // Bytes last (reading them moves the access times checked above).
    for path in &files {
        let original = sample_share().join(path.strip_prefix(&share).expect("inside"));
        assert!(
            fs::read(path).expect("read") == fs::read(&original).expect("read"),
            "bytes changed: {}",
            path.display()
        );
    }
}

#[test]
fn reveal_is_explicit_warned_and_recorded() {
    let (dir, share) = new_share();
    fs::write(
        share.join("a.txt"),
        "ssn 536-22-5487\ncard 4539 5787 6362 1486\n",
    )
    .expect("write");
    let masked = dir.path().join("masked");
    let output = scan(&share, &masked, &[]);
    assert_eq!(output.status.code(), Some(0));
    assert!(!stderr(&output).contains("--reveal"));
    let revealed = dir.path().join("revealed");
    let output = scan(&share, &revealed, &["--reveal"]);
    assert_eq!(output.status.code(), Some(0));
    assert!(
        stderr(&output).contains("WARNING: --reveal writes raw values"),
        "{}",
        stderr(&output)
    );
    let values = |report: &Path| -> Vec<(String, String)> {
        read_csv(&report.join("findings.csv"))
            .into_iter()
            .skip(1)
            .map(|r| (r[6].clone(), r[7].clone()))
            .collect()
    };
    let raw = values(&revealed);
    let hidden = values(&masked);
    assert_eq!(
        raw.iter().map(|v| v.0.as_str()).collect::<Vec<_>>(),
        ["536-22-5487", "4539 5787 6362 1486"]
    );
    assert!(hidden.iter().all(|v| !v.0.contains("5787")), "{hidden:?}");
    // Fingerprints do not depend on --reveal.
    assert_eq!(
        raw.iter().map(|v| &v.1).collect::<Vec<_>>(),
        hidden.iter().map(|v| &v.1).collect::<Vec<_>>()
    );
    let summary = summary(&revealed);
    assert_eq!(summary["options"]["reveal"], true);
    assert_eq!(summary["values_in_outputs"], "raw");
}
