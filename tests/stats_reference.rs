//! The statistics module against the golden values of PHEindicatormethods
//! (UKHSA), committed under `tests/reference/phe-indicator-methods` (source,
//! version and licence in `tests/reference/README.md`), so the test needs
//! nothing beside the repository.
//!
//! Interval files hold full-precision floats and are matched to a relative
//! error of 1e-9. The funnel output files are rounded (6 decimal places for
//! proportions, about 10 significant figures for rates and ratios): those
//! are matched to half a unit in the last digit printed.

use std::collections::HashMap;
use std::path::PathBuf;

use pireport::stats::{
    CiMethod, ConfidenceLevel, Estimate, FunnelSide, Interval, PoissonFunnelMethod,
    PoissonFunnelPoint, byar_interval, poisson_funnel_expected, proportion_estimate,
    proportion_funnel_limits, rate_estimate, rate_funnel_points, ratio_estimate,
    ratio_funnel_points, wilson_interval,
};

const REL_TOL: f64 = 1e-9;

// ---- reading the reference files ------------------------------------------

fn reference_dir() -> PathBuf {
    PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/reference/phe-indicator-methods"
    ))
}

/// Splits CSV text into records: quoted fields may hold commas, doubled
/// quotes and newlines; a UTF-8 BOM and CR line ends are dropped.
fn parse_csv(text: &str) -> Vec<Vec<String>> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut records = Vec::new();
    let mut record = Vec::new();
    let mut field = String::new();
    let mut quoted = false;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match (quoted, c) {
            (true, '"') if chars.peek() == Some(&'"') => {
                field.push('"');
                chars.next();
            }
            (true, '"') => quoted = false,
            (true, _) => field.push(c),
            (false, '"') => quoted = true,
            (false, ',') => record.push(std::mem::take(&mut field)),
            (false, '\r') => {}
            (false, '\n') => {
                record.push(std::mem::take(&mut field));
                records.push(std::mem::take(&mut record));
            }
            (false, _) => field.push(c),
        }
    }
    if !field.is_empty() || !record.is_empty() {
        record.push(field);
        records.push(record);
    }
    records
}

/// One row of a reference file, addressed by column name.
struct Row {
    cells: HashMap<String, String>,
}

impl Row {
    fn text(&self, column: &str) -> &str {
        self.cells
            .get(column)
            .unwrap_or_else(|| panic!("no column {column:?} in {:?}", self.cells.keys()))
    }

    fn num(&self, column: &str) -> Option<f64> {
        let text = self.text(column).trim();
        (!text.is_empty()).then(|| {
            text.parse()
                .unwrap_or_else(|e| panic!("{column} = {text:?}: {e}"))
        })
    }

    fn req(&self, column: &str) -> f64 {
        self.num(column)
            .unwrap_or_else(|| panic!("empty {column} in {:?}", self.cells))
    }
}

fn read_rows(name: &str) -> Vec<Row> {
    let path = reference_dir().join(format!("{name}.csv"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path:?}: {e}"));
    let mut records = parse_csv(&text).into_iter();
    let header: Vec<String> = records
        .next()
        .expect("header")
        .into_iter()
        .map(|h| h.trim().to_string())
        .collect();
    let rows: Vec<Row> = records
        .filter(|r| r.iter().any(|c| !c.trim().is_empty()))
        .map(|r| {
            assert_eq!(r.len(), header.len(), "ragged row in {name}: {r:?}");
            Row {
                cells: header.iter().cloned().zip(r).collect(),
            }
        })
        .collect();
    assert!(!rows.is_empty(), "{name} has no rows");
    rows
}

// ---- comparisons ----------------------------------------------------------

fn assert_rel(actual: f64, expected: f64, what: &str) {
    let err = (actual - expected).abs() / expected.abs().max(f64::MIN_POSITIVE);
    assert!(
        err <= REL_TOL || (expected == 0.0 && actual == 0.0),
        "{what}: got {actual:e}, reference {expected:e} (relative error {err:e})"
    );
}

fn assert_interval(actual: Interval, lower: f64, upper: f64, what: &str) {
    assert_rel(actual.lower, lower, &format!("{what} lower"));
    assert_rel(actual.upper, upper, &format!("{what} upper"));
}

/// Half a unit in the last digit of `printed` (a rounded reference value).
fn half_last_digit(printed: &str) -> f64 {
    let decimals = printed
        .trim()
        .split_once('.')
        .map_or(0, |(_, fraction)| fraction.len());
    0.5 * 10f64.powi(-(decimals as i32))
}

/// `actual` rounds to the printed reference value (with a hair of slack for
/// the last bit of our own arithmetic).
fn assert_printed(actual: f64, row: &Row, column: &str) {
    let printed = row.text(column);
    let expected: f64 = printed.trim().parse().expect("number");
    let tol = half_last_digit(printed) + 1e-12 * expected.abs();
    assert!(
        (actual - expected).abs() <= tol,
        "{column}: got {actual}, reference {printed} (tolerance {tol:e})"
    );
}

fn phe_method(name: &str) -> CiMethod {
    match name {
        "Wilson" => CiMethod::Wilson,
        "Byars" => CiMethod::Byar,
        "Exact" => CiMethod::Exact,
        other => panic!("unknown method {other}"),
    }
}

fn level(text: &str) -> ConfidenceLevel {
    match text {
        "95%" => ConfidenceLevel::P95,
        "99.8%" => ConfidenceLevel::P998,
        other => panic!("unknown confidence {other}"),
    }
}

fn assert_both_levels(estimate: &Estimate, row: &Row, what: &str) {
    assert_rel(estimate.value, row.req("value"), &format!("{what} value"));
    let i = estimate.intervals;
    assert_interval(i.ci95, row.req("lower95_0cl"), row.req("upper95_0cl"), what);
    assert_interval(
        i.ci998,
        row.req("lower99_8cl"),
        row.req("upper99_8cl"),
        what,
    );
    assert_eq!(i.method, phe_method(row.text("method")), "{what} method");
}

// ---- intervals ------------------------------------------------------------

#[test]
fn byar_and_wilson_intervals_match_phe() {
    let rows = read_rows("testdata_B_W");
    let mut checked = (0, 0);
    for row in &rows {
        let x = row.req("x");
        let level = level(row.text("confidence"));
        let what = format!("{} x={x} {}", row.text("method"), row.text("confidence"));
        match row.text("method") {
            "Byars" => {
                let ci = byar_interval(x, &level).unwrap();
                match row.num("lowercl") {
                    Some(lower) => assert_rel(ci.lower, lower, &what),
                    // PHE gives NA where Byar's lower formula goes negative
                    // (x = 1 at 99.8%); we publish 0 instead.
                    None => assert_eq!(ci.lower, 0.0, "{what}"),
                }
                assert_rel(ci.upper, row.req("uppercl"), &what);
                checked.0 += 1;
            }
            "Wilson" => {
                let ci = wilson_interval(x, row.req("n"), &level).unwrap().unwrap();
                assert_interval(ci, row.req("lowercl"), row.req("uppercl"), &what);
                checked.1 += 1;
            }
            other => panic!("unexpected method {other}"),
        }
    }
    assert_eq!(checked, (7, 6));
}

#[test]
fn proportions_match_phe_at_both_levels() {
    let mut checked = 0;
    for row in read_rows("testdata_Prop") {
        let (Some(x), Some(n)) = (row.num("Numerator"), row.num("Denominator")) else {
            assert!(row.num("value").is_none());
            continue;
        };
        let what = format!("{} {}", row.text("Area"), row.text("statistic"));
        let estimate = proportion_estimate(x, n, row.req("multiplier"))
            .unwrap()
            .unwrap();
        assert_both_levels(&estimate, &row, &what);
        checked += 1;
    }
    assert_eq!(checked, 16);
}

#[test]
fn grouped_proportions_match_phe_at_95() {
    let mut checked = 0;
    for row in read_rows("testdata_Prop_g") {
        let (Some(x), Some(n)) = (row.num("Numerator"), row.num("Denominator")) else {
            // PHE leaves incomplete rows empty; we cannot even call with them.
            assert!(row.num("value").is_none());
            continue;
        };
        let estimate = proportion_estimate(x, n, row.req("multiplier"))
            .unwrap()
            .unwrap();
        let what = row.text("Area").to_string();
        assert_eq!(row.text("confidence"), "95%");
        assert_rel(estimate.value, row.req("value"), &what);
        assert_interval(
            estimate.intervals.ci95,
            row.req("lowercl"),
            row.req("uppercl"),
            &what,
        );
        checked += 1;
    }
    assert_eq!(checked, 8);
}

#[test]
fn crude_rates_match_phe_exact_below_ten_byar_from_ten() {
    let mut checked = 0;
    for row in read_rows("testdata_Rate") {
        let (Some(x), Some(n)) = (row.num("Numerator"), row.num("Denominator")) else {
            continue;
        };
        let what = format!("{} {}", row.text("Area"), row.text("statistic"));
        let estimate = rate_estimate(x, n, row.req("multiplier")).unwrap().unwrap();
        assert_both_levels(&estimate, &row, &what);
        checked += 1;
    }
    assert_eq!(checked, 17);
}

#[test]
fn grouped_rates_match_phe_at_95() {
    let mut checked = 0;
    for row in read_rows("testdata_Rate_g") {
        let (Some(x), Some(n)) = (row.num("Numerator"), row.num("Denominator")) else {
            continue;
        };
        let what = row.text("Area").to_string();
        let estimate = rate_estimate(x, n, row.req("multiplier")).unwrap().unwrap();
        assert_rel(estimate.value, row.req("value"), &what);
        let ci = estimate.intervals.ci95;
        assert_interval(ci, row.req("lowercl"), row.req("uppercl"), &what);
        assert_eq!(estimate.intervals.method, phe_method(row.text("method")));
        checked += 1;
    }
    assert_eq!(checked, 9);
}

/// `indirectly standardised rate per 100000` scales by the reference rate;
/// `indirectly standardised ratio x 100` by 100.
fn isr_scale(row: &Row) -> f64 {
    let statistic = row.text("statistic");
    if statistic.contains(" rate ") {
        row.req("ref_rate")
    } else {
        let (_, factor) = statistic.rsplit_once(" x ").expect("ratio x N");
        factor.trim().parse().expect("ratio multiplier")
    }
}

#[test]
fn indirectly_standardised_ratios_and_rates_match_phe() {
    let rows = read_rows("testresults_ISR");
    for row in &rows {
        let what = format!("{} {}", row.text("area"), row.text("statistic"));
        let ratio = ratio_estimate(row.req("observed"), row.req("expected"))
            .unwrap()
            .unwrap();
        let estimate = ratio.scaled(isr_scale(row));
        assert_rel(estimate.value, row.req("value"), &what);
        let i = estimate.intervals;
        assert_interval(
            i.ci95,
            row.req("lower95_0cl"),
            row.req("upper95_0cl"),
            &what,
        );
        if let (Some(lower), Some(upper)) = (row.num("lower99_8cl"), row.num("upper99_8cl")) {
            assert_interval(i.ci998, lower, upper, &what);
        }
        assert_eq!(i.method, phe_method(row.text("method")), "{what}");
    }
    assert_eq!(rows.len(), 16);
}

// ---- funnel limits --------------------------------------------------------

#[test]
fn proportion_funnel_limits_match_phe_to_printed_precision() {
    let inputs = read_rows("testdata_funnel_prop_inputs");
    let numerator: f64 = inputs.iter().map(|r| r.req("numerator")).sum();
    let denominator: f64 = inputs.iter().map(|r| r.req("denominator")).sum();
    let benchmark = numerator / denominator;
    let outputs = read_rows("testdata_funnel_prop_outputs");
    for row in &outputs {
        // Percentages, printed to 6 decimal places.
        let limits = proportion_funnel_limits(benchmark, row.req("Population")).unwrap();
        assert_printed(100.0 * limits.lower95, row, "Lower2s0025limit");
        assert_printed(100.0 * limits.upper95, row, "Upper2s0025limit");
        assert_printed(100.0 * limits.lower998, row, "Lower3s0001limit");
        assert_printed(100.0 * limits.upper998, row, "Upper3s0001limit");
        assert_printed(100.0 * benchmark, row, "Baseline");
    }
    assert_eq!(outputs.len(), 100);
}

/// Columns of the ratio and rate funnel tables: (prefix, side, tail).
const POISSON_LIMITS: [(&str, FunnelSide, f64); 4] = [
    ("lower_2s", FunnelSide::Lower, 0.025),
    ("upper_2s", FunnelSide::Upper, 0.025),
    ("lower_3s", FunnelSide::Lower, 0.001),
    ("upper_3s", FunnelSide::Upper, 0.001),
];

fn pick(
    points: &pireport::stats::PoissonFunnelPoints,
    side: FunnelSide,
    tail: f64,
) -> PoissonFunnelPoint {
    match (side, tail == 0.025) {
        (FunnelSide::Lower, true) => points.lower95,
        (FunnelSide::Upper, true) => points.upper95,
        (FunnelSide::Lower, false) => points.lower998,
        (FunnelSide::Upper, false) => points.upper998,
    }
}

#[test]
fn ratio_funnel_points_match_phe_to_printed_precision() {
    let rows = read_rows("testdata_funnel_ratio_outputs");
    for row in &rows {
        // The first header cell is the quoted "Observed_events\n".
        let observed = row.req("Observed_events") as u64;
        let points = ratio_funnel_points(observed, PoissonFunnelMethod::PheBisection).unwrap();
        for (prefix, side, tail) in POISSON_LIMITS {
            let point = pick(&points, side, tail);
            assert_printed(point.denominator, row, &format!("{prefix}_exp_events"));
            assert_printed(point.limit - 1.0, row, &format!("{prefix}_count"));
            assert_printed(point.limit * 100.0, row, &format!("{prefix}_isr"));
        }
    }
    assert_eq!(rows.len(), 100);
}

/// The exact inversion differs from PHE's bisection only by the bisection's
/// stopping rule: it stops once the step in `v = E / (1 + O + E)` is below
/// 1e-7 (the last step is 2^-24), so `|v - v_exact| <= 2^-23` and
/// `|E - E_exact| <= 2^-23 (1 + O + E)^2 / (1 + O)`, plus the rounding of
/// the printed value.
#[test]
fn exact_ratio_funnel_is_within_the_phe_bisection_tolerance() {
    let step = 2f64.powi(-23);
    for row in read_rows("testdata_funnel_ratio_outputs") {
        let observed = row.req("Observed_events");
        for (prefix, side, tail) in POISSON_LIMITS {
            let column = format!("{prefix}_exp_events");
            let reference = row.req(&column);
            let exact =
                poisson_funnel_expected(observed as u64, tail, side, PoissonFunnelMethod::Exact)
                    .unwrap();
            let bound = step * (1.0 + observed + exact).powi(2) / (1.0 + observed)
                + half_last_digit(row.text(&column));
            assert!(
                (exact - reference).abs() <= bound,
                "{column} at {observed}: exact {exact}, PHE {reference}, bound {bound:e}"
            );
        }
    }
}

#[test]
fn exact_ratio_funnel_is_the_exact_poisson_interval_of_the_count() {
    // For O = 1, the lower 95% point lies where P(X <= 1 | E) = 0.025, the
    // exact upper 95% limit of a count of 1, and the upper point where
    // P(X >= 1 | E) = 1 - exp(-E) = 0.025, i.e. E = -ln(0.975).
    let rates = read_rows("testdata_Rate");
    let area1 = rates
        .iter()
        .find(|r| r.text("Area") == "Area1" && r.text("multiplier") == "100")
        .unwrap();
    let points = ratio_funnel_points(1, PoissonFunnelMethod::Exact).unwrap();
    // Rate per 100 of 1 event in 100: the count's own limits.
    assert_rel(
        points.lower95.denominator,
        area1.req("upper95_0cl"),
        "E lower95",
    );
    assert_rel(
        points.upper95.denominator,
        area1.req("lower95_0cl"),
        "E upper95",
    );
    assert_rel(
        points.upper95.denominator,
        -(0.975f64.ln()),
        "E upper95 closed form",
    );
    assert_rel(
        points.upper998.denominator,
        -(0.999f64.ln()),
        "E upper998 closed form",
    );
}

#[test]
fn rate_funnel_points_match_phe_to_printed_precision() {
    // PHE test: rate_type "dsr", multiplier 1e5, years_of_data 3; the
    // benchmark is sum(ev) / sum(1e5 * ev / rate).
    let multiplier = 1e5;
    let years = 3.0;
    let inputs = read_rows("testdata_funnel_rate_input_funnels");
    let events: f64 = inputs.iter().map(|r| r.req("ev")).sum();
    let population: f64 = inputs
        .iter()
        .map(|r| multiplier * r.req("ev") / r.req("rate"))
        .sum();
    let benchmark = events / population;
    let outputs = read_rows("testdata_funnel_rate_outputs");
    for row in &outputs {
        assert_printed(benchmark * multiplier, row, "baseline");
        let events = row.req("Events") as u64;
        let points =
            rate_funnel_points(events, benchmark, PoissonFunnelMethod::PheBisection).unwrap();
        for (prefix, side, tail) in POISSON_LIMITS {
            let point = pick(&points, side, tail);
            let population_column = format!("{prefix}_population_1_year");
            assert_printed(point.denominator / years, row, &population_column);
            assert_printed(point.limit * multiplier, row, &format!("{prefix}_limit"));
        }
    }
    assert_eq!(outputs.len(), 100);
}

#[test]
fn csv_reader_handles_quotes_newlines_and_bom() {
    let records = parse_csv("\u{feff}\"a\nb\",c\r\n1,\"x, \"\"y\"\"\"\n");
    assert_eq!(
        records,
        vec![
            vec!["a\nb".to_string(), "c".to_string()],
            vec!["1".to_string(), "x, \"y\"".to_string()],
        ]
    );
}
