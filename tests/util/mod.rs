//! Helpers shared by the integration tests: run the binary, read its CSV outputs.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub const KEY: &str = "test-fingerprint-key-0123456789abcdef";

/// The breachscope binary with a fixed fingerprint key and no inherited key.
pub fn breachscope() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_breachscope"));
    command.env("BREACHSCOPE_FINGERPRINT_KEY", KEY);
    command
}

pub fn run(args: &[&str]) -> Output {
    breachscope().args(args).output().expect("breachscope runs")
}

pub fn scan(root: &Path, out: &Path, extra: &[&str]) -> Output {
    let mut command = breachscope();
    command
        .arg("scan")
        .arg(root)
        .arg("--out")
        .arg(out)
        .arg("--quiet")
        .args(extra);
    command.output().expect("breachscope runs")
}

/// An empty folder `share` in a fresh temporary directory (kept while the guard lives), beside
/// which a test can write its report.
pub fn new_share() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().expect("tempdir");
    let share = dir.path().join("share");
    std::fs::create_dir(&share).expect("share");
    (dir, share)
}

pub fn sample_share() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/sample-share")
}

/// Rows of a CSV file as vectors of cells (header first).
pub fn read_csv(path: &Path) -> Vec<Vec<String>> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .from_path(path)
        .expect("csv opens");
    reader
        .records()
        .map(|r| r.expect("csv row").iter().map(str::to_string).collect())
        .collect()
}

pub fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// The first `n` cells of every data row, joined with commas.
pub fn rows_prefix(path: &Path, n: usize) -> Vec<String> {
    read_csv(path)
        .into_iter()
        .skip(1)
        .map(|row| row[..n].join(","))
        .collect()
}

/// Runs `command` with its output discarded; returns its exit code and its own peak resident
/// memory in bytes (wait4), unmixed with other tests' children running beside it.
#[expect(
    clippy::zombie_processes,
    reason = "the child is waited for with wait4, which gives its own resource usage"
)]
pub fn exit_code_and_peak_rss(command: &mut Command) -> (Option<i32>, u64) {
    use std::process::Stdio;
    let child = command
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("breachscope runs");
    let pid = libc::pid_t::try_from(child.id()).expect("pid");
    let mut status = 0;
    // SAFETY: wait4 writes into the zeroed struct and the status we pass; the child is ours
    // and not waited for elsewhere.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    let waited = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
    assert_eq!(waited, pid, "wait4");
    let code = libc::WIFEXITED(status).then(|| libc::WEXITSTATUS(status));
    (code, (usage.ru_maxrss as u64) * 1024)
}

/// Peak resident memory of the children this test process has waited for (getrusage).
pub fn children_peak_rss_bytes() -> u64 {
    // SAFETY: getrusage writes into the zeroed struct we pass.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    let rc = unsafe { libc::getrusage(libc::RUSAGE_CHILDREN, &mut usage) };
    assert_eq!(rc, 0);
    (usage.ru_maxrss as u64) * 1024
}

/// Every file a complete report holds, sorted.
pub const REPORT_FILE_NAMES: &[&str] = &[
    "countermeasures.csv",
    "files.csv",
    "findings.csv",
    "impact.csv",
    "impact_by_group.csv",
    "individuals.csv",
    "records.csv",
    "report.html",
    "report.md",
    "summary.json",
];

/// The names in a report folder, sorted.
pub fn file_names(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .expect("dir")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}
