//! Comparison with most similar areas, the false-discovery columns and the
//! SPC column of `compute`, each checked against a second computation:
//!
//! - `vs_peers` and the pooled value against an independent SQL re-sum of
//!   NI 16's raw crimes and populations over each group (recorded_crime
//!   and areas, read by DataFusion with hand-written SQL, not the engine's
//!   plans), classified against the row's own 95% and 99.8% intervals;
//! - `peer_rank` against a count of the group's published values;
//! - `q_value` against Benjamini-Hochberg written again here, over the
//!   `p_value`s of the same indicator, level and period, and `p_value`
//!   against `significant` (below 0.05 exactly when significant);
//! - `spc` against `stats::spc_chart` over the area's published series, read
//!   back from the results table;
//! - the CSV of `compute` carries the new columns, filled on LA rows.

mod common;

use std::collections::BTreeMap;
use std::process::Command;

use datafusion::arrow::array::AsArray;
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::DataType;
use datafusion::prelude::{ParquetReadOptions, SessionContext};
use pireport::ResultRow;
use pireport::geography::AreaLevel;
use pireport::period::Period;
use pireport::stats::{Comparison, Polarity};

const YEAR: &str = "2008-09";

/// Engine rows of NI16 with peers compared, and the groups.
fn engine() -> (Vec<ResultRow>, pireport::PeerGroups) {
    let repo = common::repo();
    let data = repo.join("data-samples");
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let mut run = rt
        .block_on(pireport::compute(
            &repo.join("indicators"),
            &data,
            &["NI16".to_string()],
        ))
        .expect("compute");
    let groups = run
        .peer_groups(&pireport::Backend::Local, &data, &repo.join("reports"))
        .expect("peer groups build")
        .expect("reports/peer-groups.yaml is shipped");
    run.compare_with_peers(&groups).expect("compared");
    (run.rows, groups)
}

/// (area -> (crimes, population)) re-summed over each area's group, by SQL
/// over the raw tables.
fn sql_pooled(groups: &pireport::PeerGroups) -> BTreeMap<String, (f64, f64)> {
    let data = common::repo().join("data-samples");
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    rt.block_on(async {
        let ctx = SessionContext::new();
        for t in ["recorded_crime", "areas"] {
            ctx.register_parquet(
                t,
                data.join(format!("{t}.parquet"))
                    .to_str()
                    .expect("utf-8 path"),
                ParquetReadOptions::default(),
            )
            .await
            .expect("register");
        }
        let pairs: Vec<String> = groups
            .groups
            .values()
            .flat_map(|g| g.members().map(move |m| format!("('{}', '{m}')", g.code)))
            .collect();
        let sql = format!(
            "WITH members(area, member) AS (VALUES {}),
             crimes AS (
                 SELECT la_code, COUNT(*) AS crimes FROM recorded_crime
                 WHERE crime_type IN ('domestic_burglary', 'theft_of_vehicle',
                       'theft_from_vehicle', 'robbery_personal', 'robbery_business')
                   AND recorded_date >= DATE '2008-04-01'
                   AND recorded_date <= DATE '2009-03-31'
                 GROUP BY la_code)
             SELECT m.area,
                    CAST(SUM(COALESCE(c.crimes, 0)) AS DOUBLE) AS crimes,
                    CAST(SUM(a.population) AS DOUBLE) AS population
             FROM members m
             JOIN areas a ON a.la_code = m.member
             LEFT JOIN crimes c ON c.la_code = m.member
             GROUP BY m.area",
            pairs.join(", ")
        );
        let batches = ctx
            .sql(&sql)
            .await
            .expect("plan")
            .collect()
            .await
            .expect("run");
        let mut out = BTreeMap::new();
        for b in &batches {
            let area = cast(b.column(0), &DataType::Utf8).expect("text");
            let area = area.as_string::<i32>();
            let crimes = b
                .column(1)
                .as_primitive::<datafusion::arrow::datatypes::Float64Type>();
            let pop = b
                .column(2)
                .as_primitive::<datafusion::arrow::datatypes::Float64Type>();
            for i in 0..b.num_rows() {
                out.insert(area.value(i).to_string(), (crimes.value(i), pop.value(i)));
            }
        }
        out
    })
}

/// The comparison word a pooled value gets against a row's intervals
/// (NI16: lower is better).
fn classify(r: &ResultRow, pooled: f64) -> Comparison {
    let inside = |lo: Option<f64>, hi: Option<f64>| {
        lo.expect("interval") <= pooled && pooled <= hi.expect("interval")
    };
    if inside(r.ci_lower, r.ci_upper) {
        return Comparison::Similar;
    }
    let better = r.value.expect("value") < pooled;
    match (better, inside(r.ci998_lower, r.ci998_upper)) {
        (true, true) => Comparison::Better,
        (true, false) => Comparison::Best,
        (false, true) => Comparison::Worse,
        (false, false) => Comparison::Worst,
    }
}

#[test]
fn vs_peers_agrees_with_an_sql_re_sum_and_peer_rank_with_a_count() {
    let (rows, groups) = engine();
    let pooled = sql_pooled(&groups);
    let year: Period = YEAR.parse().expect("period");
    let las: Vec<&ResultRow> = rows
        .iter()
        .filter(|r| r.area_level == AreaLevel::La && r.period == year)
        .collect();
    assert!(las.len() > 150, "{} LA rows", las.len());
    let published: BTreeMap<&str, f64> = las
        .iter()
        .filter(|r| !r.suppressed)
        .filter_map(|r| Some((r.area_code.as_str(), r.value?)))
        .collect();
    let (mut compared, mut not_similar) = (0, 0);
    for r in &las {
        if r.suppressed {
            assert_eq!((r.vs_peers, r.peer_rank), (None, None), "{}", r.area_code);
            continue;
        }
        let (crimes, population) = pooled[&r.area_code];
        let value = 1000.0 * crimes / population;
        let engine = r.peer_value.expect("pooled value");
        assert!(
            (engine - value).abs() <= 1e-9 * value.abs(),
            "{}: engine pooled {engine}, SQL {value}",
            r.area_code
        );
        let want = classify(r, value);
        assert_eq!(r.vs_peers, Some(want), "{}", r.area_code);
        compared += 1;
        not_similar += usize::from(want != Comparison::Similar);
        // rank: 1 + members with a published value strictly lower (better)
        let group = &groups.groups[&r.area_code];
        let values: Vec<f64> = group
            .members()
            .filter_map(|m| published.get(m).copied())
            .collect();
        let own = r.value.expect("value");
        let rank = 1 + values.iter().filter(|v| **v < own).count();
        assert_eq!(r.peer_rank, Some((rank, values.len())), "{}", r.area_code);
        assert_eq!(group.peers.len(), 15);
    }
    assert!(compared > 150, "{compared} compared");
    // the sample's rates differ: some areas must differ from their groups
    assert!(not_similar > 10, "{not_similar} of {compared} differ");
    // regions and England and Wales have no group
    assert!(
        rows.iter()
            .filter(|r| r.area_level != AreaLevel::La)
            .all(|r| r.vs_peers.is_none() && r.peer_rank.is_none())
    );
}

/// Benjamini-Hochberg written again: q_(i) = min over j >= i of p_(j) m / j.
fn bh(p: &[f64]) -> Vec<f64> {
    let m = p.len();
    let mut order: Vec<usize> = (0..m).collect();
    order.sort_by(|&a, &b| p[a].total_cmp(&p[b]));
    let mut q = vec![0.0; m];
    for (rank, &i) in order.iter().enumerate() {
        q[i] = order[rank..]
            .iter()
            .enumerate()
            .map(|(k, &j)| (p[j] * m as f64 / (rank + k + 1) as f64).min(1.0))
            .fold(f64::INFINITY, f64::min);
    }
    q
}

#[test]
fn q_values_are_benjamini_hochberg_of_the_p_values_of_a_period() {
    let (rows, _) = engine();
    let mut families: BTreeMap<(AreaLevel, Period), Vec<&ResultRow>> = BTreeMap::new();
    for r in rows.iter().filter(|r| r.p_change.is_some()) {
        families
            .entry((r.area_level, r.period))
            .or_default()
            .push(r);
        let p = r.p_change.expect("p");
        assert_eq!(
            r.significant,
            Some(p < 0.05),
            "{} {}: p {p}",
            r.area_code,
            r.period
        );
    }
    assert!(families.len() > 5);
    let mut checked = 0;
    for fam in families.values() {
        let p: Vec<f64> = fam.iter().map(|r| r.p_change.expect("p")).collect();
        for (r, q) in fam.iter().zip(bh(&p)) {
            let got = r.q_value.expect("q beside every p");
            assert!(
                (got - q).abs() < 1e-12,
                "{} {}: q {got}, want {q}",
                r.area_code,
                r.period
            );
            assert!(got >= r.p_change.expect("p") - 1e-15);
            checked += 1;
        }
    }
    assert!(checked > 1000, "{checked}");
    assert!(
        rows.iter()
            .all(|r| r.p_change.is_some() || r.q_value.is_none())
    );
}

#[test]
fn spc_is_the_reading_of_the_published_series_to_each_period() {
    let (rows, _) = engine();
    let mut checked = 0;
    let mut signals = 0;
    for r in rows.iter().filter(|r| r.value.is_some() && !r.suppressed) {
        let base: Period = "2007-08".parse().expect("baseline");
        let base_end = if r.period.grain().overlapping() {
            "2007-08 Q4".parse::<Period>().expect("q").end()
        } else {
            base.end()
        };
        let series: Vec<f64> = {
            let mut s: Vec<&ResultRow> = rows
                .iter()
                .filter(|o| {
                    o.area_level == r.area_level
                        && o.area_code == r.area_code
                        && o.period.grain() == r.period.grain()
                        && !o.suppressed
                        && o.value.is_some()
                        && o.period.end() >= base_end
                        && o.period.end() <= r.period.end()
                })
                .collect();
            s.sort_by_key(|o| o.period.end());
            s.iter().filter_map(|o| o.value).collect()
        };
        if r.period.end() < base_end {
            assert_eq!(r.spc, None);
            continue;
        }
        let want = pireport::stats::spc_chart(&series, Polarity::LowerIsBetter, None)
            .expect("finite")
            .map(|c| c.variation);
        assert_eq!(r.spc, want, "{} {}", r.area_code, r.period);
        checked += 1;
        signals += usize::from(want.is_some_and(|v| v.as_str() != "common cause"));
        if checked > 3000 {
            break;
        }
    }
    assert!(checked > 1000, "{checked}");
    assert!(signals > 0, "no special cause in {checked} readings");
}

#[test]
fn compute_writes_the_columns() {
    let repo = common::repo();
    let out = Command::new(env!("CARGO_BIN_EXE_pireport"))
        .current_dir(repo)
        .args([
            "compute",
            "--indicator",
            "NI16",
            "--level",
            "la",
            "--period",
            YEAR,
        ])
        .output()
        .expect("run");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).expect("utf-8");
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().expect("header").split(',').collect();
    let at = |name: &str| header.iter().position(|h| *h == name).expect(name);
    let (vs, rank, p, q, spc, supp) = (
        at("vs_peers"),
        at("peer_rank"),
        at("p_value"),
        at("q_value"),
        at("spc"),
        at("suppressed"),
    );
    let mut filled = 0;
    for line in lines {
        let f: Vec<&str> = line.split(',').collect();
        if f.len() != header.len() || f[supp] == "true" {
            continue;
        }
        assert!(
            ["better", "similar", "worse", "best", "worst"].contains(&f[vs]),
            "{line}"
        );
        let (k, of) = f[rank].split_once(" of ").expect("N of M");
        assert!(k.parse::<usize>().expect("rank") <= of.parse::<usize>().expect("of"));
        assert!(
            f[p].parse::<f64>().is_ok() && f[q].parse::<f64>().is_ok(),
            "{line}"
        );
        assert!(
            ["common cause", "improvement", "concern", ""].contains(&f[spc]),
            "{line}"
        );
        filled += 1;
    }
    assert!(filled > 150, "{filled}");
}
