//! Rules across files: unique ids, PSA groupings, the geography table and
//! the LAA targets file (areas of the geography table, indicators of the
//! catalog, periods of the indicator and of the extract, one entry per
//! area and indicator).

use std::collections::{BTreeMap, BTreeSet};

use chrono::NaiveDate;

use super::expr::suggest;
use crate::definition::{Catalog, Diagnostic, LaaTargetDef, Located};
use crate::extract::{Extract, TableFiles};
use crate::geography::AreaLookup;
use crate::period::{Grain, Period};

/// Run every catalog-level rule.
/// `targets_against` is `None` when the geography's columns are wrong
/// ([`geography_columns`] has said so): every target's area would then be
/// reported unknown, and the one cause is enough. Inside, the area lookup
/// when it could be read; without it an area is only checked for the
/// shape of an LA code.
pub fn check_catalog(
    catalog: &Catalog,
    geography: &TableFiles,
    targets_against: Option<Option<&AreaLookup>>,
    out: &mut Vec<Diagnostic>,
) {
    unique_ids(catalog, out);
    psa_members(catalog, out);
    indicator_bounds(catalog, geography, out);
    if let Some(areas) = targets_against {
        laa_targets(catalog, geography, areas, out);
    }
}

/// Largest magnitude of a target or baseline value, and of a rate's `per`:
/// beyond it a figure is a typo, not a statistic.
const MAX_FIGURE: f64 = 1e9;
/// Longest title: it heads pages and tables of the packs.
const MAX_TITLE_CHARS: usize = 200;

/// Numbers and periods of each definition that parse but make no sense:
/// non-finite or absurd targets and multipliers, a PSA not in `psa.yaml`,
/// baselines and target periods outside the extract.
fn indicator_bounds(catalog: &Catalog, geography: &TableFiles, out: &mut Vec<Diagnostic>) {
    let (start, end) = manifest_coverage(geography);
    let psa_ids: Option<Vec<&str>> = catalog
        .psas
        .as_ref()
        .map(|p| p.value.iter().map(|x| x.id.as_str()).collect());
    for ind in &catalog.indicators {
        let d = &ind.value;
        if d.title.chars().count() > MAX_TITLE_CHARS {
            out.push(ind.diag(
                "title",
                format!(
                    "the title is {} characters long, more than {MAX_TITLE_CHARS}",
                    d.title.chars().count()
                ),
                Some("shorten it; the description holds the detail".into()),
            ));
        }
        if let (Some(psa), Some(known)) = (&d.psa, &psa_ids)
            && !known.contains(&psa.as_str())
        {
            out.push(ind.diag(
                "psa",
                format!("unknown PSA `{psa}`: it is not in psa.yaml"),
                Some(suggest(psa, known)),
            ));
        }
        if let Some(per) = d.value.per
            && !(per.is_finite() && per > 0.0 && per <= MAX_FIGURE)
        {
            out.push(ind.diag(
                "value.per",
                format!("`per: {per}` must be a positive number up to {MAX_FIGURE:e}"),
                Some("e.g. 100 or 1000 for a rate per 100 or per 1,000".into()),
            ));
        }
        if let Some(t) = &d.target {
            for (key, v) in [("change_percent", t.change_percent), ("value", t.value)] {
                let bad = v.is_some_and(|v| {
                    !(v.is_finite() && v.abs() <= MAX_FIGURE)
                        || (key == "change_percent" && v <= -100.0)
                });
                if bad {
                    out.push(ind.diag(
                        &format!("target.{key}"),
                        format!("`{key}: {}` is not a usable target", v.unwrap_or_default()),
                        Some(if key == "change_percent" {
                            "give a finite percentage above -100, e.g. -10".into()
                        } else {
                            format!("give a finite number up to {MAX_FIGURE:e}")
                        }),
                    ));
                }
            }
            if let Some(Ok(p)) = t.period.as_deref().map(str::parse::<Period>)
                && let Some(covered) = outside(p, start, end)
            {
                out.push(ind.diag(
                    "target.period",
                    format!("the target period {p} is outside the data"),
                    Some(covered),
                ));
            }
        }
        if let Some(b) = &d.baseline
            && let Ok(p) = b.parse::<Period>()
            && let Some(covered) = outside(p, start, end)
        {
            out.push(ind.diag(
                "baseline",
                format!("the baseline {p} is outside the data: every baseline would be empty"),
                Some(covered),
            ));
        }
    }
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
        if let Some(first) = psas.value[..i].iter().position(|p| p.id == psa.id) {
            out.push(psas.diag(
                &format!("[{i}].id"),
                format!("duplicate PSA id `{}` (first at [{first}])", psa.id),
                Some("give each PSA one entry: merge their indicators".into()),
            ));
        }
        for (j, m) in psa.indicators.iter().enumerate() {
            if !known.contains(&m.as_str()) {
                out.push(psas.diag(
                    &format!("[{i}].indicators[{j}]"),
                    format!("unknown indicator `{m}`"),
                    Some(suggest(m, &known)),
                ));
            } else if psa.indicators[..j].contains(m) {
                // one per repeat: render_diagnostics caps what is shown
                out.push(psas.diag(
                    &format!("[{i}].indicators[{j}]"),
                    format!("`{m}` is listed twice in {}", psa.id),
                    Some("list each indicator once".into()),
                ));
            } else if let Some(other) = catalog
                .indicators
                .iter()
                .find(|d| &d.value.id == m)
                .and_then(|d| d.value.psa.as_ref())
                .filter(|p| *p != &psa.id)
            {
                out.push(psas.diag(
                    &format!("[{i}].indicators[{j}]"),
                    format!(
                        "`{m}` is listed under {} but its definition says `psa: {other}`",
                        psa.id
                    ),
                    Some(format!(
                        "list it under {other}, or change the definition's psa"
                    )),
                ));
            }
        }
    }
}

/// A finding about the geography table's data, located at the table's
/// first file.
fn geography_finding(
    geography: &TableFiles,
    role: &str,
    message: String,
    hint: String,
) -> Diagnostic {
    Diagnostic {
        file: geography
            .files
            .first()
            .unwrap_or(&geography.path)
            .display()
            .to_string(),
        line: 1,
        column: 1,
        path: role.to_string(),
        message,
        hint: Some(hint),
    }
}

/// The type of the geography table's column `col` when it is there and
/// not text.
fn non_text_type<'a>(
    geography: &'a TableFiles,
    col: &str,
) -> Option<&'a datafusion::arrow::datatypes::DataType> {
    use datafusion::arrow::datatypes::DataType;
    let t = geography.schema.field_with_name(col).ok()?.data_type();
    (!matches!(t, DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View)).then_some(t)
}

/// The lookup table's columns named in geography.yaml: each there, text,
/// and (the code and region code) never null.
pub fn geography_columns(catalog: &Catalog, geography: &TableFiles, out: &mut Vec<Diagnostic>) {
    let g = &catalog.geography;
    let names: Vec<&str> = geography
        .schema
        .fields()
        .iter()
        .map(|f| f.name().as_str())
        .collect();
    let in_table = |role: &str, message: String, hint: String| {
        geography_finding(geography, role, message, hint)
    };
    // the footers are read once, for the null counts of the code columns
    let profile = geography.profile().ok();
    for (role, col) in [
        ("code", &g.code),
        ("name", &g.name),
        ("region_code", &g.region_code),
        ("region_name", &g.region_name),
    ] {
        if let Some(t) = non_text_type(geography, col) {
            out.push(in_table(
                role,
                format!(
                    "column `{col}` of the geography table `{}` is {t}, not text: GSS codes and names are strings (an Int64 code loses the letter and makes every LA its own area)",
                    g.table
                ),
                format!("write `{col}` as a Utf8 column, or name a text column in geography.yaml"),
            ));
            continue;
        }
        // a null code or region code: every target of its LA would be
        // reported unknown, when the one cause is the table
        let nulls = (role == "code" || role == "region_code")
            .then_some(profile.as_ref())
            .flatten()
            .and_then(|p| p.columns.get(col.as_str()).and_then(|c| c.nulls))
            .unwrap_or(0);
        if nulls > 0 {
            out.push(in_table(
                role,
                format!(
                    "column `{col}` of the geography table `{}` is null in {nulls} row(s): every LA needs its code and region code",
                    g.table
                ),
                format!("fill `{col}` in every row of the table"),
            ));
            continue;
        }
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

/// The LAA targets file: each entry's area, indicator, baseline and target
/// years, and one entry per area and indicator.
fn laa_targets(
    catalog: &Catalog,
    geography: &TableFiles,
    areas: Option<&AreaLookup>,
    out: &mut Vec<Diagnostic>,
) {
    let Some(t) = &catalog.targets else { return };
    let known = ids(catalog);
    let codes: Option<BTreeSet<String>> = areas.map(|a| a.las.keys().cloned().collect());
    let code_list: Vec<&str> = codes.iter().flatten().map(String::as_str).collect();
    let coverage = manifest_coverage(geography);
    let mut seen: BTreeMap<(&str, &str), usize> = BTreeMap::new();
    for (i, row) in t.value.iter().enumerate() {
        let p = format!("[{i}]");
        target_area(catalog, t, &p, row, codes.as_ref(), &code_list, out);
        let baseline = target_baseline(catalog, t, &p, row, &known, out);
        if row.targets.is_empty() {
            out.push(t.diag(
                &format!("{p}.targets"),
                format!("no targets for {} in {}", row.indicator, row.area),
                Some("give targets for financial years, e.g. { \"2010-11\": 812 }".into()),
            ));
        }
        for (y, v) in &row.targets {
            target_year(t, &p, row, (y, *v), baseline, coverage, out);
        }
        baseline_bounds(t, &p, row, baseline, coverage, out);
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

/// An entry's area: an LA of the geography table when its codes were read,
/// else at least something shaped like an LA code.
fn target_area(
    catalog: &Catalog,
    t: &Located<Vec<LaaTargetDef>>,
    p: &str,
    row: &LaaTargetDef,
    codes: Option<&BTreeSet<String>>,
    code_list: &[&str],
    out: &mut Vec<Diagnostic>,
) {
    match codes {
        Some(c) if !c.contains(&row.area) => {
            let s = suggest(&row.area, code_list);
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
}

/// An entry's indicator, which must be in the catalog, and its baseline
/// period, which must be a period of one of the indicator's grains: the
/// baseline period, when both hold.
fn target_baseline(
    catalog: &Catalog,
    t: &Located<Vec<LaaTargetDef>>,
    p: &str,
    row: &LaaTargetDef,
    known: &[&str],
    out: &mut Vec<Diagnostic>,
) -> Option<Period> {
    let Some(d) = catalog
        .indicators
        .iter()
        .find(|d| d.value.id == row.indicator)
    else {
        out.push(t.diag(
            &format!("{p}.indicator"),
            format!("unknown indicator `{}`", row.indicator),
            Some(suggest(&row.indicator, known)),
        ));
        return None;
    };
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
                d.value
                    .baseline
                    .as_deref()
                    .unwrap_or(match grains.first() {
                        Some(Grain::Quarter | Grain::RollingQuarter) => "2007-08 Q4",
                        Some(Grain::CalendarYear) => "2008",
                        _ => "2007-08",
                    })
            )),
        ));
    }
    // an indicator reported by year has yearly LAA targets: a quarter's
    // figure as their baseline compares unlike with unlike
    if let Some(b) = bp
        && !b.grain().is_yearly()
        && let Some(year) = grains.iter().find(|g| g.is_yearly())
    {
        out.push(t.diag(
            &format!("{p}.baseline.period"),
            format!(
                "the baseline period `{}` is a {}, but {} is reported by {} and its targets are yearly figures",
                row.baseline.period,
                b.grain().as_str().replace('_', " "),
                row.indicator,
                year.as_str().replace('_', " ")
            ),
            Some(format!(
                "give the baseline year's figure, e.g. \"{}\"",
                d.value
                    .baseline
                    .as_deref()
                    .filter(|s| s.parse::<Period>().is_ok_and(|p| p.grain().is_yearly()))
                    .unwrap_or("2007-08")
            )),
        ));
    }
    bp
}

/// One target of an entry: a financial year within the data and after the
/// baseline, with a finite value.
fn target_year(
    t: &Located<Vec<LaaTargetDef>>,
    p: &str,
    row: &LaaTargetDef,
    (y, v): (&str, f64),
    baseline: Option<Period>,
    (start, end): (Option<NaiveDate>, Option<NaiveDate>),
    out: &mut Vec<Diagnostic>,
) {
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
    if !(v.is_finite() && v.abs() <= MAX_FIGURE) {
        out.push(t.diag(
            &path,
            format!("a target must be a finite number up to {MAX_FIGURE:e}, not {v}"),
            None,
        ));
    }
}

/// An entry's baseline: its period within the data, its value finite.
fn baseline_bounds(
    t: &Located<Vec<LaaTargetDef>>,
    p: &str,
    row: &LaaTargetDef,
    baseline: Option<Period>,
    (start, end): (Option<NaiveDate>, Option<NaiveDate>),
    out: &mut Vec<Diagnostic>,
) {
    if let Some(b) = baseline
        && let Some(covered) = outside(b, start, end)
    {
        out.push(t.diag(
            &format!("{p}.baseline.period"),
            format!(
                "the baseline period `{}` is outside the data: the baseline would be empty",
                row.baseline.period
            ),
            Some(covered),
        ));
    }
    if !(row.baseline.value.is_finite() && row.baseline.value.abs() <= MAX_FIGURE) {
        out.push(t.diag(
            &format!("{p}.baseline.value"),
            "the baseline value must be a finite number",
            None,
        ));
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
