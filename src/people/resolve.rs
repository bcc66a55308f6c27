//! Resolves records into individuals the way breach reviewers do: shared identifiers join,
//! conflicting identifiers keep apart, names join only with further evidence; and measures
//! which combinations of elements each record and person reaches.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;

use sha2::{Digest, Sha256};

use super::{PeopleEstimate, Role};
use crate::aggregate::{DetectorInfo, RecordPart};
use crate::rules::{Combination, Severity};

/// How the estimate and its bounds are made, in words for summary.json and the report.
pub const METHOD: &str = "Findings in one record (a table row, a JSON object, a labelled block such as `Name: … SSN: …`, or one line of text) belong to one person. Two records are the same person when they share a primary identifier (SSN, ITIN, passport, driver's licence, medical record or health insurance number) and no primary identifier conflicts; or when they share a linking identifier (e-mail, phone, card, bank account, IBAN, username) and neither a primary identifier nor the name conflicts; or when they carry the same normalised full name and share a date of birth or postal address. A record with a name and no identifier joins a person of that name. Same name and nothing else in common: kept apart, but counted as a possible same person. Lower bound: every same-name cluster merged. Upper bound: no merge based on a name at all (only shared identifiers). Records with no name and no identifier (a password alone, an expiry date alone) belong to no one and are not counted as people.";

/// Everything the outputs need about records and people.
#[derive(Debug, Default)]
pub struct Resolution {
    /// Per record (same order as the input): its individual, the combinations it meets, its
    /// severity.
    pub records: Vec<RecordVerdict>,
    /// Individuals, ordered worst first, then by id.
    pub individuals: Vec<Individual>,
    pub estimate: PeopleEstimate,
    /// Per data class: records holding it, individuals holding it.
    pub class_counts: BTreeMap<Arc<str>, (usize, usize)>,
    /// Per combination (same order as the model): records, individuals, files.
    pub combination_counts: Vec<(usize, usize, usize)>,
}

#[derive(Debug, Clone, Default)]
pub struct RecordVerdict {
    /// Index into `Resolution::individuals`.
    pub individual: Option<usize>,
    pub combinations: Vec<usize>,
    pub severity: Option<Severity>,
}

/// One affected person, as far as the evidence goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Individual {
    /// Stable for the same fingerprint key: derived from the person's strongest identifier.
    pub id: String,
    /// Masked identifiers, strongest first.
    pub identifiers: Vec<String>,
    pub data_elements: BTreeSet<Arc<str>>,
    pub records: usize,
    pub files: usize,
    pub severity: Severity,
    /// Combinations with `notification_trigger` that one of its records meets.
    pub notification_triggers: BTreeSet<String>,
}

/// The identity-bearing part of one record.
#[derive(Debug, Default)]
struct Identity {
    primary: Vec<(u32, [u8; 16])>,
    linking: Vec<(u32, [u8; 16])>,
    quasi: Vec<(u32, [u8; 16])>,
    names: Vec<[u8; 16]>,
}

impl Identity {
    fn of(record: &RecordPart, table: &[DetectorInfo]) -> Identity {
        let mut identity = Identity::default();
        for element in &record.elements {
            let pair = (element.detector, element.fingerprint);
            match table.get(element.detector as usize).and_then(|d| d.role) {
                Some(Role::Primary) => identity.primary.push(pair),
                Some(Role::Linking) => identity.linking.push(pair),
                Some(Role::Quasi) => identity.quasi.push(pair),
                Some(Role::Name) => identity.names.push(element.fingerprint),
                _ => {}
            }
        }
        identity
    }

    fn is_person(&self) -> bool {
        !self.primary.is_empty() || !self.linking.is_empty() || !self.names.is_empty()
    }

    fn has_identifier(&self) -> bool {
        !self.primary.is_empty() || !self.linking.is_empty()
    }
}

/// What a cluster of records holds, for conflict checks.
#[derive(Debug, Default, Clone)]
struct ClusterFacts {
    primary: Vec<(u32, [u8; 16])>,
    names: Vec<[u8; 16]>,
    has_identifier: bool,
}

/// Union-find over records that keeps each cluster's facts at its root.
struct Clusters {
    parent: Vec<usize>,
    facts: Vec<ClusterFacts>,
}

impl Clusters {
    fn new(identities: &[Identity]) -> Clusters {
        Clusters {
            parent: (0..identities.len()).collect(),
            facts: identities
                .iter()
                .map(|i| ClusterFacts {
                    primary: i.primary.clone(),
                    names: i.names.clone(),
                    has_identifier: i.has_identifier(),
                })
                .collect(),
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
        let (fa, fb) = (&self.facts[a], &self.facts[b]);
        fa.primary
            .iter()
            .any(|(d, f)| fb.primary.iter().any(|(e, g)| d == e && f != g))
    }

    fn name_conflict(&self, a: usize, b: usize) -> bool {
        let (fa, fb) = (&self.facts[a], &self.facts[b]);
        !fa.names.is_empty()
            && !fb.names.is_empty()
            && !fa.names.iter().any(|n| fb.names.contains(n))
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
        let moved = std::mem::take(&mut self.facts[child]);
        let facts = &mut self.facts[root];
        for p in moved.primary {
            if !facts.primary.contains(&p) {
                facts.primary.push(p);
            }
        }
        for n in moved.names {
            if !facts.names.contains(&n) {
                facts.names.push(n);
            }
        }
        facts.has_identifier |= moved.has_identifier;
    }

    /// Joins records that share a key, unless `blocked` says their clusters conflict.
    fn join_on<K: std::hash::Hash + Eq>(
        &mut self,
        keys: impl Iterator<Item = (usize, K)>,
        blocked: impl Fn(&Clusters, usize, usize) -> bool,
    ) {
        let mut first: HashMap<K, usize> = HashMap::new();
        for (record, key) in keys {
            match first.get(&key) {
                Some(&other) => {
                    let (ra, rb) = (self.find(record), self.find(other));
                    if ra != rb && !blocked(self, ra, rb) {
                        self.union(ra, rb);
                    }
                }
                None => {
                    first.insert(key, record);
                }
            }
        }
    }

    fn count_roots(&mut self, people: &[usize]) -> usize {
        let roots: BTreeSet<usize> = people.iter().map(|&r| self.find(r)).collect();
        roots.len()
    }
}

/// Joins on shared primary identifiers, then on shared linking identifiers.
fn join_on_identifiers(clusters: &mut Clusters, identities: &[Identity]) {
    let primary = identities
        .iter()
        .enumerate()
        .flat_map(|(r, i)| i.primary.iter().map(move |p| (r, *p)));
    clusters.join_on(primary, |c, a, b| c.primary_conflict(a, b));
    let linking = identities
        .iter()
        .enumerate()
        .flat_map(|(r, i)| i.linking.iter().map(move |p| (r, *p)));
    clusters.join_on(linking, |c, a, b| {
        c.primary_conflict(a, b) || c.name_conflict(a, b)
    });
}

/// Name-based joins of the point estimate: same name with the same date of birth or address;
/// then records with a name and no identifier join a cluster of that name.
fn join_on_names(clusters: &mut Clusters, identities: &[Identity]) {
    let quasi = identities.iter().enumerate().flat_map(|(r, i)| {
        i.names
            .iter()
            .flat_map(move |n| i.quasi.iter().map(move |q| (r, (*n, *q))))
    });
    clusters.join_on(quasi, |c, a, b| c.primary_conflict(a, b));
    // A name without identifiers joins the first identified person of that name, else the
    // first other bare record of that name; identified people never join on a name alone.
    let named: Vec<usize> = (0..identities.len())
        .filter(|&r| !identities[r].names.is_empty())
        .collect();
    let mut first_identified: HashMap<[u8; 16], usize> = HashMap::new();
    for &r in &named {
        let root = clusters.find(r);
        if clusters.facts[root].has_identifier {
            for name in &identities[r].names {
                first_identified.entry(*name).or_insert(r);
            }
        }
    }
    let mut first_bare: HashMap<[u8; 16], usize> = HashMap::new();
    for &r in &named {
        for name in &identities[r].names {
            let root = clusters.find(r);
            if clusters.facts[root].has_identifier {
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
    records: &[RecordPart],
    table: &[DetectorInfo],
    combinations: &[Combination],
) -> Resolution {
    let identities: Vec<Identity> = records.iter().map(|r| Identity::of(r, table)).collect();
    let people: Vec<usize> = (0..records.len())
        .filter(|&r| identities[r].is_person())
        .collect();

    let mut upper = Clusters::new(&identities);
    join_on_identifiers(&mut upper, &identities);
    let upper_bound = upper.count_roots(&people);

    let mut point = Clusters::new(&identities);
    join_on_identifiers(&mut point, &identities);
    join_on_names(&mut point, &identities);

    // Clusters of the point estimate that share a name: possible same persons.
    let mut name_roots: BTreeMap<[u8; 16], BTreeSet<usize>> = BTreeMap::new();
    for &r in &people {
        let root = point.find(r);
        for name in &identities[r].names {
            name_roots.entry(*name).or_default().insert(root);
        }
    }
    let possible_same_person_clusters = name_roots.values().filter(|s| s.len() > 1).count();
    let mut lower = Clusters {
        parent: point.parent.clone(),
        facts: point.facts.clone(),
    };
    for roots in name_roots.values() {
        let mut it = roots.iter();
        if let Some(&first) = it.next() {
            for &other in it {
                lower.union(first, other);
            }
        }
    }
    let lower_bound = lower.count_roots(&people);

    let meets = combination_table(table, combinations);
    let mut verdicts: Vec<RecordVerdict> = records
        .iter()
        .map(|record| {
            let combos: Vec<usize> = (0..combinations.len())
                .filter(|&c| {
                    meets[c].iter().all(|group| {
                        record
                            .elements
                            .iter()
                            .any(|e| group.get(e.detector as usize).copied().unwrap_or(false))
                    })
                })
                .collect();
            let element_severity = record
                .elements
                .iter()
                .filter_map(|e| table.get(e.detector as usize).map(|d| d.severity))
                .max();
            let combo_severity = combos.iter().map(|&c| combinations[c].severity).max();
            RecordVerdict {
                individual: None,
                severity: element_severity.max(combo_severity),
                combinations: combos,
            }
        })
        .collect();

    // Members of each point cluster, in record order.
    let mut members: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
    for &r in &people {
        members.entry(point.find(r)).or_default().push(r);
    }
    let mut individuals: Vec<(Individual, Vec<usize>)> = members
        .into_values()
        .map(|rs| {
            let individual = describe(&rs, records, &verdicts, table, combinations);
            (individual, rs)
        })
        .collect();
    individuals.sort_by(|a, b| {
        b.0.severity
            .cmp(&a.0.severity)
            .then_with(|| a.0.id.cmp(&b.0.id))
    });
    for (index, (_, rs)) in individuals.iter().enumerate() {
        for &r in rs {
            verdicts[r].individual = Some(index);
        }
    }

    let mut class_counts: BTreeMap<Arc<str>, (usize, usize)> = BTreeMap::new();
    let mut class_people: BTreeMap<Arc<str>, BTreeSet<usize>> = BTreeMap::new();
    let mut combination_counts = vec![(0usize, 0usize, 0usize); combinations.len()];
    let mut combination_people: Vec<BTreeSet<usize>> = vec![BTreeSet::new(); combinations.len()];
    let mut combination_files: Vec<BTreeSet<&str>> = vec![BTreeSet::new(); combinations.len()];
    for (record, verdict) in records.iter().zip(&verdicts) {
        let classes: BTreeSet<&Arc<str>> = record
            .elements
            .iter()
            .filter_map(|e| table.get(e.detector as usize).map(|d| &d.data_class))
            .collect();
        for class in classes {
            class_counts.entry(Arc::clone(class)).or_default().0 += 1;
            if let Some(person) = verdict.individual {
                class_people
                    .entry(Arc::clone(class))
                    .or_default()
                    .insert(person);
            }
        }
        for &c in &verdict.combinations {
            combination_counts[c].0 += 1;
            combination_files[c].insert(&record.path);
            if let Some(person) = verdict.individual {
                combination_people[c].insert(person);
            }
        }
    }
    for (class, people) in class_people {
        class_counts.entry(class).or_default().1 = people.len();
    }
    for c in 0..combinations.len() {
        combination_counts[c].1 = combination_people[c].len();
        combination_counts[c].2 = combination_files[c].len();
    }
    let notification_triggered = individuals
        .iter()
        .filter(|(i, _)| !i.notification_triggers.is_empty())
        .count();
    Resolution {
        estimate: PeopleEstimate {
            records: records.len(),
            individuals: individuals.len(),
            lower_bound,
            upper_bound,
            possible_same_person_clusters,
            notification_triggered,
            method: METHOD.to_string(),
        },
        individuals: individuals.into_iter().map(|(i, _)| i).collect(),
        records: verdicts,
        class_counts,
        combination_counts,
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

/// Most masked identifiers listed for one person.
const MAX_IDENTIFIERS: usize = 6;

fn describe(
    members: &[usize],
    records: &[RecordPart],
    verdicts: &[RecordVerdict],
    table: &[DetectorInfo],
    combinations: &[Combination],
) -> Individual {
    let rank = |role: Option<Role>| match role {
        Some(Role::Name) => 0,
        Some(Role::Primary) => 1,
        Some(Role::Linking) => 2,
        _ => 3,
    };
    let mut identifiers: BTreeSet<(u8, Arc<str>, String)> = BTreeSet::new();
    let mut strongest: Option<(u8, Arc<str>, [u8; 16])> = None;
    let mut data_elements = BTreeSet::new();
    let mut files = BTreeSet::new();
    let mut severity = Severity::Info;
    let mut notification_triggers = BTreeSet::new();
    for &r in members {
        let record = &records[r];
        files.insert(&*record.path);
        severity = severity.max(verdicts[r].severity.unwrap_or(Severity::Info));
        for &c in &verdicts[r].combinations {
            if combinations[c].notification_trigger {
                notification_triggers.insert(combinations[c].id.clone());
            }
        }
        for element in &record.elements {
            let Some(detector) = table.get(element.detector as usize) else {
                continue;
            };
            data_elements.insert(Arc::clone(&detector.id));
            let role = detector.role;
            if role.is_some_and(Role::identifies) {
                let order = rank(role);
                identifiers.insert((order, Arc::clone(&detector.id), element.masked.clone()));
                // Names are weakest for the id: a person keeps their id when a name is added.
                let id_rank = if order == 0 { 3 } else { order };
                let candidate = (id_rank, Arc::clone(&detector.id), element.fingerprint);
                if strongest.as_ref().is_none_or(|s| candidate < *s) {
                    strongest = Some(candidate);
                }
            }
        }
    }
    let id = match &strongest {
        Some((_, detector, fingerprint)) => {
            let mut hasher = Sha256::new();
            hasher.update(detector.as_bytes());
            hasher.update([0]);
            hasher.update(fingerprint);
            format!("P-{}", &hex::encode(hasher.finalize())[..12])
        }
        None => String::from("P-unknown"),
    };
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
        id,
        identifiers: listed,
        data_elements,
        records: members.len(),
        files: files.len(),
        severity,
        notification_triggers,
    }
}
