//! The named policies, output-focused and outcome-focused, with their reasoning.
//!
//! Output-focused (they maximise activity or count):
//! - `fifo`: first come, first served; the unprioritised backlog.
//! - `priority`: Kanban classes of service by work-type priority (Anderson 2010), FIFO within.
//! - `shortest-first`: smallest estimated remaining work first; shortest processing time
//!   maximises the number of items finished (Smith 1956).
//! - `feature-factory`: features only, FIFO, every item started at once ignoring WIP limits
//!   (each worker juggles two items at once, losing 20% of its time to switching per Weinberg), no measuring, no debt, defect or risk work: the "build trap".
//! - `highest-value`: largest estimated value per day first, ignoring size and urgency.
//!
//! Outcome-focused:
//! - `cd3`: cost of delay divided by duration (Reinertsen, *Principles of Product Development
//!   Flow*, 2009; Arnold & Yüce, Agile 2013). On one server with known sizes and linear cost
//!   of delay this is Smith's weighted-shortest-processing-time rule, which is optimal.
//! - `wsjf`: SAFe's weighted shortest job first with relative Fibonacci scores.
//! - `outcome`: CD3, plus closing the loop (hold an epic's later slices until its first slice
//!   is measured; continue on a positive signal, stop on a negative one), plus a capacity
//!   allocation of 70% features, 10% defects, 15% debt and 5% risk (debt and risk together get
//!   Cagan's "20% off the top" for engineering, SVPG 2007).

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
            discipline: Discipline::StartEverything { juggle: 2 },
            kinds: [true, false, false, false],
            ..RulePolicy::ordered(name, Order::Fifo)
        },
        "outcome" => RulePolicy {
            measure: true,
            allocation: Some([0.7, 0.1, 0.15, 0.05]),
            ..RulePolicy::ordered(name, Order::Cd3)
        },
        _ => return None,
    };
    Some(Box::new(p))
}
