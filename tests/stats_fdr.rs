//! Benjamini-Hochberg q-values against R's `p.adjust(method = "BH")` on
//! examples quoted with their source, hand-worked cases, and properties
//! (q >= p, q <= 1, q monotone in p, and agreement with the step-up rule of
//! Benjamini and Hochberg (1995) written out a second way).

use pireport::stats::{FalseDiscoveryRate, StatsError, benjamini_hochberg, control_fdr};
use proptest::prelude::*;

fn assert_close(got: &[f64], want: &[f64], tol: f64) {
    assert_eq!(got.len(), want.len());
    for (i, (g, w)) in got.iter().zip(want).enumerate() {
        assert!(
            (g - w).abs() <= tol,
            "q[{i}] = {g}, want {w} (all: {got:?})"
        );
    }
}

/// The 15 p-values of Benjamini and Hochberg (1995), section 4, and R's
/// answer as quoted in monarch-initiative/phenol,
/// `src/test/java/org/monarchinitiative/phenol/stats/BenjaminiHochbergTest.java`:
/// ```text
/// > p_adj=p.adjust(p,method="BH")
///  [1] 0.00150000 0.00300000 0.00950000 0.03562500 0.06030000 0.06385714 0.06385714 0.06450000 0.07650000 0.48600000 0.58118182
/// [12] 0.71487500 0.75323077 0.81321429 1.00000000
/// ```
/// R printed 8 decimals, so the match is to half a unit in the 8th.
#[test]
fn r_p_adjust_on_the_benjamini_hochberg_1995_example() {
    let p = [
        0.0001, 0.0004, 0.0019, 0.0095, 0.0201, 0.0278, 0.0298, 0.0344, 0.0459, 0.3240, 0.4262,
        0.5719, 0.6528, 0.7590, 1.000,
    ];
    let r = [
        0.00150000, 0.00300000, 0.00950000, 0.03562500, 0.06030000, 0.06385714, 0.06385714,
        0.06450000, 0.07650000, 0.48600000, 0.58118182, 0.71487500, 0.75323077, 0.81321429,
        1.00000000,
    ];
    let q = benjamini_hochberg(&p).unwrap();
    assert_close(&q, &r, 5e-9);
    // The paper's own conclusion at q* = 0.05: the four smallest are rejected.
    let rejected = q.iter().filter(|&&q| q <= 0.05).count();
    assert_eq!(rejected, 4);
}

/// stdlib-js `@stdlib/stats/padjust` documents R's BH result for these
/// (in input order, unsorted): `[0.04, 0.075, ~0.205, 0.6, 0.25]`.
/// By hand, sorted ascending 0.008, 0.03, 0.123, 0.2, 0.6 with n = 5:
/// p * n / i = 0.04, 0.075, 0.205, 0.25, 0.6; the running minimum from the
/// top changes nothing, and the values go back to input order.
#[test]
fn unsorted_input_keeps_its_order() {
    let q = benjamini_hochberg(&[0.008, 0.03, 0.123, 0.6, 0.2]).unwrap();
    assert_close(&q, &[0.04, 0.075, 0.205, 0.6, 0.25], 1e-15);
}

/// By hand: sorted 0.01, 0.03, 0.05, 0.5 (n = 4) give 0.04, 0.06,
/// 0.0666..., 0.5 (also PValueAdjust.jl's test of the same input).
#[test]
fn four_values_by_hand() {
    let q = benjamini_hochberg(&[0.05, 0.03, 0.01, 0.5]).unwrap();
    assert_close(&q, &[0.2 / 3.0, 0.06, 0.04, 0.5], 1e-15);
}

/// By hand: the running minimum matters. Sorted 0.01, 0.01, 0.04 (n = 3):
/// p * n / i = 0.03, 0.015, 0.04; from the top the minimum is 0.04, 0.015,
/// 0.015, so the tie shares 0.015 and the first is pulled below 0.03.
#[test]
fn ties_and_the_running_minimum() {
    let q = benjamini_hochberg(&[0.01, 0.04, 0.01]).unwrap();
    assert_close(&q, &[0.015, 0.04, 0.015], 1e-15);
}

/// By hand: 0.9 * 3 / 1 = 2.7 and 0.95 * 3 / 2 = 1.425 are capped at 1.
#[test]
fn capped_at_one() {
    let q = benjamini_hochberg(&[0.9, 0.95, 1.0]).unwrap();
    assert_eq!(q, vec![1.0, 1.0, 1.0]);
}

#[test]
fn empty_and_single() {
    assert!(benjamini_hochberg(&[]).unwrap().is_empty());
    assert_eq!(benjamini_hochberg(&[0.3]).unwrap(), vec![0.3]);
}

#[test]
fn invalid_p_values_are_errors_naming_their_position() {
    for bad in [f64::NAN, -0.1, 1.1, f64::INFINITY] {
        let err = benjamini_hochberg(&[0.2, bad]).unwrap_err();
        assert!(
            matches!(err, StatsError::InvalidProbability { index: 1, .. }),
            "{err:?}"
        );
    }
}

#[test]
fn false_discovery_rate_must_lie_in_the_open_unit_interval() {
    for bad in [0.0, 1.0, -0.05, 1.5, f64::NAN] {
        assert!(matches!(
            FalseDiscoveryRate::new(bad),
            Err(StatsError::InvalidRate { .. })
        ));
    }
    assert_eq!(FalseDiscoveryRate::new(0.1).unwrap().value(), 0.1);
    assert_eq!(FalseDiscoveryRate::default().value(), 0.05);
}

/// By hand, with the 1995 example at 5%: 4 survive; 15 tests at 95% would
/// raise 15 * 0.05 = 0.75 flags by chance if no effect were real.
#[test]
fn control_counts_survivors_and_chance_flags() {
    let p = [
        0.0001, 0.0004, 0.0019, 0.0095, 0.0201, 0.0278, 0.0298, 0.0344, 0.0459, 0.3240, 0.4262,
        0.5719, 0.6528, 0.7590, 1.000,
    ];
    let levels = [0.05; 15];
    let c = control_fdr(&p, &levels, FalseDiscoveryRate::DEFAULT).unwrap();
    assert_eq!(c.surviving, 4);
    assert_eq!(&c.survives[..5], &[true, true, true, true, false]);
    assert!((c.expected_by_chance - 0.75).abs() < 1e-12);
}

/// The step-up rule as the 1995 paper states it: with p sorted ascending,
/// k = max { i : p(i) <= i * alpha / n }, reject the k smallest.
fn step_up_rejections(p: &[f64], alpha: f64) -> usize {
    let mut sorted = p.to_vec();
    sorted.sort_by(f64::total_cmp);
    let n = sorted.len() as f64;
    (1..=sorted.len())
        .rev()
        .find(|&i| sorted[i - 1] <= i as f64 * alpha / n)
        .unwrap_or(0)
}

proptest! {
    #[test]
    fn q_values_are_bounded_and_monotone(p in prop::collection::vec(0.0f64..=1.0, 0..60)) {
        let q = benjamini_hochberg(&p).unwrap();
        for i in 0..p.len() {
            prop_assert!(q[i] >= p[i] - 1e-15 && q[i] <= 1.0, "p {} q {}", p[i], q[i]);
            for j in 0..p.len() {
                if p[i] <= p[j] {
                    prop_assert!(q[i] <= q[j] + 1e-15);
                }
            }
        }
    }

    #[test]
    fn survivors_agree_with_the_step_up_rule(
        p in prop::collection::vec(0.0f64..=0.2, 1..60),
        alpha in 0.001f64..0.5,
    ) {
        let q = benjamini_hochberg(&p).unwrap();
        let k = step_up_rejections(&p, alpha);
        let survivors = q.iter().filter(|&&q| q <= alpha).count();
        // Floating rounding can only matter on an exact boundary.
        prop_assume!(p.iter().all(|&x| {
            (1..=p.len()).all(|i| (x - i as f64 * alpha / p.len() as f64).abs() > 1e-12)
        }));
        prop_assert_eq!(survivors, k);
    }
}
