//! The area characteristics that most-similar-group (peer) methods use: an
//! IMD-style deprivation score, population density, the share aged 18-24,
//! in social housing and living alone, and an urban/rural class.
//!
//! They are drawn from their own stream ([`Stream::AreaFeatures`]) after the
//! area effects, so every other table is unchanged by them. Each follows the
//! authority's kind (London and metropolitan areas denser and more deprived
//! than shire counties) and its offending effect (more offending, more
//! deprivation), so peers found from them resemble each other in the
//! indicators too.

use super::areas::{Area, AreaKind};
use super::rng::{Stream, chunk_rng, lognormal, normal};
use super::world::AreaEffects;

/// One area's characteristics: the extra columns of the `areas` table.
#[derive(Debug, Clone, PartialEq)]
pub struct AreaFeatures {
    /// IMD-style average deprivation score (about 5 to 55; higher is more
    /// deprived).
    pub imd_score: f64,
    /// Residents per hectare.
    pub population_density: f64,
    /// Proportion of residents aged 18-24 (0..1).
    pub prop_aged_18_24: f64,
    /// Proportion of households renting from a council or housing
    /// association (0..1).
    pub prop_social_housing: f64,
    /// Proportion of households of one person (0..1).
    pub prop_single_person: f64,
    /// Urban/rural class, from density (see [`urban_rural_class`]).
    pub urban_rural: &'static str,
}

/// The six classes of the 2005 Defra classification of local authorities,
/// from most to least urban.
pub const URBAN_RURAL_CLASSES: [&str; 6] = [
    "major urban",
    "large urban",
    "other urban",
    "significant rural",
    "rural-50",
    "rural-80",
];

/// The class of an area of `density` residents per hectare: 30 or more is
/// major urban, then 15, 7, 3 and 1.5 for the next four; below that
/// rural-80.
pub fn urban_rural_class(density: f64) -> &'static str {
    let bounds = [30.0, 15.0, 7.0, 3.0, 1.5];
    let i = bounds.iter().take_while(|b| density < **b).count();
    URBAN_RURAL_CLASSES[i]
}

/// Typical figures of a kind of authority: (deprivation score, median
/// density, share aged 18-24, social housing, single-person households).
fn typical(kind: AreaKind) -> (f64, f64, f64, f64, f64) {
    match kind {
        AreaKind::London => (28.0, 60.0, 0.105, 0.26, 0.33),
        AreaKind::Metropolitan => (27.0, 20.0, 0.100, 0.21, 0.31),
        AreaKind::Unitary => (22.0, 12.0, 0.095, 0.18, 0.30),
        AreaKind::County => (14.0, 2.2, 0.080, 0.12, 0.27),
        AreaKind::Welsh => (21.0, 2.5, 0.085, 0.16, 0.29),
    }
}

fn round_to(x: f64, decimals: i32) -> f64 {
    let k = 10f64.powi(decimals);
    (x * k).round() / k
}

/// Draws the characteristics of every area for `seed`, in area order.
pub(crate) fn area_features(
    areas: &[Area],
    effects: &[AreaEffects],
    seed: u64,
) -> Vec<AreaFeatures> {
    let mut rng = chunk_rng(seed, Stream::AreaFeatures, 0);
    areas
        .iter()
        .zip(effects)
        .map(|(area, effect)| {
            let (imd, density, young, social, single) = typical(area.kind());
            // offending effect: lognormal with sigma 0.1, so ln / 0.1 is ~N(0, 1)
            let offending_z = effect.offending.ln() / 0.1;
            let imd_score = (imd + 3.0 * offending_z + 5.0 * normal(&mut rng)).clamp(5.0, 55.0);
            let deprived = (imd_score - 21.0) / 10.0;
            let population_density = lognormal(&mut rng, density, 0.45).clamp(0.2, 150.0);
            let prop_aged_18_24 = (young + 0.012 * normal(&mut rng)).clamp(0.06, 0.18);
            let prop_social_housing =
                (social + 0.04 * deprived + 0.03 * normal(&mut rng)).clamp(0.05, 0.45);
            let prop_single_person =
                (single + 0.015 * deprived + 0.015 * normal(&mut rng)).clamp(0.2, 0.45);
            let population_density = round_to(population_density, 2);
            AreaFeatures {
                imd_score: round_to(imd_score, 2),
                population_density,
                prop_aged_18_24: round_to(prop_aged_18_24, 4),
                prop_social_housing: round_to(prop_social_housing, 4),
                prop_single_person: round_to(prop_single_person, 4),
                urban_rural: urban_rural_class(population_density),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classes_follow_density() {
        assert_eq!(urban_rural_class(45.0), "major urban");
        assert_eq!(urban_rural_class(30.0), "major urban");
        assert_eq!(urban_rural_class(29.9), "large urban");
        assert_eq!(urban_rural_class(7.0), "other urban");
        assert_eq!(urban_rural_class(3.0), "significant rural");
        assert_eq!(urban_rural_class(2.0), "rural-50");
        assert_eq!(urban_rural_class(0.4), "rural-80");
    }
}
