//! Probability distributions for durations and other non-negative quantities.
//!
//! A [`Dist`] is built only through [`Dist::new`], which rejects impossible parameters, so
//! sampling never fails. Sampling uses `rand_distr`'s algorithms; `Cargo.lock` pins their version
//! because a new version may change the values drawn from the same seed.

use rand::Rng;
use rand_distr::{Distribution, Exp, Gamma, LogNormal, Triangular, Uniform, Weibull};
use std::fmt;

/// z-score of the 90th percentile of the standard normal distribution.
const Z90: f64 = 1.281_551_565_544_600_5;

/// The parameters a user writes for a distribution.
#[derive(Clone, Debug, PartialEq)]
pub enum DistSpec {
    /// Exponential with the given mean.
    Exponential { mean: f64 },
    /// Always `value`.
    Fixed { value: f64 },
    /// Uniform on [min, max].
    Uniform { min: f64, max: f64 },
    /// Triangular on [min, max] with the given mode.
    Triangular { min: f64, mode: f64, max: f64 },
    /// Lognormal given by its median and 90th percentile.
    LognormalP90 { median: f64, p90: f64 },
    /// Lognormal given by its mean and standard deviation.
    LognormalMeanSd { mean: f64, sd: f64 },
    /// Gamma given by its mean and coefficient of variation.
    Gamma { mean: f64, cv: f64 },
    /// Weibull given by its shape k and scale λ: P(X > x) = exp(−(x/λ)^k).
    Weibull { shape: f64, scale: f64 },
    /// Weibull given by its mean and shape k (scale λ = mean / Γ(1 + 1/k)).
    WeibullMean { mean: f64, shape: f64 },
    /// Resampling uniformly from observed values.
    Empirical { samples: Vec<f64> },
}

/// Why a distribution's parameters are impossible.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
#[error("{0}")]
pub struct DistError(pub String);

#[derive(Clone, Debug)]
enum Sampler {
    Exponential(Exp<f64>),
    Fixed(f64),
    Uniform(Uniform<f64>),
    Triangular(Triangular<f64>),
    LogNormal(LogNormal<f64>),
    Gamma(Gamma<f64>),
    Weibull(Weibull<f64>),
    Empirical(Vec<f64>),
}

/// A validated distribution of non-negative values.
#[derive(Clone, Debug)]
pub struct Dist {
    spec: DistSpec,
    sampler: Sampler,
    mean: f64,
    /// The logarithms of its positive equal-probability nodes, computed the first time a
    /// posterior is asked of a distribution without a closed form ([`Dist::posterior_mean`]).
    log_nodes: std::sync::OnceLock<Vec<f64>>,
}

/// Equal-probability nodes a posterior is summed over when it has no closed form.
const POSTERIOR_NODES: usize = 128;

fn positive(name: &str, v: f64) -> Result<(), DistError> {
    if v.is_finite() && v > 0.0 {
        Ok(())
    } else {
        Err(DistError(format!(
            "`{name}` must be a positive number (got {v})"
        )))
    }
}

fn non_negative(name: &str, v: f64) -> Result<(), DistError> {
    if v.is_finite() && v >= 0.0 {
        Ok(())
    } else {
        Err(DistError(format!(
            "`{name}` must be zero or more (got {v})"
        )))
    }
}

/// The largest parameter a distribution takes (days, value per day, size factor): products and
/// sums of draws stay finite.
pub const MAX_PARAMETER: f64 = 1e12;
/// The largest log-scale spread of a lognormal (σ; p90 = 165 × median), and the largest CV of a
/// gamma: wider ones draw values that overflow, or underflow to zero, in practice.
pub const MAX_SIGMA: f64 = 4.0;
/// The largest coefficient of variation of a gamma distribution.
pub const MAX_GAMMA_CV: f64 = 100.0;
/// The smallest Weibull shape: below it the tail is so heavy (a coefficient of variation
/// above 15 at k = 0.2) that draws reach absurd durations, as with the lognormal's and the
/// gamma's bounds.
pub const MIN_WEIBULL_SHAPE: f64 = 0.2;
/// The most values an empirical distribution holds.
pub const MAX_SAMPLES: usize = 1_000_000;

/// Every parameter of `spec` is at most [`MAX_PARAMETER`].
fn bounded(spec: &DistSpec) -> Result<(), DistError> {
    let params: Vec<(&str, f64)> = match spec {
        DistSpec::Exponential { mean } => vec![("mean", *mean)],
        DistSpec::Fixed { value } => vec![("value", *value)],
        DistSpec::Uniform { min, max } => vec![("min", *min), ("max", *max)],
        DistSpec::Triangular { min, mode, max } => {
            vec![("min", *min), ("mode", *mode), ("max", *max)]
        }
        DistSpec::LognormalP90 { median, p90 } => vec![("median", *median), ("p90", *p90)],
        DistSpec::LognormalMeanSd { mean, sd } => vec![("mean", *mean), ("sd", *sd)],
        DistSpec::Gamma { mean, cv } => vec![("mean", *mean), ("cv", *cv)],
        DistSpec::Weibull { shape, scale } => vec![("shape", *shape), ("scale", *scale)],
        DistSpec::WeibullMean { mean, shape } => vec![("mean", *mean), ("shape", *shape)],
        DistSpec::Empirical { samples } => {
            if samples.len() > MAX_SAMPLES {
                return Err(DistError(format!(
                    "`samples` holds {} values; at most {MAX_SAMPLES} are supported",
                    samples.len()
                )));
            }
            samples.iter().map(|&s| ("samples", s)).collect()
        }
    };
    match params.iter().find(|(_, v)| *v > MAX_PARAMETER) {
        Some((name, v)) => Err(DistError(format!(
            "`{name}` must be at most {MAX_PARAMETER:e} (got {v:e})"
        ))),
        None => Ok(()),
    }
}

impl Dist {
    /// Validates `spec` and prepares its sampler.
    pub fn new(spec: DistSpec) -> Result<Dist, DistError> {
        bounded(&spec)?;
        let (sampler, mean) = match &spec {
            DistSpec::Exponential { mean } => {
                positive("mean", *mean)?;
                (
                    Sampler::Exponential(Exp::new(1.0 / mean).map_err(bad)?),
                    *mean,
                )
            }
            DistSpec::Fixed { value } => {
                non_negative("value", *value)?;
                (Sampler::Fixed(*value), *value)
            }
            DistSpec::Uniform { min, max } => {
                non_negative("min", *min)?;
                non_negative("max", *max)?;
                if max <= min {
                    return Err(DistError(format!(
                        "`max` must be greater than `min` (got min {min}, max {max})"
                    )));
                }
                (
                    Sampler::Uniform(Uniform::new_inclusive(*min, *max).map_err(bad)?),
                    (min + max) / 2.0,
                )
            }
            DistSpec::Triangular { min, mode, max } => {
                non_negative("min", *min)?;
                non_negative("mode", *mode)?;
                non_negative("max", *max)?;
                if !(min <= mode && mode <= max && min < max) {
                    return Err(DistError(format!(
                        "need min <= mode <= max and min < max (got min {min}, mode {mode}, max {max})"
                    )));
                }
                (
                    Sampler::Triangular(Triangular::new(*min, *max, *mode).map_err(bad)?),
                    (min + mode + max) / 3.0,
                )
            }
            DistSpec::LognormalP90 { median, p90 } => {
                positive("median", *median)?;
                positive("p90", *p90)?;
                if p90 <= median {
                    return Err(DistError(format!(
                        "`p90` must be greater than `median` (got median {median}, p90 {p90})"
                    )));
                }
                let mu = median.ln();
                let sigma = (p90.ln() - mu) / Z90;
                if sigma > MAX_SIGMA {
                    return Err(DistError(format!(
                        "`p90` may be at most {:.0} times `median` (a log-scale spread of {MAX_SIGMA}); got median {median}, p90 {p90}",
                        (MAX_SIGMA * Z90).exp().floor()
                    )));
                }
                (
                    Sampler::LogNormal(LogNormal::new(mu, sigma).map_err(bad)?),
                    (mu + sigma * sigma / 2.0).exp(),
                )
            }
            DistSpec::LognormalMeanSd { mean, sd } => {
                positive("mean", *mean)?;
                positive("sd", *sd)?;
                let s2 = (1.0 + (sd / mean).powi(2)).ln();
                if s2.sqrt() > MAX_SIGMA {
                    return Err(DistError(format!(
                        "`sd` may be at most {:.0} times `mean` (a log-scale spread of {MAX_SIGMA}); got mean {mean}, sd {sd}",
                        ((MAX_SIGMA * MAX_SIGMA).exp() - 1.0).sqrt().floor()
                    )));
                }
                let mu = mean.ln() - s2 / 2.0;
                (
                    Sampler::LogNormal(LogNormal::new(mu, s2.sqrt()).map_err(bad)?),
                    *mean,
                )
            }
            DistSpec::Gamma { mean, cv } => {
                positive("mean", *mean)?;
                positive("cv", *cv)?;
                if *cv > MAX_GAMMA_CV {
                    return Err(DistError(format!(
                        "`cv` must be at most {MAX_GAMMA_CV} (got {cv})"
                    )));
                }
                let shape = 1.0 / (cv * cv);
                (
                    Sampler::Gamma(Gamma::new(shape, mean / shape).map_err(bad)?),
                    *mean,
                )
            }
            DistSpec::Weibull { shape, scale } => {
                positive("scale", *scale)?;
                weibull_shape(*shape)?;
                (
                    Sampler::Weibull(Weibull::new(*scale, *shape).map_err(bad)?),
                    scale * weibull_moment(*shape, 1.0),
                )
            }
            DistSpec::WeibullMean { mean, shape } => {
                positive("mean", *mean)?;
                weibull_shape(*shape)?;
                let scale = mean / weibull_moment(*shape, 1.0);
                (
                    Sampler::Weibull(Weibull::new(scale, *shape).map_err(bad)?),
                    *mean,
                )
            }
            DistSpec::Empirical { samples } => {
                if samples.is_empty() {
                    return Err(DistError("`samples` must hold at least one value".into()));
                }
                for s in samples {
                    non_negative("samples", *s)?;
                }
                let mean = samples.iter().sum::<f64>() / samples.len() as f64;
                (Sampler::Empirical(samples.clone()), mean)
            }
        };
        Ok(Dist {
            spec,
            sampler,
            mean,
            log_nodes: std::sync::OnceLock::new(),
        })
    }

    /// The exponential distribution with the given mean, which must be positive.
    pub fn exponential(mean: f64) -> Result<Dist, DistError> {
        Dist::new(DistSpec::Exponential { mean })
    }

    /// The mean of a value drawn from this distribution (the prior) given a reading of it,
    /// `reading` = value x e^(`sigma` Z) with Z standard normal (a median-unbiased estimate
    /// with a log-scale error of `sigma`): E[value | reading], by Bayes' rule. A reading taken
    /// at face value is on average e^(sigma^2 / 2) times the value; this is not. For a
    /// lognormal prior the update is the normal-normal one on the log scale (closed form); a
    /// fixed value is known; an empirical prior is summed exactly over its samples; any other
    /// is integrated on the log scale (the trapezoid rule on a grid fine where the likelihood
    /// or the prior has its mass). A reading that is not a positive finite number, or no
    /// error, is returned as it is; so is the reading when the prior gives it no weight.
    pub fn posterior_mean(&self, reading: f64, sigma: f64) -> f64 {
        if !(sigma > 0.0 && sigma.is_finite() && reading > 0.0 && reading.is_finite()) {
            return reading;
        }
        let log_reading = reading.ln();
        let s2 = sigma * sigma;
        if let Some((mu, tau)) = self.log_scale() {
            // Normal prior N(mu, tau^2) on ln value, normal likelihood: the posterior of ln
            // value is normal with precision 1/tau^2 + 1/sigma^2.
            let t2 = tau * tau;
            let post = 1.0 / (1.0 / t2 + 1.0 / s2);
            let m = post * (mu / t2 + log_reading / s2);
            return (m + post / 2.0).exp();
        }
        match &self.spec {
            DistSpec::Fixed { value } => return *value,
            DistSpec::Empirical { samples } => {
                // A discrete prior: the posterior is exactly a weighted sum over its samples.
                let weight = |x: f64| -(log_reading - x.ln()).powi(2) / (2.0 * s2);
                let positive = || samples.iter().copied().filter(|&x| x > 0.0);
                let Some(top) = positive().map(weight).reduce(f64::max) else {
                    return reading;
                };
                let (mut num, mut den) = (0.0, 0.0);
                for x in positive() {
                    let w = (weight(x) - top).exp();
                    num += w * x;
                    den += w;
                }
                return num / den;
            }
            _ => {}
        }
        // A continuous prior: the integrals over y = ln value of prior density x likelihood,
        // by the trapezoid rule on a grid that covers the likelihood (every sigma / 2 within
        // 8 sigma of the reading) and the prior (its 128 equal-probability nodes, either side
        // of its density's corners), refined around the integrand's peak (which a reading far
        // beyond the prior's support puts at its edge, as steep as sigma^2 over the distance).
        // The equal-probability nodes are sparse in a tail, so the peak is searched for between
        // them before the fine grid is laid around it.
        let nodes = self.log_nodes.get_or_init(|| self.positive_log_nodes());
        let ln_f = |y: f64| self.ln_pdf(y.exp()) + y - (log_reading - y).powi(2) / (2.0 * s2);
        let mut ys: Vec<f64> = (-16..=16)
            .map(|k| log_reading + f64::from(k) * sigma / 2.0)
            .chain(nodes.iter().copied())
            .filter(|y| y.is_finite())
            .collect();
        ys.sort_by(f64::total_cmp);
        ys.dedup();
        let Some(at) = (0..ys.len())
            .map(|k| (ln_f(ys[k]), k))
            .filter(|(l, _)| l.is_finite())
            .max_by(|a, b| a.0.total_cmp(&b.0))
            .map(|(_, k)| k)
        else {
            return reading;
        };
        // The peak itself, between the grid's neighbours of the best point (a ternary search:
        // the integrand rises to one peak there, or to the edge of the prior's support).
        let (mut a, mut b) = (ys[at.saturating_sub(1)], ys[(at + 1).min(ys.len() - 1)]);
        for _ in 0..40 {
            let (m1, m2) = (a + (b - a) / 3.0, b - (b - a) / 3.0);
            if ln_f(m1) < ln_f(m2) {
                a = m1;
            } else {
                b = m2;
            }
        }
        let peak = (a + b) / 2.0;
        // The integrand's width there: from its curvature at an inner peak, from its slope at
        // the edge of the support; the fine grid spans 8 widths either side.
        let h = sigma / 64.0;
        let (f0, up, down) = (ln_f(peak), ln_f(peak + h), ln_f(peak - h));
        let curvature = (up - 2.0 * f0 + down) / (h * h);
        let width = if curvature < 0.0 && curvature.is_finite() {
            1.0 / (-curvature).sqrt()
        } else {
            let slope = if down.is_finite() {
                (f0 - down) / h
            } else {
                (up - f0) / h
            };
            1.0 / slope.abs()
        };
        let width = if width.is_finite() {
            width.clamp(sigma * 1e-6, sigma * 10.0)
        } else {
            sigma
        };
        ys.extend((-64..=64).map(|k| peak + f64::from(k) * width / 8.0));
        ys.sort_by(f64::total_cmp);
        ys.dedup();
        let log_f: Vec<f64> = ys.iter().map(|&y| ln_f(y)).collect();
        let top = log_f
            .iter()
            .copied()
            .filter(|l| l.is_finite())
            .fold(f64::NEG_INFINITY, f64::max);
        let (mut num, mut den) = (0.0, 0.0);
        for k in 1..ys.len() {
            let h = ys[k] - ys[k - 1];
            let (a, b) = ((log_f[k - 1] - top).exp(), (log_f[k] - top).exp());
            den += h * (a + b) / 2.0;
            num += h * (a * ys[k - 1].exp() + b * ys[k].exp()) / 2.0;
        }
        if den > 0.0 && num.is_finite() {
            num / den
        } else {
            reading
        }
    }

    /// ln of its density at `x` > 0 (minus infinity off its support), for a prior without a
    /// closed-form posterior.
    fn ln_pdf(&self, x: f64) -> f64 {
        let ln0 = f64::NEG_INFINITY;
        match self.spec {
            DistSpec::Exponential { mean } => -mean.ln() - x / mean,
            DistSpec::Uniform { min, max } => {
                if x >= min && x <= max {
                    -(max - min).ln()
                } else {
                    ln0
                }
            }
            DistSpec::Triangular { min, mode, max } => {
                let d = if x < min || x > max {
                    0.0
                } else if x < mode {
                    2.0 * (x - min) / ((max - min) * (mode - min))
                } else if x > mode {
                    2.0 * (max - x) / ((max - min) * (max - mode))
                } else {
                    2.0 / (max - min)
                };
                d.ln()
            }
            DistSpec::Gamma { mean, cv } => {
                let shape = 1.0 / (cv * cv);
                let scale = mean / shape;
                (shape - 1.0) * x.ln()
                    - x / scale
                    - crate::stats::special::ln_gamma(shape)
                    - shape * scale.ln()
            }
            DistSpec::Weibull { shape, scale } => weibull_ln_pdf(x, shape, scale),
            DistSpec::WeibullMean { mean, shape } => {
                weibull_ln_pdf(x, shape, mean / weibull_moment(shape, 1.0))
            }
            // Closed forms, point masses and samples are handled by the caller.
            DistSpec::LognormalP90 { .. }
            | DistSpec::LognormalMeanSd { .. }
            | DistSpec::Fixed { .. }
            | DistSpec::Empirical { .. } => ln0,
        }
    }

    /// Its log-scale location and spread, if it is lognormal.
    fn log_scale(&self) -> Option<(f64, f64)> {
        match self.spec {
            DistSpec::LognormalP90 { median, p90 } => {
                let mu = median.ln();
                Some((mu, (p90.ln() - mu) / Z90))
            }
            DistSpec::LognormalMeanSd { mean, sd } => {
                let s2 = (1.0 + (sd / mean).powi(2)).ln();
                Some((mean.ln() - s2 / 2.0, s2.sqrt()))
            }
            _ => None,
        }
    }

    /// The logarithms of its positive equal-probability nodes (the quantiles at the middle of
    /// each of 128 equal slices of probability), with the corners of its density.
    fn positive_log_nodes(&self) -> Vec<f64> {
        let p = |i: usize| (i as f64 + 0.5) / POSTERIOR_NODES as f64;
        let mut quantiles: Vec<f64> = (0..POSTERIOR_NODES)
            .map(|i| quantile(&self.spec, p(i)))
            .collect();
        // Where the density has a corner (the support's ends, the mode), a node just either
        // side of it, so no step of the integral straddles a jump.
        let corners = match self.spec {
            DistSpec::Uniform { min, max } => vec![min, max],
            DistSpec::Triangular { min, mode, max } => vec![min, mode, max],
            _ => Vec::new(),
        };
        quantiles.retain(|&x| x > 0.0 && x.is_finite());
        let mut nodes: Vec<f64> = quantiles.into_iter().map(f64::ln).collect();
        for c in corners.into_iter().filter(|&c| c > 0.0 && c.is_finite()) {
            nodes.extend([c.ln() - 1e-9, c.ln() + 1e-9]);
        }
        nodes
    }

    /// Draws one value.
    #[inline(always)]
    pub fn sample<R: Rng + ?Sized>(&self, rng: &mut R) -> f64 {
        // The exponential (the queueing models) and fixed times are drawn where they are
        // needed, on the engine's hot path; the others through one shared function.
        match &self.sampler {
            Sampler::Exponential(d) => d.sample(rng),
            Sampler::Fixed(v) => *v,
            _ => self.sample_other(rng),
        }
    }

    /// Draws one value of any distribution (`sample` answers the two common ones inline).
    #[inline(never)]
    fn sample_other<R: Rng + ?Sized>(&self, rng: &mut R) -> f64 {
        match &self.sampler {
            Sampler::Exponential(d) => d.sample(rng),
            Sampler::Fixed(v) => *v,
            Sampler::Uniform(d) => d.sample(rng),
            Sampler::Triangular(d) => d.sample(rng),
            Sampler::LogNormal(d) => d.sample(rng),
            Sampler::Gamma(d) => d.sample(rng),
            Sampler::Weibull(d) => d.sample(rng),
            Sampler::Empirical(s) => {
                let i = Uniform::new(0, s.len())
                    .expect("invariant: empirical samples are non-empty")
                    .sample(rng);
                s[i]
            }
        }
    }

    /// The distribution's mean.
    pub fn mean(&self) -> f64 {
        self.mean
    }

    /// The squared coefficient of variation, where it has a closed form.
    pub fn scv(&self) -> f64 {
        match &self.spec {
            DistSpec::Exponential { .. } => 1.0,
            DistSpec::Fixed { .. } => 0.0,
            DistSpec::Uniform { min, max } => {
                let var = (max - min).powi(2) / 12.0;
                var / self.mean.powi(2)
            }
            DistSpec::Triangular { min, mode, max } => {
                let var =
                    (min * min + mode * mode + max * max - min * mode - min * max - mode * max)
                        / 18.0;
                var / self.mean.powi(2)
            }
            DistSpec::LognormalMeanSd { mean, sd } => (sd / mean).powi(2),
            DistSpec::LognormalP90 { median, p90 } => {
                let sigma = (p90.ln() - median.ln()) / Z90;
                (sigma * sigma).exp() - 1.0
            }
            DistSpec::Gamma { cv, .. } => cv * cv,
            DistSpec::Weibull { shape, .. } | DistSpec::WeibullMean { shape, .. } => {
                weibull_moment(*shape, 2.0) / weibull_moment(*shape, 1.0).powi(2) - 1.0
            }
            DistSpec::Empirical { samples } => {
                let n = samples.len() as f64;
                let var = samples.iter().map(|s| (s - self.mean).powi(2)).sum::<f64>() / n;
                if self.mean > 0.0 {
                    var / self.mean.powi(2)
                } else {
                    0.0
                }
            }
        }
    }

    /// The parameters this distribution was built from.
    pub fn spec(&self) -> &DistSpec {
        &self.spec
    }
}

/// Γ(1 + r/k): the r-th moment of a Weibull with shape k and scale 1.
fn weibull_moment(shape: f64, r: f64) -> f64 {
    crate::stats::special::gamma(1.0 + r / shape)
}

/// ln of the Weibull density at `x` > 0.
fn weibull_ln_pdf(x: f64, shape: f64, scale: f64) -> f64 {
    let z = x / scale;
    shape.ln() - scale.ln() + (shape - 1.0) * z.ln() - z.powf(shape)
}

fn weibull_shape(shape: f64) -> Result<(), DistError> {
    positive("shape", shape)?;
    if shape < MIN_WEIBULL_SHAPE {
        return Err(DistError(format!(
            "`shape` must be at least {MIN_WEIBULL_SHAPE} (got {shape}); smaller shapes draw absurdly long durations"
        )));
    }
    Ok(())
}

fn bad<E: fmt::Display>(e: E) -> DistError {
    DistError(e.to_string())
}

/// The `p`-quantile (0 < p < 1) of a distribution without a closed-form posterior.
fn quantile(spec: &DistSpec, p: f64) -> f64 {
    match *spec {
        DistSpec::Exponential { mean } => -mean * (1.0 - p).ln(),
        DistSpec::Fixed { value } => value,
        DistSpec::Uniform { min, max } => min + (max - min) * p,
        DistSpec::Triangular { min, mode, max } => {
            let split = (mode - min) / (max - min);
            if p < split {
                min + (p * (max - min) * (mode - min)).sqrt()
            } else {
                max - ((1.0 - p) * (max - min) * (max - mode)).sqrt()
            }
        }
        DistSpec::Gamma { mean, cv } => {
            let shape = 1.0 / (cv * cv);
            crate::stats::special::gamma_p_inverse(shape, p) * mean / shape
        }
        DistSpec::Weibull { shape, scale } => scale * (-(1.0 - p).ln()).powf(1.0 / shape),
        DistSpec::WeibullMean { mean, shape } => {
            mean / weibull_moment(shape, 1.0) * (-(1.0 - p).ln()).powf(1.0 / shape)
        }
        // Closed forms and samples are handled by the caller.
        DistSpec::LognormalP90 { .. }
        | DistSpec::LognormalMeanSd { .. }
        | DistSpec::Empirical { .. } => f64::NAN,
    }
}

impl fmt::Display for Dist {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.spec {
            DistSpec::Exponential { mean } => write!(f, "exponential(mean {mean})"),
            DistSpec::Fixed { value } => write!(f, "fixed({value})"),
            DistSpec::Uniform { min, max } => write!(f, "uniform({min}..{max})"),
            DistSpec::Triangular { min, mode, max } => {
                write!(f, "triangular({min}, {mode}, {max})")
            }
            DistSpec::LognormalP90 { median, p90 } => {
                write!(f, "lognormal(median {median}, p90 {p90})")
            }
            DistSpec::LognormalMeanSd { mean, sd } => write!(f, "lognormal(mean {mean}, sd {sd})"),
            DistSpec::Gamma { mean, cv } => write!(f, "gamma(mean {mean}, cv {cv})"),
            DistSpec::Weibull { shape, scale } => {
                write!(f, "weibull(shape {shape}, scale {scale})")
            }
            DistSpec::WeibullMean { mean, shape } => {
                write!(f, "weibull(mean {mean}, shape {shape})")
            }
            DistSpec::Empirical { samples } => write!(f, "empirical({} samples)", samples.len()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::rng;

    fn moments(d: &Dist, n: usize) -> (f64, f64) {
        let mut r = rng::stream(&[7]);
        let xs: Vec<f64> = (0..n).map(|_| d.sample(&mut r)).collect();
        let m = xs.iter().sum::<f64>() / n as f64;
        let v = xs.iter().map(|x| (x - m).powi(2)).sum::<f64>() / (n - 1) as f64;
        (m, v)
    }

    /// Calibration is what the posterior mean promises: over many (value, reading) pairs, the
    /// values behind a band of readings average what the posterior mean says they do, in the
    /// top tenth of readings too (where readings at face value are inflated the most).
    #[test]
    fn posterior_means_are_calibrated_for_every_prior() {
        use rand_distr::StandardNormal;
        let sigma = 1.0;
        let priors = vec![
            DistSpec::LognormalP90 {
                median: 500.0,
                p90: 2500.0,
            },
            DistSpec::LognormalMeanSd { mean: 3.0, sd: 1.5 },
            DistSpec::Gamma { mean: 4.0, cv: 0.8 },
            DistSpec::Exponential { mean: 2.0 },
            DistSpec::Uniform { min: 0.5, max: 3.0 },
            DistSpec::Triangular {
                min: 0.0,
                mode: 1.0,
                max: 6.0,
            },
            DistSpec::WeibullMean {
                mean: 2.0,
                shape: 1.5,
            },
            DistSpec::Empirical {
                samples: vec![1.0, 1.0, 2.0, 8.0, 30.0],
            },
        ];
        for spec in priors {
            let d = Dist::new(spec.clone()).unwrap();
            let mut r = rng::stream(&[11]);
            let n = 20_000;
            let mut pairs: Vec<(f64, f64, f64)> = (0..n)
                .map(|_| {
                    let value = d.sample(&mut r);
                    let z: f64 = StandardNormal.sample(&mut r);
                    let reading = value * (sigma * z).exp();
                    (reading, value, d.posterior_mean(reading, sigma))
                })
                .filter(|(reading, _, _)| *reading > 0.0)
                .collect();
            pairs.sort_by(|a, b| a.0.total_cmp(&b.0));
            let mean = |xs: &[(f64, f64, f64)], f: fn(&(f64, f64, f64)) -> f64| {
                xs.iter().map(f).sum::<f64>() / xs.len() as f64
            };
            let top = &pairs[pairs.len() * 9 / 10..];
            for (band, tol) in [(&pairs[..], 0.04), (top, 0.10)] {
                let (value, post, face) = (
                    mean(band, |p| p.1),
                    mean(band, |p| p.2),
                    mean(band, |p| p.0),
                );
                assert!(
                    (post / value - 1.0).abs() < tol,
                    "{spec:?}: values {value}, posterior means {post}"
                );
                // At face value the same readings are far off (e^(1/2) on average).
                assert!(face / value > 1.3, "{spec:?}: face {face}, values {value}");
            }
        }
    }

    /// The continuous priors without a closed form, as their densities are checked.
    fn continuous_priors() -> Vec<DistSpec> {
        vec![
            DistSpec::Exponential { mean: 1.0 },
            DistSpec::Gamma { mean: 4.0, cv: 0.8 },
            DistSpec::Gamma { mean: 2.0, cv: 1.5 },
            DistSpec::Uniform { min: 0.5, max: 3.0 },
            DistSpec::Uniform { min: 0.0, max: 2.0 },
            DistSpec::Triangular {
                min: 0.0,
                mode: 1.0,
                max: 6.0,
            },
            DistSpec::Weibull {
                shape: 0.7,
                scale: 2.0,
            },
            DistSpec::WeibullMean {
                mean: 2.0,
                shape: 3.0,
            },
        ]
    }

    /// A dense midpoint sum over `(1e-12, hi)` of `f(x)` times the density, on the log scale
    /// (where a density that is infinite at 0 is not).
    fn dense(d: &Dist, hi: f64, f: impl Fn(f64) -> f64) -> f64 {
        let n = 400_000;
        let (lo, hi) = ((1e-12f64).ln(), hi.ln());
        let h = (hi - lo) / f64::from(n);
        (0..n)
            .map(|i| {
                let x = (lo + (f64::from(i) + 0.5) * h).exp();
                f(x) * d.ln_pdf(x).exp() * x * h
            })
            .sum()
    }

    #[test]
    fn the_densities_integrate_to_one_with_their_means() {
        for spec in continuous_priors() {
            let d = Dist::new(spec.clone()).unwrap();
            let hi = 60.0 * d.mean();
            let mass = dense(&d, hi, |_| 1.0);
            let mean = dense(&d, hi, |x| x);
            assert!((mass - 1.0).abs() < 2e-3, "{spec:?}: mass {mass}");
            assert!(
                (mean / d.mean() - 1.0).abs() < 5e-3,
                "{spec:?}: mean {mean}"
            );
        }
    }

    /// Narrow likelihoods and readings far in a tail: the posterior mean is the integral's,
    /// not snapped to a node of the prior.
    #[test]
    fn posterior_means_match_a_dense_integral_for_narrow_and_far_readings() {
        for spec in continuous_priors() {
            let d = Dist::new(spec.clone()).unwrap();
            let hi = 60.0 * d.mean();
            for sigma in [0.01, 0.1, 0.5, 1.5] {
                for reading in [0.3, 1.004, 2.5, 20.0].map(|r| r * d.mean()) {
                    let like =
                        |x: f64| (-(reading.ln() - x.ln()).powi(2) / (2.0 * sigma * sigma)).exp();
                    let den = dense(&d, hi, like);
                    if den < 1e-200 {
                        continue; // no prior mass near the reading at all
                    }
                    let want = dense(&d, hi, |x| x * like(x)) / den;
                    let got = d.posterior_mean(reading, sigma);
                    assert!(
                        (got / want - 1.0).abs() < 5e-3,
                        "{spec:?} sigma {sigma} reading {reading}: {got} against {want}"
                    );
                }
            }
        }
        // The case a grid of equal-probability nodes alone gets wrong (it gave 5.5, its top
        // node): exponential(1), sigma 0.1, reading 10.
        let e = Dist::new(DistSpec::Exponential { mean: 1.0 }).unwrap();
        let m = e.posterior_mean(10.0, 0.1);
        // Laplace's approximation: the log-posterior peaks at y = 2.2205 with curvature -109.2.
        assert!((m - 9.25).abs() < 0.02, "{m}");
    }

    #[test]
    fn a_posterior_mean_without_noise_or_a_reading_is_the_reading() {
        let d = Dist::new(DistSpec::Gamma { mean: 4.0, cv: 0.8 }).unwrap();
        assert_eq!(d.posterior_mean(3.0, 0.0), 3.0);
        assert_eq!(d.posterior_mean(0.0, 1.0), 0.0);
        assert!(d.posterior_mean(f64::NAN, 1.0).is_nan());
        let fixed = Dist::new(DistSpec::Fixed { value: 7.0 }).unwrap();
        assert_eq!(fixed.posterior_mean(30.0, 1.0), 7.0);
        // Monotone: a larger reading never means a smaller value.
        let mut last = 0.0;
        for k in 1..200 {
            let m = d.posterior_mean(f64::from(k) * 0.1, 0.7);
            assert!(m >= last, "{k}");
            last = m;
        }
    }

    #[test]
    fn sample_moments_match_parameters() {
        let cases = vec![
            DistSpec::Exponential { mean: 2.0 },
            DistSpec::Uniform { min: 1.0, max: 3.0 },
            DistSpec::Triangular {
                min: 1.0,
                mode: 2.0,
                max: 6.0,
            },
            DistSpec::LognormalMeanSd { mean: 3.0, sd: 1.5 },
            DistSpec::LognormalP90 {
                median: 2.0,
                p90: 5.0,
            },
            DistSpec::Gamma { mean: 4.0, cv: 0.5 },
            DistSpec::Weibull {
                shape: 1.5,
                scale: 2.0,
            },
            DistSpec::WeibullMean {
                mean: 3.0,
                shape: 0.8,
            },
            DistSpec::Empirical {
                samples: vec![1.0, 2.0, 6.0],
            },
        ];
        for spec in cases {
            let d = Dist::new(spec.clone()).unwrap();
            let (m, v) = moments(&d, 200_000);
            assert!(
                (m / d.mean() - 1.0).abs() < 0.01,
                "{spec:?}: mean {m} vs {}",
                d.mean()
            );
            let scv = v / m / m;
            assert!(
                (scv - d.scv()).abs() < 0.03 * d.scv().max(0.1),
                "{spec:?}: scv {scv} vs {}",
                d.scv()
            );
        }
    }

    #[test]
    fn lognormal_p90_hits_its_percentiles() {
        let d = Dist::new(DistSpec::LognormalP90 {
            median: 2.0,
            p90: 5.0,
        })
        .unwrap();
        let mut r = rng::stream(&[9]);
        let mut xs: Vec<f64> = (0..100_000).map(|_| d.sample(&mut r)).collect();
        xs.sort_by(f64::total_cmp);
        assert!((xs[50_000] / 2.0 - 1.0).abs() < 0.02);
        assert!((xs[90_000] / 5.0 - 1.0).abs() < 0.03);
    }

    /// Weibull moments against theory: with shape k = 1.5 (Magennis's shape for software
    /// lead times) and scale 2, mean = 2·Γ(5/3) = 1.80549 and variance
    /// = 4·(Γ(7/3) − Γ(5/3)²) = 1.50276; the mean form gives the same distribution.
    #[test]
    fn weibull_moments_match_theory() {
        let d = Dist::new(DistSpec::Weibull {
            shape: 1.5,
            scale: 2.0,
        })
        .unwrap();
        assert!((d.mean() - 1.805_490_585_9).abs() < 1e-9, "{}", d.mean());
        let var = d.scv() * d.mean().powi(2);
        assert!((var - 1.502_761).abs() < 1e-5, "{var}");
        let (m, v) = moments(&d, 400_000);
        assert!((m / 1.805_49 - 1.0).abs() < 0.005, "{m}");
        assert!((v / 1.502_76 - 1.0).abs() < 0.02, "{v}");
        let by_mean = Dist::new(DistSpec::WeibullMean {
            mean: d.mean(),
            shape: 1.5,
        })
        .unwrap();
        assert!((by_mean.scv() - d.scv()).abs() < 1e-12);
        let (m2, _) = moments(&by_mean, 400_000);
        assert!((m2 - m).abs() < 1e-9, "same seed, same scale: same draws");
        // Shape 1 is the exponential: scv 1.
        let e = Dist::new(DistSpec::Weibull {
            shape: 1.0,
            scale: 3.0,
        })
        .unwrap();
        assert!((e.scv() - 1.0).abs() < 1e-12 && (e.mean() - 3.0).abs() < 1e-12);
        assert_eq!(d.to_string(), "weibull(shape 1.5, scale 2)");
    }

    #[test]
    fn impossible_parameters_are_rejected() {
        let bad = vec![
            DistSpec::Exponential { mean: 0.0 },
            DistSpec::Exponential { mean: -1.0 },
            DistSpec::Fixed { value: -0.5 },
            DistSpec::Uniform { min: 3.0, max: 1.0 },
            DistSpec::Uniform {
                min: -1.0,
                max: 1.0,
            },
            DistSpec::Triangular {
                min: 1.0,
                mode: 5.0,
                max: 3.0,
            },
            DistSpec::LognormalP90 {
                median: 5.0,
                p90: 2.0,
            },
            DistSpec::LognormalMeanSd { mean: 1.0, sd: 0.0 },
            DistSpec::Gamma {
                mean: 1.0,
                cv: f64::NAN,
            },
            DistSpec::Weibull {
                shape: 0.1,
                scale: 1.0,
            },
            DistSpec::Weibull {
                shape: 1.5,
                scale: 0.0,
            },
            DistSpec::WeibullMean {
                mean: -1.0,
                shape: 1.5,
            },
            DistSpec::WeibullMean {
                mean: 1.0,
                shape: f64::INFINITY,
            },
            DistSpec::Empirical { samples: vec![] },
            DistSpec::Empirical {
                samples: vec![1.0, -2.0],
            },
        ];
        for spec in bad {
            assert!(Dist::new(spec.clone()).is_err(), "{spec:?} accepted");
        }
    }
}
