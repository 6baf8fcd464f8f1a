//! The story library: each story's stated lesson, checked on its own seed, and the commands
//! that list, export, run and draw the stories. A lesson that stops holding fails here; its
//! text gets fixed, not its numbers tuned.

use super::root;
use assert_cmd::Command;
use predicates::prelude::*;
use serde_json::Value;
use valueflow::scenario::library::STORIES;

fn valueflow() -> Command {
    let mut c = Command::cargo_bin("valueflow").unwrap();
    c.current_dir(root());
    c
}

fn json(args: &[&str]) -> Value {
    let out = valueflow()
        .args(args)
        .args(["--format", "json", "-q"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

/// The compared policy `name` of a compare JSON.
fn policy<'a>(c: &'a Value, name: &str) -> &'a Value {
    c["policies"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == name)
        .unwrap_or_else(|| panic!("no policy {name}"))
}

fn mean(v: &Value) -> f64 {
    v["mean"].as_f64().unwrap()
}

/// A paired difference whose 95% interval lies above zero.
fn clearly_positive(d: &Value) -> bool {
    mean(d) - d["ci95"].as_f64().unwrap() > 0.0
}

/// The work type `name` of a policy's (or a run's) JSON.
fn work<'a>(p: &'a Value, name: &str) -> &'a Value {
    p["work"]
        .as_array()
        .unwrap()
        .iter()
        .find(|w| w["name"] == name)
        .unwrap_or_else(|| panic!("no work type {name}"))
}

#[test]
fn flagship_the_outcome_team_realises_more_and_ships_more() {
    let c = json(&["compare", "scenarios/outcomes.toml"]);
    let (ff, out) = (policy(&c, "feature-factory"), policy(&c, "outcome"));
    assert!(clearly_positive(&out["vs_baseline"]["value_realised"]));
    assert!(mean(&out["metrics"]["items_delivered"]) > mean(&ff["metrics"]["items_delivered"]));
    assert!(mean(&out["metrics"]["waste"]) < mean(&ff["metrics"]["waste"]));
}

#[test]
fn wip_limits_halved_cut_cycle_time_not_throughput() {
    let file = "scenarios/wip-limits.toml";
    let base = json(&["run", file]);
    let halved = json(&[
        "run",
        file,
        "--set",
        "stages.analysis.wip_limit=4",
        "--set",
        "stages.build.wip_limit=6",
        "--set",
        "stages.review.wip_limit=3",
        "--set",
        "stages.test.wip_limit=4",
    ]);
    let m = |r: &Value, k: &str| mean(&r["metrics"][k]);
    assert!(m(&halved, "cycle_time") < 0.7 * m(&base, "cycle_time"));
    assert!((m(&halved, "throughput") / m(&base, "throughput") - 1.0).abs() < 0.03);
    assert!((m(&halved, "lead_time") / m(&base, "lead_time") - 1.0).abs() < 0.03);
}

#[test]
fn debt_spiral_the_team_that_ignores_debt_falls_behind() {
    let c = json(&["compare", "scenarios/debt-spiral.toml"]);
    let (ff, cd3) = (policy(&c, "feature-factory"), policy(&c, "cd3"));
    assert!(clearly_positive(&cd3["vs_baseline"]["value_realised"]));
    assert!(mean(&work(cd3, "feature")["completed"]) > mean(&work(ff, "feature")["completed"]));
    // The drag reaches its cap without debt work, and stays well below it with.
    let drag = |p: &Value| mean(&p["metrics"]["debt_drag"]);
    assert!(drag(ff) > 0.69, "{}", drag(ff));
    assert!(drag(cd3) < 0.5, "{}", drag(cd3));
}

#[test]
fn release_train_costs_lead_time_and_value_not_throughput() {
    let file = "scenarios/release-train.toml";
    let train = json(&["run", file, "--policy", "fifo"]);
    let continuous = json(&[
        "run",
        file,
        "--policy",
        "fifo",
        "--set",
        "stages.release.release_every=none",
    ]);
    let m = |r: &Value, k: &str| mean(&r["metrics"][k]);
    assert!(m(&train, "lead_time") > m(&continuous, "lead_time") + 5.0);
    assert!(m(&train, "wip") > m(&continuous, "wip"));
    assert!((m(&train, "throughput") / m(&continuous, "throughput") - 1.0).abs() < 0.03);
    assert!(m(&train, "value_realised") < m(&continuous, "value_realised"));
    assert!(m(&train, "cost_of_delay") > 2.0 * m(&continuous, "cost_of_delay"));
}

#[test]
fn one_more_person_belongs_at_the_constraint_not_the_longest_queue() {
    let file = "scenarios/one-more-person.toml";
    let r = json(&["run", file]);
    let longest = r["stages"]
        .as_array()
        .unwrap()
        .iter()
        .max_by(|a, b| mean(&a["queue_length"]).total_cmp(&mean(&b["queue_length"])))
        .unwrap();
    assert_eq!(longest["name"], "review");
    let advice = json(&["advise", file]);
    assert_eq!(advice["moves"][0]["name"], "+1 build");
}

#[test]
fn closing_the_loop_pays_more_the_faster_it_closes() {
    let gain = |delay: &str| {
        let c = json(&[
            "compare",
            "scenarios/closing-the-loop.toml",
            "--set",
            &format!("epics.*.feedback_delay={delay}"),
        ]);
        policy(&c, "outcome")["vs_baseline"]["value_realised"].clone()
    };
    let (fast, slow) = (gain("7"), gain("56"));
    assert!(clearly_positive(&fast) && clearly_positive(&slow));
    assert!(mean(&fast) > mean(&slow));
}

#[test]
fn key_results_fall_into_promises_coin_flips_and_stretch() {
    let r = json(&["run", "scenarios/key-results.toml"]);
    let p = |name: &str| {
        r["key_results"]
            .as_array()
            .unwrap()
            .iter()
            .find(|k| k["name"] == name)
            .unwrap_or_else(|| panic!("no key result {name}"))["probability"]
            .as_f64()
            .unwrap()
    };
    assert!(p("items_delivered >= 65 by day 91") >= 0.85);
    assert!((0.35..=0.65).contains(&p("items_delivered >= 75 by day 91")));
    assert!(p("items_delivered >= 105 by day 91") <= 0.15);
}

#[test]
fn expedite_lane_speeds_incidents_and_costs_features_little() {
    let c = json(&["compare", "scenarios/expedite.toml"]);
    let lead = |policy_name: &str, w: &str| work(policy(&c, policy_name), w)["lead_time"].clone();
    assert!(mean(&lead("priority", "incident")) < 0.6 * mean(&lead("fifo", "incident")));
    let p85 = |v: Value| v["p85"].as_f64().unwrap();
    let extra = p85(lead("priority", "feature")) - p85(lead("fifo", "feature"));
    assert!((0.0..1.0).contains(&extra), "feature p85 grew by {extra}");
}

#[test]
fn the_library_lists_exports_and_demos_every_story() {
    let listing = valueflow().arg("scenarios").output().unwrap();
    let text = String::from_utf8(listing.stdout).unwrap();
    for s in STORIES {
        assert!(
            text.contains(s.name) && text.contains(&s.question()),
            "{}",
            s.name
        );
        // The built-in text is the shipped file, byte for byte.
        let shipped = std::fs::read_to_string(root().join("scenarios").join(s.file)).unwrap();
        assert_eq!(s.text, shipped, "{}", s.file);
    }
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("mine.toml");
    valueflow()
        .args(["scenarios", "--export", "expedite", "--out"])
        .arg(&out)
        .assert()
        .success();
    let exported = std::fs::read_to_string(&out).unwrap();
    assert!(exported.starts_with("# Question:"));
    valueflow()
        .args(["scenarios", "--export", "expedite", "--out"])
        .arg(&out)
        .assert()
        .code(2);
    valueflow()
        .args(["scenarios", "--export", "nope"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("valid: flagship, wip-limits"));
    valueflow()
        .args(["scenarios", "--export", "wip-limits", "--out", "-"])
        .assert()
        .success()
        .stdout(predicate::str::starts_with(
            "# Question: Halve every WIP limit",
        ));
    let demo = dir.path().join("demo");
    valueflow()
        .args([
            "demo",
            "--scenario",
            "release-train",
            "--reps",
            "4",
            "-q",
            "--out",
        ])
        .arg(&demo)
        .assert()
        .success()
        .stdout(predicate::str::contains("Release"));
    assert!(demo.join("index.html").exists() && demo.join("board.html").exists());
    valueflow()
        .args(["demo", "--scenario", "nope", "-q", "--out"])
        .arg(dir.path().join("demo2"))
        .assert()
        .code(2)
        .stderr(predicate::str::contains("no such story"));
    assert!(!dir.path().join("demo2").exists());
}

#[test]
fn init_writes_a_template_that_runs_and_never_overwrites() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("my.toml");
    valueflow().arg("init").arg(&file).assert().success();
    valueflow().arg("validate").arg(&file).assert().success();
    valueflow()
        .args(["compare", "--reps", "4", "-q"])
        .arg(&file)
        .assert()
        .success();
    std::fs::write(&file, "mine").unwrap();
    valueflow()
        .arg("init")
        .arg(&file)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("never replaces"));
    assert_eq!(std::fs::read_to_string(&file).unwrap(), "mine");
}

#[test]
fn describe_draws_the_value_stream() {
    valueflow()
        .args([
            "describe",
            "scenarios/delivery-team.toml",
            "--set",
            "stages.build.wip_limit=2",
        ])
        .assert()
        .success()
        .stdout(
            predicate::str::contains("┌")
                .and(predicate::str::contains("WIP ≤ 2"))
                .and(predicate::str::contains("delivered")),
        );
    valueflow()
        .args(["describe", "scenarios/nope.toml"])
        .assert()
        .code(2);
}
