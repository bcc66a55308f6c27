//! From findings to people: records (rows, objects, labelled blocks) and the individuals they
//! belong to, resolved by shared identifiers.

pub mod names;

use serde::Serialize;

/// How many people the exposure touches, with bounds and the method in words.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct PeopleEstimate {
    /// Records holding at least one personal data element.
    pub records: usize,
    /// The point estimate of affected individuals.
    pub individuals: usize,
    /// Every same-name cluster merged.
    pub lower_bound: usize,
    /// No merge based on a name at all.
    pub upper_bound: usize,
    /// Groups of individuals that share a name and nothing else ("possible same person").
    pub possible_same_person_clusters: usize,
    /// Individuals whose records meet a notification-triggering combination.
    pub notification_triggered: usize,
    pub method: String,
}
