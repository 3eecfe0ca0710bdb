//! The agreed Local Area Agreement targets (`indicators/laa-targets.yaml`).

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// One designated indicator of one LSP's Local Area Agreement.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct LaaTargetDef {
    /// GSS code of the LAA area.
    pub area: String,
    /// Indicator id, e.g. `NI40`.
    pub indicator: String,
    /// The agreed baseline.
    pub baseline: TargetBaseline,
    /// Target value per financial year, e.g. `2010-11: 812`.
    pub targets: BTreeMap<String, f64>,
}

/// The baseline an LAA target was agreed against.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TargetBaseline {
    /// Baseline period label.
    pub period: String,
    /// Baseline value as agreed.
    pub value: f64,
}
