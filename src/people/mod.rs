//! From findings to people: records (rows, objects, labelled blocks) and the individuals they
//! belong to, resolved by shared identifiers.

pub mod names;
pub mod records;
pub mod resolve;
pub mod store;

use serde::Serialize;

use crate::rules::PeopleModel;

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

/// The part a data element plays in telling people apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Role {
    /// One per person (SSN, passport): shared joins records, different keeps them apart.
    Primary,
    /// Links records of one person (e-mail, phone, card, account, username).
    Linking,
    /// Shared by many people (date of birth, address): links only with the same name.
    Quasi,
    /// Belongs to the record, identifies no one (expiry, security code, password).
    Attribute,
    /// A full name.
    Name,
    GivenName,
    FamilyName,
}

impl Role {
    /// The role of a detector with this rule id and credential kind, if it has one.
    pub fn of(model: &PeopleModel, id: &str, kind: Option<&str>) -> Option<Role> {
        let named = |list: &[String]| {
            list.iter().any(|entry| match entry.strip_prefix("kind:") {
                Some(k) => kind == Some(k),
                None => entry == id,
            })
        };
        if model.name.as_deref() == Some(id) {
            Some(Role::Name)
        } else if model.given_name.as_deref() == Some(id) {
            Some(Role::GivenName)
        } else if model.family_name.as_deref() == Some(id) {
            Some(Role::FamilyName)
        } else if named(&model.primary) {
            Some(Role::Primary)
        } else if named(&model.linking) {
            Some(Role::Linking)
        } else if named(&model.quasi) {
            Some(Role::Quasi)
        } else if named(&model.attributes) {
            Some(Role::Attribute)
        } else {
            None
        }
    }

    /// True for elements that make a record someone's: names and identifiers.
    pub fn identifies(self) -> bool {
        matches!(self, Role::Primary | Role::Linking | Role::Name)
    }
}
