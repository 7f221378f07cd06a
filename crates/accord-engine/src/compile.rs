//! Compiling a negotiation into a [`Problem`].

use accord_core::Negotiation;

use crate::{EngineError, Problem};

pub fn compile(_negotiation: &Negotiation) -> Result<Problem, EngineError> {
    Err(EngineError::Invalid("compile is not implemented yet".into()))
}
