//! The named policies, output-focused and outcome-focused, with their reasoning.
//!
//! Output-focused (they maximise activity or count):
//! - `fifo`: first come, first served; the unprioritised backlog.
//! - `priority`: Kanban classes of service by work-type priority (Anderson 2010), FIFO within.
//! - `shortest-first`: smallest estimated remaining work first; shortest processing time
//!   maximises the number of items finished (Smith 1956).
//! - `feature-factory`: the "build trap" as teams live it: FIFO, every item started as soon as
//!   it arrives (WIP limits ignored), every slice of every bet built the same size, never
//!   measured, never stopped, and no time for technical debt (features, defects and compliance
//!   only). Each worker still works one item at a time, so it is no strawman on output.
//! - `highest-value`: largest estimated value per day first, ignoring size and urgency.
//!
//! Outcome-focused:
//! - `cd3`: cost of delay divided by duration (Reinertsen, *Principles of Product Development
//!   Flow*, 2009; Arnold & Yüce, Agile 2013). On one server with known sizes and linear cost
//!   of delay this is Smith's weighted-shortest-processing-time rule, which is optimal. Its
//!   cost of delay sees the queue ahead (deadlines) and prices debt by the capacity it frees
//!   (`economics.rs`), so it pays debt down without a hand-set allocation.
//! - `wsjf`: SAFe's weighted shortest job first with relative Fibonacci scores.
//! - `outcome`: CD3 on posterior beliefs, closing the loop: every delivered slice measured, the
//!   belief updated by Bayes' rule, work awaiting feedback deprioritised (never forbidden),
//!   and bets stopped when they no longer pay (`rules.rs`, `belief.rs`). It slices bets
//!   evenly: a thin first experiment paid less than its uneven split cost in every world we
//!   tried (docs/scenario.md, "Thin slicing"), so it is a custom policy's choice.

use super::{Discipline, Order, Policy, RulePolicy};

/// The names of the built-in policies, as users write them.
pub const NAMES: &[&str] = &[
    "fifo",
    "priority",
    "shortest-first",
    "feature-factory",
    "highest-value",
    "cd3",
    "wsjf",
    "outcome",
];

/// The built-in policy called `name`, if there is one.
pub fn by_name(name: &str) -> Option<Box<dyn Policy>> {
    let p = match name {
        "fifo" => RulePolicy::ordered(name, Order::Fifo),
        "priority" => RulePolicy::ordered(name, Order::Priority),
        "shortest-first" => RulePolicy::ordered(name, Order::ShortestFirst),
        "highest-value" => RulePolicy::ordered(name, Order::HighestValue),
        "cd3" => RulePolicy::ordered(name, Order::Cd3),
        "wsjf" => RulePolicy::ordered(name, Order::Wsjf),
        "feature-factory" => RulePolicy {
            discipline: Discipline::StartEverything { juggle: 1 },
            kinds: [true, true, false, true],
            ..RulePolicy::ordered(name, Order::Fifo)
        },
        "outcome" => RulePolicy {
            measure: true,
            ..RulePolicy::ordered(name, Order::Cd3)
        },
        _ => return None,
    };
    Some(Box::new(p))
}
