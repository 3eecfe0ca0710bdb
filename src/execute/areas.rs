//! Reading the area lookup (`crate::geography`) from the geography table.

use std::collections::BTreeMap;

use datafusion::arrow::array::{Array, AsArray};
use datafusion::arrow::datatypes::{DataType, Float64Type};
use datafusion::logical_expr::cast;
use datafusion::prelude::{SessionContext, col};

use super::ExecuteError;
use crate::geography::{Area, AreaLookup};
use crate::validate::ValidCatalog;

fn text(a: &dyn Array, i: usize) -> String {
    a.as_string_opt::<i32>()
        .map(|s| s.value(i).to_string())
        .unwrap_or_default()
}

/// A name of row `i` holding a control character (a terminal escape, a
/// NUL), which would reach packs and the terminal: the message, or None.
fn control_character(i: usize, g: &crate::definition::GeographyDef, area: &Area) -> Option<String> {
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

/// Read the geography table through the session.
pub async fn load_areas(
    ctx: &SessionContext,
    catalog: &ValidCatalog,
) -> Result<AreaLookup, ExecuteError> {
    let g = &catalog.catalog.geography;
    let table = catalog.geography.name.clone();
    let err = |message: String| ExecuteError::Geography {
        table: table.clone(),
        message,
    };
    let numeric: Vec<String> = catalog
        .geography
        .schema
        .fields()
        .iter()
        .filter(|f| f.data_type().is_numeric())
        .map(|f| f.name().clone())
        .collect();
    let mut exprs = vec![
        cast(col(format!("\"{}\"", g.code)), DataType::Utf8).alias("code"),
        cast(col(format!("\"{}\"", g.name)), DataType::Utf8).alias("name"),
        cast(col(format!("\"{}\"", g.region_code)), DataType::Utf8).alias("region_code"),
        cast(col(format!("\"{}\"", g.region_name)), DataType::Utf8).alias("region_name"),
    ];
    for n in &numeric {
        exprs.push(cast(col(format!("\"{n}\"")), DataType::Float64).alias(format!("attr_{n}")));
    }
    let read = |source| ExecuteError::Read {
        table: table.clone(),
        source,
    };
    let batches = ctx
        .table(table.as_str())
        .await
        .and_then(|df| df.select(exprs))
        .map_err(read)?
        .collect()
        .await
        .map_err(read)?;
    let mut las = BTreeMap::new();
    for b in &batches {
        let (c, rc) = (b.column(0), b.column(2));
        for i in 0..b.num_rows() {
            if c.is_null(i) || rc.is_null(i) {
                return Err(err(format!("row {} has no LA or region code", i + 1)));
            }
            let area = area_at(b, i, &numeric);
            let code = area.code.clone();
            if let Some(message) = control_character(i, g, &area) {
                return Err(err(message));
            }
            if las.insert(code.clone(), area).is_some() {
                return Err(err(format!(
                    "LA code {code} appears twice in column {} (a duplicate row): keep one row per LA",
                    g.code
                )));
            }
        }
    }
    if las.is_empty() {
        return Err(err(
            "the table is empty: every indicator needs the LA lookup".into(),
        ));
    }
    Ok(AreaLookup { las })
}
