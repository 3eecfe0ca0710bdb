//! `--memory-limit`: under a bound that makes operators spill, the joins are
//! sort-merge joins (a hash join's build side cannot spill), the operators
//! do spill, and the results are byte-identical to an unbounded run. A bound
//! too small for the run fails with exit 2, a message naming the flag, and
//! no output file.
//!
//! The bound is process-wide, so each run is its own `pireport` process.

mod common;

use std::process::Output;

use common::pireport;

/// Join-heavy indicators: NI18 (semi-join of the caseload to offences),
/// NI38 (cohort to offences) and NI40 (treatment episodes, windows).
const JOINED: [&str; 6] = [
    "--indicator",
    "NI18",
    "--indicator",
    "NI38",
    "--indicator",
    "NI40",
];

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// The `spill_count=N` metrics of an analysed plan.
fn spill_counts(analysed: &str) -> Vec<u64> {
    analysed
        .split("spill_count=")
        .skip(1)
        .map(|rest| {
            let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
            digits.parse().unwrap()
        })
        .collect()
}

#[test]
fn a_bound_spills_and_changes_no_figure() {
    let free = pireport(&[&["compute", "--format", "csv"], &JOINED[..]].concat());
    assert!(free.status.success(), "{}", stderr(&free));
    let bounded = pireport(
        &[
            &["compute", "--format", "csv", "--memory-limit", "48M"],
            &JOINED[..],
        ]
        .concat(),
    );
    assert!(bounded.status.success(), "{}", stderr(&bounded));
    assert!(free.stdout.len() > 1000, "too few rows to compare");
    assert!(
        free.stdout == bounded.stdout,
        "a memory bound changed the results"
    );

    let analysed = pireport(&["explain", "NI18", "--analyze", "--memory-limit", "48M"]);
    assert!(analysed.status.success(), "{}", stderr(&analysed));
    let text = String::from_utf8_lossy(&analysed.stdout);
    assert!(text.contains("SortMergeJoinExec"), "{text}");
    assert!(!text.contains("HashJoinExec"), "{text}");
    let spills = spill_counts(&text);
    assert!(!spills.is_empty(), "no spill metrics in {text}");
    assert!(
        spills.iter().any(|&n| n > 0),
        "48M should make NI18's sorts spill: {spills:?}"
    );

    // the same plan, unbounded, joins by hash and spills nothing
    let unbounded = pireport(&["explain", "NI18", "--analyze"]);
    assert!(unbounded.status.success(), "{}", stderr(&unbounded));
    let text = String::from_utf8_lossy(&unbounded.stdout);
    assert!(text.contains("HashJoinExec"), "{text}");
    assert!(spill_counts(&text).iter().all(|&n| n == 0), "{text}");
}

#[test]
fn a_bound_too_small_names_the_flag_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("results.csv");
    let o = pireport(
        &[
            &[
                "compute",
                "--format",
                "csv",
                "--memory-limit",
                "1M",
                "--out",
                out.to_str().unwrap(),
            ],
            &JOINED[..],
        ]
        .concat(),
    );
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    let err = stderr(&o);
    assert!(
        err.contains("needs more memory than --memory-limit 1M allows: raise the limit"),
        "{err}"
    );
    assert!(!out.exists(), "a failed run wrote {}", out.display());
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
}
