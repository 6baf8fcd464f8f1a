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
use unicode_normalization::UnicodeNormalization;

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

/// A file that could not be read whole: an I/O error, or a located problem (too big, not
/// UTF-8).
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    /// The operating system refused.
    #[error("{file}: cannot read: {source}")]
    Io {
        /// The file.
        file: String,
        /// Why.
        source: std::io::Error,
    },
    /// Too big, or not UTF-8.
    #[error(transparent)]
    Invalid(#[from] HistoryError),
}

/// Reads a whole history (or mapping, or backlog) file as text through the size limit: at most
/// [`MAX_BYTES`] bytes are ever read, so a pipe or device (whose size is not known before
/// reading) is refused at the same limit as a regular file, and bytes that are not UTF-8 are
/// refused at their line and column.
pub fn read_limited(source: impl std::io::Read, file: &str) -> Result<String, ReadError> {
    use std::io::Read;
    let mut bytes = Vec::new();
    source
        .take(MAX_BYTES)
        .read_to_end(&mut bytes)
        .map_err(|source| ReadError::Io {
            file: file.to_string(),
            source,
        })?;
    // MAX_BYTES bytes read: the file is at least that big, refused like a regular file.
    if bytes.len() as u64 >= MAX_BYTES {
        return Err(HistoryError {
            file: file.to_string(),
            line: 1,
            column: 1,
            message: format!(
                "the file is {MAX_BYTES} bytes or more; files of {MAX_BYTES} bytes (100 MB) or more are refused: export a shorter window of time"
            ),
        }
        .into());
    }
    String::from_utf8(bytes).map_err(|e| {
        let valid = e.utf8_error().valid_up_to();
        let prefix = std::str::from_utf8(&e.as_bytes()[..valid]).unwrap_or_default();
        let (line, column) = line_and_column(prefix, prefix.len());
        let byte = e.as_bytes()[valid];
        ReadError::Invalid(HistoryError {
            file: file.to_string(),
            line,
            column,
            message: format!(
                "byte 0x{byte:02X} is not UTF-8: the file must be UTF-8 (save it as UTF-8 from your spreadsheet)"
            ),
        })
    })
}

/// The line (from 1) and column (from 1, in characters) of byte `at` of `text`. A line ends
/// at `\n`, `\r\n` or a lone `\r`, as for the CSV reader.
pub fn line_and_column(text: &str, at: usize) -> (u64, usize) {
    let before = &text[..at];
    let mut lines = Lines::new(text);
    let line = lines.line_at(at);
    let start = before.rfind(['\n', '\r']).map_or(0, |i| i + 1);
    (line, before[start..].chars().count() + 1)
}

/// Line numbers of byte offsets met in increasing order, counted incrementally.
struct Lines<'a> {
    bytes: &'a [u8],
    at: usize,
    line: u64,
}

impl<'a> Lines<'a> {
    fn new(text: &'a str) -> Self {
        Lines {
            bytes: text.as_bytes(),
            at: 0,
            line: 1,
        }
    }

    /// The line of byte `at` (from 1).
    fn line_at(&mut self, at: usize) -> u64 {
        if at < self.at {
            self.at = 0;
            self.line = 1;
        }
        for i in self.at..at.min(self.bytes.len()) {
            match self.bytes[i] {
                b'\n' => self.line += 1,
                b'\r' if self.bytes.get(i + 1) != Some(&b'\n') => self.line += 1,
                _ => {}
            }
        }
        self.at = at;
        self.line
    }
}

/// The byte offsets of the fields of the CSV record that starts at byte `at` (quoted fields as
/// RFC 4180; a quote is special only at the start of a field), or `Err` with the offset of a
/// quote that is never closed.
fn fields_at(text: &str, at: usize) -> Result<Vec<usize>, usize> {
    let b = text.as_bytes();
    let mut starts = vec![at];
    let mut i = at;
    loop {
        if b.get(i) == Some(&b'"') {
            let open = i;
            i += 1;
            loop {
                match b[i.min(b.len())..].iter().position(|&c| c == b'"') {
                    None => return Err(open),
                    Some(q) if b.get(i + q + 1) == Some(&b'"') => i += q + 2,
                    Some(q) => {
                        i += q + 1;
                        break;
                    }
                }
            }
        }
        while i < b.len() && !matches!(b[i], b',' | b'\r' | b'\n') {
            i += 1;
        }
        if b.get(i) == Some(&b',') {
            i += 1;
            starts.push(i);
        } else {
            return Ok(starts);
        }
    }
}

/// The first record start at or after byte `at`: the CSV reader skips blank lines.
fn skip_blank_lines(text: &str, at: usize) -> usize {
    at + text[at.min(text.len())..]
        .bytes()
        .take_while(|c| matches!(c, b'\r' | b'\n'))
        .count()
}

/// Why `history export` cannot write a run from a start date.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ExportError {
    /// The last date would be after 9999-12-31, which the format (four-digit years) cannot
    /// hold and [`read`] would refuse.
    #[error(
        "`{start}`: the run spans {days} days (its horizon), so its last dates would be after 9999-12-31, which a history cannot hold; the latest valid start is {latest}"
    )]
    PastYear9999 {
        /// The start date given.
        start: String,
        /// Days from day 0 to the horizon, both included.
        days: i64,
        /// The latest start whose run ends by 9999-12-31.
        latest: String,
    },
    /// A stage named like a column [`export`] writes beside the stages, or like `Type`: read
    /// back, its column would be taken for that one (names are read without regard to case
    /// or surrounding spaces).
    #[error(
        "stage `{stage}` (stages[{index}]) has the name of the history's `{column}` column, so the history would not read back (column names are read without regard to case or surrounding spaces): rename the stage"
    )]
    ReservedName {
        /// The stage's name.
        stage: String,
        /// Its index in the scenario's stages.
        index: usize,
        /// The column it would be taken for: `Backlog`, `Done` or `Type`.
        column: &'static str,
    },
    /// Two stages whose names differ only in case or surrounding spaces: read back, their
    /// columns could not be told apart.
    #[error(
        "stages `{first}` and `{second}` (stages[{first_index}] and stages[{second_index}]) differ only in case or surrounding spaces, so their columns could not be told apart when the history is read back: rename one"
    )]
    SameColumn {
        /// The first stage's name.
        first: String,
        /// Its index.
        first_index: usize,
        /// The second stage's name.
        second: String,
        /// Its index.
        second_index: usize,
    },
}

/// The columns [`export`] writes around the stages, and `Type`, which [`read`] takes as the
/// end of the workflow: no stage may be named like them.
const RESERVED: [&str; 3] = ["Backlog", "Done", "Type"];

/// How a history names a column or a `Type`, for matching: without surrounding spaces, in
/// Unicode normal form C (a tracker may write "Prüfung" with a precomposed or a combining
/// umlaut) and in lower case (Unicode's, so "PRÜFUNG" is "prüfung" too).
pub fn name_key(name: &str) -> String {
    name.trim().nfc().collect::<String>().to_lowercase()
}

/// True if `a` and `b` name the same column or `Type` ([`name_key`]).
pub fn same_name(a: &str, b: &str) -> bool {
    a == b || name_key(a) == name_key(b)
}

/// Checks that the stages of `vs` can be written as workflow columns that [`read`] gives back:
/// no stage named `Backlog`, `Done` or `Type`, and no two stages whose names differ only in
/// case, surrounding spaces or Unicode normal form (the reader matches column names that way:
/// [`name_key`]).
pub fn check_stage_names(vs: &ValueStream) -> Result<(), ExportError> {
    for (index, s) in vs.stages.iter().enumerate() {
        if let Some(column) = RESERVED.into_iter().find(|r| same_name(r, &s.name)) {
            return Err(ExportError::ReservedName {
                stage: s.name.clone(),
                index,
                column,
            });
        }
        if let Some(first_index) = vs.stages[..index]
            .iter()
            .position(|o| same_name(&o.name, &s.name))
        {
            return Err(ExportError::SameColumn {
                first: vs.stages[first_index].name.clone(),
                first_index,
                second: s.name.clone(),
                second_index: index,
            });
        }
    }
    Ok(())
}

/// Checks that every date of a run of `vs` from day `start` fits in a history: the last is at
/// most 9999-12-31.
pub fn check_start(vs: &ValueStream, start: i64) -> Result<(), ExportError> {
    let last = vs.horizon.max(0.0).floor() as i64;
    if start.saturating_add(last) > date::MAX_DAY {
        return Err(ExportError::PastYear9999 {
            start: date::format(start),
            days: last + 1,
            latest: date::format(date::MAX_DAY - last),
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
/// the simulation does not flag items as blocked the way a tracker does. Check the stages
/// with [`check_stage_names`] first: a stage named like one of these columns would not read
/// back.
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
    /// The header's line in the file (1 unless blank lines come before it).
    pub header_line: u64,
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

    /// An error in `file` at the header cell of workflow column `c` (from 0).
    pub fn header_error(&self, file: &str, c: usize, message: String) -> HistoryError {
        HistoryError {
            file: file.to_string(),
            line: self.header_line,
            column: self.first_column + c,
            message,
        }
    }

    /// The latest date of any kind (the day the history was taken), with the line and the
    /// file's column (from 1) of the first cell that holds it.
    pub fn last_date(&self) -> Option<(i64, u64, usize)> {
        let mut last: Option<(i64, u64, usize)> = None;
        for it in &self.items {
            for (c, d) in it.entered.iter().enumerate() {
                if let Some(d) = *d {
                    if last.is_none_or(|(l, _, _)| d > l) {
                        last = Some((d, it.line, self.first_column + c));
                    }
                }
            }
        }
        last
    }
}

/// The columns a cycle-data header must have, in this order.
const REQUIRED: [&str; 3] = ["ID", "Name", "Type"];

/// Reads a cycle-data CSV from `text` (`file` names it in errors). Every problem names its
/// line (as a text editor counts them, blank lines and `\r\n` included) and column (the
/// field's number, from 1): a missing or misplaced column, a quote that is never closed, a row
/// with too few or too many cells, an ID seen before, a date that does not parse, or dates
/// that go backwards along the workflow.
pub fn read(text: &str, file: &str) -> Result<History, HistoryError> {
    let fail = |line: u64, column: usize, message: String| HistoryError {
        file: file.to_string(),
        line,
        column,
        message,
    };
    let mut lines = Lines::new(text);
    let unclosed = |lines: &mut Lines, open: usize, fields: usize| {
        let line = lines.line_at(open);
        fail(
            line,
            fields,
            format!(
                "the quote that opens this cell (character {}) is never closed: close it with `\"`, and write a quote inside a quoted cell as `\"\"`",
                line_and_column(text, open).1
            ),
        )
    };
    let mut reader = ::csv::ReaderBuilder::new()
        .flexible(true)
        .from_reader(text.as_bytes());
    let header = reader
        .headers()
        .map_err(|e| fail(1, 1, format!("cannot read the header: {e}")))?
        .clone();
    let header_start = skip_blank_lines(text, 0);
    // A file of blank lines has no header line: its problem is on line 1.
    let header_line = if header_start >= text.len() {
        1
    } else {
        lines.line_at(header_start)
    };
    if let Err(open) = fields_at(text, header_start) {
        let n = fields_at(&text[..open], header_start).map_or(1, |f| f.len());
        return Err(unclosed(&mut lines, open, n));
    }
    let names: Vec<&str> = header.iter().map(str::trim).collect();
    let find = |n: &str| names.iter().position(|h| same_name(h, n));
    let missing: Vec<&str> = REQUIRED.into_iter().filter(|n| find(n).is_none()).collect();
    if !missing.is_empty() {
        return Err(fail(
            header_line,
            1,
            format!(
                "the header lacks {}: the required columns are ID, Name and Type, in that order, with the workflow columns between Name and Type (Link, Status, Resolution and other columns are optional); found: {}",
                missing.join(", "),
                names.join(", ")
            ),
        ));
    }
    let [id_col, name_col, type_col] = REQUIRED.map(|n| find(n).unwrap_or_default());
    for (a, ac, b, bc) in [
        ("ID", id_col, "Name", name_col),
        ("Name", name_col, "Type", type_col),
    ] {
        if bc < ac {
            return Err(fail(
                header_line,
                bc + 1,
                format!(
                    "`{b}` (column {}) comes before `{a}` (column {}): the required columns are ID, Name and Type, in that order, with the workflow columns between Name and Type",
                    bc + 1,
                    ac + 1
                ),
            ));
        }
    }
    if type_col <= name_col + 1 {
        return Err(fail(
            header_line,
            type_col + 1,
            "no workflow columns between Name and Type: give one column per stage, holding the date each item entered it".into(),
        ));
    }
    let workflow = name_col + 1..type_col;
    if let Some(link) = find("Link").filter(|c| workflow.contains(c)) {
        return Err(fail(
            header_line,
            link + 1,
            "`Link` is between Name and Type, where the workflow columns are: put it before Name"
                .into(),
        ));
    }
    // A stage is named by its column: two columns of one name could not be told apart by a
    // mapping or `--commitment`.
    for c in workflow.clone() {
        if let Some(first) = workflow
            .clone()
            .take_while(|&e| e < c)
            .find(|&e| same_name(names[e], names[c]))
        {
            return Err(fail(
                header_line,
                c + 1,
                format!(
                    "the workflow column `{}` is also column {}: give each stage's column its own name",
                    names[c],
                    first + 1
                ),
            ));
        }
    }
    let columns: Vec<String> = names[workflow.clone()]
        .iter()
        .map(|s| s.to_string())
        .collect();
    let mut items = Vec::new();
    let mut seen: std::collections::HashMap<String, u64> = std::collections::HashMap::new();
    for record in reader.records() {
        let record = record.map_err(|e| {
            let at = e.position().map_or(0, |p| p.byte() as usize);
            fail(
                lines.line_at(skip_blank_lines(text, at)),
                1,
                format!("cannot read the row: {e}"),
            )
        })?;
        let start = skip_blank_lines(text, record.position().map_or(0, |p| p.byte() as usize));
        let fields = match fields_at(text, start) {
            Ok(f) => f,
            Err(open) => {
                let n = fields_at(&text[..open], start).map_or(1, |f| f.len());
                return Err(unclosed(&mut lines, open, n));
            }
        };
        let line = lines.line_at(start);
        if record.iter().all(|f| f.trim().is_empty()) {
            continue;
        }
        // A row may stop after Type: some spreadsheets drop the empty cells at the end of a
        // row, and nothing after Type is required. A row that stops earlier is cut short.
        if record.len() <= type_col || record.len() > names.len() {
            let (column, what) = if record.len() <= type_col {
                (
                    record.len() + 1,
                    "too few: is it cut short? (a row may leave out the cells after Type, no others)",
                )
            } else {
                (
                    names.len() + 1,
                    "too many: is a comma inside a cell that is not quoted?",
                )
            };
            return Err(fail(
                line,
                column,
                format!(
                    "the row has {} cells and the header {}: {what} (every row has one cell per header column; an empty cell is nothing between two commas)",
                    record.len(),
                    names.len()
                ),
            ));
        }
        // The line of cell `c`: a quoted cell may span lines.
        let mut cell_line = |c: usize| fields.get(c).map_or(line, |&at| lines.line_at(at));
        let id = record.get(id_col).unwrap_or("").trim().to_string();
        if !id.is_empty() {
            if let Some(first) = seen.get(&id) {
                return Err(fail(
                    cell_line(id_col),
                    id_col + 1,
                    format!("ID `{id}` is already the item of line {first}: each item is one row"),
                ));
            }
            seen.insert(id.clone(), line);
        }
        let mut entered = Vec::with_capacity(columns.len());
        let mut last: Option<(i64, usize)> = None;
        for c in workflow.clone() {
            let text = record.get(c).unwrap_or("").trim();
            if text.is_empty() {
                entered.push(None);
                continue;
            }
            let d = date::parse(text)
                .map_err(|m| fail(cell_line(c), c + 1, format!("{}: {m}", names[c])))?;
            if let Some((before, bc)) = last {
                if d < before {
                    // The first and last workflow columns are usually created and done.
                    let why = if bc == workflow.start && c + 1 == workflow.end {
                        "the item would be done before it was created"
                    } else {
                        "the workflow dates of an item must not go backwards"
                    };
                    return Err(fail(
                        cell_line(c),
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
            id,
            kind: record.get(type_col).unwrap_or("").trim().to_string(),
            entered,
            line,
        });
    }
    Ok(History {
        columns,
        first_column: name_col + 2,
        type_column: type_col + 1,
        header_line,
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

    const HEAD: &str = "ID,Link,Name,Backlog,Build,Done,Type";

    fn at(text: &str) -> (u64, usize, String) {
        let e = read(text, "h.csv").unwrap_err();
        (e.line, e.column, e.message)
    }

    #[test]
    fn lines_count_crlf_and_blank_lines() {
        let crlf = format!("{HEAD}\r\nA,,a,2026-01-01,2026-01-02,2026-01-05,feature\r\nB,,b,2026-01-01,bad,2026-01-05,feature\r\n");
        let (l, c, _) = at(&crlf);
        assert_eq!((l, c), (3, 5));
        let (l, c, _) = at(&format!(
            "{HEAD}\n\n\nB,,b,2026-01-01,bad,2026-01-05,feature\n"
        ));
        assert_eq!((l, c), (4, 5));
        let (l, c, _) = at(&format!(
            "\r\n{HEAD}\r\n\r\nB,,b,2026-01-01,,bad,feature\r\n"
        ));
        assert_eq!((l, c), (4, 6));
        // A quoted name over two lines: the date after it is on the second.
        let (l, c, _) = at(&format!("{HEAD}\nB,,\"two\nlines\",2026-01-01,bad,,x\n"));
        assert_eq!((l, c), (3, 5));
        let h = read(&format!("{HEAD}\r\n\r\nA,,a,2026-01-01,,,x\r\n"), "h.csv").unwrap();
        assert_eq!(h.items[0].line, 3);
    }

    #[test]
    fn malformed_csv_and_headers_say_what_is_wrong() {
        let (l, c, m) = at(&format!(
            "{HEAD}\nA,,a,2026-01-01,,,x\nB,,\"unterminated,2026-01-01,,,x\nC,,c,2026-01-01,,,x\n"
        ));
        assert_eq!((l, c), (3, 3), "{m}");
        assert!(m.contains("never closed"), "{m}");
        let (l, c, m) = at("ID,Link,Name,Backlog,Done,Status\n");
        assert_eq!((l, c), (1, 1));
        assert!(
            m.contains("lacks Type") && m.contains("ID, Name and Type"),
            "{m}"
        );
        assert!(!m.contains("must have ID, Link"), "{m}");
        let (l, c, m) = at("Name,ID,Link,Backlog,Done,Type\na,A,,2026-01-01,,x\n");
        assert_eq!((l, c), (1, 1), "{m}");
        assert!(
            m.contains("`Name` (column 1) comes before `ID` (column 2)"),
            "{m}"
        );
        assert!(m.contains("in that order"), "{m}");
    }

    #[test]
    fn a_file_of_blank_lines_is_refused_on_line_1() {
        for text in ["", "\n", "\n\n"] {
            let e = read(text, "h.csv").unwrap_err();
            assert_eq!((e.line, e.column), (1, 1), "{text:?}: {e}");
            assert!(e.message.contains("the header lacks ID"), "{e}");
        }
    }

    #[test]
    fn rows_of_the_wrong_width_and_duplicate_ids_are_refused() {
        let (l, c, m) = at(&format!(
            "{HEAD}\nA,,a,2026-01-01,2026-01-02,2026-01-05,x\nB,,b,2026-01-01,2026-01-02\n"
        ));
        assert_eq!((l, c), (3, 6), "{m}");
        assert!(m.contains("5 cells and the header 7"), "{m}");
        let (l, c, m) = at(&format!(
            "{HEAD}\nA,,a,2026-01-01,2026-01-02,2026-01-05,x,extra\n"
        ));
        assert_eq!((l, c), (2, 8), "{m}");
        assert!(m.contains("8 cells and the header 7"), "{m}");
        // Only the cells after Type may be left out.
        let h = read(
            "ID,Name,Build,Done,Type,Status,Resolution\nA,a,2026-01-01,2026-01-02,x\nB,b,2026-01-01,,x,Open\n",
            "h.csv",
        )
        .unwrap();
        assert_eq!(h.items.len(), 2);
        let e = read(
            "ID,Name,Build,Done,Type,Status\nA,a,2026-01-01,2026-01-02\n",
            "h.csv",
        )
        .unwrap_err();
        assert_eq!((e.line, e.column), (2, 5), "{e}");
        let (l, c, m) = at(&format!(
            "{HEAD}\nA,,a,2026-01-01,,,x\n\nB,,b,2026-01-01,,,x\nA,,c,2026-01-01,,,x\n"
        ));
        assert_eq!((l, c), (5, 1), "{m}");
        assert!(m.contains("ID `A` is already the item of line 2"), "{m}");
    }

    #[test]
    fn reading_is_limited_and_utf8_is_located() {
        let e = read_limited(std::io::repeat(b'a'), "pipe").unwrap_err();
        assert!(
            e.to_string()
                .starts_with("pipe:1:1: the file is 100000000 bytes or more"),
            "{e}"
        );
        let text = read_limited(&b"ID,Name\n\xc3\xa9t\xc3\xa9"[..], "ok.csv").unwrap();
        assert_eq!(text, "ID,Name\n\u{e9}t\u{e9}");
        let e =
            read_limited(&b"ID,Name\r\nA,Caf\xc3\xa9 cr\xe8me\n"[..], "latin1.csv").unwrap_err();
        assert!(
            e.to_string().starts_with("latin1.csv:2:10: byte 0xE8 is not UTF-8: the file must be UTF-8 (save it as UTF-8 from your spreadsheet)"),
            "{e}"
        );
    }

    #[test]
    fn a_start_too_late_for_four_digit_years_is_refused() {
        let sc = crate::scenario::parse(
            include_str!("../../tests/fixtures/roundtrip.toml"),
            crate::scenario::Format::Toml,
            "roundtrip.toml",
        )
        .unwrap();
        let h = sc.stream.horizon.floor() as i64;
        assert!(check_start(&sc.stream, date::MAX_DAY - h).is_ok());
        let e = check_start(&sc.stream, date::MAX_DAY - h + 1).unwrap_err();
        let latest = date::format(date::MAX_DAY - h);
        assert!(
            e.to_string().contains(&format!("spans {} days", h + 1)),
            "{e}"
        );
        assert!(
            e.to_string()
                .contains(&format!("latest valid start is {latest}")),
            "{e}"
        );
    }

    #[test]
    fn stage_names_that_would_not_read_back_are_refused_before_export() {
        let with_stages = |names: &[&str]| {
            let stages: String = names
                .iter()
                .map(|n| {
                    format!(
                        "[[stages]]\nname = {n:?}\nservice = {{ dist = \"fixed\", value = 1.0 }}\n"
                    )
                })
                .collect();
            crate::scenario::parse(
                &format!("name = \"t\"\nhorizon = 50.0\n[[work]]\nname = \"w\"\narrival_rate = 0.5\n{stages}"),
                crate::scenario::Format::Toml,
                "t.toml",
            )
            .unwrap()
            .stream
        };
        for (names, expected) in [
            (vec!["Build", "Done"], "stage `Done` (stages[1])"),
            (vec!["DONE"], "the history's `Done` column"),
            (vec![" backlog", "Build"], "the history's `Backlog` column"),
            (vec!["Build", "tYpE "], "the history's `Type` column"),
            (
                vec!["Build", "Test", " build"],
                "stages `Build` and ` build` (stages[0] and stages[2])",
            ),
        ] {
            let e = check_stage_names(&with_stages(&names)).unwrap_err();
            assert!(e.to_string().contains(expected), "{names:?}: {e}");
        }
        // Every name export accepts reads back as the stage's column.
        let vs = with_stages(&["ID", "Name", "Link", "Status", "Done it", "Ünï"]);
        check_stage_names(&vs).unwrap();
        let trace = Trace::default();
        let h = read(&export(&vs, &trace, 0, ""), "h.csv").unwrap();
        assert_eq!(
            h.columns,
            ["Backlog", "ID", "Name", "Link", "Status", "Done it", "Ünï", "Done"]
        );
    }

    #[test]
    fn the_last_date_and_header_cells_are_located() {
        let h = read(
            &format!("\n{HEAD}\nA,,a,2026-01-01,2026-01-02,2026-01-05,x\nB,,b,2026-01-02,,2026-01-09,x\n"),
            "h.csv",
        )
        .unwrap();
        assert_eq!(h.header_line, 2);
        assert_eq!(
            h.last_date(),
            Some((date::parse("2026-01-09").unwrap(), 4, 6))
        );
        let e = h.header_error("h.csv", 2, "done".into());
        assert_eq!(e.to_string(), "h.csv:2:6: done");
    }
}
