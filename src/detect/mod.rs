//! The detector engine: one multi-literal prefilter pass, then each rule's own matcher on the
//! lines around its keywords, then validators and context scoring.
//!
//! Rules without keywords (the built-in number and address matchers) run over every chunk;
//! they are written by hand to be cheap. Rules with keywords, and rules that need a context
//! keyword, run only where the prefilter found one, or over a whole delimited file when a column
//! header names them. In a delimited file, a rule with a `cell_pattern` also takes every whole
//! cell of a column that `columns.toml` maps to it; which rule each column means is worked out
//! once per header row (`ColumnPlan`), not per cell.

pub mod builtin;
pub mod context;
pub mod keywords;
pub mod paths;
pub mod secrets;
pub mod validators;

use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};

use aho_corasick::{AhoCorasick, AhoCorasickBuilder};
use keywords::{KeywordError, KeywordFinder, KeywordHit, SpareHits};
use rayon::prelude::*;
use regex::bytes::{CaptureLocations, Regex, RegexBuilder};

use crate::error::Error;
use crate::people::names::normalize_person_name;
use crate::rules::{ColumnMap, Confidence, RuleSet, Severity, TextRule};
use builtin::{Builtin, Candidate};
pub use context::Columns;

/// How a finding's value is masked in reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MaskStyle {
    /// Last four digits, with the brand label.
    Card,
    /// `***-**-1234`.
    Ssn,
    /// Every character but the last four.
    Tail,
    /// `***@domain`.
    Email,
    /// Nothing visible.
    Full,
    /// Vendor prefix of this many characters and, for long values, the last four.
    Secret { keep_prefix: usize },
    /// Initials only: `J. R.`.
    Name,
}

/// How a rule puts its value in normal form (`normalize = "..."`) before validation and
/// fingerprinting, so one value written two ways counts once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Normalizer {
    /// The matched bytes as they are.
    Verbatim,
    /// `crate::people::names::normalize_person_name`; a value it rejects is no finding.
    PersonName,
    /// Lower case, spaces collapsed.
    Lower,
    /// `validators::normalize_address`.
    Address,
    /// ASCII letters and digits only, upper case (`1EG4-TE5-MK73` → `1EG4TE5MK73`).
    AlnumUpper,
    /// ASCII digits only (a label matched with the value falls away).
    Digits,
    /// `MM/YY`, `MM-YYYY`, `YYYY-MM` → `YYYY-MM`.
    CardExpiry,
}

impl Normalizer {
    pub const NAMES: &[&str] = &[
        "person_name",
        "lower",
        "address",
        "alnum_upper",
        "digits",
        "card_expiry",
    ];

    fn parse(name: &str) -> Option<Normalizer> {
        Some(match name {
            "person_name" => Normalizer::PersonName,
            "lower" => Normalizer::Lower,
            "address" => Normalizer::Address,
            "alnum_upper" => Normalizer::AlnumUpper,
            "digits" => Normalizer::Digits,
            "card_expiry" => Normalizer::CardExpiry,
            _ => return None,
        })
    }

    /// The normal form of `raw`, or None when it has none (a single word is no full name).
    pub fn apply(self, raw: &[u8]) -> Option<Vec<u8>> {
        let value = match self {
            Normalizer::Verbatim => raw.to_vec(),
            Normalizer::PersonName => normalize_person_name(raw)?,
            Normalizer::Lower if raw.is_ascii() => lower_words_ascii(raw),
            Normalizer::Lower => unicode_lower_words(raw),
            Normalizer::Address => validators::normalize_address(raw),
            Normalizer::AlnumUpper => raw
                .iter()
                .filter(|b| b.is_ascii_alphanumeric())
                .map(u8::to_ascii_uppercase)
                .collect(),
            Normalizer::Digits => raw.iter().copied().filter(u8::is_ascii_digit).collect(),
            Normalizer::CardExpiry => validators::normalize_card_expiry(raw)?,
        };
        (!value.is_empty()).then_some(value)
    }
}

/// `Normalizer::Lower` of ASCII text in one allocation (name-part columns run it on every
/// row): words split where `char::is_whitespace` splits them, lower-cased, joined by one space.
fn lower_words_ascii(raw: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(raw.len());
    for word in raw
        .split(|&b| validators::is_ascii_text_space(b))
        .filter(|word| !word.is_empty())
    {
        if !out.is_empty() {
            out.push(b' ');
        }
        out.extend(word.iter().map(u8::to_ascii_lowercase));
    }
    out
}

/// `Normalizer::Lower` of any text: the reference the ASCII form must equal.
fn unicode_lower_words(raw: &[u8]) -> Vec<u8> {
    let text = String::from_utf8_lossy(raw).to_lowercase();
    text.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .into_bytes()
}

/// A validator named by a rule.
#[derive(Debug, Clone)]
enum Validator {
    Luhn,
    CardIssuer,
    Ssa,
    Iban,
    Aba,
    /// Dates are checked by the matcher itself; the name documents it.
    Date,
    Itin,
    Npi,
    Mbi,
    /// `min_digits:N`: at least N ASCII digits.
    MinDigits(usize),
    /// `not_value:a,b`: the whole value is none of these (case-insensitive).
    NotValue(Vec<Vec<u8>>),
    /// `no_word:a,b`: no word of the value is one of these (case-insensitive).
    NoWord(Vec<Vec<u8>>),
    /// The value's digits are not all one digit or a run (`1111111`, `1234567`).
    NotFiller,
    /// The value is not a payment card number (Luhn and an issuer range).
    NotCard,
    Secret {
        name: String,
        arg: Option<String>,
    },
}

/// Names of the validators this module implements (secrets.rs has its own list).
pub const PERSONAL_VALIDATORS: &[&str] = &[
    "luhn",
    "card_issuer",
    "ssa",
    "mod97_iban",
    "aba_routing",
    "date",
    "itin",
    "npi",
    "mbi",
    "min_digits",
    "not_value",
    "no_word",
    "not_filler",
    "not_card",
];

/// The lower-cased, trimmed items of a comma-separated validator argument.
fn word_list(arg: Option<&str>) -> Option<Vec<Vec<u8>>> {
    let list: Vec<Vec<u8>> = arg?
        .split(',')
        .map(|w| w.trim().to_lowercase().into_bytes())
        .filter(|w| !w.is_empty())
        .collect();
    (!list.is_empty()).then_some(list)
}

impl Validator {
    fn parse(spec: &str) -> Option<Validator> {
        let (name, arg) = match spec.split_once(':') {
            Some((n, a)) => (n.trim(), Some(a.trim().to_string())),
            None => (spec.trim(), None),
        };
        Some(match name {
            "luhn" => Validator::Luhn,
            "card_issuer" => Validator::CardIssuer,
            "ssa" => Validator::Ssa,
            "mod97_iban" => Validator::Iban,
            "aba_routing" => Validator::Aba,
            "date" => Validator::Date,
            "itin" => Validator::Itin,
            "npi" => Validator::Npi,
            "mbi" => Validator::Mbi,
            "min_digits" => Validator::MinDigits(arg.as_deref()?.parse().ok()?),
            "not_value" => Validator::NotValue(word_list(arg.as_deref())?),
            "no_word" => Validator::NoWord(word_list(arg.as_deref())?),
            "not_filler" => Validator::NotFiller,
            "not_card" => Validator::NotCard,
            _ if secrets::VALIDATORS.contains(&name) => Validator::Secret {
                name: name.to_string(),
                arg,
            },
            _ => return None,
        })
    }

    /// Whether `check` reads the value's line; the others are given an empty one, since finding
    /// the line's ends costs a search each way for every candidate.
    fn reads_line(&self) -> bool {
        matches!(self, Validator::Secret { .. })
    }

    fn check(&self, value: &[u8], line: &[u8]) -> bool {
        match self {
            Validator::Luhn => validators::luhn(value),
            Validator::CardIssuer => validators::card_brand(value).is_some(),
            Validator::Ssa => validators::ssa_valid(value),
            Validator::Iban => validators::iban_valid(value),
            Validator::Aba => validators::aba_valid(value),
            Validator::Date => true,
            Validator::Itin => validators::itin_valid(value),
            Validator::Npi => validators::npi_valid(value),
            Validator::Mbi => validators::mbi_valid(value),
            Validator::MinDigits(n) => value.iter().filter(|b| b.is_ascii_digit()).count() >= *n,
            Validator::NotValue(list) => !list.iter().any(|w| value.eq_ignore_ascii_case(w)),
            Validator::NoWord(list) => !value
                .split(|b| b.is_ascii_whitespace() || b"-.,'".contains(b))
                .any(|word| list.iter().any(|w| word.eq_ignore_ascii_case(w))),
            Validator::NotFiller => {
                let digits: Vec<u8> = value.iter().copied().filter(u8::is_ascii_digit).collect();
                digits.len() < 3 || !validators::is_filler_digits(&digits)
            }
            Validator::NotCard => {
                !(validators::luhn(value) && validators::card_brand(value).is_some())
            }
            Validator::Secret { name, arg } => {
                secrets::validate(name, arg.as_deref(), value, line).unwrap_or(false)
            }
        }
    }
}

#[derive(Debug, Clone)]
enum Matcher {
    Builtin(Builtin),
    Pattern(RuleRegex),
}

/// A rule's regex, compiled the first time a chunk needs it. Compiling the regexes is most of
/// start-up, and a small share wakes few rules. Only built-in rules wait: the test suite compiles
/// every one of them (`rules check` builds each rule's `Engine::single`, which compiles now), so
/// the only failure left to compiling late (the size limit) cannot happen to them. A rule from
/// `--patterns` compiles when the engine is built, so its errors stop the scan before it starts.
#[derive(Debug, Clone)]
struct RuleRegex {
    pattern: String,
    compiled: OnceLock<Option<CompiledRegex>>,
}

#[derive(Debug, Clone)]
struct CompiledRegex {
    regex: Regex,
    /// The `value` group: the part of the match that is the finding.
    value_group: Option<usize>,
}

impl RuleRegex {
    /// Checks `pattern`'s syntax now; compiles it now only when `eager`.
    fn new(pattern: &str, eager: bool) -> Result<RuleRegex, String> {
        let compiled = OnceLock::new();
        if eager {
            let _ = compiled.set(Some(CompiledRegex::build(pattern)?));
        } else {
            // The parser the regex crate runs first, with the same settings: a pattern that
            // parses here fails to compile only by outgrowing the size limit.
            regex_syntax::ParserBuilder::new()
                .unicode(false)
                .utf8(false)
                .build()
                .parse(pattern)
                .map_err(|e| e.to_string())?;
        }
        Ok(RuleRegex {
            pattern: pattern.to_string(),
            compiled,
        })
    }

    fn get(&self) -> Option<&CompiledRegex> {
        self.compiled
            .get_or_init(|| match CompiledRegex::build(&self.pattern) {
                Ok(compiled) => Some(compiled),
                Err(e) => {
                    // Unreachable for the built-in rules (see above), so this is no silent
                    // skip in practice; said loudly in case a build ever gets here.
                    eprintln!(
                        "breachscope: a built-in rule regex does not compile, rule not run: {e}"
                    );
                    None
                }
            })
            .as_ref()
    }
}

impl CompiledRegex {
    fn build(pattern: &str) -> Result<CompiledRegex, String> {
        let regex = RegexBuilder::new(pattern)
            .unicode(false)
            .size_limit(1 << 22)
            .build()
            .map_err(|e| e.to_string())?;
        let value_group = regex.capture_names().position(|n| n == Some("value"));
        Ok(CompiledRegex { regex, value_group })
    }
}

#[derive(Debug, Clone)]
struct CompiledContext {
    keywords: Vec<Vec<u8>>,
    /// All keywords in one automaton: most candidates have none nearby, and one pass says so.
    finder: Option<AhoCorasick>,
    window: usize,
    required: bool,
    confidence: Confidence,
}

/// When an engine compiles its rules' regexes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Compile {
    Now,
    /// Built-in rules at first use (see `RuleRegex`); any other rule now.
    WhenNeeded,
}

/// One rule, ready to run.
#[derive(Debug, Clone)]
pub struct CompiledRule {
    pub id: String,
    pub data_class: String,
    pub kind: Option<String>,
    pub severity: Severity,
    pub mask: MaskStyle,
    confidence: Confidence,
    matcher: Matcher,
    validators: Vec<Validator>,
    context: Option<CompiledContext>,
    /// Anchored regex for whole cells of columns mapped to this rule.
    cell: Option<RuleRegex>,
    normalizer: Normalizer,
    lines_after: usize,
    /// Runs only around prefilter hits (its keywords, or its required context keywords).
    triggered: bool,
}

/// A validated finding inside a chunk, before fingerprinting.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Match {
    pub rule: usize,
    pub start: usize,
    pub end: usize,
    pub normalized: Vec<u8>,
    pub confidence: Confidence,
    pub label: Option<&'static str>,
}

/// What each column of one header row means to one engine, worked out once per header row.
#[derive(Debug, Default)]
struct ColumnPlan {
    engine: u64,
    delimiter: u8,
    headers: Vec<String>,
    /// Per column: the rules for which its header is context.
    by_column: Vec<Vec<usize>>,
    /// Triggered rules a header names: they run over the whole chunk, not only around keywords.
    whole: Vec<usize>,
    /// (column, rule) for rules that take whole cells, sorted by column.
    cells: Vec<(usize, usize)>,
}

impl ColumnPlan {
    fn fits(&self, engine: u64, columns: &Columns) -> bool {
        self.engine == engine
            && self.delimiter == columns.delimiter
            && self.headers == columns.headers
    }

    fn header_is_context(&self, column: Option<usize>, rule: usize) -> bool {
        column
            .and_then(|c| self.by_column.get(c))
            .is_some_and(|rules| rules.contains(&rule))
    }
}

/// Per-thread buffers reused from chunk to chunk.
#[derive(Debug, Default)]
pub struct Scratch {
    plan: ColumnPlan,
    regions: Vec<(usize, usize, usize)>,
    candidates: Vec<Candidate>,
    family: Vec<(Builtin, Candidate)>,
    last_region_end: Vec<usize>,
    locations: Option<CaptureLocations>,
    keyword_hits: Vec<KeywordHit>,
    keyword_spare: SpareHits,
}

/// Text handed to the engine: bytes plus what is known about their layout.
#[derive(Debug, Clone, Copy)]
pub struct ChunkInput<'a> {
    pub text: &'a [u8],
    pub columns: Option<&'a Columns>,
    /// Matches starting at or after this offset are left to the next, overlapping chunk.
    pub report_limit: usize,
}

/// Every rule of a rule set, compiled.
#[derive(Debug, Clone)]
pub struct Engine {
    rules: Vec<CompiledRule>,
    prefilter: Prefilter,
    /// Prefilter pattern index → rules it triggers.
    keyword_rules: Vec<Vec<usize>>,
    always_rules: Vec<usize>,
    columns: ColumnMap,
    /// Tells a cached `ColumnPlan` of this engine from one of another.
    id: u64,
}

/// Every rule's keywords in one automaton (a full DFA table: it runs over every byte, so it
/// trades memory for speed). Building it is a third of start-up once regexes wait, so it waits
/// too, under the same terms as `RuleRegex`: built at the first chunk when every rule is built in
/// (the test suite builds that automaton), built with the engine when any rule is not.
#[derive(Debug, Clone)]
struct Prefilter {
    keywords: Vec<String>,
    automaton: OnceLock<Option<KeywordFinder>>,
}

impl Prefilter {
    fn new(keywords: Vec<String>, now: bool) -> Result<Prefilter, Error> {
        let automaton = OnceLock::new();
        if now {
            let built = Self::build(&keywords)
                .map_err(|e| Error::Config(format!("prefilter does not build: {e}")))?;
            let _ = automaton.set(built);
        }
        Ok(Prefilter {
            keywords,
            automaton,
        })
    }

    fn build(keywords: &[String]) -> Result<Option<KeywordFinder>, KeywordError> {
        KeywordFinder::new(keywords)
    }

    fn get(&self) -> Option<&KeywordFinder> {
        self.automaton
            .get_or_init(|| {
                Self::build(&self.keywords).unwrap_or_else(|e| {
                    // Unreachable for the built-in keywords (see above); said loudly regardless.
                    eprintln!("breachscope: the keyword prefilter does not build, keyword rules not run: {e}");
                    None
                })
            })
            .as_ref()
    }
}

static NEXT_ENGINE_ID: AtomicU64 = AtomicU64::new(1);

/// Cells longer than this are prose, not one value.
const MAX_CELL: usize = 512;

/// The widest a keyword-triggered region grows on either side within one long line.
const MAX_REGION_HALF: usize = 2048;

fn rule_error(rule: &TextRule, message: impl Into<String>) -> Error {
    Error::Rule {
        rule: rule.id.clone(),
        file: rule.origin.clone(),
        message: message.into(),
    }
}

fn mask_style(rule: &TextRule, builtin: Option<Builtin>) -> Result<MaskStyle, Error> {
    if let Some(name) = &rule.mask {
        return Ok(match name.as_str() {
            "card" => MaskStyle::Card,
            "ssn" => MaskStyle::Ssn,
            "email" => MaskStyle::Email,
            "tail" => MaskStyle::Tail,
            "full" => MaskStyle::Full,
            "secret" => MaskStyle::Secret {
                keep_prefix: rule.keep_prefix,
            },
            "name" => MaskStyle::Name,
            other => {
                return Err(rule_error(
                    rule,
                    format!("unknown mask `{other}` (card, ssn, email, tail, full, secret, name)"),
                ));
            }
        });
    }
    Ok(match builtin {
        Some(Builtin::PaymentCard) => MaskStyle::Card,
        Some(Builtin::UsSsn) => MaskStyle::Ssn,
        Some(Builtin::Email) => MaskStyle::Email,
        Some(Builtin::DateOfBirth) => MaskStyle::Full,
        Some(Builtin::Phone | Builtin::Iban) => MaskStyle::Tail,
        None if rule.data_class == "credential" => MaskStyle::Secret {
            keep_prefix: rule.keep_prefix,
        },
        None => MaskStyle::Tail,
    })
}

impl CompiledRule {
    /// Compiles `rule`; its regexes wait for first use unless `eager` (see `RuleRegex`).
    fn compile(rule: &TextRule, set: &RuleSet, eager: bool) -> Result<CompiledRule, Error> {
        let matcher = match (&rule.pattern, &rule.matcher) {
            (Some(pattern), None) => {
                let regex = RuleRegex::new(pattern, eager)
                    .map_err(|e| rule_error(rule, format!("pattern does not compile: {e}")))?;
                if rule.keywords.is_empty() {
                    return Err(rule_error(
                        rule,
                        "a pattern rule needs keywords for the prefilter",
                    ));
                }
                Matcher::Pattern(regex)
            }
            (None, Some(name)) => Matcher::Builtin(
                Builtin::from_name(name)
                    .ok_or_else(|| rule_error(rule, format!("unknown matcher `{name}`")))?,
            ),
            _ => {
                return Err(rule_error(
                    rule,
                    "give exactly one of `pattern` or `matcher`",
                ));
            }
        };
        let validators = rule
            .validators
            .iter()
            .map(|spec| {
                Validator::parse(spec)
                    .ok_or_else(|| rule_error(rule, format!("unknown validator `{spec}`")))
            })
            .collect::<Result<Vec<_>, _>>()?;
        let context = rule.context.as_ref().map(|c| CompiledContext {
            keywords: c
                .keywords
                .iter()
                .map(|k| k.to_ascii_lowercase().into_bytes())
                .collect(),
            finder: AhoCorasickBuilder::new()
                .ascii_case_insensitive(true)
                .build(&c.keywords)
                .ok(),
            window: c.window,
            required: c.required,
            confidence: c
                .confidence
                .unwrap_or(Confidence::High)
                .max(rule.confidence),
        });
        let builtin = match matcher {
            Matcher::Builtin(b) => Some(b),
            Matcher::Pattern(_) => None,
        };
        let cell =
            match &rule.cell_pattern {
                Some(pattern) => {
                    // Anchored at both ends: the whole cell is the value, never a part of it.
                    if !pattern.starts_with('^') || !pattern.ends_with('$') {
                        return Err(rule_error(rule, "cell_pattern must be anchored: `^...$`"));
                    }
                    Some(RuleRegex::new(pattern, eager).map_err(|e| {
                        rule_error(rule, format!("cell_pattern does not compile: {e}"))
                    })?)
                }
                None => None,
            };
        let normalizer = match &rule.normalize {
            Some(name) => Normalizer::parse(name).ok_or_else(|| {
                rule_error(
                    rule,
                    format!(
                        "unknown normalize `{name}` ({})",
                        Normalizer::NAMES.join(", ")
                    ),
                )
            })?,
            None => Normalizer::Verbatim,
        };
        let triggered = !rule.keywords.is_empty()
            || context
                .as_ref()
                .is_some_and(|c| c.required && !c.keywords.is_empty());
        Ok(CompiledRule {
            id: rule.id.clone(),
            data_class: rule.data_class.clone(),
            kind: rule.kind.clone(),
            severity: set.severity_of(&rule.data_class, rule.kind.as_deref(), rule.severity),
            mask: mask_style(rule, builtin)?,
            confidence: rule.confidence,
            matcher,
            validators,
            context,
            cell,
            normalizer,
            lines_after: rule.lines_after,
            triggered,
        })
    }

    /// Keywords that make the prefilter run this rule.
    fn trigger_keywords<'a>(&'a self, source: &'a TextRule) -> Vec<&'a str> {
        if !source.keywords.is_empty() {
            return source.keywords.iter().map(String::as_str).collect();
        }
        match (&self.context, &source.context) {
            (Some(c), Some(spec)) if c.required => {
                spec.keywords.iter().map(String::as_str).collect()
            }
            _ => Vec::new(),
        }
    }

    /// True when a column header names this rule's subject by one of its context keywords. Rules
    /// that take whole cells leave that to `columns.toml`: a keyword found inside a header
    /// (`name` in `filename`) would put unrelated columns in context.
    fn header_matches(&self, header: &str) -> bool {
        self.cell.is_none()
            && self.context.as_ref().is_some_and(|c| {
                c.keywords
                    .iter()
                    .any(|k| context::header_contains_keyword(header.as_bytes(), k))
            })
    }
}

impl Engine {
    /// Compiles every text rule of `set`; the built-in rules' regexes wait for first use.
    pub fn new(set: &RuleSet) -> Result<Engine, Error> {
        Self::from_rules(set, set.text_rules.iter(), Compile::WhenNeeded)
    }

    /// An engine with a single rule, for running that rule's examples. Every regex compiles now,
    /// so a rule check reports each one that cannot.
    pub fn single(set: &RuleSet, rule: &TextRule) -> Result<Engine, Error> {
        Self::from_rules(set, std::iter::once(rule), Compile::Now)
    }

    fn from_rules<'a>(
        set: &RuleSet,
        rules: impl Iterator<Item = &'a TextRule>,
        compile: Compile,
    ) -> Result<Engine, Error> {
        let mut compiled = Vec::new();
        let mut literals: Vec<String> = Vec::new();
        let mut keyword_rules: Vec<Vec<usize>> = Vec::new();
        let mut always_rules = Vec::new();
        // Regex compilation is most of start-up: compile on every core, then take the rules (and
        // the first error) in rule order.
        let sources: Vec<&TextRule> = rules.collect();
        let eager_prefilter =
            compile == Compile::Now || sources.iter().any(|source| !source.is_builtin());
        let built: Vec<Result<CompiledRule, Error>> = sources
            .par_iter()
            .map(|source| {
                let eager = compile == Compile::Now || !source.is_builtin();
                CompiledRule::compile(source, set, eager)
            })
            .collect();
        for (source, rule) in sources.into_iter().zip(built) {
            let rule = rule?;
            let index = compiled.len();
            if rule.triggered {
                for keyword in rule.trigger_keywords(source) {
                    let keyword = keyword.to_ascii_lowercase();
                    if keyword.is_empty() {
                        return Err(rule_error(source, "empty keyword"));
                    }
                    match literals.iter().position(|k| *k == keyword) {
                        Some(pos) => keyword_rules[pos].push(index),
                        None => {
                            literals.push(keyword);
                            keyword_rules.push(vec![index]);
                        }
                    }
                }
            } else {
                always_rules.push(index);
            }
            compiled.push(rule);
        }
        let prefilter = Prefilter::new(literals, eager_prefilter)?;
        Ok(Engine {
            rules: compiled,
            prefilter,
            keyword_rules,
            always_rules,
            columns: set.columns.clone(),
            id: NEXT_ENGINE_ID.fetch_add(1, Ordering::Relaxed),
        })
    }

    pub fn rules(&self) -> &[CompiledRule] {
        &self.rules
    }

    /// The keywords of the prefilter, lowercase, in the order of its keyword indexes.
    pub fn keywords(&self) -> &[String] {
        &self.prefilter.keywords
    }

    pub fn rule(&self, index: usize) -> &CompiledRule {
        &self.rules[index]
    }

    /// What each column of `columns` means to this engine.
    fn plan_for(&self, columns: &Columns) -> ColumnPlan {
        let mut plan = ColumnPlan {
            engine: self.id,
            delimiter: columns.delimiter,
            headers: columns.headers.clone(),
            ..ColumnPlan::default()
        };
        for (column, header) in columns.headers.iter().enumerate() {
            let element = self.columns.element_for(header);
            let mut rules = Vec::new();
            for (index, rule) in self.rules.iter().enumerate() {
                let mapped = element == Some(rule.id.as_str());
                if mapped || rule.header_matches(header) {
                    rules.push(index);
                    if rule.triggered && rule.cell.is_none() && !plan.whole.contains(&index) {
                        plan.whole.push(index);
                    }
                }
                if mapped && rule.cell.is_some() {
                    plan.cells.push((column, index));
                }
            }
            plan.by_column.push(rules);
        }
        plan
    }

    /// Finds every match in `input`, appending to `out` in no particular order.
    pub fn scan(&self, input: ChunkInput<'_>, scratch: &mut Scratch, out: &mut Vec<Match>) {
        if input.text.is_empty() {
            return;
        }
        let plan = input.columns.map(|columns| {
            let cached = std::mem::take(&mut scratch.plan);
            if cached.fits(self.id, columns) {
                cached
            } else {
                self.plan_for(columns)
            }
        });
        self.scan_planned(input, plan.as_ref(), scratch, out);
        if let Some(plan) = plan {
            scratch.plan = plan;
        }
    }

    fn scan_planned(
        &self,
        input: ChunkInput<'_>,
        plan: Option<&ColumnPlan>,
        scratch: &mut Scratch,
        out: &mut Vec<Match>,
    ) {
        let text = input.text;
        let no_rules = Vec::new();
        let column_rules = plan.map_or(&no_rules, |p| &p.whole);
        if let Some(plan) = plan {
            self.scan_cells(input, plan, out);
        }
        // Digit-based built-ins share one tokenising pass over the chunk.
        let mut wants = builtin::DigitWants::default();
        for &index in &self.always_rules {
            match self.rules[index].matcher {
                Matcher::Builtin(which) if builtin::DigitWants::only(which).any() => {
                    wants.add(which)
                }
                _ => self.run_rule(index, input, plan, 0, text.len(), scratch, out),
            }
        }
        if wants.any() {
            scratch.family.clear();
            builtin::digit_family(text, 0, text.len(), wants, &mut scratch.family);
            let mut family = std::mem::take(&mut scratch.family);
            for &index in &self.always_rules {
                if let Matcher::Builtin(which) = self.rules[index].matcher
                    && builtin::DigitWants::only(which).any()
                {
                    scratch.candidates.clear();
                    scratch.candidates.extend(
                        family
                            .iter()
                            .filter(|(w, _)| *w == which)
                            .map(|(_, c)| c.clone()),
                    );
                    self.evaluate(index, input, plan, scratch, out);
                }
            }
            family.clear();
            scratch.family = family;
        }
        for &index in column_rules {
            self.run_rule(index, input, plan, 0, text.len(), scratch, out);
        }
        let Some(prefilter) = self.prefilter.get() else {
            return;
        };
        scratch.regions.clear();
        scratch.last_region_end.clear();
        scratch.last_region_end.resize(self.rules.len(), 0);
        let mut hits = std::mem::take(&mut scratch.keyword_hits);
        hits.clear();
        prefilter.find_all(text, &mut hits, &mut scratch.keyword_spare);
        for hit in &hits {
            for &index in &self.keyword_rules[hit.keyword as usize] {
                if column_rules.contains(&index) || hit.start < scratch.last_region_end[index] {
                    continue;
                }
                // A keyword inside a cell the rule takes whole belongs to that cell's value, which
                // the cell rule has read: it triggers nothing more (an address column is a
                // million such keywords, each a line the regex would read for nothing).
                if owned_by_cell(index, plan, input, hit.start) {
                    continue;
                }
                let (start, end) = self.region_around(index, text, hit.start, hit.end);
                scratch.last_region_end[index] = end;
                scratch.regions.push((index, start, end));
            }
        }
        scratch.keyword_hits = hits;
        scratch.regions.sort_unstable();
        let mut regions = std::mem::take(&mut scratch.regions);
        let mut i = 0;
        while i < regions.len() {
            let (index, start, mut end) = regions[i];
            let mut j = i + 1;
            while j < regions.len() && regions[j].0 == index && regions[j].1 <= end {
                end = end.max(regions[j].2);
                j += 1;
            }
            self.run_rule(index, input, plan, start, end, scratch, out);
            i = j;
        }
        regions.clear();
        scratch.regions = regions;
    }

    /// The bytes a triggered rule searches around a keyword: the keyword's line (within
    /// `MAX_REGION_HALF` each way), the rule's extra lines, and for context rules the window.
    fn region_around(
        &self,
        index: usize,
        text: &[u8],
        hit_start: usize,
        hit_end: usize,
    ) -> (usize, usize) {
        let rule = &self.rules[index];
        let reach = rule.context.as_ref().map_or(0, |c| c.window) + 128;
        let half = if matches!(rule.matcher, Matcher::Pattern(_)) {
            MAX_REGION_HALF
        } else {
            reach
        };
        let floor = hit_start.saturating_sub(half);
        let mut start =
            memchr::memrchr(b'\n', &text[floor..hit_start]).map_or(floor, |p| floor + p + 1);
        let ceiling = (hit_end + half).min(text.len());
        let mut end =
            memchr::memchr(b'\n', &text[hit_end..ceiling]).map_or(ceiling, |p| hit_end + p);
        if !matches!(rule.matcher, Matcher::Pattern(_)) {
            // Context rules may find the value on the line before or after a label.
            start = floor.max(start.saturating_sub(reach));
            start = memchr::memrchr(b'\n', &text[floor..start])
                .map_or(floor, |p| floor + p + 1)
                .min(start);
            end = ceiling;
        }
        for _ in 0..rule.lines_after {
            if end >= text.len() {
                break;
            }
            let limit = (end + 1 + 64 * 1024).min(text.len());
            end = memchr::memchr(b'\n', &text[end + 1..limit]).map_or(limit, |p| end + 1 + p);
        }
        (
            widen_to_space(text, start, true),
            widen_to_space(text, end, false),
        )
    }

    /// Every whole cell of the columns mapped to cell rules, row by row; quoted cells may hold
    /// the delimiter.
    fn scan_cells(&self, input: ChunkInput<'_>, plan: &ColumnPlan, out: &mut Vec<Match>) {
        if plan.cells.is_empty() {
            return;
        }
        let text = input.text;
        let last_column = plan.cells.iter().map(|&(c, _)| c).max().unwrap_or(0);
        let mut line_start = 0;
        while line_start < text.len().min(input.report_limit) {
            let line_end =
                memchr::memchr(b'\n', &text[line_start..]).map_or(text.len(), |p| line_start + p);
            let line = &text[line_start..line_end];
            let (mut column, mut cell_start, mut pos, mut quoted) = (0usize, 0usize, 0usize, false);
            let mut next = 0usize;
            loop {
                let cell_end = match memchr::memchr2(plan.delimiter, b'"', &line[pos..]) {
                    Some(p) if line[pos + p] == b'"' => {
                        quoted = !quoted;
                        pos += p + 1;
                        continue;
                    }
                    Some(p) if quoted => {
                        pos += p + 1;
                        continue;
                    }
                    Some(p) => pos + p,
                    None => line.len(),
                };
                while let Some(&(c, rule)) = plan.cells.get(next) {
                    if c > column {
                        break;
                    }
                    if c == column {
                        self.take_cell(
                            rule, input, plan, column, line_start, cell_start, cell_end, out,
                        );
                    }
                    next += 1;
                }
                column += 1;
                if cell_end >= line.len() || column > last_column {
                    break;
                }
                cell_start = cell_end + 1;
                pos = cell_start;
            }
            line_start = line_end + 1;
        }
    }

    /// One cell (`line[start..end]` of the line at `line_start`) as a value of rule `index`.
    #[allow(clippy::too_many_arguments)]
    fn take_cell(
        &self,
        index: usize,
        input: ChunkInput<'_>,
        plan: &ColumnPlan,
        column: usize,
        line_start: usize,
        start: usize,
        end: usize,
        out: &mut Vec<Match>,
    ) {
        let rule = &self.rules[index];
        let Some(cell_regex) = rule.cell.as_ref().and_then(RuleRegex::get) else {
            return;
        };
        let raw = &input.text[line_start + start..line_start + end];
        let lead = raw.len() - raw.trim_ascii_start().len();
        let mut cell = raw.trim_ascii();
        let mut offset = line_start + start + lead;
        if let Some(inner) = cell.strip_prefix(b"\"") {
            cell = inner.strip_suffix(b"\"").unwrap_or(inner);
            let before = cell.len();
            cell = cell.trim_ascii_start();
            offset += 1 + before - cell.len();
            cell = cell.trim_ascii_end();
        }
        if cell.is_empty() || cell.len() > MAX_CELL || offset >= input.report_limit {
            return;
        }
        // The header row itself: a cell that repeats its own header is no value.
        if plan
            .headers
            .get(column)
            .is_some_and(|h| cell.eq_ignore_ascii_case(h.as_bytes()))
        {
            return;
        }
        if !cell_regex.regex.is_match(cell) {
            return;
        }
        let Some(normalized) = rule.normalizer.apply(cell) else {
            return;
        };
        let line = &input.text[line_start..];
        let line = &line[..memchr::memchr(b'\n', line).unwrap_or(line.len())];
        if !rule.validators.iter().all(|v| v.check(&normalized, line)) {
            return;
        }
        out.push(Match {
            rule: index,
            start: offset,
            end: offset + cell.len(),
            normalized,
            // The header is the context: as sure as a value next to its keyword.
            confidence: rule
                .context
                .as_ref()
                .map_or(rule.confidence, |c| c.confidence),
            label: None,
        });
    }

    #[allow(clippy::too_many_arguments)]
    fn run_rule(
        &self,
        index: usize,
        input: ChunkInput<'_>,
        plan: Option<&ColumnPlan>,
        start: usize,
        end: usize,
        scratch: &mut Scratch,
        out: &mut Vec<Match>,
    ) {
        let rule = &self.rules[index];
        let text = input.text;
        scratch.candidates.clear();
        match &rule.matcher {
            Matcher::Builtin(which) => {
                builtin::find(*which, text, start, end, &mut scratch.candidates)
            }
            Matcher::Pattern(pattern) => {
                let Some(CompiledRegex { regex, value_group }) = pattern.get() else {
                    return;
                };
                let locations = scratch
                    .locations
                    .get_or_insert_with(|| regex.capture_locations());
                if locations.len() != regex.captures_len() {
                    *locations = regex.capture_locations();
                }
                let haystack = &text[..end];
                let mut at = start;
                while at <= end {
                    let Some(whole) = regex.captures_read_at(locations, haystack, at) else {
                        break;
                    };
                    at = if whole.end() > whole.start() {
                        whole.end()
                    } else {
                        whole.end() + 1
                    };
                    let (s, e) = value_group
                        .and_then(|g| locations.get(g))
                        .unwrap_or((whole.start(), whole.end()));
                    let Some(normalized) = rule.normalizer.apply(&text[s..e]) else {
                        continue;
                    };
                    scratch.candidates.push(Candidate {
                        start: s,
                        end: e,
                        normalized,
                        label: None,
                        needs_context: false,
                        test_value: false,
                    });
                }
            }
        }
        self.evaluate(index, input, plan, scratch, out);
    }

    /// Validators and context for the candidates of rule `index` in `scratch.candidates`.
    fn evaluate(
        &self,
        index: usize,
        input: ChunkInput<'_>,
        plan: Option<&ColumnPlan>,
        scratch: &mut Scratch,
        out: &mut Vec<Match>,
    ) {
        let rule = &self.rules[index];
        let text = input.text;
        let reads_line = rule.validators.iter().any(Validator::reads_line);
        for candidate in scratch.candidates.drain(..) {
            if candidate.start >= input.report_limit {
                continue;
            }
            if owned_by_cell(index, plan, input, candidate.start) {
                continue;
            }
            let line = if reads_line {
                line_around(text, candidate.start, candidate.end)
            } else {
                &[]
            };
            if !rule
                .validators
                .iter()
                .all(|v| v.check(&candidate.normalized, line))
            {
                continue;
            }
            let in_context = rule.context.as_ref().is_some_and(|c| {
                has_context(c, index, plan, input, candidate.start, candidate.end)
            });
            let required =
                candidate.needs_context || rule.context.as_ref().is_some_and(|c| c.required);
            if required && !in_context {
                continue;
            }
            let confidence = match &rule.context {
                _ if candidate.test_value => Confidence::Low,
                Some(c) if in_context => c.confidence,
                _ => rule.confidence,
            };
            out.push(Match {
                rule: index,
                start: candidate.start,
                end: candidate.end,
                normalized: candidate.normalized,
                confidence,
                label: candidate.label,
            });
        }
    }
}

/// True when `start` lies in a column whose whole cells rule `index` already takes: the cell
/// is the value, and a match inside it would report it twice.
fn owned_by_cell(
    index: usize,
    plan: Option<&ColumnPlan>,
    input: ChunkInput<'_>,
    start: usize,
) -> bool {
    let (Some(plan), Some(columns)) = (plan, input.columns) else {
        return false;
    };
    if !plan.cells.iter().any(|&(_, rule)| rule == index) {
        return false;
    }
    let text = input.text;
    let line_start = memchr::memrchr(b'\n', &text[..start]).map_or(0, |p| p + 1);
    let line_end = memchr::memchr(b'\n', &text[start..]).map_or(text.len(), |p| start + p);
    columns
        .column_at(&text[line_start..line_end], start - line_start)
        .is_some_and(|column| plan.cells.contains(&(column, index)))
}

/// Moves a region edge outwards to whitespace (at most 256 bytes) so a value is never cut.
fn widen_to_space(text: &[u8], at: usize, backwards: bool) -> usize {
    let mut pos = at;
    for _ in 0..256 {
        if backwards {
            if pos == 0 || text[pos - 1].is_ascii_whitespace() {
                return pos;
            }
            pos -= 1;
        } else {
            if pos >= text.len() || text[pos].is_ascii_whitespace() {
                return pos;
            }
            pos += 1;
        }
    }
    pos
}

/// The line containing `start..end`, capped to a few kilobytes around it.
fn line_around(text: &[u8], start: usize, end: usize) -> &[u8] {
    let floor = start.saturating_sub(1024);
    let line_start = memchr::memrchr(b'\n', &text[floor..start]).map_or(floor, |p| floor + p + 1);
    let ceiling = (end + 1024).min(text.len());
    let line_end = memchr::memchr(b'\n', &text[end..ceiling]).map_or(ceiling, |p| end + p);
    &text[line_start..line_end]
}

fn has_context(
    context: &CompiledContext,
    rule: usize,
    plan: Option<&ColumnPlan>,
    input: ChunkInput<'_>,
    start: usize,
    end: usize,
) -> bool {
    let text = input.text;
    let mut window_start = start.saturating_sub(context.window);
    let mut window_end = (end + context.window).min(text.len());
    let mut header_says = false;
    if let Some(columns) = input.columns {
        // In a table each row is its own record: the header row above must not lend its words
        // to every cell, so the window stays on the row and the cell's own header decides.
        let line_start = memchr::memrchr(b'\n', &text[..start]).map_or(0, |p| p + 1);
        let line_end = memchr::memchr(b'\n', &text[end..]).map_or(text.len(), |p| end + p);
        window_start = window_start.max(line_start);
        window_end = window_end.min(line_end);
        header_says = plan.is_some_and(|p| {
            p.header_is_context(
                columns.column_at(&text[line_start..line_end], start - line_start),
                rule,
            )
        });
    }
    if header_says {
        // The cell's header names the value: context enough, with no keyword search.
        return true;
    }
    let before = &text[window_start..start];
    let after = &text[end..window_end];
    // The keywords that stand in the window at all, as the automaton finds them (any case,
    // any edges): only these are looked at more closely below. Most candidates have none,
    // and a rule's list runs to dozens of words, each searched for on its own.
    // Overlapping matches need the standard match kind, which the automaton is built with;
    // were it built otherwise, every keyword would be checked, as before.
    let mut present = KeywordsPresent::All;
    if let Some(finder) = &context.finder
        && let Ok(matches) = finder
            .try_find_overlapping_iter(before)
            .and_then(|b| finder.try_find_overlapping_iter(after).map(|a| b.chain(a)))
    {
        let mut found: Option<u64> = None;
        for m in matches {
            let bit = 1u64.checked_shl(m.pattern().as_u32()).unwrap_or(0);
            found = Some(found.unwrap_or(0) | bit);
        }
        let Some(found) = found else {
            return false;
        };
        if context.keywords.len() <= 64 {
            present = KeywordsPresent::Some(found);
        }
    }
    // A keyword counts for the value nearest to it: with another number in between, it labels
    // that one (`SSN#052888899',…,(197724171,` is no context for the second number).
    let near_before = |k: &Vec<u8>| {
        context::keyword_position(before, k, true)
            .is_some_and(|p| !context::holds_other_value(&before[p + k.len()..], 6))
    };
    // After the value, a keyword that is itself followed by a number labels that number
    // (`140352916,'LOGIN','…tax_id=793-29-3548'`).
    let near_after = |k: &Vec<u8>| {
        context::keyword_position(after, k, false).is_some_and(|p| {
            let label_end = end + p + k.len();
            let following = &text[label_end..(label_end + 16).min(text.len())];
            !context::holds_other_value(&after[..p], 6) && !context::holds_other_value(following, 6)
        })
    };
    let anywhere =
        |k: &Vec<u8>| context::contains_keyword(before, k) || context::contains_keyword(after, k);
    // The nearest-value rule is for numbers (SSNs, phones, accounts); secrets sit among dates and
    // parameters that are not competing values (`sv=2022-11-02&…&sig=…`).
    let numeric = text[start..end].iter().any(u8::is_ascii_digit)
        && text[start..end]
            .iter()
            .all(|b| b.is_ascii_digit() || b" -.()+".contains(b));
    context
        .keywords
        .iter()
        .enumerate()
        .filter(|&(i, _)| present.holds(i))
        .any(|(_, k)| {
            if numeric {
                near_before(k) || near_after(k)
            } else {
                anywhere(k)
            }
        })
}

/// Which of a context's keywords stand near a candidate: bit `i` for keyword `i`, or all of
/// them when the automaton could not tell (more than 64 keywords).
#[derive(Clone, Copy)]
enum KeywordsPresent {
    All,
    Some(u64),
}

impl KeywordsPresent {
    fn holds(self, keyword: usize) -> bool {
        match self {
            KeywordsPresent::All => true,
            KeywordsPresent::Some(bits) => u32::try_from(keyword)
                .is_ok_and(|k| bits.checked_shr(k).is_some_and(|b| b & 1 == 1)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::load_builtin;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn ascii_lower_words_equal_the_reference(text in "[A-Za-z0-9 .,'\t\n\r\x0b\x0c-]{0,24}") {
            prop_assert_eq!(lower_words_ascii(text.as_bytes()), unicode_lower_words(text.as_bytes()));
        }
    }

    /// A keyword is looked at closely only where the automaton saw it; past 64 keywords, or
    /// when it could not tell, every keyword is.
    #[test]
    fn keywords_present_are_the_bits_set() {
        let some = KeywordsPresent::Some(0b1010 | 1 << 63);
        let held: Vec<usize> = (0..70).filter(|&k| some.holds(k)).collect();
        assert_eq!(held, [1, 3, 63]);
        assert!((0..70).all(|k| KeywordsPresent::All.holds(k)));
    }

    /// (rule id, normalised value, confidence) of every match, with the first line as header.
    fn scan_table(engine: &Engine, scratch: &mut Scratch, text: &str) -> Vec<(String, String)> {
        let bytes = text.as_bytes();
        let header_end = bytes
            .iter()
            .position(|&b| b == b'\n')
            .unwrap_or(bytes.len());
        let columns = Columns::from_header_line(&bytes[..header_end]);
        let mut out = Vec::new();
        engine.scan(
            ChunkInput {
                text: bytes,
                columns: columns.as_ref(),
                report_limit: bytes.len(),
            },
            scratch,
            &mut out,
        );
        let mut found: Vec<(String, String)> = out
            .iter()
            .map(|m| {
                (
                    engine.rule(m.rule).id.clone(),
                    String::from_utf8_lossy(&m.normalized).into_owned(),
                )
            })
            .collect();
        found.sort();
        found
    }

    fn engine() -> Engine {
        let set = load_builtin().expect("builtin rules");
        Engine::new(&set).expect("engine")
    }

    fn of<'a>(found: &'a [(String, String)], id: &str) -> Vec<&'a str> {
        found
            .iter()
            .filter(|(r, _)| r == id)
            .map(|(_, v)| v.as_str())
            .collect()
    }

    fn rule_mut<'a>(set: &'a mut RuleSet, id: &str) -> &'a mut TextRule {
        set.text_rules
            .iter_mut()
            .find(|r| r.id == id)
            .unwrap_or_else(|| panic!("built-in rule {id}"))
    }

    /// Rule ids whose pattern regex has been compiled.
    fn compiled_patterns(engine: &Engine) -> Vec<&str> {
        engine
            .rules
            .iter()
            .filter(|r| matches!(&r.matcher, Matcher::Pattern(p) if p.compiled.get().is_some()))
            .map(|r| r.id.as_str())
            .collect()
    }

    #[test]
    fn built_in_regexes_compile_when_a_chunk_first_needs_them() {
        let engine = engine();
        assert_eq!(compiled_patterns(&engine), Vec::<&str>::new());
        assert!(engine.prefilter.automaton.get().is_none());
        let mut scratch = Scratch::default();
        let found = scan_table(
            &engine,
            &mut scratch,
            "notes\njwt eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0In0.c2lnbmF0dXJl\n",
        );
        assert_eq!(of(&found, "jwt").len(), 1, "{found:?}");
        assert!(
            engine
                .prefilter
                .automaton
                .get()
                .is_some_and(Option::is_some)
        );
        let woken = compiled_patterns(&engine);
        assert!(woken.contains(&"jwt"), "{woken:?}");
        // Only rules whose keywords the prefilter found: far fewer than all of them.
        let patterns = engine
            .rules
            .iter()
            .filter(|r| matches!(r.matcher, Matcher::Pattern(_)))
            .count();
        assert!(
            woken.len() < patterns / 4,
            "{} of {patterns}: {woken:?}",
            woken.len()
        );
    }

    #[test]
    fn rules_from_outside_the_binary_compile_with_the_engine() {
        let mut set = load_builtin().expect("builtin rules");
        let rule = rule_mut(&mut set, "jwt");
        rule.origin = "mine.toml".into();
        let engine = Engine::new(&set).expect("engine");
        assert_eq!(compiled_patterns(&engine), vec!["jwt"]);
        assert!(engine.prefilter.automaton.get().is_some());
        // Too big to compile, though its syntax is fine: refused before any scan.
        let rule = rule_mut(&mut set, "jwt");
        rule.pattern = Some("eyJ x{200000}".into());
        let error = Engine::new(&set).expect_err("too big").to_string();
        assert!(
            error.contains("jwt") && error.contains("size limit"),
            "{error}"
        );
    }

    #[test]
    fn whole_cells_of_mapped_columns_respecting_quotes() {
        let engine = engine();
        let mut scratch = Scratch::default();
        let found = scan_table(
            &engine,
            &mut scratch,
            "id,\"Full Name\",note,Last Name\n7,\"Roe, Jane\",\"a, b, c\",Roe\n8,Omar Haddad,x,\"Haddad\"\n",
        );
        assert_eq!(of(&found, "person_name"), vec!["jane roe", "omar haddad"]);
        assert_eq!(of(&found, "family_name"), vec!["haddad", "roe"]);
    }

    #[test]
    fn header_row_and_unmapped_columns_give_nothing() {
        let engine = engine();
        let mut scratch = Scratch::default();
        // `filename` holds `name` but is no name column; the header row is no value.
        let found = scan_table(
            &engine,
            &mut scratch,
            "filename,First Name\nReport Final,First Name\n",
        );
        assert!(found.is_empty(), "{found:?}");
    }

    #[test]
    fn mapped_headers_are_context_for_built_in_matchers() {
        let engine = engine();
        let mut scratch = Scratch::default();
        // No birth keyword in `geburtsdatum`'s letters the rule knows of, but columns.toml maps it.
        let found = scan_table(
            &engine,
            &mut scratch,
            "kunde,geburtsdatum,soc_sec_no\nx,14.03.1985,536225487\n",
        );
        assert_eq!(of(&found, "date_of_birth"), vec!["1985-03-14"]);
        assert_eq!(of(&found, "us_ssn"), vec!["536225487"]);
    }

    #[test]
    fn column_plan_follows_the_header_row() {
        let engine = engine();
        let mut scratch = Scratch::default();
        let first = scan_table(&engine, &mut scratch, "npi,x\n1544992070,1\n");
        assert_eq!(of(&first, "npi"), vec!["1544992070"]);
        // Same scratch, other header: the cached plan must not carry over.
        let second = scan_table(&engine, &mut scratch, "x,npi\n1544992070,1\n");
        assert!(of(&second, "npi").is_empty(), "{second:?}");
        let third = scan_table(&engine, &mut scratch, "x,npi\n1,1544992070\n");
        assert_eq!(of(&third, "npi"), vec!["1544992070"]);
    }

    #[test]
    fn cell_values_are_normalised_before_validation() {
        let engine = engine();
        let mut scratch = Scratch::default();
        let found = scan_table(
            &engine,
            &mut scratch,
            "medicare_id\texp\taddress\n2df7-hj3-km42\t3/29\t1234 Elm St., Apt #4B\n",
        );
        assert_eq!(of(&found, "health_insurance_id"), vec!["2DF7HJ3KM42"]);
        assert_eq!(of(&found, "card_expiry"), vec!["2029-03"]);
        assert_eq!(
            of(&found, "postal_address"),
            vec!["1234 elm street apartment 4b"]
        );
    }

    #[test]
    fn keywords_inside_cells_taken_whole_leave_the_rest_of_the_row_scanned() {
        let engine = engine();
        let mut scratch = Scratch::default();
        // The address column's street types are its cells' own keywords; the note's address,
        // on the same rows, is still found through its own, and no cell is read twice.
        let found = scan_table(
            &engine,
            &mut scratch,
            "name,address,note\nJane Roe,1847 Larkspur Ave,ships to 2210 Westmoreland Dr daily\n\
             Omar Haddad,77 Oak Blvd,none\n",
        );
        assert_eq!(
            of(&found, "postal_address"),
            vec![
                "1847 larkspur avenue",
                "2210 westmoreland drive",
                "77 oak boulevard"
            ]
        );
    }

    #[test]
    fn normalizers() {
        assert_eq!(
            Normalizer::PersonName.apply(b"ROE, Jane"),
            Some(b"jane roe".to_vec())
        );
        assert_eq!(Normalizer::PersonName.apply(b"Jane"), None);
        assert_eq!(
            Normalizer::Lower.apply(" Mary  Ann ".as_bytes()),
            Some(b"mary ann".to_vec())
        );
        assert_eq!(
            Normalizer::Digits.apply(b"ITIN: 912-70-4831"),
            Some(b"912704831".to_vec())
        );
        assert_eq!(Normalizer::AlnumUpper.apply(b"--"), None);
    }

    #[test]
    fn unanchored_cell_patterns_are_rejected() {
        let mut set = load_builtin().expect("builtin rules");
        let rule = rule_mut(&mut set, "npi");
        rule.cell_pattern = Some("[0-9]{10}".into());
        let rule = rule.clone();
        assert!(Engine::single(&set, &rule).is_err());
    }
}
