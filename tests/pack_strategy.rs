//! The national drug strategy report (`pack strategy`) end to end: built
//! by the real binary from data-samples, then its figures checked against
//! ones computed here from the Parquet extract with plain SQL (not the
//! engine): rMDT for England and Wales (value, Wilson interval, baseline,
//! the year-on-year target and its status) and DRR completion by region.
//! Also: sections in the strategy's order, a byte-for-byte rebuild, and a
//! bad year refused with exit 2 and nothing written.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use calamine::{Data, Reader, Xlsx, open_workbook};
use datafusion::arrow::array::{Array, Float64Array, StringArray};
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::DataType;
use datafusion::prelude::{ParquetReadOptions, SessionContext};

mod common;
use common::files;

const YEAR: &str = "2009-10";
const EPOCH: &str = "1270000000";
const NATIONAL: &str = "E92000001+W92000004";

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn build(out: &Path, year: &str) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_pireport"))
        .current_dir(root())
        .env("SOURCE_DATE_EPOCH", EPOCH)
        .args(["pack", "strategy", "--year", year, "--out"])
        .arg(out)
        .output()
        .expect("run pireport")
}

/// The report built twice (for the determinism test).
fn packs() -> &'static (tempfile::TempDir, PathBuf, PathBuf) {
    static PACKS: OnceLock<(tempfile::TempDir, PathBuf, PathBuf)> = OnceLock::new();
    PACKS.get_or_init(|| {
        let dir = tempfile::tempdir().expect("temp dir");
        let a = dir.path().join("a");
        let b = dir.path().join("b");
        for p in [&a, &b] {
            let o = build(p, YEAR);
            assert!(
                o.status.success(),
                "pack strategy failed: {}",
                String::from_utf8_lossy(&o.stderr)
            );
        }
        (dir, a, b)
    })
}

fn pack() -> &'static Path {
    &packs().1
}

/// Rows of `sql` over the sample as (text of column 0, float columns 1..).
fn query(sql: &str) -> Vec<(String, Vec<Option<f64>>)> {
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    rt.block_on(async {
        let ctx = SessionContext::new();
        for t in ["prison_mdt", "probation_orders", "areas"] {
            let path = root().join("data-samples").join(format!("{t}.parquet"));
            ctx.register_parquet(
                t,
                path.to_str().expect("utf-8 path"),
                ParquetReadOptions::default(),
            )
            .await
            .expect("register");
        }
        let batches = ctx
            .sql(sql)
            .await
            .expect("sql")
            .collect()
            .await
            .expect("collect");
        let mut out = Vec::new();
        for b in batches {
            let key = cast(b.column(0), &DataType::Utf8).expect("cast");
            let key = key.as_any().downcast_ref::<StringArray>().expect("utf8");
            let nums: Vec<Float64Array> = (1..b.num_columns())
                .map(|c| {
                    let a = cast(b.column(c), &DataType::Float64).expect("cast");
                    a.as_any()
                        .downcast_ref::<Float64Array>()
                        .expect("f64")
                        .clone()
                })
                .collect();
            for i in 0..b.num_rows() {
                out.push((
                    key.value(i).to_string(),
                    nums.iter()
                        .map(|a| (!a.is_null(i)).then(|| a.value(i)))
                        .collect(),
                ));
            }
        }
        out
    })
}

/// Wilson score interval for x of n at 95% (z = 1.959964), in percent.
fn wilson(x: f64, n: f64) -> (f64, f64) {
    let z = 1.959_963_984_540_054_f64;
    let p = x / n;
    let centre = p + z * z / (2.0 * n);
    let half = z * (p * (1.0 - p) / n + z * z / (4.0 * n * n)).sqrt();
    let d = 1.0 + z * z / n;
    (100.0 * (centre - half) / d, 100.0 * (centre + half) / d)
}

fn close(got: f64, want: f64, what: &str) {
    assert!(
        (got - want).abs() <= 1e-9 * want.abs().max(1.0),
        "{what}: report {got}, independent {want}"
    );
}

fn cell(d: &Data) -> String {
    match d {
        Data::String(s) => s.clone(),
        Data::Float(f) => f.to_string(),
        Data::Empty => String::new(),
        other => other.to_string(),
    }
}

fn float(d: &Data) -> Option<f64> {
    match d {
        Data::Float(f) => Some(*f),
        Data::Int(i) => Some(*i as f64),
        _ => None,
    }
}

/// An indicator sheet as (area_code, period) -> column -> cell.
fn sheet(id: &str) -> BTreeMap<(String, String), BTreeMap<String, Data>> {
    let mut wb: Xlsx<_> = open_workbook(pack().join("pack.xlsx")).expect("open xlsx");
    let range = wb.worksheet_range(id).expect("sheet");
    let mut rows = range.rows();
    let header: Vec<String> = rows.next().expect("header").iter().map(cell).collect();
    let mut out = BTreeMap::new();
    for r in rows {
        let m: BTreeMap<String, Data> = header.iter().cloned().zip(r.iter().cloned()).collect();
        let key = (cell(&m["area_code"]), cell(&m["period"]));
        out.insert(key, m);
    }
    out
}

/// rMDT of England and Wales per financial year, from the extract: random
/// tests, positive or refused over all.
fn rmdt_by_year() -> BTreeMap<String, (f64, f64)> {
    let sql = "SELECT CASE
            WHEN test_date >= DATE '2007-04-01' AND test_date <= DATE '2008-03-31' THEN '2007-08'
            WHEN test_date >= DATE '2008-04-01' AND test_date <= DATE '2009-03-31' THEN '2008-09'
            WHEN test_date >= DATE '2009-04-01' AND test_date <= DATE '2010-03-31' THEN '2009-10'
            END AS fy,
            SUM(CASE WHEN result IN ('positive', 'refused') THEN 1 ELSE 0 END) AS hit,
            COUNT(*) AS n
        FROM prison_mdt
        WHERE test_type = 'random' AND test_date >= DATE '2007-04-01' AND test_date <= DATE '2010-03-31'
        GROUP BY 1";
    query(sql)
        .into_iter()
        .map(|(k, v)| (k, (v[0].expect("hit"), v[1].expect("n"))))
        .collect()
}

#[test]
fn rmdt_scorecard_equals_the_extract() {
    let by_year = rmdt_by_year();
    let rate = |fy: &str| {
        let (x, n) = by_year[fy];
        100.0 * x / n
    };
    let (x, n) = by_year["2009-10"];
    assert!(n > 100.0, "too few random tests to test with: {n}");
    let (lo, hi) = wilson(x, n);
    let s = sheet("RMDT");
    let row = &s[&(NATIONAL.to_string(), YEAR.to_string())];
    close(float(&row["numerator"]).expect("numerator"), x, "numerator");
    close(
        float(&row["denominator"]).expect("denominator"),
        n,
        "denominator",
    );
    close(
        float(&row["value"]).expect("value"),
        rate("2009-10"),
        "value",
    );
    close(float(&row["ci_lower"]).expect("ci"), lo, "ci_lower");
    close(float(&row["ci_upper"]).expect("ci"), hi, "ci_upper");
    close(
        float(&row["baseline_value"]).expect("baseline"),
        rate("2007-08"),
        "baseline",
    );
    // the year-on-year target: the previous year's rate, met when below it
    close(
        float(&row["target"]).expect("target"),
        rate("2008-09"),
        "target",
    );
    let met = rate("2009-10") < rate("2008-09");
    assert_eq!(cell(&row["status"]), if met { "met" } else { "not met" });

    // the scorecard sheet and the HTML show the same figures
    let mut wb: Xlsx<_> = open_workbook(pack().join("pack.xlsx")).expect("open xlsx");
    let card = wb.worksheet_range("Scorecard").expect("scorecard");
    let mut rows = card.rows();
    let header: Vec<String> = rows.next().expect("header").iter().map(cell).collect();
    let ids: Vec<String> = card.rows().skip(1).map(|r| cell(&r[0])).collect();
    assert_eq!(ids, ["PSA23.5", "NI38", "NI40", "RMDT", "NI16", "NI42"]);
    let r = rows.find(|r| cell(&r[0]) == "RMDT").expect("RMDT row");
    let col = |n: &str| header.iter().position(|h| h == n).expect("column");
    close(
        float(&r[col("value")]).expect("value"),
        rate("2009-10"),
        "scorecard value",
    );
    assert_eq!(cell(&r[col("role")]), "outcome");
    let html = std::fs::read_to_string(pack().join("index.html")).expect("html");
    let shown = format!("{:.1}", rate("2009-10"));
    let card_html = &html[html.find("id=\"strategic-outcomes\"").expect("scorecard")..];
    let card_html = &card_html[..card_html.find("</section>").expect("end")];
    assert!(card_html.contains(&shown), "scorecard lacks {shown}");
    assert!(card_html.contains("a fall every year on the year before"));
}

#[test]
fn drr_completion_by_region_equals_the_extract() {
    // DRR orders terminating in 2009-10, not excluded (died, transferred);
    // completed or ended early for good progress over all, per region
    let sql = "SELECT a.region_code,
            SUM(CASE WHEN o.termination_reason IN ('completed', 'early_good_progress') THEN 1 ELSE 0 END) AS hit,
            COUNT(*) AS n
        FROM probation_orders o JOIN areas a ON o.la_code = a.la_code
        WHERE o.drr
          AND o.termination_date >= DATE '2009-04-01' AND o.termination_date <= DATE '2010-03-31'
          AND (o.termination_reason IS NULL OR o.termination_reason NOT IN ('died', 'transferred'))
        GROUP BY a.region_code";
    let want = query(sql);
    assert!(want.len() >= 9, "regions: {}", want.len());
    let s = sheet("DRR.completion");
    let html = std::fs::read_to_string(pack().join("index.html")).expect("html");
    let section = &html[html.find("id=\"prison-probation\"").expect("section")..];
    for (region, v) in &want {
        let (x, n) = (v[0].expect("hit"), v[1].expect("n"));
        let row = s
            .get(&(region.clone(), YEAR.to_string()))
            .unwrap_or_else(|| panic!("no DRR.completion row for {region}"));
        assert_eq!(cell(&row["area_level"]), "region");
        close(float(&row["numerator"]).expect("numerator"), x, region);
        close(float(&row["denominator"]).expect("denominator"), n, region);
        close(float(&row["value"]).expect("value"), 100.0 * x / n, region);
        // the region's figure is in the prison and probation section
        assert!(
            section.contains(&format!("<td class=\"num\">{}</td>", n as i64)),
            "{region}: denominator {n} not shown"
        );
    }
}

#[test]
fn sections_follow_the_strategy_and_nothing_is_fetched() {
    let html = std::fs::read_to_string(pack().join("index.html")).expect("index.html");
    let order = [
        "id=\"cover\"",
        "id=\"strategic-outcomes\"",
        "id=\"region-grid\"",
        "id=\"prison-probation\"",
        "id=\"psa-scorecard\"",
        "id=\"ind-PSA23.5\"",
        "id=\"ind-RMDT\"",
        "id=\"data-quality\"",
        "id=\"appendix\"",
    ];
    let mut at = 0;
    for s in order {
        at += html[at..]
            .find(s)
            .unwrap_or_else(|| panic!("{s} missing or out of order"));
    }
    assert!(html.contains("England and Wales"));
    assert!(html.contains("PSA16"), "PSA 16 in the PSA scorecard");
    let stripped = html.replace("xmlns=\"http://www.w3.org/2000/svg\"", "");
    assert!(!stripped.contains("http://") && !stripped.contains("https://"));
    assert!(!html.contains("<script"));
    let svgs = html.matches("<svg").count();
    assert_eq!(
        svgs,
        html.matches("<title id=").count(),
        "every chart titled"
    );
    assert_eq!(
        svgs,
        html.matches("<desc id=").count(),
        "every chart described"
    );
    for f in [
        "manifest.json",
        "pack.xlsx",
        "tables/RMDT.csv",
        "charts/RMDT-trend.svg",
        "charts/RMDT-trend.png",
    ] {
        assert!(pack().join(f).is_file(), "{f} missing");
    }
}

#[test]
fn rebuild_is_byte_identical() {
    let (_, a, b) = packs();
    let (fa, fb) = (files(a), files(b));
    assert_eq!(fa.keys().collect::<Vec<_>>(), fb.keys().collect::<Vec<_>>());
    for (k, v) in &fa {
        assert!(&fb[k] == v, "{k} differs between builds");
    }
}

#[test]
fn a_year_not_yet_ended_is_refused_and_nothing_written() {
    let dir = tempfile::tempdir().expect("temp dir");
    let out = dir.path().join("out");
    let o = build(&out, "2012-13");
    assert_eq!(
        o.status.code(),
        Some(2),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("2012-13 is not yet available"), "{err}");
    assert!(!out.exists(), "nothing written");
    let o = build(&out, "2009");
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("write e.g. --year 2009-10"));
    assert!(!out.exists());
    // nothing half-written beside it either
    assert_eq!(std::fs::read_dir(dir.path()).expect("dir").count(), 0);
}

#[test]
fn a_survey_not_repeated_is_shown_at_its_latest_year_with_a_value() {
    // NI42 (Place Survey) has calendar years; 2009 ends inside 2009-10 but
    // has no survey: the scorecard shows the latest year that has one
    let mut wb: Xlsx<_> = open_workbook(pack().join("pack.xlsx")).expect("open xlsx");
    let card = wb.worksheet_range("Scorecard").expect("scorecard");
    let header: Vec<String> = card
        .rows()
        .next()
        .expect("header")
        .iter()
        .map(cell)
        .collect();
    let col = |n: &str| header.iter().position(|h| h == n).expect("column");
    let r = card
        .rows()
        .find(|r| cell(&r[0]) == "NI42")
        .expect("NI42 row");
    assert!(float(&r[col("value")]).is_some(), "NI42 without a value");
    let shown = cell(&r[col("period")]);
    let s = sheet("NI42");
    let with_value: Vec<&String> = s
        .iter()
        .filter(|((code, _), m)| code == NATIONAL && float(&m["value"]).is_some())
        .map(|((_, p), _)| p)
        .collect();
    let latest = with_value.iter().max().expect("a national NI42 value");
    assert_eq!(&&shown, latest);
}

#[test]
fn an_outcome_without_a_page_is_located_and_nothing_written() {
    let dir = tempfile::tempdir().expect("temp dir");
    let reports = dir.path().join("reports");
    std::fs::create_dir(&reports).expect("mkdir");
    for f in ["strategy.yaml", "extract-keys.yaml"] {
        std::fs::copy(root().join("reports").join(f), reports.join(f)).expect("copy");
    }
    let text = std::fs::read_to_string(reports.join("strategy.yaml")).expect("read");
    let text = text.replace("outcomes: [PSA23.5,", "outcomes: [NI19, PSA23.5,");
    std::fs::write(reports.join("strategy.yaml"), text).expect("write");
    let out = dir.path().join("out");
    let o = Command::new(env!("CARGO_BIN_EXE_pireport"))
        .current_dir(root())
        .args(["pack", "strategy", "--year", YEAR, "--reports"])
        .arg(&reports)
        .arg("--out")
        .arg(&out)
        .output()
        .expect("run pireport");
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("strategy.yaml") && err.contains("`NI19` in `outcomes` has no page"),
        "{err}"
    );
    assert!(!out.exists());
}

#[test]
fn rows_with_no_cohort_date_are_counted_in_data_quality() {
    // DRR.completion places an order by its termination date: orders still
    // running have none, and no period counts them
    let want = query("SELECT 'n', COUNT(*) FROM probation_orders WHERE termination_date IS NULL");
    let n = want[0].1[0].expect("count") as u64;
    assert!(n > 0, "the sample has no running orders to count");
    let html = std::fs::read_to_string(pack().join("index.html")).expect("html");
    let dq = &html[html.find("id=\"data-quality\"").expect("data quality")..];
    let row = &dq[dq
        .find("<tr><td>probation_orders</td>")
        .expect("probation_orders row")..];
    let row = &row[..row.find("</tr>").expect("row end")];
    assert!(
        row.contains(&format!("{n} (termination_date)")),
        "{row}: want {n} rows with no termination_date"
    );
    // and in the run's notes, naming the indicators that leave them out
    let notes = &dq[dq.find("Notes from the run").expect("notes")..];
    assert!(
        notes.contains(&format!(
            "probation_orders: {n} rows with no termination_date are counted in no period by"
        )) && notes.contains("DRR.completion"),
        "notes lack the null termination dates"
    );
}
