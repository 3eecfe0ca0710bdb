//! The scan floor: how long the same engine, with the same session, takes
//! only to read and decode the columns the indicators touch.
//!
//! No plan can finish before its input is decoded, so the floor is the
//! limit compute time is measured against. The columns come from the
//! *optimised* plans (the projections DataFusion pushes into each
//! `TableScan`, plus the columns of filters pushed there), unioned per
//! table so every table is read once, as a plan sharing one scan per table
//! would. Each table's stream is drained batch by batch: a `count(*)`
//! could be answered from Parquet metadata without decoding anything.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::time::{Duration, Instant};

use datafusion::common::tree_node::TreeNodeRecursion;
use datafusion::error::DataFusionError;
use datafusion::logical_expr::LogicalPlan;

use super::{ExecuteError, Session};
use crate::plan::plan_indicator;

/// The columns of one table that the indicators read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableColumns {
    /// The table, as registered in the session.
    pub table: String,
    /// Its columns read by at least one indicator, sorted.
    pub columns: Vec<String>,
}

/// What scanning one table took.
#[derive(Debug, Clone, PartialEq)]
pub struct TableScanTime {
    /// The table and the columns scanned.
    pub scanned: TableColumns,
    /// Rows decoded.
    pub rows: u64,
    /// Wall time of the scan.
    pub elapsed: Duration,
}

/// The scan floor of a set of indicators: every table they read, scanned
/// once, one after another, each with the session's parallelism.
#[derive(Debug, Clone, PartialEq)]
pub struct ScanFloor {
    /// One entry per table, by table name.
    pub tables: Vec<TableScanTime>,
}

impl ScanFloor {
    /// Total wall time of the scans.
    pub fn elapsed(&self) -> Duration {
        self.tables.iter().map(|t| t.elapsed).sum()
    }

    /// Total rows decoded.
    pub fn rows(&self) -> u64 {
        self.tables.iter().map(|t| t.rows).sum()
    }
}

impl fmt::Display for ScanFloor {
    /// A table per scanned table (rows, columns, seconds) and a total line.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "{:<20} {:>12} {:>7} {:>9}  columns",
            "table", "rows", "columns", "seconds"
        )?;
        for t in &self.tables {
            writeln!(
                f,
                "{:<20} {:>12} {:>7} {:>9.3}  {}",
                t.scanned.table,
                t.rows,
                t.scanned.columns.len(),
                t.elapsed.as_secs_f64(),
                t.scanned.columns.join(", ")
            )?;
        }
        write!(
            f,
            "{:<20} {:>12} {:>7} {:>9.3}",
            "scan floor",
            self.rows(),
            self.tables
                .iter()
                .map(|t| t.scanned.columns.len())
                .sum::<usize>(),
            self.elapsed().as_secs_f64()
        )
    }
}

/// The columns each table contributes to the optimised plans of `ids`
/// (every indicator when empty), by table name. Indicators with no period
/// to compute read nothing.
pub async fn scanned_columns(
    session: &Session,
    ids: &[String],
) -> Result<Vec<TableColumns>, ExecuteError> {
    let mut by_table: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let chosen = session
        .catalog
        .indicators
        .iter()
        .filter(|i| ids.is_empty() || ids.contains(&i.def.id));
    for ind in chosen {
        let periods = session.periods(ind);
        if periods.computed.is_empty() {
            continue;
        }
        let plan = plan_indicator(&session.ctx, ind, &periods.computed).await?;
        let wrap = |source| ExecuteError::run(&ind.def.id, source);
        let optimised = session.ctx.state().optimize(&plan).map_err(wrap)?;
        collect_scans(&optimised, &mut by_table).map_err(wrap)?;
    }
    Ok(by_table
        .into_iter()
        .map(|(table, columns)| TableColumns {
            table,
            columns: columns.into_iter().collect(),
        })
        .collect())
}

/// Add every `TableScan` of `plan` (subqueries included) to `by_table`:
/// its projected columns and the columns of its pushed-down filters.
fn collect_scans(
    plan: &LogicalPlan,
    by_table: &mut BTreeMap<String, BTreeSet<String>>,
) -> Result<(), DataFusionError> {
    plan.apply_with_subqueries(|node| {
        if let LogicalPlan::TableScan(scan) = node {
            let columns = by_table
                .entry(scan.table_name.table().to_string())
                .or_default();
            columns.extend(
                scan.projected_schema
                    .fields()
                    .iter()
                    .map(|f| f.name().clone()),
            );
            for filter in &scan.filters {
                columns.extend(filter.column_refs().into_iter().map(|c| c.name.clone()));
            }
        }
        Ok(TreeNodeRecursion::Continue)
    })
    .map(|_| ())
}

/// Scan `tables` in the session's context, one after another, decoding
/// every listed column of every row.
pub async fn scan_tables(
    session: &Session,
    tables: &[TableColumns],
) -> Result<ScanFloor, ExecuteError> {
    let mut out = Vec::with_capacity(tables.len());
    for t in tables {
        let started = Instant::now();
        let rows = drain(session, t)
            .await
            .map_err(|source| ExecuteError::Register {
                table: t.table.clone(),
                path: table_path(session, &t.table),
                source,
            })?;
        out.push(TableScanTime {
            scanned: t.clone(),
            rows,
            elapsed: started.elapsed(),
        });
    }
    Ok(ScanFloor { tables: out })
}

/// Stage entry point: the scan floor of `ids` (every indicator when empty).
pub async fn scan_floor(session: &Session, ids: &[String]) -> Result<ScanFloor, ExecuteError> {
    let tables = scanned_columns(session, ids).await?;
    scan_tables(session, &tables).await
}

/// Read every batch of the table's columns and count the rows.
async fn drain(session: &Session, t: &TableColumns) -> Result<u64, DataFusionError> {
    let columns: Vec<&str> = t.columns.iter().map(String::as_str).collect();
    let frame = session
        .ctx
        .table(t.table.as_str())
        .await?
        .select_columns(&columns)?;
    let mut stream = frame.execute_stream().await?;
    let mut rows = 0u64;
    // `poll_next` of the stream trait object, without a dependency on `futures`
    while let Some(batch) = std::future::poll_fn(|cx| stream.as_mut().poll_next(cx)).await {
        rows += batch?.num_rows() as u64;
    }
    Ok(rows)
}

/// The file or directory a table was registered from, for messages.
fn table_path(session: &Session, table: &str) -> String {
    let catalog = &session.catalog;
    std::iter::once(&catalog.geography)
        .chain(
            catalog
                .indicators
                .iter()
                .flat_map(|i| i.sources.values().map(|s| &s.table)),
        )
        .find(|f| f.name == table)
        .map(|f| f.path.display().to_string())
        .unwrap_or_else(|| table.to_string())
}
