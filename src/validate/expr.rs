//! SQL *expressions* in definitions, and nothing more.
//!
//! A filter is parsed as exactly one SQL expression (trailing tokens such as
//! `; DROP TABLE x` are a parse error), then walked against a whitelist of
//! node kinds: column names of the mapped schema, literals, operators,
//! `IN` lists, `BETWEEN`, `LIKE`, `CASE`, `CAST`, `INTERVAL` and a short list
//! of scalar functions. Subqueries, table functions (`read_parquet`),
//! wildcards, qualified names and every other function are rejected before
//! DataFusion sees the text, so a definition can never read a file or reach
//! a table it did not declare.

use datafusion::arrow::datatypes::DataType;
use datafusion::common::DFSchema;
use datafusion::execution::context::SessionState;
use datafusion::logical_expr::{Expr, ExprSchemable};
use datafusion::sql::sqlparser::ast::{self, Expr as SqlExpr, Spanned};
use datafusion::sql::sqlparser::dialect::GenericDialect;
use datafusion::sql::sqlparser::parser::Parser;

/// Scalar functions a definition may call.
pub const ALLOWED_FUNCTIONS: &[&str] = &[
    "coalesce",
    "nullif",
    "least",
    "greatest",
    "lower",
    "upper",
    "trim",
    "btrim",
    "ltrim",
    "rtrim",
    "length",
    "char_length",
    "character_length",
    "starts_with",
    "ends_with",
    "date_part",
    "date_trunc",
    "to_date",
    "working_days",
];

/// The longest expression text a definition may hold: far above any real
/// filter, and low enough that parsing and checking stay shallow.
pub const MAX_EXPRESSION_BYTES: usize = 8192;

/// A problem in an expression, positioned inside the expression text.
#[derive(Debug, Clone, PartialEq)]
pub struct ExprProblem {
    /// 0-based line inside the expression.
    pub line0: usize,
    /// 0-based column inside the expression.
    pub col0: usize,
    /// What is wrong.
    pub message: String,
    /// How to fix it.
    pub hint: Option<String>,
}

impl ExprProblem {
    fn at(node: &impl Spanned, message: impl Into<String>, hint: Option<String>) -> ExprProblem {
        let s = node.span().start;
        ExprProblem {
            line0: (s.line.max(1) - 1) as usize,
            col0: (s.column.max(1) - 1) as usize,
            message: message.into(),
            hint,
        }
    }
}

/// Parse `text` as one SQL expression and check every node against the
/// whitelist and every column against `columns`.
pub fn parse_checked(text: &str, columns: &[&str]) -> Result<SqlExpr, ExprProblem> {
    if text.len() > MAX_EXPRESSION_BYTES {
        return Err(ExprProblem {
            line0: 0,
            col0: 0,
            message: format!(
                "the expression is {} bytes long, more than the {MAX_EXPRESSION_BYTES} a definition may hold",
                text.len()
            ),
            hint: Some("shorten it: use IN (...) lists instead of chains of OR".into()),
        });
    }
    if text.trim().is_empty() {
        return Err(ExprProblem {
            line0: 0,
            col0: 0,
            message: "the expression is empty".into(),
            hint: Some("write a condition, e.g. result = 'opiates', or remove the key".into()),
        });
    }
    let dialect = GenericDialect {};
    let mut parser = Parser::new(&dialect)
        .try_with_sql(text)
        .map_err(parse_problem)?;
    let expr = parser.parse_expr().map_err(parse_problem)?;
    let next = parser.peek_token();
    if next.token != datafusion::sql::sqlparser::tokenizer::Token::EOF {
        let loc = next.span.start;
        return Err(ExprProblem {
            line0: (loc.line.max(1) - 1) as usize,
            col0: (loc.column.max(1) - 1) as usize,
            message: format!(
                "unexpected `{}` after the expression: a filter is one SQL expression, not a statement",
                next.token
            ),
            hint: Some(
                "remove everything after the expression; `;` and further statements are never run"
                    .into(),
            ),
        });
    }
    check(&expr, columns)?;
    Ok(expr)
}

fn parse_problem(e: datafusion::sql::sqlparser::parser::ParserError) -> ExprProblem {
    let msg = e.to_string();
    // sqlparser reports "... at Line: L, Column: C"
    let (line0, col0) = msg
        .rsplit_once("Line: ")
        .and_then(|(_, rest)| {
            let (l, c) = rest.split_once(", Column: ")?;
            let c: String = c.chars().take_while(|ch| ch.is_ascii_digit()).collect();
            Some((
                l.trim().parse::<usize>().ok()?.saturating_sub(1),
                c.parse::<usize>().ok()?.saturating_sub(1),
            ))
        })
        .unwrap_or((0, 0));
    let clean = msg
        .split(" at Line: ")
        .next()
        .unwrap_or(&msg)
        .trim_start_matches("sql parser error: ")
        .to_string();
    ExprProblem {
        line0,
        col0,
        message: format!("not a valid SQL expression: {clean}"),
        hint: None,
    }
}

/// `did you mean 'x'?` for the closest candidate, or the list of candidates.
pub fn suggest(name: &str, candidates: &[&str]) -> String {
    crate::suggest::Suggestion::closest(name, candidates).to_string()
}

fn check(e: &SqlExpr, cols: &[&str]) -> Result<(), ExprProblem> {
    use SqlExpr as E;
    match e {
        E::Identifier(id) => check_identifier(e, id, cols),
        E::Value(v) if !matches!(v.value, ast::Value::Placeholder(_)) => Ok(()),
        E::TypedString(_) => Ok(()),
        E::Interval(iv) => check(&iv.value, cols),
        E::BinaryOp { left, op, right } => check_binary(e, left, op, right, cols),
        E::UnaryOp { op, expr } => match op {
            ast::UnaryOperator::Not | ast::UnaryOperator::Minus | ast::UnaryOperator::Plus => {
                check(expr, cols)
            }
            other => Err(ExprProblem::at(
                e,
                format!("operator `{other}` is not allowed"),
                None,
            )),
        },
        E::Nested(x)
        | E::IsNull(x)
        | E::IsNotNull(x)
        | E::IsTrue(x)
        | E::IsFalse(x)
        | E::IsNotTrue(x)
        | E::IsNotFalse(x)
        | E::IsUnknown(x)
        | E::IsNotUnknown(x) => check(x, cols),
        E::IsDistinctFrom(a, b) | E::IsNotDistinctFrom(a, b) => {
            check(a, cols)?;
            check(b, cols)
        }
        E::InList { expr, list, .. } => {
            check(expr, cols)?;
            list.iter().try_for_each(|x| check(x, cols))
        }
        E::Between {
            expr, low, high, ..
        } => {
            check(expr, cols)?;
            check(low, cols)?;
            check(high, cols)
        }
        E::Like {
            expr,
            pattern,
            any: false,
            ..
        }
        | E::ILike {
            expr,
            pattern,
            any: false,
            ..
        } => {
            check(expr, cols)?;
            check(pattern, cols)
        }
        E::Case {
            operand,
            conditions,
            else_result,
            ..
        } => check_case(operand.as_deref(), conditions, else_result.as_deref(), cols),
        E::Cast { expr, .. } => check(expr, cols),
        // `trim(x)` and `trim(BOTH 'x' FROM y)` parse as their own node
        // kind, not as a function call: allowed like the function.
        E::Trim {
            expr,
            trim_what,
            trim_characters,
            ..
        } => check_trim(expr, trim_what.as_deref(), trim_characters.as_deref(), cols),
        E::Function(f) => check_function(e, f, cols),
        _ => Err(refused(e)),
    }
}

/// A binary operation: arithmetic, a comparison, AND, OR or `||`, over
/// allowed operands.
fn check_binary(
    e: &SqlExpr,
    left: &SqlExpr,
    op: &ast::BinaryOperator,
    right: &SqlExpr,
    cols: &[&str],
) -> Result<(), ExprProblem> {
    use ast::BinaryOperator as B;
    match op {
        B::Plus
        | B::Minus
        | B::Multiply
        | B::Divide
        | B::Modulo
        | B::Gt
        | B::Lt
        | B::GtEq
        | B::LtEq
        | B::Eq
        | B::NotEq
        | B::And
        | B::Or
        | B::StringConcat => {
            check(left, cols)?;
            check(right, cols)
        }
        other => Err(ExprProblem::at(
            e,
            format!("operator `{other}` is not allowed"),
            None,
        )),
    }
}

/// A CASE: its operand, each WHEN and THEN, and its ELSE.
fn check_case(
    operand: Option<&SqlExpr>,
    conditions: &[ast::CaseWhen],
    else_result: Option<&SqlExpr>,
    cols: &[&str],
) -> Result<(), ExprProblem> {
    if let Some(o) = operand {
        check(o, cols)?;
    }
    for w in conditions {
        check(&w.condition, cols)?;
        check(&w.result, cols)?;
    }
    match else_result {
        Some(x) => check(x, cols),
        None => Ok(()),
    }
}

/// A TRIM: its operand, what to trim and the characters.
fn check_trim(
    expr: &SqlExpr,
    trim_what: Option<&SqlExpr>,
    trim_characters: Option<&[SqlExpr]>,
    cols: &[&str],
) -> Result<(), ExprProblem> {
    check(expr, cols)?;
    if let Some(w) = trim_what {
        check(w, cols)?;
    }
    trim_characters
        .iter()
        .copied()
        .flatten()
        .try_for_each(|x| check(x, cols))
}

/// A column named in an expression: one of `cols` (unquoted names are
/// case-insensitive).
fn check_identifier(e: &SqlExpr, id: &ast::Ident, cols: &[&str]) -> Result<(), ExprProblem> {
    let name = if id.quote_style.is_some() {
        id.value.clone()
    } else {
        id.value.to_lowercase()
    };
    if cols.contains(&name.as_str()) {
        Ok(())
    } else {
        Err(ExprProblem::at(
            e,
            format!("unknown column `{name}`"),
            Some(suggest(&name, cols)),
        ))
    }
}

/// Why a node `check` does not allow is refused, with what to write instead.
fn refused(e: &SqlExpr) -> ExprProblem {
    use SqlExpr as E;
    match e {
        E::CompoundIdentifier(_) => ExprProblem::at(
            e,
            "qualified names are not allowed: a filter sees only the columns of its own source",
            Some("write the bare column name".into()),
        ),
        E::Value(v) => ExprProblem::at(
            e,
            format!("parameter `{v}` is not allowed: a definition has no parameters"),
            Some("write the value itself".into()),
        ),
        // `substr`, `substring` need DataFusion's unicode functions, which
        // this build leaves out: refused here with the alternatives rather
        // than failing later in the planner.
        E::Substring { .. } => ExprProblem::at(
            e,
            "`substr` and `substring` are not available in definitions",
            Some(
                "test prefixes with `starts_with(col, 'abc')` or `col LIKE 'abc%'`, suffixes with `ends_with`"
                    .into(),
            ),
        ),
        E::Subquery(_) | E::Exists { .. } | E::InSubquery { .. } => ExprProblem::at(
            e,
            "subqueries are not allowed: a filter cannot read other tables",
            Some("declare the table as a source and use an event set or the cohort instead".into()),
        ),
        E::Wildcard(_) | E::QualifiedWildcard(..) => ExprProblem::at(e, "wildcards are not allowed", None),
        other => ExprProblem::at(
            e,
            format!("this kind of expression is not allowed in a definition: `{other}`"),
            Some(format!(
                "use columns, literals, comparisons, AND/OR/NOT, IN, BETWEEN, LIKE, CASE, CAST, INTERVAL and the functions {}",
                ALLOWED_FUNCTIONS.join(", ")
            )),
        ),
    }
}

fn check_function(node: &SqlExpr, f: &ast::Function, cols: &[&str]) -> Result<(), ExprProblem> {
    let name = f.name.to_string().to_lowercase();
    if !ALLOWED_FUNCTIONS.contains(&name.as_str()) {
        let hint = format!("allowed functions are: {}", ALLOWED_FUNCTIONS.join(", "));
        let what = if name.starts_with("read_") || name.contains("parquet") || name.contains("csv")
        {
            format!("table function `{name}` is not allowed: a definition cannot read files")
        } else {
            format!("function `{name}` is not allowed")
        };
        return Err(ExprProblem::at(node, what, Some(hint)));
    }
    if f.over.is_some()
        || f.filter.is_some()
        || !matches!(f.parameters, ast::FunctionArguments::None)
    {
        return Err(ExprProblem::at(
            node,
            format!("`{name}` may not have OVER, FILTER or parameters"),
            None,
        ));
    }
    match &f.args {
        ast::FunctionArguments::List(list) => {
            if list.duplicate_treatment.is_some() || !list.clauses.is_empty() {
                return Err(ExprProblem::at(
                    node,
                    format!("`{name}` takes plain arguments only"),
                    None,
                ));
            }
            for a in &list.args {
                match a {
                    ast::FunctionArg::Unnamed(ast::FunctionArgExpr::Expr(x)) => check(x, cols)?,
                    _ => {
                        return Err(ExprProblem::at(
                            node,
                            format!("`{name}` takes plain arguments only"),
                            None,
                        ));
                    }
                }
            }
            Ok(())
        }
        ast::FunctionArguments::None => Ok(()),
        ast::FunctionArguments::Subquery(_) => Err(ExprProblem::at(
            node,
            "subqueries are not allowed: a filter cannot read other tables",
            None,
        )),
    }
}

/// Convert a checked expression to a DataFusion expression against
/// `schema`, and require it to be of type `want` (Boolean for filters).
pub fn to_datafusion(
    state: &SessionState,
    sql: SqlExpr,
    schema: &DFSchema,
    want: Option<&DataType>,
) -> Result<Expr, ExprProblem> {
    let span = sql.span().start;
    let problem = |message: String| ExprProblem {
        line0: (span.line.max(1) - 1) as usize,
        col0: (span.column.max(1) - 1) as usize,
        message,
        hint: None,
    };
    let with_alias = ast::ExprWithAlias {
        expr: sql,
        alias: None,
    };
    let expr = state
        .create_logical_expr_from_sql_expr(with_alias, schema)
        .map_err(|e| problem(first_line(&e.strip_backtrace())))?;
    let ty = expr
        .get_type(schema)
        .map_err(|e| problem(first_line(&e.strip_backtrace())))?;
    if let Some(want) = want
        && &ty != want
    {
        let found = if ty == DataType::Null {
            "NULL, which no row satisfies".to_string()
        } else {
            ty.to_string()
        };
        return Err(problem(format!(
            "expected a {want} expression, found {found}"
        )));
    }
    type_check(state, &expr, schema).map_err(problem)?;
    Ok(expr)
}

/// Run DataFusion's own analyzer (type coercion, function signatures) and
/// constant folding on `expr` as a filter over `schema`, so that an
/// expression validation accepts is one the engine plans and runs; then
/// refuse what coercion made of it that would run with another meaning: a
/// column converted between text, numbers and dates (`result = 1`,
/// `test_date > 5`) is cast row by row, failing mid-run or comparing text.
fn type_check(state: &SessionState, expr: &Expr, schema: &DFSchema) -> Result<(), String> {
    use datafusion::common::tree_node::{TreeNode, TreeNodeRecursion};
    use datafusion::logical_expr::simplify::SimplifyContext;
    use datafusion::logical_expr::{EmptyRelation, LogicalPlan, LogicalPlanBuilder};
    use datafusion::optimizer::simplify_expressions::ExprSimplifier;
    use std::sync::Arc;

    let clean = |e: datafusion::error::DataFusionError| first_line(&e.strip_backtrace());
    let schema = Arc::new(schema.clone());
    let plan = LogicalPlanBuilder::from(LogicalPlan::EmptyRelation(EmptyRelation {
        produce_one_row: false,
        schema: schema.clone(),
    }))
    .filter(expr.clone())
    .and_then(|b| b.build())
    .map_err(clean)?;
    let analyzed = state
        .analyzer()
        .execute_and_check(plan, state.config_options(), |_, _| {})
        .map_err(clean)?;
    let LogicalPlan::Filter(filter) = analyzed else {
        return Err("the expression could not be planned as a filter".into());
    };
    let coerced = filter.predicate;
    let mut bad = None;
    coerced
        .apply(|e| {
            if let Expr::Cast(c) = e
                && !matches!(c.expr.as_ref(), Expr::Literal(..))
                && let Ok(from) = c.expr.get_type(&schema)
                && kind(&from) != kind(c.field.data_type())
                && kind(&from) != Kind::Null
            {
                bad = Some(format!(
                    "`{}` is {from} but is used as {}: compare it with a value of its own type",
                    c.expr,
                    c.field.data_type()
                ));
                return Ok(TreeNodeRecursion::Stop);
            }
            if let Expr::Cast(c) = e
                && let Expr::Literal(v, _) = c.expr.as_ref()
                && !matches!(
                    (kind(&v.data_type()), kind(c.field.data_type())),
                    (a, b) if a == b
                )
                && !matches!(kind(&v.data_type()), Kind::Text | Kind::Null)
            {
                bad = Some(format!(
                    "the value {v} is used as {}: write a value of that type, e.g. DATE '2009-04-01' for a date",
                    c.field.data_type()
                ));
                return Ok(TreeNodeRecursion::Stop);
            }
            if let Expr::Placeholder(p) = e {
                bad = Some(format!("parameter `{}` has no value in a definition", p.id));
                return Ok(TreeNodeRecursion::Stop);
            }
            Ok(TreeNodeRecursion::Continue)
        })
        .map_err(clean)?;
    if let Some(b) = bad {
        return Err(b);
    }
    let ctx = SimplifyContext::builder()
        .with_schema(schema)
        .with_config_options(state.config_options().clone())
        .build();
    ExprSimplifier::new(ctx).simplify(coerced).map_err(clean)?;
    Ok(())
}

#[derive(PartialEq)]
enum Kind {
    Text,
    Number,
    Time,
    Boolean,
    Null,
    Other,
}

fn kind(t: &DataType) -> Kind {
    use DataType as T;
    match t {
        T::Utf8 | T::LargeUtf8 | T::Utf8View | T::Dictionary(..) => Kind::Text,
        T::Null => Kind::Null,
        T::Boolean => Kind::Boolean,
        T::Date32
        | T::Date64
        | T::Timestamp(..)
        | T::Time32(_)
        | T::Time64(_)
        | T::Interval(_)
        | T::Duration(_) => Kind::Time,
        t if t.is_numeric() => Kind::Number,
        _ => Kind::Other,
    }
}

fn first_line(s: &str) -> String {
    s.lines().next().unwrap_or_default().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    const COLS: &[&str] = &["result", "test_date", "age"];

    #[test]
    fn accepts_ordinary_filters() {
        for ok in [
            "result IN ('opiates', 'cocaine', 'both')",
            "age >= 18 AND NOT (result = 'negative')",
            "test_date BETWEEN DATE '2009-04-01' AND DATE '2010-03-31'",
            "coalesce(result, 'x') LIKE 'op%'",
            "CASE WHEN age > 17 THEN true ELSE false END",
            "test_date + INTERVAL '84 days' <= DATE '2010-01-01'",
            "trim(result) = 'x'",
            "trim(BOTH ' ' FROM result) = 'x'",
            "btrim(result) = 'x' AND ltrim(result) = 'x'",
        ] {
            assert!(parse_checked(ok, COLS).is_ok(), "{ok}");
        }
    }

    #[test]
    fn rejects_statements_files_and_subqueries() {
        let e = parse_checked("1=1; DROP TABLE x", COLS).unwrap_err();
        assert!(e.message.contains("unexpected `;`"), "{}", e.message);
        assert_eq!(e.col0, 3);
        let e = parse_checked("read_parquet('/etc/passwd') IS NOT NULL", COLS).unwrap_err();
        assert!(
            e.message.contains("table function `read_parquet`"),
            "{}",
            e.message
        );
        let e = parse_checked("age IN (SELECT age FROM other)", COLS).unwrap_err();
        assert!(e.message.contains("subqueries"), "{}", e.message);
        let e = parse_checked("EXISTS (SELECT 1)", COLS).unwrap_err();
        assert!(e.message.contains("subqueries"), "{}", e.message);
        let e = parse_checked("resutl = 'x'", COLS).unwrap_err();
        assert_eq!(e.hint.as_deref(), Some("did you mean 'result'?"));
        let e = parse_checked("age > 1 AND substr(result, 1, 2) = 'x'", COLS).unwrap_err();
        assert!(
            e.message.contains("`substr` and `substring`"),
            "{}",
            e.message
        );
        // located at the call's first argument
        assert_eq!(e.col0, 19);
        let e = parse_checked("now() > test_date", COLS).unwrap_err();
        assert!(
            e.hint
                .as_deref()
                .is_some_and(|h| h.contains("coalesce") && h.contains("working_days"))
        );
        let e = parse_checked("trim(BOTH resutl FROM result) = 'x'", COLS).unwrap_err();
        assert_eq!(e.hint.as_deref(), Some("did you mean 'result'?"));
        let e = parse_checked("age > 1 AND t.result = 'x'", COLS).unwrap_err();
        assert!(e.message.contains("qualified"), "{}", e.message);
        assert_eq!(e.col0, 12);
    }
}
