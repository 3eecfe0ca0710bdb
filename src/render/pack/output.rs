//! Writing a pack: the destination checks, the one timestamp, the
//! manifest, and the temporary directory renamed into place when complete.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use chrono::DateTime;
use serde::Serialize;
use sha2::{Digest, Sha256};

use super::{PackDoc, PackFiles};
use crate::render::RenderError;
use crate::report::{PackInputs, hex};

/// Refuse an `--out` that is a file or a non-empty directory, or whose
/// parent does not exist (see [`crate::request::check_out`]).
pub fn check_out(out: &Path) -> Result<(), RenderError> {
    Ok(crate::request::check_out(out)?)
}

fn parent_of(out: &Path) -> PathBuf {
    out.parent()
        .filter(|p| !p.as_os_str().is_empty())
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("."))
}

/// The environment variable that names the Chromium to print `--pdf` with,
/// instead of looking in `/usr/bin`.
pub const CHROMIUM_ENV: &str = "PIREPORT_CHROMIUM";

/// The headless Chromium that prints `--pdf`: `$PIREPORT_CHROMIUM` when
/// set, else Debian's `/usr/bin/chromium` (or `chromium-browser`); a clear
/// error when there is none.
pub fn chromium() -> Result<PathBuf, RenderError> {
    if let Some(p) = std::env::var_os(CHROMIUM_ENV).filter(|p| !p.is_empty()) {
        let p = PathBuf::from(p);
        return if p.is_file() {
            Ok(p)
        } else {
            Err(RenderError::ChromiumNotFile { path: p })
        };
    }
    let candidates = ["/usr/bin/chromium", "/usr/bin/chromium-browser"];
    candidates
        .iter()
        .map(PathBuf::from)
        .find(|p| p.is_file())
        .ok_or(RenderError::NoChromium)
}

/// Check that `browser` runs, before any work: `--headless --version`
/// must exit successfully within `timeout` (at most 30 s), so a broken or
/// hanging Chromium fails the run at once, not after the computation.
pub fn probe_chromium(browser: &Path, timeout: std::time::Duration) -> Result<(), RenderError> {
    let timeout = timeout.min(std::time::Duration::from_secs(30));
    let failed = |message: String| RenderError::Print { message };
    let mut child = Command::new(browser)
        .args(["--headless", "--version"])
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .map_err(|e| {
            failed(format!(
                "Chromium at {} does not start ({e}): point {CHROMIUM_ENV} at a working Chromium, or leave out --pdf",
                browser.display()
            ))
        })?;
    let started = std::time::Instant::now();
    loop {
        match child.try_wait() {
            Ok(Some(s)) if s.success() => return Ok(()),
            Ok(Some(s)) => {
                return Err(failed(format!(
                    "Chromium at {} does not run: `{} --headless --version` ended with {s}; install Debian's chromium, point {CHROMIUM_ENV} at a working one, or leave out --pdf",
                    browser.display(),
                    browser.display()
                )));
            }
            Ok(None) if started.elapsed() > timeout => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(failed(format!(
                    "Chromium at {} did not answer `--headless --version` within {} seconds; point {CHROMIUM_ENV} at a working Chromium, or leave out --pdf",
                    browser.display(),
                    timeout.as_secs()
                )));
            }
            Ok(None) => std::thread::sleep(std::time::Duration::from_millis(50)),
            Err(e) => {
                return Err(failed(format!(
                    "cannot wait for Chromium at {}: {e}",
                    browser.display()
                )));
            }
        }
    }
}

/// The flags every headless Chromium run of ours starts with: no sandbox
/// (containers), no GPU, and nothing that reaches the network on its own
/// (background networking, component updates, sync, QUIC), which on a
/// closed network makes Chromium stall.
pub const CHROMIUM_FLAGS: &[&str] = &[
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
];

/// How long printing one pack may take before Chromium is stopped, unless
/// [`PackOptions::pdf_timeout`] says otherwise.
const PRINT_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(180);

/// The pack's timestamp, when it was produced (seconds since the epoch, and
/// as text): `SOURCE_DATE_EPOCH` when set, so rebuilding gives identical
/// bytes, else the time of the run. The extract date is shown apart from it.
pub fn pack_timestamp() -> Result<(i64, String), RenderError> {
    let secs = match std::env::var("SOURCE_DATE_EPOCH") {
        Ok(s) => s
            .trim()
            .parse::<i64>()
            .map_err(|_| RenderError::SourceDateEpoch { text: s.clone() })?,
        Err(_) => chrono::Utc::now().timestamp(),
    };
    let text = DateTime::from_timestamp(secs, 0)
        .map(|d| d.format("%Y-%m-%d %H:%M:%S UTC").to_string())
        .ok_or(RenderError::SourceDateEpoch {
            text: secs.to_string(),
        })?;
    Ok((secs, text))
}

#[derive(Serialize)]
struct Manifest<'a> {
    engine: &'static str,
    engine_version: &'static str,
    pack: &'static str,
    area_code: &'a str,
    area_name: &'a str,
    period: &'a str,
    extract_date: String,
    generated: &'a str,
    /// SHA-256 of every definition and extract file used.
    inputs: &'a BTreeMap<String, String>,
    /// ETag and version of each input read from an object store (absent
    /// for a local extract).
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    objects: &'a BTreeMap<String, String>,
    /// The most similar groups compared with: method and version.
    #[serde(skip_serializing_if = "Option::is_none")]
    peer_groups: Option<&'a crate::report::PeersUsed>,
    /// The compiled SQL of each indicator of the pack.
    sql: BTreeMap<&'a str, &'a str>,
    /// SHA-256 of every other file of the pack.
    contents: BTreeMap<&'a str, String>,
}

/// `manifest.json` of a pack whose other files are `files`.
pub fn manifest(
    doc: &PackDoc<'_>,
    inputs: &PackInputs,
    files: &PackFiles,
) -> Result<Vec<u8>, RenderError> {
    let sql = doc
        .views
        .iter()
        .filter_map(|v| {
            let id = v.ind.def.id.as_str();
            inputs.sql.get(id).map(|s| (id, s.as_str()))
        })
        .collect();
    let contents = files
        .iter()
        .map(|(k, v)| (k.as_str(), hex(&Sha256::digest(v))))
        .collect();
    let m = Manifest {
        engine: "pireport",
        engine_version: super::ENGINE_VERSION,
        pack: doc.kind,
        area_code: &doc.focus.code,
        area_name: &doc.focus.name,
        period: &doc.period_label,
        extract_date: doc.extract_date.to_string(),
        generated: &doc.generated,
        inputs: &inputs.files,
        objects: &inputs.objects,
        peer_groups: inputs.peer_groups.as_ref(),
        sql,
        contents,
    };
    let mut v = serde_json::to_vec_pretty(&m).map_err(|e| RenderError::Encode {
        format: "json",
        message: e.to_string(),
    })?;
    v.push(b'\n');
    Ok(v)
}

fn io(path: &Path) -> impl Fn(std::io::Error) -> RenderError + '_ {
    move |source| RenderError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// Write packs (sub-directory, files) into a temporary directory beside
/// `out`, print each `index.html` to `pack.pdf` when asked, then rename it
/// to `out`. Returns the number of PDFs printed. On any failure the
/// temporary directory is removed.
pub fn write_dir(
    out: &Path,
    packs: &[(String, &PackFiles)],
    opts: &super::PackOptions,
) -> Result<usize, RenderError> {
    let timeout = opts.pdf_timeout.unwrap_or(PRINT_TIMEOUT);
    check_out(out)?;
    let parent = parent_of(out);
    let tmp = tempfile::Builder::new()
        .prefix(".pireport-pack-")
        .tempdir_in(&parent)
        .map_err(io(&parent))?;
    let mut printed = 0;
    for (sub, files) in packs {
        let base = if sub.is_empty() {
            tmp.path().to_path_buf()
        } else {
            tmp.path().join(sub)
        };
        for (rel, bytes) in files.iter() {
            let path = base.join(rel);
            if let Some(dir) = path.parent() {
                std::fs::create_dir_all(dir).map_err(io(dir))?;
            }
            std::fs::write(&path, bytes).map_err(io(&path))?;
        }
        if let Some(browser) = &opts.pdf {
            print_pdf(browser, &base, timeout)?;
            printed += 1;
        }
    }
    if out.is_dir() {
        // an empty directory given as --out is replaced
        std::fs::remove_dir(out).map_err(io(out))?;
    }
    let kept = tmp.keep();
    if let Err(e) = std::fs::rename(&kept, out) {
        let _ = std::fs::remove_dir_all(&kept);
        return Err(io(out)(e));
    }
    Ok(printed)
}

/// Print `dir/index.html` to `dir/pack.pdf` with headless Chromium, in a
/// fresh profile directory, stopping it after `timeout`.
fn print_pdf(browser: &Path, dir: &Path, timeout: std::time::Duration) -> Result<(), RenderError> {
    let html = dir.join("index.html");
    let pdf = dir.join("pack.pdf");
    let abs = std::fs::canonicalize(&html).map_err(io(&html))?;
    let profile = tempfile::Builder::new()
        .prefix("pireport-chromium-")
        .tempdir()
        .map_err(io(&std::env::temp_dir()))?;
    let mut child = Command::new(browser)
        .args(CHROMIUM_FLAGS)
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .arg("--no-pdf-header-footer")
        .arg(format!("--print-to-pdf={}", pdf.display()))
        .arg(format!("file://{}", abs.display()))
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .map_err(io(browser))?;
    let started = std::time::Instant::now();
    let status = loop {
        if let Some(s) = child.try_wait().map_err(io(browser))? {
            break Some(s);
        }
        if started.elapsed() > timeout {
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    };
    let printed = pdf.is_file()
        && std::fs::read(&pdf)
            .map(|b| b.starts_with(b"%PDF"))
            .unwrap_or(false);
    // Chromium failing is not the user's input: exit 1
    let failed = |message: String| RenderError::Print { message };
    match status {
        Some(s) if s.success() && printed => Ok(()),
        Some(s) => Err(failed(format!(
            "{} could not print {} to PDF ({s}): check that it runs with `{} --headless --version`, or leave out --pdf",
            browser.display(),
            html.display(),
            browser.display()
        ))),
        None => Err(failed(format!(
            "{} did not finish printing {} to PDF within {} seconds: leave out --pdf and print index.html from a browser",
            browser.display(),
            html.display(),
            timeout.as_secs()
        ))),
    }
}
