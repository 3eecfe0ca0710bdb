//! `index.html`: one self-contained file (inline CSS and SVG, no network
//! references) that prints to A4, exception-first.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use crate::assess::{LaaLine, PsaRow, ResultRow};

use super::PackDoc;
use super::charts::Chart;
use super::definition::{ChartKind, SectionKind};
use super::model::{Exception, IndicatorView};
use super::quality::Quality;
use super::revisions::Revision;

const CSS: &str = r#"
@page { size: A4; margin: 14mm 12mm; }
* { box-sizing: border-box; }
body { font-family: "DejaVu Sans", "Liberation Sans", Arial, sans-serif; font-size: 10.5pt; color: #000; background: #fff; margin: 0 auto; padding: 0 2mm; max-width: 190mm; line-height: 1.35; }
a { color: #0051A2; }
h1 { font-size: 22pt; margin: 0 0 6mm; }
h2 { font-size: 15pt; border-bottom: 2px solid #0072B2; padding-bottom: 1mm; margin: 8mm 0 3mm; }
h3 { font-size: 12pt; margin: 5mm 0 2mm; }
section.page { break-before: page; page-break-before: always; }
section.cover { break-before: auto; page-break-before: auto; padding-top: 30mm; }
table { border-collapse: collapse; width: 100%; margin: 2mm 0 4mm; font-size: 8.5pt; }
th, td { border: 1px solid #8a8a8a; padding: 0.8mm 1.2mm; text-align: left; vertical-align: top; }
th { background: #e8e8e8; color: #000; }
td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
td.period, th.period { white-space: nowrap; }
td ul { margin: 0; padding-left: 4mm; }
thead { display: table-header-group; }
tr { break-inside: avoid; page-break-inside: avoid; }
.b { display: inline-block; padding: 0 1.2mm; border-radius: 1mm; border: 1px solid #595959; }
.b-good { background: #56B4E9; color: #000; }
.b-bad { background: #D55E00; color: #000; }
.b-same { background: #e8e8e8; color: #000; }
.b-none { background: #fff; color: #000; }
.grid td { text-align: center; font-size: 8pt; }
.grid td.name, .grid th.name { text-align: left; }
figure { margin: 3mm 0 5mm; break-inside: avoid; page-break-inside: avoid; }
figure svg { width: 100%; height: auto; }
figcaption { font-size: 8.5pt; color: #333; }
dl.headline { display: grid; grid-template-columns: 48mm 1fr; gap: 1mm 3mm; margin: 2mm 0 4mm; }
dl.headline dt { font-weight: bold; }
dl.headline dd { margin: 0; }
.note { font-size: 9pt; color: #333; }
.glance { font-size: 12pt; border-left: 3px solid #D55E00; padding-left: 3mm; }
pre { white-space: pre-wrap; font-size: 8pt; }
@media print { body { max-width: none; padding: 0; } }
"#;

/// Escape text for HTML.
pub fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// The badge class of a status, comparison, trend or progress word.
fn tone(word: &str) -> &'static str {
    match word {
        "met" | "on track" | "improved" | "better" | "best" | "improving" | "strong progress"
        | "some progress" => "b-good",
        "off track" | "worse" | "worst" | "worsening" | "no progress" => "b-bad",
        "similar" | "no significant change" | "baseline" => "b-same",
        _ => "b-none",
    }
}

/// A status word as a badge: colour and the word itself.
pub fn badge(word: &str) -> String {
    if word.is_empty() {
        return String::new();
    }
    format!("<span class=\"b {}\">{}</span>", tone(word), esc(word))
}

/// A figure at the indicator's decimals; `*` when suppressed.
pub fn num(v: Option<f64>, decimals: u8, suppressed: bool) -> String {
    match v.filter(|x| x.is_finite()) {
        Some(x) => {
            let d = decimals as usize;
            let s = format!("{x:.d$}");
            if s.trim_start_matches('-')
                .bytes()
                .all(|b| b == b'0' || b == b'.')
            {
                s.trim_start_matches('-').to_string()
            } else {
                s
            }
        }
        None if suppressed => "*".into(),
        None => String::new(),
    }
}

fn ci(r: &ResultRow, d: u8) -> String {
    if r.suppressed {
        return "*".into();
    }
    match (r.ci_lower, r.ci_upper) {
        (Some(a), Some(b)) => format!("{} to {}", num(Some(a), d, false), num(Some(b), d, false)),
        _ => String::new(),
    }
}

/// Render the whole document.
pub fn render_html(doc: &PackDoc<'_>) -> String {
    let mut h = String::with_capacity(1 << 20);
    let title = format!(
        "{}: {}, {}",
        doc.def.title, doc.focus.name, doc.period_label
    );
    let _ = write!(
        h,
        "<!DOCTYPE html>\n<html lang=\"en-GB\">\n<head>\n<meta charset=\"utf-8\">\n<title>{}</title>\n<style>{CSS}</style>\n</head>\n<body>\n",
        esc(&title)
    );
    for s in &doc.def.sections {
        match s {
            SectionKind::Cover => cover(&mut h, doc),
            SectionKind::PsaScorecard => psa(&mut h, &doc.psa, &doc.period_label),
            SectionKind::LaaTargets => laa_targets(&mut h, &doc.laa_lines),
            SectionKind::Exceptions => exceptions(&mut h, &doc.exceptions, doc),
            SectionKind::Overview => overview(&mut h, doc),
            SectionKind::Indicators => {
                for v in &doc.views {
                    indicator_page(&mut h, v, doc);
                }
            }
            SectionKind::Revisions => revisions(&mut h, doc.revisions.as_deref()),
            SectionKind::DataQuality => quality(&mut h, doc.quality, doc),
            SectionKind::Appendix => appendix(&mut h, doc),
        }
    }
    h.push_str("</body>\n</html>\n");
    h
}

fn open(h: &mut String, s: SectionKind, class: &str) {
    let _ = write!(
        h,
        "<section id=\"{}\" class=\"{class}\">\n<h2>{}</h2>\n",
        s.anchor(),
        esc(s.heading())
    );
}

fn cover(h: &mut String, doc: &PackDoc<'_>) {
    let _ = write!(
        h,
        "<section id=\"cover\" class=\"cover\">\n<h1>{}</h1>\n<dl class=\"headline\">\n<dt>{}</dt><dd>{} ({})</dd>\n<dt>Period</dt><dd>{}</dd>\n<dt>Data as at</dt><dd>{}</dd>\n<dt>Produced</dt><dd>{}</dd>\n<dt>Engine</dt><dd>pireport {}</dd>\n</dl>\n",
        esc(&doc.def.title),
        if doc.kind == "dom" { "Region" } else { "Area" },
        esc(&doc.focus.name),
        esc(&doc.focus.code),
        esc(&doc.period_label),
        doc.extract_date,
        esc(&doc.generated),
        esc(doc.version),
    );
    h.push_str("<h3>Contents</h3>\n<ol>\n");
    let shown = doc
        .def
        .sections
        .iter()
        .filter(|s| **s != SectionKind::Cover)
        .filter(|s| **s != SectionKind::Revisions || doc.revisions.is_some());
    for s in shown {
        let _ = writeln!(
            h,
            "<li><a href=\"#{}\">{}</a></li>",
            s.anchor(),
            esc(s.heading())
        );
    }
    h.push_str("</ol>\n");
    if doc.def.has(SectionKind::Exceptions) {
        let n = doc.exceptions.len();
        let _ = writeln!(
            h,
            "<p class=\"glance\">{}</p>",
            if n == 0 {
                "No exceptions: nothing in this pack needs action.".to_string()
            } else {
                format!(
                    "{n} area and indicator {} need{} attention: see <a href=\"#exceptions\">Exceptions</a>.",
                    if n == 1 { "pair" } else { "pairs" },
                    if n == 1 { "s" } else { "" }
                )
            }
        );
    }
    h.push_str("<p class=\"note\">Figures are computed from the extract named on this page with the methods of official statistics: 95% confidence intervals, significance at 95% unless stated, suppressed figures shown as *. Colours always come with a text label.</p>\n</section>\n");
}

fn psa(h: &mut String, rows: &[PsaRow], period: &str) {
    open(h, SectionKind::PsaScorecard, "page");
    let _ = writeln!(
        h,
        "<p>Progress of England and Wales on each PSA by financial year, to {}: <em>strong progress</em> where more than half of the indicators improved significantly on baseline, <em>some progress</em> where at least one did, <em>no progress</em> where none did, <em>not yet assessed</em> where fewer than half have a value after baseline.</p>",
        esc(period)
    );
    h.push_str("<table>\n<thead><tr><th>PSA</th><th>Year</th><th>Progress</th><th>Indicators against baseline</th></tr></thead>\n<tbody>\n");
    for r in rows {
        let members: Vec<String> = r
            .indicators
            .iter()
            .map(|(id, s)| {
                if s.is_empty() {
                    format!("{} (not assessed)", esc(id))
                } else {
                    format!("{} {}", esc(id), badge(s))
                }
            })
            .collect();
        let _ = writeln!(
            h,
            "<tr><td>{} {}</td><td class=\"period\">{}</td><td>{}</td><td>{}</td></tr>",
            esc(&r.psa),
            esc(&r.title),
            esc(&r.period),
            badge(&r.progress),
            members.join("; ")
        );
    }
    h.push_str("</tbody>\n</table>\n</section>\n");
}

fn laa_targets(h: &mut String, lines: &[LaaLine]) {
    open(h, SectionKind::LaaTargets, "page");
    h.push_str("<table>\n<thead><tr><th>Indicator</th><th>Baseline</th><th>Latest</th><th>95% CI</th><th>Target</th><th>Trajectory</th><th>Significant</th><th>Status</th></tr></thead>\n<tbody>\n");
    for l in lines {
        let d = super::model::shown_decimals(l.decimals, Some(l.baseline_value));
        let _ = writeln!(
            h,
            "<tr><td>{} {}</td><td class=\"num\">{} ({})</td><td class=\"num\">{}{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td>{}</td><td>{}</td></tr>",
            esc(&l.indicator),
            esc(&l.title),
            num(Some(l.baseline_value), d, false),
            esc(&l.baseline_period),
            num(l.latest_value, d, false),
            l.latest_period
                .as_deref()
                .map(|p| format!(" ({})", esc(p)))
                .unwrap_or_default(),
            match (l.ci_lower, l.ci_upper) {
                (Some(a), Some(b)) =>
                    format!("{} to {}", num(Some(a), d, false), num(Some(b), d, false)),
                _ => String::new(),
            },
            num(l.target, d, false),
            num(l.trajectory, d, false),
            match l.significant {
                Some(true) => "yes",
                Some(false) => "no",
                None => "",
            },
            badge(&l.status)
        );
    }
    h.push_str("</tbody>\n</table>\n<p class=\"note\">Trajectory: the straight line from the agreed baseline to the year's target, at the latest period. Status: met (at or beyond the target), on track (at or beyond the trajectory), off track (behind it but not significantly worse than baseline), worse (significantly worse than baseline).</p>\n</section>\n");
}

fn exceptions(h: &mut String, list: &[Exception], doc: &PackDoc<'_>) {
    open(h, SectionKind::Exceptions, "page");
    if list.is_empty() {
        let _ = writeln!(
            h,
            "<p>No exceptions: no area of {} is significantly worse than the region or England and Wales, worsening, or off its LAA trajectory on the indicators of this pack.</p>",
            esc(&doc.focus.name)
        );
    } else {
        let _ = writeln!(
            h,
            "<p>{} area and indicator pairs need attention, each with the reason. An area is listed when it is significantly worse than {} or England and Wales (95% unless stated), shows a significant worsening trend, is significantly worse than its baseline, or is off its LAA trajectory.</p>",
            list.len(),
            esc(&doc.focus.region_name)
        );
        h.push_str("<table>\n<thead><tr><th>Area</th><th>Indicator</th><th>Period</th><th>Reason</th></tr></thead>\n<tbody>\n");
        for e in list {
            let _ = writeln!(
                h,
                "<tr><td>{} ({})</td><td><a href=\"#ind-{}\">{}</a> {}</td><td class=\"period\">{}</td><td><ul>{}</ul></td></tr>",
                esc(&e.area_name),
                esc(&e.area_code),
                esc(&super::safe_name(&e.indicator)),
                esc(&e.indicator),
                esc(&e.title),
                esc(&e.period),
                e.reasons
                    .iter()
                    .map(|r| format!("<li>{}</li>", esc(r)))
                    .collect::<String>()
            );
        }
        h.push_str("</tbody>\n</table>\n");
    }
    h.push_str("</section>\n");
}

fn overview(h: &mut String, doc: &PackDoc<'_>) {
    open(h, SectionKind::Overview, "page");
    let _ = writeln!(
        h,
        "<p>Each local authority of {} against the region on each indicator at its reporting period: better, similar or worse (95%; 99.8% shown as best or worst), * where suppressed, blank where not compared (no value, no confidence interval, or a count, which is part of the region's total).</p>",
        esc(&doc.focus.region_name)
    );
    h.push_str("<table class=\"grid\">\n<thead><tr><th class=\"name\">Local authority</th>");
    for v in &doc.views {
        let _ = write!(
            h,
            "<th>{}<br>{}{}</th>",
            esc(&v.ind.def.id),
            v.period.map(|p| esc(&p.to_string())).unwrap_or_default(),
            if v.ind.def.value.kind == crate::definition::ValueKind::Count {
                "<br>(count)"
            } else {
                ""
            }
        );
    }
    h.push_str("</tr></thead>\n<tbody>\n");
    for (code, name) in &doc.las {
        let _ = write!(h, "<tr><td class=\"name\">{}</td>", esc(name));
        for v in &doc.views {
            let cell = v
                .las
                .iter()
                .find(|r| &r.area_code == code)
                .map(|r| {
                    if r.suppressed {
                        "*".to_string()
                    } else if v.ind.def.value.kind == crate::definition::ValueKind::Count {
                        String::new()
                    } else {
                        r.vs_region.as_deref().map(badge).unwrap_or_default()
                    }
                })
                .unwrap_or_default();
            let _ = write!(h, "<td>{cell}</td>");
        }
        h.push_str("</tr>\n");
    }
    h.push_str("</tbody>\n</table>\n</section>\n");
}

fn headline(h: &mut String, v: &IndicatorView<'_>, doc: &PackDoc<'_>) {
    let ind = &v.ind.def;
    let Some(r) = v.focus else {
        let _ = writeln!(
            h,
            "<p>{}</p>",
            match v.period {
                Some(p) if !v.available =>
                    format!("{p} is not yet available: its follow-up ends after the extract date."),
                Some(p) => format!("No value for {} in {p}.", esc(&doc.focus.name)),
                None => "No period of this indicator ends by the pack's date.".into(),
            }
        );
        return;
    };
    let d = v.decimals;
    let change = r.change.map(|c| {
        let unit = match ind.change {
            crate::definition::ChangeKind::Percent => "%",
            _ => "",
        };
        format!("{}{unit}", num(Some(c), d, false))
    });
    let _ = write!(
        h,
        "<dl class=\"headline\">\n<dt>{} {}</dt><dd><strong>{}</strong> {}</dd>\n<dt>95% CI</dt><dd>{}</dd>\n<dt>Baseline</dt><dd>{}</dd>\n<dt>Change</dt><dd>{}</dd>\n<dt>Significance</dt><dd>{}</dd>\n<dt>Target</dt><dd>{}</dd>\n<dt>Status</dt><dd>{}</dd>\n<dt>England and Wales</dt><dd>{}</dd>\n</dl>\n",
        esc(&doc.focus.name),
        esc(&r.period),
        num(r.value, d, r.suppressed),
        esc(&ind.units),
        ci(r, d),
        match (&r.baseline_period, r.baseline_value) {
            (Some(p), Some(b)) => format!("{} ({})", num(Some(b), d, false), esc(p)),
            (Some(p), None) => format!("no value ({})", esc(p)),
            _ => "none".into(),
        },
        change.unwrap_or_default(),
        match r.significant {
            Some(true) => "significant at 95%",
            Some(false) => "not significant at 95%",
            None => "not tested",
        },
        v.national
            .and_then(|n| n.target)
            .map(|t| format!(
                "{} (England and Wales, {})",
                num(Some(t), d, false),
                ind.target
                    .as_ref()
                    .map(|t| esc(&t.period))
                    .unwrap_or_default()
            ))
            .unwrap_or_else(|| "none".into()),
        if r.status.is_empty() {
            "not assessed".to_string()
        } else {
            badge(&r.status)
        },
        v.national
            .map(|n| format!("{} {}", num(n.value, d, false), esc(&ind.units)))
            .unwrap_or_default(),
    );
}

fn la_table(h: &mut String, v: &IndicatorView<'_>) {
    let ind = &v.ind.def;
    let d = v.decimals;
    let has_expected = v.las.iter().any(|r| r.expected.is_some());
    let _ = write!(
        h,
        "<table>\n<thead><tr><th>Area</th><th>Numerator</th><th>Denominator</th>{}<th>Value</th><th>95% CI</th><th>vs region</th><th>vs E&amp;W</th><th>Trend</th><th>Status</th></tr></thead>\n<tbody>\n",
        if has_expected {
            "<th>Expected</th>"
        } else {
            ""
        }
    );
    let rows = v.las.iter().chain(v.region.iter()).chain(v.national.iter());
    for r in rows {
        let s = r.suppressed;
        let _ = writeln!(
            h,
            "<tr><td>{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td>{}<td class=\"num\">{}</td><td class=\"num\">{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            esc(&r.area_name),
            num(
                r.numerator,
                if ind.interval.as_ref().is_some_and(|i| i.weight.is_some()) {
                    1
                } else {
                    0
                },
                s
            ),
            num(r.denominator, 0, s),
            if has_expected {
                format!("<td class=\"num\">{}</td>", num(r.expected, 1, s))
            } else {
                String::new()
            },
            num(r.value, d, s),
            ci(r, d),
            r.vs_region.as_deref().map(badge).unwrap_or_default(),
            r.vs_national.as_deref().map(badge).unwrap_or_default(),
            r.trend.as_deref().map(badge).unwrap_or_default(),
            badge(&r.status)
        );
    }
    h.push_str("</tbody>\n</table>\n");
    let suppressed = v.las.iter().filter(|r| r.suppressed).count();
    if suppressed > 0 {
        let _ = writeln!(
            h,
            "<p class=\"note\">{suppressed} local authority figure(s) suppressed (*): a count from 1 to {} (or the next smallest LA of the region, so no figure can be recovered from the total). They are left out of the charts.</p>",
            ind.disclosure_threshold.saturating_sub(1)
        );
    }
}

fn indicator_page(h: &mut String, v: &IndicatorView<'_>, doc: &PackDoc<'_>) {
    let ind = &v.ind.def;
    let _ = write!(
        h,
        "<section id=\"ind-{}\" class=\"page\">\n<h2>{} {}</h2>\n<p class=\"note\">{}; {}.</p>\n",
        esc(&super::safe_name(&ind.id)),
        esc(&ind.id),
        esc(&ind.title),
        esc(&ind.units),
        match ind.polarity {
            crate::definition::Polarity::LowerIsBetter => "lower is better",
            crate::definition::Polarity::HigherIsBetter => "higher is better",
        }
    );
    headline(h, v, doc);
    if let Some(charts) = doc.charts.get(&ind.id) {
        for (kind, c) in charts {
            match c {
                Ok(c) => figure(h, c),
                Err(why) => {
                    let _ = writeln!(
                        h,
                        "<p class=\"note\">No {} chart: {}.</p>",
                        match kind {
                            ChartKind::Trend => "trend",
                            ChartKind::LaComparison => "comparison",
                            ChartKind::Funnel => "funnel",
                        },
                        esc(why)
                    );
                }
            }
        }
    }
    if !v.las.is_empty() {
        la_table(h, v);
    }
    h.push_str("</section>\n");
}

fn figure(h: &mut String, c: &Chart) {
    let _ = write!(
        h,
        "<figure>\n{}\n<figcaption>{}</figcaption>\n</figure>\n",
        c.svg.trim(),
        esc(&c.desc)
    );
}

fn revisions(h: &mut String, list: Option<&[Revision]>) {
    let Some(list) = list else { return };
    open(h, SectionKind::Revisions, "page");
    if list.is_empty() {
        h.push_str("<p>No figure published in the previous edition has changed.</p>\n");
    } else {
        let _ = writeln!(
            h,
            "<p>{} figures published in the previous edition for a period it already covered have changed: these are revisions, from records added or corrected since, not movement between periods. They are also listed in <code>revisions.csv</code>.</p>",
            list.len()
        );
        h.push_str("<table>\n<thead><tr><th>Indicator</th><th>Area</th><th>Period</th><th>Column</th><th>Previous</th><th>Now</th></tr></thead>\n<tbody>\n");
        for r in list {
            let _ = writeln!(
                h,
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td></tr>",
                esc(&r.indicator),
                esc(&format!("{} ({})", r.area_name, r.area_code)),
                esc(&r.period),
                esc(&r.column),
                esc(&r.previous),
                esc(&r.current)
            );
        }
        h.push_str("</tbody>\n</table>\n");
    }
    h.push_str("</section>\n");
}

fn quality(h: &mut String, q: &Quality, doc: &PackDoc<'_>) {
    open(h, SectionKind::DataQuality, "page");
    let _ = writeln!(
        h,
        "<p>Extract dated {}, covering {} to {}.</p>",
        doc.extract_date, q.coverage_start, doc.extract_date
    );
    h.push_str("<h3>Rows read per extract table</h3>\n<table>\n<thead><tr><th>Table</th><th>Rows</th><th>Rows with no area code</th><th>Key</th><th>Duplicate rows</th></tr></thead>\n<tbody>\n");
    for t in &q.tables {
        let _ = writeln!(
            h,
            "<tr><td>{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td>{}</td><td class=\"num\">{}</td></tr>",
            esc(&t.table),
            t.rows,
            t.null_area.map(|n| n.to_string()).unwrap_or_default(),
            t.key
                .as_ref()
                .map(|k| esc(&k.join(", ")))
                .unwrap_or_else(|| "no key given".into()),
            t.duplicates.map(|n| n.to_string()).unwrap_or_default()
        );
    }
    h.push_str("</tbody>\n</table>\n<p class=\"note\">Rows with no area code: cohort rows that no local authority can count. Duplicate rows: rows that repeat the key of an earlier row of the same table (the keys are named in the pack's <code>extract-keys.yaml</code>); duplicates are not removed: the indicators read the extract as supplied.</p>\n<h3>Periods not yet available</h3>\n<table>\n<thead><tr><th>Indicator</th><th>Periods to this pack's date whose follow-up ends after the extract date</th></tr></thead>\n<tbody>\n");
    let mut any = false;
    for v in &doc.views {
        // periods after the pack's own are not part of this edition
        let ps: Vec<&str> = q
            .not_yet_available
            .get(&v.ind.def.id)
            .map(|ps| {
                ps.iter()
                    .filter(|p| {
                        p.parse::<crate::period::Period>()
                            .is_ok_and(|p| p.end() <= doc.as_at)
                    })
                    .map(String::as_str)
                    .collect()
            })
            .unwrap_or_default();
        if !ps.is_empty() {
            any = true;
            let _ = writeln!(
                h,
                "<tr><td>{}</td><td>{}</td></tr>",
                esc(&v.ind.def.id),
                esc(&ps.join(", "))
            );
        }
    }
    if !any {
        h.push_str("<tr><td colspan=\"2\">none</td></tr>\n");
    }
    h.push_str("</tbody>\n</table>\n<h3>Suppression</h3>\n<ul>\n");
    for v in &doc.views {
        let n = v.las.iter().filter(|r| r.suppressed).count();
        let _ = writeln!(
            h,
            "<li>{}: {n} of {} local authority figures suppressed{}</li>",
            esc(&v.ind.def.id),
            v.las.len(),
            v.period.map(|p| format!(" in {p}")).unwrap_or_default()
        );
    }
    h.push_str("</ul>\n<h3>Notes from the run</h3>\n");
    if q.notes.is_empty() {
        h.push_str("<p>None.</p>\n");
    } else {
        h.push_str("<ul>\n");
        for n in &q.notes {
            let _ = writeln!(h, "<li>{}</li>", esc(n));
        }
        h.push_str("</ul>\n");
    }
    h.push_str("</section>\n");
}

fn appendix(h: &mut String, doc: &PackDoc<'_>) {
    open(h, SectionKind::Appendix, "page");
    let mut seen = BTreeMap::new();
    for v in &doc.views {
        let ind = &v.ind.def;
        if seen.insert(ind.id.clone(), ()).is_some() {
            continue;
        }
        let _ = writeln!(
            h,
            "<h3>{} {}</h3>\n<p>{}</p>\n<p class=\"note\">Units: {}. {}. Baseline: {}.{} Source definition: {}.</p>",
            esc(&ind.id),
            esc(&ind.title),
            esc(ind.description.trim()),
            esc(&ind.units),
            match ind.polarity {
                crate::definition::Polarity::LowerIsBetter => "Lower is better",
                crate::definition::Polarity::HigherIsBetter => "Higher is better",
            },
            ind.baseline
                .as_deref()
                .map(esc)
                .unwrap_or_else(|| "none".into()),
            ind.target
                .as_ref()
                .map(|t| format!(
                    " Target: {} by {}.",
                    t.value
                        .map(|v| v.to_string())
                        .or(t.change_percent.map(|c| format!("{c:+}% on baseline")))
                        .unwrap_or_default(),
                    esc(&t.period)
                ))
                .unwrap_or_default(),
            esc(&v
                .ind
                .file
                .file_name()
                .map(|f| f.to_string_lossy().to_string())
                .unwrap_or_default())
        );
    }
    let funnels = doc
        .views
        .iter()
        .any(|v| v.spec.charts.contains(&ChartKind::Funnel));
    if funnels {
        h.push_str(FUNNEL_METHODS);
    }
    h.push_str("</section>\n");
}

/// How the funnel plots' control limits are computed, by kind of value.
const FUNNEL_METHODS: &str = "<h3>Funnel plots: how the control limits are computed</h3>
<p>Each funnel plot sets every local authority's value against the size of the count behind it, with 95% and 99.8% control limits around the region's value: a point outside them differs from the region by more than chance would make likely. The limits follow the kind of value, and each plot names its method.</p>
<ul>
<li>Rates and actual/predicted ratios: exact Poisson limits for the count of events at each denominator or expected count (gamma quantiles), as in PHE's funnel plots.</li>
<li>Actual against expected as a percentage difference (NI18): the same Poisson limits on the actual/expected ratio. Its significance is a binomial test, whose limits are slightly narrower where the event is common; the Poisson limits are an approximation on the cautious side.</li>
<li>Percentages: Wilson score limits for a proportion at each denominator; for a survey-weighted percentage (NI115) at the Kish effective sample size of the weights, since the sum of the weights is not a number of respondents.</li>
<li>Percentage change between two counts (NI30): both counts vary, so the limits are conditional binomial ones: Wilson score limits for the later count's share of the two counts' total, plotted against that total.</li>
</ul>
";
