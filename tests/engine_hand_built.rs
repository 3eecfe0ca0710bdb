//! Shipped definitions run on tiny extracts whose results are worked out
//! by hand in the comments.

mod common;

use common::*;
use pireport::Status;
use pireport::geography::AreaLevel;
use pireport::stats::{CiMethod, TargetStatus};

/// NI38 cohort for 2008-09 Q1 (April-June 2008):
/// - person 1: positive tests on 10 Apr (test 1, A, predicted 2.0) and 1 May
///   (test 2, predicted 5.0): counted once, at 10 Apr, predicted 2.0;
/// - person 2: negative test: not in the cohort;
/// - person 3: two positive tests on 30 Jun, test 4 (B, 1.5) and test 5
///   (A, 9.0): the tie goes to the lowest test_id, so B with 1.5;
/// - person 4: tested 1 Jul, in Q2, not Q1.
///
/// Offences of person 1 (D = 2008-04-10, window D < date <= 2009-04-10,
/// proven by 2009-10-09): 10 Apr 2008 (not after D: out), 11 Apr 2008
/// (in), 10 Apr 2009 proven 9 Oct 2009 (both boundaries: in), 11 Apr 2009
/// (out), 1 Jan 2009 proven 10 Oct 2009 (proven too late: out) -> 2.
/// Person 3 (D = 2008-06-30): 30 Jun 2008 (out), 15 Jul 2008 (in) -> 1.
/// Person 2's offence does not count (not in the cohort).
///
/// A: 2 / 2.0 = 1.0; B: 1 / 1.5 = 0.666667; region and England and Wales:
/// 3 / 3.5 = 0.857143. A's interval is exact (2 < 10 events):
/// chi2(0.025, 4) / 2 / 2.0 = 0.484419 / 4 = 0.121105 and
/// chi2(0.975, 6) / 2 / 2.0 = 14.449375 / 4 = 3.612344.
fn ni38_extract(dir: &std::path::Path) {
    write_areas(dir);
    manifest(dir);
    write_table(
        &dir.join("dip_tests.parquet"),
        vec![
            ("test_id", Col::I(vec![1, 2, 3, 4, 5, 6])),
            ("person_id", Col::I(vec![1, 1, 2, 3, 3, 4])),
            (
                "test_date",
                Col::D(vec![
                    "2008-04-10",
                    "2008-05-01",
                    "2008-04-10",
                    "2008-06-30",
                    "2008-06-30",
                    "2008-07-01",
                ]),
            ),
            (
                "la_code",
                Col::S(vec![
                    "E08000001",
                    "E08000001",
                    "E08000002",
                    "E08000002",
                    "E08000001",
                    "E08000001",
                ]),
            ),
            (
                "result",
                Col::S(vec![
                    "opiates", "cocaine", "negative", "both", "opiates", "opiates",
                ]),
            ),
            (
                "predicted_offences_1y",
                Col::F(vec![
                    Some(2.0),
                    Some(5.0),
                    None,
                    Some(1.5),
                    Some(9.0),
                    Some(3.0),
                ]),
            ),
        ],
    );
    write_table(
        &dir.join("offences.parquet"),
        vec![
            ("person_id", Col::I(vec![1, 1, 1, 1, 1, 3, 3, 2])),
            (
                "offence_date",
                Col::D(vec![
                    "2008-04-10",
                    "2008-04-11",
                    "2009-04-10",
                    "2009-04-11",
                    "2009-01-01",
                    "2008-06-30",
                    "2008-07-15",
                    "2008-05-01",
                ]),
            ),
            (
                "disposal_date",
                Col::D(vec![
                    "2008-05-01",
                    "2008-05-01",
                    "2009-10-09",
                    "2009-05-01",
                    "2009-10-10",
                    "2008-08-01",
                    "2008-08-01",
                    "2008-06-01",
                ]),
            ),
            ("offence_group", Col::S(vec!["drugs"; 8])),
            ("la_code", Col::S(vec!["E08000001"; 8])),
        ],
    );
}

#[test]
fn ni38_hand_worked() {
    let tmp = tempfile::tempdir().unwrap();
    let (data, defs) = (tmp.path().join("data"), tmp.path().join("defs"));
    ni38_extract(&data);
    // threshold 1: nothing suppressed, so LA figures can be checked
    copy_definitions(&defs, &["ni38.yaml"], |t| {
        t.replace("disclosure_threshold: 5", "disclosure_threshold: 1")
    });
    let rows = run(&defs, &data, &["NI38"]);
    let a = find(&rows, "NI38", AreaLevel::La, "E08000001", "2008-09 Q1");
    close(a.numerator, 2.0);
    close(a.denominator, 2.0);
    close(a.value, 1.0);
    assert_eq!(a.ci_method, Some(CiMethod::Exact));
    close(a.ci_lower, 0.121105);
    close(a.ci_upper, 3.612344);
    let b = find(&rows, "NI38", AreaLevel::La, "E08000002", "2008-09 Q1");
    close(b.numerator, 1.0);
    close(b.value, 1.0 / 1.5);
    let r = find(&rows, "NI38", AreaLevel::Region, "E12000002", "2008-09 Q1");
    close(r.numerator, 3.0);
    close(r.expected, 3.5);
    close(r.value, 3.0 / 3.5);
    let n = find(
        &rows,
        "NI38",
        AreaLevel::National,
        "E92000001+W92000004",
        "2008-09 Q1",
    );
    close(n.value, 3.0 / 3.5);
    // Gamma has no tests: zero predicted, so no value
    let g = find(&rows, "NI38", AreaLevel::La, "E09000002", "2008-09 Q1");
    assert_eq!(g.value, None);
    assert_eq!(g.status, Some(Status::NoData));
    // person 4 alone in Q2: no offences, predicted 3.0
    let q2 = find(&rows, "NI38", AreaLevel::La, "E08000001", "2008-09 Q2");
    close(q2.numerator, 0.0);
    close(q2.value, 0.0);
    // follow-up of 365 + 182 days after a quarter ending after 2010-09-30 is incomplete
    let late = find(
        &rows,
        "NI38",
        AreaLevel::National,
        "E92000001+W92000004",
        "2010-11 Q3",
    );
    assert_eq!(
        late.status,
        Some(Status::Target(TargetStatus::NotYetAvailable))
    );
    assert_eq!(late.value, None);
}

#[test]
fn ni38_small_counts_are_suppressed_with_a_secondary() {
    let tmp = tempfile::tempdir().unwrap();
    let (data, defs) = (tmp.path().join("data"), tmp.path().join("defs"));
    ni38_extract(&data);
    copy_definitions(&defs, &["ni38.yaml"], |t| t.to_string());
    let rows = run(&defs, &data, &["NI38"]);
    let a = find(&rows, "NI38", AreaLevel::La, "E08000001", "2008-09 Q1");
    let b = find(&rows, "NI38", AreaLevel::La, "E08000002", "2008-09 Q1");
    assert!(
        a.suppressed && b.suppressed,
        "counts of 2 and 1 are below 5"
    );
    assert_eq!(a.value, None);
    // the region is never suppressed and is computed from all data
    let r = find(&rows, "NI38", AreaLevel::Region, "E12000002", "2008-09 Q1");
    assert!(!r.suppressed);
    close(r.value, 3.0 / 3.5);
    let csv = String::from_utf8(pireport::render_table(&rows, pireport::TableFormat::Csv).unwrap())
        .unwrap();
    let line = csv
        .lines()
        .find(|l| l.starts_with("NI38,la,E08000001,Alpha,2008-09 Q1,"))
        .unwrap();
    assert!(line.contains(",*,*,*,*,"), "{line}");
}

#[test]
fn results_do_not_depend_on_part_files_or_row_order() {
    let tmp = tempfile::tempdir().unwrap();
    let (one, split, defs) = (
        tmp.path().join("one"),
        tmp.path().join("split"),
        tmp.path().join("defs"),
    );
    ni38_extract(&one);
    ni38_extract(&split);
    // rewrite offences of `split` as two part files, rows reversed
    std::fs::remove_file(split.join("offences.parquet")).unwrap();
    write_table(
        &split.join("offences/part-1.parquet"),
        vec![
            ("person_id", Col::I(vec![2, 3, 3, 1])),
            (
                "offence_date",
                Col::D(vec!["2008-05-01", "2008-07-15", "2008-06-30", "2009-01-01"]),
            ),
            (
                "disposal_date",
                Col::D(vec!["2008-06-01", "2008-08-01", "2008-08-01", "2009-10-10"]),
            ),
            ("offence_group", Col::S(vec!["drugs"; 4])),
            ("la_code", Col::S(vec!["E08000001"; 4])),
        ],
    );
    write_table(
        &split.join("offences/part-0.parquet"),
        vec![
            ("person_id", Col::I(vec![1, 1, 1, 1])),
            (
                "offence_date",
                Col::D(vec!["2009-04-11", "2009-04-10", "2008-04-11", "2008-04-10"]),
            ),
            (
                "disposal_date",
                Col::D(vec!["2009-05-01", "2009-10-09", "2008-05-01", "2008-05-01"]),
            ),
            ("offence_group", Col::S(vec!["drugs"; 4])),
            ("la_code", Col::S(vec!["E08000001"; 4])),
        ],
    );
    copy_definitions(&defs, &["ni38.yaml"], |t| t.to_string());
    let a =
        pireport::render_table(&run(&defs, &one, &["NI38"]), pireport::TableFormat::Csv).unwrap();
    let b =
        pireport::render_table(&run(&defs, &split, &["NI38"]), pireport::TableFormat::Csv).unwrap();
    assert_eq!(a, b);
}

/// A definition's own level replaces the 95% interval; the 99.8% one stays.
/// A's 2 offences over 2.0 predicted at 90%, exact:
/// chi2(0.05, 4) / 2 / 2.0 = 0.710723 / 4 = 0.177681 and
/// chi2(0.95, 6) / 2 / 2.0 = 12.591587 / 4 = 3.147897.
#[test]
fn ni38_at_its_own_confidence_level() {
    let tmp = tempfile::tempdir().unwrap();
    let (data, defs) = (tmp.path().join("data"), tmp.path().join("defs"));
    ni38_extract(&data);
    copy_definitions(&defs, &["ni38.yaml"], |t| {
        t.replace("disclosure_threshold: 5", "disclosure_threshold: 1")
            .replace("  method: poisson", "  method: poisson\n  level: 0.9")
    });
    let rows = run(&defs, &data, &["NI38"]);
    let a = find(&rows, "NI38", AreaLevel::La, "E08000001", "2008-09 Q1");
    close(a.ci_lower, 0.177681);
    close(a.ci_upper, 3.147897);
    // 99.8%: chi2(0.001, 4) / 4 = 0.090804 / 4 and chi2(0.999, 6) / 4 = 22.457744 / 4
    close(a.ci998_lower, 0.022701);
    close(a.ci998_upper, 5.614436);
}
