//! The Pareto frontier of the individually rational set.

use serde::Serialize;

use crate::{EngineError, Problem};

/// Limits and reporting for [`pareto_frontier`].
#[derive(Clone, Copy)]
pub struct FrontierOptions<'a> {
    /// Most partial or final points held at once before giving up with [`EngineError::TooLarge`].
    pub max_points: usize,
    /// Most packages kept behind each frontier point (all are counted).
    pub packages_cap: usize,
    /// Called with (steps done, total steps) as the computation advances.
    pub progress: Option<&'a (dyn Fn(usize, usize) + Sync)>,
}

impl std::fmt::Debug for FrontierOptions<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FrontierOptions")
            .field("max_points", &self.max_points)
            .field("packages_cap", &self.packages_cap)
            .finish_non_exhaustive()
    }
}

impl Default for FrontierOptions<'_> {
    fn default() -> Self {
        FrontierOptions { max_points: 4_000_000, packages_cap: 50, progress: None }
    }
}

/// One point of the frontier and the packages behind it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FrontierPoint {
    /// One utility per analysis party.
    pub utilities: Vec<f64>,
    /// Up to `packages_cap` packages (value index per issue) with these utilities (within 1e-9).
    pub packages: Vec<Vec<usize>>,
    /// How many packages there are behind the point, exactly.
    pub n_packages: u128,
}

/// The frontier, sorted by the first party's utility, descending.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Frontier {
    pub points: Vec<FrontierPoint>,
}

/// The exact Pareto frontier of the individually rational, feasible packages.
pub fn pareto_frontier(_problem: &Problem, _options: &FrontierOptions<'_>) -> Result<Frontier, EngineError> {
    Err(EngineError::Invalid("the frontier is not implemented yet".into()))
}
