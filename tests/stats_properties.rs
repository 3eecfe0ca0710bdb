//! Properties that must hold for any valid input: intervals contain their
//! point estimate, the 99.8% interval contains the 95% one, intervals
//! narrow as the sample grows, and nothing comes out NaN or infinite.

use pireport::stats::{
    Comparison, ConfidenceLevel, Interval, Polarity, ProportionPoint, SuppressionRow, Trend,
    binomial_two_sided_p_value, compare_poisson_counts, compare_with_benchmark, count_intervals,
    proportion_estimate, proportion_funnel_limits, proportion_trend, rate_estimate, ratio_estimate,
    suppress, weighted_proportion_estimate, wilson_interval,
};
use proptest::prelude::*;

fn width(i: Interval) -> f64 {
    i.upper - i.lower
}

fn contains_interval(outer: Interval, inner: Interval) -> bool {
    outer.lower <= inner.lower && inner.upper <= outer.upper
}

fn finite(i: Interval) -> bool {
    i.lower.is_finite() && i.upper.is_finite()
}

/// A proportion: (x, n) with 0 <= x <= n, 1 <= n <= 100000.
fn proportion() -> impl Strategy<Value = (u64, u64)> {
    (1u64..=100_000).prop_flat_map(|n| (0..=n, Just(n)))
}

proptest! {
    #[test]
    fn wilson_contains_estimate_and_nests((x, n) in proportion()) {
        let e = proportion_estimate(x as f64, n as f64, 1.0).unwrap().unwrap();
        let i = e.intervals;
        prop_assert!(finite(i.ci95) && finite(i.ci998));
        prop_assert!(i.ci95.contains(e.value), "{:?} {}", i.ci95, e.value);
        prop_assert!(contains_interval(i.ci998, i.ci95));
        prop_assert!(0.0 <= i.ci998.lower && i.ci998.upper <= 1.0);
    }

    #[test]
    fn wilson_narrows_as_n_grows((x, n) in proportion(), k in 2u64..50) {
        for level in [ConfidenceLevel::P95, ConfidenceLevel::P998] {
            let small = wilson_interval(x as f64, n as f64, &level).unwrap().unwrap();
            let large = wilson_interval((k * x) as f64, (k * n) as f64, &level).unwrap().unwrap();
            prop_assert!(width(large) < width(small), "{small:?} {large:?}");
        }
    }

    #[test]
    fn count_intervals_contain_the_count_and_nest(count in 0u64..200_000) {
        let x = count as f64;
        let i = count_intervals(x).unwrap();
        prop_assert!(finite(i.ci95) && finite(i.ci998));
        prop_assert!(i.ci95.contains(x), "{:?}", i);
        prop_assert!(contains_interval(i.ci998, i.ci95));
        prop_assert!(i.ci998.lower >= 0.0);
    }

    #[test]
    fn rate_intervals_narrow_as_population_grows(
        count in 0u64..5_000,
        population in 1u64..1_000_000,
        k in 2u64..20,
    ) {
        let small = rate_estimate(count as f64, population as f64, 1e5).unwrap().unwrap();
        let large = rate_estimate((k * count) as f64, (k * population) as f64, 1e5)
            .unwrap()
            .unwrap();
        prop_assert!((small.value - large.value).abs() <= 1e-9 * small.value.max(1.0));
        prop_assert!(width(large.intervals.ci95) < width(small.intervals.ci95));
        prop_assert!(width(large.intervals.ci998) < width(small.intervals.ci998));
        prop_assert!(small.intervals.ci95.contains(small.value));
    }

    #[test]
    fn ratio_intervals_contain_the_ratio(observed in 0u64..10_000, expected in 1e-6f64..1e6) {
        let e = ratio_estimate(observed as f64, expected).unwrap().unwrap();
        prop_assert!(e.value.is_finite());
        prop_assert!(e.intervals.ci95.contains(e.value));
        prop_assert!(contains_interval(e.intervals.ci998, e.intervals.ci95));
        // The benchmark equal to the figure itself is always similar.
        let c = compare_with_benchmark(&e.intervals, e.value, Polarity::LowerIsBetter);
        prop_assert_eq!(c, Some(Comparison::Similar));
    }

    #[test]
    fn equal_weights_give_the_unweighted_interval((x, n) in proportion(), w in 0.01f64..100.0) {
        let (x, n) = (x as f64, n as f64);
        let weighted = weighted_proportion_estimate(x * w, n * w, n * w * w, 100.0)
            .unwrap()
            .unwrap();
        let plain = proportion_estimate(x, n, 100.0).unwrap().unwrap();
        let pairs = [
            (weighted.value, plain.value),
            (weighted.intervals.ci95.lower, plain.intervals.ci95.lower),
            (weighted.intervals.ci95.upper, plain.intervals.ci95.upper),
            (weighted.intervals.ci998.upper, plain.intervals.ci998.upper),
        ];
        for (a, b) in pairs {
            prop_assert!((a - b).abs() <= 1e-9 * b.abs().max(1e-3), "{a} vs {b}");
        }
    }

    #[test]
    fn p_values_are_probabilities(
        (x, n) in (0u64..=2_000).prop_flat_map(|n| (0..=n, Just(n))),
        p in 0.0f64..=1.0,
        t1 in 0.1f64..1e6,
        t2 in 0.1f64..1e6,
    ) {
        let pv = binomial_two_sided_p_value(x, n, p).unwrap();
        prop_assert!((0.0..=1.0).contains(&pv), "{pv}");
        let c = compare_poisson_counts(x, t1, n - x, t2).unwrap();
        prop_assert!((0.0..=1.0).contains(&c.p_value));
    }

    /// The p-value finds R's "outcomes no more likely than x" by bisection;
    /// R's `binom.test` counts them one by one. Both must agree.
    #[test]
    fn binomial_p_value_matches_r_linear_count(
        (x, n) in (1u64..=1_500).prop_flat_map(|n| (0..=n, Just(n))),
        p in 0.001f64..0.999,
    ) {
        use statrs::distribution::{Binomial, Discrete, DiscreteCDF};
        let b = Binomial::new(p, n).unwrap();
        let d = b.pmf(x) * (1.0 + 1e-7);
        let m = n as f64 * p;
        let xf = x as f64;
        let expected = if xf == m {
            1.0
        } else if xf < m {
            let y = (m.ceil() as u64..=n).filter(|&i| b.pmf(i) <= d).count() as u64;
            b.cdf(x) + b.sf(n - y)
        } else {
            let y = (0..=m.floor() as u64).filter(|&i| b.pmf(i) <= d).count() as u64;
            (if y == 0 { 0.0 } else { b.cdf(y - 1) }) + b.sf(x - 1)
        }
        .min(1.0);
        let got = binomial_two_sided_p_value(x, n, p).unwrap();
        prop_assert!((got - expected).abs() <= 1e-12, "{got} vs {expected}");
    }

    #[test]
    fn proportion_funnel_limits_are_ordered(benchmark in 0.0f64..=1.0, n in 1.0f64..1e7) {
        let f = proportion_funnel_limits(benchmark, n).unwrap();
        let tol = 1e-12;
        prop_assert!(f.lower998 <= f.lower95 + tol && f.lower95 <= benchmark + tol, "{f:?}");
        prop_assert!(benchmark <= f.upper95 + tol && f.upper95 <= f.upper998 + tol, "{f:?}");
    }

    #[test]
    fn reversing_a_series_reverses_its_trend(
        points in proptest::collection::vec((0u64..500, 500u64..1000), 5)
    ) {
        let forward: Vec<ProportionPoint> = points
            .iter()
            .map(|&(x, n)| ProportionPoint { numerator: x as f64, denominator: n as f64 })
            .collect();
        let backward: Vec<ProportionPoint> = forward.iter().rev().copied().collect();
        let f = proportion_trend(&forward, Polarity::LowerIsBetter).unwrap();
        let b = proportion_trend(&backward, Polarity::LowerIsBetter).unwrap();
        prop_assert!((f.statistic - b.statistic).abs() <= 1e-9 * f.statistic.max(1.0));
        let flipped = match f.trend {
            Trend::Improving => Trend::Worsening,
            Trend::Worsening => Trend::Improving,
            Trend::NoSignificantChange => Trend::NoSignificantChange,
        };
        prop_assert_eq!(b.trend, flipped);
    }

    #[test]
    fn no_region_has_exactly_one_suppressed_la(
        rows in proptest::collection::vec((0usize..3, 0u64..12, 0u64..40), 0..30)
    ) {
        let regions = ["R1", "R2", "R3"];
        let codes: Vec<String> = (0..rows.len()).map(|i| format!("E{i:08}")).collect();
        let input: Vec<SuppressionRow> = rows
            .iter()
            .zip(&codes)
            .map(|(&(r, num, den), code)| SuppressionRow {
                region: regions[r],
                area_code: code,
                numerator: Some(num),
                denominator: Some(num + den),
            })
            .collect();
        let hidden = suppress(&input, 5);
        prop_assert_eq!(hidden.len(), input.len());
        for (row, &h) in input.iter().zip(&hidden) {
            let small = |c: Option<u64>| c.is_some_and(|c| (1..5).contains(&c));
            if small(row.numerator) || small(row.denominator) {
                prop_assert!(h, "primary row published: {row:?}");
            }
        }
        for region in regions {
            let members: Vec<bool> = input
                .iter()
                .zip(&hidden)
                .filter(|(row, _)| row.region == region)
                .map(|(_, &h)| h)
                .collect();
            let withheld = members.iter().filter(|&&h| h).count();
            prop_assert!(members.len() < 2 || withheld != 1, "{region}: {members:?}");
        }
    }
}
