//! Report packs: the DOM quarterly pack of a region, the LAA target
//! report of an area and the national drug strategy report, as one directory holding `index.html` (inline CSS
//! and SVG, printable to A4), `charts/*.svg|png`, `pack.xlsx`,
//! `tables/*.csv` and `manifest.json`.
//!
//! The pack is assembled in memory from a finished [`Report`] and the
//! [`PackScope`] of one pack (the request checked, the LAA and PSA
//! assessments made), with no query and no assessment here, written to a
//! temporary directory beside the destination and renamed only when
//! complete. The one timestamp, when the pack was produced, is
//! `SOURCE_DATE_EPOCH` when set (so rebuilding from the same inputs gives
//! identical bytes), else the time of the run; the extract date is shown
//! apart from it.

mod charts;
mod funnel;
mod html;
mod model;
mod output;
mod revisions;
mod xlsx;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use rayon::prelude::*;

use crate::assess::{LaaLine, PsaRow};
use crate::geography::AreaLevel;
use crate::render::{RenderError, TableFormat, render_table};
use crate::report::{PackInputs, PackScope, Report};

pub use crate::report::Quality;
pub use crate::report::definition::{
    ChartKind, LoadedPackDef, PackDef, PackDefError, PackIndicator, load_pack_def,
    unlisted_indicators,
};
pub use charts::Chart;
pub use model::{Exception, FdrNote, Focus, IndicatorView};
pub use output::{CHROMIUM_ENV, chromium, pack_timestamp, probe_chromium};
pub use revisions::Revision;
pub use xlsx::SHEET_COLUMNS;

/// The engine version written on every pack.
pub const ENGINE_VERSION: &str = env!("CARGO_PKG_VERSION");

impl PackOptions {
    /// These options with `previous` as the earlier edition.
    pub fn with_previous(&self, previous: Option<PathBuf>) -> PackOptions {
        PackOptions {
            previous,
            ..self.clone()
        }
    }
}

/// How a pack is written.
#[derive(Debug, Clone, Default)]
pub struct PackOptions {
    /// An earlier edition of the same pack, to flag revisions.
    pub previous: Option<PathBuf>,
    /// Also print `pack.pdf` with this headless Chromium.
    pub pdf: Option<PathBuf>,
    /// How long printing one pack may take before Chromium is stopped
    /// (`None`: 180 s).
    pub pdf_timeout: Option<std::time::Duration>,
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
    /// `dom`, `laa` or `strategy`.
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
    /// Exceptions, after false-discovery control.
    pub exceptions: Vec<Exception>,
    /// What the false-discovery control did to them.
    pub fdr: FdrNote,
    /// Data quality.
    pub quality: &'a Quality,
    /// Revisions, when `--previous` was given.
    pub revisions: Option<Vec<Revision>>,
    /// The region's LAs (code, name), by name; the regions in the strategy report.
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

fn views_for<'a>(
    report: &'a Report,
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
            let ind = report.catalog.get(&spec.id)?;
            let ps = report.periods.get(&spec.id)?;
            let period =
                model::reporting_period(ind, &ps.computed, &ps.not_yet_available, as_at, quarterly);
            let mut v =
                model::indicator_view(&report.catalog, rows, spec, focus, period, las, !quarterly)?;
            if let (AreaLevel::La, Some(group), Some(p)) = (
                focus.level,
                report
                    .peers
                    .as_ref()
                    .and_then(|g| g.groups.get(&focus.code)),
                v.period,
            ) {
                v.peer_rows = group
                    .members()
                    .filter_map(|m| {
                        rows.iter().find(|r| {
                            r.indicator == spec.id
                                && r.area_level == AreaLevel::La
                                && r.area_code == m
                                && r.period == p
                        })
                    })
                    .collect();
            }
            Some(v)
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
                    ChartKind::Peers => charts::peers_chart(v, focus)?,
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
    /// What false-discovery control did to the exceptions.
    pub fdr: FdrNote,
}

fn assemble(
    mut doc: PackDoc<'_>,
    inputs: &PackInputs,
    stamp: i64,
    opts: &PackOptions,
) -> Result<Pack, RenderError> {
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
        fdr: doc.fdr.clone(),
    })
}

fn focus_of(scope: &PackScope) -> Focus {
    Focus {
        level: scope.level,
        code: scope.code.clone(),
        name: scope.name.clone(),
        region_code: scope.region_code.clone(),
        region_name: scope.region_name.clone(),
    }
}

/// Build the DOM pack of `scope` (from [`Report::dom_scope`]) in memory.
pub fn dom_pack_files(
    report: &Report,
    def: &LoadedPackDef,
    scope: &PackScope,
    opts: &PackOptions,
) -> Result<Pack, RenderError> {
    let quarter = scope.period;
    let as_at = quarter.end();
    let focus = focus_of(scope);
    let la_codes: Vec<String> = scope.las.iter().map(|l| l.0.clone()).collect();
    let views = views_for(
        report,
        &scope.rows,
        &def.def.indicators,
        &focus,
        &la_codes,
        as_at,
        true,
    );
    if !views.iter().any(|v| v.available) {
        return Err(crate::request::RequestError::NothingComputedBy { quarter }.into());
    }
    let (exceptions, fdr) = model::exceptions(&views, &focus, &scope.laa, def.def.fdr());
    let exceptions = sorted_exceptions(exceptions, &focus);
    let charts = charts_for(&views, &focus)?;
    let (stamp, generated) = pack_timestamp()?;
    let doc = PackDoc {
        def: &def.def,
        kind: "dom",
        focus,
        period_label: quarter.to_string(),
        extract_date: report.extract_date,
        as_at,
        generated,
        version: ENGINE_VERSION,
        views,
        charts,
        psa: scope.psa.clone(),
        laa_lines: Vec::new(),
        exceptions,
        fdr,
        quality: &report.inputs.quality,
        revisions: None,
        las: scope.las.clone(),
    };
    assemble(doc, &report.inputs, stamp, opts)
}

fn sorted_exceptions(mut list: Vec<Exception>, focus: &Focus) -> Vec<Exception> {
    // the focus area first, then LAs by name; indicator order kept within
    list.sort_by_key(|e| (e.area_code != focus.code, e.area_name.clone()));
    list
}

/// Build the LAA target report of `scope` (from [`Report::laa_scope`]) in memory.
pub fn laa_pack_files(
    report: &Report,
    def: &LoadedPackDef,
    scope: &PackScope,
    opts: &PackOptions,
) -> Result<Pack, RenderError> {
    let year = scope.period;
    let as_at = year.end();
    let focus = focus_of(scope);
    let la_codes: Vec<String> = scope.las.iter().map(|l| l.0.clone()).collect();
    let lines: Vec<LaaLine> = scope.laa.get(&scope.code).cloned().unwrap_or_default();
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
                charts: vec![ChartKind::Trend, ChartKind::LaComparison, ChartKind::Peers],
            });
        }
    }
    let views = views_for(report, &scope.rows, &specs, &focus, &la_codes, as_at, false);
    let (exceptions, fdr) = model::exceptions(&views, &focus, &scope.laa, def.def.fdr());
    let exceptions = sorted_exceptions(exceptions, &focus);
    let charts = charts_for(&views, &focus)?;
    let (stamp, generated) = pack_timestamp()?;
    let doc = PackDoc {
        def: &def.def,
        kind: "laa",
        focus,
        period_label: year.to_string(),
        extract_date: report.extract_date,
        as_at,
        generated,
        version: ENGINE_VERSION,
        views,
        charts,
        psa: Vec::new(),
        laa_lines: lines,
        exceptions,
        fdr,
        quality: &report.inputs.quality,
        revisions: None,
        las: scope.las.clone(),
    };
    assemble(doc, &report.inputs, stamp, opts)
}

/// Build the national drug strategy report of `scope` (from
/// [`Report::strategy_scope`]) in memory: England and Wales is the focus,
/// every region is compared with it (the region rows stand where a DOM pack
/// has its LAs).
pub fn strategy_pack_files(
    report: &Report,
    def: &LoadedPackDef,
    scope: &PackScope,
    opts: &PackOptions,
) -> Result<Pack, RenderError> {
    let year = scope.period;
    let as_at = year.end();
    let rows = &scope.rows;
    let focus = focus_of(scope);
    let regions = &scope.las;
    let mut views = views_for(report, rows, &def.def.indicators, &focus, &[], as_at, false);
    // a national report shows each indicator at its latest period with an
    // England and Wales value (a survey not repeated every year, NI42)
    for v in &mut views {
        if v.national.is_some_and(|n| n.value.is_some()) {
            continue;
        }
        let Some(p) = v.period else { continue };
        let latest = rows
            .iter()
            .filter(|r| {
                r.indicator == v.ind.def.id
                    && r.area_level == crate::geography::AreaLevel::National
                    && r.value.is_some()
            })
            .map(|r| r.period)
            .filter(|q| q.grain() == p.grain() && q.end() < p.end())
            .max_by_key(|q| q.end());
        if let Some(q) = latest
            && let Some(nv) = model::indicator_view(
                &report.catalog,
                rows,
                &v.spec,
                &focus,
                Some((q, true)),
                &[],
                false,
            )
        {
            *v = nv;
        }
    }
    for v in &mut views {
        model::regions_in_place_of_las(v, rows, regions, as_at);
    }
    if !views.iter().any(|v| v.available) {
        return Err(crate::request::RequestError::NothingComputedByYear { year }.into());
    }
    // the report lists no exceptions: the note is that of an empty family
    let (exceptions, fdr) = model::exceptions(&[], &focus, &BTreeMap::new(), def.def.fdr());
    let charts = charts_for(&views, &focus)?;
    let (stamp, generated) = pack_timestamp()?;
    let doc = PackDoc {
        def: &def.def,
        kind: "strategy",
        focus,
        period_label: year.to_string(),
        extract_date: report.extract_date,
        as_at,
        generated,
        version: ENGINE_VERSION,
        views,
        charts,
        psa: scope.psa.clone(),
        laa_lines: Vec::new(),
        exceptions,
        fdr,
        quality: &report.inputs.quality,
        revisions: None,
        las: regions.clone(),
    };
    assemble(doc, &report.inputs, stamp, opts)
}

/// Write one pack to `out` (temporary directory, then rename).
pub fn write_pack(out: &Path, pack: &Pack, opts: &PackOptions) -> Result<PackSummary, RenderError> {
    let pdf = output::write_dir(out, &[(String::new(), &pack.files)], opts)?;
    Ok(PackSummary {
        out: out.to_path_buf(),
        files: pack.files.len() + pdf,
        exceptions: pack.exceptions,
    })
}

/// Write packs built in memory, each into `out/<its directory>/`, together:
/// into a temporary directory beside `out`, renamed to `out` when all are
/// written (and printed, with `--pdf`). How many PDFs were printed.
pub fn write_set(
    out: &Path,
    packs: &[(String, Pack)],
    opts: &PackOptions,
) -> Result<usize, RenderError> {
    let parts: Vec<(String, &PackFiles)> =
        packs.iter().map(|(d, p)| (d.clone(), &p.files)).collect();
    output::write_dir(out, &parts, opts)
}

/// Build the DOM packs of `scopes` (from [`Report::dom_scopes_all`]) in
/// parallel into `out/<region>/`, calling `progress` after each; written
/// together, renamed when all are done. With `previous` (by region code),
/// each pack is compared with its own earlier edition, where there is one,
/// instead of with `opts.previous`.
pub fn write_dom_packs_all(
    report: &Report,
    def: &LoadedPackDef,
    scopes: &[PackScope],
    out: &Path,
    opts: &PackOptions,
    previous: Option<&BTreeMap<String, Option<PathBuf>>>,
    progress: &(dyn Fn(&str) + Sync),
) -> Result<Vec<PackSummary>, RenderError> {
    let built: Vec<Result<(String, Pack), RenderError>> = scopes
        .par_iter()
        .map(|s| {
            let own;
            let opts = match previous {
                Some(p) => {
                    own = opts.with_previous(p.get(&s.code).cloned().flatten());
                    &own
                }
                None => opts,
            };
            let f = dom_pack_files(report, def, s, opts)?;
            progress(&s.code);
            Ok((s.code.clone(), f))
        })
        .collect();
    let built: Vec<(String, Pack)> = built.into_iter().collect::<Result<_, _>>()?;
    let parts: Vec<(String, &PackFiles)> =
        built.iter().map(|(r, p)| (r.clone(), &p.files)).collect();
    let pdf = output::write_dir(out, &parts, opts)? / built.len().max(1);
    Ok(built
        .iter()
        .map(|(r, p)| PackSummary {
            out: out.join(r),
            files: p.files.len() + pdf,
            exceptions: p.exceptions,
        })
        .collect())
}
