//! The data contract (`spec/data-contract.md`): the canonical tables and
//! the Arrow type of each of their columns. The generator writes these
//! schemas, and the extract reader checks every table it opens whose name
//! is a contract table against them ([`conforms`]), so that a column of the
//! wrong type (a person id written as a float, a flag as text) is refused
//! when the table is opened, naming table and column, not met later as an
//! engine error or as figures that quietly mean something else.

use std::sync::Arc;

use arrow::datatypes::{DataType, Field, Schema, SchemaRef};

/// The table names of the data contract, in its order.
pub const TABLES: [&str; 14] = [
    "areas",
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
    "bank_holidays",
];

/// The Arrow schema of a contract table, or `None` for an unknown name.
// Long on purpose: one flat case per table of `data-contract.md`, read
// side by side with it; split up, the contract would be harder to check.
pub fn table_schema(table: &str) -> Option<SchemaRef> {
    use DataType::{Boolean, Date32, Float64, Int64, Utf8};
    let f = |name: &str, t: DataType| Field::new(name, t, false);
    let n = |name: &str, t: DataType| Field::new(name, t, true);
    let fields = match table {
        "areas" => vec![
            f("la_code", Utf8),
            f("la_name", Utf8),
            f("region_code", Utf8),
            f("region_name", Utf8),
            f("probation_area", Utf8),
            f("population", Int64),
            f("population_18plus", Int64),
            f("population_10_17", Int64),
            f("imd_score", Float64),
            f("population_density", Float64),
            f("prop_aged_18_24", Float64),
            f("prop_social_housing", Float64),
            f("prop_single_person", Float64),
            f("urban_rural", Utf8),
        ],
        "offences" => vec![
            f("person_id", Int64),
            f("offence_date", Date32),
            f("disposal_date", Date32),
            f("offence_group", Utf8),
            f("la_code", Utf8),
        ],
        "recorded_crime" => vec![
            f("crime_id", Int64),
            f("la_code", Utf8),
            f("recorded_date", Date32),
            f("crime_type", Utf8),
        ],
        "dip_tests" => vec![
            f("test_id", Int64),
            f("person_id", Int64),
            f("test_date", Date32),
            f("la_code", Utf8),
            f("result", Utf8),
            n("predicted_offences_1y", Float64),
        ],
        "probation_caseload" => vec![
            f("snapshot_date", Date32),
            f("person_id", Int64),
            f("la_code", Utf8),
            f("order_type", Utf8),
            f("predicted_reoffend_3m", Float64),
        ],
        "ppo_cohort" => vec![
            f("person_id", Int64),
            f("la_code", Utf8),
            f("cohort_date", Date32),
        ],
        "treatment_episodes" => vec![
            f("episode_id", Int64),
            f("client_id", Int64),
            f("la_code", Utf8),
            f("age_at_triage", Int64),
            f("triage_date", Date32),
            n("discharge_date", Date32),
            n("discharge_reason", Utf8),
        ],
        "tellus_survey" => vec![
            f("respondent_id", Int64),
            f("la_code", Utf8),
            f("survey_year", Int64),
            f("school_year", Int64),
            f("weight", Float64),
            n("drunk_2plus_4wk", Boolean),
            n("drugs_2plus_4wk", Boolean),
            n("volatile_2plus_4wk", Boolean),
        ],
        "reoffending_cohort" => vec![
            f("person_id", Int64),
            f("cohort_start", Date32),
            f("age_group", Utf8),
            f("disposal", Utf8),
            f("la_code", Utf8),
            f("predicted_reoffences_1y", Float64),
        ],
        "prison_mdt" => vec![
            f("test_id", Int64),
            f("person_id", Int64),
            f("prison_code", Utf8),
            f("la_code", Utf8),
            f("test_date", Date32),
            f("test_type", Utf8),
            f("result", Utf8),
            n("drug", Utf8),
        ],
        "probation_orders" => vec![
            f("order_id", Int64),
            f("person_id", Int64),
            f("la_code", Utf8),
            f("order_type", Utf8),
            f("start_date", Date32),
            f("drr", Boolean),
            n("termination_date", Date32),
            n("termination_reason", Utf8),
            n("accommodation_at_end", Utf8),
            n("employment_at_end", Utf8),
        ],
        "place_survey" => vec![
            f("respondent_id", Int64),
            f("la_code", Utf8),
            f("survey_year", Int64),
            f("weight", Float64),
            n("drug_problem", Utf8),
        ],
        "ypsms_custody" => vec![
            f("person_id", Int64),
            f("establishment_code", Utf8),
            f("la_code", Utf8),
            f("sex", Utf8),
            f("reception_date", Date32),
            n("assessment_date", Date32),
            n("care_plan_date", Date32),
            f("engaged", Boolean),
            f("detox", Boolean),
        ],
        "bank_holidays" => vec![f("date", Date32)],
        _ => return None,
    };
    Some(Arc::new(Schema::new(fields)))
}

/// The values a contract column may hold, where the contract bounds them
/// and a value outside would change figures in silence (a filter such as
/// `age_at_triage >= 18` drops an age of -40 without a word): `(least,
/// greatest, what the column holds)`.
pub fn plausible_range(table: &str, column: &str) -> Option<(f64, f64, &'static str)> {
    match (table, column) {
        ("treatment_episodes", "age_at_triage") => Some((0.0, 120.0, "an age in years")),
        ("tellus_survey", "school_year") => Some((6.0, 10.0, "a school year, 6, 8 or 10")),
        _ => None,
    }
}

/// Whether a column of type `found` holds what the contract's `expected`
/// type holds, without loss: the same type, a narrower integer for an
/// Int64, any integer or float for a Float64, and any string encoding for a
/// Utf8. A float for an Int64 (ids lose digits past 2^53), text for a
/// number, flag or date, and a timestamp for a date do not conform.
pub fn conforms(found: &DataType, expected: &DataType) -> bool {
    use DataType::*;
    let text = |t: &DataType| match t {
        Utf8 | LargeUtf8 | Utf8View => true,
        Dictionary(_, v) => matches!(v.as_ref(), Utf8 | LargeUtf8 | Utf8View),
        _ => false,
    };
    match expected {
        Int64 => matches!(
            found,
            Int8 | Int16 | Int32 | Int64 | UInt8 | UInt16 | UInt32
        ),
        Float64 => found.is_integer() || found.is_floating(),
        Utf8 => text(found),
        other => found == other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_contract_table_has_a_schema() {
        for t in TABLES {
            assert!(table_schema(t).is_some(), "{t}");
        }
        assert!(table_schema("no_such_table").is_none());
    }

    #[test]
    fn conformance_is_lossless_widening_only() {
        use DataType::*;
        assert!(conforms(&Int32, &Int64));
        assert!(conforms(&UInt32, &Int64));
        assert!(!conforms(&UInt64, &Int64));
        assert!(!conforms(&Float64, &Int64));
        assert!(!conforms(&Utf8, &Int64));
        assert!(conforms(&Int64, &Float64));
        assert!(conforms(&Float32, &Float64));
        assert!(!conforms(&Utf8, &Float64));
        assert!(conforms(&Utf8View, &Utf8));
        assert!(conforms(
            &Dictionary(Box::new(Int32), Box::new(Utf8)),
            &Utf8
        ));
        assert!(!conforms(&Int64, &Utf8));
        assert!(!conforms(&Utf8, &Boolean));
        assert!(conforms(&Boolean, &Boolean));
        assert!(!conforms(&Date64, &Date32));
    }
}
