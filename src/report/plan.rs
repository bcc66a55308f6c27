//! The countermeasure plan: every action the impact model names for what was found, once, with
//! whom it concerns and how many, ordered by severity, deadline and reach.

use crate::classify::{CombinationRow, ImpactRow, KindRow};
use crate::rules::{ImpactEntry, ImpactModel, Severity, Source};

use super::Summary;

/// Columns of countermeasures.csv.
pub const PLAN_COLUMNS: &[&str] = &[
    "priority",
    "action",
    "affected",
    "data_classes",
    "deadline",
    "source",
];

/// What one action reaches: people (a point estimate) or distinct exposed values in files.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Reach {
    People {
        count: usize,
        audience: String,
    },
    Values {
        count: usize,
        unit: String,
        files: usize,
    },
}

/// One step of the plan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Action {
    /// 1 is done first.
    pub priority: usize,
    /// The action as impact.toml words it.
    pub text: String,
    /// Whom and how many, in words ("an estimated 1,240 people whose …", "14 cloud keys in 6 files").
    pub reach: String,
    /// The number in `reach`: people when people were counted, else distinct values.
    pub affected: usize,
    pub data_classes: Vec<String>,
    pub severity: Severity,
    pub deadline: Option<String>,
    pub source: String,
    /// A duty a law or contract sets (a regulation with a deadline), not only good practice.
    pub obligation: bool,
}

impl Action {
    /// The action with whom it concerns, as one sentence.
    pub fn sentence(&self) -> String {
        let text = self.text.trim_end_matches('.');
        if self.reach.is_empty() {
            format!("{text}.")
        } else {
            format!("{text}, for {}.", self.reach)
        }
    }

    fn cells(&self) -> Vec<String> {
        vec![
            self.priority.to_string(),
            self.sentence(),
            self.affected.to_string(),
            self.data_classes.join(";"),
            self.deadline.clone().unwrap_or_default(),
            self.source.clone(),
        ]
    }
}

/// Rows of countermeasures.csv, in plan order.
pub fn plan_rows(plan: &[Action]) -> Vec<Vec<String>> {
    plan.iter().map(Action::cells).collect()
}

/// An action before deduplication: one source statement reached through one row.
struct Item {
    key: String,
    text: String,
    reach: Reach,
    data_class: String,
    severity: Severity,
    deadline: Option<String>,
    source: String,
    obligation: bool,
}

/// The ordered, deduplicated plan for what `summary` found.
pub fn build_plan(summary: &Summary, model: &ImpactModel) -> Vec<Action> {
    let mut items = Vec::new();
    for row in &summary.kinds {
        kind_items(row, summary, model, &mut items);
    }
    for row in &summary.impact {
        class_items(row, &summary.kinds, model, &mut items);
    }
    for row in &summary.combinations {
        combination_items(row, model, &mut items);
    }
    let mut plan = merge(items);
    plan.sort_by(|a, b| {
        b.severity
            .cmp(&a.severity)
            .then_with(|| urgency_order(&a.deadline).cmp(&urgency_order(&b.deadline)))
            .then_with(|| b.affected.cmp(&a.affected))
            .then_with(|| a.text.cmp(&b.text))
            .then_with(|| a.source.cmp(&b.source))
    });
    for (index, action) in plan.iter_mut().enumerate() {
        action.priority = index + 1;
    }
    plan
}

/// Countermeasures of the row's class and detectors, and its regulations that set a deadline.
/// Those of a credential kind with its own row are left to that row, which counts them better.
fn class_items(row: &ImpactRow, kinds: &[KindRow], model: &ImpactModel, items: &mut Vec<Item>) {
    let class_entry = model.class.get(&row.data_class);
    for (source, obligation) in plan_statements(&row.countermeasures, &row.regulations) {
        if kinds.iter().any(|k| k.countermeasures.contains(source)) {
            continue;
        }
        // A detector's own entry words its statements; else the class does.
        let entry = model
            .detector
            .values()
            .find(|e| owns(e, source))
            .or(class_entry);
        let audience = source
            .audience
            .clone()
            .or_else(|| entry.and_then(|e| e.audience.clone()))
            .or_else(|| class_entry.and_then(|e| e.audience.clone()));
        let unit = source
            .unit
            .clone()
            .or_else(|| entry.and_then(|e| e.unit.clone()))
            .or_else(|| class_entry.and_then(|e| e.unit.clone()));
        let name = class_entry
            .and_then(|e| e.name.clone())
            .unwrap_or_else(|| row.data_class.clone());
        let reach = if row.individuals > 0 {
            Reach::People {
                count: row.individuals,
                audience: audience
                    .unwrap_or_else(|| format!("people with {} exposed", name.to_lowercase())),
            }
        } else {
            Reach::Values {
                count: row.unique_values,
                unit: unit.unwrap_or_else(|| format!("exposed {} values", name.to_lowercase())),
                files: row.files,
            }
        };
        items.push(item(
            source,
            obligation,
            reach,
            &row.data_class,
            row.severity,
        ));
    }
}

/// Countermeasures of one credential kind, counted in its distinct values and files.
fn kind_items(row: &KindRow, summary: &Summary, model: &ImpactModel, items: &mut Vec<Item>) {
    let entry = model.kind.get(&row.kind);
    for source in &row.countermeasures {
        let unit = source
            .unit
            .clone()
            .or_else(|| entry.and_then(|e| e.unit.clone()))
            .or_else(|| row.name.as_ref().map(|n| n.to_lowercase()))
            .unwrap_or_else(|| row.kind.replace('_', " "));
        // The class whose impact row carries the statement; credentials when none does.
        let class = summary
            .impact
            .iter()
            .find(|r| r.countermeasures.contains(source))
            .map_or("credential", |r| r.data_class.as_str());
        let reach = Reach::Values {
            count: row.unique_values,
            unit,
            files: row.files,
        };
        items.push(item(source, false, reach, class, row.severity));
    }
}

/// Countermeasures and deadline-bearing regulations of one combination, counted in people.
fn combination_items(row: &CombinationRow, model: &ImpactModel, items: &mut Vec<Item>) {
    if row.records == 0 && row.individuals == 0 {
        return;
    }
    let audience = model
        .combination
        .iter()
        .find(|c| c.id == row.id)
        .and_then(|c| c.audience.clone());
    let mut classes: Vec<String> = row
        .requires
        .iter()
        .flatten()
        .filter_map(|e| e.strip_prefix("class:"))
        .map(str::to_string)
        .collect();
    classes.dedup();
    if classes.is_empty() {
        classes.push(row.id.clone());
    }
    for (source, obligation) in plan_statements(&row.countermeasures, &row.regulations) {
        let reach = if row.individuals > 0 {
            Reach::People {
                count: row.individuals,
                audience: source
                    .audience
                    .clone()
                    .or_else(|| audience.clone())
                    .unwrap_or_else(|| {
                        format!("people whose records hold {}", row.name.to_lowercase())
                    }),
            }
        } else {
            Reach::Values {
                count: row.records,
                unit: format!("records holding {}", row.name.to_lowercase()),
                files: row.files,
            }
        };
        for class in &classes {
            items.push(item(source, obligation, reach.clone(), class, row.severity));
        }
    }
}

fn owns(entry: &ImpactEntry, source: &Source) -> bool {
    entry.countermeasures.contains(source) || entry.regulations.contains(source)
}

fn item(
    source: &Source,
    obligation: bool,
    reach: Reach,
    data_class: &str,
    severity: Severity,
) -> Item {
    // One duty cited by several classes (GDPR's 72 hours) is one step: the deadline names it.
    let key = match (&source.deadline, obligation) {
        (Some(deadline), true) => format!("deadline\u{0}{deadline}"),
        _ => format!("action\u{0}{}\u{0}{}", source.text, source.source),
    };
    Item {
        key,
        text: source.text.clone(),
        reach,
        data_class: data_class.to_string(),
        severity,
        deadline: source.deadline.clone(),
        source: source.source.clone(),
        obligation,
    }
}

/// One action per key, in first-seen order; reaches, classes and sources are united.
fn merge(items: Vec<Item>) -> Vec<Action> {
    struct Merged {
        key: String,
        text: String,
        reaches: Vec<Reach>,
        data_classes: Vec<String>,
        severity: Severity,
        deadline: Option<String>,
        sources: Vec<String>,
        obligation: bool,
    }
    let mut merged: Vec<Merged> = Vec::new();
    for item in items {
        let Some(m) = merged.iter_mut().find(|m| m.key == item.key) else {
            merged.push(Merged {
                key: item.key,
                text: item.text,
                reaches: vec![item.reach],
                data_classes: vec![item.data_class],
                severity: item.severity,
                deadline: item.deadline,
                sources: vec![item.source],
                obligation: item.obligation,
            });
            continue;
        };
        if item.severity > m.severity {
            // The worst exposure words the step.
            m.severity = item.severity;
            m.text = item.text;
        }
        if urgency_order(&item.deadline) < urgency_order(&m.deadline) {
            m.deadline = item.deadline;
        }
        if !m.reaches.contains(&item.reach) {
            m.reaches.push(item.reach);
        }
        if !m.data_classes.contains(&item.data_class) {
            m.data_classes.push(item.data_class);
        }
        // Sources are `;`-separated lists; unite their parts so none repeats.
        for part in item.source.split("; ") {
            if !m.sources.iter().any(|s| s.split("; ").any(|p| p == part)) {
                m.sources.push(part.to_string());
            }
        }
    }
    merged
        .into_iter()
        .map(|m| {
            let (affected, reach) = describe(&m.reaches);
            Action {
                priority: 0,
                text: m.text,
                reach,
                affected,
                data_classes: m.data_classes,
                severity: m.severity,
                deadline: m.deadline,
                source: m.sources.join("; "),
                obligation: m.obligation,
            }
        })
        .collect()
}

/// The statements that become steps: every countermeasure, and the obligations that set a
/// deadline (flagged `true`); other obligations are cited in impact.csv, not planned.
fn plan_statements<'a>(
    countermeasures: &'a [Source],
    regulations: &'a [Source],
) -> impl Iterator<Item = (&'a Source, bool)> {
    countermeasures.iter().map(|s| (s, false)).chain(
        regulations
            .iter()
            .filter(|s| s.deadline.is_some())
            .map(|s| (s, true)),
    )
}

/// The number and the words for a set of reaches. People counted through different classes
/// overlap (one person, several kinds of data), so the largest group stands for them all;
/// values of different credential kinds are different values, so they add up.
fn describe(reaches: &[Reach]) -> (usize, String) {
    let people = reaches
        .iter()
        .filter_map(|r| match r {
            Reach::People { count, audience } => Some((*count, audience)),
            Reach::Values { .. } => None,
        })
        .max_by(|a, b| a.0.cmp(&b.0).then_with(|| b.1.cmp(a.1)));
    if let Some((count, audience)) = people {
        let distinct: std::collections::BTreeSet<&String> = reaches
            .iter()
            .filter_map(|r| match r {
                Reach::People { audience, .. } => Some(audience),
                Reach::Values { .. } => None,
            })
            .collect();
        // One duty over several kinds of data concerns everyone they touch, not the largest
        // group's data alone.
        let audience = if distinct.len() > 1 {
            "people whose personal data was exposed"
        } else {
            audience.as_str()
        };
        let audience = match audience.strip_prefix("people ") {
            Some(rest) if count == 1 => format!("person {rest}"),
            _ => audience.to_string(),
        };
        let words = if reaches.len() > 1 {
            format!("at least {} {audience}", thousands(count))
        } else {
            format!("an estimated {} {audience}", thousands(count))
        };
        return (count, words);
    }
    let parts: Vec<String> = reaches
        .iter()
        .filter_map(|r| match r {
            Reach::Values { count, unit, files } => Some(format!(
                "{} {} found in {}",
                thousands(*count),
                unit_for(unit, *count),
                plural(*files, "file", "files")
            )),
            Reach::People { .. } => None,
        })
        .collect();
    let total = reaches
        .iter()
        .map(|r| match r {
            Reach::Values { count, .. } => *count,
            Reach::People { .. } => 0,
        })
        .sum();
    (total, join_and(&parts))
}

/// "a", "a and b", "a, b and c".
pub fn join_and(parts: &[String]) -> String {
    match parts {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}

/// `n` with thousands separators: 1,240.
pub fn thousands(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// "1 file", "6 files".
/// `unit` as written in impact.toml, `singular|plural` or one form for both, for `count`.
pub fn unit_for(unit: &str, count: usize) -> &str {
    match unit.split_once('|') {
        Some((one, _)) if count == 1 => one,
        Some((_, many)) => many,
        None => unit,
    }
}

pub fn plural(n: usize, one: &str, many: &str) -> String {
    if n == 1 {
        format!("1 {one}")
    } else {
        format!("{} {many}", thousands(n))
    }
}

/// Sort key for deadlines: the shortest time named in the words, in hours; steps without a
/// deadline come last, and words without a time just before them.
pub(crate) fn urgency_order(deadline: &Option<String>) -> (u8, u64) {
    match deadline {
        None => (2, 0),
        Some(words) => urgency_hours(words).map_or((1, 0), |h| (0, h)),
    }
}

/// The shortest time span named in `words`, in hours ("immediately" is 0; a business day
/// counts as 7/5 of a day, so 3 business days sort after 72 hours).
pub fn urgency_hours(words: &str) -> Option<u64> {
    let lower = words.to_lowercase();
    let mut best: Option<u64> = None;
    let mut keep = |hours: u64| best = Some(best.map_or(hours, |b| b.min(hours)));
    if lower.contains("immediately") {
        keep(0);
    }
    let tokens: Vec<&str> = lower
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|t| !t.is_empty())
        .collect();
    for (i, token) in tokens.iter().enumerate() {
        let Ok(n) = token.parse::<u64>() else {
            continue;
        };
        let unit = tokens.get(i + 1).copied().unwrap_or("");
        let next = tokens.get(i + 2).copied().unwrap_or("");
        let hours = match unit {
            "hour" | "hours" | "h" => Some(n),
            "business" | "working" if next.starts_with("day") => Some(n * 24 * 7 / 5),
            "calendar" if next.starts_with("day") => Some(n * 24),
            "day" | "days" => Some(n * 24),
            "week" | "weeks" => Some(n * 24 * 7),
            "month" | "months" => Some(n * 24 * 30),
            _ => None,
        };
        if let Some(hours) = hours {
            keep(hours);
        }
    }
    best
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::summary::tests::summary_fixture;

    #[test]
    fn thousands_and_plurals() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1240), "1,240");
        assert_eq!(thousands(1234567), "1,234,567");
        assert_eq!(plural(1, "file", "files"), "1 file");
        assert_eq!(unit_for("password|passwords", 1), "password");
        assert_eq!(unit_for("password|passwords", 2), "passwords");
        assert_eq!(unit_for("dates of birth", 1), "dates of birth");
        assert_eq!(plural(1200, "file", "files"), "1,200 files");
    }

    #[test]
    fn deadlines_sort_by_the_shortest_time_they_name() {
        assert_eq!(
            urgency_hours("72 hours to the supervisory authority"),
            Some(72)
        );
        assert_eq!(
            urgency_hours("immediately; account numbers within 10 business days"),
            Some(0)
        );
        assert_eq!(
            urgency_hours("incident report within 3 business days"),
            Some(100)
        );
        assert_eq!(urgency_hours("no later than 60 calendar days"), Some(1440));
        assert_eq!(urgency_hours("without undue delay"), None);
        assert!(
            urgency_order(&Some("72 hours".into()))
                < urgency_order(&Some("3 business days".into()))
        );
        assert!(urgency_order(&Some("without undue delay".into())) < urgency_order(&None));
    }

    #[test]
    fn exact_plan_for_a_hand_built_summary() {
        let (summary, model) = summary_fixture();
        let rows: Vec<String> = plan_rows(&build_plan(&summary, &model))
            .into_iter()
            .map(|r| r.join(" | "))
            .collect();
        let expected = [
            "1 | Rotate the cloud key, for 14 cloud keys found in 6 files. | 14 | credential |  | AWS IAM",
            "2 | Notify the acquiring bank and the card brands, for an estimated 3,112 people whose card was exposed. | 3112 | financial | immediately; account numbers within 10 business days | Visa WTDIC",
            "3 | GDPR Art. 33: notify the supervisory authority, for at least 3,112 people whose card was exposed. | 3112 | financial;contact | 72 hours to the supervisory authority | GDPR Art. 33 and 34; GDPR Art. 33",
            "4 | Offer credit monitoring, for at least 1,240 people whose SSN was exposed. | 1240 | government_id;personal | 60 days | State laws",
            "5 | Reissue the exposed cards, for an estimated 3,112 people whose card was exposed. | 3112 | financial |  | identitytheft.gov",
            "6 | Give credit-freeze instructions, for 40 Social Security numbers found in 2 files. | 40 | government_id |  | identitytheft.gov (SSN)",
            "7 | Enforce multi-factor authentication, for 12 passwords found in 3 files and 3 password hashes found in 1 file. | 15 | credential |  | https://www.cisa.gov/MFA",
            "8 | Warn people about phishing, for 500 e-mail addresses found in 9 files. | 500 | contact |  | DOJ Montana",
        ];
        assert_eq!(rows, expected);
    }
}
