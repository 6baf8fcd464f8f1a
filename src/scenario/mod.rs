//! The scenario file boundary: reading TOML, YAML or JSON, and validating it into a
//! [`Scenario`] whose [`ValueStream`] the rest of the program trusts.
//!
//! Parsing happens in two stages, as in BurntSushi's tools:
//! 1. `raw`: serde deserializes the file into types that mirror it, rejecting unknown keys,
//!    missing keys and wrong types (with the key path and the line from the parser).
//! 2. `validate`: every semantic rule is checked and *every* problem is reported at once, each
//!    with its key path, its line and column, and what would be valid.
//!
//! Only this module deserializes scenario files; model types are built by validation only.

mod locate;
mod raw;
mod validate;

use crate::model::ValueStream;
use std::fmt;
use std::path::{Path, PathBuf};

pub use validate::{DEFAULT_COMPARE, DEFAULT_REPLICATIONS};

use crate::experiment::okr::KeyResult;
use crate::policy::{Policy, RulePolicy};

/// A scenario file's format, chosen by its extension.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// `.toml` (the primary format).
    Toml,
    /// `.yaml` or `.yml`.
    Yaml,
    /// `.json`.
    Json,
}

impl Format {
    /// The format of `path` by its extension.
    pub fn of(path: &Path) -> Option<Format> {
        match path.extension()?.to_str()?.to_ascii_lowercase().as_str() {
            "toml" => Some(Format::Toml),
            "yaml" | "yml" => Some(Format::Yaml),
            "json" => Some(Format::Json),
            _ => None,
        }
    }
}

/// A validated scenario: a value stream plus how to run it.
#[derive(Clone, Debug)]
pub struct Scenario {
    /// Display name.
    pub name: String,
    /// Optional free text.
    pub description: Option<String>,
    /// The simulated world.
    pub stream: ValueStream,
    /// Replications to run.
    pub replications: u64,
    /// Base seed of all random streams.
    pub seed: u64,
    /// Name of the prioritisation policy `run` uses.
    pub policy: String,
    /// Names of the policies `compare` runs.
    pub compare: Vec<String>,
    /// The policy `compare` measures the others against.
    pub baseline: String,
    /// Policies the scenario defines from building blocks.
    pub custom_policies: Vec<RulePolicy>,
    /// Objectives, for grouping key results.
    pub objectives: Vec<Objective>,
    /// Key results, judged on every replication.
    pub key_results: Vec<KeyResult>,
    /// Warnings that do not stop a run (e.g. a stage loaded at or above capacity).
    pub warnings: Vec<String>,
}

/// An objective (key results point to it by name).
#[derive(Clone, Debug, PartialEq)]
pub struct Objective {
    /// Its name.
    pub name: String,
    /// The objective it contributes to, for cascaded OKRs.
    pub parent: Option<String>,
}

/// One thing wrong with a scenario file.
#[derive(Clone, Debug, PartialEq)]
pub struct Problem {
    /// The key path, e.g. `stages[1].workers` (empty for the whole document).
    pub key: String,
    /// 1-based line and column, where known.
    pub position: Option<(usize, usize)>,
    /// What is wrong and what would be valid.
    pub message: String,
}

/// Why a scenario could not be loaded. Every variant is fatal for the run; the CLI exits with
/// code 2.
#[derive(Debug, thiserror::Error)]
pub enum ScenarioError {
    /// The file could not be read.
    #[error("cannot read scenario file {file}: {source}")]
    Read {
        /// The file.
        file: PathBuf,
        /// The operating system's reason.
        source: std::io::Error,
    },
    /// The extension names no supported format.
    #[error("{file}: unknown scenario format; use a .toml, .yaml, .yml or .json file")]
    UnknownFormat {
        /// The file.
        file: PathBuf,
    },
    /// The file is empty or only whitespace/comments.
    #[error("{file}: the scenario file is empty; it needs at least `name`, `horizon`, `[[work]]` and `[[stages]]` (see docs/scenario.md)")]
    Empty {
        /// The file.
        file: PathBuf,
    },
    /// The file does not describe a valid scenario.
    #[error("{}", Invalid { file, problems })]
    Invalid {
        /// The file (or `<built-in>`).
        file: String,
        /// Every problem found.
        problems: Vec<Problem>,
    },
}

struct Invalid<'a> {
    file: &'a String,
    problems: &'a Vec<Problem>,
}

impl fmt::Display for Invalid<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = self.problems.len();
        write!(
            f,
            "{} is not a valid scenario ({n} problem{}):",
            self.file,
            if n == 1 { "" } else { "s" }
        )?;
        for p in self.problems {
            write!(f, "\n  {}", self.file)?;
            if let Some((line, col)) = p.position {
                write!(f, ":{line}:{col}")?;
            }
            if p.key.is_empty() {
                write!(f, ": {}", p.message)?;
            } else {
                write!(f, ": `{}`: {}", p.key, p.message)?;
            }
        }
        Ok(())
    }
}

/// Reads and validates the scenario file at `path`.
pub fn load(path: &Path) -> Result<Scenario, ScenarioError> {
    let format = Format::of(path).ok_or_else(|| ScenarioError::UnknownFormat {
        file: path.to_path_buf(),
    })?;
    let src = std::fs::read_to_string(path).map_err(|source| ScenarioError::Read {
        file: path.to_path_buf(),
        source,
    })?;
    if is_blank(&src, format) {
        return Err(ScenarioError::Empty {
            file: path.to_path_buf(),
        });
    }
    parse(&src, format, &path.display().to_string())
}

fn is_blank(src: &str, format: Format) -> bool {
    src.lines().all(|l| {
        let t = l.trim();
        t.is_empty() || (format != Format::Json && t.starts_with('#'))
    })
}

/// Parses and validates scenario text; `origin` names it in messages.
pub fn parse(src: &str, format: Format, origin: &str) -> Result<Scenario, ScenarioError> {
    let invalid = |problems| ScenarioError::Invalid {
        file: origin.to_string(),
        problems,
    };
    let raw = deserialize(src, format).map_err(|p| invalid(vec![p]))?;
    validate::validate(raw).map_err(|problems| {
        invalid(
            problems
                .into_iter()
                .map(|(key, message)| Problem {
                    position: locate::locate(src, format, &key).map(|at| locate::line_col(src, at)),
                    key,
                    message,
                })
                .collect(),
        )
    })
}

fn deserialize(src: &str, format: Format) -> Result<raw::RawScenario, Problem> {
    match format {
        Format::Toml => {
            let de = toml::de::Deserializer::parse(src).map_err(|e| toml_problem(src, &e, ""))?;
            serde_path_to_error::deserialize(de).map_err(|e| {
                let key = path_string(e.path());
                toml_problem(src, e.inner(), &key)
            })
        }
        Format::Json => {
            let mut de = serde_json::Deserializer::from_str(src);
            serde_path_to_error::deserialize(&mut de).map_err(|e| {
                let key = path_string(e.path());
                let inner = e.into_inner();
                let message = inner.to_string();
                let message = message
                    .rsplit_once(" at line ")
                    .map_or(message.clone(), |(m, _)| m.to_string());
                Problem {
                    key,
                    position: (inner.line() > 0).then(|| (inner.line(), inner.column())),
                    message: explain(&message),
                }
            })
        }
        Format::Yaml => {
            let mut key = String::new();
            serde_saphyr::with_deserializer_from_str(src, |de| {
                serde_path_to_error::deserialize(de).map_err(|e| {
                    key = path_string(e.path());
                    e.into_inner()
                })
            })
            .map_err(|e| {
                let position = e
                    .location()
                    .map(|l| (l.line() as usize, l.column() as usize));
                let message = e.to_string();
                let mut message = message.lines().next().unwrap_or_default().trim();
                // The position is reported apart; drop the library's own prefixes.
                message = message.strip_prefix("error: ").unwrap_or(message);
                if let Some((head, rest)) = message.split_once(": ") {
                    if head.starts_with("line ") && head.contains(" column ") {
                        message = rest;
                    }
                }
                let message = message.to_string();
                Problem {
                    key,
                    position,
                    message: explain(&message),
                }
            })
        }
    }
}

fn path_string(path: &serde_path_to_error::Path) -> String {
    let s = path.to_string();
    if s == "." {
        String::new()
    } else {
        s
    }
}

fn toml_problem(src: &str, e: &toml::de::Error, key: &str) -> Problem {
    Problem {
        key: key.to_string(),
        position: e.span().map(|s| locate::line_col(src, s.start)),
        message: explain(e.message().trim()),
    }
}

/// Adds the valid alternatives to serde's terse messages where it helps.
fn explain(message: &str) -> String {
    if message.starts_with("missing field") {
        format!("{message}: this key is required (see docs/scenario.md)")
    } else {
        message.to_string()
    }
}

/// Command-line overrides of a scenario's run settings.
#[derive(Clone, Debug, Default)]
pub struct Overrides {
    /// `--reps`.
    pub replications: Option<u64>,
    /// `--seed`.
    pub seed: Option<u64>,
    /// `--horizon`.
    pub horizon: Option<f64>,
    /// `--warmup`.
    pub warmup: Option<f64>,
    /// `--policy`.
    pub policy: Option<String>,
    /// `--policies` (for compare).
    pub compare: Option<Vec<String>>,
    /// `--baseline` (for compare).
    pub baseline: Option<String>,
}

impl Scenario {
    /// The policy called `name`: one the scenario defines, or a built-in.
    pub fn policy_named(&self, name: &str) -> Option<Box<dyn Policy>> {
        self.custom_policies
            .iter()
            .find(|p| p.name == name)
            .map(|p| Box::new(p.clone()) as Box<dyn Policy>)
            .or_else(|| crate::policy::by_name(name))
    }

    /// Every policy name this scenario can use.
    pub fn policy_names(&self) -> Vec<String> {
        crate::policy::NAMES
            .iter()
            .map(|s| s.to_string())
            .chain(self.custom_policies.iter().map(|p| p.name.clone()))
            .collect()
    }

    /// Applies command-line overrides, checking them as strictly as the file's own keys.
    pub fn apply(&mut self, o: &Overrides) -> Result<(), ScenarioError> {
        let mut problems = Vec::new();
        let mut fail = |key: &str, message: String| {
            problems.push(Problem {
                key: key.into(),
                position: None,
                message,
            })
        };
        if let Some(n) = o.replications {
            if !(1..=validate::bounds::REPLICATIONS).contains(&n) {
                fail(
                    "--reps",
                    format!(
                        "must be a whole number from 1 to {} (got {n})",
                        validate::bounds::REPLICATIONS
                    ),
                );
            }
            self.replications = n;
        }
        if let Some(s) = o.seed {
            self.seed = s;
        }
        if let Some(h) = o.horizon {
            if !(h.is_finite() && h > 0.0 && h <= validate::bounds::HORIZON) {
                fail(
                    "--horizon",
                    format!(
                        "must be a positive number of days, at most {} (got {h})",
                        validate::bounds::HORIZON
                    ),
                );
            }
            self.stream.horizon = h;
        }
        if let Some(w) = o.warmup {
            if !(w.is_finite() && w >= 0.0) {
                fail("--warmup", format!("must be zero or more days (got {w})"));
            }
            self.stream.warmup = w;
        }
        if self.stream.warmup >= self.stream.horizon {
            fail(
                if o.warmup.is_some() {
                    "--warmup"
                } else {
                    "--horizon"
                },
                format!(
                    "the warm-up ({} days) must be shorter than the horizon ({} days)",
                    self.stream.warmup, self.stream.horizon
                ),
            );
        }
        if o.horizon.is_some() {
            // Checkpoints follow the horizon; key results judged after it cannot be judged.
            let days: Vec<f64> = self.key_results.iter().filter_map(|k| k.day).collect();
            if let Some(late) = days.iter().find(|&&d| d > self.stream.horizon) {
                fail(
                    "--horizon",
                    format!(
                        "a key result is judged on day {late}, after the horizon ({} days)",
                        self.stream.horizon
                    ),
                );
            }
            self.stream.checkpoints = validate::checkpoints(self.stream.horizon, &days);
            for kr in &mut self.key_results {
                let d = kr
                    .day
                    .unwrap_or(self.stream.horizon)
                    .min(self.stream.horizon);
                kr.checkpoint = self
                    .stream
                    .checkpoints
                    .iter()
                    .position(|&t| t == d)
                    .unwrap_or(0);
            }
        }
        let names = self.policy_names();
        let known = |p: &str| names.iter().any(|n| n == p);
        if let Some(p) = &o.policy {
            if !known(p) {
                fail(
                    "--policy",
                    format!("unknown policy `{p}`; valid: {}", names.join(", ")),
                );
            }
            self.policy = p.clone();
        }
        if let Some(list) = &o.compare {
            for p in list.iter().filter(|p| !known(p)) {
                fail(
                    "--policies",
                    format!("unknown policy `{p}`; valid: {}", names.join(", ")),
                );
            }
            if list.is_empty() {
                fail("--policies", "needs at least one policy".into());
            }
            // A new list starts from its own first policy unless --baseline says otherwise.
            self.baseline = list.first().cloned().unwrap_or_default();
            self.compare = list.clone();
        }
        if let Some(b) = &o.baseline {
            if !self.compare.contains(b) {
                fail(
                    "--baseline",
                    format!(
                        "`{b}` is not among the compared policies: {}",
                        self.compare.join(", ")
                    ),
                );
            }
            self.baseline = b.clone();
        }
        if problems.is_empty() {
            if let Err((_, message)) = validate::check_load(&self.stream) {
                let key = if o.horizon.is_some() {
                    "--horizon"
                } else {
                    "--reps"
                };
                problems.push(Problem {
                    key: key.into(),
                    position: None,
                    message,
                });
            }
        }
        if problems.is_empty() {
            Ok(())
        } else {
            Err(ScenarioError::Invalid {
                file: "command line".into(),
                problems,
            })
        }
    }

    /// A plain-language description of what the scenario simulates.
    pub fn describe(&self) -> String {
        use std::fmt::Write;
        let vs = &self.stream;
        let mut o = String::new();
        let _ = writeln!(o, "{}", self.name);
        if let Some(d) = &self.description {
            let _ = writeln!(o, "{}", d.trim());
        }
        let _ = writeln!(
            o,
            "{} replications of {} days (first {} days warm-up), seed {}, policy {}",
            self.replications, vs.horizon, vs.warmup, self.seed, self.policy
        );
        let _ = writeln!(
            o,
            "commitment point: entering {} (cycle time and WIP count from there; before it, the backlog)",
            vs.stages[vs.commitment].name
        );
        let _ = writeln!(o, "work types:");
        for w in &vs.work_types {
            let arrivals = w
                .arrival_rate
                .map_or("no arrivals".into(), |r| format!("{r} arrivals/day"));
            let _ = writeln!(
                o,
                "  {:<18} {arrivals}, backlog {}, priority {}",
                w.name, w.backlog, w.priority
            );
        }
        let _ = writeln!(o, "stages (offered utilisation):");
        for (s, u) in vs.stages.iter().zip(vs.offered_utilization()) {
            let mut extra = String::new();
            if let Some(l) = s.wip_limit {
                let _ = write!(extra, ", WIP limit {l}");
            }
            if let Some(r) = &s.rework {
                let _ = write!(
                    extra,
                    ", rework to {} with p={}",
                    vs.stages[r.to].name, r.probability
                );
            }
            if let Some(e) = s.release_every {
                let _ = write!(extra, ", releases every {e} days");
            }
            let _ = writeln!(
                o,
                "  {:<18} {} worker(s), service {}{extra} ({:.0}%)",
                s.name,
                s.workers,
                s.service,
                u * 100.0
            );
        }
        let _ = writeln!(
            o,
            "(offered utilisation is an estimate before any run: arrival rates, plus slices of arriving epics and the defects they spawn, x mean size x expected visits with rework x mean service, per worker. It leaves out backlogs, debt drag, context switching and blocking by WIP limits, which make it an underestimate, and assumes every slice of every bet is built, an overestimate when a policy stops failed bets; after a run, the stability line says whether the work really grew.)"
        );
        for (s, u) in vs.stages.iter().zip(vs.offered_utilization()) {
            if u >= 1.0 {
                let _ = writeln!(
                    o,
                    "note: stage `{}` is offered {:.0}% of its capacity: if the estimate holds, more work arrives than it can finish and its queue grows for as long as the run lasts",
                    s.name,
                    u * 100.0
                );
            }
        }
        for w in &self.warnings {
            let _ = writeln!(o, "warning: {w}");
        }
        o
    }
}
