//! `valueflow describe`: the value stream drawn in the terminal. Stages as boxes left to right
//! (workers, WIP limit, offered load, release train), the backlog before them and delivery
//! after, rework paths as arrows back, then the work types, epics and objectives.

use crate::model::Kind;
use crate::scenario::Scenario;
use std::fmt::Write;

/// Inner width of a stage box, in characters.
const BOX: usize = 16;
/// Columns the drawing may use before it wraps to a new row of boxes.
const WIDTH: usize = 100;

/// Cuts `s` to `n` characters (with `…`) and pads it to `n`.
fn cell(s: &str, n: usize) -> String {
    let count = s.chars().count();
    if count > n {
        let cut: String = s.chars().take(n.saturating_sub(1)).collect();
        format!("{cut}…")
    } else {
        format!("{s}{}", " ".repeat(n - count))
    }
}

fn kind_name(k: Kind) -> &'static str {
    match k {
        Kind::Feature => "feature",
        Kind::Defect => "defect",
        Kind::Debt => "debt",
        Kind::Risk => "risk",
    }
}

/// The drawing of `sc`.
pub fn describe(sc: &Scenario) -> String {
    let vs = &sc.stream;
    let mut o = String::new();
    let _ = writeln!(o, "{}", sc.name);
    if let Some(d) = &sc.description {
        let _ = writeln!(o, "{}", d.trim());
    }
    let _ = writeln!(
        o,
        "{} days · {} replications · seed {} · policy {}\n",
        vs.horizon, sc.replications, sc.seed, sc.policy
    );
    let offered = vs.offered_utilization();
    let waiting: u32 = vs.work_types.iter().map(|w| w.backlog).sum::<u32>()
        + vs.epics.iter().map(|e| e.backlog * e.slices).sum::<u32>();
    // Box lines per stage: top, name, workers, WIP limit, load, train, bottom.
    let boxes: Vec<[String; 7]> = vs
        .stages
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let mark = if i == vs.commitment { " ▸" } else { "" };
            let name = cell(&format!("{}{mark}", s.name), BOX);
            let workers = cell(
                &format!(
                    "{} worker{}",
                    s.workers,
                    if s.workers == 1 { "" } else { "s" }
                ),
                BOX,
            );
            let wip = cell(
                &s.wip_limit
                    .map_or("no WIP limit".into(), |l| format!("WIP ≤ {l}")),
                BOX,
            );
            let load = cell(&format!("{:.0}% offered", offered[i] * 100.0), BOX);
            let train = cell(
                &s.release_every
                    .map_or(String::new(), |e| format!("train every {e}d")),
                BOX,
            );
            [
                format!("┌{}┐", "─".repeat(BOX)),
                format!("│{name}│"),
                format!("│{workers}│"),
                format!("│{wip}│"),
                format!("│{load}│"),
                format!("│{train}│"),
                format!("└{}┘", "─".repeat(BOX)),
            ]
        })
        .collect();
    let lead = format!("backlog ({waiting}) ");
    let per_row = ((WIDTH - lead.len()) / (BOX + 6)).max(1);
    for (r, row) in boxes.chunks(per_row).enumerate() {
        let first = r == 0;
        let last = (r + 1) * per_row >= boxes.len();
        for line in 0..7 {
            let mut text = if line == 1 {
                if first {
                    format!("{lead}─▶ ")
                } else {
                    format!("{}─▶ ", " ".repeat(lead.len()))
                }
            } else {
                // The width of "─▶ " is three columns.
                " ".repeat(lead.len() + 3)
            };
            for (k, b) in row.iter().enumerate() {
                text.push_str(&b[line]);
                if k + 1 < row.len() || !last || line == 1 {
                    text.push_str(if line == 1 { " ─▶ " } else { "    " });
                }
            }
            if last && line == 1 {
                text.push_str("delivered");
            }
            let _ = writeln!(o, "{}", text.trim_end());
        }
    }
    let _ = writeln!(
        o,
        "▸ commitment point: cycle time and WIP count from entering {}",
        vs.stages[vs.commitment].name
    );
    for s in &vs.stages {
        if let Some(r) = &s.rework {
            let _ = writeln!(
                o,
                "↺ rework: {} sends {:.0}% back to {}",
                s.name,
                r.probability * 100.0,
                vs.stages[r.to].name
            );
        }
    }
    let _ = writeln!(o, "\nwork:");
    for w in &vs.work_types {
        let arrivals = w
            .arrival_rate
            .map_or("no arrivals".to_string(), |r| format!("{r}/day"));
        let value = w
            .value
            .as_ref()
            .map_or(String::new(), |v| format!(", value {v}/day"));
        let spawns = w.spawns.as_ref().map_or(String::new(), |sp| {
            format!(
                ", {:.0}% spawn a {}",
                sp.probability * 100.0,
                vs.work_types[sp.work_type].name
            )
        });
        let _ = writeln!(
            o,
            "  {} ({}): {arrivals}, backlog {}{value}{spawns}",
            w.name,
            kind_name(w.kind),
            w.backlog
        );
    }
    if !vs.epics.is_empty() {
        let _ = writeln!(o, "\nepics (bets, sliced and measured):");
        for e in &vs.epics {
            let arrivals = e
                .arrival_rate
                .map_or(String::new(), |r| format!(", {r} new a day"));
            let _ = writeln!(
                o,
                "  {}: {} waiting{arrivals}, {} slices of {}, holds with p={}, feedback after {} days",
                e.name, e.backlog, e.slices, vs.work_types[e.work_type].name, e.success_probability, e.feedback_delay
            );
            if !e.hypothesis.is_empty() {
                let _ = writeln!(o, "    hypothesis: {}", e.hypothesis);
            }
        }
    }
    if let Some(d) = &vs.debt {
        let _ = writeln!(
            o,
            "\ntechnical debt: +{} per feature, −{} per debt item, {}% slower per point, at most {:.0}% slower",
            d.per_feature,
            d.per_debt_item,
            d.drag_per_point * 100.0,
            d.max_drag * 100.0
        );
    }
    if !sc.objectives.is_empty() {
        let _ = writeln!(o, "\nobjectives:");
        for ob in &sc.objectives {
            let _ = writeln!(o, "  {}", ob.name);
            for kr in sc.key_results.iter().filter(|k| k.objective == ob.name) {
                let _ = writeln!(o, "    · {}", kr.text);
            }
        }
    }
    o
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_flagship_is_drawn_with_every_stage_path_and_objective() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/outcomes.toml");
        let sc = crate::scenario::load(&path).unwrap();
        let d = describe(&sc);
        for s in &sc.stream.stages {
            assert!(d.contains(&s.name), "{}", s.name);
        }
        assert!(
            d.contains("↺ rework: review sends 15% back to build"),
            "{d}"
        );
        assert!(d.contains("train every 7d"));
        assert!(d.contains("WIP ≤ 8"));
        assert!(d.contains("epics (bets, sliced and measured)"));
        assert!(d.contains("Customers stay and pay"));
        assert!(d.lines().all(|l| l.chars().count() <= 2 * WIDTH), "{d}");
        // Box edges line up: every line of a row of boxes starts its first box in one column.
        let columns: Vec<usize> = d
            .lines()
            .filter_map(|l| l.chars().position(|c| "┌│└".contains(c)))
            .collect();
        assert!(columns.windows(2).all(|w| w[0] == w[1]), "{d}");
    }
}
