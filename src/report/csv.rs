//! The CSV export: one row per (section, name, metric), long format for spreadsheets.
//!
//! A metric fills `mean`, `ci95` (half-width of its Student-t interval) and the percentiles; a
//! share of replications (a key result's `probability`, `p_beats_baseline`) fills `mean` with
//! the share and `ci95_low`, `ci95_high` with its Wilson interval, whose bounds are asymmetric.

use super::{CompareReport, Exporter, PolicyResults, RunReport};
use crate::metrics::Stat;
use std::fmt::Write;

/// Comma-separated values with a header row.
pub struct Csv;

/// Quotes a field when it holds a comma, quote or line break (RFC 4180).
pub(crate) fn field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

fn num(x: Option<f64>) -> String {
    x.map(|v| v.to_string()).unwrap_or_default()
}

const HEADER: &str =
    "scenario,policy,section,name,metric,mean,ci95,p50,p85,p95,ci95_low,ci95_high\n";

/// One metric's row.
fn stat_row(out: &mut String, key: [&str; 5], s: &Stat) {
    let Stat {
        mean,
        ci95,
        p50,
        p85,
        p95,
    } = *s;
    let [scenario, policy, section, name, metric] = key;
    let _ = writeln!(
        out,
        "{},{},{section},{},{metric},{},{},{},{},{},,",
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

/// One share's row: the share in `mean`, its Wilson bounds in `ci95_low` and `ci95_high`;
/// `share` is `None` where it does not apply (the baseline against itself).
fn share_row(out: &mut String, key: [&str; 5], share: Option<(f64, f64, f64)>) {
    let [scenario, policy, section, name, metric] = key;
    let (p, low, high) = share.map_or((None, None, None), |(p, l, h)| (Some(p), Some(l), Some(h)));
    let finite = |x: Option<f64>| x.filter(|v| v.is_finite());
    let _ = writeln!(
        out,
        "{},{},{section},{},{metric},{},,,,,{},{}",
        field(scenario),
        field(policy),
        field(name),
        num(finite(p)),
        num(finite(low)),
        num(finite(high))
    );
}

fn rows(out: &mut String, scenario: &str, policy: &str, results: &PolicyResults) {
    for (section, name, metric, s) in results.rows() {
        stat_row(out, [scenario, policy, section, name, metric], s);
    }
    for k in &results.key_results {
        share_row(
            out,
            [scenario, policy, "key_result", &k.name, "probability"],
            Some((k.probability, k.ci95_low, k.ci95_high)),
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
            let key = |metric| {
                [
                    report.scenario.as_str(),
                    p.name.as_str(),
                    "vs_baseline",
                    report.baseline.as_str(),
                    metric,
                ]
            };
            stat_row(&mut out, key("value_realised"), &d.value_realised);
            stat_row(&mut out, key("items_delivered"), &d.items_delivered);
            share_row(
                &mut out,
                key("p_beats_baseline"),
                (p.name != report.baseline).then_some((
                    d.p_beats_baseline,
                    d.p_beats_baseline_ci95_low,
                    d.p_beats_baseline_ci95_high,
                )),
            );
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
