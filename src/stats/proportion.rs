//! Proportions: Wilson score intervals, plain and survey-weighted.

use super::error::{StatsError, check_count};
use super::interval::{CiMethod, ConfidenceLevel, Estimate, Interval, Intervals};

/// Relative slack allowed when a weighted numerator, summed in a different
/// order from its denominator, exceeds it by rounding only.
const WEIGHT_SUM_SLACK: f64 = 1e-12;

/// Wilson score interval for `x` events out of `n`, on the proportion scale
/// (0 to 1), by the formula PHEindicatormethods uses:
/// `(2x + z^2 -/+ z sqrt(z^2 + 4x(1 - x/n))) / (2 (n + z^2))`.
///
/// `x` and `n` need not be integers. `None` when `n` is 0; an error when
/// `x > n`. Limits are held to contain `x / n` and clamped to `[0, 1]`,
/// against rounding at 0 of n and n of n.
pub fn wilson_interval(
    x: f64,
    n: f64,
    level: &ConfidenceLevel,
) -> Result<Option<Interval>, StatsError> {
    let x = check_count("numerator", x)?;
    let n = check_count("denominator", n)?;
    if x > n {
        return Err(StatsError::NumeratorExceedsDenominator {
            numerator: x,
            denominator: n,
        });
    }
    if n == 0.0 {
        return Ok(None);
    }
    let z = level.z();
    let z2 = z * z;
    let spread = z * (z2 + 4.0 * x * (1.0 - x / n)).sqrt();
    let lower = (2.0 * x + z2 - spread) / 2.0 / (n + z2);
    let upper = (2.0 * x + z2 + spread) / 2.0 / (n + z2);
    // The Wilson interval always contains x/n, but at x = n the formula's
    // upper limit rounds to one ulp below 1 (and at x = 0 the lower limit
    // can round above 0): hold the limits to the estimate, then to [0, 1].
    let estimate = x / n;
    let interval = Interval {
        lower: lower.min(estimate).clamp(0.0, 1.0),
        upper: upper.max(estimate).clamp(0.0, 1.0),
    };
    Ok(interval.is_finite().then_some(interval))
}

/// The proportion `x / n * multiplier` (100 for a percentage) with Wilson
/// intervals at 95% and 99.8%. `None` when `n` is 0.
pub fn proportion_estimate(
    x: f64,
    n: f64,
    multiplier: f64,
) -> Result<Option<Estimate>, StatsError> {
    let multiplier = check_count("multiplier", multiplier)?;
    let Some(ci95) = wilson_interval(x, n, &ConfidenceLevel::P95)? else {
        return Ok(None);
    };
    let Some(ci998) = wilson_interval(x, n, &ConfidenceLevel::P998)? else {
        return Ok(None);
    };
    let intervals = Intervals {
        method: CiMethod::Wilson,
        ci95,
        ci998,
    };
    let estimate = Estimate {
        value: x / n,
        intervals,
    };
    Ok(estimate.scaled(multiplier).finite())
}

/// Kish's effective sample size `(sum w)^2 / sum w^2` from the sum of the
/// weights and the sum of their squares. `None` when there are no weights
/// (the sum of squares is 0).
pub fn kish_effective_sample_size(sum_weights: f64, sum_squared_weights: f64) -> Option<f64> {
    let ok = sum_weights.is_finite() && sum_weights >= 0.0 && sum_squared_weights.is_finite();
    if !ok || sum_squared_weights <= 0.0 {
        return None;
    }
    let n_eff = sum_weights * sum_weights / sum_squared_weights;
    n_eff.is_finite().then_some(n_eff)
}

/// A weighted survey share (NI115): `weighted_numerator / sum_weights *
/// multiplier`, with Wilson intervals computed as if `p * n_eff` events had
/// been seen out of the Kish effective sample size `n_eff`.
///
/// The three sums add up over respondents, so regional and national figures
/// come from summing the LA sums. `None` when there are no weights.
pub fn weighted_proportion_estimate(
    weighted_numerator: f64,
    sum_weights: f64,
    sum_squared_weights: f64,
    multiplier: f64,
) -> Result<Option<Estimate>, StatsError> {
    let numerator = check_count("weighted numerator", weighted_numerator)?;
    let sum_weights = check_count("sum of weights", sum_weights)?;
    let sum_squared = check_count("sum of squared weights", sum_squared_weights)?;
    if numerator > sum_weights * (1.0 + WEIGHT_SUM_SLACK) {
        return Err(StatsError::NumeratorExceedsDenominator {
            numerator,
            denominator: sum_weights,
        });
    }
    let Some(n_eff) = kish_effective_sample_size(sum_weights, sum_squared) else {
        return Ok(None);
    };
    if sum_weights == 0.0 {
        return Ok(None);
    }
    let share = (numerator / sum_weights).min(1.0);
    let Some(mut estimate) = proportion_estimate(share * n_eff, n_eff, 1.0)? else {
        return Ok(None);
    };
    estimate.value = share;
    Ok(estimate.scaled(multiplier).finite())
}
