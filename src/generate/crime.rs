//! Police recorded crime (NI16): serious acquisitive crime falling a few
//! per cent a year, higher in urban areas, plus other crime types the
//! indicator must leave out.

use super::calendar::{Day, day};
use super::rng::{ChunkRng, Stream, chunk_rng, poisson, unit};
use super::tables::CrimeRow;
use super::world::World;

/// Serious acquisitive crimes a year in England and Wales, scale 1, 2008-09.
const SAC_PER_YEAR: f64 = 700_000.0;
/// Other recorded crime, as a share of serious acquisitive crime.
const OTHER_SHARE: f64 = 0.3;
/// Yearly log change of serious acquisitive crime nationally.
const NATIONAL_TREND: f64 = -0.05;
/// The year the volumes are anchored on.
const ANCHOR_YEAR: i32 = 2008;

/// Serious acquisitive crime types and their national mix.
const SAC_TYPES: [(&str, f64); 5] = [
    ("domestic_burglary", 0.39),
    ("theft_from_vehicle", 0.33),
    ("theft_of_vehicle", 0.14),
    ("robbery_personal", 0.12),
    ("robbery_business", 0.02),
];

/// Other types, outside the indicator.
const OTHER_TYPES: [(&str, f64); 4] = [
    ("other_theft", 0.35),
    ("criminal_damage", 0.35),
    ("shoplifting", 0.2),
    ("other_burglary", 0.1),
];

/// Crimes per financial year (outer) and area (inner).
#[derive(Debug, Clone)]
pub(crate) struct CrimePlan {
    /// Serious acquisitive crimes.
    pub sac: Vec<Vec<u64>>,
    /// Other crimes.
    pub other: Vec<Vec<u64>>,
}

impl CrimePlan {
    /// Draws every area's yearly counts; at least one crime in all.
    pub(crate) fn new(world: &World) -> Self {
        let mut rng = chunk_rng(world.seed, Stream::CrimeCounts, 0);
        let weights: Vec<f64> = (0..world.areas.len())
            .map(|a| world.crime_weight(a))
            .collect();
        let total: f64 = weights.iter().sum::<f64>().max(f64::MIN_POSITIVE);
        let mut sac = Vec::new();
        let mut other = Vec::new();
        for fy in world.span.financial_years() {
            let t = f64::from(fy.0 - ANCHOR_YEAR);
            let national = SAC_PER_YEAR * world.scale * (NATIONAL_TREND * t).exp();
            let means: Vec<f64> = weights
                .iter()
                .zip(&world.effects)
                .map(|(w, e)| national * w / total * (e.crime_trend * t).exp())
                .collect();
            sac.push(means.iter().map(|m| poisson(&mut rng, *m)).collect());
            other.push(
                means
                    .iter()
                    .map(|m| poisson(&mut rng, m * OTHER_SHARE))
                    .collect(),
            );
        }
        let mut plan = CrimePlan { sac, other };
        plan.ensure_one(&weights);
        plan
    }

    /// Puts one crime in the largest area of the first year if none was drawn.
    fn ensure_one(&mut self, weights: &[f64]) {
        let none = self.sac.iter().flatten().all(|n| *n == 0);
        let largest = (0..weights.len()).max_by(|a, b| weights[*a].total_cmp(&weights[*b]));
        if let (true, Some(first), Some(a)) = (none, self.sac.first_mut(), largest) {
            first[a] = 1;
        }
    }

    /// Chunks: one per financial year and region.
    pub(crate) fn chunks(world: &World) -> u64 {
        (world.span.years() * world.region_members.len()) as u64
    }
}

/// Generates chunk `chunk`: one financial year of one region.
pub(crate) fn crime_chunk(world: &World, plan: &CrimePlan, chunk: u64) -> Vec<CrimeRow> {
    let regions = world.region_members.len().max(1);
    let year = chunk as usize / regions;
    let region = chunk as usize % regions;
    let mut rng = chunk_rng(world.seed, Stream::Crime, chunk);
    let Some(fy) = world.span.financial_years().nth(year) else {
        return Vec::new();
    };
    let first = day(fy.first_day());
    let days = day(fy.last_day()) - first + 1;
    let mut rows = Vec::new();
    for &area in world
        .region_members
        .get(region)
        .map_or(&[][..], |m| m.as_slice())
    {
        let london = world.areas[area].la_code.starts_with("E09");
        let n_sac = plan
            .sac
            .get(year)
            .and_then(|y| y.get(area))
            .copied()
            .unwrap_or(0);
        let n_other = plan
            .other
            .get(year)
            .and_then(|y| y.get(area))
            .copied()
            .unwrap_or(0);
        for _ in 0..n_sac {
            let crime_type = pick(&mut rng, &SAC_TYPES, if london { 1.6 } else { 1.0 });
            rows.push(crime(&mut rng, area, first, days, crime_type));
        }
        for _ in 0..n_other {
            let crime_type = pick(&mut rng, &OTHER_TYPES, 1.0);
            rows.push(crime(&mut rng, area, first, days, crime_type));
        }
    }
    rows
}

fn crime(
    rng: &mut ChunkRng,
    area: usize,
    first: Day,
    days: i32,
    crime_type: &'static str,
) -> CrimeRow {
    CrimeRow {
        la: area as u16,
        recorded: first + (unit(rng) * f64::from(days)) as Day,
        crime_type,
    }
}

/// Draws a type from a mix; `robbery` scales the robbery weights (London
/// has more street robbery).
fn pick(rng: &mut ChunkRng, mix: &[(&'static str, f64)], robbery: f64) -> &'static str {
    let weight = |(name, w): &(&str, f64)| {
        if name.starts_with("robbery") {
            w * robbery
        } else {
            *w
        }
    };
    let total: f64 = mix.iter().map(weight).sum();
    let mut x = unit(rng) * total;
    for entry in mix {
        let w = weight(entry);
        if x < w {
            return entry.0;
        }
        x -= w;
    }
    mix.last().map_or("other_theft", |e| e.0)
}
