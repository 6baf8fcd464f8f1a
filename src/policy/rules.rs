//! The building blocks of every policy: ordering rules, WIP discipline, capacity allocation,
//! measuring with its stop rule, and thin slicing, assembled into [`RulePolicy`].

use super::rank::{self, BacklogRank, Capped, Settled};
use super::{belief, economics, Context, Discipline, Policy};
use crate::model::{Bet, ItemId, ItemTable, Kind, WorkItem};
use std::cell::RefCell;
use std::collections::VecDeque;

/// How waiting items are ranked.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Order {
    /// First come, first served.
    Fifo,
    /// Highest work-type `priority` first (classes of service), FIFO among equals.
    Priority,
    /// Smallest estimated remaining work first (maximises items finished).
    ShortestFirst,
    /// Highest estimated value per day first, ignoring size.
    HighestValue,
    /// Highest estimated cost of delay divided by estimated remaining duration
    /// (Reinertsen's and Arnold's CD3; Smith's rule).
    Cd3,
    /// SAFe's WSJF: (business value + time criticality + risk reduction / opportunity
    /// enablement) / job size, each a relative score on the modified Fibonacci scale.
    Wsjf,
}

impl Order {
    /// The names users write.
    pub const NAMES: &'static [&'static str] = &[
        "fifo",
        "priority",
        "shortest-first",
        "highest-value",
        "cd3",
        "wsjf",
    ];

    /// The rule called `name`.
    pub fn from_name(name: &str) -> Option<Order> {
        Some(match name {
            "fifo" => Order::Fifo,
            "priority" => Order::Priority,
            "shortest-first" => Order::ShortestFirst,
            "highest-value" => Order::HighestValue,
            "cd3" => Order::Cd3,
            "wsjf" => Order::Wsjf,
            _ => return None,
        })
    }
}

/// A policy assembled from building blocks.
#[derive(Clone, Debug)]
pub struct RulePolicy {
    /// Its name.
    pub name: String,
    /// How waiting items are ranked.
    pub order: Order,
    /// How WIP limits are treated.
    pub discipline: Discipline,
    /// Target shares of effort by kind (sum 1), if capacity is allocated.
    pub allocation: Option<[f64; 4]>,
    /// Whether outcomes are measured: beliefs updated by each signal, bets stopped when they no
    /// longer pay.
    pub measure: bool,
    /// Whether epics are sliced thinly: a small first experiment, then the rest.
    pub thin_slices: bool,
    /// Which kinds the policy works on at all.
    pub kinds: [bool; 4],
    /// Whether it reads noisy value and size estimates calibrated (the mean given the
    /// estimate, by Bayes' rule) rather than at face value (see
    /// [`Policy::calibrates_estimates`]).
    pub calibrated: bool,
}

impl RulePolicy {
    /// A policy with `order`, WIP limits honoured, no allocation, no measuring, even slices,
    /// every kind.
    pub fn ordered(name: &str, order: Order) -> RulePolicy {
        RulePolicy {
            name: name.to_string(),
            order,
            discipline: Discipline::Limits,
            allocation: None,
            measure: false,
            thin_slices: false,
            kinds: [true; 4],
            calibrated: false,
        }
    }

    fn eligible(&self, item: &WorkItem) -> bool {
        self.kinds[item.kind().index()]
    }

    /// The kind most below its allocated share among those waiting.
    fn kind_to_serve(&self, shares: &[f64; 4], present: [bool; 4], ctx: &Context<'_>) -> usize {
        let total: f64 = ctx.effort_by_kind.iter().sum();
        let mut best = None;
        let mut best_gap = f64::NEG_INFINITY;
        for k in (0..4).filter(|&k| present[k]) {
            let actual = if total > 0.0 && total.is_finite() {
                ctx.effort_by_kind[k] / total
            } else {
                0.0
            };
            let gap = shares[k] - actual;
            // `best.is_none()` keeps a kind even when a share is not a number.
            if gap > best_gap || best.is_none() {
                best_gap = gap;
                best = Some(k);
            }
        }
        best.unwrap_or(0)
    }

    /// Fills `cands` with the items of `waiting` this policy may take (of kind `only_kind`,
    /// if given), with their estimated remaining work. Under CD3 or WSJF a standard item's
    /// cost of delay is its value rate whatever else waits, so its score is set here, in the
    /// same pass, and [`RulePolicy::score_all`] leaves it alone (`scored`).
    fn gather(
        &self,
        cands: &mut Vec<Candidate>,
        waiting: impl Iterator<Item = ItemId>,
        sc: &Scorer<'_>,
        only_kind: Option<usize>,
    ) {
        cands.clear();
        let (items, ctx) = (sc.items, sc.ctx);
        let cost_of_delay = matches!(self.order, Order::Cd3 | Order::Wsjf);
        for (index, id) in waiting.enumerate() {
            let it = items.get(id);
            if self.eligible(it) && only_kind.is_none_or(|k| it.kind().index() == k) {
                let remaining = remaining(it, ctx);
                cands.push(Candidate::new(index, id, it, remaining, sc, cost_of_delay));
            }
        }
    }

    /// Scores every candidate in `cands` (higher first) by this policy's ordering rule and
    /// returns the scorer used.
    fn score_all<'a>(
        &self,
        cands: &mut [Candidate],
        work: &mut Work,
        mut sc: Scorer<'a>,
    ) -> Scorer<'a> {
        let (items, ctx) = (sc.items, sc.ctx);
        let get = |c: &Candidate| items.get(c.id);
        match self.order {
            Order::Fifo => cands.iter_mut().for_each(|c| c.score = 0.0),
            Order::Priority => cands.iter_mut().for_each(|c| {
                c.score = f64::from(ctx.stream.work_types[get(c).work_type()].priority)
            }),
            Order::ShortestFirst => cands.iter_mut().for_each(|c| c.score = -c.remaining),
            Order::HighestValue => cands
                .iter_mut()
                .for_each(|c| c.score = sc.expected_rate(get(c))),
            Order::Cd3 | Order::Wsjf => {
                if !cands.is_empty() {
                    let total: f64 = cands.iter().map(|c| c.remaining).sum();
                    sc.over = total / cands.len() as f64;
                }
                sc.cv = ctx.completion_cv;
                sc.score_unscored(cands, &mut work.rates, &[]);
                if self.order == Order::Wsjf {
                    // Relative scores need the largest of each component among the candidates.
                    let mut max = [f64::MIN_POSITIVE; 4];
                    let components = &mut work.components;
                    components.clear();
                    for c in cands.iter() {
                        let x = sc.wsjf_components(get(c), c);
                        for i in 0..4 {
                            max[i] = max[i].max(x[i]);
                        }
                        components.push(x);
                    }
                    for (c, x) in cands.iter_mut().zip(components.iter()) {
                        let bv = fibonacci_score(x[0] / max[0]);
                        let tc = fibonacci_score(x[1] / max[1]);
                        let rr = fibonacci_score(x[2] / max[2]);
                        let size = fibonacci_score(x[3] / max[3]);
                        c.score = (bv + tc + rr) / size;
                    }
                }
            }
        }
        sc
    }
}

impl RulePolicy {
    /// Scores every item of `waiting` (of kind `only_kind`, if given) and takes the best, the
    /// earliest among equals.
    fn choose_by_scan(
        &self,
        waiting: &VecDeque<ItemId>,
        items: &ItemTable,
        ctx: &Context<'_>,
        only_kind: Option<usize>,
    ) -> Option<usize> {
        SCRATCH.with_borrow_mut(|Scratch { cands, work, .. }| {
            let sc = Scorer::new(items, ctx, self.measure);
            self.gather(cands, waiting.iter().copied(), &sc, only_kind);
            self.score_all(cands, work, sc);
            let mut best: Option<&Candidate> = None;
            for c in cands.iter() {
                // Strictly greater keeps the earliest item among equals (FIFO tie-break).
                if best.is_none_or(|b| c.score > b.score) {
                    best = Some(c);
                }
            }
            best.map(|c| c.index)
        })
    }

    /// [`RulePolicy::choose_by_scan`] on the backlog, from its ranking (`rank.rs`): only the
    /// moving items are scored. `None` when it cannot decide exactly as the scan would (a
    /// score that is not a number).
    fn choose_ranked(
        &self,
        rank: &BacklogRank,
        waiting: &VecDeque<ItemId>,
        items: &ItemTable,
        ctx: &Context<'_>,
    ) -> Option<Option<usize>> {
        if rank.candidates() == 0 {
            return Some(None);
        }
        if self.order != Order::Cd3 && !rank.moving().is_empty() {
            // Moving items are scored by CD3; by size, only a size that is not a finite
            // number moves, and the scan knows what to do with it.
            return None;
        }
        let best = match self.best_moving_lazily(rank, items, ctx) {
            Some(best) => best,
            None => self.best_moving(rank, items, ctx)?,
        };
        Some(best.map(|(seq, id)| {
            if rank.candidates() == waiting.len() {
                // Every item waiting is a candidate: its place in the ranking's backlog order
                // is its index.
                let at = rank.index_of(seq);
                debug_assert_eq!(
                    waiting[at], id,
                    "invariant: the ranking mirrors the backlog"
                );
                at
            } else {
                waiting
                    .iter()
                    .position(|&x| x == id)
                    .expect("invariant: the ranked backlog holds what waits in the backlog")
            }
        }))
    }

    /// The moving items of a ranked backlog (but the capped ones if `but_capped`) as
    /// candidates in `cands`, as `gather` makes them (`index` holds the item's place in the
    /// backlog), and the scorer for them with the mean remaining work and the spread set.
    fn moving_candidates<'a>(
        &self,
        rank: &BacklogRank,
        items: &'a ItemTable,
        ctx: &'a Context<'a>,
        cands: &mut Vec<Candidate>,
        but_capped: bool,
    ) -> Scorer<'a> {
        let mut sc = Scorer::new(items, ctx, self.measure);
        cands.clear();
        let mut unscored = false;
        for m in rank.moving().iter().filter(|m| !(but_capped && m.capped())) {
            let c = Candidate::new(
                m.seq as usize,
                m.id,
                items.get(m.id),
                m.remaining,
                &sc,
                true,
            );
            unscored |= !c.scored;
            cands.push(c);
        }
        if unscored {
            // The mean remaining work of every candidate, summed in backlog order.
            sc.over = rank.total_remaining() / rank.candidates() as f64;
        }
        sc.cv = ctx.completion_cv;
        sc
    }

    /// The best candidate of a ranked backlog, (its place in backlog order, the item), every
    /// moving item scored. `None` when it cannot decide exactly as the scan would (a score that
    /// is not a number).
    fn best_moving(
        &self,
        rank: &BacklogRank,
        items: &ItemTable,
        ctx: &Context<'_>,
    ) -> Option<Option<(u64, ItemId)>> {
        SCRATCH.with_borrow_mut(|Scratch { cands, work, .. }| {
            let mut sc = self.moving_candidates(rank, items, ctx, cands, false);
            sc.score_unscored(cands, &mut work.rates, rank.settled());
            if cands.iter().any(|c| c.score.is_nan()) {
                return None;
            }
            let mut best = rank.best_settled();
            for c in cands.iter() {
                beat(&mut best, c);
            }
            Some(best.map(|(_, seq, id)| (seq as u64, id)))
        })
    }

    /// [`RulePolicy::best_moving`], scoring a slice that awaits a signal only while its cap
    /// (the most its score can be) could beat the best score found so far, from the highest
    /// cap down. Most such slices then go unscored: their bets' signals are due soon, which
    /// ranks them low. A debt item is priced at the median of every score, those slices'
    /// included, so it is first priced at the median with their caps, an upper bound; `None`
    /// when it could still be the best then (or a score is not a number), for
    /// [`RulePolicy::best_moving`] to decide.
    fn best_moving_lazily(
        &self,
        rank: &BacklogRank,
        items: &ItemTable,
        ctx: &Context<'_>,
    ) -> Option<Option<(u64, ItemId)>> {
        SCRATCH.with_borrow_mut(|Scratch { cands, work, .. }| {
            let mut sc = self.moving_candidates(rank, items, ctx, cands, true);
            let debt_priced = sc.score_but_priced_debt(cands);
            let mut best = rank.best_settled();
            for c in cands.iter().filter(|c| !(debt_priced && c.debt)) {
                if c.score.is_nan() {
                    return None;
                }
                beat(&mut best, c);
            }
            for e in rank.capped().iter().rev() {
                // Below the best, no cap further down can beat it; an equal one may, earlier
                // in the backlog.
                if best.is_some_and(|(score, _, _)| e.cap < score) {
                    break;
                }
                let c = Candidate::new(
                    e.seq as usize,
                    e.id,
                    items.get(e.id),
                    e.remaining,
                    &sc,
                    true,
                );
                debug_assert!(
                    c.scored && c.score <= e.cap,
                    "invariant: a capped slice scores at most its cap ({} > {})",
                    c.score,
                    e.cap
                );
                if c.score.is_nan() {
                    return None;
                }
                beat(&mut best, &c);
            }
            if debt_priced {
                sc.score_priced_debt(cands, &mut work.rates, rank.settled(), rank.capped());
                let (score, _, _) = best?;
                // Strictly below the best even at the highest median possible.
                if !cands.iter().filter(|c| c.debt).all(|c| c.score < score) {
                    return None;
                }
            }
            Some(best.map(|(_, seq, id)| (seq as u64, id)))
        })
    }

    /// [`Policy::stop_bet`] for a measuring policy, scoring every item that waits.
    fn stop_by_scan(
        &self,
        bet_index: usize,
        waiting: &[&VecDeque<ItemId>],
        items: &ItemTable,
        ctx: &Context<'_>,
    ) -> bool {
        let all = || waiting.iter().flat_map(|list| list.iter().copied());
        let is_own = |id: ItemId| items.get(id).bet_index() == Some(bet_index);
        let people = f64::from(ctx.stream.people().max(1));
        let plain = Scorer::new(items, ctx, false);
        // One pass over what waits first: does the bet wait there at all, and, when the epic
        // carries no cost of its own, the shortcut (no candidate list needed).
        let (mut own, mut total, mut rate) = (false, 0.0, 0.0);
        for id in all() {
            let it = items.get(id);
            if !self.eligible(it) {
                continue;
            }
            total += remaining(it, ctx);
            if is_own(id) {
                own = true;
                rate += plain.expected_rate(it);
            }
        }
        let bet = items.bet(bet_index);
        if !own || clearly_worth_it(bet, ctx, people, total, rate) {
            return false;
        }
        SCRATCH.with_borrow_mut(
            |Scratch {
                 cands,
                 work,
                 outlook,
                 ..
             }| {
                self.gather(cands, all(), &plain, None);
                let sc = self.score_all(cands, work, Scorer::new(items, ctx, false));
                outlook.clear();
                for c in cands.iter().filter(|c| is_own(c.id)) {
                    let rate = sc.expected_rate(items.get(c.id));
                    outlook.own(c.score, c.remaining, rate);
                }
                for c in cands.iter().filter(|c| !is_own(c.id)) {
                    outlook.other(c.score, c.remaining);
                }
                stop_rule(bet, ctx, people, outlook)
            },
        )
    }

    /// [`RulePolicy::stop_by_scan`] with the backlog's ranking (`rank.rs`): only the moving
    /// backlog items and the stages' queues are scored. `None` when it cannot decide exactly as
    /// the scan would (a score that is not a number).
    fn stop_ranked(
        &self,
        rank: &BacklogRank,
        bet_index: usize,
        waiting: &[&VecDeque<ItemId>],
        items: &ItemTable,
        ctx: &Context<'_>,
    ) -> Option<bool> {
        // The backlog itself is read from its ranking, which mirrors it.
        let (_, queues) = waiting.split_first()?;
        let queued = || queues.iter().flat_map(|list| list.iter().copied());
        let people = f64::from(ctx.stream.people().max(1));
        let plain = Scorer::new(items, ctx, false);
        // The first pass of the scan, with the backlog's estimates read from its ranking: the
        // backlog's remaining work summed in its order (from 0.0, as the scan starts), and the
        // bet's own candidates in that order.
        let (mut own, mut total, mut rate) = (false, 0.0, 0.0);
        if rank.candidates() > 0 {
            total = rank.total_remaining();
        }
        SCRATCH.with_borrow_mut(|Scratch { own: mine, .. }| {
            rank.of_bet_in_order(bet_index, mine);
            for &(_, id) in mine.iter() {
                own = true;
                rate += plain.expected_rate(items.get(id));
            }
        });
        for id in queued() {
            let it = items.get(id);
            if !self.eligible(it) {
                continue;
            }
            total += remaining(it, ctx);
            if it.bet_index() == Some(bet_index) {
                own = true;
                rate += plain.expected_rate(it);
            }
        }
        let bet = items.bet(bet_index);
        if !own || clearly_worth_it(bet, ctx, people, total, rate) {
            return Some(false);
        }
        SCRATCH.with_borrow_mut(
            |Scratch {
                 cands,
                 work,
                 own,
                 outlook,
             }| {
                let mut sc = Scorer::new(items, ctx, false);
                // Scored as `gather` scores them: the moving backlog items (in backlog order), then
                // the queues. A settled score is the same whether the scorer is pessimistic or not:
                // no signal is pending for its bet.
                cands.clear();
                let extra =
                    rank.moving()
                        .iter()
                        .map(|m| (m.id, m.remaining))
                        .chain(queued().filter_map(|id| {
                            let it = items.get(id);
                            self.eligible(it).then(|| (id, remaining(it, ctx)))
                        }));
                let mut unscored = false;
                for (id, remaining) in extra {
                    let c = Candidate::new(0, id, items.get(id), remaining, &sc, true);
                    unscored |= !c.scored;
                    cands.push(c);
                }
                let queue = &cands[rank.moving().len()..];
                if unscored {
                    // Every candidate's remaining work summed in the scan's order: the
                    // backlog's, then the queues'.
                    let total = queue
                        .iter()
                        .fold(rank.total_remaining(), |t, c| t + c.remaining);
                    sc.over = total / (rank.candidates() + queue.len()) as f64;
                }
                sc.cv = ctx.completion_cv;
                sc.score_unscored(cands, &mut work.rates, rank.settled());
                if cands.iter().any(|c| c.score.is_nan()) {
                    return None;
                }
                // The bet's own candidates in the scan's order (the backlog's, then the queues')
                // give its best score, its work and its rate; then every other candidate in that
                // order whose score beats the best adds its work to what is ahead. A settled
                // score is read from the ranking, a moving one from `cands`.
                let (moving, queue) = cands.split_at(rank.moving().len());
                let moving_score = |id: ItemId| {
                    moving
                        .iter()
                        .find(|c| c.id == id)
                        .expect("invariant: a candidate without a settled score is moving")
                        .score
                };
                outlook.clear();
                rank.of_bet_in_order(bet_index, own);
                for &(seq, id) in own.iter() {
                    let w = &rank.in_order()[rank.index_of(seq)];
                    let score = if w.score.is_nan() {
                        moving_score(id)
                    } else {
                        w.score
                    };
                    let rate = sc.expected_rate(items.get(id));
                    outlook.own(score, w.remaining, rate);
                }
                let is_own = |c: &Candidate| items.get(c.id).bet_index() == Some(bet_index);
                for c in queue.iter().filter(|c| is_own(c)) {
                    let rate = sc.expected_rate(items.get(c.id));
                    outlook.own(c.score, c.remaining, rate);
                }
                let mut next_moving = moving.iter();
                for w in rank.in_order() {
                    let score = if w.score.is_nan() {
                        let c = next_moving
                            .next()
                            .expect("invariant: the moving items are in backlog order");
                        debug_assert_eq!(c.id, w.id, "invariant: moving items in backlog order");
                        c.score
                    } else {
                        w.score
                    };
                    if !w.bet_is(bet_index) {
                        outlook.other(score, w.remaining);
                    }
                }
                for c in queue.iter().filter(|c| !is_own(c)) {
                    outlook.other(c.score, c.remaining);
                }
                Some(stop_rule(bet, ctx, people, outlook))
            },
        )
    }
}

/// One waiting item being ranked: where it is in the waiting list, its estimated remaining
/// work and its score.
#[derive(Clone, Copy, Debug)]
struct Candidate {
    index: usize,
    id: ItemId,
    debt: bool,
    /// Its score is already set (see [`RulePolicy::gather`]).
    scored: bool,
    remaining: f64,
    /// Its cost of delay per day, once scored under CD3 or WSJF (WSJF reuses it).
    cod: f64,
    score: f64,
}

impl Candidate {
    /// Item `id` (`it`), at `index` of its list, with `remaining` days of work. Under CD3 or
    /// WSJF (`cost_of_delay`) a standard item's cost of delay is its value rate whatever else
    /// waits, so its score is set here (`scored`) and the rest is left to the scorer.
    #[inline(always)]
    fn new(
        index: usize,
        id: ItemId,
        it: &WorkItem,
        remaining: f64,
        sc: &Scorer<'_>,
        cost_of_delay: bool,
    ) -> Candidate {
        let debt = it.kind() == Kind::Debt;
        // Exactly what `Scorer::cost_of_delay` answers for a standard item.
        let scored = cost_of_delay && !debt && it.standard_class();
        let cod = if scored {
            sc.rate_of(it, sc.items.bet_of(it))
        } else {
            0.0
        };
        Candidate {
            index,
            id,
            debt,
            scored,
            remaining,
            cod,
            score: if scored { cod / remaining } else { 0.0 },
        }
    }
}

/// Makes `c` the `best` (score, place in backlog order, item) if it scores strictly higher,
/// or the same and is earlier in the backlog (the scan's tie-break).
#[inline]
fn beat(best: &mut Option<(f64, usize, ItemId)>, c: &Candidate) {
    if best.is_none_or(|(score, seq, _)| c.score > score || (c.score == score && c.index < seq)) {
        *best = Some((c.score, c.index, c.id));
    }
}

/// Reused buffers for ranking (policies are shared by threads, so each thread has its own).
#[derive(Default)]
struct Scratch {
    cands: Vec<Candidate>,
    work: Work,
    /// A bet's candidates in the backlog, as (place in backlog order, item).
    own: Vec<(u64, ItemId)>,
    /// What the stop rule knows of the bet it judges.
    outlook: Outlook,
}

/// Buffers for scoring: the scores the price of debt takes its median of, and each
/// candidate's WSJF components.
#[derive(Default)]
struct Work {
    rates: Vec<f64>,
    components: Vec<[f64; 4]>,
}

thread_local! {
    static SCRATCH: RefCell<Scratch> = RefCell::new(Scratch::default());
}

/// When the next signal of `bet` (of epic `def`) that slice `own` could wait for is expected,
/// on day `now`: the next pending one, or else that of another slice in flight, a feedback delay
/// after it is expected delivered (and no sooner than a feedback delay from now, since it is not
/// delivered yet). A slice never waits for its own signal (it is in flight itself when sent
/// back for rework).
#[inline]
pub(super) fn awaited_signal(
    bet: &Bet,
    def: &crate::model::Epic,
    now: f64,
    own: Option<u16>,
) -> Option<f64> {
    bet.next_signal().or_else(|| {
        bet.in_flight_besides(own)
            .map(|at| at.max(now) + def.feedback_delay)
    })
}

/// Estimated remaining work of an item waiting at `ctx.stage`, in days (at least a little).
pub(super) fn remaining(item: &WorkItem, ctx: &Context<'_>) -> f64 {
    remaining_at(item, ctx, ctx.stage)
}

/// Estimated remaining work of an item waiting for `stage`, in days (at least a little).
fn remaining_at(item: &WorkItem, ctx: &Context<'_>, stage: usize) -> f64 {
    (item.est_size() * ctx.remaining_share(item.work_type(), stage)).max(1e-6)
}

/// Estimates for one decision: expected value under the team's beliefs, cost of delay with the
/// queue ahead, and the price of debt.
pub(super) struct Scorer<'a> {
    ctx: &'a Context<'a>,
    items: &'a ItemTable,
    /// Discount a slice awaiting feedback by the value of waiting for its signal (see
    /// [`belief::awaiting_rate`]).
    pessimistic: bool,
    /// The mean remaining work of the competing items: the delay one more item causes.
    over: f64,
    /// The CD3 rate of the work freed capacity would serve (for the price of debt).
    reference: f64,
    /// Coefficient of variation of an item's completion time (for deadlines).
    cv: f64,
    /// The work waiting ahead ranked by plain CD3 score, built the first time a cost of
    /// delay asks ([`Scorer::ahead_of`]).
    ranked_ahead: std::cell::OnceCell<RankedAhead>,
}

/// The items waiting ahead at a decision ([`WorkAhead::for_each_waiting`]), by plain CD3
/// score from the highest: `days[i]` is the work of the first `i` of them.
///
/// [`WorkAhead::for_each_waiting`]: crate::model::flow::WorkAhead::for_each_waiting
struct RankedAhead {
    in_service: f64,
    scores: Vec<f64>,
    days: Vec<f64>,
}

impl<'a> Scorer<'a> {
    /// A scorer for one decision; `pessimistic` ranks a slice awaiting feedback at the value
    /// of waiting for its signal.
    pub(super) fn new(items: &'a ItemTable, ctx: &'a Context<'a>, pessimistic: bool) -> Self {
        Scorer {
            ctx,
            items,
            pessimistic,
            over: 1.0,
            reference: 0.0,
            cv: 0.0,
            ranked_ahead: std::cell::OnceCell::new(),
        }
    }

    /// Expected value per day once delivered under the team's belief, without the value of
    /// waiting for a signal: what a slice's plain CD3 score divides.
    /// `bet`: the bet `it` is a slice of, if any.
    fn plain_rate(&self, it: &WorkItem, bet: Option<&Bet>) -> f64 {
        match bet {
            None => it.est_value(),
            Some(bet) => {
                let def = &self.ctx.stream.epics[bet.def()];
                belief::expected_rate(it.est_value(), bet.belief(), def.failed_value)
            }
        }
    }

    /// Days of work ahead of `it` (with `remaining` days of work left) if taken now. The work
    /// in service downstream is ahead of it whatever it is worth; of the work waiting (in the
    /// queue it joins, or downstream), only what this ordering would take first, which
    /// decides at every stage: the items whose plain CD3 score (expected value per day over
    /// estimated remaining work) is at least its own. Counting every waiting item, an
    /// overloaded team's piles put every delivery past the point where value that erodes,
    /// ends or falls due is lost: every cost of delay was 0, and the tie-break (oldest first)
    /// chose the items whose value was gone (docs/scenario.md, "Cost of delay").
    fn ahead_of(&self, it: &WorkItem, remaining: f64) -> f64 {
        let ahead = &self.ctx.ahead;
        if ahead.is_known() {
            return ahead.days();
        }
        let ranked = self.ranked_ahead.get_or_init(|| self.rank_ahead());
        let own = self.plain_rate(it, self.items.bet_of(it)) / remaining;
        // Not a number ranks below every item: all the work waiting is ahead of it.
        let own = if own.is_nan() { f64::NEG_INFINITY } else { own };
        let first = ranked.scores.partition_point(|&s| s >= own);
        ranked.in_service + ranked.days[first]
    }

    /// [`RankedAhead`] of this decision.
    fn rank_ahead(&self) -> RankedAhead {
        let ctx = self.ctx;
        let mut waiting = Vec::new();
        ctx.ahead.for_each_waiting(|id, stage, days| {
            let w = self.items.get(id);
            let score = self.plain_rate(w, self.items.bet_of(w)) / remaining_at(w, ctx, stage);
            // Not a number: ahead of every item, as all waiting work once was.
            let score = if score.is_nan() { f64::INFINITY } else { score };
            waiting.push((score, days));
        });
        ctx.weigh(waiting.len());
        // Highest first; equal scores keep the order they wait in.
        waiting.sort_by(|a, b| b.0.total_cmp(&a.0));
        let mut days = Vec::with_capacity(waiting.len() + 1);
        let mut total = 0.0;
        days.push(total);
        for &(_, d) in &waiting {
            total += d;
            days.push(total);
        }
        RankedAhead {
            in_service: ctx.ahead.in_service(),
            scores: waiting.into_iter().map(|(s, _)| s).collect(),
            days,
        }
    }

    /// Expected value per day once delivered, under the team's belief.
    fn expected_rate(&self, it: &WorkItem) -> f64 {
        self.rate_of(it, self.items.bet_of(it))
    }

    /// [`Scorer::expected_rate`] of `it`, a slice of `bet` if any.
    #[inline]
    pub(super) fn rate_of(&self, it: &WorkItem, bet: Option<&Bet>) -> f64 {
        let Some(bet) = bet else {
            return self.plain_rate(it, None);
        };
        let def = &self.ctx.stream.epics[bet.def()];
        let now = self.ctx.now.days();
        match awaited_signal(bet, def, now, it.slice()) {
            Some(at) if self.pessimistic && def.waits_for_signals() => {
                // Capacity freed after the signal brings work forward only while the team
                // would otherwise be busy, and up to the horizon; where the work runs out
                // first, a slice still worth building after bad news is only built later.
                let to_horizon = self.ctx.stream.horizon - at;
                let busy_days = self.ctx.busy.days();
                let busy = busy_days - (at - now);
                let (reordered, freed) = if busy < to_horizon {
                    // The work runs out first: dropping this slice ends the busy period
                    // sooner by its share of the work, and everything not started yet is
                    // delivered that much sooner.
                    let own = if it.started() {
                        0.0
                    } else {
                        belief::expected_rate(it.est_value(), bet.belief(), def.failed_value)
                    };
                    let behind = (self.ctx.busy.unstarted_rate() - own).max(0.0);
                    let sooner = busy_days * it.est_size() / self.ctx.busy.live_size();
                    (remaining(it, self.ctx), behind * sooner)
                } else {
                    (f64::INFINITY, f64::INFINITY)
                };
                belief::awaiting_rate(
                    it.est_value(),
                    bet.belief(),
                    def,
                    at - now,
                    to_horizon.min(busy),
                    reordered,
                    freed,
                )
            }
            _ => self.plain_rate(it, Some(bet)),
        }
    }

    /// Estimated cost of delay per day (see `economics.rs`) of `it`, with `remaining` days of
    /// work left.
    fn cost_of_delay(&self, it: &WorkItem, remaining: f64) -> f64 {
        let ctx = self.ctx;
        let bet = self.items.bet_of(it);
        let rate = self.rate_of(it, bet);
        if it.standard_class() && it.kind() != Kind::Debt {
            // A standard item: every day of delay costs its value rate (the common case,
            // answered without the curve).
            return rate;
        }
        let urgency = it.urgency(ctx.stream);
        let exposed = bet.is_some_and(|b| {
            let u = &ctx.stream.epics[b.def()].urgency;
            u.penalty != 0.0 || u.cost_per_day != 0.0
        });
        let now = ctx.now.days();
        let horizon = ctx.stream.horizon;
        let ahead = self.ahead_of(it, remaining);
        let delivery = now + ahead + remaining;
        let when = (now, delivery, self.cv * (ahead + remaining));
        let arrival = it.arrival().days();
        let mut cod = economics::cost_of_delay(&urgency, rate, arrival, when, self.over, horizon);
        if let Some(bet) = bet.filter(|_| exposed) {
            // The epic's penalty and daily cost, shared by the slices still to come.
            let exposure = bet.exposure(ctx.stream);
            cod += economics::cost_of_delay(&exposure, 0.0, arrival, when, self.over, horizon)
                / f64::from(bet.remaining().max(1));
        }
        if it.kind() == Kind::Debt {
            if let Some(debt) = &ctx.stream.debt {
                cod += economics::debt_cost_of_delay(
                    debt,
                    ctx.debt_points,
                    busy_workers(ctx),
                    self.reference,
                    delivery,
                    horizon,
                );
            }
        }
        cod
    }

    /// CD3's score (cost of delay per day of remaining work) of every candidate whose score
    /// `gather` left unset. A debt item is priced by the capacity it frees, at the median score
    /// of the other candidates (the rate freed capacity would earn): those in `cands` and, from
    /// a backlog ranking, the `settled` ones. The mean remaining work (`over`) and the spread
    /// (`cv`) must be set.
    fn score_unscored(
        &mut self,
        cands: &mut [Candidate],
        rates: &mut Vec<f64>,
        settled: &[Settled],
    ) {
        if self.score_but_priced_debt(cands) {
            self.score_priced_debt(cands, rates, settled, &[]);
        }
    }

    /// [`Scorer::score_unscored`] but for debt items priced by the capacity they free (which
    /// need the median of every other score): true if one waits, left for
    /// [`Scorer::score_priced_debt`].
    fn score_but_priced_debt(&mut self, cands: &mut [Candidate]) -> bool {
        let items = self.items;
        let price_debt = self.ctx.stream.debt.is_some();
        let mut debt_waits = false;
        for c in cands.iter_mut().filter(|c| !c.scored) {
            debt_waits |= c.debt;
            // A priced debt item is scored once the median is known.
            if !(c.debt && price_debt) {
                c.cod = self.cost_of_delay(items.get(c.id), c.remaining);
                c.score = c.cod / c.remaining;
            }
        }
        price_debt && debt_waits
    }

    /// Scores the debt items of `cands` at the median of the other scores: those in `cands`
    /// and, from a backlog ranking, the `settled` scores and the `capped` slices' caps. A
    /// debt item's score only grows with the median, so with caps in place of their slices'
    /// scores it is an upper bound.
    fn score_priced_debt(
        &mut self,
        cands: &mut [Candidate],
        rates: &mut Vec<f64>,
        settled: &[Settled],
        capped: &[Capped],
    ) {
        rates.clear();
        rates.extend(
            cands
                .iter()
                .filter(|c| !c.debt && c.score.is_finite())
                .map(|c| c.score),
        );
        let n = settled.len() + capped.len() + rates.len();
        if n > 0 {
            let median = rank::kth_smallest(settled, capped, rates, n / 2);
            self.reference = median.max(0.0);
        }
        let items = self.items;
        for c in cands.iter_mut().filter(|c| c.debt) {
            c.cod = self.cost_of_delay(items.get(c.id), c.remaining);
            c.score = c.cod / c.remaining;
        }
    }

    /// WSJF's raw components of candidate `c` (item `it`), scored by
    /// [`Scorer::score_unscored`]: business value (expected value per day), time criticality
    /// (cost of delay beyond the value rate), risk reduction / opportunity enablement (the cost
    /// of delay of risk and debt items), and job size (estimated remaining work).
    fn wsjf_components(&self, it: &WorkItem, c: &Candidate) -> [f64; 4] {
        // The cost of delay its CD3 score was computed from; a standard item's is its
        // expected rate, computed by the same call (`Candidate::new`).
        let cod = c.cod;
        debug_assert_eq!(
            cod.to_bits(),
            self.cost_of_delay(it, c.remaining).to_bits(),
            "invariant: a candidate's kept cost of delay is what its item's costs now"
        );
        let bv = if c.scored {
            cod
        } else {
            self.expected_rate(it)
        }
        .max(0.0);
        let tc = (cod - bv).max(0.0);
        let rr = match it.kind() {
            Kind::Risk | Kind::Debt => cod.max(0.0),
            Kind::Feature | Kind::Defect => 0.0,
        };
        [bv, tc, rr, c.remaining]
    }
}

/// Busy worker-days per day so far: the work started over the days elapsed, at most every
/// worker (paying debt down is priced by the busy time it frees; an idle worker's
/// time freed earns nothing). Every worker until the first day has passed, when the work just
/// started says nothing yet of the rate.
fn busy_workers(ctx: &Context<'_>) -> f64 {
    let people = f64::from(ctx.stream.people());
    let now = ctx.now.days();
    let started: f64 = ctx.effort_by_kind.iter().sum();
    if now >= 1.0 && started.is_finite() {
        (started / now).min(people)
    } else {
        people
    }
}

/// The stop rule's shortcut: with no epic-level cost and a positive expected value (`rate`,
/// over the bet's slices that wait), neither of its tests can stop the bet while all the work
/// waiting (`total` days, its own included) is done by the `people` before the horizon.
fn clearly_worth_it(bet: &Bet, ctx: &Context<'_>, people: f64, total: f64, rate: f64) -> bool {
    let epic = &ctx.stream.epics[bet.def()].urgency;
    epic.penalty == 0.0
        && epic.cost_per_day == 0.0
        && rate > 0.0
        && total / people < ctx.stream.horizon - ctx.now.days()
}

/// One waiting slice of the bet the stop rule judges: its score, estimated remaining work and
/// expected rate, and the work of other bets that ranks above it (`ahead`, days).
#[derive(Clone, Copy, Debug)]
struct OwnSlice {
    score: f64,
    remaining: f64,
    rate: f64,
    ahead: f64,
}

impl OwnSlice {
    fn new(score: f64, remaining: f64, rate: f64) -> Self {
        OwnSlice {
            score,
            remaining,
            rate,
            ahead: 0.0,
        }
    }
}

/// What the stop rule knows of a bet: its waiting slices, and the work of other bets that ranks
/// above its best slice.
#[derive(Default)]
struct Outlook {
    slices: Vec<OwnSlice>,
    best: f64,
    ahead_of_best: f64,
    /// Other bets' candidates seen.
    others: usize,
}

impl Outlook {
    fn clear(&mut self) {
        self.slices.clear();
        self.best = f64::NEG_INFINITY;
        self.ahead_of_best = 0.0;
        self.others = 0;
    }

    /// One of the bet's own slices; every one comes before any other bet's candidate.
    fn own(&mut self, score: f64, remaining: f64, rate: f64) {
        self.best = f64::max(self.best, score);
        self.slices.push(OwnSlice::new(score, remaining, rate));
    }

    /// Another bet's candidate, with `score` and `remaining` work: it is ahead of each slice it
    /// outranks. Fed in the scan's order, so both stop paths sum alike.
    fn other(&mut self, score: f64, remaining: f64) {
        self.others += 1;
        if score > self.best {
            self.ahead_of_best += remaining;
        }
        for s in self.slices.iter_mut().filter(|s| score > s.score) {
            s.ahead += remaining;
        }
    }
}

/// The stop rule's two tests ([`Policy::stop_bet`]) for a bet whose waiting `slices` are known
/// with what ranks above each. A slice is expected done once the work ranked above it (other
/// bets' and its own bet's higher-ranked slices, an equal score counting first in the scan's
/// order) and its own are shared by every worker (an estimate that ignores which stage is the
/// bottleneck); from then to the horizon it earns its rate. The epic's costs run until its last
/// slice is done.
fn stop_rule(bet: &Bet, ctx: &Context<'_>, people: f64, outlook: &Outlook) -> bool {
    let slices = &outlook.slices;
    // Every other candidate was compared with each own slice, and each slice is compared with
    // the others below: a comparison costs about a sixteenth of scoring an item.
    let n = slices.len();
    ctx.weigh(
        outlook
            .others
            .saturating_mul(n)
            .saturating_add(n.saturating_mul(n))
            / 16,
    );
    let now = ctx.now.days();
    let horizon = ctx.stream.horizon;
    // 1. Worth its remaining costs? Each slice earns from its own delivery.
    let (mut value, mut done_all) = (0.0, now);
    for (i, s) in slices.iter().enumerate() {
        let own_ahead: f64 = slices
            .iter()
            .enumerate()
            .filter(|&(j, o)| o.score > s.score || (o.score == s.score && j < i))
            .map(|(_, o)| o.remaining)
            .sum();
        let done = now + (s.ahead + own_ahead + s.remaining) / people;
        value += s.rate * (horizon - done).max(0.0);
        done_all = done_all.max(done);
    }
    let exposure = bet.exposure(ctx.stream);
    let arrival = bet.arrival().days();
    let further_cost = exposure.realised(0.0, arrival, Some(done_all), horizon.max(done_all))
        - exposure.realised(0.0, arrival, None, now);
    // Stopping does not escape a deadline still ahead: its penalty falls due all the same
    // (the books charge it), so only finishing in time avoids it.
    let due = arrival + exposure.deadline;
    let owed_anyway = if now < due && due <= horizon {
        exposure.penalty
    } else {
        0.0
    };
    if value + further_cost + owed_anyway <= 0.0 {
        return true;
    }
    // 2. Never reached: the work ranked above its best slice keeps every worker busy until the
    //    horizon.
    outlook.ahead_of_best / people >= horizon - now
}

/// SAFe's modified Fibonacci scale.
const FIBONACCI: [f64; 7] = [1.0, 2.0, 3.0, 5.0, 8.0, 13.0, 20.0];

/// Rounds a relative magnitude in [0, 1] to SAFe's modified Fibonacci scale 1..20: the nearest
/// value, the lower one at a midpoint.
fn fibonacci_score(x: f64) -> f64 {
    let target = (x.clamp(0.0, 1.0) * 20.0).max(1.0);
    // Between neighbours a < b (b <= 2a on this scale) the distances t - a and b - t are
    // exact, so "nearer to a, or as near" is exactly 2t <= a + b.
    for pair in FIBONACCI.windows(2) {
        if 2.0 * target <= pair[0] + pair[1] {
            return pair[0];
        }
    }
    20.0
}

impl Policy for RulePolicy {
    fn name(&self) -> &str {
        &self.name
    }

    fn discipline(&self) -> Discipline {
        self.discipline
    }

    fn measures(&self) -> bool {
        self.measure
    }

    fn rules_apart_from_the_loop(&self) -> Option<String> {
        let twin = RulePolicy {
            name: String::new(),
            measure: false,
            thin_slices: false,
            ..self.clone()
        };
        Some(format!("{twin:?}"))
    }

    fn thin_slices(&self) -> bool {
        self.thin_slices
    }

    fn handicaps(&self) -> Vec<String> {
        let mut out = Vec::new();
        let order = match self.order {
            Order::Fifo => Some("it orders work first come first served (`order = \"fifo\"`)"),
            Order::Priority => {
                Some("it orders work by class of service alone (`order = \"priority\"`)")
            }
            Order::ShortestFirst => {
                Some("it orders work by size alone (`order = \"shortest-first\"`)")
            }
            Order::HighestValue => {
                Some("it orders work by value alone, ignoring size (`order = \"highest-value\"`)")
            }
            Order::Cd3 | Order::Wsjf => None,
        };
        out.extend(order.map(str::to_string));
        if self.kinds != [true; 4] {
            let kinds: Vec<&str> = Kind::ALL
                .iter()
                .filter(|k| self.kinds[k.index()])
                .map(|k| k.name())
                .collect();
            let kinds = match kinds.split_last() {
                Some((last, rest)) if !rest.is_empty() => format!("{} and {last}", rest.join(", ")),
                _ => kinds.join(""),
            };
            out.push(format!("it works only on {kinds} items (`kinds`)"));
        }
        if let Discipline::StartEverything { juggle } = self.discipline {
            let juggles = if juggle > 1 {
                format!(", and each worker juggles up to {juggle} items at once")
            } else {
                String::new()
            };
            out.push(format!(
                "it starts everything, ignoring WIP limits{juggles} (`wip = \"start-everything\"`)"
            ));
        }
        if let Some(shares) = self.allocation {
            let parts: Vec<String> = Kind::ALL
                .iter()
                .filter(|k| shares[k.index()] > 0.0)
                .map(|k| format!("{} {:.0}%", k.name(), shares[k.index()] * 100.0))
                .collect();
            out.push(format!(
                "it splits capacity by fixed shares ({}) whatever the work is worth (`allocation`)",
                parts.join(", ")
            ));
        }
        out
    }

    fn ranks_by_cost_of_delay(&self) -> bool {
        matches!(self.order, Order::Cd3 | Order::Wsjf)
    }

    fn rounds_to_a_scale(&self) -> bool {
        self.order == Order::Wsjf
    }

    fn calibrates_estimates(&self) -> bool {
        self.calibrated
    }

    fn outcome_focused(&self) -> bool {
        self.measure || matches!(self.order, Order::Cd3 | Order::Wsjf)
    }

    fn backlog_rank(&self) -> Option<BacklogRank> {
        // Only CD3 and shortest-first over the whole backlog: WSJF scores relative to the
        // largest competitor, and an allocation ranks one kind at a time.
        if self.allocation.is_some() {
            return None;
        }
        match self.order {
            Order::Cd3 => Some(BacklogRank::new(self.measure, self.kinds)),
            Order::ShortestFirst => Some(BacklogRank::by_size(self.kinds)),
            _ => None,
        }
    }

    fn works_on(&self, item: &WorkItem) -> bool {
        self.eligible(item)
    }

    fn first_come_first_served(&self) -> bool {
        self.order == Order::Fifo && self.allocation.is_none() && self.kinds == [true; 4]
    }

    fn choose(
        &self,
        waiting: &VecDeque<ItemId>,
        items: &ItemTable,
        ctx: &Context<'_>,
    ) -> Option<usize> {
        if self.first_come_first_served() {
            return Some(0);
        }
        if waiting.len() == 1 {
            // One item waits (most decisions outside the backlog): it is the best of one if
            // this policy works on its kind, whatever the order or allocation.
            return self.eligible(items.get(waiting[0])).then_some(0);
        }
        if self.order == Order::Fifo && self.allocation.is_none() {
            // The first item of a kind it works on.
            return waiting.iter().position(|&id| self.eligible(items.get(id)));
        }
        let only_kind = match &self.allocation {
            Some(shares) => {
                let mut present = [false; 4];
                for &id in waiting {
                    let it = items.get(id);
                    if self.eligible(it) {
                        present[it.kind().index()] = true;
                    }
                }
                if present == [false; 4] {
                    return None;
                }
                Some(self.kind_to_serve(shares, present, ctx))
            }
            None => None,
        };
        if let Some(rank) = ctx.backlog.filter(|_| only_kind.is_none()) {
            if let Some(choice) = self.choose_ranked(rank, waiting, items, ctx) {
                debug_assert_eq!(
                    choice,
                    self.choose_by_scan(waiting, items, ctx, only_kind),
                    "invariant: the ranked backlog decides as the full scan does"
                );
                return choice;
            }
        }
        self.choose_by_scan(waiting, items, ctx, only_kind)
    }

    /// The stop rule (Reinertsen 2009, ch. 2: quantified overall economics, marginal economics,
    /// sunk costs). After a signal, a bet is stopped when either
    /// 1. its remaining slices are worth no more than the costs they still run up: expected
    ///    value per day (under the posterior) times the days left after they could be done,
    ///    minus the epic's daily cost and penalty from now on, is not positive; or
    /// 2. it would never be reached: the work waiting that ranks above its best slice under the
    ///    posterior would keep every worker busy until the horizon.
    ///
    /// Otherwise it simply competes on its posterior estimates, and a later signal can still
    /// raise it again. What it already cost is sunk and plays no part.
    fn stop_bet(
        &self,
        bet: usize,
        waiting: &[&VecDeque<ItemId>],
        items: &ItemTable,
        ctx: &Context<'_>,
    ) -> bool {
        if !self.measure {
            return false;
        }
        // The ranked stop rule scores the stages' queues by CD3: a measuring shortest-first
        // policy scans.
        if let Some(rank) = ctx.backlog.filter(|_| self.order == Order::Cd3) {
            if let Some(stop) = self.stop_ranked(rank, bet, waiting, items, ctx) {
                debug_assert_eq!(
                    stop,
                    self.stop_by_scan(bet, waiting, items, ctx),
                    "invariant: the ranked backlog stops a bet as the full scan does"
                );
                return stop;
            }
        }
        self.stop_by_scan(bet, waiting, items, ctx)
    }
}

#[cfg(test)]
mod tests {
    use super::{busy_workers, fibonacci_score};
    use crate::engine::Time;
    use crate::model::{Dist, Stage, ValueStream, WorkType};
    use crate::policy::{Context, Step};

    #[test]
    fn paying_debt_down_is_priced_by_the_busy_workers_so_far() {
        let stage = |name: &str, workers| Stage {
            name: name.into(),
            workers,
            wip_limit: None,
            service: Dist::exponential(1.0).expect("a positive mean"),
            rework: None,
            release_every: None,
        };
        let vs = ValueStream::new(
            vec![stage("build", 3), stage("test", 1)],
            vec![WorkType::new("job", 2)],
            100.0,
            0.0,
        );
        let ctx = |now: f64, started: f64| Context {
            now: Time::from_days(now),
            stage: 0,
            step: Step::Start,
            stream: &vs,
            effort_by_kind: [started, 0.0, 0.0, 0.0],
            remaining_shares: &[],
            ahead: crate::model::flow::WorkAhead::known(0.0),
            busy: crate::model::flow::BusyPeriod::ENDLESS,
            debt_points: 0.0,
            completion_cv: 0.0,
            backlog: None,
            weighed: None,
        };
        // Before a day has passed, the work just started says nothing of the rate: every worker.
        assert_eq!(busy_workers(&ctx(0.5, 1.0)), 4.0);
        // 20 days of work started over 10 days: two workers busy on average.
        assert_eq!(busy_workers(&ctx(10.0, 20.0)), 2.0);
        // Never more than every worker (work started runs ahead of work done).
        assert_eq!(busy_workers(&ctx(10.0, 400.0)), 4.0);
        assert_eq!(busy_workers(&ctx(10.0, f64::INFINITY)), 4.0);
    }

    #[test]
    fn fibonacci_rounding_is_the_nearest_value_lower_at_midpoints() {
        // The definition: the first nearest value on the scale.
        let nearest = |x: f64| {
            let target = (x.clamp(0.0, 1.0) * 20.0).max(1.0);
            super::FIBONACCI
                .into_iter()
                .min_by(|a, b| (a - target).abs().total_cmp(&(b - target).abs()))
                .unwrap_or(1.0)
        };
        let midpoints = [1.5, 2.5, 4.0, 6.5, 10.5, 16.5].map(|t: f64| t / 20.0);
        let around = midpoints.iter().flat_map(|&m| {
            [
                m,
                f64::from_bits(m.to_bits() - 1),
                f64::from_bits(m.to_bits() + 1),
            ]
        });
        let grid = (0..=20_000).map(|i| f64::from(i) / 20_000.0);
        let odd = [
            -1.0,
            2.0,
            f64::NAN,
            f64::INFINITY,
            f64::NEG_INFINITY,
            1e-300,
        ];
        for x in around.chain(grid).chain(odd) {
            assert_eq!(fibonacci_score(x).to_bits(), nearest(x).to_bits(), "{x}");
        }
    }

    #[test]
    fn fibonacci_scale() {
        assert_eq!(fibonacci_score(0.0), 1.0);
        assert_eq!(fibonacci_score(1.0), 20.0);
        assert_eq!(fibonacci_score(0.5), 8.0);
        assert_eq!(fibonacci_score(0.3), 5.0);
    }
}
