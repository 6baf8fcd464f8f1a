//! Classes of service: the highest work-type priority first, FIFO within a priority.

use super::{Context, Policy};
use crate::model::{ItemId, ItemTable};
use std::collections::VecDeque;

/// Non-preemptive priority by work type (Kanban classes of service, Anderson 2010): a free
/// worker takes the waiting item with the highest `priority`, the earliest among equals; work
/// in service is never interrupted. Its mean waits follow Cobham's formula (Cobham 1954).
#[derive(Clone, Copy, Debug, Default)]
pub struct Priority;

impl Policy for Priority {
    fn name(&self) -> &str {
        "priority"
    }

    fn choose(&self, waiting: &VecDeque<ItemId>, items: &ItemTable, ctx: &Context<'_>) -> usize {
        let mut best = 0;
        let mut best_priority = i32::MIN;
        for (i, &id) in waiting.iter().enumerate() {
            let p = ctx.stream.work_types[items.get(id).work_type()].priority;
            // Strictly greater keeps the earliest item among equal priorities.
            if p > best_priority {
                best = i;
                best_priority = p;
            }
        }
        best
    }
}
