//! Replications: runs many independent replications in parallel and folds their observations,
//! in replication order, into one [`RunSummary`].
//!
//! Replication `i` is seeded from (seed, i) alone, and results are folded on one thread in index
//! order, so the summary is bit-identical whatever the number of threads. Replications run in
//! chunks, so memory holds one chunk of results at a time, never all of them.

pub mod assumptions;
pub mod curve;
pub mod diagnosis;
pub mod okr;
pub mod paired;
pub mod precision;
pub mod sweep;

use crate::metrics::{
    Exceeded, MetricAccumulator, Part, PooledAccumulator, ReplicationResult, Sketch, Stat,
};
use crate::model::{flow, ValueStream};
use crate::policy::Policy;
use okr::KeyResult;
use rayon::prelude::*;
use std::sync::atomic::{AtomicBool, Ordering};

/// Replications simulated in parallel before their results are folded.
const CHUNK: u64 = 256;

/// Days in an average month of the Gregorian calendar (365.25 / 12 = 30.4375), for growth
/// rates per month.
pub const DAYS_PER_MONTH: f64 = 30.44;

/// z such that 95% of a standard normal lies within ±z (the 97.5th percentile).
const Z_95: f64 = 1.959_963_984_540_054;

/// A share of replications with its 95% Wilson score interval (Wilson 1927, "Probable
/// inference, the law of succession, and statistical inference", JASA 22:209–212).
///
/// The interval is asymmetric around `p` (it leans towards 1/2) and stays within [0, 1], which
/// is why it is kept as its two bounds rather than a half-width.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Proportion {
    /// The share of replications, p̂ = hits / n.
    pub p: f64,
    /// Lower bound of the 95% Wilson score interval.
    pub low: f64,
    /// Upper bound of the 95% Wilson score interval.
    pub high: f64,
}

impl Proportion {
    /// `hits` out of `n` and its 95% Wilson score interval: centre (p̂ + z²/2n)/(1 + z²/n),
    /// half-width z/(1 + z²/n) · √(p̂(1−p̂)/n + z²/4n²), clamped to [0, 1] against rounding.
    /// It behaves at 0% and 100%, where the normal approximation p̂ ± z√(p̂(1−p̂)/n) collapses
    /// to a point. All NaN when `n` is 0.
    pub fn wilson(hits: u64, n: u64) -> Proportion {
        if n == 0 {
            return Proportion {
                p: f64::NAN,
                low: f64::NAN,
                high: f64::NAN,
            };
        }
        let z2 = Z_95 * Z_95;
        let nf = n as f64;
        let p = hits as f64 / nf;
        let denominator = 1.0 + z2 / nf;
        let centre = (p + z2 / (2.0 * nf)) / denominator;
        let half = Z_95 / denominator * (p * (1.0 - p) / nf + z2 / (4.0 * nf * nf)).sqrt();
        // At 0 and n hits one bound is exactly 0 or 1; rounding must not move it.
        Proportion {
            p,
            low: if hits == 0 {
                0.0
            } else {
                (centre - half).max(0.0)
            },
            high: if hits == n {
                1.0
            } else {
                (centre + half).min(1.0)
            },
        }
    }
}

/// Summary of one stage across replications.
#[derive(Clone, Debug)]
pub struct StageSummary {
    /// Stage name.
    pub name: String,
    /// Days an item committed after warm-up spent in the stage, per [`Part`] (queue, touch,
    /// blocked, release, rework), summed over its visits, zero included (percentiles of
    /// items).
    pub time: [Stat; Part::COUNT],
    /// Service time in days, per visit.
    pub service: Stat,
    /// Busy share of the stage's workers.
    pub utilization: Stat,
    /// Share of the stage's worker time idle because the stage is full of work done and
    /// waiting to move on (blocked).
    pub blocked: Stat,
    /// Share of the stage's worker time idle with nothing it may take (starved).
    pub starved: Stat,
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

/// The probability of achieving one key result.
#[derive(Clone, Debug)]
pub struct KeyResultSummary {
    /// The objective it belongs to.
    pub objective: String,
    /// The key result as written.
    pub name: String,
    /// Share of replications that achieve it.
    pub probability: f64,
    /// Lower bound of its 95% Wilson score interval.
    pub ci95_low: f64,
    /// Upper bound of its 95% Wilson score interval.
    pub ci95_high: f64,
    /// Its value across replications.
    pub value: Stat,
}

/// Outputs and outcomes across replications (counted from day 0, over the whole horizon).
#[derive(Clone, Debug)]
pub struct OutcomeSummary {
    /// Value realised by the horizon.
    pub value_realised: Stat,
    /// Value lost to delay by the horizon.
    pub cost_of_delay: Stat,
    /// Items delivered by the horizon.
    pub items_delivered: Stat,
    /// Items delivered, by kind (feature, defect, debt, risk).
    pub delivered_by_kind: [Stat; 4],
    /// Service days spent on delivered items.
    pub effort_delivered: Stat,
    /// Share of effort by kind (flow distribution).
    pub effort_share_by_kind: [Stat; 4],
    /// Value realised per person-day of capacity.
    pub value_per_person_day: Stat,
    /// Share of effort spent on slices of failed bets.
    pub waste: Stat,
    /// Day of the first delivery with positive value.
    pub time_to_first_value: Stat,
    /// (value − cost) / cost, when a cost per person-day is given.
    pub roi: Option<Stat>,
    /// Epics stopped after a measurement.
    pub bets_stopped: Stat,
    /// Technical-debt drag at the horizon (extra service time, 0.2 = 20% slower).
    pub debt_drag: Stat,
    /// Deadlines that fell due by the horizon, per replication.
    pub deadlines_due: Stat,
    /// Deadlines met, per replication.
    pub deadlines_met: Stat,
    /// Value realised by each checkpoint day: (day, p10, p50, p90) across replications.
    pub value_over_time: Vec<(f64, f64, f64, f64)>,
    /// Committed items at each checkpoint: (day, p50).
    pub wip_over_time: Vec<(f64, f64)>,
    /// Items arrived and not yet committed at each checkpoint: (day, p50).
    pub backlog_over_time: Vec<(f64, f64)>,
    /// Value realised by the horizon across replications: p5, p25, p50, p75, p95.
    pub value_distribution: [f64; 5],
    /// Share of effort by kind between consecutive checkpoints, pooled over replications:
    /// (end day of the interval, shares feature/defect/debt/risk).
    pub effort_share_over_time: Vec<(f64, [f64; 4])>,
}

/// Everything `run` reports for one policy.
#[derive(Clone, Debug)]
pub struct RunSummary {
    /// The policy's name.
    pub policy: String,
    /// True if the policy prioritises by outcomes rather than output.
    pub outcome_focused: bool,
    /// True if the policy measures delivered slices and acts on the signals (closes the loop).
    pub measures: bool,
    /// True if the policy builds a thin first experiment of each epic.
    pub thin_slices: bool,
    /// [`Policy::rounds_to_a_scale`]: it ranks by parts rounded to a relative scale.
    pub rounds_to_a_scale: bool,
    /// [`Policy::handicaps`], in words.
    pub handicaps: Vec<String>,
    /// [`Policy::ranks_by_cost_of_delay`].
    pub ranks_by_cost_of_delay: bool,
    /// [`Policy::rules_apart_from_the_loop`]: equal for a measuring policy and its twin.
    pub rules_apart_from_the_loop: Option<String>,
    /// True if the policy honours the stages' WIP limits (not a start-everything policy).
    pub honours_wip_limits: bool,
    /// Replications run.
    pub replications: u64,
    /// Lead time in days, arrival to delivery (the customer's view); percentiles of
    /// individual items.
    pub lead_time: Stat,
    /// Cycle time (flow time) in days, commitment to delivery (the team's view); percentiles
    /// of individual items.
    pub cycle_time: Stat,
    /// Days from arrival to commitment of items committed after warm-up (percentiles of
    /// replications' means).
    pub backlog_time: Stat,
    /// Items finished per day after warm-up (flow velocity).
    pub throughput: Stat,
    /// Items that entered the value stream per day after warm-up.
    pub arrival_rate: Stat,
    /// Time-average committed items (flow load, WIP).
    pub wip: Stat,
    /// Time-average items arrived and not yet committed.
    pub backlog: Stat,
    /// Trend of the items in the value stream (backlog and WIP) after warm-up, items per
    /// month: about 0 in a steady state.
    pub growth_per_month: Stat,
    /// The same trend for committed items only.
    pub wip_growth_per_month: Stat,
    /// Service time / cycle time (flow efficiency).
    pub flow_efficiency: Stat,
    /// Per stage.
    pub stages: Vec<StageSummary>,
    /// Per work type.
    pub work: Vec<WorkSummary>,
    /// Outputs and outcomes.
    pub outcomes: OutcomeSummary,
    /// Key results and their probabilities.
    pub key_results: Vec<KeyResultSummary>,
    /// Events handled over all replications.
    pub events: u64,
    /// Replications in which arrived != departed + dropped + still in the system (always 0
    /// unless the engine is broken).
    pub conservation_failures: u64,
    /// The first replication that ran out of its budget (`model::Limits`), and which budget:
    /// when set, the summary is incomplete and must not be reported.
    pub exceeded: Option<(u64, Exceeded)>,
}

#[derive(Default)]
struct StageAcc {
    time: [PooledAccumulator; Part::COUNT],
    service: MetricAccumulator,
    utilization: MetricAccumulator,
    blocked: MetricAccumulator,
    starved: MetricAccumulator,
    queue_length: MetricAccumulator,
}

#[derive(Default)]
struct WorkAcc {
    lead_time: PooledAccumulator,
    completed: MetricAccumulator,
}

#[derive(Default)]
struct OutcomeAcc {
    value_realised: MetricAccumulator,
    cost_of_delay: MetricAccumulator,
    items_delivered: MetricAccumulator,
    delivered_by_kind: [MetricAccumulator; 4],
    effort_delivered: MetricAccumulator,
    effort_share_by_kind: [MetricAccumulator; 4],
    value_per_person_day: MetricAccumulator,
    waste: MetricAccumulator,
    time_to_first_value: MetricAccumulator,
    roi: MetricAccumulator,
    bets_stopped: MetricAccumulator,
    debt_drag: MetricAccumulator,
    deadlines_due: MetricAccumulator,
    deadlines_met: MetricAccumulator,
    value_at: Vec<Sketch>,
    wip_at: Vec<Sketch>,
    backlog_at: Vec<Sketch>,
    effort_in_interval: Vec<[f64; 4]>,
}

/// Folds replication results, in index order, into summaries.
struct Accumulator<'a> {
    vs: &'a ValueStream,
    key_results: &'a [KeyResult],
    n: u64,
    events: u64,
    conservation_failures: u64,
    exceeded: Option<(u64, Exceeded)>,
    lead_time: PooledAccumulator,
    cycle_time: PooledAccumulator,
    backlog_time: MetricAccumulator,
    throughput: MetricAccumulator,
    arrival_rate: MetricAccumulator,
    wip: MetricAccumulator,
    backlog: MetricAccumulator,
    growth: MetricAccumulator,
    wip_growth: MetricAccumulator,
    flow_efficiency: MetricAccumulator,
    stages: Vec<StageAcc>,
    work: Vec<WorkAcc>,
    outcomes: OutcomeAcc,
    kr_hits: Vec<u64>,
    kr_values: Vec<MetricAccumulator>,
}

impl<'a> Accumulator<'a> {
    fn new(vs: &'a ValueStream, key_results: &'a [KeyResult]) -> Self {
        Accumulator {
            vs,
            key_results,
            n: 0,
            events: 0,
            conservation_failures: 0,
            exceeded: None,
            lead_time: Default::default(),
            cycle_time: Default::default(),
            backlog_time: Default::default(),
            throughput: Default::default(),
            arrival_rate: Default::default(),
            wip: Default::default(),
            backlog: Default::default(),
            growth: Default::default(),
            wip_growth: Default::default(),
            flow_efficiency: Default::default(),
            stages: vs.stages.iter().map(|_| StageAcc::default()).collect(),
            work: vs.work_types.iter().map(|_| WorkAcc::default()).collect(),
            outcomes: OutcomeAcc {
                value_at: vec![Sketch::new(); vs.checkpoints.len()],
                wip_at: vec![Sketch::new(); vs.checkpoints.len()],
                backlog_at: vec![Sketch::new(); vs.checkpoints.len()],
                effort_in_interval: vec![[0.0; 4]; vs.checkpoints.len()],
                ..Default::default()
            },
            kr_hits: vec![0; key_results.len()],
            kr_values: vec![MetricAccumulator::default(); key_results.len()],
        }
    }

    fn add(&mut self, r: &ReplicationResult) {
        self.n += 1;
        self.events += r.events;
        if r.arrived != r.departed + r.dropped + r.in_system {
            self.conservation_failures += 1;
        }
        if let (None, Some(e)) = (self.exceeded, r.exceeded) {
            self.exceeded = Some((r.index, e));
        }
        self.lead_time.add(r.lead_time.mean(), &r.lead_time_items);
        self.cycle_time
            .add(r.cycle_time.mean(), &r.cycle_time_items);
        self.backlog_time.add(r.backlog_time.mean());
        self.throughput.add(r.throughput);
        self.arrival_rate.add(r.arrival_rate);
        self.wip.add(r.wip);
        self.backlog.add(r.backlog);
        self.growth.add(r.growth * DAYS_PER_MONTH);
        self.wip_growth.add(r.wip_growth * DAYS_PER_MONTH);
        self.flow_efficiency.add(r.flow_efficiency);
        for (acc, s) in self.stages.iter_mut().zip(&r.stages) {
            for (p, (a, items)) in acc.time.iter_mut().zip(&s.time_items).enumerate() {
                a.add(s.time_mean(p), items);
            }
            acc.service.add(s.service.mean());
            acc.utilization.add(s.utilization);
            acc.blocked.add(s.blocked);
            acc.starved.add(s.starved());
            acc.queue_length.add(s.queue_length);
        }
        for (acc, w) in self.work.iter_mut().zip(&r.work) {
            acc.lead_time.add(w.lead_time.mean(), &w.lead_time_items);
            acc.completed.add(w.completed as f64);
        }
        let o = &r.outcomes;
        let a = &mut self.outcomes;
        let value = *o.value_at.last().unwrap_or(&0.0);
        a.value_realised.add(value);
        a.cost_of_delay.add(o.cost_of_delay);
        a.items_delivered
            .add(o.delivered_by_kind.iter().sum::<u64>() as f64);
        let effort: f64 = o.effort_by_kind.iter().sum();
        for k in 0..4 {
            a.delivered_by_kind[k].add(o.delivered_by_kind[k] as f64);
            a.effort_share_by_kind[k].add(if effort > 0.0 {
                o.effort_by_kind[k] / effort
            } else {
                f64::NAN
            });
        }
        a.effort_delivered.add(o.effort_delivered);
        let person_days = f64::from(self.vs.people()) * self.vs.horizon;
        a.value_per_person_day.add(value / person_days);
        a.waste.add(if effort > 0.0 {
            o.wasted_effort / effort
        } else {
            f64::NAN
        });
        a.time_to_first_value.add(o.first_value.unwrap_or(f64::NAN));
        if let Some(cost) = self.vs.cost_per_person_day {
            let total = cost * person_days;
            a.roi.add((value - total) / total);
        }
        a.bets_stopped.add(o.bets_stopped as f64);
        a.debt_drag.add(o.debt_drag);
        a.deadlines_due.add(o.deadlines_due as f64);
        a.deadlines_met.add(o.deadlines_met as f64);
        for (k, v) in o.value_at.iter().enumerate() {
            a.value_at[k].add(*v);
            a.wip_at[k].add(o.wip_at[k] as f64);
            a.backlog_at[k].add(o.backlog_at[k] as f64);
            for kind in 0..4 {
                let before = if k == 0 {
                    0.0
                } else {
                    o.effort_at[k - 1][kind]
                };
                a.effort_in_interval[k][kind] += o.effort_at[k][kind] - before;
            }
        }
        for (i, kr) in self.key_results.iter().enumerate() {
            if kr.achieved(r) {
                self.kr_hits[i] += 1;
            }
            self.kr_values[i].add(kr.value(r).unwrap_or(f64::NAN));
        }
    }

    fn summary(&self, policy: &dyn Policy) -> RunSummary {
        let vs = self.vs;
        let a = &self.outcomes;
        let q = |s: &Sketch, p: f64| s.quantile(p).unwrap_or(f64::NAN);
        RunSummary {
            policy: policy.name().to_string(),
            outcome_focused: policy.outcome_focused(),
            measures: policy.measures(),
            thin_slices: policy.thin_slices(),
            rounds_to_a_scale: policy.rounds_to_a_scale(),
            handicaps: policy.handicaps(),
            ranks_by_cost_of_delay: policy.ranks_by_cost_of_delay(),
            rules_apart_from_the_loop: policy.rules_apart_from_the_loop(),
            honours_wip_limits: policy.discipline() == crate::policy::Discipline::Limits,
            replications: self.n,
            lead_time: self.lead_time.stat(),
            cycle_time: self.cycle_time.stat(),
            backlog_time: self.backlog_time.stat(),
            throughput: self.throughput.stat(),
            arrival_rate: self.arrival_rate.stat(),
            wip: self.wip.stat(),
            backlog: self.backlog.stat(),
            growth_per_month: self.growth.stat(),
            wip_growth_per_month: self.wip_growth.stat(),
            flow_efficiency: self.flow_efficiency.stat(),
            stages: vs
                .stages
                .iter()
                .zip(&self.stages)
                .map(|(st, a)| StageSummary {
                    name: st.name.clone(),
                    time: std::array::from_fn(|p| a.time[p].stat()),
                    service: a.service.stat(),
                    utilization: a.utilization.stat(),
                    blocked: a.blocked.stat(),
                    starved: a.starved.stat(),
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
            outcomes: OutcomeSummary {
                value_realised: a.value_realised.stat(),
                cost_of_delay: a.cost_of_delay.stat(),
                items_delivered: a.items_delivered.stat(),
                delivered_by_kind: std::array::from_fn(|k| a.delivered_by_kind[k].stat()),
                effort_delivered: a.effort_delivered.stat(),
                effort_share_by_kind: std::array::from_fn(|k| a.effort_share_by_kind[k].stat()),
                value_per_person_day: a.value_per_person_day.stat(),
                waste: a.waste.stat(),
                time_to_first_value: a.time_to_first_value.stat(),
                roi: vs.cost_per_person_day.map(|_| a.roi.stat()),
                bets_stopped: a.bets_stopped.stat(),
                debt_drag: a.debt_drag.stat(),
                deadlines_due: a.deadlines_due.stat(),
                deadlines_met: a.deadlines_met.stat(),
                value_over_time: vs
                    .checkpoints
                    .iter()
                    .zip(&a.value_at)
                    .map(|(&t, s)| (t, q(s, 0.1), q(s, 0.5), q(s, 0.9)))
                    .collect(),
                wip_over_time: vs
                    .checkpoints
                    .iter()
                    .zip(&a.wip_at)
                    .map(|(&t, s)| (t, q(s, 0.5)))
                    .collect(),
                backlog_over_time: vs
                    .checkpoints
                    .iter()
                    .zip(&a.backlog_at)
                    .map(|(&t, s)| (t, q(s, 0.5)))
                    .collect(),
                value_distribution: {
                    let last = a.value_at.last().cloned().unwrap_or_default();
                    [0.05, 0.25, 0.5, 0.75, 0.95].map(|p| q(&last, p))
                },
                effort_share_over_time: vs
                    .checkpoints
                    .iter()
                    .zip(&a.effort_in_interval)
                    .map(|(&t, e)| {
                        let total: f64 = e.iter().sum();
                        (t, e.map(|x| if total > 0.0 { x / total } else { 0.0 }))
                    })
                    .collect(),
            },
            key_results: self
                .key_results
                .iter()
                .enumerate()
                .map(|(i, kr)| {
                    let share = Proportion::wilson(self.kr_hits[i], self.n);
                    KeyResultSummary {
                        objective: kr.objective.clone(),
                        name: kr.text.clone(),
                        probability: share.p,
                        ci95_low: share.low,
                        ci95_high: share.high,
                        value: self.kr_values[i].stat(),
                    }
                })
                .collect(),
            events: self.events,
            conservation_failures: self.conservation_failures,
            exceeded: self.exceeded,
        }
    }
}

/// Runs `replications` replications of `vs` under `policy` and summarises them, judging
/// `key_results` on each.
///
/// `on_chunk` is told how many replications are done after each chunk (for progress display).
pub fn run(
    vs: &ValueStream,
    policy: &dyn Policy,
    seed: u64,
    replications: u64,
    on_chunk: impl FnMut(u64),
) -> RunSummary {
    run_with_key_results(vs, policy, &[], seed, replications, on_chunk)
}

/// [`run`], judging `key_results` on each replication.
pub fn run_with_key_results(
    vs: &ValueStream,
    policy: &dyn Policy,
    key_results: &[KeyResult],
    seed: u64,
    replications: u64,
    mut on_chunk: impl FnMut(u64),
) -> RunSummary {
    let mut acc = Accumulator::new(vs, key_results);
    in_chunks(
        replications,
        |i| flow::simulate(vs, policy, seed, i),
        |r| acc.add(&r),
        &mut on_chunk,
    );
    acc.summary(policy)
}

/// Paired differences of one policy against the baseline, replication by replication.
#[derive(Clone, Debug)]
pub struct PairedDifference {
    /// Value realised minus the baseline's.
    pub value_realised: Stat,
    /// Items delivered minus the baseline's.
    pub items_delivered: Stat,
    /// Share of replications in which this policy realised more value than the baseline.
    pub p_beats_baseline: f64,
    /// Lower bound of the 95% Wilson interval of `p_beats_baseline` (0 for the baseline).
    pub p_beats_baseline_ci95_low: f64,
    /// Upper bound of the 95% Wilson interval of `p_beats_baseline` (0 for the baseline, which
    /// cannot beat itself).
    pub p_beats_baseline_ci95_high: f64,
    /// Value realised by each checkpoint day ([`ValueStream::checkpoints`]) minus the
    /// baseline's, per replication (the proof chart draws it).
    pub value_at: Vec<Stat>,
}

/// The paired difference of two policies, `a` minus `b`, replication by replication.
#[derive(Clone, Debug)]
pub struct PairwiseDifference {
    /// Index of the first policy.
    pub a: usize,
    /// Index of the second.
    pub b: usize,
    /// Value realised, a minus b.
    pub value_realised: Stat,
    /// Items delivered, a minus b.
    pub items_delivered: Stat,
}

/// Every policy run on the same replications (common random numbers).
#[derive(Clone, Debug)]
pub struct Comparison {
    /// Each policy's summary, in the order asked.
    pub policies: Vec<RunSummary>,
    /// Index of the baseline policy.
    pub baseline: usize,
    /// Each policy's paired differences against the baseline.
    pub differences: Vec<PairedDifference>,
    /// The paired difference of every pair of policies (a < b), so that a claim such as "the
    /// most items" rests on a paired interval between the two best, not only on means.
    pub pairwise: Vec<PairwiseDifference>,
}

/// Runs every policy on replications `0..replications` of `vs`; replication `i` sees the same
/// items, sizes, values and outcome truths under every policy.
pub fn compare(
    vs: &ValueStream,
    policies: &[Box<dyn Policy>],
    baseline: usize,
    key_results: &[KeyResult],
    seed: u64,
    replications: u64,
    mut on_chunk: impl FnMut(u64),
) -> Comparison {
    let mut accs: Vec<Accumulator> = policies
        .iter()
        .map(|_| Accumulator::new(vs, key_results))
        .collect();
    let mut diffs: Vec<(MetricAccumulator, MetricAccumulator, u64)> =
        policies.iter().map(|_| Default::default()).collect();
    let mut diffs_at: Vec<Vec<MetricAccumulator>> = policies
        .iter()
        .map(|_| vs.checkpoints.iter().map(|_| Default::default()).collect())
        .collect();
    let n = policies.len();
    let pairs: Vec<(usize, usize)> = (0..n)
        .flat_map(|a| (a + 1..n).map(move |b| (a, b)))
        .collect();
    let mut pair_accs: Vec<(MetricAccumulator, MetricAccumulator)> =
        pairs.iter().map(|_| Default::default()).collect();
    in_chunks(
        replications,
        |i| {
            policies
                .iter()
                .map(|p| flow::simulate(vs, p.as_ref(), seed, i))
                .collect::<Vec<_>>()
        },
        |results| {
            let value = |r: &ReplicationResult| *r.outcomes.value_at.last().unwrap_or(&0.0);
            let items =
                |r: &ReplicationResult| r.outcomes.delivered_by_kind.iter().sum::<u64>() as f64;
            let base = &results[baseline];
            for (p, r) in results.iter().enumerate() {
                accs[p].add(r);
                let d = &mut diffs[p];
                d.0.add(value(r) - value(base));
                d.1.add(items(r) - items(base));
                if value(r) > value(base) {
                    d.2 += 1;
                }
                for (k, acc) in diffs_at[p].iter_mut().enumerate() {
                    acc.add(r.outcomes.value_at[k] - base.outcomes.value_at[k]);
                }
            }
            for (&(a, b), acc) in pairs.iter().zip(pair_accs.iter_mut()) {
                acc.0.add(value(&results[a]) - value(&results[b]));
                acc.1.add(items(&results[a]) - items(&results[b]));
            }
        },
        &mut on_chunk,
    );
    Comparison {
        policies: accs
            .iter()
            .zip(policies)
            .map(|(a, p)| a.summary(p.as_ref()))
            .collect(),
        baseline,
        differences: diffs
            .iter()
            .enumerate()
            .map(|(p, (v, n, beats))| {
                let share = if p == baseline {
                    // Not an estimate: the baseline never beats itself.
                    Proportion {
                        p: 0.0,
                        low: 0.0,
                        high: 0.0,
                    }
                } else {
                    Proportion::wilson(*beats, replications)
                };
                PairedDifference {
                    value_realised: v.stat(),
                    items_delivered: n.stat(),
                    p_beats_baseline: share.p,
                    p_beats_baseline_ci95_low: share.low,
                    p_beats_baseline_ci95_high: share.high,
                    value_at: diffs_at[p].iter().map(MetricAccumulator::stat).collect(),
                }
            })
            .collect(),
        pairwise: pairs
            .iter()
            .zip(&pair_accs)
            .map(|(&(a, b), (v, i))| PairwiseDifference {
                a,
                b,
                value_realised: v.stat(),
                items_delivered: i.stat(),
            })
            .collect(),
    }
}

/// Computes `simulate(i)` for each replication index in `indices`, in parallel chunks, and
/// returns the results in the order of `indices` (the same for any number of threads). For
/// callers that keep a small result per replication (a forecast keeps one number).
pub fn map_replications<T: Send>(indices: &[u64], simulate: impl Fn(u64) -> T + Sync) -> Vec<T> {
    let mut out = Vec::with_capacity(indices.len());
    for chunk in indices.chunks(CHUNK as usize) {
        out.extend(chunk.par_iter().map(|&i| simulate(i)).collect::<Vec<T>>());
    }
    out
}

/// What a replication (or the same replication under several policies) returns: it may have
/// run out of its budget (`model::Limits`).
trait Budgeted {
    fn over_budget(&self) -> bool;
}

impl Budgeted for ReplicationResult {
    fn over_budget(&self) -> bool {
        self.exceeded.is_some()
    }
}

impl Budgeted for Vec<ReplicationResult> {
    fn over_budget(&self) -> bool {
        self.iter().any(ReplicationResult::over_budget)
    }
}

/// Computes `simulate(i)` for `i in 0..replications` in parallel chunks and hands each result
/// to `visit` in index order, so folding is deterministic for any number of threads.
///
/// Once a replication runs out of its budget, the replications not yet started are skipped
/// and the rest are not run: the summary is then an error (nothing is written), and running
/// on would only delay it, every replication to its own budget (30 of 10 s each).
fn in_chunks<T: Send + Budgeted>(
    replications: u64,
    simulate: impl Fn(u64) -> T + Sync,
    mut visit: impl FnMut(T),
    on_chunk: &mut dyn FnMut(u64),
) {
    let cut = AtomicBool::new(false);
    let mut start = 0;
    while start < replications {
        let end = (start + CHUNK).min(replications);
        let results: Vec<Option<T>> = (start..end)
            .into_par_iter()
            .map(|i| {
                if cut.load(Ordering::Relaxed) {
                    return None;
                }
                let r = simulate(i);
                if r.over_budget() {
                    cut.store(true, Ordering::Relaxed);
                }
                Some(r)
            })
            .collect();
        for r in results.into_iter().flatten() {
            visit(r);
        }
        start = end;
        on_chunk(start);
        if cut.load(Ordering::Relaxed) {
            return;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Proportion;

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 5e-5
    }

    #[test]
    fn wilson_bounds_at_the_edges_and_the_middle() {
        let none = Proportion::wilson(0, 10);
        assert_eq!((none.p, none.low), (0.0, 0.0));
        assert!(close(none.high, 0.2775), "{none:?}");

        let all = Proportion::wilson(10, 10);
        assert_eq!((all.p, all.high), (1.0, 1.0));
        assert!(close(all.low, 0.7225), "{all:?}");

        let half = Proportion::wilson(50, 100);
        assert_eq!(half.p, 0.5);
        assert!(close(half.low, 0.4038), "{half:?}");
        assert!(
            close(half.low + half.high, 1.0),
            "symmetric at 1/2: {half:?}"
        );

        // Asymmetric elsewhere: the interval leans towards 1/2.
        let few = Proportion::wilson(2, 20);
        assert!(few.low < few.p && few.p < few.high);
        assert!(few.high - few.p > few.p - few.low, "{few:?}");

        assert!(Proportion::wilson(0, 0).p.is_nan());
    }
}
