//! One drawing function per chart kind, generic over the backend (PNG or SVG).

use super::style::{
    policy_color, AXIS, BACKLOG, FONT, KIND_COLORS, LABEL, NOTE, PART_COLORS, PERCENTILE_COLORS,
    TITLE,
};
use super::{ChartData, ChartError, ChartKind, SIZE};
use crate::metrics::{Part, Trace, TracedItem};
use crate::model::Kind;
use crate::report::table::{fmt_big, fmt_num};
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

type Area<'a, DB> = DrawingArea<DB, Shift>;
type R = Result<(), ChartError>;

/// Converts a backend error into a [`ChartError`] naming the chart.
pub(super) fn err<E: std::fmt::Debug>(kind: ChartKind, e: E) -> ChartError {
    ChartError::Draw {
        chart: kind.name(),
        message: format!("{e:?}"),
    }
}

trait OrChart<T> {
    fn ck(self, kind: ChartKind) -> Result<T, ChartError>;
}

impl<T, E: std::fmt::Debug> OrChart<T> for Result<T, E> {
    fn ck(self, kind: ChartKind) -> Result<T, ChartError> {
        self.map_err(|e| err(kind, e))
    }
}

fn label_style() -> TextStyle<'static> {
    (FONT, LABEL).into_font().color(&BLACK)
}

/// Draws `kind` on `root`: title, body, footnote.
pub(super) fn chart<DB: DrawingBackend>(
    kind: ChartKind,
    d: &ChartData<'_>,
    root: &Area<'_, DB>,
) -> R {
    root.fill(&WHITE).ck(kind)?;
    let (body, foot) = root.split_vertically(SIZE.1 - 56);
    let traced = matches!(
        kind,
        ChartKind::Cfd
            | ChartKind::CycleTime
            | ChartKind::CycleTimeHistogram
            | ChartKind::LeadTimeHistogram
            | ChartKind::Throughput
            | ChartKind::ThroughputHistogram
            | ChartKind::Wip
            | ChartKind::AgingWip
    );
    let reps = d.comparison.policies.first().map_or(0, |p| p.replications);
    // A trace cut for its size (see `TraceBound`) is charted up to the last day it knows whole,
    // as if the run ended there, and the note says so.
    let horizon = d.scenario.stream.horizon;
    let until = d.trace.until(horizon);
    let shortened = (traced && until < horizon).then(|| {
        let mut sc = d.scenario.clone();
        sc.stream.horizon = until;
        sc
    });
    let note = if traced {
        let part = if shortened.is_some() {
            format!(" · days 0 to {until} of {horizon} (trace bounded)")
        } else {
            String::new()
        };
        format!(
            "One replication (replication 0, the same items for every policy) under policy {}{part} · seed {} · valueflow {}",
            d.traced_policy,
            d.scenario.seed,
            env!("CARGO_PKG_VERSION")
        )
    } else {
        format!(
            "{reps} replications per policy on common random numbers · seed {} · valueflow {}",
            d.scenario.seed,
            env!("CARGO_PKG_VERSION")
        )
    };
    foot.draw_text(
        &note,
        &(FONT, NOTE).into_font().color(&RGBColor(90, 90, 90)),
        (40, 14),
    )
    .ck(kind)?;
    let mut title = format!("{} · {}", kind.title(), d.scenario.name);
    // A long scenario name shrinks the title rather than running it off the edge; past the
    // smallest size, the name is cut (with "…") until the title fits.
    let fits = |t: &str, size: u32| -> Result<bool, ChartError> {
        let font: TextStyle = (FONT, size, FontStyle::Bold).into();
        Ok(root.estimate_text_size(t, &font).ck(kind)?.0 + 120 <= SIZE.0)
    };
    let mut size = TITLE;
    while size > 24 && !fits(&title, size)? {
        size -= 2;
    }
    let mut name: Vec<char> = d.scenario.name.chars().collect();
    while !fits(&title, size)? && !name.is_empty() {
        name.pop();
        title = format!(
            "{} · {}…",
            kind.title(),
            name.iter().collect::<String>().trim_end()
        );
    }
    let body = body
        .margin(18, 0, 0, 0)
        .titled(&title, (FONT, size, FontStyle::Bold))
        .ck(kind)?;
    let shortened_data = shortened.as_ref().map(|scenario| ChartData {
        scenario,
        comparison: d.comparison,
        traced_policy: d.traced_policy,
        trace: d.trace,
        aging_day: d.aging_day,
    });
    let d = shortened_data.as_ref().unwrap_or(d);
    match kind {
        ChartKind::OutputVsOutcome => output_vs_outcome(root, &body, d, kind),
        ChartKind::ValueDifference => value_difference(root, &body, d, kind),
        ChartKind::ValueOverTime => value_over_time(&body, d, kind),
        ChartKind::Cfd => cfd(&body, d, kind),
        ChartKind::CycleTime => cycle_time(root, &body, d, kind),
        ChartKind::CycleTimeHistogram => {
            let times = d.trace.items.iter().filter_map(TracedItem::cycle_time);
            let axis = "Cycle time (days, commitment to delivery)";
            time_histogram(root, &body, times.collect(), axis, kind)
        }
        ChartKind::LeadTimeHistogram => {
            let times = d.trace.items.iter().filter_map(TracedItem::lead_time);
            let axis = "Lead time (days, arrival to delivery)";
            time_histogram(root, &body, times.collect(), axis, kind)
        }
        ChartKind::Throughput => throughput(&body, d, kind),
        ChartKind::ThroughputHistogram => throughput_histogram(root, &body, d, kind),
        ChartKind::Wip => wip(root, &body, d, kind),
        ChartKind::AgingWip => aging_wip(root, &body, d, kind),
        ChartKind::ValueDistribution => value_distribution(root, &body, d, kind),
        ChartKind::FlowDistribution => flow_distribution(&body, d, kind),
        ChartKind::WhereTimeGoes => where_time_goes(root, &body, d, kind),
        ChartKind::Stages => stages(root, &body, d, kind),
        ChartKind::KeyResults => key_results(root, &body, d, kind),
    }
}

/// Writes category names under an f64 x axis whose categories sit at 0, 1, 2...
fn category_labels<DB: DrawingBackend, Y: Ranged<ValueType = f64>>(
    root: &Area<'_, DB>,
    chart: &ChartContext<'_, DB, Cartesian2d<plotters::coord::types::RangedCoordf64, Y>>,
    names: &[String],
    y0: f64,
    kind: ChartKind,
) -> R {
    let style = label_style().pos(Pos::new(HPos::Center, VPos::Top));
    for (i, name) in names.iter().enumerate() {
        let (x, y) = chart.backend_coord(&(i as f64, y0));
        for (l, line) in wrap_name(name).iter().enumerate() {
            root.draw_text(line, &style, (x, y + 10 + 28 * l as i32))
                .ck(kind)?;
        }
    }
    Ok(())
}

/// A vertical whisker from `lo` to `hi` at `x`, with caps `cap` wide either side.
fn whisker(x: f64, lo: f64, hi: f64, cap: f64) -> Vec<PathElement<(f64, f64)>> {
    let style = BLACK.stroke_width(3);
    vec![
        PathElement::new(vec![(x, lo), (x, hi)], style),
        PathElement::new(vec![(x - cap, lo), (x + cap, lo)], style),
        PathElement::new(vec![(x - cap, hi), (x + cap, hi)], style),
    ]
}

/// Tick labels: whole numbers without decimals, others with as many as they deserve and no
/// trailing zeros ("0.5", "1.5", not "0.500", "1.50").
fn tick(v: &f64) -> String {
    if v.abs() >= 1e6 {
        // Seven digits and more read better with a suffix: 2.50M, 1.20B.
        fmt_big(Some(*v))
    } else if v.fract() == 0.0 {
        format!("{v:.0}")
    } else if v.abs() < 1e-6 {
        format!("{v:.2e}")
    } else {
        // Below 0.01, three significant digits (a 0.001-day axis reads 0.0002, 0.0004, not
        // 0, 0, 0.001); above, the table's precision.
        let s = if v.abs() < 0.01 {
            let decimals = (2.0 - v.abs().log10().floor()) as usize;
            format!("{v:.decimals$}")
        } else {
            fmt_num(Some(*v))
        };
        if s.contains('.') {
            s.trim_end_matches('0').trim_end_matches('.').to_string()
        } else {
            s
        }
    }
}

/// A label of a panel of large amounts (`big`: 2.5M, 468k), or a plain tick; below 10 the
/// amounts read as ticks, which keep their digits (`fmt_big` rounds 0.4 to "0").
fn big_or_tick(v: f64, big: bool) -> String {
    if big && v.abs() >= 10.0 {
        fmt_big(Some(v))
    } else if big && v.abs() < 1e-12 {
        // The axis's zero, give or take its arithmetic (-2.2e-16).
        "0".to_string()
    } else {
        tick(&v)
    }
}

/// Splits a long hyphenated name over two lines so neighbouring labels do not collide.
fn wrap_name(name: &str) -> Vec<String> {
    match name.rfind('-') {
        Some(i) if name.len() > 12 => vec![name[..=i].to_string(), name[i + 1..].to_string()],
        _ => vec![name.to_string()],
    }
}

fn max_or(values: impl Iterator<Item = f64>, floor: f64) -> f64 {
    values.filter(|v| v.is_finite()).fold(floor, f64::max)
}

fn names(d: &ChartData<'_>) -> Vec<String> {
    d.comparison
        .policies
        .iter()
        .map(|p| p.policy.clone())
        .collect()
}

/// One panel of bars per policy with 95% whiskers.
struct Panel<'a> {
    caption: &'a str,
    y_desc: &'a str,
    /// (mean, 95% half-width) per policy.
    values: Vec<(f64, Option<f64>)>,
    /// Values are amounts of money (k/M suffixes).
    big: bool,
    /// The metric cannot be negative (a count): its whiskers stop at 0.
    non_negative: bool,
}

fn bar_panel<DB: DrawingBackend>(
    root: &Area<'_, DB>,
    area: &Area<'_, DB>,
    d: &ChartData<'_>,
    kind: ChartKind,
    panel: Panel<'_>,
) -> R {
    let Panel {
        caption,
        y_desc,
        values,
        big,
        non_negative,
    } = panel;
    // The low end of a whisker: never below 0 for a metric that cannot be negative.
    let floor = if non_negative { 0.0 } else { f64::NEG_INFINITY };
    let low = |m: f64, c: Option<f64>| (m - c.unwrap_or(0.0)).max(floor);
    let names = names(d);
    // Room above the highest whisker and, where a value is negative (penalties, the cost of
    // expediting), below the lowest, for the labels; halved so that the span stays finite.
    let grow = |v: f64| (v * 1.18).clamp(-f64::MAX / 2.0, f64::MAX / 2.0);
    let highest = max_or(values.iter().map(|(m, c)| m + c.unwrap_or(0.0)), 0.0);
    let lowest = -max_or(values.iter().map(|&(m, c)| -low(m, c)), 0.0);
    // As the top is at least 1, the bottom of a negative axis is at most -1: a tiny negative
    // value would otherwise be ticked "-0" all the way down.
    let bottom = if lowest < 0.0 {
        grow(lowest.min(-1.0))
    } else {
        0.0
    };
    let top = if lowest < 0.0 && highest <= 0.0 {
        -bottom * 0.05
    } else {
        grow(highest.max(1.0))
    };
    let pad = top * 0.02 - bottom * 0.02;
    let mut chart = ChartBuilder::on(area)
        .caption(caption, (FONT, AXIS))
        .margin(20)
        .x_label_area_size(60)
        .y_label_area_size(130)
        .build_cartesian_2d(-0.6f64..(values.len() as f64 - 0.4), bottom..top)
        .ck(kind)?;
    chart
        .configure_mesh()
        .disable_x_mesh()
        .x_labels(0)
        .y_desc(y_desc)
        .y_label_formatter(&|v| big_or_tick(*v, big))
        .label_style(label_style())
        .axis_desc_style((FONT, AXIS))
        .draw()
        .ck(kind)?;
    for (i, &(mean, ci)) in values.iter().enumerate() {
        let x = i as f64;
        let color = policy_color(&names[i], i);
        chart
            .draw_series(std::iter::once(Rectangle::new(
                [(x - 0.32, 0.0), (x + 0.32, mean)],
                color.filled(),
            )))
            .ck(kind)?;
        if let Some(c) = ci {
            chart
                .draw_series(whisker(x, low(mean, ci), mean + c, 0.1))
                .ck(kind)?;
        }
        let text = if big && mean.abs() >= 10.0 {
            fmt_big(Some(mean))
        } else if big {
            tick(&mean)
        } else {
            fmt_num(Some(mean))
        };
        // Above the bar's whisker, or below it for a negative value.
        let (at, v) = if mean < 0.0 {
            (low(mean, ci) - pad, VPos::Top)
        } else {
            (mean + ci.unwrap_or(0.0) + pad, VPos::Bottom)
        };
        chart
            .draw_series(std::iter::once(Text::new(
                text,
                (x, at),
                label_style().pos(Pos::new(HPos::Center, v)),
            )))
            .ck(kind)?;
    }
    category_labels(root, &chart, &names, bottom, kind)
}

fn output_vs_outcome<DB: DrawingBackend>(
    root: &Area<'_, DB>,
    body: &Area<'_, DB>,
    d: &ChartData<'_>,
    kind: ChartKind,
) -> R {
    let (left, right) = body.split_horizontally(SIZE.0 / 2);
    let items: Vec<(f64, Option<f64>)> = d
        .comparison
        .policies
        .iter()
        .map(|p| {
            (
                p.outcomes.items_delivered.mean.unwrap_or(0.0),
                p.outcomes.items_delivered.ci95,
            )
        })
        .collect();
    let value: Vec<(f64, Option<f64>)> = d
        .comparison
        .policies
        .iter()
        .map(|p| {
            (
                p.outcomes.value_realised.mean.unwrap_or(0.0),
                p.outcomes.value_realised.ci95,
            )
        })
        .collect();
    let output = Panel {
        caption: "Output: items delivered",
        y_desc: "Items delivered per replication",
        values: items,
        big: false,
        non_negative: true,
    };
    bar_panel(root, &left, d, kind, output)?;
    if value.iter().all(|v| v.0 == 0.0) {
        // No value modelled: a panel of zeros would read as "no policy did anything"; say why
        // instead.
        let (w, h) = right.dim_in_pixel();
        let style = (FONT, AXIS)
            .into_font()
            .color(&RGBColor(60, 60, 60))
            .pos(Pos::new(HPos::Center, VPos::Center));
        for (k, line) in [
            "Outcome: no value is modelled",
            "in this scenario, so policies",
            "are compared by items delivered.",
            "Give work types or epics a value",
            "to see the outcome here.",
        ]
        .iter()
        .enumerate()
        {
            right
                .draw_text(
                    line,
                    &style,
                    (w as i32 / 2, h as i32 / 2 - 90 + 44 * k as i32),
                )
                .ck(kind)?;
        }
        return Ok(());
    }
    let outcome = Panel {
        caption: "Outcome: value realised",
        y_desc: "Value realised by the horizon",
        values: value,
        big: true,
        non_negative: false,
    };
    bar_panel(root, &right, d, kind, outcome)
}

/// The proof chart: each policy's paired difference in cumulative value realised against the
/// baseline, by checkpoint day, with its 95% interval.
fn value_difference<DB: DrawingBackend>(
    root: &Area<'_, DB>,
    body: &Area<'_, DB>,
    d: &ChartData<'_>,
    kind: ChartKind,
) -> R {
    let cmp = d.comparison;
    let days = &d.scenario.stream.checkpoints;
    let h = d.scenario.stream.horizon;
    let base = &cmp.policies[cmp.baseline].policy;
    // (day, mean, low, high) per non-baseline policy, from day 0 (no difference yet).
    type Band = Vec<(f64, f64, f64, f64)>;
    let series: Vec<(usize, Band)> = cmp
        .differences
        .iter()
        .enumerate()
        .filter(|(i, _)| *i != cmp.baseline)
        .map(|(i, diff)| {
            let mut pts = vec![(0.0, 0.0, 0.0, 0.0)];
            pts.extend(days.iter().zip(&diff.value_at).filter_map(|(&t, s)| {
                let m = s.mean?;
                let c = s.ci95.unwrap_or(0.0);
                Some((t, m, m - c, m + c))
            }));
            (i, pts)
        })
        .collect();
    let (lo, hi) = series
        .iter()
        .flat_map(|(_, p)| p.iter())
        .fold((0.0f64, 0.0f64), |(lo, hi), p| (lo.min(p.2), hi.max(p.3)));
    let pad = ((hi - lo) * 0.08).max(1.0);
    let (legend_area, body) = body.split_vertically(44);
    let entries: Vec<(String, Mark)> = series
        .iter()
        .map(|(i, _)| {
            let name = &cmp.policies[*i].policy;
            (
                format!("{name} − {base}"),
                Mark::Line(policy_color(name, *i)),
            )
        })
        .chain(std::iter::once((
            format!("{base} (baseline, zero)"),
            Mark::Dashed(BLACK),
        )))
        .collect();
    legend_row(&legend_area, (60, 22), &entries, kind)?;
    let mut chart = ChartBuilder::on(&body)
        .margin(30)
        .x_label_area_size(90)
        .y_label_area_size(150)
        .build_cartesian_2d(0f64..h, (lo - pad)..(hi + pad))
        .ck(kind)?;
    chart
        .configure_mesh()
        .x_desc("Day")
        .y_desc(format!("Value realised minus {base}'s (paired)"))
        .y_label_formatter(&|v| fmt_big(Some(*v)))
        .x_label_formatter(&tick)
        .label_style(label_style())
        .axis_desc_style((FONT, AXIS))
        .draw()
        .ck(kind)?;
    chart
        .draw_series(DashedLineSeries::new(
            vec![(0.0, 0.0), (h, 0.0)],
            14,
            10,
            BLACK.stroke_width(3),
        ))
        .ck(kind)?;
    // Every band first, faint, then every line on top: no band hides a line, and each line
    // keeps its legend colour.
    for (i, pts) in &series {
        let color = policy_color(&cmp.policies[*i].policy, *i);
        let band = super::band_outline(&pts.iter().map(|v| (v.0, v.2, v.3)).collect::<Vec<_>>());
        chart
            .draw_series(std::iter::once(Polygon::new(
                band,
                color.mix(0.12).filled(),
            )))
            .ck(kind)?;
    }
    for (i, pts) in &series {
        let color = policy_color(&cmp.policies[*i].policy, *i);
        for edge in [2usize, 3] {
            chart
                .draw_series(DashedLineSeries::new(
                    pts.iter()
                        .map(move |v| (v.0, if edge == 2 { v.2 } else { v.3 })),
                    6,
                    6,
                    color.stroke_width(1),
                ))
                .ck(kind)?;
        }
        chart
            .draw_series(LineSeries::new(
                pts.iter().map(|v| (v.0, v.1)),
                color.stroke_width(5),
            ))
            .ck(kind)?;
    }
    // The final difference, written at the right end of each line.
    for (i, pts) in &series {
        if let Some(last) = pts.last() {
            let color = policy_color(&cmp.policies[*i].policy, *i);
            let (x, y) = chart.backend_coord(&(last.0, last.1));
            root.draw_text(
                &format!(
                    "{}{}",
                    if last.1 > 0.0 { "+" } else { "" },
                    fmt_big(Some(last.1))
                ),
                &(FONT, LABEL)
                    .into_font()
                    .color(&color)
                    .pos(Pos::new(HPos::Right, VPos::Bottom)),
                (x - 6, y - 6),
            )
            .ck(kind)?;
        }
    }
    Ok(())
}

/// Small multiples: one panel per policy, on one scale, so no band hides another line.
fn value_over_time<DB: DrawingBackend>(
    body: &Area<'_, DB>,
    d: &ChartData<'_>,
    kind: ChartKind,
) -> R {
    let h = d.scenario.stream.horizon;
    let pts = |p: &crate::experiment::RunSummary| p.outcomes.value_over_time.clone();
    let top = max_or(
        d.comparison
            .policies
            .iter()
            .flat_map(|p| pts(p).into_iter().map(|v| v.3)),
        1.0,
    ) * 1.05;
    let bottom = d
        .comparison
        .policies
        .iter()
        .flat_map(|p| pts(p).into_iter().map(|v| v.1))
        .filter(|v| v.is_finite())
        .fold(0.0, f64::min);
    let n = d.comparison.policies.len().max(1);
    let cols = n.min(4);
    let rows = n.div_ceil(cols);
    let panels = body.margin(10, 10, 10, 10).split_evenly((rows, cols));
    for (i, (p, panel)) in d.comparison.policies.iter().zip(panels.iter()).enumerate() {
        let color = policy_color(&p.policy, i);
        let mut chart = ChartBuilder::on(panel)
            .margin(12)
            .caption(&p.policy, (FONT, AXIS).into_font().color(&color))
            .x_label_area_size(50)
            .y_label_area_size(if i % cols == 0 { 120 } else { 60 })
            .build_cartesian_2d(0f64..h, bottom..top)
            .ck(kind)?;
        let mut mesh = chart.configure_mesh();
        if i % cols == 0 {
            mesh.y_desc("Cumulative value realised");
        }
        if i / cols == rows - 1 {
            mesh.x_desc("Day");
        }
        mesh.x_labels(4)
            .y_labels(5)
            .axis_desc_style((FONT, 22))
            .y_label_formatter(&|v| fmt_big(Some(*v)))
            .x_label_formatter(&tick)
            .label_style((FONT, 20).into_font().color(&BLACK))
            .light_line_style(RGBColor(238, 238, 238))
            .draw()
            .ck(kind)?;
        let mut series = vec![(0.0, 0.0, 0.0, 0.0)];
        series.extend(pts(p));
        let band = super::band_outline(&series.iter().map(|v| (v.0, v.1, v.3)).collect::<Vec<_>>());
        chart
            .draw_series(std::iter::once(Polygon::new(
                band,
                color.mix(0.25).filled(),
            )))
            .ck(kind)?;
        chart
            .draw_series(LineSeries::new(
                series.iter().map(|v| (v.0, v.2)),
                color.stroke_width(4),
            ))
            .ck(kind)?;
    }
    Ok(())
}

fn legend<'a, DB: DrawingBackend + 'a, X: Ranged, Y: Ranged>(
    chart: &mut ChartContext<'a, DB, Cartesian2d<X, Y>>,
    kind: ChartKind,
    pos: SeriesLabelPosition,
) -> R {
    chart
        .configure_series_labels()
        .position(pos)
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK)
        .label_font(label_style())
        .legend_area_size(60)
        .margin(16)
        .draw()
        .ck(kind)
}

/// How a legend entry drawn outside the plot is marked.
#[derive(Clone, Copy)]
enum Mark {
    Dot(RGBColor),
    Block(RGBColor),
    Line(RGBColor),
    Dashed(RGBColor),
}

/// Draws legend entries in one row from pixel `(x, y)` (`y` is the row's middle) of `root`.
/// Charts put it above the plot so that it never hides data.
fn legend_row<DB: DrawingBackend>(
    root: &Area<'_, DB>,
    (mut x, y): (i32, i32),
    entries: &[(String, Mark)],
    kind: ChartKind,
) -> R {
    let style = label_style().pos(Pos::new(HPos::Left, VPos::Center));
    for (text, mark) in entries {
        match *mark {
            Mark::Dot(c) => root.draw(&Circle::new((x + 17, y), 9, c.filled())),
            Mark::Block(c) => {
                root.draw(&Rectangle::new([(x, y - 12), (x + 34, y + 12)], c.filled()))
            }
            Mark::Line(c) => root.draw(&PathElement::new(
                vec![(x, y), (x + 34, y)],
                c.stroke_width(4),
            )),
            Mark::Dashed(c) => {
                root.draw(&PathElement::new(
                    vec![(x, y), (x + 12, y)],
                    c.stroke_width(4),
                ))
                .ck(kind)?;
                root.draw(&PathElement::new(
                    vec![(x + 22, y), (x + 34, y)],
                    c.stroke_width(4),
                ))
            }
        }
        .ck(kind)?;
        root.draw_text(text, &style, (x + 44, y)).ck(kind)?;
        let (w, _) = root.estimate_text_size(text, &style).ck(kind)?;
        x += 44 + w as i32 + 40;
    }
    Ok(())
}

/// Pixel bounds of a chart's plot: (left, right, top, bottom).
fn plot_box<DB: DrawingBackend, CT: CoordTranslate>(
    chart: &ChartContext<'_, DB, CT>,
) -> (i32, i32, i32, i32) {
    let (x, y) = chart.plotting_area().get_pixel_range();
    (x.start, x.end, y.start, y.end)
}

/// Labels horizontal lines in the margin right of the plot (`right` is the plot's right edge,
/// `lo..hi` the pixel rows labels may use). Each label sits level with its line unless it would
/// overlap a neighbour; then it moves just enough, and a leader joins it to its line, so
/// labels never cover the data or each other.
fn margin_labels<DB: DrawingBackend>(
    root: &Area<'_, DB>,
    right: i32,
    (lo, hi): (i32, i32),
    mut lines: Vec<(i32, String, RGBColor)>,
    kind: ChartKind,
) -> R {
    const GAP: i32 = 34;
    lines.sort_by_key(|l| l.0);
    let mut ys: Vec<i32> = lines.iter().map(|l| l.0.clamp(lo, hi)).collect();
    for i in 1..ys.len() {
        ys[i] = ys[i].max(ys[i - 1] + GAP);
    }
    let mut cap = hi;
    for y in ys.iter_mut().rev() {
        *y = (*y).min(cap);
        cap = *y - GAP;
    }
    for ((line_y, text, color), y) in lines.iter().zip(ys) {
        let leader = vec![
            (right, *line_y),
            (right + 12, *line_y),
            (right + 26, y),
            (right + 34, y),
        ];
        leader_label(root, leader, text, *color, (right + 40, y), kind)?;
    }
    Ok(())
}

/// A label left-aligned at `at`, joined to what it labels by the `leader` polyline.
fn leader_label<DB: DrawingBackend>(
    root: &Area<'_, DB>,
    leader: Vec<(i32, i32)>,
    text: &str,
    color: RGBColor,
    at: (i32, i32),
    kind: ChartKind,
) -> R {
    root.draw(&PathElement::new(leader, color.stroke_width(2)))
        .ck(kind)?;
    let style = label_style()
        .color(&color)
        .pos(Pos::new(HPos::Left, VPos::Center));
    root.draw_text(text, &style, at).ck(kind)
}

/// Height of one row of labels above a plot, in pixels.
const ROW: i32 = 32;

/// Labels vertical lines in rows above the plot (`top` is its upper edge), one row per line:
/// the leftmost line in the top row, the rightmost just above the plot. Each label starts just
/// right of its line, which a leader extends up to it; as lines further right sit in lower
/// rows, no leader crosses another label, and no two labels share a row.
fn row_labels<DB: DrawingBackend>(
    root: &Area<'_, DB>,
    top: i32,
    mut lines: Vec<(i32, String, RGBColor)>,
    kind: ChartKind,
) -> R {
    lines.sort_by_key(|l| l.0);
    let rows = lines.len() as i32;
    for (r, (x, text, color)) in lines.iter().enumerate() {
        let y = top - ROW / 2 - 4 - (rows - 1 - r as i32) * ROW;
        leader_label(
            root,
            vec![(*x, top), (*x, y)],
            text,
            *color,
            (x + 8, y),
            kind,
        )?;
    }
    Ok(())
}

/// The percentiles drawn on scatterplots, histograms and aging WIP (Vacanti 2015).
const PERCENTILES: [(f64, &str); 3] = [(0.5, "50%"), (0.85, "85%"), (0.95, "95%")];

/// A percentile label, always to one decimal so the three line up: "85%: 12.3 days".
fn days_label(label: &str, days: f64) -> String {
    format!("{label}: {days:.1} days")
}

/// Writes `text` in the middle of the plot (charts with nothing to show).
fn plot_message<DB: DrawingBackend>(
    root: &Area<'_, DB>,
    (left, right, top, bottom): (i32, i32, i32, i32),
    text: &str,
    kind: ChartKind,
) -> R {
    let style = (FONT, AXIS)
        .into_font()
        .color(&BLACK)
        .pos(Pos::new(HPos::Center, VPos::Center));
    root.draw_text(text, &style, ((left + right) / 2, (top + bottom) / 2))
        .ck(kind)
}

/// The width in pixels of the widest of `texts` in the label style.
fn widest<DB: DrawingBackend>(
    area: &Area<'_, DB>,
    texts: &[String],
    kind: ChartKind,
) -> Result<i32, ChartError> {
    let mut w = 0;
    for t in texts {
        w = w.max(area.estimate_text_size(t, &label_style()).ck(kind)?.0 as i32);
    }
    Ok(w)
}

/// Left margin plus y label area of the charts with labels above the plot, in pixels.
const PLOT_LEFT: i32 = 30 + 120;

/// The right margin that lets each label, starting just right of a vertical line at fraction
/// `f` of the plot's width, end inside the chart: `labels` holds (f, label width) pairs and the
/// chart area is `width` pixels wide. A line near the right edge needs the whole label's width;
/// one further left needs less.
fn right_margin(width: i32, labels: &[(f64, i32)]) -> i32 {
    let mut margin = 40;
    // Each pass narrows the plot, so labels need a little more room; a few passes settle it.
    for _ in 0..5 {
        let plot = f64::from(width - PLOT_LEFT - margin);
        margin = labels
            .iter()
            .map(|&(f, w)| w + 30 - ((1.0 - f.clamp(0.0, 1.0)) * plot) as i32)
            .fold(40, i32::max);
    }
    margin + 10
}

/// Days sampled for charts of one replication.
fn grid(h: f64, n: usize) -> Vec<f64> {
    (0..=n).map(|i| h * i as f64 / n as f64).collect()
}

fn cfd<DB: DrawingBackend>(body: &Area<'_, DB>, d: &ChartData<'_>, kind: ChartKind) -> R {
    let vs = &d.scenario.stream;
    let t: &Trace = d.trace;
    let days = grid(vs.horizon, 240);
    let n = vs.stages.len();
    let c = vs.commitment.min(n.saturating_sub(1));
    let count = |f: &dyn Fn(&TracedItem, f64) -> bool| -> Vec<f64> {
        days.iter()
            .map(|&day| t.items.iter().filter(|it| f(it, day)).count() as f64)
            .collect()
    };
    let live = |it: &TracedItem, day: f64| it.dropped.is_none_or(|x| x > day);
    // Cumulative lines, top to bottom: arrived, committed (entered the commitment stage),
    // entered each later stage, done. The band under "arrived" is the backlog: every item not
    // yet committed, including any in stages before the commitment point, which are options
    // rather than work the team has started (Kanban Method).
    let mut lines: Vec<(String, Vec<f64>, RGBColor)> = vec![(
        "backlog (not yet committed)".into(),
        count(&|it, day| it.arrival <= day && live(it, day)),
        BACKLOG,
    )];
    let palette = stage_palette(n - c + 1);
    for s in c..n {
        let entered = if s == c {
            count(&|it, day| it.committed.is_some_and(|x| x <= day) && live(it, day))
        } else {
            count(&|it, day| it.entered[s] <= day && live(it, day))
        };
        lines.push((vs.stages[s].name.clone(), entered, palette[s - c]));
    }
    lines.push((
        "done".into(),
        count(&|it, day| it.delivered.is_some_and(|x| x <= day)),
        palette[n - c],
    ));
    let top = max_or(lines[0].1.iter().copied(), 1.0) * 1.05;
    let mut chart = ChartBuilder::on(body)
        .margin(30)
        .x_label_area_size(90)
        .y_label_area_size(120)
        .build_cartesian_2d(0f64..vs.horizon, 0f64..top)
        .ck(kind)?;
    chart
        .configure_mesh()
        .x_desc("Day")
        .y_desc("Cumulative items")
        .x_label_formatter(&tick)
        .y_label_formatter(&tick)
        .label_style(label_style())
        .axis_desc_style((FONT, AXIS))
        .draw()
        .ck(kind)?;
    for (name, ys, color) in &lines {
        let color = *color;
        chart
            .draw_series(AreaSeries::new(
                days.iter().copied().zip(ys.iter().copied()),
                0.0,
                color.filled(),
            ))
            .ck(kind)?
            .label(name.clone())
            .legend(move |(x, y)| Rectangle::new([(x, y - 10), (x + 30, y + 10)], color.filled()));
    }
    legend(&mut chart, kind, SeriesLabelPosition::UpperLeft)
}

/// Distinct hues for the stage bands, ending with grey for "done": neighbouring bands must
/// never look alike on a projector. The stages take Okabe-Ito hues (safe for the common
/// colour-vision deficiencies) in an order that alternates light and dark; past seven stages
/// the hues repeat, so bands seven apart share a colour (the legend names each).
fn stage_palette(n: usize) -> Vec<RGBColor> {
    const HUES: [RGBColor; 7] = [
        RGBColor(86, 180, 233),  // sky blue
        RGBColor(0, 114, 178),   // blue
        RGBColor(0, 158, 115),   // bluish green
        RGBColor(204, 121, 167), // reddish purple
        RGBColor(213, 94, 0),    // vermillion
        RGBColor(240, 228, 66),  // yellow
        RGBColor(120, 60, 150),  // purple
    ];
    (0..n)
        .map(|i| {
            if i + 1 == n {
                RGBColor(110, 110, 110)
            } else {
                HUES[i % HUES.len()]
            }
        })
        .collect()
}

fn percentile(sorted: &[f64], q: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let rank = ((q * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
    sorted[rank - 1]
}

fn cycle_time<DB: DrawingBackend>(
    root: &Area<'_, DB>,
    body: &Area<'_, DB>,
    d: &ChartData<'_>,
    kind: ChartKind,
) -> R {
    let vs = &d.scenario.stream;
    // Cycle time, the team's view: from the commitment point to delivery (Vacanti 2015).
    let done: Vec<(f64, f64, Kind)> = d
        .trace
        .items
        .iter()
        .filter_map(|it| Some((it.delivered?, it.cycle_time()?, it.kind)))
        .collect();
    let mut cycles: Vec<f64> = done.iter().map(|x| x.1).collect();
    cycles.sort_by(f64::total_cmp);
    let top = max_or(cycles.iter().copied(), 1.0) * 1.08;
    let marks: Vec<(f64, String)> = PERCENTILES
        .iter()
        .map(|&(q, label)| {
            let y = percentile(&cycles, q);
            (y, days_label(label, y))
        })
        .collect();
    let texts: Vec<String> = marks.iter().map(|m| m.1.clone()).collect();
    // Room right of the plot for the percentile labels and their leaders.
    let margin = widest(body, &texts, kind)? + 60;
    let mut chart = ChartBuilder::on(body)
        .margin(30)
        .margin_top(70)
        .margin_right(margin)
        .x_label_area_size(90)
        .y_label_area_size(120)
        .build_cartesian_2d(0f64..vs.horizon, 0f64..top)
        .ck(kind)?;
    chart
        .configure_mesh()
        .x_desc("Completion day")
        .y_desc("Cycle time (days, commitment to delivery)")
        .x_label_formatter(&tick)
        .y_label_formatter(&tick)
        .label_style(label_style())
        .axis_desc_style((FONT, AXIS))
        .draw()
        .ck(kind)?;
    let bounds = plot_box(&chart);
    let mut entries = Vec::new();
    for k in Kind::ALL {
        let pts: Vec<(f64, f64)> = done
            .iter()
            .filter(|x| x.2 == k)
            .map(|x| (x.0, x.1))
            .collect();
        if pts.is_empty() {
            continue;
        }
        let color = KIND_COLORS[k.index()];
        chart
            .draw_series(
                pts.into_iter()
                    .map(|p| Circle::new(p, 6, color.mix(0.8).filled())),
            )
            .ck(kind)?;
        entries.push((k.name().to_string(), Mark::Dot(color)));
    }
    if done.is_empty() {
        return plot_message(
            root,
            bounds,
            "No item was delivered in this replication.",
            kind,
        );
    }
    let mut labels = Vec::new();
    for (y, text) in marks {
        chart
            .draw_series(LineSeries::new(
                vec![(0.0, y), (vs.horizon, y)],
                BLACK.stroke_width(2),
            ))
            .ck(kind)?;
        labels.push((chart.backend_coord(&(vs.horizon, y)).1, text, BLACK));
    }
    // Labels sit in the right margin, outside the dots.
    // Kept half a label clear of the plot's corners, where the axes' tick labels are.
    margin_labels(root, bounds.1, (bounds.2 + 14, bounds.3 - 14), labels, kind)?;
    legend_row(root, (bounds.0, bounds.2 - 34), &entries, kind)
}

/// Bin width for a histogram of values up to `max`: the smallest of 0.25, 0.5, 1, 2, 5, 10,
/// 20, 50... days that needs at most 40 bins.
fn bin_width(max: f64) -> f64 {
    let decades = (0..13).flat_map(|e| [1.0, 2.0, 5.0].map(|m| m * 10f64.powi(e)));
    [0.25, 0.5]
        .into_iter()
        .chain(decades)
        .find(|w| (max / w).floor() < 40.0)
        .unwrap_or(max / 39.0)
}

/// A histogram of times in days (cycle or lead times of the traced replication) with the
/// 50th, 85th and 95th percentiles as vertical lines (Vacanti 2015).
/// The bars of a histogram: bin `i` of `counts` spans `x0 + i w` to `x0 + (i + 1) w`, drawn
/// with a small gap on each side; empty bins draw nothing.
pub(super) fn histogram_bars(
    counts: &[u32],
    x0: f64,
    w: f64,
    color: RGBColor,
) -> impl Iterator<Item = Rectangle<(f64, f64)>> + '_ {
    let gap = w * 0.06;
    counts
        .iter()
        .enumerate()
        .filter(|(_, &c)| c > 0)
        .map(move |(i, &c)| {
            let x = x0 + i as f64 * w;
            Rectangle::new(
                [(x + gap, 0.0), (x + w - gap, f64::from(c))],
                color.filled(),
            )
        })
}

fn time_histogram<DB: DrawingBackend>(
    root: &Area<'_, DB>,
    body: &Area<'_, DB>,
    mut times: Vec<f64>,
    axis: &str,
    kind: ChartKind,
) -> R {
    times.retain(|t| t.is_finite());
    times.sort_by(f64::total_cmp);
    let max = times.last().copied().unwrap_or(1.0).max(1.0);
    let w = bin_width(max);
    let bins = (max / w).floor() as usize + 1;
    let mut counts = vec![0u32; bins];
    for &t in &times {
        counts[((t.max(0.0) / w) as usize).min(bins - 1)] += 1;
    }
    let top = f64::from(counts.iter().copied().max().unwrap_or(0).max(1)) * 1.08;
    let right = bins as f64 * w;
    let marks: Vec<(f64, String)> = PERCENTILES
        .iter()
        .map(|&(q, label)| {
            let x = percentile(&times, q);
            (x, days_label(label, x))
        })
        .collect();
    let mut room = Vec::new();
    for (x, text) in &marks {
        room.push((x / right, widest(body, std::slice::from_ref(text), kind)?));
    }
    let margin = right_margin(body.dim_in_pixel().0 as i32, &room);
    let mut chart = ChartBuilder::on(body)
        .margin(30)
        .margin_top(30 + ROW * PERCENTILES.len() as i32)
        .margin_right(margin)
        .x_label_area_size(90)
        .y_label_area_size(120)
        .build_cartesian_2d(0f64..right, 0f64..top)
        .ck(kind)?;
    let bin = if w == 1.0 {
        "bins of 1 day".to_string()
    } else {
        format!("bins of {} days", tick(&w))
    };
    chart
        .configure_mesh()
        .disable_x_mesh()
        .x_desc(format!("{axis}; {bin}"))
        .y_desc(format!("Items ({} delivered)", times.len()))
        .x_label_formatter(&tick)
        .y_label_formatter(&|v| {
            if v.fract() == 0.0 {
                tick(v)
            } else {
                String::new()
            }
        })
        .label_style(label_style())
        .axis_desc_style((FONT, AXIS))
        .draw()
        .ck(kind)?;
    let bounds = plot_box(&chart);
    if times.is_empty() {
        return plot_message(
            root,
            bounds,
            "No item was delivered in this replication.",
            kind,
        );
    }
    chart
        .draw_series(histogram_bars(&counts, 0.0, w, KIND_COLORS[0]))
        .ck(kind)?;
    let mut labels = Vec::new();
    for ((x, text), color) in marks.into_iter().zip(PERCENTILE_COLORS) {
        chart
            .draw_series(LineSeries::new(
                vec![(x, 0.0), (x, top)],
                color.stroke_width(3),
            ))
            .ck(kind)?;
        labels.push((chart.backend_coord(&(x, top)).0, text, color));
    }
    row_labels(root, bounds.2, labels, kind)
}

fn throughput_histogram<DB: DrawingBackend>(
    root: &Area<'_, DB>,
    body: &Area<'_, DB>,
    d: &ChartData<'_>,
    kind: ChartKind,
) -> R {
    // Whole weeks only, so a short last week does not count as a slow one.
    let h = d.scenario.stream.horizon;
    let weeks = ((h / 7.0).floor() as usize).max(1);
    let end = if h >= 7.0 { weeks as f64 * 7.0 } else { h };
    let mut per_week = vec![0u32; weeks];
    for day in d.trace.items.iter().filter_map(|it| it.delivered) {
        if day < end {
            per_week[((day / 7.0) as usize).min(weeks - 1)] += 1;
        }
    }
    let most = per_week.iter().copied().max().unwrap_or(0) as usize;
    let mut hist = vec![0u32; most + 1];
    for &c in &per_week {
        hist[c as usize] += 1;
    }
    let top = f64::from(hist.iter().copied().max().unwrap_or(1).max(1)) * 1.08;
    let mut sorted: Vec<f64> = per_week.iter().map(|&c| f64::from(c)).collect();
    sorted.sort_by(f64::total_cmp);
    // The count 85% of weeks reached (the 15th percentile; a planning figure with 85%
    // confidence, as for cycle times) and the median week.
    let lines: Vec<(f64, String, RGBColor)> = [
        (0.15, "85% of weeks: at least", PERCENTILE_COLORS[1]),
        (0.5, "median week:", PERCENTILE_COLORS[0]),
    ]
    .into_iter()
    .map(|(q, text, color)| {
        let x = percentile(&sorted, q);
        let items = if x.round() == 1.0 { "item" } else { "items" };
        (x, format!("{text} {x:.0} {items}"), color)
    })
    .collect();
    let span = most as f64 + 1.2;
    let mut room = Vec::new();
    for (x, text, _) in &lines {
        room.push((
            (x + 0.6) / span,
            widest(body, std::slice::from_ref(text), kind)?,
        ));
    }
    let margin = right_margin(body.dim_in_pixel().0 as i32, &room);
    let mut chart = ChartBuilder::on(body)
        .margin(30)
        .margin_top(30 + ROW * 2)
        .margin_right(margin)
        .x_label_area_size(90)
        .y_label_area_size(120)
        .build_cartesian_2d(-0.6f64..(span - 0.6), 0f64..top)
        .ck(kind)?;
    let whole = |v: &f64| {
        if v.fract() == 0.0 && *v >= 0.0 {
            tick(v)
        } else {
            String::new()
        }
    };
    chart
        .configure_mesh()
        .disable_x_mesh()
        .x_desc("Items delivered in a week")
        .y_desc(format!("Weeks (of {weeks})"))
        .x_label_formatter(&whole)
        .y_label_formatter(&whole)
        .label_style(label_style())
        .axis_desc_style((FONT, AXIS))
        .draw()
        .ck(kind)?;
    let color = KIND_COLORS[0];
    chart
        .draw_series(
            hist.iter()
                .enumerate()
                .filter(|(_, &n)| n > 0)
                .map(|(k, &n)| {
                    let x = k as f64;
                    Rectangle::new([(x - 0.4, 0.0), (x + 0.4, f64::from(n))], color.filled())
                }),
        )
        .ck(kind)?;
    let mut labels = Vec::new();
    for (x, text, color) in lines {
        chart
            .draw_series(LineSeries::new(
                vec![(x, 0.0), (x, top)],
                color.stroke_width(3),
            ))
            .ck(kind)?;
        labels.push((chart.backend_coord(&(x, top)).0, text, color));
    }
    row_labels(root, plot_box(&chart).2, labels, kind)
}

fn throughput<DB: DrawingBackend>(body: &Area<'_, DB>, d: &ChartData<'_>, kind: ChartKind) -> R {
    let weeks = (d.scenario.stream.horizon / 7.0).ceil().max(1.0) as usize;
    let mut counts = vec![0u32; weeks];
    for it in &d.trace.items {
        if let Some(day) = it.delivered {
            counts[((day / 7.0) as usize).min(weeks - 1)] += 1;
        }
    }
    let top = f64::from(counts.iter().copied().max().unwrap_or(1).max(1)) * 1.15;
    let mut chart = ChartBuilder::on(body)
        .margin(30)
        .x_label_area_size(90)
        .y_label_area_size(120)
        .build_cartesian_2d(0f64..weeks as f64, 0f64..top)
        .ck(kind)?;
    chart
        .configure_mesh()
        .disable_x_mesh()
        .x_desc("Week")
        .y_desc("Items delivered per week")
        .x_label_formatter(&tick)
        .y_label_formatter(&tick)
        .label_style(label_style())
        .axis_desc_style((FONT, AXIS))
        .draw()
        .ck(kind)?;
    let color = KIND_COLORS[0];
    chart
        .draw_series(counts.iter().enumerate().map(|(w, &c)| {
            Rectangle::new(
                [(w as f64 + 0.1, 0.0), (w as f64 + 0.9, f64::from(c))],
                color.filled(),
            )
        }))
        .ck(kind)?
        .label("items delivered")
        .legend(move |(x, y)| Rectangle::new([(x, y - 10), (x + 30, y + 10)], color.filled()));
    let mut sorted: Vec<f64> = counts.iter().map(|&c| f64::from(c)).collect();
    sorted.sort_by(f64::total_cmp);
    let median = percentile(&sorted, 0.5);
    chart
        .draw_series(LineSeries::new(
            vec![(0.0, median), (weeks as f64, median)],
            BLACK.stroke_width(3),
        ))
        .ck(kind)?
        .label(format!("median {} per week", fmt_num(Some(median))))
        .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 30, y)], BLACK.stroke_width(3)));
    legend(&mut chart, kind, SeriesLabelPosition::UpperRight)
}

fn wip<DB: DrawingBackend>(
    root: &Area<'_, DB>,
    body: &Area<'_, DB>,
    d: &ChartData<'_>,
    kind: ChartKind,
) -> R {
    let h = d.scenario.stream.horizon;
    let days = grid(h, 365.min(h.ceil() as usize).max(50));
    let items = &d.trace.items;
    // WIP counts committed items only; arrived items not yet committed are the backlog.
    let committed: Vec<(f64, f64)> = days
        .iter()
        .map(|&t| {
            (
                t,
                items.iter().filter(|it| it.committed_at(t)).count() as f64,
            )
        })
        .collect();
    let backlog: Vec<(f64, f64)> = days
        .iter()
        .map(|&t| {
            let waiting = items
                .iter()
                .filter(|it| it.in_system_at(t) && !it.committed_at(t))
                .count();
            (t, waiting as f64)
        })
        .collect();
    let top = max_or(committed.iter().map(|p| p.1), 1.0) * 1.1;
    let most_waiting = max_or(backlog.iter().map(|p| p.1), 0.0) * 1.1;
    // A backlog far larger than the WIP gets its own axis on the right, so the WIP line keeps
    // the chart's height instead of lying flat along the bottom.
    let own_axis = most_waiting > 2.0 * top;
    let (top, backlog_top) = if own_axis {
        (top, most_waiting)
    } else {
        let both = top.max(most_waiting);
        (both, both)
    };
    let mut chart = ChartBuilder::on(body)
        .margin(30)
        .margin_top(70)
        .x_label_area_size(90)
        .y_label_area_size(120)
        .right_y_label_area_size(if own_axis { 120 } else { 0 })
        .build_cartesian_2d(0f64..h, 0f64..top)
        .ck(kind)?
        .set_secondary_coord(0f64..h, 0f64..backlog_top);
    chart
        .configure_mesh()
        .x_desc("Day")
        .y_desc(if own_axis {
            "Committed items (WIP)"
        } else {
            "Items (committed WIP and backlog)"
        })
        .x_label_formatter(&tick)
        .y_label_formatter(&tick)
        .label_style(label_style())
        .axis_desc_style((FONT, AXIS))
        .draw()
        .ck(kind)?;
    if own_axis {
        chart
            .configure_secondary_axes()
            .y_desc("Backlog items (dashed line)")
            .y_label_formatter(&tick)
            .label_style(label_style())
            .axis_desc_style((FONT, AXIS))
            .draw()
            .ck(kind)?;
    }
    let color = KIND_COLORS[0];
    let waiting = RGBColor(150, 110, 20);
    chart
        .draw_secondary_series(DashedLineSeries::new(
            backlog,
            16,
            10,
            waiting.stroke_width(4),
        ))
        .ck(kind)?;
    chart
        .draw_series(LineSeries::new(committed.clone(), color.stroke_width(4)))
        .ck(kind)?;
    let mean = committed.iter().map(|p| p.1).sum::<f64>() / committed.len() as f64;
    chart
        .draw_series(LineSeries::new(
            vec![(0.0, mean), (h, mean)],
            BLACK.stroke_width(2),
        ))
        .ck(kind)?;
    let entries = [
        (
            "WIP: committed, not delivered".to_string(),
            Mark::Line(color),
        ),
        (format!("average WIP {mean:.1}"), Mark::Line(BLACK)),
        (
            if own_axis {
                "backlog: arrived, not committed (right axis)"
            } else {
                "backlog: arrived, not committed"
            }
            .to_string(),
            Mark::Dashed(waiting),
        ),
    ];
    let (left, _, top_px, _) = plot_box(&*chart);
    legend_row(root, (left, top_px - 34), &entries, kind)
}

/// The day aging WIP is shown at: the one asked for, or the middle of the run.
pub fn aging_day(d: &ChartData<'_>) -> f64 {
    d.aging_day
        .unwrap_or_else(|| (d.scenario.stream.horizon / 2.0).round())
}

fn aging_wip<DB: DrawingBackend>(
    root: &Area<'_, DB>,
    body: &Area<'_, DB>,
    d: &ChartData<'_>,
    kind: ChartKind,
) -> R {
    let vs = &d.scenario.stream;
    let day = aging_day(d);
    let n = vs.stages.len();
    // Only the committed part of the board: the commitment stage and those after it.
    let c = vs.commitment.min(n.saturating_sub(1));
    let cols = n - c;
    // Age since commitment of committed items in progress, by the column they are in (an item
    // sent back before the commitment point shows in the first committed column).
    let wip: Vec<(usize, f64, Kind)> = d
        .trace
        .items
        .iter()
        .filter(|it| it.committed_at(day))
        .filter_map(|it| {
            let s = it.stage_at(day)?.max(c) - c;
            Some((s, day - it.committed?, it.kind))
        })
        .collect();
    // Historical age since commitment at which items left each stage, from items that had
    // left it by that day; for the last stage this is their cycle time.
    let mut history: Vec<Vec<f64>> = vec![Vec::new(); cols];
    for it in &d.trace.items {
        let Some(committed) = it.committed else {
            continue;
        };
        for (col, past) in history.iter_mut().enumerate() {
            let s = c + col;
            let left = if s + 1 < n {
                it.entered[s + 1]
            } else {
                it.delivered.unwrap_or(f64::NAN)
            };
            if left.is_finite() && left <= day && left >= committed && it.entered[s].is_finite() {
                past.push(left - committed);
            }
        }
    }
    for h in &mut history {
        h.sort_by(f64::total_cmp);
    }
    let top = max_or(
        wip.iter()
            .map(|w| w.1)
            .chain(history.iter().map(|h| percentile(h, 0.95))),
        1.0,
    ) * 1.1;
    let mut chart = ChartBuilder::on(body)
        .margin(30)
        .margin_top(110)
        .x_label_area_size(60)
        .y_label_area_size(120)
        .build_cartesian_2d(-0.6f64..(cols as f64 - 0.4), 0f64..top)
        .ck(kind)?;
    chart
        .configure_mesh()
        .disable_x_mesh()
        .x_labels(0)
        .y_desc(format!("Age on day {day} (days since commitment)"))
        .x_label_formatter(&tick)
        .y_label_formatter(&tick)
        .label_style(label_style())
        .axis_desc_style((FONT, AXIS))
        .draw()
        .ck(kind)?;
    let shades = [
        RGBColor(0, 158, 115),
        RGBColor(230, 159, 0),
        RGBColor(213, 94, 0),
    ];
    for (j, (q, _)) in PERCENTILES.into_iter().enumerate() {
        let color = shades[j];
        for (s, h) in history.iter().enumerate() {
            let y = percentile(h, q);
            if !y.is_finite() {
                continue;
            }
            let x = s as f64;
            chart
                .draw_series(LineSeries::new(
                    vec![(x - 0.4, y), (x + 0.4, y)],
                    color.stroke_width(4),
                ))
                .ck(kind)?;
        }
    }
    let mut kinds = Vec::new();
    for k in Kind::ALL {
        let pts: Vec<(f64, f64)> = wip
            .iter()
            .enumerate()
            .filter(|(_, w)| w.2 == k)
            .map(|(i, w)| (w.0 as f64 + ((i * 37) % 60) as f64 / 100.0 - 0.3, w.1))
            .collect();
        if pts.is_empty() {
            continue;
        }
        let color = KIND_COLORS[k.index()];
        chart
            .draw_series(pts.into_iter().map(|p| Circle::new(p, 7, color.filled())))
            .ck(kind)?;
        kinds.push((format!("{} in progress", k.name()), Mark::Dot(color)));
    }
    // Legends above the plot, so they never hide an item.
    let (left, _, top_px, _) = plot_box(&chart);
    let ticks: Vec<(String, Mark)> = PERCENTILES
        .iter()
        .zip(shades)
        .enumerate()
        .map(|(j, (&(_, label), color))| {
            let text = if j + 1 == PERCENTILES.len() {
                format!("{label} of past items had left the stage by this age")
            } else {
                label.to_string()
            };
            (text, Mark::Line(color))
        })
        .collect();
    legend_row(root, (left, top_px - 74), &ticks, kind)?;
    legend_row(root, (left, top_px - 34), &kinds, kind)?;
    let stage_names: Vec<String> = vs.stages[c..].iter().map(|s| s.name.clone()).collect();
    category_labels(root, &chart, &stage_names, 0.0, kind)
}

fn value_distribution<DB: DrawingBackend>(
    root: &Area<'_, DB>,
    body: &Area<'_, DB>,
    d: &ChartData<'_>,
    kind: ChartKind,
) -> R {
    let names = names(d);
    let dists: Vec<[f64; 5]> = d
        .comparison
        .policies
        .iter()
        .map(|p| p.outcomes.value_distribution)
        .collect();
    let top = max_or(dists.iter().map(|q| q[4]), 1.0) * 1.1;
    let bottom = dists
        .iter()
        .map(|q| q[0])
        .filter(|v| v.is_finite())
        .fold(0.0, f64::min);
    let mut chart = ChartBuilder::on(body)
        .margin(30)
        .x_label_area_size(60)
        .y_label_area_size(140)
        .build_cartesian_2d(-0.6f64..(names.len() as f64 - 0.4), bottom..top)
        .ck(kind)?;
    chart
        .configure_mesh()
        .disable_x_mesh()
        .x_labels(0)
        .y_desc("Value realised by the horizon")
        .y_label_formatter(&|v| fmt_big(Some(*v)))
        .x_label_formatter(&tick)
        .label_style(label_style())
        .axis_desc_style((FONT, AXIS))
        .draw()
        .ck(kind)?;
    for (i, q) in dists.iter().enumerate() {
        if q.iter().any(|v| !v.is_finite()) {
            continue;
        }
        let x = i as f64;
        let color = policy_color(&names[i], i);
        chart
            .draw_series(vec![
                PathElement::new(vec![(x, q[0]), (x, q[4])], BLACK.stroke_width(3)),
                PathElement::new(
                    vec![(x - 0.12, q[0]), (x + 0.12, q[0])],
                    BLACK.stroke_width(3),
                ),
                PathElement::new(
                    vec![(x - 0.12, q[4]), (x + 0.12, q[4])],
                    BLACK.stroke_width(3),
                ),
            ])
            .ck(kind)?;
        chart
            .draw_series(std::iter::once(Rectangle::new(
                [(x - 0.3, q[1]), (x + 0.3, q[3])],
                color.filled(),
            )))
            .ck(kind)?;
        chart
            .draw_series(std::iter::once(PathElement::new(
                vec![(x - 0.3, q[2]), (x + 0.3, q[2])],
                BLACK.stroke_width(5),
            )))
            .ck(kind)?;
        chart
            .draw_series(std::iter::once(Text::new(
                format!("median {}", fmt_big(Some(q[2]))),
                (x, q[4] + (top - bottom) * 0.015),
                label_style().pos(Pos::new(HPos::Center, VPos::Bottom)),
            )))
            .ck(kind)?;
    }
    category_labels(root, &chart, &names, bottom, kind)
}

fn flow_distribution<DB: DrawingBackend>(
    body: &Area<'_, DB>,
    d: &ChartData<'_>,
    kind: ChartKind,
) -> R {
    let policies = &d.comparison.policies;
    let cols = policies.len().clamp(1, 2);
    let rows = policies.len().div_ceil(cols);
    let panels = body.split_evenly((rows, cols));
    let h = d.scenario.stream.horizon;
    for (i, (p, panel)) in policies.iter().zip(panels.iter()).enumerate() {
        let mut chart = ChartBuilder::on(panel)
            .caption(
                &p.policy,
                (FONT, AXIS).into_font().color(&policy_color(&p.policy, i)),
            )
            .margin(14)
            .x_label_area_size(50)
            .y_label_area_size(80)
            .build_cartesian_2d(0f64..h, 0f64..100f64)
            .ck(kind)?;
        chart
            .configure_mesh()
            .x_desc("Day")
            .y_desc("% of effort")
            .x_label_formatter(&tick)
            .y_label_formatter(&tick)
            .label_style((FONT, 20))
            .axis_desc_style((FONT, 22))
            .draw()
            .ck(kind)?;
        let pts = &p.outcomes.effort_share_over_time;
        // Stacked from the top: risk + debt + defect + feature = 100%.
        for k in (0..4).rev() {
            let ys: Vec<(f64, f64)> = std::iter::once((0.0, 0.0))
                .chain(
                    pts.iter()
                        .map(|(t, s)| (*t, s[..=k].iter().sum::<f64>() * 100.0)),
                )
                .collect();
            let mut ys = ys;
            if let Some(first) = pts.first() {
                ys[0].1 = first.1[..=k].iter().sum::<f64>() * 100.0;
            }
            let color = KIND_COLORS[k];
            let series = chart
                .draw_series(AreaSeries::new(ys, 0.0, color.filled()))
                .ck(kind)?;
            if i == 0 {
                series.label(Kind::ALL[k].name()).legend(move |(x, y)| {
                    Rectangle::new([(x, y - 8), (x + 24, y + 8)], color.filled())
                });
            }
        }
        if i == 0 {
            chart
                .configure_series_labels()
                .position(SeriesLabelPosition::LowerLeft)
                .background_style(WHITE.mix(0.85))
                .border_style(BLACK)
                .label_font((FONT, 20))
                .legend_area_size(40)
                .draw()
                .ck(kind)?;
        }
    }
    Ok(())
}

fn where_time_goes<DB: DrawingBackend>(
    root: &Area<'_, DB>,
    body: &Area<'_, DB>,
    d: &ChartData<'_>,
    kind: ChartKind,
) -> R {
    let policies = &d.comparison.policies;
    // The traced policy, as on the item charts; the baseline if it was not compared.
    let found = policies
        .iter()
        .find(|p| p.policy == d.traced_policy)
        .or_else(|| policies.get(d.comparison.baseline));
    let Some(p) = found.filter(|p| !p.stages.is_empty()) else {
        let (w, h) = body.dim_in_pixel();
        let style = (FONT, AXIS)
            .into_font()
            .color(&BLACK)
            .pos(Pos::new(HPos::Center, VPos::Center));
        return body
            .draw_text(
                "No policy with stages was compared.",
                &style,
                (w as i32 / 2, h as i32 / 2),
            )
            .ck(kind);
    };
    let n = p.stages.len();
    let c = d.scenario.stream.commitment.min(n.saturating_sub(1));
    let days: Vec<[f64; Part::COUNT]> = p
        .stages
        .iter()
        .map(|s| Part::ALL.map(|part| s.time[part as usize].mean.unwrap_or(0.0).max(0.0)))
        .collect();
    let totals: Vec<f64> = days.iter().map(|t| t.iter().sum()).collect();
    let total_texts: Vec<String> = totals.iter().map(|t| format!("{t:.1} days")).collect();
    let xmax = max_or(totals.iter().copied(), 0.5);
    // Stage names sit left of the bars, first stage on top as on a board.
    let names: Vec<String> = p.stages.iter().map(|s| s.name.clone()).collect();
    let name_w = widest(body, &names, kind)?;
    let total_w = widest(body, &total_texts, kind)?;
    let mut chart = ChartBuilder::on(body)
        .margin(30)
        .margin_top(110)
        .margin_right(total_w + 40)
        .x_label_area_size(90)
        .y_label_area_size((name_w + 80).clamp(140, 420))
        .build_cartesian_2d(0f64..xmax * 1.02, -0.6f64..(n as f64 - 0.4))
        .ck(kind)?;
    chart
        .configure_mesh()
        .disable_y_mesh()
        .y_labels(0)
        .x_desc("Days per item (mean)")
        .y_desc("Stage")
        .x_label_formatter(&tick)
        .label_style(label_style())
        .axis_desc_style((FONT, AXIS))
        .draw()
        .ck(kind)?;
    let row = |s: usize| (n - 1 - s) as f64;
    for (s, parts) in days.iter().enumerate() {
        let y = row(s);
        let mut x = 0.0;
        for (part, &v) in Part::ALL.iter().zip(parts) {
            if v <= 0.0 {
                continue;
            }
            let color = PART_COLORS[*part as usize];
            chart
                .draw_series(std::iter::once(Rectangle::new(
                    [(x, y - 0.3), (x + v, y + 0.3)],
                    color.filled(),
                )))
                .ck(kind)?;
            // The number inside its segment when it fits.
            let text = format!("{v:.1}");
            let (x0, _) = chart.backend_coord(&(x, y));
            let (x1, _) = chart.backend_coord(&(x + v, y));
            if root.estimate_text_size(&text, &label_style()).ck(kind)?.0 as i32 + 12 < x1 - x0 {
                chart
                    .draw_series(std::iter::once(Text::new(
                        text,
                        (x + v / 2.0, y),
                        label_style().pos(Pos::new(HPos::Center, VPos::Center)),
                    )))
                    .ck(kind)?;
            }
            x += v;
        }
        let (bx, by) = chart.backend_coord(&(totals[s], y));
        root.draw_text(
            &total_texts[s],
            &label_style().pos(Pos::new(HPos::Left, VPos::Center)),
            (bx + 10, by),
        )
        .ck(kind)?;
        let (ax, _) = chart.backend_coord(&(0.0, y));
        root.draw_text(
            &names[s],
            &label_style().pos(Pos::new(HPos::Right, VPos::Center)),
            (ax - 12, by),
        )
        .ck(kind)?;
    }
    // The commitment point: a dashed line above the commitment stage, as on a Kanban board;
    // stages above it hold items not yet committed.
    let line = row(c) + 0.5;
    chart
        .draw_series(DashedLineSeries::new(
            vec![(0.0, line), (xmax * 1.02, line)],
            16,
            10,
            BLACK.stroke_width(3),
        ))
        .ck(kind)?;
    let (left, _, top, _) = plot_box(&chart);
    let caption = format!(
        "Policy {}: mean days per item committed after warm-up, over {} replications",
        p.policy, p.replications
    );
    root.draw_text(
        &caption,
        &label_style().pos(Pos::new(HPos::Left, VPos::Center)),
        (left, top - 80),
    )
    .ck(kind)?;
    let mut entries: Vec<(String, Mark)> = Part::ALL
        .iter()
        .map(|&part| {
            (
                part.name().to_string(),
                Mark::Block(PART_COLORS[part as usize]),
            )
        })
        .collect();
    entries.push((
        format!("commitment point (entering {})", names[c]),
        Mark::Dashed(BLACK),
    ));
    legend_row(root, (left, top - 34), &entries, kind)
}

fn stages<DB: DrawingBackend>(
    root: &Area<'_, DB>,
    body: &Area<'_, DB>,
    d: &ChartData<'_>,
    kind: ChartKind,
) -> R {
    let vs = &d.scenario.stream;
    let stage_names: Vec<String> = vs.stages.iter().map(|s| s.name.clone()).collect();
    let (top_area, bottom_area) = body.split_vertically(body.dim_in_pixel().1 / 2);
    let policies = &d.comparison.policies;
    let m = policies.len() as f64;
    let width = 0.8 / m;
    for (panel, util) in [(&top_area, true), (&bottom_area, false)] {
        let value = |p: &crate::experiment::RunSummary, s: usize| {
            if util {
                p.stages[s].utilization.mean.unwrap_or(0.0) * 100.0
            } else {
                p.stages[s].queue_length.mean.unwrap_or(0.0)
            }
        };
        let top = if util {
            105.0
        } else {
            max_or(
                policies
                    .iter()
                    .flat_map(|p| (0..vs.stages.len()).map(move |s| value(p, s))),
                1.0,
            ) * 1.15
        };
        let mut chart = ChartBuilder::on(panel)
            .margin(16)
            .x_label_area_size(50)
            .y_label_area_size(120)
            .build_cartesian_2d(-0.6f64..(vs.stages.len() as f64 - 0.4), 0f64..top)
            .ck(kind)?;
        chart
            .configure_mesh()
            .disable_x_mesh()
            .x_labels(0)
            .y_desc(if util {
                "Utilisation (%)"
            } else {
                "Items waiting"
            })
            .y_label_formatter(&tick)
            .label_style(label_style())
            .axis_desc_style((FONT, AXIS))
            .draw()
            .ck(kind)?;
        for (j, p) in policies.iter().enumerate() {
            let color = policy_color(&p.policy, j);
            let offset = (j as f64 - (m - 1.0) / 2.0) * width;
            let series = chart
                .draw_series((0..vs.stages.len()).map(|s| {
                    let x = s as f64 + offset;
                    Rectangle::new(
                        [(x - width * 0.45, 0.0), (x + width * 0.45, value(p, s))],
                        color.filled(),
                    )
                }))
                .ck(kind)?;
            if util {
                series.label(p.policy.clone()).legend(move |(x, y)| {
                    Rectangle::new([(x, y - 10), (x + 30, y + 10)], color.filled())
                });
            }
        }
        if util {
            legend(&mut chart, kind, SeriesLabelPosition::UpperRight)?;
        }
        category_labels(root, &chart, &stage_names, 0.0, kind)?;
    }
    Ok(())
}

/// The most key results the key-results chart draws, one row each.
const KEY_RESULTS_SHOWN: usize = 12;

fn key_results<DB: DrawingBackend>(
    root: &Area<'_, DB>,
    body: &Area<'_, DB>,
    d: &ChartData<'_>,
    kind: ChartKind,
) -> R {
    let policies = &d.comparison.policies;
    let stated = policies.first().map_or(0, |p| p.key_results.len());
    // Rows stay legible on a projector: past a dozen, the first dozen, and a note.
    let krs: Vec<String> = policies
        .first()
        .map(|p| {
            p.key_results
                .iter()
                .take(KEY_RESULTS_SHOWN)
                .map(|k| k.name.clone())
                .collect()
        })
        .unwrap_or_default();
    if krs.is_empty() {
        let (w, h) = body.dim_in_pixel();
        body.draw_text(
            "This scenario states no key results: add [[objectives]] with key_results to see them here.",
            &(FONT, AXIS).into_font().color(&BLACK).pos(Pos::new(HPos::Center, VPos::Center)),
            (w as i32 / 2, h as i32 / 2),
        )
        .ck(kind)?;
        return Ok(());
    }
    // One row per key result, top to bottom in the order stated; within a row, one bar per
    // policy. The legend is a row under the title, clear of every bar and reference line, and
    // a note, when there is one, a row under it.
    let n = krs.len() as f64;
    let m = policies.len() as f64;
    let height = 0.8 / m;
    // A share is written as tall as its bar allows: with many policies or key results a bar is
    // a few pixels, and shares as tall as a row of bars would pile up on one another. The
    // bar's height in pixels, with `rows` pixels of legend and note over the plot (its
    // margins and axis as built below).
    let bar_px = |rows: u32| {
        let plot = f64::from(
            body.dim_in_pixel()
                .1
                .saturating_sub(rows + KR_TOP + KR_MARGIN + KR_X_AXIS),
        );
        (plot / n * height * 0.84) as i32
    };
    let mut notes = Vec::new();
    if stated > krs.len() {
        notes.push(format!("the first {} of {stated} key results", krs.len()));
    }
    let note_row = 30;
    let shares_fit = bar_px(44 + note_row) >= MIN_SHARE_FONT
        || (notes.is_empty() && bar_px(44) >= MIN_SHARE_FONT);
    if !shares_fit {
        notes.push("bars too thin to write their shares on".to_string());
    }
    let (legend_area, body) = body.split_vertically(44);
    let entries: Vec<(String, Mark)> = policies
        .iter()
        .enumerate()
        .map(|(j, p)| (p.policy.clone(), Mark::Block(policy_color(&p.policy, j))))
        .collect();
    legend_row(&legend_area, (60, 22), &entries, kind)?;
    let body = if notes.is_empty() {
        body
    } else {
        let (note_area, body) = body.split_vertically(note_row);
        let (w, _) = note_area.dim_in_pixel();
        note_area
            .draw_text(
                &format!("{} (`compare` lists every one)", notes.join("; ")),
                &(FONT, NOTE)
                    .into_font()
                    .color(&RGBColor(90, 90, 90))
                    .pos(Pos::new(HPos::Right, VPos::Center)),
                (w as i32 - 30, note_row as i32 / 2),
            )
            .ck(kind)?;
        body
    };
    let labels: Vec<String> = krs.iter().map(|k| plain_key_result(k)).collect();
    let label_width = 470;
    let mut chart = ChartBuilder::on(&body)
        .margin(KR_MARGIN)
        .margin_top(KR_TOP)
        .margin_right(120)
        .x_label_area_size(KR_X_AXIS)
        .y_label_area_size(label_width)
        .build_cartesian_2d(0f64..100f64, -0.5f64..(n - 0.5))
        .ck(kind)?;
    chart
        .configure_mesh()
        .disable_y_mesh()
        .y_labels(0)
        .x_desc("Probability of achieving (%), over replications")
        .x_label_formatter(&tick)
        .label_style(label_style())
        .axis_desc_style((FONT, AXIS))
        .draw()
        .ck(kind)?;
    // The reference lines first, behind the bars and their shares.
    for level in [50.0, 70.0, 90.0] {
        chart
            .draw_series(DashedLineSeries::new(
                vec![(level, -0.5), (level, n - 0.5)],
                10,
                8,
                RGBColor(90, 90, 90).stroke_width(2),
            ))
            .ck(kind)?;
    }
    // Row i (stated order) sits at y = n - 1 - i, so the first key result is on top.
    let row_y = |i: usize| n - 1.0 - i as f64;
    let share_size = {
        let (_, a) = chart.backend_coord(&(0.0, 0.0));
        let (_, b) = chart.backend_coord(&(0.0, height * 0.84));
        (a - b).abs().min(20)
    };
    let share_font = (FONT, share_size.max(1) as u32)
        .into_font()
        .color(&BLACK)
        .pos(Pos::new(HPos::Left, VPos::Center));
    for (j, p) in policies.iter().enumerate() {
        let color = policy_color(&p.policy, j);
        let offset = ((m - 1.0) / 2.0 - j as f64) * height;
        for (i, k) in p.key_results.iter().take(KEY_RESULTS_SHOWN).enumerate() {
            let y = row_y(i) + offset;
            let pct = k.probability * 100.0;
            chart
                .draw_series(std::iter::once(Rectangle::new(
                    [(0.0, y - height * 0.42), (pct, y + height * 0.42)],
                    color.filled(),
                )))
                .ck(kind)?;
            if !shares_fit {
                continue;
            }
            // The share written at the bar's end, so a 0% bar still reads as 0%, on white so
            // that a reference line through it does not strike it out.
            let share = format!("{pct:.0}%");
            let (x, yc) = chart.backend_coord(&(pct + 0.8, y));
            let (w, h) = root.estimate_text_size(&share, &share_font).ck(kind)?;
            let (w, h) = (w as i32, h as i32);
            root.draw(&Rectangle::new(
                [(x - 2, yc - h / 2 - 1), (x + w + 2, yc + h / 2 + 1)],
                WHITE.filled(),
            ))
            .ck(kind)?;
            root.draw_text(&share, &share_font, (x, yc)).ck(kind)?;
        }
    }
    // The reference lines are named just above the plot, where no bar is.
    for (level, name) in [
        (50.0, "coin flip"),
        (70.0, "likely"),
        (90.0, "safe to promise"),
    ] {
        let (x, top) = chart.backend_coord(&(level, n - 0.5));
        root.draw_text(
            name,
            &(FONT, 20)
                .into_font()
                .color(&RGBColor(90, 90, 90))
                .pos(Pos::new(HPos::Center, VPos::Bottom)),
            (x, top - 4),
        )
        .ck(kind)?;
    }
    let style = (FONT, 22)
        .into_font()
        .color(&BLACK)
        .pos(Pos::new(HPos::Right, VPos::Center));
    for (i, label) in labels.iter().enumerate() {
        let (x, y) = chart.backend_coord(&(0.0, row_y(i)));
        let lines: Vec<&str> = label.lines().collect();
        let top = y - 13 * (lines.len() as i32 - 1);
        for (l, line) in lines.iter().enumerate() {
            root.draw_text(line, &style, (x - 12, top + 26 * l as i32))
                .ck(kind)?;
        }
    }
    Ok(())
}

/// A key result in plain words for a label: `items_delivered >= 65 by day 91` becomes
/// `items delivered ≥ 65` / `by day 91` (two lines when long).
/// The key-results plot's margin, its top margin (room for the reference lines' names) and
/// its x axis, in pixels: the bars' height is reckoned from them before the plot is built.
const KR_MARGIN: u32 = 20;
const KR_TOP: u32 = 36;
const KR_X_AXIS: u32 = 80;

/// The smallest share label, in pixels, worth writing: below it the bars go unlabelled.
const MIN_SHARE_FONT: i32 = 11;
/// Characters of a key result's label per line, to fit the label area (470 px at 22 px).
const LABEL_LINE: usize = 36;
/// Lines of a key result's label at most; the last is cut with "…".
const LABEL_LINES: usize = 3;

/// `text` broken at spaces into lines of at most `width` characters (a longer word is cut),
/// at most `lines` of them, the last ending with "…" when something was left out.
fn wrap_words(text: &str, width: usize, lines: usize) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut line = String::new();
    for word in text.split(' ') {
        let mut word: Vec<char> = word.chars().collect();
        loop {
            let room = if line.is_empty() {
                width
            } else {
                width.saturating_sub(line.chars().count() + 1)
            };
            if word.len() <= room {
                if !line.is_empty() {
                    line.push(' ');
                }
                line.extend(word.iter());
                break;
            }
            if line.is_empty() {
                // A word longer than a line: cut it.
                out.push(word[..width].iter().collect());
                word.drain(..width);
            } else {
                out.push(std::mem::take(&mut line));
            }
        }
    }
    if !line.is_empty() || out.is_empty() {
        out.push(line);
    }
    if out.len() > lines {
        out.truncate(lines);
        let last = &mut out[lines - 1];
        let keep: String = last.chars().take(width.saturating_sub(1)).collect();
        *last = format!("{keep}…");
    }
    out
}

fn plain_key_result(k: &str) -> String {
    let text = k
        .replace(">=", "≥")
        .replace("<=", "≤")
        .replace(".p85", " (85th percentile)")
        .replace(".p95", " (95th percentile)")
        .replace(".p50", " (median)");
    // Built-in words in plain words; a work type's name as written.
    let text = super::key_result_words(&text);
    // The deadline on a line of its own when the whole is long, then every line fitted to
    // the label area.
    let parts: Vec<String> = match [" by day ", " at day "]
        .iter()
        .find_map(|sep| text.find(sep))
        .filter(|_| text.chars().count() > 30)
    {
        Some(i) => vec![text[..i].to_string(), text[i + 1..].trim().to_string()],
        None => vec![text.clone()],
    };
    let lines: Vec<String> = parts
        .iter()
        .flat_map(|p| wrap_words(p, LABEL_LINE, LABEL_LINES))
        .collect();
    if lines.len() > LABEL_LINES {
        let mut kept = lines[..LABEL_LINES].to_vec();
        let last = &mut kept[LABEL_LINES - 1];
        let cut: String = last.chars().take(LABEL_LINE - 1).collect();
        *last = format!("{cut}…");
        return kept.join("\n");
    }
    lines.join("\n")
}

#[cfg(test)]
mod tests {
    use super::{plain_key_result, stage_palette, wrap_words, LABEL_LINE, LABEL_LINES};

    #[test]
    fn long_key_result_labels_wrap_within_the_label_column() {
        assert_eq!(wrap_words("a bb ccc", 4, 3), ["a bb", "ccc"]);
        // A word longer than a line is cut; past the last line, "…".
        assert_eq!(wrap_words("abcdefghij", 4, 3), ["abcd", "efgh", "ij"]);
        assert_eq!(wrap_words("abcdefghijklmn", 4, 3), ["abcd", "efgh", "ijk…"]);
        assert_eq!(wrap_words("", 4, 3), [""]);
        let long = plain_key_result(
            "work.a-very-long-work-type-name-for-customers-and-partners-alike-across-every-region-and-product-line.lead_time.p85 <= 30",
        );
        let lines: Vec<&str> = long.lines().collect();
        assert!(lines.len() <= LABEL_LINES, "{long}");
        assert!(
            lines.iter().all(|l| l.chars().count() <= LABEL_LINE),
            "{long}"
        );
        assert!(long.ends_with('…'), "{long}");
        // Short ones, and the deadline on its own line, as before.
        assert_eq!(
            plain_key_result("value_realised >= 2000000 by day 365"),
            "value realised ≥ 2000000\nby day 365"
        );
        assert_eq!(
            plain_key_result("lead_time.p85 <= 30"),
            "lead time (85th percentile) ≤ 30"
        );
    }

    #[test]
    fn small_ticks_keep_three_significant_digits_and_large_ones_read_as_before() {
        let cases = [
            (0.0002, "0.0002"),
            (0.0004, "0.0004"),
            (0.00125, "0.00125"),
            (-0.0005, "-0.0005"),
            (2.5e-9, "2.50e-9"),
            (0.02, "0.02"),
            (0.5, "0.5"),
            (1.5, "1.5"),
            (3.0, "3"),
            (2.5e6, "2.50M"),
        ];
        for (v, want) in cases {
            assert_eq!(super::tick(&v), want, "{v}");
        }
    }

    /// Neighbouring CFD bands differ clearly: at least 60 apart in RGB (Euclidean), whatever
    /// the number of stages.
    #[test]
    fn key_results_read_in_plain_words() {
        assert_eq!(
            super::plain_key_result("items_delivered >= 65 by day 91"),
            "items delivered ≥ 65 by day 91"
        );
        assert_eq!(
            super::plain_key_result("value_realised >= 2000000 by day 365"),
            "value realised ≥ 2000000\nby day 365"
        );
        assert_eq!(
            super::plain_key_result("lead_time.p85 <= 30"),
            "lead time (85th percentile) ≤ 30"
        );
    }

    #[test]
    fn neighbouring_stage_bands_are_distinct() {
        for n in 2..=12 {
            let p = stage_palette(n);
            for w in p.windows(2) {
                let d = |a: u8, b: u8| (f64::from(a) - f64::from(b)).powi(2);
                let dist = (d(w[0].0, w[1].0) + d(w[0].1, w[1].1) + d(w[0].2, w[1].2)).sqrt();
                assert!(dist >= 60.0, "{n} stages: {:?} vs {:?}", w[0], w[1]);
            }
        }
    }
}
