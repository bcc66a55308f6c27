//! The rule linter behind `breachscope rules check` and the tests: ids, references, classes,
//! patterns that compile, every example and negative example run through the engine, and the
//! column map (`columns.toml`) against the rule ids.

use std::collections::BTreeMap;

use crate::detect::paths::CompiledFileRule;
use crate::detect::{ChunkInput, Columns, Engine, Scratch};
use crate::rules::RuleSet;

/// One thing wrong with one rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleProblem {
    pub rule: String,
    pub file: String,
    pub message: String,
}

/// What the linter checked and what it found.
#[derive(Debug, Clone, Default)]
pub struct LintReport {
    pub rules_checked: usize,
    pub examples_run: usize,
    pub problems: Vec<RuleProblem>,
}

impl LintReport {
    pub fn ok(&self) -> bool {
        self.problems.is_empty()
    }

    fn problem(&mut self, rule: &str, file: &str, message: impl Into<String>) {
        self.problems.push(RuleProblem {
            rule: rule.to_string(),
            file: file.to_string(),
            message: message.into(),
        });
    }
}

/// Number of findings a single-rule engine reports on `text`. A text of several lines whose
/// first line looks like a header row is scanned as a delimited file.
pub fn example_matches(engine: &Engine, text: &str) -> usize {
    let bytes = text.as_bytes();
    let columns = bytes
        .iter()
        .position(|&b| b == b'\n')
        .and_then(|end| Columns::from_header_line(&bytes[..end]));
    let mut scratch = Scratch::default();
    let mut out = Vec::new();
    engine.scan(
        ChunkInput {
            text: bytes,
            columns: columns.as_ref(),
            report_limit: bytes.len(),
        },
        &mut scratch,
        &mut out,
    );
    out.len()
}

fn snake_case(id: &str) -> bool {
    !id.is_empty()
        && id
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
        && id.as_bytes()[0].is_ascii_lowercase()
}

/// Lints every rule of `set`.
pub fn lint(set: &RuleSet) -> LintReport {
    let mut report = LintReport::default();
    for (id, file) in &set.duplicate_ids {
        report.problem(id, file, "duplicate rule id");
    }
    let mut ids: BTreeMap<&str, &str> = BTreeMap::new();
    for (id, origin) in set
        .text_rules
        .iter()
        .map(|r| (r.id.as_str(), r.origin.as_str()))
        .chain(
            set.file_rules
                .iter()
                .map(|r| (r.id.as_str(), r.origin.as_str())),
        )
    {
        if ids.insert(id, origin).is_some() {
            report.problem(
                id,
                origin,
                "rule id used by both a content rule and a file rule",
            );
        }
    }
    for rule in &set.text_rules {
        report.rules_checked += 1;
        let problem_here = |report: &mut LintReport, message: String| {
            report.problem(&rule.id, &rule.origin, message)
        };
        if !snake_case(&rule.id) {
            problem_here(&mut report, "id must be snake_case".into());
        }
        common_checks(
            &mut report,
            &rule.id,
            &rule.origin,
            &rule.data_class,
            rule.kind.as_deref(),
            set,
            &rule.references,
            rule.examples.len(),
            rule.negative_examples.len(),
        );
        let engine = match Engine::single(set, rule) {
            Ok(engine) => engine,
            Err(e) => {
                problem_here(&mut report, e.to_string());
                continue;
            }
        };
        for example in &rule.examples {
            report.examples_run += 1;
            if example_matches(&engine, example) == 0 {
                problem_here(&mut report, format!("example not found: {example:?}"));
            }
        }
        for negative in &rule.negative_examples {
            report.examples_run += 1;
            if example_matches(&engine, negative) > 0 {
                problem_here(
                    &mut report,
                    format!("negative example matched: {negative:?}"),
                );
            }
        }
    }
    columns_checks(&mut report, set);
    for rule in &set.file_rules {
        report.rules_checked += 1;
        if !snake_case(&rule.id) {
            report.problem(&rule.id, &rule.origin, "id must be snake_case");
        }
        common_checks(
            &mut report,
            &rule.id,
            &rule.origin,
            &rule.data_class,
            rule.kind.as_deref(),
            set,
            &rule.references,
            rule.examples.len(),
            rule.negative_examples.len(),
        );
        let compiled = match CompiledFileRule::compile(rule, set) {
            Ok(compiled) => compiled,
            Err(e) => {
                report.problem(&rule.id, &rule.origin, e.to_string());
                continue;
            }
        };
        for example in &rule.examples {
            report.examples_run += 1;
            if !compiled.matches(example) {
                report.problem(
                    &rule.id,
                    &rule.origin,
                    format!("example path not matched: {example:?}"),
                );
            }
        }
        for negative in &rule.negative_examples {
            report.examples_run += 1;
            if compiled.matches(negative) {
                report.problem(
                    &rule.id,
                    &rule.origin,
                    format!("negative example path matched: {negative:?}"),
                );
            }
        }
    }
    lint_people(set, &mut report);
    report
}

/// `columns.toml`: every element is a content rule, no header names two elements.
fn columns_checks(report: &mut LintReport, set: &RuleSet) {
    for (header, element, file) in set.columns.entries() {
        if set.text_rule(element).is_none() {
            report.problem(
                element,
                file,
                format!(
                    "column header `{header}` maps to `{element}`, which is no content rule id"
                ),
            );
        }
    }
    for (header, first, second, file) in &set.columns.conflicts {
        report.problem(
            second,
            file,
            format!("column header `{header}` maps to both `{first}` and `{second}`"),
        );
    }
}

/// Every element a combination or the people model names must exist: a rule id, `kind:NAME`
/// of some rule, or `class:NAME` of impact.toml; every combination and obligation has a source.
fn lint_people(set: &RuleSet, report: &mut LintReport) {
    let rule_ids: Vec<&str> = set
        .text_rules
        .iter()
        .map(|r| r.id.as_str())
        .chain(set.file_rules.iter().map(|r| r.id.as_str()))
        .collect();
    let kinds: Vec<&str> = set
        .text_rules
        .iter()
        .filter_map(|r| r.kind.as_deref())
        .chain(set.file_rules.iter().filter_map(|r| r.kind.as_deref()))
        .collect();
    let exists = |element: &str| match element.split_once(':') {
        Some(("kind", kind)) => kinds.contains(&kind),
        Some(("class", class)) => set.impact.class.contains_key(class),
        _ => rule_ids.contains(&element),
    };
    let origin = "impact.toml";
    let limit = crate::people::resolve::MAX_COMBINATIONS;
    if set.impact.combination.len() > limit {
        report.problem(
            "[[combination]]",
            origin,
            format!(
                "{} combinations; at most {limit} are evaluated",
                set.impact.combination.len()
            ),
        );
    }
    let mut seen = Vec::new();
    for combination in &set.impact.combination {
        let id = format!("combination {}", combination.id);
        if seen.contains(&combination.id) {
            report.problem(&id, origin, "combination id used twice");
        }
        seen.push(combination.id.clone());
        if combination.requires.len() < 2 || combination.requires.iter().any(Vec::is_empty) {
            report.problem(
                &id,
                origin,
                "requires at least two non-empty element groups",
            );
        }
        for element in combination.requires.iter().flatten() {
            if !exists(element) {
                report.problem(&id, origin, format!("names unknown element `{element}`"));
            }
        }
        if combination.regulations.is_empty() {
            report.problem(
                &id,
                origin,
                "names no regulation or contract with its source",
            );
        }
        for cited in combination
            .regulations
            .iter()
            .chain(&combination.countermeasures)
        {
            if cited.source.trim().is_empty() {
                report.problem(&id, origin, format!("`{}` has no source", cited.text));
            }
        }
    }
    for kind in set.impact.kind.keys() {
        if set.impact.class.contains_key(kind) {
            // Tallies count kinds and classes per file in one set of names.
            report.problem(
                &format!("kind {kind}"),
                origin,
                "a credential kind may not share its name with a data class",
            );
        }
    }
    let people = &set.impact.people;
    let named = people
        .primary
        .iter()
        .chain(&people.linking)
        .chain(&people.quasi)
        .chain(&people.attributes)
        .chain(&people.name)
        .chain(&people.given_name)
        .chain(&people.family_name);
    for element in named {
        if !exists(element) {
            report.problem(
                "[people]",
                origin,
                format!("names unknown element `{element}`"),
            );
        }
    }
}

#[allow(clippy::too_many_arguments)]
fn common_checks(
    report: &mut LintReport,
    id: &str,
    origin: &str,
    data_class: &str,
    kind: Option<&str>,
    set: &RuleSet,
    references: &[String],
    examples: usize,
    negatives: usize,
) {
    if !set.impact.class.contains_key(data_class) {
        report.problem(
            id,
            origin,
            format!("data class `{data_class}` has no [class.{data_class}] in impact.toml"),
        );
    }
    if let Some(kind) = kind
        && !set.impact.kind.contains_key(kind)
    {
        report.problem(
            id,
            origin,
            format!("kind `{kind}` has no [kind.{kind}] in impact.toml"),
        );
    }
    if data_class == "credential" && references.is_empty() {
        report.problem(
            id,
            origin,
            "credential rules cite the vendor's token format in `references`",
        );
    }
    if examples < 3 {
        report.problem(
            id,
            origin,
            format!("needs at least 3 examples, has {examples}"),
        );
    }
    if negatives < 3 {
        report.problem(
            id,
            origin,
            format!("needs at least 3 negative examples, has {negatives}"),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::load_with_overrides;

    fn overrides(files: &[(&str, &str)]) -> RuleSet {
        let dir = std::env::temp_dir().join(format!(
            "breachscope-lint-{}-{}",
            std::process::id(),
            files.len()
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("temp dir");
        for (name, text) in files {
            std::fs::write(dir.join(name), text).expect("write");
        }
        let set = load_with_overrides(Some(&dir)).expect("loads");
        let _ = std::fs::remove_dir_all(&dir);
        set
    }

    #[test]
    fn column_map_names_rules_and_one_element_per_header() {
        let set = overrides(&[(
            "columns-extra.toml",
            "[element.no_such_rule]\nheaders = [\"Widget Code\"]\n\n[element.us_ssn]\nheaders = [\"tax_ref\", \"Tax-Ref\"]\n",
        )]);
        let problems: Vec<String> = lint(&set)
            .problems
            .into_iter()
            .filter(|p| p.message.contains("column header"))
            .map(|p| p.message)
            .collect();
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert!(problems[0].contains("widgetcode"), "{problems:?}");
        assert_eq!(set.columns.element_for("TAX_REF"), Some("us_ssn"));
        // An override file may re-map a built-in header; one file may not map it twice.
        let set = overrides(&[(
            "columns-x.toml",
            "[element.phone]\nheaders = [\"ssn\"]\n\n[element.email]\nheaders = [\"ssn\"]\n",
        )]);
        assert_eq!(set.columns.conflicts.len(), 1);
    }

    #[test]
    fn headers_match_whole_after_one_prefix() {
        let set = crate::rules::load_builtin().expect("builtin");
        let map = &set.columns;
        for (header, element) in [
            ("First Name", "given_name"),
            ("first_name", "given_name"),
            ("firstName", "given_name"),
            ("FIRST-NAME", "given_name"),
            ("customer_ssn", "us_ssn"),
            ("Cardholder Name", "person_name"),
            ("user_name", "username"),
            ("home_phone", "phone"),
            ("Vorname", "given_name"),
        ] {
            assert_eq!(map.element_for(header), Some(element), "{header}");
        }
        for header in [
            "filename",
            "hostname",
            "user_id",
            "customer_id",
            "surname_2",
        ] {
            assert_eq!(map.element_for(header), None, "{header}");
        }
    }
}
