//! Reading plan output into typed rows.

use std::collections::BTreeMap;

use datafusion::arrow::array::{Array, AsArray, RecordBatch};
use datafusion::arrow::datatypes::{Float64Type, Int64Type};
use datafusion::error::{DataFusionError, Result};

use crate::geography::AreaLevel;
use crate::period::{Grain, Period};
use crate::plan::{
    AREA_COLUMN, GRAIN_COLUMN, PERIOD_COLUMN, SUM_W2_COLUMN, measure_count_column,
    measure_value_column,
};
use crate::validate::ValidIndicator;

/// A measure's value and its unweighted count.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct MeasureValue {
    /// Sum, count or weighted sum.
    pub value: f64,
    /// Unweighted number of rows or events behind it.
    pub n: i64,
}

impl MeasureValue {
    /// Add another area's value.
    pub fn add(&mut self, o: &MeasureValue) {
        self.value += o.value;
        self.n += o.n;
    }
}

/// One LA row as the plan returns it.
#[derive(Debug, Clone, PartialEq)]
pub struct LaRow {
    /// The period, read back from the plan's grain and label columns.
    pub period: Period,
    /// LA code.
    pub area_code: String,
    /// Measures by name.
    pub measures: BTreeMap<String, MeasureValue>,
    /// Sum of squared weights, for weighted indicators.
    pub sum_w2: f64,
}

/// Measures of one indicator for one area and period, at any level.
#[derive(Debug, Clone, PartialEq)]
pub struct Aggregate {
    /// Indicator id.
    pub indicator: String,
    /// The period.
    pub period: Period,
    /// Area level.
    pub level: AreaLevel,
    /// Area code.
    pub area_code: String,
    /// Area name.
    pub area_name: String,
    /// Region of the area (its own code for a region; empty for national).
    pub region_code: String,
    /// Measures by name.
    pub measures: BTreeMap<String, MeasureValue>,
    /// Sum of squared weights.
    pub sum_w2: f64,
}

fn column<'a>(b: &'a RecordBatch, name: &str) -> Result<&'a dyn Array> {
    b.column_by_name(name)
        .map(|a| a.as_ref())
        .ok_or_else(|| DataFusionError::Internal(format!("plan output lacks column {name}")))
}

fn string_at(a: &dyn Array, i: usize) -> String {
    if a.is_null(i) {
        return String::new();
    }
    if let Some(s) = a.as_string_opt::<i32>() {
        return s.value(i).to_string();
    }
    if let Some(s) = a.as_string_view_opt() {
        return s.value(i).to_string();
    }
    if let Some(s) = a.as_string_opt::<i64>() {
        return s.value(i).to_string();
    }
    String::new()
}

/// The period of row `i` from its grain and label: the plan writes both
/// from the periods it was given, so a label that does not read back is a
/// bug, not a row to skip.
fn period_at(g: &dyn Array, p: &dyn Array, i: usize) -> Result<Period> {
    let (grain, label) = (string_at(g, i), string_at(p, i));
    Grain::ALL
        .into_iter()
        .find(|x| x.as_str() == grain)
        .and_then(|g| Period::parse_for(&label, g).ok())
        .ok_or_else(|| {
            DataFusionError::Internal(format!(
                "plan output has period `{label}` of grain `{grain}`, which is not a period"
            ))
        })
}

/// Convert record batches of an indicator plan into rows.
pub fn read_la_rows(ind: &ValidIndicator, batches: &[RecordBatch]) -> Result<Vec<LaRow>> {
    let mut out = Vec::new();
    let planned: Vec<&String> = ind
        .def
        .measures
        .iter()
        .filter(|(_, m)| m.area_attribute.is_none())
        .map(|(k, _)| k)
        .collect();
    for b in batches {
        let g = column(b, GRAIN_COLUMN)?;
        let p = column(b, PERIOD_COLUMN)?;
        let a = column(b, AREA_COLUMN)?;
        let w2 = b
            .column_by_name(SUM_W2_COLUMN)
            .and_then(|c| c.as_primitive_opt::<Float64Type>().cloned());
        let mut cols = Vec::new();
        for m in &planned {
            let v = column(b, &measure_value_column(m))?
                .as_primitive_opt::<Float64Type>()
                .ok_or_else(|| DataFusionError::Internal(format!("measure {m} is not Float64")))?
                .clone();
            let n = column(b, &measure_count_column(m))?
                .as_primitive_opt::<Int64Type>()
                .ok_or_else(|| DataFusionError::Internal(format!("count of {m} is not Int64")))?
                .clone();
            cols.push((m.to_string(), v, n));
        }
        for i in 0..b.num_rows() {
            let mut measures = BTreeMap::new();
            for (m, v, n) in &cols {
                let value = if v.is_null(i) { 0.0 } else { v.value(i) };
                let cnt = if n.is_null(i) { 0 } else { n.value(i) };
                measures.insert(m.clone(), MeasureValue { value, n: cnt });
            }
            out.push(LaRow {
                period: period_at(g, p, i)?,
                area_code: string_at(a, i),
                measures,
                sum_w2: w2
                    .as_ref()
                    .map(|w| if w.is_null(i) { 0.0 } else { w.value(i) })
                    .unwrap_or(0.0),
            });
        }
    }
    Ok(out)
}
