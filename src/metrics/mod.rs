//! Observation only: streaming statistics of one replication and across replications.
//!
//! Metrics watch a run and never change it. Everything here uses memory bounded by the number
//! of distinct values' magnitudes, never by the number of items, events or replications.
//!
//! Key types:
//! - [`Sketch`]: a log-linear histogram for percentiles within 0.4% relative error.
//! - [`Running`]: Welford's running mean and variance.
//! - [`TimeAverage`]: the time-weighted average of a level (items in a queue, busy workers).
//! - [`Stat`]: the published summary of a metric (mean, 95% interval, p50/p85/p95).
//! - [`MetricAccumulator`]: folds per-replication values into a [`Stat`].

mod replication;
mod sketch;
mod stats;
mod trace;

pub use replication::{
    Exceeded, Outcomes, Part, Recorder, ReplicationResult, StageObservation, WorkDone,
    WorkObservation,
};
pub use sketch::Sketch;
pub use stats::{
    t_quantile_975, MetricAccumulator, PooledAccumulator, Running, Stat, TimeAverage, TimeTrend,
};
pub use trace::{StepState, Trace, TraceBound, TraceStep, TracedItem};
