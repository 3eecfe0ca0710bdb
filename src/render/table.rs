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

/// A p- or q-value: six decimals, or four significant figures in
/// scientific notation below 0.001, so that a small p never reads as 0.
pub fn format_p(p: f64) -> String {
    if !p.is_finite() {
        String::new()
    } else if p >= 0.001 || p == 0.0 {
        format_number(p)
    } else {
        format!("{p:.3e}")
    }
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

/// The text columns of a row, typed values formatted: the one place the
/// three formats take their words from.
struct Words {
    period: String,
    ci_method: Option<String>,
    baseline_period: Option<String>,
    /// Empty when the row has no status (the column is never null).
    status: String,
    vs_region: Option<String>,
    vs_national: Option<String>,
    trend: Option<String>,
    vs_peers: Option<String>,
    peer_rank: Option<String>,
    spc: Option<String>,
}

fn words(r: &ResultRow) -> Words {
    fn word<T: std::fmt::Display>(v: Option<T>) -> Option<String> {
        v.map(|v| v.to_string())
    }
    Words {
        period: r.period.to_string(),
        ci_method: word(r.ci_method),
        baseline_period: word(r.baseline_period),
        status: word(r.status).unwrap_or_default(),
        vs_region: word(r.vs_region),
        vs_national: word(r.vs_national),
        trend: word(r.trend),
        vs_peers: word(r.vs_peers),
        peer_rank: r.peer_rank.map(|(rank, of)| format!("{rank} of {of}")),
        spc: r.spc.map(|v| v.as_str().to_string()),
    }
}

fn text_fields(r: &ResultRow) -> Vec<String> {
    let w = words(r);
    let s = r.suppressed;
    vec![
        r.indicator.clone(),
        r.area_level.as_str().into(),
        r.area_code.clone(),
        r.area_name.clone(),
        w.period,
        opt(r.numerator, s),
        opt(r.denominator, s),
        opt(r.expected, s),
        opt(r.value, s),
        opt(r.ci_lower, s),
        opt(r.ci_upper, s),
        opt(r.ci998_lower, s),
        opt(r.ci998_upper, s),
        w.ci_method.unwrap_or_default(),
        w.baseline_period.unwrap_or_default(),
        opt(r.baseline_value, false),
        opt(r.change, false),
        r.significant.map(|b| b.to_string()).unwrap_or_default(),
        opt(r.target, false),
        w.status,
        w.vs_region.unwrap_or_default(),
        w.vs_national.unwrap_or_default(),
        w.trend.unwrap_or_default(),
        r.suppressed.to_string(),
        w.vs_peers.unwrap_or_default(),
        w.peer_rank.unwrap_or_default(),
        r.p_change.map(format_p).unwrap_or_default(),
        r.q_value.map(format_p).unwrap_or_default(),
        w.spc.unwrap_or_default(),
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
    let w = words(r);
    serde_json::json!({
        "indicator": r.indicator, "area_level": r.area_level.as_str(), "area_code": r.area_code, "area_name": r.area_name,
        "period": w.period, "numerator": num(r.numerator), "denominator": num(r.denominator), "expected": num(r.expected),
        "value": num(r.value), "ci_lower": num(r.ci_lower), "ci_upper": num(r.ci_upper), "ci998_lower": num(r.ci998_lower),
        "ci998_upper": num(r.ci998_upper), "ci_method": txt(&w.ci_method), "baseline_period": txt(&w.baseline_period),
        "baseline_value": num(r.baseline_value), "change": num(r.change), "significant": r.significant,
        "target": num(r.target), "status": w.status, "vs_region": txt(&w.vs_region), "vs_national": txt(&w.vs_national),
        "trend": txt(&w.trend), "suppressed": r.suppressed, "vs_peers": txt(&w.vs_peers),
        "peer_rank": txt(&w.peer_rank), "p_value": num(r.p_change), "q_value": num(r.q_value),
        "spc": txt(&w.spc),
    })
}

fn parquet_bytes(rows: &[ResultRow]) -> Result<Vec<u8>, RenderError> {
    let text = |f: &dyn Fn(&ResultRow) -> Option<String>| -> ArrayRef {
        Arc::new(StringArray::from(rows.iter().map(f).collect::<Vec<_>>()))
    };
    let word = |f: &dyn Fn(Words) -> Option<String>| -> ArrayRef {
        Arc::new(StringArray::from(
            rows.iter().map(|r| f(words(r))).collect::<Vec<_>>(),
        ))
    };
    let float = |f: &dyn Fn(&ResultRow) -> Option<f64>| -> ArrayRef {
        Arc::new(Float64Array::from(rows.iter().map(f).collect::<Vec<_>>()))
    };
    let columns: Vec<ArrayRef> = vec![
        text(&|r| Some(r.indicator.clone())),
        text(&|r| Some(r.area_level.as_str().to_string())),
        text(&|r| Some(r.area_code.clone())),
        text(&|r| Some(r.area_name.clone())),
        word(&|w| Some(w.period)),
        float(&|r| r.numerator),
        float(&|r| r.denominator),
        float(&|r| r.expected),
        float(&|r| r.value),
        float(&|r| r.ci_lower),
        float(&|r| r.ci_upper),
        float(&|r| r.ci998_lower),
        float(&|r| r.ci998_upper),
        word(&|w| w.ci_method),
        word(&|w| w.baseline_period),
        float(&|r| r.baseline_value),
        float(&|r| r.change),
        Arc::new(BooleanArray::from(
            rows.iter().map(|r| r.significant).collect::<Vec<_>>(),
        )),
        float(&|r| r.target),
        word(&|w| Some(w.status)),
        word(&|w| w.vs_region),
        word(&|w| w.vs_national),
        word(&|w| w.trend),
        Arc::new(BooleanArray::from(
            rows.iter().map(|r| Some(r.suppressed)).collect::<Vec<_>>(),
        )),
        word(&|w| w.vs_peers),
        word(&|w| w.peer_rank),
        float(&|r| r.p_change),
        float(&|r| r.q_value),
        word(&|w| w.spc),
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
    check_destination(path)?;
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
    // readable like any file the user creates (the temporary file is 0600)
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        tmp.as_file()
            .set_permissions(std::fs::Permissions::from_mode(0o644))
            .map_err(io)?;
    }
    tmp.persist(path).map_err(|e| io(e.error))?;
    Ok(())
}

/// Refuse an output path that is not a new or existing regular file in an
/// existing directory: a directory, a path ending in `/`, a missing parent,
/// a symbolic link, a device or a pipe (which writing by rename would
/// replace with a regular file).
pub fn check_destination(path: &Path) -> Result<(), RenderError> {
    let bad = |message: String| RenderError::Destination {
        path: path.to_path_buf(),
        message,
    };
    let text = path.as_os_str().to_string_lossy();
    if text.is_empty() {
        return Err(bad("the path is empty: give a file name".into()));
    }
    if text.ends_with('/') {
        return Err(bad(
            "ends with `/`, a directory: give a file name, e.g. results.csv".into(),
        ));
    }
    if let Ok(meta) = std::fs::symlink_metadata(path) {
        let kind = meta.file_type();
        if kind.is_symlink() {
            return Err(bad(
                "is a symbolic link: give the path of a regular file (the link would be replaced)"
                    .into(),
            ));
        }
        if kind.is_dir() {
            return Err(bad("is a directory: give a file name inside it".into()));
        }
        if !kind.is_file() {
            return Err(bad(
                "is not a regular file (a device, pipe or socket): give the path of a regular file"
                    .into(),
            ));
        }
    }
    let parent = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    if !parent.is_dir() {
        return Err(bad(format!(
            "the directory {} does not exist: create it first",
            parent.display()
        )));
    }
    Ok(())
}
