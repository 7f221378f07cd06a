//! Exact negotiation analysis. Pure: no I/O, no clocks, no threads required.
//!
//! Compile a negotiation into a [`problem::Problem`] with [`compile::compile`],
//! then ask for the Pareto frontier ([`frontier`]), bargaining solutions
//! ([`bargain`]), the zone of possible agreement ([`zopa`]), a repair of a
//! deadlocked draft ([`repair`]), a post-settlement improvement ([`improve`]),
//! or each party's balance per provision ([`balance`]). [`analyse()`] runs
//! them all under one set of work [`Budgets`], for every caller alike.

pub mod analyse;
pub mod balance;
pub mod bargain;
pub mod compile;
pub mod error;
pub mod frontier;
pub mod improve;
pub mod problem;
pub mod repair;
pub mod zopa;

pub use analyse::{Analysis, Budget, Budgets, Outcome, Part, analyse};
pub use error::EngineError;
pub use problem::{Problem, TOL};
