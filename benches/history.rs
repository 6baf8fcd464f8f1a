//! Speed of the tracker-history commands on a big history.
//!
//! The history is the round-trip team (`tests/fixtures/roundtrip.toml`: two Poisson work types
//! at 0.9 items a day in all, three stages) simulated for 112,000 days and exported as cycle
//! data: about 100,000 items, 10 MB of CSV. It is built once, outside the timed loops.
//!
//! - `fit_100k_items`: what `valueflow fit` does between reading the file and writing the
//!   scenario: parse the CSV, resolve the default mapping, fit (rates, dispersion, three
//!   families per stage by maximum likelihood, KS distances, peaks) and render the TOML.
//!   Target: under 5 seconds.
//! - `forecast_when_10k_trials` / `forecast_how_many_10k_trials`: `valueflow forecast` by
//!   resampling, 10,000 trials, from the CSV text: parse, daily throughput of the last 730
//!   days, When 40 items / How many in 90 days. Target: under 1 second.
//! - `forecast_simulated_1000_reps`: the same When question answered by simulating the fitted
//!   scenario, 1,000 replications (the default `--reps`), for reference.
//!
//! Run with `cargo bench --bench history`.

use std::sync::LazyLock;
use valueflow::history::{self, fit, forecast, mapping::Mapping, simulated};
use valueflow::model::flow;
use valueflow::scenario;

fn main() {
    divan::main();
}

/// Days simulated: 0.9 items a day over 112,000 days is about 100,800 items.
const DAYS: f64 = 112_000.0;

/// The exported history of the big run.
static CSV: LazyLock<String> = LazyLock::new(|| {
    let path =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/roundtrip.toml");
    let mut sc = scenario::load(&path).expect("the fixture is valid");
    sc.stream.horizon = DAYS;
    sc.stream.checkpoints = vec![DAYS];
    let policy = sc.policy_named(&sc.policy).expect("fifo");
    let (_, trace) = flow::simulate_traced(&sc.stream, policy.as_ref(), sc.seed, 0);
    assert!(trace.items.len() >= 100_000, "{} items", trace.items.len());
    history::export(&sc.stream, &trace, 0, "")
});

fn fitted(text: &str) -> fit::Fit {
    let h = history::read(text, "big.csv").expect("exported histories read back");
    let types: Vec<String> = h.items.iter().map(|i| i.kind.clone()).collect();
    let w = Mapping::default()
        .resolve(&h.columns, &types, "big.csv")
        .expect("default mapping");
    fit::fit(&h, &w, "big.csv").expect("a fit")
}

#[divan::bench(sample_count = 5, sample_size = 1)]
fn fit_100k_items(bencher: divan::Bencher) {
    let text: &str = &CSV;
    bencher.bench(|| {
        let f = fitted(text);
        assert!(f.items >= 100_000);
        divan::black_box(f.to_toml())
    });
}

fn throughput(text: &str) -> forecast::Throughput {
    let h = history::read(text, "big.csv").expect("exported histories read back");
    let done = h.done_days();
    let until = *done.iter().max().expect("items done");
    forecast::Throughput::from_done(&done, Some(730), until).expect("items done")
}

#[divan::bench(sample_count = 5, sample_size = 1)]
fn forecast_when_10k_trials(bencher: divan::Bencher) {
    let text: &str = &CSV;
    bencher.bench(|| {
        let t = throughput(text);
        let trials = forecast::when(&t, 40, 10_000, 1).expect("the window delivered");
        assert_eq!(trials.len(), 10_000);
        divan::black_box(forecast::percentile(&trials, 0.85))
    });
}

#[divan::bench(sample_count = 5, sample_size = 1)]
fn forecast_how_many_10k_trials(bencher: divan::Bencher) {
    let text: &str = &CSV;
    bencher.bench(|| {
        let t = throughput(text);
        let trials = forecast::how_many(&t, 90, 10_000, 1);
        divan::black_box(forecast::percentile(&trials, 0.15))
    });
}

#[divan::bench(sample_count = 3, sample_size = 1)]
fn forecast_simulated_1000_reps(bencher: divan::Bencher) {
    let f = fitted(&CSV);
    let sc = scenario::parse(&f.to_toml(), scenario::Format::Toml, "fit.toml")
        .expect("the fit validates");
    let policy = sc.policy_named(&sc.policy).expect("fifo");
    bencher.bench(|| {
        let trials = simulated::when(&sc.stream, policy.as_ref(), sc.seed, 1000, 40)
            .expect("the fit delivers");
        divan::black_box(forecast::percentile(&trials, 0.85))
    });
}
