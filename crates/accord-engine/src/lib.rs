pub mod problem;
