//! How big and how deep a statement may be before anything recursive touches it.
//!
//! sqlparser reads a chain such as `a AND b AND c …`, `1 + 1 + …` or `SELECT 1 UNION ALL SELECT 2 …` in a loop, so
//! any length parses, into a syntax tree as deep as the chain is long. Everything after the parser recurses over
//! that tree — the guard's own walk, the rewrites of the wire front end, DataFusion's planner and optimizer, and
//! even dropping the tree — and a few thousand levels overflowed a 2 MiB thread stack, which aborts the whole
//! process (the Postgres port took the HTTP API down with it). So:
//!
//! - the SQL text is refused above [`MAX_SQL_BYTES`] before it is parsed ([`check_size`]);
//! - parsing, the depth check and dropping a refused tree run on a thread of their own whose stack is sized for
//!   the deepest tree a text of that length can make ([`on_parse_stack`]);
//! - a statement nested deeper than [`MAX_NESTING_DEPTH`] is refused there ([`check_depth`]), so only trees
//!   shallow enough for the planner's ordinary threads ever leave it.

use super::{Refusal, RefusalCode};
use crate::bounds::format_bytes;
use datafusion::sql::parser::{CopyToSource, Statement as DfStatement};
use datafusion::sql::sqlparser::ast::{Expr, Query, SetExpr, Statement, Visit, Visitor};
use std::ops::ControlFlow;

/// The longest SQL text accepted at once (a `-c` string, one statement of a file, one message over the wire).
/// Long `IN (…)` lists of certificate numbers fit many times over; a statement beyond it is machine-made.
pub const MAX_SQL_BYTES: usize = 1 << 20;

/// The deepest nesting accepted: every operand of an operator chain (`a AND b AND c` is three levels), every
/// function argument, subquery and set operation one level below its parent. Hand-written and BI-generated
/// queries stay far below; DataFusion plans this depth on a 2 MiB thread stack.
pub const MAX_NESTING_DEPTH: usize = 1000;

/// Stack for the threads that plan analyst SQL (the Postgres wire server's runtime; the SQL shell plans on its
/// 8 MiB main thread): statements of [`MAX_NESTING_DEPTH`] levels need more than the 2 MiB a runtime thread has by
/// default in a debug build, where frames are larger. Address space only: what a thread does not use is never
/// backed by memory.
pub const QUERY_THREAD_STACK: usize = 8 << 20;

/// Stack of the parsing thread before the text's own share ([`PARSE_STACK_PER_BYTE`]).
const PARSE_STACK_BASE: usize = 16 << 20;

/// Stack per byte of SQL text: dropping a chain of `1+1+…` takes two frames per level, and each level costs two
/// bytes of text. Measured in the debug build (the larger frames), with room to spare.
const PARSE_STACK_PER_BYTE: usize = 256;

/// Refuses SQL text longer than [`MAX_SQL_BYTES`].
pub fn check_size(sql: &str) -> Result<(), Refusal> {
    if sql.len() <= MAX_SQL_BYTES {
        return Ok(());
    }
    Err(Refusal::new(
        RefusalCode::StatementTooLong,
        format!(
            "the SQL text is {}, more than the {} SkillHouse accepts at once: send fewer statements at a time, or \
             put long value lists in a smaller query",
            format_bytes(sql.len()),
            format_bytes(MAX_SQL_BYTES)
        ),
    ))
}

/// Runs `work` (parsing `sql_len` bytes of SQL and checking the trees) on a thread whose stack fits the deepest
/// tree such a text can make, so a hostile statement fails there with an error instead of overflowing the
/// caller's stack. Call [`check_size`] first: the stack grows with the text.
pub fn on_parse_stack<T: Send>(sql_len: usize, work: impl FnOnce() -> T + Send) -> crate::Result<T> {
    let stack = PARSE_STACK_BASE + sql_len.min(MAX_SQL_BYTES) * PARSE_STACK_PER_BYTE;
    std::thread::scope(|scope| {
        let thread = std::thread::Builder::new()
            .name("sql-parse".into())
            .stack_size(stack)
            .spawn_scoped(scope, work)
            .map_err(|e| crate::QueryError::Internal(format!("starting the SQL parsing thread: {e}")))?;
        thread.join().map_err(|_| crate::QueryError::Internal("the SQL parser panicked".into()))
    })
}

/// Refuses a statement nested deeper than [`MAX_NESTING_DEPTH`]. The walk stops at the limit, so it needs no more
/// stack than an accepted statement.
pub fn check_depth(statement: &Statement) -> Result<(), Refusal> {
    let mut depth = Depth { current: 0 };
    match statement.visit(&mut depth) {
        ControlFlow::Continue(()) => Ok(()),
        ControlFlow::Break(()) => Err(too_deep()),
    }
}

/// [`check_depth`] for a statement of DataFusion's parser.
pub fn check_df_depth(statement: &DfStatement) -> Result<(), Refusal> {
    match statement {
        DfStatement::Statement(inner) => check_depth(inner),
        DfStatement::Explain(explain) => check_df_depth(&explain.statement),
        DfStatement::CopyTo(copy) => match &copy.source {
            CopyToSource::Query(query) => {
                let mut depth = Depth { current: 0 };
                match query.visit(&mut depth) {
                    ControlFlow::Continue(()) => Ok(()),
                    ControlFlow::Break(()) => Err(too_deep()),
                }
            }
            CopyToSource::Relation(_) => Ok(()),
        },
        DfStatement::CreateExternalTable(_) | DfStatement::Reset(_) => Ok(()),
    }
}

fn too_deep() -> Refusal {
    Refusal::new(
        RefusalCode::TooComplex,
        format!(
            "the statement is nested more than {MAX_NESTING_DEPTH} levels deep (operators chained on operators, \
             subqueries, UNION branches): a long chain of `x = 1 OR x = 2 OR …` is better written `x IN (1, 2, …)`, \
             many UNION ALL branches as one VALUES list"
        ),
    )
}

/// Counts the levels of expressions, queries and set operations on the way down; breaks past the limit.
struct Depth {
    current: usize,
}

impl Depth {
    fn enter(&mut self, levels: usize) -> ControlFlow<()> {
        self.current += levels;
        if self.current > MAX_NESTING_DEPTH { ControlFlow::Break(()) } else { ControlFlow::Continue(()) }
    }
}

impl Visitor for Depth {
    type Break = ();

    fn pre_visit_expr(&mut self, _expr: &Expr) -> ControlFlow<()> {
        self.enter(1)
    }

    fn post_visit_expr(&mut self, _expr: &Expr) -> ControlFlow<()> {
        self.current -= 1;
        ControlFlow::Continue(())
    }

    fn pre_visit_query(&mut self, query: &Query) -> ControlFlow<()> {
        // The visitor has no hook for set operations, and would recurse down a UNION chain of any length: measure
        // the chain here, without recursion, before it does.
        self.enter(1 + set_operation_depth(&query.body))
    }

    fn post_visit_query(&mut self, query: &Query) -> ControlFlow<()> {
        self.current -= 1 + set_operation_depth(&query.body);
        ControlFlow::Continue(())
    }
}

/// How deep the set operations (`UNION`, `EXCEPT`, `INTERSECT`) of a query body nest, counted with a list instead
/// of recursion; subqueries in parentheses count when the visitor reaches their own query.
fn set_operation_depth(body: &SetExpr) -> usize {
    let mut deepest = 0;
    let mut pending = vec![(body, 0usize)];
    while let Some((node, depth)) = pending.pop() {
        deepest = deepest.max(depth);
        if let SetExpr::SetOperation { left, right, .. } = node {
            pending.push((left, depth + 1));
            pending.push((right, depth + 1));
        }
    }
    deepest
}
