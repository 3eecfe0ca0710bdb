//! Synthetic extracts at national scale.
//!
//! `generate` writes every table of the data contract
//! (`shared/spec/data-contract.md`) plus `manifest.yaml` into a new
//! directory. The pipeline:
//!
//! ```text
//! options -> World (areas, area effects, span) -> chunks (rayon, own RNG each)
//!         -> table sinks, in chunk order (writer thread) -> Parquet parts
//!         -> manifest.yaml -> rename the temporary directory to `out`
//! ```
//!
//! The person tables (`offences`, `dip_tests`, `probation_caseload`,
//! `ppo_cohort`, `reoffending_cohort`) come from one simulation of each
//! person's offending history (`people`, `history`), so every cohort member
//! has offences and their follow-up offending is what the indicators find.
//! `recorded_crime`, `treatment_episodes` and `tellus_survey` are drawn
//! per area (`crime`, `treatment`, `tellus`); the drug strategy's tables
//! (`prison_mdt`, `probation_orders`, `place_survey`, `ypsms_custody`) per
//! year (`strategy`), and `bank_holidays` is the official list
//! (`holidays`). Every chunk draws from its own
//! stream seeded by (seed, table, chunk), and rows reach the files in chunk
//! order, so the bytes depend on the seed and scale only.

mod areas;
mod calendar;
mod crime;
mod error;
mod features;
mod history;
mod holidays;
mod manifest;
mod offending;
mod options;
mod people;
mod rng;
mod strategy;
mod tables;
mod tellus;
mod treatment;
mod world;
mod writer;

use std::io::IsTerminal;
use std::path::Path;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use chrono::NaiveDate;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use rayon::prelude::*;

pub use areas::{Area, AreaKind, areas, is_la_code, parse_areas};
pub use error::GenerateError;
pub use options::{FinancialYear, GenerateOptions, MAX_SCALE, ParseFinancialYearError};
pub use tables::{TABLES, table_schema};
pub use writer::{PART_ROWS, ROW_GROUP_ROWS};

use calendar::Span;
use crime::CrimePlan;
use history::PeopleRows;
use people::Population;
use strategy::StrategyPlan;
use tables::{
    CrimeRow, EpisodeRow, HolidayRow, MdtRow, OrderRow, PlaceRow, RespondentRow, YpsmsRow,
};
use tellus::SurveyPlan;
use world::World;
use writer::TableSink;

/// What `generate` wrote.
#[derive(Debug, Clone)]
pub struct GenerateSummary {
    /// Each table's name and row count, in the contract's order.
    pub tables: Vec<(String, u64)>,
    /// Rows in all tables.
    pub total_rows: u64,
    /// Wall-clock time taken.
    pub elapsed: Duration,
    /// The extract date written to the manifest.
    pub extract_date: NaiveDate,
}

/// Generates a synthetic extract into `opts.out`.
///
/// Checks the options first and touches nothing if they are bad. Writes
/// into a temporary directory beside `out` and renames it to `out` only
/// when every file is complete, so an error leaves nothing behind.
pub fn generate(opts: &GenerateOptions) -> Result<GenerateSummary, GenerateError> {
    let started = Instant::now();
    let parent = opts.validate()?;
    let (sampled, volume_scale) =
        areas::sample_areas(areas::areas()?, opts.scale, &opts.region_scales)?;
    let world = World::new(
        sampled,
        Span::new(opts.from, opts.to),
        volume_scale,
        opts.seed,
    );
    let tmp = tempfile::Builder::new()
        .prefix(".pireport-generate-")
        .tempdir_in(&parent)
        .map_err(|source| GenerateError::CreateTemp {
            path: parent.clone(),
            source,
        })?;
    let tables = write_tables(&world, tmp.path(), opts.progress)?;
    manifest::write_manifest(tmp.path(), opts, &tables)?;
    let done = tmp.keep();
    if let Err(source) = std::fs::rename(&done, &opts.out) {
        // Best effort: the rename error is the one worth reporting.
        let _ = std::fs::remove_dir_all(&done);
        return Err(GenerateError::Rename {
            from: done,
            to: opts.out.clone(),
            source,
        });
    }
    Ok(GenerateSummary {
        total_rows: tables.iter().map(|(_, n)| n).sum(),
        tables,
        elapsed: started.elapsed(),
        extract_date: opts.extract_date(),
    })
}

/// A unit of generation work.
#[derive(Debug, Clone, Copy)]
enum Task {
    People(u64),
    Crime(u64),
    Treatment(u64),
    Survey(u64),
    Mdt(u64),
    Orders(u64),
    Place(u64),
    Ypsms(u64),
    Holidays,
}

/// The rows one task produced.
enum ChunkRows {
    People(PeopleRows),
    Crime(Vec<CrimeRow>),
    Treatment(Vec<EpisodeRow>),
    Survey(Vec<RespondentRow>),
    Mdt(Vec<MdtRow>),
    Orders(Vec<OrderRow>),
    Place(Vec<PlaceRow>),
    Ypsms(Vec<YpsmsRow>),
    Holidays(Vec<HolidayRow>),
}

/// The plans every chunk reads.
struct Plans {
    population: Population,
    crime: CrimePlan,
    survey: SurveyPlan,
    strategy: StrategyPlan,
}

impl Plans {
    fn tasks(&self, world: &World) -> Vec<Task> {
        let people = (0..self.population.chunks()).map(Task::People);
        let crime = (0..CrimePlan::chunks(world)).map(Task::Crime);
        let treatment = (0..treatment::chunks(world)).map(Task::Treatment);
        let survey = (0..self.survey.chunks(world)).map(Task::Survey);
        let years = world.span.years() as u64;
        let mdt = (0..years).map(Task::Mdt);
        let orders = (0..StrategyPlan::order_chunks(world)).map(Task::Orders);
        let place = (0..StrategyPlan::place_years(world).len() as u64).map(Task::Place);
        let ypsms = (0..years).map(Task::Ypsms);
        people
            .chain(crime)
            .chain(treatment)
            .chain(survey)
            .chain(mdt)
            .chain(orders)
            .chain(place)
            .chain(ypsms)
            .chain([Task::Holidays])
            .collect()
    }

    fn run(&self, world: &World, task: Task) -> ChunkRows {
        match task {
            Task::People(c) => ChunkRows::People(history::people_chunk(world, &self.population, c)),
            Task::Crime(c) => ChunkRows::Crime(crime::crime_chunk(world, &self.crime, c)),
            Task::Treatment(c) => ChunkRows::Treatment(treatment::treatment_chunk(world, c)),
            Task::Survey(c) => ChunkRows::Survey(tellus::survey_chunk(world, &self.survey, c)),
            Task::Mdt(c) => ChunkRows::Mdt(strategy::mdt_chunk(world, &self.strategy, c)),
            Task::Orders(c) => ChunkRows::Orders(strategy::order_chunk(world, &self.strategy, c)),
            Task::Place(c) => ChunkRows::Place(strategy::place_chunk(world, &self.strategy, c)),
            Task::Ypsms(c) => ChunkRows::Ypsms(strategy::ypsms_chunk(world, &self.strategy, c)),
            Task::Holidays => ChunkRows::Holidays(
                strategy::bank_holiday_days()
                    .into_iter()
                    .map(HolidayRow)
                    .collect(),
            ),
        }
    }
}

/// Generates every table into `dir` and returns the row counts.
fn write_tables(
    world: &World,
    dir: &Path,
    progress: bool,
) -> Result<Vec<(String, u64)>, GenerateError> {
    let features = features::area_features(&world.areas, &world.effects, world.seed);
    let areas_batch =
        tables::areas_batch(&world.areas, &features).map_err(|source| GenerateError::Arrow {
            table: "areas",
            source,
        })?;
    writer::write_parquet(&dir.join("areas.parquet"), &areas_batch)?;
    let population = Population::new(world);
    let strategy = StrategyPlan::new(world, population.total);
    let plans = Plans {
        population,
        crime: CrimePlan::new(world),
        survey: SurveyPlan::new(world),
        strategy,
    };
    let tasks = plans.tasks(world);
    let bar = progress_bar(tasks.len() as u64, progress);
    let wave = 2 * rayon::current_num_threads().max(1);
    let (tx, rx) = mpsc::sync_channel::<ChunkRows>(wave);
    let counts = std::thread::scope(|scope| {
        let writer = scope.spawn(|| {
            let mut sinks = Sinks::new(dir);
            for rows in rx {
                sinks.push(rows, &world.areas)?;
                bar.inc(1);
            }
            sinks.finish(&world.areas)
        });
        'waves: for batch in tasks.chunks(wave) {
            let outputs: Vec<ChunkRows> = batch.par_iter().map(|t| plans.run(world, *t)).collect();
            for rows in outputs {
                if tx.send(rows).is_err() {
                    break 'waves;
                }
            }
        }
        drop(tx);
        writer.join().map_err(|_| GenerateError::WriterStopped)?
    })?;
    bar.finish_and_clear();
    let mut tables = vec![("areas".to_string(), world.areas.len() as u64)];
    tables.extend(counts);
    Ok(tables)
}

/// The progress bar: drawn on stderr only when asked and stderr is a terminal.
fn progress_bar(len: u64, progress: bool) -> ProgressBar {
    let target = if progress && std::io::stderr().is_terminal() {
        ProgressDrawTarget::stderr()
    } else {
        ProgressDrawTarget::hidden()
    };
    let bar = ProgressBar::with_draw_target(Some(len), target);
    if let Ok(style) = ProgressStyle::with_template(
        "generating {bar:40} {pos}/{len} chunks, {elapsed} elapsed, eta {eta}",
    ) {
        bar.set_style(style);
    }
    bar
}

/// One sink per generated table.
struct Sinks {
    offences: TableSink<tables::OffenceRow>,
    dip_tests: TableSink<tables::DipTestRow>,
    caseload: TableSink<tables::CaseloadRow>,
    ppo: TableSink<tables::PpoRow>,
    cohort: TableSink<tables::CohortRow>,
    crime: TableSink<CrimeRow>,
    treatment: TableSink<EpisodeRow>,
    survey: TableSink<RespondentRow>,
    mdt: TableSink<MdtRow>,
    orders: TableSink<OrderRow>,
    place: TableSink<PlaceRow>,
    ypsms: TableSink<YpsmsRow>,
    holidays: TableSink<HolidayRow>,
}

impl Sinks {
    fn new(dir: &Path) -> Self {
        Sinks {
            offences: TableSink::new(dir),
            dip_tests: TableSink::new(dir),
            caseload: TableSink::new(dir),
            ppo: TableSink::new(dir),
            cohort: TableSink::new(dir),
            crime: TableSink::new(dir),
            treatment: TableSink::new(dir),
            survey: TableSink::new(dir),
            mdt: TableSink::new(dir),
            orders: TableSink::new(dir),
            place: TableSink::new(dir),
            ypsms: TableSink::new(dir),
            holidays: TableSink::new(dir),
        }
    }

    fn push(&mut self, rows: ChunkRows, areas: &[Area]) -> Result<(), GenerateError> {
        match rows {
            ChunkRows::People(p) => {
                self.offences.push(p.offences, areas)?;
                self.dip_tests.push(p.dip_tests, areas)?;
                self.caseload.push(p.caseload, areas)?;
                self.ppo.push(p.ppo, areas)?;
                self.cohort.push(p.cohort, areas)
            }
            ChunkRows::Crime(r) => self.crime.push(r, areas),
            ChunkRows::Treatment(r) => self.treatment.push(r, areas),
            ChunkRows::Survey(r) => self.survey.push(r, areas),
            ChunkRows::Mdt(r) => self.mdt.push(r, areas),
            ChunkRows::Orders(r) => self.orders.push(r, areas),
            ChunkRows::Place(r) => self.place.push(r, areas),
            ChunkRows::Ypsms(r) => self.ypsms.push(r, areas),
            ChunkRows::Holidays(r) => self.holidays.push(r, areas),
        }
    }

    /// Row counts in the contract's table order (after `areas`).
    fn finish(self, areas: &[Area]) -> Result<Vec<(String, u64)>, GenerateError> {
        let counts = [
            ("offences", self.offences.finish(areas)?),
            ("recorded_crime", self.crime.finish(areas)?),
            ("dip_tests", self.dip_tests.finish(areas)?),
            ("probation_caseload", self.caseload.finish(areas)?),
            ("ppo_cohort", self.ppo.finish(areas)?),
            ("treatment_episodes", self.treatment.finish(areas)?),
            ("tellus_survey", self.survey.finish(areas)?),
            ("reoffending_cohort", self.cohort.finish(areas)?),
            ("prison_mdt", self.mdt.finish(areas)?),
            ("probation_orders", self.orders.finish(areas)?),
            ("place_survey", self.place.finish(areas)?),
            ("ypsms_custody", self.ypsms.finish(areas)?),
            ("bank_holidays", self.holidays.finish(areas)?),
        ];
        Ok(counts
            .into_iter()
            .map(|(n, c)| (n.to_string(), c))
            .collect())
    }
}
