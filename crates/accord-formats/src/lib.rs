//! Accord's file formats: TOML scenario files with precise error locations,
//! rendering a package to Markdown or HTML, and GENIUS XML import and export.

pub mod genius;
pub mod render;
pub mod scenario;
