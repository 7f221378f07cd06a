//! The negotiation model of Accord.
//!
//! This crate is pure: no I/O, no async, no clocks. Everything above it
//! (engine, formats, storage, server, CLI) speaks in these types.
//!
//! * [`model`]: the negotiation, its parties, issues, provisions, constraints,
//!   timetable, stances and the parties' private profiles.
//! * [`limits`]: the documented size limits (values per issue, issues,
//!   parties, provisions, text sizes) that `validate` and the engine enforce.
//! * [`validate`]: every cross-reference and range rule, reported all at once
//!   with a [`validate::Path`] into the model so a file format can point at a line.
//! * [`text`]: provision bodies with slots, and rendering a [`model::Package`]
//!   into an immutable [`text::Version`] with a canonical SHA-256 content hash.
//! * [`utility`]: the one definition of a party's utility, as per-issue tables.
//! * [`event`]: the entries of a negotiation's log and the pure fold
//!   ([`event::State::apply`]) that turns a log into the current state.
//! * [`drafting`]: the mediator's edits of the text as one batch (insert,
//!   move, split, merge, renumber, brackets), provision numbering and lineage.
//! * [`phase`]: the timetable in motion (the current phase, the clock's due
//!   transitions, which actions a phase allows).
//! * [`plan`]: the one write path — the events a write appends, planned
//!   against the folded state with the clock's transitions and the phase gate.

pub mod drafting;
pub mod event;
pub mod limits;
pub mod model;
pub mod phase;
pub mod plan;
pub mod text;
pub mod utility;
pub mod validate;

pub use model::*;
