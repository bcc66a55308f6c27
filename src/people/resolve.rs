//! Resolves records into individuals the way breach reviewers do: shared identifiers join,
//! conflicting identifiers keep apart, names join only with further evidence; and measures
//! which combinations of elements each record and person reaches.

use std::collections::BTreeMap;
use std::fs::File;
use std::io;
use std::os::unix::fs::FileExt;

// Keys are keyed fingerprints, uniform already: a fast hasher is safe and resolve is hash-bound.
use foldhash::{HashMap, HashMapExt};
use rayon::prelude::*;
use std::sync::Arc;

use sha2::{Digest, Sha256};
use smallvec::SmallVec;

use super::store::{ElementReader, GroupedElements, RecordStore, StoredElement};
use super::{PeopleEstimate, Role};
use crate::aggregate::DetectorInfo;
use crate::rules::{Combination, Severity};
use crate::runs::{FinishedRuns, RenderedPart, SortedRuns};

/// How the estimate and its bounds are made, in words for summary.json and the report.
pub const METHOD: &str = "Findings in one record (a table row, a JSON object, a labelled block such as `Name: … SSN: …`, or one line of text) belong to one person. Two records are the same person when they share a primary identifier (SSN, ITIN, passport, driver's licence, medical record or health insurance number) and no primary identifier conflicts; or when they share a linking identifier (e-mail, phone, card, bank account, IBAN, username) and neither a primary identifier nor the name conflicts; or when they carry the same normalised full name and share a date of birth or postal address. A record with a name and no identifier joins a person of that name. Same name and nothing else in common: kept apart, but counted as a possible same person. Lower bound: every same-name cluster merged. Upper bound: no merge based on a name at all (only shared identifiers). Records with no name and no identifier (a password alone, an expiry date alone) belong to no one and are not counted as people.";

/// Most combinations a rule set may define: a record keeps the ones it meets as bits.
pub const MAX_COMBINATIONS: usize = 64;

/// Everything the outputs need about records and people.
#[derive(Debug, Default)]
pub struct Resolution {
    /// Per record (same order as the store): its individual, the combinations it meets, its
    /// severity.
    pub records: Vec<RecordVerdict>,
    /// Individuals, ordered worst first, then by id (`Person::order`).
    pub individuals: Vec<Person>,
    /// individuals.csv's rows, without the header, rendered in the people pass and kept on
    /// disk in runs sorted as `individuals` is.
    pub individual_rows: Option<FinishedRuns>,
    pub estimate: PeopleEstimate,
    /// Per data class: records holding it, individuals holding it.
    pub class_counts: BTreeMap<Arc<str>, (usize, usize)>,
    /// Per combination (same order as the model): records, individuals, files.
    pub combination_counts: Vec<(usize, usize, usize)>,
    /// Per group (numbered as `resolve`'s `group_of_path` numbers them) and data class:
    /// records holding it, individuals holding it.
    pub group_counts: BTreeMap<(u32, Arc<str>), (usize, usize)>,
}

/// Sixteen bytes: one per record.
#[derive(Debug, Clone, Copy)]
pub struct RecordVerdict {
    /// Bit `c` set: the record meets combination `c`.
    pub combinations: u64,
    /// The id of the person the record belongs to, if any. The id itself, not the person's
    /// place in `Resolution::individuals`: records.csv names a person on each of its rows, and
    /// looking 1.8 million of them up in a list of 1.2 million people, in no order, missed
    /// the cache nearly every time.
    person: Option<PersonId>,
    pub severity: Option<Severity>,
}

impl RecordVerdict {
    /// The id of the person the record belongs to, if it belongs to someone.
    pub fn person(&self) -> Option<PersonId> {
        self.person
    }

    /// Indices of the combinations met, in model order.
    pub fn combinations(&self) -> impl Iterator<Item = usize> + '_ {
        // Only the set bits, lowest first: most records meet none or one of 64.
        let mut left = self.combinations;
        std::iter::from_fn(move || {
            let c = left.trailing_zeros() as usize;
            left &= left.checked_sub(1)?;
            Some(c)
        })
    }
}

/// One person, as stored: the id and severity to order by, and where the records are. Sixteen
/// bytes, since a large share holds millions.
#[derive(Debug, Clone)]
pub struct Person {
    pub id: PersonId,
    pub severity: Severity,
    members: std::ops::Range<u32>,
}

impl Person {
    fn members(&self) -> std::ops::Range<usize> {
        self.members.start as usize..self.members.end as usize
    }

    /// The order of people: worst severity first, then by id, then (equal ids, as for
    /// `P-unknown`) by first record. Also the key of their individuals.csv rows, which are
    /// rendered before people are sorted.
    fn order(&self) -> u128 {
        let (unknown, id) = self.id.sort_key();
        let mut key = [0u8; 16];
        key[0] = u8::MAX - self.severity as u8;
        key[1] = u8::from(unknown);
        key[2..8].copy_from_slice(&id);
        key[8..12].copy_from_slice(&self.members.start.to_be_bytes());
        u128::from_be_bytes(key)
    }
}

/// A person's id: stable for the same fingerprint key, derived from the person's strongest
/// identifier. Shown as `P-` and twelve hex digits, or `P-unknown`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PersonId(Option<[u8; 6]>);

impl PersonId {
    /// Orders as the shown ids do: hex digits sort before the `u` of `P-unknown`.
    fn sort_key(&self) -> (bool, [u8; 6]) {
        (self.0.is_none(), self.0.unwrap_or_default())
    }
}

impl PersonId {
    /// The id as shown, written into `buffer`: records.csv names a person on every row, and
    /// this allocates nothing.
    pub fn render<'b>(&self, buffer: &'b mut [u8; 14]) -> &'b str {
        let Some(hash) = self.0 else {
            return "P-unknown";
        };
        buffer[..2].copy_from_slice(b"P-");
        // Six bytes always fit twelve hex digits, and hex digits are ASCII.
        match hex::encode_to_slice(hash, &mut buffer[2..]) {
            Ok(()) => std::str::from_utf8(&buffer[..]).unwrap_or("P-unknown"),
            Err(_) => "P-unknown",
        }
    }
}

impl std::fmt::Display for PersonId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.render(&mut [0; 14]))
    }
}

type Keyed = (u32, [u8; 16]);

/// A record's primary identifier or name: rule index and fingerprint, 18 bytes.
type Own = (u16, [u8; 16]);

/// Records read at once by one task of the people pass's parallel passes.
const RECORDS_PER_TASK: usize = 16_384;

/// People the people pass renders individuals.csv rows for, and sorts them, at a time: about
/// 4 MiB of rows. Two rounds' rows are held at once (one rendered, one written), and rounds of
/// 65,536 raised the pass's peak by 8 MB on the 1 GiB bench share.
const PEOPLE_PER_ROUND: usize = 32_768;
/// People one task of the people pass takes.
const PEOPLE_PER_TASK: usize = 4_096;

/// `0..len` in stretches of `RECORDS_PER_TASK`.
fn stretches(len: usize) -> Vec<std::ops::Range<usize>> {
    (0..len)
        .step_by(RECORDS_PER_TASK)
        .map(|start| start..(start + RECORDS_PER_TASK).min(len))
        .collect()
}

/// What the joins know of each record's identity. The conflict checks read any root record's
/// primary identifiers and names, in any order, so those are copied here (about 23 MB on the
/// 1 GiB bench share, against 151 MB for all elements); the keys of the joins come from the
/// store's elements, read in stretches of records.
struct Identities<'a> {
    records: &'a RecordStore,
    roles: Vec<Option<Role>>,
    /// Where each record's primary identifiers and names start in `own`, and one more entry
    /// where the last one's end.
    starts: Vec<u32>,
    /// Primary identifiers and names of every record, in record order, and within a record in
    /// element order.
    own: Vec<Own>,
    /// Per record, whether it holds a primary or linking identifier.
    identified: Vec<bool>,
}

impl<'a> Identities<'a> {
    fn of(records: &'a RecordStore, table: &[DetectorInfo]) -> Identities<'a> {
        let roles: Vec<Option<Role>> = table.iter().map(|d| d.role).collect();
        let role_of = |e: &StoredElement| roles.get(e.detector as usize).copied().flatten();
        let kept = |e: &&StoredElement| matches!(role_of(e), Some(Role::Primary | Role::Name));
        let len = records.len();
        // Counted first, so the copy is allocated once at its size; the counts become starts.
        // One more than the records: the end of the last one's, pushed below without moving.
        let mut starts: Vec<u32> = Vec::with_capacity(len + 1);
        starts.resize(len, 0);
        let mut identified = vec![false; len];
        starts
            .par_chunks_mut(RECORDS_PER_TASK)
            .zip(identified.par_chunks_mut(RECORDS_PER_TASK))
            .enumerate()
            .for_each(|(task, (counts, identified))| {
                let first = task * RECORDS_PER_TASK;
                let mut reader = records.reader_within(first..first + counts.len());
                for (r, (count, identified)) in (first..).zip(counts.iter_mut().zip(identified)) {
                    let elements = reader.elements(r);
                    *count = elements.iter().filter(kept).count() as u32;
                    *identified = elements
                        .iter()
                        .any(|e| matches!(role_of(e), Some(Role::Primary | Role::Linking)));
                }
            });
        let mut total = 0u32;
        for start in &mut starts {
            let count = *start;
            *start = total;
            // Four billion names would need 72 GB here; past that, records read as having none.
            total = total.saturating_add(count);
        }
        starts.push(total);
        let mut own: Vec<Own> = vec![(0, [0; 16]); total as usize];
        let spans = stretches(len);
        let lengths: Vec<usize> = spans
            .iter()
            .map(|s| starts[s.end].saturating_sub(starts[s.start]) as usize)
            .collect();
        split_by_lengths(&mut own, &lengths)
            .into_par_iter()
            .zip(&spans)
            .for_each(|(slots, span)| {
                let mut reader = records.reader_within(span.clone());
                let mut slots = slots.iter_mut();
                for r in span.clone() {
                    for e in reader.elements(r).iter().filter(kept) {
                        if let Some(slot) = slots.next() {
                            *slot = (e.detector, e.fingerprint);
                        }
                    }
                }
            });
        Identities {
            records,
            roles,
            starts,
            own,
            identified,
        }
    }

    fn len(&self) -> usize {
        self.records.len()
    }

    fn role(&self, detector: u16) -> Option<Role> {
        self.roles.get(detector as usize).copied().flatten()
    }

    /// Record `r`'s primary identifiers and names.
    fn own(&self, r: usize) -> &[Own] {
        match (self.starts.get(r), self.starts.get(r + 1)) {
            (Some(&start), Some(&end)) => self.own.get(start as usize..end as usize).unwrap_or(&[]),
            _ => &[],
        }
    }

    fn primary(&self, r: usize) -> impl Iterator<Item = Keyed> + Clone + '_ {
        self.own(r)
            .iter()
            .filter(|&&(d, _)| self.role(d) == Some(Role::Primary))
            .map(|&(d, f)| (d.into(), f))
    }

    fn names(&self, r: usize) -> impl Iterator<Item = [u8; 16]> + Clone + '_ {
        self.own(r)
            .iter()
            .filter(|&&(d, _)| self.role(d) == Some(Role::Name))
            .map(|&(_, name)| name)
    }

    /// The elements of one role among `elements` (a record's, read from the store), as
    /// (detector, fingerprint) in element order.
    fn with_role_in<'e>(
        &'e self,
        elements: &'e [StoredElement],
        role: Role,
    ) -> impl Iterator<Item = Keyed> + Clone + 'e {
        elements
            .iter()
            .filter(move |e| self.role(e.detector) == Some(role))
            .map(|e| (e.detector.into(), e.fingerprint))
    }

    fn has_name(&self, r: usize) -> bool {
        self.names(r).next().is_some()
    }

    fn is_person(&self, r: usize) -> bool {
        self.has_identifier(r) || self.has_name(r)
    }

    fn has_identifier(&self, r: usize) -> bool {
        self.identified.get(r).copied().unwrap_or(false)
    }
}

/// What a cluster of several records holds, for conflict checks: 40 bytes. Most clusters hold
/// one name, kept inline (a box and two vectors per merged cluster were three allocations,
/// about 200 bytes, for each of hundreds of thousands of clusters); fewer hold a primary
/// identifier, which is boxed so that the others do not carry room for it (64 bytes each,
/// 41 MB on the 1 GiB bench share).
#[derive(Debug, Default, Clone)]
struct ClusterFacts {
    primary: Option<Box<SmallVec<[Keyed; 1]>>>,
    names: SmallVec<[[u8; 16]; 1]>,
    has_identifier: bool,
}

impl ClusterFacts {
    fn primary(&self) -> &[Keyed] {
        self.primary.as_deref().map_or(&[], |primary| &primary[..])
    }

    /// Adds the primary identifiers not there yet: a cluster holds a handful, so a scan beats
    /// a set.
    fn add_primary(&mut self, items: impl Iterator<Item = Keyed>) {
        for item in items {
            let primary = self.primary.get_or_insert_with(Box::default);
            if !primary.contains(&item) {
                primary.push(item);
            }
        }
    }
}

/// `Clusters::merged` of a root that has absorbed no other record.
const NO_FACTS: u32 = u32::MAX;

/// Clusters whose facts room is set aside at once, at most (256 MB of address space): past
/// that, the array grows as it needs.
const MOST_FACTS_SET_ASIDE: usize = 1 << 22;

/// Union-find over records that keeps each cluster's facts at its root.
struct Clusters<'a> {
    identities: &'a Identities<'a>,
    /// u32: record numbers fit (the store holds far fewer than four billion records in memory),
    /// and the union-find is the largest array of the people pass after the store.
    parent: Vec<u32>,
    /// Per record: where in `facts` stand the facts of the cluster it roots, once it has
    /// absorbed other records; `NO_FACTS`: the root record's own identity, so the many
    /// clusters of one record hold nothing.
    merged: Vec<u32>,
    facts: Vec<ClusterFacts>,
    /// Places in `facts` of clusters that joined another, taken again before `facts` grows.
    free: Vec<u32>,
}

impl<'a> Clusters<'a> {
    fn new(identities: &'a Identities<'a>) -> Clusters<'a> {
        Clusters {
            identities,
            parent: (0..identities.len() as u32).collect(),
            merged: vec![NO_FACTS; identities.len()],
            // Room for the most clusters of two or more records there can be, set aside once:
            // pages are resident only as they fill, and the array never moves (it grew to
            // 38 MB by doubling on the 1 GiB bench share, holding its old copy while it moved).
            facts: Vec::with_capacity((identities.len() / 2).min(MOST_FACTS_SET_ASIDE)),
            free: Vec::new(),
        }
    }

    /// The merged facts of the cluster rooted at `root`, if it has absorbed other records.
    fn facts_of(&self, root: usize) -> Option<&ClusterFacts> {
        self.facts.get(*self.merged.get(root)? as usize)
    }

    /// A cluster's primary identifiers: its merged facts, or else the root record's own.
    fn primary_of(&self, root: usize) -> impl Iterator<Item = Keyed> + Clone + '_ {
        let (merged, own) = match self.facts_of(root) {
            Some(facts) => (facts.primary(), None),
            None => (&[][..], Some(self.identities.primary(root))),
        };
        merged.iter().copied().chain(own.into_iter().flatten())
    }

    /// A cluster's names: its merged facts, or else the root record's own.
    fn names_of(&self, root: usize) -> impl Iterator<Item = [u8; 16]> + Clone + '_ {
        let (merged, own) = match self.facts_of(root) {
            Some(facts) => (&facts.names[..], None),
            None => (&[][..], Some(self.identities.names(root))),
        };
        merged.iter().copied().chain(own.into_iter().flatten())
    }

    fn has_identifier(&self, root: usize) -> bool {
        match self.facts_of(root) {
            Some(facts) => facts.has_identifier,
            None => self.identities.has_identifier(root),
        }
    }

    /// Takes the merged facts of the cluster rooted at `root` (which is joining another), and
    /// frees their place.
    fn take_facts(&mut self, root: usize) -> Option<ClusterFacts> {
        let at = std::mem::replace(&mut self.merged[root], NO_FACTS);
        let facts = self.facts.get_mut(at as usize)?;
        self.free.push(at);
        Some(std::mem::take(facts))
    }

    /// The merged facts of the cluster rooted at `root`, made from the root record's own
    /// identity (in a freed place if there is one) when it absorbs its first other record.
    fn facts_to_merge_into(&mut self, root: usize) -> &mut ClusterFacts {
        if self.merged[root] == NO_FACTS {
            let identities = self.identities;
            let mut own = ClusterFacts {
                primary: None,
                names: identities.names(root).collect(),
                has_identifier: identities.has_identifier(root),
            };
            own.add_primary(identities.primary(root));
            self.merged[root] = match self.free.pop() {
                Some(at) => {
                    self.facts[at as usize] = own;
                    at
                }
                None => {
                    self.facts.push(own);
                    (self.facts.len() - 1) as u32
                }
            };
        }
        &mut self.facts[self.merged[root] as usize]
    }

    fn find(&mut self, x: usize) -> usize {
        let mut x = x as u32;
        while self.parent[x as usize] != x {
            self.parent[x as usize] = self.parent[self.parent[x as usize] as usize];
            x = self.parent[x as usize];
        }
        x as usize
    }

    fn primary_conflict(&self, a: usize, b: usize) -> bool {
        let pb = self.primary_of(b);
        self.primary_of(a)
            .any(|(d, f)| pb.clone().any(|(e, g)| d == e && f != g))
    }

    fn name_conflict(&self, a: usize, b: usize) -> bool {
        let (mut na, nb) = (self.names_of(a).peekable(), self.names_of(b));
        na.peek().is_some()
            && nb.clone().next().is_some()
            && !na.any(|n| nb.clone().any(|m| m == n))
    }

    /// Joins the clusters of `a` and `b` (the lower root stays root, so results do not depend
    /// on hash order).
    fn union(&mut self, a: usize, b: usize) {
        let (ra, rb) = (self.find(a), self.find(b));
        if ra == rb {
            return;
        }
        let (root, child) = if ra < rb { (ra, rb) } else { (rb, ra) };
        self.parent[child] = root as u32;
        let identities = self.identities;
        let moved = self.take_facts(child);
        // The child's facts as (merged, own), one of the two empty: a one-record child
        // allocates nothing.
        let (merged_primary, own_primary, merged_names, own_names, moved_identified) = match &moved
        {
            Some(facts) => (
                facts.primary(),
                None,
                &facts.names[..],
                None,
                facts.has_identifier,
            ),
            None => (
                &[][..],
                Some(identities.primary(child)),
                &[][..],
                Some(identities.names(child)),
                identities.has_identifier(child),
            ),
        };
        let facts = self.facts_to_merge_into(root);
        /// Adds the items not there yet: a cluster holds a handful, so a scan beats a set.
        fn add_distinct<A: smallvec::Array>(
            into: &mut SmallVec<A>,
            items: impl Iterator<Item = A::Item>,
        ) where
            A::Item: PartialEq,
        {
            for item in items {
                if !into.contains(&item) {
                    into.push(item);
                }
            }
        }
        let moved_primary = merged_primary.iter().copied();
        facts.add_primary(moved_primary.chain(own_primary.into_iter().flatten()));
        let moved_names = merged_names.iter().copied();
        add_distinct(
            &mut facts.names,
            moved_names.chain(own_names.into_iter().flatten()),
        );
        facts.has_identifier |= moved_identified;
    }

    /// Joins the records of `attempts` (from `join_attempts`), in their order, unless
    /// `blocked` says their clusters conflict.
    fn join(&mut self, attempts: &[Attempt], blocked: impl Fn(&Clusters, usize, usize) -> bool) {
        for &(_, record, first) in attempts {
            let (ra, rb) = (self.find(record as usize), self.find(first as usize));
            if ra != rb && !blocked(self, ra, rb) {
                self.union(ra, rb);
            }
        }
    }

    /// Points every record straight at its root, so that `root` reads in one step on every
    /// core. A record's parent is never above it (the lower root stays root), so one pass in
    /// record order settles them all.
    fn settle(&mut self) {
        for x in 0..self.parent.len() {
            self.parent[x] = self.parent[self.parent[x] as usize];
        }
    }

    /// Every record's root, each record pointing straight at it.
    fn into_roots(mut self) -> Vec<u32> {
        self.settle();
        self.parent
    }

    /// The root of `x`, read without shortening the path (one step after `settle`).
    fn root(&self, x: usize) -> usize {
        let mut x = x as u32;
        while self.parent[x as usize] != x {
            x = self.parent[x as usize];
        }
        x as usize
    }

    /// Clusters of people. Only people ever join, and the lowest record of a cluster is its
    /// root: each cluster of people is counted at its root, with no list of them.
    fn count_roots(&mut self) -> usize {
        self.settle();
        let identities = self.identities;
        (0..self.parent.len())
            .into_par_iter()
            .filter(|&r| identities.is_person(r) && self.root(r) == r)
            .count()
    }
}

/// A join key as it waits on disk for its round: a fixed number of bytes.
trait JoinKey: Ord + Copy + Send + Sync {
    const BYTES: usize;
    fn put(&self, out: &mut Vec<u8>);
    /// The key from `bytes`, which hold `BYTES`.
    fn get(bytes: &[u8]) -> Self;
}

impl JoinKey for Keyed {
    const BYTES: usize = 20;
    fn put(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.0.to_le_bytes());
        out.extend_from_slice(&self.1);
    }
    fn get(bytes: &[u8]) -> Self {
        (u32::from_le_bytes(bytes_at(bytes, 0)), bytes_at(bytes, 4))
    }
}

impl JoinKey for ([u8; 16], Keyed) {
    const BYTES: usize = 36;
    fn put(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.0);
        self.1.put(out);
    }
    fn get(bytes: &[u8]) -> Self {
        (
            bytes_at(bytes, 0),
            Keyed::get(bytes.get(16..).unwrap_or(&[])),
        )
    }
}

/// The `N` bytes of `bytes` from `at`; zeros where it is too short.
fn bytes_at<const N: usize>(bytes: &[u8], at: usize) -> [u8; N] {
    let mut out = [0u8; N];
    if let Some(from) = bytes.get(at..at + N) {
        out.copy_from_slice(from);
    }
    out
}

/// Bytes of one key, its position and its record in the keys' file.
fn entry_bytes<K: JoinKey>() -> usize {
    K::BYTES + 8
}

/// Entries read from a round's file at once (1.4 MiB of names with quasi-identifiers).
const ENTRIES_READ_AT_ONCE: usize = 1 << 15;

/// A later record's attempt to join the first record of a key it shares: (the key's position
/// in the keys of all records, in record order; the later record; the first record).
type Attempt = (u32, u32, u32);

/// The joins of records that share a key, in the order they are tried: `keys_of(r, reader,
/// keys)` adds record `r`'s keys, each at most once, reading its elements through `reader` if
/// it needs them (keys taken from `Identities` read nothing); every later record of a key
/// tries to join the first record of that key, in record order (and within a record, in the
/// order of its keys). Who is first is found by a parallel sort rather than a hash map, and
/// the keys are gathered on every core in stretches of records. Keys of different cells
/// (`cell_of`, as `key_cell`) never match, so they are sorted a few cells at a time: never
/// more keys at once than the largest cell has. The keys wait on disk between the pass that
/// finds them and the round that sorts them. Reads no cluster, so it can run while other
/// joins are made (`Clusters::join`); an I/O failure is noted in the store and gives none.
fn join_attempts<K>(
    identities: &Identities,
    keys_of: impl Fn(usize, &mut ElementReader, &mut Vec<K>) + Sync,
    cell_of: impl Fn(&K) -> u32 + Sync,
) -> Vec<Attempt>
where
    K: JoinKey,
{
    let store = identities.records;
    // Every key of the records of `stretch`, in order, with its record.
    let each_key = |stretch: &std::ops::Range<usize>, visit: &mut dyn FnMut(K, u32)| {
        let mut reader = store.reader_within(stretch.clone());
        let mut keys: Vec<K> = Vec::new();
        for r in stretch.clone() {
            keys.clear();
            keys_of(r, &mut reader, &mut keys);
            keys.iter().for_each(|&key| visit(key, r as u32));
        }
    };
    let stretches = stretches(identities.len());
    // Keys per cell in each stretch: where each stretch's keys start, and the rounds.
    let per_stretch: Vec<Vec<u32>> = stretches
        .par_iter()
        .map(|stretch| {
            let mut per_cell: Vec<u32> = Vec::new();
            each_key(stretch, &mut |key, _| {
                let cell = cell_of(&key) as usize;
                if cell >= per_cell.len() {
                    per_cell.resize(cell + 1, 0);
                }
                per_cell[cell] += 1;
            });
            per_cell
        })
        .collect();
    let cells = per_stretch.iter().map(Vec::len).max().unwrap_or(0);
    let mut per_cell = vec![0usize; cells];
    for counts in &per_stretch {
        for (total, &n) in per_cell.iter_mut().zip(counts) {
            *total += n as usize;
        }
    }
    let keys_in = |stretch: usize, in_round: &[bool]| -> usize {
        per_stretch[stretch]
            .iter()
            .zip(in_round)
            .filter(|(_, in_round)| **in_round)
            .map(|(&n, _)| n as usize)
            .sum()
    };
    let everything = vec![true; cells];
    let stretch_keys: Vec<usize> = (0..stretches.len())
        .map(|s| keys_in(s, &everything))
        .collect();
    // A key's position: its place in the keys of all records, in record order.
    let stretch_start: Vec<usize> = stretch_keys
        .iter()
        .scan(0usize, |next, &n| {
            let start = *next;
            *next += n;
            Some(start)
        })
        .collect();
    // Cells sorted together in rounds of at most as many keys as the largest one has: the
    // peak is that of the largest cell.
    let most = per_cell.iter().copied().max().unwrap_or(0);
    let mut rounds: Vec<(Vec<bool>, usize)> = Vec::new();
    for (cell, count) in per_cell.into_iter().enumerate().filter(|&(_, n)| n > 0) {
        match rounds.last_mut() {
            Some((in_round, keys)) if *keys + count <= most => {
                in_round[cell] = true;
                *keys += count;
            }
            _ => {
                let mut in_round = vec![false; cells];
                in_round[cell] = true;
                rounds.push((in_round, count));
            }
        }
    }
    let mut round_of_cell = vec![usize::MAX; cells];
    for (round, (in_round, _)) in rounds.iter().enumerate() {
        for (cell, _) in in_round
            .iter()
            .enumerate()
            .filter(|(_, in_round)| **in_round)
        {
            round_of_cell[cell] = round;
        }
    }
    // Each round's keys wait on disk, one round after the other in one file, written in
    // a single pass over the elements: a pass per round read them all again for each
    // (seventeen passes of 151 MB on the 1 GiB bench share). Where each stretch's keys of
    // each round start there, in entries:
    let mut round_start = 0;
    let entry_starts: Vec<Vec<usize>> = rounds
        .iter()
        .map(|(in_round, count)| {
            let starts = (0..stretches.len())
                .scan(round_start, |next, s| {
                    let start = *next;
                    *next += keys_in(s, in_round);
                    Some(start)
                })
                .collect();
            round_start += count;
            starts
        })
        .collect();
    let keys_file = match tempfile::tempfile() {
        Ok(file) => file,
        Err(error) => {
            store.note_io_failure(error);
            return Vec::new();
        }
    };
    // A key's entry holds its record too, so no list of every key's record is kept: an
    // attempt then carries the record it joins (11 MB of keys' records on the 1 GiB bench
    // share, against 3.6 MB more of attempts).
    stretches.par_iter().enumerate().for_each(|(s, stretch)| {
        let mut position = stretch_start[s] as u32;
        let mut entries: Vec<Vec<u8>> = vec![Vec::new(); rounds.len()];
        each_key(stretch, &mut |key, r| {
            let round = round_of_cell.get(cell_of(&key) as usize).copied();
            if let Some(entries) = round.and_then(|round| entries.get_mut(round)) {
                key.put(entries);
                entries.extend_from_slice(&position.to_le_bytes());
                entries.extend_from_slice(&r.to_le_bytes());
            }
            position += 1;
        });
        for (starts, entries) in entry_starts.iter().zip(entries) {
            let at = (starts[s] * entry_bytes::<K>()) as u64;
            if let Err(error) = keys_file.write_all_at(&entries, at) {
                store.note_io_failure(error);
            }
        }
    });
    let mut attempts: Vec<Attempt> = Vec::new();
    let mut round_start = 0;
    for (_, count) in rounds {
        let mut keyed = match read_round::<K>(&keys_file, round_start, count) {
            Ok(keyed) => keyed,
            Err(error) => {
                store.note_io_failure(error);
                return Vec::new();
            }
        };
        round_start += count;
        // Within a key, the lowest position is the first record in reading order.
        keyed.par_sort_unstable();
        for same_key in keyed.chunk_by(|a, b| a.0 == b.0) {
            let first = same_key[0].2;
            attempts.extend(
                same_key[1..]
                    .iter()
                    .map(|&(_, position, record)| (position, record, first)),
            );
        }
    }
    attempts.par_sort_unstable();
    attempts
}

/// The `count` keys, positions and records of a round, from entry `start` of `file`.
fn read_round<K: JoinKey>(
    file: &File,
    start: usize,
    count: usize,
) -> io::Result<Vec<(K, u32, u32)>> {
    let entry = entry_bytes::<K>();
    let mut keyed = Vec::with_capacity(count);
    let mut buffer = vec![0u8; entry * count.min(ENTRIES_READ_AT_ONCE)];
    let mut at = (start * entry) as u64;
    while keyed.len() < count {
        let bytes = &mut buffer[..entry * (count - keyed.len()).min(ENTRIES_READ_AT_ONCE)];
        file.read_exact_at(bytes, at)?;
        at += bytes.len() as u64;
        keyed.extend(bytes.chunks_exact(entry).map(|entry| {
            let (key, rest) = entry.split_at(K::BYTES);
            (
                K::get(key),
                u32::from_le_bytes(bytes_at(rest, 0)),
                u32::from_le_bytes(bytes_at(rest, 4)),
            )
        }));
    }
    Ok(keyed)
}

/// `slice` cut into consecutive pieces of `lengths` (which add up to at most its length).
fn split_by_lengths<'s, T>(mut slice: &'s mut [T], lengths: &[usize]) -> Vec<&'s mut [T]> {
    let mut pieces = Vec::with_capacity(lengths.len());
    for &length in lengths {
        let length = length.min(slice.len());
        let (piece, rest) = std::mem::take(&mut slice).split_at_mut(length);
        pieces.push(piece);
        slice = rest;
    }
    pieces
}

/// Keys of one detector are split this many ways by their fingerprint's first byte, so that
/// a join round sorts at most a sixteenth of the largest detector's keys: the e-mail round's
/// keys were 43 MB on the 1 GiB bench share, the largest array of the people pass's peak.
/// Rounds read their keys from files of their own, so more of them cost little.
const KEY_SHARDS: u32 = 16;

/// The cell of a key of `detector` whose fingerprint is `fingerprint`: equal keys share one.
fn key_cell(detector: u32, fingerprint: &[u8; 16]) -> u32 {
    detector * KEY_SHARDS + u32::from(fingerprint[0]) % KEY_SHARDS
}

/// The point clustering: joins on shared primary identifiers, then on shared linking
/// identifiers, then on a name with the same date of birth or address, then on a name alone.
/// Gives the upper bound, the clusters before any name-based join. The joins are made one at a
/// time, in order, but each one's keys are found while the join before it is made, on whichever
/// core is free: the linking join alone kept one core busy for 0.3 s on the 1 GiB bench share,
/// the other idle.
fn cluster_points(clusters: &mut Clusters, identities: &Identities) -> usize {
    let identifier_cell = |(detector, fingerprint): &Keyed| key_cell(*detector, fingerprint);
    let primary = join_attempts(
        identities,
        |r, _, keys| keys.extend(identities.primary(r)),
        identifier_cell,
    );
    let linking_keys = |r, reader: &mut ElementReader, keys: &mut Vec<Keyed>| {
        keys.extend(identities.with_role_in(reader.elements(r), Role::Linking));
    };
    let ((), linking) = rayon::join(
        || clusters.join(&primary, |c, a, b| c.primary_conflict(a, b)),
        || join_attempts(identities, linking_keys, identifier_cell),
    );
    drop(primary);
    let quasi_keys = |r, reader: &mut ElementReader, keys: &mut Vec<([u8; 16], Keyed)>| {
        let elements = reader.elements(r);
        for name in identities.names(r) {
            keys.extend(
                identities
                    .with_role_in(elements, Role::Quasi)
                    .map(|q| (name, q)),
            );
        }
    };
    let quasi_cell = |(name, (detector, _)): &([u8; 16], Keyed)| key_cell(*detector, name);
    let ((), quasi) = rayon::join(
        || {
            clusters.join(&linking, |c, a, b| {
                c.primary_conflict(a, b) || c.name_conflict(a, b)
            })
        },
        || join_attempts(identities, quasi_keys, quasi_cell),
    );
    drop(linking);
    let upper_bound = clusters.count_roots();
    clusters.join(&quasi, |c, a, b| c.primary_conflict(a, b));
    drop(quasi);
    join_on_bare_names(clusters, identities);
    crate::memory::release_freed();
    upper_bound
}

/// The last join of the point clustering: records with a name and no identifier.
fn join_on_bare_names(clusters: &mut Clusters, identities: &Identities) {
    // A name without identifiers joins the first identified person of that name, else the
    // first other bare record of that name; identified people never join on a name alone.
    // Which records are identified is read on every core first: the joins below only ever make
    // more clusters identified, so a record identified now stays so, and only the bare ones
    // need the one-at-a-time pass.
    clusters.settle();
    let clusters_now = &*clusters;
    /// A record's part in this pass, one byte per record: a list of the named records and their
    /// state, gathered on every core, was two copies of ten bytes per record at the peak.
    #[derive(Clone, Copy, PartialEq, Eq)]
    enum Named {
        No,
        Identified,
        Bare,
    }
    let named: Vec<Named> = (0..identities.len())
        .into_par_iter()
        .map(|r| {
            if !identities.has_name(r) {
                Named::No
            } else if clusters_now.has_identifier(clusters_now.root(r)) {
                Named::Identified
            } else {
                Named::Bare
            }
        })
        .collect();
    let records_in = |state: Named| {
        let named = &named;
        (0..named.len()).filter(move |&r| named[r] == state)
    };
    // The first identified record of each name, by a parallel sort rather than a hash map; the
    // list is counted first, so it is allocated once at its size.
    let names_identified = named
        .par_iter()
        .enumerate()
        .filter(|&(_, &state)| state == Named::Identified)
        .map(|(r, _)| identities.names(r).count())
        .sum();
    let mut first_identified: Vec<([u8; 16], u32)> = Vec::with_capacity(names_identified);
    first_identified.extend(
        records_in(Named::Identified)
            .flat_map(|r| identities.names(r).map(move |name| (name, r as u32))),
    );
    first_identified.par_sort_unstable();
    first_identified.dedup_by_key(|&mut (name, _)| name);
    let identified_with = |name: &[u8; 16]| {
        first_identified
            .binary_search_by(|(n, _)| n.cmp(name))
            .ok()
            .map(|i| first_identified[i].1 as usize)
    };
    let mut first_bare: HashMap<[u8; 16], usize> = HashMap::new();
    for r in records_in(Named::Bare) {
        for name in identities.names(r) {
            let root = clusters.find(r);
            if clusters.has_identifier(root) {
                break;
            }
            match identified_with(&name).or_else(|| first_bare.get(&name).copied()) {
                Some(other) => {
                    let other_root = clusters.find(other);
                    if other_root != root && !clusters.primary_conflict(root, other_root) {
                        clusters.union(root, other_root);
                    }
                }
                None => {
                    first_bare.insert(name, r);
                }
            }
        }
    }
}

/// Resolves `records` (in output order) into individuals, counts combinations, counts records
/// and people per group (`group_of_path`: each of the store's paths' group, by number) and
/// renders individuals.csv's rows; fails only if the rows cannot be kept on disk.
pub fn resolve(
    records: &RecordStore,
    table: &[DetectorInfo],
    combinations: &[Combination],
    group_of_path: &[u32],
) -> io::Result<Resolution> {
    resolve_in_rounds(records, table, combinations, group_of_path, ROUND_LIMITS)
}

/// `resolve`, with the people pass's rounds cut at `limits` (tests cut small ones).
fn resolve_in_rounds(
    records: &RecordStore,
    table: &[DetectorInfo],
    combinations: &[Combination],
    group_of_path: &[u32],
    limits: RoundLimits,
) -> io::Result<Resolution> {
    let combinations = &combinations[..combinations.len().min(MAX_COMBINATIONS)];
    let identities = Identities::of(records, table);
    // Record numbers as u32 here and below: these arrays are as long as the records, and the
    // store could not hold four billion records in memory anyway. People (records with a name
    // or an identifier) are told by `is_person` each time: a list of them was 7.4 MB at the
    // people pass's peak on the 1 GiB bench share.
    let records_len = records.len();

    // The upper bound is the point clustering before any name-based join: one clustering serves
    // both.
    let mut point = Clusters::new(&identities);
    let upper_bound = cluster_points(&mut point, &identities);
    // The clustering is settled: every record's cluster is read from here on, on every core.
    let roots = point.into_roots();
    let root = |r: u32| roots[r as usize];

    // Clusters of the point estimate that share a name: possible same persons (a record with a
    // name is a person). Counted first, so the list is allocated once at its size (it is among
    // the largest).
    let names_of_people = (0..records_len)
        .into_par_iter()
        .map(|r| identities.names(r).count())
        .sum();
    let mut name_roots: Vec<([u8; 16], u32)> = Vec::with_capacity(names_of_people);
    name_roots.extend(
        (0..records_len).flat_map(|r| identities.names(r).map(move |n| (n, root(r as u32)))),
    );
    name_roots.par_sort_unstable();
    name_roots.dedup();
    let name_groups: Vec<&[([u8; 16], u32)]> = name_roots.chunk_by(|a, b| a.0 == b.0).collect();
    let possible_same_person_clusters = name_groups.iter().filter(|g| g.len() > 1).count();
    // The lower bound only needs who joins whom: a plain union-find that starts from the point
    // clusters (only people ever join, so the rest stay alone either way).
    let mut lower: Vec<u32> = roots.clone();
    fn root_of(parent: &mut [u32], mut x: u32) -> u32 {
        while parent[x as usize] != x {
            parent[x as usize] = parent[parent[x as usize] as usize];
            x = parent[x as usize];
        }
        x
    }
    for group in &name_groups {
        let mut it = group.iter().map(|(_, root)| *root);
        if let Some(first) = it.next() {
            for other in it {
                let (a, b) = (root_of(&mut lower, first), root_of(&mut lower, other));
                if a != b {
                    lower[a.max(b) as usize] = a.min(b);
                }
            }
        }
    }
    // Joined clusters keep the lowest root, a person's: each is counted at it, as above.
    let lower_bound = (0..records_len as u32)
        .filter(|&r| identities.is_person(r as usize) && root_of(&mut lower, r) == r)
        .count();

    drop(lower);
    drop(name_roots);
    crate::memory::release_freed();
    let mut by_root: Vec<(u32, u32)> = (0..records_len)
        .into_par_iter()
        .filter(|&r| identities.is_person(r))
        .map(|r| (root(r as u32), r as u32))
        .collect();
    drop(roots);
    drop(identities);
    let meets = combination_table(table, combinations);
    let classes: Vec<&Arc<str>> = {
        let mut classes: Vec<&Arc<str>> = table.iter().map(|d| &d.data_class).collect();
        classes.sort();
        classes.dedup();
        classes
    };
    // Looked up once per detector, not once per element.
    let class_of: Vec<Option<usize>> = table
        .iter()
        .map(|d| classes.binary_search(&&d.data_class).ok())
        .collect();
    // Counted without sets or pair lists: records in stretches, people one by one (each person
    // counts each class and combination once), files by one mask of combinations per item.
    let zeros = || PassCounts::zeros(classes.len(), combinations.len());
    let group_of = |r: usize| {
        group_of_path
            .get(records.path_id(r) as usize)
            .copied()
            .unwrap_or(0)
    };
    let verdict_of = |elements: &[StoredElement]| {
        let mut met = 0u64;
        for (c, groups) in meets.iter().enumerate() {
            let all = groups.iter().all(|group| {
                elements
                    .iter()
                    .any(|e| group.get(e.detector as usize).copied().unwrap_or(false))
            });
            if all {
                met |= 1 << c;
            }
        }
        let element_severity = elements
            .iter()
            .filter_map(|e| table.get(e.detector as usize).map(|d| d.severity))
            .max();
        let combo_severity = (0..combinations.len())
            .filter(|c| met & (1 << c) != 0)
            .map(|c| combinations[c].severity)
            .max();
        RecordVerdict {
            person: None,
            severity: element_severity.max(combo_severity),
            combinations: met,
        }
    };
    // Verdicts, and records per class, combination and (group, class), in one pass over the
    // records in stretches. Verdicts are independent per record, so the output does not depend on threads.
    let mut verdicts: Vec<RecordVerdict> = vec![verdict_of(&[]); records.len()];
    let by_records = verdicts
        .par_chunks_mut(RECORDS_PER_TASK)
        .enumerate()
        .map(|(task, slots)| {
            let mut tally = zeros();
            let mut seen: Vec<usize> = Vec::new();
            let mut pairs: Vec<(u32, usize)> = Vec::new();
            let first = task * RECORDS_PER_TASK;
            let mut reader = records.reader_within(first..first + slots.len());
            for (r, slot) in (first..).zip(slots) {
                let elements = reader.elements(r);
                *slot = verdict_of(elements);
                seen.clear();
                seen.extend(
                    elements
                        .iter()
                        .filter_map(|e| class_of.get(e.detector as usize).copied().flatten()),
                );
                seen.sort_unstable();
                seen.dedup();
                let group = group_of(r);
                pairs.clear();
                pairs.extend(seen.iter().map(|&class| (group, class)));
                tally.count(&seen, &pairs, slot.combinations);
            }
            tally
        })
        .reduce(zeros, PassCounts::add);

    // Members of each point cluster, in record order.
    by_root.par_sort_unstable();
    let members: Vec<u32> = by_root.iter().map(|&(_, r)| r).collect();
    // One person per point cluster, where its members stand; id and severity come next.
    let clusters = by_root.chunk_by(|a, b| a.0 == b.0);
    let mut persons: Vec<Person> = Vec::with_capacity(clusters.clone().count());
    for cluster in clusters {
        let start = persons.last().map_or(0, |p| p.members.end);
        persons.push(Person {
            id: PersonId(None),
            severity: Severity::Info,
            members: start..start + cluster.len() as u32,
        });
    }
    drop(by_root);
    // Each person's id and severity, people per class and combination, and individuals.csv's
    // rows, in one pass over the people in the order of their first record: a person's first
    // record is read in a window, the others from their round's gathered records (or alone,
    // when the store is in memory), and each record is added to the person's sums as it is
    // read (`PersonSums`). The rows are sorted on disk a round of people at a time, so no more
    // than two rounds' rows are held (one being rendered, one being written).
    let mut rows = SortedRuns::new()?;
    let mut by_people = zeros();
    let rounds = rounds_of(
        &persons,
        &members,
        |r| records.elements_len(r as usize),
        limits,
    );
    let (grouped, mut later_lists) = if records.elements_on_disk() {
        let later = LaterMembers::gather(records, &persons, &members, &rounds)?;
        (Some(later.grouped), later.records)
    } else {
        (None, Vec::new())
    };
    let grouped = grouped.as_ref();
    // While a round's people are read, the round before has its rows written and the round
    // after has its later records read, on whichever core is free: alone, each left a core idle
    // (0.23 and 0.05 s on the 1 GiB bench share). Both sets of row buffers, and both rounds'
    // later records, are kept from round to round: buffers freed each round on one thread and
    // taken on another were held by the allocator, 15-20 MB more at the pass's end.
    let mut round_later = RoundMembers::default();
    let mut next_later = RoundMembers::default();
    if let (Some(grouped), Some(first)) = (grouped, rounds.first()) {
        read_later_round(
            grouped,
            &mut later_lists,
            0,
            first,
            records,
            &mut next_later,
        )?;
    }
    let (mut filling, mut writing): (Vec<RenderedPart>, Vec<RenderedPart>) = (vec![], vec![]);
    // Parts of `writing` the last round filled, not yet written.
    let mut to_write = 0;
    for (k, this_round) in rounds.iter().enumerate() {
        std::mem::swap(&mut round_later, &mut next_later);
        let range = this_round.people.clone();
        let tasks = range.len().div_ceil(limits.people_per_task);
        if filling.len() < tasks {
            filling.resize_with(tasks, RenderedPart::default);
        }
        let later_lists = &mut later_lists;
        let next_later = &mut next_later;
        let write_and_read_ahead = || -> io::Result<()> {
            rows.push_run(&writing[..to_write])?;
            match (grouped, rounds.get(k + 1)) {
                (Some(grouped), Some(next)) => {
                    read_later_round(grouped, later_lists, k + 1, next, records, next_later)
                }
                _ => Ok(()),
            }
        };
        let round = &mut persons[range];
        let round_later = &round_later;
        let read_people = || {
            round
                .par_chunks_mut(limits.people_per_task)
                .zip(filling.par_iter_mut())
                .map(|(people, part)| {
                    part.clear();
                    let mut tally = zeros();
                    let mut reader = records.reader();
                    let mut sums = PersonSums::new(records, &verdicts, table, &class_of, &group_of);
                    let mut describer = Describer::new(records, table, combinations);
                    for person in people {
                        sums.clear();
                        read_person(
                            &members[person.members()],
                            &mut reader,
                            round_later,
                            grouped,
                            &mut sums,
                        )?;
                        (person.id, person.severity) = sums.identity();
                        tally.count(sums.classes.items(), sums.group_classes.items(), sums.met);
                        let cells = describer.row(person, &sums);
                        part.push(person.order(), |out| {
                            crate::report::push_csv_row(out, cells)
                        })?;
                    }
                    Ok(tally)
                })
                .collect::<io::Result<Vec<PassCounts>>>()
        };
        let (tallies, written_and_read) = rayon::join(read_people, write_and_read_ahead);
        written_and_read?;
        for tally in tallies? {
            by_people = by_people.add(tally);
        }
        std::mem::swap(&mut filling, &mut writing);
        to_write = tasks;
    }
    rows.push_run(&writing[..to_write])?;
    drop((filling, writing, round_later, next_later));
    let individual_rows = rows.finish()?;
    persons.par_sort_unstable_by_key(Person::order);
    for person in &persons {
        for &r in &members[person.members()] {
            verdicts[r as usize].person = Some(person.id);
        }
    }
    let mut met_in_path = vec![0u64; records.paths().len()];
    for (r, verdict) in verdicts.iter().enumerate() {
        if let Some(met) = met_in_path.get_mut(records.path_id(r) as usize) {
            *met |= verdict.combinations;
        }
    }
    let mut combination_files = vec![0usize; combinations.len()];
    for &met in &met_in_path {
        count_bits(&mut combination_files, met);
    }
    let mut group_counts: BTreeMap<(u32, Arc<str>), (usize, usize)> = BTreeMap::new();
    for (&(group, class), &n) in &by_records.group_class {
        group_counts
            .entry((group, Arc::clone(classes[class])))
            .or_default()
            .0 = n;
    }
    for (&(group, class), &n) in &by_people.group_class {
        group_counts
            .entry((group, Arc::clone(classes[class])))
            .or_default()
            .1 = n;
    }
    let combination_counts: Vec<(usize, usize, usize)> = (0..combinations.len())
        .map(|c| {
            (
                by_records.combination[c],
                by_people.combination[c],
                combination_files[c],
            )
        })
        .collect();
    let class_counts: BTreeMap<Arc<str>, (usize, usize)> = classes
        .iter()
        .enumerate()
        .filter(|&(i, _)| by_records.class[i] > 0)
        .map(|(i, class)| (Arc::clone(class), (by_records.class[i], by_people.class[i])))
        .collect();
    let notification_triggered = persons
        .par_iter()
        .filter(|p| {
            members[p.members()].iter().any(|&r| {
                verdicts[r as usize]
                    .combinations()
                    .any(|c| combinations[c].notification_trigger)
            })
        })
        .count();
    // The rounds' row buffers grew on the threads that rendered them and were freed above, on
    // this one: handed back before the tables are written, which allocate on other threads.
    crate::memory::release_freed();
    Ok(Resolution {
        estimate: PeopleEstimate {
            records: records.len(),
            individuals: persons.len(),
            lower_bound,
            upper_bound,
            possible_same_person_clusters,
            notification_triggered,
            method: METHOD.to_string(),
        },
        individuals: persons,
        individual_rows: Some(individual_rows),
        records: verdicts,
        class_counts,
        combination_counts,
        group_counts,
    })
}

/// Most masked identifiers listed for one person.
const MAX_IDENTIFIERS: usize = 6;

/// Strength of an identifier for listing: names first, then primary, then linking ones.
fn rank(role: Option<Role>) -> u8 {
    match role {
        Some(Role::Name) => 0,
        Some(Role::Primary) => 1,
        Some(Role::Linking) => 2,
        _ => 3,
    }
}

/// Adds one to the count of each combination whose bit is set in `met`.
fn count_bits(counts: &mut [usize], met: u64) {
    for (c, count) in counts.iter_mut().enumerate() {
        if met & (1 << c) != 0 {
            *count += 1;
        }
    }
}

/// What a task's records, or its people, add up to: how many hold each data class, meet each
/// combination, and hold each data class in each group.
#[derive(Debug)]
struct PassCounts {
    class: Vec<usize>,
    combination: Vec<usize>,
    group_class: HashMap<(u32, usize), usize>,
}

impl PassCounts {
    fn zeros(classes: usize, combinations: usize) -> PassCounts {
        PassCounts {
            class: vec![0; classes],
            combination: vec![0; combinations],
            group_class: HashMap::new(),
        }
    }

    /// Counts one record or person, which holds `classes` and the (group, class) `pairs`, each
    /// listed once, and meets the combinations set in `met`.
    fn count(&mut self, classes: &[usize], pairs: &[(u32, usize)], met: u64) {
        for &class in classes {
            if let Some(n) = self.class.get_mut(class) {
                *n += 1;
            }
        }
        count_bits(&mut self.combination, met);
        for &pair in pairs {
            *self.group_class.entry(pair).or_default() += 1;
        }
    }

    fn add(mut self, other: PassCounts) -> PassCounts {
        for (t, n) in self.class.iter_mut().zip(other.class) {
            *t += n;
        }
        for (t, n) in self.combination.iter_mut().zip(other.combination) {
            *t += n;
        }
        for (pair, n) in other.group_class {
            *self.group_class.entry(pair).or_default() += n;
        }
        self
    }
}

/// Elements the later records of one round's people hold at most (0.7 MB): a round's later
/// records are held whole, and so are the next round's, read ahead; 5.8 MB rounds added 5 MB
/// to a 4 GiB log's peak. One person's alone past this are streamed (`Round::streamed`).
const LATER_PER_ROUND: usize = 1 << 15;

/// How the people pass cuts its people: rounds end (`rounds_of`) at `people` people, or before
/// the person whose later records would take the round past `later_elements` elements; a
/// task takes `people_per_task` of a round's people.
#[derive(Debug, Clone, Copy)]
struct RoundLimits {
    people: usize,
    later_elements: usize,
    people_per_task: usize,
}

/// The people pass's cuts on a real scan; tests pass smaller ones to `resolve_in_rounds`.
const ROUND_LIMITS: RoundLimits = RoundLimits {
    people: PEOPLE_PER_ROUND,
    later_elements: LATER_PER_ROUND,
    people_per_task: PEOPLE_PER_TASK,
};

/// A run of people that the people pass reads together.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Round {
    people: std::ops::Range<usize>,
    /// One person whose records after the first hold more than a round's later elements:
    /// they are read from disk a window at a time rather than held.
    streamed: bool,
}

/// The people pass's rounds: runs of people in order, each of at most `limits.people` people
/// whose records after their first hold at most `limits.later_elements` elements, or of one
/// person past that.
fn rounds_of(
    persons: &[Person],
    members: &[u32],
    elements_len: impl Fn(u32) -> usize,
    limits: RoundLimits,
) -> Vec<Round> {
    let mut rounds = Vec::new();
    let mut start = 0;
    let mut later = 0;
    let close = |rounds: &mut Vec<Round>, people: std::ops::Range<usize>, later: usize| {
        let streamed = people.len() == 1 && later > limits.later_elements;
        rounds.push(Round { people, streamed });
    };
    for (p, person) in persons.iter().enumerate() {
        let own: usize = members[person.members()]
            .iter()
            .skip(1)
            .map(|&r| elements_len(r))
            .sum();
        if p > start && (p - start == limits.people || later + own > limits.later_elements) {
            close(&mut rounds, start..p, later);
            start = p;
            later = 0;
        }
        later += own;
    }
    if start < persons.len() {
        close(&mut rounds, start..persons.len(), later);
    }
    rounds
}

/// The records after the first of every round's people, gathered in one pass over the store
/// in record order and set aside on disk round by round. Read one at a time, as the people
/// pass meets them, each took a system call of its own (640,000 on the 1 GiB bench share,
/// most of the pass's system time).
struct LaterMembers {
    grouped: GroupedElements,
    /// Per round, its later records in record order.
    records: Vec<Vec<u32>>,
}

impl LaterMembers {
    fn gather(
        records: &RecordStore,
        persons: &[Person],
        members: &[u32],
        rounds: &[Round],
    ) -> io::Result<LaterMembers> {
        let later: Vec<Vec<u32>> = rounds
            .par_iter()
            .map(|round| {
                let mut later: Vec<u32> = persons[round.people.clone()]
                    .iter()
                    .flat_map(|person| members[person.members()].iter().skip(1).copied())
                    .collect();
                later.sort_unstable();
                later
            })
            .collect();
        // The rounds' lists merged into record order, so that the store is read in windows. A
        // record is a member of one person only, so each stands once here, with its round.
        let mut in_order: Vec<(u32, u32)> = later
            .iter()
            .enumerate()
            .flat_map(|(k, list)| list.iter().map(move |&r| (r, k as u32)))
            .collect();
        in_order.par_sort_unstable();
        // Two halves gathered side by side, into one file: the second half's elements follow
        // the first's in each round, which keeps record order. Alone, the gathering left a core
        // idle for 0.15 s on the 1 GiB bench share.
        let (first_half, second_half) = in_order.split_at(in_order.len() / 2);
        let mut grouped = GroupedElements::new(rounds.len());
        let mut beside = grouped.beside()?;
        let gather_half = |into: &mut GroupedElements, half: &[(u32, u32)]| -> io::Result<()> {
            let mut reader = records.reader();
            for &(r, k) in half {
                into.add(k as usize, reader.elements(r as usize))?;
            }
            into.finish()
        };
        let (first, second) = rayon::join(
            || gather_half(&mut grouped, first_half),
            || gather_half(&mut beside, second_half),
        );
        first.and(second)?;
        grouped.absorb(beside)?;
        Ok(LaterMembers {
            grouped,
            records: later,
        })
    }
}

/// Round `k`'s later records (`LaterMembers`, split into `grouped` and its lists) into `into`,
/// whose room is kept; each round is read once. A streamed round is left on disk, for
/// `read_person` to read a window at a time.
fn read_later_round(
    grouped: &GroupedElements,
    lists: &mut [Vec<u32>],
    k: usize,
    round: &Round,
    store: &RecordStore,
    into: &mut RoundMembers,
) -> io::Result<()> {
    let list = lists.get_mut(k).map(std::mem::take).unwrap_or_default();
    into.elements.clear();
    into.starts.clear();
    into.records.clear();
    if round.streamed {
        into.streamed = Some(k);
        return Ok(());
    }
    into.streamed = None;
    grouped.read(k, &mut into.elements)?;
    into.records = list;
    let mut at = 0u32;
    for &r in &into.records {
        into.starts.push(at);
        at = at.saturating_add(store.elements_len(r as usize) as u32);
    }
    Ok(())
}

/// One round's later records (`LaterMembers`), in memory, or the group that streams them.
#[derive(Debug, Default)]
struct RoundMembers {
    /// The records, in record order.
    records: Vec<u32>,
    /// Where each record's elements start in `elements`.
    starts: Vec<u32>,
    elements: Vec<StoredElement>,
    /// The group of `LaterMembers::grouped` that holds the round's one person's later records,
    /// when the round is streamed.
    streamed: Option<usize>,
}

impl RoundMembers {
    fn get(&self, record: u32) -> Option<&[StoredElement]> {
        let i = self.records.binary_search(&record).ok()?;
        let start = *self.starts.get(i)? as usize;
        let end = self
            .starts
            .get(i + 1)
            .map_or(self.elements.len(), |&next| next as usize);
        self.elements.get(start..end)
    }
}

/// Items gathered one at a time and kept distinct, in room for about twice as many as are
/// distinct however many are added: a person's records can repeat one card 720,000 times.
#[derive(Debug, Default)]
struct Distinct<T> {
    items: Vec<T>,
    /// Items distinct and sorted at the last `settle`.
    settled: usize,
}

/// Items a `Distinct` takes past twice its distinct ones before it settles them again: most
/// people hold fewer, and are settled once.
const DISTINCT_SLACK: usize = 64;

impl<T: Ord> Distinct<T> {
    fn push(&mut self, item: T) {
        if self.items.len() >= 2 * self.settled + DISTINCT_SLACK {
            self.settle();
        }
        self.items.push(item);
    }

    /// Sorts the items and drops repeats.
    fn settle(&mut self) {
        self.items.sort_unstable();
        self.items.dedup();
        self.settled = self.items.len();
    }

    /// The items: sorted and distinct right after `settle`.
    fn items(&self) -> &[T] {
        &self.items
    }

    fn clear(&mut self) {
        self.items.clear();
        self.settled = 0;
    }
}

/// What one person's records add up to, summed a record at a time as they are read: each sum
/// is a count, a maximum or a set of distinct items, so a person of many records costs no more
/// memory than one of few that hold the same values. (A person's records were held whole: one
/// card repeated on the 720,000 lines of a set of logs made one person, and 280 MB.)
struct PersonSums<'a> {
    records: &'a RecordStore,
    verdicts: &'a [RecordVerdict],
    table: &'a [DetectorInfo],
    class_of: &'a [Option<usize>],
    group_of: &'a (dyn Fn(usize) -> u32 + Sync),
    record_count: usize,
    /// Files of the records: one person's records of one file stand together, as records are
    /// sorted by path.
    files: usize,
    last_path: Option<u32>,
    /// The combinations any record meets, a bit each.
    met: u64,
    severity: Severity,
    /// The identifier the person's id comes from: the strongest (names count weakest, so a
    /// person keeps their id when a name turns up), then the lowest.
    strongest: Option<(u8, &'a str, [u8; 16])>,
    classes: Distinct<usize>,
    group_classes: Distinct<(u32, usize)>,
    detectors: Distinct<u16>,
    /// (rule, masked value's index) of each identifier.
    identifiers: Distinct<(u16, u32)>,
}

impl<'a> PersonSums<'a> {
    fn new(
        records: &'a RecordStore,
        verdicts: &'a [RecordVerdict],
        table: &'a [DetectorInfo],
        class_of: &'a [Option<usize>],
        group_of: &'a (dyn Fn(usize) -> u32 + Sync),
    ) -> PersonSums<'a> {
        PersonSums {
            records,
            verdicts,
            table,
            class_of,
            group_of,
            record_count: 0,
            files: 0,
            last_path: None,
            met: 0,
            severity: Severity::Info,
            strongest: None,
            classes: Distinct::default(),
            group_classes: Distinct::default(),
            detectors: Distinct::default(),
            identifiers: Distinct::default(),
        }
    }

    /// Starts on the next person; the sets keep their room.
    fn clear(&mut self) {
        self.record_count = 0;
        self.files = 0;
        self.last_path = None;
        self.met = 0;
        self.severity = Severity::Info;
        self.strongest = None;
        self.classes.clear();
        self.group_classes.clear();
        self.detectors.clear();
        self.identifiers.clear();
    }

    /// Adds record `r`, of `elements`; records come in record order.
    fn add(&mut self, r: u32, elements: &[StoredElement]) {
        let r = r as usize;
        self.record_count += 1;
        let path = self.records.path_id(r);
        if self.last_path != Some(path) {
            self.files += 1;
            self.last_path = Some(path);
        }
        if let Some(verdict) = self.verdicts.get(r) {
            self.met |= verdict.combinations;
            self.severity = self
                .severity
                .max(verdict.severity.unwrap_or(Severity::Info));
        }
        let group = (self.group_of)(r);
        for element in elements {
            let Some(detector) = self.table.get(element.detector as usize) else {
                continue;
            };
            self.detectors.push(element.detector);
            if let Some(class) = self
                .class_of
                .get(element.detector as usize)
                .copied()
                .flatten()
            {
                self.classes.push(class);
                self.group_classes.push((group, class));
            }
            if detector.role.is_some_and(Role::identifies) {
                let order = match rank(detector.role) {
                    0 => 3,
                    other => other,
                };
                let candidate = (order, &*detector.id, element.fingerprint);
                if self.strongest.is_none_or(|s| candidate < s) {
                    self.strongest = Some(candidate);
                }
                self.identifiers
                    .push((element.detector, element.masked_index()));
            }
        }
    }

    /// Settles the sets, once every record is added.
    fn settle(&mut self) {
        self.classes.settle();
        self.group_classes.settle();
        self.detectors.settle();
        self.identifiers.settle();
    }

    /// The person's id, from their strongest identifier, and worst severity.
    fn identity(&self) -> (PersonId, Severity) {
        let id = match self.strongest {
            Some((_, detector, fingerprint)) => {
                let mut hasher = Sha256::new();
                hasher.update(detector.as_bytes());
                hasher.update([0]);
                hasher.update(fingerprint);
                let mut id = [0u8; 6];
                id.copy_from_slice(&hasher.finalize()[..6]);
                PersonId(Some(id))
            }
            None => PersonId(None),
        };
        (id, self.severity)
    }
}

/// Adds one person's records (`members`, in record order) to `sums` (settled after): the
/// first through `reader`, the others from `later`, which holds them or names the group of
/// `grouped` that streams them, else through `reader` too.
fn read_person(
    members: &[u32],
    reader: &mut ElementReader,
    later: &RoundMembers,
    grouped: Option<&GroupedElements>,
    sums: &mut PersonSums,
) -> io::Result<()> {
    let Some((&first, rest)) = members.split_first() else {
        return Ok(());
    };
    sums.add(first, reader.elements(first as usize));
    match (later.streamed, grouped) {
        (Some(group), Some(grouped)) => {
            let mut stream = grouped.stream(group);
            for &r in rest {
                let len = sums.records.elements_len(r as usize);
                sums.add(r, stream.next_run(len)?);
            }
        }
        _ => {
            for &r in rest {
                match later.get(r) {
                    Some(elements) => sums.add(r, elements),
                    None => sums.add(r, reader.elements(r as usize)),
                }
            }
        }
    }
    sums.settle();
    Ok(())
}

/// Renders individuals.csv rows into buffers it keeps from person to person: a million people
/// are described on every core, and a description built of fresh vectors and strings spent
/// more time allocating than reading the records.
struct Describer<'a> {
    records: &'a RecordStore,
    table: &'a [DetectorInfo],
    combinations: &'a [Combination],
    identifiers: Vec<(u8, &'a str, &'a str)>,
    element_ids: Vec<&'a str>,
    trigger_ids: Vec<&'a str>,
    id: [u8; 14],
    listed: String,
    data_elements: String,
    notification_triggers: String,
    record_count: itoa::Buffer,
    file_count: itoa::Buffer,
}

/// `items` joined by `separator` into `out` (cleared first): a table cell built in a string kept
/// from row to row.
pub fn join_into<'s>(out: &mut String, items: impl IntoIterator<Item = &'s str>, separator: &str) {
    out.clear();
    for (i, item) in items.into_iter().enumerate() {
        if i > 0 {
            out.push_str(separator);
        }
        out.push_str(item);
    }
}

impl<'a> Describer<'a> {
    fn new(
        records: &'a RecordStore,
        table: &'a [DetectorInfo],
        combinations: &'a [Combination],
    ) -> Describer<'a> {
        Describer {
            records,
            table,
            combinations,
            identifiers: Vec::new(),
            element_ids: Vec::new(),
            trigger_ids: Vec::new(),
            id: [0; 14],
            listed: String::new(),
            data_elements: String::new(),
            notification_triggers: String::new(),
            record_count: itoa::Buffer::new(),
            file_count: itoa::Buffer::new(),
        }
    }

    /// The cells of `person`'s row, in `INDIVIDUALS_COLUMNS` order: id, masked identifiers
    /// (strongest first, at most six, then how many more), data elements, records, files,
    /// severity, and the notification-triggering combinations one of its records meets.
    fn row(&mut self, person: &Person, sums: &PersonSums) -> [&str; 7] {
        let Describer {
            records,
            table,
            combinations,
            identifiers,
            element_ids,
            trigger_ids,
            ..
        } = self;
        identifiers.clear();
        identifiers.extend(
            sums.identifiers
                .items()
                .iter()
                .filter_map(|&(detector, masked)| {
                    let detector = table.get(detector as usize)?;
                    Some((
                        rank(detector.role),
                        &*detector.id,
                        records.masked_at(masked),
                    ))
                }),
        );
        identifiers.sort_unstable();
        identifiers.dedup();
        element_ids.clear();
        element_ids.extend(
            sums.detectors
                .items()
                .iter()
                .filter_map(|&d| table.get(d as usize).map(|t| &*t.id)),
        );
        element_ids.sort_unstable();
        element_ids.dedup();
        trigger_ids.clear();
        trigger_ids.extend(
            combinations
                .iter()
                .enumerate()
                .filter(|&(c, combination)| {
                    combination.notification_trigger && sums.met & (1u64 << c) != 0
                })
                .map(|(_, combination)| combination.id.as_str()),
        );
        trigger_ids.sort_unstable();

        self.listed.clear();
        for (i, (_, detector, masked)) in self.identifiers.iter().take(MAX_IDENTIFIERS).enumerate()
        {
            if i > 0 {
                self.listed.push_str("; ");
            }
            self.listed.push_str(detector);
            self.listed.push(' ');
            self.listed.push_str(masked);
        }
        let total = self.identifiers.len();
        if total > MAX_IDENTIFIERS {
            self.listed.push_str("; (+");
            self.listed
                .push_str(itoa::Buffer::new().format(total - MAX_IDENTIFIERS));
            self.listed.push_str(" more)");
        }
        join_into(
            &mut self.data_elements,
            self.element_ids.iter().copied(),
            ";",
        );
        join_into(
            &mut self.notification_triggers,
            self.trigger_ids.iter().copied(),
            ";",
        );
        [
            person.id.render(&mut self.id),
            &self.listed,
            &self.data_elements,
            self.record_count.format(sums.record_count),
            self.file_count.format(sums.files),
            person.severity.as_str(),
            &self.notification_triggers,
        ]
    }
}

/// For each combination, each group: which detectors meet it.
fn combination_table(table: &[DetectorInfo], combinations: &[Combination]) -> Vec<Vec<Vec<bool>>> {
    combinations
        .iter()
        .map(|combination| {
            combination
                .requires
                .iter()
                .map(|group| {
                    table
                        .iter()
                        .map(|d| group.iter().any(|element| element_matches(element, d)))
                        .collect()
                })
                .collect()
        })
        .collect()
}

/// `us_ssn` (a rule id), `kind:password` or `class:health` against one detector.
pub fn element_matches(element: &str, detector: &DetectorInfo) -> bool {
    if let Some(kind) = element.strip_prefix("kind:") {
        detector.kind.as_deref() == Some(kind)
    } else if let Some(class) = element.strip_prefix("class:") {
        &*detector.data_class == class
    } else {
        &*detector.id == element
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Record `i` of `a.csv` (label `line i`, at offset `i`), of (detector, value) elements,
    /// each value a fingerprint of that byte repeated, masked as `m` and the byte.
    fn record_part(
        i: usize,
        elements: impl Iterator<Item = (u32, u8)>,
    ) -> crate::aggregate::RecordPart {
        crate::aggregate::RecordPart {
            group: Arc::from("a.csv"),
            path: Arc::from("a.csv"),
            record: Arc::from(format!("line {i}")),
            location: String::new(),
            offset: i as u64,
            elements: elements
                .map(|(detector, value)| crate::aggregate::RecordElement {
                    detector,
                    fingerprint: [value; 16],
                    masked: format!("m{value}"),
                })
                .collect(),
        }
    }

    /// Records of single elements: (detector, value) pairs, detector 0 an SSN, 1 an e-mail,
    /// 2 a name.
    fn store_of(records: &[&[(u32, u8)]]) -> (RecordStore, Vec<DetectorInfo>) {
        let mut store = RecordStore::default();
        for (i, elements) in records.iter().enumerate() {
            store.push(&record_part(i, elements.iter().copied()), |_| false);
        }
        store.finish().expect("finish");
        let detector = |id: &str, role| DetectorInfo {
            id: Arc::from(id),
            data_class: Arc::from("personal"),
            kind: None,
            severity: Severity::High,
            role: Some(role),
        };
        let table = vec![
            detector("us_ssn", Role::Primary),
            detector("email", Role::Linking),
            detector("person_name", Role::Name),
        ];
        (store, table)
    }

    /// `records` records of one to four elements each, in a store that spills, finished; each
    /// keeps its masked values (`m` and the value's byte).
    fn spilled_store(records: usize) -> RecordStore {
        let mut pushed = RecordStore::default();
        for i in 0..records {
            let elements = (0..=(i % 4) as u32).map(|d| (d, (i * 7 + d as usize) as u8));
            pushed.push(&record_part(i, elements), |_| true);
        }
        let mut store = RecordStore::spilling();
        store.append(pushed).expect("append");
        store.finish().expect("finish");
        store
    }

    fn person(members: std::ops::Range<u32>) -> Person {
        Person {
            id: PersonId(None),
            severity: Severity::Info,
            members,
        }
    }

    /// A round ends at `PEOPLE_PER_ROUND` people, or before the person whose later records
    /// would take it past `LATER_PER_ROUND` elements; a person alone past it is a round.
    #[test]
    fn rounds_end_at_their_people_or_their_later_elements() {
        // Every person has two records of `len` elements each: one later record.
        let rounds_for = |people: usize, len: usize| {
            let persons: Vec<Person> = (0..people as u32)
                .map(|p| person(2 * p..2 * p + 2))
                .collect();
            let members: Vec<u32> = (0..2 * people as u32).collect();
            rounds_of(&persons, &members, |_| len, ROUND_LIMITS)
        };
        let held = |people: std::ops::Range<usize>| Round {
            people,
            streamed: false,
        };
        assert_eq!(
            rounds_for(PEOPLE_PER_ROUND * 2 + 1, 1),
            vec![
                held(0..PEOPLE_PER_ROUND),
                held(PEOPLE_PER_ROUND..2 * PEOPLE_PER_ROUND),
                held(2 * PEOPLE_PER_ROUND..2 * PEOPLE_PER_ROUND + 1)
            ]
        );
        let per_round = LATER_PER_ROUND / 1000;
        assert_eq!(
            rounds_for(per_round + 1, 1000),
            vec![held(0..per_round), held(per_round..per_round + 1)]
        );
        assert_eq!(
            rounds_for(3, LATER_PER_ROUND),
            vec![held(0..1), held(1..2), held(2..3)],
            "one person at the budget is held"
        );
        let streamed = |people: std::ops::Range<usize>| Round {
            people,
            streamed: true,
        };
        assert_eq!(
            rounds_for(3, LATER_PER_ROUND + 1),
            vec![streamed(0..1), streamed(1..2), streamed(2..3)],
            "one person over the budget is a round of its own, streamed"
        );
        assert_eq!(rounds_for(0, 1), Vec::<Round>::new());
    }

    /// Gathered round by round, a person's later records read back as the store gives them,
    /// also into the room of the round before, and first records are left to the store's
    /// reader.
    #[test]
    fn later_records_read_back_as_the_store_gives_them() {
        let store = spilled_store(3000);
        assert!(store.elements_on_disk());
        // People of one to six records, spread over the store so that rounds interleave: person
        // p holds records p, p + 500, p + 1000, ... below 3000.
        let mut persons = Vec::new();
        let mut members: Vec<u32> = Vec::new();
        for p in 0..500u32 {
            let start = members.len() as u32;
            members.extend((p..3000).step_by(500).take(1 + p as usize % 6));
            persons.push(person(start..members.len() as u32));
        }
        let rounds: Vec<Round> = [0..7, 7..300, 300..500]
            .into_iter()
            .map(|people| Round {
                people,
                streamed: false,
            })
            .collect();
        let mut later = LaterMembers::gather(&store, &persons, &members, &rounds).expect("gather");
        let mut reader = store.reader();
        let mut checked = 0;
        // One round's room is kept for the next, as the people pass does.
        let mut round = RoundMembers::default();
        for (k, this_round) in rounds.iter().enumerate() {
            read_later_round(
                &later.grouped,
                &mut later.records,
                k,
                this_round,
                &store,
                &mut round,
            )
            .expect("round");
            for person in &persons[this_round.people.clone()] {
                let records = &members[person.members()];
                assert_eq!(
                    round.get(records[0]),
                    None,
                    "first records stay in the store"
                );
                for &r in &records[1..] {
                    let expected = reader.elements(r as usize).to_vec();
                    assert!(!expected.is_empty());
                    assert_eq!(round.get(r), Some(&expected[..]), "record {r}");
                    checked += 1;
                }
            }
        }
        assert_eq!(checked, (0..500).map(|p| p % 6).sum::<usize>());
        assert!(store.read_failure().is_ok());
    }

    /// The people pass gives the same people, counts and individuals.csv rows whatever its
    /// rounds and tasks, over a store on disk whose records share identifiers, so that people
    /// hold several records.
    #[test]
    fn the_people_pass_does_not_depend_on_its_rounds() {
        let store = spilled_store(3000);
        let (_, mut table) = store_of(&[]);
        table.push(DetectorInfo {
            id: Arc::from("date_of_birth"),
            data_class: Arc::from("personal"),
            kind: None,
            severity: Severity::Medium,
            role: Some(Role::Quasi),
        });
        let groups = vec![0; store.paths().len()];
        let outcome = |people: usize, later_elements: usize, people_per_task: usize| {
            let limits = RoundLimits {
                people,
                later_elements,
                people_per_task,
            };
            let resolution =
                resolve_in_rounds(&store, &table, &[], &groups, limits).expect("resolve");
            let mut rows = Vec::new();
            if let Some(runs) = &resolution.individual_rows {
                runs.merge_into(&mut rows).expect("merge");
            }
            let counts = format!(
                "{:?}",
                (
                    &resolution.records,
                    &resolution.individuals,
                    &resolution.estimate,
                    &resolution.class_counts,
                    &resolution.group_counts
                )
            );
            (counts, String::from_utf8(rows).expect("utf-8"))
        };
        let (counts, rows) = outcome(usize::MAX, usize::MAX, usize::MAX);
        assert!(rows.lines().count() > 100, "{rows}");
        // Rounds of one person; of 50 in tasks of 7 (the last round and task shorter); of 400
        // later elements (10 to 16 people) in tasks of one, so that a round holds fewer tasks
        // than the round before the one before, whose buffers it takes; of 3 later elements,
        // so that most people are rounds of their own, streamed from disk.
        for shape in [
            (1, usize::MAX, 1),
            (50, usize::MAX, 7),
            (usize::MAX, 400, 1),
            (usize::MAX, 3, 1),
        ] {
            let (other_counts, other_rows) = outcome(shape.0, shape.1, shape.2);
            assert!(other_counts == counts, "{shape:?}");
            assert!(other_rows == rows, "{shape:?}");
        }
    }

    proptest::proptest! {
        #[test]
        fn join_keys_read_back_as_written(
            name in proptest::array::uniform16(proptest::num::u8::ANY),
            detector in proptest::num::u32::ANY,
            fingerprint in proptest::array::uniform16(proptest::num::u8::ANY),
        ) {
            let mut bytes = Vec::new();
            (detector, fingerprint).put(&mut bytes);
            proptest::prop_assert_eq!(bytes.len(), Keyed::BYTES);
            proptest::prop_assert_eq!(Keyed::get(&bytes), (detector, fingerprint));
            bytes.clear();
            (name, (detector, fingerprint)).put(&mut bytes);
            proptest::prop_assert_eq!(bytes.len(), <([u8; 16], Keyed)>::BYTES);
            proptest::prop_assert_eq!(
                <([u8; 16], Keyed)>::get(&bytes),
                (name, (detector, fingerprint))
            );
        }
    }

    /// A merged cluster's facts are the people pass's largest array after the store's: this
    /// size is its budget.
    #[test]
    fn cluster_facts_stay_compact() {
        assert_eq!(std::mem::size_of::<ClusterFacts>(), 40);
    }

    /// A merged cluster that joins another gives its facts to the new root, and its place is
    /// taken by the next cluster that merges: facts never mix between clusters.
    #[test]
    fn merged_facts_move_to_the_new_root_and_their_place_is_reused() {
        let (store, table) = store_of(&[
            &[(0, 1), (2, 10)],
            &[(0, 1)],
            &[(1, 5), (2, 11)],
            &[(1, 5)],
            &[(0, 2), (2, 12)],
            &[(0, 2)],
        ]);
        let identities = Identities::of(&store, &table);
        let mut clusters = Clusters::new(&identities);
        clusters.union(0, 1);
        clusters.union(2, 3);
        clusters.union(3, 0);
        clusters.union(5, 4);
        let primary = |c: &Clusters, r| c.primary_of(r).map(|(_, f)| f[0]).collect::<Vec<_>>();
        let names = |c: &Clusters, r| c.names_of(r).map(|n| n[0]).collect::<Vec<_>>();
        assert_eq!(clusters.find(3), 0);
        assert_eq!(primary(&clusters, 0), [1]);
        assert_eq!(names(&clusters, 0), [10, 11]);
        assert!(clusters.has_identifier(0));
        assert_eq!(clusters.find(5), 4);
        assert_eq!(primary(&clusters, 4), [2]);
        assert_eq!(names(&clusters, 4), [12]);
        assert_eq!(
            clusters.facts.len(),
            2,
            "the absorbed cluster's place was reused"
        );
        assert!(clusters.primary_conflict(0, 4));
        assert!(clusters.name_conflict(0, 4));
    }

    proptest::proptest! {
        /// The combinations a record meets are its set bits, lowest first.
        #[test]
        fn combinations_met_are_the_set_bits_in_order(bits in proptest::num::u64::ANY) {
            let verdict = RecordVerdict { combinations: bits, person: None, severity: None };
            let expected: Vec<usize> = (0..MAX_COMBINATIONS).filter(|c| bits & (1 << c) != 0).collect();
            proptest::prop_assert_eq!(verdict.combinations().collect::<Vec<_>>(), expected);
        }

        /// Persons are listed by id as shown: the compact id must order exactly as its text.
        #[test]
        fn person_ids_order_as_their_text(
            a in proptest::option::of(proptest::array::uniform6(0u8..)),
            b in proptest::option::of(proptest::array::uniform6(0u8..)),
        ) {
            let (a, b) = (PersonId(a), PersonId(b));
            proptest::prop_assert_eq!(
                a.sort_key().cmp(&b.sort_key()),
                a.to_string().cmp(&b.to_string())
            );
        }
    }

    #[test]
    fn person_ids_show_twelve_hex_digits_or_unknown() {
        assert_eq!(
            PersonId(Some([0, 1, 0xab, 0xcd, 0xef, 0xff])).to_string(),
            "P-0001abcdefff"
        );
        assert_eq!(PersonId(None).to_string(), "P-unknown");
    }

    /// Millions of records and persons are held at once: these sizes are the memory budget.
    #[test]
    fn per_record_and_per_person_state_stays_compact() {
        assert_eq!(std::mem::size_of::<RecordVerdict>(), 16);
        assert_eq!(std::mem::size_of::<Person>(), 16);
    }
}
