//! Periods that end before an indicator's baseline are not measured
//! against it: the committed sample's NI38 (quarterly, baseline 2007-08 Q4)
//! and NI16 (financial years and rolling 12 months, baseline 2007-08) rows
//! before the baseline have a value but no change, no significance and no
//! status; rows after it have all three where the baseline has a value.

use pireport::geography::AreaLevel;

mod common;

#[test]
fn no_change_or_significance_before_the_baseline() {
    let repo = common::repo();
    let rows = common::run(
        &repo.join("indicators"),
        &repo.join("data-samples"),
        &["NI38", "NI16"],
    );
    let mut before = 0;
    let mut after = 0;
    for r in rows.iter().filter(|r| r.value.is_some()) {
        let (p, Some(b)) = (r.period, r.baseline_period) else {
            continue;
        };
        if p.end() < b.end() {
            before += 1;
            let what = format!("{} {} {}", r.indicator, r.area_code, r.period);
            assert_eq!(r.change, None, "{what}: a change before the baseline");
            assert_eq!(
                r.significant, None,
                "{what}: significance before the baseline"
            );
            assert_eq!(r.p_change, None, "{what}");
            assert_eq!(r.status, None, "{what}: a status before the baseline");
        } else if p.end() > b.end()
            && r.area_level == AreaLevel::National
            && r.baseline_value.is_some()
        {
            after += 1;
            assert!(
                r.change.is_some(),
                "{} {}: no change",
                r.indicator,
                r.period
            );
            assert!(
                r.significant.is_some(),
                "{} {}: not tested",
                r.indicator,
                r.period
            );
            assert!(
                r.status.is_some(),
                "{} {}: no status",
                r.indicator,
                r.period
            );
        }
    }
    assert!(
        before > 10,
        "only {before} rows before the baseline: nothing tested"
    );
    assert!(after > 5, "only {after} national rows after the baseline");
}
