//! The generated tables have the data contract's columns, Arrow types and
//! nullability, and the manifest describes the extract.

#[path = "generate_support.rs"]
mod support;

use arrow::array::{Array, AsArray};
use arrow::datatypes::DataType::{self, Boolean, Date32, Float64, Int64, Utf8};
use pireport::generate::TABLES;
use support::{dates, read_file, read_table, row_count, small, table_files};

/// The contract, written out by hand: (column, type, nullable).
fn contract(table: &str) -> Vec<(&'static str, DataType, bool)> {
    match table {
        "areas" => vec![
            ("la_code", Utf8, false),
            ("la_name", Utf8, false),
            ("region_code", Utf8, false),
            ("region_name", Utf8, false),
            ("probation_area", Utf8, false),
            ("population", Int64, false),
            ("population_18plus", Int64, false),
            ("population_10_17", Int64, false),
            ("imd_score", Float64, false),
            ("population_density", Float64, false),
            ("prop_aged_18_24", Float64, false),
            ("prop_social_housing", Float64, false),
            ("prop_single_person", Float64, false),
            ("urban_rural", Utf8, false),
        ],
        "offences" => vec![
            ("person_id", Int64, false),
            ("offence_date", Date32, false),
            ("disposal_date", Date32, false),
            ("offence_group", Utf8, false),
            ("la_code", Utf8, false),
        ],
        "recorded_crime" => vec![
            ("crime_id", Int64, false),
            ("la_code", Utf8, false),
            ("recorded_date", Date32, false),
            ("crime_type", Utf8, false),
        ],
        "dip_tests" => vec![
            ("test_id", Int64, false),
            ("person_id", Int64, false),
            ("test_date", Date32, false),
            ("la_code", Utf8, false),
            ("result", Utf8, false),
            ("predicted_offences_1y", Float64, true),
        ],
        "probation_caseload" => vec![
            ("snapshot_date", Date32, false),
            ("person_id", Int64, false),
            ("la_code", Utf8, false),
            ("order_type", Utf8, false),
            ("predicted_reoffend_3m", Float64, false),
        ],
        "ppo_cohort" => vec![
            ("person_id", Int64, false),
            ("la_code", Utf8, false),
            ("cohort_date", Date32, false),
        ],
        "treatment_episodes" => vec![
            ("episode_id", Int64, false),
            ("client_id", Int64, false),
            ("la_code", Utf8, false),
            ("age_at_triage", Int64, false),
            ("triage_date", Date32, false),
            ("discharge_date", Date32, true),
            ("discharge_reason", Utf8, true),
        ],
        "tellus_survey" => vec![
            ("respondent_id", Int64, false),
            ("la_code", Utf8, false),
            ("survey_year", Int64, false),
            ("school_year", Int64, false),
            ("weight", Float64, false),
            ("drunk_2plus_4wk", Boolean, true),
            ("drugs_2plus_4wk", Boolean, true),
            ("volatile_2plus_4wk", Boolean, true),
        ],
        "reoffending_cohort" => vec![
            ("person_id", Int64, false),
            ("cohort_start", Date32, false),
            ("age_group", Utf8, false),
            ("disposal", Utf8, false),
            ("la_code", Utf8, false),
            ("predicted_reoffences_1y", Float64, false),
        ],
        "prison_mdt" => vec![
            ("test_id", Int64, false),
            ("person_id", Int64, false),
            ("prison_code", Utf8, false),
            ("la_code", Utf8, false),
            ("test_date", Date32, false),
            ("test_type", Utf8, false),
            ("result", Utf8, false),
            ("drug", Utf8, true),
        ],
        "probation_orders" => vec![
            ("order_id", Int64, false),
            ("person_id", Int64, false),
            ("la_code", Utf8, false),
            ("order_type", Utf8, false),
            ("start_date", Date32, false),
            ("drr", Boolean, false),
            ("termination_date", Date32, true),
            ("termination_reason", Utf8, true),
            ("accommodation_at_end", Utf8, true),
            ("employment_at_end", Utf8, true),
        ],
        "place_survey" => vec![
            ("respondent_id", Int64, false),
            ("la_code", Utf8, false),
            ("survey_year", Int64, false),
            ("weight", Float64, false),
            ("drug_problem", Utf8, true),
        ],
        "ypsms_custody" => vec![
            ("person_id", Int64, false),
            ("establishment_code", Utf8, false),
            ("la_code", Utf8, false),
            ("sex", Utf8, false),
            ("reception_date", Date32, false),
            ("assessment_date", Date32, true),
            ("care_plan_date", Date32, true),
            ("engaged", Boolean, false),
            ("detox", Boolean, false),
        ],
        "bank_holidays" => vec![("date", Date32, false)],
        other => panic!("unknown table {other}"),
    }
}

#[test]
fn every_table_has_the_contract_schema() {
    let extract = small();
    assert_eq!(TABLES.len(), 14);
    for table in TABLES {
        let files = table_files(&extract.path, table);
        assert!(!files.is_empty(), "{table} has no files");
        for file in files {
            let (schema, _) = read_file(&file);
            let found: Vec<(String, DataType, bool)> = schema
                .fields()
                .iter()
                .map(|f| (f.name().clone(), f.data_type().clone(), f.is_nullable()))
                .collect();
            let expected: Vec<(String, DataType, bool)> = contract(table)
                .into_iter()
                .map(|(n, t, null)| (n.to_string(), t, null))
                .collect();
            assert_eq!(found, expected, "schema of {}", file.display());
        }
    }
}

#[test]
fn non_nullable_columns_hold_no_nulls() {
    let extract = small();
    for table in TABLES {
        for batch in read_table(&extract.path, table) {
            for (field, column) in batch.schema().fields().iter().zip(batch.columns()) {
                if !field.is_nullable() {
                    assert_eq!(column.null_count(), 0, "{table}.{}", field.name());
                }
            }
        }
    }
}

#[test]
fn the_manifest_names_the_extract_and_counts_rows() {
    let extract = small();
    let text = std::fs::read_to_string(extract.path.join("manifest.yaml")).unwrap();
    let m: serde_yaml::Value = serde_yaml::from_str(&text).unwrap();
    assert_eq!(m["extract_date"].as_str(), Some("2012-03-31"));
    assert_eq!(m["seed"].as_u64(), Some(11));
    assert_eq!(m["scale"].as_f64(), Some(0.002));
    assert_eq!(m["from"].as_str(), Some("2005-06"));
    assert_eq!(m["to"].as_str(), Some("2011-12"));
    assert_eq!(
        m["generator"].as_str(),
        Some(concat!("pireport ", env!("CARGO_PKG_VERSION")))
    );
    for table in TABLES {
        let rows = row_count(&extract.path, table);
        assert_eq!(m["tables"][table].as_u64(), Some(rows), "{table}");
    }
    let summary_total: u64 = extract.summary.tables.iter().map(|(_, n)| n).sum();
    assert_eq!(extract.summary.total_rows, summary_total);
    assert_eq!(extract.summary.tables.len(), TABLES.len());
    assert_eq!(extract.summary.extract_date.to_string(), "2012-03-31");
}

#[test]
fn offences_are_sorted_by_date_and_proven_after_they_were_committed() {
    let extract = small();
    for file in table_files(&extract.path, "offences") {
        let (_, batches) = read_file(&file);
        let committed: Vec<i32> = batches
            .iter()
            .flat_map(|b| {
                b.column_by_name("offence_date")
                    .unwrap()
                    .as_primitive::<arrow::datatypes::Date32Type>()
                    .values()
                    .to_vec()
            })
            .collect();
        assert!(
            committed.windows(2).all(|w| w[0] <= w[1]),
            "{} unsorted",
            file.display()
        );
    }
    let committed = dates(&extract.path, "offences", "offence_date");
    let proven = dates(&extract.path, "offences", "disposal_date");
    let extract_day = support::day(2012, 3, 31);
    assert!(committed.iter().zip(&proven).all(|(c, p)| c < p));
    assert!(proven.iter().all(|p| *p <= extract_day));
}

#[test]
fn predictions_are_null_exactly_for_negative_dip_tests() {
    let extract = small();
    let mut negatives = 0;
    for batch in read_table(&extract.path, "dip_tests") {
        let result = batch.column_by_name("result").unwrap().as_string::<i32>();
        let predicted = batch.column_by_name("predicted_offences_1y").unwrap();
        for i in 0..batch.num_rows() {
            let negative = result.value(i) == "negative";
            negatives += usize::from(negative);
            assert_eq!(
                predicted.is_null(i),
                negative,
                "row {i}: {}",
                result.value(i)
            );
        }
    }
    assert!(negatives > 0);
}
