//! Client catalogue SQL that DataFusion cannot plan as sent, rewritten to an equivalent it can.
//!
//! psql, SQLAlchemy (Superset) and DBeaver send their own catalogue queries; a few of their shapes have no
//! DataFusion counterpart. Two kinds of rewrite happen here, before the guard and before planning:
//!
//! - *Text*: exact fragments of known client queries ([`CLIENT_SQL_FIXES`]) and `'pg_class'::regclass` literals.
//! - *Syntax tree* ([`ClientSql::rewrite`]), on the statements as sent (datafusion-postgres's parser, with its own
//!   rewrites, then reads the result):
//!   - `LIKE pattern ESCAPE '/'` with a constant pattern: the pattern rewritten to backslash escapes, the only
//!     escape character DataFusion's LIKE runs with (SQLAlchemy's schema list);
//!   - a scalar subquery that reads a catalogue table that is always empty here (`pg_attrdef`: no column has a
//!     default; `pg_sequence`: no sequences …) in an inner position, without aggregates: `NULL`, which is what
//!     Postgres returns for a scalar subquery without rows (SQLAlchemy's column list);
//!   - in a catalogue query, any other correlated scalar subquery without aggregates: its one column wrapped in
//!     `first_value(…)`. DataFusion only decorrelates aggregated subqueries; the answer is the same whenever the
//!     subquery finds at most one row, which Postgres requires of a scalar subquery anyway (it fails on more, we
//!     return one of them). An analyst's query is left to DataFusion, which says the subquery must be aggregated;
//!   - a cast to Postgres's `name` type (`'_RETURN'::name`, DBeaver's rule list): a cast to text, which is what a
//!     `name` holds;
//!   - in an analyst's query (one that reads no catalogue table), a correlated scalar subquery that is a column of
//!     the select list: parenthesised once more, so that datafusion-postgres's parser does not replace it with NULL;
//!   - `generate_subscripts(array, 1)`: `unnest(generate_series(1, cardinality(array)))` (SQLAlchemy's primary key
//!     and index queries, beside `unnest(pg_index.indkey)`, which [`crate::catalog`] makes an array).
//!
//! A statement no rule applies to is passed on as the client sent it.

use skillhouse_query::datafusion::prelude::SessionContext;
use skillhouse_query::datafusion::sql::sqlparser::ast::{
    BinaryOperator, DataType, Expr, FunctionArg, FunctionArgExpr, FunctionArguments, GroupByExpr, JoinOperator,
    ObjectNamePart, Query, Select, SelectItem, SetExpr, Statement, TableFactor, TableWithJoins, Value, VisitMut,
    VisitorMut, visit_expressions, visit_relations,
};
use skillhouse_query::datafusion::sql::sqlparser::dialect::PostgreSqlDialect;
use skillhouse_query::datafusion::sql::sqlparser::parser::Parser;
use std::borrow::Cow;
use std::collections::HashSet;
use std::ops::ControlFlow;

/// Rewrites of exact client catalogue SQL that datafusion-postgres cannot plan yet, to an equivalent it can
/// (what is dropped is always empty here: our tables have no storage options).
const CLIENT_SQL_FIXES: [(&str, &str); 1] = [
    // psql 15's `\d+`: DataFusion has no ARRAY(subquery).
    (
        "pg_catalog.array_to_string(c.reloptions || array(select 'toast.' || x from pg_catalog.unnest(tc.reloptions) x), ', ')",
        "''",
    ),
];

/// `pg_catalog` tables that have no rows in any SkillHouse session: no column has a default or an identity, no
/// table inherits, is partitioned, foreign or has triggers or policies. (A test checks each is empty.)
pub(crate) const EMPTY_CATALOG_TABLES: [&str; 7] =
    ["pg_attrdef", "pg_sequence", "pg_inherits", "pg_partitioned_table", "pg_trigger", "pg_policy", "pg_foreign_table"];

/// The rewrites, knowing the session's aggregate and window functions (a subquery that aggregates is left alone).
#[derive(Debug)]
pub struct ClientSql {
    aggregates: HashSet<String>,
}

impl ClientSql {
    /// The rewrites for sessions with `ctx`'s functions.
    pub fn new(ctx: &SessionContext) -> Self {
        let state = ctx.state();
        let mut aggregates = HashSet::new();
        for function in state.aggregate_functions().values() {
            aggregates.insert(function.name().to_ascii_lowercase());
            aggregates.extend(function.aliases().iter().map(|a| a.to_ascii_lowercase()));
        }
        for function in state.window_functions().values() {
            aggregates.insert(function.name().to_ascii_lowercase());
            aggregates.extend(function.aliases().iter().map(|a| a.to_ascii_lowercase()));
        }
        Self { aggregates }
    }

    /// `statements` (parsed from the client's SQL) with the syntax-tree rewrites applied; the SQL text to plan
    /// when any applied.
    pub fn rewrite(&self, statements: &mut [Statement]) -> Option<String> {
        let mut rewriter = Rewriter { sql: self, changed: false, analyst: false };
        for statement in statements.iter_mut() {
            rewriter.analyst = !reads_the_catalogue(statement);
            let _ = statement.visit(&mut rewriter);
        }
        rewriter.changed.then(|| statements.iter().map(ToString::to_string).collect::<Vec<_>>().join(";\n"))
    }

    fn is_aggregate(&self, expr: &Expr) -> bool {
        visit_expressions(expr, |e| match e {
            Expr::Function(f)
                if f.over.is_some()
                    || f.name
                        .0
                        .last()
                        .and_then(|p| p.as_ident())
                        .is_some_and(|name| self.aggregates.contains(&name.value.to_ascii_lowercase())) =>
            {
                ControlFlow::Break(())
            }
            _ => ControlFlow::Continue(()),
        })
        .is_break()
    }
}

/// `sql` with the text rewrites applied (borrowed when there is nothing to rewrite).
pub fn fix_client_sql(sql: &str) -> Cow<'_, str> {
    let mut fixed = Cow::Borrowed(sql);
    for (from, to) in CLIENT_SQL_FIXES {
        if fixed.contains(from) {
            fixed = Cow::Owned(fixed.replace(from, to));
        }
    }
    if fixed.contains("'pg_") {
        fixed = Cow::Owned(qualify_catalog_regclass(&fixed));
    }
    fixed
}

/// `'pg_class'::regclass` → `'pg_catalog.pg_class'::regclass`: Postgres always searches `pg_catalog` first, but
/// datafusion-postgres resolves an unqualified name in the current schema only, so DBeaver's
/// `d.classoid = 'pg_class'::regclass` joins of `pg_description` found nothing.
fn qualify_catalog_regclass(sql: &str) -> String {
    let mut out = String::with_capacity(sql.len() + 16);
    let mut rest = sql;
    while let Some(start) = rest.find("'pg_") {
        let (before, candidate) = rest.split_at(start);
        out.push_str(before);
        let name_len = candidate[1..].find(|c: char| !(c.is_ascii_lowercase() || c == '_')).map_or(0, |n| n);
        let name = &candidate[1..1 + name_len];
        if candidate[1 + name_len..].starts_with("'::regclass") {
            out.push_str(&format!("'pg_catalog.{name}'"));
            rest = &candidate[2 + name_len..];
        } else {
            out.push('\'');
            rest = &candidate[1..];
        }
    }
    out.push_str(rest);
    out
}

struct Rewriter<'a> {
    sql: &'a ClientSql,
    changed: bool,
    /// The statement reads no catalogue table: an analyst's query over the snapshot.
    analyst: bool,
}

impl VisitorMut for Rewriter<'_> {
    type Break = ();

    // Bottom up: a subquery's own expressions are rewritten before the subquery is judged.
    fn post_visit_expr(&mut self, expr: &mut Expr) -> ControlFlow<Self::Break> {
        if self.rewrite(expr).is_some() {
            self.changed = true;
        }
        ControlFlow::Continue(())
    }

    // datafusion-postgres's parser replaces a correlated scalar subquery that is a whole column of the select list
    // with NULL, silently. In an analyst's query it is parenthesised once more, which that rule does not look
    // through, so DataFusion answers it (or says why it cannot). Catalogue queries keep the rule: clients send some
    // DataFusion cannot decorrelate and read NULL as "none".
    fn post_visit_select(&mut self, select: &mut Select) -> ControlFlow<Self::Break> {
        if !self.analyst {
            return ControlFlow::Continue(());
        }
        for item in &mut select.projection {
            let (SelectItem::UnnamedExpr(expr) | SelectItem::ExprWithAlias { expr, .. }) = item else { continue };
            let Expr::Subquery(query) = expr else { continue };
            let correlated = match query.body.as_ref() {
                SetExpr::Select(inner) => is_correlated(inner),
                _ => false,
            };
            if correlated {
                *expr = Expr::Nested(Box::new(expr.clone()));
                self.changed = true;
            }
        }
        ControlFlow::Continue(())
    }
}

impl Rewriter<'_> {
    /// Rewrites `expr` in place; `Some` when it did.
    fn rewrite(&self, expr: &mut Expr) -> Option<()> {
        match expr {
            Expr::Like { pattern, escape_char, .. } | Expr::ILike { pattern, escape_char, .. } => {
                let escape = match &escape_char.as_ref()?.value {
                    Value::SingleQuotedString(escape) if escape != "\\" => escape.clone(),
                    _ => return None,
                };
                let backslashed = backslash_pattern(&constant_string(pattern)?, &escape)?;
                **pattern = Expr::value(Value::SingleQuotedString(backslashed));
                *escape_char = None;
            }
            Expr::Function(function) if last_name(&function.name.0).as_deref() == Some("generate_subscripts") => {
                let FunctionArguments::List(list) = &function.args else { return None };
                let [
                    FunctionArg::Unnamed(FunctionArgExpr::Expr(array)),
                    FunctionArg::Unnamed(FunctionArgExpr::Expr(dim)),
                ] = list.args.as_slice()
                else {
                    return None;
                };
                if dim.to_string() != "1" {
                    return None;
                }
                *expr = parse_expr(&format!("unnest(generate_series(1, cardinality({array})))"))?;
            }
            Expr::Cast { data_type, .. } => {
                let DataType::Custom(name, modifiers) = data_type else { return None };
                if !(modifiers.is_empty() && last_name(&name.0).as_deref() == Some("name")) {
                    return None;
                }
                *data_type = DataType::Text;
            }
            Expr::Subquery(query) => {
                let select = plain_select(query)?;
                let column = single_column(select)?;
                if self.sql.is_aggregate(column) || has_group_by(select) {
                    return None;
                }
                if select.from.iter().any(reads_an_empty_table) {
                    *expr = Expr::value(Value::Null);
                } else if !self.analyst && is_correlated(select) {
                    let wrapped = parse_expr(&format!("first_value({column})"))?;
                    *single_column_mut(plain_select_mut(query)?)? = wrapped;
                } else {
                    return None;
                }
            }
            _ => return None,
        }
        Some(())
    }
}

/// Whether a statement reads a `pg_catalog` or `information_schema` table (qualified, or by a `pg_` name).
fn reads_the_catalogue(statement: &Statement) -> bool {
    visit_relations(statement, |relation| {
        let parts: Vec<String> =
            relation.0.iter().filter_map(|p| p.as_ident()).map(|ident| ident.value.to_ascii_lowercase()).collect();
        let catalogue = parts.iter().any(|p| p == "pg_catalog" || p == "information_schema")
            || parts.last().is_some_and(|table| table.starts_with("pg_"));
        if catalogue { ControlFlow::Break(()) } else { ControlFlow::Continue(()) }
    })
    .is_break()
}

fn parse_expr(sql: &str) -> Option<Expr> {
    Parser::new(&PostgreSqlDialect {}).try_with_sql(sql).ok()?.parse_expr().ok()
}

fn last_name(parts: &[ObjectNamePart]) -> Option<String> {
    parts.last()?.as_ident().map(|ident| ident.value.to_ascii_lowercase())
}

/// A string constant, or a `||` concatenation of them.
fn constant_string(expr: &Expr) -> Option<String> {
    match expr {
        Expr::Value(value) => match &value.value {
            Value::SingleQuotedString(text) => Some(text.clone()),
            _ => None,
        },
        Expr::BinaryOp { left, op, right } if *op == BinaryOperator::StringConcat => {
            Some(constant_string(left)? + &constant_string(right)?)
        }
        Expr::Nested(inner) => constant_string(inner),
        _ => None,
    }
}

/// A LIKE pattern with escape character `escape` (one character, or none when empty) written with backslash
/// escapes. `None` for a pattern Postgres would refuse (ending in the escape character) or a longer escape.
fn backslash_pattern(pattern: &str, escape: &str) -> Option<String> {
    let mut escape_chars = escape.chars();
    let escape = match (escape_chars.next(), escape_chars.next()) {
        (None, _) => None,
        (Some(c), None) => Some(c),
        _ => return None,
    };
    let mut out = String::with_capacity(pattern.len() + 4);
    let mut chars = pattern.chars();
    while let Some(c) = chars.next() {
        if Some(c) == escape {
            out.push('\\');
            out.push(chars.next()?);
        } else if c == '\\' {
            out.push_str("\\\\");
        } else {
            out.push(c);
        }
    }
    Some(out)
}

/// The query's SELECT when it is nothing more: no WITH, set operation, ORDER BY, LIMIT or FETCH.
fn plain_select(query: &Query) -> Option<&Select> {
    if query.with.is_some() || query.order_by.is_some() || query.limit_clause.is_some() || query.fetch.is_some() {
        return None;
    }
    match query.body.as_ref() {
        SetExpr::Select(select) if select.distinct.is_none() && select.having.is_none() => Some(select),
        _ => None,
    }
}

fn plain_select_mut(query: &mut Query) -> Option<&mut Select> {
    match query.body.as_mut() {
        SetExpr::Select(select) => Some(select),
        _ => None,
    }
}

fn single_column(select: &Select) -> Option<&Expr> {
    match select.projection.as_slice() {
        [SelectItem::UnnamedExpr(expr) | SelectItem::ExprWithAlias { expr, .. }] => Some(expr),
        _ => None,
    }
}

fn single_column_mut(select: &mut Select) -> Option<&mut Expr> {
    match select.projection.as_mut_slice() {
        [SelectItem::UnnamedExpr(expr) | SelectItem::ExprWithAlias { expr, .. }] => Some(expr),
        _ => None,
    }
}

fn has_group_by(select: &Select) -> bool {
    match &select.group_by {
        GroupByExpr::Expressions(exprs, modifiers) => !exprs.is_empty() || !modifiers.is_empty(),
        GroupByExpr::All(_) => true,
    }
}

/// Whether a FROM item has rows only if an always-empty catalogue table has: the table is its first relation or
/// inner-joined, and no RIGHT or FULL join can bring rows without it.
fn reads_an_empty_table(from: &TableWithJoins) -> bool {
    let outer = from.joins.iter().any(|join| {
        matches!(join.join_operator, JoinOperator::Right(_) | JoinOperator::RightOuter(_) | JoinOperator::FullOuter(_))
    });
    if outer {
        return false;
    }
    let inner_joined = from.joins.iter().filter(|join| {
        matches!(join.join_operator, JoinOperator::Join(_) | JoinOperator::Inner(_) | JoinOperator::CrossJoin(_))
    });
    std::iter::once(&from.relation).chain(inner_joined.map(|join| &join.relation)).any(is_empty_catalog_table)
}

fn is_empty_catalog_table(relation: &TableFactor) -> bool {
    let TableFactor::Table { name, .. } = relation else { return false };
    let parts: Vec<String> =
        name.0.iter().filter_map(|p| p.as_ident()).map(|ident| ident.value.to_ascii_lowercase()).collect();
    match parts.as_slice() {
        [table] => EMPTY_CATALOG_TABLES.contains(&table.as_str()),
        [.., schema, table] => schema == "pg_catalog" && EMPTY_CATALOG_TABLES.contains(&table.as_str()),
        [] => false,
    }
}

/// Whether the SELECT refers to a table it does not read itself: a column qualified by a name that is neither a
/// table nor an alias of its FROM.
fn is_correlated(select: &Select) -> bool {
    let mut names = HashSet::new();
    for from in &select.from {
        for relation in std::iter::once(&from.relation).chain(from.joins.iter().map(|join| &join.relation)) {
            match relation {
                TableFactor::Table { name, alias, .. } => {
                    names.extend(last_name(&name.0));
                    names.extend(alias.as_ref().map(|a| a.name.value.to_ascii_lowercase()));
                }
                TableFactor::Derived { alias: Some(alias), .. } => {
                    names.insert(alias.name.value.to_ascii_lowercase());
                }
                _ => {}
            }
        }
    }
    let outer = |expr: &Expr| {
        visit_expressions(expr, |e| match e {
            Expr::CompoundIdentifier(idents)
                if idents.len() >= 2 && !names.contains(&idents[idents.len() - 2].value.to_ascii_lowercase()) =>
            {
                ControlFlow::Break(())
            }
            _ => ControlFlow::Continue(()),
        })
        .is_break()
    };
    single_column(select).is_some_and(outer) || select.selection.as_ref().is_some_and(outer)
}

#[cfg(test)]
mod tests;
