//! The event calendar: pending events ordered by (time, insertion sequence).
//!
//! Most value streams keep a handful of events pending (an arrival per work type, a completion
//! per busy worker, a release train). For those the calendar is an unordered list: scheduling
//! appends, and the next event is found by a scan for the smallest key, done without
//! data-dependent branches and then swapped out of the list. A sorted list or a heap spends
//! about as many comparisons, but on branches the processor cannot predict. Past
//! [`Calendar::LARGE`] pending events it becomes a binary heap, and turns back into a list when
//! it falls to [`Calendar::SMALL`]; both pop events in exactly the same order.

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

    /// The ordering key: earlier first, then scheduled first.
    #[inline]
    fn key(&self) -> u128 {
        (u128::from(self.time_bits) << 64) | u128::from(self.seq)
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
        other.key().cmp(&self.key())
    }
}

/// Pending events in time order; simultaneous events come out in the order they were scheduled.
pub struct Calendar<E> {
    /// While small: the pending events' times, in no order (kept apart, so that finding the
    /// earliest reads nothing else).
    times: Vec<f64>,
    /// While small: their insertion sequence numbers, in the order of `times`.
    seqs: Vec<u64>,
    /// While small: the pending events, in the order of `times`.
    events: Vec<E>,
    /// While large: the pending events as a heap (the lists are then empty).
    heap: BinaryHeap<Entry<E>>,
    large: bool,
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
            times: Vec::new(),
            seqs: Vec::new(),
            events: Vec::new(),
            heap: BinaryHeap::new(),
            large: false,
            next_seq: 0,
        }
    }

    /// Pending events above which the calendar becomes a heap.
    pub const LARGE: usize = 32;
    /// Pending events at which a heap turns back into a list.
    pub const SMALL: usize = 8;

    /// Schedules `event` to happen at `time`.
    ///
    /// # Panics
    /// If `time` is negative: simulated time starts at 0 and never runs backwards.
    // Inlined where events are scheduled: the call cost a tenth of the engine's time.
    #[inline(always)]
    pub fn schedule(&mut self, time: Time, event: E) {
        let seq = self.next_seq;
        self.next_seq += 1;
        self.schedule_as(time, seq, event);
    }

    /// Reserves `n` consecutive sequence numbers and returns the first: events scheduled later
    /// with [`Calendar::schedule_reserved`] and these numbers come out, among simultaneous
    /// events, where they would have had they all been scheduled now. A model with a long
    /// series of events known in advance keeps only the next one pending.
    pub fn reserve(&mut self, n: u64) -> u64 {
        let first = self.next_seq;
        self.next_seq += n;
        first
    }

    /// Schedules `event` at `time` with the sequence number `seq`, one [`Calendar::reserve`]
    /// returned (each used once).
    #[inline]
    pub fn schedule_reserved(&mut self, time: Time, seq: u64, event: E) {
        debug_assert!(seq < self.next_seq, "invariant: a reserved sequence number");
        self.schedule_as(time, seq, event);
    }

    #[inline(always)]
    fn schedule_as(&mut self, time: Time, seq: u64, event: E) {
        let days = time.days();
        assert!(
            days >= 0.0,
            "invariant: events are never scheduled before time 0"
        );
        // +0.0 and -0.0 compare equal but differ in bits; keys use +0.0.
        let bits = (days + 0.0).to_bits();
        let entry = Entry {
            time_bits: bits,
            seq,
            event,
        };
        if !self.large && self.times.len() < Self::LARGE {
            self.times.push(f64::from_bits(bits));
            self.seqs.push(seq);
            self.events.push(entry.event);
        } else {
            self.push_large(entry);
        }
    }

    /// [`Calendar::schedule`] into a heap (made from the list when it outgrows it).
    #[inline(never)]
    fn push_large(&mut self, entry: Entry<E>) {
        if !self.large {
            // Drained, not taken: both forms keep their allocations for the next change.
            let entries = self
                .times
                .drain(..)
                .zip(self.seqs.drain(..))
                .zip(self.events.drain(..))
                .map(|((time, seq), event)| Entry {
                    time_bits: time.to_bits(),
                    seq,
                    event,
                });
            self.heap.extend(entries);
            self.large = true;
        }
        self.heap.push(entry);
    }

    /// Index in the lists of the earliest event, the first scheduled of the earliest time (the
    /// list is not empty). (time, sequence) pairs are distinct, so the answer does not depend
    /// on the lists' order.
    #[inline(always)]
    fn earliest(&self) -> usize {
        // Which entry is earliest is a coin toss to the processor, so both passes avoid
        // branches on it: the earliest time by `minsd`, then its index as a sum of indices
        // masked by equality (a branch or a conditional move carried from one entry to the
        // next cost a tenth of the engine's time).
        let times = &self.times;
        let mut first = times[0];
        for &t in &times[1..] {
            first = if t < first { t } else { first };
        }
        let (mut count, mut index) = (0usize, 0usize);
        for (i, &t) in times.iter().enumerate() {
            let at = usize::from(t == first);
            count += at;
            index += at.wrapping_neg() & i;
        }
        if count == 1 {
            return index;
        }
        // Simultaneous events: the first scheduled.
        (0..times.len())
            .filter(|&i| times[i] == first)
            .min_by_key(|&i| self.seqs[i])
            .expect("invariant: the earliest time is some entry's")
    }

    /// Removes and returns the earliest event if it happens no later than `horizon`.
    #[inline]
    pub fn pop_until(&mut self, horizon: Time) -> Option<(Time, E)> {
        if !self.large {
            if self.times.is_empty() {
                return None;
            }
            let at = self.earliest();
            // Scheduled times passed `schedule`'s check: none is NaN or -0.0, so the plain
            // comparison orders them as `Time` does.
            let days = self.times[at];
            if days > horizon.days() {
                return None;
            }
            let time = Time::from_days_unchecked(days);
            self.times.swap_remove(at);
            self.seqs.swap_remove(at);
            return Some((time, self.events.swap_remove(at)));
        }
        if self.heap.peek()?.time() > horizon {
            return None;
        }
        let next = self.heap.pop().map(|e| (e.time(), e.event));
        if self.heap.len() <= Self::SMALL {
            for entry in self.heap.drain() {
                self.times.push(f64::from_bits(entry.time_bits));
                self.seqs.push(entry.seq);
                self.events.push(entry.event);
            }
            self.large = false;
        }
        next
    }

    /// Number of pending events.
    pub fn len(&self) -> usize {
        self.times.len() + self.heap.len()
    }

    /// True when nothing is scheduled.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Forgets every pending event, keeping the allocation for reuse.
    pub fn clear(&mut self) {
        self.times.clear();
        self.seqs.clear();
        self.events.clear();
        self.heap.clear();
        self.large = false;
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

    /// Grows the calendar past `LARGE` (a heap) and drains it below `SMALL` (a list again),
    /// in waves, interleaving pushes and pops with many ties: every pop must be the earliest
    /// pending event, ties in scheduling order, as a plain sort of the pending events says.
    #[test]
    fn pops_in_time_then_scheduling_order_across_both_forms() {
        use crate::engine::rng;
        use rand::Rng;
        let mut r = rng::stream(&[11]);
        let mut cal = Calendar::new();
        let mut pending: Vec<(f64, u64)> = Vec::new();
        let mut seq = 0u64;
        let mut now = 0.0;
        let far = Time::from_days(f64::MAX);
        let (mut peak, mut low_after_peak) = (0, usize::MAX);
        for round in 0..4_000 {
            // Waves: grow to about 130 pending, then drain to none.
            let grow = round % 200 < 100;
            let pushes = if grow { 2 } else { r.next_u64() % 2 };
            for _ in 0..pushes {
                // Whole days make ties common.
                let t = now + (r.next_u64() % 20) as f64;
                cal.schedule(Time::from_days(t), seq);
                pending.push((t, seq));
                seq += 1;
            }
            let pops = if grow {
                usize::from(r.next_u64() % 3 != 0)
            } else {
                2
            };
            for _ in 0..pops.min(pending.len()) {
                pending.sort_by(|a, b| b.0.total_cmp(&a.0).then(b.1.cmp(&a.1)));
                let (t, id) = pending.pop().expect("non-empty");
                let (got_t, got_id) = cal.pop_until(far).expect("the calendar holds it too");
                assert_eq!((got_t.days(), got_id), (t, id), "round {round}");
                now = t;
            }
            assert_eq!(cal.len(), pending.len());
            peak = peak.max(pending.len());
            if peak > Calendar::<u64>::LARGE {
                low_after_peak = low_after_peak.min(pending.len());
            }
        }
        // Both forms, and both changes of form, were exercised.
        assert!(peak > 2 * Calendar::<u64>::LARGE, "peak {peak}");
        assert!(
            low_after_peak < Calendar::<u64>::SMALL,
            "low {low_after_peak}"
        );
    }

    /// An event scheduled late with a reserved sequence number comes out, among simultaneous
    /// events, where it would have had it been scheduled when the number was reserved.
    #[test]
    fn reserved_numbers_keep_their_place_among_ties() {
        let mut cal = Calendar::new();
        let t = Time::from_days(5.0);
        cal.schedule(t, 'a');
        let first = cal.reserve(2);
        cal.schedule(t, 'd');
        cal.schedule_reserved(t, first + 1, 'c');
        cal.schedule_reserved(t, first, 'b');
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
