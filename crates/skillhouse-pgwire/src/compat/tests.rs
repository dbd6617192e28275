use super::*;
use skillhouse_query::datafusion::arrow::util::pretty::pretty_format_batches;
use skillhouse_query::datafusion::sql::sqlparser::parser::Parser;

fn client_sql() -> ClientSql {
    ClientSql::new(&SessionContext::new())
}

/// The SQL planned for `sql`: `None` when no rule applies.
fn rewritten(sql: &str) -> Option<String> {
    let mut statements = Parser::parse_sql(&PostgreSqlDialect {}, sql).expect("parses");
    client_sql().rewrite(&mut statements)
}

/// Runs `sql` as planned after the rewrites on a plain DataFusion session, and prints the rows.
async fn run(ctx: &SessionContext, sql: &str) -> String {
    let planned = rewritten(sql).unwrap_or_else(|| sql.to_owned());
    let batches = ctx.sql(&planned).await.expect("plans").collect().await.expect("runs");
    pretty_format_batches(&batches).expect("prints").to_string()
}

#[test]
fn catalogue_regclass_literals_are_qualified() {
    assert_eq!(
        fix_client_sql("SELECT 1 WHERE d.classoid='pg_class'::regclass AND x = 'pg_'").as_ref(),
        "SELECT 1 WHERE d.classoid='pg_catalog.pg_class'::regclass AND x = 'pg_'"
    );
    assert_eq!(fix_client_sql("SELECT 'persons'::regclass").as_ref(), "SELECT 'persons'::regclass");
    assert_eq!(
        fix_client_sql("SELECT 'pg_namespace'::regclass, 'pg_constraint'::regclass").as_ref(),
        "SELECT 'pg_catalog.pg_namespace'::regclass, 'pg_catalog.pg_constraint'::regclass"
    );
    assert!(matches!(fix_client_sql("SELECT 1"), Cow::Borrowed(_)));
}

#[test]
fn queries_no_rule_applies_to_pass_as_sent() {
    for sql in [
        "SELECT count(*) FROM persons WHERE year = 2025",
        "SELECT x FROM t WHERE x LIKE 'a\\_%'",
        "SELECT x FROM t WHERE x LIKE 'a!_%' ESCAPE '\\'",
        // Not correlated: DataFusion plans it as it is.
        "SELECT (SELECT max(year) FROM persons) AS latest",
        "SELECT a, (SELECT b FROM u) FROM t",
        // Aggregated already, or ordered and limited: left alone.
        "SELECT (SELECT count(*) FROM pg_catalog.pg_attrdef d WHERE d.adrelid = a.attrelid) FROM pg_catalog.pg_attribute a",
        "SELECT (SELECT c.relname FROM pg_catalog.pg_class c WHERE c.oid = a.attrelid ORDER BY 1 LIMIT 1) \
         FROM pg_catalog.pg_attribute a",
        // An analyst's correlated subquery outside the select list: DataFusion's to plan or refuse.
        "SELECT a FROM t WHERE t.c > (SELECT max(u.c) FROM u WHERE u.a = t.a)",
        "SELECT generate_subscripts(a, 2) FROM t",
        "SELECT CAST(x AS text), 'a'::varchar FROM t",
    ] {
        assert_eq!(rewritten(sql), None, "{sql}");
    }
}

#[test]
fn like_escape_characters_become_backslashes() {
    // SQLAlchemy's schema list: `nspname NOT LIKE 'pg/_' || '%' ESCAPE '/'`.
    let sql = "SELECT nspname FROM pg_catalog.pg_namespace WHERE nspname NOT LIKE 'pg/_' || '%' ESCAPE '/'";
    assert_eq!(
        rewritten(sql).as_deref(),
        Some("SELECT nspname FROM pg_catalog.pg_namespace WHERE nspname NOT LIKE 'pg\\_%'")
    );
    assert_eq!(backslash_pattern("100#%", "#").as_deref(), Some("100\\%"));
    // A backslash is an ordinary character under another escape character, so it is escaped itself.
    assert_eq!(backslash_pattern("a\\b#_", "#").as_deref(), Some("a\\\\b\\_"));
    // ESCAPE '' turns escaping off: every character is literal except the wildcards.
    assert_eq!(backslash_pattern("a\\%", "").as_deref(), Some("a\\\\%"));
    // Postgres refuses a pattern ending in the escape character; so do we, by leaving it to the engine.
    assert_eq!(backslash_pattern("abc#", "#"), None);
    assert_eq!(backslash_pattern("abc", "##"), None);
    let ilike = rewritten("SELECT 1 WHERE 'PG_X' ILIKE 'pg#_%' ESCAPE '#'").expect("rewritten");
    assert!(ilike.ends_with("ILIKE 'pg\\_%'"), "{ilike}");
}

#[tokio::test]
async fn like_rewritten_answers_as_postgres() {
    let ctx = SessionContext::new();
    // By hand: `pg/_%` with escape `/` matches names starting `pg_`: pg_toast and pg_catalog, not pgx or public.
    let rows = run(
        &ctx,
        "SELECT x FROM (VALUES ('pg_toast'), ('pgx'), ('public'), ('pg_catalog')) t(x) \
         WHERE x NOT LIKE 'pg/_' || '%' ESCAPE '/' ORDER BY x",
    )
    .await;
    assert!(rows.contains("pgx") && rows.contains("public"), "{rows}");
    assert!(!rows.contains("pg_toast") && !rows.contains("pg_catalog"), "{rows}");
    // `a\b#%` with escape `#`: exactly the five characters a, \, b, % — not `a\bc`.
    let rows = run(&ctx, "SELECT x FROM (VALUES ('a\\b%'), ('a\\bc')) t(x) WHERE x LIKE 'a\\b#%' ESCAPE '#'").await;
    assert!(rows.contains("a\\b%") && !rows.contains("a\\bc"), "{rows}");
}

#[test]
fn scalar_subqueries_over_always_empty_catalogue_tables_are_null() {
    // SQLAlchemy's column default: `pg_attrdef` has no rows here.
    let sql = "SELECT CASE WHEN a.atthasdef THEN (SELECT pg_catalog.pg_get_expr(d.adbin, d.adrelid) \
               FROM pg_catalog.pg_attrdef d WHERE a.atthasdef AND d.adrelid = a.attrelid) ELSE NULL END \
               FROM pg_catalog.pg_attribute a";
    let planned = rewritten(sql).expect("rewritten");
    assert!(planned.contains("THEN NULL ELSE NULL"), "{planned}");
    // Inner-joined, the empty table empties the subquery too.
    let joined = rewritten(
        "SELECT (SELECT s.seqstart FROM pg_catalog.pg_class c JOIN pg_catalog.pg_sequence s ON s.seqrelid = c.oid \
         WHERE c.oid = a.attrelid) FROM pg_catalog.pg_attribute a",
    )
    .expect("rewritten");
    assert_eq!(joined, "SELECT NULL FROM pg_catalog.pg_attribute a");
    // Left-joined it empties nothing: the subquery is kept (aggregated, as it is correlated).
    let left = rewritten(
        "SELECT (SELECT c.relname FROM pg_catalog.pg_class c LEFT JOIN pg_catalog.pg_sequence s ON s.seqrelid = c.oid \
         WHERE c.oid = a.attrelid) FROM pg_catalog.pg_attribute a",
    )
    .expect("rewritten");
    assert!(left.contains("SELECT first_value(c.relname) FROM pg_catalog.pg_class c LEFT JOIN"), "{left}");
    // A user table of the same name outside pg_catalog is not assumed empty.
    assert_eq!(rewritten("SELECT (SELECT 1 FROM other.pg_attrdef d) FROM t"), None);
}

#[tokio::test]
async fn correlated_scalar_subqueries_of_catalogue_queries_answer_as_postgres() {
    let ctx = SessionContext::new();
    // Tables named as catalogue tables are, so the query counts as a catalogue query.
    for create in [
        "CREATE TABLE pg_t (a INT, c INT) AS VALUES (1, 10), (2, 20), (3, 30)",
        "CREATE TABLE pg_u (a INT, b VARCHAR) AS VALUES (1, 'one'), (3, 'three')",
    ] {
        ctx.sql(create).await.expect("plans").collect().await.expect("creates");
    }
    // SQLAlchemy's collation lookup has this shape: a correlated subquery inside CASE, one row or none per outer row.
    let sql = "SELECT pg_t.a, CASE WHEN pg_t.c > 15 THEN (SELECT pg_u.b FROM pg_u WHERE pg_u.a = pg_t.a) \
               ELSE 'small' END AS b FROM pg_t ORDER BY pg_t.a";
    assert!(ctx.sql(sql).await.is_err() || ctx.sql(sql).await.expect("plans").collect().await.is_err());
    // By hand: a=1 has c=10 → 'small'; a=2 has no u row → null; a=3 → 'three'.
    let rows = run(&ctx, sql).await;
    let lines: Vec<&str> = rows.lines().filter(|l| l.starts_with("| ")).skip(1).collect();
    assert_eq!(lines, ["| 1 | small |", "| 2 |       |", "| 3 | three |"], "{rows}");
}

#[test]
fn an_analysts_correlated_subquery_in_the_select_list_is_kept_from_being_nulled() {
    // datafusion-postgres's parser would replace `(SELECT count(*) …)` with NULL; one more pair of parentheses
    // keeps it, and the parser then reads the query as the client meant it.
    let sql = "SELECT r.region_code, (SELECT count(*) FROM persons p WHERE p.region_code = r.region_code) AS n \
               FROM regions r";
    let planned = rewritten(sql).expect("rewritten");
    assert_eq!(
        planned,
        "SELECT r.region_code, ((SELECT count(*) FROM persons p WHERE p.region_code = r.region_code)) AS n \
         FROM regions r"
    );
    let parsed = datafusion_postgres::datafusion_pg_catalog::sql::PostgresCompatibilityParser::new()
        .parse(&planned)
        .expect("parses");
    assert!(parsed[0].to_string().contains("SELECT count(*) FROM persons"), "{}", parsed[0]);
    let unprotected =
        datafusion_postgres::datafusion_pg_catalog::sql::PostgresCompatibilityParser::new().parse(sql).expect("parses");
    assert!(!unprotected[0].to_string().contains("SELECT count(*) FROM persons"), "the rule this works around");
    // Not aggregated: left for DataFusion to refuse, not wrapped in first_value as a catalogue query is.
    let single = rewritten("SELECT (SELECT p.year FROM persons p WHERE p.region_code = r.region_code) FROM regions r")
        .expect("parenthesised");
    assert!(!single.contains("first_value"), "{single}");
    // Uncorrelated: nothing to protect.
    assert_eq!(rewritten("SELECT (SELECT count(*) FROM persons) AS n FROM regions r"), None);
}

#[test]
fn generate_subscripts_becomes_an_unnested_series() {
    let planned = rewritten(
        "SELECT unnest(i.indkey) AS attnum, generate_subscripts(i.indkey, 1) AS ord FROM pg_catalog.pg_index i",
    )
    .expect("rewritten");
    assert_eq!(
        planned,
        "SELECT unnest(i.indkey) AS attnum, unnest(generate_series(1, cardinality(i.indkey))) AS ord \
         FROM pg_catalog.pg_index i"
    );
}

#[tokio::test]
async fn subscripts_pair_with_the_unnested_elements() {
    let ctx = SessionContext::new();
    // By hand: [7, 5, 9] unnests to 7, 5, 9 with subscripts 1, 2, 3, in that order.
    let rows =
        run(&ctx, "SELECT unnest(k) AS v, generate_subscripts(k, 1) AS i FROM (SELECT make_array(7, 5, 9) AS k)").await;
    let lines: Vec<&str> = rows.lines().filter(|l| l.starts_with("| ")).skip(1).collect();
    assert_eq!(lines, ["| 7 | 1 |", "| 5 | 2 |", "| 9 | 3 |"], "{rows}");
}

#[test]
fn casts_to_name_become_casts_to_text() {
    let planned = rewritten("SELECT 1 FROM pg_rewrite r WHERE r.rulename <> '_RETURN'::name").expect("rewritten");
    assert_eq!(planned, "SELECT 1 FROM pg_rewrite r WHERE r.rulename <> '_RETURN'::TEXT");
}
