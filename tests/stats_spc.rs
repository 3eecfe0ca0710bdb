//! SPC (XmR) signals against series worked by hand from the Making Data
//! Count rules as NHSRplotthedots documents them: limits at mean +/- 2.66
//! times the mean moving range, 2 sigma at two thirds of that; a point
//! outside the limits; 7 on one side of the mean; 7 rising or falling;
//! 2 of 3 near the limit on one side. Each series' arithmetic is in its
//! comment.

use pireport::stats::{
    Assurance, PointType, Polarity, SpcChart, SpecialCauseRules, StatsError, Variation, assurance,
    spc_chart, xmr_limits,
};
use proptest::prelude::*;

const HIGHER: Polarity = Polarity::HigherIsBetter;
const LOWER: Polarity = Polarity::LowerIsBetter;

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() < 1e-9
}

fn chart(values: &[f64], polarity: Polarity) -> SpcChart {
    spc_chart(values, polarity, None).unwrap().unwrap()
}

/// Indices flagged by `rule`.
fn flagged(c: &SpcChart, rule: impl Fn(&SpecialCauseRules) -> bool) -> Vec<usize> {
    c.rules
        .iter()
        .enumerate()
        .filter(|(_, r)| rule(r))
        .map(|(i, _)| i)
        .collect()
}

/// 10, 12, 11, 13, 14: mean 60 / 5 = 12; moving ranges 2, 1, 2, 1, mean
/// 1.5; limits 12 -/+ 2.66 * 1.5 = 8.01 and 15.99; 2 sigma at
/// 12 -/+ 1.7733... * 1.5 = 9.34 and 14.66.
#[test]
fn xmr_limits_by_hand() {
    let l = xmr_limits(&[10.0, 12.0, 11.0, 13.0, 14.0])
        .unwrap()
        .unwrap();
    assert!(close(l.mean, 12.0));
    assert!(close(l.mean_moving_range, 1.5));
    assert!(close(l.lower, 8.01) && close(l.upper, 15.99), "{l:?}");
    assert!(
        close(l.near_lower, 9.34) && close(l.near_upper, 14.66),
        "{l:?}"
    );
}

#[test]
fn too_short_or_not_finite() {
    assert_eq!(xmr_limits(&[]).unwrap(), None);
    assert_eq!(xmr_limits(&[3.0]).unwrap(), None);
    assert!(spc_chart(&[3.0], HIGHER, None).unwrap().is_none());
    let err = xmr_limits(&[1.0, f64::NAN, 2.0]).unwrap_err();
    assert!(matches!(err, StatsError::NonFiniteValue { index: 1, .. }));
    assert!(spc_chart(&[1.0, 2.0], HIGHER, Some(f64::INFINITY)).is_err());
}

/// 8, 14, 8, 14, 8, 14, 8, 14, 8, 40: sum 40 + 56 + 40 = 136, mean 13.6,
/// so 8 and 14 alternate below and above it (no run). Moving ranges: eight
/// of 6 and one of 32, mean 80 / 9 = 8.888...; upper limit
/// 13.6 + 2.66 * 80 / 9 = 37.244..., so 40 is outside; 2 sigma at
/// 13.6 + 15.763... = 29.363..., and 14 is far from it. No 7 rising.
/// Only the last point is special: high, an improvement when higher is
/// better and a concern when lower is.
#[test]
fn a_point_outside_the_limits() {
    let v = [8.0, 14.0, 8.0, 14.0, 8.0, 14.0, 8.0, 14.0, 8.0, 40.0];
    let c = chart(&v, HIGHER);
    assert!(close(c.limits.mean, 13.6));
    assert!(close(c.limits.upper, 13.6 + 2.66 * 80.0 / 9.0));
    assert_eq!(flagged(&c, |r| r.outside_limits), vec![9]);
    assert_eq!(flagged(&c, |r| r.any()), vec![9]);
    assert_eq!(c.point_types[9], PointType::SpecialCauseImprovement);
    assert_eq!(c.variation, Variation::Improvement { high: true });
    let c = chart(&v, LOWER);
    assert_eq!(c.point_types[9], PointType::SpecialCauseConcern);
    assert_eq!(c.variation, Variation::Concern { high: true });
}

/// 1, 2, 1, 2, 1, 2, 1 then 5, 4, 5, 4, 5, 4, 5: sum 10 + 32 = 42, mean 3;
/// the first 7 are all below and the last 7 all above (two shifts).
/// Moving ranges: 6 of 1, one of 4, 6 of 1: mean 16 / 13; limits
/// 3 -/+ 3.273..., 2 sigma at 3 -/+ 2.182... (0.817... and 5.182...), so
/// no point is near a limit or beyond. Every point is special: below the
/// mean a concern, above an improvement (higher is better).
#[test]
fn a_run_of_seven_on_each_side() {
    let v = [
        1.0, 2.0, 1.0, 2.0, 1.0, 2.0, 1.0, 5.0, 4.0, 5.0, 4.0, 5.0, 4.0, 5.0,
    ];
    let c = chart(&v, HIGHER);
    assert!(close(c.limits.mean, 3.0));
    assert!(close(c.limits.mean_moving_range, 16.0 / 13.0));
    assert_eq!(flagged(&c, |r| r.shift), (0..14).collect::<Vec<_>>());
    assert!(flagged(&c, |r| r.outside_limits || r.trend || r.two_in_three).is_empty());
    assert!(
        c.point_types[..7]
            .iter()
            .all(|t| *t == PointType::SpecialCauseConcern)
    );
    assert!(
        c.point_types[7..]
            .iter()
            .all(|t| *t == PointType::SpecialCauseImprovement)
    );
    assert_eq!(c.variation, Variation::Improvement { high: true });
}

/// 1, 2, 1, 2, 1, 2, then 5, 4, 5, 4, 5, 4, then 3: sum 9 + 27 + 3 = 39,
/// mean 3: six below, six above, the last exactly on the mean. Runs of 6
/// are not a shift. Moving ranges 5 * 1 + 3 + 5 * 1 + 1 = 14 over 12;
/// 2 sigma at 3 -/+ 1.7733... * 14 / 12 = 0.931... and 5.068..., so
/// neither 1 nor 5 is near a limit. No signal at all.
#[test]
fn six_on_a_side_is_not_a_shift() {
    let v = [
        1.0, 2.0, 1.0, 2.0, 1.0, 2.0, 5.0, 4.0, 5.0, 4.0, 5.0, 4.0, 3.0,
    ];
    let c = chart(&v, HIGHER);
    assert!(close(c.limits.mean, 3.0));
    assert!(flagged(&c, |r| r.any()).is_empty(), "{:?}", c.rules);
    assert_eq!(c.variation, Variation::CommonCause);
}

/// 10, 11, ..., 16, 13, 10, 13: sum 91 + 36 = 127, mean 12.7. Seven rising
/// points (indices 0 to 6) make a trend; then the series falls twice and
/// rises. Sides: three below, five above (13 to 16 and 13), one below, one
/// above: no run of 7. Moving ranges 6 * 1 + 3 + 3 + 3 = 15 over 9;
/// limits 12.7 -/+ 4.433..., 2 sigma at 9.744... and 15.655...: only 16 is
/// near, and alone (15 and 13 beside it are not). The trend points below
/// the mean are concerns (NHSRplotthedots judges every flagged point by
/// its side of the mean); the last point is common cause.
#[test]
fn seven_rising_is_a_trend() {
    let v = [10.0, 11.0, 12.0, 13.0, 14.0, 15.0, 16.0, 13.0, 10.0, 13.0];
    let c = chart(&v, HIGHER);
    assert!(close(c.limits.mean, 12.7));
    assert_eq!(flagged(&c, |r| r.trend), (0..7).collect::<Vec<_>>());
    assert_eq!(flagged(&c, |r| r.any()), (0..7).collect::<Vec<_>>());
    assert_eq!(c.point_types[0], PointType::SpecialCauseConcern);
    assert_eq!(c.point_types[6], PointType::SpecialCauseImprovement);
    assert_eq!(c.variation, Variation::CommonCause);
}

/// Six rising, or seven with a repeated value, is no trend: 20, 19, ...
/// falling by 1 six times is 7 points (a trend, flagged); put an equal
/// value in the middle and neither half is 7.
#[test]
fn a_tie_breaks_a_trend() {
    let falling = [20.0, 19.0, 18.0, 17.0, 16.0, 15.0, 14.0];
    let c = chart(&falling, LOWER);
    assert_eq!(flagged(&c, |r| r.trend), (0..7).collect::<Vec<_>>());
    let broken = [20.0, 19.0, 18.0, 18.0, 17.0, 16.0, 15.0];
    let c = chart(&broken, LOWER);
    assert!(flagged(&c, |r| r.trend).is_empty());
}

/// 1, 3 five times, then 6.5, 6.5: sum 20 + 13 = 33, mean 2.75. Moving
/// ranges nine of 2, one of 3.5, one of 0: 21.5 / 11 = 1.9545...; upper
/// limit 2.75 + 5.199... = 7.949..., 2 sigma at 2.75 + 3.466... = 6.216...
/// Both 6.5s lie between 2 sigma and the limit; with the 3 before them all
/// three are above the mean, so the window 3, 6.5, 6.5 has 2 of 3 near:
/// the two 6.5s are flagged, nothing else.
#[test]
fn two_of_three_near_the_limit() {
    let v = [1.0, 3.0, 1.0, 3.0, 1.0, 3.0, 1.0, 3.0, 1.0, 3.0, 6.5, 6.5];
    let c = chart(&v, HIGHER);
    assert!(close(c.limits.mean_moving_range, 21.5 / 11.0));
    assert_eq!(flagged(&c, |r| r.two_in_three), vec![10, 11]);
    assert_eq!(flagged(&c, |r| r.any()), vec![10, 11]);
    assert_eq!(c.variation, Variation::Improvement { high: true });
}

/// Near the limit on alternate sides is no signal: 0, 2 ten times, then
/// 6.5, -4.5, 6.5. Sum 20 + 8.5 = 28.5 over 23: mean 1.2391...; moving
/// ranges nineteen of 2, then 4.5, 11, 11: 64.5 / 22 = 2.9318...; limits
/// 1.2391 -/+ 7.7986 = -6.5595 and 9.0378, 2 sigma at -/+ 5.1991 = -3.9600
/// and 6.4382. All three last points are near a limit, but no 3 in a row lie
/// on one side, and 0 and 2 alternate about the mean: no signal at all.
#[test]
fn near_points_on_alternate_sides_are_no_signal() {
    let mut v: Vec<f64> = [0.0, 2.0].repeat(10);
    v.extend([6.5, -4.5, 6.5]);
    let c = chart(&v, HIGHER);
    assert!(close(c.limits.mean_moving_range, 64.5 / 22.0));
    assert!(c.limits.near_upper < 6.5 && 6.5 < c.limits.upper);
    assert!(c.limits.lower < -4.5 && -4.5 < c.limits.near_lower);
    assert!(flagged(&c, |r| r.any()).is_empty(), "{:?}", c.rules);
}

/// Limits of the outside-the-limits series: 13.6 -/+ 2.66 * 80 / 9, that is
/// -10.044... and 37.244...
#[test]
fn assurance_against_a_target() {
    let v = [8.0, 14.0, 8.0, 14.0, 8.0, 14.0, 8.0, 14.0, 8.0, 40.0];
    let l = xmr_limits(&v).unwrap().unwrap();
    assert_eq!(assurance(&l, 50.0, HIGHER), Some(Assurance::ConsistentFail));
    assert_eq!(assurance(&l, 50.0, LOWER), Some(Assurance::ConsistentPass));
    assert_eq!(
        assurance(&l, -20.0, HIGHER),
        Some(Assurance::ConsistentPass)
    );
    assert_eq!(assurance(&l, -20.0, LOWER), Some(Assurance::ConsistentFail));
    assert_eq!(assurance(&l, 20.0, HIGHER), Some(Assurance::Inconsistent));
    // On a limit counts as inside.
    assert_eq!(
        assurance(&l, l.upper, HIGHER),
        Some(Assurance::Inconsistent)
    );
    let c = spc_chart(&v, HIGHER, Some(50.0)).unwrap().unwrap();
    assert_eq!(c.assurance, Some(Assurance::ConsistentFail));
}

#[test]
fn a_flat_series_is_common_cause() {
    let c = chart(&[5.0; 9], HIGHER);
    assert_eq!(c.limits.mean_moving_range, 0.0);
    assert!(flagged(&c, |r| r.any()).is_empty());
    assert_eq!(c.variation, Variation::CommonCause);
}

#[test]
fn labels_do_not_rely_on_colour() {
    assert_eq!(Variation::CommonCause.as_str(), "common cause");
    assert!(
        Variation::Concern { high: true }
            .label()
            .contains("concern")
    );
    assert!(Assurance::ConsistentFail.label().contains("missed"));
}

proptest! {
    /// Moving the whole series by a constant, or stretching it by a positive
    /// factor, moves the limits with it and leaves every flag unchanged.
    #[test]
    fn flags_are_unchanged_by_shift_and_scale(
        v in prop::collection::vec(-1000i32..1000, 2..40),
        shift in -500i32..500,
        scale in 1i32..8,
    ) {
        let a: Vec<f64> = v.iter().map(|&x| x as f64).collect();
        let b: Vec<f64> = v.iter().map(|&x| (x * scale + shift) as f64).collect();
        let ca = chart(&a, HIGHER);
        let cb = chart(&b, HIGHER);
        let s = scale as f64;
        prop_assert!((cb.limits.mean - (ca.limits.mean * s + shift as f64)).abs() < 1e-6);
        prop_assert!((cb.limits.upper - (ca.limits.upper * s + shift as f64)).abs() < 1e-6);
        prop_assert_eq!(ca.rules, cb.rules);
    }
}
