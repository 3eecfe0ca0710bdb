//! Comparison of an area's figure with a benchmark (its region, or England
//! and Wales), as the Fingertips profiles do it.

use super::interval::Intervals;
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
