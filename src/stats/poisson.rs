//! Intervals for counts, rates and observed/expected ratios (Poisson).

use statrs::distribution::{ContinuousCDF, Gamma};
use statrs::function::gamma::{gamma_ur, ln_gamma};

use super::error::{StatsError, check_count};
use super::interval::{CiMethod, ConfidenceLevel, Estimate, Interval, Intervals};

/// Counts below this use the exact interval; from it on, Byar's.
pub const EXACT_BELOW: f64 = 10.0;

/// Byar's approximation to the Poisson interval of `count` (Breslow and Day
/// 1987), as PHEindicatormethods' `byars_lower`/`byars_upper`:
/// `x (1 - 1/(9x) - z/(3 sqrt x))^3` and
/// `(x+1) (1 - 1/(9(x+1)) + z/(3 sqrt(x+1)))^3`.
///
/// Where the lower formula goes negative (very small counts at high levels)
/// PHE returns NA; here the lower limit is 0, as it is for a count of 0.
pub fn byar_interval(count: f64, level: &ConfidenceLevel) -> Result<Interval, StatsError> {
    let x = check_count("count", count)?;
    let z = level.z();
    let lower = if x > 0.0 {
        (x * (1.0 - 1.0 / (9.0 * x) - z / (3.0 * x.sqrt())).powi(3)).max(0.0)
    } else {
        0.0
    };
    let x1 = x + 1.0;
    let upper = x1 * (1.0 - 1.0 / (9.0 * x1) + z / (3.0 * x1.sqrt())).powi(3);
    Ok(Interval { lower, upper })
}

/// Exact Poisson interval of `count` from the chi-square distribution:
/// `qchisq(a/2, 2x) / 2` and `qchisq(1 - a/2, 2x + 2) / 2`, computed as gamma
/// quantiles. The lower limit of a count of 0 is 0.
pub fn exact_poisson_interval(count: f64, level: &ConfidenceLevel) -> Result<Interval, StatsError> {
    let x = check_count("count", count)?;
    let tail = level.tail();
    Ok(Interval {
        lower: gamma_quantile(x, tail),
        upper: gamma_upper_quantile(x + 1.0, tail),
    })
}

/// Quantile of the gamma distribution with `shape` and rate 1; 0 for a
/// shape of 0 (the degenerate distribution at 0).
pub(crate) fn gamma_quantile(shape: f64, p: f64) -> f64 {
    match Gamma::new(shape, 1.0) {
        Ok(gamma) if shape > 0.0 => gamma.inverse_cdf(p),
        _ => 0.0,
    }
}

/// The `x` with `P(X > x) = tail` for X ~ Gamma(`shape`, 1). Starts from
/// statrs's quantile (computed on `1 - tail`, which loses about five digits
/// at a tail of 0.001) and polishes it with Newton steps on the upper
/// regularised gamma function, which is evaluated directly in the tail.
pub(crate) fn gamma_upper_quantile(shape: f64, tail: f64) -> f64 {
    let mut x = gamma_quantile(shape, 1.0 - tail);
    if shape <= 0.0 {
        return x;
    }
    let ln_norm = ln_gamma(shape);
    for _ in 0..NEWTON_STEPS {
        if !(x > 0.0 && x.is_finite()) {
            break;
        }
        let density = ((shape - 1.0) * x.ln() - x - ln_norm).exp();
        if !(density > 0.0 && density.is_finite()) {
            break;
        }
        let next = x + (gamma_ur(shape, x) - tail) / density;
        if !(next > 0.0 && next.is_finite()) {
            break;
        }
        let converged = (next - x).abs() <= 4.0 * f64::EPSILON * x;
        x = next;
        if converged {
            break;
        }
    }
    x
}

/// Newton steps allowed when polishing an upper gamma quantile (two or three
/// suffice from statrs's starting point).
const NEWTON_STEPS: usize = 6;

/// The interval PHE would publish for `count`: exact below
/// [`EXACT_BELOW`] events, Byar's from there on; with the method used.
pub fn count_interval(
    count: f64,
    level: &ConfidenceLevel,
) -> Result<(Interval, CiMethod), StatsError> {
    let x = check_count("count", count)?;
    if x < EXACT_BELOW {
        Ok((exact_poisson_interval(x, level)?, CiMethod::Exact))
    } else {
        Ok((byar_interval(x, level)?, CiMethod::Byar))
    }
}

/// The 95% and 99.8% intervals of `count` in one call (see
/// [`count_interval`]).
pub fn count_intervals(count: f64) -> Result<Intervals, StatsError> {
    let (ci95, method) = count_interval(count, &ConfidenceLevel::P95)?;
    let (ci998, _) = count_interval(count, &ConfidenceLevel::P998)?;
    Ok(Intervals {
        method,
        ci95,
        ci998,
    })
}

/// A crude rate `count / denominator * multiplier` with the count's
/// intervals scaled the same way (PHE `phe_rate`). `None` when the
/// denominator is 0.
pub fn rate_estimate(
    count: f64,
    denominator: f64,
    multiplier: f64,
) -> Result<Option<Estimate>, StatsError> {
    let count = check_count("count", count)?;
    let denominator = check_count("denominator", denominator)?;
    let multiplier = check_count("multiplier", multiplier)?;
    if denominator == 0.0 {
        return Ok(None);
    }
    let intervals = count_intervals(count)?;
    let factor = multiplier / denominator;
    let estimate = Estimate {
        value: count * factor,
        intervals: intervals.scaled(factor),
    };
    Ok(estimate.finite())
}

/// An observed/expected ratio with the observed count's intervals divided
/// by the expected count, as PHE's indirectly standardised ratio. Multiply
/// by a reference rate ([`Estimate::scaled`]) for an indirectly
/// standardised rate. `None` when `expected` is 0.
pub fn ratio_estimate(observed: f64, expected: f64) -> Result<Option<Estimate>, StatsError> {
    let observed = check_count("observed", observed)?;
    let expected = check_count("expected", expected)?;
    if expected == 0.0 {
        return Ok(None);
    }
    let intervals = count_intervals(observed)?;
    let estimate = Estimate {
        value: observed / expected,
        intervals: Intervals {
            method: intervals.method,
            ci95: divided(intervals.ci95, expected),
            ci998: divided(intervals.ci998, expected),
        },
    };
    Ok(estimate.finite())
}

fn divided(interval: Interval, by: f64) -> Interval {
    Interval {
        lower: interval.lower / by,
        upper: interval.upper / by,
    }
}
