//! Statistics the history commands need beyond the engine's streaming summaries: special
//! functions (log-gamma, the regularised incomplete gamma function, the normal distribution)
//! and what is built on them (chi-square tail probabilities, exact Poisson intervals), and the
//! Kolmogorov–Smirnov distances and tests.
//!
//! - [`special`]: `ln_gamma`, `gamma_p` / `gamma_q` and their inverse, `normal_cdf`.
//! - [`ks`]: the two-sample Kolmogorov–Smirnov test and the Kolmogorov distribution's tail.
//!
//! Everything here is a pure function of its arguments, unit-tested against published values.

pub mod ks;
pub mod special;

/// A 95% interval for the rate of a Poisson process that produced `n` events over `exposure`
/// (days): Garwood's exact interval, `[χ²(0.025; 2n) / 2, χ²(0.975; 2n + 2) / 2] / exposure`
/// (Garwood, "Fiducial limits for the Poisson distribution", *Biometrika* 28, 1936), written
/// with the gamma quantiles it equals: a χ² quantile with 2a degrees of freedom is twice the
/// Gamma(a, 1) quantile.
pub fn poisson_rate_interval(n: u64, exposure: f64) -> (f64, f64) {
    let low = if n == 0 {
        0.0
    } else {
        special::gamma_p_inverse(n as f64, 0.025)
    };
    let high = special::gamma_p_inverse(n as f64 + 1.0, 0.975);
    (low / exposure, high / exposure)
}

/// The dispersion test of counts per period (days, weeks) against a Poisson process: the index
/// of dispersion I = s² / x̄ (sample variance over mean) is about 1 for Poisson counts, and
/// (m − 1)·I follows a χ² distribution with m − 1 degrees of freedom (Fisher 1950; Cox & Lewis,
/// *The Statistical Analysis of Series of Events*, 1966).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Dispersion {
    /// Periods counted.
    pub periods: usize,
    /// Mean count per period.
    pub mean: f64,
    /// The index of dispersion, s² / x̄.
    pub index: f64,
    /// The two-sided p-value of the χ² test of I = 1.
    pub p: f64,
}

/// The verdict on a [`Dispersion`] at the 5% level.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DispersionVerdict {
    /// The counts are as variable as a Poisson process makes them.
    Poisson,
    /// More variable than Poisson: arrivals come in bursts or batches.
    Bursty,
    /// Less variable than Poisson: arrivals are more regular (scheduled, rationed).
    Regular,
    /// Too few periods, or no arrivals, to tell.
    Unknown,
}

impl Dispersion {
    /// The dispersion of `counts` (one per period); `None` with fewer than two periods or no
    /// event at all.
    pub fn of(counts: &[u32]) -> Option<Dispersion> {
        let m = counts.len();
        if m < 2 {
            return None;
        }
        let mean = counts.iter().map(|&c| f64::from(c)).sum::<f64>() / m as f64;
        if mean <= 0.0 {
            return None;
        }
        let var = counts
            .iter()
            .map(|&c| (f64::from(c) - mean).powi(2))
            .sum::<f64>()
            / (m - 1) as f64;
        let index = var / mean;
        let df = (m - 1) as f64;
        let lower = special::gamma_p(df / 2.0, df * index / 2.0);
        let p = (2.0 * lower.min(1.0 - lower)).min(1.0);
        Some(Dispersion {
            periods: m,
            mean,
            index,
            p,
        })
    }

    /// Poisson unless the test rejects it at the 5% level; then bursty or regular by the side.
    pub fn verdict(&self) -> DispersionVerdict {
        if self.p >= 0.05 {
            DispersionVerdict::Poisson
        } else if self.index > 1.0 {
            DispersionVerdict::Bursty
        } else {
            DispersionVerdict::Regular
        }
    }
}

impl DispersionVerdict {
    /// The verdict in words.
    pub fn describe(self) -> &'static str {
        match self {
            DispersionVerdict::Poisson => "consistent with Poisson arrivals",
            DispersionVerdict::Bursty => {
                "burstier than Poisson (batches or busy spells): the simulated arrivals are smoother than the team's"
            }
            DispersionVerdict::Regular => {
                "more regular than Poisson (scheduled or rationed intake): the simulated arrivals are more variable than the team's"
            }
            DispersionVerdict::Unknown => "too few days or arrivals to check",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Published exact 95% limits for a Poisson count (e.g. Ulm, *Am. J. Epidemiol.* 131,
    /// 1990, table 1): n = 0: [0, 3.689]; n = 1: [0.0253, 5.572]; n = 10: [4.795, 18.39].
    #[test]
    fn garwood_limits_match_tables() {
        let close = |a: f64, b: f64| (a - b).abs() < 1e-3 * b.max(1.0);
        let (l, h) = poisson_rate_interval(0, 1.0);
        assert!(l == 0.0 && close(h, 3.689), "{l} {h}");
        let (l, h) = poisson_rate_interval(1, 1.0);
        assert!(close(l, 0.0253) && close(h, 5.572), "{l} {h}");
        let (l, h) = poisson_rate_interval(10, 2.0);
        assert!(close(l * 2.0, 4.795) && close(h * 2.0, 18.39), "{l} {h}");
    }

    #[test]
    fn dispersion_tells_poisson_from_batches_and_schedules() {
        // A hand case: counts 0 and 2 have mean 1 and sample variance 2.
        let d = Dispersion::of(&[0, 2]).unwrap();
        assert!((d.index - 2.0).abs() < 1e-12);
        // A constant count is as regular as can be.
        let flat = Dispersion::of(&[3; 60]).unwrap();
        assert_eq!(flat.index, 0.0);
        assert_eq!(flat.verdict(), DispersionVerdict::Regular);
        // Batches of 10 every tenth day: mean 1, variance ≈ 9.
        let batches: Vec<u32> = (0..200).map(|d| if d % 10 == 0 { 10 } else { 0 }).collect();
        let b = Dispersion::of(&batches).unwrap();
        assert!(b.index > 8.0, "{b:?}");
        assert_eq!(b.verdict(), DispersionVerdict::Bursty);
        // 100 days in the proportions of a Poisson(1) distribution: index 0.99.
        let poisson: Vec<u32> = [(0, 37), (1, 37), (2, 18), (3, 6), (4, 2)]
            .iter()
            .flat_map(|&(c, days)| std::iter::repeat_n(c, days))
            .collect();
        let p = Dispersion::of(&poisson).unwrap();
        assert!((p.index - 0.9896).abs() < 1e-3, "{p:?}");
        assert_eq!(p.verdict(), DispersionVerdict::Poisson, "{p:?}");
        assert!(Dispersion::of(&[0, 0, 0]).is_none());
        assert!(Dispersion::of(&[4]).is_none());
    }
}
