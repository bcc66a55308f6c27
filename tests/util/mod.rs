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

/// `breachscope scan ROOT --out OUT --quiet EXTRA…`, not yet run.
pub fn scan_command(root: &Path, out: &Path, extra: &[&str]) -> Command {
    let mut command = breachscope();
    command
        .arg("scan")
        .arg(root)
        .arg("--out")
        .arg(out)
        .arg("--quiet")
        .args(extra);
    command
}

pub fn scan(root: &Path, out: &Path, extra: &[&str]) -> Output {
    scan_command(root, out, extra)
        .output()
        .expect("breachscope runs")
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

/// Scans `root` into `out` and returns the output and the scan's own peak resident memory in
/// bytes, as the binary reports it with `BREACHSCOPE_PHASE_TIMES` (its `VmHWM`). getrusage
/// would not do: a child's maximum starts from the test process's own peak (the memory it had
/// when the child was spawned), and tests beside it build fixtures of hundreds of megabytes.
pub fn scan_with_peak_rss(root: &Path, out: &Path, extra: &[&str]) -> (Output, u64) {
    let output = scan_command(root, out, extra)
        .env("BREACHSCOPE_PHASE_TIMES", "1")
        .output()
        .expect("breachscope runs");
    let peak_kib = String::from_utf8_lossy(&output.stderr)
        .lines()
        .filter_map(|line| {
            let rest = line.split("peak RSS ").nth(1)?;
            rest.strip_suffix(" KiB)")?.parse::<u64>().ok()
        })
        .max()
        .expect("the scan reports its peak RSS at each phase");
    (output, peak_kib * 1024)
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
