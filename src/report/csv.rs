//! The CSV export: one row per (section, name, metric), long format for spreadsheets.

use super::{CompareReport, Exporter, PolicyResults, RunReport};
use crate::metrics::Stat;
use std::fmt::Write;

/// Comma-separated values with a header row.
pub struct Csv;

/// Quotes a field when it holds a comma, quote or line break (RFC 4180).
fn field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

fn num(x: Option<f64>) -> String {
    x.map(|v| v.to_string()).unwrap_or_default()
}

const HEADER: &str = "scenario,policy,section,name,metric,mean,ci95,p50,p85,p95\n";

fn rows(out: &mut String, scenario: &str, policy: &str, results: &PolicyResults) {
    for (section, name, metric, s) in results.rows() {
        let Stat {
            mean,
            ci95,
            p50,
            p85,
            p95,
        } = *s;
        let _ = writeln!(
            out,
            "{},{},{section},{},{metric},{},{},{},{},{}",
            field(scenario),
            field(policy),
            field(name),
            num(mean),
            num(ci95),
            num(p50),
            num(p85),
            num(p95)
        );
    }
}

impl Exporter for Csv {
    fn render(&self, report: &RunReport) -> String {
        let mut out = String::from(HEADER);
        rows(&mut out, &report.scenario, &report.policy, &report.results);
        out
    }

    fn render_compare(&self, report: &CompareReport) -> String {
        let mut out = String::from(HEADER);
        for p in &report.policies {
            rows(&mut out, &report.scenario, &p.name, &p.results);
            let d = &p.vs_baseline;
            for (metric, s) in [
                ("value_realised", &d.value_realised),
                ("items_delivered", &d.items_delivered),
            ] {
                let _ = writeln!(
                    out,
                    "{},{},vs_baseline,{},{metric},{},{},{},{},{}",
                    field(&report.scenario),
                    field(&p.name),
                    field(&report.baseline),
                    num(s.mean),
                    num(s.ci95),
                    num(s.p50),
                    num(s.p85),
                    num(s.p95)
                );
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::field;

    #[test]
    fn fields_are_quoted_when_needed() {
        assert_eq!(field("build"), "build");
        assert_eq!(field("a,b"), "\"a,b\"");
        assert_eq!(field("say \"hi\""), "\"say \"\"hi\"\"\"");
    }
}
