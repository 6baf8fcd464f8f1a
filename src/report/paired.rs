//! Output of paired comparisons of worlds: `compare BEFORE AFTER` and `advise`.

use crate::experiment::paired::{Delta, Paired, METRICS};
use crate::experiment::Proportion;
use crate::metrics::Stat;
use crate::report::table::{fmt_num, fmt_share};
use serde::Serialize;
use std::fmt::Write;

/// One metric of a two-world comparison.
#[derive(Clone, Debug, Serialize)]
pub struct MetricDelta {
    /// The metric (`value_realised`, `cycle_time`, ...).
    pub metric: &'static str,
    /// True if higher is better.
    pub higher_is_better: bool,
    /// The baseline world's mean.
    pub before: Option<f64>,
    /// The other world's mean.
    pub after: Option<f64>,
    /// The paired difference (after − before) over replications: mean, 95% half-width,
    /// percentiles.
    pub difference: Stat,
    /// Share of replications in which `after` did better.
    pub p_better: f64,
    /// Its 95% Wilson interval.
    pub p_better_ci95_low: f64,
    /// Its 95% Wilson interval.
    pub p_better_ci95_high: f64,
}

/// `compare BEFORE AFTER`, in the shape of its JSON.
#[derive(Clone, Debug, Serialize)]
pub struct TwoWorlds {
    /// The first file.
    pub before: String,
    /// The second file.
    pub after: String,
    /// The policies run, before and after.
    pub policies: [String; 2],
    /// Replications, paired by index.
    pub replications: u64,
    /// The base seed.
    pub seed: u64,
    /// Each metric's difference.
    pub metrics: Vec<MetricDelta>,
}

fn mean_of(s: &crate::experiment::RunSummary, metric: &str) -> Option<f64> {
    let o = &s.outcomes;
    match metric {
        "value_realised" => o.value_realised.mean,
        "cycle_time" => s.cycle_time.mean,
        "lead_time" => s.lead_time.mean,
        "throughput" => s.throughput.mean,
        "wip" => s.wip.mean,
        "items_delivered" => o.items_delivered.mean,
        "cost_of_delay" => o.cost_of_delay.mean,
        _ => None,
    }
}

/// The metric deltas of world `w` against world `base`.
pub fn deltas(p: &Paired, base: usize, w: usize) -> Vec<MetricDelta> {
    METRICS
        .iter()
        .enumerate()
        .map(|(m, &(metric, higher))| {
            let Proportion {
                p: share,
                low,
                high,
            } = p.deltas[w].better[m];
            MetricDelta {
                metric,
                higher_is_better: higher,
                before: mean_of(&p.summaries[base], metric),
                after: mean_of(&p.summaries[w], metric),
                difference: p.deltas[w].metrics[m],
                p_better: share,
                p_better_ci95_low: low,
                p_better_ci95_high: high,
            }
        })
        .collect()
}

fn signed(s: &Stat) -> String {
    match (s.mean, s.ci95) {
        (Some(m), Some(c)) => format!(
            "{}{} ± {}",
            if m > 0.0 { "+" } else { "" },
            fmt_num(Some(m)),
            fmt_num(Some(c))
        ),
        (Some(m), None) => format!("{}{}", if m > 0.0 { "+" } else { "" }, fmt_num(Some(m))),
        _ => "-".into(),
    }
}

/// Whether a difference's 95% interval excludes zero, in the metric's good direction.
fn verdict(s: &Stat, higher: bool) -> &'static str {
    match (s.mean, s.ci95) {
        (Some(m), Some(c)) if m - c > 0.0 => {
            if higher {
                "better"
            } else {
                "worse"
            }
        }
        (Some(m), Some(c)) if m + c < 0.0 => {
            if higher {
                "worse"
            } else {
                "better"
            }
        }
        (Some(_), Some(_)) => "no clear difference",
        _ => "-",
    }
}

/// `compare BEFORE AFTER` as a table.
pub fn two_worlds_table(t: &TwoWorlds) -> String {
    let mut out = format!(
        "{} (before) vs {} (after): {} vs {}, {} replications paired on common random numbers, seed {}\n\n",
        t.before, t.after, t.policies[0], t.policies[1], t.replications, t.seed
    );
    let _ = writeln!(
        out,
        "{:<18}{:>14}{:>14}{:>26}{:>22}  verdict",
        "metric", "before", "after", "after − before (95% CI)", "P(after better)"
    );
    for m in &t.metrics {
        let _ = writeln!(
            out,
            "{:<18}{:>14}{:>14}{:>26}{:>22}  {}",
            m.metric,
            fmt_num(m.before),
            fmt_num(m.after),
            signed(&m.difference),
            fmt_share(m.p_better, m.p_better_ci95_low, m.p_better_ci95_high),
            verdict(&m.difference, m.higher_is_better)
        );
    }
    out
}

/// `compare BEFORE AFTER` as CSV.
pub fn two_worlds_csv(t: &TwoWorlds) -> String {
    let opt = |x: Option<f64>| x.map(|v| v.to_string()).unwrap_or_default();
    let mut out = String::from(
        "metric,before,after,difference_mean,difference_ci95,difference_p50,difference_p85,difference_p95,p_better,p_better_ci95_low,p_better_ci95_high\n",
    );
    for m in &t.metrics {
        let d = &m.difference;
        let _ = writeln!(
            out,
            "{},{},{},{},{},{},{},{},{},{},{}",
            super::csv_field(m.metric),
            opt(m.before),
            opt(m.after),
            opt(d.mean),
            opt(d.ci95),
            opt(d.p50),
            opt(d.p85),
            opt(d.p95),
            m.p_better,
            m.p_better_ci95_low,
            m.p_better_ci95_high
        );
    }
    out
}

/// One staffing move of `advise`.
#[derive(Clone, Debug, Serialize)]
pub struct Move {
    /// `+1 build`, `-1 test`.
    pub name: String,
    /// The stage.
    pub stage: String,
    /// Workers added (+1) or removed (−1).
    pub change: i32,
    /// Value realised, paired difference from today's staffing.
    pub value_realised: Stat,
    /// Cycle time, paired difference (days; negative is shorter).
    pub cycle_time: Stat,
    /// Throughput, paired difference (items/day).
    pub throughput: Stat,
    /// Share of replications in which the move helped (more value; or, when no value is
    /// modelled, a shorter cycle time), with its Wilson interval.
    pub p_helps: f64,
    /// Its 95% Wilson interval.
    pub p_helps_ci95_low: f64,
    /// Its 95% Wilson interval.
    pub p_helps_ci95_high: f64,
    /// True if the 95% interval of the deciding metric excludes zero in the good direction
    /// (never for a move that breaks the steady state).
    pub helps: bool,
    /// True when today's run is a steady state and the move's is not (its work piles up):
    /// ranked by cycle time, such a move comes after every move that keeps the flow steady,
    /// since its cycle time counts only the items that finish (and WIP limits hold it down
    /// while the backlog grows).
    pub breaks_steady_state: bool,
}

/// `advise`, in the shape of its JSON.
#[derive(Clone, Debug, Serialize)]
pub struct Advice {
    /// The scenario's name.
    pub scenario: String,
    /// The policy run.
    pub policy: String,
    /// Replications, paired by index.
    pub replications: u64,
    /// The base seed.
    pub seed: u64,
    /// What ranks the moves ([`Ranking`]): `value_realised`; without value, `throughput` when
    /// today's run is not a steady state or has no cycle time, else `cycle_time`.
    pub ranked_by: &'static str,
    /// The constraint today, in plain words.
    pub constraint: Option<String>,
    /// The moves, best first.
    pub moves: Vec<Move>,
    /// The advice in one sentence.
    pub statement: String,
    /// Why a column has no figures, when today's run has no cycle time (nothing committed
    /// after the warm-up was delivered); absent otherwise.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// What ranks `advise`'s moves.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ranking {
    /// Value realised: whenever the scenario models value.
    Value,
    /// Throughput: without value, when today's run is not a steady state. Work piles up, so
    /// what matters is how much more gets done; cycle time counts only the items that finish
    /// (censored by the horizon), and can even rise when more of the long-waiting ones do.
    /// Also when today's run has no cycle time (nothing committed after the warm-up was
    /// delivered): a difference from no figure is no figure, and cannot rank anything.
    Throughput,
    /// Cycle time: without value, in a steady state, where throughput is the arrival rate
    /// whatever the staffing.
    CycleTime,
}

impl Ranking {
    /// The ranking for a scenario that models value (`valued`) or not, whose run today is a
    /// steady state (`steady`) or not, and has a cycle time (`timed`: an item committed after
    /// the warm-up was delivered) or not.
    pub fn choose(valued: bool, steady: bool, timed: bool) -> Ranking {
        match (valued, steady && timed) {
            (true, _) => Ranking::Value,
            (false, false) => Ranking::Throughput,
            (false, true) => Ranking::CycleTime,
        }
    }

    /// Why a column has no figures when today's run has no cycle time (`timed` false), under
    /// this ranking; `None` when it has one.
    pub fn note(self, timed: bool) -> Option<String> {
        (!timed).then(|| {
            let ranked = if self == Ranking::Throughput {
                ", and moves are ranked by throughput"
            } else {
                ""
            };
            format!(
                "No cycle time: no item committed after the warm-up was delivered today, so Δ cycle time shows -{ranked}."
            )
        })
    }

    /// The metric's name (as in [`crate::experiment::paired::METRICS`]).
    pub fn metric(self) -> &'static str {
        match self {
            Ranking::Value => "value_realised",
            Ranking::Throughput => "throughput",
            Ranking::CycleTime => "cycle_time",
        }
    }

    /// True when more of the metric is better.
    fn higher_is_better(self) -> bool {
        self != Ranking::CycleTime
    }

    /// The deciding difference of a move.
    fn of(self, m: &Move) -> &Stat {
        match self {
            Ranking::Value => &m.value_realised,
            Ranking::Throughput => &m.throughput,
            Ranking::CycleTime => &m.cycle_time,
        }
    }
}

impl Move {
    /// The move `name` of `change` workers at `stage`, from its paired differences, judged by
    /// `ranking`; `breaks` when today's run is a steady state and the move's is not.
    pub fn new(
        name: String,
        stage: &str,
        change: i32,
        d: &Delta,
        ranking: Ranking,
        breaks: bool,
    ) -> Move {
        let deciding = ranking.metric();
        let share = d.better(deciding);
        let s = d.metric(deciding);
        let helps = !breaks
            && match (s.mean, s.ci95) {
                (Some(m), Some(c)) if ranking.higher_is_better() => m - c > 0.0,
                (Some(m), Some(c)) => m + c < 0.0,
                _ => false,
            };
        Move {
            name,
            stage: stage.to_string(),
            change,
            value_realised: *d.metric("value_realised"),
            cycle_time: *d.metric("cycle_time"),
            throughput: *d.metric("throughput"),
            p_helps: share.p,
            p_helps_ci95_low: share.low,
            p_helps_ci95_high: share.high,
            helps,
            breaks_steady_state: breaks,
        }
    }
}

/// Orders moves best first and states the advice.
pub fn rank(moves: &mut [Move], ranking: Ranking) -> String {
    let key = |m: &Move| {
        let x = match ranking.of(m).mean {
            Some(x) if ranking.higher_is_better() => x,
            Some(x) => -x,
            None => f64::NEG_INFINITY,
        };
        if x.is_nan() {
            f64::NEG_INFINITY
        } else {
            x
        }
    };
    // Moves that break the steady state last, the least loss of throughput first: their
    // cycle time describes only the items that finish. Value, where modelled, counts the
    // work that piles up already.
    let broken = |m: &Move| m.breaks_steady_state && ranking != Ranking::Value;
    let throughput = |m: &Move| {
        m.throughput
            .mean
            .filter(|x| !x.is_nan())
            .unwrap_or(f64::NEG_INFINITY)
    };
    moves.sort_by(|a, b| match (broken(a), broken(b)) {
        (false, false) => key(b).total_cmp(&key(a)),
        (true, true) => throughput(b).total_cmp(&throughput(a)),
        (x, y) => x.cmp(&y),
    });
    let what = ranking.metric().replace('_', " ");
    let breaking: Vec<&str> = moves
        .iter()
        .filter(|m| broken(m))
        .map(|m| m.name.as_str())
        .collect();
    let breaking = if breaking.is_empty() {
        String::new()
    } else {
        format!(
            " {} would break the steady state: work would pile up, so {} ranked last, by throughput ({} cycle time counts only the items that finish).",
            breaking.join(", "),
            if breaking.len() == 1 { "it is" } else { "they are" },
            if breaking.len() == 1 { "its" } else { "their" }
        )
    };
    let cheap: Vec<&str> = moves
        .iter()
        .filter(|m| m.change < 0 && !broken(m))
        .filter(|m| {
            // Removing a person costs nothing measurable.
            let s = ranking.of(m);
            matches!((s.mean, s.ci95), (Some(x), Some(c)) if (x - c) <= 0.0 && (x + c) >= 0.0)
        })
        .map(|m| m.name.as_str())
        .collect();
    match moves.iter().find(|m| m.change > 0 && m.helps) {
        Some(best) => {
            let mut s = format!(
                "{} helps most: {} changes by {} (P(helps) {}).",
                best.name,
                what,
                signed(ranking.of(best)),
                fmt_share(best.p_helps, best.p_helps_ci95_low, best.p_helps_ci95_high)
            );
            if !cheap.is_empty() {
                let _ = write!(
                    s,
                    " Moving a person away would cost no measurable {what}: {}.",
                    cheap.join(", ")
                );
            }
            s.push_str(&breaking);
            s
        }
        None => {
            let free = if cheap.is_empty() {
                String::new()
            } else {
                format!(
                    " Moving a person away would cost no measurable {what} either: {}.",
                    cheap.join(", ")
                )
            };
            format!(
                "No single extra person changes {what} measurably: capacity is not what holds this value stream back; look at the policy, the WIP limits or the demand.{free}{breaking}"
            )
        }
    }
}

/// `advise` as a table.
pub fn advice_table(a: &Advice) -> String {
    let mut out = format!(
        "Where would one more person help most? {} · policy {} · {} replications paired on common random numbers · seed {}\n",
        a.scenario, a.policy, a.replications, a.seed
    );
    if let Some(c) = &a.constraint {
        let _ = writeln!(out, "Today: {c}");
    }
    // The move column fits its longest name (a stage's name, a WIP limit raised with it).
    let w = a
        .moves
        .iter()
        .map(|m| m.name.chars().count() + 2)
        .max()
        .unwrap_or(0)
        .max(16);
    let _ = writeln!(
        out,
        "\n{:<w$}{:>26}{:>24}{:>22}{:>24}",
        "move", "Δ value realised", "Δ cycle time, days", "Δ throughput, /day", "P(helps)"
    );
    for m in &a.moves {
        let _ = writeln!(
            out,
            "{:<w$}{:>26}{:>24}{:>22}{:>24}",
            m.name,
            // No value modelled: a difference of nothing is no figure.
            if a.ranked_by == "value_realised" {
                signed(&m.value_realised)
            } else {
                "-".to_string()
            },
            signed(&m.cycle_time),
            signed(&m.throughput),
            fmt_share(m.p_helps, m.p_helps_ci95_low, m.p_helps_ci95_high)
        );
    }
    let _ = writeln!(out, "\n{}", a.statement);
    if let Some(note) = &a.note {
        let _ = writeln!(out, "{note}");
    }
    let _ = writeln!(
        out,
        "(Moves are ranked by {}; P(helps) is the share of paired replications in which the move did better.)",
        a.ranked_by.replace('_', " ")
    );
    out
}

/// For `advise`: the stages of `stream` with more workers than their WIP limit lets work at
/// once, where the policy keeps the limits (`honours_limits`). A worker there has nothing to
/// take, so one more changes nothing; the sentence says so and names the setting to try
/// instead.
pub fn idle_for_room(stream: &crate::model::ValueStream, honours_limits: bool) -> Option<String> {
    if !honours_limits {
        return None;
    }
    let names: Vec<String> = stream.stages.iter().map(|s| s.name.clone()).collect();
    let idle: Vec<String> = stream
        .stages
        .iter()
        .enumerate()
        .filter_map(|(i, st)| {
            let limit = st.wip_limit.filter(|&l| l < st.workers)?;
            let element = crate::scenario::set::element_path("stages", &names, i);
            let idle = crate::scenario::message::idle_workers(st.workers - limit);
            Some(format!(
                "`{}` has {} workers and a WIP limit of {limit}, so {idle} for want of room (to give them work: `--set {element}.wip_limit={}`)",
                st.name, st.workers, st.workers
            ))
        })
        .collect();
    (!idle.is_empty()).then(|| {
        format!(
            "{}. One more worker there has nothing to take and changes nothing: the WIP limit, not the headcount, holds the stage back.",
            idle.join("; ")
        )
    })
}

/// Two optional notes as one, the first first.
pub fn join_notes(a: Option<String>, b: Option<String>) -> Option<String> {
    match (a, b) {
        (Some(a), Some(b)) => Some(format!("{a} {b}")),
        (a, b) => a.or(b),
    }
}
