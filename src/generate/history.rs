//! Simulates one person's history and writes the rows it leaves in the
//! person tables: proven offences, DIP tests on arrest, probation caseload
//! snapshots, PPO cohort membership and re-offending cohort entries.

use super::calendar::{Day, YEAR};
use super::offending::{
    Disposal, DisposalMix, Supervision, draw_custody_days, draw_disposal, draw_group, draw_lag,
    draw_supervision_days,
};
use super::people::{Person, Population, Segment};
use super::rng::{ChunkRng, below, exponential, noise, poisson, unit};
use super::tables::{CaseloadRow, CohortRow, DipResult, DipTestRow, OffenceRow, PpoRow};
use super::world::World;

/// Rate multiplier for each PPO cohort a person has joined: PPOs who stay
/// on keep reducing their offending.
const PPO_EFFECT: f64 = 0.68;
/// Chance an eligible prolific offender joins the first PPO cohort.
const PPO_FIRST: f64 = 0.52;
/// Chance a PPO stays in next year's cohort.
const PPO_STAY: f64 = 0.55;
/// Chance an eligible prolific offender not yet a PPO joins a later cohort.
const PPO_NEW: f64 = 0.6;
/// Chance a qualifying first disposal of the year enters the re-offending cohort.
const COHORT_TAKE: f64 = 1.0;
/// Calibrates the 2005 re-offending model's predictions to 2005 outcomes.
const COHORT_MODEL: f64 = 0.63;
/// Calibrates the DIP predictive model.
const DIP_MODEL: f64 = 0.65;
/// Noise of the re-offending and DIP models (log scale).
const MODEL_NOISE: f64 = 0.35;
/// Calibrates the probation risk model's rates to outcomes.
const OGRS_MODEL: f64 = 0.66;
/// Noise of the probation risk predictions (log scale).
const OGRS_NOISE: f64 = 0.15;
/// Chance of a retest on the same day.
const DIP_RETEST: f64 = 0.03;

/// The rows of one chunk of people.
#[derive(Debug, Default)]
pub(crate) struct PeopleRows {
    pub offences: Vec<OffenceRow>,
    pub dip_tests: Vec<DipTestRow>,
    pub caseload: Vec<CaseloadRow>,
    pub ppo: Vec<PpoRow>,
    pub cohort: Vec<CohortRow>,
}

impl PeopleRows {
    fn lengths(&self) -> [usize; 5] {
        [
            self.offences.len(),
            self.dip_tests.len(),
            self.caseload.len(),
            self.ppo.len(),
            self.cohort.len(),
        ]
    }

    fn truncate(&mut self, l: [usize; 5]) {
        self.offences.truncate(l[0]);
        self.dip_tests.truncate(l[1]);
        self.caseload.truncate(l[2]);
        self.ppo.truncate(l[3]);
        self.cohort.truncate(l[4]);
    }
}

/// A disposal that can start a re-offending cohort entry.
#[derive(Debug, Clone, Copy)]
struct CohortEvent {
    day: Day,
    disposal: &'static str,
}

/// A spell of probation supervision.
#[derive(Debug, Clone, Copy)]
struct Spell {
    start: Day,
    end: Day,
    kind: Supervision,
}

/// Per-person scratch space, reused across a chunk.
#[derive(Debug, Default)]
struct Scratch {
    custody: Vec<(Day, Day)>,
    spells: Vec<Spell>,
    events: Vec<CohortEvent>,
    ppo: Vec<Day>,
    years_taken: Vec<bool>,
    /// The offences of the latest occasion disposed before the span.
    before_span: Vec<OffenceRow>,
}

impl Scratch {
    fn clear(&mut self) {
        self.custody.clear();
        self.spells.clear();
        self.events.clear();
        self.ppo.clear();
        self.before_span.clear();
    }

    fn in_custody(&self, d: Day) -> bool {
        self.custody.iter().any(|(a, b)| *a <= d && d < *b)
    }
}

/// Generates the rows of person chunk `chunk`.
pub(crate) fn people_chunk(world: &World, pop: &Population, chunk: u64) -> PeopleRows {
    let mut rng = super::rng::chunk_rng(world.seed, super::rng::Stream::People, chunk);
    let mut rows = PeopleRows::default();
    let mut scratch = Scratch::default();
    let ppo_days = world.span.ppo_cohort_days();
    let snapshots = world.span.snapshot_days();
    for id in pop.chunk_ids(chunk) {
        let person = Person::draw(world, pop, id, &mut rng);
        scratch.clear();
        let mut sim = Simulation {
            world,
            person: &person,
            rng: &mut rng,
            rows: &mut rows,
            scratch: &mut scratch,
        };
        sim.run(&ppo_days, &snapshots);
    }
    rows
}

/// One person's simulation.
struct Simulation<'a> {
    world: &'a World,
    person: &'a Person,
    rng: &'a mut ChunkRng,
    rows: &'a mut PeopleRows,
    scratch: &'a mut Scratch,
}

impl Simulation<'_> {
    fn run(&mut self, ppo_days: &[Day], snapshots: &[Day]) {
        let before = self.rows.lengths();
        self.choose_ppo_cohorts(ppo_days);
        let emitted = self.offend();
        self.enter_cohorts();
        self.caseload(snapshots);
        let person = self.person;
        self.rows
            .ppo
            .extend(self.scratch.ppo.iter().map(|d| PpoRow {
                person_id: person.id,
                la: person.area_on(*d),
                cohort_date: *d,
            }));
        if emitted > 0 {
            return;
        }
        // Every person in a cohort table must have offences. Someone whose
        // record in the span is only a supervision (or PPO status) from an
        // earlier conviction keeps that conviction; anyone else is dropped.
        let in_cohorts = self.rows.lengths() != before;
        if in_cohorts && !self.scratch.before_span.is_empty() {
            self.rows.offences.append(&mut self.scratch.before_span);
        } else {
            self.rows.truncate(before);
        }
    }

    /// Prolific offenders with a year of history are made PPOs; many stay on
    /// in later cohorts.
    fn choose_ppo_cohorts(&mut self, ppo_days: &[Day]) {
        if self.person.params.segment != Segment::Prolific {
            return;
        }
        let mut member = false;
        for (i, d) in ppo_days.iter().enumerate() {
            let eligible = self.person.career_start <= d - 365 && self.person.career_end > *d;
            let p = match (i, member) {
                (0, _) => PPO_FIRST,
                (_, true) => PPO_STAY,
                (_, false) => PPO_NEW,
            };
            member = eligible && unit(self.rng) < p;
            if member {
                self.scratch.ppo.push(*d);
            }
        }
    }

    /// The person's yearly offending rate on day `d`.
    fn rate(&self, d: Day) -> f64 {
        let joined = self.scratch.ppo.iter().filter(|c| **c <= d).count();
        self.person.rate_on(self.world, d) * PPO_EFFECT.powi(joined as i32)
    }

    /// Runs the offending process (a thinned Poisson process paused in
    /// custody) and returns the number of offences written.
    fn offend(&mut self) -> usize {
        let span = &self.world.span;
        let start = self
            .person
            .career_start
            .max(span.first - super::people::LEAD_DAYS);
        let end = self.person.career_end.min(span.extract);
        let bound = self.person.rate_bound(self.world);
        if bound <= 0.0 || start >= end {
            return 0;
        }
        let mean_gap = YEAR / bound;
        let mut t = f64::from(start);
        let mut emitted = 0;
        loop {
            t += exponential(self.rng, mean_gap);
            if t >= f64::from(end) {
                return emitted;
            }
            let d = t as Day;
            if self.scratch.in_custody(d) || unit(self.rng) * bound >= self.rate(d) {
                continue;
            }
            emitted += self.occasion(d);
        }
    }

    /// One arrest on day `d`: its offences, disposal, custody, supervision,
    /// cohort event and DIP test. Returns the offences written.
    fn occasion(&mut self, d: Day) -> usize {
        let person = self.person;
        let span = &self.world.span;
        let juvenile = person.age_on(d) < 18.0;
        let mix = match (juvenile, person.persistent()) {
            (true, _) => DisposalMix::Juvenile,
            (false, true) => DisposalMix::AdultPersistent,
            (false, false) => DisposalMix::Adult,
        };
        let disposal = draw_disposal(self.rng, mix);
        let disposed = d + draw_lag(self.rng, disposal);
        let group = draw_group(self.rng, person.mix());
        let extra = poisson(self.rng, person.params.extra_offences);
        let in_extract = span.first <= disposed && disposed <= span.extract;
        let before_span = disposed < span.first;
        if before_span {
            self.scratch.before_span.clear();
        }
        let mut written = 0;
        for k in 0..=extra {
            let (day, group) = if k == 0 {
                (d, group)
            } else {
                let back = below(self.rng, 1, 61);
                (
                    (d - back).max(person.career_start),
                    draw_group(self.rng, person.mix()),
                )
            };
            let row = OffenceRow {
                person_id: person.id,
                offence_date: day,
                disposal_date: disposed,
                group,
                la: person.area_on(day),
            };
            if in_extract {
                self.rows.offences.push(row);
                written += 1;
            } else if before_span {
                self.scratch.before_span.push(row);
            }
        }
        self.after_disposal(disposal, disposed, juvenile);
        if span.first <= d && d <= span.extract {
            self.dip_test(d, group.is_trigger());
        }
        written
    }

    /// Custody, probation supervision and the cohort event of a disposal.
    fn after_disposal(&mut self, disposal: Disposal, disposed: Day, juvenile: bool) {
        let start = if disposal == Disposal::Custody {
            let release = disposed + draw_custody_days(self.rng);
            self.scratch.custody.push((disposed, release));
            release
        } else {
            disposed
        };
        let kind = match disposal {
            Disposal::Custody => Some(Supervision::Licence),
            Disposal::CommunityOrder => Some(Supervision::CommunityOrder),
            Disposal::SuspendedSentence => Some(Supervision::SuspendedSentence),
            _ => None,
        };
        if let (Some(kind), false) = (kind, juvenile)
            && let Some(days) = draw_supervision_days(self.rng, kind)
        {
            self.scratch.spells.push(Spell {
                start,
                end: start + days,
                kind,
            });
        }
        if let Some(name) = disposal.cohort_disposal() {
            self.scratch.events.push(CohortEvent {
                day: start,
                disposal: name,
            });
        }
    }

    /// A DIP test on arrest, more likely for trigger offences and for
    /// people known to misuse Class A drugs.
    fn dip_test(&mut self, d: Day, trigger: bool) {
        let person = self.person;
        let p = match (person.drug_misuser, trigger) {
            (true, true) => 0.48,
            (true, false) => 0.21,
            (false, true) => 0.064,
            (false, false) => 0.016,
        };
        if unit(self.rng) >= p {
            return;
        }
        let result = self.dip_result();
        let predicted = (result != DipResult::Negative).then(|| {
            let offences = person.rate * (1.0 + person.params.extra_offences);
            let exposure = self.world.exposure_12m_adult;
            offences * exposure * DIP_MODEL * noise(self.rng, MODEL_NOISE)
        });
        let tests = if unit(self.rng) < DIP_RETEST { 2 } else { 1 };
        for _ in 0..tests {
            self.rows.dip_tests.push(DipTestRow {
                person_id: person.id,
                test_date: d,
                la: person.area_on(d),
                result,
                predicted,
            });
        }
    }

    fn dip_result(&mut self) -> DipResult {
        let u = unit(self.rng);
        if self.person.drug_misuser {
            match u {
                u if u < 0.27 => DipResult::Opiates,
                u if u < 0.54 => DipResult::Cocaine,
                u if u < 0.90 => DipResult::Both,
                _ => DipResult::Negative,
            }
        } else if u < 0.04 {
            DipResult::Cocaine
        } else if u < 0.05 {
            DipResult::Opiates
        } else {
            DipResult::Negative
        }
    }

    /// The first qualifying disposal (or release) of each financial year
    /// enters that year's proven re-offending cohort.
    fn enter_cohorts(&mut self) {
        let person = self.person;
        let span = &self.world.span;
        self.scratch.events.sort_unstable_by_key(|e| e.day);
        self.scratch.years_taken.clear();
        self.scratch.years_taken.resize(span.years(), false);
        for i in 0..self.scratch.events.len() {
            let event = self.scratch.events[i];
            let Some(year) = span.year_index(event.day) else {
                continue;
            };
            if self.scratch.years_taken[year] {
                continue;
            }
            self.scratch.years_taken[year] = true;
            if unit(self.rng) >= COHORT_TAKE {
                continue;
            }
            let juvenile = person.age_on(event.day) < 18.0;
            let disposal = match (juvenile, event.disposal) {
                (false, "pre_court") => "caution",
                (_, d) => d,
            };
            let exposure = if juvenile {
                self.world.exposure_12m_juvenile
            } else {
                self.world.exposure_12m_adult
            };
            let offences = person.rate * (1.0 + person.params.extra_offences);
            let predicted = offences * exposure * COHORT_MODEL * noise(self.rng, MODEL_NOISE);
            self.rows.cohort.push(CohortRow {
                person_id: person.id,
                cohort_start: event.day,
                juvenile,
                disposal,
                la: person.area_on(event.day),
                predicted,
            });
        }
    }

    /// A row on each quarter-end snapshot while the adult is supervised in
    /// the community, with the probation risk model's prediction.
    fn caseload(&mut self, snapshots: &[Day]) {
        let person = self.person;
        for &q in snapshots {
            if person.age_on(q) < 18.0 || self.scratch.in_custody(q) {
                continue;
            }
            let spell = self
                .scratch
                .spells
                .iter()
                .filter(|s| s.start <= q && q < s.end)
                .max_by_key(|s| s.start);
            let Some(spell) = spell.copied() else {
                continue;
            };
            let la = person.area_on(q);
            let bias = self
                .world
                .effects
                .get(usize::from(la))
                .map_or(0.0, |e| e.ogrs_bias);
            let p = 1.0 - (-self.rate(q) * OGRS_MODEL * self.world.exposure_3m_adult).exp();
            let predicted = (p * (1.0 + bias) * noise(self.rng, OGRS_NOISE)).clamp(0.002, 0.95);
            self.rows.caseload.push(CaseloadRow {
                snapshot: q,
                person_id: person.id,
                la,
                order: spell.kind,
                predicted,
            });
        }
    }
}
