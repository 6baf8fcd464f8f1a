//! The command line: exit codes, messages, safe output files, formats, determinism.

use super::root;
use assert_cmd::Command;
use predicates::prelude::*;
use std::path::Path;

fn valueflow() -> Command {
    let mut c = Command::cargo_bin("valueflow").unwrap();
    c.current_dir(root());
    c
}

const SMALL: &[&str] = &["--reps", "4", "--horizon", "2000", "--warmup", "100"];

/// A valid scenario with one line replaced, for bad-input tests.
const BASE: &str = r#"name = "t"
horizon = 1000.0
warmup = 10.0
replications = 2

[[work]]
name = "job"
arrival_rate = 0.5

[[stages]]
name = "build"
workers = 1
service = { dist = "exponential", mean = 1.0 }

[[stages]]
name = "test"
workers = 2
service = { dist = "exponential", mean = 1.0 }
"#;

fn write(dir: &Path, name: &str, text: &str) -> std::path::PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p
}

/// Runs `validate` on `text` and checks it fails with exit 2 and every `expected` fragment.
fn rejects(text: &str, expected: &[&str]) {
    let dir = tempfile::tempdir().unwrap();
    let file = write(dir.path(), "bad.toml", text);
    let out = valueflow().arg("validate").arg(&file).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "stderr: {stderr}");
    assert!(stderr.contains("bad.toml"), "file not named: {stderr}");
    for e in expected {
        assert!(stderr.contains(e), "missing `{e}` in: {stderr}");
    }
    assert!(!stderr.contains("panicked"), "{stderr}");
}

#[test]
fn validate_accepts_every_example() {
    for f in super::all_scenarios() {
        valueflow()
            .arg("validate")
            .arg(&f)
            .assert()
            .success()
            .stdout(predicate::str::contains("is a valid scenario"));
    }
}

#[test]
fn run_prints_flow_framework_table() {
    let (table, _) = succeeds(&["run", "scenarios/mm1.toml", "--reps", "4", "--seed", "3"]);
    for needle in [
        "Cycle time (flow time), days",
        "Lead time, days",
        "Flow velocity",
        "Flow load (WIP, committed)",
        "Backlog (not committed)",
        "Flow efficiency",
        "entering serve",
        "Where the days go",
        "Steady state: ",
        "Constraint: serve (busy ",
    ] {
        assert!(table.contains(needle), "{needle} not in\n{table}");
    }
}

#[test]
fn json_has_the_documented_shape() {
    let out = valueflow()
        .args(["run", "scenarios/tandem.toml", "--format", "json"])
        .args(SMALL)
        .output()
        .unwrap();
    assert!(out.status.success());
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["schema_version"], 3);
    assert_eq!(v["replications"], 4);
    assert_eq!(v["seed"], 3);
    assert_eq!(v["policy"], "fifo");
    for m in [
        "lead_time",
        "cycle_time",
        "backlog_time",
        "throughput",
        "arrival_rate",
        "wip",
        "backlog",
        "growth_per_month",
        "wip_growth_per_month",
        "flow_efficiency",
    ] {
        for k in ["mean", "ci95", "p50", "p85", "p95"] {
            assert!(v["metrics"][m][k].is_number(), "metrics.{m}.{k}");
        }
    }
    assert_eq!(v["stages"].as_array().unwrap().len(), 3);
    for k in [
        "service",
        "utilization",
        "blocked",
        "starved",
        "queue_length",
    ] {
        assert!(v["stages"][1][k]["mean"].is_number(), "stages[1].{k}");
    }
    for k in ["queue", "touch", "blocked", "release", "rework"] {
        for q in ["mean", "p85"] {
            assert!(
                v["stages"][1]["time"][k][q].is_number(),
                "stages[1].time.{k}.{q}"
            );
        }
    }
    assert_eq!(v["stages"][0]["commitment"], true);
    assert_eq!(v["stages"][1]["commitment"], false);
    assert_eq!(v["stability"]["steady_state"], true);
    assert_eq!(v["stability"]["verdict"], "steady");
    assert!(v["stability"]["statement"]
        .as_str()
        .unwrap()
        .starts_with("Steady state: "));
    assert!(v["bottleneck"]["stage"].is_string());
    assert!(v["bottleneck"]["busy"].is_number());
    assert_eq!(v["work"][0]["name"], "job");
    assert!(v["work"][0]["completed"]["mean"].is_number());
}

#[test]
fn overrides_take_effect() {
    let out = valueflow()
        .args([
            "run",
            "scenarios/mm1.toml",
            "--format",
            "json",
            "--reps",
            "3",
            "--seed",
            "9",
        ])
        .args(["--horizon", "500", "--warmup", "50"])
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["replications"], 3);
    assert_eq!(v["seed"], 9);
    assert_eq!(v["horizon"], 500.0);
    assert_eq!(v["warmup"], 50.0);
}

#[test]
fn same_seed_is_bit_identical_for_any_thread_count() {
    let run = |threads: &str| {
        valueflow()
            .env("RAYON_NUM_THREADS", threads)
            .args([
                "run",
                "scenarios/delivery-team.toml",
                "--format",
                "json",
                "--reps",
                "300",
            ])
            .output()
            .unwrap()
            .stdout
    };
    let one = run("1");
    assert!(!one.is_empty());
    assert_eq!(one, run("2"));
    assert_eq!(one, run("2"));
}

#[test]
fn yaml_and_json_give_the_same_results_as_toml() {
    let args = ["--format", "json", "--reps", "4", "--horizon", "3000"];
    let toml = valueflow()
        .args(["run", "scenarios/mm1.toml"])
        .args(args)
        .output()
        .unwrap();
    let yaml = valueflow()
        .args(["run", "tests/fixtures/mm1.yaml"])
        .args(args)
        .output()
        .unwrap();
    let json = valueflow()
        .args(["run", "tests/fixtures/mm1.json"])
        .args(args)
        .output()
        .unwrap();
    assert!(toml.status.success());
    assert_eq!(toml.stdout, yaml.stdout);
    assert_eq!(toml.stdout, json.stdout);
}

#[test]
fn out_writes_csv_and_refuses_to_overwrite() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("results.csv");
    valueflow()
        .args(["run", "scenarios/mm1.toml", "--format", "csv", "--out"])
        .arg(&out)
        .args(SMALL)
        .assert()
        .success();
    let text = std::fs::read_to_string(&out).unwrap();
    assert!(text.starts_with(
        "scenario,policy,section,name,metric,mean,ci95,p50,p85,p95,ci95_low,ci95_high\n"
    ));
    assert!(text.contains(",flow,all,lead_time,"));

    std::fs::write(&out, "precious").unwrap();
    valueflow()
        .args(["run", "scenarios/mm1.toml", "--format", "csv", "--out"])
        .arg(&out)
        .args(SMALL)
        .assert()
        .code(2)
        .stderr(
            predicate::str::contains("already exists").and(predicate::str::contains("--force")),
        );
    assert_eq!(std::fs::read_to_string(&out).unwrap(), "precious");

    valueflow()
        .args([
            "run",
            "scenarios/mm1.toml",
            "--format",
            "csv",
            "--force",
            "--out",
        ])
        .arg(&out)
        .args(SMALL)
        .assert()
        .success();
    assert!(std::fs::read_to_string(&out)
        .unwrap()
        .starts_with("scenario,"));
    // No temporary files are left behind.
    let leftovers: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
    assert_eq!(leftovers.len(), 1);
}

#[test]
fn bad_scenario_creates_no_output_file() {
    let dir = tempfile::tempdir().unwrap();
    let bad = write(
        dir.path(),
        "bad.toml",
        &BASE.replace("workers = 1", "workers = 0"),
    );
    let out = dir.path().join("out.json");
    valueflow()
        .arg("run")
        .arg(&bad)
        .arg("--out")
        .arg(&out)
        .assert()
        .code(2);
    assert!(!out.exists());
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
}

#[test]
fn missing_and_empty_files() {
    valueflow()
        .args(["validate", "scenarios/no-such-file.toml"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("no-such-file.toml"));
    rejects("", &["empty"]);
    rejects("# only a comment\n", &["empty"]);
    let dir = tempfile::tempdir().unwrap();
    let f = write(dir.path(), "s.txt", BASE);
    valueflow()
        .arg("validate")
        .arg(&f)
        .assert()
        .code(2)
        .stderr(predicate::str::contains(".toml, .yaml, .yml or .json"));
}

#[test]
fn unknown_key_is_named_with_its_line() {
    rejects(
        &BASE.replace("workers = 2", "workers = 2\nwip_limt = 3"),
        &[
            "bad.toml:18:1: `stages[1].wip_limt`: unknown field `wip_limt`",
            "expected one of",
            "wip_limit",
        ],
    );
}

#[test]
fn missing_required_key() {
    rejects(
        &BASE.replace("horizon = 1000.0\n", ""),
        &["horizon", "required"],
    );
}

#[test]
fn wrong_type_is_named() {
    rejects(
        &BASE.replace("arrival_rate = 0.5", "arrival_rate = \"fast\""),
        &["bad.toml:8", "arrival_rate"],
    );
}

#[test]
fn every_semantic_problem_is_reported_at_once() {
    let text = BASE
        .replace("workers = 1", "workers = 0\nwip_limit = 0")
        .replace("arrival_rate = 0.5", "arrival_rate = -1.0")
        .replace(
            "name = \"test\"\nworkers = 2",
            "name = \"test\"\nworkers = 2\nrework = { to = \"deploy\", probability = 1.5 }",
        )
        .replace("mean = 1.0 }\n\n[[stages]]", "mean = -2.0 }\n\n[[stages]]");
    rejects(
        &text,
        &[
            "6 problems",
            "bad.toml:12:1: `stages[0].workers`: must be a whole number from 1 to 100000 (got 0)",
            "`stages[0].wip_limit`",
            "`work[0].arrival_rate`: must be a positive number (got -1)",
            "`stages[1].rework.to`: `deploy` is not an earlier stage; valid: build",
            "`stages[1].rework.probability`",
            "`stages[0].service`: impossible `exponential` distribution",
        ],
    );
}

#[test]
fn distribution_parameters_are_checked() {
    rejects(
        &BASE.replace(
            "{ dist = \"exponential\", mean = 1.0 }\n\n[[stages]]",
            "{ dist = \"triangular\", min = 3, mode = 1, max = 2 }\n\n[[stages]]",
        ),
        &["stages[0].service", "min <= mode <= max"],
    );
    rejects(
        &BASE.replace(
            "{ dist = \"exponential\", mean = 1.0 }\n\n[[stages]]",
            "{ dist = \"normal\", mean = 1 }\n\n[[stages]]",
        ),
        &[
            "stages[0].service.dist",
            "unknown distribution `normal`",
            "lognormal, gamma, weibull",
        ],
    );
    rejects(
        &BASE.replace(
            "{ dist = \"exponential\", mean = 1.0 }\n\n[[stages]]",
            "{ dist = \"weibull\", mean = 1 }\n\n[[stages]]",
        ),
        &["`weibull` takes `shape` and `scale`, or `mean` and `shape` (got mean)"],
    );
    rejects(
        &BASE.replace(
            "{ dist = \"exponential\", mean = 1.0 }\n\n[[stages]]",
            "{ dist = \"weibull\", shape = 0.1, scale = 2.0 }\n\n[[stages]]",
        ),
        &[
            "bad.toml:13:1: `stages[0].service`: impossible `weibull` distribution",
            "`shape` must be at least 0.2 (got 0.1)",
        ],
    );
    // Both Weibull forms are accepted (Magennis's shape 1.5 for software lead times).
    let dir = tempfile::tempdir().unwrap();
    for form in ["shape = 1.5, scale = 2.0", "mean = 1.8, shape = 1.5"] {
        let file = write(
            dir.path(),
            "ok.toml",
            &BASE.replace(
                "{ dist = \"exponential\", mean = 1.0 }\n\n[[stages]]",
                &format!("{{ dist = \"weibull\", {form} }}\n\n[[stages]]"),
            ),
        );
        valueflow()
            .arg("validate")
            .arg(&file)
            .assert()
            .success()
            .stdout(predicates::str::contains("weibull("));
    }
    rejects(
        &BASE.replace(
            "{ dist = \"exponential\", mean = 1.0 }\n\n[[stages]]",
            "{ dist = \"lognormal\", mean = 1 }\n\n[[stages]]",
        ),
        &["`lognormal` takes `median` and `p90`, or `mean` and `sd`"],
    );
}

#[test]
fn empty_stage_list_and_unknown_policy() {
    let no_stages = "stages = []\n".to_string() + BASE.split("[[stages]]").next().unwrap();
    rejects(&no_stages, &["`stages`", "at least one stage"]);
    rejects(
        &BASE.replace("replications = 2", "replications = 2\npolicy = \"random\""),
        &[
            "bad.toml:5:1: `policy`",
            "unknown policy `random`",
            "fifo, priority",
        ],
    );
}

#[test]
fn yaml_errors_have_lines_too() {
    let dir = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string(root().join("tests/fixtures/mm1.yaml"))
        .unwrap()
        .replace("workers: 1", "workers: 0");
    let f = write(dir.path(), "bad.yaml", &text);
    valueflow()
        .arg("validate")
        .arg(&f)
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "bad.yaml:13:5: `stages[0].workers`",
        ));
}

#[test]
fn bad_overrides_exit_2() {
    valueflow()
        .args(["run", "scenarios/mm1.toml", "--reps", "0"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--reps"));
    valueflow()
        .args([
            "run",
            "scenarios/mm1.toml",
            "--horizon",
            "100",
            "--warmup",
            "200",
        ])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("shorter than the horizon"));
    valueflow()
        .args(["run", "scenarios/mm1.toml", "--format", "xml"])
        .assert()
        .code(2);
}

#[test]
fn offered_load_is_information_in_validate_not_an_alarm_before_a_run() {
    let dir = tempfile::tempdir().unwrap();
    let f = write(
        dir.path(),
        "hot.toml",
        &BASE.replace("arrival_rate = 0.5", "arrival_rate = 1.2"),
    );
    let f = f.to_str().unwrap();
    let (text, _) = succeeds(&["validate", f]);
    assert!(
        text.contains("note: stage `build` is offered 120% of its capacity")
            && text.contains("offered utilisation is an estimate before any run")
            && text.contains("blocking by WIP limits"),
        "{text}"
    );
    let (_, stderr) = succeeds(&["run", f, "--quiet"]);
    assert!(!stderr.contains("offered"), "{stderr}");
}

/// A WIP limit below the workers: the estimate per worker (0.5 × 1 / 2 = 25%) hides that one of
/// the two can never work under a policy that keeps the limits; `validate` says so, with the
/// load over the one who can (50%), and says it is more than the stage can finish when it is.
#[test]
fn validate_notes_workers_a_wip_limit_leaves_idle() {
    let dir = tempfile::tempdir().unwrap();
    let limited = BASE.replace(
        "name = \"test\"\nworkers = 2\n",
        "name = \"test\"\nworkers = 2\nwip_limit = 1\n",
    );
    assert_ne!(limited, BASE);
    let f = write(dir.path(), "limited.toml", &limited);
    let (text, _) = succeeds(&["validate", f.to_str().unwrap()]);
    assert!(
        text.contains("note: stage `test` has 2 workers and a WIP limit of 1, so under a policy that keeps WIP limits one of them idles for want of room: over the 1 who can work it is offered 50%\n"),
        "{text}"
    );
    let hot = write(
        dir.path(),
        "hot.toml",
        &limited.replace("arrival_rate = 0.5", "arrival_rate = 0.8"),
    );
    let (text, _) = succeeds(&["validate", hot.to_str().unwrap()]);
    assert!(
        text.contains("over the 1 who can work it is offered 80%\n")
            && !text.contains("note: stage `test` is offered"),
        "{text}"
    );
    let over = write(
        dir.path(),
        "over.toml",
        &limited
            .replace("arrival_rate = 0.5", "arrival_rate = 1.1")
            .replace(
                "name = \"build\"\nworkers = 1",
                "name = \"build\"\nworkers = 2",
            ),
    );
    let (text, _) = succeeds(&["validate", over.to_str().unwrap()]);
    assert!(
        text.contains("over the 1 who can work it is offered 110%, more than it can finish\n"),
        "{text}"
    );
    let (text, _) = succeeds(&[
        "validate",
        f.to_str().unwrap(),
        "--set",
        "stages.test.wip_limit=2",
    ]);
    assert!(!text.contains("for want of room"), "{text}");
}

/// A stable and an unstable scenario: the stability verdict in the table, the JSON and the
/// report, and `--quiet` silences the progress bar, not the verdict.
#[test]
fn stability_is_checked_after_every_run() {
    let dir = tempfile::tempdir().unwrap();
    let stable = write(dir.path(), "stable.toml", BASE);
    let hot = write(
        dir.path(),
        "hot.toml",
        &BASE.replace("arrival_rate = 0.5", "arrival_rate = 1.2"),
    );
    let (stable, hot) = (stable.to_str().unwrap(), hot.to_str().unwrap());

    let (table, _) = succeeds(&["run", stable, "--quiet"]);
    assert!(table.contains("Steady state: "), "{table}");
    assert!(!table.contains("Not a steady state"), "{table}");
    let (json, _) = succeeds(&["run", stable, "--format", "json"]);
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(v["stability"]["steady_state"], true);

    // 1.2 items a day arrive at a stage that finishes 1 a day: about 6 items a month pile up.
    // Two replications cannot tell that from noise; twenty can.
    let (table, _) = succeeds(&["run", hot, "--quiet"]);
    assert!(table.contains("Stability undetermined: "), "{table}");
    let (table, _) = succeeds(&["run", hot, "--quiet", "--reps", "20"]);
    let line = table
        .lines()
        .find(|l| l.starts_with("Not a steady state: the work waiting grows by about "))
        .unwrap_or_else(|| panic!("no stability warning in\n{table}"));
    assert!(line.contains("censored by the horizon"), "{line}");
    let (json, _) = succeeds(&["run", hot, "--format", "json", "--reps", "20"]);
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    let st = &v["stability"];
    assert_eq!(st["steady_state"], false);
    assert_eq!(st["verdict"], "unstable");
    let growth = st["growth_per_month"].as_f64().unwrap();
    assert!((4.0..8.0).contains(&growth), "{st}");
    assert!(st["throughput"].as_f64().unwrap() < st["arrival_rate"].as_f64().unwrap());

    let out = dir.path().join("report");
    succeeds(&[
        "report",
        hot,
        "--quiet",
        "--reps",
        "20",
        "--policies",
        "fifo,priority",
        "--out",
        out.to_str().unwrap(),
    ]);
    let md = std::fs::read_to_string(out.join("summary.md")).unwrap();
    assert!(
        md.contains("- Under fifo: Not a steady state: the work waiting grows by about "),
        "{md}"
    );
}

/// Runs `args` and returns (stdout, stderr), asserting success.
/// Runs the binary from the project root; asserts success; returns (stdout, stderr).
pub(super) fn succeeds(args: &[&str]) -> (String, String) {
    let out = valueflow().args(args).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).to_string();
    assert!(out.status.success(), "{args:?}: {stderr}");
    (String::from_utf8(out.stdout).unwrap(), stderr)
}

#[test]
fn compare_reports_instability_per_policy_after_the_run_not_before() {
    let (table, stderr) = succeeds(&["compare", "scenarios/outcomes.toml", "--reps", "20"]);
    assert!(!stderr.contains("offered"), "pre-run warning: {stderr}");
    assert!(!table.contains("offered"), "{table}");
    // The feature factory builds every slice of every bet: its queue grows.
    let unstable: Vec<&str> = table
        .lines()
        .filter(|l| {
            l.starts_with("Under ")
                && (l.contains(": Not a steady state: ")
                    || l.contains(": Stability undetermined: "))
        })
        .collect();
    assert!(
        unstable.iter().any(|l| l.starts_with(
            "Under feature-factory: Not a steady state: the work waiting grows by about "
        )),
        "{table}"
    );
    // The table flags exactly the policies the JSON shows as not steady.
    let (json, _) = succeeds(&[
        "compare",
        "scenarios/outcomes.toml",
        "--reps",
        "20",
        "--format",
        "json",
    ]);
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(v["warnings"], serde_json::json!([]));
    for p in v["policies"].as_array().unwrap() {
        let name = p["name"].as_str().unwrap();
        let st = &p["stability"];
        let flagged = unstable
            .iter()
            .any(|l| l.starts_with(&format!("Under {name}: ")));
        assert_eq!(flagged, st["verdict"] != "steady", "{name}: {st}");
        let g = &p["metrics"]["growth_per_month"];
        let (mean, ci) = (g["mean"].as_f64().unwrap(), g["ci95"].as_f64().unwrap());
        assert_eq!(
            st["verdict"] == "unstable",
            mean - ci > 0.0 && mean >= 1.0,
            "{name}: {g}"
        );
    }
    // The report folder has no pre-run warning either, and says the same in its takeaways.
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("report");
    let (_, stderr) = succeeds(&[
        "report",
        "scenarios/outcomes.toml",
        "--reps",
        "20",
        "--quiet",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(!stderr.contains("offered"), "{stderr}");
    let md = std::fs::read_to_string(out.join("summary.md")).unwrap();
    for line in &unstable {
        assert!(md.contains(&format!("- {line}")), "{line} not in {md}");
    }
    assert!(!md.contains("offered"), "{md}");
}

#[test]
fn compare_shows_each_policys_lead_time_per_work_type_as_in_the_json() {
    let args = ["compare", "scenarios/delivery-team.toml", "--reps", "10"];
    let (table, _) = succeeds(&args);
    let (json, _) = succeeds(&[&args[..], &["--format", "json"]].concat());
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    let policies = v["policies"].as_array().unwrap();
    let section: Vec<&str> = table
        .lines()
        .skip_while(|l| !l.starts_with("Lead time by work type, days: mean / p85"))
        .take_while(|l| !l.is_empty())
        .collect();
    let header: Vec<&str> = section[1].split_whitespace().collect();
    let names: Vec<&str> = policies
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    assert_eq!(header, names, "{table}");
    let types = policies[0]["work"].as_array().unwrap();
    assert_eq!(section.len(), 2 + types.len(), "{table}");
    for (row, w) in section[2..].iter().zip(types) {
        let cells: Vec<&str> = row.split_whitespace().collect();
        assert_eq!(cells[0], w["name"].as_str().unwrap());
        for (k, p) in policies.iter().enumerate() {
            let i = types.iter().position(|t| t == w).unwrap();
            let lead = &p["work"][i]["lead_time"];
            // "mean / p85", 4 significant digits as everywhere in the table.
            let mean: f64 = cells[1 + 3 * k].parse().unwrap();
            let p85: f64 = cells[3 + 3 * k].parse().unwrap();
            for (shown, exact) in [(mean, &lead["mean"]), (p85, &lead["p85"])] {
                let exact = exact.as_f64().unwrap();
                assert!((shown - exact).abs() <= exact.abs() * 1e-3, "{row}: {lead}");
            }
        }
    }
    // One work type: no section.
    let (single, _) = succeeds(&["compare", "scenarios/mm1.toml", "--reps", "5"]);
    assert!(!single.contains("Lead time by work type"), "{single}");
}

#[test]
fn compare_json_carries_the_interval_of_p_beats_baseline() {
    let (json, _) = succeeds(&[
        "compare",
        "scenarios/outcomes.toml",
        "--reps",
        "20",
        "--format",
        "json",
    ]);
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    let baseline = v["baseline"].as_str().unwrap();
    for p in v["policies"].as_array().unwrap() {
        let d = &p["vs_baseline"];
        let f = |k: &str| d[k].as_f64().unwrap_or_else(|| panic!("{k} in {d}"));
        let (low, prob, high) = (
            f("p_beats_baseline_ci95_low"),
            f("p_beats_baseline"),
            f("p_beats_baseline_ci95_high"),
        );
        assert!(
            0.0 <= low && low <= prob && prob <= high && high <= 1.0,
            "{d}"
        );
        if p["name"] == baseline {
            assert_eq!((low, prob, high), (0.0, 0.0, 0.0));
        } else {
            // A share of 20 replications: the interval is wide, never a point.
            assert!(high - low > 0.1, "{d}");
        }
        if prob == 1.0 {
            // Wilson at 20 of 20: [n / (n + z²), 1].
            assert!((low - 20.0 / (20.0 + 1.96f64.powi(2))).abs() < 1e-3, "{d}");
            assert_eq!(high, 1.0);
        }
        for kr in p["key_results"].as_array().unwrap() {
            let g = |k: &str| kr[k].as_f64().unwrap_or_else(|| panic!("{k} in {kr}"));
            assert!(
                g("ci95_low") <= g("probability") && g("probability") <= g("ci95_high"),
                "{kr}"
            );
            assert!(kr.get("ci95").is_none(), "the half-width is gone: {kr}");
        }
    }
}

#[test]
fn commitment_names_a_stage_or_is_rejected_with_the_valid_ones() {
    rejects(
        &BASE.replace(
            "replications = 2\n",
            "replications = 2\ncommitment = \"deploy\"\n",
        ),
        &[
            "bad.toml:5:",
            "`commitment`",
            "`deploy` is not a stage",
            "valid: build, test",
        ],
    );
    let dir = tempfile::tempdir().unwrap();
    let f = write(
        dir.path(),
        "late.toml",
        &BASE.replace(
            "replications = 2\n",
            "replications = 2\ncommitment = \"test\"\n",
        ),
    );
    let f = f.to_str().unwrap();
    let (text, _) = succeeds(&["validate", f]);
    assert!(text.contains("commitment point: entering test"), "{text}");
    let (table, _) = succeeds(&["run", f, "--quiet"]);
    assert!(table.contains("entering test, to delivery"), "{table}");
    assert!(table.contains("▸ test"), "{table}");
}

// ---- Messages (issue 9): the source line under every problem, right locations in every
// format, short output whatever the input's size, wording in the user's terms. Tests run
// without a terminal, so they see the compact style unless `VALUEFLOW_ERRORS` says otherwise
// (docs/errors.md).

/// Runs `validate` on `text` saved as `name`, with `VALUEFLOW_ERRORS=style` if given; checks
/// exit 2 and no panic; returns stderr.
fn validate_fails(name: &str, text: &str, style: Option<&str>) -> String {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), name, text);
    let mut cmd = valueflow();
    cmd.current_dir(dir.path())
        .args(["validate", name])
        .env_remove("VALUEFLOW_ERRORS");
    if let Some(style) = style {
        cmd.env("VALUEFLOW_ERRORS", style);
    }
    let out = cmd.output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(out.status.code(), Some(2), "stderr: {stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    stderr
}

/// The same stream with a YAML flow mapping and a JSON object on the error line, and a
/// non-ASCII name before it.
const NESTED_YAML: &str = "name: \"Équipe ☃ flow\"
horizon: 1000.0
work:
  - name: \"tâche-日本\"
    arrival_rate: 0.5
    size: {dist: fixed, value: 2}
    value: {dist: fixed, value: -5}
stages:
  - {name: \"ステージ\", workers: 1, service: {dist: exponential, mean: 1.0}}
";

const NESTED_JSON: &str = r#"{
  "name": "Équipe ☃ flow",
  "horizon": 1000.0,
  "work": [
    { "name": "tâche-日本", "arrival_rate": 0.5, "size": {"dist": "fixed", "value": 2},
      "value": {"dist": "fixed", "value": -5} }
  ],
  "stages": [
    { "name": "ステージ", "workers": 1, "service": {"dist": "exponential", "mean": 1.0} }
  ]
}
"#;

#[test]
fn toml_syntax_error_shows_the_source_line_with_a_caret() {
    let stderr = validate_fails(
        "bad.toml",
        &BASE.replace("horizon = 1000.0", "horizon = = 100"),
        None,
    );
    assert!(
        stderr.contains("\n  bad.toml:2:11: extra `=`"),
        "one header line with file:line:column: {stderr}"
    );
    assert!(
        stderr.contains("\n    2 | horizon = = 100\n      |           ^\n"),
        "{stderr}"
    );
}

#[test]
fn semantic_problem_shows_file_key_line_column_and_the_line() {
    let stderr = validate_fails(
        "bad.toml",
        &BASE.replace("workers = 1", "workers = 0"),
        None,
    );
    assert!(
        stderr.contains(
            "  bad.toml:12:1: `stages[0].workers`: must be a whole number from 1 to 100000 (got 0)\n    12 | workers = 0\n       | ^^^^^^^\n"
        ),
        "{stderr}"
    );
}

#[test]
fn terminal_style_draws_rustc_like_snippets_and_short_style_one_line_per_problem() {
    let text = BASE.replace("horizon = 1000.0", "horizon = = 100");
    let rich = validate_fails("bad.toml", &text, Some("rich"));
    for needle in [
        "error: extra `=`, expected nothing",
        "--> bad.toml:2:11",
        "2 | horizon = = 100",
        "|           ^",
        "error: bad.toml is not a valid scenario (1 problem)",
    ] {
        assert!(rich.contains(needle), "`{needle}` not in:\n{rich}");
    }
    assert!(!rich.contains('\u{1b}'), "no colour off a terminal: {rich}");
    let short = validate_fails("bad.toml", &text, Some("short"));
    assert_eq!(
        short.trim_end(),
        "error: bad.toml is not a valid scenario (1 problem):\n  bad.toml:2:11: extra `=`, expected nothing"
    );
}

/// A misspelt policy in a file gets the closest valid name, as `--policy` does; one item of a
/// list of values is not settable alone, and the message says how to set the list.
#[test]
fn a_misspelt_policy_in_a_file_and_a_value_list_item_get_a_way_forward() {
    // Top-level keys, before the first table.
    let text = BASE.replacen(
        "replications = 2\n",
        "replications = 2\npolicy = \"cdd3\"\ncompare = [\"fifo\", \"outcom\"]\n",
        1,
    );
    let stderr = validate_fails("bad.toml", &text, None);
    assert!(
        stderr.contains("unknown policy `cdd3`; did you mean `cd3`?"),
        "{stderr}"
    );
    assert!(
        stderr.contains("unknown policy `outcom`; did you mean `outcome`?"),
        "{stderr}"
    );
    valueflow()
        .args(["validate", "scenarios/key-results.toml", "--set"])
        .arg("objectives.0.key_results.1=\"items_delivered >= 3\"")
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "a list of values, which is set whole",
        ))
        .stderr(predicate::str::contains(
            "--set 'objectives.0.key_results=[...]'",
        ));
}

/// The bracketed path an error message prints (`stages[1].workers`) can be pasted into
/// `--set` and `--vary`: it is the same key as `stages.1.workers` (where no stage is named
/// `1`), and an axis is named as written.
#[test]
fn set_and_vary_take_the_path_as_error_messages_print_it() {
    let run = |set: &str| {
        let out = valueflow()
            .args(["run", "scenarios/delivery-team.toml", "--reps", "3", "-q"])
            .args(["--format", "json", "--set", set])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        out.stdout
    };
    assert_eq!(run("stages[1].workers=5"), run("stages.1.workers=5"));
    valueflow()
        .args(["sweep", "scenarios/delivery-team.toml", "--reps", "2", "-q"])
        .args(["--vary", "stages[1].workers=2..3"])
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "stages[1].workers  value realised",
        ));
}

/// An item of an array (a key result) is marked whole, quotes included, not by its first
/// character, in every format.
#[test]
fn a_value_in_an_array_is_marked_whole() {
    let kr = "\"items_delivered >= 5 by day 5000\"";
    // The carets drawn under each excerpt, as runs of `^`.
    let runs = |stderr: &str| -> Vec<usize> {
        stderr
            .lines()
            .filter_map(|l| l.split_once(" | ").map(|(_, after)| after.trim()))
            .filter(|after| !after.is_empty() && after.chars().all(|c| c == '^'))
            .map(str::len)
            .collect()
    };
    let toml = format!("{BASE}\n[[objectives]]\nname = \"o\"\nkey_results = [{kr}, {kr}]\n");
    let yaml = format!(
        "{}objectives:\n  - name: o\n    key_results: [{kr}, {kr}]\n",
        NESTED_YAML.replace("-5", "5")
    );
    let json = NESTED_JSON.replace("-5", "5").replace(
        "  \"horizon\": 1000.0,",
        &format!(
            "  \"horizon\": 1000.0,\n  \"objectives\": [{{\"name\": \"o\", \"key_results\": [{kr}, {kr}]}}],"
        ),
    );
    for (name, text) in [("bad.toml", toml), ("bad.yaml", yaml), ("bad.json", json)] {
        let stderr = validate_fails(name, &text, None);
        assert!(stderr.contains("key_results[1]`: day 5000"), "{stderr}");
        assert_eq!(runs(&stderr), [kr.len(), kr.len()], "{name}: {stderr}");
    }
}

#[test]
fn yaml_and_json_locations_stay_inside_the_enclosing_mapping() {
    // `size: {dist: fixed, value: 2}` comes first; the problem is the `value` after it.
    let stderr = validate_fails("bad.yaml", NESTED_YAML, None);
    assert!(
        stderr.contains("bad.yaml:7:5: `work[0].value`: impossible `fixed` distribution"),
        "{stderr}"
    );
    assert!(
        stderr.contains("    7 |     value: {dist: fixed, value: -5}\n      |     ^^^^^\n"),
        "{stderr}"
    );
    let stderr = validate_fails("bad.json", NESTED_JSON, None);
    assert!(
        stderr.contains("bad.json:6:7: `work[0].value`: impossible `fixed` distribution"),
        "{stderr}"
    );
}

#[test]
fn yaml_and_json_columns_count_characters_not_bytes() {
    // On the error line, `ステージ` is 4 characters and 12 bytes.
    let yaml = NESTED_YAML
        .replace("value: -5", "value: 5")
        .replace("workers: 1", "workers: 0");
    let stderr = validate_fails("bad.yaml", &yaml, None);
    assert!(
        stderr.contains("bad.yaml:9:20: `stages[0].workers`"),
        "{stderr}"
    );
    let json = NESTED_JSON
        .replace("\"value\": -5", "\"value\": 5")
        .replace("\"workers\": 1", "\"workers\": 0");
    let stderr = validate_fails("bad.json", &json, None);
    assert!(
        stderr.contains("bad.json:9:23: `stages[0].workers`"),
        "{stderr}"
    );
    // TOML, through the same line/column counting.
    let toml = BASE
        .replace(
            "name = \"build\"\nworkers = 1",
            "name = \"ステージ\"\nworkers = 1",
        )
        .replace(
            "workers = 1\nservice = { dist = \"exponential\", mean = 1.0 }",
            "workers = 1\nservice = { dist = \"ステ\", mean = 1.0 }",
        );
    let stderr = validate_fails("bad.toml", &toml, None);
    assert!(
        stderr.contains("bad.toml:13:13: `stages[0].service.dist`"),
        "{stderr}"
    );
}

#[test]
fn a_float_where_a_whole_number_belongs_says_a_whole_number() {
    let toml = BASE.replace("workers = 1", "workers = 2.5");
    let yaml = NESTED_YAML
        .replace("value: -5", "value: 5")
        .replace("workers: 1", "workers: 2.5");
    let json = NESTED_JSON
        .replace("\"value\": -5", "\"value\": 5")
        .replace("\"workers\": 1", "\"workers\": 2.5");
    for (name, text, at) in [
        ("bad.toml", toml, "bad.toml:12:11"),
        ("bad.yaml", yaml, "bad.yaml:9:29"),
        ("bad.json", json, "bad.json:9:23"),
    ] {
        let stderr = validate_fails(name, &text, None);
        assert!(
            stderr.contains(&format!(
                "{at}: `stages[0].workers`: must be a whole number (got 2.5)"
            )),
            "{stderr}"
        );
        assert!(!stderr.contains("i64"), "{stderr}");
    }
}

#[test]
fn unknown_key_suggests_the_closest_valid_one() {
    let stderr = validate_fails(
        "bad.toml",
        &BASE.replace("workers = 2", "workers = 2\nwip_limt = 3"),
        None,
    );
    assert!(stderr.contains("did you mean `wip_limit`?"), "{stderr}");
}

#[test]
fn errors_stay_short_whatever_the_input_size() {
    // A 1 MB name, used twice, and a policy name of 1 MB.
    let huge = "x".repeat(1_000_000);
    let text = BASE
        .replace("name = \"job\"", &format!("name = \"{huge}\""))
        .replace("name = \"test\"", &format!("name = \"{huge}\""))
        .replace("name = \"build\"", &format!("name = \"{huge}\""))
        .replace(
            "replications = 2",
            &format!("replications = 2\npolicy = \"{huge}\""),
        );
    let stderr = validate_fails("bad.toml", &text, None);
    assert!(stderr.len() < 2_000, "{} bytes: {stderr}", stderr.len());
    assert!(stderr.contains("(1000000 characters)"), "{stderr}");
    assert!(stderr.contains("`stages[1].name`"), "{stderr}");
    assert!(stderr.contains("`policy`"), "{stderr}");
    // A line of 1 MB is shown around the caret only.
    assert!(stderr.lines().all(|l| l.chars().count() < 400), "{stderr}");

    // 1,000 stages and a commitment naming none of them: the valid list is cut and counted.
    let stages = |workers: u32| {
        let mut text = String::from("name = \"t\"\nhorizon = 100.0\ncommitment = \"nope\"\n");
        text.push_str("[[work]]\nname = \"job\"\narrival_rate = 0.5\n");
        for i in 0..1000 {
            text.push_str(&format!(
                "[[stages]]\nname = \"stage-{i}\"\nworkers = {workers}\nservice = {{ dist = \"exponential\", mean = 1.0 }}\n"
            ));
        }
        text
    };
    let stderr = validate_fails("many.toml", &stages(1), None);
    assert!(
        stderr.contains("`commitment`: `nope` is not a stage;"),
        "{stderr}"
    );
    assert!(stderr.contains("(valid: stage-0, stage-1, "), "{stderr}");
    assert!(stderr.contains(" more)"), "{stderr}");
    assert!(stderr.len() < 600, "{} bytes: {stderr}", stderr.len());
    // 1,001 problems: 20 are shown, the rest counted.
    let stderr = validate_fails("many.toml", &stages(0), None);
    assert!(stderr.len() < 6_000, "{} bytes: {stderr}", stderr.len());
    assert!(
        stderr.contains("is not a valid scenario (1001 problems)"),
        "{stderr}"
    );
    assert!(stderr.contains("… and 981 more problems"), "{stderr}");

    // A name with a line break stays on its line.
    let text = BASE
        .replace("name = \"test\"", "name = \"build\"")
        .replace("name = \"build\"", "name = \"a\\nb\"");
    let stderr = validate_fails("bad.toml", &text, None);
    assert!(stderr.contains("`a\\nb` is used twice"), "{stderr}");
}

#[test]
fn unknown_policy_on_the_command_line_names_the_valid_ones() {
    let out = valueflow()
        .args(["compare", "scenarios/mm1.toml", "--policies", "fifo,cdd3"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.starts_with(
            "error: `--policies`: unknown policy `cdd3`; did you mean `cd3`? valid: fifo, "
        ),
        "{stderr}"
    );
    assert!(!stderr.contains("not a valid scenario"), "{stderr}");
    assert!(!stderr.contains("command line"), "{stderr}");
}

/// A policy listed twice would be compared with itself (two rows of one run, both marked the
/// baseline): refused, on the command line and in the file.
#[test]
fn a_policy_listed_twice_is_refused() {
    valueflow()
        .args([
            "compare",
            "scenarios/mm1.toml",
            "--policies",
            "fifo,cd3,fifo",
        ])
        .assert()
        .code(2)
        .stdout("")
        .stderr(predicate::str::contains(
            "`--policies`: `fifo` is listed twice; list each policy once",
        ));
    let text = "name = \"x\"\nhorizon = 100\ncompare = [\"cd3\", \"cd3\"]\n[[work]]\nname = \"f\"\narrival_rate = 0.5\n[[stages]]\nname = \"a\"\nservice = { dist = \"exponential\", mean = 1.0 }\n";
    let stderr = validate_fails("dup.toml", text, None);
    assert!(
        stderr.contains("dup.toml:3:19: `compare[1]`: `cd3` is listed twice"),
        "{stderr}"
    );
}

/// A negative precision reaches its own check (not clap's "unexpected argument"), which
/// names the bounds.
#[test]
fn a_negative_precision_says_its_bounds() {
    valueflow()
        .args(["run", "scenarios/mm1.toml", "--precision", "-1"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "the precision must be above 0% and below 100%",
        ));
}

#[test]
fn negative_reps_says_the_value_must_be_at_least_one() {
    for cmd in [
        &["run", "scenarios/mm1.toml", "--reps", "-1"][..],
        &["compare", "scenarios/mm1.toml", "--reps", "-1"],
        &[
            "chart",
            "scenarios/mm1.toml",
            "--kind",
            "cfd",
            "--out",
            "x.svg",
            "--reps",
            "-1",
        ],
    ] {
        let out = valueflow().args(cmd).output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{stderr}");
        assert!(stderr.contains("'--reps <N>'"), "{stderr}");
        assert!(
            stderr.contains("must be a whole number of at least 1 (got -1)"),
            "{stderr}"
        );
        assert!(!stderr.contains("unexpected argument"), "{stderr}");
    }
}

#[test]
fn missing_out_folder_is_reported_before_the_run() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("no-such-folder");
    // Runs this long would not finish within the timeout: the check must come first.
    let long = ["--reps", "100000", "--horizon", "1000000"];
    for (cmd, out) in [
        (vec!["run", "scenarios/mm1.toml"], missing.join("out.csv")),
        (
            vec!["compare", "scenarios/mm1.toml"],
            missing.join("out.csv"),
        ),
        (
            vec!["chart", "scenarios/mm1.toml", "--kind", "cfd"],
            missing.join("cfd.svg"),
        ),
        (vec!["report", "scenarios/mm1.toml"], missing.join("pack")),
    ] {
        let mut c = valueflow();
        c.args(&cmd).arg("--out").arg(&out).arg("--quiet");
        if cmd[0] != "chart" && cmd[0] != "report" {
            c.args(long);
        } else {
            c.args(&long[..2]);
        }
        let assert = c
            .timeout(std::time::Duration::from_secs(30))
            .assert()
            .code(2);
        let stderr = String::from_utf8_lossy(&assert.get_output().stderr).into_owned();
        assert!(
            stderr.contains(&format!(
                "{} does not exist; create it or choose another --out",
                missing.display()
            )),
            "{cmd:?}: {stderr}"
        );
    }
    assert!(!missing.exists());
}

/// Claims rest on paired intervals: a tie is called a tie, a scenario without value is ranked
/// by items, and the pairwise differences agree with the differences against the baseline.
#[test]
fn headlines_claim_only_clear_paired_differences() {
    let out = valueflow()
        .args([
            "compare",
            "scenarios/delivery-team.toml",
            "--reps",
            "20",
            "-q",
        ])
        .args(["--format", "json"])
        .output()
        .unwrap();
    let c: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(c["ranked_by"], "items_delivered");
    let policies = c["policies"].as_array().unwrap();
    let pairs = c["pairwise"].as_array().unwrap();
    assert_eq!(pairs.len(), policies.len() * (policies.len() - 1) / 2);
    // a − baseline in `pairwise` is `vs_baseline` of a.
    let base = c["baseline"].as_str().unwrap();
    for p in pairs.iter().filter(|p| p["b"] == base) {
        let a = policies.iter().find(|x| x["name"] == p["a"]).unwrap();
        assert_eq!(
            p["items_delivered"]["mean"],
            a["vs_baseline"]["items_delivered"]["mean"]
        );
    }
    let table = valueflow()
        .args([
            "compare",
            "scenarios/delivery-team.toml",
            "--reps",
            "20",
            "-q",
        ])
        .output()
        .unwrap();
    let text = String::from_utf8(table.stdout).unwrap();
    assert!(text.contains("models no value"), "{text}");
    assert!(!text.contains("realised the most value"), "{text}");
    assert!(!text.contains("lesson does not hold"), "{text}");
    // The output-vs-outcome chart says why it has no outcome panel, instead of bars of 0.
    let dir = tempfile::tempdir().unwrap();
    let svg = dir.path().join("ovo.svg");
    valueflow()
        .args([
            "chart",
            "scenarios/delivery-team.toml",
            "--kind",
            "output-vs-outcome",
        ])
        .args(["--reps", "4", "-q", "--out"])
        .arg(&svg)
        .assert()
        .success();
    let drawn = std::fs::read_to_string(&svg).unwrap();
    assert!(drawn.contains("no value is modelled"), "{drawn}");
    // fifo and cd3 order the same items the same way here: no "most items" claim between them,
    // and, since they came out the same in every replication, the headline says so.
    let tie = valueflow()
        .args([
            "compare",
            "scenarios/wip-limits.toml",
            "--policies",
            "fifo,cd3",
        ])
        .args(["--reps", "10", "-q"])
        .output()
        .unwrap();
    let text = String::from_utf8(tie.stdout).unwrap();
    assert!(
        text.contains("exactly as many items") && !text.contains("the most items"),
        "{text}"
    );
}

#[test]
fn init_writes_only_a_toml_name() {
    let dir = tempfile::tempdir().unwrap();
    valueflow()
        .arg("init")
        .arg(dir.path().join("team.yaml"))
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "init writes a TOML template; give a .toml name",
        ));
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
}

#[test]
fn a_bad_run_flag_gets_one_message_and_reps_above_the_cap_are_refused() {
    let out = valueflow()
        .args(["run", "scenarios/mm1.toml", "-q", "--horizon", "-3"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.contains("must be a positive number of days"), "{err}");
    assert!(!err.contains("warm-up"), "{err}");
    valueflow()
        .args(["run", "scenarios/mm1.toml", "-q", "--reps", "5"])
        .args([
            "--precision",
            "2%",
            "--target",
            "cycle_time",
            "--max-reps",
            "4",
        ])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "--reps 5 is more than --max-reps 4",
        ));
}

/// The carets under an excerpt, as drawn: the text after the gutter of the caret line.
fn caret_line(stderr: &str) -> Vec<String> {
    stderr
        .lines()
        .filter_map(|l| l.split_once(" | ").map(|(_, after)| after))
        .filter(|after| after.contains('^') && after.trim().chars().all(|c| c == '^'))
        .map(String::from)
        .collect()
}

/// The compact style counts display columns as the rich one does: a combining mark
/// (`e` + U+0301) takes no column, so neither caret line has a caret for it.
#[test]
fn the_compact_caret_counts_display_columns_as_the_rich_one_does() {
    let kr = "\"e\u{301}e\u{301} >= 5\"";
    let text = format!("{BASE}\n[[objectives]]\nname = \"o\"\nkey_results = [{kr}]\n");
    let compact = validate_fails("bad.toml", &text, None);
    let rich = validate_fails("bad.toml", &text, Some("rich"));
    // `"éé >= 5"` is 9 columns wide, after `key_results = [` (15 columns).
    let want = format!("{}{}", " ".repeat(15), "^".repeat(9));
    assert_eq!(caret_line(&compact), vec![want.clone()], "{compact}");
    assert_eq!(caret_line(&rich), vec![want], "{rich}");
}

/// A list where one text belongs (an item of `key_results` that is itself a list) is marked
/// whole in every format, as TOML marks it.
#[test]
fn a_nested_list_where_text_belongs_is_marked_whole_in_every_format() {
    let inner = "[\"items_delivered >= 5\", \"x\"]";
    let toml =
        format!("{BASE}\n[[objectives]]\nname = \"o\"\nkey_results = [{inner}, \"wip <= 3\"]\n");
    let yaml = format!(
        "{}objectives:\n  - name: o\n    key_results: [{inner}, \"wip <= 3\"]\n",
        NESTED_YAML.replace("-5", "5")
    );
    let json = NESTED_JSON.replace("-5", "5").replace(
        "  \"horizon\": 1000.0,",
        &format!(
            "  \"horizon\": 1000.0,\n  \"objectives\": [{{\"name\": \"o\", \"key_results\": [{inner}, \"wip <= 3\"]}}],"
        ),
    );
    for (name, text) in [("bad.toml", toml), ("bad.yaml", yaml), ("bad.json", json)] {
        let stderr = validate_fails(name, &text, None);
        assert!(stderr.contains("key_results[0]`: must be"), "{stderr}");
        let lines = caret_line(&stderr);
        assert_eq!(lines.len(), 1, "{name}: {stderr}");
        assert_eq!(lines[0].trim().len(), inner.len(), "{name}: {stderr}");
        // Under the list, from its `[`.
        let source = stderr
            .lines()
            .find(|l| l.contains("key_results") && l.contains(" | "))
            .and_then(|l| l.split_once(" | "))
            .map(|(_, s)| s.to_string())
            .unwrap();
        assert_eq!(
            source.find(inner),
            Some(lines[0].len() - inner.len()),
            "{name}: {stderr}"
        );
    }
}

/// A tab in the source line is shown as `␉`, one column like the tab it stands for, so that
/// the caret stays under its key in both styles and the column printed stays the file's; the
/// message writes it `\t`, as it writes a line break `\n`.
#[test]
fn a_tab_is_shown_as_a_tab_and_the_caret_stays_aligned() {
    let text = BASE.replace(
        "service = { dist = \"exponential\", mean = 1.0 }\n\n[[stages]]\nname = \"test\"",
        "service = {\tdist = \"ex\tpo\", mean = 1.0 }\n\n[[stages]]\nname = \"test\"",
    );
    assert!(text.contains('\t'));
    let compact = validate_fails("bad.toml", &text, None);
    assert!(
        compact
            .contains("bad.toml:13:13: `stages[0].service.dist`: unknown distribution `ex\\tpo`"),
        "{compact}"
    );
    assert!(
        compact.contains("    13 | service = {\u{2409}dist = \"ex\u{2409}po\", mean = 1.0 }\n       |             ^^^^\n"),
        "{compact}"
    );
    let rich = validate_fails("bad.toml", &text, Some("rich"));
    assert!(rich.contains("--> bad.toml:13:13"), "{rich}");
    assert!(
        rich.contains(
            "13 | service = {\u{2409}dist = \"ex\u{2409}po\", mean = 1.0 }\n   |             ^^^^"
        ),
        "{rich}"
    );
}

/// With a warm-up and a day-0 backlog, the items committed after the warm-up include those
/// that waited in the backlog from before it, which lead time leaves out: the mean cycle time
/// can exceed the mean lead time (10.8 against 5.8 days here), and the table says why.
#[test]
fn the_table_says_why_cycle_time_exceeds_lead_time() {
    let file = root().join("scenarios/expedite.toml");
    let args = |format: &str| {
        let file = file.to_str().unwrap().to_string();
        let set = "work.feature.backlog=300".to_string();
        vec![
            "run".to_string(),
            file,
            "--set".to_string(),
            set,
            "--reps".to_string(),
            "5".to_string(),
            "--format".to_string(),
            format.to_string(),
        ]
    };
    let out = Command::cargo_bin("valueflow")
        .unwrap()
        .args(args("json"))
        .output()
        .unwrap();
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let mean = |m: &str| json["metrics"][m]["mean"].as_f64().unwrap();
    assert!(mean("cycle_time") > mean("lead_time"), "{json}");
    let out = Command::cargo_bin("valueflow")
        .unwrap()
        .args(args("table"))
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("Mean cycle time exceeds mean lead time"),
        "{text}"
    );
    // Without the backlog the means are in the usual order, and nothing is said.
    let out = Command::cargo_bin("valueflow")
        .unwrap()
        .args(["run", file.to_str().unwrap(), "--reps", "5"])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(!text.contains("Mean cycle time exceeds"), "{text}");
}
