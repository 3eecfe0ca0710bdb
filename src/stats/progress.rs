//! PSA progress from the assessments of its indicators.

use super::target::BaselineStatus;

/// Progress of a PSA for a period.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PsaProgress {
    /// More than half of the indicators improved significantly.
    StrongProgress,
    /// At least one, but no more than half, improved significantly.
    SomeProgress,
    /// None improved significantly.
    NoProgress,
    /// Fewer than half of the indicators have a value after baseline.
    NotYetAssessed,
}

impl PsaProgress {
    /// The column value: `strong progress`, `some progress`, `no progress`,
    /// `not yet assessed`.
    pub fn as_str(self) -> &'static str {
        match self {
            PsaProgress::StrongProgress => "strong progress",
            PsaProgress::SomeProgress => "some progress",
            PsaProgress::NoProgress => "no progress",
            PsaProgress::NotYetAssessed => "not yet assessed",
        }
    }
}

/// Progress from one entry per indicator of the PSA: its change against
/// baseline, or `None` when it has no value after baseline. Shares are of
/// all the PSA's indicators, assessed or not; a PSA with no indicators is
/// not yet assessed.
pub fn psa_progress(assessments: &[Option<BaselineStatus>]) -> PsaProgress {
    let total = assessments.len();
    let assessed = assessments.iter().filter(|a| a.is_some()).count();
    if total == 0 || 2 * assessed < total {
        return PsaProgress::NotYetAssessed;
    }
    let improved = assessments
        .iter()
        .filter(|a| **a == Some(BaselineStatus::Improved))
        .count();
    if 2 * improved > total {
        PsaProgress::StrongProgress
    } else if improved >= 1 {
        PsaProgress::SomeProgress
    } else {
        PsaProgress::NoProgress
    }
}
