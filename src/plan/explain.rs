//! `explain`: a compiled plan as readable SQL (DataFusion's unparser) and
//! as DataFusion's logical plan.

use datafusion::logical_expr::LogicalPlan;
use datafusion::sql::unparser::plan_to_sql;

/// The plan as one SQL statement, or the reason it cannot be unparsed.
pub fn plan_to_sql_text(plan: &LogicalPlan) -> String {
    match plan_to_sql(plan) {
        Ok(stmt) => stmt.to_string(),
        Err(e) => format!(
            "-- the unparser cannot render this plan as SQL: {}",
            e.strip_backtrace()
        ),
    }
}

/// The explain text of an indicator: SQL, then the logical plan.
pub fn explain_indicator(id: &str, plan: &LogicalPlan) -> String {
    format!(
        "-- {id}: compiled SQL\n{}\n\n-- {id}: DataFusion logical plan\n{}\n",
        plan_to_sql_text(plan),
        plan.display_indent()
    )
}
