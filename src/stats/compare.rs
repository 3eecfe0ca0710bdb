//! Comparison of an area's figure with a benchmark (its region, or England
//! and Wales), as the Fingertips profiles do it.

use statrs::distribution::{ContinuousCDF, Normal};

use super::interval::{ConfidenceLevel, Interval, Intervals};
use super::polarity::Polarity;

/// Result of comparing a figure's intervals with a benchmark value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Comparison {
    /// Benchmark outside the 99.8% interval, on the good side.
    Best,
    /// Benchmark outside the 95% interval (inside the 99.8%), good side.
    Better,
    /// Benchmark inside the 95% interval.
    Similar,
    /// Benchmark outside the 95% interval (inside the 99.8%), bad side.
    Worse,
    /// Benchmark outside the 99.8% interval, on the bad side.
    Worst,
}

impl Comparison {
    /// Significantly worse than the benchmark (at 95% or 99.8%).
    pub fn is_worse(self) -> bool {
        matches!(self, Comparison::Worse | Comparison::Worst)
    }

    /// Significantly better than the benchmark (at 95% or 99.8%).
    pub fn is_better(self) -> bool {
        matches!(self, Comparison::Better | Comparison::Best)
    }

    /// The `vs_region`/`vs_national` column value.
    pub fn as_str(self) -> &'static str {
        match self {
            Comparison::Best => "best",
            Comparison::Better => "better",
            Comparison::Similar => "similar",
            Comparison::Worse => "worse",
            Comparison::Worst => "worst",
        }
    }
}

/// Compares `intervals` with `benchmark`: [`Comparison::Similar`] when the
/// benchmark lies in the 95% interval (limits included), otherwise
/// better/worse by `polarity`, and best/worst when it also lies outside the
/// 99.8% interval. `None` when the benchmark is not a finite number.
pub fn compare_with_benchmark(
    intervals: &Intervals,
    benchmark: f64,
    polarity: Polarity,
) -> Option<Comparison> {
    if !benchmark.is_finite() {
        return None;
    }
    if intervals.ci95.contains(benchmark) {
        return Some(Comparison::Similar);
    }
    let figure_is_higher = intervals.ci95.lower > benchmark;
    let good = figure_is_higher == polarity.increase_is_better();
    let beyond_998 = !intervals.ci998.contains(benchmark);
    Some(match (good, beyond_998) {
        (true, true) => Comparison::Best,
        (true, false) => Comparison::Better,
        (false, false) => Comparison::Worse,
        (false, true) => Comparison::Worst,
    })
}

/// The largest z the p-value search tries: `2 * pnorm(-8)` is about
/// 1.2e-15, the smallest p-value reported.
const MAX_Z: f64 = 8.0;

/// The two-sided p-value of a comparison made by confidence intervals,
/// found by inverting them: the `p` at which `benchmark` lies exactly on a
/// limit of the `1 - p` interval that `interval_at` computes (by the
/// indicator's own method: Wilson, Byar, exact Poisson). So `p < 0.05`
/// exactly when the benchmark lies outside the 95% interval and
/// `p < 0.002` when outside the 99.8% one: the p-value agrees with the
/// flags [`compare_with_benchmark`] raises.
///
/// The intervals must widen as the level rises (they all do). The search
/// bisects on z in (0, 8] to 1e-12; a benchmark outside even the z = 8
/// interval gets `2 * pnorm(-8)`, about 1.2e-15 (read it as "below"), and
/// one inside every interval gets 1. `None` when the benchmark is not
/// finite or an interval cannot be computed.
pub fn interval_p_value(
    benchmark: f64,
    interval_at: impl Fn(&ConfidenceLevel) -> Option<Interval>,
) -> Option<f64> {
    if !benchmark.is_finite() {
        return None;
    }
    // every z tried lies in [1e-9, MAX_Z]
    let inside = |z: f64| -> Option<bool> {
        let level = ConfidenceLevel::from_search_z(z);
        Some(interval_at(&level)?.contains(benchmark))
    };
    let p_of = |z: f64| 2.0 * Normal::standard().cdf(-z);
    let mut lo = 1e-9;
    if inside(lo)? {
        return Some(1.0);
    }
    let mut hi = MAX_Z;
    if !inside(hi)? {
        return Some(p_of(hi));
    }
    // invariant: outside at `lo`, inside at `hi`
    while hi - lo > 1e-12 {
        let mid = 0.5 * (lo + hi);
        if inside(mid)? {
            hi = mid;
        } else {
            lo = mid;
        }
    }
    Some(p_of(0.5 * (lo + hi)))
}
