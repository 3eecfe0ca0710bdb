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
    let parent = tempfile::tempdir().expect("temp dir");
    prepare(parent.path());
    let before = entries(parent.path());
    let out = parent.path().join("out");
    let o = Command::new(env!("CARGO_BIN_EXE_pireport"))
        .current_dir(root())
        .arg("pack")
        .args(args)
        .arg("--out")
        .arg(&out)
        .output()
        .expect("run pireport");
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{args:?}: {err}");
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
