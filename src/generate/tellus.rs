//! The TellUs pupil survey (NI115): English pupils in school years 6, 8 and
//! 10, weighted, with answers left blank and substance misuse that differs
//! by area and falls over the survey years.

use super::rng::{ChunkRng, Stream, chunk_rng, noise, poisson, unit};
use super::tables::RespondentRow;
use super::world::World;

/// Respondents per survey year, scale 1.
const RESPONDENTS_PER_YEAR: f64 = 250_000.0;
/// Share of respondents who answered none of the three questions.
const ALL_BLANK: f64 = 0.02;
/// Share of each question left blank by the others.
const ONE_BLANK: f64 = 0.04;
/// Yearly log change of misuse.
const TREND: f64 = -0.06;

/// Respondents per survey year (outer) and area (inner).
#[derive(Debug, Clone)]
pub(crate) struct SurveyPlan {
    /// The survey years generated.
    pub years: Vec<i32>,
    /// Respondents per year and area.
    pub counts: Vec<Vec<u64>>,
}

impl SurveyPlan {
    /// Draws the sample sizes: proportional to the area's 10-17 population,
    /// England only (TellUs did not run in Wales); at least one respondent.
    pub(crate) fn new(world: &World) -> Self {
        let mut rng = chunk_rng(world.seed, Stream::SurveyCounts, 0);
        let weight = |i: usize| {
            let a = &world.areas[i];
            if a.is_english() {
                a.population_10_17 as f64
            } else {
                0.0
            }
        };
        let total: f64 = (0..world.areas.len()).map(weight).sum::<f64>().max(1.0);
        let years = world.span.survey_years();
        let mut counts: Vec<Vec<u64>> = years
            .iter()
            .map(|_| {
                (0..world.areas.len())
                    .map(|i| {
                        poisson(
                            &mut rng,
                            RESPONDENTS_PER_YEAR * world.scale * weight(i) / total,
                        )
                    })
                    .collect()
            })
            .collect();
        let largest = (0..world.areas.len()).max_by(|a, b| weight(*a).total_cmp(&weight(*b)));
        if let (true, Some(first), Some(a)) = (
            counts.iter().flatten().all(|n| *n == 0),
            counts.first_mut(),
            largest,
        ) {
            first[a] = 1;
        }
        SurveyPlan { years, counts }
    }

    /// Chunks: one per survey year and region.
    pub(crate) fn chunks(&self, world: &World) -> u64 {
        (self.years.len() * world.region_members.len()) as u64
    }
}

/// Generates chunk `chunk`: one survey year of one region.
pub(crate) fn survey_chunk(world: &World, plan: &SurveyPlan, chunk: u64) -> Vec<RespondentRow> {
    let regions = world.region_members.len().max(1);
    let index = chunk as usize / regions;
    let region = chunk as usize % regions;
    let mut rng = chunk_rng(world.seed, Stream::Survey, chunk);
    let Some(&year) = plan.years.get(index) else {
        return Vec::new();
    };
    let mut rows = Vec::new();
    for &area in world
        .region_members
        .get(region)
        .map_or(&[][..], |m| m.as_slice())
    {
        let n = plan.counts[index].get(area).copied().unwrap_or(0);
        let pupils = world.areas[area].population_10_17 as f64 * 3.0 / 8.0;
        let misuse = world.effects[area].survey_misuse * (TREND * f64::from(year - 2007)).exp();
        for _ in 0..n {
            rows.push(respondent(&mut rng, area, year, pupils / n as f64, misuse));
        }
    }
    rows
}

fn respondent(
    rng: &mut ChunkRng,
    area: usize,
    year: i32,
    weight: f64,
    misuse: f64,
) -> RespondentRow {
    let u = unit(rng);
    let school_year = if u < 0.36 {
        6
    } else if u < 0.69 {
        8
    } else {
        10
    };
    let (drunk, drugs, volatile) = match school_year {
        6 => (0.02, 0.005, 0.015),
        8 => (0.09, 0.025, 0.03),
        _ => (0.27, 0.08, 0.035),
    };
    let risk = if unit(rng) < 0.2 { 3.8 } else { 0.3 };
    let all_blank = unit(rng) < ALL_BLANK;
    let mut answer = |p: f64| {
        let value = unit(rng) < (p * misuse * risk).min(0.95);
        let blank = all_blank || unit(rng) < ONE_BLANK;
        (!blank).then_some(value)
    };
    let (drunk, drugs, volatile) = (answer(drunk), answer(drugs), answer(volatile));
    RespondentRow {
        la: area as u16,
        survey_year: i64::from(year),
        school_year,
        weight: weight * noise(rng, 0.3),
        drunk,
        drugs,
        volatile,
    }
}
