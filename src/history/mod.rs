//! Tracker history: the "cycle data" CSV that ActionableAgile and jira-agile-metrics read and
//! write, and the standard When / How-many forecast by resampling daily throughput.
//!
//! The format: the columns `ID`, `Link`, `Name`; then one column per workflow stage, in order,
//! holding the date the item entered that stage (empty if it skipped it), the last being done;
//! then `Type`, `Status`, `Resolution` and `Blocked Days` (other attribute columns may follow
//! `Type` and are ignored). Dates are ISO, `YYYY-MM-DD`, optionally with a time.
//!
//! - [`read`] and [`export`]: the format, with located errors ([`HistoryError`]);
//! - [`forecast`]: When / How many by resampling daily throughput;
//! - [`simulated`]: When / How many by simulating a scenario;
//! - [`mapping`]: which columns are the backlog, the stages, the commitment point and done;
//! - [`fit`] (with [`fitdist`]): a scenario fitted to a history, every number commented.

pub mod date;
pub mod fit;
pub mod fitdist;
pub mod forecast;
pub mod mapping;
pub mod simulated;

use crate::metrics::Trace;
use crate::model::ValueStream;
use std::fmt::Write;

/// A problem with a history file, located at its line and column (both from 1).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{file}:{line}:{column}: {message}")]
pub struct HistoryError {
    /// The file.
    pub file: String,
    /// Line, from 1 (the header is line 1).
    pub line: u64,
    /// Column, from 1.
    pub column: usize,
    /// What is wrong, and what would be valid.
    pub message: String,
}

/// Histories of this size or more are refused before a byte is read (100 MB: far more than a
/// team's history; a 100,000-item history is about 10 MB).
pub const MAX_BYTES: u64 = 100_000_000;

/// Refuses a history (or mapping, or backlog) file of `bytes` bytes if it is [`MAX_BYTES`] or
/// more, before it is read.
pub fn check_size(file: &str, bytes: u64) -> Result<(), HistoryError> {
    if bytes >= MAX_BYTES {
        return Err(HistoryError {
            file: file.to_string(),
            line: 1,
            column: 1,
            message: format!(
                "the file is {bytes} bytes; files of {MAX_BYTES} bytes (100 MB) or more are refused: export a shorter window of time"
            ),
        });
    }
    Ok(())
}

/// Quotes a CSV field when it needs it (RFC 4180).
fn field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

/// The cycle data of one traced replication, day 0 being `start` (days since 1970-01-01).
///
/// The workflow columns are `Backlog` (arrival), each stage (first entry) and `Done`
/// (delivery). `Status` is `Done`, `Stopped` (a slice of a stopped bet, resolution `Won't
/// Do`) or the stage the item was in at the horizon (`Backlog` if none). `Blocked Days` is 0:
/// the simulation does not flag items as blocked the way a tracker does.
pub fn export(vs: &ValueStream, trace: &Trace, start: i64, link: &str) -> String {
    let day = |t: f64| date::format(start + t.floor() as i64);
    let mut o = String::from("ID,Link,Name,Backlog,");
    for s in &vs.stages {
        o.push_str(&field(&s.name));
        o.push(',');
    }
    o.push_str("Done,Type,Status,Resolution,Blocked Days\n");
    for (i, it) in trace.items.iter().enumerate() {
        let id = format!("VF-{}", i + 1);
        let name = format!(
            "{} {}",
            vs.work_types[usize::from(it.work_type)].name,
            i + 1
        );
        let _ = write!(
            o,
            "{id},{},{},{},",
            field(&format!("{link}{id}")),
            field(&name),
            day(it.arrival)
        );
        for &e in &it.entered {
            if e.is_finite() {
                o.push_str(&day(e));
            }
            o.push(',');
        }
        let (status, resolution) = match (it.delivered, it.dropped) {
            (Some(_), _) => ("Done".to_string(), "Done"),
            (None, Some(_)) => ("Stopped".to_string(), "Won't Do"),
            (None, None) => (
                it.entered
                    .iter()
                    .rposition(|e| e.is_finite())
                    .map_or("Backlog".to_string(), |s| vs.stages[s].name.clone()),
                "",
            ),
        };
        let _ = writeln!(
            o,
            "{},{},{},{},0",
            it.delivered.map(day).unwrap_or_default(),
            field(&vs.work_types[usize::from(it.work_type)].name),
            field(&status),
            resolution
        );
    }
    o
}

/// One item of a history: its type and the day (since 1970-01-01) it entered each workflow
/// column, `None` where it skipped one.
#[derive(Clone, Debug, PartialEq)]
pub struct HistoryItem {
    /// `ID`.
    pub id: String,
    /// `Type`.
    pub kind: String,
    /// Entry day per workflow column, in column order; the last column is done.
    pub entered: Vec<Option<i64>>,
    /// Its line in the file (the header is line 1).
    pub line: u64,
}

/// A history read from a cycle-data CSV.
#[derive(Clone, Debug, PartialEq)]
pub struct History {
    /// The workflow columns, in order; the last is done.
    pub columns: Vec<String>,
    /// The file's column (from 1) of the first workflow column: workflow column `c` is file
    /// column `first_column + c`.
    pub first_column: usize,
    /// The file's column (from 1) of `Type`.
    pub type_column: usize,
    /// The items.
    pub items: Vec<HistoryItem>,
}

impl History {
    /// The days items reached done, in file order.
    pub fn done_days(&self) -> Vec<i64> {
        self.items
            .iter()
            .filter_map(|i| i.entered.last().copied().flatten())
            .collect()
    }
}

/// Reads a cycle-data CSV from `text` (`file` names it in errors). Every problem names its
/// line and column: a missing column, a date that does not parse, or dates that go backwards
/// along the workflow.
pub fn read(text: &str, file: &str) -> Result<History, HistoryError> {
    let fail = |line: u64, column: usize, message: String| HistoryError {
        file: file.to_string(),
        line,
        column,
        message,
    };
    let mut reader = ::csv::ReaderBuilder::new()
        .flexible(true)
        .from_reader(text.as_bytes());
    let header = reader
        .headers()
        .map_err(|e| fail(1, 1, format!("cannot read the header: {e}")))?
        .clone();
    let names: Vec<&str> = header.iter().map(str::trim).collect();
    let find = |n: &str| names.iter().position(|h| h.eq_ignore_ascii_case(n));
    let (Some(id_col), Some(name_col), Some(type_col)) = (find("ID"), find("Name"), find("Type"))
    else {
        return Err(fail(
            1,
            1,
            format!(
                "the header must have ID, Link, Name, the workflow columns, then Type, Status, Resolution (found: {})",
                names.join(", ")
            ),
        ));
    };
    if type_col <= name_col + 1 {
        return Err(fail(
            1,
            type_col + 1,
            "no workflow columns between Name and Type: give one column per stage, holding the date each item entered it".into(),
        ));
    }
    let workflow = name_col + 1..type_col;
    let columns: Vec<String> = names[workflow.clone()]
        .iter()
        .map(|s| s.to_string())
        .collect();
    let mut items = Vec::new();
    for record in reader.records() {
        let record = record.map_err(|e| {
            let line = e.position().map_or(0, |p| p.line());
            fail(line, 1, format!("cannot read the row: {e}"))
        })?;
        let line = record.position().map_or(0, |p| p.line());
        if record.iter().all(|f| f.trim().is_empty()) {
            continue;
        }
        let mut entered = Vec::with_capacity(columns.len());
        let mut last: Option<(i64, usize)> = None;
        for c in workflow.clone() {
            let text = record.get(c).unwrap_or("").trim();
            if text.is_empty() {
                entered.push(None);
                continue;
            }
            let d =
                date::parse(text).map_err(|m| fail(line, c + 1, format!("{}: {m}", names[c])))?;
            if let Some((before, bc)) = last {
                if d < before {
                    // The first and last workflow columns are usually created and done.
                    let why = if bc == workflow.start && c + 1 == workflow.end {
                        "the item would be done before it was created"
                    } else {
                        "the workflow dates of an item must not go backwards"
                    };
                    return Err(fail(
                        line,
                        c + 1,
                        format!(
                            "{} ({text}) is before {} ({}): {why}",
                            names[c],
                            names[bc],
                            date::format(before)
                        ),
                    ));
                }
            }
            last = Some((d, c));
            entered.push(Some(d));
        }
        items.push(HistoryItem {
            id: record.get(id_col).unwrap_or("").trim().to_string(),
            kind: record.get(type_col).unwrap_or("").trim().to_string(),
            entered,
            line,
        });
    }
    Ok(History {
        columns,
        first_column: name_col + 2,
        type_column: type_col + 1,
        items,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const OK: &str = "ID,Link,Name,Backlog,Build,Done,Type,Status,Resolution,Blocked Days\n\
                      A-1,,one,2026-01-01,2026-01-02,2026-01-05,feature,Done,Done,0\n\
                      A-2,,\"two, quoted\",2026-01-01,,2026-01-03T09:00,defect,Done,Done,0\n\
                      A-3,,three,2026-01-02,2026-01-04,,feature,Build,,0\n";

    #[test]
    fn reads_workflow_dates_and_done() {
        let h = read(OK, "h.csv").unwrap();
        assert_eq!(h.columns, ["Backlog", "Build", "Done"]);
        assert_eq!(h.items.len(), 3);
        assert_eq!(h.items[1].entered[1], None);
        assert_eq!(
            h.done_days(),
            [
                date::parse("2026-01-05").unwrap(),
                date::parse("2026-01-03").unwrap()
            ]
        );
    }

    #[test]
    fn done_before_created_is_named_and_sizes_are_checked() {
        let e = read(
            "ID,Link,Name,Backlog,Build,Done,Type\nA,,a,2026-01-05,,2026-01-02,x\n",
            "h.csv",
        )
        .unwrap_err();
        assert_eq!((e.line, e.column), (2, 6), "{e}");
        assert!(e.message.contains("done before it was created"), "{e}");
        assert!(check_size("h.csv", MAX_BYTES - 1).is_ok());
        let e = check_size("h.csv", MAX_BYTES).unwrap_err();
        assert_eq!(
            e.to_string().split(':').take(3).collect::<Vec<_>>(),
            ["h.csv", "1", "1"]
        );
    }

    #[test]
    fn bad_rows_name_their_line_and_column() {
        let bad_date = OK.replace("2026-01-04", "4 Jan 2026");
        let e = read(&bad_date, "h.csv").unwrap_err();
        assert_eq!((e.line, e.column), (4, 5), "{e}");
        assert!(e.message.contains("Build"), "{e}");
        let backwards = OK.replace(
            "A-1,,one,2026-01-01,2026-01-02,2026-01-05",
            "A-1,,one,2026-01-01,2026-01-06,2026-01-05",
        );
        let e = read(&backwards, "h.csv").unwrap_err();
        assert_eq!((e.line, e.column), (2, 6), "{e}");
        assert!(e.to_string().starts_with("h.csv:2:6:"), "{e}");
        let e = read("ID,Name\n", "h.csv").unwrap_err();
        assert_eq!(e.line, 1);
    }
}
