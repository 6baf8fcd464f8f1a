//! One drawing function per chart kind, generic over the backend (PNG or SVG).

use super::style::{policy_color, AXIS, FONT, KIND_COLORS, LABEL, NOTE, TITLE};
use super::{ChartData, ChartError, ChartKind, SIZE};
use crate::metrics::Trace;
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
            | ChartKind::Throughput
            | ChartKind::Wip
            | ChartKind::AgingWip
    );
    let reps = d.comparison.policies.first().map_or(0, |p| p.replications);
    let note = if traced {
        format!(
            "One replication (replication 0, the same items for every policy) under policy `{}` · seed {} · valueflow {}",
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
    let title = format!("{} · {}", kind.title(), d.scenario.name);
    let body = body
        .margin(18, 0, 0, 0)
        .titled(&title, (FONT, TITLE, FontStyle::Bold))
        .ck(kind)?;
    match kind {
        ChartKind::OutputVsOutcome => output_vs_outcome(root, &body, d, kind),
        ChartKind::ValueOverTime => value_over_time(&body, d, kind),
        ChartKind::Cfd => cfd(&body, d, kind),
        ChartKind::CycleTime => cycle_time(&body, d, kind),
        ChartKind::Throughput => throughput(&body, d, kind),
        ChartKind::Wip => wip(&body, d, kind),
        ChartKind::AgingWip => aging_wip(root, &body, d, kind),
        ChartKind::ValueDistribution => value_distribution(root, &body, d, kind),
        ChartKind::FlowDistribution => flow_distribution(&body, d, kind),
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

/// Tick labels: whole numbers without decimals, others with as many as they deserve.
fn tick(v: &f64) -> String {
    if v.fract() == 0.0 && v.abs() < 1e6 {
        format!("{v:.0}")
    } else {
        fmt_num(Some(*v))
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
    } = panel;
    let names = names(d);
    let top = max_or(values.iter().map(|(m, c)| m + c.unwrap_or(0.0)), 1.0) * 1.18;
    let mut chart = ChartBuilder::on(area)
        .caption(caption, (FONT, AXIS))
        .margin(20)
        .x_label_area_size(60)
        .y_label_area_size(130)
        .build_cartesian_2d(-0.6f64..(values.len() as f64 - 0.4), 0f64..top)
        .ck(kind)?;
    chart
        .configure_mesh()
        .disable_x_mesh()
        .x_labels(0)
        .y_desc(y_desc)
        .y_label_formatter(&|v| if big { fmt_big(Some(*v)) } else { tick(v) })
        .label_style(label_style())
        .axis_desc_style((FONT, AXIS))
        .draw()
        .ck(kind)?;
    for (i, &(mean, ci)) in values.iter().enumerate() {
        let x = i as f64;
        let color = policy_color(&names[i], i);
        chart
            .draw_series(std::iter::once(Rectangle::new(
                [(x - 0.32, 0.0), (x + 0.32, mean.max(0.0))],
                color.filled(),
            )))
            .ck(kind)?;
        if let Some(c) = ci {
            chart
                .draw_series(whisker(x, mean - c, mean + c, 0.1))
                .ck(kind)?;
        }
        let text = if big {
            fmt_big(Some(mean))
        } else {
            fmt_num(Some(mean))
        };
        chart
            .draw_series(std::iter::once(Text::new(
                text,
                (x, mean + ci.unwrap_or(0.0) + top * 0.02),
                label_style().pos(Pos::new(HPos::Center, VPos::Bottom)),
            )))
            .ck(kind)?;
    }
    category_labels(root, &chart, &names, 0.0, kind)
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
    };
    bar_panel(root, &left, d, kind, output)?;
    let outcome = Panel {
        caption: "Outcome: value realised",
        y_desc: "Value realised by the horizon",
        values: value,
        big: true,
    };
    bar_panel(root, &right, d, kind, outcome)
}

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
    let mut chart = ChartBuilder::on(body)
        .margin(30)
        .x_label_area_size(90)
        .y_label_area_size(140)
        .build_cartesian_2d(0f64..h, bottom..top)
        .ck(kind)?;
    chart
        .configure_mesh()
        .x_desc("Day")
        .y_desc("Cumulative value realised")
        .y_label_formatter(&|v| fmt_big(Some(*v)))
        .x_label_formatter(&tick)
        .label_style(label_style())
        .axis_desc_style((FONT, AXIS))
        .draw()
        .ck(kind)?;
    for (i, p) in d.comparison.policies.iter().enumerate() {
        let color = policy_color(&p.policy, i);
        let mut series = vec![(0.0, 0.0, 0.0, 0.0)];
        series.extend(pts(p));
        let band: Vec<(f64, f64)> = series
            .iter()
            .map(|v| (v.0, v.3))
            .chain(series.iter().rev().map(|v| (v.0, v.1)))
            .collect();
        chart
            .draw_series(std::iter::once(Polygon::new(
                band,
                color.mix(0.18).filled(),
            )))
            .ck(kind)?;
        chart
            .draw_series(LineSeries::new(
                series.iter().map(|v| (v.0, v.2)),
                color.stroke_width(5),
            ))
            .ck(kind)?
            .label(p.policy.clone())
            .legend(move |(x, y)| {
                PathElement::new(vec![(x, y), (x + 40, y)], color.stroke_width(5))
            });
    }
    legend(&mut chart, kind, SeriesLabelPosition::UpperLeft)
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

/// Days sampled for charts of one replication.
fn grid(h: f64, n: usize) -> Vec<f64> {
    (0..=n).map(|i| h * i as f64 / n as f64).collect()
}

fn cfd<DB: DrawingBackend>(body: &Area<'_, DB>, d: &ChartData<'_>, kind: ChartKind) -> R {
    let vs = &d.scenario.stream;
    let t: &Trace = d.trace;
    let days = grid(vs.horizon, 240);
    let n = vs.stages.len();
    // Cumulative lines, top to bottom: arrived, entered stage 0..n-1, done.
    let mut lines: Vec<(String, Vec<f64>)> = Vec::new();
    let count = |f: &dyn Fn(&crate::metrics::TracedItem, f64) -> bool| -> Vec<f64> {
        days.iter()
            .map(|&day| t.items.iter().filter(|it| f(it, day)).count() as f64)
            .collect()
    };
    let live = |it: &crate::metrics::TracedItem, day: f64| it.dropped.is_none_or(|x| x > day);
    lines.push((
        "backlog".into(),
        count(&|it, day| it.arrival <= day && live(it, day)),
    ));
    for s in 0..n {
        lines.push((
            vs.stages[s].name.clone(),
            count(&|it, day| it.entered[s] <= day && live(it, day)),
        ));
    }
    lines.push((
        "done".into(),
        count(&|it, day| it.delivered.is_some_and(|x| x <= day)),
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
    let palette = stage_palette(n + 2);
    for (i, (name, ys)) in lines.iter().enumerate() {
        let color = palette[i];
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

/// A light-to-dark sequence for stage bands, ending with grey for "done".
fn stage_palette(n: usize) -> Vec<RGBColor> {
    let light = (198.0, 219.0, 239.0);
    let dark = (8.0, 48.0, 107.0);
    (0..n)
        .map(|i| {
            if i + 1 == n {
                return RGBColor(110, 110, 110);
            }
            let f = if n > 2 {
                i as f64 / (n - 2) as f64
            } else {
                0.0
            };
            let mix = |a: f64, b: f64| (a + (b - a) * f) as u8;
            RGBColor(
                mix(light.0, dark.0),
                mix(light.1, dark.1),
                mix(light.2, dark.2),
            )
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

fn cycle_time<DB: DrawingBackend>(body: &Area<'_, DB>, d: &ChartData<'_>, kind: ChartKind) -> R {
    let vs = &d.scenario.stream;
    let done: Vec<(f64, f64, Kind)> = d
        .trace
        .items
        .iter()
        .filter_map(|it| Some((it.delivered?, it.lead_time()?, it.kind)))
        .collect();
    let mut leads: Vec<f64> = done.iter().map(|x| x.1).collect();
    leads.sort_by(f64::total_cmp);
    let top = max_or(leads.iter().copied(), 1.0) * 1.08;
    let mut chart = ChartBuilder::on(body)
        .margin(30)
        .x_label_area_size(90)
        .y_label_area_size(120)
        .build_cartesian_2d(0f64..vs.horizon, 0f64..top)
        .ck(kind)?;
    chart
        .configure_mesh()
        .x_desc("Completion day")
        .y_desc("Flow time (days)")
        .x_label_formatter(&tick)
        .y_label_formatter(&tick)
        .label_style(label_style())
        .axis_desc_style((FONT, AXIS))
        .draw()
        .ck(kind)?;
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
            .ck(kind)?
            .label(k.name())
            .legend(move |(x, y)| Circle::new((x + 15, y), 8, color.filled()));
    }
    for (q, label) in [(0.5, "50%"), (0.85, "85%"), (0.95, "95%")] {
        let y = percentile(&leads, q);
        if !y.is_finite() {
            continue;
        }
        chart
            .draw_series(LineSeries::new(
                vec![(0.0, y), (vs.horizon, y)],
                BLACK.stroke_width(2),
            ))
            .ck(kind)?;
        chart
            .draw_series(std::iter::once(Text::new(
                format!("{label}: {} d", fmt_num(Some(y))),
                (vs.horizon * 0.995, y),
                label_style().pos(Pos::new(HPos::Right, VPos::Bottom)),
            )))
            .ck(kind)?;
    }
    legend(&mut chart, kind, SeriesLabelPosition::UpperLeft)
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

fn wip<DB: DrawingBackend>(body: &Area<'_, DB>, d: &ChartData<'_>, kind: ChartKind) -> R {
    let days = grid(
        d.scenario.stream.horizon,
        365.min(d.scenario.stream.horizon.ceil() as usize).max(50),
    );
    let series: Vec<(f64, f64)> = days
        .iter()
        .map(|&t| {
            (
                t,
                d.trace.items.iter().filter(|it| it.in_system_at(t)).count() as f64,
            )
        })
        .collect();
    let top = max_or(series.iter().map(|p| p.1), 1.0) * 1.1;
    let mut chart = ChartBuilder::on(body)
        .margin(30)
        .x_label_area_size(90)
        .y_label_area_size(120)
        .build_cartesian_2d(0f64..d.scenario.stream.horizon, 0f64..top)
        .ck(kind)?;
    chart
        .configure_mesh()
        .x_desc("Day")
        .y_desc("Items in the value stream")
        .x_label_formatter(&tick)
        .y_label_formatter(&tick)
        .label_style(label_style())
        .axis_desc_style((FONT, AXIS))
        .draw()
        .ck(kind)?;
    let color = KIND_COLORS[0];
    chart
        .draw_series(LineSeries::new(series.clone(), color.stroke_width(4)))
        .ck(kind)?
        .label("flow load (WIP)")
        .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 30, y)], color.stroke_width(4)));
    let mean = series.iter().map(|p| p.1).sum::<f64>() / series.len() as f64;
    chart
        .draw_series(LineSeries::new(
            vec![(0.0, mean), (d.scenario.stream.horizon, mean)],
            BLACK.stroke_width(2),
        ))
        .ck(kind)?
        .label(format!("average {}", fmt_num(Some(mean))))
        .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 30, y)], BLACK.stroke_width(2)));
    legend(&mut chart, kind, SeriesLabelPosition::UpperRight)
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
    // Age of in-progress items, by the stage they are in.
    let wip: Vec<(usize, f64, Kind)> = d
        .trace
        .items
        .iter()
        .filter(|it| it.in_system_at(day))
        .filter_map(|it| Some((it.stage_at(day)?, day - it.arrival, it.kind)))
        .collect();
    // Historical age at which items left each stage, from items finished before that day.
    let mut history: Vec<Vec<f64>> = vec![Vec::new(); n];
    for it in &d.trace.items {
        for (s, past) in history.iter_mut().enumerate() {
            let left = if s + 1 < n {
                it.entered[s + 1]
            } else {
                it.delivered.unwrap_or(f64::NAN)
            };
            if left.is_finite() && left <= day && it.entered[s].is_finite() {
                past.push(left - it.arrival);
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
        .x_label_area_size(60)
        .y_label_area_size(120)
        .build_cartesian_2d(-0.6f64..(n as f64 - 0.4), 0f64..top)
        .ck(kind)?;
    chart
        .configure_mesh()
        .disable_x_mesh()
        .x_labels(0)
        .y_desc(format!("Age on day {day} (days since arrival)"))
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
    for (j, (q, label)) in [(0.5, "50%"), (0.85, "85%"), (0.95, "95%")]
        .into_iter()
        .enumerate()
    {
        let color = shades[j];
        let mut first = true;
        for (s, h) in history.iter().enumerate() {
            let y = percentile(h, q);
            if !y.is_finite() {
                continue;
            }
            let x = s as f64;
            let series = chart
                .draw_series(LineSeries::new(
                    vec![(x - 0.4, y), (x + 0.4, y)],
                    color.stroke_width(4),
                ))
                .ck(kind)?;
            if first {
                series
                    .label(format!("{label} of past items left the stage by this age"))
                    .legend(move |(x, y)| {
                        PathElement::new(vec![(x, y), (x + 30, y)], color.stroke_width(4))
                    });
                first = false;
            }
        }
    }
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
            .ck(kind)?
            .label(format!("{} in progress", k.name()))
            .legend(move |(x, y)| Circle::new((x + 15, y), 8, color.filled()));
    }
    let stage_names: Vec<String> = vs.stages.iter().map(|s| s.name.clone()).collect();
    legend(&mut chart, kind, SeriesLabelPosition::UpperLeft)?;
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

fn key_results<DB: DrawingBackend>(
    root: &Area<'_, DB>,
    body: &Area<'_, DB>,
    d: &ChartData<'_>,
    kind: ChartKind,
) -> R {
    let policies = &d.comparison.policies;
    let krs: Vec<String> = policies
        .first()
        .map(|p| p.key_results.iter().map(|k| k.name.clone()).collect())
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
    let m = policies.len() as f64;
    let width = 0.8 / m;
    let mut chart = ChartBuilder::on(body)
        .margin(30)
        .x_label_area_size(70)
        .y_label_area_size(120)
        .build_cartesian_2d(-0.6f64..(krs.len() as f64 - 0.4), 0f64..105f64)
        .ck(kind)?;
    chart
        .configure_mesh()
        .disable_x_mesh()
        .x_labels(0)
        .y_desc("Probability of achieving (%)")
        .x_label_formatter(&tick)
        .y_label_formatter(&tick)
        .label_style(label_style())
        .axis_desc_style((FONT, AXIS))
        .draw()
        .ck(kind)?;
    for (j, p) in policies.iter().enumerate() {
        let color = policy_color(&p.policy, j);
        let offset = (j as f64 - (m - 1.0) / 2.0) * width;
        chart
            .draw_series(p.key_results.iter().enumerate().map(|(i, k)| {
                let x = i as f64 + offset;
                Rectangle::new(
                    [
                        (x - width * 0.45, 0.0),
                        (x + width * 0.45, k.probability * 100.0),
                    ],
                    color.filled(),
                )
            }))
            .ck(kind)?
            .label(p.policy.clone())
            .legend(move |(x, y)| Rectangle::new([(x, y - 10), (x + 30, y + 10)], color.filled()));
    }
    for level in [70.0, 90.0] {
        let end = krs.len() as f64 - 0.4;
        chart
            .draw_series(DashedLineSeries::new(
                vec![(-0.6, level), (end, level)],
                14,
                10,
                BLACK.stroke_width(2),
            ))
            .ck(kind)?;
        chart
            .draw_series(std::iter::once(Text::new(
                format!("{level:.0}% confidence"),
                (-0.58, level),
                label_style().pos(Pos::new(HPos::Left, VPos::Bottom)),
            )))
            .ck(kind)?;
    }
    legend(&mut chart, kind, SeriesLabelPosition::UpperRight)?;
    // Key results can be long: wrap them under their group.
    let wrapped: Vec<String> = krs
        .iter()
        .map(|k| {
            if k.len() > 34 {
                k.replacen(" by ", "\nby ", 1).replacen(" at ", "\nat ", 1)
            } else {
                k.clone()
            }
        })
        .collect();
    let style = (FONT, 22)
        .into_font()
        .color(&BLACK)
        .pos(Pos::new(HPos::Center, VPos::Top));
    for (i, name) in wrapped.iter().enumerate() {
        let (x, y) = chart.backend_coord(&(i as f64, 0.0));
        for (l, line) in name.lines().enumerate() {
            root.draw_text(line, &style, (x, y + 8 + 26 * l as i32))
                .ck(kind)?;
        }
    }
    Ok(())
}
