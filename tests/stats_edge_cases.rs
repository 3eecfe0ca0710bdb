//! Edge cases: 0 of n, n of n, no events against a positive expectation,
//! tiny and zero expected counts, invalid input. Expected values are closed
//! forms worked by hand.

use pireport::stats::{
    CiMethod, ConfidenceLevel, PoissonFunnelMethod, StatsError, Z95, Z998, actual_vs_expected,
    byar_interval, count_intervals, exact_poisson_interval, kish_effective_sample_size,
    proportion_estimate, proportion_funnel_limits, rate_estimate, ratio_estimate,
    ratio_funnel_points, weighted_proportion_estimate, wilson_interval,
};

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-12 * b.abs().max(1e-300)
}

#[test]
fn wilson_zero_of_n_and_n_of_n() {
    // x = 0: lower 0, upper z^2 / (n + z^2); x = n: lower n / (n + z^2),
    // upper 1.
    let n = 20.0;
    let z2 = Z95 * Z95;
    let zero = wilson_interval(0.0, n, &ConfidenceLevel::P95)
        .unwrap()
        .unwrap();
    assert_eq!(zero.lower, 0.0);
    assert!(close(zero.upper, z2 / (n + z2)), "{zero:?}");
    let all = wilson_interval(n, n, &ConfidenceLevel::P95)
        .unwrap()
        .unwrap();
    assert!(close(all.lower, n / (n + z2)), "{all:?}");
    assert_eq!(all.upper, 1.0);
    let estimate = proportion_estimate(n, n, 100.0).unwrap().unwrap();
    assert_eq!(estimate.value, 100.0);
    assert!(estimate.intervals.ci998.contains(100.0));
    assert_eq!(wilson_interval(0.0, 0.0, &ConfidenceLevel::P95), Ok(None));
}

#[test]
fn wilson_limits_are_exact_at_zero_and_all_for_every_n() {
    // The formula's upper limit at n of n rounds to one ulp below 1 for some
    // n (66040 was found by the property test): the limits must still be
    // exactly 0 and 1, so the interval contains the estimate.
    for n in (1..=200_000u32).map(f64::from) {
        for level in [ConfidenceLevel::P95, ConfidenceLevel::P998] {
            let zero = wilson_interval(0.0, n, &level).unwrap().unwrap();
            assert_eq!(zero.lower, 0.0, "0 of {n}: {zero:?}");
            let all = wilson_interval(n, n, &level).unwrap().unwrap();
            assert_eq!(all.upper, 1.0, "{n} of {n}: {all:?}");
        }
    }
}

#[test]
fn zero_events_get_the_exact_interval() {
    // P(X = 0 | mu) = exp(-mu) = tail, so the upper limit is -ln(tail).
    let i = count_intervals(0.0).unwrap();
    assert_eq!(i.method, CiMethod::Exact);
    assert_eq!((i.ci95.lower, i.ci998.lower), (0.0, 0.0));
    assert!(close(i.ci95.upper, -(0.025f64.ln())));
    assert!(close(i.ci998.upper, -(0.001f64.ln())));
    // Nine events exact, ten Byar's.
    assert_eq!(count_intervals(9.0).unwrap().method, CiMethod::Exact);
    assert_eq!(count_intervals(10.0).unwrap().method, CiMethod::Byar);
    // Byar's at 0: lower 0, upper (1 - 1/9 + z/3)^3.
    let b = byar_interval(0.0, &ConfidenceLevel::P95).unwrap();
    assert_eq!(b.lower, 0.0);
    assert!(close(b.upper, (1.0 - 1.0 / 9.0 + Z95 / 3.0).powi(3)));
    // Exact for one event: lower -ln(1 - tail).
    let e = exact_poisson_interval(1.0, &ConfidenceLevel::P998).unwrap();
    assert!(close(e.lower, -(0.999f64.ln())));
    assert_eq!(CiMethod::Byar.as_str(), "byar");
    assert_eq!(CiMethod::Exact.as_str(), "exact");
    assert_eq!(CiMethod::Wilson.as_str(), "wilson");
}

#[test]
fn zero_observed_with_positive_expected() {
    // NI38-style ratio: 0 observed, 5.2 expected.
    let r = ratio_estimate(0.0, 5.2).unwrap().unwrap();
    assert_eq!((r.value, r.intervals.ci95.lower), (0.0, 0.0));
    assert!(close(r.intervals.ci95.upper, -(0.025f64.ln()) / 5.2));
    // NI18-style: 0 of 200 re-offend with 30 expected (p = 0.15).
    // qbinom(0.025, 200, 0.15) = 20 and qbinom(0.975, 200, 0.15) = 40;
    // binom.test(0, 200, 0.15) p-value 1.3395182889191886e-14 (scipy
    // binomtest(0, 200, 0.15).pvalue).
    let t = actual_vs_expected(0, 200, 30.0, &ConfidenceLevel::P95)
        .unwrap()
        .unwrap();
    assert_eq!((t.lower, t.upper), (20, 40));
    assert!(t.significant);
    assert!((t.p_value - 1.3395182889191886e-14).abs() < 1e-8 * 1.34e-14);
}

#[test]
fn tiny_and_zero_expected() {
    // Tiny expected: finite, huge limits.
    let r = ratio_estimate(0.0, 1e-12).unwrap().unwrap();
    assert!(close(r.intervals.ci95.upper, -(0.025f64.ln()) / 1e-12));
    // So tiny the upper limit would overflow: undefined, not infinite.
    assert_eq!(ratio_estimate(3.0, 1e-308), Ok(None));
    assert_eq!(ratio_estimate(3.0, 0.0), Ok(None));
    assert_eq!(rate_estimate(3.0, 0.0, 100.0), Ok(None));
    // Binomial with a tiny expectation: 1 event against 1e-6 expected in
    // 1000, p = 1e-9 (qbinom gives 0..0); scipy binomtest(1, 1000,
    // 1e-9).pvalue = 9.999995005001662e-07 = 1 - (1 - 1e-9)^1000.
    let t = actual_vs_expected(1, 1000, 1e-6, &ConfidenceLevel::P95)
        .unwrap()
        .unwrap();
    assert_eq!((t.lower, t.upper), (0, 0));
    assert!(t.significant);
    assert!((t.p_value - 9.999995005001662e-07).abs() < 1e-8 * 1e-6);
    // Expected exactly 0: every count but 0 is impossible.
    let t = actual_vs_expected(0, 100, 0.0, &ConfidenceLevel::P95)
        .unwrap()
        .unwrap();
    assert_eq!(
        (t.lower, t.upper, t.significant, t.p_value),
        (0, 0, false, 1.0)
    );
    let t = actual_vs_expected(2, 100, 0.0, &ConfidenceLevel::P95)
        .unwrap()
        .unwrap();
    assert_eq!((t.significant, t.p_value), (true, 0.0));
    assert_eq!(
        actual_vs_expected(0, 0, 0.0, &ConfidenceLevel::P95),
        Ok(None)
    );
}

#[test]
fn weighted_share_uses_kish_effective_sample_size() {
    // Weights 1, 1, 2, 2; respondents with weights 1 and 2 say yes:
    // share 3/6 = 0.5, n_eff = 36 / 10 = 3.6, so x_eff = 1.8 and
    // 4 x (1 - x/n) = n: the Wilson interval is 0.5 -/+ z / (2 sqrt(n + z^2)).
    assert!(close(kish_effective_sample_size(6.0, 10.0).unwrap(), 3.6));
    let e = weighted_proportion_estimate(3.0, 6.0, 10.0, 1.0)
        .unwrap()
        .unwrap();
    let half = Z95 / (2.0 * (3.6 + Z95 * Z95).sqrt());
    assert!(close(e.value, 0.5));
    assert!(close(e.intervals.ci95.lower, 0.5 - half), "{e:?}");
    assert!(close(e.intervals.ci95.upper, 0.5 + half));
    let half998 = Z998 / (2.0 * (3.6 + Z998 * Z998).sqrt());
    assert!(close(e.intervals.ci998.upper, 0.5 + half998));
    assert_eq!(e.intervals.method, CiMethod::Wilson);
    assert_eq!(weighted_proportion_estimate(0.0, 0.0, 0.0, 100.0), Ok(None));
    assert_eq!(kish_effective_sample_size(0.0, 0.0), None);
}

#[test]
fn invalid_input_is_an_error_not_a_nan() {
    assert!(matches!(
        wilson_interval(-1.0, 10.0, &ConfidenceLevel::P95),
        Err(StatsError::InvalidCount { .. })
    ));
    assert!(matches!(
        wilson_interval(11.0, 10.0, &ConfidenceLevel::P95),
        Err(StatsError::NumeratorExceedsDenominator { .. })
    ));
    assert!(rate_estimate(f64::NAN, 10.0, 1.0).is_err());
    assert!(ratio_estimate(1.0, f64::INFINITY).is_err());
    assert!(actual_vs_expected(5, 10, 11.0, &ConfidenceLevel::P95).is_err());
    assert!(weighted_proportion_estimate(7.0, 6.0, 10.0, 1.0).is_err());
    for level in [0.0, 1.0, -0.5, f64::NAN] {
        assert!(ConfidenceLevel::new(level).is_err(), "{level}");
    }
    let message = ConfidenceLevel::new(1.5).unwrap_err().to_string();
    assert_eq!(
        message,
        "confidence level must lie strictly between 0 and 1, got 1.5"
    );
}

#[test]
fn arbitrary_levels() {
    // qnorm(0.95) = 1.6448536269514722 (R); 90% leaves 0.05 in each tail.
    let l = ConfidenceLevel::new(0.9).unwrap();
    assert!((l.z() - 1.6448536269514722).abs() < 1e-12);
    assert!(close(l.tail(), 0.05));
    assert_eq!(ConfidenceLevel::new(0.95).unwrap(), ConfidenceLevel::P95);
    assert_eq!(ConfidenceLevel::P998.z(), Z998);
    // An exact interval at 90% for 0 events: -ln(0.05).
    let e = exact_poisson_interval(0.0, &l).unwrap();
    assert!(close(e.upper, -(0.05f64.ln())));
}

#[test]
fn funnel_edges() {
    // Benchmark 0 or 1: the funnel collapses onto it.
    let f = proportion_funnel_limits(0.0, 50.0).unwrap();
    assert_eq!(
        (f.lower95, f.upper95, f.lower998, f.upper998),
        (0.0, 0.0, 0.0, 0.0)
    );
    let f = proportion_funnel_limits(1.0, 50.0).unwrap();
    assert!(close(f.lower95, 1.0) && f.upper95 == 1.0, "{f:?}");
    assert!(proportion_funnel_limits(0.5, 0.0).is_none());
    assert!(proportion_funnel_limits(1.5, 10.0).is_none());
    // No points for 0 observed events (the upper point is undefined).
    assert!(ratio_funnel_points(0, PoissonFunnelMethod::Exact).is_none());
}
