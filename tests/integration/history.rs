//! Tracker history: `history export` writes cycle data; `forecast` resamples its throughput.

use super::root;
use assert_cmd::Command;
use predicates::prelude::*;

fn valueflow() -> Command {
    let mut c = Command::cargo_bin("valueflow").unwrap();
    c.current_dir(root());
    c
}

#[test]
fn exported_history_reads_back_and_forecasts() {
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("history.csv");
    valueflow()
        .args([
            "history",
            "export",
            "scenarios/delivery-team.toml",
            "--start",
            "2026-01-01",
        ])
        .arg("--out")
        .arg(&csv)
        .assert()
        .success();
    let text = std::fs::read_to_string(&csv).unwrap();
    assert!(text.starts_with(
        "ID,Link,Name,Backlog,analysis,build,review,test,release,Done,Type,Status,Resolution,Blocked Days\n"
    ));
    // Every delivered item in the file is one the simulation delivered, dated from the start.
    let h = valueflow::history::read(&text, "history.csv").unwrap();
    assert!(h.done_days().len() > 400, "{}", h.done_days().len());
    // Never replaced unasked.
    valueflow()
        .args(["history", "export", "scenarios/delivery-team.toml", "--out"])
        .arg(&csv)
        .assert()
        .code(2);
    let json = |args: &[&str]| -> serde_json::Value {
        let out = valueflow()
            .arg("forecast")
            .arg(&csv)
            .args(args)
            .args(["--format", "json"])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice(&out.stdout).unwrap()
    };
    let when = json(&["--items", "40"]);
    let days: Vec<u64> = when["percentiles"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["days"].as_u64().unwrap())
        .collect();
    assert!(days.windows(2).all(|w| w[0] <= w[1]), "{days:?}");
    // About 0.8 items a day: 40 items take about 50 days at the median.
    assert!((35..=75).contains(&days[0]), "{days:?}");
    let by = json(&["--by", "2028-03-31", "--window", "90"]);
    let items: Vec<u64> = by["percentiles"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["items"].as_u64().unwrap())
        .collect();
    assert!(items.windows(2).all(|w| w[0] >= w[1]), "{items:?}");
    // Same seed, same answer.
    assert_eq!(json(&["--items", "40"]), when);
}

#[test]
fn bad_history_names_the_line_and_column_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.csv");
    std::fs::write(
        &bad,
        "ID,Link,Name,Backlog,Build,Done,Type,Status,Resolution,Blocked Days\n\
         A,,a,2026-01-01,2026-01-03,2026-01-02,feature,Done,Done,0\n",
    )
    .unwrap();
    valueflow()
        .arg("forecast")
        .arg(&bad)
        .args(["--items", "3"])
        .assert()
        .code(2)
        .stdout(predicate::str::is_empty())
        .stderr(predicate::str::contains("bad.csv:2:6").and(predicate::str::contains("backwards")));
    std::fs::write(
        &bad,
        "ID,Link,Name,Backlog,Done,Type,Status,Resolution,Blocked Days\nA,,a,2026-01-01,31/01/2026,feature,Done,Done,0\n",
    )
    .unwrap();
    valueflow()
        .arg("forecast")
        .arg(&bad)
        .args(["--by", "2026-03-01"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("bad.csv:2:5"));
    valueflow()
        .args([
            "history",
            "export",
            "scenarios/mm1.toml",
            "--start",
            "2026-02-30",
            "--out",
        ])
        .arg(dir.path().join("h.csv"))
        .assert()
        .code(2)
        .stderr(predicate::str::contains("no such day"));
    assert!(!dir.path().join("h.csv").exists());
}
