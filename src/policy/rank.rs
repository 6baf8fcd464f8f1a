//! The backlog kept ranked between decisions, for the cost-of-delay rule (CD3) and for
//! shortest-first.
//!
//! The backlog is the longest list a policy ranks: every admission to the first stage scores
//! every item waiting there. Under CD3 most of those scores do not change from one decision to
//! the next. A standard item's cost of delay is its value rate, whatever else waits and
//! whenever it is asked (`economics.rs`), so its score moves only when the team's belief in its
//! bet moves. [`BacklogRank`] keeps those *settled* items sorted by score while items arrive
//! and leave and beliefs change. A decision then scores only the *moving* items: deadlines,
//! expedite work, debt, slices whose bet awaits a signal (their score depends on the day). It
//! reads the best settled item off the end of the sorted list.
//!
//! Most moving items are slices whose bet awaits a signal, and most of those rank low: the
//! signal is due soon, and the value of waiting for it discounts them. Each also has a *cap*,
//! the most its score can be: its plain expected rate per day of work, which moves only with the
//! belief. The ranking keeps these *capped* slices sorted by cap as well, and a decision scores
//! them from the highest cap down only while a cap could still beat the best score found
//! (`RulePolicy::best_moving_lazily`). Debt is priced at the median of every score; with the
//! caps standing in for the unscored slices' scores that median is an upper bound, and only when
//! a debt item could still be the best at it is every moving item scored.
//!
//! The decision is exactly the one a full scan of the backlog makes:
//! - the same scores, computed by the same code;
//! - the same mean remaining work of the competitors, summed in backlog order;
//! - the same median for the price of debt, selected from the few moving scores and the sorted
//!   settled ones and caps ([`kth_smallest`]);
//! - the same tie-break, the earliest arrival in the backlog.
//!
//! Shortest-first is the simple case: an item's score is minus its estimated remaining work,
//! fixed from its arrival, so every item is settled and a decision reads the best off the end.
//!
//! Anything a sorted list cannot order the way the scan does goes to the moving items: a score
//! that is not a number, infinite or negative zero. A decision with a moving score that is not
//! a number falls back to the scan. Debug builds make both decisions at every admission and
//! check that they agree.
//!
//! The simulation owns one `BacklogRank` per replication and tells it what happens to the
//! backlog (`arrive`, `leave`) and to the beliefs (`bet_changed`). It never reads it; the
//! policy does, through [`Context::backlog`](super::Context).

use super::rules::{remaining, Scorer};
use super::Context;
use crate::model::{ItemId, ItemTable, Kind, WorkItem};
use std::cmp::Ordering;

/// Marks "not a slice of a bet".
const NO_BET: u32 = u32::MAX;

/// A candidate in backlog order.
#[derive(Clone, Copy, Debug)]
pub(super) struct Waiting {
    /// Its place in backlog order (items only ever join at the back).
    seq: u64,
    /// The item.
    pub(super) id: ItemId,
    /// Its bet's index in the replication ([`NO_BET`]: not a slice).
    bet: u32,
    /// Its estimated remaining work at the first stage, in days.
    pub(super) remaining: f64,
    /// Its settled score; not a number while it is moving.
    pub(super) score: f64,
}

impl Waiting {
    /// True if the item is a slice of bet `bet`.
    #[inline]
    pub(super) fn bet_is(&self, bet: usize) -> bool {
        self.bet != NO_BET && self.bet as usize == bet
    }

    /// True if its score is settled (kept in [`BacklogRank::settled`]).
    #[inline]
    fn settled(&self) -> bool {
        !self.score.is_nan()
    }
}

/// A moving item: scored at every decision.
#[derive(Clone, Copy, Debug)]
pub(super) struct Moving {
    /// Its place in backlog order.
    pub(super) seq: u64,
    /// The item.
    pub(super) id: ItemId,
    /// Its estimated remaining work at the first stage, in days.
    pub(super) remaining: f64,
    /// A slice awaiting a signal: the most its score can be, its plain expected rate per day
    /// of work (the value of waiting only lowers it), while its bet's belief holds. Not a
    /// number for any other moving item.
    pub(super) cap: f64,
}

impl Moving {
    /// True if it is kept among the [`BacklogRank::capped`] items too.
    #[inline]
    pub(super) fn capped(&self) -> bool {
        !self.cap.is_nan()
    }
}

/// A settled item in the sorted list.
#[derive(Clone, Copy, Debug)]
pub(super) struct Settled {
    pub(super) score: f64,
    pub(super) seq: u64,
    pub(super) id: ItemId,
}

/// A moving slice that awaits a signal, by its cap (see [`Moving::cap`]).
#[derive(Clone, Copy, Debug)]
pub(super) struct Capped {
    pub(super) cap: f64,
    pub(super) seq: u64,
    pub(super) id: ItemId,
    pub(super) remaining: f64,
}

/// [`order`] for capped slices, by their caps.
fn cap_order(a: &Capped, b: &Capped) -> Ordering {
    a.cap.total_cmp(&b.cap).then(b.seq.cmp(&a.seq))
}

/// Sorted ascending by score, and among equal scores by *descending* backlog order, so that
/// the last entry is the best item and, among equals, the earliest.
fn order(a: &Settled, b: &Settled) -> Ordering {
    a.score.total_cmp(&b.score).then(b.seq.cmp(&a.seq))
}

/// The backlog of one replication, ranked for a CD3 or a shortest-first policy (see the
/// module docs).
#[derive(Clone, Debug)]
pub struct BacklogRank {
    /// Rank slices awaiting a signal at the value of waiting for it (a measuring policy).
    pessimistic: bool,
    /// Rank by size alone (shortest-first): every score is minus the remaining work.
    by_size: bool,
    /// The kinds the policy works on.
    kinds: [bool; 4],
    /// Per item slot: its place in backlog order while it is a candidate in the backlog.
    places: Vec<Option<u64>>,
    /// Every candidate in backlog order, so that what a decision sums over the backlog is
    /// summed in the scan's order from one contiguous list.
    in_order: Vec<Waiting>,
    /// `sums[i]`: the remaining work of `in_order[..=i]`, summed from the front one by one
    /// (as the scan sums it, so to the same bits). An arrival adds one at the back; a leave
    /// sums again from where it left.
    sums: Vec<f64>,
    /// Settled items, best last (see [`order`]).
    settled: Vec<Settled>,
    /// Moving items in backlog order.
    moving: Vec<Moving>,
    /// The moving slices that await a signal, sorted by their caps as the settled items are by
    /// their scores (best last), with their remaining work: a decision scores them only while
    /// a cap could still beat the best score found.
    capped: Vec<Capped>,
    /// The candidates of each bet, by the bet's index in the replication.
    by_bet: Vec<Vec<ItemId>>,
    next_seq: u64,
}

impl BacklogRank {
    /// An empty ranking for a CD3 policy that works on `kinds` and, if `pessimistic`, ranks a
    /// slice awaiting a signal at the value of waiting for it.
    pub(super) fn new(pessimistic: bool, kinds: [bool; 4]) -> Self {
        BacklogRank {
            pessimistic,
            by_size: false,
            kinds,
            places: Vec::new(),
            in_order: Vec::new(),
            sums: Vec::new(),
            settled: Vec::new(),
            moving: Vec::new(),
            capped: Vec::new(),
            by_bet: Vec::new(),
            next_seq: 0,
        }
    }

    /// An empty ranking for a shortest-first policy that works on `kinds`.
    pub(super) fn by_size(kinds: [bool; 4]) -> Self {
        BacklogRank {
            by_size: true,
            ..BacklogRank::new(false, kinds)
        }
    }

    /// Item `id` joined the back of the backlog. `ctx` is the first stage's admission context.
    pub fn arrive(&mut self, id: ItemId, items: &ItemTable, ctx: &Context<'_>) {
        let it = items.get(id);
        let i = id as usize;
        if self.places.len() <= i {
            self.places.resize(i + 1, None);
        }
        if !self.kinds[it.kind().index()] {
            self.places[i] = None;
            return;
        }
        let seq = self.next_seq;
        self.next_seq += 1;
        self.places[i] = Some(seq);
        let remaining = remaining(it, ctx);
        self.in_order.push(Waiting {
            seq,
            id,
            bet: it.bet_index().map_or(NO_BET, |b| b as u32),
            remaining,
            score: f64::NAN,
        });
        self.sums.push(f64::NAN);
        self.sum_from(self.in_order.len() - 1);
        if let Some(b) = it.bet_index() {
            if self.by_bet.len() <= b {
                self.by_bet.resize_with(b + 1, Vec::new);
            }
            let list = &mut self.by_bet[b];
            if list.capacity() == 0 {
                // Room for every slice still to come at once, not grown a slice at a time.
                list.reserve_exact(items.bet(b).remaining() as usize);
            }
            list.push(id);
        }
        self.place(self.in_order.len() - 1, it, items, ctx);
    }

    /// Item `id` left the backlog (admitted or dropped).
    pub fn leave(&mut self, id: ItemId, items: &ItemTable) {
        let Some(seq) = self.places.get(id as usize).copied().flatten() else {
            return;
        };
        let at = self.index_of(seq);
        self.unplace(at);
        self.in_order.remove(at);
        self.sums.pop();
        self.sum_from(at);
        self.places[id as usize] = None;
        if let Some(b) = items.get(id).bet_index() {
            let list = &mut self.by_bet[b];
            if let Some(k) = list.iter().position(|&x| x == id) {
                list.swap_remove(k);
            }
        }
    }

    /// The team's belief in bet `bet`, or its pending signals, changed: its backlog items are
    /// scored again.
    pub fn bet_changed(&mut self, bet: usize, items: &ItemTable, ctx: &Context<'_>) {
        if self.by_size {
            // A size does not depend on beliefs.
            return;
        }
        let Some(list) = self.by_bet.get_mut(bet) else {
            return;
        };
        let ids = std::mem::take(list);
        for &id in &ids {
            let seq =
                self.places[id as usize].expect("invariant: a bet's listed item is a candidate");
            let at = self.index_of(seq);
            self.unplace(at);
            self.place(at, items.get(id), items, ctx);
        }
        self.by_bet[bet] = ids;
    }

    /// Scores the candidate at `at` in backlog order (item `it`) and puts it among the
    /// settled or the moving items.
    fn place(&mut self, at: usize, it: &WorkItem, items: &ItemTable, ctx: &Context<'_>) {
        let Waiting {
            seq, id, remaining, ..
        } = self.in_order[at];
        let bet = items.bet_of(it);
        // Exactly the items whose score `gather` sets and no later decision changes.
        let standard = it.kind() != Kind::Debt && it.standard_class();
        let awaiting = self.pessimistic && bet.is_some_and(|b| b.awaits_signal());
        let steady = standard && !awaiting;
        let score = if self.by_size {
            // `score_all`'s shortest-first score.
            -remaining
        } else if steady {
            Scorer::new(items, ctx, self.pessimistic).rate_of(it, bet) / remaining
        } else {
            f64::NAN
        };
        // A sorted list orders finite scores as the scan's strict comparison does, except
        // negative zero (equal to zero there, below it here).
        if score.is_finite() && !(score == 0.0 && score.is_sign_negative()) {
            self.in_order[at].score = score;
            let entry = Settled { score, seq, id };
            let k = self
                .settled
                .partition_point(|e| order(e, &entry) == Ordering::Less);
            self.settled.insert(k, entry);
        } else {
            self.in_order[at].score = f64::NAN;
            // A slice awaiting a signal scores at most its plain expected rate per day of work
            // (`belief::awaiting_rate` is the least of that rate and the value of waiting),
            // and that rate moves only with the belief, when it is placed again.
            let cap = if standard && awaiting && !self.by_size {
                Scorer::new(items, ctx, false).rate_of(it, bet) / remaining
            } else {
                f64::NAN
            };
            // Only a cap a sorted list orders as the scan compares (as for settled scores).
            let cap = if cap.is_finite() && !(cap == 0.0 && cap.is_sign_negative()) {
                let entry = Capped {
                    cap,
                    seq,
                    id,
                    remaining,
                };
                let k = self
                    .capped
                    .partition_point(|e| cap_order(e, &entry) == Ordering::Less);
                self.capped.insert(k, entry);
                cap
            } else {
                f64::NAN
            };
            let k = self.moving.partition_point(|m| m.seq < seq);
            self.moving.insert(
                k,
                Moving {
                    seq,
                    id,
                    remaining,
                    cap,
                },
            );
        }
    }

    /// Takes the candidate at `at` in backlog order out of the settled or the moving items.
    fn unplace(&mut self, at: usize) {
        let w = self.in_order[at];
        if w.settled() {
            let entry = Settled {
                score: w.score,
                seq: w.seq,
                id: w.id,
            };
            let k = self
                .settled
                .partition_point(|e| order(e, &entry) == Ordering::Less);
            debug_assert!(
                self.settled.get(k).is_some_and(|e| e.id == w.id),
                "invariant: a settled item is where its score puts it"
            );
            self.settled.remove(k);
        } else {
            let k = self.moving.partition_point(|m| m.seq < w.seq);
            debug_assert!(
                self.moving.get(k).is_some_and(|m| m.id == w.id),
                "invariant: a moving item is where its place puts it"
            );
            let m = self.moving.remove(k);
            if m.capped() {
                let entry = Capped {
                    cap: m.cap,
                    seq: m.seq,
                    id: m.id,
                    remaining: m.remaining,
                };
                let k = self
                    .capped
                    .partition_point(|e| cap_order(e, &entry) == Ordering::Less);
                debug_assert!(
                    self.capped.get(k).is_some_and(|e| e.id == w.id),
                    "invariant: a capped item is where its cap puts it"
                );
                self.capped.remove(k);
            }
        }
    }

    /// Where the candidate with place `seq` is in backlog order (in
    /// [`BacklogRank::in_order`]).
    pub(super) fn index_of(&self, seq: u64) -> usize {
        let at = self.in_order.partition_point(|w| w.seq < seq);
        debug_assert!(
            self.in_order.get(at).is_some_and(|w| w.seq == seq),
            "invariant: every candidate is in backlog order"
        );
        at
    }

    /// Every candidate in backlog order.
    pub(super) fn in_order(&self) -> &[Waiting] {
        &self.in_order
    }

    /// The remaining work of every candidate, summed in backlog order from the front (as
    /// `Iterator::sum` sums it, from negative zero: so an empty backlog sums to -0.0).
    #[inline]
    pub(super) fn total_remaining(&self) -> f64 {
        let total = self.sums.last().copied().unwrap_or(-0.0);
        debug_assert_eq!(
            total.to_bits(),
            self.in_order
                .iter()
                .map(|w| w.remaining)
                .sum::<f64>()
                .to_bits(),
            "invariant: the kept sum is the scan's, to the bit"
        );
        total
    }

    /// Sums the remaining work again from candidate `at` on (after a candidate arrived or left
    /// there).
    fn sum_from(&mut self, at: usize) {
        let mut total = if at == 0 { -0.0 } else { self.sums[at - 1] };
        for (sum, w) in self.sums[at..].iter_mut().zip(&self.in_order[at..]) {
            total += w.remaining;
            *sum = total;
        }
    }

    /// The candidates of bet `bet` in backlog order, into `out` (cleared first).
    pub(super) fn of_bet_in_order(&self, bet: usize, out: &mut Vec<(u64, ItemId)>) {
        out.clear();
        if let Some(list) = self.by_bet.get(bet) {
            out.extend(list.iter().map(|&id| {
                let seq = self.places[id as usize]
                    .expect("invariant: a bet's listed item is a candidate");
                (seq, id)
            }));
        }
        out.sort_unstable();
    }

    /// The most candidates an admission from this ranking scores (the moving ones) and the
    /// best settled one it reads: what a replication's budget counts for it.
    pub fn weighed_per_decision(&self) -> usize {
        self.moving.len() + 1
    }

    /// Number of candidates in the backlog.
    pub(super) fn candidates(&self) -> usize {
        self.in_order.len()
    }

    /// The moving items in backlog order.
    pub(super) fn moving(&self) -> &[Moving] {
        &self.moving
    }

    /// The settled items, best last.
    pub(super) fn settled(&self) -> &[Settled] {
        &self.settled
    }

    /// The best settled item as (score, place in backlog order, item): where a decision's
    /// search for the best starts.
    pub(super) fn best_settled(&self) -> Option<(f64, usize, ItemId)> {
        self.settled.last().map(|e| (e.score, e.seq as usize, e.id))
    }

    /// The moving slices that await a signal, by their caps, best last.
    pub(super) fn capped(&self) -> &[Capped] {
        &self.capped
    }
}

/// The `k`-th smallest (from 0) of the settled scores, the caps and `extra` together, in
/// `f64::total_cmp` order; `k` must be below the total count. `extra` is left in some order.
///
/// A quickselect over `extra` alone: the median `p` of what is left of `extra` splits it, a
/// binary search splits each sorted list at `p`, and the search goes on in the side that
/// holds the `k`-th; once `extra` is used up, the two sorted lists are halved by turns.
/// Expected time linear in `extra` (the few moving scores), logarithmic in the sorted ones,
/// where sorting `extra` first cost most of a decision. Scores equal under `total_cmp` have
/// the same bits, so the answer is a sort's to the bit.
pub(super) fn kth_smallest(
    settled: &[Settled],
    capped: &[Capped],
    extra: &mut [f64],
    k: usize,
) -> f64 {
    let lt = |a: f64, b: f64| a.total_cmp(&b) == Ordering::Less;
    let (mut settled, mut capped, mut extra, mut k) = (settled, capped, extra, k);
    loop {
        if extra.is_empty() {
            return kth_of_sorted(settled, capped, k);
        }
        let half = extra.len() / 2;
        let (_, &mut p, _) = extra.select_nth_unstable_by(half, f64::total_cmp);
        // extra[..half] <= p <= extra[half + 1..], and each sorted list is below p up to its
        // split: the `at` scores below `p` in some sorted order are exactly those.
        let s = settled.partition_point(|x| lt(x.score, p));
        let c = capped.partition_point(|x| lt(x.cap, p));
        let at = half + s + c;
        match k.cmp(&at) {
            Ordering::Equal => return p,
            Ordering::Less => {
                (settled, capped) = (&settled[..s], &capped[..c]);
                extra = &mut extra[..half];
            }
            Ordering::Greater => {
                k -= at + 1;
                (settled, capped) = (&settled[s..], &capped[c..]);
                extra = &mut extra[half + 1..];
            }
        }
    }
}

/// The `k`-th smallest of two sorted lists together: the first `i` of one list, with `i` at
/// most half of `k + 1`, are all among the `k` smallest when its `i`-th is no greater than the
/// other's `j`-th (`i + j <= k + 1`), so they are dropped.
fn kth_of_sorted(mut settled: &[Settled], mut capped: &[Capped], mut k: usize) -> f64 {
    loop {
        match (settled.first(), capped.first()) {
            (None, _) => return capped[k].cap,
            (_, None) => return settled[k].score,
            (Some(a), Some(b)) if k == 0 => {
                return if a.score.total_cmp(&b.cap) == Ordering::Greater {
                    b.cap
                } else {
                    a.score
                };
            }
            _ => {}
        }
        let half = k.div_ceil(2).max(1);
        let (i, j) = (half.min(settled.len()), half.min(capped.len()));
        if settled[i - 1].score.total_cmp(&capped[j - 1].cap) != Ordering::Greater {
            settled = &settled[i..];
            k -= i;
        } else {
            capped = &capped[j..];
            k -= j;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kth_smallest_of_two_sorted_lists_and_an_unsorted_one_matches_a_sort() {
        let mut seed = 7u64;
        let mut next = || {
            seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            match (seed >> 33) % 10 {
                // Negative zero sorts apart from zero under `total_cmp`.
                9 => -0.0,
                v => v as f64 - 4.0,
            }
        };
        for n in 0..8 {
            for c in 0..6 {
                for m in 0..9 {
                    let mut a: Vec<f64> = (0..n).map(|_| next()).collect();
                    let mut b: Vec<f64> = (0..c).map(|_| next()).collect();
                    let e: Vec<f64> = (0..m).map(|_| next()).collect();
                    a.sort_by(f64::total_cmp);
                    b.sort_by(f64::total_cmp);
                    let settled: Vec<Settled> = a
                        .iter()
                        .enumerate()
                        .map(|(i, &score)| Settled {
                            score,
                            seq: i as u64,
                            id: i as ItemId,
                        })
                        .collect();
                    let capped: Vec<Capped> = b
                        .iter()
                        .enumerate()
                        .map(|(i, &cap)| Capped {
                            cap,
                            seq: i as u64,
                            id: i as ItemId,
                            remaining: 1.0,
                        })
                        .collect();
                    let mut all: Vec<f64> = a.iter().chain(&b).chain(&e).copied().collect();
                    all.sort_by(f64::total_cmp);
                    for (k, want) in all.iter().enumerate() {
                        let mut extra = e.clone();
                        let got = kth_smallest(&settled, &capped, &mut extra, k);
                        assert_eq!(got.to_bits(), want.to_bits(), "{a:?} {b:?} {e:?} {k}");
                    }
                }
            }
        }
    }
}
