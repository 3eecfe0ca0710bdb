//! Revisions against an earlier edition of the same pack (`--previous
//! DIR`): every figure of its `tables/*.csv` for a period it already
//! published that differs now. New periods are movement, not revisions,
//! and are not listed.

use std::collections::BTreeMap;
use std::path::Path;

use crate::Error;

/// One revised figure.
#[derive(Debug, Clone, PartialEq)]
pub struct Revision {
    /// Indicator id.
    pub indicator: String,
    /// Area code and name.
    pub area: String,
    /// Period.
    pub period: String,
    /// Column of the results table.
    pub column: String,
    /// Published before.
    pub previous: String,
    /// Now.
    pub current: String,
}

const COMPARED: &[&str] = &[
    "numerator",
    "denominator",
    "expected",
    "value",
    "ci_lower",
    "ci_upper",
    "status",
    "suppressed",
];

type Table = BTreeMap<(String, String), BTreeMap<String, String>>;

/// Parse a results CSV as written by `render_table` (quoted fields allowed).
fn parse_csv(text: &str) -> Table {
    let mut lines = text.lines();
    let Some(header) = lines.next() else {
        return Table::new();
    };
    let cols: Vec<String> = split(header);
    let mut out = Table::new();
    for l in lines {
        let f = split(l);
        let get = |name: &str| {
            cols.iter()
                .position(|c| c == name)
                .and_then(|i| f.get(i).cloned())
                .unwrap_or_default()
        };
        let key = (
            format!("{} {}", get("area_code"), get("area_name")),
            get("period"),
        );
        let vals = COMPARED.iter().map(|c| (c.to_string(), get(c))).collect();
        out.insert(key, vals);
    }
    out
}

fn split(line: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut quoted = false;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match (c, quoted) {
            ('"', true) if chars.peek() == Some(&'"') => {
                cur.push('"');
                chars.next();
            }
            ('"', _) => quoted = !quoted,
            (',', false) => out.push(std::mem::take(&mut cur)),
            _ => cur.push(c),
        }
    }
    out.push(cur);
    out
}

/// Compare the current tables (indicator id -> CSV text) with `previous/tables/`.
pub fn revisions(
    previous: &Path,
    current: &BTreeMap<String, String>,
) -> Result<Vec<Revision>, Error> {
    let dir = previous.join("tables");
    if !dir.is_dir() {
        return Err(Error::Request {
            message: format!(
                "--previous {}: not a pack (no tables/ directory)",
                previous.display()
            ),
        });
    }
    let mut out = Vec::new();
    for (id, text) in current {
        let file = dir.join(format!("{}.csv", super::safe_name(id)));
        let Ok(before) = std::fs::read_to_string(&file) else {
            continue;
        };
        let before = parse_csv(&before);
        let now = parse_csv(text);
        for (key, old) in &before {
            let Some(new) = now.get(key) else { continue };
            for c in COMPARED {
                let (a, b) = (
                    old.get(*c).cloned().unwrap_or_default(),
                    new.get(*c).cloned().unwrap_or_default(),
                );
                if a != b {
                    out.push(Revision {
                        indicator: id.clone(),
                        area: key.0.clone(),
                        period: key.1.clone(),
                        column: c.to_string(),
                        previous: a,
                        current: b,
                    });
                }
            }
        }
    }
    Ok(out)
}
