//! NDTMS structured drug treatment (NI40): clients with one or more
//! episodes, starts growing about 3% a year, open episodes at the extract
//! date, and under-18s the indicator must leave out.

use super::calendar::{Day, YEAR, trend_years};
use super::rng::{Stream, chunk_rng, exponential, gamma, lognormal, unit};
use super::tables::EpisodeRow;
use super::world::World;

/// Treatment clients starting a first episode per year, scale 1.
const CLIENTS_PER_YEAR: f64 = 153_000.0;
/// Days of treatment history simulated before the span (returning
/// clients reach their steady state).
const LEAD_DAYS: i32 = 8 * 365;
/// Clients per chunk.
const CLIENTS_PER_CHUNK: u64 = 20_000;
/// Fewest clients, whatever the scale.
const MIN_CLIENTS: f64 = 20.0;
/// Chance a client returns for another episode after a discharge.
const RETURN: f64 = 0.45;
/// Chance a later episode is in another area.
const OTHER_AREA: f64 = 0.1;

/// Non-planned discharge reasons and their mix.
const UNPLANNED: [(&str, f64); 7] = [
    ("incomplete_dropped_out", 0.50),
    ("transferred_not_in_custody", 0.15),
    ("transferred_in_custody", 0.06),
    ("incomplete_treatment_withdrawn", 0.08),
    ("incomplete_prison", 0.08),
    ("incomplete_died", 0.015),
    ("other", 0.115),
];

/// How many clients a run has.
pub(crate) fn clients(world: &World) -> u64 {
    let years = world.span.years() as f64 + f64::from(LEAD_DAYS) / 365.0;
    (CLIENTS_PER_YEAR * years * world.scale)
        .max(MIN_CLIENTS)
        .ceil() as u64
}

/// Number of treatment chunks.
pub(crate) fn chunks(world: &World) -> u64 {
    clients(world).div_ceil(CLIENTS_PER_CHUNK)
}

/// Generates the episodes of the clients in chunk `chunk`.
pub(crate) fn treatment_chunk(world: &World, chunk: u64) -> Vec<EpisodeRow> {
    let mut rng = chunk_rng(world.seed, Stream::Treatment, chunk);
    let lo = chunk * CLIENTS_PER_CHUNK;
    let hi = (lo + CLIENTS_PER_CHUNK).min(clients(world));
    let start = world.span.first - LEAD_DAYS;
    let end = world.span.extract;
    let mut rows = Vec::new();
    for client in lo..hi {
        let home = world.drug_areas.draw(&mut rng);
        let growth = world.effects.get(home).map_or(0.03, |e| e.treatment_growth);
        let years = f64::from(end - start) / YEAR;
        let u = unit(&mut rng);
        let x = if growth.abs() < 1e-9 {
            u * years
        } else {
            (1.0 + u * ((growth * years).exp() - 1.0)).ln() / growth
        };
        let mut triage = start + (x * YEAR) as Day;
        // the gamma's tail is capped at 100, so that with the years of
        // later episodes no age passes the contract's 120 (at scale 3 the
        // uncapped tail reached 122 and the extract was refused); no
        // indicator reads an age above 18, so no figure changes
        let age0 = if unit(&mut rng) < 0.06 {
            13.0 + 5.0 * unit(&mut rng)
        } else {
            (18.0 + gamma(&mut rng, 3.0, 14.0)).min(100.0)
        };
        let birth = f64::from(triage) - age0 * YEAR;
        let mut area = home;
        loop {
            let episode = episode(world, &mut rng, client as i64 + 1, area, triage, birth);
            let next = episode.discharge;
            if next.is_none_or(|d| d >= world.span.first) {
                rows.push(episode);
            }
            let Some(discharged) = next else { break };
            if unit(&mut rng) >= RETURN {
                break;
            }
            triage = discharged + 1 + exponential(&mut rng, 240.0) as Day;
            if triage > end {
                break;
            }
            if unit(&mut rng) < OTHER_AREA {
                area = other_area(world, &mut rng, home);
            }
        }
    }
    rows
}

/// One episode: its length, and its exit if it ends by the extract date.
fn episode(
    world: &World,
    rng: &mut super::rng::ChunkRng,
    client_id: i64,
    area: usize,
    triage: Day,
    birth: f64,
) -> EpisodeRow {
    let length = lognormal(rng, 150.0, 1.0).clamp(1.0, 6.0 * YEAR) as Day;
    let discharge = triage + length;
    let completion = world
        .effects
        .get(area)
        .map_or(1.0, |e| e.treatment_completion);
    let trend = 1.0 + 0.01 * trend_years(triage);
    let short = if length < 84 { 0.35 } else { 1.0 };
    let planned = unit(rng) < 0.40 * completion * trend * short;
    let reason = if planned {
        if unit(rng) < 0.6 {
            "completed_drug_free"
        } else {
            "completed_occasional_user"
        }
    } else {
        let weights: Vec<f64> = UNPLANNED.iter().map(|(_, w)| *w).collect();
        UNPLANNED[super::rng::categorical(rng, &weights)].0
    };
    let open = discharge > world.span.extract;
    EpisodeRow {
        client_id,
        la: area as u16,
        age: ((f64::from(triage) - birth) / YEAR).floor() as i64,
        triage,
        discharge: (!open).then_some(discharge),
        reason: (!open).then_some(reason),
    }
}

/// Another area in the same region, if the region has one.
fn other_area(world: &World, rng: &mut super::rng::ChunkRng, home: usize) -> usize {
    let region = world.region_of.get(home).copied().unwrap_or(0);
    let members = world
        .region_members
        .get(region)
        .map_or(&[][..], |m| m.as_slice());
    if members.len() < 2 {
        return home;
    }
    let pick = members[(unit(rng) * members.len() as f64) as usize % members.len()];
    if pick == home {
        members[(members.iter().position(|m| *m == home).unwrap_or(0) + 1) % members.len()]
    } else {
        pick
    }
}
