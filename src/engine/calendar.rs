//! The event calendar: a min-heap keyed by (time, insertion sequence).

use super::Time;
use std::cmp::Ordering;
use std::collections::BinaryHeap;

struct Entry<E> {
    /// The time's bits: for non-negative times the bit pattern of an f64 orders like the
    /// number, so integer comparisons order entries by time (cheaper than `total_cmp`).
    time_bits: u64,
    /// Insertion sequence, breaking ties in scheduling order.
    seq: u64,
    event: E,
}

impl<E> Entry<E> {
    #[inline]
    fn time(&self) -> Time {
        Time::from_days(f64::from_bits(self.time_bits))
    }
}

impl<E> PartialEq for Entry<E> {
    fn eq(&self, other: &Self) -> bool {
        (self.time_bits, self.seq) == (other.time_bits, other.seq)
    }
}
impl<E> Eq for Entry<E> {}
impl<E> PartialOrd for Entry<E> {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl<E> Ord for Entry<E> {
    // Reversed so that BinaryHeap (a max-heap) pops the earliest event; the sequence number
    // breaks ties in scheduling order, which makes runs deterministic.
    #[inline]
    fn cmp(&self, other: &Self) -> Ordering {
        let key = |e: &Self| (u128::from(e.time_bits) << 64) | u128::from(e.seq);
        key(other).cmp(&key(self))
    }
}

/// Pending events in time order; simultaneous events come out in the order they were scheduled.
pub struct Calendar<E> {
    heap: BinaryHeap<Entry<E>>,
    next_seq: u64,
}

impl<E> Default for Calendar<E> {
    fn default() -> Self {
        Self::new()
    }
}

impl<E> Calendar<E> {
    /// An empty calendar.
    pub fn new() -> Self {
        Calendar {
            heap: BinaryHeap::new(),
            next_seq: 0,
        }
    }

    /// Schedules `event` to happen at `time`.
    ///
    /// # Panics
    /// If `time` is negative: simulated time starts at 0 and never runs backwards.
    #[inline]
    pub fn schedule(&mut self, time: Time, event: E) {
        let days = time.days();
        assert!(
            days >= 0.0,
            "invariant: events are never scheduled before time 0"
        );
        // +0.0 and -0.0 compare equal but differ in bits; keys use +0.0.
        let bits = (days + 0.0).to_bits();
        let seq = self.next_seq;
        self.next_seq += 1;
        self.heap.push(Entry {
            time_bits: bits,
            seq,
            event,
        });
    }

    /// Removes and returns the earliest event if it happens no later than `horizon`.
    #[inline]
    pub fn pop_until(&mut self, horizon: Time) -> Option<(Time, E)> {
        if self.heap.peek()?.time() > horizon {
            return None;
        }
        self.heap.pop().map(|e| (e.time(), e.event))
    }

    /// Number of pending events.
    pub fn len(&self) -> usize {
        self.heap.len()
    }

    /// True when nothing is scheduled.
    pub fn is_empty(&self) -> bool {
        self.heap.is_empty()
    }

    /// Forgets every pending event, keeping the allocation for reuse.
    pub fn clear(&mut self) {
        self.heap.clear();
        self.next_seq = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ties_pop_in_scheduling_order() {
        let mut cal = Calendar::new();
        let t = Time::from_days(2.0);
        cal.schedule(t, 'b');
        cal.schedule(Time::from_days(1.0), 'a');
        cal.schedule(t, 'c');
        cal.schedule(t, 'd');
        let far = Time::from_days(10.0);
        let order: Vec<char> = std::iter::from_fn(|| cal.pop_until(far).map(|(_, e)| e)).collect();
        assert_eq!(order, vec!['a', 'b', 'c', 'd']);
    }

    #[test]
    fn pop_until_leaves_later_events() {
        let mut cal = Calendar::new();
        cal.schedule(Time::from_days(5.0), ());
        assert!(cal.pop_until(Time::from_days(4.9)).is_none());
        assert_eq!(cal.len(), 1);
    }
}
