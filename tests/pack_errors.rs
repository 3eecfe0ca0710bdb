//! Bad pack requests: one clear line, exit 2, and nothing left behind.

use std::path::{Path, PathBuf};
use std::process::Command;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn entries(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .expect("read dir")
        .map(|e| e.expect("entry").file_name().to_string_lossy().to_string())
        .collect();
    v.sort();
    v
}

/// Run `pireport pack ARGS --out PARENT/out`; expect exit 2, one error
/// line containing `want`, and PARENT unchanged.
fn refuses(args: &[&str], want: &str, prepare: impl Fn(&Path)) {
    fails_with(args, &[], 2, want, prepare);
}

/// Run `pireport pack ARGS --out PARENT/out` with `env`; expect exit
/// `code`, one error line containing `want`, and PARENT unchanged.
fn fails_with(
    args: &[&str],
    env: &[(&str, &Path)],
    code: i32,
    want: &str,
    prepare: impl Fn(&Path),
) {
    let parent = tempfile::tempdir().expect("temp dir");
    prepare(parent.path());
    let before = entries(parent.path());
    let out = parent.path().join("out");
    let mut c = Command::new(env!("CARGO_BIN_EXE_pireport"));
    c.current_dir(root())
        .arg("pack")
        .args(args)
        .arg("--out")
        .arg(&out);
    for (k, v) in env {
        c.env(k, v);
    }
    let o = c.output().expect("run pireport");
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(code), "{args:?}: {err}");
    let lines: Vec<&str> = err.lines().filter(|l| !l.trim().is_empty()).collect();
    assert_eq!(lines.len(), 1, "{args:?}: {err}");
    assert!(lines[0].starts_with("error: "), "{err}");
    assert!(lines[0].contains(want), "{args:?}: `{err}` lacks `{want}`");
    assert_eq!(entries(parent.path()), before, "{args:?} left files behind");
}

fn nothing(_: &Path) {}

#[test]
fn unknown_region() {
    refuses(
        &["dom", "--region", "E12000099", "--quarter", "2009-10 Q2"],
        "unknown region `E12000099`",
        nothing,
    );
}

#[test]
fn quarter_outside_the_data_and_not_yet_available() {
    refuses(
        &["dom", "--region", "E12000001", "--quarter", "2001-02 Q1"],
        "outside the data",
        nothing,
    );
    refuses(
        &["dom", "--region", "E12000001", "--quarter", "2012-13 Q1"],
        "not yet available",
        nothing,
    );
    refuses(
        &["dom", "--region", "E12000001", "--quarter", "2009-10"],
        "is not a quarter",
        nothing,
    );
}

#[test]
fn path_characters_in_an_area_code() {
    refuses(
        &["laa", "--area", "../E06000047", "--year", "2009-10"],
        "is not a GSS area code",
        nothing,
    );
    refuses(
        &["dom", "--region", "E12/000001", "--quarter", "2009-10 Q2"],
        "is not a GSS region code",
        nothing,
    );
}

#[test]
fn output_that_is_a_file_or_not_empty() {
    refuses(
        &["dom", "--region", "E12000001", "--quarter", "2009-10 Q2"],
        "exists and is a file",
        |p| std::fs::write(p.join("out"), b"x").expect("write"),
    );
    refuses(
        &["dom", "--region", "E12000001", "--quarter", "2009-10 Q2"],
        "exists and is not empty",
        |p| {
            std::fs::create_dir(p.join("out")).expect("mkdir");
            std::fs::write(p.join("out").join("keep"), b"x").expect("write");
        },
    );
}

#[test]
fn unknown_laa_area_and_year_without_targets() {
    refuses(
        &["laa", "--area", "E06000099", "--year", "2009-10"],
        "unknown area `E06000099`",
        nothing,
    );
    refuses(
        &["laa", "--area", "E06000047", "--year", "2004-05"],
        "has no LAA targets for 2004-05",
        nothing,
    );
}

#[test]
fn pdf_without_chromium_names_the_fix() {
    let missing = root().join("no-such-dir/chromium");
    fails_with(
        &[
            "dom",
            "--region",
            "E12000001",
            "--quarter",
            "2009-10 Q2",
            "--pdf",
        ],
        &[(pireport::pack::CHROMIUM_ENV, &missing)],
        2,
        "--pdf needs headless Chromium, but PIREPORT_CHROMIUM=",
        nothing,
    );
    // the message says how to fix it: point the variable elsewhere, use
    // Debian's chromium, or print from a browser
    let o = Command::new(env!("CARGO_BIN_EXE_pireport"))
        .current_dir(root())
        .env(pireport::pack::CHROMIUM_ENV, &missing)
        .args([
            "pack",
            "dom",
            "--region",
            "E12000001",
            "--quarter",
            "2009-10 Q2",
            "--pdf",
            "--out",
        ])
        .arg(tempfile::tempdir().expect("temp dir").path().join("out"))
        .output()
        .expect("run pireport");
    let err = String::from_utf8_lossy(&o.stderr);
    for fix in ["/usr/bin/chromium", "leave out --pdf"] {
        assert!(err.contains(fix), "`{err}` lacks `{fix}`");
    }
}

/// A Chromium that fails to print: the pack was complete in the temporary
/// directory, but nothing is left behind and the exit code is 1 (not the
/// user's input).
#[cfg(unix)]
#[test]
fn pdf_that_fails_to_print_leaves_nothing() {
    use std::os::unix::fs::PermissionsExt;
    let bin = tempfile::tempdir().expect("temp dir");
    let fake = bin.path().join("chromium");
    std::fs::write(&fake, "#!/bin/sh\necho 'cannot open display' >&2\nexit 3\n").expect("write");
    std::fs::set_permissions(&fake, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    fails_with(
        &[
            "dom",
            "--region",
            "E12000001",
            "--quarter",
            "2009-10 Q2",
            "--pdf",
        ],
        &[(pireport::pack::CHROMIUM_ENV, &fake)],
        1,
        "cannot print the pack to PDF:",
        nothing,
    );
}

/// A false-discovery rate outside (0, 1) in the pack definition is refused
/// with the file and line, before anything is computed.
#[test]
fn false_discovery_rate_outside_the_unit_interval() {
    for bad in ["0", "1", "1.5", "-0.05"] {
        let reports = tempfile::tempdir().expect("temp dir");
        for entry in std::fs::read_dir(root().join("reports")).expect("reports") {
            let path = entry.expect("entry").path();
            if path.is_file() {
                let name = path.file_name().expect("name");
                std::fs::copy(&path, reports.path().join(name)).expect("copy");
            }
        }
        let dom = reports.path().join("dom.yaml");
        let text = std::fs::read_to_string(&dom).expect("dom.yaml");
        let text: String = text
            .lines()
            .map(|l| {
                if l.starts_with("false_discovery_rate:") {
                    format!("false_discovery_rate: {bad}\n")
                } else {
                    format!("{l}\n")
                }
            })
            .collect();
        assert!(text.contains(&format!("false_discovery_rate: {bad}\n")));
        std::fs::write(&dom, text).expect("write");
        let reports_arg = reports.path().to_string_lossy().to_string();
        refuses(
            &[
                "dom",
                "--region",
                "E12000002",
                "--quarter",
                "2009-10 Q2",
                "--reports",
                &reports_arg,
            ],
            "false_discovery_rate must lie strictly between 0 and 1",
            nothing,
        );
    }
}
