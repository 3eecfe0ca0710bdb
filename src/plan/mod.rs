//! Stage 3, planning: compile a [`ValidIndicator`] into one DataFusion
//! `LogicalPlan` that yields, for every period and LA, each measure and its
//! unweighted count. See `docs/architecture.md` for the plan's shape.
//!
//! Only built-in operators and functions are used (no UDFs), so the same
//! plans run on DataFusion Ballista.

mod cohort;
mod events;
mod explain;
mod measures;
mod periods;

use datafusion::error::DataFusionError;
use datafusion::logical_expr::{LogicalPlan, LogicalPlanBuilder};
use datafusion::prelude::{SessionContext, col};

use crate::definition::{Anchor, EventsDef};
use crate::period::Period;
use crate::validate::ValidIndicator;

pub use explain::{explain_analyze, explain_indicator, plan_to_sql_parts, plan_to_sql_text};
pub use measures::{SUM_W2_COLUMN, measure_count_column, measure_value_column};
pub use periods::periods_relation;

/// Output column: the grain of the period (`quarter`, ...).
pub const GRAIN_COLUMN: &str = "grain";
/// Output column: the period label.
pub const PERIOD_COLUMN: &str = "period";
/// Output column: the LA code.
pub const AREA_COLUMN: &str = "area_code";

/// Errors of the planning stage.
#[derive(Debug, thiserror::Error)]
pub enum PlanError {
    /// DataFusion refused to build the plan: a bug or an unsupported construct.
    #[error("cannot compile indicator {indicator}")]
    DataFusion {
        /// The indicator.
        indicator: String,
        /// The cause.
        #[source]
        source: DataFusionError,
    },
    /// No periods to compute.
    #[error("indicator {indicator} has no complete period to compute in the extract")]
    NoPeriods {
        /// The indicator.
        indicator: String,
    },
}

/// Days after a period's last day until the last event the indicator needs
/// is proven: the follow-up window plus the waiting period.
pub fn follow_up_days(events: &std::collections::BTreeMap<String, EventsDef>) -> i64 {
    events
        .values()
        .map(|e| {
            let w = &e.window;
            let end = match (w.after, w.ending) {
                (Some(Anchor::CohortDate | Anchor::PeriodEnd), _) => w.days as i64,
                (Some(Anchor::PeriodStart), _) => 0,
                _ => 0,
            };
            end + e
                .proven
                .as_ref()
                .map(|p| p.waiting_days as i64)
                .unwrap_or(0)
        })
        .max()
        .unwrap_or(0)
}

/// Whether nothing about a cohort row depends on the period it is counted
/// in: no first row per person, membership by the row's own quarter or
/// year, no filter or measure condition on `period_start`/`period_end`, and
/// every event window anchored on the cohort date. Such rows are then
/// joined to events and aggregated once, per quarter (or year) and LA, and
/// the partial sums added up per period: a financial year or rolling year
/// costs four small sums instead of four copies of every row.
pub fn row_level(ind: &ValidIndicator) -> bool {
    let co = &ind.def.cohort;
    let uses_period = |e: &datafusion::logical_expr::Expr| {
        e.column_refs()
            .iter()
            .any(|c| c.name == "period_start" || c.name == "period_end")
    };
    let windows_on_cohort_date = ind.def.events.values().all(|e| {
        let w = &e.window;
        [w.after, w.before, w.ending]
            .iter()
            .flatten()
            .all(|a| matches!(a, Anchor::CohortDate))
    });
    ind.order_by.is_empty()
        && co.until.is_none()
        && co.observed_days.is_none()
        && (co.date.is_some() || co.year.is_some())
        && !ind.cohort_filter.as_ref().is_some_and(uses_period)
        && !ind.measure_wheres.values().any(uses_period)
        && windows_on_cohort_date
}

/// Stage entry point: compile one indicator over the given periods (all
/// of its grains) into a logical plan over the tables registered in `ctx`.
pub async fn plan_indicator(
    ctx: &SessionContext,
    ind: &ValidIndicator,
    periods: &[Period],
) -> Result<LogicalPlan, PlanError> {
    let id = ind.def.id.clone();
    if periods.is_empty() {
        return Err(PlanError::NoPeriods { indicator: id });
    }
    let wrap = |source| PlanError::DataFusion {
        indicator: id.clone(),
        source,
    };
    build(ctx, ind, periods).await.map_err(wrap)
}

async fn build(
    ctx: &SessionContext,
    ind: &ValidIndicator,
    periods: &[Period],
) -> datafusion::error::Result<LogicalPlan> {
    let by_date = ind.def.cohort.year.is_none();
    let periods_plan = periods_relation(
        periods,
        by_date && ind.def.cohort.until.is_none() && ind.def.cohort.observed_days.is_none(),
    )?;
    let aggregated = if row_level(ind) {
        let (rows, key) = cohort::source_rows(ctx, ind).await?;
        let co = &ind.def.cohort;
        if co.person.is_some() && co.date.is_some() {
            // events counted by one join each, straight into the buckets
            let mut pairs = Vec::new();
            for (set, what) in measures::pair_counts_needed(ind) {
                let plan =
                    events::bucket_pair_counts(ctx, ind, set, what, rows.clone(), cohort::BUCKET)
                        .await?;
                pairs.push(((set, what), plan));
            }
            measures::aggregate_by_bucket(ind, rows, pairs, periods_plan, cohort::BUCKET, key)?
        } else {
            let with_events = events::attach_events(ctx, ind, rows, false).await?;
            measures::aggregate_by_bucket(
                ind,
                with_events,
                Vec::new(),
                periods_plan,
                cohort::BUCKET,
                key,
            )?
        }
    } else {
        let cohort = cohort::cohort_plan(ctx, ind, periods_plan.clone()).await?;
        let with_events = events::attach_events(ctx, ind, cohort, true).await?;
        measures::aggregate(ind, with_events, periods_plan)?
    };
    LogicalPlanBuilder::from(aggregated)
        .sort(vec![
            col(GRAIN_COLUMN).sort(true, false),
            col(PERIOD_COLUMN).sort(true, false),
            col(AREA_COLUMN).sort(true, false),
        ])?
        .build()
}
