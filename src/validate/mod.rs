//! Stage 2, validation: check every definition against the language's
//! rules and the extract's schemas, reporting every problem at once with
//! `file:line:column`, the YAML path and a hint; on success, resolve each
//! definition into a [`ValidIndicator`] the planner can compile without
//! further checks.

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

pub use resolve::source_schema;

/// Errors of the validation stage.
#[derive(Debug, thiserror::Error)]
pub enum ValidateError {
    /// One or more definitions break the rules; every problem is listed.
    #[error("{}\n{} problem(s) found", render_diagnostics(.0), .0.len())]
    Invalid(Vec<Diagnostic>),
    /// The extract could not be read.
    #[error(transparent)]
    Extract(#[from] ExtractError),
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

/// The result of validating a catalog.
#[derive(Debug, Clone)]
pub struct ValidCatalog {
    /// The valid indicators, in file order.
    pub indicators: Vec<ValidIndicator>,
    /// The catalog they came from.
    pub catalog: Catalog,
    /// The geography lookup table.
    pub geography: TableFiles,
}

impl ValidCatalog {
    /// Find an indicator by id.
    pub fn get(&self, id: &str) -> Option<&ValidIndicator> {
        self.indicators.iter().find(|i| i.def.id == id)
    }
}

/// Stage entry point: validate every definition of `catalog` against `extract`.
pub fn validate(catalog: Catalog, extract: &Extract) -> Result<ValidCatalog, ValidateError> {
    let mut diags = Vec::new();
    let geography = extract.table(&catalog.geography.table)?;
    let mut valid = Vec::new();
    for ind in &catalog.indicators {
        match resolve::resolve(ind, extract, &geography, &mut diags) {
            Some(v) => valid.push(v),
            None => continue,
        }
    }
    rules::check_catalog(&catalog, &geography, &mut diags);
    if !diags.is_empty() {
        return Err(ValidateError::Invalid(diags));
    }
    Ok(ValidCatalog {
        indicators: valid,
        catalog,
        geography,
    })
}
