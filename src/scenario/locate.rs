//! Finding where a key path (`stages[1].workers`) is written in a scenario file.
//!
//! TOML is located exactly through the parser's spans. For YAML and JSON a small scanner
//! follows the path through the text; it is exact for ordinary, one-key-per-line files and
//! otherwise falls back to the nearest enclosing key it can find.

use super::Format;
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

/// 1-based line and column of byte `offset` in `src`.
pub(super) fn line_col(src: &str, offset: usize) -> (usize, usize) {
    let offset = offset.min(src.len());
    let before = &src[..offset];
    let line = before.matches('\n').count() + 1;
    let col = before.rfind('\n').map_or(offset, |nl| offset - nl - 1) + 1;
    (line, col)
}

/// The byte offset where `path` is written, or where its nearest written ancestor is.
pub(super) fn locate(src: &str, format: Format, path: &str) -> Option<usize> {
    let segments = parse_path(path);
    match format {
        Format::Toml => locate_toml(src, &segments),
        Format::Json | Format::Yaml => locate_text(src, format, &segments),
    }
}

fn locate_toml(src: &str, segments: &[Segment]) -> Option<usize> {
    let doc = DeTable::parse(src).ok()?;
    let mut best = None;
    let mut table: Option<&DeTable<'_>> = Some(doc.get_ref());
    let mut value: Option<&DeValue<'_>> = None;
    for seg in segments {
        match seg {
            Segment::Key(k) => {
                let t = match (table, value) {
                    (Some(t), _) => t,
                    (None, Some(DeValue::Table(t))) => t,
                    _ => break,
                };
                let Some((key, v)) = t.iter().find(|(key, _)| key.get_ref().as_ref() == k) else {
                    break;
                };
                best = Some(key.span().start);
                table = None;
                value = Some(v.get_ref());
            }
            Segment::Index(i) => {
                let Some(DeValue::Array(items)) = value else {
                    break;
                };
                let Some(item) = items.get(*i) else { break };
                let span = item.span();
                // An array of tables ([[stages]]) has spans that start at its first key.
                best = Some(span.start);
                table = None;
                value = Some(item.get_ref());
            }
        }
    }
    best
}

fn locate_text(src: &str, format: Format, segments: &[Segment]) -> Option<usize> {
    let mut pos = 0;
    let mut best = None;
    for seg in segments {
        match seg {
            Segment::Key(k) => {
                let found = match format {
                    Format::Json => find_json_key(src, pos, k),
                    _ => find_yaml_key(src, pos, k),
                }?;
                pos = found;
                best = Some(found);
            }
            Segment::Index(i) => {
                let found = match format {
                    Format::Json => find_json_element(src, pos, *i),
                    _ => find_yaml_element(src, pos, *i),
                }?;
                pos = found;
                best = Some(found);
            }
        }
    }
    best
}

fn find_json_key(src: &str, from: usize, key: &str) -> Option<usize> {
    let needle = format!("\"{key}\"");
    let mut at = from;
    while let Some(rel) = src[at..].find(&needle) {
        let start = at + rel;
        let after = src[start + needle.len()..].trim_start();
        if after.starts_with(':') {
            return Some(start);
        }
        at = start + needle.len();
    }
    None
}

/// The start of element `index` of the first JSON array at or after `from`.
fn find_json_element(src: &str, from: usize, index: usize) -> Option<usize> {
    let bytes = src.as_bytes();
    let open = from + src[from..].find('[')?;
    let mut depth = 0usize;
    let mut element = 0usize;
    let mut in_string = false;
    let mut escaped = false;
    let mut i = open + 1;
    let mut element_start = None;
    while i < bytes.len() {
        let c = bytes[i];
        if in_string {
            if escaped {
                escaped = false;
            } else if c == b'\\' {
                escaped = true;
            } else if c == b'"' {
                in_string = false;
            }
        } else {
            if element_start.is_none() && !c.is_ascii_whitespace() && element == index {
                element_start = Some(i);
                return element_start;
            }
            match c {
                b'"' => in_string = true,
                b'[' | b'{' => depth += 1,
                b']' | b'}' if depth == 0 => return None,
                b']' | b'}' => depth -= 1,
                b',' if depth == 0 => element += 1,
                _ => {}
            }
        }
        i += 1;
    }
    None
}

fn find_yaml_key(src: &str, from: usize, key: &str) -> Option<usize> {
    let mut offset = 0;
    for line in src.split_inclusive('\n') {
        let start = offset;
        offset += line.len();
        if offset <= from {
            continue;
        }
        let trimmed = line.trim_start().trim_start_matches("- ").trim_start();
        let key_at = start + (line.len() - trimmed.len());
        for candidate in [key.to_string(), format!("\"{key}\""), format!("'{key}'")] {
            if let Some(rest) = trimmed.strip_prefix(&candidate) {
                if rest.trim_start().starts_with(':') && key_at >= from {
                    return Some(key_at);
                }
            }
        }
        // Flow mappings on one line: `service: { dist: fixed, value: 1 }`.
        if key_at >= from || start >= from {
            if let Some(p) = line.find(&format!(" {key}:")) {
                if start + p + 1 > from {
                    return Some(start + p + 1);
                }
            }
        }
    }
    None
}

/// The start of sequence item `index` (a `- ` line) after `from`.
fn find_yaml_element(src: &str, from: usize, index: usize) -> Option<usize> {
    let mut offset = 0;
    let mut indent = None;
    let mut seen = 0;
    for line in src.split_inclusive('\n') {
        let start = offset;
        offset += line.len();
        if start <= from {
            continue;
        }
        let trimmed = line.trim_start();
        let this_indent = line.len() - trimmed.len();
        if trimmed.starts_with("- ") || trimmed.trim_end() == "-" {
            let level = *indent.get_or_insert(this_indent);
            if this_indent == level {
                if seen == index {
                    return Some(start + this_indent);
                }
                seen += 1;
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

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
        let at = locate(toml, Format::Toml, "stages[1].workers").unwrap();
        assert_eq!(line_col(toml, at), (7, 1));

        let yaml = "name: x\nstages:\n  - name: a\n    workers: 1\n  - name: b\n    workers: 0\n";
        let at = locate(yaml, Format::Yaml, "stages[1].workers").unwrap();
        assert_eq!(line_col(yaml, at), (6, 5));

        let json = "{\n \"name\": \"x\",\n \"stages\": [\n  {\"name\": \"a\", \"workers\": 1},\n  {\"name\": \"b\",\n   \"workers\": 0}\n ]\n}\n";
        let at = locate(json, Format::Json, "stages[1].workers").unwrap();
        assert_eq!(line_col(json, at), (6, 4));
    }

    #[test]
    fn toml_inline_table_keys_are_found() {
        let toml = "[[stages]]\nname = \"a\"\nservice = { dist = \"exponential\", mean = -1 }\n";
        let at = locate(toml, Format::Toml, "stages[0].service.mean").unwrap();
        assert_eq!(line_col(toml, at), (3, 35));
    }
}
