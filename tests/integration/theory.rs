//! The engine against queueing theory.
//!
//! Tolerance: every check allows 3% relative error and also requires the simulation's own 95%
//! interval to be narrower than 1.5%, so a pass means the estimate is both close and precise
//! (a wide interval could otherwise hide a biased engine). Seeds are fixed, so the tests are
//! deterministic; the run lengths make the intervals about 1% or less. The checks against the
//! exact Markov chain of a two-stage line with blocking (at the end of the file) are stricter:
//! 2% error and an interval narrower than 1%.
//!
//! Which time is the sojourn: none of the scenario files has a WIP limit and the commitment point
//! is the first stage, so items are committed the moment they arrive, the backlog stays empty
//! and lead time equals cycle time. Each test checks cycle time (commitment to delivery) as the
//! sojourn, and lead time (arrival to delivery) where it says so. The queueing wait is the
//! stage's queue time (admitted to starting service).

use super::{run, scenario};
use std::collections::HashMap;
use valueflow::experiment::{self, RunSummary, StageSummary};
use valueflow::metrics::{Part, Stat};
use valueflow::model::{Dist, Stage, ValueStream, WorkType};
use valueflow::policy;

/// A stage's queue time: the queueing wait Wq.
fn queue(s: &StageSummary) -> &Stat {
    &s.time[Part::Queue as usize]
}

const TOLERANCE: f64 = 0.03;

fn check(what: &str, stat: &Stat, expected: f64) {
    check_within(what, stat, expected, TOLERANCE, 0.015);
}

/// Passes if the simulated mean is within `tolerance` (relative) of `expected` and its 95%
/// interval is narrower than `max_ci` (relative).
fn check_within(what: &str, stat: &Stat, expected: f64, tolerance: f64, max_ci: f64) {
    let mean = stat.mean.expect("a mean");
    let ci = stat.ci95.expect("an interval");
    let err = (mean - expected).abs() / expected;
    eprintln!(
        "{what}: simulated {mean:.4} ±{ci:.4}, theory {expected:.4} ({:.2}% off)",
        err * 100.0
    );
    assert!(
        ci / expected < max_ci,
        "{what}: interval ±{ci} too wide to judge against {expected}"
    );
    assert!(
        err < tolerance,
        "{what}: simulated {mean} ±{ci}, theory {expected} ({:.2}% off)",
        err * 100.0
    );
}

/// Erlang C: probability that an arrival waits in an M/M/c queue with offered load `a`.
fn erlang_c(c: u32, a: f64) -> f64 {
    let rho = a / f64::from(c);
    let mut term = 1.0;
    let mut sum = 0.0;
    for k in 0..c {
        if k > 0 {
            term *= a / f64::from(k);
        }
        sum += term;
    }
    let last = term * a / f64::from(c) / (1.0 - rho);
    last / (sum + last)
}

/// Mean wait in queue of M/M/c.
fn mmc_wait(c: u32, lambda: f64, mean_service: f64) -> f64 {
    let mu = 1.0 / mean_service;
    erlang_c(c, lambda * mean_service) / (f64::from(c) * mu - lambda)
}

#[test]
fn erlang_c_matches_published_value() {
    // Erlang C with c=2, a=1.0 is 1/3 (a textbook value).
    assert!((erlang_c(2, 1.0) - 1.0 / 3.0).abs() < 1e-12);
    // c=1 reduces to rho.
    assert!((erlang_c(1, 0.8) - 0.8).abs() < 1e-12);
}

#[test]
fn mm1_at_80_percent() {
    let mut sc = scenario("mm1.toml");
    sc.replications = 32;
    let r = run(&sc);
    check("M/M/1 rho .8 sojourn (cycle time)", &r.cycle_time, 5.0);
    check(
        "M/M/1 rho .8 sojourn (lead time, empty backlog)",
        &r.lead_time,
        5.0,
    );
    check("M/M/1 rho .8 wait", queue(&r.stages[0]), 4.0);
    check("M/M/1 rho .8 utilisation", &r.stages[0].utilization, 0.8);
}

#[test]
fn mm1_at_90_percent() {
    let mut sc = scenario("mm1.toml");
    sc.stream.work_types[0].arrival_rate = Some(0.9);
    sc.stream.horizon = 200_000.0;
    sc.stream.warmup = 5_000.0;
    sc.replications = 64;
    let r = run(&sc);
    check("M/M/1 rho .9 sojourn (cycle time)", &r.cycle_time, 10.0);
    check("M/M/1 rho .9 wait", queue(&r.stages[0]), 9.0);
}

#[test]
fn mmc_erlang_c_at_90_percent() {
    let mut sc = scenario("mmc.toml");
    sc.replications = 40;
    let r = run(&sc);
    let wq = mmc_wait(3, 2.7, 1.0);
    check("M/M/3 rho .9 wait", queue(&r.stages[0]), wq);
    check("M/M/3 rho .9 sojourn (cycle time)", &r.cycle_time, wq + 1.0);
}

#[test]
fn md1_pollaczek_khinchine() {
    let mut sc = scenario("md1.toml");
    sc.replications = 32;
    let r = run(&sc);
    // P-K: Wq = rho E[S] (1 + cs^2) / (2 (1 - rho)) with cs^2 = 0.
    let wq = 0.8 * 1.0 / (2.0 * (1.0 - 0.8));
    check("M/D/1 wait", queue(&r.stages[0]), wq);
    check("M/D/1 sojourn (cycle time)", &r.cycle_time, wq + 1.0);
}

#[test]
fn tandem_jackson_network() {
    let mut sc = scenario("tandem.toml");
    sc.stream.horizon = 200_000.0;
    sc.replications = 96;
    let r = run(&sc);
    let lambda = 0.9;
    let mut total = 0.0;
    for (s, stage) in sc.stream.stages.iter().enumerate() {
        let mean = stage.service.mean();
        let wq = mmc_wait(stage.workers, lambda, mean);
        check(
            &format!("tandem stage {} wait", stage.name),
            queue(&r.stages[s]),
            wq,
        );
        total += wq + mean;
    }
    check(
        "tandem end-to-end sojourn (cycle time)",
        &r.cycle_time,
        total,
    );
    check(
        "tandem end-to-end sojourn (lead time, empty backlog)",
        &r.lead_time,
        total,
    );
}

#[test]
fn cobham_non_preemptive_priority() {
    let mut sc = scenario("priority.toml");
    sc.replications = 48;
    let r = run(&sc);
    let (l1, l2) = (0.3, 0.5);
    // Residual work: sum lambda_i E[S_i^2] / 2, with E[S^2] = 2 for exponential mean 1.
    let w0 = (l1 + l2) * 2.0 / 2.0;
    let wq1 = w0 / (1.0 - l1);
    let wq2 = w0 / ((1.0 - l1) * (1.0 - l1 - l2));
    // Per work type only lead time is kept; with an empty backlog it is the sojourn.
    check(
        "priority expedite sojourn (lead time)",
        &r.work[0].lead_time,
        wq1 + 1.0,
    );
    check(
        "priority standard sojourn (lead time)",
        &r.work[1].lead_time,
        wq2 + 1.0,
    );
}

// ---------------------------------------------------------------------------------------------
// Blocking against the exact continuous-time Markov chain of a two-stage line.
// ---------------------------------------------------------------------------------------------

/// Relative tolerance of the checks against the exact chain.
const EXACT_TOLERANCE: f64 = 0.02;
/// Widest 95% interval, relative to the exact value, the checks against the chain accept.
const EXACT_MAX_CI: f64 = 0.01;

/// What stage 1 (one worker, WIP limit 1) is doing.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum First {
    /// Empty; then the backlog is empty too, since an idle stage 1 admits at once.
    Idle,
    /// Its one item is in service.
    Busy,
    /// Its item is done and waits in its done column because stage 2 is full: the worker idles.
    Blocked,
}

/// A state of the two-stage chain: items in the backlog, stage 1, items in stage 2.
type State = (u32, First, u32);

/// A two-stage line with exponential service and blocking after service.
///
/// Poisson arrivals at rate `lambda` wait in an unbounded backlog. Stage 1 has one worker,
/// mean service `1 / mu1` and a WIP limit of 1, so the backlog is its queue. Stage 2 has one
/// worker, mean service `1 / mu2` and a WIP limit of `k` (one in service and `k - 1` queued),
/// so at most `k - 1` items wait between the stages. An item done in stage 1 while stage 2 is
/// full stays in stage 1, which is then blocked, until stage 2 finishes one; the last stage
/// delivers at once.
struct TwoStage {
    lambda: f64,
    mu1: f64,
    mu2: f64,
    k: u32,
    /// Backlog levels kept, 0..=levels: arrivals finding `levels` items waiting are lost. The
    /// truncation is harmless when the chain almost never reaches the top level (checked).
    levels: u32,
}

/// The chain's stationary metrics, in the simulator's terms.
#[derive(Debug)]
struct Exact {
    /// States of the (truncated) chain.
    states: usize,
    /// Items delivered per day: mu2 P(n2 > 0).
    throughput: f64,
    /// Time-average committed items (in stage 1 or 2, not the backlog): P(stage 1 holds an
    /// item, busy or blocked) + E[n2].
    wip: f64,
    /// Share of stage 1's worker time idle because stage 1 is full of done work: P(blocked).
    blocked: f64,
    /// Time-average items in the backlog: E[n0].
    backlog: f64,
    /// Probability of the top backlog level (the truncation's error is about this size).
    top: f64,
}

impl TwoStage {
    /// The states, grouped by backlog level so the generator is banded: at level 0, stage 1
    /// idle, busy or blocked; above it, busy or blocked (never idle with a waiting item).
    /// Blocked implies stage 2 is full.
    fn states(&self) -> Vec<State> {
        let mut states = vec![];
        for n0 in 0..=self.levels {
            if n0 == 0 {
                states.extend((0..=self.k).map(|n2| (0, First::Idle, n2)));
            }
            states.extend((0..=self.k).map(|n2| (n0, First::Busy, n2)));
            states.push((n0, First::Blocked, self.k));
        }
        states
    }

    /// The transitions out of `state`, with their rates (the generator's off-diagonal row),
    /// following the engine's rules: what can move moves at the instant that frees it.
    fn transitions(&self, (n0, first, n2): State) -> Vec<(State, f64)> {
        // Stage 1 takes the next item from the backlog, if any, once its item has left.
        let refill = |n2| {
            if n0 > 0 {
                (n0 - 1, First::Busy, n2)
            } else {
                (0, First::Idle, n2)
            }
        };
        let mut out = vec![];
        // An arrival: admitted at once by an idle stage 1, else it joins the backlog.
        match first {
            First::Idle => out.push(((0, First::Busy, n2), self.lambda)),
            _ if n0 < self.levels => out.push(((n0 + 1, first, n2), self.lambda)),
            _ => {}
        }
        // Stage 1 finishes: its item moves into stage 2 if there is room, else it blocks.
        if first == First::Busy {
            let next = if n2 < self.k {
                refill(n2 + 1)
            } else {
                (n0, First::Blocked, n2)
            };
            out.push((next, self.mu1));
        }
        // Stage 2 finishes and delivers; a blocked item takes the freed place at once and
        // stage 1 admits the next from the backlog.
        if n2 > 0 {
            let next = if first == First::Blocked {
                refill(n2)
            } else {
                (n0, first, n2 - 1)
            };
            out.push((next, self.mu2));
        }
        out
    }

    /// Solves pi Q = 0 and reads off the metrics.
    fn solve(&self) -> Exact {
        let states = self.states();
        let index: HashMap<State, usize> =
            states.iter().enumerate().map(|(i, &s)| (s, i)).collect();
        let n = states.len();
        let mut rates = vec![0.0; n * n];
        let mut band = 0;
        for (i, &s) in states.iter().enumerate() {
            for (to, rate) in self.transitions(s) {
                let j = index[&to];
                rates[i * n + j] += rate;
                band = band.max(i.abs_diff(j));
            }
        }
        let pi = stationary(rates, n, band);
        let mut exact = Exact {
            states: n,
            throughput: 0.0,
            wip: 0.0,
            blocked: 0.0,
            backlog: 0.0,
            top: 0.0,
        };
        for (&(n0, first, n2), &p) in states.iter().zip(&pi) {
            if n2 > 0 {
                exact.throughput += self.mu2 * p;
            }
            let held = if first == First::Idle { 0 } else { 1 };
            exact.wip += p * f64::from(held + n2);
            if first == First::Blocked {
                exact.blocked += p;
            }
            exact.backlog += p * f64::from(n0);
            if n0 == self.levels {
                exact.top += p;
            }
        }
        exact
    }

    /// The same line as a value stream for the simulator (`None`: no WIP limit on stage 2).
    fn stream(&self, k: Option<u32>, horizon: f64, warmup: f64) -> ValueStream {
        let stage = |name: &str, mu: f64, wip_limit| Stage {
            name: name.to_string(),
            workers: 1,
            wip_limit,
            service: Dist::exponential(1.0 / mu).expect("positive mean"),
            rework: None,
            release_every: None,
        };
        let mut job = WorkType::new("job", 2);
        job.arrival_rate = Some(self.lambda);
        ValueStream::new(
            vec![
                stage("first", self.mu1, Some(1)),
                stage("second", self.mu2, k),
            ],
            vec![job],
            horizon,
            warmup,
        )
    }
}

/// Stationary distribution of an irreducible chain from its off-diagonal rates (`rates[i * n +
/// j]`, i to j; the diagonal is ignored), by the GTH algorithm (Grassmann, Taksar and Heyman
/// 1985): Gaussian elimination of the states from the last down, which only adds and divides
/// positive numbers, so it loses no precision to cancellation. Every rate lies within `band` of
/// the diagonal, and eliminating a state only links states within `band` before it, so the loops
/// stay inside the band.
fn stationary(mut rates: Vec<f64>, n: usize, band: usize) -> Vec<f64> {
    for k in (1..n).rev() {
        let lo = k.saturating_sub(band);
        // Rate out of k into the states not yet eliminated.
        let out: f64 = (lo..k).map(|j| rates[k * n + j]).sum();
        assert!(out > 0.0, "the chain is irreducible");
        for i in lo..k {
            let via = rates[i * n + k] / out;
            rates[i * n + k] = via;
            if via > 0.0 {
                for j in lo..k {
                    rates[i * n + j] += via * rates[k * n + j];
                }
            }
        }
    }
    let mut pi = vec![0.0; n];
    pi[0] = 1.0;
    for k in 1..n {
        let lo = k.saturating_sub(band);
        pi[k] = (lo..k).map(|i| pi[i] * rates[i * n + k]).sum();
    }
    let total: f64 = pi.iter().sum();
    pi.iter().map(|p| p / total).collect()
}

/// Runs `vs` first-in first-out.
fn run_fifo(vs: &ValueStream, seed: u64, replications: u64) -> RunSummary {
    let fifo = policy::by_name("fifo").expect("fifo is built in");
    experiment::run(vs, fifo.as_ref(), seed, replications, |_| {})
}

#[test]
fn stationary_solves_a_birth_death_chain() {
    // M/M/1/3 with lambda 1, mu 2: pi proportional to 1, 1/2, 1/4, 1/8.
    let n = 4;
    let mut rates = vec![0.0; n * n];
    for i in 0..n - 1 {
        rates[i * n + i + 1] = 1.0;
        rates[(i + 1) * n + i] = 2.0;
    }
    let pi = stationary(rates, n, 1);
    for (i, p) in pi.iter().enumerate() {
        let expected = 0.5f64.powi(i as i32) / 1.875;
        assert!(
            (p - expected).abs() < 1e-12,
            "pi[{i}] = {p}, expected {expected}"
        );
    }
}

#[test]
fn two_stage_blocking_matches_exact_markov_chain() {
    // Stage 2 (mean 1) is a little slower than stage 1 (mean 0.9) and holds at most two items:
    // stage 1 is blocked about 15% of the time. The line's capacity is about 0.73 items a day,
    // so at lambda 0.6 the backlog stays short and 80 levels leave a negligible tail.
    let line = TwoStage {
        lambda: 0.6,
        mu1: 1.0 / 0.9,
        mu2: 1.0,
        k: 2,
        levels: 80,
    };
    let exact = line.solve();
    eprintln!("two-stage blocking, exact: {exact:?}");
    assert_eq!(exact.states, 327, "a few hundred states");
    assert!(
        exact.top < 1e-10,
        "the backlog truncation matters: {exact:?}"
    );
    // Flow balance: stable, so everything that arrives is delivered.
    assert!((exact.throughput - line.lambda).abs() < 1e-9);
    let r = run_fifo(&line.stream(Some(line.k), 100_000.0, 1_000.0), 8, 96);
    let check = |what: &str, stat: &Stat, expected: f64| {
        check_within(what, stat, expected, EXACT_TOLERANCE, EXACT_MAX_CI);
    };
    check("two-stage K=2 throughput", &r.throughput, exact.throughput);
    check("two-stage K=2 WIP", &r.wip, exact.wip);
    check(
        "two-stage K=2 stage 1 blocked",
        &r.stages[0].blocked,
        exact.blocked,
    );
    check("two-stage K=2 backlog", &r.backlog, exact.backlog);
}

#[test]
fn two_stage_without_blocking_matches_exact_markov_chain() {
    // No WIP limit on stage 2: stage 1 is never blocked and the line is a Jackson tandem, an
    // M/M/1 (stage 1, whose queue is the backlog) feeding an M/M/1 (stage 2).
    let (lambda, mu1, mu2) = (0.5, 1.0, 1.0 / 1.2);
    let (rho1, rho2) = (lambda / mu1, lambda / mu2);
    // Committed items: stage 1's one item (busy share rho1) plus stage 2's L = rho2/(1 - rho2).
    let jackson_wip = rho1 + rho2 / (1.0 - rho2);
    // Backlog: the queue of an M/M/1, Lq = rho1^2/(1 - rho1).
    let jackson_backlog = rho1 * rho1 / (1.0 - rho1);
    // The chain with a WIP limit on stage 2 far above anything reached agrees with Jackson.
    let line = TwoStage {
        lambda,
        mu1,
        mu2,
        k: 40,
        levels: 30,
    };
    let exact = line.solve();
    eprintln!("two-stage without blocking, exact: {exact:?}");
    assert_eq!(exact.states, 1343);
    assert!(
        exact.top < 1e-8,
        "the backlog truncation matters: {exact:?}"
    );
    assert!(exact.blocked < 1e-8, "stage 2's limit binds: {exact:?}");
    assert!((exact.throughput - lambda).abs() < 1e-7);
    assert!((exact.wip - jackson_wip).abs() < 1e-6, "{exact:?}");
    assert!((exact.backlog - jackson_backlog).abs() < 1e-6, "{exact:?}");
    let r = run_fifo(&line.stream(None, 100_000.0, 1_000.0), 9, 96);
    let check = |what: &str, stat: &Stat, expected: f64| {
        check_within(what, stat, expected, EXACT_TOLERANCE, EXACT_MAX_CI);
    };
    check(
        "two-stage no limit throughput",
        &r.throughput,
        exact.throughput,
    );
    check("two-stage no limit WIP", &r.wip, exact.wip);
    check("two-stage no limit backlog", &r.backlog, exact.backlog);
    let blocked = r.stages[0].blocked.mean.expect("a mean");
    eprintln!("two-stage no limit stage 1 blocked: simulated {blocked}, theory 0");
    assert_eq!(blocked, 0.0, "stage 1 is blocked with room downstream");
}
