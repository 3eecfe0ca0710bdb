//! Stage 5, assessment: turn aggregates into published result rows: value
//! and intervals, baseline and change, significance, targets and status,
//! comparison with region and England and Wales, recent trend, and
//! disclosure control. The statistics themselves live in `crate::stats`.

mod laa;
mod peers;
mod psa;
mod row;
mod value;

use std::collections::{BTreeMap, HashMap};

use crate::definition::LaaTargetDef;
use crate::execute::{Aggregate, Execution};
use crate::geography::AreaLevel;
use crate::period::{Grain, Period, PeriodSet};
use crate::stats::{self, Polarity, StatsError};
use crate::validate::{ValidCatalog, ValidIndicator};

pub use laa::{LaaLine, laa_report};
pub use peers::compare_with_peers;
pub use psa::{PsaRow, psa_progress_rows};
pub use row::{RESULT_COLUMNS, ResultRow, Status};
pub use value::{Figures, estimate, figures, significance_test};

/// A statistic refused the figures of one row: a bug of ours, not an
/// undefined figure (those are `None` in the row). The engine or
/// validation let through a negative or non-finite count, a proportion
/// whose numerator exceeds its denominator, or a confidence level outside
/// (0, 1); publishing the row blank would hide it.
#[derive(Debug, thiserror::Error)]
#[error("cannot assess {indicator} for {area} in {period}")]
pub struct AssessError {
    /// The indicator.
    pub indicator: String,
    /// The area code.
    pub area: String,
    /// The period.
    pub period: Period,
    /// What the statistics refused.
    #[source]
    pub source: StatsError,
}

impl AssessError {
    /// A wrapper adding the row's indicator, area and period to a
    /// [`StatsError`].
    pub(super) fn at(
        indicator: &str,
        area: &str,
        period: Period,
    ) -> impl Fn(StatsError) -> AssessError {
        let (indicator, area) = (indicator.to_string(), area.to_string());
        move |source| AssessError {
            indicator: indicator.clone(),
            area: area.clone(),
            period,
            source,
        }
    }
}

/// The stats polarity of a definition.
pub fn polarity(ind: &ValidIndicator) -> Polarity {
    match ind.def.polarity {
        crate::definition::Polarity::LowerIsBetter => Polarity::LowerIsBetter,
        crate::definition::Polarity::HigherIsBetter => Polarity::HigherIsBetter,
    }
}

/// The baseline period for rows of `grain`: the definition's baseline, or
/// for rolling 12 months the rolling quarter that equals a financial-year
/// baseline.
pub fn baseline_for(ind: &ValidIndicator, grain: Grain) -> Option<Period> {
    ind.baseline_for(grain)
}

type AreaKey = (AreaLevel, String);

struct Computed {
    agg: Aggregate,
    period: Period,
    figures: Figures,
    est: Option<(f64, Option<stats::Intervals>)>,
}

/// Stage entry point: assess every aggregate of `exec`.
pub fn assess(catalog: &ValidCatalog, exec: &Execution) -> Result<Vec<ResultRow>, AssessError> {
    let mut out = Vec::new();
    let targets = catalog.laa_targets();
    let mut by_indicator: BTreeMap<&str, Vec<&Aggregate>> = BTreeMap::new();
    for a in &exec.aggregates {
        by_indicator
            .entry(a.indicator.as_str())
            .or_default()
            .push(a);
    }
    // indicators are independent: assessed on every core (intervals and
    // trend tests are the work), then put back in the catalog's order, so
    // the rows and the first error reported do not depend on scheduling
    use rayon::prelude::*;
    let assessed: Vec<Result<Vec<ResultRow>, AssessError>> = catalog
        .indicators
        .par_iter()
        .filter_map(|ind| {
            let ps = exec.periods.get(&ind.def.id)?;
            let aggs = by_indicator
                .get(ind.def.id.as_str())
                .map(Vec::as_slice)
                .unwrap_or(&[]);
            Some(assess_aggregates(ind, aggs, ps, targets))
        })
        .collect();
    for rows in assessed {
        out.extend(rows?);
    }
    Ok(out)
}

/// The rows of one indicator, from its aggregates and periods alone
/// (what [`assess`] makes of it): for assessing each indicator as soon as
/// it is rolled up (`Session::execute_then`). `targets` are the catalog's
/// LAA targets.
pub fn assess_one(
    ind: &ValidIndicator,
    aggs: &[Aggregate],
    periods: &PeriodSet,
    targets: &[LaaTargetDef],
) -> Result<Vec<ResultRow>, AssessError> {
    let aggs: Vec<&Aggregate> = aggs.iter().collect();
    assess_aggregates(ind, &aggs, periods, targets)
}

/// The rows of one indicator, in their published order.
fn assess_aggregates(
    ind: &ValidIndicator,
    aggs: &[&Aggregate],
    periods: &PeriodSet,
    targets: &[LaaTargetDef],
) -> Result<Vec<ResultRow>, AssessError> {
    let mut rows = assess_indicator(ind, aggs, targets)?;
    rows.extend(not_yet_available(ind, &periods.not_yet_available, aggs));
    // a stable sort, as sort_by_key is (whose key cannot borrow the row)
    rows.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
    Ok(rows)
}

fn not_yet_available(
    ind: &ValidIndicator,
    periods: &[Period],
    aggs: &[&Aggregate],
) -> Vec<ResultRow> {
    let mut areas: BTreeMap<AreaKey, (&str, &str)> = BTreeMap::new();
    for a in aggs {
        areas.insert(
            (a.level, a.area_code.clone()),
            (a.area_name.as_str(), a.region_code.as_str()),
        );
    }
    let mut out = Vec::new();
    for p in periods {
        for ((level, code), (name, region)) in &areas {
            let mut r = ResultRow::empty(ind, *level, code, name, region, *p);
            r.status = Some(Status::Target(stats::TargetStatus::NotYetAvailable));
            out.push(r);
        }
    }
    out
}

fn assess_indicator(
    ind: &ValidIndicator,
    aggs: &[&Aggregate],
    targets: &[LaaTargetDef],
) -> Result<Vec<ResultRow>, AssessError> {
    use rayon::prelude::*;
    let computed = compute_all(ind, aggs)?;
    // rows are independent (intervals and significance tests are the
    // work): on every core, in the map's order, the first error in that
    // order reported
    let values: Vec<&Computed> = computed.values().collect();
    let mut rows = values
        .par_iter()
        .map(|c| assess_row(ind, targets, &computed, c))
        .collect::<Vec<_>>()
        .into_iter()
        .collect::<Result<Vec<_>, _>>()?;
    compare_and_trend(ind, &computed, &mut rows)?;
    suppress(ind, &mut rows);
    withhold_suppressed_baselines(&mut rows);
    false_discovery(&ind.def.id, &mut rows)?;
    spc_signals(ind, &mut rows);
    Ok(rows)
}

/// The figures and estimate of every aggregate, by area and period.
fn compute_all(
    ind: &ValidIndicator,
    aggs: &[&Aggregate],
) -> Result<BTreeMap<(AreaKey, Period), Computed>, AssessError> {
    // the intervals are the work: on every core, the first refusal in
    // the aggregates' order reported
    use rayon::prelude::*;
    let each: Vec<Result<Computed, AssessError>> = aggs
        .par_iter()
        .map(|a| {
            let period = a.period;
            let f = figures(ind, a);
            let est =
                estimate(ind, &f).map_err(AssessError::at(&ind.def.id, &a.area_code, period))?;
            Ok(Computed {
                agg: (*a).clone(),
                period,
                figures: f,
                est,
            })
        })
        .collect();
    let mut computed = BTreeMap::new();
    for c in each {
        let c = c?;
        computed.insert(((c.agg.level, c.agg.area_code.clone()), c.period), c);
    }
    Ok(computed)
}

/// Whether the indicator's rows are judged against a baseline period
/// (not for kinds that are themselves a change: excess, percent change).
fn against_baseline(ind: &ValidIndicator) -> bool {
    !matches!(
        ind.def.value.kind,
        crate::definition::ValueKind::ExcessPercent | crate::definition::ValueKind::PercentChange
    )
}

/// One area's row in one period, before the comparisons with other areas:
/// figures, value and intervals, change from the baseline and its
/// significance, and the status.
fn assess_row(
    ind: &ValidIndicator,
    targets: &[LaaTargetDef],
    computed: &BTreeMap<(AreaKey, Period), Computed>,
    c: &Computed,
) -> Result<ResultRow, AssessError> {
    let period = c.period;
    let key = (c.agg.level, c.agg.area_code.clone());
    let mut r = ResultRow::empty(
        ind,
        c.agg.level,
        &c.agg.area_code,
        &c.agg.area_name,
        &c.agg.region_code,
        period,
    );
    r.numerator = Some(c.figures.numerator);
    r.denominator = c.figures.denominator;
    r.expected = c.figures.expected;
    r.numerator_n = c.figures.numerator_n;
    r.denominator_n = c.figures.denominator_n;
    r.sample_size = value::sample_size(ind, &c.figures);
    let Some((value, ci)) = c.est else {
        r.status = Some(Status::NoData);
        return Ok(r);
    };
    r.value = Some(value);
    if let Some(i) = ci {
        r.set_intervals(&i);
    }
    let baseline = baseline_for(ind, period.grain());
    let base = baseline.and_then(|b| computed.get(&(key, b)));
    r.baseline_period = baseline;
    let base_value = base.and_then(|b| b.est.map(|e| e.0));
    r.baseline_value = base_value;
    let against_baseline = against_baseline(ind);
    // a period that ends before the baseline is not measured against it:
    // no change, no significance, no status
    let before_baseline = against_baseline && baseline.is_some_and(|b| period.end() < b.end());
    if let Some(bv) = base_value.filter(|_| !before_baseline) {
        r.change = match ind.def.change {
            crate::definition::ChangeKind::Difference => Some(value - bv),
            crate::definition::ChangeKind::Percent if bv != 0.0 => Some(100.0 * (value - bv) / bv),
            _ => None,
        };
    }
    let test =
        if before_baseline || (against_baseline && Some(period) == baseline) {
            None
        } else {
            significance_test(ind, &c.figures, base.map(|b| &b.figures))
                .map_err(AssessError::at(&ind.def.id, &c.agg.area_code, period))?
        };
    r.significant = test.map(|(sig, _)| sig);
    r.p_change = test.map(|(_, p)| p);
    r.status = judge(ind, targets, computed, c, &mut r, value);
    Ok(r)
}

/// The status of a row with a `value` whose baseline and significance are
/// set: year on year, the baseline itself, against a target, or against
/// the baseline alone (setting the row's `target` where there is one).
fn judge(
    ind: &ValidIndicator,
    targets: &[LaaTargetDef],
    computed: &BTreeMap<(AreaKey, Period), Computed>,
    c: &Computed,
    r: &mut ResultRow,
    value: f64,
) -> Option<Status> {
    let (period, baseline, base_value) = (c.period, r.baseline_period, r.baseline_value);
    let against_baseline = against_baseline(ind);
    let pol = polarity(ind);
    // the reference a status is judged against: the baseline, or zero
    // (expected / before) for kinds that are themselves a change
    let reference = if against_baseline {
        base_value
    } else {
        Some(0.0)
    };
    let target = target_for(ind, targets, c, base_value);
    let key = (c.agg.level, c.agg.area_code.clone());
    let yoy = year_on_year(ind, computed, &key, period, value);
    match (baseline, reference) {
        _ if yoy.is_some() => {
            let (previous, met) = yoy.unwrap_or((value, false)); // ok: is_some checked
            r.target = Some(previous);
            Some(Status::YearOnYear { met })
        }
        (Some(b), _) if against_baseline && period.end() < b.end() => None,
        (Some(b), _) if against_baseline && period == b => Some(Status::IsBaseline),
        (_, Some(refv)) => {
            let sig = r.significant.unwrap_or(false);
            let worse = sig && pol.is_better(refv, value);
            match target {
                Some((t, traj)) => {
                    r.target = Some(t);
                    Some(Status::Target(stats::target_status(
                        Some(value),
                        t,
                        traj,
                        worse,
                        pol,
                    )))
                }
                None => Some(Status::Baseline(stats::baseline_status(
                    value, refv, sig, pol,
                ))),
            }
        }
        _ => None,
    }
}

/// A row whose baseline row is suppressed must not publish that baseline
/// again: its `baseline_value` and `change` (which would give the withheld
/// figure back by subtraction) are withheld too.
fn withhold_suppressed_baselines(rows: &mut [ResultRow]) {
    let suppressed: std::collections::BTreeSet<(AreaLevel, String, Period)> = rows
        .iter()
        .filter(|r| r.suppressed)
        .map(|r| (r.area_level, r.area_code.clone(), r.period))
        .collect();
    for r in rows.iter_mut() {
        if let Some(b) = r.baseline_period
            && suppressed.contains(&(r.area_level, r.area_code.clone(), b))
        {
            r.baseline_value = None;
            r.change = None;
        }
    }
}

/// `q_value`: Benjamini-Hochberg across the published rows of one level
/// and period that made the test behind `significant` (so across the
/// local authorities of one indicator and period, a league table's family).
///
/// Every p comes from a statistics function returning [0, 1]: one outside
/// is a fault of ours, reported as such (an [`AssessError`] naming the
/// row), never published as an empty q-value.
fn false_discovery(id: &str, rows: &mut [ResultRow]) -> Result<(), AssessError> {
    let mut families: BTreeMap<(AreaLevel, Period), Vec<usize>> = BTreeMap::new();
    for (i, r) in rows.iter().enumerate() {
        if !r.suppressed && r.p_change.is_some() {
            families
                .entry((r.area_level, r.period))
                .or_default()
                .push(i);
        }
    }
    for ((_, period), idx) in &families {
        let p: Vec<f64> = idx.iter().filter_map(|&i| rows[i].p_change).collect();
        let q = stats::benjamini_hochberg(&p).map_err(|e| {
            let area = match &e {
                StatsError::InvalidProbability { index, .. } => idx
                    .get(*index)
                    .map(|&i| rows[i].area_code.clone())
                    .unwrap_or_default(),
                _ => String::new(),
            };
            AssessError::at(id, &area, *period)(e)
        })?;
        for (&i, q) in idx.iter().zip(q) {
            rows[i].q_value = Some(q);
        }
    }
    Ok(())
}

/// `spc`: the Making Data Count variation at each row's period of its
/// area's series of the same grain, from the baseline (when the definition
/// has one) to that period, published values only: the series a pack's
/// trend chart draws, read up to the row.
fn spc_signals(ind: &ValidIndicator, rows: &mut [ResultRow]) {
    let pol = polarity(ind);
    let mut series: BTreeMap<(AreaLevel, String, Grain), Vec<(chrono::NaiveDate, f64)>> =
        BTreeMap::new();
    for r in rows.iter() {
        let grain = r.period.grain();
        let start = baseline_for(ind, grain);
        if r.suppressed || start.is_some_and(|s| r.period.end() < s.end()) {
            continue;
        }
        if let Some(v) = r.value.filter(|v| v.is_finite()) {
            series
                .entry((r.area_level, r.area_code.clone(), grain))
                .or_default()
                .push((r.period.end(), v));
        }
    }
    for s in series.values_mut() {
        s.sort_by_key(|(end, _)| *end);
    }
    for r in rows.iter_mut() {
        if r.suppressed || r.value.is_none() {
            continue;
        }
        let Some(s) = series.get(&(r.area_level, r.area_code.clone(), r.period.grain())) else {
            continue;
        };
        let upto = s.partition_point(|(end, _)| *end <= r.period.end());
        if !s[..upto].iter().any(|(end, _)| *end == r.period.end()) {
            continue;
        }
        let values: Vec<f64> = s[..upto].iter().map(|(_, v)| *v).collect();
        r.spc = stats::spc_chart(&values, pol, None)
            .ok()
            .flatten()
            .map(|c| c.variation);
    }
}

/// For a year-on-year target and a row of a yearly grain whose previous
/// year has a value in the same area: that value and whether this year
/// beat it (strictly lower for a fall, higher for a rise).
fn year_on_year(
    ind: &ValidIndicator,
    computed: &BTreeMap<(AreaKey, Period), Computed>,
    key: &AreaKey,
    period: Period,
    value: f64,
) -> Option<(f64, bool)> {
    use crate::definition::TargetKind;
    let kind = ind.def.target.as_ref()?.kind;
    if kind == TargetKind::ByDate || !period.grain().is_yearly() {
        return None;
    }
    let previous = computed.get(&(key.clone(), period.offset(-1)))?.est?.0;
    let met = match kind {
        TargetKind::FallYearOnYear => value < previous,
        _ => value > previous,
    };
    Some((previous, met))
}

/// The target and the trajectory value for this row: LAA targets for LA
/// rows, the definition's national target for national rows.
fn target_for(
    ind: &ValidIndicator,
    targets: &[LaaTargetDef],
    c: &Computed,
    base_value: Option<f64>,
) -> Option<(f64, f64)> {
    let period = c.period;
    match c.agg.level {
        AreaLevel::National => {
            let t = ind.def.target.as_ref()?;
            let tp = ind.target_period?;
            let base = baseline_for(ind, period.grain())?;
            let bv = base_value?;
            let tv = t
                .value
                .or_else(|| t.change_percent.map(|pc| bv * (1.0 + pc / 100.0)))?;
            let traj = stats::trajectory(
                base.end_quarter_index() as f64,
                bv,
                tp.end_quarter_index() as f64,
                tv,
                period.end_quarter_index() as f64,
            )?;
            Some((tv, traj))
        }
        AreaLevel::La => {
            let t = targets
                .iter()
                .find(|t| t.indicator == ind.def.id && t.area == c.agg.area_code)?;
            let grain = period.grain();
            let bp = Period::parse_for(&t.baseline.period, grain).ok()?;
            // the target of the financial year this period ends in
            let mut year_targets: Vec<(Period, f64)> = t
                .targets
                .iter()
                .filter_map(|(k, v)| Some((k.parse::<Period>().ok()?, *v)))
                .collect();
            year_targets.sort_by_key(|(p, _)| p.end());
            let (tp, tv) = year_targets
                .iter()
                .find(|(p, _)| p.end() >= period.end())
                .or(year_targets.last())
                .copied()?;
            let traj = stats::trajectory(
                bp.end_quarter_index() as f64,
                t.baseline.value,
                tp.end_quarter_index() as f64,
                tv,
                period.end_quarter_index() as f64,
            )?;
            Some((tv, traj))
        }
        AreaLevel::Region => None,
    }
}

/// The trend test over `series` (oldest first): of the counts, for an
/// unweighted percentage; else of the values, each with the standard
/// error its 99.8% interval implies.
fn trend_test(
    ind: &ValidIndicator,
    series: &[&Computed],
    pol: Polarity,
) -> Option<stats::TrendTest> {
    let unweighted_share = ind.def.value.kind == crate::definition::ValueKind::Percentage
        && ind.def.interval.as_ref().is_none_or(|i| i.weight.is_none());
    if unweighted_share {
        let pts: Vec<stats::ProportionPoint> = series
            .iter()
            .map(|c| stats::ProportionPoint {
                numerator: c.figures.numerator,
                denominator: c.figures.denominator.unwrap_or(0.0),
            })
            .collect();
        stats::proportion_trend(&pts, pol)
    } else {
        let pts: Option<Vec<stats::ValuePoint>> = series
            .iter()
            .map(|c| {
                let (v, ci) = c.est?;
                let ci = ci?;
                let se = (ci.ci998.upper - ci.ci998.lower) / (2.0 * stats::Z998);
                (se > 0.0).then_some(stats::ValuePoint {
                    value: v,
                    standard_error: se,
                })
            })
            .collect();
        pts.and_then(|p| stats::value_trend(&p, pol))
    }
}

/// Each row's comparisons with its region and England and Wales, with
/// their p-values, and its recent trend.
fn compare_and_trend(
    ind: &ValidIndicator,
    computed: &BTreeMap<(AreaKey, Period), Computed>,
    rows: &mut [ResultRow],
) -> Result<(), AssessError> {
    let pol = polarity(ind);
    // looked up by borrowed code: a row reads up to eight figures (its own,
    // its region's, the nation's and its trend's), and a key of the map
    // would copy the code each time
    let index: HashMap<(AreaLevel, &str, Period), &Computed> = computed
        .iter()
        .map(|(((level, code), p), c)| ((*level, code.as_str(), *p), c))
        .collect();
    let get = |level: AreaLevel, code: &str, p: Period| index.get(&(level, code, p)).copied();
    let value_of = |level: AreaLevel, code: &str, p: Period| {
        get(level, code, p).and_then(|c| c.est.map(|e| e.0))
    };
    let national_code = crate::geography::NATIONAL_CODE;
    // each row reads `computed` and writes only itself: on every core, the
    // first refusal in row order reported
    use rayon::prelude::*;
    let each = |r: &mut ResultRow| -> Result<(), AssessError> {
        let p = r.period;
        let Some(iv) = r.intervals() else {
            return Ok(());
        };
        // an area's count is not comparable with a larger area's total
        let comparable = ind.def.value.kind != crate::definition::ValueKind::Count;
        let own = get(r.area_level, &r.area_code, p);
        // the p-value of a comparison, by inverting the row's own interval;
        // the search keeps the first refusal of the statistics to return it
        let refused = std::cell::Cell::new(None);
        let p_value = |bench: f64| {
            own.and_then(|c| {
                stats::interval_p_value(bench, |l| {
                    value::interval_at(ind, &c.figures, l).unwrap_or_else(|e| {
                        refused.set(Some(e));
                        None
                    })
                })
            })
        };
        if comparable
            && r.area_level == AreaLevel::La
            && let Some(bench) = value_of(AreaLevel::Region, &r.region_code, p)
        {
            r.vs_region = stats::compare_with_benchmark(&iv, bench, pol);
            r.p_vs_region = p_value(bench);
        }
        if comparable
            && r.area_level != AreaLevel::National
            && let Some(bench) = value_of(AreaLevel::National, national_code, p)
        {
            r.vs_national = stats::compare_with_benchmark(&iv, bench, pol);
            r.p_vs_national = p_value(bench);
        }
        if let Some(e) = refused.take() {
            return Err(AssessError::at(&ind.def.id, &r.area_code, p)(e));
        }
        // recent trend over the last five non-overlapping periods
        let step = if p.grain().overlapping() { 4 } else { 1 };
        let series: Vec<&Computed> = (0..stats::TREND_PERIODS as i32)
            .rev()
            .filter_map(|k| get(r.area_level, &r.area_code, p.offset(-k * step)))
            .collect();
        if series.len() < stats::TREND_PERIODS {
            return Ok(());
        }
        let test = trend_test(ind, &series, pol);
        r.trend = test.map(|t| t.trend);
        r.p_trend = test.and_then(|t| stats::chi_square_1df_p_value(t.statistic));
        Ok(())
    };
    let done: Vec<Result<(), AssessError>> = rows.par_iter_mut().map(each).collect();
    done.into_iter().collect()
}

fn suppress(ind: &ValidIndicator, rows: &mut [ResultRow]) {
    let threshold = ind.def.disclosure_threshold;
    let mut groups: BTreeMap<String, Vec<usize>> = BTreeMap::new();
    for (i, r) in rows.iter().enumerate() {
        if r.area_level == AreaLevel::La && r.value.is_some() {
            groups.entry(r.period.to_string()).or_default().push(i);
        }
    }
    for idx in groups.values() {
        let input: Vec<stats::SuppressionRow> = idx
            .iter()
            .map(|&i| {
                let r = &rows[i];
                stats::SuppressionRow {
                    region: &r.region_code,
                    area_code: &r.area_code,
                    numerator: Some(r.numerator_n.max(0) as u64),
                    denominator: r.denominator_n.map(|d| d.max(0) as u64),
                }
            })
            .collect();
        let flags = stats::suppress(&input, threshold);
        for (&i, s) in idx.iter().zip(flags) {
            if s {
                rows[i].withhold();
            }
        }
    }
}
