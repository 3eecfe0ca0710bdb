//! Writing tables as Parquet: one `NAME.parquet` for a table of at most
//! [`PART_ROWS`] rows, else a directory `NAME/` of `part-00000.parquet`, ...
//! of `PART_ROWS` rows each. Snappy, row groups of [`ROW_GROUP_ROWS`].

use std::fs::File;
use std::io::BufWriter;
use std::path::{Path, PathBuf};

use arrow::array::RecordBatch;
use parquet::arrow::ArrowWriter;
use parquet::basic::Compression;
use parquet::file::properties::WriterProperties;

use super::areas::Area;
use super::error::GenerateError;
use super::tables::TableRow;

/// Rows per part file, and the largest table written as a single file.
pub const PART_ROWS: usize = 1_000_000;
/// Rows per Parquet row group.
pub const ROW_GROUP_ROWS: usize = 128 * 1024;

/// Writes one record batch to `path` as a Parquet file.
pub(crate) fn write_parquet(path: &Path, batch: &RecordBatch) -> Result<(), GenerateError> {
    let parquet_err = |source| GenerateError::Parquet {
        path: path.to_path_buf(),
        source,
    };
    let file = File::create(path).map_err(|source| GenerateError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    let props = WriterProperties::builder()
        .set_compression(Compression::SNAPPY)
        .set_max_row_group_row_count(Some(ROW_GROUP_ROWS))
        .build();
    let mut writer = ArrowWriter::try_new(BufWriter::new(file), batch.schema(), Some(props))
        .map_err(parquet_err)?;
    writer.write(batch).map_err(parquet_err)?;
    writer.close().map_err(parquet_err)?;
    Ok(())
}

/// Collects one table's rows in order and writes them out part by part.
#[derive(Debug)]
pub(crate) struct TableSink<R: TableRow> {
    root: PathBuf,
    buffer: Vec<R>,
    parts: usize,
    written: u64,
}

impl<R: TableRow> TableSink<R> {
    /// A sink writing under the output directory `root`.
    pub(crate) fn new(root: &Path) -> Self {
        TableSink {
            root: root.to_path_buf(),
            buffer: Vec::new(),
            parts: 0,
            written: 0,
        }
    }

    /// Appends a chunk's rows, writing every full part.
    pub(crate) fn push(&mut self, rows: Vec<R>, areas: &[Area]) -> Result<(), GenerateError> {
        if self.buffer.is_empty() {
            self.buffer = rows;
        } else {
            self.buffer.extend(rows);
        }
        while self.buffer.len() > PART_ROWS {
            let rest = self.buffer.split_off(PART_ROWS);
            let part = std::mem::replace(&mut self.buffer, rest);
            self.write_part(part, areas)?;
        }
        Ok(())
    }

    /// Writes what is left and returns the table's row count.
    pub(crate) fn finish(mut self, areas: &[Area]) -> Result<u64, GenerateError> {
        let rest = std::mem::take(&mut self.buffer);
        if self.parts == 0 {
            let path = self.root.join(format!("{}.parquet", R::NAME));
            self.write(rest, &path, areas)?;
        } else if !rest.is_empty() {
            self.write_part(rest, areas)?;
        }
        Ok(self.written)
    }

    fn write_part(&mut self, part: Vec<R>, areas: &[Area]) -> Result<(), GenerateError> {
        let dir = self.root.join(R::NAME);
        if self.parts == 0 {
            std::fs::create_dir(&dir).map_err(|source| GenerateError::Io {
                path: dir.clone(),
                source,
            })?;
        }
        let path = dir.join(format!("part-{:05}.parquet", self.parts));
        self.write(part, &path, areas)?;
        self.parts += 1;
        Ok(())
    }

    fn write(&mut self, mut rows: Vec<R>, path: &Path, areas: &[Area]) -> Result<(), GenerateError> {
        R::sort_part(&mut rows);
        let batch = R::to_batch(&rows, self.written as i64 + 1, areas).map_err(|source| {
            GenerateError::Arrow {
                table: R::NAME,
                source,
            }
        })?;
        write_parquet(path, &batch)?;
        self.written += rows.len() as u64;
        Ok(())
    }
}
