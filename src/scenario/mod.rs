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

pub mod library;
mod locate;
pub mod message;
mod raw;
pub mod set;
mod validate;

use crate::model::ValueStream;
use message::{Excerpt, Item, Style};
use std::ops::Range;
use std::path::{Path, PathBuf};

pub use validate::{bounds, DEFAULT_COMPARE, DEFAULT_REPLICATIONS};

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
    /// The sweep declared in the file (`[sweep] vary = [...]`), run by `valueflow sweep`
    /// when no `--vary` is given.
    pub sweep: Vec<crate::experiment::sweep::Axis>,
    /// The multiplier of every arrival rate (`load`, 1 unless the file or `--set` says).
    pub load: f64,
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
    /// 1-based line and column (in characters), where known.
    pub position: Option<(usize, usize)>,
    /// What is wrong and what would be valid.
    pub message: String,
    /// The source line at `position`, for showing with a caret.
    pub excerpt: Option<Box<Excerpt>>,
}

impl Problem {
    /// Problems as (key, message, where the key is written in `src`); lines and columns are
    /// counted in one pass over `src`, whatever the number of problems.
    fn located(src: &str, found: Vec<(String, String, Option<Range<usize>>)>) -> Vec<Problem> {
        let offsets: Vec<usize> = found
            .iter()
            .filter_map(|(_, _, at)| at.as_ref().map(|r| r.start))
            .collect();
        let mut positions = locate::positions(src, &offsets).into_iter();
        let lines = locate::Lines::new(src);
        found
            .into_iter()
            .map(|(key, message, at)| {
                let position = at.as_ref().and_then(|_| positions.next());
                let excerpt = at
                    .zip(position)
                    .map(|(at, pos)| Box::new(Excerpt::new(src, at, pos, lines.bounds(pos.0))));
                Problem {
                    key,
                    position,
                    message,
                    excerpt,
                }
            })
            .collect()
    }

    /// One problem with `key` written at byte range `at` of `src`, if known. A key missing
    /// from the whole document has no line of its own to show.
    fn at(src: &str, at: Option<Range<usize>>, key: String, message: String) -> Problem {
        let at = at.filter(|_| !(key.is_empty() && message.starts_with("missing field")));
        let mut one = Problem::located(src, vec![(key, message, at)]);
        one.remove(0)
    }

    /// A problem with a command-line argument (`--reps`).
    fn argument(key: &str, message: String) -> Problem {
        Problem {
            key: key.into(),
            position: None,
            message,
            excerpt: None,
        }
    }
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
    #[error("{}", self.render_body(Style::Compact, ""))]
    Invalid {
        /// The file (or `<built-in>`).
        file: String,
        /// Every problem found.
        problems: Vec<Problem>,
    },
    /// Command-line arguments that do not fit the scenario (`--policies`, `--reps`, ...).
    #[error("{}", self.render_body(Style::Compact, ""))]
    Arguments {
        /// Every problem found; each key is the argument.
        problems: Vec<Problem>,
    },
}

impl ScenarioError {
    /// The error as shown on standard error in `style`, each top-level line starting with
    /// `error: ` (see docs/errors.md).
    pub fn render(&self, style: Style) -> String {
        match self {
            ScenarioError::Invalid { .. } | ScenarioError::Arguments { .. } => {
                self.render_body(style, "error: ")
            }
            other => format!("error: {}", message::tidy(&other.to_string())),
        }
    }

    fn render_body(&self, style: Style, prefix: &str) -> String {
        let (file, problems) = match self {
            ScenarioError::Invalid { file, problems } => (Some(file.as_str()), problems),
            ScenarioError::Arguments { problems } => (None, problems),
            _ => return String::new(),
        };
        let items: Vec<Item<'_>> = problems
            .iter()
            .map(|p| Item {
                file,
                key: &p.key,
                position: p.position,
                message: &p.message,
                excerpt: p.excerpt.as_deref(),
            })
            .collect();
        let summary = file.map(|f| {
            let n = problems.len();
            format!(
                "{} is not a valid scenario ({n} problem{}):",
                message::tidy(f),
                if n == 1 { "" } else { "s" }
            )
        });
        message::render(summary.as_deref(), &items, style, prefix)
    }
}

/// Reads and validates the scenario file at `path`.
pub fn load(path: &Path) -> Result<Scenario, ScenarioError> {
    load_with(path, &[])
}

/// Reads the scenario file at `path`, applies `settings` (`--set`), and validates the result.
pub fn load_with(path: &Path, settings: &[set::Setting]) -> Result<Scenario, ScenarioError> {
    Source::read(path)?.load_with(settings)
}

/// A scenario file read once, for a command that loads it many times (a sweep's points,
/// advise's moves): every load sees the same text, even if the file changes meanwhile.
#[derive(Clone, Debug)]
pub struct Source {
    path: std::path::PathBuf,
    format: Format,
    text: String,
}

impl Source {
    /// Reads the scenario file at `path` (not yet validated).
    pub fn read(path: &Path) -> Result<Source, ScenarioError> {
        let (format, text) = read_source(path)?;
        if is_blank(&text, format) {
            return Err(ScenarioError::Empty {
                file: path.to_path_buf(),
            });
        }
        Ok(Source {
            path: path.to_path_buf(),
            format,
            text,
        })
    }

    /// The scenario with `settings` applied, validated, as [`load_with`] would read the file.
    pub fn load_with(&self, settings: &[set::Setting]) -> Result<Scenario, ScenarioError> {
        parse_with(
            &self.text,
            self.format,
            &self.path.display().to_string(),
            settings,
        )
    }

    /// The file's text, as read.
    pub fn text(&self) -> &str {
        &self.text
    }
}

/// The first key of `mine` that one of `theirs` also sets: the same key, or a table and a key
/// inside it (`stages[1].service` and `stages[1].service.median`: setting the table replaces
/// the key, so a point labelled by one would have run the other). Keys as [`keys_set`] names
/// them.
pub fn shared_key<'a>(mine: &'a [String], theirs: &[String]) -> Option<&'a String> {
    mine.iter()
        .find(|k| theirs.iter().any(|t| key_within(k, t) || key_within(t, k)))
}

/// True when key `inner` is key `outer` or a key inside it (`stages[1].service.median` within
/// `stages[1].service`): setting `outer` replaces `inner`.
pub fn key_within(inner: &str, outer: &str) -> bool {
    inner
        .strip_prefix(outer)
        .is_some_and(|rest| rest.is_empty() || rest.starts_with('.') || rest.starts_with('['))
}

/// The keys each of `settings` sets in the scenario at `path`, as validation names them
/// (`stages[1].workers`), one list per setting: two settings that name one key by different
/// paths (`stages.build.workers`, `stages.1.workers`, `stages.*.workers`) share a key here.
/// A setting that does not apply yields no keys (loading the scenario reports it).
pub fn keys_set(path: &Path, settings: &[set::Setting]) -> Result<Vec<Vec<String>>, ScenarioError> {
    let (format, src) = read_source(path)?;
    let Ok(mut doc) = document(&src, format) else {
        return Ok(vec![Vec::new(); settings.len()]);
    };
    Ok(settings
        .iter()
        .map(|s| set::apply(&mut doc, s).unwrap_or_default())
        .collect())
}

/// The keys of the problems validation finds in `src` with `settings` applied (none if it is
/// valid, or if it cannot be read that far).
fn problem_keys(src: &str, format: Format, settings: &[set::Setting]) -> Vec<String> {
    let Ok(mut doc) = document(src, format) else {
        return Vec::new();
    };
    for s in settings {
        if set::apply(&mut doc, s).is_err() {
            return Vec::new();
        }
    }
    match serde_path_to_error::deserialize::<_, raw::RawScenario>(doc) {
        Ok(raw) => validate::validate(raw)
            .err()
            .map(|found| found.into_iter().map(|(key, _)| key).collect())
            .unwrap_or_default(),
        Err(_) => Vec::new(),
    }
}

/// The scenario file's format (by its extension) and text.
fn read_source(path: &Path) -> Result<(Format, String), ScenarioError> {
    let format = Format::of(path).ok_or_else(|| ScenarioError::UnknownFormat {
        file: path.to_path_buf(),
    })?;
    let src = std::fs::read_to_string(path).map_err(|source| ScenarioError::Read {
        file: path.to_path_buf(),
        source,
    })?;
    Ok((format, src))
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
    let mut sc =
        validate::validate(raw).map_err(|problems| invalid(locate_all(src, format, problems)))?;
    let problems = declared_sweep_problems(src, format, &[], &sc);
    if !problems.is_empty() {
        return Err(invalid(problems));
    }
    for w in &mut sc.warnings {
        *w = message::tidy(w);
    }
    Ok(sc)
}

/// Validation problems as (key, message), located in `src`.
fn locate_all(src: &str, format: Format, problems: Vec<(String, String)>) -> Vec<Problem> {
    let locator = locate::Locator::new(src, format);
    let found = problems
        .into_iter()
        .map(|(key, message)| {
            let at = locator.locate(&key);
            (key, message, at)
        })
        .collect();
    Problem::located(src, found)
}

/// [`parse`] with `settings` (`--set`) applied to the document first. The file must read on
/// its own; a problem with a key a setting changed names the setting, the others are located
/// in the file as usual.
pub fn parse_with(
    src: &str,
    format: Format,
    origin: &str,
    settings: &[set::Setting],
) -> Result<Scenario, ScenarioError> {
    if settings.is_empty() {
        return parse(src, format, origin);
    }
    let invalid = |problems| ScenarioError::Invalid {
        file: origin.to_string(),
        problems,
    };
    deserialize(src, format).map_err(|p| invalid(vec![p]))?;
    // Problems with settings are the command line's, unless one of them is a point of the
    // sweep the file declares: then they are the file's, and the file is named.
    let arguments = |problems: Vec<Problem>| {
        if problems.iter().any(|p| p.key.starts_with("sweep.vary[")) {
            invalid(problems)
        } else {
            ScenarioError::Arguments { problems }
        }
    };
    // A problem with setting `s`: named by its argument (`--set ...`), or, for a point of the
    // file's own sweep, located at its `sweep.vary[i]` in the file.
    let problem_of = |s: &set::Setting, message: String| match s.declared_key() {
        Some(key) => {
            let at = locate::locate(src, format, &key);
            // The entry as written (`stages.build.workers=1,2`), not the point's setting.
            let item = document(src, format).ok().and_then(|doc| {
                declared_items(&doc)
                    .into_iter()
                    .nth(s.declared_index()?)
                    .flatten()
            });
            let text = item.as_deref().unwrap_or(&s.text);
            Problem::at(src, at, key, format!("`{text}`: {message}"))
        }
        // A point of a `--vary` axis: the axis as written, like the file's entry above.
        None => Problem::argument(&s.quoted(), message),
    };
    let mut doc =
        document(src, format).map_err(|m| arguments(vec![Problem::argument("--set", m)]))?;
    let mut changed: Vec<(String, &set::Setting)> = Vec::new();
    let mut problems = Vec::new();
    for s in settings {
        match set::apply(&mut doc, s) {
            Ok(keys) => changed.extend(keys.into_iter().map(|key| (key, s))),
            Err(m) => problems.push(problem_of(s, m)),
        }
    }
    // The last setting of a key wins, as in the file's own order of reading.
    let last_setting =
        |hit: &dyn Fn(&str) -> bool| changed.iter().rev().find(|(k, _)| hit(k)).map(|(_, s)| *s);
    let setting_of = |key: &str| last_setting(&|k| set::covers(k, key));
    // A setting inside a key a problem is reported at (removing `rework.to` leaves `rework`
    // without its `to`): the setting is a likely cause, named alongside.
    let setting_inside = |key: &str| last_setting(&|k| set::covers(key, k));
    let every_setting = || {
        settings
            .iter()
            .map(set::Setting::label)
            .collect::<Vec<_>>()
            .join(", ")
    };
    let raw: raw::RawScenario = serde_path_to_error::deserialize(doc).map_err(|e| {
        let key = path_string(e.path());
        let message = explain(&e.into_inner().to_string(), Format::Json, None);
        let message = if key.is_empty() {
            message
        } else {
            format!("{key}: {message}")
        };
        // The file alone reads (checked above), so a setting made it unreadable.
        problems.push(match setting_of(&key).or_else(|| setting_inside(&key)) {
            Some(s) => problem_of(s, message),
            None => Problem::argument(&every_setting(), message),
        });
        arguments(std::mem::take(&mut problems))
    })?;
    let mut sc = validate::validate(raw).map_err(|found| {
        let (set_by_args, in_file): (Vec<_>, Vec<_>) = found
            .into_iter()
            .partition(|(key, _)| setting_of(key).is_some());
        // Run flags (`--horizon`) reach other keys (a key result's day, the events over the
        // horizon): a problem that is not there without them is named with them.
        let flags: Vec<String> = settings
            .iter()
            .filter(|s| s.is_run_flag())
            .map(set::Setting::label)
            .collect();
        let rest: Vec<set::Setting> = settings
            .iter()
            .filter(|s| !s.is_run_flag())
            .cloned()
            .collect();
        let without_flags = (!flags.is_empty()).then(|| problem_keys(src, format, &rest));
        // Settings reach other keys too (a sweep's `horizon` axis, a key result's day): a
        // problem the file alone does not have is named with them.
        let file_alone = (!rest.is_empty()).then(|| problem_keys(src, format, &[]));
        // The settings that cause a problem on their own; all of them if none does alone.
        let causes = |key: &str| -> String {
            let alone: Vec<String> = rest
                .iter()
                .filter(|s| {
                    problem_keys(src, format, std::slice::from_ref(*s))
                        .iter()
                        .any(|k| k == key)
                })
                .map(set::Setting::label)
                .collect();
            if alone.is_empty() {
                rest.iter()
                    .map(set::Setting::label)
                    .collect::<Vec<_>>()
                    .join(", ")
            } else {
                alone.join(", ")
            }
        };
        let in_file = in_file
            .into_iter()
            .map(|(key, message)| match setting_inside(&key) {
                Some(s) => (key, format!("{message} (with {})", s.label())),
                None if without_flags.as_ref().is_some_and(|w| !w.contains(&key)) => {
                    (key, format!("{message} (with {})", flags.join(", ")))
                }
                None if file_alone.as_ref().is_some_and(|w| !w.contains(&key)) => {
                    let with = causes(&key);
                    (key, format!("{message} (with {with})"))
                }
                None => (key, message),
            })
            .collect();
        problems.extend(locate_all(src, format, in_file));
        for (key, message) in set_by_args {
            let s = setting_of(&key).expect("invariant: partitioned on this");
            problems.push(problem_of(s, format!("{key}: {message}")));
        }
        invalid(std::mem::take(&mut problems))
    })?;
    if !problems.is_empty() {
        return Err(arguments(problems));
    }
    // A sweep a setting gave is the setting's: its points are named by it, not located in
    // the file.
    if settings
        .iter()
        .any(|s| s.path.first().is_some_and(|p| p == "sweep"))
    {
        for axis in &mut sc.sweep {
            *axis = axis.clone().given_by("--set sweep.vary");
        }
    }
    // The file's own sweep, as it would run with these settings; not again at each of the
    // points a command derives (a sweep's, advise's moves).
    if settings.iter().all(set::Setting::is_given) {
        let problems = declared_sweep_problems(src, format, settings, &sc);
        if !problems.is_empty() {
            return Err(invalid(problems));
        }
    }
    for w in &mut sc.warnings {
        *w = message::tidy(w);
    }
    Ok(sc)
}

/// Problems with the sweep the file declares (`[sweep] vary`), each located at its
/// `sweep.vary[i]`, on the valid scenario `sc` read from `src` with `settings`: an axis whose
/// path names no key or whose key does not take a value of its kind (one value of each kind
/// read, with the other keys as the file and `settings` have them), two axes that set one key,
/// and an axis on the seed. `valueflow sweep` would refuse each before any work; the file is
/// wrong, so every command that reads it says so. A value's bounds and its fit with the other
/// keys are judged at each point, by `sweep`, where every axis has its value.
fn declared_sweep_problems(
    src: &str,
    format: Format,
    settings: &[set::Setting],
    sc: &Scenario,
) -> Vec<Problem> {
    if sc.sweep.is_empty() {
        return Vec::new();
    }
    // A sweep a setting gave (`--set 'sweep.vary=[...]'`) is not the file's to answer for:
    // `sweep` judges it at its points, named by the setting.
    if settings
        .iter()
        .any(|s| s.path.first().is_some_and(|p| p == "sweep"))
    {
        return Vec::new();
    }
    let Ok(mut doc) = document(src, format) else {
        return Vec::new();
    };
    for s in settings {
        if set::apply(&mut doc, s).is_err() {
            return Vec::new();
        }
    }
    // Each entry as written, for messages to quote whole (not one value's setting).
    let items = declared_items(&doc);
    // Read already (`sc.sweep`); reading it again at every value would cost the square of
    // its length.
    if let Some(map) = doc.as_object_mut() {
        map.remove("sweep");
    }
    // Why the scenario does not take `setting`, if it does not.
    let refused = |setting: &set::Setting, keys: &mut Option<Vec<String>>| -> Option<String> {
        let mut point = doc.clone();
        match set::apply(&mut point, setting) {
            Err(m) => return Some(m),
            Ok(k) => {
                keys.get_or_insert(k);
            }
        }
        let raw: raw::RawScenario = match serde_path_to_error::deserialize(point) {
            Ok(raw) => raw,
            Err(e) => {
                let key = path_string(e.path());
                let message = explain(&e.into_inner().to_string(), Format::Json, None);
                return Some(if key.is_empty() {
                    message
                } else {
                    format!("{key}: {message}")
                });
            }
        };
        // Only whether the key exists and takes a value of this kind: a value's bounds and
        // how it sits with the other keys are judged at each point of the grid, where the
        // other axes have their values too (`sweep` does, located here as well).
        drop(raw);
        None
    };
    // One value of each kind per axis is enough for that: a sweep of thousands of numbers
    // costs a few readings of the file, not thousands.
    let kind = |v: &Option<serde_json::Value>| -> String {
        use serde_json::Value;
        match v {
            None | Some(Value::Null) => "none".into(),
            Some(Value::Bool(_)) => "bool".into(),
            Some(Value::Number(n)) if n.is_u64() => "whole".into(),
            Some(Value::Number(n)) if n.is_i64() => "negative".into(),
            Some(Value::Number(_)) => "number".into(),
            // A word may name something (a policy, a distribution): each is tried.
            Some(Value::String(w)) => format!("text {w}"),
            Some(Value::Array(_)) => "list".into(),
            Some(Value::Object(_)) => "table".into(),
        }
    };
    let mut found = Vec::new();
    let mut keys_of: Vec<(String, Vec<String>)> = Vec::new();
    for (i, axis) in sc.sweep.iter().enumerate() {
        let index = axis.declared().unwrap_or(i);
        let key = format!("sweep.vary[{index}]");
        let mut keys = None;
        let mut tried = std::collections::HashSet::new();
        let bad = axis.values.iter().find_map(|v| {
            if !tried.insert(kind(v)) {
                return None;
            }
            let s = axis.setting(v.clone());
            let text = items
                .get(index)
                .cloned()
                .flatten()
                .unwrap_or_else(|| s.text.clone());
            refused(&s, &mut keys).map(|m| format!("`{text}`: {m}"))
        });
        if let Some(message) = bad {
            found.push((key, message));
            continue;
        }
        let keys = keys.unwrap_or_default();
        if keys.iter().any(|k| k == "seed") {
            found.push((
                key,
                format!(
                    "`{}`: every point of a sweep runs on one seed (common random numbers), so that points differ by the knob, not the dice; vary another key, and for more of the dice raise `replications`",
                    axis.name
                ),
            ));
            continue;
        }
        if let Some((other, k)) = keys_of
            .iter()
            .find_map(|(other, theirs)| shared_key(&keys, theirs).map(|k| (other, k)))
        {
            found.push((
                key.clone(),
                format!(
                    "`{}` sets `{k}`, as `{other}` does; vary each key on one axis",
                    axis.name
                ),
            ));
        }
        keys_of.push((key, keys));
    }
    locate_all(src, format, found)
}

/// The entries of the file's `[sweep] vary` as written, in order (`None` for one that is not
/// text).
fn declared_items(doc: &serde_json::Value) -> Vec<Option<String>> {
    doc.pointer("/sweep/vary")
        .and_then(serde_json::Value::as_array)
        .map(|items| items.iter().map(|v| v.as_str().map(String::from)).collect())
        .unwrap_or_default()
}

/// The file as a format-neutral document, for settings to change.
fn document(src: &str, format: Format) -> Result<serde_json::Value, String> {
    let doc = match format {
        Format::Toml => toml::from_str::<toml::Table>(src)
            .map_err(|e| e.to_string())
            .and_then(|t| serde_json::to_value(t).map_err(|e| e.to_string())),
        Format::Json => serde_json::from_str(src).map_err(|e| e.to_string()),
        Format::Yaml => serde_saphyr::from_str::<serde_json::Value>(src).map_err(|e| e.to_string()),
    };
    doc.map_err(|e| format!("the scenario cannot be changed by --set: {e} (values such as nan or inf cannot be carried)"))
}

fn deserialize(src: &str, format: Format) -> Result<raw::RawScenario, Problem> {
    match format {
        Format::Toml => {
            let de = toml::de::Deserializer::parse(src)
                .map_err(|e| toml_problem(src, &e, String::new()))?;
            serde_path_to_error::deserialize(de).map_err(|e| {
                let key = path_string(e.path());
                toml_problem(src, e.inner(), key)
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
                // serde_json counts columns in bytes and points past the value: point at the
                // key where the document is well-formed, else at serde_json's position.
                let at = (inner.classify() == serde_json::error::Category::Data)
                    .then(|| locate::locate_value(src, format, &key))
                    .flatten()
                    .or_else(|| {
                        (inner.line() > 0).then(|| {
                            let line_start = locate::offset_of(src, inner.line(), 1);
                            let at = (line_start + inner.column().saturating_sub(1)).min(src.len());
                            let at = locate::floor_char_boundary(src, at);
                            at..at
                        })
                    });
                Problem::at(src, at, key, explain(&message, format, None))
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
                let at = e.location().map(|l| locate::saphyr_range(src, &l));
                let message = e.to_string();
                let mut message = message.lines().next().unwrap_or_default().trim();
                // The position is reported apart; drop the library's own prefixes.
                message = message.strip_prefix("error: ").unwrap_or(message);
                if let Some((head, rest)) = message.split_once(": ") {
                    if head.starts_with("line ") && head.contains(" column ") {
                        message = rest;
                    }
                }
                let written = at.clone().map(|r| &src[r]);
                let message = explain(message, format, written);
                // An item of a list that is itself a list or a mapping is marked whole, as in
                // TOML and JSON, not by its first character.
                let at = at.map(|at| {
                    let locator = locate::Locator::new(src, format);
                    match (locator.locate(&key), locator.locate_value(&key)) {
                        (Some(item), Some(whole)) if item.start == at.start => whole,
                        _ => at,
                    }
                });
                Problem::at(src, at, key, message)
            })
        }
    }
}

/// The key path serde reached, without the `?` it writes for a key it had not read yet.
fn path_string(path: &serde_path_to_error::Path) -> String {
    let s = path.to_string();
    let mut s = s.as_str();
    while let Some(rest) = s.strip_suffix('?') {
        s = rest.strip_suffix('.').unwrap_or(rest);
    }
    if s == "." {
        String::new()
    } else {
        s.to_string()
    }
}

fn toml_problem(src: &str, e: &toml::de::Error, key: String) -> Problem {
    let message = explain(e.message().trim(), Format::Toml, None);
    Problem::at(src, e.span(), key, message)
}

/// Rewords serde's terse messages in the file's terms and adds what would be valid;
/// `written` is the offending text, where the parser says where it is.
fn explain(message: &str, format: Format, written: Option<&str>) -> String {
    if message.starts_with("missing field") {
        return format!("{message}: this key is required (see docs/scenario.md)");
    }
    if let Some(rest) = message.strip_prefix("unknown field ") {
        let Some((field, expected)) = rest.split_once(", expected ") else {
            return message.to_string();
        };
        let choices: Vec<&str> = expected
            .trim_start_matches("one of ")
            .split(", ")
            .map(|c| c.trim_matches('`'))
            .collect();
        let mut out = message.to_string();
        if let Some(best) = message::suggest(field.trim_matches('`'), &choices) {
            out.push_str(&format!("; did you mean `{best}`?"));
        }
        return out;
    }
    // serde-saphyr names its own option for a key written twice; a scenario has no options.
    if let Some(rest) = message.strip_prefix("duplicate mapping key") {
        return match rest
            .strip_prefix(": ")
            .and_then(|r| r.split(", set DuplicateKeyPolicy").next())
        {
            Some(key) => format!("`{key}` is given twice in the same mapping; keep one"),
            None => "a key is given twice in the same mapping; keep one".into(),
        };
    }
    // serde-saphyr, for a list or mapping where one value belongs.
    if message == "expected string scalar" || message == "expected scalar" {
        return "must be a single value (a number, text or true/false), not a list or mapping"
            .into();
    }
    // serde-saphyr: `invalid i64` for `workers: 2.5`.
    if let (Some(ty), Some(written)) = (message.strip_prefix("invalid "), written) {
        if !ty.contains(' ') || ty == "floating point" {
            let got = message::shorten(written.trim(), message::QUOTE_MAX);
            return out_of_range(ty, &got).unwrap_or_else(|| {
                format!("must be {} (got {got})", expected_in_words(ty, format))
            });
        }
    }
    for prefix in ["invalid type: ", "invalid value: "] {
        if let Some((got, expected)) = message
            .strip_prefix(prefix)
            .and_then(|rest| rest.rsplit_once(", expected "))
        {
            let got = got_in_words(got, format);
            return out_of_range(expected, &got).unwrap_or_else(|| {
                format!(
                    "must be {} (got {got})",
                    expected_in_words(expected, format)
                )
            });
        }
    }
    message.to_string()
}

/// For a whole number `got` past the range of serde's integer type `expected` (`u64`): that
/// it is too large (or too small), with the range where the type's range is the key's own
/// (an unsigned key, such as `seed`). `None` for anything else.
fn out_of_range(expected: &str, got: &str) -> Option<String> {
    let (min, max): (i128, u128) = match expected {
        "u8" => (0, u8::MAX.into()),
        "u16" => (0, u16::MAX.into()),
        "u32" => (0, u32::MAX.into()),
        "u64" | "usize" => (0, u64::MAX.into()),
        "i8" => (i8::MIN.into(), i8::MAX as u128),
        "i16" => (i16::MIN.into(), i16::MAX as u128),
        "i32" => (i32::MIN.into(), i32::MAX as u128),
        "i64" | "isize" => (i64::MIN.into(), i64::MAX as u128),
        _ => return None,
    };
    // The number as written, or the whole float (exact in an i128, saturating past it).
    let n = match got.parse::<i128>() {
        Ok(n) => n,
        Err(_) => got.parse::<f64>().ok().filter(|x| x.fract() == 0.0)? as i128,
    };
    let (large, small) = (n > 0 && n as u128 > max, n < min);
    if large && min == 0 {
        Some(format!(
            "must be a whole number from 0 to {max} (got {got}, too large)"
        ))
    } else if large || (small && min < 0) {
        let which = if large { "large" } else { "small" };
        Some(format!(
            "must be a whole number from {min} to {max} (got {got}, too {which})"
        ))
    } else {
        None
    }
}

/// serde's name of an expected type, in the words of docs/scenario.md.
fn expected_in_words(expected: &str, format: Format) -> String {
    match expected {
        "i8" | "i16" | "i32" | "i64" | "i128" | "isize" => "a whole number".into(),
        "u8" | "u16" | "u32" | "u64" | "u128" | "usize" => "a whole number, 0 or more".into(),
        "f32" | "f64" | "floating point" => "a number".into(),
        "boolean" => "true or false".into(),
        "a sequence" => "a list".into(),
        "a map" => table_word(format).into(),
        e if e.starts_with("struct ") => table_word(format).into(),
        e => e.to_string(),
    }
}

/// serde's description of an unexpected value, in plain words.
fn got_in_words(got: &str, format: Format) -> String {
    for prefix in ["floating point ", "integer ", "boolean "] {
        if let Some(v) = got.strip_prefix(prefix) {
            // `2.5`, or `99999999999999999999` as i128
            return v.split('`').nth(1).unwrap_or(v).to_string();
        }
    }
    match got {
        "sequence" => "a list".into(),
        "map" => table_word(format).into(),
        "unit value" => "nothing".into(),
        g => match g.strip_prefix("string ") {
            Some(text) => format!("the text {text}"),
            None => g.to_string(),
        },
    }
}

fn table_word(format: Format) -> &'static str {
    match format {
        Format::Toml => "a table",
        Format::Yaml => "a mapping",
        Format::Json => "an object",
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

/// A name as `describe` prints it: cut at [`message::LIST_MAX`] characters.
fn name(n: &str) -> String {
    message::shorten(n, message::LIST_MAX)
}

/// `unknown policy `x`; did you mean `y`? valid: ...`.
fn unknown_policy(name: &str, names: &[String]) -> String {
    let choices: Vec<&str> = names.iter().map(String::as_str).collect();
    let hint = message::suggest(name, &choices)
        .map(|s| format!(" did you mean `{s}`?"))
        .unwrap_or_default();
    format!("unknown policy `{name}`;{hint} valid: {}", names.join(", "))
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
        let mut fail = |key: &str, message: String| problems.push(Problem::argument(key, message));
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
        let mut days_ok = true;
        if let Some(h) = o.horizon {
            if !(h.is_finite() && h > 0.0 && h <= validate::bounds::HORIZON) {
                days_ok = false;
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
                days_ok = false;
                fail("--warmup", format!("must be zero or more days (got {w})"));
            }
            // `-0` is 0: adding 0.0 turns it into +0.0, so no output writes "-0 days".
            self.stream.warmup = w + 0.0;
        }
        // Only between two valid values: a bad one has its own message already.
        if days_ok && self.stream.warmup >= self.stream.horizon {
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
                fail("--policy", unknown_policy(p, &names));
            }
            self.policy = p.clone();
        }
        if let Some(list) = &o.compare {
            for p in list.iter().filter(|p| !known(p)) {
                fail("--policies", unknown_policy(p, &names));
            }
            if list.is_empty() {
                fail("--policies", "needs at least one policy".into());
            }
            // A policy twice would be compared with itself: two rows, one run.
            for (i, p) in list.iter().enumerate() {
                if list[..i].contains(p) {
                    fail(
                        "--policies",
                        format!("`{p}` is listed twice; list each policy once"),
                    );
                }
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
                    excerpt: None,
                });
            }
        }
        if problems.is_empty() {
            Ok(())
        } else {
            Err(ScenarioError::Arguments { problems })
        }
    }

    /// A plain-language description of what the scenario simulates.
    pub fn describe(&self) -> String {
        use std::fmt::Write;
        let vs = &self.stream;
        let mut o = String::new();
        let _ = writeln!(o, "{}", name(&self.name));
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
            name(&vs.stages[vs.commitment].name)
        );
        let _ = writeln!(o, "work types:");
        for w in &vs.work_types {
            let arrivals = w
                .arrival_rate
                .map_or("no arrivals".into(), |r| format!("{r} arrivals/day"));
            let _ = writeln!(
                o,
                "  {:<18} {arrivals}, backlog {}, priority {}",
                name(&w.name),
                w.backlog,
                w.priority
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
                    name(&vs.stages[r.to].name),
                    r.probability
                );
            }
            if let Some(e) = s.release_every {
                let _ = write!(extra, ", releases every {e} days");
            }
            let _ = writeln!(
                o,
                "  {:<18} {} worker(s), service {}{extra} ({})",
                name(&s.name),
                s.workers,
                s.service,
                message::percent(u)
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
                    "note: stage `{}` is offered {} of its capacity: if the estimate holds, more work arrives than it can finish and its queue grows for as long as the run lasts",
                    name(&s.name),
                    message::percent(u)
                );
            }
            // A WIP limit below the workers leaves some of them idle for want of room, under
            // every policy that keeps the limits: the estimate per worker hides that.
            if let Some(limit) = s.wip_limit.filter(|&l| l < s.workers) {
                let over_room = u * f64::from(s.workers) / f64::from(limit);
                let idle = message::idle_workers(s.workers - limit);
                let _ = writeln!(
                    o,
                    "note: stage `{}` has {} workers and a WIP limit of {limit}, so under a policy that keeps WIP limits {idle} for want of room: over the {limit} who can work it is offered {}{}",
                    name(&s.name),
                    s.workers,
                    message::percent(over_room),
                    if over_room >= 1.0 && u < 1.0 {
                        ", more than it can finish"
                    } else {
                        ""
                    }
                );
            }
        }
        for w in &self.warnings {
            let _ = writeln!(o, "warning: {w}");
        }
        o
    }
}

#[cfg(test)]
mod tests {
    use super::{key_within, shared_key};

    #[test]
    fn a_table_and_a_key_inside_it_overlap_and_neighbours_do_not() {
        assert!(key_within("stages[1].service.median", "stages[1].service"));
        assert!(key_within("stages[1].service", "stages[1].service"));
        assert!(key_within("stages[1].service[0]", "stages[1].service"));
        // A longer name is not a key inside a shorter one.
        assert!(!key_within("stages[1].services", "stages[1].service"));
        assert!(!key_within("stages[1].service", "stages[1].service.median"));
        let keys = |k: &[&str]| k.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        let mine = keys(&["stages[1].service"]);
        assert_eq!(
            shared_key(&mine, &keys(&["stages[1].service.median"])),
            Some(&mine[0])
        );
        assert_eq!(shared_key(&mine, &keys(&["stages[11].service"])), None);
    }
}
