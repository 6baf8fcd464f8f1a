//! The engine against queueing theory.
//!
//! Tolerance: every check allows 3% relative error and also requires the simulation's own 95%
//! interval to be narrower than 1.5%, so a pass means the estimate is both close and precise
//! (a wide interval could otherwise hide a biased engine). Seeds are fixed, so the tests are
//! deterministic; the run lengths make the intervals about 1% or less.
//!
//! Which time is the sojourn: none of these scenarios has a WIP limit and the commitment point
//! is the first stage, so items are committed the moment they arrive, the backlog stays empty
//! and lead time equals cycle time. Each test checks cycle time (commitment to delivery) as the
//! sojourn, and lead time (arrival to delivery) where it says so. The queueing wait is the
//! stage's queue time (admitted to starting service).

use super::{run, scenario};
use valueflow::experiment::StageSummary;
use valueflow::metrics::{Part, Stat};

/// A stage's queue time: the queueing wait Wq.
fn queue(s: &StageSummary) -> &Stat {
    &s.time[Part::Queue as usize]
}

const TOLERANCE: f64 = 0.03;

fn check(what: &str, stat: &Stat, expected: f64) {
    let mean = stat.mean.expect("a mean");
    let ci = stat.ci95.expect("an interval");
    let err = (mean - expected).abs() / expected;
    eprintln!(
        "{what}: simulated {mean:.4} ±{ci:.4}, theory {expected:.4} ({:.2}% off)",
        err * 100.0
    );
    assert!(
        ci / expected < 0.015,
        "{what}: interval ±{ci} too wide to judge against {expected}"
    );
    assert!(
        err < TOLERANCE,
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
