//! Criterion benches, one group per stage:
//!
//! - `definitions/load_and_validate`: YAML to validated definitions;
//! - `compile/all_definitions`: YAML to validated definitions to one
//!   logical plan per indicator (planning apart from execution, as
//!   DataFusion's `sql_planner` bench does);
//! - `compute/sample`: every indicator on `data-samples/` (or on the
//!   extract `PIREPORT_BENCH_DATA` names);
//! - `compute/scale-0.1`, `compute/scale-1`: every indicator on generated
//!   extracts, written once into `<target>/bench-data/scale-X` and reused;
//! - `pack/dom_one`, `pack/dom_all`: the DOM pack of one region and of all
//!   ten regions from a finished run on the sample (pack inputs, pack,
//!   files written).
//!
//! `cargo test --all-targets` runs this binary in criterion's test mode
//! (each routine once, in the debug profile); the heavy benchmarks
//! (generated extracts, packs) run only under `cargo bench`, which passes
//! `--bench`.

mod common;

use std::path::PathBuf;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use criterion::{BenchmarkGroup, Criterion, SamplingMode, criterion_group, criterion_main};
use pireport::engine::Session;
use tokio::runtime::Runtime;

/// Whether this is a real benchmark run: `cargo bench` passes `--bench`;
/// `cargo test` does not, and `--test` asks criterion for test mode.
fn full_run() -> bool {
    let has = |flag: &str| std::env::args().any(|a| a == flag);
    has("--bench") && !has("--test")
}

fn runtime() -> Runtime {
    Runtime::new().expect("a tokio runtime")
}

/// The extract of the light benchmarks.
fn light_data() -> PathBuf {
    std::env::var_os("PIREPORT_BENCH_DATA")
        .map(PathBuf::from)
        .unwrap_or_else(common::sample_dir)
}

/// Few samples, one iteration each: for routines of seconds to minutes.
fn heavy<M: criterion::measurement::Measurement>(g: &mut BenchmarkGroup<'_, M>) {
    g.sample_size(10)
        .sampling_mode(SamplingMode::Flat)
        .warm_up_time(Duration::from_millis(1))
        .measurement_time(Duration::from_secs(1));
}

fn definitions(c: &mut Criterion) {
    let (ind, data) = (common::indicators_dir(), light_data());
    c.bench_function("definitions/load_and_validate", |b| {
        b.iter(|| pireport::load_and_validate(&ind, &data).map(|v| v.0.indicators.len()))
    });
}

fn compile(c: &mut Criterion) {
    let (ind, data) = (common::indicators_dir(), light_data());
    let rt = runtime();
    // the session only supplies each indicator's periods and the table schemas
    let (valid, extract) = pireport::load_and_validate(&ind, &data).expect("valid definitions");
    let session = rt
        .block_on(Session::open(Arc::new(valid), &extract))
        .expect("session");
    c.bench_function("compile/all_definitions", |b| {
        b.iter(|| {
            rt.block_on(common::compile_all(&session, &ind, &data))
                .expect("every definition compiles")
        })
    });
}

fn compute(c: &mut Criterion) {
    let (ind, data) = (common::indicators_dir(), light_data());
    let rt = runtime();
    let mut g = c.benchmark_group("compute");
    g.sample_size(10);
    g.bench_function("sample", |b| {
        b.iter(|| {
            rt.block_on(pireport::compute(&ind, &data, &[]))
                .map(|r| r.rows.len())
                .expect("compute")
        })
    });
    g.finish();
}

/// Compute on generated extracts; the extract is generated (or found) the
/// first time the benchmark runs, so a filtered-out scale costs nothing.
fn compute_generated(c: &mut Criterion) {
    if !full_run() {
        eprintln!("compute/scale-0.1, compute/scale-1: run only under `cargo bench`");
        return;
    }
    let ind = common::indicators_dir();
    let rt = runtime();
    let mut g = c.benchmark_group("compute");
    heavy(&mut g);
    for scale in [0.1, 1.0] {
        let data: OnceLock<PathBuf> = OnceLock::new();
        g.bench_function(common::scale_name(scale), |b| {
            let data =
                data.get_or_init(|| common::bench_data(scale).expect("generate the extract"));
            b.iter(|| {
                rt.block_on(pireport::compute(&ind, data, &[]))
                    .map(|r| r.rows.len())
                    .expect("compute")
            })
        });
    }
    g.finish();
}

fn packs(c: &mut Criterion) {
    if !full_run() {
        // in the debug profile one pack takes tens of seconds; the gate's
        // `pack_dom_one` workload runs the same code in CI
        eprintln!("pack/dom_one, pack/dom_all: run only under `cargo bench`");
        return;
    }
    let (ind, data) = (common::indicators_dir(), common::sample_dir());
    let rt = runtime();
    let (def, ids) = common::dom_pack_def().expect("the DOM pack definition");
    let run = rt
        .block_on(pireport::compute(&ind, &data, &ids))
        .expect("compute the pack's indicators");
    let mut g = c.benchmark_group("pack");
    heavy(&mut g);
    g.bench_function("dom_one", |b| {
        b.iter_batched(
            || tempfile::tempdir().expect("temp dir"),
            |dir| {
                let _files = rt
                    .block_on(common::dom_pack(
                        &run,
                        &def,
                        &ids,
                        &data,
                        common::PACK_REGION,
                        &dir.path().join("pack"),
                    ))
                    .expect("build the pack");
                dir // removed after the measurement
            },
            criterion::BatchSize::PerIteration,
        )
    });
    g.bench_function("dom_all", |b| {
        b.iter_batched(
            || tempfile::tempdir().expect("temp dir"),
            |dir| {
                let _packs = rt
                    .block_on(common::dom_packs_all(
                        &run,
                        &def,
                        &ids,
                        &data,
                        &dir.path().join("packs"),
                    ))
                    .expect("build the packs");
                dir
            },
            criterion::BatchSize::PerIteration,
        )
    });
    g.finish();
}

criterion_group! {
    name = benches;
    // no charts: criterion's plotters backend needs a system font, which
    // CI machines and containers often lack (the numbers are in the output)
    config = Criterion::default().without_plots();
    targets = definitions, compile, compute, compute_generated, packs
}
criterion_main!(benches);
