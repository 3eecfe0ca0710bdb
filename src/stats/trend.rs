//! Recent trend over the last five non-overlapping periods: a chi-square
//! test with one degree of freedom at the 99.8% level.

use super::interval::Z998;
use super::polarity::Polarity;

/// Number of most recent periods the trend test uses.
pub const TREND_PERIODS: usize = 5;

/// Direction of a significant recent trend, judged by polarity.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Trend {
    /// Significant change in the good direction.
    Improving,
    /// Significant change in the bad direction.
    Worsening,
    /// No change significant at the 99.8% level.
    NoSignificantChange,
}

impl Trend {
    /// The `trend` column value.
    pub fn as_str(self) -> &'static str {
        match self {
            Trend::Improving => "improving",
            Trend::Worsening => "worsening",
            Trend::NoSignificantChange => "no significant change",
        }
    }
}

/// One period of a proportion: `numerator` events out of `denominator`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ProportionPoint {
    /// Events in the period.
    pub numerator: f64,
    /// Population at risk in the period.
    pub denominator: f64,
}

/// One period of any other figure: its value and standard error.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ValuePoint {
    /// The figure.
    pub value: f64,
    /// Its standard error (> 0).
    pub standard_error: f64,
}

/// Outcome of a trend test.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TrendTest {
    /// The chi-square statistic (1 degree of freedom).
    pub statistic: f64,
    /// Estimated change per period (in proportion or value units).
    pub slope: f64,
    /// The verdict at the 99.8% level, by polarity.
    pub trend: Trend,
}

/// The p-value of a chi-square statistic with 1 degree of freedom:
/// `P(X > statistic) = 2 * pnorm(-sqrt(statistic))` (R:
/// `pchisq(statistic, 1, lower.tail = FALSE)`). `None` for a negative or
/// non-finite statistic.
pub fn chi_square_1df_p_value(statistic: f64) -> Option<f64> {
    use statrs::distribution::{ContinuousCDF, Normal};
    (statistic.is_finite() && statistic >= 0.0)
        .then(|| 2.0 * Normal::standard().cdf(-statistic.sqrt()))
}

/// Critical value of chi-square with 1 df at 99.8%: `qnorm(0.999)^2`.
fn critical_value() -> f64 {
    Z998 * Z998
}

/// The last [`TREND_PERIODS`] points, if there are that many and all pass
/// `usable`.
fn recent<T>(points: &[T], usable: impl Fn(&T) -> bool) -> Option<&[T]> {
    let start = points.len().checked_sub(TREND_PERIODS)?;
    let recent = &points[start..];
    recent.iter().all(usable).then_some(recent)
}

/// Period scores 1, 2, ... for the recent points.
fn scores() -> impl Iterator<Item = f64> {
    (1..=TREND_PERIODS).map(|i| i as f64)
}

fn verdict(statistic: f64, slope: f64, polarity: Polarity) -> TrendTest {
    let trend = if statistic > critical_value() && slope != 0.0 {
        if (slope > 0.0) == polarity.increase_is_better() {
            Trend::Improving
        } else {
            Trend::Worsening
        }
    } else {
        Trend::NoSignificantChange
    };
    TrendTest {
        statistic,
        slope,
        trend,
    }
}

/// Cochran-Armitage test for trend in proportions over the last five
/// periods (oldest first, scores 1 to 5):
/// `T = sum x_i (t_i - tbar)`, `V = pbar (1 - pbar) sum n_i (t_i - tbar)^2`,
/// statistic `T^2 / V`, with `tbar` weighted by `n_i`.
///
/// `None` when fewer than five points are given or any of the last five has
/// a zero, negative or non-finite denominator or a numerator outside
/// `[0, denominator]`. All-zero or all-event series give no significant
/// change.
pub fn proportion_trend(points: &[ProportionPoint], polarity: Polarity) -> Option<TrendTest> {
    let recent = recent(points, |p| {
        p.denominator.is_finite()
            && p.denominator > 0.0
            && p.numerator >= 0.0
            && p.numerator <= p.denominator
    })?;
    let total_n: f64 = recent.iter().map(|p| p.denominator).sum();
    let total_x: f64 = recent.iter().map(|p| p.numerator).sum();
    let p_bar = total_x / total_n;
    let t_bar = scores()
        .zip(recent)
        .map(|(t, p)| t * p.denominator)
        .sum::<f64>()
        / total_n;
    let t_stat: f64 = scores()
        .zip(recent)
        .map(|(t, p)| (p.numerator - p.denominator * p_bar) * (t - t_bar))
        .sum();
    let sxx: f64 = scores()
        .zip(recent)
        .map(|(t, p)| p.denominator * (t - t_bar).powi(2))
        .sum();
    let variance = p_bar * (1.0 - p_bar) * sxx;
    if variance <= 0.0 || !variance.is_finite() {
        return Some(verdict(0.0, 0.0, polarity));
    }
    let statistic = t_stat * t_stat / variance;
    Some(verdict(statistic, t_stat / sxx, polarity))
}

/// Inverse-variance weighted least-squares slope over the last five
/// periods (scores 1 to 5), tested by `slope^2 / var(slope)` with
/// `var(slope) = 1 / sum w_i (t_i - tbar_w)^2`, `w_i = 1 / se_i^2`.
///
/// `None` when fewer than five points are given or any of the last five has
/// a non-finite value or a standard error that is not finite and > 0.
pub fn value_trend(points: &[ValuePoint], polarity: Polarity) -> Option<TrendTest> {
    let recent = recent(points, |p| {
        p.value.is_finite() && p.standard_error.is_finite() && p.standard_error > 0.0
    })?;
    let weights: Vec<f64> = recent
        .iter()
        .map(|p| 1.0 / (p.standard_error * p.standard_error))
        .collect();
    let total_w: f64 = weights.iter().sum();
    let t_bar = scores().zip(&weights).map(|(t, w)| t * w).sum::<f64>() / total_w;
    let sxx: f64 = scores()
        .zip(&weights)
        .map(|(t, w)| w * (t - t_bar).powi(2))
        .sum();
    let sxy: f64 = scores()
        .zip(&weights)
        .zip(recent)
        .map(|((t, w), p)| w * (t - t_bar) * p.value)
        .sum();
    if !(sxx > 0.0 && sxx.is_finite() && total_w.is_finite()) {
        return None;
    }
    let slope = sxy / sxx;
    let statistic = slope * slope * sxx;
    statistic
        .is_finite()
        .then(|| verdict(statistic, slope, polarity))
}
