//! Statistics for indicator results: confidence intervals, comparisons with
//! benchmarks, trend and significance tests, funnel-plot limits, targets, PSA
//! progress, disclosure control, false-discovery-rate control of many
//! flags, statistical process control (XmR charts) of a series, and most
//! similar groups of areas.
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
mod fdr;
mod funnel;
mod interval;
mod overdispersion;
mod peers;
mod poisson;
mod polarity;
mod progress;
mod proportion;
mod significance;
mod spc;
mod suppression;
mod target;
mod trend;

pub use compare::{Comparison, compare_with_benchmark, interval_p_value};
pub use error::StatsError;
pub use fdr::{FalseDiscoveryRate, FdrControl, benjamini_hochberg, control_fdr};
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
pub use peers::{Peer, nearest_peers};
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
pub use spc::{
    Assurance, PointType, RUN_LENGTH, SpcChart, SpecialCauseRules, Variation, XMR_LIMIT, XmrLimits,
    assurance, spc_chart, xmr_limits,
};
pub use suppression::{DEFAULT_THRESHOLD, SuppressionRow, suppress};
pub use target::{BaselineStatus, TargetStatus, baseline_status, target_status, trajectory};
pub use trend::{
    ProportionPoint, TREND_PERIODS, Trend, TrendTest, ValuePoint, chi_square_1df_p_value,
    proportion_trend, value_trend,
};

/// `Display` as the published word (`as_str`), so writers can format a
/// typed status with `{}`.
macro_rules! display_as_str {
    ($($t:ty),*) => {$(
        impl std::fmt::Display for $t {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    )*};
}

display_as_str!(
    Comparison,
    CiMethod,
    PsaProgress,
    TargetStatus,
    BaselineStatus,
    Trend
);
