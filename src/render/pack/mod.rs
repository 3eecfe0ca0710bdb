//! Report packs: the DOM quarterly pack of a region and the LAA target
//! report of an area, as one directory holding `index.html` (inline CSS
//! and SVG, printable to A4), `charts/*.svg|png`, `pack.xlsx`,
//! `tables/*.csv` and `manifest.json`.
//!
//! The pack is assembled in memory from a finished [`Run`] and the
//! [`PackInputs`] read beside it (row counts, compiled SQL, file hashes:
//! see `quality.rs`), written to a temporary directory beside the
//! destination and renamed only when complete. Nothing depends on the
//! wall clock: the one timestamp is `SOURCE_DATE_EPOCH` when set, else the
//! extract date, so rebuilding from the same inputs gives identical bytes.

mod charts;
mod definition;
mod funnel;
mod html;
mod model;
mod output;
mod quality;
mod revisions;
mod xlsx;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use chrono::{Datelike, NaiveDate};
use rayon::prelude::*;

use crate::assess::{LaaLine, PsaRow, laa_report, psa_progress_rows};
use crate::execute::AreaLevel;
use crate::period::{Grain, Period};
use crate::render::{RenderError, TableFormat, render_table};
use crate::{Error, Run};

pub use charts::{Chart, chart_stem};
pub use definition::{
    ChartKind, EXTRACT_KEYS_FILE, ExtractKeys, LoadedPackDef, PackDef, PackIndicator, SectionKind,
    load_extract_keys, load_pack_def,
};
pub use model::{Exception, Focus, IndicatorView};
pub use output::{CHROMIUM_ENV, CHROMIUM_FLAGS, check_out, chromium, pack_timestamp};
pub use quality::{PackInputs, Quality, TableCount, gather_pack_inputs, hex};
pub use revisions::{COMPARED, Revision};
pub use xlsx::{SHEET_COLUMNS, sheet_name};

/// The engine version written on every pack.
pub const ENGINE_VERSION: &str = env!("CARGO_PKG_VERSION");

/// How a pack is written.
#[derive(Debug, Clone, Default)]
pub struct PackOptions {
    /// An earlier edition of the same pack, to flag revisions.
    pub previous: Option<PathBuf>,
    /// Also print `pack.pdf` with this headless Chromium.
    pub pdf: Option<PathBuf>,
}

/// What was written.
#[derive(Debug, Clone, PartialEq)]
pub struct PackSummary {
    /// The pack directory.
    pub out: PathBuf,
    /// Files written (per pack), `pack.pdf` included.
    pub files: usize,
    /// Exceptions listed.
    pub exceptions: usize,
}

/// The charts of one page, in order, or why each is missing.
pub type PageCharts = Vec<(ChartKind, Result<Chart, String>)>;

/// Everything one pack shows; the HTML and XLSX writers read only this.
pub struct PackDoc<'a> {
    /// The pack definition.
    pub def: &'a PackDef,
    /// `dom` or `laa`.
    pub kind: &'static str,
    /// The area the pack is about.
    pub focus: Focus,
    /// `2009-10 Q2` or `2009-10`.
    pub period_label: String,
    /// The extract date.
    pub extract_date: NaiveDate,
    /// The last day of the pack's period: nothing later is shown.
    pub as_at: NaiveDate,
    /// The pack's timestamp, as text.
    pub generated: String,
    /// Engine version.
    pub version: &'static str,
    /// Indicator pages.
    pub views: Vec<IndicatorView<'a>>,
    /// Charts per indicator id, in page order, or why a chart is missing.
    pub charts: BTreeMap<String, PageCharts>,
    /// PSA progress rows.
    pub psa: Vec<PsaRow>,
    /// LAA lines (LAA packs).
    pub laa_lines: Vec<LaaLine>,
    /// Exceptions.
    pub exceptions: Vec<Exception>,
    /// Data quality.
    pub quality: &'a Quality,
    /// Revisions, when `--previous` was given.
    pub revisions: Option<Vec<Revision>>,
    /// The region's LAs (code, name), by name.
    pub las: Vec<(String, String)>,
}

/// A file name made of `[A-Za-z0-9._-]` only.
pub fn safe_name(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-') {
                c
            } else {
                '_'
            }
        })
        .collect()
}

/// Refuse an area code that could escape the output directory or is not a code.
pub fn check_code(what: &str, code: &str) -> Result<(), Error> {
    let ok = !code.is_empty()
        && code.len() <= 32
        && code.chars().all(|c| c.is_ascii_alphanumeric() || c == '+');
    if ok {
        Ok(())
    } else {
        Err(Error::Request {
            message: format!(
                "`{code}` is not a GSS {what} code: give a code of letters and digits, e.g. E12000001"
            ),
        })
    }
}

fn unknown(what: &str, code: &str, known: &[&str], example: &str) -> Error {
    let s = crate::validate::expr::suggest(code, known);
    let hint = if s.starts_with("did you mean") {
        s
    } else {
        format!("give the GSS code of a {what}, e.g. {example}")
    };
    Error::Request {
        message: format!("unknown {what} `{code}`: {hint}"),
    }
}

/// Parse `--quarter` and check it lies inside the extract and has ended.
pub fn resolve_quarter(run: &Run, quarter: &str) -> Result<Period, Error> {
    let p = Period::parse_for(quarter, Grain::Quarter).map_err(|_| Error::Request {
        message: format!("`{quarter}` is not a quarter: write e.g. --quarter \"2009-10 Q2\""),
    })?;
    let (start, end) = (run.session.coverage_start, run.session.extract_date);
    if p.start() < start {
        return Err(Error::Request {
            message: format!(
                "{p} is outside the data: the extract covers {start} to {end}; choose a quarter from {}",
                first_quarter(start)
            ),
        });
    }
    if p.end() > end {
        return Err(Error::Request {
            message: format!(
                "{p} is not yet available: the extract is dated {end}; the latest quarter is {}",
                last_quarter(end)
            ),
        });
    }
    Ok(p)
}

fn first_quarter(d: NaiveDate) -> String {
    Period::all_within(Grain::Quarter, d, d + chrono::Days::new(200))
        .first()
        .map(|p| p.to_string())
        .unwrap_or_default()
}

fn last_quarter(d: NaiveDate) -> String {
    Period::all_within(Grain::Quarter, d - chrono::Days::new(200), d)
        .last()
        .map(|p| p.to_string())
        .unwrap_or_default()
}

/// Parse `--year` for an LAA report of `area`.
pub fn resolve_year(run: &Run, area: &str, year: &str) -> Result<Period, Error> {
    let y = match year.parse::<Period>() {
        Ok(p @ Period::FinancialYear(_)) => p,
        _ => {
            return Err(Error::Request {
                message: format!("`{year}` is not a financial year: write e.g. --year 2009-10"),
            });
        }
    };
    let years = LaaLine::target_years(&run.catalog, area);
    if !years.contains(&y) {
        let list: Vec<String> = years.iter().map(|p| p.to_string()).collect();
        return Err(Error::Request {
            message: format!(
                "{area} has no LAA targets for {y}: choose one of {}",
                if list.is_empty() {
                    "(none: the area has no targets)".into()
                } else {
                    list.join(", ")
                }
            ),
        });
    }
    if y.start() > run.session.extract_date {
        return Err(Error::Request {
            message: format!(
                "{y} is not yet available: the extract is dated {}",
                run.session.extract_date
            ),
        });
    }
    Ok(y)
}

/// Check `--area` (an LA code) and return its name.
pub fn resolve_area(run: &Run, area: &str) -> Result<String, Error> {
    check_code("area", area)?;
    match run.session.areas.las.get(area) {
        Some(a) => Ok(a.name.clone()),
        None => {
            let known: Vec<&str> = run.session.areas.las.keys().map(|s| s.as_str()).collect();
            Err(unknown("area", area, &known, "E08000003"))
        }
    }
}

/// Check `--region` and return its name.
pub fn resolve_region(run: &Run, region: &str) -> Result<String, Error> {
    check_code("region", region)?;
    let regions = run.session.areas.regions();
    match regions.get(region) {
        Some(n) => Ok(n.clone()),
        None => {
            let known: Vec<&str> = regions.keys().map(|s| s.as_str()).collect();
            Err(unknown("region", region, &known, "E12000001"))
        }
    }
}

fn views_for<'a>(
    run: &'a Run,
    rows: &'a [crate::assess::ResultRow],
    specs: &[PackIndicator],
    focus: &Focus,
    las: &[String],
    as_at: NaiveDate,
    quarterly: bool,
) -> Vec<IndicatorView<'a>> {
    specs
        .iter()
        .filter_map(|spec| {
            let ind = run.catalog.get(&spec.id)?;
            let ps = run.execution.periods.get(&spec.id)?;
            let period =
                model::reporting_period(ind, &ps.computed, &ps.not_yet_available, as_at, quarterly);
            model::indicator_view(&run.catalog, rows, spec, focus, period, las, !quarterly)
        })
        .collect()
}

fn charts_for(
    views: &[IndicatorView<'_>],
    focus: &Focus,
) -> Result<BTreeMap<String, PageCharts>, RenderError> {
    let per_view: Vec<Result<(String, PageCharts), RenderError>> = views
        .par_iter()
        .map(|v| {
            let mut out = Vec::new();
            for kind in &v.spec.charts {
                let c = match kind {
                    ChartKind::Trend => charts::trend_chart(v, focus)?
                        .ok_or_else(|| "no values since baseline".to_string()),
                    ChartKind::LaComparison => charts::comparison_chart(v, focus)?
                        .ok_or_else(|| "no local authority values to compare".to_string()),
                    ChartKind::Funnel => funnel::funnel_chart(v, focus)?,
                };
                out.push((*kind, c));
            }
            Ok((v.ind.def.id.clone(), out))
        })
        .collect();
    per_view.into_iter().collect()
}

/// The files of one pack: relative path -> bytes.
pub type PackFiles = BTreeMap<String, Vec<u8>>;

/// One pack built in memory, ready to write.
#[derive(Debug, Clone, PartialEq)]
pub struct Pack {
    /// Relative path -> bytes.
    pub files: PackFiles,
    /// Exceptions listed (area and indicator pairs).
    pub exceptions: usize,
}

fn assemble(
    mut doc: PackDoc<'_>,
    inputs: &PackInputs,
    stamp: i64,
    opts: &PackOptions,
) -> Result<Pack, Error> {
    let mut files = PackFiles::new();
    let mut csv = BTreeMap::new();
    for v in &doc.views {
        let rows: Vec<crate::assess::ResultRow> =
            v.table_rows.iter().map(|r| (*r).clone()).collect();
        let bytes = render_table(&rows, TableFormat::Csv)?;
        csv.insert(
            v.ind.def.id.clone(),
            String::from_utf8_lossy(&bytes).to_string(),
        );
        files.insert(format!("tables/{}.csv", safe_name(&v.ind.def.id)), bytes);
    }
    if let Some(prev) = &opts.previous {
        let list = revisions::revisions(prev, &csv)?;
        files.insert("revisions.csv".into(), revisions::revisions_csv(&list));
        doc.revisions = Some(list);
    }
    for charts in doc.charts.values() {
        for (_, c) in charts {
            if let Ok(c) = c {
                files.insert(format!("charts/{}.svg", c.stem), c.svg.clone().into_bytes());
                files.insert(format!("charts/{}.png", c.stem), c.png.clone());
            }
        }
    }
    files.insert("index.html".into(), html::render_html(&doc).into_bytes());
    files.insert("pack.xlsx".into(), xlsx::render_xlsx(&doc, stamp)?);
    let manifest = output::manifest(&doc, inputs, &files)?;
    files.insert("manifest.json".into(), manifest);
    Ok(Pack {
        files,
        exceptions: doc.exceptions.len(),
    })
}

/// Build the DOM pack of `region` for `quarter` in memory.
pub fn dom_pack_files(
    run: &Run,
    def: &LoadedPackDef,
    inputs: &PackInputs,
    region: &str,
    quarter: Period,
    opts: &PackOptions,
) -> Result<Pack, Error> {
    let region_name = resolve_region(run, region)?;
    let as_at = quarter.end();
    let rows = model::rows_to(&run.rows, as_at);
    let focus = Focus {
        level: AreaLevel::Region,
        code: region.to_string(),
        name: region_name.clone(),
        region_code: region.to_string(),
        region_name,
    };
    let mut las: Vec<(String, String)> = run
        .session
        .areas
        .in_region(region)
        .map(|a| (a.code.clone(), a.name.clone()))
        .collect();
    las.sort_by(|a, b| (&a.1, &a.0).cmp(&(&b.1, &b.0)));
    let la_codes: Vec<String> = las.iter().map(|l| l.0.clone()).collect();
    let views = views_for(
        run,
        &rows,
        &def.def.indicators,
        &focus,
        &la_codes,
        as_at,
        true,
    );
    if !views.iter().any(|v| v.available) {
        return Err(Error::Request {
            message: format!(
                "{quarter} is not yet available: no indicator of the pack has a computed period by then"
            ),
        });
    }
    let fy = match quarter {
        Period::Quarter { fy, .. } => Period::FinancialYear(fy),
        p => p,
    };
    let mut laa = BTreeMap::new();
    for code in &la_codes {
        if LaaLine::target_years(&run.catalog, code).contains(&fy) {
            laa.insert(code.clone(), laa_report(&run.catalog, &rows, code, fy));
        }
    }
    let exceptions = sorted_exceptions(model::exceptions(&views, &focus, &laa), &focus);
    let fy_start = match fy {
        Period::FinancialYear(y) => y,
        _ => as_at.year(),
    };
    let psa: Vec<PsaRow> = psa_progress_rows(&run.catalog, &rows)
        .into_iter()
        .filter(|r| match r.period.parse::<Period>() {
            Ok(Period::FinancialYear(y)) => (2008..=fy_start).contains(&y),
            _ => false,
        })
        .collect();
    let charts = charts_for(&views, &focus)?;
    let (_, generated) = pack_timestamp(run.session.extract_date)?;
    let doc = PackDoc {
        def: &def.def,
        kind: "dom",
        focus,
        period_label: quarter.to_string(),
        extract_date: run.session.extract_date,
        as_at,
        generated,
        version: ENGINE_VERSION,
        views,
        charts,
        psa,
        laa_lines: Vec::new(),
        exceptions,
        quality: &inputs.quality,
        revisions: None,
        las,
    };
    let (stamp, _) = pack_timestamp(run.session.extract_date)?;
    assemble(doc, inputs, stamp, opts)
}

fn sorted_exceptions(mut list: Vec<Exception>, focus: &Focus) -> Vec<Exception> {
    // the focus area first, then LAs by name; indicator order kept within
    list.sort_by_key(|e| (e.area_code != focus.code, e.area_name.clone()));
    list
}

/// Build the LAA target report of `area` for financial year `year` in memory.
pub fn laa_pack_files(
    run: &Run,
    def: &LoadedPackDef,
    inputs: &PackInputs,
    area: &str,
    year: Period,
    opts: &PackOptions,
) -> Result<Pack, Error> {
    check_code("area", area)?;
    let Some(la) = run.session.areas.las.get(area) else {
        let known: Vec<&str> = run.session.areas.las.keys().map(|s| s.as_str()).collect();
        return Err(unknown("area", area, &known, "E08000003"));
    };
    let as_at = year.end();
    let rows = model::rows_to(&run.rows, as_at);
    let focus = Focus {
        level: AreaLevel::La,
        code: la.code.clone(),
        name: la.name.clone(),
        region_code: la.region_code.clone(),
        region_name: la.region_name.clone(),
    };
    let mut las: Vec<(String, String)> = run
        .session
        .areas
        .in_region(&la.region_code)
        .map(|a| (a.code.clone(), a.name.clone()))
        .collect();
    las.sort_by(|a, b| (&a.1, &a.0).cmp(&(&b.1, &b.0)));
    let la_codes: Vec<String> = las.iter().map(|l| l.0.clone()).collect();
    let lines = laa_report(&run.catalog, &rows, area, year);
    let designated: Vec<&str> = lines.iter().map(|l| l.indicator.as_str()).collect();
    let mut specs: Vec<PackIndicator> = def
        .def
        .indicators
        .iter()
        .filter(|p| designated.contains(&p.id.as_str()))
        .cloned()
        .collect();
    for id in &designated {
        if !specs.iter().any(|s| s.id == *id) {
            specs.push(PackIndicator {
                id: id.to_string(),
                charts: vec![ChartKind::Trend, ChartKind::LaComparison],
            });
        }
    }
    let views = views_for(run, &rows, &specs, &focus, &la_codes, as_at, false);
    let mut laa = BTreeMap::new();
    laa.insert(area.to_string(), lines.clone());
    let exceptions = sorted_exceptions(model::exceptions(&views, &focus, &laa), &focus);
    let charts = charts_for(&views, &focus)?;
    let (stamp, generated) = pack_timestamp(run.session.extract_date)?;
    let doc = PackDoc {
        def: &def.def,
        kind: "laa",
        focus,
        period_label: year.to_string(),
        extract_date: run.session.extract_date,
        as_at,
        generated,
        version: ENGINE_VERSION,
        views,
        charts,
        psa: Vec::new(),
        laa_lines: lines,
        exceptions,
        quality: &inputs.quality,
        revisions: None,
        las,
    };
    assemble(doc, inputs, stamp, opts)
}

/// Write one pack to `out` (temporary directory, then rename).
pub fn write_pack(out: &Path, pack: &Pack, opts: &PackOptions) -> Result<PackSummary, Error> {
    let pdf = output::write_dir(out, &[(String::new(), &pack.files)], opts.pdf.as_deref())?;
    Ok(PackSummary {
        out: out.to_path_buf(),
        files: pack.files.len() + pdf,
        exceptions: pack.exceptions,
    })
}

/// Build the DOM packs of every region in parallel into `out/<region>/`,
/// calling `progress` after each; written together, renamed when all are done.
pub fn write_dom_packs_all(
    run: &Run,
    def: &LoadedPackDef,
    inputs: &PackInputs,
    quarter: Period,
    out: &Path,
    opts: &PackOptions,
    progress: &(dyn Fn(&str) + Sync),
) -> Result<Vec<PackSummary>, Error> {
    let regions: Vec<String> = run.session.areas.regions().into_keys().collect();
    let built: Vec<Result<(String, Pack), Error>> = regions
        .par_iter()
        .map(|r| {
            let f = dom_pack_files(run, def, inputs, r, quarter, opts)?;
            progress(r);
            Ok((r.clone(), f))
        })
        .collect();
    let built: Vec<(String, Pack)> = built.into_iter().collect::<Result<_, _>>()?;
    let parts: Vec<(String, &PackFiles)> =
        built.iter().map(|(r, p)| (r.clone(), &p.files)).collect();
    let pdf = output::write_dir(out, &parts, opts.pdf.as_deref())? / built.len().max(1);
    Ok(built
        .iter()
        .map(|(r, p)| PackSummary {
            out: out.join(r),
            files: p.files.len() + pdf,
            exceptions: p.exceptions,
        })
        .collect())
}
