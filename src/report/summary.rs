//! summary.json: what ran, on what, with which rules and limits, and what it found.

use std::collections::BTreeMap;
use std::time::SystemTime;

use serde_json::{Value, json};

use super::timestamp;
use crate::classify::{CombinationRow, GroupImpact, ImpactRow, KindRow};
use crate::config::{KeySource, Limits};
use crate::people::PeopleEstimate;
use crate::rules::Severity;

/// Item counts by status, plus bytes and findings.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SummaryCounts {
    pub items: usize,
    pub scanned: usize,
    pub skipped: usize,
    pub error: usize,
    pub encrypted: usize,
    pub truncated: usize,
    pub bytes_scanned: u64,
    pub findings: usize,
    pub unique_values: usize,
}

/// Everything summary.json records.
#[derive(Debug, Clone)]
pub struct Summary {
    pub status: &'static str,
    pub started: SystemTime,
    pub finished: SystemTime,
    pub roots: Vec<String>,
    pub options: Value,
    pub limits: Limits,
    pub rules_count: usize,
    pub rule_set_hash: String,
    pub key_id: String,
    pub key_source: KeySource,
    pub counts: SummaryCounts,
    pub impact: Vec<ImpactRow>,
    pub combinations: Vec<CombinationRow>,
    pub kinds: Vec<KindRow>,
    pub groups: Vec<GroupImpact>,
    pub people: PeopleEstimate,
    pub max_severity: Option<Severity>,
    pub fail_on: Option<Severity>,
    pub fail_on_reached: bool,
}

pub fn summary_json(s: &Summary) -> Value {
    let comparable = s.key_source != KeySource::Random;
    let by_class: BTreeMap<&str, Value> = s
        .impact
        .iter()
        .map(|row| {
            (
                row.data_class.as_str(),
                json!({
                    "severity": row.severity.as_str(),
                    "findings": row.findings,
                    "unique_values": row.unique_values,
                    "files": row.files,
                }),
            )
        })
        .collect();
    let duration = s
        .finished
        .duration_since(s.started)
        .map(|d| d.as_secs_f64())
        .unwrap_or(0.0);
    json!({
        "tool": "breachscope",
        "version": env!("CARGO_PKG_VERSION"),
        "output_format_version": 1,
        "status": s.status,
        "started": timestamp(Some(s.started)),
        "finished": timestamp(Some(s.finished)),
        "duration_seconds": (duration * 1000.0).round() / 1000.0,
        "roots": s.roots,
        "options": s.options,
        "limits": s.limits,
        "rules": { "count": s.rules_count, "rule_set_sha256": s.rule_set_hash },
        "fingerprint": {
            "algorithm": "HMAC-SHA256 over the normalised value, truncated to 128 bits",
            "key_id": s.key_id,
            "key_source": s.key_source,
            "comparable_across_runs": comparable,
            "note": if comparable {
                "fingerprints compare with any run that used the same key"
            } else {
                "random per-run key: fingerprints are NOT comparable across runs; pass --fingerprint-key-file or BREACHSCOPE_FINGERPRINT_KEY to compare"
            },
        },
        "counts": {
            "items": s.counts.items,
            "scanned": s.counts.scanned,
            "skipped": s.counts.skipped,
            "error": s.counts.error,
            "encrypted": s.counts.encrypted,
            "truncated": s.counts.truncated,
            "bytes_scanned": s.counts.bytes_scanned,
            "findings": s.counts.findings,
            "unique_values": s.counts.unique_values,
        },
        "by_class": by_class,
        "people": {
            "records": s.people.records,
            "individuals": s.people.individuals,
            "individuals_lower_bound": s.people.lower_bound,
            "individuals_upper_bound": s.people.upper_bound,
            "possible_same_person_clusters": s.people.possible_same_person_clusters,
            "individuals_with_notification_trigger": s.people.notification_triggered,
            "method": s.people.method,
        },
        "combinations": s.combinations.iter().map(|c| json!({
            "id": c.id,
            "name": c.name,
            "severity": c.severity.as_str(),
            "notification_trigger": c.notification_trigger,
            "records": c.records,
            "individuals": c.individuals,
            "files": c.files,
        })).collect::<Vec<_>>(),
        "max_severity": s.max_severity.map(Severity::as_str),
        "fail_on": s.fail_on.map(Severity::as_str),
        "fail_on_reached": s.fail_on_reached,
        // --reveal puts raw values into findings.csv; say so where an auditor looks first.
        "values_in_outputs": if s.options.get("reveal") == Some(&Value::Bool(true)) {
            "raw"
        } else {
            "masked"
        },
    })
}
