//! Plain data that describes one scan: roots, limits, threads, outputs and the fingerprint key.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use serde::Serialize;

use crate::gate::{DocumentGate, MemoryAllowance};
use crate::rules::Severity;

/// Where the fingerprint key came from; decides whether fingerprints compare across runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum KeySource {
    File,
    Env,
    Random,
}

/// The secret that keys fingerprints. Never printed, never written.
#[derive(Clone)]
pub struct FingerprintKey {
    pub bytes: Vec<u8>,
    pub source: KeySource,
}

impl std::fmt::Debug for FingerprintKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FingerprintKey")
            .field("source", &self.source)
            .finish_non_exhaustive()
    }
}

impl FingerprintKey {
    /// A fresh random key for this run only.
    pub fn random() -> Result<Self, crate::Error> {
        let mut bytes = vec![0u8; 32];
        getrandom::fill(&mut bytes)
            .map_err(|e| crate::Error::Config(format!("no random key available: {e}")))?;
        Ok(FingerprintKey {
            bytes,
            source: KeySource::Random,
        })
    }
}

/// Bounds that keep time and memory independent of input size.
#[derive(Debug, Clone, Serialize)]
pub struct Limits {
    /// Bytes of decoded text handed to the detectors at once.
    pub chunk_bytes: usize,
    /// Bytes re-read at a cut inside a long line, so no match spanning the cut is lost.
    pub chunk_overlap: usize,
    /// Containers nested deeper than this are listed, not opened.
    pub max_depth: usize,
    /// Decompressed bytes read from all members of one top-level file together.
    pub max_expanded_bytes: u64,
    /// Largest accepted ratio of decompressed to compressed size for one member.
    pub max_ratio: u64,
    /// Members read from one archive.
    pub max_entries: usize,
    /// Raised to stop the scan early (SIGINT/SIGTERM); extraction checks it between reads.
    #[serde(skip)]
    pub stop: StopFlag,
    /// Shared by every worker of the scan: bounds the bytes of documents (PDFs, workbooks)
    /// parsed whole in memory at once.
    #[serde(rename = "document_memory")]
    pub whole_documents: DocumentGate,
    /// Shared by every worker of the scan: bounds the members copied to memory at once.
    #[serde(skip)]
    pub spooled_in_memory: MemoryAllowance,
}

/// A shared "stop now" flag: the binary's signal handler raises it, the walker, the workers and
/// the extractors poll it. Cloning shares the flag.
#[derive(Debug, Clone, Default)]
pub struct StopFlag(Arc<AtomicBool>);

impl StopFlag {
    pub fn new() -> Self {
        Self::default()
    }

    /// Asks every part of the scan to stop; safe to call from a signal handler thread.
    pub fn raise(&self) {
        self.0.store(true, Ordering::SeqCst);
    }

    pub fn is_raised(&self) -> bool {
        self.0.load(Ordering::Relaxed)
    }
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            chunk_bytes: 1 << 20,
            chunk_overlap: 4096,
            max_depth: 8,
            max_expanded_bytes: 8 << 30,
            max_ratio: 1000,
            max_entries: 100_000,
            stop: StopFlag::default(),
            whole_documents: DocumentGate::default(),
            spooled_in_memory: MemoryAllowance::default(),
        }
    }
}

/// Everything `run` needs; built by the CLI or by tests.
#[derive(Debug, Clone)]
pub struct ScanConfig {
    pub roots: Vec<PathBuf>,
    pub out_dir: PathBuf,
    pub force: bool,
    pub threads: usize,
    pub patterns_dir: Option<PathBuf>,
    pub key: FingerprintKey,
    pub fail_on: Option<Severity>,
    pub excludes: Vec<String>,
    pub follow_links: bool,
    pub progress: bool,
    /// Write raw matched values into findings.csv instead of masked ones (forensic exports).
    pub reveal: bool,
    /// Unstructured text: findings within this many lines of each other form one record (0: the
    /// same line or one labelled block).
    pub record_lines: usize,
    /// Path components that name a group (client, department) in impact_by_group.csv.
    pub group_depth: usize,
    pub limits: Limits,
}
