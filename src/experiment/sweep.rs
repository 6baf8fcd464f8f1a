//! Sweeps: the grid of settings a sweep runs, and the deterministic slices (shards) it can be
//! cut into for a scheduler's job array.
//!
//! A grid is the cartesian product of its axes, each a scenario key (a `--set` path) and its
//! values. Point `k` is numbered in mixed radix with the last axis varying fastest, so the
//! numbering depends only on the axes. Every point runs the same replication indices from the
//! same seed: common random numbers across the grid.

use crate::scenario::set::{self, Setting};
use serde_json::Value;

/// Most points a sweep runs without `--yes`.
pub const CONFIRM_ABOVE: u64 = 10_000;
/// Most values one axis may take.
pub const MAX_VALUES: usize = 100_000;

/// One knob of a sweep: a scenario key and the values it takes.
#[derive(Clone, Debug, PartialEq)]
pub struct Axis {
    /// The key's path as written (`stages.test.workers`).
    pub name: String,
    path: Vec<String>,
    /// Its values in order; `None` removes the key (`none`).
    pub values: Vec<Option<Value>>,
    /// Its index in the scenario file's `[sweep] vary`, for an axis the file declares (its
    /// problems are then located there), or `None` for one given on the command line.
    declared: Option<usize>,
    /// The flag that gave it, when the file does not declare it: `--vary`, or `--curve` for a
    /// ready-made curve's.
    flag: &'static str,
    /// The argument as written (`stages.test.workers=1..4`), which a problem with one of its
    /// points quotes whole.
    text: String,
}

impl Axis {
    /// Parses `PATH=SPEC`: a range `a..b` (whole steps of 1, both ends included), a stepped
    /// range `a..b:s`, or a comma-separated list whose items are values as in `--set`.
    pub fn parse(arg: &str) -> Result<Axis, String> {
        let setting = arg.split_once('=').map_or_else(
            || Setting::parse(arg),
            |(p, _)| Setting::parse(&format!("{p}=none")),
        )?;
        let spec = arg.split_once('=').map_or("", |(_, s)| s.trim());
        let values = if let Some(range) = parse_range(spec)? {
            range
        } else {
            split_list(spec)
                .iter()
                .map(|v| set::parse_value(v.trim()))
                .collect::<Result<Vec<_>, _>>()
                .map_err(|e| format!("`{arg}`: {e}"))?
        };
        if values.is_empty() {
            return Err(format!("`{arg}`: the range or list is empty"));
        }
        Ok(Axis {
            name: set::path_text(&setting.path),
            path: setting.path,
            values,
            declared: None,
            flag: "--vary",
            text: arg.trim().to_string(),
        })
    }

    /// The axis as the flag `flag` gives it (`--curve` for a ready-made curve's, `--set
    /// sweep.vary` for one a setting declared): messages about its points name that flag, not
    /// a place in the file.
    pub fn given_by(self, flag: &'static str) -> Axis {
        Axis {
            flag,
            declared: None,
            ..self
        }
    }

    /// The axis as the scenario file declares it, at `sweep.vary[i]`.
    pub fn declared_at(self, i: usize) -> Axis {
        Axis {
            declared: Some(i),
            ..self
        }
    }

    /// Its index in the scenario file's `[sweep] vary`, if the file declares it.
    pub fn declared(&self) -> Option<usize> {
        self.declared
    }

    /// How messages name the axis: `--vary stages.test.workers`, or `sweep.vary[0]
    /// (stages.test.workers)` for one the file declares.
    pub fn label(&self) -> String {
        match self.declared {
            Some(i) => format!("sweep.vary[{i}] ({})", self.name),
            None => format!("{} {}", self.flag, self.name),
        }
    }

    /// The setting of its key to `value` (one of its values), named as the axis was given: by
    /// `--vary`, or by the file's `sweep.vary[i]`.
    pub fn setting(&self, value: Option<Value>) -> Setting {
        let s = Setting::new(&self.path, value);
        match self.declared {
            Some(i) => s.declared_at(i),
            // A curve's values are its own, not written by the user: its point is quoted.
            None if self.flag == "--curve" => s.given_by(self.flag),
            None => s.given_by(self.flag).of_entry(&self.text),
        }
    }
}

/// Splits a list on commas outside brackets, braces and quotes.
fn split_list(spec: &str) -> Vec<String> {
    let (mut out, mut cur, mut depth, mut quoted) = (Vec::new(), String::new(), 0i32, false);
    for c in spec.chars() {
        match c {
            '"' => quoted = !quoted,
            '[' | '{' if !quoted => depth += 1,
            ']' | '}' if !quoted => depth -= 1,
            ',' if depth == 0 && !quoted => {
                out.push(std::mem::take(&mut cur));
                continue;
            }
            _ => {}
        }
        cur.push(c);
    }
    if !cur.trim().is_empty() || !out.is_empty() {
        out.push(cur);
    }
    out
}

/// `a..b` or `a..b:s` as values; `None` if `spec` is not a range.
fn parse_range(spec: &str) -> Result<Option<Vec<Option<Value>>>, String> {
    let Some((from, rest)) = spec.split_once("..") else {
        return Ok(None);
    };
    // `1...3`: three dots, not a range whose end (.3) is below its start.
    if rest.starts_with('.') {
        return Err(format!(
            "`{spec}` is not a range: write a..b (two dots) or a..b:step"
        ));
    }
    let (to, step) = rest.split_once(':').unwrap_or((rest, "1"));
    let num = |s: &str| {
        s.trim()
            .parse::<f64>()
            .ok()
            .filter(|x| x.is_finite())
            .ok_or_else(|| {
                format!("`{spec}`: `{s}` is not a number (a range is a..b or a..b:step)")
            })
    };
    let (a, b, s) = (num(from)?, num(to)?, num(step)?);
    if s <= 0.0 {
        return Err(format!("`{spec}`: the step must be positive"));
    }
    if b < a {
        return Err(format!(
            "`{spec}`: the range is empty (its end is below its start)"
        ));
    }
    let count = ((b - a) / s + 1e-9).floor() + 1.0;
    if count > MAX_VALUES as f64 {
        return Err(format!(
            "`{spec}`: {count} values; one axis takes at most {MAX_VALUES}"
        ));
    }
    let whole = [from, to, step]
        .iter()
        .all(|t| !t.contains(['.', 'e', 'E']));
    // Every value a + s·i has no more decimals than the start and the step as written.
    let places = decimals(from).max(decimals(step));
    let values = (0..count as u64)
        .map(|i| {
            let x = a + s * i as f64;
            Some(if whole {
                Value::from(x.round() as i64)
            } else {
                // Rounded to those decimals: 0.1..0.3:0.1 gives 0.1, 0.2, 0.3, and
                // 100000.1..100000.4:0.1 gives 100000.2, not 100000.20000000001.
                number(
                    format!("{x:.places$}")
                        .parse()
                        .expect("invariant: a formatted number reads back"),
                )
            })
        })
        .collect();
    Ok(Some(values))
}

/// Decimal places of a number as written (`0.25`: 2, `1e-13`: 13, `2.5e3`: 0), at most 300.
fn decimals(text: &str) -> usize {
    let text = text.trim();
    let (mantissa, exponent) = match text.find(['e', 'E']) {
        Some(at) => (&text[..at], text[at + 1..].parse::<i64>().unwrap_or(0)),
        None => (text, 0),
    };
    let written = mantissa
        .split_once('.')
        .map_or(0, |(_, fraction)| fraction.len() as i64);
    (written - exponent).clamp(0, 300) as usize
}

/// `x` as a JSON number: an integer when it is a whole number an `i64` holds exactly (so
/// 1..3:0.5 gives 1, 1.5, 2, ...: an integer key takes 1 and 2 and names 1.5 as the value that
/// is not whole, and a number key takes them all), else a float.
fn number(x: f64) -> Value {
    // 2^63: the first whole number past `i64::MAX`; every whole f64 below it fits an i64.
    const I64_END: f64 = 9_223_372_036_854_775_808.0;
    if x.fract() == 0.0 && (-I64_END..I64_END).contains(&x) {
        // -0.0 too, as 0.
        Value::from(x as i64)
    } else {
        Value::from(x)
    }
}

/// The cartesian product of some axes.
#[derive(Clone, Debug, PartialEq)]
pub struct Grid {
    /// The axes, in the order given.
    pub axes: Vec<Axis>,
}

impl Grid {
    /// Number of points (saturating).
    pub fn len(&self) -> u64 {
        self.axes
            .iter()
            .fold(1u64, |n, a| n.saturating_mul(a.values.len() as u64))
    }

    /// True for a grid without points (never: every axis has a value).
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The value of each axis at point `k` (the last axis varies fastest).
    pub fn point(&self, mut k: u64) -> Vec<(&str, Option<&Value>)> {
        let mut out: Vec<(&str, Option<&Value>)> = Vec::with_capacity(self.axes.len());
        for a in self.axes.iter().rev() {
            let n = a.values.len() as u64;
            out.push((a.name.as_str(), a.values[(k % n) as usize].as_ref()));
            k /= n;
        }
        out.reverse();
        out
    }

    /// The settings of point `k`.
    pub fn settings(&self, k: u64) -> Vec<Setting> {
        self.point(k)
            .into_iter()
            .zip(&self.axes)
            .map(|((_, v), a)| a.setting(v.cloned()))
            .collect()
    }
}

/// One of `count` deterministic slices of a grid: the points `k` with `k % count == index`
/// (round robin, so slow regions of the grid are shared out).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Shard {
    /// From 0.
    pub index: u64,
    /// Number of slices.
    pub count: u64,
}

impl Shard {
    /// The whole grid.
    pub const ALL: Shard = Shard { index: 0, count: 1 };

    /// Parses `K/N` with K counted from 1, as Playwright's and nextest's `--shard`.
    pub fn parse(s: &str) -> Result<Shard, String> {
        let bad = || format!("`{s}` is not K/N with 1 <= K <= N (e.g. --shard 2/8)");
        let (k, n) = s.split_once('/').ok_or_else(bad)?;
        let (k, n) = (
            k.trim().parse::<u64>().map_err(|_| bad())?,
            n.trim().parse::<u64>().map_err(|_| bad())?,
        );
        if k == 0 || n == 0 || k > n {
            return Err(bad());
        }
        Ok(Shard {
            index: k - 1,
            count: n,
        })
    }

    /// The shard of this task of a scheduler's job array, from its environment:
    /// Slurm (`SLURM_ARRAY_TASK_ID` from `SLURM_ARRAY_TASK_MIN`, `SLURM_ARRAY_TASK_COUNT`),
    /// Kubernetes Indexed Jobs (`JOB_COMPLETION_INDEX`) or AWS Batch
    /// (`AWS_BATCH_JOB_ARRAY_INDEX`), the last two with `count` given (`--shard-count`).
    pub fn from_env(
        env: impl Fn(&str) -> Option<String>,
        count: Option<u64>,
    ) -> Result<Shard, String> {
        let num = |name: &str| -> Result<Option<u64>, String> {
            env(name)
                .map(|v| {
                    v.trim()
                        .parse::<u64>()
                        .map_err(|_| format!("{name}={v} is not a whole number"))
                })
                .transpose()
        };
        let (index, found_count, source) = if let Some(id) = num("SLURM_ARRAY_TASK_ID")? {
            let min = num("SLURM_ARRAY_TASK_MIN")?.unwrap_or(0);
            let index = id.checked_sub(min).ok_or_else(|| {
                format!("SLURM_ARRAY_TASK_ID={id} is below SLURM_ARRAY_TASK_MIN={min}")
            })?;
            (index, num("SLURM_ARRAY_TASK_COUNT")?, "SLURM_ARRAY_TASK_ID")
        } else if let Some(i) = num("JOB_COMPLETION_INDEX")? {
            (i, None, "JOB_COMPLETION_INDEX")
        } else if let Some(i) = num("AWS_BATCH_JOB_ARRAY_INDEX")? {
            (i, None, "AWS_BATCH_JOB_ARRAY_INDEX")
        } else {
            return Err("--shard-from-env found none of SLURM_ARRAY_TASK_ID, JOB_COMPLETION_INDEX, AWS_BATCH_JOB_ARRAY_INDEX".into());
        };
        let count = count.or(found_count).ok_or_else(|| {
            format!(
                "{source} gives this task's index; give the number of tasks with --shard-count N"
            )
        })?;
        if count == 0 || index >= count {
            return Err(format!(
                "{source} gives task {index} (from 0), outside the {count} tasks"
            ));
        }
        Ok(Shard { index, count })
    }

    /// The points of a grid of `points` in this shard, in order.
    pub fn points(self, points: u64) -> impl Iterator<Item = u64> {
        (self.index..points).step_by(self.count as usize)
    }

    /// How many points of a grid of `points` this shard runs (what [`Shard::points`] yields,
    /// counted without walking them: a grid may have a billion).
    pub fn len(self, points: u64) -> u64 {
        if self.index >= points {
            0
        } else {
            (points - self.index - 1) / self.count + 1
        }
    }
}

/// FNV-1a, 64 bits: a stable fingerprint of a scenario or grid (not a security hash).
pub fn fingerprint(parts: &[&[u8]]) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for part in parts {
        for &b in *part {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
        // A separator, so ("ab", "c") and ("a", "bc") differ.
        h ^= 0xff;
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    format!("{h:016x}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn three_dots_are_a_typo_not_an_empty_range() {
        let e = parse_range("1...3").unwrap_err();
        assert!(e.contains("is not a range: write a..b (two dots)"), "{e}");
        let e = parse_range("3..1").unwrap_err();
        assert!(e.contains("the range is empty"), "{e}");
    }

    #[test]
    fn ranges_steps_and_lists() {
        let a = Axis::parse("stages.test.workers=1..4").unwrap();
        assert_eq!(
            a.values,
            vec![
                Some(json!(1)),
                Some(json!(2)),
                Some(json!(3)),
                Some(json!(4))
            ]
        );
        let b = Axis::parse("work.feature.arrival_rate=0.5..0.7:0.1").unwrap();
        assert_eq!(
            b.values,
            vec![Some(json!(0.5)), Some(json!(0.6)), Some(json!(0.7))]
        );
        // A stepped range's whole values are integers, so an integer key takes them and names
        // 1.5 as the first value that is not whole; a number key takes them all.
        let w = Axis::parse("stages.test.workers=1..3:0.5").unwrap();
        assert_eq!(
            w.values,
            vec![
                Some(json!(1)),
                Some(json!(1.5)),
                Some(json!(2)),
                Some(json!(2.5)),
                Some(json!(3))
            ]
        );
        assert_ne!(json!(1), json!(1.0));
        // Rounded to the decimals written, whatever the magnitude.
        let big = Axis::parse("horizon=100000.1..100000.4:0.1").unwrap();
        assert_eq!(
            big.values,
            vec![
                Some(json!(100000.1)),
                Some(json!(100000.2)),
                Some(json!(100000.3)),
                Some(json!(100000.4))
            ]
        );
        let tiny = Axis::parse("load=1e-13..3e-13:1e-13").unwrap();
        assert_eq!(
            tiny.values,
            vec![Some(json!(1e-13)), Some(json!(2e-13)), Some(json!(3e-13))]
        );
        let fine = Axis::parse("load=1.0000000000001..1.0000000000003:0.0000000000001").unwrap();
        assert_eq!(fine.values.len(), 3);
        assert_ne!(fine.values[0], fine.values[1]);
        assert_eq!(
            (decimals("0.25"), decimals("2.5e3"), decimals("7")),
            (2, 0, 0)
        );
        let l = Axis::parse("load=0.5..1.2:0.1").unwrap();
        assert_eq!(l.values.len(), 8);
        assert_eq!(l.values[4], Some(json!(0.9)));
        assert_eq!(l.values[5], Some(json!(1)));
        assert_eq!(l.values[6], Some(json!(1.1)));
        let z = Axis::parse("x=-1..0:0.5").unwrap();
        assert_eq!(
            z.values,
            vec![Some(json!(-1)), Some(json!(-0.5)), Some(json!(0))]
        );
        // Past an i64, a whole value stays a number.
        assert_eq!(number(1e19), json!(1e19));
        assert_eq!(number(-0.0), json!(0));
        let c = Axis::parse("stages.build.wip_limit=2,4,none").unwrap();
        assert_eq!(c.values, vec![Some(json!(2)), Some(json!(4)), None]);
        let d = Axis::parse("policy=cd3,outcome").unwrap();
        assert_eq!(d.values, vec![Some(json!("cd3")), Some(json!("outcome"))]);
        let e = Axis::parse("compare=[\"fifo\", \"cd3\"],[\"cd3\"]").unwrap();
        assert_eq!(e.values.len(), 2);
        assert!(Axis::parse("stages.test.workers=4..1")
            .unwrap_err()
            .contains("empty"));
        assert!(Axis::parse("stages.test.workers=1..4:0").is_err());
        assert!(Axis::parse("stages.test.workers=").is_err());
    }

    #[test]
    fn a_shard_counts_its_points_as_it_walks_them() {
        for points in 0..12 {
            for count in 1..5 {
                for index in 0..count {
                    let shard = Shard { index, count };
                    assert_eq!(shard.len(points), shard.points(points).count() as u64);
                }
            }
        }
        let last = Shard { index: 6, count: 7 };
        assert_eq!(last.len(1_000_000_000), 142_857_142);
    }

    #[test]
    fn points_are_numbered_with_the_last_axis_fastest() {
        let g = Grid {
            axes: vec![
                Axis::parse("a=1,2").unwrap(),
                Axis::parse("b=x,y,z").unwrap(),
            ],
        };
        assert_eq!(g.len(), 6);
        assert_eq!(
            g.point(0),
            vec![("a", Some(&json!(1))), ("b", Some(&json!("x")))]
        );
        assert_eq!(
            g.point(4),
            vec![("a", Some(&json!(2))), ("b", Some(&json!("y")))]
        );
        assert_eq!(g.settings(5)[1].text, "b=z");
        assert_eq!(g.settings(5)[1].label(), "--vary b=z");
        // The file's own axes are named by their place in it.
        let declared = Grid {
            axes: vec![Axis::parse("a=1,2").unwrap().declared_at(3)],
        };
        let s = &declared.settings(1)[0];
        assert_eq!(s.declared_key().as_deref(), Some("sweep.vary[3]"));
        assert_eq!(s.label(), "sweep.vary[3] a=2");
        assert!(!s.is_given() && !s.is_run_flag());
        assert_eq!(declared.axes[0].label(), "sweep.vary[3] (a)");
    }

    #[test]
    fn shards_cover_the_grid_exactly_once() {
        let mut seen = [0; 23];
        for k in 1..=4 {
            for p in Shard::parse(&format!("{k}/4")).unwrap().points(23) {
                seen[p as usize] += 1;
            }
        }
        assert!(seen.iter().all(|&n| n == 1));
        assert!(Shard::parse("0/4").is_err());
        assert!(Shard::parse("5/4").is_err());
        assert!(Shard::parse("1-4").is_err());
    }

    #[test]
    fn shards_from_each_scheduler() {
        let env = |vars: &'static [(&'static str, &'static str)]| {
            move |k: &str| {
                vars.iter()
                    .find(|(n, _)| *n == k)
                    .map(|(_, v)| v.to_string())
            }
        };
        let slurm = env(&[
            ("SLURM_ARRAY_TASK_ID", "5"),
            ("SLURM_ARRAY_TASK_MIN", "1"),
            ("SLURM_ARRAY_TASK_COUNT", "8"),
        ]);
        assert_eq!(
            Shard::from_env(slurm, None).unwrap(),
            Shard { index: 4, count: 8 }
        );
        let k8s = env(&[("JOB_COMPLETION_INDEX", "2")]);
        assert!(Shard::from_env(k8s, None)
            .unwrap_err()
            .contains("--shard-count"));
        assert_eq!(
            Shard::from_env(env(&[("JOB_COMPLETION_INDEX", "2")]), Some(3)).unwrap(),
            Shard { index: 2, count: 3 }
        );
        assert!(Shard::from_env(env(&[("AWS_BATCH_JOB_ARRAY_INDEX", "3")]), Some(3)).is_err());
        assert!(Shard::from_env(env(&[]), Some(3)).is_err());
    }
}
