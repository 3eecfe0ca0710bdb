//! Interval types shared by every method: levels, methods and the pair of
//! 95% and 99.8% intervals attached to each published figure.

use statrs::distribution::{ContinuousCDF, Normal};

use super::error::StatsError;

/// Two-sided z for a 95% interval: `qnorm(0.975)`.
pub const Z95: f64 = 1.959963984540054;
/// Two-sided z for a 99.8% interval: `qnorm(0.999)`.
pub const Z998: f64 = 3.090232306167813;

/// A two-sided confidence level with its normal quantile.
#[derive(Debug, Clone, Copy)]
pub struct ConfidenceLevel {
    /// The level; `None` until asked for when made from `z` by the
    /// p-value search, whose intervals mostly need only `z`.
    level: Option<f64>,
    z: f64,
}

impl PartialEq for ConfidenceLevel {
    fn eq(&self, other: &Self) -> bool {
        self.z == other.z && self.level() == other.level()
    }
}

impl ConfidenceLevel {
    /// The 95% level (the default for published intervals).
    pub const P95: ConfidenceLevel = ConfidenceLevel {
        level: Some(0.95),
        z: Z95,
    };
    /// The 99.8% level (the outer funnel limit, "3 sigma").
    pub const P998: ConfidenceLevel = ConfidenceLevel {
        level: Some(0.998),
        z: Z998,
    };

    /// A level strictly between 0 and 1, such as `0.9`. 0.95 and 0.998 give
    /// the exact constants [`Z95`] and [`Z998`].
    pub fn new(level: f64) -> Result<Self, StatsError> {
        if !(level > 0.0 && level < 1.0) {
            return Err(StatsError::InvalidLevel { level });
        }
        if level == 0.95 {
            return Ok(Self::P95);
        }
        if level == 0.998 {
            return Ok(Self::P998);
        }
        let normal = Normal::standard();
        Ok(Self {
            level: Some(level),
            z: normal.inverse_cdf(level + (1.0 - level) / 2.0),
        })
    }

    /// The level whose two-sided normal quantile is `z` (> 0 and finite):
    /// `1 - 2 * pnorm(-z)`. Fails when that level rounds to 0 or 1.
    pub fn from_z(z: f64) -> Result<Self, StatsError> {
        let level = level_of_z(z);
        if !(z.is_finite() && z > 0.0 && level > 0.0 && level < 1.0) {
            return Err(StatsError::InvalidLevel { level });
        }
        Ok(Self {
            level: Some(level),
            z,
        })
    }

    /// [`ConfidenceLevel::from_z`] for a `z` in `[1e-9, 8]` (every such
    /// level is strictly between 0 and 1), its level computed only when
    /// asked for: the p-value search tries some forty levels per test,
    /// and the Wilson and Byar intervals need only `z`. The same values
    /// as `from_z`, bit for bit.
    pub(crate) fn from_search_z(z: f64) -> Self {
        debug_assert!((1e-9..=8.0).contains(&z), "z {z} outside the search range");
        Self { level: None, z }
    }

    /// The level, e.g. `0.95`.
    pub fn level(&self) -> f64 {
        self.level.unwrap_or_else(|| level_of_z(self.z))
    }

    /// The two-sided normal quantile, e.g. 1.959963984540054 for 95%.
    pub fn z(&self) -> f64 {
        self.z
    }

    /// The probability in each tail, `(1 - level) / 2`.
    pub fn tail(&self) -> f64 {
        (1.0 - self.level()) / 2.0
    }
}

/// The two-sided level of the normal quantile `z`: `1 - 2 * pnorm(-z)`.
fn level_of_z(z: f64) -> f64 {
    1.0 - 2.0 * Normal::standard().cdf(-z)
}

/// How an interval was computed, recorded in the `ci_method` column.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CiMethod {
    /// Wilson score interval for a proportion.
    Wilson,
    /// Byar's approximation to the exact Poisson interval.
    Byar,
    /// Exact Poisson interval from the chi-square (gamma) distribution.
    Exact,
}

impl CiMethod {
    /// The column value: `wilson`, `byar` or `exact`.
    pub fn as_str(self) -> &'static str {
        match self {
            CiMethod::Wilson => "wilson",
            CiMethod::Byar => "byar",
            CiMethod::Exact => "exact",
        }
    }
}

/// A closed interval `[lower, upper]`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Interval {
    /// Lower limit.
    pub lower: f64,
    /// Upper limit.
    pub upper: f64,
}

impl Interval {
    /// True when `value` lies in `[lower, upper]`.
    pub fn contains(&self, value: f64) -> bool {
        self.lower <= value && value <= self.upper
    }

    /// Both limits multiplied by `factor`.
    pub fn scaled(&self, factor: f64) -> Interval {
        Interval {
            lower: self.lower * factor,
            upper: self.upper * factor,
        }
    }

    /// True when both limits are finite.
    pub(crate) fn is_finite(&self) -> bool {
        self.lower.is_finite() && self.upper.is_finite()
    }
}

/// The 95% and 99.8% intervals of one figure and the method behind them.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Intervals {
    /// Method used for both levels.
    pub method: CiMethod,
    /// 95% interval (`ci_lower`, `ci_upper`).
    pub ci95: Interval,
    /// 99.8% interval (`ci998_lower`, `ci998_upper`).
    pub ci998: Interval,
}

impl Intervals {
    /// Both intervals multiplied by `factor`.
    pub fn scaled(&self, factor: f64) -> Intervals {
        Intervals {
            method: self.method,
            ci95: self.ci95.scaled(factor),
            ci998: self.ci998.scaled(factor),
        }
    }

    /// True when all four limits are finite.
    pub(crate) fn is_finite(&self) -> bool {
        self.ci95.is_finite() && self.ci998.is_finite()
    }
}

/// A point estimate with its intervals, on the published scale.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Estimate {
    /// The published value (`value` column).
    pub value: f64,
    /// Its 95% and 99.8% intervals.
    pub intervals: Intervals,
}

impl Estimate {
    /// The value and intervals multiplied by `factor` (for example a ratio
    /// times a reference rate gives an indirectly standardised rate).
    pub fn scaled(&self, factor: f64) -> Estimate {
        Estimate {
            value: self.value * factor,
            intervals: self.intervals.scaled(factor),
        }
    }

    /// `Some(self)` when every number is finite (guards against overflow for
    /// extreme but valid input such as a denormal denominator).
    pub(crate) fn finite(self) -> Option<Estimate> {
        (self.value.is_finite() && self.intervals.is_finite()).then_some(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_search_level_is_from_z_bit_for_bit() {
        // the p-value search's levels, made without their level, must give
        // the same level, tail and z as from_z, or p-values would move
        let mut z = 1e-9;
        while z <= 8.0 {
            let lazy = ConfidenceLevel::from_search_z(z);
            let eager = ConfidenceLevel::from_z(z).expect("a level in (0, 1)");
            assert_eq!(lazy.z().to_bits(), eager.z().to_bits(), "z {z}");
            assert_eq!(lazy.level().to_bits(), eager.level().to_bits(), "z {z}");
            assert_eq!(lazy.tail().to_bits(), eager.tail().to_bits(), "z {z}");
            assert_eq!(lazy, eager);
            z = z * 1.37 + 1e-3;
        }
        assert_ne!(
            ConfidenceLevel::from_search_z(1.0),
            ConfidenceLevel::from_search_z(1.5)
        );
    }
}
