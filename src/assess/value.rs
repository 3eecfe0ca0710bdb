//! Value, intervals and significance of one aggregate, by value kind. All
//! the maths is in `crate::stats`; this file only chooses the formula.
//!
//! Two outcomes are kept apart, as `stats` keeps them: a figure that is
//! undefined for valid input (a zero denominator or expected count) is
//! `Ok(None)`; a [`StatsError`] (a negative or non-finite count, a
//! proportion whose numerator exceeds its denominator, a confidence level
//! outside (0, 1)) means the engine or validation let through what they
//! should not have, and is returned for the caller to report as a bug.

use crate::definition::{IntervalMethod, SignificanceKind, ValueKind};
use crate::execute::Aggregate;
use crate::stats::{self, ConfidenceLevel, Estimate, StatsError};
use crate::validate::ValidIndicator;

/// Numerator, denominator and expected of an aggregate, with unweighted counts.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Figures {
    /// Numerator value.
    pub numerator: f64,
    /// Denominator value (0 when the kind has none).
    pub denominator: Option<f64>,
    /// Expected (model-predicted) count.
    pub expected: Option<f64>,
    /// Unweighted numerator count.
    pub numerator_n: i64,
    /// Unweighted denominator count (None for area attributes).
    pub denominator_n: Option<i64>,
    /// Sum of squared weights.
    pub sum_w2: f64,
}

/// Pull the figures out of an aggregate.
pub fn figures(ind: &ValidIndicator, a: &Aggregate) -> Figures {
    let v = &ind.def.value;
    let get = |m: &str| a.measures.get(m).copied().unwrap_or_default();
    let num = get(&v.numerator);
    let den = v.denominator.as_deref().map(get);
    let den_is_attr = v
        .denominator
        .as_deref()
        .and_then(|d| ind.def.measures.get(d))
        .is_some_and(|m| m.area_attribute.is_some());
    Figures {
        numerator: num.value,
        denominator: den.map(|d| d.value),
        expected: v.expected.as_deref().map(|e| get(e).value),
        numerator_n: num.n,
        denominator_n: if den_is_attr { None } else { den.map(|d| d.n) },
        sum_w2: a.sum_w2,
    }
}

/// The Kish effective sample size of a survey-weighted percentage (the `n`
/// its Wilson interval uses); `None` for every other indicator.
pub fn sample_size(ind: &ValidIndicator, f: &Figures) -> Option<f64> {
    let weighted = ind.def.value.kind == ValueKind::Percentage
        && ind
            .def
            .interval
            .as_ref()
            .is_some_and(|i| i.weight.is_some());
    weighted
        .then(|| stats::kish_effective_sample_size(f.denominator.unwrap_or(0.0), f.sum_w2))
        .flatten()
}

/// The interval method in force for an indicator.
pub fn interval_method(ind: &ValidIndicator) -> IntervalMethod {
    if let Some(i) = &ind.def.interval {
        return i.method;
    }
    match ind.def.value.kind {
        ValueKind::Count | ValueKind::Ratio | ValueKind::Rate => IntervalMethod::Poisson,
        ValueKind::Percentage => IntervalMethod::Wilson,
        ValueKind::ExcessPercent | ValueKind::PercentChange => IntervalMethod::None,
    }
}

/// The significance test in force for an indicator.
pub fn significance_kind(ind: &ValidIndicator) -> SignificanceKind {
    if let Some(s) = ind.def.significance {
        return s;
    }
    match ind.def.value.kind {
        ValueKind::Percentage => SignificanceKind::Proportions,
        ValueKind::ExcessPercent => SignificanceKind::BinomialExpected,
        _ => SignificanceKind::PoissonCounts,
    }
}

fn finite(x: f64) -> Option<f64> {
    x.is_finite().then_some(x)
}

/// The value and its intervals: the main one at the definition's level
/// (95% unless it sets another) and the 99.8% one. `None` when undefined
/// (zero denominator or expected).
pub fn estimate(
    ind: &ValidIndicator,
    f: &Figures,
) -> Result<Option<(f64, Option<stats::Intervals>)>, StatsError> {
    let Some((value, ci)) = estimate_95(ind, f)? else {
        return Ok(None);
    };
    let ci = match ci {
        Some(mut i) => {
            if let Some(own) = interval_at_own_level(ind, f)? {
                i.ci95 = own;
            }
            Some(i)
        }
        None => None,
    };
    Ok(Some((value, ci)))
}

type Estimated = Option<(f64, Option<stats::Intervals>)>;

fn estimate_95(ind: &ValidIndicator, f: &Figures) -> Result<Estimated, StatsError> {
    let v = &ind.def.value;
    let method = interval_method(ind);
    let weighted = ind
        .def
        .interval
        .as_ref()
        .is_some_and(|i| i.weight.is_some());
    let with_ci = |e: Option<Estimate>| {
        e.map(|e| {
            (
                e.value,
                (method != IntervalMethod::None).then_some(e.intervals),
            )
        })
    };
    let den = f.denominator.unwrap_or(0.0);
    Ok(match v.kind {
        ValueKind::Count => {
            let ci = match method {
                IntervalMethod::Poisson => Some(stats::count_intervals(f.numerator)?),
                _ => None,
            };
            Some((f.numerator, ci))
        }
        ValueKind::Ratio => with_ci(stats::ratio_estimate(f.numerator, den)?),
        ValueKind::Rate => with_ci(stats::rate_estimate(
            f.numerator,
            den,
            v.per.unwrap_or(1.0),
        )?),
        ValueKind::Percentage => with_ci(if weighted {
            stats::weighted_proportion_estimate(f.numerator, den, f.sum_w2, 100.0)?
        } else {
            stats::proportion_estimate(f.numerator, den, 100.0)?
        }),
        ValueKind::ExcessPercent => {
            let exp = f.expected.unwrap_or(0.0);
            if exp <= 0.0 {
                return Ok(None);
            }
            let Some(value) = finite(100.0 * (f.numerator - exp) / exp) else {
                return Ok(None);
            };
            let ci = match method {
                IntervalMethod::Poisson => {
                    stats::ratio_estimate(f.numerator, exp)?.map(|e| shift_ratio(e.intervals))
                }
                _ => None,
            };
            Some((value, ci))
        }
        ValueKind::PercentChange => {
            if den <= 0.0 {
                return Ok(None);
            }
            let Some(value) = finite(100.0 * (f.numerator - den) / den) else {
                return Ok(None);
            };
            let ci = match method {
                IntervalMethod::Poisson => {
                    stats::ratio_estimate(f.numerator, den)?.map(|e| shift_ratio(e.intervals))
                }
                _ => None,
            };
            Some((value, ci))
        }
    })
}

/// The main interval at the definition's own confidence level, when it
/// sets one other than 95%; `None` to keep the 95% interval.
fn interval_at_own_level(
    ind: &ValidIndicator,
    f: &Figures,
) -> Result<Option<stats::Interval>, StatsError> {
    let Some(level) = ind.def.interval.as_ref().and_then(|i| i.level) else {
        return Ok(None);
    };
    if (level - 0.95).abs() < 1e-12 {
        return Ok(None);
    }
    // validation refuses a level outside (0, 1), so an error is a bug
    interval_at(ind, f, &ConfidenceLevel::new(level)?)
}

/// The figure's interval at any confidence level, by the indicator's own
/// method (exact or Byar's Poisson, Wilson); `None` for a method with no
/// interval or an undefined figure.
pub fn interval_at(
    ind: &ValidIndicator,
    f: &Figures,
    cl: &ConfidenceLevel,
) -> Result<Option<stats::Interval>, StatsError> {
    let cl = *cl;
    let v = &ind.def.value;
    let den = f.denominator.unwrap_or(0.0);
    let scale = |i: stats::Interval, k: f64| stats::Interval {
        lower: i.lower * k,
        upper: i.upper * k,
    };
    Ok(match (interval_method(ind), v.kind) {
        (IntervalMethod::Poisson, kind) => {
            let (i, _) = stats::count_interval(f.numerator, &cl)?;
            let pct = |i: stats::Interval, by: f64| stats::Interval {
                lower: 100.0 * (i.lower / by - 1.0),
                upper: 100.0 * (i.upper / by - 1.0),
            };
            match kind {
                ValueKind::Count => Some(i),
                ValueKind::Ratio if den > 0.0 => Some(scale(i, 1.0 / den)),
                ValueKind::Rate if den > 0.0 => Some(scale(i, v.per.unwrap_or(1.0) / den)),
                ValueKind::ExcessPercent => f.expected.filter(|e| *e > 0.0).map(|e| pct(i, e)),
                ValueKind::PercentChange if den > 0.0 => Some(pct(i, den)),
                _ => None,
            }
        }
        (IntervalMethod::Wilson, _) if den > 0.0 => {
            let weighted = ind
                .def
                .interval
                .as_ref()
                .is_some_and(|i| i.weight.is_some());
            let (x, n) = if weighted {
                let Some(n) = stats::kish_effective_sample_size(den, f.sum_w2) else {
                    return Ok(None);
                };
                (f.numerator / den * n, n)
            } else {
                (f.numerator, den)
            };
            stats::wilson_interval(x.min(n), n, &cl)?.map(|i| scale(i, 100.0))
        }
        _ => None,
    })
}

/// A ratio interval expressed as a % difference: 100 x (r - 1).
fn shift_ratio(i: stats::Intervals) -> stats::Intervals {
    let f = |x: f64| 100.0 * (x - 1.0);
    stats::Intervals {
        method: i.method,
        ci95: stats::Interval {
            lower: f(i.ci95.lower),
            upper: f(i.ci95.upper),
        },
        ci998: stats::Interval {
            lower: f(i.ci998.lower),
            upper: f(i.ci998.upper),
        },
    }
}

fn count(x: f64) -> u64 {
    if x.is_finite() && x > 0.0 {
        x.round() as u64
    } else {
        0
    }
}

/// Whether a figure differs significantly: from its expected or base count
/// in the same period (excess, percent change), else from its baseline.
pub fn significant(
    ind: &ValidIndicator,
    f: &Figures,
    base: Option<&Figures>,
) -> Result<Option<bool>, StatsError> {
    Ok(significance_test(ind, f, base)?.map(|(s, _)| s))
}

/// [`significant`] with the p-value of the test made.
pub fn significance_test(
    ind: &ValidIndicator,
    f: &Figures,
    base: Option<&Figures>,
) -> Result<Option<(bool, f64)>, StatsError> {
    let level = ConfidenceLevel::P95;
    let kind = ind.def.value.kind;
    let undefined = Ok(None);
    Ok(match (significance_kind(ind), kind) {
        (SignificanceKind::BinomialExpected, _) => {
            let n = count(f.denominator.unwrap_or(0.0));
            let Some(exp) = f.expected else {
                return undefined;
            };
            stats::actual_vs_expected(count(f.numerator), n, exp.min(n as f64), &level)?
                .map(|t| (t.significant, t.p_value))
        }
        (SignificanceKind::PoissonCounts, ValueKind::PercentChange) => {
            let Some(den) = f.denominator else {
                return undefined;
            };
            stats::compare_poisson_counts(count(f.numerator), 1.0, count(den), 1.0)
                .map(|c| (c.is_significant(&level), c.p_value))
        }
        (SignificanceKind::PoissonCounts, _) => {
            let Some(b) = base else { return undefined };
            let exposure = |x: &Figures| match kind {
                ValueKind::Ratio => x.expected.or(x.denominator).unwrap_or(0.0),
                ValueKind::Rate => x.denominator.unwrap_or(0.0),
                _ => 1.0,
            };
            let (t1, t2) = (exposure(f), exposure(b));
            if t1 <= 0.0 || t2 <= 0.0 {
                return undefined;
            }
            stats::compare_poisson_counts(count(f.numerator), t1, count(b.numerator), t2)
                .map(|c| (c.is_significant(&level), c.p_value))
        }
        (SignificanceKind::Proportions, _) => {
            let Some(b) = base else { return undefined };
            let eff = |x: &Figures| -> Option<(f64, f64)> {
                let den = x.denominator?;
                if den <= 0.0 {
                    return None;
                }
                let weighted = ind
                    .def
                    .interval
                    .as_ref()
                    .is_some_and(|i| i.weight.is_some());
                if weighted {
                    let n = stats::kish_effective_sample_size(den, x.sum_w2)?;
                    Some((x.numerator / den * n, n))
                } else {
                    Some((x.numerator, den))
                }
            };
            let (Some((x1, n1)), Some((x2, n2))) = (eff(f), eff(b)) else {
                return undefined;
            };
            stats::compare_proportions(x1.min(n1), n1, x2.min(n2), n2)?
                .map(|c| (c.is_significant(&level), c.p_value))
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    fn indicator(kind: ValueKind) -> ValidIndicator {
        let definitions = crate::definition::load_definitions(Path::new("indicators"))
            .expect("the shipped definitions load");
        let extract = crate::extract::Extract::open(Path::new("data-samples"))
            .expect("the sample extract opens");
        let catalog = crate::validate::validate(definitions, &extract)
            .expect("the shipped definitions validate");
        catalog
            .indicators
            .into_iter()
            .find(|i| {
                i.def.value.kind == kind
                    && i.def.interval.as_ref().is_none_or(|c| c.weight.is_none())
            })
            .expect("an indicator of that kind")
    }

    fn with(numerator: f64, denominator: f64) -> Figures {
        Figures {
            numerator,
            denominator: Some(denominator),
            ..Figures::default()
        }
    }

    #[test]
    fn an_undefined_figure_is_none_and_a_refused_one_an_error() {
        let share = indicator(ValueKind::Percentage);
        assert_eq!(
            estimate(&share, &with(0.0, 0.0)),
            Ok(None),
            "zero denominator"
        );
        assert!(estimate(&share, &with(3.0, 4.0)).expect("valid").is_some());
        assert!(matches!(
            estimate(&share, &with(5.0, 4.0)),
            Err(StatsError::NumeratorExceedsDenominator { .. })
        ));
        assert!(matches!(
            estimate(&share, &with(-1.0, 4.0)),
            Err(StatsError::InvalidCount { .. })
        ));
    }
}
