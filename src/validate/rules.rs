//! Rules across files: unique ids, PSA groupings, the geography table and
//! the LAA targets file.

use std::collections::{BTreeMap, BTreeSet};

use super::expr::suggest;
use crate::definition::{Catalog, Diagnostic};
use crate::extract::TableFiles;
use crate::period::Period;

/// Run every catalog-level rule.
pub fn check_catalog(catalog: &Catalog, geography: &TableFiles, out: &mut Vec<Diagnostic>) {
    unique_ids(catalog, out);
    psa_members(catalog, out);
    geography_columns(catalog, geography, out);
    laa_targets(catalog, out);
}

fn unique_ids(catalog: &Catalog, out: &mut Vec<Diagnostic>) {
    let mut seen: BTreeMap<&str, String> = BTreeMap::new();
    for ind in &catalog.indicators {
        let id = ind.value.id.as_str();
        if let Some(first) = seen.get(id) {
            out.push(ind.diag(
                "id",
                format!("indicator id `{id}` is already defined in {first}"),
                Some("give each definition its own id".into()),
            ));
        } else {
            seen.insert(id, ind.file.display().to_string());
        }
    }
}

fn ids(catalog: &Catalog) -> Vec<&str> {
    catalog
        .indicators
        .iter()
        .map(|i| i.value.id.as_str())
        .collect()
}

fn psa_members(catalog: &Catalog, out: &mut Vec<Diagnostic>) {
    let Some(psas) = &catalog.psas else { return };
    let known = ids(catalog);
    for (i, psa) in psas.value.iter().enumerate() {
        if psa.indicators.is_empty() {
            out.push(psas.diag(
                &format!("[{i}].indicators"),
                format!("{} lists no indicators", psa.id),
                None,
            ));
        }
        for (j, m) in psa.indicators.iter().enumerate() {
            if !known.contains(&m.as_str()) {
                out.push(psas.diag(
                    &format!("[{i}].indicators[{j}]"),
                    format!("unknown indicator `{m}`"),
                    Some(suggest(m, &known)),
                ));
            }
        }
    }
}

fn geography_columns(catalog: &Catalog, geography: &TableFiles, out: &mut Vec<Diagnostic>) {
    let g = &catalog.geography;
    let names: Vec<&str> = geography
        .schema
        .fields()
        .iter()
        .map(|f| f.name().as_str())
        .collect();
    for (role, col) in [
        ("code", &g.code),
        ("name", &g.name),
        ("region_code", &g.region_code),
        ("region_name", &g.region_name),
    ] {
        if !names.contains(&col.as_str()) {
            out.push(Diagnostic {
                file: catalog
                    .dir
                    .join(crate::definition::GEOGRAPHY_FILE_NAME)
                    .display()
                    .to_string(),
                line: 1,
                column: 1,
                path: role.to_string(),
                message: format!("the geography table `{}` has no column `{col}`", g.table),
                hint: Some(suggest(col, &names)),
            });
        }
    }
}

fn laa_targets(catalog: &Catalog, out: &mut Vec<Diagnostic>) {
    let Some(t) = &catalog.targets else { return };
    let known = ids(catalog);
    let mut seen = BTreeSet::new();
    for (i, row) in t.value.iter().enumerate() {
        let p = format!("[{i}]");
        let ind = catalog
            .indicators
            .iter()
            .find(|d| d.value.id == row.indicator);
        match ind {
            None => out.push(t.diag(
                &format!("{p}.indicator"),
                format!("unknown indicator `{}`", row.indicator),
                Some(suggest(&row.indicator, &known)),
            )),
            Some(d) => {
                let grains = &d.value.grains;
                let parses = |s: &str| grains.iter().any(|g| Period::parse_for(s, *g).is_ok());
                if !parses(&row.baseline.period) {
                    out.push(t.diag(
                        &format!("{p}.baseline.period"),
                        format!(
                            "`{}` is not a period of {}",
                            row.baseline.period, row.indicator
                        ),
                        None,
                    ));
                }
                for y in row.targets.keys() {
                    if !parses(y) {
                        out.push(t.diag(&format!("{p}.targets.{y}"), format!("`{y}` is not a period of {}", row.indicator), Some("targets are set for financial years 2008-09, 2009-10 and 2010-11".into())));
                    }
                }
            }
        }
        if !is_gss(&row.area) {
            out.push(t.diag(
                &format!("{p}.area"),
                format!("`{}` is not an LA code", row.area),
                Some("use the ONS GSS code, e.g. E08000003".into()),
            ));
        }
        if !seen.insert((row.area.clone(), row.indicator.clone())) {
            out.push(t.diag(
                &p,
                format!("duplicate target for {} and {}", row.area, row.indicator),
                Some("keep one entry per area and indicator".into()),
            ));
        }
        if !row.baseline.value.is_finite() || row.targets.values().any(|v| !v.is_finite()) {
            out.push(t.diag(&p, "target values must be finite numbers", None));
        }
    }
}

/// Whether `code` looks like an LA GSS code (`E06`, `E08`, `E09`, `E10`, `W06` + 6 digits).
pub fn is_gss(code: &str) -> bool {
    code.len() == 9
        && ["E06", "E08", "E09", "E10", "W06"]
            .iter()
            .any(|p| code.starts_with(p))
        && code[3..].bytes().all(|b| b.is_ascii_digit())
}
