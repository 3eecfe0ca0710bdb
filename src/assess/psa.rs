//! PSA progress: from the national rows of each PSA's indicators.

use crate::definition::PsaDef;
use crate::geography::AreaLevel;
use crate::period::Period;
use crate::stats::{self, BaselineStatus};
use crate::validate::ValidCatalog;

use super::ResultRow;

/// Progress of one PSA in one financial year.
#[derive(Debug, Clone, PartialEq)]
pub struct PsaRow {
    /// PSA id.
    pub psa: String,
    /// PSA title.
    pub title: String,
    /// Financial year.
    pub period: Period,
    /// Strong, some or no progress, or not yet assessed.
    pub progress: stats::PsaProgress,
    /// Each member indicator and its change against baseline (None when not assessed).
    pub indicators: Vec<(String, Option<BaselineStatus>)>,
}

/// The national row of `id` that stands for financial year `fy`.
fn row_for_year<'a>(rows: &'a [ResultRow], id: &str, fy: i32) -> Option<&'a ResultRow> {
    let wanted = [
        Period::FinancialYear(fy),
        Period::Quarter { fy, q: 4 },
        Period::RollingQuarter { fy, q: 4 },
        Period::CalendarYear(fy),
    ];
    wanted.iter().find_map(|p| {
        rows.iter()
            .find(|r| r.indicator == id && r.area_level == AreaLevel::National && r.period == *p)
    })
}

fn status(catalog: &ValidCatalog, r: &ResultRow) -> Option<BaselineStatus> {
    let ind = catalog.get(&r.indicator)?;
    let (v, b) = (r.value?, r.baseline_value?);
    let base = r.baseline_period?;
    if r.period == base {
        return None;
    }
    let pol = super::polarity(ind);
    let against_zero = matches!(
        ind.def.value.kind,
        crate::definition::ValueKind::ExcessPercent | crate::definition::ValueKind::PercentChange
    );
    let reference = if against_zero { 0.0 } else { b };
    Some(stats::baseline_status(
        v,
        reference,
        r.significant.unwrap_or(false),
        pol,
    ))
}

/// PSA progress for every PSA and every financial year with results.
pub fn psa_progress_rows(catalog: &ValidCatalog, rows: &[ResultRow]) -> Vec<PsaRow> {
    let Some(psas) = &catalog.catalog.psas else {
        return Vec::new();
    };
    let mut years: Vec<i32> = rows
        .iter()
        .map(|r| match r.period {
            Period::FinancialYear(fy) => fy,
            Period::Quarter { fy, .. } | Period::RollingQuarter { fy, .. } => fy,
            Period::CalendarYear(y) => y,
        })
        .collect();
    years.sort();
    years.dedup();
    let mut out = Vec::new();
    for psa in &psas.value {
        for fy in &years {
            out.push(one(catalog, psa, rows, *fy));
        }
    }
    out
}

fn one(catalog: &ValidCatalog, psa: &PsaDef, rows: &[ResultRow], fy: i32) -> PsaRow {
    let mut members = Vec::new();
    let mut statuses = Vec::new();
    for id in &psa.indicators {
        let s = row_for_year(rows, id, fy).and_then(|r| status(catalog, r));
        statuses.push(s);
        members.push((id.clone(), s));
    }
    PsaRow {
        psa: psa.id.clone(),
        title: psa.title.clone(),
        period: Period::FinancialYear(fy),
        progress: stats::psa_progress(&statuses),
        indicators: members,
    }
}
