//! `board.html`: an animated Kanban board that replays replication 0 of two or more policies
//! side by side, on the same items (common random numbers). One self-contained file: the
//! replay data is embedded as JSON and played by vanilla JavaScript in the page (no server, no
//! network, no library).
//!
//! The page is the template `board.html` beside this file; [`html`] fills in the data. Each
//! traced item carries its steps ([`crate::metrics::TraceStep`]): queued, rework, in service,
//! done (waiting for the next stage, or blocked by its WIP limit) and awaiting a release train.
//! The page finds each item's step at the current day by binary search, so scrubbing is as
//! cheap as playing.

use super::chart::KIND_COLORS;
use crate::metrics::{ReplicationResult, StepState, Trace};
use crate::scenario::Scenario;
use serde_json::{json, Value};

/// The page, with `/*DATA*/null` where the replay data goes.
const TEMPLATE: &str = include_str!("board.html");

/// One policy's replayed replication.
pub struct Lane<'a> {
    /// The policy's name.
    pub policy: &'a str,
    /// Its colour on every chart, as `#rrggbb`.
    pub color: String,
    /// The replication's results (value realised by each checkpoint).
    pub result: &'a ReplicationResult,
    /// Its item trace.
    pub trace: &'a Trace,
}

/// Rounds days to hundredths: enough for a board, and it keeps the page small.
fn days(x: f64) -> Value {
    json!((x * 100.0).round() / 100.0)
}

fn state_code(s: StepState) -> u8 {
    match s {
        StepState::Queued => 0,
        StepState::Rework => 1,
        StepState::InService => 2,
        StepState::Done => 3,
        StepState::AwaitingRelease => 4,
    }
}

fn hex(c: plotters::style::RGBColor) -> String {
    format!("#{:02x}{:02x}{:02x}", c.0, c.1, c.2)
}

/// The replay data of `lanes` on `sc`, as the page reads it.
pub fn data(sc: &Scenario, lanes: &[Lane<'_>]) -> Value {
    let vs = &sc.stream;
    let stages: Vec<Value> = vs
        .stages
        .iter()
        .map(|s| {
            json!({
                "name": s.name,
                "workers": s.workers,
                "wip_limit": s.wip_limit,
                "release_every": s.release_every,
            })
        })
        .collect();
    let kinds: Vec<Value> = ["feature", "defect", "debt", "risk"]
        .iter()
        .zip(KIND_COLORS)
        .map(|(k, c)| json!({"name": k, "color": hex(c)}))
        .collect();
    let lanes: Vec<Value> = lanes
        .iter()
        .map(|l| {
            let items: Vec<Value> = l
                .trace
                .items
                .iter()
                .map(|it| {
                    let steps: Vec<Value> = it
                        .steps
                        .iter()
                        .flat_map(|s| [days(s.time), json!(s.stage), json!(state_code(s.state))])
                        .collect();
                    json!({
                        "k": it.kind.index(),
                        "w": it.work_type,
                        "a": days(it.arrival),
                        "d": it.delivered.map(days),
                        "x": it.dropped.map(days),
                        "f": it.failed_bet,
                        "b": it.bet,
                        "s": steps,
                    })
                })
                .collect();
            json!({
                "policy": l.policy,
                "color": l.color,
                "value_at": l.result.outcomes.value_at,
                "items": items,
            })
        })
        .collect();
    json!({
        "title": sc.name,
        "horizon": vs.horizon,
        "commitment": vs.commitment,
        "checkpoints": vs.checkpoints,
        "stages": stages,
        "kinds": kinds,
        "work_types": vs.work_types.iter().map(|w| w.name.clone()).collect::<Vec<_>>(),
        "valued": lanes_valued(&lanes),
        "seed": sc.seed,
        "lanes": lanes,
    })
}

/// True if any lane realised value (a scenario without value shows items, not money).
fn lanes_valued(lanes: &[Value]) -> bool {
    lanes.iter().any(|l| {
        l["value_at"]
            .as_array()
            .is_some_and(|v| v.iter().any(|x| x.as_f64().is_some_and(|x| x != 0.0)))
    })
}

/// The whole page for `lanes` on `sc`.
pub fn html(sc: &Scenario, lanes: &[Lane<'_>]) -> String {
    let json = data(sc, lanes).to_string();
    // Inside a <script> element only `</` could end it early; JSON allows `<\/` for it.
    let safe = json.replace("</", "<\\/");
    let title = sc
        .name
        .replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;");
    TEMPLATE
        .replacen("/*DATA*/null", &safe, 1)
        .replace("<!--TITLE-->", &title)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_page_embeds_every_lane_and_needs_no_network() {
        let path =
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/delivery-team.toml");
        let mut sc = crate::scenario::load(&path).unwrap();
        sc.stream.horizon = 60.0;
        let policy = sc.policy_named("fifo").unwrap();
        let (r, t) = crate::model::flow::simulate_traced(&sc.stream, policy.as_ref(), 1, 0);
        let lane = Lane {
            policy: "fifo",
            color: "#777777".into(),
            result: &r,
            trace: &t,
        };
        let page = html(&sc, &[lane]);
        assert!(!page.contains("/*DATA*/"));
        assert!(!page.contains("http://") && !page.contains("https://"));
        let v = data(
            &sc,
            &[Lane {
                policy: "fifo",
                color: "#777777".into(),
                result: &r,
                trace: &t,
            }],
        );
        let items = v["lanes"][0]["items"].as_array().unwrap();
        assert_eq!(items.len(), t.items.len());
        // Steps come in threes (day, stage, state), in time order.
        for it in items {
            let s = it["s"].as_array().unwrap();
            assert_eq!(s.len() % 3, 0);
            let times: Vec<f64> = s.iter().step_by(3).map(|x| x.as_f64().unwrap()).collect();
            assert!(times.windows(2).all(|w| w[0] <= w[1]), "{times:?}");
        }
    }
}
