//! The per-definition rules. Each `check_*` function is one named rule that
//! pushes diagnostics and never stops at the first problem.

use std::collections::BTreeMap;
use std::sync::Arc;

use datafusion::arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use datafusion::common::DFSchema;
use datafusion::execution::context::SessionState;
use datafusion::logical_expr::Expr;
use datafusion::prelude::SessionContext;

use super::expr::{parse_checked, suggest, to_datafusion};
use super::{ResolvedSource, ValidIndicator};
use crate::definition::{Diagnostic, IndicatorDef, Located, ValueKind};
use crate::extract::{Extract, TableFiles};
use crate::period::{Grain, Period};

/// Columns the planner adds next to a cohort's own.
pub const PERIOD_COLUMNS: &[&str] = &["period", "period_start", "period_end", "quarter_start"];

struct Ctx<'a> {
    ind: &'a Located<IndicatorDef>,
    diags: Vec<Diagnostic>,
    /// The weekday dates of the definition's calendar, when it names one.
    holidays: Option<Vec<i32>>,
    /// The extract table whose columns are being checked, for messages.
    table: String,
}

impl Ctx<'_> {
    fn err(&mut self, path: &str, message: impl Into<String>, hint: Option<String>) {
        let d = self.ind.diag(path, message, hint);
        self.diags.push(d);
    }
}

/// The column names of a schema, for hints.
pub fn column_names(schema: &Schema) -> Vec<&str> {
    schema.fields().iter().map(|f| f.name().as_str()).collect()
}

/// The schema of a source as the definition names its columns.
pub fn source_schema(
    table: &TableFiles,
    mapping: &BTreeMap<String, String>,
) -> (SchemaRef, BTreeMap<String, String>) {
    let mut reverse: BTreeMap<&str, &str> = BTreeMap::new();
    for (name, raw) in mapping {
        reverse.insert(raw.as_str(), name.as_str());
    }
    let mut columns = BTreeMap::new();
    let fields: Vec<Field> = table
        .schema
        .fields()
        .iter()
        .map(|f| {
            let name = reverse
                .get(f.name().as_str())
                .map(|s| s.to_string())
                .unwrap_or_else(|| f.name().clone());
            columns.insert(name.clone(), f.name().clone());
            Field::new(name, f.data_type().clone(), f.is_nullable())
        })
        .collect();
    (Arc::new(Schema::new(fields)), columns)
}

/// Validate and resolve one definition; `None` when it has problems (pushed to `out`).
pub fn resolve(
    ind: &Located<IndicatorDef>,
    extract: &Extract,
    geography: &TableFiles,
    out: &mut Vec<Diagnostic>,
) -> Option<ValidIndicator> {
    let mut cx = Ctx {
        ind,
        diags: Vec::new(),
        holidays: None,
        table: String::new(),
    };
    let def = &ind.value;
    check_metadata(&mut cx);
    let sources = check_sources(&mut cx, extract);
    cx.holidays = check_calendar(&mut cx, extract);
    let (baseline, target_period) = check_periods(&mut cx);
    let ctx = SessionContext::new();
    ctx.register_udf(super::calendar::placeholder());
    let state = ctx.state();
    let exprs = check_cohort_source(&mut cx, &state, &sources);
    check_measures(&mut cx, geography);
    check_value(&mut cx);
    check_interval(&mut cx);
    let ok = cx.diags.is_empty();
    out.append(&mut cx.diags);
    ok.then(|| ValidIndicator {
        def: def.clone(),
        file: ind.file.clone(),
        sources,
        cohort_filter: exprs.cohort_filter,
        event_filters: exprs.event_filters,
        measure_wheres: exprs.measure_wheres,
        order_by: exprs.order_by,
        baseline,
        target_period,
    })
}

/// What the columns and expressions over the sources resolve to.
#[derive(Default)]
struct SourceExprs {
    cohort_filter: Option<Expr>,
    event_filters: BTreeMap<String, Expr>,
    measure_wheres: BTreeMap<String, Expr>,
    order_by: Vec<(String, bool)>,
}

/// The cohort's source: its columns, filter, first-per-person ordering,
/// the measures' and interval's columns over it, then the event sets
/// joined to it. An unknown cohort source is reported; one whose table
/// failed was reported at the source.
fn check_cohort_source(
    cx: &mut Ctx,
    state: &SessionState,
    sources: &BTreeMap<String, ResolvedSource>,
) -> SourceExprs {
    let ind = cx.ind;
    let def = &ind.value;
    let mut exprs = SourceExprs::default();
    let Some(src) = sources.get(&def.cohort.source) else {
        if !def.sources.contains_key(&def.cohort.source) {
            let names: Vec<&str> = def.sources.keys().map(|s| s.as_str()).collect();
            cx.err(
                "cohort.source",
                format!("unknown source `{}`", def.cohort.source),
                Some(suggest(&def.cohort.source, &names)),
            );
        }
        return exprs;
    };
    let schema = src.schema.clone();
    let cohort_table = src.table.name.clone();
    cx.table = cohort_table.clone();
    check_cohort_columns(cx, &schema);
    exprs.cohort_filter = def
        .cohort
        .filter
        .as_ref()
        .and_then(|f| expression(cx, state, "cohort.filter", f, &with_period_columns(&schema)));
    exprs.order_by = check_first_per_person(cx, &schema);
    exprs.measure_wheres = check_measure_columns(cx, state, &schema);
    if let Some(iv) = &def.interval
        && let Some(w) = &iv.weight
    {
        check_column(cx, "interval.weight", w, &schema, ColumnKind::Numeric);
    }
    let cohort_person = def
        .cohort
        .person
        .as_ref()
        .and_then(|p| schema.field_with_name(p).ok())
        .map(|f| f.data_type().clone());
    exprs.event_filters = check_events(cx, state, sources, &cohort_table, cohort_person);
    exprs
}

/// Each measure's condition and summed column over the cohort's columns:
/// the conditions that resolve, by measure.
fn check_measure_columns(
    cx: &mut Ctx,
    state: &SessionState,
    schema: &SchemaRef,
) -> BTreeMap<String, Expr> {
    let ind = cx.ind;
    let mut measure_wheres = BTreeMap::new();
    for (name, m) in &ind.value.measures {
        if let Some(w) = &m.where_ {
            let path = format!("measures.{name}.where");
            if let Some(e) = expression(cx, state, &path, w, &with_period_columns(schema)) {
                measure_wheres.insert(name.clone(), e);
            }
        }
        if let Some(c) = &m.sum {
            check_column(
                cx,
                &format!("measures.{name}.sum"),
                c,
                schema,
                ColumnKind::Numeric,
            );
        }
    }
    measure_wheres
}

/// Each event set: its source, its person key (of the cohort's person
/// key's type), dates, window and filter: the filters that resolve, by
/// event set. Leaves `cx.table` at the last event set's table.
fn check_events(
    cx: &mut Ctx,
    state: &SessionState,
    sources: &BTreeMap<String, ResolvedSource>,
    cohort_table: &str,
    cohort_person: Option<DataType>,
) -> BTreeMap<String, Expr> {
    let ind = cx.ind;
    let def = &ind.value;
    let mut event_filters = BTreeMap::new();
    for (name, ev) in &def.events {
        let Some(es) = sources.get(&ev.source) else {
            // a declared source whose table failed is reported at the source
            if def.sources.contains_key(&ev.source) {
                continue;
            }
            let names: Vec<&str> = def.sources.keys().map(|s| s.as_str()).collect();
            cx.err(
                &format!("events.{name}.source"),
                format!("unknown source `{}`", ev.source),
                Some(suggest(&ev.source, &names)),
            );
            continue;
        };
        let es_schema = es.schema.clone();
        cx.table = es.table.name.clone();
        let p = format!("events.{name}");
        if let Some(t) = check_column(
            cx,
            &format!("{p}.person"),
            &ev.person,
            &es_schema,
            ColumnKind::Key,
        ) && let Some(ct) = &cohort_person
            && &t != ct
        {
            cx.err(
                &format!("{p}.person"),
                format!(
                    "person key `{}` of table `{}` is {t} but the cohort's person key (table `{cohort_table}`) is {ct}",
                    ev.person, cx.table
                ),
                Some("join keys must have the same type".into()),
            );
        }
        check_column(
            cx,
            &format!("{p}.date"),
            &ev.date,
            &es_schema,
            ColumnKind::Date,
        );
        if let Some(pr) = &ev.proven {
            check_column(
                cx,
                &format!("{p}.proven.date"),
                &pr.date,
                &es_schema,
                ColumnKind::Date,
            );
        }
        check_window(cx, &p, ev);
        if let Some(f) = &ev.filter
            && let Some(e) = expression(cx, state, &format!("{p}.filter"), f, &es_schema)
        {
            event_filters.insert(name.clone(), e);
        }
    }
    event_filters
}

fn with_period_columns(schema: &SchemaRef) -> SchemaRef {
    let mut fields: Vec<Field> = schema.fields().iter().map(|f| f.as_ref().clone()).collect();
    fields.push(Field::new("period_start", DataType::Date32, false));
    fields.push(Field::new("period_end", DataType::Date32, false));
    Arc::new(Schema::new(fields))
}

fn expression(
    cx: &mut Ctx,
    state: &SessionState,
    path: &str,
    text: &str,
    schema: &SchemaRef,
) -> Option<Expr> {
    let names = column_names(schema);
    let located = |cx: &mut Ctx, p: super::expr::ExprProblem| {
        let pos = cx.ind.positions.inside(path, p.line0, p.col0);
        cx.diags.push(Diagnostic {
            file: cx.ind.file.display().to_string(),
            line: pos.line,
            column: pos.column,
            path: path.to_string(),
            message: p.message,
            hint: p.hint,
        });
    };
    let sql = match parse_checked(text, &names) {
        Ok(s) => s,
        Err(p) => {
            located(cx, p);
            return None;
        }
    };
    let dfs = match DFSchema::try_from(schema.as_ref().clone()) {
        Ok(s) => s,
        Err(e) => {
            cx.err(
                path,
                format!("cannot build a schema for this expression: {e}"),
                None,
            );
            return None;
        }
    };
    let expr = match to_datafusion(state, sql, &dfs, Some(&DataType::Boolean)) {
        Ok(e) => e,
        Err(p) => {
            located(cx, p);
            return None;
        }
    };
    match super::calendar::expand(expr, cx.holidays.as_deref(), &dfs) {
        Ok(e) => Some(e),
        Err(message) => {
            let (line0, col0) = super::calendar::call_position(text).unwrap_or((0, 0));
            let hint = Some(
                "write `working_days(from_date, to_date)` over two date columns; the definition's `calendar` names the holiday table"
                    .to_string(),
            );
            located(
                cx,
                super::expr::ExprProblem {
                    line0,
                    col0,
                    message,
                    hint,
                },
            );
            None
        }
    }
}

/// Reads the working-day calendar the definition names, if any.
fn check_calendar(cx: &mut Ctx, extract: &Extract) -> Option<Vec<i32>> {
    let cal = cx.ind.value.calendar.clone()?;
    let table = match extract.table(&cal.table) {
        Ok(t) => t,
        Err(e) => {
            cx.err(
                "calendar.table",
                format!("unknown calendar table: {e}"),
                Some(
                    "name a table of bank holiday dates in the extract, e.g. `bank_holidays`"
                        .into(),
                ),
            );
            return None;
        }
    };
    let names = column_names(&table.schema);
    match table.schema.field_with_name(&cal.date) {
        Ok(f) if f.data_type() == &DataType::Date32 => {}
        Ok(f) => {
            cx.err(
                "calendar.date",
                format!(
                    "calendar column `{}` is {}, not a date (Date32)",
                    cal.date,
                    f.data_type()
                ),
                Some("name the table's column of holiday dates".into()),
            );
            return None;
        }
        Err(_) => {
            cx.err(
                "calendar.date",
                format!("table `{}` has no column `{}`", cal.table, cal.date),
                Some(suggest(&cal.date, &names)),
            );
            return None;
        }
    }
    match super::calendar::read_holidays(&table, &cal.date) {
        Ok(days) => Some(days),
        Err(message) => {
            cx.err("calendar.table", message, None);
            None
        }
    }
}

fn check_metadata(cx: &mut Ctx) {
    let def = &cx.ind.value;
    let id_ok = def
        .id
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_uppercase())
        && def
            .id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '_');
    if !id_ok {
        cx.err(
            "id",
            format!("`{}` is not a valid indicator id", def.id),
            Some("use capitals, digits and dots, e.g. NI38 or NI38.rate".into()),
        );
    }
    if def.title.trim().is_empty() {
        cx.err("title", "the title is empty", None);
    }
    if def.description.trim().len() < 20 {
        cx.err(
            "description",
            "the description is too short for the pack's appendix",
            Some("describe what is counted, the source and any simplification".into()),
        );
    }
    if def.grains.is_empty() {
        cx.err(
            "grains",
            "at least one grain is needed",
            Some(format!(
                "expected one of: {}",
                Grain::ALL.map(|g| g.as_str()).join(", ")
            )),
        );
    }
    let mut seen = Vec::new();
    for (i, g) in def.grains.iter().enumerate() {
        if seen.contains(g) {
            cx.err(
                &format!("grains[{i}]"),
                format!("grain `{}` is listed twice", g.as_str()),
                None,
            );
        }
        seen.push(*g);
    }
    if def.disclosure_threshold == 0 {
        cx.err(
            "disclosure_threshold",
            "the disclosure threshold must be at least 1",
            Some("5 suppresses counts of 1 to 4, as official statistics do".into()),
        );
    }
    if def.decimals > 6 {
        cx.err(
            "decimals",
            format!(
                "{} decimal places is more than the data support",
                def.decimals
            ),
            Some("use 0 to 6".into()),
        );
    }
}

fn check_sources(cx: &mut Ctx, extract: &Extract) -> BTreeMap<String, ResolvedSource> {
    let mut out = BTreeMap::new();
    let def = cx.ind.value.clone();
    if def.sources.is_empty() {
        cx.err(
            "sources",
            "no sources declared",
            Some("declare at least the cohort's table".into()),
        );
    }
    for (name, s) in &def.sources {
        let table = match extract.table(&s.table) {
            Ok(t) => t,
            Err(e) => {
                cx.err(&format!("sources.{name}.table"), e.to_string(), None);
                continue;
            }
        };
        let raw = column_names(&table.schema);
        let mut bad = false;
        for (canon, col) in &s.columns {
            if !raw.contains(&col.as_str()) {
                cx.err(
                    &format!("sources.{name}.columns.{canon}"),
                    format!("column `{col}` is not in table `{}`", s.table),
                    Some(suggest(col, &raw)),
                );
                bad = true;
            }
            if PERIOD_COLUMNS.contains(&canon.as_str()) {
                cx.err(
                    &format!("sources.{name}.columns.{canon}"),
                    format!("`{canon}` is reserved for the period the planner adds"),
                    Some("map the column to another name".into()),
                );
                bad = true;
            }
        }
        if bad {
            continue;
        }
        let (schema, columns) = source_schema(&table, &s.columns);
        out.insert(
            name.clone(),
            ResolvedSource {
                table,
                columns,
                schema,
            },
        );
    }
    out
}

/// The baseline and target periods, each a period of one of the
/// definition's grains, and the target's fields for its kind.
fn check_periods(cx: &mut Ctx) -> (Option<Period>, Option<Period>) {
    let def = cx.ind.value.clone();
    let grains = def
        .grains
        .iter()
        .map(|g| g.as_str())
        .collect::<Vec<_>>()
        .join(", ");
    let baseline = def.baseline.as_ref().and_then(|b| {
        let p = parse_any(&def.grains, b);
        if p.is_none() {
            cx.err(
                "baseline",
                format!("`{b}` is not a period of this indicator's grains ({grains})"),
                Some(
                    "write e.g. `2007-08` for a financial year or `2007-08 Q4` for a quarter"
                        .into(),
                ),
            );
        }
        p
    });
    let mut target_period = None;
    if let Some(t) = &def.target {
        use crate::definition::TargetKind;
        match t.kind {
            TargetKind::ByDate => {
                target_period = check_by_date_target(cx, &def.grains, &grains, t, baseline);
            }
            TargetKind::FallYearOnYear | TargetKind::RiseYearOnYear => {
                check_year_on_year_target(cx, &def.grains, &grains, t);
            }
        }
    }
    (baseline, target_period)
}

/// `label` read as a period of the first of `grains` it fits.
fn parse_any(grains: &[Grain], label: &str) -> Option<Period> {
    grains
        .iter()
        .find_map(|g| Period::parse_for(label, *g).ok())
}

/// A target by a date: its period (of the grains, after the baseline) and
/// exactly one of a change and a value. The target period, when it reads.
fn check_by_date_target(
    cx: &mut Ctx,
    grain_list: &[Grain],
    grains: &str,
    t: &crate::definition::TargetDef,
    baseline: Option<Period>,
) -> Option<Period> {
    let mut target_period = None;
    match &t.period {
        Some(label) => {
            target_period = parse_any(grain_list, label);
            if target_period.is_none() {
                cx.err(
                    "target.period",
                    format!("`{label}` is not a period of this indicator's grains ({grains})"),
                    None,
                );
            }
        }
        None => cx.err(
            "target",
            "a target by a date needs a `period`, e.g. `period: \"2010-11\"`",
            Some("or declare `kind: fall_year_on_year` for a fall every year".into()),
        ),
    }
    if t.change_percent.is_some() == t.value.is_some() {
        cx.err(
            "target",
            "a target needs exactly one of `change_percent` and `value`",
            None,
        );
    }
    if t.change_percent.is_some() && baseline.is_none() {
        cx.err(
            "target.change_percent",
            "a target relative to baseline needs a `baseline`",
            None,
        );
    }
    if let (Some(b), Some(tp)) = (baseline, target_period)
        && tp.end() <= b.end()
    {
        cx.err(
            "target.period",
            format!("the target period {tp} is not after the baseline {b}"),
            None,
        );
    }
    target_period
}

/// A year-on-year target: no period, change or value, and a yearly grain.
fn check_year_on_year_target(
    cx: &mut Ctx,
    grain_list: &[Grain],
    grains: &str,
    t: &crate::definition::TargetDef,
) {
    use crate::definition::TargetKind;
    let kind = if t.kind == TargetKind::FallYearOnYear {
        "fall_year_on_year"
    } else {
        "rise_year_on_year"
    };
    for (field, given) in [
        ("period", t.period.is_some()),
        ("change_percent", t.change_percent.is_some()),
        ("value", t.value.is_some()),
    ] {
        if given {
            cx.err(
                &format!("target.{field}"),
                format!("a `{kind}` target compares each year with the one before: `{field}` does not apply"),
                Some(format!("remove `{field}`, or use `kind: by_date`")),
            );
        }
    }
    if !grain_list.iter().any(|g| g.is_yearly()) {
        cx.err(
            "target.kind",
            format!(
                "a `{kind}` target needs a yearly grain, but this indicator is reported by {grains}"
            ),
            Some("add `financial_year` or `calendar_year` to `grains`".into()),
        );
    }
}

#[derive(Clone, Copy, PartialEq)]
enum ColumnKind {
    Date,
    Year,
    Text,
    Key,
    Numeric,
}

fn check_column(
    cx: &mut Ctx,
    path: &str,
    name: &str,
    schema: &SchemaRef,
    kind: ColumnKind,
) -> Option<DataType> {
    let Ok(f) = schema.field_with_name(name) else {
        let names = column_names(schema);
        let message = format!("unknown column `{name}` in table `{}`", cx.table);
        cx.err(path, message, Some(suggest(name, &names)));
        return None;
    };
    let t = f.data_type().clone();
    let ok = match kind {
        ColumnKind::Date => t == DataType::Date32,
        ColumnKind::Year => matches!(t, DataType::Int16 | DataType::Int32 | DataType::Int64),
        ColumnKind::Text => matches!(t, DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View),
        ColumnKind::Key => matches!(
            t,
            DataType::Int32
                | DataType::Int64
                | DataType::Utf8
                | DataType::LargeUtf8
                | DataType::Utf8View
        ),
        ColumnKind::Numeric => t.is_numeric(),
    };
    if !ok {
        let want = match kind {
            ColumnKind::Date => "a Date32 date",
            ColumnKind::Year => "an integer year",
            ColumnKind::Text => "a Utf8 code",
            ColumnKind::Key => "an Int64 or Utf8 key",
            ColumnKind::Numeric => "a number",
        };
        cx.err(
            path,
            format!(
                "column `{name}` of table `{}` is {t}, expected {want}",
                cx.table
            ),
            Some("map another column, or fix the extract's type".into()),
        );
        return None;
    }
    Some(t)
}

fn check_cohort_columns(cx: &mut Ctx, schema: &SchemaRef) {
    let c = cx.ind.value.cohort.clone();
    let grains = cx.ind.value.grains.clone();
    check_column(cx, "cohort.area", &c.area, schema, ColumnKind::Text);
    if let Some(p) = &c.person {
        check_column(cx, "cohort.person", p, schema, ColumnKind::Key);
    }
    match (&c.date, &c.year) {
        (Some(d), None) => {
            check_column(cx, "cohort.date", d, schema, ColumnKind::Date);
        }
        (None, Some(y)) => {
            check_column(cx, "cohort.year", y, schema, ColumnKind::Year);
            if grains.iter().any(|g| *g != Grain::CalendarYear) {
                cx.err(
                    "cohort.year",
                    "a `year` column places rows in calendar years only",
                    Some("use `grains: [calendar_year]` or a `date` column".into()),
                );
            }
            if c.until.is_some() || c.observed_days.is_some() {
                cx.err(
                    "cohort.year",
                    "`until` and `observed_days` need a `date` column",
                    None,
                );
            }
        }
        (Some(_), Some(_)) => cx.err(
            "cohort.year",
            "give either `date` or `year`, not both",
            None,
        ),
        (None, None) => cx.err(
            "cohort",
            "the cohort needs a `date` (or `year`) column that places rows in periods",
            None,
        ),
    }
    if let Some(u) = &c.until {
        check_column(cx, "cohort.until", u, schema, ColumnKind::Date);
    }
    if c.until.is_some() && c.observed_days.is_some() {
        cx.err(
            "cohort.observed_days",
            "give either `until` or `observed_days`, not both",
            None,
        );
    }
    if !cx.ind.value.events.is_empty() && c.person.is_none() {
        cx.err(
            "cohort",
            "event sets join on the person key, but the cohort has no `person`",
            Some("add `person: <column>` to the cohort".into()),
        );
    }
}

fn check_first_per_person(cx: &mut Ctx, schema: &SchemaRef) -> Vec<(String, bool)> {
    let Some(f) = cx.ind.value.cohort.first_per_person.clone() else {
        return Vec::new();
    };
    if cx.ind.value.cohort.person.is_none() {
        cx.err(
            "cohort.first_per_person",
            "first_per_person needs the cohort's `person` column",
            None,
        );
    }
    if f.order_by.is_empty() {
        cx.err(
            "cohort.first_per_person.order_by",
            "order_by is empty",
            Some("list the columns that pick the first row, e.g. [test_date, test_id]".into()),
        );
    }
    let mut out = Vec::new();
    for (i, key) in f.order_by.iter().enumerate() {
        let path = format!("cohort.first_per_person.order_by[{i}]");
        let parts: Vec<&str> = key.split_whitespace().collect();
        let (col, desc) = match parts.as_slice() {
            [c] => (*c, false),
            [c, d] if d.eq_ignore_ascii_case("asc") => (*c, false),
            [c, d] if d.eq_ignore_ascii_case("desc") => (*c, true),
            _ => {
                cx.err(
                    &path,
                    format!("`{key}` is not a sort key"),
                    Some("write `column` or `column desc`".into()),
                );
                continue;
            }
        };
        if schema.field_with_name(col).is_err() {
            let names = column_names(schema);
            cx.err(
                &path,
                format!("unknown column `{col}`"),
                Some(suggest(col, &names)),
            );
            continue;
        }
        out.push((col.to_string(), desc));
    }
    out
}

fn check_window(cx: &mut Ctx, p: &str, ev: &crate::definition::EventsDef) {
    let w = &ev.window;
    let n = [w.after.is_some(), w.before.is_some(), w.ending.is_some()]
        .iter()
        .filter(|x| **x)
        .count();
    if n != 1 {
        cx.err(
            &format!("{p}.window"),
            "a window needs exactly one of `after`, `before`, `ending`",
            Some("e.g. `window: { after: cohort_date, days: 365 }`".into()),
        );
    }
    if w.days == 0 || w.days > 3660 {
        cx.err(
            &format!("{p}.window.days"),
            format!("{} days is not a usable window", w.days),
            Some("use 1 to 3660 days (6 months = 182, 12 months = 365)".into()),
        );
    }
    if let Some(pr) = &ev.proven
        && pr.waiting_days > 3660
    {
        cx.err(
            &format!("{p}.proven.waiting_days"),
            format!("{} days is not a usable waiting period", pr.waiting_days),
            None,
        );
    }
}

fn check_measures(cx: &mut Ctx, geography: &TableFiles) {
    let def = cx.ind.value.clone();
    if def.measures.is_empty() {
        cx.err("measures", "no measures declared", None);
    }
    let event_names: Vec<&str> = def.events.keys().map(|s| s.as_str()).collect();
    for (name, m) in &def.measures {
        let p = format!("measures.{name}");
        let kinds = [
            m.count.is_some(),
            m.sum.is_some(),
            m.events.is_some(),
            m.members_with.is_some(),
            m.area_attribute.is_some(),
        ];
        if kinds.iter().filter(|k| **k).count() != 1 {
            cx.err(&p, "a measure needs exactly one of `count`, `sum`, `events`, `members_with`, `area_attribute`", None);
        }
        for (field, ev) in [("events", &m.events), ("members_with", &m.members_with)] {
            if let Some(e) = ev
                && !event_names.contains(&e.as_str())
            {
                cx.err(
                    &format!("{p}.{field}"),
                    format!("unknown event set `{e}`"),
                    Some(suggest(e, &event_names)),
                );
            }
        }
        if m.where_.is_some()
            && (m.events.is_some() || m.members_with.is_some() || m.area_attribute.is_some())
        {
            cx.err(
                &format!("{p}.where"),
                "`where` applies to `count` and `sum` measures only",
                Some("put event conditions in the event set's `filter`".into()),
            );
        }
        if let Some(a) = &m.area_attribute {
            match geography.schema.field_with_name(a) {
                Ok(f) if f.data_type().is_numeric() => {}
                Ok(f) => cx.err(
                    &format!("{p}.area_attribute"),
                    format!(
                        "area attribute `{a}` is {}, expected a number",
                        f.data_type()
                    ),
                    None,
                ),
                Err(_) => {
                    let names = column_names(&geography.schema);
                    cx.err(
                        &format!("{p}.area_attribute"),
                        format!(
                            "`{a}` is not a column of the geography table `{}`",
                            geography.name
                        ),
                        Some(suggest(a, &names)),
                    );
                }
            }
        }
    }
}

fn check_value(cx: &mut Ctx) {
    let def = cx.ind.value.clone();
    let v = &def.value;
    let names: Vec<&str> = def.measures.keys().map(|s| s.as_str()).collect();
    let check_ref = |cx: &mut Ctx, field: &str, r: &Option<String>, required: bool| match r {
        Some(m) if !names.contains(&m.as_str()) => {
            cx.err(
                &format!("value.{field}"),
                format!("unknown measure `{m}`"),
                Some(suggest(m, &names)),
            );
        }
        None if required => cx.err(
            "value",
            format!(
                "value kind `{}` needs a `{field}` measure",
                kind_name(v.kind)
            ),
            None,
        ),
        _ => {}
    };
    check_ref(cx, "numerator", &Some(v.numerator.clone()), true);
    let needs_den = !matches!(v.kind, ValueKind::Count | ValueKind::ExcessPercent);
    check_ref(cx, "denominator", &v.denominator, needs_den);
    check_ref(
        cx,
        "expected",
        &v.expected,
        v.kind == ValueKind::ExcessPercent,
    );
    match (v.kind, v.per) {
        (ValueKind::Rate, None) => cx.err("value", "a `rate` needs `per`, e.g. `per: 1000`", None),
        (ValueKind::Rate, Some(p)) if !(p.is_finite() && p > 0.0) => cx.err(
            "value.per",
            format!("`per: {p}` must be a positive number"),
            None,
        ),
        (k, Some(_)) if k != ValueKind::Rate => {
            cx.err("value.per", "`per` applies to `rate` values only", None)
        }
        _ => {}
    }
}

fn kind_name(k: ValueKind) -> &'static str {
    match k {
        ValueKind::Count => "count",
        ValueKind::Ratio => "ratio",
        ValueKind::Rate => "rate",
        ValueKind::Percentage => "percentage",
        ValueKind::ExcessPercent => "excess_percent",
        ValueKind::PercentChange => "percent_change",
    }
}

fn check_interval(cx: &mut Ctx) {
    let def = cx.ind.value.clone();
    let Some(iv) = &def.interval else { return };
    if let Some(l) = iv.level
        && !(l > 0.5 && l < 1.0)
    {
        cx.err(
            "interval.level",
            format!("confidence level {l} is not between 0.5 and 1"),
            Some("write 0.95 for 95%".into()),
        );
    }
    use crate::definition::IntervalMethod as M;
    match iv.method {
        M::Wilson if def.value.kind != ValueKind::Percentage => {
            cx.err(
                "interval.method",
                "the Wilson interval applies to `percentage` values",
                Some("use `poisson` for counts, rates and ratios".into()),
            );
        }
        M::Poisson if def.value.kind == ValueKind::Percentage => {
            cx.err(
                "interval.method",
                "a percentage of a population takes the `wilson` interval",
                None,
            );
        }
        _ => {}
    }
    if iv.weight.is_some() && iv.method != M::Wilson {
        cx.err(
            "interval.weight",
            "a weight applies to the `wilson` interval only",
            None,
        );
    }
}
