//! Finding where a key path (`stages[1].workers`) is written in a scenario file.
//!
//! Every format is read into a tree of nodes that knows where each key and value is written,
//! and the path is followed through that tree, so a key is only ever found inside the mapping
//! it belongs to:
//! - TOML through the `toml` parser's spans;
//! - YAML through serde-saphyr's [`Spanned`] locations;
//! - JSON through a small scanner that follows the nesting of objects and arrays (JSON is
//!   read by `serde_json`, which reports no positions of keys).
//!
//! Positions are byte ranges in the source; [`positions`] turns them into 1-based lines and
//! columns counted in characters, as `toml`, serde-saphyr and rustc count them.

use super::Format;
use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_saphyr::Spanned;
use std::fmt;
use std::ops::Range;
use toml::de::{DeTable, DeValue};

/// One step of a key path.
#[derive(Clone, Debug, PartialEq)]
pub(super) enum Segment {
    Key(String),
    Index(usize),
}

/// Splits `a.b[2].c` into segments.
pub(super) fn parse_path(path: &str) -> Vec<Segment> {
    let mut out = Vec::new();
    for part in path.split('.') {
        let mut rest = part;
        if let Some(open) = rest.find('[') {
            if open > 0 {
                out.push(Segment::Key(rest[..open].to_string()));
            }
            rest = &rest[open..];
            while let Some(stripped) = rest.strip_prefix('[') {
                let close = stripped.find(']').unwrap_or(stripped.len());
                if let Ok(i) = stripped[..close].parse() {
                    out.push(Segment::Index(i));
                }
                rest = stripped.get(close + 1..).unwrap_or("");
            }
        } else if !rest.is_empty() {
            out.push(Segment::Key(rest.to_string()));
        }
    }
    out
}

/// 1-based line and column of byte `offset` in `src`, the column counted in characters.
#[cfg(test)]
fn line_col(src: &str, offset: usize) -> (usize, usize) {
    let offset = floor_char_boundary(src, offset.min(src.len()));
    let before = &src[..offset];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |nl| nl + 1);
    (line, before[line_start..].chars().count() + 1)
}

/// The byte offset of 1-based `line` and character `column` in `src` (the inverse of
/// [`positions`]), clamped to the line's end.
pub(super) fn offset_of(src: &str, line: usize, column: usize) -> usize {
    let mut start = 0;
    for _ in 1..line {
        match src[start..].find('\n') {
            Some(nl) => start += nl + 1,
            None => return src.len(),
        }
    }
    let text = &src[start..];
    let end = text.find('\n').unwrap_or(text.len());
    start
        + text[..end]
            .char_indices()
            .nth(column.saturating_sub(1))
            .map_or(end, |(i, _)| i)
}

pub(super) fn floor_char_boundary(s: &str, mut i: usize) -> usize {
    while !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

/// Finds where key paths are written; the document is read once.
pub(super) struct Locator {
    root: Option<Node>,
}

impl Locator {
    /// Reads `src` (if it cannot be read, nothing is located).
    pub(super) fn new(src: &str, format: Format) -> Locator {
        let root = match format {
            Format::Toml => toml_tree(src),
            Format::Yaml => yaml_tree(src),
            Format::Json => json_tree(src),
        };
        Locator { root }
    }

    /// Where `path` is written (the key's bytes, or the start of a list item), or where its
    /// nearest written ancestor is.
    pub(super) fn locate(&self, path: &str) -> Option<Range<usize>> {
        follow(self.root.as_ref()?, &parse_path(path)).map(|(at, _)| at)
    }

    /// As [`Locator::locate`], but an item of a list that is itself a list or a table is
    /// marked whole (`["a", "b"]` where one string belongs), as TOML's own errors mark it.
    pub(super) fn locate_value(&self, path: &str) -> Option<Range<usize>> {
        follow(self.root.as_ref()?, &parse_path(path)).map(|(at, whole)| whole.unwrap_or(at))
    }
}

/// Where `path` is written in `src` (reads the document; see [`Locator`] for many paths).
pub(super) fn locate(src: &str, format: Format, path: &str) -> Option<Range<usize>> {
    Locator::new(src, format).locate(path)
}

/// [`Locator::locate_value`] in `src`.
pub(super) fn locate_value(src: &str, format: Format, path: &str) -> Option<Range<usize>> {
    Locator::new(src, format).locate_value(path)
}

/// 1-based lines and character columns of many byte offsets, counted in one pass.
pub(super) fn positions(src: &str, offsets: &[usize]) -> Vec<(usize, usize)> {
    let mut order: Vec<usize> = (0..offsets.len()).collect();
    order.sort_by_key(|&i| offsets[i]);
    let mut out = vec![(1, 1); offsets.len()];
    let (mut at, mut line, mut col) = (0, 1, 1);
    for i in order {
        let target = floor_char_boundary(src, offsets[i].min(src.len())).max(at);
        for c in src[at..target].chars() {
            if c == '\n' {
                line += 1;
                col = 1;
            } else {
                col += 1;
            }
        }
        at = target;
        out[i] = (line, col);
    }
    out
}

/// Where each line starts, to find a line's text without scanning the file.
pub(super) struct Lines {
    starts: Vec<usize>,
    len: usize,
}

impl Lines {
    pub(super) fn new(src: &str) -> Lines {
        let starts = std::iter::once(0)
            .chain(src.match_indices('\n').map(|(i, _)| i + 1))
            .collect();
        Lines {
            starts,
            len: src.len(),
        }
    }

    /// The byte range of 1-based `line`, without its line break.
    pub(super) fn bounds(&self, line: usize) -> Range<usize> {
        let start = self
            .starts
            .get(line.saturating_sub(1))
            .copied()
            .unwrap_or(self.len);
        let end = self
            .starts
            .get(line)
            .map_or(self.len, |&next| next.saturating_sub(1));
        start..end.max(start)
    }
}

/// The tree of a TOML document, from the `toml` parser's spans.
fn toml_tree(src: &str) -> Option<Node> {
    let doc = DeTable::parse(src).ok()?;
    let span = doc.span();
    Some(Node {
        at: span.start..span.start + 1,
        whole: span,
        kind: toml_table(doc.get_ref()),
    })
}

fn toml_table(t: &DeTable<'_>) -> Kind {
    Kind::Map(
        t.iter()
            .map(|(k, v)| {
                (
                    Some(k.get_ref().to_string()),
                    k.span(),
                    toml_node(v.get_ref(), v.span()),
                )
            })
            .collect(),
    )
}

fn toml_node(v: &DeValue<'_>, span: Range<usize>) -> Node {
    // An array of tables ([[stages]]) has spans that start at its first key: a table or an
    // array is marked by its first character, a value (an item of an array) whole.
    let first = span.start..span.start + 1;
    let whole = span.clone();
    let (at, kind) = match v {
        DeValue::Table(t) => (first, toml_table(t)),
        DeValue::Array(items) => (
            first,
            Kind::Seq(
                items
                    .iter()
                    .map(|i| toml_node(i.get_ref(), i.span()))
                    .collect(),
            ),
        ),
        _ => (span, Kind::Leaf),
    };
    Node { at, whole, kind }
}

/// A node of a document, with where it is written.
#[derive(Debug)]
struct Node {
    /// Where the node starts (one character), or a value (a leaf) whole.
    at: Range<usize>,
    /// The whole value, from its first character to its last (a flow list or table whole).
    whole: Range<usize>,
    kind: Kind,
}

#[derive(Debug)]
enum Kind {
    /// Entries in file order: the key's text, where the key is written, the value.
    Map(Vec<(Option<String>, Range<usize>, Node)>),
    Seq(Vec<Node>),
    Leaf,
}

/// Follows `segments` down the tree; the key or item reached last, if any, and, when the
/// whole path was followed to an item of a list, that item whole.
fn follow(root: &Node, segments: &[Segment]) -> Option<(Range<usize>, Option<Range<usize>>)> {
    let mut node = root;
    let mut best = None;
    let mut whole = None;
    for seg in segments {
        whole = None;
        match (seg, &node.kind) {
            (Segment::Key(k), Kind::Map(entries)) => {
                let Some((_, key_at, value)) = entries
                    .iter()
                    .find(|(name, _, _)| name.as_deref() == Some(k))
                else {
                    break;
                };
                best = Some(key_at.clone());
                node = value;
            }
            (Segment::Index(i), Kind::Seq(items)) => {
                let Some(item) = items.get(*i) else { break };
                best = Some(item.at.clone());
                whole = Some(item.whole.clone());
                node = item;
            }
            _ => {
                whole = None;
                break;
            }
        }
    }
    best.map(|b| (b, whole))
}

// ---- YAML: serde-saphyr's spans ----

/// The tree of a YAML document, from serde-saphyr's own node locations.
fn yaml_tree(src: &str) -> Option<Node> {
    let root: Spanned<YamlKind> = serde_saphyr::from_str(src).ok()?;
    Some(yaml_node(root, src))
}

fn yaml_node(n: Spanned<YamlKind>, src: &str) -> Node {
    let at = saphyr_range(src, &n.referenced);
    let whole = match n.value {
        YamlKind::Leaf => at.clone(),
        _ => flow_extent(src, at.start).unwrap_or_else(|| at.clone()),
    };
    let kind = match n.value {
        YamlKind::Leaf => Kind::Leaf,
        YamlKind::Seq(items) => Kind::Seq(items.into_iter().map(|i| yaml_node(i, src)).collect()),
        YamlKind::Map(entries) => Kind::Map(
            entries
                .into_iter()
                .map(|(k, v)| {
                    let key_at = saphyr_range(src, &k.referenced);
                    (k.value.0, key_at, yaml_node(v, src))
                })
                .collect(),
        ),
    };
    Node { at, whole, kind }
}

/// The bytes of a YAML flow collection (`[...]`, `{...}`) starting at `start`, brackets
/// included, or `None` if none starts there or it does not close.
fn flow_extent(src: &str, start: usize) -> Option<Range<usize>> {
    let bytes = src.as_bytes();
    if !matches!(bytes.get(start), Some(b'[' | b'{')) {
        return None;
    }
    let (mut depth, mut i) = (0usize, start);
    while i < bytes.len() {
        match bytes[i] {
            b'[' | b'{' => depth += 1,
            b']' | b'}' => {
                depth -= 1;
                if depth == 0 {
                    return Some(start..i + 1);
                }
            }
            // Quoted text may hold brackets: '' is a quote inside '...', \" one inside "...".
            q @ (b'"' | b'\'') => {
                i += 1;
                while i < bytes.len() {
                    match bytes[i] {
                        b'\\' if q == b'"' => i += 1,
                        b'\'' if q == b'\'' && bytes.get(i + 1) == Some(&b'\'') => i += 1,
                        c if c == q => break,
                        _ => {}
                    }
                    i += 1;
                }
            }
            // A comment runs to the end of its line.
            b'#' if i > 0 && bytes[i - 1].is_ascii_whitespace() => {
                while i < bytes.len() && bytes[i] != b'\n' {
                    i += 1;
                }
            }
            _ => {}
        }
        i += 1;
    }
    None
}

/// The byte range of a serde-saphyr location (characters, and bytes where known) in `src`.
pub(super) fn saphyr_range(src: &str, loc: &serde_saphyr::Location) -> Range<usize> {
    let span = loc.span();
    let start = match span.byte_offset() {
        Some(b) => usize::try_from(b).unwrap_or(src.len()),
        None => offset_of(
            src,
            usize::try_from(loc.line()).unwrap_or(usize::MAX),
            usize::try_from(loc.column()).unwrap_or(usize::MAX),
        ),
    }
    .min(src.len());
    let start = floor_char_boundary(src, start);
    let len = span
        .byte_len()
        .and_then(|l| usize::try_from(l).ok())
        .filter(|&l| l > 0)
        .unwrap_or_else(|| src[start..].chars().next().map_or(0, char::len_utf8));
    start..floor_char_boundary(src, start.saturating_add(len).min(src.len()))
}

enum YamlKind {
    Map(Vec<(Spanned<YamlKey>, Spanned<YamlKind>)>),
    Seq(Vec<Spanned<YamlKind>>),
    Leaf,
}

/// A mapping key: its text if it is a scalar.
struct YamlKey(Option<String>);

struct KindVisitor;

macro_rules! leaf {
    ($($f:ident: $t:ty),*) => {
        $(fn $f<E: de::Error>(self, _: $t) -> Result<Self::Value, E> {
            Ok(YamlKind::Leaf)
        })*
    };
}

impl<'de> Visitor<'de> for KindVisitor {
    type Value = YamlKind;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any YAML node")
    }

    leaf!(visit_bool: bool, visit_i64: i64, visit_u64: u64, visit_i128: i128,
        visit_u128: u128, visit_f64: f64, visit_str: &str, visit_bytes: &[u8]);

    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(YamlKind::Leaf)
    }

    fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(YamlKind::Leaf)
    }

    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        YamlKind::deserialize(d)
    }

    fn visit_newtype_struct<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        YamlKind::deserialize(d)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element()? {
            items.push(item);
        }
        Ok(YamlKind::Seq(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut entries = Vec::new();
        while let Some(key) = map.next_key()? {
            entries.push((key, map.next_value()?));
        }
        Ok(YamlKind::Map(entries))
    }
}

impl<'de> Deserialize<'de> for YamlKind {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(KindVisitor)
    }
}

struct KeyVisitor;

impl<'de> Visitor<'de> for KeyVisitor {
    type Value = YamlKey;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a mapping key")
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        Ok(YamlKey(Some(v.to_string())))
    }

    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Self::Value, E> {
        Ok(YamlKey(Some(v.to_string())))
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
        Ok(YamlKey(Some(v.to_string())))
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
        Ok(YamlKey(Some(v.to_string())))
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
        Ok(YamlKey(Some(v.to_string())))
    }

    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(YamlKey(None))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        while seq.next_element::<de::IgnoredAny>()?.is_some() {}
        Ok(YamlKey(None))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        while map
            .next_entry::<de::IgnoredAny, de::IgnoredAny>()?
            .is_some()
        {}
        Ok(YamlKey(None))
    }
}

impl<'de> Deserialize<'de> for YamlKey {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(KeyVisitor)
    }
}

// ---- JSON: a scanner that follows the nesting ----

/// Deeper documents are not located (`serde_json` itself stops at 128 levels).
const MAX_JSON_DEPTH: usize = 256;

/// The tree of a JSON document, or `None` if it is not well-formed JSON.
fn json_tree(src: &str) -> Option<Node> {
    let mut s = JsonScanner {
        src,
        bytes: src.as_bytes(),
        i: 0,
    };
    s.skip_ws();
    let root = s.value(0)?;
    Some(root)
}

struct JsonScanner<'a> {
    src: &'a str,
    bytes: &'a [u8],
    i: usize,
}

impl JsonScanner<'_> {
    fn skip_ws(&mut self) {
        while self
            .bytes
            .get(self.i)
            .is_some_and(|b| matches!(b, b' ' | b'\t' | b'\n' | b'\r'))
        {
            self.i += 1;
        }
    }

    fn eat(&mut self, b: u8) -> bool {
        self.skip_ws();
        if self.bytes.get(self.i) == Some(&b) {
            self.i += 1;
            true
        } else {
            false
        }
    }

    /// A string starting at the current `"`; its byte range, quotes included.
    fn string(&mut self) -> Option<Range<usize>> {
        let start = self.i;
        if self.bytes.get(self.i) != Some(&b'"') {
            return None;
        }
        self.i += 1;
        loop {
            match self.bytes.get(self.i)? {
                b'\\' => self.i += 2,
                b'"' => {
                    self.i += 1;
                    return Some(start..self.i);
                }
                _ => self.i += 1,
            }
        }
    }

    fn value(&mut self, depth: usize) -> Option<Node> {
        if depth > MAX_JSON_DEPTH {
            return None;
        }
        self.skip_ws();
        let start = self.i;
        let first = *self.bytes.get(self.i)?;
        let mut at = start..start + 1;
        let kind = match first {
            b'{' => {
                self.i += 1;
                let mut entries = Vec::new();
                if !self.eat(b'}') {
                    loop {
                        self.skip_ws();
                        let key_at = self.string()?;
                        let name = serde_json::from_str::<String>(&self.src[key_at.clone()]).ok();
                        if !self.eat(b':') {
                            return None;
                        }
                        let v = self.value(depth + 1)?;
                        entries.push((name, key_at, v));
                        if self.eat(b'}') {
                            break;
                        }
                        if !self.eat(b',') {
                            return None;
                        }
                    }
                }
                Kind::Map(entries)
            }
            b'[' => {
                self.i += 1;
                let mut items = Vec::new();
                if !self.eat(b']') {
                    loop {
                        items.push(self.value(depth + 1)?);
                        if self.eat(b']') {
                            break;
                        }
                        if !self.eat(b',') {
                            return None;
                        }
                    }
                }
                Kind::Seq(items)
            }
            b'"' => {
                // A value is marked whole, its quotes included.
                at = self.string()?;
                Kind::Leaf
            }
            _ => {
                while self.bytes.get(self.i).is_some_and(|b| {
                    !matches!(b, b',' | b']' | b'}' | b' ' | b'\t' | b'\n' | b'\r')
                }) {
                    self.i += 1;
                }
                if self.i == start {
                    return None;
                }
                at = start..self.i;
                Kind::Leaf
            }
        };
        Some(Node {
            at,
            whole: start..self.i,
            kind,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(src: &str, format: Format, path: &str) -> (usize, usize) {
        let r = locate(src, format, path).unwrap();
        line_col(src, r.start)
    }

    #[test]
    fn paths_split_into_segments() {
        assert_eq!(
            parse_path("stages[2].service.mean"),
            vec![
                Segment::Key("stages".into()),
                Segment::Index(2),
                Segment::Key("service".into()),
                Segment::Key("mean".into())
            ]
        );
    }

    #[test]
    fn toml_yaml_json_locate_the_same_key() {
        let toml = "name = \"x\"\n[[stages]]\nname = \"a\"\nworkers = 1\n[[stages]]\nname = \"b\"\nworkers = 0\n";
        assert_eq!(at(toml, Format::Toml, "stages[1].workers"), (7, 1));

        let yaml = "name: x\nstages:\n  - name: a\n    workers: 1\n  - name: b\n    workers: 0\n";
        assert_eq!(at(yaml, Format::Yaml, "stages[1].workers"), (6, 5));

        let json = "{\n \"name\": \"x\",\n \"stages\": [\n  {\"name\": \"a\", \"workers\": 1},\n  {\"name\": \"b\",\n   \"workers\": 0}\n ]\n}\n";
        assert_eq!(at(json, Format::Json, "stages[1].workers"), (6, 4));
    }

    #[test]
    fn toml_inline_table_keys_are_found() {
        let toml = "[[stages]]\nname = \"a\"\nservice = { dist = \"exponential\", mean = -1 }\n";
        assert_eq!(at(toml, Format::Toml, "stages[0].service.mean"), (3, 35));
    }

    #[test]
    fn a_key_is_found_only_inside_its_own_mapping() {
        let yaml = "work:\n  - name: job\n    size: {dist: fixed, value: 2}\n    value: {dist: fixed, value: -5}\n";
        assert_eq!(at(yaml, Format::Yaml, "work[0].value"), (4, 5));
        assert_eq!(at(yaml, Format::Yaml, "work[0].value.value"), (4, 26));
        let json = "{\"work\": [{\"name\": \"job\", \"size\": {\"dist\": \"fixed\", \"value\": 2},\n  \"value\": {\"dist\": \"fixed\", \"value\": -5}}]}";
        assert_eq!(at(json, Format::Json, "work[0].value"), (2, 3));
        assert_eq!(at(json, Format::Json, "work[0].value.value"), (2, 30));
    }

    #[test]
    fn columns_count_characters_not_bytes() {
        let toml = "[[stages]]\nname = \"é☃\"; workers = 0\n";
        let toml = toml.replace("; ", "\n");
        assert_eq!(at(&toml, Format::Toml, "stages[0].workers"), (3, 1));
        let toml = "stages = [{ name = \"é☃\", workers = 0 }]\n";
        assert_eq!(at(toml, Format::Toml, "stages[0].workers"), (1, 26));
        let yaml = "stages:\n  - {name: é☃, workers: 0}\n";
        assert_eq!(at(yaml, Format::Yaml, "stages[0].workers"), (2, 16));
        let json = "{\"stages\": [{\"name\": \"é☃\", \"workers\": 0}]}";
        assert_eq!(at(json, Format::Json, "stages[0].workers"), (1, 28));
    }

    #[test]
    fn json_keys_with_escapes_and_duplicates() {
        let json = "{\"st\\u0061ges\": [{\"workers\": 1, \"workers\": 0}]}";
        assert_eq!(at(json, Format::Json, "stages[0].workers"), (1, 19));
        assert!(locate("{\"a\": [1, 2", Format::Json, "a[0]").is_none());
    }
}
