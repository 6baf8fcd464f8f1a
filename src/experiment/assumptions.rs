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
//! - **How much the size estimates tell items apart.** The size analogue of the value
//!   estimates: an estimate is the true size times e^(σZ) (`size_error`), so the share of the
//!   spread of log size estimates explained by the sizes is σs² / (σs² + σ²), σs from the size
//!   distribution as for values. The estimate is right in the middle but e^(σ²/2) times the
//!   size on average, and a sum of estimates (the work left in a bet, the work ranked ahead of
//!   it) is dominated by its most inflated terms: a measuring policy's stop rule, which judges
//!   from them whether a bet can finish before the horizon, stops bets as if they never could.
//! - **Release trains on WIP-limited stages.** Finished items wait for the train inside the
//!   stage and hold its WIP slots, so a stage with both lets at most its limit leave per train:
//!   a policy that keeps WIP limits delivers at most about limit × trains items in the run.

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
    /// Days from arrival after which delay has taken its whole value (its `erosion` or
    /// `window`, the sooner); infinite when delay only postpones the value.
    pub value_gone_after: f64,
    /// A measuring policy holds its slices back while it awaits a signal
    /// ([`Epic::waits_for_signals`](crate::model::Epic::waits_for_signals)).
    pub held_back: bool,
}

/// How well one work type's size estimates tell its items apart.
#[derive(Clone, Debug, PartialEq)]
pub struct SizeEstimates {
    /// The work type.
    pub name: String,
    /// Log-scale standard deviation of the true sizes (σs; 0 for a work type of fixed size).
    pub spread: f64,
    /// Log-scale standard deviation of the estimates' error (σ, `size_error`).
    pub error: f64,
    /// Share of the spread of log estimates that comes from the true sizes, σs² / (σs² + σ²).
    pub explained: f64,
    /// How many times the true size an estimate is on average, e^(σ²/2).
    pub inflation: f64,
}

/// A typical size estimate off by this factor or more is far enough off to mislead a sum of
/// estimates: at e^σ = 2 the mean estimate is already e^(σ²/2) = 1.27 times the size.
pub const FAR_OFF: f64 = 2.0;

impl SizeEstimates {
    /// True if the error spreads the estimates more than the sizes do.
    pub fn mostly_noise(&self) -> bool {
        self.explained < MOSTLY_NOISE
    }

    /// True if the estimates are mostly noise and a typical one is off by a factor of
    /// [`FAR_OFF`] or more: the sizes of a work type of (nearly) fixed size are all noise to
    /// estimate, but a small error misleads no sum of them.
    pub fn misleading(&self) -> bool {
        self.mostly_noise() && self.error.exp() >= FAR_OFF
    }
}

/// A stage with both a release train and a WIP limit: what leaves it per train is capped.
#[derive(Clone, Debug, PartialEq)]
pub struct ReleaseTrain {
    /// The stage.
    pub stage: String,
    /// Days between trains (`release_every`).
    pub every: f64,
    /// The stage's WIP limit: at most this many items leave per train.
    pub wip_limit: u32,
    /// Trains that leave within the horizon (the first at day `every`).
    pub trains: u64,
}

impl ReleaseTrain {
    /// The most items a policy that keeps WIP limits can get through the stage in the run
    /// (rework may re-enter a full stage, so this is a cap to within the rework let in).
    pub fn cap(&self) -> f64 {
        f64::from(self.wip_limit) * self.trains as f64
    }
}

/// A work type or epic whose value flows for a fixed time after delivery (`life`), shorter
/// than the horizon: delaying one of its items costs it nothing while its life still fits
/// before the horizon, so its cost of delay is zero for most of the run.
#[derive(Clone, Debug, PartialEq)]
pub struct LimitedLife {
    /// The work type or epic.
    pub name: String,
    /// Days its value flows after delivery.
    pub life: f64,
}

/// Every valued work type and every epic whose value flows for a fixed time after delivery,
/// shorter than the horizon, in scenario order.
pub fn limited_lives(vs: &ValueStream) -> Vec<LimitedLife> {
    let short = |life: f64| life.is_finite() && life < vs.horizon;
    let types = vs
        .work_types
        .iter()
        .filter(|wt| wt.value.is_some() && short(wt.urgency.life))
        .map(|wt| LimitedLife {
            name: wt.name.clone(),
            life: wt.urgency.life,
        });
    let epics = vs
        .epics
        .iter()
        .filter(|e| short(e.urgency.life))
        .map(|e| LimitedLife {
            name: e.name.clone(),
            life: e.urgency.life,
        });
    types.chain(epics).collect()
}

/// A work type or epic that loses value at a fixed date: delivered after its deadline it keeps
/// only `late_fraction` of its value rate, and the date passing undelivered costs `penalty`.
/// Its cost of delay is a step, not a steady rate per day.
#[derive(Clone, Debug, PartialEq)]
pub struct DeadlineStep {
    /// The work type or epic.
    pub name: String,
    /// Days after arrival by which it is due.
    pub deadline: f64,
    /// Share of its value rate lost when delivered late (1 − `late_fraction`); 0 without value.
    pub lost: f64,
    /// One-off cost when the date passes undelivered.
    pub penalty: f64,
}

/// Every work type and epic whose deadline takes value away (a share of a modelled value, or
/// a penalty), in scenario order.
pub fn deadline_steps(vs: &ValueStream) -> Vec<DeadlineStep> {
    let step = |name: &str, u: &crate::model::Urgency, valued: bool| {
        let lost = if valued {
            (1.0 - u.late_fraction).max(0.0)
        } else {
            0.0
        };
        (u.deadline.is_finite() && (lost > 0.0 || u.penalty > 0.0)).then(|| DeadlineStep {
            name: name.to_string(),
            deadline: u.deadline,
            lost,
            penalty: u.penalty,
        })
    };
    let types = vs
        .work_types
        .iter()
        .filter_map(|wt| step(&wt.name, &wt.urgency, wt.value.is_some()));
    let epics = vs
        .epics
        .iter()
        .filter_map(|e| step(&e.name, &e.urgency, true));
    types.chain(epics).collect()
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

/// Every work type whose size is estimated with an error, in scenario order (a work type
/// without a size distribution has size 1: every estimate's spread is error).
pub fn size_estimates(vs: &ValueStream) -> Vec<SizeEstimates> {
    vs.work_types
        .iter()
        .filter(|wt| wt.size_error > 0.0)
        .map(|wt| {
            let spread = wt.size.as_ref().map_or(0.0, log_spread);
            let error = wt.size_error;
            SizeEstimates {
                name: wt.name.clone(),
                spread,
                error,
                explained: spread * spread / (spread * spread + error * error),
                inflation: (error * error / 2.0).exp(),
            }
        })
        .collect()
}

/// Every stage with both a release train and a WIP limit, in stage order.
pub fn release_trains(vs: &ValueStream) -> Vec<ReleaseTrain> {
    vs.stages
        .iter()
        .filter_map(|st| {
            let every = st.release_every?;
            let wip_limit = st.wip_limit?;
            Some(ReleaseTrain {
                stage: st.name.clone(),
                every,
                wip_limit,
                trains: (vs.horizon / every).floor() as u64,
            })
        })
        .collect()
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
            value_gone_after: e.urgency.erosion.min(e.urgency.window),
            held_back: e.waits_for_signals(),
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

    #[test]
    fn size_estimates_are_read_like_value_estimates_with_their_mean_inflation() {
        // closing-the-loop's slices: p90 / median = 2, σs = ln 2 / 1.2816 = 0.541.
        let mut vs = ValueStream::new(vec![], vec![], 365.0, 0.0);
        let mut wt = crate::model::WorkType::new("slice", 0);
        wt.size = Some(
            Dist::new(DistSpec::LognormalP90 {
                median: 1.0,
                p90: 2.0,
            })
            .expect("valid"),
        );
        wt.size_error = 8.0;
        vs.work_types.push(wt);
        let ss = 2f64.ln() / 1.2815515655446004;
        let e = &size_estimates(&vs)[0];
        assert!((e.spread - ss).abs() < 1e-9);
        assert!((e.explained - ss * ss / (ss * ss + 64.0)).abs() < 1e-12);
        assert!((e.inflation - 32f64.exp()).abs() / 32f64.exp() < 1e-12);
        assert!(e.mostly_noise() && e.misleading());
        // The bundled size_error 0.4: mostly signal.
        vs.work_types[0].size_error = 0.4;
        assert!(!size_estimates(&vs)[0].mostly_noise());
        // A fixed size is all noise to estimate, but 10% off misleads no sum.
        vs.work_types[0].size = None;
        vs.work_types[0].size_error = 0.1;
        let e = &size_estimates(&vs)[0];
        assert!(e.mostly_noise() && !e.misleading());
        vs.work_types[0].size_error = 0.0;
        assert!(size_estimates(&vs).is_empty());
    }

    #[test]
    fn a_release_train_on_a_wip_limited_stage_caps_each_train() {
        let text = r#"
name = "trains"
horizon = 365.0
[[work]]
name = "w"
arrival_rate = 1.0
[[stages]]
name = "test"
workers = 2
wip_limit = 4
release_every = 42.0
service = { dist = "fixed", value = 1.0 }
[[stages]]
name = "ops"
workers = 1
release_every = 7.0
service = { dist = "fixed", value = 0.5 }
"#;
        let sc =
            crate::scenario::parse(text, crate::scenario::Format::Toml, "t.toml").expect("valid");
        // Only the stage with both a train and a WIP limit: 8 trains of at most 4 items.
        let trains = release_trains(&sc.stream);
        assert_eq!(trains.len(), 1);
        assert_eq!(
            (
                trains[0].stage.as_str(),
                trains[0].wip_limit,
                trains[0].trains
            ),
            ("test", 4, 8)
        );
        assert_eq!(trains[0].cap(), 32.0);
    }
}
