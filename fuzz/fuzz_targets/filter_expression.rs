//! The filter-expression checker: parse, whitelist, then DataFusion's own
//! analyzer and constant folding against a table schema. Any text must be
//! accepted as a Boolean expression or refused with a message, never panic.
#![no_main]

use std::sync::{Arc, OnceLock};

use datafusion::arrow::datatypes::{DataType, Field, Schema};
use datafusion::common::DFSchema;
use datafusion::execution::context::SessionState;
use datafusion::prelude::SessionContext;
use libfuzzer_sys::fuzz_target;
use pireport::filter::{parse_checked, to_datafusion};

fn setup() -> &'static (SessionState, DFSchema) {
    static S: OnceLock<(SessionState, DFSchema)> = OnceLock::new();
    S.get_or_init(|| {
        let schema = Schema::new(vec![
            Field::new("test_id", DataType::Int64, false),
            Field::new("person_id", DataType::Int64, false),
            Field::new("test_date", DataType::Date32, false),
            Field::new("la_code", DataType::Utf8, false),
            Field::new("result", DataType::Utf8, false),
            Field::new("predicted_offences_1y", DataType::Float64, true),
            Field::new("period_start", DataType::Date32, false),
            Field::new("period_end", DataType::Date32, false),
        ]);
        let df = DFSchema::try_from(Arc::new(schema).as_ref().clone()).expect("schema");
        (SessionContext::new().state(), df)
    })
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let (state, schema) = setup();
    let cols: Vec<&str> = schema.fields().iter().map(|f| f.name().as_str()).collect();
    if let Ok(sql) = parse_checked(text, &cols) {
        let _ = to_datafusion(state, sql, schema, Some(&DataType::Boolean));
    }
});
