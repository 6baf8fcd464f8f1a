//! valueflow: a value stream flow simulator.
pub mod cli;
pub mod engine;
pub mod experiment;
pub mod history;
pub mod metrics;
pub mod model;
pub mod policy;
pub mod report;
pub mod scenario;
pub mod stats;
