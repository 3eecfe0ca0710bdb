//! Event sets: events of a source joined to cohort members on the person
//! key inside a window, counted per member and attached to the cohort.

use datafusion::arrow::datatypes::DataType;
use datafusion::error::{DataFusionError, Result};
use datafusion::functions_aggregate::expr_fn::count;
use datafusion::logical_expr::{Expr, JoinType, LogicalPlan, LogicalPlanBuilder, cast, lit};
use datafusion::prelude::{SessionContext, col};

use super::cohort::{c, scan_source};
use super::periods::PERIOD_ID;
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
///
/// Dates enter as day numbers (`Int32`, days since 1970-01-01): integer
/// comparisons and sums cost far less than date-plus-interval arithmetic,
/// which dominated the event joins' profiles, and mean the same.
fn window(w: &WindowDef, anchor: impl Fn(Anchor) -> Expr, date: Expr) -> (Expr, Expr) {
    let d = w.days;
    match (w.after, w.before, w.ending) {
        (Some(a), _, _) => {
            let end = anchor(a) + day_count(d);
            (date.clone().gt(anchor(a)).and(date.lt_eq(end.clone())), end)
        }
        (_, Some(a), _) => {
            let end = anchor(a) - day_count(1);
            (
                date.clone()
                    .gt_eq(anchor(a) - day_count(d))
                    .and(date.lt(anchor(a))),
                end,
            )
        }
        (_, _, Some(a)) => {
            let end = anchor(a);
            (
                date.clone()
                    .gt(anchor(a) - day_count(d))
                    .and(date.lt_eq(end.clone())),
                end,
            )
        }
        _ => (lit(false), anchor(Anchor::PeriodEnd)),
    }
}

/// `n` days as an `Int32` to add to a day number.
fn day_count(n: u32) -> Expr {
    lit(n as i32)
}

/// The day number (`Int32`) of a `Date32` expression.
fn day_number(e: Expr) -> Expr {
    cast(e, DataType::Int32)
}

/// Whether a window moves with the period (anchored on its start or end),
/// so that a member's count can differ from one period to the next.
fn window_reads_period(w: &WindowDef) -> bool {
    let anchors: Vec<Anchor> = [w.after, w.before, w.ending]
        .into_iter()
        .flatten()
        .collect();
    // no anchor at all: `window` falls back on the period end
    anchors.is_empty() || anchors.iter().any(|a| *a != Anchor::CohortDate)
}

/// Attach one `__eN_n` count column per event set to the cohort.
///
/// With `per_period`, cohort rows carry a period (`period_id`,
/// `period_start`, `period_end`); events in a window anchored on the
/// period are counted per period, and events in a window anchored on the
/// cohort date once per person and date (the count is the same in every
/// period the member is in, so counting it per period only multiplied the
/// join: NI38's member-periods repeat a test date in each rolling year
/// containing it). Without `per_period` the rows are the source's own
/// (every window is anchored on the cohort date) and events are counted
/// once per person and date.
pub async fn attach_events(
    ctx: &SessionContext,
    ind: &ValidIndicator,
    cohort: LogicalPlan,
    per_period: bool,
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
        let per_period = per_period && window_reads_period(&ev.window);
        let counts = event_counts(
            ctx,
            ind,
            name,
            ev,
            &k,
            plan.clone(),
            person,
            key_date.clone(),
            per_period,
        )
        .await?;
        let mut pairs = vec![(c(person), k.n("person")), (key_date.clone(), k.n("date"))];
        if per_period {
            pairs.insert(0, (col(PERIOD_ID), k.n("pid")));
        }
        let mut b = LogicalPlanBuilder::from(plan);
        let on: Vec<Expr> = pairs.into_iter().map(|(l, r)| l.eq(col(r))).collect();
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
    per_period: bool,
) -> Result<LogicalPlan> {
    let mut key_cols = vec![
        c(person).alias(k.n("person")),
        key_date.clone().alias(k.n("date")),
        day_number(key_date).alias(k.n("dn")),
    ];
    if per_period {
        key_cols.extend([
            col(PERIOD_ID).alias(k.n("pid")),
            day_number(col("period_start")).alias(k.n("ps")),
            day_number(col("period_end")).alias(k.n("pe")),
        ]);
    }
    let keys = LogicalPlanBuilder::from(cohort)
        .project(key_cols)?
        .distinct()?
        .alias(k.n("keys"))?
        .build()?;
    let (events, cond) = events_in_window(ctx, ind, name, ev, k).await?;
    let mut group = vec![col(k.n("person")), col(k.n("date"))];
    if per_period {
        group.insert(0, col(k.n("pid")));
    }
    LogicalPlanBuilder::from(keys)
        .join(
            events,
            JoinType::Inner,
            (vec![k.n("person")], vec![k.n("ep")]),
            Some(cond),
        )?
        .aggregate(group, vec![count(lit(1)).alias(k.count())])?
        .alias(k.n("counts"))?
        .build()
}

/// The events of set `name` (filtered, projected to `__eN_ep` person,
/// `__eN_ed` day number and `__eN_pd` proven day number) and the condition
/// that puts one inside the window of a member whose anchors are the
/// columns `__eN_dn` (cohort date), `__eN_ps` and `__eN_pe` (period start
/// and end, as day numbers).
async fn events_in_window(
    ctx: &SessionContext,
    ind: &ValidIndicator,
    name: &str,
    ev: &EventsDef,
    k: &EventColumns,
) -> Result<(LogicalPlan, Expr)> {
    let src = ind.sources.get(&ev.source).ok_or_else(|| {
        DataFusionError::Internal(format!("validated source `{}` missing", ev.source))
    })?;
    let mut events = scan_source(ctx, src).await?;
    if let Some(f) = ind.event_filters.get(name) {
        events = events.filter(f.clone())?;
    }
    let mut proj = vec![
        c(&ev.person).alias(k.n("ep")),
        day_number(c(&ev.date)).alias(k.n("ed")),
    ];
    if let Some(p) = &ev.proven {
        proj.push(day_number(c(&p.date)).alias(k.n("pd")));
    }
    let events = events.project(proj)?.alias(k.n("events"))?.build()?;
    let anchor = |a: Anchor| match a {
        Anchor::CohortDate => col(k.n("dn")),
        Anchor::PeriodStart => col(k.n("ps")),
        Anchor::PeriodEnd => col(k.n("pe")),
    };
    let (in_window, window_end) = window(&ev.window, anchor, col(k.n("ed")));
    let mut cond = in_window;
    if let Some(p) = &ev.proven {
        cond = cond.and(col(k.n("pd")).lt_eq(window_end + day_count(p.waiting_days)));
    }
    Ok((events, cond))
}

/// What a row-level plan counts of an event set, per bucket and area.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum PairCount {
    /// Every (cohort row, event in its window) pair: an `events` measure.
    Events,
    /// The cohort rows with at least one event in their window: a
    /// `members_with` measure.
    Members,
}

/// The output column of [`bucket_pair_counts`] for event set `set`.
pub fn pair_column(set: usize, what: PairCount) -> String {
    let k = EventColumns::new(set);
    match what {
        PairCount::Events => k.n("pairs"),
        PairCount::Members => k.n("members"),
    }
}

/// Per bucket and area of the cohort's source rows `rows` (a row-level
/// plan: every window anchored on the cohort date), the number of (row,
/// event) pairs of event set number `set` inside the window, or of rows
/// with at least one such event.
///
/// Each is one join of the rows with the events, aggregated straight to
/// the buckets: the sum over rows of a per-row count is the number of
/// pairs, and the number of rows with a nonzero count is the size of the
/// semi-join. This replaces distinct (person, date) keys, their join with
/// the events, a count per key and a left join of the counts back to the
/// rows (three hash tables over the whole cohort) with one join: NI18,
/// NI19 and PSA23.5 spent most of their time there.
pub async fn bucket_pair_counts(
    ctx: &SessionContext,
    ind: &ValidIndicator,
    set: usize,
    what: PairCount,
    rows: LogicalPlan,
    bucket: &str,
) -> Result<LogicalPlan> {
    let def = &ind.def;
    let (Some(person), Some(date)) = (def.cohort.person.as_deref(), def.cohort.date.as_deref())
    else {
        return Err(DataFusionError::Internal(
            "pair counts need a cohort person and date".into(),
        ));
    };
    let (name, ev) = def
        .events
        .iter()
        .nth(set)
        .ok_or_else(|| DataFusionError::Internal(format!("no event set number {set}")))?;
    let k = EventColumns::new(set);
    let area = c(&def.cohort.area);
    let keys = LogicalPlanBuilder::from(rows)
        .project(vec![
            col(bucket),
            area.clone(),
            c(person).alias(k.n("person")),
            day_number(c(date)).alias(k.n("dn")),
        ])?
        .alias(k.n("members"))?
        .build()?;
    let (events, cond) = events_in_window(ctx, ind, name, ev, &k).await?;
    let join_type = match what {
        PairCount::Events => JoinType::Inner,
        PairCount::Members => JoinType::LeftSemi,
    };
    LogicalPlanBuilder::from(keys)
        .join(
            events,
            join_type,
            (vec![k.n("person")], vec![k.n("ep")]),
            Some(cond),
        )?
        .aggregate(
            vec![col(bucket), area],
            vec![count(lit(1)).alias(pair_column(set, what))],
        )?
        .alias(k.n("pair_counts"))?
        .build()
}
