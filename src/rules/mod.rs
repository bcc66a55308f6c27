//! Rule files: the serde model of `patterns/*.toml`, loading (built in plus `--patterns DIR`) and the linter.

mod lint;
mod model;

pub use lint::{LintReport, RuleProblem, lint};
pub use model::{
    ColumnMap, Combination, Confidence, ContextSpec, FileRule, ImpactEntry, ImpactModel,
    PeopleModel, RuleSet, Severity, Source, TextRule, load_builtin, load_with_overrides,
    normalize_header,
};
