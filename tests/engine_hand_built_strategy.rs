//! The drug strategy's definitions on tiny extracts whose results are
//! worked out by hand in the comments: working-day windows across weekends
//! and bank holidays (YPSMS), DRR exclusions (DRR.completion, NI 143,
//! NI 144), the year-on-year target (RMDT); and the located errors of the
//! language's working-day and target-kind rules.

mod common;

use std::path::Path;
use std::sync::Arc;

use arrow::array::{ArrayRef, BooleanArray, Date32Array, Int64Array, RecordBatch, StringArray};
use arrow::datatypes::{DataType, Field, Schema};
use common::*;
use parquet::arrow::ArrowWriter;
use pireport::Status;
use pireport::geography::AreaLevel;

const ALPHA: &str = "E08000001";
const GAMMA: &str = "E09000002";
const NATIONAL: &str = "E92000001+W92000004";

/// A column of a hand-built table.
enum C {
    I(Vec<i64>),
    S(Vec<Option<&'static str>>),
    D(Vec<Option<&'static str>>),
    B(Vec<bool>),
}

fn table(path: &Path, cols: Vec<(&str, C)>) {
    let mut fields = Vec::new();
    let mut arrays: Vec<ArrayRef> = Vec::new();
    for (name, c) in cols {
        let (dt, a): (DataType, ArrayRef) = match c {
            C::I(v) => (DataType::Int64, Arc::new(Int64Array::from(v))),
            C::S(v) => (DataType::Utf8, Arc::new(StringArray::from(v))),
            C::D(v) => (
                DataType::Date32,
                Arc::new(Date32Array::from(
                    v.iter().map(|s| s.map(d)).collect::<Vec<_>>(),
                )),
            ),
            C::B(v) => (DataType::Boolean, Arc::new(BooleanArray::from(v))),
        };
        fields.push(Field::new(name, dt, true));
        arrays.push(a);
    }
    let batch = RecordBatch::try_new(Arc::new(Schema::new(fields)), arrays).unwrap();
    let f = std::fs::File::create(path).unwrap();
    let mut w = ArrowWriter::try_new(f, batch.schema(), None).unwrap();
    w.write(&batch).unwrap();
    w.close().unwrap();
}

fn some(v: &[&'static str]) -> Vec<Option<&'static str>> {
    v.iter().map(|s| Some(*s)).collect()
}

/// The spring 2009 bank holidays: Good Friday 10 April, Easter Monday 13
/// April, early May 4 May, spring 25 May.
fn holidays(dir: &Path) {
    table(
        &dir.join("bank_holidays.parquet"),
        vec![(
            "date",
            C::D(some(&[
                "2009-04-10",
                "2009-04-13",
                "2009-05-04",
                "2009-05-25",
            ])),
        )],
    );
}

/// Definitions copied with disclosure control off (threshold 1).
fn defs(dir: &Path, files: &[&str]) {
    copy_definitions(dir, files, |t| {
        t.replace("disclosure_threshold: 5", "disclosure_threshold: 1")
    });
}

/// Receptions in 2009-10 Q1 (April-June 2009). Working days are counted
/// in (reception, date]:
/// - a: Thu 9 Apr; assessed Thu 16 Apr: 10 Fri holiday, 11-12 weekend, 13
///   Mon holiday, then 14, 15, 16 = 3 (in); care plan Fri 24 Apr: 14, 15,
///   16, 17, 20, 21, 22, 23, 24 = 9 (in).
/// - b: Fri 22 May, before the bank holiday Monday; assessed Mon 1 Jun:
///   23-24 weekend, 25 holiday, 26, 27, 28, 29, 30-31 weekend, 1 Jun = 5
///   (in; 10 calendar days, 6 weekdays); no care plan (out).
/// - c: Sat 23 May; assessed Tue 2 Jun: 26, 27, 28, 29, 1, 2 = 6 (out);
///   care plan Tue 9 Jun: 26..29, 1..5, 8, 9 = 11 (out).
/// - d: Mon 15 Jun; assessed the same day = 0 (in); care plan Mon 29 Jun:
///   16..19, 22..26, 29 = 10 (in).
/// - e: Wed 17 Jun; no assessment (out); care plan Tue 16 Jun, before the
///   reception (out).
/// - f: Thu 30 Apr; assessed Fri 8 May: 1 May, 4 holiday, 5, 6, 7, 8 = 5
///   (in); care plan Fri 15 May: 1, 5, 6, 7, 8, 11..15 = 10 (in).
/// - g (Gamma): Thu 9 Apr; assessed Fri 17 Apr: 14, 15, 16, 17 = 4 (in);
///   no care plan.
///
/// Alpha: assessed 4 of 6, care plan 3 of 6; Gamma 1 of 1 and 0 of 1;
/// England and Wales 5 of 7 and 3 of 7.
#[test]
fn ypsms_working_day_windows_across_weekends_and_bank_holidays() {
    let tmp = tempfile::tempdir().unwrap();
    let (data, dir) = (tmp.path().join("data"), tmp.path().join("defs"));
    std::fs::create_dir_all(&data).unwrap();
    write_areas(&data);
    manifest(&data);
    holidays(&data);
    table(
        &data.join("ypsms_custody.parquet"),
        vec![
            ("person_id", C::I(vec![1, 2, 3, 4, 5, 6, 7])),
            ("establishment_code", C::S(some(&["YOI01"; 7]))),
            (
                "la_code",
                C::S(some(&[ALPHA, ALPHA, ALPHA, ALPHA, ALPHA, ALPHA, GAMMA])),
            ),
            ("sex", C::S(some(&["male"; 7]))),
            (
                "reception_date",
                C::D(some(&[
                    "2009-04-09",
                    "2009-05-22",
                    "2009-05-23",
                    "2009-06-15",
                    "2009-06-17",
                    "2009-04-30",
                    "2009-04-09",
                ])),
            ),
            (
                "assessment_date",
                C::D(vec![
                    Some("2009-04-16"),
                    Some("2009-06-01"),
                    Some("2009-06-02"),
                    Some("2009-06-15"),
                    None,
                    Some("2009-05-08"),
                    Some("2009-04-17"),
                ]),
            ),
            (
                "care_plan_date",
                C::D(vec![
                    Some("2009-04-24"),
                    None,
                    Some("2009-06-09"),
                    Some("2009-06-29"),
                    Some("2009-06-16"),
                    Some("2009-05-15"),
                    None,
                ]),
            ),
            (
                "engaged",
                C::B(vec![true, true, false, true, true, true, true]),
            ),
            ("detox", C::B(vec![false; 7])),
        ],
    );
    defs(
        &dir,
        &[
            "ypsms-assessed.yaml",
            "ypsms-care-plan.yaml",
            "ypsms-engaged.yaml",
        ],
    );
    let rows = run(
        &dir,
        &data,
        &["YPSMS.assessed", "YPSMS.care_plan", "YPSMS.engaged"],
    );
    let q = "2009-10 Q1";
    let at = |id, level, code| find(&rows, id, level, code, q);
    let a = at("YPSMS.assessed", AreaLevel::La, ALPHA);
    close(a.numerator, 4.0);
    close(a.denominator, 6.0);
    close(a.value, 100.0 * 4.0 / 6.0);
    close(at("YPSMS.assessed", AreaLevel::La, GAMMA).numerator, 1.0);
    let n = at("YPSMS.assessed", AreaLevel::National, NATIONAL);
    close(n.numerator, 5.0);
    close(n.denominator, 7.0);
    let c = at("YPSMS.care_plan", AreaLevel::La, ALPHA);
    close(c.numerator, 3.0);
    close(c.denominator, 6.0);
    close(at("YPSMS.care_plan", AreaLevel::La, GAMMA).numerator, 0.0);
    close(
        at("YPSMS.care_plan", AreaLevel::National, NATIONAL).value,
        100.0 * 3.0 / 7.0,
    );
    // the financial year holds the same receptions
    close(
        find(
            &rows,
            "YPSMS.assessed",
            AreaLevel::National,
            NATIONAL,
            "2009-10",
        )
        .numerator,
        5.0,
    );
    close(
        at("YPSMS.engaged", AreaLevel::National, NATIONAL).value,
        100.0 * 6.0 / 7.0,
    );
}

/// Orders of Alpha terminating in 2009-10 (and one after):
///
/// | # | drr | start | ends | reason | accommodation | employment |
/// |---|---|---|---|---|---|---|
/// | 1 | yes | 2009-04-15 | 2009-05-01 | completed | settled | employed |
/// | 2 | yes | 2009-04-20 | 2009-06-01 | early_good_progress | unsettled | not_available_for_work |
/// | 3 | yes | 2009-05-01 | 2009-07-01 | revoked_breach | not_known | self_employed |
/// | 4 | yes | 2008-06-01 | 2009-08-01 | died | settled | employed |
/// | 5 | yes | 2008-07-01 | 2009-09-01 | transferred | settled | employed |
/// | 6 | yes | 2008-08-01 | 2009-10-01 | (none recorded) | (null) | (null) |
/// | 7 | yes | 2009-06-01 | running | | | |
/// | 8 | no | 2008-09-01 | 2009-11-01 | completed | settled | unemployed |
/// | 9 | yes | 2009-07-01 | 2010-04-01 | completed | settled | employed |
///
/// DRR.completion 2009-10: DRR orders ending in the year, died and
/// transferred out: 1, 2, 3, 6; completed 1, 2: 2 of 4 = 50%.
/// DRR.orders 2009-10 (by start): 1, 2, 3, 7, 9 = 5; 2008-09: 4, 5, 6 = 3.
/// NI143 2009-10: ending in the year, not died or transferred: 1, 2, 3, 6,
/// 8; accommodation known: 1, 2, 8; settled 1, 8: 2 of 3.
/// NI144: employment known: 1, 2 (not available stays in), 3, 8; employed
/// or self-employed 1, 3: 2 of 4 = 50%.
#[test]
fn drr_and_probation_outcomes_exclude_deaths_and_transfers() {
    let tmp = tempfile::tempdir().unwrap();
    let (data, dir) = (tmp.path().join("data"), tmp.path().join("defs"));
    std::fs::create_dir_all(&data).unwrap();
    write_areas(&data);
    manifest(&data);
    table(
        &data.join("probation_orders.parquet"),
        vec![
            ("order_id", C::I((1..=9).collect())),
            ("person_id", C::I((101..=109).collect())),
            ("la_code", C::S(some(&[ALPHA; 9]))),
            ("order_type", C::S(some(&["community_order"; 9]))),
            (
                "start_date",
                C::D(some(&[
                    "2009-04-15",
                    "2009-04-20",
                    "2009-05-01",
                    "2008-06-01",
                    "2008-07-01",
                    "2008-08-01",
                    "2009-06-01",
                    "2008-09-01",
                    "2009-07-01",
                ])),
            ),
            (
                "drr",
                C::B(vec![true, true, true, true, true, true, true, false, true]),
            ),
            (
                "termination_date",
                C::D(vec![
                    Some("2009-05-01"),
                    Some("2009-06-01"),
                    Some("2009-07-01"),
                    Some("2009-08-01"),
                    Some("2009-09-01"),
                    Some("2009-10-01"),
                    None,
                    Some("2009-11-01"),
                    Some("2010-04-01"),
                ]),
            ),
            (
                "termination_reason",
                C::S(vec![
                    Some("completed"),
                    Some("early_good_progress"),
                    Some("revoked_breach"),
                    Some("died"),
                    Some("transferred"),
                    None,
                    None,
                    Some("completed"),
                    Some("completed"),
                ]),
            ),
            (
                "accommodation_at_end",
                C::S(vec![
                    Some("settled"),
                    Some("unsettled"),
                    Some("not_known"),
                    Some("settled"),
                    Some("settled"),
                    None,
                    None,
                    Some("settled"),
                    Some("settled"),
                ]),
            ),
            (
                "employment_at_end",
                C::S(vec![
                    Some("employed"),
                    Some("not_available_for_work"),
                    Some("self_employed"),
                    Some("employed"),
                    Some("employed"),
                    None,
                    None,
                    Some("unemployed"),
                    Some("employed"),
                ]),
            ),
        ],
    );
    defs(
        &dir,
        &[
            "drr-completion.yaml",
            "drr-orders.yaml",
            "ni143.yaml",
            "ni144.yaml",
        ],
    );
    let rows = run(
        &dir,
        &data,
        &["DRR.completion", "DRR.orders", "NI143", "NI144"],
    );
    let y = "2009-10";
    let la = |id| find(&rows, id, AreaLevel::La, ALPHA, y);
    close(la("DRR.completion").numerator, 2.0);
    close(la("DRR.completion").denominator, 4.0);
    close(la("DRR.completion").value, 50.0);
    close(la("DRR.orders").value, 5.0);
    close(
        find(&rows, "DRR.orders", AreaLevel::La, ALPHA, "2008-09").value,
        3.0,
    );
    close(la("NI143").numerator, 2.0);
    close(la("NI143").denominator, 3.0);
    close(la("NI144").numerator, 2.0);
    close(la("NI144").denominator, 4.0);
    close(
        find(&rows, "NI144", AreaLevel::National, NATIONAL, y).value,
        50.0,
    );
    // the quarter of order 8 (October-December 2009): 1 known, 0 employed
    close(
        find(&rows, "NI144", AreaLevel::La, ALPHA, "2009-10 Q3").denominator,
        1.0,
    );
}

/// Random MDTs (positive or refused over all random tests):
/// - Alpha: 2007-08 2 of 10 (20%); 2008-09 1 positive and 1 refused of 10
///   (20%: not a fall, `not met`); 2009-10 1 refused of 10 (10%, `met`,
///   target 20); a positive reasonable-suspicion test in 2009-10 does not
///   count.
/// - Gamma: 2008-09 2 of 4 (50%: no previous year, judged against
///   baseline only); 2009-10 1 of 4 (25%, `met`, target 50).
/// - England and Wales: 2008-09 4 of 14 (28.6%), 2009-10 2 of 14 (14.3%,
///   `met`); 2010-11 no tests: no value, and 2011-12 none either.
#[test]
fn rmdt_fall_year_on_year() {
    let tmp = tempfile::tempdir().unwrap();
    let (data, dir) = (tmp.path().join("data"), tmp.path().join("defs"));
    std::fs::create_dir_all(&data).unwrap();
    write_areas(&data);
    manifest(&data);
    let mut la = Vec::new();
    let mut date = Vec::new();
    let mut kind = Vec::new();
    let mut result = Vec::new();
    let mut add =
        |code: &'static str, day: &'static str, t: &'static str, r: &'static str, n: usize| {
            for _ in 0..n {
                la.push(Some(code));
                date.push(Some(day));
                kind.push(Some(t));
                result.push(Some(r));
            }
        };
    add(ALPHA, "2007-06-01", "random", "positive", 2);
    add(ALPHA, "2007-06-01", "random", "negative", 8);
    add(ALPHA, "2008-06-01", "random", "positive", 1);
    add(ALPHA, "2008-06-01", "random", "refused", 1);
    add(ALPHA, "2008-06-01", "random", "negative", 8);
    add(ALPHA, "2009-06-01", "random", "refused", 1);
    add(ALPHA, "2009-06-01", "random", "negative", 9);
    add(ALPHA, "2009-06-01", "reasonable_suspicion", "positive", 1);
    add(GAMMA, "2008-12-01", "random", "positive", 2);
    add(GAMMA, "2008-12-01", "random", "negative", 2);
    add(GAMMA, "2010-01-15", "random", "positive", 1);
    add(GAMMA, "2010-01-15", "random", "negative", 3);
    let n = la.len();
    let drug: Vec<Option<&str>> = result
        .iter()
        .map(|r| (*r == Some("positive")).then_some("cannabis"))
        .collect();
    table(
        &data.join("prison_mdt.parquet"),
        vec![
            ("test_id", C::I((1..=n as i64).collect())),
            ("person_id", C::I((1..=n as i64).collect())),
            ("prison_code", C::S(vec![Some("AAA"); n])),
            ("la_code", C::S(la)),
            ("test_date", C::D(date)),
            ("test_type", C::S(kind)),
            ("result", C::S(result)),
            ("drug", C::S(drug)),
        ],
    );
    defs(&dir, &["rmdt.yaml"]);
    let rows = run(&dir, &data, &["RMDT"]);
    let row = |level, code, p| find(&rows, "RMDT", level, code, p);
    let a08 = row(AreaLevel::La, ALPHA, "2008-09");
    close(a08.value, 20.0);
    close(a08.target, 20.0);
    assert_eq!(a08.status, Some(Status::YearOnYear { met: false }));
    let a09 = row(AreaLevel::La, ALPHA, "2009-10");
    close(a09.value, 10.0);
    close(a09.target, 20.0);
    assert_eq!(a09.status, Some(Status::YearOnYear { met: true }));
    assert_eq!(
        row(AreaLevel::La, ALPHA, "2007-08").status,
        Some(Status::IsBaseline)
    );
    let g08 = row(AreaLevel::La, GAMMA, "2008-09");
    assert!(g08.target.is_none(), "no previous year for Gamma");
    assert_ne!(g08.status, Some(Status::YearOnYear { met: true }));
    let g09 = row(AreaLevel::La, GAMMA, "2009-10");
    close(g09.target, 50.0);
    assert_eq!(g09.status, Some(Status::YearOnYear { met: true }));
    let r = row(AreaLevel::Region, "E12000007", "2009-10");
    assert_eq!(r.status, Some(Status::YearOnYear { met: true }));
    let n09 = row(AreaLevel::National, NATIONAL, "2009-10");
    close(n09.value, 100.0 * 2.0 / 14.0);
    close(n09.target, 100.0 * 4.0 / 14.0);
    assert_eq!(n09.status, Some(Status::YearOnYear { met: true }));
    // rolling quarters are not years: no year-on-year status
    let q = row(AreaLevel::National, NATIONAL, "2009-10 Q4");
    assert!(q.target.is_none());
    assert!(
        !matches!(q.status, Some(Status::YearOnYear { .. })),
        "{:?}",
        q.status
    );
}

/// Validate `file` (a shipped definition) edited by `from -> to` against
/// the sample; return the rendered error, which must exit 2.
fn broken(file: &str, from: &str, to: &str) -> String {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("defs");
    copy_definitions(&dir, &[file], |t| {
        assert!(t.contains(from), "fixture text `{from}` not found");
        t.replacen(from, to, 1)
    });
    match pireport::load_and_validate(&dir, &repo().join("data-samples")) {
        Ok(_) => panic!("`{to}` should be rejected"),
        Err(e) => {
            assert_eq!(e.fault(), pireport::Fault::Input);
            e.to_string().replace(&dir.display().to_string(), "defs")
        }
    }
}

fn line_of(file: &str, text: &str) -> usize {
    let t = std::fs::read_to_string(repo().join("indicators").join(file)).unwrap();
    t.lines().position(|l| l.contains(text)).unwrap() + 1
}

fn assert_has(err: &str, parts: &[&str]) {
    for p in parts {
        assert!(err.contains(p), "missing `{p}` in:\n{err}");
    }
}

#[test]
fn an_unknown_calendar_table_is_located() {
    let l = line_of("ypsms-assessed.yaml", "calendar:");
    let e = broken(
        "ypsms-assessed.yaml",
        "calendar: { table: bank_holidays",
        "calendar: { table: bank_holiday",
    );
    assert_has(
        &e,
        &[
            &format!("defs/ypsms-assessed.yaml:{l}:"),
            "unknown calendar table",
            "(at `calendar.table`)",
        ],
    );
}

#[test]
fn a_calendar_column_that_is_not_a_date_is_located() {
    let e = broken(
        "ypsms-assessed.yaml",
        "calendar: { table: bank_holidays, date: date }",
        "calendar: { table: ypsms_custody, date: person_id }",
    );
    assert_has(
        &e,
        &["`person_id` is Int64, not a date", "(at `calendar.date`)"],
    );
}

#[test]
fn working_days_over_a_non_date_column_is_located() {
    let l = line_of("ypsms-assessed.yaml", "AND working_days(");
    let e = broken(
        "ypsms-assessed.yaml",
        "working_days(reception_date, assessment_date)",
        "working_days(reception_date, person_id)",
    );
    // the call starts in column 11 of the block line (6 spaces of indent)
    assert_has(
        &e,
        &[
            &format!("defs/ypsms-assessed.yaml:{l}:11: `working_days` counts days between dates"),
            "is Int64, not a date",
            "(at `measures.assessed.where`)",
        ],
    );
}

#[test]
fn working_days_without_a_calendar_is_refused() {
    let e = broken(
        "ypsms-assessed.yaml",
        "calendar: { table: bank_holidays, date: date }\n",
        "",
    );
    assert_has(&e, &["`working_days` needs a working-day calendar"]);
}

#[test]
fn a_year_on_year_target_needs_a_yearly_grain() {
    let e = broken(
        "rmdt.yaml",
        "grains: [financial_year, rolling_quarter]",
        "grains: [rolling_quarter]",
    );
    assert_has(
        &e,
        &[
            "a `fall_year_on_year` target needs a yearly grain",
            "(at `target.kind`)",
        ],
    );
    let e = broken(
        "rmdt.yaml",
        "  kind: fall_year_on_year",
        "  kind: fall_year_on_year\n  period: \"2010-11\"",
    );
    assert_has(&e, &["`period` does not apply", "(at `target.period`)"]);
}

#[test]
fn trim_is_accepted_and_substring_refused_with_a_hint() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("defs");
    copy_definitions(&dir, &["rmdt.yaml"], |t| {
        t.replace(
            "filter: \"test_type = 'random'\"",
            "filter: \"trim(test_type) = 'random' AND trim(BOTH ' ' FROM test_type) = 'random'\"",
        )
    });
    let valid = pireport::load_and_validate(&dir, &repo().join("data-samples"));
    assert!(valid.is_ok(), "{:?}", valid.err().map(|e| e.to_string()));
    let l = line_of("rmdt.yaml", "filter: \"test_type");
    let e = broken(
        "rmdt.yaml",
        "filter: \"test_type = 'random'\"",
        "filter: \"substr(test_type, 1, 4) = 'rand'\"",
    );
    assert_has(
        &e,
        &[
            // located at the call's first argument
            &format!("defs/rmdt.yaml:{l}:19: `substr` and `substring` are not available"),
            "starts_with",
        ],
    );
}
