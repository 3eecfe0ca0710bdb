//! Revisions against an earlier edition of the same pack (`--previous
//! DIR`): every published figure of its `tables/*.csv` for a period it
//! already covered that differs now, including rows that appeared or
//! disappeared for such a period. Periods the earlier edition did not
//! cover are movement, not revisions, and are not listed.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use crate::render::RenderError;

/// One revised figure.
#[derive(Debug, Clone, PartialEq)]
pub struct Revision {
    /// Indicator id.
    pub indicator: String,
    /// Area code.
    pub area_code: String,
    /// Area name.
    pub area_name: String,
    /// Period.
    pub period: String,
    /// Column of the results table.
    pub column: String,
    /// Published before (empty: no figure).
    pub previous: String,
    /// Now (empty: no figure).
    pub current: String,
}

/// The columns of the results table compared between editions.
pub const COMPARED: &[&str] = &[
    "numerator",
    "denominator",
    "expected",
    "value",
    "ci_lower",
    "ci_upper",
    "status",
    "suppressed",
];

/// (area code, period) -> area name and the compared columns.
type Table = BTreeMap<(String, String), (String, BTreeMap<String, String>)>;

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
        let vals = COMPARED.iter().map(|c| (c.to_string(), get(c))).collect();
        out.insert((get("area_code"), get("period")), (get("area_name"), vals));
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

fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

/// The revisions of one indicator's table.
fn revisions_of(id: &str, before: &Table, now: &Table) -> Vec<Revision> {
    let published: BTreeSet<&str> = before.keys().map(|(_, p)| p.as_str()).collect();
    let keys: BTreeSet<&(String, String)> = before
        .keys()
        .chain(now.keys().filter(|(_, p)| published.contains(p.as_str())))
        .collect();
    let mut out = Vec::new();
    for key in keys {
        let (old, new) = (before.get(key), now.get(key));
        let name = new.or(old).map(|v| v.0.clone()).unwrap_or_default();
        for c in COMPARED {
            let get = |t: Option<&(String, BTreeMap<String, String>)>| {
                t.and_then(|v| v.1.get(*c).cloned()).unwrap_or_default()
            };
            let (a, b) = (get(old), get(new));
            if a != b {
                out.push(Revision {
                    indicator: id.to_string(),
                    area_code: key.0.clone(),
                    area_name: name.clone(),
                    period: key.1.clone(),
                    column: c.to_string(),
                    previous: a,
                    current: b,
                });
            }
        }
    }
    out
}

/// Compare the current tables (indicator id -> CSV text) with `previous/tables/`.
pub fn revisions(
    previous: &Path,
    current: &BTreeMap<String, String>,
) -> Result<Vec<Revision>, RenderError> {
    let dir = previous.join("tables");
    if !dir.is_dir() {
        return Err(crate::request::RequestError::PreviousNotPack {
            path: previous.to_path_buf(),
        }
        .into());
    }
    let mut out = Vec::new();
    for (id, text) in current {
        let file = dir.join(format!("{}.csv", super::safe_name(id)));
        let Ok(before) = std::fs::read_to_string(&file) else {
            continue;
        };
        out.extend(revisions_of(id, &parse_csv(&before), &parse_csv(text)));
    }
    Ok(out)
}

/// `revisions.csv`: one line per revised figure.
pub fn revisions_csv(list: &[Revision]) -> Vec<u8> {
    let mut s = String::from("indicator,area_code,area_name,period,column,previous,current\n");
    for r in list {
        let fields = [
            &r.indicator,
            &r.area_code,
            &r.area_name,
            &r.period,
            &r.column,
            &r.previous,
            &r.current,
        ];
        let line: Vec<String> = fields.iter().map(|f| csv_field(f)).collect();
        s.push_str(&line.join(","));
        s.push('\n');
    }
    s.into_bytes()
}
