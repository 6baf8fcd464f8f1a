//! Beliefs about bets: Bayes' rule for a noisy measurement, and the value a team expects from a
//! slice given what it believes. Pure functions, tested by table.
//!
//! A bet's hypothesis holds with prior probability `p` (the epic's `success_probability`). One
//! measurement has false-positive rate α and false-negative rate β. Bayes' rule in odds form
//! (any probability text, e.g. Hubbard, *How to Measure
//! Anything*, 3rd ed. 2014, ch. 10):
//!
//! ```text
//! posterior odds = prior odds × LR,   LR+ = (1 − β) / α,   LR− = β / (1 − α)
//! ```
//!
//! Independent measurements multiply their likelihood ratios, so updating once per signal is
//! exact. A measurement with α + β = 1 has LR = 1: it carries no information and the belief
//! does not move.

/// True if a measurement with these error rates can move a belief (α + β ≠ 1).
pub fn informative(false_positive: f64, false_negative: f64) -> bool {
    (1.0 - false_positive - false_negative).abs() > 1e-12
}

/// The probability that the hypothesis holds after one signal, from `prior`.
///
/// Certain signals (α = 0 or β = 0) settle the belief at 0 or 1; a prior of 0 or 1 never moves.
pub fn update(prior: f64, positive: bool, false_positive: f64, false_negative: f64) -> f64 {
    let (if_holds, if_not) = if positive {
        (1.0 - false_negative, false_positive)
    } else {
        (false_negative, 1.0 - false_positive)
    };
    let yes = prior * if_holds;
    let no = (1.0 - prior) * if_not;
    if yes + no > 0.0 {
        yes / (yes + no)
    } else {
        // A signal the model says cannot happen: keep the belief rather than divide by zero.
        prior
    }
}

/// The value per day a team expects from a slice once delivered, believing its hypothesis
/// holds with probability `belief`: `value_if_holds` when it does, `failed_value` of it when
/// it does not.
#[inline]
pub fn expected_rate(value_if_holds: f64, belief: f64, failed_value: f64) -> f64 {
    value_if_holds * (belief + (1.0 - belief) * failed_value)
}

/// The value per day by which a policy ranks a slice whose epic awaits a signal: its expected
/// rate discounted by the option of waiting for the signal (the value of information, Howard
/// 1966; Reinertsen 2009, ch. 2, marginal economics).
///
/// Building the slice now earns its rate `r` (under the current belief) for the `left` days
/// after the signal plus the `wait` days until it. Waiting, the team builds it only on a
/// positive signal (probability 1 − q) and otherwise spends the capacity on the alternative
/// work, earning `c` per day instead of the slice's `r−` (its rate if the signal is negative).
/// `left` ends at the horizon, or sooner where the team would run out of work (the caller's
/// concern): freed capacity earns only while it has work to bring forward.
/// Because the posterior is a martingale, (1 − q) r+ = r, so building now is better exactly
/// when
///
/// ```text
/// r × wait ≥ q × (c − r−) × left    ⇔    c ≤ r− + r × wait / (q × left)
/// ```
///
/// Ranking the slice at `min(r, r− + r × wait / (q × left))` therefore starts it ahead of
/// alternatives worth `c` exactly when building now pays. With the signal imminent the slice is
/// ranked as if the news were bad; with a long wait, at its plain expected rate. A measurement
/// that carries no information (q = 0 or r− = r) leaves the rate unchanged.
///
/// Where the team's work runs out before the horizon, a slice still worth building after bad
/// news (r− > 0) is built all the same, only later: the alternative it made way for gains
/// only the slice's own days of work, `reordered` (`INFINITY` where the work does not run
/// out), so `left` is at most that.
///
/// There too, what bad news would free is known better than "the alternative's rate until the
/// work runs out": a stop ends the busy period sooner by the slice's share of the work, and
/// every item not started yet is delivered that much sooner. `freed` is the value that brings
/// forward (`INFINITY` where the work does not run out). Where `q × (freed − r− × left)` is no
/// more than the wait costs, `r × wait`, waiting cannot pay whatever the alternative, and the
/// slice is ranked at its plain rate `r`. Priced by the best alternative alone, a team with
/// heavy-tailed values held slices back for signals worth less than the wait.
pub fn awaiting_rate(
    value_if_holds: f64,
    belief: f64,
    epic: &crate::model::Epic,
    wait: f64,
    left: f64,
    reordered: f64,
    freed: f64,
) -> f64 {
    let (fp, fneg) = (epic.false_positive, epic.false_negative);
    let rate = expected_rate(value_if_holds, belief, epic.failed_value);
    let q = belief * fneg + (1.0 - belief) * (1.0 - fp);
    if q <= 0.0 || left <= 0.0 {
        return rate;
    }
    let bad = expected_rate(
        value_if_holds,
        update(belief, false, fp, fneg),
        epic.failed_value,
    );
    let left = if bad > 0.0 { left.min(reordered) } else { left };
    if left <= 0.0 {
        return rate;
    }
    let wait = wait.max(0.0);
    if q * (freed - bad * left) <= rate * wait {
        // Even the value bad news would free is not worth the wait.
        return rate;
    }
    rate.min(bad + rate * wait / (q * left))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 1e-12
    }

    /// Bets with prior 0.7 and false-positive and false-negative rates `fp` and `fneg`.
    fn bets(fp: f64, fneg: f64) -> crate::model::Epic {
        crate::model::Epic {
            name: "bets".into(),
            hypothesis: String::new(),
            work_type: 0,
            backlog: 1,
            arrival_rate: None,
            success_probability: 0.7,
            slices: 3,
            experiment_size: 1.0,
            value: crate::model::Dist::exponential(100.0).expect("a positive mean"),
            urgency: crate::model::Urgency::default(),
            failed_value: 0.0,
            feedback_delay: 14.0,
            false_positive: fp,
            false_negative: fneg,
            value_error: 0.0,
        }
    }

    #[test]
    fn bayes_rule_by_table() {
        // (prior, positive, α, β, posterior), posteriors worked by hand from the formula.
        let table = [
            (0.33, true, 0.1, 0.2, 0.33 * 0.8 / (0.33 * 0.8 + 0.67 * 0.1)),
            (
                0.33,
                false,
                0.1,
                0.2,
                0.33 * 0.2 / (0.33 * 0.2 + 0.67 * 0.9),
            ),
            (0.5, true, 0.0, 0.3, 1.0),
            (0.5, false, 0.2, 0.0, 0.0),
            (0.1, true, 0.3, 0.7, 0.1),
            (0.0, true, 0.1, 0.2, 0.0),
            (1.0, false, 0.1, 0.2, 1.0),
        ];
        for (prior, positive, a, b, want) in table {
            let got = update(prior, positive, a, b);
            assert!(
                close(got, want),
                "{prior} {positive} {a} {b}: {got} != {want}"
            );
        }
    }

    #[test]
    fn repeated_signals_multiply_likelihood_ratios() {
        let (a, b) = (0.1, 0.2);
        let twice = update(update(0.3, true, a, b), true, a, b);
        let odds = 0.3 / 0.7 * ((1.0 - b) / a).powi(2);
        assert!(close(twice, odds / (1.0 + odds)));
        // A positive then a negative signal: the two ratios multiply in either order.
        let pn = update(update(0.3, true, a, b), false, a, b);
        let np = update(update(0.3, false, a, b), true, a, b);
        assert!(close(pn, np));
    }

    #[test]
    fn uninformative_signal_leaves_the_belief_alone() {
        assert!(!informative(0.3, 0.7));
        assert!(informative(0.1, 0.2));
        for positive in [true, false] {
            assert!(close(update(0.42, positive, 0.3, 0.7), 0.42));
        }
    }

    #[test]
    fn expected_rate_blends_success_and_failure() {
        assert!(close(expected_rate(100.0, 0.25, 0.0), 25.0));
        assert!(close(expected_rate(100.0, 0.25, 0.2), 25.0 + 15.0));
        assert!(close(expected_rate(100.0, 1.0, 0.5), 100.0));
    }

    #[test]
    fn a_slice_built_after_bad_news_anyway_waits_only_for_its_own_days_of_work() {
        let epic = bets(0.1, 0.1);
        // P 0.7: q = 0.7 × 0.1 + 0.3 × 0.9 = 0.34; r = 70, r− = 100 × 0.07 / 0.34.
        let (r, bad, q) = (70.0, 100.0 * 0.07 / 0.34, 0.34);
        // Two days to the signal, 100 days after it: held back to r− + r × 2 / (q × 100).
        let held = awaiting_rate(100.0, 0.7, &epic, 2.0, 100.0, f64::INFINITY, f64::INFINITY);
        assert!(close(held, bad + r * 2.0 / (q * 100.0)), "{held}");
        // Built all the same after bad news, with 3 days of work: r− + r × 2 / (q × 3) > r.
        assert!(close(
            awaiting_rate(100.0, 0.7, &epic, 2.0, 100.0, 3.0, f64::INFINITY),
            r
        ));
        // With the signal an hour away it still waits for it.
        let soon = awaiting_rate(100.0, 0.7, &epic, 1.0 / 24.0, 100.0, 3.0, f64::INFINITY);
        assert!(close(soon, bad + r / 24.0 / (q * 3.0)), "{soon}");
        // A bet stopped by bad news (no false negatives: r− = 0) keeps the whole of `left`.
        let stops = crate::model::Epic {
            false_negative: 0.0,
            ..epic.clone()
        };
        let q = 0.3 * 0.9;
        let held = awaiting_rate(100.0, 0.7, &stops, 2.0, 100.0, 3.0, f64::INFINITY);
        assert!(close(held, r * 2.0 / (q * 100.0)), "{held}");
    }

    #[test]
    fn a_slice_is_held_back_only_when_what_its_stop_would_free_is_worth_the_wait() {
        let epic = bets(0.0, 0.0);
        // Perfect signals: q = 0.3, r = 70, r− = 0. Waiting 2 days costs r × 2 = 140.
        let (r, q) = (70.0, 0.3);
        let held = r * 2.0 / (q * 100.0);
        // Bad news would bring work worth 1,000 forward: q × 1,000 = 300 > 140, held back.
        let a = awaiting_rate(100.0, 0.7, &epic, 2.0, 100.0, f64::INFINITY, 1000.0);
        assert!(close(a, held), "{a}");
        // Worth 400: q × 400 = 120 < 140, built now at its plain rate.
        let b = awaiting_rate(100.0, 0.7, &epic, 2.0, 100.0, f64::INFINITY, 400.0);
        assert!(close(b, r), "{b}");
        // Nothing known of what it frees (the work never runs out): the alternative decides.
        let c = awaiting_rate(100.0, 0.7, &epic, 2.0, 100.0, f64::INFINITY, f64::INFINITY);
        assert!(close(c, held), "{c}");
    }
}
