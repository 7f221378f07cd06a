//! Bargaining solutions: Nash, Kalai–Smorodinsky, egalitarian, maximum welfare.

use serde::Serialize;

use crate::{EngineError, Problem};

/// An optimal package with its certificate.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Solution {
    /// Value index per issue.
    pub package: Vec<usize>,
    /// One utility per analysis party.
    pub utilities: Vec<f64>,
    /// The objective value at `package`.
    pub objective: f64,
    /// Upper bound on the optimum minus `objective`; 0 when proven optimal.
    pub gap: f64,
    /// The `source` of every rule that was active at `package`.
    pub active_rules: Vec<String>,
}

/// Maximises Π(u_i − d_i) with d_i the reservation value, over feasible packages
/// with u_i ≥ floors[i] for every i (pass the reservation values for the
/// textbook solution). `None` when no package qualifies.
pub fn nash(_problem: &Problem, _floors: &[f64]) -> Result<Option<Solution>, EngineError> {
    Err(EngineError::Invalid("nash is not implemented yet".into()))
}

/// Kalai–Smorodinsky over the rational set.
pub fn kalai_smorodinsky(_problem: &Problem) -> Result<Option<Solution>, EngineError> {
    Err(EngineError::Invalid("kalai_smorodinsky is not implemented yet".into()))
}

/// Maximises min_i (u_i − d_i) over the rational set.
pub fn egalitarian(_problem: &Problem) -> Result<Option<Solution>, EngineError> {
    Err(EngineError::Invalid("egalitarian is not implemented yet".into()))
}

/// Maximises Σ u_i over feasible packages with u_i ≥ floors[i].
pub fn max_welfare(_problem: &Problem, _floors: &[f64]) -> Result<Option<Solution>, EngineError> {
    Err(EngineError::Invalid("max_welfare is not implemented yet".into()))
}
