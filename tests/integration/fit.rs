//! `fit` and forecasts by simulation. The round trip: simulate a known team
//! (`tests/fixtures/roundtrip.toml`), export its history, fit a scenario to the history,
//! simulate the fit, and check that (1) the fitted arrival rates' 95% intervals hold the true
//! rates, (2) the refit's cycle times match the history's by a two-sample Kolmogorov–Smirnov
//! test at the 5% level, (3) When / How-many forecasts by resampling (a) and by simulating the
//! fit (b) agree with the true model's within 12%. Then fit's bad input: each names its file,
//! line and column, exits 2 and writes nothing.

use super::root;
use assert_cmd::Command;
use predicates::prelude::*;
use std::path::{Path, PathBuf};
use valueflow::history::{self, fit, mapping::Mapping};
use valueflow::model::flow;
use valueflow::scenario;
use valueflow::stats::ks;

const FIXTURE: &str = "tests/fixtures/roundtrip.toml";
/// The fixture's arrival rates per day.
const TRUE_RATES: [(&str, f64); 2] = [("Story", 0.6), ("Bug", 0.3)];
/// The level of the Kolmogorov–Smirnov test.
const ALPHA: f64 = 0.05;
/// Replications of the refit pooled for its cycle-time distribution (about 3,000 items).
const REFIT_REPS: u64 = 5;
/// How far a forecast of the fitted world may be from the true model's, as a share of the
/// true answer: the fitted arrival rate is off by up to 1.96/√n ≈ 8% at 95% confidence with
/// the fixture's n ≈ 630 arrivals (and the forecast with it), answers are whole days or items
/// (1 in about 45, 2%), and 1,000 simulated trials leave about 2% of Monte Carlo error at the
/// 95th percentile: 12% in all.
const TOLERANCE: f64 = 0.12;

fn valueflow() -> Command {
    let mut c = Command::cargo_bin("valueflow").unwrap();
    c.current_dir(root());
    c
}

/// A history of the fixture and the scenario fitted to it, in a temporary folder.
struct Trip {
    _dir: tempfile::TempDir,
    history: PathBuf,
    fitted: PathBuf,
}

fn round_trip() -> Trip {
    let dir = tempfile::tempdir().unwrap();
    let history = dir.path().join("history.csv");
    let fitted = dir.path().join("team.toml");
    valueflow()
        .args([
            "history",
            "export",
            FIXTURE,
            "--start",
            "2026-01-01",
            "--out",
        ])
        .arg(&history)
        .assert()
        .success();
    valueflow()
        .arg("fit")
        .arg(&history)
        .arg("--out")
        .arg(&fitted)
        .assert()
        .success()
        .stdout(predicate::str::contains("workers"));
    Trip {
        _dir: dir,
        history,
        fitted,
    }
}

fn fit_of(path: &Path) -> fit::Fit {
    let text = std::fs::read_to_string(path).unwrap();
    let h = history::read(&text, "history.csv").unwrap();
    let types: Vec<String> = h.items.iter().map(|i| i.kind.clone()).collect();
    let w = Mapping::default()
        .resolve(&h.columns, &types, "history.csv")
        .unwrap();
    fit::fit(&h, &w, "history.csv").unwrap()
}

#[test]
fn round_trip_recovers_the_arrival_rates_within_their_intervals() {
    let trip = round_trip();
    valueflow()
        .arg("validate")
        .arg(&trip.fitted)
        .assert()
        .success();
    let f = fit_of(&trip.history);
    let sc = scenario::load(&trip.fitted).unwrap();
    for (name, truth) in TRUE_RATES {
        let t = f.types.iter().find(|t| t.name == name).unwrap();
        eprintln!(
            "arrival rate {name}: true {truth}, fitted {:.4} (n = {}), 95% interval {:.4} to {:.4}",
            t.rate, t.n, t.interval.0, t.interval.1
        );
        assert!(
            t.interval.0 <= truth && truth <= t.interval.1,
            "{name}: {truth} outside {:?}",
            t.interval
        );
        // The scenario carries the estimate (to four significant digits).
        let w = sc
            .stream
            .work_types
            .iter()
            .find(|w| w.name == name)
            .unwrap();
        assert!((w.arrival_rate.unwrap() / t.rate - 1.0).abs() < 1e-3);
    }
    assert_eq!(
        sc.stream
            .work_types
            .iter()
            .find(|w| w.name == "Bug")
            .unwrap()
            .kind,
        valueflow::model::Kind::Defect,
        "Type `Bug` is a defect by its name"
    );
    // The fixture's arrivals are Poisson; the dispersion check must not say otherwise.
    let d = f.dispersion.unwrap();
    assert_eq!(
        d.verdict(),
        valueflow::stats::DispersionVerdict::Poisson,
        "{d:?}"
    );
}

/// Whole-day cycle times (commitment to done) of a cycle-data history.
fn history_cycle_times(path: &Path) -> Vec<f64> {
    fit_of(path)
        .cycle
        .counts()
        .iter()
        .flat_map(|&(d, c)| std::iter::repeat_n(f64::from(d), c as usize))
        .collect()
}

/// Whole-day cycle times of replications 0..reps of a scenario, dated as `history export`
/// dates them (the floor of each time).
fn simulated_cycle_times(path: &Path, reps: u64) -> Vec<f64> {
    let sc = scenario::load(path).unwrap();
    let policy = sc.policy_named(&sc.policy).unwrap();
    (0..reps)
        .flat_map(|i| {
            let (_, trace) = flow::simulate_traced(&sc.stream, policy.as_ref(), sc.seed, i);
            trace
                .items
                .into_iter()
                .filter_map(|it| Some(it.delivered?.floor() - it.committed?.floor()))
                .collect::<Vec<f64>>()
        })
        .collect()
}

#[test]
fn refit_cycle_times_match_the_history_by_kolmogorov_smirnov() {
    let trip = round_trip();
    let original = history_cycle_times(&trip.history);
    let refit = simulated_cycle_times(&trip.fitted, REFIT_REPS);
    let t = ks::two_sample(&original, &refit).unwrap();
    eprintln!(
        "cycle time KS: n = {} (history) vs {} (refit), D = {:.4}, p = {:.3}, critical D at {ALPHA} = {:.4}",
        t.n.0,
        t.n.1,
        t.d,
        t.p,
        t.critical(ALPHA)
    );
    assert!(original.len() > 500 && refit.len() > 2500, "{t:?}");
    assert!(t.p >= ALPHA && t.d < t.critical(ALPHA), "{t:?}");
    // The test has the power to see a one-day error at these sizes.
    let late: Vec<f64> = refit.iter().map(|d| d + 1.0).collect();
    let off = ks::two_sample(&original, &late).unwrap();
    assert!(off.p < ALPHA, "{off:?}");
}

/// The percentile answers of every method of a `forecast --format json`.
fn answers(args: &[&str]) -> (serde_json::Value, Vec<Vec<u64>>) {
    let out = valueflow()
        .arg("forecast")
        .args(args)
        .args(["--format", "json"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let per_method = json["methods"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            m["percentiles"]
                .as_array()
                .unwrap()
                .iter()
                .map(|p| p["days"].as_u64().or(p["items"].as_u64()).unwrap())
                .collect()
        })
        .collect();
    (json, per_method)
}

fn agree(what: &str, truth: &[u64], method: &str, got: &[u64]) {
    eprintln!("{what}: true model {truth:?}, {method} {got:?}");
    for (t, g) in truth.iter().zip(got) {
        let (t, g) = (*t as f64, *g as f64);
        assert!(
            (g - t).abs() <= TOLERANCE * t,
            "{what}, {method}: {got:?} vs the true model's {truth:?} (tolerance {TOLERANCE})"
        );
    }
}

#[test]
fn forecasts_by_resampling_and_by_the_fit_agree_with_the_true_model() {
    let trip = round_trip();
    let h = trip.history.to_str().unwrap();
    let f = trip.fitted.to_str().unwrap();
    let (json, both) = answers(&[h, "--scenario", f, "--items", "40"]);
    let from = json["from"].as_str().unwrap().to_string();
    assert_eq!(json["methods"][1]["method"], "simulation");
    let (_, truth) = answers(&[FIXTURE, "--items", "40", "--from", &from]);
    agree(
        "When 40 items (days)",
        &truth[0],
        "(a) resampling",
        &both[0],
    );
    agree(
        "When 40 items (days)",
        &truth[0],
        "(b) simulation",
        &both[1],
    );
    let by = "2028-03-31";
    let (json, both) = answers(&[h, "--scenario", f, "--by", by]);
    assert!(json["days"].as_u64().unwrap() >= 80, "{json}");
    let (_, truth) = answers(&[FIXTURE, "--by", by, "--from", &from]);
    agree(
        "How many by 2028-03-31 (items)",
        &truth[0],
        "(a) resampling",
        &both[0],
    );
    agree(
        "How many by 2028-03-31 (items)",
        &truth[0],
        "(b) simulation",
        &both[1],
    );
}

/// A history with one row that `edit` changes, for the bad-input tests.
const GOOD: &str = "ID,Link,Name,Backlog,Build,Test,Done,Type,Status,Resolution,Blocked Days\n\
    A-1,,one,2026-01-01,2026-01-02,2026-01-04,2026-01-05,Story,Done,Done,0\n\
    A-2,,two,2026-01-02,2026-01-03,2026-01-06,2026-01-07,Bug,Done,Done,0\n";

/// Runs `fit` on `csv` with `extra` arguments: exit 2, every fragment on standard error,
/// nothing on standard output, and no file but the inputs left in the folder.
fn refused(csv: &str, extra: &[&str], expected: &[&str]) {
    let dir = tempfile::tempdir().unwrap();
    let h = dir.path().join("h.csv");
    std::fs::write(&h, csv).unwrap();
    refused_file(dir.path(), &h, extra, expected);
}

fn refused_file(dir: &Path, history: &Path, extra: &[&str], expected: &[&str]) {
    let before: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    let out = valueflow()
        .current_dir(dir)
        .arg("fit")
        .arg(history.file_name().unwrap())
        .args(["--out", "team.toml"])
        .args(extra)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(out.stdout.is_empty());
    for e in expected {
        assert!(stderr.contains(e), "missing `{e}` in: {stderr}");
    }
    let after: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(
        before.len(),
        after.len(),
        "something was written: {after:?}"
    );
    assert!(!dir.join("team.toml").exists());
}

#[test]
fn fit_refuses_bad_input_naming_line_and_column_and_writes_nothing() {
    // The good history fits.
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("h.csv"), GOOD).unwrap();
    valueflow()
        .current_dir(dir.path())
        .args(["fit", "h.csv", "--out", "team.toml"])
        .assert()
        .success();
    valueflow()
        .current_dir(dir.path())
        .args(["validate", "team.toml"])
        .assert()
        .success();
    // An unparsable date: line 3, column 5 (Build).
    refused(
        &GOOD.replace("2026-01-03", "3 Jan 2026"),
        &[],
        &["h.csv:3:5: Build", "is not a date"],
    );
    // Stage dates out of order: Test before Build, line 2, column 6.
    refused(
        &GOOD.replace("2026-01-02,2026-01-04", "2026-01-02,2026-01-01"),
        &[],
        &["h.csv:2:6: Test", "must not go backwards"],
    );
    // Done before created.
    refused(
        &GOOD.replace(
            "A-1,,one,2026-01-01,2026-01-02,2026-01-04,2026-01-05",
            "A-1,,one,2026-01-09,,,2026-01-05",
        ),
        &[],
        &["h.csv:2:7: Done", "done before it was created"],
    );
    // An empty history: the header only.
    refused(
        GOOD.lines().next().unwrap(),
        &[],
        &["h.csv:2:1", "no items"],
    );
    // A mapping to a stage that does not exist: in a mapping file, at the name's line and
    // column; as a flag, at the header that lists the columns.
    let dir = tempfile::tempdir().unwrap();
    let h = dir.path().join("h.csv");
    std::fs::write(&h, GOOD).unwrap();
    std::fs::write(
        dir.path().join("map.toml"),
        "done = \"Done\"\ncommitment = \"Deploy\"\n",
    )
    .unwrap();
    refused_file(
        dir.path(),
        &h,
        &["--mapping", "map.toml"],
        &["map.toml:2:14: `Deploy` is not a workflow column of h.csv; valid: Backlog, Build, Test, Done"],
    );
    refused_file(
        dir.path(),
        &h,
        &["--commitment", "Deploy"],
        &["h.csv:1:1: --commitment: `Deploy` is not a workflow column"],
    );
    refused_file(
        dir.path(),
        &h,
        &["--kind", "Bug=bugfix"],
        &["--kind: `bugfix` is not a kind; valid: feature, defect, debt, risk"],
    );
    // A 100 MB file is refused before it is read: a sparse file costs no disk.
    let big = dir.path().join("big.csv");
    std::fs::File::create(&big)
        .unwrap()
        .set_len(history::MAX_BYTES)
        .unwrap();
    refused_file(
        dir.path(),
        &big,
        &[],
        &["big.csv:1:1: the file is 100000000 bytes", "100 MB"],
    );
    // An existing output is never replaced unasked; --force replaces it.
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("h.csv"), GOOD).unwrap();
    std::fs::write(dir.path().join("team.toml"), "mine").unwrap();
    valueflow()
        .current_dir(dir.path())
        .args(["fit", "h.csv", "--out", "team.toml"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--force"));
    assert_eq!(
        std::fs::read_to_string(dir.path().join("team.toml")).unwrap(),
        "mine"
    );
    valueflow()
        .current_dir(dir.path())
        .args(["fit", "h.csv", "--out", "team.toml", "--force"])
        .assert()
        .success();
    assert!(std::fs::read_to_string(dir.path().join("team.toml"))
        .unwrap()
        .contains("[[stages]]"));
}

#[test]
fn fit_names_the_true_line_and_column_of_malformed_csv() {
    // CRLF line endings and blank lines count as lines.
    refused(
        "ID,Link,Name,Backlog,Build,Done,Type\r\nA,,a,2026-01-01,2026-01-02,2026-01-05,feature\r\nB,,b,2026-01-01,bad,2026-01-05,feature\r\n",
        &[],
        &["h.csv:3:5: Build"],
    );
    refused(
        "ID,Link,Name,Backlog,Build,Done,Type\n\n\nB,,b,2026-01-01,bad,2026-01-05,feature\n",
        &[],
        &["h.csv:4:5: Build"],
    );
    // A time that is not one.
    refused(
        &GOOD.replace("2026-01-03", "2026-01-03T25:00:00Z"),
        &[],
        &["h.csv:3:5: Build", "not a time of day"],
    );
    refused(
        &GOOD.replace("2026-01-03", "2026-01-03 garbage"),
        &[],
        &["h.csv:3:5:"],
    );
    // Latin-1 bytes.
    let dir = tempfile::tempdir().unwrap();
    let h = dir.path().join("latin1.csv");
    let mut bytes = GOOD.as_bytes().to_vec();
    let at = GOOD.find("two").unwrap();
    bytes.splice(at..at + 3, [b't', 0xE9, b'o']);
    std::fs::write(&h, bytes).unwrap();
    refused_file(
        dir.path(),
        &h,
        &[],
        &["latin1.csv:3:7: byte 0xE9 is not UTF-8", "save it as UTF-8"],
    );
    // An unterminated quote, a header without Type, required columns out of order.
    refused(
        &GOOD.replace("A-2,,two,", "A-2,,\"unterminated,"),
        &[],
        &["h.csv:3:3:", "never closed"],
    );
    refused(
        "ID,Link,Name,Backlog,Done,Status\nA,,a,2026-01-01,2026-01-02,Done\n",
        &[],
        &[
            "h.csv:1:1: the header lacks Type",
            "required columns are ID, Name and Type",
        ],
    );
    refused(
        "Name,ID,Link,Backlog,Done,Type\na,A,,2026-01-01,2026-01-02,x\n",
        &[],
        &["h.csv:1:1: `Name` (column 1) comes before `ID` (column 2)"],
    );
    // Rows cut short or too long, and an ID seen twice.
    refused(
        &GOOD.replace("2026-01-06,2026-01-07,Bug,Done,Done,0", "2026-01-06"),
        &[],
        &["h.csv:3:7: the row has 6 cells and the header 11"],
    );
    refused(
        &GOOD.replace("Bug,Done,Done,0", "Bug,Done,Done,0,1"),
        &[],
        &["h.csv:3:12: the row has 12 cells and the header 11"],
    );
    refused(
        &GOOD.replace("A-2,", "A-1,"),
        &[],
        &["h.csv:3:1: ID `A-1` is already the item of line 2"],
    );
}

#[test]
fn fit_follows_a_mapping_of_backlog_commitment_done_and_kinds() {
    let dir = tempfile::tempdir().unwrap();
    let csv =
        "ID,Link,Name,Ideas,Ready,Build,Test,Done,Archived,Type,Status,Resolution,Blocked Days\n\
        A,,a,2026-01-01,2026-01-03,2026-01-04,2026-01-06,2026-01-07,2026-02-01,Chore,Done,Done,0\n\
        B,,b,2026-01-02,2026-01-02,2026-01-05,2026-01-05,2026-01-09,,Incident,Done,Done,0\n";
    std::fs::write(dir.path().join("h.csv"), csv).unwrap();
    std::fs::write(
        dir.path().join("map.toml"),
        "backlog = [\"Ideas\", \"Ready\"]\ncommitment = \"Test\"\ndone = \"Done\"\n[kinds]\nChore = \"debt\"\n",
    )
    .unwrap();
    valueflow()
        .current_dir(dir.path())
        .args([
            "fit",
            "h.csv",
            "--out",
            "team.toml",
            "--mapping",
            "map.toml",
        ])
        .args(["--kind", "Incident=risk"])
        .assert()
        .success();
    let sc = scenario::load(&dir.path().join("team.toml")).unwrap();
    let names: Vec<&str> = sc.stream.stages.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names, ["Build", "Test"]);
    assert_eq!(sc.stream.commitment, 1);
    let kinds: Vec<&str> = sc.stream.work_types.iter().map(|w| w.kind.name()).collect();
    assert_eq!(kinds, ["debt", "risk"]);
    let text = std::fs::read_to_string(dir.path().join("team.toml")).unwrap();
    assert!(
        text.contains("Columns after done are ignored: Archived."),
        "{text}"
    );
}

#[test]
fn issue_types_that_print_alike_get_names_of_their_own() {
    let dir = tempfile::tempdir().unwrap();
    // A real tab and the text `\t`, a real line break and the text `\n`, an empty Type beside
    // `unspecified` and `unspecified (empty Type)`: each pair prints as one name.
    let csv = "ID,Link,Name,Backlog,Build,Done,Type\n\
        A,,a,2026-01-01,2026-01-02,2026-01-04,\"a\tb\"\n\
        B,,b,2026-01-02,2026-01-03,2026-01-05,a\\tb\n\
        C,,c,2026-01-03,2026-01-04,2026-01-06,\"new\nline\"\n\
        D,,d,2026-01-04,2026-01-05,2026-01-07,new\\nline\n\
        E,,e,2026-01-05,2026-01-06,2026-01-08,\n\
        F,,f,2026-01-06,2026-01-07,2026-01-09,unspecified (empty Type)\n\
        G,,g,2026-01-07,2026-01-08,2026-01-10,unspecified\n";
    let h = dir.path().join("types.csv");
    std::fs::write(&h, csv).unwrap();
    let out = dir.path().join("types.toml");
    let got = valueflow()
        .arg("fit")
        .arg(&h)
        .arg("--out")
        .arg(&out)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&got.stderr);
    assert_eq!(got.status.code(), Some(0), "{stderr}");
    let sc = scenario::load(&out).unwrap();
    let names: Vec<&str> = sc
        .stream
        .work_types
        .iter()
        .map(|w| w.name.as_str())
        .collect();
    assert_eq!(
        names,
        [
            "a\\tb",
            "a\\tb-2",
            "new\\nline",
            "new\\nline-2",
            "unspecified (empty Type)",
            "unspecified (empty Type)-2",
            "unspecified"
        ]
    );
    let text = std::fs::read_to_string(&out).unwrap();
    assert!(
        text.contains("# Note: Type \"a\\\\tb\" is written as work type `a\\tb-2`"),
        "{text}"
    );
}

#[test]
fn issue_a_stage_without_observed_durations_is_a_warning() {
    let dir = tempfile::tempdir().unwrap();
    // Nothing is done: Build has items that never left it, Test has none at all.
    let csv = "ID,Link,Name,Backlog,Build,Test,Done,Type\n\
        A,,a,2026-01-01,2026-01-05,,,Story\n\
        B,,b,2026-01-02,2026-01-05,,,Story\n";
    let h = dir.path().join("open.csv");
    std::fs::write(&h, csv).unwrap();
    let out = dir.path().join("open.toml");
    let got = valueflow()
        .arg("fit")
        .arg(&h)
        .arg("--out")
        .arg(&out)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&got.stderr);
    assert_eq!(got.status.code(), Some(0), "{stderr}");
    for (stage, why) in [
        ("Build", "2 items entered it and none has left it"),
        ("Test", "no item has a date in it"),
    ] {
        let warning =
            format!("stage `{stage}` has no observed durations ({why}): its service time is written as `fixed 0`, a placeholder");
        assert!(
            stderr.contains(&format!("warning: {}: {warning}", h.display())),
            "{stderr}"
        );
        let text = std::fs::read_to_string(&out).unwrap();
        assert!(text.contains(&format!("# WARNING: {warning}")), "{text}");
    }
    let summary = String::from_utf8_lossy(&got.stdout);
    assert!(summary.contains("no observed durations"), "{summary}");
}
