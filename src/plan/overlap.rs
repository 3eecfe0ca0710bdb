//! Membership by overlap (`cohort.until`) as a hash join on quarter keys.
//!
//! A row open from date `d` until date `u` (or still open: `u` null)
//! belongs to period P when `d <= end(P) AND (u IS NULL OR u >= start(P))`.
//! Written as that join condition, DataFusion can only run a nested-loop
//! join, which evaluates the condition, and the cohort filter the optimizer
//! pushes into it, for every row and every period: 69 million pairs for
//! NI40's 2.2 million episodes at scale 1, 7.8 s of its 10 s of CPU.
//!
//! Every period is a run of whole calendar quarters, so with `q(x)` the
//! running quarter index of a date (`(year - 2000) * 4 + quarter - 1`, as
//! [`Period::end_quarter_index`]) the condition is exactly
//! `q(d) <= end_q(P) AND (u IS NULL OR q(u) >= start_q(P))`: a date is on
//! or before a quarter's last day when its quarter is not later, and on or
//! after a quarter's first day when its quarter is not earlier. That
//! depends on a row only through the pair `(q(d), q(u))`, clamped to the
//! range of quarters the periods cover, so a small relation of spans
//! `(t, u, period)` listing every pair and the periods it belongs to
//! turns membership into an equi-join on two integers. The spans are
//! built inside the plan from the periods relation itself, so `explain`
//! still shows one `periods` table and the plan stays portable (Ballista).
//!
//! Used when both columns are `Date32`, every period has at most four
//! quarters and the periods cover a contiguous run of quarters (true of
//! every grain's full series); otherwise the plan keeps the nested loop.

use datafusion::arrow::datatypes::DataType;
use datafusion::error::Result;
use datafusion::functions::datetime::expr_fn::date_part;
use datafusion::logical_expr::{Expr, JoinType, LogicalPlan, LogicalPlanBuilder, cast, lit, when};
use datafusion::prelude::col;

use super::cohort::c;
use super::periods::PERIOD_ID;
use crate::period::Period;

/// The longest period, in quarters, the span relation is built for.
const MAX_QUARTERS: i64 = 4;

/// The quarter range the periods cover, from [`quarter_bounds`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QuarterBounds {
    /// Earliest and latest quarter in which a period ends.
    end_q: (i64, i64),
    /// Earliest and latest quarter in which a period starts.
    start_q: (i64, i64),
}

/// The running quarter index of a day, as in [`Period::end_quarter_index`].
fn quarter_index(d: chrono::NaiveDate) -> i64 {
    use chrono::Datelike;
    (d.year() as i64 - 2000) * 4 + (d.month0() as i64) / 3
}

/// The quarter bounds of `periods`, or `None` when the span join does not
/// apply: a period longer than [`MAX_QUARTERS`], or quarters the periods
/// leave uncovered between the first and the last.
pub fn quarter_bounds(periods: &[Period]) -> Option<QuarterBounds> {
    let mut covered = std::collections::BTreeSet::new();
    for p in periods {
        let (s, e) = (quarter_index(p.start()), p.end_quarter_index());
        if e < s || e - s + 1 > MAX_QUARTERS {
            return None;
        }
        covered.extend(s..=e);
    }
    let (first, last) = (*covered.first()?, *covered.last()?);
    if (last - first + 1) as usize != covered.len() {
        return None;
    }
    let ends = periods.iter().map(|p| p.end_quarter_index());
    let starts = periods.iter().map(|p| quarter_index(p.start()));
    Some(QuarterBounds {
        end_q: (ends.clone().min()?, ends.max()?),
        start_q: (starts.clone().min()?, starts.max()?),
    })
}

/// `q(x)` as an expression: the running quarter index of a date column.
fn quarter_index_expr(x: Expr) -> Expr {
    let part = |p: &str| cast(date_part(lit(p), x.clone()), DataType::Int64);
    (part("year") - lit(2000_i64)) * lit(4_i64) + part("quarter") - lit(1_i64)
}

/// Clamp a quarter index into `lo..=hi`, mapping anything below to
/// `below` and above to `above` (a null stays null).
fn clamp(q: Expr, (lo, hi): (i64, i64), below: i64, above: i64) -> Expr {
    when(q.clone().lt(lit(lo)), lit(below))
        .when(q.clone().gt(lit(hi)), lit(above))
        .otherwise(q)
        .unwrap_or_else(|_| lit(below))
}

/// Column of the spans relation and of the cohort: the clamped quarter of
/// the row's date.
const SPAN_FROM: &str = "__span_from";
/// Column of the spans relation and of the cohort: the clamped quarter of
/// the row's end (a still-open row takes the latest start quarter).
const SPAN_UNTIL: &str = "__span_until";

/// Columns of the periods with their quarter indices.
const Q_START: &str = "__q_start";
const Q_END: &str = "__q_end";

/// The periods relation's key and dates, with the quarter indices of the
/// first and last day.
fn indexed_periods(periods: &LogicalPlan) -> Result<LogicalPlan> {
    LogicalPlanBuilder::from(periods.clone())
        .project(vec![
            col(PERIOD_ID),
            col("period_start"),
            col("period_end"),
            quarter_index_expr(col("period_start")).alias(Q_START),
            quarter_index_expr(col("period_end")).alias(Q_END),
        ])?
        .build()
}

/// Every quarter the periods cover (each of at most four quarters), as one
/// column `name`.
fn covered_quarters(periods: &LogicalPlan, name: &str) -> Result<LogicalPlan> {
    let mut union: Option<LogicalPlanBuilder> = None;
    for k in 0..MAX_QUARTERS {
        let q = col(Q_START) + lit(k);
        let part = LogicalPlanBuilder::from(indexed_periods(periods)?)
            .filter(q.clone().lt_eq(col(Q_END)))?
            .project(vec![q.alias(name)])?
            .build()?;
        union = Some(match union {
            None => LogicalPlanBuilder::from(part),
            Some(u) => u.union(part)?,
        });
    }
    match union {
        Some(u) => u.distinct()?.alias(name)?.build(),
        None => Err(datafusion::error::DataFusionError::Internal(
            "no quarters to cover".into(),
        )),
    }
}

/// The spans relation: `(__span_from, __span_until, period_id,
/// period_start, period_end)` for every pair of clamped quarters and every
/// period such a row belongs to.
fn spans(periods: &LogicalPlan) -> Result<LogicalPlan> {
    LogicalPlanBuilder::from(indexed_periods(periods)?)
        .cross_join(covered_quarters(periods, SPAN_FROM)?)?
        .cross_join(covered_quarters(periods, SPAN_UNTIL)?)?
        .filter(
            col(SPAN_FROM)
                .lt_eq(col(Q_END))
                .and(col(SPAN_UNTIL).gt_eq(col(Q_START))),
        )?
        .project(vec![
            col(SPAN_FROM),
            col(SPAN_UNTIL),
            col(PERIOD_ID),
            col("period_start"),
            col("period_end"),
        ])?
        .alias("spans")?
        .build()
}

/// Join the cohort rows of `base` (columns `columns`, dated `date`, open
/// until `until`) to the periods they overlap.
pub fn overlap_join(
    base: LogicalPlanBuilder,
    columns: &[String],
    periods: &LogicalPlan,
    (date, until): (&str, &str),
    b: QuarterBounds,
) -> Result<LogicalPlanBuilder> {
    // below the first end quarter: in every period so far (clamp up);
    // after the last: in none (one past it matches no span)
    let from = clamp(
        quarter_index_expr(c(date)),
        b.end_q,
        b.end_q.0,
        b.end_q.1 + 1,
    );
    // open, or after the last start quarter: in every period from its
    // date (clamp down); before the first: in none
    let until = clamp(
        quarter_index_expr(c(until)),
        b.start_q,
        b.start_q.0 - 1,
        b.start_q.1,
    );
    let until = datafusion::functions::core::expr_fn::coalesce(vec![until, lit(b.start_q.1)]);
    let mut exprs: Vec<Expr> = columns.iter().map(|k| c(k)).collect();
    exprs.push(from.alias(SPAN_FROM));
    exprs.push(until.alias(SPAN_UNTIL));
    let rows = base.project(exprs)?.alias("dated")?.build()?;
    LogicalPlanBuilder::from(spans(periods)?).join(
        rows,
        JoinType::Inner,
        (
            vec![format!("spans.{SPAN_FROM}"), format!("spans.{SPAN_UNTIL}")],
            vec![format!("dated.{SPAN_FROM}"), format!("dated.{SPAN_UNTIL}")],
        ),
        None,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::period::Grain;

    fn series(grain: Grain, from: &str, to: &str) -> Vec<Period> {
        let (mut a, mut b): (Period, Period) = (from.parse().unwrap(), to.parse().unwrap());
        if grain == Grain::RollingQuarter {
            let rolling = |p| match p {
                Period::Quarter { fy, q } => Period::RollingQuarter { fy, q },
                other => other,
            };
            (a, b) = (rolling(a), rolling(b));
        }
        assert_eq!(a.grain(), grain);
        let mut out = vec![a];
        while *out.last().unwrap() != b {
            out.push(out.last().unwrap().offset(1));
        }
        out
    }

    #[test]
    fn bounds_of_years_and_rolling_quarters() {
        let mut p = series(Grain::FinancialYear, "2005-06", "2011-12");
        p.extend(series(Grain::RollingQuarter, "2005-06 Q4", "2011-12 Q4"));
        let b = quarter_bounds(&p).unwrap();
        // 2005-06 ends in Jan-Mar 2006 (index 24); 2011-12 in Jan-Mar 2012 (48)
        assert_eq!(b.end_q, (24, 48));
        // 2005-06 starts in Apr-Jun 2005 (21); 2011-12 in Apr-Jun 2011 (45)
        assert_eq!(b.start_q, (21, 45));
    }

    #[test]
    fn gaps_and_long_periods_keep_the_nested_loop() {
        let p: Vec<Period> = vec!["2005-06".parse().unwrap(), "2007-08".parse().unwrap()];
        assert_eq!(quarter_bounds(&p), None);
        assert_eq!(quarter_bounds(&[]), None);
        let q = series(Grain::Quarter, "2008-09 Q1", "2008-09 Q4");
        assert!(quarter_bounds(&q).is_some());
    }
}
