//! # pireport
//!
//! Turns record-level criminal-justice and drug-treatment extracts into
//! performance reports against the UK's 2008-11 Public Service Agreements
//! and the National Indicators behind them.
//!
//! The library is the pipeline, one stage per module, each entry point
//! named after the conversion it does:
//!
//! ```text
//! load_definitions -> validate -> plan_indicator -> execute -> assess -> render
//! (definition)        (validate)  (plan)            (execute)  (assess)  (render)
//! ```
//!
//! See `docs/architecture.md` for the data flow and `indicators/README.md`
//! for the indicator language.
//!
//! # The API
//!
//! The stages are internal (`pub(crate)`); what is public is what a caller
//! of the library needs, in four parts.
//!
//! - **One function per command**, each from paths and what the user asked
//!   for to data: [`load_and_validate`] (`validate`), [`compute_on`] /
//!   [`compute`] (`compute`: a [`Run`] with its typed [`ResultRow`]s),
//!   [`laa_on`] (`laa`: a [`LaaOutcome`]), [`explain_on`] (`explain`: an
//!   [`Explained`] plan), [`pack_on`] (`pack`: a [`PackRequest`] with
//!   [`PackSettings`]), [`peer_groups`] (`peers`) and
//!   [`generate::generate`] (`generate`). Every one returns [`Error`], whose
//!   [`Error::fault`] says whose fault it is ([`Fault`]); choosing an exit
//!   code from it is the caller's business.
//! - **The data they return and the writers that format it**: [`ResultRow`]
//!   and its typed [`Status`], [`LaaLine`], [`ValidCatalog`], [`PeerGroups`];
//!   [`render_table`] / [`write_table`] ([`TableFormat`]), [`laa_csv`],
//!   [`laa_table`], [`format_number`]; the request checks the command line
//!   makes before a command runs ([`checks`]).
//! - **Modules that are libraries on their own**, depending on nothing else
//!   of ours or only on each other: [`stats`] (intervals, tests, targets,
//!   SPC, peers), [`period`] (financial years, quarters, rolling windows),
//!   [`geography`] (area levels, the area lookup), [`definition`] (the
//!   indicator language's types, its YAML reader and JSON Schema) and
//!   [`generate`] (synthetic extracts).
//! - **The stages one by one**, for benchmarks that time each stage, the
//!   cluster tests and the fuzzers: [`engine`] (session, plans, explain,
//!   assessment, Ballista), [`pack`] (pack definitions, files, writing) and
//!   [`filter`] (the filter-expression parser).

pub(crate) mod assess;
pub(crate) mod contract;
pub mod definition;
pub(crate) mod execute;
pub(crate) mod extract;
pub mod geography;
pub(crate) mod peers;
pub mod period;
pub(crate) mod plan;
pub(crate) mod render;
pub(crate) mod report;
pub(crate) mod request;
pub mod stats;
pub(crate) mod suggest;
pub(crate) mod validate;

pub mod generate;

pub use assess::{AssessError, LaaLine, ResultRow, Status, laa_report};
pub use definition::load_definitions;
pub use peers::{PeerGroups, PeerGroupsFile, PeersError, peer_groups, render_group};
pub use render::{
    RenderError, TableFormat, check_destination, format_number, laa_csv, laa_table, render_table,
    write_table,
};
pub use validate::{ValidCatalog, ValidateError, validate};

/// The checks of what a user asked for (an indicator id, a period, a
/// financial year), each failing with a [`RequestError`] that holds the
/// facts and a "did you mean" suggestion as data.
pub mod checks {
    pub use crate::request::{RequestError, financial_year, indicator, period};
}

/// The engine's stages one at a time: open a [`Session`] over a validated
/// catalog, plan an indicator ([`plan_indicator`]), print or run the plan
/// ([`explain_indicator`], [`explain_analyze`], [`plan_to_sql_parts`]),
/// execute and [`assess`]. [`crate::compute_on`] chains them; benchmarks
/// and the cluster tests call them apart.
pub mod engine {
    pub use crate::assess::assess;
    #[cfg(feature = "ballista")]
    pub use crate::execute::ballista;
    pub use crate::execute::{
        ExecuteError, Session, scan_floor::scan_floor, session_config, set_memory_limit,
    };
    #[cfg(feature = "ballista")]
    pub use crate::extract::remote::env_runtime;
    pub use crate::plan::{explain_analyze, explain_indicator, plan_indicator, plan_to_sql_parts};
}

/// A pack's stages one at a time: load its definition ([`load_pack_def`]),
/// build its files from a gathered report ([`dom_pack_files`],
/// [`write_dom_packs_all`]) and write them ([`write_pack`]).
/// [`crate::pack_on`] chains them; the benchmarks time them apart.
pub mod pack {
    pub use crate::render::pack::{
        CHROMIUM_ENV, LoadedPackDef, PackOptions, SHEET_COLUMNS, dom_pack_files, load_pack_def,
        safe_name, unlisted_indicators, write_dom_packs_all, write_pack, write_set,
    };
}

/// The filter-expression parser of the indicator language (`filter:`
/// fields), for the fuzzers: [`parse_checked`] (one whitelisted SQL
/// expression) and [`to_datafusion`] (resolved against a schema).
pub mod filter {
    pub use crate::validate::expr::{parse_checked, to_datafusion};
}

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

/// Any error of the pipeline, by stage.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Reading definitions.
    #[error(transparent)]
    Definition(#[from] definition::DefinitionError),
    /// Validating definitions.
    #[error(transparent)]
    Validate(#[from] validate::ValidateError),
    /// Reading the extract.
    #[error(transparent)]
    Extract(#[from] extract::ExtractError),
    /// Planning.
    #[error(transparent)]
    Plan(#[from] plan::PlanError),
    /// Executing.
    #[error(transparent)]
    Execute(#[from] execute::ExecuteError),
    /// A statistic refused the engine's figures (a bug of ours).
    #[error(transparent)]
    Assess(#[from] assess::AssessError),
    /// Reading the report's inputs (counts, hashes).
    #[error(transparent)]
    Report(#[from] report::ReportError),
    /// Rendering.
    #[error(transparent)]
    Render(#[from] render::RenderError),
    /// Generating synthetic data.
    #[error(transparent)]
    Generate(#[from] generate::GenerateError),
    /// Reaching or running on a Ballista cluster.
    #[cfg(feature = "ballista")]
    #[error(transparent)]
    Ballista(#[from] execute::ballista::BallistaError),
    /// Building most similar groups (`reports/peer-groups.yaml`).
    #[error(transparent)]
    Peers(#[from] peers::PeersError),
    /// A request the data cannot answer (unknown indicator, period, area).
    #[error(transparent)]
    Request(#[from] request::RequestError),
    /// The async runtime could not start.
    #[error("cannot start the async runtime")]
    Runtime(#[source] std::io::Error),
}

impl From<render::pack::PackDefError> for Error {
    fn from(e: render::pack::PackDefError) -> Error {
        Error::Render(e.into())
    }
}

/// Whose fault an error is: what a caller (the command line) needs to
/// choose an exit code or a retry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// The user's input: definitions, extract, pack definitions, or what
    /// was asked for. Fixing the input fixes it.
    Input,
    /// The environment: I/O, a missing browser, the cluster, the runtime.
    Environment,
    /// A bug of ours (a plan DataFusion refuses, a task that panicked, an
    /// encoding that cannot fail).
    Internal,
}

impl Error {
    /// Whose fault this error is.
    pub fn fault(&self) -> Fault {
        match self {
            // a query the cluster did not finish in time (the extract is not at fault)
            #[cfg(feature = "ballista")]
            Error::Execute(e)
                if execute::ballista::cause(e).is_some_and(|b| !b.is_user_error()) =>
            {
                Fault::Environment
            }
            // an object store that cannot be reached (the input is not at fault)
            Error::Extract(e) | Error::Execute(execute::ExecuteError::Extract(e))
                if !e.is_user_error() =>
            {
                Fault::Environment
            }
            Error::Validate(validate::ValidateError::Extract(e))
            | Error::Report(report::ReportError::Extract(e))
                if !e.is_user_error() =>
            {
                Fault::Environment
            }
            Error::Report(report::ReportError::Extract(_) | report::ReportError::Strict { .. }) => {
                Fault::Input
            }
            Error::Definition(_) | Error::Validate(_) | Error::Extract(_) | Error::Request(_) => {
                Fault::Input
            }
            Error::Render(
                render::RenderError::PackDefinition(_)
                | render::RenderError::Request(_)
                | render::RenderError::ChromiumNotFile { .. }
                | render::RenderError::SourceDateEpoch { .. },
            ) => Fault::Input,
            Error::Render(render::RenderError::Encode { .. }) => Fault::Internal,
            Error::Assess(_) | Error::Report(report::ReportError::Assess(_)) => Fault::Internal,
            Error::Report(report::ReportError::Request(_)) => Fault::Input,
            Error::Report(
                report::ReportError::PackDefinition(_)
                | report::ReportError::Execute(
                    execute::ExecuteError::Run { .. } | execute::ExecuteError::MemoryLimit { .. },
                ),
            ) => Fault::Input,
            Error::Execute(
                execute::ExecuteError::Register { .. }
                | execute::ExecuteError::Read { .. }
                | execute::ExecuteError::Run { .. }
                | execute::ExecuteError::MemoryLimit { .. }
                | execute::ExecuteError::Corrupt { .. }
                | execute::ExecuteError::Geography { .. },
            ) => Fault::Input,
            Error::Render(render::RenderError::Destination { .. }) => Fault::Input,
            Error::Execute(execute::ExecuteError::Task(_))
            | Error::Plan(plan::PlanError::DataFusion { .. })
            | Error::Execute(execute::ExecuteError::Plan(plan::PlanError::DataFusion { .. })) => {
                Fault::Internal
            }
            Error::Generate(e) if e.is_user_error() => Fault::Input,
            Error::Peers(e) if e.is_user_error() => Fault::Input,
            #[cfg(feature = "ballista")]
            Error::Ballista(e) if e.is_user_error() => Fault::Input,
            _ => Fault::Environment,
        }
    }
}

/// Load and validate the definitions in `indicators` against the extract in `data`.
pub fn load_and_validate(
    indicators: &Path,
    data: &Path,
) -> Result<(validate::ValidCatalog, extract::Extract), Error> {
    load_and_validate_for(indicators, data, &[])
}

/// [`load_and_validate`] for a run of the indicators `ids` (all when
/// empty): the extract's values are checked only where those indicators
/// read them ([`validate::validate_for`]).
pub fn load_and_validate_for(
    indicators: &Path,
    data: &Path,
    ids: &[String],
) -> Result<(validate::ValidCatalog, extract::Extract), Error> {
    let started = std::time::Instant::now();
    let catalog = load_definitions(indicators)?;
    let extract = extract::Extract::open(data)?;
    let valid = validate::validate_for(catalog, &extract, ids)?;
    let seconds = started.elapsed().as_secs_f64();
    tracing::debug!(
        seconds,
        "definitions loaded and validated against the extract"
    );
    Ok((valid, extract))
}

/// An indicator's plan, as `pireport explain` prints it.
#[derive(Debug, Clone)]
pub struct Explained {
    /// The logical plan and the SQL it unparses to.
    pub plan: String,
    /// The physical plan as run, with its metrics (`EXPLAIN ANALYZE`), when
    /// asked for.
    pub analyzed: Option<String>,
}

/// The plan of indicator `id` over the extract in `data`, and when
/// `analyze` is set the physical plan as it ran on the local engine.
pub async fn explain_on(
    indicators: &Path,
    data: &Path,
    id: &str,
    analyze: bool,
) -> Result<Explained, Error> {
    let (valid, extract) = load_and_validate(indicators, data)?;
    let catalog = Arc::new(valid);
    let ind = request::indicator(&catalog, id)?.clone();
    let session = execute::Session::open(catalog.clone(), &extract).await?;
    let periods = session.periods(&ind);
    let plan = plan::plan_indicator(&session.ctx, &ind, &periods.computed).await?;
    let text = plan::explain_indicator(id, &plan);
    let analyzed = if analyze {
        let run = plan::explain_analyze(&session.ctx, plan).await;
        Some(run.map_err(|source| execute::ExecuteError::run(id, source))?)
    } else {
        None
    };
    Ok(Explained {
        plan: text,
        analyzed,
    })
}

/// Everything a run computed.
pub struct Run {
    /// The validated catalog.
    pub catalog: Arc<validate::ValidCatalog>,
    /// The session (context, areas, dates).
    pub session: execute::Session,
    /// What execution returned.
    pub execution: execute::Execution,
    /// Assessed result rows.
    pub rows: Vec<assess::ResultRow>,
}

impl Run {
    /// Check `--quarter` against this run's extract (inside the data, ended).
    pub fn quarter(&self, text: &str) -> Result<period::Period, request::RequestError> {
        session_quarter(&self.session, text)
    }

    /// Check `--year` of `area`'s LAA report: a financial year the area
    /// has targets for, started by the extract date.
    pub fn laa_year(
        &self,
        area: &str,
        text: &str,
    ) -> Result<period::Period, request::RequestError> {
        session_laa_year(&self.session, area, text)
    }
}

/// `--quarter` checked against the extract `session` is open on: inside
/// the data and ended.
fn session_quarter(
    session: &execute::Session,
    text: &str,
) -> Result<period::Period, request::RequestError> {
    request::quarter(text, session.coverage_start, session.extract_date)
}

/// `--year` of `area`'s LAA report checked against `session`: a financial
/// year the area has targets for, started by the extract date.
fn session_laa_year(
    session: &execute::Session,
    area: &str,
    text: &str,
) -> Result<period::Period, request::RequestError> {
    let y = request::financial_year(text)?;
    let years = session.catalog.laa_target_years(area);
    request::target_year(y, &years, area, None)?;
    request::year_started(y, session.extract_date)
}

impl Run {
    /// The indicator ids a run was asked for: `ids`, or every indicator of
    /// the catalog when none was named.
    fn chosen_ids(&self, ids: &[String]) -> Vec<String> {
        if ids.is_empty() {
            self.catalog
                .indicators
                .iter()
                .map(|i| i.def.id.clone())
                .collect()
        } else {
            ids.to_vec()
        }
    }

    /// The data-quality findings of the tables that the indicators `ids`
    /// (all when empty) read, as notes: duplicate rows by the keys of
    /// `reports/extract-keys.yaml`, rows with no key column or area code,
    /// and the notes execution made (unknown area codes, rows with no
    /// cohort date, ...). The counts are those a pack's data-quality
    /// section shows ([`report::table_counts`]): one aggregate per table.
    pub async fn data_quality(&self, ids: &[String], reports: &Path) -> Result<Vec<String>, Error> {
        let keys = report::load_extract_keys(reports)?;
        let keys_file = keys
            .file
            .clone()
            .unwrap_or_else(|| reports.join(report::EXTRACT_KEYS_FILE));
        let ids = self.chosen_ids(ids);
        let counts = report::table_counts(&self.session, &ids, &keys).await?;
        let mut notes: Vec<String> = counts.iter().flat_map(|c| c.findings(&keys_file)).collect();
        notes.extend(self.execution.notes.iter().cloned());
        Ok(notes)
    }

    /// [`Run::data_quality`], refused as an error (naming every finding)
    /// when `strict` and there is any.
    pub async fn data_quality_checked(
        &self,
        ids: &[String],
        reports: &Path,
        strict: bool,
    ) -> Result<Vec<String>, Error> {
        let notes = self.data_quality(ids, reports).await?;
        if strict && !notes.is_empty() {
            return Err(report::ReportError::Strict { findings: notes }.into());
        }
        Ok(notes)
    }
}

impl Run {
    /// Compare every LA row with its most similar group (`vs_peers`,
    /// `peer_rank`).
    pub fn compare_with_peers(&mut self, groups: &peers::PeerGroups) -> Result<(), Error> {
        assess::compare_with_peers(&self.catalog, &self.execution, &mut self.rows, groups)?;
        Ok(())
    }

    /// The most similar groups that `reports/peer-groups.yaml` declares,
    /// built over this run's geography table of the extract at `data` (as
    /// the backend reads it); `None` when there is no such file.
    pub fn peer_groups(
        &self,
        backend: &Backend,
        data: &Path,
        reports: &Path,
    ) -> Result<Option<peers::PeerGroups>, Error> {
        if std::fs::symlink_metadata(peers::PeerGroupsFile::path_in(reports)).is_err() {
            return Ok(None);
        }
        let file = peers::PeerGroupsFile::load(reports)?;
        let extract = extract::Extract::open(&backend.data_dir(data))?;
        let g = &self.catalog.catalog.geography;
        let areas = peers::AreasTable {
            table: &self.catalog.geography.name,
            code: &g.code,
            name: &g.name,
        };
        Ok(Some(file.build(&extract, areas)?))
    }

    /// Read what a pack of `ids` needs from the extract (row and duplicate
    /// counts, file hashes) into a [`report::Report`], which holds no
    /// session: everything after works on data alone.
    pub async fn report(
        &self,
        ids: &[String],
        data_dir: &Path,
        def: &report::LoadedPackDef,
    ) -> Result<report::Report, Error> {
        Ok(report::Report::gather(
            &self.session,
            &self.execution,
            &self.rows,
            ids,
            data_dir,
            def,
            &report::GatherCache::default(),
        )
        .await?)
    }
}

impl Run {
    /// [`Run::report`] of the pack `def` showing the indicators `ids`, from
    /// a run of more indicators: the execution and rows restricted to
    /// `ids`, the extract read through `cache`, the peer groups attached.
    async fn report_of_pack(
        &self,
        def: &report::LoadedPackDef,
        ids: &[String],
        data_dir: &Path,
        cache: &report::GatherCache,
        groups: Option<&peers::PeerGroups>,
    ) -> Result<report::Report, Error> {
        let execution = self.execution.restricted(ids);
        let rows: Vec<assess::ResultRow> = self
            .rows
            .iter()
            .filter(|r| ids.contains(&r.indicator))
            .cloned()
            .collect();
        let mut report =
            report::Report::gather(&self.session, &execution, &rows, ids, data_dir, def, cache)
                .await?;
        if let Some(g) = groups {
            attach_peers(&mut report, g.clone());
        }
        Ok(report)
    }
}

/// Give `report` the most similar groups its pack compares with, and record
/// them (file digest, method, version) among its inputs.
fn attach_peers(report: &mut report::Report, g: peers::PeerGroups) {
    report.inputs.files.insert(
        format!("reports/{}", peers::PEER_GROUPS_FILE),
        g.file_digest.clone(),
    );
    report.inputs.peer_groups = Some(report::PeersUsed {
        method: g.method.to_string(),
        version: g.version.clone(),
    });
    report.peers = Some(g);
}

/// Where the indicator plans run.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum Backend {
    /// A local DataFusion context ([`execute::local_context`]).
    #[default]
    Local,
    /// An Apache DataFusion Ballista cluster (feature `ballista`); its
    /// executors read the extract under its canonical path.
    #[cfg(feature = "ballista")]
    Ballista(execute::ballista::BallistaOptions),
}

impl Backend {
    /// The data directory as this backend reads it (and as the run's table
    /// paths start): absolute for a cluster, whose executors do not share
    /// our working directory.
    pub fn data_dir(&self, data: &Path) -> std::path::PathBuf {
        match self {
            Backend::Local => data.to_path_buf(),
            #[cfg(feature = "ballista")]
            Backend::Ballista(_) => {
                std::fs::canonicalize(data).unwrap_or_else(|_| data.to_path_buf())
            }
        }
    }

    /// A context whose queries run on this backend.
    async fn context(&self) -> Result<datafusion::prelude::SessionContext, Error> {
        match self {
            Backend::Local => Ok(execute::local_context()),
            #[cfg(feature = "ballista")]
            Backend::Ballista(options) => Ok(execute::ballista::connect(options).await?),
        }
    }
}

/// Run the pipeline up to assessment for `ids` (all when empty) on the
/// local engine.
pub async fn compute(indicators: &Path, data: &Path, ids: &[String]) -> Result<Run, Error> {
    compute_on(&Backend::Local, indicators, data, ids).await
}

/// Run the pipeline up to assessment for `ids` (all when empty), the
/// indicator plans (and every other query of the run) on `backend`.
pub async fn compute_on(
    backend: &Backend,
    indicators: &Path,
    data: &Path,
    ids: &[String],
) -> Result<Run, Error> {
    let (valid, extract) = load_and_validate_for(indicators, &backend.data_dir(data), ids)?;
    compute_validated(backend, valid, &extract, ids).await
}

/// [`compute_on`] from a catalog already validated against `extract`.
pub async fn compute_validated(
    backend: &Backend,
    valid: validate::ValidCatalog,
    extract: &extract::Extract,
    ids: &[String],
) -> Result<Run, Error> {
    request::check_indicators(&valid, ids)?;
    let session = open_on(backend, valid, extract).await?;
    compute_opened(session, ids).await
}

/// The computation of `ids` (all when empty) on a session already open,
/// so a request can be checked against the extract's dates and areas
/// before the work.
async fn compute_opened(session: execute::Session, ids: &[String]) -> Result<Run, Error> {
    let started = std::time::Instant::now();
    let catalog = session.catalog.clone();
    let targets: Arc<Vec<definition::LaaTargetDef>> = Arc::new(catalog.laa_targets().to_vec());
    // each indicator assessed as soon as it is rolled up, while the
    // later plans run (what `assess::assess` does after them)
    let (execution, assessed) = session
        .execute_then(
            ids,
            Arc::new(move |ind, aggs, periods| assess::assess_one(ind, aggs, periods, &targets)),
        )
        .await?;
    let executed = started.elapsed().as_secs_f64();
    tracing::debug!(
        seconds = executed,
        "every indicator executed, rolled up and assessed"
    );
    let mut rows = Vec::new();
    for r in assessed {
        rows.extend(r?);
    }
    Ok(Run {
        catalog,
        session,
        execution,
        rows,
    })
}

/// Open a session on `backend` with every table of `catalog` registered
/// and the geography and coverage read.
async fn open_on(
    backend: &Backend,
    catalog: validate::ValidCatalog,
    extract: &extract::Extract,
) -> Result<execute::Session, Error> {
    let started = std::time::Instant::now();
    let ctx = backend.context().await?;
    let session = execute::Session::open_with_context(ctx, Arc::new(catalog), extract).await?;
    let seconds = started.elapsed().as_secs_f64();
    tracing::debug!(seconds, "session opened, tables registered");
    Ok(session)
}

/// An area's LAA target report, as `pireport laa` prints it.
#[derive(Debug, Clone)]
pub struct LaaOutcome {
    /// The area, as the lookup names it.
    pub area: geography::Area,
    /// The financial year reported.
    pub year: period::Period,
    /// One line per designated indicator.
    pub lines: Vec<assess::LaaLine>,
    /// Execution notes (unknown area codes, ...).
    pub notes: Vec<String>,
}

/// The LAA target report of `area` for `year` (the latest year with
/// figures when none), computing only the area's designated indicators on
/// `backend`.
pub async fn laa_on(
    backend: &Backend,
    indicators: &Path,
    data: &Path,
    area: &str,
    year: Option<period::Period>,
) -> Result<LaaOutcome, Error> {
    let (valid, extract) = load_and_validate(indicators, &backend.data_dir(data))?;
    let session = open_on(backend, valid, &extract).await?;
    let catalog = session.catalog.clone();
    let la = request::area(&session.areas, area)?.clone();
    let mut ids: Vec<String> = catalog
        .catalog
        .targets
        .iter()
        .flat_map(|t| t.value.iter())
        .filter(|t| t.area == area)
        .map(|t| t.indicator.clone())
        .collect();
    ids.sort();
    ids.dedup();
    if ids.is_empty() {
        return Err(request::RequestError::NoTargets {
            area: area.to_string(),
            name: la.name.clone(),
            file: indicators.join(definition::TARGETS_FILE),
        }
        .into());
    }
    if let Some(y) = year {
        let years = catalog.laa_target_years(area);
        request::target_year(y, &years, area, Some(&la.name))?;
    }
    let exec = session.execute(&ids).await?;
    let rows = assess::assess(&catalog, &exec)?;
    let Some(year) = year.or_else(|| assess::LaaLine::default_year(&catalog, &rows, area)) else {
        return Err(request::RequestError::NoTargetYear {
            area: area.to_string(),
            name: la.name.clone(),
        }
        .into());
    };
    let lines = assess::laa_report(&catalog, &rows, area, year)?;
    Ok(LaaOutcome {
        area: la,
        year,
        lines,
        notes: exec.notes,
    })
}

/// The pack a user asked for, as given on the command line; [`pack_on`]
/// checks it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PackRequest {
    /// The DOM quarterly pack of `region` (a GSS code, or `all` for every
    /// region) at `quarter` (e.g. `2009-10 Q2`).
    Dom {
        /// Region GSS code or `all`.
        region: String,
        /// The quarter, as given.
        quarter: String,
    },
    /// The LAA target report of `area` for financial year `year`.
    Laa {
        /// LAA area GSS code.
        area: String,
        /// The financial year, as given.
        year: String,
    },
    /// The national drug strategy report for financial year `year`.
    Strategy {
        /// The financial year, as given.
        year: String,
    },
}

impl PackRequest {
    /// The pack definition it uses (`reports/KIND.yaml`) and the kind named
    /// in its manifest.
    pub fn kind(&self) -> &'static str {
        match self {
            PackRequest::Dom { .. } => "dom",
            PackRequest::Laa { .. } => "laa",
            PackRequest::Strategy { .. } => "strategy",
        }
    }

    /// The area (or `all`, or `national`) and the period, as given.
    fn area_and_period(&self) -> (&str, &str) {
        match self {
            PackRequest::Dom { region, quarter } => (region, quarter),
            PackRequest::Laa { area, year } => (area, year),
            PackRequest::Strategy { year } => ("national", year),
        }
    }

    /// The directory a pack goes to when `--out` is not given:
    /// `pack-KIND-AREA-PERIOD`.
    pub fn default_out(&self) -> std::path::PathBuf {
        let (area, period) = self.area_and_period();
        std::path::PathBuf::from(format!(
            "pack-{}-{area}-{}",
            self.kind(),
            render::pack::safe_name(&period.replace(' ', "-"))
        ))
    }

    /// Everything about the request that can be checked before any work:
    /// the shape of the area code, the destination, `--previous`.
    fn check_before(&self, out: &Path, previous: Option<&Path>) -> Result<(), Error> {
        let (area, _) = self.area_and_period();
        match self {
            PackRequest::Dom { region, .. } if region != "all" => {
                request::check_code(request::AreaKind::Region, region)?
            }
            PackRequest::Laa { area, .. } => request::check_code(request::AreaKind::Area, area)?,
            _ => {}
        }
        request::check_out(out)?;
        if let Some(prev) = previous
            && area == "all"
        {
            request::previous_set(prev, &[], "dom --region all")?;
        } else if let Some(prev) = previous {
            let area = if self.kind() == "strategy" {
                geography::NATIONAL_CODE
            } else {
                area
            };
            request::previous_pack(prev, self.kind(), area)?;
        }
        Ok(())
    }

    /// The checks that need the extract (the area exists, the period lies
    /// inside the data and has ended), made on the open session before
    /// anything is computed.
    fn check_on(&self, session: &execute::Session) -> Result<(), Error> {
        let (start, end) = (session.coverage_start, session.extract_date);
        match self {
            PackRequest::Dom { region, quarter } => {
                session_quarter(session, quarter)?;
                if region != "all" {
                    request::region(&session.areas, region)?;
                }
            }
            PackRequest::Laa { area, year } => {
                request::area(&session.areas, area)?;
                session_laa_year(session, area, year)?;
            }
            PackRequest::Strategy { year } => {
                request::strategy_year(year, start, end)?;
            }
        }
        Ok(())
    }
}

/// Where a pack goes and how it is written.
#[derive(Debug, Clone)]
pub struct PackSettings {
    /// The directory of pack definitions (`dom.yaml`, `laa.yaml`, ...).
    pub reports: std::path::PathBuf,
    /// The pack directory (or, for every region, the directory of packs).
    pub out: std::path::PathBuf,
    /// An earlier edition of the same pack, to flag revisions.
    pub previous: Option<std::path::PathBuf>,
    /// Also print `pack.pdf` with headless Chromium.
    pub pdf: bool,
}

/// Build and write the pack of `req` from the definitions in `indicators`
/// and the extract in `data`, every query on `backend`: the request is
/// checked before any work, the indicators the pack shows are computed
/// once, the pack's inputs read into a [`report::Report`], and the pack
/// rendered and written atomically. `progress` is called with each region
/// code as its pack is done. Returns what was written.
pub async fn pack_on(
    backend: &Backend,
    indicators: &Path,
    data: &Path,
    req: &PackRequest,
    settings: &PackSettings,
    progress: &(dyn Fn(&str) + Sync),
) -> Result<Written, Error> {
    use render::pack;
    req.check_before(&settings.out, settings.previous.as_deref())?;
    let opts = pack_options(settings)?;
    let def = pack::load_pack_def(&settings.reports, req.kind())?;
    // an LAA report computes every indicator: which are designated is
    // known only from the targets, after validation
    let ids = match req {
        PackRequest::Laa { .. } => Vec::new(),
        _ => def.def.ids(),
    };
    // the pack and key definitions are checked against the catalog and
    // the extract before the computation, not after it
    let (valid, extract) = load_and_validate(indicators, &backend.data_dir(data))?;
    def.def.check(&def.file, &valid)?;
    def.check_keys(&extract)?;
    request::check_indicators(&valid, &ids)?;
    let session = open_on(backend, valid, &extract).await?;
    req.check_on(&session)?;
    // every region's packs: each compared with its own earlier edition
    let previous = match (req, &settings.previous) {
        (PackRequest::Dom { region, .. }, Some(dir)) if region == "all" => {
            let members: Vec<request::SetMember> = session
                .areas
                .regions()
                .into_keys()
                .map(|r| request::SetMember {
                    dir: r.clone(),
                    kind: "dom",
                    area: r,
                })
                .collect();
            Some(previous_editions(dir, &members, "dom --region all")?)
        }
        _ => None,
    };
    let mut run = compute_opened(session, &ids).await?;
    let groups = run.peer_groups(backend, data, &settings.reports)?;
    if let Some(g) = &groups {
        run.compare_with_peers(g)?;
    }
    let used = run.chosen_ids(&ids);
    let mut report = run.report(&used, &backend.data_dir(data), &def).await?;
    if let Some(g) = groups {
        attach_peers(&mut report, g);
    }
    drop(run);
    let unrevised = previous
        .as_ref()
        .map(|p| {
            p.iter()
                .filter(|(_, e)| e.is_none())
                .map(|(d, _)| d.clone())
                .collect()
        })
        .unwrap_or_default();
    let packs = write_packs(
        req,
        &report,
        &def,
        &settings.out,
        &opts,
        previous.as_ref(),
        progress,
    )?;
    Ok(Written { packs, unrevised })
}

/// What [`pack_on`] wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Written {
    /// How many packs.
    pub packs: usize,
    /// With `--previous` and every region's packs: the packs the earlier
    /// set has no edition of, so their revisions are not checked.
    pub unrevised: Vec<String>,
}

/// Each member's earlier edition in `dir` ([`request::previous_set`]), by
/// the member's directory.
fn previous_editions(
    dir: &Path,
    members: &[request::SetMember],
    command: &str,
) -> Result<BTreeMap<String, Option<std::path::PathBuf>>, Error> {
    let found = request::previous_set(dir, members, command)?;
    Ok(members.iter().map(|m| m.dir.clone()).zip(found).collect())
}

/// What [`pack_national_on`] wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NationalSet {
    /// The DOM packs' directories (`dom/<region>`), by region code.
    pub dom: Vec<String>,
    /// The LAA reports' directories (`laa/<area>`), by area code.
    pub laa: Vec<String>,
    /// The strategy report's directory (`strategy`).
    pub strategy: String,
    /// With `--previous`: the packs the earlier set has no edition of
    /// (a region or LAA area new to this set), so their revisions are
    /// not checked.
    pub unrevised: Vec<String>,
}

impl NationalSet {
    /// How many packs were written.
    pub fn len(&self) -> usize {
        self.dom.len() + self.laa.len() + 1
    }

    /// Never empty: there is always the strategy report.
    pub fn is_empty(&self) -> bool {
        false
    }
}

/// Build the national set of packs from one computation of every
/// indicator: the DOM pack of every region at `quarter`
/// (`settings.out/dom/<region>/`), the LAA report of every area with
/// targets for `year` (`laa/<area>/`), and the national strategy report for
/// `year` (`strategy/`). `year` defaults to the financial year of
/// `quarter`. Each pack is byte-identical to the one its own `pack` command
/// writes; the extract's files are hashed and its tables counted once for
/// all. Everything is written together, or nothing. `progress` is called
/// with each pack's directory as it is built. With `settings.previous`, the
/// directory an earlier national set was written to, each pack is compared
/// with its own edition there (`dom/<region>`, ...) and its revisions
/// flagged; the quarter, year and earlier set are checked before anything
/// is computed.
pub async fn pack_national_on(
    backend: &Backend,
    indicators: &Path,
    data: &Path,
    quarter: &str,
    year: Option<&str>,
    settings: &PackSettings,
    progress: &(dyn Fn(&str) + Sync),
) -> Result<NationalSet, Error> {
    use rayon::prelude::*;
    use render::pack;
    request::check_out(&settings.out)?;
    if let Some(dir) = &settings.previous {
        // a directory, and not one pack: checked before any work
        request::previous_set(dir, &[], "national")?;
    }
    let opts = pack_options(&PackSettings {
        previous: None,
        ..settings.clone()
    })?;
    let defs = [
        pack::load_pack_def(&settings.reports, "dom")?,
        pack::load_pack_def(&settings.reports, "laa")?,
        pack::load_pack_def(&settings.reports, "strategy")?,
    ];
    let (valid, extract) = load_and_validate(indicators, &backend.data_dir(data))?;
    for def in &defs {
        def.def.check(&def.file, &valid)?;
        def.check_keys(&extract)?;
    }
    let session = open_on(backend, valid, &extract).await?;
    // the request is checked before the computation, not after it
    let q = session_quarter(&session, quarter)?;
    let fy_text = match year {
        Some(y) => y.to_string(),
        None => match q {
            period::Period::Quarter { fy, .. } => period::Period::FinancialYear(fy).to_string(),
            p => p.to_string(),
        },
    };
    let fy = request::strategy_year(&fy_text, session.coverage_start, session.extract_date)?;
    let areas = session.catalog.laa_areas(fy);
    for area in &areas {
        request::area(&session.areas, area)?;
    }
    let mut members: Vec<request::SetMember> = session
        .areas
        .regions()
        .into_keys()
        .map(|r| request::SetMember {
            dir: format!("dom/{r}"),
            kind: "dom",
            area: r,
        })
        .collect();
    members.extend(areas.iter().map(|a| request::SetMember {
        dir: format!("laa/{a}"),
        kind: "laa",
        area: a.clone(),
    }));
    members.push(request::SetMember {
        dir: "strategy".to_string(),
        kind: "strategy",
        area: geography::NATIONAL_CODE.to_string(),
    });
    let previous = match &settings.previous {
        Some(dir) => Some(previous_editions(dir, &members, "national")?),
        None => None,
    };
    let mut run = compute_opened(session, &[]).await?;
    let groups = run.peer_groups(backend, data, &settings.reports)?;
    if let Some(g) = &groups {
        run.compare_with_peers(g)?;
    }
    let data_dir = backend.data_dir(data);
    let cache = report::GatherCache::default();
    let [dom_def, laa_def, strategy_def] = &defs;
    let groups = groups.as_ref();
    // as `pack laa` does: an LAA report reads every indicator, since which
    // are designated is known only from the targets
    let all = run.chosen_ids(&[]);
    let dom_report =
        (run.report_of_pack(dom_def, &dom_def.def.ids(), &data_dir, &cache, groups)).await?;
    let laa_report = (run.report_of_pack(laa_def, &all, &data_dir, &cache, groups)).await?;
    let strategy_report = (run.report_of_pack(
        strategy_def,
        &strategy_def.def.ids(),
        &data_dir,
        &cache,
        groups,
    ))
    .await?;
    drop(run);
    let (dom_report, laa_report, strategy_report) = (&dom_report, &laa_report, &strategy_report);
    // each scope holds its own copy of the result rows: made in the job
    // that renders it, so only as many are alive as run at once
    enum Job {
        Dom(String),
        Laa(String),
        Strategy,
    }
    let mut jobs: Vec<(String, Job)> = Vec::new();
    for region in dom_report.regions() {
        jobs.push((format!("dom/{region}"), Job::Dom(region)));
    }
    for area in &areas {
        jobs.push((format!("laa/{area}"), Job::Laa(area.clone())));
    }
    jobs.push(("strategy".to_string(), Job::Strategy));
    let built: Vec<Result<(String, pack::Pack), Error>> = jobs
        .par_iter()
        .map(|(dir, job)| {
            let opts = match &previous {
                Some(p) => opts.with_previous(p.get(dir).cloned().flatten()),
                None => opts.clone(),
            };
            let files = match job {
                Job::Dom(region) => {
                    let scope = dom_report.dom_scope(region, q)?;
                    pack::dom_pack_files(dom_report, dom_def, &scope, &opts)?
                }
                Job::Laa(area) => {
                    let scope = laa_report.laa_scope(area, fy)?;
                    pack::laa_pack_files(laa_report, laa_def, &scope, &opts)?
                }
                Job::Strategy => {
                    let scope = strategy_report.strategy_scope(fy);
                    pack::strategy_pack_files(strategy_report, strategy_def, &scope, &opts)?
                }
            };
            progress(dir);
            Ok((dir.clone(), files))
        })
        .collect();
    let built: Vec<(String, pack::Pack)> = built.into_iter().collect::<Result<_, _>>()?;
    pack::write_set(&settings.out, &built, &opts)?;
    let dirs = |prefix: &str| -> Vec<String> {
        built
            .iter()
            .map(|(d, _)| d)
            .filter(|d| d.starts_with(prefix))
            .cloned()
            .collect()
    };
    let unrevised = previous
        .iter()
        .flatten()
        .filter(|(_, e)| e.is_none())
        .map(|(d, _)| d.clone())
        .collect();
    Ok(NationalSet {
        dom: dirs("dom/"),
        laa: dirs("laa/"),
        strategy: "strategy".to_string(),
        unrevised,
    })
}

/// How the packs of `settings` are written: the earlier edition to compare
/// with, and Chromium (found and probed now, before any work) for `--pdf`.
fn pack_options(settings: &PackSettings) -> Result<render::pack::PackOptions, Error> {
    use render::pack;
    let opts = pack::PackOptions {
        previous: settings.previous.clone(),
        pdf: if settings.pdf {
            Some(pack::chromium()?)
        } else {
            None
        },
        pdf_timeout: if settings.pdf {
            Some(request::pdf_timeout()?)
        } else {
            None
        },
    };
    if let (Some(browser), Some(timeout)) = (&opts.pdf, opts.pdf_timeout) {
        pack::probe_chromium(browser, timeout)?;
    }
    Ok(opts)
}

/// Render the pack(s) of `req` from `report` and write them under `out`;
/// how many were written.
fn write_packs(
    req: &PackRequest,
    report: &report::Report,
    def: &report::LoadedPackDef,
    out: &Path,
    opts: &render::pack::PackOptions,
    previous: Option<&BTreeMap<String, Option<std::path::PathBuf>>>,
    progress: &(dyn Fn(&str) + Sync),
) -> Result<usize, Error> {
    use render::pack;
    let written = match req {
        PackRequest::Dom { region, quarter } if region == "all" => {
            let scopes = report.dom_scopes_all(report.quarter(quarter)?)?;
            pack::write_dom_packs_all(report, def, &scopes, out, opts, previous, progress)?.len()
        }
        PackRequest::Dom { region, quarter } => {
            let scope = report.dom_scope(region, report.quarter(quarter)?)?;
            pack::write_pack(out, &pack::dom_pack_files(report, def, &scope, opts)?, opts)?;
            1
        }
        PackRequest::Laa { area, year } => {
            let scope = report.laa_scope(area, report.laa_year(area, year)?)?;
            pack::write_pack(out, &pack::laa_pack_files(report, def, &scope, opts)?, opts)?;
            1
        }
        PackRequest::Strategy { year } => {
            let scope = report.strategy_scope(report.strategy_year(year)?);
            let files = pack::strategy_pack_files(report, def, &scope, opts)?;
            pack::write_pack(out, &files, opts)?;
            1
        }
    };
    Ok(written)
}

impl generate::GenerateError {
    /// Whether the options given by the user are at fault (exit code 2).
    pub fn is_user_error(&self) -> bool {
        use generate::GenerateError as G;
        matches!(
            self,
            G::InvalidScale { .. }
                | G::ScaleTooLarge { .. }
                | G::UnknownRegion { .. }
                | G::DuplicateRegion { .. }
                | G::ReversedRange { .. }
                | G::OutputNotDirectory { .. }
                | G::OutputNotEmpty { .. }
                | G::ParentMissing { .. }
        )
    }
}
