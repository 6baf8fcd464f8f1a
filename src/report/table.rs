//! The human-readable table, using the Flow Framework's names.

use super::{CompareReport, Exporter, PolicyResults, RunReport};
use crate::metrics::{Part, Stat};
use std::fmt::Write;

/// A plain-text table for terminals.
pub struct Table;

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

/// The stability warning for `policy` when its run was not (or not surely) a steady state;
/// `None` otherwise.
pub fn instability(policy: &str, r: &PolicyResults) -> Option<String> {
    matches!(r.stability.verdict, "unstable" | "undetermined")
        .then(|| format!("Under {policy}: {}", r.stability.statement))
}

/// A large amount (value, money) with a k/M/B/T suffix: 1.23M, 456k, 980; beyond a thousand
/// trillion, in scientific notation (8.44e15), so a label stays a few characters wide.
pub fn fmt_big(x: Option<f64>) -> String {
    match x {
        None => "-".into(),
        Some(v) if !v.is_finite() => format!("{v}"),
        Some(v) if v.abs() >= 1e15 => format!("{v:.2e}"),
        Some(v) if v.abs() >= 1e12 => format!("{:.2}T", v / 1e12),
        Some(v) if v.abs() >= 1e9 => format!("{:.2}B", v / 1e9),
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
/// The stage tables: capacity (workers, WIP limit, busy, blocked, starved) and where the
/// days go (mean and p85 per item of each part).
fn stage_tables(o: &mut String, r: &PolicyResults) {
    let _ = writeln!(
        o,
        "{:<20} {:>7} {:>5} {:>7} {:>8} {:>8} {:>8} {:>8}",
        "Stage", "workers", "WIP", "busy", "blocked", "starved", "queue", "service"
    );
    let pct = |s: &Stat| s.mean.map_or("-".into(), |u| format!("{:.0}%", u * 100.0));
    for s in &r.stages {
        let mark = if s.commitment { "▸ " } else { "  " };
        let _ = writeln!(
            o,
            "{mark}{:<18} {:>7} {:>5} {:>7} {:>8} {:>8} {:>8} {:>8}",
            s.name,
            s.workers,
            s.wip_limit.map_or("-".into(), |l| l.to_string()),
            pct(&s.utilization),
            pct(&s.blocked),
            pct(&s.starved),
            fmt_num(s.queue_length.mean),
            fmt_num(s.service.mean)
        );
    }
    let _ = writeln!(
        o,
        "(▸ the commitment point; busy, blocked (full of done work that cannot move on) and starved\n (nothing they may take) are shares of worker time; queue: items queued in the stage; service: days per visit)\n"
    );
    let _ = writeln!(
        o,
        "{:<20} {:>13} {:>13} {:>13} {:>13} {:>13}",
        "Where the days go", "queue", "touch", "blocked", "release", "rework"
    );
    for s in &r.stages {
        let _ = write!(o, "  {:<18}", s.name);
        for p in Part::ALL {
            let t = s.time.part(p);
            let _ = write!(
                o,
                " {:>6} {:>6}",
                fmt_num(t.mean),
                fmt_num(t.p85).to_string()
            );
        }
        let _ = writeln!(o);
    }
    let _ = writeln!(
        o,
        "(days per item committed after warm-up, mean then p85, summed over its visits; the means add up to\n the cycle time, plus any time before the commitment point)\n"
    );
}

/// The stability verdict, the constraint and the largest wait, one line each.
fn diagnosis_lines(o: &mut String, r: &PolicyResults) {
    let _ = writeln!(o, "{}", r.stability.statement);
    if let Some(b) = &r.bottleneck {
        let _ = writeln!(o, "{}", b.statement);
    }
    if let Some(line) = largest_wait_line(r) {
        let _ = writeln!(o, "{line}");
    }
    if let Some(line) = rework_line(r) {
        let _ = writeln!(o, "{line}");
    }
    if let Some(line) = windows_line(r) {
        let _ = writeln!(o, "{line}");
    }
    let _ = writeln!(o);
}

/// Why the mean cycle time can exceed the mean lead time, when it does: the two count
/// different items (docs/output.md, "Conventions").
fn windows_line(r: &PolicyResults) -> Option<String> {
    let (cycle, lead) = (r.metrics.cycle_time.mean?, r.metrics.lead_time.mean?);
    (cycle > lead).then(|| {
        "Mean cycle time exceeds mean lead time: cycle time counts the items committed after the warm-up, those that waited in the backlog from before it included, while lead time counts only those that arrived after it; no item's own cycle time exceeds its lead time.".to_string()
    })
}

/// "Most waiting: PART at STAGE, N of M days of cycle time", from the stage breakdown.
pub fn largest_wait_line(r: &PolicyResults) -> Option<String> {
    // Only the stages from the commitment point on hold cycle time.
    let committed = r.stages.iter().position(|s| s.commitment).unwrap_or(0);
    let (stage, part, days) = r.stages[committed..]
        .iter()
        .flat_map(|s| {
            // Rework holds the work of the items sent back as well as their waits: not a wait.
            Part::ALL
                .into_iter()
                .filter(|&p| p != Part::Touch && p != Part::Rework)
                .filter_map(move |p| Some((s.name.as_str(), p, s.time.part(p).mean?)))
        })
        .max_by(|a, b| a.2.total_cmp(&b.2))
        .filter(|t| t.2 > 0.0)?;
    let cycle = r.metrics.cycle_time.mean?;
    let what = match part {
        Part::Queue => format!("queueing for {stage}"),
        Part::Blocked => format!("done in {stage}, blocked waiting for room downstream"),
        Part::Release => format!("done in {stage}, waiting for its release train"),
        Part::Touch | Part::Rework => {
            unreachable!("touch and rework time hold work, not only waiting")
        }
    };
    Some(format!(
        "Largest wait: {what}, {} of the {} days of mean cycle time ({:.0}%).",
        fmt_num(Some(days)),
        fmt_num(Some(cycle)),
        100.0 * days / cycle
    ))
}

/// The time items spend on the way back after a later stage sent them back, from the
/// commitment point on, when there is any: its days, work and waits together, and the stage
/// holding most of it.
pub fn rework_line(r: &PolicyResults) -> Option<String> {
    let committed = r.stages.iter().position(|s| s.commitment).unwrap_or(0);
    let stages = &r.stages[committed..];
    let rework = |s: &super::StageReport| s.time.part(Part::Rework).mean.unwrap_or(0.0);
    let days: f64 = stages.iter().map(rework).sum();
    let most = stages
        .iter()
        .max_by(|a, b| rework(a).total_cmp(&rework(b)))?;
    let cycle = r.metrics.cycle_time.mean?;
    (days > 0.0 && cycle > 0.0).then(|| {
        format!(
            "Rework: the way back of items sent back takes {} of the {} days of mean cycle time ({:.0}%), work and waits (most at {}: {}); its work counts in flow efficiency.",
            fmt_num(Some(days)),
            fmt_num(Some(cycle)),
            100.0 * days / cycle,
            most.name,
            fmt_num(Some(rework(most)))
        )
    })
}

/// A number with precision that suits its size: 1234, 123.4, 12.34, 0.123, and from a billion
/// on in scientific notation (2.517e15), so that it fits its column; `-` when missing.
pub fn fmt_num(x: Option<f64>) -> String {
    match x {
        None => "-".into(),
        Some(v) if !v.is_finite() => format!("{v}"),
        Some(v) if v.abs() >= 1e9 => format!("{v:.3e}"),
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
            "policy {} · {} replications · seed {} · {} days simulated, first {} days warm-up",
            r.policy, r.replications, r.seed, r.horizon, r.warmup
        );
        if let Some(p) = &r.precision {
            let _ = writeln!(o, "{}", p.statement());
        }
        o.push('\n');
        let head = format!(
            "{:>9} {:>9} {:>9} {:>9} {:>9}",
            "mean", "95% CI", "p50", "p85", "p95"
        );
        let _ = writeln!(o, "{:<36} {head}", "Flow metrics");
        let m = &r.results.metrics;
        for (label, s, scale) in [
            ("Cycle time (flow time), days", &m.cycle_time, 1.0),
            ("Lead time, days", &m.lead_time, 1.0),
            ("Flow velocity (throughput), /day", &m.throughput, 1.0),
            ("Arrivals, /day", &m.arrival_rate, 1.0),
            ("Flow load (WIP, committed), items", &m.wip, 1.0),
            ("Backlog (not committed), items", &m.backlog, 1.0),
            ("Flow efficiency, %", &m.flow_efficiency, 100.0),
        ] {
            let _ = writeln!(o, "{label:<36} {}", stat_cells(s, scale));
        }
        let commitment = r
            .results
            .stages
            .iter()
            .find(|s| s.commitment)
            .map_or("-", |s| s.name.as_str());
        let _ = writeln!(
            o,
            "(cycle time: from the commitment point, entering {commitment}, to delivery; lead time: from arrival;\n cycle and lead time percentiles are of individual items, the others of replications)\n"
        );
        stage_tables(&mut o, &r.results);
        diagnosis_lines(&mut o, &r.results);
        let _ = writeln!(
            o,
            "{:<20} {:>14} {:>14} {:>14}",
            "Work type", "done per rep", "lead time", "lead time p85"
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
        // A reminder under the figures a reader may quote, not the verdict a second time.
        // Without a flow, more replications cannot help: the verdict above says so already.
        let no_flow = r.results.stability.statement.starts_with("No flow");
        let reminder = match r.results.stability.verdict {
            "unstable" => Some("Not a steady state (the verdict above): the flow figures above count only the items the horizon let finish, and grow with a longer run."),
            "undetermined" if !no_flow => Some("Stability undetermined (the verdict above): run more replications before reading the flow figures above as a steady state's."),
            _ => None,
        };
        if let Some(reminder) = reminder {
            // The outcomes section ends with a blank line already.
            let gap = if valued { "" } else { "\n" };
            let _ = writeln!(o, "{gap}{reminder}");
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
        if let Some(p) = &r.precision {
            // Before the blank line that ends the heading.
            o.pop();
            let _ = writeln!(o, "{}\n", p.statement());
        }
        let mut ranked: Vec<&super::ComparedPolicy> = r.policies.iter().collect();
        ranked.sort_by_key(|p| p.rank);
        // Without value, value columns would read 0 everywhere: they show `-`, and Δ is the
        // paired difference in items delivered.
        let valued = r.valued();
        let delta_head = if valued {
            format!("Δ vs {}", r.baseline)
        } else {
            format!("Δ items vs {}", r.baseline)
        };
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
            "Lead p85",
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
                r.shown_rank(p),
                p.name,
                if valued {
                    fmt_big(m.value_realised.mean)
                } else {
                    "-".into()
                },
                m.value_realised
                    .ci95
                    .filter(|_| valued)
                    .map_or("-".into(), |c| format!("±{}", fmt_big(Some(c)))),
                fmt_num(m.items_delivered.mean),
                fmt_num(m.lead_time.p85),
                fmt_num(m.waste.mean.map(|w| w * 100.0)),
                fmt_big(m.cost_of_delay.mean),
                if is_base {
                    "baseline".to_string()
                } else if valued {
                    format!(
                        "{}{}",
                        fmt_big(d.value_realised.mean),
                        d.value_realised
                            .ci95
                            .map_or(String::new(), |c| format!(" ±{}", fmt_big(Some(c))))
                    )
                } else {
                    format!(
                        "{}{}",
                        fmt_num(d.items_delivered.mean),
                        d.items_delivered
                            .ci95
                            .map_or(String::new(), |c| format!(" ±{}", fmt_num(Some(c))))
                    )
                },
                if is_base || !valued {
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
        if valued {
            let _ = writeln!(
                o,
                "(Value: value realised by the horizon; Items: items delivered; Lead p85: 85th percentile lead time, days;\n Δ: paired difference in value realised per replication, with its 95% interval;\n P(beats): share of replications realising more value than the baseline, with its 95% interval)"
            );
        } else {
            let _ = writeln!(
                o,
                "(No value is modelled in this scenario, so policies are ranked by items delivered and value is not shown;\n Items: items delivered; Lead p85: 85th percentile lead time, days;\n Δ items: paired difference in items delivered per replication, with its 95% interval)"
            );
        }
        let overloaded: Vec<String> = ranked
            .iter()
            .filter_map(|p| instability(&p.name, &p.results))
            .collect();
        if !overloaded.is_empty() {
            let _ = writeln!(o);
            for line in overloaded {
                let _ = writeln!(o, "{line}");
            }
        }
        lead_by_work_type(&mut o, r);
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

/// With several work types, each policy's lead time per type (mean / p85): a policy can speed
/// up one type at the expense of another (defects behind features, say).
fn lead_by_work_type(o: &mut String, r: &CompareReport) {
    let Some(first) = r.policies.first() else {
        return;
    };
    if first.results.work.len() < 2 {
        return;
    }
    let _ = writeln!(o, "\nLead time by work type, days: mean / p85");
    let _ = write!(o, "  {:<20}", "");
    for p in &r.policies {
        let _ = write!(o, " {:>18}", p.name);
    }
    let _ = writeln!(o);
    for (i, w) in first.results.work.iter().enumerate() {
        let _ = write!(o, "  {:<20}", w.name);
        for p in &r.policies {
            let t = &p.results.work[i].lead_time;
            let cell = format!("{} / {}", fmt_num(t.mean), fmt_num(t.p85));
            let _ = write!(o, " {cell:>18}");
        }
        let _ = writeln!(o);
    }
}

/// The comparison in one or two plain sentences, computed from the numbers.
pub fn headline(r: &CompareReport) -> String {
    // The best two policies by `f`, best first.
    let top2 = |f: &dyn Fn(&super::ComparedPolicy) -> f64| {
        let mut v: Vec<(&str, f64)> = r.policies.iter().map(|p| (p.name.as_str(), f(p))).collect();
        v.sort_by(|a, b| b.1.total_cmp(&a.1));
        (v.first().copied(), v.get(1).copied())
    };
    let items = |p: &super::ComparedPolicy| p.results.metrics.items_delivered.mean.unwrap_or(0.0);
    let value = |p: &super::ComparedPolicy| p.results.metrics.value_realised.mean.unwrap_or(0.0);
    // Whether the leader's lead over the runner-up is clear: the paired interval of the
    // difference excludes zero (value: .0, items: .1).
    let clear = |a: &str, b: &str, of_value: bool| {
        r.between(a, b).is_some_and(|(v, i)| {
            let s = if of_value { v } else { i };
            matches!((s.mean, s.ci95), (Some(m), Some(c)) if m - c > 0.0)
        })
    };
    // Whether two policies came out the same in every replication: a paired difference of
    // exactly 0 with no spread (they made the same decisions, or decisions that never mattered).
    let same = |a: &str, b: &str, of_value: bool| {
        r.between(a, b).is_some_and(|(v, i)| {
            let s = if of_value { v } else { i };
            s.mean == Some(0.0) && s.ci95 == Some(0.0)
        })
    };
    let (Some((most_items, n)), second_items) = top2(&items) else {
        return String::new();
    };
    if r.policies.len() > 1
        && r.policies.iter().all(|p| {
            p.name == most_items
                || (same(most_items, &p.name, false) && same(most_items, &p.name, true))
        })
    {
        let value = if r.valued() {
            format!(
                " and realised exactly the same value ({})",
                fmt_big(
                    r.policies
                        .first()
                        .and_then(|p| p.results.metrics.value_realised.mean)
                )
            )
        } else {
            String::new()
        };
        return format!(
            "Every policy delivered exactly as many items ({} a run){value}, replication by replication: here the choice of policy changed nothing.",
            fmt_num(Some(n))
        );
    }
    let items_clear = second_items.is_none_or(|(b, _)| clear(most_items, b, false));
    let items_claim = match second_items {
        Some((b, _)) if same(most_items, b, false) => format!(
            "`{most_items}` and `{b}` delivered exactly as many items ({} a run; the same in every replication)",
            fmt_num(Some(n))
        ),
        Some((b, m)) if !items_clear => format!(
            "`{most_items}` and `{b}` delivered about as many items ({} and {}; the paired difference is not clear)",
            fmt_num(Some(n)),
            fmt_num(Some(m))
        ),
        _ => format!("`{most_items}` delivered the most items ({})", fmt_num(Some(n))),
    };
    if !r.valued() {
        return format!(
            "{items_claim}. This scenario models no value (every policy realises 0), so the policies are ranked by items delivered."
        );
    }
    let (Some((most_value, v)), second_value) = top2(&value) else {
        return String::new();
    };
    let value_clear = second_value.is_none_or(|(b, _)| clear(most_value, b, true));
    if !value_clear {
        let (b, w) = second_value.expect("invariant: unclear means a runner-up");
        if same(most_value, b, true) {
            return format!(
                "{items_claim}; `{most_value}` and `{b}` realised exactly the same value ({}; the same in every replication).",
                fmt_big(Some(v))
            );
        }
        return format!(
            "{items_claim}; `{most_value}` and `{b}` realised about as much value ({} and {}; the paired difference is not clear).",
            fmt_big(Some(v)),
            fmt_big(Some(w))
        );
    }
    if most_items == most_value && items_clear {
        format!(
            "`{most_value}` both delivered the most items ({}) and realised the most value ({}).",
            fmt_num(Some(n)),
            fmt_big(Some(v))
        )
    } else if most_items == most_value {
        format!(
            "`{most_value}` realised the most value ({}); {items_claim}.",
            fmt_big(Some(v))
        )
    } else {
        let other = r
            .policies
            .iter()
            .find(|p| p.name == most_items)
            .map_or(0.0, value);
        let ratio = if other > 0.0 && v / other < 1.095 {
            // "1.0x as much" would hide a gap of a few percent.
            format!(", {:.1}% more", (v / other - 1.0) * 100.0)
        } else if other > 0.0 {
            format!(", {:.1}x as much", v / other)
        } else {
            String::new()
        };
        format!(
            "{items_claim}, but `{most_value}` realised the most value ({}{ratio}, against {} for `{most_items}`).",
            fmt_big(Some(v)),
            fmt_big(Some(other))
        )
    }
}

#[cfg(test)]
mod tests {
    use super::{fmt_big, fmt_num};

    #[test]
    fn numbers_fit_their_column_at_any_size() {
        assert_eq!(fmt_num(Some(1234.4)), "1234");
        assert_eq!(fmt_num(Some(0.1234)), "0.123");
        assert_eq!(fmt_num(Some(999_999_999.0)), "999999999");
        assert_eq!(fmt_num(Some(2_516_611_281_666_302.0)), "2.517e15");
        assert_eq!(fmt_num(Some(-1e300)), "-1.000e300");
        assert_eq!(fmt_num(Some(1.2e-300)), "0.000");
        assert_eq!(fmt_num(None), "-");
    }

    #[test]
    fn big_amounts_stay_a_few_characters_wide() {
        assert_eq!(fmt_big(Some(980.0)), "980");
        assert_eq!(fmt_big(Some(1_234.0)), "1.2k");
        assert_eq!(fmt_big(Some(456_000.0)), "456k");
        assert_eq!(fmt_big(Some(1_230_000.0)), "1.23M");
        assert_eq!(fmt_big(Some(-4_500_000_000.0)), "-4.50B");
        assert_eq!(fmt_big(Some(8_443_478_921_297.78e6)), "8.44e18");
        assert_eq!(fmt_big(Some(2.5e12)), "2.50T");
        assert_eq!(fmt_big(None), "-");
    }
}
