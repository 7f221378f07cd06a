//! Request and response bodies: the `accord-api` crate's types, which the
//! server shares with its clients, and the problem document of errors.

pub use accord_api::*;

pub use crate::error::{FieldError, Problem};
