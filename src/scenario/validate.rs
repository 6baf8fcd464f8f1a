//! Semantic validation: raw file values into model types, reporting every problem at once.

use super::raw::{RawDist, RawScenario, RawUrgency};
use super::{Objective, Scenario};
use crate::experiment::okr::{self, KeyResult};
use crate::model::{
    ContextSwitching, Debt, Dist, DistSpec, Epic, Kind, Limits, Rework, Spawn, Stage, Urgency,
    ValueStream, WorkType,
};
use crate::policy::{self, Discipline, Order, RulePolicy};
use std::collections::{HashMap, HashSet};

/// The bounds that keep every accepted scenario finite, in memory and in number: counters stay
/// within their types, sums of money stay finite, and no run is endless. Documented in
/// docs/scenario.md ("Limits").
pub mod bounds {
    /// Days simulated per replication.
    pub const HORIZON: f64 = 1_000_000.0;
    /// Replications per run.
    pub const REPLICATIONS: u64 = 1_000_000;
    /// The shortest mean service time in days, other than 0: the clock (days in an `f64`)
    /// resolves about 1e-10 days at the longest horizon, and a service much shorter than that
    /// would count as touch time that took no time on the clock (flow efficiency above 100%).
    pub const SERVICE: f64 = 1e-6;
    /// Stages.
    pub const STAGES: usize = 1_000;
    /// Work types, and epics.
    pub const TYPES: usize = 10_000;
    /// Slices per epic.
    pub const SLICES: u32 = 10_000;
    /// Key results over all objectives.
    pub const KEY_RESULTS: usize = 1_000;
    /// Workers per stage.
    pub const WORKERS: u32 = 100_000;
    /// WIP limit of a stage.
    pub const WIP_LIMIT: u32 = 10_000_000;
    /// Items one worker juggles.
    pub const JUGGLE: u32 = 100;
    /// Money amounts: penalties, costs per day, cost per person-day.
    pub const MONEY: f64 = 1e12;
    /// The multiplier `load` of every arrival rate.
    pub const LOAD: f64 = 1_000.0;
}

/// The policies `compare` runs when a scenario does not say.
pub const DEFAULT_COMPARE: &[&str] = &["fifo", "feature-factory", "cd3", "outcome"];
/// Evenly spaced checkpoints per run, for value over time.
const GRID_POINTS: usize = 24;

/// Replications run when a scenario does not say.
pub const DEFAULT_REPLICATIONS: u64 = 30;
/// The seed used when a scenario does not say.
const DEFAULT_SEED: u64 = 1;

/// Problems as (key path, message).
type Problems = Vec<(String, String)>;

struct Checker {
    problems: Problems,
}

impl Checker {
    fn fail(&mut self, key: impl Into<String>, message: impl Into<String>) {
        self.problems.push((key.into(), message.into()));
    }

    fn positive(&mut self, key: &str, v: f64) -> bool {
        let ok = v.is_finite() && v > 0.0;
        if !ok {
            self.fail(key, format!("must be a positive number (got {})", short(v)));
        }
        ok
    }

    fn probability(&mut self, key: &str, v: f64) -> f64 {
        if !(0.0..=1.0).contains(&v) {
            self.fail(
                key,
                format!("must be a probability from 0 to 1 (got {})", short(v)),
            );
        }
        v
    }

    fn non_negative(&mut self, key: &str, v: f64) -> f64 {
        if !(v.is_finite() && v >= 0.0) {
            self.fail(key, format!("must be zero or more (got {})", short(v)));
        }
        v
    }

    fn urgency(&mut self, key: &str, raw: &RawUrgency) -> Urgency {
        let mut u = Urgency::default();
        let need = |c: &mut Checker, name: &str, v: Option<f64>| -> f64 {
            match v {
                Some(v) => v,
                None => {
                    c.fail(
                        format!("{key}.{name}"),
                        format!("class `{}` needs `{name}` (days)", raw.class),
                    );
                    0.0
                }
            }
        };
        match raw.class.as_str() {
            "standard" => {}
            "expedite" => u.cost_per_day = need(self, "cost_per_day", raw.cost_per_day),
            "fixed-date" => {
                u.deadline = need(self, "deadline", raw.deadline);
                u.late_fraction = 0.0;
            }
            "intangible" => u.ramp = raw.ramp.unwrap_or(180.0),
            "short-life" => {
                u.window = need(self, "window", raw.window);
                u.erosion = u.window;
            }
            "long-life-peak-reduced" => u.erosion = need(self, "erosion", raw.erosion),
            "long-life-shifted" => u.life = need(self, "life", raw.life),
            other => {
                self.fail(
                    format!("{key}.class"),
                    format!("unknown urgency class `{other}`; valid: standard, expedite, fixed-date, intangible, short-life, long-life-peak-reduced, long-life-shifted"),
                );
            }
        }
        let days = |c: &mut Checker, name: &str, v: Option<f64>, slot: &mut f64| {
            if let Some(v) = v {
                if v.is_finite() && v > 0.0 {
                    *slot = v;
                } else {
                    c.fail(
                        format!("{key}.{name}"),
                        format!("must be a positive number of days (got {})", short(v)),
                    );
                }
            }
        };
        days(self, "life", raw.life, &mut u.life);
        days(self, "window", raw.window, &mut u.window);
        days(self, "erosion", raw.erosion, &mut u.erosion);
        days(self, "deadline", raw.deadline, &mut u.deadline);
        if let Some(r) = raw.ramp {
            u.ramp = self.non_negative(&format!("{key}.ramp"), r);
        }
        if let Some(f) = raw.late_fraction {
            u.late_fraction = self.probability(&format!("{key}.late_fraction"), f);
        }
        if let Some(p) = raw.penalty {
            u.penalty = self.money(&format!("{key}.penalty"), p);
        }
        if let Some(c) = raw.cost_per_day {
            u.cost_per_day = self.money(&format!("{key}.cost_per_day"), c);
        }
        u
    }

    /// A whole number from 1 to `max`.
    fn count_within(&mut self, key: &str, v: i64, max: u32) -> Option<u32> {
        match u32::try_from(v) {
            Ok(n) if (1..=max).contains(&n) => Some(n),
            _ => {
                self.fail(
                    key,
                    format!("must be a whole number from 1 to {max} (got {v})"),
                );
                None
            }
        }
    }

    /// An amount of money from 0 to [`bounds::MONEY`].
    fn money(&mut self, key: &str, v: f64) -> f64 {
        if !(v.is_finite() && (0.0..=bounds::MONEY).contains(&v)) {
            self.fail(
                key,
                format!(
                    "must be an amount from 0 to at most {:e} (got {})",
                    bounds::MONEY,
                    short(v)
                ),
            );
        }
        v
    }

    fn unique_names<'a>(&mut self, what: &str, names: impl Iterator<Item = &'a str>) {
        let mut seen = HashSet::new();
        for (i, name) in names.enumerate() {
            let key = format!("{what}[{i}].name");
            if name.trim().is_empty() {
                self.fail(key, "must not be empty");
            } else if !seen.insert(name) {
                self.fail(key, format!("`{name}` is used twice; names must be unique"));
            }
        }
    }

    /// A service time distribution: [`Checker::dist`], with a mean of 0 (instant) or at least
    /// [`bounds::SERVICE`] days, so that the clock can tell a service from no time at all.
    fn service(&mut self, key: &str, raw: &RawDist) -> Option<Dist> {
        let d = self.dist(key, raw)?;
        let mean = d.mean();
        if mean > 0.0 && mean < bounds::SERVICE {
            self.fail(
                key,
                format!(
                    "a mean service time of {mean:e} days is below what the simulated clock resolves over a long run; use 0 (instant) or at least {:e} days (about 0.09 seconds)",
                    bounds::SERVICE
                ),
            );
            return None;
        }
        Some(d)
    }

    fn dist(&mut self, key: &str, raw: &RawDist) -> Option<Dist> {
        let given: Vec<&str> = [
            ("mean", raw.mean.is_some()),
            ("value", raw.value.is_some()),
            ("min", raw.min.is_some()),
            ("max", raw.max.is_some()),
            ("mode", raw.mode.is_some()),
            ("median", raw.median.is_some()),
            ("p90", raw.p90.is_some()),
            ("sd", raw.sd.is_some()),
            ("cv", raw.cv.is_some()),
            ("shape", raw.shape.is_some()),
            ("scale", raw.scale.is_some()),
            ("samples", raw.samples.is_some()),
        ]
        .into_iter()
        .filter_map(|(k, present)| present.then_some(k))
        .collect();
        let expect = |params: &[&str]| -> bool {
            let mut want: Vec<&str> = params.to_vec();
            want.sort_unstable();
            let mut got = given.clone();
            got.sort_unstable();
            want == got
        };
        let spec = match raw.dist.as_str() {
            "exponential" if expect(&["mean"]) => DistSpec::Exponential {
                mean: raw.mean.unwrap_or_default(),
            },
            "fixed" if expect(&["value"]) => DistSpec::Fixed {
                value: raw.value.unwrap_or_default(),
            },
            "uniform" if expect(&["min", "max"]) => DistSpec::Uniform {
                min: raw.min.unwrap_or_default(),
                max: raw.max.unwrap_or_default(),
            },
            "triangular" if expect(&["min", "mode", "max"]) => DistSpec::Triangular {
                min: raw.min.unwrap_or_default(),
                mode: raw.mode.unwrap_or_default(),
                max: raw.max.unwrap_or_default(),
            },
            "lognormal" if expect(&["median", "p90"]) => DistSpec::LognormalP90 {
                median: raw.median.unwrap_or_default(),
                p90: raw.p90.unwrap_or_default(),
            },
            "lognormal" if expect(&["mean", "sd"]) => DistSpec::LognormalMeanSd {
                mean: raw.mean.unwrap_or_default(),
                sd: raw.sd.unwrap_or_default(),
            },
            "gamma" if expect(&["mean", "cv"]) => DistSpec::Gamma {
                mean: raw.mean.unwrap_or_default(),
                cv: raw.cv.unwrap_or_default(),
            },
            "weibull" if expect(&["shape", "scale"]) => DistSpec::Weibull {
                shape: raw.shape.unwrap_or_default(),
                scale: raw.scale.unwrap_or_default(),
            },
            "weibull" if expect(&["mean", "shape"]) => DistSpec::WeibullMean {
                mean: raw.mean.unwrap_or_default(),
                shape: raw.shape.unwrap_or_default(),
            },
            "empirical" if expect(&["samples"]) => DistSpec::Empirical {
                samples: raw.samples.clone().unwrap_or_default(),
            },
            kind => {
                let usage = match kind {
                    "exponential" => "`exponential` takes `mean`",
                    "fixed" => "`fixed` takes `value`",
                    "uniform" => "`uniform` takes `min` and `max`",
                    "triangular" => "`triangular` takes `min`, `mode` and `max`",
                    "lognormal" => "`lognormal` takes `median` and `p90`, or `mean` and `sd`",
                    "gamma" => "`gamma` takes `mean` and `cv`",
                    "weibull" => "`weibull` takes `shape` and `scale`, or `mean` and `shape`",
                    "empirical" => "`empirical` takes `samples = [...]`",
                    _ => {
                        self.fail(
                            format!("{key}.dist"),
                            format!(
                                "unknown distribution `{kind}`; valid: exponential, fixed, uniform, triangular, lognormal, gamma, weibull, empirical"
                            ),
                        );
                        return None;
                    }
                };
                self.fail(
                    key,
                    format!(
                        "{usage} (got {})",
                        if given.is_empty() {
                            "no parameters".into()
                        } else {
                            given.join(", ")
                        }
                    ),
                );
                return None;
            }
        };
        match Dist::new(spec) {
            Ok(d) => Some(d),
            Err(e) => {
                self.fail(key, format!("impossible `{}` distribution: {e}", raw.dist));
                None
            }
        }
    }
}

/// The checkpoint days of a run: an even grid for value over time, plus the key results' days.
pub(super) fn checkpoints(horizon: f64, kr_days: &[f64]) -> Vec<f64> {
    let mut days: Vec<f64> = (1..=GRID_POINTS)
        // The last point is the horizon exactly (k/24 * h can miss it by rounding).
        .map(|k| {
            if k == GRID_POINTS {
                horizon
            } else {
                horizon * k as f64 / GRID_POINTS as f64
            }
        })
        .chain(kr_days.iter().copied())
        .collect();
    days.sort_by(f64::total_cmp);
    days.dedup();
    days
}

/// Checks `raw` and builds the scenario, or returns every problem found.
pub(super) fn validate(raw: RawScenario) -> Result<Scenario, Problems> {
    let mut c = Checker { problems: vec![] };
    if raw.name.trim().is_empty() {
        c.fail("name", "must not be empty");
    }
    // The sweep `valueflow sweep` runs when no --vary is given. Its ranges and lists are read
    // here; whether the scenario takes each of its values is checked on the document, once the
    // rest is valid (`super::declared_sweep_problems`).
    let mut sweep = Vec::new();
    if let Some(s) = &raw.sweep {
        if s.vary.is_empty() {
            c.fail(
                "sweep.vary",
                "must list at least one knob, e.g. [\"stages.test.workers=1..4\"]",
            );
        }
        for (i, v) in s.vary.iter().enumerate() {
            match crate::experiment::sweep::Axis::parse(v) {
                Ok(a) => sweep.push(a.declared_at(i)),
                Err(m) => c.fail(format!("sweep.vary[{i}]"), m),
            }
        }
    }
    if c.positive("horizon", raw.horizon) && raw.horizon > bounds::HORIZON {
        c.fail(
            "horizon",
            format!(
                "must be at most {} days (got {:e})",
                bounds::HORIZON,
                raw.horizon
            ),
        );
    }
    // `-0` is 0: adding 0.0 turns it into +0.0, so no output writes "-0 days".
    let warmup = raw.warmup.unwrap_or(0.0) + 0.0;
    if !(warmup.is_finite() && warmup >= 0.0) {
        c.fail(
            "warmup",
            format!("must be zero or more days (got {warmup})"),
        );
    } else if raw.horizon.is_finite() && warmup >= raw.horizon {
        c.fail(
            "warmup",
            format!(
                "must be shorter than the horizon ({} days); got {warmup}",
                raw.horizon
            ),
        );
    }
    // `load` scales every arrival rate (work types and epics), a knob for utilisation sweeps.
    let load = raw.load.unwrap_or(1.0);
    if c.positive("load", load) && load > bounds::LOAD {
        c.fail(
            "load",
            format!(
                "must be at most {} (got {load}); it multiplies every arrival_rate",
                bounds::LOAD
            ),
        );
    }
    let load = if load.is_finite() && load > 0.0 && load <= bounds::LOAD {
        load
    } else {
        1.0
    };
    let replications = match raw.replications {
        None => DEFAULT_REPLICATIONS,
        Some(n) if n >= 1 && n as u64 <= bounds::REPLICATIONS => n as u64,
        Some(n) => {
            c.fail(
                "replications",
                format!(
                    "must be a whole number from 1 to {} (got {n})",
                    bounds::REPLICATIONS
                ),
            );
            1
        }
    };
    let policy = raw.policy.clone().unwrap_or_else(|| "fifo".into());

    if raw.stages.is_empty() {
        c.fail(
            "stages",
            "needs at least one stage ([[stages]] with a name and a service time)",
        );
    }
    c.unique_names("stages", raw.stages.iter().map(|s| s.name.as_str()));
    let stage_names: Vec<&str> = raw.stages.iter().map(|s| s.name.as_str()).collect();
    let mut stages = Vec::new();
    for (i, rs) in raw.stages.iter().enumerate() {
        let key = |k: &str| format!("stages[{i}].{k}");
        let workers = c.count_within(&key("workers"), rs.workers.unwrap_or(1), bounds::WORKERS);
        let wip_limit = rs
            .wip_limit
            .map(|w| c.count_within(&key("wip_limit"), w, bounds::WIP_LIMIT));
        let service = c.service(&key("service"), &rs.service);
        let rework = rs.rework.as_ref().and_then(|r| {
            let to = stage_names[..i].iter().position(|n| *n == r.to);
            if to.is_none() {
                let earlier = if i == 0 {
                    "the first stage has no earlier stage to send work back to".to_string()
                } else {
                    format!("valid: {}", stage_names[..i].join(", "))
                };
                c.fail(
                    key("rework.to"),
                    format!("`{}` is not an earlier stage; {earlier}", r.to),
                );
            }
            if !(r.probability >= 0.0 && r.probability < 1.0) {
                c.fail(
                    key("rework.probability"),
                    format!(
                        "must be a probability from 0 up to (not including) 1 (got {})",
                        r.probability
                    ),
                );
            }
            to.map(|to| Rework {
                to,
                probability: r.probability,
            })
        });
        if let Some(every) = rs.release_every {
            c.positive(&key("release_every"), every);
        }
        if let (Some(workers), Some(service)) = (workers, service) {
            stages.push(Stage {
                name: rs.name.clone(),
                workers,
                wip_limit: wip_limit.flatten(),
                service,
                rework,
                release_every: rs.release_every,
            });
        }
    }

    let commitment = match &raw.commitment {
        None => 0,
        Some(name) => stage_names
            .iter()
            .position(|n| n == name)
            .unwrap_or_else(|| {
                c.fail(
                    "commitment",
                    format!(
                        "`{name}` is not a stage; the commitment point is the stage whose entry commits the team to the work (valid: {})",
                        stage_names.join(", ")
                    ),
                );
                0
            }),
    };

    if raw.work.is_empty() {
        c.fail(
            "work",
            "needs at least one work type ([[work]] with a name and an arrival_rate or backlog)",
        );
    }
    c.unique_names("work", raw.work.iter().map(|w| w.name.as_str()));
    // Looked up once: per-type scans would make validation quadratic in the work types.
    let work_names: Vec<&str> = raw.work.iter().map(|w| w.name.as_str()).collect();
    let work_index: HashMap<&str, usize> = work_names
        .iter()
        .enumerate()
        .map(|(i, n)| (*n, i))
        .rev()
        .collect();
    let fed_names: HashSet<&str> = raw
        .epics
        .iter()
        .map(|e| e.work.as_str())
        .chain(
            raw.work
                .iter()
                .filter_map(|w| w.spawns.as_ref().map(|sp| sp.work.as_str())),
        )
        .collect();
    let valid_work = || abbreviate(&work_names);
    let mut work_types = Vec::new();
    for (i, rw) in raw.work.iter().enumerate() {
        let key = |k: &str| format!("work[{i}].{k}");
        if let Some(rate) = rw.arrival_rate {
            c.positive(&key("arrival_rate"), rate);
        }
        let backlog = rw.backlog.unwrap_or(0);
        let backlog = match u32::try_from(backlog) {
            Ok(b) => b,
            Err(_) => {
                c.fail(
                    key("backlog"),
                    format!("must be a whole number of 0 or more (got {backlog})"),
                );
                0
            }
        };
        let fed = fed_names.contains(rw.name.as_str());
        if rw.arrival_rate.is_none() && backlog == 0 && !fed {
            c.fail(
                format!("work[{i}]"),
                "never produces an item: give it an `arrival_rate` (per day) or a `backlog` of at least 1, or name it as an epic's `work` or in a `spawns`",
            );
        }
        let mut service = vec![None; raw.stages.len()];
        for (stage_name, rd) in rw.service.iter().flatten() {
            let dkey = format!("work[{i}].service.{stage_name}");
            match stage_names.iter().position(|n| n == stage_name) {
                Some(s) => service[s] = c.service(&dkey, rd),
                None => c.fail(
                    dkey,
                    format!(
                        "`{stage_name}` is not a stage; valid: {}",
                        stage_names.join(", ")
                    ),
                ),
            }
        }
        let kind = match rw.kind.as_deref() {
            None => Kind::Feature,
            Some(k) => Kind::from_name(k).unwrap_or_else(|| {
                c.fail(
                    key("kind"),
                    format!("unknown kind `{k}`; valid: feature, defect, debt, risk"),
                );
                Kind::Feature
            }),
        };
        let value = rw.value.as_ref().and_then(|d| c.dist(&key("value"), d));
        let urgency = rw
            .urgency
            .as_ref()
            .map_or_else(Urgency::default, |u| c.urgency(&key("urgency"), u));
        let size = rw.size.as_ref().and_then(|d| c.dist(&key("size"), d));
        let size_error = c.non_negative(&key("size_error"), rw.size_error.unwrap_or(0.0));
        let value_error = c.non_negative(&key("value_error"), rw.value_error.unwrap_or(0.0));
        let spawns = rw.spawns.as_ref().and_then(|sp| {
            let target = work_index.get(sp.work.as_str()).copied();
            if target.is_none() {
                c.fail(
                    key("spawns.work"),
                    format!("`{}` is not a work type; valid: {}", sp.work, valid_work()),
                );
            }
            let probability = c.probability(&key("spawns.probability"), sp.probability);
            let delay = c.dist(&key("spawns.delay"), &sp.delay);
            Some(Spawn {
                work_type: target?,
                probability,
                delay: delay?,
            })
        });
        work_types.push(WorkType {
            name: rw.name.clone(),
            arrival_rate: rw.arrival_rate.map(|r| r * load),
            backlog,
            service,
            priority: rw.priority.unwrap_or(0),
            kind,
            value,
            urgency,
            size,
            size_error,
            value_error,
            spawns,
        });
    }
    let work_names: Vec<String> = raw.work.iter().map(|w| w.name.clone()).collect();

    // Epics: outcome hypotheses split into slices.
    c.unique_names("epics", raw.epics.iter().map(|e| e.name.as_str()));
    let mut epics = Vec::new();
    for (i, re) in raw.epics.iter().enumerate() {
        let key = |k: &str| format!("epics[{i}].{k}");
        let work_type = work_index.get(re.work.as_str()).copied();
        if work_type.is_none() {
            c.fail(
                key("work"),
                format!("`{}` is not a work type; valid: {}", re.work, valid_work()),
            );
        }
        let backlog = u32::try_from(re.backlog.unwrap_or(0)).unwrap_or_else(|_| {
            c.fail(key("backlog"), "must be a whole number of 0 or more");
            0
        });
        if let Some(rate) = re.arrival_rate {
            c.positive(&key("arrival_rate"), rate);
        }
        if re.arrival_rate.is_none() && backlog == 0 {
            c.fail(
                format!("epics[{i}]"),
                "never produces an epic: give it a `backlog` or an `arrival_rate`",
            );
        }
        let slices = c.count_within(&key("slices"), re.slices, bounds::SLICES);
        let experiment_size = re.experiment_size.unwrap_or(1.0);
        if !(experiment_size > 0.0 && experiment_size <= 1.0) {
            c.fail(
                key("experiment_size"),
                format!(
                    "must be a share of one slice's work in (0, 1] (got {experiment_size}); the first slice of a thinly sliced epic takes that share"
                ),
            );
        }
        let feedback_delay = c.non_negative(&key("feedback_delay"), re.feedback_delay);
        let value = c.dist(&key("value"), &re.value);
        let epic = Epic {
            name: re.name.clone(),
            hypothesis: re.hypothesis.clone().unwrap_or_default(),
            work_type: work_type.unwrap_or(0),
            backlog,
            arrival_rate: re.arrival_rate.map(|r| r * load),
            success_probability: c.probability(&key("success_probability"), re.success_probability),
            slices: slices.unwrap_or(1),
            experiment_size,
            value: value.unwrap_or_else(|| Dist::exponential(1.0).expect("valid")),
            urgency: re
                .urgency
                .as_ref()
                .map_or_else(Urgency::default, |u| c.urgency(&key("urgency"), u)),
            failed_value: c.probability(&key("failed_value"), re.failed_value.unwrap_or(0.0)),
            feedback_delay,
            false_positive: c.probability(&key("false_positive"), re.false_positive.unwrap_or(0.0)),
            false_negative: c.probability(&key("false_negative"), re.false_negative.unwrap_or(0.0)),
            value_error: c.non_negative(&key("value_error"), re.value_error.unwrap_or(0.0)),
        };
        epics.push(epic);
    }

    let debt = raw.debt.as_ref().map(|d| Debt {
        initial: c.non_negative("debt.initial", d.initial.unwrap_or(0.0)),
        per_feature: c.non_negative("debt.per_feature", d.per_feature),
        per_debt_item: c.non_negative("debt.per_debt_item", d.per_debt_item),
        drag_per_point: c.non_negative("debt.drag_per_point", d.drag_per_point),
        max_drag: c.non_negative("debt.max_drag", d.max_drag.unwrap_or(0.5)),
    });
    let context_switching = match raw.context_switching.as_deref() {
        None | Some("weinberg") => ContextSwitching::Weinberg,
        Some("none") => ContextSwitching::Free,
        Some(other) => {
            c.fail(
                "context_switching",
                format!("unknown `{other}`; valid: weinberg, none"),
            );
            ContextSwitching::Weinberg
        }
    };
    if let Some(cost) = raw.cost_per_person_day {
        if c.positive("cost_per_person_day", cost) {
            c.money("cost_per_person_day", cost);
        }
    }

    // Custom policies from building blocks.
    c.unique_names("policies", raw.policies.iter().map(|p| p.name.as_str()));
    let mut custom = Vec::new();
    for (i, rp) in raw.policies.iter().enumerate() {
        let key = |k: &str| format!("policies[{i}].{k}");
        if policy::NAMES.contains(&rp.name.as_str()) {
            c.fail(
                key("name"),
                format!("`{}` is a built-in policy; choose another name", rp.name),
            );
        }
        let order = Order::from_name(&rp.order).unwrap_or_else(|| {
            c.fail(
                key("order"),
                format!(
                    "unknown ordering rule `{}`; valid: {}",
                    rp.order,
                    Order::NAMES.join(", ")
                ),
            );
            Order::Fifo
        });
        let discipline = match rp.wip.as_deref() {
            None | Some("limits") => Discipline::Limits,
            Some("start-everything") => Discipline::StartEverything {
                juggle: c
                    .count_within(&key("juggle"), rp.juggle.unwrap_or(3), bounds::JUGGLE)
                    .unwrap_or(1),
            },
            Some(other) => {
                c.fail(
                    key("wip"),
                    format!("unknown WIP discipline `{other}`; valid: limits, start-everything"),
                );
                Discipline::Limits
            }
        };
        let allocation = rp.allocation.as_ref().map(|shares| {
            let mut a = [0.0; 4];
            for (k, v) in shares {
                match Kind::from_name(k) {
                    Some(kind) => {
                        a[kind.index()] =
                            c.probability(&format!("policies[{i}].allocation.{k}"), *v)
                    }
                    None => c.fail(
                        format!("policies[{i}].allocation.{k}"),
                        format!("unknown kind `{k}`; valid: feature, defect, debt, risk"),
                    ),
                }
            }
            let sum: f64 = a.iter().sum();
            if (sum - 1.0).abs() > 1e-6 {
                c.fail(
                    key("allocation"),
                    format!("shares must sum to 1 (got {sum})"),
                );
            }
            a
        });
        let kinds = match &rp.kinds {
            None => [true; 4],
            Some(list) => {
                let mut k = [false; 4];
                for name in list {
                    match Kind::from_name(name) {
                        Some(kind) => k[kind.index()] = true,
                        None => c.fail(
                            key("kinds"),
                            format!("unknown kind `{name}`; valid: feature, defect, debt, risk"),
                        ),
                    }
                }
                k
            }
        };
        let calibrated = match rp.estimates.as_deref() {
            None | Some("face-value") => false,
            Some("calibrated") => true,
            Some(other) => {
                c.fail(
                    key("estimates"),
                    format!(
                        "unknown reading of estimates `{other}`; valid: face-value, calibrated"
                    ),
                );
                false
            }
        };
        custom.push(RulePolicy {
            name: rp.name.clone(),
            order,
            discipline,
            allocation,
            measure: rp.measure.unwrap_or(false),
            thin_slices: rp.thin_slices.unwrap_or(false),
            kinds,
            calibrated,
        });
    }
    let known =
        |name: &str| policy::by_name(name).is_some() || custom.iter().any(|p| p.name == name);
    // The valid names, with the closest to a misspelt one first (as `--policy` does).
    let unknown = |name: &str| {
        let names: Vec<String> = policy::NAMES
            .iter()
            .map(|s| s.to_string())
            .chain(custom.iter().map(|p| p.name.clone()))
            .collect();
        let choices: Vec<&str> = names.iter().map(String::as_str).collect();
        let hint = super::message::suggest(name, &choices)
            .map(|s| format!(" did you mean `{s}`?"))
            .unwrap_or_default();
        format!("unknown policy `{name}`;{hint} valid: {}", names.join(", "))
    };
    if !known(&policy) {
        c.fail("policy", unknown(&policy));
    }
    let compare: Vec<String> = raw
        .compare
        .clone()
        .unwrap_or_else(|| DEFAULT_COMPARE.iter().map(|s| s.to_string()).collect());
    for (i, name) in compare.iter().enumerate() {
        if !known(name) {
            c.fail(format!("compare[{i}]"), unknown(name));
        } else if compare[..i].contains(name) {
            // Compared with itself: two rows, one run.
            c.fail(
                format!("compare[{i}]"),
                format!("`{name}` is listed twice; list each policy once"),
            );
        }
    }
    if compare.is_empty() {
        c.fail("compare", "needs at least one policy");
    }
    let baseline = raw
        .baseline
        .clone()
        .unwrap_or_else(|| compare.first().cloned().unwrap_or_default());
    if raw.baseline.is_some() && !compare.contains(&baseline) {
        c.fail(
            "baseline",
            format!(
                "`{baseline}` is not among the compared policies: {}",
                compare.join(", ")
            ),
        );
    }

    // Objectives and key results.
    let mut kr_days = Vec::new();
    let mut parsed = Vec::new();
    let mut objectives = Vec::new();
    c.unique_names("objectives", raw.objectives.iter().map(|o| o.name.as_str()));
    for (i, ro) in raw.objectives.iter().enumerate() {
        if let Some(parent) = &ro.parent {
            if !raw.objectives.iter().any(|o| &o.name == parent) || parent == &ro.name {
                c.fail(
                    format!("objectives[{i}].parent"),
                    format!("`{parent}` is not another objective"),
                );
            }
        }
        objectives.push(Objective {
            name: ro.name.clone(),
            parent: ro.parent.clone(),
        });
        for (j, text) in ro.key_results.iter().enumerate() {
            let key = format!("objectives[{i}].key_results[{j}]");
            match okr::parse(text, &work_names) {
                Ok((metric, comparison, target, day)) => {
                    let d = day.unwrap_or(raw.horizon);
                    if !(d > 0.0 && d <= raw.horizon) {
                        c.fail(
                            key,
                            format!(
                                "day {d} is outside the run (a day after 0, up to the horizon, {})",
                                raw.horizon
                            ),
                        );
                        continue;
                    }
                    kr_days.push(d);
                    parsed.push((
                        ro.name.clone(),
                        text.clone(),
                        metric,
                        comparison,
                        target,
                        day,
                    ));
                }
                Err(e) => c.fail(key, e.0),
            }
        }
    }
    let checkpoints = checkpoints(raw.horizon, &kr_days);
    let key_results = parsed
        .into_iter()
        .map(
            |(objective, text, metric, comparison, target, day)| KeyResult {
                objective,
                text,
                metric,
                comparison,
                target,
                checkpoint: checkpoints
                    .iter()
                    .position(|&t| t == day.unwrap_or(raw.horizon))
                    .unwrap_or(0),
                day,
            },
        )
        .collect();

    for (what, n, max) in [
        ("stages", raw.stages.len(), bounds::STAGES),
        ("work", raw.work.len(), bounds::TYPES),
        ("epics", raw.epics.len(), bounds::TYPES),
        (
            "objectives",
            raw.objectives.iter().map(|o| o.key_results.len()).sum(),
            bounds::KEY_RESULTS,
        ),
    ] {
        if n > max {
            c.fail(
                what,
                format!("has {n} entries; at most {max} are supported"),
            );
        }
    }
    spawn_cycles(&mut c, &raw);
    let limits = limits(&mut c, &raw);

    if !c.problems.is_empty() {
        return Err(c.problems);
    }
    let stream = ValueStream {
        stages,
        work_types,
        horizon: raw.horizon,
        warmup,
        epics,
        debt,
        context_switching,
        checkpoints,
        cost_per_person_day: raw.cost_per_person_day,
        commitment,
        limits,
    };
    if let Err((key, message)) = check_load(&stream) {
        return Err(vec![(key, message)]);
    }
    let warnings = Vec::new();
    Ok(Scenario {
        name: raw.name,
        description: raw.description,
        stream,
        replications,
        seed: raw.seed.unwrap_or(DEFAULT_SEED),
        policy,
        compare,
        baseline,
        custom_policies: custom,
        objectives,
        key_results,
        warnings,
        sweep,
        load,
    })
}

/// A number as a message shows it: scientific notation when very large or very small, so a
/// 1e300 never prints as 301 digits.
pub(super) fn short(v: f64) -> String {
    if v != 0.0 && !(1e-6..1e9).contains(&v.abs()) {
        format!("{v:e}")
    } else {
        format!("{v}")
    }
}

/// At most 8 names and ~80 characters of a "valid:" list, then how many more.
pub(super) fn abbreviate(names: &[&str]) -> String {
    let mut out = String::new();
    for (i, n) in names.iter().enumerate() {
        let name: String = n.chars().take(24).collect();
        if i >= 8 || out.len() + name.len() > 80 {
            out.push_str(&format!(", … ({} more)", names.len() - i));
            return out;
        }
        if i > 0 {
            out.push_str(", ");
        }
        out.push_str(&name);
        if name.len() < n.len() {
            out.push('…');
        }
    }
    out
}

/// A chain of defects that always spawns another of a type already in the chain never ends:
/// rejected when every spawn on a cycle has probability 1.
fn spawn_cycles(c: &mut Checker, raw: &RawScenario) {
    let index: HashMap<&str, usize> = raw
        .work
        .iter()
        .enumerate()
        .map(|(i, w)| (w.name.as_str(), i))
        .collect();
    let next = |w: usize| -> Option<(usize, f64)> {
        let sp = raw.work[w].spawns.as_ref()?;
        Some((*index.get(sp.work.as_str())?, sp.probability))
    };
    for start in 0..raw.work.len() {
        let (mut at, mut certain) = (start, true);
        for _ in 0..raw.work.len() {
            let Some((to, p)) = next(at) else { break };
            certain &= p >= 1.0;
            if to == start {
                if certain {
                    c.fail(
                        format!("work[{start}].spawns.probability"),
                        "every item of this type spawns another in an endless chain (each spawn on the cycle has probability 1); use a probability below 1",
                    );
                }
                break;
            }
            at = to;
        }
    }
}

/// The `[limits]` table, within its hard caps.
fn limits(c: &mut Checker, raw: &RawScenario) -> Limits {
    let mut limits = Limits::default();
    if let Some(l) = &raw.limits {
        if let Some(e) = l.events_per_replication {
            match u64::try_from(e) {
                Ok(e) if (1..=Limits::MAX_EVENTS).contains(&e) => limits.events = e,
                _ => c.fail(
                    "limits.events_per_replication",
                    format!(
                        "must be a whole number from 1 to {} (got {e})",
                        Limits::MAX_EVENTS
                    ),
                ),
            }
        }
        if let Some(i) = l.items_per_replication {
            match u64::try_from(i) {
                Ok(i) if (1..=Limits::MAX_ITEMS).contains(&i) => limits.items = i,
                _ => c.fail(
                    "limits.items_per_replication",
                    format!(
                        "must be a whole number from 1 to {} (got {i})",
                        Limits::MAX_ITEMS
                    ),
                ),
            }
        }
    }
    limits
}

/// Refuses a value stream whose estimated load (`ValueStream::estimated_load`) exceeds its
/// limits, before any work starts: (key, message) of the first limit exceeded.
pub(crate) fn check_load(vs: &ValueStream) -> Result<(), (String, String)> {
    let (items, events) = vs.estimated_load();
    if items.is_nan() || items > vs.limits.items as f64 {
        // Point at the largest backlog: that is where the items come from.
        let work = vs
            .work_types
            .iter()
            .enumerate()
            .map(|(i, w)| (format!("work[{i}].backlog"), f64::from(w.backlog)));
        let epics = vs.epics.iter().enumerate().map(|(i, e)| {
            (
                format!("epics[{i}].backlog"),
                f64::from(e.backlog) * f64::from(e.slices),
            )
        });
        let key = work
            .chain(epics)
            .max_by(|a, b| a.1.total_cmp(&b.1))
            .map_or_else(|| "work".to_string(), |(k, _)| k);
        return Err((
            key,
            format!(
                "a replication would start with {items:.0} items (backlogs and their epics' slices), over the limit of {} alive at once; lower the backlogs or raise `limits.items_per_replication` (up to {})",
                vs.limits.items,
                Limits::MAX_ITEMS
            ),
        ));
    }
    if events.is_nan() || events > vs.limits.events as f64 {
        return Err((
            "horizon".into(),
            format!(
                "a replication would handle about {events:.1e} events (arrivals, stage visits, releases, signals over {} days), over the limit of {}; shorten the horizon, slow the releases or arrivals, or raise `limits.events_per_replication` (up to {})",
                vs.horizon,
                vs.limits.events,
                Limits::MAX_EVENTS
            ),
        ));
    }
    Ok(())
}
