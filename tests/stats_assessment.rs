//! Comparisons with benchmarks, recent trends, targets, PSA progress,
//! overdispersed funnels and disclosure control, against hand calculations
//! quoted beside each assertion.

use pireport::stats::{
    BaselineStatus, CiMethod, Comparison, FunnelUnit, Interval, Intervals, Polarity,
    ProportionPoint, PsaProgress, SuppressionRow, TargetStatus, Trend, ValuePoint, Z95, Z998,
    baseline_status, compare_with_benchmark, estimate_overdispersion,
    proportion_null_standard_error, proportion_trend, psa_progress, random_effects_limits,
    rate_estimate, ratio_null_standard_error, suppress, target_status, trajectory, value_trend,
};

use Polarity::{HigherIsBetter, LowerIsBetter};

fn close(a: f64, b: f64, tol: f64) -> bool {
    (a - b).abs() <= tol * b.abs().max(1.0)
}

// ---- comparison with a benchmark -----------------------------------------

fn intervals(lower95: f64, upper95: f64, lower998: f64, upper998: f64) -> Intervals {
    Intervals {
        method: CiMethod::Byar,
        ci95: Interval {
            lower: lower95,
            upper: upper95,
        },
        ci998: Interval {
            lower: lower998,
            upper: upper998,
        },
    }
}

#[test]
fn benchmark_inside_95_is_similar_outside_is_better_or_worse_by_polarity() {
    let i = intervals(10.0, 20.0, 8.0, 22.0);
    let cases = [
        (15.0, LowerIsBetter, Comparison::Similar),
        (20.0, LowerIsBetter, Comparison::Similar), // on the limit: inside
        (10.0, HigherIsBetter, Comparison::Similar),
        (21.0, LowerIsBetter, Comparison::Better), // figure below benchmark
        (21.0, HigherIsBetter, Comparison::Worse),
        (23.0, LowerIsBetter, Comparison::Best), // beyond 99.8% too
        (23.0, HigherIsBetter, Comparison::Worst),
        (9.0, HigherIsBetter, Comparison::Better), // figure above benchmark
        (9.0, LowerIsBetter, Comparison::Worse),
        (7.0, HigherIsBetter, Comparison::Best),
        (7.0, LowerIsBetter, Comparison::Worst),
    ];
    for (benchmark, polarity, expected) in cases {
        assert_eq!(
            compare_with_benchmark(&i, benchmark, polarity),
            Some(expected),
            "benchmark {benchmark} {polarity:?}"
        );
    }
    assert_eq!(compare_with_benchmark(&i, f64::NAN, LowerIsBetter), None);
    let words: Vec<&str> = [
        Comparison::Better,
        Comparison::Similar,
        Comparison::Worse,
        Comparison::Best,
        Comparison::Worst,
    ]
    .iter()
    .map(|c| c.as_str())
    .collect();
    assert_eq!(words, ["better", "similar", "worse", "best", "worst"]);
}

#[test]
fn a_rate_is_compared_on_its_own_intervals() {
    // 65 per 100: Byar's 95% 50.16..82.85, 99.8% 42.88..94.00 (PHE).
    let rate = rate_estimate(65.0, 100.0, 100.0).unwrap().unwrap();
    let compare = |b| compare_with_benchmark(&rate.intervals, b, LowerIsBetter);
    assert_eq!(compare(60.0), Some(Comparison::Similar));
    assert_eq!(compare(45.0), Some(Comparison::Worse));
    assert_eq!(compare(40.0), Some(Comparison::Worst));
    assert_eq!(compare(90.0), Some(Comparison::Better));
    assert_eq!(compare(95.0), Some(Comparison::Best));
}

// ---- recent trend ---------------------------------------------------------

fn props(pairs: &[(f64, f64)]) -> Vec<ProportionPoint> {
    pairs
        .iter()
        .map(|&(numerator, denominator)| ProportionPoint {
            numerator,
            denominator,
        })
        .collect()
}

#[test]
fn cochran_armitage_by_hand() {
    // 100, 120, 140, 160, 180 of 1000 each: pbar = 0.14, tbar = 3,
    // T = 100(-2) + 120(-1) + 160(1) + 180(2) = 200, sum n (t - tbar)^2 =
    // 10000, V = 0.14 * 0.86 * 10000 = 1204, chi-square = 200^2 / 1204.
    let points = props(&[
        (100.0, 1000.0),
        (120.0, 1000.0),
        (140.0, 1000.0),
        (160.0, 1000.0),
        (180.0, 1000.0),
    ]);
    let test = proportion_trend(&points, LowerIsBetter).unwrap();
    assert!(close(test.statistic, 40000.0 / 1204.0, 1e-12), "{test:?}");
    assert!(close(test.slope, 0.02, 1e-12));
    assert_eq!(test.trend, Trend::Worsening);
    assert_eq!(
        proportion_trend(&points, HigherIsBetter).unwrap().trend,
        Trend::Improving
    );
    // Only the last five periods count: an older wild point changes nothing.
    let mut longer = props(&[(999.0, 1000.0)]);
    longer.extend(&points);
    assert_eq!(proportion_trend(&longer, LowerIsBetter), Some(test));
}

#[test]
fn cochran_armitage_matches_agresti_example() {
    // Agresti, Categorical Data Analysis (2002), infant malformation by
    // alcohol consumption: malformed 48, 38, 5, 1, 1 of 17114, 14502, 793,
    // 127, 38. With scores 1..5 Agresti reports M^2 = 1.83. Independent
    // route: the Cochran-Armitage statistic equals N r^2 for the Pearson
    // correlation r of score and outcome over the N = 32574 individuals;
    // numpy.corrcoef on the expanded data gives N r^2 = 1.8278157510931485
    // and the least-squares slope 0.0006895436277140097.
    let points = props(&[
        (48.0, 17114.0),
        (38.0, 14502.0),
        (5.0, 793.0),
        (1.0, 127.0),
        (1.0, 38.0),
    ]);
    let test = proportion_trend(&points, LowerIsBetter).unwrap();
    assert!(close(test.statistic, 1.8278157510931485, 1e-9), "{test:?}");
    assert!(close(test.slope, 0.0006895436277140097, 1e-9));
    assert_eq!(test.trend, Trend::NoSignificantChange);
}

#[test]
fn trend_needs_five_usable_periods() {
    let four = props(&[(1.0, 10.0), (2.0, 10.0), (3.0, 10.0), (4.0, 10.0)]);
    assert_eq!(proportion_trend(&four, LowerIsBetter), None);
    let gap = props(&[
        (1.0, 10.0),
        (2.0, 10.0),
        (0.0, 0.0),
        (4.0, 10.0),
        (5.0, 10.0),
    ]);
    assert_eq!(proportion_trend(&gap, LowerIsBetter), None);
    // No events at all: defined, and no change.
    let zeros = props(&[(0.0, 10.0); 5]);
    let test = proportion_trend(&zeros, LowerIsBetter).unwrap();
    assert_eq!(test.trend, Trend::NoSignificantChange);
    assert_eq!(Trend::NoSignificantChange.as_str(), "no significant change");
}

fn values(se: f64) -> Vec<ValuePoint> {
    [10.0, 12.0, 14.0, 16.0, 18.0]
        .iter()
        .map(|&value| ValuePoint {
            value,
            standard_error: se,
        })
        .collect()
}

#[test]
fn weighted_least_squares_slope_by_hand() {
    // Values 10..18 by 2, equal se: slope 2, sum w (t - 3)^2 = 10 / se^2,
    // chi-square = 4 * 10 / se^2. Critical value qnorm(0.999)^2 = 9.5495.
    let test = value_trend(&values(1.0), HigherIsBetter).unwrap();
    assert!(close(test.slope, 2.0, 1e-12) && close(test.statistic, 40.0, 1e-12));
    assert_eq!(test.trend, Trend::Improving);
    // se 2: chi-square 10 > 9.5495, still significant.
    let test = value_trend(&values(2.0), LowerIsBetter).unwrap();
    assert!(close(test.statistic, 10.0, 1e-12));
    assert_eq!(test.trend, Trend::Worsening);
    // se 2.1: chi-square 40 / 4.41 = 9.07 < 9.5495.
    let test = value_trend(&values(2.1), LowerIsBetter).unwrap();
    assert!(close(test.statistic, 40.0 / 4.41, 1e-12));
    assert_eq!(test.trend, Trend::NoSignificantChange);
    // A standard error of 0 is unusable.
    assert_eq!(value_trend(&values(0.0), LowerIsBetter), None);
}

// ---- targets and progress ------------------------------------------------

#[test]
fn trajectory_is_a_straight_line_from_baseline_to_target() {
    assert_eq!(trajectory(0.0, 100.0, 12.0, 90.0, 6.0), Some(95.0));
    assert_eq!(trajectory(0.0, 100.0, 12.0, 90.0, 0.0), Some(100.0));
    assert_eq!(trajectory(0.0, 100.0, 12.0, 90.0, 12.0), Some(90.0));
    assert_eq!(trajectory(0.0, 100.0, 12.0, 90.0, 15.0), Some(90.0));
    assert_eq!(trajectory(0.0, 100.0, 12.0, 90.0, -3.0), Some(100.0));
    assert_eq!(trajectory(4.0, 100.0, 4.0, 90.0, 4.0), None);
}

#[test]
fn psa23_5_target_statuses() {
    // Baseline 2005-06 (index 0) 167.9 per 100; target 10% fewer by
    // 2010-11 (index 5): 151.11. Trajectory at 2008-09 (index 3):
    // 167.9 - 3/5 * 16.79 = 157.826.
    let target = 0.9 * 167.9;
    let path = trajectory(0.0, 167.9, 5.0, target, 3.0).unwrap();
    assert!(close(path, 157.826, 1e-12));
    let status = |latest, worse| target_status(latest, target, path, worse, LowerIsBetter);
    assert_eq!(status(Some(150.0), false), TargetStatus::Met);
    assert_eq!(status(Some(target), false), TargetStatus::Met);
    assert_eq!(status(Some(155.0), false), TargetStatus::OnTrack);
    assert_eq!(status(Some(160.0), false), TargetStatus::OffTrack);
    assert_eq!(status(Some(175.0), true), TargetStatus::Worse);
    assert_eq!(status(None, false), TargetStatus::NotYetAvailable);
    assert_eq!(status(Some(f64::NAN), false), TargetStatus::NotYetAvailable);
    let words: Vec<&str> = [
        TargetStatus::Met,
        TargetStatus::OnTrack,
        TargetStatus::OffTrack,
        TargetStatus::Worse,
        TargetStatus::NotYetAvailable,
    ]
    .iter()
    .map(|s| s.as_str())
    .collect();
    assert_eq!(
        words,
        ["met", "on track", "off track", "worse", "not yet available"]
    );
}

#[test]
fn ni40_target_with_higher_is_better() {
    // +3% on a baseline of 1000 users by 2010-11 (index 3); trajectory at
    // 2009-10 (index 2) is 1020.
    let path = trajectory(0.0, 1000.0, 3.0, 1030.0, 2.0).unwrap();
    assert!(close(path, 1020.0, 1e-12));
    let status = |latest, worse| target_status(Some(latest), 1030.0, path, worse, HigherIsBetter);
    assert_eq!(status(1031.0, false), TargetStatus::Met);
    assert_eq!(status(1025.0, false), TargetStatus::OnTrack);
    assert_eq!(status(1005.0, false), TargetStatus::OffTrack);
    assert_eq!(status(950.0, true), TargetStatus::Worse);
}

#[test]
fn change_against_baseline_without_a_target() {
    assert_eq!(
        baseline_status(90.0, 100.0, true, LowerIsBetter),
        BaselineStatus::Improved
    );
    assert_eq!(
        baseline_status(90.0, 100.0, true, HigherIsBetter),
        BaselineStatus::Worse
    );
    assert_eq!(
        baseline_status(90.0, 100.0, false, LowerIsBetter),
        BaselineStatus::NoSignificantChange
    );
    assert_eq!(BaselineStatus::Improved.as_str(), "improved");
}

#[test]
fn psa_progress_by_share_of_improved_indicators() {
    use BaselineStatus::{Improved, NoSignificantChange as Same, Worse};
    let cases: [(&[Option<BaselineStatus>], PsaProgress); 9] = [
        (
            &[Some(Improved), Some(Improved)],
            PsaProgress::StrongProgress,
        ),
        (&[Some(Improved), Some(Same)], PsaProgress::SomeProgress), // half
        (&[Some(Same), Some(Worse)], PsaProgress::NoProgress),
        (&[Some(Improved), None], PsaProgress::SomeProgress), // half assessed
        (&[None, None], PsaProgress::NotYetAssessed),
        (
            &[Some(Improved), Some(Improved), None],
            PsaProgress::StrongProgress,
        ),
        (&[Some(Improved), None, None], PsaProgress::NotYetAssessed),
        (&[Some(Improved)], PsaProgress::StrongProgress), // PSA14
        (&[], PsaProgress::NotYetAssessed),
    ];
    for (assessments, expected) in cases {
        assert_eq!(psa_progress(assessments), expected, "{assessments:?}");
    }
    assert_eq!(PsaProgress::StrongProgress.as_str(), "strong progress");
    assert_eq!(PsaProgress::NotYetAssessed.as_str(), "not yet assessed");
}

#[test]
fn polarity_uses_snake_case_names() {
    use serde::Deserialize;
    use serde::de::IntoDeserializer;
    use serde::de::value::Error;
    let parse = |text: &str| Polarity::deserialize(text.into_deserializer()).map_err(|_: Error| ());
    assert_eq!(parse("lower_is_better"), Ok(LowerIsBetter));
    assert_eq!(parse("higher_is_better"), Ok(HigherIsBetter));
    assert!(parse("LowerIsBetter").is_err());
    assert_eq!(LowerIsBetter.as_str(), "lower_is_better");
    assert_eq!(HigherIsBetter.as_str(), "higher_is_better");
}

// ---- overdispersion -------------------------------------------------------

fn units(values: &[f64]) -> Vec<FunnelUnit> {
    values
        .iter()
        .map(|&value| FunnelUnit {
            value,
            standard_error: 1.0,
        })
        .collect()
}

#[test]
fn overdispersion_by_hand() {
    // Four units, z = 2, -2, 1, -1 (no winsorising: floor(0.4) = 0):
    // phi = 10 / 4 = 2.5; I phi = 10 > I - 1 = 3, so
    // tau^2 = (10 - 3) / (4 - 4 / 4) = 7 / 3.
    let od = estimate_overdispersion(&units(&[2.0, -2.0, 1.0, -1.0]), 0.0).unwrap();
    assert!(close(od.phi, 2.5, 1e-12) && close(od.tau2, 7.0 / 3.0, 1e-12));
    assert!(od.is_overdispersed());

    // Ten units z = 1..10: the lowest and highest are winsorised to 2 and 9:
    // sum z^2 = 4 + 4 + 9 + 16 + 25 + 36 + 49 + 64 + 81 + 81 = 369,
    // phi = 36.9, tau^2 = (369 - 9) / (10 - 1) = 40.
    let ten: Vec<f64> = (1..=10).map(f64::from).collect();
    let od = estimate_overdispersion(&units(&ten), 0.0).unwrap();
    assert!(
        close(od.phi, 36.9, 1e-12) && close(od.tau2, 40.0, 1e-12),
        "{od:?}"
    );

    // Under-dispersed units: tau^2 = 0.
    let od = estimate_overdispersion(&units(&[0.1, -0.1, 0.2, -0.2]), 0.0).unwrap();
    assert_eq!(od.tau2, 0.0);
    assert!(estimate_overdispersion(&units(&[1.0]), 0.0).is_none());
}

#[test]
fn random_effects_limits_widen_with_tau2() {
    let plain = random_effects_limits(0.5, 0.1, 0.0);
    assert!(close(plain.lower95, 0.5 - Z95 * 0.1, 1e-12));
    assert!(close(plain.upper998, 0.5 + Z998 * 0.1, 1e-12));
    // sqrt(0.1^2 + 0.03) = 0.2.
    let wide = random_effects_limits(0.5, 0.1, 0.03);
    assert!(close(wide.upper95, 0.5 + Z95 * 0.2, 1e-12));
    assert!(close(wide.lower998, 0.5 - Z998 * 0.2, 1e-12));
    // sqrt(0.2 * 0.8 / 100) = 0.04; 1 / sqrt(25) = 0.2.
    assert!(close(
        proportion_null_standard_error(0.2, 100.0).unwrap(),
        0.04,
        1e-12
    ));
    assert!(close(ratio_null_standard_error(25.0).unwrap(), 0.2, 1e-12));
    assert_eq!(ratio_null_standard_error(0.0), None);
}

// ---- disclosure control ---------------------------------------------------

fn row<'a>(region: &'a str, code: &'a str, numerator: u64, denominator: u64) -> SuppressionRow<'a> {
    SuppressionRow {
        region,
        area_code: code,
        numerator: Some(numerator),
        denominator: Some(denominator),
    }
}

#[test]
fn secondary_suppression_stops_recovery_from_the_region_total() {
    // Region total 63 re-offenders. With only A withheld, A = 63 - 20 - 40
    // = 3 could be recovered; withholding B (next smallest numerator) too
    // leaves only A + B = 23.
    let rows = [
        row("E12000001", "E06000001", 3, 50),
        row("E12000001", "E06000002", 20, 200),
        row("E12000001", "E06000003", 40, 300),
    ];
    let region_total: u64 = rows.iter().filter_map(|r| r.numerator).sum();
    let primary_only = [true, false, false];
    let published: u64 = rows
        .iter()
        .zip(primary_only)
        .filter(|(_, hidden)| !hidden)
        .filter_map(|(r, _)| r.numerator)
        .sum();
    assert_eq!(
        region_total - published,
        3,
        "the leak secondary suppression closes"
    );

    let hidden = suppress(&rows, 5);
    assert_eq!(hidden, [true, true, false]);
    let withheld = hidden.iter().filter(|h| **h).count();
    assert!(withheld >= 2, "no single figure recoverable");
}

#[test]
fn secondary_choice_breaks_ties_by_denominator_then_area_code() {
    let rows = [
        row("R", "E0800000A", 2, 100),
        row("R", "E0800000D", 10, 90),
        row("R", "E0800000B", 10, 100),
        row("R", "E0800000C", 10, 90),
    ];
    assert_eq!(suppress(&rows, 5), [true, false, false, true]);
}

#[test]
fn secondary_choice_follows_the_count_that_triggered() {
    // A's denominator (3) triggered, so the next smallest denominator goes:
    // C (40), although B has the smaller numerator.
    let rows = [
        row("R", "A", 0, 3),
        row("R", "B", 10, 60),
        row("R", "C", 30, 40),
    ];
    assert_eq!(suppress(&rows, 5), [true, false, true]);
}

#[test]
fn suppression_boundaries_regions_and_order() {
    let rows = [
        row("R1", "A", 0, 100), // 0 is published
        row("R2", "B", 4, 100), // 4 is withheld
        row("R1", "C", 5, 100), // 5 is published at the default threshold
        row("R2", "D", 1, 100), // second primary in R2: no secondary
        row("R2", "E", 50, 100),
        row("R3", "F", 2, 10), // only LA of R3: nothing else to withhold
    ];
    assert_eq!(
        suppress(&rows, pireport::stats::DEFAULT_THRESHOLD),
        [false, true, false, true, false, true]
    );
    // Threshold 10: C (5) is withheld, and R1's next smallest is A (0).
    assert_eq!(suppress(&rows, 10), [true, true, true, true, false, true]);
    // Counts-only indicators have no denominator.
    let counts = [
        SuppressionRow {
            region: "R",
            area_code: "A",
            numerator: Some(3),
            denominator: None,
        },
        SuppressionRow {
            region: "R",
            area_code: "B",
            numerator: Some(30),
            denominator: None,
        },
    ];
    assert_eq!(suppress(&counts, 5), [true, true]);
    assert!(suppress(&[], 5).is_empty());
}
