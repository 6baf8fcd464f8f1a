//! When will N items be done, and how many by a date, by simulating a scenario (fitted by
//! `fit` or written by hand) instead of resampling a history.
//!
//! Each replication is one trial. The forecast starts at the end of the scenario's warm-up
//! (day `warmup`; the model starts empty, so a scenario without a warm-up starts its forecast
//! with an empty team) and counts every item delivered after it, whatever its type, as the
//! throughput method does: new arrivals are part of the flow.
//! - **When** (N items): the day of the N-th delivery after the start, rounded up to whole days
//!   (day 1 is the first day after the start). A replication runs over a horizon guessed from
//!   the arrival rate (twice the days N items take), doubled for the replications that have
//!   not delivered N yet, up to [`super::forecast::MAX_DAYS`] (ten years). Replication 0 runs
//!   first, alone, so a question the scenario cannot answer fails after one replication.
//! - **How many** (D days): the deliveries in the D days after the start.

use super::forecast::MAX_DAYS;
use crate::experiment::map_replications;
use crate::metrics::{Exceeded, TraceBound};
use crate::model::{flow, ValueStream};
use crate::policy::Policy;

/// Why a simulated forecast has no answer.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum SimulatedError {
    /// A replication ran out of its event or item budget.
    #[error("replication {replication} ran out of its {what} budget (limits.{key}): the scenario is too big to forecast this far; raise the limit or ask for fewer items")]
    Budget {
        /// The replication.
        replication: u64,
        /// Which budget.
        what: &'static str,
        /// Its scenario key.
        key: &'static str,
    },
    /// A replication created more items, or made more moves, than a forecast keeps track of
    /// before the answer.
    #[error("replication {replication} creates more than {items} items or makes more than {steps} moves (past those of day 0) by day {day:.0}, before the answer: too many for a forecast to keep track of; ask for fewer items or fewer days, or lower the scenario's arrival rates")]
    TooMany {
        /// The replication.
        replication: u64,
        /// The most items a forecast traces ([`bound`]).
        items: usize,
        /// The most moves it traces.
        steps: usize,
        /// The day it reached either.
        day: f64,
    },
    /// Some replication did not deliver the items within the longest horizon tried.
    #[error("replication {replication} delivered only {delivered} of {items} items in {days} days after the warm-up: the scenario delivers too little for this question")]
    NotReached {
        /// The replication.
        replication: u64,
        /// Items it delivered.
        delivered: u64,
        /// Items asked for.
        items: u64,
        /// Days simulated after the start.
        days: u64,
    },
}

/// The first day counted: the end of the warm-up.
pub fn start(vs: &ValueStream) -> f64 {
    vs.warmup
}

/// The most a forecast's trial traces (past what day 0 holds) in `vs`: 2,000,000 items, and
/// moves (a step of an item from column to column) enough for them through its stages, at most
/// 60,000,000. Every item's record is kept until the answer is read, so this bounds a trial
/// to about a gigabyte (trials run one per core at a time), far more than a team's forecast
/// needs.
pub fn bound(vs: &ValueStream) -> TraceBound {
    const ITEMS: usize = 2_000_000;
    TraceBound {
        items: ITEMS,
        steps: ITEMS
            .saturating_mul(3 * vs.stages.len() + 4)
            .min(60_000_000),
    }
}

/// The delivery times after the start of replication `i`, simulated `days` days past it, and
/// the day before which they are all known: the end, or the day the trace reached its bound
/// (deliveries from then on are not recorded).
fn deliveries(
    vs: &ValueStream,
    policy: &dyn Policy,
    (seed, i): (u64, u64),
    days: u64,
    bound: TraceBound,
) -> Result<(Vec<f64>, Option<f64>), SimulatedError> {
    let (result, trace) = flow::simulate_traced_bounded(vs, policy, seed, i, bound);
    if let Some(e) = result.exceeded {
        let (what, key) = match e {
            Exceeded::Events | Exceeded::Weighed => ("event", "events_per_replication"),
            Exceeded::Items => ("item", "items_per_replication"),
        };
        return Err(SimulatedError::Budget {
            replication: i,
            what,
            key,
        });
    }
    let from = start(vs);
    let until = from + days as f64;
    let mut times: Vec<f64> = trace
        .items
        .iter()
        .filter_map(|it| it.delivered)
        .filter(|&t| t >= from && t <= until && trace.cut.is_none_or(|cut| t < cut))
        .collect();
    times.sort_by(f64::total_cmp);
    Ok((times, trace.cut))
}

/// The error of replication `i`, whose trace was cut by `bound` on day `day` before it
/// answered.
fn too_many(replication: u64, day: f64, bound: TraceBound) -> SimulatedError {
    SimulatedError::TooMany {
        replication,
        items: bound.items,
        steps: bound.steps,
        day,
    }
}

/// `vs` run for `days` days after its start (nothing else changes).
fn lengthened(vs: &ValueStream, days: u64) -> ValueStream {
    let mut v = vs.clone();
    v.horizon = start(vs) + days as f64;
    // Outcomes are snapshot at the horizon only: the forecast reads the trace.
    v.checkpoints = vec![v.horizon];
    v
}

/// Items per day the scenario lets in (its arrival rates, epics' slices included): the
/// first guess of how long N items take.
fn inflow(vs: &ValueStream) -> f64 {
    let work: f64 = vs.work_types.iter().filter_map(|w| w.arrival_rate).sum();
    let epics: f64 = vs
        .epics
        .iter()
        .filter_map(|e| e.arrival_rate.map(|r| r * f64::from(e.slices)))
        .sum();
    work + epics
}

/// Days after the start until `items` more items are done, one value per replication,
/// sorted.
pub fn when(
    vs: &ValueStream,
    policy: &dyn Policy,
    seed: u64,
    replications: u64,
    items: u64,
) -> Result<Vec<u64>, SimulatedError> {
    when_within(vs, policy, seed, replications, items, bound(vs))
}

/// [`when`], each trial tracing at most `bound`.
fn when_within(
    vs: &ValueStream,
    policy: &dyn Policy,
    seed: u64,
    replications: u64,
    items: u64,
    bound: TraceBound,
) -> Result<Vec<u64>, SimulatedError> {
    let rate = inflow(vs);
    let mut days = if rate > 0.0 {
        ((2.0 * items as f64 / rate).ceil() as u64).clamp(30, MAX_DAYS)
    } else {
        ((vs.horizon - start(vs)).ceil() as u64).clamp(30, MAX_DAYS)
    };
    if replications == 0 {
        return Ok(Vec::new());
    }
    let mut answers: Vec<Option<u64>> = vec![None; replications as usize];
    loop {
        // Replication 0 goes first, alone: while it falls short, the horizon doubles without
        // running the others, so a question the scenario cannot answer fails after one
        // replication, not after all of them.
        let pending: Vec<u64> = if answers[0].is_none() {
            vec![0]
        } else {
            (1..replications)
                .filter(|&i| answers[i as usize].is_none())
                .collect()
        };
        if pending.is_empty() {
            break;
        }
        let v = lengthened(vs, days);
        let from = start(&v);
        let runs = map_replications(&pending, |i| {
            deliveries(&v, policy, (seed, i), days, bound).and_then(|(t, cut)| {
                let n = items.max(1) as usize;
                let answer = t.get(n - 1).map(|&d| ((d - from).ceil() as u64).max(1));
                match (answer, cut) {
                    (None, Some(day)) => Err(too_many(i, day, bound)),
                    _ => Ok((t.len() as u64, answer)),
                }
            })
        });
        let mut short = None;
        for (&i, run) in pending.iter().zip(runs) {
            let (delivered, answer) = run?;
            answers[i as usize] = answer;
            if answer.is_none() && short.is_none() {
                short = Some((i, delivered));
            }
        }
        let Some((replication, delivered)) = short else {
            continue;
        };
        if days >= MAX_DAYS {
            return Err(SimulatedError::NotReached {
                replication,
                delivered,
                items,
                days,
            });
        }
        days = (days * 2).min(MAX_DAYS);
    }
    let mut out: Vec<u64> = answers.into_iter().flatten().collect();
    out.sort_unstable();
    Ok(out)
}

/// Items done in the `days` days after the start, one value per replication, sorted.
pub fn how_many(
    vs: &ValueStream,
    policy: &dyn Policy,
    seed: u64,
    replications: u64,
    days: u64,
) -> Result<Vec<u64>, SimulatedError> {
    how_many_within(vs, policy, seed, replications, days, bound(vs))
}

/// [`how_many`], each trial tracing at most `bound`.
fn how_many_within(
    vs: &ValueStream,
    policy: &dyn Policy,
    seed: u64,
    replications: u64,
    days: u64,
    bound: TraceBound,
) -> Result<Vec<u64>, SimulatedError> {
    let v = lengthened(vs, days);
    let indices: Vec<u64> = (0..replications).collect();
    let until = start(&v) + days as f64;
    let mut out = map_replications(&indices, |i| {
        deliveries(&v, policy, (seed, i), days, bound).and_then(|(t, cut)| match cut {
            Some(day) if day <= until => Err(too_many(i, day, bound)),
            _ => Ok(t.len() as u64),
        })
    })
    .into_iter()
    .collect::<Result<Vec<u64>, _>>()?;
    out.sort_unstable();
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Dist, Stage, WorkType};
    use crate::policy;

    /// One stage, one worker taking exactly a day an item.
    fn one_worker_a_day() -> Stage {
        Stage {
            name: "work".into(),
            workers: 1,
            wip_limit: None,
            service: Dist::new(crate::model::DistSpec::Fixed { value: 1.0 }).unwrap(),
            rework: None,
            release_every: None,
        }
    }

    /// A backlog of 50 items at day 0 and one worker taking exactly 1 day each, no warm-up:
    /// item k is done on day k, so 10 items take 10 days and 7 days deliver 7 items, in every
    /// trial.
    #[test]
    fn a_deterministic_line_is_forecast_exactly() {
        let stage = one_worker_a_day();
        let mut w = WorkType::new("job", 1);
        w.backlog = 50;
        let vs = ValueStream::new(vec![stage], vec![w], 100.0, 0.0);
        let fifo = policy::by_name("fifo").unwrap();
        let when = when(&vs, fifo.as_ref(), 1, 20, 10).unwrap();
        assert_eq!(when, vec![10; 20]);
        let many = how_many(&vs, fifo.as_ref(), 1, 20, 7).unwrap();
        assert_eq!(many, vec![7; 20]);
        // 60 items never come out of a backlog of 50 with no arrivals.
        let e = super::when(&vs, fifo.as_ref(), 1, 3, 60).unwrap_err();
        assert!(
            matches!(e, SimulatedError::NotReached { delivered: 50, .. }),
            "{e}"
        );
    }

    /// One worker taking a day an item, 3 arrivals a day: a trial traces items it never
    /// delivers, and a small bound on the trace stops the questions it cannot answer within it.
    #[test]
    fn a_trial_past_its_bound_is_an_error_and_one_within_it_is_exact() {
        let stage = one_worker_a_day();
        let mut w = WorkType::new("job", 1);
        w.arrival_rate = Some(3.0);
        let vs = ValueStream::new(vec![stage], vec![w], 100.0, 0.0);
        let fifo = policy::by_name("fifo").unwrap();
        let bound = TraceBound {
            items: 200,
            steps: usize::MAX,
        };
        // 10 items are done by about day 11, long before 200 arrivals (day 67 or so).
        assert_eq!(
            when_within(&vs, fifo.as_ref(), 1, 5, 10, bound).unwrap(),
            when(&vs, fifo.as_ref(), 1, 5, 10).unwrap()
        );
        assert_eq!(
            how_many_within(&vs, fifo.as_ref(), 1, 5, 20, bound).unwrap(),
            how_many(&vs, fifo.as_ref(), 1, 5, 20).unwrap()
        );
        // 100 items take 100 days: 300 arrivals, past the bound.
        for e in [
            when_within(&vs, fifo.as_ref(), 1, 5, 100, bound).unwrap_err(),
            how_many_within(&vs, fifo.as_ref(), 1, 5, 100, bound).unwrap_err(),
        ] {
            let SimulatedError::TooMany { items, day, .. } = e else {
                panic!("{e}");
            };
            assert_eq!(items, 200);
            assert!(day > 40.0 && day < 100.0, "{day}");
        }
    }

    /// Poisson arrivals at 0.5 a day into a fast stage: about 0.5 deliveries a day, so 20
    /// items take about 40 days at the median, and percentiles spread like a gamma(20, 2).
    #[test]
    fn throughput_follows_the_arrival_rate() {
        let stage = Stage {
            name: "work".into(),
            workers: 5,
            wip_limit: None,
            service: Dist::exponential(0.1).unwrap(),
            rework: None,
            release_every: None,
        };
        let mut w = WorkType::new("job", 1);
        w.arrival_rate = Some(0.5);
        let vs = ValueStream::new(vec![stage], vec![w], 100.0, 10.0);
        let fifo = policy::by_name("fifo").unwrap();
        let t = when(&vs, fifo.as_ref(), 3, 400, 20).unwrap();
        let median = t[200] as f64;
        assert!((35.0..=45.0).contains(&median), "{median}");
        let n = how_many(&vs, fifo.as_ref(), 3, 400, 40).unwrap();
        let mean = n.iter().sum::<u64>() as f64 / 400.0;
        assert!((mean - 20.0).abs() < 1.5, "{mean}");
    }
}
