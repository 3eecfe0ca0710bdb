//! Most similar groups: hand-worked distances, ties broken by code, and
//! properties (input order and feature units do not change the groups).

use pireport::stats::{Peer, StatsError, nearest_peers};
use proptest::prelude::*;

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() < 1e-12
}

/// One feature 0, 1, 3, 6: mean 2.5; deviations -2.5, -1.5, 0.5, 3.5; squares
/// 6.25 + 2.25 + 0.25 + 12.25 = 21, so sd = sqrt(21 / 4). The distance
/// between two areas is their gap over sd. A's two nearest are B (gap 1)
/// and C (gap 3); D's are C (3) and B (5).
#[test]
fn one_feature_by_hand() {
    let sd = (21.0f64 / 4.0).sqrt();
    let g = nearest_peers(
        &["A", "B", "C", "D"],
        &[vec![0.0, 1.0, 3.0, 6.0]],
        &[1.0],
        2,
    )
    .unwrap();
    let idx = |ps: &[Peer]| ps.iter().map(|p| p.index).collect::<Vec<_>>();
    assert_eq!(idx(&g[0]), vec![1, 2]);
    assert!(close(g[0][0].distance, 1.0 / sd) && close(g[0][1].distance, 3.0 / sd));
    assert_eq!(idx(&g[3]), vec![2, 1]);
    assert!(close(g[3][1].distance, 5.0 / sd));
}

/// Two features, weights 4 and 1. x = 0, 2, 0 (mean 2/3, sd sqrt(8/9));
/// y = 0, 0, 3 (mean 1, sd sqrt(2)). Area 0 to area 1: x gap 2, so
/// sqrt(4 * (2 / sqrt(8/9))^2) = sqrt(4 * 4.5) = sqrt(18); area 0 to area
/// 2: y gap 3, so sqrt(1 * (3 / sqrt(2))^2) = sqrt(4.5). With weights 1
/// and 4 instead, sqrt(4.5) and sqrt(18) swap.
#[test]
fn weights_by_hand() {
    let cols = [vec![0.0, 2.0, 0.0], vec![0.0, 0.0, 3.0]];
    let g = nearest_peers(&["a", "b", "c"], &cols, &[4.0, 1.0], 2).unwrap();
    assert_eq!(g[0][0].index, 2);
    assert!(close(g[0][0].distance, 4.5f64.sqrt()));
    assert!(close(g[0][1].distance, 18.0f64.sqrt()));
    let g = nearest_peers(&["a", "b", "c"], &cols, &[1.0, 4.0], 1).unwrap();
    assert_eq!(g[0][0].index, 1);
    assert!(close(g[0][0].distance, 4.5f64.sqrt()));
}

/// One feature 0, 1, -1: areas 1 and 2 lie exactly as far from area 0
/// (z = +/- 1 / sd), so the code decides: `b` before `c`, `c` before `z`.
#[test]
fn ties_are_broken_by_code() {
    let cols = [vec![0.0, 1.0, -1.0]];
    let g = nearest_peers(&["a", "b", "c"], &cols, &[1.0], 1).unwrap();
    assert_eq!(g[0][0].index, 1);
    let g = nearest_peers(&["a", "z", "c"], &cols, &[1.0], 1).unwrap();
    assert_eq!(g[0][0].index, 2);
}

#[test]
fn bad_input_is_an_error() {
    let cols = [vec![1.0, 2.0, 3.0]];
    let codes = ["a", "b", "c"];
    assert_eq!(
        nearest_peers(&codes, &cols, &[-1.0], 1),
        Err(StatsError::InvalidWeights)
    );
    assert_eq!(
        nearest_peers(&codes, &cols, &[0.0], 1),
        Err(StatsError::InvalidWeights)
    );
    assert_eq!(
        nearest_peers(&codes, &cols, &[1.0, 1.0], 1),
        Err(StatsError::InvalidWeights)
    );
    assert_eq!(
        nearest_peers(&codes, &cols, &[1.0], 3),
        Err(StatsError::InvalidPeerCount { k: 3, areas: 3 })
    );
    assert!(matches!(
        nearest_peers(&codes, &[vec![1.0, f64::NAN, 3.0]], &[1.0], 1),
        Err(StatsError::NonFiniteValue { index: 1, .. })
    ));
}

fn codes_of(g: &[Vec<Peer>], codes: &[String]) -> Vec<Vec<String>> {
    g.iter()
        .map(|ps| ps.iter().map(|p| codes[p.index].clone()).collect())
        .collect()
}

proptest! {
    /// Reversing the input order, or changing a feature's units (scale and
    /// offset), gives every area the same peers.
    #[test]
    fn groups_do_not_depend_on_order_or_units(
        rows in prop::collection::vec((0.0f64..20.0, 0.0f64..20.0), 3..25),
        k in 1usize..3,
        scale in 1i32..50,
    ) {
        let n = rows.len();
        let codes: Vec<String> = (0..n).map(|i| format!("A{i:03}")).collect();
        let refs: Vec<&str> = codes.iter().map(String::as_str).collect();
        let x: Vec<f64> = rows.iter().map(|r| r.0).collect();
        let y: Vec<f64> = rows.iter().map(|r| r.1).collect();
        let g = nearest_peers(&refs, &[x.clone(), y.clone()], &[1.0, 2.0], k).unwrap();
        let base = codes_of(&g, &codes);

        let x2: Vec<f64> = x.iter().map(|v| v * scale as f64 + 7.0).collect();
        let g2 = nearest_peers(&refs, &[x2, y.clone()], &[1.0, 2.0], k).unwrap();
        // (continuous values: ties, which rounding could reorder, do not occur)
        prop_assert_eq!(&codes_of(&g2, &codes), &base);

        let rev_codes: Vec<String> = codes.iter().rev().cloned().collect();
        let rev_refs: Vec<&str> = rev_codes.iter().map(String::as_str).collect();
        let xr: Vec<f64> = x.iter().rev().copied().collect();
        let yr: Vec<f64> = y.iter().rev().copied().collect();
        let gr = nearest_peers(&rev_refs, &[xr, yr], &[1.0, 2.0], k).unwrap();
        let mut by_code: Vec<(String, Vec<String>)> =
            rev_codes.iter().cloned().zip(codes_of(&gr, &rev_codes)).collect();
        by_code.sort();
        let want: Vec<(String, Vec<String>)> = codes.iter().cloned().zip(base).collect();
        prop_assert_eq!(by_code, want);
    }
}
