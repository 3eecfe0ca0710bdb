//! Value, intervals and significance of one aggregate, by value kind. All
//! the maths is in `crate::stats`; this file only chooses the formula.

use crate::definition::{IntervalMethod, SignificanceKind, ValueKind};
use crate::execute::Aggregate;
use crate::stats::{self, ConfidenceLevel, Estimate};
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
pub fn estimate(ind: &ValidIndicator, f: &Figures) -> Option<(f64, Option<stats::Intervals>)> {
    let (value, ci) = estimate_95(ind, f)?;
    let ci = ci.map(|mut i| {
        if let Some(own) = interval_at_own_level(ind, f) {
            i.ci95 = own;
        }
        i
    });
    Some((value, ci))
}

fn estimate_95(ind: &ValidIndicator, f: &Figures) -> Option<(f64, Option<stats::Intervals>)> {
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
    match v.kind {
        ValueKind::Count => {
            let ci = match method {
                IntervalMethod::Poisson => stats::count_intervals(f.numerator).ok(),
                _ => None,
            };
            Some((f.numerator, ci))
        }
        ValueKind::Ratio => with_ci(stats::ratio_estimate(f.numerator, den).ok().flatten()),
        ValueKind::Rate => with_ci(
            stats::rate_estimate(f.numerator, den, v.per.unwrap_or(1.0))
                .ok()
                .flatten(),
        ),
        ValueKind::Percentage => {
            let e = if weighted {
                stats::weighted_proportion_estimate(f.numerator, den, f.sum_w2, 100.0)
                    .ok()
                    .flatten()
            } else {
                stats::proportion_estimate(f.numerator, den, 100.0)
                    .ok()
                    .flatten()
            };
            with_ci(e)
        }
        ValueKind::ExcessPercent => {
            let exp = f.expected.unwrap_or(0.0);
            if exp <= 0.0 {
                return None;
            }
            let value = finite(100.0 * (f.numerator - exp) / exp)?;
            let ci = match method {
                IntervalMethod::Poisson => stats::ratio_estimate(f.numerator, exp)
                    .ok()
                    .flatten()
                    .map(|e| shift_ratio(e.intervals)),
                _ => None,
            };
            Some((value, ci))
        }
        ValueKind::PercentChange => {
            if den <= 0.0 {
                return None;
            }
            let value = finite(100.0 * (f.numerator - den) / den)?;
            let ci = match method {
                IntervalMethod::Poisson => stats::ratio_estimate(f.numerator, den)
                    .ok()
                    .flatten()
                    .map(|e| shift_ratio(e.intervals)),
                _ => None,
            };
            Some((value, ci))
        }
    }
}

/// The main interval at the definition's own confidence level, when it
/// sets one other than 95%; `None` to keep the 95% interval.
fn interval_at_own_level(ind: &ValidIndicator, f: &Figures) -> Option<stats::Interval> {
    let level = ind.def.interval.as_ref()?.level?;
    if (level - 0.95).abs() < 1e-12 {
        return None;
    }
    let cl = ConfidenceLevel::new(level).ok()?;
    interval_at(ind, f, &cl)
}

/// The figure's interval at any confidence level, by the indicator's own
/// method (exact or Byar's Poisson, Wilson); `None` for a method with no
/// interval or an undefined figure.
pub fn interval_at(
    ind: &ValidIndicator,
    f: &Figures,
    cl: &ConfidenceLevel,
) -> Option<stats::Interval> {
    let cl = *cl;
    let v = &ind.def.value;
    let den = f.denominator.unwrap_or(0.0);
    let scale = |i: stats::Interval, k: f64| stats::Interval {
        lower: i.lower * k,
        upper: i.upper * k,
    };
    match (interval_method(ind), v.kind) {
        (IntervalMethod::Poisson, kind) => {
            let (i, _) = stats::count_interval(f.numerator, &cl).ok()?;
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
                let n = stats::kish_effective_sample_size(den, f.sum_w2)?;
                (f.numerator / den * n, n)
            } else {
                (f.numerator, den)
            };
            stats::wilson_interval(x.min(n), n, &cl)
                .ok()
                .flatten()
                .map(|i| scale(i, 100.0))
        }
        _ => None,
    }
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
pub fn significant(ind: &ValidIndicator, f: &Figures, base: Option<&Figures>) -> Option<bool> {
    significance_test(ind, f, base).map(|(s, _)| s)
}

/// [`significant`] with the p-value of the test made.
pub fn significance_test(
    ind: &ValidIndicator,
    f: &Figures,
    base: Option<&Figures>,
) -> Option<(bool, f64)> {
    let level = ConfidenceLevel::P95;
    let kind = ind.def.value.kind;
    match (significance_kind(ind), kind) {
        (SignificanceKind::BinomialExpected, _) => {
            let n = count(f.denominator.unwrap_or(0.0));
            let exp = f.expected?;
            stats::actual_vs_expected(count(f.numerator), n, exp.min(n as f64), &level)
                .ok()
                .flatten()
                .map(|t| (t.significant, t.p_value))
        }
        (SignificanceKind::PoissonCounts, ValueKind::PercentChange) => {
            stats::compare_poisson_counts(count(f.numerator), 1.0, count(f.denominator?), 1.0)
                .map(|c| (c.is_significant(&level), c.p_value))
        }
        (SignificanceKind::PoissonCounts, _) => {
            let b = base?;
            let exposure = |x: &Figures| match kind {
                ValueKind::Ratio => x.expected.or(x.denominator).unwrap_or(0.0),
                ValueKind::Rate => x.denominator.unwrap_or(0.0),
                _ => 1.0,
            };
            let (t1, t2) = (exposure(f), exposure(b));
            if t1 <= 0.0 || t2 <= 0.0 {
                return None;
            }
            stats::compare_poisson_counts(count(f.numerator), t1, count(b.numerator), t2)
                .map(|c| (c.is_significant(&level), c.p_value))
        }
        (SignificanceKind::Proportions, _) => {
            let b = base?;
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
            let (x1, n1) = eff(f)?;
            let (x2, n2) = eff(b)?;
            stats::compare_proportions(x1.min(n1), n1, x2.min(n2), n2)
                .ok()
                .flatten()
                .map(|c| (c.is_significant(&level), c.p_value))
        }
    }
}
