//! Accessible charts for the Accord web UI, rendered as standalone inline SVG
//! strings. Pure: no I/O, no clock (the caller passes "now"), no server types;
//! the inputs are plain structs the pages fill from the API types.
//!
//! The SVG is written by hand rather than with a plotting library because every
//! element needs things such libraries don't emit: a class and `data-*`
//! attributes for the browser script, a native `<title>` tooltip, marker shapes
//! chosen for colour-blind reading, and the accessible name and description on
//! the root. Every embedded text goes through one escaping writer.
//!
//! | Chart | Function | Input |
//! |---|---|---|
//! | Timetable | [`timetable`] | [`TimetableChart`] of [`TimetablePhase`] |
//! | Reservation history | [`reservation_history`] | [`ReservationHistoryChart`] of [`ReservationChange`] |
//! | What a draft gives me | [`utility_bar`] | [`UtilityBarChart`] |
//! | Normalised gains of a package | [`package_gains`] | [`PackageGainsChart`] of [`PartyGain`] |
//! | Pareto frontier for two parties | [`pareto`] | [`ParetoChart`] with [`UtilityPair`], [`Suggestion`] |
//! | Balance per provision | [`balance`] | [`BalanceChart`] of [`ProvisionBalance`] |
//!
//! ```
//! use accord_charts::{ParetoChart, Suggestion, SuggestionKind, UtilityPair, pareto};
//!
//! let svg = pareto(&ParetoChart {
//!     id: "pareto-a-b".into(),
//!     party_x: "North".into(),
//!     party_y: "South".into(),
//!     frontier: vec![UtilityPair { x: 0.9, y: 0.3 }, UtilityPair { x: 0.6, y: 0.7 }],
//!     draft: Some(UtilityPair { x: 0.4, y: 0.4 }),
//!     suggestions: vec![Suggestion {
//!         kind: SuggestionKind::Nash,
//!         label: "Nash".into(),
//!         at: UtilityPair { x: 0.6, y: 0.7 },
//!     }],
//!     disagreement: Some(UtilityPair { x: 0.3, y: 0.3 }),
//! });
//! assert!(svg.starts_with("<svg "));
//! assert!(svg.contains("data-kind=\"nash\""));
//! ```
//!
//! Every function returns a `String` holding one `<svg>` element and never
//! panics: empty input gives a small "no data" chart with a visible sentence,
//! non-finite numbers are left out, values outside 0..1 are clamped, long names
//! are shortened on screen (in full in the description and the `data-*` attributes).
//!
//! # Accessibility
//!
//! - The root has `role="img"` and `aria-labelledby` pointing at its `<title>`
//!   (what the chart is) and `<desc>` (the data in words: every phase and
//!   deadline, every point, every value), so a screen reader gets the data.
//! - Text is `#1f2328` or `#57606a` on a painted white background (AA for text);
//!   marks have dark outlines (3:1 for graphics).
//! - No meaning rests on colour alone: the current phase has a "▶ … current"
//!   label and a thick outline; extensions, losses and below-reservation bars are
//!   hatched; suggestions each have their own shape *and* a label; signed values
//!   are written with their sign and a word ("toward worst").
//! - Marks carry a child `<title>`, which browsers show as a tooltip without script.
//! - The root has a `viewBox`, no fixed size, and `style="max-width:100%;height:auto"`:
//!   it fills its container from 390 px to 1280 px. Rows are stacked (labels above
//!   bars) so the narrow layout stays legible.
//!
//! # Hooks for the browser script
//!
//! Stable class names and attributes (values of `data-x`, `data-y`, `data-value`
//! have two decimals; instants are RFC 3339 in UTC):
//!
//! - Root: `<svg id="{id}" class="accord-chart accord-chart-{kind}" data-chart="{kind}">`,
//!   `kind` ∈ `timetable`, `reservation-history`, `utility-bar`, `package-gains`,
//!   `pareto`, `balance`. `id` is the input's `id`, reduced to `[A-Za-z0-9_-]`
//!   (a fallback `chart-{kind}` when empty); title, desc and pattern ids are
//!   `{id}-title`, `{id}-desc`, `{id}-…`, so give each chart on a page its own id.
//! - No data: `<g class="no-data" data-empty="true">`.
//! - Timetable: `g.phase` (plus `is-current`) with `data-phase` (id), `data-name`,
//!   `data-kind`, `data-status` (`current`, `ended`, `upcoming`, `not entered`,
//!   `scheduled` when no "now" was given), `data-start`, `data-end`, `data-deadline`,
//!   `data-extended` (`true`/`false`); inside it `rect.phase-bar`,
//!   `rect.phase-extension`, `line.deadline-mark`, `text.deadline-label`.
//!   The current moment: `g.now[data-at]` with `line.now-line`.
//! - Reservation history: `path.reservation-line`; `g.reservation-points[data-party]`
//!   of `circle.reservation-point` with `data-index`, `data-at`, `data-value`.
//! - Utility bar: `rect.utility-bar[data-value]` (plus `is-below-reservation`),
//!   `g.reservation-marker[data-value]`.
//! - Package gains: `g.gain` with `data-party`, `data-value`; inside `rect.gain-bar`
//!   (plus `is-loss`).
//! - Pareto: `g.frontier` of `circle.frontier-point` (`data-index`, `data-x`, `data-y`,
//!   sorted by `x`) and `polyline.frontier-line`; `polygon.suggestion.suggestion-{kind}`
//!   with `data-kind` ∈ `nash`, `kalai-smorodinsky`, `egalitarian`, `repair`,
//!   `improvement`, `data-label`, `data-x`, `data-y`; `g.draft-point[data-x][data-y]`;
//!   `g.reservation[data-x][data-y]`; `text.axis-label-x[data-party]`,
//!   `text.axis-label-y[data-party]`; `g.legend` of `g.legend-item[data-kind]`.
//! - Balance: `g.provision` (plus `is-against`) with `data-provision`, `data-value`
//!   (e.g. `0.25`, `-0.50`); inside `rect.balance-bar`.
//! - Numbers in `data-*` are plain ASCII (`-0.50`, for `parseFloat`); visible text
//!   uses the real minus sign (U+2212).
//! - Decorative groups (axes, grid) have `aria-hidden="true"`.

mod balance;
mod pareto;
mod reservation;
mod scale;
mod svg;
mod timetable;
mod utility;

pub use balance::{BalanceChart, ProvisionBalance, balance};
pub use pareto::{ParetoChart, Suggestion, SuggestionKind, UtilityPair, pareto};
pub use reservation::{ReservationChange, ReservationHistoryChart, reservation_history};
pub use svg::escape;
pub use timetable::{TimetableChart, TimetablePhase, timetable};
pub use utility::{PackageGainsChart, PartyGain, UtilityBarChart, package_gains, utility_bar};
