//! Raw speed of the simulation engine, in events per second.
//!
//! All benches use the same model: five stages in tandem with [1, 2, 1, 3, 1] workers, one work
//! type arriving as a Poisson process at 0.9 items/day, exponential service times sized for 80%
//! utilisation at every stage (mean service = 0.8 x workers / 0.9 days), no WIP limits, no
//! rework, no value model, FIFO.
//!
//! - `engine_full`: one replication of 400,000 days through the full engine
//!   (`model::flow::simulate`: item table, policy calls, per-item random streams, the
//!   metrics recorder). About 2.16 million events (360,000 arrivals + 5 x 360,000 service
//!   completions), reported as events/second through divan's items counter.
//! - `baseline_minimal`: the same model and horizon as a minimal hand-written event loop in this
//!   file (a `BinaryHeap` calendar, per-stage FIFO queues, busy counts, one PCG stream, no
//!   statistics). It is the yardstick: the figure tracked is `engine_full`'s events/second
//!   divided by the baseline's (compare the fastest samples of a few alternated runs on a quiet
//!   machine: single runs vary by 10-20% on a shared virtual machine).
//! - `replications_threads`: `experiment::run` of 32 replications of 20,000 days on a rayon pool
//!   of 1 and of 2 threads, to show how replications scale over cores (folding included).
//! - `calendar_hold` and `calendar_hold_binary_heap`: the calendar alone, in the classic hold
//!   model: `n` events pending, each step pops the earliest and schedules it again an
//!   exponential time later (1,000,000 steps), through `engine::Calendar` and through the
//!   `BinaryHeap` of the minimal loop, for `n` = 4, 9 (the benchmark model: an arrival and up to
//!   8 busy workers), 20 and 30.
//!
//! Every model bench checks, outside the timed loop or at negligible cost, that the event count
//! lies in the range the model implies, so a broken model cannot make a bench silently measure
//! nothing; `calendar_hold` first checks that both calendars pop the same events in the same
//! order.
//!
//! Run with `cargo bench --bench engine` (a single bench: `cargo bench --bench engine -- engine_full`).

use divan::counter::ItemsCount;
use divan::Bencher;
use rand_distr::{Distribution, Exp};
use std::cmp::Ordering;
use std::collections::{BinaryHeap, VecDeque};
use valueflow::engine::{rng, Calendar, Time};
use valueflow::experiment;
use valueflow::model::{flow, Dist, Stage, ValueStream, WorkType};
use valueflow::policy::{Order, RulePolicy};

fn main() {
    divan::main();
}

/// Workers per stage.
const WORKERS: [u32; 5] = [1, 2, 1, 3, 1];
/// Poisson arrivals per day.
const ARRIVAL_RATE: f64 = 0.9;
/// Offered utilisation of every stage.
const UTILISATION: f64 = 0.8;
/// Days in the single long replication.
const LONG_HORIZON: f64 = 400_000.0;
/// Days in each of the replications of the threads bench.
const SHORT_HORIZON: f64 = 20_000.0;
/// Replications in the threads bench.
const REPLICATIONS: u64 = 32;
const SEED: u64 = 20_240_601;

/// Mean service time in days of a stage with `workers` workers.
fn mean_service(workers: u32) -> f64 {
    UTILISATION * f64::from(workers) / ARRIVAL_RATE
}

/// Expected events over `horizon` days: one arrival plus one completion per stage per item.
fn expected_events(horizon: f64) -> f64 {
    ARRIVAL_RATE * horizon * (1.0 + WORKERS.len() as f64)
}

/// Panics unless `events` is within 5% of what the model implies for `horizon` days
/// (the Poisson noise is far below 1% at these horizons).
fn assert_plausible(events: u64, horizon: f64, what: &str) {
    let expected = expected_events(horizon);
    let ratio = events as f64 / expected;
    assert!(
        (0.95..1.05).contains(&ratio),
        "{what}: {events} events, expected about {expected:.0}"
    );
}

/// The benchmark model as a value stream for the full engine.
fn tandem(horizon: f64) -> ValueStream {
    let stages = WORKERS
        .iter()
        .enumerate()
        .map(|(i, &workers)| Stage {
            name: format!("stage{i}"),
            workers,
            wip_limit: None,
            service: Dist::exponential(mean_service(workers)).expect("positive mean"),
            rework: None,
            release_every: None,
        })
        .collect::<Vec<_>>();
    let mut work = WorkType::new("work", stages.len());
    work.arrival_rate = Some(ARRIVAL_RATE);
    let vs = ValueStream::new(stages, vec![work], horizon, 0.0);
    for u in vs.offered_utilization() {
        assert!((u - UTILISATION).abs() < 1e-9, "stage utilisation {u}");
    }
    vs
}

fn fifo() -> RulePolicy {
    RulePolicy::ordered("fifo", Order::Fifo)
}

#[divan::bench(sample_count = 10, sample_size = 1)]
fn engine_full(bencher: Bencher) {
    let vs = tandem(LONG_HORIZON);
    let policy = fifo();
    // One untimed run fixes the (deterministic) event count for the counter.
    let events = flow::simulate(&vs, &policy, SEED, 0).events;
    assert_plausible(events, LONG_HORIZON, "engine_full");
    bencher.counter(ItemsCount::new(events)).bench_local(|| {
        let r = flow::simulate(divan::black_box(&vs), &policy, SEED, 0);
        assert_eq!(r.events, events, "the replication is deterministic");
        r
    });
}

/// Events of the minimal model.
#[derive(Clone, Copy)]
enum Ev {
    Arrival,
    /// A worker of this stage finishes its item.
    Done(u8),
}

/// A calendar entry, ordered so that `BinaryHeap` (a max-heap) pops the earliest first and
/// simultaneous events in scheduling order.
struct Entry {
    time: f64,
    seq: u64,
    event: Ev,
}

impl PartialEq for Entry {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}
impl Eq for Entry {}
impl PartialOrd for Entry {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Entry {
    fn cmp(&self, other: &Self) -> Ordering {
        other
            .time
            .total_cmp(&self.time)
            .then_with(|| other.seq.cmp(&self.seq))
    }
}

/// What the minimal loop reports.
struct MinimalRun {
    events: u64,
    completions: u64,
}

/// The benchmark model as a bare event loop: items queue FIFO at each stage, a free worker
/// takes the head of its queue, a finished item joins the next stage's queue.
fn minimal(horizon: f64, seed: u64) -> MinimalRun {
    const N: usize = WORKERS.len();
    let mut rng = rng::stream(&[seed]);
    let arrival = Exp::new(ARRIVAL_RATE).expect("positive rate");
    let service: [Exp<f64>; N] =
        std::array::from_fn(|s| Exp::new(1.0 / mean_service(WORKERS[s])).expect("positive rate"));
    let mut heap: BinaryHeap<Entry> = BinaryHeap::new();
    let mut seq = 0u64;
    let mut schedule = |heap: &mut BinaryHeap<Entry>, time: f64, event: Ev| {
        heap.push(Entry { time, seq, event });
        seq += 1;
    };
    // Each queue holds, for every item waiting for the stage, when it became available.
    let mut queues: [VecDeque<f64>; N] = Default::default();
    let mut busy = [0u32; N];
    let (mut events, mut completions) = (0u64, 0u64);

    schedule(&mut heap, arrival.sample(&mut rng), Ev::Arrival);
    while let Some(Entry {
        time: now, event, ..
    }) = heap.pop()
    {
        if now > horizon {
            break;
        }
        events += 1;
        // The stage that may now start an item.
        let s = match event {
            Ev::Arrival => {
                schedule(&mut heap, now + arrival.sample(&mut rng), Ev::Arrival);
                queues[0].push_back(now);
                0
            }
            Ev::Done(s) => {
                let s = usize::from(s);
                busy[s] -= 1;
                completions += 1;
                if s + 1 < N {
                    queues[s + 1].push_back(now);
                    // The freed worker may start the next item of its own stage too.
                    if let Some(_item) = queues[s].pop_front() {
                        busy[s] += 1;
                        let d = service[s].sample(&mut rng);
                        schedule(&mut heap, now + d, Ev::Done(s as u8));
                    }
                    s + 1
                } else {
                    s
                }
            }
        };
        if busy[s] < WORKERS[s] {
            if let Some(_item) = queues[s].pop_front() {
                busy[s] += 1;
                let d = service[s].sample(&mut rng);
                schedule(&mut heap, now + d, Ev::Done(s as u8));
            }
        }
    }
    MinimalRun {
        events,
        completions,
    }
}

#[divan::bench(sample_count = 10, sample_size = 1)]
fn baseline_minimal(bencher: Bencher) {
    let first = minimal(LONG_HORIZON, SEED);
    assert_plausible(first.events, LONG_HORIZON, "baseline_minimal");
    let events = first.events;
    // Five of every six events are service completions (one per stage per item).
    let share = first.completions as f64 / events as f64;
    assert!((0.82..0.85).contains(&share), "completion share {share}");
    bencher.counter(ItemsCount::new(events)).bench_local(|| {
        let r = minimal(divan::black_box(LONG_HORIZON), SEED);
        assert_eq!(r.events, events, "the loop is deterministic");
        r.completions
    });
}

#[divan::bench(args = [1, 2], sample_count = 5, sample_size = 1)]
fn replications_threads(bencher: Bencher, threads: usize) {
    let vs = tandem(SHORT_HORIZON);
    let policy = fifo();
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .expect("a rayon pool");
    let events = pool
        .install(|| experiment::run(&vs, &policy, SEED, REPLICATIONS, |_| {}))
        .events;
    assert_plausible(
        events,
        SHORT_HORIZON * REPLICATIONS as f64,
        "replications_threads",
    );
    bencher.counter(ItemsCount::new(events)).bench_local(|| {
        let summary = pool.install(|| {
            experiment::run(divan::black_box(&vs), &policy, SEED, REPLICATIONS, |_| {})
        });
        assert_eq!(summary.events, events, "results do not depend on threads");
        summary
    });
}

/// Steps of the hold model.
const HOLD_STEPS: u64 = 1_000_000;

/// The hold model on `engine::Calendar`: returns the sum of the events popped (a checksum).
fn hold_calendar(n: u64) -> u64 {
    let mut r = rng::stream(&[SEED]);
    let exp = Exp::new(1.0).expect("positive rate");
    let mut cal = Calendar::new();
    for e in 0..n {
        cal.schedule(Time::from_days(exp.sample(&mut r)), e);
    }
    let far = Time::from_days(f64::MAX);
    let mut sum = 0u64;
    for _ in 0..HOLD_STEPS {
        let (now, e) = cal.pop_until(far).expect("n events stay pending");
        sum = sum.wrapping_mul(31).wrapping_add(e);
        cal.schedule(now + exp.sample(&mut r), e);
    }
    sum
}

/// The hold model on the minimal loop's `BinaryHeap`, with the same draws.
fn hold_heap(n: u64) -> u64 {
    let mut r = rng::stream(&[SEED]);
    let exp = Exp::new(1.0).expect("positive rate");
    let mut heap = BinaryHeap::new();
    let mut seq = 0u64;
    for e in 0..n {
        heap.push(Entry {
            time: exp.sample(&mut r),
            seq,
            event: Ev::Done(e as u8),
        });
        seq += 1;
    }
    let mut sum = 0u64;
    for _ in 0..HOLD_STEPS {
        let Entry { time, event, .. } = heap.pop().expect("n events stay pending");
        let Ev::Done(e) = event else {
            unreachable!("only completions are scheduled")
        };
        sum = sum.wrapping_mul(31).wrapping_add(u64::from(e));
        heap.push(Entry {
            time: time + exp.sample(&mut r),
            seq,
            event,
        });
        seq += 1;
    }
    sum
}

#[divan::bench(args = [4, 9, 20, 30], sample_count = 10, sample_size = 1)]
fn calendar_hold(bencher: Bencher, n: u64) {
    assert_eq!(hold_calendar(n), hold_heap(n), "both pop the same events");
    bencher
        .counter(ItemsCount::new(HOLD_STEPS))
        .bench_local(|| hold_calendar(divan::black_box(n)));
}

#[divan::bench(args = [4, 9, 20, 30], sample_count = 10, sample_size = 1)]
fn calendar_hold_binary_heap(bencher: Bencher, n: u64) {
    bencher
        .counter(ItemsCount::new(HOLD_STEPS))
        .bench_local(|| hold_heap(divan::black_box(n)));
}
