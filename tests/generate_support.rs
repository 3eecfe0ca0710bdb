//! Helpers shared by the `generate_*` integration tests: generate a small
//! extract once per test binary and read its tables back.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use arrow::array::{Array, AsArray, RecordBatch};
use arrow::datatypes::{Date32Type, Int64Type, Schema};
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use pireport::generate::{GenerateOptions, GenerateSummary, generate};

/// A generated extract that lives as long as the test binary.
pub struct Extract {
    _dir: tempfile::TempDir,
    pub path: PathBuf,
    pub summary: GenerateSummary,
}

/// Generates an extract with the default range into a fresh temporary directory.
pub fn generate_into(scale: f64, seed: u64) -> Extract {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("extract");
    let summary = generate(&GenerateOptions::new(scale, seed, &path)).unwrap();
    Extract {
        _dir: dir,
        path,
        summary,
    }
}

/// The shared small extract (scale 0.002, seed 11).
pub fn small() -> &'static Extract {
    static SMALL: OnceLock<Extract> = OnceLock::new();
    SMALL.get_or_init(|| generate_into(0.002, 11))
}

/// The Parquet files of a table: `NAME.parquet`, or the parts in `NAME/`.
pub fn table_files(dir: &Path, table: &str) -> Vec<PathBuf> {
    let single = dir.join(format!("{table}.parquet"));
    if single.exists() {
        return vec![single];
    }
    let mut parts: Vec<PathBuf> = std::fs::read_dir(dir.join(table))
        .unwrap_or_else(|e| panic!("table {table} is missing: {e}"))
        .map(|e| e.unwrap().path())
        .collect();
    parts.sort();
    parts
}

/// Reads one Parquet file: its Arrow schema and batches.
pub fn read_file(path: &Path) -> (Schema, Vec<RecordBatch>) {
    let builder = ParquetRecordBatchReaderBuilder::try_new(File::open(path).unwrap()).unwrap();
    let schema = builder.schema().as_ref().clone();
    let batches = builder.build().unwrap().map(|b| b.unwrap()).collect();
    (schema, batches)
}

/// Reads every batch of a table.
pub fn read_table(dir: &Path, table: &str) -> Vec<RecordBatch> {
    table_files(dir, table)
        .iter()
        .flat_map(|p| read_file(p).1)
        .collect()
}

/// Rows of a table.
pub fn row_count(dir: &Path, table: &str) -> u64 {
    read_table(dir, table)
        .iter()
        .map(|b| b.num_rows() as u64)
        .sum()
}

fn column<'a>(batch: &'a RecordBatch, name: &str) -> &'a dyn Array {
    batch
        .column_by_name(name)
        .unwrap_or_else(|| panic!("no column {name}"))
        .as_ref()
}

/// All values of an Int64 column (nulls skipped).
pub fn ints(dir: &Path, table: &str, name: &str) -> Vec<i64> {
    read_table(dir, table)
        .iter()
        .flat_map(|b| {
            column(b, name)
                .as_primitive::<Int64Type>()
                .iter()
                .flatten()
                .collect::<Vec<_>>()
        })
        .collect()
}

/// All values of a Date32 column (nulls skipped).
pub fn dates(dir: &Path, table: &str, name: &str) -> Vec<i32> {
    read_table(dir, table)
        .iter()
        .flat_map(|b| {
            column(b, name)
                .as_primitive::<Date32Type>()
                .iter()
                .flatten()
                .collect::<Vec<_>>()
        })
        .collect()
}

/// All values of a Utf8 column (nulls skipped).
pub fn strings(dir: &Path, table: &str, name: &str) -> Vec<String> {
    read_table(dir, table)
        .iter()
        .flat_map(|b| {
            column(b, name)
                .as_string::<i32>()
                .iter()
                .flatten()
                .map(str::to_string)
                .collect::<Vec<_>>()
        })
        .collect()
}

/// Day number of a date, as Arrow's Date32.
pub fn day(y: i32, m: u32, d: u32) -> i32 {
    let date = chrono::NaiveDate::from_ymd_opt(y, m, d).unwrap();
    (date - chrono::NaiveDate::from_ymd_opt(1970, 1, 1).unwrap()).num_days() as i32
}

/// Every file under `dir` with its bytes, keyed by relative path.
pub fn file_bytes(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut out = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap() {
            let p = entry.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                let rel = p.strip_prefix(dir).unwrap().to_string_lossy().into_owned();
                out.insert(rel, std::fs::read(&p).unwrap());
            }
        }
    }
    out
}
