//! Stage 6, the report: everything a run computed and read, as data.
//!
//! A [`Report`] holds no DataFusion session: the catalog, the geography,
//! the coverage and extract dates, each indicator's periods, the typed
//! result rows, the run's notes, and the pack inputs (row and duplicate
//! counts per table, the SQL execution captured, the input files' hashes),
//! all read before rendering begins. A [`PackScope`] is the part of a
//! report one pack shows, with the user's request (region or area, quarter
//! or year) already checked and the LAA and PSA assessments made, so that
//! `render` only arranges figures it is given.

pub mod definition;
mod duplicates;
mod quality;

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

use chrono::{Datelike, NaiveDate};

use crate::assess::{AssessError, LaaLine, PsaRow, ResultRow, laa_report, psa_progress_rows};
use crate::execute::{ExecuteError, Execution, Session};
use crate::geography::{AreaLevel, AreaLookup};
use crate::period::{Period, PeriodSet};
use crate::request::{self, RequestError};
use crate::validate::ValidCatalog;

pub use definition::{
    ChartKind, EXTRACT_KEYS_FILE, LoadedPackDef, PackDefError, PackIndicator, SectionKind,
    load_extract_keys,
};
pub use quality::{GatherCache, PackInputs, PeersUsed, Quality, hex, table_counts};

/// Errors of reading the report's inputs.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    /// A count or duplicate query failed (the extract's fault, as in
    /// execution).
    #[error(transparent)]
    Execute(#[from] ExecuteError),
    /// An input file could not be read for its hash.
    #[error("cannot read {path}")]
    Read {
        /// The file.
        path: std::path::PathBuf,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// A pack definition or `extract-keys.yaml` that cannot be used.
    #[error(transparent)]
    PackDefinition(#[from] PackDefError),
    /// An input object that cannot be read for its hash.
    #[error(transparent)]
    Extract(#[from] crate::extract::ExtractError),
    /// `--strict`, and the extract has data-quality findings.
    #[error(
        "--strict: the extract has {} data-quality finding{}:\n  - {}\nfix the extract, or run without --strict to compute with them as notes",
        findings.len(),
        if findings.len() == 1 { "" } else { "s" },
        findings.join("\n  - ")
    )]
    Strict {
        /// Each finding, naming its table and column.
        findings: Vec<String>,
    },
    /// The area or period of a pack that the data cannot answer.
    #[error(transparent)]
    Request(#[from] RequestError),
    /// A statistic refused an area's figures while making its LAA lines.
    #[error(transparent)]
    Assess(#[from] AssessError),
}

/// Everything a run computed and read, with no session inside.
#[derive(Debug, Clone)]
pub struct Report {
    /// The validated catalog.
    pub catalog: Arc<ValidCatalog>,
    /// The area lookup.
    pub areas: AreaLookup,
    /// First day covered by the extract.
    pub coverage_start: NaiveDate,
    /// The extract date.
    pub extract_date: NaiveDate,
    /// Periods per indicator: computed and not yet available.
    pub periods: BTreeMap<String, PeriodSet>,
    /// Assessed result rows.
    pub rows: Vec<ResultRow>,
    /// Counts, SQL and hashes for the pack's manifest and quality section.
    pub inputs: PackInputs,
    /// The most similar groups the rows were compared with, if any.
    pub peers: Option<crate::peers::PeerGroups>,
}

impl Report {
    /// Read what a pack of `ids` needs (counts and duplicates per table
    /// through `session`, file hashes) and keep the run's results: the
    /// last step that touches the extract.
    pub async fn gather(
        session: &Session,
        execution: &Execution,
        rows: &[ResultRow],
        ids: &[String],
        data_dir: &Path,
        def: &LoadedPackDef,
        cache: &GatherCache,
    ) -> Result<Report, ReportError> {
        let inputs =
            quality::gather_pack_inputs(session, execution, ids, data_dir, def, cache).await?;
        Ok(Report {
            catalog: session.catalog.clone(),
            areas: session.areas.clone(),
            coverage_start: session.coverage_start,
            extract_date: session.extract_date,
            periods: execution.periods.clone(),
            rows: rows.to_vec(),
            inputs,
            peers: None,
        })
    }

    /// Check `--quarter` against this report's extract (inside the data, ended).
    pub fn quarter(&self, text: &str) -> Result<Period, RequestError> {
        request::quarter(text, self.coverage_start, self.extract_date)
    }

    /// Check `--year` of `area`'s LAA report: a financial year the area
    /// has targets for, started by the extract date.
    pub fn laa_year(&self, area: &str, text: &str) -> Result<Period, RequestError> {
        let y = request::financial_year(text)?;
        let years = self.catalog.laa_target_years(area);
        request::target_year(y, &years, area, None)?;
        request::year_started(y, self.extract_date)
    }

    /// The DOM pack of `region` at `quarter`: the region checked, the LAA
    /// lines of its LAs with targets that year, and PSA progress.
    pub fn dom_scope(&self, region: &str, quarter: Period) -> Result<PackScope, ReportError> {
        let region_name = request::region(&self.areas, region)?;
        let as_at = quarter.end();
        let rows = rows_to(&self.rows, as_at);
        let las = self.las_of(region);
        let fy = match quarter {
            Period::Quarter { fy, .. } => Period::FinancialYear(fy),
            p => p,
        };
        let mut laa = BTreeMap::new();
        for (code, _) in &las {
            if self.catalog.laa_target_years(code).contains(&fy) {
                laa.insert(code.clone(), laa_report(&self.catalog, &rows, code, fy)?);
            }
        }
        let psa = self.psa_progress(&rows, fy, as_at);
        Ok(PackScope {
            level: AreaLevel::Region,
            code: region.to_string(),
            name: region_name.clone(),
            region_code: region.to_string(),
            region_name,
            period: quarter,
            rows,
            las,
            laa,
            psa,
        })
    }

    /// Every region's code, sorted.
    pub fn regions(&self) -> Vec<String> {
        self.areas.regions().into_keys().collect()
    }

    /// The DOM packs of every region at `quarter`, by region code.
    pub fn dom_scopes_all(&self, quarter: Period) -> Result<Vec<PackScope>, ReportError> {
        self.areas
            .regions()
            .into_keys()
            .map(|r| self.dom_scope(&r, quarter))
            .collect()
    }

    /// The LAA target report of `area` for financial year `year`: the area
    /// checked and its LAA lines.
    pub fn laa_scope(&self, area: &str, year: Period) -> Result<PackScope, ReportError> {
        let la = request::area(&self.areas, area)?;
        let as_at = year.end();
        let rows = rows_to(&self.rows, as_at);
        let las = self.las_of(&la.region_code);
        let mut laa = BTreeMap::new();
        laa.insert(
            area.to_string(),
            laa_report(&self.catalog, &rows, area, year)?,
        );
        Ok(PackScope {
            level: AreaLevel::La,
            code: la.code.clone(),
            name: la.name.clone(),
            region_code: la.region_code.clone(),
            region_name: la.region_name.clone(),
            period: year,
            rows,
            las,
            laa,
            psa: Vec::new(),
        })
    }

    /// Check `--year` of the national strategy report: a financial year
    /// that ends inside the extract and has ended by the extract date.
    pub fn strategy_year(&self, text: &str) -> Result<Period, RequestError> {
        request::strategy_year(text, self.coverage_start, self.extract_date)
    }

    /// The national drug strategy report for financial year `year`:
    /// England and Wales is the focus, the regions stand where a DOM pack
    /// has its LAs (by name), with PSA progress from 2008-09 to `year`.
    pub fn strategy_scope(&self, year: Period) -> PackScope {
        use crate::geography::{NATIONAL_CODE, NATIONAL_NAME};
        let as_at = year.end();
        let rows = rows_to(&self.rows, as_at);
        let mut regions: Vec<(String, String)> = self.areas.regions().into_iter().collect();
        regions.sort_by(|a, b| (&a.1, &a.0).cmp(&(&b.1, &b.0)));
        let psa = self.psa_progress(&rows, year, as_at);
        PackScope {
            level: AreaLevel::National,
            code: NATIONAL_CODE.to_string(),
            name: NATIONAL_NAME.to_string(),
            region_code: NATIONAL_CODE.to_string(),
            region_name: NATIONAL_NAME.to_string(),
            period: year,
            rows,
            las: regions,
            laa: BTreeMap::new(),
            psa,
        }
    }

    /// PSA progress rows of the financial years from 2008-09 (the PSAs'
    /// first) to `year` (the year of `as_at` when `year` is not a
    /// financial year).
    fn psa_progress(&self, rows: &[ResultRow], year: Period, as_at: NaiveDate) -> Vec<PsaRow> {
        let fy_start = match year {
            Period::FinancialYear(y) => y,
            _ => as_at.year(),
        };
        psa_progress_rows(&self.catalog, rows)
            .into_iter()
            .filter(|r| match r.period {
                Period::FinancialYear(y) => (2008..=fy_start).contains(&y),
                _ => false,
            })
            .collect()
    }

    /// The LAs of `region` (code, name), by name.
    fn las_of(&self, region: &str) -> Vec<(String, String)> {
        let mut las: Vec<(String, String)> = self
            .areas
            .in_region(region)
            .map(|a| (a.code.clone(), a.name.clone()))
            .collect();
        las.sort_by(|a, b| (&a.1, &a.0).cmp(&(&b.1, &b.0)));
        las
    }
}

/// What one pack is about, checked, with the assessments it shows.
#[derive(Debug, Clone)]
pub struct PackScope {
    /// Region (DOM pack) or LA (LAA pack).
    pub level: AreaLevel,
    /// The area's code.
    pub code: String,
    /// The area's name.
    pub name: String,
    /// Its region's code (itself for a region).
    pub region_code: String,
    /// Its region's name.
    pub region_name: String,
    /// The quarter (DOM) or financial year (LAA) of the pack.
    pub period: Period,
    /// The report's rows ending by the end of `period`.
    pub rows: Vec<ResultRow>,
    /// The region's LAs (code, name), by name.
    pub las: Vec<(String, String)>,
    /// LAA lines per LA code (LAs with targets that year).
    pub laa: BTreeMap<String, Vec<LaaLine>>,
    /// PSA progress rows up to the pack's year (DOM packs).
    pub psa: Vec<PsaRow>,
}

/// Rows ending on or before `as_at`.
pub fn rows_to(rows: &[ResultRow], as_at: NaiveDate) -> Vec<ResultRow> {
    rows.iter()
        .filter(|r| r.period.end() <= as_at)
        .cloned()
        .collect()
}
