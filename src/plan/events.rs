//! Event sets: events of a source joined to cohort members on the person
//! key inside a window, counted per member and attached to the cohort.

use datafusion::error::{DataFusionError, Result};
use datafusion::functions_aggregate::expr_fn::count;
use datafusion::logical_expr::{Expr, JoinType, LogicalPlan, LogicalPlanBuilder, lit};
use datafusion::prelude::{SessionContext, col};

use super::cohort::{c, days, scan_source};
use crate::definition::{Anchor, EventsDef, WindowDef};
use crate::validate::ValidIndicator;

/// Internal column names of event set number `i`.
pub struct EventColumns {
    prefix: String,
}

impl EventColumns {
    /// Names for the `i`-th event set (definition order).
    pub fn new(i: usize) -> Self {
        EventColumns {
            prefix: format!("__e{i}"),
        }
    }
    fn n(&self, s: &str) -> String {
        format!("{}_{s}", self.prefix)
    }
    /// The per-member event count column.
    pub fn count(&self) -> String {
        self.n("n")
    }
}

/// The first and last day of the window, and the condition on the event date.
fn window(w: &WindowDef, anchor: impl Fn(Anchor) -> Expr, date: Expr) -> (Expr, Expr) {
    let d = w.days;
    match (w.after, w.before, w.ending) {
        (Some(a), _, _) => {
            let end = anchor(a) + days(d);
            (date.clone().gt(anchor(a)).and(date.lt_eq(end.clone())), end)
        }
        (_, Some(a), _) => {
            let end = anchor(a) - days(1);
            (
                date.clone()
                    .gt_eq(anchor(a) - days(d))
                    .and(date.lt(anchor(a))),
                end,
            )
        }
        (_, _, Some(a)) => {
            let end = anchor(a);
            (
                date.clone()
                    .gt(anchor(a) - days(d))
                    .and(date.lt_eq(end.clone())),
                end,
            )
        }
        _ => (lit(false), anchor(Anchor::PeriodEnd)),
    }
}

/// Attach one `__eN_n` count column per event set to the cohort.
pub async fn attach_events(
    ctx: &SessionContext,
    ind: &ValidIndicator,
    cohort: LogicalPlan,
) -> Result<LogicalPlan> {
    let def = &ind.def;
    let Some(person) = def.cohort.person.as_deref() else {
        return Ok(cohort);
    };
    let key_date = match &def.cohort.date {
        Some(d) => c(d),
        None => col("period_start"),
    };
    let mut plan = cohort;
    for (i, (name, ev)) in def.events.iter().enumerate() {
        let k = EventColumns::new(i);
        let counts = event_counts(
            ctx,
            ind,
            name,
            ev,
            &k,
            plan.clone(),
            person,
            key_date.clone(),
        )
        .await?;
        let left_keys = vec![col("grain"), col("period"), c(person), key_date.clone()];
        let mut b = LogicalPlanBuilder::from(plan);
        let on: Vec<Expr> = left_keys
            .into_iter()
            .zip([k.n("grain"), k.n("period"), k.n("person"), k.n("date")])
            .map(|(l, r)| l.eq(col(r)))
            .collect();
        b = b.join_on(counts, JoinType::Left, on)?;
        // drop the right-hand key columns
        let keep: Vec<Expr> = b
            .schema()
            .columns()
            .into_iter()
            .filter(|cl| !cl.name.starts_with(&k.prefix) || cl.name == k.count())
            .map(Expr::Column)
            .collect();
        plan = b.project(keep)?.alias("cohort")?.build()?;
    }
    Ok(plan)
}

#[allow(clippy::too_many_arguments)]
async fn event_counts(
    ctx: &SessionContext,
    ind: &ValidIndicator,
    name: &str,
    ev: &EventsDef,
    k: &EventColumns,
    cohort: LogicalPlan,
    person: &str,
    key_date: Expr,
) -> Result<LogicalPlan> {
    let src = ind.sources.get(&ev.source).ok_or_else(|| {
        DataFusionError::Internal(format!("validated source `{}` missing", ev.source))
    })?;
    let keys = LogicalPlanBuilder::from(cohort)
        .project(vec![
            col("grain").alias(k.n("grain")),
            col("period").alias(k.n("period")),
            col("period_start").alias(k.n("ps")),
            col("period_end").alias(k.n("pe")),
            c(person).alias(k.n("person")),
            key_date.alias(k.n("date")),
        ])?
        .distinct()?
        .alias(k.n("keys"))?
        .build()?;
    let mut events = scan_source(ctx, src).await?;
    if let Some(f) = ind.event_filters.get(name) {
        events = events.filter(f.clone())?;
    }
    let mut proj = vec![c(&ev.person).alias(k.n("ep")), c(&ev.date).alias(k.n("ed"))];
    if let Some(p) = &ev.proven {
        proj.push(c(&p.date).alias(k.n("pd")));
    }
    let events = events.project(proj)?.alias(k.n("events"))?.build()?;
    let anchor = |a: Anchor| match a {
        Anchor::CohortDate => col(k.n("date")),
        Anchor::PeriodStart => col(k.n("ps")),
        Anchor::PeriodEnd => col(k.n("pe")),
    };
    let (in_window, window_end) = window(&ev.window, anchor, col(k.n("ed")));
    let mut cond = in_window;
    if let Some(p) = &ev.proven {
        cond = cond.and(col(k.n("pd")).lt_eq(window_end + days(p.waiting_days)));
    }
    LogicalPlanBuilder::from(keys)
        .join(
            events,
            JoinType::Inner,
            (vec![k.n("person")], vec![k.n("ep")]),
            Some(cond),
        )?
        .aggregate(
            vec![
                col(k.n("grain")),
                col(k.n("period")),
                col(k.n("person")),
                col(k.n("date")),
            ],
            vec![count(lit(1)).alias(k.count())],
        )?
        .alias(k.n("counts"))?
        .build()
}
