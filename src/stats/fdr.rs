//! False-discovery-rate control: Benjamini-Hochberg adjusted p-values
//! (q-values), as R's `p.adjust(p, method = "BH")` computes them.

use super::error::StatsError;

/// Benjamini-Hochberg adjusted p-values, in the order of `p_values`.
///
/// With the p-values sorted ascending, `p(1) <= ... <= p(n)`, the adjusted
/// value of the i-th is `min over j >= i of min(1, p(j) * n / j)`; this is
/// R's `pmin(1, cummin(n / i * p[o]))[ro]` with `o` the decreasing order.
/// A flag whose q-value is at most the declared false-discovery rate
/// survives the control at that rate.
///
/// An empty slice gives an empty vector. A p-value that is not a finite
/// number in `[0, 1]` is a [`StatsError::InvalidProbability`] naming its
/// position.
pub fn benjamini_hochberg(p_values: &[f64]) -> Result<Vec<f64>, StatsError> {
    for (index, &value) in p_values.iter().enumerate() {
        if !(value.is_finite() && (0.0..=1.0).contains(&value)) {
            return Err(StatsError::InvalidProbability { index, value });
        }
    }
    let n = p_values.len();
    let mut order: Vec<usize> = (0..n).collect();
    // Stable sort, ascending; every value is finite so the order is total.
    order.sort_by(|&a, &b| p_values[a].total_cmp(&p_values[b]));
    let mut q = vec![0.0; n];
    let mut running = 1.0_f64;
    for (rank0, &index) in order.iter().enumerate().rev() {
        let rank = (rank0 + 1) as f64;
        running = running.min(p_values[index] * n as f64 / rank);
        q[index] = running.min(1.0);
    }
    Ok(q)
}

/// A false-discovery rate: a number strictly between 0 and 1 (0.05 is 5%).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FalseDiscoveryRate(f64);

impl FalseDiscoveryRate {
    /// The conventional 5%.
    pub const DEFAULT: FalseDiscoveryRate = FalseDiscoveryRate(0.05);

    /// Checks that `rate` lies in the open interval (0, 1).
    pub fn new(rate: f64) -> Result<Self, StatsError> {
        if rate.is_finite() && rate > 0.0 && rate < 1.0 {
            Ok(FalseDiscoveryRate(rate))
        } else {
            Err(StatsError::InvalidRate { rate })
        }
    }

    /// The rate as a fraction.
    pub fn value(self) -> f64 {
        self.0
    }
}

impl Default for FalseDiscoveryRate {
    fn default() -> Self {
        Self::DEFAULT
    }
}

/// Which of a family of tests survive Benjamini-Hochberg control, and what
/// chance alone would have raised without it.
#[derive(Debug, Clone, PartialEq)]
pub struct FdrControl {
    /// The q-value of each test, in input order.
    pub q_values: Vec<f64>,
    /// Whether each test survives (`q <= rate`), in input order.
    pub survives: Vec<bool>,
    /// How many survive.
    pub surviving: usize,
    /// The number of flags the family's tests would raise by chance alone
    /// if every null hypothesis were true and each test were made at its
    /// own level: the sum of those levels (for example 0.05 per test at
    /// 95%).
    pub expected_by_chance: f64,
}

/// Applies Benjamini-Hochberg at `rate` to `p_values`; `test_levels` holds,
/// per test, the significance level (0.05 for a 95% test) at which it was
/// made without control, for [`FdrControl::expected_by_chance`].
pub fn control_fdr(
    p_values: &[f64],
    test_levels: &[f64],
    rate: FalseDiscoveryRate,
) -> Result<FdrControl, StatsError> {
    let q_values = benjamini_hochberg(p_values)?;
    for (index, &value) in test_levels.iter().enumerate() {
        if !(value.is_finite() && (0.0..=1.0).contains(&value)) {
            return Err(StatsError::InvalidProbability { index, value });
        }
    }
    let survives: Vec<bool> = q_values.iter().map(|&q| q <= rate.value()).collect();
    let surviving = survives.iter().filter(|s| **s).count();
    Ok(FdrControl {
        q_values,
        survives,
        surviving,
        expected_by_chance: test_levels.iter().sum(),
    })
}
