//! `fit`: a scenario fitted to a tracker history, written with the evidence for every number.
//!
//! 1. Each item's arrival is the first date among the backlog columns (else its first date);
//!    the history spans the first arrival to the last date in it (T days).
//! 2. Per `Type`: the arrival rate n/T with Garwood's exact 95% interval, and the dispersion
//!    index of its daily arrival counts (is it Poisson, as the simulation assumes?).
//! 3. Per stage: the time in stage of every item that has moved on (entry to the next date
//!    along the workflow), fitted as whole days ([`super::fitdist`]): lognormal, gamma and
//!    Weibull by maximum likelihood, the best by AIC, judged by the Kolmogorov–Smirnov
//!    distance; the stage's workers and WIP limit are the most items it held on one day.
//! 4. [`Fit::to_toml`] writes the scenario with a comment on every fitted number.
//!
//! What a history cannot say, and the fit therefore cannot either: when work started inside a
//! stage (so waiting and working are one service time, and workers are the observed peak of
//! items, not people), and whether an item went back to an earlier stage (the format keeps one
//! date per stage, so rework is folded into the time of the stage that sent it back).

use super::fitdist::{self, Days, Family, FamilyFit};
use super::mapping::Workflow;
use super::{date, History, HistoryError};
use crate::model::{DistSpec, Kind};
use crate::scenario::bounds;
use crate::stats::{poisson_rate_interval, Dispersion, DispersionVerdict};
use std::fmt::Write;

/// Fewer observations than this make an estimate "thin": flagged in the file (the usual rule
/// of thumb for a sample mean to be roughly normal, and for a percentile to mean something).
pub const THIN: u64 = 30;
/// The most values an empirical distribution written by `fit` holds: beyond this, the
/// durations' quantiles at (i − ½)/1000 (resolution 0.1%, file size bounded).
pub const EMPIRICAL_VALUES: usize = 1000;
/// The Kolmogorov–Smirnov test's level: a family is used when its p-value is at least this.
pub const KS_LEVEL: f64 = 0.05;

/// A `Type` of work and its arrivals.
#[derive(Clone, Debug, PartialEq)]
pub struct TypeFit {
    /// The work type's name (the `Type` value; `unspecified` when empty).
    pub name: String,
    /// Its kind.
    pub kind: Kind,
    /// True if the mapping named the kind; false if it came from the type's name.
    pub kind_mapped: bool,
    /// Items that arrived.
    pub n: u64,
    /// Arrivals per day, n / T.
    pub rate: f64,
    /// Garwood's exact 95% interval for the rate.
    pub interval: (f64, f64),
    /// The dispersion of its daily arrival counts.
    pub dispersion: Option<Dispersion>,
}

/// How a stage's time is written.
#[derive(Clone, Debug, PartialEq)]
pub enum Choice {
    /// The best family: it fits (KS p ≥ [`KS_LEVEL`]), or there are too few durations to
    /// resample.
    Family(usize),
    /// The observed durations (or their quantiles): no family fits and there are enough.
    Empirical(Vec<f64>),
    /// Every item moved on the day it entered: zero days.
    Zero,
}

/// A stage's time in stage and crowding.
#[derive(Clone, Debug, PartialEq)]
pub struct StageFit {
    /// The stage (its column's name).
    pub name: String,
    /// Completed visits: whole days from entering to the next date.
    pub days: Days,
    /// Items still in the stage at the end of the history (not counted in `days`).
    pub in_progress: u64,
    /// The most items in the stage on one day.
    pub peak: u32,
    /// The three families fitted (empty without a positive duration).
    pub families: Vec<FamilyFit>,
    /// What is written.
    pub choice: Choice,
}

/// A history fitted to a scenario.
#[derive(Clone, Debug, PartialEq)]
pub struct Fit {
    /// The history file's name.
    pub source: String,
    /// The workflow columns' names.
    pub columns: Vec<String>,
    /// The mapping.
    pub workflow: Workflow,
    /// The first arrival and the last date (days since 1970-01-01).
    pub span: (i64, i64),
    /// Items in the history with at least one date.
    pub items: u64,
    /// Items without any date in the mapped columns (ignored).
    pub undated: u64,
    /// Items done.
    pub done: u64,
    /// Per work type, in order of first appearance.
    pub types: Vec<TypeFit>,
    /// The daily arrivals of all types together.
    pub dispersion: Option<Dispersion>,
    /// Per stage, in flow order.
    pub stages: Vec<StageFit>,
    /// Cycle times (commitment to done) of the items done, whole days.
    pub cycle: Days,
    /// The warm-up written: the 95th percentile of the days from entering the first stage
    /// to done, at most half the history.
    pub warmup: u32,
    /// What the data suggests the model does not capture (a batch of arrivals on the first
    /// day, deliveries in batches), for the file's header and the terminal.
    pub notes: Vec<String>,
}

impl Fit {
    /// T: days from the first arrival to the last date, both included.
    pub fn days(&self) -> i64 {
        self.span.1 - self.span.0 + 1
    }

    /// All arrivals per day.
    pub fn arrival_rate(&self) -> f64 {
        self.types.iter().map(|t| t.rate).sum()
    }
}

/// Fits `history` under `workflow`. Fails (naming the file, line 2) on a history without any
/// dated item.
pub fn fit(history: &History, workflow: &Workflow, file: &str) -> Result<Fit, HistoryError> {
    let empty = |message: String| HistoryError {
        file: file.to_string(),
        line: 2,
        column: 1,
        message,
    };
    if history.items.is_empty() {
        return Err(empty(
            "the history has no items: fit needs one row per item under the header".into(),
        ));
    }
    let w = workflow;
    let header = |c: usize, message: String| HistoryError {
        file: file.to_string(),
        line: 1,
        column: history.first_column + c,
        message,
    };
    // Stages become scenario stages: named, uniquely, and not too many.
    if w.stages.len() > bounds::STAGES {
        return Err(header(
            w.stages[0],
            format!(
                "{} stage columns; a scenario has at most {}",
                w.stages.len(),
                bounds::STAGES
            ),
        ));
    }
    for (i, &c) in w.stages.iter().enumerate() {
        let name = history.columns[c].trim();
        if name.is_empty() {
            return Err(header(c, "a stage column needs a name".into()));
        }
        if let Some(&d) = w.stages[..i]
            .iter()
            .find(|&&d| super::same_name(&history.columns[d], name))
        {
            return Err(header(
                c,
                format!(
                    "the stage column `{name}` appears twice (also column {}): stage names must be unique",
                    history.first_column + d
                ),
            ));
        }
    }
    // Every item's arrival, stage entries and done date, in the mapped columns.
    struct Row<'a> {
        line: u64,
        kind: &'a str,
        arrival: i64,
        stages: Vec<Option<i64>>,
        done: Option<i64>,
    }
    let mut rows = Vec::with_capacity(history.items.len());
    let mut undated = 0;
    for it in &history.items {
        let at = |c: usize| it.entered.get(c).copied().flatten();
        let stages: Vec<Option<i64>> = w.stages.iter().map(|&c| at(c)).collect();
        let done = at(w.done);
        let arrival = w
            .backlog
            .iter()
            .find_map(|&c| at(c))
            .or_else(|| stages.iter().flatten().next().copied())
            .or(done);
        match arrival {
            Some(arrival) => rows.push(Row {
                line: it.line,
                kind: &it.kind,
                arrival,
                stages,
                done,
            }),
            None => undated += 1,
        }
    }
    if rows.is_empty() {
        return Err(empty(format!(
            "no item has a date in the mapped columns ({}): nothing to fit",
            history.columns.join(", ")
        )));
    }
    let first = rows.iter().map(|r| r.arrival).min().unwrap_or(0);
    let latest = |r: &Row<'_>| {
        std::iter::once(Some(r.arrival))
            .chain(r.stages.iter().copied())
            .chain([r.done])
            .flatten()
            .max()
            .unwrap_or(r.arrival)
    };
    let (last, last_line) = rows
        .iter()
        .map(|r| (latest(r), r.line))
        .max()
        .unwrap_or((first, 2));
    if (last - first + 1) as f64 > bounds::HORIZON {
        return Err(HistoryError {
            file: file.to_string(),
            line: last_line,
            column: 1,
            message: format!(
                "the history spans {} days, {} to {}; a scenario's horizon is at most {} days: is this item's date right?",
                last - first + 1,
                date::format(first),
                date::format(last),
                bounds::HORIZON
            ),
        });
    }
    let t = (last - first + 1) as usize;

    // Arrivals per type, in order of first appearance.
    let mut names: Vec<&str> = Vec::new();
    let mut daily: Vec<Vec<u32>> = Vec::new();
    let mut all = vec![0u32; t];
    for r in &rows {
        let i = names.iter().position(|&n| n == r.kind).unwrap_or_else(|| {
            names.push(r.kind);
            daily.push(vec![0u32; t]);
            names.len() - 1
        });
        daily[i][(r.arrival - first) as usize] += 1;
        all[(r.arrival - first) as usize] += 1;
    }
    if names.len() > bounds::TYPES {
        return Err(HistoryError {
            file: file.to_string(),
            line: 1,
            column: history.type_column,
            message: format!(
                "{} different Type values; a scenario has at most {} work types: is Type the item's kind of work?",
                names.len(),
                bounds::TYPES
            ),
        });
    }
    let mut notes = Vec::new();
    let mut labels: Vec<String> = names
        .iter()
        .map(|&name| {
            if !name.trim().is_empty() {
                printable(name)
            } else if names.contains(&"unspecified") {
                "unspecified (empty Type)".to_string()
            } else {
                "unspecified".to_string()
            }
        })
        .collect();
    for (i, label) in make_unique(&mut labels) {
        notes.push(format!(
            "Type {:?} is written as work type `{label}`: its name reads like another Type's once control characters are escaped (or an empty Type is called unspecified), and a scenario's names must be unique.",
            names[i]
        ));
    }
    let types = names
        .iter()
        .zip(&daily)
        .zip(labels)
        .map(|((&name, counts), label)| {
            let n: u64 = counts.iter().map(|&c| u64::from(c)).sum();
            TypeFit {
                name: label,
                kind: w.kind_of(name),
                kind_mapped: w.maps(name),
                n,
                rate: n as f64 / t as f64,
                interval: poisson_rate_interval(n, t as f64),
                dispersion: Dispersion::of(counts),
            }
        })
        .collect();

    // Time in stage, items still there, and items present per day.
    let mut stages = Vec::with_capacity(w.stages.len());
    for (s, &col) in w.stages.iter().enumerate() {
        let mut durations = Vec::new();
        let mut in_progress = 0;
        let mut present = vec![0i64; t + 1];
        for r in &rows {
            let Some(e) = r.stages[s] else { continue };
            let next = r.stages[s + 1..]
                .iter()
                .flatten()
                .next()
                .copied()
                .or(r.done);
            let leave = match next {
                Some(x) => {
                    durations.push((x - e) as u32);
                    x
                }
                None => {
                    in_progress += 1;
                    last + 1
                }
            };
            // An item counts on every day from its entry to the day before it left, and on
            // its entry day even if it left the same day.
            present[(e - first) as usize] += 1;
            present[((leave.max(e + 1)) - first).min(t as i64) as usize] -= 1;
        }
        let mut level = 0;
        let mut peak = 0;
        for p in &present[..t] {
            level += p;
            peak = peak.max(level);
        }
        let days = Days::new(&durations);
        let (families, choice) = choose(&days);
        stages.push(StageFit {
            name: printable(&history.columns[col]),
            days,
            in_progress,
            peak: peak as u32,
            families,
            choice,
        });
    }

    let mut stage_names: Vec<String> = stages.iter().map(|s| s.name.clone()).collect();
    for (i, name) in make_unique(&mut stage_names) {
        notes.push(format!(
            "The stage column {:?} is written as stage `{name}`: its name reads like another stage's once control characters are escaped, and a scenario's names must be unique.",
            history.columns[w.stages[i]]
        ));
        stages[i].name = name;
    }

    // Cycle times from the commitment point, and the time through every stage.
    let mut cycle = Vec::new();
    let mut through = Vec::new();
    for r in &rows {
        let Some(done) = r.done else { continue };
        if let Some(c) = r.stages[w.commitment..].iter().flatten().next() {
            cycle.push((done - c) as u32);
        }
        if let Some(s) = r.stages.iter().flatten().next() {
            through.push((done - s) as u32);
        }
    }
    let through = Days::new(&through);
    let warmup = if through.is_empty() {
        0
    } else {
        // The model starts empty: it fills in about the time items take to pass through. At
        // most half the history, so that most of the run counts.
        through
            .quantile(0.95)
            .min(((t as u32).saturating_sub(1)) / 2)
    };
    let mean = all.iter().map(|&c| f64::from(c)).sum::<f64>() / t as f64;
    // More than 5 Poisson standard deviations above the mean: not chance.
    if t > 1 && f64::from(all[0]) > mean + 5.0 * mean.sqrt().max(1.0) {
        notes.push(format!(
            "{} items arrived on the first day, {} ({:.2} a day on average): probably the backlog when the history begins. They count as arrivals, which raises the arrival rate; remove them, or give the type a `backlog` instead.",
            all[0],
            date::format(first),
            mean
        ));
    }
    let mut delivered = vec![0u32; t];
    for r in &rows {
        if let Some(d) = r.done {
            delivered[(d - first) as usize] += 1;
        }
    }
    let batches = Dispersion::of(&delivered);
    if let Some(b) = batches.filter(|b| b.verdict() == DispersionVerdict::Bursty && b.index > 2.0) {
        notes.push(format!(
            "Items are done in batches (dispersion index of daily deliveries {:.1}): a release train, or tickets closed in bulk? The fit does not model it (the waiting for the batch is inside the last stage's time), so simulated deliveries are smoother than the team's: forecast by resampling keeps the batches, and simulation percentiles will be narrower.",
            b.index
        ));
    }
    Ok(Fit {
        notes,
        source: printable(file),
        columns: history.columns.iter().map(|c| printable(c)).collect(),
        workflow: w.clone(),
        span: (first, last),
        items: rows.len() as u64,
        undated,
        done: rows.iter().filter(|r| r.done.is_some()).count() as u64,
        types,
        dispersion: Dispersion::of(&all),
        stages,
        cycle: Days::new(&cycle),
        warmup,
    })
}

/// Makes `names` unique as a scenario needs them (names are equal when their text is): a name
/// met before gets the first suffix `-2`, `-3`... that no name has. Returns the names changed,
/// by index, with their new names.
fn make_unique(names: &mut [String]) -> Vec<(usize, String)> {
    let given: std::collections::HashSet<String> = names.iter().cloned().collect();
    let mut taken = std::collections::HashSet::new();
    let mut changed = Vec::new();
    for (i, name) in names.iter_mut().enumerate() {
        if !taken.contains(name.as_str()) {
            taken.insert(name.clone());
            continue;
        }
        let free = (2u64..)
            .map(|k| format!("{name}-{k}"))
            .find(|c| !taken.contains(c) && !given.contains(c))
            .unwrap_or_default();
        taken.insert(free.clone());
        *name = free.clone();
        changed.push((i, free));
    }
    changed
}

/// The families fitted to `days` and what to write: the best family by AIC if the KS test
/// does not reject it at [`KS_LEVEL`]; else the durations themselves, if there are at least
/// [`THIN`]; else the best family anyway (too few to resample, flagged thin).
fn choose(days: &Days) -> (Vec<FamilyFit>, Choice) {
    if days.is_empty() || days.max() == 0 {
        return (vec![], Choice::Zero);
    }
    let families: Vec<FamilyFit> = Family::ALL.iter().map(|&f| fitdist::fit(f, days)).collect();
    let best = (0..families.len())
        .min_by(|&a, &b| families[a].aic.total_cmp(&families[b].aic))
        .unwrap_or(0);
    let choice = if families[best].ks_p >= KS_LEVEL || days.len() < THIN {
        Choice::Family(best)
    } else {
        Choice::Empirical(empirical(days))
    };
    (families, choice)
}

/// The durations, or at most [`EMPIRICAL_VALUES`] of their quantiles at (i − ½)/m.
fn empirical(days: &Days) -> Vec<f64> {
    let n = days.len();
    if n as usize <= EMPIRICAL_VALUES {
        return days
            .counts()
            .iter()
            .flat_map(|&(d, c)| std::iter::repeat_n(f64::from(d), c as usize))
            .collect();
    }
    let m = EMPIRICAL_VALUES;
    (0..m)
        .map(|i| f64::from(days.quantile((i as f64 + 0.5) / m as f64)))
        .collect()
}

/// A TOML float: `x` to four significant digits, always with a decimal point.
fn num(x: f64) -> String {
    let r = fitdist::round_sig(x, 4);
    let s = if r.abs() >= 1e15 || (r != 0.0 && r.abs() < 1e-4) {
        format!("{r:e}")
    } else {
        format!("{r}")
    };
    if s.contains(['.', 'e', 'E']) {
        s
    } else {
        format!("{s}.0")
    }
}

/// A TOML float holding a whole number of days, written exactly (`12345.0`): durations and
/// spans are counts, not estimates to round.
fn whole(x: f64) -> String {
    format!("{:.1}", x.round())
}

/// `s` with its control characters (a line break in a column name, say) escaped as `\n`,
/// `\u{7}`...: the names go into comments and messages, where a raw line break would end the
/// comment and break the file.
fn printable(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c.is_control() {
                c.escape_default().collect()
            } else {
                c.to_string()
            }
        })
        .collect()
}

/// A TOML string.
fn quoted(s: &str) -> String {
    toml::Value::String(s.to_string()).to_string()
}

/// `n` with a thin-data caveat when it is below [`THIN`].
fn n_note(n: u64) -> String {
    if n < THIN {
        format!("n = {n}, THIN: fewer than {THIN}, treat as a guess")
    } else {
        format!("n = {n}")
    }
}

fn dispersion_note(d: &Option<Dispersion>) -> String {
    match d {
        Some(d) => format!(
            "dispersion index of daily arrivals {:.2} (χ² test p = {:.2}): {}",
            d.index,
            d.p,
            d.verdict().describe()
        ),
        None => format!("dispersion: {}", DispersionVerdict::Unknown.describe()),
    }
}

fn dist_toml(spec: &DistSpec) -> String {
    match spec {
        DistSpec::LognormalMeanSd { mean, sd } => format!(
            "{{ dist = \"lognormal\", mean = {}, sd = {} }}",
            num(*mean),
            num(*sd)
        ),
        DistSpec::Gamma { mean, cv } => {
            format!(
                "{{ dist = \"gamma\", mean = {}, cv = {} }}",
                num(*mean),
                num(*cv)
            )
        }
        DistSpec::Weibull { shape, scale } => format!(
            "{{ dist = \"weibull\", shape = {}, scale = {} }}",
            num(*shape),
            num(*scale)
        ),
        DistSpec::Fixed { value } => format!("{{ dist = \"fixed\", value = {} }}", num(*value)),
        DistSpec::Empirical { samples } => format!(
            "{{ dist = \"empirical\", samples = [{}] }}",
            samples
                .iter()
                .map(|&s| whole(s))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        other => unreachable!("fit writes only the families, fixed and empirical: {other:?}"),
    }
}

impl StageFit {
    /// What the choice was and why, in one sentence.
    pub fn reason(&self) -> String {
        let n = self.days.len();
        match &self.choice {
            Choice::Zero if n == 0 => "no item has left this stage yet: zero days, a placeholder to replace".into(),
            Choice::Zero => "every item moved on the day it entered: under a day, which whole-day dates cannot resolve further".into(),
            Choice::Family(i) => {
                let f = &self.families[*i];
                let mut s = format!(
                    "{}: the lowest AIC of the three (the highest likelihood: all have two parameters)",
                    f.params.family.name()
                );
                if f.ks_p >= KS_LEVEL {
                    let _ = write!(
                        s,
                        ", and the KS test does not reject it (D = {:.3}, p = {:.2} ≥ {KS_LEVEL})",
                        f.ks, f.ks_p
                    );
                } else {
                    let _ = write!(
                        s,
                        "; the KS test rejects it (D = {:.3}, p = {:.3}), but {n} durations are too few to resample: THIN",
                        f.ks, f.ks_p
                    );
                }
                if f.params.family == Family::Weibull {
                    let _ = write!(
                        s,
                        " (Magennis reports shape ≈ 1.5 for software lead times; here {:.2})",
                        f.params.a
                    );
                }
                s
            }
            Choice::Empirical(v) => {
                let best = self
                    .families
                    .iter()
                    .min_by(|a, b| a.aic.total_cmp(&b.aic));
                let why = best.map_or(String::new(), |f| {
                    format!(
                        ": the KS test rejects even the best family, {} (D = {:.3}, p = {:.3} < {KS_LEVEL})",
                        f.params.family.name(),
                        f.ks,
                        f.ks_p
                    )
                });
                if v.len() as u64 == n {
                    format!("empirical, the {n} observed durations resampled{why}")
                } else {
                    format!(
                        "empirical, {} quantiles of the {n} observed durations resampled{why}",
                        v.len()
                    )
                }
            }
        }
    }

    /// Why the service time written is only a placeholder, if it is: no item has left the
    /// stage, so there is no duration to fit (`fixed 0` is written to keep the file valid).
    pub fn warning(&self) -> Option<String> {
        if !self.days.is_empty() {
            return None;
        }
        let why = match self.in_progress {
            0 => "no item has a date in it".to_string(),
            1 => "1 item entered it and has not left it".to_string(),
            n => format!("{n} items entered it and none has left it"),
        };
        Some(format!(
            "stage `{}` has no observed durations ({why}): its service time is written as `fixed 0`, a placeholder; replace it with an estimate before simulating",
            self.name
        ))
    }

    /// The choice in a few words, for the terminal.
    pub fn brief(&self) -> String {
        match &self.choice {
            Choice::Zero if self.days.is_empty() => {
                "no observed durations: fixed 0, a placeholder".into()
            }
            Choice::Zero => "zero days".into(),
            Choice::Family(i) => {
                let f = &self.families[*i];
                format!(
                    "{}({}), best AIC, KS D {:.3} (p {:.2}){}",
                    f.params.family.name(),
                    f.params.describe(),
                    f.ks,
                    f.ks_p,
                    if self.days.len() < THIN { " THIN" } else { "" }
                )
            }
            Choice::Empirical(v) => format!(
                "empirical ({} values): no family passes the KS test",
                v.len()
            ),
        }
    }

    /// The service distribution written.
    pub fn spec(&self) -> DistSpec {
        match &self.choice {
            Choice::Zero => DistSpec::Fixed { value: 0.0 },
            Choice::Family(i) => self.families[*i].params.spec(),
            Choice::Empirical(v) => DistSpec::Empirical { samples: v.clone() },
        }
    }
}

/// The file header: where the numbers come from and what they cannot mean.
const CAVEATS: &str = "\
# Read this before a what-if:
# - Every service time below is the TIME IN STAGE of the history: from the day an item entered
#   the stage to the day it entered the next one. A tracker does not record when work started,
#   so waiting (queued, blocked, waiting for a release) cannot be told apart from work: it is
#   all service time here. Each stage gets as many workers as it ever held items on one day, so
#   the fitted team hardly queues: it replays the flow as it was observed.
# - So this model answers \"what if more or less work arrives?\" and forecasts
#   (`valueflow forecast` with this file), but NOT \"what if we add a person?\": more workers
#   change almost nothing here, because the waiting is inside the service times. For staffing
#   what-ifs, replace each service time with an estimate of hands-on time and `workers` with
#   the real headcount; the observed times in the comments are what such a model should
#   reproduce.
# - Rework: the cycle-data format keeps one date per stage (the first entry), so an item sent
#   back to an earlier stage cannot be seen; those days are inside the time of the stage that
#   sent it back. No `rework` is fitted.
# - Dates are whole days: a time in stage of d days is between d - 1 and d + 1 days. The
#   families are fitted to the whole days exactly (maximum likelihood of the rounded values,
#   docs/history.md). Estimates from fewer than 30 items are marked THIN.
";

impl Fit {
    /// The scenario, as a commented TOML file that `valueflow validate` accepts.
    pub fn to_toml(&self) -> String {
        let mut o = String::new();
        let w = &self.workflow;
        let col = |c: usize| self.columns[c].as_str();
        let list = |cols: &[usize]| cols.iter().map(|&c| col(c)).collect::<Vec<_>>().join(", ");
        let _ = writeln!(
            o,
            "# Fitted by `valueflow fit` to {}: {} items, {} to {} ({} days), {} done.",
            self.source,
            self.items,
            date::format(self.span.0),
            date::format(self.span.1),
            self.days(),
            self.done
        );
        let arrival = if w.backlog.is_empty() {
            "entering the first stage (no backlog column)".to_string()
        } else {
            format!("the first date in {}", list(&w.backlog))
        };
        let _ = writeln!(
            o,
            "# Mapping: arrival = {arrival}; stages {}; commitment point {}; done = {}.",
            list(&w.stages),
            col(w.stages[w.commitment]),
            col(w.done)
        );
        if w.done + 1 < self.columns.len() {
            let _ = writeln!(
                o,
                "# Columns after done are ignored: {}.",
                self.columns[w.done + 1..].join(", ")
            );
        }
        for n in &self.notes {
            let _ = writeln!(o, "# Note: {n}");
        }
        if self.undated > 0 {
            let _ = writeln!(
                o,
                "# {} items have no date in these columns and are left out.",
                self.undated
            );
        }
        o.push_str("#\n");
        o.push_str(CAVEATS);
        o.push('\n');
        let _ = writeln!(
            o,
            "name = {}",
            quoted(&format!("Fitted to {}", self.source))
        );
        let _ = writeln!(
            o,
            "description = {}",
            quoted(&format!(
                "A team's flow fitted to its tracker history ({} to {}): time in stage as service time, workers as the observed peak of items.",
                date::format(self.span.0),
                date::format(self.span.1)
            ))
        );
        let _ = writeln!(
            o,
            "horizon = {}   # days: the span of the history",
            whole(self.days() as f64)
        );
        let _ = writeln!(
            o,
            "warmup = {}   # days: the model starts empty; the 95th percentile of the days from the first stage to done, at most half the horizon",
            whole(f64::from(self.warmup))
        );
        o.push_str("seed = 1   # any seed: it fixes the random numbers\n");
        o.push_str("policy = \"fifo\"   # the history does not say how the team chose work: first in, first out\n");
        let _ = writeln!(
            o,
            "commitment = {}   # the mapping's commitment point: cycle time counts from here",
            quoted(&self.stages[w.commitment].name)
        );
        if !self.cycle.is_empty() {
            let (m, _) = self.cycle.moments();
            let _ = writeln!(
                o,
                "# Observed cycle time ({}): mean {:.1} days, 50% within {}, 85% within {}, 95% within {} days.",
                n_note(self.cycle.len()),
                m,
                self.cycle.quantile(0.5),
                self.cycle.quantile(0.85),
                self.cycle.quantile(0.95)
            );
        }
        let _ = writeln!(
            o,
            "# All arrivals: {} a day; {}.",
            num(self.arrival_rate()),
            dispersion_note(&self.dispersion)
        );
        for t in &self.types {
            o.push_str("\n[[work]]\n");
            let _ = writeln!(o, "name = {}", quoted(&t.name));
            let _ = writeln!(
                o,
                "kind = \"{}\"   # {}",
                t.kind.name(),
                if t.kind_mapped {
                    "as the mapping says"
                } else {
                    "by the type's name (map it with [kinds] or --kind TYPE=KIND)"
                }
            );
            let _ = writeln!(
                o,
                "# {} arrivals over {} days; 95% interval {} to {} a day (exact Poisson, Garwood); {}.",
                n_note(t.n),
                self.days(),
                num(t.interval.0),
                num(t.interval.1),
                dispersion_note(&t.dispersion)
            );
            let _ = writeln!(o, "arrival_rate = {}", num(t.rate));
        }
        for s in &self.stages {
            o.push_str("\n[[stages]]\n");
            let _ = writeln!(o, "name = {}", quoted(&s.name));
            let peak = s.peak.max(1);
            let _ = writeln!(
                o,
                "workers = {peak}   # ESTIMATE, correct it: the most items seen in this stage on one day, not a headcount"
            );
            let _ = writeln!(
                o,
                "wip_limit = {peak}   # the observed maximum of items in this stage, not necessarily the team's limit"
            );
            let n = s.days.len();
            if n > 0 {
                let (m, _) = s.days.moments();
                let _ = writeln!(
                    o,
                    "# Time in stage, waiting included ({}: items moved on; {} still here): mean {:.2} days, 50% within {}, 85% within {}, max {} days.",
                    n_note(n),
                    s.in_progress,
                    m,
                    s.days.quantile(0.5),
                    s.days.quantile(0.85),
                    s.days.max()
                );
            }
            for f in &s.families {
                let _ = writeln!(
                    o,
                    "#   {:<9} {:<26} log-likelihood {:.1}, AIC {:.1}, KS D {:.3} (p {:.3})",
                    f.params.family.name(),
                    f.params.describe(),
                    f.log_likelihood,
                    f.aic,
                    f.ks,
                    f.ks_p
                );
            }
            if let Some(warning) = s.warning() {
                let _ = writeln!(o, "# WARNING: {warning}.");
            }
            let _ = writeln!(o, "# Chosen: {}.", s.reason());
            let _ = writeln!(o, "service = {}", dist_toml(&s.spec()));
        }
        o
    }

    /// What must be fixed by hand before the file is used, one line each: the stages without
    /// any observed duration ([`StageFit::warning`]), named with the history file.
    pub fn warnings(&self) -> Vec<String> {
        self.stages
            .iter()
            .filter_map(StageFit::warning)
            .map(|w| format!("{}: {w}", self.source))
            .collect()
    }

    /// A short account of the fit for the terminal.
    pub fn summary(&self) -> String {
        let mut o = format!(
            "{}: {} item{} over {} days ({} to {}), {} done\n",
            self.source,
            self.items,
            if self.items == 1 { "" } else { "s" },
            self.days(),
            date::format(self.span.0),
            date::format(self.span.1),
            self.done
        );
        let _ = writeln!(
            o,
            "arrivals: {} a day; {}",
            num(self.arrival_rate()),
            dispersion_note(&self.dispersion)
        );
        for t in &self.types {
            let _ = writeln!(
                o,
                "  {:<16} {:<8} {} a day (95%: {} to {}), n = {}{}",
                t.name,
                t.kind.name(),
                num(t.rate),
                num(t.interval.0),
                num(t.interval.1),
                t.n,
                if t.n < THIN { " THIN" } else { "" }
            );
        }
        o.push_str("stages (time in stage, waiting included; workers = observed peak, an estimate to correct):\n");
        for s in &self.stages {
            let _ = writeln!(
                o,
                "  {:<16} n = {:<6} workers {:<4} {}",
                s.name,
                s.days.len(),
                s.peak.max(1),
                s.brief()
            );
        }
        for n in &self.notes {
            let _ = writeln!(o, "note: {n}");
        }
        o
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::history::mapping::Mapping;
    use crate::history::read;

    fn fitted(csv: &str) -> Fit {
        let h = read(csv, "h.csv").unwrap();
        let types: Vec<String> = h.items.iter().map(|i| i.kind.clone()).collect();
        let w = Mapping::default()
            .resolve(&h.columns, &types, "h.csv")
            .unwrap();
        fit(&h, &w, "h.csv").unwrap()
    }

    const SMALL: &str =
        "ID,Link,Name,Backlog,Build,Test,Done,Type,Status,Resolution,Blocked Days\n\
        A,,a,2026-01-01,2026-01-02,2026-01-04,2026-01-05,Story,Done,Done,0\n\
        B,,b,2026-01-01,2026-01-03,2026-01-03,2026-01-06,Bug,Done,Done,0\n\
        C,,c,2026-01-03,2026-01-03,,2026-01-08,Story,Done,Done,0\n\
        D,,d,2026-01-04,2026-01-05,,,Story,Build,,0\n";

    /// By hand: the span is 2026-01-01 to 2026-01-08 (8 days); Story arrived 3 times, Bug
    /// once. Build times: A 2 days (to Test), B 0, C 5 (skipped Test, to Done); D is still in
    /// Build. Build held A, B and C on 01-03 (B for the day it entered and left): peak 3.
    #[test]
    fn counts_rates_times_and_peaks_by_hand() {
        let f = fitted(SMALL);
        assert_eq!((f.days(), f.items, f.done), (8, 4, 3));
        assert_eq!(f.types.len(), 2);
        assert_eq!((f.types[0].name.as_str(), f.types[0].n), ("Story", 3));
        assert_eq!(
            (f.types[1].kind, f.types[1].kind_mapped),
            (Kind::Defect, false)
        );
        assert!((f.types[0].rate - 3.0 / 8.0).abs() < 1e-12);
        let (lo, hi) = f.types[0].interval;
        assert!(lo < 3.0 / 8.0 && 3.0 / 8.0 < hi);
        let build = &f.stages[0];
        assert_eq!(build.days.counts(), &[(0, 1), (2, 1), (5, 1)]);
        assert_eq!((build.in_progress, build.peak), (1, 3));
        // Test: A 1 day (01-04), B 3 days (01-03 to 01-05): both there on 01-04.
        assert_eq!(f.stages[1].days.counts(), &[(1, 1), (3, 1)]);
        assert_eq!(f.stages[1].peak, 2);
        // Cycle time from Build (the commitment point): A 3, B 3, C 5.
        assert_eq!(f.cycle.counts(), &[(3, 2), (5, 1)]);
        // Too few to resample: the best family, flagged thin.
        assert!(matches!(build.choice, Choice::Family(_)));
        let toml = f.to_toml();
        assert!(toml.contains("THIN"), "{toml}");
        let sc = crate::scenario::parse(&toml, crate::scenario::Format::Toml, "fit.toml")
            .unwrap_or_else(|e| panic!("{e}\n{toml}"));
        assert_eq!(sc.stream.stages.len(), 2);
        assert_eq!(sc.stream.stages[0].workers, 3);
        assert_eq!(sc.stream.work_types[1].kind, Kind::Defect);
    }

    #[test]
    fn every_number_written_has_a_comment() {
        let f = fitted(SMALL);
        let toml = f.to_toml();
        let lines: Vec<&str> = toml.lines().collect();
        for (i, l) in lines.iter().enumerate() {
            let fitted_number = [
                "arrival_rate",
                "workers",
                "wip_limit",
                "service",
                "horizon",
                "warmup",
            ]
            .iter()
            .any(|k| l.starts_with(k));
            if fitted_number {
                // Either on the line itself, or on the comment line(s) just above.
                let commented = l.contains('#') || lines[i - 1].starts_with('#');
                assert!(commented, "line {}: {l}", i + 1);
            }
        }
    }

    #[test]
    fn same_day_moves_make_a_zero_stage_and_numbers_are_toml_floats() {
        let csv = "ID,Link,Name,Backlog,Build,Done,Type,Status,Resolution,Blocked Days\n\
            A,,a,2026-01-01,2026-01-02,2026-01-02,x,Done,Done,0\n\
            B,,b,2026-01-01,2026-01-03,2026-01-03,,Done,Done,0\n";
        let f = fitted(csv);
        assert_eq!(f.stages[0].choice, Choice::Zero);
        assert_eq!(f.types[1].name, "unspecified");
        let toml = f.to_toml();
        assert!(
            toml.contains("service = { dist = \"fixed\", value = 0.0 }"),
            "{toml}"
        );
        crate::scenario::parse(&toml, crate::scenario::Format::Toml, "fit.toml")
            .unwrap_or_else(|e| panic!("{e}\n{toml}"));
        assert_eq!(num(3.0), "3.0");
        assert_eq!(num(0.123_456), "0.1235");
        assert_eq!(num(12_345.6), "12350.0");
        assert_eq!(num(0.000_012_34), "1.234e-5");
        assert_eq!(whole(111_999.0), "111999.0");
    }

    #[test]
    fn stage_names_and_the_span_must_make_a_valid_scenario() {
        // Two columns of one name are refused as the history is read (`history::read`).
        let csv = "ID,Link,Name,Backlog,Build,build,Done,Type\nA,,a,2026-01-01,2026-01-02,2026-01-03,2026-01-04,x\n";
        let e = read(csv, "h.csv").unwrap_err();
        assert_eq!((e.line, e.column), (1, 6), "{e}");
        assert!(e.message.contains("is also column 5"), "{e}");
        let far = "ID,Link,Name,Backlog,Build,Done,Type\nA,,a,2026-01-01,2026-01-02,2026-01-03,x\nB,,b,2026-01-01,2026-01-02,9999-01-03,x\n";
        let h = read(far, "h.csv").unwrap();
        let w = Mapping::default()
            .resolve(&h.columns, &[], "h.csv")
            .unwrap();
        let e = fit(&h, &w, "h.csv").unwrap_err();
        assert_eq!(e.line, 3, "{e}");
        assert!(e.message.contains("is this item's date right?"), "{e}");
    }

    #[test]
    fn empty_histories_are_refused_on_line_2() {
        let h = read("ID,Link,Name,Backlog,Build,Done,Type\n", "h.csv").unwrap();
        let w = Mapping::default()
            .resolve(&h.columns, &[], "h.csv")
            .unwrap();
        let e = fit(&h, &w, "h.csv").unwrap_err();
        assert_eq!((e.line, e.column), (2, 1));
        assert!(e.message.contains("no items"), "{e}");
    }

    #[test]
    fn names_are_made_unique_with_the_first_free_suffix() {
        let mut names: Vec<String> = ["a", "b", "a", "a-2", "a", "b"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        let changed = make_unique(&mut names);
        // `a-2` is a name of its own, so the second `a` skips it.
        assert_eq!(names, ["a", "b", "a-3", "a-2", "a-4", "b-2"]);
        assert_eq!(
            changed,
            [
                (2, "a-3".to_string()),
                (4, "a-4".to_string()),
                (5, "b-2".to_string())
            ]
        );
    }

    #[test]
    fn types_and_stages_that_print_alike_make_a_valid_scenario() {
        let csv = "ID,Link,Name,Backlog,\"x\ty\",x\\ty,Done,Type\n\
            A,,a,2026-01-01,2026-01-02,2026-01-03,2026-01-04,\"new\nline\"\n\
            B,,b,2026-01-02,2026-01-03,2026-01-04,2026-01-05,new\\nline\n\
            C,,c,2026-01-03,2026-01-04,2026-01-05,2026-01-06,\n\
            D,,d,2026-01-04,2026-01-05,2026-01-06,2026-01-07,unspecified (empty Type)\n\
            E,,e,2026-01-05,2026-01-06,2026-01-07,2026-01-08,unspecified\n";
        let f = fitted(csv);
        let types: Vec<&str> = f.types.iter().map(|t| t.name.as_str()).collect();
        assert_eq!(
            types,
            [
                "new\\nline",
                "new\\nline-2",
                "unspecified (empty Type)",
                "unspecified (empty Type)-2",
                "unspecified"
            ]
        );
        let stages: Vec<&str> = f.stages.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(stages, ["x\\ty", "x\\ty-2"]);
        assert_eq!(f.notes.len(), 3, "{:?}", f.notes);
        let toml = f.to_toml();
        crate::scenario::parse(&toml, crate::scenario::Format::Toml, "fit.toml")
            .unwrap_or_else(|e| panic!("{e}\n{toml}"));
    }

    #[test]
    fn a_stage_no_item_has_left_is_a_warning() {
        let csv = "ID,Link,Name,Backlog,Build,Test,Done,Type\n\
            A,,a,2026-01-01,2026-01-02,,,x\n\
            B,,b,2026-01-01,2026-01-03,2026-01-03,2026-01-04,x\n";
        let f = fitted(csv);
        // Build has B's 0 days (A is still there); Test has B's 1 day; nothing is missing.
        assert!(f.warnings().is_empty(), "{:?}", f.warnings());
        let open = "ID,Link,Name,Backlog,Build,Test,Done,Type\n\
            A,,a,2026-01-01,2026-01-02,,,x\n";
        let f = fitted(open);
        assert_eq!(
            f.warnings(),
            [
                "h.csv: stage `Build` has no observed durations (1 item entered it and has not left it): its service time is written as `fixed 0`, a placeholder; replace it with an estimate before simulating",
                "h.csv: stage `Test` has no observed durations (no item has a date in it): its service time is written as `fixed 0`, a placeholder; replace it with an estimate before simulating",
            ]
        );
        let toml = f.to_toml();
        assert_eq!(toml.matches("# WARNING: stage `").count(), 2, "{toml}");
        crate::scenario::parse(&toml, crate::scenario::Format::Toml, "fit.toml")
            .unwrap_or_else(|e| panic!("{e}\n{toml}"));
    }
}
