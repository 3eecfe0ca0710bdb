//! The results table as CSV, JSON or Parquet, with suppressed figures
//! shown as `*`.

use std::io::Write;
use std::path::Path;
use std::sync::Arc;

use datafusion::arrow::array::{ArrayRef, BooleanArray, Float64Array, RecordBatch, StringArray};
use datafusion::arrow::datatypes::{DataType, Field, Schema};
use parquet::arrow::ArrowWriter;

use super::RenderError;
use crate::assess::{RESULT_COLUMNS, ResultRow};

/// Output formats of `compute`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum TableFormat {
    /// Comma-separated values, `*` for suppressed figures.
    Csv,
    /// A JSON array of objects; suppressed figures are null with `suppressed: true`.
    Json,
    /// Parquet with typed columns; suppressed figures are null.
    Parquet,
}

/// A number as published: fixed decimals, trailing zeros trimmed, no `-0`.
pub fn format_number(v: f64) -> String {
    if !v.is_finite() {
        return String::new();
    }
    let s = format!("{v:.6}");
    let s = s.trim_end_matches('0').trim_end_matches('.').to_string();
    if s == "-0" { "0".into() } else { s }
}

fn opt(v: Option<f64>, suppressed: bool) -> String {
    match v {
        Some(x) => format_number(x),
        None if suppressed => "*".into(),
        None => String::new(),
    }
}

fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

fn text_fields(r: &ResultRow) -> Vec<String> {
    let s = r.suppressed;
    vec![
        r.indicator.clone(),
        r.area_level.as_str().into(),
        r.area_code.clone(),
        r.area_name.clone(),
        r.period.clone(),
        opt(r.numerator, s),
        opt(r.denominator, s),
        opt(r.expected, s),
        opt(r.value, s),
        opt(r.ci_lower, s),
        opt(r.ci_upper, s),
        opt(r.ci998_lower, s),
        opt(r.ci998_upper, s),
        r.ci_method.clone().unwrap_or_default(),
        r.baseline_period.clone().unwrap_or_default(),
        opt(r.baseline_value, false),
        opt(r.change, false),
        r.significant.map(|b| b.to_string()).unwrap_or_default(),
        opt(r.target, false),
        r.status.clone(),
        r.vs_region.clone().unwrap_or_default(),
        r.vs_national.clone().unwrap_or_default(),
        r.trend.clone().unwrap_or_default(),
        r.suppressed.to_string(),
    ]
}

/// Render rows in a text format (CSV or JSON).
pub fn render_table(rows: &[ResultRow], format: TableFormat) -> Result<Vec<u8>, RenderError> {
    match format {
        TableFormat::Csv => {
            let mut out = RESULT_COLUMNS.join(",");
            out.push('\n');
            for r in rows {
                out.push_str(
                    &text_fields(r)
                        .iter()
                        .map(|f| csv_field(f))
                        .collect::<Vec<_>>()
                        .join(","),
                );
                out.push('\n');
            }
            Ok(out.into_bytes())
        }
        TableFormat::Json => {
            let objs: Vec<serde_json::Value> = rows.iter().map(json_row).collect();
            let mut v = serde_json::to_vec_pretty(&objs).map_err(|e| RenderError::Encode {
                format: "json",
                message: e.to_string(),
            })?;
            v.push(b'\n');
            Ok(v)
        }
        TableFormat::Parquet => parquet_bytes(rows),
    }
}

fn json_row(r: &ResultRow) -> serde_json::Value {
    let num = |v: Option<f64>| {
        v.filter(|x| x.is_finite())
            .map(serde_json::Value::from)
            .unwrap_or(serde_json::Value::Null)
    };
    let txt = |v: &Option<String>| {
        v.clone()
            .map(serde_json::Value::from)
            .unwrap_or(serde_json::Value::Null)
    };
    serde_json::json!({
        "indicator": r.indicator, "area_level": r.area_level.as_str(), "area_code": r.area_code, "area_name": r.area_name,
        "period": r.period, "numerator": num(r.numerator), "denominator": num(r.denominator), "expected": num(r.expected),
        "value": num(r.value), "ci_lower": num(r.ci_lower), "ci_upper": num(r.ci_upper), "ci998_lower": num(r.ci998_lower),
        "ci998_upper": num(r.ci998_upper), "ci_method": txt(&r.ci_method), "baseline_period": txt(&r.baseline_period),
        "baseline_value": num(r.baseline_value), "change": num(r.change), "significant": r.significant,
        "target": num(r.target), "status": r.status, "vs_region": txt(&r.vs_region), "vs_national": txt(&r.vs_national),
        "trend": txt(&r.trend), "suppressed": r.suppressed,
    })
}

fn parquet_bytes(rows: &[ResultRow]) -> Result<Vec<u8>, RenderError> {
    let text = |f: &dyn Fn(&ResultRow) -> Option<String>| -> ArrayRef {
        Arc::new(StringArray::from(rows.iter().map(f).collect::<Vec<_>>()))
    };
    let float = |f: &dyn Fn(&ResultRow) -> Option<f64>| -> ArrayRef {
        Arc::new(Float64Array::from(rows.iter().map(f).collect::<Vec<_>>()))
    };
    let columns: Vec<ArrayRef> = vec![
        text(&|r| Some(r.indicator.clone())),
        text(&|r| Some(r.area_level.as_str().to_string())),
        text(&|r| Some(r.area_code.clone())),
        text(&|r| Some(r.area_name.clone())),
        text(&|r| Some(r.period.clone())),
        float(&|r| r.numerator),
        float(&|r| r.denominator),
        float(&|r| r.expected),
        float(&|r| r.value),
        float(&|r| r.ci_lower),
        float(&|r| r.ci_upper),
        float(&|r| r.ci998_lower),
        float(&|r| r.ci998_upper),
        text(&|r| r.ci_method.clone()),
        text(&|r| r.baseline_period.clone()),
        float(&|r| r.baseline_value),
        float(&|r| r.change),
        Arc::new(BooleanArray::from(
            rows.iter().map(|r| r.significant).collect::<Vec<_>>(),
        )),
        float(&|r| r.target),
        text(&|r| Some(r.status.clone())),
        text(&|r| r.vs_region.clone()),
        text(&|r| r.vs_national.clone()),
        text(&|r| r.trend.clone()),
        Arc::new(BooleanArray::from(
            rows.iter().map(|r| Some(r.suppressed)).collect::<Vec<_>>(),
        )),
    ];
    let fields: Vec<Field> = RESULT_COLUMNS
        .iter()
        .zip(&columns)
        .map(|(n, c)| {
            Field::new(
                *n,
                c.data_type().clone(),
                !matches!(c.data_type(), DataType::Null),
            )
        })
        .collect();
    let enc = |e: &dyn std::fmt::Display| RenderError::Encode {
        format: "parquet",
        message: e.to_string(),
    };
    let batch =
        RecordBatch::try_new(Arc::new(Schema::new(fields)), columns).map_err(|e| enc(&e))?;
    let mut buf = Vec::new();
    let mut w = ArrowWriter::try_new(&mut buf, batch.schema(), None).map_err(|e| enc(&e))?;
    w.write(&batch).map_err(|e| enc(&e))?;
    w.close().map_err(|e| enc(&e))?;
    Ok(buf)
}

/// Write rows to `path` atomically (temporary file, then rename).
pub fn write_table(
    rows: &[ResultRow],
    format: TableFormat,
    path: &Path,
) -> Result<(), RenderError> {
    let bytes = render_table(rows, format)?;
    let io = |source| RenderError::Io {
        path: path.to_path_buf(),
        source,
    };
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let mut tmp = tempfile::NamedTempFile::new_in(dir).map_err(io)?;
    tmp.write_all(&bytes).map_err(io)?;
    tmp.persist(path).map_err(|e| io(e.error))?;
    Ok(())
}
