//! Command-line arguments and their translation into a validated `ScanConfig`.

use std::io::IsTerminal;
use std::path::PathBuf;

use anyhow::{Context, bail};
use clap::{Args, Parser, Subcommand};

use breachscope::config::{FingerprintKey, KeySource, Limits, ScanConfig};
use breachscope::gate::DocumentGate;
use breachscope::rules::Severity;

/// Environment variable that may hold the fingerprint key.
pub const KEY_ENV: &str = "BREACHSCOPE_FINGERPRINT_KEY";
const MIN_KEY_BYTES: usize = 16;

#[derive(Debug, Parser)]
#[command(
    name = "breachscope",
    version,
    about = "Find what a breached file share exposed, and what it means"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Scan files and folders and write a report.
    Scan(ScanArgs),
    /// Inspect the detection rules.
    #[command(subcommand)]
    Rules(RulesCommand),
}

#[derive(Debug, Subcommand)]
pub enum RulesCommand {
    /// List every rule with its data class and description.
    List(PatternsArg),
    /// Lint every rule and run its examples; exit 2 on any problem.
    Check(PatternsArg),
}

#[derive(Debug, Args)]
pub struct PatternsArg {
    /// Folder of extra or overriding rule files (*.toml).
    #[arg(long, value_name = "DIR")]
    pub patterns: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct ScanArgs {
    /// Files or folders to scan.
    #[arg(required = true, value_name = "PATH")]
    pub paths: Vec<PathBuf>,
    /// Report folder. An earlier breachscope report there is replaced; anything else is refused.
    #[arg(long, value_name = "DIR", default_value = "breachscope-report")]
    pub out: PathBuf,
    /// Write into a non-empty --out folder that is not an earlier report.
    #[arg(long)]
    pub force: bool,
    /// Worker threads (default: the number of CPUs).
    #[arg(long, value_name = "N")]
    pub threads: Option<usize>,
    /// Folder of extra or overriding rule files (*.toml).
    #[arg(long, value_name = "DIR")]
    pub patterns: Option<PathBuf>,
    /// File holding the fingerprint key (else $BREACHSCOPE_FINGERPRINT_KEY, else a random key).
    #[arg(long, value_name = "FILE")]
    pub fingerprint_key_file: Option<PathBuf>,
    /// Exit with code 1 when a data class of this severity or worse is found
    /// (info, low, medium, high, critical).
    #[arg(long, value_name = "SEVERITY", value_parser = parse_severity)]
    pub fail_on: Option<Severity>,
    /// Skip paths matching this glob (repeatable); skipped items are still listed.
    #[arg(long, value_name = "GLOB")]
    pub exclude: Vec<String>,
    /// Follow symbolic links (off: links are listed as skipped).
    #[arg(long)]
    pub follow_links: bool,
    /// Write raw matched values into findings.csv's masked_value column (forensic exports only:
    /// the report then holds the very data it describes). Recorded in summary.json.
    #[arg(long)]
    pub reveal: bool,
    /// No progress display and no closing count on stderr.
    #[arg(long, short)]
    pub quiet: bool,
    /// In unstructured text, findings within N lines of each other belong to one record
    /// (0: the same line, or one labelled block such as `Name: …` / `SSN: …`).
    #[arg(long, value_name = "N", default_value_t = 0)]
    pub record_lines: usize,
    /// Leading path components that name a group (client, department) for impact_by_group.csv.
    #[arg(long, value_name = "N", default_value_t = 1)]
    pub group_by_depth: usize,
    /// Deepest nesting of containers opened (archives inside archives, attachments in mail).
    #[arg(long, value_name = "N", default_value_t = Limits::default().max_depth)]
    pub max_depth: usize,
    /// Decompressed bytes read from one top-level file and all its members (suffixes K, M, G).
    #[arg(long, value_name = "BYTES", value_parser = parse_size, default_value = "8G")]
    pub max_expanded_bytes: u64,
    /// Largest decompressed-to-compressed ratio accepted for one member (zip-bomb guard).
    #[arg(long, value_name = "N", default_value_t = Limits::default().max_ratio)]
    pub max_ratio: u64,
    /// Most members read from one archive.
    #[arg(long, value_name = "N", default_value_t = Limits::default().max_entries)]
    pub max_entries: usize,
    /// Bytes of PDFs and workbooks parsed whole in memory by all workers at once (suffixes K,
    /// M, G); a larger document is parsed alone while the others wait. Parsing holds two to
    /// five times these bytes: raise it when memory is plentiful and documents are large.
    #[arg(long, value_name = "BYTES", value_parser = parse_size, default_value = "32M")]
    pub document_memory: u64,
}

/// `123`, `64K`, `512M`, `8G` (binary multiples).
fn parse_size(text: &str) -> Result<u64, String> {
    let text = text.trim();
    let (digits, shift) = match text.chars().last().map(|c| c.to_ascii_uppercase()) {
        Some('K') => (&text[..text.len() - 1], 10),
        Some('M') => (&text[..text.len() - 1], 20),
        Some('G') => (&text[..text.len() - 1], 30),
        Some('T') => (&text[..text.len() - 1], 40),
        _ => (text, 0),
    };
    let value: u64 = digits
        .trim()
        .parse()
        .map_err(|_| format!("`{text}` is not a size like 512M or 8G"))?;
    value
        .checked_shl(shift)
        .filter(|v| v >> shift == value)
        .ok_or_else(|| format!("`{text}` is too large"))
}

fn parse_severity(text: &str) -> Result<Severity, String> {
    Severity::parse(text)
        .ok_or_else(|| format!("`{text}` is not one of info, low, medium, high, critical"))
}

fn key_from(bytes: Vec<u8>, source: KeySource, what: &str) -> anyhow::Result<FingerprintKey> {
    let trimmed = bytes.trim_ascii_end().to_vec();
    if trimmed.len() < MIN_KEY_BYTES {
        bail!(
            "{what} holds {} bytes; a fingerprint key needs at least {MIN_KEY_BYTES}",
            trimmed.len()
        );
    }
    Ok(FingerprintKey {
        bytes: trimmed,
        source,
    })
}

impl ScanArgs {
    /// Validates the arguments into a scan configuration.
    pub fn into_config(self) -> anyhow::Result<ScanConfig> {
        let key = if let Some(file) = &self.fingerprint_key_file {
            let bytes = std::fs::read(file).with_context(|| {
                format!("cannot read --fingerprint-key-file {}", file.display())
            })?;
            key_from(
                bytes,
                KeySource::File,
                &format!("--fingerprint-key-file {}", file.display()),
            )?
        } else if let Some(value) = std::env::var_os(KEY_ENV) {
            key_from(value.into_encoded_bytes(), KeySource::Env, KEY_ENV)?
        } else {
            FingerprintKey::random()?
        };
        let threads = match self.threads {
            Some(0) => bail!("--threads must be at least 1"),
            Some(n) => n,
            None => std::thread::available_parallelism()
                .map(|n| n.get())
                .unwrap_or(1),
        };
        Ok(ScanConfig {
            roots: self.paths,
            out_dir: self.out,
            force: self.force,
            threads,
            patterns_dir: self.patterns,
            key,
            fail_on: self.fail_on,
            excludes: self.exclude,
            follow_links: self.follow_links,
            progress: !self.quiet && std::io::stderr().is_terminal(),
            reveal: self.reveal,
            record_lines: self.record_lines,
            group_depth: self.group_by_depth,
            limits: Limits {
                max_depth: self.max_depth,
                max_expanded_bytes: self.max_expanded_bytes,
                max_ratio: self.max_ratio,
                max_entries: self.max_entries,
                whole_documents: DocumentGate::new(self.document_memory),
                ..Limits::default()
            },
        })
    }
}
