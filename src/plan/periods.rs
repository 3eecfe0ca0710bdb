//! The periods relation: a small `VALUES` table the cohort joins to.

use datafusion::common::ScalarValue;
use datafusion::error::Result;
use datafusion::logical_expr::{LogicalPlan, LogicalPlanBuilder, lit};
use datafusion::prelude::col;

use crate::period::{Period, to_date32};

/// The integer key of a period inside a plan.
pub const PERIOD_ID: &str = "period_id";

fn date(d: chrono::NaiveDate) -> datafusion::logical_expr::Expr {
    lit(ScalarValue::Date32(Some(to_date32(d))))
}

/// `(grain, period, period_start, period_end, quarter_start, period_year,
/// period_id)`, where `period_id` is the period's index in `periods` (the
/// plan keys on it rather than on the labels, which are joined back last):
/// one row per constituent quarter when `per_quarter` (cohorts placed by
/// the quarter of their date), else one row per period.
pub fn periods_relation(periods: &[Period], per_quarter: bool) -> Result<LogicalPlan> {
    let mut rows = Vec::new();
    for (id, p) in periods.iter().enumerate() {
        let quarters = if per_quarter {
            p.quarter_starts()
        } else {
            vec![p.start()]
        };
        for q in quarters {
            rows.push(vec![
                lit(p.grain().as_str()),
                lit(p.to_string()),
                date(p.start()),
                date(p.end()),
                date(q),
                lit(chrono::Datelike::year(&p.start()) as i64),
                lit(id as i32),
            ]);
        }
    }
    LogicalPlanBuilder::values(rows)?
        .project(vec![
            col("column1").alias("grain"),
            col("column2").alias("period"),
            col("column3").alias("period_start"),
            col("column4").alias("period_end"),
            col("column5").alias("quarter_start"),
            col("column6").alias("period_year"),
            col("column7").alias(PERIOD_ID),
        ])?
        .alias("periods")?
        .build()
}
