//! The discrete-event kernel: simulated time, the event calendar, the run loop and the
//! random-number streams.
//!
//! This module is domain-agnostic: it knows nothing about stages, work items, value, files or
//! terminals. A model implements [`Model`]; [`run`] feeds it events from a [`Calendar`] in time
//! order until the calendar is empty or the horizon is reached.
//!
//! Key types:
//! - [`Time`]: an instant in simulated days, totally ordered (never NaN).
//! - [`Calendar`]: pending events ordered by (time, insertion sequence), so simultaneous events are
//!   handled in the order they were scheduled and runs are deterministic.
//! - [`rng`]: seeding of portable, version-stable generators from (seed, stream ids).

mod calendar;
pub mod rng;
mod time;

pub use calendar::Calendar;
pub use time::Time;

/// A simulation model driven by the kernel: it reacts to one event at a time and may schedule
/// more on the calendar.
pub trait Model {
    /// The events this model schedules. Kept small and `Copy` so the calendar stays cheap.
    type Event: Copy;

    /// Handles `event`, which happens at `now`.
    fn handle(&mut self, now: Time, event: Self::Event, calendar: &mut Calendar<Self::Event>);

    /// True when the model has exceeded a budget of its own and the run must stop.
    fn stopped(&self) -> bool {
        false
    }
}

/// How a run ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RunEnd {
    /// Events handled.
    pub events: u64,
    /// True if the run stopped early: `max_events` were handled with more to come before the
    /// horizon, or the model stopped itself ([`Model::stopped`]).
    pub cut_short: bool,
}

/// Runs `model` until the calendar is empty, the next event lies beyond `horizon`, `max_events`
/// have been handled, or the model stops itself. Events scheduled exactly at the horizon are
/// handled. The event budget makes every run finite, whatever the model schedules.
pub fn run<M: Model>(
    model: &mut M,
    calendar: &mut Calendar<M::Event>,
    horizon: Time,
    max_events: u64,
) -> RunEnd {
    let mut handled = 0;
    while let Some((now, event)) = calendar.pop_until(horizon) {
        if handled >= max_events {
            return RunEnd {
                events: handled,
                cut_short: true,
            };
        }
        model.handle(now, event, calendar);
        handled += 1;
        if model.stopped() {
            return RunEnd {
                events: handled,
                cut_short: true,
            };
        }
    }
    RunEnd {
        events: handled,
        cut_short: false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Counts down: each event schedules the next one a day later.
    struct Countdown {
        seen: Vec<(f64, u32)>,
    }

    impl Model for Countdown {
        type Event = u32;
        fn handle(&mut self, now: Time, left: u32, calendar: &mut Calendar<u32>) {
            self.seen.push((now.days(), left));
            if left > 0 {
                calendar.schedule(now + 1.0, left - 1);
            }
        }
    }

    #[test]
    fn run_stops_at_horizon_inclusive() {
        let mut model = Countdown { seen: vec![] };
        let mut cal = Calendar::new();
        cal.schedule(Time::ZERO, 10);
        let end = run(&mut model, &mut cal, Time::from_days(3.0), u64::MAX);
        assert_eq!(
            end,
            RunEnd {
                events: 4,
                cut_short: false
            }
        );
        assert_eq!(model.seen.last(), Some(&(3.0, 7)));
    }

    #[test]
    fn run_stops_at_the_event_budget() {
        let mut model = Countdown { seen: vec![] };
        let mut cal = Calendar::new();
        cal.schedule(Time::ZERO, 10);
        let end = run(&mut model, &mut cal, Time::from_days(100.0), 3);
        assert_eq!(
            end,
            RunEnd {
                events: 3,
                cut_short: true
            }
        );
        // Exactly the budget, nothing left: not cut short.
        let mut model = Countdown { seen: vec![] };
        let mut cal = Calendar::new();
        cal.schedule(Time::ZERO, 2);
        assert!(!run(&mut model, &mut cal, Time::from_days(100.0), 3).cut_short);
    }
}
