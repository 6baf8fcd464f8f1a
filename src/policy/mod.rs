//! Prioritisation policies behind one trait.
//!
//! Whenever a stage has a free worker and items wait, or has room under its WIP limit and items
//! could be pulled in, the simulation asks the [`Policy`] which to take. A policy sees waiting
//! items only through [`WorkItem`](crate::model::WorkItem)'s public accessors: attributes and
//! *estimates* of size and value, never the true draws.
//!
//! Every policy is a [`RulePolicy`] assembled from building blocks (see `rules.rs`): an
//! ordering rule, a WIP discipline, an optional capacity allocation per flow item kind, the
//! kinds it works on, whether it measures outcomes (updating its beliefs and stopping bets that
//! no longer pay), and whether it slices epics thinly. `builtin.rs` defines the named policies
//! with their reasoning and sources; scenarios may define their own from the same blocks.
//!
//! The decision rules are pure functions beside the policy: `belief.rs` (Bayes' rule, expected
//! value under a belief) and `economics.rs` (cost of delay with the queue ahead, the price of
//! technical debt). The flow simulation only asks and obeys, and, for a policy that asks it to,
//! keeps the backlog ranked between decisions (`rank.rs`) so that admissions from a long
//! backlog cost little; the decisions are exactly those of a full scan.

pub mod belief;
mod builtin;
pub mod economics;
mod rank;
mod rules;

pub use builtin::{by_name, NAMES};
pub use rank::BacklogRank;
pub use rules::{Order, RulePolicy};

use crate::engine::Time;
use crate::model::{ItemId, ItemTable, ValueStream, WorkItem};
use std::collections::VecDeque;
use std::fmt::Debug;

/// What the simulation is deciding when it asks a policy.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Step {
    /// Which waiting item a free worker of `stage` starts next.
    Start,
    /// Which item `stage` pulls in next now that it has room.
    Admit,
}

/// How a policy treats WIP limits.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Discipline {
    /// Honour every stage's WIP limit; each worker works on one item at a time.
    Limits,
    /// Ignore WIP limits at intake and let each worker juggle up to `juggle` items at once,
    /// paying the scenario's context-switching cost.
    StartEverything {
        /// Items one worker may have in progress at once.
        juggle: u32,
    },
}

/// What a policy may see besides the waiting items.
#[derive(Clone, Copy, Debug)]
pub struct Context<'a> {
    /// The current simulated time.
    pub now: Time,
    /// The stage that is choosing.
    pub stage: usize,
    /// Whether it starts work or admits an item.
    pub step: Step,
    /// The value stream being simulated.
    pub stream: &'a ValueStream,
    /// Work started so far in this replication, in days, by flow item kind.
    pub effort_by_kind: [f64; 4],
    /// Share of each work type's expected work remaining at each stage, indexed
    /// `work_type * stages + stage` (precomputed: policies ask often).
    pub remaining_shares: &'a [f64],
    /// The work ahead of an item taken now (queued in this stage when admitting; queued, in
    /// service, or done upstream and waiting to move on, downstream), per worker, read when
    /// asked: in total ([`WorkAhead::days`]), or in service and item by item, so that cost of
    /// delay counts only the waiting items its ordering would take first.
    ///
    /// [`WorkAhead::days`]: crate::model::flow::WorkAhead::days
    pub ahead: crate::model::flow::WorkAhead<'a>,
    /// Technical debt points now.
    pub debt_points: f64,
    /// Coefficient of variation of one item's touch time through the value stream
    /// ([`economics::completion_cv`], precomputed: policies ask often).
    pub completion_cv: f64,
    /// How many more days the team is expected to stay busy with the work it has and the
    /// work that keeps arriving: past then, capacity a stopped slice frees would have
    /// nothing to bring forward. Endless when arrivals alone keep a stage busy, or when the
    /// policy does not measure (nothing asks).
    pub busy: crate::model::flow::BusyPeriod<'a>,
    /// The backlog ranked between decisions, when the waiting list is the backlog and the
    /// policy keeps one ([`Policy::backlog_rank`]).
    pub backlog: Option<&'a BacklogRank>,
    /// Where a policy counts the items it weighs beyond one per waiting item it is handed
    /// (the engine counts those): a replication's budget counts every item weighed
    /// (`model::Limits::WEIGHED_PER_EVENT`), so a decision that grows with the square of a
    /// list cannot run for hours. `None`: nothing counts them.
    pub weighed: Option<&'a std::cell::Cell<u64>>,
}

impl Context<'_> {
    /// Counts `n` more items weighed (see [`Context::weighed`]).
    #[inline]
    pub fn weigh(&self, n: usize) {
        if let Some(w) = self.weighed {
            w.set(w.get().saturating_add(n as u64));
        }
    }

    /// Share of an item's expected work that remains when it waits for `stage`.
    #[inline]
    pub fn remaining_share(&self, work_type: usize, stage: usize) -> f64 {
        self.remaining_shares[work_type * self.stream.stages.len() + stage]
    }
}

/// A prioritisation rule. Implementations must be pure functions of what they are given, so
/// that runs are reproducible.
pub trait Policy: Send + Sync + Debug {
    /// The name users write in scenarios and on the command line.
    fn name(&self) -> &str;

    /// Picks one of `waiting` (never empty, in the order the items became available) and
    /// returns its index, or `None` to take none of them now.
    fn choose(
        &self,
        waiting: &VecDeque<ItemId>,
        items: &ItemTable,
        ctx: &Context<'_>,
    ) -> Option<usize>;

    /// True if the policy ever takes `item`: a policy that works on some kinds of work only
    /// leaves the others waiting. `choose` returns `None` exactly when it works on none of the
    /// items waiting.
    fn works_on(&self, _item: &WorkItem) -> bool {
        true
    }

    /// A ranking of the backlog for the simulation to keep up to date in one replication, if
    /// the policy uses one to decide faster (see `rank.rs`). Its decisions must be exactly
    /// those it makes without.
    fn backlog_rank(&self) -> Option<BacklogRank> {
        None
    }

    /// How the policy treats WIP limits.
    fn discipline(&self) -> Discipline {
        Discipline::Limits
    }

    /// True if the policy always takes the first waiting item (plain first come, first
    /// served), so the simulation may skip asking it.
    fn first_come_first_served(&self) -> bool {
        false
    }

    /// True if the policy measures outcomes: every delivered slice of an epic is measured, its
    /// signal updates the team's belief in the hypothesis after the feedback delay, and the
    /// policy may then stop the bet ([`Policy::stop_bet`]).
    fn measures(&self) -> bool {
        false
    }

    /// True if the policy prioritises by outcomes (cost of delay, measuring) rather than by
    /// output (arrival order, size, start everything); reports use it to say whether the
    /// product's lesson held.
    fn outcome_focused(&self) -> bool {
        false
    }

    /// What the policy decides apart from closing the loop (measuring, thin slicing), as a
    /// key: two policies with the same key order, limit and allocate work alike, so the one
    /// that measures differs from the other by closing the loop alone. `None`: no such twin.
    fn rules_apart_from_the_loop(&self) -> Option<String> {
        None
    }

    /// True if the policy builds a small first experiment of each epic (the epic's
    /// `experiment_size`) before the rest; otherwise every slice is the same size.
    fn thin_slices(&self) -> bool {
        false
    }

    /// The rules by which the policy departs from ranking every kind of work by cost of delay
    /// with WIP limits kept, in words ("it orders work first come first served"), for the line
    /// that says why an outcome-focused policy lost: a custom policy that measures but orders
    /// work first come first served is outcome-focused by its measuring alone.
    fn handicaps(&self) -> Vec<String> {
        Vec::new()
    }

    /// True if the policy ranks waiting work by its cost of delay (CD3 or WSJF).
    fn ranks_by_cost_of_delay(&self) -> bool {
        false
    }

    /// True if the policy ranks by parts each rounded to a scale relative to the largest
    /// waiting (WSJF's modified Fibonacci scale): items whose parts differ by less than a step
    /// tie, and ties go first come first served.
    fn rounds_to_a_scale(&self) -> bool {
        false
    }

    /// True if the team reads each noisy estimate, of value and of size, as the mean given it
    /// (Bayes' rule with the value's, or the work type's size, distribution as the prior,
    /// [`crate::model::Dist::posterior_mean`]) rather than at face value. A median-unbiased
    /// estimate with a log-scale error of sigma is on average e^(sigma^2 / 2) times the truth,
    /// and its spread is the truth's spread plus the noise: read at face value, the largest
    /// estimates are the most inflated and the smallest the most deflated. Both sides are
    /// calibrated because CD3 divides one by the other (Smith's rule in expectation,
    /// E[value] / E[work]): shrinking the values alone leaves the sizes' noise to decide.
    fn calibrates_estimates(&self) -> bool {
        false
    }

    /// Asked after a measuring policy's belief in bet `bet` (its index in the replication,
    /// see [`ItemTable::bet`]) changed: true to stop the bet, dropping its slices not yet
    /// started (in the backlog or queued in a stage). `waiting` lists everything waiting to be
    /// started: the backlog (which `ctx.backlog` ranks, if set), then each stage's queue.
    fn stop_bet(
        &self,
        bet: usize,
        waiting: &[&VecDeque<ItemId>],
        items: &ItemTable,
        ctx: &Context<'_>,
    ) -> bool {
        let _ = (bet, waiting, items, ctx);
        false
    }
}
