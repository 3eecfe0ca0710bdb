//! The YAML loader of every definition file: pre-check (size, depth,
//! duplicate keys, control characters) then typed parsing, for each kind of
//! file in the indicators directory. Any input must give a value or located
//! diagnostics, never a panic, a hang or unbounded memory.
#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;
use pireport::definition::{GeographyDef, IndicatorDef, LaaTargetDef, PsaDef, parse_checked_file};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let p = Path::new("fuzz.yaml");
    let _ = parse_checked_file::<IndicatorDef>(p, text);
    let _ = parse_checked_file::<Vec<PsaDef>>(p, text);
    let _ = parse_checked_file::<Vec<LaaTargetDef>>(p, text);
    let _ = parse_checked_file::<GeographyDef>(p, text);
});
