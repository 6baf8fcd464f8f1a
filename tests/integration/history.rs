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
    // Cycle data is CSV: another extension is refused before anything runs, and nothing is
    // written.
    let toml = dir.path().join("history.toml");
    valueflow()
        .args(["history", "export", "scenarios/delivery-team.toml", "--out"])
        .arg(&toml)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("give --out a .csv name"));
    assert!(!toml.exists());
    let forecast = |file: &std::path::Path, args: &[&str]| -> serde_json::Value {
        let out = valueflow()
            .arg("forecast")
            .arg(file)
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
    let json = |args: &[&str]| forecast(&csv, args);
    let when = json(&["--items", "40"]);
    assert_eq!(when["methods"][0]["method"], "resampling");
    let days: Vec<u64> = when["methods"][0]["percentiles"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["days"].as_u64().unwrap())
        .collect();
    assert!(days.windows(2).all(|w| w[0] <= w[1]), "{days:?}");
    // About 0.8 items a day: 40 items take about 50 days at the median.
    assert!((35..=75).contains(&days[0]), "{days:?}");
    let by = json(&["--by", "2028-03-31", "--window", "90"]);
    let items: Vec<u64> = by["methods"][0]["percentiles"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["items"].as_u64().unwrap())
        .collect();
    assert!(items.windows(2).all(|w| w[0] >= w[1]), "{items:?}");
    // Same seed, same answer.
    assert_eq!(json(&["--items", "40"]), when);
    // A spreadsheet's byte-order mark, under a name that is not .csv (the file is recognised
    // by its header): the same history, the same answer.
    let bom = dir.path().join("history.txt");
    std::fs::write(&bom, [b"\xef\xbb\xbf".as_slice(), text.as_bytes()].concat()).unwrap();
    let read = forecast(&bom, &["--items", "40"]);
    for key in ["percentiles", "items_done", "window_first", "window_last"] {
        assert_eq!(read["methods"][0][key], when["methods"][0][key], "{key}");
    }
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

#[test]
fn forecast_of_a_scenario_a_backlog_file_csv_and_the_chart() {
    let dir = tempfile::tempdir().unwrap();
    // A backlog file: two of its three items are not done.
    let backlog = dir.path().join("todo.csv");
    std::fs::write(
        &backlog,
        "ID,Link,Name,Backlog,Build,Done,Type,Status,Resolution,Blocked Days\n\
         A,,a,2026-01-01,2026-01-02,2026-01-05,feature,Done,Done,0\n\
         B,,b,2026-01-01,,,feature,Backlog,,0\n\
         C,,c,2026-01-02,2026-01-03,,defect,Build,,0\n",
    )
    .unwrap();
    let chart = dir.path().join("when.svg");
    let out = valueflow()
        .args(["forecast", "tests/fixtures/roundtrip.toml", "--backlog"])
        .arg(&backlog)
        .args(["--reps", "200", "--format", "csv", "--chart"])
        .arg(&chart)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let csv = String::from_utf8(out.stdout).unwrap();
    assert!(
        csv.starts_with("method,probability,days,date\nsimulation,0.5,"),
        "{csv}"
    );
    // No --from: days, no dates.
    assert!(csv.lines().nth(1).unwrap().ends_with(','), "{csv}");
    let svg = std::fs::read_to_string(&chart).unwrap();
    assert!(svg.contains("When will 2 more items be done?"), "{svg}");
    roxmltree::Document::parse(&svg).unwrap();
    // The chart is never replaced unasked, and nothing is printed then.
    valueflow()
        .args([
            "forecast",
            "tests/fixtures/roundtrip.toml",
            "--items",
            "5",
            "--chart",
        ])
        .arg(&chart)
        .assert()
        .code(2)
        .stdout(predicate::str::is_empty());
    // How many needs a first day with a scenario alone.
    valueflow()
        .args([
            "forecast",
            "tests/fixtures/roundtrip.toml",
            "--by",
            "2027-01-01",
        ])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--from"));
    let table = valueflow()
        .args([
            "forecast",
            "tests/fixtures/roundtrip.toml",
            "--by",
            "2026-01-30",
        ])
        .args(["--from", "2026-01-01", "--reps", "100"])
        .output()
        .unwrap();
    let table = String::from_utf8(table.stdout).unwrap();
    assert!(
        table.starts_with("How many items will be done from 2026-01-01 to 2026-01-30 (30 days)?"),
        "{table}"
    );
    assert!(table.contains("at least"), "{table}");
    // A history cannot take --from, and a scenario cannot take --scenario or --window.
    valueflow()
        .args([
            "forecast",
            "tests/fixtures/roundtrip.toml",
            "--items",
            "5",
            "--window",
            "30",
        ])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--window"));
    valueflow()
        .arg("forecast")
        .arg(&backlog)
        .args(["--items", "5", "--from", "2026-01-01"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--from is for a scenario alone"));
}

#[test]
fn pipes_are_read_through_the_size_limit() {
    use std::io::Write;
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_valueflow"))
        .current_dir(root())
        .args(["forecast", "/dev/stdin", "--items", "3"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let writer = std::thread::spawn(move || {
        let mut chunk = b"ID,Link,Name,Backlog,Done,Type\n".to_vec();
        chunk.resize(1 << 20, b'x');
        // 200 MB at most: the reader stops at 100 MB and the pipe breaks.
        for _ in 0..200 {
            if stdin.write_all(&chunk).is_err() {
                break;
            }
        }
    });
    let out = child.wait_with_output().unwrap();
    writer.join().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("/dev/stdin:1:1: the file is 100000000 bytes or more"),
        "{stderr}"
    );
    assert!(out.stdout.is_empty());
}

#[test]
fn export_refuses_dates_past_9999_and_times_are_checked() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("h.csv");
    valueflow()
        .args(["history", "export", "tests/fixtures/roundtrip.toml"])
        .args(["--start", "9999-06-01", "--out"])
        .arg(&out)
        .assert()
        .code(2)
        .stderr(
            predicate::str::contains("9999-12-31")
                .and(predicate::str::contains("days"))
                .and(predicate::str::contains("latest valid start is")),
        );
    assert!(!out.exists());
    valueflow()
        .args(["forecast", "tests/fixtures/roundtrip.toml", "--items", "5"])
        .args(["--from", "2026-01-01Tfoo"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--from"));
    valueflow()
        .args([
            "forecast",
            "tests/fixtures/roundtrip.toml",
            "--by",
            "2026-03-01 EST",
        ])
        .args(["--from", "2026-01-01"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--by"));
}

#[test]
fn two_workflow_columns_of_one_name_are_refused_at_the_second() {
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("dup.csv");
    std::fs::write(
        &csv,
        "ID,Name,Build,Build,Done,Type\nA,a,2026-01-01,2026-01-02,2026-01-03,feature\n",
    )
    .unwrap();
    valueflow()
        .arg("forecast")
        .arg(&csv)
        .args(["--items", "2"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "dup.csv:1:4: the workflow column `Build` is also column 3",
        ));
}

#[test]
fn a_simulated_forecast_counts_a_delivery_at_the_end_of_the_warm_up() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("one.toml");
    std::fs::write(
        &file,
        "name = \"one item\"\nhorizon = 10.0\nreplications = 3\n\n[[work]]\nname = \"job\"\nbacklog = 1\n\n\
         [[stages]]\nname = \"s\"\nwip_limit = 1\nservice = { dist = \"fixed\", value = 0.0 }\n",
    )
    .unwrap();
    valueflow()
        .arg("forecast")
        .arg(&file)
        .args(["--items", "1", "--reps", "3", "--format", "csv"])
        .assert()
        .success()
        .stdout(predicate::str::contains(",1,"));
}

/// A scenario of two stages named `first` and `second`, and two work types.
fn two_stages(first: &str, second: &str) -> String {
    format!(
        "name = \"t\"\nhorizon = 120.0\nwarmup = 10.0\nseed = 3\npolicy = \"fifo\"\n\n\
         [[work]]\nname = \"Story\"\narrival_rate = 0.6\n\n\
         [[work]]\nname = \"Bug\"\nkind = \"defect\"\narrival_rate = 0.2\n\n\
         [[stages]]\nname = {first:?}\nworkers = 2\nservice = {{ dist = \"exponential\", mean = 1.0 }}\n\n\
         [[stages]]\nname = {second:?}\nworkers = 2\nservice = {{ dist = \"exponential\", mean = 1.0 }}\n"
    )
}

#[test]
fn issue_export_refuses_stage_names_that_would_not_read_back() {
    let dir = tempfile::tempdir().unwrap();
    for (first, second, expected) in [
        (
            "Build",
            "Done",
            "stage `Done` (stages[1]) has the name of the history's `Done` column",
        ),
        (
            "backlog",
            "Test",
            "stage `backlog` (stages[0]) has the name of the history's `Backlog` column",
        ),
        (
            "Build",
            " type ",
            "stage ` type ` (stages[1]) has the name of the history's `Type` column",
        ),
        (
            "Build",
            "build",
            "stages `Build` and `build` (stages[0] and stages[1]) differ only in case",
        ),
    ] {
        let file = dir.path().join("s.toml");
        std::fs::write(&file, two_stages(first, second)).unwrap();
        let out = dir.path().join("h.csv");
        valueflow()
            .args(["history", "export"])
            .arg(&file)
            .arg("--out")
            .arg(&out)
            .assert()
            .code(2)
            .stderr(predicate::str::contains(expected).and(predicate::str::contains("rename")));
        assert!(!out.exists(), "{first}, {second}: written");
    }
    // Whatever export accepts reads back: stages named like the columns before the workflow
    // or after Type.
    for (i, (first, second)) in [
        ("ID", "Name"),
        ("Link", "Status"),
        ("Resolution", "Blocked Days"),
    ]
    .into_iter()
    .enumerate()
    {
        let file = dir.path().join(format!("ok{i}.toml"));
        std::fs::write(&file, two_stages(first, second)).unwrap();
        let csv = dir.path().join(format!("ok{i}.csv"));
        valueflow()
            .args(["history", "export"])
            .arg(&file)
            .arg("--out")
            .arg(&csv)
            .assert()
            .success();
        let fitted = dir.path().join(format!("ok{i}.fit.toml"));
        valueflow()
            .arg("fit")
            .arg(&csv)
            .arg("--out")
            .arg(&fitted)
            .assert()
            .success();
        let sc = valueflow::scenario::load(&fitted).unwrap();
        let names: Vec<&str> = sc.stream.stages.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(names, [first, second]);
        valueflow()
            .arg("forecast")
            .arg(&csv)
            .args(["--items", "5"])
            .assert()
            .success();
    }
}

#[test]
fn a_history_too_long_to_read_back_is_refused_before_memory_runs_out() {
    // 4,000 arrivals a day for 400 days: 1.6 million rows, well over the 100 MB fit and
    // forecast read (and over the items an export keeps).
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("fast.toml");
    std::fs::write(
        &file,
        "name = \"fast\"\nhorizon = 400.0\n\
         [[work]]\nname = \"job\"\narrival_rate = 4000.0\n\
         [[stages]]\nname = \"serve\"\nworkers = 6000\nservice = { dist = \"exponential\", mean = 1.0 }\n",
    )
    .unwrap();
    let out = dir.path().join("h.csv");
    valueflow()
        .args(["history", "export", file.to_str().unwrap(), "--out"])
        .arg(&out)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("too long to export"))
        .stderr(predicate::str::contains("--set horizon=DAYS"));
    assert!(!out.exists(), "nothing written");
}

/// The x tick labels of a one-panel forecast chart, left to right, each with its x.
fn forecast_x_ticks(svg: &str) -> Vec<(f64, String)> {
    let doc = roxmltree::Document::parse(svg).expect("the SVG parses as XML");
    let mut ticks: Vec<(f64, String)> = doc
        .descendants()
        .filter(|n| {
            n.has_tag_name("text")
                && n.attribute("text-anchor") == Some("middle")
                && n.attribute("dy") == Some("0.76em")
                && n.attribute("transform").is_none()
        })
        .map(|n| {
            let x = n.attribute("x").unwrap().parse().unwrap();
            (x, n.text().unwrap_or("").trim().to_string())
        })
        .collect();
    ticks.sort_by(|a, b| a.0.total_cmp(&b.0));
    ticks
}

/// The centres of the bars of the first method (resampling, blue), left to right.
fn forecast_bar_centres(svg: &str) -> Vec<f64> {
    let doc = roxmltree::Document::parse(svg).unwrap();
    let mut xs: Vec<f64> = doc
        .descendants()
        .filter(|n| n.has_tag_name("rect") && n.attribute("fill") == Some("#0072B2"))
        .map(|n| {
            let at = |a: &str| n.attribute(a).unwrap().parse::<f64>().unwrap();
            at("x") + at("width") / 2.0
        })
        .collect();
    xs.sort_by(f64::total_cmp);
    xs
}

#[test]
fn forecast_chart_of_a_narrow_distribution_labels_each_whole_value_once_under_its_bar() {
    // A single-valued forecast read "4 4 4 4 4 4 5 5 5 5 5" along its x axis: ticks at
    // fractions of an item, rounded.
    let dir = tempfile::tempdir().unwrap();
    let one = dir.path().join("one.csv");
    std::fs::write(
        &one,
        "ID,Name,Start,Done,Type\nA,a,2026-01-01,2026-01-01,feature\n",
    )
    .unwrap();
    // Two days of history, 1 and 2 items: one day ahead is 1 or 2 items, 2 items take 1 or 2 days.
    let two = dir.path().join("two.csv");
    std::fs::write(
        &two,
        "ID,Name,Start,Done,Type\nA,a,2026-01-01,2026-01-01,feature\n\
         B,b,2026-01-01,2026-01-02,feature\nC,c,2026-01-01,2026-01-02,feature\n",
    )
    .unwrap();
    // (history, question, the values drawn, the labels expected)
    type Case<'a> = (
        &'a std::path::Path,
        [&'a str; 2],
        Vec<u64>,
        std::ops::RangeInclusive<u64>,
    );
    let cases: [Case; 4] = [
        (&one, ["--by", "2026-01-05"], vec![4], 1..=7),
        (&one, ["--items", "3"], vec![3], 0..=6),
        (&two, ["--by", "2026-01-03"], vec![1, 2], 0..=6),
        (&two, ["--items", "2"], vec![1, 2], 0..=6),
    ];
    for (k, (history, question, values, labels)) in cases.into_iter().enumerate() {
        let chart = dir.path().join(format!("c{k}.svg"));
        valueflow()
            .arg("forecast")
            .arg(history)
            .args(question)
            .arg("--chart")
            .arg(&chart)
            .assert()
            .success();
        let svg = std::fs::read_to_string(&chart).unwrap();
        let ticks = forecast_x_ticks(&svg);
        let text: Vec<&str> = ticks.iter().map(|t| t.1.as_str()).collect();
        let want: Vec<String> = labels.map(|v| v.to_string()).collect();
        assert_eq!(text, want, "{question:?}: every whole value once, in order");
        // Each bar stands over its value's label.
        let bars = forecast_bar_centres(&svg);
        assert_eq!(bars.len(), values.len(), "{question:?}");
        for (bar, v) in bars.iter().zip(&values) {
            let label = ticks.iter().find(|t| t.1 == v.to_string()).unwrap();
            assert!(
                (bar - label.0).abs() <= 2.0,
                "{question:?}: the bar of {v} at x {bar}, its label at {}",
                label.0
            );
        }
    }
}
