//! Spiegelhalter's overdispersion adjustment for funnel plots (Spiegelhalter
//! 2005, "Handling over-dispersion of performance indicators"): z-scores
//! winsorised at 10% each tail, the dispersion factor phi, and an additive
//! random-effects variance tau^2 that widens the limits.

use super::funnel::{FUNNEL_Z, FunnelLimits};

/// Share of units winsorised in each tail.
const WINSOR_SHARE: f64 = 0.1;

/// One unit (area) of a funnel: its value and the standard error its value
/// would have if it were at the benchmark (the "null" standard error).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FunnelUnit {
    /// The unit's value, on the scale of the benchmark.
    pub value: f64,
    /// Null standard error (> 0).
    pub standard_error: f64,
}

/// Estimated overdispersion of a set of units around a benchmark.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Overdispersion {
    /// Number of units used.
    pub units: usize,
    /// Dispersion factor: the mean squared winsorised z-score.
    pub phi: f64,
    /// Between-unit variance (0 when `units * phi <= units - 1`).
    pub tau2: f64,
}

impl Overdispersion {
    /// True when the units are more dispersed than chance allows
    /// (`tau2 > 0`).
    pub fn is_overdispersed(&self) -> bool {
        self.tau2 > 0.0
    }
}

/// Estimates phi and tau^2 from `units` around `benchmark`:
/// `z_i = (y_i - benchmark) / s_i`, winsorised so that the `floor(0.1 I)`
/// smallest and largest z-scores are set to the next value inwards;
/// `phi = sum z_w^2 / I`; `tau^2 = (I phi - (I - 1)) / (sum w_i -
/// sum w_i^2 / sum w_i)` with `w_i = 1 / s_i^2`, or 0 when that is not
/// positive (a DerSimonian-Laird style moment estimator).
///
/// Units with a non-finite value or a standard error that is not finite and
/// > 0 are skipped. `None` when fewer than two units remain.
pub fn estimate_overdispersion(units: &[FunnelUnit], benchmark: f64) -> Option<Overdispersion> {
    if !benchmark.is_finite() {
        return None;
    }
    let usable: Vec<&FunnelUnit> = units
        .iter()
        .filter(|u| u.value.is_finite() && u.standard_error.is_finite() && u.standard_error > 0.0)
        .collect();
    let count = usable.len();
    if count < 2 {
        return None;
    }
    let z: Vec<f64> = usable
        .iter()
        .map(|u| (u.value - benchmark) / u.standard_error)
        .collect();
    let winsorised = winsorise(&z);
    let i = count as f64;
    let phi = winsorised.iter().map(|z| z * z).sum::<f64>() / i;
    let weights: Vec<f64> = usable
        .iter()
        .map(|u| 1.0 / (u.standard_error * u.standard_error))
        .collect();
    let sum_w: f64 = weights.iter().sum();
    let sum_w2: f64 = weights.iter().map(|w| w * w).sum();
    let denominator = sum_w - sum_w2 / sum_w;
    let excess = i * phi - (i - 1.0);
    let tau2 = if excess > 0.0 && denominator > 0.0 {
        excess / denominator
    } else {
        0.0
    };
    let ok = phi.is_finite() && tau2.is_finite();
    ok.then_some(Overdispersion {
        units: count,
        phi,
        tau2,
    })
}

/// Sets the `floor(0.1 n)` lowest values to the next lowest and the same
/// number of highest to the next highest.
fn winsorise(values: &[f64]) -> Vec<f64> {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    let k = (WINSOR_SHARE * values.len() as f64).floor() as usize;
    let low = sorted[k];
    let high = sorted[sorted.len() - 1 - k];
    values.iter().map(|v| v.clamp(low, high)).collect()
}

/// Random-effects funnel limits at one point:
/// `benchmark -/+ z sqrt(se^2 + tau^2)` for z of 95% and 99.8%. With
/// `tau2 = 0` these are the normal-approximation limits.
pub fn random_effects_limits(benchmark: f64, standard_error: f64, tau2: f64) -> FunnelLimits {
    let spread = (standard_error * standard_error + tau2.max(0.0)).sqrt();
    let (z95, z998) = FUNNEL_Z;
    FunnelLimits {
        lower95: benchmark - z95 * spread,
        upper95: benchmark + z95 * spread,
        lower998: benchmark - z998 * spread,
        upper998: benchmark + z998 * spread,
    }
}

/// Null standard error of a proportion at `denominator`:
/// `sqrt(p0 (1 - p0) / n)`. `None` unless `0 <= p0 <= 1` and `n > 0`.
pub fn proportion_null_standard_error(benchmark: f64, denominator: f64) -> Option<f64> {
    let valid = (0.0..=1.0).contains(&benchmark) && denominator.is_finite() && denominator > 0.0;
    valid.then(|| (benchmark * (1.0 - benchmark) / denominator).sqrt())
}

/// Null standard error of an observed/expected ratio around 1 at
/// `expected` events: `1 / sqrt(E)`. `None` unless `expected > 0`.
pub fn ratio_null_standard_error(expected: f64) -> Option<f64> {
    let se = 1.0 / expected.sqrt();
    (expected > 0.0 && se.is_finite()).then_some(se)
}
