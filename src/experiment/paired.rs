//! Paired comparisons of different worlds: one scenario against a changed copy of it (another
//! file, or one more person in a stage), run on common random numbers.
//!
//! Replication `i` of every world draws from the same streams, so the difference of each
//! replication's metric between two worlds is mostly the change's effect, not the dice. The
//! paired differences are summarised with a Student-t interval, and P(better) with a Wilson
//! interval.

use super::{in_chunks, Accumulator, Proportion, RunSummary};
use crate::metrics::{MetricAccumulator, ReplicationResult, Stat};
use crate::model::{flow, ValueStream};
use crate::policy::Policy;

/// One world: a value stream and the policy run in it.
pub struct World<'a> {
    /// The value stream.
    pub stream: &'a ValueStream,
    /// The policy.
    pub policy: &'a dyn Policy,
}

/// The metrics compared replication by replication, as (name, better when higher).
pub const METRICS: [(&str, bool); 7] = [
    ("value_realised", true),
    ("cycle_time", false),
    ("lead_time", false),
    ("throughput", true),
    ("wip", false),
    ("items_delivered", true),
    ("cost_of_delay", false),
];

/// Each metric of one replication, in the order of [`METRICS`] (NaN where undefined, e.g. no
/// item finished).
fn metrics(r: &ReplicationResult) -> [f64; 7] {
    let o = &r.outcomes;
    [
        *o.value_at.last().unwrap_or(&0.0),
        r.cycle_time.mean(),
        r.lead_time.mean(),
        r.throughput,
        r.wip,
        o.delivered_by_kind.iter().sum::<u64>() as f64,
        o.cost_of_delay,
    ]
}

/// A world's paired differences against the baseline world.
#[derive(Clone, Debug)]
pub struct Delta {
    /// Per metric of [`METRICS`]: this world's value minus the baseline's, over replications.
    pub metrics: Vec<Stat>,
    /// Per metric: the share of replications in which this world did better than the baseline
    /// (higher or lower as the metric wants; ties are not better), with its Wilson interval.
    pub better: Vec<Proportion>,
}

impl Delta {
    /// The difference of metric `name`.
    pub fn metric(&self, name: &str) -> &Stat {
        &self.metrics[index(name)]
    }

    /// P(better) of metric `name`.
    pub fn better(&self, name: &str) -> Proportion {
        self.better[index(name)]
    }
}

fn index(name: &str) -> usize {
    METRICS
        .iter()
        .position(|(n, _)| *n == name)
        .expect("invariant: a metric of METRICS")
}

/// Every world run on replications `0..replications`, with each world's summary and its
/// paired differences against world `baseline`.
pub struct Paired {
    /// Each world's summary.
    pub summaries: Vec<RunSummary>,
    /// Each world's differences against the baseline (the baseline's own are zero).
    pub deltas: Vec<Delta>,
}

/// Runs every world on the same replications and pairs them with `baseline`.
pub fn run(
    worlds: &[World<'_>],
    baseline: usize,
    seed: u64,
    replications: u64,
    mut on_chunk: impl FnMut(u64),
) -> Paired {
    let mut accs: Vec<Accumulator> = worlds
        .iter()
        .map(|w| Accumulator::new(w.stream, &[]))
        .collect();
    let mut diffs: Vec<Vec<MetricAccumulator>> = worlds
        .iter()
        .map(|_| vec![MetricAccumulator::default(); METRICS.len()])
        .collect();
    let mut wins: Vec<Vec<u64>> = worlds.iter().map(|_| vec![0; METRICS.len()]).collect();
    in_chunks(
        replications,
        |i| {
            worlds
                .iter()
                .map(|w| flow::simulate(w.stream, w.policy, seed, i))
                .collect::<Vec<_>>()
        },
        |results| {
            let base = metrics(&results[baseline]);
            for (w, r) in results.iter().enumerate() {
                accs[w].add(r);
                for (m, (&x, &b)) in metrics(r).iter().zip(&base).enumerate() {
                    diffs[w][m].add(x - b);
                    let higher = METRICS[m].1;
                    if (higher && x > b) || (!higher && x < b) {
                        wins[w][m] += 1;
                    }
                }
            }
        },
        &mut on_chunk,
    );
    Paired {
        summaries: accs
            .iter()
            .zip(worlds)
            .map(|(a, w)| a.summary(w.policy))
            .collect(),
        deltas: diffs
            .iter()
            .zip(&wins)
            .map(|(d, won)| Delta {
                metrics: d.iter().map(MetricAccumulator::stat).collect(),
                better: won
                    .iter()
                    .map(|&n| Proportion::wilson(n, replications))
                    .collect(),
            })
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Dist, Stage, WorkType};
    use crate::policy::{Order, RulePolicy};

    fn line(build_workers: u32) -> ValueStream {
        let stage = |name: &str, workers: u32, mean: f64| Stage {
            name: name.into(),
            workers,
            wip_limit: None,
            service: Dist::exponential(mean).unwrap(),
            rework: None,
            release_every: None,
        };
        let mut work = WorkType::new("job", 2);
        work.arrival_rate = Some(0.8);
        ValueStream::new(
            vec![stage("build", build_workers, 1.1), stage("test", 1, 0.5)],
            vec![work],
            2000.0,
            100.0,
        )
    }

    #[test]
    fn a_world_against_itself_differs_by_nothing_and_more_capacity_shortens_cycle_time() {
        let (base, more) = (line(1), line(2));
        let fifo = RulePolicy::ordered("fifo", Order::Fifo);
        let worlds = [
            World {
                stream: &base,
                policy: &fifo,
            },
            World {
                stream: &base,
                policy: &fifo,
            },
            World {
                stream: &more,
                policy: &fifo,
            },
        ];
        let p = run(&worlds, 0, 7, 12, |_| {});
        let same = p.deltas[1].metric("cycle_time");
        assert_eq!((same.mean, same.ci95), (Some(0.0), Some(0.0)));
        assert_eq!(p.deltas[1].better("cycle_time").p, 0.0);
        let d = p.deltas[2].metric("cycle_time");
        assert!(d.mean.unwrap() + d.ci95.unwrap() < 0.0, "{d:?}");
        assert_eq!(p.deltas[2].better("cycle_time").p, 1.0);
    }
}
