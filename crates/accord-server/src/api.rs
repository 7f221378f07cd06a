//! Request and response bodies, errors included: the `accord-api` crate's
//! types, which the server shares with its clients.

pub use accord_api::*;
