//! Significance tests: a count against its expected value (binomial), two
//! Poisson counts (conditional binomial test) and two proportions
//! (chi-square with continuity correction), matching R's `binom.test`,
//! `poisson.test` and `prop.test`.

use statrs::distribution::{Binomial, ChiSquared, ContinuousCDF, Discrete, DiscreteCDF};

use super::error::{StatsError, check_count};
use super::interval::ConfidenceLevel;

/// Relative tolerance R's `binom.test` allows when collecting outcomes no
/// more likely than the observed one.
const BINOM_REL_ERR: f64 = 1.0 + 1e-7;
/// Fuzz R's discrete quantile search applies to the target probability.
const QUANTILE_FUZZ: f64 = 1.0 - 64.0 * f64::EPSILON;

/// Actual events against a binomial expectation (NI18).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BinomialTest {
    /// Lower end of the central interval of counts under the expectation.
    pub lower: u64,
    /// Upper end of the central interval of counts under the expectation.
    pub upper: u64,
    /// True when the observed count lies outside `[lower, upper]`.
    pub significant: bool,
    /// Two-sided exact p-value, as R's `binom.test(x, n, p)`.
    pub p_value: f64,
}

/// Two-sided exact binomial p-value of `x` successes in `n` trials with
/// success probability `p`, by R's `binom.test` rule: the probability of
/// all outcomes no more likely than `x` (within a relative 1e-7). `None`
/// when `x > n` or `p` is outside `[0, 1]`.
pub fn binomial_two_sided_p_value(x: u64, n: u64, p: f64) -> Option<f64> {
    if x > n || !(0.0..=1.0).contains(&p) {
        return None;
    }
    if p == 0.0 {
        return Some(if x == 0 { 1.0 } else { 0.0 });
    }
    if p == 1.0 {
        return Some(if x == n { 1.0 } else { 0.0 });
    }
    let binomial = Binomial::new(p, n).ok()?;
    let d = binomial.pmf(x) * BINOM_REL_ERR;
    let m = n as f64 * p;
    let xf = x as f64;
    let p_value = if xf == m {
        1.0
    } else if xf < m {
        // R counts the outcomes in ceil(m)..=n no more likely than x. The
        // pmf does not increase on that range (the mode is floor((n+1)p)),
        // so they form a tail [k, n]: find k by bisection, O(log n) pmf
        // evaluations instead of O(n).
        let first = m.ceil() as u64;
        let k = partition_point(first, n + 1, |i| binomial.pmf(i) > d);
        let y = n + 1 - k;
        binomial.cdf(x) + binomial.sf(n - y)
    } else {
        // mirror image: the pmf does not decrease on 0..=floor(m), so the
        // outcomes there no more likely than x form a head [0, k)
        let last = m.floor() as u64;
        let y = partition_point(0, last + 1, |i| binomial.pmf(i) <= d);
        let below = if y == 0 { 0.0 } else { binomial.cdf(y - 1) };
        below + binomial.sf(x - 1)
    };
    Some(p_value.min(1.0))
}

/// The first `i` in `[low, high)` for which `pred` is false, `pred` being
/// true on a prefix of the range and false after it (`high` when it is
/// true throughout).
fn partition_point(mut low: u64, mut high: u64, pred: impl Fn(u64) -> bool) -> u64 {
    while low < high {
        let mid = low + (high - low) / 2;
        if pred(mid) {
            low = mid + 1;
        } else {
            high = mid;
        }
    }
    low
}

/// R's `qbinom(q, n, p)`: the smallest count whose cumulative probability
/// reaches `q`.
fn binomial_quantile(binomial: &Binomial, n: u64, q: f64) -> u64 {
    let target = q * QUANTILE_FUZZ;
    let (mut low, mut high) = (0_u64, n);
    while low < high {
        let mid = low + (high - low) / 2;
        if binomial.cdf(mid) >= target {
            high = mid;
        } else {
            low = mid + 1;
        }
    }
    low
}

/// Tests `observed` events among `n` against `expected` events (NI18):
/// significant when `observed` lies outside the central `level` interval of
/// Binomial(n, expected / n), with the two-sided exact p-value. `None` when
/// `n` is 0; an error when `expected` is invalid or exceeds `n`, or
/// `observed` exceeds `n`.
pub fn actual_vs_expected(
    observed: u64,
    n: u64,
    expected: f64,
    level: &ConfidenceLevel,
) -> Result<Option<BinomialTest>, StatsError> {
    let expected = check_count("expected", expected)?;
    let nf = n as f64;
    if expected > nf || observed > n {
        return Err(StatsError::NumeratorExceedsDenominator {
            numerator: expected.max(observed as f64),
            denominator: nf,
        });
    }
    if n == 0 {
        return Ok(None);
    }
    let p = expected / nf;
    let Ok(binomial) = Binomial::new(p, n) else {
        return Ok(None);
    };
    let tail = level.tail();
    let lower = binomial_quantile(&binomial, n, tail);
    let upper = binomial_quantile(&binomial, n, 1.0 - tail);
    let Some(p_value) = binomial_two_sided_p_value(observed, n, p) else {
        return Ok(None);
    };
    Ok(Some(BinomialTest {
        lower,
        upper,
        significant: observed < lower || observed > upper,
        p_value,
    }))
}

/// Two Poisson counts compared by the conditional binomial test.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PoissonComparison {
    /// `(x1 / t1) / (x2 / t2)`; `None` when `x2` is 0.
    pub rate_ratio: Option<f64>,
    /// Two-sided exact p-value, as R's `poisson.test(c(x1, x2), c(t1, t2))`.
    pub p_value: f64,
}

impl PoissonComparison {
    /// True when the p-value is below `1 - level`.
    pub fn is_significant(&self, level: &ConfidenceLevel) -> bool {
        self.p_value < 1.0 - level.level()
    }
}

/// Compares count `x1` over exposure `t1` with `x2` over `t2` (NI30, NI40
/// with `t1 = t2 = 1`, NI16 rates with populations as exposures): given
/// `x1 + x2`, `x1` is Binomial(x1 + x2, t1 / (t1 + t2)) when the rates are
/// equal. Two counts of 0 give a p-value of 1 (R stops with an error).
/// `None` unless both exposures are finite and > 0.
pub fn compare_poisson_counts(x1: u64, t1: f64, x2: u64, t2: f64) -> Option<PoissonComparison> {
    let valid = t1.is_finite() && t1 > 0.0 && t2.is_finite() && t2 > 0.0;
    if !valid {
        return None;
    }
    let total = x1.checked_add(x2)?;
    let p = t1 / (t1 + t2);
    let p_value = if total == 0 {
        1.0
    } else {
        binomial_two_sided_p_value(x1, total, p)?
    };
    let rate_ratio = (x2 > 0)
        .then(|| (x1 as f64 / t1) / (x2 as f64 / t2))
        .filter(|r| r.is_finite());
    Some(PoissonComparison {
        rate_ratio,
        p_value,
    })
}

/// Two proportions compared by Pearson's chi-square with Yates' continuity
/// correction.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ProportionComparison {
    /// `x1 / n1 - x2 / n2`.
    pub difference: f64,
    /// The corrected chi-square statistic (1 degree of freedom).
    pub statistic: f64,
    /// Its p-value, as R's `prop.test(c(x1, x2), c(n1, n2))`.
    pub p_value: f64,
}

impl ProportionComparison {
    /// True when the p-value is below `1 - level`.
    pub fn is_significant(&self, level: &ConfidenceLevel) -> bool {
        self.p_value < 1.0 - level.level()
    }
}

/// Compares `x1` of `n1` with `x2` of `n2` as R's `prop.test` does with two
/// groups: pooled proportion, correction `min(0.5, |d| / (1/n1 + 1/n2))`.
/// Counts need not be integers (weighted shares may pass effective counts).
/// When the pooled proportion is 0 or 1 the statistic is 0 and the p-value
/// 1 (R gives NaN). `None` when either denominator is 0.
pub fn compare_proportions(
    x1: f64,
    n1: f64,
    x2: f64,
    n2: f64,
) -> Result<Option<ProportionComparison>, StatsError> {
    for (x, n) in [(x1, n1), (x2, n2)] {
        check_count("numerator", x)?;
        check_count("denominator", n)?;
        if x > n {
            return Err(StatsError::NumeratorExceedsDenominator {
                numerator: x,
                denominator: n,
            });
        }
    }
    if n1 == 0.0 || n2 == 0.0 {
        return Ok(None);
    }
    let difference = x1 / n1 - x2 / n2;
    let pooled = (x1 + x2) / (n1 + n2);
    if pooled <= 0.0 || pooled >= 1.0 {
        return Ok(Some(ProportionComparison {
            difference,
            statistic: 0.0,
            p_value: 1.0,
        }));
    }
    let yates = 0.5_f64.min(difference.abs() / (1.0 / n1 + 1.0 / n2));
    let cells = [
        (x1, n1 * pooled),
        (n1 - x1, n1 * (1.0 - pooled)),
        (x2, n2 * pooled),
        (n2 - x2, n2 * (1.0 - pooled)),
    ];
    let statistic: f64 = cells
        .iter()
        .map(|(observed, expected)| ((observed - expected).abs() - yates).powi(2) / expected)
        .sum();
    let Ok(chi_square) = ChiSquared::new(1.0) else {
        return Ok(None);
    };
    let p_value = chi_square.sf(statistic);
    let ok = statistic.is_finite() && p_value.is_finite();
    Ok(ok.then_some(ProportionComparison {
        difference,
        statistic,
        p_value,
    }))
}
