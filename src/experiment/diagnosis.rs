//! Reading a run like a Kanban coach: did the system reach a steady state, which stage is the
//! constraint, and where does the cycle time go.
//!
//! Pure functions of a [`RunSummary`]; the reports print their statements.
//!
//! - **Stability.** A queueing system has a steady state only if work leaves as fast as it
//!   arrives (utilisation below 1 at every stage: Kleinrock 1975, *Queueing Systems* vol. 1,
//!   §2.2). The check is empirical, not the offered-load estimate: the trend of the items in
//!   the value stream (backlog and WIP) over the window after warm-up, with its 95% interval
//!   across replications. If it grows significantly, by at least [`GROWTH_PER_MONTH`] items a
//!   month, the run is *not* a steady state: flow-time figures only describe the items the
//!   horizon let finish (they are censored) and grow with the horizon.
//! - **The constraint.** The utilisation method with blocking and starvation as evidence
//!   (Roser, Nakano & Tanaka 2001, "A practical bottleneck detection method", *Proceedings of
//!   the Winter Simulation Conference*, compare it with their active-period method; Kuo, Lim &
//!   Meerkov 1996, "Bottlenecks in serial production lines: a system-theoretic approach",
//!   *Mathematical Problems in Engineering* 2, read blocking of the stage before and starvation
//!   of the stage after). In a serial line every stage passes the same flow, so the stage whose
//!   workers are busy the largest share of the time has the least spare capacity: it sets the
//!   pace. Upstream of it, stages are blocked (done work cannot move on); downstream, they are
//!   starved. When the two busiest stages are within [`SHIFTING`] of each other the constraint
//!   shifts between them (Roser et al.'s shifting bottleneck) and both are named.

use super::RunSummary;
use crate::metrics::Stat;

/// Growth of the work in the value stream, items a month, from which a run is not a steady
/// state (when the 95% interval of the growth is also above 0). Below one item a month a queue
/// takes years to become visible on a board; that is drift, not instability.
pub const GROWTH_PER_MONTH: f64 = 1.0;

/// Busy shares within this distance of the busiest stage's make a shifting constraint.
pub const SHIFTING: f64 = 0.03;

/// Below this busy share at every stage, the team has no internal constraint: demand is.
pub const NO_CONSTRAINT: f64 = 0.5;

/// The verdict of the stability check.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// The work in the value stream did not grow by [`GROWTH_PER_MONTH`] or more.
    Steady,
    /// It grew by at least that much, significantly (95% interval above 0).
    Unstable,
    /// It grew by at least that much on average, but too few replications to be sure.
    Undetermined,
    /// It shrank significantly by at least that much: a finite backlog being worked off.
    Draining,
}

impl Verdict {
    /// Its name in the JSON output.
    pub fn name(self) -> &'static str {
        match self {
            Verdict::Steady => "steady",
            Verdict::Unstable => "unstable",
            Verdict::Undetermined => "undetermined",
            Verdict::Draining => "draining",
        }
    }
}

/// Whether a run reached a steady state.
#[derive(Clone, Debug, PartialEq)]
pub struct Stability {
    /// The verdict.
    pub verdict: Verdict,
    /// True when the verdict is [`Verdict::Steady`].
    pub steady_state: bool,
    /// Items arriving per day after warm-up (mean over replications).
    pub arrival_rate: f64,
    /// Items finished per day after warm-up (mean over replications).
    pub throughput: f64,
    /// Trend of the items in the value stream, items a month (mean over replications).
    pub growth_per_month: f64,
    /// Half-width of its 95% interval.
    pub growth_ci95: f64,
    /// The verdict in one sentence.
    pub statement: String,
}

/// How a steady run's work in the system moved: no trend, or a significant drift (its 95%
/// interval excludes 0) too small to call instability.
fn steady_trend(growth: f64, ci: f64) -> String {
    if growth.abs() > ci {
        format!(
            "the work in the system drifted by {growth:+.1} ±{ci:.1} items a month, less than the {GROWTH_PER_MONTH:.0} item a month that would make a queue visible on a board"
        )
    } else {
        format!("the work in the system did not trend ({growth:+.1} ±{ci:.1} items a month)")
    }
}

/// Judges the stability of a run from its summary.
pub fn stability(s: &RunSummary) -> Stability {
    let mean = |x: &Stat| x.mean.unwrap_or(f64::NAN);
    let (growth, ci) = (
        mean(&s.growth_per_month),
        s.growth_per_month.ci95.unwrap_or(0.0),
    );
    let (arrivals, throughput) = (mean(&s.arrival_rate), mean(&s.throughput));
    let verdict = if growth <= -GROWTH_PER_MONTH && growth + ci < 0.0 {
        Verdict::Draining
    } else if growth.is_nan() || growth < GROWTH_PER_MONTH {
        Verdict::Steady
    } else if growth - ci > 0.0 {
        Verdict::Unstable
    } else {
        Verdict::Undetermined
    };
    let statement = if verdict == Verdict::Steady {
        format!(
            "Steady state: {throughput:.3} items/day finished against {arrivals:.3}/day arriving; {}.",
            steady_trend(growth, ci)
        )
    } else if verdict == Verdict::Draining {
        format!(
            "Draining, not a steady state: the work in the system shrinks by about {:.1} items a month (±{ci:.1}), {throughput:.3} items/day finished against {arrivals:.3}/day arriving; a finite backlog is being worked off, and lead times depend on how long the backlog was.",
            -growth
        )
    } else if verdict == Verdict::Undetermined {
        format!(
            "Stability undetermined: the work in the system grew by {growth:.1} ±{ci:.1} items a month ({throughput:.3} items/day finished against {arrivals:.3}/day arriving); run more replications to tell a trend from noise."
        )
    } else {
        let wip = mean(&s.wip_growth_per_month);
        let where_ = if wip >= GROWTH_PER_MONTH {
            format!(
                ", {wip:.1} of them committed (no WIP limit holds the work in progress: a stage has none, or the policy ignores them)"
            )
        } else {
            " in the backlog (the WIP limits hold the committed part steady)".to_string()
        };
        format!(
            "Not a steady state: the work waiting grows by about {growth:.1} items a month (±{ci:.1}){where_}; {throughput:.3} items/day finished against {arrivals:.3}/day arriving. Lead-time figures are censored by the horizon: they count only the items the run let finish, and grow with a longer run."
        )
    };
    Stability {
        verdict,
        steady_state: verdict == Verdict::Steady,
        arrival_rate: arrivals,
        throughput,
        growth_per_month: growth,
        growth_ci95: ci,
        statement,
    }
}

/// The constraint of a value stream, with its evidence.
#[derive(Clone, Debug, PartialEq)]
pub struct Bottleneck {
    /// Index of the stage.
    pub stage: usize,
    /// Its name.
    pub name: String,
    /// Share of its workers' time busy.
    pub busy: f64,
    /// The stage before it and the share of its worker time blocked, if there is one.
    pub upstream_blocked: Option<(String, f64)>,
    /// The stage after it and the share of its worker time starved, if there is one.
    pub downstream_starved: Option<(String, f64)>,
    /// Another stage busy within [`SHIFTING`] of it, if any: the constraint shifts.
    pub shifting_with: Option<String>,
    /// False when no stage is busy at least [`NO_CONSTRAINT`] of the time.
    pub constrained: bool,
    /// The finding in one sentence.
    pub statement: String,
}

/// Names the constraint of a run, or `None` when no stage did any work.
pub fn bottleneck(s: &RunSummary) -> Option<Bottleneck> {
    let busy: Vec<f64> = s
        .stages
        .iter()
        .map(|st| st.utilization.mean.unwrap_or(f64::NAN))
        .collect();
    let (stage, &top) = busy
        .iter()
        .enumerate()
        .filter(|(_, b)| b.is_finite())
        .max_by(|a, b| a.1.total_cmp(b.1))?;
    if top <= 0.0 {
        return None;
    }
    let name = s.stages[stage].name.clone();
    let share = |x: &Stat| x.mean.unwrap_or(0.0);
    let upstream_blocked = stage
        .checked_sub(1)
        .map(|u| (s.stages[u].name.clone(), share(&s.stages[u].blocked)));
    let downstream_starved = s
        .stages
        .get(stage + 1)
        .map(|d| (d.name.clone(), share(&d.starved)));
    let shifting_with = busy
        .iter()
        .enumerate()
        .filter(|&(i, b)| i != stage && b.is_finite() && top - b <= SHIFTING)
        .max_by(|a, b| a.1.total_cmp(b.1))
        .map(|(i, _)| s.stages[i].name.clone());
    let constrained = top >= NO_CONSTRAINT;
    let pct = |x: f64| format!("{:.0}%", x * 100.0);
    let statement = if !constrained {
        format!(
            "No constraint inside the team: the busiest stage, {name}, is busy only {} of the time; work arrives slower than the team can finish it.",
            pct(top)
        )
    } else {
        let mut evidence = vec![format!("busy {} of the time", pct(top))];
        if let Some((u, b)) = &upstream_blocked {
            if *b >= 0.005 {
                evidence.push(format!("{u} blocked {} waiting for room in it", pct(*b)));
            }
        }
        if let Some((d, st)) = &downstream_starved {
            evidence.push(format!("{d} starved {}", pct(*st)));
        }
        let shift = shifting_with
            .as_ref()
            .map(|o| format!(" The constraint shifts between {name} and {o} (busy within {} points of each other).", (SHIFTING * 100.0).round()))
            .unwrap_or_default();
        // Work piles up, yet the constraint idles: what holds it back is the WIP limits
        // around it, not its capacity.
        let st = &s.stages[stage];
        let (blocked, starved) = (share(&st.blocked), share(&st.starved));
        let held = if stability(s).verdict == Verdict::Unstable && blocked + starved >= 0.05 {
            format!(
                " Yet it idles {} of the time while work piles up (blocked {}, starved {}): the WIP limits around it are too tight to keep it busy.",
                pct(blocked + starved),
                pct(blocked),
                pct(starved)
            )
        } else {
            String::new()
        };
        format!(
            "Constraint: {name} ({}): it has the least spare capacity and sets the pace, so one more worker there would raise the most work the team can finish.{held}{shift}",
            evidence.join("; ")
        )
    };
    Some(Bottleneck {
        stage,
        name,
        busy: top,
        upstream_blocked,
        downstream_starved,
        shifting_with,
        constrained,
        statement,
    })
}

#[cfg(test)]
mod tests {
    use super::steady_trend;

    #[test]
    fn a_significant_drift_is_not_called_no_trend() {
        assert!(steady_trend(0.7, 0.3).contains("drifted by +0.7 ±0.3"));
        assert!(steady_trend(-0.5, 0.2).contains("drifted by -0.5"));
        assert!(steady_trend(0.1, 0.2).contains("did not trend (+0.1 ±0.2"));
        assert!(steady_trend(f64::NAN, 0.0).contains("did not trend"));
    }
}
