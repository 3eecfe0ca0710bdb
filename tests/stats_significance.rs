//! Significance tests against R. R is not installed here, so the reference
//! p-values were computed with SciPy 1.17.1, whose `binomtest` implements
//! R's `binom.test` two-sided rule (outcomes no more likely than the
//! observed one, relative tolerance 1e-7) and whose `chi2_contingency(...,
//! correction=True)` applies the same Yates correction as R's `prop.test`
//! for two groups. `poisson.test(c(x1, x2), c(t1, t2))` is, in R's source,
//! `binom.test(x1, x1 + x2, t1 / (t1 + t2))`. Where R's documentation prints
//! a value, it is quoted too.

use pireport::stats::{
    ConfidenceLevel, actual_vs_expected, binomial_two_sided_p_value, compare_poisson_counts,
    compare_proportions,
};

fn assert_close(actual: f64, expected: f64, rel: f64, what: &str) {
    let err = (actual - expected).abs() / expected.abs();
    assert!(
        err <= rel,
        "{what}: got {actual:e}, expected {expected:e} (relative error {err:e})"
    );
}

/// Relative tolerance for p-values: SciPy and statrs evaluate the binomial
/// and incomplete beta functions by different series.
const P_TOL: f64 = 1e-8;

#[test]
fn binomial_p_values_match_binom_test() {
    let cases: [(u64, u64, f64, f64); 6] = [
        // binom.test(3, 20, 0.4): scipy binomtest(3, 20, 0.4).pvalue
        (3, 20, 0.4, 0.022427038142043255),
        // binom.test(62, 100, 0.5): scipy binomtest(62, 100, 0.5).pvalue
        (62, 100, 0.5, 0.02097873567785172),
        // binom.test(682, 925, p = 0.75), R's ?binom.test example, prints
        // p-value = 0.3825; scipy binomtest(682, 925, 0.75).pvalue
        (682, 925, 0.75, 0.3824915595748517),
        // binom.test(130, 1000, 0.11): scipy binomtest(130, 1000, 0.11)
        (130, 1000, 0.11, 0.048514239108340525),
        // binom.test(0, 50, 0.02): scipy binomtest(0, 50, 0.02).pvalue
        (0, 50, 0.02, 0.6283982856253909),
        // binom.test(7, 7, 0.5): 2 * 0.5^7 = 0.015625 exactly
        (7, 7, 0.5, 0.015625),
    ];
    for (x, n, p, expected) in cases {
        let actual = binomial_two_sided_p_value(x, n, p).unwrap();
        assert_close(
            actual,
            expected,
            P_TOL,
            &format!("binom.test({x}, {n}, {p})"),
        );
    }
    // x at the mean: R returns exactly 1.
    assert_eq!(binomial_two_sided_p_value(5, 10, 0.5), Some(1.0));
    assert_eq!(binomial_two_sided_p_value(11, 10, 0.5), None);
}

#[test]
fn binomial_p_value_matches_direct_summation() {
    // Independent route: sum the pmf (by the recurrence
    // f(i+1) = f(i) (n-i)/(i+1) p/(1-p)) over outcomes no more likely than
    // the observed one.
    let (x, n, p) = (41_u64, 120_u64, 0.27_f64);
    let mut pmf = vec![(1.0 - p).powi(n as i32)];
    for i in 0..n {
        let next = pmf[i as usize] * (n - i) as f64 / (i + 1) as f64 * p / (1.0 - p);
        pmf.push(next);
    }
    let d = pmf[x as usize] * (1.0 + 1e-7);
    let expected: f64 = pmf.iter().filter(|&&f| f <= d).sum();
    let actual = binomial_two_sided_p_value(x, n, p).unwrap();
    assert_close(actual, expected, 1e-9, "direct summation");
}

#[test]
fn actual_against_expected_uses_the_central_binomial_interval() {
    // NI18: 130 re-offenders among 1000 with 110 expected, p = 0.11.
    // qbinom(0.025, 1000, 0.11) = 91, qbinom(0.975, 1000, 0.11) = 130
    // (scipy binom.ppf gives the same, R's definition).
    let test = actual_vs_expected(130, 1000, 110.0, &ConfidenceLevel::P95)
        .unwrap()
        .unwrap();
    assert_eq!((test.lower, test.upper), (91, 130));
    assert!(!test.significant, "130 is the upper end, inside");
    assert_close(test.p_value, 0.048514239108340525, P_TOL, "p-value");

    let test = actual_vs_expected(131, 1000, 110.0, &ConfidenceLevel::P95)
        .unwrap()
        .unwrap();
    assert!(test.significant);
    let test = actual_vs_expected(90, 1000, 110.0, &ConfidenceLevel::P95)
        .unwrap()
        .unwrap();
    assert!(test.significant);

    // qbinom(0.001, 1000, 0.11) = 81, qbinom(0.999, 1000, 0.11) = 142.
    let test = actual_vs_expected(130, 1000, 110.0, &ConfidenceLevel::P998)
        .unwrap()
        .unwrap();
    assert_eq!((test.lower, test.upper), (81, 142));
}

#[test]
fn poisson_counts_match_poisson_test() {
    let cases: [(u64, f64, u64, f64, f64); 5] = [
        // poisson.test(c(11, 6 + 8 + 7), c(800, 1083 + 1050 + 878)), R's
        // ?poisson.test example, prints p-value = 0.07967; scipy
        // binomtest(11, 32, 800 / 3811).pvalue
        (11, 800.0, 21, 3011.0, 0.0796686330333295),
        // NI30: poisson.test(c(610, 1000), c(1, 1)): binomtest(610, 1610, 0.5)
        (610, 1.0, 1000, 1.0, 1.9875907595631407e-22),
        // poisson.test(c(0, 5), c(1, 1)): binomtest(0, 5, 0.5) = 2 / 32
        (0, 1.0, 5, 1.0, 0.0625),
        // NI40: poisson.test(c(95, 100), c(1, 1)): binomtest(95, 195, 0.5)
        (95, 1.0, 100, 1.0, 0.7746233321773475),
        // NI16: poisson.test(c(9000, 8500), c(250000, 248000)):
        // binomtest(9000, 17500, 250000 / 498000).pvalue
        (9000, 250000.0, 8500, 248000.0, 0.001182360732872323),
    ];
    for (x1, t1, x2, t2, expected) in cases {
        let result = compare_poisson_counts(x1, t1, x2, t2).unwrap();
        let what = format!("poisson.test(c({x1}, {x2}), c({t1}, {t2}))");
        assert_close(result.p_value, expected, P_TOL, &what);
    }
    let ni30 = compare_poisson_counts(610, 1.0, 1000, 1.0).unwrap();
    assert_eq!(ni30.rate_ratio, Some(0.61));
    assert!(ni30.is_significant(&ConfidenceLevel::P998));
    let ni40 = compare_poisson_counts(95, 1.0, 100, 1.0).unwrap();
    assert!(!ni40.is_significant(&ConfidenceLevel::P95));
    // Both counts 0: no evidence of any difference.
    let none = compare_poisson_counts(0, 1.0, 0, 1.0).unwrap();
    assert_eq!((none.p_value, none.rate_ratio), (1.0, None));
    assert!(compare_poisson_counts(1, 0.0, 1, 1.0).is_none());
}

#[test]
fn two_proportions_match_prop_test() {
    // prop.test(c(15, 25), c(50, 50)): scipy chi2_contingency([[15, 35],
    // [25, 25]], correction=True) gives X-squared = 3.375,
    // p = 0.06619257972219346; by hand: pooled 0.4, |O - E| = 5, each cell
    // (5 - 0.5)^2 / E over E = 20, 30, 20, 30 gives 20.25 (2/20 + 2/30).
    let r = compare_proportions(15.0, 50.0, 25.0, 50.0)
        .unwrap()
        .unwrap();
    assert_close(r.statistic, 3.375, 1e-12, "statistic");
    assert_close(r.p_value, 0.06619257972219346, 1e-9, "p-value");
    assert_close(r.difference, -0.2, 1e-12, "difference");

    // prop.test(c(420, 380), c(1000, 1000)): X-squared = 3.16875,
    // p = 0.07505987281783333 (scipy as above).
    let r = compare_proportions(420.0, 1000.0, 380.0, 1000.0)
        .unwrap()
        .unwrap();
    assert_close(r.statistic, 3.16875, 1e-12, "statistic");
    assert_close(r.p_value, 0.07505987281783333, 1e-9, "p-value");
    assert!(!r.is_significant(&ConfidenceLevel::P95));

    // prop.test(c(10, 10), c(20, 21)): |O - E| < 0.5 so the correction
    // removes it all: X-squared = 0, p = 1 (scipy agrees; R, like us,
    // leaves a rounding residue of order 1e-33).
    let r = compare_proportions(10.0, 20.0, 10.0, 21.0)
        .unwrap()
        .unwrap();
    assert!(r.statistic.abs() < 1e-20, "{}", r.statistic);
    assert!(r.p_value > 1.0 - 1e-12, "{}", r.p_value);

    // Pooled proportion 0: R gives NaN; we report no difference.
    let r = compare_proportions(0.0, 20.0, 0.0, 30.0).unwrap().unwrap();
    assert_eq!((r.statistic, r.p_value), (0.0, 1.0));
    assert!(compare_proportions(1.0, 0.0, 1.0, 2.0).is_err(), "1 of 0");
    assert!(compare_proportions(0.0, 0.0, 1.0, 2.0).unwrap().is_none());
}
