//! The contract's tables: their Arrow schemas, the compact rows the
//! generator builds, and the conversion of a run of rows to a record batch.

use std::sync::Arc;

use arrow::array::{
    ArrayRef, BooleanArray, Date32Array, Float64Array, Int64Array, RecordBatch, StringArray,
};
use arrow::error::ArrowError;

use super::areas::Area;
use super::calendar::Day;
use super::features::AreaFeatures;
use super::offending::{OffenceGroup, Supervision};
pub use crate::contract::{TABLES, table_schema};

/// A row type of one table.
pub(crate) trait TableRow: Sized + Send + 'static {
    /// The table name.
    const NAME: &'static str;

    /// Builds a batch from `rows`; `first_id` is the id of the first row
    /// for tables whose id is the row's position in the table.
    fn to_batch(rows: &[Self], first_id: i64, areas: &[Area]) -> Result<RecordBatch, ArrowError>;

    /// Reorders a part's rows before writing (offences: by date).
    fn sort_part(_rows: &mut [Self]) {}
}

/// Builds a batch with the table's schema.
fn batch(table: &'static str, columns: Vec<ArrayRef>) -> Result<RecordBatch, ArrowError> {
    let schema = table_schema(table)
        .ok_or_else(|| ArrowError::SchemaError(format!("no schema for table {table}")))?;
    RecordBatch::try_new(schema, columns)
}

fn ids(n: usize, first: i64) -> ArrayRef {
    Arc::new(Int64Array::from_iter_values(
        (0..n as i64).map(|i| first + i),
    ))
}

fn la_codes<'a>(areas: &'a [Area], codes: impl Iterator<Item = u16> + 'a) -> ArrayRef {
    Arc::new(StringArray::from_iter_values(codes.map(|i| {
        areas.get(usize::from(i)).map_or("", |a| a.la_code.as_str())
    })))
}

fn days(values: impl Iterator<Item = Day>) -> ArrayRef {
    Arc::new(Date32Array::from_iter_values(values))
}

fn strs(values: impl Iterator<Item = &'static str>) -> ArrayRef {
    Arc::new(StringArray::from_iter_values(values))
}

fn int64(values: impl Iterator<Item = i64>) -> ArrayRef {
    Arc::new(Int64Array::from_iter_values(values))
}

fn float64(values: impl Iterator<Item = f64>) -> ArrayRef {
    Arc::new(Float64Array::from_iter_values(values))
}

/// Builds the `areas` table.
pub(crate) fn areas_batch(
    areas: &[Area],
    features: &[AreaFeatures],
) -> Result<RecordBatch, ArrowError> {
    let number = |f: fn(&AreaFeatures) -> f64| float64(features.iter().map(f));
    let text = |f: fn(&Area) -> &str| -> ArrayRef {
        Arc::new(StringArray::from_iter_values(areas.iter().map(f)))
    };
    batch(
        "areas",
        vec![
            text(|a| &a.la_code),
            text(|a| &a.la_name),
            text(|a| &a.region_code),
            text(|a| &a.region_name),
            text(|a| &a.probation_area),
            int64(areas.iter().map(|a| a.population)),
            int64(areas.iter().map(|a| a.population_18plus)),
            int64(areas.iter().map(|a| a.population_10_17)),
            number(|f| f.imd_score),
            number(|f| f.population_density),
            number(|f| f.prop_aged_18_24),
            number(|f| f.prop_social_housing),
            number(|f| f.prop_single_person),
            Arc::new(StringArray::from_iter_values(
                features.iter().map(|f| f.urban_rural),
            )),
        ],
    )
}

/// One proven offence.
#[derive(Debug, Clone, Copy)]
pub(crate) struct OffenceRow {
    pub person_id: i64,
    pub offence_date: Day,
    pub disposal_date: Day,
    pub group: OffenceGroup,
    pub la: u16,
}

impl TableRow for OffenceRow {
    const NAME: &'static str = "offences";

    fn to_batch(rows: &[Self], _: i64, areas: &[Area]) -> Result<RecordBatch, ArrowError> {
        batch(
            Self::NAME,
            vec![
                int64(rows.iter().map(|r| r.person_id)),
                days(rows.iter().map(|r| r.offence_date)),
                days(rows.iter().map(|r| r.disposal_date)),
                strs(rows.iter().map(|r| r.group.as_str())),
                la_codes(areas, rows.iter().map(|r| r.la)),
            ],
        )
    }

    fn sort_part(rows: &mut [Self]) {
        rows.sort_unstable_by_key(|r| (r.offence_date, r.person_id, r.disposal_date));
    }
}

/// A DIP test result.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum DipResult {
    Opiates,
    Cocaine,
    Both,
    Negative,
}

impl DipResult {
    fn as_str(self) -> &'static str {
        match self {
            DipResult::Opiates => "opiates",
            DipResult::Cocaine => "cocaine",
            DipResult::Both => "both",
            DipResult::Negative => "negative",
        }
    }
}

/// One DIP test on arrest; `test_id` is its position in the table.
#[derive(Debug, Clone, Copy)]
pub(crate) struct DipTestRow {
    pub person_id: i64,
    pub test_date: Day,
    pub la: u16,
    pub result: DipResult,
    pub predicted: Option<f64>,
}

impl TableRow for DipTestRow {
    const NAME: &'static str = "dip_tests";

    fn to_batch(rows: &[Self], first_id: i64, areas: &[Area]) -> Result<RecordBatch, ArrowError> {
        batch(
            Self::NAME,
            vec![
                ids(rows.len(), first_id),
                int64(rows.iter().map(|r| r.person_id)),
                days(rows.iter().map(|r| r.test_date)),
                la_codes(areas, rows.iter().map(|r| r.la)),
                strs(rows.iter().map(|r| r.result.as_str())),
                Arc::new(rows.iter().map(|r| r.predicted).collect::<Float64Array>()),
            ],
        )
    }
}

/// One person on one quarter's probation caseload snapshot.
#[derive(Debug, Clone, Copy)]
pub(crate) struct CaseloadRow {
    pub snapshot: Day,
    pub person_id: i64,
    pub la: u16,
    pub order: Supervision,
    pub predicted: f64,
}

impl TableRow for CaseloadRow {
    const NAME: &'static str = "probation_caseload";

    fn to_batch(rows: &[Self], _: i64, areas: &[Area]) -> Result<RecordBatch, ArrowError> {
        batch(
            Self::NAME,
            vec![
                days(rows.iter().map(|r| r.snapshot)),
                int64(rows.iter().map(|r| r.person_id)),
                la_codes(areas, rows.iter().map(|r| r.la)),
                strs(rows.iter().map(|r| r.order.as_str())),
                float64(rows.iter().map(|r| r.predicted)),
            ],
        )
    }
}

/// One member of one PPO cohort.
#[derive(Debug, Clone, Copy)]
pub(crate) struct PpoRow {
    pub person_id: i64,
    pub la: u16,
    pub cohort_date: Day,
}

impl TableRow for PpoRow {
    const NAME: &'static str = "ppo_cohort";

    fn to_batch(rows: &[Self], _: i64, areas: &[Area]) -> Result<RecordBatch, ArrowError> {
        batch(
            Self::NAME,
            vec![
                int64(rows.iter().map(|r| r.person_id)),
                la_codes(areas, rows.iter().map(|r| r.la)),
                days(rows.iter().map(|r| r.cohort_date)),
            ],
        )
    }
}

/// One member of a proven re-offending cohort.
#[derive(Debug, Clone, Copy)]
pub(crate) struct CohortRow {
    pub person_id: i64,
    pub cohort_start: Day,
    pub juvenile: bool,
    pub disposal: &'static str,
    pub la: u16,
    pub predicted: f64,
}

impl TableRow for CohortRow {
    const NAME: &'static str = "reoffending_cohort";

    fn to_batch(rows: &[Self], _: i64, areas: &[Area]) -> Result<RecordBatch, ArrowError> {
        batch(
            Self::NAME,
            vec![
                int64(rows.iter().map(|r| r.person_id)),
                days(rows.iter().map(|r| r.cohort_start)),
                strs(
                    rows.iter()
                        .map(|r| if r.juvenile { "juvenile" } else { "adult" }),
                ),
                strs(rows.iter().map(|r| r.disposal)),
                la_codes(areas, rows.iter().map(|r| r.la)),
                float64(rows.iter().map(|r| r.predicted)),
            ],
        )
    }
}

/// One police recorded crime; `crime_id` is its position in the table.
#[derive(Debug, Clone, Copy)]
pub(crate) struct CrimeRow {
    pub la: u16,
    pub recorded: Day,
    pub crime_type: &'static str,
}

impl TableRow for CrimeRow {
    const NAME: &'static str = "recorded_crime";

    fn to_batch(rows: &[Self], first_id: i64, areas: &[Area]) -> Result<RecordBatch, ArrowError> {
        batch(
            Self::NAME,
            vec![
                ids(rows.len(), first_id),
                la_codes(areas, rows.iter().map(|r| r.la)),
                days(rows.iter().map(|r| r.recorded)),
                strs(rows.iter().map(|r| r.crime_type)),
            ],
        )
    }
}

/// One treatment episode; `episode_id` is its position in the table.
#[derive(Debug, Clone, Copy)]
pub(crate) struct EpisodeRow {
    pub client_id: i64,
    pub la: u16,
    pub age: i64,
    pub triage: Day,
    pub discharge: Option<Day>,
    pub reason: Option<&'static str>,
}

impl TableRow for EpisodeRow {
    const NAME: &'static str = "treatment_episodes";

    fn to_batch(rows: &[Self], first_id: i64, areas: &[Area]) -> Result<RecordBatch, ArrowError> {
        batch(
            Self::NAME,
            vec![
                ids(rows.len(), first_id),
                int64(rows.iter().map(|r| r.client_id)),
                la_codes(areas, rows.iter().map(|r| r.la)),
                int64(rows.iter().map(|r| r.age)),
                days(rows.iter().map(|r| r.triage)),
                Arc::new(rows.iter().map(|r| r.discharge).collect::<Date32Array>()),
                Arc::new(rows.iter().map(|r| r.reason).collect::<StringArray>()),
            ],
        )
    }
}

/// One TellUs respondent; `respondent_id` is its position in the table.
#[derive(Debug, Clone, Copy)]
pub(crate) struct RespondentRow {
    pub la: u16,
    pub survey_year: i64,
    pub school_year: i64,
    pub weight: f64,
    pub drunk: Option<bool>,
    pub drugs: Option<bool>,
    pub volatile: Option<bool>,
}

impl TableRow for RespondentRow {
    const NAME: &'static str = "tellus_survey";

    fn to_batch(rows: &[Self], first_id: i64, areas: &[Area]) -> Result<RecordBatch, ArrowError> {
        let answers = |f: fn(&Self) -> Option<bool>| -> ArrayRef {
            Arc::new(rows.iter().map(f).collect::<BooleanArray>())
        };
        batch(
            Self::NAME,
            vec![
                ids(rows.len(), first_id),
                la_codes(areas, rows.iter().map(|r| r.la)),
                int64(rows.iter().map(|r| r.survey_year)),
                int64(rows.iter().map(|r| r.school_year)),
                float64(rows.iter().map(|r| r.weight)),
                answers(|r| r.drunk),
                answers(|r| r.drugs),
                answers(|r| r.volatile),
            ],
        )
    }
}

/// One prison mandatory drug test; `test_id` is its position in the table.
#[derive(Debug, Clone)]
pub(crate) struct MdtRow {
    pub person_id: i64,
    pub prison: String,
    pub la: u16,
    pub test_date: Day,
    pub test_type: &'static str,
    pub result: &'static str,
    pub drug: Option<&'static str>,
}

impl TableRow for MdtRow {
    const NAME: &'static str = "prison_mdt";

    fn to_batch(rows: &[Self], first_id: i64, areas: &[Area]) -> Result<RecordBatch, ArrowError> {
        batch(
            Self::NAME,
            vec![
                ids(rows.len(), first_id),
                int64(rows.iter().map(|r| r.person_id)),
                Arc::new(StringArray::from_iter_values(
                    rows.iter().map(|r| r.prison.as_str()),
                )),
                la_codes(areas, rows.iter().map(|r| r.la)),
                days(rows.iter().map(|r| r.test_date)),
                strs(rows.iter().map(|r| r.test_type)),
                strs(rows.iter().map(|r| r.result)),
                Arc::new(rows.iter().map(|r| r.drug).collect::<StringArray>()),
            ],
        )
    }
}

/// One probation order; `order_id` is its position in the table.
#[derive(Debug, Clone, Copy)]
pub(crate) struct OrderRow {
    pub person_id: i64,
    pub la: u16,
    pub order_type: &'static str,
    pub start: Day,
    pub drr: bool,
    pub termination: Option<Day>,
    pub reason: Option<&'static str>,
    pub accommodation: Option<&'static str>,
    pub employment: Option<&'static str>,
}

impl TableRow for OrderRow {
    const NAME: &'static str = "probation_orders";

    fn to_batch(rows: &[Self], first_id: i64, areas: &[Area]) -> Result<RecordBatch, ArrowError> {
        let text = |f: fn(&Self) -> Option<&'static str>| -> ArrayRef {
            Arc::new(rows.iter().map(f).collect::<StringArray>())
        };
        batch(
            Self::NAME,
            vec![
                ids(rows.len(), first_id),
                int64(rows.iter().map(|r| r.person_id)),
                la_codes(areas, rows.iter().map(|r| r.la)),
                strs(rows.iter().map(|r| r.order_type)),
                days(rows.iter().map(|r| r.start)),
                Arc::new(rows.iter().map(|r| Some(r.drr)).collect::<BooleanArray>()),
                Arc::new(rows.iter().map(|r| r.termination).collect::<Date32Array>()),
                text(|r| r.reason),
                text(|r| r.accommodation),
                text(|r| r.employment),
            ],
        )
    }
}

/// One Place Survey respondent; `respondent_id` is its position in the table.
#[derive(Debug, Clone, Copy)]
pub(crate) struct PlaceRow {
    pub la: u16,
    pub survey_year: i64,
    pub weight: f64,
    pub drug_problem: Option<&'static str>,
}

impl TableRow for PlaceRow {
    const NAME: &'static str = "place_survey";

    fn to_batch(rows: &[Self], first_id: i64, areas: &[Area]) -> Result<RecordBatch, ArrowError> {
        batch(
            Self::NAME,
            vec![
                ids(rows.len(), first_id),
                la_codes(areas, rows.iter().map(|r| r.la)),
                int64(rows.iter().map(|r| r.survey_year)),
                float64(rows.iter().map(|r| r.weight)),
                Arc::new(rows.iter().map(|r| r.drug_problem).collect::<StringArray>()),
            ],
        )
    }
}

/// One young person received into custody.
#[derive(Debug, Clone)]
pub(crate) struct YpsmsRow {
    pub person_id: i64,
    pub establishment: String,
    pub la: u16,
    pub male: bool,
    pub reception: Day,
    pub assessment: Option<Day>,
    pub care_plan: Option<Day>,
    pub engaged: bool,
    pub detox: bool,
}

impl TableRow for YpsmsRow {
    const NAME: &'static str = "ypsms_custody";

    fn to_batch(rows: &[Self], _: i64, areas: &[Area]) -> Result<RecordBatch, ArrowError> {
        let flags = |f: fn(&Self) -> bool| -> ArrayRef {
            Arc::new(rows.iter().map(|r| Some(f(r))).collect::<BooleanArray>())
        };
        batch(
            Self::NAME,
            vec![
                int64(rows.iter().map(|r| r.person_id)),
                Arc::new(StringArray::from_iter_values(
                    rows.iter().map(|r| r.establishment.as_str()),
                )),
                la_codes(areas, rows.iter().map(|r| r.la)),
                strs(rows.iter().map(|r| if r.male { "male" } else { "female" })),
                days(rows.iter().map(|r| r.reception)),
                Arc::new(rows.iter().map(|r| r.assessment).collect::<Date32Array>()),
                Arc::new(rows.iter().map(|r| r.care_plan).collect::<Date32Array>()),
                flags(|r| r.engaged),
                flags(|r| r.detox),
            ],
        )
    }
}

/// One bank holiday.
#[derive(Debug, Clone, Copy)]
pub(crate) struct HolidayRow(pub Day);

impl TableRow for HolidayRow {
    const NAME: &'static str = "bank_holidays";

    fn to_batch(rows: &[Self], _: i64, _: &[Area]) -> Result<RecordBatch, ArrowError> {
        batch(Self::NAME, vec![days(rows.iter().map(|r| r.0))])
    }
}
