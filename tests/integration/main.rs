//! Integration tests, compiled into one test binary: queueing theory, properties, golden
//! outputs and the command line.

mod charts;
mod cli;
mod economics;
mod fit;
mod flow;
mod forecast;
mod golden;
mod hardening;
mod history;
mod properties;
mod ranking;
mod stories;
mod sweep;
mod theory;
mod value;
mod writes;

use std::path::{Path, PathBuf};
use valueflow::experiment::{self, RunSummary};
use valueflow::policy;
use valueflow::scenario::{self, Scenario};

/// The project's root folder.
pub fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// Loads `scenarios/<name>`.
pub fn scenario(name: &str) -> Scenario {
    scenario::load(&root().join("scenarios").join(name)).expect("example scenarios are valid")
}

/// Runs a scenario with its own settings.
pub fn run(sc: &Scenario) -> RunSummary {
    let policy = policy::by_name(&sc.policy).expect("known policy");
    experiment::run(
        &sc.stream,
        policy.as_ref(),
        sc.seed,
        sc.replications,
        |_| {},
    )
}

/// Every scenario file shipped in `scenarios/`.
pub fn all_scenarios() -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(root().join("scenarios"))
        .expect("scenarios/ exists")
        .map(|e| e.expect("readable entry").path())
        .filter(|p| scenario::Format::of(p).is_some())
        .collect();
    files.sort();
    assert!(
        files.len() >= 6,
        "expected the example scenarios, found {files:?}"
    );
    files
}

/// The JSON a successful command writes to standard output (its error shown if it fails).
pub fn json_of(cmd: &mut assert_cmd::Command) -> serde_json::Value {
    let out = cmd.output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}
