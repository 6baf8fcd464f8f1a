//! `forecast` and `fit` at their edges: answers beyond the ten-year reach, the quiet days at
//! the end of a history, settings that would change nothing, names that are not printable,
//! contradictory or empty mappings.

use super::root;
use assert_cmd::Command;
use predicates::prelude::*;
use std::path::Path;

fn valueflow() -> Command {
    let mut c = Command::cargo_bin("valueflow").unwrap();
    c.current_dir(root());
    c
}

/// Writes `text` to `name` in `dir` and returns its path.
fn file(dir: &Path, name: &str, text: &str) -> std::path::PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p
}

/// Two items done on 2026-01-05, then nothing until the history ends on 2026-03-01.
const STALE: &str = "ID,Link,Name,Backlog,Build,Done,Type\n\
A,,a,2026-01-01,2026-01-02,2026-01-05,feature\n\
B,,b,2026-01-01,2026-01-02,2026-01-05,feature\n\
C,,c,2026-01-01,2026-01-02,,feature\n\
D,,d,2026-03-01,2026-03-01,,feature\n";

#[test]
fn an_answer_beyond_ten_years_is_refused_not_capped() {
    let dir = tempfile::tempdir().unwrap();
    let h = file(dir.path(), "stale.csv", STALE);
    let chart = dir.path().join("c.svg");
    // 2 items in 56 days: 1,000 items need about 28,000 days.
    valueflow()
        .args(["forecast", "--items", "1000", "--chart"])
        .arg(&chart)
        .arg(&h)
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "1000 items are not done within 3653 days (ten years) in ",
        ));
    assert!(!chart.exists(), "nothing is written");
    // A date more than ten years ahead is refused too.
    valueflow()
        .args(["forecast", "--by", "2040-01-01"])
        .arg(&h)
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "forecasts reach at most 3653 days",
        ));
}

#[test]
fn the_quiet_days_before_the_history_ends_count_as_throughput() {
    let dir = tempfile::tempdir().unwrap();
    let h = file(dir.path(), "stale.csv", STALE);
    let out = valueflow()
        .args(["forecast", "--items", "10", "--format", "json"])
        .arg(&h)
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let v: serde_json::Value = serde_json::from_slice(&out).unwrap();
    let m = &v["methods"][0];
    // The window runs from the first delivery to the history's last date, 2026-03-01.
    assert_eq!(m["window_first"], "2026-01-05", "{m}");
    assert_eq!(m["window_last"], "2026-03-01", "{m}");
    assert_eq!(m["items_done"], 2, "{m}");
    let per_day = m["mean_per_day"].as_f64().unwrap();
    assert!((per_day - 2.0 / 56.0).abs() < 1e-12, "{per_day}");
    // The forecast starts the day after the history ends, not after the last delivery.
    assert_eq!(v["from"], "2026-03-02", "{v}");
    // About 280 days at 1/28 a day; the median is far from the 5 days a 1-day window gave.
    let median = m["percentiles"][0]["days"].as_u64().unwrap();
    assert!((150..450).contains(&median), "{median}");
}

#[test]
fn settings_that_would_change_nothing_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let h = file(dir.path(), "stale.csv", STALE);
    for (flag, value) in [
        ("--reps", "5"),
        ("--policy", "cd3"),
        ("--set", "horizon=100"),
    ] {
        valueflow()
            .args(["forecast", "--items", "3", flag, value])
            .arg(&h)
            .assert()
            .code(2)
            .stderr(predicate::str::contains(format!(
                "{flag} sets up the simulated forecast; add --scenario FILE"
            )));
    }
    valueflow()
        .args([
            "forecast",
            "scenarios/delivery-team.toml",
            "--items",
            "3",
            "--trials",
            "5",
        ])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--trials sets the resampling"));
    valueflow()
        .args(["forecast", "--items", "3", "--window", "0"])
        .arg(&h)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--window must be at least 1 day"));
}

#[test]
fn a_scenario_that_cannot_answer_is_refused_clearly() {
    let dir = tempfile::tempdir().unwrap();
    // One item every day, one worker taking 100,000 days each: nothing is delivered for ages.
    let sc = file(
        dir.path(),
        "slow.toml",
        "name = \"slow\"\nhorizon = 100.0\n\n[[work]]\nname = \"w\"\narrival_rate = 1.0\n\n\
         [[stages]]\nname = \"s\"\nworkers = 1\nservice = { dist = \"fixed\", value = 100000.0 }\n",
    );
    valueflow()
        .args(["forecast", "--items", "1"])
        .arg(&sc)
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "replication 0 delivered only 0 of 1 items in 3653 days",
        ));
}

#[test]
fn a_column_name_with_a_line_break_still_makes_a_valid_scenario() {
    let dir = tempfile::tempdir().unwrap();
    let h = file(
        dir.path(),
        "nl.csv",
        "ID,Link,Name,Backlog,\"new\nline\",Done,Type\nA,,a,2026-01-01,2026-01-02,2026-01-05,feature\n",
    );
    let out = dir.path().join("nl.toml");
    valueflow()
        .arg("fit")
        .arg(&h)
        .arg("--out")
        .arg(&out)
        .assert()
        .success();
    let toml = std::fs::read_to_string(&out).unwrap();
    assert!(toml.contains("stages new\\nline;"), "{toml}");
    valueflow().arg("validate").arg(&out).assert().success();
}

#[test]
fn fit_refuses_a_type_given_two_kinds_and_says_where_arrival_is_without_a_backlog() {
    let dir = tempfile::tempdir().unwrap();
    let h = file(dir.path(), "stale.csv", STALE);
    let out = dir.path().join("t.toml");
    valueflow()
        .arg("fit")
        .arg(&h)
        .args([
            "--kind",
            "feature=defect",
            "--kind",
            "feature=debt",
            "--out",
        ])
        .arg(&out)
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "--kind feature=debt contradicts --kind feature=defect",
        ));
    assert!(!out.exists());
    let mapping = file(dir.path(), "m.toml", "backlog = []\n");
    valueflow()
        .arg("fit")
        .arg(&h)
        .arg("--mapping")
        .arg(&mapping)
        .arg("--out")
        .arg(&out)
        .assert()
        .success();
    let toml = std::fs::read_to_string(&out).unwrap();
    assert!(
        toml.contains("# Mapping: arrival = entering the first stage (no backlog column);"),
        "{toml}"
    );
}

#[test]
fn issue_a_history_piped_to_dev_stdin_is_read_once() {
    let dir = tempfile::tempdir().unwrap();
    let h = file(dir.path(), "stale.csv", STALE);
    let from_file = valueflow()
        .arg("forecast")
        .arg(&h)
        .args(["--items", "3", "--format", "json"])
        .output()
        .unwrap();
    assert!(from_file.status.success());
    // `cat stale.csv | valueflow forecast /dev/stdin`: no extension, so the header is looked
    // at; the text read for it is the text parsed.
    let piped = valueflow()
        .args(["forecast", "/dev/stdin", "--items", "3", "--format", "json"])
        .write_stdin(STALE)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&piped.stderr);
    assert!(piped.status.success(), "{stderr}");
    let a: serde_json::Value = serde_json::from_slice(&from_file.stdout).unwrap();
    let b: serde_json::Value = serde_json::from_slice(&piped.stdout).unwrap();
    assert_eq!(
        a["methods"][0]["percentiles"],
        b["methods"][0]["percentiles"]
    );
    assert_eq!(b["methods"][0]["history"], "/dev/stdin");
    assert_eq!(a["from"], b["from"]);
}

#[test]
fn issue_a_history_ending_on_9999_12_31_is_refused_at_that_date() {
    let dir = tempfile::tempdir().unwrap();
    let h = file(
        dir.path(),
        "end.csv",
        "ID,Link,Name,Backlog,Build,Done,Type\n\
         A,,a,9999-12-20,9999-12-21,9999-12-25,feature\n\
         B,,b,9999-12-21,9999-12-22,9999-12-31,feature\n",
    );
    for format in ["json", "table", "csv"] {
        let out = valueflow()
            .arg("forecast")
            .arg(&h)
            .args(["--items", "3", "--format", format])
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{stderr}");
        assert!(
            stderr.contains("end.csv:3:6: the history runs to 9999-12-31"),
            "{stderr}"
        );
        assert!(!stderr.contains("10000-"), "{stderr}");
        assert!(out.stdout.is_empty());
    }
}

#[test]
fn issue_a_history_with_nothing_done_is_refused_at_its_done_column() {
    let dir = tempfile::tempdir().unwrap();
    let h = file(
        dir.path(),
        "open.csv",
        "\nID,Link,Name,Backlog,Build,Done,Type\n\
         A,,a,2026-01-01,2026-01-02,,feature\n",
    );
    valueflow()
        .arg("forecast")
        .arg(&h)
        .args(["--items", "3"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "open.csv:2:6: no item has a date in the last workflow column (Done): nothing to resample",
        ));
    // A backlog file in which everything is done: the same cell of that file.
    let done = file(
        dir.path(),
        "done.csv",
        STALE.replace(",,feature", ",2026-03-01,feature").as_str(),
    );
    valueflow()
        .arg("forecast")
        .arg(&h)
        .arg("--backlog")
        .arg(&done)
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "done.csv:1:6: every item has a date in the last workflow column (Done)",
        ));
}
