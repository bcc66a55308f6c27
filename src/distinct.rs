//! Exact distinct counts of fingerprints in bounded memory: values wait in memory until their
//! budget is spent, then go to a temporary file as sorted runs, and are counted by merging runs.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::fs::File;
use std::io;
use std::os::unix::fs::FileExt;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};

use rayon::prelude::*;

/// A keyed fingerprint of one value.
pub type Fingerprint = [u8; 16];

/// Runs read at once by one merge; more are merged in rounds. With `READ_ENTRIES` values read
/// ahead per run (16 KiB), a merge holds at most 4 MiB whatever the number of runs.
const FAN_IN: usize = 256;
const READ_ENTRIES: usize = 1024;

/// The temporary file that holds the runs of every set of one scan: created when a set first
/// spills (most scans never do), written at places taken from a shared cursor so that sets
/// sealed on several threads write side by side.
#[derive(Debug, Default)]
pub struct Spill {
    file: OnceLock<File>,
    cursor: AtomicU64,
}

impl Spill {
    fn file(&self) -> io::Result<&File> {
        if let Some(file) = self.file.get() {
            return Ok(file);
        }
        // tempfile() is created 0600 and unlinked at once: nothing is left behind.
        let file = tempfile::tempfile()?;
        Ok(self.file.get_or_init(|| file))
    }

    /// Takes room for `entries` values and gives where it starts.
    fn reserve(&self, entries: usize) -> u64 {
        self.cursor.fetch_add(
            (entries * size_of::<Fingerprint>()) as u64,
            Ordering::Relaxed,
        )
    }

    fn write(&self, values: &[Fingerprint]) -> io::Result<Run> {
        let offset = self.reserve(values.len());
        self.file()?.write_all_at(values.as_flattened(), offset)?;
        Ok(Run {
            offset,
            len: values.len() as u64,
        })
    }

    /// Bytes written so far (room taken, to be exact).
    pub fn bytes(&self) -> u64 {
        self.cursor.load(Ordering::Relaxed)
    }
}

/// Sorted, distinct values at a place in the spill file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Run {
    offset: u64,
    len: u64,
}

/// A set of fingerprints that can be counted exactly: the values held in memory, plus the
/// runs already spilled.
#[derive(Debug, Default)]
pub struct DistinctSet {
    pending: Vec<Fingerprint>,
    /// `pending[..sorted]` is sorted and free of repeats.
    sorted: usize,
    runs: Vec<Run>,
}

impl DistinctSet {
    pub fn insert(&mut self, value: Fingerprint) {
        self.pending.push(value);
        // Repeats are dropped whenever the list doubles: memory follows distinct values.
        if self.pending.len() >= 2 * self.sorted + 65_536 {
            self.compact();
        }
    }

    /// Sorts the values held in memory and drops repeats.
    pub fn compact(&mut self) {
        if self.pending.len() == self.sorted {
            return;
        }
        self.pending.sort_unstable();
        self.pending.dedup();
        self.sorted = self.pending.len();
    }

    /// Moves the values held in memory to the spill file as one run. A set with many runs
    /// merges them into one, so its runs stay few however long the scan.
    pub fn spill(&mut self, spill: &Spill) -> io::Result<()> {
        self.compact();
        if !self.pending.is_empty() {
            self.runs.push(spill.write(&self.pending)?);
        }
        self.pending = Vec::new();
        self.sorted = 0;
        if self.runs.len() >= FAN_IN {
            self.runs = vec![merge_runs(&self.runs, spill)?];
        }
        Ok(())
    }

    /// Distinct values in this set.
    pub fn count(&mut self, spill: &Spill) -> io::Result<usize> {
        self.compact();
        count_distinct(&[&*self], spill)
    }
}

/// Distinct values across `sets`, each compacted (`DistinctSet::compact`): their runs and lists
/// are merged, never combined into one list in memory.
pub fn count_distinct(sets: &[&DistinctSet], spill: &Spill) -> io::Result<usize> {
    count_distinct_with(sets, spill, FAN_IN, PARALLEL_FROM)
}

fn count_distinct_with(
    sets: &[&DistinctSet],
    spill: &Spill,
    fan_in: usize,
    parallel_from: u64,
) -> io::Result<usize> {
    let mut runs: Vec<Run> = sets
        .iter()
        .flat_map(|set| set.runs.iter().copied())
        .collect();
    let in_memory: Vec<&[Fingerprint]> = sets
        .iter()
        .map(|set| {
            debug_assert_eq!(
                set.sorted,
                set.pending.len(),
                "a set counted before compact"
            );
            &set.pending[..set.sorted]
        })
        .filter(|values| !values.is_empty())
        .collect();
    // Too many runs for one merge: merge them in rounds into fewer, longer ones.
    while runs.len() + in_memory.len() > fan_in && runs.len() > 1 {
        let mut merged = Vec::with_capacity(runs.len().div_ceil(fan_in));
        for batch in runs.chunks(fan_in.max(2)) {
            merged.push(merge_runs(batch, spill)?);
        }
        runs = merged;
    }
    let values: u64 = runs.iter().map(|run| run.len).sum::<u64>()
        + in_memory
            .iter()
            .map(|values| values.len() as u64)
            .sum::<u64>();
    // A large set is counted in parts of the key space, side by side: keyed fingerprints
    // spread evenly over it, and no value falls in two parts.
    let parts: u16 = if values >= parallel_from { 16 } else { 1 };
    (0..parts)
        .into_par_iter()
        .map(|part| {
            let from = part * 256 / parts;
            let to = (part + 1) * 256 / parts;
            let mut sources: Vec<Source> = in_memory
                .iter()
                .map(|values| Source::Memory(first_bytes_within(values, from, to)))
                .collect();
            for &run in &runs {
                sources.push(Source::disk_within(spill, run, from, to)?);
            }
            let mut distinct = 0;
            merge(sources, |_| {
                distinct += 1;
                Ok(())
            })?;
            Ok(distinct)
        })
        .try_reduce(|| 0, |a, b| Ok(a + b))
}

/// Values counted in one merge at most: a set of more is counted in parts, on every core.
const PARALLEL_FROM: u64 = 1 << 20;

/// The values of sorted `values` whose first byte is in `from..to` (`to` up to 256).
fn first_bytes_within(values: &[Fingerprint], from: u16, to: u16) -> &[Fingerprint] {
    let start = values.partition_point(|v| u16::from(v[0]) < from);
    let end = values.partition_point(|v| u16::from(v[0]) < to);
    &values[start..end.max(start)]
}

/// The index of the first value of sorted `run` whose first byte is `from` or more, found by
/// reading single values of the run.
fn run_position(file: &File, run: Run, from: u16) -> io::Result<u64> {
    let (mut low, mut high) = (0u64, run.len);
    let mut value = [0u8; 16];
    while low < high {
        let middle = low + (high - low) / 2;
        file.read_exact_at(
            &mut value,
            run.offset + middle * size_of::<Fingerprint>() as u64,
        )?;
        if u16::from(value[0]) < from {
            low = middle + 1;
        } else {
            high = middle;
        }
    }
    Ok(low)
}

/// Where a merge reads sorted, distinct values from.
enum Source<'a> {
    Memory(&'a [Fingerprint]),
    Disk {
        file: &'a File,
        /// Byte offset of the next value not yet read ahead.
        next: u64,
        /// Values of the run not yet read ahead.
        left: u64,
        ahead: Vec<Fingerprint>,
        at: usize,
    },
}

impl<'a> Source<'a> {
    /// The values of `run` whose first byte is in `from..to`.
    fn disk_within(spill: &'a Spill, run: Run, from: u16, to: u16) -> io::Result<Source<'a>> {
        if (from, to) == (0, 256) {
            return Source::disk(spill, run);
        }
        let file = spill.file()?;
        let start = run_position(file, run, from)?;
        let end = run_position(file, run, to)?.max(start);
        Source::disk(
            spill,
            Run {
                offset: run.offset + start * size_of::<Fingerprint>() as u64,
                len: end - start,
            },
        )
    }

    fn disk(spill: &'a Spill, run: Run) -> io::Result<Source<'a>> {
        Ok(Source::Disk {
            file: spill.file()?,
            next: run.offset,
            left: run.len,
            ahead: Vec::new(),
            at: 0,
        })
    }

    fn next_value(&mut self) -> io::Result<Option<Fingerprint>> {
        match self {
            Source::Memory(values) => Ok(values.split_first().map(|(&first, rest)| {
                *values = rest;
                first
            })),
            Source::Disk {
                file,
                next,
                left,
                ahead,
                at,
            } => {
                if *at == ahead.len() {
                    if *left == 0 {
                        return Ok(None);
                    }
                    let entries = (*left).min(READ_ENTRIES as u64);
                    ahead.resize(entries as usize, [0; 16]);
                    file.read_exact_at(ahead.as_flattened_mut(), *next)?;
                    *next += entries * size_of::<Fingerprint>() as u64;
                    *left -= entries;
                    *at = 0;
                }
                let value = ahead[*at];
                *at += 1;
                Ok(Some(value))
            }
        }
    }
}

/// Hands each distinct value of the sources to `out`, in ascending order.
fn merge(
    mut sources: Vec<Source>,
    mut out: impl FnMut(Fingerprint) -> io::Result<()>,
) -> io::Result<()> {
    let mut heads = BinaryHeap::with_capacity(sources.len());
    for (i, source) in sources.iter_mut().enumerate() {
        if let Some(value) = source.next_value()? {
            heads.push(Reverse((value, i)));
        }
    }
    let mut last: Option<Fingerprint> = None;
    while let Some(Reverse((value, i))) = heads.pop() {
        if last != Some(value) {
            out(value)?;
            last = Some(value);
        }
        if let Some(next) = sources[i].next_value()? {
            heads.push(Reverse((next, i)));
        }
    }
    Ok(())
}

/// Merges `runs` into one new run of the spill file.
fn merge_runs(runs: &[Run], spill: &Spill) -> io::Result<Run> {
    let sources = runs
        .iter()
        .map(|&run| Source::disk(spill, run))
        .collect::<io::Result<Vec<_>>>()?;
    let most: u64 = runs.iter().map(|run| run.len).sum();
    // Room for every value, though repeats across runs leave some of it unused.
    let offset = spill.reserve(most as usize);
    let file = spill.file()?;
    let mut written = 0u64;
    let mut ahead: Vec<Fingerprint> = Vec::with_capacity(READ_ENTRIES);
    let flush = |ahead: &mut Vec<Fingerprint>, written: &mut u64| -> io::Result<()> {
        let at = offset + *written * size_of::<Fingerprint>() as u64;
        file.write_all_at(ahead.as_flattened(), at)?;
        *written += ahead.len() as u64;
        ahead.clear();
        Ok(())
    };
    merge(sources, |value| {
        ahead.push(value);
        if ahead.len() == READ_ENTRIES {
            flush(&mut ahead, &mut written)?;
        }
        Ok(())
    })?;
    flush(&mut ahead, &mut written)?;
    Ok(Run {
        offset,
        len: written,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::collections::BTreeSet;

    /// Distinct fingerprints for distinct `v`, spread over every first byte as keyed ones are.
    fn value(v: u16) -> Fingerprint {
        let mut fingerprint = [0u8; 16];
        fingerprint[..2].copy_from_slice(&v.to_le_bytes());
        fingerprint
    }

    proptest! {
        /// Whatever was spilled when, however many merge rounds the count takes, and whether
        /// it is counted whole or in parts of the key space, the count is that of the union.
        #[test]
        fn counts_are_those_of_the_union(
            sets in proptest::collection::vec(
                proptest::collection::vec((0u16..3000, any::<bool>()), 0..300),
                0..6,
            ),
            fan_in in 2usize..6,
            in_parts in any::<bool>(),
        ) {
            let spill = Spill::default();
            let mut union = BTreeSet::new();
            let mut built = Vec::new();
            for values in &sets {
                let mut set = DistinctSet::default();
                for &(v, spill_after) in values {
                    set.insert(value(v));
                    union.insert(v);
                    if spill_after {
                        set.spill(&spill).expect("spill");
                    }
                }
                set.compact();
                built.push(set);
            }
            let refs: Vec<&DistinctSet> = built.iter().collect();
            prop_assert_eq!(
                count_distinct_with(&refs, &spill, fan_in, if in_parts { 0 } else { u64::MAX })
                    .expect("count"),
                union.len()
            );
            for (set, values) in built.iter_mut().zip(&sets) {
                let own: BTreeSet<u16> = values.iter().map(|&(v, _)| v).collect();
                prop_assert_eq!(set.count(&spill).expect("count"), own.len());
            }
        }
    }

    #[test]
    fn a_set_that_spills_often_keeps_its_runs_few() {
        let spill = Spill::default();
        let mut set = DistinctSet::default();
        for v in 0..(FAN_IN as u16 * 3) {
            set.insert(value(v % 500));
            set.spill(&spill).expect("spill");
            assert!(set.runs.len() < FAN_IN, "{} runs", set.runs.len());
        }
        assert!(set.pending.is_empty());
        assert_eq!(set.count(&spill).expect("count"), 500);
    }

    #[test]
    fn a_set_that_never_spills_writes_nothing() {
        let spill = Spill::default();
        let mut set = DistinctSet::default();
        for v in 0..100_000u32 {
            set.insert(value((v % 7_000) as u16));
        }
        assert_eq!(set.count(&spill).expect("count"), 7_000);
        assert_eq!(spill.bytes(), 0);
        assert!(spill.file.get().is_none());
    }
}
