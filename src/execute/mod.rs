//! Stage 4, execution: one `SessionContext` per run with every table
//! registered once, every indicator plan run concurrently, and LA rows
//! rolled up to region and national by re-summing.

mod aggregates;
mod areas;
#[cfg(feature = "ballista")]
pub mod ballista;
mod periods;
mod rollup;
pub mod scan_floor;

use std::collections::BTreeMap;
use std::sync::Arc;

use chrono::NaiveDate;
use datafusion::error::DataFusionError;
use datafusion::execution::options::ParquetReadOptions;
use datafusion::prelude::{SessionConfig, SessionContext};

use crate::extract::{Extract, ExtractError};
use crate::period::Period;
use crate::plan::{PlanError, plan_indicator};
use crate::validate::{ValidCatalog, ValidIndicator};

pub use aggregates::{Aggregate, AreaLevel, MeasureValue, NATIONAL_CODE, NATIONAL_NAME};
pub use areas::{Area, AreaLookup};
pub use periods::{PeriodSet, coverage, periods_for};

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
    /// A task failed to join.
    #[error("an indicator task failed: {0}")]
    Task(String),
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

/// What one run computed.
#[derive(Debug, Clone)]
pub struct Execution {
    /// Every indicator x level x area x computed period.
    pub aggregates: Vec<Aggregate>,
    /// Periods per indicator: computed and not yet available.
    pub periods: BTreeMap<String, PeriodSet>,
    /// Notes for the data-quality section (unknown area codes, ...).
    pub notes: Vec<String>,
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
        for (name, path) in &tables {
            ctx.register_parquet(name.as_str(), path.as_str(), ParquetReadOptions::default())
                .await
                .map_err(|source| ExecuteError::Register {
                    table: name.clone(),
                    path: path.clone(),
                    source,
                })?;
        }
        let areas = areas::load_areas(&ctx, &catalog).await?;
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
        let chosen: Vec<ValidIndicator> = self
            .catalog
            .indicators
            .iter()
            .filter(|i| ids.is_empty() || ids.contains(&i.def.id))
            .cloned()
            .collect();
        let mut set = tokio::task::JoinSet::new();
        let mut periods = BTreeMap::new();
        let permits = Arc::new(tokio::sync::Semaphore::new(plan_concurrency()));
        for (idx, ind) in chosen.into_iter().enumerate() {
            let ps = self.periods(&ind);
            periods.insert(ind.def.id.clone(), ps.clone());
            let ctx = self.ctx.clone();
            let permits = permits.clone();
            set.spawn(async move {
                // a closed semaphore cannot happen (it is never closed);
                // run unthrottled rather than fail if it somehow were
                let _permit = permits.acquire_owned().await.ok();
                let r = run_one(&ctx, &ind, &ps.computed).await;
                (idx, ind, r)
            });
        }
        let mut results = Vec::new();
        while let Some(joined) = set.join_next().await {
            let (idx, ind, r) = joined.map_err(|e| ExecuteError::Task(e.to_string()))?;
            results.push((idx, ind, r?));
        }
        results.sort_by_key(|(i, _, _)| *i);
        let mut aggregates = Vec::new();
        let mut notes = Vec::new();
        for (_, ind, la_rows) in results {
            let ps = &periods[&ind.def.id];
            let rolled = rollup::roll_up(&ind, la_rows, &ps.computed, &self.areas, &mut notes);
            aggregates.extend(rolled);
        }
        Ok(Execution {
            aggregates,
            periods,
            notes,
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

/// A local context with [`session_config`].
pub fn local_context() -> SessionContext {
    SessionContext::new_with_config(session_config())
}

async fn run_one(
    ctx: &SessionContext,
    ind: &ValidIndicator,
    periods: &[Period],
) -> Result<Vec<aggregates::LaRow>, ExecuteError> {
    if periods.is_empty() {
        return Ok(Vec::new());
    }
    let plan = plan_indicator(ctx, ind, periods).await?;
    let wrap = |source| ExecuteError::Run {
        indicator: ind.def.id.clone(),
        source,
    };
    let batches = ctx
        .execute_logical_plan(plan)
        .await
        .map_err(wrap)?
        .collect()
        .await
        .map_err(wrap)?;
    aggregates::read_la_rows(ind, &batches).map_err(wrap)
}
