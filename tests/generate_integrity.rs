//! Cohort people exist in the offences person space; every area code is a
//! GSS code of the lookup; the lookup has the 2009 geography.

#[path = "generate_support.rs"]
mod support;

use std::collections::{BTreeMap, HashSet};

use pireport::generate::{areas, is_la_code};
use support::{ints, small, strings};

#[test]
fn cohort_people_have_offences() {
    let extract = small();
    let people: HashSet<i64> = ints(&extract.path, "offences", "person_id")
        .into_iter()
        .collect();
    assert!(!people.is_empty());
    for table in [
        "dip_tests",
        "probation_caseload",
        "ppo_cohort",
        "reoffending_cohort",
    ] {
        let ids = ints(&extract.path, table, "person_id");
        assert!(!ids.is_empty(), "{table} is empty");
        let missing: Vec<&i64> = ids.iter().filter(|p| !people.contains(p)).take(5).collect();
        assert!(
            missing.is_empty(),
            "{table} people without offences: {missing:?}"
        );
    }
}

#[test]
fn every_area_code_is_in_the_lookup() {
    let extract = small();
    let lookup: HashSet<String> = strings(&extract.path, "areas", "la_code")
        .into_iter()
        .collect();
    assert_eq!(lookup.len(), 174);
    for table in [
        "offences",
        "recorded_crime",
        "dip_tests",
        "probation_caseload",
        "ppo_cohort",
        "treatment_episodes",
        "tellus_survey",
        "reoffending_cohort",
        "prison_mdt",
        "probation_orders",
        "place_survey",
        "ypsms_custody",
    ] {
        let codes: HashSet<String> = strings(&extract.path, table, "la_code")
            .into_iter()
            .collect();
        let unknown: Vec<&String> = codes.difference(&lookup).collect();
        assert!(unknown.is_empty(), "{table} has unknown areas {unknown:?}");
    }
}

#[test]
fn the_area_table_has_gss_codes_and_regions() {
    let extract = small();
    let codes = strings(&extract.path, "areas", "la_code");
    let regions = strings(&extract.path, "areas", "region_code");
    assert!(codes.iter().all(|c| is_la_code(c)), "bad codes");
    assert!(codes.iter().all(|c| c.len() == 9));
    let mut per_region: BTreeMap<&str, usize> = BTreeMap::new();
    for r in &regions {
        *per_region.entry(r.as_str()).or_default() += 1;
    }
    assert_eq!(per_region.len(), 10, "nine English regions and Wales");
    assert_eq!(per_region["E12000001"], 12, "North East");
    assert_eq!(per_region["W92000004"], 22, "Wales");
    let english: usize = per_region
        .iter()
        .filter(|(r, _)| r.starts_with("E12"))
        .map(|(_, n)| n)
        .sum();
    assert_eq!(english, 152);
    let welsh_codes = codes.iter().filter(|c| c.starts_with("W06")).count();
    assert_eq!(welsh_codes, 22);
    let lookup = areas().unwrap();
    assert_eq!(
        lookup.iter().map(|a| a.la_code.clone()).collect::<Vec<_>>(),
        codes
    );
}

#[test]
fn awkward_rows_are_present() {
    let extract = small();
    let discharge_reason_nulls = {
        let episodes = support::read_table(&extract.path, "treatment_episodes");
        episodes
            .iter()
            .map(|b| b.column_by_name("discharge_reason").unwrap().null_count())
            .sum::<usize>()
    };
    assert!(discharge_reason_nulls > 0, "no open treatment episodes");
    let clients = ints(&extract.path, "treatment_episodes", "client_id");
    let distinct: HashSet<&i64> = clients.iter().collect();
    assert!(
        distinct.len() < clients.len(),
        "no client has several episodes"
    );
    let ppo = ints(&extract.path, "ppo_cohort", "person_id");
    let distinct_ppo: HashSet<&i64> = ppo.iter().collect();
    assert!(
        distinct_ppo.len() < ppo.len(),
        "nobody is in several PPO cohorts"
    );
    let caseload = ints(&extract.path, "probation_caseload", "person_id");
    let distinct_caseload: HashSet<&i64> = caseload.iter().collect();
    assert!(
        distinct_caseload.len() < caseload.len(),
        "nobody is on several snapshots"
    );
    let survey = support::read_table(&extract.path, "tellus_survey");
    let all_blank: usize = survey
        .iter()
        .map(|b| {
            let cols = ["drunk_2plus_4wk", "drugs_2plus_4wk", "volatile_2plus_4wk"]
                .map(|c| b.column_by_name(c).unwrap().clone());
            (0..b.num_rows())
                .filter(|i| cols.iter().all(|c| c.is_null(*i)))
                .count()
        })
        .sum();
    assert!(all_blank > 0, "no respondent left every answer blank");
}
