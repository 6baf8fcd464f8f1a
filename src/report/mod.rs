//! Outputs: the results of a run rendered for people (table) and programs (JSON, CSV).
//!
//! [`RunReport`] is the one document every format renders; its serde form *is* the public JSON
//! schema documented in `docs/output.md`. Each format is one small [`Exporter`] in a file of its
//! own.

mod csv;
mod json;
mod table;

pub use self::csv::Csv;
pub use json::Json;
pub use table::Table;

use crate::experiment::{RunSummary, StageSummary, WorkSummary};
use crate::metrics::Stat;
use crate::scenario::Scenario;
use serde::Serialize;

/// Version of the JSON schema; bumped on any incompatible change.
pub const SCHEMA_VERSION: u32 = 1;

/// Renders a report in one output format.
pub trait Exporter {
    /// The full text of the report.
    fn render(&self, report: &RunReport) -> String;
}

/// The four flow metrics of the whole value stream.
#[derive(Clone, Debug, Serialize)]
pub struct FlowMetrics {
    /// Flow time: days from arrival to leaving the last stage (percentiles of items).
    pub lead_time: Stat,
    /// Flow velocity: items finished per day after warm-up (percentiles of replications).
    pub throughput: Stat,
    /// Flow load: time-average items in the value stream (percentiles of replications).
    pub wip: Stat,
    /// Flow efficiency: service time / lead time (percentiles of replications).
    pub flow_efficiency: Stat,
}

/// One stage's row.
#[derive(Clone, Debug, Serialize)]
pub struct StageReport {
    /// Stage name.
    pub name: String,
    /// Workers in the stage.
    pub workers: u32,
    /// WIP limit, if any.
    pub wip_limit: Option<u32>,
    /// Days waiting for the stage (percentiles of items).
    pub wait: Stat,
    /// Service days per visit.
    pub service: Stat,
    /// Busy share of its workers.
    pub utilization: Stat,
    /// Time-average items waiting for it.
    pub queue_length: Stat,
}

/// One work type's row.
#[derive(Clone, Debug, Serialize)]
pub struct WorkReport {
    /// Work type name.
    pub name: String,
    /// Flow time in days (percentiles of items).
    pub lead_time: Stat,
    /// Items finished per replication after warm-up.
    pub completed: Stat,
}

/// Everything a run reports, in the shape of the public JSON schema.
#[derive(Clone, Debug, Serialize)]
pub struct RunReport {
    /// The JSON schema version.
    pub schema_version: u32,
    /// The scenario's name.
    pub scenario: String,
    /// The policy's name.
    pub policy: String,
    /// Replications run.
    pub replications: u64,
    /// The base seed.
    pub seed: u64,
    /// Days simulated per replication.
    pub horizon: f64,
    /// Days of warm-up excluded from statistics.
    pub warmup: f64,
    /// Whole-stream flow metrics.
    pub metrics: FlowMetrics,
    /// Per stage, in flow order.
    pub stages: Vec<StageReport>,
    /// Per work type.
    pub work: Vec<WorkReport>,
    /// Events the engine handled over all replications.
    pub events: u64,
    /// Warnings about the scenario.
    pub warnings: Vec<String>,
}

impl RunReport {
    /// Assembles the report of `summary`, a run of `scenario`.
    pub fn new(scenario: &Scenario, summary: &RunSummary) -> RunReport {
        let vs = &scenario.stream;
        RunReport {
            schema_version: SCHEMA_VERSION,
            scenario: scenario.name.clone(),
            policy: summary.policy.clone(),
            replications: summary.replications,
            seed: scenario.seed,
            horizon: vs.horizon,
            warmup: vs.warmup,
            metrics: FlowMetrics {
                lead_time: summary.lead_time,
                throughput: summary.throughput,
                wip: summary.wip,
                flow_efficiency: summary.flow_efficiency,
            },
            stages: summary
                .stages
                .iter()
                .zip(&vs.stages)
                .map(|(s, st): (&StageSummary, _)| StageReport {
                    name: s.name.clone(),
                    workers: st.workers,
                    wip_limit: st.wip_limit,
                    wait: s.wait,
                    service: s.service,
                    utilization: s.utilization,
                    queue_length: s.queue_length,
                })
                .collect(),
            work: summary
                .work
                .iter()
                .map(|w: &WorkSummary| WorkReport {
                    name: w.name.clone(),
                    lead_time: w.lead_time,
                    completed: w.completed,
                })
                .collect(),
            events: summary.events,
            warnings: scenario.warnings.clone(),
        }
    }

    /// Every (section, name, metric, stat) row, in a fixed order, for flat formats.
    pub fn rows(&self) -> Vec<(&'static str, &str, &'static str, &Stat)> {
        let m = &self.metrics;
        let mut rows = vec![
            ("flow", "all", "lead_time", &m.lead_time),
            ("flow", "all", "throughput", &m.throughput),
            ("flow", "all", "wip", &m.wip),
            ("flow", "all", "flow_efficiency", &m.flow_efficiency),
        ];
        for s in &self.stages {
            rows.push(("stage", &s.name, "wait", &s.wait));
            rows.push(("stage", &s.name, "service", &s.service));
            rows.push(("stage", &s.name, "utilization", &s.utilization));
            rows.push(("stage", &s.name, "queue_length", &s.queue_length));
        }
        for w in &self.work {
            rows.push(("work", &w.name, "lead_time", &w.lead_time));
            rows.push(("work", &w.name, "completed", &w.completed));
        }
        rows
    }
}
