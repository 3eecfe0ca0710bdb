//! `compute` assesses each indicator as soon as its plan has run and its
//! rows are rolled up, while later plans run, and unparses the plans to
//! SQL only when asked. Neither may change a figure: the rows are those
//! the assessment stage makes from the finished execution, and the SQL
//! text is that of each plan as the planner compiles it.

mod common;

use std::sync::Arc;

use pireport::engine::{Session, assess, plan_indicator, plan_to_sql_parts};

#[test]
fn pipelined_assessment_gives_the_stage_rows() {
    common::on_big_stack(|| {
        let indicators = common::repo().join("indicators");
        let data = common::repo().join("data-samples");
        let run = tokio::runtime::Runtime::new()
            .unwrap()
            .block_on(pireport::compute(&indicators, &data, &[]))
            .unwrap();
        let after = assess(&run.catalog, &run.execution).unwrap();
        assert!(run.rows.len() > 1000, "{} rows", run.rows.len());
        assert_eq!(run.rows.len(), after.len());
        for (a, b) in run.rows.iter().zip(&after) {
            assert_eq!(a, b);
        }
        // and in the catalog's order of indicators
        let order: Vec<&str> = run
            .catalog
            .indicators
            .iter()
            .map(|i| i.def.id.as_str())
            .collect();
        let mut seen: Vec<&str> = run.rows.iter().map(|r| r.indicator.as_str()).collect();
        seen.dedup();
        assert_eq!(seen, order);
    });
}

#[test]
fn sql_text_is_each_plan_unparsed_when_asked() {
    common::on_big_stack(|| {
        let rt = tokio::runtime::Runtime::new().unwrap();
        let indicators = common::repo().join("indicators");
        let data = common::repo().join("data-samples");
        let ids = vec!["NI40".to_string(), "YPSMS.engaged".to_string()];
        let run = rt
            .block_on(pireport::compute(&indicators, &data, &ids))
            .unwrap();
        let (valid, extract) = pireport::load_and_validate(&indicators, &data).unwrap();
        let catalog = Arc::new(valid);
        let session = rt
            .block_on(Session::open(catalog.clone(), &extract))
            .unwrap();
        let texts = run.execution.sql.texts();
        assert_eq!(
            texts.keys().map(String::as_str).collect::<Vec<_>>(),
            ["NI40", "YPSMS.engaged"]
        );
        for ind in catalog
            .indicators
            .iter()
            .filter(|i| ids.contains(&i.def.id))
        {
            let periods = session.periods(ind).computed;
            let plan = rt
                .block_on(plan_indicator(&session.ctx, ind, &periods))
                .unwrap();
            let (sql, _) = plan_to_sql_parts(&plan).unwrap();
            let text = &texts[&ind.def.id];
            assert!(
                text.contains(&sql),
                "{}: the run's text does not hold the plan's SQL",
                ind.def.id
            );
        }
        // a pack's share of the run is the same text
        let one = run.execution.restricted(&["NI40".to_string()]);
        assert_eq!(one.sql.texts().len(), 1);
        assert_eq!(one.sql.get("NI40"), texts.get("NI40"));
    });
}
