//! `index.html`: one self-contained file (inline CSS and SVG, no network
//! references) that prints to A4, exception-first.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use crate::assess::{LaaLine, PsaRow, ResultRow, Status};
use crate::stats::{BaselineStatus, Comparison, PsaProgress, TargetStatus, Trend};

use super::PackDoc;
use super::charts::Chart;
use super::model::{Exception, IndicatorView};
use super::revisions::Revision;
use crate::report::{ChartKind, Quality, SectionKind};

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
.spc-icon { display: inline-block; min-width: 1.2em; text-align: center; border: 1px solid #333; border-radius: 50%; font-weight: bold; }
.spc-improvement { background: #cce0ff; } .spc-concern { background: #ffe0b3; } .spc-common { background: #eee; }
.spc-pass { background: #cce0ff; } .spc-fail { background: #ffe0b3; } .spc-inconsistent { background: #eee; }
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

/// How a status, comparison, trend or progress reads: its badge colour.
pub trait Tone: std::fmt::Display {
    /// The badge class: `b-good`, `b-bad`, `b-same` or `b-none`.
    fn tone(&self) -> &'static str;
}

const GOOD: &str = "b-good";
const BAD: &str = "b-bad";
const SAME: &str = "b-same";
const NONE: &str = "b-none";

impl Tone for TargetStatus {
    fn tone(&self) -> &'static str {
        match self {
            TargetStatus::Met | TargetStatus::OnTrack => GOOD,
            TargetStatus::OffTrack | TargetStatus::Worse => BAD,
            TargetStatus::NotYetAvailable => NONE,
        }
    }
}

impl Tone for BaselineStatus {
    fn tone(&self) -> &'static str {
        match self {
            BaselineStatus::Improved => GOOD,
            BaselineStatus::Worse => BAD,
            BaselineStatus::NoSignificantChange => SAME,
        }
    }
}

impl Tone for Status {
    fn tone(&self) -> &'static str {
        match self {
            Status::Target(t) => t.tone(),
            Status::Baseline(b) => b.tone(),
            Status::IsBaseline => SAME,
            Status::YearOnYear { met: true } => GOOD,
            // as before typing: a miss is not marked bad (one year's miss
            // is no trend)
            Status::YearOnYear { met: false } => NONE,
            Status::NoData => NONE,
        }
    }
}

impl Tone for Comparison {
    fn tone(&self) -> &'static str {
        match self {
            Comparison::Best | Comparison::Better => GOOD,
            Comparison::Worse | Comparison::Worst => BAD,
            Comparison::Similar => SAME,
        }
    }
}

impl Tone for Trend {
    fn tone(&self) -> &'static str {
        match self {
            Trend::Improving => GOOD,
            Trend::Worsening => BAD,
            Trend::NoSignificantChange => SAME,
        }
    }
}

impl Tone for PsaProgress {
    fn tone(&self) -> &'static str {
        match self {
            PsaProgress::StrongProgress | PsaProgress::SomeProgress => GOOD,
            PsaProgress::NoProgress => BAD,
            PsaProgress::NotYetAssessed => NONE,
        }
    }
}

/// A status as a badge: colour and the word itself; empty for none.
pub fn badge<T: Tone>(value: Option<T>) -> String {
    match value {
        Some(v) => format!(
            "<span class=\"b {}\">{}</span>",
            v.tone(),
            esc(&v.to_string())
        ),
        None => String::new(),
    }
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
            SectionKind::StrategicOutcomes => strategic_outcomes(&mut h, doc),
            SectionKind::RegionGrid => region_grid(&mut h, doc),
            SectionKind::PrisonProbation => prison_probation(&mut h, doc),
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
        "<section id=\"cover\" class=\"cover\">\n<h1>{}</h1>\n<dl class=\"headline\">\n<dt>{}</dt><dd>{} ({})</dd>\n<dt>Period</dt><dd>{}</dd>\n<dt>Extract date</dt><dd>{}</dd>\n<dt>Produced</dt><dd>{}</dd>\n<dt>Engine</dt><dd>pireport {}</dd>\n</dl>\n",
        esc(&doc.def.title),
        match doc.kind {
            "dom" => "Region",
            "strategy" => "Country",
            _ => "Area",
        },
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
            .map(|(id, s)| match s {
                None => format!("{} (not assessed)", esc(id)),
                Some(_) => format!("{} {}", esc(id), badge(*s)),
            })
            .collect();
        let _ = writeln!(
            h,
            "<tr><td>{} {}</td><td class=\"period\">{}</td><td>{}</td><td>{}</td></tr>",
            esc(&r.psa),
            esc(&r.title),
            r.period,
            badge(Some(r.progress)),
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
                .map(|p| format!(" ({p})"))
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
            badge(Some(l.status))
        );
    }
    h.push_str("</tbody>\n</table>\n<p class=\"note\">Trajectory: the straight line from the agreed baseline to the year's target, at the latest period. Status: met (at or beyond the target), on track (at or beyond the trajectory), off track (behind it but not significantly worse than baseline), worse (significantly worse than baseline).</p>\n</section>\n");
}

/// The paragraph on false-discovery control, for the exceptions page.
fn fdr_text(doc: &PackDoc<'_>) -> String {
    let f = &doc.fdr;
    let pct = |r: f64| {
        let t = format!("{:.2}", 100.0 * r);
        let t = t.trim_end_matches('0').trim_end_matches('.').to_string();
        format!("{t}%")
    };
    let fewer = f.flags_before - f.flags_after;
    format!(
        "False alarms: each statistical reason gives the p-value of its test and its q-value (Benjamini-Hochberg) over all {} tests made for this page, flagged or not. A reason is listed only when its q-value is at most the false-discovery rate of {} declared in reports/{}.yaml; reasons that are not tests (off an LAA trajectory) are always listed. Of {} flags raised at their own level (95%, or 99.8% for trends), {} survive: {} fewer, leaving {} area and indicator pairs of {}. Without control, {} tests at these levels would raise about {:.1} flags by chance alone even if no area differed from its benchmark.",
        f.tests,
        pct(f.rate),
        doc.kind,
        f.flags_before,
        f.flags_after,
        fewer,
        f.exceptions_after,
        f.exceptions_before,
        f.tests,
        f.expected_by_chance
    )
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
            "<p>{} attention, each with the reason. An area is listed when it is significantly worse than {} or England and Wales (95% unless stated), shows a significant worsening trend, is significantly worse than its baseline, or is off its LAA trajectory, and the flag survives false-discovery control (below).</p>",
            if list.len() == 1 {
                "1 area and indicator pair needs".to_string()
            } else {
                format!("{} area and indicator pairs need", list.len())
            },
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
    let _ = writeln!(h, "<p class=\"note\">{}</p>", esc(&fdr_text(doc)));
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
                        badge(r.vs_region)
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
        r.period,
        num(r.value, d, r.suppressed),
        esc(&ind.units),
        ci(r, d),
        match (&r.baseline_period, r.baseline_value) {
            (Some(p), Some(b)) => format!("{} ({p})", num(Some(b), d, false)),
            (Some(p), None) => format!("no value ({p})"),
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
                ind.target.as_ref().map(target_words).unwrap_or_default()
            ))
            .unwrap_or_else(|| "none".into()),
        match r.status {
            None => "not assessed".to_string(),
            Some(s) => badge(Some(s)),
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
            badge(r.vs_region),
            badge(r.vs_national),
            badge(r.trend),
            badge(r.status)
        );
    }
    h.push_str("</tbody>\n</table>\n");
    let suppressed = v.las.iter().filter(|r| r.suppressed).count();
    if suppressed > 0 {
        let _ = writeln!(
            h,
            "<p class=\"note\">{} suppressed (*): a count from 1 to {} (or the next smallest LA of the region, so no figure can be recovered from the total). {} left out of the charts.</p>",
            super::charts::counted(
                suppressed,
                "local authority figure",
                "local authority figures"
            ),
            ind.disclosure_threshold.saturating_sub(1),
            if suppressed == 1 { "It is" } else { "They are" }
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
    spc(h, v);
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
                            ChartKind::Peers => "most similar areas",
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

/// The views of `ids`, in that order (ids without a page are left out:
/// the pack definition check refuses them).
fn views_of<'d, 'a>(doc: &'d PackDoc<'a>, ids: &[String]) -> Vec<&'d IndicatorView<'a>> {
    ids.iter()
        .filter_map(|id| doc.views.iter().find(|v| &v.ind.def.id == id))
        .collect()
}

/// One scorecard row: England and Wales at the indicator's reporting period.
fn outcome_row(h: &mut String, v: &IndicatorView<'_>, doc: &PackDoc<'_>) {
    let ind = &v.ind.def;
    let d = v.decimals;
    let chart = doc.charts.get(&ind.id).and_then(|cs| {
        cs.iter()
            .find(|(k, c)| *k == ChartKind::Trend && c.is_ok())
            .map(|_| ())
    });
    let trend = match chart {
        Some(()) => format!(
            "<a href=\"#ind-{}\">trend chart</a>",
            esc(&super::safe_name(&ind.id))
        ),
        None => "no trend chart".into(),
    };
    let Some(r) = v.national else {
        let _ = writeln!(
            h,
            "<tr><th scope=\"row\">{} {}</th><td class=\"period\">{}</td><td colspan=\"5\">{}</td><td>{trend}</td></tr>",
            esc(&ind.id),
            esc(&ind.title),
            v.period.map(|p| esc(&p.to_string())).unwrap_or_default(),
            if v.period.is_some() && !v.available {
                "not yet available: its follow-up ends after the extract date"
            } else {
                "no value"
            }
        );
        return;
    };
    let target = match (&ind.target, r.target) {
        (Some(t), Some(x)) => format!("{} ({})", num(Some(x), d, false), target_words(t)),
        (Some(t), None) => target_words(t),
        (None, _) => "none".into(),
    };
    let _ = writeln!(
        h,
        "<tr><th scope=\"row\">{} {}</th><td class=\"period\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td>{}</td><td>{}</td><td>{trend}</td></tr>",
        esc(&ind.id),
        esc(&ind.title),
        esc(&r.period.to_string()),
        match (&r.baseline_period, r.baseline_value) {
            (Some(p), Some(b)) => format!("{} ({})", num(Some(b), d, false), esc(&p.to_string())),
            (Some(p), None) => format!("no value ({})", esc(&p.to_string())),
            _ => "none".into(),
        },
        num(r.value, d, r.suppressed),
        ci(r, d),
        target,
        if r.status.is_none() {
            "not assessed".to_string()
        } else {
            badge(r.status)
        },
    );
}

fn strategic_outcomes(h: &mut String, doc: &PackDoc<'_>) {
    open(h, SectionKind::StrategicOutcomes, "page");
    let _ = writeln!(
        h,
        "<p>England and Wales on each of the strategy's Strategic Outcomes, in the strategy's order, at the latest period of each indicator ending by the end of {}: its baseline, the latest value with its 95% confidence interval, the target the strategy sets (a value by a date, or a fall or rise every year on the year before, where the figure shown is the previous year's value) and the status against it. Each trend chart is on the indicator's page.</p>",
        esc(&doc.period_label)
    );
    let head = "<thead><tr><th scope=\"col\">Outcome</th><th scope=\"col\" class=\"period\">Latest period</th><th scope=\"col\">Baseline</th><th scope=\"col\">Latest</th><th scope=\"col\">95% CI</th><th scope=\"col\">Target</th><th scope=\"col\">Status</th><th scope=\"col\">Trend</th></tr></thead>";
    let _ = writeln!(
        h,
        "<table>\n<caption>Strategic Outcomes</caption>\n{head}\n<tbody>"
    );
    for v in views_of(doc, &doc.def.outcomes) {
        outcome_row(h, v, doc);
    }
    h.push_str("</tbody>\n</table>\n");
    let contributing = views_of(doc, &doc.def.contributing);
    if !contributing.is_empty() {
        let _ = writeln!(
            h,
            "<table>\n<caption>Contributing measures</caption>\n{head}\n<tbody>"
        );
        for v in contributing {
            outcome_row(h, v, doc);
        }
        h.push_str("</tbody>\n</table>\n");
    }
    h.push_str("<p class=\"note\">Status: met or not met for a target by a date or year on year; otherwise improved, no significant change or worse against baseline (95%). Not assessed: the baseline period itself, or a period before it.</p>\n</section>\n");
}

fn region_grid(h: &mut String, doc: &PackDoc<'_>) {
    open(h, SectionKind::RegionGrid, "page");
    let mut ids = doc.def.outcomes.clone();
    ids.extend(doc.def.contributing.iter().cloned());
    let views = views_of(doc, &ids);
    h.push_str("<p>Each region's value on each outcome at the outcome's latest period, and how it compares with England and Wales: better, similar or worse (95%; 99.8% shown as best or worst); blank where not compared (no confidence interval, or a count, which is part of the national total). Directors of Offender Management are accountable for their region.</p>\n");
    h.push_str("<table class=\"grid\">\n<thead><tr><th scope=\"col\" class=\"name\">Region</th>");
    for v in &views {
        let _ = write!(
            h,
            "<th scope=\"col\">{}<br>{}</th>",
            esc(&v.ind.def.id),
            v.period.map(|p| esc(&p.to_string())).unwrap_or_default()
        );
    }
    h.push_str("</tr></thead>\n<tbody>\n");
    let rows = doc
        .las
        .iter()
        .map(|(c, n)| (c.as_str(), n.as_str()))
        .chain(std::iter::once((
            doc.focus.code.as_str(),
            doc.focus.name.as_str(),
        )));
    for (code, name) in rows {
        let _ = write!(h, "<tr><th scope=\"row\" class=\"name\">{}</th>", esc(name));
        for v in &views {
            let r = if code == doc.focus.code {
                v.national
            } else {
                v.las.iter().copied().find(|r| r.area_code == code)
            };
            let cell = r
                .map(|r| {
                    let compare = if v.ind.def.value.kind == crate::definition::ValueKind::Count {
                        String::new()
                    } else {
                        badge(r.vs_national)
                    };
                    format!("{} {compare}", num(r.value, v.decimals, r.suppressed))
                })
                .unwrap_or_default();
            let _ = write!(h, "<td>{}</td>", cell.trim_end());
        }
        h.push_str("</tr>\n");
    }
    h.push_str("</tbody>\n</table>\n</section>\n");
}

fn prison_probation(h: &mut String, doc: &PackDoc<'_>) {
    open(h, SectionKind::PrisonProbation, "page");
    h.push_str("<p>The drug measures of prisons and probation by region: random mandatory drug testing, Drug Rehabilitation Requirements and Young People's Substance Misuse Services, each at its latest period, with England and Wales.</p>\n");
    for v in views_of(doc, &doc.def.measures) {
        let ind = &v.ind.def;
        let d = v.decimals;
        let _ = writeln!(
            h,
            "<h3>{} {}{}</h3>\n<p class=\"note\">{}; {}.</p>",
            esc(&ind.id),
            esc(&ind.title),
            v.period.map(|p| format!(", {p}")).unwrap_or_default(),
            esc(&ind.units),
            match ind.polarity {
                crate::definition::Polarity::LowerIsBetter => "lower is better",
                crate::definition::Polarity::HigherIsBetter => "higher is better",
            }
        );
        h.push_str("<table>\n<thead><tr><th scope=\"col\">Region</th><th scope=\"col\">Numerator</th><th scope=\"col\">Denominator</th><th scope=\"col\">Value</th><th scope=\"col\">95% CI</th><th scope=\"col\">vs E&amp;W</th><th scope=\"col\">Status</th></tr></thead>\n<tbody>\n");
        for r in v.las.iter().chain(v.national.iter()) {
            let s = r.suppressed;
            let _ = writeln!(
                h,
                "<tr><th scope=\"row\">{}</th><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td>{}</td><td>{}</td></tr>",
                esc(&r.area_name),
                num(r.numerator, 0, s),
                num(r.denominator, 0, s),
                num(r.value, d, s),
                ci(r, d),
                badge(r.vs_national),
                badge(r.status)
            );
        }
        h.push_str("</tbody>\n</table>\n");
    }
    h.push_str("</section>\n");
}

/// The Making Data Count icons of a page, as text: a letter in a box
/// (H or L for a special cause high or low, a dash for common cause; P, F
/// or ? for assurance) and a label, so nothing rests on colour.
fn spc(h: &mut String, v: &IndicatorView<'_>) {
    use crate::stats::{Assurance, Variation};
    let Some(r) = super::model::spc_reading(v) else {
        return;
    };
    let (slug, glyph) = match r.variation {
        Variation::CommonCause => ("common", "\u{2013}"),
        Variation::Improvement { high } => ("improvement", if high { "H" } else { "L" }),
        Variation::Concern { high } => ("concern", if high { "H" } else { "L" }),
    };
    let _ = write!(
        h,
        "<p class=\"spc\">SPC (XmR chart of {} points, Making Data Count rules): <span class=\"spc-icon spc-{slug}\" aria-hidden=\"true\">{glyph}</span> {}",
        r.points,
        esc(r.variation.label())
    );
    if let (Some(a), Some(t)) = (r.assurance, r.target) {
        let (slug, glyph) = match a {
            Assurance::ConsistentPass => ("pass", "P"),
            Assurance::ConsistentFail => ("fail", "F"),
            Assurance::Inconsistent => ("inconsistent", "?"),
        };
        let d = v.decimals as usize;
        let _ = write!(
            h,
            "; <span class=\"spc-icon spc-{slug}\" aria-hidden=\"true\">{glyph}</span> {} (target {t:.d$})",
            esc(a.label())
        );
    }
    h.push_str(".</p>\n");
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
    h.push_str("<h3>Rows read per extract table</h3>\n<table>\n<thead><tr><th>Table</th><th>Rows</th><th>Rows with no area code</th><th>Rows with no cohort date</th><th>Key</th><th>Duplicate rows</th></tr></thead>\n<tbody>\n");
    rows_read(h, q);
    h.push_str("</tbody>\n</table>\n<p class=\"note\">Rows with no area code: cohort rows that no local authority can count. Rows with no cohort date: cohort rows that no period can count (an order still running has no termination date), so every indicator leaves them out. Duplicate rows: rows that repeat the key of an earlier row of the same table (the keys are named in the pack's <code>extract-keys.yaml</code>); duplicates are not removed: the indicators read the extract as supplied.</p>\n<h3>Periods not yet available</h3>\n<table>\n<thead><tr><th>Indicator</th><th>Periods to this pack's date whose follow-up ends after the extract date</th></tr></thead>\n<tbody>\n");
    not_yet_available(h, q, doc);
    h.push_str("</tbody>\n</table>\n<h3>Suppression</h3>\n<ul>\n");
    if doc.kind == "strategy" {
        h.push_str("<li>This report shows England and Wales and its regions only: region and national figures are computed from all data and never suppressed.</li>\n");
    }
    for v in doc.views.iter().filter(|_| doc.kind != "strategy") {
        let n = v.las.iter().filter(|r| r.suppressed).count();
        let _ = writeln!(
            h,
            "<li>{}: {n} of {} suppressed{}</li>",
            esc(&v.ind.def.id),
            super::charts::counted(
                v.las.len(),
                "local authority figure",
                "local authority figures"
            ),
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

/// The rows of the table of rows read, one per extract table.
fn rows_read(h: &mut String, q: &Quality) {
    for t in &q.tables {
        let _ = writeln!(
            h,
            "<tr><td>{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td>{}</td><td class=\"num\">{}</td></tr>",
            esc(&t.table),
            t.rows,
            t.null_area.map(|n| n.to_string()).unwrap_or_default(),
            t.null_date
                .iter()
                .map(|(c, n)| format!("{n} ({})", esc(c)))
                .collect::<Vec<_>>()
                .join("; "),
            t.key
                .as_ref()
                .map(|k| esc(&k.join(", ")))
                .unwrap_or_else(|| "no key given".into()),
            t.duplicates.map(|n| n.to_string()).unwrap_or_default()
        );
    }
}

/// The rows of the table of periods not yet available, one per indicator
/// with some to the pack's date (or one saying none).
fn not_yet_available(h: &mut String, q: &Quality, doc: &PackDoc<'_>) {
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
                .map(|t| match &t.period {
                    Some(p) => format!(
                        " Target: {} by {}.",
                        t.value
                            .map(|v| v.to_string())
                            .or(t.change_percent.map(|c| format!("{c:+}% on baseline")))
                            .unwrap_or_default(),
                        esc(p)
                    ),
                    None => format!(" Target: {}.", target_words(t)),
                })
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

/// How a target reads in a sentence: its period for a target by a date,
/// else what each year must do.
fn target_words(t: &crate::definition::TargetDef) -> String {
    use crate::definition::TargetKind;
    match (t.kind, &t.period) {
        (TargetKind::FallYearOnYear, _) => "a fall every year on the year before".into(),
        (TargetKind::RiseYearOnYear, _) => "a rise every year on the year before".into(),
        (TargetKind::ByDate, Some(p)) => esc(p),
        (TargetKind::ByDate, None) => String::new(),
    }
}
