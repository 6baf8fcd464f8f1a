//! Sweep output: one JSON Lines record per grid point, and the table and CSV made from records
//! alone, so that shards merged by `valueflow merge` give the same output as one machine.

use super::PolicyResults;
use crate::metrics::Stat;
use crate::report::csv::field;
use crate::report::table::fmt_num;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt::Write;

/// One grid point's record (one line of the JSON Lines output).
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct Record {
    /// The point's number, from 0 (the last axis varies fastest).
    pub point: u64,
    /// Points in the whole grid.
    pub points: u64,
    /// The value of each axis at this point, in the order of the axes (`null`: `none`).
    pub parameters: Vec<Parameter>,
    /// The scenario's name.
    pub scenario: String,
    /// Fingerprint of the scenario file, the fixed `--set` settings and the run settings
    /// (`--reps`, `--horizon`, `--warmup`, `--policy`, `--precision`, `--target`, `--max-reps`).
    pub scenario_hash: String,
    /// Fingerprint of the axes.
    pub grid_hash: String,
    /// The base seed: every point runs replications `0..replications` from it.
    pub seed: u64,
    /// Replications run at this point (with `--precision`, as many as the point needed).
    pub replications: u64,
    /// The valueflow version that ran it.
    pub version: String,
    /// The policy run.
    pub policy: String,
    /// The stability verdict (`steady`, `unstable`, `undetermined`, `draining`).
    pub stability: String,
    /// The constraint's stage, if any stage did work.
    pub constraint: Option<String>,
    /// The ready-made curve this sweep is (`--curve`), if it is one: `merge` draws its chart
    /// and reads its lesson as the one-machine sweep does. Absent otherwise.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub curve: Option<CurveTag>,
    /// Every metric of the run (as in `run --format csv`): `lead_time`, `value_realised`, ...
    /// for the whole stream, `stage.<name>.<metric>` and `work.<name>.<metric>` per stage and
    /// work type.
    pub metrics: BTreeMap<String, Stat>,
}

/// One axis's value at a point.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct Parameter {
    /// The axis (its scenario key).
    pub name: String,
    /// Its value; `null` for `none` (the key removed).
    pub value: serde_json::Value,
}

/// A ready-made curve, as a sweep record names it.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct CurveTag {
    /// The curve's name (`utilisation`, `batch-size`, `wip-limit`, `feedback-delay`).
    pub name: String,
    /// The metric its lesson is read on (its chart's default).
    pub metric: String,
}

/// What every record of one sweep shares.
#[derive(Clone, Debug)]
pub struct SweepId {
    /// Points in the grid.
    pub points: u64,
    /// The scenario's fingerprint.
    pub scenario_hash: String,
    /// The grid's fingerprint.
    pub grid_hash: String,
    /// The base seed.
    pub seed: u64,
    /// The ready-made curve, if the sweep is one.
    pub curve: Option<CurveTag>,
}

impl Record {
    /// The record of point `point` with `parameters`, run as `results`.
    pub fn new(
        id: &SweepId,
        point: u64,
        parameters: Vec<Parameter>,
        scenario: &str,
        policy: &str,
        replications: u64,
        results: &PolicyResults,
    ) -> Record {
        let metrics = results
            .rows()
            .into_iter()
            .map(|(section, name, metric, stat)| {
                let key = if name == "all" {
                    metric.to_string()
                } else {
                    format!("{section}.{name}.{metric}")
                };
                (key, *stat)
            })
            .collect();
        Record {
            point,
            points: id.points,
            parameters,
            scenario: scenario.to_string(),
            scenario_hash: id.scenario_hash.clone(),
            grid_hash: id.grid_hash.clone(),
            seed: id.seed,
            replications,
            version: env!("CARGO_PKG_VERSION").to_string(),
            policy: policy.to_string(),
            stability: results.stability.verdict.to_string(),
            constraint: results.bottleneck.as_ref().map(|b| b.stage.clone()),
            curve: id.curve.clone(),
            metrics,
        }
    }

    /// The record as one line of JSON (with its line break).
    pub fn line(&self) -> String {
        let mut s = serde_json::to_string(self).expect("invariant: records serialize");
        s.push('\n');
        s
    }

    /// Drops every metric but the table's and `also`: what a sweep or a merge keeps of each
    /// point for its table, chart and lesson once the point's full record is written, so that
    /// memory does not grow with every metric of every point (a 1,000-stage line has 18,000).
    pub fn keep_metrics(&mut self, also: &[&str]) {
        self.metrics
            .retain(|k, _| TABLE_METRICS.iter().any(|(_, m)| m == k) || also.contains(&k.as_str()));
    }

    fn stat(&self, metric: &str) -> Stat {
        self.metrics.get(metric).copied().unwrap_or(Stat {
            mean: None,
            ci95: None,
            p50: None,
            p85: None,
            p95: None,
        })
    }
}

/// The metrics the sweep table shows, as (heading, metric).
const TABLE_METRICS: [(&str, &str); 5] = [
    ("value realised", "value_realised"),
    ("cycle time", "cycle_time"),
    ("lead time", "lead_time"),
    ("throughput", "throughput"),
    ("WIP", "wip"),
];

fn show(v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::Null => "none".into(),
        other => crate::scenario::set::show(other),
    }
}

/// The sweep as a table: one row per point, its parameters, then mean ± 95% half-width of
/// the main metrics, the stability verdict and the constraint.
pub fn table(records: &[Record]) -> String {
    let Some(first) = records.first() else {
        return "no points\n".into();
    };
    let mut head: Vec<String> = first.parameters.iter().map(|p| p.name.clone()).collect();
    head.extend(TABLE_METRICS.iter().map(|(h, _)| h.to_string()));
    head.push("stability".into());
    head.push("constraint".into());
    // A scenario that models no value realises 0 at every point: a difference of nothing is
    // no figure (as `run`, `compare` and `advise` show it).
    let valued = records
        .iter()
        .any(|r| r.stat("value_realised").mean.is_some_and(|v| v != 0.0));
    let rows: Vec<Vec<String>> = records
        .iter()
        .map(|r| {
            let mut row: Vec<String> = r.parameters.iter().map(|p| show(&p.value)).collect();
            for (_, m) in TABLE_METRICS {
                if m == "value_realised" && !valued {
                    row.push("-".into());
                    continue;
                }
                let s = r.stat(m);
                // Money with its k/M suffix, as every other table shows it.
                let fmt = |x: f64| {
                    if m == "value_realised" {
                        crate::report::table::fmt_big(Some(x))
                    } else {
                        num(x)
                    }
                };
                row.push(match (s.mean, s.ci95) {
                    (Some(m), Some(c)) => format!("{} ± {}", fmt(m), fmt(c)),
                    (Some(m), None) => fmt(m),
                    _ => "-".into(),
                });
            }
            row.push(r.stability.clone());
            row.push(r.constraint.clone().unwrap_or_else(|| "-".into()));
            row
        })
        .collect();
    let widths: Vec<usize> = (0..head.len())
        .map(|c| {
            rows.iter()
                .map(|r| r[c].chars().count())
                .chain([head[c].chars().count()])
                .max()
                .unwrap_or(0)
        })
        .collect();
    let reps = if records.iter().all(|r| r.replications == first.replications) {
        format!("{} replications each", first.replications)
    } else {
        let (lo, hi) = records.iter().fold((u64::MAX, 0), |(lo, hi), r| {
            (lo.min(r.replications), hi.max(r.replications))
        });
        // Either a replications axis or --precision's added blocks.
        let why = if first.parameters.iter().any(|p| p.name == "replications") {
            "the replications axis"
        } else {
            "--precision"
        };
        format!("{lo} to {hi} replications per point ({why})")
    };
    let policy = if records.iter().all(|r| r.policy == first.policy) {
        format!(", policy {}", first.policy)
    } else {
        String::new()
    };
    let mut out = format!(
        "Sweep of {} ({}, {reps}, seed {}{policy})\n",
        first.scenario,
        points_text(first.points),
        first.seed
    );
    let line = |cells: &[String]| {
        let mut l = cells
            .iter()
            .zip(&widths)
            .map(|(c, w)| format!("{c:>w$}"))
            .collect::<Vec<_>>()
            .join("  ");
        l.push('\n');
        l
    };
    out.push_str(&line(&head));
    for r in &rows {
        out.push_str(&line(r));
    }
    if records.len() as u64 != first.points {
        let _ = writeln!(
            out,
            "({} of {}: one shard)",
            records.len(),
            points_text(first.points)
        );
    }
    out
}

fn num(x: f64) -> String {
    crate::report::table::fmt_num(Some(x))
}

/// The header of the sweep CSV (long format: one row per point and metric, the point's
/// parameters as columns).
pub fn csv_header(parameters: &[String]) -> String {
    let mut out = String::from("point");
    for p in parameters {
        let _ = write!(out, ",{}", field(p));
    }
    // A `policy` axis is the policy column already: one column per name.
    if !parameters.iter().any(|p| p == "policy") {
        out.push_str(",policy");
    }
    out.push_str(",stability,metric,mean,ci95,p50,p85,p95\n");
    out
}

/// One point's CSV rows.
pub fn csv_rows(r: &Record) -> String {
    let opt = |x: Option<f64>| x.map(|v| v.to_string()).unwrap_or_default();
    let mut lead = r.point.to_string();
    for p in &r.parameters {
        let _ = write!(lead, ",{}", field(&show(&p.value)));
    }
    if !r.parameters.iter().any(|p| p.name == "policy") {
        let _ = write!(lead, ",{}", field(&r.policy));
    }
    let _ = write!(lead, ",{}", r.stability);
    let mut out = String::new();
    for (metric, s) in &r.metrics {
        let _ = writeln!(
            out,
            "{lead},{},{},{},{},{},{}",
            field(metric),
            opt(s.mean),
            opt(s.ci95),
            opt(s.p50),
            opt(s.p85),
            opt(s.p95)
        );
    }
    out
}

/// What a differing field of two shards' records usually means.
fn hint(what: &str) -> &'static str {
    match what {
        "scenario_hash" => {
            "; run every shard with the same file, --set and flags (even --horizon given the file's value)"
        }
        "grid_hash" | "points" => "; run every shard with the same --vary axes",
        "version" => "; run every shard with one version of valueflow",
        _ => "",
    }
}

/// Why shard files cannot be merged.
#[derive(Debug, thiserror::Error)]
pub enum MergeError {
    /// A line is not a sweep record.
    #[error("{file}:{line}: not a sweep record: {why}")]
    Unreadable {
        /// The file.
        file: String,
        /// The line, from 1.
        line: usize,
        /// The parser's reason.
        why: String,
    },
    /// Records of different sweeps.
    #[error("{file}:{line}: {what} differs from {first}'s ({theirs} vs {ours}): the shards are not of one sweep{}", hint(what))]
    Mismatch {
        /// The file.
        file: String,
        /// The line.
        line: usize,
        /// The field that differs.
        what: &'static str,
        /// The first file.
        first: String,
        /// This record's value.
        theirs: String,
        /// The first record's value.
        ours: String,
    },
    /// A point appears twice.
    #[error("point {point} appears twice ({first} and {second}): a shard was given twice or run with a different --shard")]
    Duplicate {
        /// The point.
        point: u64,
        /// Where it was first seen.
        first: String,
        /// Where it was seen again.
        second: String,
    },
    /// Points are missing.
    #[error("{missing} of {points} points are missing (first: point {first}); a shard failed or was not given")]
    Missing {
        /// How many.
        missing: u64,
        /// Of how many.
        points: u64,
        /// The first missing point.
        first: u64,
    },
    /// No records at all.
    #[error("no sweep records in the files given")]
    Empty,
    /// One file given twice.
    #[error("{0} is given twice; give each shard's file once")]
    GivenTwice(String),
    /// A record's point is not a point of its sweep.
    #[error("{file}:{line}: {}: the record was altered or is not of this sweep", out_of_range(*point, *points))]
    OutOfRange {
        /// The file.
        file: String,
        /// The line.
        line: usize,
        /// The record's point.
        point: u64,
        /// The points the record says its sweep has.
        points: u64,
    },
}

/// What every record of one sweep shares, as (field, value).
type Shared = [(&'static str, String); 6];

/// Why `point` is not a point of a sweep of `points` points.
fn out_of_range(point: u64, points: u64) -> String {
    match points.checked_sub(1) {
        Some(last) => format!("point {point} is not a point of this sweep (0 to {last})"),
        None => {
            format!("point {point} is of a sweep of 0 points, and every sweep has one at least")
        }
    }
}

/// Merges shard files, given as (name, text): every point of one sweep exactly once. Returns
/// the records and their lines in point order (the lines verbatim, borrowed from the files and
/// without their line breaks, so the merged JSON Lines are byte-identical to a one-machine
/// run). Each record is passed to `keep` as it is read, before the next is parsed: a caller
/// that needs a few metrics drops the rest there, so memory holds the files and the kept part
/// of each record, not every metric of every point.
pub fn merge<'a>(
    files: &'a [(String, String)],
    mut keep: impl FnMut(&mut Record),
) -> Result<Vec<(Record, &'a str)>, MergeError> {
    // Each record with its line and where it was read: (file index, line from 1).
    let mut all: Vec<(Record, &'a str, (usize, usize))> = Vec::new();
    for (k, (file, _)) in files.iter().enumerate() {
        if files[..k].iter().any(|(f, _)| f == file) {
            return Err(MergeError::GivenTwice(file.clone()));
        }
    }
    let at = |(f, line): (usize, usize)| format!("{}:{line}", files[f].0);
    // What every record must share with the first: (field, value), and the first's place.
    let mut first: Option<(Shared, (usize, usize))> = None;
    for (f, (file, text)) in files.iter().enumerate() {
        for (i, line) in text.lines().enumerate() {
            if line.trim().is_empty() {
                continue;
            }
            let mut rec: Record =
                serde_json::from_str(line).map_err(|e| MergeError::Unreadable {
                    file: file.clone(),
                    line: i + 1,
                    why: e.to_string(),
                })?;
            if rec.point >= rec.points {
                return Err(MergeError::OutOfRange {
                    file: file.clone(),
                    line: i + 1,
                    point: rec.point,
                    points: rec.points,
                });
            }
            let shared = [
                ("scenario_hash", rec.scenario_hash.clone()),
                ("grid_hash", rec.grid_hash.clone()),
                ("seed", rec.seed.to_string()),
                ("version", rec.version.clone()),
                ("points", rec.points.to_string()),
                (
                    // The name and the metric its lesson and chart read: a shard with another
                    // metric would draw and judge the merged curve on the wrong one.
                    "curve",
                    rec.curve
                        .as_ref()
                        .map_or("none".into(), |c| format!("{} ({})", c.name, c.metric)),
                ),
            ];
            match &first {
                None => first = Some((shared, (f, i + 1))),
                Some((ours, place)) => {
                    if let Some(((what, theirs), (_, ours))) =
                        shared.into_iter().zip(ours).find(|((_, a), (_, b))| a != b)
                    {
                        return Err(MergeError::Mismatch {
                            file: file.clone(),
                            line: i + 1,
                            what,
                            first: at(*place),
                            theirs,
                            ours: ours.clone(),
                        });
                    }
                }
            }
            keep(&mut rec);
            all.push((rec, line, (f, i + 1)));
        }
    }
    let points = all.first().ok_or(MergeError::Empty)?.0.points;
    all.sort_by_key(|(r, _, _)| r.point);
    for w in all.windows(2) {
        if w[0].0.point == w[1].0.point {
            return Err(MergeError::Duplicate {
                point: w[0].0.point,
                first: at(w[0].2),
                second: at(w[1].2),
            });
        }
    }
    if all.len() as u64 != points || all.iter().any(|(r, _, _)| r.point >= points) {
        let have: std::collections::HashSet<u64> = all.iter().map(|(r, _, _)| r.point).collect();
        let first = (0..points).find(|k| !have.contains(k)).unwrap_or(points);
        return Err(MergeError::Missing {
            missing: points.saturating_sub(have.len() as u64),
            points,
            first,
        });
    }
    Ok(all.into_iter().map(|(r, l, _)| (r, l)).collect())
}

/// Whether a ready-made curve's lesson held on this sweep, in plain words: the tool says so
/// when it did not. `records` are the sweep's, in point order.
pub fn lesson(curve: &CurveTag, records: &[Record]) -> String {
    let mean = |r: &Record, m: &str| r.metrics.get(m).and_then(|s| s.mean);
    let ci = |r: &Record, m: &str| r.metrics.get(m).and_then(|s| s.ci95).unwrap_or(0.0);
    let metric = curve.metric.as_str();
    let what = metric.replace('_', " ");
    let held = |ok: bool, text: String| {
        if ok {
            format!("lesson held: {text}")
        } else {
            format!("lesson did not hold here: {text}")
        }
    };
    match curve.name.as_str() {
        "utilisation" | "batch-size" | "wip-limit" => {
            // The first and the last point of the one axis (for wip-limit the last is `none`).
            let (Some(first), Some(last)) = (records.first(), records.last()) else {
                return "no points".into();
            };
            let (Some(a), Some(b)) = (mean(first, metric), mean(last, metric)) else {
                return format!("{what} has no value at the ends of the curve");
            };
            let apart = (b - a).abs() > ci(first, metric) + ci(last, metric);
            let show = |r: &Record| crate::scenario::set::show(&r.parameters[0].value);
            let (x0, x1) = (show(first), show(last));
            let rises = b > a && apart;
            // Up, but within the noise, is not the lesson either: say so, and what helps.
            let noise = " (higher, but within the 95% intervals: not clearly; add --reps)";
            match curve.name.as_str() {
                // Nothing waited at either end: the work takes no time (service time 0), so
                // no queue forms at any load; no ratio of nothing to nothing.
                "utilisation" if a <= 0.0 && b <= 0.0 => held(
                    false,
                    format!(
                        "{what} was {} at load {x0} and {} at load {x1}: the work takes no time (service time 0), so no queue can form at any load",
                        fmt_num(Some(a)),
                        fmt_num(Some(b))
                    ),
                ),
                "utilisation" => held(
                    rises && b >= 2.0 * a,
                    format!(
                        "{what} {} from {} at load {x0} to {} at load {x1} (×{:.1}){}",
                        if rises {
                            "rose"
                        } else {
                            "did not clearly rise"
                        },
                        fmt_num(Some(a)),
                        fmt_num(Some(b)),
                        b / a,
                        if rises && b >= 2.0 * a {
                            ""
                        } else if b >= 2.0 * a {
                            noise
                        } else {
                            "; a large starting backlog or tight WIP limits keep queues long at every load"
                        }
                    ),
                ),
                "batch-size" => held(
                    // Points run none, 1, ..., 28: more delay with bigger batches.
                    rises,
                    format!(
                        "{what} went from {} with no train to {} releasing every {x1} days{}",
                        fmt_num(Some(a)),
                        fmt_num(Some(b)),
                        if b > a && !apart { noise } else { "" }
                    ),
                ),
                _ => {
                    let tp = |r: &Record| mean(r, "throughput").unwrap_or(0.0);
                    let starved = tp(first) < 0.95 * tp(last);
                    // Shorter, but within the noise, is not the lesson: say why it failed.
                    let noise = if a < b && !apart {
                        " (shorter, but within the 95% intervals: not clearly; add --reps)"
                    } else {
                        ""
                    };
                    held(
                        a < b && apart,
                        format!(
                            "{what} {} at a WIP limit of {x0} against {} with none{noise}{}",
                            fmt_num(Some(a)),
                            fmt_num(Some(b)),
                            if starved {
                                format!(
                                    "; throughput fell from {} to {} at the lowest limit (the stage starves)",
                                    fmt_num(Some(tp(last))),
                                    fmt_num(Some(tp(first)))
                                )
                            } else {
                                String::new()
                            }
                        ),
                    )
                }
            }
        }
        "feedback-delay" => {
            // Points alternate cd3, outcome at each delay (the policy axis varies fastest).
            let mut gaps = Vec::new();
            for pair in records.chunks(2) {
                if let [cd3, outcome] = pair {
                    if let (Some(a), Some(b)) = (mean(cd3, metric), mean(outcome, metric)) {
                        gaps.push((crate::scenario::set::show(&cd3.parameters[0].value), b - a));
                    }
                }
            }
            let (Some(first), Some(last)) = (gaps.first(), gaps.last()) else {
                return "no points".into();
            };
            let never_behind = gaps.iter().all(|g| g.1 >= 0.0);
            held(
                never_behind && first.1 >= last.1,
                format!(
                    "measuring gained {} of value at a feedback delay of {} days and {} at {} days{}",
                    fmt_num(Some(first.1)),
                    first.0,
                    fmt_num(Some(last.1)),
                    last.0,
                    if never_behind {
                        ""
                    } else {
                        "; at some delay outcome realised less than cd3 (see the table)"
                    }
                ),
            )
        }
        _ => String::new(),
    }
}

/// `n` points, in words ("1 point", "5 points").
pub(crate) fn points_text(n: u64) -> String {
    super::counted(n, "point", "points")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A record of point `point` of `points`, with a few metrics.
    fn line(point: u64, points: u64) -> String {
        let stat = r#"{"mean":1.0,"ci95":0.1,"p50":1.0,"p85":1.0,"p95":1.0}"#;
        format!(
            r#"{{"point":{point},"points":{points},"parameters":[{{"name":"load","value":{point}}}],"scenario":"s","scenario_hash":"h","grid_hash":"g","seed":1,"replications":2,"version":"v","policy":"fifo","stability":"steady","constraint":null,"metrics":{{"value_realised":{stat},"cycle_time":{stat},"cost_of_delay":{stat},"stage.a.wip":{stat}}}}}"#
        )
    }

    #[test]
    fn a_merge_keeps_what_its_caller_keeps_and_borrows_the_lines_verbatim() {
        let files = vec![
            ("a".to_string(), format!("{}\n{}\n", line(0, 3), line(2, 3))),
            ("b".to_string(), format!("{}\n", line(1, 3))),
        ];
        let mut seen = 0;
        let merged = merge(&files, |r| {
            seen += 1;
            r.keep_metrics(&["cost_of_delay"]);
        })
        .unwrap();
        assert_eq!(seen, 3);
        let points: Vec<u64> = merged.iter().map(|(r, _)| r.point).collect();
        assert_eq!(points, [0, 1, 2]);
        for (r, l) in &merged {
            assert_eq!(*l, line(r.point, 3));
            // The table's metrics and the one asked for; not the rest.
            let kept: Vec<&str> = r.metrics.keys().map(String::as_str).collect();
            assert_eq!(kept, ["cost_of_delay", "cycle_time", "value_realised"]);
        }
    }

    /// Lead time 0 at both ends of the utilisation curve (service that takes no time): the
    /// lesson cannot hold, and the reason given is that no queue can form, not a backlog or
    /// WIP limits, and no ratio of nothing to nothing.
    #[test]
    fn a_utilisation_curve_without_any_wait_says_no_queue_can_form() {
        let zero = r#"{"mean":0.0,"ci95":0.0,"p50":0.0,"p85":0.0,"p95":0.0}"#;
        let records: Vec<Record> = [0, 1]
            .iter()
            .map(|k| {
                serde_json::from_str(&format!(
                    r#"{{"point":{k},"points":2,"parameters":[{{"name":"load","value":{k}}}],"scenario":"s","scenario_hash":"h","grid_hash":"g","seed":1,"replications":2,"version":"v","policy":"fifo","stability":"steady","constraint":null,"metrics":{{"lead_time":{zero}}}}}"#
                ))
                .unwrap()
            })
            .collect();
        let tag = CurveTag {
            name: "utilisation".into(),
            metric: "lead_time".into(),
        };
        let text = lesson(&tag, &records);
        assert!(text.starts_with("lesson did not hold here: "), "{text}");
        assert!(text.contains("no queue can form"), "{text}");
        assert!(!text.contains("backlog") && !text.contains("NaN"), "{text}");
    }

    #[test]
    fn a_record_of_a_sweep_without_points_is_refused_in_words() {
        let files = vec![("a".to_string(), line(0, 0))];
        let e = merge(&files, |_| {}).unwrap_err().to_string();
        assert!(e.contains("a:1: point 0 is of a sweep of 0 points"), "{e}");
        assert!(!e.contains("0 to 0"), "{e}");
        let files = vec![("a".to_string(), line(5, 3))];
        let e = merge(&files, |_| {}).unwrap_err().to_string();
        assert!(
            e.contains("a:1: point 5 is not a point of this sweep (0 to 2)"),
            "{e}"
        );
    }
}
