//! Helpers for integration tests: tiny Parquet extracts written in the test.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

use arrow::array::{ArrayRef, Date32Array, Float64Array, Int64Array, RecordBatch, StringArray};
use arrow::datatypes::{DataType, Field, Schema};
use chrono::NaiveDate;
use parquet::arrow::ArrowWriter;
use pireport::ResultRow;
use pireport::geography::AreaLevel;

/// Days since 1970-01-01 of `YYYY-MM-DD`.
pub fn d(s: &str) -> i32 {
    let date = NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
    (date - NaiveDate::from_ymd_opt(1970, 1, 1).unwrap()).num_days() as i32
}

/// A column for `write_table`.
pub enum Col {
    I(Vec<i64>),
    S(Vec<&'static str>),
    D(Vec<&'static str>),
    F(Vec<Option<f64>>),
    DN(Vec<Option<&'static str>>),
}

/// Write one Parquet file `dir/name.parquet` (or part `file` in `dir/name/`).
pub fn write_table(path: &Path, cols: Vec<(&str, Col)>) {
    let mut fields = Vec::new();
    let mut arrays: Vec<ArrayRef> = Vec::new();
    for (name, c) in cols {
        let (dt, nullable, a): (DataType, bool, ArrayRef) = match c {
            Col::I(v) => (DataType::Int64, false, Arc::new(Int64Array::from(v))),
            Col::S(v) => (DataType::Utf8, false, Arc::new(StringArray::from(v))),
            Col::D(v) => (
                DataType::Date32,
                false,
                Arc::new(Date32Array::from(
                    v.iter().map(|s| d(s)).collect::<Vec<_>>(),
                )),
            ),
            Col::F(v) => (DataType::Float64, true, Arc::new(Float64Array::from(v))),
            Col::DN(v) => (
                DataType::Date32,
                true,
                Arc::new(Date32Array::from(
                    v.iter().map(|s| s.map(d)).collect::<Vec<_>>(),
                )),
            ),
        };
        fields.push(Field::new(name, dt, nullable));
        arrays.push(a);
    }
    let batch = RecordBatch::try_new(Arc::new(Schema::new(fields)), arrays).unwrap();
    if let Some(p) = path.parent() {
        std::fs::create_dir_all(p).unwrap();
    }
    let f = std::fs::File::create(path).unwrap();
    let mut w = ArrowWriter::try_new(f, batch.schema(), None).unwrap();
    w.write(&batch).unwrap();
    w.close().unwrap();
}

/// Two LAs in one region and one in another, with populations.
pub fn write_areas(dir: &Path) {
    write_table(
        &dir.join("areas.parquet"),
        vec![
            (
                "la_code",
                Col::S(vec!["E08000001", "E08000002", "E09000002"]),
            ),
            ("la_name", Col::S(vec!["Alpha", "Beta", "Gamma"])),
            (
                "region_code",
                Col::S(vec!["E12000002", "E12000002", "E12000007"]),
            ),
            (
                "region_name",
                Col::S(vec!["North West", "North West", "London"]),
            ),
            ("probation_area", Col::S(vec!["P1", "P1", "London"])),
            ("population", Col::I(vec![1000, 2000, 5000])),
            ("population_18plus", Col::I(vec![800, 1600, 4000])),
            ("population_10_17", Col::I(vec![100, 200, 500])),
        ],
    );
}

/// The repository root.
pub fn repo() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// Run the `pireport` binary with `args` from the repository root.
pub fn pireport(args: &[&str]) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_pireport"))
        .args(args)
        .current_dir(repo())
        .output()
        .unwrap()
}

/// The names in `dir`, sorted (to prove what a command left there).
pub fn entries(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

/// Copy shipped definitions into `dir`, applying `edit` to each file's text.
pub fn copy_definitions(dir: &Path, ids: &[&str], edit: impl Fn(&str) -> String) {
    std::fs::create_dir_all(dir).unwrap();
    for f in ids {
        let text = std::fs::read_to_string(repo().join("indicators").join(f)).unwrap();
        std::fs::write(dir.join(f), edit(&text)).unwrap();
    }
}

/// The manifest of the hand-built extracts: extract date 2012-03-31, from 2007-08.
pub fn manifest(dir: &Path) {
    std::fs::write(
        dir.join("manifest.yaml"),
        "extract_date: 2012-03-31\nfrom: 2007-08\nto: 2011-12\n",
    )
    .unwrap();
}

/// The result row of an indicator, level, area and period.
pub fn find<'a>(
    rows: &'a [ResultRow],
    id: &str,
    level: AreaLevel,
    code: &str,
    period: &str,
) -> &'a ResultRow {
    rows.iter()
        .find(|r| {
            r.indicator == id
                && r.area_level == level
                && r.area_code == code
                && r.period.to_string() == period
        })
        .unwrap_or_else(|| panic!("no row {id} {code} {period}"))
}

/// `a` is present and equals `b` to 1e-6 (relative for |b| > 1).
pub fn close(a: Option<f64>, b: f64) {
    let a = a.expect("value present");
    assert!((a - b).abs() < 1e-6 * b.abs().max(1.0), "{a} != {b}");
}

/// Compute `ids` with the definitions in `defs` over the extract in `data`.
pub fn run(defs: &Path, data: &Path, ids: &[&str]) -> Vec<ResultRow> {
    let ids: Vec<String> = ids.iter().map(|s| s.to_string()).collect();
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(pireport::compute(defs, data, &ids))
        .unwrap()
        .rows
}

/// Every file under `dir`, by its `/`-separated path relative to `dir`.
pub fn files(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut out = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).expect("read dir") {
            let p = e.expect("entry").path();
            if p.is_dir() {
                stack.push(p);
            } else {
                let rel = p.strip_prefix(dir).expect("prefix");
                out.insert(
                    rel.to_string_lossy().replace('\\', "/"),
                    std::fs::read(&p).expect("read"),
                );
            }
        }
    }
    out
}

/// Run `f` on a thread with the stack a main thread has: planning and
/// unparsing recurse deeply in a debug build.
pub fn on_big_stack(f: impl FnOnce() + Send + 'static) {
    std::thread::Builder::new()
        .stack_size(64 << 20)
        .spawn(f)
        .unwrap()
        .join()
        .unwrap();
}
