//! Which direction of an indicator is good.

use serde::{Deserialize, Serialize};

/// Whether a lower or a higher value of an indicator is better.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Polarity {
    /// Lower values are better (re-offending, crime rates).
    LowerIsBetter,
    /// Higher values are better (drug users in effective treatment).
    HigherIsBetter,
}

impl Polarity {
    /// The YAML spelling: `lower_is_better` or `higher_is_better`.
    pub fn as_str(self) -> &'static str {
        match self {
            Polarity::LowerIsBetter => "lower_is_better",
            Polarity::HigherIsBetter => "higher_is_better",
        }
    }

    /// True when moving from `reference` to `value` is an improvement
    /// (strictly better; equal is not better).
    pub fn is_better(self, value: f64, reference: f64) -> bool {
        match self {
            Polarity::LowerIsBetter => value < reference,
            Polarity::HigherIsBetter => value > reference,
        }
    }

    /// True when a positive change (an increase) is an improvement.
    pub fn increase_is_better(self) -> bool {
        matches!(self, Polarity::HigherIsBetter)
    }
}
