//! LAA targets: the shipped `indicators/laa-targets.yaml` against the
//! sample, the `pireport laa` report recomputed by hand from the engine's
//! LA result rows, `--fail-on` exit codes, and broken targets files (each
//! reported at `file:line:column`, exit 2).

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::{Arc, OnceLock};

use common::{pireport, repo};
use pireport::ValidCatalog;
use pireport::definition::{LaaTargetDef, Polarity};
use pireport::geography::AreaLevel;
use pireport::period::Period;
use pireport::{LaaLine, ResultRow, laa_report};

const BIN: &str = env!("CARGO_BIN_EXE_pireport");

/// The shipped indicators and targets, computed once over the sample.
struct Shipped {
    catalog: Arc<ValidCatalog>,
    rows: Vec<ResultRow>,
}

fn shipped() -> &'static Shipped {
    static S: OnceLock<Shipped> = OnceLock::new();
    S.get_or_init(|| {
        // DataFusion plans recurse deeply in debug builds
        std::thread::Builder::new()
            .stack_size(64 << 20)
            .spawn(|| {
                let run = tokio::runtime::Runtime::new()
                    .unwrap()
                    .block_on(pireport::compute(
                        &repo().join("indicators"),
                        &repo().join("data-samples"),
                        &[],
                    ))
                    .unwrap();
                Shipped {
                    catalog: run.catalog,
                    rows: run.rows,
                }
            })
            .unwrap()
            .join()
            .unwrap()
    })
}

fn targets(s: &Shipped) -> &[LaaTargetDef] {
    &s.catalog
        .catalog
        .targets
        .as_ref()
        .expect("targets file")
        .value
}

fn areas(s: &Shipped) -> Vec<String> {
    let a: BTreeSet<String> = targets(s).iter().map(|t| t.area.clone()).collect();
    a.into_iter().collect()
}

/// Run the binary in the repository (default `--indicators` and `--data`).
fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn fy(label: &str) -> Period {
    label.parse().unwrap()
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-9 * a.abs().max(b.abs()).max(1.0)
}

fn la_rows<'a>(s: &'a Shipped, ind: &'a str, area: &'a str) -> impl Iterator<Item = &'a ResultRow> {
    s.rows
        .iter()
        .filter(move |r| r.indicator == ind && r.area_level == AreaLevel::La && r.area_code == area)
}

// ---------------------------------------------------------------- (a)

#[test]
fn shipped_targets_validate() {
    let o = pireport(&["validate"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let s = shipped();
    let ts = targets(s);
    let areas = areas(s);
    assert!(areas.len() >= 30, "{} LSPs", areas.len());
    // every region (nine English and Wales) has LSPs
    let regions: BTreeSet<&str> = s
        .rows
        .iter()
        .filter(|r| r.area_level == AreaLevel::La && areas.contains(&r.area_code))
        .map(|r| r.region_code.as_str())
        .collect();
    assert_eq!(regions.len(), 10, "{regions:?}");
    let allowed = [
        "NI38", "NI40", "NI18", "NI30", "NI16", "NI19", "NI115", "PSA23.5",
    ];
    for a in &areas {
        let n = ts.iter().filter(|t| &t.area == a).count();
        assert!((3..=allowed.len()).contains(&n), "{a}: {n} designations");
    }
    for t in ts {
        assert!(allowed.contains(&t.indicator.as_str()), "{}", t.indicator);
        let keys: Vec<&str> = t.targets.keys().map(|k| k.as_str()).collect();
        assert_eq!(
            keys,
            ["2008-09", "2009-10", "2010-11"],
            "{} {}",
            t.area,
            t.indicator
        );
        // the baseline is the sample's own published LA value
        let base = la_rows(s, &t.indicator, &t.area)
            .find(|r| r.period.to_string() == t.baseline.period && r.value.is_some())
            .unwrap_or_else(|| panic!("{} {} has no baseline row", t.area, t.indicator));
        let v = base.value.unwrap();
        assert!(
            (v - t.baseline.value).abs() <= 1e-6 * v.abs().max(1.0),
            "{} {}: baseline {} but the sample gives {v}",
            t.area,
            t.indicator,
            t.baseline.value
        );
        // the 2010-11 target improves on the baseline
        let ind = s.catalog.get(&t.indicator).unwrap();
        let last = t.targets["2010-11"];
        match ind.def.polarity {
            Polarity::HigherIsBetter => assert!(last > t.baseline.value),
            Polarity::LowerIsBetter => assert!(last < t.baseline.value),
        }
    }
}

#[test]
fn shipped_statuses_are_varied_and_default_to_the_latest_year() {
    let s = shipped();
    let mut seen: BTreeMap<&str, BTreeSet<String>> = BTreeMap::new();
    for a in areas(s) {
        let default = LaaLine::default_year(&s.catalog, &s.rows, &a);
        assert_eq!(default, Some(fy("2010-11")), "{a}");
        for (label, year) in [("default", fy("2010-11")), ("2009-10", fy("2009-10"))] {
            for l in laa_report(&s.catalog, &s.rows, &a, year).expect("assessed") {
                seen.entry(label).or_default().insert(l.status.to_string());
            }
        }
    }
    for label in ["default", "2009-10"] {
        for st in ["met", "off track", "not yet available"] {
            assert!(
                seen[label].contains(st),
                "{label}: no `{st}` in {:?}",
                seen[label]
            );
        }
    }
    // a significant worsening is rare in the sample's short 2010-11 (two
    // quarters of re-offending follow-up): one year showing it is enough
    assert!(
        seen.values().any(|s| s.contains("worse")),
        "no `worse` in {seen:?}"
    );
}

// ---------------------------------------------------------------- (b)

/// One line recomputed from the result rows, without `laa_report`.
#[derive(Debug)]
struct Hand {
    indicator: String,
    latest_period: Option<String>,
    latest_value: Option<f64>,
    ci: (Option<f64>, Option<f64>),
    target: f64,
    trajectory: Option<f64>,
    significant: Option<bool>,
    status: &'static str,
}

/// Quarters since 2000 Q1 of the quarter a date falls in.
fn quarter(d: chrono::NaiveDate) -> f64 {
    use chrono::Datelike;
    ((d.year() - 2000) * 4 + (d.month() as i32 - 1) / 3) as f64
}

fn by_hand(s: &Shipped, area: &str, year: Period) -> Vec<Hand> {
    let mut out = Vec::new();
    for t in targets(s).iter().filter(|t| t.area == area) {
        let ind = s.catalog.get(&t.indicator).unwrap();
        let higher = ind.def.polarity == Polarity::HigherIsBetter;
        let better = |a: f64, b: f64| if higher { a > b } else { a < b };
        let bp = ind
            .def
            .grains
            .iter()
            .find_map(|g| Period::parse_for(&t.baseline.period, *g).ok())
            .unwrap();
        let latest = la_rows(s, &t.indicator, area)
            .filter(|r| r.value.is_some())
            .filter(|r| {
                let e = r.period.end();
                e >= year.start() && e <= year.end() && e > bp.end()
            })
            .max_by_key(|r| {
                let p = r.period;
                (p.end(), p.grain() == bp.grain())
            });
        let target = t.targets[&year.to_string()];
        let mut h = Hand {
            indicator: t.indicator.clone(),
            latest_period: None,
            latest_value: None,
            ci: (None, None),
            target,
            trajectory: None,
            significant: None,
            status: "not yet available",
        };
        if let Some(r) = latest {
            let v = r.value.unwrap();
            let (qb, qt, qa) = (
                quarter(bp.end()),
                quarter(year.end()),
                quarter(r.period.end()),
            );
            let share = ((qa - qb) / (qt - qb)).clamp(0.0, 1.0);
            let traj = t.baseline.value + share * (target - t.baseline.value);
            let sig = match t.indicator.as_str() {
                // comparisons in themselves: latest actual/expected (after/before)
                // against the baseline quarter's, as two Poisson counts
                "NI18" | "NI30" => {
                    let base = la_rows(s, &t.indicator, area)
                        .find(|b| b.period == bp)
                        .unwrap();
                    let exposure = |x: &ResultRow| {
                        if t.indicator == "NI18" {
                            x.expected.unwrap()
                        } else {
                            x.denominator.unwrap()
                        }
                    };
                    let c = pireport::stats::compare_poisson_counts(
                        r.numerator.unwrap().round() as u64,
                        exposure(r),
                        base.numerator.unwrap().round() as u64,
                        exposure(base),
                    )
                    .unwrap();
                    Some(c.p_value < 0.05)
                }
                // the engine tested the row against the same baseline period
                _ => {
                    let own = r.baseline_period.unwrap().to_string();
                    let same = own == t.baseline.period
                        || (bp.grain() == pireport::period::Grain::FinancialYear
                            && own == format!("{} Q4", t.baseline.period));
                    assert!(same, "{}: row baseline {own}", t.indicator);
                    r.significant
                }
            };
            h.latest_period = Some(r.period.to_string());
            h.latest_value = Some(v);
            h.ci = (r.ci_lower, r.ci_upper);
            h.trajectory = Some(traj);
            h.significant = sig;
            h.status = if !better(target, v) {
                "met"
            } else if !better(traj, v) {
                "on track"
            } else if sig == Some(true) && better(t.baseline.value, v) {
                "worse"
            } else {
                "off track"
            };
        }
        out.push(h);
    }
    out.sort_by(|a, b| a.indicator.cmp(&b.indicator));
    out
}

fn opt_close(a: Option<f64>, b: Option<f64>) -> bool {
    match (a, b) {
        (Some(a), Some(b)) => close(a, b),
        (None, None) => true,
        _ => false,
    }
}

fn json_f64(v: &serde_json::Value) -> Option<f64> {
    v.as_f64()
}

#[test]
fn report_matches_a_hand_computation() {
    let s = shipped();
    let area = "E08000003"; // Manchester: every designable indicator
    let mut statuses = BTreeSet::new();
    for (year_arg, year) in [(None, fy("2010-11")), (Some("2009-10"), fy("2009-10"))] {
        let hand = by_hand(s, area, year);
        assert_eq!(hand.len(), 8);
        let lib = laa_report(&s.catalog, &s.rows, area, year).expect("assessed");
        let mut args = vec!["laa", "--area", area, "--format", "json"];
        if let Some(y) = year_arg {
            args.extend(["--year", y]);
        }
        let o = pireport(&args);
        assert!(o.status.success(), "{}", stderr(&o));
        let json: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
        let bin = json.as_array().unwrap();
        assert_eq!(lib.len(), hand.len());
        assert_eq!(bin.len(), hand.len());
        for ((h, l), b) in hand.iter().zip(&lib).zip(bin) {
            let ctx = format!("{area} {year} {}", h.indicator);
            assert_eq!(l.indicator, h.indicator, "{ctx}");
            assert_eq!(l.year, year, "{ctx}");
            assert_eq!(
                l.latest_period.map(|p| p.to_string()),
                h.latest_period,
                "{ctx}"
            );
            assert!(opt_close(l.latest_value, h.latest_value), "{ctx}");
            assert!(
                opt_close(l.ci_lower, h.ci.0) && opt_close(l.ci_upper, h.ci.1),
                "{ctx}"
            );
            assert!(opt_close(l.target, Some(h.target)), "{ctx}");
            assert!(opt_close(l.trajectory, h.trajectory), "{ctx}: {l:?} {h:?}");
            assert_eq!(l.significant, h.significant, "{ctx}");
            assert_eq!(l.status.as_str(), h.status, "{ctx}");
            // the binary prints the same
            assert_eq!(b["indicator"], h.indicator.as_str(), "{ctx}");
            assert_eq!(b["year"], year.to_string().as_str(), "{ctx}");
            assert_eq!(b["status"], h.status, "{ctx}");
            assert!(opt_close(json_f64(&b["trajectory"]), h.trajectory), "{ctx}");
            assert!(opt_close(json_f64(&b["target"]), Some(h.target)), "{ctx}");
            assert!(
                opt_close(json_f64(&b["latest_value"]), h.latest_value),
                "{ctx}"
            );
            assert_eq!(b["significant"].as_bool(), h.significant, "{ctx}");
            statuses.insert(h.status);
        }
    }
    // this area shows more than one outcome over the two years
    assert!(statuses.len() >= 3, "{statuses:?}");
}

#[test]
fn table_is_aligned_with_titles() {
    let o = pireport(&["laa", "--area", "E08000003", "--year", "2009-10"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let out = stdout(&o);
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines[0], "LAA targets of E08000003 Manchester, 2009-10");
    let header = lines[2];
    assert!(header.starts_with("indicator  title"), "{header}");
    let col = |name: &str| header.find(name).unwrap();
    let (title, status, sig) = (col("title"), col("status"), col("significant"));
    let body: Vec<&str> = lines[4..]
        .iter()
        .take_while(|l| !l.is_empty())
        .copied()
        .collect();
    assert_eq!(body.len(), 8);
    for l in &body {
        assert!(
            l[title..].starts_with(char::is_alphabetic),
            "title column misaligned: {l}"
        );
        let st = &l[status..];
        assert!(
            ["met", "on track", "off track", "worse", "not yet available"].contains(&st.trim_end()),
            "status column misaligned: {l}"
        );
        assert!(l[..sig].ends_with("  "), "{l}");
    }
    assert!(out.contains("Drug-related (Class A) offending rate"));
    assert!(out.contains("8 designated:"));
}

// ---------------------------------------------------------------- (c)

fn code(o: &Output) -> i32 {
    o.status.code().unwrap()
}

#[test]
fn fail_on_sets_the_exit_code() {
    let s = shipped();
    // find one report with a `worse` line, one with `off track` but no
    // `worse`, one with neither
    let mut worse = None;
    let mut off_only = None;
    let mut clean = None;
    for a in areas(s) {
        for y in ["2010-11", "2009-10"] {
            let st: BTreeSet<String> = laa_report(&s.catalog, &s.rows, &a, fy(y))
                .expect("assessed")
                .into_iter()
                .map(|l| l.status.to_string())
                .collect();
            let slot = if st.contains("worse") {
                &mut worse
            } else if st.contains("off track") {
                &mut off_only
            } else {
                &mut clean
            };
            slot.get_or_insert((a.clone(), y));
        }
    }
    let cases = [
        (worse.expect("a worse line"), 1, 1),
        (off_only.expect("an off-track line"), 0, 1),
        (clean.expect("an area on target"), 0, 0),
    ];
    for ((area, year), on_worse, on_off_track) in cases {
        let run = |extra: &[&str]| {
            let mut args = vec!["laa", "--area", &area, "--year", year, "--format", "csv"];
            args.extend_from_slice(extra);
            pireport(&args)
        };
        let o = run(&[]);
        assert_eq!(code(&o), 0, "{area} {year}: {}", stderr(&o));
        let o = run(&["--fail-on", "worse"]);
        assert_eq!(code(&o), on_worse, "{area} {year} --fail-on worse");
        let o = run(&["--fail-on", "off-track"]);
        assert_eq!(code(&o), on_off_track, "{area} {year} --fail-on off-track");
        // the report is printed either way
        assert!(stdout(&o).starts_with("area_code,area_name,year,indicator"));
    }
}

#[test]
fn bad_requests_exit_2_with_one_line() {
    let cases: [(&[&str], &str); 4] = [
        (
            &["laa", "--area", "E08000099"],
            "error: unknown area `E08000099`: did you mean 'E08000009'?",
        ),
        (
            &["laa", "--area", "E08000025", "--year", "2009"],
            "error: `2009` is not a financial year: write e.g. --year 2009-10",
        ),
        (
            &["laa", "--area", "E08000025", "--year", "2006-07"],
            "error: E08000025 (Birmingham) has no LAA targets for 2006-07: choose one of 2008-09, 2009-10, 2010-11",
        ),
        (
            &["laa", "--area", "E08000001"],
            "error: E08000001 (Bolton) has no LAA targets in indicators/laa-targets.yaml",
        ),
    ];
    for (args, msg) in cases {
        let o = pireport(args);
        assert_eq!(code(&o), 2, "{args:?}");
        assert_eq!(stderr(&o).trim_end(), msg, "{args:?}");
        assert!(stdout(&o).is_empty());
    }
}

// ---------------------------------------------------------------- (d)

/// A copy of the shipped indicator definitions with `targets` as the
/// targets file.
fn indicators_with(targets: &str) -> (tempfile::TempDir, PathBuf) {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("defs");
    std::fs::create_dir_all(&dir).unwrap();
    for e in std::fs::read_dir(repo().join("indicators")).unwrap() {
        let p = e.unwrap().path();
        let name = p.file_name().unwrap().to_str().unwrap().to_string();
        if name.ends_with(".yaml") && name != "laa-targets.yaml" {
            std::fs::copy(&p, dir.join(&name)).unwrap();
        }
    }
    std::fs::write(dir.join("laa-targets.yaml"), targets).unwrap();
    (tmp, dir)
}

/// `file:line:col` of `needle` (1-based), searched from line `from`.
fn at(dir: &Path, text: &str, from: usize, needle: &str) -> String {
    let (i, line) = text
        .lines()
        .enumerate()
        .skip(from)
        .find(|(_, l)| l.contains(needle))
        .unwrap_or_else(|| panic!("`{needle}` not in the fixture"));
    let col = line.find(needle).unwrap() + 1;
    format!("{}:{}:{col}", dir.join("laa-targets.yaml").display(), i + 1)
}

const GOOD: &str = "\
- area: E08000025
  indicator: NI40
  baseline: { period: \"2007-08\", value: 71 }
  targets: { \"2008-09\": 73, \"2009-10\": 75, \"2010-11\": 76 }
";

#[test]
fn broken_targets_are_all_reported_with_locations() {
    let text = format!(
        "{GOOD}\
- area: E08000099
  indicator: NI16
  baseline: {{ period: \"2007-08\", value: 0.2 }}
  targets: {{ \"2010-11\": 0.19 }}
- area: E08000003
  indicator: NI99
  baseline: {{ period: \"2007-08\", value: 1 }}
  targets: {{ \"2010-11\": 2 }}
- area: E08000025
  indicator: NI40
  baseline: {{ period: \"2007-08\", value: 71 }}
  targets: {{ \"2010-11\": 76 }}
- area: E08000003
  indicator: NI16
  baseline: {{ period: \"2007-08\", value: 0.2 }}
  targets: {{ \"2009/10\": 0.19, \"2013-14\": 0.18 }}
"
    );
    let (_tmp, dir) = indicators_with(&text);
    let expected = [
        (
            at(&dir, &text, 4, "E08000099"),
            "unknown area `E08000099`: no LA has this code in the geography table `areas` (at `[1].area`)\n  help: did you mean 'E08000009'?",
        ),
        (
            at(&dir, &text, 8, "NI99"),
            "unknown indicator `NI99` (at `[2].indicator`)\n  help: did you mean 'NI19'?",
        ),
        (
            at(&dir, &text, 12, "NI40"),
            "duplicate target for E08000025 and NI40: already given at line 2 (at `[3].indicator`)",
        ),
        (
            at(&dir, &text, 16, "\"2009/10\""),
            "target period `2009/10` is not a financial year (at `[4].targets.2009/10`)\n  help: targets are set per financial year",
        ),
        (
            at(&dir, &text, 16, "\"2013-14\""),
            "target year `2013-14` is outside the data (at `[4].targets.2013-14`)\n  help: the extract covers 2005-04-01 to 2012-03-31",
        ),
    ];
    // the library lists every problem at once
    let err = match pireport::load_and_validate(&dir, &repo().join("data-samples")) {
        Ok(_) => panic!("broken targets accepted"),
        Err(e) => e,
    };
    assert_eq!(err.fault(), pireport::Fault::Input);
    let diags = match &err {
        pireport::Error::Validate(v) => v.diagnostics().to_vec(),
        other => panic!("{other}"),
    };
    assert_eq!(diags.len(), expected.len(), "{err}");
    // the binary prints them, located, and exits 2
    let o = Command::new(BIN)
        .args(["validate", "--indicators"])
        .arg(&dir)
        .arg("--data")
        .arg(repo().join("data-samples"))
        .output()
        .unwrap();
    assert_eq!(code(&o), 2);
    let e = stderr(&o);
    for (loc, msg) in &expected {
        assert!(
            e.contains(&format!("{loc}: {msg}")),
            "missing `{loc}: {msg}` in:\n{e}"
        );
    }
    assert!(e.contains("5 problem(s) found"), "{e}");
}

#[test]
fn a_non_numeric_value_is_located() {
    for (from, to, path) in [
        ("value: 71", "value: lots", "[0].baseline.value"),
        ("\"2009-10\": 75", "\"2009-10\": 75%", "[0].targets.2009-10"),
    ] {
        let text = GOOD.replace(from, to);
        let (_tmp, dir) = indicators_with(&text);
        let bad = to.rsplit(' ').next().unwrap();
        let loc = at(&dir, &text, 0, bad);
        let o = Command::new(BIN)
            .args(["validate", "--indicators"])
            .arg(&dir)
            .arg("--data")
            .arg(repo().join("data-samples"))
            .output()
            .unwrap();
        assert_eq!(code(&o), 2);
        let e = stderr(&o);
        let want = format!(
            "{loc}: invalid type: string \"{bad}\", expected a plain number, such as 1520 or 0.35 (no quotes or units)"
        );
        assert!(e.contains(&want), "missing `{want}` in:\n{e}");
        assert!(e.contains(path), "{e}");
    }
}

#[test]
fn on_track_while_the_year_is_incomplete() {
    // Manchester's NI38 in 2010-11 is published to Q2 (0.876111; Q3 and Q4
    // are not yet available at the extract date): a target of 0.8 for
    // 2010-11 is not met, but the trajectory at Q2, 10 of the 12 quarters
    // from the 2007-08 Q4 baseline to March 2011, 1.338762 + 10/12 x
    // (0.8 - 1.338762) = 0.889794, is beaten.
    let text = "\
- area: E08000003
  indicator: NI38
  baseline: { period: \"2007-08 Q4\", value: 1.338762 }
  targets: { \"2010-11\": 0.8 }
";
    let (_tmp, dir) = indicators_with(text);
    let o = Command::new(BIN)
        .args([
            "laa",
            "--area",
            "E08000003",
            "--year",
            "2010-11",
            "--format",
            "json",
            "--indicators",
        ])
        .arg(&dir)
        .arg("--data")
        .arg(repo().join("data-samples"))
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    let json: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    let l = &json[0];
    assert_eq!(l["latest_period"], "2010-11 Q2");
    assert_eq!(l["status"], "on track");
    let traj = l["trajectory"].as_f64().unwrap();
    assert!(
        close(traj, 1.338762 + 10.0 / 12.0 * (0.8 - 1.338762)),
        "{traj}"
    );
}
