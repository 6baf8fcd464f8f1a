//! How a history's workflow columns and `Type` values map onto a value stream: which columns
//! are the backlog (when an item arrived), which are stages, which stage is the commitment
//! point, which column is done, and which flow item kind each `Type` is.
//!
//! A [`Mapping`] comes from a small TOML file (`--mapping FILE`) and/or flags; flags win.
//! [`Mapping::resolve`] checks it against the history's columns and gives a [`Workflow`], or
//! a [`HistoryError`] naming the line and column of the bad name (in the mapping file, or the
//! CSV header for a flag). Defaults: the first workflow column is the backlog, the last is
//! done, the columns between are stages, the commitment point is the first stage, and each
//! `Type` is the kind of the same name (with a few tracker synonyms: [`kind_by_name`]).
//!
//! ```toml
//! backlog = ["Ideas", "Backlog"]   # columns before the first stage: when items arrived
//! commitment = "Analysis"          # the stage whose entry commits an item
//! done = "Done"                    # the done column; columns after it are ignored
//! [kinds]                          # Type = kind (feature, defect, debt, risk)
//! Bug = "defect"
//! Chore = "debt"
//! ```

use super::HistoryError;
use crate::model::Kind;
use serde::Deserialize;
use std::collections::BTreeMap;
use toml::Spanned;

/// Where a name in the mapping was written: a line and column of the mapping file, or a flag.
#[derive(Clone, Debug, PartialEq)]
pub enum Origin {
    /// In the mapping file, at this line and column (from 1; columns in characters).
    File {
        /// The mapping file.
        file: String,
        /// Line, from 1.
        line: u64,
        /// Column, from 1.
        column: usize,
    },
    /// On the command line, as this flag.
    Flag(&'static str),
}

/// A name the user wrote, with where.
#[derive(Clone, Debug, PartialEq)]
pub struct Named {
    /// The name.
    pub name: String,
    /// Where it was written.
    pub origin: Origin,
}

/// The user's mapping, before it is checked against a history. Every field is optional.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Mapping {
    /// The backlog columns (default: the first workflow column).
    pub backlog: Option<Vec<Named>>,
    /// The commitment point (default: the first stage).
    pub commitment: Option<Named>,
    /// The done column (default: the last workflow column).
    pub done: Option<Named>,
    /// `Type` value → kind name.
    pub kinds: Vec<(Named, Named)>,
}

/// A mapping checked against a history's workflow columns (indices into them).
#[derive(Clone, Debug, PartialEq)]
pub struct Workflow {
    /// The backlog columns: an item arrived on the first date among them.
    pub backlog: Vec<usize>,
    /// The stage columns, in flow order.
    pub stages: Vec<usize>,
    /// The commitment point, an index into `stages`.
    pub commitment: usize,
    /// The done column.
    pub done: usize,
    /// `Type` values the mapping names (trimmed and lowercased: see [`Workflow::kind_of`]),
    /// with their kinds.
    pub kinds: BTreeMap<String, Kind>,
    /// `Type` values the mapping names that the history does not have (harmless, but worth
    /// a word: a typo looks the same).
    pub unused_types: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawMapping {
    backlog: Option<Vec<Spanned<String>>>,
    commitment: Option<Spanned<String>>,
    done: Option<Spanned<String>>,
    #[serde(default)]
    kinds: BTreeMap<Spanned<String>, Spanned<String>>,
}

/// Line and column (from 1, in characters) of byte `offset` of `text`.
fn line_column(text: &str, offset: usize) -> (u64, usize) {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() as u64 + 1;
    let start = before.rfind('\n').map_or(0, |i| i + 1);
    (line, before[start..].chars().count() + 1)
}

/// The kind a `Type` value names by itself: a kind's own name, or a common tracker synonym
/// (`bug`, `incident` → defect; `tech debt`, `technical debt`, `chore` → debt; `security`,
/// `compliance` → risk), ignoring case; anything else is a feature.
pub fn kind_by_name(t: &str) -> Kind {
    let t = type_key(t);
    Kind::from_name(&t).unwrap_or(match t.as_str() {
        "bug" | "incident" => Kind::Defect,
        "tech debt" | "technical debt" | "chore" => Kind::Debt,
        "security" | "compliance" => Kind::Risk,
        _ => Kind::Feature,
    })
}

impl Mapping {
    /// Reads a mapping file's `text` (`file` names it in errors).
    pub fn parse(text: &str, file: &str) -> Result<Mapping, HistoryError> {
        let raw: RawMapping = toml::from_str(text).map_err(|e| {
            let (line, column) = e
                .span()
                .map_or((1, 1), |s| line_column(text, s.start));
            HistoryError {
                file: file.to_string(),
                line,
                column,
                message: format!(
                    "{} (a mapping has `backlog = [...]`, `commitment`, `done` and a `[kinds]` table)",
                    e.message()
                ),
            }
        })?;
        let named = |s: Spanned<String>| {
            let (line, column) = line_column(text, s.span().start);
            Named {
                name: s.into_inner(),
                origin: Origin::File {
                    file: file.to_string(),
                    line,
                    column,
                },
            }
        };
        Ok(Mapping {
            backlog: raw.backlog.map(|v| v.into_iter().map(named).collect()),
            commitment: raw.commitment.map(named),
            done: raw.done.map(named),
            kinds: raw
                .kinds
                .into_iter()
                .map(|(t, k)| (named(t), named(k)))
                .collect(),
        })
    }

    /// This mapping with every field `flags` sets replaced by the flag's.
    pub fn overridden_by(mut self, flags: Mapping) -> Mapping {
        if flags.backlog.is_some() {
            self.backlog = flags.backlog;
        }
        if flags.commitment.is_some() {
            self.commitment = flags.commitment;
        }
        if flags.done.is_some() {
            self.done = flags.done;
        }
        for (t, k) in flags.kinds {
            self.kinds
                .retain(|(old, _)| type_key(&old.name) != type_key(&t.name));
            self.kinds.push((t, k));
        }
        self
    }

    /// Checks the mapping against the workflow `columns` and the `types` found in `history`
    /// (the CSV file's name, for errors about flags).
    pub fn resolve(
        &self,
        columns: &[String],
        types: &[String],
        history: &str,
    ) -> Result<Workflow, HistoryError> {
        let fail = |n: &Named, message: String| {
            let (file, line, column, message) = match &n.origin {
                Origin::File { file, line, column } => (file.clone(), *line, *column, message),
                Origin::Flag(flag) => (history.to_string(), 1, 1, format!("{flag}: {message}")),
            };
            HistoryError {
                file,
                line,
                column,
                message,
            }
        };
        let valid = columns.join(", ");
        let find = |n: &Named| {
            columns
                .iter()
                .position(|c| super::same_name(c, &n.name))
                .ok_or_else(|| {
                    fail(
                        n,
                        format!(
                            "`{}` is not a workflow column of {history}; valid: {valid}",
                            n.name
                        ),
                    )
                })
        };
        let whole = |message: String| HistoryError {
            file: history.to_string(),
            line: 1,
            column: 1,
            message,
        };
        let done = match &self.done {
            Some(n) => find(n)?,
            None => columns.len().saturating_sub(1),
        };
        let backlog: Vec<usize> = match &self.backlog {
            Some(names) => {
                let mut cols = Vec::new();
                for n in names {
                    let c = find(n)?;
                    if c >= done {
                        return Err(fail(
                            n,
                            format!(
                                "backlog column `{}` is not before done (`{}`)",
                                n.name, columns[done]
                            ),
                        ));
                    }
                    cols.push(c);
                }
                cols.sort_unstable();
                cols.dedup();
                // The backlog is where items wait before the first stage: a prefix.
                if let Some((i, n)) = cols.iter().enumerate().find(|(i, &c)| c != *i) {
                    let name = names
                        .iter()
                        .find(|m| super::same_name(&m.name, &columns[*n]))
                        .unwrap_or(&names[0]);
                    return Err(fail(
                        name,
                        format!(
                            "the backlog columns must be the first workflow columns, before every stage; `{}` follows `{}`, which is not a backlog column",
                            columns[*n],
                            columns[i]
                        ),
                    ));
                }
                cols
            }
            None => vec![0],
        };
        let stages: Vec<usize> = (backlog.len()..done).collect();
        if stages.is_empty() {
            let message = format!(
                "no stage column between the backlog ({}) and done ({}): give one column per stage, holding the date each item entered it",
                backlog
                    .iter()
                    .map(|&c| columns[c].as_str())
                    .collect::<Vec<_>>()
                    .join(", "),
                columns.get(done).map_or("", String::as_str)
            );
            return Err(match (&self.done, &self.backlog) {
                (Some(n), _) => fail(n, message),
                (None, Some(b)) if !b.is_empty() => fail(&b[0], message),
                _ => whole(message),
            });
        }
        let commitment = match &self.commitment {
            Some(n) => {
                let c = find(n)?;
                stages.iter().position(|&s| s == c).ok_or_else(|| {
                    fail(
                        n,
                        format!(
                            "the commitment point `{}` must be a stage column; valid: {}",
                            n.name,
                            stages
                                .iter()
                                .map(|&s| columns[s].as_str())
                                .collect::<Vec<_>>()
                                .join(", ")
                        ),
                    )
                })?
            }
            None => 0,
        };
        let mut kinds: BTreeMap<String, Kind> = BTreeMap::new();
        let mut unused_types = Vec::new();
        for (t, k) in &self.kinds {
            let kind = Kind::from_name(&k.name.trim().to_lowercase()).ok_or_else(|| {
                fail(
                    k,
                    format!(
                        "`{}` is not a kind; valid: feature, defect, debt, risk",
                        k.name
                    ),
                )
            })?;
            let key = type_key(&t.name);
            if let Some(&other) = kinds.get(&key).filter(|&&o| o != kind) {
                return Err(fail(
                    t,
                    format!(
                        "Type `{}` is given kind {} and, under another case or spacing, {}: Types match ignoring case and surrounding spaces, so give it one kind",
                        t.name,
                        kind.name(),
                        other.name()
                    ),
                ));
            }
            if !types.iter().any(|x| type_key(x) == key) {
                unused_types.push(t.name.clone());
            }
            kinds.insert(key, kind);
        }
        Ok(Workflow {
            backlog,
            stages,
            commitment,
            done,
            kinds,
            unused_types,
        })
    }
}

impl Workflow {
    /// The kind of `Type` value `t`: as the mapping says (ignoring case and surrounding
    /// spaces), else by its name.
    pub fn kind_of(&self, t: &str) -> Kind {
        self.kinds
            .get(&type_key(t))
            .copied()
            .unwrap_or_else(|| kind_by_name(t))
    }

    /// True if the mapping gives `Type` value `t` its kind.
    pub fn maps(&self, t: &str) -> bool {
        self.kinds.contains_key(&type_key(t))
    }
}

/// How a `Type` value is matched against the mapping: as a column name is
/// ([`super::name_key`]).
fn type_key(t: &str) -> String {
    super::name_key(t)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cols(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn defaults_first_backlog_last_done_first_stage_commits() {
        let c = cols(&["Backlog", "Build", "Test", "Done"]);
        let w = Mapping::default().resolve(&c, &[], "h.csv").unwrap();
        assert_eq!(
            (w.backlog.clone(), w.stages.clone(), w.commitment, w.done),
            (vec![0], vec![1, 2], 0, 3)
        );
        assert_eq!(w.kind_of("Bug"), Kind::Defect);
        assert_eq!(w.kind_of("Story"), Kind::Feature);
        assert_eq!(w.kind_of("Tech Debt"), Kind::Debt);
    }

    #[test]
    fn types_and_kinds_match_ignoring_case_and_spaces() {
        let c = cols(&["Backlog", "Build", "Done"]);
        let text = "[kinds]\n\" story \" = \"Debt\"\nchore = \"RISK\"\n";
        let m = Mapping::parse(text, "map.toml").unwrap();
        let types: Vec<String> = cols(&["Story", "Chore"]);
        let w = m.resolve(&c, &types, "h.csv").unwrap();
        assert_eq!(w.kind_of("Story"), Kind::Debt);
        assert_eq!(w.kind_of("STORY "), Kind::Debt);
        assert_eq!(w.kind_of("Chore"), Kind::Risk);
        assert!(w.maps("story") && !w.maps("Bug"));
        assert!(w.unused_types.is_empty(), "{:?}", w.unused_types);
        // One Type given two kinds under two spellings: which was meant?
        let e = Mapping::parse("[kinds]\nBug = \"defect\"\nbug = \"risk\"\n", "map.toml")
            .unwrap()
            .resolve(&c, &[], "h.csv")
            .unwrap_err();
        assert!(e.message.contains("ignoring case"), "{e}");
        assert_eq!(e.file, "map.toml", "{e}");
        // The same kind twice is no contradiction.
        let same = Mapping::parse("[kinds]\nBug = \"defect\"\nbug = \"Defect\"\n", "m");
        assert!(same.unwrap().resolve(&c, &[], "h.csv").is_ok());
    }

    #[test]
    fn names_match_in_any_unicode_normal_form_and_case() {
        // "Prüfung" with a combining umlaut (NFD) in the history, precomposed (NFC) and in
        // capitals in the mapping; the same for a Type.
        let nfd = "Pru\u{308}fung";
        let c = cols(&["Backlog", "Bau", nfd, "Done"]);
        let text = "commitment = \"PRÜFUNG\"\n[kinds]\n\"FEHLE\u{308}R\" = \"defect\"\n";
        let w = Mapping::parse(text, "map.toml")
            .unwrap()
            .resolve(&c, &["fehlE\u{308}r".into()], "h.csv")
            .unwrap();
        assert_eq!(
            (w.stages.clone(), w.commitment),
            (vec![1, 2], 1),
            "committed at Prüfung"
        );
        assert_eq!(w.kind_of("Fehlër"), Kind::Defect);
        assert!(w.unused_types.is_empty(), "{:?}", w.unused_types);
        assert!(super::super::same_name(" Prüfung", nfd));
        assert!(!super::super::same_name("Prufung", nfd));
    }

    #[test]
    fn a_mapping_file_locates_its_mistakes() {
        let c = cols(&["Ideas", "Backlog", "Analysis", "Build", "Done", "Archived"]);
        let text = "backlog = [\"Ideas\", \"Backlog\"]\ncommitment = \"Build\"\ndone = \"Done\"\n[kinds]\nBug = \"defect\"\n";
        let m = Mapping::parse(text, "map.toml").unwrap();
        let w = m.resolve(&c, &["Bug".into()], "h.csv").unwrap();
        assert_eq!(
            (w.backlog.clone(), w.stages.clone(), w.commitment, w.done),
            (vec![0, 1], vec![2, 3], 1, 4)
        );
        assert_eq!(w.kind_of("Bug"), Kind::Defect);
        let bad = text.replace("\"Build\"", "\"Deploy\"");
        let e = Mapping::parse(&bad, "map.toml")
            .unwrap()
            .resolve(&c, &[], "h.csv")
            .unwrap_err();
        assert_eq!(
            (e.file.as_str(), e.line, e.column),
            ("map.toml", 2, 14),
            "{e}"
        );
        assert!(
            e.message.contains("`Deploy` is not a workflow column"),
            "{e}"
        );
        let e = Mapping::parse(&text.replace("\"defect\"", "\"bugfix\""), "map.toml")
            .unwrap()
            .resolve(&c, &[], "h.csv")
            .unwrap_err();
        assert_eq!((e.line, e.column), (5, 7), "{e}");
        let e = Mapping::parse("backlog = \"Ideas\"\n", "map.toml").unwrap_err();
        assert_eq!((e.line, e.column), (1, 11), "{e}");
        let e = Mapping::parse("stages = []\n", "map.toml").unwrap_err();
        assert_eq!(e.line, 1, "{e}");
        // The commitment point must be a stage, and the backlog a prefix.
        let e = Mapping::parse(
            "commitment = \"Backlog\"\nbacklog = [\"Ideas\", \"Backlog\"]",
            "m",
        )
        .unwrap()
        .resolve(&c, &[], "h.csv")
        .unwrap_err();
        assert!(e.message.contains("must be a stage column"), "{e}");
        let e = Mapping::parse("backlog = [\"Analysis\"]", "m")
            .unwrap()
            .resolve(&c, &[], "h.csv")
            .unwrap_err();
        assert!(
            e.message.contains("must be the first workflow columns"),
            "{e}"
        );
    }

    #[test]
    fn flags_override_the_file_and_name_the_header() {
        let c = cols(&["Backlog", "Build", "Done"]);
        let file = Mapping::parse("done = \"Build\"", "m").unwrap();
        let flags = Mapping {
            done: Some(Named {
                name: "Done".into(),
                origin: Origin::Flag("--done"),
            }),
            commitment: Some(Named {
                name: "Ship".into(),
                origin: Origin::Flag("--commitment"),
            }),
            ..Mapping::default()
        };
        let e = file
            .overridden_by(flags)
            .resolve(&c, &[], "h.csv")
            .unwrap_err();
        assert_eq!(
            e.to_string(),
            "h.csv:1:1: --commitment: `Ship` is not a workflow column of h.csv; valid: Backlog, Build, Done"
        );
        let e = Mapping::parse("done = \"Build\"", "m")
            .unwrap()
            .resolve(&c, &[], "h.csv")
            .unwrap_err();
        assert!(e.message.contains("no stage column"), "{e}");
    }
}
