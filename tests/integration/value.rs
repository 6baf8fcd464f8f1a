//! The value model: Smith's rule, common random numbers, and the direction of each documented
//! effect (debt drag, defect spawning, feedback delay, measurement noise).

use super::root;
use assert_cmd::Command;
use predicates::prelude::*;
use valueflow::experiment::{self, Comparison};
use valueflow::scenario::{self, Format, Scenario};

pub(super) fn parse(text: &str) -> Scenario {
    scenario::parse(text, Format::Toml, "test.toml").unwrap_or_else(|e| panic!("{e}"))
}

pub(super) fn compare(sc: &Scenario, names: &[&str]) -> Comparison {
    let policies: Vec<_> = names.iter().map(|n| sc.policy_named(n).unwrap()).collect();
    experiment::compare(
        &sc.stream,
        &policies,
        0,
        &sc.key_results,
        sc.seed,
        sc.replications,
        |_| {},
    )
}

pub(super) fn value(c: &Comparison, i: usize) -> f64 {
    c.policies[i].outcomes.value_realised.mean.unwrap()
}

/// One worker, three known jobs at time 0, standard (linear) cost of delay, no uncertainty.
const SMITH: &str = r#"
name = "Smith's rule"
horizon = 100.0
replications = 3

[[work]]
name = "A"
backlog = 1
size = { dist = "fixed", value = 3.0 }
value = { dist = "fixed", value = 10.0 }

[[work]]
name = "B"
backlog = 1
size = { dist = "fixed", value = 1.0 }
value = { dist = "fixed", value = 2.0 }

[[work]]
name = "C"
backlog = 1
size = { dist = "fixed", value = 2.0 }
value = { dist = "fixed", value = 9.0 }

[[stages]]
name = "work"
workers = 1
service = { dist = "fixed", value = 1.0 }
"#;

#[test]
fn smiths_rule_cd3_is_optimal_and_others_match_hand_values() {
    // Value by day 100 = sum of rate x (100 - completion day).
    // FIFO A,B,C completes at 3,4,6: 10*97 + 2*96 + 9*94 = 2008.
    // Shortest first B,C,A at 1,3,6:  2*99 + 9*97 + 10*94 = 2011.
    // CD3 (10/3, 2/1, 9/2) C,A,B at 2,5,6: 9*98 + 10*95 + 2*94 = 2020, the best of all six
    // orders (2008, 2013, 2004, 2011, 2020, 2016): Smith's WSPT rule.
    let sc = parse(SMITH);
    let c = compare(
        &sc,
        &["fifo", "shortest-first", "cd3", "wsjf", "highest-value"],
    );
    assert_eq!(value(&c, 0), 2008.0);
    assert_eq!(value(&c, 1), 2011.0);
    assert_eq!(value(&c, 2), 2020.0);
    // Highest value first: A, C, B at 3, 5, 6 = 970 + 855 + 188.
    assert_eq!(value(&c, 4), 2013.0);
    // Cost of delay incurred: value had each job finished after its own work (2050), minus.
    assert_eq!(c.policies[2].outcomes.cost_of_delay.mean, Some(30.0));
    assert_eq!(c.policies[0].outcomes.cost_of_delay.mean, Some(42.0));
}

const BETS: &str = r#"
name = "bets"
horizon = 365.0
replications = 60
seed = 11

[[work]]
name = "slice"
kind = "feature"
size = { dist = "lognormal", median = 1.0, p90 = 2.0 }

[[epics]]
name = "bets"
work = "slice"
backlog = 30
arrival_rate = 0.1
success_probability = 0.33
slices = 5
experiment_size = 0.5
value = { dist = "lognormal", median = 500.0, p90 = 2500.0 }
feedback_delay = 14.0
false_positive = 0.1
false_negative = 0.2

[[stages]]
name = "build"
workers = 3
wip_limit = 6
service = { dist = "lognormal", median = 3.0, p90 = 8.0 }
"#;

#[test]
fn compare_uses_common_random_numbers() {
    let mut sc =
        parse(&(BETS.to_string() + "\n[[policies]]\nname = \"fifo-again\"\norder = \"fifo\"\n"));
    sc.replications = 20;
    let c = compare(&sc, &["fifo", "cd3", "outcome", "fifo-again"]);
    // Identical policies on the same replications differ by exactly zero.
    let d = &c.differences[3];
    assert_eq!(d.value_realised.mean, Some(0.0));
    assert_eq!(d.value_realised.ci95, Some(0.0));
    assert_eq!(d.p_beats_baseline, 0.0);
    // A policy's result inside compare equals its result from run with the same seed.
    for (i, name) in ["cd3", "outcome"].iter().enumerate() {
        let p = sc.policy_named(name).unwrap();
        let alone = experiment::run(&sc.stream, p.as_ref(), sc.seed, sc.replications, |_| {});
        let inside = &c.policies[i + 1];
        assert_eq!(
            alone.outcomes.value_realised, inside.outcomes.value_realised,
            "{name}"
        );
        assert_eq!(alone.lead_time, inside.lead_time, "{name}");
        assert_eq!(alone.events, inside.events, "{name}");
    }
}

#[test]
fn compare_json_matches_run_json_through_the_cli() {
    let out = |args: &[&str]| {
        let o = Command::cargo_bin("valueflow")
            .unwrap()
            .current_dir(root())
            .args(args)
            .output()
            .unwrap();
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        serde_json::from_slice::<serde_json::Value>(&o.stdout).unwrap()
    };
    let args = [
        "scenarios/outcomes.toml",
        "--reps",
        "12",
        "--format",
        "json",
    ];
    let cmp = out(&[
        &["compare"],
        &args[..],
        &["--policies", "fifo,feature-factory,cd3,outcome"],
    ]
    .concat());
    let run = out(&[&["run"], &args[..], &["--policy", "outcome"]].concat());
    let outcome = cmp["policies"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "outcome")
        .unwrap();
    assert_eq!(outcome["metrics"], run["metrics"]);
    assert_eq!(outcome["key_results"], run["key_results"]);
    for p in cmp["policies"].as_array().unwrap() {
        for m in ["value_realised", "cost_of_delay", "items_delivered"] {
            assert!(p["metrics"][m]["mean"].is_number(), "{m}");
        }
        for kr in p["key_results"].as_array().unwrap() {
            let prob = kr["probability"].as_f64().unwrap();
            assert!((0.0..=1.0).contains(&prob));
            assert!(kr["name"].is_string());
        }
    }
    assert_eq!(cmp["baseline"], "fifo");
}

/// `outcome`'s measuring, alone: the same CD3 ordering and thin slices without it.
const THIN_CD3: &str = "\n[[policies]]\nname = \"cd3-thin\"\norder = \"cd3\"\nthin_slices = true\n";

#[test]
fn measuring_cuts_waste_and_realises_more() {
    let sc = parse(&(BETS.to_string() + THIN_CD3));
    let c = compare(&sc, &["cd3-thin", "outcome"]);
    let waste = |i: usize| c.policies[i].outcomes.waste.mean.unwrap();
    assert!(c.policies[1].outcomes.bets_stopped.mean.unwrap() > 1.0);
    assert!(
        waste(1) < waste(0) * 0.9,
        "waste {} vs {}",
        waste(1),
        waste(0)
    );
    let d = &c.differences[1].value_realised;
    assert!(
        d.mean.unwrap() - d.ci95.unwrap() > 0.0,
        "measuring gains {:?} ± {:?}",
        d.mean,
        d.ci95
    );
}

#[test]
fn faster_feedback_is_worth_more_to_a_measuring_team() {
    let gain = |delay: &str| {
        let sc = parse(
            &(BETS.replace(
                "feedback_delay = 14.0",
                &format!("feedback_delay = {delay}"),
            ) + THIN_CD3),
        );
        let c = compare(&sc, &["cd3-thin", "outcome"]);
        c.differences[1].value_realised.mean.unwrap()
    };
    let (quick, slow) = (gain("3.0"), gain("60.0"));
    assert!(quick > slow * 1.2, "{quick} vs {slow}");
    // A team that never measures does not care how long measuring takes.
    let quick = parse(&BETS.replace("feedback_delay = 14.0", "feedback_delay = 3.0"));
    let slow = parse(&BETS.replace("feedback_delay = 14.0", "feedback_delay = 60.0"));
    assert_eq!(
        value(&compare(&quick, &["cd3"]), 0),
        value(&compare(&slow, &["cd3"]), 0)
    );
}

#[test]
fn noisy_measurement_costs_value_and_adds_waste() {
    let clean = parse(
        &BETS
            .replace("false_positive = 0.1", "false_positive = 0.0")
            .replace("false_negative = 0.2", "false_negative = 0.0"),
    );
    let noisy = parse(
        &BETS
            .replace("false_positive = 0.1", "false_positive = 0.4")
            .replace("false_negative = 0.2", "false_negative = 0.4"),
    );
    let c = compare(&clean, &["outcome"]);
    let n = compare(&noisy, &["outcome"]);
    assert!(
        value(&c, 0) > value(&n, 0) * 1.05,
        "{} vs {}",
        value(&c, 0),
        value(&n, 0)
    );
    let waste = |x: &Comparison| x.policies[0].outcomes.waste.mean.unwrap();
    assert!(waste(&n) > waste(&c), "{} vs {}", waste(&n), waste(&c));
}

const FLOW: &str = r#"
name = "features with debt and defects"
horizon = 365.0
replications = 40
seed = 5

[debt]
initial = 0.0
per_feature = 1.0
per_debt_item = 5.0
drag_per_point = 0.0
max_drag = 1.0

[[work]]
name = "feature"
arrival_rate = 0.5
value = { dist = "fixed", value = 10.0 }
spawns = { work = "defect", probability = 0.0, delay = { dist = "exponential", mean = 10.0 } }

[[work]]
name = "defect"
kind = "defect"
urgency = { class = "expedite", cost_per_day = 5.0 }

[[stages]]
name = "build"
workers = 2
service = { dist = "exponential", mean = 2.0 }
"#;

#[test]
fn debt_drag_slows_work_down() {
    let clean = parse(FLOW);
    let dragged = parse(&FLOW.replace("drag_per_point = 0.0", "drag_per_point = 0.002"));
    let a = compare(&clean, &["fifo"]);
    let b = compare(&dragged, &["fifo"]);
    let service = |c: &Comparison| c.policies[0].stages[0].service.mean.unwrap();
    let delivered = |c: &Comparison| c.policies[0].outcomes.items_delivered.mean.unwrap();
    assert!(
        service(&b) > service(&a) * 1.1,
        "{} vs {}",
        service(&b),
        service(&a)
    );
    assert!(
        delivered(&b) < delivered(&a),
        "{} vs {}",
        delivered(&b),
        delivered(&a)
    );
    assert!(value(&b, 0) < value(&a, 0));
}

#[test]
fn delivered_features_spawn_defects_that_cost() {
    let none = parse(FLOW);
    let some = parse(&FLOW.replace("probability = 0.0", "probability = 0.3"));
    let a = compare(&none, &["fifo"]);
    let b = compare(&some, &["fifo"]);
    let defects = |c: &Comparison| c.policies[0].outcomes.delivered_by_kind[1].mean.unwrap();
    assert_eq!(defects(&a), 0.0);
    // About 0.3 x 0.5 x 365 = 55 defects arrive; most are fixed.
    assert!(defects(&b) > 30.0, "{}", defects(&b));
    assert!(value(&b, 0) < value(&a, 0));
    assert!(b.policies[0].outcomes.cost_of_delay.mean > a.policies[0].outcomes.cost_of_delay.mean);
}

fn rejects(text: &str, expected: &[&str]) {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("bad.toml");
    std::fs::write(&file, text).unwrap();
    let out = Command::cargo_bin("valueflow")
        .unwrap()
        .arg("validate")
        .arg(&file)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    for e in expected {
        assert!(stderr.contains(e), "missing `{e}` in: {stderr}");
    }
}

#[test]
fn bad_value_input_is_named() {
    rejects(
        &BETS.replace("seed = 11", "seed = 11\ncompare = [\"fifo\", \"magic\"]"),
        &[
            "bad.toml:6:20: `compare[1]`: unknown policy `magic`",
            "outcome",
        ],
    );
    rejects(
        &(BETS.to_string()
            + "\n[[policies]]\nname = \"mine\"\norder = \"cd3\"\nallocation = { feature = 0.6, debt = 0.2 }\n"),
        &["`policies[0].allocation`: shares must sum to 1 (got 0.8"],
    );
    rejects(
        &FLOW.replace(
            "urgency = { class = \"expedite\", cost_per_day = 5.0 }",
            "urgency = { class = \"fixed-date\", deadline = -10.0, penalty = 100.0 }",
        ),
        &["`work[1].urgency.deadline`: must be a positive number of days"],
    );
    rejects(
        &(BETS.to_string()
            + "\n[[objectives]]\nname = \"o\"\nkey_results = [\"happiness >= 3\"]\n"),
        &[
            "`objectives[0].key_results[0]`: unknown metric `happiness`",
            "value_realised",
        ],
    );
    rejects(
        &BETS.replace("success_probability = 0.33", "success_probability = 1.5"),
        &["`epics[0].success_probability`: must be a probability from 0 to 1"],
    );
    rejects(
        &BETS.replace("experiment_size = 0.5", "experiment_size = 2.0"),
        &["`epics[0].experiment_size`: must be a share of one slice's work in (0, 1] (got 2)"],
    );
    rejects(
        &(BETS.to_string()
            + "\n[[policies]]\nname = \"mine\"\norder = \"cd3\"\nthin_slices = \"yes\"\n"),
        &["thin_slices"],
    );
}

#[test]
fn compare_cli_prints_a_ranking_with_the_headline() {
    Command::cargo_bin("valueflow")
        .unwrap()
        .current_dir(root())
        .args(["compare", "scenarios/outcomes.toml", "--reps", "20"])
        .assert()
        .success()
        .stdout(
            predicate::str::contains("Rank")
                .and(predicate::str::contains("P(beats)"))
                .and(predicate::str::contains("realised the most value"))
                .and(predicate::str::contains(
                    "value_realised >= 2000000 by day 365",
                )),
        );
    Command::cargo_bin("valueflow")
        .unwrap()
        .current_dir(root())
        .args([
            "compare",
            "scenarios/outcomes.toml",
            "--policies",
            "fifo,nope",
        ])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--policies").and(predicate::str::contains("nope")));
}
