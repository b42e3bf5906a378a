//! Finding the line of a field path (`firms.sectors[1].growth`) in TOML text.
//!
//! Validation works on the deserialized values, which carry no positions; this
//! walks the span-preserving parse of the same text to put a line on each problem.
//! A path that does not exist in the text (a missing field) resolves to its
//! deepest existing parent.

use toml::de::{DeTable, DeValue};

/// One step of a field path: a table key or an array index.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum Step<'a> {
    Key(&'a str),
    Index(usize),
}

pub(super) fn steps(path: &str) -> Vec<Step<'_>> {
    let mut out = Vec::new();
    for part in path.split('.') {
        let (key, mut rest) = match part.find('[') {
            Some(i) => (&part[..i], &part[i..]),
            None => (part, ""),
        };
        if !key.is_empty() {
            out.push(Step::Key(key));
        }
        while let Some(close) = rest.find(']') {
            if let Ok(i) = rest[1..close].parse() {
                out.push(Step::Index(i));
            }
            rest = &rest[close + 1..];
        }
    }
    out
}

/// 1-based line of the deepest part of `path` found in `text`.
///
/// Parses `text`; to locate many paths in one text, make a [`Locator`] once.
#[cfg(test)]
pub fn line_of(text: &str, path: &str) -> Option<usize> {
    Locator::new(text).line_of(path)
}

/// Locates field paths in one text: the text is parsed once and its line starts
/// indexed once, so each lookup costs the depth of its path (and a binary search),
/// not the length of the text. Validation's time stays linear in the file's size
/// however many problems it reports.
pub struct Locator<'t> {
    root: Option<toml::Spanned<DeTable<'t>>>,
    /// Byte offset of the start of each line.
    line_starts: Vec<usize>,
}

impl<'t> Locator<'t> {
    /// Parses `text` (a text that does not parse locates nothing).
    pub fn new(text: &'t str) -> Locator<'t> {
        let line_starts = std::iter::once(0)
            .chain(text.match_indices('\n').map(|(i, _)| i + 1))
            .collect();
        Locator {
            root: DeTable::parse(text).ok(),
            line_starts,
        }
    }

    /// 1-based line of byte `offset`.
    pub fn line_at(&self, offset: usize) -> usize {
        self.line_starts.partition_point(|&s| s <= offset).max(1)
    }

    /// 1-based line of the deepest part of `path` found in the text.
    pub fn line_of(&self, path: &str) -> Option<usize> {
        self.offset_of(path).map(|o| self.line_at(o))
    }

    fn offset_of(&self, path: &str) -> Option<usize> {
        let root = self.root.as_ref()?;
        let mut offset = None;
        let mut table: Option<&DeTable<'_>> = Some(root.get_ref());
        let mut array: Option<&[toml::Spanned<DeValue<'_>>]> = None;
        for step in steps(path) {
            let value = match (step, table, array) {
                (Step::Key(k), Some(t), _) => match t.get_key_value(k) {
                    Some((key, v)) => {
                        offset = Some(key.span().start);
                        v
                    }
                    None => break,
                },
                (Step::Index(i), _, Some(a)) => match a.get(i) {
                    Some(v) => {
                        offset = Some(v.span().start);
                        v
                    }
                    None => break,
                },
                _ => break,
            };
            table = None;
            array = None;
            match value.get_ref() {
                DeValue::Table(t) => table = Some(t),
                DeValue::Array(a) => array = Some(a),
                _ => {}
            }
        }
        offset
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEXT: &str = "[scenario]\nid = \"x\"\n\n[[regions]]\nid = \"a\"\n\n[[regions]]\nid = \"b\"\nrate = { dist = \"normal\", sd = 1 }\n";

    #[test]
    fn splits_paths() {
        assert_eq!(
            steps("a.b[2].c"),
            vec![
                Step::Key("a"),
                Step::Key("b"),
                Step::Index(2),
                Step::Key("c")
            ]
        );
    }

    #[test]
    fn finds_nested_lines() {
        assert_eq!(line_of(TEXT, "scenario.id"), Some(2));
        assert_eq!(line_of(TEXT, "regions[1].id"), Some(8));
        assert_eq!(line_of(TEXT, "regions[1].rate.sd"), Some(9));
    }

    #[test]
    fn missing_field_falls_back_to_parent() {
        assert_eq!(line_of(TEXT, "regions[1].role"), Some(7));
        assert_eq!(line_of(TEXT, "nothing"), None);
    }
}
