//! The agreed Local Area Agreement targets (`indicators/laa-targets.yaml`).

use std::collections::BTreeMap;
use std::fmt;

use schemars::JsonSchema;
use serde::de::{self, Deserializer, Visitor};
use serde::{Deserialize, Serialize};

/// One designated indicator of one LSP's Local Area Agreement.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct LaaTargetDef {
    /// GSS code of the LAA area: an LA of the geography table.
    pub area: String,
    /// Indicator id, e.g. `NI40`.
    pub indicator: String,
    /// The agreed baseline.
    pub baseline: TargetBaseline,
    /// Target value per financial year, e.g. `"2010-11": 812`.
    #[serde(deserialize_with = "number_map")]
    #[schemars(with = "BTreeMap<String, f64>")]
    pub targets: BTreeMap<String, f64>,
}

/// The baseline an LAA target was agreed against.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TargetBaseline {
    /// Baseline period label, of one of the indicator's grains.
    pub period: String,
    /// Baseline value as agreed.
    #[serde(deserialize_with = "number")]
    #[schemars(with = "f64")]
    pub value: f64,
}

/// Reads a YAML number; anything else is refused with a message that says
/// a number is wanted (serde's own says `expected f64`).
struct NumberVisitor;

impl Visitor<'_> for NumberVisitor {
    type Value = f64;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a plain number, such as 1520 or 0.35 (no quotes or units)")
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<f64, E> {
        Ok(v)
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<f64, E> {
        Ok(v as f64)
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<f64, E> {
        Ok(v as f64)
    }
}

/// A number read by [`NumberVisitor`].
struct Number(f64);

impl<'de> Deserialize<'de> for Number {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Number, D::Error> {
        d.deserialize_f64(NumberVisitor).map(Number)
    }
}

fn number<'de, D: Deserializer<'de>>(d: D) -> Result<f64, D::Error> {
    d.deserialize_f64(NumberVisitor)
}

fn number_map<'de, D: Deserializer<'de>>(d: D) -> Result<BTreeMap<String, f64>, D::Error> {
    let m = BTreeMap::<String, Number>::deserialize(d)?;
    Ok(m.into_iter().map(|(k, v)| (k, v.0)).collect())
}
