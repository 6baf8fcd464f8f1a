//! The human-readable table, using the Flow Framework's names.

use super::{Exporter, RunReport};
use crate::metrics::Stat;
use std::fmt::Write;

/// A plain-text table for terminals.
pub struct Table;

/// A number with as many decimals as its size deserves.
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
        let m = &r.metrics;
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
        for s in &r.stages {
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
        for w in &r.work {
            let _ = writeln!(
                o,
                "{:<20} {:>14} {:>14} {:>14}",
                w.name,
                fmt_num(w.completed.mean),
                fmt_num(w.lead_time.mean),
                fmt_num(w.lead_time.p85)
            );
        }
        for w in &r.warnings {
            let _ = writeln!(o, "\nwarning: {w}");
        }
        o
    }
}
