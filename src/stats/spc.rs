//! Statistical process control of a series, read as NHS England's Making
//! Data Count guidance reads it: an XmR chart (mean and process limits at
//! 2.66 times the mean moving range), the four special-cause rules, and
//! assurance against a target.
//!
//! The rules and the classification follow the R package NHSRplotthedots
//! (`ptd_spc_standard`, `ptd_calculate_point_type`,
//! `ptd_calculate_assurance_type`):
//! - *outside the limits*: a point strictly above the upper or below the
//!   lower process limit;
//! - *shift*: 7 or more consecutive points on the same side of the mean (a
//!   point exactly on the mean breaks the run); every point of the run is
//!   flagged;
//! - *trend*: 7 or more consecutive points each strictly higher (or each
//!   strictly lower) than the one before; every point of the run is flagged;
//! - *two in three*: within 3 consecutive points all on the same side of the
//!   mean, 2 or more lie between 2 sigma (two thirds of the way to the
//!   limit) and the limit; those near-limit points are flagged (a point
//!   beyond the limit is flagged by the first rule, not this one).
//!
//! A flagged point above the mean is an improvement when higher is better,
//! a concern when lower is better, and the reverse below the mean (a flagged
//! point exactly on the mean counts as a concern, as in NHSRplotthedots).
//! The variation icon is the type of the last point. Outlying moving ranges
//! are not screened out (NHSRplotthedots's `screen_outliers` option): the
//! limits are the plain 2.66 times the mean moving range.

use super::error::StatsError;
use super::polarity::Polarity;

/// The XmR constant: 3 / d2 with d2 = 1.128 for moving ranges of 2.
pub const XMR_LIMIT: f64 = 2.66;

/// Points in a run (shift) or a trend that make a special cause.
pub const RUN_LENGTH: usize = 7;

/// Mean and process limits of an XmR chart.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct XmrLimits {
    /// Mean of the series.
    pub mean: f64,
    /// Mean of the absolute differences between consecutive points.
    pub mean_moving_range: f64,
    /// `mean - 2.66 * mean_moving_range`.
    pub lower: f64,
    /// `mean + 2.66 * mean_moving_range`.
    pub upper: f64,
    /// Two sigma below the mean: `mean - (2/3) * 2.66 * mean_moving_range`.
    pub near_lower: f64,
    /// Two sigma above the mean.
    pub near_upper: f64,
}

/// Mean and limits of `values` (oldest first). `Ok(None)` for fewer than 2
/// points (no moving range); a NaN or infinite value is an error.
pub fn xmr_limits(values: &[f64]) -> Result<Option<XmrLimits>, StatsError> {
    check_series(values)?;
    if values.len() < 2 {
        return Ok(None);
    }
    let mean = values.iter().sum::<f64>() / values.len() as f64;
    let mean_moving_range =
        values.windows(2).map(|w| (w[1] - w[0]).abs()).sum::<f64>() / (values.len() - 1) as f64;
    let width = XMR_LIMIT * mean_moving_range;
    let near = 2.0 * XMR_LIMIT / 3.0 * mean_moving_range;
    let limits = XmrLimits {
        mean,
        mean_moving_range,
        lower: mean - width,
        upper: mean + width,
        near_lower: mean - near,
        near_upper: mean + near,
    };
    let all = [
        limits.mean,
        limits.mean_moving_range,
        limits.lower,
        limits.upper,
    ];
    Ok(all.iter().all(|v| v.is_finite()).then_some(limits))
}

fn check_series(values: &[f64]) -> Result<(), StatsError> {
    match values.iter().position(|v| !v.is_finite()) {
        Some(index) => Err(StatsError::NonFiniteValue {
            index,
            value: values[index],
        }),
        None => Ok(()),
    }
}

/// Which special-cause rules flag one point.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct SpecialCauseRules {
    /// Beyond a process limit.
    pub outside_limits: bool,
    /// Part of a run of 7 or more on one side of the mean.
    pub shift: bool,
    /// Part of 7 or more points rising, or falling, in a row.
    pub trend: bool,
    /// A near-limit point in 2 of 3 beyond 2 sigma on one side.
    pub two_in_three: bool,
}

impl SpecialCauseRules {
    /// True when any rule flags the point.
    pub fn any(self) -> bool {
        self.outside_limits || self.shift || self.trend || self.two_in_three
    }
}

/// Type of one point of the chart.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PointType {
    /// No rule flags it.
    CommonCause,
    /// Flagged, on the good side of the mean.
    SpecialCauseImprovement,
    /// Flagged, on the bad side of the mean (or on it).
    SpecialCauseConcern,
}

/// The variation icon of a series: the type of its last point, with the
/// direction (high or low) of a special cause.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Variation {
    /// Common cause variation: no signal at the latest point.
    CommonCause,
    /// Special cause variation of an improving nature, high or low.
    Improvement {
        /// True for the "high" icon (higher is better), false for "low".
        high: bool,
    },
    /// Special cause variation of a concerning nature, high or low.
    Concern {
        /// True for the "high" icon (lower is better), false for "low".
        high: bool,
    },
}

impl Variation {
    /// The `spc` column value: `common cause`, `improvement`, `concern`.
    pub fn as_str(self) -> &'static str {
        match self {
            Variation::CommonCause => "common cause",
            Variation::Improvement { .. } => "improvement",
            Variation::Concern { .. } => "concern",
        }
    }

    /// A label that stands without its icon's colour.
    pub fn label(self) -> &'static str {
        match self {
            Variation::CommonCause => "Common cause variation",
            Variation::Improvement { high: true } => "Special cause: improvement (high)",
            Variation::Improvement { high: false } => "Special cause: improvement (low)",
            Variation::Concern { high: true } => "Special cause: concern (high)",
            Variation::Concern { high: false } => "Special cause: concern (low)",
        }
    }
}

/// The assurance icon of a series against a target.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Assurance {
    /// Both limits on the right side of the target: the process will meet it.
    ConsistentPass,
    /// Both limits on the wrong side: it will not, without a change.
    ConsistentFail,
    /// The target lies between the limits: hit and miss.
    Inconsistent,
}

impl Assurance {
    /// The column value: `consistent pass`, `consistent fail`,
    /// `inconsistent`.
    pub fn as_str(self) -> &'static str {
        match self {
            Assurance::ConsistentPass => "consistent pass",
            Assurance::ConsistentFail => "consistent fail",
            Assurance::Inconsistent => "inconsistent",
        }
    }

    /// A label that stands without its icon's colour.
    pub fn label(self) -> &'static str {
        match self {
            Assurance::ConsistentPass => "Target consistently met",
            Assurance::ConsistentFail => "Target consistently missed",
            Assurance::Inconsistent => "Target hit and miss",
        }
    }
}

/// Assurance of a process with `limits` against `target`: a target above
/// the upper limit is consistently failed when higher is better (passed
/// when lower is better), one below the lower limit the reverse, and one
/// between the limits (or on one) is inconsistent.
pub fn assurance(limits: &XmrLimits, target: f64, polarity: Polarity) -> Option<Assurance> {
    if !target.is_finite() {
        return None;
    }
    let higher = polarity.increase_is_better();
    Some(if target > limits.upper {
        if higher {
            Assurance::ConsistentFail
        } else {
            Assurance::ConsistentPass
        }
    } else if target < limits.lower {
        if higher {
            Assurance::ConsistentPass
        } else {
            Assurance::ConsistentFail
        }
    } else {
        Assurance::Inconsistent
    })
}

/// An XmR chart of a series with its signals.
#[derive(Debug, Clone, PartialEq)]
pub struct SpcChart {
    /// Mean and limits.
    pub limits: XmrLimits,
    /// The rules that flag each point, in series order.
    pub rules: Vec<SpecialCauseRules>,
    /// The type of each point, in series order.
    pub point_types: Vec<PointType>,
    /// The variation icon (from the last point).
    pub variation: Variation,
    /// The assurance icon, when a target was given.
    pub assurance: Option<Assurance>,
}

/// Side of the mean: 1 above, -1 below, 0 on it.
fn side(value: f64, mean: f64) -> i8 {
    if value > mean {
        1
    } else if value < mean {
        -1
    } else {
        0
    }
}

/// Marks every index of each maximal run (of `len` or more) of equal
/// non-zero keys.
fn mark_runs(keys: &[i8], len: usize, mark: &mut [bool]) {
    let mut start = 0;
    while start < keys.len() {
        let mut end = start + 1;
        while end < keys.len() && keys[end] == keys[start] {
            end += 1;
        }
        if keys[start] != 0 && end - start >= len {
            mark[start..end].iter_mut().for_each(|m| *m = true);
        }
        start = end;
    }
}

/// The points of a trend: a run of 6 equal non-zero steps is 7 points
/// rising or falling.
fn trend_points(values: &[f64]) -> Vec<bool> {
    let n = values.len();
    // Direction of each step into point i (0 for the first point)
    let steps: Vec<i8> = (0..n)
        .map(|i| {
            if i == 0 {
                0
            } else {
                side(values[i], values[i - 1])
            }
        })
        .collect();
    let mut trend = vec![false; n];
    let mut step_runs = vec![false; n];
    mark_runs(&steps, RUN_LENGTH - 1, &mut step_runs);
    for i in 1..n {
        if step_runs[i] {
            trend[i] = true;
            trend[i - 1] = true;
        }
    }
    trend
}

/// The points near a limit (`near`) that make two of three consecutive
/// points near a limit on the same side of the mean (`sides`).
fn two_in_three_points(sides: &[i8], near: &[bool]) -> Vec<bool> {
    let n = sides.len();
    let mut two_in_three = vec![false; n];
    for w in 0..n.saturating_sub(2) {
        let window = w..w + 3;
        let same_side = sides[window.clone()].iter().all(|&s| s == sides[w]) && sides[w] != 0;
        let near_count = near[window.clone()].iter().filter(|n| **n).count();
        if same_side && near_count >= 2 {
            for i in window {
                two_in_three[i] |= near[i];
            }
        }
    }
    two_in_three
}

/// The XmR chart of `values` (oldest first) with its special-cause flags,
/// the variation of its last point and, given a `target`, its assurance.
/// `Ok(None)` for fewer than 2 points; a NaN or infinite value (or target)
/// is an error.
pub fn spc_chart(
    values: &[f64],
    polarity: Polarity,
    target: Option<f64>,
) -> Result<Option<SpcChart>, StatsError> {
    if let Some(t) = target.filter(|t| !t.is_finite()) {
        return Err(StatsError::NonFiniteValue {
            index: values.len(),
            value: t,
        });
    }
    let Some(limits) = xmr_limits(values)? else {
        return Ok(None);
    };
    let n = values.len();
    let sides: Vec<i8> = values.iter().map(|&v| side(v, limits.mean)).collect();
    let outside: Vec<bool> = values
        .iter()
        .map(|&v| v > limits.upper || v < limits.lower)
        .collect();
    let near: Vec<bool> = values
        .iter()
        .zip(&outside)
        .map(|(&v, &out)| !out && (v > limits.near_upper || v < limits.near_lower))
        .collect();

    let mut shift = vec![false; n];
    mark_runs(&sides, RUN_LENGTH, &mut shift);
    let trend = trend_points(values);
    let two_in_three = two_in_three_points(&sides, &near);

    let rules: Vec<SpecialCauseRules> = (0..n)
        .map(|i| SpecialCauseRules {
            outside_limits: outside[i],
            shift: shift[i],
            trend: trend[i],
            two_in_three: two_in_three[i],
        })
        .collect();
    let good_side: i8 = if polarity.increase_is_better() { 1 } else { -1 };
    let point_types: Vec<PointType> = rules
        .iter()
        .zip(&sides)
        .map(|(r, &s)| {
            if !r.any() {
                PointType::CommonCause
            } else if s == good_side {
                PointType::SpecialCauseImprovement
            } else {
                PointType::SpecialCauseConcern
            }
        })
        .collect();
    let higher = polarity.increase_is_better();
    let variation = match point_types[n - 1] {
        PointType::CommonCause => Variation::CommonCause,
        PointType::SpecialCauseImprovement => Variation::Improvement { high: higher },
        PointType::SpecialCauseConcern => Variation::Concern { high: !higher },
    };
    let assurance = target.and_then(|t| assurance(&limits, t, polarity));
    Ok(Some(SpcChart {
        limits,
        rules,
        point_types,
        variation,
        assurance,
    }))
}
