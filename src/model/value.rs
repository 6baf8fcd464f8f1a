//! Value and urgency: how much value a delivered item realises by a given day, depending on
//! when it was delivered.
//!
//! One parametric curve covers the Kanban classes of service (Anderson, *Kanban*, 2010) and
//! Joshua Arnold's urgency profiles (blackswanfarming.com/urgency-profiles). An item with value
//! rate `v` (value per day once delivered), arriving at day `a` and delivered at day `d`,
//! realises by day `T`:
//!
//! ```text
//! V(T) = ∫ v · peak(d) · ramp(t) dt  over t in [d, min(T, d + life, a + window))
//!        − cost_per_day · (min(d, T) − a)           (expedite: damage until delivered)
//!        − penalty  if a + deadline <= T and (not delivered or d > a + deadline)
//! peak(d) = max(0, 1 − (d − a) / erosion)            (peak reduced by delay; 1 without erosion)
//!           × late_fraction if d > a + deadline      (fixed date: less value when late)
//! ramp(t) = min(1, (t − a) / ramp)                   (intangible: small now, growing later)
//! ```
//!
//! Cost of delay (Reinertsen 2009; Arnold: "the partial derivative of total expected value with
//! respect to time") is then `−∂V/∂d`: [`Urgency::cost_of_delay`] estimates it by a finite
//! difference over the item's expected duration.

/// The shape of an item's value over time (see the module docs for the formula).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Urgency {
    /// Days value keeps flowing after delivery (`INFINITY`: until the horizon).
    pub life: f64,
    /// Days after arrival when the opportunity closes, delivered or not (`INFINITY`: never).
    pub window: f64,
    /// Days of delay (from arrival) that erode the peak value to zero (`INFINITY`: no erosion).
    pub erosion: f64,
    /// Days after arrival by which the item is due (`INFINITY`: no deadline).
    pub deadline: f64,
    /// Share of the value rate still realised when delivered after the deadline.
    pub late_fraction: f64,
    /// One-off cost when the deadline passes without delivery.
    pub penalty: f64,
    /// Cost per day from arrival until delivery (expedite items: an outage, a blocked customer).
    pub cost_per_day: f64,
    /// Days after arrival for the value rate to ramp up to full (0: full at once).
    pub ramp: f64,
}

impl Default for Urgency {
    /// Standard class of service: value flows from delivery on, every day of delay loses a day.
    fn default() -> Self {
        Urgency {
            life: f64::INFINITY,
            window: f64::INFINITY,
            erosion: f64::INFINITY,
            deadline: f64::INFINITY,
            late_fraction: 1.0,
            penalty: 0.0,
            cost_per_day: 0.0,
            ramp: 0.0,
        }
    }
}

/// Relative difference within which two readings of a value curve are the same value read by
/// different sums (a few units in the last place of an f64).
const ROUNDING: f64 = 1e-12;

impl Urgency {
    /// Value realised by day `at` by an item with value rate `rate` that arrived at `arrival`
    /// and was delivered at `delivered` (`None`: not delivered).
    pub fn realised(&self, rate: f64, arrival: f64, delivered: Option<f64>, at: f64) -> f64 {
        if at < arrival {
            return 0.0;
        }
        let d = delivered.filter(|&d| d <= at);
        let mut v = 0.0;
        // Without a value rate (an epic's exposure: only its penalty and daily cost), the
        // value term below is 0 times a finite amount when `at` is finite, and adding that
        // leaves 0.0 unchanged to the bit: it is skipped (the stop rule and cost of delay
        // price exposures at every decision).
        if let Some(d) = d.filter(|_| rate != 0.0 || !at.is_finite()) {
            let mut peak = if self.erosion.is_finite() {
                (1.0 - (d - arrival) / self.erosion).max(0.0)
            } else {
                1.0
            };
            if d > arrival + self.deadline {
                peak *= self.late_fraction;
            }
            let end = at.min(d + self.life).min(arrival + self.window);
            if end > d {
                v += rate * peak * self.ramped_days(arrival, d, end);
            }
        }
        let until = d.unwrap_or(at);
        v -= self.cost_per_day * (until - arrival);
        let due = arrival + self.deadline;
        if due <= at && d.is_none_or(|d| d > due) {
            v -= self.penalty;
        }
        v
    }

    /// True for the standard class of service (`Urgency::default()`).
    #[inline]
    pub fn is_standard(&self) -> bool {
        *self == Urgency::default()
    }

    /// [`Urgency::realised`] for the standard class of service, by the same arithmetic with
    /// the terms that are zero or one for it left in place (so the result is the same to the
    /// bit): value flows at `rate` from delivery to `at`, which must be finite.
    #[inline]
    pub fn realised_standard(rate: f64, arrival: f64, delivered: Option<f64>, at: f64) -> f64 {
        debug_assert!(at.is_finite(), "a value checkpoint is a finite day");
        if at < arrival {
            return 0.0;
        }
        let d = delivered.filter(|&d| d <= at);
        let mut v = 0.0;
        if let Some(d) = d {
            // Full peak, no ramp, no end of life or window: value flows until `at`.
            if at > d {
                v += rate * (at - d);
            }
        }
        // No cost per day and no deadline, computed as `realised` computes them.
        v -= 0.0 * (d.unwrap_or(at) - arrival);
        v
    }

    /// ∫ ramp(t) dt over [from, to].
    fn ramped_days(&self, arrival: f64, from: f64, to: f64) -> f64 {
        if self.ramp <= 0.0 {
            return to - from;
        }
        let full = arrival + self.ramp;
        let ramp_part = |x: f64| {
            // ∫ (t − a) / ramp dt from `from` to x, for x <= full.
            ((x - arrival).powi(2) - (from - arrival).powi(2)) / (2.0 * self.ramp)
        };
        if to <= full {
            ramp_part(to)
        } else if from >= full {
            to - from
        } else {
            ramp_part(full) + (to - full)
        }
    }

    /// Estimated cost of delay per day for an item expected to be delivered at `delivery`,
    /// judged over the next `over` days: (V(deliver then) − V(deliver `over` days later)) / over,
    /// with value counted to `horizon`.
    pub fn cost_of_delay(
        &self,
        rate: f64,
        arrival: f64,
        delivery: f64,
        over: f64,
        horizon: f64,
    ) -> f64 {
        if *self == Urgency::default() {
            // Standard class: value flows from delivery to the horizon, so every day of delay
            // loses exactly one day of value (the fast path of the formula below).
            return rate;
        }
        self.cost_of_delay_by_curve(rate, arrival, delivery, over, horizon)
    }

    /// [`Urgency::cost_of_delay`] read off the curve, for an urgency known not to be the
    /// standard class (the caller has checked: the check costs more than the curve's reading
    /// where it is repeated for every point of a spread).
    #[inline]
    pub fn cost_of_delay_by_curve(
        &self,
        rate: f64,
        arrival: f64,
        delivery: f64,
        over: f64,
        horizon: f64,
    ) -> f64 {
        let over = over.max(1.0);
        let at = horizon.max(delivery + over);
        let now = self.realised(rate, arrival, Some(delivery), at);
        let later = self.realised(rate, arrival, Some(delivery + over), at);
        // Two readings of the same value by different sums (a life that still fits before the
        // horizon: `d + life − d` against `d + over + life − (d + over)`) can differ in their
        // last bits; that rounding is no cost of delay, and ranking by it would order items
        // that delay does not hurt by noise.
        if (now - later).abs() <= ROUNDING * now.abs().max(later.abs()) {
            return 0.0;
        }
        (now - later) / over
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_standard_shortcut_realises_exactly_what_the_curve_does() {
        let u = Urgency::default();
        let days = [0.0, 0.5, 3.0, 10.0, 10.0 + 1e-12, 99.25, 365.0];
        for rate in [0.0, -0.0, 1.0, 123.456, -7.5, 1e-300, 3e300] {
            for &arrival in &days {
                for &at in &days {
                    for delivered in std::iter::once(None).chain(days.iter().map(|&d| Some(d))) {
                        let want = u.realised(rate, arrival, delivered, at);
                        let got = Urgency::realised_standard(rate, arrival, delivered, at);
                        assert_eq!(
                            got.to_bits(),
                            want.to_bits(),
                            "{rate} {arrival} {delivered:?} {at}: {got} != {want}"
                        );
                    }
                }
            }
        }
        assert!(u.is_standard());
        assert!(!Urgency { ramp: 1.0, ..u }.is_standard());
    }

    /// Without a value rate, `realised` skips the value term: the result is what the whole
    /// formula gives, to the bit, for every shape (ramp, erosion, life, window, lateness).
    #[test]
    fn an_exposure_without_a_value_rate_realises_what_the_whole_formula_does() {
        let whole = |u: &Urgency, rate: f64, arrival: f64, delivered: Option<f64>, at: f64| {
            if at < arrival {
                return 0.0;
            }
            let d = delivered.filter(|&d| d <= at);
            let mut v = 0.0;
            if let Some(d) = d {
                let mut peak = if u.erosion.is_finite() {
                    (1.0 - (d - arrival) / u.erosion).max(0.0)
                } else {
                    1.0
                };
                if d > arrival + u.deadline {
                    peak *= u.late_fraction;
                }
                let end = at.min(d + u.life).min(arrival + u.window);
                if end > d {
                    v += rate * peak * u.ramped_days(arrival, d, end);
                }
            }
            v -= u.cost_per_day * (d.unwrap_or(at) - arrival);
            if arrival + u.deadline <= at && d.is_none_or(|d| d > arrival + u.deadline) {
                v -= u.penalty;
            }
            v
        };
        let base = Urgency::default();
        let shapes = [
            Urgency {
                deadline: 30.0,
                penalty: 500.0,
                late_fraction: 0.5,
                ..base
            },
            Urgency {
                cost_per_day: 12.5,
                ..base
            },
            Urgency {
                ramp: 40.0,
                erosion: 90.0,
                ..base
            },
            Urgency {
                life: 20.0,
                window: 60.0,
                penalty: 1.0,
                deadline: 10.0,
                ..base
            },
        ];
        let days = [0.0, 3.0, 10.0, 29.5, 30.0, 61.0, 365.0];
        for u in &shapes {
            for rate in [0.0, -0.0] {
                for &arrival in &days {
                    for &at in &days {
                        for delivered in std::iter::once(None).chain(days.iter().map(|&d| Some(d)))
                        {
                            let want = whole(u, rate, arrival, delivered, at);
                            let got = u.realised(rate, arrival, delivered, at);
                            assert_eq!(
                                got.to_bits(),
                                want.to_bits(),
                                "{u:?} {rate} {arrival} {delivered:?} {at}"
                            );
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn standard_value_flows_from_delivery() {
        let u = Urgency::default();
        assert_eq!(u.realised(10.0, 0.0, Some(30.0), 100.0), 700.0);
        assert_eq!(u.realised(10.0, 0.0, Some(130.0), 100.0), 0.0);
        assert_eq!(u.realised(10.0, 0.0, None, 100.0), 0.0);
        // Cost of delay of a standard item is its value rate.
        assert!((u.cost_of_delay(10.0, 0.0, 30.0, 5.0, 100.0) - 10.0).abs() < 1e-9);
    }

    #[test]
    fn fixed_date_penalty_and_late_fraction() {
        let u = Urgency {
            deadline: 50.0,
            penalty: 1000.0,
            late_fraction: 0.0,
            ..Urgency::default()
        };
        assert_eq!(u.realised(1.0, 0.0, Some(40.0), 100.0), 60.0);
        assert_eq!(u.realised(1.0, 0.0, Some(60.0), 100.0), -1000.0);
        assert_eq!(u.realised(1.0, 0.0, None, 100.0), -1000.0);
        assert_eq!(u.realised(1.0, 0.0, None, 49.0), 0.0);
    }

    #[test]
    fn expedite_costs_every_day_until_delivered() {
        let u = Urgency {
            cost_per_day: 100.0,
            ..Urgency::default()
        };
        assert_eq!(u.realised(0.0, 10.0, Some(15.0), 100.0), -500.0);
        assert_eq!(u.realised(0.0, 10.0, None, 100.0), -9000.0);
    }

    #[test]
    fn arnold_profiles() {
        // Short life cycle: the window closes 60 days after arrival.
        let short = Urgency {
            window: 60.0,
            ..Urgency::default()
        };
        assert_eq!(short.realised(1.0, 0.0, Some(20.0), 365.0), 40.0);
        // Long life, peak reduced: 100 days of delay erode the peak entirely.
        let eroding = Urgency {
            erosion: 100.0,
            ..Urgency::default()
        };
        assert_eq!(eroding.realised(1.0, 0.0, Some(50.0), 150.0), 50.0);
        // Long life, peak unaffected: a curve of 100 days shifts right.
        let shifted = Urgency {
            life: 100.0,
            ..Urgency::default()
        };
        assert_eq!(shifted.realised(1.0, 0.0, Some(10.0), 365.0), 100.0);
        assert_eq!(shifted.realised(1.0, 0.0, Some(50.0), 365.0), 100.0);
    }

    /// A life that still fits before the horizon loses nothing to delay: the cost of delay is
    /// exactly 0, not the rounding of two sums (55.5 + 100 − 55.5 against 56.8 + 100 − 56.8
    /// differ by 1.4e-14), which would rank such items by noise.
    #[test]
    fn a_delay_that_loses_nothing_costs_exactly_nothing() {
        let shifted = Urgency {
            life: 100.0,
            ..Urgency::default()
        };
        for (delivery, over) in [(55.5, 1.3), (123.456, 3.7), (55.5, 3.7), (10.3, 2.9)] {
            let cod = shifted.cost_of_delay(1.0, 0.0, delivery, over, 365.0);
            assert_eq!(cod.to_bits(), 0.0f64.to_bits(), "{delivery} {over}: {cod}");
        }
        // Once the horizon cuts the life, a day of delay costs a day of value.
        let cod = shifted.cost_of_delay(1.0, 0.0, 300.0, 2.0, 365.0);
        assert!((cod - 1.0).abs() < 1e-9, "{cod}");
    }

    #[test]
    fn intangible_ramps_up() {
        let u = Urgency {
            ramp: 100.0,
            ..Urgency::default()
        };
        // Delivered at 0: ∫0^100 t/100 dt + 100 = 50 + 100.
        assert!((u.realised(1.0, 0.0, Some(0.0), 200.0) - 150.0).abs() < 1e-9);
        // Early delay costs little, later delay costs a full day per day.
        let early = u.cost_of_delay(1.0, 0.0, 0.0, 10.0, 200.0);
        let late = u.cost_of_delay(1.0, 0.0, 150.0, 10.0, 200.0);
        assert!(early < 0.1 && (late - 1.0).abs() < 1e-9);
    }
}
