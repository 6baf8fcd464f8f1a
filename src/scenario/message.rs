//! How problems are shown: the offending source line with a caret under the key, kept to a
//! few lines whatever the size of the input (see docs/errors.md).
//!
//! Three styles:
//! - [`Style::Rich`], for a terminal: rustc-style snippets drawn by `annotate-snippets`;
//! - [`Style::Compact`], when stderr is not a terminal: one `file:line:column: key: message`
//!   line per problem (for editors and `grep`), then the source line and a caret line, as
//!   gcc prints them;
//! - [`Style::Short`]: the header lines only.
//!
//! `VALUEFLOW_ERRORS=rich|compact|short` chooses one; `NO_COLOR` turns colours off.

use std::fmt::Write;
use std::ops::Range;
use unicode_width::UnicodeWidthChar;

/// Characters of a quoted value (a name, a string) echoed in a message.
pub const QUOTE_MAX: usize = 40;
/// Characters of a list of valid choices echoed in a message.
pub const LIST_MAX: usize = 80;
/// Characters of one message.
pub const MESSAGE_MAX: usize = 300;
/// Characters of a source line shown under a message.
pub const LINE_MAX: usize = 100;
/// Problems shown in full; the rest are counted.
pub const PROBLEMS_MAX: usize = 20;
/// How a tab in a source line is shown (U+2409, SYMBOL FOR HORIZONTAL TABULATION).
const TAB: char = '\u{2409}';

/// How problems are drawn.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Style {
    /// rustc-style snippets, for a terminal.
    Rich {
        /// Colour the output.
        color: bool,
    },
    /// A header line per problem, then the source line and a caret.
    Compact,
    /// A header line per problem.
    Short,
}

impl Style {
    /// The style for standard error: `VALUEFLOW_ERRORS` if set, else rich on a terminal and
    /// compact otherwise; colour only on a terminal and without `NO_COLOR`.
    pub fn for_stderr() -> Style {
        use std::io::IsTerminal;
        let terminal = std::io::stderr().is_terminal();
        let color = terminal && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty());
        match std::env::var("VALUEFLOW_ERRORS").as_deref() {
            Ok("rich") => Style::Rich { color },
            Ok("compact") => Style::Compact,
            Ok("short") => Style::Short,
            _ if terminal => Style::Rich { color },
            _ => Style::Compact,
        }
    }
}

/// The source line a problem points into, clipped around the caret.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Excerpt {
    /// 1-based line number.
    pub line: usize,
    /// The line's text (at most [`LINE_MAX`] characters, `…` where it was cut; control
    /// characters replaced).
    pub text: String,
    /// 0-based character index of the caret in `text`.
    pub column: usize,
    /// Characters under the caret (at least 1).
    pub width: usize,
    /// Characters of the line cut before `text` (its `…` not counted).
    pub skipped: usize,
}

impl Excerpt {
    /// The line of `src` that `at` (a byte range) starts on: 1-based `line` and character
    /// `column` of `at.start`, and `bounds`, the line's byte range. Reads only the characters
    /// shown, however long the line.
    pub fn new(
        src: &str,
        at: Range<usize>,
        (line, column): (usize, usize),
        bounds: Range<usize>,
    ) -> Excerpt {
        let (ls, le) = (bounds.start, floor(src, bounds.end.min(src.len())));
        let le = if src[..le].ends_with('\r') {
            le - 1
        } else {
            le
        };
        let start = floor(src, at.start.clamp(ls, le));
        let before = &src[ls..start];
        let after = &src[start..le];
        // Show up to LINE_MAX characters: a third before the caret, more if the line ends.
        let after_n = after.chars().take(LINE_MAX).count();
        let before_want = LINE_MAX - after_n.min(LINE_MAX - LINE_MAX / 3);
        let from = before
            .char_indices()
            .rev()
            .take(before_want)
            .last()
            .map_or(start, |(i, _)| ls + i);
        let before_n = src[from..start].chars().count();
        let after_n = after_n.min(LINE_MAX - before_n);
        let to = after
            .char_indices()
            .nth(after_n)
            .map_or(le, |(i, _)| start + i);
        let (cut_left, cut_right) = (from > ls, to < le);
        let mut text = String::new();
        if cut_left {
            text.push('…');
        }
        text.extend(src[from..to].chars().map(printable));
        if cut_right {
            text.push('…');
        }
        let end = floor(src, at.end.clamp(start, to));
        let width = src[start..end].chars().count().clamp(1, after_n.max(1));
        Excerpt {
            line,
            text,
            column: before_n + usize::from(cut_left),
            width,
            skipped: column.saturating_sub(1 + before_n),
        }
    }

    /// The byte range of the caret in `text`.
    fn caret_bytes(&self) -> Range<usize> {
        caret_bytes(&self.text, self.column, self.width)
    }

    /// The line as annotate-snippets should see it, and the caret's byte range in it: where the
    /// line was cut on the left, blanks stand for the cut characters so that the column it
    /// prints stays the column in the file (it folds leading blanks away when drawing).
    fn for_snippet(&self) -> (String, Range<usize>) {
        if self.skipped == 0 {
            return (self.text.clone(), self.caret_bytes());
        }
        let rest = self.text.strip_prefix('…').unwrap_or(&self.text);
        let text = " ".repeat(self.skipped) + rest;
        let caret = caret_bytes(&text, self.column - 1 + self.skipped, self.width);
        (text, caret)
    }

    /// Two lines: the source line and the caret under it, after a gutter with the line number.
    fn compact(&self, out: &mut String) {
        let number = self.line.to_string();
        let gutter = " ".repeat(number.len());
        let mut pad = String::new();
        let mut carets = String::new();
        for (i, c) in self.text.chars().enumerate() {
            let w = c.width().unwrap_or(0);
            if i < self.column {
                pad.push_str(&" ".repeat(w));
            } else if i < self.column + self.width {
                // Display columns, as the rich style counts them: a combining mark adds none.
                carets.push_str(&"^".repeat(w));
            }
        }
        if carets.is_empty() {
            carets.push('^');
        }
        let _ = write!(
            out,
            "\n    {number} | {}\n    {gutter} | {pad}{carets}",
            self.text
        );
    }
}

/// The byte range of `width` characters from character `column` of `text`.
fn caret_bytes(text: &str, column: usize, width: usize) -> Range<usize> {
    let mut idx = text.char_indices().map(|(i, _)| i).skip(column);
    let start = idx.next().unwrap_or(text.len());
    let end = idx.nth(width.saturating_sub(1)).unwrap_or(text.len());
    start..end.max(start)
}

fn floor(s: &str, mut i: usize) -> usize {
    while !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

/// A character safe to echo on one line of a terminal. A tab is shown as `␉`, one column
/// wide like every character shown for one of the line's, so that the caret stays under its
/// column (and the column the rich style prints stays the file's), and a tab is told from a
/// space.
fn printable(c: char) -> char {
    match c {
        '\t' => TAB,
        c if c.is_control() || is_bidi_control(c) => '\u{FFFD}',
        c => c,
    }
}

fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{200E}' | '\u{200F}')
}

/// One problem, as the renderer sees it.
pub(super) struct Item<'a> {
    /// The file, or `None` for the command line.
    pub file: Option<&'a str>,
    pub key: &'a str,
    pub position: Option<(usize, usize)>,
    pub message: &'a str,
    pub excerpt: Option<&'a Excerpt>,
}

impl Item<'_> {
    /// `file:line:col: `key`: message`, the message tidied.
    fn header(&self) -> String {
        let mut h = String::new();
        if let Some(file) = self.file {
            h.push_str(&tidy(file));
            if let Some((line, col)) = self.position {
                let _ = write!(h, ":{line}:{col}");
            }
            h.push_str(": ");
        }
        if !self.key.is_empty() {
            let _ = write!(h, "`{}`: ", tidy(self.key));
        }
        h.push_str(&tidy(self.message));
        h
    }
}

/// Draws `items` after `summary` (a line that ends in `:`) in `style`; at most
/// [`PROBLEMS_MAX`] problems are drawn and the others are counted. `prefix` starts each
/// top-level line (`error: ` for standard error, empty for `Display`).
pub(super) fn render(
    summary: Option<&str>,
    items: &[Item<'_>],
    style: Style,
    prefix: &str,
) -> String {
    let shown = &items[..items.len().min(PROBLEMS_MAX)];
    let more = items.len() - shown.len();
    let more = (more > 0).then(|| {
        format!(
            "… and {more} more problem{} (fix these first)",
            if more == 1 { "" } else { "s" }
        )
    });
    let mut out = String::new();
    match style {
        Style::Rich { color } => {
            use annotate_snippets::{AnnotationKind, Group, Level, Origin, Renderer, Snippet};
            let titles: Vec<String> = shown
                .iter()
                .map(|i| {
                    if i.key.is_empty() {
                        tidy(i.message)
                    } else {
                        format!("`{}`: {}", tidy(i.key), tidy(i.message))
                    }
                })
                .collect();
            let files: Vec<Option<String>> = shown.iter().map(|i| i.file.map(tidy)).collect();
            let sources: Vec<Option<(String, Range<usize>)>> = shown
                .iter()
                .map(|i| i.excerpt.map(Excerpt::for_snippet))
                .collect();
            let mut groups: Vec<Group<'_>> = Vec::new();
            for (((item, title), file), source) in
                shown.iter().zip(&titles).zip(&files).zip(&sources)
            {
                let title = Level::ERROR.primary_title(title.as_str());
                groups.push(match (file, item.excerpt, source) {
                    (Some(file), Some(ex), Some((text, caret))) => title.element(
                        Snippet::source(text.as_str())
                            .path(file.as_str())
                            .line_start(ex.line)
                            .annotation(AnnotationKind::Primary.span(caret.clone())),
                    ),
                    (Some(file), _, _) => {
                        let origin = Origin::path(file.as_str());
                        title.element(match item.position {
                            Some((line, col)) => origin.line(line).char_column(col),
                            None => origin,
                        })
                    }
                    (None, _, _) => Group::with_title(title),
                });
            }
            let renderer = if color {
                Renderer::styled()
            } else {
                Renderer::plain()
            };
            for g in groups {
                out.push_str(&renderer.render(&[g]));
                out.push('\n');
            }
            if let Some(more) = &more {
                let _ = writeln!(out, "{prefix}{more}");
            }
            if let Some(s) = summary {
                let _ = write!(out, "{prefix}{}", s.trim_end_matches(':'));
            }
        }
        Style::Compact | Style::Short => {
            let top = summary.is_some();
            if let Some(s) = summary {
                let _ = write!(out, "{prefix}{s}");
            }
            for (n, item) in shown.iter().enumerate() {
                if top {
                    out.push_str("\n  ");
                } else {
                    if n > 0 {
                        out.push('\n');
                    }
                    out.push_str(prefix);
                }
                out.push_str(&item.header());
                if let (Style::Compact, Some(ex)) = (style, item.excerpt) {
                    ex.compact(&mut out);
                }
            }
            if let Some(more) = &more {
                let _ = write!(out, "\n{}{more}", if top { "  " } else { prefix });
            }
        }
    }
    out.trim_end().to_string()
}

/// A message made safe and short: control characters escaped, quoted values, lists of
/// choices and huge numbers shortened, and the whole capped at [`MESSAGE_MAX`] characters.
pub fn tidy(message: &str) -> String {
    let s = escape_controls(message);
    let s = shorten_lists(&s);
    let s = clip_quotes(&s);
    let s = shorten_numbers(&s);
    clip(&s, MESSAGE_MAX)
}

fn escape_controls(s: &str) -> String {
    let mut out = String::with_capacity(s.len().min(4 * MESSAGE_MAX));
    for c in s.chars() {
        match c {
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c.is_control() || is_bidi_control(c) => {
                let _ = write!(out, "\\u{{{:x}}}", c as u32);
            }
            c => out.push(c),
        }
    }
    out
}

/// `s` on one line, cut to `max` characters with an ellipsis.
pub fn shorten(s: &str, max: usize) -> String {
    clip(&escape_controls(s), max)
}

/// `s` cut to `max` characters with an ellipsis.
fn clip(s: &str, max: usize) -> String {
    match s.char_indices().nth(max) {
        Some((i, _)) => format!("{}…", &s[..i]),
        None => s.to_string(),
    }
}

/// Quoted values (`…` and "…") longer than [`QUOTE_MAX`] characters are cut, with their length.
fn clip_quotes(s: &str) -> String {
    let mut out = String::with_capacity(s.len().min(4 * MESSAGE_MAX));
    let mut rest = s;
    while let Some(open) = rest.find(['`', '"']) {
        let q = rest.as_bytes()[open] as char;
        out.push_str(&rest[..=open]);
        let body = &rest[open + 1..];
        let close = if q == '"' {
            let mut escaped = false;
            body.char_indices()
                .find(|&(_, c)| {
                    let hit = c == '"' && !escaped;
                    escaped = c == '\\' && !escaped;
                    hit
                })
                .map(|(i, _)| i)
        } else {
            body.find('`')
        };
        let Some(close) = close else {
            rest = body;
            continue;
        };
        let inner = &body[..close];
        let n = inner.chars().count();
        if n > QUOTE_MAX {
            let cut: String = inner.chars().take(QUOTE_MAX - 1).collect();
            let _ = write!(out, "{cut}…{q} ({n} characters)");
        } else {
            out.push_str(inner);
            out.push(q);
        }
        rest = &body[close + 1..];
    }
    out.push_str(rest);
    out
}

/// Lists of choices (after `valid: ` or `expected one of `) longer than [`LIST_MAX`]
/// characters keep their first items and count the rest; each item is clipped too.
fn shorten_lists(s: &str) -> String {
    let mut out = String::new();
    let mut rest = s;
    loop {
        let found = ["valid: ", "expected one of "]
            .iter()
            .filter_map(|m| rest.find(m).map(|i| (i, m.len())))
            .min();
        let Some((at, len)) = found else { break };
        let list_start = at + len;
        out.push_str(&rest[..list_start]);
        let tail = &rest[list_start..];
        let end = tail.find([';', ')']).unwrap_or(tail.len());
        let items: Vec<&str> = tail[..end].split(", ").collect();
        let mut used = 0;
        let mut kept = 0;
        for (i, item) in items.iter().enumerate() {
            let item = clip_item(item);
            let n = item.chars().count() + if i > 0 { 2 } else { 0 };
            if i > 0 && used + n > LIST_MAX {
                break;
            }
            if i > 0 {
                out.push_str(", ");
            }
            out.push_str(&item);
            used += n;
            kept += 1;
        }
        if kept + 1 == items.len() {
            // Naming the last item costs no more than counting it.
            let _ = write!(out, ", {}", clip_item(items[kept]));
        } else if kept < items.len() {
            let _ = write!(out, ", … and {} more", items.len() - kept);
        }
        rest = &tail[end..];
    }
    out.push_str(rest);
    out
}

/// One list item cut to [`QUOTE_MAX`] characters, keeping its backticks.
fn clip_item(item: &str) -> String {
    let n = item.chars().count();
    if n <= QUOTE_MAX {
        return item.to_string();
    }
    let quoted = item.starts_with('`') && item.ends_with('`') && n > 1;
    let cut: String = item
        .chars()
        .skip(usize::from(quoted))
        .take(QUOTE_MAX - 1)
        .collect();
    if quoted {
        format!("`{cut}…` ({} characters)", n - 2)
    } else {
        format!("{cut}… ({n} characters)")
    }
}

/// Numbers written with more than 20 digits (`1e300` printed in full) in scientific notation.
fn shorten_numbers(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(start) = rest.find(|c: char| c.is_ascii_digit()) {
        out.push_str(&rest[..start]);
        let run = &rest[start..];
        let len = run
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(run.len());
        let number = &run[..len];
        let digits = number.bytes().filter(u8::is_ascii_digit).count();
        match number.parse::<f64>() {
            Ok(v) if digits > 20 && v.is_finite() => {
                let _ = write!(out, "{v:e}");
            }
            _ => out.push_str(number),
        }
        rest = &run[len..];
    }
    out.push_str(rest);
    out
}

/// The choice closest to `word` by edit distance, if it is close enough to be a typo.
pub fn suggest<'a>(word: &str, choices: &[&'a str]) -> Option<&'a str> {
    if word.chars().count() > 64 {
        return None;
    }
    let limit = (word.chars().count() / 3).max(1);
    choices
        .iter()
        .filter(|c| c.chars().count() <= 64)
        .map(|c| (edit_distance(word, c), *c))
        .filter(|&(d, _)| d <= limit)
        .min_by_key(|&(d, _)| d)
        .map(|(_, c)| c)
}

/// Levenshtein distance, in characters.
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut diag = row[0];
        row[0] = i + 1;
        for (j, &cb) in b.iter().enumerate() {
            let next = (diag + usize::from(ca != cb))
                .min(row[j] + 1)
                .min(row[j + 1] + 1);
            diag = row[j + 1];
            row[j + 1] = next;
        }
    }
    row[b.len()]
}

/// The workers a WIP limit leaves idle for want of room, in words: `one of them idles`,
/// `2 of them idle`.
pub fn idle_workers(n: u32) -> String {
    match n {
        1 => "one of them idles".to_string(),
        n => format!("{n} of them idle"),
    }
}

/// A share as a percentage that stays short: `85%`, `1.2e300%`, or `more than 1e308%`.
pub fn percent(share: f64) -> String {
    let p = share * 100.0;
    if p.is_nan() {
        "an unknown share".into()
    } else if p.is_infinite() {
        "more than 1e308%".into()
    } else if p.abs() >= 1e6 {
        format!("{p:.1e}%")
    } else {
        format!("{p:.0}%")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn idle_workers_agree_with_their_number() {
        assert_eq!(idle_workers(1), "one of them idles");
        assert_eq!(idle_workers(2), "2 of them idle");
    }

    #[test]
    fn long_quoted_values_are_cut_with_their_length() {
        let name = "x".repeat(1000);
        let t = tidy(&format!("`{name}` is used twice; names must be unique"));
        assert!(
            t.starts_with(&format!("`{}…` (1000 characters)", "x".repeat(39))),
            "{t}"
        );
        assert!(t.ends_with("is used twice; names must be unique"), "{t}");
        let t = tidy(&format!("invalid type: string \"{name}\", expected f64"));
        assert!(t.contains("(1000 characters), expected f64"), "{t}");
    }

    #[test]
    fn long_lists_keep_their_first_items_and_count_the_rest() {
        let names: Vec<String> = (0..1000).map(|i| format!("stage-{i}")).collect();
        let t = tidy(&format!("`x` is not a stage; valid: {}", names.join(", ")));
        assert!(
            t.starts_with("`x` is not a stage; valid: stage-0, stage-1, "),
            "{t}"
        );
        assert!(t.ends_with(", stage-8, … and 991 more"), "{t}");
        assert!(t.chars().count() < 140, "{t}");
        let t = tidy(&format!("(valid: {}) and more text", names[..3].join(", ")));
        assert_eq!(t, "(valid: stage-0, stage-1, stage-2) and more text");
    }

    #[test]
    fn huge_numbers_are_scientific_and_messages_capped() {
        let t = tidy(&format!("must be positive (got {})", 1e300));
        assert_eq!(t, "must be positive (got 1e300)");
        assert_eq!(tidy("got 4294967295 and 0.5"), "got 4294967295 and 0.5");
        let t = tidy(&"word ".repeat(10_000));
        assert_eq!(t.chars().count(), MESSAGE_MAX + 1);
        assert_eq!(tidy("a\nb\u{1b}[31m"), "a\\nb\\u{1b}[31m");
        assert_eq!(percent(1e300), "1.0e302%");
        assert_eq!(percent(f64::INFINITY), "more than 1e308%");
        assert_eq!(percent(1.2), "120%");
    }

    #[test]
    fn typos_get_a_suggestion() {
        assert_eq!(suggest("cdd3", &["fifo", "cd3", "wsjf"]), Some("cd3"));
        assert_eq!(
            suggest("wip_limt", &["name", "wip_limit"]),
            Some("wip_limit")
        );
        assert_eq!(suggest("zzz", &["fifo", "cd3"]), None);
    }

    fn excerpt(src: &str, at: Range<usize>) -> Excerpt {
        let line = src[..at.start].matches('\n').count() + 1;
        let ls = src[..at.start].rfind('\n').map_or(0, |i| i + 1);
        let le = src[at.start..]
            .find('\n')
            .map_or(src.len(), |i| at.start + i);
        let col = src[ls..at.start].chars().count() + 1;
        Excerpt::new(src, at, (line, col), ls..le)
    }

    #[test]
    fn excerpts_are_clipped_around_the_caret() {
        let src = format!("a = 1\nname = \"{}\" x\n", "é".repeat(500));
        let at = src.find(" x").unwrap() + 1;
        let ex = excerpt(&src, at..at + 1);
        assert_eq!(ex.line, 2);
        assert!(ex.text.starts_with('…') && ex.text.chars().count() <= LINE_MAX + 2);
        assert_eq!(ex.text.chars().nth(ex.column), Some('x'));
        assert_eq!(&ex.text[ex.caret_bytes()], "x");
        let ex = excerpt("workers = 2.5\n", 10..13);
        assert_eq!(&ex.text[ex.caret_bytes()], "2.5");
        let ex = excerpt("horizon = = 100\n", 10..11);
        let mut out = String::new();
        ex.compact(&mut out);
        assert_eq!(out, "\n    1 | horizon = = 100\n      |           ^");
    }
}
