//! Prioritisation policies behind one trait.
//!
//! Whenever a stage has a free worker and several items wait, or has room under its WIP limit
//! and several items could be pulled in, the simulation asks the [`Policy`] which to take.
//! A policy sees the waiting items through [`WorkItem`]'s public accessors (attributes and
//! estimates, never hidden true values), the current time and the value stream.
//!
//! Policies: [`Fifo`] (first come, first served) and [`Priority`] (Kanban classes of service:
//! highest work-type priority first, FIFO within a priority, non-preemptive).

mod fifo;
mod priority;

pub use fifo::Fifo;
pub use priority::Priority;

use crate::engine::Time;
use crate::model::{ItemId, ItemTable, ValueStream};
use std::collections::VecDeque;
use std::fmt::Debug;

/// What the simulation is deciding when it asks a policy.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Step {
    /// Which waiting item a free worker of `stage` starts next.
    Start,
    /// Which item `stage` pulls in next now that it has room under its WIP limit.
    Admit,
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
}

/// A prioritisation rule. Implementations must be pure functions of what they are given, so
/// that runs are reproducible.
pub trait Policy: Send + Sync + Debug {
    /// The name users write in scenarios and on the command line.
    fn name(&self) -> &str;

    /// Picks one of `waiting` (never empty, in the order the items became available) and
    /// returns its index.
    fn choose(&self, waiting: &VecDeque<ItemId>, items: &ItemTable, ctx: &Context<'_>) -> usize;
}

/// The names of the built-in policies, as users write them.
pub const NAMES: &[&str] = &["fifo", "priority"];

/// The built-in policy called `name`, if there is one.
pub fn by_name(name: &str) -> Option<Box<dyn Policy>> {
    match name {
        "fifo" => Some(Box::new(Fifo)),
        "priority" => Some(Box::new(Priority)),
        _ => None,
    }
}
