//! The single owner of results: collects file accounts and findings from the workers, keeps
//! exact per-class tallies and the index of the finding rows the workers spooled to disk, so
//! memory does not grow with the number of findings.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fs::File;
use std::io::{self, BufWriter, Read, Seek, SeekFrom, Write};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::SystemTime;

use crate::distinct::{DistinctSet, Spill, count_distinct};
use crate::extract::Status;
use crate::people::Role;
use crate::people::store::RecordStore;
use crate::report::{neutralise, push_csv_cell};
use crate::report_file::ReportFile;
use crate::rules::{Confidence, Severity};

/// What every finding of one detector shares.
#[derive(Debug, Clone)]
pub struct DetectorInfo {
    pub id: Arc<str>,
    pub data_class: Arc<str>,
    pub kind: Option<Arc<str>>,
    pub severity: Severity,
    /// What the element does for telling people apart; None: it makes no records.
    pub role: Option<Role>,
}

/// One occurrence of a detected value; the raw value is already gone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    pub path: Arc<str>,
    pub location: String,
    pub line: Option<u64>,
    /// Byte offset in the decoded text (or file), only to order findings on one line.
    pub offset: u64,
    /// Index into the run's detector table.
    pub detector: u32,
    pub confidence: Confidence,
    pub masked: String,
    pub fingerprint: [u8; 16],
    /// The record (row, object, labelled block) within `path`, for people-related elements.
    pub record: Option<Arc<str>>,
}

/// The account of one file or member.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileRecord {
    pub path: Arc<str>,
    pub size: u64,
    pub modified: Option<SystemTime>,
    pub format: String,
    pub status: Status,
    pub reason: String,
    pub findings: u64,
    pub sha256: Option<String>,
}

/// What a worker hands over for (part of) one top-level file and its members: accounts (with
/// the last part), the finding rows already rendered and sorted, and the facts the tallies need.
/// A file with very many findings arrives in several parts, so no worker holds them all.
#[derive(Debug)]
pub struct Batch {
    /// The top-level file's path: output is ordered by it first.
    pub group: Arc<str>,
    /// 0, 1, 2 … for the parts of one group.
    pub part: u32,
    /// Present on the last part only.
    pub records: Option<Vec<FileRecord>>,
    /// The rendered findings.csv rows, until the worker writes them to its spool (which hands
    /// the buffer back for the next part).
    pub rows: Vec<u8>,
    /// Where the worker wrote `rows`: its spool and the offset there.
    pub spooled_at: (u32, u64),
    /// Findings grouped by record, for the people-related elements, already in the store's
    /// compact form so the aggregator appends them in a few copies.
    pub people: RecordStore,
    /// Rows of one path each: (path, first offset, byte range in `rows`).
    pub segments: Vec<(Arc<str>, u64, std::ops::Range<usize>)>,
    pub tallies: Vec<Tally>,
    /// Bytes of extracted text the worker examined for this part.
    pub text_bytes: u64,
}

/// The people-related findings of one record (or of its part in one batch).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordPart {
    /// The top-level file, which orders output first.
    pub group: Arc<str>,
    pub path: Arc<str>,
    /// Unique within `path`: `line 7`, `lines 3-5`, `table t row 17`, `$[2]`.
    pub record: Arc<str>,
    /// The place of its first finding, and that finding's position (for reading order).
    pub location: String,
    pub offset: u64,
    /// Distinct elements, sorted.
    pub elements: Vec<RecordElement>,
}

/// One distinct value in a record.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct RecordElement {
    pub detector: u32,
    pub fingerprint: [u8; 16],
    pub masked: String,
}

/// Groups findings that carry a record into record parts, in reading order; `findings` is
/// left empty.
fn record_parts(group: &Arc<str>, findings: &mut Vec<Finding>) -> Vec<RecordPart> {
    // At most one part per finding: reserved once, not grown (and copied) part by part.
    let mut parts: Vec<RecordPart> = Vec::with_capacity(findings.len());
    // Hashed only when a finding's record is not the one before it (a row's findings come
    // together, sharing their labels): foldhash, not SipHash (the keys are our own paths and
    // labels).
    let mut index_of: foldhash::HashMap<(Arc<str>, Arc<str>), usize> = foldhash::HashMapExt::new();
    let mut last: Option<usize> = None;
    for at in 0..findings.len() {
        let Some(record) = findings[at].record.take() else {
            continue;
        };
        let path = &findings[at].path;
        let same_as_last = last.filter(|&i| {
            Arc::ptr_eq(&parts[i].path, path) && Arc::ptr_eq(&parts[i].record, &record)
        });
        let index = match same_as_last {
            Some(i) => i,
            None => *index_of
                .entry((Arc::clone(path), Arc::clone(&record)))
                .or_insert_with(|| {
                    // A record's findings mostly stand together: the run that starts here sizes
                    // its list once (growing it element by element was 1.2 % of the walk).
                    let run = 1 + findings[at + 1..]
                        .iter()
                        .take_while(|f| f.record.as_ref() == Some(&record) && f.path == *path)
                        .count();
                    parts.push(RecordPart {
                        group: Arc::clone(group),
                        path: Arc::clone(path),
                        record,
                        location: String::new(),
                        offset: u64::MAX,
                        elements: Vec::with_capacity(run),
                    });
                    parts.len() - 1
                }),
        };
        last = Some(index);
        let finding = &mut findings[at];
        let part = &mut parts[index];
        if finding.offset < part.offset {
            part.offset = finding.offset;
            part.location = std::mem::take(&mut finding.location);
        }
        part.elements.push(RecordElement {
            detector: finding.detector,
            fingerprint: finding.fingerprint,
            masked: std::mem::take(&mut finding.masked),
        });
    }
    findings.clear();
    for part in &mut parts {
        part.elements.sort();
        part.elements
            .dedup_by(|a, b| a.detector == b.detector && a.fingerprint == b.fingerprint);
    }
    // In the order the store gives records in the end, so that ordering reads their elements
    // back from its spill in order, a window at a time, and not one record at a time.
    parts.sort_unstable_by(|a, b| {
        (&a.path, a.offset, &a.record).cmp(&(&b.path, b.offset, &b.record))
    });
    parts
}

/// One finding as the tallies see it.
#[derive(Debug, Clone)]
pub struct Tally {
    pub detector: u32,
    pub fingerprint: [u8; 16],
    pub path: Arc<str>,
}

impl Batch {
    /// Sorts `findings` into reading order (path, then position), renders them as findings.csv
    /// rows into `rows` (cleared first) and counts them per path into `counts`. `findings` is
    /// left empty: the caller's buffers keep their capacity from part to part, since the pages
    /// of new ones had to be faulted in again each time (over a million page faults on the
    /// 1 GiB bench share).
    pub fn new(
        group: Arc<str>,
        part: u32,
        findings: &mut Vec<Finding>,
        mut rows: Vec<u8>,
        detectors: &[DetectorInfo],
        counts: &mut HashMap<Arc<str>, u64>,
    ) -> Batch {
        // Most findings of a batch share one path: compare the pointers before the strings.
        findings.sort_by(|a, b| {
            let paths = if Arc::ptr_eq(&a.path, &b.path) {
                std::cmp::Ordering::Equal
            } else {
                a.path.cmp(&b.path)
            };
            paths.then_with(|| {
                (a.offset, a.detector, a.fingerprint).cmp(&(b.offset, b.detector, b.fingerprint))
            })
        });
        let mut tallies = Vec::with_capacity(findings.len());
        let mut segments: Vec<(Arc<str>, u64, std::ops::Range<usize>)> = Vec::new();
        rows.clear();
        // Findings of one path stand together: each segment counts its findings, and the
        // per-path totals are updated once per segment, not once per finding.
        let mut segment_findings: Vec<u64> = Vec::new();
        let mut path_cell = PathCell::default();
        for finding in findings.iter() {
            tallies.push(Tally {
                detector: finding.detector,
                fingerprint: finding.fingerprint,
                path: Arc::clone(&finding.path),
            });
            let start = rows.len();
            render_row(
                &mut rows,
                finding,
                &detectors[finding.detector as usize],
                &mut path_cell,
            );
            match (segments.last_mut(), segment_findings.last_mut()) {
                (Some((path, _, range)), Some(n)) if *path == finding.path => {
                    range.end = rows.len();
                    *n += 1;
                }
                _ => {
                    segments.push((Arc::clone(&finding.path), finding.offset, start..rows.len()));
                    segment_findings.push(1);
                }
            }
        }
        for ((path, _, _), n) in segments.iter().zip(segment_findings) {
            *counts.entry(Arc::clone(path)).or_default() += n;
        }
        let mut people = RecordStore::default();
        for part in record_parts(&group, findings) {
            // Masked values are kept only for what individuals.csv lists: names and identifiers.
            people.push(&part, |d| {
                detectors
                    .get(d as usize)
                    .and_then(|info| info.role)
                    .is_some_and(Role::identifies)
            });
        }
        Batch {
            group,
            part,
            records: None,
            rows,
            spooled_at: (0, 0),
            people,
            segments,
            tallies,
            text_bytes: 0,
        }
    }

    /// Writes the rows to the worker's own spool, so finding rows never pass through the
    /// aggregator and spooling runs on every worker; returns the rows' buffer, for the next part.
    pub fn spool_rows(&mut self, spool: &mut WorkerSpool) -> io::Result<Vec<u8>> {
        let cursor = AtomicU64::new(spool.written);
        let rows = self.spool_rows_shared(spool, &cursor)?;
        spool.written = cursor.into_inner();
        Ok(rows)
    }

    /// Writes the rows at a place of their own in the worker's spool, taken from `cursor`:
    /// threads that help the worker with a big file spool their parts side by side. The batch
    /// keeps no rows afterwards, written or not; once written, their buffer comes back for the
    /// next part.
    pub fn spool_rows_shared(
        &mut self,
        spool: &WorkerSpool,
        cursor: &AtomicU64,
    ) -> io::Result<Vec<u8>> {
        use std::os::unix::fs::FileExt;
        let rows = std::mem::take(&mut self.rows);
        let at = cursor.fetch_add(rows.len() as u64, Ordering::Relaxed);
        spool.file.write_all_at(&rows, at)?;
        self.spooled_at = (spool.id, at);
        Ok(rows)
    }

    /// The last part: adds the accounts, with their finding counts.
    pub fn with_records(
        mut self,
        mut records: Vec<FileRecord>,
        counts: &HashMap<Arc<str>, u64>,
    ) -> Batch {
        for record in &mut records {
            record.findings = counts.get(&record.path).copied().unwrap_or(0);
            if record.findings == 0 {
                // Hashes are evidence for files that matter; the rest would only bloat the report.
                record.sha256 = None;
            }
        }
        self.records = Some(records);
        self
    }
}

/// The path cell of the last row rendered: the findings of a batch come sorted by path, so most
/// rows repeat the one before's, and checking it for quoting once is enough.
#[derive(Default)]
struct PathCell {
    path: Option<Arc<str>>,
    cell: Vec<u8>,
}

/// Appends one findings.csv row. Written by hand because it runs once per finding: no writer,
/// no cell strings; quoting is the csv crate's (`QuoteStyle::Necessary`), which a test pins.
fn render_row(rows: &mut Vec<u8>, finding: &Finding, detector: &DetectorInfo, last: &mut PathCell) {
    let same = last
        .path
        .as_ref()
        .is_some_and(|p| Arc::ptr_eq(p, &finding.path) || **p == *finding.path);
    if !same {
        last.cell.clear();
        push_csv_cell(&mut last.cell, &neutralise(&finding.path));
        last.path = Some(Arc::clone(&finding.path));
    }
    rows.extend_from_slice(&last.cell);
    rows.push(b',');
    push_csv_cell(rows, &neutralise(&finding.location));
    rows.push(b',');
    if let Some(line) = finding.line {
        // Digits need no quoting.
        rows.extend_from_slice(itoa::Buffer::new().format(line).as_bytes());
    }
    rows.push(b',');
    push_csv_cell(rows, &neutralise(&detector.id));
    rows.push(b',');
    push_csv_cell(rows, &neutralise(&detector.data_class));
    rows.push(b',');
    rows.extend_from_slice(finding.confidence.as_str().as_bytes());
    rows.push(b',');
    push_csv_cell(rows, &neutralise(&finding.masked));
    rows.push(b',');
    let mut hex = [0u8; 32];
    // 16 bytes always fit 32 hex digits: this cannot fail.
    if hex::encode_to_slice(finding.fingerprint, &mut hex).is_ok() {
        rows.extend_from_slice(&hex);
    }
    rows.push(b'\n');
}

/// Exact tallies for one data class.
#[derive(Debug, Default)]
pub struct ClassTally {
    pub findings: usize,
    values: DistinctSet,
    /// The distinct count once `seal` has freed the values.
    sealed: Option<usize>,
    pub files: usize,
    pub severity: Option<Severity>,
    pub detectors: BTreeSet<Arc<str>>,
    pub kinds: BTreeSet<Arc<str>>,
}

impl ClassTally {
    /// Counts findings of `detector` with these values (files are counted by the caller).
    fn count(&mut self, detector: &DetectorInfo, fingerprints: impl Iterator<Item = [u8; 16]>) {
        for fingerprint in fingerprints {
            self.add(fingerprint);
        }
        self.note_detector(detector);
    }

    /// Counts `findings` more findings of `detector` without keeping their values: a class's
    /// distinct values are counted from its groups' lists when sealing.
    fn count_findings(&mut self, detector: &DetectorInfo, findings: usize) {
        self.findings += findings;
        self.note_detector(detector);
    }

    /// The severity, detector and kind a finding of `detector` adds.
    fn note_detector(&mut self, detector: &DetectorInfo) {
        self.severity = self.severity.max(Some(detector.severity));
        if !self.detectors.contains(&detector.id) {
            self.detectors.insert(Arc::clone(&detector.id));
        }
        if let Some(kind) = &detector.kind
            && !self.kinds.contains(kind)
        {
            self.kinds.insert(Arc::clone(kind));
        }
    }

    fn add(&mut self, fingerprint: [u8; 16]) {
        debug_assert!(
            self.sealed.is_none(),
            "a value counted after the tally was sealed"
        );
        self.findings += 1;
        self.values.insert(fingerprint);
    }

    /// Distinct values (by fingerprint), once `Results::seal_tallies` has counted them.
    pub fn unique_values(&self) -> usize {
        debug_assert!(self.sealed.is_some(), "distinct values read before sealing");
        self.sealed.unwrap_or(0)
    }

    /// Counts the distinct values and frees them: nothing is counted after the walk, and the
    /// people pass that follows needs the memory.
    fn seal(&mut self, spill: &Spill) -> io::Result<()> {
        self.sealed = Some(self.values.count(spill)?);
        self.values = DistinctSet::default();
        Ok(())
    }
}

/// One worker's private file of finding rows, written front to back.
pub struct WorkerSpool {
    pub id: u32,
    pub file: File,
    pub written: u64,
}

/// A run of finding rows in a spool: (group, path, first offset, part, (spool, offset), length).
type SpooledRows = (Arc<str>, Arc<str>, u64, u32, (u32, u64), u64);
/// The finding rows spooled by the workers, with the spools, for ordering and copying out.
pub struct FindingRows<'a> {
    /// The workers' spools, closed (and their disk space freed) with the rows.
    spools: Vec<File>,
    segments: &'a mut Vec<SpooledRows>,
}

impl FindingRows<'_> {
    /// By top-level file, then path, then position in the file.
    pub fn sort(&mut self) {
        self.segments
            .sort_by(|a, b| (&a.0, &a.1, a.2, a.3).cmp(&(&b.0, &b.1, b.2, b.3)));
    }

    /// Copies the rows, in order, to `out`: file to file in the kernel (`copy_file_range`)
    /// where the system allows it, so 800 MB of rows never pass through this process. The
    /// spools are emptied behind the copy (`release_copied`), so the rows go out once.
    pub fn copy_to(self, out: &mut BufWriter<ReportFile>) -> io::Result<()> {
        out.flush()?;
        let out = out.get_mut();
        let mut runs = self.segments.iter().map(|s| (s.4, s.5)).peekable();
        while let Some(((spool, offset), mut len)) = runs.next() {
            // Runs that follow each other in one spool go out in one copy.
            while let Some(&((next_spool, next), next_len)) = runs.peek() {
                if next_spool != spool || next != offset + len {
                    break;
                }
                len += next_len;
                runs.next();
            }
            let mut file = self
                .spools
                .get(spool as usize)
                .ok_or_else(|| io::Error::other("a findings spool is missing"))?;
            file.seek(SeekFrom::Start(offset))?;
            let end = offset + len;
            let mut at = offset;
            while at < end {
                let piece = (end - at).min(COPY_PIECE);
                let copied = io::copy(&mut (&mut file).take(piece), &mut out.file())?;
                out.wrote(copied);
                if copied != piece {
                    return Err(io::Error::new(
                        io::ErrorKind::UnexpectedEof,
                        "the findings spool is shorter than its index",
                    ));
                }
                release_copied(file, at, piece);
                at += piece;
            }
        }
        Ok(())
    }
}

/// Rows copied out at once before the spool's pages behind them are given back.
const COPY_PIECE: u64 = 8 << 20;

/// Gives back the page cache behind rows already copied out, so the copy's own pages come
/// from memory just freed rather than fresh from the system, which on a virtual machine
/// costs a fault in the host per page (`cp` of findings.csv: 0.2 s into freed pages, up to
/// 2.3 s into fresh ones). Where the file system cannot punch holes, the pages stay until
/// the spool is closed, as before.
fn release_copied(file: &File, offset: u64, len: u64) {
    #[cfg(target_os = "linux")]
    {
        use rustix::fs::{FallocateFlags, fallocate};
        let punch = FallocateFlags::PUNCH_HOLE | FallocateFlags::KEEP_SIZE;
        // A file system without holes keeps the pages until the spool closes: no harm done.
        let _ = fallocate(file, punch, offset, len);
    }
    #[cfg(not(target_os = "linux"))]
    let _ = (file, offset, len);
}

/// A data class and a path that holds it.
type ClassPath = (Arc<str>, Arc<str>);

/// Everything a scan produced.
pub struct Results {
    pub files: Vec<(Arc<str>, FileRecord)>,
    pub bytes_scanned: u64,
    /// Extracted text examined (decoded, decompressed, unpacked), which is what detection reads.
    pub text_bytes: u64,
    pub findings: usize,
    pub classes: BTreeMap<Arc<str>, ClassTally>,
    /// Per credential kind.
    pub kinds: BTreeMap<Arc<str>, ClassTally>,
    /// Per (group, class), the group being the first `group_depth` path components.
    pub group_classes: BTreeMap<(Arc<str>, Arc<str>), ClassTally>,
    pub group_depth: usize,
    /// Every record with people-related findings; merged and ordered by `sort`.
    pub records: RecordStore,
    segments: Vec<SpooledRows>,
    /// (class, path) pairs already counted, per group still in progress.
    files_seen: HashMap<Arc<str>, BTreeSet<ClassPath>>,
    /// Where the tallies' values go when they outgrow `TALLY_BUDGET`.
    spill: Spill,
    /// Values counted into the tallies since they last spilled.
    since_spill: usize,
    /// `TALLY_BUDGET`, but for tests.
    tally_budget: usize,
}

/// Values the tallies hold in memory, all together, before they go to disk: 16 MiB (and as
/// much again while their lists double). Without a bound, a 1 GiB share's tallies held 115 MB
/// of fingerprints; at 32 MiB they were the walk's largest holder.
const TALLY_BUDGET: usize = 1 << 20;

impl Results {
    /// An empty result set; finding rows stay in the workers' spools.
    pub fn new(group_depth: usize) -> Results {
        Results {
            files: Vec::new(),
            bytes_scanned: 0,
            text_bytes: 0,
            findings: 0,
            classes: BTreeMap::new(),
            kinds: BTreeMap::new(),
            group_classes: BTreeMap::new(),
            group_depth,
            records: RecordStore::spilling(),
            segments: Vec::new(),
            files_seen: HashMap::new(),
            spill: Spill::default(),
            since_spill: 0,
            tally_budget: TALLY_BUDGET,
        }
    }

    /// Adds one worker's batch. Fails only when the tallies or the records cannot spill to
    /// disk.
    pub fn add(&mut self, batch: Batch, detectors: &[DetectorInfo]) -> io::Result<()> {
        let (spool, base) = batch.spooled_at;
        for (path, first_offset, range) in &batch.segments {
            let len = (range.end - range.start) as u64;
            self.segments.push((
                Arc::clone(&batch.group),
                Arc::clone(path),
                *first_offset,
                batch.part,
                (spool, base + range.start as u64),
                len,
            ));
        }
        self.text_bytes += batch.text_bytes;
        let seen = self.files_seen.entry(Arc::clone(&batch.group)).or_default();
        // Members belong to the group of their top-level file: one group per batch.
        let group = group_of(&batch.group, self.group_depth);
        // File counts: each (class or kind, path) pair of the batch is looked up once. Tallies
        // come in path order, so the names already met on the current path are a short list.
        let mut new_files: Vec<(&Arc<str>, usize)> = Vec::new();
        let mut current_path: Option<&Arc<str>> = None;
        let mut names_on_path: Vec<&Arc<str>> = Vec::new();
        for tally in &batch.tallies {
            if current_path != Some(&tally.path) {
                current_path = Some(&tally.path);
                names_on_path.clear();
            }
            let detector = &detectors[tally.detector as usize];
            // Kind names (cloud_key, password) and class names (credential) never coincide, so
            // one set of (name, path) serves both.
            for name in std::iter::once(&detector.data_class).chain(detector.kind.as_ref()) {
                if names_on_path.contains(&name) {
                    continue;
                }
                names_on_path.push(name);
                if seen.insert((Arc::clone(name), Arc::clone(&tally.path))) {
                    match new_files.iter_mut().find(|(n, _)| *n == name) {
                        Some((_, count)) => *count += 1,
                        None => new_files.push((name, 1)),
                    }
                }
            }
        }
        // Findings and values: per detector, so each tally map is touched once per detector.
        let mut by_detector: Vec<(u32, [u8; 16])> = batch
            .tallies
            .iter()
            .map(|t| (t.detector, t.fingerprint))
            .collect();
        by_detector.sort_unstable_by_key(|&(d, _)| d);
        for run in by_detector.chunk_by(|a, b| a.0 == b.0) {
            let detector = &detectors[run[0].0 as usize];
            let fingerprints = run.iter().map(|&(_, f)| f);
            self.classes
                .entry(Arc::clone(&detector.data_class))
                .or_default()
                .count_findings(detector, run.len());
            self.group_classes
                .entry((Arc::clone(&group), Arc::clone(&detector.data_class)))
                .or_default()
                .count(detector, fingerprints.clone());
            self.since_spill += run.len();
            if let Some(kind) = &detector.kind {
                self.kinds
                    .entry(Arc::clone(kind))
                    .or_default()
                    .count(detector, fingerprints);
                self.since_spill += run.len();
            }
        }
        for (name, files) in new_files {
            if let Some(tally) = self.classes.get_mut(&**name) {
                tally.files += files;
                self.group_classes
                    .entry((Arc::clone(&group), Arc::clone(name)))
                    .or_default()
                    .files += files;
            }
            if let Some(tally) = self.kinds.get_mut(&**name) {
                tally.files += files;
            }
        }
        self.findings += batch.tallies.len();
        self.records.append(batch.people)?;
        if let Some(records) = batch.records {
            self.files_seen.remove(&batch.group);
            self.files
                .extend(records.into_iter().map(|r| (Arc::clone(&batch.group), r)));
        }
        if self.since_spill > self.tally_budget {
            self.spill_tallies()?;
        }
        Ok(())
    }

    /// Moves every tally's values to disk: all at once, so a scan's runs stay few.
    fn spill_tallies(&mut self) -> io::Result<()> {
        for tally in self
            .group_classes
            .values_mut()
            .chain(self.kinds.values_mut())
        {
            tally.values.spill(&self.spill)?;
        }
        self.since_spill = 0;
        // The lists just freed are the budget's worth and more (their last copies as they
        // doubled); the allocator would keep them for a second while the next ones grow.
        crate::memory::release_freed_here();
        Ok(())
    }

    /// Orders files by top-level file, then path, so the same input gives the same bytes.
    /// Finding rows and records are ordered by their own owners (`FindingRows::sort`,
    /// `RecordStore::finish`), which the scan runs side by side.
    pub fn sort_files(&mut self) {
        self.files
            .sort_by(|a, b| (&a.0, &a.1.path).cmp(&(&b.0, &b.1.path)));
    }

    /// The spooled finding rows and the records, borrowed apart so that findings.csv can be
    /// written while the records are resolved.
    pub fn findings_and_records(
        &mut self,
        spools: Vec<File>,
    ) -> (FindingRows<'_>, &mut RecordStore) {
        (
            FindingRows {
                spools,
                segments: &mut self.segments,
            },
            &mut self.records,
        )
    }

    pub fn count_status(&self, status: Status) -> usize {
        self.files.iter().filter(|f| f.1.status == status).count()
    }

    /// Seals every tally (per class, kind and group) on the caller's rayon pool, one tally per
    /// task. A class's distinct values are those of its groups' values merged, counted before
    /// they are freed: each value is held once per group, not again per class.
    pub fn seal_tallies(&mut self) -> io::Result<()> {
        use rayon::prelude::*;
        let spill = &self.spill;
        self.kinds
            .par_iter_mut()
            .try_for_each(|(_, tally)| tally.seal(spill))?;
        self.group_classes
            .par_iter_mut()
            .for_each(|(_, tally)| tally.values.compact());
        let group_classes = &self.group_classes;
        self.classes
            .par_iter_mut()
            .try_for_each(|(class, tally)| -> io::Result<()> {
                let sets: Vec<&DistinctSet> = group_classes
                    .iter()
                    .filter(|((_, c), _)| c == class)
                    .map(|(_, group)| &group.values)
                    .collect();
                tally.sealed = Some(count_distinct(&sets, spill)?);
                tally.values = DistinctSet::default();
                Ok(())
            })?;
        self.group_classes
            .par_iter_mut()
            .try_for_each(|(_, tally)| tally.seal(spill))
    }

    pub fn total_unique_values(&self) -> usize {
        self.classes.values().map(ClassTally::unique_values).sum()
    }
}

/// The group of a report path: its first `depth` folder names (`(top level)` for files at the
/// top); archive members belong to the group of their archive.
pub fn group_of(path: &str, depth: usize) -> Arc<str> {
    let outer = path.split('!').next().unwrap_or(path);
    let folders: Vec<&str> = outer.split('/').collect();
    let folders = &folders[..folders.len().saturating_sub(1)];
    if folders.is_empty() || depth == 0 {
        return Arc::from("(top level)");
    }
    Arc::from(folders[..depth.min(folders.len())].join("/"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// The row as the csv crate writes it: the contract the hand-written renderer keeps.
    fn csv_crate_row(cells: &[&str]) -> Vec<u8> {
        let mut csv = csv::WriterBuilder::new()
            .has_headers(false)
            .from_writer(Vec::new());
        csv.write_record(cells).expect("write to memory");
        csv.into_inner().expect("flush to memory")
    }

    fn info(id: &str, class: &str) -> DetectorInfo {
        DetectorInfo {
            id: Arc::from(id),
            data_class: Arc::from(class),
            kind: None,
            severity: Severity::High,
            role: None,
        }
    }

    /// findings.csv gets every spooled run once, in row order, whole: runs longer than a copy
    /// piece, runs that share a page with one already copied (and given back), runs of two
    /// spools taken in turn.
    #[test]
    fn spooled_rows_copy_out_in_order_and_whole() {
        let spool = |len: usize, seed: usize| -> (File, Vec<u8>) {
            let bytes: Vec<u8> = (0..len).map(|i| ((i * 31 + seed) % 251) as u8).collect();
            let mut file = tempfile::tempfile().expect("temporary spool");
            std::io::Write::write_all(&mut file, &bytes).expect("spool written");
            (file, bytes)
        };
        let long = COPY_PIECE as usize + 500;
        let (first, first_bytes) = spool(4000 + long + 3000, 7);
        let (second, second_bytes) = spool(5000, 11);
        let run = |name: &str, spool: u32, offset: u64, len: u64| -> SpooledRows {
            (Arc::from("g"), Arc::from(name), 0, 0, (spool, offset), len)
        };
        let mut segments = vec![
            run("e", 0, 4000 + long as u64, 3000),
            run("b", 1, 0, 2500),
            run("c", 0, 4000, long as u64),
            run("a", 0, 0, 4000),
            run("d", 1, 2500, 2500),
        ];
        let mut rows = FindingRows {
            spools: vec![first, second],
            segments: &mut segments,
        };
        rows.sort();
        let out = tempfile::NamedTempFile::new().expect("temporary findings.csv");
        let mut writer =
            BufWriter::new(ReportFile::new(out.reopen().expect("findings.csv opened")));
        rows.copy_to(&mut writer).expect("rows copied");
        drop(writer);
        let expected = [
            &first_bytes[..4000],
            &second_bytes[..2500],
            &first_bytes[4000..4000 + long],
            &second_bytes[2500..],
            &first_bytes[4000 + long..],
        ]
        .concat();
        let copied = std::fs::read(out.path()).expect("findings.csv read");
        assert_eq!(copied.len(), expected.len());
        assert!(
            copied == expected,
            "the copied rows differ from the spooled ones"
        );
    }

    /// Record parts leave a batch in the order the store keeps records in the end (path, then
    /// position, then label), whatever order their findings came in.
    #[test]
    fn record_parts_come_in_path_then_position_order() {
        let finding = |path: &str, offset: u64, record: &str| Finding {
            path: Arc::from(path),
            location: format!("at {offset}"),
            line: None,
            offset,
            detector: 0,
            confidence: Confidence::High,
            masked: String::new(),
            fingerprint: [offset as u8; 16],
            record: Some(Arc::from(record)),
        };
        let mut findings = vec![
            finding("b.zip/2.csv", 10, "row 2"),
            finding("b.zip/1.csv", 90, "row 9"),
            finding("b.zip/1.csv", 30, "row 3"),
            finding("b.zip/1.csv", 5, "row 3"),
            finding("b.zip/1.csv", 30, "line 3"),
            finding("b.zip/2.csv", 1, "row 1"),
        ];
        let order: Vec<(String, u64, String)> = record_parts(&Arc::from("b.zip"), &mut findings)
            .iter()
            .map(|p| (p.path.to_string(), p.offset, p.record.to_string()))
            .collect();
        let expected = [
            ("b.zip/1.csv", 5, "row 3"),
            ("b.zip/1.csv", 30, "line 3"),
            ("b.zip/1.csv", 90, "row 9"),
            ("b.zip/2.csv", 1, "row 1"),
            ("b.zip/2.csv", 10, "row 2"),
        ]
        .map(|(path, offset, record)| (path.to_string(), offset, record.to_string()));
        assert_eq!(order, expected);
    }

    /// Distinct values per class, kind and group, whether the tallies spilled to disk after
    /// every batch or never.
    #[test]
    fn tallies_count_the_same_whether_or_not_they_spill() {
        let password = DetectorInfo {
            kind: Some(Arc::from("password")),
            ..info("password", "credential")
        };
        let detectors = [info("us_ssn", "government_id"), password];
        let value = |file: u64, i: u64| [((file * 7 + i) % 37) as u8; 16];
        let tallied = |budget: usize| {
            let mut results = Results::new(1);
            results.tally_budget = budget;
            for file in 0..20u64 {
                let path: Arc<str> = Arc::from(format!("dir{}/f{file}.txt", file % 3));
                let mut findings: Vec<Finding> = (0..50u64)
                    .map(|i| Finding {
                        path: Arc::clone(&path),
                        location: String::new(),
                        line: None,
                        offset: i,
                        detector: (i % 2) as u32,
                        confidence: Confidence::High,
                        masked: String::new(),
                        fingerprint: value(file, i),
                        record: None,
                    })
                    .collect();
                let batch = Batch::new(
                    path,
                    0,
                    &mut findings,
                    Vec::new(),
                    &detectors,
                    &mut HashMap::new(),
                );
                results.add(batch, &detectors).expect("add");
            }
            results.seal_tallies().expect("seal");
            let count = |map: &BTreeMap<Arc<str>, ClassTally>| -> Vec<(String, usize, usize)> {
                map.iter()
                    .map(|(k, t)| (k.to_string(), t.findings, t.unique_values()))
                    .collect()
            };
            let groups: Vec<(String, String, usize)> = results
                .group_classes
                .iter()
                .map(|((g, c), t)| (g.to_string(), c.to_string(), t.unique_values()))
                .collect();
            let spilled = results.spill.bytes();
            (
                count(&results.classes),
                count(&results.kinds),
                groups,
                spilled,
            )
        };
        let in_memory = tallied(usize::MAX);
        let spilled = tallied(3);
        assert_eq!(in_memory.3, 0, "nothing spills within the budget");
        assert!(spilled.3 > 0, "a small budget spills");
        assert_eq!(spilled.0, in_memory.0);
        assert_eq!(spilled.1, in_memory.1);
        assert_eq!(spilled.2, in_memory.2);
        // Against the values themselves: detector 0 sees even positions, 1 odd ones.
        let distinct = |parity: u64, files: &mut dyn Iterator<Item = u64>| {
            let files: Vec<u64> = files.collect();
            let values: BTreeSet<[u8; 16]> = files
                .iter()
                .flat_map(|&f| {
                    (0..50)
                        .filter(move |i| i % 2 == parity)
                        .map(move |i| value(f, i))
                })
                .collect();
            values.len()
        };
        assert_eq!(
            in_memory.0,
            [
                ("credential".to_string(), 500, distinct(1, &mut (0..20))),
                ("government_id".to_string(), 500, distinct(0, &mut (0..20))),
            ]
        );
        assert_eq!(
            in_memory.1,
            [("password".to_string(), 500, distinct(1, &mut (0..20)))]
        );
        let in_dir0 = in_memory
            .2
            .iter()
            .find(|g| g.0 == "dir0" && g.1 == "government_id");
        assert_eq!(
            in_dir0.map(|g| g.2),
            Some(distinct(0, &mut (0..20).filter(|f| f % 3 == 0)))
        );
    }

    proptest! {
        #[test]
        fn rendered_rows_match_the_csv_crate(
            path in "[a-z,\"\r\n =+é!/]{0,12}",
            location in "[A-Za-z0-9,\" \n-]{0,10}",
            masked in "[*a-z0-9@,\"'+=\\-]{0,10}",
            line in proptest::option::of(0u64..100_000),
            fingerprint in any::<[u8; 16]>(),
        ) {
            let finding = Finding {
                path: Arc::from(path.as_str()),
                location: location.clone(),
                line,
                offset: 0,
                detector: 0,
                confidence: Confidence::High,
                masked: masked.clone(),
                fingerprint,
                record: None,
            };
            // Twice, around a row of another path: the second row must not lean on the first's
            // path cell, nor the third on the second's.
            let mut rows = Vec::new();
            let mut last = PathCell::default();
            let detector = info("us_ssn", "government_id");
            render_row(&mut rows, &finding, &detector, &mut last);
            let other = Finding {
                path: Arc::from(format!("{path}/other")),
                ..finding.clone()
            };
            let mut between = Vec::new();
            render_row(&mut between, &other, &detector, &mut last);
            let first = rows.len();
            render_row(&mut rows, &finding, &detector, &mut last);
            prop_assert_eq!(&rows[..first], &rows[first..]);
            rows.truncate(first);
            let line = line.map(|l| l.to_string()).unwrap_or_default();
            let expected = csv_crate_row(&[
                &neutralise(&path),
                &neutralise(&location),
                &line,
                "us_ssn",
                "government_id",
                "high",
                &neutralise(&masked),
                &hex::encode(fingerprint),
            ]);
            prop_assert_eq!(String::from_utf8_lossy(&rows), String::from_utf8_lossy(&expected));
        }
    }
}
