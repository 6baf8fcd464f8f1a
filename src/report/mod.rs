//! Outputs: the results of a run rendered for people (table) and programs (JSON, CSV).
//!
//! [`RunReport`] is the one document every format renders; its serde form *is* the public JSON
//! schema documented in `docs/output.md`. Each format is one small [`Exporter`] in a file of its
//! own.

pub mod atomic;
pub mod board;
pub mod chart;
mod csv;
/// `n` of something in words, singular or plural: `counted(1, "day", "days")` is "1 day".
pub(crate) fn counted(n: u64, one: &str, many: &str) -> String {
    if n == 1 {
        format!("1 {one}")
    } else {
        format!("{n} {many}")
    }
}

/// A CSV field, quoted when it must be (for the CSV the CLI writes itself).
pub(crate) use csv::field as csv_field;
pub mod describe;
pub mod forecast;
mod json;
pub mod pack;
pub mod paired;
pub mod sweep;
pub mod table;

pub use self::csv::Csv;
pub use json::Json;
pub use table::Table;

use crate::experiment::assumptions::{
    self, DeadlineStep, LimitedLife, LoopSignals, ReleaseTrain, SizeEstimates, ValueEstimates,
};
use crate::experiment::precision::Reached;
use crate::experiment::{diagnosis, Comparison, RunSummary, StageSummary, WorkSummary};
use crate::metrics::{Part, Stat};
use crate::scenario::Scenario;
use serde::Serialize;

/// Writes `bytes` to `path` through a temporary file in the same folder, put in place by a
/// no-replace rename (or, with `replace`, a rename over an existing file), so no reader ever
/// sees a partial file and nothing that appeared meanwhile is clobbered. See [`atomic`].
pub fn write_atomically(
    path: &std::path::Path,
    bytes: &[u8],
    replace: bool,
) -> Result<(), atomic::WriteError> {
    atomic::write_file(path, bytes, replace)
}

/// Version of the JSON schema; bumped on any incompatible change.
pub const SCHEMA_VERSION: u32 = 3;

/// Renders reports in one output format.
pub trait Exporter {
    /// The full text of a `run` report.
    fn render(&self, report: &RunReport) -> String;
    /// The full text of a `compare` report.
    fn render_compare(&self, report: &CompareReport) -> String;
}

/// The flow metrics of the whole value stream, and its outputs and outcomes.
#[derive(Clone, Debug, Serialize)]
pub struct Metrics {
    /// Lead time: days from arrival to leaving the last stage, the customer's view
    /// (percentiles of items).
    pub lead_time: Stat,
    /// Cycle time (flow time): days from the commitment point to leaving the last stage, the
    /// team's view (percentiles of items).
    pub cycle_time: Stat,
    /// Days from arrival to the commitment point (percentiles of replications' means).
    pub backlog_time: Stat,
    /// Flow velocity: items finished per day after warm-up (percentiles of replications).
    pub throughput: Stat,
    /// Items entering the value stream per day after warm-up (percentiles of replications).
    pub arrival_rate: Stat,
    /// Flow load: time-average committed items (percentiles of replications).
    pub wip: Stat,
    /// Time-average items arrived and not yet committed (percentiles of replications).
    pub backlog: Stat,
    /// Trend of the items in the value stream (backlog and WIP) after warm-up, items per month
    /// (30.44 days): about 0 in a steady state (percentiles of replications).
    pub growth_per_month: Stat,
    /// The same trend, committed items only.
    pub wip_growth_per_month: Stat,
    /// Flow efficiency: service time / cycle time (percentiles of replications).
    pub flow_efficiency: Stat,
    /// Value realised by the horizon.
    pub value_realised: Stat,
    /// Value lost to delay by the horizon.
    pub cost_of_delay: Stat,
    /// Items delivered by the horizon (from day 0).
    pub items_delivered: Stat,
    /// Items delivered by kind.
    pub items_delivered_by_kind: ByKind,
    /// Flow distribution: share of effort by kind.
    pub flow_distribution: ByKind,
    /// Service days spent on delivered items.
    pub effort_delivered: Stat,
    /// Value realised per person-day of capacity.
    pub value_per_person_day: Stat,
    /// Share of effort spent on slices of failed bets.
    pub waste: Stat,
    /// Day of the first delivery with positive value.
    pub time_to_first_value: Stat,
    /// (value − cost) / cost; `null` without `cost_per_person_day`.
    pub roi: Option<Stat>,
    /// Epics stopped after a measurement.
    pub bets_stopped: Stat,
    /// Technical-debt drag at the horizon (extra service time: 0.2 = work 20% slower).
    pub debt_drag: Stat,
    /// Deadlines (of items and epics) that fell due by the horizon.
    pub deadlines_due: Stat,
    /// Of those, deadlines met.
    pub deadlines_met: Stat,
}

/// One statistic per flow item kind.
#[derive(Clone, Debug, Serialize)]
pub struct ByKind {
    /// Features.
    pub feature: Stat,
    /// Defects.
    pub defect: Stat,
    /// Debt.
    pub debt: Stat,
    /// Risks.
    pub risk: Stat,
}

impl ByKind {
    fn new(s: &[Stat; 4]) -> ByKind {
        ByKind {
            feature: s[0],
            defect: s[1],
            debt: s[2],
            risk: s[3],
        }
    }
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
    /// True for the stage whose entry is the commitment point.
    pub commitment: bool,
    /// Where an item's days in this stage go (percentiles of items committed after warm-up).
    pub time: StageTime,
    /// Service days per visit.
    pub service: Stat,
    /// Busy share of its workers.
    pub utilization: Stat,
    /// Share of its worker time idle because the stage is full of done work (blocked).
    pub blocked: Stat,
    /// Share of its worker time idle with nothing it may take (starved).
    pub starved: Stat,
    /// Time-average items waiting for it.
    pub queue_length: Stat,
}

/// Days an item spends in one stage, by part; each is the item's total over its visits, zero
/// included, so the means add up to the stage's share of the mean cycle time.
#[derive(Clone, Debug, Serialize)]
pub struct StageTime {
    /// Admitted, waiting for a worker.
    pub queue: Stat,
    /// Being worked on.
    pub touch: Stat,
    /// Done, waiting for room in the next stage.
    pub blocked: Stat,
    /// Done, waiting for the stage's release train.
    pub release: Stat,
    /// Any of the above while being reworked.
    pub rework: Stat,
}

impl StageTime {
    fn new(t: &[Stat; Part::COUNT]) -> StageTime {
        StageTime {
            queue: t[Part::Queue as usize],
            touch: t[Part::Touch as usize],
            blocked: t[Part::Blocked as usize],
            release: t[Part::Release as usize],
            rework: t[Part::Rework as usize],
        }
    }

    /// The part's statistic.
    pub fn part(&self, p: Part) -> &Stat {
        match p {
            Part::Queue => &self.queue,
            Part::Touch => &self.touch,
            Part::Blocked => &self.blocked,
            Part::Release => &self.release,
            Part::Rework => &self.rework,
        }
    }
}

/// Whether the run reached a steady state ([`diagnosis::stability`]).
#[derive(Clone, Debug, Serialize)]
pub struct StabilityReport {
    /// `steady`, `unstable` (the work grew significantly), `undetermined` (it grew on
    /// average, but the replications cannot tell a trend from noise) or `draining` (it shrank
    /// significantly: a finite backlog worked off).
    pub verdict: &'static str,
    /// True only for the `steady` verdict. When the work grows, flow-time figures are censored
    /// by the horizon.
    pub steady_state: bool,
    /// Items arriving per day after warm-up (mean).
    pub arrival_rate: f64,
    /// Items finished per day after warm-up (mean).
    pub throughput: f64,
    /// Trend of the items in the value stream, items a month (mean).
    pub growth_per_month: f64,
    /// Half-width of its 95% interval.
    pub growth_ci95: f64,
    /// The verdict in one sentence.
    pub statement: String,
}

/// The constraint, named with its evidence ([`diagnosis::bottleneck`]).
#[derive(Clone, Debug, Serialize)]
pub struct BottleneckReport {
    /// The stage's name.
    pub stage: String,
    /// Share of its workers' time busy.
    pub busy: f64,
    /// The stage before it, if any.
    pub upstream: Option<String>,
    /// Share of the upstream stage's worker time blocked waiting for room.
    pub upstream_blocked: Option<f64>,
    /// The stage after it, if any.
    pub downstream: Option<String>,
    /// Share of the downstream stage's worker time starved.
    pub downstream_starved: Option<f64>,
    /// Another stage about as busy, if any (a shifting constraint).
    pub shifting_with: Option<String>,
    /// False when no stage is busy at least half the time (demand is the constraint).
    pub constrained: bool,
    /// The finding in one sentence.
    pub statement: String,
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

/// One key result's probability.
#[derive(Clone, Debug, Serialize)]
pub struct KeyResultReport {
    /// The objective it belongs to.
    pub objective: String,
    /// The key result as written.
    pub name: String,
    /// Share of replications achieving it.
    pub probability: f64,
    /// Lower bound of the 95% Wilson score interval of `probability`.
    pub ci95_low: f64,
    /// Upper bound of the 95% Wilson score interval of `probability`.
    pub ci95_high: f64,
    /// The measured value across replications.
    pub value: Stat,
}

/// Value realised by a day, across replications.
#[derive(Clone, Debug, Serialize)]
pub struct ValuePoint {
    /// The day.
    pub day: f64,
    /// 10th percentile over replications.
    pub p10: f64,
    /// Median over replications.
    pub p50: f64,
    /// 90th percentile over replications.
    pub p90: f64,
}

/// What one policy achieved.
#[derive(Clone, Debug, Serialize)]
pub struct PolicyResults {
    /// Whole-stream metrics.
    pub metrics: Metrics,
    /// Per stage, in flow order.
    pub stages: Vec<StageReport>,
    /// Per work type.
    pub work: Vec<WorkReport>,
    /// Key results.
    pub key_results: Vec<KeyResultReport>,
    /// Value realised over time.
    pub value_over_time: Vec<ValuePoint>,
    /// Whether the run reached a steady state.
    pub stability: StabilityReport,
    /// The constraint; `null` when no stage did any work.
    pub bottleneck: Option<BottleneckReport>,
    /// Events the engine handled over all replications.
    pub events: u64,
}

impl PolicyResults {
    /// The results of `summary`, a run of `scenario`.
    pub fn new(scenario: &Scenario, summary: &RunSummary) -> PolicyResults {
        let vs = &scenario.stream;
        let o = &summary.outcomes;
        let stability = diagnosis::stability(summary, vs);
        PolicyResults {
            metrics: Metrics {
                lead_time: summary.lead_time,
                cycle_time: summary.cycle_time,
                backlog_time: summary.backlog_time,
                throughput: summary.throughput,
                arrival_rate: summary.arrival_rate,
                wip: summary.wip,
                backlog: summary.backlog,
                growth_per_month: summary.growth_per_month,
                wip_growth_per_month: summary.wip_growth_per_month,
                flow_efficiency: summary.flow_efficiency,
                value_realised: o.value_realised,
                cost_of_delay: o.cost_of_delay,
                items_delivered: o.items_delivered,
                items_delivered_by_kind: ByKind::new(&o.delivered_by_kind),
                flow_distribution: ByKind::new(&o.effort_share_by_kind),
                effort_delivered: o.effort_delivered,
                value_per_person_day: o.value_per_person_day,
                waste: o.waste,
                time_to_first_value: o.time_to_first_value,
                roi: o.roi,
                bets_stopped: o.bets_stopped,
                debt_drag: o.debt_drag,
                deadlines_due: o.deadlines_due,
                deadlines_met: o.deadlines_met,
            },
            stages: summary
                .stages
                .iter()
                .zip(&vs.stages)
                .enumerate()
                .map(|(i, (s, st)): (usize, (&StageSummary, _))| StageReport {
                    name: s.name.clone(),
                    workers: st.workers,
                    wip_limit: st.wip_limit,
                    commitment: i == vs.commitment,
                    time: StageTime::new(&s.time),
                    service: s.service,
                    utilization: s.utilization,
                    blocked: s.blocked,
                    starved: s.starved,
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
            key_results: summary
                .key_results
                .iter()
                .map(|k| KeyResultReport {
                    objective: k.objective.clone(),
                    name: k.name.clone(),
                    probability: k.probability,
                    ci95_low: k.ci95_low,
                    ci95_high: k.ci95_high,
                    value: k.value,
                })
                .collect(),
            value_over_time: o
                .value_over_time
                .iter()
                .map(|&(day, p10, p50, p90)| ValuePoint { day, p10, p50, p90 })
                .collect(),
            stability: StabilityReport {
                verdict: stability.verdict.name(),
                steady_state: stability.steady_state,
                arrival_rate: stability.arrival_rate,
                throughput: stability.throughput,
                growth_per_month: stability.growth_per_month,
                growth_ci95: stability.growth_ci95,
                statement: stability.statement,
            },
            bottleneck: diagnosis::bottleneck(summary, vs).map(|b| BottleneckReport {
                stage: b.name,
                busy: b.busy,
                upstream: b.upstream_blocked.as_ref().map(|u| u.0.clone()),
                upstream_blocked: b.upstream_blocked.map(|u| u.1),
                downstream: b.downstream_starved.as_ref().map(|d| d.0.clone()),
                downstream_starved: b.downstream_starved.map(|d| d.1),
                shifting_with: b.shifting_with,
                constrained: b.constrained,
                statement: b.statement,
            }),
            events: summary.events,
        }
    }

    /// Every (section, name, metric, stat) row, in a fixed order, for flat formats.
    pub fn rows(&self) -> Vec<(&'static str, &str, &'static str, &Stat)> {
        let m = &self.metrics;
        let mut rows = vec![
            ("flow", "all", "lead_time", &m.lead_time),
            ("flow", "all", "cycle_time", &m.cycle_time),
            ("flow", "all", "backlog_time", &m.backlog_time),
            ("flow", "all", "throughput", &m.throughput),
            ("flow", "all", "arrival_rate", &m.arrival_rate),
            ("flow", "all", "wip", &m.wip),
            ("flow", "all", "backlog", &m.backlog),
            ("flow", "all", "growth_per_month", &m.growth_per_month),
            (
                "flow",
                "all",
                "wip_growth_per_month",
                &m.wip_growth_per_month,
            ),
            ("flow", "all", "flow_efficiency", &m.flow_efficiency),
            ("outcome", "all", "value_realised", &m.value_realised),
            ("outcome", "all", "cost_of_delay", &m.cost_of_delay),
            ("outcome", "all", "items_delivered", &m.items_delivered),
            ("outcome", "all", "effort_delivered", &m.effort_delivered),
            (
                "outcome",
                "all",
                "value_per_person_day",
                &m.value_per_person_day,
            ),
            ("outcome", "all", "waste", &m.waste),
            (
                "outcome",
                "all",
                "time_to_first_value",
                &m.time_to_first_value,
            ),
            ("outcome", "all", "bets_stopped", &m.bets_stopped),
            ("outcome", "all", "debt_drag", &m.debt_drag),
            ("outcome", "all", "deadlines_due", &m.deadlines_due),
            ("outcome", "all", "deadlines_met", &m.deadlines_met),
        ];
        if let Some(roi) = &m.roi {
            rows.push(("outcome", "all", "roi", roi));
        }
        for (kind, s, share) in [
            (
                "feature",
                &m.items_delivered_by_kind.feature,
                &m.flow_distribution.feature,
            ),
            (
                "defect",
                &m.items_delivered_by_kind.defect,
                &m.flow_distribution.defect,
            ),
            (
                "debt",
                &m.items_delivered_by_kind.debt,
                &m.flow_distribution.debt,
            ),
            (
                "risk",
                &m.items_delivered_by_kind.risk,
                &m.flow_distribution.risk,
            ),
        ] {
            rows.push(("kind", kind, "items_delivered", s));
            rows.push(("kind", kind, "flow_distribution", share));
        }
        for s in &self.stages {
            for (metric, p) in [
                ("queue_time", Part::Queue),
                ("touch_time", Part::Touch),
                ("blocked_time", Part::Blocked),
                ("release_time", Part::Release),
                ("rework_time", Part::Rework),
            ] {
                rows.push(("stage", &s.name, metric, s.time.part(p)));
            }
            rows.push(("stage", &s.name, "service", &s.service));
            rows.push(("stage", &s.name, "utilization", &s.utilization));
            rows.push(("stage", &s.name, "blocked", &s.blocked));
            rows.push(("stage", &s.name, "starved", &s.starved));
            rows.push(("stage", &s.name, "queue_length", &s.queue_length));
        }
        for w in &self.work {
            rows.push(("work", &w.name, "lead_time", &w.lead_time));
            rows.push(("work", &w.name, "completed", &w.completed));
        }
        for k in &self.key_results {
            rows.push(("key_result", &k.name, "value", &k.value));
        }
        rows
    }
}

/// Everything `run` reports, in the shape of the public JSON schema.
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
    /// Days of warm-up excluded from flow statistics.
    pub warmup: f64,
    /// What the policy achieved.
    #[serde(flatten)]
    pub results: PolicyResults,
    /// Warnings about the scenario.
    pub warnings: Vec<String>,
    /// With `--precision`: the target metric, the precision asked and reached, and the
    /// replications used (absent otherwise).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub precision: Option<Reached>,
}

impl RunReport {
    /// Assembles the report of `summary`, a run of `scenario`.
    pub fn new(scenario: &Scenario, summary: &RunSummary) -> RunReport {
        RunReport {
            schema_version: SCHEMA_VERSION,
            scenario: scenario.name.clone(),
            policy: summary.policy.clone(),
            replications: summary.replications,
            seed: scenario.seed,
            horizon: scenario.stream.horizon,
            warmup: scenario.stream.warmup,
            results: PolicyResults::new(scenario, summary),
            warnings: scenario.warnings.clone(),
            precision: None,
        }
    }
}

/// One policy's differences from the baseline, replication by replication.
#[derive(Clone, Debug, Serialize)]
pub struct DifferenceReport {
    /// Value realised minus the baseline's.
    pub value_realised: Stat,
    /// Items delivered minus the baseline's.
    pub items_delivered: Stat,
    /// Share of replications in which the policy realised more value than the baseline.
    pub p_beats_baseline: f64,
    /// Lower bound of the 95% Wilson score interval of `p_beats_baseline` (0 for the baseline).
    pub p_beats_baseline_ci95_low: f64,
    /// Upper bound of the 95% Wilson score interval of `p_beats_baseline` (0 for the baseline).
    pub p_beats_baseline_ci95_high: f64,
}

/// One policy in a comparison.
#[derive(Clone, Debug, Serialize)]
pub struct ComparedPolicy {
    /// The policy's name.
    pub name: String,
    /// `outcome` if it prioritises by outcomes (cost of delay, measuring), `output` otherwise.
    pub focus: &'static str,
    /// True if it measures and acts on the signals (the lesson of closing the loop is read
    /// on it); not in the JSON.
    #[serde(skip)]
    pub measures: bool,
    /// True if it builds a thin first experiment of each epic; not in the JSON.
    #[serde(skip)]
    pub thin_slices: bool,
    /// True if it ranks by parts rounded to a relative scale (WSJF's Fibonacci scale); not in
    /// the JSON.
    #[serde(skip)]
    pub rounds_to_a_scale: bool,
    /// How it departs from ranking every kind by cost of delay with WIP limits kept
    /// ([`crate::policy::Policy::handicaps`]); not in the JSON.
    #[serde(skip)]
    pub handicaps: Vec<String>,
    /// True if it ranks waiting work by cost of delay (CD3 or WSJF); not in the JSON.
    #[serde(skip)]
    pub ranks_by_cost_of_delay: bool,
    /// Equal for a measuring policy and its twin that does not close the loop
    /// ([`crate::policy::Policy::rules_apart_from_the_loop`]); not in the JSON.
    #[serde(skip)]
    pub rules_apart_from_the_loop: Option<String>,
    /// True if it keeps the stages' WIP limits (not a start-everything policy); not in the
    /// JSON.
    #[serde(skip)]
    pub honours_wip_limits: bool,
    /// 1 for the most value realised.
    pub rank: usize,
    /// What it achieved.
    #[serde(flatten)]
    pub results: PolicyResults,
    /// Paired differences against the baseline.
    pub vs_baseline: DifferenceReport,
}

/// Everything `compare` reports.
#[derive(Clone, Debug, Serialize)]
pub struct CompareReport {
    /// The JSON schema version.
    pub schema_version: u32,
    /// The scenario's name.
    pub scenario: String,
    /// Replications run per policy.
    pub replications: u64,
    /// The base seed.
    pub seed: u64,
    /// Days simulated per replication.
    pub horizon: f64,
    /// Days of warm-up excluded from flow statistics.
    pub warmup: f64,
    /// The policy the others are measured against.
    pub baseline: String,
    /// What ranks the policies: `value_realised`, or `items_delivered` when the scenario
    /// models no value (every policy realises 0).
    pub ranked_by: &'static str,
    /// The policies, in the order asked.
    pub policies: Vec<ComparedPolicy>,
    /// The paired difference of every pair of policies (`a` minus `b`, in the order asked).
    pub pairwise: Vec<PairReport>,
    /// Warnings about the scenario.
    pub warnings: Vec<String>,
    /// With `--precision`: as in [`RunReport`], for the least precise policy.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub precision: Option<Reached>,
    /// How well the scenario's value estimates tell items apart, for the line that says why
    /// a lesson did not hold (not in the JSON: the scenario file holds it).
    #[serde(skip)]
    pub value_estimates: Vec<ValueEstimates>,
    /// What closing the loop has to work with on each epic (as `value_estimates`).
    #[serde(skip)]
    pub loop_signals: Vec<LoopSignals>,
    /// How well the scenario's size estimates tell items apart (as `value_estimates`).
    #[serde(skip)]
    pub size_estimates: Vec<SizeEstimates>,
    /// The stages whose release train caps what leaves them per train (as `value_estimates`).
    #[serde(skip)]
    pub release_trains: Vec<ReleaseTrain>,
    /// The work types and epics whose value flows for a fixed time after delivery (as
    /// `value_estimates`).
    #[serde(skip)]
    pub limited_lives: Vec<LimitedLife>,
    /// The work types and epics that lose value at a fixed date (as `value_estimates`).
    #[serde(skip)]
    pub deadline_steps: Vec<DeadlineStep>,
}

/// The paired difference of two compared policies.
#[derive(Clone, Debug, Serialize)]
pub struct PairReport {
    /// The first policy.
    pub a: String,
    /// The second policy.
    pub b: String,
    /// Value realised, a minus b, per replication: mean, 95% interval, percentiles.
    pub value_realised: Stat,
    /// Items delivered, a minus b.
    pub items_delivered: Stat,
}

impl CompareReport {
    /// The paired difference `a − b` of (value realised, items delivered), by name.
    pub fn between(&self, a: &str, b: &str) -> Option<(Stat, Stat)> {
        let flip = |s: Stat| Stat {
            mean: s.mean.map(|m| -m),
            ci95: s.ci95,
            p50: s.p50.map(|m| -m),
            p85: None,
            p95: None,
        };
        self.pairwise.iter().find_map(|d| {
            if d.a == a && d.b == b {
                Some((d.value_realised, d.items_delivered))
            } else if d.a == b && d.b == a {
                Some((flip(d.value_realised), flip(d.items_delivered)))
            } else {
                None
            }
        })
    }

    /// True if policies `a` and `b` came out the same in every replication: paired differences
    /// of exactly 0 with no spread, in value realised and in items delivered.
    pub fn same_in_every_replication(&self, a: &str, b: &str) -> bool {
        let none = |s: Stat| s.mean == Some(0.0) && s.ci95 == Some(0.0);
        self.between(a, b).is_some_and(|(v, i)| none(v) && none(i))
    }

    /// The rank shown for policy `p`: its own, or, when it came out the same as others in
    /// every replication, the best rank among them followed by `=` (a shared rank, as in
    /// "1=": which of them is listed first is only the order asked).
    pub fn shown_rank(&self, p: &ComparedPolicy) -> String {
        let tied: Vec<usize> = self
            .policies
            .iter()
            .filter(|q| q.name != p.name && self.same_in_every_replication(&p.name, &q.name))
            .map(|q| q.rank)
            .collect();
        match tied.iter().min() {
            Some(&best) => format!("{}=", best.min(p.rank)),
            None => p.rank.to_string(),
        }
    }

    /// True if value is modelled: some policy realised a non-zero value.
    pub fn valued(&self) -> bool {
        self.ranked_by == "value_realised"
    }
}

impl CompareReport {
    /// Assembles the report of a comparison on `scenario`.
    pub fn new(scenario: &Scenario, cmp: &Comparison) -> CompareReport {
        let value = |s: &RunSummary| s.outcomes.value_realised.mean.unwrap_or(f64::NEG_INFINITY);
        let items = |s: &RunSummary| s.outcomes.items_delivered.mean.unwrap_or(f64::NEG_INFINITY);
        let valued = cmp
            .policies
            .iter()
            .any(|s| s.outcomes.value_realised.mean.is_some_and(|v| v != 0.0));
        let key = |s: &RunSummary| if valued { value(s) } else { items(s) };
        let mut order: Vec<usize> = (0..cmp.policies.len()).collect();
        order.sort_by(|&a, &b| key(&cmp.policies[b]).total_cmp(&key(&cmp.policies[a])));
        CompareReport {
            schema_version: SCHEMA_VERSION,
            scenario: scenario.name.clone(),
            replications: cmp.policies.first().map_or(0, |p| p.replications),
            seed: scenario.seed,
            horizon: scenario.stream.horizon,
            warmup: scenario.stream.warmup,
            baseline: cmp.policies[cmp.baseline].policy.clone(),
            ranked_by: if valued {
                "value_realised"
            } else {
                "items_delivered"
            },
            pairwise: cmp
                .pairwise
                .iter()
                .map(|d| PairReport {
                    a: cmp.policies[d.a].policy.clone(),
                    b: cmp.policies[d.b].policy.clone(),
                    value_realised: d.value_realised,
                    items_delivered: d.items_delivered,
                })
                .collect(),
            policies: cmp
                .policies
                .iter()
                .zip(&cmp.differences)
                .enumerate()
                .map(|(i, (s, d))| ComparedPolicy {
                    name: s.policy.clone(),
                    focus: if s.outcome_focused {
                        "outcome"
                    } else {
                        "output"
                    },
                    measures: s.measures,
                    thin_slices: s.thin_slices,
                    rounds_to_a_scale: s.rounds_to_a_scale,
                    handicaps: s.handicaps.clone(),
                    ranks_by_cost_of_delay: s.ranks_by_cost_of_delay,
                    rules_apart_from_the_loop: s.rules_apart_from_the_loop.clone(),
                    honours_wip_limits: s.honours_wip_limits,
                    rank: order.iter().position(|&j| j == i).unwrap_or(0) + 1,
                    results: PolicyResults::new(scenario, s),
                    vs_baseline: DifferenceReport {
                        value_realised: d.value_realised,
                        items_delivered: d.items_delivered,
                        p_beats_baseline: d.p_beats_baseline,
                        p_beats_baseline_ci95_low: d.p_beats_baseline_ci95_low,
                        p_beats_baseline_ci95_high: d.p_beats_baseline_ci95_high,
                    },
                })
                .collect(),
            warnings: scenario.warnings.clone(),
            precision: None,
            value_estimates: assumptions::value_estimates(&scenario.stream),
            loop_signals: assumptions::loop_signals(&scenario.stream),
            size_estimates: assumptions::size_estimates(&scenario.stream),
            release_trains: assumptions::release_trains(&scenario.stream),
            limited_lives: assumptions::limited_lives(&scenario.stream),
            deadline_steps: assumptions::deadline_steps(&scenario.stream),
        }
    }
}
