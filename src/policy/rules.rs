//! The building blocks of every policy: ordering rules, WIP discipline, capacity allocation and
//! measure-and-stop, assembled into [`RulePolicy`].

use super::{Context, Discipline, Policy};
use crate::model::{ItemId, ItemTable, Kind, WorkItem};
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
    /// Whether outcomes are measured and failed bets stopped.
    pub measure: bool,
    /// Which kinds the policy works on at all.
    pub kinds: [bool; 4],
}

impl RulePolicy {
    /// A policy with `order`, WIP limits honoured, no allocation, no measuring, every kind.
    pub fn ordered(name: &str, order: Order) -> RulePolicy {
        RulePolicy {
            name: name.to_string(),
            order,
            discipline: Discipline::Limits,
            allocation: None,
            measure: false,
            kinds: [true; 4],
        }
    }

    fn eligible(&self, item: &WorkItem) -> bool {
        self.kinds[item.kind().index()] && !(self.measure && item.gated())
    }

    /// The kind most below its allocated share among those waiting.
    fn kind_to_serve(&self, shares: &[f64; 4], present: [bool; 4], ctx: &Context<'_>) -> usize {
        let total: f64 = ctx.effort_by_kind.iter().sum();
        let mut best = None;
        let mut best_gap = f64::NEG_INFINITY;
        for k in 0..4 {
            if !present[k] {
                continue;
            }
            let actual = if total > 0.0 {
                ctx.effort_by_kind[k] / total
            } else {
                0.0
            };
            let gap = shares[k] - actual;
            if gap > best_gap {
                best_gap = gap;
                best = Some(k);
            }
        }
        best.expect("invariant: at least one kind is present")
    }
}

/// Estimated remaining work of an item waiting at `ctx.stage`, in days (at least a little).
fn remaining(item: &WorkItem, ctx: &Context<'_>) -> f64 {
    (item.est_size() * ctx.remaining_share(item.work_type(), ctx.stage)).max(1e-6)
}

/// Estimated cost of delay per day of an item, from its estimated value and urgency.
fn cost_of_delay(item: &WorkItem, ctx: &Context<'_>) -> f64 {
    let dur = remaining(item, ctx);
    let now = ctx.now.days();
    item.urgency(ctx.stream).cost_of_delay(
        item.est_value(),
        item.arrival().days(),
        now + dur,
        dur,
        ctx.stream.horizon,
    )
}

/// Rounds a relative magnitude in [0, 1] to SAFe's modified Fibonacci scale 1..20.
fn fibonacci_score(x: f64) -> f64 {
    const SCALE: [f64; 7] = [1.0, 2.0, 3.0, 5.0, 8.0, 13.0, 20.0];
    let target = (x.clamp(0.0, 1.0) * 20.0).max(1.0);
    SCALE
        .into_iter()
        .min_by(|a, b| (a - target).abs().total_cmp(&(b - target).abs()))
        .unwrap_or(1.0)
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

    fn first_come_first_served(&self) -> bool {
        self.order == Order::Fifo
            && self.allocation.is_none()
            && !self.measure
            && self.kinds == [true; 4]
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
        let only_kind = self
            .allocation
            .as_ref()
            .map(|shares| self.kind_to_serve(shares, present, ctx));
        let candidates = waiting.iter().enumerate().filter(|(_, &id)| {
            let it = items.get(id);
            self.eligible(it) && only_kind.is_none_or(|k| it.kind().index() == k)
        });
        let score: Box<dyn Fn(&WorkItem) -> f64> = match self.order {
            Order::Fifo => Box::new(|_| 0.0),
            Order::Priority => {
                Box::new(|it| f64::from(ctx.stream.work_types[it.work_type()].priority))
            }
            Order::ShortestFirst => Box::new(|it| -remaining(it, ctx)),
            Order::HighestValue => Box::new(|it| it.est_value()),
            Order::Cd3 => Box::new(|it| cost_of_delay(it, ctx) / remaining(it, ctx)),
            Order::Wsjf => {
                // Relative scores need the largest of each component among the candidates.
                let mut max = [f64::MIN_POSITIVE; 4];
                for (_, &id) in candidates.clone() {
                    let it = items.get(id);
                    let c = wsjf_components(it, ctx);
                    for i in 0..4 {
                        max[i] = max[i].max(c[i]);
                    }
                }
                Box::new(move |it| {
                    let c = wsjf_components(it, ctx);
                    let bv = fibonacci_score(c[0] / max[0]);
                    let tc = fibonacci_score(c[1] / max[1]);
                    let rr = fibonacci_score(c[2] / max[2]);
                    let size = fibonacci_score(c[3] / max[3]);
                    (bv + tc + rr) / size
                })
            }
        };
        let mut best = None;
        let mut best_score = f64::NEG_INFINITY;
        for (i, &id) in candidates {
            let s = score(items.get(id));
            // Strictly greater keeps the earliest item among equals (FIFO tie-break).
            if s > best_score || best.is_none() {
                best = Some(i);
                best_score = s;
            }
        }
        best
    }
}

/// WSJF's raw components: business value (estimated value per day), time criticality (cost of
/// delay beyond the value rate), risk reduction / opportunity enablement (the estimated cost of
/// delay of risk and debt items), and job size (estimated remaining work).
fn wsjf_components(it: &WorkItem, ctx: &Context<'_>) -> [f64; 4] {
    let cod = cost_of_delay(it, ctx);
    let bv = it.est_value().max(0.0);
    let tc = (cod - bv).max(0.0);
    let rr = match it.kind() {
        Kind::Risk | Kind::Debt => cod.max(0.0),
        Kind::Feature | Kind::Defect => 0.0,
    };
    [bv, tc, rr, remaining(it, ctx)]
}

#[cfg(test)]
mod tests {
    use super::fibonacci_score;

    #[test]
    fn fibonacci_scale() {
        assert_eq!(fibonacci_score(0.0), 1.0);
        assert_eq!(fibonacci_score(1.0), 20.0);
        assert_eq!(fibonacci_score(0.5), 8.0);
        assert_eq!(fibonacci_score(0.3), 5.0);
    }
}
