//! Resolves records into individuals the way breach reviewers do: shared identifiers join,
//! conflicting identifiers keep apart, names join only with further evidence; and measures
//! which combinations of elements each record and person reaches.

use std::collections::BTreeMap;

// Keys are keyed fingerprints, uniform already: a fast hasher is safe and resolve is hash-bound.
use foldhash::{HashMap, HashMapExt};
use rayon::prelude::*;
use std::sync::Arc;

use sha2::{Digest, Sha256};

use super::store::RecordStore;
use super::{PeopleEstimate, Role};
use crate::aggregate::DetectorInfo;
use crate::rules::{Combination, Severity};

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
    /// Individuals, ordered worst first, then by id; described on demand by `describe`.
    pub individuals: Vec<Person>,
    /// The records of every person, `Person::members` indexes it.
    members: Vec<u32>,
    pub estimate: PeopleEstimate,
    /// Per data class: records holding it, individuals holding it.
    pub class_counts: BTreeMap<Arc<str>, (usize, usize)>,
    /// Per combination (same order as the model): records, individuals, files.
    pub combination_counts: Vec<(usize, usize, usize)>,
}

#[derive(Debug, Clone, Copy, Default)]
pub struct RecordVerdict {
    /// Index into `Resolution::individuals`.
    pub individual: Option<u32>,
    /// Bit `c` set: the record meets combination `c`.
    pub combinations: u64,
    pub severity: Option<Severity>,
}

impl RecordVerdict {
    /// Indices of the combinations met, in model order.
    pub fn combinations(&self) -> impl Iterator<Item = usize> + '_ {
        (0..MAX_COMBINATIONS).filter(|c| self.combinations & (1 << c) != 0)
    }
}

/// One person, as stored: the id and severity to order by, and where the records are.
#[derive(Debug, Clone)]
pub struct Person {
    /// Stable for the same fingerprint key: derived from the person's strongest identifier.
    pub id: String,
    pub severity: Severity,
    members: std::ops::Range<usize>,
}

/// One affected person, described for individuals.csv.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Individual {
    pub id: String,
    /// Masked identifiers, strongest first.
    pub identifiers: Vec<String>,
    pub data_elements: Vec<Arc<str>>,
    pub records: usize,
    pub files: usize,
    pub severity: Severity,
    /// Combinations with `notification_trigger` that one of its records meets.
    pub notification_triggers: Vec<String>,
}

type Keyed = (u32, [u8; 16]);

/// The identity-bearing parts of every record, in flat arrays: no allocation per record.
#[derive(Debug, Default)]
struct Identities {
    primary: Vec<Keyed>,
    linking: Vec<Keyed>,
    quasi: Vec<Keyed>,
    names: Vec<[u8; 16]>,
    /// Per record, where its parts end in `primary`, `linking`, `quasi` and `names` (u32: the
    /// arrays hold at most a few elements per record, far below four billion in memory).
    ends: Vec<[u32; 4]>,
}

impl Identities {
    fn of(records: &RecordStore, table: &[DetectorInfo]) -> Identities {
        let mut identities = Identities::default();
        identities.ends.reserve(records.len());
        for r in 0..records.len() {
            for element in records.elements(r) {
                let pair = (element.detector, element.fingerprint);
                match table.get(element.detector as usize).and_then(|d| d.role) {
                    Some(Role::Primary) => identities.primary.push(pair),
                    Some(Role::Linking) => identities.linking.push(pair),
                    Some(Role::Quasi) => identities.quasi.push(pair),
                    Some(Role::Name) => identities.names.push(element.fingerprint),
                    _ => {}
                }
            }
            identities.ends.push([
                identities.primary.len() as u32,
                identities.linking.len() as u32,
                identities.quasi.len() as u32,
                identities.names.len() as u32,
            ]);
        }
        identities
    }

    fn len(&self) -> usize {
        self.ends.len()
    }

    /// Record `r`'s stretch of array `which` (0 primary, 1 linking, 2 quasi, 3 names).
    fn span(&self, r: usize, which: usize) -> std::ops::Range<usize> {
        let start = if r == 0 { 0 } else { self.ends[r - 1][which] };
        start as usize..self.ends[r][which] as usize
    }

    fn primary(&self, r: usize) -> &[Keyed] {
        &self.primary[self.span(r, 0)]
    }

    fn linking(&self, r: usize) -> &[Keyed] {
        &self.linking[self.span(r, 1)]
    }

    fn quasi(&self, r: usize) -> &[Keyed] {
        &self.quasi[self.span(r, 2)]
    }

    fn names(&self, r: usize) -> &[[u8; 16]] {
        &self.names[self.span(r, 3)]
    }

    fn is_person(&self, r: usize) -> bool {
        self.has_identifier(r) || !self.names(r).is_empty()
    }

    fn has_identifier(&self, r: usize) -> bool {
        !self.primary(r).is_empty() || !self.linking(r).is_empty()
    }
}

/// What a cluster of several records holds, for conflict checks.
#[derive(Debug, Default, Clone)]
struct ClusterFacts {
    primary: Vec<Keyed>,
    names: Vec<[u8; 16]>,
    has_identifier: bool,
}

/// Union-find over records that keeps each cluster's facts at its root.
struct Clusters<'a> {
    identities: &'a Identities,
    parent: Vec<usize>,
    /// Facts of a root that has absorbed other records; None: the root record's own identity,
    /// so the many clusters of one record allocate nothing.
    merged: Vec<Option<Box<ClusterFacts>>>,
}

impl<'a> Clusters<'a> {
    fn new(identities: &'a Identities) -> Clusters<'a> {
        Clusters {
            identities,
            parent: (0..identities.len()).collect(),
            merged: (0..identities.len()).map(|_| None).collect(),
        }
    }

    fn primary_of(&self, root: usize) -> &[Keyed] {
        match &self.merged[root] {
            Some(facts) => &facts.primary,
            None => self.identities.primary(root),
        }
    }

    fn names_of(&self, root: usize) -> &[[u8; 16]] {
        match &self.merged[root] {
            Some(facts) => &facts.names,
            None => self.identities.names(root),
        }
    }

    fn has_identifier(&self, root: usize) -> bool {
        match &self.merged[root] {
            Some(facts) => facts.has_identifier,
            None => self.identities.has_identifier(root),
        }
    }

    fn find(&mut self, mut x: usize) -> usize {
        while self.parent[x] != x {
            self.parent[x] = self.parent[self.parent[x]];
            x = self.parent[x];
        }
        x
    }

    fn primary_conflict(&self, a: usize, b: usize) -> bool {
        let (pa, pb) = (self.primary_of(a), self.primary_of(b));
        pa.iter()
            .any(|(d, f)| pb.iter().any(|(e, g)| d == e && f != g))
    }

    fn name_conflict(&self, a: usize, b: usize) -> bool {
        let (na, nb) = (self.names_of(a), self.names_of(b));
        !na.is_empty() && !nb.is_empty() && !na.iter().any(|n| nb.contains(n))
    }

    /// Joins the clusters of `a` and `b` (the lower root stays root, so results do not depend
    /// on hash order).
    fn union(&mut self, a: usize, b: usize) {
        let (ra, rb) = (self.find(a), self.find(b));
        if ra == rb {
            return;
        }
        let (root, child) = if ra < rb { (ra, rb) } else { (rb, ra) };
        self.parent[child] = root;
        let identities = self.identities;
        let moved = self.merged[child].take();
        let (moved_primary, moved_names, moved_identified) = match &moved {
            Some(facts) => (&facts.primary[..], &facts.names[..], facts.has_identifier),
            None => (
                identities.primary(child),
                identities.names(child),
                identities.has_identifier(child),
            ),
        };
        let facts = self.merged[root].get_or_insert_with(|| {
            Box::new(ClusterFacts {
                primary: identities.primary(root).to_vec(),
                names: identities.names(root).to_vec(),
                has_identifier: identities.has_identifier(root),
            })
        });
        for p in moved_primary {
            if !facts.primary.contains(p) {
                facts.primary.push(*p);
            }
        }
        for n in moved_names {
            if !facts.names.contains(n) {
                facts.names.push(*n);
            }
        }
        facts.has_identifier |= moved_identified;
    }

    /// Joins records that share a key, unless `blocked` says their clusters conflict. `keys`
    /// come in record order, each key at most once per record; every later record of a key
    /// tries to join the first record of that key, in record order. Who is first is found by a
    /// parallel sort rather than a hash map, so only the joins themselves run on one core.
    fn join_on<K: Ord + Copy + Send>(
        &mut self,
        keys: impl Iterator<Item = (usize, K)>,
        blocked: impl Fn(&Clusters, usize, usize) -> bool,
    ) {
        let mut keyed: Vec<(K, u32)> = Vec::new();
        let mut records: Vec<u32> = Vec::new();
        for (record, key) in keys {
            keyed.push((key, records.len() as u32));
            records.push(record as u32);
        }
        // Within a key, the lowest position is the first record in reading order.
        keyed.par_sort_unstable();
        let mut attempts: Vec<(u32, u32)> = Vec::new();
        for same_key in keyed.chunk_by(|a, b| a.0 == b.0) {
            let first = records[same_key[0].1 as usize];
            attempts.extend(same_key[1..].iter().map(|&(_, position)| (position, first)));
        }
        drop(keyed);
        attempts.par_sort_unstable();
        for (position, first) in attempts {
            let record = records[position as usize] as usize;
            let (ra, rb) = (self.find(record), self.find(first as usize));
            if ra != rb && !blocked(self, ra, rb) {
                self.union(ra, rb);
            }
        }
    }

    fn count_roots(&mut self, people: &[usize]) -> usize {
        let mut roots: Vec<usize> = people.iter().map(|&r| self.find(r)).collect();
        roots.sort_unstable();
        roots.dedup();
        roots.len()
    }
}

/// Joins on shared primary identifiers, then on shared linking identifiers.
fn join_on_identifiers(clusters: &mut Clusters, identities: &Identities) {
    let primary =
        (0..identities.len()).flat_map(|r| identities.primary(r).iter().map(move |p| (r, *p)));
    clusters.join_on(primary, |c, a, b| c.primary_conflict(a, b));
    let linking =
        (0..identities.len()).flat_map(|r| identities.linking(r).iter().map(move |p| (r, *p)));
    clusters.join_on(linking, |c, a, b| {
        c.primary_conflict(a, b) || c.name_conflict(a, b)
    });
}

/// Name-based joins of the point estimate: same name with the same date of birth or address;
/// then records with a name and no identifier join a cluster of that name.
fn join_on_names(clusters: &mut Clusters, identities: &Identities) {
    let quasi = (0..identities.len()).flat_map(|r| {
        identities
            .names(r)
            .iter()
            .flat_map(move |n| identities.quasi(r).iter().map(move |q| (r, (*n, *q))))
    });
    clusters.join_on(quasi, |c, a, b| c.primary_conflict(a, b));
    // A name without identifiers joins the first identified person of that name, else the
    // first other bare record of that name; identified people never join on a name alone.
    let named: Vec<usize> = (0..identities.len())
        .filter(|&r| !identities.names(r).is_empty())
        .collect();
    let mut first_identified: HashMap<[u8; 16], usize> = HashMap::new();
    for &r in &named {
        let root = clusters.find(r);
        if clusters.has_identifier(root) {
            for name in identities.names(r) {
                first_identified.entry(*name).or_insert(r);
            }
        }
    }
    let mut first_bare: HashMap<[u8; 16], usize> = HashMap::new();
    for &r in &named {
        for name in identities.names(r) {
            let root = clusters.find(r);
            if clusters.has_identifier(root) {
                break;
            }
            match first_identified.get(name).or_else(|| first_bare.get(name)) {
                Some(&other) => {
                    let other_root = clusters.find(other);
                    if other_root != root && !clusters.primary_conflict(root, other_root) {
                        clusters.union(root, other_root);
                    }
                }
                None => {
                    first_bare.insert(*name, r);
                }
            }
        }
    }
}

/// Resolves `records` (in output order) into individuals and counts combinations.
pub fn resolve(
    records: &RecordStore,
    table: &[DetectorInfo],
    combinations: &[Combination],
) -> Resolution {
    let combinations = &combinations[..combinations.len().min(MAX_COMBINATIONS)];
    let identities = Identities::of(records, table);
    let people: Vec<usize> = (0..records.len())
        .filter(|&r| identities.is_person(r))
        .collect();

    // The upper bound is the point clustering before any name-based join: one clustering serves
    // both.
    let mut point = Clusters::new(&identities);
    join_on_identifiers(&mut point, &identities);
    let upper_bound = point.count_roots(&people);
    join_on_names(&mut point, &identities);

    // Clusters of the point estimate that share a name: possible same persons.
    let mut name_roots: Vec<([u8; 16], usize)> = Vec::new();
    for &r in &people {
        let root = point.find(r);
        name_roots.extend(identities.names(r).iter().map(|n| (*n, root)));
    }
    name_roots.sort_unstable();
    name_roots.dedup();
    let name_groups: Vec<&[([u8; 16], usize)]> = name_roots.chunk_by(|a, b| a.0 == b.0).collect();
    let possible_same_person_clusters = name_groups.iter().filter(|g| g.len() > 1).count();
    // The lower bound only needs who joins whom: a plain union-find over the point clusters.
    let mut lower: Vec<usize> = (0..records.len()).collect();
    fn root_of(parent: &mut [usize], mut x: usize) -> usize {
        while parent[x] != x {
            parent[x] = parent[parent[x]];
            x = parent[x];
        }
        x
    }
    for &r in &people {
        let root = point.find(r);
        let (a, b) = (root_of(&mut lower, r), root_of(&mut lower, root));
        if a != b {
            lower[a.max(b)] = a.min(b);
        }
    }
    for group in &name_groups {
        let mut it = group.iter().map(|(_, root)| *root);
        if let Some(first) = it.next() {
            for other in it {
                let (a, b) = (root_of(&mut lower, first), root_of(&mut lower, other));
                if a != b {
                    lower[a.max(b)] = a.min(b);
                }
            }
        }
    }
    let mut lower_roots: Vec<usize> = people.iter().map(|&r| root_of(&mut lower, r)).collect();
    lower_roots.sort_unstable();
    lower_roots.dedup();
    let lower_bound = lower_roots.len();

    let mut by_root: Vec<(usize, u32)> =
        people.iter().map(|&r| (point.find(r), r as u32)).collect();
    drop(point);
    drop(identities);
    let meets = combination_table(table, combinations);
    // Verdicts and person ids are independent per record and per cluster: they run on the
    // caller's rayon pool, and collect in order, so the output does not depend on threads.
    let mut verdicts: Vec<RecordVerdict> = (0..records.len())
        .into_par_iter()
        .map(|r| {
            let elements = records.elements(r);
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
                individual: None,
                severity: element_severity.max(combo_severity),
                combinations: met,
            }
        })
        .collect();

    // Members of each point cluster, in record order.
    by_root.sort_unstable();
    let members: Vec<u32> = by_root.iter().map(|&(_, r)| r).collect();
    let mut ranges: Vec<std::ops::Range<usize>> = Vec::new();
    for cluster in by_root.chunk_by(|a, b| a.0 == b.0) {
        let start = ranges.last().map_or(0, |r| r.end);
        ranges.push(start..start + cluster.len());
    }
    drop(by_root);
    let mut persons: Vec<Person> = ranges
        .into_par_iter()
        .map(|range| {
            let (id, severity) = identify(&members[range.clone()], records, &verdicts, table);
            Person {
                id,
                severity,
                members: range,
            }
        })
        .collect();
    persons.par_sort_by(|a, b| b.severity.cmp(&a.severity).then_with(|| a.id.cmp(&b.id)));
    for (index, person) in persons.iter().enumerate() {
        for &r in &members[person.members.clone()] {
            verdicts[r as usize].individual = Some(index as u32);
        }
    }

    // Counted as (key, person) pairs, sorted and deduplicated once: no set per record.
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
    let class_index = |detector: u32| class_of.get(detector as usize).copied().flatten();
    /// One stretch of records counted on its own: record counts, and the pairs to count
    /// distinct afterwards.
    #[derive(Default)]
    struct Counted {
        class_records: Vec<usize>,
        class_people: Vec<(usize, u32)>,
        combination_records: Vec<usize>,
        combination_people: Vec<(usize, u32)>,
        combination_files: Vec<(usize, u32)>,
    }
    const RECORDS_PER_TASK: usize = 65_536;
    let counted: Vec<Counted> = verdicts
        .par_chunks(RECORDS_PER_TASK)
        .enumerate()
        .map(|(chunk, chunk_verdicts)| {
            let mut counted = Counted {
                class_records: vec![0; classes.len()],
                combination_records: vec![0; combinations.len()],
                ..Counted::default()
            };
            let mut in_record: Vec<usize> = Vec::new();
            for (i, verdict) in chunk_verdicts.iter().enumerate() {
                let r = chunk * RECORDS_PER_TASK + i;
                in_record.clear();
                in_record.extend(
                    records
                        .elements(r)
                        .iter()
                        .filter_map(|e| class_index(e.detector)),
                );
                in_record.sort_unstable();
                in_record.dedup();
                for &class in &in_record {
                    counted.class_records[class] += 1;
                    if let Some(person) = verdict.individual {
                        counted.class_people.push((class, person));
                    }
                }
                for c in verdict.combinations() {
                    counted.combination_records[c] += 1;
                    counted.combination_files.push((c, records.path_id(r)));
                    if let Some(person) = verdict.individual {
                        counted.combination_people.push((c, person));
                    }
                }
            }
            counted
        })
        .collect();
    let mut class_records = vec![0usize; classes.len()];
    let mut combination_counts = vec![(0usize, 0usize, 0usize); combinations.len()];
    let (mut class_people, mut combination_people, mut combination_files) =
        (Vec::new(), Vec::new(), Vec::new());
    for part in counted {
        for (total, n) in class_records.iter_mut().zip(part.class_records) {
            *total += n;
        }
        for (total, n) in combination_counts.iter_mut().zip(part.combination_records) {
            total.0 += n;
        }
        class_people.extend(part.class_people);
        combination_people.extend(part.combination_people);
        combination_files.extend(part.combination_files);
    }
    fn count_distinct<T: Ord + Copy + Send>(pairs: &mut Vec<(usize, T)>, into: &mut [usize]) {
        pairs.par_sort_unstable();
        pairs.dedup();
        for (key, _) in pairs.iter() {
            into[*key] += 1;
        }
    }
    let mut class_individuals = vec![0usize; classes.len()];
    count_distinct(&mut class_people, &mut class_individuals);
    let mut combination_individuals = vec![0usize; combinations.len()];
    count_distinct(&mut combination_people, &mut combination_individuals);
    let mut combination_file_counts = vec![0usize; combinations.len()];
    count_distinct(&mut combination_files, &mut combination_file_counts);
    for c in 0..combinations.len() {
        combination_counts[c].1 = combination_individuals[c];
        combination_counts[c].2 = combination_file_counts[c];
    }
    let class_counts: BTreeMap<Arc<str>, (usize, usize)> = classes
        .iter()
        .enumerate()
        .filter(|&(i, _)| class_records[i] > 0)
        .map(|(i, class)| (Arc::clone(class), (class_records[i], class_individuals[i])))
        .collect();
    let notification_triggered = persons
        .iter()
        .filter(|p| {
            members[p.members.clone()].iter().any(|&r| {
                verdicts[r as usize]
                    .combinations()
                    .any(|c| combinations[c].notification_trigger)
            })
        })
        .count();
    Resolution {
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
        members,
        records: verdicts,
        class_counts,
        combination_counts,
    }
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

/// A person's id (from the strongest identifier; names count weakest, so a person keeps their
/// id when a name turns up) and worst severity.
fn identify(
    members: &[u32],
    records: &RecordStore,
    verdicts: &[RecordVerdict],
    table: &[DetectorInfo],
) -> (String, Severity) {
    let mut strongest: Option<(u8, &str, [u8; 16])> = None;
    let mut severity = Severity::Info;
    for &r in members {
        severity = severity.max(verdicts[r as usize].severity.unwrap_or(Severity::Info));
        for element in records.elements(r as usize) {
            let Some(detector) = table.get(element.detector as usize) else {
                continue;
            };
            if detector.role.is_some_and(Role::identifies) {
                let order = match rank(detector.role) {
                    0 => 3,
                    other => other,
                };
                let candidate = (order, &*detector.id, element.fingerprint);
                if strongest.is_none_or(|s| candidate < s) {
                    strongest = Some(candidate);
                }
            }
        }
    }
    let id = match strongest {
        Some((_, detector, fingerprint)) => {
            let mut hasher = Sha256::new();
            hasher.update(detector.as_bytes());
            hasher.update([0]);
            hasher.update(fingerprint);
            format!("P-{}", hex::encode(&hasher.finalize()[..6]))
        }
        None => String::from("P-unknown"),
    };
    (id, severity)
}

fn describe(
    person: &Person,
    members: &[u32],
    records: &RecordStore,
    verdicts: &[RecordVerdict],
    table: &[DetectorInfo],
    combinations: &[Combination],
) -> Individual {
    let mut identifiers: Vec<(u8, &str, &str)> = Vec::new();
    let mut elements: Vec<u32> = Vec::new();
    let mut files = 0;
    let mut last_path: Option<u32> = None;
    let mut triggers: Vec<usize> = Vec::new();
    for &r in members {
        let r = r as usize;
        // Records come sorted by path, so one person's records of one file stand together.
        if last_path != Some(records.path_id(r)) {
            files += 1;
            last_path = Some(records.path_id(r));
        }
        triggers.extend(
            verdicts[r]
                .combinations()
                .filter(|&c| combinations[c].notification_trigger),
        );
        for element in records.elements(r) {
            let Some(detector) = table.get(element.detector as usize) else {
                continue;
            };
            elements.push(element.detector);
            let role = detector.role;
            if role.is_some_and(Role::identifies) {
                identifiers.push((rank(role), &detector.id, records.masked(element)));
            }
        }
    }
    identifiers.sort_unstable();
    identifiers.dedup();
    elements.sort_unstable();
    elements.dedup();
    let data_elements: Vec<Arc<str>> = {
        let mut names: Vec<Arc<str>> = elements
            .iter()
            .filter_map(|&d| table.get(d as usize).map(|t| Arc::clone(&t.id)))
            .collect();
        names.sort();
        names.dedup();
        names
    };
    triggers.sort_unstable();
    triggers.dedup();
    let mut notification_triggers: Vec<String> = triggers
        .into_iter()
        .map(|c| combinations[c].id.clone())
        .collect();
    notification_triggers.sort();
    let total = identifiers.len();
    let mut listed: Vec<String> = identifiers
        .into_iter()
        .take(MAX_IDENTIFIERS)
        .map(|(_, detector, masked)| format!("{detector} {masked}"))
        .collect();
    if total > MAX_IDENTIFIERS {
        listed.push(format!("(+{} more)", total - MAX_IDENTIFIERS));
    }
    Individual {
        id: person.id.clone(),
        identifiers: listed,
        data_elements,
        records: members.len(),
        files,
        severity: person.severity,
        notification_triggers,
    }
}

impl Resolution {
    /// The individuals.csv description of person `index`.
    pub fn describe(
        &self,
        index: usize,
        records: &RecordStore,
        table: &[DetectorInfo],
        combinations: &[Combination],
    ) -> Option<Individual> {
        let person = self.individuals.get(index)?;
        let members = &self.members[person.members.clone()];
        Some(describe(
            person,
            members,
            records,
            &self.records,
            table,
            combinations,
        ))
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
