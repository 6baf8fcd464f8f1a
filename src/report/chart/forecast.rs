//! The forecast chart: a histogram of the trials of each method (one panel each, on one x
//! axis so the methods compare at a glance), with the 50, 70, 85 and 95% answers as vertical
//! lines, named above the panel in the lines' colours.
//!
//! The bins come from [`bins`], which tests call without drawing.

use super::draw::histogram_bars;
use super::style::{
    register_fonts, AXIS, FONT, FORECAST_LEVEL_COLORS, FORECAST_METHOD_COLORS, LABEL, NOTE, TITLE,
};
use super::{ChartError, SIZE};
use crate::report::forecast::{ForecastReport, Question, LEVELS};
use plotters::coord::Shift;
use plotters::prelude::*;

fn fail<E: std::fmt::Debug>(e: E) -> ChartError {
    ChartError::Draw {
        chart: "forecast",
        message: format!("{e:?}"),
    }
}

/// Histogram bins shared by every method: `[lo + i·width, lo + (i + 1)·width)`.
#[derive(Clone, Debug, PartialEq)]
pub struct Bins {
    /// The first bin's lower edge.
    pub lo: u64,
    /// The width of a bin: 1, 2 or 5 times a power of ten, the smallest giving at most 40.
    pub width: u64,
    /// Trials per bin, one row per method.
    pub counts: Vec<Vec<u32>>,
}

/// Bins for the trials of every method (each sorted or not).
pub fn bins(trials: &[&[u64]]) -> Bins {
    let lo = trials
        .iter()
        .flat_map(|t| t.iter())
        .min()
        .copied()
        .unwrap_or(0);
    let hi = trials
        .iter()
        .flat_map(|t| t.iter())
        .max()
        .copied()
        .unwrap_or(0);
    let span = hi - lo + 1;
    let width = (0..20)
        .flat_map(|e| [1u64, 2, 5].map(|m| m * 10u64.pow(e)))
        .find(|w| span.div_ceil(*w) <= 40)
        .unwrap_or(span);
    let lo = lo / width * width;
    let n = ((hi - lo) / width + 1) as usize;
    let counts = trials
        .iter()
        .map(|t| {
            let mut c = vec![0u32; n];
            for &v in t.iter() {
                c[((v - lo) / width) as usize] += 1;
            }
            c
        })
        .collect();
    Bins { lo, width, counts }
}

/// What a percentile line says, short enough for a row of four.
fn level_label(r: &ForecastReport, q: f64, value: u64) -> String {
    match r.question {
        Question::When { .. } => format!("{:.0}%: {value} days", q * 100.0),
        Question::HowMany { .. } => format!("{:.0}%: ≥ {value} items", q * 100.0),
    }
}

/// Draws the forecast chart of `r` into `root`.
pub fn draw<DB: DrawingBackend>(
    r: &ForecastReport,
    root: &DrawingArea<DB, Shift>,
) -> Result<(), ChartError> {
    register_fonts();
    root.fill(&WHITE).map_err(fail)?;
    let trials: Vec<&[u64]> = r.methods.iter().map(|m| m.trials.as_slice()).collect();
    let b = bins(&trials);
    let (body, foot) = root.split_vertically(SIZE.1 - 50);
    let note = r
        .methods
        .iter()
        .map(|m| format!("{}: {} trials", m.method, m.trials.len()))
        .collect::<Vec<_>>()
        .join(" · ");
    foot.draw_text(
        &format!("{note} · lines: the answer at 50, 70, 85 and 95% likelihood"),
        &(FONT, NOTE).into_font().color(&RGBColor(90, 90, 90)),
        (40, 12),
    )
    .map_err(fail)?;
    let (head, panels) = body.split_vertically(80);
    let title = r.question_text();
    let size = super::sweep::title_size(&title).min(TITLE);
    head.draw_text(&title, &(FONT, size).into_font().color(&BLACK), (40, 24))
        .map_err(fail)?;
    let x_desc = match r.question {
        Question::When { items } => format!("Days until {items} items are done"),
        Question::HowMany { days } => format!("Items done in {days} days"),
    };
    let right = b.lo + b.width * b.counts.first().map_or(1, |c| c.len()) as u64;
    let areas = panels.split_evenly((r.methods.len().max(1), 1));
    let tags = ["(a)", "(b)", "(c)", "(d)"];
    for (k, (m, area)) in r.methods.iter().zip(&areas).enumerate() {
        let counts = &b.counts[k];
        let top = f64::from(counts.iter().copied().max().unwrap_or(1).max(1)) * 1.1;
        let mut chart = ChartBuilder::on(area)
            .margin(20)
            .margin_top(56)
            .margin_right(50)
            .x_label_area_size(70)
            .y_label_area_size(110)
            .build_cartesian_2d(b.lo as f64..right as f64, 0f64..top)
            .map_err(fail)?;
        chart
            .configure_mesh()
            .disable_x_mesh()
            .x_desc(x_desc.as_str())
            .y_desc("Trials")
            .x_label_formatter(&|v| format!("{v:.0}"))
            .y_label_formatter(&|v| {
                if v.fract() == 0.0 {
                    format!("{v:.0}")
                } else {
                    String::new()
                }
            })
            .label_style((FONT, LABEL))
            .axis_desc_style((FONT, AXIS))
            .draw()
            .map_err(fail)?;
        let color = FORECAST_METHOD_COLORS[k % FORECAST_METHOD_COLORS.len()];
        chart
            .draw_series(histogram_bars(counts, b.lo as f64, b.width as f64, color))
            .map_err(fail)?;
        let percentiles = r.percentiles(m);
        let mut labels = vec![(
            format!("{} {}", tags[k % tags.len()], m.method),
            RGBColor(0, 0, 0),
        )];
        for ((p, &q), line) in percentiles.iter().zip(&LEVELS).zip(FORECAST_LEVEL_COLORS) {
            let value = p.days.or(p.items).unwrap_or(0);
            // The middle of the value's day (or item count).
            let x = value as f64 + 0.5;
            chart
                .draw_series(LineSeries::new(
                    vec![(x, 0.0), (x, top)],
                    line.stroke_width(3),
                ))
                .map_err(fail)?;
            labels.push((level_label(r, q, value), line));
        }
        let mut x = 130;
        for (i, (text, c)) in labels.iter().enumerate() {
            let font = (FONT, LABEL).into_font().color(c);
            area.draw_text(text, &font, (x, 16)).map_err(fail)?;
            x += if i == 0 { 280 } else { 300 };
        }
    }
    Ok(())
}

/// Draws the forecast chart of `r` into `path` (.png or .svg), through a staged file.
pub fn save(r: &ForecastReport, path: &std::path::Path, force: bool) -> Result<(), ChartError> {
    super::save_drawing(path, force, |root| draw(r, root), |root| draw(r, root))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::forecast::MethodResult;
    use serde_json::Map;

    #[test]
    fn bins_cover_every_trial_on_a_round_width() {
        let a: Vec<u64> = (30..=70).collect();
        let b = vec![45, 46, 47, 120];
        let bins = bins(&[&a, &b]);
        // 30..=120 is 91 values: width 5 gives 19 bins from 30.
        assert_eq!((bins.lo, bins.width), (30, 5));
        assert_eq!(bins.counts[0].iter().sum::<u32>(), 41);
        assert_eq!(bins.counts[1].iter().sum::<u32>(), 4);
        assert_eq!(bins.counts[1][3], 3, "45, 46, 47 share the bin [45, 50)");
        assert_eq!(*bins.counts[1].last().unwrap(), 1);
        let one = super::bins(&[&[7, 7, 7]]);
        assert_eq!(
            (one.lo, one.width, one.counts.clone()),
            (7, 1, vec![vec![3]])
        );
    }

    #[test]
    fn the_svg_names_the_question_methods_and_answers() {
        let r = ForecastReport {
            question: Question::When { items: 40 },
            from: None,
            methods: vec![
                MethodResult {
                    method: "resampling",
                    description: String::new(),
                    details: Map::new(),
                    trials: (40..=60).collect(),
                },
                MethodResult {
                    method: "simulation",
                    description: String::new(),
                    details: Map::new(),
                    trials: (42..=66).collect(),
                },
            ],
        };
        let mut svg = String::new();
        {
            let root = SVGBackend::with_string(&mut svg, SIZE).into_drawing_area();
            draw(&r, &root).unwrap();
            root.present().unwrap();
        }
        assert!(svg.contains("When will 40 more items be done?"));
        assert!(svg.contains("(b) simulation"));
        // 21 trials 40..=60: the median is the 11th, 50 days.
        assert!(svg.contains("50%: 50 days"), "{svg}");
        assert!(svg.contains("Days until 40 items are done"));
    }
}
