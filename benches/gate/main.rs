//! The CI regression gate: instructions counted by callgrind, which move
//! by less than 0.1% between runs whatever else the machine is doing,
//! compared with the baseline committed in `benches/gate/baseline.json`.
//!
//! Every tracked workload runs in its own process under
//! `valgrind --tool=callgrind`, configured to be deterministic: a
//! current-thread tokio runtime, `target_partitions = 1`, one rayon
//! thread (the workload's own, so its parallel work is counted). Only the
//! measured part of each workload is counted (callgrind `--toggle-collect`
//! on [`gate_measured`]: not the process start, not the run a pack is
//! built from). The runs go side by side, one per core (`GATE_JOBS=N` for
//! another number): each is one single-threaded process whose count does
//! not depend on its neighbours. The gate fails (exit 1) when a workload's
//! instruction count (Ir) grows by more than the threshold (10%); the
//! lowest of `--repeat` runs counts.
//!
//! ```text
//! benches/gate/run.sh                 # = cargo bench --bench gate --: compare with the baseline
//! benches/gate/run.sh --bless         # measure and rewrite the baseline
//! benches/gate/run.sh --repeat 2      # run each workload twice; fail if the counts differ by > 0.5%
//! benches/gate/run.sh --only compute  # some workloads (repeatable)
//! ```
//!
//! Under `cargo test --all-targets` (no `--bench` argument) the binary only
//! runs the cheapest workload once, in process, as a smoke test.

#[path = "../common/mod.rs"]
mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};
use std::time::Instant;

use pireport::engine::{Session, session_config};
use serde::{Deserialize, Serialize};
use tokio::runtime::Runtime;

/// The tracked workloads, in the order they run.
const WORKLOADS: [Workload; 3] = [
    Workload {
        name: "compile",
        about: "load + validate + plan every definition (data-samples)",
    },
    Workload {
        name: "compute",
        about: "compute every indicator on data-samples",
    },
    Workload {
        name: "pack_dom_one",
        about: "build and write one DOM pack (pack inputs, pack, files) from a finished run",
    },
];

/// A regression larger than this fails the gate, in percent.
const DEFAULT_THRESHOLD: f64 = 10.0;
/// Repeated counts of one workload may differ by this much, in percent
/// (random hash seeds move a few thousand instructions in a hundred
/// million).
const REPEAT_TOLERANCE: f64 = 0.5;

/// One tracked benchmark.
#[derive(Debug, Clone, Copy)]
struct Workload {
    /// Its name in the baseline.
    name: &'static str,
    /// What it runs.
    about: &'static str,
}

/// Why the gate could not measure or compare.
#[derive(Debug, thiserror::Error)]
enum GateError {
    /// A bad command line.
    #[error(
        "{0}\nusage: gate [--bless] [--repeat N] [--threshold PCT] [--only NAME]... | --workload NAME"
    )]
    Usage(String),
    /// A file could not be read or written.
    #[error("cannot {action} {path}")]
    Io {
        /// What was attempted.
        action: &'static str,
        /// The file.
        path: PathBuf,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// valgrind could not be started.
    #[error("cannot run valgrind (install it: apt-get install valgrind)")]
    NoValgrind(#[source] std::io::Error),
    /// The workload failed under callgrind.
    #[error("workload `{workload}` failed under callgrind ({status}):\n{stderr}")]
    Workload {
        /// The workload.
        workload: String,
        /// Its exit status.
        status: String,
        /// The tail of its standard error.
        stderr: String,
    },
    /// Callgrind's output has no total.
    #[error("no `summary:` or `totals:` line in callgrind output {0}")]
    NoTotal(PathBuf),
    /// The baseline is not valid JSON of the expected shape.
    #[error("baseline {path} is not valid")]
    Baseline {
        /// The file.
        path: PathBuf,
        /// The cause.
        #[source]
        source: serde_json::Error,
    },
    /// The pipeline failed (in-process workload).
    #[error(transparent)]
    Pipeline(#[from] pireport::Error),
    /// No workload has this name.
    #[error("unknown workload `{0}`")]
    UnknownWorkload(String),
    /// Counts differed between repeated runs.
    #[error("instruction counts are not repeatable: {0}")]
    NotRepeatable(String),
}

/// `benches/gate/baseline.json`.
#[derive(Debug, Serialize, Deserialize)]
struct Baseline {
    /// How the counts were taken and how to renew them.
    note: String,
    /// Where they were taken.
    machine: BTreeMap<String, String>,
    /// Instructions (Ir) per workload.
    instructions: BTreeMap<String, u64>,
}

/// What the command line asks for.
#[derive(Debug, Default)]
struct Options {
    bless: bool,
    repeat: usize,
    threshold: f64,
    only: Vec<String>,
    workload: Option<String>,
    bench: bool,
}

fn parse_args() -> Result<Options, GateError> {
    let mut o = Options {
        repeat: 1,
        threshold: DEFAULT_THRESHOLD,
        ..Options::default()
    };
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        let mut value = |flag: &str| {
            args.next()
                .ok_or_else(|| GateError::Usage(format!("{flag} needs a value")))
        };
        match a.as_str() {
            "--bench" => o.bench = true,
            "--bless" => o.bless = true,
            "--repeat" => {
                let v = value("--repeat")?;
                o.repeat = v
                    .parse()
                    .ok()
                    .filter(|n| *n >= 1)
                    .ok_or_else(|| GateError::Usage(format!("--repeat {v}: give 1 or more")))?;
            }
            "--threshold" => {
                let v = value("--threshold")?;
                o.threshold = v.parse().ok().filter(|t: &f64| *t > 0.0).ok_or_else(|| {
                    GateError::Usage(format!("--threshold {v}: give a percentage"))
                })?;
            }
            "--only" => o.only.push(value("--only")?),
            "--workload" => o.workload = Some(value("--workload")?),
            // cargo passes test filters and harness flags to every target:
            // they are not ours, so they select nothing
            _ => {}
        }
    }
    for name in o.only.iter().chain(&o.workload) {
        if !WORKLOADS.iter().any(|w| w.name == name) {
            let known: Vec<&str> = WORKLOADS.iter().map(|w| w.name).collect();
            return Err(GateError::Usage(format!(
                "unknown workload `{name}`: one of {}",
                known.join(", ")
            )));
        }
    }
    Ok(o)
}

fn main() -> ExitCode {
    let result = parse_args().and_then(|o| match (&o.workload, o.bench) {
        (Some(name), _) => run_workload(name).map(|()| true),
        (None, true) => gate(&o),
        (None, false) => smoke(),
    });
    match result {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::from(1),
        Err(e) => {
            let mut msg = format!("gate: error: {e}");
            let mut src = std::error::Error::source(&e);
            while let Some(s) = src {
                msg.push_str(&format!("\n  caused by: {s}"));
                src = s.source();
            }
            eprintln!("{msg}");
            ExitCode::from(2)
        }
    }
}

/// Test mode: the cheapest workload once, in process.
fn smoke() -> Result<bool, GateError> {
    run_workload("compile")?;
    eprintln!("gate: smoke test passed; measure with `benches/gate/run.sh`");
    Ok(true)
}

// ---------------------------------------------------------------------------
// The workloads (run in the child process, under callgrind)
// ---------------------------------------------------------------------------

/// Run one workload deterministically, on a thread with a large stack
/// (DataFusion's planner recurses deeply).
fn run_workload(name: &str) -> Result<(), GateError> {
    let name = name.to_string();
    let worker = std::thread::Builder::new()
        .name("gate".into())
        .stack_size(64 << 20)
        .spawn(move || {
            // one rayon thread, and it is this one: no work stealing whose
            // order varies between runs, and parallel work (assessment,
            // charts) runs under gate_measured, so callgrind counts it
            let _ = rayon::ThreadPoolBuilder::new()
                .num_threads(1)
                .use_current_thread()
                .build_global();
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .map_err(pireport::Error::Runtime)?;
            workload(&rt, &name)
        })
        .map_err(|e| GateError::Io {
            action: "start a thread for",
            path: PathBuf::from("the workload"),
            source: e,
        })?;
    match worker.join() {
        Ok(r) => r,
        Err(panic) => std::panic::resume_unwind(panic),
    }
}

/// A context whose plans run on one partition.
fn deterministic_context() -> datafusion::prelude::SessionContext {
    datafusion::prelude::SessionContext::new_with_config(session_config().with_target_partitions(1))
}

/// The measured part of a workload: callgrind collects only while this
/// function is on a thread's stack (`--toggle-collect`), so setup (process
/// start, the run a pack is built from) is not counted, nor are the
/// blocking-pool threads that only read files.
#[inline(never)]
fn gate_measured<F: Future>(rt: &Runtime, work: F) -> F::Output {
    rt.block_on(work)
}

fn workload(rt: &Runtime, name: &str) -> Result<(), GateError> {
    let (ind, data) = (common::indicators_dir(), common::sample_dir());
    match name {
        "compile" => gate_measured(rt, async {
            let (valid, extract) = pireport::load_and_validate(&ind, &data)?;
            let session =
                Session::open_with_context(deterministic_context(), valid.into(), &extract).await?;
            common::compile_all(&session, &ind, &data).await
        })
        .map(|_| ())
        .map_err(GateError::from),
        "compute" => gate_measured(
            rt,
            common::compute_on(deterministic_context(), &ind, &data, &[]),
        )
        .map(|_| ())
        .map_err(GateError::from),
        "pack_dom_one" => {
            let (def, ids) = common::dom_pack_def()?;
            let run = rt.block_on(common::compute_on(
                deterministic_context(),
                &ind,
                &data,
                &ids,
            ))?;
            let dir = tempfile::tempdir().map_err(|source| GateError::Io {
                action: "create",
                path: PathBuf::from("a temporary directory"),
                source,
            })?;
            let out = dir.path().join("pack");
            gate_measured(
                rt,
                common::dom_pack(&run, &def, &ids, &data, common::PACK_REGION, &out),
            )
            .map(|_| ())
            .map_err(GateError::from)
        }
        other => Err(GateError::UnknownWorkload(other.to_string())),
    }
}

// ---------------------------------------------------------------------------
// The driver
// ---------------------------------------------------------------------------

fn baseline_path() -> PathBuf {
    common::repo().join("benches/gate/baseline.json")
}

/// Measure every chosen workload, print the table, compare or bless.
/// Returns whether the gate passes.
fn gate(o: &Options) -> Result<bool, GateError> {
    let started = Instant::now();
    let chosen: Vec<Workload> = WORKLOADS
        .iter()
        .filter(|w| o.only.is_empty() || o.only.iter().any(|n| n == w.name))
        .copied()
        .collect();
    let scratch = tempfile::tempdir().map_err(|e| GateError::Io {
        action: "create a temporary directory in",
        path: std::env::temp_dir(),
        source: e,
    })?;
    let mut measured: BTreeMap<String, u64> = BTreeMap::new();
    let mut seconds: BTreeMap<String, f64> = BTreeMap::new();
    let runs = run_all(&chosen, o.repeat, scratch.path())?;
    for w in &chosen {
        let mut counts = Vec::new();
        for i in 0..o.repeat {
            let (count, secs) = runs[&(w.name, i)];
            counts.push(count);
            *seconds.entry(w.name.to_string()).or_default() += secs;
        }
        let (lo, hi) = (
            counts.iter().copied().min().unwrap_or(0),
            counts.iter().copied().max().unwrap_or(0),
        );
        let spread = 100.0 * (hi - lo) as f64 / (lo as f64).max(1.0);
        if o.repeat > 1 {
            eprintln!(
                "gate: {:<14} spread {spread:.3}% over {} runs",
                w.name, o.repeat
            );
        }
        if spread > REPEAT_TOLERANCE {
            let list: Vec<String> = counts.iter().map(|c| group(*c)).collect();
            return Err(GateError::NotRepeatable(format!(
                "{}: {} differ by {spread:.2}%, more than {REPEAT_TOLERANCE}%",
                w.name,
                list.join(" vs ")
            )));
        }
        measured.insert(w.name.to_string(), lo);
    }
    let path = baseline_path();
    let baseline = read_baseline(&path)?;
    let pass = print_table(&chosen, &measured, baseline.as_ref(), o.threshold);
    println!(
        "gate: {} workload(s) in {:.1} s (callgrind runs, side by side, {:.1} s summed)",
        chosen.len(),
        started.elapsed().as_secs_f64(),
        seconds.values().sum::<f64>()
    );
    if o.bless {
        let mut instructions = baseline.map(|b| b.instructions).unwrap_or_default();
        instructions.extend(measured);
        write_baseline(&path, instructions)?;
        println!("gate: wrote {}", path.display());
        return Ok(true);
    }
    if baseline.is_none() {
        println!(
            "gate: no baseline at {}: run `benches/gate/run.sh --bless` and commit it",
            path.display()
        );
        return Ok(false);
    }
    if !pass {
        println!(
            "gate: FAILED: instructions grew by more than {}% (if intended, re-bless with `benches/gate/run.sh --bless`)",
            o.threshold
        );
    }
    Ok(pass)
}

/// One run of a workload: its name and its number.
type Run = (&'static str, usize);

/// Every run of every workload (`repeat` each) under callgrind, as many at
/// once as there are cores (`GATE_JOBS` to choose): each run is one
/// single-threaded process whose count does not depend on what else runs,
/// so running them side by side only shortens the gate (CI's budget). The
/// (Ir, seconds) of each (workload, run).
fn run_all(
    chosen: &[Workload],
    repeat: usize,
    scratch: &Path,
) -> Result<BTreeMap<Run, (u64, f64)>, GateError> {
    use std::sync::Mutex;
    use std::sync::atomic::{AtomicUsize, Ordering};
    let jobs: Vec<Run> = chosen
        .iter()
        .flat_map(|w| (0..repeat).map(move |i| (w.name, i)))
        .collect();
    let threads = std::env::var("GATE_JOBS")
        .ok()
        .and_then(|v| v.parse::<usize>().ok())
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
        .clamp(1, jobs.len().max(1));
    let next = AtomicUsize::new(0);
    let results = Mutex::new(BTreeMap::new());
    let first_error: Mutex<Option<GateError>> = Mutex::new(None);
    std::thread::scope(|s| {
        for _ in 0..threads {
            s.spawn(|| {
                loop {
                    let j = next.fetch_add(1, Ordering::SeqCst);
                    let Some(&(name, i)) = jobs.get(j) else { break };
                    let t = Instant::now();
                    let out = scratch.join(format!("{name}.{i}.callgrind"));
                    match callgrind(name, &out) {
                        Ok(count) => {
                            let secs = t.elapsed().as_secs_f64();
                            eprintln!(
                                "gate: {name:<14} {:>16} Ir  ({secs:.1} s under callgrind)",
                                group(count)
                            );
                            if let Ok(mut r) = results.lock() {
                                r.insert((name, i), (count, secs));
                            }
                        }
                        Err(e) => {
                            if let Ok(mut f) = first_error.lock() {
                                f.get_or_insert(e);
                            }
                            // the other runs are left to end: their
                            // counts would not be read
                            next.store(jobs.len(), Ordering::SeqCst);
                        }
                    }
                }
            });
        }
    });
    if let Some(e) = first_error.into_inner().ok().flatten() {
        return Err(e);
    }
    Ok(results.into_inner().unwrap_or_default())
}

/// Run `workload` in a child process under callgrind; its total Ir.
fn callgrind(workload: &str, out: &Path) -> Result<u64, GateError> {
    let exe = std::env::current_exe().map_err(|e| GateError::Io {
        action: "locate",
        path: PathBuf::from("the gate binary"),
        source: e,
    })?;
    let output = Command::new("valgrind")
        .arg("--tool=callgrind")
        .arg(format!("--callgrind-out-file={}", out.display()))
        .args(["--collect-atstart=no", "--toggle-collect=*gate_measured*"])
        .args(["--dump-instr=no", "--dump-line=no", "--compress-strings=no"])
        .arg(&exe)
        .args(["--workload", workload])
        .env("RAYON_NUM_THREADS", "1")
        .env_remove("PIREPORT_LOG")
        .output()
        .map_err(GateError::NoValgrind)?;
    if !output.status.success() {
        let stderr = String::from_utf8_lossy(&output.stderr);
        let tail: Vec<&str> = stderr.lines().rev().take(40).collect();
        return Err(GateError::Workload {
            workload: workload.to_string(),
            status: output.status.to_string(),
            stderr: tail.into_iter().rev().collect::<Vec<_>>().join("\n"),
        });
    }
    let text = std::fs::read_to_string(out).map_err(|e| GateError::Io {
        action: "read",
        path: out.to_path_buf(),
        source: e,
    })?;
    total_ir(&text).ok_or_else(|| GateError::NoTotal(out.to_path_buf()))
}

/// The `summary:` (or `totals:`) line of a callgrind output file.
fn total_ir(text: &str) -> Option<u64> {
    ["summary:", "totals:"].iter().find_map(|key| {
        text.lines()
            .find_map(|l| l.strip_prefix(key))
            .and_then(|v| v.split_whitespace().next())
            .and_then(|v| v.parse().ok())
    })
}

fn read_baseline(path: &Path) -> Result<Option<Baseline>, GateError> {
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => {
            return Err(GateError::Io {
                action: "read",
                path: path.to_path_buf(),
                source: e,
            });
        }
    };
    serde_json::from_str(&text)
        .map(Some)
        .map_err(|source| GateError::Baseline {
            path: path.to_path_buf(),
            source,
        })
}

/// Print one line per workload; whether none regressed beyond `threshold`.
fn print_table(
    chosen: &[Workload],
    measured: &BTreeMap<String, u64>,
    baseline: Option<&Baseline>,
    threshold: f64,
) -> bool {
    let mut pass = true;
    println!(
        "{:<14} {:>16} {:>16} {:>8}  {:<10} what",
        "benchmark", "baseline Ir", "current Ir", "change", "status"
    );
    for w in chosen {
        let now = measured[w.name];
        let before = baseline.and_then(|b| b.instructions.get(w.name)).copied();
        let (change, status) = match before {
            None => ("".to_string(), "new"),
            Some(b) => {
                let pct = 100.0 * (now as f64 - b as f64) / (b as f64).max(1.0);
                let status = if pct > threshold {
                    pass = false;
                    "REGRESSED"
                } else if pct < -threshold {
                    "faster"
                } else {
                    "ok"
                };
                (format!("{pct:+.1}%"), status)
            }
        };
        println!(
            "{:<14} {:>16} {:>16} {:>8}  {:<10} {}",
            w.name,
            before.map(group).unwrap_or_default(),
            group(now),
            change,
            status,
            w.about
        );
    }
    pass
}

fn write_baseline(path: &Path, instructions: BTreeMap<String, u64>) -> Result<(), GateError> {
    let baseline = Baseline {
        note: "Instructions (Ir) of the measured part of each workload (`gate_measured`), \
               counted by `valgrind --tool=callgrind`, bench profile (release settings), \
               current-thread runtime, target_partitions 1, one rayon thread. Written by \
               `benches/gate/run.sh --bless`; the gate fails when a count grows by more than \
               10%. Counts depend on the toolchain and dependency versions: re-bless after \
               upgrading them."
            .to_string(),
        machine: machine(),
        instructions,
    };
    let text = serde_json::to_string_pretty(&baseline).map_err(|source| GateError::Baseline {
        path: path.to_path_buf(),
        source,
    })? + "\n";
    std::fs::write(path, text).map_err(|e| GateError::Io {
        action: "write",
        path: path.to_path_buf(),
        source: e,
    })
}

/// Where and with what the counts were taken.
fn machine() -> BTreeMap<String, String> {
    let run = |cmd: &str, arg: &str| {
        Command::new(cmd)
            .arg(arg)
            .output()
            .ok()
            .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
            .unwrap_or_else(|| "unknown".into())
    };
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|t| {
            t.lines()
                .find_map(|l| l.strip_prefix("model name"))
                .map(|v| v.trim_start_matches([' ', '\t', ':']).to_string())
        })
        .unwrap_or_else(|| "unknown".into());
    let rustc = std::env::var("RUSTC").unwrap_or_else(|_| "rustc".into());
    BTreeMap::from([
        ("cpu".to_string(), cpu),
        (
            "os".to_string(),
            format!("{} {}", std::env::consts::OS, std::env::consts::ARCH),
        ),
        ("rustc".to_string(), run(&rustc, "--version")),
        ("valgrind".to_string(), run("valgrind", "--version")),
        (
            "blessed".to_string(),
            chrono::Utc::now().format("%Y-%m-%d %H:%M UTC").to_string(),
        ),
    ])
}

/// `1234567` as `1,234,567`.
fn group(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}
