//! breachscope: scans a copy of an exposed file share for personal data and secrets, and states
//! the breach impact.
//!
//! The job is data flowing through a pipeline, one module per arrow:
//!
//! ```text
//! roots ─discover─▶ items ─extract─▶ text chunks ─detect─▶ matches ─fingerprint─▶ findings
//! findings ─aggregate─▶ results ─classify─▶ impact ─report─▶ findings.csv, files.csv, impact.csv, summary.json
//! ```
//!
//! * [`discover`] walks the roots and accounts for every entry, including those it will not open.
//! * [`extract`] decodes each file (UTF-8, UTF-16, Windows-1252, strings from binary data) into
//!   bounded chunks.
//! * [`detect`] runs every rule of `patterns/*.toml`: one prefilter pass, then each rule only
//!   where it can match, then validators (Luhn, SSA, mod-97, …) and context.
//! * [`fingerprint`] masks values and keys their fingerprints; raw values go no further.
//! * [`aggregate`], [`classify`] and [`report`] count, judge and write.
//!
//! ```no_run
//! use breachscope::config::{FingerprintKey, Limits, ScanConfig};
//! let config = ScanConfig {
//!     roots: vec!["examples/sample-share".into()],
//!     out_dir: "report".into(),
//!     force: false,
//!     threads: 2,
//!     patterns_dir: None,
//!     key: FingerprintKey::random()?,
//!     fail_on: None,
//!     excludes: vec![],
//!     follow_links: false,
//!     progress: false,
//!     reveal: false,
//!     record_lines: 0,
//!     group_depth: 1,
//!     limits: Limits::default(),
//! };
//! let outcome = breachscope::run(&config)?;
//! println!("{} findings", outcome.summary.counts.findings);
//! # Ok::<(), breachscope::Error>(())
//! ```

pub mod aggregate;
pub mod classify;
pub mod config;
pub mod content;
pub mod detect;
pub mod discover;
pub mod distinct;
mod error;
pub mod extract;
pub mod fingerprint;
pub mod gate;
pub mod memory;
pub mod people;
pub mod provenance;
pub mod report;
pub mod report_file;
pub mod reuse;
pub mod rules;
pub mod runs;
pub mod scan;
pub mod schedule;

pub use error::Error;
pub use scan::{ScanOutcome, run};
