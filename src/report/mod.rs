//! Writers for the report files: sorted CSV safe to open in a spreadsheet, the JSON summary,
//! the client's HTML and Markdown report, each written to a private temporary file and renamed
//! into place only when complete.

mod document;
mod html;
mod markdown;
pub mod plan;
mod summary;

use std::fs::{self, File, OpenOptions};
use std::io::{BufWriter, Write};
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use crate::aggregate::{DetectorInfo, FindingRows, Results};
use crate::classify::{CombinationRow, ImpactRow, cite};
use crate::error::Error;
use crate::people::resolve::{Resolution, join_into};
use crate::people::store::RecordStore;
use crate::report_file::ReportFile;
use crate::rules::ImpactModel;

pub use html::escape as html_escape;
pub use plan::{Action, PLAN_COLUMNS, build_plan};
pub use summary::{NotScanned, Summary, SummaryCounts, summary_json};

/// Column names of the output contract, version 1.
pub const FINDINGS_COLUMNS: &[&str] = &[
    "path",
    "location",
    "line",
    "detector",
    "data_class",
    "confidence",
    "masked_value",
    "fingerprint",
];
pub const FILES_COLUMNS: &[&str] = &[
    "path", "size", "modified", "format", "status", "reason", "findings", "sha256",
];
pub const IMPACT_COLUMNS: &[&str] = &[
    "data_class",
    "severity",
    "findings",
    "unique_values",
    "files",
    "potential_misuse",
    "regulations",
    "countermeasures",
    "records",
    "individuals",
];
pub const RECORDS_COLUMNS: &[&str] = &[
    "path",
    "location",
    "record",
    "data_elements",
    "combination",
    "severity",
    "individual",
];
pub const INDIVIDUALS_COLUMNS: &[&str] = &[
    "individual",
    "identifiers",
    "data_elements",
    "records",
    "files",
    "severity",
    "notification_trigger",
];

/// impact_by_group.csv: `group`, then exactly the columns of impact.csv.
pub fn impact_by_group_columns() -> Vec<&'static str> {
    std::iter::once("group")
        .chain(IMPACT_COLUMNS.iter().copied())
        .collect()
}

/// Rows of impact_by_group.csv: by group, then severity (worst first), then class.
pub fn impact_by_group_rows(summary: &Summary) -> Vec<Vec<String>> {
    let mut rows: Vec<(&str, &ImpactRow)> = summary
        .groups
        .iter()
        .flat_map(|g| g.rows.iter().map(move |row| (g.group.as_str(), row)))
        .collect();
    rows.sort_by(|a, b| {
        a.0.cmp(b.0)
            .then_with(|| b.1.severity.cmp(&a.1.severity))
            .then_with(|| a.1.data_class.cmp(&b.1.data_class))
    });
    rows.into_iter()
        .map(|(group, row)| {
            let mut cells = vec![group.to_string()];
            cells.extend(impact_cells(row));
            cells
        })
        .collect()
}

/// The client's documents: report.html, report.md, countermeasures.csv and impact_by_group.csv.
/// Written before summary.json, which stays last.
pub fn write_documents(dir: &Path, summary: &Summary, model: &ImpactModel) -> Result<(), Error> {
    let plan = build_plan(summary, model);
    write_csv(
        dir,
        "countermeasures.csv",
        PLAN_COLUMNS,
        plan::plan_rows(&plan),
    )?;
    write_csv(
        dir,
        "impact_by_group.csv",
        &impact_by_group_columns(),
        impact_by_group_rows(summary),
    )?;
    let blocks = document::build(summary, model, &plan);
    write_text(dir, "report.html", &html::render(&blocks))?;
    write_text(dir, "report.md", &markdown::render(&blocks))
}

fn write_text(dir: &Path, name: &str, text: &str) -> Result<(), Error> {
    let mut file = AtomicFile::create(dir, name)?;
    file.writer()
        .write_all(text.as_bytes())
        .map_err(|e| Error::io(format!("cannot write {name}"), e))?;
    file.commit()
}

/// Every file name a report may hold; a folder holding only these is an earlier report.
pub const REPORT_FILES: &[&str] = &[
    "findings.csv",
    "files.csv",
    "impact.csv",
    "summary.json",
    "records.csv",
    "individuals.csv",
    "countermeasures.csv",
    "impact_by_group.csv",
    "report.html",
    "report.md",
];

/// Makes a cell inert in spreadsheets: a leading `=`, `+`, `-`, `@`, tab or carriage return
/// would start a formula, so it gets a leading apostrophe.
pub fn neutralise(cell: &str) -> std::borrow::Cow<'_, str> {
    match cell.as_bytes().first() {
        Some(b'=' | b'+' | b'-' | b'@' | b'\t' | b'\r') => format!("'{cell}").into(),
        _ => cell.into(),
    }
}

/// RFC 3339 UTC with seconds, or empty when unknown.
pub fn timestamp(time: Option<SystemTime>) -> String {
    let Some(time) = time else {
        return String::new();
    };
    let datetime = time::OffsetDateTime::from(time);
    let format =
        time::macros::format_description!("[year]-[month]-[day]T[hour]:[minute]:[second]Z");
    datetime.format(&format).unwrap_or_default()
}

/// Prepares `dir` for a report: creates it private, accepts an earlier breachscope report (whose
/// files are then replaced), refuses anything else unless `force`. The earlier report's files
/// are moved aside at once and deleted while the scan runs (`Replaced`).
pub fn prepare_output_dir(dir: &Path, force: bool) -> Result<Replaced, Error> {
    let out_error = |message: String| Error::Output {
        path: dir.to_path_buf(),
        message,
    };
    match fs::read_dir(dir) {
        Ok(entries) => {
            let names: Vec<String> = entries
                .filter_map(Result::ok)
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect();
            let foreign: Vec<&String> = names
                .iter()
                .filter(|n| !REPORT_FILES.contains(&n.as_str()) && !is_temporary(n))
                .collect();
            let earlier_report = names.iter().any(|n| n == "summary.json")
                && is_breachscope_summary(&dir.join("summary.json"));
            if !names.is_empty() && !force && (!foreign.is_empty() || !earlier_report) {
                let example = foreign
                    .first()
                    .map(|s| s.as_str())
                    .or(names.first().map(|s| s.as_str()))
                    .unwrap_or("");
                return Err(out_error(format!(
                    "not empty and not an earlier breachscope report (holds `{example}`); choose another --out or pass --force"
                )));
            }
            let mut aside = Vec::new();
            for (n, name) in names
                .iter()
                .filter(|n| REPORT_FILES.contains(&n.as_str()) || is_temporary(n))
                .enumerate()
            {
                // Under a temporary name of its own, so the new report's files never meet it.
                let moved = dir.join(format!(".{n}.replaced.partial"));
                if *name != format!(".{n}.replaced.partial") {
                    fs::rename(dir.join(name), &moved)
                        .map_err(|e| out_error(format!("cannot replace {name}: {e}")))?;
                }
                aside.push(moved);
            }
            fs::set_permissions(dir, fs::Permissions::from_mode(0o700))
                .map_err(|e| out_error(format!("cannot restrict: {e}")))?;
            Ok(Replaced::delete(aside))
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(dir)
            .map(|()| Replaced::delete(Vec::new()))
            .map_err(|e| out_error(format!("cannot create: {e}"))),
        Err(e) => Err(out_error(format!("cannot read: {e}"))),
    }
}

/// An earlier report's files, moved aside under temporary names and deleted on a thread of
/// their own: deleting the 1 GiB bench share's report took 0.24 s (findings.csv alone 0.13 s,
/// its blocks discarded on the disk), with the scan waiting on one core and the other idle.
/// Dropped, it waits for the deletion to end. A file it could not delete keeps its temporary
/// name, which is no part of a report, and the next scan into the folder deletes it.
pub struct Replaced {
    deleting: Option<std::thread::JoinHandle<()>>,
}

impl Replaced {
    fn delete(paths: Vec<PathBuf>) -> Replaced {
        if paths.is_empty() {
            return Replaced { deleting: None };
        }
        let delete = move || {
            for path in &paths {
                let _ = fs::remove_file(path);
            }
        };
        match std::thread::Builder::new()
            .name("breachscope-replaced".into())
            .spawn(delete.clone())
        {
            Ok(handle) => Replaced {
                deleting: Some(handle),
            },
            // No thread to spare: delete them here, as before.
            Err(_) => {
                delete();
                Replaced { deleting: None }
            }
        }
    }
}

impl Drop for Replaced {
    fn drop(&mut self) {
        if let Some(handle) = self.deleting.take() {
            let _ = handle.join();
        }
    }
}

fn is_temporary(name: &str) -> bool {
    name.starts_with('.') && name.ends_with(".partial")
}

fn is_breachscope_summary(path: &Path) -> bool {
    fs::read(path)
        .ok()
        .and_then(|bytes| serde_json::from_slice::<serde_json::Value>(&bytes).ok())
        .is_some_and(|v| v.get("tool").and_then(|t| t.as_str()) == Some("breachscope"))
}

/// A report file being written: private, under a temporary name until `commit`.
pub struct AtomicFile {
    temp: PathBuf,
    target: PathBuf,
    writer: BufWriter<ReportFile>,
}

impl AtomicFile {
    pub fn create(dir: &Path, name: &str) -> Result<AtomicFile, Error> {
        let temp = dir.join(format!(".{name}.partial"));
        let target = dir.join(name);
        let file = OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .mode(0o600)
            .open(&temp)
            .map_err(|e| Error::io(format!("cannot create {}", temp.display()), e))?;
        Ok(AtomicFile {
            temp,
            target,
            writer: BufWriter::new(ReportFile::new(file)),
        })
    }

    pub fn writer(&mut self) -> &mut BufWriter<ReportFile> {
        &mut self.writer
    }

    pub fn commit(self) -> Result<(), Error> {
        self.finish(false)
    }

    /// `commit`, then drops the file's pages from the page cache (`drop_cached_pages`): for a
    /// large file that the scan writes more after.
    pub fn commit_and_uncache(self) -> Result<(), Error> {
        self.finish(true)
    }

    fn finish(self, drop_cache: bool) -> Result<(), Error> {
        let AtomicFile {
            temp,
            target,
            writer,
        } = self;
        let file = writer
            .into_inner()
            .map_err(|e| Error::io(format!("cannot write {}", temp.display()), e.into_error()))?
            .into_file();
        file.sync_all()
            .map_err(|e| Error::io(format!("cannot sync {}", temp.display()), e))?;
        if drop_cache {
            drop_cached_pages(&file);
        }
        fs::rename(&temp, &target)
            .map_err(|e| Error::io(format!("cannot rename to {}", target.display()), e))
    }
}

/// Drops a report file's pages from the page cache once they are on disk. The scan goes on
/// writing (later tables, temporary files), and pages just freed are reused at once, where
/// fresh ones cost much more on a virtual machine (a fault in the host per page: writing
/// 500 MB took 1.4 s into fresh pages, 0.13 s into pages just freed). Dropping costs time
/// too (0.05 s for records.csv's 240 MB), so the files written last keep theirs. A reader of
/// the report reads it from disk. Advice only: where it is not taken, nothing changes.
fn drop_cached_pages(file: &File) {
    #[cfg(target_os = "linux")]
    let _ = rustix::fs::fadvise(file, 0, None, rustix::fs::Advice::DontNeed);
    #[cfg(not(target_os = "linux"))]
    let _ = file;
}

/// Writes one CSV file from rows of cells, neutralising every cell.
pub fn write_csv<I, R>(dir: &Path, name: &str, columns: &[&str], rows: I) -> Result<(), Error>
where
    I: IntoIterator<Item = R>,
    R: IntoIterator,
    R::Item: AsRef<str>,
{
    let mut file = AtomicFile::create(dir, name)?;
    // One row buffer for the whole table: cells are rendered in place, not copied.
    let mut row = Vec::new();
    push_csv_row(&mut row, columns);
    let written = file.writer().write_all(&row).and_then(|_| {
        for cells in rows {
            row.clear();
            push_csv_row(&mut row, cells);
            file.writer().write_all(&row)?;
        }
        file.writer().flush()
    });
    written.map_err(|e| Error::io(format!("cannot write {name}"), e))?;
    file.commit()
}

/// One CSV cell, quoted when it holds a delimiter, a quote or a line break: the csv crate's
/// `QuoteStyle::Necessary`, which tests pin. Hand-written for tables rendered a row at a time.
pub fn push_csv_cell(out: &mut Vec<u8>, cell: &str) {
    let bytes = cell.as_bytes();
    if !bytes
        .iter()
        .any(|&b| matches!(b, b',' | b'"' | b'\r' | b'\n'))
    {
        out.extend_from_slice(bytes);
        return;
    }
    out.push(b'"');
    for &b in bytes {
        if b == b'"' {
            out.push(b'"');
        }
        out.push(b);
    }
    out.push(b'"');
}

/// One CSV row of neutralised cells, every table's one renderer. As the csv crate does, a row
/// of one empty cell is written `""`, so that it is not read back as no row at all.
pub fn push_csv_row<C: AsRef<str>>(out: &mut Vec<u8>, cells: impl IntoIterator<Item = C>) {
    let start = out.len();
    let mut count = 0;
    for cell in cells {
        if count > 0 {
            out.push(b',');
        }
        push_csv_cell(out, &neutralise(cell.as_ref()));
        count += 1;
    }
    if count == 1 && out.len() == start {
        out.extend_from_slice(b"\"\"");
    }
    out.push(b'\n');
}

/// Rows per block rendered by one task of `write_csv_blocks` (about 200 KB): enough to keep
/// a task busy, small enough that the blocks in flight stay a few megabytes.
const ROWS_PER_BLOCK: usize = 2048;

/// Writes one CSV file of `rows` rows rendered in blocks on the caller's rayon pool, and
/// written in order by a thread of its own, so that a table of millions of rows takes every
/// core and memory holds only a window of blocks. `render` appends the rows of a range (a row
/// may render as nothing), or fails when what the rows are made of cannot be read.
pub fn write_csv_blocks<F>(
    dir: &Path,
    name: &str,
    columns: &[&str],
    rows: usize,
    render: F,
) -> Result<(), Error>
where
    F: Fn(std::ops::Range<usize>, &mut Vec<u8>) -> Result<(), Error> + Sync,
{
    use rayon::prelude::*;
    let mut file = AtomicFile::create(dir, name)?;
    let mut header = Vec::new();
    push_csv_row(&mut header, columns);
    // One round being rendered, one waiting and one being written at most.
    let blocks_per_round = rayon::current_num_threads() * 2;
    let round_rows = ROWS_PER_BLOCK * blocks_per_round;
    let (block_tx, block_rx) = crossbeam_channel::bounded::<Vec<Vec<u8>>>(1);
    let out = file.writer();
    let written = std::thread::scope(|scope| {
        let writer = scope.spawn(move || -> Result<(), Error> {
            let write = || -> std::io::Result<()> {
                out.write_all(&header)?;
                for round in block_rx {
                    for block in round {
                        out.write_all(&block)?;
                    }
                }
                out.flush()
            };
            write().map_err(|e| Error::io(format!("cannot write {name}"), e))
        });
        for round_start in (0..rows).step_by(round_rows.max(1)) {
            let round_end = (round_start + round_rows).min(rows);
            let blocks: Result<Vec<Vec<u8>>, Error> = (round_start..round_end)
                .step_by(ROWS_PER_BLOCK)
                .collect::<Vec<_>>()
                .into_par_iter()
                .map(|start| {
                    let mut block = Vec::new();
                    render(start..(start + ROWS_PER_BLOCK).min(round_end), &mut block)?;
                    Ok(block)
                })
                .collect();
            let blocks = match blocks {
                Ok(blocks) => blocks,
                Err(e) => {
                    drop(block_tx);
                    // The file is left uncommitted; a write error of the writer's comes second.
                    let _ = join_writer(writer, name);
                    return Err(e);
                }
            };
            if block_tx.send(blocks).is_err() {
                // The writer stopped on an error, which its join reports.
                break;
            }
        }
        drop(block_tx);
        join_writer(writer, name)
    });
    written?;
    file.commit()
}

/// findings.csv, copied from the aggregator's spool in the rows' order.
pub fn write_findings(dir: &Path, rows: FindingRows<'_>) -> Result<(), Error> {
    let mut findings = AtomicFile::create(dir, "findings.csv")?;
    let header = format!("{}\n", FINDINGS_COLUMNS.join(","));
    findings
        .writer()
        .write_all(header.as_bytes())
        .and_then(|_| rows.copy_to(findings.writer()))
        .map_err(|e| Error::io("cannot write findings.csv", e))?;
    // The largest file by far, written beside the people pass, which writes on after it.
    findings.commit_and_uncache()
}

/// files.csv and impact.csv (one row per data class, then one per combination found, as
/// `combination:ID`).
pub fn write_tables(
    dir: &Path,
    results: &Results,
    impact: &[ImpactRow],
    combinations: &[CombinationRow],
) -> Result<(), Error> {
    write_csv(
        dir,
        "files.csv",
        FILES_COLUMNS,
        results.files.iter().map(|(_, f)| {
            [
                f.path.to_string(),
                f.size.to_string(),
                timestamp(f.modified),
                f.format.clone(),
                f.status.as_str().to_string(),
                f.reason.clone(),
                f.findings.to_string(),
                f.sha256.clone().unwrap_or_default(),
            ]
        }),
    )?;
    let classes = impact.iter().map(impact_cells);
    let combos = combinations.iter().map(|c| {
        vec![
            format!("combination:{}", c.id),
            c.severity.as_str().to_string(),
            c.records.to_string(),
            c.individuals.to_string(),
            c.files.to_string(),
            c.potential_misuse.join(" | "),
            cite(&c.regulations),
            cite(&c.countermeasures),
            c.records.to_string(),
            c.individuals.to_string(),
        ]
    });
    write_csv(dir, "impact.csv", IMPACT_COLUMNS, classes.chain(combos))
}

/// The cells of one impact row, in `IMPACT_COLUMNS` order; impact.csv and impact_by_group.csv
/// both use it so their columns stay in step.
pub fn impact_cells(row: &ImpactRow) -> Vec<String> {
    vec![
        row.data_class.clone(),
        row.severity.as_str().to_string(),
        row.findings.to_string(),
        row.unique_values.to_string(),
        row.files.to_string(),
        row.potential_misuse.join(" | "),
        cite(&row.regulations),
        cite(&row.countermeasures),
        row.records.to_string(),
        row.individuals.to_string(),
    ]
}

/// records.csv (one row per record, in reading order) and individuals.csv (the first-pass
/// notification list, masked).
pub fn write_people(
    dir: &Path,
    results: &Results,
    resolution: &Resolution,
    table: &[DetectorInfo],
    model: &ImpactModel,
) -> Result<(), Error> {
    let tables = PeopleTables {
        dir,
        store: &results.records,
        resolution,
        table,
        model,
    };
    // The two tables read the same resolution and nothing else: render them side by side.
    let (records, individuals) =
        rayon::join(|| tables.write_records(), || tables.write_individuals());
    records.and(individuals)?;
    // A record whose elements failed to read shows none: the tables are wrong, not just short.
    records_read_back(&results.records)
}

/// Fails if a pass over the people pass's records could not read some of them back from disk
/// (`RecordStore::read_failure`).
pub fn records_read_back(store: &RecordStore) -> Result<(), Error> {
    store
        .read_failure()
        .map_err(|e| Error::io("cannot read the people pass's records back", e))
}

/// The result of a file written on its own thread; a thread that unwound is a write error.
pub fn join_writer(
    handle: std::thread::ScopedJoinHandle<'_, Result<(), Error>>,
    name: &str,
) -> Result<(), Error> {
    handle.join().unwrap_or_else(|_| {
        Err(Error::io(
            format!("cannot write {name}"),
            std::io::Error::other("the writer thread stopped"),
        ))
    })
}

/// What records.csv and individuals.csv are written from.
struct PeopleTables<'a> {
    dir: &'a Path,
    store: &'a RecordStore,
    resolution: &'a Resolution,
    table: &'a [DetectorInfo],
    model: &'a ImpactModel,
}

impl PeopleTables<'_> {
    /// records.csv: one row per record, in reading order.
    fn write_records(&self) -> Result<(), Error> {
        let verdicts = &self.resolution.records;
        write_csv_blocks(
            self.dir,
            "records.csv",
            RECORDS_COLUMNS,
            verdicts.len(),
            |range, out| {
                // Kept from row to row: two strings per row of a million-row table.
                let mut elements: Vec<&str> = Vec::new();
                let (mut elements_cell, mut combinations_cell) = (String::new(), String::new());
                let mut id_buffer = [0u8; 14];
                let mut reader = self.store.reader_within(range.clone());
                let mut texts = self
                    .store
                    .texts(range.clone())
                    .map_err(|e| Error::io("cannot read the records' labels back", e))?;
                for (r, verdict) in verdicts[range.clone()].iter().enumerate() {
                    let r = range.start + r;
                    elements.clear();
                    elements.extend(
                        reader
                            .elements(r)
                            .iter()
                            .filter_map(|e| self.table.get(e.detector as usize).map(|d| &*d.id)),
                    );
                    elements.sort_unstable();
                    elements.dedup();
                    join_into(&mut elements_cell, elements.iter().copied(), ";");
                    join_into(
                        &mut combinations_cell,
                        verdict
                            .combinations()
                            .filter_map(|c| self.model.combination.get(c).map(|c| c.id.as_str())),
                        ";",
                    );
                    let (label, location) = texts.next_record();
                    push_csv_row(
                        out,
                        [
                            self.store.path_of(r),
                            location,
                            label,
                            &elements_cell,
                            &combinations_cell,
                            verdict.severity.map_or("", |s| s.as_str()),
                            verdict.person().map_or("", |id| id.render(&mut id_buffer)),
                        ],
                    );
                }
                Ok(())
            },
        )
    }

    /// individuals.csv: the first-pass notification list, masked, in severity order. The
    /// people pass rendered its rows (`Resolution::individual_rows`): here they are merged.
    fn write_individuals(&self) -> Result<(), Error> {
        let mut file = AtomicFile::create(self.dir, "individuals.csv")?;
        let mut header = Vec::new();
        push_csv_row(&mut header, INDIVIDUALS_COLUMNS);
        let out = file.writer();
        out.write_all(&header)
            .and_then(|()| match &self.resolution.individual_rows {
                Some(rows) => rows.merge_into(out),
                None => Ok(()),
            })
            .and_then(|()| out.flush())
            .map_err(|e| Error::io("cannot write individuals.csv", e))?;
        file.commit()
    }
}

/// summary.json, written last so that a complete summary means a complete report.
pub fn write_summary(dir: &Path, summary: &Summary) -> Result<(), Error> {
    let mut file = AtomicFile::create(dir, "summary.json")?;
    let json = summary_json(summary);
    let text = serde_json::to_string_pretty(&json)
        .map_err(|e| Error::io("cannot encode summary.json", std::io::Error::other(e)))?;
    file.writer()
        .write_all(text.as_bytes())
        .and_then(|_| file.writer().write_all(b"\n"))
        .map_err(|e| Error::io("cannot write summary.json", e))?;
    file.commit()
}

#[cfg(test)]
mod tests {
    use super::*;

    proptest::proptest! {
        #[test]
        fn rows_render_as_the_csv_crate_writes_them(
            cells in proptest::collection::vec("[a-z,\"\r\n =+@é-]{0,6}", 1..5),
        ) {
            let mut ours = Vec::new();
            push_csv_row(&mut ours, &cells);
            let mut csv = csv::WriterBuilder::new().from_writer(Vec::new());
            let neutralised: Vec<String> = cells.iter().map(|c| neutralise(c).into_owned()).collect();
            csv.write_record(&neutralised).expect("write to memory");
            let theirs = csv.into_inner().expect("flush to memory");
            proptest::prop_assert_eq!(String::from_utf8_lossy(&ours), String::from_utf8_lossy(&theirs));
        }
    }

    #[test]
    fn formula_cells_are_neutralised() {
        assert_eq!(neutralise("=HYPERLINK(\"x\")"), "'=HYPERLINK(\"x\")");
        assert_eq!(neutralise("+1*******2671"), "'+1*******2671");
        assert_eq!(neutralise("-5"), "'-5");
        assert_eq!(neutralise("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(neutralise("plain"), "plain");
    }

    #[test]
    fn impact_by_group_is_group_then_the_impact_columns_sorted() {
        let (summary, _) = summary::tests::summary_fixture();
        let columns = impact_by_group_columns();
        assert_eq!(
            columns.join(","),
            "group,data_class,severity,findings,unique_values,files,potential_misuse,regulations,countermeasures,records,individuals"
        );
        assert_eq!(&columns[1..], IMPACT_COLUMNS);
        let rows: Vec<String> = impact_by_group_rows(&summary)
            .iter()
            .map(|r| {
                assert_eq!(r.len(), columns.len());
                r[..6].join(",")
            })
            .collect();
        assert_eq!(
            rows,
            [
                "finance,financial,high,4000,3300,12",
                "hr,government_id,high,50,40,2",
                "hr,personal,medium,20,18,1",
            ]
        );
    }

    #[test]
    fn documents_are_written_and_listed_as_report_files() {
        let (summary, model) = summary::tests::summary_fixture();
        let dir = tempfile::tempdir().expect("tempdir");
        write_documents(dir.path(), &summary, &model).expect("written");
        for name in [
            "report.html",
            "report.md",
            "countermeasures.csv",
            "impact_by_group.csv",
        ] {
            assert!(REPORT_FILES.contains(&name));
            assert!(dir.path().join(name).is_file(), "{name}");
        }
        let csv = fs::read_to_string(dir.path().join("countermeasures.csv")).expect("csv");
        assert!(csv.starts_with("priority,action,affected,data_classes,deadline,source\n"));
    }

    #[test]
    fn timestamps_are_utc_seconds() {
        let t = SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(86_400 + 61);
        assert_eq!(timestamp(Some(t)), "1970-01-02T00:01:01Z");
        assert_eq!(timestamp(None), "");
    }
}
