//! Deadlock repair of a draft.
