//! The bad-input corpus (issue 14): every case in `tests/bad_inputs/*.yaml`
//! runs the real `pireport` binary in a scratch copy of the repository's
//! inputs (indicators/, reports/) and of a tiny extract generated once per
//! run (`pireport generate --scale 0.0005`, shared read-only, hard-linked),
//! edited by the case's recipe, with a per-case timeout. Each case must end with the expected
//! exit code and message fragment, and leave nothing behind (on failure the
//! scratch tree is exactly as before; on success only what the case says it
//! creates is new).
//!
//! Every outcome falls in one class: good, unclear (right code, message
//! missing or flooding), wrong code, panic (or abort/signal), hang, silent
//! (exit 0 where a refusal or a note was due) or left behind.
//!
//! Environment:
//! - `BAD_INPUTS_REPORT=1`: print the class counts and never fail (what
//!   `scripts/bad-inputs-counts.sh` runs);
//! - `BAD_INPUTS_BIN=PATH`: run another binary (e.g. an older build, for
//!   "before" counts);
//! - `BAD_INPUTS_FILTER=TEXT`: only cases whose family/name contains TEXT;
//! - `BAD_INPUTS_THREADS=N`: cases run at once (default: the CPU count);
//! - `BAD_INPUTS_TIMEOUT=SECS`: per-case timeout (default 30; a case's own
//!   `timeout` replaces the default, and this variable, when set, caps
//!   both; open cases listed as `hang` get at most 5).
//!
//! Cases listed in `tests/bad_inputs/open.txt` (known open: `family/name
//! class reason` per line) run and are counted but do not fail the test;
//! the test fails when any other case does not end as expected, and when
//! an open case now ends as expected (remove it from the list: the list
//! only shrinks).

use std::collections::BTreeMap;
use std::io::Read;
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde::Deserialize;

mod recipe;

use recipe::Step;

/// One case of the corpus.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Case {
    /// Unique within its family file.
    name: String,
    /// What the case probes (for readers).
    #[serde(default)]
    #[allow(dead_code)]
    why: Option<String>,
    /// How to build the bad input from the repository's inputs.
    #[serde(default, with = "serde_yaml::with::singleton_map_recursive")]
    setup: Vec<Step>,
    /// Command-line arguments; `{ws}` is the scratch directory.
    args: Vec<String>,
    /// Extra environment; `{ws}` is the scratch directory.
    #[serde(default)]
    env: BTreeMap<String, String>,
    /// Where standard output goes.
    #[serde(default)]
    stdout: Sink,
    /// Seconds before the case counts as a hang.
    #[serde(default)]
    timeout: Option<u64>,
    /// What must happen.
    expect: Expect,
}

/// Standard output of the binary.
#[derive(Debug, Default, Deserialize, Clone, Copy, PartialEq)]
#[serde(rename_all = "snake_case")]
enum Sink {
    /// A pipe the harness reads.
    #[default]
    Pipe,
    /// `/dev/full`: every write fails with ENOSPC.
    Full,
    /// A pipe whose reading end is already closed.
    Closed,
}

/// The expected outcome.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Expect {
    /// Exit code; 141 means "ended quietly by a closed pipe": killed by
    /// SIGPIPE, or exit 0 or 141, with nothing on stderr.
    code: i32,
    /// Fragments that must all appear in stderr (case-insensitive; `{ws}`
    /// is the scratch directory).
    #[serde(default)]
    message: Fragments,
    /// Fragments that must not appear in stderr (a message blaming the
    /// wrong thing).
    #[serde(default)]
    absent: Vec<String>,
    /// Paths (relative to the scratch directory) a successful run creates.
    #[serde(default)]
    creates: Vec<String>,
}

/// One fragment or several.
#[derive(Debug, Default, Deserialize)]
#[serde(untagged)]
enum Fragments {
    #[default]
    None,
    One(String),
    Many(Vec<String>),
}

impl Fragments {
    fn list(&self) -> Vec<&str> {
        match self {
            Fragments::None => Vec::new(),
            Fragments::One(s) => vec![s.as_str()],
            Fragments::Many(v) => v.iter().map(|s| s.as_str()).collect(),
        }
    }
}

/// The class of an outcome.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Class {
    Good,
    Unclear,
    WrongCode,
    Panic,
    Hang,
    Silent,
    LeftBehind,
    /// The case's own recipe failed: fix the case.
    Broken,
}

impl Class {
    const ALL: [Class; 8] = [
        Class::Good,
        Class::Unclear,
        Class::WrongCode,
        Class::Panic,
        Class::Hang,
        Class::Silent,
        Class::LeftBehind,
        Class::Broken,
    ];

    fn label(self) -> &'static str {
        match self {
            Class::Good => "good",
            Class::Unclear => "right code, unclear message",
            Class::WrongCode => "wrong exit code",
            Class::Panic => "panic or abort",
            Class::Hang => "hang",
            Class::Silent => "accepted silently",
            Class::LeftBehind => "left something behind",
            Class::Broken => "broken case (recipe failed)",
        }
    }
}

/// Stderr beyond this many bytes floods the terminal: unclear.
const STDERR_CAP: usize = 64 * 1024;
/// Address-space limit of the binary: a run that allocates without bound
/// aborts instead of taking the machine down.
const MEMORY_LIMIT: u64 = 6 << 30;

struct Outcome {
    family: String,
    name: String,
    class: Class,
    detail: String,
    secs: f64,
}

fn repo() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn corpus_dir() -> PathBuf {
    repo().join("tests/bad_inputs")
}

fn load_cases() -> Vec<(String, Case)> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(corpus_dir())
        .expect("tests/bad_inputs")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "yaml"))
        .collect();
    files.sort();
    let mut out = Vec::new();
    let mut seen = std::collections::BTreeSet::new();
    for f in files {
        let family = f.file_stem().unwrap().to_string_lossy().to_string();
        let text = std::fs::read_to_string(&f).unwrap();
        let cases: Vec<Case> =
            serde_yaml::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", f.display()));
        for c in cases {
            assert!(
                seen.insert(format!("{family}/{}", c.name)),
                "duplicate case {family}/{}",
                c.name
            );
            out.push((family.clone(), c));
        }
    }
    out
}

/// Every path under `root` with its size (directories as -1, other
/// non-regular files as -2), relative to `root`.
fn tree(root: &Path) -> BTreeMap<String, i64> {
    let mut out = BTreeMap::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        let Ok(rd) = std::fs::read_dir(&dir) else {
            continue;
        };
        for e in rd.flatten() {
            let p = e.path();
            let rel = p.strip_prefix(root).unwrap().to_string_lossy().to_string();
            let Ok(m) = std::fs::symlink_metadata(&p) else {
                continue;
            };
            let size = if m.is_dir() {
                stack.push(p.clone());
                -1
            } else if m.is_file() {
                m.len() as i64
            } else {
                -2
            };
            out.insert(rel, size);
        }
    }
    out
}

fn run_case(
    bin: &Path,
    scratch: &Path,
    data: &Path,
    family: &str,
    case: &Case,
    default_timeout: u64,
) -> Outcome {
    let started = Instant::now();
    let ws = scratch.join(format!("{family}-{}", case.name));
    let _ = std::fs::remove_dir_all(&ws);
    let outcome = |class, detail: String| Outcome {
        family: family.to_string(),
        name: case.name.clone(),
        class,
        detail,
        secs: started.elapsed().as_secs_f64(),
    };
    if let Err(e) = recipe::prepare(&ws, data, &case.setup) {
        return outcome(Class::Broken, format!("recipe failed: {e}"));
    }
    let wss = ws.display().to_string();
    let fill = |s: &str| s.replace("{ws}", &wss);
    let before = tree(&ws);
    let mut cmd = Command::new(bin);
    cmd.args(case.args.iter().map(|a| fill(a)))
        .current_dir(&ws)
        .env_remove("PIREPORT_BALLISTA")
        .env_remove("PIREPORT_CHROMIUM")
        .env_remove("PIREPORT_LOG")
        .env("TMPDIR", ws.join("tmp"))
        .env("SOURCE_DATE_EPOCH", "1333152000")
        .stdin(Stdio::null())
        .stderr(Stdio::piped())
        .process_group(0);
    for (k, v) in &case.env {
        cmd.env(k, fill(v));
    }
    let mut closed_reader = None;
    match case.stdout {
        Sink::Pipe => {
            cmd.stdout(Stdio::piped());
        }
        Sink::Full => {
            let f = std::fs::OpenOptions::new()
                .write(true)
                .open("/dev/full")
                .expect("/dev/full");
            cmd.stdout(f);
        }
        Sink::Closed => {
            let (r, w) = std::io::pipe().expect("pipe");
            closed_reader = Some(r);
            cmd.stdout(w);
        }
    }
    // SAFETY: setrlimit is async-signal-safe; nothing else runs in the child
    unsafe {
        cmd.pre_exec(|| {
            let lim = libc::rlimit {
                rlim_cur: MEMORY_LIMIT,
                rlim_max: MEMORY_LIMIT,
            };
            libc::setrlimit(libc::RLIMIT_AS, &lim);
            Ok(())
        });
    }
    let mut child = cmd.spawn().expect("spawn pireport");
    // the reading end goes away before the binary writes anything
    drop(closed_reader);
    drop(cmd);
    let mut err_pipe = child.stderr.take().expect("stderr");
    let err_reader = std::thread::spawn(move || {
        let mut kept = Vec::new();
        let mut total = 0usize;
        let mut buf = [0u8; 65536];
        while let Ok(n) = err_pipe.read(&mut buf) {
            if n == 0 {
                break;
            }
            total += n;
            if kept.len() < STDERR_CAP * 2 {
                kept.extend_from_slice(&buf[..n]);
            }
        }
        (kept, total)
    });
    let out_reader = child.stdout.take().map(|mut p| {
        std::thread::spawn(move || {
            let mut sink = [0u8; 65536];
            while let Ok(n) = p.read(&mut sink) {
                if n == 0 {
                    break;
                }
            }
        })
    });
    let timeout = Duration::from_secs(default_timeout);
    let status = loop {
        match child.try_wait() {
            Ok(Some(s)) => break Some(s),
            Ok(None) if started.elapsed() > timeout => {
                // the whole process group: a Chromium it started goes too
                // SAFETY: signalling our own child's process group
                unsafe {
                    libc::kill(-(child.id() as i32), libc::SIGKILL);
                }
                let _ = child.wait();
                break None;
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(20)),
            Err(e) => panic!("wait: {e}"),
        }
    };
    // a grandchild still holding the pipes would keep the readers waiting
    // SAFETY: as above
    unsafe {
        libc::kill(-(child.id() as i32), libc::SIGKILL);
    }
    let (err_bytes, err_total) = err_reader.join().unwrap_or_default();
    if let Some(t) = out_reader {
        let _ = t.join();
    }
    let stderr = String::from_utf8_lossy(&err_bytes).to_string();
    let short: String = stderr.chars().take(600).collect();
    let after = tree(&ws);
    let _ = std::fs::remove_dir_all(&ws);

    let Some(status) = status else {
        return outcome(
            Class::Hang,
            format!("no exit within {}s", timeout.as_secs()),
        );
    };
    let code = status.code();
    let signal = status.signal();
    if stderr.contains("panicked at")
        || code == Some(101)
        || code == Some(134)
        || signal.is_some_and(|s| s != libc::SIGPIPE)
        || stderr.contains("memory allocation of")
    {
        return outcome(
            Class::Panic,
            format!("code {code:?} signal {signal:?}: {short}"),
        );
    }
    let expect = &case.expect;
    let lower = stderr.to_lowercase();
    let missing: Vec<String> = expect
        .message
        .list()
        .iter()
        .map(|f| fill(f))
        .filter(|f| !lower.contains(&f.to_lowercase()))
        .chain(
            expect
                .absent
                .iter()
                .filter(|f| lower.contains(&f.to_lowercase()))
                .map(|f| format!("not {f}")),
        )
        .collect();
    let quiet_pipe = expect.code == 141;
    let code_ok = if quiet_pipe {
        (signal == Some(libc::SIGPIPE) || code == Some(0) || code == Some(141)) && err_total == 0
    } else {
        code == Some(expect.code)
    };
    let code_s = match (code, signal) {
        (Some(c), _) => c.to_string(),
        (None, Some(s)) => format!("signal {s}"),
        _ => "?".into(),
    };
    if !code_ok {
        let class = if code == Some(0) && expect.code != 0 && !quiet_pipe {
            Class::Silent
        } else {
            Class::WrongCode
        };
        return outcome(
            class,
            format!("exit {code_s}, expected {}: {short}", expect.code),
        );
    }
    // what changed in the scratch tree
    let mut changed: Vec<String> = Vec::new();
    for (p, s) in &after {
        if before.get(p) != Some(s) {
            changed.push(p.clone());
        }
    }
    for p in before.keys() {
        if !after.contains_key(p) {
            changed.push(format!("{p} (removed)"));
        }
    }
    let allowed = |p: &str| {
        code == Some(0)
            && expect
                .creates
                .iter()
                .any(|c| p == c || p.starts_with(&format!("{c}/")))
    };
    changed.retain(|p| !allowed(p) && p != "tmp");
    if !changed.is_empty() {
        return outcome(
            Class::LeftBehind,
            format!("exit {code_s}; changed: {}", changed.join(", ")),
        );
    }
    if expect.code == 0 && !missing.is_empty() {
        return outcome(
            Class::Silent,
            format!("exit 0 without {missing:?}: {short}"),
        );
    }
    if !missing.is_empty() {
        return outcome(Class::Unclear, format!("missing {missing:?} in: {short}"));
    }
    if err_total > STDERR_CAP {
        return outcome(
            Class::Unclear,
            format!("{err_total} bytes on stderr: {}", &short),
        );
    }
    outcome(Class::Good, String::new())
}

#[test]
fn bad_input_corpus() {
    let report_only = std::env::var_os("BAD_INPUTS_REPORT").is_some();
    let bin = std::env::var_os("BAD_INPUTS_BIN")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_BIN_EXE_pireport")));
    let filter = std::env::var("BAD_INPUTS_FILTER").unwrap_or_default();
    let threads: usize = std::env::var("BAD_INPUTS_THREADS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| {
            std::thread::available_parallelism()
                .map(|n| n.get())
                .unwrap_or(2)
        })
        .max(1);
    // a case's own `timeout` (a whole pack in a debug build under load)
    // replaces the default; BAD_INPUTS_TIMEOUT, when given, caps both
    let cap: Option<u64> = std::env::var("BAD_INPUTS_TIMEOUT")
        .ok()
        .and_then(|s| s.parse().ok());
    let timeout: u64 = cap.unwrap_or(DEFAULT_TIMEOUT_SECS);
    let cases: Vec<(String, Case)> = load_cases()
        .into_iter()
        .filter(|(f, c)| format!("{f}/{}", c.name).contains(&filter))
        .collect();
    let total = cases.len();
    if filter.is_empty() {
        assert!(
            total >= 400,
            "the corpus holds {total} cases, fewer than 400"
        );
    }
    let scratch = tempfile::Builder::new()
        .prefix("bad-inputs-")
        .tempdir_in(env!("CARGO_TARGET_TMPDIR"))
        .expect("scratch dir");
    let started = Instant::now();
    let data = tiny_extract(scratch.path());
    let open = open_cases();
    let queue = Arc::new(Mutex::new(cases.into_iter().collect::<Vec<_>>()));
    let results = Arc::new(Mutex::new(Vec::new()));
    std::thread::scope(|s| {
        for _ in 0..threads {
            let queue = queue.clone();
            let results = results.clone();
            let bin = bin.clone();
            let scratch = scratch.path().to_path_buf();
            let data = data.clone();
            let open = &open;
            s.spawn(move || {
                loop {
                    let next = queue.lock().unwrap().pop();
                    let Some((family, case)) = next else { break };
                    let key = format!("{family}/{}", case.name);
                    let own = case.timeout.unwrap_or(timeout).min(cap.unwrap_or(u64::MAX));
                    let limit = if open.get(&key).is_some_and(|c| c == "hang") {
                        own.min(OPEN_HANG_SECS)
                    } else {
                        own
                    };
                    let o = run_case(&bin, &scratch, &data, &family, &case, limit);
                    results.lock().unwrap().push(o);
                }
            });
        }
    });
    let mut results = std::mem::take(&mut *results.lock().unwrap());
    results.sort_by(|a, b| (&a.family, &a.name).cmp(&(&b.family, &b.name)));
    let mut counts: BTreeMap<Class, usize> = BTreeMap::new();
    let mut by_family: BTreeMap<&str, BTreeMap<Class, usize>> = BTreeMap::new();
    for r in &results {
        *counts.entry(r.class).or_default() += 1;
        *by_family
            .entry(r.family.as_str())
            .or_default()
            .entry(r.class)
            .or_default() += 1;
    }
    let bad: Vec<&Outcome> = results.iter().filter(|r| r.class != Class::Good).collect();
    let regressions: Vec<&&Outcome> = bad
        .iter()
        .filter(|r| !open.contains_key(&format!("{}/{}", r.family, r.name)))
        .collect();
    let fixed: Vec<String> = results
        .iter()
        .filter(|r| {
            r.class == Class::Good && open.contains_key(&format!("{}/{}", r.family, r.name))
        })
        .map(|r| format!("{}/{}", r.family, r.name))
        .collect();
    for r in &bad {
        eprintln!(
            "[{}] {}/{} ({:.1}s): {}",
            r.class.label(),
            r.family,
            r.name,
            r.secs,
            r.detail
        );
    }
    if std::env::var_os("BAD_INPUTS_TIMES").is_some() {
        let mut by_time: Vec<&Outcome> = results.iter().collect();
        by_time.sort_by(|a, b| b.secs.total_cmp(&a.secs));
        for r in by_time.iter().take(60) {
            eprintln!(
                "{:6.1}s {}/{} {}",
                r.secs,
                r.family,
                r.name,
                r.class.label()
            );
        }
    }
    let slowest = results
        .iter()
        .max_by(|a, b| a.secs.total_cmp(&b.secs))
        .map(|r| format!("{}/{} {:.1}s", r.family, r.name, r.secs))
        .unwrap_or_default();
    eprintln!(
        "\n{total} cases with {} in {:.1} s on {threads} threads (slowest: {slowest})",
        bin.display(),
        started.elapsed().as_secs_f64()
    );
    for (family, c) in &by_family {
        let parts: Vec<String> = Class::ALL
            .iter()
            .filter_map(|k| c.get(k).map(|n| format!("{} {n}", k.label())))
            .collect();
        eprintln!("  {family}: {}", parts.join(", "));
    }
    eprintln!("per class:");
    for k in Class::ALL {
        eprintln!(
            "  {:<28} {}",
            k.label(),
            counts.get(&k).copied().unwrap_or(0)
        );
    }
    if !fixed.is_empty() {
        eprintln!(
            "now good, remove from tests/bad_inputs/open.txt: {}",
            fixed.join(", ")
        );
    }
    if !report_only {
        assert!(
            fixed.is_empty(),
            "{} open case(s) now end as expected: remove them from tests/bad_inputs/open.txt ({})",
            fixed.len(),
            fixed.join(", ")
        );
        assert!(
            regressions.is_empty(),
            "{} of {total} bad-input cases did not end as expected and are not listed as open in tests/bad_inputs/open.txt (listed above)",
            regressions.len()
        );
    }
}

/// The tiny extract every case starts from, generated once per run by this
/// checkout's binary into `scratch/extract` and made read-only.
fn tiny_extract(scratch: &Path) -> PathBuf {
    use std::os::unix::fs::PermissionsExt;
    let out = scratch.join("extract");
    let run = Command::new(env!("CARGO_BIN_EXE_pireport"))
        .args(["generate", "--scale", "0.0005", "--seed", "2008", "--out"])
        .arg(&out)
        .env("SOURCE_DATE_EPOCH", "1333152000")
        .output()
        .expect("run pireport generate");
    assert!(
        run.status.success(),
        "pireport generate failed: {}",
        String::from_utf8_lossy(&run.stderr)
    );
    for e in std::fs::read_dir(&out).expect("extract").flatten() {
        let _ = std::fs::set_permissions(e.path(), std::fs::Permissions::from_mode(0o444));
    }
    out
}

/// Cases known to be still open (`family/name` per line, `#` comments):
/// they run and are counted, but do not fail the test. Every other case
/// must end as expected.
fn open_cases() -> BTreeMap<String, String> {
    std::fs::read_to_string(corpus_dir().join("open.txt"))
        .unwrap_or_default()
        .lines()
        .map(|l| l.split('#').next().unwrap_or_default().trim())
        .filter(|l| !l.is_empty())
        .map(|l| {
            let mut w = l.split_whitespace();
            let name = w.next().unwrap_or_default().to_string();
            (name, w.next().unwrap_or_default().to_string())
        })
        .collect()
}

/// Seconds a case may run unless it sets its own `timeout`.
const DEFAULT_TIMEOUT_SECS: u64 = 30;

/// Seconds an open case known to hang may run: enough to notice it now
/// ends, without spending the whole timeout on each known hang.
const OPEN_HANG_SECS: u64 = 5;
