//! Measures: one aggregate per measure and its unweighted count, per
//! period and LA.

use datafusion::arrow::datatypes::DataType;
use datafusion::common::ScalarValue;
use datafusion::error::Result;
use datafusion::functions_aggregate::expr_fn::{count, sum};
use datafusion::logical_expr::{Expr, JoinType, LogicalPlan, LogicalPlanBuilder, cast, lit, when};
use datafusion::prelude::{coalesce, col};

use super::cohort::c;
use super::events::{EventColumns, PairCount, pair_column};
use super::periods::PERIOD_ID;

/// The labels relation's copy of the period key.
const LABEL_ID: &str = "label_period_id";
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

/// The (value, count) aggregates of one measure, before their output
/// casts (value to `Float64`, count to `Int64`); `None` for measures not
/// computed in the plan (area attributes). Every one is a sum or a count,
/// so partial results (per quarter, say) can be summed again exactly.
fn measure_aggs(ind: &ValidIndicator, name: &str, m: &MeasureDef) -> Option<(Expr, Expr, Pairs)> {
    let cond = ind.measure_wheres.get(name).cloned();
    let event_index = |set: &str| ind.def.events.keys().position(|k| k == set);
    if let Some(CountOf::Cohort) = m.count {
        let e = match cond {
            Some(w) => sum(when(w, lit(1i64)).otherwise(lit(0i64)).ok()?),
            None => count(lit(1)),
        };
        return Some((e.clone(), e, None));
    }
    if let Some(col_name) = &m.sum {
        let v = exact(f64e(c(col_name)));
        return Some(match cond {
            Some(w) => (
                sum(when(w.clone(), v.clone()).end().ok()?),
                sum(when(w.and(c(col_name).is_not_null()), lit(1i64))
                    .otherwise(lit(0i64))
                    .ok()?),
                None,
            ),
            None => (sum(v), count(c(col_name)), None),
        });
    }
    if let Some(set) = &m.events {
        let i = event_index(set)?;
        let n = col(EventColumns::new(i).count());
        let e = sum(coalesce(vec![n, lit(0i64)]));
        return Some((e.clone(), e, Some((i, PairCount::Events))));
    }
    if let Some(set) = &m.members_with {
        let i = event_index(set)?;
        let n = col(EventColumns::new(i).count());
        let e = sum(when(n.gt(lit(0i64)), lit(1i64)).otherwise(lit(0i64)).ok()?);
        return Some((e.clone(), e, Some((i, PairCount::Members))));
    }
    None
}

/// The event set (number) and what of it an aggregate counts, for the
/// aggregates of `events` and `members_with` measures.
type Pairs = Option<(usize, PairCount)>;

/// Every computed aggregate as (output name, aggregate, cast to `Float64`,
/// the event pairs it counts).
fn all_aggs(ind: &ValidIndicator) -> Vec<(String, Expr, bool, Pairs)> {
    let mut aggs = Vec::new();
    for (name, m) in &ind.def.measures {
        if let Some((v, n, pairs)) = measure_aggs(ind, name, m) {
            aggs.push((measure_value_column(name), v, true, pairs));
            aggs.push((measure_count_column(name), n, false, pairs));
        }
    }
    if let Some(w) = ind.def.interval.as_ref().and_then(|i| i.weight.as_ref()) {
        let wv = f64e(c(w));
        aggs.push((
            SUM_W2_COLUMN.to_string(),
            sum(exact(wv.clone() * wv)),
            true,
            None,
        ));
    }
    aggs
}

/// The event pair counts a row-level plan of `ind` needs (see
/// [`aggregate_by_bucket`]), in a fixed order.
pub fn pair_counts_needed(ind: &ValidIndicator) -> Vec<(usize, PairCount)> {
    let set: std::collections::BTreeSet<(usize, PairCount)> =
        all_aggs(ind).into_iter().filter_map(|a| a.3).collect();
    set.into_iter().collect()
}

fn output_cast(e: Expr, float: bool) -> Expr {
    if float { f64e(e) } else { i64e(e) }
}

/// Aggregate the cohort per period and LA, then join the period labels
/// (grain, period) from `periods`, the relation the cohort was built on.
pub fn aggregate(
    ind: &ValidIndicator,
    cohort: LogicalPlan,
    periods: LogicalPlan,
) -> Result<LogicalPlan> {
    let aggs: Vec<Expr> = all_aggs(ind)
        .into_iter()
        .map(|(name, e, float, _)| output_cast(e, float).alias(name))
        .collect();
    let area = &ind.def.cohort.area;
    let agg = LogicalPlanBuilder::from(cohort)
        .aggregate(vec![col(PERIOD_ID), c(area)], aggs)?
        .alias("measures")?;
    label(ind, agg, periods)
}

/// Aggregate source rows that carry a bucket column (`bucket`: the
/// quarter or year the row falls in) per bucket and LA first, then join
/// the buckets to the periods they belong to (`periods_key`) and sum the
/// partial aggregates per period and LA. Used when no part of the cohort
/// depends on the period (see `plan::row_level`): each row is aggregated
/// once instead of once per period containing it.
///
/// `pairs` holds, for each of [`pair_counts_needed`], the plan of
/// `events::bucket_pair_counts`: the partials of `events` and
/// `members_with` measures are then those counts, and every other partial
/// is aggregated from `rows`; the two are stacked (`UNION ALL`, zero or
/// null where a part does not compute a column) before the sums per
/// period. With `pairs` empty, `rows` carries the event count columns
/// (`events::attach_events`) and every partial is aggregated from it.
pub fn aggregate_by_bucket(
    ind: &ValidIndicator,
    rows: LogicalPlan,
    pairs: Vec<((usize, PairCount), LogicalPlan)>,
    periods: LogicalPlan,
    bucket: &str,
    periods_key: &str,
) -> Result<LogicalPlan> {
    let area = &ind.def.cohort.area;
    let aggs = all_aggs(ind);
    let partial_name = |name: &str| format!("__partial_{name}");
    let by_pairs = !pairs.is_empty();
    let partial: Vec<Expr> = aggs
        .iter()
        .filter(|a| !by_pairs || a.3.is_none())
        .map(|(name, e, _, _)| e.clone().alias(partial_name(name)))
        .collect();
    let mut per_bucket =
        LogicalPlanBuilder::from(rows).aggregate(vec![col(bucket), c(area)], partial)?;
    if by_pairs {
        let from_rows = per_bucket.build()?;
        let typed_null = |name: &str| -> Result<Expr> {
            let dt = from_rows
                .schema()
                .field_with_unqualified_name(&partial_name(name))?
                .data_type()
                .clone();
            Ok(cast(lit(ScalarValue::Null), dt).alias(partial_name(name)))
        };
        let mut cols = vec![col(bucket), c(area)];
        for (name, _, _, p) in &aggs {
            cols.push(match p {
                None => col(partial_name(name)),
                Some(_) => lit(0i64).alias(partial_name(name)),
            });
        }
        per_bucket = LogicalPlanBuilder::from(from_rows.clone()).project(cols)?;
        for (which, plan) in pairs {
            let mut cols = vec![col(bucket), c(area)];
            for (name, _, _, p) in &aggs {
                cols.push(match p {
                    None => typed_null(name)?,
                    Some(q) if *q == which => {
                        col(pair_column(which.0, which.1)).alias(partial_name(name))
                    }
                    Some(_) => lit(0i64).alias(partial_name(name)),
                });
            }
            let part = LogicalPlanBuilder::from(plan).project(cols)?.build()?;
            per_bucket = per_bucket.union(part)?;
        }
    }
    let per_bucket = per_bucket.alias("buckets")?.build()?;
    let keys = LogicalPlanBuilder::from(periods.clone())
        .project(vec![col(PERIOD_ID), col(periods_key)])?
        .alias("period_buckets")?
        .build()?;
    let finals: Vec<Expr> = aggs
        .iter()
        .map(|(name, _, float, _)| output_cast(sum(col(partial_name(name))), *float).alias(name))
        .collect();
    let agg = LogicalPlanBuilder::from(per_bucket)
        .join(
            keys,
            JoinType::Inner,
            (vec![bucket], vec![periods_key]),
            None,
        )?
        .aggregate(vec![col(PERIOD_ID), c(area)], finals)?
        .alias("measures")?;
    label(ind, agg, periods)
}

/// Join the period labels (grain, period) of `periods` to aggregates keyed
/// by `period_id`, and name the output columns.
fn label(
    ind: &ValidIndicator,
    agg: LogicalPlanBuilder,
    periods: LogicalPlan,
) -> Result<LogicalPlan> {
    let measure_cols: Vec<Expr> = agg
        .schema()
        .columns()
        .into_iter()
        .filter(|cl| cl.name != PERIOD_ID)
        .map(Expr::Column)
        .collect();
    let labels = LogicalPlanBuilder::from(periods)
        .project(vec![
            col(PERIOD_ID).alias(LABEL_ID),
            col("grain"),
            col("period"),
        ])?
        .distinct()?
        .alias("labels")?
        .build()?;
    let mut out = vec![col("grain"), col("period")];
    out.extend(measure_cols);
    agg.join(
        labels,
        JoinType::Inner,
        (vec![PERIOD_ID], vec![LABEL_ID]),
        None,
    )?
    .project(out)?
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
