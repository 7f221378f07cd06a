
pub mod scenario;
