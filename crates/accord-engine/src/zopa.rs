//! The zone of possible agreement.
