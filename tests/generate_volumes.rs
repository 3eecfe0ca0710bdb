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

/// The committed sample (`data-samples/README.md`): populations are the
/// embedded mid-2009 figures times the region's scale, and serious
/// acquisitive crime per head of those populations is the contract's
/// national rate (700,000 a year over the real England and Wales
/// population) in the scaled-up North West as in the rest.
#[test]
fn the_committed_sample_keeps_rates_per_head_true() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("data-samples");
    let real = pireport::generate::areas().unwrap();
    let codes = strings(&dir, "areas", "la_code");
    let regions = strings(&dir, "areas", "region_code");
    let pops = ints(&dir, "areas", "population");
    let scale = |region: &str| if region == "E12000002" { 0.1 } else { 0.01 };
    let mut sampled = std::collections::BTreeMap::new();
    for ((code, region), pop) in codes.iter().zip(&regions).zip(&pops) {
        let r = real.iter().find(|a| &a.la_code == code).unwrap();
        let want = (r.population as f64 * scale(region)).round() as i64;
        assert_eq!(*pop, want, "{code} population");
        sampled.insert(code.clone(), (region.clone(), *pop as f64));
    }
    let national_rate = 700_000.0 / real.iter().map(|a| a.population as f64).sum::<f64>();
    let la = strings(&dir, "recorded_crime", "la_code");
    let kind = strings(&dir, "recorded_crime", "crime_type");
    let (mut nw, mut rest) = (0.0, 0.0);
    for (code, t) in la.iter().zip(&kind) {
        let sac = matches!(
            t.as_str(),
            "domestic_burglary"
                | "theft_of_vehicle"
                | "theft_from_vehicle"
                | "robbery_personal"
                | "robbery_business"
        );
        if sac {
            if sampled[code].0 == "E12000002" {
                nw += 1.0;
            } else {
                rest += 1.0;
            }
        }
    }
    let pop_of = |nw_only: bool| -> f64 {
        sampled
            .values()
            .filter(|(r, _)| (r == "E12000002") == nw_only)
            .map(|(_, p)| p)
            .sum()
    };
    // the North West is more urban than average (urban factors of 1.1 to
    // 1.45 on crime per head), the rest a little less: both within 35%
    near(
        "NW crimes per head a year",
        nw / YEARS / pop_of(true),
        national_rate,
        0.35,
    );
    near(
        "rest per head a year",
        rest / YEARS / pop_of(false),
        national_rate,
        0.35,
    );
    // and at 10% against 1% the counts differ tenfold, the rates do not
    let ratio = (nw / pop_of(true)) / (rest / pop_of(false));
    assert!((0.7..1.5).contains(&ratio), "NW/rest rate ratio {ratio}");
}
