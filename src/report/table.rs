//! The human-readable table, using the Flow Framework's names.

use super::{CompareReport, Exporter, Metrics, PolicyResults, RunReport};
use crate::metrics::Stat;
use std::fmt::Write;

/// A plain-text table for terminals.
pub struct Table;

/// Growth of the work in the system, in items a month, from which a policy is reported as
/// overloaded (when the 95% interval of the growth is also above 0). Below one item a month a
/// queue takes years to become visible on a board; that is drift, not overload.
pub const OVERLOAD_GROWTH_PER_MONTH: f64 = 1.0;

/// A share with its 95% interval as whole percentages: `86% [81%, 90%]`; `-` when undefined.
pub fn fmt_share(p: f64, low: f64, high: f64) -> String {
    if p.is_nan() {
        return "-".into();
    }
    format!(
        "{:.0}% [{:.0}%, {:.0}%]",
        p * 100.0,
        low * 100.0,
        high * 100.0
    )
}

/// The overload sentence for `policy` when the work in its value stream grew significantly
/// (95% interval of `queue_growth_per_month` above 0) and by at least
/// [`OVERLOAD_GROWTH_PER_MONTH`] items a month; `None` otherwise.
pub fn overload(policy: &str, m: &Metrics) -> Option<String> {
    let g = &m.queue_growth_per_month;
    let (mean, ci) = (g.mean?, g.ci95?);
    (mean - ci > 0.0 && mean >= OVERLOAD_GROWTH_PER_MONTH).then(|| {
        format!(
            "Overload: under {policy} the work waiting grew by {mean:.1} items a month (±{ci:.1}); more arrives than this policy finishes."
        )
    })
}

/// A large amount (value, money) with a k/M suffix: 1.23M, 456k, 980.
pub fn fmt_big(x: Option<f64>) -> String {
    match x {
        None => "-".into(),
        Some(v) if v.abs() >= 1e6 => format!("{:.2}M", v / 1e6),
        Some(v) if v.abs() >= 1e4 => format!("{:.0}k", v / 1e3),
        Some(v) if v.abs() >= 1e3 => format!("{:.1}k", v / 1e3),
        Some(v) => format!("{v:.0}"),
    }
}

/// True when the results carry value (a value model, penalties or costs of delay).
fn has_value(r: &PolicyResults) -> bool {
    let m = &r.metrics;
    m.value_realised.mean.is_some_and(|v| v != 0.0)
        || m.cost_of_delay.mean.is_some_and(|v| v != 0.0)
        || !r.key_results.is_empty()
}

fn outcomes_section(o: &mut String, r: &PolicyResults) {
    let m = &r.metrics;
    let _ = writeln!(o, "Outputs and outcomes (whole run, from day 0)");
    let rows = [
        (
            "Value realised",
            fmt_big(m.value_realised.mean),
            m.value_realised.ci95.map(|c| fmt_big(Some(c))),
        ),
        (
            "Cost of delay incurred",
            fmt_big(m.cost_of_delay.mean),
            m.cost_of_delay.ci95.map(|c| fmt_big(Some(c))),
        ),
        (
            "Value per person-day",
            fmt_num(m.value_per_person_day.mean),
            None,
        ),
        (
            "Items delivered",
            fmt_num(m.items_delivered.mean),
            m.items_delivered.ci95.map(|c| fmt_num(Some(c))),
        ),
        (
            "Effort delivered, person-days",
            fmt_num(m.effort_delivered.mean),
            None,
        ),
        (
            "Waste (effort on failed bets), %",
            fmt_num(m.waste.mean.map(|w| w * 100.0)),
            None,
        ),
        (
            "Time to first value, days",
            fmt_num(m.time_to_first_value.mean),
            None,
        ),
        ("Bets stopped", fmt_num(m.bets_stopped.mean), None),
    ];
    for (label, v, ci) in rows {
        let _ = writeln!(
            o,
            "  {label:<34} {v:>10} {:>10}",
            ci.map_or(String::new(), |c| format!("±{c}"))
        );
    }
    if let Some(roi) = &m.roi {
        let _ = writeln!(
            o,
            "  {:<34} {:>9}%",
            "ROI",
            fmt_num(roi.mean.map(|r| r * 100.0))
        );
    }
    let k = &m.items_delivered_by_kind;
    let d = &m.flow_distribution;
    let pct = |s: &crate::metrics::Stat| fmt_num(s.mean.map(|v| v * 100.0));
    let _ = writeln!(
        o,
        "  Delivered by kind: feature {}, defect {}, debt {}, risk {}",
        fmt_num(k.feature.mean),
        fmt_num(k.defect.mean),
        fmt_num(k.debt.mean),
        fmt_num(k.risk.mean)
    );
    let _ = writeln!(
        o,
        "  Flow distribution (% of effort): feature {}, defect {}, debt {}, risk {}",
        pct(&d.feature),
        pct(&d.defect),
        pct(&d.debt),
        pct(&d.risk)
    );
    if !r.key_results.is_empty() {
        let _ = writeln!(
            o,
            "\nKey results (probability of achieving, share of replications)"
        );
        for kr in &r.key_results {
            let _ = writeln!(
                o,
                "  {:<46} {:>16}   [{}]",
                kr.name,
                fmt_share(kr.probability, kr.ci95_low, kr.ci95_high),
                kr.objective
            );
        }
    }
    let _ = writeln!(o);
}
pub fn fmt_num(x: Option<f64>) -> String {
    match x {
        None => "-".into(),
        Some(v) if v.abs() >= 1000.0 => format!("{v:.0}"),
        Some(v) if v.abs() >= 100.0 => format!("{v:.1}"),
        Some(v) if v.abs() >= 1.0 => format!("{v:.2}"),
        Some(v) => format!("{v:.3}"),
    }
}

fn stat_cells(s: &Stat, scale: f64) -> String {
    let sc = |x: Option<f64>| x.map(|v| v * scale);
    format!(
        "{:>9} {:>9} {:>9} {:>9} {:>9}",
        fmt_num(sc(s.mean)),
        s.ci95
            .map_or("-".into(), |c| format!("±{}", fmt_num(Some(c * scale)))),
        fmt_num(sc(s.p50)),
        fmt_num(sc(s.p85)),
        fmt_num(sc(s.p95))
    )
}

impl Exporter for Table {
    fn render(&self, r: &RunReport) -> String {
        let mut o = String::new();
        let _ = writeln!(o, "{}", r.scenario);
        let _ = writeln!(
            o,
            "policy {} · {} replications · seed {} · {} days simulated, first {} days warm-up\n",
            r.policy, r.replications, r.seed, r.horizon, r.warmup
        );
        let head = format!(
            "{:>9} {:>9} {:>9} {:>9} {:>9}",
            "mean", "95% CI", "p50", "p85", "p95"
        );
        let _ = writeln!(o, "{:<36} {head}", "Flow metrics");
        let m = &r.results.metrics;
        for (label, s, scale) in [
            ("Flow time (lead time), days", &m.lead_time, 1.0),
            ("Flow velocity (throughput), /day", &m.throughput, 1.0),
            ("Flow load (WIP), items", &m.wip, 1.0),
            ("Flow efficiency, %", &m.flow_efficiency, 100.0),
        ] {
            let _ = writeln!(o, "{label:<36} {}", stat_cells(s, scale));
        }
        let _ = writeln!(
            o,
            "(flow time percentiles are of individual items; the others are of replications)\n"
        );
        let _ = writeln!(
            o,
            "{:<20} {:>7} {:>5} {:>12} {:>10} {:>10} {:>10} {:>10}",
            "Stage", "workers", "WIP", "utilisation", "queue", "wait", "wait p85", "service"
        );
        for s in &r.results.stages {
            let _ = writeln!(
                o,
                "{:<20} {:>7} {:>5} {:>11}% {:>10} {:>10} {:>10} {:>10}",
                s.name,
                s.workers,
                s.wip_limit.map_or("-".into(), |l| l.to_string()),
                fmt_num(s.utilization.mean.map(|u| u * 100.0)),
                fmt_num(s.queue_length.mean),
                fmt_num(s.wait.mean),
                fmt_num(s.wait.p85),
                fmt_num(s.service.mean)
            );
        }
        let _ = writeln!(
            o,
            "(queue: items waiting for the stage; wait and service in days)\n"
        );
        let _ = writeln!(
            o,
            "{:<20} {:>14} {:>14} {:>14}",
            "Work type", "done per rep", "flow time", "flow time p85"
        );
        for w in &r.results.work {
            let _ = writeln!(
                o,
                "{:<20} {:>14} {:>14} {:>14}",
                w.name,
                fmt_num(w.completed.mean),
                fmt_num(w.lead_time.mean),
                fmt_num(w.lead_time.p85)
            );
        }
        let valued = has_value(&r.results);
        if valued {
            let _ = writeln!(o);
            outcomes_section(&mut o, &r.results);
        }
        if let Some(line) = overload(&r.policy, &r.results.metrics) {
            // The outcomes section ends with a blank line already.
            let gap = if valued { "" } else { "\n" };
            let _ = writeln!(o, "{gap}{line}");
        }
        // Warnings go to standard error once, from the command line; not repeated here.
        o
    }

    fn render_compare(&self, r: &CompareReport) -> String {
        let mut o = String::new();
        let _ = writeln!(o, "{}", r.scenario);
        let _ = writeln!(
            o,
            "{} policies on the same {} replications (common random numbers) · seed {} · {} days\n",
            r.policies.len(),
            r.replications,
            r.seed,
            r.horizon
        );
        let mut ranked: Vec<&super::ComparedPolicy> = r.policies.iter().collect();
        ranked.sort_by_key(|p| p.rank);
        let delta_head = format!("Δ vs {}", r.baseline);
        // Wide enough for its header, whatever the baseline's name.
        let delta = delta_head.chars().count().max(14);
        let _ = writeln!(
            o,
            "{:<4} {:<18} {:>11} {:>9} {:>9} {:>10} {:>7} {:>11} {:>delta$}  {:>16}",
            "Rank",
            "Policy",
            "Value",
            "±95%",
            "Items",
            "Flow p85",
            "Waste",
            "Cost delay",
            delta_head,
            "P(beats)"
        );
        for p in &ranked {
            let m = &p.results.metrics;
            let d = &p.vs_baseline;
            let is_base = p.name == r.baseline;
            let _ = writeln!(
                o,
                "{:<4} {:<18} {:>11} {:>9} {:>9} {:>10} {:>6}% {:>11} {:>delta$}  {:>16}",
                p.rank,
                p.name,
                fmt_big(m.value_realised.mean),
                m.value_realised
                    .ci95
                    .map_or("-".into(), |c| format!("±{}", fmt_big(Some(c)))),
                fmt_num(m.items_delivered.mean),
                fmt_num(m.lead_time.p85),
                fmt_num(m.waste.mean.map(|w| w * 100.0)),
                fmt_big(m.cost_of_delay.mean),
                if is_base {
                    "baseline".to_string()
                } else {
                    format!(
                        "{}{}",
                        fmt_big(d.value_realised.mean),
                        d.value_realised
                            .ci95
                            .map_or(String::new(), |c| format!(" ±{}", fmt_big(Some(c))))
                    )
                },
                if is_base {
                    "-".to_string()
                } else {
                    fmt_share(
                        d.p_beats_baseline,
                        d.p_beats_baseline_ci95_low,
                        d.p_beats_baseline_ci95_high,
                    )
                }
            );
        }
        let _ = writeln!(
            o,
            "(Value: value realised by the horizon; Items: items delivered; Flow p85: 85th percentile flow time, days;\n Δ: paired difference in value realised per replication, with its 95% interval;\n P(beats): share of replications realising more value than the baseline, with its 95% interval)"
        );
        let overloaded: Vec<String> = ranked
            .iter()
            .filter_map(|p| overload(&p.name, &p.results.metrics))
            .collect();
        if !overloaded.is_empty() {
            let _ = writeln!(o);
            for line in overloaded {
                let _ = writeln!(o, "{line}");
            }
        }
        if let Some(first) = r.policies.first() {
            if !first.results.key_results.is_empty() {
                let _ = writeln!(
                    o,
                    "\nKey results: probability of achieving, with its 95% interval"
                );
                let _ = write!(o, "  {:<46}", "");
                for p in &r.policies {
                    let _ = write!(o, " {:>18}", p.name);
                }
                let _ = writeln!(o);
                for (i, kr) in first.results.key_results.iter().enumerate() {
                    let _ = write!(o, "  {:<46}", kr.name);
                    for p in &r.policies {
                        let k = &p.results.key_results[i];
                        let _ = write!(
                            o,
                            " {:>18}",
                            fmt_share(k.probability, k.ci95_low, k.ci95_high)
                        );
                    }
                    let _ = writeln!(o);
                }
            }
        }
        let _ = writeln!(o, "\n{}", headline(r));
        for line in super::pack::why(r) {
            let _ = writeln!(o, "{line}");
        }
        // Warnings go to standard error once, from the command line; not repeated here.
        o
    }
}

/// The comparison in one or two plain sentences, computed from the numbers.
pub fn headline(r: &CompareReport) -> String {
    let best = |f: &dyn Fn(&super::ComparedPolicy) -> f64| {
        r.policies
            .iter()
            .max_by(|a, b| f(a).total_cmp(&f(b)))
            .map(|p| (p.name.clone(), f(p)))
    };
    let items = |p: &super::ComparedPolicy| p.results.metrics.items_delivered.mean.unwrap_or(0.0);
    let value = |p: &super::ComparedPolicy| p.results.metrics.value_realised.mean.unwrap_or(0.0);
    let (Some((most_items, n)), Some((most_value, v))) = (best(&items), best(&value)) else {
        return String::new();
    };
    if most_items == most_value {
        format!(
            "`{most_value}` both delivered the most items ({}) and realised the most value ({}).",
            fmt_num(Some(n)),
            fmt_big(Some(v))
        )
    } else {
        let other = r
            .policies
            .iter()
            .find(|p| p.name == most_items)
            .map_or(0.0, value);
        let ratio = if other > 0.0 {
            format!(", {:.1}x as much", v / other)
        } else {
            String::new()
        };
        format!(
            "`{most_items}` delivered the most items ({}), but `{most_value}` realised the most value ({}{ratio}, against {} for `{most_items}`).",
            fmt_num(Some(n)),
            fmt_big(Some(v)),
            fmt_big(Some(other))
        )
    }
}
