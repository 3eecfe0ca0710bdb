//! Criterion benches, one group per stage: loading and validating the
//! definitions, compiling them to logical plans (planning apart from
//! execution, as DataFusion's `sql_planner` bench does), and computing
//! every indicator on an extract.
//!
//! The extract is `data-samples/` unless `PIREPORT_BENCH_DATA` names
//! another (e.g. a `--scale 1` extract generated into the target dir).

use std::path::PathBuf;
use std::sync::Arc;

use criterion::{Criterion, criterion_group, criterion_main};
use pireport::execute::Session;

fn dirs() -> (PathBuf, PathBuf) {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let data = std::env::var_os("PIREPORT_BENCH_DATA")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join("data-samples"));
    (root.join("indicators"), data)
}

fn definitions(c: &mut Criterion) {
    let (ind, data) = dirs();
    c.bench_function("definition/load_and_validate", |b| {
        b.iter(|| pireport::load_and_validate(&ind, &data).map(|v| v.0.indicators.len()))
    });
}

fn planning(c: &mut Criterion) {
    let (ind, data) = dirs();
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let (valid, extract) = pireport::load_and_validate(&ind, &data).expect("valid definitions");
    let catalog = Arc::new(valid);
    let session = rt
        .block_on(Session::open(catalog.clone(), &extract))
        .expect("session");
    c.bench_function("plan/all_indicators", |b| {
        b.iter(|| {
            rt.block_on(async {
                let mut n = 0;
                for i in &catalog.indicators {
                    let periods = session.periods(i).computed;
                    if pireport::plan_indicator(&session.ctx, i, &periods)
                        .await
                        .is_ok()
                    {
                        n += 1;
                    }
                }
                n
            })
        })
    });
}

fn compute(c: &mut Criterion) {
    let (ind, data) = dirs();
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let mut g = c.benchmark_group("compute");
    g.sample_size(10);
    g.bench_function("all_indicators", |b| {
        b.iter(|| {
            rt.block_on(pireport::compute(&ind, &data, &[]))
                .map(|r| r.rows.len())
        })
    });
    g.finish();
}

criterion_group!(benches, definitions, planning, compute);
criterion_main!(benches);
