//! Rules across files: unique ids, PSA groupings, the geography table and
//! the LAA targets file (areas of the geography table, indicators of the
//! catalog, periods of the indicator and of the extract, one entry per
//! area and indicator).

use std::collections::{BTreeMap, BTreeSet};

use chrono::NaiveDate;

use super::expr::suggest;
use crate::definition::{Catalog, Diagnostic};
use crate::extract::{Extract, TableFiles};
use crate::period::{Grain, Period};

/// Run every catalog-level rule.
pub fn check_catalog(catalog: &Catalog, geography: &TableFiles, out: &mut Vec<Diagnostic>) {
    unique_ids(catalog, out);
    psa_members(catalog, out);
    geography_columns(catalog, geography, out);
    laa_targets(catalog, geography, out);
}

fn unique_ids(catalog: &Catalog, out: &mut Vec<Diagnostic>) {
    let mut seen: BTreeMap<&str, String> = BTreeMap::new();
    for ind in &catalog.indicators {
        let id = ind.value.id.as_str();
        if let Some(first) = seen.get(id) {
            out.push(ind.diag(
                "id",
                format!("indicator id `{id}` is already defined in {first}"),
                Some("give each definition its own id".into()),
            ));
        } else {
            seen.insert(id, ind.file.display().to_string());
        }
    }
}

fn ids(catalog: &Catalog) -> Vec<&str> {
    catalog
        .indicators
        .iter()
        .map(|i| i.value.id.as_str())
        .collect()
}

fn psa_members(catalog: &Catalog, out: &mut Vec<Diagnostic>) {
    let Some(psas) = &catalog.psas else { return };
    let known = ids(catalog);
    for (i, psa) in psas.value.iter().enumerate() {
        if psa.indicators.is_empty() {
            out.push(psas.diag(
                &format!("[{i}].indicators"),
                format!("{} lists no indicators", psa.id),
                None,
            ));
        }
        for (j, m) in psa.indicators.iter().enumerate() {
            if !known.contains(&m.as_str()) {
                out.push(psas.diag(
                    &format!("[{i}].indicators[{j}]"),
                    format!("unknown indicator `{m}`"),
                    Some(suggest(m, &known)),
                ));
            }
        }
    }
}

fn geography_columns(catalog: &Catalog, geography: &TableFiles, out: &mut Vec<Diagnostic>) {
    let g = &catalog.geography;
    let names: Vec<&str> = geography
        .schema
        .fields()
        .iter()
        .map(|f| f.name().as_str())
        .collect();
    for (role, col) in [
        ("code", &g.code),
        ("name", &g.name),
        ("region_code", &g.region_code),
        ("region_name", &g.region_name),
    ] {
        if !names.contains(&col.as_str()) {
            out.push(Diagnostic {
                file: catalog
                    .dir
                    .join(crate::definition::GEOGRAPHY_FILE_NAME)
                    .display()
                    .to_string(),
                line: 1,
                column: 1,
                path: role.to_string(),
                message: format!("the geography table `{}` has no column `{col}`", g.table),
                hint: Some(suggest(col, &names)),
            });
        }
    }
}

/// The LA codes of the geography table, from its Parquet files.
fn geography_codes(column: &str, geography: &TableFiles) -> Result<BTreeSet<String>, String> {
    use datafusion::arrow::array::{Array, StringArray};
    use datafusion::arrow::compute::cast;
    use datafusion::arrow::datatypes::DataType;
    use parquet::arrow::ProjectionMask;
    use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;

    let mut codes = BTreeSet::new();
    for path in &geography.files {
        let what = |e: &dyn std::fmt::Display| format!("cannot read {}: {e}", path.display());
        let file = std::fs::File::open(path).map_err(|e| what(&e))?;
        let builder = ParquetRecordBatchReaderBuilder::try_new(file).map_err(|e| what(&e))?;
        let Some(idx) = builder
            .schema()
            .fields()
            .iter()
            .position(|f| f.name() == column)
        else {
            return Err(format!("{} has no column `{column}`", path.display()));
        };
        let mask = ProjectionMask::roots(builder.parquet_schema(), [idx]);
        let reader = builder
            .with_projection(mask)
            .build()
            .map_err(|e| what(&e))?;
        for batch in reader {
            let batch = batch.map_err(|e| what(&e))?;
            let col = cast(batch.column(0), &DataType::Utf8).map_err(|e| what(&e))?;
            let Some(strings) = col.as_any().downcast_ref::<StringArray>() else {
                return Err(format!(
                    "column `{column}` of {} is not text",
                    path.display()
                ));
            };
            codes.extend(strings.iter().flatten().map(str::to_string));
        }
    }
    Ok(codes)
}

/// First day and last day the extract covers, as far as its manifest says
/// (the engine's coverage: `from` and `extract_date`).
fn manifest_coverage(geography: &TableFiles) -> (Option<NaiveDate>, Option<NaiveDate>) {
    let manifest = geography
        .path
        .parent()
        .and_then(|dir| Extract::open(dir).ok())
        .and_then(|e| e.manifest);
    let Some(m) = manifest else {
        return (None, None);
    };
    let start = match m.from.as_deref().map(str::parse::<Period>) {
        Some(Ok(p @ Period::FinancialYear(_))) => Some(p.start()),
        _ => None,
    };
    (start, Some(m.extract_date))
}

/// Why `p` lies outside the extract's coverage, if it does.
fn outside(p: Period, start: Option<NaiveDate>, end: Option<NaiveDate>) -> Option<String> {
    let covered = match (start, end) {
        (Some(s), Some(e)) => format!("the extract covers {s} to {e}"),
        (None, Some(e)) => format!("the extract ends on {e}"),
        (Some(s), None) => format!("the extract starts on {s}"),
        (None, None) => return None,
    };
    let before = start.is_some_and(|s| p.start() < s);
    let after = end.is_some_and(|e| p.end() > e);
    (before || after).then_some(covered)
}

fn laa_targets(catalog: &Catalog, geography: &TableFiles, out: &mut Vec<Diagnostic>) {
    let Some(t) = &catalog.targets else { return };
    let known = ids(catalog);
    let names: Vec<&str> = geography
        .schema
        .fields()
        .iter()
        .map(|f| f.name().as_str())
        .collect();
    let code_col = &catalog.geography.code;
    // without the code column, geography_columns has reported it already
    let codes = if names.contains(&code_col.as_str()) {
        match geography_codes(code_col, geography) {
            Ok(c) => Some(c),
            Err(e) => {
                out.push(t.diag(
                    "",
                    format!("cannot check the LAA areas: {e}"),
                    Some(format!(
                        "the areas are checked against column `{code_col}` of table `{}`",
                        catalog.geography.table
                    )),
                ));
                None
            }
        }
    } else {
        None
    };
    let code_list: Vec<&str> = codes.iter().flatten().map(String::as_str).collect();
    let (start, end) = manifest_coverage(geography);
    let mut seen: BTreeMap<(&str, &str), usize> = BTreeMap::new();
    for (i, row) in t.value.iter().enumerate() {
        let p = format!("[{i}]");
        match &codes {
            Some(c) if !c.contains(&row.area) => {
                let s = suggest(&row.area, &code_list);
                let hint = if s.starts_with("did you mean") {
                    s
                } else {
                    "use the GSS code of an LA of the geography table, e.g. E08000003".into()
                };
                out.push(t.diag(
                    &format!("{p}.area"),
                    format!(
                        "unknown area `{}`: no LA has this code in the geography table `{}`",
                        row.area, catalog.geography.table
                    ),
                    Some(hint),
                ));
            }
            None if !is_gss(&row.area) => out.push(t.diag(
                &format!("{p}.area"),
                format!("`{}` is not an LA code", row.area),
                Some("use the ONS GSS code, e.g. E08000003".into()),
            )),
            _ => {}
        }
        let ind = catalog
            .indicators
            .iter()
            .find(|d| d.value.id == row.indicator);
        let baseline = match ind {
            None => {
                out.push(t.diag(
                    &format!("{p}.indicator"),
                    format!("unknown indicator `{}`", row.indicator),
                    Some(suggest(&row.indicator, &known)),
                ));
                None
            }
            Some(d) => {
                let grains = &d.value.grains;
                let bp = grains
                    .iter()
                    .find_map(|g| Period::parse_for(&row.baseline.period, *g).ok());
                if bp.is_none() {
                    out.push(t.diag(
                        &format!("{p}.baseline.period"),
                        format!(
                            "`{}` is not a period of {}",
                            row.baseline.period, row.indicator
                        ),
                        Some(format!(
                            "{} is reported by {}; e.g. {}",
                            row.indicator,
                            grains
                                .iter()
                                .map(|g| g.as_str())
                                .collect::<Vec<_>>()
                                .join(", "),
                            d.value.baseline.as_deref().unwrap_or(
                                match grains.first() {
                                    Some(Grain::Quarter | Grain::RollingQuarter) => "2007-08 Q4",
                                    Some(Grain::CalendarYear) => "2008",
                                    _ => "2007-08",
                                }
                            )
                        )),
                    ));
                }
                bp
            }
        };
        if row.targets.is_empty() {
            out.push(t.diag(
                &format!("{p}.targets"),
                format!("no targets for {} in {}", row.indicator, row.area),
                Some("give targets for financial years, e.g. { \"2010-11\": 812 }".into()),
            ));
        }
        for (y, v) in &row.targets {
            let path = format!("{p}.targets.{y}");
            // a problem with the year is located at the key, not its value
            let at_key = |d: Diagnostic| {
                let k = t.positions.key(&path);
                Diagnostic {
                    line: k.line,
                    column: k.column,
                    ..d
                }
            };
            match y.parse::<Period>() {
                Ok(fy @ Period::FinancialYear(_)) => {
                    if let Some(covered) = outside(fy, start, end) {
                        out.push(at_key(t.diag(
                            &path,
                            format!("target year `{y}` is outside the data"),
                            Some(covered),
                        )));
                    } else if let Some(b) = baseline
                        && fy.end() <= b.end()
                    {
                        out.push(at_key(t.diag(
                            &path,
                            format!(
                                "target year `{y}` does not end after the baseline period `{}`",
                                row.baseline.period
                            ),
                            Some("targets are set for years after the baseline".into()),
                        )));
                    }
                }
                _ => out.push(at_key(t.diag(
                    &path,
                    format!("target period `{y}` is not a financial year"),
                    Some(
                        "targets are set per financial year, e.g. \"2008-09\", \"2009-10\", \"2010-11\""
                            .into(),
                    ),
                ))),
            }
            if !v.is_finite() {
                out.push(t.diag(&path, "a target must be a finite number", None));
            }
        }
        if !row.baseline.value.is_finite() {
            out.push(t.diag(
                &format!("{p}.baseline.value"),
                "the baseline value must be a finite number",
                None,
            ));
        }
        match seen.get(&(row.area.as_str(), row.indicator.as_str())) {
            Some(first) => out.push(t.diag(
                &format!("{p}.indicator"),
                format!(
                    "duplicate target for {} and {}: already given at line {}",
                    row.area,
                    row.indicator,
                    t.positions.value(&format!("[{first}].indicator")).line
                ),
                Some("keep one entry per area and indicator".into()),
            )),
            None => {
                seen.insert((row.area.as_str(), row.indicator.as_str()), i);
            }
        }
    }
}

/// Whether `code` looks like an LA GSS code (`E06`, `E08`, `E09`, `E10`, `W06` + 6 digits).
pub fn is_gss(code: &str) -> bool {
    code.len() == 9
        && ["E06", "E08", "E09", "E10", "W06"]
            .iter()
            .any(|p| code.starts_with(p))
        && code[3..].bytes().all(|b| b.is_ascii_digit())
}
