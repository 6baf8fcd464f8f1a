//! What-if planning from the command line: `--set`, `sweep`, shards and `merge`.

use super::root;
use assert_cmd::Command;
use predicates::prelude::*;

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
    let mut parts = Vec::new();
    for k in 1..=3 {
        let part = p(&format!("part-{k}.jsonl"));
        valueflow()
            .args(sweep_args(&[
                "--format",
                "jsonl",
                "--out",
                &part,
                "--shard",
                &format!("{k}/3"),
            ]))
            .args(SMALL)
            .assert()
            .success();
        parts.push(part);
    }
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
        .stderr(predicate::str::contains("twice"));
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
