//! The client report's content in plain language, as blocks that report.html and report.md
//! both render, so the two always say the same thing.

use crate::classify::ImpactRow;
use crate::rules::{ImpactModel, Severity};

use super::plan::{Action, join_and, plural, thousands};
use super::{Summary, timestamp};

/// One piece of the report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Block {
    Title(String),
    Heading {
        id: &'static str,
        text: String,
    },
    Subheading(String),
    Para(String),
    /// Small print: caveats and where the figures come from.
    Note(String),
    Bullets(Vec<String>),
    Headlines(Vec<Headline>),
    Table(Table),
    Chart(Chart),
}

/// A headline number, with a stable id so tests and templates can find it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Headline {
    pub id: &'static str,
    pub label: String,
    /// Machine-readable value (digits, or a severity word).
    pub value: String,
    /// As shown ("1,240").
    pub shown: String,
    pub note: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Table {
    pub id: &'static str,
    pub headers: Vec<String>,
    pub rows: Vec<Vec<String>>,
    /// Columns holding numbers, aligned right.
    pub numeric: Vec<usize>,
}

/// A horizontal bar chart; each bar is coloured by severity and labelled in words as well.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Chart {
    pub id: &'static str,
    pub title: String,
    pub bars: Vec<Bar>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bar {
    pub label: String,
    pub value: usize,
    pub severity: Option<Severity>,
}

/// What a severity level means to a reader who has never seen the scale.
pub fn severity_meaning(severity: Severity) -> &'static str {
    match severity {
        Severity::Critical => "immediate loss is likely; act today",
        Severity::High => "serious; laws or contracts will likely require telling people",
        Severity::Medium => "sensitive, but rarely enough on its own to require telling people",
        Severity::Low => "mainly a risk of scam e-mails, texts and calls",
        Severity::Info => "nothing personal",
    }
}

fn status_meaning(status: &str) -> &'static str {
    match status {
        "skipped" => "not opened (links, special files, excluded or over a safety limit)",
        "error" => "could not be read",
        "encrypted" => "locked with a password, so the content is unknown",
        "truncated" => "read only in part",
        _ => "",
    }
}

/// Bytes in the unit a reader expects: 3.0 GB.
pub fn human_bytes(bytes: u64) -> String {
    const UNITS: &[&str] = &["KB", "MB", "GB", "TB"];
    if bytes < 1024 {
        return plural(bytes as usize, "byte", "bytes");
    }
    let mut value = bytes as f64 / 1024.0;
    let mut unit = 0;
    while value >= 1024.0 && unit + 1 < UNITS.len() {
        value /= 1024.0;
        unit += 1;
    }
    format!("{value:.1} {}", UNITS[unit])
}

fn class_name(model: &ImpactModel, class: &str) -> String {
    model
        .class
        .get(class)
        .and_then(|e| e.name.clone())
        .unwrap_or_else(|| class.replace('_', " "))
}

fn capitalised(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// The whole report, in reading order.
pub fn build(summary: &Summary, model: &ImpactModel, plan: &[Action]) -> Vec<Block> {
    let mut blocks = vec![Block::Title("Data breach impact report".to_string())];
    blocks.push(Block::Note(format!(
        "Prepared by breachscope {} from a copy of the exposed files, scanned {} to {} (UTC). \
         It holds counts only: no name, number or password from the files appears in it.",
        env!("CARGO_PKG_VERSION"),
        timestamp(Some(summary.started)),
        timestamp(Some(summary.finished)),
    )));
    summary_section(summary, model, plan, &mut blocks);
    scope_section(summary, &mut blocks);
    exposure_section(summary, model, &mut blocks);
    groups_section(summary, model, &mut blocks);
    combinations_section(summary, &mut blocks);
    plan_section(plan, &mut blocks);
    meaning_section(summary, model, &mut blocks);
    about_section(summary, &mut blocks);
    blocks
}

fn summary_section(summary: &Summary, model: &ImpactModel, plan: &[Action], out: &mut Vec<Block>) {
    out.push(Block::Heading {
        id: "summary",
        text: "In short".to_string(),
    });
    let c = &summary.counts;
    let mut text = format!(
        "We examined {} ({}) from {}.",
        plural(c.items, "file", "files"),
        human_bytes(c.bytes_scanned),
        join_and(&summary.roots),
    );
    if summary.status == "interrupted" {
        text.push_str(
            " The scan was stopped before the end, so these figures cover only what was read.",
        );
    }
    if summary.impact.is_empty() {
        text.push_str(" We found no personal data and no passwords or keys in them.");
        out.push(Block::Para(text));
    } else {
        let names: Vec<String> = summary
            .impact
            .iter()
            .map(|r| class_name(model, &r.data_class).to_lowercase())
            .collect();
        text.push_str(&format!(
            " They hold {} different pieces of personal data or secrets, of {}: {}.",
            thousands(c.unique_values),
            plural(summary.impact.len(), "kind", "kinds"),
            join_and(&names),
        ));
        out.push(Block::Para(text));
        let people = &summary.people;
        out.push(Block::Para(if people.individuals > 0 {
            format!(
                "They belong to an estimated {} people (at least {}, at most {}), found in {} records such as spreadsheet rows or customer entries.",
                thousands(people.individuals),
                thousands(people.lower_bound),
                thousands(people.upper_bound),
                thousands(people.records),
            )
        } else {
            "The files do not show how many different people the data belong to, so the plan counts the exposed values instead.".to_string()
        }));
        if people.individuals > 0 && !people.method.is_empty() {
            out.push(Block::Note(format!(
                "How people were counted: {}",
                people.method.replace('`', "\"")
            )));
        }
        if let Some(worst) = summary.impact.first() {
            out.push(Block::Para(format!(
                "The most serious exposure is {}, rated {}: {}.",
                class_name(model, &worst.data_class).to_lowercase(),
                worst.severity,
                severity_meaning(worst.severity),
            )));
        }
        let notify: Vec<_> = summary
            .combinations
            .iter()
            .filter(|c| c.notification_trigger && c.records > 0)
            .collect();
        if let Some(most) = notify.iter().map(|c| c.individuals).max() {
            // The people estimate counts each person once across combinations; else the
            // largest combination is a floor.
            let (how, count) = if summary.people.notification_triggered > 0 {
                ("an estimated", summary.people.notification_triggered)
            } else {
                ("at least", most)
            };
            out.push(Block::Para(format!(
                "For {how} {} people the exposed details come together in a way that breach-notification laws cover: those people, and in some cases a regulator, must be told.",
                thousands(count)
            )));
        }
        let mut text = format!(
            "The plan below has {}, most serious and most urgent first.",
            plural(plan.len(), "step", "steps")
        );
        let deadlines: Vec<&Action> = plan.iter().filter(|a| a.deadline.is_some()).collect();
        if let Some(first) = deadlines
            .iter()
            .min_by_key(|a| super::plan::urgency_order(&a.deadline))
        {
            text.push_str(&format!(
                " {} of them {} a deadline set by law or by the card schemes; the earliest is {} (step {}).",
                deadlines.len(),
                if deadlines.len() == 1 { "has" } else { "have" },
                first.deadline.as_deref().unwrap_or_default(),
                first.priority,
            ));
        }
        out.push(Block::Para(text));
    }
    let people = &summary.people;
    let worst = summary.max_severity.map_or("none", Severity::as_str);
    out.push(Block::Headlines(vec![
        Headline {
            id: "headline-individuals",
            label: "People affected (estimate)".to_string(),
            value: people.individuals.to_string(),
            shown: thousands(people.individuals),
            note: if people.individuals > 0 {
                format!(
                    "between {} and {}",
                    thousands(people.lower_bound),
                    thousands(people.upper_bound)
                )
            } else {
                "not estimated for these files".to_string()
            },
        },
        Headline {
            id: "headline-records",
            label: "Records with personal data".to_string(),
            value: people.records.to_string(),
            shown: thousands(people.records),
            note: "rows, entries or blocks about one person".to_string(),
        },
        Headline {
            id: "headline-values",
            label: "Different exposed values".to_string(),
            value: summary.counts.unique_values.to_string(),
            shown: thousands(summary.counts.unique_values),
            note: format!("found {} times", thousands(summary.counts.findings)),
        },
        Headline {
            id: "headline-classes",
            label: "Kinds of data exposed".to_string(),
            value: summary.impact.len().to_string(),
            shown: summary.impact.len().to_string(),
            note: "see “What was exposed”".to_string(),
        },
        Headline {
            id: "headline-severity",
            label: "Highest severity".to_string(),
            value: worst.to_string(),
            shown: capitalised(worst),
            note: summary
                .max_severity
                .map_or("nothing sensitive found", severity_meaning)
                .to_string(),
        },
    ]));
}

fn scope_section(summary: &Summary, out: &mut Vec<Block>) {
    let c = &summary.counts;
    out.push(Block::Heading {
        id: "scope",
        text: "What was examined".to_string(),
    });
    let not_read = c.items.saturating_sub(c.scanned);
    out.push(Block::Table(Table {
        id: "scope-table",
        headers: vec!["".to_string(), "".to_string()],
        rows: vec![
            vec!["Folders scanned".to_string(), summary.roots.join("; ")],
            vec![
                "Scan started (UTC)".to_string(),
                timestamp(Some(summary.started)),
            ],
            vec![
                "Scan finished (UTC)".to_string(),
                timestamp(Some(summary.finished)),
            ],
            vec![
                "Files examined (including files inside archives and e-mails)".to_string(),
                thousands(c.items),
            ],
            vec![
                "Data read".to_string(),
                format!(
                    "{} ({} bytes)",
                    human_bytes(c.bytes_scanned),
                    thousands(c.bytes_scanned as usize)
                ),
            ],
            vec!["Read in full".to_string(), thousands(c.scanned)],
            vec!["Not read in full".to_string(), thousands(not_read)],
        ],
        numeric: Vec::new(),
    }));
    if not_read == 0 {
        out.push(Block::Para("Every file was read in full.".to_string()));
        return;
    }
    out.push(Block::Para(format!(
        "{} could not be read in full. What they hold is not in the figures below; treat them as possibly exposed too.",
        capitalised(&plural(not_read, "file", "files"))
    )));
    let by_status: Vec<Vec<String>> = [
        ("skipped", c.skipped),
        ("error", c.error),
        ("encrypted", c.encrypted),
        ("truncated", c.truncated),
    ]
    .into_iter()
    .filter(|(_, n)| *n > 0)
    .map(|(status, n)| {
        vec![
            status.to_string(),
            status_meaning(status).to_string(),
            thousands(n),
        ]
    })
    .collect();
    out.push(Block::Table(Table {
        id: "not-scanned-status",
        headers: vec!["Status".into(), "Meaning".into(), "Files".into()],
        rows: by_status,
        numeric: vec![2],
    }));
    const TOP: usize = 10;
    if !summary.not_scanned.is_empty() {
        out.push(Block::Subheading("Most common reasons".to_string()));
        out.push(Block::Table(Table {
            id: "not-scanned-reasons",
            headers: vec!["Status".into(), "Reason".into(), "Files".into()],
            rows: summary
                .not_scanned
                .iter()
                .take(TOP)
                .map(|r| vec![r.status.to_string(), r.reason.clone(), thousands(r.count)])
                .collect(),
            numeric: vec![2],
        }));
        if summary.not_scanned.len() > TOP {
            out.push(Block::Note(format!(
                "{} more reasons are not shown.",
                summary.not_scanned.len() - TOP
            )));
        }
        out.push(Block::Note(
            "files.csv in the report folder lists every file with its reason.".to_string(),
        ));
    }
}

fn exposure_section(summary: &Summary, model: &ImpactModel, out: &mut Vec<Block>) {
    out.push(Block::Heading {
        id: "exposure",
        text: "What was exposed".to_string(),
    });
    if summary.impact.is_empty() {
        out.push(Block::Para("Nothing sensitive was found.".to_string()));
        return;
    }
    out.push(Block::Para(
        "Each kind of data below was found in the files. “Different values” counts each card number, e-mail address or password once, however often it appears.".to_string(),
    ));
    out.push(Block::Chart(Chart {
        id: "chart-classes",
        title: "Different exposed values, by kind of data".to_string(),
        bars: summary
            .impact
            .iter()
            .map(|r| Bar {
                label: class_name(model, &r.data_class),
                value: r.unique_values,
                severity: Some(r.severity),
            })
            .collect(),
    }));
    out.push(Block::Table(Table {
        id: "classes-table",
        headers: [
            "Kind of data",
            "Severity",
            "Different values",
            "Times found",
            "Files",
            "Records",
            "People",
        ]
        .map(String::from)
        .to_vec(),
        rows: summary
            .impact
            .iter()
            .map(|r| {
                vec![
                    class_name(model, &r.data_class),
                    r.severity.to_string(),
                    thousands(r.unique_values),
                    thousands(r.findings),
                    thousands(r.files),
                    thousands(r.records),
                    thousands(r.individuals),
                ]
            })
            .collect(),
        numeric: vec![2, 3, 4, 5, 6],
    }));
    let levels = [
        Severity::Critical,
        Severity::High,
        Severity::Medium,
        Severity::Low,
        Severity::Info,
    ];
    out.push(Block::Chart(Chart {
        id: "chart-severity",
        title: "Different exposed values, by severity".to_string(),
        bars: levels
            .iter()
            .map(|&level| Bar {
                label: capitalised(level.as_str()),
                value: summary
                    .impact
                    .iter()
                    .filter(|r| r.severity == level)
                    .map(|r| r.unique_values)
                    .sum(),
                severity: Some(level),
            })
            .filter(|b| b.value > 0)
            .collect(),
    }));
    out.push(Block::Table(Table {
        id: "severity-scale",
        headers: vec!["Severity".into(), "What it means".into()],
        rows: levels
            .iter()
            .map(|&l| vec![capitalised(l.as_str()), capitalised(severity_meaning(l))])
            .collect(),
        numeric: Vec::new(),
    }));
}

fn group_total(rows: &[ImpactRow]) -> (usize, Option<Severity>) {
    (
        rows.iter().map(|r| r.unique_values).sum(),
        rows.iter().map(|r| r.severity).max(),
    )
}

fn groups_section(summary: &Summary, model: &ImpactModel, out: &mut Vec<Block>) {
    out.push(Block::Heading {
        id: "groups",
        text: "Where the exposure sits".to_string(),
    });
    if summary.groups.is_empty() {
        out.push(Block::Para(
            "No breakdown by folder is available for this scan.".to_string(),
        ));
        return;
    }
    out.push(Block::Para(
        "Exposed values by top-level folder. The colour shows the most serious data in the folder."
            .to_string(),
    ));
    let mut groups: Vec<_> = summary
        .groups
        .iter()
        .map(|g| (g, group_total(&g.rows)))
        .collect();
    // Largest first; equal totals by name, so the bytes do not depend on input order.
    groups.sort_by(|a, b| b.1.0.cmp(&a.1.0).then_with(|| a.0.group.cmp(&b.0.group)));
    out.push(Block::Chart(Chart {
        id: "chart-groups",
        title: "Different exposed values, by folder".to_string(),
        bars: groups
            .iter()
            .map(|(g, (total, worst))| Bar {
                label: g.group.clone(),
                value: *total,
                severity: *worst,
            })
            .collect(),
    }));
    out.push(Block::Table(Table {
        id: "groups-table",
        headers: [
            "Folder",
            "Most serious",
            "Kinds of data",
            "Different values",
        ]
        .map(String::from)
        .to_vec(),
        rows: groups
            .iter()
            .map(|(g, (total, worst))| {
                vec![
                    g.group.clone(),
                    worst.map_or("", Severity::as_str).to_string(),
                    g.rows
                        .iter()
                        .map(|r| class_name(model, &r.data_class).to_lowercase())
                        .collect::<Vec<_>>()
                        .join(", "),
                    thousands(*total),
                ]
            })
            .collect(),
        numeric: vec![3],
    }));
    out.push(Block::Note(
        "impact_by_group.csv in the report folder has the full figures per folder.".to_string(),
    ));
}

fn combinations_section(summary: &Summary, out: &mut Vec<Block>) {
    out.push(Block::Heading {
        id: "combinations",
        text: "Data that must be reported".to_string(),
    });
    let found: Vec<_> = summary
        .combinations
        .iter()
        .filter(|c| c.notification_trigger && (c.records > 0 || c.individuals > 0))
        .collect();
    if found.is_empty() {
        out.push(Block::Para(
            "No record in the files combines details in a way that the breach-notification laws in our knowledge base cover (for example a name together with a Social Security number). Other duties may still apply; they are in the plan below.".to_string(),
        ));
        return;
    }
    out.push(Block::Para(
        "Breach-notification laws usually apply when certain details appear together about one person, for example a name with a Social Security number. These combinations were found:".to_string(),
    ));
    out.push(Block::Table(Table {
        id: "combinations-table",
        headers: [
            "Combination",
            "People",
            "Records",
            "Files",
            "Why it matters",
        ]
        .map(String::from)
        .to_vec(),
        rows: found
            .iter()
            .map(|c| {
                vec![
                    c.name.clone(),
                    thousands(c.individuals),
                    thousands(c.records),
                    thousands(c.files),
                    c.explanation.clone().unwrap_or_default(),
                ]
            })
            .collect(),
        numeric: vec![1, 2, 3],
    }));
}

fn plan_section(plan: &[Action], out: &mut Vec<Block>) {
    out.push(Block::Heading {
        id: "plan",
        text: "What is being done".to_string(),
    });
    if plan.is_empty() {
        out.push(Block::Para(
            "No action is needed for what was found.".to_string(),
        ));
        return;
    }
    out.push(Block::Para(
        "The steps below respond to what was found, most serious and most urgent first. Where a law or a card scheme sets a deadline, it is given; deadlines count from when the breach was discovered.".to_string(),
    ));
    out.push(Block::Table(Table {
        id: "plan-table",
        headers: ["#", "Step", "Deadline", "Source"]
            .map(String::from)
            .to_vec(),
        rows: plan
            .iter()
            .map(|a| {
                vec![
                    a.priority.to_string(),
                    a.sentence(),
                    a.deadline.clone().unwrap_or_default(),
                    a.source.clone(),
                ]
            })
            .collect(),
        numeric: Vec::new(),
    }));
    out.push(Block::Note(
        "The obligations are facts with their sources, not legal advice: laws change, so confirm them with counsel before notifying. countermeasures.csv in the report folder holds this plan as a table.".to_string(),
    ));
}

fn meaning_section(summary: &Summary, model: &ImpactModel, out: &mut Vec<Block>) {
    if summary.impact.is_empty() {
        return;
    }
    out.push(Block::Heading {
        id: "meaning",
        text: "What each kind of data means".to_string(),
    });
    for row in &summary.impact {
        let entry = model.class.get(&row.data_class);
        out.push(Block::Subheading(format!(
            "{} (severity: {})",
            class_name(model, &row.data_class),
            row.severity
        )));
        if let Some(explanation) = entry.and_then(|e| e.explanation.clone()) {
            out.push(Block::Para(explanation));
        }
        let kinds: Vec<String> = summary
            .kinds
            .iter()
            .filter(|k| row.data_class == "credential" && k.unique_values > 0)
            .map(|k| {
                let kind = model.kind.get(&k.kind);
                let name = kind
                    .and_then(|e| e.name.clone())
                    .or_else(|| k.name.clone())
                    .unwrap_or_else(|| k.kind.replace('_', " "));
                let explanation = kind.and_then(|e| e.explanation.clone()).unwrap_or_default();
                format!(
                    "{name} ({} in {}): {explanation}",
                    thousands(k.unique_values),
                    plural(k.files, "file", "files")
                )
            })
            .collect();
        if !kinds.is_empty() {
            out.push(Block::Para("What was found:".to_string()));
            out.push(Block::Bullets(kinds));
        }
        if !row.potential_misuse.is_empty() {
            out.push(Block::Para("What a criminal could do with it:".to_string()));
            out.push(Block::Bullets(row.potential_misuse.clone()));
        }
        if !row.regulations.is_empty() {
            out.push(Block::Para("What the rules say:".to_string()));
            out.push(Block::Bullets(
                row.regulations
                    .iter()
                    .map(|r| format!("{} (source: {})", r.text, r.source))
                    .collect(),
            ));
        }
    }
}

fn about_section(summary: &Summary, out: &mut Vec<Block>) {
    out.push(Block::Heading {
        id: "about",
        text: "About this report".to_string(),
    });
    out.push(Block::Note(format!(
        "Scan status: {}. {} detection rules (rule set SHA-256 {}); fingerprint key id {}. Exposed values are never copied into the report: they are counted with keyed fingerprints. The figures come from the report folder: impact.csv, impact_by_group.csv, countermeasures.csv, files.csv and summary.json.",
        summary.status, summary.rules_count, summary.rule_set_hash, summary.key_id
    )));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bytes_read_as_people_say_them() {
        assert_eq!(human_bytes(1), "1 byte");
        assert_eq!(human_bytes(900), "900 bytes");
        assert_eq!(human_bytes(1536), "1.5 KB");
        assert_eq!(human_bytes(3 * 1024 * 1024 * 1024), "3.0 GB");
    }
}
