//! Stage 1, definition: read `indicators/` into typed definitions that
//! remember where every value came from.
//!
//! Files in the indicators directory:
//! - `*.yaml`: one indicator each ([`IndicatorDef`]);
//! - `psa.yaml`: the PSA groupings ([`PsaDef`] list);
//! - `geography.yaml` (optional): how the area lookup table is named ([`GeographyDef`]);
//! - `laa-targets.yaml` (optional): the agreed LAA targets ([`LaaTargetDef`] list).

mod diagnostic;
mod load;
mod model;
mod positions;
pub mod precheck;
mod targets;

pub use diagnostic::{Diagnostic, render_diagnostics};
pub use load::{
    Catalog, DefinitionError, GEOGRAPHY_FILE as GEOGRAPHY_FILE_NAME, Located, PSA_FILE,
    TARGETS_FILE, load_definitions, parse_checked_file, parse_file,
};
pub use model::*;
pub use positions::{Position, PositionIndex};
pub use targets::{LaaTargetDef, TargetBaseline};

/// The JSON Schema of an indicator definition file, generated from the Rust types.
pub fn indicator_json_schema() -> String {
    let schema = schemars::schema_for!(IndicatorDef);
    serde_json::to_string_pretty(&schema).unwrap_or_default() + "\n"
}
