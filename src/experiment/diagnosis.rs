//! Reading a run like a Kanban coach: did the system reach a steady state, which stage is the
//! constraint, and where does the cycle time go.
//!
//! Pure functions of a [`RunSummary`]; the reports print their statements.
//!
//! - **Stability.** A queueing system has a steady state only if work leaves as fast as it
//!   arrives (utilisation below 1 at every stage: Kleinrock 1975, *Queueing Systems* vol. 1,
//!   §2.2). The check is empirical, not the offered-load estimate: the trend of the items in
//!   the value stream (backlog and WIP) over the window after warm-up, with its 95% interval
//!   across replications. If it grows significantly, by at least [`stability_threshold`]
//!   items a month ([`GROWTH_PER_MONTH`], or a tenth of the monthly arrivals of a slower flow,
//!   or, if less, the growth that adds half the work in the system over the window measured:
//!   [`GROWTH_OF_LEVEL`]), the run is *not* a steady state: flow-time figures only describe
//!   the items the horizon let finish (they are censored) and grow with the horizon. One
//!   replication gives no interval, so it can only be called steady (no growth of that size)
//!   or undetermined. A run that finished nothing after the warm-up has no flow to judge: it
//!   is undetermined, never steady (work that does not move does not grow either).
//! - **The constraint.** The utilisation method with blocking and starvation as evidence
//!   (Roser, Nakano & Tanaka 2001, "A practical bottleneck detection method", *Proceedings of
//!   the Winter Simulation Conference*, compare it with their active-period method; Kuo, Lim &
//!   Meerkov 1996, "Bottlenecks in serial production lines: a system-theoretic approach",
//!   *Mathematical Problems in Engineering* 2, read blocking of the stage before and starvation
//!   of the stage after). In a serial line every stage passes the same flow, so the stage whose
//!   workers are busy the largest share of the time has the least spare capacity: it sets the
//!   pace. Upstream of it, stages are blocked (done work cannot move on); downstream, they are
//!   starved. When the two busiest stages are within [`SHIFTING`] of each other the constraint
//!   shifts between them (Roser et al.'s shifting bottleneck) and both are named. When no stage
//!   is busy [`NO_CONSTRAINT`] of the time yet work piles up, the constraint is not a stage's
//!   capacity: a release train, WIP limits or the policy hold the flow back.
//!
//! The value stream is read for its configuration only (WIP limits, release trains, workers,
//! the warm-up), to say which of these can explain what the summary measured.

use super::{RunSummary, DAYS_PER_MONTH};
use crate::metrics::Stat;
use crate::model::ValueStream;

/// Growth of the work in the value stream, items a month, from which a run is not a steady
/// state (when the 95% interval of the growth is also above 0). Below one item a month a queue
/// takes years to become visible on a board; that is drift, not instability.
pub const GROWTH_PER_MONTH: f64 = 1.0;

/// Share of the monthly arrivals from which a slower flow's growth is instability: a flow of
/// a few items a month can pile up a tenth of them every month, unseen by a fixed threshold
/// (an arrival rate 10% above what the team finishes).
pub const GROWTH_SHARE: f64 = 0.1;

/// The growth, items a month, from which a run with `arrivals` items a day is not a steady
/// state: [`GROWTH_PER_MONTH`], or [`GROWTH_SHARE`] of the monthly arrivals if that is less.
pub fn growth_threshold(arrivals: f64) -> f64 {
    let share = GROWTH_SHARE * arrivals * DAYS_PER_MONTH;
    if share > 0.0 {
        GROWTH_PER_MONTH.min(share)
    } else {
        GROWTH_PER_MONTH
    }
}

/// Share of its average level by which the work in the system grows over the window measured
/// from which the run is not a steady state, however slow the growth per month. A steady
/// state's level moves around its mean with no trend; a queue that builds up from empty at a
/// constant rate ends the window at twice its average. A level that grew by half its average
/// or more changed materially during the run, so its averages describe no one state: a 3%
/// overload (1.03 arrivals a day at a team that finishes 1) piles up 0.9 items a month, yet
/// over ten years that is about 110 items.
pub const GROWTH_OF_LEVEL: f64 = 0.5;

/// The growth, items a month, from which a run is not a steady state: [`growth_threshold`]
/// of its `arrivals` (items a day), or, if that is less, the growth that adds
/// [`GROWTH_OF_LEVEL`] of the `items` in the value stream on average (at least one item) over
/// the `months` measured after warm-up.
pub fn stability_threshold(arrivals: f64, items: f64, months: f64) -> Threshold {
    let absolute = growth_threshold(arrivals);
    let of_level = GROWTH_OF_LEVEL * items.max(1.0) / months;
    if months > 0.0 && of_level < absolute {
        Threshold {
            per_month: of_level,
            of_level: Some((items, months)),
        }
    } else {
        Threshold {
            per_month: absolute,
            of_level: None,
        }
    }
}

/// The growth from which a run is not a steady state ([`stability_threshold`]).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Threshold {
    /// Items a month.
    pub per_month: f64,
    /// When it is set by the level of the work in the system: that level (items) and the
    /// months measured.
    pub of_level: Option<(f64, f64)>,
}

/// Busy shares within this distance of the busiest stage's make a shifting constraint.
pub const SHIFTING: f64 = 0.03;

/// Below this busy share at every stage, the team has no internal constraint: demand is.
pub const NO_CONSTRAINT: f64 = 0.5;

/// The verdict of the stability check.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// The work in the value stream did not grow by [`stability_threshold`] or more.
    Steady,
    /// It grew by at least that much, significantly (95% interval above 0).
    Unstable,
    /// It grew by at least that much on average, but too few replications to be sure (or a
    /// single replication changed by that much either way: no interval); or nothing was
    /// finished after the warm-up, so there is no flow whose balance could be judged.
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
    /// The growth, items a month, from which the run is not a steady state
    /// ([`stability_threshold`]).
    pub threshold: f64,
    /// The verdict in one sentence.
    pub statement: String,
}

/// How a steady run's work in the system moved: no trend, or a significant drift (its 95%
/// interval excludes 0) too small to call instability (below `threshold`).
fn steady_trend(growth: f64, ci: Option<f64>, threshold: Threshold) -> String {
    let Some(ci) = ci else {
        return format!(
            "the work in the system changed by {} items a month in the one replication, less than the {} that would count as a queue building up",
            signed_small(growth),
            threshold_words(threshold)
        );
    };
    if growth.abs() > ci {
        format!(
            "the work in the system drifted by {growth:+.1} ±{ci:.1} items a month, less than the {} that would count as a queue building up",
            threshold_words(threshold)
        )
    } else {
        format!("the work in the system did not trend ({growth:+.1} ±{ci:.1} items a month)")
    }
}

/// The threshold in words: "1 item a month", "0.25 items a month (a tenth of the
/// arrivals)", or "0.21 items a month (half the 4.2 items in the system over the 10 months
/// measured)".
fn threshold_words(threshold: Threshold) -> String {
    let t = threshold.per_month;
    match threshold.of_level {
        Some((items, months)) => format!(
            "{} items a month (half the {} in the system over the {months:.0} months measured)",
            two_significant(t),
            if items > 1.0 {
                format!("{items:.1} items")
            } else {
                "1 item".to_string()
            }
        ),
        None if t >= GROWTH_PER_MONTH => format!("{GROWTH_PER_MONTH:.0} item a month"),
        None => format!(
            "{} items a month (a tenth of the arrivals)",
            two_significant(t)
        ),
    }
}

/// A small positive number with two significant digits (0.42, 0.021, 0.00016), so that a
/// threshold never reads 0.00.
fn two_significant(x: f64) -> String {
    if !x.is_finite() || x <= 0.0 || x >= 0.1 {
        return format!("{x:.2}");
    }
    let decimals = (-x.log10().floor()) as usize + 1;
    format!("{x:.decimals$}")
}

/// A growth with its sign: one decimal, or two significant digits below 0.1 (+0.00041).
fn signed_small(x: f64) -> String {
    if x.is_finite() && x != 0.0 && x.abs() < 0.1 {
        let sign = if x < 0.0 { "-" } else { "+" };
        format!("{sign}{}", two_significant(x.abs()))
    } else {
        format!("{x:+.1}")
    }
}

/// Judges the stability of a run of `vs` from its summary.
pub fn stability(s: &RunSummary, vs: &ValueStream) -> Stability {
    let mean = |x: &Stat| x.mean.unwrap_or(f64::NAN);
    let growth = mean(&s.growth_per_month);
    // No interval from one replication: it cannot show significance either way.
    let interval = s.growth_per_month.ci95;
    let ci = interval.unwrap_or(0.0);
    let (arrivals, throughput) = (mean(&s.arrival_rate), mean(&s.throughput));
    let items = mean(&s.wip) + mean(&s.backlog);
    let months = (vs.horizon - vs.warmup) / DAYS_PER_MONTH;
    let limit = stability_threshold(arrivals, if items.is_nan() { 0.0 } else { items }, months);
    let threshold = limit.per_month;
    // Nothing finished after the warm-up: a run whose work did not grow either is in balance
    // only trivially (nothing in, nothing out); without a flow, stability cannot be judged.
    let no_flow = throughput == 0.0;
    let verdict = if growth.is_nan() || growth.abs() < threshold {
        if no_flow {
            Verdict::Undetermined
        } else {
            Verdict::Steady
        }
    } else if interval.is_none() {
        Verdict::Undetermined
    } else if growth < 0.0 {
        if growth + ci < 0.0 {
            Verdict::Draining
        } else {
            Verdict::Steady
        }
    } else if growth - ci > 0.0 {
        Verdict::Unstable
    } else {
        Verdict::Undetermined
    };
    let flows = format!("{throughput:.3} items/day finished against {arrivals:.3}/day arriving");
    // Without a warm-up the run starts empty: its first weeks fill the system up, which reads
    // as growth.
    // Growth under the per-month threshold is judged by what it adds up to over the window.
    let over_window = match limit.of_level {
        Some((items, months)) if growth.abs() < growth_threshold(arrivals) => format!(
            " Over the {months:.0} months measured that is about {:.0} items, against {items:.1} in the system on average: the level changed too much during the run for its averages to describe one state.",
            growth.abs() * months
        ),
        _ => String::new(),
    };
    let cold = if vs.warmup <= 0.0 {
        " The run has no warm-up: part of this growth may be an empty system filling up; a `warmup` leaves the start out."
    } else {
        ""
    };
    let statement = match verdict {
        // Not a flow in balance: no flow at all (a backlog that never moves on, say).
        Verdict::Undetermined if no_flow && arrivals == 0.0 => format!(
            "No flow: nothing arrived and nothing was finished after the warm-up ({flows}); whatever was in the value stream stayed where it was. Stability undetermined: it cannot be judged without a flow."
        ),
        Verdict::Undetermined if no_flow && (growth.is_nan() || growth.abs() < threshold) => {
            format!(
                "No flow: nothing was finished after the warm-up ({flows}). Stability undetermined: it cannot be judged without a flow."
            )
        }
        Verdict::Steady => format!(
            "Steady state: {flows}; {}.",
            steady_trend(growth, interval, limit)
        ),
        Verdict::Draining => format!(
            "Draining, not a steady state: the work in the system shrinks by about {:.1} items a month (±{ci:.1}), {flows}; a finite backlog is being worked off, and lead times depend on how long the backlog was.{over_window}",
            -growth
        ),
        Verdict::Undetermined if interval.is_none() => format!(
            "Stability undetermined: the work in the system changed by {growth:+.1} items a month in the one replication ({flows}); one replication gives no interval: run more replications to tell a trend from noise."
        ),
        Verdict::Undetermined => format!(
            "Stability undetermined: the work in the system grew by {growth:.1} ±{ci:.1} items a month ({flows}); run more replications to tell a trend from noise."
        ),
        Verdict::Unstable => {
            let wip = mean(&s.wip_growth_per_month);
            let limited = vs.stages.iter().all(|st| st.wip_limit.is_some());
            let ignored = !s.honours_wip_limits;
            let where_ = if wip >= threshold {
                let part = if wip > growth {
                    // The backlog feeds the work in progress: it shrinks as WIP grows.
                    format!(
                        ", all of it committed: the work in progress grows by {wip:.1} a month while the backlog shrinks"
                    )
                } else {
                    format!(", {wip:.1} of them committed")
                };
                let why = if ignored {
                    " (the policy starts everything, ignoring the WIP limits)"
                } else if limited {
                    ", though every stage has a WIP limit: the work in progress is still filling up to the limits, or the policy starts work beyond them"
                } else {
                    " (no WIP limit holds the work in progress: a stage has none, or the policy ignores them)"
                };
                format!("{part}{why}")
            } else if ignored {
                // A start-everything policy holds no limit: the team's juggling capacity does.
                " in the backlog (the committed part stays steady)".to_string()
            } else {
                " in the backlog (the WIP limits hold the committed part steady)".to_string()
            };
            format!(
                "Not a steady state: the work waiting grows by about {growth:.1} items a month (±{ci:.1}){where_}; {flows}.{over_window} Lead-time figures are censored by the horizon: they count only the items the run let finish, and grow with a longer run.{cold}"
            )
        }
    };
    Stability {
        verdict,
        steady_state: verdict == Verdict::Steady,
        arrival_rate: arrivals,
        throughput,
        growth_per_month: growth,
        growth_ci95: ci,
        threshold,
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
    /// Share of its workers' time busy (of the workers its WIP limit lets work, when that is
    /// fewer).
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

/// Names the constraint of a run of `vs`, or `None` when no stage did any work.
pub fn bottleneck(s: &RunSummary, vs: &ValueStream) -> Option<Bottleneck> {
    // Under a policy that keeps WIP limits a stage has no more items in service than its
    // limit: its busy share counts only the workers the limit lets work, or a limit below the
    // workers would hide the constraint. Rework sent back into a full stage enters past its
    // limit, so the share is at most all of them.
    let limits = |config: &crate::model::Stage| wip_limit(config, s.honours_wip_limits);
    let busy: Vec<f64> = s
        .stages
        .iter()
        .zip(&vs.stages)
        .map(|(st, config)| {
            (st.utilization.mean.unwrap_or(f64::NAN) * usable_share(config, limits(config)))
                .min(1.0)
        })
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
    let st = stability(s, vs);
    let piling = st.verdict == Verdict::Unstable;
    // A team that keeps up with what arrives finishes what arrives, however it is staffed:
    // demand sets its pace, and its busiest stage only limits how much more it could take on.
    // Only where the run shows it: steady, with the whole interval of its growth under the
    // threshold (a wide interval from a few replications could hide work piling up).
    let keeps_up = st.verdict == Verdict::Steady
        && st.growth_per_month.abs() + st.growth_ci95 < st.threshold
        && st.throughput > 0.0;
    // Nothing finished after the warm-up and nothing piled up: no flow whose constraint could
    // be named, and no arrivals outpaced by the team either; say what held the work. (Work
    // that piles up with nothing finished is the next case: a stage's capacity is not it.)
    let no_flow = s.throughput.mean == Some(0.0);
    let statement = if no_flow && !constrained && !piling {
        format!(
            "No constraint can be named without a flow: nothing was finished after the warm-up, and the busiest stage, {name}, was busy only {} of the time; what held the work is {}.",
            pct(top),
            held_back_by(vs, s.honours_wip_limits)
        )
    } else if !constrained && !piling {
        format!(
            "No constraint inside the team: the busiest stage, {name}, is busy only {} of the time; work arrives slower than the team can finish it.",
            pct(top)
        )
    } else if !constrained {
        format!(
            "No stage is the constraint, yet work piles up: the busiest stage, {name}, is busy only {} of the time, so what holds the flow back is not a stage's capacity but {}.",
            pct(top),
            held_back_by(vs, s.honours_wip_limits)
        )
    } else {
        let usable = usable_share(&vs.stages[stage], limits(&vs.stages[stage]));
        let mut evidence = vec![if usable > 1.0 {
            format!(
                "busy {} of the time, of the workers its WIP limit lets work",
                pct(top)
            )
        } else {
            format!("busy {} of the time", pct(top))
        }];
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
        // around it, not its capacity. Without a limit around it, idling is only the
        // variability of its arrivals.
        let st = &s.stages[stage];
        let (blocked, starved) = (share(&st.blocked), share(&st.starved));
        let limits_around = vs.stages[stage.saturating_sub(1)..vs.stages.len().min(stage + 2)]
            .iter()
            .any(|st| limits(st).is_some());
        // Under a WIP limit below its workers, the workers the limit leaves out always idle:
        // what counts is how much those it lets work idle, beside the busy share above.
        let held = if usable > 1.0 {
            let idle = 1.0 - top;
            if piling && limits_around && idle >= 0.05 {
                format!(
                    " Yet the workers its WIP limit lets work idle {} of the time while work piles up: the WIP limits around it are too tight to keep them busy.",
                    pct(idle)
                )
            } else {
                String::new()
            }
        } else if piling && limits_around && blocked + starved >= 0.05 {
            format!(
                " Yet it idles {} of the time while work piles up (blocked {}, starved {}): the WIP limits around it are too tight to keep it busy.",
                pct(blocked + starved),
                pct(blocked),
                pct(starved)
            )
        } else {
            String::new()
        };
        let config = &vs.stages[stage];
        // What more capacity there would change: the work finished where the team cannot
        // keep up; where it does, the time items wait (it finishes what arrives already).
        let gain = if keeps_up {
            "would shorten waits rather than raise the work finished, which is what arrives (`advise` measures which move shortens them most)"
        } else {
            "would raise the most work the team can finish"
        };
        let remedy = match limits(config) {
            // A stage never has more items in service than its WIP limit: workers beyond it
            // have nothing to take.
            Some(limit) if limit < config.workers => format!(
                "but its WIP limit of {limit} lets at most {limit} of its {} workers work at once, so raising that limit, before adding a worker, {gain}",
                config.workers
            ),
            Some(limit) if limit == config.workers => format!(
                "so one more worker there, with its WIP limit of {limit} raised to match, {gain}"
            ),
            _ => format!("so one more worker there {gain}"),
        };
        let role = if keeps_up {
            "it has the least spare capacity (the team keeps up with demand, which sets the pace)"
        } else {
            "it has the least spare capacity and sets the pace"
        };
        format!(
            "Constraint: {name} ({}): {role}, {remedy}.{held}{shift}",
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

/// A stage's WIP limit as the policy lives it: none under a policy that ignores WIP limits.
fn wip_limit(stage: &crate::model::Stage, honoured: bool) -> Option<u32> {
    stage.wip_limit.filter(|_| honoured)
}

/// Workers over the workers a WIP limit of `limit` lets work at once in `stage` (1 without a
/// limit, or with one at least its workers): its utilisation times this is the busy share of
/// those it can use.
fn usable_share(stage: &crate::model::Stage, limit: Option<u32>) -> f64 {
    match limit {
        Some(limit) if limit > 0 && limit < stage.workers => {
            f64::from(stage.workers) / f64::from(limit)
        }
        _ => 1.0,
    }
}

/// What can hold a flow back when no stage is busy: the release trains, the WIP limits (if the
/// policy keeps them), or else the policy, from the value stream's configuration.
fn held_back_by(vs: &ValueStream, limits_honoured: bool) -> String {
    let window = vs.horizon - vs.warmup;
    let trains: Vec<String> = vs
        .stages
        .iter()
        .filter_map(|st| {
            let every = st.release_every?;
            Some(if every >= window {
                // `{}` of an f64 prints no needless decimals: 500, 2.5.
                format!(
                    "{}'s release train (every {every} days, longer than the {window} days measured)",
                    st.name
                )
            } else {
                format!("{}'s release train (every {every} days)", st.name)
            })
        })
        .collect();
    if !trains.is_empty() {
        return trains.join(" and ");
    }
    if limits_honoured && vs.stages.iter().any(|st| st.wip_limit.is_some()) {
        return "the WIP limits (work waits for room, not for people)".to_string();
    }
    "the way work is started (the policy, rework or batching)".to_string()
}

#[cfg(test)]
mod tests {
    use super::{growth_threshold, stability_threshold, steady_trend, Threshold, GROWTH_PER_MONTH};

    #[test]
    fn a_significant_drift_is_not_called_no_trend() {
        let t = |per_month| Threshold {
            per_month,
            of_level: None,
        };
        assert!(steady_trend(0.7, Some(0.3), t(1.0)).contains("drifted by +0.7 ±0.3"));
        assert!(steady_trend(-0.5, Some(0.2), t(1.0)).contains("drifted by -0.5"));
        assert!(steady_trend(0.1, Some(0.2), t(1.0)).contains("did not trend (+0.1 ±0.2"));
        assert!(steady_trend(f64::NAN, Some(0.0), t(1.0)).contains("did not trend"));
        assert!(steady_trend(0.1, None, t(1.0)).contains("in the one replication"));
        assert!(steady_trend(0.1, Some(0.05), t(0.25)).contains("0.25 items a month (a tenth"));
        let level = stability_threshold(1.0, 4.2, 120.0);
        assert!(steady_trend(0.01, Some(0.005), level)
            .contains("0.018 items a month (half the 4.2 items in the system over the 120 months"));
    }

    #[test]
    fn small_thresholds_and_growth_keep_two_significant_digits() {
        assert_eq!(super::two_significant(0.42), "0.42");
        assert_eq!(super::two_significant(0.021), "0.021");
        assert_eq!(super::two_significant(0.00062), "0.00062");
        assert_eq!(super::signed_small(-0.00041), "-0.00041");
        assert_eq!(super::signed_small(0.0), "+0.0");
        assert_eq!(super::signed_small(1.25), "+1.2");
        // A very slow flow's tenth of its arrivals.
        let slow = super::Threshold {
            per_month: 0.0031,
            of_level: None,
        };
        assert!(super::threshold_words(slow).starts_with("0.0031 items a month (a tenth"));
    }

    #[test]
    fn a_long_run_is_judged_against_the_level_of_its_work() {
        // Ten years of a system holding 40 items: half of them over 120 months.
        let t = stability_threshold(1.0, 40.0, 120.0);
        assert!((t.per_month - 0.5 * 40.0 / 120.0).abs() < 1e-12);
        assert_eq!(t.of_level, Some((40.0, 120.0)));
        // One year of the same: the per-month threshold is the lower.
        let t = stability_threshold(1.0, 40.0, 12.0);
        assert_eq!(t.per_month, GROWTH_PER_MONTH);
        assert_eq!(t.of_level, None);
        // Less than an item in the system counts as one; no window, no level threshold.
        assert!((stability_threshold(1.0, 0.1, 120.0).per_month - 0.5 / 120.0).abs() < 1e-12);
        assert_eq!(
            stability_threshold(1.0, 40.0, 0.0).per_month,
            GROWTH_PER_MONTH
        );
    }

    #[test]
    fn a_slow_flow_is_judged_against_its_own_arrivals() {
        // A flow of one item a day or more: the fixed threshold.
        assert_eq!(growth_threshold(1.0), GROWTH_PER_MONTH);
        assert_eq!(growth_threshold(0.5), GROWTH_PER_MONTH);
        // About 0.9 items a month arriving: a tenth of that.
        assert!((growth_threshold(0.03) - 0.1 * 0.03 * 30.44).abs() < 1e-12);
        // No arrivals (a backlog only), or no estimate: the fixed threshold.
        assert_eq!(growth_threshold(0.0), GROWTH_PER_MONTH);
        assert_eq!(growth_threshold(f64::NAN), GROWTH_PER_MONTH);
    }
}
