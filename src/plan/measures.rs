//! Measures: one aggregate per measure and its unweighted count, per
//! period and LA.

use datafusion::arrow::datatypes::DataType;
use datafusion::error::Result;
use datafusion::functions_aggregate::expr_fn::{count, sum};
use datafusion::logical_expr::{Expr, LogicalPlan, LogicalPlanBuilder, cast, lit, when};
use datafusion::prelude::{coalesce, col};

use super::cohort::c;
use super::events::EventColumns;
use super::{AREA_COLUMN, GRAIN_COLUMN, PERIOD_COLUMN};
use crate::definition::{CountOf, MeasureDef};
use crate::validate::ValidIndicator;

/// Output column holding the sum of squared weights (for the Kish effective n).
pub const SUM_W2_COLUMN: &str = "__sum_w2";

/// Output column of a measure's value.
pub fn measure_value_column(measure: &str) -> String {
    measure.to_string()
}

/// Output column of a measure's unweighted count.
pub fn measure_count_column(measure: &str) -> String {
    format!("{measure}__n")
}

fn f64e(e: Expr) -> Expr {
    cast(e, DataType::Float64)
}

/// Exact decimal with 12 places: sums of these do not depend on the order
/// rows are added in, so results are identical however the data are
/// partitioned (floating-point sums are not).
fn exact(e: Expr) -> Expr {
    cast(e, DataType::Decimal128(38, 12))
}

fn i64e(e: Expr) -> Expr {
    cast(e, DataType::Int64)
}

/// The (value, count) aggregate pair of one measure; `None` for measures
/// not computed in the plan (area attributes).
fn measure_exprs(ind: &ValidIndicator, name: &str, m: &MeasureDef) -> Option<(Expr, Expr)> {
    let cond = ind.measure_wheres.get(name).cloned();
    let event_index = |set: &str| ind.def.events.keys().position(|k| k == set);
    if let Some(CountOf::Cohort) = m.count {
        let e = match cond {
            Some(w) => sum(when(w, lit(1i64)).otherwise(lit(0i64)).ok()?),
            None => count(lit(1)),
        };
        return Some((f64e(e.clone()), i64e(e)));
    }
    if let Some(col_name) = &m.sum {
        let v = exact(f64e(c(col_name)));
        let (value, n) = match cond {
            Some(w) => (
                sum(when(w.clone(), v.clone()).end().ok()?),
                sum(when(w.and(c(col_name).is_not_null()), lit(1i64))
                    .otherwise(lit(0i64))
                    .ok()?),
            ),
            None => (sum(v), count(c(col_name))),
        };
        return Some((f64e(value), i64e(n)));
    }
    if let Some(set) = &m.events {
        let n = col(EventColumns::new(event_index(set)?).count());
        let e = sum(coalesce(vec![n, lit(0i64)]));
        return Some((f64e(e.clone()), i64e(e)));
    }
    if let Some(set) = &m.members_with {
        let n = col(EventColumns::new(event_index(set)?).count());
        let e = sum(when(n.gt(lit(0i64)), lit(1i64)).otherwise(lit(0i64)).ok()?);
        return Some((f64e(e.clone()), i64e(e)));
    }
    None
}

/// Aggregate the cohort per grain, period and LA.
pub fn aggregate(ind: &ValidIndicator, cohort: LogicalPlan) -> Result<LogicalPlan> {
    let mut aggs = Vec::new();
    for (name, m) in &ind.def.measures {
        if let Some((v, n)) = measure_exprs(ind, name, m) {
            aggs.push(v.alias(measure_value_column(name)));
            aggs.push(n.alias(measure_count_column(name)));
        }
    }
    if let Some(w) = ind.def.interval.as_ref().and_then(|i| i.weight.as_ref()) {
        let wv = f64e(c(w));
        aggs.push(f64e(sum(exact(wv.clone() * wv))).alias(SUM_W2_COLUMN));
    }
    LogicalPlanBuilder::from(cohort)
        .aggregate(
            vec![col("grain"), col("period"), c(&ind.def.cohort.area)],
            aggs,
        )?
        .project_with_names(ind)?
        .build()
}

trait ProjectNames {
    fn project_with_names(self, ind: &ValidIndicator) -> Result<LogicalPlanBuilder>;
}

impl ProjectNames for LogicalPlanBuilder {
    /// Rename the group keys to the fixed output names.
    fn project_with_names(self, ind: &ValidIndicator) -> Result<LogicalPlanBuilder> {
        let area = &ind.def.cohort.area;
        let exprs: Vec<Expr> = self
            .schema()
            .columns()
            .into_iter()
            .map(|cl| {
                let name = cl.name.clone();
                let e = Expr::Column(cl);
                match name.as_str() {
                    "grain" => e.alias(GRAIN_COLUMN),
                    "period" => e.alias(PERIOD_COLUMN),
                    n if n == area => e.alias(AREA_COLUMN),
                    _ => e,
                }
            })
            .collect();
        self.project(exprs)
    }
}
