//! The LAA target report of one area: for each designated indicator the
//! baseline, latest value and interval, the target and the trajectory,
//! and the status.

use crate::definition::LaaTargetDef;
use crate::execute::AreaLevel;
use crate::period::Period;
use crate::stats::{self, TargetStatus};
use crate::validate::ValidCatalog;

use super::ResultRow;

/// One designated indicator of an LSP.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct LaaLine {
    /// Area code.
    pub area_code: String,
    /// Area name.
    pub area_name: String,
    /// Indicator id.
    pub indicator: String,
    /// Indicator title.
    pub title: String,
    /// Agreed baseline period.
    pub baseline_period: String,
    /// Agreed baseline value.
    pub baseline_value: f64,
    /// Latest period with a value, within the year.
    pub latest_period: Option<String>,
    /// Latest value.
    pub latest_value: Option<f64>,
    /// 95% interval of the latest value.
    pub ci_lower: Option<f64>,
    /// 95% interval of the latest value.
    pub ci_upper: Option<f64>,
    /// The year's target.
    pub target: Option<f64>,
    /// Straight-line trajectory from baseline to target at the latest period.
    pub trajectory: Option<f64>,
    /// Whether the latest value differs significantly from the baseline.
    pub significant: Option<bool>,
    /// `met`, `on track`, `off track`, `worse`, `not yet available`.
    pub status: String,
}

/// The LAA lines of `area` for financial year `year`.
pub fn laa_report(
    catalog: &ValidCatalog,
    rows: &[ResultRow],
    area: &str,
    year: Period,
) -> Vec<LaaLine> {
    let targets: Vec<&LaaTargetDef> = catalog
        .catalog
        .targets
        .as_ref()
        .map(|t| t.value.iter().filter(|t| t.area == area).collect())
        .unwrap_or_default();
    let mut out = Vec::new();
    for t in targets {
        let Some(ind) = catalog.get(&t.indicator) else {
            continue;
        };
        let pol = super::polarity(ind);
        let latest = rows
            .iter()
            .filter(|r| {
                r.indicator == t.indicator && r.area_level == AreaLevel::La && r.area_code == area
            })
            .filter(|r| {
                r.period_parsed
                    .is_some_and(|p| p.end() <= year.end() && p.end() > year.start())
            })
            .filter(|r| r.value.is_some())
            .max_by_key(|r| r.sort_key());
        let area_name = rows
            .iter()
            .find(|r| r.area_code == area)
            .map(|r| r.area_name.clone())
            .unwrap_or_default();
        let target = t.targets.get(&year.to_string()).copied();
        let bp = t.baseline.period.parse::<Period>().ok();
        let mut line = LaaLine {
            area_code: area.to_string(),
            area_name,
            indicator: t.indicator.clone(),
            title: ind.def.title.clone(),
            baseline_period: t.baseline.period.clone(),
            baseline_value: t.baseline.value,
            latest_period: None,
            latest_value: None,
            ci_lower: None,
            ci_upper: None,
            target,
            trajectory: None,
            significant: None,
            status: TargetStatus::NotYetAvailable.as_str().to_string(),
        };
        if let (Some(r), Some(tv), Some(bp)) = (latest, target, bp) {
            let p = r.period_parsed.unwrap_or(year);
            let traj = stats::trajectory(
                bp.end_quarter_index() as f64,
                t.baseline.value,
                year.end_quarter_index() as f64,
                tv,
                p.end_quarter_index() as f64,
            );
            let v = r.value.unwrap_or_default();
            let sig = r.significant.unwrap_or(false) && pol.is_better(t.baseline.value, v);
            line.latest_period = Some(r.period.clone());
            line.latest_value = r.value;
            line.ci_lower = r.ci_lower;
            line.ci_upper = r.ci_upper;
            line.trajectory = traj;
            line.significant = r.significant;
            line.status = stats::target_status(r.value, tv, traj.unwrap_or(tv), sig, pol)
                .as_str()
                .to_string();
        }
        out.push(line);
    }
    out.sort_by(|a, b| a.indicator.cmp(&b.indicator));
    out
}
