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
    /// Extracted text examined by the detectors.
    pub text_bytes: u64,
    pub findings: usize,
    pub unique_values: usize,
}

/// Items left unscanned or scanned in part, counted by status and reason (files.csv has each).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotScanned {
    pub status: &'static str,
    pub reason: String,
    pub count: usize,
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
    /// Most frequent first; every item whose status is not `scanned`.
    pub not_scanned: Vec<NotScanned>,
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
            "text_bytes": s.counts.text_bytes,
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

#[cfg(test)]
pub(crate) mod tests {
    use std::time::{Duration, SystemTime};

    use super::*;
    use crate::classify::{CombinationRow, GroupImpact, ImpactRow, KindRow};
    use crate::rules::{Combination, ImpactEntry, ImpactModel, Source};

    fn source(text: &str, source: &str, deadline: Option<&str>) -> Source {
        Source {
            text: text.to_string(),
            source: source.to_string(),
            deadline: deadline.map(str::to_string),
            audience: None,
            unit: None,
        }
    }

    fn row(class: &str, severity: Severity, counts: [usize; 5]) -> ImpactRow {
        let [findings, unique_values, files, records, individuals] = counts;
        ImpactRow {
            data_class: class.to_string(),
            severity,
            findings,
            unique_values,
            files,
            potential_misuse: vec![format!("Misuse of {class}")],
            regulations: Vec::new(),
            countermeasures: Vec::new(),
            records,
            individuals,
        }
    }

    /// A summary and impact model built by hand: every count is distinct, so a test that reads
    /// the wrong one fails.
    pub(crate) fn summary_fixture() -> (Summary, ImpactModel) {
        let reissue = source("Reissue the exposed cards", "identitytheft.gov", None);
        let acquirer = source(
            "Notify the acquiring bank and the card brands",
            "Visa WTDIC",
            Some("immediately; account numbers within 10 business days"),
        );
        let gdpr_financial = source(
            "GDPR Art. 33: notify the supervisory authority",
            "GDPR Art. 33 and 34",
            Some("72 hours to the supervisory authority"),
        );
        let gdpr_contact = source(
            "Personal data under GDPR",
            "GDPR Art. 33",
            Some("72 hours to the supervisory authority"),
        );
        let state_definition = source(
            "A card number alone is personal information",
            "DC Code",
            None,
        );
        let monitoring = source("Offer credit monitoring", "State laws", Some("60 days"));
        let freeze = source(
            "Give credit-freeze instructions",
            "identitytheft.gov (SSN)",
            None,
        );
        let phishing = source("Warn people about phishing", "DOJ Montana", None);
        let rotate = source("Rotate the cloud key", "AWS IAM", None);
        let mfa = source(
            "Enforce multi-factor authentication",
            "https://www.cisa.gov/MFA",
            None,
        );

        let mut model = ImpactModel::default();
        let entry = |name: &str, audience: Option<&str>, unit: &str| ImpactEntry {
            name: Some(name.to_string()),
            audience: audience.map(str::to_string),
            unit: Some(unit.to_string()),
            explanation: Some(format!("What {name} lets a criminal do.")),
            ..ImpactEntry::default()
        };
        let mut financial = entry(
            "Financial account data",
            Some("people whose card was exposed"),
            "card numbers",
        );
        financial.countermeasures = vec![reissue.clone()];
        financial.regulations = vec![state_definition.clone(), gdpr_financial.clone()];
        model.class.insert("financial".into(), financial);
        let card = ImpactEntry {
            countermeasures: vec![acquirer.clone()],
            ..ImpactEntry::default()
        };
        model.detector.insert("payment_card".into(), card);
        let mut government = entry(
            "Government identifiers",
            Some("people whose SSN was exposed"),
            "Social Security numbers",
        );
        government.countermeasures = vec![monitoring.clone(), freeze.clone()];
        model.class.insert("government_id".into(), government);
        let mut contact = entry("Contact details", None, "e-mail addresses");
        contact.countermeasures = vec![phishing.clone()];
        contact.regulations = vec![gdpr_contact.clone()];
        model.class.insert("contact".into(), contact);
        model.class.insert(
            "personal".into(),
            entry("Personal details", None, "dates of birth"),
        );
        model.class.insert(
            "credential".into(),
            entry("Credentials and secrets", None, "secrets"),
        );
        model
            .kind
            .insert("cloud_key".into(), entry("Cloud key", None, "cloud keys"));
        model.kind.insert(
            "password".into(),
            entry("Plaintext password", None, "passwords"),
        );
        model.kind.insert(
            "password_hash".into(),
            entry("Password hash", None, "password hashes"),
        );
        model.combination.push(Combination {
            id: "name_ssn".into(),
            name: "Name and SSN".into(),
            requires: vec![vec!["person_name".into()], vec!["us_ssn".into()]],
            severity: Severity::High,
            notification_trigger: true,
            explanation: Some("A name with an SSN is what identity thieves need.".into()),
            audience: Some("people whose SSN was exposed".into()),
            potential_misuse: Vec::new(),
            regulations: Vec::new(),
            countermeasures: vec![monitoring.clone()],
        });

        let mut credential = row("credential", Severity::Critical, [30, 29, 8, 0, 0]);
        credential.countermeasures = vec![rotate.clone(), mfa.clone()];
        let mut financial = row("financial", Severity::High, [4000, 3300, 12, 3200, 3112]);
        financial.countermeasures = vec![reissue, acquirer];
        financial.regulations = vec![state_definition, gdpr_financial];
        let mut government = row("government_id", Severity::High, [50, 40, 2, 45, 0]);
        government.countermeasures = vec![monitoring.clone(), freeze];
        let personal = row("personal", Severity::Medium, [70, 60, 5, 0, 0]);
        let mut contact = row("contact", Severity::Low, [800, 500, 9, 0, 0]);
        contact.countermeasures = vec![phishing];
        contact.regulations = vec![gdpr_contact];
        let impact = vec![credential, financial, government, personal, contact];
        let kind = |kind: &str, severity, counts: [usize; 3], countermeasures| KindRow {
            kind: kind.to_string(),
            name: None,
            severity,
            findings: counts[0],
            unique_values: counts[1],
            files: counts[2],
            countermeasures,
        };
        let kinds = vec![
            kind("cloud_key", Severity::Critical, [15, 14, 6], vec![rotate]),
            kind("password", Severity::High, [13, 12, 3], vec![mfa.clone()]),
            kind("password_hash", Severity::High, [4, 3, 1], vec![mfa]),
        ];
        let combinations = vec![CombinationRow {
            id: "name_ssn".into(),
            name: "Name and SSN".into(),
            severity: Severity::High,
            notification_trigger: true,
            requires: vec![
                vec!["person_name".into()],
                vec!["class:government_id".into(), "class:personal".into()],
            ],
            records: 1300,
            individuals: 1240,
            files: 2,
            explanation: Some("A name with an SSN is what identity thieves need.".into()),
            potential_misuse: vec!["Loans in the victim's name".into()],
            regulations: Vec::new(),
            countermeasures: vec![monitoring],
        }];
        let groups = vec![
            GroupImpact {
                group: "hr".into(),
                rows: vec![
                    row("personal", Severity::Medium, [20, 18, 1, 0, 0]),
                    row("government_id", Severity::High, [50, 40, 2, 45, 0]),
                ],
            },
            GroupImpact {
                group: "finance".into(),
                rows: vec![row(
                    "financial",
                    Severity::High,
                    [4000, 3300, 12, 3200, 3112],
                )],
            },
        ];
        let started = SystemTime::UNIX_EPOCH + Duration::from_secs(1_780_000_000);
        let summary = Summary {
            status: "complete",
            started,
            finished: started + Duration::from_secs(75),
            roots: vec!["/mnt/share<script>alert(1)</script>".into()],
            options: serde_json::json!({"reveal": false}),
            limits: Limits::default(),
            rules_count: 42,
            rule_set_hash: "ab".repeat(32),
            key_id: "k1".into(),
            key_source: KeySource::File,
            counts: SummaryCounts {
                items: 2500,
                scanned: 2490,
                skipped: 6,
                error: 3,
                encrypted: 1,
                truncated: 0,
                bytes_scanned: 3 * 1024 * 1024 * 1024,
                text_bytes: 4 * 1024 * 1024 * 1024,
                findings: 4950,
                unique_values: 3929,
            },
            not_scanned: vec![
                NotScanned {
                    status: "skipped",
                    reason: "symbolic link (not followed)".into(),
                    count: 6,
                },
                NotScanned {
                    status: "error",
                    reason: "permission denied".into(),
                    count: 3,
                },
                NotScanned {
                    status: "encrypted",
                    reason: "encrypted zip entry".into(),
                    count: 1,
                },
            ],
            impact,
            combinations,
            kinds,
            groups,
            people: PeopleEstimate {
                records: 3600,
                individuals: 3400,
                lower_bound: 3300,
                upper_bound: 3500,
                possible_same_person_clusters: 4,
                notification_triggered: 1240,
                method: "shared identifiers".into(),
            },
            max_severity: Some(Severity::Critical),
            fail_on: None,
            fail_on_reached: false,
        };
        (summary, model)
    }
}
