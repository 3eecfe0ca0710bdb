//! Where each value of a YAML document sits, by YAML path (`cohort.filter`,
//! `grains[1]`), so that validation can report `file:line:column` for a
//! problem found long after deserialisation. The only module besides
//! `load.rs` that knows about the YAML crates.

use std::collections::HashMap;

use yaml_rust2::parser::{Event, MarkedEventReceiver, Parser};
use yaml_rust2::scanner::{Marker, TScalarStyle};

/// A position in a source file, 1-based line and column.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default)]
pub struct Position {
    /// 1-based line.
    pub line: usize,
    /// 1-based column.
    pub column: usize,
}

/// The layout of a scalar, needed to map an offset inside its text to a
/// position in the file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScalarLayout {
    /// Text starts at the recorded position (plain scalar).
    Plain,
    /// Text starts one column after the recorded position (quoted).
    Quoted,
    /// Text starts on the next line (`|` or `>` block scalar), indented.
    Block,
    /// A mapping or sequence, not a scalar.
    Collection,
}

/// Positions of every node of one YAML document, keyed by YAML path.
#[derive(Debug, Clone, Default)]
pub struct PositionIndex {
    nodes: HashMap<String, (Position, ScalarLayout)>,
    keys: HashMap<String, Position>,
}

impl PositionIndex {
    /// Index `text`. Unparsable YAML gives an empty index (serde reports the
    /// syntax error with its own position).
    pub fn build(text: &str) -> PositionIndex {
        let mut recv = Receiver::default();
        let mut parser = Parser::new_from_str(text);
        let _ = parser.load(&mut recv, false);
        recv.index
    }

    /// Position of the value at `path`, or of its nearest indexed ancestor.
    pub fn value(&self, path: &str) -> Position {
        let mut p = path.to_string();
        loop {
            if let Some((pos, _)) = self.nodes.get(&p) {
                return *pos;
            }
            match parent(&p) {
                Some(q) => p = q,
                None => return Position { line: 1, column: 1 },
            }
        }
    }

    /// Position of the key of the mapping entry at `path` (falls back to the value).
    pub fn key(&self, path: &str) -> Position {
        self.keys
            .get(path)
            .copied()
            .unwrap_or_else(|| self.value(path))
    }

    /// Position of the character at byte `offset` (line, column within the
    /// text, both 0-based) inside the scalar at `path`.
    pub fn inside(&self, path: &str, line0: usize, col0: usize) -> Position {
        match self.nodes.get(path) {
            Some((pos, ScalarLayout::Plain)) if line0 == 0 => Position {
                line: pos.line,
                column: pos.column + col0,
            },
            Some((pos, ScalarLayout::Quoted)) if line0 == 0 => Position {
                line: pos.line,
                column: pos.column + 1 + col0,
            },
            // the parser marks a block scalar at its first content line
            // and indentation, so lines and columns inside it add directly
            Some((pos, ScalarLayout::Block)) => Position {
                line: pos.line + line0,
                column: pos.column + col0,
            },
            Some((pos, _)) => Position {
                line: pos.line + line0,
                column: pos.column,
            },
            None => self.value(path),
        }
    }
}

fn parent(path: &str) -> Option<String> {
    if path.is_empty() {
        return None;
    }
    let cut = path.rfind(['.', '[']).unwrap_or(0);
    Some(path[..cut].to_string())
}

#[derive(Debug)]
enum Frame {
    Map { path: String, key: Option<String> },
    Seq { path: String, next: usize },
}

#[derive(Default)]
struct Receiver {
    stack: Vec<Frame>,
    index: PositionIndex,
}

impl Receiver {
    /// The path of the node that starts now, consuming the pending key or
    /// sequence slot. `None` when this node is a mapping key.
    fn next_path(&mut self, mark: Marker) -> Option<String> {
        match self.stack.last_mut() {
            None => Some(String::new()),
            Some(Frame::Seq { path, next }) => {
                let p = format!("{path}[{next}]");
                *next += 1;
                Some(p)
            }
            Some(Frame::Map { path, key }) => match key.take() {
                Some(k) => Some(if path.is_empty() {
                    k
                } else {
                    format!("{path}.{k}")
                }),
                None => {
                    let _ = mark;
                    None
                }
            },
        }
    }
}

fn pos(mark: Marker) -> Position {
    Position {
        line: mark.line(),
        column: mark.col() + 1,
    }
}

impl MarkedEventReceiver for Receiver {
    fn on_event(&mut self, ev: Event, mark: Marker) {
        match ev {
            Event::Scalar(text, style, ..) => match self.next_path(mark) {
                Some(path) => {
                    let layout = match style {
                        TScalarStyle::SingleQuoted | TScalarStyle::DoubleQuoted => {
                            ScalarLayout::Quoted
                        }
                        TScalarStyle::Literal | TScalarStyle::Folded => ScalarLayout::Block,
                        _ => ScalarLayout::Plain,
                    };
                    self.index.nodes.insert(path, (pos(mark), layout));
                }
                None => {
                    if let Some(Frame::Map { path, key }) = self.stack.last_mut() {
                        let full = if path.is_empty() {
                            text.clone()
                        } else {
                            format!("{path}.{text}")
                        };
                        self.index.keys.insert(full, pos(mark));
                        *key = Some(text);
                    }
                }
            },
            Event::MappingStart(..) | Event::SequenceStart(..) => {
                let path = self.next_path(mark).unwrap_or_default();
                self.index
                    .nodes
                    .insert(path.clone(), (pos(mark), ScalarLayout::Collection));
                self.stack.push(if matches!(ev, Event::MappingStart(..)) {
                    Frame::Map { path, key: None }
                } else {
                    Frame::Seq { path, next: 0 }
                });
            }
            Event::MappingEnd | Event::SequenceEnd => {
                self.stack.pop();
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_nested_values_and_keys() {
        let yaml = "id: X\ncohort:\n  source: tests\n  filter: \"a = 1\"\ngrains: [quarter, financial_year]\n";
        let idx = PositionIndex::build(yaml);
        assert_eq!(idx.value("id"), Position { line: 1, column: 5 });
        assert_eq!(
            idx.value("cohort.source"),
            Position {
                line: 3,
                column: 11
            }
        );
        assert_eq!(idx.key("cohort.filter"), Position { line: 4, column: 3 });
        assert_eq!(
            idx.value("grains[1]"),
            Position {
                line: 5,
                column: 19
            }
        );
        // inside the quoted filter, offset 4 is the `1`
        assert_eq!(
            idx.inside("cohort.filter", 0, 4),
            Position {
                line: 4,
                column: 16
            }
        );
        // unknown paths fall back to the nearest ancestor
        assert_eq!(idx.value("cohort.nope").line, 3);
    }
}
