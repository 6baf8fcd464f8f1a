//! Flow metrics a Kanban coach would trust: the commitment point, cycle time against lead time,
//! the constraint named, and the lesson that limiting WIP shortens cycle time.

use super::{run, scenario};
use valueflow::experiment::{diagnosis, RunSummary};
use valueflow::metrics::{Part, Stat};
use valueflow::model::{flow, Dist, DistSpec, Stage, ValueStream, WorkType};
use valueflow::policy;

fn mean(s: &Stat) -> f64 {
    s.mean.expect("a mean")
}

/// The summary of `vs` under FIFO.
fn fifo(vs: &ValueStream, seed: u64, reps: u64) -> RunSummary {
    let p = policy::by_name("fifo").unwrap();
    valueflow::experiment::run(vs, p.as_ref(), seed, reps, |_| {})
}

/// The Kanban lesson (docs/workshop.md, "Limiting WIP"): with a backlog that never runs dry,
/// halving the WIP limits, while the constraint stays busy, cuts cycle time by about a third;
/// throughput and lead time barely move (Little's law on the committed part: WIP = throughput
/// x cycle time). Halving them again starves the constraint and throughput falls: the limit
/// has a floor.
#[test]
fn limiting_wip_shortens_cycle_time_not_throughput_or_lead_time() {
    let mut sc = scenario("wip-limits.toml");
    sc.replications = 40;
    let limits = |sc: &valueflow::scenario::Scenario| -> Vec<u32> {
        sc.stream
            .stages
            .iter()
            .map(|s| s.wip_limit.unwrap())
            .collect()
    };
    let halve = |sc: &mut valueflow::scenario::Scenario| {
        for s in &mut sc.stream.stages {
            s.wip_limit = s.wip_limit.map(|l| l.div_ceil(2));
        }
    };
    let base = run(&sc);
    let mut halved = sc.clone();
    halve(&mut halved);
    let half = run(&halved);
    let mut quartered = halved.clone();
    halve(&mut quartered);
    let quarter = run(&quartered);
    for (name, l, r) in [
        ("base", limits(&sc), &base),
        ("halved", limits(&halved), &half),
        ("quartered", limits(&quartered), &quarter),
    ] {
        eprintln!(
            "{name} {l:?}: cycle {:.2}, lead {:.1}, throughput {:.3}, WIP {:.2}, build busy {:.3}",
            mean(&r.cycle_time),
            mean(&r.lead_time),
            mean(&r.throughput),
            mean(&r.wip),
            mean(&r.stages[1].utilization)
        );
    }
    // The constraint stays busy after halving.
    assert!(mean(&half.stages[1].utilization) >= 0.95);
    assert_eq!(
        diagnosis::bottleneck(&half, &halved.stream).unwrap().name,
        "build"
    );
    let change = |a: &Stat, b: &Stat| mean(b) / mean(a) - 1.0;
    assert!(change(&base.cycle_time, &half.cycle_time) < -0.25);
    assert!(change(&base.throughput, &half.throughput).abs() < 0.02);
    assert!(change(&base.lead_time, &half.lead_time).abs() < 0.02);
    // Little's law on the committed part holds for both, within the end effects of a finite
    // run without warm-up (the items still in progress at the horizon count in WIP, not in
    // cycle time: about 3%).
    for r in [&base, &half] {
        let lw = mean(&r.throughput) * mean(&r.cycle_time);
        assert!((mean(&r.wip) - lw).abs() / mean(&r.wip) < 0.05);
    }
    // Too little WIP starves the constraint: throughput falls with it.
    assert!(mean(&quarter.stages[1].utilization) < 0.9);
    assert!(change(&base.throughput, &quarter.throughput) < -0.1);
}

/// A line whose longest queue is not at its constraint: review is one reviewer with very
/// variable work (CV 4, busy about 72%), build is three builders busy about 90%. Review's
/// queue is the longest (variability, not capacity); build is named the constraint, and it is:
/// with more work than the team can take, one more worker raises throughput only at build.
#[test]
fn the_constraint_is_not_where_the_longest_queue_is() {
    let stage = |name: &str, workers: u32, service: Dist| Stage {
        name: name.into(),
        workers,
        wip_limit: None,
        service,
        rework: None,
        release_every: None,
    };
    let exp = |mean: f64| Dist::exponential(mean).unwrap();
    let line = |arrivals: f64, extra: Option<usize>| {
        let mut stages = vec![
            stage("analysis", 1, exp(0.5)),
            stage("build", 3, exp(3.0)),
            stage(
                "review",
                1,
                Dist::new(DistSpec::LognormalMeanSd { mean: 0.8, sd: 3.2 }).unwrap(),
            ),
            stage("test", 2, exp(1.2)),
        ];
        if let Some(s) = extra {
            stages[s].workers += 1;
        }
        let mut work = WorkType::new("feature", 4);
        work.arrival_rate = Some(arrivals);
        ValueStream::new(stages, vec![work], 20_000.0, 1_000.0)
    };
    let base = line(0.9, None);
    let r = fifo(&base, 11, 16);
    let queue_time = |s: usize| mean(&r.stages[s].time[Part::Queue as usize]);
    let longest = (0..4)
        .max_by(|&a, &b| queue_time(a).total_cmp(&queue_time(b)))
        .unwrap();
    let longest_length = (0..4)
        .max_by(|&a, &b| {
            mean(&r.stages[a].queue_length).total_cmp(&mean(&r.stages[b].queue_length))
        })
        .unwrap();
    eprintln!(
        "queue days per stage: {:?}",
        (0..4).map(queue_time).collect::<Vec<_>>()
    );
    assert_eq!(r.stages[longest].name, "review");
    assert_eq!(r.stages[longest_length].name, "review");
    let b = diagnosis::bottleneck(&r, &base).unwrap();
    eprintln!("{}", b.statement);
    assert_eq!(b.name, "build");
    assert!(b.constrained && b.shifting_with.is_none());
    assert!(b.statement.starts_with("Constraint: build (busy 9"));

    // With more work than the team can finish, throughput is the capacity of the line: one
    // more worker raises it at build (to review's capacity, 1.25 a day), nowhere else.
    let gain: Vec<f64> = (0..4)
        .map(|s| {
            let plus = fifo(&line(1.5, Some(s)), 11, 4);
            let base = fifo(&line(1.5, None), 11, 4);
            mean(&plus.throughput) - mean(&base.throughput)
        })
        .collect();
    eprintln!("throughput gain of one more worker per stage: {gain:?}");
    let best = (0..4).max_by(|&a, &b| gain[a].total_cmp(&gain[b])).unwrap();
    assert_eq!(best, 1);
    assert!(gain[1] > 0.2);
    for s in [0, 2, 3] {
        assert!(gain[s].abs() < 0.02, "stage {s}: {}", gain[s]);
    }
}

/// With the commitment point at build, cycle time starts there: analysis and its queue are
/// the backlog's side. Lead time = time before commitment + cycle time, item by item, so the
/// means agree; WIP counts committed items only.
#[test]
fn the_commitment_point_splits_lead_time_into_backlog_and_cycle_time() {
    let mut sc = scenario("delivery-team.toml");
    sc.replications = 16;
    sc.stream.warmup = 0.0;
    let at_analysis = run(&sc);
    sc.stream.commitment = 1;
    let at_build = run(&sc);
    let (lead, cycle, before) = (
        mean(&at_build.lead_time),
        mean(&at_build.cycle_time),
        mean(&at_build.backlog_time),
    );
    eprintln!("lead {lead:.2} = backlog {before:.2} + cycle {cycle:.2}");
    // The same items, the same run: moving the commitment point changes no lead time.
    assert_eq!(at_analysis.lead_time, at_build.lead_time);
    assert!(cycle < mean(&at_analysis.cycle_time) - 1.0);
    // Items still in the system at the horizon are not in either mean, and the populations
    // differ by the few committed but undelivered; the identity holds to a small tolerance.
    assert!((before + cycle - lead).abs() / lead < 0.02);
    assert!(mean(&at_build.wip) < mean(&at_analysis.wip));
    assert!(mean(&at_build.backlog) > mean(&at_analysis.backlog));
    // Committed WIP is bounded by the WIP limits from build on (rework may overfill a stage
    // briefly, so allow the limits of all stages).
    let limits: u32 = sc.stream.stages.iter().filter_map(|s| s.wip_limit).sum();
    assert!(mean(&at_build.wip) <= f64::from(limits));

    // The trace follows the commitment point too.
    let p = policy::by_name("fifo").unwrap();
    let (_, trace) = flow::simulate_traced(&sc.stream, p.as_ref(), sc.seed, 0);
    let delivered: Vec<_> = trace
        .items
        .iter()
        .filter(|it| it.delivered.is_some())
        .collect();
    assert!(!delivered.is_empty());
    for it in delivered {
        let c = it.committed.expect("a delivered item was committed");
        assert_eq!(c, it.entered[1], "committed on entering build");
        assert!(it.cycle_time().unwrap() <= it.lead_time().unwrap());
    }
}

/// Halving the delivery team's WIP limits (rounding down) throttles it below its arrival rate:
/// the run says it is not a steady state, and that the constraint idles while work piles up
/// because the limits around it are too tight (the situation of issue 8's delivery lead).
#[test]
fn too_tight_wip_limits_are_named_as_what_holds_the_constraint_back() {
    let mut sc = scenario("delivery-team.toml");
    sc.replications = 40;
    let calm = run(&sc);
    let calm_stream = sc.stream.clone();
    assert!(diagnosis::stability(&calm, &calm_stream).steady_state);
    for s in &mut sc.stream.stages {
        s.wip_limit = s.wip_limit.map(|l| (l / 2).max(1));
    }
    let r = run(&sc);
    let st = diagnosis::stability(&r, &sc.stream);
    eprintln!("{}", st.statement);
    assert_eq!(st.verdict, diagnosis::Verdict::Unstable);
    assert!(st.throughput < st.arrival_rate - 0.05);
    let b = diagnosis::bottleneck(&r, &sc.stream).unwrap();
    eprintln!("{}", b.statement);
    assert_eq!(b.name, "build");
    assert!(
        b.statement
            .contains("the WIP limits around it are too tight to keep it busy"),
        "{}",
        b.statement
    );
    // The stable team's constraint statement makes no such claim.
    assert!(!diagnosis::bottleneck(&calm, &calm_stream)
        .unwrap()
        .statement
        .contains("too tight"));
}

/// Parses a scenario written inline.
fn inline(toml: &str) -> valueflow::scenario::Scenario {
    let toml = format!("name = \"inline\"\n{toml}");
    valueflow::scenario::parse(&toml, valueflow::scenario::Format::Toml, "inline.toml")
        .expect("a valid scenario")
}

/// A slow flow that finishes half of what arrives piles up less than an item a month, yet it
/// is overloaded: the threshold follows its arrivals. A single replication, with no interval,
/// is never called unstable.
#[test]
fn a_slow_overloaded_flow_is_not_called_steady() {
    let sc = inline(
        r#"
horizon = 2000.0
warmup = 200.0
[[work]]
name = "f"
arrival_rate = 0.03
[[stages]]
name = "build"
service = { dist = "fixed", value = 66.0 }
"#,
    );
    let r = fifo(&sc.stream, 7, 20);
    let st = diagnosis::stability(&r, &sc.stream);
    eprintln!("{}", st.statement);
    assert!(st.growth_per_month < diagnosis::GROWTH_PER_MONTH);
    assert_eq!(st.verdict, diagnosis::Verdict::Unstable);
    let one = fifo(&sc.stream, 7, 1);
    let st = diagnosis::stability(&one, &sc.stream);
    assert_eq!(
        st.verdict,
        diagnosis::Verdict::Undetermined,
        "{}",
        st.statement
    );
    assert!(st.statement.contains("one replication gives no interval"));
}

/// A small overload over a long run piles up less than the per-month threshold, yet its queue
/// grows for years: 2% more arrivals than the team finishes, over eight years measured, adds
/// far more than half the average work in the system, which is instability. The same team at
/// 90% load, over the same window, is steady.
#[test]
fn a_small_overload_over_a_long_run_is_not_called_steady() {
    let team = |rate: f64| {
        inline(&format!(
            r#"
horizon = 3000.0
warmup = 500.0
[[work]]
name = "f"
arrival_rate = {rate}
[[stages]]
name = "build"
service = {{ dist = "exponential", mean = 1.0 }}
"#
        ))
    };
    let over = team(1.02);
    let r = fifo(&over.stream, 5, 40);
    let st = diagnosis::stability(&r, &over.stream);
    eprintln!("{}", st.statement);
    assert!(st.growth_per_month < diagnosis::GROWTH_PER_MONTH);
    assert_eq!(st.verdict, diagnosis::Verdict::Unstable);
    assert!(st.statement.contains("months measured that is about"));
    let calm = team(0.9);
    let r = fifo(&calm.stream, 5, 40);
    let st = diagnosis::stability(&r, &calm.stream);
    assert_eq!(st.verdict, diagnosis::Verdict::Steady, "{}", st.statement);
}

/// Demand sets the pace of a team that keeps up: its constraint statement says more capacity
/// there shortens waits, not that it raises the work finished (which is what arrives). Where
/// work piles up, the constraint sets the pace. Under a WIP limit below its workers, the
/// workers the limit leaves out are not counted as the constraint idling.
#[test]
fn the_constraint_sets_the_pace_only_where_the_team_cannot_keep_up() {
    let team = |rate: f64, limit: &str| {
        inline(&format!(
            r#"
horizon = 1500.0
warmup = 200.0
[[work]]
name = "f"
arrival_rate = {rate}
[[stages]]
name = "a"
workers = 3
{limit}
service = {{ dist = "exponential", mean = 1.0 }}
[[stages]]
name = "b"
service = {{ dist = "exponential", mean = 0.5 }}
"#
        ))
    };
    let calm = team(1.6, "");
    let r = fifo(&calm.stream, 4, 20);
    assert_eq!(
        diagnosis::stability(&r, &calm.stream).verdict,
        diagnosis::Verdict::Steady
    );
    let b = diagnosis::bottleneck(&r, &calm.stream).unwrap();
    assert!(
        b.statement
            .contains("the team keeps up with demand, which sets the pace"),
        "{}",
        b.statement
    );
    assert!(b
        .statement
        .contains("would shorten waits rather than raise the work finished"));
    // Over capacity (1.2 a day at a stage whose one usable worker finishes 1): the WIP limit
    // below the workers holds it back, and its usable worker never idles.
    let held = team(1.2, "wip_limit = 1");
    let r = fifo(&held.stream, 4, 20);
    assert_eq!(
        diagnosis::stability(&r, &held.stream).verdict,
        diagnosis::Verdict::Unstable
    );
    let b = diagnosis::bottleneck(&r, &held.stream).unwrap();
    assert!(
        b.statement
            .contains("sets the pace, but its WIP limit of 1"),
        "{}",
        b.statement
    );
    assert!(!b.statement.contains("Yet"), "{}", b.statement);
}

/// Multitasking lowers flow efficiency (the Lean and Kanban lesson): a worker juggling three
/// items gives each a share of its time, so an item in progress is worked on only part of the
/// time, and the worker's effort is that share, not the elapsed days. Juggling one at a time,
/// the same work's effort is its service time exactly.
#[test]
fn juggling_lowers_flow_efficiency_and_counts_the_worker_time_once() {
    let sc = inline(
        r#"
horizon = 2000.0
warmup = 200.0
[[work]]
name = "job"
arrival_rate = 0.4
value = { dist = "fixed", value = 1.0 }
[[stages]]
name = "a"
service = { dist = "fixed", value = 1.0 }
[[policies]]
name = "juggler"
order = "fifo"
wip = "start-everything"
juggle = 3
[[policies]]
name = "one"
order = "fifo"
wip = "start-everything"
juggle = 1
"#,
    );
    let run = |name: &str| {
        let p = sc.policy_named(name).unwrap();
        valueflow::experiment::run(&sc.stream, p.as_ref(), 3, 20, |_| {})
    };
    let (juggler, one) = (run("juggler"), run("one"));
    let mean = |s: &valueflow::metrics::Stat| s.mean.unwrap();
    let (fe_j, fe_one) = (mean(&juggler.flow_efficiency), mean(&one.flow_efficiency));
    eprintln!("flow efficiency: juggling {fe_j:.3}, one at a time {fe_one:.3}");
    assert!(fe_j < fe_one - 0.2, "{fe_j} against {fe_one}");
    // One at a time, each item takes exactly its day of work: effort is a day per item.
    let per_item =
        |r: &RunSummary| mean(&r.outcomes.effort_delivered) / mean(&r.outcomes.items_delivered);
    assert!((per_item(&one) - 1.0).abs() < 1e-9, "{}", per_item(&one));
    // Juggling, a day of work takes more of the worker's time (switching), but not the
    // elapsed days of every item at once: between 1 and 1/(1 - 0.4) days per item.
    let j = per_item(&juggler);
    assert!(j > 1.0 && j <= 1.0 / 0.6 + 1e-9, "{j}");
}

/// Throughput counts the window (warmup, horizon], as arrivals do: a window that starts and
/// ends on release days holds each of its trains once, so throughput matches arrivals (a
/// train leaving on the day the warm-up ends used to count too: +1% over 90 trains).
#[test]
fn a_window_from_train_day_to_train_day_counts_each_train_once() {
    let sc = inline(
        r#"
horizon = 1000.0
warmup = 100.0
[[work]]
name = "job"
arrival_rate = 0.5
[[stages]]
name = "build"
service = { dist = "exponential", mean = 1.0 }
[[stages]]
name = "ship"
service = { dist = "fixed", value = 0.1 }
release_every = 10.0
"#,
    );
    let r = fifo(&sc.stream, 5, 100);
    let (out, inn) = (r.throughput.mean.unwrap(), r.arrival_rate.mean.unwrap());
    assert!(
        (out / inn - 1.0).abs() < 0.004,
        "{out} finished against {inn} arriving"
    );
}

/// A release train that never leaves within the horizon holds the flow back, not a stage's
/// capacity, and the statement says so; with no WIP limit anywhere, none is blamed.
#[test]
fn a_release_train_is_named_when_no_stage_is_the_constraint() {
    let sc = inline(
        r#"
horizon = 100.0
warmup = 10.0
[[work]]
name = "f"
arrival_rate = 0.5
[[stages]]
name = "build"
workers = 2
service = { dist = "exponential", mean = 1.0 }
[[stages]]
name = "ship"
service = { dist = "fixed", value = 0.1 }
release_every = 500.0
"#,
    );
    let r = fifo(&sc.stream, 3, 20);
    assert_eq!(
        diagnosis::stability(&r, &sc.stream).verdict,
        diagnosis::Verdict::Unstable
    );
    let b = diagnosis::bottleneck(&r, &sc.stream).unwrap();
    eprintln!("{}", b.statement);
    assert!(!b.constrained);
    assert!(b
        .statement
        .contains("No stage is the constraint, yet work piles up"));
    assert!(b
        .statement
        .contains("ship's release train (every 500 days, longer than the 90 days measured)"));
    assert!(!b.statement.contains("arrives slower"));
}

/// A critically loaded line without WIP limits, run without a warm-up, is still filling up:
/// the statement says so, and does not blame WIP limits it does not have.
#[test]
fn no_wip_limit_is_blamed_where_there_is_none() {
    let sc = inline(
        r#"
horizon = 365.0
warmup = 0.0
[[work]]
name = "f"
arrival_rate = 1.0
[[stages]]
name = "build"
service = { dist = "exponential", mean = 0.95 }
[[stages]]
name = "test"
service = { dist = "exponential", mean = 0.5 }
"#,
    );
    let r = fifo(&sc.stream, 1, 40);
    let st = diagnosis::stability(&r, &sc.stream);
    eprintln!("{}", st.statement);
    if st.verdict == diagnosis::Verdict::Unstable {
        assert!(st.statement.contains("The run has no warm-up"));
    }
    let b = diagnosis::bottleneck(&r, &sc.stream).unwrap();
    assert_eq!(b.name, "build");
    assert!(!b.statement.contains("WIP limits"), "{}", b.statement);
}

/// A stage whose WIP limit is below its workers cannot use them all: the remedy named is the
/// limit, not another worker.
#[test]
fn a_wip_limit_below_the_workers_is_the_remedy_named() {
    let sc = inline(
        r#"
horizon = 400.0
warmup = 40.0
[[work]]
name = "f"
arrival_rate = 1.0
[[stages]]
name = "build"
workers = 3
wip_limit = 1
service = { dist = "exponential", mean = 0.8 }
"#,
    );
    let r = fifo(&sc.stream, 5, 10);
    let b = diagnosis::bottleneck(&r, &sc.stream).unwrap();
    eprintln!("{}", b.statement);
    assert!(b
        .statement
        .contains("its WIP limit of 1 lets at most 1 of its 3 workers work at once"));
}

/// A stage whose WIP limit is below its workers, full of items in service, has idle workers
/// with nothing finished in the way: they are starved (nothing they may take), not blocked, and
/// the constraint statement does not say the stage waits for room in the next one (which has
/// no limit). With the limit at the workers and a slow, limited stage after it, finished work
/// does block it.
#[test]
fn a_wip_limit_below_the_workers_idles_them_without_blocking() {
    let world = r#"
horizon = 400.0
warmup = 40.0
[[work]]
name = "f"
arrival_rate = 0.9
[[stages]]
name = "a"
workers = 2
wip_limit = 1
service = { dist = "exponential", mean = 0.5 }
[[stages]]
name = "b"
workers = 1
service = { dist = "exponential", mean = 1.0 }
"#;
    let sc = inline(world);
    let r = fifo(&sc.stream, 5, 10);
    let a = &r.stages[0];
    assert_eq!(mean(&a.blocked), 0.0);
    assert!(mean(&a.starved) > 0.5, "{}", mean(&a.starved));
    let b = diagnosis::bottleneck(&r, &sc.stream).unwrap();
    eprintln!("{}", b.statement);
    assert!(!b.statement.contains("blocked"), "{}", b.statement);
    // The limit at the workers, and b limited: finished work in a waits for room in b.
    let sc = inline(
        &world
            .replace("workers = 2\nwip_limit = 1", "workers = 1\nwip_limit = 1")
            .replace(
                "name = \"b\"\nworkers = 1\n",
                "name = \"b\"\nworkers = 1\nwip_limit = 1\n",
            ),
    );
    assert_eq!(sc.stream.stages[1].wip_limit, Some(1));
    assert_eq!(sc.stream.stages[0].workers, 1);
    let r = fifo(&sc.stream, 5, 10);
    assert!(
        mean(&r.stages[0].blocked) > 0.05,
        "{}",
        mean(&r.stages[0].blocked)
    );
}

/// With the commitment point at the last stage, the waits before it are not cycle time: the
/// "Largest wait" line names a wait inside the cycle time, never more than the whole of it.
#[test]
fn the_largest_wait_is_one_inside_the_cycle_time() {
    let sc = inline(
        r#"
horizon = 365.0
warmup = 30.0
commitment = "c"
[[work]]
name = "f"
arrival_rate = 0.8
[[stages]]
name = "a"
workers = 3
wip_limit = 6
service = { dist = "exponential", mean = 0.3 }
[[stages]]
name = "b"
wip_limit = 1
service = { dist = "exponential", mean = 1.0 }
[[stages]]
name = "c"
service = { dist = "fixed", value = 0.2 }
"#,
    );
    let r = fifo(&sc.stream, 2, 10);
    let results = valueflow::report::PolicyResults::new(&sc, &r);
    let line = valueflow::report::table::largest_wait_line(&results).expect("a wait");
    eprintln!("{line}");
    assert!(line.contains(" c,") || line.contains(" c "), "{line}");
    let share: f64 = line
        .rsplit('(')
        .next()
        .and_then(|p| p.trim_end_matches("%).").parse().ok())
        .expect("a share");
    assert!(share <= 100.0, "{line}");
}

/// Rework holds the work of the items sent back, not only waits: a re-build of 3 days is not
/// "the largest wait". The largest wait is a queue; the rework line counts the way back, work
/// and waits, about half the cycle time when half the items are built twice.
#[test]
fn rework_is_not_called_a_wait() {
    let sc = inline(
        r#"
horizon = 3000.0
warmup = 100.0
[[work]]
name = "f"
arrival_rate = 0.1
[[stages]]
name = "build"
workers = 3
service = { dist = "fixed", value = 3.0 }
[[stages]]
name = "test"
workers = 3
service = { dist = "fixed", value = 0.5 }
rework = { to = "build", probability = 0.5 }
"#,
    );
    let r = fifo(&sc.stream, 9, 20);
    let results = valueflow::report::PolicyResults::new(&sc, &r);
    let wait = valueflow::report::table::largest_wait_line(&results).expect("a wait");
    assert!(wait.starts_with("Largest wait: queueing for"), "{wait}");
    let rework = valueflow::report::table::rework_line(&results).expect("rework");
    eprintln!("{wait}\n{rework}");
    assert!(rework.contains("(most at build: 3."), "{rework}");
    let share: f64 = rework
        .split(" days of mean cycle time (")
        .nth(1)
        .and_then(|p| p.split('%').next())
        .and_then(|p| p.parse().ok())
        .expect("a share");
    assert!((45.0..=55.0).contains(&share), "{rework}");
    // Without rework, no rework line.
    let plain = inline(
        r#"
horizon = 300.0
[[work]]
name = "f"
arrival_rate = 0.1
[[stages]]
name = "build"
service = { dist = "fixed", value = 3.0 }
"#,
    );
    let r = fifo(&plain.stream, 9, 5);
    let results = valueflow::report::PolicyResults::new(&plain, &r);
    assert_eq!(valueflow::report::table::rework_line(&results), None);
}

/// A start-everything policy ignores the WIP limits: the stability statement says so, rather
/// than crediting (or blaming) limits it never honoured.
#[test]
fn a_start_everything_policy_is_not_said_to_honour_wip_limits() {
    let sc = scenario("outcomes.toml");
    let p = policy::by_name("feature-factory").unwrap();
    let r = valueflow::experiment::run(&sc.stream, p.as_ref(), sc.seed, 10, |_| {});
    let st = diagnosis::stability(&r, &sc.stream);
    eprintln!("{}", st.statement);
    assert_eq!(st.verdict, diagnosis::Verdict::Unstable);
    assert!(st
        .statement
        .contains("the policy starts everything, ignoring the WIP limits"));
    assert!(!st.statement.contains("the WIP limits hold"));
}

/// A bounded trace stops once full and then records nothing more: up to the last whole day it
/// knows, it is exactly the unbounded trace, and the replication's results do not depend on
/// the bound. Tried with the bound met by items, by steps, and never met.
#[test]
fn a_bounded_trace_is_the_whole_trace_up_to_its_cut() {
    use valueflow::metrics::TraceBound;
    for (file, policy) in [("delivery-team.toml", "cd3"), ("outcomes.toml", "outcome")] {
        let sc = scenario(file);
        let p = sc.policy_named(policy).unwrap();
        let (whole_result, whole) = flow::simulate_traced(&sc.stream, p.as_ref(), sc.seed, 0);
        assert_eq!(whole.cut, None);
        let total_steps: usize = whole.items.iter().map(|it| it.steps.len()).sum();
        // The moment the run starts is traced whole, and the bound counts from there.
        let at_start = whole.items.iter().filter(|it| it.arrival == 0.0).count();
        let steps_at_start = whole
            .items
            .iter()
            .flat_map(|it| &it.steps)
            .filter(|s| s.time == 0.0)
            .count();
        let mut bounds = vec![
            TraceBound {
                items: whole.items.len() / 3,
                steps: usize::MAX,
            },
            TraceBound {
                items: usize::MAX,
                steps: total_steps / 2,
            },
            TraceBound {
                items: whole.items.len(),
                steps: total_steps,
            },
        ];
        if at_start > 1 {
            // A backlog larger than the bound still leaves room for the days after it.
            bounds.push(TraceBound {
                items: at_start / 2,
                steps: usize::MAX,
            });
        }
        for bound in bounds {
            let (result, cut) =
                flow::simulate_traced_bounded(&sc.stream, p.as_ref(), sc.seed, 0, bound);
            assert_eq!(format!("{result:?}"), format!("{whole_result:?}"), "{file}");
            assert!(
                cut.items.len() <= bound.items.saturating_add(at_start),
                "{file} {bound:?}"
            );
            let steps: usize = cut.items.iter().map(|it| it.steps.len()).sum();
            assert!(
                steps <= bound.steps.saturating_add(steps_at_start),
                "{file} {bound:?}"
            );
            let until = cut.until(sc.stream.horizon);
            if bound.items == whole.items.len() && bound.steps == total_steps {
                // Exactly full, never over: nothing is cut.
                assert_eq!(cut.cut, None, "{file}");
                assert_eq!(format!("{:?}", cut.items), format!("{:?}", whole.items));
            } else {
                let day = cut.cut.expect("the bound is met before the horizon");
                assert!(
                    until < day && until < sc.stream.horizon,
                    "{file} {until} {day}"
                );
                assert!(until > 0.0, "{file}: cut on day {day}");
            }
            assert_eq!(
                format!("{:?}", cut.as_of(until).items),
                format!("{:?}", whole.as_of(until).items),
                "{file} {bound:?}: the bounded trace up to day {until}"
            );
        }
    }
}

/// A backlog held at a release train that never leaves within the horizon: nothing arrives
/// and nothing finishes. The work in the system does not change, but that is no steady state
/// of a flow: the verdict is `undetermined` (not `steady`), and the statement says so rather
/// than "Steady state: 0.000 items/day finished".
#[test]
fn a_value_stream_where_nothing_moves_is_no_flow_not_a_steady_state() {
    let sc = valueflow::scenario::parse(
        r#"name = "no flow"
horizon = 100.0
replications = 5
[[work]]
name = "job"
backlog = 3
[[stages]]
name = "build"
service = { dist = "exponential", mean = 1.0 }
release_every = 1000.0
"#,
        valueflow::scenario::Format::Toml,
        "noflow.toml",
    )
    .unwrap();
    let s = run(&sc);
    let verdict = diagnosis::stability(&s, &sc.stream);
    assert!(
        verdict.statement.starts_with("No flow:"),
        "{}",
        verdict.statement
    );
    assert_eq!(verdict.verdict, diagnosis::Verdict::Undetermined);
    assert!(!verdict.steady_state);
    assert!(
        verdict
            .statement
            .contains("Stability undetermined: it cannot be judged without a flow."),
        "{}",
        verdict.statement
    );
    // Nor is there a constraint to name, nor arrivals the team outpaces: the line says what
    // held the work (the release train that never leaves within the run).
    let b = diagnosis::bottleneck(&s, &sc.stream).expect("build did some work");
    assert!(
        b.statement
            .starts_with("No constraint can be named without a flow"),
        "{}",
        b.statement
    );
    assert!(!b.statement.contains("arrives slower"), "{}", b.statement);
    assert!(
        b.statement.contains("build's release train"),
        "{}",
        b.statement
    );
}

/// The build stage's WIP limit of 1 lets one of its 3 workers work at once, under a policy that
/// keeps WIP limits. The feature factory starts everything and ignores them: its constraint is
/// busy a share of all 3 workers, at most all of the time, and no WIP limit is blamed (it read
/// "busy 259% of the time"). Under `fifo`, rework sent back into the full stage enters past its
/// limit: still at most all of the time (it read 113%).
#[test]
fn a_wip_limit_the_policy_ignores_neither_inflates_the_busy_share_nor_is_blamed() {
    let set = valueflow::scenario::set::Setting::parse("stages.build.wip_limit=1").unwrap();
    let path = super::root().join("scenarios/delivery-team.toml");
    let sc = valueflow::scenario::load_with(&path, &[set]).unwrap();
    for name in ["feature-factory", "fifo"] {
        let p = policy::by_name(name).unwrap();
        let r = valueflow::experiment::run(&sc.stream, p.as_ref(), 1, 5, |_| {});
        let b = diagnosis::bottleneck(&r, &sc.stream).unwrap();
        assert!(b.busy <= 1.0, "{name}: busy {}", b.busy);
        if name == "feature-factory" {
            assert!(
                !b.statement.contains("WIP limit"),
                "{name}: {}",
                b.statement
            );
        }
    }
}
