//! The delta chart of `compare BEFORE AFTER`: one row per metric, the paired difference
//! (after − before) as a share of the before mean, with its 95% interval, a zero line, and
//! P(after better) written beside it. A forest plot: rows whose interval crosses zero are
//! grey ("no clear difference"); green is better, vermillion worse, in each metric's own
//! good direction (more value, shorter cycle time).

use super::style::{register_fonts, AXIS, FONT, LABEL, NOTE, TITLE};
use super::{ChartError, SIZE};
use crate::report::paired::TwoWorlds;
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

const BETTER: RGBColor = RGBColor(0, 158, 115);
const WORSE: RGBColor = RGBColor(213, 94, 0);
const UNCLEAR: RGBColor = RGBColor(120, 120, 120);

fn fail<E: std::fmt::Debug>(e: E) -> ChartError {
    ChartError::Draw {
        chart: "delta",
        message: format!("{e:?}"),
    }
}

/// One drawable row: the metric, its difference in % of before (mean, low, high), its colour
/// and the text beside it.
struct Row {
    label: String,
    mean: f64,
    low: f64,
    high: f64,
    color: RGBColor,
    note: String,
}

/// The rows of `t` that can be drawn as a share of their before mean (a before mean of zero
/// or no mean has no relative difference; the table still has them).
fn rows(t: &TwoWorlds) -> (Vec<Row>, Vec<&'static str>) {
    let mut out = Vec::new();
    let mut skipped = Vec::new();
    for m in &t.metrics {
        let (Some(before), Some(d), ci) = (m.before, m.difference.mean, m.difference.ci95) else {
            skipped.push(m.metric);
            continue;
        };
        if before == 0.0 || !before.is_finite() || !d.is_finite() {
            skipped.push(m.metric);
            continue;
        }
        let scale = 100.0 / before.abs();
        let c = ci.unwrap_or(0.0);
        let (low, high) = ((d - c) * scale, (d + c) * scale);
        // The axis spans a little more than twice the largest share: it must stay finite too.
        let drawable = |x: f64| x.is_finite() && x.abs() < f64::MAX / 4.0;
        if ![low, high, d * scale].into_iter().all(drawable) {
            // A before mean so small next to the difference that the share overflows.
            skipped.push(m.metric);
            continue;
        }
        let good = |x: f64| if m.higher_is_better { x > 0.0 } else { x < 0.0 };
        let color = if ci.is_some() && low > 0.0 || ci.is_some() && high < 0.0 {
            if good(d) {
                BETTER
            } else {
                WORSE
            }
        } else {
            UNCLEAR
        };
        let arrow = if m.higher_is_better {
            "higher is better"
        } else {
            "lower is better"
        };
        out.push(Row {
            label: format!("{} ({arrow})", m.metric.replace('_', " ")),
            mean: d * scale,
            low,
            high,
            color,
            note: format!(
                "{}{:.1}% · P(better) {:.0}%",
                if d > 0.0 { "+" } else { "" },
                d * scale,
                m.p_better * 100.0
            ),
        });
    }
    (out, skipped)
}

/// Characters of a note that fit the chart's width (about 0.55 em each at the note's size,
/// within 1600 px less margins), and the height of a note's line.
const NOTE_CHARS: usize = 110;
const NOTE_ROW: u32 = 30;

/// `text` cut into lines of at most `width` characters, at spaces.
fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut lines: Vec<String> = Vec::new();
    let mut line = String::new();
    for word in text.split(' ') {
        if !line.is_empty() && line.chars().count() + 1 + word.chars().count() > width {
            lines.push(std::mem::take(&mut line));
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(word);
    }
    if !line.is_empty() {
        lines.push(line);
    }
    lines
}

fn file_name(p: &str) -> &str {
    std::path::Path::new(p)
        .file_name()
        .and_then(|s| s.to_str())
        .unwrap_or(p)
}

/// Draws the delta chart of `t` into `root`.
pub fn draw<DB: DrawingBackend>(
    t: &TwoWorlds,
    root: &DrawingArea<DB, Shift>,
) -> Result<(), ChartError> {
    register_fonts();
    root.fill(&WHITE).map_err(fail)?;
    let (rows, skipped) = rows(t);
    let mut lines = vec![format!(
        "{} replications paired on common random numbers · seed {} · policies {} / {}",
        t.replications, t.seed, t.policies[0], t.policies[1]
    )];
    if !skipped.is_empty() {
        // Wrapped, so that every metric left out is named within the chart's width.
        lines.extend(wrap(
            &format!(
                "not drawn (before mean 0, none, or too small to take a share of): {}",
                skipped.join(", ")
            ),
            NOTE_CHARS,
        ));
    }
    let foot_height = 28 + NOTE_ROW * lines.len() as u32;
    let (body, foot) = root.split_vertically(SIZE.1 - foot_height);
    for (i, line) in lines.iter().enumerate() {
        foot.draw_text(
            line,
            &(FONT, NOTE).into_font().color(&RGBColor(90, 90, 90)),
            (40, 14 + (NOTE_ROW * i as u32) as i32),
        )
        .map_err(fail)?;
    }
    let title = format!(
        "{} vs {}: paired difference, % of before",
        file_name(&t.after),
        file_name(&t.before)
    );
    let n = rows.len().max(1);
    let extreme = rows
        .iter()
        .fold(1.0_f64, |a, r| a.max(r.low.abs()).max(r.high.abs()));
    let span = extreme * 1.1;
    let mut chart = ChartBuilder::on(&body)
        .caption(&title, (FONT, super::sweep::title_size(&title).min(TITLE)))
        .margin(30)
        .margin_right(420)
        .x_label_area_size(90)
        .y_label_area_size(420)
        .build_cartesian_2d(-span..span, 0.0..n as f64)
        .map_err(fail)?;
    let labels: Vec<String> = rows.iter().map(|r| r.label.clone()).collect();
    let y_label = |v: &f64| {
        let i = v.floor();
        // Row i is drawn at n - 1 - i so the first metric is on top.
        if (v - i - 0.5).abs() < 1e-6 {
            let k = n as f64 - 1.0 - i;
            labels.get(k as usize).cloned().unwrap_or_default()
        } else {
            String::new()
        }
    };
    chart
        .configure_mesh()
        .disable_y_mesh()
        .x_desc("after − before, % of the before mean (95% interval)")
        .axis_desc_style((FONT, AXIS))
        .label_style((FONT, LABEL))
        .y_labels(2 * n + 1)
        .y_label_formatter(&y_label)
        .x_labels(9)
        .x_label_formatter(&|x| tick(*x, span))
        .light_line_style(RGBColor(235, 235, 235))
        .draw()
        .map_err(fail)?;
    chart
        .draw_series(std::iter::once(PathElement::new(
            vec![(0.0, 0.0), (0.0, n as f64)],
            BLACK.stroke_width(2),
        )))
        .map_err(fail)?;
    for (i, r) in rows.iter().enumerate() {
        let y = (n - 1 - i) as f64 + 0.5;
        chart
            .draw_series(std::iter::once(PathElement::new(
                vec![(r.low, y), (r.high, y)],
                r.color.stroke_width(8),
            )))
            .map_err(fail)?;
        chart
            .draw_series(std::iter::once(Circle::new(
                (r.mean, y),
                12,
                r.color.filled(),
            )))
            .map_err(fail)?;
        chart
            .draw_series(std::iter::once(Text::new(
                r.note.clone(),
                (span, y),
                (FONT, LABEL)
                    .into_font()
                    .color(&r.color)
                    .pos(Pos::new(HPos::Left, VPos::Center)),
            )))
            .map_err(fail)?;
    }
    if rows.is_empty() {
        body.draw_text(
            "no metric has a before value to compare with",
            &(FONT, AXIS).into_font().color(&BLACK),
            (200, 400),
        )
        .map_err(fail)?;
    }
    Ok(())
}

/// A tick of the axis from `-span` to `span`, in %: zero (or what is left of it after the
/// axis's arithmetic) as "0%", any other tick with as few decimals as show it ("+20%",
/// "-0.5%", "+0.25%"), never rounded to a signed zero ("+0%", "-0%").
fn tick(x: f64, span: f64) -> String {
    // Ticks are round steps of the span: a billionth of it is arithmetic noise, not a step.
    let noise = span.abs() * 1e-9;
    if x.abs() <= noise || x == 0.0 {
        return "0%".into();
    }
    let decimals = (0..=12)
        .find(|&d| {
            let scale = 10f64.powi(d);
            ((x * scale).round() / scale - x).abs() <= noise.max(x.abs() * 1e-9)
        })
        .unwrap_or(12) as usize;
    format!("{x:+.decimals$}%")
}

/// Draws the delta chart of `t` into `path` (.png or .svg), through a staged file.
pub fn save(t: &TwoWorlds, path: &std::path::Path, force: bool) -> Result<(), ChartError> {
    super::save_drawing(path, force, |root| draw(t, root), |root| draw(t, root))
}

#[cfg(test)]
mod tests {

    #[test]
    fn a_long_note_is_wrapped_at_spaces_within_the_width() {
        let text = "not drawn: value_realised, cost_of_delay, time_to_first_value, roi";
        let lines = super::wrap(text, 30);
        assert!(lines.iter().all(|l| l.chars().count() <= 30), "{lines:?}");
        assert_eq!(lines.join(" "), text);
        assert_eq!(super::wrap("short", 30), ["short"]);
    }

    use super::*;
    use crate::metrics::Stat;
    use crate::report::paired::MetricDelta;

    fn delta(metric: &'static str, higher: bool, before: f64, mean: f64, ci: f64) -> MetricDelta {
        MetricDelta {
            metric,
            higher_is_better: higher,
            before: Some(before),
            after: Some(before + mean),
            difference: Stat {
                mean: Some(mean),
                ci95: Some(ci),
                p50: None,
                p85: None,
                p95: None,
            },
            p_better: 0.9,
            p_better_ci95_low: 0.8,
            p_better_ci95_high: 0.95,
        }
    }

    /// Two worlds that differ by nothing: the axis spans ±1.1%, ticked every half a percent.
    /// No tick reads "-0%" or "+0%": zero reads "0%", the others their half percent.
    #[test]
    fn ticks_near_zero_read_as_what_they_are() {
        let t = TwoWorlds {
            before: "same.toml".into(),
            after: "same.toml".into(),
            policies: ["fifo".into(), "fifo".into()],
            replications: 3,
            seed: 1,
            metrics: vec![
                delta("cycle_time", false, 20.0, 0.0, 0.0),
                delta("throughput", true, 1.0, 0.0, 0.0),
            ],
        };
        let mut svg = String::new();
        {
            let root = SVGBackend::with_string(&mut svg, SIZE).into_drawing_area();
            draw(&t, &root).unwrap();
            root.present().unwrap();
        }
        let texts: Vec<&str> = svg
            .split("<text")
            .skip(1)
            .filter_map(|t| {
                let body = &t[t.find('>')? + 1..];
                Some(body[..body.find("</text>")?].trim())
            })
            .collect();
        assert!(texts.contains(&"0%"), "{texts:?}");
        assert!(
            !texts.iter().any(|x| ["-0%", "+0%"].contains(x)),
            "{texts:?}"
        );
        assert!(
            texts.contains(&"+0.5%") && texts.contains(&"-0.5%"),
            "{texts:?}"
        );
        // The label alone: whole shares plainly, and nothing that is not zero reads as zero.
        assert_eq!(tick(0.0, 1.1), "0%");
        assert_eq!(tick(1e-17, 1.1), "0%");
        assert_eq!(tick(-1e-17, 1.1), "0%");
        assert_eq!(tick(20.0, 55.0), "+20%");
        assert_eq!(tick(-0.2, 1.1), "-0.2%");
        assert_eq!(tick(0.30000000000000004, 1.1), "+0.3%");
        assert_eq!(tick(-0.25, 0.5), "-0.25%");
    }

    #[test]
    fn rows_are_relative_and_coloured_by_each_metric_direction() {
        let t = TwoWorlds {
            before: "a/before.toml".into(),
            after: "after.toml".into(),
            policies: ["outcome".into(), "outcome".into()],
            replications: 100,
            seed: 1,
            metrics: vec![
                delta("value_realised", true, 1000.0, 100.0, 20.0),
                delta("cycle_time", false, 20.0, 2.0, 1.0),
                delta("throughput", true, 1.0, 0.01, 0.05),
                delta("cost_of_delay", false, 0.0, 5.0, 1.0),
                // A share past the largest number: no row (an infinite axis never ends).
                delta("wip", false, 1e-300, 1e12, 4e11),
            ],
        };
        let (rows, skipped) = rows(&t);
        assert_eq!(skipped, vec!["cost_of_delay", "wip"]);
        assert_eq!(rows.len(), 3);
        assert!((rows[0].mean - 10.0).abs() < 1e-12);
        assert!((rows[0].low - 8.0).abs() < 1e-12 && (rows[0].high - 12.0).abs() < 1e-12);
        assert_eq!(rows[0].color, BETTER, "more value is better");
        assert_eq!(rows[1].color, WORSE, "a longer cycle time is worse");
        assert_eq!(rows[2].color, UNCLEAR, "an interval across zero");
        assert!(rows[0].note.starts_with("+10.0%"), "{}", rows[0].note);
        let mut svg = String::new();
        {
            let root = SVGBackend::with_string(&mut svg, SIZE).into_drawing_area();
            draw(&t, &root).unwrap();
            root.present().unwrap();
        }
        assert!(svg.contains("after.toml vs before.toml"));
        assert!(svg.contains("P(better) 90%"));
    }
}
