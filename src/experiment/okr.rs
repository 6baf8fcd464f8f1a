//! Objectives and key results: parsing key results such as
//! `value_realised >= 250000 by day 180` and judging them on each replication.
//!
//! The probability of a key result is the share of replications that achieve it. (Google's
//! OKR grades, 0.6-0.7 being the "sweet spot", are an expected fraction achieved, not this
//! probability; Wodtke's confidence out of 10 is the closer idea. See docs/scenario.md.)

use crate::metrics::ReplicationResult;
use std::fmt;

/// What a key result measures.
#[derive(Clone, Debug, PartialEq)]
pub enum KrMetric {
    /// Value realised by the day.
    ValueRealised,
    /// Items delivered by the day.
    ItemsDelivered,
    /// Cost of delay incurred by the horizon.
    CostOfDelay,
    /// Defect items in the value stream at the day.
    OpenDefects,
    /// Items in the value stream at the day.
    Wip,
    /// Lead time (mean or a percentile) of the replication's counted items.
    LeadTime(Option<f64>),
    /// Items finished per day after warm-up.
    Throughput,
    /// Share of effort spent on slices of failed bets.
    Waste,
    /// Lead time of one work type's items (mean or a percentile).
    WorkLeadTime(usize, Option<f64>),
    /// Items of one work type finished after warm-up.
    WorkCompleted(usize),
}

/// How the value is compared with the target.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Comparison {
    /// `>=`
    AtLeast,
    /// `<=`
    AtMost,
    /// `>`
    Above,
    /// `<`
    Below,
}

/// One key result, validated.
#[derive(Clone, Debug, PartialEq)]
pub struct KeyResult {
    /// The objective it belongs to.
    pub objective: String,
    /// The key result as written.
    pub text: String,
    /// What it measures.
    pub metric: KrMetric,
    /// The comparison.
    pub comparison: Comparison,
    /// The target value.
    pub target: f64,
    /// Index of the checkpoint (day) it is judged at, for time-bound metrics.
    pub checkpoint: usize,
    /// The day it is judged at, if not the horizon.
    pub day: Option<f64>,
}

/// Why a key result could not be parsed.
#[derive(Clone, Debug, PartialEq)]
pub struct KrError(pub String);

impl fmt::Display for KrError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The metrics a key result may name.
pub const KR_METRICS: &str = "value_realised, items_delivered, cost_of_delay, open_defects, wip, \
lead_time.mean|p50|p85|p95, throughput, waste, work.<name>.lead_time.mean|p50|p85|p95, work.<name>.completed";

fn percentile(s: &str) -> Option<Option<f64>> {
    match s {
        "mean" => Some(None),
        "p50" => Some(Some(0.5)),
        "p85" => Some(Some(0.85)),
        "p95" => Some(Some(0.95)),
        _ => None,
    }
}

/// A key result parsed but not yet bound to a checkpoint: (metric, comparison, target, day).
pub type ParsedKr = (KrMetric, Comparison, f64, Option<f64>);

/// Parses `METRIC OP NUMBER [by|at day N]`; `work_types` resolves `work.<name>`.
pub fn parse(text: &str, work_types: &[String]) -> Result<ParsedKr, KrError> {
    let words: Vec<&str> = text.split_whitespace().collect();
    let usage = "write `METRIC OP NUMBER`, optionally followed by `by day N` or `at day N`, e.g. `value_realised >= 250000 by day 180`";
    if words.len() != 3 && words.len() != 6 {
        return Err(KrError(format!("cannot read `{text}`: {usage}")));
    }
    let metric = match words[0].split('.').collect::<Vec<_>>().as_slice() {
        ["value_realised"] => KrMetric::ValueRealised,
        ["items_delivered"] => KrMetric::ItemsDelivered,
        ["cost_of_delay"] => KrMetric::CostOfDelay,
        ["open_defects"] => KrMetric::OpenDefects,
        ["wip"] => KrMetric::Wip,
        ["throughput"] => KrMetric::Throughput,
        ["waste"] => KrMetric::Waste,
        ["lead_time"] => KrMetric::LeadTime(None),
        ["lead_time", p] if percentile(p).is_some() => KrMetric::LeadTime(percentile(p).flatten()),
        ["work", name, rest @ ..] => {
            let w = work_types.iter().position(|n| n == name).ok_or_else(|| {
                KrError(format!(
                    "`{name}` is not a work type; valid: {}",
                    work_types.join(", ")
                ))
            })?;
            match rest {
                ["completed"] => KrMetric::WorkCompleted(w),
                ["lead_time"] => KrMetric::WorkLeadTime(w, None),
                ["lead_time", p] if percentile(p).is_some() => {
                    KrMetric::WorkLeadTime(w, percentile(p).flatten())
                }
                _ => {
                    return Err(KrError(format!(
                        "unknown metric `{}`; valid: {KR_METRICS}",
                        words[0]
                    )))
                }
            }
        }
        _ => {
            return Err(KrError(format!(
                "unknown metric `{}`; valid: {KR_METRICS}",
                words[0]
            )))
        }
    };
    let comparison = match words[1] {
        ">=" => Comparison::AtLeast,
        "<=" => Comparison::AtMost,
        ">" => Comparison::Above,
        "<" => Comparison::Below,
        op => {
            return Err(KrError(format!(
                "unknown comparison `{op}`; valid: >=, <=, >, <"
            )))
        }
    };
    let target: f64 = words[2]
        .replace('_', "")
        .parse()
        .ok()
        .filter(|t: &f64| t.is_finite())
        .ok_or_else(|| KrError(format!("`{}` is not a finite number: {usage}", words[2])))?;
    let day = if words.len() == 6 {
        if !matches!(words[3], "by" | "at") || words[4] != "day" {
            return Err(KrError(format!("cannot read `{text}`: {usage}")));
        }
        let d: f64 = words[5]
            .parse()
            .ok()
            .filter(|d: &f64| d.is_finite())
            .ok_or_else(|| KrError(format!("`{}` is not a day number", words[5])))?;
        if !matches!(
            metric,
            KrMetric::ValueRealised
                | KrMetric::ItemsDelivered
                | KrMetric::OpenDefects
                | KrMetric::Wip
        ) {
            return Err(KrError(format!(
                "`{}` is judged over the whole run; only value_realised, items_delivered, open_defects and wip take `by day N` / `at day N`",
                words[0]
            )));
        }
        Some(d)
    } else {
        None
    };
    Ok((metric, comparison, target, day))
}

impl KeyResult {
    /// This key result's value in replication `r`, or `None` where undefined (no items).
    pub fn value(&self, r: &ReplicationResult) -> Option<f64> {
        let o = &r.outcomes;
        let k = self.checkpoint;
        let pick = |running: &crate::metrics::Running,
                    sketch: &crate::metrics::Sketch,
                    p: Option<f64>| match p {
            None => (running.count() > 0).then(|| running.mean()),
            Some(q) => sketch.quantile(q),
        };
        match &self.metric {
            KrMetric::ValueRealised => Some(o.value_at[k]),
            KrMetric::ItemsDelivered => Some(o.delivered_at[k] as f64),
            KrMetric::CostOfDelay => Some(o.cost_of_delay),
            KrMetric::OpenDefects => Some(o.open_defects_at[k] as f64),
            KrMetric::Wip => Some(o.wip_at[k] as f64),
            KrMetric::LeadTime(p) => pick(&r.lead_time, &r.lead_time_items, *p),
            KrMetric::Throughput => Some(r.throughput),
            KrMetric::Waste => {
                let total: f64 = o.effort_by_kind.iter().sum();
                (total > 0.0).then(|| o.wasted_effort / total)
            }
            KrMetric::WorkLeadTime(w, p) => {
                pick(&r.work[*w].lead_time, &r.work[*w].lead_time_items, *p)
            }
            KrMetric::WorkCompleted(w) => Some(r.work[*w].completed as f64),
        }
    }

    /// Whether replication `r` achieves this key result (undefined values do not).
    pub fn achieved(&self, r: &ReplicationResult) -> bool {
        self.value(r).is_some_and(|v| match self.comparison {
            Comparison::AtLeast => v >= self.target,
            Comparison::AtMost => v <= self.target,
            Comparison::Above => v > self.target,
            Comparison::Below => v < self.target,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_documented_forms() {
        let types = vec!["feature".to_string()];
        assert_eq!(
            parse("value_realised >= 250000 by day 180", &types).unwrap(),
            (
                KrMetric::ValueRealised,
                Comparison::AtLeast,
                250000.0,
                Some(180.0)
            )
        );
        assert_eq!(
            parse("lead_time.p85 <= 15", &types).unwrap(),
            (
                KrMetric::LeadTime(Some(0.85)),
                Comparison::AtMost,
                15.0,
                None
            )
        );
        assert_eq!(
            parse("open_defects <= 10 at day 90", &types).unwrap().3,
            Some(90.0)
        );
        assert_eq!(
            parse("work.feature.completed > 3", &types).unwrap().0,
            KrMetric::WorkCompleted(0)
        );
    }

    #[test]
    fn rejects_with_reasons() {
        let types = vec!["feature".to_string()];
        assert!(parse("happiness >= 3", &types)
            .unwrap_err()
            .0
            .contains("value_realised"));
        assert!(parse("work.epic.completed > 3", &types)
            .unwrap_err()
            .0
            .contains("valid: feature"));
        assert!(parse("wip ~ 3", &types).unwrap_err().0.contains(">="));
        assert!(parse("lead_time.p85 <= 15 by day 3", &types).is_err());
        assert!(parse("value_realised >= lots", &types).is_err());
        // A threshold or day that is not finite is judged the same in every replication.
        for text in [
            "value_realised >= nan",
            "items_delivered <= inf",
            "wip < -nan by day 50",
            "wip < 3 by day inf",
            "wip < 3 by day NaN",
        ] {
            assert!(parse(text, &types).is_err(), "{text}");
        }
    }
}
