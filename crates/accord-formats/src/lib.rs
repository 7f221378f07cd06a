
pub mod genius;
pub mod scenario;
