//! Running moments, time averages and the published summary of a metric.

use super::Sketch;
use serde::Serialize;

/// Running mean and variance by shifted sums: sums of `x - K` and `(x - K)^2` with `K` the
/// first value, which is as accurate as Welford's update when `K` is near the mean (Chan,
/// Golub & LeVeque, "Algorithms for computing the sample variance", 1983) and needs no
/// division per observation (this sits on the engine's hot path).
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Running {
    n: u64,
    shift: f64,
    sum: f64,
    sum_sq: f64,
}

impl Running {
    /// Adds one observation; non-finite values are skipped.
    #[inline]
    pub fn add(&mut self, x: f64) {
        if !x.is_finite() {
            return;
        }
        if self.n == 0 {
            self.shift = x;
        }
        self.n += 1;
        let d = x - self.shift;
        self.sum += d;
        self.sum_sq += d * d;
    }

    /// Number of observations.
    pub fn count(&self) -> u64 {
        self.n
    }

    /// The mean, or NaN when empty.
    pub fn mean(&self) -> f64 {
        if self.n == 0 {
            f64::NAN
        } else {
            self.shift + self.sum / self.n as f64
        }
    }

    /// The sample variance (n - 1 denominator), or NaN with fewer than two observations.
    pub fn variance(&self) -> f64 {
        if self.n < 2 {
            f64::NAN
        } else {
            let n = self.n as f64;
            ((self.sum_sq - self.sum * self.sum / n) / (n - 1.0)).max(0.0)
        }
    }

    /// Half-width of the 95% Student-t confidence interval of the mean.
    pub fn ci95(&self) -> Option<f64> {
        if self.n < 2 {
            return None;
        }
        Some(t_quantile_975(self.n - 1) * (self.variance() / self.n as f64).sqrt())
    }
}

/// The 97.5th percentile of Student's t distribution with `df` degrees of freedom (the factor
/// of a two-sided 95% interval). Exact table to 30, then the Cornish-Fisher expansion.
pub fn t_quantile_975(df: u64) -> f64 {
    const TABLE: [f64; 30] = [
        12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.160,
        2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086, 2.080, 2.074, 2.069, 2.064, 2.060, 2.056,
        2.052, 2.048, 2.045, 2.042,
    ];
    match df {
        0 => f64::NAN,
        1..=30 => TABLE[df as usize - 1],
        _ => {
            let z = 1.959_963_984_540_054_f64;
            let n = df as f64;
            z + (z.powi(3) + z) / (4.0 * n)
                + (5.0 * z.powi(5) + 16.0 * z.powi(3) + 3.0 * z) / (96.0 * n * n)
        }
    }
}

/// The time-weighted average of a level that changes in steps, counted from `start`
/// (the end of warm-up) on.
#[derive(Clone, Copy, Debug)]
pub struct TimeAverage {
    start: f64,
    level: f64,
    last: f64,
    area: f64,
}

impl TimeAverage {
    /// A level of zero at time 0, averaged from `start`.
    pub fn new(start: f64) -> Self {
        TimeAverage {
            start,
            level: 0.0,
            last: 0.0,
            area: 0.0,
        }
    }

    /// The level changes by `delta` at `now` (times never decrease).
    #[inline]
    pub fn change(&mut self, now: f64, delta: f64) {
        let from = if self.last > self.start {
            self.last
        } else {
            self.start
        };
        if now > from {
            self.area += self.level * (now - from);
        }
        self.last = now;
        self.level += delta;
    }

    /// The current level.
    pub fn level(&self) -> f64 {
        self.level
    }

    /// The average level over [start, end].
    pub fn average(&self, end: f64) -> f64 {
        let mut copy = *self;
        copy.change(end, 0.0);
        if end > self.start {
            copy.area / (end - self.start)
        } else {
            f64::NAN
        }
    }
}

/// The least-squares slope of a number of items over the window [start, end]: the trend of a
/// queue, in items per day. For a level L(t) on a window of length T with midpoint m, the
/// slope of the best straight line is 12/T³ ∫ (t − m) L(t) dt. A count of items is the sum of
/// one indicator per item, so the integral is the sum over items of ∫ (t − m) dt over each
/// item's stay in the window, ((t₁ − m)² − (t₀ − m)²)/2: it is accumulated once per item, when
/// the item leaves (or at the horizon), instead of at every change of the level.
#[derive(Clone, Copy, Debug)]
pub struct TimeTrend {
    start: f64,
    end: f64,
    mid: f64,
    moment: f64,
}

impl TimeTrend {
    /// No item yet, fitted over [start, end].
    pub fn new(start: f64, end: f64) -> Self {
        TimeTrend {
            start,
            end,
            mid: (start + end) / 2.0,
            moment: 0.0,
        }
    }

    /// One item was present from `from` to `to` (the part outside the window is ignored).
    #[inline]
    pub fn stay(&mut self, from: f64, to: f64) {
        let from = from.max(self.start);
        let to = to.min(self.end);
        if to > from {
            // (to − m)² − (from − m)² = (to − from)(to + from − 2m)
            self.moment += (to - from) * (to + from - 2.0 * self.mid) / 2.0;
        }
    }

    /// The slope of the least-squares line through the number of items over the window.
    pub fn slope(&self) -> f64 {
        let t = self.end - self.start;
        if t > 0.0 {
            12.0 * self.moment / t.powi(3)
        } else {
            f64::NAN
        }
    }
}

/// The published summary of one metric: `mean` over replications with the half-width of its 95%
/// interval, and percentiles (of individual items or of replications, as the metric documents).
#[derive(Clone, Copy, Debug, PartialEq, Serialize, serde::Deserialize)]
pub struct Stat {
    /// Mean over replications of each replication's value.
    pub mean: Option<f64>,
    /// Half-width of the 95% Student-t interval of `mean`; `None` with fewer than 2 values.
    pub ci95: Option<f64>,
    /// Median.
    pub p50: Option<f64>,
    /// 85th percentile (the usual service level expectation).
    pub p85: Option<f64>,
    /// 95th percentile.
    pub p95: Option<f64>,
}

fn finite(x: f64) -> Option<f64> {
    x.is_finite().then_some(x)
}

fn stat_from(running: &Running, sketch: &Sketch) -> Stat {
    Stat {
        mean: finite(running.mean()),
        ci95: running.ci95(),
        p50: sketch.quantile(0.50),
        p85: sketch.quantile(0.85),
        p95: sketch.quantile(0.95),
    }
}

/// Folds one value per replication into a [`Stat`] whose percentiles are over replications.
/// A metric whose every value is a whole number (a count of items, of deadlines) keeps the
/// count of each value while there are at most [`EXACT_VALUES`] of them, and so gets exact
/// nearest-rank percentiles: a count never reads as 83.25 items, a sketch bucket's midpoint.
#[derive(Clone, Debug, Default)]
pub struct MetricAccumulator {
    running: Running,
    sketch: Sketch,
    /// Replications per whole value, while every value is whole and few are distinct.
    exact: std::collections::BTreeMap<i64, u64>,
    /// Some value was not whole, or too many were distinct: the sketch answers.
    inexact: bool,
}

/// Distinct whole values kept exactly per metric, beyond which the sketch answers alone.
pub const EXACT_VALUES: usize = 4096;

impl MetricAccumulator {
    /// Adds one replication's value (NaN, e.g. no item finished, is skipped).
    pub fn add(&mut self, x: f64) {
        self.running.add(x);
        self.sketch.add(x);
        if self.inexact || x.is_nan() {
            return;
        }
        // Whole and small enough to be an i64 exactly (infinities have a NaN fraction).
        let whole = x.fract() == 0.0 && x.abs() < 1e15;
        if whole {
            *self.exact.entry(x as i64).or_insert(0) += 1;
        }
        if !whole || self.exact.len() > EXACT_VALUES {
            self.inexact = true;
            self.exact.clear();
        }
    }

    /// The summary so far.
    pub fn stat(&self) -> Stat {
        let s = stat_from(&self.running, &self.sketch);
        let n: u64 = self.exact.values().sum();
        if self.inexact || n == 0 {
            return s;
        }
        // The nearest rank, as the sketch defines it.
        let quantile = |q: f64| {
            let rank = ((q * n as f64).ceil() as u64).clamp(1, n);
            let mut seen = 0;
            self.exact.iter().find_map(|(&v, &c)| {
                seen += c;
                (seen >= rank).then_some(v as f64)
            })
        };
        Stat {
            p50: quantile(0.50),
            p85: quantile(0.85),
            p95: quantile(0.95),
            ..s
        }
    }

    /// The running moments.
    pub fn running(&self) -> &Running {
        &self.running
    }
}

/// Folds per-replication means of an item-level metric, pooling the items' sketches so that
/// percentiles are of individual items across all replications.
#[derive(Clone, Debug, Default)]
pub struct PooledAccumulator {
    running: Running,
    sketch: Sketch,
}

impl PooledAccumulator {
    /// Adds one replication's mean and its items' sketch.
    pub fn add(&mut self, mean: f64, items: &Sketch) {
        self.running.add(mean);
        self.sketch.merge(items);
    }

    /// The summary so far.
    pub fn stat(&self) -> Stat {
        stat_from(&self.running, &self.sketch)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_get_whole_percentiles() {
        let mut counts = MetricAccumulator::default();
        for x in [83.0, 84.0, 83.0, 90.0, 1.0] {
            counts.add(x);
        }
        let s = counts.stat();
        for q in [s.p50, s.p85, s.p95] {
            let q = q.unwrap();
            assert_eq!(q, q.round(), "{q}");
        }
        assert_eq!(s.p50, Some(83.0));
        let mut rates = MetricAccumulator::default();
        for x in [0.5, 1.25, 2.0] {
            rates.add(x);
        }
        assert_ne!(rates.stat().p50.unwrap().fract(), 0.0);
    }

    #[test]
    fn welford_matches_two_pass() {
        let xs = [2.0, 4.0, 4.0, 4.0, 5.0, 5.0, 7.0, 9.0];
        let mut r = Running::default();
        xs.iter().for_each(|&x| r.add(x));
        assert_eq!(r.mean(), 5.0);
        assert!((r.variance() - 32.0 / 7.0).abs() < 1e-12);
        let ci = r.ci95().unwrap();
        assert!((ci - 2.365 * (32.0f64 / 7.0 / 8.0).sqrt()).abs() < 1e-9);
    }

    #[test]
    fn t_quantiles_are_continuous_past_the_table() {
        assert!((t_quantile_975(30) - 2.042).abs() < 1e-9);
        assert!((t_quantile_975(31) - 2.040).abs() < 0.002);
        assert!((t_quantile_975(1000) - 1.962).abs() < 0.001);
    }

    #[test]
    fn time_trend_is_the_least_squares_slope() {
        // One item more every day from day 1, all staying to the end: L(t) = floor(t), slope 1.
        let mut t = TimeTrend::new(0.0, 1000.0);
        for d in 1..1000 {
            t.stay(f64::from(d), 1000.0);
        }
        assert!((t.slope() - 1.0).abs() < 1e-3, "{}", t.slope());
        // A constant level has no trend, whatever happened before the window: five items from
        // day 0, two of which leave at day 5, before the window opens at day 10.
        let mut c = TimeTrend::new(10.0, 20.0);
        for leaves in [5.0, 5.0, 30.0, 30.0, 30.0] {
            c.stay(0.0, leaves);
        }
        assert!(c.slope().abs() < 1e-12);
        // A step up at the midpoint of [0, 2]: 12/8 * (∫_1^2 (t - 1) dt) = 12/8 * 1/2 = 0.75.
        let mut h = TimeTrend::new(0.0, 2.0);
        h.stay(1.0, f64::INFINITY);
        assert!((h.slope() - 0.75).abs() < 1e-12);
        // Nothing outside the window counts.
        let mut o = TimeTrend::new(0.0, 2.0);
        o.stay(3.0, 4.0);
        o.stay(-2.0, 0.0);
        assert_eq!(o.slope(), 0.0);
    }

    #[test]
    fn time_average_ignores_warmup() {
        let mut a = TimeAverage::new(10.0);
        a.change(0.0, 5.0); // level 5 during warm-up
        a.change(12.0, -3.0); // 5 for 2 days after warm-up, then 2
        assert!((a.average(20.0) - (5.0 * 2.0 + 2.0 * 8.0) / 10.0).abs() < 1e-12);
    }
}
