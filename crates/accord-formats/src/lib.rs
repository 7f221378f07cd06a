//! Accord's file formats: TOML scenario files with precise error locations,
//! rendering a package to Markdown or HTML, GENIUS XML import and export, and
//! the difference between two versions of a text ([`diff`]), and the draft's
//! editable text form ([`draft_text`]).

pub mod diff;
pub mod document;
pub mod draft_text;
pub mod genius;
pub mod render;
pub mod scenario;
