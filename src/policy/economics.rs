//! The economics behind the outcome-focused ordering rules: a cost of delay that sees
//! deadlines early enough to act on them, and a price for paying down technical debt. Pure
//! functions, tested by table.
//!
//! **Cost of delay with the queue ahead** (Reinertsen, *The Principles of Product Development
//! Flow*, 2009, ch. 3; minimum slack as in Pinedo, *Scheduling*). An item taken now is expected to be
//! delivered at
//!
//! ```text
//! delivery = now + ahead + own remaining work
//! ```
//!
//! where `ahead` is the work in service before it, and of the work waiting before it the part
//! the ordering would take first (`Scorer::ahead_of`: an item waits only for work of its
//! priority or higher, Cobham 1954), per worker. Its cost of
//! delay is the value lost if it is delayed by one more competing item, `over` days (the mean
//! remaining work of the items it competes with):
//!
//! ```text
//! CoD = (V(delivered at delivery) − V(delivered at delivery + over)) / over
//! ```
//!
//! For a standard item that is its value per day; for a fixed-date item it is zero while its
//! slack covers another item, then penalty / over once it does not, so the deadline is seen
//! while there is still time to meet it. Expedite, short-life and eroding items go through the
//! same curve ([`crate::model::Urgency`]).
//!
//! **The price of technical debt** (docs/glossary.md). With drag `d` every service
//! takes (1 + d) times as long. Paying down one debt item removes its share of the drag,
//! `Δd = d × min(1, points per item / points)`, and so frees `Δd / (1 + d)` of the busy time of
//! every worker for the rest of the horizon. Each freed worker-day is worth what the work it
//! would serve earns: `v`, a CD3 rate (value per day per day of work), which keeps flowing until
//! the horizon. Delaying the paydown by one day therefore costs
//!
//! ```text
//! CoD_debt = v × workers × Δd / (1 + d) × (horizon − delivery)
//! ```
//!
//! and its CD3 beats the typical feature exactly when the worker-days it frees before the horizon
//! exceed the worker-days it costs. Stripe's *Developer Coefficient* (2018) and McKinsey (2020)
//! size the drag in practice (docs/scenario.md cites them).

use crate::model::{Debt, Urgency};

/// Standard normal quantiles at the midpoints of nine equal-probability bands: averaging over
/// them approximates an expectation over a normal spread of completion times.
const NORMAL_NINTHS: [f64; 9] = [
    -1.593_218_8,
    -0.967_421_6,
    -0.589_456_1,
    -0.281_960_6,
    0.0,
    0.281_960_6,
    0.589_456_1,
    0.967_421_6,
    1.593_218_8,
];

/// Cost of delay per day of an item with value rate `rate` and value shape `urgency`, arrived at
/// `arrival`, expected to be delivered at `delivery` give or take `spread` days (one standard
/// deviation), if delayed by `over` more days; value is counted to `horizon`, and no delivery
/// is earlier than `now`.
///
/// With a spread, the cost of delay is the expectation over completion times, so a deadline
/// raises it smoothly as the chance of missing it grows: penalty × P(miss | one more item
/// ahead), the second of the deadline rules in docs/glossary.md.
pub fn cost_of_delay(
    urgency: &Urgency,
    rate: f64,
    arrival: f64,
    (now, delivery, spread): (f64, f64, f64),
    over: f64,
    horizon: f64,
) -> f64 {
    // Only a step in the value curve (a deadline, a closing window) makes the spread matter;
    // elsewhere the curve is smooth enough that its value at the mean will do.
    if spread <= 0.0 || !(urgency.deadline.is_finite() || urgency.window.is_finite()) {
        return urgency.cost_of_delay(rate, arrival, delivery, over, horizon);
    }
    NORMAL_NINTHS
        .iter()
        .map(|z| {
            let at = (delivery + z * spread).max(now);
            // A deadline or a window: not the standard class.
            urgency.cost_of_delay_by_curve(rate, arrival, at, over, horizon)
        })
        .sum::<f64>()
        / NORMAL_NINTHS.len() as f64
}

/// The coefficient of variation of one item's touch time through the value stream, from the
/// stages' service distributions (independent stages: variances add).
pub fn completion_cv(vs: &crate::model::ValueStream) -> f64 {
    let (mean, var) = vs.stages.iter().fold((0.0, 0.0), |(m, v), st| {
        let mu = st.service.mean();
        (m + mu, v + mu * mu * st.service.scv())
    });
    if mean > 0.0 && var.is_finite() {
        var.sqrt() / mean
    } else {
        0.0
    }
}

/// Cost of delay per day of paying down one debt item expected to be delivered at `delivery`,
/// with `points` of debt now, `workers` in the value stream and `reference` the CD3 rate of the
/// work freed capacity would serve.
pub fn debt_cost_of_delay(
    debt: &Debt,
    points: f64,
    workers: f64,
    reference: f64,
    delivery: f64,
    horizon: f64,
) -> f64 {
    if points <= 0.0 || reference <= 0.0 {
        return 0.0;
    }
    let drag = debt.multiplier(points) - 1.0;
    let removed = if drag <= 0.0 || debt.per_debt_item <= 0.0 {
        // No drag to lower (a cap of 0), or an item that pays nothing down.
        0.0
    } else if debt.drag_per_point * points > debt.max_drag {
        // Past the cap, one item lowers the drag only by what falls below the cap: nothing
        // while the points left stay above it, so priced alone it would never be paid and
        // the drag would stay at the cap for good. Paying down there is a programme: the n
        // items that take the points below the cap lower the drag by what falls below it,
        // and each is priced at its share (n = 1 is the single item just above the cap).
        let cap_points = debt.max_drag / debt.drag_per_point;
        let mut n = ((points - cap_points) / debt.per_debt_item)
            .floor()
            .max(0.0)
            + 1.0;
        let removed = |n: f64| drag - (debt.multiplier(points - n * debt.per_debt_item) - 1.0);
        // The division rounds (0.9 / 0.03 is a hair above 30, so 31 points gave one item
        // that stops exactly at the cap): count on until the programme removes drag, as the
        // multiplier computes it. Past the points left, the drag is gone: it ends there.
        while removed(n) <= drag * 1e-9 {
            n += 1.0;
        }
        removed(n) / n
    } else {
        // Below the cap the drag is proportional to the points: this item's share of it.
        drag * (debt.per_debt_item / points).min(1.0)
    };
    let freed = workers * removed / (1.0 + drag);
    reference * freed * (horizon - delivery).max(0.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn debt() -> Debt {
        Debt {
            initial: 0.0,
            per_feature: 1.0,
            per_debt_item: 5.0,
            drag_per_point: 0.01,
            max_drag: 0.5,
        }
    }

    #[test]
    fn debt_past_the_cap_is_priced_as_its_share_of_what_paying_below_the_cap_frees() {
        let d = Debt {
            max_drag: 0.4,
            ..debt()
        };
        // 300 points, capped at 40 points' drag: one item of 5 alone frees nothing, but the
        // 53 that take the points to 35 lower the drag from 0.40 to 0.35, 1/53 of it each.
        let far = debt_cost_of_delay(&d, 300.0, 4.0, 10.0, 100.0, 365.0);
        let want = 10.0 * 4.0 * (0.05 / 53.0) / 1.4 * 265.0;
        assert!((far - want).abs() < 1e-9, "{far} vs {want}");
        // Nearer the cap, a shorter programme: 50 points take 3 items to reach 35.
        let near = debt_cost_of_delay(&d, 50.0, 4.0, 10.0, 100.0, 365.0);
        let want = 10.0 * 4.0 * (0.05 / 3.0) / 1.4 * 265.0;
        assert!((near - want).abs() < 1e-9, "{near} vs {want}");
        assert!(
            far > 0.0 && far < near,
            "the farther above the cap, the less each item frees"
        );
        // No cap to lower, or nothing paid down: nothing freed (and no endless count).
        let capped = Debt {
            max_drag: 0.0,
            ..debt()
        };
        assert_eq!(
            debt_cost_of_delay(&capped, 50.0, 4.0, 10.0, 100.0, 365.0),
            0.0
        );
        let idle = Debt {
            per_debt_item: 0.0,
            ..debt()
        };
        assert_eq!(
            debt_cost_of_delay(&idle, 500.0, 4.0, 10.0, 100.0, 365.0),
            0.0
        );
        // A cap the division puts a hair off (0.9 / 0.03 = 30.000000000000004): 31 points
        // take two items of 1 below the cap, not one item to exactly the cap.
        let odd = Debt {
            drag_per_point: 0.03,
            max_drag: 0.9,
            per_debt_item: 1.0,
            ..debt()
        };
        for points in 31..=62 {
            let price = debt_cost_of_delay(&odd, f64::from(points), 4.0, 10.0, 100.0, 365.0);
            assert!(price > 0.0, "{points} points: {price}");
        }
        // 42 points: paying 5 down takes the drag from the cap (0.40) to 0.37.
        let freed = debt_cost_of_delay(&d, 42.0, 4.0, 10.0, 100.0, 365.0);
        let want = 10.0 * 4.0 * (0.4 - 0.37) / 1.4 * 265.0;
        assert!((freed - want).abs() < 1e-9, "{freed} vs {want}");
        // Below the cap: the item's share of the drag, as before.
        let below = debt_cost_of_delay(&d, 20.0, 4.0, 10.0, 100.0, 365.0);
        let want = 10.0 * 4.0 * 0.05 / 1.2 * 265.0;
        assert!((below - want).abs() < 1e-9, "{below} vs {want}");
    }

    #[test]
    fn a_deadline_becomes_urgent_when_the_slack_no_longer_covers_one_more_item() {
        let fixed = Urgency {
            deadline: 29.0,
            penalty: 1000.0,
            late_fraction: 1.0,
            ..Urgency::default()
        };
        // (delivery estimate, competing item's length, cost of delay)
        let table = [(22.0, 5.0, 0.0), (27.0, 5.0, 200.0), (27.0, 1.0, 0.0)];
        for (delivery, over, want) in table {
            let got = cost_of_delay(&fixed, 0.0, 0.0, (0.0, delivery, 0.0), over, 100.0);
            assert!(
                (got - want).abs() < 1e-9,
                "{delivery} {over}: {got} != {want}"
            );
        }
        // With a spread of completion times the deadline is felt earlier, and more as the
        // chance of missing it grows.
        let cod = |d: f64| cost_of_delay(&fixed, 0.0, 0.0, (0.0, d, 4.0), 5.0, 100.0);
        assert_eq!(cod(10.0), 0.0);
        assert!(cod(18.0) > 0.0);
        assert!(cod(18.0) < cod(22.0));
        assert!(cod(22.0) <= 200.0 + 1e-9);
        // A standard item's cost of delay is its value rate, spread or not.
        let std = Urgency::default();
        assert_eq!(
            cost_of_delay(&std, 7.0, 0.0, (0.0, 30.0, 9.0), 5.0, 100.0),
            7.0
        );
    }

    #[test]
    fn paying_debt_is_priced_by_the_capacity_it_frees() {
        let d = debt();
        // 20 points: drag 0.2; one item removes 5/20 of it (0.05) and frees
        // 4 x 0.05 / 1.2 worker-days a day for 100 days, each worth 2.
        let got = debt_cost_of_delay(&d, 20.0, 4.0, 2.0, 265.0, 365.0);
        let want = 2.0 * 4.0 * 0.05 / 1.2 * 100.0;
        assert!((got - want).abs() < 1e-9, "{got} != {want}");
        // No debt, no reference value, or no time left: nothing to gain.
        assert_eq!(debt_cost_of_delay(&d, 0.0, 4.0, 2.0, 0.0, 365.0), 0.0);
        assert_eq!(debt_cost_of_delay(&d, 20.0, 4.0, 0.0, 0.0, 365.0), 0.0);
        assert_eq!(debt_cost_of_delay(&d, 20.0, 4.0, 2.0, 400.0, 365.0), 0.0);
        // Far above the cap (100 points, capped at 50), paying 5 down alone leaves the drag
        // capped (ECONOMICS: Δd = drag_per_point × Δpoints, up to the cap); the 11 items that
        // take it to 45 points free 0.05, and each is priced at its eleventh.
        let far = debt_cost_of_delay(&d, 100.0, 4.0, 2.0, 265.0, 365.0);
        let want = 2.0 * 4.0 * (0.05 / 11.0) / 1.5 * 100.0;
        assert!((far - want).abs() < 1e-9, "{far} != {want}");
    }
}
