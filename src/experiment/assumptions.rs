//! The scenario's assumptions that decide whether the product's lessons can hold, read from
//! the value stream alone, so that a report which finds a lesson failing can say which
//! assumption it rests on instead of listing every possible cause.
//!
//! - **How much the value estimates tell items apart.** Ordering by value (CD3, WSJF) pays
//!   only if the estimates rank items roughly as their true values do. An estimate is the true
//!   value times a log-normal error of log-scale deviation σe (`value_error`), and true values
//!   spread with a log-scale deviation σv, so ln(estimate) = ln(value) + error with independent
//!   terms, and the share of the spread of the estimates that comes from the values is
//!   `explained = σv² / (σv² + σe²)` (the squared correlation of log estimate and log value).
//!   σv² is ln(1 + CV²) of the value distribution, exact for a log-normal. Below one half, an
//!   estimate says less about an item's value than its error does: ordering by value orders
//!   by noise, while ordering by size keeps its throughput gain (Smith 1956).
//! - **What closing the loop has to work with.** A measuring policy earns by stopping bets
//!   that fail. It can earn little when most bets succeed, when signals are noisy (false
//!   positive α, false negative β: a positive reading multiplies the odds of success by
//!   (1 − β) / α, a negative one by β / (1 − α); ECONOMICS §1), when feedback arrives late in
//!   the horizon, or when waiting for a signal delays slices towards an epic's deadline.

use crate::model::{Dist, ValueStream};

/// Below this share of the spread of value estimates explained by true values, the estimates
/// are said to be mostly noise (the error's share is larger than the values').
pub const MOSTLY_NOISE: f64 = 0.5;

/// How well one source of value's estimates tell its items apart.
#[derive(Clone, Debug, PartialEq)]
pub struct ValueEstimates {
    /// The work type or epic carrying the value.
    pub name: String,
    /// Log-scale standard deviation of the true values (σv).
    pub spread: f64,
    /// Log-scale standard deviation of the estimates' error (σe, `value_error`).
    pub error: f64,
    /// Share of the spread of log estimates that comes from the true values, σv² / (σv² + σe²).
    pub explained: f64,
}

impl ValueEstimates {
    /// True if the error spreads the estimates more than the values do.
    pub fn mostly_noise(&self) -> bool {
        self.explained < MOSTLY_NOISE
    }
}

/// What a measuring policy has to work with on one kind of epic.
#[derive(Clone, Debug, PartialEq)]
pub struct LoopSignals {
    /// The epic.
    pub name: String,
    /// Probability that its hypothesis holds.
    pub success_probability: f64,
    /// Probability that a false hypothesis measures positive (α).
    pub false_positive: f64,
    /// Probability that a true hypothesis measures negative (β).
    pub false_negative: f64,
    /// Days from a delivered slice to its signal.
    pub feedback_delay: f64,
    /// The epic carries a deadline penalty or a daily cost of its own.
    pub exposed: bool,
}

/// Log-scale standard deviation of `value`: sqrt(ln(1 + CV²)), exact for a log-normal.
fn log_spread(value: &Dist) -> f64 {
    let scv = value.scv();
    if scv.is_finite() && scv > 0.0 {
        scv.ln_1p().sqrt()
    } else {
        0.0
    }
}

/// Every work type and epic whose value is estimated with an error, in scenario order.
pub fn value_estimates(vs: &ValueStream) -> Vec<ValueEstimates> {
    let read = |name: &str, value: &Dist, error: f64| {
        (error > 0.0).then(|| {
            let spread = log_spread(value);
            ValueEstimates {
                name: name.to_string(),
                spread,
                error,
                explained: spread * spread / (spread * spread + error * error),
            }
        })
    };
    let types = vs
        .work_types
        .iter()
        .filter_map(|wt| read(&wt.name, wt.value.as_ref()?, wt.value_error));
    let epics = vs
        .epics
        .iter()
        .filter_map(|e| read(&e.name, &e.value, e.value_error));
    types.chain(epics).collect()
}

/// Every epic's hypothesis, signals and exposure, in scenario order.
pub fn loop_signals(vs: &ValueStream) -> Vec<LoopSignals> {
    vs.epics
        .iter()
        .map(|e| LoopSignals {
            name: e.name.clone(),
            success_probability: e.success_probability,
            false_positive: e.false_positive,
            false_negative: e.false_negative,
            feedback_delay: e.feedback_delay,
            exposed: e.urgency.penalty != 0.0 || e.urgency.cost_per_day != 0.0,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::DistSpec;

    #[test]
    fn the_share_explained_is_the_values_share_of_the_log_variance() {
        // p90 / median = 1.5: σv = ln 1.5 / 1.2816 = 0.316; an error of σe = 1.0 leaves the
        // values 0.1 / 1.1 of the spread.
        let narrow = Dist::new(DistSpec::LognormalP90 {
            median: 500.0,
            p90: 750.0,
        })
        .expect("valid");
        let sv = 1.5f64.ln() / 1.2815515655446004;
        assert!((log_spread(&narrow) - sv).abs() < 1e-9);
        let mut vs = ValueStream::new(vec![], vec![], 100.0, 0.0);
        let mut wt = crate::model::WorkType::new("my_type", 0);
        wt.value = Some(narrow);
        wt.value_error = 1.0;
        vs.work_types.push(wt);
        let e = &value_estimates(&vs)[0];
        assert_eq!(e.name, "my_type");
        assert!((e.explained - sv * sv / (sv * sv + 1.0)).abs() < 1e-9);
        assert!(e.mostly_noise());
        // Known values, or no error: nothing to say.
        vs.work_types[0].value_error = 0.0;
        assert!(value_estimates(&vs).is_empty());
        // The flagship's spread (p90 / median = 5) against its error (0.7): mostly signal.
        let wide = Dist::new(DistSpec::LognormalP90 {
            median: 500.0,
            p90: 2500.0,
        })
        .expect("valid");
        vs.work_types[0].value = Some(wide);
        vs.work_types[0].value_error = 0.7;
        assert!(!value_estimates(&vs)[0].mostly_noise());
    }
}
