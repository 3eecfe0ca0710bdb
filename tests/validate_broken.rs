//! Broken definitions: each gives a located message with a hint, and
//! validation reports every problem. Based on the shipped NI38 file, edited.

mod common;

use common::*;

/// Validate NI38 edited by `from -> to`; return the rendered error.
fn broken(from: &str, to: &str) -> String {
    let tmp = tempfile::tempdir().unwrap();
    let defs = tmp.path().join("defs");
    copy_definitions(&defs, &["ni38.yaml"], |t| {
        assert!(t.contains(from), "fixture text `{from}` not found");
        t.replacen(from, to, 1)
    });
    let data = repo().join("data-samples");
    match pireport::load_and_validate(&defs, &data) {
        Ok(_) => panic!("`{to}` should be rejected"),
        Err(e) => {
            assert_eq!(e.fault(), pireport::Fault::Input);
            e.to_string().replace(&defs.display().to_string(), "defs")
        }
    }
}

fn line_of(text: &str) -> usize {
    let t = std::fs::read_to_string(repo().join("indicators/ni38.yaml")).unwrap();
    t.lines().position(|l| l.contains(text)).unwrap() + 1
}

fn assert_has(err: &str, parts: &[&str]) {
    for p in parts {
        assert!(err.contains(p), "missing `{p}` in:\n{err}");
    }
}

#[test]
fn unknown_column_in_filter_is_located_with_a_suggestion() {
    let l = line_of("filter: \"result IN");
    let e = broken("result IN", "reslt IN");
    assert_has(
        &e,
        &[
            &format!("defs/ni38.yaml:{l}:12: unknown column `reslt`"),
            "(at `cohort.filter`)",
            "did you mean 'result'?",
        ],
    );
}

#[test]
fn statements_are_refused() {
    let e = broken(
        "\"result IN ('opiates', 'cocaine', 'both')\"",
        "\"1=1; DROP TABLE x\"",
    );
    assert_has(
        &e,
        &["unexpected `;` after the expression", "cohort.filter"],
    );
}

#[test]
fn table_functions_are_refused() {
    let e = broken(
        "\"result IN ('opiates', 'cocaine', 'both')\"",
        "\"read_parquet('/etc/passwd') IS NOT NULL\"",
    );
    assert_has(
        &e,
        &["table function `read_parquet` is not allowed: a definition cannot read files"],
    );
}

#[test]
fn subqueries_are_refused() {
    let e = broken(
        "\"result IN ('opiates', 'cocaine', 'both')\"",
        "\"person_id IN (SELECT person_id FROM offences)\"",
    );
    assert_has(&e, &["subqueries are not allowed"]);
}

#[test]
fn other_functions_are_refused() {
    let e = broken(
        "\"result IN ('opiates', 'cocaine', 'both')\"",
        "\"random() > 0.5\"",
    );
    assert_has(
        &e,
        &["function `random` is not allowed", "allowed functions are"],
    );
}

#[test]
fn qualified_names_are_refused() {
    let e = broken("\"result IN", "\"offences.result IN");
    assert_has(&e, &["qualified names are not allowed"]);
}

#[test]
fn a_filter_must_be_boolean() {
    let e = broken(
        "\"result IN ('opiates', 'cocaine', 'both')\"",
        "\"test_id + 1\"",
    );
    assert_has(&e, &["expected a Boolean expression, found Int64"]);
}

#[test]
fn unknown_source() {
    let l = line_of("  source: dip_tests");
    let e = broken("  source: dip_tests", "  source: dip_test");
    assert_has(
        &e,
        &[
            &format!("ni38.yaml:{l}:11: unknown source `dip_test`"),
            "did you mean 'dip_tests'?",
        ],
    );
}

#[test]
fn missing_table_names_the_expected_files() {
    let e = broken(
        "dip_tests: { table: dip_tests }",
        "dip_tests: { table: dip_testz }",
    );
    assert_has(
        &e,
        &[
            "table `dip_testz` not found",
            "dip_testz.parquet",
            "sources.dip_tests.table",
        ],
    );
}

#[test]
fn mapping_to_a_missing_column() {
    let e = broken(
        "offences: { table: offences }",
        "offences: { table: offences, columns: { person_id: PERSON_REF } }",
    );
    assert_has(
        &e,
        &[
            "column `PERSON_REF` is not in table `offences`",
            "sources.offences.columns.person_id",
        ],
    );
}

#[test]
fn wrong_column_type() {
    let e = broken("  date: test_date", "  date: la_code");
    assert_has(
        &e,
        &[
            "column `la_code` of table `dip_tests` is Utf8, expected a Date32 date",
            "cohort.date",
        ],
    );
}

#[test]
fn bad_window_length() {
    let e = broken(
        "window: { after: cohort_date, days: 365 }",
        "window: { after: cohort_date, days: 0 }",
    );
    assert_has(
        &e,
        &[
            "0 days is not a usable window",
            "events.reoffences.window.days",
        ],
    );
}

#[test]
fn window_with_two_anchors() {
    let e = broken(
        "window: { after: cohort_date, days: 365 }",
        "window: { after: cohort_date, before: period_end, days: 365 }",
    );
    assert_has(&e, &["exactly one of `after`, `before`, `ending`"]);
}

#[test]
fn unknown_anchor_lists_the_choices() {
    let e = broken("after: cohort_date", "after: cohort_day");
    assert_has(&e, &["unknown variant `cohort_day`", "cohort_date"]);
}

#[test]
fn bad_baseline_period() {
    let l = line_of("baseline: \"2007-08 Q4\"");
    let e = broken("baseline: \"2007-08 Q4\"", "baseline: \"2007-09 Q4\"");
    assert_has(
        &e,
        &[
            &format!("ni38.yaml:{l}:11: `2007-09 Q4` is not a period"),
            "(at `baseline`)",
        ],
    );
}

#[test]
fn misspelt_field() {
    let e = broken("  filter: \"result", "  fliter: \"result");
    assert_has(&e, &["unknown field `fliter`", "expected one of"]);
}

#[test]
fn unknown_measure_in_value() {
    let e = broken("  numerator: offences", "  numerator: offence");
    assert_has(
        &e,
        &[
            "unknown measure `offence`",
            "did you mean 'offences'?",
            "value.numerator",
        ],
    );
}

#[test]
fn ratio_without_denominator() {
    let e = broken("  denominator: predicted\n", "");
    assert_has(&e, &["value kind `ratio` needs a `denominator` measure"]);
}

#[test]
fn unknown_event_set_in_measure() {
    let e = broken(
        "offences: { events: reoffences }",
        "offences: { events: reoffence }",
    );
    assert_has(
        &e,
        &["unknown event set `reoffence`", "measures.offences.events"],
    );
}

#[test]
fn bad_sort_key() {
    let e = broken(
        "order_by: [test_date, test_id]",
        "order_by: [test_date, test_id sideways]",
    );
    assert_has(
        &e,
        &[
            "`test_id sideways` is not a sort key",
            "first_per_person.order_by[1]",
        ],
    );
}

#[test]
fn zero_disclosure_threshold() {
    let e = broken("disclosure_threshold: 5", "disclosure_threshold: 0");
    assert_has(&e, &["the disclosure threshold must be at least 1"]);
}

#[test]
fn wilson_on_a_ratio() {
    let e = broken("  method: poisson", "  method: wilson");
    assert_has(&e, &["the Wilson interval applies to `percentage` values"]);
}

#[test]
fn yaml_syntax_error_is_located() {
    let e = broken("grains: [quarter]", "grains: [quarter");
    assert_has(&e, &["defs/ni38.yaml:"]);
}

#[test]
fn every_problem_is_reported_at_once() {
    let tmp = tempfile::tempdir().unwrap();
    let defs = tmp.path().join("defs");
    copy_definitions(&defs, &["ni38.yaml"], |t| {
        t.replace("result IN", "reslt IN")
            .replace("days: 365", "days: 0")
            .replace("numerator: offences", "numerator: offence")
    });
    let err = pireport::load_and_validate(&defs, &repo().join("data-samples"))
        .err()
        .unwrap();
    let s = err.to_string();
    assert_has(
        &s,
        &[
            "unknown column `reslt`",
            "0 days",
            "unknown measure `offence`",
            "3 problem(s) found",
        ],
    );
}

#[test]
fn duplicate_ids_across_files() {
    let tmp = tempfile::tempdir().unwrap();
    let defs = tmp.path().join("defs");
    copy_definitions(&defs, &["ni38.yaml"], |t| t.to_string());
    std::fs::copy(defs.join("ni38.yaml"), defs.join("ni38-copy.yaml")).unwrap();
    let err = pireport::load_and_validate(&defs, &repo().join("data-samples"))
        .err()
        .unwrap();
    assert_has(
        &err.to_string(),
        &["indicator id `NI38` is already defined in"],
    );
}

#[test]
fn shipped_definitions_are_valid() {
    let (valid, _) =
        pireport::load_and_validate(&repo().join("indicators"), &repo().join("data-samples"))
            .unwrap();
    let ids: Vec<&str> = valid.indicators.iter().map(|i| i.def.id.as_str()).collect();
    for id in [
        "NI38",
        "NI38.rate",
        "NI40",
        "NI18",
        "NI30",
        "NI16",
        "PSA23.5",
        "NI19",
        "NI115",
    ] {
        assert!(ids.contains(&id), "{id} missing");
    }
}

#[test]
fn committed_json_schema_is_current() {
    let committed = std::fs::read_to_string(repo().join("indicators/schema.json")).unwrap();
    assert_eq!(
        committed,
        pireport::definition::indicator_json_schema(),
        "run `cargo run -- schema > indicators/schema.json`"
    );
}

#[test]
fn corrupt_parquet_is_named_once_at_its_source() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    std::fs::create_dir_all(&data).unwrap();
    for e in std::fs::read_dir(repo().join("data-samples")).unwrap() {
        let p = e.unwrap().path();
        std::fs::copy(&p, data.join(p.file_name().unwrap())).unwrap();
    }
    std::fs::write(data.join("dip_tests.parquet"), b"not parquet").unwrap();
    let defs = tmp.path().join("defs");
    copy_definitions(&defs, &["ni38.yaml"], |t| t.to_string());
    let err = pireport::load_and_validate(&defs, &data).err().unwrap();
    assert_eq!(err.fault(), pireport::Fault::Input);
    let s = err.to_string();
    assert_has(
        &s,
        &[
            "dip_tests.parquet is not a readable Parquet file",
            "(at `sources.dip_tests.table`)",
            "1 problem(s) found",
        ],
    );
    assert!(!s.contains("unknown source"), "{s}");
}
