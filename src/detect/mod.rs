//! The detector engine: one multi-literal prefilter pass, then each rule's own matcher on the
//! lines around its keywords, then validators and context scoring.
//!
//! Rules without keywords (the built-in number and address matchers) run over every chunk;
//! they are written by hand to be cheap. Rules with keywords, and rules that need a context
//! keyword, run only where the prefilter found one, or over a whole delimited file when a column
//! header names them.

pub mod builtin;
pub mod context;
pub mod paths;
pub mod secrets;
pub mod validators;

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, MatchKind};
use regex::bytes::{CaptureLocations, Regex, RegexBuilder};

use crate::error::Error;
use crate::rules::{Confidence, RuleSet, Severity, TextRule};
use builtin::{Builtin, BuiltinMatchers, Candidate};
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
];

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
            _ if secrets::VALIDATORS.contains(&name) => Validator::Secret {
                name: name.to_string(),
                arg,
            },
            _ => return None,
        })
    }

    fn check(&self, value: &[u8], line: &[u8]) -> bool {
        match self {
            Validator::Luhn => validators::luhn(value),
            Validator::CardIssuer => validators::card_brand(value).is_some(),
            Validator::Ssa => validators::ssa_valid(value),
            Validator::Iban => validators::iban_valid(value),
            Validator::Aba => validators::aba_valid(value),
            Validator::Date => true,
            Validator::Secret { name, arg } => {
                secrets::validate(name, arg.as_deref(), value, line).unwrap_or(false)
            }
        }
    }
}

#[derive(Debug, Clone)]
enum Matcher {
    Builtin(Builtin),
    Pattern {
        regex: Regex,
        value_group: Option<usize>,
    },
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

/// Per-thread buffers reused from chunk to chunk.
#[derive(Debug, Default)]
pub struct Scratch {
    regions: Vec<(usize, usize, usize)>,
    candidates: Vec<Candidate>,
    family: Vec<(Builtin, Candidate)>,
    last_region_end: Vec<usize>,
    locations: Option<CaptureLocations>,
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
    prefilter: Option<AhoCorasick>,
    /// Prefilter pattern index → rules it triggers.
    keyword_rules: Vec<Vec<usize>>,
    always_rules: Vec<usize>,
    builtins: BuiltinMatchers,
}

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
            other => {
                return Err(rule_error(
                    rule,
                    format!("unknown mask `{other}` (card, ssn, email, tail, full, secret)"),
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
    fn compile(rule: &TextRule, set: &RuleSet) -> Result<CompiledRule, Error> {
        let matcher = match (&rule.pattern, &rule.matcher) {
            (Some(pattern), None) => {
                let regex = RegexBuilder::new(pattern)
                    .unicode(false)
                    .size_limit(1 << 22)
                    .build()
                    .map_err(|e| rule_error(rule, format!("pattern does not compile: {e}")))?;
                let value_group = regex.capture_names().position(|n| n == Some("value"));
                if rule.keywords.is_empty() {
                    return Err(rule_error(
                        rule,
                        "a pattern rule needs keywords for the prefilter",
                    ));
                }
                Matcher::Pattern { regex, value_group }
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
            Matcher::Pattern { .. } => None,
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

    /// True when a column header names this rule's subject, so every cell below is in context.
    fn header_matches(&self, header: &str) -> bool {
        self.context.as_ref().is_some_and(|c| {
            c.keywords
                .iter()
                .any(|k| context::header_contains_keyword(header.as_bytes(), k))
        })
    }
}

impl Engine {
    /// Compiles every text rule of `set`.
    pub fn new(set: &RuleSet) -> Result<Engine, Error> {
        Self::from_rules(set, set.text_rules.iter())
    }

    /// An engine with a single rule, for running that rule's examples.
    pub fn single(set: &RuleSet, rule: &TextRule) -> Result<Engine, Error> {
        Self::from_rules(set, std::iter::once(rule))
    }

    fn from_rules<'a>(
        set: &RuleSet,
        rules: impl Iterator<Item = &'a TextRule>,
    ) -> Result<Engine, Error> {
        let mut compiled = Vec::new();
        let mut literals: Vec<String> = Vec::new();
        let mut keyword_rules: Vec<Vec<usize>> = Vec::new();
        let mut always_rules = Vec::new();
        for source in rules {
            let rule = CompiledRule::compile(source, set)?;
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
        let prefilter = if literals.is_empty() {
            None
        } else {
            Some(
                AhoCorasickBuilder::new()
                    .ascii_case_insensitive(true)
                    .match_kind(MatchKind::Standard)
                    // A full DFA: the prefilter runs over every byte, so trade memory for speed.
                    .kind(Some(aho_corasick::AhoCorasickKind::DFA))
                    .build(&literals)
                    .map_err(|e| Error::Config(format!("prefilter does not build: {e}")))?,
            )
        };
        Ok(Engine {
            rules: compiled,
            prefilter,
            keyword_rules,
            always_rules,
            builtins: BuiltinMatchers::new(),
        })
    }

    pub fn rules(&self) -> &[CompiledRule] {
        &self.rules
    }

    pub fn rule(&self, index: usize) -> &CompiledRule {
        &self.rules[index]
    }

    /// Finds every match in `input`, appending to `out` in no particular order.
    pub fn scan(&self, input: ChunkInput<'_>, scratch: &mut Scratch, out: &mut Vec<Match>) {
        let text = input.text;
        if text.is_empty() {
            return;
        }
        let column_rules: Vec<usize> = match input.columns {
            Some(columns) => (0..self.rules.len())
                .filter(|&i| {
                    self.rules[i].triggered
                        && columns
                            .headers
                            .iter()
                            .any(|h| self.rules[i].header_matches(h))
                })
                .collect(),
            None => Vec::new(),
        };
        // Digit-based built-ins share one tokenising pass over the chunk.
        let mut wants = builtin::DigitWants::default();
        for &index in &self.always_rules {
            match self.rules[index].matcher {
                Matcher::Builtin(which) if builtin::DigitWants::only(which).any() => {
                    wants.add(which)
                }
                _ => self.run_rule(index, input, 0, text.len(), scratch, out),
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
                    self.evaluate(index, input, scratch, out);
                }
            }
            family.clear();
            scratch.family = family;
        }
        for &index in &column_rules {
            self.run_rule(index, input, 0, text.len(), scratch, out);
        }
        let Some(prefilter) = &self.prefilter else {
            return;
        };
        scratch.regions.clear();
        scratch.last_region_end.clear();
        scratch.last_region_end.resize(self.rules.len(), 0);
        for hit in prefilter.find_overlapping_iter(text) {
            for &index in &self.keyword_rules[hit.pattern().as_usize()] {
                if column_rules.contains(&index) || hit.start() < scratch.last_region_end[index] {
                    continue;
                }
                let (start, end) = self.region_around(index, text, hit.start(), hit.end());
                scratch.last_region_end[index] = end;
                scratch.regions.push((index, start, end));
            }
        }
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
            self.run_rule(index, input, start, end, scratch, out);
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
        let half = if matches!(rule.matcher, Matcher::Pattern { .. }) {
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
        if !matches!(rule.matcher, Matcher::Pattern { .. }) {
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

    fn run_rule(
        &self,
        index: usize,
        input: ChunkInput<'_>,
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
                self.builtins
                    .find(*which, text, start, end, &mut scratch.candidates)
            }
            Matcher::Pattern { regex, value_group } => {
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
                    scratch.candidates.push(Candidate {
                        start: s,
                        end: e,
                        normalized: text[s..e].to_vec(),
                        label: None,
                        needs_context: false,
                        test_value: false,
                    });
                }
            }
        }
        self.evaluate(index, input, scratch, out);
    }

    /// Validators and context for the candidates of rule `index` in `scratch.candidates`.
    fn evaluate(
        &self,
        index: usize,
        input: ChunkInput<'_>,
        scratch: &mut Scratch,
        out: &mut Vec<Match>,
    ) {
        let rule = &self.rules[index];
        let text = input.text;
        for candidate in scratch.candidates.drain(..) {
            if candidate.start >= input.report_limit {
                continue;
            }
            let line = line_around(text, candidate.start, candidate.end);
            if !rule
                .validators
                .iter()
                .all(|v| v.check(&candidate.normalized, line))
            {
                continue;
            }
            let in_context = rule
                .context
                .as_ref()
                .is_some_and(|c| has_context(c, rule, input, candidate.start, candidate.end));
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
    rule: &CompiledRule,
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
        header_says = columns
            .header_at(&text[line_start..line_end], start - line_start)
            .is_some_and(|header| rule.header_matches(header));
    }
    let before = &text[window_start..start];
    let after = &text[end..window_end];
    if let Some(finder) = &context.finder
        && finder.find(before).is_none()
        && finder.find(after).is_none()
    {
        return header_says;
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
    header_says
        || context.keywords.iter().any(|k| {
            if numeric {
                near_before(k) || near_after(k)
            } else {
                anywhere(k)
            }
        })
}
