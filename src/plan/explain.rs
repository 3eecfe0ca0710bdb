//! `explain`: a compiled plan as readable SQL (DataFusion's unparser) and
//! as DataFusion's logical plan.
//!
//! The unparser cannot render a `VALUES` relation, so for display the
//! periods relation is shown as a table named `periods` whose rows are
//! listed in a comment above the SQL. The plan that runs is unchanged.

use std::sync::Arc;

use datafusion::common::tree_node::{Transformed, TreeNode};
use datafusion::logical_expr::{LogicalPlan, LogicalPlanBuilder, LogicalTableSource};
use datafusion::sql::unparser::{expr_to_sql, plan_to_sql};

/// Name the periods relation is shown under.
pub const PERIODS_TABLE: &str = "periods";

/// Replace each `VALUES` node by a scan of `periods`; return its rows as text.
fn name_values(plan: &LogicalPlan) -> (LogicalPlan, Vec<String>) {
    let mut rows = Vec::new();
    let renamed = plan.clone().transform_up(|node| match &node {
        LogicalPlan::Values(v) => {
            if rows.is_empty() {
                rows = v
                    .values
                    .iter()
                    .map(|r| {
                        r.iter()
                            .map(|e| {
                                expr_to_sql(e)
                                    .map(|x| x.to_string())
                                    .unwrap_or_else(|_| e.to_string())
                            })
                            .collect::<Vec<_>>()
                            .join(", ")
                    })
                    .collect();
            }
            let source = Arc::new(LogicalTableSource::new(v.schema.inner().clone()));
            let scan = LogicalPlanBuilder::scan(PERIODS_TABLE, source, None)?.build()?;
            Ok(Transformed::yes(scan))
        }
        _ => Ok(Transformed::no(node)),
    });
    match renamed {
        Ok(t) => (t.data, rows),
        Err(_) => (plan.clone(), rows),
    }
}

/// The plan as SQL over a relation named `periods`, and that relation's
/// rows as SQL value lists, e.g. `('quarter', '2005-06 Q1', ...)`.
pub fn plan_to_sql_parts(
    plan: &LogicalPlan,
) -> Result<(String, Vec<String>), datafusion::error::DataFusionError> {
    let (named, rows) = name_values(plan);
    Ok((format!("{:#}", plan_to_sql(&named)?), rows))
}

/// The plan as one SQL statement, or the reason it cannot be unparsed.
pub fn plan_to_sql_text(plan: &LogicalPlan) -> String {
    // the unparser recurses once per plan node and expression level, and a
    // deep plan overflows a small stack (a runtime worker's or a test
    // thread's 2 MiB, in a debug build): it runs on a thread of its own
    std::thread::scope(|s| {
        match std::thread::Builder::new()
            .name("pireport-unparse".into())
            .stack_size(UNPARSE_STACK)
            .spawn_scoped(s, || sql_text(plan))
        {
            Ok(h) => h
                .join()
                .unwrap_or_else(|panic| std::panic::resume_unwind(panic)),
            // no thread to be had: unparse here
            Err(_) => sql_text(plan),
        }
    })
}

/// The stack of the thread that unparses a plan.
const UNPARSE_STACK: usize = 64 << 20;

fn sql_text(plan: &LogicalPlan) -> String {
    let (named, rows) = name_values(plan);
    let mut out = String::new();
    if !rows.is_empty() {
        out.push_str(&format!("-- {PERIODS_TABLE}(column1..column7) = VALUES\n"));
        for r in &rows {
            out.push_str(&format!("--   ({r})\n"));
        }
    }
    match plan_to_sql(&named) {
        Ok(stmt) => out.push_str(&format!("{stmt:#}")),
        Err(e) => out.push_str(&format!(
            "-- the unparser cannot render this plan as SQL: {}",
            e.strip_backtrace()
        )),
    }
    out
}

/// The explain text of an indicator: SQL, then the logical plan.
pub fn explain_indicator(id: &str, plan: &LogicalPlan) -> String {
    format!(
        "-- {id}: compiled SQL\n{}\n\n-- {id}: DataFusion logical plan\n{}\n",
        plan_to_sql_text(plan),
        plan.display_indent()
    )
}

/// Run `plan` and return DataFusion's physical plan annotated with each
/// operator's output rows and elapsed compute time.
pub async fn explain_analyze(
    ctx: &datafusion::prelude::SessionContext,
    plan: LogicalPlan,
) -> Result<String, datafusion::error::DataFusionError> {
    let explained = LogicalPlanBuilder::from(plan)
        .explain(false, true)?
        .build()?;
    let batches = ctx.execute_logical_plan(explained).await?.collect().await?;
    Ok(datafusion::arrow::util::pretty::pretty_format_batches(&batches)?.to_string())
}
