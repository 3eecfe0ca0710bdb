//! Which periods each indicator is computed for, and which are not yet
//! available because their follow-up is incomplete at the extract date.

use chrono::{Datelike, Days, NaiveDate};
use datafusion::arrow::array::{Array, AsArray};
use datafusion::arrow::datatypes::{DataType, Date32Type};
use datafusion::functions_aggregate::expr_fn::{max, min};
use datafusion::logical_expr::cast;
use datafusion::prelude::SessionContext;

use super::ExecuteError;
use crate::extract::Extract;
use crate::period::{Period, PeriodSet, from_date32};
use crate::plan::follow_up_days;
use crate::validate::{ValidCatalog, ValidIndicator};

/// Periods of every grain of `ind` inside the coverage.
pub fn periods_for(
    ind: &ValidIndicator,
    coverage_start: NaiveDate,
    extract_date: NaiveDate,
) -> PeriodSet {
    let lag = follow_up_days(&ind.def.events);
    let observed = ind.def.cohort.observed_days.unwrap_or(0) as u64;
    let mut out = PeriodSet::default();
    for g in &ind.def.grains {
        for p in Period::all_within(*g, coverage_start, extract_date) {
            if observed > 0
                && p.end()
                    .checked_sub_days(Days::new(observed))
                    .is_none_or(|d| d < coverage_start)
            {
                continue;
            }
            let ready = p
                .end()
                .checked_add_days(Days::new(lag.max(0) as u64))
                .is_some_and(|d| d <= extract_date);
            if ready {
                out.computed.push(p);
            } else {
                out.not_yet_available.push(p);
            }
        }
    }
    out
}

fn fy_start(label: &str) -> Option<NaiveDate> {
    match label.parse::<Period>().ok()? {
        Period::FinancialYear(fy) => NaiveDate::from_ymd_opt(fy, 4, 1),
        _ => None,
    }
}

/// First day covered and the extract date: from the manifest when there is
/// one, else from the data (earliest cohort date; latest proven date).
pub async fn coverage(
    ctx: &SessionContext,
    catalog: &ValidCatalog,
    extract: &Extract,
) -> Result<(NaiveDate, NaiveDate), ExecuteError> {
    let manifest = extract.manifest.as_ref();
    let from_manifest = manifest.and_then(|m| m.from.as_deref()).and_then(fy_start);
    let (mut lo, mut hi) = (None::<NaiveDate>, None::<NaiveDate>);
    if from_manifest.is_none() || manifest.is_none() {
        for ind in &catalog.indicators {
            let co = &ind.def.cohort;
            if let (Some(d), Some(src)) = (&co.date, ind.sources.get(&co.source))
                && let Some((a, b)) = date_range(ctx, &src.table.name, &src.columns[d]).await?
            {
                lo = Some(lo.map_or(a, |x: NaiveDate| x.min(a)));
                hi = Some(hi.map_or(b, |x: NaiveDate| x.max(b)));
            }
            for ev in ind.def.events.values() {
                if let (Some(p), Some(src)) = (&ev.proven, ind.sources.get(&ev.source))
                    && let Some((_, b)) =
                        date_range(ctx, &src.table.name, &src.columns[&p.date]).await?
                {
                    hi = Some(hi.map_or(b, |x: NaiveDate| x.max(b)));
                }
            }
        }
    }
    let start = from_manifest.or(lo).map(|d| {
        // the first whole financial quarter
        let q0 = NaiveDate::from_ymd_opt(d.year(), ((d.month0() / 3) * 3) + 1, 1).unwrap_or(d);
        if q0 == d {
            d
        } else {
            q0.checked_add_months(chrono::Months::new(3)).unwrap_or(d)
        }
    });
    let end = manifest.map(|m| m.extract_date).or(hi);
    match (start, end) {
        (Some(s), Some(e)) => Ok((s, e)),
        _ => Err(ExecuteError::Geography {
            table: extract.dir.display().to_string(),
            message: "cannot tell the extract's coverage: add manifest.yaml with `extract_date` and `from`, or provide non-empty tables".into(),
        }),
    }
}

async fn date_range(
    ctx: &SessionContext,
    table: &str,
    column: &str,
) -> Result<Option<(NaiveDate, NaiveDate)>, ExecuteError> {
    let err = |e: datafusion::error::DataFusionError| ExecuteError::Register {
        table: table.to_string(),
        path: column.to_string(),
        source: e,
    };
    let c = datafusion::prelude::col(format!("\"{column}\""));
    let df = ctx.table(table).await.map_err(err)?;
    let batches = df
        .aggregate(
            vec![],
            vec![
                min(cast(c.clone(), DataType::Date32)).alias("lo"),
                max(cast(c, DataType::Date32)).alias("hi"),
            ],
        )
        .map_err(err)?
        .collect()
        .await
        .map_err(err)?;
    let Some(b) = batches.first() else {
        return Ok(None);
    };
    if b.num_rows() == 0 {
        return Ok(None);
    }
    let (lo, hi) = (
        b.column(0).as_primitive::<Date32Type>(),
        b.column(1).as_primitive::<Date32Type>(),
    );
    if lo.is_null(0) || hi.is_null(0) {
        return Ok(None);
    }
    Ok(Some((from_date32(lo.value(0)), from_date32(hi.value(0)))))
}
