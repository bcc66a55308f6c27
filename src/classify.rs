//! Impact: turns findings per data class into severity, misuse, obligations and countermeasures
//! from `patterns/impact.toml`.

use std::collections::BTreeMap;
use std::sync::Arc;

use crate::aggregate::ClassTally;
use crate::rules::{Combination, ImpactModel, Severity, Source};

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
    /// Records (rows, objects, labelled blocks) holding this class.
    pub records: usize,
    /// Individuals (point estimate) with at least one element of this class.
    pub individuals: usize,
}

/// One combination of data elements found together in records (name + SSN, card + code).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CombinationRow {
    pub id: String,
    pub name: String,
    pub severity: Severity,
    pub notification_trigger: bool,
    /// The element groups it requires, as written in impact.toml.
    pub requires: Vec<Vec<String>>,
    pub records: usize,
    /// Individuals (point estimate) with at least one record of this combination.
    pub individuals: usize,
    pub files: usize,
    pub explanation: Option<String>,
    pub potential_misuse: Vec<String>,
    pub regulations: Vec<Source>,
    pub countermeasures: Vec<Source>,
}

/// Tallies for one credential kind (cloud keys, passwords, private keys …).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KindRow {
    pub kind: String,
    pub name: Option<String>,
    pub severity: Severity,
    pub findings: usize,
    pub unique_values: usize,
    pub files: usize,
    pub countermeasures: Vec<Source>,
}

/// The impact rows of one group (the first `--group-by-depth` path components).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupImpact {
    pub group: String,
    pub rows: Vec<ImpactRow>,
}

fn push_unique<T: PartialEq + Clone>(into: &mut Vec<T>, items: &[T]) {
    for item in items {
        if !into.contains(item) {
            into.push(item.clone());
        }
    }
}

/// One row per data class found, ordered by severity (worst first) then name.
pub fn impact_rows(
    classes: &mut BTreeMap<Arc<str>, ClassTally>,
    model: &ImpactModel,
) -> Vec<ImpactRow> {
    let mut rows: Vec<ImpactRow> = classes
        .iter_mut()
        .map(|(class, tally)| {
            let mut row = ImpactRow {
                data_class: class.to_string(),
                severity: tally.severity.unwrap_or(Severity::Medium),
                findings: tally.findings,
                unique_values: tally.unique_values(),
                files: tally.files,
                potential_misuse: Vec::new(),
                regulations: Vec::new(),
                countermeasures: Vec::new(),
                records: 0,
                individuals: 0,
            };
            let entries = model
                .class
                .get(&**class)
                .into_iter()
                .chain(tally.kinds.iter().filter_map(|k| model.kind.get(&**k)))
                .chain(
                    tally
                        .detectors
                        .iter()
                        .filter_map(|d| model.detector.get(&**d)),
                );
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

/// One row per combination found, worst first: counts from the people resolution.
pub fn combination_rows(
    combinations: &[Combination],
    counts: &[(usize, usize, usize)],
) -> Vec<CombinationRow> {
    let mut rows: Vec<CombinationRow> = combinations
        .iter()
        .zip(counts)
        .filter(|(_, (records, _, _))| *records > 0)
        .map(|(c, &(records, individuals, files))| CombinationRow {
            id: c.id.clone(),
            name: c.name.clone(),
            severity: c.severity,
            notification_trigger: c.notification_trigger,
            requires: c.requires.clone(),
            records,
            individuals,
            files,
            explanation: c.explanation.clone(),
            potential_misuse: c.potential_misuse.clone(),
            regulations: c.regulations.clone(),
            countermeasures: c.countermeasures.clone(),
        })
        .collect();
    rows.sort_by(|a, b| b.severity.cmp(&a.severity).then_with(|| a.id.cmp(&b.id)));
    rows
}

/// One row per credential kind found, worst first.
pub fn kind_rows(kinds: &mut BTreeMap<Arc<str>, ClassTally>, model: &ImpactModel) -> Vec<KindRow> {
    let mut rows: Vec<KindRow> = kinds
        .iter_mut()
        .map(|(kind, tally)| {
            let entry = model.kind.get(&**kind);
            KindRow {
                kind: kind.to_string(),
                name: entry.and_then(|e| e.name.clone()),
                severity: tally.severity.unwrap_or(Severity::Medium),
                findings: tally.findings,
                unique_values: tally.unique_values(),
                files: tally.files,
                countermeasures: entry.map(|e| e.countermeasures.clone()).unwrap_or_default(),
            }
        })
        .collect();
    rows.sort_by(|a, b| {
        b.severity
            .cmp(&a.severity)
            .then_with(|| a.kind.cmp(&b.kind))
    });
    rows
}
