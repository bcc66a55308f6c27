//! File rules: sensitive files recognised by their name or path (key files, keystores,
//! password databases, registry hives), whatever their content.

use globset::{GlobBuilder, GlobSet, GlobSetBuilder};

use crate::error::Error;
use crate::rules::{Confidence, FileRule, RuleSet};

/// One compiled file rule.
#[derive(Debug, Clone)]
pub struct CompiledFileRule {
    pub id: String,
    pub data_class: String,
    pub kind: Option<String>,
    pub confidence: Confidence,
    pub severity: crate::rules::Severity,
    names: GlobSet,
    paths: GlobSet,
}

fn globs(rule: &FileRule, patterns: &[String]) -> Result<GlobSet, Error> {
    let mut builder = GlobSetBuilder::new();
    for pattern in patterns {
        let glob = GlobBuilder::new(pattern)
            .case_insensitive(true)
            .literal_separator(false)
            .build()
            .map_err(|e| Error::Rule {
                rule: rule.id.clone(),
                file: rule.origin.clone(),
                message: format!("glob `{pattern}`: {e}"),
            })?;
        builder.add(glob);
    }
    builder.build().map_err(|e| Error::Rule {
        rule: rule.id.clone(),
        file: rule.origin.clone(),
        message: e.to_string(),
    })
}

impl CompiledFileRule {
    pub fn compile(rule: &FileRule, set: &RuleSet) -> Result<Self, Error> {
        if rule.names.is_empty() && rule.paths.is_empty() {
            return Err(Error::Rule {
                rule: rule.id.clone(),
                file: rule.origin.clone(),
                message: "give `names` or `paths`".into(),
            });
        }
        Ok(CompiledFileRule {
            id: rule.id.clone(),
            data_class: rule.data_class.clone(),
            kind: rule.kind.clone(),
            confidence: rule.confidence.unwrap_or(Confidence::High),
            severity: set.severity_of(&rule.data_class, rule.kind.as_deref(), rule.severity),
            names: globs(rule, &rule.names)?,
            paths: globs(rule, &rule.paths)?,
        })
    }

    /// True when the report path `path` (`/`-separated, archive members after `!`) matches.
    pub fn matches(&self, path: &str) -> bool {
        let inner = path.rsplit('!').next().unwrap_or(path);
        let name = inner.rsplit('/').next().unwrap_or(inner);
        self.names.is_match(name) || self.paths.is_match(inner)
    }
}

/// Every file rule of a rule set.
#[derive(Debug, Clone, Default)]
pub struct FileRules {
    pub rules: Vec<CompiledFileRule>,
}

impl FileRules {
    pub fn new(set: &RuleSet) -> Result<Self, Error> {
        let rules = set
            .file_rules
            .iter()
            .map(|r| CompiledFileRule::compile(r, set))
            .collect::<Result<_, _>>()?;
        Ok(FileRules { rules })
    }

    pub fn matching<'a>(
        &'a self,
        path: &'a str,
    ) -> impl Iterator<Item = &'a CompiledFileRule> + 'a {
        self.rules.iter().filter(move |r| r.matches(path))
    }
}
