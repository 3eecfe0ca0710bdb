//! Funnel-plot control limits around a benchmark, as PHE's
//! `calculate_funnel_limits`: proportions by inverting the Wilson score
//! interval, rates and observed/expected ratios by the Poisson distribution.

use super::interval::{ConfidenceLevel, Z95, Z998};
use super::poisson::{gamma_quantile, gamma_upper_quantile};

/// Probability in each tail of the 95% limits.
const TAIL95: f64 = 0.025;
/// Probability in each tail of the 99.8% limits.
const TAIL998: f64 = 0.001;

/// The four control limits at one point of the funnel.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FunnelLimits {
    /// Lower 95% limit.
    pub lower95: f64,
    /// Upper 95% limit.
    pub upper95: f64,
    /// Lower 99.8% limit.
    pub lower998: f64,
    /// Upper 99.8% limit.
    pub upper998: f64,
}

/// Which control limit of a funnel.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FunnelSide {
    /// The limit below the benchmark.
    Lower,
    /// The limit above the benchmark.
    Upper,
}

/// How the Poisson funnel is inverted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PoissonFunnelMethod {
    /// Exact inversion with gamma (chi-square) quantiles.
    Exact,
    /// PHE's bisection (from the Fingertips Excel macro), which stops when
    /// the step is below 1e-7 and so differs from the exact answer by a
    /// relative 1e-5 or less; use it to reproduce published Fingertips
    /// funnels to the last digit.
    PheBisection,
}

/// The proportion (0 to 1) on one control limit of a funnel around
/// `benchmark` at `denominator` (PHE `sigma_adjustment`): the observed
/// proportion at which the Wilson interval's far limit touches the
/// benchmark. Not clamped (see [`proportion_funnel_limits`]). `None` unless
/// `0 <= benchmark <= 1` and `denominator > 0`, both finite.
pub fn proportion_funnel_limit(
    benchmark: f64,
    denominator: f64,
    level: &ConfidenceLevel,
    side: FunnelSide,
) -> Option<f64> {
    let valid = (0.0..=1.0).contains(&benchmark) && denominator.is_finite() && denominator > 0.0;
    if !valid {
        return None;
    }
    let (av, n) = (benchmark, denominator);
    let z2 = level.z() * level.z();
    let first_part = av * (n / z2 + 1.0);
    let discriminant = (-8.0 * av * (n / z2 + 1.0)).powi(2)
        - 64.0 * (1.0 / z2 + 1.0 / n) * av * (n * (av * (n / z2 + 2.0) - 1.0) + z2 * (av - 1.0));
    // Negative only by rounding, at a benchmark of exactly 1.
    let adj = discriminant.max(0.0).sqrt();
    let last_part = 1.0 / z2 + 1.0 / n;
    let count = match side {
        FunnelSide::Lower => (first_part - adj / 8.0) / last_part,
        FunnelSide::Upper => (first_part + adj / 8.0) / last_part,
    };
    let limit = count / n;
    limit.is_finite().then_some(limit)
}

/// The 95% and 99.8% funnel limits for a proportion at `denominator`,
/// clamped to `[0, 1]` as PHE clamps percentages to `[0, 100]`.
pub fn proportion_funnel_limits(benchmark: f64, denominator: f64) -> Option<FunnelLimits> {
    let limit = |level: &ConfidenceLevel, side| {
        proportion_funnel_limit(benchmark, denominator, level, side).map(|v| v.clamp(0.0, 1.0))
    };
    Some(FunnelLimits {
        lower95: limit(&ConfidenceLevel::P95, FunnelSide::Lower)?,
        upper95: limit(&ConfidenceLevel::P95, FunnelSide::Upper)?,
        lower998: limit(&ConfidenceLevel::P998, FunnelSide::Lower)?,
        upper998: limit(&ConfidenceLevel::P998, FunnelSide::Upper)?,
    })
}

/// The expected count at which `observed` events lie exactly on a Poisson
/// control limit with `tail` probability beyond it: for the lower limit
/// `P(X <= observed | expected) = tail`, for the upper limit
/// `P(X >= observed | expected) = tail`.
///
/// `None` for the upper limit of 0 events (any expected count would do) or
/// a tail outside (0, 1).
pub fn poisson_funnel_expected(
    observed: u64,
    tail: f64,
    side: FunnelSide,
    method: PoissonFunnelMethod,
) -> Option<f64> {
    if !(tail > 0.0 && tail < 1.0) || (observed == 0 && side == FunnelSide::Upper) {
        return None;
    }
    let o = observed as f64;
    let expected = match method {
        PoissonFunnelMethod::Exact => match side {
            FunnelSide::Lower => gamma_upper_quantile(o + 1.0, tail),
            FunnelSide::Upper => gamma_quantile(o, tail),
        },
        PoissonFunnelMethod::PheBisection => phe_bisection(o, tail, side),
    };
    (expected.is_finite() && expected > 0.0).then_some(expected)
}

/// PHE's `poisson_funnel`: bisection on `v` in (0, 1) with
/// `expected = (1 + observed) v / (1 - v)`, halving the step from 0.25
/// while it exceeds 1e-7. Kept operation for operation.
fn phe_bisection(observed: f64, tail: f64, side: FunnelSide) -> f64 {
    let mut v = 0.5;
    let mut dv = 0.5;
    while dv > 1e-7 {
        dv /= 2.0;
        let z = (1.0 + observed) * v / (1.0 - v);
        let step_down = match side {
            // PHE side "high": P(X <= observed) < p moves v down.
            FunnelSide::Lower => phe_poisson_share(z, 0.0, observed) < tail,
            // PHE side "low": P(X >= observed) > p moves v down.
            FunnelSide::Upper => phe_poisson_share(z, observed, 1e10) > tail,
        };
        if step_down {
            v -= dv;
        } else {
            v += dv;
        }
    }
    (1.0 + observed) * v / (1.0 - v)
}

/// PHE's `poisson_cis`: `P(from <= X <= to)` for `X ~ Poisson(z)` by direct
/// summation of the probabilities relative to the first term, rescaled to
/// avoid overflow.
fn phe_poisson_share(z: f64, from: f64, to: f64) -> f64 {
    let mut q = 1.0;
    let mut total = 0.0;
    let mut share = 0.0;
    let mut k = 0.0;
    while k <= z || q > total * 1e-10 {
        total += q;
        if k >= from && k <= to {
            share += q;
        }
        if total > 1e30 {
            share /= 1e30;
            total /= 1e30;
            q /= 1e30;
        }
        k += 1.0;
        q = q * z / k;
    }
    share / total
}

/// One point on a Poisson funnel limit: at `denominator` (expected events
/// for a ratio, population for a rate) the limit equals `limit`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PoissonFunnelPoint {
    /// The x coordinate: expected events, or population.
    pub denominator: f64,
    /// The y coordinate: the ratio or rate on the limit.
    pub limit: f64,
}

/// The four limit points generated by one observed count, as the rows of
/// PHE's funnel tables for ratios and rates.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PoissonFunnelPoints {
    /// The observed count the points come from.
    pub observed: u64,
    /// Point on the lower 95% limit.
    pub lower95: PoissonFunnelPoint,
    /// Point on the upper 95% limit.
    pub upper95: PoissonFunnelPoint,
    /// Point on the lower 99.8% limit.
    pub lower998: PoissonFunnelPoint,
    /// Point on the upper 99.8% limit.
    pub upper998: PoissonFunnelPoint,
}

fn funnel_points(
    observed: u64,
    method: PoissonFunnelMethod,
    to_point: impl Fn(f64) -> PoissonFunnelPoint,
) -> Option<PoissonFunnelPoints> {
    let point = |tail, side| {
        poisson_funnel_expected(observed, tail, side, method)
            .map(&to_point)
            .filter(|p| p.denominator.is_finite() && p.limit.is_finite())
    };
    Some(PoissonFunnelPoints {
        observed,
        lower95: point(TAIL95, FunnelSide::Lower)?,
        upper95: point(TAIL95, FunnelSide::Upper)?,
        lower998: point(TAIL998, FunnelSide::Lower)?,
        upper998: point(TAIL998, FunnelSide::Upper)?,
    })
}

/// Funnel points for an observed/expected ratio around a benchmark ratio of
/// 1: for each limit, the expected count at which `observed` sits on it and
/// the ratio `observed / expected` there. Subtract 1 for PHE's "count"
/// ratio type; multiply by 100 for its "isr". `None` for 0 events.
pub fn ratio_funnel_points(
    observed: u64,
    method: PoissonFunnelMethod,
) -> Option<PoissonFunnelPoints> {
    let o = observed as f64;
    funnel_points(observed, method, |expected| PoissonFunnelPoint {
        denominator: expected,
        limit: o / expected,
    })
}

/// Funnel points for a rate around `benchmark_rate` (events per unit of
/// population, before any multiplier): population `expected /
/// benchmark_rate` and rate `events / population`. Divide populations by
/// the years of data and multiply rates by the multiplier as needed. `None`
/// for 0 events or a benchmark that is not finite and > 0.
pub fn rate_funnel_points(
    events: u64,
    benchmark_rate: f64,
    method: PoissonFunnelMethod,
) -> Option<PoissonFunnelPoints> {
    if !(benchmark_rate.is_finite() && benchmark_rate > 0.0) {
        return None;
    }
    let o = events as f64;
    funnel_points(events, method, |expected| {
        let population = expected / benchmark_rate;
        PoissonFunnelPoint {
            denominator: population,
            limit: o / population,
        }
    })
}

/// The normal quantiles of the two funnel levels, for the random-effects
/// limits.
pub(crate) const FUNNEL_Z: (f64, f64) = (Z95, Z998);
