//! Statistics for indicator results: confidence intervals, comparisons with
//! benchmarks, trend and significance tests, funnel-plot limits, targets, PSA
//! progress and disclosure control.
//!
//! Everything here is a pure function over numbers: no query engine, no I/O.
//! The methods follow the PHE/UKHSA Fingertips technical guidance as
//! implemented in the R package PHEindicatormethods, and R's `binom.test`,
//! `poisson.test` and `prop.test` for the significance tests.
//!
//! Conventions:
//! - counts are `f64` so that summed, expected and weighted counts pass
//!   through unchanged; a negative or non-finite count is a [`StatsError`];
//! - a figure that is undefined for valid input (a zero denominator, zero
//!   expected events) is `None`; no function returns NaN or infinity;
//! - intervals come in pairs, 95% and 99.8%, with the method that produced
//!   them ([`Intervals`]).

mod compare;
mod error;
mod funnel;
mod interval;
mod overdispersion;
mod poisson;
mod polarity;
mod progress;
mod proportion;
mod significance;
mod suppression;
mod target;
mod trend;

pub use compare::{Comparison, compare_with_benchmark};
pub use error::StatsError;
pub use funnel::{
    FunnelLimits, FunnelSide, PoissonFunnelMethod, PoissonFunnelPoint, PoissonFunnelPoints,
    poisson_funnel_expected, proportion_funnel_limit, proportion_funnel_limits, rate_funnel_points,
    ratio_funnel_points,
};
pub use interval::{CiMethod, ConfidenceLevel, Estimate, Interval, Intervals, Z95, Z998};
pub use overdispersion::{
    FunnelUnit, Overdispersion, estimate_overdispersion, proportion_null_standard_error,
    random_effects_limits, ratio_null_standard_error,
};
pub use poisson::{
    EXACT_BELOW, byar_interval, count_interval, count_intervals, exact_poisson_interval,
    rate_estimate, ratio_estimate,
};
pub use polarity::Polarity;
pub use progress::{PsaProgress, psa_progress};
pub use proportion::{
    kish_effective_sample_size, proportion_estimate, weighted_proportion_estimate, wilson_interval,
};
pub use significance::{
    BinomialTest, PoissonComparison, ProportionComparison, actual_vs_expected,
    binomial_two_sided_p_value, compare_poisson_counts, compare_proportions,
};
pub use suppression::{DEFAULT_THRESHOLD, SuppressionRow, suppress};
pub use target::{BaselineStatus, TargetStatus, baseline_status, target_status, trajectory};
pub use trend::{
    ProportionPoint, TREND_PERIODS, Trend, TrendTest, ValuePoint, proportion_trend, value_trend,
};
