//! Fitting lognormal, gamma and Weibull distributions to whole-day durations by maximum
//! likelihood, and judging the fits.
//!
//! A cycle-data history keeps dates, not times, so a time in stage is known as a whole number
//! of days d = ⌊t₀ + X⌋ − ⌊t₀⌋, where X is the true duration and t₀ the moment the item
//! entered. With the entry's time of day uniform, the exact distribution of d is
//!
//! ```text
//! P(d) = R(d − 1) − 2 R(d) + R(d + 1),   R(t) = E[(X − t)⁺]  (R(t) = E[X] − t for t ≤ 0)
//! ```
//!
//! (R is the stop-loss transform; the second difference comes from integrating the CDF over
//! the day the item entered). So a day of 0 is not "no time", and fitting a continuous density
//! to the rounded values (the closed-form lognormal MLE, Minka's gamma, Newton's Weibull) would
//! be biased wherever durations are a few days, and impossible with zeros (ln 0). Instead each
//! family's likelihood of the rounded values is maximised directly: Nelder–Mead on the log
//! parameters, from a start matched to the mean and to the variance less the rounding's 1/6.
//!
//! For each family, R has a closed form through the incomplete gamma function
//! ([`crate::stats::special`]):
//! - lognormal(μ, σ): R(t) = m·Φ̄(z − σ) − t·Φ̄(z), z = (ln t − μ)/σ, m = e^(μ+σ²/2);
//! - gamma(k, θ): R(t) = kθ·Q(k + 1, t/θ) − t·Q(k, t/θ);
//! - Weibull(k, λ): R(t) = λΓ(1 + 1/k)·Q(1 + 1/k, u) − t·e^(−u), u = (t/λ)^k.
//!
//! The families are compared by AIC = 2·2 − 2·ln L (all have two parameters, so the lowest AIC
//! is the highest likelihood), and the best is judged by the Kolmogorov–Smirnov distance
//! between the observed and fitted distributions of whole days ([`crate::stats::ks`]; with
//! ties the test is conservative).

use crate::model::{DistSpec, MAX_GAMMA_CV, MAX_SIGMA, MIN_WEIBULL_SHAPE};
use crate::stats::ks;
use crate::stats::special::{gamma, gamma_q, normal_sf};

/// The variance whole-day rounding adds to a duration (uniform time of day: E[u(1 − u)]).
const ROUNDING_VARIANCE: f64 = 1.0 / 6.0;
/// The smallest gamma shape tried (a coefficient of variation of about 4.5); also inside the
/// scenario's bound on a gamma's `cv` ([`MAX_GAMMA_CV`]).
const MIN_GAMMA_SHAPE: f64 = 0.05;
/// The largest shape tried for the gamma and the Weibull: nearly constant durations.
const MAX_SHAPE: f64 = 1e4;
/// The smallest lognormal σ tried.
const MIN_SIGMA: f64 = 1e-3;
/// Means outside this range (days) are not durations a tracker records.
const MEAN_RANGE: (f64, f64) = (1e-6, 1e7);

/// The three families `fit` compares.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Family {
    /// Lognormal.
    Lognormal,
    /// Gamma.
    Gamma,
    /// Weibull.
    Weibull,
}

impl Family {
    /// Every family, in the order reports list them.
    pub const ALL: [Family; 3] = [Family::Lognormal, Family::Gamma, Family::Weibull];

    /// The scenario file's name of the family.
    pub fn name(self) -> &'static str {
        match self {
            Family::Lognormal => "lognormal",
            Family::Gamma => "gamma",
            Family::Weibull => "weibull",
        }
    }
}

/// A member of a family: (μ, σ) for the lognormal, (shape, scale) for the gamma and Weibull.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Params {
    /// The family.
    pub family: Family,
    /// μ, or the shape.
    pub a: f64,
    /// σ, or the scale.
    pub b: f64,
}

impl Params {
    /// The mean.
    pub fn mean(&self) -> f64 {
        match self.family {
            Family::Lognormal => (self.a + self.b * self.b / 2.0).exp(),
            Family::Gamma => self.a * self.b,
            Family::Weibull => self.b * gamma(1.0 + 1.0 / self.a),
        }
    }

    /// R(t) = E[(X − t)⁺], the stop-loss transform.
    pub fn stop_loss(&self, t: f64) -> f64 {
        if t <= 0.0 {
            return self.mean() - t;
        }
        let r = match self.family {
            Family::Lognormal => {
                let z = (t.ln() - self.a) / self.b;
                self.mean() * normal_sf(z - self.b) - t * normal_sf(z)
            }
            Family::Gamma => {
                let x = t / self.b;
                self.a * self.b * gamma_q(self.a + 1.0, x) - t * gamma_q(self.a, x)
            }
            Family::Weibull => {
                let u = (t / self.b).powf(self.a);
                self.mean() * gamma_q(1.0 + 1.0 / self.a, u) - t * (-u).exp()
            }
        };
        r.max(0.0)
    }

    /// P(d) for a whole number of days d ≥ 0 (see the module docs).
    pub fn day_probability(&self, d: u32) -> f64 {
        let d = f64::from(d);
        self.stop_loss(d - 1.0) - 2.0 * self.stop_loss(d) + self.stop_loss(d + 1.0)
    }

    /// P(D ≤ d) for whole days: 1 − (R(d) − R(d + 1)).
    pub fn day_cdf(&self, d: u32) -> f64 {
        let d = f64::from(d);
        1.0 - (self.stop_loss(d) - self.stop_loss(d + 1.0))
    }

    /// Inside the ranges the fit searches (and the scenario accepts).
    fn admissible(&self) -> bool {
        let m = self.mean();
        let shape_ok = match self.family {
            Family::Lognormal => (MIN_SIGMA..=MAX_SIGMA).contains(&self.b),
            Family::Gamma => {
                (MIN_GAMMA_SHAPE..=MAX_SHAPE).contains(&self.a)
                    && 1.0 / self.a.sqrt() <= MAX_GAMMA_CV
            }
            Family::Weibull => (MIN_WEIBULL_SHAPE..=MAX_SHAPE).contains(&self.a),
        };
        shape_ok && m.is_finite() && (MEAN_RANGE.0..=MEAN_RANGE.1).contains(&m)
    }

    /// The scenario distribution: lognormal by `mean` and `sd`, gamma by `mean` and `cv`,
    /// Weibull by `shape` and `scale`, each rounded to four significant digits.
    pub fn spec(&self) -> DistSpec {
        let r = |x: f64| round_sig(x, 4);
        match self.family {
            Family::Lognormal => {
                let m = self.mean();
                DistSpec::LognormalMeanSd {
                    mean: r(m),
                    sd: r(m * ((self.b * self.b).exp() - 1.0).sqrt()),
                }
            }
            Family::Gamma => DistSpec::Gamma {
                mean: r(self.mean()),
                cv: r(1.0 / self.a.sqrt()),
            },
            Family::Weibull => DistSpec::Weibull {
                shape: r(self.a),
                scale: r(self.b),
            },
        }
    }

    /// The parameters in words, e.g. `shape 1.52, scale 3.1`.
    pub fn describe(&self) -> String {
        match self.spec() {
            DistSpec::LognormalMeanSd { mean, sd } => format!("mean {mean}, sd {sd}"),
            DistSpec::Gamma { mean, cv } => format!("mean {mean}, cv {cv}"),
            DistSpec::Weibull { shape, scale } => format!("shape {shape}, scale {scale}"),
            other => format!("{other:?}"),
        }
    }
}

/// `x` rounded to `digits` significant digits.
pub fn round_sig(x: f64, digits: i32) -> f64 {
    if x == 0.0 || !x.is_finite() {
        return x;
    }
    let e = x.abs().log10().floor() as i32;
    let f = 10f64.powi(digits - 1 - e);
    (x * f).round() / f
}

/// Whole-day durations as (days, how many), sorted by days.
#[derive(Clone, Debug, PartialEq)]
pub struct Days {
    counts: Vec<(u32, u64)>,
    n: u64,
}

impl Days {
    /// Counts the durations.
    pub fn new(durations: &[u32]) -> Days {
        let mut sorted = durations.to_vec();
        sorted.sort_unstable();
        let mut counts: Vec<(u32, u64)> = Vec::new();
        for d in sorted {
            match counts.last_mut() {
                Some((v, c)) if *v == d => *c += 1,
                _ => counts.push((d, 1)),
            }
        }
        Days {
            counts,
            n: durations.len() as u64,
        }
    }

    /// How many durations.
    pub fn len(&self) -> u64 {
        self.n
    }

    /// True if there are none.
    pub fn is_empty(&self) -> bool {
        self.n == 0
    }

    /// The (days, count) pairs.
    pub fn counts(&self) -> &[(u32, u64)] {
        &self.counts
    }

    /// The mean and the sample variance.
    pub fn moments(&self) -> (f64, f64) {
        let n = self.n as f64;
        let mean = self
            .counts
            .iter()
            .map(|&(d, c)| f64::from(d) * c as f64)
            .sum::<f64>()
            / n;
        let ss = self
            .counts
            .iter()
            .map(|&(d, c)| (f64::from(d) - mean).powi(2) * c as f64)
            .sum::<f64>();
        (mean, if n > 1.0 { ss / (n - 1.0) } else { 0.0 })
    }

    /// The value at or below which a share `q` of the durations fall (nearest rank).
    pub fn quantile(&self, q: f64) -> u32 {
        let k = ((q * self.n as f64).ceil() as u64).clamp(1, self.n.max(1));
        let mut seen = 0;
        for &(d, c) in &self.counts {
            seen += c;
            if seen >= k {
                return d;
            }
        }
        self.counts.last().map_or(0, |&(d, _)| d)
    }

    /// The largest duration.
    pub fn max(&self) -> u32 {
        self.counts.last().map_or(0, |&(d, _)| d)
    }

    /// ln L of `p`: Σ count · ln P(d).
    pub fn log_likelihood(&self, p: &Params) -> f64 {
        self.counts
            .iter()
            .map(|&(d, c)| c as f64 * p.day_probability(d).max(f64::MIN_POSITIVE).ln())
            .sum()
    }

    /// The Kolmogorov–Smirnov distance between these durations and `p`'s whole-day
    /// distribution: the largest gap between the two step CDFs, on every day up to the
    /// longest duration (beyond it the gap only shrinks).
    pub fn ks_distance(&self, p: &Params) -> f64 {
        let mut d = 0.0_f64;
        let mut seen = 0u64;
        let mut next = self.counts.iter().peekable();
        for day in 0..=self.max() {
            if let Some(&&(v, c)) = next.peek() {
                if v == day {
                    seen += c;
                    next.next();
                }
            }
            let emp = seen as f64 / self.n as f64;
            d = d.max((emp - p.day_cdf(day)).abs());
        }
        d
    }
}

/// One family fitted to durations.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct FamilyFit {
    /// The maximum-likelihood member.
    pub params: Params,
    /// Its log-likelihood.
    pub log_likelihood: f64,
    /// AIC = 2·2 − 2·ln L.
    pub aic: f64,
    /// The Kolmogorov–Smirnov distance to the durations.
    pub ks: f64,
    /// Its p-value (asymptotic; conservative with ties).
    pub ks_p: f64,
}

/// Minimises `f` over the plane from `start` (Nelder & Mead, *Computer Journal* 7, 1965;
/// reflection 1, expansion 2, contraction ½, shrink ½), restarted once from its answer so a
/// collapsed simplex does not stop it early.
fn nelder_mead(f: &dyn Fn([f64; 2]) -> f64, start: [f64; 2], step: f64) -> ([f64; 2], f64) {
    let mut best = (start, f(start));
    for scale in [step, step / 10.0] {
        let x0 = best.0;
        let mut s: Vec<([f64; 2], f64)> = [x0, [x0[0] + scale, x0[1]], [x0[0], x0[1] + scale]]
            .into_iter()
            .map(|x| (x, f(x)))
            .collect();
        for _ in 0..500 {
            s.sort_by(|a, b| a.1.total_cmp(&b.1));
            let spread = (s[2].1 - s[0].1).abs();
            let size = (s[2].0[0] - s[0].0[0])
                .abs()
                .max((s[2].0[1] - s[0].0[1]).abs());
            if spread.is_finite() && spread <= 1e-10 * (1.0 + s[0].1.abs()) && size < 1e-7 {
                break;
            }
            let c = [(s[0].0[0] + s[1].0[0]) / 2.0, (s[0].0[1] + s[1].0[1]) / 2.0];
            let along = |t: f64| [c[0] + t * (s[2].0[0] - c[0]), c[1] + t * (s[2].0[1] - c[1])];
            let r = along(-1.0);
            let fr = f(r);
            if fr < s[0].1 {
                let e = along(-2.0);
                let fe = f(e);
                s[2] = if fe < fr { (e, fe) } else { (r, fr) };
            } else if fr < s[1].1 {
                s[2] = (r, fr);
            } else {
                let k = if fr < s[2].1 { along(-0.5) } else { along(0.5) };
                let fk = f(k);
                if fk < s[2].1.min(fr) {
                    s[2] = (k, fk);
                } else {
                    let b = s[0].0;
                    for v in s.iter_mut().skip(1) {
                        let x = [(v.0[0] + b[0]) / 2.0, (v.0[1] + b[1]) / 2.0];
                        *v = (x, f(x));
                    }
                }
            }
        }
        s.sort_by(|a, b| a.1.total_cmp(&b.1));
        if s[0].1 <= best.1 {
            best = s[0];
        }
    }
    best
}

/// The Weibull shape whose coefficient of variation is `cv` (bisection on ln k).
fn weibull_shape_for_cv(cv: f64) -> f64 {
    let cv_of = |k: f64| (gamma(1.0 + 2.0 / k) / gamma(1.0 + 1.0 / k).powi(2) - 1.0).sqrt();
    let (mut lo, mut hi) = (MIN_WEIBULL_SHAPE.ln(), 100f64.ln());
    for _ in 0..100 {
        let mid = (lo + hi) / 2.0;
        // The CV falls as the shape grows.
        if cv_of(mid.exp()) > cv {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    ((lo + hi) / 2.0).exp()
}

/// Maps a point of the search plane to a family member: (μ, ln σ) for the lognormal,
/// (ln mean, ln shape) for the gamma, (ln scale, ln shape) for the Weibull.
fn params_at(family: Family, x: [f64; 2]) -> Params {
    match family {
        Family::Lognormal => Params {
            family,
            a: x[0],
            b: x[1].exp(),
        },
        Family::Gamma => {
            let k = x[1].exp();
            Params {
                family,
                a: k,
                b: x[0].exp() / k,
            }
        }
        Family::Weibull => Params {
            family,
            a: x[1].exp(),
            b: x[0].exp(),
        },
    }
}

/// Fits `family` to `days` (which must hold a positive duration) by maximum likelihood.
pub fn fit(family: Family, days: &Days) -> FamilyFit {
    let (m, var) = days.moments();
    let m = m.max(1e-3);
    // The true durations' variance is the rounded ones' less the rounding's 1/6 (floored: a
    // start, not an estimate).
    let v = (var - ROUNDING_VARIANCE).max(0.01 * m * m).max(1e-6);
    let start = match family {
        Family::Lognormal => {
            let s2 = (1.0 + v / (m * m)).ln();
            [
                m.ln() - s2 / 2.0,
                s2.sqrt().clamp(MIN_SIGMA, MAX_SIGMA).ln(),
            ]
        }
        Family::Gamma => [m.ln(), (m * m / v).clamp(MIN_GAMMA_SHAPE, MAX_SHAPE).ln()],
        Family::Weibull => {
            let k = weibull_shape_for_cv(v.sqrt() / m);
            [(m / gamma(1.0 + 1.0 / k)).ln(), k.ln()]
        }
    };
    let objective = |x: [f64; 2]| {
        let p = params_at(family, x);
        if p.admissible() {
            -days.log_likelihood(&p)
        } else {
            f64::INFINITY
        }
    };
    let (x, neg) = nelder_mead(&objective, start, 0.3);
    let params = params_at(family, x);
    let ks = days.ks_distance(&params);
    FamilyFit {
        params,
        log_likelihood: -neg,
        aic: 4.0 + 2.0 * neg,
        ks,
        ks_p: ks::p_value(ks, days.len() as f64),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::rng;
    use crate::model::Dist;

    /// Whole-day durations of `n` draws of `spec`, each entering at a uniform time of day.
    fn rounded(spec: DistSpec, n: usize, seed: u64) -> Vec<u32> {
        let d = Dist::new(spec).unwrap();
        let mut r = rng::stream(&[seed]);
        (0..n)
            .map(|_| {
                let t0: f64 = rand::RngExt::random(&mut r);
                let x = d.sample(&mut r);
                ((t0 + x).floor() - t0.floor()) as u32
            })
            .collect()
    }

    #[test]
    fn day_probabilities_sum_to_one_and_match_the_mean() {
        for p in [
            Params {
                family: Family::Lognormal,
                a: 0.5,
                b: 0.8,
            },
            Params {
                family: Family::Gamma,
                a: 0.7,
                b: 3.0,
            },
            Params {
                family: Family::Weibull,
                a: 1.5,
                b: 2.0,
            },
        ] {
            let probs: Vec<f64> = (0..2000).map(|d| p.day_probability(d)).collect();
            let total: f64 = probs.iter().sum();
            assert!((total - 1.0).abs() < 1e-9, "{p:?}: {total}");
            assert!(probs.iter().all(|&q| q >= -1e-15), "{p:?}");
            // Rounding with a uniform time of day keeps the mean.
            let mean: f64 = probs.iter().enumerate().map(|(d, q)| d as f64 * q).sum();
            assert!(
                (mean - p.mean()).abs() < 1e-6,
                "{p:?}: {mean} vs {}",
                p.mean()
            );
            assert!((p.day_cdf(3) - probs[..4].iter().sum::<f64>()).abs() < 1e-12);
        }
        // Exponential (Weibull k = 1, mean 1): P(0) = ∫₀¹ (1 − e^(−x)) dx = e^(−1).
        let e = Params {
            family: Family::Weibull,
            a: 1.0,
            b: 1.0,
        };
        assert!((e.day_probability(0) - (-1f64).exp()).abs() < 1e-12);
    }

    /// Each family recovers its own parameters from 5,000 rounded draws (within 5%), and wins
    /// by AIC against the other two when the shapes differ enough to tell apart.
    #[test]
    fn each_family_recovers_itself_from_rounded_days() {
        let cases = [
            (
                Family::Weibull,
                DistSpec::Weibull {
                    shape: 1.5,
                    scale: 3.0,
                },
            ),
            (
                Family::Lognormal,
                DistSpec::LognormalMeanSd { mean: 4.0, sd: 5.0 },
            ),
            (Family::Gamma, DistSpec::Gamma { mean: 2.0, cv: 0.6 }),
        ];
        for (seed, (family, spec)) in cases.into_iter().enumerate() {
            let truth = Dist::new(spec.clone()).unwrap();
            let days = Days::new(&rounded(spec.clone(), 5000, seed as u64 + 1));
            let fits: Vec<FamilyFit> = Family::ALL.iter().map(|&f| fit(f, &days)).collect();
            let own = fits.iter().find(|f| f.params.family == family).unwrap();
            let fitted = Dist::new(own.params.spec()).unwrap();
            assert!(
                (fitted.mean() / truth.mean() - 1.0).abs() < 0.05,
                "{spec:?}: {fitted}"
            );
            assert!(
                (fitted.scv() / truth.scv() - 1.0).abs() < 0.1,
                "{spec:?}: {fitted}"
            );
            assert!(own.ks_p > 0.05, "{spec:?}: {own:?}");
            let best = fits.iter().min_by(|a, b| a.aic.total_cmp(&b.aic)).unwrap();
            assert_eq!(best.params.family, family, "{spec:?}: {fits:?}");
        }
    }

    #[test]
    fn durations_of_under_a_day_are_fitted_not_zeroed() {
        // Mean 0.4 days: most items leave the day they came, some the next.
        let spec = DistSpec::Gamma { mean: 0.4, cv: 0.5 };
        let days = Days::new(&rounded(spec, 3000, 9));
        assert!(days.counts()[0].0 == 0 && days.counts()[0].1 > 1500);
        let g = fit(Family::Gamma, &days);
        assert!((g.params.mean() - 0.4).abs() < 0.03, "{g:?}");
    }

    #[test]
    fn days_summaries() {
        let d = Days::new(&[3, 1, 1, 0, 5]);
        assert_eq!(d.counts(), &[(0, 1), (1, 2), (3, 1), (5, 1)]);
        assert_eq!(
            (d.len(), d.max(), d.quantile(0.5), d.quantile(0.85)),
            (5, 5, 1, 5)
        );
        assert_eq!(d.moments(), (2.0, 4.0));
        assert_eq!(round_sig(0.012_345_6, 3), 0.0123);
        assert_eq!(round_sig(123_456.0, 2), 120_000.0);
    }
}
