//! The forecast chart: a histogram of the trials of each method (one panel each, on one x
//! axis so the methods compare at a glance), with the 50, 70, 85 and 95% answers as vertical
//! lines, named above the panel in the lines' colours.
//!
//! The bins come from [`bins`] and the x axis from [`axis`], which tests call without drawing.
//! Every whole value `v` (days or items) owns `[v - 0.5, v + 0.5)` on the x axis, so a bar
//! stands over its label and a percentile line runs through it.

use super::draw::histogram_bars;
use super::style::{
    register_fonts, AXIS, FONT, FORECAST_LEVEL_COLORS, FORECAST_METHOD_COLORS, LABEL, NOTE, TITLE,
};
use super::{ChartError, SIZE};
use crate::report::forecast::{ForecastReport, Question, LEVELS};
use plotters::coord::ranged1d::{DefaultFormatting, KeyPointHint};
use plotters::coord::types::RangedCoordf64;
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

/// Fewest whole values the x axis shows, so that a single value is one bar with room on each
/// side rather than a bar the width of the chart.
const MIN_VALUES: u64 = 7;
/// Most labelled ticks on the x axis: 10 fit the 1600 px chart with room between labels.
const MAX_TICKS: u64 = 10;

/// The x axis: the whole values it shows and the ones it labels.
#[derive(Clone, Debug, PartialEq)]
pub struct Axis {
    /// The first whole value shown (its slot starts half a value to the left).
    pub first: u64,
    /// The last whole value shown.
    pub last: u64,
    /// The labelled values: every multiple of one step (1, 2 or 5 times a power of ten, the
    /// smallest giving at most [`MAX_TICKS`]) from `first` to `last`.
    pub ticks: Vec<u64>,
}

impl Axis {
    /// The axis range in chart coordinates: half a value beyond the first and last.
    pub fn range(&self) -> std::ops::Range<f64> {
        self.first as f64 - 0.5..self.last as f64 + 0.5
    }
}

/// [`Axis`] as plotters draws it: linear, with tick marks and labels at its ticks alone (its
/// own key points would fall at fractions of a value on a narrow axis).
struct Ticked {
    linear: RangedCoordf64,
    ticks: Vec<f64>,
}

impl From<&Axis> for Ticked {
    fn from(a: &Axis) -> Self {
        Ticked {
            linear: a.range().into(),
            ticks: a.ticks.iter().map(|&v| v as f64).collect(),
        }
    }
}

impl Ranged for Ticked {
    type FormatOption = DefaultFormatting;
    type ValueType = f64;

    fn map(&self, value: &f64, limit: (i32, i32)) -> i32 {
        self.linear.map(value, limit)
    }

    fn key_points<Hint: KeyPointHint>(&self, hint: Hint) -> Vec<f64> {
        if hint.weight().allow_light_points() {
            Vec::new()
        } else {
            self.ticks.clone()
        }
    }

    fn range(&self) -> std::ops::Range<f64> {
        self.linear.range()
    }
}

/// The x axis for `b`: every bin, widened to at least [`MIN_VALUES`] whole values around
/// them (never below 0), labelled only at whole values a round step apart.
pub fn axis(b: &Bins) -> Axis {
    let n = b.counts.first().map_or(0, Vec::len).max(1) as u64;
    let mut first = b.lo;
    let mut last = b.lo.saturating_add(b.width.saturating_mul(n) - 1);
    let shown = last - first + 1;
    if shown < MIN_VALUES {
        let need = MIN_VALUES - shown;
        let left = (need / 2).min(first);
        first -= left;
        last = last.saturating_add(need - left);
    }
    let count = |step: u64| last / step + 1 - first.div_ceil(step);
    let step = (0..20)
        .flat_map(|e| [1u64, 2, 5].map(|m| m.saturating_mul(10u64.pow(e))))
        .find(|&s| count(s) <= MAX_TICKS)
        .unwrap_or(u64::MAX);
    let ticks = (first.div_ceil(step)..=last / step)
        .map(|k| k * step)
        .collect();
    Axis { first, last, ticks }
}

/// What a percentile line says, short enough for a row of four: for "when", the date when
/// the history gives dates (the days are on the axis), else the days.
fn level_label(r: &ForecastReport, q: f64, p: &crate::report::forecast::Percentile) -> String {
    let value = p.days.or(p.items).unwrap_or(0);
    match (&r.question, &p.date) {
        (Question::When { .. }, Some(date)) => format!("{:.0}%: {date}", q * 100.0),
        (Question::When { .. }, None) => format!(
            "{:.0}%: {}",
            q * 100.0,
            crate::report::forecast::in_days(value)
        ),
        (Question::HowMany { .. }, _) => format!("{:.0}%: ≥ {value} items", q * 100.0),
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
    let x_desc = match (&r.question, r.from) {
        // Day 1 is the first forecast day: a reader maps the axis to the calendar from it.
        (Question::When { items }, Some(from)) => format!(
            "Days until {items} items are done (day 1 is {})",
            crate::history::date::format(from)
        ),
        (Question::When { items }, None) => format!("Days until {items} items are done"),
        (Question::HowMany { days }, _) => {
            format!("Items done in {}", crate::report::forecast::in_days(*days))
        }
    };
    let x_axis = axis(&b);
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
            .build_cartesian_2d(Ticked::from(&x_axis), 0f64..top)
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
            .draw_series(histogram_bars(
                counts,
                b.lo as f64 - 0.5,
                b.width as f64,
                color,
            ))
            .map_err(fail)?;
        let percentiles = r.percentiles(m);
        let mut labels = vec![(
            format!("{} {}", tags[k % tags.len()], m.method),
            RGBColor(0, 0, 0),
        )];
        for ((p, &q), line) in percentiles.iter().zip(&LEVELS).zip(FORECAST_LEVEL_COLORS) {
            let value = p.days.or(p.items).unwrap_or(0);
            // Through the middle of the value's bar, over its label.
            let at = value as f64;
            chart
                .draw_series(LineSeries::new(
                    vec![(at, 0.0), (at, top)],
                    line.stroke_width(3),
                ))
                .map_err(fail)?;
            labels.push((level_label(r, q, p), line));
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
    fn a_narrow_axis_shows_seven_whole_values_each_labelled_once() {
        let of = |t: &[u64]| axis(&super::bins(&[t]));
        // One value: one bar with three values on each side, every one labelled.
        let one = of(&[4; 10]);
        assert_eq!((one.first, one.last), (1, 7));
        assert_eq!(one.ticks, (1..=7).collect::<Vec<_>>());
        assert_eq!(one.range(), 0.5..7.5);
        // Never below zero: the room goes to the right.
        let zero = of(&[0, 0]);
        assert_eq!((zero.first, zero.last, zero.ticks.len()), (0, 6, 7));
        // Two adjacent values.
        let two = of(&[4, 5, 5]);
        assert_eq!((two.first, two.last), (2, 8));
        assert_eq!(two.ticks, (2..=8).collect::<Vec<_>>());
        let low = of(&[1, 2]);
        assert_eq!((low.first, low.last), (0, 6));
    }

    #[test]
    fn a_wide_axis_is_labelled_on_a_round_step() {
        let a: Vec<u64> = (30..=70).collect();
        let wide = axis(&super::bins(&[&a, &[45, 120]]));
        // Bins of 5 from 30: 19 of them, the values 30..=124; ticks every 10.
        assert_eq!((wide.first, wide.last), (30, 124));
        assert_eq!(wide.ticks, (3..=12).map(|k| k * 10).collect::<Vec<_>>());
        // Every span: distinct whole ticks inside the axis, at least two, at most MAX_TICKS,
        // and every bin inside the axis.
        for lo in [0u64, 1, 3, 9, 99, 1_000_000] {
            for span in 0..300u64 {
                let b = super::bins(&[&[lo, lo + span]]);
                let x = axis(&b);
                let n = b.counts[0].len() as u64;
                assert!(
                    x.first <= b.lo && b.lo + n * b.width - 1 <= x.last,
                    "{lo} {span}"
                );
                assert!(x.last - x.first + 1 >= MIN_VALUES, "{lo} {span}");
                assert!(
                    (2..=MAX_TICKS as usize).contains(&x.ticks.len()),
                    "{lo} {span}: {:?}",
                    x.ticks
                );
                assert!(x.ticks.windows(2).all(|w| w[0] < w[1]), "{lo} {span}");
                assert!(x.first <= x.ticks[0] && *x.ticks.last().unwrap() <= x.last);
            }
        }
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
        // With dates, the lines name the date (day 50 from 2027-01-01 is 2027-02-19) and the
        // axis says which date day 1 is.
        let dated = ForecastReport {
            from: Some(crate::history::date::parse("2027-01-01").unwrap()),
            ..r
        };
        let mut svg = String::new();
        {
            let root = SVGBackend::with_string(&mut svg, SIZE).into_drawing_area();
            draw(&dated, &root).unwrap();
            root.present().unwrap();
        }
        assert!(svg.contains("50%: 2027-02-19"), "{svg}");
        assert!(!svg.contains("50%: 50 days"), "{svg}");
        assert!(svg.contains("Days until 40 items are done (day 1 is 2027-01-01)"));
    }
}
