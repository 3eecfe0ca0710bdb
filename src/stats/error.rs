//! The one error type of the statistics module.

use thiserror::Error;

/// Input that no statistic can be computed from: a caller's mistake, not an
/// undefined figure (those are `None`).
#[derive(Debug, Clone, PartialEq, Error)]
pub enum StatsError {
    /// A count, denominator, weight or expected value that is negative, NaN
    /// or infinite.
    #[error("{name} must be a finite number >= 0, got {value}")]
    InvalidCount {
        /// Which input was invalid (`numerator`, `denominator`, ...).
        name: &'static str,
        /// The value given.
        value: f64,
    },
    /// A proportion whose numerator exceeds its denominator.
    #[error("numerator {numerator} exceeds denominator {denominator}")]
    NumeratorExceedsDenominator {
        /// The numerator given.
        numerator: f64,
        /// The denominator given.
        denominator: f64,
    },
    /// A confidence level outside the open interval (0, 1).
    #[error("confidence level must lie strictly between 0 and 1, got {level}")]
    InvalidLevel {
        /// The level given.
        level: f64,
    },
    /// A false-discovery rate outside the open interval (0, 1).
    #[error("false-discovery rate must lie strictly between 0 and 1, got {rate}")]
    InvalidRate {
        /// The rate given.
        rate: f64,
    },
    /// A p-value or significance level that is not a number in [0, 1].
    #[error("p-value {index} must be a number between 0 and 1, got {value}")]
    InvalidProbability {
        /// Its position in the input.
        index: usize,
        /// The value given.
        value: f64,
    },
    /// Feature weights that are negative, not finite, all zero, or do not
    /// match the features in number.
    #[error("weights must be one per feature, each >= 0, and not all zero")]
    InvalidWeights,
    /// A peer-group size of 0, or not below the number of areas.
    #[error("k must be at least 1 and below the number of areas ({areas}), got {k}")]
    InvalidPeerCount {
        /// The k given.
        k: usize,
        /// How many areas there are.
        areas: usize,
    },
    /// A figure of a series that is NaN or infinite.
    #[error("value {index} of the series must be a finite number, got {value}")]
    NonFiniteValue {
        /// Its position in the series.
        index: usize,
        /// The value given.
        value: f64,
    },
}

/// Checks that `value` is a finite number >= 0.
pub(crate) fn check_count(name: &'static str, value: f64) -> Result<f64, StatsError> {
    if value.is_finite() && value >= 0.0 {
        Ok(value)
    } else {
        Err(StatsError::InvalidCount { name, value })
    }
}
