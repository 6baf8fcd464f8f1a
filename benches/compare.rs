//! End-to-end speed of `compare`: 4 policies x 1,000 replications of the flagship one-year,
//! five-stage scenario (`scenarios/outcomes.toml`, a few hundred items per replication).
//! Target: under 2 seconds on a 2-core machine.
//!
//! Run with `cargo bench --bench compare`.

use valueflow::experiment;
use valueflow::scenario;

fn main() {
    divan::main();
}

#[divan::bench(sample_count = 5, sample_size = 1)]
fn compare_4_policies_1000_reps(bencher: divan::Bencher) {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/outcomes.toml");
    let sc = scenario::load(&path).expect("the flagship scenario is valid");
    let names = ["fifo", "feature-factory", "cd3", "outcome"];
    let policies: Vec<_> = names.iter().map(|n| sc.policy_named(n).unwrap()).collect();
    bencher.bench_local(|| {
        let c = experiment::compare(
            &sc.stream,
            &policies,
            0,
            &sc.key_results,
            sc.seed,
            1000,
            |_| {},
        );
        // Guard against measuring nothing: every policy delivered items in every replication.
        assert!(c
            .policies
            .iter()
            .all(|p| p.outcomes.items_delivered.mean.unwrap() > 50.0));
        divan::black_box(c)
    });
}
