//! The story library: workshop scenarios built into the binary (and shipped in `scenarios/`),
//! each with a header that gives the question to ask the room, the lesson the model shows, the
//! one knob to try live, and the sources of its numbers.
//!
//! The header is the file's first comment lines, in this form (the story's text is the single
//! source, so the listing can never drift from the file):
//!
//! ```text
//! # Question: <one line>
//! # Lesson: <text, continued on lines that start with "#   ">
//! # Try: <a command>
//! ```

/// One story: a scenario file and its header.
#[derive(Clone, Copy, Debug)]
pub struct Story {
    /// The name users give (`valueflow demo --scenario NAME`).
    pub name: &'static str,
    /// Its file in `scenarios/`.
    pub file: &'static str,
    /// The file's text, comments included.
    pub text: &'static str,
}

/// The library, in the order of a workshop.
pub const STORIES: &[Story] = &[
    Story {
        name: "flagship",
        file: "outcomes.toml",
        text: include_str!("../../scenarios/outcomes.toml"),
    },
    Story {
        name: "wip-limits",
        file: "wip-limits.toml",
        text: include_str!("../../scenarios/wip-limits.toml"),
    },
    Story {
        name: "debt-spiral",
        file: "debt-spiral.toml",
        text: include_str!("../../scenarios/debt-spiral.toml"),
    },
    Story {
        name: "release-train",
        file: "release-train.toml",
        text: include_str!("../../scenarios/release-train.toml"),
    },
    Story {
        name: "one-more-person",
        file: "one-more-person.toml",
        text: include_str!("../../scenarios/one-more-person.toml"),
    },
    Story {
        name: "closing-the-loop",
        file: "closing-the-loop.toml",
        text: include_str!("../../scenarios/closing-the-loop.toml"),
    },
    Story {
        name: "key-results",
        file: "key-results.toml",
        text: include_str!("../../scenarios/key-results.toml"),
    },
    Story {
        name: "expedite",
        file: "expedite.toml",
        text: include_str!("../../scenarios/expedite.toml"),
    },
];

/// The story named `name`.
pub fn story(name: &str) -> Option<&'static Story> {
    STORIES.iter().find(|s| s.name == name)
}

/// Every story's name, for messages.
pub fn names() -> String {
    STORIES
        .iter()
        .map(|s| s.name)
        .collect::<Vec<_>>()
        .join(", ")
}

impl Story {
    /// The header field `key` (`Question`, `Lesson`, `Try`), its continuation lines joined.
    pub fn field(&self, key: &str) -> Option<String> {
        let prefix = format!("# {key}:");
        let mut lines = self.text.lines();
        let first = lines.find_map(|l| l.strip_prefix(prefix.as_str()))?;
        let mut out = first.trim().to_string();
        for l in lines {
            match l.strip_prefix("#   ") {
                Some(more) => {
                    out.push(' ');
                    out.push_str(more.trim());
                }
                None => break,
            }
        }
        Some(out)
    }

    /// The question to ask the room.
    pub fn question(&self) -> String {
        self.field("Question").unwrap_or_default()
    }

    /// The lesson, in full.
    pub fn lesson(&self) -> String {
        self.field("Lesson").unwrap_or_default()
    }

    /// The lesson's first sentence, for a listing.
    pub fn lesson_in_brief(&self) -> String {
        let lesson = self.lesson();
        match lesson.find(". ") {
            Some(i) => lesson[..=i].to_string(),
            None => lesson,
        }
    }

    /// The command to try live.
    pub fn try_line(&self) -> Option<String> {
        self.field("Try")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_story_has_its_header_and_reads() {
        for s in STORIES {
            assert!(s.question().ends_with('?'), "{}: {}", s.name, s.question());
            assert!(s.lesson().len() > 40, "{}", s.name);
            assert!(
                s.try_line().is_some_and(|t| t.starts_with("valueflow ")),
                "{}",
                s.name
            );
            let sc = super::super::parse(s.text, super::super::Format::Toml, s.file)
                .unwrap_or_else(|e| panic!("{}: {e}", s.name));
            assert!(!sc.name.is_empty());
        }
        assert!(story("flagship").is_some() && story("nope").is_none());
        let names: std::collections::HashSet<_> = STORIES.iter().map(|s| s.name).collect();
        assert_eq!(names.len(), STORIES.len());
    }

    #[test]
    fn fields_join_their_continuation_lines() {
        let s = Story {
            name: "x",
            file: "x.toml",
            text: "# Question: Why?\n# Lesson: One. Two\n#   three.\n# Try: valueflow run x\n#\nname = \"x\"\n",
        };
        assert_eq!(s.question(), "Why?");
        assert_eq!(s.lesson(), "One. Two three.");
        assert_eq!(s.lesson_in_brief(), "One.");
        assert_eq!(s.try_line().as_deref(), Some("valueflow run x"));
    }
}
