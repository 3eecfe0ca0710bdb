//! The same seed and scale give byte-identical files whatever the thread
//! count; another seed gives other data.

#[path = "generate_support.rs"]
mod support;

use pireport::generate::{GenerateOptions, generate};
use support::{file_bytes, generate_into, ints, small, strings};

#[test]
fn same_seed_gives_identical_bytes() {
    let first = small();
    let second = generate_into(0.002, 11);
    let a = file_bytes(&first.path);
    let b = file_bytes(&second.path);
    assert_eq!(a.keys().collect::<Vec<_>>(), b.keys().collect::<Vec<_>>());
    assert!(a.len() >= 10, "{} files", a.len());
    for (name, bytes) in &a {
        assert!(bytes == &b[name], "{name} differs between runs");
    }
}

#[test]
fn thread_count_does_not_change_the_bytes() {
    let first = small();
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("one-thread");
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .build()
        .unwrap();
    pool.install(|| generate(&GenerateOptions::new(0.002, 11, &out)))
        .unwrap();
    let a = file_bytes(&first.path);
    let b = file_bytes(&out);
    assert_eq!(a.len(), b.len());
    for (name, bytes) in &a {
        assert!(bytes == &b[name], "{name} differs with one thread");
    }
}

#[test]
fn another_seed_gives_other_data() {
    let first = small();
    let other = generate_into(0.002, 12);
    let a = file_bytes(&first.path);
    let b = file_bytes(&other.path);
    for table in [
        "offences",
        "recorded_crime",
        "dip_tests",
        "probation_caseload",
        "treatment_episodes",
        "tellus_survey",
        "reoffending_cohort",
    ] {
        let name = format!("{table}.parquet");
        assert!(
            a[&name] != b[&name],
            "{table} is the same under another seed"
        );
    }
    // the geography and populations do not depend on the seed; the peer-group
    // characteristics are drawn with the areas' effects, so they do
    for column in [
        "la_code",
        "la_name",
        "region_code",
        "region_name",
        "probation_area",
    ] {
        assert_eq!(
            strings(&first.path, "areas", column),
            strings(&other.path, "areas", column),
            "areas.{column} depends on the seed"
        );
    }
    for column in ["population", "population_18plus", "population_10_17"] {
        assert_eq!(
            ints(&first.path, "areas", column),
            ints(&other.path, "areas", column),
            "areas.{column} depends on the seed"
        );
    }
    assert!(
        a["areas.parquet"] != b["areas.parquet"],
        "the areas' characteristics follow the seed"
    );
}
