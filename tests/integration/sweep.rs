//! What-if planning from the command line: `--set`, `sweep`, shards and `merge`.

use super::root;
use assert_cmd::Command;
use predicates::prelude::*;
use valueflow::experiment::paired::{self, World};
use valueflow::scenario;

fn valueflow() -> Command {
    let mut c = Command::cargo_bin("valueflow").unwrap();
    c.current_dir(root());
    c
}

const TEAM: &str = "scenarios/delivery-team.toml";
const SMALL: &[&str] = &["--reps", "4", "--horizon", "400", "--warmup", "60", "-q"];

fn stdout_of(args: &[&str]) -> String {
    let out = valueflow().args(args).args(SMALL).output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn set_changes_the_run_exactly_as_an_edited_file_would() {
    let dir = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string(root().join(TEAM)).unwrap();
    // The build stage's `workers = 2` line, edited by hand.
    let at = text.find("name = \"build\"").unwrap();
    let line = at + text[at..].find("workers = ").unwrap();
    let end = line + text[line..].find('\n').unwrap();
    let edited = format!("{}workers = 4{}", &text[..line], &text[end..]);
    let file = dir.path().join("edited.toml");
    std::fs::write(&file, edited).unwrap();
    let by_set = stdout_of(&[
        "run",
        TEAM,
        "--format",
        "json",
        "--set",
        "stages.build.workers=4",
    ]);
    let by_hand = stdout_of(&["run", file.to_str().unwrap(), "--format", "json"]);
    assert_eq!(by_set, by_hand);
    assert_ne!(by_set, stdout_of(&["run", TEAM, "--format", "json"]));
}

#[test]
fn bad_settings_name_the_argument_and_what_is_valid() {
    valueflow()
        .args([
            "run",
            TEAM,
            "--set",
            "stages.bild.workers=4",
            "--set",
            "stages.build.wokers=1",
        ])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--set stages.bild.workers=4"))
        .stderr(predicate::str::contains(
            "valid: analysis, build, review, test, release",
        ));
    valueflow()
        .args(["run", TEAM, "--set", "stages.build.workers=0"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--set stages.build.workers=0"))
        .stderr(predicate::str::contains("must be a whole number from 1"));
    valueflow()
        .args(["validate", TEAM, "--set", "stages.build.wokers=1"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("wokers"))
        .stderr(predicate::str::contains("workers"));
    valueflow()
        .args(["validate", TEAM, "--set", "stages.build.wip_limit=none"])
        .assert()
        .success();
}

fn sweep_args<'a>(extra: &[&'a str]) -> Vec<&'a str> {
    let mut v = vec![
        "sweep",
        TEAM,
        "--vary",
        "stages.test.workers=1..2",
        "--vary",
        "stages.build.wip_limit=2,none",
    ];
    v.extend_from_slice(extra);
    v
}

/// Runs the small sweep as `n` shards into `dir`; returns the part files, in shard order.
fn shards(dir: &std::path::Path, n: u32) -> Vec<String> {
    (1..=n)
        .map(|k| {
            let part = dir.join(format!("part-{k}.jsonl")).display().to_string();
            let shard = format!("{k}/{n}");
            valueflow()
                .args(sweep_args(&[
                    "--format", "jsonl", "--out", &part, "--shard", &shard,
                ]))
                .args(SMALL)
                .assert()
                .success();
            part
        })
        .collect()
}

#[test]
fn shards_merge_byte_for_byte_into_the_one_machine_sweep() {
    let dir = tempfile::tempdir().unwrap();
    let p = |n: &str| dir.path().join(n).to_str().unwrap().to_string();
    let whole = p("whole.jsonl");
    valueflow()
        .args(sweep_args(&["--format", "jsonl", "--out", &whole]))
        .args(SMALL)
        .assert()
        .success();
    let parts = shards(dir.path(), 3);
    // Shard 2 of 3 from a Slurm array whose indices start at 1.
    let from_env = p("env.jsonl");
    valueflow()
        .args(sweep_args(&[
            "--format",
            "jsonl",
            "--out",
            &from_env,
            "--shard-from-env",
        ]))
        .args(SMALL)
        .env("SLURM_ARRAY_TASK_ID", "2")
        .env("SLURM_ARRAY_TASK_MIN", "1")
        .env("SLURM_ARRAY_TASK_COUNT", "3")
        .assert()
        .success();
    assert_eq!(
        std::fs::read(&from_env).unwrap(),
        std::fs::read(&parts[1]).unwrap()
    );
    let merged = p("merged.jsonl");
    valueflow()
        .arg("merge")
        .args(&parts)
        .args(["--format", "jsonl", "--out", &merged])
        .assert()
        .success();
    let whole_bytes = std::fs::read(&whole).unwrap();
    assert_eq!(whole_bytes, std::fs::read(&merged).unwrap());
    let lines: Vec<&str> = std::str::from_utf8(&whole_bytes).unwrap().lines().collect();
    assert_eq!(lines.len(), 4);
    assert!(lines[0].contains(r#""parameters":[{"name":"stages.test.workers","value":1},{"name":"stages.build.wip_limit","value":2}]"#));
    assert!(lines[3].contains(r#"{"name":"stages.build.wip_limit","value":null}"#));
    // The table and CSV from the merge are the one-machine sweep's.
    for format in ["table", "csv"] {
        let one = valueflow()
            .args(sweep_args(&["--format", format]))
            .args(SMALL)
            .output()
            .unwrap();
        let from_parts = valueflow()
            .arg("merge")
            .args(&parts)
            .args(["--format", format])
            .output()
            .unwrap();
        assert!(one.status.success() && from_parts.status.success());
        assert_eq!(one.stdout, from_parts.stdout, "{format}");
    }
    // Missing, duplicated and foreign shards are refused.
    valueflow()
        .args(["merge", &parts[0], &parts[1]])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("missing"));
    valueflow()
        .args(["merge", &parts[0], &parts[0], &parts[1], &parts[2]])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(format!(
            "{} is given twice",
            parts[0]
        )));
    // The same point in two shards (a shard run twice under another name).
    let again = p("again.jsonl");
    std::fs::copy(&parts[0], &again).unwrap();
    valueflow()
        .args(["merge", &parts[0], &again, &parts[1], &parts[2]])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("appears twice"));
    // A record whose point lies outside its sweep, located.
    let text = std::fs::read_to_string(&parts[0]).unwrap();
    let first = text.lines().next().unwrap();
    let points = first.split("\"points\":").nth(1).unwrap();
    let points: String = points.chars().take_while(char::is_ascii_digit).collect();
    let altered = first.replacen("\"point\":0", &format!("\"point\":{points}"), 1);
    assert_ne!(altered, first, "the first record is point 0");
    let bad = p("bad.jsonl");
    std::fs::write(&bad, text.replacen(first, &altered, 1)).unwrap();
    valueflow()
        .args(["merge", &bad, &parts[1], &parts[2]])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(format!(
            "{bad}:1: point {points} is not a point of this sweep"
        )));
    let other = p("other.jsonl");
    valueflow()
        .args(sweep_args(&[
            "--format", "jsonl", "--out", &other, "--shard", "3/3", "--seed", "7",
        ]))
        .args(SMALL)
        .assert()
        .success();
    valueflow()
        .args(["merge", &parts[0], &parts[1], &other])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("seed differs"));
    // A setting on one shard only, even one that repeats the default: the refusal says what
    // to run the shards with.
    let flagged = p("flagged.jsonl");
    valueflow()
        .args(sweep_args(&[
            "--format", "jsonl", "--out", &flagged, "--shard", "3/3", "--set", "load=1",
        ]))
        .args(SMALL)
        .assert()
        .success();
    valueflow()
        .args(["merge", &parts[0], &parts[1], &flagged])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("scenario_hash differs"))
        .stderr(predicate::str::contains(
            "run every shard with the same file, --set and flags",
        ));
}

#[test]
fn sweeps_refuse_bad_grids_before_any_work() {
    valueflow()
        .args(["sweep", TEAM, "--vary", "stages.test.workers=4..1"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("empty"));
    valueflow()
        .args(["sweep", TEAM, "--vary", "stages.tset.workers=1..2"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "no element of `stages` is named `tset`",
        ));
    valueflow()
        .args([
            "sweep",
            TEAM,
            "--vary",
            "stages.test.workers=1..2",
            "--shard",
            "3/2",
        ])
        .assert()
        .code(2);
    valueflow()
        .args([
            "sweep",
            TEAM,
            "--vary",
            "stages.test.workers=1..200",
            "--vary",
            "stages.build.workers=1..60",
        ])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--yes"));
}

#[test]
fn a_sweep_of_feedback_delay_shows_the_value_of_information() {
    // Measuring (outcome) loses value as signals come later; not measuring (cd3) cannot.
    let out = valueflow()
        .args([
            "sweep",
            "scenarios/outcomes.toml",
            "--vary",
            "epics.bets.feedback_delay=0,56",
            "--vary",
            "policy=cd3,outcome",
            "--reps",
            "40",
            "--format",
            "jsonl",
            "-q",
        ])
        .output()
        .unwrap();
    assert!(out.status.success());
    let value = |line: &str| -> f64 {
        let v: serde_json::Value = serde_json::from_str(line).unwrap();
        v["metrics"]["value_realised"]["mean"].as_f64().unwrap()
    };
    let lines: Vec<String> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(str::to_string)
        .collect();
    let (cd3_fast, outcome_fast, cd3_slow, outcome_slow) = (
        value(&lines[0]),
        value(&lines[1]),
        value(&lines[2]),
        value(&lines[3]),
    );
    assert_eq!(
        cd3_fast, cd3_slow,
        "a policy that does not measure ignores the delay"
    );
    assert!(
        outcome_fast > outcome_slow,
        "{outcome_fast} vs {outcome_slow}"
    );
    assert!(
        outcome_slow >= cd3_slow * 0.98,
        "measuring never costs value in expectation"
    );
}

/// The sweep as a real Slurm job array: four tasks, each its shard from the environment, then
/// merged and compared byte for byte with the same sweep on one machine. Ignored by default:
/// it needs a running Slurm, which `.ci/run` installs and starts (`.ci/slurm-up.sh`).
#[test]
#[ignore = "needs a running Slurm cluster (.ci/slurm-up.sh)"]
fn slurm_job_array_merges_to_the_one_machine_sweep() {
    let has = |cmd: &str| {
        std::process::Command::new("sh")
            .args(["-c", &format!("command -v {cmd}")])
            .output()
            .is_ok_and(|o| o.status.success())
    };
    if !has("sbatch") {
        eprintln!("skipped: sbatch not found; start a cluster with .ci/slurm-up.sh");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let bin = env!("CARGO_BIN_EXE_valueflow");
    let scenario = root().join(TEAM);
    let grid = "--vary stages.test.workers=1..2 --vary stages.build.wip_limit=2,4,none";
    let small = SMALL.join(" ");
    let job = dir.path().join("job.sh");
    std::fs::write(
        &job,
        format!(
            "#!/bin/sh\nexec {bin} sweep {scenario} {grid} {small} --format jsonl --shard-from-env --out {out}/part-$SLURM_ARRAY_TASK_ID.jsonl\n",
            scenario = scenario.display(),
            out = dir.path().display()
        ),
    )
    .unwrap();
    let status = std::process::Command::new("sbatch")
        .args(["--wait", "--array=0-3", "--ntasks=1", "--cpus-per-task=1"])
        .arg(format!("--output={}/slurm-%a.txt", dir.path().display()))
        .arg(&job)
        .status()
        .unwrap();
    assert!(status.success(), "the job array failed");
    let parts: Vec<String> = (0..4)
        .map(|k| {
            dir.path()
                .join(format!("part-{k}.jsonl"))
                .display()
                .to_string()
        })
        .collect();
    let merged = valueflow()
        .arg("merge")
        .args(&parts)
        .args(["--format", "jsonl"])
        .output()
        .unwrap();
    assert!(
        merged.status.success(),
        "{}",
        String::from_utf8_lossy(&merged.stderr)
    );
    let mut one = valueflow();
    one.arg("sweep").arg(&scenario);
    one.args(grid.split(' '))
        .args(SMALL)
        .args(["--format", "jsonl"]);
    let one = one.output().unwrap();
    assert!(one.status.success());
    assert_eq!(
        one.stdout, merged.stdout,
        "merged Slurm shards differ from one machine"
    );
    assert_eq!(String::from_utf8_lossy(&one.stdout).lines().count(), 6);
}

fn json_of(args: &[&str]) -> serde_json::Value {
    let out = valueflow().args(args).output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

/// Review has the longest queue (one reviewer with very variable work), but build (three
/// builders at a WIP limit, more work than they can take) is where a person is worth adding.
#[test]
fn advise_staffs_the_constraint_not_the_longest_queue() {
    let file = "scenarios/one-more-person.toml";
    let run = json_of(&["run", file, "--format", "json", "-q"]);
    let stages = run["stages"].as_array().unwrap();
    let longest = stages
        .iter()
        .max_by(|a, b| {
            let q = |s: &serde_json::Value| s["queue_length"]["mean"].as_f64().unwrap();
            q(a).total_cmp(&q(b))
        })
        .unwrap();
    assert_eq!(longest["name"], "review");
    let advice = json_of(&["advise", file, "--format", "json", "-q"]);
    assert_eq!(advice["ranked_by"], "value_realised");
    let moves = advice["moves"].as_array().unwrap();
    assert_eq!(moves[0]["name"], "+1 build", "{advice:#}");
    assert_eq!(moves[0]["helps"], true);
    assert!(moves[0]["p_helps"].as_f64().unwrap() > 0.9);
    // Every stage is tried with one more person, and with one fewer where it has two or more.
    let names: Vec<&str> = moves.iter().map(|m| m["name"].as_str().unwrap()).collect();
    for expected in [
        "+1 analysis",
        "+1 build",
        "+1 review",
        "+1 test",
        "-1 build",
        "-1 test",
    ] {
        assert!(names.contains(&expected), "{names:?}");
    }
    assert!(
        !names.contains(&"-1 review"),
        "one reviewer cannot be removed"
    );
    assert!(advice["statement"]
        .as_str()
        .unwrap()
        .starts_with("+1 build helps most"));
}

/// An overloaded line without value: work piles up, so the moves are ranked by throughput, and
/// the constraint's extra worker comes first though it lengthens the cycle time of the items
/// that finish (more of the long-waiting ones do).
#[test]
fn advise_ranks_by_throughput_where_work_piles_up() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("over.toml");
    std::fs::write(
        &path,
        r#"
name = "overloaded"
horizon = 365
warmup = 60
replications = 10
[[work]]
name = "f"
arrival_rate = 5.0
[[stages]]
name = "a"
wip_limit = 3
service = { dist = "exponential", mean = 1.0 }
[[stages]]
name = "b"
service = { dist = "exponential", mean = 0.5 }
"#,
    )
    .unwrap();
    let advice = json_of(&["advise", path.to_str().unwrap(), "--format", "json", "-q"]);
    assert_eq!(advice["ranked_by"], "throughput", "{advice:#}");
    let first = &advice["moves"][0];
    assert_eq!(first["name"], "+1 a", "{advice:#}");
    assert_eq!(first["helps"], true);
    assert!(advice["statement"]
        .as_str()
        .unwrap()
        .starts_with("+1 a helps most: throughput changes by +"));
}

/// A quiet line (deterministic work, little demand) has nothing to gain from people: the
/// advice says capacity is not the problem.
#[test]
fn advise_says_when_no_move_helps() {
    let advice = json_of(&[
        "advise",
        "scenarios/one-more-person.toml",
        "--set",
        "work.feature.arrival_rate=0.02",
        "--set",
        "stages.review.service={ dist = \"fixed\", value = 0.1 }",
        "--set",
        "stages.build.service={ dist = \"fixed\", value = 0.1 }",
        "--set",
        "stages.analysis.service={ dist = \"fixed\", value = 0.1 }",
        "--set",
        "stages.test.service={ dist = \"fixed\", value = 0.1 }",
        "--format",
        "json",
        "-q",
    ]);
    let moves = advice["moves"].as_array().unwrap();
    assert!(moves.iter().all(|m| m["helps"] == false), "{advice:#}");
    let statement = advice["statement"].as_str().unwrap();
    assert!(statement.contains("capacity is not what holds this value stream back"));
    // And the people that could be moved away for free are named.
    assert!(
        statement.contains("Moving a person away would cost no measurable value realised either: -1 build, -1 test."),
        "{statement}"
    );
}

/// A policy that starts everything ignores WIP limits: `advise` raises none with a worker and
/// labels no move with one.
#[test]
fn advise_raises_no_wip_limit_under_a_policy_that_ignores_them() {
    // Build's limit set to its 3 workers: under a policy that keeps limits, +1 build raises
    // it with the worker.
    let advise = |policy: &str| {
        json_of(&[
            "advise",
            TEAM,
            "--set",
            "stages.build.wip_limit=3",
            "--policy",
            policy,
            "--reps",
            "5",
            "--format",
            "json",
            "-q",
        ])
    };
    let named = |advice: &serde_json::Value| {
        advice["moves"]
            .as_array()
            .unwrap()
            .iter()
            .any(|m| m["name"] == "+1 build (WIP limit 3 → 4)")
    };
    assert!(named(&advise("fifo")));
    let advice = advise("feature-factory");
    assert!(!named(&advice), "{advice:#}");
    assert!(
        advice["moves"]
            .as_array()
            .unwrap()
            .iter()
            .all(|m| !m["name"].as_str().unwrap().contains("WIP limit")),
        "{advice:#}"
    );
}

/// A shard past the end of a small grid writes an empty part, harmless in a job array, and
/// says so on stderr.
#[test]
fn an_empty_shard_says_it_is_empty() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("part.jsonl");
    valueflow()
        .args(["sweep", TEAM, "-q", "--reps", "2", "--shard", "5/5"])
        .args([
            "--vary",
            "stages.test.workers=1..4",
            "--format",
            "jsonl",
            "--out",
        ])
        .arg(&out)
        .assert()
        .success()
        .stderr(predicate::str::contains(
            "warning: shard 5 has no points: the grid has 4, fewer than the 5 shards",
        ));
    assert_eq!(std::fs::read(&out).unwrap().len(), 0);
}

/// Ranked by cycle time (a steady team, no value), a cut that breaks the steady state comes
/// last: its WIP limits hold its cycle time down while the backlog grows, so by cycle time
/// alone losing a builder (+6 days, 0.19 items a day fewer finished) looked cheaper than
/// losing a tester (+10 days, 0.08 fewer). Such moves are ranked by throughput, after every
/// move that keeps the flow steady, and the statement names them.
#[test]
fn advise_ranks_a_move_that_breaks_the_steady_state_last() {
    let advice = json_of(&[
        "advise",
        "scenarios/delivery-team.toml",
        "--reps",
        "100",
        "--format",
        "json",
        "-q",
    ]);
    assert_eq!(advice["ranked_by"], "cycle_time", "{advice:#}");
    let moves = advice["moves"].as_array().unwrap();
    let broken: Vec<&serde_json::Value> = moves
        .iter()
        .filter(|m| m["breaks_steady_state"] == true)
        .collect();
    let names: Vec<&str> = broken.iter().map(|m| m["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["-1 test", "-1 build"], "{advice:#}");
    // Last, the least loss of throughput first, never "helps".
    let at = moves.len() - broken.len();
    assert!(moves[at..].iter().all(|m| m["breaks_steady_state"] == true));
    assert!(broken.iter().all(|m| m["helps"] == false));
    let throughput = |m: &serde_json::Value| m["throughput"]["mean"].as_f64().unwrap();
    assert!(throughput(broken[0]) > throughput(broken[1]));
    // By cycle time alone the builder's cut looked cheaper.
    let cycle = |m: &serde_json::Value| m["cycle_time"]["mean"].as_f64().unwrap();
    assert!(cycle(broken[1]) < cycle(broken[0]));
    assert!(advice["statement"]
        .as_str()
        .unwrap()
        .contains("-1 test, -1 build would break the steady state"));
    // The CSV says it too, in its last column.
    let out = valueflow()
        .args(["advise", TEAM, "--reps", "100", "--format", "csv", "-q"])
        .output()
        .unwrap();
    let csv = String::from_utf8(out.stdout).unwrap();
    assert!(csv
        .lines()
        .next()
        .unwrap()
        .ends_with(",helps,breaks_steady_state"));
    let row = csv.lines().find(|l| l.starts_with("-1 build,")).unwrap();
    assert!(row.ends_with(",false,true"), "{row}");
}

/// A stage with as many workers as its WIP limit: one more worker alone could never take an
/// item, so advise's move raises the limit with it, says so, and finds the constraint's move
/// worth making (it was a move of exactly zero, ranked below a worker on an idle stage).
#[test]
fn advise_adds_a_worker_with_the_room_to_work() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("tight.toml");
    std::fs::write(
        &file,
        r#"name = "tight"
horizon = 200.0
warmup = 20.0
replications = 20
[[work]]
name = "f"
arrival_rate = 2.3
value = { dist = "fixed", value = 1.0 }
[[stages]]
name = "build"
workers = 2
wip_limit = 2
service = { dist = "exponential", mean = 0.8 }
[[stages]]
name = "test"
workers = 4
service = { dist = "exponential", mean = 0.5 }
"#,
    )
    .unwrap();
    let advice = json_of(&["advise", file.to_str().unwrap(), "--format", "json", "-q"]);
    let moves = advice["moves"].as_array().unwrap();
    let best = &moves[0];
    assert_eq!(best["name"], "+1 build (WIP limit 2 → 3)", "{advice:#}");
    assert!(
        best["value_realised"]["mean"].as_f64().unwrap() > 100.0,
        "{advice:#}"
    );
    // Removing a worker leaves the limit alone.
    assert!(moves.iter().any(|m| m["name"] == "-1 build"), "{advice:#}");
}

/// A stage whose WIP limit is below its workers already has idle workers: one more is a move of
/// exactly zero, its limit is left alone (raising it would credit one person with the idle
/// ones' work), and the note under the table says so with the setting to try instead.
#[test]
fn advise_leaves_a_limit_below_the_workers_alone_and_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("serial.toml");
    std::fs::write(
        &file,
        r#"name = "serial"
horizon = 200.0
warmup = 20.0
replications = 20
[[work]]
name = "f"
arrival_rate = 0.8
value = { dist = "fixed", value = 1.0 }
[[stages]]
name = "build"
workers = 2
service = { dist = "exponential", mean = 1.0 }
[[stages]]
name = "review"
workers = 3
wip_limit = 1
service = { dist = "exponential", mean = 1.0 }
"#,
    )
    .unwrap();
    let advice = json_of(&["advise", file.to_str().unwrap(), "--format", "json", "-q"]);
    let moves = advice["moves"].as_array().unwrap();
    let review = moves
        .iter()
        .find(|m| m["stage"] == "review" && m["change"] == 1)
        .unwrap_or_else(|| panic!("{advice:#}"));
    assert_eq!(review["name"], "+1 review", "{advice:#}");
    assert_eq!(
        review["value_realised"]["mean"].as_f64(),
        Some(0.0),
        "{advice:#}"
    );
    let note = advice["note"]
        .as_str()
        .unwrap_or_else(|| panic!("{advice:#}"));
    assert!(
        note.contains("`review` has 3 workers and a WIP limit of 1, so 2 of them idle for want of room (to give them work: `--set stages.review.wip_limit=3`)")
            && note.contains("the WIP limit, not the headcount, holds the stage back"),
        "{note}"
    );
    // Raising the limit as the note says does give the idle workers work.
    let raised = json_of(&[
        "advise",
        file.to_str().unwrap(),
        "--set",
        "stages.review.wip_limit=3",
        "--format",
        "json",
        "-q",
    ]);
    assert!(raised.get("note").is_none_or(|n| n.is_null()), "{raised:#}");
    // A start-everything policy ignores the limits: nothing idles for want of room.
    let ignoring = json_of(&[
        "advise",
        file.to_str().unwrap(),
        "--policy",
        "feature-factory",
        "--format",
        "json",
        "-q",
    ]);
    assert!(
        ignoring.get("note").is_none_or(|n| n.is_null()),
        "{ignoring:#}"
    );
}

#[test]
fn compare_two_scenarios_pairs_every_metric() {
    let dir = tempfile::tempdir().unwrap();
    let after = dir.path().join("after.toml");
    let text = std::fs::read_to_string(root().join("scenarios/one-more-person.toml"))
        .unwrap()
        .replace("workers = 3", "workers = 4");
    std::fs::write(&after, text).unwrap();
    let after = after.to_str().unwrap();
    let before = "scenarios/one-more-person.toml";
    let t = json_of(&["compare", before, after, "--format", "json", "-q"]);
    let metric = |name: &str| {
        t["metrics"]
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["metric"] == name)
            .unwrap()
            .clone()
    };
    let value = metric("value_realised");
    assert!(value["difference"]["mean"].as_f64().unwrap() > 0.0);
    assert!(value["p_better"].as_f64().unwrap() > 0.9);
    assert!(metric("cycle_time")["difference"]["mean"].as_f64().unwrap() < 0.0);
    // The same comparison as advise's "+1 build", on the same dice.
    let advice = json_of(&["advise", before, "--format", "json", "-q"]);
    let plus_build = advice["moves"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["name"] == "+1 build")
        .unwrap()
        .clone();
    assert_eq!(plus_build["value_realised"], value["difference"]);
    // A scenario against itself differs by exactly nothing.
    let same = json_of(&["compare", before, before, "--format", "json", "-q"]);
    for m in same["metrics"].as_array().unwrap() {
        let d = &m["difference"]["mean"];
        assert!(d.is_null() || d.as_f64() == Some(0.0), "{m}");
    }
    // Tables and CSV are available too; JSON Lines are not.
    valueflow()
        .args(["compare", before, after, "-q"])
        .assert()
        .success()
        .stdout(predicate::str::contains("P(after better)"));
    valueflow()
        .args(["compare", before, after, "--format", "jsonl", "-q"])
        .assert()
        .code(2);
}

#[test]
fn compare_two_scenarios_draws_the_delta_chart() {
    let dir = tempfile::tempdir().unwrap();
    let after = dir.path().join("after.toml");
    let before = "scenarios/one-more-person.toml";
    let text = std::fs::read_to_string(root().join(before))
        .unwrap()
        .replace("workers = 3", "workers = 4");
    std::fs::write(&after, text).unwrap();
    let svg = dir.path().join("delta.svg");
    valueflow()
        .args(["compare", before, after.to_str().unwrap(), "-q", "--chart"])
        .arg(&svg)
        .assert()
        .success();
    let drawn = std::fs::read_to_string(&svg).unwrap();
    assert!(drawn.contains("after.toml vs one-more-person.toml"));
    assert!(drawn.contains("value realised (higher is better)"));
    assert!(drawn.contains("P(better)"));
    // Never replaced unasked, refused before any work; PNG is drawn too.
    valueflow()
        .args(["compare", before, after.to_str().unwrap(), "-q", "--chart"])
        .arg(&svg)
        .assert()
        .code(2);
    let png = dir.path().join("delta.png");
    valueflow()
        .args(["compare", before, after.to_str().unwrap(), "-q", "--chart"])
        .arg(&png)
        .assert()
        .success();
    assert!(std::fs::read(&png).unwrap().starts_with(b"\x89PNG"));
    // A chart of one file's policies is another command's job; a bad extension is refused.
    valueflow()
        .args(["compare", before, "-q", "--chart", "x.svg"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("valueflow chart"));
    valueflow()
        .args(["compare", before, before, "-q", "--chart"])
        .arg(dir.path().join("delta.txt"))
        .assert()
        .code(2)
        .stderr(predicate::str::contains(".png or .svg"));
    assert!(!dir.path().join("delta.txt").exists());
}

/// `--precision` adds replications (doubling from --reps) until the target is precise enough,
/// and the result is exactly that of running that many replications.
#[test]
fn precision_runs_as_many_replications_as_needed_and_no_other_result() {
    let file = "scenarios/one-more-person.toml";
    let precise = json_of(&[
        "run",
        file,
        "--format",
        "json",
        "-q",
        "--reps",
        "4",
        "--precision",
        "3%",
    ]);
    let p = &precise["precision"];
    assert_eq!(p["reached"], true, "{p}");
    assert_eq!(p["target"], "value_realised");
    let n = p["replications"].as_u64().unwrap();
    assert!(
        n > 4 && n.is_power_of_two() || n == 4,
        "doubling from 4: {n}"
    );
    assert!(p["relative_half_width"].as_f64().unwrap() <= 0.03);
    let plain = json_of(&[
        "run",
        file,
        "--format",
        "json",
        "-q",
        "--reps",
        &n.to_string(),
    ]);
    let mut without = precise.clone();
    without.as_object_mut().unwrap().remove("precision");
    assert_eq!(without, plain);
    // The cap stops it, and says so.
    let capped = json_of(&[
        "run",
        file,
        "--format",
        "json",
        "-q",
        "--reps",
        "4",
        "--precision",
        "0.01%",
        "--max-reps",
        "16",
    ]);
    assert_eq!(capped["precision"]["reached"], false);
    assert_eq!(capped["replications"], 16);
    valueflow()
        .args([
            "run",
            file,
            "-q",
            "--reps",
            "4",
            "--precision",
            "0.01%",
            "--max-reps",
            "16",
        ])
        .assert()
        .success()
        .stdout(predicate::str::contains("Precision not reached"));
    // A value target needs a value model; an unknown target is refused.
    valueflow()
        .args(["run", TEAM, "-q", "--precision", "2%"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--target cycle_time"));
    valueflow()
        .args(["run", file, "-q", "--precision", "2%", "--target", "speed"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("valid: value_realised"));
}

/// The sweep chart: drawn from the records alone, so the merge of shards draws the very same
/// SVG as the one-machine sweep; a line for one knob, lines or a heatmap for two.
#[test]
fn sweep_charts_are_the_same_from_one_machine_and_from_merged_shards() {
    let dir = tempfile::tempdir().unwrap();
    let p = |n: &str| dir.path().join(n).to_str().unwrap().to_string();
    let (whole, merged) = (p("whole.svg"), p("merged.svg"));
    valueflow()
        .args(sweep_args(&["--chart", &whole, "--metric", "cycle_time"]))
        .args(SMALL)
        .assert()
        .success();
    let parts = shards(dir.path(), 2);
    valueflow()
        .arg("merge")
        .args(&parts)
        .args(["--chart", &merged, "--metric", "cycle_time"])
        .assert()
        .success();
    let svg = std::fs::read_to_string(&whole).unwrap();
    assert_eq!(svg, std::fs::read_to_string(&merged).unwrap());
    let doc = roxmltree::Document::parse(&svg).unwrap();
    let text: String = doc
        .descendants()
        .filter(|n| n.is_text())
        .filter_map(|n| n.text())
        .collect();
    assert!(text.contains("cycle time by stages.test.workers"), "{text}");
    assert!(
        text.contains("stages.build.wip_limit = none"),
        "one line per WIP limit: {text}"
    );
    // A PNG for one knob; an existing file is refused before any work, an unknown metric too.
    let png = p("one.png");
    valueflow()
        .args([
            "sweep",
            TEAM,
            "--vary",
            "stages.test.workers=1..3",
            "--chart",
            &png,
        ])
        .args(SMALL)
        .assert()
        .success();
    assert_eq!(&std::fs::read(&png).unwrap()[..8], b"\x89PNG\r\n\x1a\n");
    valueflow()
        .args([
            "sweep",
            TEAM,
            "--vary",
            "stages.test.workers=1..3",
            "--chart",
            &png,
        ])
        .args(SMALL)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--force"));
    valueflow()
        .args([
            "sweep",
            TEAM,
            "--vary",
            "stages.test.workers=1..2",
            "--chart",
            &p("x.svg"),
            "--metric",
            "speed",
        ])
        .args(SMALL)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("valid:"));
}

/// A ready-made curve run in shards: the merge draws the curve's chart (its metric, not the
/// default one) and says whether its lesson held, exactly as the one-machine sweep does.
#[test]
fn a_merged_curve_draws_and_reads_its_lesson_as_one_machine() {
    let dir = tempfile::tempdir().unwrap();
    let p = |n: &str| dir.path().join(n).to_str().unwrap().to_string();
    // The utilisation curve reads lead time; this team's default chart metric is cycle time.
    let curve = ["sweep", TEAM, "--curve", "utilisation"];
    let whole = p("whole.svg");
    let one = valueflow()
        .args(curve)
        .args(["--chart", &whole])
        .args(SMALL)
        .output()
        .unwrap();
    assert!(
        one.status.success(),
        "{}",
        String::from_utf8_lossy(&one.stderr)
    );
    let lesson = |stderr: &[u8]| {
        String::from_utf8_lossy(stderr)
            .lines()
            .find(|l| l.starts_with("curve utilisation: lesson"))
            .map(str::to_string)
    };
    let said = lesson(&one.stderr).expect("the one-machine sweep reads the lesson");
    let mut parts = Vec::new();
    for k in 1..=2 {
        let part = p(&format!("part-{k}.jsonl"));
        valueflow()
            .args(curve)
            .args([
                "--format",
                "jsonl",
                "--out",
                &part,
                "--shard",
                &format!("{k}/2"),
            ])
            .args(SMALL)
            .assert()
            .success();
        let first = std::fs::read_to_string(&part).unwrap();
        assert!(
            first.contains(r#""curve":{"name":"utilisation","metric":"lead_time"}"#),
            "{first}"
        );
        parts.push(part);
    }
    let merged = p("merged.svg");
    let out = valueflow()
        .arg("merge")
        .args(&parts)
        .args(["--chart", &merged])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(lesson(&out.stderr), Some(said));
    let svg = std::fs::read_to_string(&whole).unwrap();
    assert!(svg.contains("lead time"), "the curve's metric is drawn");
    assert_eq!(svg, std::fs::read_to_string(&merged).unwrap());
    // A plain sweep's records name no curve, and a curve's shard does not merge with them.
    let plain = p("plain.jsonl");
    valueflow()
        .args([
            "sweep",
            TEAM,
            "--vary",
            "stages.build.wip_limit=2,4,6,8,none",
        ])
        .args(["--format", "jsonl", "--out", &plain])
        .args(SMALL)
        .assert()
        .success();
    assert!(!std::fs::read_to_string(&plain).unwrap().contains("curve"));
    valueflow()
        .args(["merge", &parts[0], &plain])
        .assert()
        .code(2);
    // Nor does a shard of the same curve that reads another metric: the merge would draw and
    // judge the curve on whichever shard came first.
    let other = p("other-metric.jsonl");
    let text = std::fs::read_to_string(&parts[1])
        .unwrap()
        .replace(r#""metric":"lead_time"}"#, r#""metric":"cycle_time"}"#);
    std::fs::write(&other, text).unwrap();
    valueflow()
        .args(["merge", &parts[0], &other])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("curve"))
        .stderr(predicate::str::contains("utilisation (cycle_time)"));
}

/// A sweep declared in the scenario file runs when no --vary is given, exactly as the same
/// knobs given on the command line; a bad one is located in the file.
#[test]
fn a_sweep_declared_in_the_file_runs_like_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string(root().join(TEAM)).unwrap();
    let with_sweep = dir.path().join("swept.toml");
    std::fs::write(
        &with_sweep,
        format!("{text}\n[sweep]\nvary = [\"stages.test.workers=1..2\", \"stages.build.wip_limit=2,none\"]\n"),
    )
    .unwrap();
    let file = with_sweep.to_str().unwrap();
    let declared = stdout_of(&["sweep", file, "--format", "csv"]);
    let given = stdout_of(&sweep_args(&["--format", "csv"]));
    assert_eq!(declared, given);
    let bad = dir.path().join("bad.toml");
    std::fs::write(
        &bad,
        format!("{text}\n[sweep]\nvary = [\"stages.test.workers=4..1\"]\n"),
    )
    .unwrap();
    valueflow()
        .args(["validate", bad.to_str().unwrap()])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("sweep.vary[0]"))
        .stderr(predicate::str::contains("empty"));
    valueflow()
        .args(["sweep", TEAM])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("[sweep]"));
}

#[test]
fn ready_made_curves_run_and_say_whether_their_lesson_held() {
    let dir = tempfile::tempdir().unwrap();
    let jsonl = dir.path().join("u.jsonl");
    let out = valueflow()
        .args(["sweep", TEAM, "--curve", "utilisation", "--format", "jsonl"])
        .args(["--reps", "8", "-q", "--out"])
        .arg(&jsonl)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("curve utilisation: `load` multiplies"),
        "{err}"
    );
    assert!(err.contains("lesson held: lead time rose"), "{err}");
    // Ten loads, rising, from 30% to 95% at the busiest stage.
    let text = std::fs::read_to_string(&jsonl).unwrap();
    let loads: Vec<f64> = text
        .lines()
        .map(|l| {
            let r: serde_json::Value = serde_json::from_str(l).unwrap();
            assert_eq!(r["parameters"][0]["name"], "load");
            r["parameters"][0]["value"].as_f64().unwrap()
        })
        .collect();
    assert_eq!(loads.len(), 10);
    assert!(loads.windows(2).all(|w| w[0] < w[1]), "{loads:?}");
    assert!((loads[9] / loads[0] - 0.95 / 0.3).abs() < 1e-3, "{loads:?}");
    // A curve that needs what the scenario lacks says so before any work.
    valueflow()
        .args(["sweep", TEAM, "--curve", "feedback-delay", "-q"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("needs epics"));
    valueflow()
        .args(["sweep", TEAM, "--curve", "batch", "-q"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "valid: utilisation, batch-size, wip-limit, feedback-delay",
        ));
    valueflow()
        .args(["sweep", TEAM, "--curve", "wip-limit", "--vary", "seed=1,2"])
        .assert()
        .code(2);
}

#[test]
fn load_scales_every_arrival_rate_and_star_sets_every_element() {
    let json = |sets: &[&str]| {
        let mut args = vec!["run", TEAM, "--format", "json"];
        for s in sets {
            args.extend(["--set", s]);
        }
        stdout_of(&args)
    };
    // load = 2 doubles every arrival rate: the same run as both rates doubled by hand.
    let doubled = json(&["load=2"]);
    assert_eq!(
        doubled,
        json(&[
            "work.feature.arrival_rate=1.0",
            "work.defect.arrival_rate=0.6"
        ])
    );
    assert_ne!(doubled, json(&[]));
    assert_eq!(json(&["load=1"]), json(&[]), "load 1 changes nothing");
    // `*` sets the key in every element, as one setting per element would.
    let stages = ["analysis", "build", "review", "test", "release"];
    let by_hand: Vec<String> = stages
        .iter()
        .map(|s| format!("stages.{s}.workers=3"))
        .collect();
    let by_hand: Vec<&str> = by_hand.iter().map(String::as_str).collect();
    assert_eq!(json(&["stages.*.workers=3"]), json(&by_hand));
    valueflow()
        .args(["run", TEAM, "--set", "load=-1"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("load"));
    valueflow()
        .args(["run", TEAM, "--set", "stages.*=3"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("whole elements"));
}

/// The table shows `-` for value where no point realises any (the scenario models none), and
/// says why points differ in replications: here a `replications` axis, not `--precision`.
#[test]
fn a_sweep_table_without_value_shows_no_value_figures() {
    let out = valueflow()
        .args(["sweep", TEAM, "-q", "--vary", "replications=2,3"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let table = String::from_utf8_lossy(&out.stdout);
    assert!(
        table.contains("2 to 3 replications per point (the replications axis)"),
        "{table}"
    );
    assert!(!table.contains("--precision"), "{table}");
    let row = table.lines().nth(2).expect("a point");
    assert_eq!(row.split_whitespace().nth(1), Some("-"), "{table}");
}

#[test]
fn axes_that_would_mislabel_their_points_are_refused_before_any_work() {
    let cases: [(&[&str], &str); 8] = [
        (
            &[
                "--vary",
                "stages.build.workers=1..2",
                "--vary",
                "stages.build.workers=3..4",
            ],
            "both set `stages[1].workers`",
        ),
        // One key by two paths: by name and by position.
        (
            &[
                "--vary",
                "stages.build.workers=1..2",
                "--vary",
                "stages.1.workers=3..4",
            ],
            "--vary stages.build.workers and --vary stages.1.workers both set `stages[1].workers`",
        ),
        (
            &["--vary", "horizon=300,400", "--horizon", "50"],
            "--vary horizon and --horizon both set `horizon`",
        ),
        (
            &["--vary", "policy=fifo,cd3", "--policy", "outcome"],
            "--vary policy and --policy both set `policy`",
        ),
        (&["--vary", "seed=1,2"], "every point runs on one seed"),
        // A table and a key inside it, either way round: setting the table replaces the key.
        (
            &[
                "--vary",
                "stages.build.service.median=2,3",
                "--vary",
                "stages.build.service={dist=\"fixed\",value=1}",
            ],
            "both set `stages[1].service.median`",
        ),
        (
            &[
                "--vary",
                "stages.build.service={dist=\"fixed\",value=1}",
                "--vary",
                "stages.build.service.value=2,3",
            ],
            "both set `stages[1].service`",
        ),
        // An axis would replace a setting at every point.
        (
            &[
                "--set",
                "stages.build.workers=5",
                "--vary",
                "stages.build.workers=2,3",
            ],
            "--vary stages.build.workers and --set stages.build.workers=5 both set `stages[1].workers`; keep one",
        ),
    ];
    for (extra, says) in cases {
        valueflow()
            .args(["sweep", TEAM, "-q"])
            .args(extra)
            .assert()
            .code(2)
            .stdout("")
            .stderr(predicate::str::contains(says));
    }
    // A setting of the table that holds the axis's key is refined by the axis, not replaced.
    valueflow()
        .args(["sweep", TEAM, "-q", "--reps", "2", "--format", "csv"])
        .args([
            "--set",
            "stages.build.service={dist=\"exponential\",mean=2}",
        ])
        .args(["--vary", "stages.build.service.mean=1,2"])
        .assert()
        .success();
    let huge = "1..65536";
    valueflow()
        .args(["sweep", TEAM, "--yes", "--shard", "1/1000000"])
        .args(["--vary", &format!("stages.build.workers={huge}")])
        .args(["--vary", &format!("stages.test.workers={huge}")])
        .args(["--vary", &format!("stages.review.workers={huge}")])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("even sharded"));
}

#[test]
fn nan_and_infinity_in_a_setting_are_refused_not_dropped() {
    for v in ["nan", "inf", "-inf", "[1.0, nan]"] {
        valueflow()
            .args(["validate", TEAM, "--set"])
            .arg(format!("stages.build.workers={v}"))
            .assert()
            .code(2)
            .stderr(predicate::str::contains("is not a finite number"));
    }
}

#[test]
fn out_and_chart_on_one_file_or_an_unknown_metric_are_refused_before_any_work() {
    let dir = tempfile::tempdir().unwrap();
    let same = dir.path().join("same.svg");
    valueflow()
        .args(sweep_args(&["--out"]))
        .arg(&same)
        .arg("--chart")
        .arg(&same)
        .args(SMALL)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("give each its own file"));
    let out = dir.path().join("sweep.txt");
    valueflow()
        .args(["sweep", TEAM, "--vary", "stages.test.workers=1..2", "--out"])
        .arg(&out)
        .arg("--chart")
        .arg(dir.path().join("c.svg"))
        .args(["--metric", "bogus"])
        .args(SMALL)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--metric bogus: unknown"));
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
}

#[test]
fn compare_of_two_files_says_which_file_a_setting_fails_on() {
    valueflow()
        .args([
            "compare",
            "scenarios/mm1.toml",
            TEAM,
            "--set",
            "stages.serve.workers=2",
        ])
        .args(SMALL)
        .assert()
        .code(2)
        .stderr(predicate::str::contains(format!(
            "{TEAM}: `--set stages.serve.workers=2`: no element of `stages` is named `serve`"
        )));
}

#[test]
fn compare_of_two_files_refuses_policies_and_baseline() {
    for extra in [["--policies", "fifo,cd3"], ["--baseline", "fifo"]] {
        valueflow()
            .args(["compare", TEAM, TEAM])
            .args(extra)
            .args(SMALL)
            .assert()
            .code(2)
            .stderr(predicate::str::contains("runs one policy in both worlds"));
    }
}

#[test]
fn advise_leaves_out_a_move_past_the_most_workers_a_stage_may_have() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("big.toml");
    std::fs::write(
        &file,
        "name = \"big\"\nhorizon = 50.0\nwarmup = 5.0\nreplications = 2\n\n\
         [[work]]\nname = \"job\"\narrival_rate = 1.0\n\n\
         [[stages]]\nname = \"solo\"\nworkers = 100000\nservice = { dist = \"exponential\", mean = 1.0 }\n",
    )
    .unwrap();
    let out = valueflow()
        .args(["advise", "-q", "--format", "csv"])
        .arg(&file)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("-1 solo"), "{text}");
    assert!(!text.contains("+1 solo"), "{text}");
}

#[test]
fn a_sweep_says_which_points_the_precision_cap_stopped() {
    let out = valueflow()
        .args(["sweep", "scenarios/mm1.toml", "-q", "--set", "horizon=300"])
        .args(["--set", "warmup=30", "--vary", "stages.serve.workers=1..2"])
        .args([
            "--precision",
            "1%",
            "--target",
            "cycle_time",
            "--max-reps",
            "8",
        ])
        .output()
        .unwrap();
    assert!(out.status.success());
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(
        err.contains("warning: point 0 (stages.serve.workers=1): Precision not reached"),
        "{err}"
    );
}

#[test]
fn a_problem_names_the_argument_that_caused_it() {
    let cases: [(&[&str], &str); 5] = [
        (
            &["sweep", TEAM, "--vary", "stages.bild.workers=1..2"],
            "`--vary stages.bild.workers=1..2`: no element of `stages` is named `bild`",
        ),
        (
            &["validate", TEAM, "--set", "stages.review.rework.to=none"],
            "`--set stages.review.rework.to=none`: stages[2].rework: missing field `to`",
        ),
        (
            &["validate", TEAM, "--set", "*.horizon=3"],
            "`--set *.horizon=3`: `*.horizon`: `*` stands for every element of a list",
        ),
        (
            &[
                "validate",
                "scenarios/mm1.toml",
                "--set",
                "epics.*.feedback_delay=3",
            ],
            "the scenario has no `epics` for `*` to pick elements from",
        ),
        // The file's line is shown, and the setting that made it wrong is named.
        (
            &["validate", TEAM, "--set", "stages.build.service.dist=gamma"],
            "(with --set stages.build.service.dist=gamma)",
        ),
    ];
    for (args, says) in cases {
        valueflow()
            .args(args)
            .assert()
            .code(2)
            .stderr(predicate::str::contains(says));
    }
}

#[test]
fn the_horizon_flag_is_what_the_event_budget_judges() {
    // Ten thousand items a day: within the budget over 100 days, not over mm1's own horizon.
    let busy = [
        "--set",
        "work.job.arrival_rate=10000",
        "--set",
        "stages.serve.workers=20000",
    ];
    valueflow()
        .args(["run", "scenarios/mm1.toml", "-q", "--reps", "1"])
        .args(busy)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("events"));
    valueflow()
        .args(["run", "scenarios/mm1.toml", "-q", "--reps", "1"])
        .args(["--horizon", "100", "--warmup", "0"])
        .args(busy)
        .assert()
        .success();
    // A problem the flag causes elsewhere names the flag.
    valueflow()
        .args(["run", "scenarios/outcomes.toml", "-q", "--horizon", "200"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("(with --horizon 200.0)"));
}

#[test]
fn a_policy_axis_is_the_policy_the_records_name() {
    let csv = stdout_of(&[
        "sweep",
        TEAM,
        "--vary",
        "policy=fifo,cd3",
        "--format",
        "csv",
    ]);
    let header = csv.lines().next().unwrap();
    assert_eq!(
        header.split(',').filter(|c| *c == "policy").count(),
        1,
        "{header}"
    );
    let jsonl = stdout_of(&[
        "sweep",
        TEAM,
        "--vary",
        "policy=fifo,cd3",
        "--format",
        "jsonl",
    ]);
    let policies: Vec<String> = jsonl
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap()["policy"].to_string())
        .collect();
    assert_eq!(policies, ["\"fifo\"", "\"cd3\""]);
}

#[test]
fn a_merged_value_past_the_largest_number_does_not_hang_the_chart() {
    let dir = tempfile::tempdir().unwrap();
    let part = dir.path().join("part.jsonl");
    valueflow()
        .args(["sweep", TEAM, "--vary", "stages.test.workers=1..3"])
        .args(["--format", "jsonl", "--out", part.to_str().unwrap()])
        .args(SMALL)
        .assert()
        .success();
    // Finite numbers whose band (mean ± ci95) overflows: an axis to infinity never ends.
    let huge: String = std::fs::read_to_string(&part)
        .unwrap()
        .lines()
        .map(|line| {
            let mut r: serde_json::Value = serde_json::from_str(line).unwrap();
            r["metrics"]["cycle_time"]["mean"] = serde_json::json!(1e308);
            r["metrics"]["cycle_time"]["ci95"] = serde_json::json!(1e308);
            format!("{r}\n")
        })
        .collect();
    std::fs::write(&part, huge).unwrap();
    let chart = dir.path().join("c.svg");
    let started = std::time::Instant::now();
    valueflow()
        .args(["merge", part.to_str().unwrap(), "--metric", "cycle_time"])
        .args(["--chart", chart.to_str().unwrap()])
        .timeout(std::time::Duration::from_secs(60))
        .assert()
        .code(2)
        .stderr(predicate::str::contains("past the largest number"));
    assert!(started.elapsed().as_secs() < 30);
    assert!(!chart.exists(), "no chart half-written");
}

#[test]
fn precision_stops_at_once_when_its_target_has_no_value_and_its_cap_is_bounded() {
    // A release train that never leaves: nothing is delivered, so cycle time has no value in
    // any replication, however many.
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("never.toml");
    std::fs::write(
        &file,
        "name = \"never\"\nhorizon = 200.0\nreplications = 4\nseed = 1\n\
         [[work]]\nname = \"job\"\narrival_rate = 1.0\n\
         [[stages]]\nname = \"serve\"\nworkers = 2\nservice = { dist = \"exponential\", mean = 1.0 }\n\
         release_every = 1000.0\n",
    )
    .unwrap();
    let v = super::json_of(
        valueflow()
            .args(["run", file.to_str().unwrap(), "--format", "json", "-q"])
            .args(["--precision", "5%", "--target", "cycle_time"]),
    );
    assert_eq!(
        v["replications"], 30,
        "no doubling past the first 30 for a target no run measured"
    );
    valueflow()
        .args(["run", file.to_str().unwrap(), "-q", "--precision", "5%"])
        .args(["--target", "cycle_time", "--max-reps", "1000000000000"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "--max-reps 1000000000000: must be from 2 to 1000000",
        ));
}

#[test]
fn advise_runs_its_moves_in_groups_each_as_if_alone_against_today() {
    // 12 stages: 23 moves (no fewer than one worker), more than one group of moves.
    let mut text = String::from(
        "name = \"long line\"\nhorizon = 300.0\nreplications = 6\nseed = 5\n\
         [[work]]\nname = \"job\"\narrival_rate = 0.8\n",
    );
    for s in 0..12 {
        let workers = if s == 7 { 1 } else { 2 };
        text.push_str(&format!(
            "[[stages]]\nname = \"s{s}\"\nworkers = {workers}\nservice = {{ dist = \"exponential\", mean = {} }}\n",
            0.5 + 0.1 * f64::from(s)
        ));
    }
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("line.toml");
    std::fs::write(&file, &text).unwrap();
    let v = super::json_of(valueflow().args([
        "advise",
        file.to_str().unwrap(),
        "--format",
        "json",
        "-q",
    ]));
    let moves = v["moves"].as_array().unwrap();
    assert_eq!(moves.len(), 23);
    // The last move, paired with today's staffing on its own, gives the same difference.
    let base = scenario::load(&file).unwrap();
    let policy = base.policy_named(&base.policy).unwrap();
    for name in ["+1 s11", "-1 s0"] {
        let m = moves.iter().find(|m| m["name"] == name).unwrap();
        let (sign, stage) = name.split_once(' ').unwrap();
        let workers = if sign == "+1" { 3 } else { 1 };
        let set =
            valueflow::scenario::set::Setting::parse(&format!("stages.{stage}.workers={workers}"))
                .unwrap();
        let moved = scenario::load_with(&file, &[set]).unwrap();
        let worlds = [
            World {
                stream: &base.stream,
                policy: policy.as_ref(),
            },
            World {
                stream: &moved.stream,
                policy: policy.as_ref(),
            },
        ];
        let alone = paired::run(&worlds, 0, base.seed, base.replications, |_| {});
        let cycle = alone.deltas[1].metrics[1].mean.unwrap();
        assert_eq!(m["cycle_time"]["mean"].as_f64().unwrap(), cycle, "{name}");
    }
}

/// The scenario file with `[sweep] vary = [entries]` appended, in `dir`.
fn with_declared_sweep(dir: &std::path::Path, name: &str, entries: &str) -> String {
    let text = std::fs::read_to_string(root().join(TEAM)).unwrap();
    let file = dir.join(name);
    std::fs::write(&file, format!("{text}\n[sweep]\nvary = [{entries}]\n")).unwrap();
    file.to_str().unwrap().to_string()
}

/// The line of `file` (from 1) that holds `text`.
fn line_of(file: &str, text: &str) -> usize {
    let src = std::fs::read_to_string(file).unwrap();
    src.lines().position(|l| l.contains(text)).unwrap() + 1
}

/// A sweep the file declares that cannot run is the file's problem, whatever the command: the
/// file, `sweep.vary[i]` with its line and column, and what is valid, exit 2; never a `--vary`
/// the user did not give. `validate` finds it before any `sweep`.
#[test]
fn a_declared_sweep_that_cannot_run_is_located_in_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let unknown = with_declared_sweep(dir.path(), "unknown.toml", "\"nope.key=1\"");
    let line = line_of(&unknown, "nope.key");
    for args in [vec!["validate"], vec!["sweep", "-q"], vec!["run", "-q"]] {
        let command = args[0];
        let out = valueflow()
            .args(args)
            .arg(&unknown)
            .env("VALUEFLOW_ERRORS", "compact")
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{command}: {err}");
        assert!(
            err.contains(&format!("{unknown}:{line}:9: `sweep.vary[0]`: `nope.key=1`: nope: unknown field `nope`, expected one of `name`")),
            "{command}: {err}"
        );
        assert!(!err.contains("--vary"), "{command}: {err}");
    }
    // A value the key does not take: the first one, named as the range yields it.
    let half = with_declared_sweep(
        dir.path(),
        "half.toml",
        "\"stages.build.wip_limit=2,none\", \"stages.test.workers=1..3:0.5\"",
    );
    let line = line_of(&half, "stages.test.workers");
    valueflow()
        .args(["validate", &half])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(format!(
            "{half}:{line}:42: `sweep.vary[1]`: `stages.test.workers=1..3:0.5`: stages[3].workers: must be a whole number (got 1.5)"
        )))
        .stderr(predicate::str::contains("--vary").not());
    // A bad element name says which are valid; the sweep names the file too.
    let element = with_declared_sweep(dir.path(), "element.toml", "\"stages.tset.workers=1,2\"");
    valueflow()
        .args(["sweep", &element, "-q"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(format!("{element}:")))
        .stderr(predicate::str::contains(
            "`sweep.vary[0]`: `stages.tset.workers=1,2`",
        ))
        .stderr(predicate::str::contains(
            "valid: analysis, build, review, test, release",
        ))
        .stderr(predicate::str::contains("--vary").not());
    // What `sweep` would refuse as mislabelled points: the seed, one key on two axes.
    let seed = with_declared_sweep(dir.path(), "seed.toml", "\"seed=1,2\"");
    valueflow()
        .args(["validate", &seed])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "`sweep.vary[0]`: `seed`: every point",
        ))
        .stderr(predicate::str::contains("--vary").not());
    let twice = with_declared_sweep(
        dir.path(),
        "twice.toml",
        "\"stages.test.workers=1,2\", \"stages.*.workers=3\"",
    );
    valueflow()
        .args(["sweep", &twice, "-q"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "`sweep.vary[1]`: `stages.*.workers` sets `stages[3].workers`, as `sweep.vary[0]` does",
        ))
        .stderr(predicate::str::contains("--vary").not());
    // A point the file's values fail only together is located in the file too.
    let together = with_declared_sweep(
        dir.path(),
        "together.toml",
        "\"horizon=200,400\", \"warmup=60,300\"",
    );
    valueflow().args(["validate", &together]).assert().success();
    valueflow()
        .args(["sweep", &together, "-q", "--reps", "2"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(format!("{together}:")))
        .stderr(predicate::str::contains(
            "`sweep.vary[1]`: `warmup=60,300`: warmup: must be shorter than the horizon (200 days)",
        ))
        .stderr(predicate::str::contains("--vary").not());
    // The same knob given by --vary is still named by the flag.
    valueflow()
        .args(["sweep", TEAM, "--vary", "nope.key=1", "-q"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "`--vary nope.key=1`: nope: unknown field",
        ));
}

/// A stepped range's whole values are integers: an integer key names the first value that is
/// not whole (1.5, not 1.0), and a number key takes them (`load` 1 is written as 1).
#[test]
fn a_stepped_range_names_its_first_value_that_is_not_whole() {
    valueflow()
        .args([
            "sweep",
            TEAM,
            "--vary",
            "stages.test.workers=1..3:0.5",
            "-q",
        ])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "`--vary stages.test.workers=1..3:0.5`: stages[3].workers: must be a whole number (got 1.5)",
        ));
    let jsonl = stdout_of(&[
        "sweep",
        TEAM,
        "--vary",
        "load=0.9..1.1:0.1",
        "--format",
        "jsonl",
    ]);
    let values: Vec<serde_json::Value> = jsonl
        .lines()
        .map(|l| {
            serde_json::from_str::<serde_json::Value>(l).unwrap()["parameters"][0]["value"].clone()
        })
        .collect();
    assert_eq!(
        values,
        [
            serde_json::json!(0.9),
            serde_json::json!(1),
            serde_json::json!(1.1)
        ]
    );
    // The point at load 1 is the scenario as written (load 1).
    let csv = stdout_of(&[
        "sweep",
        TEAM,
        "--vary",
        "load=0.9..1.1:0.1",
        "--format",
        "csv",
    ]);
    assert!(csv.lines().any(|l| l.starts_with("1,1,")), "{csv}");
    let table = stdout_of(&["sweep", TEAM, "--vary", "load=0.9..1.1:0.1"]);
    assert!(
        table.lines().any(|l| l.trim_start().starts_with("1 ")),
        "{table}"
    );
}

/// `--set` reads every seed `--seed` takes, up to 18446744073709551615; past it, the seed is
/// too large, and the message names the range, not "the text".
#[test]
fn set_takes_every_seed_and_says_when_one_is_too_large() {
    let out = valueflow()
        .args(["validate", TEAM, "--set", "seed=18446744073709551615"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("seed 18446744073709551615,"));
    valueflow()
        .args(["validate", TEAM, "--set", "seed=18446744073709551616"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "`--set seed=18446744073709551616`: seed: must be a whole number from 0 to 18446744073709551615",
        ))
        .stderr(predicate::str::contains("too large"))
        .stderr(predicate::str::contains("the text").not());
    // The file says the same of the same seed.
    let dir = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string(root().join(TEAM)).unwrap();
    let file = dir.path().join("seed.toml");
    std::fs::write(
        &file,
        text.replace("seed = 2024", "seed = 18446744073709551616"),
    )
    .unwrap();
    valueflow()
        .arg("validate")
        .arg(&file)
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            ":20:8: `seed`: must be a whole number from 0 to 18446744073709551615 (got 18446744073709551616, too large)",
        ));
    // Whole numbers still set number keys.
    let run = |set: &str| stdout_of(&["run", TEAM, "--format", "json", "--set", set]);
    assert_eq!(run("load=1"), run("load=1.0"));
}

/// A declared sweep that runs never makes its file invalid: a value judged against the file's
/// other keys alone (a warm-up past the file's horizon, but not past the horizons the other
/// axis sweeps) is judged at the points instead, and a long sweep costs the other commands a
/// few readings of the file, not one per value.
#[test]
fn a_declared_sweep_that_runs_leaves_its_file_valid_for_every_command() {
    let dir = tempfile::tempdir().unwrap();
    let crossed = with_declared_sweep(
        dir.path(),
        "crossed.toml",
        "\"horizon=900,1000\", \"warmup=850\"",
    );
    valueflow().args(["validate", &crossed]).assert().success();
    valueflow()
        .args(["run", &crossed, "--reps", "2", "-q"])
        .assert()
        .success();
    valueflow()
        .args(["sweep", &crossed, "--reps", "2", "-q"])
        .assert()
        .success()
        .stdout(predicate::str::contains("2 points"));
    // A value out of bounds at a point is still refused by `sweep`, located in the file.
    let over = with_declared_sweep(dir.path(), "over.toml", "\"load=0.5,2000\"");
    valueflow().args(["validate", &over]).assert().success();
    valueflow()
        .args(["sweep", &over, "--reps", "2", "-q"])
        .env("VALUEFLOW_ERRORS", "compact")
        .assert()
        .code(2)
        .stderr(predicate::str::contains("`sweep.vary[0]`").and(predicate::str::contains("load")));
    // A sweep given by --set is the setting's: the file is not blamed for it.
    valueflow()
        .args([
            "validate",
            TEAM,
            "--set",
            "sweep.vary=[\"stages.test.workers=1.5\"]",
        ])
        .assert()
        .success();
    // ... and `sweep` names the setting at the point that fails, not a place in the file.
    let out = valueflow()
        .args(["sweep", TEAM, "--reps", "2", "-q"])
        .args(["--set", "sweep.vary=[\"stages.test.workers=1.5\"]"])
        .env("VALUEFLOW_ERRORS", "compact")
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("--set sweep.vary stages.test.workers=1.5"),
        "{err}"
    );
    assert!(!err.contains("sweep.vary[0]"), "{err}");
}

/// A setting that makes another key wrong (a shorter horizon, a key result's day now past it)
/// is named beside the problem, whether a sweep's axis or `--set` gave it.
#[test]
fn a_problem_a_setting_causes_elsewhere_names_the_setting() {
    for (args, with) in [
        (
            vec![
                "sweep",
                "scenarios/key-results.toml",
                "--vary",
                "horizon=50,100",
            ],
            "(with --vary horizon=50)",
        ),
        (
            // Only the setting that causes it is named, not every one given.
            vec![
                "run",
                "scenarios/key-results.toml",
                "--set",
                "seed=9",
                "--set",
                "horizon=50",
            ],
            "(with --set horizon=50)",
        ),
    ] {
        valueflow().args(&args).arg("-q").assert().code(2).stderr(
            predicate::str::contains("`objectives[0].key_results[0]`: day 91 is outside the run")
                .and(predicate::str::contains(with)),
        );
    }
}

/// A chart's `--metric` that is not one of the sweep's: the part that is wrong is named (a
/// stage the scenario does not have, with its stages; a stage metric that does not exist), and
/// a name that is no metric at all gets every valid form, none of them cut.
#[test]
fn an_unknown_chart_metric_says_which_part_is_wrong_and_lists_every_valid_form() {
    let dir = tempfile::tempdir().unwrap();
    let chart = dir.path().join("x.svg");
    let refuse = |metric: &str| -> String {
        let out = valueflow()
            .args(["sweep", "scenarios/key-results.toml", "-q", "--reps", "2"])
            .args(["--vary", "stages.build.workers=1,2", "--metric", metric])
            .arg("--chart")
            .arg(&chart)
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        assert_eq!(out.status.code(), Some(2), "{stderr}");
        assert!(!chart.exists(), "{stderr}");
        stderr
    };
    let stderr = refuse("stage.serv.utilization");
    assert!(
        stderr.contains(
            "`serv` is not a stage of the scenario; its stages are analysis, build, test"
        ),
        "{stderr}"
    );
    let stderr = refuse("stage.buld.utilization");
    assert!(stderr.contains("(did you mean `build`?)"), "{stderr}");
    let stderr = refuse("stage.build.utilisation");
    assert!(
        stderr.contains("`utilisation` is not a metric of a stage (did you mean `utilization`?)")
            && stderr.contains("queue_length")
            && stderr.contains("touch_time"),
        "{stderr}"
    );
    let stderr = refuse("work.feature.cycle_time");
    assert!(
        stderr.contains("a work type's metrics are completed, lead_time"),
        "{stderr}"
    );
    let stderr = refuse("cycletime");
    assert!(stderr.contains("(did you mean `cycle_time`?)"), "{stderr}");
    for form in [
        "wip_growth_per_month",
        "value_per_person_day",
        "arrival_rate",
        "\n  stage.<stage>.<metric>, with\n    <stage> one of analysis, build, test\n    <metric> one of blocked,",
        "\n  work.<work_type>.<metric>, with\n    <work_type> one of defect, feature\n    <metric> one of completed, lead_time\n",
        "\n  key_result.<key_result>.value, with\n    <key_result> one of `items_delivered >= 105 by day 91`,",
        "`value_realised >= 750_000 by day 91`",
    ] {
        assert!(stderr.contains(form), "`{form}` not in: {stderr}");
    }
    assert!(!stderr.contains("more"), "nothing cut: {stderr}");
    // A key result's value is a metric the chart can show, checked against a sample of the run.
    valueflow()
        .args(["sweep", "scenarios/key-results.toml", "-q", "--reps", "2"])
        .args(["--vary", "stages.build.workers=1,2", "--metric"])
        .arg("key_result.items_delivered >= 65 by day 91.value")
        .arg("--chart")
        .arg(&chart)
        .assert()
        .success();
    assert!(chart.exists());
}

/// A problem with an entry of the file's own `[sweep] vary` quotes the entry as written, all
/// its values, not the one value it was found with.
#[test]
fn a_declared_sweep_problem_quotes_the_whole_entry() {
    let dir = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string(root().join(TEAM)).unwrap();
    for (vary, quoted) in [
        // Found when the file is read: the key does not exist.
        (
            "stages.build.wrkers=1,2",
            "`sweep.vary[1]`: `stages.build.wrkers=1,2`: ",
        ),
        // Found at a point: its value is out of bounds.
        (
            "stages.build.wip_limit=3,0",
            "`sweep.vary[1]`: `stages.build.wip_limit=3,0`: ",
        ),
    ] {
        let file = dir.path().join("swept.toml");
        std::fs::write(
            &file,
            format!("{text}\n[sweep]\nvary = [\"stages.test.workers=1,2\", \"{vary}\"]\n"),
        )
        .unwrap();
        let out = valueflow()
            .arg("sweep")
            .arg(&file)
            .args(SMALL)
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{stderr}");
        assert!(stderr.contains(quoted), "{stderr}");
    }
}

/// A problem with a `--vary` on the command line quotes the entry as written, all its values,
/// as one declared in the file's `[sweep] vary` does: not the one point it was found with.
#[test]
fn a_vary_problem_quotes_the_whole_entry() {
    for (vary, quoted) in [
        // The key does not exist.
        (
            "stages.build.wrkers=1..4",
            "`--vary stages.build.wrkers=1..4`: stages[1].wrkers: unknown field",
        ),
        // A value out of bounds, at one point.
        (
            "stages.build.wip_limit=3,0",
            "`--vary stages.build.wip_limit=3,0`: stages[1].wip_limit: must be",
        ),
    ] {
        let out = valueflow()
            .args(["sweep", TEAM, "--vary", vary])
            .args(SMALL)
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{stderr}");
        assert!(stderr.contains(quoted), "{stderr}");
    }
}

/// Stage names a path would misread: `*` (every stage), a dot (a path step), a comma (a CSV
/// field). `advise` moves exactly the stage it names, the curves sweep exactly their stage, and
/// `advise`'s CSV keeps one field per column.
#[test]
fn stage_names_a_path_would_misread_are_addressed_by_name() {
    let dir = tempfile::tempdir().unwrap();
    let world = |name: &str, first: &str, means: (f64, f64)| {
        let path = dir.path().join(name);
        std::fs::write(
            &path,
            format!(
                r#"
name = "{name}"
horizon = 200.0
replications = 10
seed = 3
[[work]]
name = "job"
arrival_rate = 0.5
[[stages]]
name = "{first}"
workers = 2
wip_limit = 4
service = {{ dist = "exponential", mean = {} }}
release_every = 7.0
[[stages]]
name = "other"
workers = 3
service = {{ dist = "exponential", mean = {} }}
"#,
                means.0, means.1
            ),
        )
        .unwrap();
        path.to_str().unwrap().to_string()
    };
    // One fewer worker at `*` (2 → 1, utilisation 25% → 50%) moves cycle time by less than
    // the service time; every stage at one worker (`other` at 250%) would take it past 50 days.
    let succeeds = super::cli::succeeds;
    let star = world("star.toml", "*", (0.5, 5.0));
    let (json, _) = succeeds(&["advise", &star, "-q", "--format", "json"]);
    let advice: serde_json::Value = serde_json::from_str(&json).unwrap();
    let fewer = advice["moves"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["stage"] == "*" && m["change"] == -1)
        .expect("a move of one fewer at `*`");
    let delta = fewer["cycle_time"]["mean"].as_f64().unwrap();
    assert!(delta.abs() < 5.0, "{fewer}");
    // The curves sweep the one stage, whatever its name (here the busiest, with the release
    // train): by its name, quoted where a path would misread it (CSV doubles the quotes).
    for (file, first) in [("star2.toml", "*"), ("dot.toml", "code.review")] {
        let path = world(file, first, (3.0, 0.5));
        for (curve, key) in [("wip-limit", "wip_limit"), ("batch-size", "release_every")] {
            let (csv, _) = succeeds(&[
                "sweep", &path, "--curve", curve, "--reps", "2", "-q", "--format", "csv",
            ]);
            let header = csv.lines().next().unwrap().to_string();
            assert!(
                header.starts_with(&format!("point,\"stages.\"\"{first}\"\".{key}\",")),
                "{header}"
            );
        }
    }
    // A comma in a stage name is quoted in advise's CSV.
    let comma = world("comma.toml", "build, test", (0.5, 5.0));
    let (text, _) = succeeds(&["advise", &comma, "-q", "--format", "csv"]);
    let mut rows = csv::Reader::from_reader(text.as_bytes());
    let width = rows.headers().unwrap().len();
    for row in rows.records() {
        let row = row.unwrap();
        assert_eq!(row.len(), width, "{text}");
    }
    assert!(text.contains("\"+1 build, test"), "{text}");
}

/// A curve whose ends move the expected way but within their 95% intervals (too few
/// replications) says that noise, not the scenario, is why its lesson did not hold.
#[test]
fn a_curve_within_its_noise_says_to_add_replications() {
    let (_, err) = super::cli::succeeds(&[
        "sweep",
        "scenarios/release-train.toml",
        "--curve",
        "batch-size",
        "--reps",
        "3",
        "--format",
        "csv",
    ]);
    assert!(
        err.contains("lesson did not hold here: cost of delay went from")
            && err.contains("(higher, but within the 95% intervals: not clearly; add --reps)"),
        "{err}"
    );
}

/// Without a value model, `advise`'s table shows no change in value as `-`, not as a figure of
/// nothing (`0.000 ± 0.000`); with one, the figure.
#[test]
fn advise_shows_no_value_column_figures_where_no_value_is_modelled() {
    let (table, _) = super::cli::succeeds(&[
        "advise",
        "scenarios/delivery-team.toml",
        "--reps",
        "5",
        "-q",
    ]);
    let row = table
        .lines()
        .find(|l| l.starts_with("+1 build"))
        .expect("a row for one more builder");
    assert_eq!(row.split_whitespace().nth(2), Some("-"), "{table}");
    let (table, _) =
        super::cli::succeeds(&["advise", "scenarios/outcomes.toml", "--reps", "5", "-q"]);
    let row = table.lines().find(|l| l.starts_with("+1 build")).unwrap();
    assert!(
        row.split_whitespace().nth(2).unwrap().starts_with('+'),
        "{table}"
    );
}

/// A value stream where nothing moves (a backlog held at a release train that never leaves)
/// has no cycle time: `advise` neither ranks by it nor shows a number for it, and says why.
#[test]
fn advise_ranks_no_flow_by_nothing_undefined() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("stuck.toml");
    std::fs::write(
        &path,
        r#"
name = "stuck"
horizon = 100.0
replications = 5
[[work]]
name = "job"
backlog = 3
[[stages]]
name = "build"
service = { dist = "exponential", mean = 1.0 }
release_every = 1000.0
[[stages]]
name = "test"
service = { dist = "exponential", mean = 1.0 }
"#,
    )
    .unwrap();
    let file = path.to_str().unwrap();
    let advice = json_of(&["advise", file, "--format", "json", "-q"]);
    assert_eq!(advice["ranked_by"], "throughput", "{advice:#}");
    let statement = advice["statement"].as_str().unwrap();
    assert!(!statement.contains("cycle time"), "{statement}");
    for m in advice["moves"].as_array().unwrap() {
        assert!(m["cycle_time"]["mean"].is_null(), "{advice:#}");
    }
    let (table, _) = super::cli::succeeds(&["advise", file, "-q"]);
    let row = table.lines().find(|l| l.starts_with("+1 build")).unwrap();
    // Δ value realised and Δ cycle time: no figures.
    let cells: Vec<&str> = row.split_whitespace().collect();
    assert_eq!(cells[2..4], ["-", "-"], "{table}");
    assert!(
        table.contains(
            "No cycle time: no item committed after the warm-up was delivered today, so Δ cycle time shows -"
        ),
        "{table}"
    );
    assert!(
        table.contains("(Moves are ranked by throughput;"),
        "{table}"
    );
}

/// Two files that simulate different windows are compared with a warning that totals differ
/// by the window too; the same window, or one set for both by the flags, gets none.
#[test]
fn compare_of_two_windows_warns_that_totals_differ_by_the_window() {
    let args = [
        "compare",
        "scenarios/mm1.toml",
        "scenarios/wip-limits.toml",
        "--reps",
        "2",
    ];
    let (_, err) = super::cli::succeeds(&[&args[..], &["-q"]].concat());
    assert!(
        err.contains("warning: the two files simulate different windows (100000 days, warm-up 2000, against 365 days, warm-up 0)"),
        "{err}"
    );
    let (_, err) =
        super::cli::succeeds(&[&args[..], &["-q", "--horizon", "300", "--warmup", "30"]].concat());
    assert!(!err.contains("different windows"), "{err}");
}
