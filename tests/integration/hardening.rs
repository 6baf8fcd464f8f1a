//! Nothing `validate` accepts may hang, crash or lie. Each reproducer of a past failure is
//! pinned by a test named after it; a property test feeds valid-looking scenarios with extreme
//! numbers (0, subnormal, tiny, huge, 1e308, infinite, NaN, negative) through parsing,
//! validation and a bounded run.

use super::cli::succeeds;
use assert_cmd::Command;
use proptest::prelude::*;
use valueflow::report::Exporter;
use valueflow::report::{Json, RunReport};
use valueflow::scenario::{self, Format};

const BASE: &str = r#"name = "h"
horizon = 100.0
replications = 2

[[work]]
name = "job"
arrival_rate = 0.5

[[stages]]
name = "build"
workers = 1
service = { dist = "exponential", mean = 1.0 }
"#;

/// Runs `valueflow run` on `text` and returns (exit code, stderr); fails on a panic.
fn run_text(text: &str, args: &[&str]) -> (i32, String) {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("x.toml");
    std::fs::write(&file, text).unwrap();
    let out = Command::cargo_bin("valueflow")
        .unwrap()
        .arg("run")
        .arg(&file)
        .args(args)
        .arg("--quiet")
        .timeout(std::time::Duration::from_secs(60))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).to_string();
    assert!(!stderr.contains("panicked"), "{stderr}");
    (out.status.code().unwrap_or(-1), stderr)
}

/// `text` is refused with exit 2 and every fragment in `expected`.
fn refused(text: &str, expected: &[&str]) {
    let (code, stderr) = run_text(text, &[]);
    assert_eq!(code, 2, "{stderr}");
    for e in expected {
        assert!(stderr.contains(e), "missing `{e}` in {stderr}");
    }
}

fn with_stage_line(line: &str) -> String {
    BASE.replace(
        "service = { dist = \"exponential\", mean = 1.0 }",
        &format!("service = {{ dist = \"exponential\", mean = 1.0 }}\n{line}"),
    )
}

#[test]
fn a_release_train_every_femtosecond_is_refused_before_the_run() {
    refused(
        &with_stage_line("release_every = 1e-12"),
        &[
            "x.toml:2:1",
            "`horizon`",
            "events",
            "limits.events_per_replication",
        ],
    );
}

#[test]
fn a_service_shorter_than_the_clock_resolves_is_refused_and_zero_is_instant() {
    // 1e-14 days is below the clock's resolution late in a run: the touch time would take no
    // time on the clock, and flow efficiency would read above 100%.
    let tiny = BASE.replace(
        "service = { dist = \"exponential\", mean = 1.0 }",
        "service = { dist = \"exponential\", mean = 1e-14 }",
    );
    assert_ne!(tiny, BASE);
    refused(
        &tiny,
        &["`stages[0].service`", "1e-14 days", "at least 1e-6 days"],
    );
    let instant = BASE.replace(
        "service = { dist = \"exponential\", mean = 1.0 }",
        "service = { dist = \"fixed\", value = 0.0 }",
    );
    let (code, stderr) = run_text(&instant, &[]);
    assert_eq!(code, 0, "{stderr}");
}

#[test]
fn a_defect_that_always_spawns_itself_is_refused() {
    let text = format!(
        "{BASE}\n[[work]]\nname = \"defect\"\nkind = \"defect\"\nbacklog = 1\nservice = {{ build = {{ dist = \"fixed\", value = 0.0 }} }}\nspawns = {{ work = \"defect\", probability = 1.0, delay = {{ dist = \"fixed\", value = 0.0 }} }}\n"
    );
    refused(&text, &["`work[1].spawns.probability`", "endless chain"]);
}

/// A defect that spawns another with probability 0.999: about 1,000 defects a replication
/// and 2,100 events on average, under the budget of 2,500 that validation checks the estimate
/// against; but the chain's length is geometric, and about one replication in three runs past
/// the budget.
fn chain_past_its_estimate() -> String {
    format!(
        "{BASE}\n[limits]\nevents_per_replication = 2500\n\n[[work]]\nname = \"defect\"\nkind = \"defect\"\nbacklog = 1\nservice = {{ build = {{ dist = \"fixed\", value = 0.0 }} }}\nspawns = {{ work = \"defect\", probability = 0.999, delay = {{ dist = \"fixed\", value = 0.0 }} }}\n"
    )
}

/// A feature spawning a defect, spawning a second defect, declared in `order`; `back` is the
/// probability that the second spawns a feature again (a cycle).
fn spawn_chain(order: [usize; 3], back: f64) -> String {
    let tables = [
        "[[work]]\nname = \"f\"\narrival_rate = 1.0\nspawns = { work = \"d1\", probability = 1.0, delay = { dist = \"fixed\", value = 1.0 } }\n".to_string(),
        "[[work]]\nname = \"d1\"\nkind = \"defect\"\nspawns = { work = \"d2\", probability = 1.0, delay = { dist = \"fixed\", value = 1.0 } }\n".to_string(),
        format!("[[work]]\nname = \"d2\"\nkind = \"defect\"\nspawns = {{ work = \"f\", probability = {back}, delay = {{ dist = \"fixed\", value = 1.0 }} }}\n"),
    ];
    let work: String = order.iter().map(|&i| tables[i].as_str()).collect();
    format!("name = \"chain\"\nhorizon = 365.0\n{work}[[stages]]\nname = \"a\"\nservice = {{ dist = \"fixed\", value = 0.1 }}\n")
}

#[test]
fn offered_utilisation_follows_spawn_chains_whatever_order_they_are_declared_in() {
    let load = |text: &str| {
        let sc = scenario::parse(text, Format::Toml, "chain.toml").unwrap();
        (
            sc.stream.offered_utilization()[0],
            sc.stream.estimated_load().1,
        )
    };
    for back in [0.0, 0.5] {
        // Per feature: itself and two defects, 3 items, and the cycle repeats with `back`:
        // 3 / (1 - back) items of 0.1 days per feature arriving.
        let want = 0.3 / (1.0 - back);
        let first = load(&spawn_chain([0, 1, 2], back));
        for order in [[2, 1, 0], [1, 0, 2], [2, 0, 1]] {
            let got = load(&spawn_chain(order, back));
            assert!(
                (got.0 - want).abs() < 1e-12,
                "{order:?}, back {back}: {got:?}"
            );
            assert!(
                (got.1 - first.1).abs() < 1e-6 * first.1,
                "{order:?}: {got:?} {first:?}"
            );
        }
    }
}

#[test]
fn a_spawn_chain_longer_than_its_estimate_stops_at_the_event_budget() {
    let text = chain_past_its_estimate();
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out.json");
    let (code, stderr) = run_text(
        &text,
        &[
            "--reps",
            "20",
            "--format",
            "json",
            "--out",
            out.to_str().unwrap(),
        ],
    );
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains("hit its budget of 2500 events")
            && stderr.contains("limits.events_per_replication"),
        "{stderr}"
    );
    assert!(!out.exists(), "no output after a budget error");
}

/// Work the policy never starts (debt, which the feature factory does not work on) piles up in
/// the backlog, and every arrival has the policy weigh the whole pile: few events, but a
/// replication that takes the square of the pile's length. The items it weighs count against
/// the event budget, so it stops with a clear error instead of running for hours.
#[test]
fn a_policy_weighing_a_queue_that_only_grows_stops_at_the_event_budget() {
    let text = r#"
name = "never started"
horizon = 5000.0
replications = 2
policy = "feature-factory"
[limits]
events_per_replication = 100000
[[work]]
name = "chore"
kind = "debt"
arrival_rate = 5.0
[[stages]]
name = "serve"
workers = 1
service = { dist = "exponential", mean = 0.1 }
"#;
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out.json");
    let (code, stderr) = run_text(text, &["--format", "json", "--out", out.to_str().unwrap()]);
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains("hit its budget of 100000 events")
            && stderr.contains("weighed over 1600000 waiting items (16 to an event)"),
        "{stderr}"
    );
    assert!(!out.exists(), "no output after a budget error");
}

#[test]
fn a_replication_out_of_its_budget_stops_the_replications_not_yet_started() {
    // Every replication hits the budget: running all 2,000 before the error only delays it.
    let text = chain_past_its_estimate();
    let sc = scenario::parse(&text, Format::Toml, "budget.toml").unwrap();
    let p = valueflow::policy::by_name("fifo").unwrap();
    let s = valueflow::experiment::run(&sc.stream, p.as_ref(), 1, 2000, |_| {});
    assert!(s.exceeded.is_some(), "the budget was hit");
    // At most the first chunk of 256 ran (those already started when the first was cut).
    assert!(s.replications <= 256, "{} replications ran", s.replications);
}

#[test]
fn a_huge_mean_times_a_zero_size_is_refused_not_a_nan_time() {
    let text = BASE
        .replace(
            "arrival_rate = 0.5",
            "arrival_rate = 0.5\nsize = { dist = \"fixed\", value = 0.0 }",
        )
        .replace("mean = 1.0 }", "mean = 1.7e308 }");
    refused(&text, &["`stages[0].service`", "at most 1e12"]);
}

#[test]
fn an_absurdly_wide_lognormal_is_refused_under_every_policy() {
    let text = BASE.replace(
        "service = { dist = \"exponential\", mean = 1.0 }",
        "service = { dist = \"lognormal\", median = 1e-3, p90 = 1e3 }",
    );
    refused(&text, &["`stages[0].service`", "times `median`"]);
    let text = BASE.replace(
        "service = { dist = \"exponential\", mean = 1.0 }",
        "service = { dist = \"lognormal\", mean = 1.0, sd = 1e9 }",
    );
    refused(&text, &["`stages[0].service`", "times `mean`"]);
}

#[test]
fn a_triangular_up_to_1e300_is_refused_not_a_negative_time() {
    for slot in ["service", "size"] {
        let dist = "{ dist = \"triangular\", min = 0.0, mode = 0.0, max = 1e300 }";
        let text = if slot == "service" {
            BASE.replace("{ dist = \"exponential\", mean = 1.0 }", dist)
        } else {
            BASE.replace(
                "arrival_rate = 0.5",
                &format!("arrival_rate = 0.5\nsize = {dist}"),
            )
        };
        refused(&text, &["at most 1e12"]);
    }
}

#[test]
fn counts_beyond_their_types_are_refused_not_wrapped() {
    let epic = "\n[[epics]]\nname = \"e\"\nwork = \"job\"\nbacklog = 1\nsuccess_probability = 0.5\nslices = 70000\nvalue = { dist = \"fixed\", value = 1.0 }\nfeedback_delay = 1.0\n";
    refused(
        &format!("{BASE}{epic}"),
        &["`epics[0].slices`", "from 1 to 10000"],
    );
    refused(
        &BASE.replace("workers = 1", "workers = 2147483648"),
        &["`stages[0].workers`", "from 1 to 100000"],
    );
    let juggler = "\n[[policies]]\nname = \"j\"\norder = \"fifo\"\nwip = \"start-everything\"\njuggle = 5000\n";
    refused(
        &format!("{BASE}{juggler}"),
        &["`policies[0].juggle`", "from 1 to 100"],
    );
}

#[test]
fn huge_backlogs_and_arrival_rates_are_refused_before_memory_runs_out() {
    refused(
        &BASE.replace("arrival_rate = 0.5", "backlog = 100000000"),
        &["`work[0].backlog`", "limits.items_per_replication"],
    );
    refused(
        &BASE.replace("arrival_rate = 0.5", "arrival_rate = 1e6"),
        &["`horizon`", "events"],
    );
    // Arrivals the team cannot take pile up; the run stops at the item budget.
    let (code, stderr) = run_text(
        &BASE.replace("arrival_rate = 0.5", "arrival_rate = 1e4"),
        &[],
    );
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("items alive at once"), "{stderr}");
}

#[test]
fn endless_horizons_and_replications_are_refused() {
    refused(
        &BASE.replace("horizon = 100.0", "horizon = 1e300"),
        &["`horizon`", "at most 1000000 days (got 1e300)"],
    );
    refused(
        &BASE.replace("replications = 2", "replications = 4294967296"),
        &["`replications`", "from 1 to 1000000"],
    );
    let (code, stderr) = run_text(BASE, &["--reps", "2000000"]);
    assert_eq!(code, 2, "{stderr}");
    let (code, stderr) = run_text(BASE, &["--horizon", "1e300"]);
    assert_eq!(code, 2, "{stderr}");
}

#[test]
fn validation_is_not_quadratic_in_work_types() {
    let mut text = String::from("name = \"many\"\nhorizon = 10.0\n\n[[stages]]\nname = \"s\"\nservice = { dist = \"fixed\", value = 1.0 }\n");
    for i in 0..10_000 {
        text.push_str(&format!(
            "\n[[work]]\nname = \"w{i}\"\narrival_rate = 0.0001\n"
        ));
    }
    let start = std::time::Instant::now();
    let parsed = scenario::parse(&text, Format::Toml, "many.toml");
    assert!(parsed.is_ok(), "{:?}", parsed.err());
    assert!(start.elapsed().as_secs_f64() < 5.0, "{:?}", start.elapsed());
}

#[test]
fn money_near_the_largest_float_is_refused_not_a_null_value() {
    refused(
        &BASE.replace(
            "arrival_rate = 0.5",
            "arrival_rate = 0.5\nvalue = { dist = \"fixed\", value = 1.7e308 }",
        ),
        &["`work[0].value`", "at most 1e12"],
    );
    refused(
        &BASE.replace(
            "arrival_rate = 0.5",
            "arrival_rate = 0.5\nurgency = { class = \"expedite\", cost_per_day = 1.7e308 }",
        ),
        &["`work[0].urgency.cost_per_day`", "at most 1e12"],
    );
}

#[test]
fn a_closed_pipe_is_not_a_panic() {
    use std::io::Read;
    use std::process::{Command as Std, Stdio};
    let mut child = Std::new(assert_cmd::cargo::cargo_bin("valueflow"))
        .args(["run", "scenarios/delivery-team.toml", "--reps", "4"])
        .current_dir(super::root())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Read one byte, then close the pipe, as `| head -c 1` would.
    let mut one = [0u8; 1];
    child.stdout.take().unwrap().read_exact(&mut one).unwrap();
    let status = child.wait().unwrap();
    let mut stderr = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut stderr)
        .unwrap();
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(status.code().is_some(), "killed by a signal");
}

/// The numbers the property test puts into scenarios.
fn extreme() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("0.0".to_string()),
        Just("5e-324".to_string()),
        Just("1e-300".to_string()),
        Just("1e-9".to_string()),
        Just("0.5".to_string()),
        Just("1.0".to_string()),
        Just("3.0".to_string()),
        Just("1e12".to_string()),
        Just("1e308".to_string()),
        Just("1.7976931348623157e308".to_string()),
        Just("inf".to_string()),
        Just("nan".to_string()),
        Just("-1.0".to_string()),
    ]
}

fn whole() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("0".to_string()),
        Just("1".to_string()),
        Just("3".to_string()),
        Just("65536".to_string()),
        Just("4294967296".to_string()),
        Just("-1".to_string()),
    ]
}

/// A scenario with every stage, work, epic, spawn and value slot filled from `x` and `n`.
fn scenario_text(x: &[String], n: &[String], policy: &str) -> String {
    format!(
        r#"name = "fuzz"
horizon = {h}
warmup = {w}
replications = 2
policy = "{policy}"

[limits]
events_per_replication = 200000
items_per_replication = 20000

[[work]]
name = "job"
arrival_rate = {rate}
backlog = {backlog}
size = {{ dist = "triangular", min = {s0}, mode = {s0}, max = {s1} }}
value = {{ dist = "lognormal", median = {v0}, p90 = {v1} }}
urgency = {{ class = "fixed-date", deadline = {d}, penalty = {pen} }}
spawns = {{ work = "defect", probability = {p}, delay = {{ dist = "exponential", mean = {dl} }} }}

[[work]]
name = "defect"
kind = "defect"
spawns = {{ work = "defect", probability = {p2}, delay = {{ dist = "fixed", value = {dl2} }} }}

[[epics]]
name = "bet"
work = "job"
backlog = {eb}
success_probability = {sp}
slices = {slices}
value = {{ dist = "gamma", mean = {gm}, cv = {gcv} }}
feedback_delay = {fd}

[[stages]]
name = "build"
workers = {workers}
wip_limit = {wip}
service = {{ dist = "exponential", mean = {m} }}

[[stages]]
name = "test"
service = {{ dist = "uniform", min = {u0}, max = {u1} }}
rework = {{ to = "build", probability = {rw} }}
release_every = {rel}
"#,
        h = x[0],
        w = x[1],
        rate = x[2],
        s0 = x[3],
        s1 = x[4],
        v0 = x[5],
        v1 = x[6],
        d = x[7],
        pen = x[8],
        p = x[9],
        dl = x[10],
        p2 = x[11],
        dl2 = x[12],
        sp = x[13],
        gm = x[14],
        gcv = x[15],
        fd = x[16],
        m = x[17],
        u0 = x[18],
        u1 = x[19],
        rw = x[20],
        rel = x[21],
        backlog = n[0],
        eb = n[1],
        slices = n[2],
        workers = n[3],
        wip = n[4],
    )
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    /// Whatever the numbers, a scenario is either refused by validation (with a message) or
    /// runs to the end within its budgets, and then reports only finite numbers or nulls.
    #[test]
    fn extreme_numbers_are_refused_or_run_within_bounds(
        x in proptest::collection::vec(extreme(), 22),
        n in proptest::collection::vec(whole(), 5),
        policy in prop_oneof![Just("fifo"), Just("outcome"), Just("feature-factory"), Just("cd3")],
    ) {
        let text = scenario_text(&x, &n, policy);
        let Ok(sc) = scenario::parse(&text, Format::Toml, "fuzz.toml") else {
            return Ok(());
        };
        let p = sc.policy_named(&sc.policy).unwrap();
        let summary = valueflow::experiment::run_with_key_results(
            &sc.stream, p.as_ref(), &sc.key_results, sc.seed, 2, |_| {},
        );
        if summary.exceeded.is_some() {
            // The CLI refuses to report these (exit 2); nothing more to check.
            return Ok(());
        }
        let json = Json.render(&RunReport::new(&sc, &summary));
        prop_assert!(!json.contains("NaN"), "{}", json);
        let v: serde_json::Value = serde_json::from_str(&json).unwrap();
        prop_assert!(v["metrics"]["value_realised"]["mean"].is_number() || v["metrics"]["value_realised"]["mean"].is_null());
        let _ = sc.describe();
    }
}

#[test]
fn the_property_test_scenario_is_valid_with_ordinary_numbers() {
    // Guards the generator: with plain numbers the template is a valid scenario that runs.
    let x: Vec<String> = [
        "100.0", "0.0", "0.5", "0.5", "2.0", "1.0", "3.0", "50.0", "10.0", "0.1", "5.0", "0.1",
        "1.0", "0.5", "3.0", "0.5", "5.0", "1.0", "0.5", "1.5", "0.1", "7.0",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    let n: Vec<String> = ["3", "2", "3", "2", "4"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    let text = scenario_text(&x, &n, "outcome");
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("ok.toml");
    std::fs::write(&f, text).unwrap();
    succeeds(&["run", f.to_str().unwrap(), "--quiet"]);
}

/// Runs valueflow with `args` from the project root, its standard output and error both on a
/// pipe whose reading end is already closed (what `2>&1 | head` leaves once `head` has
/// exited); returns its exit code (`None` if a signal ended it).
fn with_closed_stderr(args: &[&str]) -> Option<i32> {
    use std::os::fd::FromRawFd;
    let mut fds = [0 as libc::c_int; 2];
    assert_eq!(unsafe { libc::pipe(fds.as_mut_ptr()) }, 0);
    // SAFETY: both ends are new and owned here; the reading end is closed at once.
    let (read, write) = unsafe {
        (
            std::os::fd::OwnedFd::from_raw_fd(fds[0]),
            std::os::fd::OwnedFd::from_raw_fd(fds[1]),
        )
    };
    drop(read);
    let write2 = write.try_clone().unwrap();
    std::process::Command::new(env!("CARGO_BIN_EXE_valueflow"))
        .args(args)
        .current_dir(super::root())
        .stdout(std::process::Stdio::from(write))
        .stderr(std::process::Stdio::from(write2))
        .status()
        .unwrap()
        .code()
}

#[test]
fn issue_closed_stderr_messages_are_dropped_and_the_exit_code_is_the_commands() {
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("h.csv");
    std::fs::write(
        &csv,
        "ID,Link,Name,Backlog,Build,Done,Type\n\
         A,,a,2026-01-01,2026-01-02,2026-01-04,feature\n\
         B,,b,2026-01-02,2026-01-03,,feature\n",
    )
    .unwrap();
    let path = |name: &str| dir.path().join(name).display().to_string();
    let h = csv.display().to_string();
    // A success writes its file, warns and says "wrote" on the closed stderr: exit 0.
    let out = path("fit.toml");
    assert_eq!(with_closed_stderr(&["fit", &h, "--out", &out]), Some(0));
    assert!(std::path::Path::new(&out).exists());
    let story = path("story.toml");
    assert_eq!(
        with_closed_stderr(&["scenarios", "--export", "wip-limits", "--out", &story]),
        Some(0)
    );
    assert!(std::path::Path::new(&story).exists());
    let exported = path("export.csv");
    assert_eq!(
        with_closed_stderr(&[
            "history",
            "export",
            "scenarios/mm1.toml",
            "--out",
            &exported
        ]),
        Some(0)
    );
    // The simulation commands too: `run --out` and `board` say "wrote", `init` what it wrote.
    let report = path("run.json");
    assert_eq!(
        with_closed_stderr(&[
            "run",
            "scenarios/mm1.toml",
            "--reps",
            "2",
            "--format",
            "json",
            "--out",
            &report
        ]),
        Some(0)
    );
    assert!(std::path::Path::new(&report).exists());
    let board = path("board.html");
    assert_eq!(
        with_closed_stderr(&[
            "board",
            "scenarios/wip-limits.toml",
            "--horizon",
            "30",
            "--out",
            &board
        ]),
        Some(0)
    );
    assert_eq!(with_closed_stderr(&["init", &path("new.toml")]), Some(0));
    // A refusal prints its error on the closed stderr: exit 2, as on a terminal.
    assert_eq!(
        with_closed_stderr(&["fit", &h, "--out", &path("fit.yaml")]),
        Some(2)
    );
    assert_eq!(
        with_closed_stderr(&["forecast", &h, "--items", "0"]),
        Some(2)
    );
}

#[test]
fn issue_a_scenario_name_cannot_break_out_of_the_boards_script() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("dbl.toml");
    let title = "Team <!-- <script> notes & </script>";
    std::fs::write(
        &file,
        BASE.replace("name = \"h\"", &format!("name = {title:?}"))
            .replace("name = \"job\"", "name = \"</script><img src=x>\""),
    )
    .unwrap();
    let page = dir.path().join("board.html");
    succeeds(&[
        "board",
        file.to_str().unwrap(),
        "--policies",
        "fifo",
        "--out",
        page.to_str().unwrap(),
    ]);
    let html = std::fs::read_to_string(&page).unwrap();
    let open = "<script type=\"application/json\" id=\"data\">";
    let start = html.find(open).unwrap() + open.len();
    let end = start + html[start..].find("</script>").unwrap();
    let data = &html[start..end];
    // Nothing in the data can end the element or open a comment that hides its end.
    assert!(!data.contains(['<', '>', '&']), "{data}");
    let v: serde_json::Value = serde_json::from_str(data).unwrap();
    assert_eq!(v["title"], title);
    assert_eq!(v["work_types"][0], "</script><img src=x>");
    assert_eq!(html.matches("<script").count(), 2, "the page's own two");
}

#[test]
fn issue_scenarios_export_writes_only_a_toml_name() {
    let dir = tempfile::tempdir().unwrap();
    for name in ["story.yaml", "story.json", "story"] {
        let out = dir.path().join(name);
        let got = Command::cargo_bin("valueflow")
            .unwrap()
            .args(["scenarios", "--export", "wip-limits", "--out"])
            .arg(&out)
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&got.stderr);
        assert_eq!(got.status.code(), Some(2), "{name}: {stderr}");
        assert!(stderr.contains("give --out a .toml name"), "{stderr}");
        assert!(!out.exists(), "{name} was written");
    }
    let out = dir.path().join("story.toml");
    succeeds(&[
        "scenarios",
        "--export",
        "wip-limits",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(std::fs::read_to_string(&out)
        .unwrap()
        .contains("[[stages]]"));
}

#[test]
fn issue_a_long_run_is_replayed_in_part_on_a_bounded_board() {
    // 20,000 days at 2.7 arrivals a day: 54,000 items a lane, more than a page replays.
    let html = long_board("scenarios/mmc.toml");
    assert!(html.len() < 8_000_000, "board.html is {} bytes", html.len());
    let v = board_data(&html);
    let until = v["horizon"].as_f64().unwrap();
    assert!(until > 1000.0 && until < 20000.0, "replayed to day {until}");
    assert_eq!(until.fract(), 0.0, "a whole day: {until}");
    assert_eq!(v["cut"]["horizon"], 20000.0);
    let note = v["cut"]["note"].as_str().unwrap();
    assert!(
        note.contains(&format!("replays days 0 to {until} of the 20000"))
            && note.contains("--horizon"),
        "{note}"
    );
    // The note counts the run's items, not only those traced (the trace stops once the board
    // has what it can show).
    let total: usize = note
        .split(" of ")
        .nth(2)
        .and_then(|t| t.split(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no item count in: {note}"));
    assert!((50_000..60_000).contains(&total), "{note}");
    let items: usize = v["lanes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["items"].as_array().unwrap().len())
        .sum();
    assert!(items <= valueflow::report::board::MAX_ITEMS, "{items}");
    // Every day shown is shown whole: no item replayed arrives after the last day.
    for l in v["lanes"].as_array().unwrap() {
        for it in l["items"].as_array().unwrap() {
            assert!(it["a"].as_f64().unwrap() <= until);
        }
    }
}

/// The board page of `file` run for 20,000 days.
fn long_board(file: &str) -> String {
    let dir = tempfile::tempdir().unwrap();
    let page = dir.path().join("b.html");
    succeeds(&[
        "board",
        file,
        "--horizon",
        "20000",
        "--out",
        page.to_str().unwrap(),
    ]);
    std::fs::read_to_string(&page).unwrap()
}

/// The JSON a board page embeds.
fn board_data(html: &str) -> serde_json::Value {
    let open = "<script type=\"application/json\" id=\"data\">";
    let start = html.find(open).unwrap() + open.len();
    let end = start + html[start..].find("</script>").unwrap();
    serde_json::from_str(&html[start..end]).unwrap()
}

#[test]
fn issue_a_cut_board_shows_the_value_realised_by_its_last_day_and_no_later() {
    // 20,000 days of the flagship: more items than a page replays, so the page stops early.
    let v = board_data(&long_board("scenarios/outcomes.toml"));
    let until = v["horizon"].as_f64().unwrap();
    assert!(v["cut"].is_object() && until < 20000.0, "{until}");
    let checkpoints: Vec<f64> = v["checkpoints"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_f64().unwrap())
        .collect();
    // The page's value line ends on its last day: no checkpoint after it, one on it.
    assert_eq!(checkpoints.last(), Some(&until), "{checkpoints:?}");
    // Checkpoints only record: a run with the last day as a checkpoint is the same run, and
    // its value by that day is what the page shows.
    let mut sc = super::scenario("outcomes.toml");
    sc.stream.horizon = 20000.0;
    sc.stream.checkpoints = vec![until / 2.0, 20000.0];
    let mut with = sc.clone();
    with.stream.checkpoints = vec![until / 2.0, until, 20000.0];
    for (lane, name) in v["lanes"]
        .as_array()
        .unwrap()
        .iter()
        .zip(["feature-factory", "outcome"])
    {
        let p = sc.policy_named(name).unwrap();
        let plain = valueflow::model::flow::simulate(&sc.stream, p.as_ref(), sc.seed, 0);
        let checked = valueflow::model::flow::simulate(&with.stream, p.as_ref(), sc.seed, 0);
        let at = |r: &valueflow::metrics::ReplicationResult| r.outcomes.value_at.clone();
        assert_eq!(at(&plain)[0], at(&checked)[0], "{name}");
        assert_eq!(at(&plain)[1], at(&checked)[2], "{name}");
        assert_eq!(
            (
                plain.departed,
                plain.outcomes.cost_of_delay,
                plain.cycle_time.mean()
            ),
            (
                checked.departed,
                checked.outcomes.cost_of_delay,
                checked.cycle_time.mean()
            ),
            "{name}"
        );
        assert_eq!(
            plain.events + 1,
            checked.events,
            "{name}: one snapshot more"
        );
        let shown = lane["value_at"].as_array().unwrap();
        assert_eq!(shown.len(), checkpoints.len(), "{name}");
        let last = shown.last().unwrap().as_f64().unwrap();
        assert_eq!(last, at(&checked)[1], "{name}: the value by day {until}");
        assert!(
            last < at(&checked)[2],
            "{name}: later deliveries are not shown"
        );
    }
}

#[test]
fn a_yaml_key_given_twice_is_named_without_the_parser_s_options() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("dup.yaml");
    std::fs::write(&file, "name: a\nname: b\nhorizon: 10\n").unwrap();
    let out = Command::cargo_bin("valueflow")
        .unwrap()
        .args(["validate"])
        .arg(&file)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("dup.yaml:2:1: `name` is given twice"), "{err}");
    assert!(!err.contains("DuplicateKeyPolicy"), "{err}");
}

#[test]
fn a_warm_up_of_minus_zero_is_zero() {
    for args in [&["--set", "warmup=-0.0"][..], &["--warmup", "-0"][..]] {
        let mut run = Command::cargo_bin("valueflow").unwrap();
        run.args([
            "run",
            "scenarios/mm1.toml",
            "--reps",
            "2",
            "--horizon",
            "500",
        ])
        .args(args)
        .args(["--format", "json", "-q"])
        .current_dir(super::root());
        let v = super::json_of(&mut run);
        assert!(v["warmup"].as_f64().unwrap().is_sign_positive(), "{args:?}");
    }
}
