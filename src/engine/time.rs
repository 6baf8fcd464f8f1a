//! Simulated time in days.

use std::cmp::Ordering;
use std::fmt;
use std::ops::{Add, Sub};

/// An instant of simulated time, in days since the start of a replication.
///
/// Never NaN, so it has a total order and can key the event calendar.
#[derive(Clone, Copy, Debug, Default)]
pub struct Time(f64);

impl Time {
    /// The start of every replication.
    pub const ZERO: Time = Time(0.0);

    /// An instant `days` after the start.
    ///
    /// # Panics
    /// If `days` is NaN: a NaN time would break the calendar's ordering invariant.
    pub fn from_days(days: f64) -> Time {
        assert!(!days.is_nan(), "invariant: simulated time is never NaN");
        Time(days)
    }

    /// An instant the caller knows is not NaN (the calendar's own times): no check.
    #[inline]
    pub(super) fn from_days_unchecked(days: f64) -> Time {
        debug_assert!(!days.is_nan(), "invariant: simulated time is never NaN");
        Time(days)
    }

    /// Days since the start.
    pub fn days(self) -> f64 {
        self.0
    }
}

impl PartialEq for Time {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for Time {}

impl PartialOrd for Time {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Time {
    fn cmp(&self, other: &Self) -> Ordering {
        self.0.total_cmp(&other.0)
    }
}

/// Advancing an instant by a duration in days.
impl Add<f64> for Time {
    type Output = Time;
    fn add(self, days: f64) -> Time {
        Time::from_days(self.0 + days)
    }
}

/// The duration in days between two instants.
impl Sub for Time {
    type Output = f64;
    fn sub(self, earlier: Time) -> f64 {
        self.0 - earlier.0
    }
}

impl fmt::Display for Time {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "day {:.2}", self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn order_and_arithmetic() {
        let a = Time::from_days(1.5);
        let b = a + 2.0;
        assert!(b > a);
        assert_eq!(b - a, 2.0);
        assert_eq!(Time::ZERO.cmp(&Time::from_days(-0.0)), Ordering::Greater);
    }

    #[test]
    #[should_panic(expected = "never NaN")]
    fn nan_is_rejected() {
        let _ = Time::from_days(f64::NAN);
    }
}
