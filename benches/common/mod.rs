//! Workloads shared by the criterion benches (`benches/pipeline.rs`) and
//! the instruction-count gate (`benches/gate/`): where the inputs are,
//! generated extracts kept in the target directory, and the pipeline run
//! on a given DataFusion context so the gate can make it deterministic.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::sync::Arc;

use datafusion::prelude::SessionContext;
use pireport::engine::Session;
use pireport::pack::{self, LoadedPackDef, PackOptions};
use pireport::{Error, Run};

/// Seed of every generated bench extract (the CLI's default).
pub const SEED: u64 = 2008;
/// The region of the one-pack benchmarks (as in the README's quick start).
pub const PACK_REGION: &str = "E12000002";
/// The quarter of every pack benchmark.
pub const PACK_QUARTER: &str = "2010-11 Q2";

/// The repository root: the checkout cargo is running the bench from
/// (cargo sets `CARGO_MANIFEST_DIR` at run time), else the one it was built
/// from. The run-time value matters when checkouts share a target directory:
/// a binary cargo considers fresh may have been built from another clone,
/// and `--bless` must write the baseline of the checkout it was run in.
pub fn repo() -> PathBuf {
    std::env::var_os("CARGO_MANIFEST_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")))
}

/// The shipped definitions.
pub fn indicators_dir() -> PathBuf {
    repo().join("indicators")
}

/// The committed sample extract.
pub fn sample_dir() -> PathBuf {
    repo().join("data-samples")
}

/// The pack definitions.
pub fn reports_dir() -> PathBuf {
    repo().join("reports")
}

/// Cargo's target directory: `CARGO_TARGET_DIR` when set, else the one
/// this bench binary was built into (`<target>/<profile>/deps/<bench>`).
pub fn target_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("CARGO_TARGET_DIR") {
        return PathBuf::from(dir);
    }
    std::env::current_exe()
        .ok()
        .and_then(|exe| Some(exe.parent()?.parent()?.parent()?.to_path_buf()))
        .unwrap_or_else(|| repo().join("target"))
}

/// `scale-0.1`, `scale-1`: the directory name of a generated extract.
pub fn scale_name(scale: f64) -> String {
    format!("scale-{scale}")
}

/// The extract of `scale` under `<target>/bench-data/`, generated with
/// [`SEED`] by the library's generator the first time and reused after
/// (`benches/peer/compare.py` uses the same directories). Generation
/// writes beside the destination and renames when complete, so an
/// interrupted run leaves nothing that looks finished.
/// Why the benchmark extract could not be made.
#[derive(Debug, thiserror::Error)]
pub enum BenchDataError {
    /// A file operation on the extract's directory failed.
    #[error("cannot {what} {}", .path.display())]
    Io {
        /// What was being done.
        what: &'static str,
        /// The path.
        path: PathBuf,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// Generating the extract failed.
    #[error(transparent)]
    Generate(#[from] pireport::generate::GenerateError),
}

pub fn bench_data(scale: f64) -> Result<PathBuf, BenchDataError> {
    let root = target_dir().join("bench-data");
    let dir = root.join(scale_name(scale));
    if dir.join("manifest.yaml").is_file() {
        return Ok(dir);
    }
    let io = |what: &'static str, p: &Path, source: std::io::Error| BenchDataError::Io {
        what,
        path: p.to_path_buf(),
        source,
    };
    std::fs::create_dir_all(&root).map_err(|e| io("create", &root, e))?;
    let partial = root.join(format!(
        ".{}.partial-{}",
        scale_name(scale),
        std::process::id()
    ));
    if partial.exists() {
        std::fs::remove_dir_all(&partial).map_err(|e| io("remove", &partial, e))?;
    }
    eprintln!(
        "generating the --scale {scale} extract into {} (once; reused after)",
        dir.display()
    );
    let summary = pireport::generate::generate(&pireport::generate::GenerateOptions::new(
        scale, SEED, &partial,
    ))?;
    std::fs::rename(&partial, &dir).map_err(|e| io("rename into place", &dir, e))?;
    eprintln!(
        "generated {} rows in {:.1} s",
        summary.total_rows,
        summary.elapsed.as_secs_f64()
    );
    Ok(dir)
}

/// The pipeline up to assessment, as `pireport::compute` runs it, but on
/// `ctx` (so a caller can fix the partitioning).
pub async fn compute_on(
    ctx: SessionContext,
    indicators: &Path,
    data: &Path,
    ids: &[String],
) -> Result<Run, Error> {
    let (valid, extract) = pireport::load_and_validate(indicators, data)?;
    let catalog = Arc::new(valid);
    let session = Session::open_with_context(ctx, catalog.clone(), &extract).await?;
    let execution = session.execute(ids).await?;
    let rows = pireport::engine::assess(&catalog, &execution)?;
    Ok(Run {
        catalog,
        session,
        execution,
        rows,
    })
}

/// Load and validate the definitions and compile every indicator's plan
/// over its periods in `session`; returns the number of plans.
pub async fn compile_all(
    session: &Session,
    indicators: &Path,
    data: &Path,
) -> Result<usize, Error> {
    let (valid, _) = pireport::load_and_validate(indicators, data)?;
    let mut plans = 0;
    for ind in &valid.indicators {
        let periods = session.periods(ind).computed;
        if !periods.is_empty() {
            pireport::engine::plan_indicator(&session.ctx, ind, &periods).await?;
            plans += 1;
        }
    }
    Ok(plans)
}

/// The DOM pack definition and the indicators it shows.
pub fn dom_pack_def() -> Result<(LoadedPackDef, Vec<String>), Error> {
    let def = pack::load_pack_def(&reports_dir(), "dom")?;
    let ids = def.def.ids();
    Ok((def, ids))
}

/// Build the DOM pack of `region` for [`PACK_QUARTER`] from a finished
/// run and write it to `out` (which must not exist): the pack inputs
/// (row counts, compiled SQL, hashes), the pack in memory, the files;
/// returns the number of files.
pub async fn dom_pack(
    run: &Run,
    def: &LoadedPackDef,
    ids: &[String],
    data: &Path,
    region: &str,
    out: &Path,
) -> Result<usize, Error> {
    let opts = PackOptions::default();
    let quarter = run.quarter(PACK_QUARTER)?;
    let report = run.report(ids, data, def).await?;
    let scope = report.dom_scope(region, quarter)?;
    let built = pack::dom_pack_files(&report, def, &scope, &opts)?;
    Ok(pack::write_pack(out, &built, &opts)?.files)
}

/// Build the DOM packs of every region (in parallel, as `pack dom --region
/// all` does) into `out/<region>/`; returns the number of packs.
pub async fn dom_packs_all(
    run: &Run,
    def: &LoadedPackDef,
    ids: &[String],
    data: &Path,
    out: &Path,
) -> Result<usize, Error> {
    let opts = PackOptions::default();
    let quarter = run.quarter(PACK_QUARTER)?;
    let report = run.report(ids, data, def).await?;
    let scopes = report.dom_scopes_all(quarter)?;
    let packs = pack::write_dom_packs_all(&report, def, &scopes, out, &opts, None, &|_: &str| {})?;
    Ok(packs.len())
}
