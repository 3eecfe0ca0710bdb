//! What a pack shows, selected from the run's result rows: the focus area
//! (a region, or an LAA area), the period each indicator is reported for
//! as at the pack's date, the rows of every page, and the exceptions.
//! Only periods that end on or before the pack's date are used, so a pack
//! for an earlier quarter never shows later data.

use std::collections::BTreeMap;

use chrono::NaiveDate;

use crate::assess::{LaaLine, ResultRow};
use crate::execute::{AreaLevel, NATIONAL_CODE};
use crate::period::{Grain, Period};
use crate::validate::{ValidCatalog, ValidIndicator};

use super::definition::PackIndicator;

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

/// Rows ending on or before `as_at`.
pub fn rows_to(rows: &[ResultRow], as_at: NaiveDate) -> Vec<ResultRow> {
    rows.iter()
        .filter(|r| r.period_parsed.is_some_and(|p| p.end() <= as_at))
        .cloned()
        .collect()
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
            .find(|r| is(r, level, code) && r.period_parsed == Some(p))
    };
    let (p, available) = match period {
        Some((p, a)) => (Some(p), a),
        None => (None, false),
    };
    let focus_row = p.and_then(|p| at(focus.level, &focus.code, p));
    let region_row = p.and_then(|p| at(AreaLevel::Region, &focus.region_code, p));
    let national = p.and_then(|p| at(AreaLevel::National, NATIONAL_CODE, p));
    let mut las: Vec<&ResultRow> = p
        .map(|p| {
            own.iter()
                .copied()
                .filter(|r| {
                    r.area_level == AreaLevel::La
                        && r.period_parsed == Some(p)
                        && las_in_region.contains(&r.area_code)
                })
                .collect()
        })
        .unwrap_or_default();
    las.sort_by(|a, b| (&a.area_name, &a.area_code).cmp(&(&b.area_name, &b.area_code)));
    let grain = p.map(|p| p.grain());
    let start = grain.and_then(|g| crate::assess::baseline_for(ind, g));
    let in_series = |r: &&ResultRow| {
        r.value.is_some()
            && r.period_parsed.is_some_and(|q| {
                Some(q.grain()) == grain
                    && p.is_some_and(|p| q.end() <= p.end())
                    && start.is_none_or(|s| q.end() >= s.end())
            })
    };
    let mut series: Vec<&ResultRow> = own
        .iter()
        .copied()
        .filter(|r| is(r, focus.level, &focus.code))
        .filter(in_series)
        .collect();
    series.sort_by_key(|r| r.period_parsed.map(|p| p.end()));
    let mut national_series: Vec<&ResultRow> = own
        .iter()
        .copied()
        .filter(|r| is(r, AreaLevel::National, NATIONAL_CODE))
        .filter(in_series)
        .collect();
    national_series.sort_by_key(|r| r.period_parsed.map(|p| p.end()));
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
            std::cmp::Reverse(a.period_parsed.map(|p| (p.end(), p.grain()))),
            a.area_level,
            &a.area_name,
        );
        let kb = (
            std::cmp::Reverse(b.period_parsed.map(|p| (p.end(), p.grain()))),
            b.area_level,
            &b.area_name,
        );
        ka.cmp(&kb)
    });
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
        series,
        national_series,
        table_rows,
        trajectory,
        trajectory_label,
    })
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
    let Some(bp) = crate::assess::baseline_for(ind, g) else {
        return none;
    };
    let Some(bv) = own
        .iter()
        .find(|r| is(r, AreaLevel::National, NATIONAL_CODE) && r.period_parsed == Some(bp))
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
pub fn exceptions(
    views: &[IndicatorView<'_>],
    focus: &Focus,
    laa: &BTreeMap<String, Vec<LaaLine>>,
) -> Vec<Exception> {
    let mut out: Vec<Exception> = Vec::new();
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
            let mut reasons = Vec::new();
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
            if comparable && matches!(r.vs_region.as_deref(), Some("worse" | "worst")) {
                reasons.push(format!(
                    "significantly worse than {} ({} against {region_value}; {} confidence)",
                    focus.region_name,
                    value_text(r, v.decimals),
                    if r.vs_region.as_deref() == Some("worst") {
                        "99.8%"
                    } else {
                        "95%"
                    }
                ));
            }
            if comparable && matches!(r.vs_national.as_deref(), Some("worse" | "worst")) {
                reasons.push(format!(
                    "significantly worse than England and Wales ({} against {national_value})",
                    value_text(r, v.decimals)
                ));
            }
            if r.trend.as_deref() == Some("worsening") {
                reasons.push("worsening: a significant trend over the last five periods".into());
            }
            if r.status == "worse" {
                reasons.push("significantly worse than its baseline".into());
            }
            if let Some(line) = laa
                .get(&r.area_code)
                .and_then(|ls| ls.iter().find(|l| l.indicator == v.ind.def.id))
                && matches!(line.status.as_str(), "off track" | "worse")
            {
                let d = v.decimals as usize;
                let n = |x: Option<f64>| x.map(|x| format!("{x:.d$}")).unwrap_or_default();
                reasons.push(format!(
                    "off its LAA trajectory ({}): {} in {} against a trajectory of {} and a {} target of {}",
                    line.status,
                    n(line.latest_value),
                    line.latest_period.as_deref().unwrap_or(""),
                    n(line.trajectory),
                    line.year,
                    n(line.target)
                ));
            }
            reasons.dedup();
            if !reasons.is_empty() {
                out.push(Exception {
                    area_code: r.area_code.clone(),
                    area_name: r.area_name.clone(),
                    indicator: v.ind.def.id.clone(),
                    title: v.ind.def.title.clone(),
                    period: r.period.clone(),
                    reasons,
                });
            }
        }
    }
    out
}
