//! The Kolmogorov–Smirnov distance between two distributions, its tail probability, and the
//! two-sample test (Smirnov 1939; the p-value as in Press et al., *Numerical Recipes*, 3rd ed.,
//! §14.3.3, with Stephens's small-sample correction, *JRSS B* 32, 1970).
//!
//! With ties (whole-day durations are full of them) the distance is taken after all equal
//! values have been counted, and the test is conservative: the asymptotic p-value is then an
//! upper bound, so a test at level α rejects a true hypothesis at most as often as α.

/// The Kolmogorov distribution's tail, Q(λ) = P(K > λ) = 2 Σ_{j≥1} (−1)^(j−1) e^(−2j²λ²);
/// for λ < 1.18, where that series converges slowly, 1 − (√(2π)/λ) Σ_{j≥1}
/// e^(−(2j−1)²π²/(8λ²)). Four terms of either give double precision.
pub fn kolmogorov_q(lambda: f64) -> f64 {
    if lambda <= 0.0 {
        return 1.0;
    }
    if lambda < 1.18 {
        let y = (-std::f64::consts::PI.powi(2) / (8.0 * lambda * lambda)).exp();
        let p = (2.0 * std::f64::consts::PI).sqrt() / lambda
            * (y + y.powi(9) + y.powi(25) + y.powi(49));
        (1.0 - p).clamp(0.0, 1.0)
    } else {
        let x = (-2.0 * lambda * lambda).exp();
        (2.0 * (x - x.powi(4) + x.powi(9))).clamp(0.0, 1.0)
    }
}

/// The p-value of a Kolmogorov–Smirnov distance `d` between samples whose effective size is
/// `ne` (n for one sample against a distribution; n·m/(n + m) for two samples).
pub fn p_value(d: f64, ne: f64) -> f64 {
    let s = ne.sqrt();
    kolmogorov_q((s + 0.12 + 0.11 / s) * d)
}

/// c(α) = √(−ln(α/2) / 2): the distance beyond which a test at level α rejects is
/// c(α)/√ne (1.358 at α = 0.05).
pub fn critical_coefficient(alpha: f64) -> f64 {
    (-(alpha / 2.0).ln() / 2.0).sqrt()
}

/// The outcome of a two-sample Kolmogorov–Smirnov test.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct TwoSample {
    /// The largest gap between the two empirical CDFs.
    pub d: f64,
    /// Its p-value (asymptotic, with Stephens's correction).
    pub p: f64,
    /// The sizes of the two samples.
    pub n: (usize, usize),
}

impl TwoSample {
    /// The effective sample size n·m/(n + m).
    pub fn effective_size(&self) -> f64 {
        let (n, m) = (self.n.0 as f64, self.n.1 as f64);
        n * m / (n + m)
    }

    /// The distance beyond which the test rejects at level `alpha`.
    pub fn critical(&self, alpha: f64) -> f64 {
        critical_coefficient(alpha) / self.effective_size().sqrt()
    }
}

/// The two-sample test of `a` against `b` (neither needs to be sorted; NaNs are not
/// allowed). `None` if either sample is empty.
pub fn two_sample(a: &[f64], b: &[f64]) -> Option<TwoSample> {
    if a.is_empty() || b.is_empty() {
        return None;
    }
    let mut a = a.to_vec();
    let mut b = b.to_vec();
    a.sort_by(f64::total_cmp);
    b.sort_by(f64::total_cmp);
    let (n, m) = (a.len(), b.len());
    let (mut i, mut j, mut d) = (0, 0, 0.0_f64);
    while i < n && j < m {
        // Step past every copy of the next value in both samples before comparing.
        let x = a[i].min(b[j]);
        while i < n && a[i] <= x {
            i += 1;
        }
        while j < m && b[j] <= x {
            j += 1;
        }
        d = d.max((i as f64 / n as f64 - j as f64 / m as f64).abs());
    }
    let t = TwoSample {
        d,
        p: 0.0,
        n: (n, m),
    };
    Some(TwoSample {
        p: p_value(d, t.effective_size()),
        ..t
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Published quantiles of the Kolmogorov distribution: Q(1.2238) = 0.10,
    /// Q(1.3581) = 0.05, Q(1.6276) = 0.01; and Q(1) = 0.2699996717.
    #[test]
    fn kolmogorov_tail_matches_tables() {
        assert!((kolmogorov_q(1.0) - 0.269_999_671_7).abs() < 1e-9);
        assert!((kolmogorov_q(1.2238) - 0.10).abs() < 2e-4);
        assert!((kolmogorov_q(1.3581) - 0.05).abs() < 1e-4);
        assert!((kolmogorov_q(1.6276) - 0.01).abs() < 1e-4);
        assert_eq!(kolmogorov_q(0.0), 1.0);
        assert!(kolmogorov_q(0.3) > 0.999_99);
        assert!((critical_coefficient(0.05) - 1.358_1).abs() < 1e-4);
        // Both forms agree where they meet.
        assert!((kolmogorov_q(1.18 - 1e-9) - kolmogorov_q(1.18 + 1e-9)).abs() < 1e-8);
    }

    /// By hand: a = 1..5, b = {3.5, 4.5, 6, 7}. After 3, F_a = 3/5 and F_b = 0: D = 0.6.
    /// With ties, a = {1, 2, 2, 3} and b = {2, 3, 3, 4}: after all the 2s F_a = 3/4 and
    /// F_b = 1/4, so D = 0.5 (stepping one value at a time would see 0.75 − 0 or 0.5 − 0.25).
    #[test]
    fn two_sample_distance_by_hand() {
        let t = two_sample(&[5.0, 4.0, 3.0, 2.0, 1.0], &[3.5, 4.5, 6.0, 7.0]).unwrap();
        assert!((t.d - 0.6).abs() < 1e-15, "{t:?}");
        assert_eq!(t.n, (5, 4));
        // ne = 20/9, λ = (√ne + 0.12 + 0.11/√ne)·0.6 = 1.0107, Q(λ) ≈ 0.259.
        assert!((t.p - 0.259).abs() < 2e-3, "{t:?}");
        let ties = two_sample(&[1.0, 2.0, 2.0, 3.0], &[2.0, 3.0, 3.0, 4.0]).unwrap();
        assert!((ties.d - 0.5).abs() < 1e-15, "{ties:?}");
        let same = two_sample(&[1.0, 2.0, 3.0], &[3.0, 2.0, 1.0]).unwrap();
        assert_eq!((same.d, same.p), (0.0, 1.0));
        assert!(two_sample(&[], &[1.0]).is_none());
        // Critical distance at 5% for n = m = 100: 1.3581 · √(2/100) = 0.1921.
        let big = two_sample(&vec![0.0; 100], &vec![0.0; 100]).unwrap();
        assert!((big.critical(0.05) - 0.192_06).abs() < 1e-4);
    }
}
