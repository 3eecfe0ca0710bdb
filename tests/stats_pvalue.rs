//! p-values of interval comparisons, found by inverting the interval:
//! against closed forms worked by hand (a normal interval, and the Wilson
//! interval whose inversion is the score test R's
//! `prop.test(x, n, p, correct = FALSE)` makes), and agreement with the
//! 95% and 99.8% flags for any input.

use pireport::stats::{
    ConfidenceLevel, Interval, Polarity, compare_with_benchmark, count_interval, count_intervals,
    interval_p_value, wilson_interval,
};
use proptest::prelude::*;

/// `value +/- z * se`.
fn normal(value: f64, se: f64) -> impl Fn(&ConfidenceLevel) -> Option<Interval> {
    move |l: &ConfidenceLevel| {
        Some(Interval {
            lower: value - l.z() * se,
            upper: value + l.z() * se,
        })
    }
}

/// A benchmark 1.959964 standard errors away gives p = 0.05; 3 away gives
/// 2 * pnorm(-3) = 0.0026997960632601866 (R: `2 * pnorm(-3)`).
#[test]
fn normal_interval_by_hand() {
    let p = interval_p_value(10.0 + 1.959963984540054 * 2.0, normal(10.0, 2.0)).unwrap();
    assert!((p - 0.05).abs() < 1e-9, "{p}");
    let p = interval_p_value(10.0 - 6.0, normal(10.0, 2.0)).unwrap();
    assert!((p - 0.0026997960632601866).abs() < 1e-12, "{p}");
    assert_eq!(interval_p_value(10.0, normal(10.0, 2.0)), Some(1.0));
    assert_eq!(interval_p_value(f64::NAN, normal(10.0, 2.0)), None);
}

/// The Wilson interval puts pi on its limit when
/// (x/n - pi)^2 = z^2 pi (1 - pi) / n, so its inversion is the score test:
/// x = 30, n = 100, pi = 0.2 gives z = 0.1 / sqrt(0.16 / 100) = 2.5 and
/// p = 2 * pnorm(-2.5) = 0.012419330651552265, which is
/// `prop.test(30, 100, p = 0.2, correct = FALSE)$p.value` in R.
#[test]
fn wilson_inversion_is_the_score_test() {
    let wilson = |l: &ConfidenceLevel| wilson_interval(30.0, 100.0, l).ok().flatten();
    let p = interval_p_value(0.2, wilson).unwrap();
    assert!((p - 0.012419330651552265).abs() < 1e-10, "{p}");
}

#[test]
fn far_beyond_every_interval_is_reported_at_the_floor() {
    let p = interval_p_value(1000.0, normal(0.0, 1.0)).unwrap();
    assert!(p > 0.0 && p < 2e-15, "{p}");
}

proptest! {
    /// p < 0.05 exactly when the benchmark is outside the 95% interval,
    /// p < 0.002 exactly when outside the 99.8% one (Wilson).
    #[test]
    fn wilson_p_value_agrees_with_the_flags(
        (x, n) in (1u32..5000).prop_flat_map(|n| (0..=n, Just(n))),
        bench in 0.001f64..0.999,
    ) {
        let (x, n) = (x as f64, n as f64);
        let at = |l: &ConfidenceLevel| wilson_interval(x, n, l).ok().flatten();
        let p = interval_p_value(bench, at).unwrap();
        let ci95 = at(&ConfidenceLevel::P95).unwrap();
        let ci998 = at(&ConfidenceLevel::P998).unwrap();
        let near = |i: Interval| (i.lower - bench).abs() < 1e-9 || (i.upper - bench).abs() < 1e-9;
        prop_assume!(!near(ci95) && !near(ci998));
        prop_assert_eq!(p < 0.05, !ci95.contains(bench), "p {} ci {:?}", p, ci95);
        prop_assert_eq!(p < 0.002, !ci998.contains(bench), "p {} ci {:?}", p, ci998);
    }

    /// The same for counts (Byar's interval, exact below 10 events), with the
    /// verdict of `compare_with_benchmark`.
    #[test]
    fn count_p_value_agrees_with_compare(count in 0u32..3000, bench in 0.5f64..3500.0) {
        let count = count as f64;
        let at = |l: &ConfidenceLevel| {
            count_interval(count, l).ok().map(|(i, _)| i)
        };
        let p = interval_p_value(bench, at).unwrap();
        let iv = count_intervals(count).unwrap();
        let near = |i: Interval| (i.lower - bench).abs() < 1e-7 || (i.upper - bench).abs() < 1e-7;
        prop_assume!(!near(iv.ci95) && !near(iv.ci998));
        let verdict = compare_with_benchmark(&iv, bench, Polarity::LowerIsBetter).unwrap();
        let flagged_95 = verdict.as_str() != "similar";
        let flagged_998 = matches!(verdict.as_str(), "best" | "worst");
        prop_assert_eq!(p < 0.05, flagged_95, "p {} {:?}", p, iv);
        prop_assert_eq!(p < 0.002, flagged_998, "p {} {:?}", p, iv);
    }
}
