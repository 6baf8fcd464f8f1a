//! The command line: clap definitions, resolving arguments against the scenario, and writing
//! outputs safely. Thin by design: every decision of substance lives in the library.
//!
//! Exit codes: 0 success; 1 the run failed (e.g. an output could not be written);
//! 2 bad input (a scenario or argument error, or an output file that would be overwritten).

mod output;

use crate::experiment;
use crate::report::{CompareReport, Csv, Exporter, Json, RunReport, Table};
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
    /// Run several policies on the same replications and rank them by value realised.
    Compare(CompareArgs),
    /// Check a scenario file and describe what it simulates (exit 0 if valid, 2 if not).
    Validate {
        /// The scenario file (.toml, .yaml, .yml or .json).
        file: PathBuf,
    },
}

#[derive(Debug, clap::Args)]
struct RunArgs {
    /// The scenario file (.toml, .yaml, .yml or .json).
    file: PathBuf,
    /// Replications to run (overrides `replications`).
    #[arg(long, value_name = "N")]
    reps: Option<u64>,
    /// Base random seed (overrides `seed`).
    #[arg(long)]
    seed: Option<u64>,
    /// Days simulated per replication (overrides `horizon`).
    #[arg(long, value_name = "DAYS")]
    horizon: Option<f64>,
    /// Days excluded from statistics at the start (overrides `warmup`).
    #[arg(long, value_name = "DAYS")]
    warmup: Option<f64>,
    /// Prioritisation policy (overrides `policy`).
    #[arg(long)]
    policy: Option<String>,
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

#[derive(Debug, clap::Args)]
struct CompareArgs {
    /// The scenario file (.toml, .yaml, .yml or .json).
    file: PathBuf,
    /// Policies to compare, comma-separated (default: the scenario's `compare` list, or
    /// fifo,feature-factory,cd3,outcome).
    #[arg(long, value_delimiter = ',', value_name = "LIST")]
    policies: Option<Vec<String>>,
    /// The policy the others are measured against (default: the first).
    #[arg(long)]
    baseline: Option<String>,
    /// Replications per policy (overrides `replications`).
    #[arg(long, value_name = "N")]
    reps: Option<u64>,
    /// Base random seed (overrides `seed`).
    #[arg(long)]
    seed: Option<u64>,
    /// Days simulated per replication (overrides `horizon`).
    #[arg(long, value_name = "DAYS")]
    horizon: Option<f64>,
    /// Days excluded from flow statistics at the start (overrides `warmup`).
    #[arg(long, value_name = "DAYS")]
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
}

#[derive(Clone, Copy, Debug, ValueEnum)]
enum Format {
    Table,
    Json,
    Csv,
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
    match cli.command {
        Command::Validate { file } => {
            let sc = scenario::load(&file)?;
            print!("{}", sc.describe());
            println!("{} is a valid scenario", file.display());
            Ok(())
        }
        Command::Run(args) => run(args),
        Command::Compare(args) => compare(args),
    }
}

fn exporter(format: Format) -> Box<dyn Exporter> {
    match format {
        Format::Table => Box::new(Table),
        Format::Json => Box::new(Json),
        Format::Csv => Box::new(Csv),
    }
}

fn emit(text: &str, out: Option<&PathBuf>, force: bool) -> Result<(), CliError> {
    match out {
        Some(out) => {
            output::write_atomically(out, text.as_bytes(), force)?;
            eprintln!("wrote {}", out.display());
        }
        None => print!("{text}"),
    }
    Ok(())
}

fn compare(args: CompareArgs) -> Result<(), CliError> {
    if let Some(out) = &args.out {
        output::check_writable(out, args.force)?;
    }
    let mut sc = scenario::load(&args.file)?;
    sc.apply(&Overrides {
        replications: args.reps,
        seed: args.seed,
        horizon: args.horizon,
        warmup: args.warmup,
        compare: args.policies.clone(),
        baseline: args.baseline.clone(),
        ..Default::default()
    })?;
    for w in &sc.warnings {
        eprintln!("warning: {w}");
    }
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
    let cmp = experiment::compare(
        &sc.stream,
        &policies,
        baseline,
        &sc.key_results,
        sc.seed,
        sc.replications,
        |_| {},
    );
    let report = CompareReport::new(&sc, &cmp);
    emit(
        &exporter(args.format).render_compare(&report),
        args.out.as_ref(),
        args.force,
    )
}

fn run(args: RunArgs) -> Result<(), CliError> {
    if let Some(out) = &args.out {
        output::check_writable(out, args.force)?;
    }
    let mut sc = scenario::load(&args.file)?;
    sc.apply(&Overrides {
        replications: args.reps,
        seed: args.seed,
        horizon: args.horizon,
        warmup: args.warmup,
        policy: args.policy.clone(),
        ..Default::default()
    })?;
    for w in &sc.warnings {
        eprintln!("warning: {w}");
    }
    let policy = sc
        .policy_named(&sc.policy)
        .ok_or_else(|| CliError::Input(format!("unknown policy `{}`", sc.policy)))?;
    let summary = experiment::run_with_key_results(
        &sc.stream,
        policy.as_ref(),
        &sc.key_results,
        sc.seed,
        sc.replications,
        |_| {},
    );
    let report = RunReport::new(&sc, &summary);
    emit(
        &exporter(args.format).render(&report),
        args.out.as_ref(),
        args.force,
    )
}
