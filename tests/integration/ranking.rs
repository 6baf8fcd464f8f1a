//! The backlog ranking (`policy/rank.rs`) is a faster road to the same decisions: a CD3 or
//! shortest-first policy that keeps its backlog ranked between decisions must produce bit for
//! bit the replication it produces when it scores the whole backlog at every decision.

use super::all_scenarios;
use super::properties::{stream_strategy, with_value_model};
use proptest::prelude::*;
use std::collections::VecDeque;
use valueflow::model::{
    flow, Dist, DistSpec, ItemId, ItemTable, Kind, Stage, Urgency, ValueStream, WorkItem, WorkType,
};
use valueflow::policy::{self, Context, Discipline, Order, Policy, RulePolicy};
use valueflow::scenario;

/// A policy that keeps no backlog ranking: every decision scans what waits.
#[derive(Debug)]
struct Scan<'a>(&'a dyn Policy);

impl Policy for Scan<'_> {
    fn name(&self) -> &str {
        self.0.name()
    }
    fn choose(
        &self,
        waiting: &VecDeque<ItemId>,
        items: &ItemTable,
        ctx: &Context<'_>,
    ) -> Option<usize> {
        self.0.choose(waiting, items, ctx)
    }
    fn works_on(&self, item: &WorkItem) -> bool {
        self.0.works_on(item)
    }
    fn discipline(&self) -> Discipline {
        self.0.discipline()
    }
    fn first_come_first_served(&self) -> bool {
        self.0.first_come_first_served()
    }
    fn measures(&self) -> bool {
        self.0.measures()
    }
    fn outcome_focused(&self) -> bool {
        self.0.outcome_focused()
    }
    fn thin_slices(&self) -> bool {
        self.0.thin_slices()
    }
    fn stop_bet(
        &self,
        bet: usize,
        waiting: &[&VecDeque<ItemId>],
        items: &ItemTable,
        ctx: &Context<'_>,
    ) -> bool {
        self.0.stop_bet(bet, waiting, items, ctx)
    }
}

/// Replication `index` of `vs` under `policy`, with and without the backlog ranking, as text
/// (`Debug` prints every number so that it reads back to the same bits).
fn both_ways(vs: &ValueStream, policy: &dyn Policy, seed: u64, index: u64) -> (String, String) {
    let ranked = flow::simulate(vs, policy, seed, index);
    let scanned = flow::simulate(vs, &Scan(policy), seed, index);
    (format!("{ranked:?}"), format!("{scanned:?}"))
}

/// A measuring CD3 policy that leaves one kind alone (its ranking tracks only what it works on).
fn picky() -> RulePolicy {
    RulePolicy {
        measure: true,
        thin_slices: true,
        kinds: [true, true, false, true],
        ..RulePolicy::ordered("picky", Order::Cd3)
    }
}

/// A measuring shortest-first policy that leaves another kind alone: its ranking decides
/// admissions, and its stop rule scans.
fn picky_by_size() -> RulePolicy {
    RulePolicy {
        measure: true,
        thin_slices: true,
        kinds: [true, false, true, true],
        ..RulePolicy::ordered("picky-by-size", Order::ShortestFirst)
    }
}

#[test]
fn cd3_and_shortest_first_policies_keep_a_backlog_ranking_and_scanning_ones_do_not() {
    for name in ["cd3", "outcome", "shortest-first"] {
        assert!(policy::by_name(name).unwrap().backlog_rank().is_some());
    }
    for name in ["fifo", "priority", "wsjf", "feature-factory"] {
        assert!(policy::by_name(name).unwrap().backlog_rank().is_none());
    }
    let allocated = RulePolicy {
        allocation: Some([0.7, 0.1, 0.1, 0.1]),
        ..RulePolicy::ordered("allocated", Order::Cd3)
    };
    assert!(allocated.backlog_rank().is_none());
}

#[test]
fn the_ranked_backlog_decides_as_the_full_scan_on_every_scenario() {
    let mut compared = 0;
    for file in all_scenarios() {
        let sc = scenario::load(&file).unwrap();
        let mut policies: Vec<Box<dyn Policy>> = ["cd3", "outcome", "shortest-first"]
            .iter()
            .map(|n| policy::by_name(n).unwrap())
            .collect();
        policies.extend(
            sc.custom_policies
                .iter()
                .map(|p| Box::new(p.clone()) as Box<dyn Policy>),
        );
        policies.push(Box::new(picky()));
        policies.push(Box::new(picky_by_size()));
        for p in &policies {
            if p.backlog_rank().is_none() {
                continue;
            }
            for index in 0..3 {
                let (ranked, scanned) = both_ways(&sc.stream, p.as_ref(), sc.seed, index);
                assert!(
                    ranked == scanned,
                    "{}: policy {}, replication {index}: the ranked backlog decided otherwise",
                    file.display(),
                    p.name()
                );
                compared += 1;
            }
        }
    }
    assert!(compared >= 70, "only {compared} replications compared");
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(120))]

    /// Random value streams with epics (some with a deadline and a penalty, so their slices are
    /// never settled), defects, debt items and measuring, some worth nothing at all (every
    /// decision a tie), under every CD3 and shortest-first policy shape.
    #[test]
    fn the_ranked_backlog_decides_as_the_full_scan_on_random_streams(
        vs in stream_strategy(),
        epics in 0u32..12,
        success in 0.0f64..1.0,
        delay in 0.0f64..30.0,
        deadline in proptest::option::of(10.0f64..150.0),
        worthless in any::<bool>(),
        seed in 0u64..1000,
        which in 0usize..5,
    ) {
        let mut vs = with_value_model(vs, epics, success, delay);
        if let Some(deadline) = deadline {
            vs.epics[0].urgency = Urgency { deadline, penalty: 200.0, ..Urgency::default() };
        }
        if worthless {
            // Every score is zero: the earliest in the backlog must win every tie.
            let zero = Dist::new(DistSpec::Fixed { value: 0.0 }).unwrap();
            vs.work_types[0].value = Some(zero.clone());
            vs.epics[0].value = zero;
        }
        // Debt to pay down, priced at the median score of the rest.
        let stages = vs.stages.len();
        vs.work_types.push(WorkType {
            kind: Kind::Debt,
            backlog: 3,
            arrival_rate: Some(0.03),
            urgency: Urgency { ramp: 60.0, ..Urgency::default() },
            ..WorkType::new("debt", stages)
        });
        let p: Box<dyn Policy> = match which {
            0 => policy::by_name("cd3").unwrap(),
            1 => policy::by_name("outcome").unwrap(),
            2 => Box::new(picky()),
            3 => policy::by_name("shortest-first").unwrap(),
            _ => Box::new(picky_by_size()),
        };
        let (ranked, scanned) = both_ways(&vs, p.as_ref(), seed, 0);
        prop_assert!(ranked == scanned, "policy {} decided otherwise", p.name());
    }
}

#[test]
fn a_backlog_grown_past_the_ranked_size_is_scanned_with_the_same_decisions() {
    // 10 bets of 1,000 slices at day 0 and one more every other day: the backlog passes
    // 20,000 slices mid-run, where the ranking is dropped for the scan.
    let mut sc = scenario::load(&super::root().join("scenarios/outcomes.toml")).unwrap();
    for e in &mut sc.stream.epics {
        e.slices = 1000;
        e.backlog = 5;
        e.arrival_rate = e.arrival_rate.map(|_| 0.5);
    }
    sc.stream.horizon = 100.0;
    sc.stream.checkpoints = vec![50.0, 100.0];
    for name in ["cd3", "outcome", "shortest-first"] {
        let p = policy::by_name(name).unwrap();
        let (ranked, scanned) = both_ways(&sc.stream, p.as_ref(), 7, 0);
        assert_eq!(ranked, scanned, "{name}");
        // Still waiting at the end, beyond the few in progress: the backlog did pass 20,000.
        let r = flow::simulate(&sc.stream, p.as_ref(), 7, 0);
        assert!(r.in_system > 20_100, "{name}: {} items", r.in_system);
    }
}

/// A policy that counts the decisions it is asked for.
#[derive(Debug)]
struct Counting<'a>(&'a dyn Policy, std::sync::atomic::AtomicU64);

impl Policy for Counting<'_> {
    fn name(&self) -> &str {
        self.0.name()
    }
    fn choose(
        &self,
        waiting: &VecDeque<ItemId>,
        items: &ItemTable,
        ctx: &Context<'_>,
    ) -> Option<usize> {
        self.1.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        self.0.choose(waiting, items, ctx)
    }
    fn works_on(&self, item: &WorkItem) -> bool {
        self.0.works_on(item)
    }
}

#[test]
fn a_stage_that_is_never_full_takes_its_backlog_whole_and_the_policy_chooses_at_the_start() {
    // 3,000 features and 40 debt items wait at day 0 in front of a stage without a WIP limit.
    // Asking the policy for each item admitted scored the whole backlog each time (n²/2
    // scores: 100,000 items took 82 s a replication); now it is asked only when work starts.
    let stage = Stage {
        name: "build".into(),
        workers: 2,
        wip_limit: None,
        service: Dist::exponential(1.0).unwrap(),
        rework: None,
        release_every: None,
    };
    let mut features = WorkType::new("feature", 1);
    features.backlog = 3000;
    features.value = Some(Dist::exponential(10.0).unwrap());
    let mut debt = WorkType::new("debt", 1);
    debt.kind = Kind::Debt;
    debt.backlog = 40;
    let vs = ValueStream::new(vec![stage], vec![features, debt], 30.0, 0.0);
    for p in [policy::by_name("cd3").unwrap(), Box::new(picky())] {
        let counting = Counting(p.as_ref(), Default::default());
        let r = flow::simulate(&vs, &counting, 3, 0);
        let asked = counting.1.into_inner();
        let delivered: u64 = r.outcomes.delivered_by_kind.iter().sum();
        assert!(delivered > 30, "{}: {delivered} delivered", p.name());
        // One decision per start, give or take the last: nothing near 3,000.
        assert!(
            asked <= delivered + 2,
            "{}: asked {asked} times for {delivered} items delivered",
            p.name()
        );
        // Everything it works on entered at day 0; what it leaves alone, never.
        let (_, trace) = flow::simulate_traced(&vs, p.as_ref(), 3, 0);
        for item in &trace.items {
            let taken = p.name() != "picky" || item.kind != Kind::Debt;
            let entered = item.entered[0];
            assert!(
                if taken {
                    entered == 0.0
                } else {
                    entered.is_nan()
                },
                "{}: a {:?} item entered at {entered}",
                p.name(),
                item.kind
            );
        }
    }
}
