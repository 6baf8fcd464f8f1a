//! Invariants on every example scenario and on randomly generated value streams.

use super::{all_scenarios, run};
use proptest::prelude::*;
use valueflow::model::{
    flow, Debt, Dist, DistSpec, Epic, Kind, Rework, Spawn, Stage, Urgency, ValueStream, WorkType,
};
use valueflow::policy;
use valueflow::scenario;

/// Little's law on every scenario, in two forms:
/// - sample path (exact on any run, stationary or not): the time-average committed WIP after
///   warm-up times the window length equals the item-days every committed item spent in the
///   window, and the same for every item (WIP plus backlog);
/// - steady state, for scenarios with a warm-up whose run is judged steady: L = lambda W within
///   3% on the committed part, with L the committed WIP, lambda the throughput and W the mean
///   cycle time of items committed after warm-up. A warm-up does not make an overloaded
///   scenario stationary (`one-more-person.toml` is overloaded by design), so the steady-state
///   form is checked where the stability verdict says steady, and on at least five scenarios.
#[test]
fn littles_law_and_conservation_hold_on_every_scenario() {
    let mut steady_checked = 0;
    for file in all_scenarios() {
        let mut sc = scenario::load(&file).unwrap();
        sc.replications = sc.replications.min(32);
        let policy = valueflow::policy::by_name(&sc.policy).unwrap();
        let window = sc.stream.horizon - sc.stream.warmup;
        for i in 0..4 {
            let r = flow::simulate(&sc.stream, policy.as_ref(), sc.seed, i);
            assert_eq!(
                r.arrived,
                r.departed + r.dropped + r.in_system,
                "{}",
                file.display()
            );
            let lhs = r.wip * window;
            assert!(
                (lhs - r.committed_days).abs() <= 1e-9 * lhs.max(1.0),
                "{}: sample-path Little's law: wip x window {lhs} vs committed item-days {}",
                file.display(),
                r.committed_days
            );
            let all = (r.wip + r.backlog) * window;
            assert!(
                (all - r.item_days).abs() <= 1e-9 * all.max(1.0),
                "{}: sample-path Little's law: (wip + backlog) x window {all} vs item-days {}",
                file.display(),
                r.item_days
            );
        }
        if sc.stream.warmup == 0.0 {
            continue;
        }
        let r = run(&sc);
        assert_eq!(r.conservation_failures, 0, "{}", file.display());
        if !valueflow::experiment::diagnosis::stability(&r, &sc.stream).steady_state {
            eprintln!(
                "{}: not a steady state, L = lambda W not checked",
                file.display()
            );
            continue;
        }
        steady_checked += 1;
        let l = r.wip.mean.unwrap();
        let lambda_w = r.throughput.mean.unwrap() * r.cycle_time.mean.unwrap();
        let err = (l - lambda_w).abs() / l;
        eprintln!(
            "{}: L {l:.3}, lambda W {lambda_w:.3} ({:.2}% off)",
            file.display(),
            err * 100.0
        );
        assert!(
            err < 0.03,
            "{}: Little's law L {l} vs lambda W {lambda_w}",
            file.display()
        );
    }
    assert!(
        steady_checked >= 5,
        "L = lambda W checked on only {steady_checked} scenarios"
    );
}

fn dist_strategy() -> impl Strategy<Value = Dist> {
    prop_oneof![
        (0.1f64..3.0).prop_map(|m| Dist::new(DistSpec::Exponential { mean: m }).unwrap()),
        (0.0f64..3.0).prop_map(|v| Dist::new(DistSpec::Fixed { value: v }).unwrap()),
        (0.1f64..2.0, 0.1f64..2.0).prop_map(|(a, w)| Dist::new(DistSpec::Uniform {
            min: a,
            max: a + w
        })
        .unwrap()),
    ]
}

prop_compose! {
    fn stage_strategy()(
        workers in 1u32..4,
        wip_limit in proptest::option::of(1u32..6),
        service in dist_strategy(),
        release_every in proptest::option::of(1.0f64..10.0),
        rework in proptest::option::of(0.0f64..0.5),
    ) -> (Stage, Option<f64>) {
        (Stage { name: String::new(), workers, wip_limit, service, rework: None, release_every }, rework)
    }
}

prop_compose! {
    pub(super) fn stream_strategy()(
        stages in proptest::collection::vec(stage_strategy(), 1..5),
        rates in proptest::collection::vec(proptest::option::of(0.05f64..1.5), 1..3),
        backlog in 0u32..20,
        priorities in proptest::collection::vec(-2i32..3, 3),
    ) -> ValueStream {
        let n = stages.len();
        let stages = stages
            .into_iter()
            .enumerate()
            .map(|(i, (mut st, rework))| {
                st.name = format!("s{i}");
                if i > 0 {
                    st.rework = rework.map(|p| Rework { to: i - 1, probability: p });
                }
                st
            })
            .collect();
        let work_types = rates
            .iter()
            .enumerate()
            .map(|(w, rate)| WorkType {
                arrival_rate: *rate,
                backlog: if rate.is_none() { backlog.max(1) } else { backlog },
                priority: priorities[w],
                ..WorkType::new(&format!("w{w}"), n)
            })
            .collect();
        ValueStream::new(stages, work_types, 200.0, 20.0)
    }
}

/// A random value stream with epics, defects, debt and key-result checkpoints.
pub(super) fn with_value_model(
    mut vs: ValueStream,
    epics: u32,
    success: f64,
    delay: f64,
) -> ValueStream {
    let n = vs.stages.len();
    vs.work_types.push(WorkType {
        kind: Kind::Defect,
        urgency: Urgency {
            cost_per_day: 3.0,
            ..Urgency::default()
        },
        ..WorkType::new("defect", n)
    });
    let defect = vs.work_types.len() - 1;
    vs.work_types[0].value = Some(Dist::new(DistSpec::Fixed { value: 5.0 }).unwrap());
    vs.work_types[0].spawns = Some(Spawn {
        work_type: defect,
        probability: 0.3,
        delay: Dist::exponential(5.0).unwrap(),
    });
    vs.epics.push(Epic {
        name: "bets".into(),
        hypothesis: String::new(),
        work_type: 0,
        backlog: epics,
        arrival_rate: Some(0.05),
        success_probability: success,
        slices: 3,
        experiment_size: 0.5,
        value: Dist::exponential(50.0).unwrap(),
        urgency: Urgency::default(),
        failed_value: 0.0,
        feedback_delay: delay,
        false_positive: 0.1,
        false_negative: 0.1,
        value_error: 0.5,
    });
    vs.debt = Some(Debt {
        initial: 0.0,
        per_feature: 1.0,
        per_debt_item: 3.0,
        drag_per_point: 0.01,
        max_drag: 0.5,
    });
    vs.checkpoints = vec![50.0, 100.0, vs.horizon];
    vs
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn every_policy_keeps_the_books_with_a_value_model(
        vs in stream_strategy(),
        epics in 0u32..8,
        success in 0.0f64..1.0,
        delay in 0.0f64..30.0,
        seed in 0u64..1000,
        which in 0usize..policy::NAMES.len(),
    ) {
        let vs = with_value_model(vs, epics, success, delay);
        let p = policy::by_name(policy::NAMES[which]).unwrap();
        let r = flow::simulate(&vs, p.as_ref(), seed, 0);
        // Nothing is created or lost, stopped slices included.
        prop_assert_eq!(r.arrived, r.departed + r.dropped + r.in_system);
        let o = &r.outcomes;
        prop_assert_eq!(o.delivered_by_kind.iter().sum::<u64>(), r.departed);
        // Cumulative counts never fall over time; cost of delay is never negative.
        prop_assert!(o.delivered_at.windows(2).all(|w| w[0] <= w[1]));
        prop_assert!(o.cost_of_delay >= 0.0);
        // Waste is part of the effort; only measuring policies stop bets.
        let effort: f64 = o.effort_by_kind.iter().sum();
        prop_assert!(o.wasted_effort <= effort + 1e-9);
        if !p.measures() {
            prop_assert_eq!(r.dropped, 0);
        }
        // Sample-path Little's law holds for every policy.
        let window = vs.horizon - vs.warmup;
        prop_assert!((r.wip * window - r.committed_days).abs() <= 1e-6 * (r.wip * window).max(1.0));
        let all = (r.wip + r.backlog) * window;
        prop_assert!((all - r.item_days).abs() <= 1e-6 * all.max(1.0));
    }

    #[test]
    fn random_streams_keep_their_invariants(vs in stream_strategy(), seed in 0u64..1000, use_priority in any::<bool>()) {
        let p = policy::by_name(if use_priority { "priority" } else { "fifo" }).unwrap();
        let r = flow::simulate(&vs, p.as_ref(), seed, 0);
        // Conservation: nothing is created or lost.
        prop_assert_eq!(r.arrived, r.departed + r.dropped + r.in_system);
        // Determinism: the same seed gives the same replication.
        let again = flow::simulate(&vs, p.as_ref(), seed, 0);
        prop_assert_eq!(r.events, again.events);
        prop_assert_eq!(r.lead_time.mean().to_bits(), again.lead_time.mean().to_bits());
        // Waits and lead times are never negative; efficiency is a share.
        prop_assert!(r.lead_time_items.quantile(0.0).is_none_or(|v| v >= 0.0));
        for (s, obs) in r.stages.iter().enumerate() {
            for items in &obs.time_items {
                prop_assert!(items.quantile(0.0).is_none_or(|v| v >= 0.0));
            }
            prop_assert!(obs.utilization >= -1e-9 && obs.utilization <= 1.0 + 1e-9);
            prop_assert!(obs.blocked >= -1e-9 && obs.utilization + obs.blocked <= 1.0 + 1e-9);
            // WIP limits hold, except that rework may return into a full stage.
            let reworked_into = vs.stages.iter().any(|st| st.rework.as_ref().is_some_and(|rw| rw.to == s));
            if let (Some(limit), false) = (vs.stages[s].wip_limit, reworked_into) {
                prop_assert!(obs.peak_wip <= limit, "stage {} held {} > limit {}", s, obs.peak_wip, limit);
            }
        }
        if r.flow_efficiency.is_finite() {
            prop_assert!(r.flow_efficiency >= 0.0 && r.flow_efficiency <= 1.0 + 1e-9);
        }
        // Where the time goes: with the commitment point at the first stage, every day of a
        // delivered item's cycle time falls in exactly one part of one stage.
        if vs.commitment == 0 && r.cycle_time.count() > 0 {
            let parts: f64 = r.stages.iter().flat_map(|o| (0..5).map(|p| o.time_mean(p))).sum();
            let cycle = r.cycle_time.mean();
            prop_assert!((parts - cycle).abs() <= 1e-6 * cycle.max(1.0), "parts {} vs cycle time {}", parts, cycle);
        }
    }
}
