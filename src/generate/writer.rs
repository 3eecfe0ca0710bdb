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
    part_rows: usize,
    parts: usize,
    written: u64,
}

impl<R: TableRow> TableSink<R> {
    /// A sink writing under the output directory `root`.
    pub(crate) fn new(root: &Path) -> Self {
        Self::with_part_rows(root, PART_ROWS)
    }

    /// A sink with another part size (tests use small parts).
    pub(crate) fn with_part_rows(root: &Path, part_rows: usize) -> Self {
        TableSink {
            root: root.to_path_buf(),
            buffer: Vec::new(),
            part_rows: part_rows.max(1),
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
        while self.buffer.len() > self.part_rows {
            let rest = self.buffer.split_off(self.part_rows);
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

    fn write(
        &mut self,
        mut rows: Vec<R>,
        path: &Path,
        areas: &[Area],
    ) -> Result<(), GenerateError> {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::generate::offending::OffenceGroup;
    use crate::generate::tables::{CrimeRow, OffenceRow};
    use arrow::array::AsArray;
    use arrow::datatypes::{Date32Type, Int64Type};
    use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;

    fn areas() -> Vec<Area> {
        crate::generate::areas::areas().unwrap()
    }

    fn read(path: &Path) -> (usize, Vec<RecordBatch>) {
        let builder = ParquetRecordBatchReaderBuilder::try_new(File::open(path).unwrap()).unwrap();
        let groups = builder.metadata().num_row_groups();
        (
            groups,
            builder.build().unwrap().map(|b| b.unwrap()).collect(),
        )
    }

    fn offence(person_id: i64, offence_date: i32) -> OffenceRow {
        OffenceRow {
            person_id,
            offence_date,
            disposal_date: offence_date + 30,
            group: OffenceGroup::Other,
            la: 0,
        }
    }

    #[test]
    fn a_small_table_is_one_file() {
        let dir = tempfile::tempdir().unwrap();
        let mut sink = TableSink::with_part_rows(dir.path(), 10);
        sink.push(
            (0..10).map(|i| offence(i, 100 - i as i32)).collect(),
            &areas(),
        )
        .unwrap();
        assert_eq!(sink.finish(&areas()).unwrap(), 10);
        let (_, batches) = read(&dir.path().join("offences.parquet"));
        let days = batches[0].column(1).as_primitive::<Date32Type>();
        assert!(
            days.values().windows(2).all(|w| w[0] <= w[1]),
            "sorted by offence date"
        );
        assert!(!dir.path().join("offences").exists());
    }

    #[test]
    fn a_large_table_is_split_into_parts_with_running_ids() {
        let dir = tempfile::tempdir().unwrap();
        let areas = areas();
        let mut sink = TableSink::with_part_rows(dir.path(), 10);
        for chunk in 0..5 {
            let rows = (0..5)
                .map(|i| CrimeRow {
                    la: (chunk * 5 + i) as u16,
                    recorded: 14_000,
                    crime_type: "domestic_burglary",
                })
                .collect();
            sink.push(rows, &areas).unwrap();
        }
        assert_eq!(sink.finish(&areas).unwrap(), 25);
        let part_dir = dir.path().join("recorded_crime");
        let mut names: Vec<String> = std::fs::read_dir(&part_dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        assert_eq!(
            names,
            [
                "part-00000.parquet",
                "part-00001.parquet",
                "part-00002.parquet"
            ]
        );
        let ids: Vec<i64> = names
            .iter()
            .flat_map(|n| read(&part_dir.join(n)).1)
            .flat_map(|b| b.column(0).as_primitive::<Int64Type>().values().to_vec())
            .collect();
        assert_eq!(ids, (1..=25).collect::<Vec<i64>>());
        assert!(!dir.path().join("recorded_crime.parquet").exists());
    }

    #[test]
    fn row_groups_hold_at_most_128k_rows() {
        let dir = tempfile::tempdir().unwrap();
        let rows: Vec<OffenceRow> = (0..300_000)
            .map(|i| offence(i, 13_000 + (i % 3000) as i32))
            .collect();
        let batch = OffenceRow::to_batch(&rows, 1, &areas()).unwrap();
        let path = dir.path().join("x.parquet");
        write_parquet(&path, &batch).unwrap();
        let (groups, batches) = read(&path);
        assert_eq!(groups, 3);
        assert_eq!(batches.iter().map(|b| b.num_rows()).sum::<usize>(), 300_000);
    }
}
