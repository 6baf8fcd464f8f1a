//! The discrete-event kernel: simulated time, the event calendar, the run loop and the
//! random-number streams.
//!
//! This module is domain-agnostic: it knows nothing about stages, work items, value, files or
//! terminals. A model implements [`Model`]; [`run`] feeds it events from a [`Calendar`] in time
//! order until the calendar is empty or the horizon is reached.
//!
//! Key types:
//! - [`Time`]: an instant in simulated days, totally ordered (never NaN).
//! - [`Calendar`]: a binary heap keyed by (time, insertion sequence), so simultaneous events are
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
}

/// Runs `model` until the calendar is empty or the next event lies beyond `horizon`.
///
/// Returns the number of events handled. Events scheduled exactly at the horizon are handled.
pub fn run<M: Model>(model: &mut M, calendar: &mut Calendar<M::Event>, horizon: Time) -> u64 {
    let mut handled = 0;
    while let Some((now, event)) = calendar.pop_until(horizon) {
        model.handle(now, event, calendar);
        handled += 1;
    }
    handled
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
        let n = run(&mut model, &mut cal, Time::from_days(3.0));
        assert_eq!(n, 4);
        assert_eq!(model.seen.last(), Some(&(3.0, 7)));
    }
}
