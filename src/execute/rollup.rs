//! Roll-up: LA rows to region and national by re-summing measures, never
//! by averaging values. Every LA of the lookup gets a row for every
//! computed period (zero where the data have none).

use std::collections::BTreeMap;

use super::aggregates::{Aggregate, LaRow, MeasureValue};
use crate::geography::{Area, AreaLevel, AreaLookup, NATIONAL_CODE, NATIONAL_NAME};
use crate::period::Period;
use crate::validate::ValidIndicator;

/// (grain, period label): the order the sums are taken in.
type Key = (String, String);

fn key_of(p: &Period) -> Key {
    (p.grain().as_str().to_string(), p.to_string())
}

/// Running sums of one area and period: each measure of the indicator
/// (in the order of their names) and the sum of squared weights.
#[derive(Clone)]
struct Sums {
    measures: Vec<MeasureValue>,
    w2: f64,
}

impl Sums {
    fn add(&mut self, o: &Sums) {
        for (a, b) in self.measures.iter_mut().zip(&o.measures) {
            a.add(b);
        }
        self.w2 += o.w2;
    }
}

/// The indexes a roll-up works in: periods in the order of their
/// [`Key`], LAs and regions by code, measures by name. Sums are kept in
/// flat vectors rather than maps keyed by strings (the roll-up of a
/// small indicator took longer than its plan).
struct Layout<'a> {
    /// The measures' names, sorted (the order of `Aggregate::measures`).
    names: Vec<&'a String>,
    /// The periods, sorted by key, without repeats.
    periods: Vec<Period>,
    /// Each period's position in `periods`.
    period_index: std::collections::HashMap<Period, usize>,
    /// The LAs, sorted by code.
    las: Vec<&'a Area>,
    /// Each LA code's position in `las`.
    la_index: std::collections::HashMap<&'a str, usize>,
    /// The region codes of the LAs, sorted, and each LA's region's position.
    regions: Vec<&'a String>,
    la_region: Vec<usize>,
}

impl<'a> Layout<'a> {
    fn new(ind: &'a ValidIndicator, periods: &[Period], areas: &'a AreaLookup) -> Layout<'a> {
        let mut keyed: BTreeMap<Key, Period> = BTreeMap::new();
        for p in periods {
            keyed.insert(key_of(p), *p);
        }
        let periods: Vec<Period> = keyed.into_values().collect();
        let period_index = periods.iter().enumerate().map(|(i, p)| (*p, i)).collect();
        let las: Vec<&Area> = areas.las.values().collect();
        let la_index = las
            .iter()
            .enumerate()
            .map(|(i, a)| (a.code.as_str(), i))
            .collect();
        let regions: Vec<&String> = las
            .iter()
            .map(|a| &a.region_code)
            .collect::<std::collections::BTreeSet<_>>()
            .into_iter()
            .collect();
        let la_region = las
            .iter()
            .map(|a| regions.binary_search(&&a.region_code).unwrap_or_default())
            .collect();
        Layout {
            names: ind.def.measures.keys().collect(),
            periods,
            period_index,
            las,
            la_index,
            regions,
            la_region,
        }
    }

    fn zero(&self) -> Sums {
        Sums {
            measures: vec![MeasureValue::default(); self.names.len()],
            w2: 0.0,
        }
    }

    /// A row's measures as sums (a name the indicator does not define,
    /// which a plan cannot return, is left out).
    fn sums_of(&self, measures: &BTreeMap<String, MeasureValue>, w2: f64) -> Sums {
        let mut s = self.zero();
        for (k, v) in measures {
            if let Ok(i) = self.names.binary_search(&k) {
                s.measures[i].add(v);
            }
        }
        s.w2 = w2;
        s
    }

    fn measures(&self, s: &Sums) -> BTreeMap<String, MeasureValue> {
        self.names
            .iter()
            .zip(&s.measures)
            .map(|(k, v)| ((*k).clone(), *v))
            .collect()
    }
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
    let layout = Layout::new(ind, periods, areas);
    let (np, nl, nr) = (layout.periods.len(), layout.las.len(), layout.regions.len());
    // every LA starts at zero, but for the measures read from an area
    // attribute, which take the LA's value
    let la_start: Vec<Sums> = layout
        .las
        .iter()
        .map(|a| la_start_sums(ind, &layout, a))
        .collect();
    let mut la: Vec<Sums> = (0..np).flat_map(|_| la_start.iter().cloned()).collect();
    let mut national: Vec<Sums> = vec![layout.zero(); np];
    let unknown = add_rows(rows, &layout, &mut la, &mut national);
    for (code, n) in unknown {
        let table = ind
            .sources
            .get(&ind.def.cohort.source)
            .map(|s| s.table.name.as_str())
            .unwrap_or_default();
        notes.push(format!("{id}: area code `{code}` of table `{table}` is not in the geography table ({n} period rows); counted in England and Wales only"));
    }
    // area attributes are not in the plan output: national and region sum
    // them from LAs, in the order of the periods' keys and the LAs' codes
    let attribute: Vec<usize> = layout
        .names
        .iter()
        .enumerate()
        .filter(|(_, k)| ind.def.measures[**k].area_attribute.is_some())
        .map(|(i, _)| i)
        .collect();
    let mut region: Vec<Option<Sums>> = vec![None; np * nr];
    let mut out = Vec::with_capacity(np * (nl + nr + 1));
    for (pi, period) in layout.periods.iter().enumerate() {
        for (li, a) in layout.las.iter().enumerate() {
            let s = &la[pi * nl + li];
            region[pi * nr + layout.la_region[li]]
                .get_or_insert_with(|| layout.zero())
                .add(s);
            for &m in &attribute {
                national[pi].measures[m].add(&s.measures[m]);
            }
            out.push(Aggregate {
                indicator: id.clone(),
                period: *period,
                level: AreaLevel::La,
                area_code: a.code.clone(),
                area_name: a.name.clone(),
                region_code: a.region_code.clone(),
                measures: layout.measures(s),
                sum_w2: s.w2,
            });
        }
    }
    let names = areas.regions();
    for (pi, period) in layout.periods.iter().enumerate() {
        for (ri, code) in layout.regions.iter().enumerate() {
            let Some(s) = &region[pi * nr + ri] else {
                continue;
            };
            out.push(Aggregate {
                indicator: id.clone(),
                period: *period,
                level: AreaLevel::Region,
                area_code: (*code).clone(),
                area_name: names.get(*code).cloned().unwrap_or_default(),
                region_code: (*code).clone(),
                measures: layout.measures(s),
                sum_w2: s.w2,
            });
        }
    }
    for (period, s) in layout.periods.iter().zip(&national) {
        out.push(Aggregate {
            indicator: id.clone(),
            period: *period,
            level: AreaLevel::National,
            area_code: NATIONAL_CODE.to_string(),
            area_name: NATIONAL_NAME.to_string(),
            region_code: String::new(),
            measures: layout.measures(s),
            sum_w2: s.w2,
        });
    }
    out
}

/// An LA's sums before any row: zero, but for the measures read from an
/// area attribute, which take the LA's value.
fn la_start_sums(ind: &ValidIndicator, layout: &Layout, a: &Area) -> Sums {
    let mut s = layout.zero();
    for (i, name) in layout.names.iter().enumerate() {
        if let Some(attr) = &ind.def.measures[*name].area_attribute {
            let v = a.attributes.get(attr).copied().unwrap_or(0.0);
            s.measures[i] = MeasureValue {
                value: v,
                n: v.round() as i64,
            };
        }
    }
    s
}

/// Add the plan's rows, in their order, into their LA's and the nation's
/// sums (rows of a period not computed are skipped); the rows of each
/// area code not in the geography table are counted nationally only, and
/// returned.
fn add_rows(
    rows: Vec<LaRow>,
    layout: &Layout,
    la: &mut [Sums],
    national: &mut [Sums],
) -> BTreeMap<String, i64> {
    let nl = layout.las.len();
    let mut unknown: BTreeMap<String, i64> = BTreeMap::new();
    for r in rows {
        let Some(&pi) = layout.period_index.get(&r.period) else {
            continue;
        };
        let s = layout.sums_of(&r.measures, r.sum_w2);
        national[pi].add(&s);
        match layout.la_index.get(r.area_code.as_str()) {
            Some(&li) => la[pi * nl + li].add(&s),
            None => *unknown.entry(r.area_code).or_default() += 1,
        }
    }
    unknown
}
