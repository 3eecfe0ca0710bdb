//! Bad options give an error before anything is written, and leave no
//! directory behind.

mod common;

use common::entries;
use pireport::generate::{FinancialYear, GenerateError, GenerateOptions, generate};

#[test]
fn bad_scales_are_refused_and_create_nothing() {
    let dir = tempfile::tempdir().unwrap();
    for scale in [0.0, -1.0, f64::NAN, f64::INFINITY, -0.0] {
        let out = dir.path().join("out");
        let err = generate(&GenerateOptions::new(scale, 1, &out)).unwrap_err();
        assert!(
            matches!(err, GenerateError::InvalidScale { .. }),
            "{scale}: {err}"
        );
        assert!(err.to_string().starts_with("scale must be"), "{err}");
        assert!(!out.exists());
    }
    let err = generate(&GenerateOptions::new(1e6, 1, dir.path().join("out"))).unwrap_err();
    assert!(matches!(err, GenerateError::ScaleTooLarge { .. }), "{err}");
    assert!(entries(dir.path()).is_empty(), "{:?}", entries(dir.path()));
}

#[test]
fn a_reversed_range_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let mut opts = GenerateOptions::new(0.001, 1, &out);
    opts.from = "2010-11".parse().unwrap();
    opts.to = "2008-09".parse().unwrap();
    let err = generate(&opts).unwrap_err();
    assert!(matches!(err, GenerateError::ReversedRange { .. }), "{err}");
    assert_eq!(
        err.to_string(),
        "financial year range is reversed: from 2010-11 is after to 2008-09"
    );
    assert!(entries(dir.path()).is_empty());
}

#[test]
fn a_non_empty_output_directory_is_refused_and_kept() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    std::fs::create_dir(&out).unwrap();
    std::fs::write(out.join("keep.txt"), "mine").unwrap();
    let err = generate(&GenerateOptions::new(0.001, 1, &out)).unwrap_err();
    assert!(matches!(err, GenerateError::OutputNotEmpty { .. }), "{err}");
    assert_eq!(entries(&out), vec!["keep.txt"]);
    assert_eq!(entries(dir.path()), vec!["out"]);
}

#[test]
fn an_output_path_that_is_a_file_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    std::fs::write(&out, "a file").unwrap();
    let err = generate(&GenerateOptions::new(0.001, 1, &out)).unwrap_err();
    assert!(
        matches!(err, GenerateError::OutputNotDirectory { .. }),
        "{err}"
    );
    assert_eq!(std::fs::read_to_string(&out).unwrap(), "a file");
    assert_eq!(entries(dir.path()), vec!["out"]);
}

#[test]
fn a_missing_parent_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("no").join("such").join("out");
    let err = generate(&GenerateOptions::new(0.001, 1, &out)).unwrap_err();
    assert!(matches!(err, GenerateError::ParentMissing { .. }), "{err}");
    assert!(entries(dir.path()).is_empty());
}

#[test]
fn an_empty_output_directory_is_filled_and_nothing_else_is_left() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    std::fs::create_dir(&out).unwrap();
    let mut opts = GenerateOptions::new(0.0005, 1, &out);
    opts.from = FinancialYear(2008);
    opts.to = FinancialYear(2009);
    let summary = generate(&opts).unwrap();
    assert_eq!(summary.extract_date.to_string(), "2010-03-31");
    assert_eq!(
        entries(dir.path()),
        vec!["out"],
        "temporary directory left behind"
    );
    assert!(out.join("manifest.yaml").exists());
    assert!(out.join("offences.parquet").exists());
}

#[test]
fn financial_years_parse_strictly() {
    assert_eq!(
        "2005-06".parse::<FinancialYear>().unwrap(),
        FinancialYear(2005)
    );
    assert_eq!(FinancialYear(2011).to_string(), "2011-12");
    for bad in ["2005-07", "2005", "05-06", "2005-2006", "2005/06", ""] {
        let err = bad.parse::<FinancialYear>().unwrap_err();
        assert!(
            err.to_string().starts_with("invalid financial year"),
            "{bad}: {err}"
        );
    }
}

#[test]
fn a_negative_scale_on_the_command_line_gets_the_scale_message() {
    // `--scale -1` must reach the scale check, not be taken for a flag
    let parent = tempfile::tempdir().expect("temp dir");
    let out = parent.path().join("extract");
    let o = std::process::Command::new(env!("CARGO_BIN_EXE_pireport"))
        .args(["generate", "--scale", "-1", "--out"])
        .arg(&out)
        .output()
        .expect("run pireport");
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert_eq!(
        err.trim(),
        "error: scale must be a positive finite number, got -1"
    );
    assert!(!out.exists());
}

#[test]
fn bad_region_scales_are_refused_and_create_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let cases: [(&[(&str, f64)], &str); 4] = [
        (
            &[("E12000099", 0.1)],
            "--region-scale E12000099: no such region; use one of E12000001, E12000002,",
        ),
        (
            &[("E12000002", 0.1), ("E12000002", 0.2)],
            "--region-scale E12000002 is given twice; give each region once",
        ),
        (
            &[("E12000002", 0.0)],
            "scale must be a positive finite number, got 0",
        ),
        (&[("E12000002", 1e6)], "scale 1000000 is above the maximum"),
    ];
    for (scales, want) in cases {
        let mut opts = GenerateOptions::new(0.001, 1, &out);
        opts.region_scales = scales.iter().map(|(c, s)| (c.to_string(), *s)).collect();
        let err = generate(&opts).unwrap_err();
        assert!(err.to_string().starts_with(want), "{scales:?}: {err}");
        assert!(err.is_user_error(), "{err}");
        assert!(entries(dir.path()).is_empty(), "{:?}", entries(dir.path()));
    }
    // on the command line: exit 2, one line, nothing written
    let o = std::process::Command::new(env!("CARGO_BIN_EXE_pireport"))
        .args(["generate", "--region-scale", "E12000002", "--out"])
        .arg(&out)
        .output()
        .expect("run pireport");
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(
        err.contains("expected CODE=SCALE, e.g. E12000002=0.4"),
        "{err}"
    );
    assert!(!out.exists());
}
