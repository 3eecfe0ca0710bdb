//! The NOMS drug strategy's own measures: prison mandatory drug tests
//! (rMDT), probation orders with and without a Drug Rehabilitation
//! Requirement (DRR, NI 143, NI 144), the Place Survey (NI 42) and young
//! people received into custody (YPSMS).
//!
//! Each table draws from streams of its own (one chunk per financial or
//! survey year), and the area effects here come from a stream of their own
//! too, so adding these tables left every older table byte-identical.
//!
//! Calibration (scale 1), as `shared/spec/data-contract.md` and
//! `indicators.md` state it:
//! - 60,000 random MDTs a year, 9.1% positive (refusals included) in
//!   2007-08, falling about 8% a year; the other test types on top.
//! - about 200,000 orders a year, 16,600 with a DRR starting in 2007-08
//!   (growing about 3% a year), DRR completion 43% in 2007-08 rising about
//!   2.5 points a year.
//! - 150,000 Place Survey respondents per survey year (2008, 2010),
//!   England only, about 30% calling drugs a very or fairly big problem.
//! - 9,000 young people received into custody a year, 95% engaged in
//!   2007-08 (93% the year before), 95% assessed within 5 working days,
//!   88% with a care plan within 10.
//!
//! The awkward rows real data has: refused tests (positive, no drug),
//! orders still running (no termination, reason or outcomes), terminated
//! orders with no reason or outcome recorded, receptions on Saturdays and
//! on the Friday before a bank holiday, assessments on the reception day,
//! missing assessments and care plans.

use super::areas::AreaKind;
use super::calendar::{Day, date, day, financial_year_of};
use super::holidays::{WorkingDays, weekday};
use super::options::FinancialYear;
use super::rng::{ChunkRng, Cumulative, Stream, categorical, chunk_rng, lognormal, noise, unit};
use super::tables::{MdtRow, OrderRow, PlaceRow, YpsmsRow};
use super::world::World;
use chrono::Datelike;

/// Random MDTs a year, scale 1.
const RANDOM_MDT_PER_YEAR: f64 = 60_000.0;
/// Positive rate of random MDTs in 2007-08.
const RMDT_2007: f64 = 0.091;
/// Yearly log change of the random MDT positive rate.
const RMDT_TREND: f64 = -0.08;
/// Share of positive random results that are refusals.
const REFUSED_SHARE: f64 = 0.2;
/// Establishments that test.
const PRISONS: usize = 130;

/// Orders starting a year, scale 1.
const ORDERS_PER_YEAR: f64 = 200_000.0;
/// Orders with a DRR starting in 2007-08, scale 1.
const DRR_2007: f64 = 16_600.0;
/// DRR completion in 2007-08.
const DRR_COMPLETION_2007: f64 = 0.41;
/// Years of orders simulated before the span so terminations in its first
/// years include long orders.
const ORDER_LEAD_YEARS: i32 = 3;
/// Share of terminated orders with no reason recorded.
const NO_REASON: f64 = 0.004;

/// Place Survey respondents per survey year, scale 1.
const PLACE_PER_YEAR: f64 = 150_000.0;

/// Young people received into custody a year, scale 1.
const YPSMS_PER_YEAR: f64 = 9_000.0;

/// How an area departs from the national picture for these measures.
#[derive(Debug, Clone)]
struct StrategyEffects {
    /// Multiplier on DRR completion.
    drr_completion: f64,
    /// Multiplier on settled accommodation at the end of an order.
    accommodation: f64,
    /// Multiplier on employment at the end of an order.
    employment: f64,
    /// Multiplier on residents calling drugs a big problem.
    place: f64,
    /// Multiplier on the chance of a late assessment.
    ypsms_delay: f64,
}

/// One prison: where it stands, how much it tests and how much drug use
/// it has.
#[derive(Debug, Clone)]
struct Prison {
    code: String,
    la: u16,
    drugs: f64,
}

/// What every chunk of these tables shares.
#[derive(Debug, Clone)]
pub(crate) struct StrategyPlan {
    effects: Vec<StrategyEffects>,
    prisons: Vec<Prison>,
    prison_volume: Cumulative,
    adults: Cumulative,
    english_adults: Cumulative,
    young: Cumulative,
    calendar: WorkingDays,
    people: u64,
}

/// A three-letter establishment code, distinct for each index below 17,576.
fn prison_code(i: usize) -> String {
    let mut n = (i * 337 + 100) % 17_576;
    let mut code = [b'A'; 3];
    for c in code.iter_mut().rev() {
        *c = b'A' + (n % 26) as u8;
        n /= 26;
    }
    String::from_utf8_lossy(&code).into_owned()
}

impl StrategyPlan {
    /// Draws the area effects and the prisons; `people` is the number of
    /// PNC persons, whose ids the new tables' `person_id` is drawn from.
    pub(crate) fn new(world: &World, people: u64) -> Self {
        let mut rng = chunk_rng(world.seed, Stream::StrategyAreas, 0);
        let effects = world
            .areas
            .iter()
            .map(|_| StrategyEffects {
                drr_completion: lognormal(&mut rng, 1.0, 0.12).clamp(0.7, 1.4),
                accommodation: lognormal(&mut rng, 1.0, 0.05).clamp(0.85, 1.15),
                employment: lognormal(&mut rng, 1.0, 0.15).clamp(0.65, 1.4),
                place: lognormal(&mut rng, 1.0, 0.2).clamp(0.55, 1.8),
                ypsms_delay: lognormal(&mut rng, 1.0, 0.5),
            })
            .collect();
        let sites = Cumulative::new(world.areas.iter().map(|a| {
            let rural = if matches!(a.kind(), AreaKind::County) {
                1.6
            } else {
                1.0
            };
            a.population as f64 * rural
        }));
        let mut prisons: Vec<Prison> = (0..PRISONS)
            .map(|i| Prison {
                code: prison_code(i),
                la: sites.draw(&mut rng) as u16,
                drugs: noise(&mut rng, 0.35),
            })
            .collect();
        let volumes: Vec<f64> = prisons
            .iter()
            .map(|_| lognormal(&mut rng, 1.0, 0.5))
            .collect();
        // Scale the prisons' drug use so the national rate is the stated one.
        let total: f64 = volumes.iter().sum::<f64>().max(f64::MIN_POSITIVE);
        let mean = prisons
            .iter()
            .zip(&volumes)
            .map(|(p, v)| p.drugs * v)
            .sum::<f64>()
            / total;
        for p in &mut prisons {
            p.drugs /= mean.max(f64::MIN_POSITIVE);
        }
        let prison_volume = Cumulative::new(volumes);
        let urban = |k: AreaKind| match k {
            AreaKind::London | AreaKind::Metropolitan => 1.4,
            AreaKind::Unitary => 1.1,
            AreaKind::County => 0.75,
            AreaKind::Welsh => 1.0,
        };
        let adults = Cumulative::new(
            world
                .areas
                .iter()
                .map(|a| a.population_18plus as f64 * urban(a.kind())),
        );
        let english_adults = Cumulative::new(world.areas.iter().map(|a| {
            if a.is_english() {
                a.population_18plus as f64
            } else {
                0.0
            }
        }));
        let young = Cumulative::new(
            world
                .areas
                .iter()
                .map(|a| a.population_10_17 as f64 * urban(a.kind())),
        );
        StrategyPlan {
            effects,
            prisons,
            prison_volume,
            adults,
            english_adults,
            young,
            calendar: WorkingDays::new(),
            people: people.max(1),
        }
    }

    fn person(&self, rng: &mut ChunkRng) -> i64 {
        (unit(rng) * self.people as f64) as i64 + 1
    }

    /// The Place Survey years (2008, 2010) inside the span.
    pub(crate) fn place_years(world: &World) -> Vec<i32> {
        let first = date(world.span.first).year();
        let last = date(world.span.extract).year();
        [2008, 2010]
            .into_iter()
            .filter(|y| (first..=last).contains(y))
            .collect()
    }

    /// The financial years orders are simulated for (lead years first).
    fn order_years(world: &World) -> impl Iterator<Item = FinancialYear> + use<> {
        (world.span.from.0 - ORDER_LEAD_YEARS..=world.span.to.0).map(FinancialYear)
    }

    /// Chunks of `probation_orders`: one per start year.
    pub(crate) fn order_chunks(world: &World) -> u64 {
        Self::order_years(world).count() as u64
    }
}

/// A yearly volume at the run's scale: at least one row a year.
fn volume(world: &World, per_year: f64) -> usize {
    (per_year * world.scale).round().max(1.0) as usize
}

/// A uniformly drawn day of financial year `fy`, clipped to the span.
fn day_in(rng: &mut ChunkRng, fy: FinancialYear) -> Day {
    let first = day(fy.first_day());
    let last = day(fy.last_day());
    first + (unit(rng) * f64::from(last - first + 1)) as Day
}

/// A weekday of `fy` (Monday to Friday; bank holidays allowed: prisons test
/// every day of the week, courts do not sit on them).
fn weekday_in(rng: &mut ChunkRng, fy: FinancialYear) -> Day {
    loop {
        let d = day_in(rng, fy);
        if weekday(d) < 5 {
            return d;
        }
    }
}

/// Years since 2007-08, the anchor of the strategy trends.
fn years_since_2007(fy: FinancialYear) -> f64 {
    f64::from(fy.0 - 2007)
}

const DRUGS: [(&str, f64); 6] = [
    ("cannabis", 0.38),
    ("opiates", 0.30),
    ("buprenorphine", 0.12),
    ("benzodiazepines", 0.08),
    ("cocaine", 0.05),
    ("other", 0.07),
];

/// Test types other than random, with their volume relative to random
/// tests and their positive rate relative to the random rate.
const OTHER_TESTS: [(&str, f64, f64); 4] = [
    ("reasonable_suspicion", 0.20, 3.0),
    ("risk_assessment", 0.10, 0.5),
    ("frequent_test", 0.12, 1.5),
    ("reception", 0.15, 2.5),
];

/// `prison_mdt` rows of one financial year of the span.
pub(crate) fn mdt_chunk(world: &World, plan: &StrategyPlan, chunk: u64) -> Vec<MdtRow> {
    let fy = FinancialYear(world.span.from.0 + chunk as i32);
    let mut rng = chunk_rng(world.seed, Stream::Mdt, chunk);
    let random = volume(world, RANDOM_MDT_PER_YEAR);
    let rate = RMDT_2007 * (RMDT_TREND * years_since_2007(fy)).exp();
    let mut rows = Vec::with_capacity(random * 3 / 2);
    let draw = |rng: &mut ChunkRng, test_type: &'static str, rate: f64| {
        let prison = &plan.prisons[plan.prison_volume.draw(rng)];
        let p = (rate * prison.drugs).min(0.9);
        let (result, drug) = if unit(rng) < p {
            if unit(rng) < REFUSED_SHARE {
                ("refused", None)
            } else {
                let weights: Vec<f64> = DRUGS.iter().map(|(_, w)| *w).collect();
                ("positive", Some(DRUGS[categorical(rng, &weights)].0))
            }
        } else {
            ("negative", None)
        };
        let test_date = if unit(rng) < 0.9 {
            weekday_in(rng, fy)
        } else {
            day_in(rng, fy)
        };
        MdtRow {
            person_id: plan.person(rng),
            prison: prison.code.clone(),
            la: prison.la,
            test_date,
            test_type,
            result,
            drug,
        }
    };
    for _ in 0..random {
        rows.push(draw(&mut rng, "random", rate));
    }
    for (test_type, share, relative) in OTHER_TESTS {
        let n = (random as f64 * share).round() as usize;
        for _ in 0..n {
            rows.push(draw(&mut rng, test_type, rate * relative));
        }
    }
    rows.sort_by_key(|r| r.test_date);
    rows
}

/// Mix of order types without and with a DRR.
const ORDER_TYPES: [(&str, f64); 3] = [
    ("community_order", 0.5),
    ("suspended_sentence_order", 0.2),
    ("licence", 0.3),
];

/// How orders that do not complete end.
const UNCOMPLETED: [(&str, f64); 5] = [
    ("revoked_breach", 0.55),
    ("revoked_further_offence", 0.30),
    ("died", 0.02),
    ("transferred", 0.05),
    ("other", 0.08),
];

const ACCOMMODATION: [&str; 4] = ["settled", "unsettled", "no_fixed_abode", "not_known"];
const EMPLOYMENT: [&str; 6] = [
    "employed",
    "self_employed",
    "education_training",
    "unemployed",
    "not_available_for_work",
    "not_known",
];

/// `probation_orders` rows of the orders starting in one year (lead years
/// first); orders that ended before the span are left out.
pub(crate) fn order_chunk(world: &World, plan: &StrategyPlan, chunk: u64) -> Vec<OrderRow> {
    let fy = FinancialYear(world.span.from.0 - ORDER_LEAD_YEARS + chunk as i32);
    let mut rng = chunk_rng(world.seed, Stream::Orders, chunk);
    let t = years_since_2007(fy);
    let all = volume(world, ORDERS_PER_YEAR);
    let drr = ((DRR_2007 * (1.0 + 0.03 * t).max(0.3)) * world.scale).round() as usize;
    let drr = drr.min(all);
    let mut rows = Vec::with_capacity(all);
    for i in 0..all {
        let with_drr = i < drr;
        let la = plan.adults.draw(&mut rng);
        let effects = &plan.effects[la];
        let order_type = draw_order_type(&mut rng, with_drr);
        let start = day_in(&mut rng, fy);
        let median = match order_type {
            "licence" => 200.0,
            _ if with_drr => 300.0,
            _ => 330.0,
        };
        let planned = start + lognormal(&mut rng, median, 0.4).clamp(30.0, 1100.0) as Day;
        let end_year = years_since_2007(financial_year_of(planned));
        let p_complete = if with_drr {
            ((DRR_COMPLETION_2007 + 0.02 * end_year).clamp(0.25, 0.6) * effects.drr_completion)
                .min(0.9)
        } else {
            0.66
        };
        let (reason, end) = draw_ending(&mut rng, start, planned, p_complete);
        let running = end > world.span.extract;
        if !running && end < world.span.first {
            continue;
        }
        let mut row = OrderRow {
            person_id: plan.person(&mut rng),
            la: la as u16,
            order_type,
            start,
            drr: with_drr,
            termination: None,
            reason: None,
            accommodation: None,
            employment: None,
        };
        if running {
            rows.push(row);
            continue;
        }
        row.termination = Some(end);
        let recorded = unit(&mut rng) >= NO_REASON;
        row.reason = recorded.then_some(reason);
        let good = matches!(reason, "completed" | "early_good_progress");
        let outcome_trend = 1.0 + 0.01 * years_since_2007(financial_year_of(end));
        if recorded && reason != "died" && unit(&mut rng) >= 0.03 {
            let settled = (0.80 * effects.accommodation * outcome_trend
                + if good { 0.05 } else { -0.05 })
            .clamp(0.3, 0.97);
            row.accommodation = Some(draw_accommodation(&mut rng, settled));
        }
        if recorded && reason != "died" && unit(&mut rng) >= 0.03 {
            let employed = (0.33 * effects.employment * outcome_trend
                + if good { 0.06 } else { -0.06 })
            .clamp(0.05, 0.8);
            row.employment = Some(draw_employment(&mut rng, employed));
        }
        rows.push(row);
    }
    rows
}

/// An order's type: a DRR goes with a community or suspended sentence
/// order; other orders are drawn by the national mix.
fn draw_order_type(rng: &mut ChunkRng, with_drr: bool) -> &'static str {
    if with_drr {
        if unit(rng) < 0.8 {
            "community_order"
        } else {
            "suspended_sentence_order"
        }
    } else {
        let weights: Vec<f64> = ORDER_TYPES.iter().map(|(_, w)| *w).collect();
        ORDER_TYPES[categorical(rng, &weights)].0
    }
}

/// How and when an order from `start`, planned to end on `planned`, ends:
/// completed (on time, or early for good progress) with chance
/// `p_complete`, else ended part-way for one of the other reasons.
fn draw_ending(
    rng: &mut ChunkRng,
    start: Day,
    planned: Day,
    p_complete: f64,
) -> (&'static str, Day) {
    if unit(rng) < p_complete {
        let early = unit(rng) < 0.12;
        let end = if early {
            start + ((planned - start) as f64 * (0.6 + 0.3 * unit(rng))) as Day
        } else {
            planned
        };
        (
            if early {
                "early_good_progress"
            } else {
                "completed"
            },
            end,
        )
    } else {
        let weights: Vec<f64> = UNCOMPLETED.iter().map(|(_, w)| *w).collect();
        let reason = UNCOMPLETED[categorical(rng, &weights)].0;
        let end = start + ((planned - start) as f64 * (0.15 + 0.75 * unit(rng))) as Day;
        (reason, end.max(start + 1))
    }
}

/// Accommodation at termination: settled with chance `settled` (after a
/// 5% not known), else mostly unsettled, some no fixed abode.
fn draw_accommodation(rng: &mut ChunkRng, settled: f64) -> &'static str {
    if unit(rng) < 0.05 {
        ACCOMMODATION[3]
    } else if unit(rng) < settled {
        ACCOMMODATION[0]
    } else if unit(rng) < 0.8 {
        ACCOMMODATION[1]
    } else {
        ACCOMMODATION[2]
    }
}

/// Employment at termination: employed (or self-employed) with chance
/// `employed` (after a 6% not known), else in education, unemployed or
/// not available for work.
fn draw_employment(rng: &mut ChunkRng, employed: f64) -> &'static str {
    if unit(rng) < 0.06 {
        EMPLOYMENT[5]
    } else if unit(rng) < employed {
        if unit(rng) < 0.9 {
            EMPLOYMENT[0]
        } else {
            EMPLOYMENT[1]
        }
    } else {
        let u = unit(rng);
        if u < 0.1 {
            EMPLOYMENT[2]
        } else if u < 0.8 {
            EMPLOYMENT[3]
        } else {
            EMPLOYMENT[4]
        }
    }
}

/// `place_survey` rows of one survey year.
pub(crate) fn place_chunk(world: &World, plan: &StrategyPlan, chunk: u64) -> Vec<PlaceRow> {
    let years = StrategyPlan::place_years(world);
    let Some(&year) = years.get(chunk as usize) else {
        return Vec::new();
    };
    let mut rng = chunk_rng(world.seed, Stream::Place, chunk);
    let n = volume(world, PLACE_PER_YEAR);
    let mut areas: Vec<usize> = (0..n).map(|_| plan.english_adults.draw(&mut rng)).collect();
    areas.sort_unstable();
    let english: f64 = world
        .areas
        .iter()
        .filter(|a| a.is_english())
        .map(|a| a.population_18plus as f64)
        .sum::<f64>()
        .max(1.0);
    let year_effect = if year >= 2010 { 0.9 } else { 1.0 };
    areas
        .into_iter()
        .map(|la| {
            let a = &world.areas[la];
            let expected = n as f64 * a.population_18plus as f64 / english;
            let weight = a.population_18plus as f64 / expected.max(1.0) * noise(&mut rng, 0.4);
            let urban = match a.kind() {
                AreaKind::London | AreaKind::Metropolitan => 1.3,
                AreaKind::Unitary => 1.05,
                _ => 0.8,
            };
            let p = (0.29 * urban * plan.effects[la].place * year_effect).min(0.8);
            let answer = if unit(&mut rng) < 0.03 {
                None
            } else if unit(&mut rng) < 0.07 {
                Some("dont_know")
            } else if unit(&mut rng) < p {
                Some(if unit(&mut rng) < 0.3 {
                    "very_big"
                } else {
                    "fairly_big"
                })
            } else if unit(&mut rng) < 0.6 {
                Some("not_very_big")
            } else {
                Some("not_a_problem")
            };
            PlaceRow {
                la: la as u16,
                survey_year: i64::from(year),
                weight,
                drug_problem: answer,
            }
        })
        .collect()
}

/// Working-day delays of the initial assessment within five days.
const PROMPT_ASSESSMENT: [f64; 6] = [0.35, 0.25, 0.15, 0.1, 0.08, 0.07];

/// `ypsms_custody` rows of one financial year of the span.
pub(crate) fn ypsms_chunk(world: &World, plan: &StrategyPlan, chunk: u64) -> Vec<YpsmsRow> {
    let fy = FinancialYear(world.span.from.0 + chunk as i32);
    let mut rng = chunk_rng(world.seed, Stream::Ypsms, chunk);
    let n = volume(world, YPSMS_PER_YEAR);
    let t = years_since_2007(fy);
    let engaged = (0.95 + 0.02 * t).clamp(0.85, 0.975);
    let cal = &plan.calendar;
    let holidays_fridays: Vec<Day> = (day(fy.first_day())..=day(fy.last_day()))
        .filter(|d| weekday(*d) == 4 && cal.is_working(*d) && !cal.is_working(d + 3))
        .collect();
    let mut rows = Vec::with_capacity(n);
    for i in 0..n {
        let la = plan.young.draw(&mut rng);
        // Courts sit Monday to Friday, a few on Saturdays; the first
        // receptions of each year fall on the Fridays before a bank
        // holiday Monday, the case working-day windows most often get wrong.
        let reception = match holidays_fridays.get(i) {
            Some(d) if i < n / 50 => *d,
            _ if unit(&mut rng) < 0.03 => {
                let d = weekday_in(&mut rng, fy);
                d + (5 - weekday(d))
            }
            _ => loop {
                let d = weekday_in(&mut rng, fy);
                if cal.is_working(d) {
                    break d;
                }
            },
        };
        let late = (0.03 * plan.effects[la].ypsms_delay).min(0.3);
        let assessment = if unit(&mut rng) < 0.015 {
            None
        } else if unit(&mut rng) < late {
            Some(cal.add(reception, 6 + (unit(&mut rng) * 15.0) as u32))
        } else {
            let k = categorical(&mut rng, &PROMPT_ASSESSMENT) as u32;
            Some(cal.add(reception, k))
        };
        let care_plan = if unit(&mut rng) < 0.08 {
            None
        } else if unit(&mut rng) < 0.045 {
            Some(cal.add(reception, 11 + (unit(&mut rng) * 20.0) as u32))
        } else {
            Some(cal.add(reception, 1 + (unit(&mut rng) * 10.0) as u32))
        };
        let establishment = (unit(&mut rng) * 30.0) as usize;
        let kind = match establishment {
            0..12 => "YOI",
            12..16 => "STC",
            _ => "SCH",
        };
        let male = unit(&mut rng) < 0.92;
        let within = |d: Option<Day>| d.filter(|d| *d <= world.span.extract);
        rows.push(YpsmsRow {
            person_id: plan.person(&mut rng),
            establishment: format!("{kind}{:02}", establishment + 1),
            la: la as u16,
            male,
            reception,
            assessment: within(assessment),
            care_plan: within(care_plan),
            engaged: unit(&mut rng) < engaged,
            detox: unit(&mut rng) < if male { 0.03 } else { 0.06 },
        });
    }
    rows.sort_by_key(|r| r.reception);
    rows
}

/// The `bank_holidays` table: every listed date, whatever the span.
pub(crate) fn bank_holiday_days() -> Vec<Day> {
    super::holidays::holiday_days()
}
