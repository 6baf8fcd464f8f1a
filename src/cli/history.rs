//! The tracker-history commands: `history export`, `fit` and `forecast`. Each resolves its
//! arguments, reads its files (refusing any of [`history::MAX_BYTES`] or more before reading
//! it) and calls the library; errors in the input name the file, line and column and exit 2,
//! and nothing is written unless everything succeeded.

use super::{check_chart_path, check_parent, output, resolve, stdout, CliError, Format, Sets};
use crate::history::fit::{self as fitting};
use crate::history::mapping::{Mapping, Named, Origin};
use crate::history::{self, date, forecast as resampling, simulated, History};
use crate::model::flow;
use crate::report::chart;
use crate::report::forecast::{ForecastReport, MethodResult, Question};
use crate::scenario::{self, bounds, Overrides};
use serde_json::{Map, Value};
use std::path::{Path, PathBuf};

/// The most resampling trials: 10 million answers take 80 MB, and percentiles are stable to
/// well under a day long before that.
const MAX_TRIALS: u32 = 10_000_000;

#[derive(Debug, clap::Args)]
pub(super) struct ExportArgs {
    /// The scenario file (.toml, .yaml, .yml or .json).
    file: PathBuf,
    /// The CSV file to write.
    #[arg(long, value_name = "FILE")]
    out: PathBuf,
    /// The date of simulated day 0 (YYYY-MM-DD).
    #[arg(long, value_name = "DATE", default_value = "2026-01-01")]
    start: String,
    /// The policy the team follows (default: the scenario's `policy`).
    #[arg(long)]
    policy: Option<String>,
    /// Base random seed (overrides `seed`): replication 0 of it is exported.
    #[arg(long)]
    seed: Option<u64>,
    /// Replace --out if it exists.
    #[arg(long)]
    force: bool,
    #[command(flatten)]
    sets: Sets,
}

#[derive(Debug, clap::Args)]
pub(super) struct FitArgs {
    /// The history: a cycle-data CSV (`valueflow history export` writes one).
    file: PathBuf,
    /// The scenario file to write (.toml).
    #[arg(long, value_name = "FILE")]
    out: PathBuf,
    /// Replace --out if it exists.
    #[arg(long)]
    force: bool,
    /// A mapping file (TOML): `backlog = [...]`, `commitment`, `done`, and a `[kinds]` table of
    /// Type = kind. Flags override it.
    #[arg(long, value_name = "FILE")]
    mapping: Option<PathBuf>,
    /// The backlog columns, comma-separated: an item arrived on the first date among them
    /// (default: the first workflow column).
    #[arg(long = "backlog-columns", value_delimiter = ',', value_name = "LIST")]
    backlog_columns: Option<Vec<String>>,
    /// The commitment point: the stage column whose entry commits an item (default: the
    /// first stage).
    #[arg(long, value_name = "COLUMN")]
    commitment: Option<String>,
    /// The done column (default: the last workflow column).
    #[arg(long, value_name = "COLUMN")]
    done: Option<String>,
    /// The kind of a Type: TYPE=KIND (feature, defect, debt, risk). Repeatable.
    #[arg(long = "kind", value_name = "TYPE=KIND", value_parser = type_kind)]
    kinds: Vec<(String, String)>,
}

fn type_kind(s: &str) -> Result<(String, String), String> {
    match s.split_once('=') {
        Some((t, k)) if !t.trim().is_empty() => Ok((t.trim().to_string(), k.trim().to_string())),
        _ => Err("write TYPE=KIND, e.g. Bug=defect".into()),
    }
}

#[derive(Debug, clap::Args)]
#[command(group(clap::ArgGroup::new("question").required(true).args(["items", "backlog", "by"])))]
pub(super) struct ForecastArgs {
    /// A cycle-data history (.csv, or any file whose first line has ID, Name and Type) or a
    /// scenario (.toml, .yaml, .yml, .json).
    file: PathBuf,
    /// How long until this many more items are done?
    #[arg(long, value_name = "N")]
    items: Option<u64>,
    /// How long until the items of this cycle-data CSV that are not done (no date in its last
    /// workflow column) are done?
    #[arg(long, value_name = "FILE")]
    backlog: Option<PathBuf>,
    /// How many items will be done by this date (YYYY-MM-DD)?
    #[arg(long, value_name = "DATE")]
    by: Option<String>,
    /// With a history: also simulate this scenario, side by side with the resampling.
    #[arg(long, value_name = "FILE")]
    scenario: Option<PathBuf>,
    /// With a scenario alone: the first day of the forecast (YYYY-MM-DD), for dates in the
    /// answer; needed with --by.
    #[arg(long, value_name = "DATE")]
    from: Option<String>,
    /// Resample only the last DAYS days of the history (default: all of it).
    #[arg(long, value_name = "DAYS")]
    window: Option<u32>,
    /// Resampling trials (default 10,000).
    #[arg(long, value_name = "N")]
    trials: Option<u32>,
    /// Simulated replications, one trial each (default 1,000).
    #[arg(long, value_name = "N", value_parser = super::at_least_one)]
    reps: Option<u64>,
    /// Random seed (default: 1 for resampling, the scenario's `seed` for simulation).
    #[arg(long)]
    seed: Option<u64>,
    /// The policy the simulated team follows (default: the scenario's `policy`).
    #[arg(long)]
    policy: Option<String>,
    /// Output format: table, json or csv.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    format: Format,
    /// Also draw the histogram of the trials with the 50/70/85/95% answers (.png or .svg).
    #[arg(long, value_name = "FILE")]
    chart: Option<PathBuf>,
    /// Replace --chart if it exists.
    #[arg(long)]
    force: bool,
    #[command(flatten)]
    sets: Sets,
}

/// Reads a text input of the history commands, refusing it before reading if it is too big,
/// and reading at most [`history::MAX_BYTES`] of it (pipes have no size to check), as UTF-8.
fn read_text(path: &Path) -> Result<String, CliError> {
    let name = path.display().to_string();
    let meta = std::fs::metadata(path)
        .map_err(|e| CliError::Input(format!("{name}: cannot read: {e}")))?;
    history::check_size(&name, meta.len()).map_err(|e| CliError::Input(e.to_string()))?;
    let file = std::fs::File::open(path)
        .map_err(|e| CliError::Input(format!("{name}: cannot read: {e}")))?;
    history::read_limited(file, &name).map_err(|e| CliError::Input(e.to_string()))
}

/// Reads and parses a cycle-data CSV.
fn read_history(path: &Path) -> Result<History, CliError> {
    parse_history(&read_text(path)?, path)
}

/// Parses the text of the cycle-data CSV `path`.
fn parse_history(text: &str, path: &Path) -> Result<History, CliError> {
    history::read(text, &path.display().to_string()).map_err(|e| CliError::Input(e.to_string()))
}

/// Refuses an output path without the extension `ext` (any case), saying what `what` writes.
pub(super) fn require_extension(path: &Path, ext: &str, what: &str) -> Result<(), CliError> {
    let ok = path
        .extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| e.eq_ignore_ascii_case(ext));
    if ok {
        Ok(())
    } else {
        Err(CliError::Input(format!(
            "{}: {what}; give --out a .{ext} name",
            path.display()
        )))
    }
}

/// `history export`: replication 0 as cycle data.
pub(super) fn export(args: ExportArgs) -> Result<(), CliError> {
    require_extension(&args.out, "csv", "history export writes cycle data as CSV")?;
    let start = date::parse(&args.start).map_err(|m| CliError::Input(format!("--start: {m}")))?;
    check_parent(&args.out)?;
    output::check_writable(&args.out, args.force)?;
    let sc = resolve(
        scenario::load_with(&args.file, &args.sets.set)?,
        &Overrides {
            seed: args.seed,
            policy: args.policy.clone(),
            ..Default::default()
        },
    )?;
    history::check_start(&sc.stream, start).map_err(|e| CliError::Input(format!("--start {e}")))?;
    history::check_stage_names(&sc.stream)
        .map_err(|e| CliError::Input(format!("{}: {e}", args.file.display())))?;
    let policy = sc
        .policy_named(&sc.policy)
        .ok_or_else(|| CliError::Input(format!("unknown policy `{}`", sc.policy)))?;
    // A history `fit` and `forecast` could not read back (100 MB or more) is refused, and
    // the trace stops before it could hold one: each row has at least a comma per stage.
    let stages = sc.stream.stages.len();
    let most = (history::MAX_BYTES as usize / (30 + 2 * stages)).min(1_500_000);
    let bound = crate::metrics::TraceBound {
        items: most,
        // Moves for those rows through every stage, within about a gigabyte.
        steps: most.saturating_mul(4 * stages + 8).min(60_000_000),
    };
    let too_long = |what: String| {
        CliError::Input(format!(
            "{}: replication 0 is too long to export: {what}, and fit and forecast read less than {} MB; export a shorter run (--set horizon=DAYS)",
            args.file.display(),
            history::MAX_BYTES / 1_000_000
        ))
    };
    let (_, trace) = flow::simulate_traced_bounded(&sc.stream, policy.as_ref(), sc.seed, 0, bound);
    if let Some(day) = trace.cut {
        return Err(too_long(format!(
            "its history would have more than {most} rows (or its items more than {} moves) by day {day:.0}",
            bound.steps
        )));
    }
    let text = history::export(&sc.stream, &trace, start, "valueflow:");
    if text.len() as u64 >= history::MAX_BYTES {
        return Err(too_long(format!(
            "its history is {} MB",
            text.len() / 1_000_000
        )));
    }
    output::write_atomically(&args.out, text.as_bytes(), args.force)?;
    output::note(format_args!(
        "wrote {} ({} items, replication 0 of `{}` under {}, day 0 = {})",
        args.out.display(),
        trace.items.len(),
        sc.name,
        sc.policy,
        args.start
    ));
    Ok(())
}

/// `fit`: the scenario fitted to a history, written whole or not at all.
pub(super) fn fit(args: FitArgs) -> Result<(), CliError> {
    require_extension(&args.out, "toml", "fit writes a TOML scenario")?;
    check_parent(&args.out)?;
    output::check_writable(&args.out, args.force)?;
    let file = args.file.display().to_string();
    let history = read_history(&args.file)?;
    let from_file = match &args.mapping {
        Some(p) => Mapping::parse(&read_text(p)?, &p.display().to_string())
            .map_err(|e| CliError::Input(e.to_string()))?,
        None => Mapping::default(),
    };
    // The same type given two kinds: which did the user mean?
    for (i, (t, k)) in args.kinds.iter().enumerate() {
        // Types and kinds match as names do (see `history::name_key`).
        let same = history::same_name;
        if let Some((u, other)) = args.kinds[..i]
            .iter()
            .find(|(u, o)| same(u, t) && !same(o, k))
        {
            return Err(CliError::Input(format!(
                "--kind {t}={k} contradicts --kind {u}={other}: give each type one kind (types match ignoring case, spaces and Unicode normal form)"
            )));
        }
    }
    let flag = |name: &str, flag: &'static str| Named {
        name: name.to_string(),
        origin: Origin::Flag(flag),
    };
    let flags = Mapping {
        backlog: args
            .backlog_columns
            .as_ref()
            .map(|v| v.iter().map(|c| flag(c, "--backlog-columns")).collect()),
        commitment: args.commitment.as_deref().map(|c| flag(c, "--commitment")),
        done: args.done.as_deref().map(|c| flag(c, "--done")),
        kinds: args
            .kinds
            .iter()
            .map(|(t, k)| (flag(t, "--kind"), flag(k, "--kind")))
            .collect(),
    };
    let mut types: Vec<String> = history.items.iter().map(|i| i.kind.clone()).collect();
    types.sort();
    types.dedup();
    let workflow = from_file
        .overridden_by(flags)
        .resolve(&history.columns, &types, &file)
        .map_err(|e| CliError::Input(e.to_string()))?;
    let fitted =
        fitting::fit(&history, &workflow, &file).map_err(|e| CliError::Input(e.to_string()))?;
    let text = fitted.to_toml();
    // The file must be a scenario valueflow accepts; if not, that is a bug here, not bad input.
    scenario::parse(
        &text,
        scenario::Format::Toml,
        &args.out.display().to_string(),
    )
    .map_err(|e| {
        CliError::Runtime(anyhow::anyhow!(
            "the fitted scenario does not validate (a bug): {e}"
        ))
    })?;
    output::write_atomically(&args.out, text.as_bytes(), args.force)?;
    for t in &workflow.unused_types {
        output::note(format_args!(
            "warning: the mapping names Type `{t}`, which no item of {file} has"
        ));
    }
    for w in fitted.warnings() {
        output::note(format_args!("warning: {w}"));
    }
    output::note(format_args!(
        "wrote {}: workers are the observed peaks, an estimate to correct; try `valueflow describe {}` and `valueflow forecast {} --items 40`",
        args.out.display(),
        args.out.display(),
        args.out.display()
    ));
    stdout(&fitted.summary())
}

/// What the forecast's positional file is.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Input {
    /// A history, with its text when it was read to tell what it is: it is parsed from that
    /// text, since a pipe (`/dev/stdin`) cannot be read twice.
    History(Option<String>),
    Scenario,
}

/// A history by its `.csv` extension, a scenario by its own; otherwise a history if its
/// first line is a cycle-data header (ID, Name and Type among its fields).
fn input_kind(path: &Path) -> Result<Input, CliError> {
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase);
    if ext.as_deref() == Some("csv") {
        return Ok(Input::History(None));
    }
    if scenario::Format::of(path).is_some() {
        return Ok(Input::Scenario);
    }
    let text = read_text(path)?;
    // A byte-order mark (spreadsheet exports write one) is not part of the first field.
    let header: Vec<String> = text
        .trim_start_matches('\u{feff}')
        .lines()
        .next()
        .unwrap_or("")
        .split(',')
        .map(|f| f.trim().trim_matches('"').to_ascii_lowercase())
        .collect();
    if ["id", "name", "type"]
        .iter()
        .all(|c| header.iter().any(|h| h == c))
    {
        Ok(Input::History(Some(text)))
    } else {
        Err(CliError::Input(format!(
            "{}: not a history (a .csv, or a first line with ID, Name and Type) nor a scenario (.toml, .yaml, .yml, .json)",
            path.display()
        )))
    }
}

/// `forecast`: When or How many, by resampling a history, simulating a scenario, or both.
pub(super) fn forecast(args: ForecastArgs) -> Result<(), CliError> {
    if matches!(args.format, Format::Jsonl) {
        return Err(CliError::Input(
            "forecast writes --format table, json or csv".into(),
        ));
    }
    let trials = args.trials.unwrap_or(10_000);
    if !(1..=MAX_TRIALS).contains(&trials) {
        return Err(CliError::Input(format!(
            "--trials must be from 1 to {MAX_TRIALS} (got {trials})"
        )));
    }
    let reps = args.reps.unwrap_or(1000);
    if reps > bounds::REPLICATIONS {
        return Err(CliError::Input(format!(
            "--reps must be at most {} (got {reps})",
            bounds::REPLICATIONS
        )));
    }
    if args.window == Some(0) {
        return Err(CliError::Input(
            "--window must be at least 1 day: the days of history to resample".into(),
        ));
    }
    if args.items == Some(0) {
        return Err(CliError::Input(
            "--items must be at least 1: no time at all finishes 0 items".into(),
        ));
    }
    if let Some(c) = &args.chart {
        check_chart_path(c, args.force)?;
    }
    let input = input_kind(&args.file)?;
    let (history_file, history_text, scenario_file) = match input {
        Input::History(text) => (Some(&args.file), text, args.scenario.as_ref()),
        Input::Scenario => {
            if args.scenario.is_some() {
                return Err(CliError::Input(format!(
                    "--scenario goes with a history; {} is already a scenario",
                    args.file.display()
                )));
            }
            if args.window.is_some() {
                return Err(CliError::Input(
                    "--window resamples a history; give a history (.csv) to use it".into(),
                ));
            }
            (None, None, Some(&args.file))
        }
    };
    // A setting that would change nothing is refused: the user would think it did.
    if scenario_file.is_none() {
        let simulated = [
            ("--reps", args.reps.is_some()),
            ("--policy", args.policy.is_some()),
            ("--set", !args.sets.set.is_empty()),
        ];
        if let Some((flag, _)) = simulated.iter().find(|(_, given)| *given) {
            return Err(CliError::Input(format!(
                "{flag} sets up the simulated forecast; add --scenario FILE to simulate one beside the resampling of {}",
                args.file.display()
            )));
        }
    }
    if history_file.is_none() && args.trials.is_some() {
        return Err(CliError::Input(
            "--trials sets the resampling of a history; with a scenario alone, --reps sets the simulated trials".into(),
        ));
    }
    if history_file.is_some() && args.from.is_some() {
        return Err(CliError::Input(
            "--from is for a scenario alone: the forecast of a history starts the day after its last date".into(),
        ));
    }
    let items = match (&args.items, &args.backlog) {
        (Some(n), _) => Some(*n),
        (None, Some(b)) => {
            let backlog = read_history(b)?;
            let open = backlog
                .items
                .iter()
                .filter(|i| i.entered.last().copied().flatten().is_none())
                .count() as u64;
            if open == 0 {
                let done = backlog.columns.len().saturating_sub(1);
                return Err(CliError::Input(
                    backlog
                        .header_error(
                            &b.display().to_string(),
                            done,
                            format!(
                                "every item has a date in the last workflow column ({}): nothing left to forecast",
                                backlog.columns[done]
                            ),
                        )
                        .to_string(),
                ));
            }
            Some(open)
        }
        (None, None) => None,
    };
    let mut methods = Vec::new();
    let mut from = match &args.from {
        Some(f) => Some(date::parse(f).map_err(|m| CliError::Input(format!("--from: {m}")))?),
        None => None,
    };
    let mut throughput = None;
    if let Some(h) = history_file {
        let history = match history_text {
            Some(text) => parse_history(&text, h)?,
            None => read_history(h)?,
        };
        let name = h.display().to_string();
        let done = history.done_days();
        // The history runs to its last date of any kind (the day it was taken): the quiet
        // days since the last delivery are throughput too.
        let last = history.last_date();
        let t = last
            .and_then(|(until, _, _)| {
                resampling::Throughput::from_done(&done, args.window, until)
            })
            .ok_or_else(|| {
                let c = history.columns.len().saturating_sub(1);
                CliError::Input(
                    history
                        .header_error(
                            &name,
                            c,
                            format!(
                                "no item has a date in the last workflow column ({}): nothing to resample",
                                history.columns[c]
                            ),
                        )
                        .to_string(),
                )
            })?;
        // The forecast starts the day after the history: after 9999-12-31 no date can name it.
        if let Some((until, line, column)) = last.filter(|&(until, _, _)| until >= date::MAX_DAY) {
            return Err(CliError::Input(
                history::HistoryError {
                    file: name,
                    line,
                    column,
                    message: format!(
                        "the history runs to {}, the last day a date can name (four-digit years): the forecast would start the day after it, which no date can name",
                        date::format(until)
                    ),
                }
                .to_string(),
            ));
        }
        from = Some(t.last() + 1);
        throughput = Some((t, h.display().to_string()));
    }
    let question = match (items, &args.by) {
        (Some(items), _) => Question::When { items },
        (None, Some(by)) => {
            let until = date::parse(by).map_err(|m| CliError::Input(format!("--by: {m}")))?;
            let Some(first) = from else {
                return Err(CliError::Input(
                    "--by needs a first day: give --from DATE with a scenario alone".into(),
                ));
            };
            if until < first {
                return Err(CliError::Input(format!(
                    "--by {by} is before the forecast's first day, {}",
                    date::format(first)
                )));
            }
            let days = (until - first + 1) as u64;
            if days > resampling::MAX_DAYS {
                return Err(CliError::Input(format!(
                    "--by {by} is {days} days after {}; forecasts reach at most {} days",
                    date::format(first),
                    resampling::MAX_DAYS
                )));
            }
            Question::HowMany { days }
        }
        (None, None) => unreachable!("clap requires --items, --backlog or --by"),
    };
    if let Some((t, name)) = &throughput {
        let seed = args.seed.unwrap_or(1);
        let done = t.done();
        let answers = match question {
            Question::When { items } => resampling::when(t, items, trials, seed).map_err(|e| {
                CliError::Input(format!(
                    "{name}: resampling {} to {}: {e}",
                    date::format(t.first),
                    date::format(t.last())
                ))
            })?,
            Question::HowMany { days } => resampling::how_many(t, days, trials, seed),
        };
        let details = Map::from_iter([
            ("history".to_string(), Value::from(name.clone())),
            ("items_done".to_string(), Value::from(done)),
            ("window_first".to_string(), date::format(t.first).into()),
            ("window_last".to_string(), date::format(t.last()).into()),
            ("mean_per_day".to_string(), t.mean().into()),
            ("seed".to_string(), seed.into()),
        ]);
        methods.push(MethodResult {
            method: "resampling",
            description: format!(
                "the daily throughput of {name}: {done} items done from {} to {} ({} days, {:.2} a day); {trials} trials, seed {seed}",
                date::format(t.first),
                date::format(t.last()),
                t.daily.len(),
                t.mean(),
            ),
            details,
            trials: answers,
        });
    }
    if let Some(path) = scenario_file {
        let sc = resolve(
            scenario::load_with(path, &args.sets.set)?,
            &Overrides {
                seed: args.seed,
                policy: args.policy.clone(),
                ..Default::default()
            },
        )?;
        let policy = sc
            .policy_named(&sc.policy)
            .ok_or_else(|| CliError::Input(format!("unknown policy `{}`", sc.policy)))?;
        let run = match question {
            Question::When { items } => {
                simulated::when(&sc.stream, policy.as_ref(), sc.seed, reps, items)
            }
            Question::HowMany { days } => {
                simulated::how_many(&sc.stream, policy.as_ref(), sc.seed, reps, days)
            }
        };
        let trials = run.map_err(|e| CliError::Input(format!("{}: {e}", path.display())))?;
        let start = simulated::start(&sc.stream);
        let details = Map::from_iter([
            (
                "scenario".to_string(),
                Value::from(path.display().to_string()),
            ),
            ("name".to_string(), sc.name.clone().into()),
            ("policy".to_string(), sc.policy.clone().into()),
            ("replications".to_string(), reps.into()),
            ("seed".to_string(), sc.seed.into()),
            ("start_day".to_string(), start.into()),
        ]);
        methods.push(MethodResult {
            method: "simulation",
            description: format!(
                "{} (`{}`) under {}, {} replications, seed {}, counting deliveries from day {} (the end of its warm-up)",
                path.display(),
                sc.name,
                sc.policy,
                reps,
                sc.seed,
                start
            ),
            details,
            trials,
        });
    }
    let report = ForecastReport {
        question,
        from,
        methods,
    };
    let text = match args.format {
        Format::Json => report.json(),
        Format::Csv => report.csv(),
        _ => report.table(),
    };
    if let Some(c) = &args.chart {
        chart::forecast::save(&report, c, args.force).map_err(|e| match e {
            chart::ChartError::Write(e) => output::write_error(e),
            e => CliError::Runtime(e.into()),
        })?;
        output::note(format_args!("wrote {}", c.display()));
    }
    stdout(&text)
}
