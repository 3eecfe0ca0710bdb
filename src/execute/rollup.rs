//! Roll-up: LA rows to region and national by re-summing measures, never
//! by averaging values. Every LA of the lookup gets a row for every
//! computed period (zero where the data have none).

use std::collections::BTreeMap;

use super::aggregates::{Aggregate, LaRow, MeasureValue};
use crate::geography::{AreaLevel, AreaLookup, NATIONAL_CODE, NATIONAL_NAME};
use crate::period::Period;
use crate::validate::ValidIndicator;

/// (grain, period label): the order the sums are taken in.
type Key = (String, String);

fn key_of(p: &Period) -> Key {
    (p.grain().as_str().to_string(), p.to_string())
}

/// An area's or period's measures, and its sum of squared weights.
type Sums = (BTreeMap<String, MeasureValue>, f64);

/// Add `m` and `w2` into `slot`.
fn add_sums(slot: &mut Sums, m: &BTreeMap<String, MeasureValue>, w2: f64) {
    for (k, v) in m {
        slot.0.entry(k.clone()).or_default().add(v);
    }
    slot.1 += w2;
}

fn empty_measures(ind: &ValidIndicator) -> BTreeMap<String, MeasureValue> {
    ind.def
        .measures
        .keys()
        .map(|k| (k.clone(), MeasureValue::default()))
        .collect()
}

/// Build LA, region and national aggregates of one indicator.
pub fn roll_up(
    ind: &ValidIndicator,
    rows: Vec<LaRow>,
    periods: &[Period],
    areas: &AreaLookup,
    notes: &mut Vec<String>,
) -> Vec<Aggregate> {
    let id = &ind.def.id;
    // every key of `la`, `region` and `national` comes from `periods`, so
    // `period_of[key]` below always finds it
    let (mut la, mut national, period_of) = start_sums(ind, periods, areas);
    let unknown = add_rows(rows, &mut la, &mut national);
    for (code, n) in unknown {
        let table = ind
            .sources
            .get(&ind.def.cohort.source)
            .map(|s| s.table.name.as_str())
            .unwrap_or_default();
        notes.push(format!("{id}: area code `{code}` of table `{table}` is not in the geography table ({n} period rows); counted in England and Wales only"));
    }
    // area attributes are not in the plan output: national and region sum them from LAs
    let mut out = Vec::new();
    let mut region: BTreeMap<(Key, String), Sums> = BTreeMap::new();
    for ((key, code), (m, w2)) in &la {
        let Some(a) = areas.las.get(code) else {
            continue;
        };
        let slot = region
            .entry((key.clone(), a.region_code.clone()))
            .or_insert_with(|| (empty_measures(ind), 0.0));
        add_sums(slot, m, *w2);
        for (name, def) in &ind.def.measures {
            if def.area_attribute.is_some()
                && let (Some(nat), Some(v)) = (national.get_mut(key), m.get(name))
            {
                nat.0.entry(name.clone()).or_default().add(v);
            }
        }
        out.push(Aggregate {
            indicator: id.clone(),
            period: period_of[key],
            level: AreaLevel::La,
            area_code: code.clone(),
            area_name: a.name.clone(),
            region_code: a.region_code.clone(),
            measures: m.clone(),
            sum_w2: *w2,
        });
    }
    let names = areas.regions();
    for ((key, code), (m, w2)) in region {
        out.push(Aggregate {
            indicator: id.clone(),
            period: period_of[&key],
            level: AreaLevel::Region,
            area_code: code.clone(),
            area_name: names.get(&code).cloned().unwrap_or_default(),
            region_code: code,
            measures: m,
            sum_w2: w2,
        });
    }
    for (key, (m, w2)) in national {
        out.push(Aggregate {
            indicator: id.clone(),
            period: period_of[&key],
            level: AreaLevel::National,
            area_code: NATIONAL_CODE.to_string(),
            area_name: NATIONAL_NAME.to_string(),
            region_code: String::new(),
            measures: m,
            sum_w2: w2,
        });
    }
    out
}

/// The sums before any row, for every period: each LA's (keyed by period
/// and LA code) and the nation's, and the period of each key.
#[allow(clippy::type_complexity)]
fn start_sums(
    ind: &ValidIndicator,
    periods: &[Period],
    areas: &AreaLookup,
) -> (
    BTreeMap<(Key, String), Sums>,
    BTreeMap<Key, Sums>,
    BTreeMap<Key, Period>,
) {
    let mut la: BTreeMap<(Key, String), Sums> = BTreeMap::new();
    let mut national: BTreeMap<Key, Sums> = BTreeMap::new();
    let mut period_of: BTreeMap<Key, Period> = BTreeMap::new();
    for p in periods {
        let key = key_of(p);
        period_of.insert(key.clone(), *p);
        national.insert(key.clone(), (empty_measures(ind), 0.0));
        for a in areas.las.values() {
            la.insert(
                (key.clone(), a.code.clone()),
                (la_start_measures(ind, a), 0.0),
            );
        }
    }
    (la, national, period_of)
}

/// An LA's measures before any row: zero, but for the measures read from
/// an area attribute, which take the LA's value.
fn la_start_measures(
    ind: &ValidIndicator,
    a: &crate::geography::Area,
) -> BTreeMap<String, MeasureValue> {
    let mut m = empty_measures(ind);
    for (name, def) in &ind.def.measures {
        if let Some(attr) = &def.area_attribute {
            let v = a.attributes.get(attr).copied().unwrap_or(0.0);
            m.insert(
                name.clone(),
                MeasureValue {
                    value: v,
                    n: v.round() as i64,
                },
            );
        }
    }
    m
}

/// Add the plan's rows into their LA's and the nation's sums (rows of a
/// period not computed are skipped); the rows of each area code not in
/// the geography table are counted nationally only, and returned.
fn add_rows(
    rows: Vec<LaRow>,
    la: &mut BTreeMap<(Key, String), Sums>,
    national: &mut BTreeMap<Key, Sums>,
) -> BTreeMap<String, i64> {
    let mut unknown: BTreeMap<String, i64> = BTreeMap::new();
    for r in rows {
        let key = key_of(&r.period);
        let Some(nat) = national.get_mut(&key) else {
            continue;
        };
        add_sums(nat, &r.measures, r.sum_w2);
        match la.get_mut(&(key, r.area_code.clone())) {
            Some(slot) => add_sums(slot, &r.measures, r.sum_w2),
            None => *unknown.entry(r.area_code).or_default() += 1,
        }
    }
    unknown
}
