//! Post-settlement improvement.

use serde::Serialize;

use crate::bargain::Solution;
use crate::{EngineError, Problem};

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum Improvement {
    /// The best package by Nash product among those that leave every party at
    /// least as well off as the baseline and one better off.
    Better { solution: Solution },
    /// No such package exists; `max_welfare` is the certificate: the highest
    /// total utility over packages that leave nobody worse off, which equals
    /// the baseline's total within 1e-9.
    ParetoOptimal { baseline_welfare: f64, max_welfare: f64 },
}

pub fn improve(_problem: &Problem, _baseline: &[usize]) -> Result<Improvement, EngineError> {
    Err(EngineError::Invalid("improve is not implemented yet".into()))
}
