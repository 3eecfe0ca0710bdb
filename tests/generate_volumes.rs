//! Volumes follow the data contract's national figures times `--scale`,
//! counted per period as the contract states them.

#[path = "generate_support.rs"]
mod support;

use support::{Extract, dates, day, generate_into, ints, read_table, row_count, strings};

const YEARS: f64 = 7.0;
const FIRST: (i32, u32, u32) = (2005, 4, 1);
const LAST: (i32, u32, u32) = (2012, 3, 31);

fn in_span(d: i32) -> bool {
    day(FIRST.0, FIRST.1, FIRST.2) <= d && d <= day(LAST.0, LAST.1, LAST.2)
}

/// Asserts `found` is within `tolerance` (a fraction) of `target`.
fn near(what: &str, found: f64, target: f64, tolerance: f64) {
    let lo = target * (1.0 - tolerance);
    let hi = target * (1.0 + tolerance);
    assert!(
        (lo..=hi).contains(&found),
        "{what}: {found:.0} is outside {lo:.0}..{hi:.0} (target {target:.0})"
    );
}

/// The contract's volumes at `scale`, per the period it names them for.
fn check_volumes(extract: &Extract, scale: f64, tolerance: f64) {
    let dir = &extract.path;
    assert_eq!(row_count(dir, "areas"), 174);

    let proven = dates(dir, "offences", "disposal_date");
    let in_years = proven.iter().filter(|d| in_span(**d)).count() as f64;
    near(
        "offences a year",
        in_years / YEARS,
        1_500_000.0 * scale,
        tolerance,
    );

    let sac = strings(dir, "recorded_crime", "crime_type")
        .iter()
        .filter(|t| {
            matches!(
                t.as_str(),
                "domestic_burglary"
                    | "theft_of_vehicle"
                    | "theft_from_vehicle"
                    | "robbery_personal"
                    | "robbery_business"
            )
        })
        .count() as f64;
    near(
        "serious acquisitive crimes a year",
        sac / YEARS,
        700_000.0 * scale,
        tolerance,
    );
    let all_crime = row_count(dir, "recorded_crime") as f64;
    near("other crime share", all_crime / sac - 1.0, 0.3, 0.2);

    let tests = row_count(dir, "dip_tests") as f64;
    near(
        "DIP tests a year",
        tests / YEARS,
        80_000.0 * scale,
        tolerance,
    );

    let caseload = row_count(dir, "probation_caseload") as f64;
    near(
        "caseload rows a quarter",
        caseload / (4.0 * YEARS),
        250_000.0 * scale,
        tolerance,
    );

    let ppo_dates = dates(dir, "ppo_cohort", "cohort_date");
    let mut cohorts = ppo_dates.clone();
    cohorts.sort_unstable();
    cohorts.dedup();
    assert_eq!(
        cohorts.len(),
        6,
        "a PPO cohort on 1 April of each later year"
    );
    assert_eq!(cohorts[0], day(2006, 4, 1));
    near(
        "PPOs per cohort",
        ppo_dates.len() as f64 / 6.0,
        10_000.0 * scale,
        tolerance,
    );

    let triaged = dates(dir, "treatment_episodes", "triage_date");
    let triaged_in_span = triaged.iter().filter(|d| in_span(**d)).count() as f64;
    near(
        "treatment episodes a year",
        triaged_in_span / YEARS,
        300_000.0 * scale,
        tolerance,
    );

    let survey_years = ints(dir, "tellus_survey", "survey_year");
    for year in 2007..=2010 {
        let n = survey_years.iter().filter(|y| **y == year).count() as f64;
        near(&format!("TellUs {year}"), n, 250_000.0 * scale, tolerance);
    }
    assert!(survey_years.iter().all(|y| (2007..=2010).contains(y)));

    let cohort = row_count(dir, "reoffending_cohort") as f64;
    near(
        "re-offending cohort a year",
        cohort / YEARS,
        600_000.0 * scale,
        tolerance,
    );
}

#[test]
fn volumes_at_scale_0_002() {
    check_volumes(&generate_into(0.002, 3), 0.002, 0.25);
}

#[test]
fn volumes_at_scale_0_01() {
    check_volumes(&generate_into(0.01, 4), 0.01, 0.15);
}

#[test]
fn a_tiny_scale_still_gives_every_table_rows() {
    let extract = generate_into(1e-7, 5);
    for (table, rows) in &extract.summary.tables {
        assert!(*rows >= 1, "{table} is empty");
    }
    assert_eq!(read_table(&extract.path, "areas")[0].num_rows(), 174);
}
