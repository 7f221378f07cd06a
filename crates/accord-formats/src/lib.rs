//! Accord's file formats: TOML scenario files with precise error locations,
//! rendering a package to Markdown or HTML, GENIUS XML import and export, and
//! the difference between two versions of a text ([`diff`]).

pub mod diff;
pub mod document;
pub mod genius;
pub mod render;
pub mod scenario;
