//! Checks of the extract's data that the Parquet footers can answer
//! without reading a data page (`TableFiles::profile`): every table an
//! indicator reads (cohort or events) has rows, its area column is not empty in every row, a
//! column summed as a count, prediction or weight is not negative (nor NaN
//! or infinite: that column's values are read, the footers cannot say), and rows
//! with no person key are counted in a note rather than dropped in silence.

use std::collections::BTreeMap;

use super::ValidIndicator;
use crate::extract::{ExtractError, TableProfile};

/// A note about the data, for the indicators it concerns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DataNote {
    /// The indicators it concerns.
    pub indicators: Vec<String>,
    /// The note.
    pub text: String,
}

/// Run the checks over every source of `valid`; an error for what makes
/// figures wrong, notes for what the figures leave out.
pub fn check_data(valid: &[ValidIndicator]) -> Result<Vec<DataNote>, ExtractError> {
    let mut profiles: BTreeMap<String, TableProfile> = BTreeMap::new();
    let mut profile = |t: &crate::extract::TableFiles| -> Result<TableProfile, ExtractError> {
        if let Some(p) = profiles.get(&t.name) {
            return Ok(p.clone());
        }
        let p = t.profile()?;
        profiles.insert(t.name.clone(), p.clone());
        Ok(p)
    };
    // (table, column) already searched for NaN and infinities
    let mut checked: std::collections::BTreeSet<(String, String)> = Default::default();
    // (table, column) -> (rows without a person, indicators)
    let mut no_person: BTreeMap<(String, String), (u64, Vec<String>)> = BTreeMap::new();
    for v in valid {
        let def = &v.def;
        // an empty event table would count no event in silence, as an
        // empty cohort table would count nobody
        for s in v.sources.values() {
            if profile(&s.table)?.rows == 0 {
                return Err(ExtractError::EmptyTable {
                    table: s.table.name.clone(),
                    path: s.table.path.clone(),
                });
            }
        }
        let Some(src) = v.sources.get(&def.cohort.source) else {
            continue;
        };
        let p = profile(&src.table)?;
        let physical = |name: &str| src.columns.get(name).cloned().unwrap_or(name.to_string());
        let area = physical(&def.cohort.area);
        if p.columns.get(&area).and_then(|c| c.nulls) == Some(p.rows) {
            return Err(ExtractError::AllNull {
                table: src.table.name.clone(),
                column: area,
                rows: p.rows,
                why: format!("it places each row of {} in its area", def.id),
            });
        }
        let mut summed: Vec<(String, &str)> = def
            .measures
            .values()
            .filter_map(|m| m.sum.as_deref())
            .map(|c| (physical(c), "a count or prediction"))
            .collect();
        if let Some(w) = def.interval.as_ref().and_then(|i| i.weight.as_deref()) {
            summed.push((physical(w), "a survey weight"));
        }
        for (column, what) in summed {
            if checked.insert((src.table.name.clone(), column.clone())) {
                src.table.check_finite(&column, what)?;
            }
            if let Some(min) = p.columns.get(&column).and_then(|c| c.min)
                && min < 0.0
            {
                return Err(ExtractError::Negative {
                    table: src.table.name.clone(),
                    column,
                    min,
                    what: what.to_string(),
                });
            }
        }
        let mut persons: Vec<(&crate::validate::ResolvedSource, String)> = Vec::new();
        if let Some(person) = &def.cohort.person {
            persons.push((src, physical(person)));
        }
        for ev in def.events.values() {
            if let Some(es) = v.sources.get(&ev.source) {
                let col = es
                    .columns
                    .get(&ev.person)
                    .cloned()
                    .unwrap_or(ev.person.clone());
                persons.push((es, col));
            }
        }
        for (s, column) in persons {
            let p = profile(&s.table)?;
            if let Some(n) = p.columns.get(&column).and_then(|c| c.nulls)
                && n > 0
            {
                let e = no_person
                    .entry((s.table.name.clone(), column))
                    .or_insert((n, Vec::new()));
                if !e.1.contains(&def.id) {
                    e.1.push(def.id.clone());
                }
            }
        }
    }
    Ok(no_person
        .into_iter()
        .map(|((table, column), (n, ids))| DataNote {
            text: format!(
                "{table}: {n} row{} with no {column}: {} cannot link {} to a person, so a person's first row or events leave {} out",
                if n == 1 { "" } else { "s" },
                ids.join(", "),
                if n == 1 { "it" } else { "them" },
                if n == 1 { "it" } else { "them" },
            ),
            indicators: ids,
        })
        .collect())
}
