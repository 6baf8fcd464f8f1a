//! Fonts, colours and text sizes shared by every chart.

use plotters::style::{FontStyle, RGBColor};
use std::sync::Once;

/// The bundled font's family name.
pub const FONT: &str = "sans-serif";
/// Title text size (readable from the back of a room at 1600x900).
pub const TITLE: u32 = 46;
/// Axis description text size.
pub const AXIS: u32 = 32;
/// Tick label and legend text size.
pub const LABEL: u32 = 26;
/// Footnote text size.
pub const NOTE: u32 = 22;

/// Registers the bundled DejaVu Sans once per process; without it, drawing text fails.
pub fn register_fonts() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let _ = plotters::style::register_font(FONT, FontStyle::Normal, dejavu::sans::regular());
        let _ = plotters::style::register_font(FONT, FontStyle::Bold, dejavu::sans::bold());
    });
}

/// The Okabe-Ito palette (Okabe & Ito 2008), safe for the common colour-vision deficiencies.
const OKABE_ITO: [RGBColor; 8] = [
    RGBColor(0, 114, 178),   // blue
    RGBColor(213, 94, 0),    // vermillion
    RGBColor(0, 158, 115),   // bluish green
    RGBColor(230, 159, 0),   // orange
    RGBColor(204, 121, 167), // reddish purple
    RGBColor(86, 180, 233),  // sky blue
    RGBColor(120, 120, 120), // grey (in place of black, which reads as an axis)
    RGBColor(240, 228, 66),  // yellow
];

/// The colour of a policy: fixed for the built-ins, so a policy looks the same in every
/// chart and every report; by position for scenario-defined policies.
pub fn policy_color(name: &str, index: usize) -> RGBColor {
    match name {
        "outcome" => OKABE_ITO[2],
        "feature-factory" => OKABE_ITO[1],
        "cd3" => OKABE_ITO[0],
        "shortest-first" => OKABE_ITO[3],
        "fifo" => OKABE_ITO[6],
        "wsjf" => OKABE_ITO[5],
        "highest-value" => OKABE_ITO[4],
        "priority" => OKABE_ITO[7],
        _ => OKABE_ITO[index % OKABE_ITO.len()],
    }
}

/// Colours of the flow item kinds: feature, defect, debt, risk.
pub const KIND_COLORS: [RGBColor; 4] = [OKABE_ITO[0], OKABE_ITO[1], OKABE_ITO[3], OKABE_ITO[4]];

/// Colours of the parts of an item's days in a stage: queue, touch, blocked, release, rework
/// (in [`crate::metrics::Part`] order). Touch time is green, waiting warm, rework purple.
pub const PART_COLORS: [RGBColor; 5] = [
    OKABE_ITO[3],
    OKABE_ITO[2],
    OKABE_ITO[1],
    OKABE_ITO[5],
    OKABE_ITO[4],
];

/// The backlog (arrived, not yet committed): a sand colour apart from the stage blues.
pub const BACKLOG: RGBColor = RGBColor(231, 204, 143);

/// Percentile lines on histograms: 50th, 85th, 95th.
pub const PERCENTILE_COLORS: [RGBColor; 3] = [
    RGBColor(0, 0, 0),
    RGBColor(213, 94, 0),
    RGBColor(120, 40, 110),
];

/// The lines of a forecast's likelihoods, 50, 70, 85 and 95%: the histogram percentile
/// colours with orange for the 70th between the median's black and the 85th's vermillion.
pub const FORECAST_LEVEL_COLORS: [RGBColor; 4] = [
    PERCENTILE_COLORS[0],
    OKABE_ITO[3],
    PERCENTILE_COLORS[1],
    PERCENTILE_COLORS[2],
];

/// The bars of a forecast's methods: resampling blue, simulation bluish green.
pub const FORECAST_METHOD_COLORS: [RGBColor; 2] = [OKABE_ITO[0], OKABE_ITO[2]];
