//! More shipped definitions run on tiny extracts whose results are worked
//! out by hand in the comments: NI40, NI18, NI30, NI16, PSA23.5 with NI19,
//! NI115 and NI38.rate. Each extract is built to sit on the edges of its
//! rule (half-open day windows, waiting periods, ties, grains).

mod common;

use std::path::Path;
use std::sync::Arc;

use arrow::array::{ArrayRef, BooleanArray, Float64Array, Int64Array, RecordBatch, StringArray};
use arrow::datatypes::{DataType, Field, Schema};
use common::*;
use parquet::arrow::ArrowWriter;
use pireport::ResultRow;
use pireport::geography::AreaLevel;

const ALPHA: &str = "E08000001";
const BETA: &str = "E08000002";
const GAMMA: &str = "E09000002";
const NORTH_WEST: &str = "E12000002";
const LONDON: &str = "E12000007";
const EW: &str = "E92000001+W92000004";

/// Copy the shipped definitions with threshold 1, so LA values are visible.
fn defs_threshold_1(defs: &Path, files: &[&str]) {
    copy_definitions(defs, files, |t| {
        t.replace("disclosure_threshold: 5", "disclosure_threshold: 1")
    });
}

/// Check numerator, denominator, expected (when given) and value of a row.
fn check(r: &ResultRow, num: f64, den: f64, expected: Option<f64>, value: f64) {
    close(r.numerator, num);
    close(r.denominator, den);
    if let Some(e) = expected {
        close(r.expected, e);
    }
    close(r.value, value);
}

// ---------------------------------------------------------------------------
// NI40

/// NI40, financial year 2008-09: S = 2008-04-01, E = 2009-03-31. The rolling
/// quarter `2008-09 Q4` is the 12 months ending 2009-03-31: the same window.
///
/// | ep | client | LA    | age | triage     | discharge  | reason                     |
/// |----|--------|-------|-----|------------|------------|----------------------------|
/// |  1 | 1      | Alpha | 17  | 2008-05-01 | open       |                            |
/// |  2 | 2      | Alpha | 30  | 2008-06-01 | 2008-08-24 | incomplete_dropped_out     |
/// |  3 | 3      | Beta  | 25  | 2008-06-01 | 2008-08-23 | incomplete_dropped_out     |
/// |  4 | 4      | Beta  | 40  | 2009-01-07 | open       |                            |
/// |  5 | 5      | Gamma | 50  | 2009-02-01 | 2009-03-01 | completed_drug_free        |
/// |  6 | 6      | Gamma | 35  | 2008-09-01 | 2008-09-15 | incomplete_dropped_out     |
/// |  7 | 8      | Gamma | 28  | 2008-07-01 | open       |                            |
/// |  8 | 8      | Alpha | 28  | 2008-07-01 | open       |                            |
/// |  9 | 8      | Beta  | 29  | 2009-03-01 | open       |                            |
/// | 10 | 9      | Alpha | 33  | 2007-10-01 | 2008-03-31 | completed_drug_free        |
/// | 11 | 7      | Beta  | 45  | 2008-11-01 | open       |                            |
/// | 12 | 7      | Alpha | 45  | 2008-04-15 | 2008-10-01 | incomplete_treatment_withdrawn |
///
/// 2008-09:
/// - ep 1: age 17 < 18: out.
/// - ep 2: 1 Jun -> 24 Aug = 29 (to 30 Jun) + 31 (Jul) + 24 = 84 days: in.
/// - ep 3: 1 Jun -> 23 Aug = 83 days, not a planned exit: out.
/// - ep 4: open, retention to E: 7 Jan -> 31 Mar 2009 = 24 + 28 + 31 = 83: out.
/// - ep 5: 28 days only, but a planned exit on 2009-03-01 in [S, E]: in.
/// - ep 6: 14 days, dropped out: out.
/// - eps 7 and 8: client 8, both open, 1 Jul 2008 -> 31 Mar 2009 = 273 days:
///   both qualify with the same triage date; tie -> highest episode_id, 8,
///   so Alpha. ep 9 is later (1 Mar 2009) but only 30 days to E: it does not
///   qualify and does not move the client.
/// - ep 10: discharged 2008-03-31 < S: not in the year.
/// - eps 11 and 12: client 7. ep 12: 15 Apr -> 1 Oct 2008 is
///   15 + 31 + 30 + 31 + 31 + 30 + 1 = 169 days; ep 11, open:
///   1 Nov 2008 -> 31 Mar 2009 is 29 + 31 + 31 + 28 + 31 = 150 days. Both
///   qualify; the latest triage is ep 11 (although ep 12 has the higher
///   id): Beta.
///
/// Alpha = {2, 8} = 2; Beta = {7} = 1; Gamma = {5} = 1; North West = 3;
/// England and Wales = 4 (client 7 and client 8 counted once each).
///
/// 2009-10 (S = 2009-04-01, E = 2010-03-31): eps 2, 3, 5, 6, 10, 12 ended
/// before S; ep 1 is under 18. Open eps 4, 7, 8, 9, 11 all run >= 84 days to
/// E. Client 4 -> Beta (ep 4); client 7 -> Beta (ep 11); client 8 -> latest
/// triage ep 9 (2009-03-01): Beta. Beta = 3, North West = 3, England and
/// Wales = 3.
///
/// Baseline 2007-08 (S = 2007-04-01, E = 2008-03-31): only ep 10 has
/// triage <= E: 1 Oct 2007 -> 31 Mar 2008 = 30 + 30 + 31 + 31 + 29 + 31 =
/// 182 days: client 9 in Alpha. England and Wales 2007-08 = 1, so the
/// 2008-09 change = 100 x (4 - 1) / 1 = 300%.
#[test]
fn ni40_hand_worked() {
    let tmp = tempfile::tempdir().unwrap();
    let (data, defs) = (tmp.path().join("data"), tmp.path().join("defs"));
    write_areas(&data);
    manifest(&data);
    write_table(
        &data.join("treatment_episodes.parquet"),
        vec![
            (
                "episode_id",
                Col::I(vec![1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]),
            ),
            (
                "client_id",
                Col::I(vec![1, 2, 3, 4, 5, 6, 8, 8, 8, 9, 7, 7]),
            ),
            (
                "la_code",
                Col::S(vec![
                    ALPHA, ALPHA, BETA, BETA, GAMMA, GAMMA, GAMMA, ALPHA, BETA, ALPHA, BETA, ALPHA,
                ]),
            ),
            (
                "age_at_triage",
                Col::I(vec![17, 30, 25, 40, 50, 35, 28, 28, 29, 33, 45, 45]),
            ),
            (
                "triage_date",
                Col::D(vec![
                    "2008-05-01",
                    "2008-06-01",
                    "2008-06-01",
                    "2009-01-07",
                    "2009-02-01",
                    "2008-09-01",
                    "2008-07-01",
                    "2008-07-01",
                    "2009-03-01",
                    "2007-10-01",
                    "2008-11-01",
                    "2008-04-15",
                ]),
            ),
            (
                "discharge_date",
                Col::DN(vec![
                    None,
                    Some("2008-08-24"),
                    Some("2008-08-23"),
                    None,
                    Some("2009-03-01"),
                    Some("2008-09-15"),
                    None,
                    None,
                    None,
                    Some("2008-03-31"),
                    None,
                    Some("2008-10-01"),
                ]),
            ),
        ],
    );
    // discharge_reason is nullable text, which `Col` lacks: append it
    write_episodes_with_reason(&data);
    defs_threshold_1(&defs, &["ni40.yaml"]);
    let rows = run(&defs, &data, &["NI40"]);
    for period in ["2008-09", "2008-09 Q4"] {
        let a = find(&rows, "NI40", AreaLevel::La, ALPHA, period);
        close(a.numerator, 2.0);
        close(a.value, 2.0);
        let b = find(&rows, "NI40", AreaLevel::La, BETA, period);
        close(b.value, 1.0);
        let g = find(&rows, "NI40", AreaLevel::La, GAMMA, period);
        close(g.value, 1.0);
        let r = find(&rows, "NI40", AreaLevel::Region, NORTH_WEST, period);
        close(r.numerator, 3.0);
        close(r.value, 3.0);
        let l = find(&rows, "NI40", AreaLevel::Region, LONDON, period);
        close(l.value, 1.0);
        let n = find(&rows, "NI40", AreaLevel::National, EW, period);
        close(n.numerator, 4.0);
        close(n.value, 4.0);
    }
    let b = find(&rows, "NI40", AreaLevel::La, BETA, "2009-10");
    close(b.value, 3.0);
    let r = find(&rows, "NI40", AreaLevel::Region, NORTH_WEST, "2009-10");
    close(r.value, 3.0);
    let n = find(&rows, "NI40", AreaLevel::National, EW, "2009-10");
    close(n.value, 3.0);
    let base = find(&rows, "NI40", AreaLevel::National, EW, "2007-08");
    close(base.value, 1.0);
    let n = find(&rows, "NI40", AreaLevel::National, EW, "2008-09");
    close(n.baseline_value, 1.0);
    close(n.change, 300.0);
}

/// The NI40 extract again, with the nullable `discharge_reason` text column
/// (`Col` has no nullable text variant).
fn write_episodes_with_reason(dir: &Path) {
    let reasons: Vec<Option<&str>> = vec![
        None,
        Some("incomplete_dropped_out"),
        Some("incomplete_dropped_out"),
        None,
        Some("completed_drug_free"),
        Some("incomplete_dropped_out"),
        None,
        None,
        None,
        Some("completed_drug_free"),
        None,
        Some("incomplete_treatment_withdrawn"),
    ];
    let path = dir.join("treatment_episodes.parquet");
    let file = std::fs::File::open(&path).unwrap();
    let reader = parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder::try_new(file)
        .unwrap()
        .build()
        .unwrap();
    let batch = reader.map(|b| b.unwrap()).next().unwrap();
    let mut fields: Vec<Field> = batch
        .schema()
        .fields()
        .iter()
        .map(|f| f.as_ref().clone())
        .collect();
    let mut arrays: Vec<ArrayRef> = batch.columns().to_vec();
    fields.push(Field::new("discharge_reason", DataType::Utf8, true));
    arrays.push(Arc::new(StringArray::from(reasons)));
    write_batch(&path, fields, arrays);
}

fn write_batch(path: &Path, fields: Vec<Field>, arrays: Vec<ArrayRef>) {
    let batch = RecordBatch::try_new(Arc::new(Schema::new(fields)), arrays).unwrap();
    if let Some(p) = path.parent() {
        std::fs::create_dir_all(p).unwrap();
    }
    let f = std::fs::File::create(path).unwrap();
    let mut w = ArrowWriter::try_new(f, batch.schema(), None).unwrap();
    w.write(&batch).unwrap();
    w.close().unwrap();
}

// ---------------------------------------------------------------------------
// NI18

/// NI18, quarter 2008-09 Q1 (April-June 2008). For snapshot D = 2008-06-30:
/// D + 91 = 2008-09-29 (31 Jul is +31, 31 Aug +62, 29 Sep +91), D + 92 =
/// 2008-09-30; D + 182 = 2008-12-29 (31 + 31 + 30 + 31 + 30 + 29 = 182),
/// D + 183 = 2008-12-30.
///
/// | person | LA    | snapshot   | predicted | offence    | disposal   | counts |
/// |--------|-------|------------|-----------|------------|------------|--------|
/// | 1      | Alpha | 2008-06-30 | 0.5       | 2008-09-29 | 2008-10-15 | day 91: yes |
/// | 2      | Alpha | 2008-06-30 | 0.25      | 2008-09-30 | 2008-10-15 | day 92: no  |
/// | 3      | Beta  | 2008-06-30 | 0.5       | 2008-08-01 | 2008-12-29 | proven day 182: yes |
/// | 4      | Beta  | 2008-06-30 | 0.5       | 2008-08-01 | 2008-12-30 | proven day 183: no  |
/// | 5      | Alpha | 2008-06-30 | 0.25      | 2008-07-15 | 2008-08-01 | yes |
/// | 5      | Alpha | 2008-04-30 | 0.25      | (same)     |            | yes |
/// | 6      | Gamma | 2008-06-30 | 0.2       | 2008-06-30 | 2008-07-10 | on D: no |
/// | 7      | Gamma | 2008-09-30 | 0.4       | 2008-12-30 | 2009-03-31 | Q2 only |
///
/// Person 5's second row (D = 2008-04-30): D + 91 = 2008-07-30 (31 May +31,
/// 30 Jun +61, 30 Jul +91), D + 182 = 2008-10-29: the 15 Jul offence proven
/// 1 Aug is in for both rows, so each row counts.
///
/// Q1: Alpha: rows 1, 2, 5, 5 -> numerator 3, denominator 4, expected 0.5 +
/// 0.25 + 0.25 + 0.25 = 1.25, value 100 x (3 - 1.25) / 1.25 = 140.
/// Beta: numerator 1, denominator 2, expected 1.0, value 0.
/// Gamma: numerator 0, denominator 1, expected 0.2, value -100.
/// North West: 4, 6, 2.25: 100 x 1.75 / 2.25 = 77.777778.
/// England and Wales: 4, 7, 2.45: 100 x 1.55 / 2.45 = 63.265306.
///
/// Q2 (July-September 2008): person 7, D = 2008-09-30: D + 91 = 2008-12-30
/// (31 Oct +31, 30 Nov +61, 30 Dec +91), D + 182 = 2009-03-31 (31 Dec +92,
/// 31 Jan +123, 28 Feb +151, 31 Mar +182): offence on day 91, proven on day
/// 182: in. Gamma, London and England and Wales: 1, 1, 0.4, value 100 x 0.6
/// / 0.4 = 150.
#[test]
fn ni18_hand_worked() {
    let tmp = tempfile::tempdir().unwrap();
    let (data, defs) = (tmp.path().join("data"), tmp.path().join("defs"));
    write_areas(&data);
    manifest(&data);
    write_table(
        &data.join("probation_caseload.parquet"),
        vec![
            (
                "snapshot_date",
                Col::D(vec![
                    "2008-06-30",
                    "2008-06-30",
                    "2008-06-30",
                    "2008-06-30",
                    "2008-06-30",
                    "2008-04-30",
                    "2008-06-30",
                    "2008-09-30",
                ]),
            ),
            ("person_id", Col::I(vec![1, 2, 3, 4, 5, 5, 6, 7])),
            (
                "la_code",
                Col::S(vec![ALPHA, ALPHA, BETA, BETA, ALPHA, ALPHA, GAMMA, GAMMA]),
            ),
            (
                "order_type",
                Col::S(vec![
                    "community_order",
                    "licence",
                    "community_order",
                    "suspended_sentence_order",
                    "community_order",
                    "licence",
                    "community_order",
                    "licence",
                ]),
            ),
            (
                "predicted_reoffend_3m",
                Col::F(vec![
                    Some(0.5),
                    Some(0.25),
                    Some(0.5),
                    Some(0.5),
                    Some(0.25),
                    Some(0.25),
                    Some(0.2),
                    Some(0.4),
                ]),
            ),
        ],
    );
    write_table(
        &data.join("offences.parquet"),
        vec![
            ("person_id", Col::I(vec![1, 2, 3, 4, 5, 6, 7])),
            (
                "offence_date",
                Col::D(vec![
                    "2008-09-29",
                    "2008-09-30",
                    "2008-08-01",
                    "2008-08-01",
                    "2008-07-15",
                    "2008-06-30",
                    "2008-12-30",
                ]),
            ),
            (
                "disposal_date",
                Col::D(vec![
                    "2008-10-15",
                    "2008-10-15",
                    "2008-12-29",
                    "2008-12-30",
                    "2008-08-01",
                    "2008-07-10",
                    "2009-03-31",
                ]),
            ),
            ("offence_group", Col::S(vec!["acquisitive"; 7])),
            ("la_code", Col::S(vec![ALPHA; 7])),
        ],
    );
    defs_threshold_1(&defs, &["ni18.yaml"]);
    let rows = run(&defs, &data, &["NI18"]);
    let q1 = "2008-09 Q1";
    check(
        find(&rows, "NI18", AreaLevel::La, ALPHA, q1),
        3.0,
        4.0,
        Some(1.25),
        140.0,
    );
    check(
        find(&rows, "NI18", AreaLevel::La, BETA, q1),
        1.0,
        2.0,
        Some(1.0),
        0.0,
    );
    check(
        find(&rows, "NI18", AreaLevel::La, GAMMA, q1),
        0.0,
        1.0,
        Some(0.2),
        -100.0,
    );
    check(
        find(&rows, "NI18", AreaLevel::Region, NORTH_WEST, q1),
        4.0,
        6.0,
        Some(2.25),
        100.0 * 1.75 / 2.25,
    );
    check(
        find(&rows, "NI18", AreaLevel::National, EW, q1),
        4.0,
        7.0,
        Some(2.45),
        100.0 * 1.55 / 2.45,
    );
    let q2 = "2008-09 Q2";
    check(
        find(&rows, "NI18", AreaLevel::La, GAMMA, q2),
        1.0,
        1.0,
        Some(0.4),
        150.0,
    );
    check(
        find(&rows, "NI18", AreaLevel::Region, LONDON, q2),
        1.0,
        1.0,
        Some(0.4),
        150.0,
    );
    check(
        find(&rows, "NI18", AreaLevel::National, EW, q2),
        1.0,
        1.0,
        Some(0.4),
        150.0,
    );
}

// ---------------------------------------------------------------------------
// NI30

/// NI30, quarter 2009-10 Q1, E = 2009-06-30. 2008-06-30 -> 2009-06-30 is
/// 365 days (no 29 February between), so E - 365 = 2008-06-30, E - 364 =
/// 2008-07-01 and E - 363 = 2008-07-02. The "after" window is
/// 2008-06-30 < disposal <= 2009-06-30.
///
/// Members: person 1 Alpha, cohort_date 2008-07-01 (= E - 364: in);
/// person 2 Alpha, 2008-07-02 (= E - 363: out); person 3 Beta, 2008-01-15;
/// person 4 Gamma, 2008-04-01.
///
/// Person 1 (C = 2008-07-01; 2007-07-01 -> 2008-07-01 is 366 days, so
/// C - 365 = 2007-07-02). Disposals:
/// - 2007-07-01 (C - 366): in neither window;
/// - 2007-07-02 (C - 365): before;
/// - 2008-06-30 (C - 1): before; not after (= E - 365, not > it);
/// - 2008-07-01 (= C): not before (not < C); after;
/// - 2009-06-30 (= E): after;
/// - 2009-07-01 (E + 1): neither.
///   -> before 2, after 2.
///
/// Person 2's 2009-01-01 disposal counts nowhere (not a member at E).
/// Person 3 (C = 2008-01-15, C - 365 = 2007-01-15): disposals 2007-06-01,
/// 2007-09-01, 2007-12-01 before; 2009-02-01 after -> before 3, after 1.
/// Person 4 (C = 2008-04-01; 2007-04-01 -> 2008-04-01 is 366 days, so C - 365
/// = 2007-04-02): 2007-04-01 (C - 366) neither; 2007-10-01 before;
/// 2008-08-01 and 2009-03-01 after -> before 1, after 2.
///
/// 2009-10 Q1: Alpha 2 vs 2: 0%; Beta 1 vs 3: 100 x (1 - 3) / 3 = -66.666667;
/// Gamma 2 vs 1: +100; North West 3 vs 5: -40; England and Wales 5 vs 6:
/// 100 x (5 - 6) / 6 = -16.666667.
///
/// 2008-09 Q4, E = 2009-03-31: 2008-03-31 -> 2009-03-31 is 365 days, so
/// E - 364 = 2008-04-01: person 4 is in exactly at the edge, person 3 in,
/// persons 1 and 2 out. After window 2008-03-31 < disposal <= 2009-03-31:
/// person 3 after 1 (2009-02-01), before 3; person 4 after 2 (2008-08-01,
/// 2009-03-01), before 1. Beta and North West: 1 vs 3: -66.666667; Gamma
/// and London: 2 vs 1: +100; England and Wales 3 vs 4: -25.
#[test]
fn ni30_hand_worked() {
    let tmp = tempfile::tempdir().unwrap();
    let (data, defs) = (tmp.path().join("data"), tmp.path().join("defs"));
    write_areas(&data);
    manifest(&data);
    write_table(
        &data.join("ppo_cohort.parquet"),
        vec![
            ("person_id", Col::I(vec![1, 2, 3, 4])),
            ("la_code", Col::S(vec![ALPHA, ALPHA, BETA, GAMMA])),
            (
                "cohort_date",
                Col::D(vec!["2008-07-01", "2008-07-02", "2008-01-15", "2008-04-01"]),
            ),
        ],
    );
    let disposals = vec![
        "2007-07-01",
        "2007-07-02",
        "2008-06-30",
        "2008-07-01",
        "2009-06-30",
        "2009-07-01",
        "2009-01-01",
        "2007-06-01",
        "2007-09-01",
        "2007-12-01",
        "2009-02-01",
        "2007-04-01",
        "2007-10-01",
        "2008-08-01",
        "2009-03-01",
    ];
    write_table(
        &data.join("offences.parquet"),
        vec![
            (
                "person_id",
                Col::I(vec![1, 1, 1, 1, 1, 1, 2, 3, 3, 3, 3, 4, 4, 4, 4]),
            ),
            // committed on the day proven: NI30 reads only disposal_date
            ("offence_date", Col::D(disposals.clone())),
            ("disposal_date", Col::D(disposals)),
            ("offence_group", Col::S(vec!["acquisitive"; 15])),
            ("la_code", Col::S(vec![ALPHA; 15])),
        ],
    );
    defs_threshold_1(&defs, &["ni30.yaml"]);
    let rows = run(&defs, &data, &["NI30"]);
    let q = "2009-10 Q1";
    check(
        find(&rows, "NI30", AreaLevel::La, ALPHA, q),
        2.0,
        2.0,
        None,
        0.0,
    );
    check(
        find(&rows, "NI30", AreaLevel::La, BETA, q),
        1.0,
        3.0,
        None,
        -200.0 / 3.0,
    );
    check(
        find(&rows, "NI30", AreaLevel::La, GAMMA, q),
        2.0,
        1.0,
        None,
        100.0,
    );
    check(
        find(&rows, "NI30", AreaLevel::Region, NORTH_WEST, q),
        3.0,
        5.0,
        None,
        -40.0,
    );
    check(
        find(&rows, "NI30", AreaLevel::National, EW, q),
        5.0,
        6.0,
        None,
        -100.0 / 6.0,
    );
    let q = "2008-09 Q4";
    check(
        find(&rows, "NI30", AreaLevel::La, BETA, q),
        1.0,
        3.0,
        None,
        -200.0 / 3.0,
    );
    check(
        find(&rows, "NI30", AreaLevel::Region, NORTH_WEST, q),
        1.0,
        3.0,
        None,
        -200.0 / 3.0,
    );
    check(
        find(&rows, "NI30", AreaLevel::La, GAMMA, q),
        2.0,
        1.0,
        None,
        100.0,
    );
    check(
        find(&rows, "NI30", AreaLevel::Region, LONDON, q),
        2.0,
        1.0,
        None,
        100.0,
    );
    check(
        find(&rows, "NI30", AreaLevel::National, EW, q),
        3.0,
        4.0,
        None,
        -25.0,
    );
}

// ---------------------------------------------------------------------------
// NI16

/// NI16, financial year 2008-09 (2008-04-01 to 2009-03-31) and the rolling
/// quarter 2008-09 Q3 (2008-01-01 to 2008-12-31: 2007-08 Q4 and 2008-09 Q1
/// to Q3). Populations: Alpha 1000, Beta 2000, Gamma 5000; North West 3000;
/// England and Wales 8000.
///
/// | LA    | date       | type                    | 2008-09 | 2008-09 Q3 |
/// |-------|------------|-------------------------|---------|------------|
/// | Alpha | 2008-04-01 | domestic_burglary       | yes (S) | yes        |
/// | Alpha | 2009-03-31 | theft_of_vehicle        | yes (E) | no         |
/// | Alpha | 2008-06-01 | criminal_damage         | no type | no type    |
/// | Alpha | 2008-03-31 | robbery_personal        | no      | yes        |
/// | Beta  | 2008-07-01 | theft_from_vehicle      | yes     | yes        |
/// | Beta  | 2008-10-01 | robbery_business        | yes     | yes        |
/// | Beta  | 2009-01-15 | robbery_personal        | yes     | no         |
/// | Beta  | 2008-08-01 | violence_against_person | no type | no type    |
/// | Beta  | 2009-04-01 | domestic_burglary       | no      | no         |
/// | Gamma | 2008-12-01 | robbery_personal        | yes     | yes        |
/// | Gamma | 2009-02-01 | domestic_burglary       | yes     | no         |
/// | Gamma | 2008-05-01 | other_theft             | no type | no type    |
///
/// 2008-09: Alpha 2 -> 1000 x 2 / 1000 = 2.0; Beta 3 -> 1000 x 3 / 2000 =
/// 1.5; Gamma 2 -> 1000 x 2 / 5000 = 0.4; North West 5 / 3000 -> 1.666667;
/// England and Wales 7 / 8000 -> 0.875.
/// 2008-09 Q3: Alpha 2 -> 2.0; Beta 2 -> 1.0; Gamma 1 -> 0.2; North West
/// 4 / 3000 -> 1.333333; England and Wales 5 / 8000 -> 0.625.
#[test]
fn ni16_hand_worked() {
    let tmp = tempfile::tempdir().unwrap();
    let (data, defs) = (tmp.path().join("data"), tmp.path().join("defs"));
    write_areas(&data);
    manifest(&data);
    write_table(
        &data.join("recorded_crime.parquet"),
        vec![
            ("crime_id", Col::I((1..=12).collect())),
            (
                "la_code",
                Col::S(vec![
                    ALPHA, ALPHA, ALPHA, ALPHA, BETA, BETA, BETA, BETA, BETA, GAMMA, GAMMA, GAMMA,
                ]),
            ),
            (
                "recorded_date",
                Col::D(vec![
                    "2008-04-01",
                    "2009-03-31",
                    "2008-06-01",
                    "2008-03-31",
                    "2008-07-01",
                    "2008-10-01",
                    "2009-01-15",
                    "2008-08-01",
                    "2009-04-01",
                    "2008-12-01",
                    "2009-02-01",
                    "2008-05-01",
                ]),
            ),
            (
                "crime_type",
                Col::S(vec![
                    "domestic_burglary",
                    "theft_of_vehicle",
                    "criminal_damage",
                    "robbery_personal",
                    "theft_from_vehicle",
                    "robbery_business",
                    "robbery_personal",
                    "violence_against_person",
                    "domestic_burglary",
                    "robbery_personal",
                    "domestic_burglary",
                    "other_theft",
                ]),
            ),
        ],
    );
    defs_threshold_1(&defs, &["ni16.yaml"]);
    let rows = run(&defs, &data, &["NI16"]);
    let y = "2008-09";
    check(
        find(&rows, "NI16", AreaLevel::La, ALPHA, y),
        2.0,
        1000.0,
        None,
        2.0,
    );
    check(
        find(&rows, "NI16", AreaLevel::La, BETA, y),
        3.0,
        2000.0,
        None,
        1.5,
    );
    check(
        find(&rows, "NI16", AreaLevel::La, GAMMA, y),
        2.0,
        5000.0,
        None,
        0.4,
    );
    check(
        find(&rows, "NI16", AreaLevel::Region, NORTH_WEST, y),
        5.0,
        3000.0,
        None,
        5000.0 / 3000.0,
    );
    check(
        find(&rows, "NI16", AreaLevel::National, EW, y),
        7.0,
        8000.0,
        None,
        0.875,
    );
    let q = "2008-09 Q3";
    check(
        find(&rows, "NI16", AreaLevel::La, ALPHA, q),
        2.0,
        1000.0,
        None,
        2.0,
    );
    check(
        find(&rows, "NI16", AreaLevel::La, BETA, q),
        2.0,
        2000.0,
        None,
        1.0,
    );
    check(
        find(&rows, "NI16", AreaLevel::La, GAMMA, q),
        1.0,
        5000.0,
        None,
        0.2,
    );
    check(
        find(&rows, "NI16", AreaLevel::Region, NORTH_WEST, q),
        4.0,
        3000.0,
        None,
        4000.0 / 3000.0,
    );
    check(
        find(&rows, "NI16", AreaLevel::National, EW, q),
        5.0,
        8000.0,
        None,
        0.625,
    );
}

// ---------------------------------------------------------------------------
// PSA23.5 and NI19

/// PSA23.5 (adult) and NI19 (juvenile), financial year 2008-09: cohort_start
/// in [2008-04-01, 2009-03-31]; window D < offence <= D + 365, proven by
/// D + 547.
///
/// | person | group    | LA    | start      | predicted |
/// |--------|----------|-------|------------|-----------|
/// | 1      | adult    | Alpha | 2008-04-01 | 1.5       |
/// | 2      | adult    | Beta  | 2009-03-31 | 0.5       |
/// | 3      | adult    | Gamma | 2009-04-01 | 2.0       | (2009-10)
/// | 4      | juvenile | Alpha | 2008-09-01 | 1.0       |
/// | 5      | adult    | Alpha | 2008-05-01 | 0.8       |
/// | 6      | juvenile | Gamma | 2008-07-01 | 0.6       |
/// | 7      | adult    | Alpha | 2008-03-31 | 0.9       | (2007-08)
///
/// Person 1: D = 2008-04-01, D + 365 = 2009-04-01 (no 29 February in
/// between), D + 547 = 2009-09-30 (30 Apr +29, 31 May +60, 30 Jun +90, 31 Jul
/// +121, 31 Aug +152, 30 Sep +182). Offences (committed / proven):
/// 2008-04-01 (= D: out); 2008-06-01 / 2008-07-01 (in); 2009-04-01 /
/// 2009-09-30 (both edges: in); 2009-04-02 (day 366: out); 2008-12-01 /
/// 2009-10-01 (proven a day late: out) -> 2.
/// Person 2: D = 2009-03-31: 2009-03-31 (= D: out), 2009-05-01 (in) -> 1.
/// Person 5: D = 2008-05-01, D + 365 = 2009-05-01: 2009-04-15 (in) -> 1.
/// Person 4 (juvenile): 2008-10-01 and 2009-01-01 (in) -> 2.
/// Person 6 (juvenile): 2008-08-01 (in) -> 1.
/// Person 3 (2009-10): 2009-05-01 (in) -> 1. Person 7 (2007-08): 2008-05-01.
///
/// PSA23.5 2008-09: Alpha persons 1, 5: 3 re-offences / 2 offenders -> 150
/// per 100, expected 1.5 + 0.8 = 2.3; Beta person 2: 1 / 1 -> 100, expected
/// 0.5; North West and England and Wales (Gamma has no adult in 2008-09):
/// 4 / 3 -> 133.333333, expected 2.8.
/// PSA23.5 2009-10: Gamma, London, England and Wales: 1 / 1 -> 100,
/// expected 2.0. 2007-08: Alpha 1 / 1 -> 100, expected 0.9.
/// NI19 2008-09: Alpha 2 / 1 -> 200, expected 1.0; North West the same;
/// Gamma 1 / 1 -> 100, expected 0.6; England and Wales 3 / 2 -> 150,
/// expected 1.6.
#[test]
fn psa23_5_and_ni19_hand_worked() {
    let tmp = tempfile::tempdir().unwrap();
    let (data, defs) = (tmp.path().join("data"), tmp.path().join("defs"));
    write_areas(&data);
    manifest(&data);
    write_table(
        &data.join("reoffending_cohort.parquet"),
        vec![
            ("person_id", Col::I(vec![1, 2, 3, 4, 5, 6, 7])),
            (
                "cohort_start",
                Col::D(vec![
                    "2008-04-01",
                    "2009-03-31",
                    "2009-04-01",
                    "2008-09-01",
                    "2008-05-01",
                    "2008-07-01",
                    "2008-03-31",
                ]),
            ),
            (
                "age_group",
                Col::S(vec![
                    "adult", "adult", "adult", "juvenile", "adult", "juvenile", "adult",
                ]),
            ),
            (
                "disposal",
                Col::S(vec![
                    "custody",
                    "court_order",
                    "caution",
                    "pre_court",
                    "court_order",
                    "court_order",
                    "custody",
                ]),
            ),
            (
                "la_code",
                Col::S(vec![ALPHA, BETA, GAMMA, ALPHA, ALPHA, GAMMA, ALPHA]),
            ),
            (
                "predicted_reoffences_1y",
                Col::F(vec![
                    Some(1.5),
                    Some(0.5),
                    Some(2.0),
                    Some(1.0),
                    Some(0.8),
                    Some(0.6),
                    Some(0.9),
                ]),
            ),
        ],
    );
    write_table(
        &data.join("offences.parquet"),
        vec![
            (
                "person_id",
                Col::I(vec![1, 1, 1, 1, 1, 2, 2, 5, 4, 4, 6, 3, 7]),
            ),
            (
                "offence_date",
                Col::D(vec![
                    "2008-04-01",
                    "2008-06-01",
                    "2009-04-01",
                    "2009-04-02",
                    "2008-12-01",
                    "2009-03-31",
                    "2009-05-01",
                    "2009-04-15",
                    "2008-10-01",
                    "2009-01-01",
                    "2008-08-01",
                    "2009-05-01",
                    "2008-05-01",
                ]),
            ),
            (
                "disposal_date",
                Col::D(vec![
                    "2008-05-01",
                    "2008-07-01",
                    "2009-09-30",
                    "2009-05-01",
                    "2009-10-01",
                    "2009-04-15",
                    "2009-06-01",
                    "2009-05-01",
                    "2008-11-01",
                    "2009-02-01",
                    "2008-09-01",
                    "2009-06-01",
                    "2008-06-01",
                ]),
            ),
            ("offence_group", Col::S(vec!["other"; 13])),
            ("la_code", Col::S(vec![ALPHA; 13])),
        ],
    );
    // the definitions' 2005-06 baseline is before this extract, which
    // validation refuses (every baseline would be empty): 2007-08 is inside
    copy_definitions(&defs, &["psa23-5.yaml", "ni19.yaml"], |t| {
        t.replace("disclosure_threshold: 5", "disclosure_threshold: 1")
            .replace("baseline: \"2005-06\"", "baseline: \"2007-08\"")
    });
    let rows = run(&defs, &data, &["PSA23.5", "NI19"]);
    let y = "2008-09";
    check(
        find(&rows, "PSA23.5", AreaLevel::La, ALPHA, y),
        3.0,
        2.0,
        Some(2.3),
        150.0,
    );
    check(
        find(&rows, "PSA23.5", AreaLevel::La, BETA, y),
        1.0,
        1.0,
        Some(0.5),
        100.0,
    );
    check(
        find(&rows, "PSA23.5", AreaLevel::Region, NORTH_WEST, y),
        4.0,
        3.0,
        Some(2.8),
        400.0 / 3.0,
    );
    check(
        find(&rows, "PSA23.5", AreaLevel::National, EW, y),
        4.0,
        3.0,
        Some(2.8),
        400.0 / 3.0,
    );
    check(
        find(&rows, "PSA23.5", AreaLevel::La, GAMMA, "2009-10"),
        1.0,
        1.0,
        Some(2.0),
        100.0,
    );
    check(
        find(&rows, "PSA23.5", AreaLevel::National, EW, "2009-10"),
        1.0,
        1.0,
        Some(2.0),
        100.0,
    );
    check(
        find(&rows, "PSA23.5", AreaLevel::La, ALPHA, "2007-08"),
        1.0,
        1.0,
        Some(0.9),
        100.0,
    );
    check(
        find(&rows, "NI19", AreaLevel::La, ALPHA, y),
        2.0,
        1.0,
        Some(1.0),
        200.0,
    );
    check(
        find(&rows, "NI19", AreaLevel::Region, NORTH_WEST, y),
        2.0,
        1.0,
        Some(1.0),
        200.0,
    );
    check(
        find(&rows, "NI19", AreaLevel::La, GAMMA, y),
        1.0,
        1.0,
        Some(0.6),
        100.0,
    );
    check(
        find(&rows, "NI19", AreaLevel::National, EW, y),
        3.0,
        2.0,
        Some(1.6),
        150.0,
    );
}

// ---------------------------------------------------------------------------
// NI115

/// Write `tellus_survey` (nullable Boolean answers, which `Col` lacks).
#[allow(clippy::type_complexity)]
fn write_tellus(
    dir: &Path,
    rows: &[(
        i64,
        &str,
        i64,
        f64,
        Option<bool>,
        Option<bool>,
        Option<bool>,
    )],
) {
    let fields = vec![
        Field::new("respondent_id", DataType::Int64, false),
        Field::new("la_code", DataType::Utf8, false),
        Field::new("survey_year", DataType::Int64, false),
        Field::new("school_year", DataType::Int64, false),
        Field::new("weight", DataType::Float64, false),
        Field::new("drunk_2plus_4wk", DataType::Boolean, true),
        Field::new("drugs_2plus_4wk", DataType::Boolean, true),
        Field::new("volatile_2plus_4wk", DataType::Boolean, true),
    ];
    let arrays: Vec<ArrayRef> = vec![
        Arc::new(Int64Array::from_iter_values(rows.iter().map(|r| r.0))),
        Arc::new(StringArray::from_iter_values(rows.iter().map(|r| r.1))),
        Arc::new(Int64Array::from_iter_values(rows.iter().map(|r| r.2))),
        Arc::new(Int64Array::from_iter_values(rows.iter().map(|_| 8))),
        Arc::new(Float64Array::from_iter_values(rows.iter().map(|r| r.3))),
        Arc::new(BooleanArray::from(
            rows.iter().map(|r| r.4).collect::<Vec<_>>(),
        )),
        Arc::new(BooleanArray::from(
            rows.iter().map(|r| r.5).collect::<Vec<_>>(),
        )),
        Arc::new(BooleanArray::from(
            rows.iter().map(|r| r.6).collect::<Vec<_>>(),
        )),
    ];
    write_batch(&dir.join("tellus_survey.parquet"), fields, arrays);
}

/// NI115, calendar years 2008 and 2009 (weight; drunk, drugs, volatile):
///
/// | id | LA    | year | weight | answers              | counted | any |
/// |----|-------|------|--------|----------------------|---------|-----|
/// | 1  | Alpha | 2008 | 1.0    | true, false, false   | yes     | yes |
/// | 2  | Alpha | 2008 | 2.0    | false, false, false  | yes     | no  |
/// | 3  | Alpha | 2008 | 1.5    | null, null, null     | no      |     |
/// | 4  | Alpha | 2008 | 0.5    | null, true, null     | yes     | yes |
/// | 5  | Beta  | 2008 | 2.0    | false, null, false   | yes     | no  |
/// | 6  | Beta  | 2008 | 1.0    | false, false, true   | yes     | yes |
/// | 7  | Gamma | 2008 | 4.0    | false, true, false   | yes     | yes |
/// | 8  | Gamma | 2008 | 4.0    | null, null, null     | no      |     |
/// | 9  | Gamma | 2008 | 1.0    | false, false, false  | yes     | no  |
/// | 10 | Alpha | 2009 | 3.0    | true, null, null     | yes     | yes |
/// | 11 | Alpha | 2009 | 1.0    | false, false, false  | yes     | no  |
///
/// 2008: Alpha 1.0 + 0.5 = 1.5 of 1.0 + 2.0 + 0.5 = 3.5 -> 100 x 1.5 / 3.5 =
/// 42.857143; Beta 1.0 of 3.0 -> 33.333333; Gamma 4.0 of 5.0 -> 80; North
/// West 2.5 of 6.5 -> 38.461538; England and Wales 6.5 of 11.5 -> 56.521739.
/// 2009: Alpha 3.0 of 4.0 -> 75.
#[test]
fn ni115_hand_worked() {
    let tmp = tempfile::tempdir().unwrap();
    let (data, defs) = (tmp.path().join("data"), tmp.path().join("defs"));
    write_areas(&data);
    manifest(&data);
    let (t, f) = (Some(true), Some(false));
    write_tellus(
        &data,
        &[
            (1, ALPHA, 2008, 1.0, t, f, f),
            (2, ALPHA, 2008, 2.0, f, f, f),
            (3, ALPHA, 2008, 1.5, None, None, None),
            (4, ALPHA, 2008, 0.5, None, t, None),
            (5, BETA, 2008, 2.0, f, None, f),
            (6, BETA, 2008, 1.0, f, f, t),
            (7, GAMMA, 2008, 4.0, f, t, f),
            (8, GAMMA, 2008, 4.0, None, None, None),
            (9, GAMMA, 2008, 1.0, f, f, f),
            (10, ALPHA, 2009, 3.0, t, None, None),
            (11, ALPHA, 2009, 1.0, f, f, f),
        ],
    );
    defs_threshold_1(&defs, &["ni115.yaml"]);
    let rows = run(&defs, &data, &["NI115"]);
    check(
        find(&rows, "NI115", AreaLevel::La, ALPHA, "2008"),
        1.5,
        3.5,
        None,
        100.0 * 1.5 / 3.5,
    );
    check(
        find(&rows, "NI115", AreaLevel::La, BETA, "2008"),
        1.0,
        3.0,
        None,
        100.0 / 3.0,
    );
    check(
        find(&rows, "NI115", AreaLevel::La, GAMMA, "2008"),
        4.0,
        5.0,
        None,
        80.0,
    );
    check(
        find(&rows, "NI115", AreaLevel::Region, NORTH_WEST, "2008"),
        2.5,
        6.5,
        None,
        100.0 * 2.5 / 6.5,
    );
    check(
        find(&rows, "NI115", AreaLevel::National, EW, "2008"),
        6.5,
        11.5,
        None,
        100.0 * 6.5 / 11.5,
    );
    check(
        find(&rows, "NI115", AreaLevel::La, ALPHA, "2009"),
        3.0,
        4.0,
        None,
        75.0,
    );
}

// ---------------------------------------------------------------------------
// NI38.rate

/// NI38.rate, quarter 2008-09 Q1 (April-June 2008):
/// - person 1: positive tests 10 Apr (test 1, Alpha, predicted 2.0) and
///   1 May (test 2, 5.0): counted once, at 10 Apr, predicted 2.0;
/// - person 2: negative test: not in the cohort;
/// - person 3: two positive tests on 30 Jun, test 4 (Beta, 1.5) and test 5
///   (Alpha, 9.0): the tie goes to the lowest test_id: Beta, 1.5;
/// - person 4: tested 1 Jul: Q2 (Alpha, 3.0);
/// - person 5: tested 1 Apr (test 7, Alpha, 1.0), first day of Q1: in.
///
/// Person 1 (D = 2008-04-10, D + 365 = 2009-04-10, proven by D + 547 =
/// 2009-10-09): 2008-04-10 (= D: out), 2008-04-11 (in), 2008-12-01 proven
/// 2009-01-15 (in), 2009-04-10 proven 2009-10-09 (both edges: in),
/// 2009-04-11 (out), 2009-01-01 proven 2009-10-10 (late: out) -> 3.
/// Person 3 (D = 2008-06-30): 2008-06-30 (out), 2008-07-15 (in) -> 1.
/// Person 5: no offences -> 0. Person 2's offence: not in the cohort.
/// Person 4 (Q2, D = 2008-07-01): 2008-08-01 (in) -> 1.
///
/// Q1: Alpha 3 offences / 2 people -> 150 per 100, expected 2.0 + 1.0 = 3.0;
/// Beta 1 / 1 -> 100, expected 1.5; North West and England and Wales 4 / 3
/// -> 133.333333, expected 4.5. Q2: Alpha 1 / 1 -> 100, expected 3.0.
#[test]
fn ni38_rate_hand_worked() {
    let tmp = tempfile::tempdir().unwrap();
    let (data, defs) = (tmp.path().join("data"), tmp.path().join("defs"));
    write_areas(&data);
    manifest(&data);
    write_table(
        &data.join("dip_tests.parquet"),
        vec![
            ("test_id", Col::I(vec![1, 2, 3, 4, 5, 6, 7])),
            ("person_id", Col::I(vec![1, 1, 2, 3, 3, 4, 5])),
            (
                "test_date",
                Col::D(vec![
                    "2008-04-10",
                    "2008-05-01",
                    "2008-04-20",
                    "2008-06-30",
                    "2008-06-30",
                    "2008-07-01",
                    "2008-04-01",
                ]),
            ),
            (
                "la_code",
                Col::S(vec![ALPHA, ALPHA, BETA, BETA, ALPHA, ALPHA, ALPHA]),
            ),
            (
                "result",
                Col::S(vec![
                    "opiates", "cocaine", "negative", "both", "opiates", "opiates", "cocaine",
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
                    Some(1.0),
                ]),
            ),
        ],
    );
    write_table(
        &data.join("offences.parquet"),
        vec![
            ("person_id", Col::I(vec![1, 1, 1, 1, 1, 1, 3, 3, 2, 4])),
            (
                "offence_date",
                Col::D(vec![
                    "2008-04-10",
                    "2008-04-11",
                    "2008-12-01",
                    "2009-04-10",
                    "2009-04-11",
                    "2009-01-01",
                    "2008-06-30",
                    "2008-07-15",
                    "2008-05-01",
                    "2008-08-01",
                ]),
            ),
            (
                "disposal_date",
                Col::D(vec![
                    "2008-05-01",
                    "2008-05-01",
                    "2009-01-15",
                    "2009-10-09",
                    "2009-05-01",
                    "2009-10-10",
                    "2008-08-01",
                    "2008-08-01",
                    "2008-06-01",
                    "2008-09-01",
                ]),
            ),
            ("offence_group", Col::S(vec!["drugs"; 10])),
            ("la_code", Col::S(vec![ALPHA; 10])),
        ],
    );
    defs_threshold_1(&defs, &["ni38-rate.yaml"]);
    let rows = run(&defs, &data, &["NI38.rate"]);
    let q1 = "2008-09 Q1";
    check(
        find(&rows, "NI38.rate", AreaLevel::La, ALPHA, q1),
        3.0,
        2.0,
        Some(3.0),
        150.0,
    );
    check(
        find(&rows, "NI38.rate", AreaLevel::La, BETA, q1),
        1.0,
        1.0,
        Some(1.5),
        100.0,
    );
    check(
        find(&rows, "NI38.rate", AreaLevel::Region, NORTH_WEST, q1),
        4.0,
        3.0,
        Some(4.5),
        400.0 / 3.0,
    );
    check(
        find(&rows, "NI38.rate", AreaLevel::National, EW, q1),
        4.0,
        3.0,
        Some(4.5),
        400.0 / 3.0,
    );
    check(
        find(&rows, "NI38.rate", AreaLevel::La, ALPHA, "2008-09 Q2"),
        1.0,
        1.0,
        Some(3.0),
        100.0,
    );
}
