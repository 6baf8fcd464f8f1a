//! The report folder: every chart as PNG and SVG, `summary.json`, a CSV per policy,
//! `summary.md` with plain-language takeaways, and a self-contained `index.html`.
//!
//! The folder is assembled in a temporary folder beside the destination and put in place whole
//! ([`super::atomic`]), so an interrupted run never leaves a half-written report; an existing
//! folder is replaced only when asked (`--force`), and never a file.

use super::atomic::{self, Staged, WriteError};
use super::chart::{self, ChartData, ChartError, ChartKind};
use super::table::{fmt_big, fmt_num, fmt_share, headline, instability};
use super::{CompareReport, Csv, Exporter, Json};
use std::fmt::Write;
use std::path::{Path, PathBuf};

/// Why a report could not be written.
#[derive(Debug, thiserror::Error)]
pub enum PackError {
    /// The destination was refused (it exists, is a file, or appeared meanwhile), or the folder
    /// could not be put in place.
    #[error(transparent)]
    Write(#[from] WriteError),
    /// A chart failed.
    #[error(transparent)]
    Chart(#[from] ChartError),
    /// A file or folder could not be written.
    #[error("cannot write the report in {path}: {source}")]
    Io {
        /// Where.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
}

impl PackError {
    /// True when the destination was refused (exit 2), not a failure to write (exit 1).
    pub fn is_refusal(&self) -> bool {
        match self {
            PackError::Write(e) | PackError::Chart(ChartError::Write(e)) => e.is_refusal(),
            _ => false,
        }
    }
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> PackError + '_ {
    move |source| PackError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// Writes the full report of `data` (with `report`, its comparison in report form) to `dir`.
/// Returns the files written, relative to `dir`.
///
/// The folder is staged as a hidden `.valueflow-report-XXXXXX` folder beside `dir`, then put in
/// place whole: by a no-replace rename, or with `force` by an exchange with the old folder,
/// which is then deleted ([`super::atomic`]). If anything appeared at `dir` meanwhile, nothing is
/// written and it is left alone.
pub fn write(
    dir: &Path,
    force: bool,
    data: &ChartData<'_>,
    report: &CompareReport,
    board: Option<&str>,
) -> Result<Vec<String>, PackError> {
    atomic::check_folder(dir, force)?;
    let parent = match dir.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    std::fs::create_dir_all(&parent).map_err(io(&parent))?;
    let staged = Staged::folder(dir)?;
    let tmp = staged.path();
    let mut files = Vec::new();
    let mut svgs = Vec::new();
    for kind in ChartKind::ALL {
        let png = format!("{}.png", kind.name());
        chart::write(kind, data, &tmp.join(&png))?;
        let svg = chart::svg(kind, data)?;
        let svg_name = format!("{}.svg", kind.name());
        std::fs::write(tmp.join(&svg_name), &svg).map_err(io(tmp))?;
        files.push(png);
        files.push(svg_name);
        svgs.push((kind, svg));
    }
    let mut put = |name: String, text: String| -> Result<(), PackError> {
        std::fs::write(tmp.join(&name), text).map_err(io(tmp))?;
        files.push(name);
        Ok(())
    };
    put("summary.json".into(), Json.render_compare(report))?;
    let names: Vec<&str> = report.policies.iter().map(|p| p.name.as_str()).collect();
    for (p, file) in report.policies.iter().zip(policy_files(&names)) {
        let one = CompareReport {
            policies: vec![p.clone()],
            ..report.clone()
        };
        put(file, Csv.render_compare(&one))?;
    }
    put("summary.md".into(), markdown(report))?;
    if let Some(page) = board {
        put("board.html".into(), page.to_string())?;
    }
    put("index.html".into(), html(report, &svgs, board.is_some()))?;
    staged.commit(force)?;
    Ok(files)
}

/// True if a report folder holds a file named `name`: one [`write`] writes (the pages, the
/// summaries, a chart of any kind, a policy's CSV), or one an operating system leaves in any
/// folder it shows (`.DS_Store`, `._*`, `Thumbs.db`, `desktop.ini`). `--force` replaces only a
/// folder of these, so that it never deletes someone's scenario, notes or data.
pub fn is_report_file(name: &str) -> bool {
    let chart = |ext: &str| {
        name.strip_suffix(ext)
            .is_some_and(|stem| ChartKind::ALL.iter().any(|k| k.name() == stem))
    };
    matches!(
        name,
        "index.html" | "board.html" | "summary.json" | "summary.md"
    ) || chart(".png")
        || chart(".svg")
        || (name.starts_with("policy-") && name.ends_with(".csv"))
        || is_system_file(name)
}

/// True for a file an operating system leaves in a folder it has shown.
pub fn is_system_file(name: &str) -> bool {
    matches!(name, ".DS_Store" | "Thumbs.db" | "desktop.ini") || name.starts_with("._")
}

/// The CSV file of each policy, in order: `policy-NAME.csv` with NAME made safe for a file name
/// (letters, digits, `-` and `_`; anything else becomes `_`; at most 100 characters). Names
/// that come out the same (`a.b`, `a_b` and `a/b` are all `a_b`; case is ignored, as some file
/// systems do) get `-2`, `-3`… in the order of the comparison, so every policy has a file of
/// its own.
pub fn policy_files(names: &[&str]) -> Vec<String> {
    let mut taken = std::collections::HashSet::new();
    names
        .iter()
        .map(|name| {
            let base = file_safe(name);
            let mut file = format!("policy-{base}.csv");
            let mut n = 2;
            while !taken.insert(file.to_lowercase()) {
                file = format!("policy-{base}-{n}.csv");
                n += 1;
            }
            file
        })
        .collect()
}

/// Why the value differs, from the mechanisms the model has: technical debt paid down, the
/// drag left at the horizon, and deadlines met. Plus an honest line when the lesson does not
/// hold: an output-focused policy realised the most value.
pub fn why(r: &CompareReport) -> Vec<String> {
    let mut out = Vec::new();
    fn m(p: &super::ComparedPolicy) -> &super::Metrics {
        &p.results.metrics
    }
    let each = |f: &dyn Fn(&super::ComparedPolicy) -> String| {
        r.policies
            .iter()
            .map(|p| format!("`{}` {}", p.name, f(p)))
            .collect::<Vec<_>>()
            .join("; ")
    };
    if r.policies
        .iter()
        .any(|p| m(p).waste.mean.unwrap_or(0.0) > 0.0)
    {
        out.push(format!(
            "Capacity spent on bets that failed: {}.",
            each(&|p| {
                let stopped = m(p).bets_stopped.mean.unwrap_or(0.0);
                let waste = m(p).waste.mean.unwrap_or(0.0) * 100.0;
                if stopped > 0.0 {
                    format!("{waste:.0}% (stopped {stopped:.1} bets a run)")
                } else {
                    format!("{waste:.0}%")
                }
            })
        ));
    }
    let drag = |p: &super::ComparedPolicy| m(p).debt_drag.mean.unwrap_or(0.0);
    if r.policies.iter().any(|p| drag(p) > 0.0) {
        out.push(format!(
            "Technical debt paid down, and how much slower work was at the end: {}.",
            each(&|p| format!(
                "{:.1} debt items, {:.0}% slower",
                m(p).items_delivered_by_kind.debt.mean.unwrap_or(0.0),
                drag(p) * 100.0
            ))
        ));
    }
    if r.policies
        .iter()
        .any(|p| m(p).deadlines_due.mean.unwrap_or(0.0) > 0.0)
    {
        out.push(format!(
            "Deadlines met per run: {}.",
            each(&|p| format!(
                "{:.1} of {:.1}",
                m(p).deadlines_met.mean.unwrap_or(0.0),
                m(p).deadlines_due.mean.unwrap_or(0.0)
            ))
        ));
    }
    // The lesson fails only where value is modelled, an outcome-focused policy competed, and
    // the best output-focused policy beat the best outcome-focused one on a clear paired
    // interval (a tie, or no value at all, is no evidence either way).
    let best = r.policies.iter().min_by_key(|p| p.rank);
    let best_outcome = r
        .policies
        .iter()
        .filter(|p| p.focus == "outcome")
        .min_by_key(|p| p.rank);
    let worst_outcome = r
        .policies
        .iter()
        .filter(|p| p.focus == "outcome")
        .max_by_key(|p| p.rank);
    // A clear paired difference `a` − `b` > 0, if there is one.
    let clearly_more = |a: &str, b: &str| {
        r.between(a, b)
            .map(|(v, _)| v)
            .filter(|v| matches!((v.mean, v.ci95), (Some(d), Some(c)) if d - c > 0.0))
    };
    let beaten = |b: &super::ComparedPolicy| {
        best_outcome.is_some_and(|o| clearly_more(&b.name, &o.name).is_some())
    };
    let lesson_fails = best.filter(|b| r.valued() && b.focus == "output" && beaten(b));
    if let Some(best) = lesson_fails {
        // Every cause the scenario and the run show, the hard cap first; the generic advice
        // only when none shows.
        let reasons: Vec<String> = [
            best_outcome.and_then(|o| train_cap(r, best, o)),
            best_outcome.and_then(|o| train_slots(r, best, o)),
            noisy_estimates(r),
            worst_outcome.and_then(|o| limited_life(r, best, o)),
            worst_outcome.and_then(|o| deadline_chase(r, best, o)),
            worst_outcome.and_then(|o| rounded_scale(r, best, o)),
            worst_outcome.and_then(handicapped),
            noisy_sizes(r).map(|s| {
                format!(
                    "The size estimates are mostly noise here: {s}. Every rule that reads sizes (ordering by size or by cost of delay per day of work, and a measuring policy's stop rule, which judges from them whether a bet can finish before the horizon) then reads noise. Try a policy that reads the estimates calibrated (`estimates = \"calibrated\"`: the mean size given the estimate), or better size estimates (docs/scenario.md, \"Calibrated estimates\")."
                )
            }),
        ]
        .into_iter()
        .flatten()
        .collect();
        let reason = if reasons.is_empty() {
            // Only the assumptions this scenario has.
            let mut parts = Vec::new();
            if !r.loop_signals.is_empty() {
                parts.push("how often bets fail, how fast feedback comes");
            }
            if r.policies.iter().any(|p| drag(p) > 0.0) {
                parts.push("how much debt slows work");
            }
            if parts.is_empty() {
                parts.push("the values, sizes and urgency of its work");
            }
            format!(
                "Check the scenario's assumptions ({}{}) before drawing the usual conclusion.",
                parts.join(", "),
                loop_facts(r).map_or(String::new(), |f| format!("; here {f}"))
            )
        } else {
            reasons.join(" ")
        };
        out.push(format!(
            "Here the lesson does not hold: `{}`, an output-focused policy, realised the most value. {reason}",
            best.name
        ));
    }
    if r.valued() {
        // Say which outcome-focused policies lost, and to which output-focused policy, rather
        // than let the headline speak for them all.
        let mut lost = Vec::new();
        for o in r.policies.iter().filter(|p| p.focus == "outcome") {
            let worst = r
                .policies
                .iter()
                .filter(|p| p.focus == "output")
                .filter_map(|p| Some((p, clearly_more(&p.name, &o.name)?)))
                .max_by(|a, b| a.1.mean.unwrap_or(0.0).total_cmp(&b.1.mean.unwrap_or(0.0)));
            if let Some((p, v)) = worst {
                lost.push(format!(
                    "`{}` realised {} ±{} less than `{}`, which is output-focused",
                    o.name,
                    fmt_big(v.mean),
                    fmt_big(v.ci95),
                    p.name
                ));
            }
        }
        if !lost.is_empty() {
            let lead = if lesson_fails.is_some() {
                "By how much the outcome-focused policies lost"
            } else {
                "Not every outcome-focused policy won here"
            };
            out.push(format!("{lead}: {}.", lost.join("; ")));
            if lesson_fails.is_none() {
                // The causes the scenario shows, as where the lesson fails outright.
                let best_output = r
                    .policies
                    .iter()
                    .filter(|p| p.focus == "output")
                    .min_by_key(|p| p.rank);
                let pair = best_output.zip(worst_outcome);
                let reasons: Vec<String> = [
                    noisy_estimates(r),
                    pair.and_then(|(b, o)| limited_life(r, b, o)),
                    pair.and_then(|(b, o)| train_slots(r, b, o)),
                    pair.and_then(|(b, o)| deadline_chase(r, b, o)),
                    pair.and_then(|(b, o)| rounded_scale(r, b, o)),
                    worst_outcome.and_then(handicapped),
                ]
                .into_iter()
                .flatten()
                .collect();
                if !reasons.is_empty() {
                    out.push(reasons.join(" "));
                }
            }
        }
    }
    // Closing the loop fails where a measuring policy realises clearly less than its twin:
    // the policy that orders, limits and allocates work the same way and does not close the
    // loop. Against a policy that orders work otherwise, the ordering differs too, and the
    // difference says nothing about the loop.
    if r.valued() {
        for m in r.policies.iter().filter(|p| p.measures) {
            let twin = r
                .policies
                .iter()
                .filter(|p| !p.measures && !p.thin_slices)
                .filter(|p| {
                    p.rules_apart_from_the_loop.is_some()
                        && p.rules_apart_from_the_loop == m.rules_apart_from_the_loop
                })
                .find_map(|p| Some((p, clearly_more(&p.name, &m.name)?)));
            if let Some((p, v)) = twin {
                // Size estimates that are mostly noise mislead the stop rule before any signal
                // does: say so, with what the run shows, instead of blaming the signals.
                let because = match noisy_sizes(r) {
                    Some(sizes) => {
                        let items = |x: &super::ComparedPolicy| {
                            fmt_num(x.results.metrics.items_delivered.mean)
                        };
                        format!(
                            "Its stop rule reads size estimates that are mostly noise: {sizes}. The stop rule judges from the estimated work left in a bet, and the work ranked ahead of it, whether the bet can finish before the horizon: on such estimates it judges that many bets never can, and stops them (`{}` stopped {:.1} bets a run and delivered {} items, against {} under `{}`). Try a policy that reads the estimates calibrated (`estimates = \"calibrated\"`: the mean size given the estimate), or better size estimates (docs/scenario.md, \"Calibrated estimates\").",
                            m.name,
                            m.results.metrics.bets_stopped.mean.unwrap_or(0.0),
                            items(m),
                            items(p),
                            p.name
                        )
                    }
                    None => eroding_overload(r, m).unwrap_or_else(|| {
                        let why = if m.thin_slices {
                            "Its thin first experiments delay value more than their signals earn back"
                        } else {
                            "Its signals cost more than they earned"
                        };
                        let here = loop_facts(r).map_or(String::new(), |f| format!(" Here {f}."));
                        let overload = held_in_overload(r, m).map_or(String::new(), |o| format!(" {o}"));
                        format!("{why}: signals that are noisy (a bet worth finishing stopped on a false negative), late or hardly move the belief, bets that mostly succeed, spare capacity that builds every bet anyway, or a deadline that waiting for a signal pushes slices towards.{here}{overload}")
                    }),
                };
                out.push(format!(
                    "Here closing the loop did not pay: `{}`, which measures, realised {} ±{} less than `{}`, which orders work the same way and does not. {because}",
                    m.name,
                    fmt_big(v.mean),
                    fmt_big(v.ci95),
                    p.name
                ));
            }
        }
    }
    out
}

/// Where bets' value erodes with delay and the work grows without end under measuring policy
/// `m`, the sentence that says why closing the loop can lose: cost of delay and the stop rule
/// read a slice's worth from what one more day of delay costs. An eroding slice's cost of delay
/// stays high until its value is gone, however little is left; in overload the work it passes
/// over is never built, not delayed, and work ranked ahead of a bet may lose its value before
/// the team reaches it. Signals act on these readings. `None` elsewhere.
fn eroding_overload(r: &CompareReport, m: &super::ComparedPolicy) -> Option<String> {
    let stability = &m.results.stability;
    let eroding: Vec<String> = r
        .loop_signals
        .iter()
        .filter(|e| e.value_gone_after.is_finite())
        .map(|e| {
            format!(
                "`{}`'s is gone {} days after it arrives",
                e.name,
                plain(e.value_gone_after)
            )
        })
        .collect();
    let unstable = crate::experiment::diagnosis::Verdict::Unstable.name();
    (!eroding.is_empty() && stability.verdict == unstable).then(|| {
        format!(
            "Its bets' value erodes with delay ({}) in a team that can never finish its work (under `{}` the work waiting grows by about {:.1} items a month). Cost of delay ranks an eroding slice by what one more day of delay costs, which stays high until its value is gone, however little is left (CD3 is exact only for steady costs of delay); in such overload the work a slice passes over is not delayed but never built, and the work ranked ahead of a bet may lose its value before the team reaches it, which the stop rule does not foresee. Signals that raise or stop bets act on these readings, so here they can cost value (docs/scenario.md, \"Notes on the classes\").",
            eroding.join("; "),
            m.name,
            stability.growth_per_month
        )
    })
}

/// Where the measuring policy `m` holds slices back for signals (an epic whose value flows
/// from delivery at most at its rate, with no penalty) and the work grows without end under it,
/// the sentence that says how coarsely the value of waiting prices what bad news frees there:
/// at the rate of the work a slice is compared with, for every day left to the horizon (a
/// finer price was tried and lost more often than it gained: docs/scenario.md, "Spare
/// capacity"). `None` elsewhere.
fn held_in_overload(r: &CompareReport, m: &super::ComparedPolicy) -> Option<String> {
    let stability = &m.results.stability;
    let unstable = crate::experiment::diagnosis::Verdict::Unstable.name();
    let held = r.loop_signals.iter().any(|e| e.held_back);
    (held && stability.verdict == unstable).then(|| {
        format!(
            "The team can never finish its work here (under `{}` the work waiting grows by about {:.1} items a month). While an earlier slice of a bet is in flight or awaiting its signal, the value of waiting holds the bet's next slices back, and in such overload it prices what bad news would free coarsely: at the rate of the work a slice is compared with, for every day left to the horizon. Where slices take long to deliver, holding back can cost more than the signals save (docs/scenario.md, \"Spare capacity\").",
            m.name, stability.growth_per_month
        )
    })
}

/// When value estimates are mostly noise (`experiment::assumptions`), the sentence that says
/// so, with the figures: ordering by value then orders by noise.
fn noisy_estimates(r: &CompareReport) -> Option<String> {
    let noisy: Vec<String> = r
        .value_estimates
        .iter()
        .filter(|e| e.mostly_noise())
        .map(|e| {
            format!(
                "`{}`'s estimates are typically off by a factor of {} (value_error {}) while its true values typically differ from the median by a factor of {}, so the values account for {} of the spread of the estimates",
                e.name,
                factor(e.error.exp()),
                plain(e.error),
                factor(e.spread.exp()),
                share(e.explained)
            )
        })
        .collect();
    (!noisy.is_empty()).then(|| {
        format!(
            "The value estimates are mostly noise here: {}. Ordering by value at face value then orders by noise, while ordering by size keeps its throughput. Try a policy that reads the estimates calibrated (`estimates = \"calibrated\"`: the mean value given the estimate), or better estimates (docs/scenario.md, \"Calibrated estimates\").",
            noisy.join("; ")
        )
    })
}

/// The mean items delivered by `best` and by `other`, when `best` delivered more and both
/// keep WIP limits or both ignore them (otherwise the limits, not the ranking, may have set the
/// difference: see [`train_cap`]).
fn delivered_more(
    best: &super::ComparedPolicy,
    other: &super::ComparedPolicy,
) -> Option<(f64, f64)> {
    if best.honours_wip_limits != other.honours_wip_limits {
        return None;
    }
    let items = |p: &super::ComparedPolicy| p.results.metrics.items_delivered.mean;
    let (more, fewer) = (items(best)?, items(other)?);
    (more > fewer).then_some((more, fewer))
}

/// When value flows for a fixed time after delivery (`experiment::assumptions::limited_lives`)
/// and the output-focused `best` delivered more items than the outcome-focused `outcome`: the
/// sentence that says why cost of delay had little to rank by.
fn limited_life(
    r: &CompareReport,
    best: &super::ComparedPolicy,
    outcome: &super::ComparedPolicy,
) -> Option<String> {
    let (more, fewer) = delivered_more(best, outcome)?;
    if r.limited_lives.is_empty() || !outcome.ranks_by_cost_of_delay {
        return None;
    }
    let lives: Vec<String> = r
        .limited_lives
        .iter()
        .map(|l| format!("`{}` for {} days", l.name, plain(l.life)))
        .collect();
    Some(format!(
        "Value here flows for a fixed time after delivery ({}, of a {}-day horizon): delaying an item costs it nothing while its life still fits before the horizon, so its cost of delay is zero for most of the run and ranking by it has little to go on, while `{}` finished more items ({} against {} under `{}`), each worth its whole life. Cost of delay prices the delay of one item, not the items the horizon leaves undone (docs/scenario.md, \"Urgency\").",
        lives.join(", "),
        plain(r.horizon),
        best.name,
        fmt_num(Some(more)),
        fmt_num(Some(fewer)),
        outcome.name
    ))
}

/// When work loses value at fixed dates (`experiment::assumptions::deadline_steps`) and the
/// outcome-focused `outcome` delivered fewer items than the output-focused `best`, and later:
/// the sentence that says a date's step is not the steady cost of delay CD3 is exact for.
fn deadline_chase(
    r: &CompareReport,
    best: &super::ComparedPolicy,
    outcome: &super::ComparedPolicy,
) -> Option<String> {
    fn m(p: &super::ComparedPolicy) -> &super::Metrics {
        &p.results.metrics
    }
    let (more, fewer) = delivered_more(best, outcome)?;
    let (Some(sooner), Some(later)) = (m(best).lead_time.mean, m(outcome).lead_time.mean) else {
        return None;
    };
    if r.deadline_steps.is_empty() || !outcome.ranks_by_cost_of_delay || later <= sooner {
        return None;
    }
    // Chasing dates moves the rest of the work only where dated work is a good part of it (a
    // tenth of the items or more), not where two dated items wait among hundreds.
    if m(outcome).deadlines_due.mean.unwrap_or(0.0) < 0.1 * fewer {
        return None;
    }
    let steps: Vec<String> = r
        .deadline_steps
        .iter()
        .map(|d| {
            let lost = if d.lost >= 1.0 {
                Some("loses all of its value".to_string())
            } else {
                (d.lost > 0.0).then(|| format!("loses {} of its value", share(d.lost)))
            };
            let penalty =
                (d.penalty > 0.0).then(|| format!("costs a penalty of {}", plain(d.penalty)));
            let what: Vec<String> = [lost, penalty].into_iter().flatten().collect();
            format!(
                "`{}` {} if not delivered within {} days of arrival",
                d.name,
                what.join(" and "),
                plain(d.deadline)
            )
        })
        .collect();
    let met = |p: &super::ComparedPolicy| m(p).deadlines_met.mean.unwrap_or(0.0);
    let deadlines = if met(outcome) > met(best) {
        format!(
            "it met more deadlines ({:.1} a run against {:.1} under `{}`) but",
            met(outcome),
            met(best),
            best.name
        )
    } else {
        "it".to_string()
    };
    let stability = &outcome.results.stability;
    let overload = (stability.arrival_rate > stability.throughput * 1.05).then(|| {
        format!(
            " With more work arriving than the team finishes ({:.2} items a day against {:.2} under `{}`), no ordering meets every date.",
            stability.arrival_rate, stability.throughput, outcome.name
        )
    });
    Some(format!(
        "Value here is lost at fixed dates ({}). Near such a date an item's cost of delay jumps, so `{}` took work at risk of missing its date ahead of shorter work and delivered the rest later: {deadlines} delivered {} items against {}, with a mean lead time of {:.1} days against {:.1}, and value that flows from delivery on lost more to the later deliveries than the dates saved. Cost of delay divided by duration is exact for costs of delay that stay steady (Smith's rule, 1956; Reinertsen 2009); a date's step is not steady (docs/glossary.md, \"CD3\").{}",
        steps.join("; "),
        outcome.name,
        fmt_num(Some(fewer)),
        fmt_num(Some(more)),
        later,
        sooner,
        overload.unwrap_or_default()
    ))
}

/// When the outcome-focused `outcome` is a custom policy that departs from ranking every kind
/// by cost of delay with WIP limits kept: the sentence that names how.
fn handicapped(outcome: &super::ComparedPolicy) -> Option<String> {
    let h = &outcome.handicaps;
    let (last, rest) = h.split_last()?;
    let rules = if rest.is_empty() {
        last.clone()
    } else {
        format!("{}, and {last}", rest.join(", "))
    };
    let why = if outcome.measures {
        "it closes the loop"
    } else {
        "it reads cost of delay"
    };
    Some(format!(
        "`{}` counts as outcome-focused because {why}, but {rules}: the lesson compares ranking all the work by its value and cost of delay, with work in progress limited, against ranking by output, and this policy departs from that (docs/scenario.md, \"Policies\").",
        outcome.name
    ))
}

/// When the outcome-focused `outcome` ranks by parts rounded to a relative scale (WSJF) and
/// delivered fewer items than the output-focused `best`: the sentence that says the rounding
/// ties items apart, with how an unrounded cost-of-delay policy in the comparison did.
fn rounded_scale(
    r: &CompareReport,
    best: &super::ComparedPolicy,
    outcome: &super::ComparedPolicy,
) -> Option<String> {
    let (more, fewer) = delivered_more(best, outcome)?;
    if !outcome.rounds_to_a_scale {
        return None;
    }
    // An outcome-focused policy that ranks by the same cost of delay unrounded, and clearly
    // realised more.
    let unrounded = r
        .policies
        .iter()
        .filter(|p| p.focus == "outcome" && !p.rounds_to_a_scale && !p.measures)
        .filter_map(|p| {
            let (v, _) = r.between(&p.name, &outcome.name)?;
            matches!((v.mean, v.ci95), (Some(d), Some(c)) if d - c > 0.0).then_some((p, v))
        })
        .min_by_key(|(p, _)| p.rank)
        .map(|(p, v)| {
            format!(
                " `{}`, which ranks by the same cost of delay per day of work unrounded, realised {} ±{} more than `{}`.",
                p.name,
                fmt_big(v.mean),
                fmt_big(v.ci95),
                outcome.name
            )
        });
    Some(format!(
        "`{}` rounds each part of its score (business value, time criticality, risk reduction, job size) to SAFe's modified Fibonacci scale 1, 2, 3, 5, 8, 13, 20, relative to the largest waiting: items whose parts differ by less than a step tie, and ties go first come first served (docs/glossary.md, \"WSJF\"). The wider the spread of the estimates, the more items fall on the lowest steps; here it delivered {} items against {} under `{}`.{}",
        outcome.name,
        fmt_num(Some(fewer)),
        fmt_num(Some(more)),
        best.name,
        unrounded.unwrap_or_default()
    ))
}

/// When size estimates are misleading (`experiment::assumptions`: mostly noise, and far off),
/// what they are, work type by work type, with the figures.
fn noisy_sizes(r: &CompareReport) -> Option<String> {
    let noisy: Vec<String> = r
        .size_estimates
        .iter()
        .filter(|e| e.misleading())
        .map(|e| {
            let sizes = if e.spread > 0.0 {
                format!(
                    "while its true sizes typically differ from the median by a factor of {}",
                    factor(e.spread.exp())
                )
            } else {
                "while its true sizes do not differ at all".to_string()
            };
            format!(
                "`{}`'s size estimates are typically off by a factor of {} (size_error {}) {sizes}, so the sizes account for {} of the spread of the estimates, and an estimate is on average {} times the true size (e^(σ²/2))",
                e.name,
                factor(e.error.exp()),
                plain(e.error),
                share(e.explained),
                factor(e.inflation)
            )
        })
        .collect();
    (!noisy.is_empty()).then(|| noisy.join("; "))
}

/// When a release train on a WIP-limited stage capped what the policies that keep WIP limits
/// could deliver, and the winner `best`, which ignores them, did not face the cap: the sentence
/// that says so. Only when the cap binds: the best outcome-focused policy `outcome`, which
/// keeps the limits, delivered four fifths of the cap or more.
fn train_cap(
    r: &CompareReport,
    best: &super::ComparedPolicy,
    outcome: &super::ComparedPolicy,
) -> Option<String> {
    let delivered = |p: &super::ComparedPolicy| p.results.metrics.items_delivered.mean;
    if best.honours_wip_limits || !outcome.honours_wip_limits {
        return None;
    }
    let train = r
        .release_trains
        .iter()
        .filter(|t| t.trains > 0)
        .min_by(|a, b| a.cap().total_cmp(&b.cap()))?;
    let cap = train.cap();
    // Binding: within a fifth of the cap (rework that sends items back into the stage takes
    // slots on the train too, so deliveries fall short of the cap while it binds).
    if delivered(outcome)? < 0.8 * cap {
        return None;
    }
    let names = |keep: bool| {
        let named: Vec<String> = r
            .policies
            .iter()
            .filter(|p| p.honours_wip_limits == keep)
            .map(|p| format!("`{}`", p.name))
            .collect();
        match named.split_last() {
            Some((last, rest)) if !rest.is_empty() => format!("{} and {last}", rest.join(", ")),
            _ => named.join(""),
        }
    };
    let kept: Vec<f64> = r
        .policies
        .iter()
        .filter(|p| p.honours_wip_limits)
        .filter_map(delivered)
        .collect();
    let low = kept.iter().copied().fold(f64::INFINITY, f64::min);
    let high = kept.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let range = if fmt_num(Some(low)) == fmt_num(Some(high)) {
        fmt_num(Some(low))
    } else {
        format!("{} to {}", fmt_num(Some(low)), fmt_num(Some(high)))
    };
    let ignored: Vec<f64> = r
        .policies
        .iter()
        .filter(|p| !p.honours_wip_limits)
        .filter_map(delivered)
        .collect();
    let most = ignored.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    Some(format!(
        "The `{stage}` stage releases on a train every {every} days and has a WIP limit of {limit}: finished items wait for the train inside the stage and hold its WIP slots, so at most {limit} items leave per train, and a policy that keeps WIP limits could deliver at most about {cap} items in the run ({limit} × {trains} trains). {kept_names} delivered {range} items a run. {ignoring} ignore{s} WIP limits and did not face that cap (up to {most} items). Raise the `{stage}` stage's WIP limit or release more often (`release_every`) before drawing the usual conclusion.",
        stage = train.stage,
        every = plain(train.every),
        limit = train.wip_limit,
        cap = plain(cap),
        trains = train.trains,
        kept_names = names(true),
        ignoring = names(false),
        s = if ignored.len() == 1 { "s" } else { "" },
        most = fmt_num(Some(most)),
    ))
}

/// When a release train's cap binds both the output-focused `best` and the outcome-focused
/// `outcome`, which keep WIP limits alike, and `outcome` ranks by cost of delay: the sentence
/// that says slots on the train, not days of work, were scarce, so cost of delay per day of
/// work was the wrong ratio.
fn train_slots(
    r: &CompareReport,
    best: &super::ComparedPolicy,
    outcome: &super::ComparedPolicy,
) -> Option<String> {
    if !(best.honours_wip_limits
        && outcome.honours_wip_limits
        && outcome.ranks_by_cost_of_delay
        && !outcome.rounds_to_a_scale)
    {
        return None;
    }
    // Only where the ratio lost: no policy that ranks by it ranked above `best`.
    let ratio_won = r
        .policies
        .iter()
        .any(|p| p.ranks_by_cost_of_delay && !p.rounds_to_a_scale && p.rank < best.rank);
    if ratio_won {
        return None;
    }
    let train = r
        .release_trains
        .iter()
        .filter(|t| t.trains > 0)
        .min_by(|a, b| a.cap().total_cmp(&b.cap()))?;
    let cap = train.cap();
    let delivered = |p: &super::ComparedPolicy| p.results.metrics.items_delivered.mean;
    let (won, lost) = (delivered(best)?, delivered(outcome)?);
    if won < 0.8 * cap || lost < 0.8 * cap {
        return None;
    }
    Some(format!(
        "The `{stage}` stage releases on a train every {every} days and has a WIP limit of {limit}: at most {limit} items leave per train, about {cap} in the run ({limit} × {trains} train{plural}), and `{best}` and `{outcome}` delivered {won} and {lost} items a run. When slots on the train, not the team's days of work, are what is scarce, cost of delay per day of work is the wrong ratio: it spends slots on short items, while `{best}` fills them by its own rule. Raise the `{stage}` stage's WIP limit or release more often (`release_every`) to make days of work the constraint again (docs/scenario.md, \"Release trains\").",
        stage = train.stage,
        every = plain(train.every),
        limit = train.wip_limit,
        cap = plain(cap),
        trains = train.trains,
        plural = if train.trains == 1 { "" } else { "s" },
        best = best.name,
        outcome = outcome.name,
        won = fmt_num(Some(won)),
        lost = fmt_num(Some(lost)),
    ))
}

/// A factor as a reader takes it in: one decimal below 100 (3.3), whole up to a million
/// (2981), in scientific notation beyond (7.9e13), never a number of 200 digits.
fn factor(x: f64) -> String {
    if !x.is_finite() {
        "more than 1e308".to_string()
    } else if x < 100.0 {
        format!("{x:.1}")
    } else if x < 1e6 {
        format!("{x:.0}")
    } else {
        format!("{x:.1e}")
    }
}

/// A share as a percentage, whole unless below 1% (0.5%), so a small share does not read 0%.
fn share(x: f64) -> String {
    if x > 0.0 && x < 0.0005 {
        "less than 0.1%".to_string()
    } else if x > 0.0 && x * 100.0 < 0.95 {
        format!("{:.1}%", x * 100.0)
    } else {
        format!("{:.0}%", x * 100.0)
    }
}

/// `x` to two decimals at most, without trailing zeros (1.2, 7, 49.4): a scenario's own
/// figure, as its author wrote it.
fn plain(x: f64) -> String {
    let s = format!("{x:.2}");
    s.trim_end_matches('0').trim_end_matches('.').to_string()
}

/// What closing the loop had to work with, epic by epic: how often bets succeed, how noisy
/// and late their signals are, and whether an epic carries a deadline or a daily cost.
fn loop_facts(r: &CompareReport) -> Option<String> {
    let pct = |x: f64| format!("{:.0}%", x * 100.0);
    let facts: Vec<String> = r
        .loop_signals
        .iter()
        .map(|e| {
            format!(
                "`{}` bets succeed {} of the time, signals come {} days after delivery (of a {}-day horizon) with {} false positives and {} false negatives{}",
                e.name,
                pct(e.success_probability),
                plain(e.feedback_delay),
                plain(r.horizon),
                pct(e.false_positive),
                pct(e.false_negative),
                if e.exposed {
                    ", and the epic carries a deadline penalty or a daily cost"
                } else {
                    ""
                }
            )
        })
        .collect();
    (!facts.is_empty()).then(|| facts.join("; "))
}

fn file_safe(name: &str) -> String {
    name.chars()
        .take(100)
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

/// Plain-language takeaways, each computed from the numbers (never asserted in advance).
pub fn takeaways(r: &CompareReport) -> Vec<String> {
    let mut out = vec![headline(r)];
    let by = |f: &dyn Fn(&super::ComparedPolicy) -> Option<f64>, max: bool| {
        r.policies
            .iter()
            .filter_map(|p| f(p).map(|v| (p.name.clone(), v)))
            .filter(|(_, v)| v.is_finite())
            .max_by(|a, b| {
                if max {
                    a.1.total_cmp(&b.1)
                } else {
                    b.1.total_cmp(&a.1)
                }
            })
    };
    out.extend(why(r));
    let p85 = |p: &super::ComparedPolicy| p.results.metrics.lead_time.p85;
    if let (Some((fast, f)), Some((slow, s))) = (by(&p85, false), by(&p85, true)) {
        if fast != slow {
            out.push(format!(
                "85% of items were delivered within {} days under `{fast}`, against {} days under `{slow}`.",
                fmt_num(Some(f)),
                fmt_num(Some(s))
            ));
        }
    }
    let cod = |p: &super::ComparedPolicy| p.results.metrics.cost_of_delay.mean;
    if let (Some((least, l)), Some((most, m))) = (by(&cod, false), by(&cod, true)) {
        if least != most && m > 0.0 {
            out.push(format!(
                "Waiting cost `{most}` {} of value (cost of delay); `{least}` lost {}.",
                fmt_big(Some(m)),
                fmt_big(Some(l))
            ));
        }
    }
    let mut ranked: Vec<&super::ComparedPolicy> = r.policies.iter().collect();
    ranked.sort_by_key(|p| p.rank);
    out.extend(
        ranked
            .iter()
            .filter_map(|p| instability(&p.name, &p.results)),
    );
    if let Some(first) = r.policies.first() {
        for (i, kr) in first.results.key_results.iter().enumerate() {
            let confident: Vec<String> = r
                .policies
                .iter()
                .filter(|p| p.results.key_results[i].probability >= 0.7)
                .map(|p| {
                    let k = &p.results.key_results[i];
                    format!(
                        "`{}` ({})",
                        p.name,
                        fmt_share(k.probability, k.ci95_low, k.ci95_high)
                    )
                })
                .collect();
            out.push(if confident.is_empty() {
                format!(
                    "No policy reaches \"{}\" with a probability of 70% or more.",
                    kr.name
                )
            } else {
                format!(
                    "\"{}\" is achieved with a probability of at least 70% by {}.",
                    kr.name,
                    confident.join(", ")
                )
            });
        }
    }
    out
}

/// `summary.md`: the results table and the takeaways.
pub fn markdown(r: &CompareReport) -> String {
    let mut o = String::new();
    let _ = writeln!(o, "# {}\n", r.scenario);
    let _ = writeln!(
        o,
        "{} policies on the same {} replications (common random numbers), seed {}, {} days.\n",
        r.policies.len(),
        r.replications,
        r.seed,
        r.horizon
    );
    let _ = writeln!(o, "## Takeaways\n");
    for t in takeaways(r) {
        let _ = writeln!(o, "- {t}");
    }
    let _ = writeln!(o, "\n## Results\n");
    let _ = writeln!(
        o,
        "| Rank | Policy | Value realised | ±95% | Items delivered | Lead time p85 (days) | Waste | Cost of delay | Δ value vs {} | P(beats {}) |",
        r.baseline, r.baseline
    );
    let _ = writeln!(o, "|---|---|---|---|---|---|---|---|---|---|");
    let mut ranked: Vec<_> = r.policies.iter().collect();
    ranked.sort_by_key(|p| p.rank);
    for p in ranked {
        let m = &p.results.metrics;
        let d = &p.vs_baseline;
        let _ = writeln!(
            o,
            "| {} | {} | {} | {} | {} | {} | {}% | {} | {} | {} |",
            r.shown_rank(p),
            p.name,
            fmt_big(m.value_realised.mean),
            fmt_big(m.value_realised.ci95),
            fmt_num(m.items_delivered.mean),
            fmt_num(m.lead_time.p85),
            fmt_num(m.waste.mean.map(|w| w * 100.0)),
            fmt_big(m.cost_of_delay.mean),
            fmt_big(d.value_realised.mean),
            p_beats(r, p)
        );
    }
    if let Some(first) = r.policies.first() {
        if !first.results.key_results.is_empty() {
            let _ = writeln!(
                o,
                "\n## Key results (probability of achieving, with its 95% interval)\n"
            );
            let _ = write!(o, "| Key result | Objective |");
            for p in &r.policies {
                let _ = write!(o, " {} |", p.name);
            }
            let _ = write!(o, "\n|---|---|");
            for _ in &r.policies {
                let _ = write!(o, "---|");
            }
            let _ = writeln!(o);
            for (i, kr) in first.results.key_results.iter().enumerate() {
                let _ = write!(o, "| {} | {} |", kr.name, kr.objective);
                for p in &r.policies {
                    let k = &p.results.key_results[i];
                    let _ = write!(
                        o,
                        " {} |",
                        fmt_share(k.probability, k.ci95_low, k.ci95_high)
                    );
                }
                let _ = writeln!(o);
            }
        }
    }
    let _ = writeln!(o, "\n## Charts\n");
    for kind in ChartKind::ALL {
        let _ = writeln!(
            o,
            "- [{}]({}.png): {}",
            kind.title(),
            kind.name(),
            kind.reading()
        );
    }
    for w in &r.warnings {
        let _ = writeln!(o, "\n> warning: {w}");
    }
    o
}

/// `P(beats baseline)` with its 95% interval, or `-` for the baseline itself.
fn p_beats(r: &CompareReport, p: &super::ComparedPolicy) -> String {
    if p.name == r.baseline {
        return "-".into();
    }
    let d = &p.vs_baseline;
    fmt_share(
        d.p_beats_baseline,
        d.p_beats_baseline_ci95_low,
        d.p_beats_baseline_ci95_high,
    )
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// Escapes `s` for HTML and turns its Markdown code spans (`` `name` ``) into `<code>`, so the
/// page never shows raw backticks.
fn escape_text(s: &str) -> String {
    let escaped = escape(s);
    let mut out = String::with_capacity(escaped.len());
    let mut open = false;
    for (i, part) in escaped.split('`').enumerate() {
        if i > 0 {
            out.push_str(if open { "</code>" } else { "<code>" });
            open = !open;
        }
        out.push_str(part);
    }
    if open {
        out.push_str("</code>");
    }
    out
}

/// Inline-ready SVG: no XML prolog, and a viewBox so it scales with the page.
fn inline_svg(svg: &str) -> String {
    let start = svg.find("<svg").unwrap_or(0);
    let body = &svg[start..];
    if body.contains("viewBox") {
        body.to_string()
    } else {
        body.replacen(
            "<svg ",
            &format!("<svg viewBox=\"0 0 {} {}\" ", chart::SIZE.0, chart::SIZE.1),
            1,
        )
    }
}

/// `index.html`: one self-contained page (inline SVG, inline CSS, no scripts).
///
/// With `board`, it links to `board.html` beside it (the animated board, which has the
/// scripts; this page has none).
pub fn html(r: &CompareReport, svgs: &[(ChartKind, String)], board: bool) -> String {
    let mut o = String::new();
    let _ = write!(
        o,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>{}</title>\n<style>\n\
         body {{ font-family: 'DejaVu Sans', Verdana, sans-serif; margin: 2rem auto; max-width: 1700px; padding: 0 1rem; color: #222; }}\n\
         h1 {{ font-size: 2.4rem; }} h2 {{ font-size: 1.6rem; margin-top: 2.5rem; }}\n\
         .headline {{ font-size: 1.5rem; background: #eef6f2; border-left: 8px solid #009E73; padding: 1rem 1.5rem; }}\n\
         table {{ border-collapse: collapse; font-size: 1.1rem; }} th, td {{ border: 1px solid #bbb; padding: .4rem .8rem; text-align: right; }}\n\
         th:nth-child(2), td:nth-child(2) {{ text-align: left; }}\n\
         figure {{ margin: 1rem 0 3rem; }} figure svg {{ width: 100%; height: auto; border: 1px solid #ddd; }}\n\
         figcaption {{ font-size: 1.1rem; color: #444; }}\n</style>\n</head>\n<body>\n",
        escape(&r.scenario)
    );
    let _ = writeln!(o, "<h1>{}</h1>", escape(&r.scenario));
    let _ = writeln!(
        o,
        "<p>{} policies on the same {} replications (common random numbers) · seed {} · {} days.</p>",
        r.policies.len(),
        r.replications,
        r.seed,
        r.horizon
    );
    let t = takeaways(r);
    if let Some(first) = t.first() {
        let _ = writeln!(o, "<p class=\"headline\">{}</p>", escape_text(first));
    }
    if board {
        let _ = writeln!(
            o,
            "<p><a href=\"board.html\">Watch the board</a>: the same items flowing through the value stream under each policy, replayed day by day.</p>"
        );
    }
    let _ = writeln!(o, "<ul>");
    for line in t.iter().skip(1) {
        let _ = writeln!(o, "<li>{}</li>", escape_text(line));
    }
    let _ = writeln!(o, "</ul>\n<h2>Results</h2>\n<table>");
    let _ = writeln!(
        o,
        "<tr><th>Rank</th><th>Policy</th><th>Value realised</th><th>Items delivered</th><th>Lead time p85 (days)</th><th>Waste</th><th>Cost of delay</th><th>P(beats {})</th></tr>",
        escape(&r.baseline)
    );
    let mut ranked: Vec<_> = r.policies.iter().collect();
    ranked.sort_by_key(|p| p.rank);
    for p in ranked {
        let m = &p.results.metrics;
        let _ = writeln!(
            o,
            "<tr><td>{}</td><td>{}</td><td>{} ±{}</td><td>{}</td><td>{}</td><td>{}%</td><td>{}</td><td>{}</td></tr>",
            r.shown_rank(p),
            escape(&p.name),
            fmt_big(m.value_realised.mean),
            fmt_big(m.value_realised.ci95),
            fmt_num(m.items_delivered.mean),
            fmt_num(m.lead_time.p85),
            fmt_num(m.waste.mean.map(|w| w * 100.0)),
            fmt_big(m.cost_of_delay.mean),
            p_beats(r, p)
        );
    }
    let _ = writeln!(o, "</table>");
    if let Some(first) = r
        .policies
        .first()
        .filter(|p| !p.results.key_results.is_empty())
    {
        let _ = writeln!(
            o,
            "<h2>Key results</h2>\n<p>Probability of achieving each key result, with its 95% interval.</p>\n<table>"
        );
        let _ = write!(o, "<tr><th>Key result</th><th>Objective</th>");
        for p in &r.policies {
            let _ = write!(o, "<th>{}</th>", escape(&p.name));
        }
        let _ = writeln!(o, "</tr>");
        for (i, kr) in first.results.key_results.iter().enumerate() {
            let _ = write!(
                o,
                "<tr><td>{}</td><td>{}</td>",
                escape(&kr.name),
                escape(&kr.objective)
            );
            for p in &r.policies {
                let k = &p.results.key_results[i];
                let _ = write!(
                    o,
                    "<td>{}</td>",
                    fmt_share(k.probability, k.ci95_low, k.ci95_high)
                );
            }
            let _ = writeln!(o, "</tr>");
        }
        let _ = writeln!(o, "</table>");
    }
    if !r.warnings.is_empty() {
        let _ = writeln!(o, "<h2>Warnings</h2>\n<ul>");
        for w in &r.warnings {
            let _ = writeln!(o, "<li>{}</li>", escape_text(w));
        }
        let _ = writeln!(o, "</ul>");
    }
    for (kind, svg) in svgs {
        let _ = writeln!(
            o,
            "<figure id=\"{}\">\n<h2>{}</h2>\n{}\n<figcaption>{}</figcaption>\n</figure>",
            kind.name(),
            escape(kind.title()),
            inline_svg(svg),
            escape(kind.reading())
        );
    }
    let _ = writeln!(o, "</body>\n</html>");
    o
}

#[cfg(test)]
mod tests {
    #[test]
    fn code_spans_become_code_elements() {
        assert_eq!(
            super::escape_text("`a<b` and `c`"),
            "<code>a&lt;b</code> and <code>c</code>"
        );
        assert_eq!(super::escape_text("odd `x"), "odd <code>x</code>");
    }

    #[test]
    fn huge_factors_and_tiny_shares_stay_legible() {
        assert_eq!(super::factor(3.32), "3.3");
        assert_eq!(super::factor(2980.96), "2981");
        assert_eq!(super::factor(500f64.exp()), "1.4e217");
        assert_eq!(super::factor(f64::INFINITY), "more than 1e308");
        assert_eq!(super::share(0.65), "65%");
        assert_eq!(super::share(0.0046), "0.5%");
        assert_eq!(super::share(1e-9), "less than 0.1%");
        assert_eq!(super::share(0.0), "0%");
    }
}
