//! Working-day windows: `working_days(a, b)` in a definition's expressions.
//!
//! `working_days(a, b)` is the number of working days in `(a, b]`: days
//! after `a` up to and including `b` that are Monday to Friday and not in
//! the calendar table the definition names (`calendar: { table, date }`).
//! "Within 5 working days after reception, the reception day counting" is
//! `assessment_date >= reception_date AND working_days(reception_date,
//! assessment_date) <= 5`.
//!
//! The function exists only while an expression is validated: a
//! placeholder lets DataFusion's SQL planner type the call, and
//! [`expand`] then replaces it by plain arithmetic, so the compiled plan is
//! ordinary DataFusion (Ballista runs it) and `explain` shows it in full.
//! With `x(d)` the days from Monday 1 January 1900 to `d`, the weekdays
//! from then up to `d` are `W(d) = 5 * (x / 7) + least(x % 7, 4)` (plus a
//! constant), the holidays up to `d` are `H(d) = CASE WHEN d >= h_n THEN n
//! ... ELSE 0 END` over the calendar's weekday dates, and
//! `working_days(a, b) = (W(b) - H(b)) - (W(a) - H(a))`, negative when
//! `b < a`.

use datafusion::arrow::array::AsArray;
use datafusion::arrow::datatypes::{DataType, Date32Type};
use datafusion::common::tree_node::{Transformed, TreeNode};
use datafusion::common::{DFSchema, ScalarValue};
use datafusion::logical_expr::{
    ColumnarValue, Expr, ExprSchemable, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature,
    Volatility, cast, lit, when,
};
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;

use crate::extract::TableFiles;

/// The name of the working-day function in expressions.
pub const WORKING_DAYS: &str = "working_days";

/// Days from Monday 1 January 1900 to 1 January 1970 (`Date32` day 0).
const DAYS_1900_TO_1970: i64 = 25_567;

/// Reads the calendar's dates: the non-null values of `column`, which must
/// be `Date32`. Weekend dates are dropped (they are not working days
/// anyway); the result is sorted and without duplicates.
pub fn read_holidays(table: &TableFiles, column: &str) -> Result<Vec<i32>, String> {
    match table.schema.field_with_name(column) {
        Ok(f) if f.data_type() == &DataType::Date32 => {}
        Ok(f) => {
            return Err(format!(
                "calendar column `{column}` of table `{}` is {}, not a date (Date32)",
                table.name,
                f.data_type()
            ));
        }
        Err(_) => {
            return Err(format!("table `{}` has no column `{column}`", table.name));
        }
    }
    let mut days = Vec::new();
    for path in &table.files {
        let read = |e: &dyn std::fmt::Display| format!("cannot read {}: {e}", path.display());
        let file = table.location.source(path).map_err(|e| read(&e))?;
        let reader = ParquetRecordBatchReaderBuilder::try_new(file)
            .map_err(|e| read(&e))?
            .build()
            .map_err(|e| read(&e))?;
        for batch in reader {
            let batch = batch.map_err(|e| read(&e))?;
            let Some(col) = batch.column_by_name(column) else {
                return Err(format!("{} has no column `{column}`", path.display()));
            };
            let Some(dates) = col.as_primitive_opt::<Date32Type>() else {
                return Err(format!("{}: `{column}` is not Date32", path.display()));
            };
            days.extend(dates.iter().flatten());
        }
    }
    days.retain(|d| (d + 3).rem_euclid(7) < 5);
    days.sort_unstable();
    days.dedup();
    Ok(days)
}

/// The placeholder that types `working_days(a, b)` while an expression is
/// planned; never executed.
#[derive(Debug, PartialEq, Eq, Hash)]
struct WorkingDaysPlaceholder {
    signature: Signature,
}

impl ScalarUDFImpl for WorkingDaysPlaceholder {
    fn name(&self) -> &str {
        WORKING_DAYS
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _arg_types: &[DataType]) -> datafusion::common::Result<DataType> {
        Ok(DataType::Int64)
    }

    fn invoke_with_args(
        &self,
        _args: ScalarFunctionArgs,
    ) -> datafusion::common::Result<ColumnarValue> {
        Err(datafusion::common::DataFusionError::Internal(
            "working_days is expanded at validation and never executed".into(),
        ))
    }
}

/// The placeholder function to register while expressions are planned.
pub fn placeholder() -> ScalarUDF {
    ScalarUDF::new_from_impl(WorkingDaysPlaceholder {
        signature: Signature::any(2, Volatility::Immutable),
    })
}

/// Days since Monday 1 January 1900, as Int64.
fn day_number(d: Expr) -> Expr {
    cast(d, DataType::Int64) + lit(DAYS_1900_TO_1970)
}

/// Working days from a fixed Monday up to `d`, less a constant.
fn working_up_to(d: Expr, holidays: &[i32]) -> Expr {
    let x = day_number(d.clone());
    let weekday = x.clone() % lit(7_i64);
    let weekdays = lit(5_i64) * (x / lit(7_i64))
        + when(weekday.clone().gt(lit(4_i64)), lit(4_i64))
            .otherwise(weekday)
            .unwrap_or_else(|_| lit(0_i64)); // ok: `when` with an `otherwise` never fails
    let Some((last, earlier)) = holidays.split_last() else {
        return weekdays;
    };
    let date = |h: i32| lit(ScalarValue::Date32(Some(h)));
    let mut case = when(d.clone().gt_eq(date(*last)), lit(holidays.len() as i64));
    for (i, h) in earlier.iter().enumerate().rev() {
        case = case.when(d.clone().gt_eq(date(*h)), lit(i as i64 + 1));
    }
    let before = case.otherwise(lit(0_i64)).unwrap_or_else(|_| lit(0_i64)); // ok: as above
    weekdays - before
}

/// Replaces every `working_days(a, b)` call in `expr` by its arithmetic
/// over `holidays`. Errors (as messages) when a call has not two date
/// arguments or when the definition names no calendar.
pub fn expand(expr: Expr, holidays: Option<&[i32]>, schema: &DFSchema) -> Result<Expr, String> {
    let mut problem: Option<String> = None;
    let out = expr
        .transform_up(|e| {
            let args = match &e {
                Expr::ScalarFunction(f) if f.func.name() == WORKING_DAYS => f.args.clone(),
                _ => return Ok(Transformed::no(e)),
            };
            let Some(holidays) = holidays else {
                problem.get_or_insert_with(|| {
                    "`working_days` needs a working-day calendar: add `calendar: { table: bank_holidays, date: date }` to the definition".into()
                });
                return Ok(Transformed::no(e));
            };
            let [a, b] = args.as_slice() else {
                problem.get_or_insert_with(|| {
                    format!(
                        "`working_days` takes two dates, `working_days(from, to)`; found {} argument(s)",
                        args.len()
                    )
                });
                return Ok(Transformed::no(e));
            };
            for arg in [a, b] {
                match arg.get_type(schema) {
                    Ok(DataType::Date32) => {}
                    Ok(t) => {
                        problem.get_or_insert_with(|| {
                            format!("`working_days` counts days between dates, but `{arg}` is {t}, not a date (Date32)")
                        });
                        return Ok(Transformed::no(e));
                    }
                    Err(err) => {
                        problem.get_or_insert_with(|| err.strip_backtrace());
                        return Ok(Transformed::no(e));
                    }
                }
            }
            let counted =
                working_up_to(b.clone(), holidays) - working_up_to(a.clone(), holidays);
            Ok(Transformed::yes(counted))
        })
        .map_err(|e| e.strip_backtrace())?;
    match problem {
        Some(p) => Err(p),
        None => Ok(out.data),
    }
}

/// Whether `text` calls `working_days` (case-insensitive), and where: the
/// 0-based line and column of the first call.
pub fn call_position(text: &str) -> Option<(usize, usize)> {
    text.lines().enumerate().find_map(|(i, line)| {
        line.to_lowercase()
            .find(WORKING_DAYS)
            .map(|c| (i, line[..c].chars().count()))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    use datafusion::arrow::array::{Date32Array, Int64Array, RecordBatch};
    use datafusion::arrow::datatypes::{Field, Schema};
    use datafusion::prelude::{SessionContext, col};

    fn day(y: i32, m: u32, d: u32) -> i32 {
        let date = chrono::NaiveDate::from_ymd_opt(y, m, d).unwrap();
        (date - chrono::NaiveDate::from_ymd_opt(1970, 1, 1).unwrap()).num_days() as i32
    }

    /// Counts working days in (a, b] one day at a time.
    fn by_hand(a: i32, b: i32, holidays: &[i32]) -> i64 {
        if b <= a {
            return -((b + 1..=a)
                .filter(|d| (d + 3).rem_euclid(7) < 5 && !holidays.contains(d))
                .count() as i64);
        }
        (a + 1..=b)
            .filter(|d| (d + 3).rem_euclid(7) < 5 && !holidays.contains(d))
            .count() as i64
    }

    #[tokio::test]
    async fn expansion_counts_like_a_day_by_day_walk() {
        // Spring 2009: Good Friday 10 April, Easter Monday 13 April, early
        // May 4 May, spring 25 May.
        let holidays = vec![
            day(2009, 4, 10),
            day(2009, 4, 13),
            day(2009, 5, 4),
            day(2009, 5, 25),
        ];
        let mut a = Vec::new();
        let mut b = Vec::new();
        for start in day(2009, 3, 28)..day(2009, 6, 2) {
            for len in [-3, 0, 1, 2, 3, 5, 6, 10, 17] {
                a.push(start);
                b.push(start + len);
            }
        }
        let schema = Arc::new(Schema::new(vec![
            Field::new("a", DataType::Date32, false),
            Field::new("b", DataType::Date32, false),
        ]));
        let batch = RecordBatch::try_new(
            schema.clone(),
            vec![
                Arc::new(Date32Array::from(a.clone())),
                Arc::new(Date32Array::from(b.clone())),
            ],
        )
        .unwrap();
        let ctx = SessionContext::new();
        ctx.register_udf(placeholder());
        let df = ctx.read_batch(batch).unwrap();
        let dfs = DFSchema::try_from(schema.as_ref().clone()).unwrap();
        let call = placeholder().call(vec![col("a"), col("b")]);
        let expanded = expand(call, Some(&holidays), &dfs).unwrap();
        let out = df
            .select(vec![expanded.alias("n")])
            .unwrap()
            .collect()
            .await
            .unwrap();
        let got: Vec<i64> = out
            .iter()
            .flat_map(|b| {
                b.column(0)
                    .as_any()
                    .downcast_ref::<Int64Array>()
                    .unwrap()
                    .values()
                    .to_vec()
            })
            .collect();
        let want: Vec<i64> = a
            .iter()
            .zip(&b)
            .map(|(a, b)| by_hand(*a, *b, &holidays))
            .collect();
        assert_eq!(got, want);
        // Worked by hand: Saturday 23 May 2009 to Tuesday 26 May is one
        // working day (Monday 25 May is a bank holiday); Thursday 9 April
        // to Wednesday 15 April is two, the Tuesday and the Wednesday (Good
        // Friday, the weekend and Easter Monday out); the same day is 0.
        let at = |x: i32, y: i32| {
            a.iter()
                .zip(&b)
                .position(|(p, q)| *p == x && *q == y)
                .map(|i| got[i])
        };
        assert_eq!(at(day(2009, 5, 23), day(2009, 5, 26)), Some(1));
        assert_eq!(at(day(2009, 4, 9), day(2009, 4, 15)), Some(2));
        assert_eq!(at(day(2009, 4, 9), day(2009, 4, 9)), Some(0));
    }

    #[test]
    fn bad_calls_are_explained() {
        let schema = Schema::new(vec![
            Field::new("a", DataType::Date32, false),
            Field::new("n", DataType::Int64, false),
        ]);
        let dfs = DFSchema::try_from(schema).unwrap();
        let call = placeholder().call(vec![col("a"), col("n")]);
        let e = expand(call.clone(), Some(&[]), &dfs).unwrap_err();
        assert!(e.contains("not a date"), "{e}");
        let e = expand(call, None, &dfs).unwrap_err();
        assert!(e.contains("needs a working-day calendar"), "{e}");
        let one = placeholder().call(vec![col("a")]);
        let e = expand(one, Some(&[]), &dfs).unwrap_err();
        assert!(e.contains("takes two dates"), "{e}");
        assert_eq!(
            call_position("x AND\n  Working_Days(a, b) <= 5"),
            Some((1, 2))
        );
    }
}
