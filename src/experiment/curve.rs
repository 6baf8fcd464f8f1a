//! Reinertsen's curves as ready-made sweeps (`valueflow sweep FILE --curve NAME`): each names
//! the knobs to turn on this scenario, the metric that shows the lesson, and what the curve
//! cannot show here. The grid is then run, sharded and merged like any other sweep.
//!
//! - `utilisation`: lead time (every queue, the backlog included) as the arrival rates grow
//!   (Reinertsen 2009, *The Principles of Product Development Flow*, Q3 and Fig. 3-3: queue
//!   time rises as ρ/(1−ρ); Kingman 1961 for the G/G/1 case).
//! - `batch-size`: the release train's period against cost of delay (the holding-cost arm of
//!   the U-curve, Reinertsen B2/B3).
//! - `wip-limit`: the WIP limit of the busiest stage against cycle time (Little's law, WIP =
//!   throughput × cycle time; Reinertsen W1).
//! - `feedback-delay`: the delay of the measurement signal against value realised, for a
//!   policy that measures and stops bets (`outcome`) and one that does not (`cd3`): the value
//!   of information falls as feedback slows (Reinertsen FF7 and ch. 2).

use super::sweep::Axis;
use crate::scenario::{bounds, Scenario};

/// The curves, with what each shows, for `--curve` errors and help.
pub const CURVES: &[(&str, &str)] = &[
    (
        "utilisation",
        "lead time as the busiest stage's utilisation rises from 30% to 95%",
    ),
    (
        "batch-size",
        "cost of delay and lead time as the release train's period grows",
    ),
    (
        "wip-limit",
        "cycle time as the busiest stage's WIP limit grows, then no limit",
    ),
    (
        "feedback-delay",
        "value realised as measurement feedback slows, measuring (outcome) vs not (cd3)",
    ),
];

/// A ready-made sweep for one scenario.
#[derive(Clone, Debug)]
pub struct Curve {
    /// The curve's name.
    pub name: &'static str,
    /// The knobs, as `--vary` would give them.
    pub axes: Vec<Axis>,
    /// The metric that shows the lesson (the chart's default).
    pub metric: String,
    /// What the curve shows here, and what it cannot show, in plain words.
    pub note: String,
}

/// A utilisation as a percentage: whole for an ordinary one, with two significant digits for
/// one below 1%.
fn percent(u: f64) -> String {
    let pct = u * 100.0;
    if pct >= 1.0 || pct <= 0.0 || !pct.is_finite() {
        format!("{pct:.0}%")
    } else {
        // Two significant digits: 0.04%, 0.0012%.
        let digits = (1.0 - pct.log10().floor()).clamp(1.0, 15.0) as usize;
        format!("{pct:.digits$}%")
    }
}

/// A load past the scenario's bounds, as a message names it.
fn fmt_load(load: f64) -> String {
    if load.is_finite() {
        format!("{load:.0}")
    } else {
        "past the largest number".into()
    }
}

fn axis(spec: &str) -> Result<Axis, String> {
    Axis::parse(spec).map(|a| a.given_by("--curve"))
}

/// The busiest stage by offered utilisation (the pre-run estimate `validate` prints), with it.
/// A scenario fed by backlogs alone offers no load, so there it is the stage with the least
/// capacity: the most days of work per item per worker (its utilisation is then reported 0).
fn busiest(sc: &Scenario) -> Option<(usize, f64)> {
    let vs = &sc.stream;
    let offered = vs.offered_utilization();
    if offered.iter().any(|&u| u > 0.0 && u.is_finite()) {
        return offered
            .into_iter()
            .enumerate()
            .filter(|(_, u)| u.is_finite())
            .max_by(|a, b| a.1.total_cmp(&b.1));
    }
    (0..vs.stages.len())
        .map(|s| {
            let days = vs.service(0, s).mean() / f64::from(vs.stages[s].workers.max(1));
            (s, days)
        })
        .filter(|(_, d)| d.is_finite())
        .max_by(|a, b| a.1.total_cmp(&b.1))
        .map(|(s, _)| (s, 0.0))
}

/// The curve `name` on `sc`, or why it does not apply to this scenario.
pub fn curve(name: &str, sc: &Scenario) -> Result<Curve, String> {
    let stages = &sc.stream.stages;
    match name {
        "utilisation" => {
            let vs = &sc.stream;
            let arrives = vs
                .work_types
                .iter()
                .any(|w| w.arrival_rate.is_some_and(|r| r > 0.0))
                || vs
                    .epics
                    .iter()
                    .any(|e| e.arrival_rate.is_some_and(|r| r > 0.0));
            let (s, u) = busiest(sc).filter(|&(_, u)| u > 0.0).ok_or(if arrives {
                // Work arrives but offers no load: it takes no time at any stage.
                "`utilisation` scales the arrival rates, and the work that arrives here takes no time at any stage (its service time is 0): no queue can form at any load, so lead time cannot rise with it"
            } else {
                "`utilisation` scales the arrival rates, and this scenario has none (its work comes from backlogs only)"
            })?;
            // The loads that put the busiest stage at each target utilisation, as far as a
            // scenario's `load` may go (a stage offered almost nothing today would need more).
            let targets = [0.3, 0.4, 0.5, 0.6, 0.7, 0.75, 0.8, 0.85, 0.9, 0.95];
            let (reached, loads): (Vec<f64>, Vec<String>) = targets
                .iter()
                .map(|&t| (t, sc.load * t / u))
                .filter(|&(_, load)| load > 0.0 && load <= bounds::LOAD)
                .map(|(t, load)| {
                    // Four decimals, or four significant digits for a load below a thousandth.
                    let text = if load >= 1e-3 {
                        format!("{load:.4}")
                    } else {
                        format!("{load:.3e}")
                    };
                    (t, text)
                })
                .unzip();
            let stage = &stages[s].name;
            let (Some(lo), Some(hi)) = (reached.first(), reached.last()) else {
                return Err(format!(
                    "{stage}, the busiest stage, is offered {} of its capacity today; putting it at 30% would take `load` {}, past the most a scenario may have ({}). Raise its arrival rates or lower its workers with --set, then try again",
                    percent(u),
                    fmt_load(sc.load * targets[0] / u),
                    bounds::LOAD
                ));
            };
            let short = if reached.len() < targets.len() {
                format!(
                    " (95% would take `load` {}, past the most a scenario may have, {})",
                    fmt_load(sc.load * targets[targets.len() - 1] / u),
                    bounds::LOAD
                )
            } else {
                String::new()
            };
            Ok(Curve {
                name: "utilisation",
                axes: vec![axis(&format!("load={}", loads.join(",")))?],
                metric: "lead_time".into(),
                note: format!(
                    "`load` multiplies every arrival rate; the values put {stage} (the busiest stage, {} offered today) at {:.0}%..{:.0}% utilisation (load {} to {}){short}. Lead time, arrival to delivery, holds every queue an item waits in, the backlog included; it should rise slowly, then steeply past about 80% (Reinertsen Q3). Backlogs are not scaled.",
                    percent(u),
                    lo * 100.0,
                    hi * 100.0,
                    loads[0],
                    loads[loads.len() - 1]
                ),
            })
        }
        "batch-size" => {
            let s = stages
                .iter()
                .position(|st| st.release_every.is_some())
                .unwrap_or(stages.len() - 1);
            let stage = &stages[s].name;
            let names: Vec<String> = stages.iter().map(|st| st.name.clone()).collect();
            let element = crate::scenario::set::element_path("stages", &names, s);
            let valued = !sc.stream.epics.is_empty()
                || sc.stream.work_types.iter().any(|w| w.value.is_some());
            Ok(Curve {
                name: "batch-size",
                axes: vec![axis(&format!(
                    "{element}.release_every=none,1,2,3,5,7,10,14,21,28"
                ))?],
                metric: if valued { "cost_of_delay" } else { "lead_time" }.into(),
                note: format!(
                    "Releases from {stage} leave every N days (none: each item as it is done). valueflow charges no cost per release, so this is the holding-cost arm of Reinertsen's U-curve only (cost of delay and lead time rise with the batch); add your transaction cost per release by hand to find the bottom of the U."
                ),
            })
        }
        "wip-limit" => {
            let (s, _) =
                busiest(sc).ok_or("no stage has an offered load to rank (no arrival rate)")?;
            let st = &stages[s];
            let names: Vec<String> = stages.iter().map(|st| st.name.clone()).collect();
            let element = crate::scenario::set::element_path("stages", &names, s);
            // Up to 40, or twice the workers of a stage wider than that, in at most 40 steps.
            let lo = st.workers.max(2);
            let cap = if lo <= 40 { 40 } else { lo.saturating_mul(2) };
            let top = st
                .wip_limit
                .map_or(st.workers.saturating_mul(4), |l| l.saturating_mul(2))
                .clamp(lo, cap);
            let from = st.workers.max(1);
            let step = ((top - from) / 39).max(1) as usize;
            let mut limits: Vec<u32> = (from..=top).step_by(step).collect();
            if limits.last() != Some(&top) {
                limits.push(top);
            }
            Ok(Curve {
                name: "wip-limit",
                axes: vec![axis(&format!(
                    "{}.wip_limit={}",
                    element,
                    limits
                        .iter()
                        .map(|v| v.to_string())
                        .chain(["none".to_string()])
                        .collect::<Vec<_>>()
                        .join(",")
                ))?],
                metric: "cycle_time".into(),
                note: format!(
                    "The WIP limit of {} (the busiest stage) from its {} workers up, then none. By Little's law a lower limit shortens cycle time while throughput holds; too low starves the stage and throughput falls. Draw value with --metric value_realised, or merge the records again with another --metric.",
                    st.name, st.workers
                ),
            })
        }
        "feedback-delay" => {
            if sc.stream.epics.is_empty() {
                return Err(
                    "`feedback-delay` needs epics (bets whose outcome is measured); this scenario has none"
                        .into(),
                );
            }
            Ok(Curve {
                name: "feedback-delay",
                axes: vec![
                    axis("epics.*.feedback_delay=0,7,14,28,56,112")?,
                    axis("policy=cd3,outcome")?,
                ],
                metric: "value_realised".into(),
                note: "Every epic's feedback delay, for cd3 (does not measure) and outcome (measures and stops failed bets). The gap between the lines is the value of closing the loop; it shrinks as feedback slows. Measuring never loses value in expectation, so outcome should stay at or above cd3 at every delay.".into(),
            })
        }
        other => Err(format!(
            "unknown curve `{other}`; valid: {}",
            CURVES.iter().map(|c| c.0).collect::<Vec<_>>().join(", ")
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn flagship() -> Scenario {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/outcomes.toml");
        crate::scenario::load(&path).unwrap()
    }

    #[test]
    fn every_curve_applies_to_the_flagship() {
        let sc = flagship();
        for (name, _) in CURVES {
            let c = curve(name, &sc).unwrap();
            assert!(!c.axes.is_empty() && !c.note.is_empty(), "{name}");
        }
        // A backlog-only scenario: the WIP-limit curve finds the least capacity (build).
        let wip = crate::scenario::load(
            &std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/wip-limits.toml"),
        )
        .unwrap();
        let w = curve("wip-limit", &wip).unwrap();
        assert!(
            w.axes[0].name.starts_with("stages.build."),
            "{}",
            w.axes[0].name
        );
        assert!(curve("utilisation", &wip).is_err());
        let u = curve("utilisation", &sc).unwrap();
        assert_eq!(u.axes[0].values.len(), 10);
        assert_eq!(u.metric, "lead_time");
        let f = curve("feedback-delay", &sc).unwrap();
        assert_eq!(f.axes[1].name, "policy");
        assert!(curve("nonsense", &sc)
            .unwrap_err()
            .contains("valid: utilisation"));
    }

    #[test]
    fn the_utilisation_curve_keeps_to_the_loads_a_scenario_may_have() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/mm1.toml");
        let loads = |c: &Curve| -> Vec<f64> {
            c.axes[0]
                .values
                .iter()
                .map(|v| v.as_ref().and_then(|v| v.as_f64()).unwrap())
                .collect()
        };
        let mut sc = crate::scenario::load(&path).unwrap();
        // Today's width: every target is reachable.
        let today = curve("utilisation", &sc).unwrap();
        assert_eq!(loads(&today).len(), 10);
        // So wide that 95% needs a load past the bound, 30% does not: the reachable ones.
        sc.stream.stages[0].workers *= 2000;
        let wide = curve("utilisation", &sc).unwrap();
        let l = loads(&wide);
        assert!(!l.is_empty() && l.len() < 10, "{l:?}");
        assert!(l.iter().all(|&x| x > 0.0 && x <= bounds::LOAD), "{l:?}");
        assert!(
            wide.note.contains("past the most a scenario may have"),
            "{}",
            wide.note
        );
        // Its points are named by the flag the user gave, not a `--vary` they did not.
        assert_eq!(wide.axes[0].label(), "--curve load");
        let point = wide.axes[0].setting(Some(serde_json::json!(2000)));
        assert!(
            point.label().starts_with("--curve load="),
            "{}",
            point.label()
        );
        // A point the curve derives, not a flag the user gave.
        assert!(!point.is_given() && !point.is_run_flag());
        // So wide that nothing is reachable: said in the curve's own words, no `--vary`.
        sc.stream.stages[0].workers *= 1000;
        let e = curve("utilisation", &sc).unwrap_err();
        assert!(
            e.contains("past the most a scenario may have (1000)"),
            "{e}"
        );
        assert!(!e.contains("--vary"), "{e}");
        // So overloaded that the loads are tiny: still positive numbers, not 0.0000.
        sc.stream.stages[0].workers = 1;
        sc.stream.work_types[0].arrival_rate = Some(1e5);
        let tiny = loads(&curve("utilisation", &sc).unwrap());
        assert_eq!(tiny.len(), 10);
        assert!(tiny.iter().all(|&x| x > 0.0 && x < 1e-4), "{tiny:?}");
    }

    /// Arrivals, but a stage that takes no time: the curve cannot apply, and the reason given
    /// is that one (no queue can form), not a want of arrival rates.
    #[test]
    fn the_utilisation_curve_says_service_without_time_forms_no_queue() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/mm1.toml");
        let mut sc = crate::scenario::load(&path).unwrap();
        sc.stream.stages[0].service =
            crate::model::Dist::new(crate::model::DistSpec::Fixed { value: 0.0 }).unwrap();
        let e = curve("utilisation", &sc).unwrap_err();
        assert!(!e.contains("backlogs only"), "{e}");
        assert!(e.contains("service time is 0"), "{e}");
        assert!(e.contains("no queue can form"), "{e}");
        // Without arrival rates, the reason stays the backlogs.
        sc.stream.work_types[0].arrival_rate = None;
        sc.stream.work_types[0].backlog = 5;
        let e = curve("utilisation", &sc).unwrap_err();
        assert!(e.contains("backlogs only"), "{e}");
    }

    #[test]
    fn small_utilisations_read_as_plain_percentages() {
        assert_eq!(percent(0.8), "80%");
        assert_eq!(percent(0.0004), "0.040%");
        assert_eq!(percent(0.000_012), "0.0012%");
        assert_eq!(percent(0.0), "0%");
    }

    #[test]
    fn the_wip_limit_curve_fits_any_width_of_stage() {
        let mut sc = flagship();
        for workers in [1, 4, 40, 41, 100_000, u32::MAX / 2] {
            for s in &mut sc.stream.stages {
                s.workers = workers;
            }
            let w = curve("wip-limit", &sc).unwrap();
            let values = &w.axes[0].values;
            assert!(
                values.len() <= 42 && values.len() >= 2,
                "{workers}: {values:?}"
            );
        }
    }
}
