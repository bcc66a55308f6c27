//! Plain data that describes one scan: roots, limits, threads, outputs and the fingerprint key.

use std::path::PathBuf;

use serde::Serialize;

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
    pub limits: Limits,
}
