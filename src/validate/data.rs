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

/// Refuse a manifest whose `extract_date` comes before a date of the
/// table (from the footers' statistics): no row can be dated after the
/// day the data were drawn, so the manifest is wrong, and every period,
/// baseline and target after it would be refused or left out.
/// Checked before the definitions' rules, which would otherwise blame
/// every baseline and target for the one wrong date.
pub fn check_extract_date(
    extract: &crate::extract::Extract,
    table: &crate::extract::TableFiles,
) -> Result<(), ExtractError> {
    use datafusion::arrow::datatypes::DataType;
    let Some(m) = &extract.manifest else {
        return Ok(());
    };
    if !table
        .schema
        .fields()
        .iter()
        .any(|f| f.data_type() == &DataType::Date32)
    {
        return Ok(());
    }
    let p = table.profile()?;
    let limit = f64::from(crate::period::to_date32(m.extract_date));
    for f in table.schema.fields() {
        if f.data_type() != &DataType::Date32 {
            continue;
        }
        let Some(max) = p.columns.get(f.name()).and_then(|c| c.max) else {
            continue;
        };
        // an implausible date is the data's fault: check_dates names it
        let plausible = f64::from(crate::period::to_date32(crate::period::latest_date()));
        if max > limit && max <= plausible {
            let latest = chrono::NaiveDate::from_ymd_opt(1970, 1, 1)
                .and_then(|e| e.checked_add_signed(chrono::TimeDelta::days(max as i64)))
                .map(|d| d.to_string())
                .unwrap_or_else(|| format!("day {max}"));
            let path = match &extract.location {
                crate::extract::ExtractLocation::Remote(r) => r.url_of("manifest.yaml"),
                crate::extract::ExtractLocation::Local(_) => extract.dir.join("manifest.yaml"),
            };
            return Err(ExtractError::Manifest {
                path,
                message: format!(
                    "extract_date {} is before the data: column `{}` of table `{}` runs to {latest}; give the day the data were drawn (no row is dated after it)",
                    m.extract_date,
                    f.name(),
                    table.name
                ),
            });
        }
    }
    Ok(())
}

/// Refuse a cohort year column (`year:`, a calendar year held as an
/// integer) holding years outside the plausible range, from the footers'
/// statistics: an absurd year would make the periods run without bound.
fn check_year(
    v: &ValidIndicator,
    src: &crate::validate::ResolvedSource,
    p: &TableProfile,
) -> Result<(), ExtractError> {
    use chrono::Datelike;
    let Some(year) = &v.def.cohort.year else {
        return Ok(());
    };
    let column = src.columns.get(year).cloned().unwrap_or(year.clone());
    let (lo, hi) = (
        crate::period::earliest_date().year(),
        crate::period::latest_date().year(),
    );
    match p.columns.get(&column).map(|c| (c.min, c.max)) {
        Some((Some(min), Some(max))) if min < f64::from(lo) || max > f64::from(hi) => {
            Err(ExtractError::YearOutOfRange {
                table: src.table.name.clone(),
                column,
                min,
                max,
                lo,
                hi,
            })
        }
        _ => Ok(()),
    }
}

/// The summed columns of `v` over its cohort's source `src` (profiled as
/// `p`): each finite (searched once per table and column, recorded in
/// `checked`) and never negative.
fn check_summed(
    v: &ValidIndicator,
    src: &crate::validate::ResolvedSource,
    p: &TableProfile,
    checked: &mut std::collections::BTreeSet<(String, String)>,
) -> Result<(), ExtractError> {
    let def = &v.def;
    let physical = |name: &str| src.columns.get(name).cloned().unwrap_or(name.to_string());
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
    Ok(())
}

/// The person columns of `v`, with their sources: the cohort's (over
/// `src`), then each event set's.
fn person_columns<'a>(
    v: &'a ValidIndicator,
    src: &'a crate::validate::ResolvedSource,
) -> Vec<(&'a crate::validate::ResolvedSource, String)> {
    let def = &v.def;
    let mut persons: Vec<(&crate::validate::ResolvedSource, String)> = Vec::new();
    if let Some(person) = &def.cohort.person {
        let col = src
            .columns
            .get(person)
            .cloned()
            .unwrap_or(person.to_string());
        persons.push((src, col));
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
    persons
}

/// Refuse contract columns holding values outside the contract's range
/// ([`crate::contract::plausible_range`]), from the footers' statistics.
fn check_ranges(table: &str, p: &TableProfile) -> Result<(), ExtractError> {
    for (column, c) in &p.columns {
        let Some((lo, hi, what)) = crate::contract::plausible_range(table, column) else {
            continue;
        };
        if let (Some(min), Some(max)) = (c.min, c.max)
            && (min < lo || max > hi)
        {
            return Err(ExtractError::OutOfRange {
                table: table.to_string(),
                column: column.clone(),
                min,
                max,
                lo,
                hi,
                what,
            });
        }
    }
    Ok(())
}

/// Run the checks over every source of `valid`; an error for what makes
/// figures wrong, notes for what the figures leave out.
pub fn check_data(valid: &[&ValidIndicator]) -> Result<Vec<DataNote>, ExtractError> {
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
            let p = profile(&s.table)?;
            if p.rows == 0 {
                return Err(ExtractError::EmptyTable {
                    table: s.table.name.clone(),
                    path: s.table.path.clone(),
                });
            }
            check_ranges(&s.table.name, &p)?;
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
        check_year(v, src, &p)?;
        check_summed(v, src, &p, &mut checked)?;
        for (s, column) in person_columns(v, src) {
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
