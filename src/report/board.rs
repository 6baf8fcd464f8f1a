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
//!
//! The replay is bounded ([`MAX_ITEMS`], [`MAX_STEPS`]): a long run (a queueing scenario of
//! 200,000 days, say) is replayed up to the last whole day whose items fit, and the page says
//! so, instead of a page of hundreds of megabytes that no browser could play.

use super::chart::KIND_COLORS;
use crate::metrics::{ReplicationResult, StepState, Trace, TraceBound};
use crate::scenario::Scenario;
use serde_json::{json, Value};

/// The page, with `/*DATA*/null` where the replay data goes.
const TEMPLATE: &str = include_str!("board.html");

/// The most items a page replays, shared equally by its lanes. Every frame of the page walks
/// every item: the stories replay about 1,000 items a lane, and 20,000 still play smoothly.
pub const MAX_ITEMS: usize = 20_000;

/// The most steps (changes of where an item is) a page replays, shared equally by its lanes:
/// with the items, this keeps a page to a few megabytes (the stories have up to 10,000 steps
/// a lane).
pub const MAX_STEPS: usize = 400_000;

/// The trace a board of `lanes` lanes needs of each: one item and one step past its share of
/// [`MAX_ITEMS`] and [`MAX_STEPS`], so that [`replay`] sees where the share runs out, and
/// nothing more (a long run is not traced whole only to be cut).
pub fn bound(lanes: usize) -> TraceBound {
    let share = lanes.max(1);
    TraceBound {
        items: MAX_ITEMS / share + 1,
        steps: MAX_STEPS / share + 1,
    }
}

/// How much of the run a board replays.
#[derive(Clone, Debug, PartialEq)]
pub struct Replay {
    /// The last day replayed: the horizon, or the last whole day whose items fit.
    pub until: f64,
    /// Per lane, which traced items are replayed (those arrived by `until`, within the bound).
    pub kept: Vec<Vec<bool>>,
    /// True if anything of the run is left out.
    pub cut: bool,
}

/// What of `lanes` a board over `horizon` days replays: everything if it fits in
/// [`MAX_ITEMS`] and [`MAX_STEPS`]; else the last whole day by which, in every lane, the items
/// arrived and the steps taken (what the page holds: see [`data`]) still fit, so that every day
/// shown is shown whole. (Only when day 0 alone does not fit is a day shown in part: then the
/// first of its items in order of arrival, with their steps of that day.) The replay depends
/// only on what happened by its last day, so a trace bounded by [`bound`] gives the same
/// replay as the whole one.
pub fn replay(lanes: &[Lane<'_>], horizon: f64) -> Replay {
    let share = lanes.len().max(1);
    let (max_items, max_steps) = (MAX_ITEMS / share, MAX_STEPS / share);
    // The last whole day before the `n`-th (from 1) of `times`, if there are that many: counts
    // up to a day stay within `n - 1` exactly until then.
    let last_day_before = |mut times: Vec<f64>, n: usize| -> f64 {
        if times.len() < n {
            return f64::INFINITY;
        }
        let (_, &mut nth, _) = times.select_nth_unstable_by(n - 1, f64::total_cmp);
        nth.ceil() - 1.0
    };
    let mut until = horizon;
    for l in lanes {
        let t = l.trace;
        let arrivals = t.items.iter().map(|it| it.arrival).collect();
        let steps = t
            .items
            .iter()
            .flat_map(|it| it.steps.iter().map(|s| s.time))
            .collect();
        until = until
            .min(last_day_before(arrivals, max_items + 1))
            .min(last_day_before(steps, max_steps + 1))
            .min(t.until(horizon));
    }
    // Day 0 alone does not fit: it is shown in part.
    let until = until.max(0.0);
    let mut cut = until < horizon;
    let kept = lanes
        .iter()
        .map(|l| {
            // Items in order of arrival (creation order breaks ties).
            let mut order: Vec<usize> = (0..l.trace.items.len()).collect();
            order.sort_by(|&a, &b| {
                l.trace.items[a]
                    .arrival
                    .total_cmp(&l.trace.items[b].arrival)
            });
            let mut keep = vec![false; l.trace.items.len()];
            let (mut items, mut steps) = (0usize, 0usize);
            for i in order {
                let it = &l.trace.items[i];
                if it.arrival > until {
                    break;
                }
                items += 1;
                steps += it.steps.iter().filter(|s| s.time <= until).count();
                if items > max_items || steps > max_steps {
                    cut = true;
                    break;
                }
                keep[i] = true;
            }
            keep
        })
        .collect();
    Replay { until, kept, cut }
}

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

/// The replay data of `lanes` on `sc`, as the page reads it: the part [`replay`] keeps, with
/// a `cut` note when that is not the whole run.
pub fn data(sc: &Scenario, lanes: &[Lane<'_>]) -> Value {
    let vs = &sc.stream;
    let replay = replay(lanes, vs.horizon);
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
    let shown_checkpoints = vs
        .checkpoints
        .iter()
        .take_while(|&&c| c <= replay.until)
        .count();
    let lane_data: Vec<Value> = lanes
        .iter()
        .zip(&replay.kept)
        .map(|(l, kept)| {
            let items: Vec<Value> = l
                .trace
                .items
                .iter()
                .zip(kept)
                .filter(|(_, &keep)| keep)
                .map(|(it, _)| {
                    // What happened by the last day replayed: the page plays no further, and a
                    // trace cut for its size knows no more (see `bound`).
                    let by = |t: Option<f64>| t.filter(|&t| t <= replay.until).map(days);
                    let steps: Vec<Value> = it
                        .steps
                        .iter()
                        .filter(|s| s.time <= replay.until)
                        .flat_map(|s| [days(s.time), json!(s.stage), json!(state_code(s.state))])
                        .collect();
                    json!({
                        "k": it.kind.index(),
                        "w": it.work_type,
                        "a": days(it.arrival),
                        "d": by(it.delivered),
                        "x": by(it.dropped),
                        "f": it.failed_bet,
                        "b": it.bet,
                        "s": steps,
                    })
                })
                .collect();
            // Value realised only by the checkpoints replayed: a later one counts deliveries
            // the page does not show.
            let value_at = &l.result.outcomes.value_at;
            json!({
                "policy": l.policy,
                "color": l.color,
                "value_at": value_at[..shown_checkpoints.min(value_at.len())],
                "items": items,
            })
        })
        .collect();
    let mut data = json!({
        "title": sc.name,
        "horizon": replay.until,
        "commitment": vs.commitment,
        "checkpoints": vs.checkpoints[..shown_checkpoints],
        "stages": stages,
        "kinds": kinds,
        "work_types": vs.work_types.iter().map(|w| w.name.clone()).collect::<Vec<_>>(),
        "valued": lanes_valued(&lane_data),
        "seed": sc.seed,
        "lanes": lane_data,
    });
    if replay.cut {
        // The lane that lost the most items speaks for the page.
        // Every item the run created counts, traced or not (a lane's trace stops once it has
        // what the board can show: see `bound`).
        let (shown, total) = replay
            .kept
            .iter()
            .zip(lanes)
            .map(|(k, l)| {
                let shown = k.iter().filter(|&&x| x).count();
                (shown, (l.result.arrived as usize).max(k.len()))
            })
            .max_by_key(|&(shown, total)| total - shown)
            .unwrap_or((0, 0));
        data["cut"] = json!({
            "horizon": vs.horizon,
            "note": cut_note(replay.until, vs.horizon, shown, total),
        });
    }
    data
}

/// What the page says when it does not replay the whole run: `shown` of `total` items in the
/// lane that left out the most.
pub fn cut_note(until: f64, horizon: f64, shown: usize, total: usize) -> String {
    format!(
        "This board replays days 0 to {until} of the {horizon} simulated ({shown} of {total} items): a page replays at most {MAX_ITEMS} items and {MAX_STEPS} moves, shared by its lanes, so that a browser can play it. To replay the whole run, shorten it: --horizon DAYS on `valueflow board`, or --set horizon=DAYS."
    )
}

/// True if any lane realised value (a scenario without value shows items, not money).
fn lanes_valued(lanes: &[Value]) -> bool {
    lanes.iter().any(|l| {
        l["value_at"]
            .as_array()
            .is_some_and(|v| v.iter().any(|x| x.as_f64().is_some_and(|x| x != 0.0)))
    })
}

/// `json` with `<`, `>` and `&` written as `\u003c`, `\u003e` and `\u0026`: the same JSON,
/// and safe anywhere inside a `<script>` element.
fn script_safe(json: &str) -> String {
    json.replace('<', "\\u003c")
        .replace('>', "\\u003e")
        .replace('&', "\\u0026")
}

/// The whole page for `lanes` on `sc`.
pub fn html(sc: &Scenario, lanes: &[Lane<'_>]) -> String {
    let json = data(sc, lanes).to_string();
    // Inside a <script> element, `</script` ends it and `<!--` can keep a later `</script>`
    // from ending it; `<`, `>` and `&` occur in JSON only inside strings, where their \u
    // escapes read back the same, so no text can break out of the element.
    let safe = script_safe(&json);
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

    /// A long run's lanes are traced only as far as the board can show, and the page is the
    /// one the whole traces give: a long queueing run (items bind), a run whose items loop
    /// through rework for days (steps bind, late in each item's life), and a backlog too large
    /// for day 0 (shown in part).
    #[test]
    fn bounded_traces_give_the_page_the_whole_traces_give() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/mmc.toml");
        let mut mmc = crate::scenario::load(&path).unwrap();
        mmc.stream.horizon = 20_000.0;
        let toml = crate::scenario::Format::Toml;
        let loops = crate::scenario::parse(
            "name = \"loops\"\nhorizon = 400.0\nseed = 3\n\
             [[work]]\nname = \"job\"\narrival_rate = 50.0\n\
             [[stages]]\nname = \"build\"\nworkers = 60\nservice = { dist = \"exponential\", mean = 0.3 }\n\
             [[stages]]\nname = \"test\"\nworkers = 60\nservice = { dist = \"exponential\", mean = 0.3 }\n\
             rework = { to = \"build\", probability = 0.85 }\n",
            toml,
            "loops",
        )
        .unwrap();
        let day0 = crate::scenario::parse(
            "name = \"day0\"\nhorizon = 50.0\nseed = 1\n\
             [[work]]\nname = \"job\"\narrival_rate = 500.0\nbacklog = 25000\n\
             [[stages]]\nname = \"serve\"\nworkers = 3\nservice = { dist = \"exponential\", mean = 1.0 }\n",
            toml,
            "day0",
        )
        .unwrap();
        fn lanes<'a>(runs: &'a [(ReplicationResult, Trace)], names: &[&'a str]) -> Vec<Lane<'a>> {
            runs.iter()
                .zip(names)
                .map(|((result, trace), policy)| Lane {
                    policy,
                    color: "#777777".into(),
                    result,
                    trace,
                })
                .collect()
        }
        for (sc, names) in [
            (&mmc, &["fifo", "shortest-first"][..]),
            (&loops, &["fifo"][..]),
            (&day0, &["fifo"][..]),
        ] {
            let run = |bound: TraceBound| {
                names
                    .iter()
                    .map(|name| {
                        let p = sc.policy_named(name).unwrap();
                        crate::model::flow::simulate_traced_bounded(
                            &sc.stream,
                            p.as_ref(),
                            1,
                            0,
                            bound,
                        )
                    })
                    .collect::<Vec<_>>()
            };
            let (whole, bounded) = (run(TraceBound::NONE), run(bound(names.len())));
            for (w, b) in whole.iter().zip(&bounded) {
                assert!(
                    b.1.cut.is_some() && b.1.items.len() < w.1.items.len(),
                    "{}",
                    sc.name
                );
            }
            let page = data(sc, &lanes(&bounded, names));
            assert!(page["cut"].is_object(), "{}", sc.name);
            let steps: usize = page["lanes"]
                .as_array()
                .unwrap()
                .iter()
                .flat_map(|l| l["items"].as_array().unwrap())
                .map(|it| it["s"].as_array().unwrap().len() / 3)
                .sum();
            assert!(steps <= MAX_STEPS, "{}: {steps} steps", sc.name);
            // Compared as text: a failure prints where they differ, not two pages.
            let (a, b) = (
                page.to_string(),
                data(sc, &lanes(&whole, names)).to_string(),
            );
            let at = a.bytes().zip(b.bytes()).position(|(x, y)| x != y);
            assert!(
                at.is_none() && a.len() == b.len(),
                "{}: the pages differ from byte {at:?}: {:?}",
                sc.name,
                at.map(|i| &a[i.saturating_sub(200)..(i + 200).min(a.len())])
            );
        }
    }

    /// A trace of `n` items, item i arriving on day `i / per_day` with `steps` steps each.
    fn trace(n: usize, per_day: f64, steps: usize) -> Trace {
        use crate::metrics::{TraceStep, TracedItem};
        let items = (0..n)
            .map(|i| {
                let a = i as f64 / per_day;
                TracedItem {
                    kind: crate::model::Kind::Feature,
                    arrival: a,
                    committed: None,
                    entered: vec![a],
                    delivered: Some(a + 1.0),
                    dropped: None,
                    work_type: 0,
                    bet: None,
                    failed_bet: false,
                    steps: vec![
                        TraceStep {
                            time: a,
                            stage: 0,
                            state: StepState::Queued,
                        };
                        steps
                    ],
                }
            })
            .collect();
        let mut t = Trace::default();
        t.items = items;
        t
    }

    fn lanes<'a>(r: &'a ReplicationResult, traces: &'a [Trace]) -> Vec<Lane<'a>> {
        traces
            .iter()
            .map(|t| Lane {
                policy: "fifo",
                color: "#777777".into(),
                result: r,
                trace: t,
            })
            .collect()
    }

    #[test]
    fn a_long_run_is_replayed_to_the_last_whole_day_that_fits() {
        let r = ReplicationResult::default();
        // Within the bounds: everything, to the horizon.
        let small = [trace(1000, 3.0, 5), trace(1000, 3.0, 5)];
        let all = replay(&lanes(&r, &small), 400.0);
        assert_eq!((all.until, all.cut), (400.0, false));
        assert!(all.kept.iter().all(|k| k.iter().all(|&x| x)));
        // Two lanes share MAX_ITEMS: 10,000 items each at 4 a day; the 10,001st arrives on
        // day 2500, so days 0 to 2499 are replayed, with the 9,997 items arrived by then.
        let long = [trace(40_000, 4.0, 1), trace(40_000, 4.0, 1)];
        let cut = replay(&lanes(&r, &long), 10_000.0);
        assert!(cut.cut);
        assert_eq!(cut.until, 2499.0);
        for k in &cut.kept {
            assert_eq!(k.iter().filter(|&&x| x).count(), 9_997);
            assert!(k[..9_997].iter().all(|&x| x));
        }
        // Steps bound too: 100 steps an item, 200,000 a lane, fill 2,000 items, days 0 to 499.
        let busy = [trace(40_000, 4.0, 100), trace(10, 4.0, 1)];
        assert_eq!(replay(&lanes(&r, &busy), 10_000.0).until, 499.0);
        // A day 0 that does not fit alone: day 0 only, and the first items of it.
        let crowd = [trace(30_000, f64::INFINITY, 1)];
        let day0 = replay(&lanes(&r, &crowd), 100.0);
        assert_eq!((day0.until, day0.cut), (0.0, true));
        assert_eq!(day0.kept[0].iter().filter(|&&x| x).count(), MAX_ITEMS);
        assert!(day0.kept[0][..MAX_ITEMS].iter().all(|&x| x));
    }

    #[test]
    fn the_embedded_data_cannot_end_its_script_element() {
        let json = serde_json::json!({"title": "a <!-- <script> </script> & b > c"}).to_string();
        let safe = script_safe(&json);
        assert!(!safe.contains(['<', '>', '&']), "{safe}");
        let back: Value = serde_json::from_str(&safe).unwrap();
        assert_eq!(back["title"], "a <!-- <script> </script> & b > c");
    }
}
