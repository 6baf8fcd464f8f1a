//! Prioritisation policies behind one trait.
//!
//! Whenever a stage has a free worker and items wait, or has room under its WIP limit and items
//! could be pulled in, the simulation asks the [`Policy`] which to take. A policy sees waiting
//! items only through [`WorkItem`](crate::model::WorkItem)'s public accessors: attributes and
//! *estimates* of size and value, never the true draws.
//!
//! Every policy is a [`RulePolicy`] assembled from four building blocks (see `rules.rs`):
//! an ordering rule, a WIP discipline, an optional capacity allocation per flow item kind, and
//! whether it measures outcomes and stops failed bets. `builtin.rs` defines the named policies
//! with their reasoning and sources; scenarios may define their own from the same blocks.

mod builtin;
mod rules;

pub use builtin::{by_name, NAMES};
pub use rules::{Order, RulePolicy};

use crate::engine::Time;
use crate::model::{ItemId, ItemTable, ValueStream};
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
}

impl Context<'_> {
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

    /// How the policy treats WIP limits.
    fn discipline(&self) -> Discipline {
        Discipline::Limits
    }

    /// True if the policy always takes the first waiting item (plain first come, first
    /// served), so the simulation may skip asking it.
    fn first_come_first_served(&self) -> bool {
        false
    }

    /// True if the policy measures outcomes: it holds an epic's later slices until its first
    /// slice's outcome is measured, then continues the epic or stops it.
    fn measures(&self) -> bool {
        false
    }
}
