//! `--set PATH=VALUE`: changing a scenario key from the command line, without editing the file.
//!
//! A path names a key by its dotted path in the file (`horizon`, `debt.per_feature`). Arrays of
//! tables (`stages`, `work`, `epics`, `policies`, `objectives`) are addressed by the `name` of
//! their element (`stages.build.workers`), or by its position from 0 (`stages.1.workers`, a
//! name first; `stages[1].workers`, the position only). A name holding a dot is quoted
//! (`stages."code.review".workers`).
//! The value is written as in TOML (`4`, `0.6`, `"cd3"`, `[1, 2]`, `{ dist = "exponential",
//! mean = 2 }`); a bare word is a string (`policy=cd3`), and `none` removes the key (back to its
//! default, e.g. no WIP limit).
//!
//! Settings are applied to the document before it is read, so a set value goes through exactly
//! the checks a value in the file does; a problem with it names the `--set` argument.

use serde_json::{Map, Value};

/// One `--set PATH=VALUE` argument.
#[derive(Clone, Debug, PartialEq)]
pub struct Setting {
    /// The argument as written (for messages).
    pub text: String,
    /// What gave it, for messages: `--set`, a run flag (`--horizon`), `--vary` for a sweep's
    /// point, `[sweep] vary` for a point of the sweep the file declares.
    pub flag: &'static str,
    /// For a point of the sweep the scenario file declares: the index `i` of its axis in the
    /// file's `[sweep] vary`. A problem with the setting is then the file's, located at
    /// `sweep.vary[i]`, not the command line's.
    pub declared: Option<usize>,
    /// For a point of an axis given on the command line (`--vary stages.build.workers=1..4`):
    /// the axis as written, which a problem with the point quotes whole, as one with a point of
    /// the file's `[sweep] vary` quotes its entry ([`Setting::of_entry`]).
    pub entry: Option<String>,
    /// The dotted path, split.
    pub path: Vec<String>,
    /// The new value; `None` removes the key.
    pub value: Option<Value>,
}

impl Setting {
    /// Parses `PATH=VALUE`.
    pub fn parse(arg: &str) -> Result<Setting, String> {
        let Some((path, value)) = arg.split_once('=') else {
            return Err(format!(
                "`{arg}` is not PATH=VALUE (e.g. stages.build.workers=4)"
            ));
        };
        let Some(segments) = path_segments(path.trim()) else {
            return Err(format!(
                "`{arg}`: the path must be keys separated by dots (e.g. stages.build.workers, or objectives[0].name as error messages write it)"
            ));
        };
        Ok(Setting {
            text: arg.to_string(),
            flag: "--set",
            declared: None,
            entry: None,
            path: segments,
            value: parse_value(value.trim()).map_err(|e| format!("`{arg}`: {e}"))?,
        })
    }

    /// A setting of `path` to `value` (used by sweeps, whose values come from a range).
    pub fn new(path: &[String], value: Option<Value>) -> Setting {
        let shown = value.as_ref().map_or("none".to_string(), show);
        Setting {
            text: format!("{}={shown}", path_text(path)),
            flag: "--set",
            declared: None,
            entry: None,
            path: path.to_vec(),
            value,
        }
    }

    /// A run flag's value set before the scenario is read (`--horizon 400`), so that what
    /// validation derives from the key (the events a replication may handle) sees it.
    pub fn from_flag(flag: &'static str, key: &str, value: Value) -> Setting {
        Setting {
            text: show(&value),
            flag,
            declared: None,
            entry: None,
            path: vec![key.to_string()],
            value: Some(value),
        }
    }

    /// True for a run flag's value ([`Setting::from_flag`]), not a sweep's or a curve's point.
    pub fn is_run_flag(&self) -> bool {
        self.declared.is_none()
            && !matches!(self.flag, "--set" | "--vary" | "--curve")
            && self.flag.starts_with("--")
    }

    /// True for a setting the user gave (`--set` or a run flag), false for one a command
    /// derives: a sweep's point (`--vary`, a curve, the file's `[sweep]`) or advise's move.
    pub fn is_given(&self) -> bool {
        self.declared.is_none() && (self.flag == "--set" || self.is_run_flag())
    }

    /// The setting, named in messages as given by `flag` (`--vary`) rather than `--set`.
    pub fn given_by(self, flag: &'static str) -> Setting {
        Setting { flag, ..self }
    }

    /// The setting as a point of the axis the scenario file declares at `sweep.vary[i]`:
    /// messages locate it there, in the file.
    pub fn declared_at(self, i: usize) -> Setting {
        Setting {
            flag: "[sweep] vary",
            declared: Some(i),
            ..self
        }
    }

    /// The setting as a point of the axis written `entry` on the command line
    /// (`stages.build.workers=1..4`): a problem with it quotes the entry, all its values.
    pub fn of_entry(self, entry: &str) -> Setting {
        Setting {
            entry: Some(entry.to_string()),
            ..self
        }
    }

    /// How a problem with it names it: as [`Setting::label`] does, but a point of an axis
    /// given on the command line by the axis as written (`--vary stages.build.workers=1..4`),
    /// not the one value it was found with.
    pub fn quoted(&self) -> String {
        match (&self.entry, self.declared) {
            (Some(entry), None) => format!("{} {entry}", self.flag),
            _ => self.label(),
        }
    }

    /// The index of the file's `[sweep] vary` entry that gave it, if any.
    pub fn declared_index(&self) -> Option<usize> {
        self.declared
    }

    /// The key of the file's `[sweep] vary` entry that gave it (`sweep.vary[0]`), if any.
    pub fn declared_key(&self) -> Option<String> {
        self.declared.map(|i| format!("sweep.vary[{i}]"))
    }

    /// How messages name it: `--set stages.build.workers=4`, or `sweep.vary[0]
    /// stages.build.workers=4` for a point of the sweep the file declares.
    pub fn label(&self) -> String {
        match self.declared_key() {
            Some(key) => format!("{key} {}", self.text),
            None => format!("{} {}", self.flag, self.text),
        }
    }
}

/// A value as a user would write it: numbers and words bare, other values as JSON.
pub fn show(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// Marks a path segment that is a position only (written `[i]`).
const POSITION: char = '\u{E000}';
/// Marks a path segment that is a name only (written quoted, or built by the program for an
/// element's name): never `*`, never a position.
const LITERAL: char = '\u{E001}';

/// The keys of a path, `stages.build.workers` or `objectives[0].key_results[1]` (the form
/// error messages print); `None` if a key is empty, a bracket is not closed or a quote not
/// ended. `[i]` is the element at position i only, where `.i` is the element named `i`, or
/// else the one at position i. A quoted key is a name only, whatever it holds:
/// `stages."code.review".workers` (`\"` and `\\` inside the quotes for `"` and `\`).
fn path_segments(path: &str) -> Option<Vec<String>> {
    let mut out = Vec::new();
    let mut rest = path.trim();
    loop {
        // One key: quoted, or up to the next dot or bracket.
        if let Some(quoted) = rest.strip_prefix('"') {
            let mut name = String::new();
            let mut chars = quoted.char_indices();
            let end = loop {
                match chars.next()? {
                    (i, '"') => break i,
                    (_, '\\') => name.push(chars.next()?.1),
                    (_, c) => name.push(c),
                }
            };
            if name.is_empty() {
                return None;
            }
            out.push(format!("{LITERAL}{name}"));
            rest = quoted[end + 1..].trim_start();
        } else {
            let end = rest.find(['.', '[']).unwrap_or(rest.len());
            let head = rest[..end].trim();
            // A key may be left out only before a bracket (`stages[1]`, `a.b[0][1]`).
            if head.is_empty() && (!rest.starts_with('[') || out.is_empty()) {
                return None;
            }
            if !head.is_empty() {
                out.push(head.to_string());
            }
            rest = &rest[end..];
        }
        while let Some(inner) = rest.strip_prefix('[') {
            let close = inner.find(']')?;
            let index = inner[..close].trim();
            if index.is_empty() {
                return None;
            }
            out.push(format!("{POSITION}{index}"));
            rest = inner[close + 1..].trim_start();
        }
        if rest.is_empty() {
            return (!out.is_empty()).then_some(out);
        }
        rest = rest.strip_prefix('.')?.trim_start();
    }
}

/// A segment's name or position, without its mark; whether it is a position only, and whether
/// a name only.
fn unmarked(part: &str) -> (&str, bool, bool) {
    if let Some(p) = part.strip_prefix(POSITION) {
        (p, true, false)
    } else if let Some(n) = part.strip_prefix(LITERAL) {
        (n, false, true)
    } else {
        (part, false, false)
    }
}

/// A name as a path writes it: bare, or quoted where it would be read as something else (a
/// dot, a bracket, a quote, `=`, `,`, a space, `*`, a leading or trailing space, nothing).
fn name_text(name: &str) -> String {
    let misread = name.is_empty()
        || name == "*"
        || name.starts_with('"')
        || name.trim() != name
        || name.contains(['.', '[', ']', '=', ',', ' ', POSITION, LITERAL]);
    if misread {
        format!("\"{}\"", name.replace('\\', "\\\\").replace('"', "\\\""))
    } else {
        name.to_string()
    }
}

/// A path as the user writes it: keys joined by dots, a position in brackets (`[1]`), and a
/// name that would be read as something else quoted.
pub fn path_text(path: &[String]) -> String {
    let mut out = String::new();
    for (i, part) in path.iter().enumerate() {
        let (text, position, literal) = unmarked(part);
        if position {
            out.push_str(&format!("[{text}]"));
            continue;
        }
        if i > 0 {
            out.push('.');
        }
        // A bare `*` is every element; a name `*` is quoted.
        if text == "*" && !literal {
            out.push('*');
        } else {
            out.push_str(&name_text(text));
        }
    }
    out
}

/// Reads a value written as in TOML; a bare word is a string, `none` removes the key.
pub fn parse_value(text: &str) -> Result<Option<Value>, String> {
    if text.is_empty() {
        return Err("the value is empty; write `none` to remove the key".into());
    }
    if text == "none" {
        return Ok(None);
    }
    match toml::from_str::<toml::Table>(&format!("v = {text}")) {
        Ok(mut t) => {
            let v = t.remove("v").expect("invariant: the table has the key just written");
            // JSON has no NaN or infinity: converted, they would become `null` and remove the
            // key without a word.
            if !finite(&v) {
                return Err(format!(
                    "`{text}` is not a finite number; scenario values are finite (write `none` to remove the key)"
                ));
            }
            serde_json::to_value(v)
                .map(Some)
                .map_err(|_| format!("`{text}` is not a finite value"))
        }
        // TOML's integers are those of an `i64`; a key (`seed`) may take a larger one.
        Err(_) => match whole_number(text) {
            Some(n) => Ok(Some(n)),
            // A number too large for a float (1e400) is not text.
            None if text.parse::<f64>().is_ok_and(|x| !x.is_finite()) => Err(format!(
                "`{text}` is not a finite number: it is beyond the largest number a scenario value can hold (about 1.8e308)"
            )),
            None if is_word(text) => Ok(Some(Value::String(text.to_string()))),
            None => Err(format!(
                "cannot read `{text}` as a value; write numbers bare (4, 0.6), text bare or quoted (cd3, \"cd3\"), lists in brackets ([1, 2]) and tables in braces ({{ dist = \"fixed\", value = 1 }})"
            )),
        },
    }
}

/// A whole number written as TOML writes one (`18446744073709551615`, `+1_000`) that TOML's
/// `i64` does not hold: as an integer up to `u64::MAX`, else as the nearest float, as a JSON
/// file's reader takes it, so that the key's check says it is too large rather than text.
fn whole_number(text: &str) -> Option<Value> {
    let digits = text.strip_prefix(['+', '-']).unwrap_or(text);
    let well_formed = digits.starts_with(|c: char| c.is_ascii_digit())
        && digits.ends_with(|c: char| c.is_ascii_digit())
        && !digits.contains("__")
        && digits.chars().all(|c| c.is_ascii_digit() || c == '_')
        && !(digits.len() > 1 && digits.starts_with('0'));
    if !well_formed {
        return None;
    }
    let plain: String = text.chars().filter(|&c| c != '_').collect();
    let unsigned = plain.strip_prefix('+').unwrap_or(&plain);
    match unsigned.parse::<u64>() {
        Ok(n) => Some(Value::from(n)),
        Err(_) => plain.parse::<f64>().ok().map(Value::from),
    }
}

/// The scenario's lists of tables, whose elements a path picks by name or position.
const LISTS_OF_TABLES: [&str; 5] = ["stages", "work", "epics", "policies", "objectives"];

/// True if no float in `v` is NaN or infinite.
fn finite(v: &toml::Value) -> bool {
    match v {
        toml::Value::Float(x) => x.is_finite(),
        toml::Value::Array(items) => items.iter().all(finite),
        toml::Value::Table(t) => t.values().all(finite),
        _ => true,
    }
}

fn is_word(s: &str) -> bool {
    s.chars()
        .all(|c| c.is_alphanumeric() || matches!(c, '-' | '_' | '.' | '/' | ':' | '+'))
}

/// Applies `setting` to the document; returns the key it changed as validation names it
/// (`stages[1].workers`), to tell the user's file from the setting in messages.
///
/// A `*` in place of an element's name sets the key in every element of that list
/// (`epics.*.feedback_delay=28`); it returns every key it changed.
pub fn apply(doc: &mut Value, setting: &Setting) -> Result<Vec<String>, String> {
    let mut keys = Vec::new();
    apply_from(doc, setting, 0, String::new(), &mut keys)?;
    Ok(keys)
}

/// [`apply`] from `setting.path[start..]`, inside the element whose key so far is `key`.
fn apply_from(
    doc: &mut Value,
    setting: &Setting,
    start: usize,
    mut key: String,
    keys: &mut Vec<String>,
) -> Result<(), String> {
    let mut here = doc;
    let last = setting.path.len() - 1;
    for (depth, segment) in setting.path.iter().enumerate().skip(start) {
        let so_far = path_text(&setting.path[..depth]);
        // `*` is every element only as written bare; a quoted "*" is a name.
        let every = segment == "*";
        let (name, position, _) = unmarked(segment);
        let part = &name_text(name);
        match here {
            Value::Array(items) if every => {
                if depth == last {
                    return Err(format!(
                        "`{}` names whole elements of `{so_far}`; name one of their keys (e.g. {so_far}.*.name)",
                        path_text(&setting.path)
                    ));
                }
                if items.is_empty() {
                    return Err(format!(
                        "`{}`: `{so_far}` has no elements for `*` to set",
                        path_text(&setting.path)
                    ));
                }
                for (i, item) in items.iter_mut().enumerate() {
                    apply_from(item, setting, depth + 1, format!("{key}[{i}]"), keys)?;
                }
                return Ok(());
            }
            Value::Array(items) => {
                let i = element(items, segment, &so_far)?;
                key.push_str(&format!("[{i}]"));
                if depth == last {
                    // A list of tables is changed key by key; a list of values (names, key
                    // results) is set whole.
                    return Err(if items[i].is_object() {
                        format!(
                            "`{}` names a whole element of `{so_far}`; name one of its keys (e.g. {}.name)",
                            path_text(&setting.path),
                            path_text(&setting.path[..=depth])
                        )
                    } else {
                        format!(
                            "`{}` names one item of `{so_far}`, a list of values, which is set whole: e.g. --set '{so_far}=[...]' with every item",
                            path_text(&setting.path)
                        )
                    });
                }
                here = &mut items[i];
            }
            Value::Object(map) => {
                if position {
                    let what = if so_far.is_empty() {
                        "the scenario".to_string()
                    } else {
                        format!("`{so_far}`")
                    };
                    return Err(format!(
                        "`{}`: {what} is a table, not a list: `[{name}]` is a position in a list",
                        path_text(&setting.path)
                    ));
                }
                if every {
                    let what = if so_far.is_empty() {
                        "the scenario".to_string()
                    } else {
                        format!("`{so_far}`")
                    };
                    return Err(format!(
                        "`{}`: `*` stands for every element of a list, and {what} is a table, not a list",
                        path_text(&setting.path)
                    ));
                }
                if !key.is_empty() {
                    key.push('.');
                }
                key.push_str(name);
                if depth == last {
                    match &setting.value {
                        Some(v) => {
                            map.insert(name.to_string(), v.clone());
                        }
                        None => {
                            map.remove(name);
                        }
                    }
                    keys.push(key);
                    return Ok(());
                }
                if !map.contains_key(name) {
                    // A list of tables the file does not have: there is no element to pick,
                    // and making a table of it would only be refused as "not a list".
                    let next = setting.path.get(depth + 1);
                    if LISTS_OF_TABLES.contains(&name) && next.is_some_and(|n| n != "*") {
                        return Err(format!(
                            "`{}`: the scenario has no `{name}`, so there is no `{}` in it; add a [[{name}]] table to the file, or set the whole list (--set '{name}=[...]')",
                            path_text(&setting.path),
                            next.map(|n| path_text(std::slice::from_ref(n))).unwrap_or_default()
                        ));
                    }
                    if setting.value.is_none() {
                        // Removing a key under a table that is not there: nothing to do.
                        keys.push(key);
                        return Ok(());
                    }
                    if setting.path.get(depth + 1).is_some_and(|next| next == "*") {
                        return Err(format!(
                            "`{}`: the scenario has no `{key}` for `*` to pick elements from",
                            path_text(&setting.path)
                        ));
                    }
                    map.insert(name.to_string(), Value::Object(Map::new()));
                }
                here = map
                    .get_mut(name)
                    .expect("invariant: the key was just checked");
            }
            other => {
                return Err(format!(
                    "`{so_far}` is {}, not a table: `{part}` cannot be set inside it",
                    kind(other)
                ));
            }
        }
    }
    unreachable!("invariant: the loop returns at the last part of a non-empty path")
}

/// The path segment that addresses element `index` of a list whose elements are named
/// `names`, in a path built by the program (advise's moves): its name, marked as a name only,
/// so that no name (`*`, `1`, `[1]`, `a.b`) is read as anything else.
pub fn segment_for(names: &[String], index: usize) -> String {
    format!("{LITERAL}{}", names[index])
}

/// The path of element `index` of the list `list` whose elements are named `names`, as text a
/// user could type (`stages.build`, `stages."code.review"`): for a setting the program
/// suggests or an axis it builds from text (the curves).
pub fn element_path(list: &str, names: &[String], index: usize) -> String {
    format!("{list}.{}", name_text(&names[index]))
}

/// The index of the element of `items` named `part` (or at position `part`; a bracketed
/// `[i]` is the position only, a quoted name the name only).
fn element(items: &[Value], part: &str, list: &str) -> Result<usize, String> {
    let (part, position, literal) = unmarked(part);
    let count = match items.len() {
        0 => "no elements".to_string(),
        1 => "1 element (position 0)".to_string(),
        n => format!("{n} elements (positions 0 to {})", n - 1),
    };
    if position {
        return match part.parse::<usize>() {
            Ok(i) if i < items.len() => Ok(i),
            Ok(_) => Err(format!("`{list}` has {count}: there is no `{list}[{part}]`")),
            Err(_) => Err(format!(
                "`{list}[{part}]`: a position in brackets is a whole number from 0; to name an element, write `{list}.{}`",
                name_text(part)
            )),
        };
    }
    let names: Vec<&str> = items
        .iter()
        .filter_map(|v| v.get("name").and_then(Value::as_str))
        .collect();
    if let Some(i) = items
        .iter()
        .position(|v| v.get("name").and_then(Value::as_str) == Some(part))
    {
        return Ok(i);
    }
    if !literal {
        if let Ok(i) = part.parse::<usize>() {
            if i < items.len() {
                return Ok(i);
            }
        }
    }
    // Names as a path writes them, quoted where needed.
    let quoted: Vec<String> = names.iter().map(|n| name_text(n)).collect();
    let shown = name_text(part);
    Err(if names.is_empty() {
        format!("`{list}` has {count}; `{shown}` is neither a name nor a position from 0")
    } else if !literal && part.parse::<usize>().is_ok() {
        format!(
            "`{list}` has {count}, and none is named `{shown}`; names: {}",
            quoted.join(", ")
        )
    } else {
        format!(
            "no element of `{list}` is named `{shown}`; valid: {}",
            quoted.join(", ")
        )
    })
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "empty",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "text",
        Value::Array(_) => "a list",
        Value::Object(_) => "a table",
    }
}

/// True if a problem reported at `problem_key` is about the key a setting changed at `set_key`
/// (the key itself, or anything inside it).
pub fn covers(set_key: &str, problem_key: &str) -> bool {
    problem_key == set_key
        || problem_key
            .strip_prefix(set_key)
            .is_some_and(|rest| rest.starts_with('.') || rest.starts_with('['))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_path_takes_the_bracketed_form_error_messages_print() {
        let keys = |p: &str| path_segments(p);
        let pos = |i: &str| format!("{POSITION}{i}");
        let lit = |n: &str| format!("{LITERAL}{n}");
        // A bracket is a position only; a dotted number, a name or else a position.
        assert_eq!(
            keys("objectives[0].key_results[1]").unwrap(),
            [
                "objectives".to_string(),
                pos("0"),
                "key_results".into(),
                pos("1")
            ]
        );
        assert_eq!(
            keys("objectives[0].key_results.1").unwrap(),
            [
                "objectives".to_string(),
                pos("0"),
                "key_results".into(),
                "1".into()
            ]
        );
        assert_eq!(
            keys(" stages . build . workers "),
            keys("stages.build.workers")
        );
        assert_eq!(
            keys("a[0][1]").unwrap(),
            ["a".to_string(), pos("0"), pos("1")]
        );
        // A quoted name is a name only, whatever it holds: dots, brackets, `*`, quotes.
        assert_eq!(
            keys("stages.\"code.review\".workers").unwrap(),
            ["stages".to_string(), lit("code.review"), "workers".into()]
        );
        assert_eq!(keys("stages.\"*\".x").unwrap()[1], lit("*"));
        assert_eq!(
            keys("stages.\"say \\\"hi\\\"\".x").unwrap()[1],
            lit("say \"hi\"")
        );
        // A quote inside a bare name is part of it.
        assert_eq!(keys("stages.a\"b.x").unwrap()[1], "a\"b");
        for bad in [
            "", ".", "a..b", "a[", "a[0", "a[]", "a[0]x", "a.[0", "a.\"b", "a.\"\".c",
        ] {
            assert_eq!(keys(bad), None, "{bad}");
        }
        // Written back as the user writes it, and read back the same.
        for text in [
            "objectives[0].key_results[1]",
            "stages.\"code.review\".workers",
            "stages.build.workers",
            "stages.\"*\".workers",
            "stages.\"[1]\".workers",
            "stages.\"say \\\"hi\\\"\".workers",
        ] {
            let segments = keys(text).unwrap();
            assert_eq!(path_text(&segments), text);
            assert_eq!(keys(&path_text(&segments)).unwrap(), segments);
        }
    }

    #[test]
    fn a_bracketed_position_is_never_a_name() {
        let mut d = json!({"stages": [
            {"name": "a", "workers": 1},
            {"name": "0", "workers": 1}
        ]});
        // `.0` names the stage called "0"; `[0]` is the first stage.
        let k = apply(&mut d, &Setting::parse("stages.0.workers=7").unwrap()).unwrap();
        assert_eq!(k, ["stages[1].workers"]);
        let k = apply(&mut d, &Setting::parse("stages[0].workers=5").unwrap()).unwrap();
        assert_eq!(k, ["stages[0].workers"]);
        let e = apply(&mut d, &Setting::parse("stages[2].workers=5").unwrap()).unwrap_err();
        assert!(
            e.contains("`stages` has 2 elements (positions 0 to 1)"),
            "{e}"
        );
        let e = apply(&mut d, &Setting::parse("stages.5.workers=5").unwrap()).unwrap_err();
        assert!(e.contains("and none is named `5`"), "{e}");
        let e = apply(&mut d, &Setting::parse("epics.bets.slices=2").unwrap()).unwrap_err();
        assert!(e.contains("the scenario has no `epics`"), "{e}");
        // A stage named like a position or `*`, quoted or built by the program, is that stage.
        let mut d = json!({"stages": [
            {"name": "[1]", "workers": 1},
            {"name": "*", "workers": 1},
            {"name": "b", "workers": 1}
        ]});
        let k = apply(&mut d, &Setting::parse("stages.\"[1]\".workers=5").unwrap()).unwrap();
        assert_eq!(k, ["stages[0].workers"]);
        let k = apply(&mut d, &Setting::parse("stages.\"*\".workers=5").unwrap()).unwrap();
        assert_eq!(k, ["stages[1].workers"]);
        let names = ["[1]".to_string(), "*".to_string(), "b".to_string()];
        for i in 0..3 {
            let path = [
                "stages".to_string(),
                segment_for(&names, i),
                "workers".into(),
            ];
            let k = apply(&mut d, &Setting::new(&path, Some(json!(4)))).unwrap();
            assert_eq!(k, [format!("stages[{i}].workers")]);
            // The path a user is shown reads back to the same stage.
            let text = format!("{}.workers=4", element_path("stages", &names, i));
            let k = apply(&mut d, &Setting::parse(&text).unwrap()).unwrap();
            assert_eq!(k, [format!("stages[{i}].workers")], "{text}");
        }
        // An empty list: no underflow in the count.
        let mut d = json!({"stages": []});
        let e = apply(&mut d, &Setting::parse("stages[0].workers=1").unwrap()).unwrap_err();
        assert!(e.contains("`stages` has no elements"), "{e}");
    }

    fn doc() -> Value {
        json!({
            "horizon": 100,
            "stages": [
                {"name": "build", "workers": 2, "service": {"dist": "exponential", "mean": 1}},
                {"name": "test", "workers": 1, "wip_limit": 3, "service": {"dist": "fixed", "value": 1}}
            ],
            "work": [{"name": "feature", "arrival_rate": 0.5}]
        })
    }

    #[test]
    fn sets_keys_by_name_position_and_table() {
        let mut d = doc();
        let k = apply(&mut d, &Setting::parse("stages.build.workers=4").unwrap()).unwrap();
        assert_eq!(k, ["stages[0].workers"]);
        assert_eq!(d["stages"][0]["workers"], json!(4));
        // `*` sets the key in every element.
        let k = apply(&mut d, &Setting::parse("stages.*.workers=7").unwrap()).unwrap();
        assert_eq!(k, ["stages[0].workers", "stages[1].workers"]);
        assert_eq!(d["stages"][1]["workers"], json!(7));
        let e = apply(&mut d, &Setting::parse("stages.*=7").unwrap()).unwrap_err();
        assert!(e.contains("whole element"), "{e}");
        apply(
            &mut d,
            &Setting::parse("stages.1.service.mean=2.5").unwrap(),
        )
        .unwrap();
        assert_eq!(d["stages"][1]["service"]["mean"], json!(2.5));
        apply(
            &mut d,
            &Setting::parse("stages.test.wip_limit=none").unwrap(),
        )
        .unwrap();
        assert!(d["stages"][1].get("wip_limit").is_none());
        apply(&mut d, &Setting::parse("debt.per_feature=0.5").unwrap()).unwrap();
        assert_eq!(d["debt"]["per_feature"], json!(0.5));
        apply(&mut d, &Setting::parse("policy=cd3").unwrap()).unwrap();
        assert_eq!(d["policy"], json!("cd3"));
        apply(
            &mut d,
            &Setting::parse("compare=[\"fifo\", \"cd3\"]").unwrap(),
        )
        .unwrap();
        assert_eq!(d["compare"], json!(["fifo", "cd3"]));
    }

    #[test]
    fn bad_paths_and_values_say_what_is_valid() {
        let mut d = doc();
        let e = apply(&mut d, &Setting::parse("stages.bild.workers=4").unwrap()).unwrap_err();
        assert!(e.contains("valid: build, test"), "{e}");
        let e = apply(&mut d, &Setting::parse("horizon.days=4").unwrap()).unwrap_err();
        assert!(e.contains("not a table"), "{e}");
        let e = apply(&mut d, &Setting::parse("stages.build=4").unwrap()).unwrap_err();
        assert!(e.contains("whole element"), "{e}");
        assert!(Setting::parse("workers").is_err());
        assert!(Setting::parse("stages..workers=1").is_err());
        assert!(Setting::parse("horizon=").is_err());
        assert!(Setting::parse("horizon=[1,").is_err());
    }

    #[test]
    fn whole_numbers_past_an_i64_are_numbers_not_text() {
        let v = |t: &str| parse_value(t).unwrap();
        assert_eq!(v("18446744073709551615"), Some(json!(u64::MAX)));
        assert_eq!(v("+18_446_744_073_709_551_615"), Some(json!(u64::MAX)));
        assert_eq!(v("9223372036854775807"), Some(json!(i64::MAX)));
        assert_eq!(v("100"), Some(json!(100)));
        // Past a u64, the nearest float, so the key's check says it is too large.
        assert_eq!(
            v("18446744073709551616"),
            Some(json!(18446744073709551616.0))
        );
        assert_eq!(v("-99999999999999999999"), Some(json!(-1e20)));
        // Not TOML's way of writing a number: still a word.
        assert_eq!(v("007"), Some(json!("007")));
        assert_eq!(v("1__0"), Some(json!("1__0")));
        assert_eq!(
            v("99999999999999999999_"),
            Some(json!("99999999999999999999_"))
        );
    }

    #[test]
    fn covers_the_key_and_what_is_inside_it() {
        assert!(covers("stages[0].workers", "stages[0].workers"));
        assert!(covers("stages[0].service", "stages[0].service.mean"));
        assert!(!covers("stages[0].work", "stages[0].workers"));
    }
}
