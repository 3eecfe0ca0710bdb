//! Comparison with most similar areas (`crate::peers`): `vs_peers`, the
//! area's interval against its group's pooled value, and `peer_rank`, its
//! place among the group.
//!
//! The group is the area and its peers. The pooled value re-sums the
//! members' numerators, denominators and expected counts for the period and
//! recomputes the value, as region and England and Wales figures are made,
//! never by averaging rates. Like `vs_region`, the comparison asks whether
//! the pooled value lies outside the area's 95% (and 99.8%) interval, and a
//! count (an area's own total) is not compared. The rank counts only
//! members with a published (not suppressed) value, so a withheld figure is
//! never placed, and equal values share the better rank.

use std::collections::BTreeMap;

use super::AssessError;
use super::polarity;
use super::row::ResultRow;
use super::value::{Figures, estimate, figures};
use crate::definition::ValueKind;
use crate::execute::Execution;
use crate::geography::AreaLevel;
use crate::peers::PeerGroups;
use crate::period::Period;
use crate::stats;
use crate::validate::ValidCatalog;

/// Sum of two areas' figures, as a roll-up sums them.
fn add(a: &mut Figures, b: &Figures) {
    let opt = |x: Option<f64>, y: Option<f64>| match (x, y) {
        (Some(x), Some(y)) => Some(x + y),
        (x, y) => x.or(y),
    };
    a.numerator += b.numerator;
    a.denominator = opt(a.denominator, b.denominator);
    a.expected = opt(a.expected, b.expected);
    a.numerator_n += b.numerator_n;
    a.denominator_n = match (a.denominator_n, b.denominator_n) {
        (Some(x), Some(y)) => Some(x + y),
        (x, y) => x.or(y),
    };
    a.sum_w2 += b.sum_w2;
}

/// Fill `vs_peers` and `peer_rank` of every LA row of `rows` from the LA
/// figures of `exec` and the groups. Rows already suppressed stay empty.
pub fn compare_with_peers(
    catalog: &ValidCatalog,
    exec: &Execution,
    rows: &mut [ResultRow],
    groups: &PeerGroups,
) -> Result<(), AssessError> {
    // LA figures by indicator, area and period
    let mut la: BTreeMap<(&str, &str, Period), Figures> = BTreeMap::new();
    for a in exec.aggregates.iter().filter(|a| a.level == AreaLevel::La) {
        if let Some(ind) = catalog.get(&a.indicator) {
            la.insert(
                (a.indicator.as_str(), a.area_code.as_str(), a.period),
                figures(ind, a),
            );
        }
    }
    // published LA values, for the rank
    let published: BTreeMap<(String, String, Period), f64> = rows
        .iter()
        .filter(|r| r.area_level == AreaLevel::La && !r.suppressed)
        .filter_map(|r| {
            let v = r.value.filter(|v| v.is_finite())?;
            Some(((r.indicator.clone(), r.area_code.clone(), r.period), v))
        })
        .collect();
    for r in rows.iter_mut() {
        if r.area_level != AreaLevel::La || r.suppressed {
            continue;
        }
        let (Some(ind), Some(group)) = (catalog.get(&r.indicator), groups.groups.get(&r.area_code))
        else {
            continue;
        };
        if group.peers.is_empty() || ind.def.value.kind == ValueKind::Count {
            continue;
        }
        let pol = polarity(ind);
        if let Some(iv) = r.intervals() {
            let mut pooled = Figures::default();
            let mut any = false;
            for m in group.members() {
                if let Some(f) = la.get(&(r.indicator.as_str(), m, r.period)) {
                    add(&mut pooled, f);
                    any = true;
                }
            }
            let pooled = if any {
                estimate(ind, &pooled).map_err(AssessError::at(
                    &r.indicator,
                    &r.area_code,
                    r.period,
                ))?
            } else {
                None
            };
            let bench = pooled.map(|e| e.0);
            r.peer_value = bench;
            r.vs_peers = bench.and_then(|b| stats::compare_with_benchmark(&iv, b, pol));
        }
        if let Some(own) = published.get(&(r.indicator.clone(), r.area_code.clone(), r.period)) {
            let values: Vec<f64> = group
                .members()
                .filter_map(|m| {
                    published
                        .get(&(r.indicator.clone(), m.to_string(), r.period))
                        .copied()
                })
                .collect();
            let better = values.iter().filter(|&&v| pol.is_better(v, *own)).count();
            r.peer_rank = Some((better + 1, values.len()));
        }
    }
    Ok(())
}
