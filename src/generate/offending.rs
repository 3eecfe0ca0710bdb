//! The justice-system model shared by the person tables: offence groups,
//! disposals and how long they take, custody and supervision, and the share
//! of offences proven within a follow-up window plus its waiting period.

use rand::Rng;

use super::calendar::YEAR;
use super::rng::{categorical, lognormal, unit};

/// The contract's offence groups.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum OffenceGroup {
    Acquisitive,
    Violence,
    Drugs,
    CriminalDamage,
    Motoring,
    Other,
}

impl OffenceGroup {
    const ALL: [OffenceGroup; 6] = [
        OffenceGroup::Acquisitive,
        OffenceGroup::Violence,
        OffenceGroup::Drugs,
        OffenceGroup::CriminalDamage,
        OffenceGroup::Motoring,
        OffenceGroup::Other,
    ];

    /// The value written to `offences.offence_group`.
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            OffenceGroup::Acquisitive => "acquisitive",
            OffenceGroup::Violence => "violence",
            OffenceGroup::Drugs => "drugs",
            OffenceGroup::CriminalDamage => "criminal_damage",
            OffenceGroup::Motoring => "motoring",
            OffenceGroup::Other => "other",
        }
    }

    /// Whether the offence is a DIP trigger offence (acquisitive or drugs),
    /// which makes a test on arrest much more likely.
    pub(crate) fn is_trigger(self) -> bool {
        matches!(self, OffenceGroup::Acquisitive | OffenceGroup::Drugs)
    }
}

/// The offending mix of a kind of offender.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum OffenceMix {
    /// Most offenders.
    General,
    /// Class A drug misusers: mostly acquisitive and drugs offences.
    DrugMisuser,
    /// Prolific offenders: mostly acquisitive.
    Prolific,
}

/// Draws an offence group for an offender of the given mix.
pub(crate) fn draw_group<R: Rng + ?Sized>(rng: &mut R, mix: OffenceMix) -> OffenceGroup {
    let weights: &[f64; 6] = match mix {
        OffenceMix::General => &[0.30, 0.21, 0.10, 0.12, 0.15, 0.12],
        OffenceMix::DrugMisuser => &[0.55, 0.10, 0.20, 0.05, 0.03, 0.07],
        OffenceMix::Prolific => &[0.55, 0.15, 0.08, 0.08, 0.07, 0.07],
    };
    OffenceGroup::ALL[categorical(rng, weights)]
}

/// How an offence was proven and dealt with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Disposal {
    /// Reprimand or final warning (juveniles).
    PreCourt,
    /// Caution (adults).
    Caution,
    /// Fine, discharge and the rest: not in the re-offending cohort.
    Other,
    /// Community order (probation supervision for adults).
    CommunityOrder,
    /// Suspended sentence order.
    SuspendedSentence,
    /// Immediate custody.
    Custody,
}

impl Disposal {
    const ALL: [Disposal; 6] = [
        Disposal::PreCourt,
        Disposal::Caution,
        Disposal::Other,
        Disposal::CommunityOrder,
        Disposal::SuspendedSentence,
        Disposal::Custody,
    ];

    /// Median days from offence to disposal, and the log-scale spread.
    fn lag(self) -> (f64, f64) {
        match self {
            Disposal::PreCourt | Disposal::Caution => (18.0, 0.9),
            Disposal::Other => (55.0, 0.8),
            Disposal::CommunityOrder | Disposal::SuspendedSentence => (95.0, 0.75),
            Disposal::Custody => (110.0, 0.75),
        }
    }

    /// The `reoffending_cohort.disposal` this disposal enters the cohort
    /// as, if it does.
    pub(crate) fn cohort_disposal(self) -> Option<&'static str> {
        match self {
            Disposal::PreCourt => Some("pre_court"),
            Disposal::Caution => Some("caution"),
            Disposal::CommunityOrder | Disposal::SuspendedSentence => Some("court_order"),
            Disposal::Custody => Some("custody"),
            Disposal::Other => None,
        }
    }
}

/// Who is being dealt with, which sets the disposal mix.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum DisposalMix {
    Juvenile,
    Adult,
    /// Adults with long records: more custody, fewer cautions.
    AdultPersistent,
}

impl DisposalMix {
    fn weights(self) -> [f64; 6] {
        // PreCourt, Caution, Other, CommunityOrder, SuspendedSentence, Custody
        match self {
            DisposalMix::Juvenile => [0.50, 0.0, 0.12, 0.33, 0.0, 0.05],
            DisposalMix::Adult => [0.0, 0.22, 0.32, 0.24, 0.09, 0.13],
            DisposalMix::AdultPersistent => [0.0, 0.10, 0.26, 0.24, 0.10, 0.30],
        }
    }
}

/// Draws a disposal.
pub(crate) fn draw_disposal<R: Rng + ?Sized>(rng: &mut R, mix: DisposalMix) -> Disposal {
    Disposal::ALL[categorical(rng, &mix.weights())]
}

/// Draws the days from offence to disposal (at least one).
pub(crate) fn draw_lag<R: Rng + ?Sized>(rng: &mut R, disposal: Disposal) -> i32 {
    let (median, sigma) = disposal.lag();
    (lognormal(rng, median, sigma).round() as i32).clamp(1, 3 * 365)
}

/// Days served in custody before release.
pub(crate) fn draw_custody_days<R: Rng + ?Sized>(rng: &mut R) -> i32 {
    (lognormal(rng, 80.0, 0.9).round() as i32).clamp(7, 4 * 365)
}

/// Days of probation supervision after a disposal or release, if any.
pub(crate) fn draw_supervision_days<R: Rng + ?Sized>(
    rng: &mut R,
    kind: Supervision,
) -> Option<i32> {
    let (lo, hi, p) = match kind {
        Supervision::CommunityOrder => (180.0, 540.0, 1.0),
        Supervision::SuspendedSentence => (180.0, 450.0, 1.0),
        Supervision::Licence => (90.0, 365.0, 0.6),
    };
    (unit(rng) < p).then(|| (lo + unit(rng) * (hi - lo)).round() as i32)
}

/// The kind of probation supervision, written as `order_type`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Supervision {
    CommunityOrder,
    SuspendedSentence,
    Licence,
}

impl Supervision {
    /// The value written to `probation_caseload.order_type`.
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Supervision::CommunityOrder => "community_order",
            Supervision::SuspendedSentence => "suspended_sentence_order",
            Supervision::Licence => "licence",
        }
    }
}

/// The standard normal distribution function (Numerical Recipes' erfc,
/// fractional error below 1.2e-7).
fn normal_cdf(x: f64) -> f64 {
    let z = x.abs() / std::f64::consts::SQRT_2;
    let t = 1.0 / (1.0 + 0.5 * z);
    let poly = -z * z - 1.265_512_23
        + t * (1.000_023_68
            + t * (0.374_091_96
                + t * (0.096_784_18
                    + t * (-0.186_288_06
                        + t * (0.278_868_07
                            + t * (-1.135_203_98
                                + t * (1.488_515_87 + t * (-0.822_152_23 + t * 0.170_872_77))))))));
    let erfc = t * poly.exp();
    if x >= 0.0 {
        1.0 - erfc / 2.0
    } else {
        erfc / 2.0
    }
}

/// Probability that an offence of this mix is proven within `days`.
fn lag_cdf(mix: DisposalMix, days: f64) -> f64 {
    if days <= 0.0 {
        return 0.0;
    }
    let weights = mix.weights();
    let total: f64 = weights.iter().sum();
    Disposal::ALL
        .iter()
        .zip(weights)
        .map(|(d, w)| {
            let (median, sigma) = d.lag();
            w / total * normal_cdf((days / median).ln() / sigma)
        })
        .sum()
}

/// Expected proven offences per unit of yearly offending rate, for offences
/// committed in `(0, window]` days and proven by `window + wait` days.
pub(crate) fn proven_exposure(mix: DisposalMix, window: f64, wait: f64) -> f64 {
    let steps = 400;
    let h = window / f64::from(steps);
    let sum: f64 = (0..steps)
        .map(|i| lag_cdf(mix, window + wait - (f64::from(i) + 0.5) * h))
        .sum();
    sum * h / YEAR
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::generate::rng::{Stream, chunk_rng};

    #[test]
    fn normal_cdf_matches_known_values() {
        assert!((normal_cdf(0.0) - 0.5).abs() < 1e-7);
        assert!((normal_cdf(1.959_964) - 0.975).abs() < 1e-6);
        assert!((normal_cdf(-1.0) - 0.158_655_25).abs() < 1e-6);
    }

    #[test]
    fn lags_have_a_median_of_two_months_and_a_long_tail() {
        let mut rng = chunk_rng(3, Stream::People, 0);
        let mut lags: Vec<i32> = (0..50_000)
            .map(|_| {
                let d = draw_disposal(&mut rng, DisposalMix::Adult);
                draw_lag(&mut rng, d)
            })
            .collect();
        lags.sort_unstable();
        let median = lags[lags.len() / 2];
        assert!((45..=95).contains(&median), "median lag {median}");
        let beyond_six_months =
            lags.iter().filter(|l| **l > 182).count() as f64 / lags.len() as f64;
        assert!(
            (0.05..0.25).contains(&beyond_six_months),
            "{beyond_six_months}"
        );
        let p = lag_cdf(DisposalMix::Adult, 182.0);
        assert!((p - (1.0 - beyond_six_months)).abs() < 0.02, "{p}");
    }

    #[test]
    fn exposure_is_below_the_window() {
        let e12 = proven_exposure(DisposalMix::Adult, 365.0, 182.0);
        let e3 = proven_exposure(DisposalMix::Adult, 91.0, 91.0);
        assert!(e12 < 1.0 && e12 > 0.9, "{e12}");
        assert!(e3 < 91.0 / YEAR && e3 > 0.15, "{e3}");
    }
}
