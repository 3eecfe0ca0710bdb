//! The serde types of the indicator language. `indicators/README.md` is the
//! reference a user reads; the JSON Schema is generated from these types.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::period::Grain;

/// One indicator definition: one YAML file in `indicators/`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct IndicatorDef {
    /// Identifier used on the command line and in results, e.g. `NI38`.
    pub id: String,
    /// Title shown in packs.
    pub title: String,
    /// The PSA this indicator reports to, e.g. `PSA25` (optional).
    #[serde(default)]
    pub psa: Option<String>,
    /// Whether a lower or a higher value is better.
    pub polarity: Polarity,
    /// Units of the value, shown on axes and tables, e.g. `per 1,000 population`.
    pub units: String,
    /// Decimal places for display.
    #[serde(default = "default_decimals")]
    pub decimals: u8,
    /// Text for the pack's appendix: meaning, method, simplifications.
    pub description: String,
    /// Grains the indicator is reported at (at least one).
    pub grains: Vec<Grain>,
    /// Baseline period label, e.g. `2007-08` or `2007-08 Q4`.
    #[serde(default)]
    pub baseline: Option<String>,
    /// The national target, if any.
    #[serde(default)]
    pub target: Option<TargetDef>,
    /// Counts (unweighted) from 1 to `disclosure_threshold - 1` are suppressed in LA rows.
    #[serde(default = "default_threshold")]
    pub disclosure_threshold: u64,
    /// Named sources: a table of the extract and its column mapping.
    pub sources: BTreeMap<String, SourceDef>,
    /// The cohort: the unit rows counted for each area and period.
    pub cohort: CohortDef,
    /// Named event sets joined to the cohort on the person key.
    #[serde(default)]
    pub events: BTreeMap<String, EventsDef>,
    /// Named measures aggregated per area and period.
    pub measures: BTreeMap<String, MeasureDef>,
    /// How the value is computed from the measures.
    pub value: ValueDef,
    /// Confidence interval method (defaults by value kind).
    #[serde(default)]
    pub interval: Option<IntervalDef>,
    /// Significance test against baseline or expected (defaults by value kind).
    #[serde(default)]
    pub significance: Option<SignificanceKind>,
    /// How change on baseline is expressed.
    #[serde(default)]
    pub change: ChangeKind,
    /// The working-day calendar read by `working_days(a, b)` in expressions.
    #[serde(default)]
    pub calendar: Option<CalendarDef>,
}

/// A table of non-working days (bank holidays): working days are Monday to
/// Friday except its dates.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CalendarDef {
    /// Table of the extract: `NAME.parquet` or a directory `NAME/`.
    pub table: String,
    /// Its Date32 column of holiday dates.
    #[serde(default = "default_calendar_date")]
    pub date: String,
}

fn default_calendar_date() -> String {
    "date".to_string()
}

fn default_decimals() -> u8 {
    1
}

fn default_threshold() -> u64 {
    5
}

/// Whether lower or higher values are better.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Polarity {
    /// Lower values are better (offending, crime).
    LowerIsBetter,
    /// Higher values are better (treatment).
    HigherIsBetter,
}

/// A table of the extract and how its columns are named there.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SourceDef {
    /// Table name: `NAME.parquet` or a directory `NAME/` of part files in the data directory.
    pub table: String,
    /// Column mapping: name used in this definition -> column name in the extract.
    /// Columns not listed keep their own names.
    #[serde(default)]
    pub columns: BTreeMap<String, String>,
}

/// The cohort: rows of one source that belong to an area and a period.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CohortDef {
    /// Source name (a key of `sources`).
    pub source: String,
    /// Person key column, joined to event sources.
    #[serde(default)]
    pub person: Option<String>,
    /// Date column that places a row in a period (Date32).
    #[serde(default)]
    pub date: Option<String>,
    /// Integer calendar-year column, instead of `date`, for `calendar_year` grains.
    #[serde(default)]
    pub year: Option<String>,
    /// Area (local authority code) column.
    pub area: String,
    /// Membership by overlap: a row belongs to every period it overlaps,
    /// from `date` until this column (null: still open).
    #[serde(default)]
    pub until: Option<String>,
    /// Membership by observation: a row belongs to every period ending at
    /// least this many days after `date` (a fixed cohort observed for a full year).
    #[serde(default)]
    pub observed_days: Option<u32>,
    /// Row filter, an SQL expression over the source's columns; may use
    /// `period_start` and `period_end`.
    #[serde(default)]
    pub filter: Option<String>,
    /// Keep only one row per person and period.
    #[serde(default)]
    pub first_per_person: Option<FirstPerPerson>,
}

/// Keep the first row per person and period in the given order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct FirstPerPerson {
    /// Sort keys, each `column` or `column desc`; the first row is kept.
    pub order_by: Vec<String>,
}

/// Events of a source joined to cohort members inside a window.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct EventsDef {
    /// Source name (a key of `sources`).
    pub source: String,
    /// Person key column in the event source.
    pub person: String,
    /// Event date column tested against the window.
    pub date: String,
    /// The window relative to an anchor.
    pub window: WindowDef,
    /// The event must also be proven by the end of the window plus a waiting period.
    #[serde(default)]
    pub proven: Option<ProvenDef>,
    /// Event filter, an SQL expression over the event source's columns.
    #[serde(default)]
    pub filter: Option<String>,
}

/// A window of whole days. Exactly one of `after`, `before`, `ending`.
/// `after: A` is `A < date <= A + days`; `before: A` is
/// `A - days <= date < A`; `ending: A` is `A - days < date <= A`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct WindowDef {
    /// Window opens just after the anchor.
    #[serde(default)]
    pub after: Option<Anchor>,
    /// Window closes just before the anchor.
    #[serde(default)]
    pub before: Option<Anchor>,
    /// Window closes at the anchor, inclusive.
    #[serde(default)]
    pub ending: Option<Anchor>,
    /// Length in days (6 months = 182, 3 months = 91, 12 months = 365).
    pub days: u32,
}

/// The date a window is measured from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Anchor {
    /// The cohort row's date.
    CohortDate,
    /// The first day of the period.
    PeriodStart,
    /// The last day of the period.
    PeriodEnd,
}

/// Proof requirement: `date <= window end + waiting_days`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ProvenDef {
    /// Column holding the date the event was proven (Date32).
    pub date: String,
    /// Waiting period after the window, in days.
    pub waiting_days: u32,
}

/// One measure. Exactly one of `count`, `sum`, `events`, `members_with`, `area_attribute`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct MeasureDef {
    /// Count cohort rows (`count: cohort`).
    #[serde(default)]
    pub count: Option<CountOf>,
    /// Sum a cohort column (e.g. a weight or a predicted count).
    #[serde(default)]
    pub sum: Option<String>,
    /// Count the events of an event set for the cohort.
    #[serde(default)]
    pub events: Option<String>,
    /// Count cohort rows with at least one event of an event set.
    #[serde(default)]
    pub members_with: Option<String>,
    /// An attribute of the area (a column of the geography table), e.g. `population`.
    #[serde(default)]
    pub area_attribute: Option<String>,
    /// Only cohort rows where this SQL expression is true (for `count` and `sum`).
    #[serde(default, rename = "where")]
    pub where_: Option<String>,
}

/// What `count` counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum CountOf {
    /// Cohort rows.
    Cohort,
}

/// How the value is computed from named measures.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ValueDef {
    /// The formula.
    pub kind: ValueKind,
    /// Numerator measure.
    pub numerator: String,
    /// Denominator measure (all kinds but `count` and `excess_percent`).
    #[serde(default)]
    pub denominator: Option<String>,
    /// Model-predicted count measure, reported as `expected`.
    #[serde(default)]
    pub expected: Option<String>,
    /// Multiplier for `rate`, e.g. 1000 for "per 1,000".
    #[serde(default)]
    pub per: Option<f64>,
}

/// Value formulas.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ValueKind {
    /// value = numerator.
    Count,
    /// value = numerator / denominator (e.g. actual / predicted).
    Ratio,
    /// value = per x numerator / denominator.
    Rate,
    /// value = 100 x numerator / denominator.
    Percentage,
    /// value = 100 x (numerator - expected) / expected.
    ExcessPercent,
    /// value = 100 x (numerator - denominator) / denominator.
    PercentChange,
}

/// Confidence interval settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct IntervalDef {
    /// Method family.
    pub method: IntervalMethod,
    /// Weight column (Wilson with Kish effective sample size).
    #[serde(default)]
    pub weight: Option<String>,
    /// Main confidence level (default 0.95); 0.998 is always reported too.
    #[serde(default)]
    pub level: Option<f64>,
}

/// Interval methods.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum IntervalMethod {
    /// Exact Poisson below 10 events, Byar's from 10, on the numerator.
    Poisson,
    /// Wilson score interval for a proportion.
    Wilson,
    /// No interval.
    None,
}

/// Significance tests.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum SignificanceKind {
    /// Numerator against a binomial with p = expected / denominator.
    BinomialExpected,
    /// Conditional binomial test of two Poisson counts (with exposures).
    PoissonCounts,
    /// Two proportions (chi-square).
    Proportions,
}

/// How change on baseline is expressed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ChangeKind {
    /// latest - baseline, in the value's units.
    #[default]
    Difference,
    /// 100 x (latest - baseline) / baseline.
    Percent,
}

/// A target: a value to reach by a date (`by_date`, the default: a
/// reduction or an increase on baseline, or an absolute value), or a
/// change every year against the year before (`fall_year_on_year`,
/// `rise_year_on_year`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TargetDef {
    /// What kind of target this is.
    #[serde(default)]
    pub kind: TargetKind,
    /// Period by which a `by_date` target is to be met, e.g. `2010-11`.
    #[serde(default)]
    pub period: Option<String>,
    /// Target as a % change on baseline, e.g. -10.
    #[serde(default)]
    pub change_percent: Option<f64>,
    /// Target as an absolute value.
    #[serde(default)]
    pub value: Option<f64>,
}

/// The kinds of target the language declares.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum TargetKind {
    /// Reach `value`, or `change_percent` on baseline, by `period`; judged
    /// against the straight-line trajectory from baseline (national rows).
    #[default]
    ByDate,
    /// Each year lower than the year before: `met` when a year's value is
    /// below the previous year's, `not met` otherwise (every area level).
    FallYearOnYear,
    /// Each year higher than the year before.
    RiseYearOnYear,
}

/// A PSA: a group of indicators assessed together (`indicators/psa.yaml`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PsaDef {
    /// Identifier, e.g. `PSA23`.
    pub id: String,
    /// Title, e.g. `Make communities safer`.
    pub title: String,
    /// The indicator ids assessed for it.
    pub indicators: Vec<String>,
}

/// How the geography lookup table is named (`indicators/geography.yaml`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct GeographyDef {
    /// Table name in the data directory.
    #[serde(default = "default_areas_table")]
    pub table: String,
    /// Column holding the LA code.
    #[serde(default = "d_la_code")]
    pub code: String,
    /// Column holding the LA name.
    #[serde(default = "d_la_name")]
    pub name: String,
    /// Column holding the region code.
    #[serde(default = "d_region_code")]
    pub region_code: String,
    /// Column holding the region name.
    #[serde(default = "d_region_name")]
    pub region_name: String,
}

impl Default for GeographyDef {
    fn default() -> Self {
        GeographyDef {
            table: default_areas_table(),
            code: d_la_code(),
            name: d_la_name(),
            region_code: d_region_code(),
            region_name: d_region_name(),
        }
    }
}

fn default_areas_table() -> String {
    "areas".into()
}
fn d_la_code() -> String {
    "la_code".into()
}
fn d_la_name() -> String {
    "la_name".into()
}
fn d_region_code() -> String {
    "region_code".into()
}
fn d_region_name() -> String {
    "region_name".into()
}
