//! Reading the area lookup (`crate::geography`) from the geography table,
//! once per run, at validation.

use std::collections::BTreeMap;

use datafusion::arrow::array::{Array, ArrayRef, AsArray, RecordBatch};
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::{DataType, Float64Type};
use datafusion::arrow::error::ArrowError;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;

use super::ValidateError;
use crate::definition::GeographyDef;
use crate::extract::TableFiles;
use crate::geography::{Area, AreaLookup};

fn text(a: &dyn Array, i: usize) -> String {
    a.as_string_opt::<i32>()
        .map(|s| s.value(i).to_string())
        .unwrap_or_default()
}

/// A name of row `i` holding a control character (a terminal escape, a
/// NUL), which would reach packs and the terminal: the message, or None.
fn control_character(i: usize, g: &GeographyDef, area: &Area) -> Option<String> {
    [
        (&g.code, &area.code),
        (&g.name, &area.name),
        (&g.region_code, &area.region_code),
        (&g.region_name, &area.region_name),
    ]
    .into_iter()
    .find(|(_, v)| v.chars().any(char::is_control))
    .map(|(column, v)| {
        format!(
            "row {}: {column} {v:?} contains a control character: remove it from the table",
            i + 1
        )
    })
}

/// The area of row `i` of a batch of the geography query: code, name,
/// region code and name, then the `numeric` attributes (those not null).
fn area_at(b: &datafusion::arrow::record_batch::RecordBatch, i: usize, numeric: &[String]) -> Area {
    let (c, n, rc, rn) = (b.column(0), b.column(1), b.column(2), b.column(3));
    let mut attributes = BTreeMap::new();
    for (k, name) in numeric.iter().enumerate() {
        let arr = b.column(4 + k);
        if let Some(v) = arr.as_primitive_opt::<Float64Type>()
            && !v.is_null(i)
        {
            attributes.insert(name.clone(), v.value(i));
        }
    }
    Area {
        code: text(c.as_ref(), i),
        name: text(n.as_ref(), i),
        region_code: text(rc.as_ref(), i),
        region_name: text(rn.as_ref(), i),
        attributes,
    }
}

/// Read the area lookup from the geography table, once per run: every
/// part file through the extract's location (local or object store),
/// the code, name and region columns as text and every numeric column as
/// a float attribute. A row with no LA or region code, a name holding a
/// control character, a duplicate LA or an empty table is refused,
/// naming the table, row and fix. Validation checks the LAA targets'
/// areas against it, and execution takes it as it is.
pub fn read_areas(geography: &TableFiles, g: &GeographyDef) -> Result<AreaLookup, ValidateError> {
    let table = geography.name.clone();
    let err = |message: String| ValidateError::Geography {
        table: table.clone(),
        message,
    };
    let numeric: Vec<String> = geography
        .schema
        .fields()
        .iter()
        .filter(|f| f.data_type().is_numeric())
        .map(|f| f.name().clone())
        .collect();
    let mut las = BTreeMap::new();
    let mut row = 0usize;
    for path in &geography.files {
        let read = |e: &dyn std::fmt::Display| err(format!("cannot read {}: {e}", path.display()));
        let file = geography.location.source(path).map_err(|e| read(&e))?;
        let reader = ParquetRecordBatchReaderBuilder::try_new(file)
            .and_then(|b| b.build())
            .map_err(|e| read(&e))?;
        for batch in reader {
            let batch = batch.map_err(|e| read(&e))?;
            let b = lookup_batch(&batch, g, &numeric).map_err(|e| read(&e))?;
            let (c, rc) = (b.column(0), b.column(2));
            for i in 0..b.num_rows() {
                let at = row + i;
                if c.is_null(i) || rc.is_null(i) {
                    return Err(err(format!("row {} has no LA or region code", at + 1)));
                }
                let area = area_at(&b, i, &numeric);
                let code = area.code.clone();
                if let Some(message) = control_character(at, g, &area) {
                    return Err(err(message));
                }
                if las.insert(code.clone(), area).is_some() {
                    return Err(err(format!(
                        "LA code {code} appears twice in column {} (a duplicate row): keep one row per LA",
                        g.code
                    )));
                }
            }
            row += b.num_rows();
        }
    }
    if las.is_empty() {
        return Err(err(
            "the table is empty: every indicator needs the LA lookup".into(),
        ));
    }
    Ok(AreaLookup { las })
}

/// A batch of the geography table as [`area_at`] reads it: code, name,
/// region code and name as text, then each `numeric` column as Float64.
fn lookup_batch(
    batch: &RecordBatch,
    g: &GeographyDef,
    numeric: &[String],
) -> Result<RecordBatch, datafusion::arrow::error::ArrowError> {
    use datafusion::arrow::datatypes::{Field, Schema};
    let column = |name: &str, to: &DataType| -> Result<ArrayRef, ArrowError> {
        let a = batch
            .column_by_name(name)
            .ok_or_else(|| ArrowError::SchemaError(format!("no column `{name}`")))?;
        cast(a, to)
    };
    let mut fields = Vec::new();
    let mut columns = Vec::new();
    for (alias, name) in [
        ("code", &g.code),
        ("name", &g.name),
        ("region_code", &g.region_code),
        ("region_name", &g.region_name),
    ] {
        fields.push(Field::new(alias, DataType::Utf8, true));
        columns.push(column(name, &DataType::Utf8)?);
    }
    for n in numeric {
        fields.push(Field::new(format!("attr_{n}"), DataType::Float64, true));
        columns.push(column(n, &DataType::Float64)?);
    }
    RecordBatch::try_new(std::sync::Arc::new(Schema::new(fields)), columns)
}
