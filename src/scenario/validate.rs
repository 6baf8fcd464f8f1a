//! Semantic validation: raw file values into model types, reporting every problem at once.

use super::raw::{RawDist, RawScenario};
use super::Scenario;
use crate::model::{Dist, DistSpec, Rework, Stage, ValueStream, WorkType};
use crate::policy;
use std::collections::HashSet;

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
            self.fail(key, format!("must be a positive number (got {v})"));
        }
        ok
    }

    fn count_at_least_one(&mut self, key: &str, v: i64) -> Option<u32> {
        match u32::try_from(v) {
            Ok(n) if n >= 1 => Some(n),
            _ => {
                self.fail(
                    key,
                    format!("must be a whole number of at least 1 (got {v})"),
                );
                None
            }
        }
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
                    "empirical" => "`empirical` takes `samples = [...]`",
                    _ => {
                        self.fail(
                            format!("{key}.dist"),
                            format!(
                                "unknown distribution `{kind}`; valid: exponential, fixed, uniform, triangular, lognormal, gamma, empirical"
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

/// Checks `raw` and builds the scenario, or returns every problem found.
pub(super) fn validate(raw: RawScenario) -> Result<Scenario, Problems> {
    let mut c = Checker { problems: vec![] };
    if raw.name.trim().is_empty() {
        c.fail("name", "must not be empty");
    }
    c.positive("horizon", raw.horizon);
    let warmup = raw.warmup.unwrap_or(0.0);
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
    let replications = match raw.replications {
        None => DEFAULT_REPLICATIONS,
        Some(n) if n >= 1 => n as u64,
        Some(n) => {
            c.fail("replications", format!("must be at least 1 (got {n})"));
            1
        }
    };
    let policy = raw.policy.clone().unwrap_or_else(|| "fifo".into());
    if policy::by_name(&policy).is_none() {
        c.fail(
            "policy",
            format!(
                "unknown policy `{policy}`; valid: {}",
                policy::NAMES.join(", ")
            ),
        );
    }

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
        let workers = c.count_at_least_one(&key("workers"), rs.workers.unwrap_or(1));
        let wip_limit = rs
            .wip_limit
            .map(|w| c.count_at_least_one(&key("wip_limit"), w));
        let service = c.dist(&key("service"), &rs.service);
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

    if raw.work.is_empty() {
        c.fail(
            "work",
            "needs at least one work type ([[work]] with a name and an arrival_rate or backlog)",
        );
    }
    c.unique_names("work", raw.work.iter().map(|w| w.name.as_str()));
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
        if rw.arrival_rate.is_none() && backlog == 0 {
            c.fail(
                format!("work[{i}]"),
                "never produces an item: give it an `arrival_rate` (per day) or a `backlog` of at least 1",
            );
        }
        let mut service = vec![None; raw.stages.len()];
        for (stage_name, rd) in rw.service.iter().flatten() {
            let dkey = format!("work[{i}].service.{stage_name}");
            match stage_names.iter().position(|n| n == stage_name) {
                Some(s) => service[s] = c.dist(&dkey, rd),
                None => c.fail(
                    dkey,
                    format!(
                        "`{stage_name}` is not a stage; valid: {}",
                        stage_names.join(", ")
                    ),
                ),
            }
        }
        work_types.push(WorkType {
            name: rw.name.clone(),
            arrival_rate: rw.arrival_rate,
            backlog,
            service,
            priority: rw.priority.unwrap_or(0),
        });
    }

    if !c.problems.is_empty() {
        return Err(c.problems);
    }
    let stream = ValueStream {
        stages,
        work_types,
        horizon: raw.horizon,
        warmup,
    };
    let warnings = stream
        .offered_utilization()
        .iter()
        .zip(&stream.stages)
        .filter(|(u, _)| **u >= 1.0)
        .map(|(u, s)| {
            format!(
                "stage `{}` is offered {:.0}% of its capacity: its queue will grow without bound (add workers, shorten service or lower arrival rates)",
                s.name,
                u * 100.0
            )
        })
        .collect();
    Ok(Scenario {
        name: raw.name,
        description: raw.description,
        stream,
        replications,
        seed: raw.seed.unwrap_or(DEFAULT_SEED),
        policy,
        warnings,
    })
}
