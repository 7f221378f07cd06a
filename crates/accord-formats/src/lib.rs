
pub mod genius;
pub mod render;
pub mod scenario;
