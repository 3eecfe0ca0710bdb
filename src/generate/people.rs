//! The offender population: who offends, where, how often and for how long.
//! Each person's whole history is simulated in one go, so the person tables
//! (offences, DIP tests, caseload, PPO and re-offending cohorts) agree with
//! each other by construction.

use super::calendar::{Day, YEAR, trend_years};
use super::offending::OffenceMix;
use super::rng::{ChunkRng, exponential, gamma, unit};
use super::world::World;

/// Days of history simulated before the span, so custody, supervision
/// and PPO status are in their steady state when the span starts.
pub(crate) const LEAD_DAYS: i32 = 730;

/// Persons simulated per chunk.
pub(crate) const PERSONS_PER_CHUNK: u64 = 20_000;

/// Kinds of offender, from the one-off to the prolific.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Segment {
    /// Rarely offends; most first-time and one-off offenders.
    Low,
    /// Offends now and then.
    Occasional,
    /// Offends every few months.
    Persistent,
    /// Class A drug misuser: the DIP population.
    DrugMisuser,
    /// Prolific: the PPO population.
    Prolific,
}

/// How a segment behaves, at national volume.
#[derive(Debug, Clone, Copy)]
pub(crate) struct SegmentParams {
    /// The segment.
    pub segment: Segment,
    /// People of the segment offending at any one time, at scale 1.
    pub active: f64,
    /// Gamma shape of the yearly rate of proven offending occasions.
    pub rate_shape: f64,
    /// Mean yearly rate of offending occasions.
    pub rate_mean: f64,
    /// Mean length of an offending career, years.
    pub career_years: f64,
    /// Share of careers starting at 10-17.
    pub juvenile_start: f64,
    /// Share who are Class A drug misusers.
    pub drug_share: f64,
    /// Mean extra offences proven at the same occasion.
    pub extra_offences: f64,
    /// Fewest people of the segment, whatever the scale.
    pub floor: f64,
}

/// The segments and their parameters.
pub(crate) const SEGMENTS: [SegmentParams; 5] = [
    SegmentParams {
        segment: Segment::Low,
        active: 1_260_000.0,
        rate_shape: 1.5,
        rate_mean: 0.25,
        career_years: 1.5,
        juvenile_start: 0.35,
        drug_share: 0.0,
        extra_offences: 0.1,
        floor: 200.0,
    },
    SegmentParams {
        segment: Segment::Occasional,
        active: 378_000.0,
        rate_shape: 2.0,
        rate_mean: 0.9,
        career_years: 3.0,
        juvenile_start: 0.35,
        drug_share: 0.0,
        extra_offences: 0.5,
        floor: 100.0,
    },
    SegmentParams {
        segment: Segment::Persistent,
        active: 131_000.0,
        rate_shape: 2.5,
        rate_mean: 2.9,
        career_years: 5.0,
        juvenile_start: 0.30,
        drug_share: 0.0,
        extra_offences: 0.55,
        floor: 50.0,
    },
    SegmentParams {
        segment: Segment::DrugMisuser,
        active: 82_000.0,
        rate_shape: 1.5,
        rate_mean: 1.4,
        career_years: 6.0,
        juvenile_start: 0.03,
        drug_share: 1.0,
        extra_offences: 0.4,
        floor: 50.0,
    },
    SegmentParams {
        segment: Segment::Prolific,
        active: 21_500.0,
        rate_shape: 6.0,
        rate_mean: 7.0,
        career_years: 7.0,
        juvenile_start: 0.30,
        drug_share: 0.15,
        extra_offences: 0.7,
        floor: 40.0,
    },
];

/// Yearly log change of adult offending (the PSA-era fall in re-offending).
const ADULT_TREND: f64 = -0.004;
/// Yearly log change of juvenile offending (youth justice fell faster).
const JUVENILE_TREND: f64 = -0.035;
/// Share of people who move to another area during their career.
const MOVERS: f64 = 0.05;
/// Share of movers who stay within their region.
const MOVE_IN_REGION: f64 = 0.7;

/// How many people of each segment a run simulates.
#[derive(Debug, Clone)]
pub(crate) struct Population {
    /// Expected people per segment, in `SEGMENTS` order.
    pub expected: [f64; 5],
    /// People in all (the person id space is `1..=total`).
    pub total: u64,
    /// Years simulated: the span plus the lead time before it.
    pub years: f64,
}

impl Population {
    /// Sizes the population for the world's span and scale. Every person is
    /// either offending when the simulation starts or starts offending
    /// during it, at a steady rate, so volumes are level over time.
    pub(crate) fn new(world: &World) -> Self {
        let years = world.span.years() as f64 + f64::from(LEAD_DAYS) / 365.0;
        let expected = SEGMENTS
            .map(|s| (s.active * world.scale * (1.0 + years / s.career_years)).max(s.floor));
        let total = expected.iter().sum::<f64>().ceil() as u64;
        Population {
            expected,
            total,
            years,
        }
    }

    /// Number of person chunks.
    pub(crate) fn chunks(&self) -> u64 {
        self.total.div_ceil(PERSONS_PER_CHUNK)
    }

    /// The person ids of chunk `c`.
    pub(crate) fn chunk_ids(&self, c: u64) -> std::ops::Range<i64> {
        let lo = c * PERSONS_PER_CHUNK;
        let hi = (lo + PERSONS_PER_CHUNK).min(self.total);
        (lo as i64 + 1)..(hi as i64 + 1)
    }
}

/// One person's fixed characteristics.
#[derive(Debug, Clone)]
pub(crate) struct Person {
    pub id: i64,
    pub params: SegmentParams,
    /// Yearly rate of offending occasions before area, trend and PPO effects.
    pub rate: f64,
    pub drug_misuser: bool,
    pub birth: Day,
    pub career_start: Day,
    pub career_end: Day,
    pub home: u16,
    /// The day and area of a move, if any.
    pub moved: Option<(Day, u16)>,
}

impl Person {
    /// Draws a person.
    pub(crate) fn draw(world: &World, pop: &Population, id: i64, rng: &mut ChunkRng) -> Person {
        let seg = super::rng::categorical(rng, &pop.expected);
        let params = SEGMENTS[seg];
        let rate = gamma(rng, params.rate_shape, params.rate_mean);
        let drug_misuser = unit(rng) < params.drug_share;
        let sim_start = world.span.first - LEAD_DAYS;
        let career = params.career_years * YEAR;
        let already_active = unit(rng) < 1.0 / (1.0 + pop.years / params.career_years);
        let (start, end) = if already_active {
            let start = f64::from(sim_start) - exponential(rng, career);
            (start, f64::from(sim_start) + exponential(rng, career))
        } else {
            let start =
                f64::from(sim_start) + unit(rng) * f64::from(world.span.extract - sim_start);
            (start, start + exponential(rng, career))
        };
        let age_at_start = if unit(rng) < params.juvenile_start {
            10.0 + 8.0 * unit(rng)
        } else {
            (18.0 + gamma(rng, 2.0, 9.0)).min(75.0)
        };
        let areas = if drug_misuser {
            &world.drug_areas
        } else {
            &world.offender_areas
        };
        let home = areas.draw(rng);
        let moved = (unit(rng) < MOVERS).then(|| {
            let from = start.max(f64::from(sim_start));
            let to = end.min(f64::from(world.span.extract));
            let day = (from + unit(rng) * (to - from).max(0.0)) as Day;
            (day, move_to(world, home, rng) as u16)
        });
        Person {
            id,
            params,
            rate,
            drug_misuser,
            birth: (start - age_at_start * YEAR) as Day,
            career_start: start as Day,
            career_end: end.min(f64::from(Day::MAX / 2)) as Day,
            home: home as u16,
            moved,
        }
    }

    /// The person's area on day `d`.
    pub(crate) fn area_on(&self, d: Day) -> u16 {
        match self.moved {
            Some((day, area)) if d >= day => area,
            _ => self.home,
        }
    }

    /// Age in whole years on day `d`.
    pub(crate) fn age_on(&self, d: Day) -> f64 {
        f64::from(d - self.birth) / YEAR
    }

    /// The offence mix of the person.
    pub(crate) fn mix(&self) -> OffenceMix {
        match (self.params.segment, self.drug_misuser) {
            (_, true) => OffenceMix::DrugMisuser,
            (Segment::Prolific, false) => OffenceMix::Prolific,
            _ => OffenceMix::General,
        }
    }

    /// Whether the person's adult disposals follow the persistent mix.
    pub(crate) fn persistent(&self) -> bool {
        !matches!(self.params.segment, Segment::Low | Segment::Occasional)
    }

    /// Yearly rate of offending occasions on day `d`, with the area effect
    /// and trend but without the PPO effect.
    pub(crate) fn rate_on(&self, world: &World, d: Day) -> f64 {
        let area = usize::from(self.area_on(d));
        let trend = if self.age_on(d) < 18.0 {
            JUVENILE_TREND
        } else {
            ADULT_TREND
        };
        let effect = world.effects.get(area).map_or(1.0, |e| e.offending);
        self.rate * effect * (trend * trend_years(d)).exp()
    }

    /// An upper bound of `rate_on` over the simulation, for thinning.
    pub(crate) fn rate_bound(&self, world: &World) -> f64 {
        let effect = |a: u16| {
            world
                .effects
                .get(usize::from(a))
                .map_or(1.0, |e| e.offending)
        };
        let area_max = self
            .moved
            .map_or(effect(self.home), |(_, a)| effect(a).max(effect(self.home)));
        let first = world.span.first - LEAD_DAYS;
        let trend_max = (-JUVENILE_TREND * (-trend_years(first)).max(0.0)).exp();
        self.rate * area_max * trend_max * 1.000_1
    }
}

/// Picks the area a person moves to: usually in the same region.
fn move_to(world: &World, home: usize, rng: &mut ChunkRng) -> usize {
    let region = world.region_of.get(home).copied();
    let in_region = unit(rng) < MOVE_IN_REGION;
    let mut candidate = home;
    for _ in 0..30 {
        candidate = world.offender_areas.draw(rng);
        let same = world.region_of.get(candidate).copied() == region;
        if candidate != home && (same || !in_region) {
            return candidate;
        }
    }
    candidate
}
