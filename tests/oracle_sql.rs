//! An independent oracle: every shipped indicator written again as plain,
//! hand-written SQL from `shared/spec/indicators.md` (not from the engine's
//! plans), run with DataFusion over the committed `data-samples/`, and
//! compared with what `pireport::compute` reports.
//!
//! Compared:
//! - national rows (`E92000001+W92000004`) for every period the engine lists
//!   that is not `not yet available`: numerator, denominator, expected and
//!   value (periods with no value must have an empty cohort in the oracle);
//! - LA rows of one region (North West) in the two periods with the most
//!   unsuppressed LA rows (set `ORACLE_ALL_LAS=1` to compare every
//!   unsuppressed LA row of every period instead); for the drug strategy's
//!   indicators (RMDT, DRR, NI 143, NI 144, NI 42, YPSMS), run with
//!   disclosure control off, every LA row of every period;
//! - the `not yet available` status against the extract date of the manifest.
//!
//! Counts must agree exactly; sums of predicted values and weights, and the
//! values, to 1e-9 relative.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::sync::Arc;
use std::time::Instant;

use chrono::{Datelike, Months, NaiveDate};
use datafusion::arrow::array::{
    Array, ArrayRef, Date32Array, Float64Array, Int64Array, RecordBatch, StringArray,
};
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::{DataType, Field, Schema};
use datafusion::prelude::{ParquetReadOptions, SessionContext};
use pireport::ResultRow;
use pireport::Status;
use pireport::geography::AreaLevel;
use pireport::stats::TargetStatus;

/// A row's status as published (empty for none), for messages.
fn status(r: &ResultRow) -> &'static str {
    r.status.map(|s| s.as_str()).unwrap_or("")
}

const NATIONAL: &str = "E92000001+W92000004";
/// The drug strategy's definitions: every LA row of every period compared,
/// with disclosure control off.
const STRATEGY_FILES: [&str; 9] = [
    "rmdt.yaml",
    "drr-orders.yaml",
    "drr-completion.yaml",
    "ni143.yaml",
    "ni144.yaml",
    "ni42.yaml",
    "ypsms-engaged.yaml",
    "ypsms-assessed.yaml",
    "ypsms-care-plan.yaml",
];
const STRATEGY_IDS: [&str; 9] = [
    "RMDT",
    "DRR.orders",
    "DRR.completion",
    "NI143",
    "NI144",
    "NI42",
    "YPSMS.engaged",
    "YPSMS.assessed",
    "YPSMS.care_plan",
];
/// The region whose LAs are compared.
const REGION: &str = "E12000002";
// every table of the data contract
use pireport::generate::TABLES;

// ---------------------------------------------------------------------------
// Periods: labels parsed here, independently of the engine's period code.
// ---------------------------------------------------------------------------

/// First and last day of a period, and its first calendar year.
#[derive(Debug, Clone, Copy)]
struct Span {
    start: NaiveDate,
    end: NaiveDate,
    year: i64,
}

fn ymd(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

/// The days a label covers: `2008` (calendar year), `2008-09` (1 April 2008
/// to 31 March 2009) or `2008-09 Q1` (April-June 2008; Q4 is January-March
/// 2009).
fn label_span(label: &str) -> Span {
    let bad = || -> ! { panic!("unparseable period label `{label}`") };
    let (fy, quarter) = match label.split_once(" Q") {
        Some((fy, q)) => (fy, Some(q.parse::<u32>().unwrap_or_else(|_| bad()))),
        None => (label, None),
    };
    if fy.len() == 4 && quarter.is_none() {
        let y: i32 = fy.parse().unwrap_or_else(|_| bad());
        return Span {
            start: ymd(y, 1, 1),
            end: ymd(y, 12, 31),
            year: y as i64,
        };
    }
    let (a, b) = fy.split_once('-').unwrap_or_else(|| bad());
    let y: i32 = a.parse().unwrap_or_else(|_| bad());
    let next: i32 = b.parse().unwrap_or_else(|_| bad());
    assert!(
        a.len() == 4 && b.len() == 2 && next == (y + 1) % 100,
        "bad financial year in `{label}`"
    );
    let (start, months) = match quarter {
        None => (ymd(y, 4, 1), 12),
        Some(q @ 1..=3) => (ymd(y, 4 + 3 * (q - 1), 1), 3),
        Some(4) => (ymd(y + 1, 1, 1), 3),
        Some(_) => bad(),
    };
    let end = (start + Months::new(months)).pred_opt().unwrap();
    Span {
        start,
        end,
        year: y as i64,
    }
}

/// For a quarter, the rolling 12 months ending with it; else the label's own
/// span.
fn rolling_span(label: &str) -> Span {
    let own = label_span(label);
    if !label.contains(" Q") {
        return own;
    }
    let next = own.end.succ_opt().unwrap();
    Span {
        start: next - Months::new(12),
        ..own
    }
}

fn days(d: NaiveDate) -> i32 {
    (d - ymd(1970, 1, 1)).num_days() as i32
}

// ---------------------------------------------------------------------------
// The indicators as SQL. Each query reads a table `periods(period, p_start,
// p_end, p_year)` and returns one row per (period, la_code) and one national
// row per period (la_code NULL): period, la_code, numerator, denominator,
// expected, value.
// ---------------------------------------------------------------------------

/// NI38 / NI38.rate cohort: per quarter, each person with a positive test in
/// it, once, at the first positive test (ties: lowest test_id); each member's
/// offences committed in (D, D + 365] and proven by D + 365 + 182.
fn dip_cohort_ctes() -> &'static str {
    "
    positive_tests AS (
        SELECT p.period, t.test_id, t.person_id, t.test_date, t.la_code,
               t.predicted_offences_1y
        FROM dip_tests t
        JOIN periods p ON t.test_date >= p.p_start AND t.test_date <= p.p_end
        WHERE t.result IN ('opiates', 'cocaine', 'both')
    ),
    ranked AS (
        SELECT *,
               ROW_NUMBER() OVER (PARTITION BY period, person_id
                                  ORDER BY test_date, test_id) AS rn
        FROM positive_tests
    ),
    cohort AS (
        SELECT period, person_id, test_date, la_code, predicted_offences_1y
        FROM ranked
        WHERE rn = 1
    ),
    reoffences AS (
        SELECT c.period, c.person_id, COUNT(*) AS n
        FROM cohort c
        JOIN offences o ON o.person_id = c.person_id
        WHERE o.offence_date > c.test_date
          AND o.offence_date <= c.test_date + INTERVAL '365 days'
          AND o.disposal_date <= c.test_date + INTERVAL '547 days' -- 365 + 182
        GROUP BY c.period, c.person_id
    ),
    members AS (
        SELECT c.period, c.la_code, c.predicted_offences_1y AS predicted,
               COALESCE(r.n, 0) AS offences
        FROM cohort c
        LEFT JOIN reoffences r ON r.period = c.period AND r.person_id = c.person_id
    )"
}

/// NI38: actual / predicted proven offences.
fn ni38_sql() -> String {
    format!(
        "WITH {}
        SELECT period, la_code,
               CAST(SUM(offences) AS DOUBLE) AS numerator,
               SUM(predicted) AS denominator,
               SUM(predicted) AS expected,
               CAST(SUM(offences) AS DOUBLE) / SUM(predicted) AS value
        FROM members
        GROUP BY GROUPING SETS ((period, la_code), (period))",
        dip_cohort_ctes()
    )
}

/// NI38.rate: proven offences per 100 cohort members.
fn ni38_rate_sql() -> String {
    format!(
        "WITH {}
        SELECT period, la_code,
               CAST(SUM(offences) AS DOUBLE) AS numerator,
               CAST(COUNT(*) AS DOUBLE) AS denominator,
               SUM(predicted) AS expected,
               100.0 * CAST(SUM(offences) AS DOUBLE) / CAST(COUNT(*) AS DOUBLE) AS value
        FROM members
        GROUP BY GROUPING SETS ((period, la_code), (period))",
        dip_cohort_ctes()
    )
}

/// NI40: distinct adult clients with a qualifying episode in [S, E]
/// (periods here are financial years or rolling 12 months), in the area of
/// their latest-triage qualifying episode (ties: highest episode_id). The
/// national figure is counted directly as distinct clients.
fn ni40_sql() -> String {
    "WITH
    qualifying AS (
        SELECT p.period, e.client_id, e.episode_id, e.triage_date, e.la_code
        FROM treatment_episodes e
        JOIN periods p
          ON e.triage_date <= p.p_end
         AND (e.discharge_date IS NULL OR e.discharge_date >= p.p_start)
        WHERE e.age_at_triage >= 18
          AND (
            -- retained: min(discharge, E) - triage >= 84 days, open episodes use E
            (CASE WHEN e.discharge_date IS NULL OR e.discharge_date > p.p_end
                  THEN p.p_end ELSE e.discharge_date END)
              >= e.triage_date + INTERVAL '84 days'
            -- or a planned exit in the period
            OR (e.discharge_date >= p.p_start AND e.discharge_date <= p.p_end
                AND e.discharge_reason IN ('completed_drug_free',
                                           'completed_occasional_user'))
          )
    ),
    latest AS (
        SELECT period, client_id, la_code,
               ROW_NUMBER() OVER (PARTITION BY period, client_id
                                  ORDER BY triage_date DESC, episode_id DESC) AS rn
        FROM qualifying
    ),
    by_la AS (
        SELECT period, la_code, COUNT(*) AS clients
        FROM latest
        WHERE rn = 1
        GROUP BY period, la_code
    )
    -- every LA, with 0 where no client counts there
    SELECT p.period, CAST(a.la_code AS VARCHAR) AS la_code,
           CAST(COALESCE(b.clients, 0) AS DOUBLE) AS numerator,
           CAST(NULL AS DOUBLE) AS denominator,
           CAST(NULL AS DOUBLE) AS expected,
           CAST(COALESCE(b.clients, 0) AS DOUBLE) AS value
    FROM periods p
    CROSS JOIN areas a
    LEFT JOIN by_la b ON b.period = p.period AND b.la_code = a.la_code
    UNION ALL
    SELECT period, CAST(NULL AS VARCHAR) AS la_code,
           CAST(COUNT(DISTINCT client_id) AS DOUBLE) AS numerator,
           CAST(NULL AS DOUBLE) AS denominator,
           CAST(NULL AS DOUBLE) AS expected,
           CAST(COUNT(DISTINCT client_id) AS DOUBLE) AS value
    FROM qualifying
    GROUP BY period"
        .to_string()
}

/// NI18: caseload rows snapshotted in the quarter; numerator the rows whose
/// person has an offence committed in (D, D + 91] proven by D + 91 + 91.
fn ni18_sql() -> String {
    "WITH
    cohort AS (
        SELECT p.period, c.person_id, c.snapshot_date, c.la_code,
               c.predicted_reoffend_3m
        FROM probation_caseload c
        JOIN periods p ON c.snapshot_date >= p.p_start AND c.snapshot_date <= p.p_end
    ),
    reoffended AS (
        SELECT DISTINCT c.person_id, c.snapshot_date
        FROM (SELECT DISTINCT person_id, snapshot_date FROM cohort) c
        JOIN offences o ON o.person_id = c.person_id
        WHERE o.offence_date > c.snapshot_date
          AND o.offence_date <= c.snapshot_date + INTERVAL '91 days'
          AND o.disposal_date <= c.snapshot_date + INTERVAL '182 days' -- 91 + 91
    ),
    members AS (
        SELECT c.period, c.la_code, c.predicted_reoffend_3m AS predicted,
               CASE WHEN r.person_id IS NULL THEN 0 ELSE 1 END AS reoffender
        FROM cohort c
        LEFT JOIN reoffended r
          ON r.person_id = c.person_id AND r.snapshot_date = c.snapshot_date
    )
    SELECT period, la_code,
           CAST(SUM(reoffender) AS DOUBLE) AS numerator,
           CAST(COUNT(*) AS DOUBLE) AS denominator,
           SUM(predicted) AS expected,
           (CAST(SUM(reoffender) AS DOUBLE) - SUM(predicted)) / SUM(predicted) * 100.0
             AS value
    FROM members
    GROUP BY GROUPING SETS ((period, la_code), (period))"
        .to_string()
}

/// NI30: for the quarter ending E, ppo_cohort rows with cohort_date <= E - 364;
/// numerator their offences disposed in (E - 365, E], denominator those
/// disposed in [cohort_date - 365, cohort_date).
fn ni30_sql() -> String {
    "WITH
    members AS (
        SELECT p.period, p.p_end, m.person_id, m.cohort_date, m.la_code
        FROM ppo_cohort m
        JOIN periods p ON m.cohort_date <= p.p_end - INTERVAL '364 days'
    ),
    after AS (
        SELECT k.period, k.person_id, COUNT(*) AS n
        FROM (SELECT DISTINCT period, p_end, person_id FROM members) k
        JOIN offences o ON o.person_id = k.person_id
        WHERE o.disposal_date > k.p_end - INTERVAL '365 days'
          AND o.disposal_date <= k.p_end
        GROUP BY k.period, k.person_id
    ),
    before AS (
        SELECT k.person_id, k.cohort_date, COUNT(*) AS n
        FROM (SELECT DISTINCT person_id, cohort_date FROM ppo_cohort) k
        JOIN offences o ON o.person_id = k.person_id
        WHERE o.disposal_date >= k.cohort_date - INTERVAL '365 days'
          AND o.disposal_date < k.cohort_date
        GROUP BY k.person_id, k.cohort_date
    ),
    counted AS (
        SELECT m.period, m.la_code,
               COALESCE(a.n, 0) AS after_n,
               COALESCE(b.n, 0) AS before_n
        FROM members m
        LEFT JOIN after a ON a.period = m.period AND a.person_id = m.person_id
        LEFT JOIN before b
          ON b.person_id = m.person_id AND b.cohort_date = m.cohort_date
    )
    SELECT period, la_code,
           CAST(SUM(after_n) AS DOUBLE) AS numerator,
           CAST(SUM(before_n) AS DOUBLE) AS denominator,
           CAST(NULL AS DOUBLE) AS expected,
           (CAST(SUM(after_n) AS DOUBLE) - CAST(SUM(before_n) AS DOUBLE))
             / CAST(SUM(before_n) AS DOUBLE) * 100.0 AS value
    FROM counted
    GROUP BY GROUPING SETS ((period, la_code), (period))"
        .to_string()
}

/// NI16: serious acquisitive crimes recorded in [S, E] per 1,000 population.
/// LAs come from `areas` (so an LA with no crime has a 0); the national
/// numerator counts every crime and its denominator is the total population.
fn ni16_sql() -> String {
    "WITH
    sac AS (
        SELECT p.period, r.la_code
        FROM recorded_crime r
        JOIN periods p ON r.recorded_date >= p.p_start AND r.recorded_date <= p.p_end
        WHERE r.crime_type IN ('domestic_burglary', 'theft_of_vehicle',
                               'theft_from_vehicle', 'robbery_personal',
                               'robbery_business')
    ),
    by_la AS (
        SELECT period, la_code, COUNT(*) AS crimes FROM sac GROUP BY period, la_code
    ),
    la_rows AS (
        SELECT p.period, a.la_code, COALESCE(b.crimes, 0) AS crimes,
               a.population
        FROM periods p
        CROSS JOIN areas a
        LEFT JOIN by_la b ON b.period = p.period AND b.la_code = a.la_code
    ),
    national AS (
        SELECT p.period, COALESCE(c.crimes, 0) AS crimes, t.population
        FROM periods p
        LEFT JOIN (SELECT period, COUNT(*) AS crimes FROM sac GROUP BY period) c
          ON c.period = p.period
        CROSS JOIN (SELECT SUM(population) AS population FROM areas) t
    )
    SELECT period, CAST(la_code AS VARCHAR) AS la_code,
           CAST(crimes AS DOUBLE) AS numerator,
           CAST(population AS DOUBLE) AS denominator,
           CAST(NULL AS DOUBLE) AS expected,
           1000.0 * CAST(crimes AS DOUBLE) / CAST(population AS DOUBLE) AS value
    FROM la_rows
    UNION ALL
    SELECT period, CAST(NULL AS VARCHAR) AS la_code,
           CAST(crimes AS DOUBLE), CAST(population AS DOUBLE),
           CAST(NULL AS DOUBLE),
           1000.0 * CAST(crimes AS DOUBLE) / CAST(population AS DOUBLE)
    FROM national"
        .to_string()
}

/// PSA23.5 (adults) and NI19 (juveniles): cohort rows starting in the
/// financial year; their offences committed in (D, D + 365] proven by
/// D + 365 + 182; value 100 x re-offences / offenders.
fn reoffending_sql(age_group: &str) -> String {
    format!(
        "WITH
        cohort AS (
            SELECT p.period, c.person_id, c.cohort_start, c.la_code,
                   c.predicted_reoffences_1y
            FROM reoffending_cohort c
            JOIN periods p ON c.cohort_start >= p.p_start AND c.cohort_start <= p.p_end
            WHERE c.age_group = '{age_group}'
        ),
        reoffences AS (
            SELECT k.person_id, k.cohort_start, COUNT(*) AS n
            FROM (SELECT DISTINCT person_id, cohort_start FROM cohort) k
            JOIN offences o ON o.person_id = k.person_id
            WHERE o.offence_date > k.cohort_start
              AND o.offence_date <= k.cohort_start + INTERVAL '365 days'
              AND o.disposal_date <= k.cohort_start + INTERVAL '547 days' -- 365 + 182
            GROUP BY k.person_id, k.cohort_start
        ),
        members AS (
            SELECT c.period, c.la_code, c.predicted_reoffences_1y AS predicted,
                   COALESCE(r.n, 0) AS offences
            FROM cohort c
            LEFT JOIN reoffences r
              ON r.person_id = c.person_id AND r.cohort_start = c.cohort_start
        )
        SELECT period, la_code,
               CAST(SUM(offences) AS DOUBLE) AS numerator,
               CAST(COUNT(*) AS DOUBLE) AS denominator,
               SUM(predicted) AS expected,
               100.0 * CAST(SUM(offences) AS DOUBLE) / CAST(COUNT(*) AS DOUBLE) AS value
        FROM members
        GROUP BY GROUPING SETS ((period, la_code), (period))"
    )
}

fn psa23_5_sql() -> String {
    reoffending_sql("adult")
}

fn ni19_sql() -> String {
    reoffending_sql("juvenile")
}

/// NI115: per survey year, respondents answering at least one question;
/// weighted share with any of the three true.
fn ni115_sql() -> String {
    "WITH
    answered AS (
        SELECT p.period, s.la_code, s.weight,
               (COALESCE(s.drunk_2plus_4wk, false)
                OR COALESCE(s.drugs_2plus_4wk, false)
                OR COALESCE(s.volatile_2plus_4wk, false)) AS any_yes
        FROM tellus_survey s
        JOIN periods p ON s.survey_year = p.p_year
        WHERE s.drunk_2plus_4wk IS NOT NULL
           OR s.drugs_2plus_4wk IS NOT NULL
           OR s.volatile_2plus_4wk IS NOT NULL
    )
    SELECT period, la_code,
           SUM(CASE WHEN any_yes THEN weight ELSE 0.0 END) AS numerator,
           SUM(weight) AS denominator,
           CAST(NULL AS DOUBLE) AS expected,
           100.0 * SUM(CASE WHEN any_yes THEN weight ELSE 0.0 END) / SUM(weight) AS value
    FROM answered
    GROUP BY GROUPING SETS ((period, la_code), (period))"
        .to_string()
}

/// A percentage of rows of `table` dated in the period by `date_col`: the
/// rows meeting `keep` are the denominator, those also meeting `hit` the
/// numerator.
fn share_sql(table: &str, date_col: &str, keep: &str, hit: &str) -> String {
    format!(
        "WITH
        kept AS (
            SELECT p.period, t.la_code, CASE WHEN {hit} THEN 1 ELSE 0 END AS hit
            FROM {table} t
            JOIN periods p ON t.{date_col} >= p.p_start AND t.{date_col} <= p.p_end
            WHERE {keep}
        )
        SELECT period, la_code,
               CAST(SUM(hit) AS DOUBLE) AS numerator,
               CAST(COUNT(*) AS DOUBLE) AS denominator,
               CAST(NULL AS DOUBLE) AS expected,
               100.0 * CAST(SUM(hit) AS DOUBLE) / CAST(COUNT(*) AS DOUBLE) AS value
        FROM kept
        GROUP BY GROUPING SETS ((period, la_code), (period))"
    )
}

/// RMDT: random tests; positive or refused over all.
fn rmdt_sql() -> String {
    share_sql(
        "prison_mdt",
        "test_date",
        "t.test_type = 'random'",
        "t.result = 'positive' OR t.result = 'refused'",
    )
}

/// Terminated orders that are not excluded: the reason is neither `died`
/// nor `transferred` (an order with no reason recorded is kept).
const NOT_EXCLUDED: &str =
    "(t.termination_reason IS NULL OR t.termination_reason NOT IN ('died', 'transferred'))";

/// DRR.completion: DRR orders terminating in the period, not excluded;
/// completed or early good progress over all.
fn drr_completion_sql() -> String {
    share_sql(
        "probation_orders",
        "termination_date",
        &format!("t.drr AND {NOT_EXCLUDED}"),
        "t.termination_reason = 'completed' OR t.termination_reason = 'early_good_progress'",
    )
}

/// NI143: terminated orders, not excluded, accommodation recorded and known.
fn ni143_sql() -> String {
    share_sql(
        "probation_orders",
        "termination_date",
        &format!(
            "{NOT_EXCLUDED} AND t.accommodation_at_end IS NOT NULL \
             AND t.accommodation_at_end <> 'not_known'"
        ),
        "t.accommodation_at_end = 'settled'",
    )
}

/// NI144: terminated orders, not excluded, employment recorded and known.
fn ni144_sql() -> String {
    share_sql(
        "probation_orders",
        "termination_date",
        &format!(
            "{NOT_EXCLUDED} AND t.employment_at_end IS NOT NULL \
             AND t.employment_at_end <> 'not_known'"
        ),
        "t.employment_at_end = 'employed' OR t.employment_at_end = 'self_employed'",
    )
}

/// YPSMS.engaged: receptions in the period; engaged over all.
fn ypsms_engaged_sql() -> String {
    share_sql("ypsms_custody", "reception_date", "true", "t.engaged")
}

/// DRR.orders: orders with a DRR starting in the period. LAs come from
/// `areas`, so an LA with none has a 0.
fn drr_orders_sql() -> String {
    "WITH
    started AS (
        SELECT p.period, o.la_code
        FROM probation_orders o
        JOIN periods p ON o.start_date >= p.p_start AND o.start_date <= p.p_end
        WHERE o.drr
    ),
    by_la AS (
        SELECT period, la_code, COUNT(*) AS n FROM started GROUP BY period, la_code
    )
    SELECT p.period, CAST(a.la_code AS VARCHAR) AS la_code,
           CAST(COALESCE(b.n, 0) AS DOUBLE) AS numerator,
           CAST(NULL AS DOUBLE) AS denominator,
           CAST(NULL AS DOUBLE) AS expected,
           CAST(COALESCE(b.n, 0) AS DOUBLE) AS value
    FROM periods p
    CROSS JOIN areas a
    LEFT JOIN by_la b ON b.period = p.period AND b.la_code = a.la_code
    UNION ALL
    SELECT period, CAST(NULL AS VARCHAR), CAST(COUNT(*) AS DOUBLE),
           CAST(NULL AS DOUBLE), CAST(NULL AS DOUBLE), CAST(COUNT(*) AS DOUBLE)
    FROM started
    GROUP BY period"
        .to_string()
}

/// NI42: per survey year, respondents with an opinion; weighted share
/// calling drugs a very or fairly big problem.
fn ni42_sql() -> String {
    "WITH
    answered AS (
        SELECT p.period, s.la_code, s.weight,
               s.drug_problem IN ('very_big', 'fairly_big') AS problem
        FROM place_survey s
        JOIN periods p ON s.survey_year = p.p_year
        WHERE s.drug_problem IS NOT NULL AND s.drug_problem <> 'dont_know'
    )
    SELECT period, la_code,
           SUM(CASE WHEN problem THEN weight ELSE 0.0 END) AS numerator,
           SUM(weight) AS denominator,
           CAST(NULL AS DOUBLE) AS expected,
           100.0 * SUM(CASE WHEN problem THEN weight ELSE 0.0 END) / SUM(weight) AS value
    FROM answered
    GROUP BY GROUPING SETS ((period, la_code), (period))"
        .to_string()
}

/// YPSMS.assessed and YPSMS.care_plan: receptions in the period; those
/// whose `done` date is on or after reception with at most `n` working days
/// in (reception, done], counted one day at a time against `all_days`
/// (every date, 2004 to 2013) less weekends and `bank_holidays`.
fn ypsms_within_sql(done: &str, n: u32) -> String {
    format!(
        "WITH
        working AS (
            SELECT d.day
            FROM all_days d
            LEFT JOIN bank_holidays h ON h.date = d.day
            WHERE h.date IS NULL AND date_part('dow', d.day) NOT IN (0, 6)
        ),
        received AS (
            SELECT p.period, t.la_code, t.reception_date AS r, t.{done} AS done,
                   ROW_NUMBER() OVER () AS rid
            FROM ypsms_custody t
            JOIN periods p ON t.reception_date >= p.p_start AND t.reception_date <= p.p_end
        ),
        counted AS (
            SELECT x.rid, COUNT(w.day) AS days
            FROM received x
            LEFT JOIN working w ON w.day > x.r AND w.day <= x.done
            GROUP BY x.rid
        ),
        kept AS (
            SELECT x.period, x.la_code,
                   CASE WHEN x.done IS NOT NULL AND x.done >= x.r AND c.days <= {n}
                        THEN 1 ELSE 0 END AS hit
            FROM received x
            JOIN counted c ON c.rid = x.rid
        )
        SELECT period, la_code,
               CAST(SUM(hit) AS DOUBLE) AS numerator,
               CAST(COUNT(*) AS DOUBLE) AS denominator,
               CAST(NULL AS DOUBLE) AS expected,
               100.0 * CAST(SUM(hit) AS DOUBLE) / CAST(COUNT(*) AS DOUBLE) AS value
        FROM kept
        GROUP BY GROUPING SETS ((period, la_code), (period))"
    )
}

fn ypsms_assessed_sql() -> String {
    ypsms_within_sql("assessment_date", 5)
}

fn ypsms_care_plan_sql() -> String {
    ypsms_within_sql("care_plan_date", 10)
}

/// Every date from 2004 to 2013, the days the working-day oracle walks.
fn all_days_batch() -> RecordBatch {
    let first = days(ymd(2004, 1, 1));
    let last = days(ymd(2013, 12, 31));
    let schema = Schema::new(vec![Field::new("day", DataType::Date32, false)]);
    RecordBatch::try_new(
        Arc::new(schema),
        vec![Arc::new(Date32Array::from(
            (first..=last).collect::<Vec<_>>(),
        ))],
    )
    .unwrap()
}

// ---------------------------------------------------------------------------
// Running the oracle.
// ---------------------------------------------------------------------------

/// How an indicator's period labels map to days, and how long after the
/// last cohort day its follow-up plus waiting period runs.
struct Spec {
    id: &'static str,
    sql: fn() -> String,
    rolling: bool,
    follow_up_days: i64,
    /// Counts compare exactly; weighted or predicted sums to 1e-9 relative.
    exact_numerator: bool,
    exact_denominator: bool,
    /// The value is a difference of two terms divided by the second
    /// (NI18's (numerator - expected) / expected x 100): it is compared to
    /// 1e-9 relative to the size of those terms, not to the difference,
    /// which cancels (the engine adds predicted values as Decimal128(38, 12),
    /// whose rounding then shows in the ninth significant digit of a
    /// near-zero value).
    cancels: bool,
}

fn specs() -> Vec<Spec> {
    let s = |id, sql, rolling, follow_up_days, exact_numerator, exact_denominator| Spec {
        id,
        sql,
        rolling,
        follow_up_days,
        exact_numerator,
        exact_denominator,
        cancels: id == "NI18",
    };
    vec![
        s("NI38", ni38_sql, false, 365 + 182, true, false),
        s("NI38.rate", ni38_rate_sql, false, 365 + 182, true, true),
        s("NI40", ni40_sql, true, 0, true, true),
        s("NI18", ni18_sql, false, 91 + 91, true, true),
        s("NI30", ni30_sql, false, 0, true, true),
        s("NI16", ni16_sql, true, 0, true, true),
        s("PSA23.5", psa23_5_sql, false, 365 + 182, true, true),
        s("NI19", ni19_sql, false, 365 + 182, true, true),
        s("NI115", ni115_sql, false, 0, false, false),
        s("RMDT", rmdt_sql, true, 0, true, true),
        s("DRR.orders", drr_orders_sql, true, 0, true, true),
        s("DRR.completion", drr_completion_sql, true, 0, true, true),
        s("NI143", ni143_sql, false, 0, true, true),
        s("NI144", ni144_sql, false, 0, true, true),
        s("NI42", ni42_sql, false, 0, false, false),
        s("YPSMS.engaged", ypsms_engaged_sql, false, 0, true, true),
        s("YPSMS.assessed", ypsms_assessed_sql, false, 0, true, true),
        s("YPSMS.care_plan", ypsms_care_plan_sql, false, 0, true, true),
    ]
}

#[derive(Debug, Clone, Copy)]
struct Figures {
    numerator: Option<f64>,
    denominator: Option<f64>,
    expected: Option<f64>,
    value: Option<f64>,
}

/// Keyed by (period, LA code or None for national).
type Oracle = BTreeMap<(String, Option<String>), Figures>;

fn periods_batch(labels: &[String], rolling: bool) -> RecordBatch {
    let spans: Vec<Span> = labels
        .iter()
        .map(|l| {
            if rolling {
                rolling_span(l)
            } else {
                label_span(l)
            }
        })
        .collect();
    let schema = Schema::new(vec![
        Field::new("period", DataType::Utf8, false),
        Field::new("p_start", DataType::Date32, false),
        Field::new("p_end", DataType::Date32, false),
        Field::new("p_year", DataType::Int64, false),
    ]);
    let cols: Vec<ArrayRef> = vec![
        Arc::new(StringArray::from(labels.to_vec())),
        Arc::new(Date32Array::from(
            spans.iter().map(|s| days(s.start)).collect::<Vec<_>>(),
        )),
        Arc::new(Date32Array::from(
            spans.iter().map(|s| days(s.end)).collect::<Vec<_>>(),
        )),
        Arc::new(Int64Array::from(
            spans.iter().map(|s| s.year).collect::<Vec<_>>(),
        )),
    ];
    RecordBatch::try_new(Arc::new(schema), cols).unwrap()
}

fn opt_f64(a: &Float64Array, i: usize) -> Option<f64> {
    (!a.is_null(i)).then(|| a.value(i))
}

async fn run_oracle(ctx: &SessionContext, spec: &Spec, labels: &[String]) -> Oracle {
    ctx.deregister_table("periods").unwrap();
    ctx.register_batch("periods", periods_batch(labels, spec.rolling))
        .unwrap();
    let sql = (spec.sql)();
    let batches = ctx
        .sql(&sql)
        .await
        .unwrap_or_else(|e| panic!("{}: planning failed: {e}\n{sql}", spec.id))
        .collect()
        .await
        .unwrap_or_else(|e| panic!("{}: execution failed: {e}", spec.id));
    let mut out = Oracle::new();
    for b in batches {
        let text = |i: usize| cast(b.column(i), &DataType::Utf8).unwrap();
        let num = |i: usize| cast(b.column(i), &DataType::Float64).unwrap();
        let (period, la) = (text(0), text(1));
        let period = period.as_any().downcast_ref::<StringArray>().unwrap();
        let la = la.as_any().downcast_ref::<StringArray>().unwrap();
        let cols: Vec<ArrayRef> = (2..6).map(num).collect();
        let f: Vec<&Float64Array> = cols
            .iter()
            .map(|c| c.as_any().downcast_ref::<Float64Array>().unwrap())
            .collect();
        for i in 0..b.num_rows() {
            let key = (
                period.value(i).to_string(),
                (!la.is_null(i)).then(|| la.value(i).to_string()),
            );
            let figures = Figures {
                numerator: opt_f64(f[0], i),
                denominator: opt_f64(f[1], i),
                expected: opt_f64(f[2], i),
                value: opt_f64(f[3], i),
            };
            assert!(
                out.insert(key.clone(), figures).is_none(),
                "{}: oracle returned {key:?} twice",
                spec.id
            );
        }
    }
    out
}

/// Whether two figures agree: exactly, or to 1e-9 relative to `scale` (at
/// least the larger of the two).
fn same(exact: bool, scale: f64, engine: Option<f64>, oracle: Option<f64>) -> bool {
    match (engine, oracle) {
        (None, None) => true,
        (Some(a), Some(b)) if exact => a == b,
        (Some(a), Some(b)) => (a - b).abs() <= 1e-9 * a.abs().max(b.abs()).max(scale) + 1e-12,
        _ => false,
    }
}

/// Append a line to `errors` for each figure of `row` that differs from
/// `oracle`.
fn compare(spec: &Spec, row: &ResultRow, oracle: Option<&Figures>, errors: &mut Vec<String>) {
    let at = format!("{} {} {}", spec.id, row.area_code, row.period);
    let Some(o) = oracle else {
        errors.push(format!(
            "{at}: engine has numerator {:?} denominator {:?} value {:?}, oracle has no cohort",
            row.numerator, row.denominator, row.value
        ));
        return;
    };
    let checks = [
        (
            "numerator",
            spec.exact_numerator,
            row.numerator,
            o.numerator,
        ),
        (
            "denominator",
            spec.exact_denominator,
            row.denominator,
            o.denominator,
        ),
        ("expected", false, row.expected, o.expected),
        ("value", false, row.value, o.value),
    ];
    // NI18: the size of the terms of (numerator - expected) / expected x 100
    let value_scale = match (spec.cancels, o.numerator, o.expected) {
        (true, Some(n), Some(e)) => 100.0 * n.max(e) / e,
        _ => 0.0,
    };
    for (what, exact, engine, oracle) in checks {
        let scale = if what == "value" { value_scale } else { 0.0 };
        if !same(exact, scale, engine, oracle) {
            errors.push(format!(
                "{at}: {what} engine {engine:?} != oracle {oracle:?}"
            ));
        }
    }
}

fn extract_date(data: &Path) -> NaiveDate {
    let text = std::fs::read_to_string(data.join("manifest.yaml")).unwrap();
    let line = text
        .lines()
        .find_map(|l| l.strip_prefix("extract_date:"))
        .expect("manifest names extract_date");
    NaiveDate::parse_from_str(line.trim().trim_matches('"'), "%Y-%m-%d").unwrap()
}

async fn oracle_matches_engine() {
    let started = Instant::now();
    let repo = common::repo();
    let data = repo.join("data-samples");
    // The drug strategy's indicators are run with disclosure control off
    // (their LA counts in the 1% sample are mostly 1 to 4), so that every
    // one of their LA rows can be compared; the others as shipped.
    let defs = tempfile::tempdir().unwrap();
    for entry in std::fs::read_dir(repo.join("indicators")).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        let mut text = std::fs::read_to_string(&path).unwrap();
        if STRATEGY_FILES.contains(&name.as_str()) {
            assert!(text.contains("disclosure_threshold: 5"), "{name}");
            text = text.replace("disclosure_threshold: 5", "disclosure_threshold: 1");
        }
        std::fs::write(defs.path().join(&name), text).unwrap();
    }
    let run = pireport::compute(defs.path(), &data, &[])
        .await
        .expect("engine runs on the sample");
    let engine_secs = started.elapsed().as_secs_f64();
    let rows = run.rows;
    let extract = extract_date(&data);
    let all_las = std::env::var_os("ORACLE_ALL_LAS").is_some();

    let ctx = SessionContext::new();
    for t in TABLES {
        let path = data.join(format!("{t}.parquet"));
        ctx.register_parquet(t, path.to_str().unwrap(), ParquetReadOptions::default())
            .await
            .unwrap();
    }
    ctx.register_batch("all_days", all_days_batch()).unwrap();
    // an empty `periods` so that the first deregister has something to drop
    ctx.register_batch("periods", periods_batch(&[], false))
        .unwrap();
    let region_las: BTreeSet<String> = {
        let b = ctx
            .sql(&format!(
                "SELECT la_code FROM areas WHERE region_code = '{REGION}'"
            ))
            .await
            .unwrap()
            .collect()
            .await
            .unwrap();
        b.iter()
            .flat_map(|b| {
                let c = cast(b.column(0), &DataType::Utf8).unwrap();
                let c = c.as_any().downcast_ref::<StringArray>().unwrap().clone();
                (0..c.len()).map(move |i| c.value(i).to_string())
            })
            .collect()
    };
    assert!(!region_las.is_empty());

    let mut errors = Vec::new();
    let mut summary = Vec::new();
    for spec in specs() {
        let of = |level: AreaLevel| {
            rows.iter()
                .filter(move |r| r.indicator == spec.id && r.area_level == level)
        };
        let national: Vec<&ResultRow> = of(AreaLevel::National)
            .filter(|r| r.area_code == NATIONAL)
            .collect();
        assert!(!national.is_empty(), "{}: no national rows", spec.id);

        // the status against the extract date
        for r in &national {
            let last_day = if spec.rolling {
                rolling_span(&r.period.to_string()).end
            } else {
                label_span(&r.period.to_string()).end
            };
            let complete = last_day + chrono::Days::new(spec.follow_up_days as u64);
            let nya = r.status == Some(Status::Target(TargetStatus::NotYetAvailable));
            if nya != (complete > extract) {
                errors.push(format!(
                    "{} {}: status `{}` but follow-up complete on {complete} \
                     and the extract date is {extract}",
                    spec.id,
                    r.period,
                    status(r)
                ));
            }
        }

        let available: Vec<&ResultRow> = national
            .iter()
            .copied()
            .filter(|r| r.status != Some(Status::Target(TargetStatus::NotYetAvailable)))
            .collect();
        let labels: Vec<String> = available.iter().map(|r| r.period.to_string()).collect();
        let oracle = run_oracle(&ctx, &spec, &labels).await;

        let mut compared_national = 0;
        for r in &available {
            let o = oracle.get(&(r.period.to_string(), None));
            if r.value.is_some() {
                compare(&spec, r, o, &mut errors);
                compared_national += 1;
            } else if let Some(o) = o {
                // no value: the oracle's cohort must be empty too
                let empty = o.numerator.unwrap_or(0.0) == 0.0
                    && o.denominator.unwrap_or(0.0) == 0.0
                    && o.value.is_none();
                if !empty {
                    errors.push(format!(
                        "{} {NATIONAL} {}: engine has no value ({}), oracle {o:?}",
                        spec.id,
                        r.period,
                        status(r)
                    ));
                }
            }
        }
        assert!(compared_national > 0, "{}: no national values", spec.id);

        // LA rows: unsuppressed rows with a value in the region, in the two
        // periods with the most of them (ties: the later period)
        let all_las = all_las || STRATEGY_IDS.contains(&spec.id);
        let la_rows: Vec<&ResultRow> = of(AreaLevel::La)
            .filter(|r| labels.contains(&r.period.to_string()))
            .filter(|r| all_las || region_las.contains(&r.area_code))
            .filter(|r| !r.suppressed && r.value.is_some())
            .collect();
        let chosen: BTreeSet<&str> = if all_las {
            labels.iter().map(String::as_str).collect()
        } else {
            let mut by_period: Vec<(usize, usize, &str)> = labels
                .iter()
                .enumerate()
                .map(|(i, p)| {
                    (
                        la_rows
                            .iter()
                            .filter(|r| r.period.to_string() == *p)
                            .count(),
                        i,
                        p.as_str(),
                    )
                })
                .collect();
            by_period.sort();
            by_period.iter().rev().take(2).map(|x| x.2).collect()
        };
        let mut compared_la = 0;
        for r in la_rows
            .iter()
            .filter(|r| chosen.contains(r.period.to_string().as_str()))
        {
            let o = oracle.get(&(r.period.to_string(), Some(r.area_code.clone())));
            compare(&spec, r, o, &mut errors);
            compared_la += 1;
        }
        // every LA of the region has a row in the engine's output
        for p in &chosen {
            for la in &region_las {
                if !of(AreaLevel::La).any(|r| r.period.to_string() == *p && &r.area_code == la) {
                    errors.push(format!("{} {la} {p}: engine has no LA row", spec.id));
                }
            }
        }
        assert!(
            compared_la > 0,
            "{}: no unsuppressed LA rows compared",
            spec.id
        );
        summary.push(format!(
            "{:<9} {:>3} national periods, {:>3} LA rows ({})",
            spec.id,
            compared_national,
            compared_la,
            chosen.iter().copied().collect::<Vec<_>>().join(", ")
        ));
    }
    println!(
        "oracle_sql: engine {engine_secs:.1}s, total {:.1}s\n{}",
        started.elapsed().as_secs_f64(),
        summary.join("\n")
    );
    assert!(
        errors.is_empty(),
        "{} disagreements between the SQL oracle and the engine:\n{}",
        errors.len(),
        errors.join("\n")
    );
}

#[test]
fn sql_oracle_agrees_with_engine_on_sample() {
    let handle = std::thread::Builder::new()
        .name("oracle_sql".into())
        .stack_size(64 << 20)
        .spawn(|| {
            let rt = tokio::runtime::Builder::new_multi_thread()
                .thread_stack_size(64 << 20)
                .enable_all()
                .build()
                .unwrap();
            rt.block_on(oracle_matches_engine());
        })
        .unwrap();
    if let Err(panic) = handle.join() {
        std::panic::resume_unwind(panic);
    }
}

#[test]
fn period_labels_parse() {
    let s = label_span("2008-09");
    assert_eq!((s.start, s.end), (ymd(2008, 4, 1), ymd(2009, 3, 31)));
    let s = label_span("2008-09 Q1");
    assert_eq!((s.start, s.end), (ymd(2008, 4, 1), ymd(2008, 6, 30)));
    let s = label_span("2008-09 Q3");
    assert_eq!((s.start, s.end), (ymd(2008, 10, 1), ymd(2008, 12, 31)));
    let s = label_span("2007-08 Q4");
    assert_eq!((s.start, s.end), (ymd(2008, 1, 1), ymd(2008, 3, 31)));
    let s = rolling_span("2008-09 Q1");
    assert_eq!((s.start, s.end), (ymd(2007, 7, 1), ymd(2008, 6, 30)));
    let s = rolling_span("2008-09 Q4");
    assert_eq!((s.start, s.end), (ymd(2008, 4, 1), ymd(2009, 3, 31)));
    let s = rolling_span("2008-09");
    assert_eq!((s.start, s.end), (ymd(2008, 4, 1), ymd(2009, 3, 31)));
    let s = label_span("2008");
    assert_eq!(
        (s.start, s.end, s.year),
        (ymd(2008, 1, 1), ymd(2008, 12, 31), 2008)
    );
    assert_eq!(s.start.year(), 2008);
}
