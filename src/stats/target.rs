//! Targets: the straight-line trajectory from baseline to target and the
//! status of the latest figure against it (LAA targets, PSA targets), and
//! the change against baseline for indicators without a target.

use super::polarity::Polarity;

/// Status of a figure against its target, for the `status` column.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TargetStatus {
    /// The latest figure meets or beats the target.
    Met,
    /// Not met, but meets or beats the trajectory for the period.
    OnTrack,
    /// Worse than the trajectory, not significantly worse than baseline.
    OffTrack,
    /// Significantly worse than baseline (and not on track).
    Worse,
    /// No figure for the period yet.
    NotYetAvailable,
}

impl TargetStatus {
    /// Behind the trajectory: off track, or significantly worse than baseline.
    pub fn is_behind(self) -> bool {
        matches!(self, TargetStatus::OffTrack | TargetStatus::Worse)
    }

    /// The column value: `met`, `on track`, `off track`, `worse`,
    /// `not yet available`.
    pub fn as_str(self) -> &'static str {
        match self {
            TargetStatus::Met => "met",
            TargetStatus::OnTrack => "on track",
            TargetStatus::OffTrack => "off track",
            TargetStatus::Worse => "worse",
            TargetStatus::NotYetAvailable => "not yet available",
        }
    }
}

/// Change against baseline for an indicator without a target.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BaselineStatus {
    /// Significantly better than baseline.
    Improved,
    /// Not significantly different from baseline.
    NoSignificantChange,
    /// Significantly worse than baseline.
    Worse,
}

impl BaselineStatus {
    /// The column value: `improved`, `no significant change`, `worse`.
    pub fn as_str(self) -> &'static str {
        match self {
            BaselineStatus::Improved => "improved",
            BaselineStatus::NoSignificantChange => "no significant change",
            BaselineStatus::Worse => "worse",
        }
    }
}

/// The straight-line trajectory from `(baseline_index, baseline_value)` to
/// `(target_index, target_value)` evaluated at `at_index` (period indices,
/// e.g. quarters counted from some origin). Before the baseline the
/// trajectory is the baseline value; after the target period, the target.
/// `None` when the two indices coincide or any input is not finite.
pub fn trajectory(
    baseline_index: f64,
    baseline_value: f64,
    target_index: f64,
    target_value: f64,
    at_index: f64,
) -> Option<f64> {
    let inputs = [
        baseline_index,
        baseline_value,
        target_index,
        target_value,
        at_index,
    ];
    if inputs.iter().any(|v| !v.is_finite()) || baseline_index == target_index {
        return None;
    }
    let share = ((at_index - baseline_index) / (target_index - baseline_index)).clamp(0.0, 1.0);
    let value = baseline_value + share * (target_value - baseline_value);
    value.is_finite().then_some(value)
}

/// True when `value` is at least as good as `reference`.
fn meets(value: f64, reference: f64, polarity: Polarity) -> bool {
    !polarity.is_better(reference, value)
}

/// Status of the `latest` figure against its `target` and the
/// `trajectory` value for the same period, in this order: no figure gives
/// `not yet available`; meeting or beating the target gives `met`; meeting
/// or beating the trajectory gives `on track`; otherwise `worse` when the
/// figure is significantly worse than baseline (by the caller's test) and
/// `off track` when it is not.
pub fn target_status(
    latest: Option<f64>,
    target: f64,
    trajectory: f64,
    significantly_worse_than_baseline: bool,
    polarity: Polarity,
) -> TargetStatus {
    let Some(latest) = latest.filter(|v| v.is_finite()) else {
        return TargetStatus::NotYetAvailable;
    };
    if meets(latest, target, polarity) {
        TargetStatus::Met
    } else if meets(latest, trajectory, polarity) {
        TargetStatus::OnTrack
    } else if significantly_worse_than_baseline {
        TargetStatus::Worse
    } else {
        TargetStatus::OffTrack
    }
}

/// Change of `latest` against `baseline` given whether the difference is
/// `significant` (by the indicator's test): improved or worse by polarity
/// when significant, otherwise no significant change.
pub fn baseline_status(
    latest: f64,
    baseline: f64,
    significant: bool,
    polarity: Polarity,
) -> BaselineStatus {
    if significant && polarity.is_better(latest, baseline) {
        BaselineStatus::Improved
    } else if significant && polarity.is_better(baseline, latest) {
        BaselineStatus::Worse
    } else {
        BaselineStatus::NoSignificantChange
    }
}
