//! The JSON export: the stable, documented schema of `docs/output.md`.

use super::{CompareReport, Exporter, RunReport};
use serde::Serialize;

fn pretty<T: Serialize>(report: &T) -> String {
    let mut s = serde_json::to_string_pretty(report)
        .expect("invariant: reports serialize (plain data, string keys)");
    s.push('\n');
    s
}

/// Pretty-printed JSON.
pub struct Json;

impl Exporter for Json {
    fn render(&self, report: &RunReport) -> String {
        pretty(report)
    }

    fn render_compare(&self, report: &CompareReport) -> String {
        pretty(report)
    }
}
