//! The LAA target report of one area: for each designated indicator the
//! baseline, latest value and interval, the target for the year and the
//! straight-line trajectory from baseline to it, significance against the
//! baseline, and the status (spec, "LAA targets"):
//! `met` (latest at or beyond the year's target), `on track` (at or beyond
//! the trajectory at the latest period), `worse` (significantly worse than
//! baseline), `off track` (otherwise), `not yet available` (no published
//! value after the baseline within the year).

use crate::definition::{LaaTargetDef, ValueKind};
use crate::geography::AreaLevel;
use crate::period::{Grain, Period};
use crate::stats::{self, ConfidenceLevel, TargetStatus};
use crate::validate::{ValidCatalog, ValidIndicator};

use super::AssessError;
use super::ResultRow;
use super::value::{Figures, significant};
use crate::stats::StatsError;

/// One designated indicator of an LSP.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct LaaLine {
    /// Area code.
    pub area_code: String,
    /// Area name.
    pub area_name: String,
    /// The financial year reported on.
    #[serde(serialize_with = "as_text")]
    pub year: Period,
    /// Indicator id.
    pub indicator: String,
    /// Indicator title.
    pub title: String,
    /// Units of the values.
    pub units: String,
    /// Display decimals of the indicator.
    #[serde(skip)]
    pub decimals: u8,
    /// Agreed baseline period.
    pub baseline_period: String,
    /// Agreed baseline value.
    pub baseline_value: f64,
    /// Latest period with a published value, within the year.
    #[serde(serialize_with = "as_optional_text")]
    pub latest_period: Option<Period>,
    /// Latest value.
    pub latest_value: Option<f64>,
    /// 95% interval of the latest value, lower.
    pub ci_lower: Option<f64>,
    /// 95% interval of the latest value, upper.
    pub ci_upper: Option<f64>,
    /// The year's target (interpolated on the straight line to the next
    /// target when the year has none of its own).
    pub target: Option<f64>,
    /// Straight-line trajectory from baseline to the year's target,
    /// evaluated at the latest period.
    pub trajectory: Option<f64>,
    /// Whether the latest value differs significantly (95%) from the baseline.
    pub significant: Option<bool>,
    /// Met, on track, off track, worse, or not yet available.
    #[serde(serialize_with = "as_text")]
    pub status: TargetStatus,
}

/// A typed field in JSON as the word or label the other formats print.
fn as_text<S: serde::Serializer, T: std::fmt::Display>(v: &T, s: S) -> Result<S::Ok, S::Error> {
    s.collect_str(v)
}

fn as_optional_text<S: serde::Serializer, T: std::fmt::Display>(
    v: &Option<T>,
    s: S,
) -> Result<S::Ok, S::Error> {
    match v {
        Some(v) => s.collect_str(v),
        None => s.serialize_none(),
    }
}

impl LaaLine {
    /// The financial years `area` has targets for, in order.
    pub fn target_years(catalog: &ValidCatalog, area: &str) -> Vec<Period> {
        catalog.laa_target_years(area)
    }

    /// The default year of `area`'s report: the latest financial year that
    /// has targets and a published value of at least one designated
    /// indicator; the earliest target year when none has data yet; `None`
    /// when the area has no targets.
    pub fn default_year(catalog: &ValidCatalog, rows: &[ResultRow], area: &str) -> Option<Period> {
        let years = Self::target_years(catalog, area);
        let designated: Vec<&str> = area_targets(catalog, area)
            .map(|t| t.indicator.as_str())
            .collect();
        years
            .iter()
            .rev()
            .find(|y| {
                rows.iter().any(|r| {
                    designated.contains(&r.indicator.as_str())
                        && is_area_row(r, area)
                        && r.value.is_some()
                        && in_year(r.period, **y)
                })
            })
            .or(years.first())
            .copied()
    }
}

fn area_targets<'a>(
    catalog: &'a ValidCatalog,
    area: &'a str,
) -> impl Iterator<Item = &'a LaaTargetDef> + 'a {
    catalog
        .catalog
        .targets
        .iter()
        .flat_map(|t| t.value.iter())
        .filter(move |t| t.area == area)
}

fn is_area_row(r: &ResultRow, area: &str) -> bool {
    r.area_level == AreaLevel::La && r.area_code == area
}

/// Whether period `p` ends within financial year `year`.
fn in_year(p: Period, year: Period) -> bool {
    p.end() <= year.end() && p.end() >= year.start()
}

/// The baseline label read in the indicator's grains, in order (a quarter
/// label is read in the first quarterly grain), as validation reads it.
fn baseline_period(ind: &ValidIndicator, label: &str) -> Option<Period> {
    ind.def
        .grains
        .iter()
        .find_map(|g| Period::parse_for(label, *g).ok())
}

/// A financial year and the rolling 12 months ending with its Q4 are the
/// same period of data.
fn same_data(a: Period, b: Period) -> bool {
    let fy_rq = |fy: Period, rq: Period| matches!((fy, rq), (Period::FinancialYear(y), Period::RollingQuarter { fy, q: 4 }) if y == fy);
    a == b || fy_rq(a, b) || fy_rq(b, a)
}

/// The target in force for `year` and the period it is set for: the
/// year's own, else the straight line from the baseline to the next later
/// target, evaluated at the end of the year, else the last target.
fn year_target(t: &LaaTargetDef, bp: Period, year: Period) -> Option<(f64, Period, f64)> {
    let mut ts: Vec<(Period, f64)> = t
        .targets
        .iter()
        .filter_map(|(k, v)| Some((k.parse::<Period>().ok()?, *v)))
        .collect();
    ts.sort_by_key(|(p, _)| p.end());
    if let Some((p, v)) = ts.iter().find(|(p, _)| *p == year) {
        return Some((*v, *p, *v));
    }
    let (tp, tv) = ts
        .iter()
        .find(|(p, _)| p.end() > year.end())
        .or(ts.last())
        .copied()?;
    let at_year = stats::trajectory(
        bp.end_quarter_index() as f64,
        t.baseline.value,
        tp.end_quarter_index() as f64,
        tv,
        year.end_quarter_index() as f64,
    )
    .unwrap_or(tv);
    Some((at_year, tp, tv))
}

fn figures_of(r: &ResultRow) -> Option<Figures> {
    Some(Figures {
        numerator: r.numerator?,
        denominator: r.denominator,
        expected: r.expected,
        numerator_n: r.numerator_n,
        denominator_n: r.denominator_n,
        sum_w2: 0.0,
    })
}

fn count(x: f64) -> u64 {
    if x.is_finite() && x > 0.0 {
        x.round() as u64
    } else {
        0
    }
}

/// Whether `latest` differs significantly (95%) from the baseline.
/// - Kinds that are themselves a comparison (`excess_percent` NI18,
///   `percent_change` NI30): the latest ratio of actual to expected (after
///   to before) against the baseline period's, by the conditional test of
///   two Poisson counts with the expected (before) counts as exposures.
/// - Other kinds: the engine's own test when the row's baseline is the
///   agreed baseline period; else the indicator's test between the two
///   rows (not available for weighted shares, whose rows do not carry the
///   sum of squared weights).
fn significant_vs_baseline(
    ind: &ValidIndicator,
    latest: &ResultRow,
    base: Option<&ResultRow>,
    bp: Period,
) -> Result<Option<bool>, StatsError> {
    let kind = ind.def.value.kind;
    match kind {
        ValueKind::ExcessPercent | ValueKind::PercentChange => {
            let Some(b) = base else { return Ok(None) };
            let exposure = |r: &ResultRow| match kind {
                ValueKind::ExcessPercent => r.expected,
                _ => r.denominator,
            };
            let (Some(n1), Some(t1), Some(n2), Some(t2)) =
                (latest.numerator, exposure(latest), b.numerator, exposure(b))
            else {
                return Ok(None);
            };
            Ok(stats::compare_poisson_counts(count(n1), t1, count(n2), t2)
                .map(|c| c.is_significant(&ConfidenceLevel::P95)))
        }
        _ => {
            if latest.baseline_period.is_some_and(|o| same_data(o, bp)) {
                return Ok(latest.significant);
            }
            let weighted = ind
                .def
                .interval
                .as_ref()
                .is_some_and(|i| i.weight.is_some());
            if weighted {
                return Ok(None);
            }
            let (Some(f), Some(b)) = (figures_of(latest), base.and_then(figures_of)) else {
                return Ok(None);
            };
            significant(ind, &f, Some(&b))
        }
    }
}

/// The latest published row of `own` in `year`, after the baseline period
/// `bp`; at equal ends, the baseline's grain (the financial year over its
/// rolling Q4).
fn latest_in_year<'a>(
    own: &[&'a ResultRow],
    bp: Option<Period>,
    year: Period,
) -> Option<&'a ResultRow> {
    let prefer = bp.map(|b| b.grain()).unwrap_or(Grain::FinancialYear);
    own.iter()
        .filter(|r| r.value.is_some())
        .map(|r| (r.period, *r))
        .filter(|(p, _)| in_year(*p, year))
        // a value after the baseline: the baseline itself is no progress report
        .filter(|(p, _)| bp.is_none_or(|b| p.end() > b.end()))
        .max_by_key(|(p, _)| (p.end_quarter_index(), p.grain() == prefer))
        .map(|(_, r)| r)
}

/// The published row of `own` with the data of baseline period `b`: the
/// one of `b` itself over one of the same data.
fn baseline_row<'a>(own: &[&'a ResultRow], b: Period) -> Option<&'a ResultRow> {
    own.iter()
        .filter(|r| r.value.is_some())
        .filter(|r| same_data(r.period, b))
        .max_by_key(|r| r.period == b)
        .copied()
}

/// The LAA lines of `area` for financial year `year`, one per designated
/// indicator, sorted by indicator.
pub fn laa_report(
    catalog: &ValidCatalog,
    rows: &[ResultRow],
    area: &str,
    year: Period,
) -> Result<Vec<LaaLine>, AssessError> {
    let area_name = rows
        .iter()
        .find(|r| is_area_row(r, area))
        .map(|r| r.area_name.clone())
        .unwrap_or_default();
    let mut out = Vec::new();
    for t in area_targets(catalog, area) {
        let Some(ind) = catalog.get(&t.indicator) else {
            continue;
        };
        let pol = super::polarity(ind);
        let bp = baseline_period(ind, &t.baseline.period);
        let own: Vec<&ResultRow> = rows
            .iter()
            .filter(|r| r.indicator == t.indicator && is_area_row(r, area))
            .collect();
        let latest = latest_in_year(&own, bp, year);
        let base_row = bp.and_then(|b| baseline_row(&own, b));
        let target = bp.and_then(|b| year_target(t, b, year));
        let mut line = LaaLine {
            area_code: area.to_string(),
            area_name: area_name.clone(),
            year,
            indicator: t.indicator.clone(),
            title: ind.def.title.clone(),
            units: ind.def.units.clone(),
            decimals: ind.def.decimals,
            baseline_period: t.baseline.period.clone(),
            baseline_value: t.baseline.value,
            latest_period: None,
            latest_value: None,
            ci_lower: None,
            ci_upper: None,
            target: target.map(|(at_year, _, _)| at_year),
            trajectory: None,
            significant: None,
            status: TargetStatus::NotYetAvailable,
        };
        if let (Some(r), Some(v), Some(p), Some(b), Some((year_tv, tp, tv))) = (
            latest,
            latest.and_then(|r| r.value),
            latest.map(|r| r.period),
            bp,
            target,
        ) {
            let traj = stats::trajectory(
                b.end_quarter_index() as f64,
                t.baseline.value,
                tp.end_quarter_index() as f64,
                tv,
                p.end_quarter_index() as f64,
            );
            let sig = significant_vs_baseline(ind, r, base_row, b).map_err(AssessError::at(
                &t.indicator,
                area,
                r.period,
            ))?;
            let worse = sig == Some(true) && pol.is_better(t.baseline.value, v);
            line.latest_period = Some(r.period);
            line.latest_value = Some(v);
            line.ci_lower = r.ci_lower;
            line.ci_upper = r.ci_upper;
            line.trajectory = traj;
            line.significant = sig;
            line.status =
                stats::target_status(Some(v), year_tv, traj.unwrap_or(year_tv), worse, pol);
        }
        out.push(line);
    }
    out.sort_by(|a, b| a.indicator.cmp(&b.indicator));
    Ok(out)
}
