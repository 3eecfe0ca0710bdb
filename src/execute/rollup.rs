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
    let mut la: BTreeMap<(Key, String), (BTreeMap<String, MeasureValue>, f64)> = BTreeMap::new();
    let mut national: BTreeMap<Key, (BTreeMap<String, MeasureValue>, f64)> = BTreeMap::new();
    let mut unknown: BTreeMap<String, i64> = BTreeMap::new();
    // every key of `la`, `region` and `national` comes from `periods`, so
    // `period_of[key]` below always finds it
    let mut period_of: BTreeMap<Key, Period> = BTreeMap::new();
    for p in periods {
        let key = key_of(p);
        period_of.insert(key.clone(), *p);
        national.insert(key.clone(), (empty_measures(ind), 0.0));
        for a in areas.las.values() {
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
            la.insert((key.clone(), a.code.clone()), (m, 0.0));
        }
    }
    for r in rows {
        let key = key_of(&r.period);
        let Some(nat) = national.get_mut(&key) else {
            continue;
        };
        for (k, v) in &r.measures {
            nat.0.entry(k.clone()).or_default().add(v);
        }
        nat.1 += r.sum_w2;
        match la.get_mut(&(key, r.area_code.clone())) {
            Some(slot) => {
                for (k, v) in &r.measures {
                    slot.0.entry(k.clone()).or_default().add(v);
                }
                slot.1 += r.sum_w2;
            }
            None => *unknown.entry(r.area_code).or_default() += 1,
        }
    }
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
    let mut region: BTreeMap<(Key, String), (BTreeMap<String, MeasureValue>, f64)> =
        BTreeMap::new();
    for ((key, code), (m, w2)) in &la {
        let Some(a) = areas.las.get(code) else {
            continue;
        };
        let slot = region
            .entry((key.clone(), a.region_code.clone()))
            .or_insert_with(|| (empty_measures(ind), 0.0));
        for (k, v) in m {
            slot.0.entry(k.clone()).or_default().add(v);
        }
        slot.1 += w2;
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
