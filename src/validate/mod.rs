//! Stage 2, validation: check every definition against the language's
//! rules and the extract's schemas, reporting every problem at once with
//! `file:line:column`, the YAML path and a hint; on success, resolve each
//! definition into a [`ValidIndicator`] the planner can compile without
//! further checks.

pub(crate) mod areas;
pub mod calendar;
pub mod data;
pub mod expr;
mod resolve;
mod rules;

use std::collections::BTreeMap;
use std::path::PathBuf;

use datafusion::arrow::datatypes::SchemaRef;
use datafusion::logical_expr::Expr;

use crate::definition::{Catalog, Diagnostic, IndicatorDef, render_diagnostics};
use crate::extract::{Extract, ExtractError, TableFiles};
use crate::period::Period;

/// Errors of the validation stage.
#[derive(Debug, thiserror::Error)]
pub enum ValidateError {
    /// One or more definitions break the rules; every problem is listed.
    #[error("{}\n{} problem(s) found", render_diagnostics(.0), .0.len())]
    Invalid(Vec<Diagnostic>),
    /// The extract could not be read.
    #[error(transparent)]
    Extract(#[from] ExtractError),
    /// The geography table's rows are unusable (no code, a duplicate LA,
    /// a control character, no rows).
    #[error("geography table {table}: {message}")]
    Geography {
        /// The table.
        table: String,
        /// What is wrong, and the fix.
        message: String,
    },
}

impl ValidateError {
    /// The diagnostics, when definitions are invalid.
    pub fn diagnostics(&self) -> &[Diagnostic] {
        match self {
            ValidateError::Invalid(d) => d,
            _ => &[],
        }
    }
}

/// A source resolved against the extract.
#[derive(Debug, Clone)]
pub struct ResolvedSource {
    /// The extract table.
    pub table: TableFiles,
    /// Definition name -> extract column name, for every column of the table.
    pub columns: BTreeMap<String, String>,
    /// The schema as the definition sees it (definition names).
    pub schema: SchemaRef,
}

/// An indicator that passed validation, with its expressions parsed.
#[derive(Debug, Clone)]
pub struct ValidIndicator {
    /// The definition.
    pub def: IndicatorDef,
    /// The file it came from.
    pub file: PathBuf,
    /// Sources by name.
    pub sources: BTreeMap<String, ResolvedSource>,
    /// Cohort filter (may reference `period_start`, `period_end`).
    pub cohort_filter: Option<Expr>,
    /// Event filters by event set.
    pub event_filters: BTreeMap<String, Expr>,
    /// Measure conditions by measure.
    pub measure_wheres: BTreeMap<String, Expr>,
    /// First-per-person ordering: (column, descending).
    pub order_by: Vec<(String, bool)>,
    /// Baseline period, when set.
    pub baseline: Option<Period>,
    /// Target period, when set.
    pub target_period: Option<Period>,
}

impl ValidIndicator {
    /// The baseline period for rows of `grain`: the definition's baseline,
    /// or for rolling 12 months the rolling quarter that equals a
    /// financial-year baseline.
    pub fn baseline_for(&self, grain: crate::period::Grain) -> Option<crate::period::Period> {
        use crate::period::{Grain, Period};
        let b = self.baseline?;
        match (b, grain) {
            (p, g) if p.grain() == g => Some(p),
            (Period::FinancialYear(fy), Grain::RollingQuarter) => {
                Some(Period::RollingQuarter { fy, q: 4 })
            }
            _ => None,
        }
    }
}

/// The result of validating a catalog.
#[derive(Debug, Clone)]
pub struct ValidCatalog {
    /// The valid indicators, in file order.
    pub indicators: Vec<ValidIndicator>,
    /// The catalog they came from.
    pub catalog: Catalog,
    /// The geography lookup table.
    pub geography: TableFiles,
    /// Notes on the extract's data (rows with no person key, ...).
    pub notes: Vec<data::DataNote>,
    /// The area lookup, read from the geography table once, here.
    pub areas: crate::geography::AreaLookup,
}

impl ValidCatalog {
    /// Find an indicator by id.
    pub fn get(&self, id: &str) -> Option<&ValidIndicator> {
        self.indicators.iter().find(|i| i.def.id == id)
    }

    /// The catalog's LAA targets (none without `laa-targets.yaml`).
    pub fn laa_targets(&self) -> &[crate::definition::LaaTargetDef] {
        self.catalog
            .targets
            .as_ref()
            .map(|t| t.value.as_slice())
            .unwrap_or(&[])
    }

    /// The financial years `area` has LAA targets for, in order.
    pub fn laa_target_years(&self, area: &str) -> Vec<Period> {
        let mut years: Vec<Period> = self
            .catalog
            .targets
            .iter()
            .flat_map(|t| t.value.iter())
            .filter(|t| t.area == area)
            .flat_map(|t| t.targets.keys())
            .filter_map(|k| match k.parse::<Period>() {
                Ok(p @ Period::FinancialYear(_)) => Some(p),
                _ => None,
            })
            .collect();
        years.sort();
        years.dedup();
        years
    }

    /// The areas with LAA targets for financial year `year`, sorted by code.
    pub fn laa_areas(&self, year: Period) -> Vec<String> {
        let mut areas: Vec<String> = self
            .catalog
            .targets
            .iter()
            .flat_map(|t| t.value.iter())
            .map(|t| t.area.clone())
            .collect();
        areas.sort();
        areas.dedup();
        areas.retain(|a| self.laa_target_years(a).contains(&year));
        areas
    }
}

/// The area lookup, read once, at validation: the LAA targets' areas are
/// checked against it, and execution takes it as it is. First whether
/// the geography's columns are right (else every target's area would be
/// reported unknown: the one cause is enough, and the lookup is not read).
/// A lookup that cannot be read is the error, unless the definitions have
/// problems of their own: theirs are reported first.
fn area_lookup(
    catalog: &Catalog,
    geography: &TableFiles,
    diags: &mut Vec<Diagnostic>,
) -> Result<(bool, Option<crate::geography::AreaLookup>), ValidateError> {
    let before = diags.len();
    rules::geography_columns(catalog, geography, diags);
    if diags.len() > before {
        return Ok((false, None));
    }
    match areas::read_areas(geography, &catalog.geography) {
        Ok(a) => Ok((true, Some(a))),
        Err(e) if diags.is_empty() => Err(e),
        Err(_) => Ok((true, None)),
    }
}

/// Every table read once: dates outside the plausible range are refused
/// here, naming table, column and rows, not mid-run by the engine.
fn check_all_dates(valid: &[ValidIndicator], geography: &TableFiles) -> Result<(), ValidateError> {
    let mut seen = std::collections::BTreeSet::new();
    for t in valid
        .iter()
        .flat_map(|v| v.sources.values().map(|s| &s.table))
        .chain(std::iter::once(geography))
    {
        if seen.insert(t.name.clone()) {
            t.check_dates()?;
        }
    }
    Ok(())
}

/// Stage entry point: validate every definition of `catalog` against `extract`.
pub fn validate(catalog: Catalog, extract: &Extract) -> Result<ValidCatalog, ValidateError> {
    validate_for(catalog, extract, &[])
}

/// [`validate`] for a run of the indicators `ids` (all when empty): every
/// definition is still checked against the extract's schemas and the
/// catalog's rules, but the checks of the extract's values (empty tables,
/// NaN and negative sums, years out of range: [`data::check_data`], which
/// reads columns) cover only the sources of the indicators the run
/// computes, as those are the only figures they can make wrong.
pub fn validate_for(
    catalog: Catalog,
    extract: &Extract,
    ids: &[String],
) -> Result<ValidCatalog, ValidateError> {
    let mut diags = Vec::new();
    let geo_file = catalog.dir.join(crate::definition::GEOGRAPHY_FILE_NAME);
    let geography = match extract.table(&catalog.geography.table) {
        Ok(g) => g,
        Err(e) if geo_file.exists() => {
            return Err(ValidateError::Invalid(vec![Diagnostic {
                file: geo_file.display().to_string(),
                line: 1,
                column: 1,
                path: "table".into(),
                message: e.to_string(),
                hint: Some("name a table of the data directory, e.g. `table: areas`".into()),
            }]));
        }
        Err(e) => return Err(e.into()),
    };
    let mut valid = Vec::new();
    for ind in &catalog.indicators {
        match resolve::resolve(ind, extract, &geography, &mut diags) {
            Some(v) => valid.push(v),
            None => continue,
        }
    }
    if diags.is_empty() {
        let mut seen = std::collections::BTreeSet::new();
        for t in valid
            .iter()
            .flat_map(|v| v.sources.values().map(|s| &s.table))
        {
            if seen.insert(t.name.clone()) {
                data::check_extract_date(extract, t)?;
            }
        }
    }
    let (columns_ok, areas) = area_lookup(&catalog, &geography, &mut diags)?;
    rules::check_catalog(
        &catalog,
        &geography,
        columns_ok.then_some(areas.as_ref()),
        &mut diags,
    );
    let areas = match areas {
        Some(a) if diags.is_empty() => a,
        _ => return Err(ValidateError::Invalid(diags)),
    };
    check_all_dates(&valid, &geography)?;
    let wanted: Vec<&ValidIndicator> = valid
        .iter()
        .filter(|v| ids.is_empty() || ids.contains(&v.def.id))
        .collect();
    let notes = data::check_data(&wanted)?;
    Ok(ValidCatalog {
        areas,
        indicators: valid,
        catalog,
        geography,
        notes,
    })
}
