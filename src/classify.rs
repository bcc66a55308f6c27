//! Impact: turns findings per data class into severity, misuse, obligations and countermeasures
//! from `patterns/impact.toml`.

use std::collections::{BTreeMap, BTreeSet};

use crate::aggregate::Finding;
use crate::rules::{ImpactModel, Severity, Source};

/// One row of impact.csv.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImpactRow {
    pub data_class: String,
    pub severity: Severity,
    pub findings: usize,
    pub unique_values: usize,
    pub files: usize,
    pub potential_misuse: Vec<String>,
    pub regulations: Vec<Source>,
    pub countermeasures: Vec<Source>,
}

fn push_unique<T: PartialEq + Clone>(into: &mut Vec<T>, items: &[T]) {
    for item in items {
        if !into.contains(item) {
            into.push(item.clone());
        }
    }
}

/// One row per data class found, ordered by severity (worst first) then name.
pub fn impact_rows(findings: &[Finding], model: &ImpactModel) -> Vec<ImpactRow> {
    #[derive(Default)]
    struct Acc<'a> {
        findings: usize,
        values: BTreeSet<&'a str>,
        files: BTreeSet<&'a str>,
        severity: Option<Severity>,
        detectors: BTreeSet<&'a str>,
        kinds: BTreeSet<&'a str>,
    }
    let mut classes: BTreeMap<&str, Acc> = BTreeMap::new();
    for finding in findings {
        let acc = classes.entry(&finding.data_class).or_default();
        acc.findings += 1;
        acc.values.insert(&finding.fingerprint);
        acc.files.insert(&finding.path);
        acc.severity = acc.severity.max(Some(finding.severity));
        acc.detectors.insert(&finding.detector);
        if let Some(kind) = &finding.kind {
            acc.kinds.insert(kind);
        }
    }
    let mut rows: Vec<ImpactRow> = classes
        .into_iter()
        .map(|(class, acc)| {
            let mut row = ImpactRow {
                data_class: class.to_string(),
                severity: acc.severity.unwrap_or(Severity::Medium),
                findings: acc.findings,
                unique_values: acc.values.len(),
                files: acc.files.len(),
                potential_misuse: Vec::new(),
                regulations: Vec::new(),
                countermeasures: Vec::new(),
            };
            let entries = model
                .class
                .get(class)
                .into_iter()
                .chain(acc.kinds.iter().filter_map(|k| model.kind.get(*k)))
                .chain(acc.detectors.iter().filter_map(|d| model.detector.get(*d)));
            for entry in entries {
                push_unique(&mut row.potential_misuse, &entry.potential_misuse);
                push_unique(&mut row.regulations, &entry.regulations);
                push_unique(&mut row.countermeasures, &entry.countermeasures);
            }
            row
        })
        .collect();
    rows.sort_by(|a, b| {
        b.severity
            .cmp(&a.severity)
            .then_with(|| a.data_class.cmp(&b.data_class))
    });
    rows
}

/// `text [source]` items joined for one CSV cell.
pub fn cite(items: &[Source]) -> String {
    items
        .iter()
        .map(|s| format!("{} [{}]", s.text, s.source))
        .collect::<Vec<_>>()
        .join(" | ")
}
