//! Checks every YAML file of ours gets before serde sees it: it is a
//! regular file of sane size, its byte-order mark is dropped, nesting is
//! shallow, no mapping repeats a key (serde would keep the last one
//! silently), and no value holds a control character (titles and names
//! reach terminals and packs, where an escape code can clear the screen).
//!
//! The scan is one pass over yaml-rust2's event stream, which stops at the
//! first nesting level over the cap, so a hostile file costs linear time.

use std::collections::HashSet;
use std::io::Read;
use std::path::Path;

use yaml_rust2::parser::{Event, Parser};

/// Largest YAML file read: far above any definition, targets or pack file.
pub const MAX_YAML_BYTES: u64 = 4 << 20;
/// Deepest nesting of mappings and sequences allowed in a YAML file.
pub const MAX_YAML_DEPTH: usize = 32;
/// Problems reported per file before the rest are counted.
const MAX_PROBLEMS: usize = 10;

/// A problem found by the pre-check, at a 1-based line and column.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct YamlProblem {
    /// 1-based line.
    pub line: usize,
    /// 1-based column.
    pub column: usize,
    /// What is wrong.
    pub message: String,
    /// How to fix it.
    pub hint: Option<String>,
}

/// Read a text file that must be a regular file of at most `max` bytes.
/// Anything else (a FIFO, a device, a directory) is refused before it is
/// opened for reading, so a pipe nobody writes to cannot block the run.
pub fn read_regular(path: &Path, max: u64) -> std::io::Result<String> {
    use std::io::{Error, ErrorKind};
    let meta = std::fs::metadata(path)?;
    if !meta.is_file() {
        let what = if meta.is_dir() {
            "a directory"
        } else {
            "not a regular file (a pipe, socket or device)"
        };
        return Err(Error::new(
            ErrorKind::InvalidInput,
            format!("it is not a regular file ({what}): give a regular file"),
        ));
    }
    if meta.len() > max {
        return Err(Error::new(
            ErrorKind::InvalidData,
            format!(
                "it is {} bytes, too large: files here are at most {max} bytes",
                meta.len()
            ),
        ));
    }
    let f = std::fs::File::open(path)?;
    let mut bytes = Vec::new();
    // the file may grow between the check and the read
    f.take(max + 1).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > max {
        return Err(Error::new(
            ErrorKind::InvalidData,
            format!("it is too large: files here are at most {max} bytes"),
        ));
    }
    String::from_utf8(bytes).map_err(|e| {
        Error::new(
            ErrorKind::InvalidData,
            format!(
                "it is not UTF-8 text (invalid byte at offset {}): save it as UTF-8",
                e.utf8_error().valid_up_to()
            ),
        )
    })
}

/// The text without a leading byte-order mark.
pub fn strip_bom(text: &str) -> &str {
    text.strip_prefix('\u{feff}').unwrap_or(text)
}

/// Whether `c` is a control character a value must not hold (tab and line
/// breaks are fine).
pub fn is_forbidden_control(c: char) -> bool {
    (c.is_control() && !matches!(c, '\t' | '\n' | '\r')) || matches!(c, '\u{2028}' | '\u{2029}')
}

/// Scan `text` (BOM already stripped). Syntax errors are left to serde,
/// which reports them with their position.
pub fn precheck(text: &str) -> Result<(), Vec<YamlProblem>> {
    if let Some(p) = flow_depth(text) {
        return Err(vec![p]);
    }
    let mut problems = Problems::default();
    let mut stack: Vec<Frame> = Vec::new();
    let mut parser = Parser::new_from_str(text);
    while let Ok((ev, mark)) = parser.next_token() {
        let at = |message: String, hint: Option<String>| YamlProblem {
            line: mark.line().max(1),
            column: mark.col() + 1,
            message,
            hint,
        };
        let is_key = next_is_key(&mut stack, &ev);
        match ev {
            Event::StreamEnd => break,
            Event::SequenceStart(..) | Event::MappingStart(..) => {
                if stack.len() >= MAX_YAML_DEPTH {
                    problems.push(at(
                        format!("nested more than {MAX_YAML_DEPTH} levels deep"),
                        Some("these files need a few levels at most: check the brackets and indentation".into()),
                    ));
                    break;
                }
                stack.push(if matches!(ev, Event::SequenceStart(..)) {
                    Frame::Seq
                } else {
                    Frame::Map {
                        keys: HashSet::new(),
                        expect_key: true,
                    }
                });
            }
            Event::SequenceEnd | Event::MappingEnd => {
                stack.pop();
            }
            Event::Scalar(value, ..) => {
                if let Some(c) = value.chars().find(|c| is_forbidden_control(*c)) {
                    problems.push(at(
                        format!("control character U+{:04X} in a value", c as u32),
                        Some("remove it: values reach terminals and packs, where control characters garble or clear the screen".into()),
                    ));
                }
                if is_key
                    && let Some(Frame::Map { keys, .. }) = stack.last_mut()
                    && !keys.insert(value.clone())
                {
                    problems.push(at(
                        format!("duplicate key `{value}` in this mapping"),
                        Some("give each key once: YAML keeps only one of them".into()),
                    ));
                }
            }
            _ => {}
        }
    }
    problems.finish()
}

/// An open collection of the YAML being scanned.
enum Frame {
    Seq,
    Map {
        keys: HashSet<String>,
        expect_key: bool,
    },
}

/// Whether the event `ev` is a key of the innermost open mapping: a node
/// in a mapping alternates key, value.
fn next_is_key(stack: &mut [Frame], ev: &Event) -> bool {
    let is_node = matches!(
        ev,
        Event::Scalar(..) | Event::Alias(_) | Event::SequenceStart(..) | Event::MappingStart(..)
    );
    let mut is_key = false;
    if is_node && let Some(Frame::Map { expect_key, .. }) = stack.last_mut() {
        is_key = *expect_key;
        *expect_key = !*expect_key;
    }
    is_key
}

/// The problems of a file: the first `MAX_PROBLEMS`, and a count of the
/// others.
#[derive(Default)]
struct Problems {
    shown: Vec<YamlProblem>,
    more: usize,
}

impl Problems {
    fn push(&mut self, p: YamlProblem) {
        if self.shown.len() < MAX_PROBLEMS {
            self.shown.push(p);
        } else {
            self.more += 1;
        }
    }

    /// The problems, the last one saying how many more were not shown.
    fn finish(mut self) -> Result<(), Vec<YamlProblem>> {
        let more = self.more;
        if more > 0
            && let Some(last) = self.shown.last_mut()
        {
            last.message.push_str(&format!(
                " (and {more} more problems of this file not shown)"
            ));
        }
        if self.shown.is_empty() {
            Ok(())
        } else {
            Err(self.shown)
        }
    }
}

/// A cheap scan for flow nesting (`[[[[...`, `{a: {a: ...`) deeper than
/// the cap, before the YAML scanner, whose cost grows with the square of
/// the flow depth. Brackets inside quoted scalars and comments do not count.
fn flow_depth(text: &str) -> Option<YamlProblem> {
    let mut depth = 0usize;
    let (mut line, mut column) = (1usize, 0usize);
    let mut quote: Option<char> = None;
    let mut comment = false;
    let mut prev = ' ';
    for c in text.chars() {
        column += 1;
        if c == '\n' {
            line += 1;
            column = 0;
            comment = false;
            prev = ' ';
            continue;
        }
        if comment {
            continue;
        }
        match quote {
            Some(q) => {
                if c == q {
                    quote = None;
                }
            }
            None => match c {
                '"' | '\'' if matches!(prev, ' ' | '\t' | ':' | '[' | '{' | ',' | '-') => {
                    quote = Some(c)
                }
                '#' if matches!(prev, ' ' | '\t') => comment = true,
                '[' | '{' => {
                    depth += 1;
                    if depth > MAX_YAML_DEPTH {
                        return Some(YamlProblem {
                            line,
                            column,
                            message: format!("nested more than {MAX_YAML_DEPTH} levels deep"),
                            hint: Some(
                                "these files need a few levels at most: check the brackets".into(),
                            ),
                        });
                    }
                }
                ']' | '}' => depth = depth.saturating_sub(1),
                _ => {}
            },
        }
        prev = c;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_duplicates_controls_and_depth() {
        assert!(precheck("a: 1\nb: [1, 2]\nc: {d: x}\n").is_ok());
        let e = precheck("a: 1\nb: 2\na: 3\n").unwrap_err();
        assert_eq!((e[0].line, e[0].column), (3, 1));
        assert!(e[0].message.contains("duplicate key `a`"));
        let e = precheck("t: \"x\\e[2J\"\n").unwrap_err();
        assert!(e[0].message.contains("U+001B"), "{}", e[0].message);
        let deep = "[".repeat(100_000);
        let e = precheck(&deep).unwrap_err();
        assert!(e[0].message.contains("nested more than 32"));
        // the same key in two mappings is fine
        assert!(precheck("- a: 1\n- a: 2\n").is_ok());
        // a key that is itself a mapping does not shift the key/value order
        assert!(precheck("? [a]\n: 1\nb: 2\n").is_ok());
    }

    #[test]
    fn repeats_are_capped() {
        let text = "a: 1\n".repeat(1000);
        let e = precheck(&text).unwrap_err();
        assert_eq!(e.len(), MAX_PROBLEMS);
        assert!(e[9].message.contains("and 989 more"), "{}", e[9].message);
    }
}
