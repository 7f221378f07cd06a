//! The engine's error type.

/// Why an analysis could not be carried out.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum EngineError {
    /// The exact computation would need more memory than the limit allows.
    #[error("{what} exceeds the limit of {limit}: {hint}")]
    TooLarge { what: String, limit: u128, hint: String },
    /// The negotiation cannot be compiled for analysis.
    #[error("{0}")]
    Invalid(String),
}
