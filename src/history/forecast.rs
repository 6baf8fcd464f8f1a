//! When will N items be done, and how many by a date: Monte Carlo resampling of daily
//! throughput (Magennis, *Forecasting and Simulating Software Development Projects*, 2011;
//! Vacanti, *When Will It Be Done?*, 2020). Each trial draws past days at random, with
//! replacement, and adds up what they delivered: until N items are done (When), or over the
//! days to the date (How many). Zero days count: they are part of the team's throughput.

use crate::engine::rng;
use rand::RngExt;

/// Items delivered on each day of a window, oldest first.
#[derive(Clone, Debug, PartialEq)]
pub struct Throughput {
    /// The window's first day (days since 1970-01-01).
    pub first: i64,
    /// Items delivered on each day of the window.
    pub daily: Vec<u32>,
}

impl Throughput {
    /// Daily throughput from the days items were done, over the history up to `until` (its
    /// last date of any kind: the day the data was taken, so the quiet days since the last
    /// delivery count as zeros): from the first done day, or over the last `window` days.
    /// `None` if nothing was done by `until`.
    pub fn from_done(done: &[i64], window: Option<u32>, until: i64) -> Option<Throughput> {
        let earliest = *done.iter().filter(|&&d| d <= until).min()?;
        let first = match window {
            Some(w) => (until - i64::from(w.max(1)) + 1).max(earliest),
            None => earliest,
        };
        let mut daily = vec![0u32; (until - first + 1) as usize];
        for &d in done.iter().filter(|&&d| d >= first && d <= until) {
            daily[(d - first) as usize] += 1;
        }
        Some(Throughput { first, daily })
    }

    /// Items done in the window.
    pub fn done(&self) -> u64 {
        self.daily.iter().map(|&d| u64::from(d)).sum()
    }

    /// The last day of the window.
    pub fn last(&self) -> i64 {
        self.first + self.daily.len() as i64 - 1
    }

    /// Mean items a day.
    pub fn mean(&self) -> f64 {
        self.daily.iter().map(|&d| f64::from(d)).sum::<f64>() / self.daily.len() as f64
    }
}

/// The furthest a forecast reaches, in days: ten years. A team's throughput says little
/// about a decade ahead, and a simulated forecast of a slow scenario this far already takes a
/// while.
pub const MAX_DAYS: u64 = 3_653;

/// Why resampling has no answer to When.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum WhenError {
    /// The window delivered nothing: no number of days would finish the items.
    #[error("the window delivered nothing: no number of days would finish {items} items")]
    NothingDone {
        /// Items asked for.
        items: u64,
    },
    /// Some trials did not finish the items within [`MAX_DAYS`].
    #[error("{items} items are not done within {MAX_DAYS} days (ten years) in {short} of {trials} trials, at {per_day:.2} items a day: ask for fewer items")]
    TooFar {
        /// Items asked for.
        items: u64,
        /// Trials that did not finish them.
        short: u32,
        /// Trials run.
        trials: u32,
        /// The window's mean throughput.
        per_day: f64,
    },
}

/// Days needed for `items` more items, one value per trial, sorted. An error if the window
/// delivered nothing, or if any trial needs more than [`MAX_DAYS`]: a capped trial would
/// report a wrong number.
pub fn when(t: &Throughput, items: u64, trials: u32, seed: u64) -> Result<Vec<u64>, WhenError> {
    let busiest = t.daily.iter().copied().max().unwrap_or(0);
    if busiest == 0 {
        return Err(WhenError::NothingDone { items });
    }
    let too_far = |short| WhenError::TooFar {
        items,
        short,
        trials,
        per_day: t.mean(),
    };
    // Even the busiest day every day would not do: no trial can, so none is run.
    if items > u64::from(busiest) * MAX_DAYS {
        return Err(too_far(trials));
    }
    let mut r = rng::stream(&[seed, 0xF0CA, 0]);
    let mut short = 0;
    let mut out: Vec<u64> = (0..trials)
        .map(|_| {
            let (mut done, mut days) = (0u64, 0u64);
            while done < items && days < MAX_DAYS {
                done += u64::from(t.daily[r.random_range(0..t.daily.len())]);
                days += 1;
            }
            if done < items {
                short += 1;
            }
            days
        })
        .collect();
    if short > 0 {
        return Err(too_far(short));
    }
    out.sort_unstable();
    Ok(out)
}

/// Items done in `days` more days, one value per trial, sorted.
pub fn how_many(t: &Throughput, days: u64, trials: u32, seed: u64) -> Vec<u64> {
    let mut r = rng::stream(&[seed, 0xF0CA, 1]);
    let mut out: Vec<u64> = (0..trials)
        .map(|_| {
            (0..days)
                .map(|_| u64::from(t.daily[r.random_range(0..t.daily.len())]))
                .sum()
        })
        .collect();
    out.sort_unstable();
    out
}

/// The value at or below which a share `q` of the sorted `trials` fall (nearest rank). The
/// rank q·n is rounded up after forgiving floating-point noise, so that 1 − 0.85 of 100
/// trials is rank 15, not 16.
pub fn percentile(sorted: &[u64], q: f64) -> u64 {
    let n = sorted.len();
    let k = ((q * n as f64 - 1e-9).ceil() as usize).clamp(1, n.max(1));
    sorted[k - 1]
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A constant throughput of 2 items a day makes the answers exact at every percentile:
    /// 40 items take 20 days, and 10 days deliver 20 items.
    #[test]
    fn constant_throughput_is_forecast_exactly() {
        let done: Vec<i64> = (0..30).flat_map(|d| [d, d]).collect();
        let t = Throughput::from_done(&done, None, 29).unwrap();
        assert_eq!(t.daily, vec![2; 30]);
        let w = when(&t, 40, 1000, 7).unwrap();
        assert!(w.iter().all(|&d| d == 20));
        let h = how_many(&t, 10, 1000, 7);
        assert!(h.iter().all(|&n| n == 20));
        assert_eq!(t.mean(), 2.0);
    }

    /// Alternating 0 and 4 items a day: 8 items take at least 2 days (two 4s in a row) and
    /// the median trial needs about 4; percentiles rise with the confidence asked.
    #[test]
    fn percentiles_rise_with_confidence() {
        let done: Vec<i64> = (0..20)
            .filter(|d| d % 2 == 0)
            .flat_map(|d| [d; 4])
            .collect();
        let t = Throughput::from_done(&done, None, 18).unwrap();
        assert_eq!(t.daily.len(), 19);
        let w = when(&t, 8, 10_000, 1).unwrap();
        assert_eq!(w[0], 2);
        let p = [0.5, 0.7, 0.85, 0.95].map(|q| percentile(&w, q));
        assert!(p.windows(2).all(|x| x[0] <= x[1]), "{p:?}");
        assert!((3..=5).contains(&p[0]), "{p:?}");
        let idle = Throughput {
            first: 0,
            daily: vec![0, 0],
        };
        assert_eq!(
            when(&idle, 1, 10, 1),
            Err(WhenError::NothingDone { items: 1 })
        );
    }

    #[test]
    fn window_keeps_the_last_days() {
        let t = Throughput::from_done(&[0, 5, 9, 9], Some(3), 9).unwrap();
        assert_eq!((t.first, t.daily.clone()), (7, vec![0, 0, 2]));
        assert_eq!(t.last(), 9);
        // The quiet days between the last delivery and the end of the history count.
        let t = Throughput::from_done(&[0, 5, 9, 9], None, 12).unwrap();
        assert_eq!(t.daily.len(), 13);
        assert_eq!((t.last(), t.done()), (12, 4));
        // A window longer than the deliveries starts at the first one.
        let t = Throughput::from_done(&[5, 9], Some(100), 9).unwrap();
        assert_eq!(t.first, 5);
        // Nothing done by the end: no throughput.
        assert!(Throughput::from_done(&[20], None, 9).is_none());
    }

    /// A trial capped at the ten-year limit would report a wrong number: every trial must
    /// finish, or When is an error that says how many did not.
    #[test]
    fn when_refuses_answers_beyond_the_limit() {
        let t = Throughput {
            first: 0,
            daily: vec![1, 0, 0, 0],
        };
        // One item every four days on average: 100 items take about 400 days.
        assert!(when(&t, 100, 200, 1).is_ok());
        // Beyond even the busiest day every day: refused without running a trial.
        assert!(matches!(
            when(&t, MAX_DAYS + 1, 200, 1),
            Err(WhenError::TooFar { short: 200, .. })
        ));
        // Reachable at 1 a day, but not at the window's 0.25 a day.
        match when(&t, MAX_DAYS / 2, 200, 1) {
            Err(WhenError::TooFar { short, trials, .. }) => {
                assert_eq!(trials, 200);
                assert!(short > 0);
            }
            other => panic!("{other:?}"),
        }
    }
}
