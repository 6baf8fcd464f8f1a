//! Sweep charts, drawn from sweep records alone (so `merge` draws the same chart as one
//! machine): one knob gives a line with its 95% confidence band; two knobs give one line per
//! value of the second when it has few values (e.g. policies), a heatmap otherwise.

use super::style::{policy_color, AXIS, FONT, LABEL, NOTE, TITLE};
use super::{ChartError, SIZE};
use crate::report::sweep::Record;
use crate::report::table::{fmt_big, fmt_num};
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use serde_json::Value;
use std::path::Path;

/// Most values of the second knob drawn as separate lines; more make a heatmap.
const MAX_LINES: usize = 6;

fn fail<E: std::fmt::Debug>(e: E) -> ChartError {
    ChartError::Draw {
        chart: "sweep",
        message: format!("{e:?}"),
    }
}

fn label(v: &Value) -> String {
    match v {
        Value::Null => "none".into(),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// The distinct values of axis `a`, in order of first appearance (the grid's order).
fn values(records: &[Record], a: usize) -> Vec<Value> {
    let mut out: Vec<Value> = Vec::new();
    for r in records {
        let v = &r.parameters[a].value;
        if !out.contains(v) {
            out.push(v.clone());
        }
    }
    out
}

/// Positions of an axis's values: the numbers themselves when all are numbers, else 0, 1, ...
fn positions(vals: &[Value]) -> (Vec<f64>, bool) {
    if vals.iter().all(Value::is_number) {
        (
            vals.iter().map(|v| v.as_f64().unwrap_or(0.0)).collect(),
            true,
        )
    } else {
        ((0..vals.len()).map(|i| i as f64).collect(), false)
    }
}

/// The title's size: the usual one, smaller for a long title so that it fits the width.
pub(super) fn title_size(title: &str) -> u32 {
    let n = title.chars().count() as u32;
    // About 0.55 em per character of DejaVu Sans, within the chart's 1600 px less margins.
    let fits = (1500 * 100 / (55 * n.max(1))).min(TITLE);
    fits.max(24)
}

/// A tick label: whole numbers without decimals.
fn tick(x: f64) -> String {
    if x.fract().abs() < 1e-9 && x.abs() < 1e15 {
        format!("{x:.0}")
    } else {
        fmt_num(Some(x))
    }
}

/// Draws the sweep chart of `metric` into `path` (.png or .svg), through a staged file.
pub fn save(records: &[Record], metric: &str, path: &Path, force: bool) -> Result<(), ChartError> {
    super::save_drawing(
        path,
        force,
        |root| draw(records, metric, root),
        |root| draw(records, metric, root),
    )
}

/// Why a sweep chart cannot be drawn: a one-line message and, for a metric that is not
/// recognised at all, every valid form, one per line (the message alone would have to cut them).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Unchartable {
    /// What is wrong, on one line.
    pub message: String,
    /// The valid metrics, a form per line; empty when the message says enough.
    pub valid: Vec<String>,
}

impl std::fmt::Display for Unchartable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl From<String> for Unchartable {
    fn from(message: String) -> Unchartable {
        Unchartable {
            message,
            valid: Vec::new(),
        }
    }
}

/// The families of per-name metrics (`stage.<name>.<metric>`): prefix, what a name is, its
/// plural.
const FAMILIES: [(&str, &str, &str); 4] = [
    ("stage", "stage", "stages"),
    ("work", "work type", "work types"),
    ("kind", "kind", "kinds"),
    ("key_result", "key result", "key results"),
];

/// True for the key-result family, whose names (key results' text) are quoted in lists.
fn quoted(family: usize) -> bool {
    FAMILIES[family].0 == "key_result"
}

/// Characters of user-given names listed in a message before the rest are counted.
const NAMES_MAX: usize = 120;

/// `names` joined with `, `, each in backticks when `quote`, the rest counted past
/// [`NAMES_MAX`] characters (names are the user's; a scenario may have thousands).
fn name_list(names: &[&str], quote: bool) -> String {
    let mut out = String::new();
    for (i, n) in names.iter().enumerate() {
        let item = if quote {
            format!("`{n}`")
        } else {
            n.to_string()
        };
        if i > 0 && out.chars().count() + item.chars().count() > NAMES_MAX {
            out.push_str(&format!(", … and {} more", names.len() - i));
            break;
        }
        if i > 0 {
            out.push_str(", ");
        }
        out.push_str(&item);
    }
    out
}

/// The metric names a record carries, split into the run's own (`cycle_time`) and, per
/// family, the names and the metrics of each name, in sorted order.
struct Metrics<'a> {
    run: Vec<&'a str>,
    families: Vec<(usize, Vec<&'a str>, Vec<&'a str>)>,
}

impl<'a> Metrics<'a> {
    fn of(record: &'a Record) -> Metrics<'a> {
        let mut run = Vec::new();
        let mut families: Vec<(usize, Vec<&str>, Vec<&str>)> = Vec::new();
        for key in record.metrics.keys() {
            let family = FAMILIES.iter().position(|(p, _, _)| {
                key.strip_prefix(p)
                    .is_some_and(|r| r.starts_with('.') && r[1..].contains('.'))
            });
            let Some(f) = family else {
                run.push(key.as_str());
                continue;
            };
            let rest = &key[FAMILIES[f].0.len() + 1..];
            let (name, metric) = rest.rsplit_once('.').expect("invariant: checked above");
            let at = match families.iter().position(|(g, _, _)| *g == f) {
                Some(at) => at,
                None => {
                    families.push((f, Vec::new(), Vec::new()));
                    families.len() - 1
                }
            };
            let (_, names, metrics) = &mut families[at];
            if !names.contains(&name) {
                names.push(name);
            }
            if !metrics.contains(&metric) {
                metrics.push(metric);
            }
        }
        families.sort_by_key(|(f, _, _)| *f);
        for (_, names, metrics) in &mut families {
            names.sort_unstable();
            metrics.sort_unstable();
        }
        Metrics { run, families }
    }

    /// Every valid form, one per line.
    fn lines(&self) -> Vec<String> {
        let mut out = vec!["valid --metric values:".to_string()];
        let run: Vec<String> = self.run.iter().map(|m| m.to_string()).collect();
        out.extend(wrapped("  ", &run));
        for (f, names, metrics) in &self.families {
            let (prefix, what, _) = FAMILIES[*f];
            let placeholder = what.replace(' ', "_");
            // A family of one metric (a key result's `value`) is written with it.
            let one = (metrics.len() == 1).then(|| metrics[0]);
            out.push(format!(
                "  {prefix}.<{placeholder}>.{}, with",
                one.unwrap_or("<metric>")
            ));
            let mut shown: Vec<String> = names
                .iter()
                .take(NAMES_LISTED)
                .map(|n| {
                    if quoted(*f) {
                        format!("`{n}`")
                    } else {
                        n.to_string()
                    }
                })
                .collect();
            if names.len() > NAMES_LISTED {
                shown.push(format!("… and {} more", names.len() - NAMES_LISTED));
            }
            out.extend(wrapped(&format!("    <{placeholder}> one of "), &shown));
            if one.is_none() {
                let metrics: Vec<String> = metrics.iter().map(|m| m.to_string()).collect();
                out.extend(wrapped("    <metric> one of ", &metrics));
            }
        }
        out
    }
}

/// Names of one family listed with the valid metrics before the rest are counted (a
/// scenario's own names; it may have thousands).
const NAMES_LISTED: usize = 40;

/// `items` joined with `, ` after `lead`, on lines of about 100 characters, the next lines
/// indented as far as the first item.
fn wrapped(lead: &str, items: &[String]) -> Vec<String> {
    let indent = " ".repeat(lead.chars().count());
    let mut out = Vec::new();
    let mut line = lead.to_string();
    let mut empty = true;
    for (i, item) in items.iter().enumerate() {
        let item = if i + 1 < items.len() {
            format!("{item},")
        } else {
            item.clone()
        };
        if !empty && line.chars().count() + 1 + item.chars().count() > 100 {
            out.push(std::mem::replace(&mut line, indent.clone()));
            empty = true;
        }
        if !empty {
            line.push(' ');
        }
        line.push_str(&item);
        empty = false;
    }
    out.push(line);
    out
}

/// Why `metric` is not among the metrics of `record`: which part of it is unknown, with the
/// names it could be.
fn unknown_metric(record: &Record, metric: &str) -> Unchartable {
    use crate::scenario::message::suggest;
    let all = Metrics::of(record);
    let did_you_mean = |s: Option<&str>| {
        s.map(|s| format!(" (did you mean `{s}`?)"))
            .unwrap_or_default()
    };
    let family = all.families.iter().find(|(f, _, _)| {
        metric
            .strip_prefix(FAMILIES[*f].0)
            .is_some_and(|r| r.starts_with('.'))
    });
    if let Some((f, names, metrics)) = family {
        let (prefix, what, plural) = FAMILIES[*f];
        let rest = &metric[prefix.len() + 1..];
        // The longest name the rest starts with: names may hold dots.
        let known = names
            .iter()
            .filter(|n| rest == **n || rest.starts_with(&format!("{n}.")))
            .max_by_key(|n| n.len());
        let message = match known {
            Some(name) => {
                let part = rest[name.len()..].trim_start_matches('.');
                let list = metrics.join(", ");
                if part.is_empty() {
                    format!(
                        "--metric {metric}: names a {what} but no metric; write {prefix}.{name}.<metric>, with <metric> one of {list}"
                    )
                } else {
                    format!(
                        "--metric {metric}: `{part}` is not a metric of a {what}{}; a {what}'s metrics are {list}",
                        did_you_mean(suggest(part, metrics))
                    )
                }
            }
            None => {
                let name = rest.rsplit_once('.').map_or(rest, |(n, _)| n);
                format!(
                    "--metric {metric}: `{name}` is not a {what} of the scenario{}; its {plural} are {}",
                    did_you_mean(suggest(name, names)),
                    name_list(names, quoted(*f))
                )
            }
        };
        return message.into();
    }
    let keys: Vec<&str> = record.metrics.keys().map(String::as_str).collect();
    let forms: Vec<String> = all
        .families
        .iter()
        .map(|(f, _, metrics)| {
            let (prefix, what, _) = FAMILIES[*f];
            let metric = match metrics.as_slice() {
                [one] => one,
                _ => "<metric>",
            };
            format!("{prefix}.<{}>.{metric}", what.replace(' ', "_"))
        })
        .collect();
    Unchartable {
        message: format!(
            "--metric {metric}: unknown, not a metric of this sweep{}; write one of the run's metrics (such as cycle_time) or {} (valid: every value listed above)",
            did_you_mean(suggest(metric, &keys)),
            forms.join(", ")
        ),
        valid: all.lines(),
    }
}

/// Checks that `records` can be charted: one or two knobs, and `metric` among their metrics.
pub fn check(records: &[Record], metric: &str) -> Result<(), Unchartable> {
    let Some(first) = records.first() else {
        return Err(String::from("no points to chart").into());
    };
    if first.parameters.is_empty() || first.parameters.len() > 2 {
        return Err(format!(
            "a sweep chart shows one or two knobs; this sweep has {}",
            first.parameters.len()
        )
        .into());
    }
    if !first.metrics.contains_key(metric) {
        return Err(unknown_metric(first, metric));
    }
    // A point or band past the largest number has no place on an axis.
    let overflows = records.iter().find(|r| {
        r.metrics.get(metric).is_some_and(|s| {
            let (m, c) = (s.mean.unwrap_or(0.0), s.ci95.unwrap_or(0.0));
            ![m - c, m + c].iter().all(|v| v.is_finite())
        })
    });
    if let Some(r) = overflows {
        return Err(format!(
            "--metric {metric}: point {} has a mean or 95% interval past the largest number, which no chart axis can hold",
            r.point
        )
        .into());
    }
    Ok(())
}

fn draw<DB: DrawingBackend>(
    records: &[Record],
    metric: &str,
    root: &DrawingArea<DB, Shift>,
) -> Result<(), ChartError> {
    check(records, metric).map_err(|m| ChartError::Draw {
        chart: "sweep",
        message: m.message,
    })?;
    root.fill(&WHITE).map_err(fail)?;
    let first = &records[0];
    let (body, foot) = root.split_vertically(SIZE.1 - 56);
    foot.draw_text(
        &format!(
            "{} · {} · {} replications per point on common random numbers · seed {} · valueflow {}",
            first.scenario,
            if records.len() as u64 == first.points {
                crate::report::sweep::points_text(first.points)
            } else {
                format!(
                    "{} of {} (one shard)",
                    records.len(),
                    crate::report::sweep::points_text(first.points)
                )
            },
            if records.iter().all(|r| r.replications == first.replications) {
                first.replications.to_string()
            } else {
                "varying (--precision)".into()
            },
            first.seed,
            first.version
        ),
        &(FONT, NOTE).into_font().color(&RGBColor(90, 90, 90)),
        (40, 14),
    )
    .map_err(fail)?;
    let what = super::metric_label(metric);
    let x_name = &first.parameters[0].name;
    let second = (first.parameters.len() == 2).then(|| values(records, 1));
    match second {
        Some(vals) if vals.len() > MAX_LINES => heatmap(records, metric, &what, &body),
        _ => lines(records, metric, &what, x_name, &body),
    }
}

fn lines<DB: DrawingBackend>(
    records: &[Record],
    metric: &str,
    what: &str,
    x_name: &str,
    area: &DrawingArea<DB, Shift>,
) -> Result<(), ChartError> {
    let xs = values(records, 0);
    let (pos, numeric) = positions(&xs);
    let groups: Vec<Option<Value>> = if records[0].parameters.len() == 2 {
        values(records, 1).into_iter().map(Some).collect()
    } else {
        vec![None]
    };
    // (x, mean, low, high) per group; the band of a metric that cannot be negative (a time,
    // a count, a share) starts at 0, not below.
    let floor = if super::non_negative(metric) {
        0.0
    } else {
        f64::NEG_INFINITY
    };
    let series: Vec<Vec<(f64, f64, f64, f64)>> = groups
        .iter()
        .map(|g| {
            records
                .iter()
                .filter(|r| g.as_ref().is_none_or(|g| r.parameters[1].value == *g))
                .filter_map(|r| {
                    let s = r.metrics.get(metric)?;
                    let m = s.mean?;
                    let c = s.ci95.unwrap_or(0.0);
                    let i = xs.iter().position(|x| *x == r.parameters[0].value)?;
                    Some((pos[i], m, (m - c).max(floor), m + c))
                })
                .collect()
        })
        .collect();
    let all = series.iter().flatten();
    let (lo, hi) = all.fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), p| {
        (lo.min(p.2), hi.max(p.3))
    });
    let (lo, hi) = if lo.is_finite() { (lo, hi) } else { (0.0, 1.0) };
    let pad = ((hi - lo) * 0.08).max(hi.abs() * 0.01).max(1e-9);
    let (x0, x1) = pos
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), &x| {
            (a.min(x), b.max(x))
        });
    // A little room at the ends: 5% of the span (half a step for categories or one point).
    let xpad = if numeric && x1 > x0 {
        (x1 - x0) * 0.05
    } else {
        0.5
    };
    // Nor does the axis of such a metric reach below 0.
    let (y0, y1) = ((lo - pad).max(floor), hi + pad);
    // A point or band past the largest number has no place on an axis (and an axis to
    // infinity never ends).
    let points = series.iter().flatten().flat_map(|p| [p.0, p.1, p.2, p.3]);
    if !points
        .chain([y0, y1, x0 - xpad, x1 + xpad, y1 - y0, x1 - x0])
        .all(f64::is_finite)
    {
        return Err(ChartError::Draw {
            chart: "sweep",
            message: format!("the {what} values span more than a chart axis can hold"),
        });
    }
    let title = format!("{what} by {x_name}");
    let mut chart = ChartBuilder::on(area)
        .caption(&title, (FONT, title_size(&title)))
        .margin(30)
        .x_label_area_size(90)
        .y_label_area_size(150)
        .build_cartesian_2d((x0 - xpad)..(x1 + xpad), y0..y1)
        .map_err(fail)?;
    // An axis of whole numbers (workers, a WIP limit) has no tick between them: 1.5 workers
    // is not a setting.
    let whole = numeric && pos.iter().all(|p| p.fract() == 0.0);
    let label_of = |x: &f64| {
        if whole && (x - x.round()).abs() > 1e-9 {
            String::new()
        } else if numeric {
            tick(*x)
        } else {
            xs.get(x.round() as usize)
                .filter(|_| (x - x.round()).abs() < 1e-9)
                .map(label)
                .unwrap_or_default()
        }
    };
    chart
        .configure_mesh()
        .x_desc(x_name)
        .y_desc(format!("{what} (mean, 95% band)"))
        .axis_desc_style((FONT, AXIS))
        .label_style((FONT, LABEL))
        .x_labels(if numeric { 10 } else { xs.len().max(2) })
        .x_label_formatter(&label_of)
        .y_label_formatter(&|y| fmt_num(Some(*y)))
        .light_line_style(RGBColor(235, 235, 235))
        .draw()
        .map_err(fail)?;
    for (k, (g, pts)) in groups.iter().zip(&series).enumerate() {
        let name = g.as_ref().map(label).unwrap_or_else(|| what.to_string());
        let color = policy_color(&name, k);
        let band = super::band_outline(&pts.iter().map(|p| (p.0, p.2, p.3)).collect::<Vec<_>>());
        chart
            .draw_series(std::iter::once(Polygon::new(
                band,
                color.mix(0.18).filled(),
            )))
            .map_err(fail)?;
        chart
            .draw_series(
                pts.iter()
                    .map(|p| Circle::new((p.0, p.1), 8, color.filled())),
            )
            .map_err(fail)?;
        let drawn = chart
            .draw_series(LineSeries::new(
                pts.iter().map(|p| (p.0, p.1)),
                color.stroke_width(5),
            ))
            .map_err(fail)?;
        if g.is_some() {
            let axis = &records[0].parameters[1].name;
            drawn
                .label(format!("{axis} = {name}"))
                .legend(move |(x, y)| {
                    Rectangle::new([(x, y - 6), (x + 18, y + 6)], color.filled())
                });
        }
    }
    if series.iter().all(Vec::is_empty) {
        // No point has the metric: say so where the lines would be, as the heatmap does.
        chart
            .draw_series(std::iter::once(Text::new(
                format!("no point has a mean {what}"),
                ((x0 + x1) / 2.0, (y0 + y1) / 2.0),
                (FONT, AXIS)
                    .into_font()
                    .color(&BLACK)
                    .pos(Pos::new(HPos::Center, VPos::Center)),
            )))
            .map_err(fail)?;
    }
    if groups.len() > 1 {
        chart
            .configure_series_labels()
            .label_font((FONT, LABEL))
            .background_style(WHITE.mix(0.9))
            .border_style(RGBColor(180, 180, 180))
            .position(SeriesLabelPosition::UpperRight)
            .draw()
            .map_err(fail)?;
    }
    Ok(())
}

/// Where `m` lies from `lo` (0) to `hi` (1) on the colour scale; 0 when every mean is the same.
/// A span past the largest number (means near ±1e308 in a merged record) is halved before
/// the subtraction, so the position stays exact instead of every cell but the lowest
/// saturating.
fn shade(m: f64, lo: f64, hi: f64) -> f64 {
    if hi <= lo || hi.is_nan() || lo.is_nan() {
        return 0.0;
    }
    let t = if (hi - lo).is_finite() {
        (m - lo) / (hi - lo)
    } else {
        (m / 2.0 - lo / 2.0) / (hi / 2.0 - lo / 2.0)
    };
    if t.is_nan() {
        0.0
    } else {
        t.clamp(0.0, 1.0)
    }
}

/// A sequential colour scale from pale to dark blue-green (readable in grey and by the
/// common colour-vision deficiencies).
fn scale(t: f64) -> RGBColor {
    let stops = [
        (247.0, 252.0, 240.0),
        (123.0, 204.0, 196.0),
        (8.0, 64.0, 129.0),
    ];
    let t = t.clamp(0.0, 1.0) * 2.0;
    let (a, b, f) = if t < 1.0 {
        (stops[0], stops[1], t)
    } else {
        (stops[1], stops[2], t - 1.0)
    };
    let mix = |x: f64, y: f64| (x + (y - x) * f).round() as u8;
    RGBColor(mix(a.0, b.0), mix(a.1, b.1), mix(a.2, b.2))
}

fn heatmap<DB: DrawingBackend>(
    records: &[Record],
    metric: &str,
    what: &str,
    area: &DrawingArea<DB, Shift>,
) -> Result<(), ChartError> {
    let (xs, ys) = (values(records, 0), values(records, 1));
    // Every point of the grid, with its mean if it has one (a cell without is drawn grey).
    let cells: Vec<(usize, usize, Option<f64>)> = records
        .iter()
        .filter_map(|r| {
            let m = r.metrics.get(metric).and_then(|s| s.mean);
            let i = xs.iter().position(|x| *x == r.parameters[0].value)?;
            let j = ys.iter().position(|y| *y == r.parameters[1].value)?;
            Some((i, j, m))
        })
        .collect();
    let (lo, hi) = cells
        .iter()
        .filter_map(|c| c.2)
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), m| {
            (a.min(m), b.max(m))
        });
    let (xn, yn) = (
        records[0].parameters[0].name.clone(),
        records[0].parameters[1].name.clone(),
    );
    let title = format!("{what} by {xn} and {yn}");
    // The title spans the whole width; the colour bar, right of the cells, says what the
    // colours mean (cells too small for their numbers carry none, and it is all there is to
    // read).
    let area = area
        .margin(24, 0, 0, 0)
        .titled(&title, (FONT, title_size(&title)))
        .map_err(fail)?;
    let (cells_area, bar_area) = area.split_horizontally(area.dim_in_pixel().0 - BAR_WIDTH);
    // Room for the longest label of the second knob (policy names, say) and its title.
    let longest = |vals: &[Value]| {
        vals.iter()
            .map(|v| label(v).chars().count())
            .max()
            .unwrap_or(1)
    };
    let y_area = (text_px(longest(&ys), LABEL) + 70).clamp(120, 420);
    let mut chart = ChartBuilder::on(&cells_area)
        .margin(30)
        .x_label_area_size(90)
        .y_label_area_size(y_area)
        .build_cartesian_2d(0.0..xs.len() as f64, 0.0..ys.len() as f64)
        .map_err(fail)?;
    // Every k-th value labelled, so that labels never run together: as many as fit the axis.
    let (plot_w, plot_h) = chart.plotting_area().dim_in_pixel();
    let x_every = every(xs.len(), plot_w, text_px(longest(&xs), LABEL) + 16);
    let y_every = every(ys.len(), plot_h, LABEL + 8);
    let at = |vals: &[Value], v: f64, k: usize| {
        let i = v.floor() as usize;
        if (v - i as f64 - 0.5).abs() < 1e-6 && i % k == 0 {
            vals.get(i).map(label).unwrap_or_default()
        } else {
            String::new()
        }
    };
    let xl = |v: &f64| at(&xs, *v, x_every);
    let yl = |v: &f64| at(&ys, *v, y_every);
    chart
        .configure_mesh()
        .disable_mesh()
        .x_desc(xn.as_str())
        .y_desc(yn.as_str())
        .axis_desc_style((FONT, AXIS))
        .label_style((FONT, LABEL))
        .x_labels(2 * xs.len() + 1)
        .y_labels(2 * ys.len() + 1)
        .x_label_formatter(&xl)
        .y_label_formatter(&yl)
        .draw()
        .map_err(fail)?;
    chart
        .draw_series(cells.iter().map(|&(i, j, m)| {
            let (x, y) = (i as f64, j as f64);
            let colour = m.map_or(NO_VALUE, |m| scale(shade(m, lo, hi)));
            Rectangle::new([(x, y), (x + 1.0, y + 1.0)], colour.filled())
        }))
        .map_err(fail)?;
    // The numbers in the cells, when every one fits its cell.
    let widest = cells
        .iter()
        .map(|c| c.2.map_or(1, |m| fmt_num(Some(m)).chars().count()))
        .max()
        .unwrap_or(1);
    let (cell_w, cell_h) = (
        plot_w / xs.len().max(1) as u32,
        plot_h / ys.len().max(1) as u32,
    );
    if cell_w >= text_px(widest, LABEL) + 8 && cell_h >= LABEL + 4 {
        let text = |t: f64| if t > 0.6 { WHITE } else { BLACK };
        chart
            .draw_series(cells.iter().map(|&(i, j, m)| {
                let (words, colour) = match m {
                    Some(m) => (fmt_num(Some(m)), text(shade(m, lo, hi))),
                    None => ("–".to_string(), BLACK),
                };
                Text::new(
                    words,
                    (i as f64 + 0.5, j as f64 + 0.5),
                    (FONT, LABEL)
                        .into_font()
                        .color(&colour)
                        .pos(Pos::new(HPos::Center, VPos::Center)),
                )
            }))
            .map_err(fail)?;
    }
    let missing = cells.iter().filter(|c| c.2.is_none()).count();
    if lo <= hi {
        colour_bar(&bar_area, what, lo, hi, missing > 0)?;
    } else {
        // No point has the metric: say so where the cells would be.
        let (w, h) = cells_area.dim_in_pixel();
        cells_area
            .draw_text(
                &format!("no point has a mean {what}"),
                &(FONT, AXIS)
                    .into_font()
                    .color(&BLACK)
                    .pos(Pos::new(HPos::Center, VPos::Center)),
                (w as i32 / 2, h as i32 / 2),
            )
            .map_err(fail)?;
    }
    Ok(())
}

/// The colour of a cell whose point has no mean of the metric: a grey off the colour scale.
const NO_VALUE: RGBColor = RGBColor(190, 190, 190);

/// About how many pixels `chars` characters take at font size `size` (DejaVu Sans averages
/// about 0.6 em a character).
fn text_px(chars: usize, size: u32) -> u32 {
    (chars as u32 * size * 6).div_ceil(10)
}

/// Label every k-th of `n` values so that labels `each` pixels wide fit `room` pixels.
fn every(n: usize, room: u32, each: u32) -> usize {
    let fit = (room / each.max(1)).max(1) as usize;
    n.div_ceil(fit).max(1)
}

/// Width in pixels of the heatmap's colour bar, its tick labels and its caption.
const BAR_WIDTH: u32 = 260;
/// Bands the colour bar is drawn in.
const BAR_BANDS: usize = 100;

/// The mean at place `t` (0 to 1) of the scale from `lo` to `hi`: [`shade`]'s inverse, exact
/// and finite even when the span overflows.
fn unshade(t: f64, lo: f64, hi: f64) -> f64 {
    if (hi - lo).is_finite() {
        lo + t * (hi - lo)
    } else {
        2.0 * (lo / 2.0 + t * (hi / 2.0 - lo / 2.0))
    }
}

/// The heatmap's colour bar: the scale from the lowest mean (bottom) to the highest (top),
/// ticked in the metric's units, on the same rows as the cells.
fn colour_bar<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    what: &str,
    lo: f64,
    hi: f64,
    missing: bool,
) -> Result<(), ChartError> {
    // Large numbers in short form (432.50M), so that ticks stay clear of the caption.
    let compact = |v: f64| {
        if v.abs() >= 1e4 {
            fmt_big(Some(v))
        } else {
            fmt_num(Some(v))
        }
    };
    let mut bar = ChartBuilder::on(area)
        .margin(30)
        .margin_left(10)
        .x_label_area_size(90)
        .right_y_label_area_size(150)
        .build_cartesian_2d(0.0..1.0, 0.0..1.0)
        .map_err(fail)?;
    let label = |t: &f64| {
        if hi > lo {
            compact(unshade(*t, lo, hi))
        } else if *t == 0.0 {
            // Every mean the same: one colour, one number.
            compact(lo)
        } else {
            String::new()
        }
    };
    bar.configure_mesh()
        .disable_mesh()
        .disable_x_axis()
        .y_desc(format!("mean {what}"))
        .axis_desc_style((FONT, LABEL))
        .label_style((FONT, LABEL))
        .y_labels(6)
        .y_label_formatter(&label)
        .draw()
        .map_err(fail)?;
    bar.draw_series((0..BAR_BANDS).map(|k| {
        let (a, b) = (
            k as f64 / BAR_BANDS as f64,
            (k + 1) as f64 / BAR_BANDS as f64,
        );
        // The ends are the scale's ends: the lowest mean's colour and the highest's.
        let t = k as f64 / (BAR_BANDS - 1) as f64;
        let colour = if hi > lo { scale(t) } else { scale(0.0) };
        Rectangle::new([(0.0, a), (1.0, b)], colour.filled())
    }))
    .map_err(fail)?;
    if missing {
        let (w, h) = area.dim_in_pixel();
        area.draw_text(
            "grey: no value",
            &(FONT, NOTE)
                .into_font()
                .color(&BLACK)
                .pos(Pos::new(HPos::Center, VPos::Bottom)),
            (w as i32 / 2, h as i32 - 30),
        )
        .map_err(fail)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Point `k` of a one-knob sweep of 3 points, whose one metric `metric` is `stat` (JSON).
    fn record(k: u64, metric: &str, stat: &str) -> Record {
        serde_json::from_str(&format!(
            r#"{{"point":{k},"points":3,"parameters":[{{"name":"load","value":{k}}}],"scenario":"s","scenario_hash":"h","grid_hash":"g","seed":1,"replications":2,"version":"v","policy":"fifo","stability":"steady","constraint":null,"metrics":{{"{metric}":{stat}}}}}"#
        ))
        .unwrap()
    }

    /// The texts of an SVG drawing of `metric` over `records`, trimmed.
    fn texts(records: &[Record], metric: &str) -> Vec<String> {
        // The charts' entry points register the bundled font; `draw` alone does not, and a
        // test run on its own must not rely on another test having drawn first.
        crate::report::chart::style::register_fonts();
        let mut svg = String::new();
        {
            let root = SVGBackend::with_string(&mut svg, SIZE).into_drawing_area();
            draw(records, metric, &root).unwrap();
            root.present().unwrap();
        }
        svg.split("<text")
            .skip(1)
            .filter_map(|t| {
                let body = &t[t.find('>')? + 1..];
                Some(body[..body.find("</text>")?].trim().to_string())
            })
            .collect()
    }

    /// A one-knob chart whose metric no point has (time to first value without a value
    /// model) says so on the chart, as the heatmap does, instead of drawing empty axes.
    #[test]
    fn a_line_chart_says_when_no_point_has_the_metric() {
        let none = r#"{"mean":null,"ci95":null,"p50":null,"p85":null,"p95":null}"#;
        let records: Vec<Record> = (0..3)
            .map(|k| record(k, "time_to_first_value", none))
            .collect();
        let t = texts(&records, "time_to_first_value");
        assert!(
            t.iter()
                .any(|x| x == "no point has a mean time to first value"),
            "{t:?}"
        );
    }

    /// An axis of whole numbers (workers 0, 1, 2) has no tick between them; one of decimals
    /// keeps its decimal ticks.
    #[test]
    fn a_whole_number_axis_has_no_half_ticks() {
        let stat = r#"{"mean":1.0,"ci95":0.1,"p50":1.0,"p85":1.0,"p95":1.0}"#;
        let records: Vec<Record> = (0..3).map(|k| record(k, "cycle_time", stat)).collect();
        let t = texts(&records, "cycle_time");
        assert!(t.iter().any(|x| x == "1"), "{t:?}");
        assert!(
            !t.iter().any(|x| x.ends_with(".5") || x.ends_with(".50")),
            "{t:?}"
        );
        let halves: Vec<Record> = (0..3)
            .map(|k| {
                let mut r = record(k, "cycle_time", stat);
                r.parameters[0].value = serde_json::json!(k as f64 * 0.5 + 0.25);
                r
            })
            .collect();
        let t = texts(&halves, "cycle_time");
        assert!(t.iter().any(|x| x.contains('.')), "{t:?}");
    }

    /// A 95% band of a time that reaches below 0 is drawn from 0 (a time cannot be negative):
    /// no tick below 0. A metric that can be negative (value realised) keeps its band.
    #[test]
    fn a_band_of_a_metric_that_cannot_be_negative_starts_at_zero() {
        let wide = r#"{"mean":1.0,"ci95":3.0,"p50":1.0,"p85":1.0,"p95":1.0}"#;
        for metric in [
            "cycle_time",
            "lead_time",
            "throughput",
            "stage.a.utilization",
        ] {
            let records: Vec<Record> = (0..3).map(|k| record(k, metric, wide)).collect();
            let t = texts(&records, metric);
            assert!(!t.iter().any(|x| x.starts_with('-')), "{metric}: {t:?}");
        }
        let records: Vec<Record> = (0..3).map(|k| record(k, "value_realised", wide)).collect();
        let t = texts(&records, "value_realised");
        assert!(t.iter().any(|x| x.starts_with('-')), "{t:?}");
    }

    #[test]
    fn shades_span_the_scale_even_when_the_span_overflows() {
        // Means near ±1e308: hi − lo is infinite, yet the middle is the middle.
        let (lo, hi) = (-1e308_f64, 1e308_f64);
        assert!((hi - lo).is_infinite());
        assert_eq!(shade(lo, lo, hi), 0.0);
        assert_eq!(shade(0.0, lo, hi), 0.5);
        assert_eq!(shade(hi, lo, hi), 1.0);
        assert_eq!(shade(-0.5e308, lo, hi), 0.25);
        assert_eq!(shade(f64::MAX, -f64::MAX, f64::MAX), 1.0);
        // The same positions as on a finite span.
        for k in 0..=13 {
            let t = f64::from(k) / 13.0;
            let (small, huge) = (-1.0 + 2.0 * t, (-1.0 + 2.0 * t) * 1e308);
            let (a, b) = (shade(small, -1.0, 1.0), shade(huge, lo, hi));
            assert!((a - b).abs() < 1e-12, "{k}: {a} {b}");
            assert_eq!(scale(a), scale(b), "{k}");
        }
        // Every mean the same: the palest colour; nothing outside 0..=1.
        assert_eq!(shade(3.0, 3.0, 3.0), 0.0);
        assert_eq!(shade(5.0, 0.0, 1.0), 1.0);
        assert_eq!(shade(-5.0, 0.0, 1.0), 0.0);
        assert_eq!(shade(f64::NAN, 0.0, 1.0), 0.0);
    }
}
