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
mod value;

pub use dist::{
    Dist, DistError, DistSpec, MAX_GAMMA_CV, MAX_PARAMETER, MAX_SAMPLES, MAX_SIGMA,
    MIN_WEIBULL_SHAPE,
};
pub use flow::{Bet, ItemId, ItemTable, WorkItem};
pub use value::Urgency;

/// The Flow Framework's four flow item kinds (Kersten, *Project to Product*, 2018).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Kind {
    /// New business value.
    Feature = 0,
    /// Quality problems fixed for customers.
    Defect = 1,
    /// Improvement of the software's structure and tools (technical debt).
    Debt = 2,
    /// Security, governance and compliance work.
    Risk = 3,
}

impl Kind {
    /// All kinds, in index order.
    pub const ALL: [Kind; 4] = [Kind::Feature, Kind::Defect, Kind::Debt, Kind::Risk];

    /// The name users write.
    pub fn name(self) -> &'static str {
        match self {
            Kind::Feature => "feature",
            Kind::Defect => "defect",
            Kind::Debt => "debt",
            Kind::Risk => "risk",
        }
    }

    /// The kind called `name`.
    pub fn from_name(name: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.name() == name)
    }

    /// Index for per-kind arrays.
    pub fn index(self) -> usize {
        self as usize
    }
}

/// Delivered items of one work type that cause defects later.
#[derive(Clone, Debug)]
pub struct Spawn {
    /// The work type of the defects.
    pub work_type: usize,
    /// Probability that a delivered item causes a defect.
    pub probability: f64,
    /// Days from delivery until the defect arrives.
    pub delay: Dist,
}

/// An outcome hypothesis split into slices; the first slice is the smallest experiment that
/// can be measured.
#[derive(Clone, Debug)]
pub struct Epic {
    /// Display name.
    pub name: String,
    /// The hypothesis in words, e.g. "retention +10% in 30 days".
    pub hypothesis: String,
    /// The work type of its slices (service times, kind).
    pub work_type: usize,
    /// Epics of this kind in the backlog at time 0.
    pub backlog: u32,
    /// New epics of this kind per day (Poisson), if any.
    pub arrival_rate: Option<f64>,
    /// Probability that the hypothesis holds.
    pub success_probability: f64,
    /// Number of slices.
    pub slices: u32,
    /// Share of one slice's work that the first slice takes when a policy slices thinly (the
    /// smallest experiment that can be measured); the epic's total work stays `slices` units.
    pub experiment_size: f64,
    /// Value per day of the whole epic once all slices are delivered, if the hypothesis holds.
    pub value: Dist,
    /// Its value's shape over time.
    pub urgency: Urgency,
    /// Share of the value realised when the hypothesis is false.
    pub failed_value: f64,
    /// Days from delivering a slice until its outcome can be measured.
    pub feedback_delay: f64,
    /// Probability that a false hypothesis measures as positive.
    pub false_positive: f64,
    /// Probability that a true hypothesis measures as negative.
    pub false_negative: f64,
    /// Log-scale standard deviation of the estimate of its value (0: known exactly).
    pub value_error: f64,
}

impl Epic {
    /// The value shape of each slice: the epic's urgency without its penalty and daily cost,
    /// which are charged once for the whole epic (see [`Epic::exposure`]).
    pub fn slice_urgency(&self) -> Urgency {
        Urgency {
            penalty: 0.0,
            cost_per_day: 0.0,
            ..self.urgency
        }
    }

    /// True if a measuring policy may hold this epic's slices back for its signals, at the
    /// value of waiting (`policy::belief::awaiting_rate`). That value charges a day of the
    /// slice's rate per day of waiting: at least what delay costs where value flows from
    /// delivery to the horizon at most at that rate (flat, or ramping up: a day of delay then
    /// costs less). A daily cost on the epic is no step in it either: held back, measuring
    /// gained more than built at once in every world tried. Where delay costs more, holding
    /// back costs more than the rule sees, and lost value to the same ranking without
    /// measuring:
    /// - a deadline penalty: waiting delays the whole epic towards it, and a stopped epic owes
    ///   it too (closing-the-loop with epic deadlines: −134k ±44k at deadline 60, penalty 50k);
    /// - a slice value that erodes with delay, ends (a life or a window) or drops past a
    ///   deadline (closing-the-loop with `long-life-peak-reduced`, erosion 60 days, feedback
    ///   after 30 days: −82k ±32k).
    ///
    /// Their slices are built at their expected rate, and the stop rule decides whether to go
    /// on.
    #[inline]
    pub fn waits_for_signals(&self) -> bool {
        // The slice's value shape (`slice_urgency`) is the standard class but for a ramp, which
        // only makes delay cheaper than the rate, and a deadline that takes nothing away
        // (`late_fraction` 1, no penalty); field by field, as the ranking asks often.
        let u = &self.urgency;
        u.penalty == 0.0
            && u.life == f64::INFINITY
            && u.window == f64::INFINITY
            && u.erosion == f64::INFINITY
            && (u.deadline == f64::INFINITY || u.late_fraction == 1.0)
    }

    /// The epic-level part of its urgency: the deadline, the penalty if it passes before the
    /// last slice is delivered, and the cost per day until then. It carries no value of its own.
    pub fn exposure(&self) -> Urgency {
        Urgency {
            deadline: self.urgency.deadline,
            penalty: self.urgency.penalty,
            cost_per_day: self.urgency.cost_per_day,
            ..Urgency::default()
        }
    }
}

/// Technical debt: delivered features add it, debt items pay it down, and it slows all work.
#[derive(Clone, Debug)]
pub struct Debt {
    /// Debt points at time 0.
    pub initial: f64,
    /// Points added by each delivered feature.
    pub per_feature: f64,
    /// Points removed by each delivered debt item.
    pub per_debt_item: f64,
    /// Extra service time per point (0.01: each point makes work 1% slower).
    pub drag_per_point: f64,
    /// The most the drag can slow work (0.5: at most 50% slower).
    pub max_drag: f64,
}

impl Debt {
    /// The service time multiplier at debt level `points`.
    pub fn multiplier(&self, points: f64) -> f64 {
        1.0 + (self.drag_per_point * points.max(0.0)).min(self.max_drag)
    }
}

/// How much capacity juggling several started items costs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum ContextSwitching {
    /// Weinberg's heuristic (Quality Software Management vol. 1, 1992): 2 items lose 20% of
    /// time to switching, 3 lose 40%, 4 lose 60%, 5 or more lose 75%.
    #[default]
    Weinberg,
    /// Items share a worker's time with no loss.
    Free,
}

impl ContextSwitching {
    /// Service time multiplier for an item started while its worker juggles `k` items:
    /// each item gets 1/k of the worker's productive time.
    pub fn multiplier(self, k: u32) -> f64 {
        let k = k.max(1);
        let lost = match self {
            ContextSwitching::Free => 0.0,
            ContextSwitching::Weinberg => match k {
                1 => 0.0,
                2 => 0.2,
                3 => 0.4,
                4 => 0.6,
                _ => 0.75,
            },
        };
        f64::from(k) / (1.0 - lost)
    }
}

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
    /// Flow item kind.
    pub kind: Kind,
    /// Value per day once delivered (`None`: no value of its own).
    pub value: Option<Dist>,
    /// The shape of its value over time.
    pub urgency: Urgency,
    /// Size factor multiplying every service time (`None`: 1).
    pub size: Option<Dist>,
    /// Log-scale standard deviation of size estimates (0: sizes known exactly).
    pub size_error: f64,
    /// Log-scale standard deviation of value estimates (0: values known exactly).
    pub value_error: f64,
    /// Defects its delivered items cause.
    pub spawns: Option<Spawn>,
}

impl WorkType {
    /// A standard feature type with no arrivals, backlog, value or overrides yet.
    pub fn new(name: &str, stages: usize) -> WorkType {
        WorkType {
            name: name.to_string(),
            arrival_rate: None,
            backlog: 0,
            service: vec![None; stages],
            priority: 0,
            kind: Kind::Feature,
            value: None,
            urgency: Urgency::default(),
            size: None,
            size_error: 0.0,
            value_error: 0.0,
            spawns: None,
        }
    }
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
    /// Outcome hypotheses and their slices.
    pub epics: Vec<Epic>,
    /// Technical debt dynamics, if modelled.
    pub debt: Option<Debt>,
    /// The cost of juggling items (applies only where a policy starts more items than workers).
    pub context_switching: ContextSwitching,
    /// Days at which cumulative outcomes are snapshot (for key results and value over time);
    /// sorted, the last is the horizon.
    pub checkpoints: Vec<f64>,
    /// Cost of one person-day, for ROI.
    pub cost_per_person_day: Option<f64>,
    /// The stage whose entry is the commitment point: cycle time and WIP count from there;
    /// before it, items are in the backlog (options, not commitments).
    pub commitment: usize,
    /// What one replication may spend.
    pub limits: Limits,
}

/// The budget of one replication: every run is finite and bounded in memory, whatever the
/// scenario. A replication that reaches a limit stops and the run reports an error naming it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Events handled per replication (`limits.events_per_replication`).
    pub events: u64,
    /// Items alive at once in one replication (`limits.items_per_replication`).
    pub items: u64,
}

impl Limits {
    /// Default events per replication: about ten seconds of one core.
    pub const EVENTS: u64 = 100_000_000;
    /// Default items alive at once: a few hundred megabytes.
    pub const ITEMS: u64 = 1_000_000;
    /// The most `limits.events_per_replication` may be raised to.
    pub const MAX_EVENTS: u64 = 10_000_000_000;
    /// The most `limits.items_per_replication` may be raised to.
    pub const MAX_ITEMS: u64 = 20_000_000;
    /// Waiting items a policy weighs at its decisions (each scored, or checked for a kind it
    /// works on) that count as one event against `limits.events_per_replication`: weighing an
    /// item costs a few nanoseconds, handling an event a few hundred.
    pub const WEIGHED_PER_EVENT: u64 = 16;
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            events: Limits::EVENTS,
            items: Limits::ITEMS,
        }
    }
}

impl ValueStream {
    /// A value stream with no value model: the given stages and work types only.
    pub fn new(stages: Vec<Stage>, work_types: Vec<WorkType>, horizon: f64, warmup: f64) -> Self {
        ValueStream {
            stages,
            work_types,
            horizon,
            warmup,
            epics: vec![],
            debt: None,
            context_switching: ContextSwitching::default(),
            checkpoints: vec![horizon],
            cost_per_person_day: None,
            commitment: 0,
            limits: Limits::default(),
        }
    }

    /// True if any work type or epic carries value, so value metrics mean something.
    pub fn has_value(&self) -> bool {
        !self.epics.is_empty()
            || self.work_types.iter().any(|w| {
                w.value.is_some() || w.urgency.cost_per_day > 0.0 || w.urgency.penalty > 0.0
            })
    }

    /// Expected touch time of one item of `work_type` with size factor 1, over all its visits.
    pub fn expected_work(&self, work_type: usize) -> f64 {
        self.expected_visits()
            .iter()
            .enumerate()
            .map(|(s, v)| v * self.service(work_type, s).mean())
            .sum()
    }

    /// Share of an item's expected work that remains when it waits for `stage`.
    pub fn remaining_share(&self, work_type: usize, stage: usize) -> f64 {
        let visits = self.expected_visits();
        let per: Vec<f64> = (0..self.stages.len())
            .map(|s| visits[s] * self.service(work_type, s).mean())
            .collect();
        let total: f64 = per.iter().sum();
        if total > 0.0 {
            per[stage..].iter().sum::<f64>() / total
        } else {
            0.0
        }
    }

    /// Total workers over all stages.
    pub fn people(&self) -> u32 {
        self.stages.iter().map(|s| s.workers).sum()
    }

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

    /// The items alive at day 0 (every backlog item and every slice of every backlog epic) and
    /// the estimated events of one replication: one per item created (backlogs, arrivals over
    /// the horizon, slices of epics, and the defects they spawn, however deep:
    /// [`ValueStream::with_spawned`]) and per expected stage visit, a signal per slice, every
    /// release and checkpoint. An estimate to refuse hopeless scenarios before they run; the
    /// engine's budget ([`Limits`]) stops whatever it misses.
    pub fn estimated_load(&self) -> (f64, f64) {
        let at_start: f64 = self
            .work_types
            .iter()
            .map(|w| f64::from(w.backlog))
            .chain(
                self.epics
                    .iter()
                    .map(|e| f64::from(e.backlog) * f64::from(e.slices)),
            )
            .sum();
        let mut items: Vec<f64> = self
            .work_types
            .iter()
            .map(|wt| f64::from(wt.backlog) + wt.arrival_rate.unwrap_or(0.0) * self.horizon)
            .collect();
        let mut slices = 0.0;
        for e in &self.epics {
            let n = (f64::from(e.backlog) + e.arrival_rate.unwrap_or(0.0) * self.horizon)
                * f64::from(e.slices);
            items[e.work_type] += n;
            slices += n;
        }
        let items = self.with_spawned(&items);
        let total: f64 = items.iter().sum();
        let visits: f64 = self.expected_visits().iter().sum();
        let releases: f64 = self
            .stages
            .iter()
            .filter_map(|s| s.release_every)
            .map(|r| self.horizon / r)
            .sum();
        let events = total * (1.0 + visits) + slices + releases + self.checkpoints.len() as f64;
        (at_start, events)
    }

    /// `direct[w]` items of each work type `w` (or items per day) plus every defect they spawn,
    /// however deep the chain: each item spawns one of `spawns.work_type` with its probability,
    /// so the items of each type are the direct ones plus the spawns of its sources, whatever
    /// order the types are declared in. A chain that comes back to a type it passed (a cycle of
    /// probabilities multiplying to c < 1; c = 1 is refused by validation) adds the geometric
    /// series 1 / (1 − c) of the items that entered the cycle.
    pub fn with_spawned(&self, direct: &[f64]) -> Vec<f64> {
        let mut total = direct.to_vec();
        let mut path: Vec<(usize, f64)> = Vec::new();
        for (source, &amount) in direct.iter().enumerate() {
            if amount <= 0.0 {
                continue;
            }
            // Each type spawns at most one other, so the chain from a source is a path that
            // ends, or enters a cycle it never leaves.
            path.clear();
            path.push((source, amount));
            let (mut at, mut amount) = (source, amount);
            while let Some(sp) = &self.work_types[at].spawns {
                amount *= sp.probability;
                if amount <= 0.0 {
                    break;
                }
                let next = sp.work_type;
                if let Some(first) = path.iter().position(|&(w, _)| w == next) {
                    // Around the cycle again and again: each pass brings c times the last.
                    let c = amount / path[first].1;
                    let more = if c < 1.0 {
                        c / (1.0 - c)
                    } else {
                        f64::INFINITY
                    };
                    for &(w, entered) in &path[first..] {
                        total[w] += entered * more;
                    }
                    break;
                }
                total[next] += amount;
                path.push((next, amount));
                at = next;
            }
        }
        total
    }

    /// Offered utilisation of each stage from the steady flows of work: for each work type,
    /// its arrival rate (plus the slices of epics arriving per day, plus defects its sources
    /// spawn per day) x mean size x visits x mean service time, divided by the workers.
    /// Backlogs are finite and do not count; debt drag and context switching are left out, so
    /// this is a lower bound.
    pub fn offered_utilization(&self) -> Vec<f64> {
        let visits = self.expected_visits();
        let size = |w: usize| self.work_types[w].size.as_ref().map_or(1.0, Dist::mean);
        // Items per day entering each work type.
        let mut rate: Vec<f64> = self
            .work_types
            .iter()
            .map(|wt| wt.arrival_rate.unwrap_or(0.0))
            .collect();
        for e in &self.epics {
            if let Some(r) = e.arrival_rate {
                rate[e.work_type] += r * f64::from(e.slices);
            }
        }
        let rate = self.with_spawned(&rate);
        (0..self.stages.len())
            .map(|s| {
                let load: f64 = (0..self.work_types.len())
                    .map(|w| rate[w] * size(w) * visits[s] * self.service(w, s).mean())
                    .sum();
                load / f64::from(self.stages[s].workers)
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `waits_for_signals` reads the fields one by one: it must say what its definition says,
    /// no penalty and a slice value shape that is the standard class but for a ramp.
    #[test]
    fn an_epic_waits_for_signals_where_delay_costs_at_most_its_rate() {
        let base = Urgency::default();
        let shapes = [
            (base, true),
            (
                Urgency {
                    ramp: 180.0,
                    ..base
                },
                true,
            ),
            (
                Urgency {
                    cost_per_day: 50.0,
                    ..base
                },
                true,
            ),
            (
                Urgency {
                    penalty: 1.0,
                    ..base
                },
                false,
            ),
            (
                Urgency {
                    erosion: 60.0,
                    ..base
                },
                false,
            ),
            (Urgency { life: 90.0, ..base }, false),
            (
                Urgency {
                    window: 90.0,
                    ..base
                },
                false,
            ),
            (
                Urgency {
                    deadline: 30.0,
                    late_fraction: 0.5,
                    ..base
                },
                false,
            ),
            (
                Urgency {
                    deadline: 30.0,
                    late_fraction: 0.0,
                    ..base
                },
                false,
            ),
            // A deadline past which the value stays whole, with no penalty: no step at all.
            (
                Urgency {
                    deadline: 30.0,
                    ..base
                },
                true,
            ),
            (
                Urgency {
                    deadline: 30.0,
                    penalty: 1.0,
                    ..base
                },
                false,
            ),
        ];
        for (urgency, waits) in shapes {
            let epic = Epic {
                name: "bets".into(),
                hypothesis: String::new(),
                work_type: 0,
                backlog: 1,
                arrival_rate: None,
                success_probability: 0.3,
                slices: 3,
                experiment_size: 0.5,
                value: Dist::exponential(50.0).unwrap(),
                urgency,
                failed_value: 0.0,
                feedback_delay: 14.0,
                false_positive: 0.1,
                false_negative: 0.1,
                value_error: 0.5,
            };
            // A deadline that takes nothing away is no deadline.
            let no_step = urgency.late_fraction == 1.0;
            let definition = urgency.penalty == 0.0
                && Urgency {
                    ramp: 0.0,
                    deadline: if no_step {
                        f64::INFINITY
                    } else {
                        urgency.deadline
                    },
                    ..epic.slice_urgency()
                }
                .is_standard();
            assert_eq!(epic.waits_for_signals(), waits, "{urgency:?}");
            assert_eq!(definition, waits, "{urgency:?}");
        }
    }
}
