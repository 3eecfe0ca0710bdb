//! Packs built by the real binary on tiny hand-made extracts whose
//! figures are worked out in the comments: duplicate rows in the
//! data-quality section, and revisions against an earlier edition.

mod common;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

use common::*;

const EPOCH: &str = "1270000000";
const NATIONAL: &str = "E92000001+W92000004";

/// A one-indicator DOM pack definition and the extract keys beside it.
fn reports(dir: &Path) -> PathBuf {
    std::fs::create_dir_all(dir).expect("mkdir");
    std::fs::write(
        dir.join("dom.yaml"),
        "title: Hand-built pack\nsections: [cover, exceptions, overview, indicators, revisions, data_quality, appendix]\nindicators:\n  - id: NI38\n    charts: [trend, la_comparison, funnel]\n",
    )
    .expect("write dom.yaml");
    std::fs::write(
        dir.join("extract-keys.yaml"),
        "areas: [la_code]\noffences: [person_id, offence_date, disposal_date, offence_group, la_code]\ndip_tests: [test_id]\n",
    )
    .expect("write keys");
    dir.to_path_buf()
}

/// NI38 with disclosure threshold 1, so no LA figure is suppressed.
fn definitions(dir: &Path) -> PathBuf {
    copy_definitions(dir, &["ni38.yaml"], |t| {
        t.replace("disclosure_threshold: 5", "disclosure_threshold: 1")
    });
    dir.to_path_buf()
}

/// North West: Alpha and Beta.
const NORTH_WEST: &str = "E12000002";

/// A pack's inputs: the extract, the indicator definitions and the pack
/// definitions.
struct Inputs {
    data: PathBuf,
    defs: PathBuf,
    reports: PathBuf,
}

impl Inputs {
    /// Run `pireport pack dom` for `region` (or `all`) at `quarter`.
    fn pack(
        &self,
        region: &str,
        quarter: &str,
        out: &Path,
        previous: Option<&Path>,
    ) -> std::process::Output {
        let mut c = Command::new(env!("CARGO_BIN_EXE_pireport"));
        c.env("SOURCE_DATE_EPOCH", EPOCH)
            .args(["pack", "dom", "--region", region, "--quarter", quarter])
            .arg("--indicators")
            .arg(&self.defs)
            .arg("--data")
            .arg(&self.data)
            .arg("--reports")
            .arg(&self.reports)
            .arg("--out")
            .arg(out);
        if let Some(p) = previous {
            c.arg("--previous").arg(p);
        }
        c.output().expect("run pireport")
    }
}

/// The extract of [`OFFENCES`] with no dip test beyond the cohort's, the
/// NI38 definitions and the pack definition, under `dir`.
fn standard_inputs(dir: &Path) -> Inputs {
    let data = dir.join("data");
    write_areas(&data);
    manifest(&data);
    dip_tests(&data, &[]);
    offences(&data, OFFENCES);
    Inputs {
        data,
        defs: definitions(&dir.join("defs")),
        reports: reports(&dir.join("reports")),
    }
}

fn built(o: std::process::Output) {
    assert!(
        o.status.success(),
        "pack failed: {}",
        String::from_utf8_lossy(&o.stderr)
    );
}

/// Dip tests of the NI38 cohort of 2008-09 Q1 (as in engine_hand_built):
/// Alpha: person 1 (test 1, predicted 2.0; test 2 later in the quarter);
/// Beta: person 3 (tests 4 and 5 on 30 June, the lowest id, 4, counted,
/// predicted 1.5); person 2 negative; person 4 tested 1 July, in Q2
/// (Alpha, predicted 3.0).
fn dip_tests(dir: &Path, extra: &[(i64, i64, &'static str, &'static str, &'static str, f64)]) {
    let mut rows = vec![
        (1, 1, "2008-04-10", "E08000001", "opiates", 2.0),
        (2, 1, "2008-05-01", "E08000001", "cocaine", 5.0),
        (3, 2, "2008-04-10", "E08000002", "negative", 0.0),
        (4, 3, "2008-06-30", "E08000002", "both", 1.5),
        (5, 3, "2008-06-30", "E08000001", "opiates", 9.0),
        (6, 4, "2008-07-01", "E08000001", "opiates", 3.0),
    ];
    rows.extend_from_slice(extra);
    write_table(
        &dir.join("dip_tests.parquet"),
        vec![
            ("test_id", Col::I(rows.iter().map(|r| r.0).collect())),
            ("person_id", Col::I(rows.iter().map(|r| r.1).collect())),
            ("test_date", Col::D(rows.iter().map(|r| r.2).collect())),
            ("la_code", Col::S(rows.iter().map(|r| r.3).collect())),
            ("result", Col::S(rows.iter().map(|r| r.4).collect())),
            (
                "predicted_offences_1y",
                Col::F(
                    rows.iter()
                        .map(|r| (r.4 != "negative").then_some(r.5))
                        .collect(),
                ),
            ),
        ],
    );
}

type Offence = (i64, &'static str, &'static str, &'static str);

/// Offences (person, offence date, disposal date, group), all in Alpha's
/// records. Person 1 (tested 10 Apr 2008): 11 Apr 2008 and 10 Apr 2009
/// (proven 9 Oct 2009, on the boundary) count, so Alpha has 2 offences;
/// 10 Apr 2008 (not after the test), 11 Apr 2009 (after the year) and
/// 1 Jan 2009 proven 10 Oct 2009 (too late) do not. Person 3 (tested
/// 30 Jun 2008): 15 Jul 2008 counts, 30 Jun 2008 does not: Beta has 1.
const OFFENCES: &[Offence] = &[
    (1, "2008-04-10", "2008-05-01", "drugs"),
    (1, "2008-04-11", "2008-05-01", "drugs"),
    (1, "2009-04-10", "2009-10-09", "drugs"),
    (1, "2009-04-11", "2009-05-01", "drugs"),
    (1, "2009-01-01", "2009-10-10", "drugs"),
    (3, "2008-06-30", "2008-08-01", "drugs"),
    (3, "2008-07-15", "2008-08-01", "drugs"),
    (2, "2008-05-01", "2008-06-01", "drugs"),
];

fn offences(dir: &Path, rows: &[Offence]) {
    write_table(
        &dir.join("offences.parquet"),
        vec![
            ("person_id", Col::I(rows.iter().map(|r| r.0).collect())),
            ("offence_date", Col::D(rows.iter().map(|r| r.1).collect())),
            ("disposal_date", Col::D(rows.iter().map(|r| r.2).collect())),
            ("offence_group", Col::S(rows.iter().map(|r| r.3).collect())),
            ("la_code", Col::S(vec!["E08000001"; rows.len()])),
        ],
    );
}

/// The cells of the data-quality table's row for `table`.
fn quality_row(html: &str, table: &str) -> Vec<String> {
    let start = html
        .find("<h3>Rows read per extract table</h3>")
        .expect("quality table");
    let end = start + html[start..].find("</table>").expect("table end");
    let row = html[start..end]
        .split("<tr>")
        .find(|r| r.starts_with(&format!("<td>{table}</td>")))
        .unwrap_or_else(|| panic!("no quality row for {table}"));
    row.split("</td>")
        .filter(|c| c.contains("<td"))
        .filter_map(|c| c.rfind('>').map(|i| c[i + 1..].to_string()))
        .collect()
}

/// Duplicates by the keys of extract-keys.yaml:
/// - dip_tests (key test_id): the 6 tests plus two more copies of test 2
///   (2 duplicates), one more of test 6 (1 duplicate) and test 7, a new id
///   on person 3's date of 30 June (not a duplicate): 10 rows, 3 duplicates;
/// - offences (key: every column): the 8 offences plus a second copy of
///   person 3's 15 July offence (1 duplicate), two more of person 2's
///   (2 duplicates) and person 1's 11 April offence in another offence
///   group (not a duplicate): 12 rows, 3 duplicates;
/// - areas (key la_code): 3 rows, none.
#[test]
fn data_quality_counts_duplicate_rows_by_key() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let data = tmp.path().join("data");
    write_areas(&data);
    manifest(&data);
    dip_tests(
        &data,
        &[
            (2, 1, "2008-05-01", "E08000001", "cocaine", 5.0),
            (2, 1, "2008-05-01", "E08000001", "cocaine", 5.0),
            (6, 4, "2008-07-01", "E08000001", "opiates", 3.0),
            (7, 3, "2008-06-30", "E08000002", "both", 1.5),
        ],
    );
    let mut offs = OFFENCES.to_vec();
    offs.push((3, "2008-07-15", "2008-08-01", "drugs"));
    offs.push((2, "2008-05-01", "2008-06-01", "drugs"));
    offs.push((2, "2008-05-01", "2008-06-01", "drugs"));
    offs.push((1, "2008-04-11", "2008-05-01", "violence"));
    offences(&data, &offs);
    let inputs = Inputs {
        data,
        defs: definitions(&tmp.path().join("defs")),
        reports: reports(&tmp.path().join("reports")),
    };
    let out = tmp.path().join("pack");
    built(inputs.pack(NORTH_WEST, "2008-09 Q1", &out, None));
    let html = std::fs::read_to_string(out.join("index.html")).expect("index.html");
    assert_eq!(
        quality_row(&html, "dip_tests"),
        ["dip_tests", "10", "0", "0 (test_date)", "test_id", "3"]
    );
    assert_eq!(
        quality_row(&html, "offences"),
        [
            "offences",
            "12",
            "",
            "",
            "person_id, offence_date, disposal_date, offence_group, la_code",
            "3"
        ]
    );
    assert_eq!(
        quality_row(&html, "areas"),
        ["areas", "3", "", "", "la_code", "0"]
    );
    // the keys file is an input of the pack, hashed in the manifest
    let m: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("manifest.json")).expect("manifest"))
            .expect("json");
    assert!(m["inputs"]["reports/extract-keys.yaml"].is_string(), "{m}");
}

#[test]
fn a_key_column_the_table_lacks_is_refused() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let inputs = standard_inputs(tmp.path());
    std::fs::write(
        inputs.reports.join("extract-keys.yaml"),
        "dip_tests: [test_ident]\n",
    )
    .expect("write keys");
    let out = tmp.path().join("pack");
    let o = inputs.pack(NORTH_WEST, "2008-09 Q1", &out, None);
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(
        err.contains("extract-keys.yaml: table `dip_tests` has no column `test_ident`"),
        "{err}"
    );
    assert!(err.contains("test_id"), "no hint: {err}");
    assert!(!out.exists(), "a partial pack was left");
}

/// One line of revisions.csv: (area code, period, column) -> (previous, current).
type RevisionLine = ((String, String, String), (String, String));

fn revision_lines(csv: &str) -> Vec<RevisionLine> {
    let mut lines = csv.lines();
    assert_eq!(
        lines.next(),
        Some("indicator,area_code,area_name,period,column,previous,current")
    );
    lines
        .map(|l| {
            let f: Vec<&str> = l.split(',').collect();
            assert_eq!(f.len(), 7, "{l}");
            assert_eq!(f[0], "NI38");
            (
                (f[1].to_string(), f[3].to_string(), f[4].to_string()),
                (f[5].to_string(), f[6].to_string()),
            )
        })
        .collect()
}

fn near(text: &str, want: f64) {
    let got: f64 = text.parse().unwrap_or_else(|_| panic!("`{text}`"));
    assert!((got - want).abs() < 2e-6, "{got} against {want}");
}

/// Edition 1 is the pack for 2008-09 Q1. Edition 2, for 2008-09 Q2, is
/// built after a late record: person 3 (Beta, tested 30 Jun 2008,
/// predicted 1.5) has an offence on 1 Sep 2008 proven 1 Oct 2008, inside
/// the window. So for 2008-09 Q1 (already published):
/// - Beta: offences 1 -> 2, ratio 1/1.5 = 0.666667 -> 2/1.5 = 1.333333;
///   exact Poisson 95% limits (fewer than 10 events) on the count divided
///   by 1.5: 1 event 0.025318 to 5.571643 -> 0.016879 to 3.714429;
///   2 events 0.242209 to 7.224688 -> 0.161473 to 4.816458;
/// - North West and England and Wales (Gamma has no tests): 3 -> 4
///   offences over 3.5 predicted, 0.857143 -> 1.142857; limits
///   0.618672 to 8.767273 -> 0.176763 to 2.504935, and 1.089865 to
///   10.241589 -> 0.311390 to 2.926168;
/// - Alpha is unchanged (2 of 2.0), and so is every denominator and
///   expected count; statuses stay as they were (the baseline 2007-08 Q4
///   has no data, so there is no status against it).
///
/// 2008-09 Q2 (person 4, Alpha, 0 of 3.0) was not in edition 1: movement
/// between periods, not a revision, so nothing of Q2 is listed.
#[test]
fn previous_edition_flags_exactly_the_revised_figures() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let inputs = standard_inputs(tmp.path());
    let first = tmp.path().join("edition-1");
    built(inputs.pack(NORTH_WEST, "2008-09 Q1", &first, None));
    assert!(
        !first.join("revisions.csv").exists(),
        "no --previous, no revisions"
    );

    let mut late = OFFENCES.to_vec();
    late.push((3, "2008-09-01", "2008-10-01", "drugs"));
    offences(&inputs.data, &late);
    let second = tmp.path().join("edition-2");
    built(inputs.pack(NORTH_WEST, "2008-09 Q2", &second, Some(&first)));
    let csv = std::fs::read_to_string(second.join("revisions.csv")).expect("revisions.csv");
    let lines = revision_lines(&csv);
    let keys: BTreeSet<(String, String, String)> = lines.iter().map(|l| l.0.clone()).collect();
    assert_eq!(keys.len(), lines.len(), "a figure listed twice");
    let mut want = BTreeSet::new();
    for area in ["E08000002", "E12000002", NATIONAL] {
        for column in ["numerator", "value", "ci_lower", "ci_upper"] {
            want.insert((
                area.to_string(),
                "2008-09 Q1".to_string(),
                column.to_string(),
            ));
        }
    }
    assert_eq!(keys, want, "{csv}");
    let get = |area: &str, column: &str| {
        lines
            .iter()
            .find(|l| l.0.0 == area && l.0.2 == column)
            .map(|l| l.1.clone())
            .expect("line")
    };
    assert_eq!(get("E08000002", "numerator"), ("1".into(), "2".into()));
    let (a, b) = get("E08000002", "value");
    near(&a, 1.0 / 1.5);
    near(&b, 2.0 / 1.5);
    let (a, b) = get("E08000002", "ci_lower");
    near(&a, 0.016879);
    near(&b, 0.161473);
    let (a, b) = get("E08000002", "ci_upper");
    near(&a, 3.714429);
    near(&b, 4.816458);
    for area in ["E12000002", NATIONAL] {
        assert_eq!(get(area, "numerator"), ("3".into(), "4".into()));
        let (a, b) = get(area, "value");
        near(&a, 3.0 / 3.5);
        near(&b, 4.0 / 3.5);
        let (a, b) = get(area, "ci_lower");
        near(&a, 0.176763);
        near(&b, 0.311390);
        let (a, b) = get(area, "ci_upper");
        near(&a, 2.504935);
        near(&b, 2.926168);
    }
    // Q2 is in edition 2's tables (movement), but never a revision
    let table = std::fs::read_to_string(second.join("tables/NI38.csv")).expect("table");
    assert!(
        table
            .lines()
            .any(|l| l.starts_with("NI38,la,E08000001,Alpha,2008-09 Q2,0,3,3,0,")),
        "{table}"
    );
    // the HTML section lists the same 12 figures
    let html = std::fs::read_to_string(second.join("index.html")).expect("index.html");
    let section = &html[html.find("id=\"revisions\"").expect("revisions section")..];
    let section = &section[..section.find("</section>").expect("end")];
    assert!(section.contains("<p>12 figures published"), "{section}");
    assert_eq!(section.matches("<tr><td>NI38</td>").count(), 12);
}

/// Every region's packs at once (`--region all`): with `--previous`, the
/// directory of the earlier packs, each region's pack is compared with its
/// own earlier edition. The late record of the test above revises North
/// West's figures for 2008-09 Q1 exactly as there; London's earlier
/// edition is removed, as for a region new to the set, so London's pack
/// has no revision check and the run says so.
#[test]
fn every_regions_pack_is_compared_with_its_own_earlier_edition() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let inputs = standard_inputs(tmp.path());
    let all = |quarter: &str, out: &Path, previous: Option<&Path>| {
        inputs.pack("all", quarter, out, previous)
    };
    let first = tmp.path().join("edition-1");
    built(all("2008-09 Q1", &first, None));
    assert_eq!(entries(&first), ["E12000002", "E12000007"]);
    std::fs::remove_dir_all(first.join("E12000007")).expect("remove London");

    // one pack is not a set: refused before any work
    let o = all(
        "2008-09 Q2",
        &tmp.path().join("refused"),
        Some(&first.join("E12000002")),
    );
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("is one pack, not a set"));
    assert!(!tmp.path().join("refused").exists());

    let mut late = OFFENCES.to_vec();
    late.push((3, "2008-09-01", "2008-10-01", "drugs"));
    offences(&inputs.data, &late);
    let second = tmp.path().join("edition-2");
    let o = all("2008-09 Q2", &second, Some(&first));
    let err = String::from_utf8_lossy(&o.stderr).into_owned();
    assert!(o.status.success(), "{err}");
    assert!(
        err.contains("has no earlier edition of E12000007: its revisions are not checked"),
        "{err}"
    );
    assert!(!second.join("E12000007/revisions.csv").exists());
    let csv = std::fs::read_to_string(second.join("E12000002/revisions.csv")).expect("csv");
    let lines = revision_lines(&csv);
    let keys: BTreeSet<(String, String, String)> = lines.iter().map(|l| l.0.clone()).collect();
    let mut want = BTreeSet::new();
    for area in ["E08000002", "E12000002", NATIONAL] {
        for column in ["numerator", "value", "ci_lower", "ci_upper"] {
            want.insert((area.into(), "2008-09 Q1".into(), column.into()));
        }
    }
    assert_eq!(keys, want, "{csv}");
    let numerator = |area: &str| {
        lines
            .iter()
            .find(|l| l.0.0 == area && l.0.2 == "numerator")
            .map(|l| l.1.clone())
            .expect("line")
    };
    assert_eq!(numerator("E08000002"), ("1".into(), "2".into()));
    assert_eq!(numerator(NATIONAL), ("3".into(), "4".into()));
}

/// Rebuilding edition 1 from the same extract with `--previous` pointing
/// at itself lists no revision at all.
#[test]
fn an_unchanged_extract_has_no_revisions() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let inputs = standard_inputs(tmp.path());
    let first = tmp.path().join("edition-1");
    built(inputs.pack(NORTH_WEST, "2008-09 Q1", &first, None));
    let second = tmp.path().join("edition-2");
    built(inputs.pack(NORTH_WEST, "2008-09 Q2", &second, Some(&first)));
    let csv = std::fs::read_to_string(second.join("revisions.csv")).expect("revisions.csv");
    assert_eq!(
        csv,
        "indicator,area_code,area_name,period,column,previous,current\n"
    );
    let html = std::fs::read_to_string(second.join("index.html")).expect("index.html");
    assert!(html.contains("No figure published in the previous edition has changed."));
}
