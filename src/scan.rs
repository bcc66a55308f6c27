//! The pipeline: a walker feeds a bounded largest-first queue, rayon workers extract and detect
//! with per-thread scratch, and one aggregator (the calling thread) owns every result.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use crossbeam_channel::{Receiver, Sender, bounded};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use rayon::prelude::*;
use serde_json::json;

use crate::aggregate::group_of;
use crate::aggregate::{Batch, DetectorInfo, FileRecord, Finding, Results, WorkerSpool};
use crate::classify::{GroupImpact, combination_rows, impact_rows, kind_rows};
use crate::config::ScanConfig;
use crate::content::{Placement, RunOrigin, Segment, TextChunk};
use crate::detect::paths::FileRules;
use crate::detect::{Engine, Match, Scratch};
use crate::discover::{Disposition, Excludes, Item, walk};
use crate::error::Error;
use crate::extract::{ContentSink, INTERRUPTED, MemberRecord, Status, extract_file};
use crate::fingerprint::{Fingerprinter, key_id, mask};
use crate::people::Role;
use crate::people::names::normalize_name_parts;
use crate::people::records::record_labels;
use crate::people::resolve::{Resolution, resolve};
use crate::report::{self, Summary, SummaryCounts};
use crate::rules::{RuleSet, Severity, load_with_overrides};
use crate::schedule::LargestFirst;

/// What a finished scan hands back to the caller.
#[derive(Debug, Clone)]
pub struct ScanOutcome {
    pub summary: Summary,
    pub out_dir: PathBuf,
}

impl ScanOutcome {
    /// True when `--fail-on` was given and reached.
    pub fn failed_threshold(&self) -> bool {
        self.summary.fail_on_reached
    }
}

/// The compiled detectors and the key, shared read-only by every worker.
struct Detectors {
    engine: Engine,
    file_rules: FileRules,
    /// Content rules (by engine index) then file rules: what every finding of each shares.
    table: Vec<DetectorInfo>,
    fingerprinter: Fingerprinter,
    limits: crate::config::Limits,
    /// `--reveal`: raw matched text instead of masked values.
    reveal: bool,
    record_lines: usize,
    /// Mailboxes that are no one person's (`noreply`, `support`).
    role_mailboxes: RoleMailboxes,
    /// Engine indices of the full-name rule and of the name-part rules joined into it.
    name_rules: NameRules,
}

#[derive(Debug, Clone, Copy, Default)]
struct NameRules {
    full: Option<usize>,
    given: Option<usize>,
    family: Option<usize>,
}

impl NameRules {
    /// The full-name, given-name and family-name rules, when all three are loaded: only then
    /// are name parts joined.
    fn all(&self) -> Option<(usize, usize, usize)> {
        Some((self.full?, self.given?, self.family?))
    }

    /// Whether `rule` finds a part of a name that `join_name_parts` may join or drop: its
    /// finding's masked value and fingerprint wait until that is known (most parts on a
    /// customer table are joined, and their own values were worked out for nothing).
    fn is_joinable_part(&self, rule: usize) -> bool {
        self.all()
            .is_some_and(|(_, given, family)| rule == given || rule == family)
    }
}

/// Rules a scan takes at most: records keep a rule's index in two bytes (`StoredElement`).
const MOST_DETECTORS: usize = u16::MAX as usize + 1;

impl Detectors {
    fn new(rules: &RuleSet, config: &ScanConfig) -> Result<Detectors, Error> {
        let engine = Engine::new(rules)?;
        let file_rules = FileRules::new(rules)?;
        let text = engine.rules().iter().map(|r| {
            (
                r.id.as_str(),
                r.data_class.as_str(),
                r.kind.as_deref(),
                r.severity,
            )
        });
        let files = file_rules.rules.iter().map(|r| {
            (
                r.id.as_str(),
                r.data_class.as_str(),
                r.kind.as_deref(),
                r.severity,
            )
        });
        let people = &rules.impact.people;
        let table: Vec<DetectorInfo> = text
            .chain(files)
            .map(|(id, class, kind, severity)| DetectorInfo {
                id: Arc::from(id),
                data_class: Arc::from(class),
                kind: kind.map(Arc::from),
                severity,
                role: Role::of(people, id, kind),
            })
            .collect();
        if table.len() > MOST_DETECTORS {
            return Err(Error::Config(format!(
                "{} rules are loaded; a scan takes at most {MOST_DETECTORS}",
                table.len()
            )));
        }
        let index_of = |role: Role| {
            engine
                .rules()
                .iter()
                .position(|r| Role::of(people, &r.id, r.kind.as_deref()) == Some(role))
        };
        let name_rules = NameRules {
            full: index_of(Role::Name),
            given: index_of(Role::GivenName),
            family: index_of(Role::FamilyName),
        };
        Ok(Detectors {
            engine,
            file_rules,
            table,
            fingerprinter: Fingerprinter::new(&config.key.bytes),
            limits: config.limits.clone(),
            reveal: config.reveal,
            record_lines: config.record_lines,
            role_mailboxes: RoleMailboxes::new(&people.role_mailboxes),
            name_rules,
        })
    }
}

enum WorkerMessage {
    /// One top-level file: its own account and those of its members, and every finding in them.
    File(Box<Batch>),
    /// A worker could not write its findings spool: the scan cannot report what it found.
    SpoolFailed(std::io::Error),
}

/// Phase durations on stderr when `BREACHSCOPE_PHASE_TIMES` is set: where a long scan's time
/// goes, measured in the real process rather than guessed from a profile.
#[derive(Clone, Copy)]
struct PhaseClock {
    started: Option<Instant>,
}

impl PhaseClock {
    fn from_env() -> PhaseClock {
        PhaseClock {
            started: std::env::var_os("BREACHSCOPE_PHASE_TIMES").map(|_| Instant::now()),
        }
    }

    fn done(&self, phase: &str) {
        if let Some(started) = self.started {
            let (user, system) = cpu_seconds().unwrap_or_default();
            eprintln!(
                "phase {phase}: done at {:.3} s (CPU so far: user {user:.2} s, system {system:.2} s; peak RSS {} KiB)",
                started.elapsed().as_secs_f64(),
                peak_rss_kib().unwrap_or_default()
            );
        }
    }
}

/// The process's peak resident memory so far (`VmHWM` in `/proc/self/status`, Linux), in KiB.
/// Unlike a parent's `getrusage`, it counts nothing from before the binary started.
fn peak_rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// The process's user and system CPU time so far, from `/proc/self/stat` (Linux), in seconds
/// of 100 clock ticks.
fn cpu_seconds() -> Option<(f64, f64)> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // The command name may hold spaces: fields are counted after its closing parenthesis,
    // where the third field (state) comes first, so utime and stime (14 and 15) are 11 and 12.
    let mut fields = stat
        .get(stat.rfind(')')? + 1..)?
        .split_whitespace()
        .skip(11);
    let mut ticks = || fields.next()?.parse::<f64>().ok();
    Some((ticks()? / 100.0, ticks()? / 100.0))
}

/// Runs a whole scan and writes the report.
pub fn run(config: &ScanConfig) -> Result<ScanOutcome, Error> {
    let started = SystemTime::now();
    for root in &config.roots {
        if std::fs::symlink_metadata(root).is_err() {
            return Err(Error::Config(format!(
                "scan root {} does not exist or cannot be read",
                root.display()
            )));
        }
    }
    refuse_output_inside_roots(&config.out_dir, &config.roots)?;
    let rules = load_with_overrides(config.patterns_dir.as_deref())?;
    let detectors = Arc::new(Detectors::new(&rules, config)?);
    let excludes = Excludes::new(&config.excludes)?;
    // Kept to the end: the earlier report's files are deleted meanwhile.
    let _replaced = report::prepare_output_dir(&config.out_dir, config.force)?;
    let threads = config.threads.max(1);
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .thread_name(|i| format!("breachscope-worker-{i}"))
        .build()
        .map_err(|e| Error::Config(format!("cannot start {threads} worker threads: {e}")))?;

    // Within the window the walker runs ahead, big files start first.
    let queue = LargestFirst::new(4096);
    // Batches waiting for the aggregator hold their findings' tallies and records: a few per
    // worker absorb its jitter, more only hold memory (a queue of 1,024 reached 97 batches on
    // the 1 GiB bench share, and the walk peaked about 10 MB higher).
    let (result_tx, result_rx) = bounded::<WorkerMessage>(8 * threads);
    let stop = &config.limits.stop;
    let progress = Progress::new(config.progress);
    let mut results = Results::new(config.group_depth);
    // One private spool per worker: finding rows go to disk where they are rendered.
    let spools: Vec<std::fs::File> = (0..threads)
        .map(|_| tempfile::tempfile())
        .collect::<Result<_, _>>()
        .map_err(|e| Error::io("cannot create the findings spool", e))?;
    let worker_spools: Vec<WorkerSpool> = spools
        .iter()
        .enumerate()
        .map(|(id, file)| {
            file.try_clone().map(|file| WorkerSpool {
                id: id as u32,
                file,
                written: 0,
            })
        })
        .collect::<Result<_, _>>()
        .map_err(|e| Error::io("cannot create the findings spool", e))?;
    let mut aggregate_error = None;
    let clock = PhaseClock::from_env();
    std::thread::scope(|scope| {
        let roots = &config.roots;
        let queue = &queue;
        let pool = &pool;
        scope.spawn(move || {
            // Closed even if the walk unwinds, so workers never wait for items that won't come.
            let _close = queue.closer();
            // After a stop the walk goes on (it only reads directories) so that every file is
            // still accounted for, as not scanned.
            walk(roots, config.follow_links, &excludes, |mut item| {
                if stop.is_raised() {
                    mark_not_scanned(&mut item);
                }
                queue.push(item)
            });
        });
        let worker_detectors = Arc::clone(&detectors);
        scope.spawn(move || {
            let detectors = worker_detectors;
            // Abandoned even if a worker unwinds, so the walker never waits for room forever.
            let _abandon = queue.abandoner();
            pool.scope(|s| {
                for spool in worker_spools {
                    let tx = result_tx.clone();
                    let detectors = Arc::clone(&detectors);
                    s.spawn(move |_| worker(&detectors, queue, &tx, spool));
                }
            });
            drop(result_tx);
        });
        let table = &detectors.table;
        if let Err(e) = aggregate(&result_rx, &mut results, table, &progress) {
            // Keep draining so workers finish; the error is reported after the scope.
            config.limits.stop.raise();
            for _ in result_rx.iter() {}
            aggregate_error = Some(e);
        }
    });
    if let Some(e) = aggregate_error {
        return Err(Error::io(
            "cannot write the scan's temporary files (findings, records or distinct-value counts)",
            e,
        ));
    }
    progress.finish();
    clock.done("walk, extraction and detection");
    // Past the walk only the detector table is read: the compiled rules, and the match caches
    // each regex kept per thread (20-30 MB on a large share), are freed before the people pass.
    let table: Vec<DetectorInfo> = match Arc::try_unwrap(detectors) {
        Ok(detectors) => detectors.table,
        Err(shared) => shared.table.clone(),
    };
    pool.install(crate::memory::release_freed);
    results.sort_files();
    // Exact unique counts, taken now so their fingerprint lists are freed before the people
    // pass reaches its peak.
    pool.install(|| results.seal_tallies())
        .map_err(|e| Error::io("cannot count distinct values", e))?;
    clock.done("distinct values counted");
    // findings.csv is pure I/O and the people pass pure CPU: run them side by side.
    let groups = PathGroups::of(&results.records, results.group_depth);
    let (mut rows, records) = results.findings_and_records(spools);
    let (findings_written, resolution) = std::thread::scope(|scope| {
        let writer = scope.spawn(move || {
            rows.sort();
            let written = report::write_findings(&config.out_dir, rows);
            clock.done("findings.csv (beside the people pass)");
            written
        });
        let finished = pool.install(|| {
            let finished = records.finish();
            crate::memory::release_freed();
            finished
        });
        clock.done("records merged and ordered");
        let resolution = finished.and_then(|()| {
            let resolution = pool
                .install(|| resolve(records, &table, &rules.impact.combination, &groups.of_path))?;
            records.read_failure().map(|()| resolution)
        });
        clock.done("individuals resolved");
        (report::join_writer(writer, "findings.csv"), resolution)
    });
    findings_written?;
    let resolution =
        resolution.map_err(|e| Error::io("cannot keep the people pass's records on disk", e))?;

    let mut impact = impact_rows(&mut results.classes, &rules.impact);
    for row in &mut impact {
        if let Some(&(records, individuals)) = resolution.class_counts.get(row.data_class.as_str())
        {
            row.records = records;
            row.individuals = individuals;
        }
    }
    let combinations = combination_rows(&rules.impact.combination, &resolution.combination_counts);
    let kinds = kind_rows(&mut results.kinds, &rules.impact);
    let groups = pool.install(|| group_impact(&mut results, &resolution, &groups, &rules.impact));
    report::records_read_back(&results.records)?;
    let max_severity = impact
        .iter()
        .map(|r| r.severity)
        .chain(combinations.iter().map(|c| c.severity))
        .max();
    let fail_on_reached =
        matches!((config.fail_on, max_severity), (Some(limit), Some(worst)) if worst >= limit);
    clock.done("impact and groups");
    report::write_tables(&config.out_dir, &results, &impact, &combinations)?;
    pool.install(|| {
        report::write_people(
            &config.out_dir,
            &results,
            &resolution,
            &table,
            &rules.impact,
        )
    })?;
    clock.done("records.csv and individuals.csv");
    let summary = Summary {
        status: if stop.is_raised() {
            "interrupted"
        } else {
            "complete"
        },
        started,
        finished: SystemTime::now(),
        roots: config
            .roots
            .iter()
            .map(|r| r.display().to_string())
            .collect(),
        options: options_json(config),
        limits: config.limits.clone(),
        rules_count: rules.text_rules.len() + rules.file_rules.len(),
        rule_set_hash: rules.hash.clone(),
        key_id: key_id(&config.key.bytes),
        key_source: config.key.source,
        counts: counts(&mut results),
        not_scanned: not_scanned(&results),
        impact,
        combinations,
        kinds,
        groups,
        people: resolution.estimate.clone(),
        max_severity,
        fail_on: config.fail_on,
        fail_on_reached,
    };
    report::write_documents(&config.out_dir, &summary, &rules.impact)?;
    report::write_summary(&config.out_dir, &summary)?;
    Ok(ScanOutcome {
        summary,
        out_dir: config.out_dir.clone(),
    })
}

/// The group of each of the store's paths (`--group-by-depth`), by number.
struct PathGroups {
    names: Vec<Arc<str>>,
    of_path: Vec<u32>,
}

impl PathGroups {
    /// Each interned path's group, found once: records are then counted per group on integers.
    fn of(store: &crate::people::store::RecordStore, depth: usize) -> PathGroups {
        let mut names: Vec<Arc<str>> = Vec::new();
        let mut numbers: foldhash::HashMap<Arc<str>, u32> = foldhash::HashMapExt::new();
        let of_path = store
            .paths()
            .iter()
            .map(|path| {
                let name = group_of(path, depth);
                *numbers.entry(Arc::clone(&name)).or_insert_with(|| {
                    names.push(name);
                    names.len() as u32 - 1
                })
            })
            .collect();
        PathGroups { names, of_path }
    }
}

/// Impact rows per group, with records and individuals counted per group.
fn group_impact(
    results: &mut crate::aggregate::Results,
    resolution: &Resolution,
    groups: &PathGroups,
    model: &crate::rules::ImpactModel,
) -> Vec<GroupImpact> {
    let mut per_group: std::collections::BTreeMap<
        Arc<str>,
        std::collections::BTreeMap<Arc<str>, crate::aggregate::ClassTally>,
    > = std::collections::BTreeMap::new();
    for ((group, class), tally) in std::mem::take(&mut results.group_classes) {
        per_group.entry(group).or_default().insert(class, tally);
    }
    let mut people: HashMap<(&str, &str), (usize, usize)> = HashMap::new();
    for ((group, class), &counts) in &resolution.group_counts {
        if let Some(name) = groups.names.get(*group as usize) {
            people.insert((name, class), counts);
        }
    }
    // Each group's exact unique counts sort its own fingerprints: one group per task.
    per_group
        .into_par_iter()
        .map(|(group, mut classes)| {
            let mut rows = impact_rows(&mut classes, model);
            for row in &mut rows {
                if let Some(&(records, individuals)) =
                    people.get(&(&*group, row.data_class.as_str()))
                {
                    row.records = records;
                    row.individuals = individuals;
                }
            }
            GroupImpact {
                group: group.to_string(),
                rows,
            }
        })
        .collect()
}

fn options_json(config: &ScanConfig) -> serde_json::Value {
    json!({
        "threads": config.threads,
        "exclude": config.excludes,
        "follow_links": config.follow_links,
        "patterns": config.patterns_dir.as_ref().map(|p| p.display().to_string()),
        "fail_on": config.fail_on.map(Severity::as_str),
        "force": config.force,
        "reveal": config.reveal,
        "record_lines": config.record_lines,
        "group_by_depth": config.group_depth,
    })
}

fn counts(results: &mut Results) -> SummaryCounts {
    SummaryCounts {
        items: results.files.len(),
        scanned: results.count_status(Status::Scanned),
        skipped: results.count_status(Status::Skipped),
        error: results.count_status(Status::Error),
        encrypted: results.count_status(Status::Encrypted),
        truncated: results.count_status(Status::Truncated),
        bytes_scanned: results.bytes_scanned,
        text_bytes: results.text_bytes,
        findings: results.findings,
        unique_values: results.total_unique_values(),
    }
}

/// Items not scanned in full, counted by status and reason, most frequent first.
fn not_scanned(results: &Results) -> Vec<report::NotScanned> {
    let mut counts: std::collections::BTreeMap<(&'static str, &str), usize> = Default::default();
    for (_, file) in results
        .files
        .iter()
        .filter(|f| f.1.status != Status::Scanned)
    {
        *counts
            .entry((file.status.as_str(), file.reason.as_str()))
            .or_default() += 1;
    }
    let mut rows: Vec<report::NotScanned> = counts
        .into_iter()
        .map(|((status, reason), count)| report::NotScanned {
            status,
            reason: reason.to_string(),
            count,
        })
        .collect();
    // Stable: the map already ordered equal counts by status, then reason.
    rows.sort_by_key(|r| std::cmp::Reverse(r.count));
    rows
}

/// The output folder may not be inside a scanned root: the scan would read its own report.
fn refuse_output_inside_roots(out: &Path, roots: &[PathBuf]) -> Result<(), Error> {
    let out_abs = absolute_lenient(out);
    for root in roots {
        let Ok(root_abs) = root.canonicalize() else {
            continue;
        };
        if root_abs.is_dir() && out_abs.starts_with(&root_abs) {
            return Err(Error::Config(format!(
                "output directory {} is inside the scanned root {}; choose an --out outside it",
                out.display(),
                root.display()
            )));
        }
    }
    Ok(())
}

/// Canonical form of a path that may not exist yet: its nearest existing ancestor, canonicalised,
/// plus the remaining components.
fn absolute_lenient(path: &Path) -> PathBuf {
    let absolute = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
    let mut existing = absolute.as_path();
    let mut rest = Vec::new();
    loop {
        if let Ok(canonical) = existing.canonicalize() {
            return rest
                .iter()
                .rev()
                .fold(canonical, |acc: PathBuf, part| acc.join(part));
        }
        match (existing.parent(), existing.file_name()) {
            (Some(parent), Some(name)) => {
                rest.push(name.to_os_string());
                existing = parent;
            }
            _ => return absolute,
        }
    }
}

fn worker(
    detectors: &Detectors,
    items: &LargestFirst,
    results: &Sender<WorkerMessage>,
    mut spool: WorkerSpool,
) {
    let mut scratch = Scratch::default();
    let mut matches = Vec::new();
    let mut shared = SharedDetection::default();
    let mut findings = Vec::new();
    let mut rows = Vec::new();
    let gate = &detectors.limits.whole_documents;
    // Large PDFs put aside while the document gate is full: the worker reads other items
    // meanwhile instead of waiting, and takes them up once the gate has room, or at the end.
    let mut put_aside: std::collections::VecDeque<Item> = std::collections::VecDeque::new();
    loop {
        let ready = put_aside
            .front()
            .is_some_and(|first| gate.has_room_for(first.size));
        let taken_up = if ready { put_aside.pop_front() } else { None };
        let mut item = match taken_up {
            Some(item) => item,
            None => match items.pop() {
                Some(next) if waits_for_the_gate(&next, gate) => {
                    put_aside.push_back(next);
                    continue;
                }
                Some(next) => next,
                // The queue is done: what was put aside waits its turn at the gate.
                None => match put_aside.pop_front() {
                    Some(item) => item,
                    None => break,
                },
            },
        };
        // After a stop, queued items are still taken from the queue, to be listed unscanned.
        if detectors.limits.stop.is_raised() {
            mark_not_scanned(&mut item);
        }
        let tools = WorkerTools {
            scratch: &mut scratch,
            findings: &mut findings,
            rows: &mut rows,
            matches: &mut matches,
            shared: &mut shared,
            items,
        };
        let large = item.size >= RELEASE_AFTER_BYTES;
        if !scan_item(detectors, item, tools, results, &mut spool) {
            return;
        }
        if large {
            crate::memory::release_freed_here();
        }
    }
}

/// Whether `item` looks like a PDF (by its name) that the document gate could not take now.
/// Only PDFs are weighed before they are opened: a workbook's weight is inside it.
fn waits_for_the_gate(item: &Item, gate: &crate::gate::DocumentGate) -> bool {
    item.disposition == Disposition::Scan
        && item
            .path
            .extension()
            .is_some_and(|extension| extension.eq_ignore_ascii_case("pdf"))
        && !gate.has_room_for(item.size)
}

/// Items from this size on hand what they freed back at once (`release_freed_here`): on the
/// 1 GiB bench share, memory freed and not yet returned was 90-120 MB of the walk's peak.
const RELEASE_AFTER_BYTES: u64 = 4 << 20;

/// Turns an item not yet opened into an account of an item the stop request left unscanned.
fn mark_not_scanned(item: &mut Item) {
    if item.disposition == Disposition::Scan {
        item.disposition = Disposition::NotScanned {
            status: Status::Skipped,
            format: "",
            reason: format!("not scanned: {INTERRUPTED}"),
        };
    }
}

/// Findings a worker holds for one file before handing them on as a part.
const FINDINGS_PER_PART: usize = 16_384;

/// What a worker keeps from file to file.
struct WorkerTools<'a> {
    scratch: &'a mut Scratch,
    /// A part's findings, and its rendered rows until they are spooled: buffers kept, so their
    /// pages stay mapped.
    findings: &'a mut Vec<Finding>,
    rows: &'a mut Vec<u8>,
    matches: &'a mut Vec<Match>,
    shared: &'a mut SharedDetection,
    /// The queue, asked whether other threads are about to fall idle.
    items: &'a LargestFirst,
}

/// Chunks of one file detected on several threads at once, for the end of a scan when the
/// queue is empty and the last big files would otherwise keep one core busy and leave the
/// others idle. Each lane turns one chunk into a spooled part of its own; parts are numbered in
/// chunk order, so the report is the same as when one thread reads the file alone.
#[derive(Default)]
struct SharedDetection {
    lanes: Vec<Lane>,
    /// Chunks copied out of the extractor, waiting: `lanes[..waiting]` hold them.
    waiting: usize,
}

#[derive(Default)]
struct Lane {
    scratch: Scratch,
    matches: Vec<Match>,
    chunk: OwnedChunk,
    /// The chunk's findings as a part, spooled, until it is handed on.
    batch: Option<std::io::Result<Batch>>,
    findings: Vec<Finding>,
    rows: Vec<u8>,
    /// Findings per path in `batch`.
    counts: HashMap<Arc<str>, u64>,
}

/// A text chunk copied out of the extractor's buffers.
struct OwnedChunk {
    path: Arc<str>,
    text: Vec<u8>,
    placement: OwnedPlacement,
    report_limit: usize,
    columns: Option<crate::detect::Columns>,
    /// Position of a segment-placed chunk in its item's text.
    base: u64,
}

impl Default for OwnedChunk {
    fn default() -> Self {
        OwnedChunk {
            path: Arc::from(""),
            text: Vec::new(),
            placement: OwnedPlacement::Lines {
                first_line: 0,
                first_offset: 0,
            },
            report_limit: 0,
            columns: None,
            base: 0,
        }
    }
}

enum OwnedPlacement {
    Lines { first_line: u64, first_offset: u64 },
    Offsets(Vec<RunOrigin>),
    Segments(Vec<Segment>),
}

impl OwnedChunk {
    /// Copies `chunk` in, reusing this chunk's buffers.
    fn fill(&mut self, path: &Arc<str>, chunk: &TextChunk<'_>, base: u64) {
        self.path = Arc::clone(path);
        self.text.clear();
        self.text.extend_from_slice(chunk.text);
        self.placement = match chunk.placement {
            Placement::Lines {
                first_line,
                first_offset,
            } => OwnedPlacement::Lines {
                first_line,
                first_offset,
            },
            Placement::Offsets(runs) => OwnedPlacement::Offsets(runs.to_vec()),
            Placement::Segments(segments) => OwnedPlacement::Segments(segments.to_vec()),
        };
        self.report_limit = chunk.report_limit;
        self.columns = chunk.columns.cloned();
        self.base = base;
    }

    fn as_chunk(&self) -> TextChunk<'_> {
        TextChunk {
            text: &self.text,
            placement: match &self.placement {
                OwnedPlacement::Lines {
                    first_line,
                    first_offset,
                } => Placement::Lines {
                    first_line: *first_line,
                    first_offset: *first_offset,
                },
                OwnedPlacement::Offsets(runs) => Placement::Offsets(runs),
                OwnedPlacement::Segments(segments) => Placement::Segments(segments),
            },
            report_limit: self.report_limit,
            columns: self.columns.as_ref(),
        }
    }
}

/// Scans one item and sends its batches; false when the aggregator is gone.
fn scan_item(
    detectors: &Detectors,
    item: Item,
    tools: WorkerTools<'_>,
    results: &Sender<WorkerMessage>,
    spool: &mut WorkerSpool,
) -> bool {
    let path: Arc<str> = Arc::from(item.display.as_str());
    let mut record = FileRecord {
        path: Arc::clone(&path),
        size: item.size,
        modified: item.modified,
        format: String::new(),
        status: Status::Scanned,
        reason: String::new(),
        findings: 0,
        sha256: None,
    };
    let mut sink = WorkerSink {
        detectors,
        scratch: tools.scratch,
        findings: tools.findings,
        rows: tools.rows,
        matches: tools.matches,
        shared: tools.shared,
        items: tools.items,
        results,
        spool,
        group: Arc::clone(&path),
        part: 0,
        counts: HashMap::new(),
        text_bytes: 0,
        members: Vec::new(),
        current: Arc::clone(&path),
        bases: HashMap::new(),
        disconnected: false,
        interrupted: false,
    };
    match &item.disposition {
        Disposition::NotScanned {
            status,
            format,
            reason,
        } => {
            record.status = *status;
            record.format = (*format).to_string();
            record.reason = reason.clone();
            // File-name rules need no reading: an interrupted scan still reports key files.
            if *status == Status::Error || reason.ends_with(INTERRUPTED) {
                file_rule_findings(detectors, &path, None, sink.findings);
            }
        }
        Disposition::Scan => {
            let outcome = extract_file(&item.path, &item.display, &detectors.limits, &mut sink);
            sink.detect_waiting();
            record.format = outcome.format;
            record.status = outcome.status;
            record.reason = outcome.reason;
            record.sha256 = outcome.sha256;
            record.size = record.size.max(outcome.bytes_read);
            if sink.interrupted || record.reason.ends_with(INTERRUPTED) {
                // Findings in what was read are kept; the rest of the file was not read.
                (record.status, record.reason) = if outcome.bytes_read == 0 {
                    (Status::Skipped, format!("not scanned: {INTERRUPTED}"))
                } else {
                    (Status::Truncated, INTERRUPTED.to_string())
                };
            }
            file_rule_findings(detectors, &path, record.sha256.as_deref(), sink.findings);
        }
    }
    let mut records = std::mem::take(&mut sink.members);
    records.push(record);
    let mut batch = Batch::new(
        Arc::clone(&sink.group),
        sink.part,
        sink.findings,
        std::mem::take(sink.rows),
        &detectors.table,
        &mut sink.counts,
    );
    batch.text_bytes = sink.text_bytes;
    let batch = batch.with_records(records, &sink.counts);
    !sink.disconnected && sink.hand_over(batch)
}

/// Turns extracted content into findings for one top-level file and its members.
struct WorkerSink<'a> {
    detectors: &'a Detectors,
    scratch: &'a mut Scratch,
    matches: &'a mut Vec<Match>,
    shared: &'a mut SharedDetection,
    items: &'a LargestFirst,
    results: &'a Sender<WorkerMessage>,
    spool: &'a mut WorkerSpool,
    group: Arc<str>,
    part: u32,
    counts: HashMap<Arc<str>, u64>,
    findings: &'a mut Vec<Finding>,
    rows: &'a mut Vec<u8>,
    /// Text examined since the last part was handed over.
    text_bytes: u64,
    members: Vec<FileRecord>,
    /// The report path of the item whose text arrives, shared by its findings.
    current: Arc<str>,
    /// Per path, the position of the next segment-placed chunk, so findings keep reading order.
    bases: HashMap<Arc<str>, u64>,
    disconnected: bool,
    /// Text arrived after a stop request and was not scanned.
    interrupted: bool,
}

impl WorkerSink<'_> {
    /// Whether chunks should wait to be detected several at a time: once the queue is empty,
    /// threads fall idle while others still read big files.
    fn share_detection(&self) -> bool {
        rayon::current_num_threads() > 1 && self.items.is_drained()
    }

    /// Detects the waiting chunks on every free thread, each into a part of its own (findings
    /// sorted, rows rendered, records grouped), then hands the parts on in chunk order. Part
    /// boundaries change nothing in the report: rows are ordered by position and the parts of
    /// one record are merged.
    fn detect_waiting(&mut self) {
        let waiting = std::mem::take(&mut self.shared.waiting);
        if waiting == 0 {
            return;
        }
        // What came before the waiting chunks goes first, as its own part.
        if !self.findings.is_empty() {
            self.flush_part();
        }
        let detectors = self.detectors;
        let group = &self.group;
        let spool = &*self.spool;
        let cursor = std::sync::atomic::AtomicU64::new(spool.written);
        self.shared.lanes[..waiting]
            .par_iter_mut()
            .for_each(|lane| {
                detect_chunk(
                    detectors,
                    &lane.chunk.path,
                    lane.chunk.as_chunk(),
                    lane.chunk.base,
                    &mut lane.scratch,
                    &mut lane.matches,
                    &mut lane.findings,
                );
                let mut batch = Batch::new(
                    Arc::clone(group),
                    0,
                    &mut lane.findings,
                    std::mem::take(&mut lane.rows),
                    &detectors.table,
                    &mut lane.counts,
                );
                batch.text_bytes = lane.chunk.text.len() as u64;
                let spooled = batch
                    .spool_rows_shared(spool, &cursor)
                    .map(|rows| lane.rows = rows);
                lane.batch = Some(spooled.map(|()| batch));
            });
        self.spool.written = cursor.into_inner();
        let mut batches = Vec::with_capacity(waiting);
        for lane in &mut self.shared.lanes[..waiting] {
            for (path, n) in lane.counts.drain() {
                *self.counts.entry(path).or_default() += n;
            }
            batches.extend(lane.batch.take());
        }
        for spooled in batches {
            let numbered = spooled.map(|mut batch| {
                batch.part = self.part;
                self.part += 1;
                batch
            });
            if !self.send(numbered) {
                self.disconnected = true;
                return;
            }
        }
    }

    /// Hands the findings so far to the aggregator, keeping memory flat on huge files.
    fn flush_part(&mut self) {
        let mut batch = Batch::new(
            Arc::clone(&self.group),
            self.part,
            self.findings,
            std::mem::take(self.rows),
            &self.detectors.table,
            &mut self.counts,
        );
        batch.text_bytes = std::mem::take(&mut self.text_bytes);
        self.part += 1;
        if !self.hand_over(batch) {
            self.disconnected = true;
        }
    }

    /// Spools the batch's rows and sends the rest to the aggregator; false when it is gone or
    /// the spool cannot be written (which the aggregator is told, to fail the scan).
    fn hand_over(&mut self, mut batch: Batch) -> bool {
        let spooled = batch.spool_rows(self.spool).map(|rows| *self.rows = rows);
        self.send(spooled.map(|()| batch))
    }

    /// Sends a spooled batch, or the spool's failure; false when the aggregator is gone or the
    /// spool failed.
    fn send(&mut self, spooled: std::io::Result<Batch>) -> bool {
        let message = match spooled {
            Ok(batch) => WorkerMessage::File(Box::new(batch)),
            Err(e) => WorkerMessage::SpoolFailed(e),
        };
        let spooled = matches!(message, WorkerMessage::File(_));
        self.results.send(message).is_ok() && spooled
    }
}

impl ContentSink for WorkerSink<'_> {
    fn text(&mut self, path: &str, chunk: TextChunk<'_>) {
        if self.detectors.limits.stop.is_raised() {
            self.interrupted = true;
            return;
        }
        if &*self.current != path {
            self.current = Arc::from(path);
        }
        let path = Arc::clone(&self.current);
        let base = match chunk.placement {
            Placement::Segments(_) => {
                let base = self.bases.entry(Arc::clone(&path)).or_default();
                let here = *base;
                *base += chunk.text.len() as u64;
                here
            }
            _ => 0,
        };
        if self.shared.waiting > 0 || self.share_detection() {
            // One chunk per thread at a time: each lane holds a chunk's part until it is handed
            // on, so more lanes would cost memory on dense files.
            let lanes = rayon::current_num_threads();
            if self.shared.lanes.len() < lanes {
                self.shared.lanes.resize_with(lanes, Lane::default);
            }
            self.shared.lanes[self.shared.waiting]
                .chunk
                .fill(&path, &chunk, base);
            self.shared.waiting += 1;
            if self.shared.waiting == lanes {
                self.detect_waiting();
            }
            return;
        }
        self.text_bytes += chunk.text.len() as u64;
        detect_chunk(
            self.detectors,
            &path,
            chunk,
            base,
            self.scratch,
            self.matches,
            self.findings,
        );
        if self.findings.len() >= FINDINGS_PER_PART {
            self.flush_part();
        }
    }

    fn member(&mut self, member: MemberRecord) {
        // The member's own findings follow those of its text.
        self.detect_waiting();
        let path: Arc<str> = Arc::from(member.path.as_str());
        if matches!(
            member.status,
            Status::Scanned | Status::Truncated | Status::Encrypted | Status::Error
        ) {
            file_rule_findings(
                self.detectors,
                &path,
                member.sha256.as_deref(),
                self.findings,
            );
        }
        self.members.push(FileRecord {
            path,
            size: member.size,
            modified: member.modified,
            format: member.format,
            status: member.status,
            reason: member.reason,
            findings: 0,
            sha256: member.sha256,
        });
    }
}

fn file_rule_findings(
    detectors: &Detectors,
    path: &Arc<str>,
    sha256: Option<&str>,
    findings: &mut Vec<Finding>,
) {
    let name = path.rsplit(['/', '!']).next().unwrap_or(path).to_string();
    for (index, rule) in detectors
        .file_rules
        .rules
        .iter()
        .enumerate()
        .filter(|(_, r)| r.matches(path))
    {
        // Copies of one key file count once: the fingerprint is over the content when readable.
        let basis = match sha256 {
            Some(hash) => format!("file-sha256:{hash}"),
            None => format!("file-path:{path}"),
        };
        findings.push(Finding {
            path: Arc::clone(path),
            location: String::new(),
            line: None,
            offset: 0,
            detector: (detectors.engine.rules().len() + index) as u32,
            confidence: rule.confidence,
            masked: format!("file {name}"),
            fingerprint: detectors.fingerprinter.fingerprint(basis.as_bytes()),
            record: None,
        });
    }
}

/// Runs the engine on one chunk and turns its matches into findings.
fn detect_chunk(
    detectors: &Detectors,
    path: &Arc<str>,
    chunk: TextChunk<'_>,
    base: u64,
    scratch: &mut Scratch,
    matches: &mut Vec<Match>,
    findings: &mut Vec<Finding>,
) {
    matches.clear();
    let input = crate::detect::ChunkInput {
        text: chunk.text,
        columns: chunk.columns,
        report_limit: chunk.report_limit,
    };
    detectors.engine.scan(input, scratch, matches);
    if matches.is_empty() {
        return;
    }
    resolve_overlaps(&detectors.engine, matches);
    let records = records_of(detectors, &chunk, matches);
    let first_finding = findings.len();
    let mut line = match chunk.placement {
        Placement::Lines { first_line, .. } => first_line,
        Placement::Offsets(_) | Placement::Segments(_) => 0,
    };
    let mut counted_to = 0usize;
    let value_of = |m: &Match| {
        let masked = if detectors.reveal {
            // Forensic export (--reveal): the value exactly as it stood in the text.
            String::from_utf8_lossy(chunk.text.get(m.start..m.end).unwrap_or_default()).into_owned()
        } else {
            mask(detectors.engine.rule(m.rule).mask, &m.normalized, m.label)
        };
        (masked, detectors.fingerprinter.fingerprint(&m.normalized))
    };
    for (m, record) in matches.iter().zip(records) {
        let (location, line_number, offset) = match chunk.placement {
            Placement::Lines { first_offset, .. } => {
                line += memchr::memchr_iter(b'\n', &chunk.text[counted_to..m.start]).count() as u64;
                counted_to = m.start;
                (String::new(), Some(line), first_offset + m.start as u64)
            }
            Placement::Offsets(runs) => {
                let offset = RunOrigin::file_offset_of(runs, m.start).unwrap_or(0);
                (format!("offset {offset}"), None, offset)
            }
            Placement::Segments(segments) => match Segment::at(segments, m.start) {
                Some(segment) => {
                    let line = segment.first_line.map(|first| {
                        first
                            + memchr::memchr_iter(b'\n', &chunk.text[segment.text_start..m.start])
                                .count() as u64
                    });
                    (segment.location.clone(), line, base + m.start as u64)
                }
                None => (String::new(), None, base + m.start as u64),
            },
        };
        let (masked, fingerprint) = if detectors.name_rules.is_joinable_part(m.rule) {
            (String::new(), [0; 16])
        } else {
            value_of(m)
        };
        findings.push(Finding {
            path: Arc::clone(path),
            location,
            line: line_number,
            offset,
            detector: m.rule as u32,
            confidence: m.confidence,
            masked,
            fingerprint,
            record,
        });
    }
    join_name_parts(detectors, matches, findings, first_finding, value_of);
}

/// The record of each match whose element plays a part in telling people apart.
fn records_of(
    detectors: &Detectors,
    chunk: &TextChunk<'_>,
    matches: &[Match],
) -> Vec<Option<Arc<str>>> {
    // Documented test values (low confidence) and shared mailboxes belong to no one.
    // Decided once per match: the mailbox test searches the value.
    let in_record: Vec<bool> = matches
        .iter()
        .map(|m| {
            detectors.table[m.rule].role.is_some()
                && m.confidence != crate::rules::Confidence::Low
                && !detectors.role_mailboxes.holds(&m.normalized)
        })
        .collect();
    let people: Vec<usize> = matches
        .iter()
        .zip(&in_record)
        .filter(|&(_, &kept)| kept)
        .map(|(m, _)| m.start)
        .collect();
    let mut records = Vec::with_capacity(matches.len());
    if people.is_empty() {
        records.resize(matches.len(), None);
        return records;
    }
    let mut labels = record_labels(chunk, &people, detectors.record_lines).into_iter();
    for &kept in &in_record {
        records.push(if kept { labels.next() } else { None });
    }
    split_lists(detectors, matches, &mut records);
    records
}

/// Lower-case local parts of mailboxes that are no one person's (`noreply`, `support`).
struct RoleMailboxes {
    locals: foldhash::HashSet<Vec<u8>>,
    longest: usize,
}

impl RoleMailboxes {
    fn new(mailboxes: &[String]) -> RoleMailboxes {
        let locals: foldhash::HashSet<Vec<u8>> = mailboxes
            .iter()
            .map(|m| m.to_ascii_lowercase().into_bytes())
            .collect();
        let longest = locals.iter().map(Vec::len).max().unwrap_or(0);
        RoleMailboxes { locals, longest }
    }

    /// `noreply@…`, `support+x@…`: an address of a shared or system mailbox. Asked of every
    /// e-mail address found (1.8 million on the 1 GiB bench share), so most are told apart by
    /// their length, and the rest lower-cased on the stack.
    fn holds(&self, value: &[u8]) -> bool {
        let Some(at) = memchr::memchr(b'@', value) else {
            return false;
        };
        let local = &value[..at];
        let local = memchr::memchr(b'+', local).map_or(local, |plus| &local[..plus]);
        if local.len() > self.longest {
            return false;
        }
        let mut on_stack = [0u8; 64];
        match on_stack.get_mut(..local.len()) {
            Some(lower) => {
                lower.copy_from_slice(local);
                lower.make_ascii_lowercase();
                self.locals.contains(&*lower)
            }
            None => self.locals.contains(&local.to_ascii_lowercase()),
        }
    }
}

/// A "record" that holds two SSNs, or nothing but several cards or accounts (`jcb=… diners=…`,
/// `iban=… beneficiary=…`), lists several people: each value becomes its own record.
fn split_lists(detectors: &Detectors, matches: &[Match], records: &mut [Option<Arc<str>>]) {
    let mut start = 0;
    while start < matches.len() {
        let mut end = start + 1;
        while end < matches.len() && records[start].is_some() && records[end] == records[start] {
            end += 1;
        }
        let run = start..end;
        start = end;
        let Some(label) = records[run.start].clone() else {
            continue;
        };
        let members: Vec<&Match> = run.clone().map(|i| &matches[i]).collect();
        let distinct_values_of = |rule: usize| {
            let mut values: Vec<&[u8]> = members
                .iter()
                .filter(|m| m.rule == rule)
                .map(|m| m.normalized.as_slice())
                .collect();
            values.sort_unstable();
            values.dedup();
            values.len()
        };
        let role = |m: &Match| detectors.table[m.rule].role;
        let two_primaries = members
            .iter()
            .any(|m| role(m) == Some(Role::Primary) && distinct_values_of(m.rule) > 1);
        let one_linking_kind = members
            .iter()
            .all(|m| role(m) == Some(Role::Linking) && m.rule == members[0].rule)
            && distinct_values_of(members[0].rule) > 1;
        if two_primaries || one_linking_kind {
            for (n, i) in run.enumerate() {
                records[i] = Some(Arc::from(format!("{label} #{}", n + 1)));
            }
        }
    }
}

/// A given name and a family name in one record are one full name: the given-name finding
/// becomes a full-name finding (fingerprinted as the whole name), the family-name one goes.
/// `matches` are the chunk's matches in order, `findings[from..]` their findings; the name parts
/// that stay as they are get their masked value and fingerprint from `value_of` here.
fn join_name_parts(
    detectors: &Detectors,
    matches: &[Match],
    findings: &mut Vec<Finding>,
    from: usize,
    value_of: impl Fn(&Match) -> (String, [u8; 16]),
) {
    let Some((full, given, family)) = detectors.name_rules.all() else {
        return;
    };
    if !matches.iter().any(|m| m.rule == given || m.rule == family) {
        return;
    }
    let mut settled = vec![false; matches.len()];
    let mut dropped = vec![false; matches.len()];
    let mut run_start = 0;
    // The matches of one record stand next to each other: a row, an object, a block.
    while run_start < matches.len() {
        let record = findings[from + run_start].record.clone();
        let mut run_end = run_start + 1;
        while run_end < matches.len()
            && record.is_some()
            && findings[from + run_end].record == record
        {
            run_end += 1;
        }
        let run = run_start..run_end;
        run_start = run_end;
        let position = |rule: usize| run.clone().find(|&i| matches[i].rule == rule);
        let (Some(g), Some(f), None) = (position(given), position(family), position(full)) else {
            continue;
        };
        let Some(name) = normalize_name_parts(&matches[g].normalized, &matches[f].normalized)
        else {
            continue;
        };
        let finding = &mut findings[from + g];
        finding.detector = full as u32;
        finding.masked = if detectors.reveal {
            String::from_utf8_lossy(&name).into_owned()
        } else {
            mask(detectors.engine.rule(full).mask, &name, None)
        };
        finding.fingerprint = detectors.fingerprinter.fingerprint(&name);
        settled[g] = true;
        dropped[f] = true;
    }
    for (i, m) in matches.iter().enumerate() {
        if (m.rule == given || m.rule == family) && !settled[i] && !dropped[i] {
            let finding = &mut findings[from + i];
            (finding.masked, finding.fingerprint) = value_of(m);
        }
    }
    // The chunk's findings are compacted where they stand, in order: a copy of them per chunk
    // was pages to fault in again and again.
    let mut kept = from;
    for read in from..findings.len() {
        if !dropped.get(read - from).copied().unwrap_or(false) {
            findings.swap(kept, read);
            kept += 1;
        }
    }
    findings.truncate(kept);
}

/// Where two rules of one data class claim overlapping text, keeps one finding: the more
/// confident, then the longer, then the rule listed first (specific rules precede generic ones).
fn resolve_overlaps(engine: &Engine, matches: &mut Vec<Match>) {
    // The engine hands its matches over as a few runs already in order (the cells row by row,
    // then each rule's own): a stable sort finds those runs and merges them, where an unstable
    // one sorted everything anew (1.3 % of a scan's instructions under callgrind).
    matches.sort_by(|a, b| {
        a.start
            .cmp(&b.start)
            .then(a.end.cmp(&b.end))
            .then(a.rule.cmp(&b.rule))
    });
    // The matches kept so far are `matches[..kept]`, built where they stand (a new list per
    // chunk was pages to fault in again and again); what is left behind them is dropped.
    let mut kept = 0;
    // Most matches overlap nothing: once past the furthest end so far, skip the search.
    let mut furthest_end = 0usize;
    for read in 0..matches.len() {
        let m = &matches[read];
        let clash = if m.start >= furthest_end {
            None
        } else {
            let class = &engine.rule(m.rule).data_class;
            matches[..kept]
                .iter()
                .rposition(|k| k.end > m.start && &engine.rule(k.rule).data_class == class)
        };
        furthest_end = furthest_end.max(m.end);
        match clash {
            None => {
                matches.swap(kept, read);
                kept += 1;
            }
            Some(i) => {
                let rank = |m: &Match| (m.confidence, m.end - m.start, std::cmp::Reverse(m.rule));
                if rank(&matches[read]) > rank(&matches[i]) {
                    matches.swap(i, read);
                }
            }
        }
    }
    matches.truncate(kept);
    // Nearly in order already: the loop above only swaps a better match into its place.
    matches.sort_by_key(|m| (m.start, m.rule));
}

fn aggregate(
    rx: &Receiver<WorkerMessage>,
    results: &mut Results,
    table: &[DetectorInfo],
    progress: &Progress,
) -> std::io::Result<()> {
    for message in rx.iter() {
        match message {
            WorkerMessage::File(batch) => {
                // Bytes of the top-level file; members are inside those bytes.
                if let Some(top) = batch
                    .records
                    .iter()
                    .flatten()
                    .find(|r| r.path == batch.group)
                    && matches!(top.status, Status::Scanned | Status::Truncated)
                {
                    results.bytes_scanned += top.size;
                }
                results.add(*batch, table)?;
                progress.update(results.files.len(), results.bytes_scanned, results.findings);
            }
            WorkerMessage::SpoolFailed(e) => return Err(e),
        }
    }
    Ok(())
}

/// A progress line on stderr when it is a terminal.
struct Progress {
    bar: Option<ProgressBar>,
    started: Instant,
}

impl Progress {
    fn new(enabled: bool) -> Self {
        let bar = enabled.then(|| {
            let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr_with_hz(4));
            bar.set_style(
                ProgressStyle::with_template("{spinner} {msg}")
                    .unwrap_or_else(|_| ProgressStyle::default_spinner()),
            );
            bar.enable_steady_tick(Duration::from_millis(250));
            bar
        });
        Progress {
            bar,
            started: Instant::now(),
        }
    }

    fn update(&self, files: usize, bytes: u64, findings: usize) {
        if let Some(bar) = &self.bar {
            let seconds = self.started.elapsed().as_secs_f64().max(0.001);
            bar.set_message(format!(
                "{files} files, {:.1} MiB, {findings} findings, {:.1} MiB/s",
                bytes as f64 / 1048576.0,
                bytes as f64 / 1048576.0 / seconds
            ));
        }
    }

    fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}

/// Loads the rule set a scan would use, for `rules list` and `rules check`.
pub fn load_rules(patterns_dir: Option<&Path>) -> Result<RuleSet, Error> {
    load_with_overrides(patterns_dir)
}
