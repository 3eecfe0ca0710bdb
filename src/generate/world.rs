//! Everything the chunks share, read-only: the areas, each area's effects
//! and trends (drawn once from the seed), the calendar span and the proven
//! exposures of the disposal model.

use super::areas::{Area, AreaKind};
use super::calendar::Span;
use super::offending::{DisposalMix, proven_exposure};
use super::rng::{Cumulative, Stream, chunk_rng, lognormal, normal};

/// How one area departs from the national picture.
#[derive(Debug, Clone)]
pub(crate) struct AreaEffects {
    /// Multiplier on every resident's offending rate; what predictive
    /// models miss, so it spreads the NI38 and re-offending ratios.
    pub offending: f64,
    /// Miscalibration of the probation risk model here (NI18 difference).
    pub ogrs_bias: f64,
    /// Relative serious acquisitive crime per head.
    pub crime_rate: f64,
    /// Yearly log change of recorded crime on top of the national fall.
    pub crime_trend: f64,
    /// Yearly log growth of treatment starts.
    pub treatment_growth: f64,
    /// Multiplier on the chance of a planned treatment exit.
    pub treatment_completion: f64,
    /// Multiplier on pupils' substance misuse.
    pub survey_misuse: f64,
}

/// Shared state of one generator run.
#[derive(Debug)]
pub(crate) struct World {
    /// The areas, sorted by code.
    pub areas: Vec<Area>,
    /// Effects, by area index.
    pub effects: Vec<AreaEffects>,
    /// Area index to region index.
    pub region_of: Vec<usize>,
    /// Area indices of each region.
    pub region_members: Vec<Vec<usize>>,
    /// Where offenders live.
    pub offender_areas: Cumulative,
    /// Where Class A drug misusers and treatment clients live.
    pub drug_areas: Cumulative,
    /// The extract's dates.
    pub span: Span,
    /// Volume multiplier.
    pub scale: f64,
    /// Run seed.
    pub seed: u64,
    /// Proven offences per unit yearly rate in 12 months + 6 months waiting, adults.
    pub exposure_12m_adult: f64,
    /// The same for juveniles.
    pub exposure_12m_juvenile: f64,
    /// Proven offences per unit yearly rate in 3 months + 3 months waiting, adults.
    pub exposure_3m_adult: f64,
}

/// How much more offending, crime and drug misuse an urban area has.
fn urban_factor(kind: AreaKind) -> (f64, f64, f64) {
    // (offenders per head, serious acquisitive crime per head, drug misusers per head)
    match kind {
        AreaKind::London => (1.25, 1.7, 1.5),
        AreaKind::Metropolitan => (1.3, 1.45, 1.5),
        AreaKind::Unitary => (1.1, 1.15, 1.1),
        AreaKind::County => (0.8, 0.72, 0.65),
        AreaKind::Welsh => (1.0, 0.8, 0.9),
    }
}

impl World {
    /// Draws the area effects for `seed` and precomputes the shared tables.
    pub(crate) fn new(areas: Vec<Area>, span: Span, scale: f64, seed: u64) -> Self {
        let mut rng = chunk_rng(seed, Stream::Areas, 0);
        let effects: Vec<AreaEffects> = areas
            .iter()
            .map(|_| AreaEffects {
                offending: lognormal(&mut rng, 1.0, 0.1).clamp(0.75, 1.25),
                ogrs_bias: (0.045 * normal(&mut rng)).clamp(-0.09, 0.09),
                crime_rate: lognormal(&mut rng, 1.0, 0.18),
                crime_trend: (0.025 * normal(&mut rng)).clamp(-0.06, 0.06),
                treatment_growth: 0.028 + (0.02 * normal(&mut rng)).clamp(-0.05, 0.05),
                treatment_completion: lognormal(&mut rng, 1.0, 0.12),
                survey_misuse: lognormal(&mut rng, 1.0, 0.22),
            })
            .collect();
        let mut regions: Vec<&str> = areas.iter().map(|a| a.region_code.as_str()).collect();
        regions.sort_unstable();
        regions.dedup();
        let region_of: Vec<usize> = areas
            .iter()
            .map(|a| regions.partition_point(|r| *r < a.region_code.as_str()))
            .collect();
        let mut region_members = vec![Vec::new(); regions.len()];
        for (i, r) in region_of.iter().enumerate() {
            region_members[*r].push(i);
        }
        let offender_areas = Cumulative::new(
            areas
                .iter()
                .map(|a| a.population as f64 * urban_factor(a.kind()).0),
        );
        let drug_areas = Cumulative::new(
            areas
                .iter()
                .map(|a| a.population as f64 * urban_factor(a.kind()).2),
        );
        World {
            areas,
            effects,
            region_of,
            region_members,
            offender_areas,
            drug_areas,
            span,
            scale,
            seed,
            exposure_12m_adult: proven_exposure(DisposalMix::Adult, 365.0, 182.0),
            exposure_12m_juvenile: proven_exposure(DisposalMix::Juvenile, 365.0, 182.0),
            exposure_3m_adult: proven_exposure(DisposalMix::Adult, 91.0, 91.0),
        }
    }

    /// Serious acquisitive crime per head relative to the national average,
    /// before the area's own effect.
    pub(crate) fn crime_weight(&self, area: usize) -> f64 {
        let a = &self.areas[area];
        a.population as f64 * urban_factor(a.kind()).1 * self.effects[area].crime_rate
    }
}
