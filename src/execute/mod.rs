//! Stage 4, execution: one `SessionContext` per run with every table
//! registered once, every indicator plan run concurrently, and LA rows
//! rolled up to region and national by re-summing.

mod aggregates;
#[cfg(feature = "ballista")]
pub mod ballista;
mod diagnose;
mod periods;
mod rollup;
pub mod scan_floor;

use std::collections::BTreeMap;
use std::sync::Arc;

use chrono::NaiveDate;
use datafusion::error::DataFusionError;
use datafusion::execution::options::ParquetReadOptions;
use datafusion::logical_expr::LogicalPlan;
use datafusion::prelude::{SessionConfig, SessionContext};

use crate::extract::{Extract, ExtractError};
use crate::geography::AreaLookup;
use crate::period::Period;
use crate::plan::{PlanError, plan_indicator};
use crate::validate::{ValidCatalog, ValidIndicator};

pub use crate::period::PeriodSet;
pub use aggregates::Aggregate;
pub use periods::{coverage, periods_for};

/// Errors of the execution stage.
#[derive(Debug, thiserror::Error)]
pub enum ExecuteError {
    /// A table could not be registered or read.
    #[error("cannot read table `{table}` from {path}")]
    Register {
        /// The table.
        table: String,
        /// Its path.
        path: String,
        /// The cause.
        #[source]
        source: DataFusionError,
    },
    /// A query reading a table through the session failed.
    #[error("cannot read table `{table}`")]
    Read {
        /// The table.
        table: String,
        /// The cause.
        #[source]
        source: DataFusionError,
    },
    /// Running an indicator's plan failed (e.g. a corrupt Parquet file).
    #[error("computing {indicator} failed")]
    Run {
        /// The indicator.
        indicator: String,
        /// The cause.
        #[source]
        source: DataFusionError,
    },
    /// Running an indicator's plan needed more memory than `--memory-limit`
    /// allows (an operator that could not spill, or not far enough).
    #[error(
        "computing {indicator} needs more memory than --memory-limit {} allows: raise the limit, or leave it out to let the run use what it needs",
        human_bytes(*limit)
    )]
    MemoryLimit {
        /// The indicator.
        indicator: String,
        /// The limit, in bytes.
        limit: usize,
        /// The cause.
        #[source]
        source: DataFusionError,
    },
    /// A file of a table an indicator reads cannot be decoded (found after
    /// the indicator's plan failed).
    #[error(
        "computing {indicator} failed: {path} (table `{table}`) cannot be read: a page of it is corrupt or truncated; export the table again"
    )]
    Corrupt {
        /// The indicator.
        indicator: String,
        /// The table.
        table: String,
        /// The file.
        path: String,
        /// The cause.
        #[source]
        source: Box<DataFusionError>,
    },
    /// Planning failed.
    #[error(transparent)]
    Plan(#[from] PlanError),
    /// The extract could not be read.
    #[error(transparent)]
    Extract(#[from] ExtractError),
    /// The geography table is unusable.
    #[error("geography table {table}: {message}")]
    Geography {
        /// The table.
        table: String,
        /// What is wrong.
        message: String,
    },
    /// An indicator's task panicked or was cancelled (a bug, not the
    /// user's input).
    #[error("an indicator task failed")]
    Task(#[source] tokio::task::JoinError),
}

impl ExecuteError {
    /// The error for `indicator`'s query failing with `source`:
    /// [`ExecuteError::MemoryLimit`] when the memory pool of a
    /// `--memory-limit` ran out, else [`ExecuteError::Run`].
    pub fn run(indicator: impl Into<String>, source: DataFusionError) -> ExecuteError {
        let indicator = indicator.into();
        match MEMORY_LIMIT.get() {
            Some(&limit)
                if matches!(source.find_root(), DataFusionError::ResourcesExhausted(_)) =>
            {
                ExecuteError::MemoryLimit {
                    indicator,
                    limit,
                    source,
                }
            }
            _ => ExecuteError::Run { indicator, source },
        }
    }
}

/// `bytes` as the user would write it for `--memory-limit`: `2G`, `512M`,
/// `64K`, or a plain count when no unit divides it.
fn human_bytes(bytes: usize) -> String {
    for (shift, unit) in [(30, 'G'), (20, 'M'), (10, 'K')] {
        if bytes >= 1 << shift && bytes.is_multiple_of(1 << shift) {
            return format!("{}{unit}", bytes >> shift);
        }
    }
    bytes.to_string()
}

/// A run's session: the context with tables registered, the areas, the
/// extract's dates.
pub struct Session {
    /// The DataFusion context (one per run).
    pub ctx: SessionContext,
    /// The validated catalog.
    pub catalog: Arc<ValidCatalog>,
    /// The area lookup.
    pub areas: AreaLookup,
    /// First day covered by the extract.
    pub coverage_start: NaiveDate,
    /// The extract date.
    pub extract_date: NaiveDate,
}

/// Work on one indicator's roll-up ([`Session::execute_then`]): its
/// aggregates at every level and its periods.
pub type AfterRollup<T> = Arc<dyn Fn(&ValidIndicator, &[Aggregate], &PeriodSet) -> T + Send + Sync>;

/// What one run computed.
#[derive(Debug, Clone)]
pub struct Execution {
    /// Every indicator x level x area x computed period.
    pub aggregates: Vec<Aggregate>,
    /// Periods per indicator: computed and not yet available.
    pub periods: BTreeMap<String, PeriodSet>,
    /// Notes for the data-quality section (unknown area codes, ...).
    pub notes: Vec<String>,
    /// Each indicator's compiled plan as it ran, as SQL text on demand.
    pub sql: PlanSql,
    /// The notes with the indicators each concerns, for
    /// [`Execution::restricted`].
    note_sources: Vec<ExecNote>,
}

/// A note of execution with the indicators it concerns.
#[derive(Debug, Clone, PartialEq)]
struct ExecNote {
    /// The indicators, in catalog order (an indicator may repeat, once per
    /// measure it concerns).
    indicators: Vec<String>,
    /// The text, which may list the indicators.
    text: NoteText,
}

/// The text of an [`ExecNote`].
#[derive(Debug, Clone, PartialEq)]
enum NoteText {
    /// Text that names no list of indicators.
    Plain(String),
    /// `before`, the indicators joined by `, `, then `after`.
    Listing { before: String, after: String },
}

impl ExecNote {
    /// A note whose text names no list of indicators.
    fn plain(indicators: Vec<String>, text: String) -> ExecNote {
        ExecNote {
            indicators,
            text: NoteText::Plain(text),
        }
    }

    /// The note as a run of only the indicators `keep` would have made it:
    /// `None` when it concerns none of them.
    fn render(&self, keep: impl Fn(&str) -> bool) -> Option<String> {
        let ids: Vec<&str> = self
            .indicators
            .iter()
            .map(String::as_str)
            .filter(|id| keep(id))
            .collect();
        if ids.is_empty() {
            return None;
        }
        Some(match &self.text {
            NoteText::Plain(text) => text.clone(),
            NoteText::Listing { before, after } => format!("{before}{}{after}", ids.join(", ")),
        })
    }
}

/// The plans a run executed, unparsed to SQL text when first asked for.
///
/// Packs and their provenance print the SQL; a `compute` does not, and
/// unparsing every plan cost it 0.4 s at any scale (the periods relation
/// and calendar expressions make long SQL), so the text is made only when
/// read, once.
#[derive(Debug, Clone, Default)]
pub struct PlanSql {
    plans: BTreeMap<String, Option<LogicalPlan>>,
    text: std::sync::OnceLock<BTreeMap<String, String>>,
}

impl PlanSql {
    /// Each indicator's plan (`None` when no period was computed).
    pub fn new(plans: BTreeMap<String, Option<LogicalPlan>>) -> PlanSql {
        PlanSql {
            plans,
            text: std::sync::OnceLock::new(),
        }
    }

    /// Each indicator's compiled plan as SQL text (`-- no period is
    /// computed` when there was nothing to plan).
    pub fn texts(&self) -> &BTreeMap<String, String> {
        use rayon::prelude::*;
        self.text.get_or_init(|| {
            // each on a thread of its own (`plan_to_sql_text`), in parallel
            let texts: Vec<(String, String)> = self
                .plans
                .par_iter()
                .map(|(id, plan)| {
                    let text = match plan {
                        Some(plan) => crate::plan::plan_to_sql_text(plan),
                        None => "-- no period is computed".to_string(),
                    };
                    (id.clone(), text)
                })
                .collect();
            texts.into_iter().collect()
        })
    }

    /// One indicator's SQL text.
    pub fn get(&self, id: &str) -> Option<&String> {
        self.texts().get(id)
    }

    /// The plans and text of the indicators `keep` keeps. The text is
    /// made here, once for the whole run: the packs that share one run
    /// each take a part of it.
    fn kept(&self, keep: impl Fn(&str) -> bool + Copy) -> PlanSql {
        let text = std::sync::OnceLock::new();
        let _ = text.set(kept(self.texts(), keep));
        PlanSql {
            plans: kept(&self.plans, keep),
            text,
        }
    }
}

/// The entries of `map` whose indicator id `keep` keeps.
fn kept<V: Clone>(map: &BTreeMap<String, V>, keep: impl Fn(&str) -> bool) -> BTreeMap<String, V> {
    map.iter()
        .filter(|(id, _)| keep(id))
        .map(|(id, v)| (id.clone(), v.clone()))
        .collect()
}

impl Execution {
    /// This execution as a run of only the indicators `ids` would have
    /// returned it: their aggregates, periods and SQL, and the notes that
    /// concern them, naming only them. Each indicator's plan is run on its
    /// own, so one computation of every indicator serves several packs.
    pub fn restricted(&self, ids: &[String]) -> Execution {
        let keep = |id: &str| ids.iter().any(|i| i == id);
        let note_sources: Vec<ExecNote> = self
            .note_sources
            .iter()
            .filter(|n| n.render(keep).is_some())
            .cloned()
            .collect();
        Execution {
            aggregates: self
                .aggregates
                .iter()
                .filter(|a| keep(&a.indicator))
                .cloned()
                .collect(),
            periods: kept(&self.periods, keep),
            notes: note_sources.iter().filter_map(|n| n.render(keep)).collect(),
            sql: self.sql.kept(keep),
            note_sources,
        }
    }
}

impl Session {
    /// Create a local context and register every table the catalog uses.
    pub async fn open(
        catalog: Arc<ValidCatalog>,
        extract: &Extract,
    ) -> Result<Session, ExecuteError> {
        Session::open_with_context(local_context(), catalog, extract).await
    }

    /// Register every table the catalog uses in `ctx` (a local context, or
    /// one whose plans run elsewhere) and read the areas and coverage.
    pub async fn open_with_context(
        ctx: SessionContext,
        catalog: Arc<ValidCatalog>,
        extract: &Extract,
    ) -> Result<Session, ExecuteError> {
        extract.location.register_store(&ctx);
        let mut tables: BTreeMap<String, String> = BTreeMap::new();
        tables.insert(
            catalog.geography.name.clone(),
            catalog.geography.path.display().to_string(),
        );
        for ind in &catalog.indicators {
            for s in ind.sources.values() {
                tables.insert(s.table.name.clone(), s.table.path.display().to_string());
            }
        }
        // all at once: each registration lists the table's files and reads
        // their footers, mostly waiting on the file system (the first
        // failure in the tables' order is reported)
        futures_util::future::join_all(tables.iter().map(|(name, path)| {
            let ctx = &ctx;
            async move {
                ctx.register_parquet(name.as_str(), path.as_str(), ParquetReadOptions::default())
                    .await
                    .map_err(|source| ExecuteError::Register {
                        table: name.clone(),
                        path: path.clone(),
                        source,
                    })
            }
        }))
        .await
        .into_iter()
        .collect::<Result<Vec<()>, ExecuteError>>()?;
        let areas = catalog.areas.clone();
        let (coverage_start, extract_date) = coverage(&ctx, &catalog, extract).await?;
        Ok(Session {
            ctx,
            catalog,
            areas,
            coverage_start,
            extract_date,
        })
    }

    /// The periods an indicator is computed for.
    pub fn periods(&self, ind: &ValidIndicator) -> PeriodSet {
        periods_for(ind, self.coverage_start, self.extract_date)
    }

    /// Stage entry point: run the given indicators (all when empty)
    /// concurrently and roll their LA rows up.
    pub async fn execute(&self, ids: &[String]) -> Result<Execution, ExecuteError> {
        let (execution, _) = self.execute_then(ids, Arc::new(|_, _, _| ())).await?;
        Ok(execution)
    }

    /// [`Session::execute`], also calling `then` on each indicator's
    /// aggregates and periods as soon as they are rolled up, on a blocking
    /// thread while the later plans run; its results come back in the
    /// order of the indicators in the catalog. A plan keeps the cores
    /// busy for only part of its time (a sort's merge, a join's build),
    /// and the caller's next stage (the assessment: intervals and tests
    /// for every row) fills the gaps instead of following the last plan.
    pub async fn execute_then<T: Send + 'static>(
        &self,
        ids: &[String],
        then: AfterRollup<T>,
    ) -> Result<(Execution, Vec<T>), ExecuteError> {
        let chosen: Vec<ValidIndicator> = self
            .catalog
            .indicators
            .iter()
            .filter(|i| ids.is_empty() || ids.contains(&i.def.id))
            .cloned()
            .collect();
        self.check_area_attributes(chosen.iter())?;
        let dated = cohort_date_columns(&chosen);
        let mut set = tokio::task::JoinSet::new();
        let mut periods = BTreeMap::new();
        let permits = Arc::new(tokio::sync::Semaphore::new(plan_concurrency()));
        let areas = Arc::new(self.areas.clone());
        for (idx, ind) in chosen.into_iter().enumerate() {
            let ps = self.periods(&ind);
            periods.insert(ind.def.id.clone(), ps.clone());
            let ctx = self.ctx.clone();
            let permits = permits.clone();
            let areas = areas.clone();
            let then = then.clone();
            set.spawn(async move {
                // a closed semaphore cannot happen (it is never closed);
                // run unthrottled rather than fail if it somehow were
                let permit = permits.acquire_owned().await.ok();
                let r = run_one(&ctx, &ind, &ps.computed).await;
                // what follows needs no engine: the next plan starts now
                drop(permit);
                let (la_rows, plan) = match r {
                    Ok(r) => r,
                    Err(e) => return Ok((idx, ind, Err(e))),
                };
                tokio::task::spawn_blocking(move || {
                    let mut notes = Vec::new();
                    let rolled = rollup::roll_up(&ind, la_rows, &ps.computed, &areas, &mut notes);
                    let after = then(&ind, &rolled, &ps);
                    (idx, ind, Ok((rolled, notes, plan, after)))
                })
                .await
            });
        }
        let mut results = Vec::new();
        while let Some(joined) = set.join_next().await {
            let (idx, ind, r) = joined
                .map_err(ExecuteError::Task)?
                .map_err(ExecuteError::Task)?;
            match r {
                Ok(r) => results.push((idx, ind, r)),
                Err(e) => return Err(diagnose::diagnose(&self.ctx, &ind, e).await),
            }
        }
        results.sort_by_key(|(i, _, _)| *i);
        let mut aggregates = Vec::new();
        let ran = |id: &String| results.iter().any(|(_, ind, _)| &ind.def.id == id);
        let mut notes: Vec<ExecNote> = self
            .catalog
            .notes
            .iter()
            .filter(|n| n.indicators.iter().any(ran))
            .map(|n| {
                let ids = n.indicators.iter().filter(|id| ran(id)).cloned().collect();
                ExecNote::plain(ids, n.text.clone())
            })
            .collect();
        notes.extend(self.area_attribute_notes(results.iter().map(|(_, ind, _)| ind)));
        let mut plans = BTreeMap::new();
        let mut after = Vec::with_capacity(results.len());
        for (_, ind, (rolled, rollup_notes, plan, then_out)) in results {
            after.push(then_out);
            plans.insert(ind.def.id.clone(), plan);
            notes.extend(
                rollup_notes
                    .into_iter()
                    .map(|text| ExecNote::plain(vec![ind.def.id.clone()], text)),
            );
            aggregates.extend(rolled);
        }
        // one small query per column, all at once
        let counts = futures_util::future::try_join_all(
            dated
                .keys()
                .map(|(table, column)| self.null_count(table, column)),
        )
        .await?;
        for (((table, column), ids), n) in dated.iter().zip(counts) {
            if n > 0 {
                notes.push(ExecNote {
                    indicators: ids.clone(),
                    text: NoteText::Listing {
                        before: format!(
                            "{table}: {n} rows with no {column} are counted in no period by "
                        ),
                        after: format!(" (their cohort is placed by {column})"),
                    },
                });
            }
        }
        let execution = Execution {
            aggregates,
            periods,
            notes: notes.iter().filter_map(|n| n.render(|_| true)).collect(),
            sql: PlanSql::new(plans),
            note_sources: notes,
        };
        Ok((execution, after))
    }
}

/// The attributes of the geography table (populations) that `chosen`
/// divide by, each with the indicators that use it.
fn used_attributes<'a>(
    chosen: impl Iterator<Item = &'a ValidIndicator>,
) -> BTreeMap<&'a str, Vec<&'a str>> {
    let mut used: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for ind in chosen {
        for m in ind.def.measures.values() {
            if let Some(a) = &m.area_attribute {
                used.entry(a.as_str())
                    .or_default()
                    .push(ind.def.id.as_str());
            }
        }
    }
    used
}

/// Up to five codes, then how many more.
fn code_list(codes: &[&str]) -> String {
    let more = codes.len().saturating_sub(5);
    let mut text = codes[..codes.len().min(5)].join(", ");
    if more > 0 {
        text.push_str(&format!(" and {more} more"));
    }
    text
}

impl Session {
    /// Refuse a negative attribute (population) that an indicator of
    /// `chosen` divides by: no rate or interval is defined on it, so the
    /// run stops before any plan, naming the table, column and LAs.
    fn check_area_attributes<'a>(
        &self,
        chosen: impl Iterator<Item = &'a ValidIndicator>,
    ) -> Result<(), ExecuteError> {
        let table = &self.catalog.geography.name;
        for (attr, ids) in used_attributes(chosen) {
            let negative: Vec<&str> = self
                .areas
                .las
                .values()
                .filter(|a| a.attributes.get(attr).is_some_and(|v| *v < 0.0))
                .map(|a| a.code.as_str())
                .collect();
            if !negative.is_empty() {
                return Err(ExecuteError::Geography {
                    table: table.clone(),
                    message: format!(
                        "column {attr} is negative for {} LA(s) ({}), and {} divide by it: correct it in the table",
                        negative.len(),
                        code_list(&negative),
                        ids.join(", ")
                    ),
                });
            }
        }
        Ok(())
    }

    /// Notes on the geography table's attributes (populations) that the
    /// indicators of `results` divide by: LAs where one is missing (counted
    /// as 0).
    fn area_attribute_notes<'a>(
        &self,
        chosen: impl Iterator<Item = &'a ValidIndicator>,
    ) -> Vec<ExecNote> {
        let table = &self.catalog.geography.name;
        let mut notes = Vec::new();
        for (attr, ids) in used_attributes(chosen) {
            let missing: Vec<&str> = self
                .areas
                .las
                .values()
                .filter(|a| !a.attributes.contains_key(attr))
                .map(|a| a.code.as_str())
                .collect();
            if !missing.is_empty() {
                notes.push(ExecNote {
                    indicators: ids.iter().map(|id| id.to_string()).collect(),
                    text: NoteText::Listing {
                        before: format!(
                            "{table}: {attr} is null for {} LA(s) ({}): ",
                            missing.len(),
                            code_list(&missing),
                        ),
                        after: " count it as 0; fill it in the table".to_string(),
                    },
                });
            }
        }
        notes
    }
}

/// (table, physical cohort date column) -> the indicators whose cohort
/// is placed in periods by that column.
fn cohort_date_columns(chosen: &[ValidIndicator]) -> BTreeMap<(String, String), Vec<String>> {
    let mut out: BTreeMap<(String, String), Vec<String>> = BTreeMap::new();
    for ind in chosen {
        let c = &ind.def.cohort;
        let (Some(date), Some(src)) = (&c.date, ind.sources.get(&c.source)) else {
            continue;
        };
        let Some(col) = src.columns.get(date) else {
            continue;
        };
        out.entry((src.table.name.clone(), col.clone()))
            .or_default()
            .push(ind.def.id.clone());
    }
    out
}

impl Session {
    /// Rows of `table` whose `column` is null.
    async fn null_count(&self, table: &str, column: &str) -> Result<u64, ExecuteError> {
        use datafusion::functions_aggregate::expr_fn::count;
        use datafusion::prelude::{col, lit};
        let read = |source| ExecuteError::Read {
            table: table.to_string(),
            source,
        };
        let batches = self
            .ctx
            .table(table)
            .await
            .map_err(read)?
            .aggregate(
                vec![],
                vec![
                    count(lit(1)).alias("n"),
                    count(col(format!("\"{column}\""))).alias("dated"),
                ],
            )
            .map_err(read)?
            .collect()
            .await
            .map_err(read)?;
        let get = |i: usize| -> Option<i64> {
            let b = batches.first()?;
            let a = b
                .column(i)
                .as_any()
                .downcast_ref::<datafusion::arrow::array::Int64Array>()?;
            (!a.is_empty()).then(|| a.value(0))
        };
        Ok(match (get(0), get(1)) {
            (Some(n), Some(d)) => (n - d).max(0) as u64,
            _ => 0,
        })
    }
}

/// The configuration every local run uses: one partition per core (at
/// least two, so plans are exercised with repartitioning).
pub fn session_config() -> SessionConfig {
    SessionConfig::new().with_target_partitions(
        std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(2)
            .max(2),
    )
}

/// Whether `ctx`'s queries run on an Apache DataFusion Ballista cluster
/// rather than in this process (its configuration carries Ballista's).
pub fn distributed(ctx: &SessionContext) -> bool {
    #[cfg(feature = "ballista")]
    {
        ballista::is_ballista(ctx)
    }
    #[cfg(not(feature = "ballista"))]
    {
        let _ = ctx;
        false
    }
}

/// How many indicator plans run at once: half the cores, at least one.
/// Each plan is already parallel across the session's partitions, so more
/// at once adds no speed on a small machine, only memory (at scale 3 on 2
/// cores all nine at once peaked at 8 GB).
pub fn plan_concurrency() -> usize {
    std::thread::available_parallelism()
        .map(|n| n.get() / 2)
        .unwrap_or(1)
        .max(1)
}

/// The memory bound of local contexts, in bytes ([`set_memory_limit`]).
static MEMORY_LIMIT: std::sync::OnceLock<usize> = std::sync::OnceLock::new();

/// Bound the memory of every local context made after this call (the
/// process's first call wins; returns whether this one did): DataFusion's
/// fair spill pool of `bytes` is shared by the operators of the running
/// plans, and sorts and aggregations that would exceed their share spill
/// to temporary files (in the OS temporary directory) instead. Joins are
/// planned as sort-merge joins, since a hash join's build side cannot
/// spill. A bound below what an operator needs fails the run with
/// [`ExecuteError::MemoryLimit`] rather than exceeding it.
pub fn set_memory_limit(bytes: usize) -> bool {
    MEMORY_LIMIT.set(bytes).is_ok()
}

/// A local context with [`session_config`], its memory bounded when
/// [`set_memory_limit`] was called.
pub fn local_context() -> SessionContext {
    let Some(&bytes) = MEMORY_LIMIT.get() else {
        return SessionContext::new_with_config(session_config());
    };
    use datafusion::execution::memory_pool::FairSpillPool;
    use datafusion::execution::runtime_env::RuntimeEnvBuilder;
    // the default disk manager (temporary files in the OS directory) is
    // created lazily, so building the runtime does not fail
    // A hash join's build side cannot spill, so under a bound joins are
    // planned as sort-merge joins, whose sorts and buffered rows can.
    let mut config = session_config();
    let options = config.options_mut();
    options.optimizer.prefer_hash_join = false;
    // Each sort holds back a reservation for merging its spills (10 MB by
    // default); a few dozen sorts must fit in the pool at once.
    options.execution.sort_spill_reservation_bytes =
        (bytes / 32).min(options.execution.sort_spill_reservation_bytes);
    match RuntimeEnvBuilder::new()
        .with_memory_pool(Arc::new(FairSpillPool::new(bytes)))
        .build_arc()
    {
        Ok(rt) => SessionContext::new_with_config_rt(config, rt),
        Err(_) => SessionContext::new_with_config(config),
    }
}

/// Plan and run one indicator: its LA rows and the plan it ran (`None`
/// when no period is computed).
async fn run_one(
    ctx: &SessionContext,
    ind: &ValidIndicator,
    periods: &[Period],
) -> Result<(Vec<aggregates::LaRow>, Option<LogicalPlan>), ExecuteError> {
    if periods.is_empty() {
        return Ok((Vec::new(), None));
    }
    let started = std::time::Instant::now();
    let plan = plan_indicator(ctx, ind, periods).await?;
    let ran = plan.clone();
    let wrap = |source| ExecuteError::run(&ind.def.id, source);
    let batches = ctx
        .execute_logical_plan(plan)
        .await
        .map_err(wrap)?
        .collect()
        .await
        .map_err(wrap)?;
    tracing::debug!(
        indicator = %ind.def.id,
        seconds = started.elapsed().as_secs_f64(),
        "indicator planned and run"
    );
    Ok((
        aggregates::read_la_rows(ind, &batches).map_err(wrap)?,
        Some(ran),
    ))
}
