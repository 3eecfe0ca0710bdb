//! The cohort: source rows placed in periods, filtered, and optionally
//! reduced to the first row per person and period.

use datafusion::arrow::datatypes::DataType;
use datafusion::common::{Column, ScalarValue};
use datafusion::error::Result;
use datafusion::functions::datetime::expr_fn::date_trunc;
use datafusion::functions_window::expr_fn::row_number;
use datafusion::logical_expr::{
    Expr, ExprFunctionExt, JoinType, LogicalPlan, LogicalPlanBuilder, cast, lit,
};
use datafusion::prelude::{SessionContext, col};

use crate::validate::{ResolvedSource, ValidIndicator};

/// A column of the definition's schema (unqualified, case kept).
pub fn c(name: &str) -> Expr {
    Expr::Column(Column::new_unqualified(name))
}

/// `days` as a day interval literal.
pub fn days(n: u32) -> Expr {
    lit(ScalarValue::new_interval_dt(n as i32, 0))
}

/// Project every column and name the result, so the unparser renders it
/// as one derived table (`(SELECT ...) AS name`).
pub fn boxed(b: LogicalPlanBuilder, name: &str) -> Result<LogicalPlanBuilder> {
    let cols: Vec<Expr> = b.schema().columns().into_iter().map(Expr::Column).collect();
    b.project(cols)?.alias(name)
}

/// Scan a source and rename its columns to the definition's names.
pub async fn scan_source(ctx: &SessionContext, src: &ResolvedSource) -> Result<LogicalPlanBuilder> {
    let plan = ctx
        .table(src.table.name.as_str())
        .await?
        .into_unoptimized_plan();
    let exprs: Vec<Expr> = src
        .columns
        .iter()
        .map(|(name, raw)| c(raw).alias(name))
        .collect();
    LogicalPlanBuilder::from(plan)
        .project(exprs)?
        .alias(src.table.name.as_str())
}

/// Build the cohort joined to its periods.
pub async fn cohort_plan(
    ctx: &SessionContext,
    ind: &ValidIndicator,
    periods: LogicalPlan,
) -> Result<LogicalPlan> {
    let def = &ind.def;
    let co = &def.cohort;
    let src = ind.sources.get(&co.source).ok_or_else(|| {
        datafusion::error::DataFusionError::Internal(format!(
            "validated source `{}` missing",
            co.source
        ))
    })?;
    let base = scan_source(ctx, src).await?;
    let mut b = match (&co.date, &co.year, &co.until, co.observed_days) {
        (Some(d), _, None, None) => {
            let quarter = cast(
                date_trunc(
                    lit("quarter"),
                    cast(
                        c(d),
                        DataType::Timestamp(
                            datafusion::arrow::datatypes::TimeUnit::Nanosecond,
                            None,
                        ),
                    ),
                ),
                DataType::Date32,
            );
            let mut exprs: Vec<Expr> = src.columns.keys().map(|k| c(k)).collect();
            exprs.push(quarter.alias("__quarter"));
            base.project(exprs)?.join(
                periods,
                JoinType::Inner,
                (vec!["__quarter"], vec!["quarter_start"]),
                None,
            )?
        }
        (Some(d), _, Some(u), _) => base.join_on(
            periods,
            JoinType::Inner,
            vec![
                c(d).lt_eq(col("period_end")),
                c(u).is_null().or(c(u).gt_eq(col("period_start"))),
            ],
        )?,
        (Some(d), _, None, Some(n)) => base.join_on(
            periods,
            JoinType::Inner,
            vec![c(d).lt_eq(col("period_end") - days(n))],
        )?,
        (None, Some(y), _, _) => {
            let mut exprs: Vec<Expr> = src.columns.keys().map(|k| c(k)).collect();
            exprs.push(cast(c(y), DataType::Int64).alias("__year"));
            base.project(exprs)?.join(
                periods,
                JoinType::Inner,
                (vec!["__year"], vec!["period_year"]),
                None,
            )?
        }
        (None, None, _, _) => {
            return Err(datafusion::error::DataFusionError::Internal(
                "validated cohort has no date".into(),
            ));
        }
    };
    b = boxed(b, "members")?;
    if let Some(f) = &ind.cohort_filter {
        b = b.filter(f.clone())?;
    }
    if let (Some(person), false) = (&co.person, ind.order_by.is_empty()) {
        let order: Vec<_> = ind
            .order_by
            .iter()
            .map(|(k, desc)| c(k).sort(!desc, false))
            .collect();
        let rn = row_number()
            .partition_by(vec![col("grain"), col("period"), c(person)])
            .order_by(order)
            .build()?
            .alias("__rn");
        b = b.window(vec![rn])?.filter(col("__rn").eq(lit(1u64)))?;
    }
    boxed(b, "cohort")?.build()
}
