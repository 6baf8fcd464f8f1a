//! Adaptive precision: as many replications as a target metric needs, and no more.
//!
//! The run starts with the scenario's replications (or `--reps`) and doubles them until the
//! 95% half-width of the target metric is within the asked share of its mean, or the cap is
//! reached, or the target turns out to have no value at all (no replication measured it). Each
//! attempt is an ordinary run of replications `0..n`, so the result is exactly
//! that of `--reps n`, deterministic, and common random numbers still pair policies and grid
//! points. Doubling bounds the total work at twice that of the final run.

use super::RunSummary;
use crate::metrics::Stat;

/// Metrics a precision target may name.
pub const TARGETS: [&str; 7] = [
    "value_realised",
    "cycle_time",
    "lead_time",
    "throughput",
    "wip",
    "items_delivered",
    "cost_of_delay",
];

/// Replications after which a target none of them measured is judged unmeasurable.
const UNDEFINED_AFTER: u64 = 30;

/// A run summary's metric by name.
pub fn metric(s: &RunSummary, name: &str) -> Option<Stat> {
    let o = &s.outcomes;
    Some(match name {
        "value_realised" => o.value_realised,
        "cycle_time" => s.cycle_time,
        "lead_time" => s.lead_time,
        "throughput" => s.throughput,
        "wip" => s.wip,
        "items_delivered" => o.items_delivered,
        "cost_of_delay" => o.cost_of_delay,
        _ => return None,
    })
}

/// What `--precision` asks for.
#[derive(Clone, Debug, PartialEq)]
pub struct Precision {
    /// The largest 95% half-width, as a share of the mean (0.02 for `2%`).
    pub relative: f64,
    /// The metric judged.
    pub target: String,
    /// The most replications to run.
    pub cap: u64,
}

impl Precision {
    /// Parses `2%` or `0.02`.
    pub fn parse_share(s: &str) -> Result<f64, String> {
        let t = s.trim();
        let x = match t.strip_suffix('%') {
            Some(p) => p.trim().parse::<f64>().map(|v| v / 100.0),
            None => t.parse::<f64>(),
        }
        .map_err(|_| format!("`{s}` is not a share; write e.g. 2% or 0.02"))?;
        if !(x > 0.0 && x < 1.0) {
            return Err(format!(
                "`{s}`: the precision must be above 0% and below 100%"
            ));
        }
        Ok(x)
    }
}

/// How precise a run turned out.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct Reached {
    /// The metric judged.
    pub target: String,
    /// The share asked for.
    pub asked: f64,
    /// The 95% half-width over |mean| reached (NaN if the mean is 0 or undefined).
    pub relative_half_width: f64,
    /// Replications used.
    pub replications: u64,
    /// True if the asked precision was reached (false: the cap stopped it).
    pub reached: bool,
}

/// The half-width of `stat` relative to its mean; 0 when there is no spread at all.
fn relative(stat: &Stat) -> f64 {
    match (stat.mean, stat.ci95) {
        (Some(_), Some(0.0)) => 0.0,
        (Some(m), Some(c)) if m != 0.0 => c / m.abs(),
        _ => f64::NAN,
    }
}

/// Runs `attempt(n)` for n = `first`, 2·first, ... up to `p.cap`, until every summary the
/// attempt returns (one per policy or world) has the target metric within `p.relative`;
/// returns the last attempt and the precision of its least precise summary.
pub fn until_precise<T>(
    p: &Precision,
    first: u64,
    mut attempt: impl FnMut(u64) -> T,
    summaries: impl Fn(&T) -> Vec<&RunSummary>,
) -> (T, Reached) {
    let mut n = first.clamp(2, p.cap.max(2));
    loop {
        let result = attempt(n);
        // A target that no replication of 30 or more measured (nothing delivered, say) is
        // not going to be measured with twice as many: stop rather than double up to the cap
        // for nothing. (Fewer replications may just have been unlucky.)
        let undefined = n >= UNDEFINED_AFTER
            && summaries(&result)
                .iter()
                .any(|s| metric(s, &p.target).is_none_or(|m| m.mean.is_none()));
        let worst = summaries(&result)
            .iter()
            .map(|s| metric(s, &p.target).map_or(f64::NAN, |m| relative(&m)))
            .fold(0.0f64, |w, r| {
                if r.is_nan() || w.is_nan() {
                    f64::NAN
                } else {
                    w.max(r)
                }
            });
        let reached = worst <= p.relative;
        // A replication out of its budget makes the run an error: more cannot help.
        let over_budget = summaries(&result).iter().any(|s| s.exceeded.is_some());
        if reached || undefined || over_budget || n >= p.cap {
            let r = Reached {
                target: p.target.clone(),
                asked: p.relative,
                relative_half_width: worst,
                replications: n,
                reached,
            };
            return (result, r);
        }
        n = n.saturating_mul(2).min(p.cap);
    }
}

/// A share as a percentage with two decimals (1.20%), or, below 0.01%, with two significant
/// digits (1.0e-7%), so that a tiny share asked for never reads 0.00%.
fn percent(x: f64) -> String {
    let p = x * 100.0;
    if p == 0.0 || p.abs() >= 0.01 || !p.is_finite() {
        format!("{p:.2}%")
    } else {
        format!("{p:.1e}%")
    }
}

impl Reached {
    /// One line for tables and progress output.
    pub fn statement(&self) -> String {
        let what = self.target.replace('_', " ");
        if self.reached && self.relative_half_width == 0.0 {
            // Every replication gave the same value (a mean of 0 included): more replications
            // cannot change it, and "0% of its mean" would read oddly for a mean of 0.
            format!(
                "Precision: {what} took the same value in all {} replications, so its interval has no width (asked: {}).",
                self.replications,
                percent(self.asked)
            )
        } else if self.reached {
            format!(
                "Precision: the 95% interval of {what} is ±{} of its mean after {} replications (asked: {}).",
                percent(self.relative_half_width),
                self.replications,
                percent(self.asked)
            )
        } else if self.relative_half_width.is_nan() {
            format!(
                "Precision not reached: {what} has a mean of 0 or no value in {} replications, so a relative precision cannot be judged; choose another --target.",
                self.replications
            )
        } else {
            format!(
                "Precision not reached: the 95% interval of {what} is ±{} of its mean after {} replications, the cap (asked: {}; raise --max-reps).",
                percent(self.relative_half_width),
                self.replications,
                percent(self.asked)
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_tiny_share_never_reads_zero() {
        assert_eq!(percent(0.012), "1.20%");
        assert_eq!(percent(1e-9), "1.0e-7%");
        assert_eq!(percent(0.0), "0.00%");
        assert_eq!(percent(0.0001), "0.01%");
    }

    #[test]
    fn a_negative_or_whole_precision_is_refused_with_its_bounds() {
        for bad in ["-1", "-2%", "0", "100%", "1"] {
            let e = Precision::parse_share(bad).unwrap_err();
            assert!(e.contains("above 0% and below 100%"), "{bad}: {e}");
        }
        assert_eq!(Precision::parse_share("2%"), Ok(0.02));
    }

    #[test]
    fn a_target_with_no_spread_reads_as_exact_not_as_a_share_of_its_mean() {
        let r = Reached {
            target: "cost_of_delay".into(),
            asked: 0.05,
            relative_half_width: 0.0,
            replications: 30,
            reached: true,
        };
        assert_eq!(
            r.statement(),
            "Precision: cost of delay took the same value in all 30 replications, so its interval has no width (asked: 5.00%)."
        );
        let r = Reached {
            relative_half_width: 0.012,
            ..r
        };
        assert!(
            r.statement().contains("±1.20% of its mean"),
            "{}",
            r.statement()
        );
    }

    #[test]
    fn shares_parse_as_percent_or_fraction() {
        assert_eq!(Precision::parse_share("2%").unwrap(), 0.02);
        assert_eq!(Precision::parse_share("0.05").unwrap(), 0.05);
        assert!(Precision::parse_share("0%").is_err());
        assert!(Precision::parse_share("150%").is_err());
        assert!(Precision::parse_share("two").is_err());
    }
}
