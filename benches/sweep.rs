//! Speed of a what-if sweep of the flagship scenario (`scenarios/outcomes.toml`, one year of
//! bets under the `outcome` policy, a few hundred items per replication).
//!
//! - `sweep_10_points_100_reps`: `stages.build.workers=1..10`, 100 replications per point, as
//!   `valueflow sweep scenarios/outcomes.toml --vary stages.build.workers=1..10 --reps 100`
//!   runs it (each point's scenario read with its setting, then `experiment::run`), charts and
//!   output left out.
//! - `sweep_10_points_100_reps_fifo`: the same sweep under `fifo`, the cheapest policy (no
//!   ranking, no measuring): the floor that the engine, the items and the books set whatever
//!   the policy, against which the policy's share of the first bench can be read.
//!
//! Replications are independent, so the time grows linearly with points x replications: the
//! target for 100 points x 1,000 replications (under 20 s on a 2-core machine) is the first
//! bench under 0.2 s.
//!
//! Run with `cargo bench --bench sweep`.

use valueflow::experiment;
use valueflow::scenario::{self, set::Setting};

fn main() {
    divan::main();
}

#[divan::bench(sample_count = 5, sample_size = 1)]
fn sweep_10_points_100_reps(bencher: divan::Bencher) {
    sweep(bencher, None);
}

#[divan::bench(sample_count = 5, sample_size = 1)]
fn sweep_10_points_100_reps_fifo(bencher: divan::Bencher) {
    sweep(bencher, Some("fifo"));
}

/// The flagship's sweep over the build stage's workers, under `policy` (its own if `None`).
fn sweep(bencher: divan::Bencher, policy: Option<&str>) {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/outcomes.toml");
    bencher.bench_local(|| {
        let mut delivered = 0.0;
        for workers in 1..=10 {
            let set = Setting::parse(&format!("stages.build.workers={workers}"))
                .expect("a valid setting");
            let sc = scenario::load_with(&path, &[set]).expect("the flagship scenario is valid");
            let policy = sc
                .policy_named(policy.unwrap_or(&sc.policy))
                .expect("the policy exists");
            let s = experiment::run_with_key_results(
                &sc.stream,
                policy.as_ref(),
                &sc.key_results,
                sc.seed,
                100,
                |_| {},
            );
            delivered += s.outcomes.items_delivered.mean.unwrap_or(0.0);
        }
        // Guard against measuring nothing: every point delivered items.
        assert!(delivered > 10.0 * 50.0, "{delivered} items delivered");
        divan::black_box(delivered)
    });
}
