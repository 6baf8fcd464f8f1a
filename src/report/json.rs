//! The JSON export: the stable, documented schema of `docs/output.md`.

use super::{Exporter, RunReport};

/// Pretty-printed JSON.
pub struct Json;

impl Exporter for Json {
    fn render(&self, report: &RunReport) -> String {
        let mut s = serde_json::to_string_pretty(report)
            .expect("invariant: reports serialize (plain data, string keys)");
        s.push('\n');
        s
    }
}
