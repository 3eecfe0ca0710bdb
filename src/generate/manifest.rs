//! `manifest.yaml`: the extract date, how the extract was generated, and
//! each table's row count.

use std::path::Path;

use serde_yaml::{Mapping, Value};

use super::error::GenerateError;
use super::options::GenerateOptions;

/// Writes `manifest.yaml` into `dir`.
pub(crate) fn write_manifest(
    dir: &Path,
    opts: &GenerateOptions,
    tables: &[(String, u64)],
) -> Result<(), GenerateError> {
    let text = manifest_text(opts, tables)?;
    let path = dir.join("manifest.yaml");
    std::fs::write(&path, text).map_err(|source| GenerateError::Io { path, source })
}

/// The manifest's YAML text (keys in a fixed order, no timestamps, so the
/// same options always give the same bytes).
pub(crate) fn manifest_text(
    opts: &GenerateOptions,
    tables: &[(String, u64)],
) -> Result<String, GenerateError> {
    let extract = opts.extract_date();
    let mut counts = Mapping::new();
    for (name, rows) in tables {
        counts.insert(Value::from(name.as_str()), Value::from(*rows));
    }
    let mut m = Mapping::new();
    let mut put = |k: &str, v: Value| m.insert(Value::from(k), v);
    put(
        "extract_date",
        Value::from(extract.format("%Y-%m-%d").to_string()),
    );
    put("seed", Value::from(opts.seed));
    put("scale", Value::from(opts.scale));
    if !opts.region_scales.is_empty() {
        let mut regions = Mapping::new();
        for (code, scale) in &opts.region_scales {
            regions.insert(Value::from(code.as_str()), Value::from(*scale));
        }
        put("region_scales", Value::Mapping(regions));
    }
    put(
        "populations",
        Value::from("scaled with the volumes of their region"),
    );
    put("from", Value::from(opts.from.to_string()));
    put("to", Value::from(opts.to.to_string()));
    put(
        "generator",
        Value::from(format!("pireport {}", env!("CARGO_PKG_VERSION"))),
    );
    put("tables", Value::Mapping(counts));
    serde_yaml::to_string(&m).map_err(|source| GenerateError::Manifest { source })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn manifest_lists_options_and_tables() {
        let opts = GenerateOptions::new(0.5, 42, "/tmp/x");
        let text = manifest_text(&opts, &[("areas".into(), 174), ("offences".into(), 9)]).unwrap();
        let v: serde_yaml::Value = serde_yaml::from_str(&text).unwrap();
        assert_eq!(v["extract_date"].as_str(), Some("2012-03-31"));
        assert_eq!(v["seed"].as_u64(), Some(42));
        assert_eq!(v["scale"].as_f64(), Some(0.5));
        assert_eq!(v["from"].as_str(), Some("2005-06"));
        assert_eq!(v["to"].as_str(), Some("2011-12"));
        assert_eq!(v["tables"]["offences"].as_u64(), Some(9));
        assert!(v["generator"].as_str().unwrap().starts_with("pireport "));
        assert!(text.find("areas").unwrap() < text.find("offences").unwrap());
    }
}
