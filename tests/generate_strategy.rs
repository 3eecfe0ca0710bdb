//! The drug strategy tables: the trends the spec states, the awkward rows
//! real data has, and the official bank holidays. Figures are recomputed
//! here from the Parquet files, by hand, not by the engine.

#[path = "generate_support.rs"]
mod support;

use std::collections::BTreeSet;
use std::sync::OnceLock;

use arrow::array::{Array, AsArray};
use arrow::datatypes::{Date32Type, Float64Type, Int64Type};
use chrono::{Datelike, NaiveDate, Weekday};
use support::{Extract, dates, generate_into, read_table};

/// One extract at 2% of national volumes, shared by the tests here.
fn extract() -> &'static Extract {
    static E: OnceLock<Extract> = OnceLock::new();
    E.get_or_init(|| generate_into(0.02, 21))
}

fn date(d: i32) -> NaiveDate {
    NaiveDate::from_ymd_opt(1970, 1, 1).unwrap() + chrono::Days::new(d as u64)
}

/// The financial year (by its start year) of a day.
fn fy(d: i32) -> i32 {
    let dt = date(d);
    if dt.month() >= 4 {
        dt.year()
    } else {
        dt.year() - 1
    }
}

fn share(hits: usize, all: usize) -> f64 {
    hits as f64 / all.max(1) as f64
}

#[test]
fn random_mdt_positives_fall_year_on_year_from_about_nine_per_cent() {
    let mut by_year = std::collections::BTreeMap::<i32, (usize, usize)>::new();
    let mut refused = 0;
    for b in read_table(&extract().path, "prison_mdt") {
        let kind = b.column_by_name("test_type").unwrap().as_string::<i32>();
        let result = b.column_by_name("result").unwrap().as_string::<i32>();
        let drug = b.column_by_name("drug").unwrap();
        let day = b
            .column_by_name("test_date")
            .unwrap()
            .as_primitive::<Date32Type>();
        for i in 0..b.num_rows() {
            let positive = result.value(i) != "negative";
            assert_eq!(
                drug.is_null(i),
                result.value(i) != "positive",
                "drug only when positive"
            );
            refused += usize::from(result.value(i) == "refused");
            if kind.value(i) == "random" {
                let e = by_year.entry(fy(day.value(i))).or_default();
                e.0 += usize::from(positive);
                e.1 += 1;
            }
        }
    }
    assert!(refused > 0, "refusals present");
    let rate = |y: i32| share(by_year[&y].0, by_year[&y].1);
    // 1,200 random tests a year here: 2007-08 near 9%, and the first two
    // years pooled well above the last two.
    assert!((0.07..0.11).contains(&rate(2007)), "{}", rate(2007));
    let pooled =
        |a: i32, b: i32| share(by_year[&a].0 + by_year[&b].0, by_year[&a].1 + by_year[&b].1);
    assert!(
        pooled(2005, 2006) > pooled(2010, 2011) + 0.01,
        "{by_year:?}"
    );
    assert!(by_year.values().all(|(_, n)| *n == 1_200));
}

#[test]
fn drr_completion_rises_to_about_43_per_cent_and_orders_run_on() {
    let mut comp = std::collections::BTreeMap::<i32, (usize, usize)>::new();
    let (mut running, mut no_reason, mut drr_starts_2007) = (0, 0, 0);
    for b in read_table(&extract().path, "probation_orders") {
        let drr = b.column_by_name("drr").unwrap().as_boolean();
        let start = b
            .column_by_name("start_date")
            .unwrap()
            .as_primitive::<Date32Type>();
        let end = b
            .column_by_name("termination_date")
            .unwrap()
            .as_primitive::<Date32Type>();
        let reason = b
            .column_by_name("termination_reason")
            .unwrap()
            .as_string::<i32>();
        let acc = b.column_by_name("accommodation_at_end").unwrap();
        for i in 0..b.num_rows() {
            if end.is_null(i) {
                running += 1;
                assert!(
                    reason.is_null(i) && acc.is_null(i),
                    "a running order has no outcome"
                );
                continue;
            }
            assert!(end.value(i) > start.value(i));
            if reason.is_null(i) {
                no_reason += 1;
            }
            if drr.value(i) && fy(start.value(i)) == 2007 {
                drr_starts_2007 += 1;
            }
            if !drr.value(i) || reason.is_null(i) {
                continue;
            }
            let r = reason.value(i);
            if matches!(r, "died" | "transferred") {
                continue;
            }
            let e = comp.entry(fy(end.value(i))).or_default();
            e.0 += usize::from(matches!(r, "completed" | "early_good_progress"));
            e.1 += 1;
        }
    }
    assert!(running > 0 && no_reason > 0);
    // 16,600 DRR starts in 2007-08 at scale 1; ended orders of that year here.
    assert!((250..=340).contains(&drr_starts_2007), "{drr_starts_2007}");
    let rate = |y: i32| share(comp[&y].0, comp[&y].1);
    assert!((0.38..0.48).contains(&rate(2007)), "{}", rate(2007));
    assert!(rate(2011) > rate(2005) + 0.05, "{comp:?}");
}

#[test]
fn ypsms_engagement_assessments_and_awkward_receptions() {
    let holidays: BTreeSet<i32> = dates(&extract().path, "bank_holidays", "date")
        .into_iter()
        .collect();
    let working = |d: i32| {
        !matches!(date(d).weekday(), Weekday::Sat | Weekday::Sun) && !holidays.contains(&d)
    };
    let (mut n, mut engaged, mut day0, mut saturday, mut friday_before, mut within5) =
        (0, 0, 0, 0, 0, 0);
    for b in read_table(&extract().path, "ypsms_custody") {
        let rec = b
            .column_by_name("reception_date")
            .unwrap()
            .as_primitive::<Date32Type>();
        let ass = b
            .column_by_name("assessment_date")
            .unwrap()
            .as_primitive::<Date32Type>();
        let eng = b.column_by_name("engaged").unwrap().as_boolean();
        for i in 0..b.num_rows() {
            let r = rec.value(i);
            if fy(r) != 2007 {
                continue;
            }
            n += 1;
            engaged += usize::from(eng.value(i));
            saturday += usize::from(date(r).weekday() == Weekday::Sat);
            friday_before += usize::from(date(r).weekday() == Weekday::Fri && !working(r + 3));
            if ass.is_valid(i) {
                let a = ass.value(i);
                day0 += usize::from(a == r);
                let days = (r + 1..=a).filter(|d| working(*d)).count();
                within5 += usize::from(a >= r && days <= 5);
            }
        }
    }
    assert_eq!(n, 180);
    assert!((0.9..=0.99).contains(&share(engaged, n)), "{engaged}/{n}");
    assert!((0.9..=0.99).contains(&share(within5, n)), "{within5}/{n}");
    assert!(day0 > 0 && saturday > 0 && friday_before > 0);
}

#[test]
fn place_survey_is_english_weighted_with_blank_answers() {
    let mut years = BTreeSet::new();
    let mut blanks = 0;
    for b in read_table(&extract().path, "place_survey") {
        let la = b.column_by_name("la_code").unwrap().as_string::<i32>();
        let w = b
            .column_by_name("weight")
            .unwrap()
            .as_primitive::<Float64Type>();
        let year = b
            .column_by_name("survey_year")
            .unwrap()
            .as_primitive::<Int64Type>();
        blanks += b.column_by_name("drug_problem").unwrap().null_count();
        for i in 0..b.num_rows() {
            assert!(la.value(i).starts_with('E'));
            assert!(w.value(i) > 0.0);
            years.insert(year.value(i));
        }
    }
    assert_eq!(years, BTreeSet::from([2008, 2010]));
    assert!(blanks > 0);
}

#[test]
fn bank_holidays_are_the_official_list() {
    let days: Vec<NaiveDate> = dates(&extract().path, "bank_holidays", "date")
        .into_iter()
        .map(date)
        .collect();
    assert_eq!(days.len(), 74);
    let d = |y, m, dd| NaiveDate::from_ymd_opt(y, m, dd).unwrap();
    for one_off in [
        d(2011, 4, 29),
        d(2012, 6, 4),
        d(2012, 6, 5),
        d(2009, 12, 28),
        d(2008, 3, 21),
    ] {
        assert!(days.contains(&one_off), "{one_off}");
    }
    assert!(
        !days.contains(&d(2012, 5, 28)),
        "the 2012 spring holiday moved to 4 June"
    );
}
