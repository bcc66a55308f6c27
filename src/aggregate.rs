//! The single owner of results: collects findings and file accounts from the workers, keeps
//! the counts, and hands out sorted, deduplicated views.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::time::SystemTime;

use crate::extract::Status;
use crate::rules::{Confidence, Severity};

/// One occurrence of a detected value; the raw value is already gone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    pub path: Arc<str>,
    pub location: String,
    pub line: Option<u64>,
    /// Byte offset in the decoded text (or file), only to order findings on one line.
    pub offset: u64,
    pub detector: Arc<str>,
    pub data_class: Arc<str>,
    pub kind: Option<Arc<str>>,
    pub confidence: Confidence,
    pub severity: Severity,
    pub masked: String,
    pub fingerprint: String,
}

impl Finding {
    fn sort_key(&self) -> (&str, &str, u64, u64, &str, &str) {
        (
            &self.path,
            &self.location,
            self.line.unwrap_or(0),
            self.offset,
            &self.detector,
            &self.fingerprint,
        )
    }
}

/// The account of one file or member.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileRecord {
    pub path: Arc<str>,
    pub size: u64,
    pub modified: Option<SystemTime>,
    pub format: String,
    pub status: Status,
    pub reason: String,
    pub findings: u64,
    pub sha256: Option<String>,
}

/// Everything a scan produced.
#[derive(Debug, Default)]
pub struct Results {
    pub findings: Vec<Finding>,
    pub files: Vec<FileRecord>,
    pub bytes_scanned: u64,
}

impl Results {
    /// Adds the accounts of one top-level file and its members with all their findings.
    pub fn add_files(&mut self, records: Vec<FileRecord>, findings: Vec<Finding>) {
        let mut per_path: std::collections::HashMap<&str, u64> = std::collections::HashMap::new();
        for finding in &findings {
            *per_path.entry(&finding.path).or_default() += 1;
        }
        for mut record in records {
            record.findings = per_path.get(&*record.path).copied().unwrap_or(0);
            if record.findings == 0 {
                // Hashes are evidence for files that matter; the rest would only bloat the report.
                record.sha256 = None;
            }
            self.files.push(record);
        }
        self.findings.extend(findings);
    }

    /// Sorts rows so that the same input gives the same bytes.
    pub fn sort(&mut self) {
        self.findings
            .sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
        self.files.sort_by(|a, b| a.path.cmp(&b.path));
    }

    pub fn count_status(&self, status: Status) -> usize {
        self.files.iter().filter(|f| f.status == status).count()
    }

    /// Distinct values per data class (by fingerprint).
    pub fn unique_values(&self) -> BTreeMap<&str, usize> {
        let mut seen: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
        for finding in &self.findings {
            seen.entry(&finding.data_class)
                .or_default()
                .insert(&finding.fingerprint);
        }
        seen.into_iter()
            .map(|(class, set)| (class, set.len()))
            .collect()
    }

    pub fn total_unique_values(&self) -> usize {
        self.findings
            .iter()
            .map(|f| (&*f.data_class, f.fingerprint.as_str()))
            .collect::<BTreeSet<_>>()
            .len()
    }
}
