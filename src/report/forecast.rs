//! The `forecast` report: When will N items be done, or how many by a date, answered by one
//! method or by two side by side (resampling a history's daily throughput; simulating a
//! scenario), at 50, 70, 85 and 95% likelihood, as a table, JSON or CSV. The chart of the same
//! trials is `chart::forecast`.
//!
//! A method's answer is its trials, sorted: days until N items are done (When), or items done
//! over the days asked (How many). At likelihood q, When is the q-quantile of the days ("done
//! within d days in q of the trials"); How many is the (1 − q)-quantile of the items ("at least
//! n items in q of the trials"). Quantiles are nearest-rank ([`percentile`]).

use crate::history::date;
use serde::Serialize;
use serde_json::{Map, Value};
use std::fmt::Write;

/// The likelihoods every forecast reports.
pub const LEVELS: [f64; 4] = [0.5, 0.7, 0.85, 0.95];

/// The value at or below which a share `q` of the sorted `trials` fall (nearest rank).
pub fn percentile(sorted: &[u64], q: f64) -> u64 {
    crate::history::forecast::percentile(sorted, q)
}

/// What is asked.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Question {
    /// When will this many more items be done?
    When {
        /// Items.
        items: u64,
    },
    /// How many items will be done in this many days?
    HowMany {
        /// Days, from the first forecast day to the date asked, both included.
        days: u64,
    },
}

/// One method's trials and how they were made.
#[derive(Clone, Debug, PartialEq)]
pub struct MethodResult {
    /// `resampling` or `simulation`.
    pub method: &'static str,
    /// One line saying what was resampled or simulated, for the table.
    pub description: String,
    /// The inputs, as JSON fields (file, trials, seed...).
    pub details: Map<String, Value>,
    /// The trials' answers, sorted.
    pub trials: Vec<u64>,
}

/// A forecast by one or more methods.
#[derive(Clone, Debug, PartialEq)]
pub struct ForecastReport {
    /// The question.
    pub question: Question,
    /// The first forecast day (days since 1970-01-01), when dates are known.
    pub from: Option<i64>,
    /// The methods, in the order shown.
    pub methods: Vec<MethodResult>,
}

/// One row of a method's answer.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Percentile {
    /// The likelihood.
    pub probability: f64,
    /// When: done within this many days.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub days: Option<u64>,
    /// When: the date of the last of those days, if the first forecast day is known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub date: Option<String>,
    /// How many: at least this many items.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub items: Option<u64>,
}

/// `n` days in words: "1 day", "2 days".
pub fn in_days(n: u64) -> String {
    super::counted(n, "day", "days")
}

impl ForecastReport {
    /// The question in words.
    pub fn question_text(&self) -> String {
        let from = self
            .from
            .map(|d| format!(", counting from {}", date::format(d)))
            .unwrap_or_default();
        match self.question {
            Question::When { items: 1 } => format!("When will 1 more item be done{from}?"),
            Question::When { items } => format!("When will {items} more items be done{from}?"),
            Question::HowMany { days } => match self.from {
                Some(d) => format!(
                    "How many items will be done from {} to {} ({})?",
                    date::format(d),
                    date::format_or_after(d + days as i64 - 1),
                    in_days(days)
                ),
                None => match days {
                    1 => "How many items will be done in the next day?".to_string(),
                    _ => format!("How many items will be done in the next {days} days?"),
                },
            },
        }
    }

    /// `m`'s answer at each of [`LEVELS`].
    pub fn percentiles(&self, m: &MethodResult) -> Vec<Percentile> {
        LEVELS
            .iter()
            .map(|&q| match self.question {
                Question::When { .. } => {
                    let days = percentile(&m.trials, q);
                    Percentile {
                        probability: q,
                        days: Some(days),
                        // Past 9999-12-31 the answer is in days alone.
                        date: self
                            .from
                            .and_then(|f| date::format_within(f + days as i64 - 1)),
                        items: None,
                    }
                }
                Question::HowMany { .. } => Percentile {
                    probability: q,
                    days: None,
                    date: None,
                    // At likelihood q, at least this many: the (1 − q) quantile.
                    items: Some(percentile(&m.trials, 1.0 - q)),
                },
            })
            .collect()
    }

    fn cell(p: &Percentile) -> String {
        match (p.days, &p.date, p.items) {
            (Some(d), Some(date), _) => format!("{date} ({})", in_days(d)),
            (Some(d), None, _) => format!("within {}", in_days(d)),
            (_, _, Some(n)) => format!("at least {n} items"),
            _ => String::new(),
        }
    }

    /// The table: the question, one line per method, then one row per likelihood with a
    /// column per method.
    pub fn table(&self) -> String {
        let mut o = format!("{}\n", self.question_text());
        let tags = ["(a)", "(b)", "(c)", "(d)"];
        for (m, tag) in self.methods.iter().zip(tags) {
            let _ = writeln!(o, "  {tag} {}: {}", m.method, m.description);
        }
        o.push('\n');
        let rows: Vec<Vec<String>> = self
            .methods
            .iter()
            .map(|m| self.percentiles(m).iter().map(Self::cell).collect())
            .collect();
        let width = |i: usize| {
            rows[i]
                .iter()
                .map(|c| c.chars().count())
                .chain([self.methods[i].method.len() + 4])
                .max()
                .unwrap_or(0)
        };
        let widths: Vec<usize> = (0..rows.len()).map(width).collect();
        let _ = write!(o, "  {:<8}", "likely");
        for (i, (m, tag)) in self.methods.iter().zip(tags).enumerate() {
            let _ = write!(o, "  {:<w$}", format!("{tag} {}", m.method), w = widths[i]);
        }
        o = o.trim_end().to_string();
        o.push('\n');
        for (k, q) in LEVELS.iter().enumerate() {
            let _ = write!(o, "  {:>7.0}%", q * 100.0);
            for (i, r) in rows.iter().enumerate() {
                let _ = write!(o, "  {:<w$}", r[k], w = widths[i]);
            }
            o = o.trim_end().to_string();
            o.push('\n');
        }
        o
    }

    /// The JSON document (docs/output.md, "JSON: forecast").
    pub fn json(&self) -> String {
        let mut doc = Map::new();
        doc.insert("question".into(), self.question_text().into());
        match self.question {
            Question::When { items } => {
                doc.insert("items".into(), items.into());
            }
            Question::HowMany { days } => {
                doc.insert("days".into(), days.into());
                if let Some(f) = self.from {
                    doc.insert(
                        "by".into(),
                        date::format_within(f + days as i64 - 1).map_or(Value::Null, Value::from),
                    );
                }
            }
        }
        doc.insert(
            "from".into(),
            self.from.map_or(Value::Null, |f| date::format(f).into()),
        );
        let methods: Vec<Value> = self
            .methods
            .iter()
            .map(|m| {
                let mut o = Map::new();
                o.insert("method".into(), m.method.into());
                o.insert("description".into(), m.description.clone().into());
                o.extend(m.details.clone());
                o.insert("trials".into(), m.trials.len().into());
                o.insert(
                    "percentiles".into(),
                    serde_json::to_value(self.percentiles(m)).expect("invariant: serializable"),
                );
                Value::Object(o)
            })
            .collect();
        doc.insert("methods".into(), methods.into());
        let mut s =
            serde_json::to_string_pretty(&Value::Object(doc)).expect("invariant: serializable");
        s.push('\n');
        s
    }

    /// The CSV: one row per method and likelihood.
    pub fn csv(&self) -> String {
        let mut o = match self.question {
            Question::When { .. } => String::from("method,probability,days,date\n"),
            Question::HowMany { .. } => String::from("method,probability,items\n"),
        };
        for m in &self.methods {
            for p in self.percentiles(m) {
                match self.question {
                    Question::When { .. } => {
                        let _ = writeln!(
                            o,
                            "{},{},{},{}",
                            m.method,
                            p.probability,
                            p.days.unwrap_or_default(),
                            p.date.unwrap_or_default()
                        );
                    }
                    Question::HowMany { .. } => {
                        let _ = writeln!(
                            o,
                            "{},{},{}",
                            m.method,
                            p.probability,
                            p.items.unwrap_or_default()
                        );
                    }
                }
            }
        }
        o
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn report(question: Question) -> ForecastReport {
        let method = |name: &'static str, trials: Vec<u64>| MethodResult {
            method: name,
            description: format!("{name} of something"),
            details: Map::from_iter([("seed".to_string(), Value::from(1))]),
            trials,
        };
        ForecastReport {
            question,
            from: Some(date::parse("2027-01-01").unwrap()),
            methods: vec![
                method("resampling", (1..=100).collect()),
                method("simulation", vec![20; 10]),
            ],
        }
    }

    /// A date past 9999-12-31 is never written: the answer is in days alone.
    #[test]
    fn no_date_past_the_last_a_history_can_hold() {
        let mut r = report(Question::When { items: 40 });
        r.from = Some(date::MAX_DAY - 60);
        let p = r.percentiles(&r.methods[0]);
        assert_eq!(p[0].date.as_deref(), Some("9999-12-20"), "day 50");
        assert_eq!(p[3].date, None, "day 95");
        assert!(r.table().contains("within 95 days"), "{}", r.table());
        let mut r = report(Question::HowMany { days: 90 });
        r.from = Some(date::MAX_DAY - 60);
        assert!(r
            .question_text()
            .ends_with("to after 9999-12-31 (90 days)?"));
        let json: Value = serde_json::from_str(&r.json()).unwrap();
        assert_eq!(json["by"], Value::Null);
    }

    /// Trials 1..=100: the 50th percentile is 50 days and the 95th 95; the date is the 50th
    /// day counting 2027-01-01 as day 1. How many: at 85%, at least the 15th value.
    #[test]
    fn percentiles_dates_and_formats() {
        let r = report(Question::When { items: 40 });
        let p = r.percentiles(&r.methods[0]);
        assert_eq!(
            p.iter().map(|p| p.days.unwrap()).collect::<Vec<_>>(),
            [50, 70, 85, 95]
        );
        assert_eq!(p[0].date.as_deref(), Some("2027-02-19"));
        let table = r.table();
        assert!(
            table.starts_with("When will 40 more items be done, counting from 2027-01-01?\n"),
            "{table}"
        );
        assert!(table.contains("(b) simulation"), "{table}");
        assert!(table.contains("2027-02-19 (50 days)"), "{table}");
        assert_eq!(
            (in_days(1), in_days(2)),
            ("1 day".to_string(), "2 days".to_string())
        );
        let json: Value = serde_json::from_str(&r.json()).unwrap();
        assert_eq!(json["methods"][1]["percentiles"][3]["days"], 20);
        assert_eq!(json["methods"][0]["trials"], 100);
        assert_eq!(json["from"], "2027-01-01");
        let csv = r.csv();
        assert!(
            csv.starts_with("method,probability,days,date\nresampling,0.5,50,2027-02-19\n"),
            "{csv}"
        );
        assert_eq!(csv.lines().count(), 9);
        let h = report(Question::HowMany { days: 31 });
        let p = h.percentiles(&h.methods[0]);
        assert_eq!(
            p.iter().map(|p| p.items.unwrap()).collect::<Vec<_>>(),
            [50, 30, 15, 5]
        );
        assert!(h
            .question_text()
            .contains("from 2027-01-01 to 2027-01-31 (31 days)"));
        let json: Value = serde_json::from_str(&h.json()).unwrap();
        assert_eq!(json["by"], "2027-01-31");
        assert!(h.csv().contains("simulation,0.95,20\n"));
    }
}
