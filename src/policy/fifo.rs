//! First in, first out: the order items became available to the stage.

use super::{Context, Policy};
use crate::model::{ItemId, ItemTable};
use std::collections::VecDeque;

/// First come, first served at every stage: the queueing-theory default and the usual
/// unprioritised team backlog.
#[derive(Clone, Copy, Debug, Default)]
pub struct Fifo;

impl Policy for Fifo {
    fn name(&self) -> &str {
        "fifo"
    }

    #[inline]
    fn choose(&self, _: &VecDeque<ItemId>, _: &ItemTable, _: &Context<'_>) -> usize {
        0
    }
}
