//! Why an indicator's plan failed, when the engine's message names no
//! table or file: run only after a failure, so a good run pays nothing.
//! Each file of each table the indicator reads is decoded in full: a
//! corrupt or truncated page names its file.

use datafusion::error::DataFusionError;
use datafusion::prelude::{ParquetReadOptions, SessionContext};
use futures_util::StreamExt;

use super::ExecuteError;
use crate::validate::ValidIndicator;

/// The error to report for `error`, a failure of `ind`'s plan: a located
/// [`ExecuteError::Corrupt`] when a file of a source table cannot be
/// decoded, else `error` as it was.
pub(super) async fn diagnose(
    ctx: &SessionContext,
    ind: &ValidIndicator,
    error: ExecuteError,
) -> ExecuteError {
    if !matches!(error, ExecuteError::Run { .. }) {
        return error;
    }
    // a cluster that failed or timed out: the extract is not at fault
    #[cfg(feature = "ballista")]
    if super::ballista::cause(&error).is_some() {
        return error;
    }
    let mut tables: Vec<&crate::extract::TableFiles> =
        ind.sources.values().map(|s| &s.table).collect();
    tables.sort_by(|a, b| a.name.cmp(&b.name));
    tables.dedup_by(|a, b| a.name == b.name);
    for t in &tables {
        for file in &t.files {
            if let Err(source) = decode_file(ctx, &file.display().to_string()).await {
                return ExecuteError::Corrupt {
                    indicator: ind.def.id.clone(),
                    table: t.name.clone(),
                    path: file.display().to_string(),
                    source: Box::new(source),
                };
            }
        }
    }
    error
}

/// Read and decode every page of one Parquet file.
async fn decode_file(ctx: &SessionContext, path: &str) -> Result<(), DataFusionError> {
    let mut stream = ctx
        .read_parquet(path, ParquetReadOptions::default())
        .await?
        .execute_stream()
        .await?;
    while let Some(batch) = stream.next().await {
        batch?;
    }
    Ok(())
}
