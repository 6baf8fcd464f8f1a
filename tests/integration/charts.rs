//! Charts, the report folder, `demo`, and `index.html` in a real headless browser.

use super::{all_scenarios, root};
use assert_cmd::Command;
use predicates::prelude::*;
use valueflow::experiment;
use valueflow::model::flow;
use valueflow::report::chart::{self, ChartData, ChartKind};
use valueflow::scenario;

fn valueflow() -> Command {
    let mut c = Command::cargo_bin("valueflow").unwrap();
    c.current_dir(root());
    c
}

/// Width and height from a PNG's IHDR chunk.
fn png_size(bytes: &[u8]) -> (u32, u32) {
    assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n", "not a PNG");
    assert_eq!(&bytes[12..16], b"IHDR");
    let be = |b: &[u8]| u32::from_be_bytes([b[0], b[1], b[2], b[3]]);
    (be(&bytes[16..20]), be(&bytes[20..24]))
}

/// The scenario's `compare` policies on `replications` replications, its first as baseline.
fn comparison(sc: &scenario::Scenario, replications: u64) -> experiment::Comparison {
    let policies: Vec<_> = sc
        .compare
        .iter()
        .map(|n| sc.policy_named(n).unwrap())
        .collect();
    experiment::compare(
        &sc.stream,
        &policies,
        0,
        &sc.key_results,
        sc.seed,
        replications,
        |_| {},
    )
}

/// All text in an SVG document, after checking that it parses.
fn svg_text(svg: &str) -> String {
    let doc = roxmltree::Document::parse(svg).expect("the SVG parses as XML");
    assert_eq!(doc.root_element().tag_name().name(), "svg");
    doc.descendants()
        .filter_map(|n| n.text())
        .collect::<Vec<_>>()
        .join(" ")
}

/// Axis labels each chart kind must show (the title is checked for all).
fn axis_labels(kind: ChartKind) -> &'static [&'static str] {
    match kind {
        ChartKind::OutputVsOutcome => &[
            "Items delivered per replication",
            "Value realised by the horizon",
        ],
        ChartKind::ValueDifference => &["Day", "(paired)", "(baseline, zero)"],
        ChartKind::ValueOverTime => &["Day", "Cumulative value realised"],
        ChartKind::Cfd => &["Day", "Cumulative items", "backlog (not yet committed)"],
        ChartKind::CycleTime => &[
            "Completion day",
            "Cycle time (days, commitment to delivery)",
        ],
        ChartKind::CycleTimeHistogram => &["Cycle time (days, commitment to delivery)", "Items ("],
        ChartKind::LeadTimeHistogram => &["Lead time (days, arrival to delivery)", "Items ("],
        ChartKind::Throughput => &["Week", "Items delivered per week"],
        ChartKind::ThroughputHistogram => &["Items delivered in a week", "Weeks (of "],
        ChartKind::Wip => &["Day", "WIP", "backlog: arrived"],
        ChartKind::AgingWip => &["days since commitment"],
        ChartKind::ValueDistribution => &["Value realised by the horizon"],
        ChartKind::FlowDistribution => &["Day", "% of effort"],
        ChartKind::WhereTimeGoes => &["Days per item (mean)", "Stage", "commitment point"],
        ChartKind::Stages => &["Utilisation (%)", "Items waiting"],
        ChartKind::KeyResults => &[],
    }
}

#[test]
fn every_chart_renders_for_every_scenario() {
    let dir = tempfile::tempdir().unwrap();
    for file in all_scenarios() {
        let mut sc = scenario::load(&file).unwrap();
        sc.replications = 3;
        sc.stream.horizon = sc.stream.horizon.min(2000.0);
        sc.stream.warmup = sc.stream.warmup.min(sc.stream.horizon / 10.0);
        sc.stream.checkpoints = vec![sc.stream.horizon / 2.0, sc.stream.horizon];
        for kr in &mut sc.key_results {
            kr.checkpoint = 1;
        }
        let cmp = comparison(&sc, 3);
        let traced = sc.policy_named(&sc.policy).unwrap();
        let (result, trace) = flow::simulate_traced(&sc.stream, traced.as_ref(), sc.seed, 0);
        // The data behind the item charts: the trace agrees with the replication's counts.
        let delivered = trace.items.iter().filter(|i| i.delivered.is_some()).count() as u64;
        assert_eq!(delivered, result.departed, "{}", file.display());
        assert_eq!(
            trace.items.len() as u64,
            result.arrived,
            "{}",
            file.display()
        );
        let data = ChartData {
            scenario: &sc,
            comparison: &cmp,
            traced_policy: &sc.policy,
            trace: &trace,
            aging_day: None,
        };
        for kind in ChartKind::ALL {
            let stem = format!(
                "{}-{}",
                file.file_stem().unwrap().to_string_lossy(),
                kind.name()
            );
            let png = dir.path().join(format!("{stem}.png"));
            chart::write(kind, &data, &png).unwrap_or_else(|e| panic!("{stem}: {e}"));
            assert_eq!(
                png_size(&std::fs::read(&png).unwrap()),
                chart::SIZE,
                "{stem}"
            );
            let svg_path = dir.path().join(format!("{stem}.svg"));
            chart::write(kind, &data, &svg_path).unwrap();
            let text = svg_text(&std::fs::read_to_string(&svg_path).unwrap());
            assert!(text.contains(kind.title()), "{stem}: title missing");
            assert!(text.contains(&sc.name), "{stem}: scenario name missing");
            assert!(text.contains("seed"), "{stem}: footnote missing");
            // Without value, the outcome panel says so instead of drawing an axis of zeros.
            let valued = cmp
                .policies
                .iter()
                .any(|p| p.outcomes.value_realised.mean.is_some_and(|v| v != 0.0));
            for label in axis_labels(kind) {
                if kind == ChartKind::OutputVsOutcome
                    && *label == "Value realised by the horizon"
                    && !valued
                {
                    assert!(text.contains("no value is modelled"), "{stem}");
                    continue;
                }
                assert!(text.contains(label), "{stem}: axis label `{label}` missing");
            }
        }
    }
    // Only finished files: no temporary files left behind.
    for e in std::fs::read_dir(dir.path()).unwrap() {
        let name = e.unwrap().file_name().to_string_lossy().to_string();
        assert!(!name.starts_with(".valueflow-"), "left behind: {name}");
    }
}

#[test]
fn chart_command_writes_one_chart_and_checks_its_arguments() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("cfd.svg");
    valueflow()
        .args([
            "chart",
            "scenarios/mm1.toml",
            "--kind",
            "cfd",
            "--reps",
            "2",
            "--out",
        ])
        .arg(&out)
        .assert()
        .success();
    assert!(svg_text(&std::fs::read_to_string(&out).unwrap()).contains("Cumulative flow diagram"));
    valueflow()
        .args([
            "chart",
            "scenarios/mm1.toml",
            "--kind",
            "cfd",
            "--reps",
            "2",
            "--out",
        ])
        .arg(&out)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("already exists"));
    let aging = dir.path().join("aging.svg");
    valueflow()
        .args([
            "chart",
            "scenarios/delivery-team.toml",
            "--kind",
            "aging-wip",
            "--aging-day",
            "300",
        ])
        .args(["--reps", "2", "--quiet", "--out"])
        .arg(&aging)
        .assert()
        .success();
    assert!(svg_text(&std::fs::read_to_string(&aging).unwrap()).contains("Age on day 300"));
    valueflow()
        .args([
            "chart",
            "scenarios/mm1.toml",
            "--kind",
            "aging-wip",
            "--aging-day=999999",
            "--out",
        ])
        .arg(dir.path().join("bad.svg"))
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--aging-day"));
    valueflow()
        .args(["chart", "scenarios/mm1.toml", "--kind", "pie", "--out"])
        .arg(dir.path().join("x.png"))
        .assert()
        .code(2)
        .stderr(
            predicate::str::contains("unknown chart kind `pie`")
                .and(predicate::str::contains("cfd")),
        );
    valueflow()
        .args(["chart", "scenarios/mm1.toml", "--kind", "cfd", "--out"])
        .arg(dir.path().join("x.jpg"))
        .assert()
        .code(2)
        .stderr(predicate::str::contains(".png or .svg"));
}

/// The charts added with the commitment point, by their `--kind` names.
const NEW_KINDS: [&str; 4] = [
    "cycle-time-histogram",
    "lead-time-histogram",
    "throughput-histogram",
    "where-time-goes",
];

#[test]
fn new_chart_kinds_render_to_svg_and_png_from_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    for name in NEW_KINDS {
        let kind = ChartKind::from_name(name).expect("a known kind");
        for ext in ["svg", "png"] {
            let out = dir.path().join(format!("{name}.{ext}"));
            valueflow()
                .args(["chart", "scenarios/delivery-team.toml", "--kind", name])
                .args(["--reps", "2", "--quiet", "--out"])
                .arg(&out)
                .assert()
                .success();
            let bytes = std::fs::read(&out).unwrap();
            if ext == "png" {
                assert_eq!(png_size(&bytes), chart::SIZE, "{name}");
            } else {
                let text = svg_text(&String::from_utf8(bytes).unwrap());
                assert!(text.contains(kind.title()), "{name}: title missing");
                assert!(text.contains("seed"), "{name}: footnote missing");
                for label in axis_labels(kind) {
                    assert!(text.contains(label), "{name}: `{label}` missing");
                }
            }
        }
    }
}

/// Nearest-rank percentile, as the charts compute it.
fn nearest_rank(sorted: &[f64], q: f64) -> f64 {
    let rank = ((q * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
    sorted[rank - 1]
}

/// Numbers in an SVG attribute list such as `points="150,534 1366,534 "`.
fn numbers(s: &str) -> Vec<f64> {
    s.split([',', ' '])
        .filter(|t| !t.is_empty())
        .map(|t| t.parse().unwrap())
        .collect()
}

#[test]
fn item_charts_follow_a_later_commitment_point() {
    let dir = tempfile::tempdir().unwrap();
    // The delivery team committing only when work enters build: analysis is part of the
    // backlog, so lead time (from arrival) exceeds cycle time (from commitment).
    let text = std::fs::read_to_string(root().join("scenarios/delivery-team.toml")).unwrap();
    let committed = text.replacen(
        "policy = \"fifo\"\n",
        "policy = \"fifo\"\ncommitment = \"build\"\n",
        1,
    );
    assert_ne!(committed, text, "the scenario names its policy");
    let file = dir.path().join("commit-at-build.toml");
    std::fs::write(&file, committed).unwrap();

    let sc = scenario::load(&file).unwrap();
    let traced = sc.policy_named(&sc.policy).unwrap();
    let (_, trace) = flow::simulate_traced(&sc.stream, traced.as_ref(), sc.seed, 0);
    let mut cycle: Vec<f64> = trace.items.iter().filter_map(|i| i.cycle_time()).collect();
    let mut lead: Vec<f64> = trace
        .items
        .iter()
        .filter(|i| i.cycle_time().is_some())
        .filter_map(|i| i.lead_time())
        .collect();
    cycle.sort_by(f64::total_cmp);
    lead.sort_by(f64::total_cmp);
    assert!(cycle.len() > 100);
    let gap = lead.iter().zip(&cycle).map(|(l, c)| l - c).sum::<f64>() / cycle.len() as f64;
    assert!(
        gap > 1.0,
        "lead and cycle times must differ here (mean gap {gap})"
    );

    let chart_file = |kind: &str| {
        let out = dir.path().join(format!("{kind}.svg"));
        valueflow()
            .args(["chart", "--kind", kind, "--reps", "2", "--quiet", "--out"])
            .arg(&out)
            .arg(&file)
            .assert()
            .success();
        std::fs::read_to_string(out).unwrap()
    };

    // The scatterplot: percentile labels are those of cycle times, to one decimal ...
    let svg = chart_file("cycle-time");
    let text = svg_text(&svg);
    for (q, label) in [(0.5, "50%"), (0.85, "85%"), (0.95, "95%")] {
        let want = format!("{label}: {:.1} days", nearest_rank(&cycle, q));
        assert!(text.contains(&want), "missing `{want}`");
        let lead_label = format!("{label}: {:.1} days", nearest_rank(&lead, q));
        if lead_label != want {
            assert!(
                !text.contains(&lead_label),
                "lead time label `{lead_label}`"
            );
        }
    }
    // ... and every dot sits at its cycle time: map pixel rows back to days through the 50th
    // and 95th percentile lines (the black two-point horizontal lines across the plot).
    let doc = roxmltree::Document::parse(&svg).unwrap();
    let rows: Vec<f64> = doc
        .descendants()
        .filter(|n| n.has_tag_name("polyline"))
        .filter(|n| n.attribute("stroke") == Some("#000000"))
        .filter(|n| n.attribute("stroke-width") == Some("2"))
        .map(|n| numbers(n.attribute("points").unwrap()))
        .filter(|p| p.len() == 4 && p[1] == p[3] && p[2] - p[0] > 800.0)
        .map(|p| p[1])
        .collect();
    assert_eq!(rows.len(), 3, "three percentile lines: {rows:?}");
    let (p50, p95) = (nearest_rank(&cycle, 0.5), nearest_rank(&cycle, 0.95));
    let days_per_px = (p95 - p50) / (rows[2] - rows[0]);
    let mut dots: Vec<f64> = doc
        .descendants()
        .filter(|n| n.has_tag_name("circle") && n.attribute("r") == Some("6"))
        .map(|n| p50 + (n.attribute("cy").unwrap().parse::<f64>().unwrap() - rows[0]) * days_per_px)
        .collect();
    dots.sort_by(f64::total_cmp);
    assert_eq!(dots.len(), cycle.len(), "one dot per delivered item");
    let off = |want: &[f64]| {
        dots.iter()
            .zip(want)
            .map(|(d, w)| (d - w).abs())
            .fold(0.0, f64::max)
    };
    // One pixel is about a tenth of a day here.
    assert!(
        off(&cycle) < 0.4,
        "dots are cycle times (off by {})",
        off(&cycle)
    );
    assert!(off(&lead) > 1.0, "dots are not lead times");

    // The other item charts count from the commitment point too.
    let text = svg_text(&chart_file("aging-wip"));
    assert!(text.contains("days since commitment"));
    assert!(
        text.contains("build") && !text.contains("analysis"),
        "committed columns only"
    );
    let text = svg_text(&chart_file("where-time-goes"));
    assert!(text.contains("commitment point (entering build)"));
    assert!(text.contains("analysis") && text.contains("Policy fifo"));
    let text = svg_text(&chart_file("cfd"));
    assert!(text.contains("backlog (not yet committed)") && !text.contains("analysis"));
    let histogram = svg_text(&chart_file("cycle-time-histogram"));
    let want = format!("85%: {:.1} days", nearest_rank(&cycle, 0.85));
    assert!(histogram.contains(&want), "missing `{want}`");
    let histogram = svg_text(&chart_file("lead-time-histogram"));
    let want = format!("85%: {:.1} days", nearest_rank(&lead, 0.85));
    assert!(histogram.contains(&want), "missing `{want}`");
}

fn expected_report_files() -> Vec<String> {
    let mut files: Vec<String> = ChartKind::ALL
        .iter()
        .flat_map(|k| [format!("{}.png", k.name()), format!("{}.svg", k.name())])
        .collect();
    files.extend(["summary.json", "summary.md", "index.html"].map(String::from));
    files
}

#[test]
fn report_writes_the_pack_and_never_clobbers() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("report");
    valueflow()
        .args([
            "report",
            "scenarios/outcomes.toml",
            "--reps",
            "6",
            "--quiet",
            "--out",
        ])
        .arg(&out)
        .assert()
        .success();
    for f in expected_report_files() {
        assert!(out.join(&f).is_file(), "missing {f}");
    }
    for name in NEW_KINDS {
        assert!(
            out.join(format!("{name}.png")).is_file(),
            "missing {name}.png"
        );
        assert!(
            out.join(format!("{name}.svg")).is_file(),
            "missing {name}.svg"
        );
    }
    for p in ["feature-factory", "shortest-first", "cd3", "outcome"] {
        let csv = std::fs::read_to_string(out.join(format!("policy-{p}.csv"))).unwrap();
        assert!(
            csv.contains(&format!(",{p},outcome,all,value_realised,")),
            "{p}"
        );
    }
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("summary.json")).unwrap()).unwrap();
    assert_eq!(json["policies"].as_array().unwrap().len(), 4);
    let md = std::fs::read_to_string(out.join("summary.md")).unwrap();
    // Six replications may or may not separate the two best: the takeaway says which.
    assert!(
        md.contains("## Takeaways")
            && (md.contains("realised the most value")
                || md.contains("realised about as much value")),
        "{md}"
    );
    for name in NEW_KINDS {
        assert!(
            md.contains(&format!("({name}.png)")),
            "summary.md lists {name}"
        );
    }
    let html = std::fs::read_to_string(out.join("index.html")).unwrap();
    assert_eq!(html.matches("<svg").count(), ChartKind::ALL.len());
    for name in NEW_KINDS {
        assert!(
            html.contains(&format!("id=\"{name}\"")),
            "index.html shows {name}"
        );
    }
    assert!(
        !html.contains("<script"),
        "index.html must not load scripts"
    );

    // An existing folder is left alone without --force ...
    std::fs::write(out.join("notes.txt"), "mine").unwrap();
    valueflow()
        .args(["report", "scenarios/outcomes.toml", "--reps", "2", "--out"])
        .arg(&out)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--force"));
    assert_eq!(
        std::fs::read_to_string(out.join("notes.txt")).unwrap(),
        "mine"
    );
    // ... and with --force too while it holds someone's notes (writes.rs has the rule) ...
    let forced = || {
        let mut c = valueflow();
        c.args([
            "report",
            "scenarios/outcomes.toml",
            "--reps",
            "2",
            "--quiet",
            "--force",
            "--out",
        ])
        .arg(&out);
        c
    };
    forced()
        .assert()
        .code(2)
        .stderr(predicate::str::contains("holds the file notes.txt"));
    // ... and a report folder is replaced whole; nothing temporary is left beside it.
    std::fs::remove_file(out.join("notes.txt")).unwrap();
    std::fs::write(out.join("cfd.png"), "an old chart").unwrap();
    forced().assert().success();
    assert_ne!(std::fs::read(out.join("cfd.png")).unwrap(), b"an old chart");
    assert!(out.join("index.html").is_file());
    let names: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().to_string())
        .collect();
    assert_eq!(names, vec!["report".to_string()]);
}

#[test]
fn demo_needs_no_files_and_refuses_to_overwrite() {
    let dir = tempfile::tempdir().unwrap();
    let mut demo = Command::cargo_bin("valueflow").unwrap();
    demo.current_dir(dir.path())
        .args(["demo", "--reps", "10", "--quiet"])
        .assert()
        .success()
        .stdout(
            predicate::str::contains("realised the most value")
                .and(predicate::str::contains("Rank")),
        );
    let out = dir.path().join("valueflow-demo");
    for f in expected_report_files() {
        assert!(out.join(&f).is_file(), "missing {f}");
    }
    Command::cargo_bin("valueflow")
        .unwrap()
        .current_dir(dir.path())
        .args(["demo", "--reps", "10"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("valueflow-demo already exists"));
}

#[test]
fn the_demo_scenario_is_the_flagship_file() {
    let file = std::fs::read_to_string(root().join("scenarios/outcomes.toml")).unwrap();
    assert_eq!(valueflow::cli::DEMO_SCENARIO, file);
}

/// Loads `url` in headless Chromium with `args` (e.g. `--dump-dom`), asserts that it ran
/// without console messages, and returns its standard output.
fn headless(browser: &str, dir: &std::path::Path, url: &str, args: &[&str]) -> String {
    let profile = dir.join("profile");
    let run = std::process::Command::new(browser)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--enable-logging=stderr",
            "--v=0",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .args(args)
        .arg(url)
        .output()
        .expect("Chromium runs");
    assert!(
        run.status.success(),
        "Chromium failed: {}",
        String::from_utf8_lossy(&run.stderr)
    );
    let log = String::from_utf8_lossy(&run.stderr);
    let console_errors: Vec<&str> = log
        .lines()
        .filter(|l| l.contains("CONSOLE") || l.contains("Uncaught"))
        .collect();
    assert!(
        console_errors.is_empty(),
        "console messages: {console_errors:?}"
    );
    String::from_utf8_lossy(&run.stdout).into_owned()
}

/// The number shown in the element of class `class` of each lane of a dumped board.
fn shown(dom: &str, class: &str) -> Vec<u64> {
    let tag = format!("class=\"{class}\">");
    dom.match_indices(&tag)
        .map(|(i, _)| {
            let rest = &dom[i + tag.len()..];
            rest[..rest.find('<').unwrap()].trim().parse().unwrap()
        })
        .collect()
}

#[test]
fn the_board_plays_in_a_headless_browser() {
    let dir = tempfile::tempdir().unwrap();
    let page = dir.path().join("board.html");
    valueflow()
        .args(["board", "scenarios/outcomes.toml", "--out"])
        .arg(&page)
        .assert()
        .success();
    let html = std::fs::read_to_string(&page).unwrap();
    assert!(html.len() < 2_000_000, "board.html is {} bytes", html.len());
    // Self-contained: nothing is fetched.
    for needle in [
        "http://",
        "https://",
        "src=",
        "@import",
        "fetch(",
        "XMLHttpRequest",
    ] {
        assert!(!html.contains(needle), "the page refers to `{needle}`");
    }
    // Never overwritten unasked.
    valueflow()
        .args(["board", "scenarios/outcomes.toml", "--out"])
        .arg(&page)
        .assert()
        .code(2);
    let Some(browser) = chromium() else {
        eprintln!("SKIPPED the_board_plays_in_a_headless_browser: Chromium is not installed");
        println!("SKIPPED: no Chromium, board.html not checked in a browser");
        return;
    };
    let url = format!("file://{}", page.display());
    let still = headless(&browser, dir.path(), &url, &["--dump-dom"]);
    assert!(
        still.contains("day 0 / 365"),
        "a board opens paused on day 0"
    );
    assert_eq!(shown(&still, "stat-delivered"), [0, 0]);
    let backlog_before = shown(&still, "stat-backlog");
    // Played for 5 (virtual) seconds at 20 days a second.
    let played = headless(
        &browser,
        dir.path(),
        &format!("{url}#play&speed=20"),
        &["--virtual-time-budget=5000", "--dump-dom"],
    );
    let day: f64 = {
        let at = played.find("id=\"day\">day ").unwrap() + "id=\"day\">day ".len();
        played[at..played[at..].find(' ').unwrap() + at]
            .parse()
            .unwrap()
    };
    assert!(day >= 30.0, "the day counter advanced to {day}");
    let delivered = shown(&played, "stat-delivered");
    assert_eq!(delivered.len(), 2, "two lanes");
    assert!(delivered.iter().all(|&d| d > 0), "{delivered:?}");
    assert_ne!(
        shown(&played, "stat-backlog"),
        backlog_before,
        "cards moved"
    );
    assert!(
        played.matches("class=\"card").count() > 20,
        "cards are drawn in the columns"
    );
    // A screenshot at projector size is not blank.
    let shot = dir.path().join("board.png");
    headless(
        &browser,
        dir.path(),
        &format!("{url}#day=120"),
        &[
            "--window-size=1280,720",
            &format!("--screenshot={}", shot.display()),
        ],
    );
    let png = std::fs::read(&shot).unwrap();
    assert!(png.starts_with(b"\x89PNG"));
    assert!(
        png.len() > 30_000,
        "a {}-byte screenshot looks blank",
        png.len()
    );
}

/// Finds Debian's Chromium, or says why the browser test cannot run.
fn chromium() -> Option<String> {
    ["chromium", "chromium-browser", "google-chrome"]
        .into_iter()
        .find(|b| {
            std::process::Command::new(b)
                .arg("--version")
                .output()
                .is_ok_and(|o| o.status.success())
        })
        .map(String::from)
}

#[test]
fn index_html_loads_in_a_headless_browser_with_every_chart() {
    let Some(browser) = chromium() else {
        // Said loudly, never passed silently: .ci/run installs Debian's `chromium`, and prints
        // why when it cannot.
        eprintln!(
            "SKIPPED index_html_loads_in_a_headless_browser: Chromium is not installed \
             (apt-get install chromium); the page was not checked in a browser"
        );
        println!("SKIPPED: no Chromium, index.html not checked in a browser");
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("report");
    valueflow()
        .args([
            "report",
            "scenarios/outcomes.toml",
            "--reps",
            "4",
            "--quiet",
            "--out",
        ])
        .arg(&out)
        .assert()
        .success();
    let url = format!("file://{}", out.join("index.html").display());
    let dom = headless(&browser, dir.path(), &url, &["--dump-dom"]);
    assert!(
        dom.contains("href=\"board.html\""),
        "index.html links the board"
    );
    assert!(!dom.contains("<script"), "index.html stays script-free");
    assert!(
        !dom.contains('`'),
        "no raw Markdown backticks in index.html"
    );
    assert!(dom.contains("<h2>Key results</h2>"), "the key-result table");
    assert!(dom.contains("<code>outcome</code>"), "policy names as code");
    assert!(out.join("board.html").exists(), "report writes the board");
    assert_eq!(
        dom.matches("<svg").count(),
        ChartKind::ALL.len(),
        "every chart is in the page"
    );
    for kind in ChartKind::ALL {
        assert!(
            dom.contains(&format!("id=\"{}\"", kind.name())),
            "{} missing",
            kind.name()
        );
        assert!(dom.contains(kind.title()), "{} title missing", kind.name());
    }
}

/// Layout read back from the SVG: every chart's title fits the canvas, even for a very long
/// scenario name, and the key-results legend sits above every bar.
#[test]
fn titles_fit_and_legends_clear_the_data() {
    let mut sc = scenario::load(&root().join("scenarios/outcomes.toml")).unwrap();
    sc.name = "A very long scenario name that a facilitator typed in full, with the team, the quarter and the question all in it".into();
    sc.stream.horizon = 200.0;
    let cmp = comparison(&sc, 4);
    let traced = sc.policy_named(&sc.policy).unwrap();
    let (_, trace) = flow::simulate_traced(&sc.stream, traced.as_ref(), sc.seed, 0);
    let data = ChartData {
        scenario: &sc,
        comparison: &cmp,
        traced_policy: &sc.policy,
        trace: &trace,
        aging_day: None,
    };
    let attr = |n: &roxmltree::Node, a: &str| n.attribute(a).and_then(|v| v.parse::<f64>().ok());
    for kind in ChartKind::ALL {
        let svg = chart::svg(kind, &data).unwrap();
        let doc = roxmltree::Document::parse(&svg).unwrap();
        let title = doc
            .descendants()
            .find(|n| n.attribute("font-weight") == Some("bold") && n.has_tag_name("text"))
            .unwrap_or_else(|| panic!("{}: no title", kind.name()));
        let text = title.text().unwrap_or_default().trim();
        assert!(text.starts_with(kind.title()), "{}: {text}", kind.name());
        // DejaVu Sans Bold averages under 0.62 em a character.
        let width = text.chars().count() as f64 * attr(&title, "font-size").unwrap() * 0.62;
        let x = attr(&title, "x").unwrap();
        assert!(
            x - width / 2.0 >= 0.0 && x + width / 2.0 <= 1600.0,
            "{}: a title {width:.0} px wide centred at {x} runs off the canvas: {text}",
            kind.name()
        );
    }
    // Key results: the legend row is above the highest bar.
    let svg = chart::svg(ChartKind::KeyResults, &data).unwrap();
    let doc = roxmltree::Document::parse(&svg).unwrap();
    let colours: Vec<String> = sc
        .compare
        .iter()
        .enumerate()
        .map(|(i, n)| {
            let c = chart::policy_color(n, i);
            format!("#{:02X}{:02X}{:02X}", c.0, c.1, c.2)
        })
        .collect();
    let bars_top = doc
        .descendants()
        .filter(|n| n.has_tag_name("rect"))
        .filter(|n| {
            n.attribute("fill")
                .is_some_and(|f| colours.iter().any(|c| c == f))
        })
        .filter(|n| {
            attr(n, "width").is_some_and(|w| w > 40.0)
                && attr(n, "height").is_some_and(|h| h < 100.0)
        })
        .filter_map(|n| attr(&n, "y"))
        .fold(f64::INFINITY, f64::min);
    for name in &sc.compare {
        let label = doc
            .descendants()
            .find(|n| n.has_tag_name("text") && n.text().map(str::trim) == Some(name.as_str()))
            .unwrap_or_else(|| panic!("no legend entry {name}"));
        assert!(
            attr(&label, "y").unwrap() + 12.0 < bars_top,
            "the legend entry {name} overlaps the bars (top at {bars_top})"
        );
    }
}

/// A trace cut for its size is charted up to the last whole day it knows: the trace charts'
/// x axis stops there and their footnote says so, while the comparison charts still cover the
/// whole run; the cut charts are those of the same run traced whole and shortened to that day.
#[test]
fn a_bounded_trace_is_charted_up_to_its_last_whole_day() {
    use valueflow::metrics::TraceBound;
    let mut sc = scenario::load(&root().join("scenarios/mm1.toml")).unwrap();
    sc.stream.horizon = 2000.0;
    sc.stream.warmup = 100.0;
    sc.stream.checkpoints = vec![sc.stream.horizon];
    let cmp = comparison(&sc, 2);
    let traced = sc.policy_named(&sc.policy).unwrap();
    let bound = TraceBound {
        items: 500,
        steps: usize::MAX,
    };
    let (_, cut) = flow::simulate_traced_bounded(&sc.stream, traced.as_ref(), sc.seed, 0, bound);
    let until = cut.until(sc.stream.horizon);
    assert!(until > 100.0 && until < 1000.0, "cut at day {until}");
    let cut = cut.as_of(until);
    let (_, whole) = flow::simulate_traced(&sc.stream, traced.as_ref(), sc.seed, 0);
    let whole_short = whole.as_of(until);
    let mut short = sc.clone();
    short.stream.horizon = until;
    let data = |sc, trace| ChartData {
        scenario: sc,
        comparison: &cmp,
        traced_policy: &sc.policy,
        trace,
        aging_day: None,
    };
    let note = format!("days 0 to {until} of 2000 (trace bounded)");
    for kind in [
        ChartKind::Cfd,
        ChartKind::Wip,
        ChartKind::CycleTime,
        ChartKind::AgingWip,
    ] {
        let svg = chart::svg(kind, &data(&sc, &cut)).unwrap();
        let text = svg_text(&svg);
        assert!(text.contains(&note), "{}: {text}", kind.name());
        // The same chart as the whole trace's on a run that ended on that day, note aside.
        let expected = chart::svg(kind, &data(&short, &whole_short)).unwrap();
        let strip = |s: &str| s.replace(&format!(" · {note}"), "");
        assert_eq!(strip(&svg), strip(&expected), "{}", kind.name());
    }
    // A comparison chart is about every replication, whole: no note.
    let text = svg_text(&chart::svg(ChartKind::ValueOverTime, &data(&sc, &cut)).unwrap());
    assert!(!text.contains("trace bounded"), "{text}");
}

/// The fills of a sweep heatmap's rectangles after the white background: its cells in record
/// order, then the bands of its colour bar from the bottom up.
fn heatmap_fills(svg: &str) -> Vec<String> {
    let doc = roxmltree::Document::parse(svg).expect("the SVG parses as XML");
    doc.descendants()
        .filter(|n| n.has_tag_name("rect"))
        .filter_map(|n| n.attribute("fill"))
        .skip(1)
        .map(str::to_string)
        .collect()
}

#[test]
fn a_heatmap_of_means_near_the_largest_number_shades_every_cell_by_its_place() {
    // Two knobs, 7 values of the second: a heatmap. Means from -1e308 to 1e308 make
    // hi - lo infinite; every cell but the lowest used to be the darkest colour.
    let dir = tempfile::tempdir().unwrap();
    let part = dir.path().join("part.jsonl");
    valueflow()
        .args([
            "sweep",
            "scenarios/mm1.toml",
            "--vary",
            "stages.serve.workers=1..2",
        ])
        .args(["--vary", "load=0.3,0.4,0.5,0.6,0.7,0.8,0.9", "--reps", "3"])
        .args(["--format", "jsonl", "--out", part.to_str().unwrap()])
        .assert()
        .success();
    let text = std::fs::read_to_string(&part).unwrap();
    // The same places on the scale, from -scale to +scale, point by point.
    let chart_of = |scale: f64, name: &str| {
        let lines: String = text
            .lines()
            .map(|line| {
                let mut r: serde_json::Value = serde_json::from_str(line).unwrap();
                let k = r["point"].as_f64().unwrap();
                let m = (-1.0 + 2.0 * k / 13.0) * scale;
                r["metrics"]["value_realised"] =
                    serde_json::json!({"mean": m, "ci95": 0.0, "p50": m, "p85": m, "p95": m});
                format!("{r}\n")
            })
            .collect();
        let file = dir.path().join(format!("{name}.jsonl"));
        std::fs::write(&file, lines).unwrap();
        let chart = dir.path().join(format!("{name}.svg"));
        valueflow()
            .args([
                "merge",
                file.to_str().unwrap(),
                "--metric",
                "value_realised",
            ])
            .args(["--chart", chart.to_str().unwrap()])
            .timeout(std::time::Duration::from_secs(60))
            .assert()
            .success();
        let svg = std::fs::read_to_string(&chart).unwrap();
        svg_text(&svg);
        svg
    };
    let (huge, small) = (chart_of(1e308, "huge"), chart_of(1.0, "small"));
    let all = heatmap_fills(&huge);
    assert_eq!(
        all.len(),
        14 + 100,
        "14 cells and a bar of 100 bands: {all:?}"
    );
    assert_eq!(all, heatmap_fills(&small), "the colours of the same places");
    let (fills, bar) = all.split_at(14);
    // The colour bar runs from the palest (the lowest mean) to the darkest (the highest).
    assert_eq!(
        (bar[0].as_str(), bar[99].as_str()),
        ("#F7FCF0", "#084081"),
        "{bar:?}"
    );
    let distinct: std::collections::HashSet<&String> = fills.iter().collect();
    assert_eq!(distinct.len(), 14, "a colour per mean: {fills:?}");
    assert_eq!(
        (fills[0].as_str(), fills[13].as_str()),
        ("#F7FCF0", "#084081"),
        "palest for the lowest mean, darkest for the highest"
    );
    // Every number on the chart is finite.
    let words = svg_text(&huge);
    let numbers = words
        .split_whitespace()
        .filter_map(|w| w.parse::<f64>().ok());
    assert!(numbers.clone().all(f64::is_finite), "{words}");
    assert!(
        words.contains("1.000e308") && words.contains("-1.000e308"),
        "{words}"
    );
}

/// Past 200 cells a heatmap's cells carry no numbers: its colour bar is what says what the
/// colours mean, ticked from the lowest mean to the highest.
#[test]
fn a_heatmap_too_dense_for_numbers_has_a_colour_bar_from_the_lowest_mean_to_the_highest() {
    let dir = tempfile::tempdir().unwrap();
    let (part, svg) = (dir.path().join("part.jsonl"), dir.path().join("heat.svg"));
    valueflow()
        .args(["sweep", "scenarios/mm1.toml"])
        .args(["--vary", "stages.serve.workers=1..30"])
        .args([
            "--vary",
            "load=0.1..0.9:0.1",
            "--reps",
            "2",
            "--horizon",
            "300",
            "--warmup",
            "100",
        ])
        .args(["--format", "jsonl", "--out", part.to_str().unwrap()])
        .args(["--chart", svg.to_str().unwrap()])
        .assert()
        .success();
    let means: Vec<f64> = std::fs::read_to_string(&part)
        .unwrap()
        .lines()
        .map(|l| {
            let r: serde_json::Value = serde_json::from_str(l).unwrap();
            r["metrics"]["cycle_time"]["mean"].as_f64().unwrap()
        })
        .collect();
    assert_eq!(means.len(), 270);
    let (lo, hi) = means
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), &m| {
            (a.min(m), b.max(m))
        });
    let svg = std::fs::read_to_string(&svg).unwrap();
    let fills = heatmap_fills(&svg);
    assert_eq!(fills.len(), 270 + 100, "270 cells and a bar of 100 bands");
    assert_eq!(
        (fills[270].as_str(), fills[369].as_str()),
        ("#F7FCF0", "#084081"),
        "the bar runs from the palest colour to the darkest"
    );
    let words = svg_text(&svg);
    let shown = |x: f64| valueflow::report::table::fmt_num(Some(x));
    assert!(
        words.contains(&shown(lo)) && words.contains(&shown(hi)),
        "the bar is ticked from {} to {}: {words}",
        shown(lo),
        shown(hi)
    );
    assert!(words.contains("mean cycle time"), "{words}");
    // No cell carries its number: the numbers are the axes', the bar's and the footnote's.
    let numbers = words
        .split_whitespace()
        .filter(|w| w.parse::<f64>().is_ok())
        .count();
    assert!(numbers < 270, "{numbers} numbers: {words}");
}

/// Sixty values of the first knob used to be sixty labels run together into a smear; points
/// without a mean were white, the colour of the lowest mean.
#[test]
fn a_wide_heatmap_thins_its_labels_and_greys_the_points_without_a_mean() {
    let dir = tempfile::tempdir().unwrap();
    let svg = dir.path().join("wide.svg");
    valueflow()
        .args(["sweep", "scenarios/mm1.toml", "-q"])
        .args(["--vary", "work.job.arrival_rate=0.002..0.12:0.002"])
        .args(["--vary", "stages.serve.workers=1..7"])
        .args(["--reps", "1", "--horizon", "60", "--warmup", "50"])
        .args(["--chart", svg.to_str().unwrap()])
        .assert()
        .success();
    let svg = std::fs::read_to_string(&svg).unwrap();
    let fills = heatmap_fills(&svg);
    assert_eq!(fills.len(), 60 * 7 + 100, "every point is a cell");
    let grey = fills[..420]
        .iter()
        .filter(|f| f.as_str() == "#BEBEBE")
        .count();
    assert!(grey > 0 && grey < 420, "{grey} grey cells");
    let words = svg_text(&svg);
    assert!(words.contains("grey: no value"), "{words}");
    // The first knob's labels: at most as many as fit, never all sixty.
    let doc = roxmltree::Document::parse(&svg).unwrap();
    let x_labels = doc
        .descendants()
        .filter(|n| n.has_tag_name("text"))
        .filter_map(|n| n.text())
        .filter(|t| t.trim().starts_with("0.") && t.trim().len() >= 4)
        .count();
    assert!((5..=20).contains(&x_labels), "{x_labels} labels: {words}");
}

#[test]
fn output_vs_outcome_draws_negative_value_below_zero() {
    // Expedited defects that cost 10 a day and earn nothing: every policy realises less than
    // zero. The value axis used to run from 0 to 1.18, the bars left undrawn.
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("neg.toml");
    std::fs::write(
        &file,
        r#"name = "neg"
horizon = 100.0
replications = 5
[[work]]
name = "d"
kind = "defect"
arrival_rate = 1.0
urgency = { class = "expedite", cost_per_day = 10.0 }
[[stages]]
name = "a"
service = { dist = "exponential", mean = 0.9 }
"#,
    )
    .unwrap();
    let out = dir.path().join("neg.svg");
    valueflow()
        .args(["chart", "--kind", "output-vs-outcome", "-q", "--out"])
        .arg(&out)
        .arg(&file)
        .assert()
        .success();
    let svg = std::fs::read_to_string(&out).unwrap();
    let texts: Vec<&str> = svg.lines().map(str::trim).collect();
    // The value axis is ticked below zero, and the bars' labels read the negative means.
    assert!(
        texts.contains(&"-2.0k") && texts.contains(&"-4.0k"),
        "no negative ticks"
    );
    assert!(
        texts.iter().filter(|t| **t == "-4.8k").count() >= 4,
        "a label per policy"
    );
    // A cost of a billionth a day: an axis from -1 to 0, ticked in tenths, not "-0" down
    // the side; the bars' labels keep their digits.
    let tiny = dir.path().join("tiny.toml");
    let text = std::fs::read_to_string(&file).unwrap();
    std::fs::write(
        &tiny,
        text.replace("cost_per_day = 10.0", "cost_per_day = 1e-9"),
    )
    .unwrap();
    let out = dir.path().join("tiny.svg");
    valueflow()
        .args(["chart", "--kind", "output-vs-outcome", "-q", "--out"])
        .arg(&out)
        .arg(&tiny)
        .assert()
        .success();
    let svg = std::fs::read_to_string(&out).unwrap();
    let texts: Vec<&str> = svg.lines().map(str::trim).collect();
    assert!(texts.contains(&"-0.2") && texts.contains(&"0"), "{texts:?}");
    assert!(!texts.contains(&"-0"), "{texts:?}");
    assert!(texts.iter().any(|t| t.ends_with("e-7")), "{texts:?}");
}

/// The shares at the bars' ends used to be struck through by the 50%, 70% and 90% reference
/// lines drawn over them: the lines now sit behind the bars, and each share on white.
#[test]
fn key_result_shares_are_not_struck_through_by_the_reference_lines() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("krs.svg");
    valueflow()
        .args([
            "chart",
            "--kind",
            "key-results",
            "-q",
            "--reps",
            "20",
            "--out",
        ])
        .arg(&out)
        .arg("scenarios/outcomes.toml")
        .assert()
        .success();
    let svg = std::fs::read_to_string(&out).unwrap();
    let doc = roxmltree::Document::parse(&svg).expect("the SVG parses as XML");
    let shapes: Vec<roxmltree::Node> = doc
        .root_element()
        .children()
        .filter(|n| n.is_element())
        .collect();
    let num = |n: &roxmltree::Node, a: &str| n.attribute(a).unwrap().parse::<f64>().unwrap();
    let dashes = shapes
        .iter()
        .rposition(|n| n.has_tag_name("polyline") && n.attribute("stroke") == Some("#5A5A5A"))
        .expect("reference lines are drawn");
    let mut shares = 0;
    for (k, n) in shapes.iter().enumerate() {
        let text = n.text().unwrap_or("").trim();
        if !(n.has_tag_name("text") && text.ends_with('%') && !text.contains(' ')) {
            continue;
        }
        shares += 1;
        assert!(
            k > dashes,
            "the share {text} is drawn before a reference line"
        );
        let back = &shapes[k - 1];
        assert!(
            back.has_tag_name("rect") && back.attribute("fill") == Some("#FFFFFF"),
            "no white behind {text}"
        );
        let (x, y) = (num(n, "x"), num(n, "y"));
        let (bx, by, bw, bh) = (
            num(back, "x"),
            num(back, "y"),
            num(back, "width"),
            num(back, "height"),
        );
        assert!(
            bx <= x && x < bx + bw && by <= y && y <= by + bh,
            "the white at ({bx}, {by}) {bw}x{bh} does not hold {text} at ({x}, {y})"
        );
    }
    // Four policies, four key results.
    assert_eq!(shares, 16);
}

/// Eight policies on ten key results make bars a few pixels tall: shares as tall as a row
/// used to pile up on one another; they are left off, and the chart says so.
#[test]
fn key_result_shares_are_left_off_bars_too_thin_to_hold_them() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("krs.svg");
    valueflow()
        .args(["chart", "--kind", "key-results", "-q", "--reps", "5"])
        .args([
            "--policies",
            "fifo,priority,shortest-first,feature-factory,highest-value,cd3,wsjf,outcome",
            "--out",
        ])
        .arg(&out)
        .arg("scenarios/key-results.toml")
        .assert()
        .success();
    let svg = std::fs::read_to_string(&out).unwrap();
    let words = svg_text(&svg);
    assert!(
        words.contains("bars too thin to write their shares on"),
        "{words}"
    );
    assert!(
        !words
            .split_whitespace()
            .any(|w| w.ends_with('%') && w.len() <= 4),
        "a share is written: {words}"
    );
}

#[test]
fn the_key_results_chart_draws_a_dozen_rows_and_says_how_many_were_stated() {
    let krs: Vec<String> = (1..=40)
        .map(|i| format!("\"items_delivered >= {i} by day {}\"", i + 1))
        .collect();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("krs.toml");
    std::fs::write(
        &file,
        format!(
            "name = \"many\"\nhorizon = 100.0\nreplications = 3\n[[work]]\nname = \"job\"\narrival_rate = 1.0\n[[stages]]\nname = \"build\"\nservice = {{ dist = \"exponential\", mean = 0.5 }}\n[[objectives]]\nname = \"lots\"\nkey_results = [{}]\n",
            krs.join(", ")
        ),
    )
    .unwrap();
    let out = dir.path().join("krs.svg");
    valueflow()
        .args(["chart", "--kind", "key-results", "-q", "--out"])
        .arg(&out)
        .arg(&file)
        .assert()
        .success();
    let svg = std::fs::read_to_string(&out).unwrap();
    assert!(svg.contains("the first 12 of 40 key results"), "no note");
    assert!(svg.contains("items delivered ≥ 12 by day 13"));
    assert!(
        !svg.contains("items delivered ≥ 13 by day 14"),
        "a 13th row"
    );
}

/// Labels put built-in names in plain words (`lead_time` as "lead time") but show the names a
/// user gave (a work type `my_type`, a stage `my_stage`) as written.
#[test]
fn chart_labels_keep_user_names_as_written() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("named.toml");
    std::fs::write(
        &file,
        "name = \"named\"\nhorizon = 200.0\nreplications = 2\n\
         [[work]]\nname = \"my_type\"\narrival_rate = 0.5\n\
         [[stages]]\nname = \"my_stage\"\nworkers = 1\n\
         service = { dist = \"exponential\", mean = 1.0 }\n\
         [[objectives]]\nname = \"o\"\n\
         key_results = [\"work.my_type.lead_time.p85 <= 30\", \"items_delivered >= 5\"]\n",
    )
    .unwrap();
    let sweep = dir.path().join("sweep.svg");
    valueflow()
        .arg("sweep")
        .arg(&file)
        .args(["--vary", "stages.my_stage.workers=1,2", "--reps", "2", "-q"])
        .args(["--metric", "work.my_type.lead_time", "--chart"])
        .arg(&sweep)
        .assert()
        .success();
    let text = svg_text(&std::fs::read_to_string(&sweep).unwrap());
    assert!(
        text.contains("work.my_type.lead time by stages.my_stage.workers"),
        "{text}"
    );
    assert!(!text.contains("my type"), "{text}");
    let krs = dir.path().join("krs.svg");
    valueflow()
        .arg("chart")
        .arg(&file)
        .args(["--kind", "key-results", "--reps", "2", "-q", "--out"])
        .arg(&krs)
        .assert()
        .success();
    let text = svg_text(&std::fs::read_to_string(&krs).unwrap());
    assert!(text.contains("work.my_type.lead time"), "{text}");
    assert!(text.contains("items delivered"), "{text}");
    assert!(!text.contains("my type"), "{text}");
}
