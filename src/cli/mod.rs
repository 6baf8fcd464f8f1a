//! The command line: clap definitions, resolving arguments against the scenario, and writing
//! outputs safely. Thin by design: every decision of substance lives in the library.
//!
//! Exit codes: 0 success; 1 the run failed (e.g. an output could not be written);
//! 2 bad input (a scenario or argument error, or an output file that would be overwritten);
//! 130 interrupted by Ctrl-C, SIGTERM or SIGHUP (temporaries removed: `output::clean_up_on_interrupt`).

/// `eprintln!` that never panics: see [`output::note`].
macro_rules! note {
    ($($arg:tt)*) => {
        output::note(format_args!($($arg)*))
    };
}

mod history;
mod output;
mod progress;

use crate::experiment;
use crate::experiment::precision::{until_precise, Precision, TARGETS};
use crate::experiment::sweep::{Axis, Shard};
use crate::metrics::TraceBound;
use crate::model::flow;
use crate::report::chart::{self, ChartData, ChartKind};
use crate::report::pack;
use crate::report::{CompareReport, Csv, Exporter, Json, RunReport, Table};
use crate::scenario::library;
use crate::scenario::set::Setting;
use crate::scenario::Scenario;
use crate::scenario::{self, Overrides, ScenarioError};
use clap::{Parser, Subcommand, ValueEnum};
use std::path::PathBuf;

/// valueflow: simulate a value stream and see where work waits and what it delivers.
#[derive(Debug, Parser)]
#[command(name = "valueflow", version, about, long_about = None)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run a scenario and report flow metrics with 95% confidence intervals.
    Run(RunArgs),
    /// Run several policies on the same replications and rank them by value realised; or,
    /// given two scenario files, compare the two on common random numbers.
    Compare(CompareArgs),
    /// Where would one more person (or one fewer) change value and cycle time most?
    Advise(AdviseArgs),
    /// Draw one chart (PNG or SVG by the extension of --out).
    Chart(ChartArgs),
    /// Run a scenario's policies and write the chart pack, summaries and index.html.
    Report(ReportArgs),
    /// The built-in flagship scenario: a feature factory vs an outcome-focused team, compared
    /// and charted into ./valueflow-demo/.
    Demo(DemoArgs),
    /// Check a scenario file and describe what it simulates (exit 0 if valid, 2 if not).
    Validate {
        /// The scenario file (.toml, .yaml, .yml or .json).
        file: PathBuf,
        #[command(flatten)]
        sets: Sets,
    },
    /// Run a scenario at every point of a grid of settings, on common random numbers.
    Sweep(SweepArgs),
    /// Merge the JSON Lines of a sharded sweep into the output of the whole sweep.
    Merge(MergeArgs),
    /// Write board.html: an animated Kanban board replaying the same items under two or more
    /// policies, side by side (one self-contained file, no network).
    Board(BoardArgs),
    /// The built-in story library: each story's name, the question it answers and its lesson;
    /// --export NAME writes one to start from.
    Scenarios(ScenariosArgs),
    /// Write a commented scenario template to start from (never overwrites a file).
    Init {
        /// The file to create (.toml).
        file: PathBuf,
    },
    /// Tracker history in the "cycle data" CSV format (ActionableAgile, jira-agile-metrics).
    #[command(subcommand)]
    History(HistoryCommand),
    /// When will N more items be done, or how many by a date? Resamples the daily throughput
    /// of a cycle-data history, simulates a scenario, or both side by side (Monte Carlo).
    Forecast(history::ForecastArgs),
    /// Fit a scenario to a cycle-data history: arrival rates, time in stage, observed peaks,
    /// every number commented with its evidence.
    Fit(history::FitArgs),
    /// Draw a scenario's value stream in the terminal: stages, workers, WIP limits, rework and
    /// release paths, work types, epics and objectives.
    Describe {
        /// The scenario file (.toml, .yaml, .yml or .json).
        file: PathBuf,
        #[command(flatten)]
        sets: Sets,
    },
}

#[derive(Debug, Subcommand)]
enum HistoryCommand {
    /// Write replication 0 of a scenario as tracker history (cycle data), dated from --start.
    Export(history::ExportArgs),
}

#[derive(Debug, clap::Args)]
struct ScenariosArgs {
    /// Write the story NAME's scenario file, with its comments.
    #[arg(long, value_name = "NAME")]
    export: Option<String>,
    /// Where --export writes: a .toml name (default: NAME.toml), or `-` for standard output.
    #[arg(long, value_name = "FILE", requires = "export")]
    out: Option<PathBuf>,
    /// Replace --out if it exists.
    #[arg(long, requires = "export")]
    force: bool,
}

#[derive(Debug, clap::Args)]
struct BoardArgs {
    /// The scenario file (.toml, .yaml, .yml or .json).
    file: PathBuf,
    /// Policies to replay side by side, comma-separated (default: the first and the last of
    /// the scenario's `compare` list).
    #[arg(long, value_delimiter = ',', value_name = "LIST")]
    policies: Option<Vec<String>>,
    /// The page to write.
    #[arg(long, value_name = "FILE", default_value = "board.html")]
    out: PathBuf,
    /// Replace --out if it exists.
    #[arg(long)]
    force: bool,
    /// Base random seed (overrides `seed`): replication 0 of it is replayed.
    #[arg(long)]
    seed: Option<u64>,
    /// Days simulated (overrides `horizon`).
    #[arg(long, value_name = "DAYS", allow_negative_numbers = true)]
    horizon: Option<f64>,
    #[command(flatten)]
    sets: Sets,
}

/// `--set`, shared by every command that reads a scenario.
#[derive(Debug, Default, clap::Args)]
struct Sets {
    /// Change a scenario key: PATH=VALUE, e.g. stages.build.workers=4 (arrays of tables by
    /// name; `none` removes a key). Repeatable.
    #[arg(long = "set", value_name = "PATH=VALUE", value_parser = setting)]
    set: Vec<Setting>,
}

fn setting(s: &str) -> Result<Setting, String> {
    Setting::parse(s)
}

fn axis(s: &str) -> Result<Axis, String> {
    Axis::parse(s)
}

fn shard(s: &str) -> Result<Shard, String> {
    Shard::parse(s)
}

#[derive(Debug, clap::Args)]
struct SweepArgs {
    /// The scenario file (.toml, .yaml, .yml or .json).
    file: PathBuf,
    /// A knob and its values: PATH=a..b, PATH=a..b:step or PATH=v1,v2,... (values as in
    /// --set; `none` removes the key). Repeatable; the grid is the cartesian product.
    /// Without --vary, the file's `[sweep] vary = [...]` is run.
    #[arg(long, value_name = "PATH=VALUES", value_parser = axis)]
    vary: Vec<Axis>,
    /// A ready-made Reinertsen curve instead of --vary: utilisation, batch-size, wip-limit or
    /// feedback-delay (docs/whatif.md, "Ready-made curves").
    #[arg(long, value_name = "NAME", conflicts_with = "vary")]
    curve: Option<String>,
    /// Run only the K-th of N deterministic slices of the grid (K from 1), for a job array.
    #[arg(long, value_name = "K/N", value_parser = shard, conflicts_with = "shard_from_env")]
    shard: Option<Shard>,
    /// Take the slice from the scheduler's array index (Slurm, Kubernetes Indexed Jobs, AWS
    /// Batch).
    #[arg(long)]
    shard_from_env: bool,
    /// The number of tasks, where the environment does not give it (Kubernetes, AWS Batch).
    #[arg(long, value_name = "N", requires = "shard_from_env")]
    shard_count: Option<u64>,
    /// Run a grid of more than 10,000 points.
    #[arg(long)]
    yes: bool,
    #[command(flatten)]
    chart: SweepChart,
    /// Prioritisation policy (overrides `policy`; a `policy` axis overrides both).
    #[arg(long)]
    policy: Option<String>,
    #[command(flatten)]
    common: Common,
}

/// `--chart` and `--metric` of sweep and merge.
#[derive(Debug, clap::Args)]
struct SweepChart {
    /// Also draw the sweep's chart (.png or .svg): a line with its 95% band for one knob; for
    /// two, one line per value of the second (up to 6) or a heatmap.
    #[arg(long, value_name = "FILE")]
    chart: Option<PathBuf>,
    /// The metric the chart shows (default: value_realised where value is modelled, else
    /// cycle_time).
    #[arg(long, value_name = "METRIC", requires = "chart")]
    metric: Option<String>,
}

impl SweepChart {
    /// Refuses, before any work, a chart file that could not be written.
    fn check(&self, force: bool) -> Result<(), CliError> {
        match &self.chart {
            Some(path) => check_chart_path(path, force),
            None => Ok(()),
        }
    }

    /// Refuses, before anything is written, a chart that could not be drawn from `records`
    /// (or from a sample of the same sweep): an unknown `--metric`, too many knobs.
    fn check_records(
        &self,
        records: &[crate::report::sweep::Record],
        default_metric: Option<&str>,
    ) -> Result<(), CliError> {
        if self.chart.is_none() {
            return Ok(());
        }
        chart::sweep::check(records, &self.metric_for(records, default_metric)).map_err(unchartable)
    }

    /// The metric the chart of `records` shows.
    fn metric_for(
        &self,
        records: &[crate::report::sweep::Record],
        default_metric: Option<&str>,
    ) -> String {
        self.metric
            .clone()
            .or(default_metric.map(String::from))
            .unwrap_or_else(|| {
                let valued = records.iter().any(|r| {
                    r.metrics
                        .get("value_realised")
                        .and_then(|s| s.mean)
                        .is_some_and(|m| m != 0.0)
                });
                if valued {
                    "value_realised"
                } else {
                    "cycle_time"
                }
                .to_string()
            })
    }

    /// Draws the chart of `records`, if asked.
    fn draw(
        &self,
        records: &[crate::report::sweep::Record],
        force: bool,
        default_metric: Option<&str>,
    ) -> Result<(), CliError> {
        let Some(path) = &self.chart else {
            return Ok(());
        };
        let metric = self.metric_for(records, default_metric);
        chart::sweep::check(records, &metric).map_err(unchartable)?;
        chart::sweep::save(records, &metric, path, force).map_err(|e| match e {
            chart::ChartError::Write(e) => output::write_error(e),
            e => CliError::Runtime(e.into()),
        })?;
        note!("wrote {}", path.display());
        Ok(())
    }
}

/// The error of a sweep chart that cannot be drawn; the valid metrics, when the message says
/// to see them, are written first, a form per line (one line of error would cut them).
fn unchartable(u: chart::sweep::Unchartable) -> CliError {
    for line in &u.valid {
        note!("{}", scenario::message::shorten(line, 300));
    }
    CliError::Input(u.message)
}

/// Points a sweep may have at all, `--yes` and sharding included: a billion.
const MAX_POINTS: u64 = 1_000_000_000;

/// Refuses, before any work, axes that would mislabel their points: two axes that set one key
/// (by the same or different paths), an axis on a key a run flag also sets (`--horizon`,
/// `--warmup`, `--reps`, `--policy`), and a `seed` axis (every point runs on one seed, so that
/// points differ by the knob, not the dice).
fn axes_apart(
    file: &std::path::Path,
    grid: &crate::experiment::sweep::Grid,
    c: &Common,
    policy_flag: bool,
) -> Result<(), CliError> {
    let keys = scenario::keys_set(file, &grid.settings(0))?;
    let fixed = scenario::keys_set(file, &c.sets.set)?;
    let axis = |i: usize| grid.axes[i].label();
    for (i, mine) in keys.iter().enumerate() {
        for (j, theirs) in keys.iter().enumerate().skip(i + 1) {
            if let Some(k) = scenario::shared_key(mine, theirs) {
                return Err(CliError::Input(format!(
                    "{} and {} both set `{k}`; vary each key on one axis",
                    axis(i),
                    axis(j)
                )));
            }
        }
        // Applied after the settings, the axis would replace a setting's key (or the table
        // holding it) at every point, silently. A setting of the table that holds the axis's
        // key is refined by the axis, not replaced.
        for (set, theirs) in c.sets.set.iter().zip(&fixed) {
            let replaced = theirs
                .iter()
                .find(|t| mine.iter().any(|k| scenario::key_within(t, k)));
            if let Some(k) = replaced {
                return Err(CliError::Input(format!(
                    "{} and --set {} both set `{k}`; keep one",
                    axis(i),
                    set.text
                )));
            }
        }
        for k in mine {
            let flag = match k.as_str() {
                "horizon" if c.horizon.is_some() => "--horizon",
                "warmup" if c.warmup.is_some() => "--warmup",
                "replications" if c.reps.is_some() => "--reps",
                "policy" if policy_flag => "--policy",
                "seed" => {
                    return Err(CliError::Input(format!(
                        "{}: every point runs on one seed (common random numbers), so that points differ by the knob, not the dice; to see more of the dice, raise --reps",
                        axis(i)
                    )))
                }
                _ => continue,
            };
            return Err(CliError::Input(format!(
                "{} and {flag} both set `{k}`; keep one",
                axis(i)
            )));
        }
    }
    Ok(())
}

/// The values of point `k` of `grid`, as a sweep record holds them.
fn parameters_of(
    grid: &crate::experiment::sweep::Grid,
    k: u64,
) -> Vec<crate::report::sweep::Parameter> {
    grid.point(k)
        .into_iter()
        .map(|(name, v)| crate::report::sweep::Parameter {
            name: name.to_string(),
            value: v.cloned().unwrap_or(serde_json::Value::Null),
        })
        .collect()
}

/// Refuses `--out` and `--chart` naming one file: one would overwrite the other.
fn distinct_outputs(out: Option<&PathBuf>, chart: Option<&PathBuf>) -> Result<(), CliError> {
    let (Some(out), Some(chart)) = (out, chart) else {
        return Ok(());
    };
    let absolute = |p: &PathBuf| std::path::absolute(p).unwrap_or_else(|_| p.clone());
    if absolute(out) == absolute(chart) {
        return Err(CliError::Input(format!(
            "--out and --chart both name {}; give each its own file",
            out.display()
        )));
    }
    Ok(())
}

/// Refuses, before any work, a `--chart` file that could not be written.
fn check_chart_path(path: &std::path::Path, force: bool) -> Result<(), CliError> {
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase);
    if !matches!(ext.as_deref(), Some("png" | "svg")) {
        return Err(CliError::Input(format!(
            "{}: --chart must end in .png or .svg",
            path.display()
        )));
    }
    // The shared checks name --out; here the file is the chart's.
    let as_chart = |e| match e {
        CliError::Input(m) => CliError::Input(m.replace("another --out", "another --chart")),
        other => other,
    };
    check_parent(path).map_err(as_chart)?;
    output::check_writable(path, force).map_err(as_chart)
}

#[derive(Debug, clap::Args)]
struct MergeArgs {
    /// The shards' JSON Lines files.
    #[arg(required = true)]
    files: Vec<PathBuf>,
    #[command(flatten)]
    chart: SweepChart,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    format: Format,
    /// Write the output to this file instead of standard output.
    #[arg(long, value_name = "FILE")]
    out: Option<PathBuf>,
    /// Replace `--out` if it already exists.
    #[arg(long)]
    force: bool,
}

/// Run settings and output options shared by `run`, `compare`, `sweep` and `advise`.
#[derive(Debug, clap::Args)]
struct Common {
    /// Replications to run, per policy (overrides `replications`).
    #[arg(long, value_name = "N", allow_negative_numbers = true, value_parser = at_least_one)]
    reps: Option<u64>,
    /// Base random seed (overrides `seed`).
    #[arg(long)]
    seed: Option<u64>,
    /// Days simulated per replication (overrides `horizon`).
    #[arg(long, value_name = "DAYS", allow_negative_numbers = true)]
    horizon: Option<f64>,
    /// Days excluded from flow statistics at the start (overrides `warmup`).
    #[arg(long, value_name = "DAYS", allow_negative_numbers = true)]
    warmup: Option<f64>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    format: Format,
    /// Write the output to this file instead of standard output.
    #[arg(long, value_name = "FILE")]
    out: Option<PathBuf>,
    /// Replace `--out` if it already exists.
    #[arg(long)]
    force: bool,
    /// No progress bar.
    #[arg(long, short)]
    quiet: bool,
    #[command(flatten)]
    sets: Sets,
    /// Add replications (doubling, from --reps or 30) until the 95% half-width of --target is
    /// within this share of its mean, e.g. 2% (run, compare of policies and sweep; other
    /// commands take --reps).
    #[arg(long, value_name = "SHARE", allow_negative_numbers = true, value_parser = Precision::parse_share)]
    precision: Option<f64>,
    /// The metric --precision judges: value_realised (default), cycle_time, lead_time,
    /// throughput, wip, items_delivered, cost_of_delay.
    #[arg(long, value_name = "METRIC", requires = "precision")]
    target: Option<String>,
    /// The most replications --precision may run.
    #[arg(
        long,
        value_name = "N",
        default_value_t = 10_000,
        requires = "precision"
    )]
    max_reps: u64,
}

impl Common {
    /// What `--precision` asks for, checked against the scenario.
    fn precision(&self, sc: &Scenario) -> Result<Option<Precision>, CliError> {
        let Some(relative) = self.precision else {
            return Ok(None);
        };
        let target = self
            .target
            .clone()
            .unwrap_or_else(|| "value_realised".into());
        if !TARGETS.contains(&target.as_str()) {
            return Err(CliError::Input(format!(
                "--target {target}: unknown metric; valid: {}",
                TARGETS.join(", ")
            )));
        }
        if target == "value_realised" && !sc.stream.has_value() {
            return Err(CliError::Input(
                "--precision judges value realised, but this scenario models no value; choose --target cycle_time (or another metric)".into(),
            ));
        }
        let most = scenario::bounds::REPLICATIONS;
        if !(2..=most).contains(&self.max_reps) {
            return Err(CliError::Input(format!(
                "--max-reps {}: must be from 2 to {most} (the most replications a run may have)",
                self.max_reps
            )));
        }
        if let Some(reps) = self.reps.filter(|&r| r > self.max_reps) {
            return Err(CliError::Input(format!(
                "--reps {reps} is more than --max-reps {}: --precision starts from --reps and stops at --max-reps; raise --max-reps or lower --reps",
                self.max_reps
            )));
        }
        Ok(Some(Precision {
            relative,
            target,
            cap: self.max_reps,
        }))
    }

    /// The replications a precision run starts from.
    fn first_reps(&self) -> u64 {
        self.reps.unwrap_or(30)
    }

    /// The `--set`s, then `--horizon` and `--warmup` as settings: read with the file, so that
    /// its checks (the events a replication may handle over the horizon) judge the run as
    /// given. A value out of range is left to [`Scenario::apply`], whose message names the flag.
    fn settings(&self) -> Vec<Setting> {
        let mut sets = self.sets.set.clone();
        if let Some(h) = self.horizon.filter(|h| h.is_finite() && *h > 0.0) {
            sets.push(Setting::from_flag("--horizon", "horizon", h.into()));
        }
        if let Some(w) = self.warmup.filter(|w| w.is_finite() && *w >= 0.0) {
            sets.push(Setting::from_flag("--warmup", "warmup", w.into()));
        }
        sets
    }

    fn overrides(&self) -> Overrides {
        Overrides {
            replications: self.reps,
            seed: self.seed,
            horizon: self.horizon,
            warmup: self.warmup,
            ..Default::default()
        }
    }
}

#[derive(Debug, clap::Args)]
struct RunArgs {
    /// The scenario file (.toml, .yaml, .yml or .json).
    file: PathBuf,
    /// Prioritisation policy (overrides `policy`).
    #[arg(long)]
    policy: Option<String>,
    #[command(flatten)]
    common: Common,
}

#[derive(Debug, clap::Args)]
struct AdviseArgs {
    /// The scenario file (.toml, .yaml, .yml or .json).
    file: PathBuf,
    /// Prioritisation policy (overrides `policy`).
    #[arg(long)]
    policy: Option<String>,
    #[command(flatten)]
    common: Common,
}

#[derive(Debug, clap::Args)]
struct CompareArgs {
    /// The scenario file; or two, BEFORE and AFTER, to compare the scenarios themselves.
    #[arg(num_args = 1..=2, required = true, value_name = "FILE")]
    files: Vec<PathBuf>,
    /// With two files: the policy run in both (default: each file's `policy`).
    #[arg(long, conflicts_with_all = ["policies", "baseline"])]
    policy: Option<String>,
    /// Policies to compare, comma-separated (default: the scenario's `compare` list, or
    /// fifo,feature-factory,cd3,outcome).
    #[arg(long, value_delimiter = ',', value_name = "LIST")]
    policies: Option<Vec<String>>,
    /// The policy the others are measured against (default: the first).
    #[arg(long)]
    baseline: Option<String>,
    /// With two files: also draw the delta chart (.png or .svg), each metric's paired
    /// difference in % of BEFORE with its 95% interval and P(after better).
    #[arg(long, value_name = "FILE")]
    chart: Option<PathBuf>,
    #[command(flatten)]
    common: Common,
}

/// Settings shared by commands that compare policies.
#[derive(Debug, clap::Args)]
struct Comparing {
    /// Policies to compare, comma-separated (default: the scenario's `compare` list).
    #[arg(long, value_delimiter = ',', value_name = "LIST")]
    policies: Option<Vec<String>>,
    /// The policy the others are measured against (default: the first).
    #[arg(long)]
    baseline: Option<String>,
    /// Replications per policy (overrides `replications`).
    #[arg(long, value_name = "N", allow_negative_numbers = true, value_parser = at_least_one)]
    reps: Option<u64>,
    /// Base random seed (overrides `seed`).
    #[arg(long)]
    seed: Option<u64>,
    /// The policy whose replication 0 is traced for item-level charts (default: the
    /// scenario's `policy`).
    #[arg(long)]
    policy: Option<String>,
    /// No progress bar.
    #[arg(long, short)]
    quiet: bool,
    /// The day the aging-WIP chart shows (default: the middle of the run).
    #[arg(long, value_name = "DAY")]
    aging_day: Option<f64>,
    #[command(flatten)]
    sets: Sets,
}

#[derive(Debug, clap::Args)]
struct ChartArgs {
    /// The scenario file (.toml, .yaml, .yml or .json).
    file: PathBuf,
    /// Which chart: output-vs-outcome, value-over-time, cfd, cycle-time, cycle-time-histogram,
    /// lead-time-histogram, throughput, throughput-histogram, wip, aging-wip,
    /// value-distribution, flow-distribution, where-time-goes, stages, key-results.
    #[arg(long)]
    kind: String,
    /// The chart file; .png or .svg.
    #[arg(long, value_name = "FILE")]
    out: PathBuf,
    /// Replace --out if it exists.
    #[arg(long)]
    force: bool,
    #[command(flatten)]
    comparing: Comparing,
}

#[derive(Debug, clap::Args)]
struct ReportArgs {
    /// The scenario file (.toml, .yaml, .yml or .json).
    file: PathBuf,
    /// The folder to create.
    #[arg(long, value_name = "DIR")]
    out: PathBuf,
    /// Replace --out if it exists.
    #[arg(long)]
    force: bool,
    #[command(flatten)]
    comparing: Comparing,
}

#[derive(Debug, clap::Args)]
struct DemoArgs {
    /// The folder to create.
    #[arg(long, value_name = "DIR", default_value = "valueflow-demo")]
    out: PathBuf,
    /// A story of the built-in library instead of the flagship (`valueflow scenarios` lists
    /// them).
    #[arg(long, value_name = "NAME")]
    scenario: Option<String>,
    /// Replace --out if it exists.
    #[arg(long)]
    force: bool,
    #[command(flatten)]
    comparing: Comparing,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
enum Format {
    Table,
    Json,
    Csv,
    /// JSON Lines, one record per point (sweep and merge only).
    Jsonl,
}

/// `--reps`: a whole number of at least 1 (clap would read `-1` as a flag without this).
fn at_least_one(s: &str) -> Result<u64, String> {
    match s.trim().parse::<i128>() {
        Ok(n) if n >= 1 => u64::try_from(n).map_err(|_| format!("must be at most {}", u64::MAX)),
        Ok(n) => Err(format!("must be a whole number of at least 1 (got {n})")),
        Err(_) => Err("must be a whole number of at least 1".into()),
    }
}

/// Refuses, before any run, an `--out` whose folder does not exist.
fn check_parent(out: &std::path::Path) -> Result<(), CliError> {
    let Some(parent) = out.parent().filter(|p| !p.as_os_str().is_empty()) else {
        return Ok(());
    };
    if parent.is_dir() {
        return Ok(());
    }
    let why = if parent.exists() {
        "is a file, not a folder"
    } else {
        "does not exist"
    };
    Err(CliError::Input(format!(
        "cannot write {}: the folder {} {why}; create it or choose another --out",
        out.display(),
        parent.display()
    )))
}

/// An error at the command-line edge, with the exit code it maps to.
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    /// The scenario or the arguments are wrong (exit 2).
    #[error(transparent)]
    Scenario(#[from] ScenarioError),
    /// The user's input would be harmed or is unusable (exit 2).
    #[error("{0}")]
    Input(String),
    /// Something failed while running or writing (exit 1).
    #[error(transparent)]
    Runtime(#[from] anyhow::Error),
}

impl CliError {
    /// The documented exit code.
    pub fn exit_code(&self) -> i32 {
        match self {
            CliError::Scenario(_) | CliError::Input(_) => 2,
            CliError::Runtime(_) => 1,
        }
    }
}

/// Runs the command line; returns the error to report, if any.
pub fn main(cli: Cli) -> Result<(), CliError> {
    output::clean_up_on_interrupt();
    match cli.command {
        Command::Validate { file, sets } => {
            let sc = scenario::load_with(&file, &sets.set)?;
            stdout(&format!(
                "{}{} is a valid scenario\n",
                sc.describe(),
                file.display()
            ))?;
            Ok(())
        }
        Command::Run(args) => run(args),
        Command::Board(args) => board(args),
        Command::Scenarios(args) => scenarios(args),
        Command::History(HistoryCommand::Export(args)) => history::export(args),
        Command::Forecast(args) => history::forecast(args),
        Command::Fit(args) => history::fit(args),
        Command::Init { file } => init(&file),
        Command::Describe { file, sets } => {
            let sc = scenario::load_with(&file, &sets.set)?;
            stdout(&crate::report::describe::describe(&sc))
        }
        Command::Compare(args) if args.files.len() == 2 => compare_files(args),
        Command::Compare(args) => compare(args),
        Command::Advise(args) => advise(args),
        Command::Chart(args) => chart(args),
        Command::Report(args) => report(args),
        Command::Demo(args) => demo(args),
        Command::Sweep(args) => sweep(args),
        Command::Merge(args) => merge(args),
    }
}

/// The flagship scenario, embedded so `demo` needs no files.
pub const DEMO_SCENARIO: &str = include_str!("../../scenarios/outcomes.toml");

/// A comparison and a traced replication, ready for charts.
struct Charted {
    aging_day: Option<f64>,
    sc: Scenario,
    comparison: experiment::Comparison,
    traced_policy: String,
    trace: crate::metrics::Trace,
}

impl Charted {
    fn data(&self) -> ChartData<'_> {
        ChartData {
            scenario: &self.sc,
            comparison: &self.comparison,
            traced_policy: &self.traced_policy,
            trace: &self.trace,
            aging_day: self.aging_day,
        }
    }
}

/// Applies the command-line overrides to `sc` and prints the scenario's warnings.
fn resolve(mut sc: Scenario, overrides: &Overrides) -> Result<Scenario, CliError> {
    sc.apply(overrides)?;
    for w in &sc.warnings {
        note!("warning: {w}");
    }
    Ok(sc)
}

/// Runs the scenario's `compare` policies on common random numbers, with a progress bar.
fn compare_policies(sc: &Scenario, quiet: bool) -> Result<experiment::Comparison, CliError> {
    let policies: Vec<_> = sc
        .compare
        .iter()
        .map(|n| {
            sc.policy_named(n)
                .ok_or_else(|| CliError::Input(format!("unknown policy `{n}`")))
        })
        .collect::<Result<_, _>>()?;
    let baseline = sc
        .compare
        .iter()
        .position(|n| *n == sc.baseline)
        .unwrap_or(0);
    let bar = progress::bar(sc.replications, quiet);
    let comparison = experiment::compare(
        &sc.stream,
        &policies,
        baseline,
        &sc.key_results,
        sc.seed,
        sc.replications,
        |done| bar.set_position(done),
    );
    bar.finish_and_clear();
    for (name, s) in sc.compare.iter().zip(&comparison.policies) {
        within_limits(sc, name, s)?;
    }
    Ok(comparison)
}

/// An error when a replication ran out of its budget (`model::Limits`): its results are
/// incomplete, so nothing is written.
fn within_limits(sc: &Scenario, policy: &str, s: &experiment::RunSummary) -> Result<(), CliError> {
    use crate::metrics::Exceeded;
    use crate::model::Limits;
    let Some((rep, what)) = s.exceeded else {
        return Ok(());
    };
    let l = &sc.stream.limits;
    let (budget, key, max, why) = match what {
        Exceeded::Events => (
            format!("{} events", l.events),
            "limits.events_per_replication",
            Limits::MAX_EVENTS,
            "it does more than estimated (spawn chains, rework loops or an unbounded queue)"
                .to_string(),
        ),
        Exceeded::Items => (
            format!("{} items alive at once", l.items),
            "limits.items_per_replication",
            Limits::MAX_ITEMS,
            "it does more than estimated (spawn chains, rework loops or an unbounded queue)"
                .to_string(),
        ),
        Exceeded::Weighed => (
            format!("{} events", l.events),
            "limits.events_per_replication",
            Limits::MAX_EVENTS,
            format!(
                "its policy weighed over {} waiting items ({} to an event) as a queue kept growing",
                l.events.saturating_mul(Limits::WEIGHED_PER_EVENT),
                Limits::WEIGHED_PER_EVENT
            ),
        ),
    };
    Err(CliError::Input(format!(
        "replication {rep} under `{policy}` hit its budget of {budget} (`{key}`, up to {max}) before day {}: {why}. Nothing was written; shorten the run or raise the limit.",
        sc.stream.horizon
    )))
}

/// Runs the comparison (with a progress bar unless quiet) and traces one replication.
fn run_for_charts(sc: Scenario, c: &Comparing) -> Result<Charted, CliError> {
    let sc = resolve(
        sc,
        &Overrides {
            replications: c.reps,
            seed: c.seed,
            policy: c.policy.clone(),
            compare: c.policies.clone(),
            baseline: c.baseline.clone(),
            ..Default::default()
        },
    )?;
    let comparison = compare_policies(&sc, c.quiet)?;
    let traced = sc
        .policy_named(&sc.policy)
        .ok_or_else(|| CliError::Input(format!("unknown policy `{}`", sc.policy)))?;
    // The item-level charts' trace is bounded: a run too long to trace whole is charted up to
    // the last whole day its trace knows, and the charts say so.
    let (_, mut trace) =
        flow::simulate_traced_bounded(&sc.stream, traced.as_ref(), sc.seed, 0, TraceBound::CHARTS);
    let until = trace.until(sc.stream.horizon);
    if trace.cut.is_some() {
        trace.truncate_to(until);
    }
    if let Some(day) = c.aging_day {
        if !(day > 0.0 && day <= sc.stream.horizon) {
            return Err(CliError::Input(format!(
                "--aging-day must be a day within the run (0 to {}], got {day}",
                sc.stream.horizon
            )));
        }
        if day > until {
            return Err(CliError::Input(format!(
                "--aging-day {day} is past day {until}, the last the item charts show: their trace keeps at most {} items and {} moves (shorten the run with --set horizon=DAYS to chart it whole)",
                TraceBound::CHARTS.items,
                TraceBound::CHARTS.steps
            )));
        }
    }
    Ok(Charted {
        aging_day: c.aging_day,
        traced_policy: sc.policy.clone(),
        sc,
        comparison,
        trace,
    })
}

fn chart(args: ChartArgs) -> Result<(), CliError> {
    let kind = ChartKind::from_name(&args.kind).ok_or_else(|| {
        CliError::Input(format!(
            "unknown chart kind `{}`; valid: {}",
            args.kind,
            ChartKind::ALL.map(|k| k.name()).join(", ")
        ))
    })?;
    let ext = args
        .out
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase);
    if !matches!(ext.as_deref(), Some("png" | "svg")) {
        return Err(CliError::Input(format!(
            "{}: --out must end in .png or .svg",
            args.out.display()
        )));
    }
    check_parent(&args.out)?;
    output::check_writable(&args.out, args.force)?;
    let charted = run_for_charts(
        scenario::load_with(&args.file, &args.comparing.sets.set)?,
        &args.comparing,
    )?;
    output::check_writable(&args.out, args.force)?;
    chart::save(kind, &charted.data(), &args.out, args.force).map_err(|e| match e {
        chart::ChartError::Write(e) => output::write_error(e),
        e => CliError::Runtime(e.into()),
    })?;
    note!("wrote {}", args.out.display());
    Ok(())
}

fn write_report(charted: &Charted, out: &std::path::Path, force: bool) -> Result<(), CliError> {
    let report = CompareReport::new(&charted.sc, &charted.comparison);
    // The board replays the first and the last policy compared (feature factory and outcome
    // team on the flagship).
    let mut sc = charted.sc.clone();
    sc.compare = board_policies(&charted.sc);
    let board = board_page(&sc)?;
    let files = pack::write(out, force, &charted.data(), &report, Some(&board)).map_err(|e| {
        if e.is_refusal() {
            CliError::Input(e.to_string())
        } else {
            CliError::Runtime(e.into())
        }
    })?;
    note!(
        "wrote {}/ ({} files); open {}",
        out.display(),
        files.len(),
        out.join("index.html").display()
    );
    Ok(())
}

fn report(args: ReportArgs) -> Result<(), CliError> {
    check_parent(&args.out)?;
    output::check_folder(&args.out, args.force)?;
    let charted = run_for_charts(
        scenario::load_with(&args.file, &args.comparing.sets.set)?,
        &args.comparing,
    )?;
    write_report(&charted, &args.out, args.force)
}

fn demo(args: DemoArgs) -> Result<(), CliError> {
    check_parent(&args.out)?;
    output::check_folder(&args.out, args.force)?;
    let (text, origin) = match &args.scenario {
        None => (
            DEMO_SCENARIO,
            "built-in demo (scenarios/outcomes.toml)".to_string(),
        ),
        Some(name) => {
            let story = library::story(name).ok_or_else(|| {
                CliError::Input(format!(
                    "--scenario {name}: no such story; valid: {}",
                    library::names()
                ))
            })?;
            (
                story.text,
                format!("built-in story {name} (scenarios/{})", story.file),
            )
        }
    };
    let sc = scenario::parse_with(
        text,
        scenario::Format::Toml,
        &origin,
        &args.comparing.sets.set,
    )?;
    let charted = run_for_charts(sc, &args.comparing)?;
    let report = CompareReport::new(&charted.sc, &charted.comparison);
    stdout(&Table.render_compare(&report))?;
    write_report(&charted, &args.out, args.force)
}

fn exporter(format: Format) -> Result<Box<dyn Exporter>, CliError> {
    Ok(match format {
        Format::Table => Box::new(Table),
        Format::Json => Box::new(Json),
        Format::Csv => Box::new(Csv),
        Format::Jsonl => {
            return Err(CliError::Input(
                "--format jsonl is for sweep and merge; use table, json or csv".into(),
            ))
        }
    })
}

fn emit(text: &str, out: Option<&PathBuf>, force: bool) -> Result<(), CliError> {
    match out {
        Some(out) => {
            output::write_atomically(out, text.as_bytes(), force)?;
            note!("wrote {}", out.display());
        }
        None => stdout(text)?,
    }
    Ok(())
}

/// Writes `text` to standard output. A reader that closed the pipe early (`valueflow … | head`)
/// is not an error: the rest is simply not wanted.
fn stdout(text: &str) -> Result<(), CliError> {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(CliError::Runtime(
            anyhow::anyhow!("cannot write to standard output: {e}"),
        )),
        _ => Ok(()),
    }
}

fn compare(args: CompareArgs) -> Result<(), CliError> {
    let c = &args.common;
    if args.chart.is_some() {
        return Err(CliError::Input(
            "--chart draws the delta chart of two files (compare BEFORE AFTER); for the charts \
             of one scenario's policies use `valueflow chart KIND` or `valueflow report`"
                .into(),
        ));
    }
    if let Some(out) = &c.out {
        check_parent(out)?;
        output::check_writable(out, c.force)?;
    }
    let sc = resolve(
        scenario::load_with(&args.files[0], &c.settings())?,
        &Overrides {
            compare: args.policies.clone(),
            baseline: args.baseline.clone(),
            ..c.overrides()
        },
    )?;
    let (cmp, reached) = match c.precision(&sc)? {
        None => (compare_policies(&sc, c.quiet)?, None),
        Some(p) => {
            let mut failed = None;
            let (cmp, r) = until_precise(
                &p,
                c.first_reps(),
                |n| {
                    let mut at = sc.clone();
                    at.replications = n;
                    compare_policies(&at, c.quiet)
                        .map_err(|e| failed = Some(e))
                        .ok()
                },
                |cmp| cmp.iter().flat_map(|c| c.policies.iter()).collect(),
            );
            match (cmp, failed) {
                (Some(cmp), _) => (cmp, Some(r)),
                (None, Some(e)) => return Err(e),
                (None, None) => unreachable!("invariant: a failed attempt records its error"),
            }
        }
    };
    let mut report = CompareReport::new(&sc, &cmp);
    report.replications = cmp
        .policies
        .first()
        .map_or(sc.replications, |p| p.replications);
    report.precision = reached;
    emit(
        &exporter(c.format)?.render_compare(&report),
        c.out.as_ref(),
        c.force,
    )
}

fn run(args: RunArgs) -> Result<(), CliError> {
    let c = &args.common;
    if let Some(out) = &c.out {
        check_parent(out)?;
        output::check_writable(out, c.force)?;
    }
    let sc = resolve(
        scenario::load_with(&args.file, &c.settings())?,
        &Overrides {
            policy: args.policy.clone(),
            ..c.overrides()
        },
    )?;
    let policy = sc
        .policy_named(&sc.policy)
        .ok_or_else(|| CliError::Input(format!("unknown policy `{}`", sc.policy)))?;
    let precision = c.precision(&sc)?;
    let attempt = |n: u64| {
        let bar = progress::bar(n, c.quiet);
        let s = experiment::run_with_key_results(
            &sc.stream,
            policy.as_ref(),
            &sc.key_results,
            sc.seed,
            n,
            |done| bar.set_position(done),
        );
        bar.finish_and_clear();
        s
    };
    let (summary, reached) = match &precision {
        None => (attempt(sc.replications), None),
        Some(p) => {
            let (s, r) = until_precise(p, c.first_reps(), attempt, |s| vec![s]);
            (s, Some(r))
        }
    };
    within_limits(&sc, &sc.policy, &summary)?;
    let mut report = RunReport::new(&sc, &summary);
    report.precision = reached;
    emit(
        &exporter(c.format)?.render(&report),
        c.out.as_ref(),
        c.force,
    )
}

/// Where sweep output goes: standard output, or a staged file put in place at the end (so an
/// interrupted sweep leaves no partial file).
enum Sink {
    Stdout,
    File(
        crate::report::atomic::Staged,
        std::io::BufWriter<std::fs::File>,
    ),
}

impl Sink {
    fn open(out: Option<&PathBuf>) -> Result<Sink, CliError> {
        let Some(out) = out else {
            return Ok(Sink::Stdout);
        };
        let staged = crate::report::atomic::Staged::file(out).map_err(output::write_error)?;
        let f = std::fs::File::create(staged.path()).map_err(|e| {
            CliError::Runtime(anyhow::anyhow!("cannot write {}: {e}", out.display()))
        })?;
        Ok(Sink::File(staged, std::io::BufWriter::new(f)))
    }

    fn write(&mut self, text: &str) -> Result<(), CliError> {
        use std::io::Write;
        match self {
            Sink::Stdout => stdout(text),
            Sink::File(_, w) => w
                .write_all(text.as_bytes())
                .map_err(|e| CliError::Runtime(anyhow::anyhow!("cannot write output: {e}"))),
        }
    }

    fn finish(self, out: Option<&PathBuf>, force: bool) -> Result<(), CliError> {
        use std::io::Write;
        if let Sink::File(staged, mut w) = self {
            w.flush()
                .map_err(|e| CliError::Runtime(anyhow::anyhow!("cannot write output: {e}")))?;
            drop(w);
            staged.commit(force).map_err(output::write_error)?;
            if let Some(out) = out {
                note!("wrote {}", out.display());
            }
        }
        Ok(())
    }
}

fn sweep(args: SweepArgs) -> Result<(), CliError> {
    use crate::experiment::sweep::{fingerprint, Grid, CONFIRM_ABOVE};
    use crate::report::sweep::{csv_header, csv_rows, table, CurveTag, Record, SweepId};
    let c = &args.common;
    if matches!(c.format, Format::Json) {
        return Err(CliError::Input(
            "a sweep writes --format table, csv or jsonl (one JSON record per point)".into(),
        ));
    }
    // Read once: every point is a setting on the same text, and the fingerprint is of it.
    let source = scenario::Source::read(&args.file)?;
    let curve = match &args.curve {
        Some(name) => {
            let sc = source.load_with(&c.settings())?;
            let cv = crate::experiment::curve::curve(name, &sc)
                .map_err(|m| CliError::Input(format!("--curve {name}: {m}")))?;
            note!("curve {}: {}", cv.name, cv.note);
            Some(cv)
        }
        None => None,
    };
    let axes = if let Some(cv) = &curve {
        cv.axes.clone()
    } else if args.vary.is_empty() {
        let declared = source.load_with(&c.settings())?.sweep;
        if declared.is_empty() {
            return Err(CliError::Input(format!(
                "{}: give the knobs with --vary PATH=VALUES, or declare them in the file: [sweep] vary = [\"stages.test.workers=1..4\"]",
                args.file.display()
            )));
        }
        declared
    } else {
        args.vary.clone()
    };
    let grid = Grid { axes };
    let points = grid.len();
    if points > MAX_POINTS {
        return Err(CliError::Input(format!(
            "the grid has {} points, more than {MAX_POINTS} even sharded; vary fewer values",
            if points == u64::MAX {
                "too many".to_string()
            } else {
                points.to_string()
            }
        )));
    }
    if points > CONFIRM_ABOVE && !args.yes {
        return Err(CliError::Input(format!(
            "the grid has {points} points (more than {CONFIRM_ABOVE}); add --yes to run it (with --shard K/N each machine runs its share)"
        )));
    }
    axes_apart(&args.file, &grid, c, args.policy.is_some())?;
    let shard = if args.shard_from_env {
        Shard::from_env(|k| std::env::var(k).ok(), args.shard_count).map_err(CliError::Input)?
    } else {
        args.shard.unwrap_or(Shard::ALL)
    };
    if let Some(out) = &c.out {
        check_parent(out)?;
        output::check_writable(out, c.force)?;
    }
    args.chart.check(c.force)?;
    distinct_outputs(c.out.as_ref(), args.chart.chart.as_ref())?;
    if grid.axes.len() > 2 && args.chart.chart.is_some() {
        return Err(CliError::Input(format!(
            "--chart shows one or two knobs; this sweep varies {}",
            grid.axes.len()
        )));
    }
    let overrides = Overrides {
        policy: args.policy.clone(),
        ..c.overrides()
    };
    let load = |k: u64| -> Result<Scenario, CliError> {
        let mut sets = c.settings();
        sets.extend(grid.settings(k));
        let mut sc = source.load_with(&sets)?;
        sc.apply(&overrides)?;
        Ok(sc)
    };
    // Every point of this shard must read before any runs: a bad path or value fails now.
    // Walked, never collected: a grid may have a billion points.
    let mine = || shard.points(points);
    let mine_len = shard.len(points);
    if mine_len == 0 {
        // Harmless in a job array larger than the grid, but worth a word: this part is empty.
        note!(
            "warning: shard {} has no points: the grid has {points}, fewer than the {} shards; it writes an empty part",
            shard.index + 1,
            shard.count
        );
    }
    let mut warned = std::collections::BTreeSet::new();
    for k in mine() {
        let sc = load(k)?;
        sc.policy_named(&sc.policy)
            .ok_or_else(|| CliError::Input(format!("unknown policy `{}`", sc.policy)))?;
        for w in &sc.warnings {
            if warned.insert(w.clone()) {
                note!("warning: {w}");
            }
        }
    }
    let bytes = source.text().as_bytes();
    // What every point shares: the file, the fixed settings and the run settings.
    let run_settings = format!(
        "reps={:?} horizon={:?} warmup={:?} policy={:?} precision={:?} target={:?} max_reps={}",
        c.reps, c.horizon, c.warmup, args.policy, c.precision, c.target, c.max_reps
    );
    let fixed: Vec<&[u8]> = std::iter::once(bytes)
        .chain(c.sets.set.iter().map(|s| s.text.as_bytes()))
        .chain([run_settings.as_bytes()])
        .collect();
    let axes_text: Vec<String> = grid
        .axes
        .iter()
        .map(|a| format!("{}={}", a.name, serde_json::Value::from(a.values.clone())))
        .collect();
    let axes_bytes: Vec<&[u8]> = axes_text.iter().map(|t| t.as_bytes()).collect();
    let first = load(0)?;
    let precision = c.precision(&first)?;
    let tag = curve.as_ref().map(|cv| CurveTag {
        name: cv.name.to_string(),
        metric: cv.metric.clone(),
    });
    let id = SweepId {
        points,
        scenario_hash: fingerprint(&fixed),
        grid_hash: fingerprint(&axes_bytes),
        seed: first.seed,
        curve: tag.clone(),
    };
    if args.chart.metric.is_some() {
        // The chart's metric is checked against a record of one replication of the first
        // point (its metrics are named by the scenario, not the results), before the sweep.
        let policy = first
            .policy_named(&first.policy)
            .ok_or_else(|| CliError::Input(format!("unknown policy `{}`", first.policy)))?;
        // Key results too: their values are metrics a chart may show.
        let one = experiment::run_with_key_results(
            &first.stream,
            policy.as_ref(),
            &first.key_results,
            first.seed,
            1,
            |_| {},
        );
        let sample = Record::new(
            &id,
            0,
            parameters_of(&grid, 0),
            &first.name,
            &first.policy,
            1,
            &crate::report::PolicyResults::new(&first, &one),
        );
        args.chart
            .check_records(&[sample], tag.as_ref().map(|t| t.metric.as_str()))?;
    }
    let total_reps = first.replications.saturating_mul(mine_len);
    let bar = progress::bar(total_reps, c.quiet);
    let mut sink = Sink::open(c.out.as_ref())?;
    let mut kept = Vec::new();
    if matches!(c.format, Format::Csv) {
        sink.write(&csv_header(
            &grid.axes.iter().map(|a| a.name.clone()).collect::<Vec<_>>(),
        ))?;
    }
    let mut done = 0;
    for k in mine() {
        let sc = load(k)?;
        let policy = sc
            .policy_named(&sc.policy)
            .ok_or_else(|| CliError::Input(format!("unknown policy `{}`", sc.policy)))?;
        let attempt = |n: u64| {
            experiment::run_with_key_results(
                &sc.stream,
                policy.as_ref(),
                &sc.key_results,
                sc.seed,
                n,
                |m| bar.set_position(done + m),
            )
        };
        let summary = match &precision {
            None => attempt(sc.replications),
            Some(p) => {
                let (summary, reached) = until_precise(p, c.first_reps(), attempt, |s| vec![s]);
                if !reached.reached {
                    // The record keeps its replications; the cap is said here, point by point.
                    bar.suspend(|| {
                        note!(
                            "warning: point {k} ({}): {}",
                            grid.point(k)
                                .iter()
                                .map(|(name, v)| format!(
                                    "{name}={}",
                                    v.map_or("none".to_string(), scenario::set::show)
                                ))
                                .collect::<Vec<_>>()
                                .join(", "),
                            reached.statement()
                        )
                    });
                }
                summary
            }
        };
        done += summary.replications;
        within_limits(&sc, &sc.policy, &summary)?;
        let results = crate::report::PolicyResults::new(&sc, &summary);
        let record = Record::new(
            &id,
            k,
            parameters_of(&grid, k),
            &sc.name,
            &sc.policy,
            summary.replications,
            &results,
        );
        match c.format {
            Format::Jsonl => sink.write(&record.line())?,
            Format::Csv => sink.write(&csv_rows(&record))?,
            _ => {}
        }
        if matches!(c.format, Format::Table) || args.chart.chart.is_some() || curve.is_some() {
            // The table, the chart and the lesson read a few metrics of each point.
            let mut record = record;
            let also: Vec<&str> = [
                args.chart.metric.as_deref(),
                tag.as_ref().map(|t| t.metric.as_str()),
            ]
            .into_iter()
            .flatten()
            .collect();
            record.keep_metrics(&also);
            kept.push(record);
        }
    }
    bar.finish_and_clear();
    if matches!(c.format, Format::Table) {
        sink.write(&table(&kept))?;
    }
    sink.finish(c.out.as_ref(), c.force)?;
    if let Some(tag) = &tag {
        if mine_len == points {
            note!(
                "curve {}: {}",
                tag.name,
                crate::report::sweep::lesson(tag, &kept)
            );
        }
    }
    args.chart
        .draw(&kept, c.force, tag.as_ref().map(|t| t.metric.as_str()))
}

fn merge(args: MergeArgs) -> Result<(), CliError> {
    use crate::report::sweep::{csv_header, csv_rows, merge, table};
    if matches!(args.format, Format::Json) {
        return Err(CliError::Input(
            "merge writes --format table, csv or jsonl".into(),
        ));
    }
    if let Some(out) = &args.out {
        check_parent(out)?;
        output::check_writable(out, args.force)?;
    }
    args.chart.check(args.force)?;
    distinct_outputs(args.out.as_ref(), args.chart.chart.as_ref())?;
    let files = args
        .files
        .iter()
        .map(|f| {
            std::fs::read_to_string(f)
                .map(|t| (f.display().to_string(), t))
                .map_err(|e| CliError::Input(format!("cannot read {}: {e}", f.display())))
        })
        .collect::<Result<Vec<_>, _>>()?;
    // Each record keeps only what the table, the chart and the lesson read (the first is kept
    // whole, to name the metrics a chart could show); the lines stay in the files' text.
    let mut sample: Option<crate::report::sweep::Record> = None;
    let merged = merge(&files, |r| {
        let first = sample.get_or_insert_with(|| r.clone());
        let curve_metric = first.curve.as_ref().map(|c| c.metric.clone());
        let also: Vec<&str> = [args.chart.metric.as_deref(), curve_metric.as_deref()]
            .into_iter()
            .flatten()
            .collect();
        r.keep_metrics(&also);
    })
    .map_err(|e| CliError::Input(e.to_string()))?;
    // A ready-made curve: the lesson line and the chart's metric of the one-machine sweep.
    let curve = sample.as_ref().and_then(|r| r.curve.clone());
    let curve_metric = curve.as_ref().map(|t| t.metric.as_str());
    if args.chart.metric.is_some() {
        // An unknown metric is named against a whole record.
        args.chart.check_records(sample.as_slice(), curve_metric)?;
    }
    let (records, lines): (Vec<_>, Vec<_>) = merged.into_iter().unzip();
    args.chart.check_records(&records, curve_metric)?;
    let mut sink = Sink::open(args.out.as_ref())?;
    match args.format {
        Format::Jsonl => {
            for line in &lines {
                sink.write(line)?;
                sink.write("\n")?;
            }
        }
        Format::Csv => {
            let names: Vec<String> = records[0]
                .parameters
                .iter()
                .map(|p| p.name.clone())
                .collect();
            sink.write(&csv_header(&names))?;
            for line in &lines {
                // Read again whole, one point at a time: the CSV has every metric.
                let r: crate::report::sweep::Record = serde_json::from_str(line)
                    .map_err(|e| CliError::Runtime(anyhow::anyhow!("a merged record: {e}")))?;
                sink.write(&csv_rows(&r))?;
            }
        }
        _ => sink.write(&table(&records))?,
    }
    sink.finish(args.out.as_ref(), args.force)?;
    if let Some(tag) = &curve {
        note!(
            "curve {}: {}",
            tag.name,
            crate::report::sweep::lesson(tag, &records)
        );
    }
    args.chart.draw(&records, args.force, curve_metric)
}

/// A problem with the arguments as one of two files met it: `--set` applies to both, so the
/// message says which file it failed on (a file's own problems already name it).
fn in_file(file: &std::path::Path) -> impl Fn(ScenarioError) -> CliError + '_ {
    move |e| match e {
        ScenarioError::Arguments { .. } => CliError::Input(format!("{}: {e}", file.display())),
        other => CliError::Scenario(other),
    }
}

/// The checks `compare BEFORE AFTER` and `advise` (`what`) make before any work, and their
/// overrides: table, JSON or CSV only, no `--precision`, a writable `--out`.
fn paired_checks(c: &Common, what: &str, policy: Option<String>) -> Result<Overrides, CliError> {
    if matches!(c.format, Format::Jsonl) {
        return Err(CliError::Input(format!(
            "{what} writes --format table, json or csv (jsonl is for sweep and merge)"
        )));
    }
    if c.precision.is_some() {
        return Err(CliError::Input(format!(
            "--precision applies to run, compare of policies and sweep, not to {what}; give --reps"
        )));
    }
    if let Some(out) = &c.out {
        check_parent(out)?;
        output::check_writable(out, c.force)?;
    }
    Ok(Overrides {
        policy,
        ..c.overrides()
    })
}

/// `compare BEFORE AFTER`: the two scenarios on common random numbers, paired replication by
/// replication.
fn compare_files(args: CompareArgs) -> Result<(), CliError> {
    use crate::experiment::paired::{self, World};
    use crate::report::paired::{deltas, two_worlds_csv, two_worlds_table, TwoWorlds};
    let c = &args.common;
    let overrides = paired_checks(c, "compare of two files", args.policy.clone())?;
    if args.policies.is_some() || args.baseline.is_some() {
        return Err(CliError::Input(
            "compare BEFORE AFTER runs one policy in both worlds (--policy, or each file's own); \
             --policies and --baseline compare policies within one scenario"
                .into(),
        ));
    }
    if let Some(path) = &args.chart {
        check_chart_path(path, c.force)?;
    }
    distinct_outputs(c.out.as_ref(), args.chart.as_ref())?;
    let before = resolve(
        scenario::load_with(&args.files[0], &c.settings()).map_err(in_file(&args.files[0]))?,
        &overrides,
    )?;
    let mut after = resolve(
        scenario::load_with(&args.files[1], &c.settings()).map_err(in_file(&args.files[1]))?,
        &overrides,
    )?;
    // One seed and one number of replications for both: the pairs must share their dice.
    after.seed = before.seed;
    after.replications = before.replications;
    // Totals (items, value, effort) grow with the days simulated: two windows of different
    // lengths differ by that too, whatever the change.
    let window = |sc: &Scenario| (sc.stream.horizon, sc.stream.warmup);
    if window(&before) != window(&after) {
        note!(
            "warning: the two files simulate different windows ({} days, warm-up {}, against {} days, warm-up {}): totals such as items delivered and value realised differ by the length too; give both --horizon and --warmup to compare the change alone",
            before.stream.horizon,
            before.stream.warmup,
            after.stream.horizon,
            after.stream.warmup
        );
    }
    let policy = |sc: &Scenario| {
        sc.policy_named(&sc.policy)
            .ok_or_else(|| CliError::Input(format!("unknown policy `{}`", sc.policy)))
    };
    let (p0, p1) = (policy(&before)?, policy(&after)?);
    let worlds = [
        World {
            stream: &before.stream,
            policy: p0.as_ref(),
        },
        World {
            stream: &after.stream,
            policy: p1.as_ref(),
        },
    ];
    let bar = progress::bar(before.replications, c.quiet);
    let paired = paired::run(&worlds, 0, before.seed, before.replications, |d| {
        bar.set_position(d)
    });
    bar.finish_and_clear();
    within_limits(&before, &before.policy, &paired.summaries[0])?;
    within_limits(&after, &after.policy, &paired.summaries[1])?;
    let t = TwoWorlds {
        before: args.files[0].display().to_string(),
        after: args.files[1].display().to_string(),
        policies: [before.policy.clone(), after.policy.clone()],
        replications: before.replications,
        seed: before.seed,
        metrics: deltas(&paired, 0, 1),
    };
    let text = match c.format {
        Format::Json => {
            let mut s = serde_json::to_string_pretty(&t).expect("invariant: serializable");
            s.push('\n');
            s
        }
        Format::Csv => two_worlds_csv(&t),
        _ => two_worlds_table(&t),
    };
    emit(&text, c.out.as_ref(), c.force)?;
    if let Some(path) = &args.chart {
        chart::delta::save(&t, path, c.force).map_err(|e| match e {
            chart::ChartError::Write(e) => output::write_error(e),
            e => CliError::Runtime(e.into()),
        })?;
        note!("wrote {}", path.display());
    }
    Ok(())
}

/// `advise`: one more and one fewer worker in each stage, each against today's staffing on
/// common random numbers, ranked by value realised (or cycle time when no value is modelled).
fn advise(args: AdviseArgs) -> Result<(), CliError> {
    use crate::experiment::paired::{self, World};
    use crate::report::paired::{
        advice_table, idle_for_room, join_notes, rank, Advice, Move, Ranking,
    };
    let c = &args.common;
    let overrides = paired_checks(c, "advise", args.policy.clone())?;
    // Read once: every move is a setting on the same text.
    let source = scenario::Source::read(&args.file)?;
    let base = resolve(source.load_with(&c.settings())?, &overrides)?;
    let policy = base
        .policy_named(&base.policy)
        .ok_or_else(|| CliError::Input(format!("unknown policy `{}`", base.policy)))?;
    // A policy that starts everything ignores WIP limits: a move raises none, and says none.
    let honours_limits = policy.discipline() == crate::policy::Discipline::Limits;
    // The moves first, as settings: a move's scenario is loaded only when its group runs.
    let mut variants: Vec<(String, String, i32, Vec<Setting>)> = Vec::new();
    let names: Vec<String> = base.stream.stages.iter().map(|s| s.name.clone()).collect();
    for (i, st) in base.stream.stages.iter().enumerate() {
        // By name, marked as a name only: a stage named `*`, `1` or `a.b` is that stage.
        let segment = scenario::set::segment_for(&names, i);
        for change in [1i32, -1] {
            let workers = i64::from(st.workers) + i64::from(change);
            // A move a scenario cannot hold is not a move: below one worker, or above the most
            // a stage may have.
            if workers < 1 || workers > i64::from(scenario::bounds::WORKERS) {
                continue;
            }
            let mut sets = c.settings();
            sets.push(
                Setting::new(
                    &["stages".into(), segment.clone(), "workers".into()],
                    Some(serde_json::Value::from(workers)),
                )
                .given_by("advise's move"),
            );
            let sign = if change > 0 { "+1" } else { "-1" };
            let mut name = format!("{sign} {}", st.name);
            // A stage never has more items in service than its WIP limit: a worker beyond it
            // would have nothing to take, and the move would change nothing. Where the limit
            // matches today's workers, one more person comes with room for one more item. Where
            // it is already below them, a worker idles for want of room today: the limit, not
            // the headcount, holds the stage back (`idle_for_room`), and raising it is not one
            // more person's doing.
            if let Some(limit) = st
                .wip_limit
                .filter(|&l| honours_limits && change > 0 && i64::from(l) == i64::from(st.workers))
            {
                sets.push(
                    Setting::new(
                        &["stages".into(), segment.clone(), "wip_limit".into()],
                        Some(serde_json::Value::from(workers)),
                    )
                    .given_by("advise's move"),
                );
                name = format!("{name} (WIP limit {limit} → {workers})");
            }
            variants.push((name, st.name.clone(), change, sets));
        }
    }
    // Moves run in groups against today's staffing, each group's summaries dropped once its
    // moves are read: memory stays that of a group however many stages there are (each run
    // is deterministic, so every group pairs with the same baseline, bit for bit).
    const GROUP: usize = 16;
    let groups = variants.len().div_ceil(GROUP).max(1) as u64;
    let bar = progress::bar(base.replications.saturating_mul(groups), c.quiet);
    // Today's staffing, its results and how moves are ranked: from the first group (every
    // group's baseline is the same run).
    let mut today: Option<(crate::report::PolicyResults, Ranking)> = None;
    let mut moves: Vec<Move> = Vec::with_capacity(variants.len());
    for (g, group) in variants.chunks(GROUP).enumerate() {
        let scenarios = group
            .iter()
            .map(|v| {
                let mut sc = source.load_with(&v.3)?;
                sc.apply(&overrides)?;
                Ok(sc)
            })
            .collect::<Result<Vec<Scenario>, CliError>>()?;
        let mut worlds = vec![World {
            stream: &base.stream,
            policy: policy.as_ref(),
        }];
        worlds.extend(scenarios.iter().map(|sc| World {
            stream: &sc.stream,
            policy: policy.as_ref(),
        }));
        let done = g as u64 * base.replications;
        let paired = paired::run(&worlds, 0, base.seed, base.replications, |d| {
            bar.set_position(done + d)
        });
        for s in &paired.summaries {
            within_limits(&base, &base.policy, s)?;
        }
        let (_, ranking) = today.get_or_insert_with(|| {
            let results = crate::report::PolicyResults::new(&base, &paired.summaries[0]);
            // No item committed after the warm-up delivered: no cycle time to rank by.
            let timed = results.metrics.cycle_time.mean.is_some();
            let ranking = Ranking::choose(
                base.stream.has_value(),
                results.stability.steady_state,
                timed,
            );
            (results, ranking)
        });
        let ranking = *ranking;
        let steady_today = today
            .as_ref()
            .is_some_and(|(r, _)| r.stability.steady_state);
        moves.extend(
            group
                .iter()
                .enumerate()
                .map(|(i, (name, stage, change, _))| {
                    let breaks = steady_today
                        && crate::experiment::diagnosis::stability(
                            &paired.summaries[i + 1],
                            &scenarios[i].stream,
                        )
                        .verdict
                            == crate::experiment::diagnosis::Verdict::Unstable;
                    Move::new(
                        name.clone(),
                        stage,
                        *change,
                        &paired.deltas[i + 1],
                        ranking,
                        breaks,
                    )
                }),
        );
    }
    bar.finish_and_clear();
    let (results, ranking) =
        today.expect("invariant: every stage has a move (+1 below the bound, or -1 above one)");
    let statement = rank(&mut moves, ranking);
    let advice = Advice {
        scenario: base.name.clone(),
        policy: base.policy.clone(),
        replications: base.replications,
        seed: base.seed,
        ranked_by: ranking.metric(),
        constraint: results.bottleneck.as_ref().map(|b| b.statement.clone()),
        moves,
        statement,
        note: join_notes(
            ranking.note(results.metrics.cycle_time.mean.is_some()),
            idle_for_room(&base.stream, honours_limits),
        ),
    };
    let text = match c.format {
        Format::Json => {
            let mut s = serde_json::to_string_pretty(&advice).expect("invariant: serializable");
            s.push('\n');
            s
        }
        Format::Csv => {
            let opt = |x: Option<f64>| x.map(|v| v.to_string()).unwrap_or_default();
            let mut s = String::from("move,stage,change,value_realised_mean,value_realised_ci95,cycle_time_mean,cycle_time_ci95,throughput_mean,throughput_ci95,p_helps,p_helps_ci95_low,p_helps_ci95_high,helps,breaks_steady_state\n");
            for m in &advice.moves {
                // Names are the user's: quoted as CSV needs (a stage may be `build, test`).
                s.push_str(&format!(
                    "{},{},{},{},{},{},{},{},{},{},{},{},{},{}\n",
                    crate::report::csv_field(&m.name),
                    crate::report::csv_field(&m.stage),
                    m.change,
                    opt(m.value_realised.mean),
                    opt(m.value_realised.ci95),
                    opt(m.cycle_time.mean),
                    opt(m.cycle_time.ci95),
                    opt(m.throughput.mean),
                    opt(m.throughput.ci95),
                    m.p_helps,
                    m.p_helps_ci95_low,
                    m.p_helps_ci95_high,
                    m.helps,
                    m.breaks_steady_state
                ));
            }
            s
        }
        _ => advice_table(&advice),
    };
    emit(&text, c.out.as_ref(), c.force)
}

/// The policies a board replays by default: the first and the last of `compare` (for the
/// flagship, the feature factory and the outcome team).
fn board_policies(sc: &Scenario) -> Vec<String> {
    match sc.compare.as_slice() {
        [] => vec![sc.policy.clone()],
        [one] => vec![one.clone()],
        [first, .., last] => vec![first.clone(), last.clone()],
    }
}

/// The board page replaying replication 0 of `sc.compare`'s policies (already resolved).
fn board_page(sc: &Scenario) -> Result<String, CliError> {
    use crate::metrics::ReplicationResult;
    use crate::report::board::{html, replay, Lane};
    let policies = sc
        .compare
        .iter()
        .map(|name| {
            sc.policy_named(name)
                .ok_or_else(|| CliError::Input(format!("unknown policy `{name}`")))
        })
        .collect::<Result<Vec<_>, CliError>>()?;
    let bound = crate::report::board::bound(sc.compare.len());
    let mut runs: Vec<_> = policies
        .iter()
        .map(|p| flow::simulate_traced_bounded(&sc.stream, p.as_ref(), sc.seed, 0, bound))
        .collect();
    fn lanes<'a>(
        names: &'a [String],
        runs: &'a [(ReplicationResult, crate::metrics::Trace)],
    ) -> Vec<Lane<'a>> {
        names
            .iter()
            .zip(runs)
            .enumerate()
            .map(|(i, (name, (result, trace)))| {
                let c = chart::policy_color(name, i);
                Lane {
                    policy: name,
                    color: format!("#{:02x}{:02x}{:02x}", c.0, c.1, c.2),
                    result,
                    trace,
                }
            })
            .collect()
    }
    let until = replay(&lanes(&sc.compare, &runs), sc.stream.horizon).until;
    if until < sc.stream.horizon && !sc.stream.checkpoints.contains(&until) {
        // A page that stops before the horizon shows the value realised by its last day, so
        // that day must be a checkpoint: the run again with it added (checkpoints only
        // record, so the run is otherwise the same; tested in tests/integration/hardening.rs).
        let mut with = sc.clone();
        with.stream.checkpoints.push(until);
        with.stream.checkpoints.sort_by(f64::total_cmp);
        for (p, run) in policies.iter().zip(&mut runs) {
            run.0 = flow::simulate(&with.stream, p.as_ref(), sc.seed, 0);
        }
        return Ok(html(&with, &lanes(&sc.compare, &runs)));
    }
    Ok(html(sc, &lanes(&sc.compare, &runs)))
}

/// `board`: the animated board of replication 0, one lane per policy.
fn board(args: BoardArgs) -> Result<(), CliError> {
    check_parent(&args.out)?;
    output::check_writable(&args.out, args.force)?;
    let sc = scenario::load_with(&args.file, &args.sets.set)?;
    let names = args.policies.clone().unwrap_or_else(|| board_policies(&sc));
    let sc = resolve(
        sc,
        &Overrides {
            seed: args.seed,
            horizon: args.horizon,
            compare: Some(names),
            ..Default::default()
        },
    )?;
    let page = board_page(&sc)?;
    crate::report::write_atomically(&args.out, page.as_bytes(), args.force)
        .map_err(output::write_error)?;
    note!(
        "wrote {} ({} lane{}: {}); open it in a browser, space plays",
        args.out.display(),
        sc.compare.len(),
        if sc.compare.len() == 1 { "" } else { "s" },
        sc.compare.join(", ")
    );
    Ok(())
}

/// `scenarios`: the story library, or one story written out with `--export`.
fn scenarios(args: ScenariosArgs) -> Result<(), CliError> {
    let Some(name) = &args.export else {
        let mut o = String::from(
            "The story library (built in; run one with `valueflow demo --scenario NAME`, start from one with `valueflow scenarios --export NAME`):\n",
        );
        for s in library::STORIES {
            o.push_str(&format!(
                "\n{}  (scenarios/{})\n  question: {}\n  lesson:   {}\n  try:      {}\n",
                s.name,
                s.file,
                s.question(),
                s.lesson_in_brief(),
                s.try_line().unwrap_or_default()
            ));
        }
        return stdout(&o);
    };
    let story = library::story(name).ok_or_else(|| {
        CliError::Input(format!(
            "--export {name}: no such story; valid: {}",
            library::names()
        ))
    })?;
    let out = args
        .out
        .clone()
        .unwrap_or_else(|| PathBuf::from(format!("{name}.toml")));
    if out.as_os_str() == "-" {
        return stdout(story.text);
    }
    // The story is TOML, comments and all: under another name it would be misread.
    history::require_extension(&out, "toml", "scenarios --export writes a TOML scenario")?;
    check_parent(&out)?;
    output::check_writable(&out, args.force)?;
    crate::report::write_atomically(&out, story.text.as_bytes(), args.force)
        .map_err(output::write_error)?;
    note!(
        "wrote {} (story {name}); try: valueflow describe {}",
        out.display(),
        out.display()
    );
    Ok(())
}

/// The template `init` writes.
const TEMPLATE: &str = include_str!("../scenario/template.toml");

/// `init`: a commented template, never over an existing file.
fn init(file: &std::path::Path) -> Result<(), CliError> {
    if file.extension().and_then(|e| e.to_str()) != Some("toml") {
        return Err(CliError::Input(format!(
            "{}: init writes a TOML template; give a .toml name",
            file.display()
        )));
    }
    check_parent(file)?;
    if file.exists() {
        return Err(CliError::Input(format!(
            "{} already exists; init never replaces a file: give another name",
            file.display()
        )));
    }
    crate::report::write_atomically(file, TEMPLATE.as_bytes(), false)
        .map_err(output::write_error)?;
    note!(
        "wrote {}: a commented template; edit it, then `valueflow describe {}` and `valueflow compare {}`",
        file.display(),
        file.display(),
        file.display()
    );
    Ok(())
}
