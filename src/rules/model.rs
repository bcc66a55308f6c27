//! The data model of rule and impact files and how they are loaded and merged.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::error::Error;

/// The rule files compiled into the binary, by file name.
const BUILTIN_RULE_FILES: &[(&str, &str)] = &[
    (
        "personal.toml",
        include_str!("../../patterns/personal.toml"),
    ),
    (
        "credentials.toml",
        include_str!("../../patterns/credentials.toml"),
    ),
    ("files.toml", include_str!("../../patterns/files.toml")),
    (
        "identity.toml",
        include_str!("../../patterns/identity.toml"),
    ),
    ("health.toml", include_str!("../../patterns/health.toml")),
];
/// How the origin of a rule compiled into the binary begins (`builtin:credentials.toml`).
const BUILTIN_ORIGIN: &str = "builtin:";

const BUILTIN_IMPACT: (&str, &str) = ("impact.toml", include_str!("../../patterns/impact.toml"));
const BUILTIN_COLUMNS: (&str, &str) = ("columns.toml", include_str!("../../patterns/columns.toml"));

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Confidence {
    Low,
    Medium,
    High,
}

impl Confidence {
    pub fn as_str(self) -> &'static str {
        match self {
            Confidence::Low => "low",
            Confidence::Medium => "medium",
            Confidence::High => "high",
        }
    }
}

/// Severity levels, ordered so that `max` gives the worst.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Info,
    Low,
    Medium,
    High,
    Critical,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
            Severity::Critical => "critical",
        }
    }

    pub fn parse(text: &str) -> Option<Severity> {
        match text.to_ascii_lowercase().as_str() {
            "info" => Some(Severity::Info),
            "low" => Some(Severity::Low),
            "medium" => Some(Severity::Medium),
            "high" => Some(Severity::High),
            "critical" => Some(Severity::Critical),
            _ => None,
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Keywords near a match that raise confidence or are required.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ContextSpec {
    pub keywords: Vec<String>,
    #[serde(default = "default_window")]
    pub window: usize,
    #[serde(default)]
    pub required: bool,
    pub confidence: Option<Confidence>,
}

fn default_window() -> usize {
    40
}

/// A detector that looks at content (`[[rule]]`).
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct TextRule {
    pub id: String,
    pub name: Option<String>,
    pub data_class: String,
    pub kind: Option<String>,
    pub description: String,
    #[serde(default)]
    pub references: Vec<String>,
    pub pattern: Option<String>,
    pub matcher: Option<String>,
    #[serde(default)]
    pub keywords: Vec<String>,
    #[serde(default)]
    pub validators: Vec<String>,
    pub confidence: Confidence,
    #[serde(default)]
    pub keep_prefix: usize,
    /// How reports mask the value: card, ssn, email, tail, full or secret (default by matcher/class).
    pub mask: Option<String>,
    #[serde(default)]
    pub lines_after: usize,
    /// Anchored regex a whole trimmed cell must match to be this rule's value, in a column that
    /// `columns.toml` maps to this rule.
    pub cell_pattern: Option<String>,
    /// How the value is put in normal form before validation and fingerprinting: `person_name`,
    /// `lower`, `address`, `alnum_upper` (default: the value as matched).
    pub normalize: Option<String>,
    pub severity: Option<Severity>,
    pub context: Option<ContextSpec>,
    #[serde(default)]
    pub examples: Vec<String>,
    #[serde(default)]
    pub negative_examples: Vec<String>,
    /// Where the rule was loaded from, for error messages.
    #[serde(skip)]
    pub origin: String,
}

impl TextRule {
    /// Compiled into the binary, not read from `--patterns`.
    pub fn is_builtin(&self) -> bool {
        self.origin.starts_with(BUILTIN_ORIGIN)
    }
}

/// A detector that looks at a file's name or path (`[[file_rule]]`).
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct FileRule {
    pub id: String,
    pub name: Option<String>,
    pub data_class: String,
    pub kind: Option<String>,
    pub description: String,
    #[serde(default)]
    pub references: Vec<String>,
    #[serde(default)]
    pub names: Vec<String>,
    #[serde(default)]
    pub paths: Vec<String>,
    pub confidence: Option<Confidence>,
    pub severity: Option<Severity>,
    #[serde(default)]
    pub examples: Vec<String>,
    #[serde(default)]
    pub negative_examples: Vec<String>,
    #[serde(skip)]
    pub origin: String,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RuleFileModel {
    #[serde(default)]
    rule: Vec<TextRule>,
    #[serde(default)]
    file_rule: Vec<FileRule>,
}

/// A statement with the source that backs it.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Source {
    #[serde(alias = "action", alias = "obligation")]
    pub text: String,
    pub source: String,
    /// A deadline the source sets, in words (`60 days after discovery`, `72 hours`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deadline: Option<String>,
    /// Whom the statement concerns, counted in people, overriding the entry's `audience`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub audience: Option<String>,
    /// What the statement concerns, counted in distinct values, overriding the entry's `unit`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unit: Option<String>,
}

/// What exposure of one data class, credential kind or detector means.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ImpactEntry {
    pub name: Option<String>,
    pub severity: Option<Severity>,
    #[serde(default)]
    pub potential_misuse: Vec<String>,
    #[serde(default)]
    pub regulations: Vec<Source>,
    #[serde(default)]
    pub countermeasures: Vec<Source>,
    /// Plain-language explanation for reports.
    pub explanation: Option<String>,
    /// Whom its countermeasures concern when counted in people, plural, to follow a number
    /// ("people whose Social Security number was exposed").
    pub audience: Option<String>,
    /// What its countermeasures concern when counted in distinct values, plural ("cloud keys").
    pub unit: Option<String>,
}

/// `patterns/impact.toml`: classes, credential kinds and per-detector refinements.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ImpactModel {
    #[serde(default)]
    pub class: BTreeMap<String, ImpactEntry>,
    #[serde(default)]
    pub kind: BTreeMap<String, ImpactEntry>,
    #[serde(default)]
    pub detector: BTreeMap<String, ImpactEntry>,
    /// Data elements that together trigger more than each alone (name + SSN, card + code).
    #[serde(default)]
    pub combination: Vec<Combination>,
    /// Which elements identify a person, and how strongly.
    #[serde(default)]
    pub people: PeopleModel,
}

/// The roles data elements play when findings are grouped into records and people. Each entry
/// is a rule id or `kind:NAME`; an element in no list does not make or join records.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct PeopleModel {
    /// Identifiers one person has one of (SSN, passport): shared means the same person,
    /// different means different people.
    #[serde(default)]
    pub primary: Vec<String>,
    /// Identifiers that link records to one person (e-mail, phone, card, account, username).
    #[serde(default)]
    pub linking: Vec<String>,
    /// Attributes many people share (date of birth, address): they link only with the same name.
    #[serde(default)]
    pub quasi: Vec<String>,
    /// Elements that belong to a record but identify no one (expiry, security code, password).
    #[serde(default)]
    pub attributes: Vec<String>,
    /// The rule of full person names; given and family name rules are joined into it.
    pub name: Option<String>,
    pub given_name: Option<String>,
    pub family_name: Option<String>,
    /// Local parts of shared and system mailboxes (`noreply@`, `support@`): such addresses
    /// belong to no one person, so they make and join no records.
    #[serde(default)]
    pub role_mailboxes: Vec<String>,
}

/// Elements that, found in one record, make a notification trigger or a worse exposure.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Combination {
    pub id: String,
    pub name: String,
    /// Every group must be present; a group is met by any one of its elements. An element is a
    /// rule id, `kind:NAME` (a credential kind) or `class:NAME` (a data class).
    pub requires: Vec<Vec<String>>,
    pub severity: Severity,
    /// True when the combination is "personal information" that a breach law requires notice for.
    #[serde(default)]
    pub notification_trigger: bool,
    pub explanation: Option<String>,
    /// Whom its countermeasures concern, plural, to follow a number of people.
    pub audience: Option<String>,
    #[serde(default)]
    pub potential_misuse: Vec<String>,
    #[serde(default)]
    pub regulations: Vec<Source>,
    #[serde(default)]
    pub countermeasures: Vec<Source>,
}

impl ImpactModel {
    fn merge(&mut self, other: ImpactModel) {
        self.class.extend(other.class);
        self.kind.extend(other.kind);
        self.detector.extend(other.detector);
        for combination in other.combination {
            match self.combination.iter_mut().find(|c| c.id == combination.id) {
                Some(existing) => *existing = combination,
                None => self.combination.push(combination),
            }
        }
        let people = other.people;
        self.people.primary.extend(people.primary);
        self.people.linking.extend(people.linking);
        self.people.quasi.extend(people.quasi);
        self.people.attributes.extend(people.attributes);
        self.people.role_mailboxes.extend(people.role_mailboxes);
        self.people.name = people.name.or(self.people.name.take());
        self.people.given_name = people.given_name.or(self.people.given_name.take());
        self.people.family_name = people.family_name.or(self.people.family_name.take());
    }
}

/// `patterns/columns*.toml` as written: data elements (rule ids) and the headers that name them.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct ColumnFileModel {
    /// Entity words a header may start with that do not change what it holds (`customer_ssn`).
    #[serde(default)]
    prefixes: Vec<String>,
    #[serde(default)]
    element: BTreeMap<String, ColumnElement>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct ColumnElement {
    headers: Vec<String>,
}

/// Column headers mapped to the data element (rule id) their cells hold.
#[derive(Debug, Clone, Default)]
pub struct ColumnMap {
    /// Normalised header → (element, file it came from).
    headers: BTreeMap<String, (String, String)>,
    prefixes: Vec<String>,
    /// Headers named for two different elements: (header, first element, second element, file).
    pub conflicts: Vec<(String, String, String, String)>,
}

/// A header in the form `columns.toml` matches on: lower case, letters and digits only, so
/// `First Name`, `first_name`, `firstName` and `FIRST-NAME` are all `firstname`.
pub fn normalize_header(header: &str) -> String {
    header
        .chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect()
}

impl ColumnMap {
    fn add(&mut self, origin: &str, model: ColumnFileModel, replace: bool) {
        for prefix in model.prefixes {
            let prefix = normalize_header(&prefix);
            if !prefix.is_empty() && !self.prefixes.contains(&prefix) {
                self.prefixes.push(prefix);
            }
        }
        for (element, spec) in model.element {
            for header in spec.headers {
                let key = normalize_header(&header);
                match self.headers.get(&key) {
                    Some((existing, file))
                        if *existing != element && !(replace && file != origin) =>
                    {
                        self.conflicts.push((
                            key,
                            existing.clone(),
                            element.clone(),
                            origin.to_string(),
                        ));
                    }
                    _ => {
                        self.headers
                            .insert(key, (element.clone(), origin.to_string()));
                    }
                }
            }
        }
    }

    /// The element a column header names: exact after normalisation, else after one entity
    /// prefix (`customer_ssn` → `ssn`). Never a substring (`filename` is not `name`).
    pub fn element_for(&self, header: &str) -> Option<&str> {
        let key = normalize_header(header);
        if let Some((element, _)) = self.headers.get(&key) {
            return Some(element);
        }
        self.prefixes.iter().find_map(|prefix| {
            let rest = key.strip_prefix(prefix.as_str())?;
            self.headers.get(rest).map(|(element, _)| element.as_str())
        })
    }

    /// Every (normalised header, element, file).
    pub fn entries(&self) -> impl Iterator<Item = (&str, &str, &str)> {
        self.headers
            .iter()
            .map(|(h, (e, f))| (h.as_str(), e.as_str(), f.as_str()))
    }
}

/// Every rule and the impact model, ready to compile.
#[derive(Debug, Clone, Default)]
pub struct RuleSet {
    pub text_rules: Vec<TextRule>,
    pub file_rules: Vec<FileRule>,
    pub impact: ImpactModel,
    /// Column headers → data elements (`columns.toml`).
    pub columns: ColumnMap,
    /// SHA-256 over every loaded file's name and bytes, so a run records exactly which rules it used.
    pub hash: String,
    /// Ids defined twice within one source (the built-ins, or the override folder).
    pub duplicate_ids: Vec<(String, String)>,
}

impl RuleSet {
    pub fn text_rule(&self, id: &str) -> Option<&TextRule> {
        self.text_rules.iter().find(|rule| rule.id == id)
    }

    /// Severity of one finding of `rule`: its own, else its kind's, else its class's.
    pub fn severity_of(
        &self,
        data_class: &str,
        kind: Option<&str>,
        own: Option<Severity>,
    ) -> Severity {
        own.or_else(|| {
            kind.and_then(|k| self.impact.kind.get(k))
                .and_then(|e| e.severity)
        })
        .or_else(|| self.impact.class.get(data_class).and_then(|e| e.severity))
        .unwrap_or(Severity::Medium)
    }
}

struct Loader {
    set: RuleSet,
    hasher: Sha256,
}

impl Loader {
    fn new() -> Self {
        Loader {
            set: RuleSet::default(),
            hasher: Sha256::new(),
        }
    }

    fn add_rules(&mut self, origin: &str, text: &str, replace: bool) -> Result<(), Error> {
        self.hasher.update(origin.as_bytes());
        self.hasher.update([0]);
        self.hasher.update(text.as_bytes());
        let parsed: RuleFileModel = toml::from_str(text).map_err(|e| Error::RuleFile {
            file: origin.to_string(),
            message: e.to_string(),
        })?;
        let mut seen_here: Vec<String> = Vec::new();
        for mut rule in parsed.rule {
            rule.origin = origin.to_string();
            if seen_here.contains(&rule.id) {
                self.set
                    .duplicate_ids
                    .push((rule.id.clone(), origin.to_string()));
            }
            seen_here.push(rule.id.clone());
            self.place_text_rule(rule, replace);
        }
        for mut rule in parsed.file_rule {
            rule.origin = origin.to_string();
            if seen_here.contains(&rule.id) {
                self.set
                    .duplicate_ids
                    .push((rule.id.clone(), origin.to_string()));
            }
            seen_here.push(rule.id.clone());
            match self.set.file_rules.iter_mut().find(|r| r.id == rule.id) {
                Some(existing) if replace => *existing = rule,
                _ => self.set.file_rules.push(rule),
            }
        }
        Ok(())
    }

    fn place_text_rule(&mut self, rule: TextRule, replace: bool) {
        match self.set.text_rules.iter_mut().find(|r| r.id == rule.id) {
            Some(existing) if replace => *existing = rule,
            _ => self.set.text_rules.push(rule),
        }
    }

    fn add_impact(&mut self, origin: &str, text: &str) -> Result<(), Error> {
        self.hasher.update(origin.as_bytes());
        self.hasher.update([0]);
        self.hasher.update(text.as_bytes());
        let parsed: ImpactModel = toml::from_str(text).map_err(|e| Error::RuleFile {
            file: origin.to_string(),
            message: e.to_string(),
        })?;
        self.set.impact.merge(parsed);
        Ok(())
    }

    fn add_columns(&mut self, origin: &str, text: &str, replace: bool) -> Result<(), Error> {
        self.hasher.update(origin.as_bytes());
        self.hasher.update([0]);
        self.hasher.update(text.as_bytes());
        let parsed: ColumnFileModel = toml::from_str(text).map_err(|e| Error::RuleFile {
            file: origin.to_string(),
            message: e.to_string(),
        })?;
        self.set.columns.add(origin, parsed, replace);
        Ok(())
    }

    fn finish(mut self) -> RuleSet {
        self.set.hash = hex::encode(self.hasher.finalize());
        self.set
    }
}

/// The rules compiled into the binary.
pub fn load_builtin() -> Result<RuleSet, Error> {
    load_with_overrides(None)
}

/// The built-in rules, then every `.toml` file in `dir` (sorted by name): a rule there with a
/// built-in id replaces it; a file named `impact*.toml` extends or replaces impact entries, and
/// one named `columns*.toml` adds column headers (a header there may re-map a built-in one).
pub fn load_with_overrides(dir: Option<&Path>) -> Result<RuleSet, Error> {
    let mut loader = Loader::new();
    for (name, text) in BUILTIN_RULE_FILES {
        loader.add_rules(&format!("{BUILTIN_ORIGIN}{name}"), text, false)?;
    }
    loader.add_impact(
        &format!("{BUILTIN_ORIGIN}{}", BUILTIN_IMPACT.0),
        BUILTIN_IMPACT.1,
    )?;
    loader.add_columns(
        &format!("{BUILTIN_ORIGIN}{}", BUILTIN_COLUMNS.0),
        BUILTIN_COLUMNS.1,
        false,
    )?;
    if let Some(dir) = dir {
        for path in toml_files(dir)? {
            let text = std::fs::read_to_string(&path).map_err(|e| Error::RuleFile {
                file: path.display().to_string(),
                message: e.to_string(),
            })?;
            let origin = path.display().to_string();
            let file_name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
            if file_name.starts_with("impact") {
                loader.add_impact(&origin, &text)?;
            } else if file_name.starts_with("columns") {
                loader.add_columns(&origin, &text, true)?;
            } else {
                loader.add_rules(&origin, &text, true)?;
            }
        }
    }
    Ok(loader.finish())
}

fn toml_files(dir: &Path) -> Result<Vec<PathBuf>, Error> {
    let entries = std::fs::read_dir(dir).map_err(|e| Error::RuleFile {
        file: dir.display().to_string(),
        message: e.to_string(),
    })?;
    let mut files: Vec<PathBuf> = entries
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|path| path.is_file() && path.extension().is_some_and(|ext| ext == "toml"))
        .collect();
    files.sort();
    Ok(files)
}
