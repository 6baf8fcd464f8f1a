//! The value stream domain: stages, work types, work items and the flow simulation that moves
//! items through stages on the engine.
//!
//! Key types:
//! - [`ValueStream`]: the validated description of one simulated world (built only by
//!   `scenario` validation or by code, never deserialized directly).
//! - [`Stage`], [`WorkType`], [`Rework`]: its parts.
//! - [`WorkItem`]: one unit of work; policies see it only through its public accessors.
//! - [`flow::simulate`]: runs one replication and returns its observations.

mod dist;
pub mod flow;

pub use dist::{Dist, DistError, DistSpec};
pub use flow::{ItemId, ItemTable, WorkItem};

/// One step of the value stream (analysis, build, review, test, release...).
#[derive(Clone, Debug)]
pub struct Stage {
    /// Display name, unique within the value stream.
    pub name: String,
    /// Parallel workers (servers); at least 1.
    pub workers: u32,
    /// Most items the stage may hold at once (queued, in service, or done and waiting to move on).
    /// `None` means unlimited.
    pub wip_limit: Option<u32>,
    /// Service time in days when a work type does not override it.
    pub service: Dist,
    /// Where finished items are sent back for rework, and how often.
    pub rework: Option<Rework>,
    /// Finished items leave only at release times every this many days (a release train).
    pub release_every: Option<f64>,
}

/// Sending a finished item back to an earlier stage.
#[derive(Clone, Debug)]
pub struct Rework {
    /// Index of the earlier stage the item returns to.
    pub to: usize,
    /// Probability that a finished item is sent back, in [0, 1].
    pub probability: f64,
}

/// A kind of work that enters the value stream (a feature type, defects, debt...).
#[derive(Clone, Debug)]
pub struct WorkType {
    /// Display name, unique within the value stream.
    pub name: String,
    /// Poisson arrivals per day; `None` for a type that only has a backlog.
    pub arrival_rate: Option<f64>,
    /// Items of this type waiting at time 0.
    pub backlog: u32,
    /// Per-stage service time overrides (indexed by stage), `None` to use the stage's own.
    pub service: Vec<Option<Dist>>,
    /// Class-of-service priority for the `priority` policy: higher is served first.
    pub priority: i32,
}

/// A validated value stream: everything one replication needs besides a seed and a policy.
#[derive(Clone, Debug)]
pub struct ValueStream {
    /// The stages, in flow order.
    pub stages: Vec<Stage>,
    /// The work types.
    pub work_types: Vec<WorkType>,
    /// Days simulated per replication.
    pub horizon: f64,
    /// Days at the start excluded from statistics.
    pub warmup: f64,
}

impl ValueStream {
    /// The service time distribution of `work_type` at `stage`.
    #[inline]
    pub fn service(&self, work_type: usize, stage: usize) -> &Dist {
        self.work_types[work_type].service[stage]
            .as_ref()
            .unwrap_or(&self.stages[stage].service)
    }

    /// Expected number of visits an item makes to each stage, counting rework loops
    /// (each loop from stage `s` back to `j` repeats stages `j..=s` a geometric number of times).
    pub fn expected_visits(&self) -> Vec<f64> {
        let mut visits = vec![1.0; self.stages.len()];
        for (s, stage) in self.stages.iter().enumerate() {
            if let Some(r) = &stage.rework {
                if r.probability < 1.0 {
                    let factor = 1.0 / (1.0 - r.probability);
                    for v in &mut visits[r.to..=s] {
                        *v *= factor;
                    }
                } else {
                    for v in &mut visits[r.to..=s] {
                        *v = f64::INFINITY;
                    }
                }
            }
        }
        visits
    }

    /// Offered utilisation of each stage from the Poisson arrivals: sum over work types of
    /// arrival rate x visits x mean service time, divided by the workers. Backlogs are finite
    /// and do not count.
    pub fn offered_utilization(&self) -> Vec<f64> {
        let visits = self.expected_visits();
        (0..self.stages.len())
            .map(|s| {
                let load: f64 = self
                    .work_types
                    .iter()
                    .enumerate()
                    .filter_map(|(w, wt)| {
                        wt.arrival_rate
                            .map(|rate| rate * visits[s] * self.service(w, s).mean())
                    })
                    .sum();
                load / f64::from(self.stages[s].workers)
            })
            .collect()
    }
}
