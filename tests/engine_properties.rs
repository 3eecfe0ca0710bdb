//! Property: results do not depend on how a table's rows are split across
//! part files or ordered within them. The rows of every sample table a
//! cohort or event set reads are shuffled and split at random into 1-4
//! parts; the results table must be byte-identical to the one from the
//! committed single files.

mod common;

use std::path::Path;

use arrow::array::RecordBatch;
use parquet::arrow::ArrowWriter;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use proptest::prelude::*;

fn read(path: &Path) -> RecordBatch {
    let f = std::fs::File::open(path).unwrap();
    let r = ParquetRecordBatchReaderBuilder::try_new(f)
        .unwrap()
        .build()
        .unwrap();
    let batches: Vec<RecordBatch> = r.map(|b| b.unwrap()).collect();
    arrow::compute::concat_batches(&batches[0].schema(), &batches).unwrap()
}

fn write(path: &Path, b: &RecordBatch) {
    let f = std::fs::File::create(path).unwrap();
    let mut w = ArrowWriter::try_new(f, b.schema(), None).unwrap();
    w.write(b).unwrap();
    w.close().unwrap();
}

/// Rewrite `table` of `dir` as `cuts.len() + 1` parts of the rows in `order`.
fn split(dir: &Path, table: &str, order: &[u32], cuts: &[usize]) {
    let file = dir.join(format!("{table}.parquet"));
    let all = read(&file);
    let idx = arrow::array::UInt32Array::from(order.to_vec());
    let shuffled = arrow::compute::take_record_batch(&all, &idx).unwrap();
    std::fs::remove_file(&file).unwrap();
    std::fs::create_dir_all(dir.join(table)).unwrap();
    let mut bounds = vec![0];
    bounds.extend(cuts.iter().copied());
    bounds.push(shuffled.num_rows());
    bounds.sort();
    for (i, w) in bounds.windows(2).enumerate() {
        write(
            &dir.join(table).join(format!("part-{i}.parquet")),
            &shuffled.slice(w[0], w[1] - w[0]),
        );
    }
}

fn results(data: &Path, ids: &[&str]) -> Vec<u8> {
    let ids: Vec<String> = ids.iter().map(|s| s.to_string()).collect();
    let indicators = common::repo().join("indicators");
    let data = data.to_path_buf();
    std::thread::Builder::new()
        .stack_size(64 << 20)
        .spawn(move || {
            let run = tokio::runtime::Runtime::new()
                .unwrap()
                .block_on(pireport::compute(&indicators, &data, &ids))
                .unwrap();
            pireport::render_table(&run.rows, pireport::TableFormat::Csv).unwrap()
        })
        .unwrap()
        .join()
        .unwrap()
}

fn copy_sample(to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(common::repo().join("data-samples")).unwrap() {
        let p = e.unwrap().path();
        std::fs::copy(&p, to.join(p.file_name().unwrap())).unwrap();
    }
}

/// (indicator ids, tables they read)
const CASES: &[(&[&str], &[&str])] = &[
    (
        &["NI38", "NI18"],
        &["dip_tests", "probation_caseload", "offences"],
    ),
    (&["NI40", "NI115"], &["treatment_episodes", "tellus_survey"]),
];

proptest! {
    #![proptest_config(ProptestConfig { cases: 4, ..ProptestConfig::default() })]

    #[test]
    fn split_and_shuffled_tables_give_identical_results(seed in any::<u64>(), case in 0usize..CASES.len(), parts in 1usize..5) {
        let (ids, tables) = CASES[case];
        let tmp = tempfile::tempdir().unwrap();
        let base = tmp.path().join("base");
        let moved = tmp.path().join("moved");
        copy_sample(&base);
        copy_sample(&moved);
        let mut rng = seed;
        let mut next = move || { rng ^= rng << 13; rng ^= rng >> 7; rng ^= rng << 17; rng };
        for t in tables {
            let n = read(&moved.join(format!("{t}.parquet"))).num_rows();
            let mut order: Vec<u32> = (0..n as u32).collect();
            for i in (1..n).rev() {
                order.swap(i, (next() % (i as u64 + 1)) as usize);
            }
            let cuts: Vec<usize> = (1..parts).map(|_| (next() % (n as u64 + 1)) as usize).collect();
            split(&moved, t, &order, &cuts);
        }
        prop_assert!(results(&base, ids) == results(&moved, ids));
    }
}
