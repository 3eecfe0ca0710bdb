//! What a pack shows, selected from the run's result rows: the focus area
//! (a region, or an LAA area), the period each indicator is reported for
//! as at the pack's date, the rows of every page, and the exceptions.
//! Only periods that end on or before the pack's date are used, so a pack
//! for an earlier quarter never shows later data.

use std::collections::BTreeMap;

use chrono::NaiveDate;

use crate::assess::{LaaLine, ResultRow, Status};
use crate::geography::{AreaLevel, NATIONAL_CODE};
use crate::period::{Grain, Period};
use crate::stats::{self, Comparison, FalseDiscoveryRate, Trend};
use crate::validate::{ValidCatalog, ValidIndicator};

use crate::report::PackIndicator;

/// The area a pack is about.
#[derive(Debug, Clone, PartialEq)]
pub struct Focus {
    /// Level of the area's own rows (region or la).
    pub level: AreaLevel,
    /// Area code.
    pub code: String,
    /// Area name.
    pub name: String,
    /// The region whose LAs are compared (the region itself, or the LA's region).
    pub region_code: String,
    /// Region name.
    pub region_name: String,
}

/// The rows of one indicator page.
#[derive(Debug, Clone)]
pub struct IndicatorView<'a> {
    /// The definition.
    pub ind: &'a ValidIndicator,
    /// The page spec (charts).
    pub spec: PackIndicator,
    /// The period reported, when any period of the indicator ends by the pack date.
    pub period: Option<Period>,
    /// Whether that period is computed (else not yet available).
    pub available: bool,
    /// The focus area's row at the period.
    pub focus: Option<&'a ResultRow>,
    /// The region's row at the period (same as `focus` for DOM packs).
    pub region: Option<&'a ResultRow>,
    /// England and Wales at the period.
    pub national: Option<&'a ResultRow>,
    /// The region's LA rows at the period, by name.
    pub las: Vec<&'a ResultRow>,
    /// For an LA focus with a most similar group: the rows of the area and
    /// its peers at the period, in group order (the area first).
    pub peer_rows: Vec<&'a ResultRow>,
    /// The focus area's rows of the same grain, baseline (or first) to period.
    pub series: Vec<&'a ResultRow>,
    /// England and Wales rows over the same periods.
    pub national_series: Vec<&'a ResultRow>,
    /// Every row of the indicator in the tables (the region's LAs, the
    /// region, England and Wales; every period to the pack date), latest first.
    pub table_rows: Vec<&'a ResultRow>,
    /// The target line: (period, value) points from baseline to target.
    pub trajectory: Vec<(Period, f64)>,
    /// What the trajectory is (e.g. `England and Wales PSA target`).
    pub trajectory_label: String,
    /// Decimals to show: the indicator's, or more for values below 1.
    pub decimals: u8,
}

/// The decimals to show values near `reference` with: the definition's,
/// or enough for three significant digits when it is below 1 in magnitude
/// (NI16 rates of a small extract are about 0.1 per 1,000).
pub fn shown_decimals(decimals: u8, reference: Option<f64>) -> u8 {
    match reference.filter(|v| v.is_finite() && *v != 0.0 && v.abs() < 1.0) {
        Some(v) => (decimals as f64)
            .max(2.0 - v.abs().log10().floor())
            .min(6.0) as u8,
        None => decimals,
    }
}

/// The statistical process control reading of a page's series (the focus
/// area's figures, oldest first): the Making Data Count variation and,
/// when the page has a target, assurance.
#[derive(Debug, Clone, PartialEq)]
pub struct SpcReading {
    /// Points in the series.
    pub points: usize,
    /// The variation icon (from the latest point).
    pub variation: stats::Variation,
    /// The assurance icon against `target`.
    pub assurance: Option<stats::Assurance>,
    /// The target assurance is judged against: the last point of the
    /// page's target line.
    pub target: Option<f64>,
}

/// The SPC reading of `v`'s series: its published (not suppressed) values
/// in period order, against the end of its target line. `None` with fewer
/// than two values.
pub fn spc_reading(v: &IndicatorView<'_>) -> Option<SpcReading> {
    let values: Vec<f64> = v
        .series
        .iter()
        .filter(|r| !r.suppressed)
        .filter_map(|r| r.value)
        .collect();
    let target = v.trajectory.last().map(|(_, t)| *t);
    let polarity = crate::assess::polarity(v.ind);
    let chart = stats::spc_chart(&values, polarity, target).ok().flatten()?;
    Some(SpcReading {
        points: values.len(),
        variation: chart.variation,
        assurance: chart.assurance,
        target,
    })
}

/// One exception: an area and indicator that needs action, with reasons.
#[derive(Debug, Clone, PartialEq)]
pub struct Exception {
    /// Area code.
    pub area_code: String,
    /// Area name.
    pub area_name: String,
    /// Indicator id.
    pub indicator: String,
    /// Indicator title.
    pub title: String,
    /// Period.
    pub period: String,
    /// Each reason, a sentence.
    pub reasons: Vec<String>,
}

/// The grain an indicator is reported in, in preference order.
fn grain_preference(quarterly: bool) -> [Grain; 4] {
    if quarterly {
        [
            Grain::Quarter,
            Grain::RollingQuarter,
            Grain::FinancialYear,
            Grain::CalendarYear,
        ]
    } else {
        [
            Grain::FinancialYear,
            Grain::RollingQuarter,
            Grain::Quarter,
            Grain::CalendarYear,
        ]
    }
}

/// The period `ind` is reported for as at `as_at`: the latest period of
/// its preferred grain ending by then, and whether it is computed.
pub fn reporting_period(
    ind: &ValidIndicator,
    computed: &[Period],
    not_yet: &[Period],
    as_at: NaiveDate,
    quarterly: bool,
) -> Option<(Period, bool)> {
    let grain = grain_preference(quarterly)
        .into_iter()
        .find(|g| ind.def.grains.contains(g))?;
    let best = |ps: &[Period]| {
        ps.iter()
            .copied()
            .filter(|p| p.grain() == grain && p.end() <= as_at)
            .max_by_key(|p| p.end())
    };
    match (best(computed), best(not_yet)) {
        (Some(c), Some(n)) if n.end() > c.end() => Some((n, false)),
        (Some(c), _) => Some((c, true)),
        (None, Some(n)) => Some((n, false)),
        (None, None) => None,
    }
}

fn is(r: &ResultRow, level: AreaLevel, code: &str) -> bool {
    r.area_level == level && r.area_code == code
}

/// Build one indicator page's view.
#[allow(clippy::too_many_arguments)]
pub fn indicator_view<'a>(
    catalog: &'a ValidCatalog,
    rows: &'a [ResultRow],
    spec: &PackIndicator,
    focus: &Focus,
    period: Option<(Period, bool)>,
    las_in_region: &[String],
    laa_targets: bool,
) -> Option<IndicatorView<'a>> {
    let ind = catalog.get(&spec.id)?;
    let own: Vec<&ResultRow> = rows.iter().filter(|r| r.indicator == spec.id).collect();
    let at = |level: AreaLevel, code: &str, p: Period| {
        own.iter()
            .copied()
            .find(|r| is(r, level, code) && r.period == p)
    };
    let (p, available) = match period {
        Some((p, a)) => (Some(p), a),
        None => (None, false),
    };
    let focus_row = p.and_then(|p| at(focus.level, &focus.code, p));
    let region_row = p.and_then(|p| at(AreaLevel::Region, &focus.region_code, p));
    let national = p.and_then(|p| at(AreaLevel::National, NATIONAL_CODE, p));
    let las = p
        .map(|p| las_at(&own, p, las_in_region))
        .unwrap_or_default();
    let grain = p.map(|p| p.grain());
    let start = grain.and_then(|g| ind.baseline_for(g));
    let series = series_of(&own, (focus.level, &focus.code), p, start);
    let national_series = series_of(&own, (AreaLevel::National, NATIONAL_CODE), p, start);
    let table_rows = table_rows(&own, focus, las_in_region);
    let (trajectory, trajectory_label) = if laa_targets {
        laa_trajectory(catalog, ind, &focus.code, grain)
    } else {
        national_trajectory(ind, &own, grain)
    };
    let decimals = shown_decimals(
        ind.def.decimals,
        region_row
            .and_then(|r| r.value)
            .or(national.and_then(|r| r.value)),
    );
    Some(IndicatorView {
        decimals,
        ind,
        spec: spec.clone(),
        period: p,
        available,
        focus: focus_row,
        region: region_row,
        national,
        las,
        peer_rows: Vec::new(),
        series,
        national_series,
        table_rows,
        trajectory,
        trajectory_label,
    })
}

/// The rows of the region's LAs at `p`, by name.
fn las_at<'a>(own: &[&'a ResultRow], p: Period, las_in_region: &[String]) -> Vec<&'a ResultRow> {
    let mut las: Vec<&ResultRow> = own
        .iter()
        .copied()
        .filter(|r| {
            r.area_level == AreaLevel::La && r.period == p && las_in_region.contains(&r.area_code)
        })
        .collect();
    las.sort_by(|a, b| (&a.area_name, &a.area_code).cmp(&(&b.area_name, &b.area_code)));
    las
}

/// The trend of one area, oldest first: its rows with a value of the
/// grain of `p`, from `start` (the baseline, when there is one) to `p`.
fn series_of<'a>(
    own: &[&'a ResultRow],
    (level, code): (AreaLevel, &str),
    p: Option<Period>,
    start: Option<Period>,
) -> Vec<&'a ResultRow> {
    let grain = p.map(|p| p.grain());
    let mut series: Vec<&ResultRow> = own
        .iter()
        .copied()
        .filter(|r| is(r, level, code))
        .filter(|r| {
            r.value.is_some()
                && Some(r.period.grain()) == grain
                && p.is_some_and(|p| r.period.end() <= p.end())
                && start.is_none_or(|s| r.period.end() >= s.end())
        })
        .collect();
    series.sort_by_key(|r| r.period.end());
    series
}

/// The page table's rows: England and Wales, the region and its LAs at
/// every period, latest first, then by level and name.
fn table_rows<'a>(
    own: &[&'a ResultRow],
    focus: &Focus,
    las_in_region: &[String],
) -> Vec<&'a ResultRow> {
    let mut table_rows: Vec<&ResultRow> = own
        .iter()
        .copied()
        .filter(|r| {
            is(r, AreaLevel::National, NATIONAL_CODE)
                || is(r, AreaLevel::Region, &focus.region_code)
                || (r.area_level == AreaLevel::La && las_in_region.contains(&r.area_code))
        })
        .collect();
    table_rows.sort_by(|a, b| {
        let ka = (
            std::cmp::Reverse((a.period.end(), a.period.grain())),
            a.area_level,
            &a.area_name,
        );
        let kb = (
            std::cmp::Reverse((b.period.end(), b.period.grain())),
            b.area_level,
            &b.area_name,
        );
        ka.cmp(&kb)
    });
    table_rows
}

/// For the national strategy report: put the regions' rows at the page's
/// period where a regional pack has its LAs (the page table, the region
/// grid), make the tables England and Wales with every region at every
/// period to `as_at`, and drop the separate England and Wales line from
/// the trend (it is the focus already).
pub fn regions_in_place_of_las<'a>(
    v: &mut IndicatorView<'a>,
    rows: &'a [ResultRow],
    regions: &[(String, String)],
    as_at: NaiveDate,
) {
    let id = v.ind.def.id.clone();
    let order = |code: &str| regions.iter().position(|(c, _)| c == code);
    let own = rows
        .iter()
        .filter(|r| r.indicator == id && r.period.end() <= as_at);
    let mut las: Vec<&'a ResultRow> = own
        .clone()
        .filter(|r| r.area_level == AreaLevel::Region && Some(r.period) == v.period)
        .filter(|r| order(&r.area_code).is_some())
        .collect();
    las.sort_by_key(|r| order(&r.area_code));
    v.las = las;
    let mut table: Vec<&'a ResultRow> = own
        .filter(|r| {
            is(r, AreaLevel::National, NATIONAL_CODE)
                || (r.area_level == AreaLevel::Region && order(&r.area_code).is_some())
        })
        .collect();
    table.sort_by(|a, b| {
        let key = |r: &ResultRow| {
            (
                std::cmp::Reverse((r.period.end(), r.period.grain())),
                r.area_level,
                order(&r.area_code),
            )
        };
        key(a).cmp(&key(b))
    });
    v.table_rows = table;
    v.national_series.clear();
    v.region = None;
}

/// The PSA target line: England and Wales baseline to the target.
fn national_trajectory(
    ind: &ValidIndicator,
    own: &[&ResultRow],
    grain: Option<Grain>,
) -> (Vec<(Period, f64)>, String) {
    let none = (Vec::new(), String::new());
    let (Some(t), Some(tp), Some(g)) = (&ind.def.target, ind.target_period, grain) else {
        return none;
    };
    let Some(bp) = ind.baseline_for(g) else {
        return none;
    };
    let Some(bv) = own
        .iter()
        .find(|r| is(r, AreaLevel::National, NATIONAL_CODE) && r.period == bp)
        .and_then(|r| r.value)
    else {
        return none;
    };
    let Some(tv) = t
        .value
        .or_else(|| t.change_percent.map(|pc| bv * (1.0 + pc / 100.0)))
    else {
        return none;
    };
    let tp = match (tp, g) {
        (Period::FinancialYear(fy), Grain::RollingQuarter) => Period::RollingQuarter { fy, q: 4 },
        (p, _) => p,
    };
    (
        vec![(bp, bv), (tp, tv)],
        format!("England and Wales PSA target trajectory ({tp})"),
    )
}

/// The LAA target line of `area`: its baseline, then each year's target.
fn laa_trajectory(
    catalog: &ValidCatalog,
    ind: &ValidIndicator,
    area: &str,
    grain: Option<Grain>,
) -> (Vec<(Period, f64)>, String) {
    let none = (Vec::new(), String::new());
    let Some(g) = grain else { return none };
    let Some(t) = catalog
        .catalog
        .targets
        .iter()
        .flat_map(|t| t.value.iter())
        .find(|t| t.area == area && t.indicator == ind.def.id)
    else {
        return none;
    };
    let as_grain = |p: Period| match (p, g) {
        (Period::FinancialYear(fy), Grain::RollingQuarter) => Period::RollingQuarter { fy, q: 4 },
        (Period::FinancialYear(fy), Grain::Quarter) => Period::Quarter { fy, q: 4 },
        (p, _) => p,
    };
    let Some(bp) = ind
        .def
        .grains
        .iter()
        .find_map(|g| Period::parse_for(&t.baseline.period, *g).ok())
    else {
        return none;
    };
    let mut pts = vec![(as_grain(bp), t.baseline.value)];
    let mut years: Vec<(Period, f64)> = t
        .targets
        .iter()
        .filter_map(|(k, v)| Some((as_grain(k.parse::<Period>().ok()?), *v)))
        .collect();
    years.sort_by_key(|(p, _)| p.end());
    pts.extend(years);
    (pts, "LAA target trajectory".into())
}

fn value_text(r: &ResultRow, d: u8) -> String {
    let d = d as usize;
    r.value.map(|v| format!("{v:.d$}")).unwrap_or_default()
}

/// The exceptions of a region (DOM) or an area (LAA) at the pack date.
///
/// Every statistical reason carries the p-value of its test. The tests made
/// for the candidates (each comparison with the region and with England
/// and Wales, each trend test and each test against baseline, flagged or
/// not) form one family; Benjamini-Hochberg at `rate` runs over it, and a
/// statistical reason stays on the list only when its q-value is at most
/// the rate. Reasons that are not tests (off an LAA trajectory) stay.
pub fn exceptions(
    views: &[IndicatorView<'_>],
    focus: &Focus,
    laa: &BTreeMap<String, Vec<LaaLine>>,
    rate: FalseDiscoveryRate,
) -> (Vec<Exception>, FdrNote) {
    // every test made: (p-value, chance it raises a flag when nothing differs)
    let mut family: Vec<(f64, f64)> = Vec::new();
    // per exception, its reasons: text and the index of its test in `family`
    let mut pending: Vec<(Exception, Vec<Reason>)> = Vec::new();
    for v in views {
        let mut candidates: Vec<&ResultRow> = Vec::new();
        if let Some(f) = v.focus {
            candidates.push(f);
        }
        if focus.level == AreaLevel::Region {
            candidates.extend(v.las.iter().copied());
        }
        for r in candidates {
            if r.suppressed {
                continue;
            }
            let mut reasons = row_reasons(v, r, focus, laa, &mut family);
            reasons.dedup();
            if !reasons.is_empty() {
                pending.push((
                    Exception {
                        area_code: r.area_code.clone(),
                        area_name: r.area_name.clone(),
                        indicator: v.ind.def.id.clone(),
                        title: v.ind.def.title.clone(),
                        period: r.period.to_string(),
                        reasons: Vec::new(),
                    },
                    reasons,
                ));
            }
        }
    }
    control_exceptions(pending, &family, rate)
}

/// Why row `r` of page `v` is an exception, each reason with the index of
/// its test in `family`; every test made for the row (flagged or not) is
/// added to `family`, in a fixed order.
fn row_reasons(
    v: &IndicatorView<'_>,
    r: &ResultRow,
    focus: &Focus,
    laa: &BTreeMap<String, Vec<LaaLine>>,
    family: &mut Vec<(f64, f64)>,
) -> Vec<Reason> {
    let mut reasons: Vec<Reason> = Vec::new();
    let mut test = |p: Option<f64>, chance: f64| {
        p.filter(|p| p.is_finite()).map(|p| {
            family.push((p, chance));
            family.len() - 1
        })
    };
    let comparable_test = v.ind.def.value.kind != crate::definition::ValueKind::Count;
    let t_region = if comparable_test {
        test(r.p_vs_region, FLAG_CHANCE_95)
    } else {
        None
    };
    let t_national = if comparable_test {
        test(r.p_vs_national, FLAG_CHANCE_95)
    } else {
        None
    };
    let t_trend = test(r.p_trend, FLAG_CHANCE_998);
    let t_change = test(r.p_change, FLAG_CHANCE_95);
    // a count is not compared with the region's total
    let comparable = v.ind.def.value.kind != crate::definition::ValueKind::Count;
    let region_value = v
        .region
        .map(|r| value_text(r, v.decimals))
        .unwrap_or_default();
    let national_value = v
        .national
        .map(|r| value_text(r, v.decimals))
        .unwrap_or_default();
    if comparable && r.vs_region.is_some_and(Comparison::is_worse) {
        reasons.push((
            format!(
                "significantly worse than {} ({} against {region_value}; {} confidence)",
                focus.region_name,
                value_text(r, v.decimals),
                if r.vs_region == Some(Comparison::Worst) {
                    "99.8%"
                } else {
                    "95%"
                }
            ),
            t_region,
        ));
    }
    if comparable && r.vs_national.is_some_and(Comparison::is_worse) {
        reasons.push((
            format!(
                "significantly worse than England and Wales ({} against {national_value})",
                value_text(r, v.decimals)
            ),
            t_national,
        ));
    }
    if r.trend == Some(Trend::Worsening) {
        reasons.push((
            "worsening: a significant trend over the last five periods".into(),
            t_trend,
        ));
    }
    if r.status.is_some_and(Status::is_worse) {
        reasons.push(("significantly worse than its baseline".into(), t_change));
    }
    if let Some(line) = laa
        .get(&r.area_code)
        .and_then(|ls| ls.iter().find(|l| l.indicator == v.ind.def.id))
        && line.status.is_behind()
    {
        reasons.push((laa_reason(line, v.decimals), None));
    }
    reasons
}

/// The reason text of an area off its LAA trajectory.
fn laa_reason(line: &LaaLine, decimals: u8) -> String {
    let d = decimals as usize;
    let n = |x: Option<f64>| x.map(|x| format!("{x:.d$}")).unwrap_or_default();
    format!(
        "off its LAA trajectory ({}): {} in {} against a trajectory of {} and a {} target of {}",
        line.status,
        n(line.latest_value),
        line.latest_period
            .map(|p| p.to_string())
            .unwrap_or_default(),
        n(line.trajectory),
        line.year,
        n(line.target)
    )
}

/// A reason's text and the index of its test in the family (none for a
/// reason that is not a test).
type Reason = (String, Option<usize>);

/// Chance that a 95% two-sided comparison flags "worse" when nothing
/// differs: one tail, 2.5%.
const FLAG_CHANCE_95: f64 = 0.025;
/// The same for the 99.8% trend test ("worsening"): 0.1%.
const FLAG_CHANCE_998: f64 = 0.001;

/// How the false-discovery control changed the exceptions list.
#[derive(Debug, Clone, PartialEq)]
pub struct FdrNote {
    /// The declared false-discovery rate (0.05 is 5%).
    pub rate: f64,
    /// Tests made for the list (the Benjamini-Hochberg family).
    pub tests: usize,
    /// Statistical flags raised at each test's own level (before control).
    pub flags_before: usize,
    /// Of those, the ones whose q-value is at most the rate.
    pub flags_after: usize,
    /// Exceptions (area and indicator pairs) before control.
    pub exceptions_before: usize,
    /// Exceptions after control.
    pub exceptions_after: usize,
    /// Flags the tests would raise by chance alone if no area differed,
    /// without control: the sum of each test's one-tailed level.
    pub expected_by_chance: f64,
}

/// A p- or q-value as text: two significant figures, `< 0.0001` below.
pub fn p_text(p: f64) -> String {
    if p < 0.0001 {
        "< 0.0001".to_string()
    } else {
        let decimals = (1.0 - p.log10().floor()).max(2.0) as usize;
        format!("{p:.decimals$}")
    }
}

fn control_exceptions(
    pending: Vec<(Exception, Vec<Reason>)>,
    family: &[(f64, f64)],
    rate: FalseDiscoveryRate,
) -> (Vec<Exception>, FdrNote) {
    let p: Vec<f64> = family.iter().map(|(p, _)| *p).collect();
    let chance: Vec<f64> = family.iter().map(|(_, c)| *c).collect();
    // every p comes from a statistics function returning [0, 1]; were one
    // refused, every flag is kept (q of 0) rather than any hidden
    let control = stats::control_fdr(&p, &chance, rate).ok();
    let q_of = |i: usize| control.as_ref().map_or(0.0, |c| c.q_values[i]);
    let exceptions_before = pending.len();
    let mut flags_before = 0;
    let mut flags_after = 0;
    let mut out = Vec::new();
    for (mut e, reasons) in pending {
        for (text, test) in reasons {
            match test {
                Some(i) => {
                    flags_before += 1;
                    let q = q_of(i);
                    if q <= rate.value() {
                        flags_after += 1;
                        e.reasons
                            .push(format!("{text} (p {}, q {})", eq_text(p[i]), eq_text(q)));
                    }
                }
                None => e.reasons.push(text),
            }
        }
        if !e.reasons.is_empty() {
            out.push(e);
        }
    }
    let note = FdrNote {
        rate: rate.value(),
        tests: family.len(),
        flags_before,
        flags_after,
        exceptions_before,
        exceptions_after: out.len(),
        expected_by_chance: control.map_or(0.0, |c| c.expected_by_chance),
    };
    (out, note)
}

/// `= 0.012` or `< 0.0001`.
fn eq_text(p: f64) -> String {
    let t = p_text(p);
    if t.starts_with('<') {
        t
    } else {
        format!("= {t}")
    }
}
