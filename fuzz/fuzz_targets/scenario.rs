//! Fuzz target: scenario parsing, validation and a bounded run.
//!
//! Every input is tried as TOML, YAML and JSON. Whatever `valueflow::scenario::parse` accepts
//! is run for at most two replications under a small event and item budget, and its JSON
//! report is rendered. The target checks what the CLI promises for an accepted scenario: no
//! panic anywhere, items are conserved, and the report is valid JSON with no NaN in it.
//! See docs/fuzzing.md.
#![no_main]

use libfuzzer_sys::fuzz_target;
use valueflow::report::{Exporter, Json, RunReport};
use valueflow::scenario::{self, Format};

/// Events one replication may handle here: small, so that one input takes milliseconds.
const EVENTS: u64 = 20_000;
/// Items alive at once in one replication here.
const ITEMS: u64 = 10_000;

fuzz_target!(|data: &[u8]| {
    let Ok(src) = std::str::from_utf8(data) else {
        return;
    };
    for format in [Format::Toml, Format::Yaml, Format::Json] {
        check(src, format);
    }
});

fn check(src: &str, format: Format) {
    let Ok(mut sc) = scenario::parse(src, format, "fuzz") else {
        return;
    };
    // Validation bounded the horizon and the counts; the budgets bound the work.
    let limits = &mut sc.stream.limits;
    limits.events = limits.events.min(EVENTS);
    limits.items = limits.items.min(ITEMS);
    let _ = sc.describe();

    let policy = sc
        .policy_named(&sc.policy)
        .expect("a validated scenario names a policy it can build");
    let replications = sc.replications.clamp(1, 2);
    let summary = valueflow::experiment::run_with_key_results(
        &sc.stream,
        policy.as_ref(),
        &sc.key_results,
        sc.seed,
        replications,
        |_| {},
    );
    if summary.exceeded.is_some() {
        // A run past its budget is refused by the CLI (exit 2) and never reported.
        return;
    }
    assert_eq!(
        summary.conservation_failures, 0,
        "items arrived that neither departed, were dropped nor are still in the system"
    );

    let json = Json.render(&RunReport::new(&sc, &summary));
    if let Err(e) = serde_json::from_str::<serde_json::Value>(&json) {
        panic!("the JSON report does not parse back: {e}\n{json}");
    }
    // Names come from the input and may spell "NaN" themselves; the validated scenario's debug
    // form shows every name (and every number) it holds.
    if !format!("{sc:?}").contains("NaN") {
        assert!(!json.contains("NaN"), "NaN in the JSON report:\n{json}");
    }
}
