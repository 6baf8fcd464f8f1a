//! The event calendar: a min-heap keyed by (time, insertion sequence).

use super::Time;
use std::cmp::Ordering;
use std::collections::BinaryHeap;

struct Entry<E> {
    time: Time,
    seq: u64,
    event: E,
}

impl<E> PartialEq for Entry<E> {
    fn eq(&self, other: &Self) -> bool {
        self.time == other.time && self.seq == other.seq
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
    fn cmp(&self, other: &Self) -> Ordering {
        other
            .time
            .cmp(&self.time)
            .then_with(|| other.seq.cmp(&self.seq))
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
    pub fn schedule(&mut self, time: Time, event: E) {
        let seq = self.next_seq;
        self.next_seq += 1;
        self.heap.push(Entry { time, seq, event });
    }

    /// Removes and returns the earliest event if it happens no later than `horizon`.
    pub fn pop_until(&mut self, horizon: Time) -> Option<(Time, E)> {
        if self.heap.peek()?.time > horizon {
            return None;
        }
        self.heap.pop().map(|e| (e.time, e.event))
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
