//! The SQL that `explain` prints is the plan that runs: for every shipped
//! indicator, the unparsed SQL executed by a fresh DataFusion context over
//! the same Parquet gives the same rows as the compiled plan. Golden files
//! in `tests/golden/` keep the SQL text itself under review.

mod common;

use std::sync::Arc;

use datafusion::arrow::util::pretty::pretty_format_batches;
use datafusion::execution::options::ParquetReadOptions;
use datafusion::prelude::SessionContext;
use pireport::engine::Session;
use pireport::engine::{explain_indicator, plan_indicator, plan_to_sql_parts};

/// Planning and unparsing recurse deeply in a debug build: give the test
/// the stack a main thread has.
#[test]
fn unparsed_sql_reproduces_every_plan() {
    std::thread::Builder::new()
        .stack_size(64 << 20)
        .spawn(|| {
            tokio::runtime::Runtime::new()
                .unwrap()
                .block_on(check_every_plan())
        })
        .unwrap()
        .join()
        .unwrap();
}

async fn check_every_plan() {
    let data = common::repo().join("data-samples");
    let (valid, extract) =
        pireport::load_and_validate(&common::repo().join("indicators"), &data).unwrap();
    let catalog = Arc::new(valid);
    let session = Session::open(catalog.clone(), &extract).await.unwrap();
    for ind in &catalog.indicators {
        let periods = session.periods(ind).computed;
        let plan = plan_indicator(&session.ctx, ind, &periods).await.unwrap();
        let engine = session
            .ctx
            .execute_logical_plan(plan.clone())
            .await
            .unwrap()
            .collect()
            .await
            .unwrap();

        let (sql, rows) = plan_to_sql_parts(&plan).unwrap();
        let ctx = SessionContext::new();
        for name in [
            "dip_tests",
            "offences",
            "probation_caseload",
            "ppo_cohort",
            "recorded_crime",
            "reoffending_cohort",
            "treatment_episodes",
            "tellus_survey",
            "prison_mdt",
            "probation_orders",
            "place_survey",
            "ypsms_custody",
        ] {
            let file = data.join(format!("{name}.parquet"));
            ctx.register_parquet(name, file.to_str().unwrap(), ParquetReadOptions::default())
                .await
                .unwrap();
        }
        let values: Vec<String> = rows.iter().map(|r| format!("({r})")).collect();
        ctx.sql(&format!(
            "CREATE VIEW periods AS VALUES {}",
            values.join(", ")
        ))
        .await
        .unwrap();
        let from_sql = ctx
            .sql(&sql)
            .await
            .unwrap_or_else(|e| panic!("{}: {e}\n{sql}", ind.def.id))
            .collect()
            .await
            .unwrap();
        let (a, b) = (
            pretty_format_batches(&engine).unwrap().to_string(),
            pretty_format_batches(&from_sql).unwrap().to_string(),
        );
        if let Some((x, y)) = a.lines().zip(b.lines()).find(|(x, y)| x != y) {
            panic!(
                "{}: the unparsed SQL differs from the plan:\n plan: {x}\n sql:  {y}\n{sql}",
                ind.def.id
            );
        }
        assert_eq!(
            a.lines().count(),
            b.lines().count(),
            "{}: row counts differ",
            ind.def.id
        );

        // golden explain text; PIREPORT_BLESS=1 rewrites it
        let text = explain_indicator(&ind.def.id, &plan);
        let golden = common::repo()
            .join("tests/golden")
            .join(format!("explain-{}.txt", ind.def.id));
        if std::env::var_os("PIREPORT_BLESS").is_some() {
            std::fs::create_dir_all(golden.parent().unwrap()).unwrap();
            std::fs::write(&golden, &text).unwrap();
        }
        let want = std::fs::read_to_string(&golden)
            .unwrap_or_else(|_| panic!("missing {}: run with PIREPORT_BLESS=1", golden.display()));
        assert_eq!(
            text, want,
            "explain output of {} changed; review and bless with PIREPORT_BLESS=1",
            ind.def.id
        );
    }
}
