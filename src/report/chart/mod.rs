//! Charts: every result one command away from a picture for a projector or a deck.
//!
//! Each [`ChartKind`] is drawn by one function in `draw.rs` from [`ChartData`] (a comparison of
//! policies on common random numbers, plus the item trace of one replication). Charts are
//! 1600x900, with a title naming the scenario, axis labels with units, a legend, and a
//! footnote with the replications and seed. Item charts follow the commitment point (Kanban
//! Method): cycle time, WIP and aging count from it, and items not yet committed are the
//! backlog. Text uses the bundled DejaVu Sans font, so no system fonts are needed; colours
//! come from the Okabe-Ito colour-blind-safe palette and each policy keeps its colour in every
//! chart.
//!
//! Files are written to a temporary file beside the target and renamed into place without
//! replacing anything unasked ([`super::atomic`]), so a failure never leaves a partial chart.

pub mod delta;
mod draw;
pub mod forecast;
mod style;
pub mod sweep;

use crate::experiment::Comparison;
use crate::metrics::Trace;
use crate::scenario::Scenario;
use plotters::prelude::*;
use std::path::Path;

pub use style::{policy_color, KIND_COLORS};

/// A built-in name (`lead_time`) in plain words: `_` as spaces.
fn plain_word(name: &str) -> String {
    name.replace('_', " ")
}

/// A metric's key (`cycle_time`, `stage.<name>.<metric>`, `work.<name>.<metric>`,
/// `kind.<kind>.<metric>`, `key_result.<key result>.value`) in plain words for a label: the
/// built-in parts with spaces for `_`, the names a user gave (stages, work types, key results'
/// work types) as written.
pub(crate) fn metric_label(metric: &str) -> String {
    for prefix in ["stage", "work", "kind"] {
        if let Some((name, m)) = metric
            .strip_prefix(prefix)
            .and_then(|r| r.strip_prefix('.'))
            .and_then(|r| r.rsplit_once('.'))
        {
            return format!("{prefix}.{name}.{}", plain_word(m));
        }
    }
    if let Some(kr) = metric
        .strip_prefix("key_result.")
        .and_then(|r| r.strip_suffix(".value"))
    {
        return format!("key result.{}.value", key_result_words(kr));
    }
    plain_word(metric)
}

/// A key result's text (`work.<name>.lead_time.p85 <= 30 by day 90`) with `_` as spaces
/// except in the work type's name, which stays as written.
pub(crate) fn key_result_words(text: &str) -> String {
    let split = text.find(char::is_whitespace).unwrap_or(text.len());
    let (metric, rest) = text.split_at(split);
    let metric = match metric.strip_prefix("work.").and_then(|r| r.split_once('.')) {
        Some((name, m)) => format!("work.{name}.{}", plain_word(m)),
        None => plain_word(metric),
    };
    format!("{metric}{}", plain_word(rest))
}

/// True for a metric of a run that cannot be negative: times, counts, rates, shares, costs of
/// delay, waste. Only value (realised, per person-day, return on investment; penalties can
/// take it below 0), the growth of the work in the system (it shrinks when draining) and a
/// key result's value (whatever its metric) can. A 95% band of such a metric is drawn from
/// 0, never below: a mean near 0 with a wide interval has no negative side.
pub(crate) fn non_negative(metric: &str) -> bool {
    !matches!(
        metric,
        "value_realised"
            | "value_per_person_day"
            | "roi"
            | "growth_per_month"
            | "wip_growth_per_month"
    ) && !metric.starts_with("key_result.")
}

/// Width and height of every chart, in pixels.
pub const SIZE: (u32, u32) = (1600, 900);

/// The charts valueflow draws.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ChartKind {
    /// Items delivered next to value realised, per policy, with 95% whiskers.
    OutputVsOutcome,
    /// Value realised over time against the baseline, paired replication by replication: the
    /// mean difference with its 95% interval (the proof chart).
    ValueDifference,
    /// Cumulative value realised over time, one small panel per policy: median and p10-p90 band.
    ValueOverTime,
    /// Cumulative flow diagram of one replication.
    Cfd,
    /// Cycle-time scatterplot (commitment to delivery) with percentile lines.
    CycleTime,
    /// Histogram of cycle times with percentile lines.
    CycleTimeHistogram,
    /// Histogram of lead times (arrival to delivery) with percentile lines.
    LeadTimeHistogram,
    /// Items delivered per week (throughput run chart).
    Throughput,
    /// How many weeks delivered 0, 1, 2... items (throughput histogram).
    ThroughputHistogram,
    /// Committed items over time (WIP run chart, flow load), with the backlog.
    Wip,
    /// Age since commitment of in-progress items by stage against historical percentiles.
    AgingWip,
    /// Distribution of value realised across replications, per policy.
    ValueDistribution,
    /// Share of effort by kind over time, per policy.
    FlowDistribution,
    /// Mean days per item in each stage, by part (queue, touch, blocked, release, rework).
    WhereTimeGoes,
    /// Stage utilisation and queue lengths, per policy.
    Stages,
    /// Probability of achieving each key result, per policy.
    KeyResults,
}

impl ChartKind {
    /// Every chart, in report order.
    pub const ALL: [ChartKind; 16] = [
        ChartKind::OutputVsOutcome,
        ChartKind::ValueDifference,
        ChartKind::ValueOverTime,
        ChartKind::Cfd,
        ChartKind::CycleTime,
        ChartKind::CycleTimeHistogram,
        ChartKind::LeadTimeHistogram,
        ChartKind::Throughput,
        ChartKind::ThroughputHistogram,
        ChartKind::Wip,
        ChartKind::AgingWip,
        ChartKind::ValueDistribution,
        ChartKind::FlowDistribution,
        ChartKind::WhereTimeGoes,
        ChartKind::Stages,
        ChartKind::KeyResults,
    ];

    /// The name users write with `--kind` (and the file name in a report).
    pub fn name(self) -> &'static str {
        match self {
            ChartKind::OutputVsOutcome => "output-vs-outcome",
            ChartKind::ValueDifference => "value-difference",
            ChartKind::ValueOverTime => "value-over-time",
            ChartKind::Cfd => "cfd",
            ChartKind::CycleTime => "cycle-time",
            ChartKind::CycleTimeHistogram => "cycle-time-histogram",
            ChartKind::LeadTimeHistogram => "lead-time-histogram",
            ChartKind::Throughput => "throughput",
            ChartKind::ThroughputHistogram => "throughput-histogram",
            ChartKind::Wip => "wip",
            ChartKind::AgingWip => "aging-wip",
            ChartKind::ValueDistribution => "value-distribution",
            ChartKind::FlowDistribution => "flow-distribution",
            ChartKind::WhereTimeGoes => "where-time-goes",
            ChartKind::Stages => "stages",
            ChartKind::KeyResults => "key-results",
        }
    }

    /// The chart called `name`.
    pub fn from_name(name: &str) -> Option<ChartKind> {
        ChartKind::ALL.into_iter().find(|k| k.name() == name)
    }

    /// The chart's title (the scenario name is added).
    pub fn title(self) -> &'static str {
        match self {
            ChartKind::OutputVsOutcome => "Output vs outcome",
            ChartKind::ValueDifference => "Value realised against the baseline, paired",
            ChartKind::ValueOverTime => "Value realised over time",
            ChartKind::Cfd => "Cumulative flow diagram",
            ChartKind::CycleTime => "Cycle-time scatterplot",
            ChartKind::CycleTimeHistogram => "Cycle-time histogram",
            ChartKind::LeadTimeHistogram => "Lead-time histogram",
            ChartKind::Throughput => "Throughput run chart",
            ChartKind::ThroughputHistogram => "Throughput histogram",
            ChartKind::Wip => "WIP run chart (flow load)",
            ChartKind::AgingWip => "Aging WIP",
            ChartKind::ValueDistribution => "Distribution of value realised",
            ChartKind::FlowDistribution => "Flow distribution over time",
            ChartKind::WhereTimeGoes => "Where the days go in each stage",
            ChartKind::Stages => "Stage utilisation and queues",
            ChartKind::KeyResults => "Key-result probabilities",
        }
    }

    /// One sentence on how to read the chart.
    pub fn reading(self) -> &'static str {
        match self {
            ChartKind::OutputVsOutcome => "Left: items delivered (output). Right: value realised (outcome). Whiskers: 95% intervals of the mean.",
            ChartKind::ValueDifference => "Each policy's cumulative value realised minus the baseline's in the same replication (common random numbers): the mean difference with its 95% interval; above zero the policy is ahead.",
            ChartKind::ValueOverTime => "One panel per policy, on one scale: median cumulative value realised, with a band from the 10th to the 90th percentile of replications (the spread between replications, not the difference between policies).",
            ChartKind::Cfd => "Cumulative items by day: the top band is the backlog (arrived, not yet committed), then one band per stage from the commitment point on, then done; band heights are counts, horizontal distances approximate time.",
            ChartKind::CycleTime => "One dot per delivered item at its cycle time (commitment to delivery); lines mark the 50th, 85th and 95th percentiles (the 85th is a common service level expectation).",
            ChartKind::CycleTimeHistogram => "How many items took each cycle time (commitment to delivery); lines mark the 50th, 85th and 95th percentiles.",
            ChartKind::LeadTimeHistogram => "How many items took each lead time (arrival to delivery, backlog included); lines mark the 50th, 85th and 95th percentiles.",
            ChartKind::Throughput => "Items delivered per week (flow velocity) in one replication.",
            ChartKind::ThroughputHistogram => "How many weeks delivered 0, 1, 2... items; lines mark the median week and the count that 85% of weeks reached.",
            ChartKind::Wip => "Committed items each day (WIP, flow load) in one replication; the dashed line is the backlog (arrived, not yet committed), on its own right-hand axis when it dwarfs the WIP.",
            ChartKind::AgingWip => "Committed items by stage and age since commitment; ticks mark the 50th/85th/95th percentile age at which past items left that stage.",
            ChartKind::ValueDistribution => "Spread of value realised across replications: box from 25th to 75th percentile, whiskers 5th to 95th.",
            ChartKind::FlowDistribution => "Share of effort going to features, defects, debt and risk over time.",
            ChartKind::WhereTimeGoes => "Mean days an item spends in each stage, split into queue, touch, blocked, release and rework; the dashed line is the commitment point.",
            ChartKind::Stages => "Where work waits: each stage's utilisation and its average queue.",
            ChartKind::KeyResults => "Share of replications achieving each key result; one bar per policy, its probability written at its end; dashed lines at 50% (coin flip), 70% (likely) and 90% (safe to promise).",
        }
    }
}

/// What charts are drawn from.
pub struct ChartData<'a> {
    /// The scenario.
    pub scenario: &'a Scenario,
    /// Every policy on the same replications.
    pub comparison: &'a Comparison,
    /// The policy whose replication was traced.
    pub traced_policy: &'a str,
    /// The trace of replication 0 under `traced_policy`.
    pub trace: &'a Trace,
    /// The day the aging-WIP chart shows (`None`: the middle of the run).
    pub aging_day: Option<f64>,
}

/// Why a chart could not be drawn or written.
#[derive(Debug, thiserror::Error)]
pub enum ChartError {
    /// Drawing failed.
    #[error("cannot draw the {chart} chart: {message}")]
    Draw {
        /// The chart.
        chart: &'static str,
        /// The backend's message.
        message: String,
    },
    /// The extension is neither .png nor .svg.
    #[error("{0}: charts are written as .png or .svg")]
    Extension(String),
    /// Writing failed, or the destination was refused.
    #[error(transparent)]
    Write(#[from] super::atomic::WriteError),
}

/// Draws `kind` as an SVG document.
pub fn svg(kind: ChartKind, data: &ChartData<'_>) -> Result<String, ChartError> {
    style::register_fonts();
    let mut out = String::new();
    {
        let root = SVGBackend::with_string(&mut out, SIZE).into_drawing_area();
        draw::chart(kind, data, &root)?;
        root.present().map_err(|e| draw::err(kind, e))?;
    }
    Ok(out)
}

/// Draws `kind` as a PNG file at `path` (overwriting it; callers pass a temporary path).
fn png_file(kind: ChartKind, data: &ChartData<'_>, path: &Path) -> Result<(), ChartError> {
    style::register_fonts();
    let root = BitMapBackend::new(path, SIZE).into_drawing_area();
    draw::chart(kind, data, &root)?;
    root.present().map_err(|e| draw::err(kind, e))
}

/// Draws `kind` into a new file at `path`, as PNG or SVG by its extension. An existing file is
/// never replaced: see [`save`].
pub fn write(kind: ChartKind, data: &ChartData<'_>, path: &Path) -> Result<(), ChartError> {
    save(kind, data, path, false)
}

/// Draws `kind` into `path`, as PNG or SVG by its extension, through a temporary file beside it
/// put in place by a no-replace rename, or with `force` by a rename over an existing file
/// ([`super::atomic`]).
pub fn save(
    kind: ChartKind,
    data: &ChartData<'_>,
    path: &Path,
    force: bool,
) -> Result<(), ChartError> {
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase);
    match ext.as_deref() {
        Some("png") => {
            // The temporary file keeps the .png suffix: the bitmap encoder picks the format
            // from it.
            let staged = super::atomic::Staged::file(path)?;
            png_file(kind, data, staged.path())?;
            Ok(staged.commit(force)?)
        }
        Some("svg") => Ok(super::write_atomically(
            path,
            svg(kind, data)?.as_bytes(),
            force,
        )?),
        _ => Err(ChartError::Extension(path.display().to_string())),
    }
}

/// Draws a chart into `path`, as PNG (with `png`) or SVG (with `svg`) by its extension,
/// through a staged file as [`save`] does. Two closures because a drawing is generic over the
/// backend.
pub(crate) fn save_drawing(
    path: &Path,
    force: bool,
    png: impl FnOnce(&DrawingArea<BitMapBackend<'_>, plotters::coord::Shift>) -> Result<(), ChartError>,
    svg: impl FnOnce(&DrawingArea<SVGBackend<'_>, plotters::coord::Shift>) -> Result<(), ChartError>,
) -> Result<(), ChartError> {
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase);
    let fail = |e: &dyn std::fmt::Debug| ChartError::Draw {
        chart: "chart",
        message: format!("{e:?}"),
    };
    style::register_fonts();
    match ext.as_deref() {
        Some("png") => {
            let staged = super::atomic::Staged::file(path)?;
            {
                let root = BitMapBackend::new(staged.path(), SIZE).into_drawing_area();
                png(&root)?;
                root.present().map_err(|e| fail(&e))?;
            }
            Ok(staged.commit(force)?)
        }
        Some("svg") => {
            let mut out = String::new();
            {
                let root = SVGBackend::with_string(&mut out, SIZE).into_drawing_area();
                svg(&root)?;
                root.present().map_err(|e| fail(&e))?;
            }
            Ok(super::write_atomically(path, out.as_bytes(), force)?)
        }
        _ => Err(ChartError::Extension(path.display().to_string())),
    }
}

/// The outline of a band along x, from `(x, low, high)` points: along the highs, then back
/// along the lows, ready to fill as a polygon.
pub(crate) fn band_outline(pts: &[(f64, f64, f64)]) -> Vec<(f64, f64)> {
    pts.iter()
        .map(|p| (p.0, p.2))
        .chain(pts.iter().rev().map(|p| (p.0, p.1)))
        .collect()
}
