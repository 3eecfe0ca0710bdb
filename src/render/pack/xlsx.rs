//! `pack.xlsx`: a scorecard sheet, one sheet per indicator with its table
//! (numbers at full precision, formatted to the indicator's decimals, `*`
//! for suppressed figures, frozen header, column widths) and a notes
//! sheet. The document's creation time is the pack's fixed timestamp and
//! rust_xlsxwriter fixes the zip entries' times, so rebuilds are identical.

use rust_xlsxwriter::{DocProperties, ExcelDateTime, Format, Workbook, Worksheet, XlsxError};

use crate::assess::ResultRow;
use crate::render::RenderError;

use super::PackDoc;
use super::model::IndicatorView;

fn enc(e: XlsxError) -> RenderError {
    RenderError::Encode {
        format: "xlsx",
        message: e.to_string(),
    }
}

/// Columns of an indicator sheet (a subset of the results table, in its order).
pub const SHEET_COLUMNS: &[&str] = &[
    "area_level",
    "area_code",
    "area_name",
    "period",
    "numerator",
    "denominator",
    "expected",
    "value",
    "ci_lower",
    "ci_upper",
    "ci998_lower",
    "ci998_upper",
    "baseline_period",
    "baseline_value",
    "change",
    "significant",
    "target",
    "status",
    "vs_region",
    "vs_national",
    "trend",
    "suppressed",
    "vs_peers",
    "peer_rank",
];

/// A sheet name Excel accepts: at most 31 characters, none of `[]:*?/\`.
pub fn sheet_name(id: &str) -> String {
    id.chars()
        .map(|c| if "[]:*?/\\".contains(c) { '_' } else { c })
        .take(31)
        .collect()
}

enum Cell {
    Text(String),
    Number(f64, Format),
    Empty,
}

fn row_cells(r: &ResultRow, value_fmt: &Format, count_fmt: &Format) -> Vec<Cell> {
    let s = r.suppressed;
    let n = |v: Option<f64>, f: &Format| match v.filter(|x| x.is_finite()) {
        Some(x) => Cell::Number(x, f.clone()),
        None if s => Cell::Text("*".into()),
        None => Cell::Empty,
    };
    fn t<T: std::fmt::Display>(v: Option<T>) -> Cell {
        match v.map(|x| x.to_string()) {
            Some(x) if !x.is_empty() => Cell::Text(x),
            _ => Cell::Empty,
        }
    }
    vec![
        Cell::Text(r.area_level.as_str().into()),
        Cell::Text(r.area_code.clone()),
        Cell::Text(r.area_name.clone()),
        Cell::Text(r.period.to_string()),
        n(r.numerator, count_fmt),
        n(r.denominator, count_fmt),
        n(r.expected, count_fmt),
        n(r.value, value_fmt),
        n(r.ci_lower, value_fmt),
        n(r.ci_upper, value_fmt),
        n(r.ci998_lower, value_fmt),
        n(r.ci998_upper, value_fmt),
        t(r.baseline_period),
        n(r.baseline_value, value_fmt),
        n(r.change, value_fmt),
        t(r.significant.map(|b| if b { "true" } else { "false" })),
        n(r.target, value_fmt),
        t(r.status),
        t(r.vs_region),
        t(r.vs_national),
        t(r.trend),
        Cell::Text(r.suppressed.to_string()),
        t(r.vs_peers),
        t(r.peer_rank.map(|(k, of)| format!("{k} of {of}"))),
    ]
}

fn decimals_format(d: u8) -> Format {
    if d == 0 {
        Format::new().set_num_format("#,##0")
    } else {
        Format::new().set_num_format(format!("#,##0.{}", "0".repeat(d as usize)))
    }
}

fn header(ws: &mut Worksheet, cols: &[&str], bold: &Format) -> Result<(), XlsxError> {
    for (c, name) in cols.iter().enumerate() {
        ws.write_string_with_format(0, c as u16, *name, bold)?;
    }
    ws.set_freeze_panes(1, 0)?;
    Ok(())
}

fn indicator_sheet(
    ws: &mut Worksheet,
    v: &IndicatorView<'_>,
    bold: &Format,
) -> Result<(), XlsxError> {
    ws.set_name(sheet_name(&v.ind.def.id))?;
    header(ws, SHEET_COLUMNS, bold)?;
    let value_fmt = decimals_format(v.ind.def.decimals);
    let weighted = v
        .ind
        .def
        .interval
        .as_ref()
        .is_some_and(|i| i.weight.is_some());
    let count_fmt = decimals_format(if weighted { 1 } else { 0 });
    let mut widths: Vec<usize> = SHEET_COLUMNS.iter().map(|c| c.len()).collect();
    for (i, r) in v.table_rows.iter().enumerate() {
        let row = (i + 1) as u32;
        for (c, cell) in row_cells(r, &value_fmt, &count_fmt).into_iter().enumerate() {
            let col = c as u16;
            match cell {
                Cell::Text(s) => {
                    widths[c] = widths[c].max(s.chars().count());
                    ws.write_string(row, col, s)?;
                }
                Cell::Number(x, f) => {
                    widths[c] = widths[c].max(12);
                    ws.write_number_with_format(row, col, x, &f)?;
                }
                Cell::Empty => {}
            }
        }
    }
    for (c, w) in widths.iter().enumerate() {
        ws.set_column_width(c as u16, (*w as f64 + 2.0).min(60.0))?;
    }
    if !v.table_rows.is_empty() {
        ws.autofilter(
            0,
            0,
            v.table_rows.len() as u32,
            (SHEET_COLUMNS.len() - 1) as u16,
        )?;
    }
    Ok(())
}

fn scorecard_sheet(ws: &mut Worksheet, doc: &PackDoc<'_>, bold: &Format) -> Result<(), XlsxError> {
    ws.set_name("Scorecard")?;
    if doc.kind == "strategy" {
        strategy_scorecard(ws, doc, bold)?;
    } else if doc.kind == "laa" {
        let cols = [
            "indicator",
            "title",
            "baseline_period",
            "baseline_value",
            "latest_period",
            "latest_value",
            "ci_lower",
            "ci_upper",
            "target",
            "trajectory",
            "significant",
            "status",
        ];
        header(ws, &cols, bold)?;
        for (i, l) in doc.laa_lines.iter().enumerate() {
            let r = (i + 1) as u32;
            let f = decimals_format(super::model::shown_decimals(
                l.decimals,
                Some(l.baseline_value),
            ));
            ws.write_string(r, 0, &l.indicator)?;
            ws.write_string(r, 1, &l.title)?;
            ws.write_string(r, 2, &l.baseline_period)?;
            ws.write_number_with_format(r, 3, l.baseline_value, &f)?;
            if let Some(p) = &l.latest_period {
                ws.write_string(r, 4, p.to_string())?;
            }
            for (c, v) in [
                (5, l.latest_value),
                (6, l.ci_lower),
                (7, l.ci_upper),
                (8, l.target),
                (9, l.trajectory),
            ] {
                if let Some(x) = v.filter(|x| x.is_finite()) {
                    ws.write_number_with_format(r, c, x, &f)?;
                }
            }
            if let Some(s) = l.significant {
                ws.write_string(r, 10, s.to_string())?;
            }
            ws.write_string(r, 11, l.status.to_string())?;
        }
        for (c, w) in [12, 50, 16, 14, 14, 12, 12, 12, 12, 12, 12, 18]
            .iter()
            .enumerate()
        {
            ws.set_column_width(c as u16, *w)?;
        }
    } else {
        let cols = ["psa", "title", "year", "progress", "indicators"];
        header(ws, &cols, bold)?;
        for (i, p) in doc.psa.iter().enumerate() {
            let r = (i + 1) as u32;
            ws.write_string(r, 0, &p.psa)?;
            ws.write_string(r, 1, &p.title)?;
            ws.write_string(r, 2, p.period.to_string())?;
            ws.write_string(r, 3, p.progress.to_string())?;
            let members: Vec<String> = p
                .indicators
                .iter()
                .map(|(id, s)| match s {
                    None => id.clone(),
                    Some(s) => format!("{id}: {s}"),
                })
                .collect();
            ws.write_string(r, 4, members.join("; "))?;
        }
        for (c, w) in [8, 50, 10, 18, 70].iter().enumerate() {
            ws.set_column_width(c as u16, *w)?;
        }
    }
    Ok(())
}

/// The Strategic Outcomes, then the contributing measures: England and
/// Wales at each indicator's reporting period.
fn strategy_scorecard(
    ws: &mut Worksheet,
    doc: &PackDoc<'_>,
    bold: &Format,
) -> Result<(), XlsxError> {
    let cols = [
        "indicator",
        "title",
        "role",
        "period",
        "baseline_period",
        "baseline_value",
        "value",
        "ci_lower",
        "ci_upper",
        "target",
        "status",
    ];
    header(ws, &cols, bold)?;
    let listed = doc
        .def
        .outcomes
        .iter()
        .map(|id| (id, "outcome"))
        .chain(doc.def.contributing.iter().map(|id| (id, "contributing")));
    let mut r = 0u32;
    for (id, role) in listed {
        let Some(v) = doc.views.iter().find(|v| &v.ind.def.id == id) else {
            continue;
        };
        r += 1;
        let f = decimals_format(v.decimals);
        ws.write_string(r, 0, id)?;
        ws.write_string(r, 1, &v.ind.def.title)?;
        ws.write_string(r, 2, role)?;
        let Some(n) = v.national else {
            if let Some(p) = v.period {
                ws.write_string(r, 3, p.to_string())?;
            }
            ws.write_string(
                r,
                10,
                if v.available {
                    "no data"
                } else {
                    "not yet available"
                },
            )?;
            continue;
        };
        ws.write_string(r, 3, n.period.to_string())?;
        if let Some(b) = &n.baseline_period {
            ws.write_string(r, 4, b.to_string())?;
        }
        for (c, x) in [
            (5, n.baseline_value),
            (6, n.value),
            (7, n.ci_lower),
            (8, n.ci_upper),
            (9, n.target),
        ] {
            if let Some(x) = x.filter(|x| x.is_finite()) {
                ws.write_number_with_format(r, c, x, &f)?;
            }
        }
        ws.write_string(r, 10, n.status.map(|s| s.as_str()).unwrap_or(""))?;
    }
    for (c, w) in [14, 50, 14, 12, 16, 14, 12, 12, 12, 12, 18]
        .iter()
        .enumerate()
    {
        ws.set_column_width(c as u16, *w)?;
    }
    Ok(())
}

fn notes_sheet(ws: &mut Worksheet, doc: &PackDoc<'_>, bold: &Format) -> Result<(), XlsxError> {
    ws.set_name("Notes")?;
    let mut lines: Vec<(String, String)> = vec![
        ("Pack".into(), doc.def.title.clone()),
        ("Area".into(), format!("{} ({})", doc.focus.name, doc.focus.code)),
        ("Period".into(), doc.period_label.clone()),
        ("Extract date".into(), doc.extract_date.to_string()),
        ("Produced".into(), doc.generated.clone()),
        ("Engine".into(), format!("pireport {}", doc.version)),
        (
            "Suppression".into(),
            "* marks a figure withheld by disclosure control: a count from 1 to 4 (or the definition's threshold), or the next smallest LA of the region".into(),
        ),
        (
            "Numbers".into(),
            "Cells hold full-precision values; the display format shows each indicator's decimals".into(),
        ),
    ];
    for v in &doc.views {
        lines.push((
            v.ind.def.id.clone(),
            format!(
                "{} ({}): reported for {}",
                v.ind.def.title,
                v.ind.def.units,
                v.period
                    .map(|p| p.to_string())
                    .unwrap_or_else(|| "no period".into())
            ),
        ));
    }
    for n in &doc.quality.notes {
        lines.push(("Note".into(), n.clone()));
    }
    header(ws, &["item", "detail"], bold)?;
    for (i, (k, v)) in lines.iter().enumerate() {
        ws.write_string((i + 1) as u32, 0, k)?;
        ws.write_string((i + 1) as u32, 1, v)?;
    }
    ws.set_column_width(0, 16)?;
    ws.set_column_width(1, 120)?;
    Ok(())
}

/// The workbook's bytes; `created` is seconds since the Unix epoch.
pub fn render_xlsx(doc: &PackDoc<'_>, created: i64) -> Result<Vec<u8>, RenderError> {
    let mut wb = Workbook::new();
    let when = ExcelDateTime::from_timestamp(created).map_err(enc)?;
    let props = DocProperties::new()
        .set_title(format!(
            "{}: {}, {}",
            doc.def.title, doc.focus.name, doc.period_label
        ))
        .set_author("pireport")
        .set_creation_datetime(&when);
    wb.set_properties(&props);
    let bold = Format::new().set_bold();
    scorecard_sheet(wb.add_worksheet(), doc, &bold).map_err(enc)?;
    for v in &doc.views {
        indicator_sheet(wb.add_worksheet(), v, &bold).map_err(enc)?;
    }
    notes_sheet(wb.add_worksheet(), doc, &bold).map_err(enc)?;
    wb.save_to_buffer().map_err(enc)
}
