//! Replications: runs many independent replications in parallel and folds their observations,
//! in replication order, into one [`RunSummary`].
//!
//! Replication `i` is seeded from (seed, i) alone, and results are folded on one thread in index
//! order, so the summary is bit-identical whatever the number of threads. Replications run in
//! chunks, so memory holds one chunk of results at a time, never all of them.

use crate::metrics::{MetricAccumulator, PooledAccumulator, ReplicationResult, Stat};
use crate::model::{flow, ValueStream};
use crate::policy::Policy;
use rayon::prelude::*;

/// Replications simulated in parallel before their results are folded.
const CHUNK: u64 = 256;

/// Summary of one stage across replications.
#[derive(Clone, Debug)]
pub struct StageSummary {
    /// Stage name.
    pub name: String,
    /// Days from becoming available to the stage to starting service (percentiles of items).
    pub wait: Stat,
    /// Service time in days.
    pub service: Stat,
    /// Busy share of the stage's workers.
    pub utilization: Stat,
    /// Time-average items waiting for the stage.
    pub queue_length: Stat,
}

/// Summary of one work type across replications.
#[derive(Clone, Debug)]
pub struct WorkSummary {
    /// Work type name.
    pub name: String,
    /// Lead time in days (percentiles of items).
    pub lead_time: Stat,
    /// Items finished per replication after warm-up.
    pub completed: Stat,
}

/// Everything `run` reports for one policy.
#[derive(Clone, Debug)]
pub struct RunSummary {
    /// The policy's name.
    pub policy: String,
    /// Replications run.
    pub replications: u64,
    /// Lead time (flow time) in days; percentiles of individual items.
    pub lead_time: Stat,
    /// Items finished per day after warm-up (flow velocity).
    pub throughput: Stat,
    /// Time-average items in the value stream (flow load).
    pub wip: Stat,
    /// Service time / lead time (flow efficiency).
    pub flow_efficiency: Stat,
    /// Per stage.
    pub stages: Vec<StageSummary>,
    /// Per work type.
    pub work: Vec<WorkSummary>,
    /// Events handled over all replications.
    pub events: u64,
    /// Replications in which arrived != departed + still in the system (always 0 unless the
    /// engine is broken).
    pub conservation_failures: u64,
}

#[derive(Default)]
struct StageAcc {
    wait: PooledAccumulator,
    service: MetricAccumulator,
    utilization: MetricAccumulator,
    queue_length: MetricAccumulator,
}

#[derive(Default)]
struct WorkAcc {
    lead_time: PooledAccumulator,
    completed: MetricAccumulator,
}

/// Folds replication results, in index order, into summaries.
struct Accumulator {
    n: u64,
    events: u64,
    conservation_failures: u64,
    lead_time: PooledAccumulator,
    throughput: MetricAccumulator,
    wip: MetricAccumulator,
    flow_efficiency: MetricAccumulator,
    stages: Vec<StageAcc>,
    work: Vec<WorkAcc>,
}

impl Accumulator {
    fn new(vs: &ValueStream) -> Self {
        Accumulator {
            n: 0,
            events: 0,
            conservation_failures: 0,
            lead_time: Default::default(),
            throughput: Default::default(),
            wip: Default::default(),
            flow_efficiency: Default::default(),
            stages: vs.stages.iter().map(|_| StageAcc::default()).collect(),
            work: vs.work_types.iter().map(|_| WorkAcc::default()).collect(),
        }
    }

    fn add(&mut self, r: &ReplicationResult) {
        self.n += 1;
        self.events += r.events;
        if r.arrived != r.departed + r.in_system {
            self.conservation_failures += 1;
        }
        self.lead_time.add(r.lead_time.mean(), &r.lead_time_items);
        self.throughput.add(r.throughput);
        self.wip.add(r.wip);
        self.flow_efficiency.add(r.flow_efficiency);
        for (acc, s) in self.stages.iter_mut().zip(&r.stages) {
            acc.wait.add(s.wait.mean(), &s.wait_items);
            acc.service.add(s.service.mean());
            acc.utilization.add(s.utilization);
            acc.queue_length.add(s.queue_length);
        }
        for (acc, w) in self.work.iter_mut().zip(&r.work) {
            acc.lead_time.add(w.lead_time.mean(), &w.lead_time_items);
            acc.completed.add(w.completed as f64);
        }
    }

    fn summary(&self, vs: &ValueStream, policy: &str) -> RunSummary {
        RunSummary {
            policy: policy.to_string(),
            replications: self.n,
            lead_time: self.lead_time.stat(),
            throughput: self.throughput.stat(),
            wip: self.wip.stat(),
            flow_efficiency: self.flow_efficiency.stat(),
            stages: vs
                .stages
                .iter()
                .zip(&self.stages)
                .map(|(st, a)| StageSummary {
                    name: st.name.clone(),
                    wait: a.wait.stat(),
                    service: a.service.stat(),
                    utilization: a.utilization.stat(),
                    queue_length: a.queue_length.stat(),
                })
                .collect(),
            work: vs
                .work_types
                .iter()
                .zip(&self.work)
                .map(|(wt, a)| WorkSummary {
                    name: wt.name.clone(),
                    lead_time: a.lead_time.stat(),
                    completed: a.completed.stat(),
                })
                .collect(),
            events: self.events,
            conservation_failures: self.conservation_failures,
        }
    }
}

/// Runs `replications` replications of `vs` under `policy` and summarises them.
///
/// `on_chunk` is told how many replications are done after each chunk (for progress display).
pub fn run(
    vs: &ValueStream,
    policy: &dyn Policy,
    seed: u64,
    replications: u64,
    mut on_chunk: impl FnMut(u64),
) -> RunSummary {
    let mut acc = Accumulator::new(vs);
    for_each_replication(
        vs,
        policy,
        seed,
        replications,
        |r| acc.add(r),
        &mut on_chunk,
    );
    acc.summary(vs, policy.name())
}

/// Simulates replications `0..replications` in parallel chunks and hands each result to
/// `visit` in index order.
pub fn for_each_replication(
    vs: &ValueStream,
    policy: &dyn Policy,
    seed: u64,
    replications: u64,
    mut visit: impl FnMut(&ReplicationResult),
    on_chunk: &mut dyn FnMut(u64),
) {
    let mut start = 0;
    while start < replications {
        let end = (start + CHUNK).min(replications);
        let results: Vec<ReplicationResult> = (start..end)
            .into_par_iter()
            .map(|i| flow::simulate(vs, policy, seed, i))
            .collect();
        for r in &results {
            visit(r);
        }
        start = end;
        on_chunk(start);
    }
}
