//! One test per refusal code, and the statements clients send that must pass.

use super::*;
use datafusion::sql::sqlparser::dialect::PostgreSqlDialect;
use datafusion::sql::sqlparser::parser::Parser;

/// The refusal of `sql` as the REPL parses it (DataFusion's parser).
fn refusal(sql: &str) -> Refusal {
    match parse_and_check(sql) {
        Ok(statements) => panic!("`{sql}` was allowed: {statements:?}"),
        Err(crate::QueryError::Refused(refusal)) => refusal,
        Err(other) => panic!("`{sql}` failed otherwise: {other}"),
    }
}

/// The refusal of `sql` as the wire front end parses it (sqlparser, Postgres dialect).
fn wire_refusal(sql: &str) -> Refusal {
    let statements = Parser::parse_sql(&PostgreSqlDialect {}, sql).expect("parses");
    check_all(&statements).expect_err("refused")
}

fn kinds(sql: &str) -> Vec<StatementKind> {
    parse_and_check(sql).unwrap_or_else(|e| panic!("`{sql}` refused: {e}")).into_iter().map(|(_, k)| k).collect()
}

fn wire_kinds(sql: &str) -> Vec<StatementKind> {
    let statements = Parser::parse_sql(&PostgreSqlDialect {}, sql).expect("parses");
    check_all(&statements).unwrap_or_else(|e| panic!("`{sql}` refused: {e}"))
}

#[test]
fn ddl_is_refused() {
    for sql in [
        "CREATE TABLE t AS SELECT 1",
        "CREATE VIEW v AS SELECT * FROM persons",
        "CREATE SCHEMA s",
        "DROP TABLE persons",
        "DROP VIEW IF EXISTS v",
        "ALTER TABLE persons RENAME TO people",
        "TRUNCATE persons",
    ] {
        let r = refusal(sql);
        assert_eq!(r.code, RefusalCode::Ddl, "{sql}: {r}");
        assert!(r.to_string().contains("read-only") && r.to_string().contains("[read_only.ddl]"), "{r}");
        assert_eq!(wire_refusal(sql).code, RefusalCode::Ddl, "{sql} over the wire");
    }
}

#[test]
fn dml_is_refused_even_when_hidden() {
    for sql in [
        "INSERT INTO regions VALUES ('1', '2')",
        "UPDATE persons SET region_code = '410100'",
        "DELETE FROM certificates",
        "EXPLAIN INSERT INTO regions VALUES ('1', '2')",
        "EXPLAIN ANALYZE DELETE FROM certificates",
    ] {
        assert_eq!(refusal(sql).code, RefusalCode::Dml, "{sql}");
    }
    // A data-modifying CTE (Postgres syntax) is found inside the query.
    let r = wire_refusal("WITH gone AS (DELETE FROM persons RETURNING *) SELECT count(*) FROM gone");
    assert_eq!(r.code, RefusalCode::Dml, "{r}");
}

#[test]
fn copy_is_refused() {
    for sql in [
        "COPY persons TO '/tmp/persons.parquet'",
        "COPY (SELECT * FROM persons) TO '/tmp/p.csv' STORED AS CSV",
        "EXPLAIN COPY persons TO '/tmp/persons.parquet'",
    ] {
        assert_eq!(refusal(sql).code, RefusalCode::Copy, "{sql}");
    }
    assert_eq!(wire_refusal("COPY persons TO STDOUT").code, RefusalCode::Copy);
    assert_eq!(wire_refusal("COPY regions FROM '/tmp/regions.csv'").code, RefusalCode::Copy);
}

#[test]
fn create_external_table_is_refused() {
    let r = refusal("CREATE EXTERNAL TABLE p STORED AS PARQUET LOCATION '/etc/'");
    assert_eq!(r.code, RefusalCode::ExternalTable, "{r}");
    assert!(r.message.contains("CREATE EXTERNAL TABLE p"), "{r}");
}

#[test]
fn set_of_engine_options_is_refused() {
    for sql in [
        "SET datafusion.execution.target_partitions = 64",
        "SET datafusion.runtime.memory_limit = '100G'",
        "RESET datafusion.execution.batch_size",
    ] {
        assert_eq!(refusal(sql).code, RefusalCode::SetOption, "{sql}");
    }
    for sql in ["SET datafusion.execution.batch_size = 1", "SET work_mem = '1GB'", "SET ROLE postgres"] {
        assert_eq!(wire_refusal(sql).code, RefusalCode::SetOption, "{sql} over the wire");
    }
    // What psql, JDBC and SQLAlchemy send by themselves passes, as a client setting.
    for sql in [
        "SET extra_float_digits = 3",
        "SET application_name = 'DBeaver 24.1 - Main'",
        "SET DateStyle = 'ISO'",
        "SET statement_timeout = '5s'",
        "SET TIME ZONE 'Asia/Shanghai'",
        "SET SESSION CHARACTERISTICS AS TRANSACTION ISOLATION LEVEL READ COMMITTED",
    ] {
        let kinds = wire_kinds(sql);
        assert_eq!(kinds, vec![StatementKind::ClientSetting], "{sql}");
    }
}

#[test]
fn file_paths_and_urls_as_tables_are_refused() {
    for sql in [
        "SELECT * FROM '/etc/passwd'",
        "SELECT * FROM 's3://bucket/certificates.parquet'",
        "SELECT * FROM \"/var/lib/data.csv\"",
        "SELECT * FROM 'persons.parquet'",
        "SELECT count(*) FROM persons p JOIN 'https://example.com/x.csv' x ON true",
        "SELECT * FROM persons WHERE person_key IN (SELECT column1 FROM '/tmp/keys.csv')",
    ] {
        let r = refusal(sql);
        assert_eq!(r.code, RefusalCode::FileTable, "{sql}: {r}");
    }
    assert_eq!(wire_refusal("SELECT * FROM '/etc/passwd'").code, RefusalCode::FileTable);
}

#[test]
fn table_functions_other_than_generators_are_refused() {
    for sql in [
        "SELECT * FROM read_parquet('/etc/x.parquet')",
        "SELECT * FROM read_csv('data.csv')",
        "SELECT * FROM parquet_metadata('/etc/x.parquet')",
    ] {
        assert_eq!(refusal(sql).code, RefusalCode::TableFunction, "{sql}");
    }
    assert_eq!(kinds("SELECT * FROM generate_series(1, 3)"), vec![StatementKind::Query]);
    assert_eq!(kinds("SELECT * FROM range(3)"), vec![StatementKind::Query]);
    assert_eq!(wire_kinds("SELECT x FROM pg_catalog.unnest(ARRAY[1, 2]) x"), vec![StatementKind::Query]);
    assert_eq!(wire_kinds("SELECT * FROM pg_catalog.pg_get_keywords()"), vec![StatementKind::Query]);
}

#[test]
fn sql_level_prepared_statements_and_cursors_are_refused() {
    assert_eq!(wire_refusal("PREPARE p AS SELECT 1").code, RefusalCode::PreparedStatement);
    assert_eq!(wire_refusal("EXECUTE p").code, RefusalCode::PreparedStatement);
    assert_eq!(wire_refusal("DECLARE c CURSOR FOR SELECT * FROM persons").code, RefusalCode::Cursor);
    assert_eq!(wire_refusal("FETCH 10 FROM c").code, RefusalCode::Cursor);
}

#[test]
fn other_statements_are_refused() {
    for sql in ["GRANT SELECT ON persons TO public", "VACUUM persons", "ANALYZE TABLE persons"] {
        assert_eq!(wire_refusal(sql).code, RefusalCode::NotAQuery, "{sql}");
    }
}

#[test]
fn every_statement_of_a_string_is_checked_before_any_runs() {
    let r = refusal("SELECT 1; DROP TABLE persons");
    assert_eq!(r.code, RefusalCode::Ddl);
    assert!(r.message.starts_with("statement 2 of 2:"), "{r}");
    let r = refusal("SELECT 1; SELECT * FROM '/etc/passwd'; SELECT 2");
    assert_eq!(r.code, RefusalCode::FileTable);
    assert!(r.message.starts_with("statement 2 of 3:"), "{r}");
    let r = wire_refusal("SET application_name = 'x'; INSERT INTO regions VALUES ('1')");
    assert_eq!(r.code, RefusalCode::Dml);
}

#[test]
fn queries_and_descriptions_pass() {
    assert_eq!(
        kinds(
            "SELECT region_code, count(*) FROM persons GROUP BY 1; \
             WITH t AS (SELECT 1 AS a) SELECT * FROM t; \
             VALUES (1), (2); \
             EXPLAIN SELECT * FROM persons; \
             SHOW TABLES; \
             SHOW COLUMNS FROM persons; \
             SELECT * FROM information_schema.tables"
        ),
        vec![
            StatementKind::Query,
            StatementKind::Query,
            StatementKind::Query,
            StatementKind::Describe,
            StatementKind::Describe,
            StatementKind::Describe,
            StatementKind::Query,
        ]
    );
    assert_eq!(
        wire_kinds("BEGIN; SELECT 1; COMMIT"),
        vec![StatementKind::Transaction, StatementKind::Query, StatementKind::Transaction]
    );
    // A psql catalogue query.
    assert_eq!(
        wire_kinds(
            "SELECT n.nspname, c.relname FROM pg_catalog.pg_class c LEFT JOIN pg_catalog.pg_namespace n \
             ON n.oid = c.relnamespace WHERE c.relkind IN ('r','p','v','m','S','f','') \
             AND pg_catalog.pg_table_is_visible(c.oid) ORDER BY 1, 2"
        ),
        vec![StatementKind::Query]
    );
}

/// `SELECT … WHERE year <> 0 AND year <> 1 …` with `terms` terms: 150 KB at 5,000 terms (issue 27).
fn and_chain(terms: usize) -> String {
    let chain: Vec<String> = (0..terms).map(|i| format!("year <> {i}")).collect();
    format!("SELECT count(*) FROM persons WHERE {}", chain.join(" AND "))
}

fn plus_chain(terms: usize) -> String {
    format!("SELECT {}", vec!["1"; terms].join(" + "))
}

fn union_chain(branches: usize) -> String {
    (0..branches).map(|i| format!("SELECT {i} AS n")).collect::<Vec<_>>().join(" UNION ALL ")
}

/// The refusal of `sql` as the wire front end parses it, parsed and dropped on the parsing stack as it does.
fn wire_refusal_on_parse_stack(sql: &str) -> Refusal {
    check_size(sql)
        .and_then(|()| {
            on_parse_stack(sql.len(), || {
                let statements = Parser::parse_sql(&PostgreSqlDialect {}, sql).expect("parses");
                check_all(&statements).map(|_| ())
            })
            .expect("the parsing thread runs")
        })
        .expect_err("refused")
}

#[test]
fn deep_chains_are_refused_instead_of_overflowing_the_stack() {
    // Each of these overflowed a thread's stack, aborting `skillhouse sql` and `skillhouse serve` (issue 27).
    for sql in [and_chain(5_000), plus_chain(100_000), union_chain(5_000)] {
        let refused = refusal(&sql);
        assert_eq!(refused.code, RefusalCode::TooComplex, "{}", refused.message);
        assert_eq!(refused.code.sqlstate(), "54001");
        assert!(refused.to_string().ends_with("[bounds.nesting_depth]"), "{refused}");
        assert!(refused.message.contains("1000 levels"), "{}", refused.message);
        assert_eq!(wire_refusal_on_parse_stack(&sql).code, RefusalCode::TooComplex);
    }
    // The deepest the guard measures is what the planner gets: a subquery's chain counts below its parent.
    let mut nested = and_chain(990);
    assert_eq!(kinds(&nested), vec![StatementKind::Query]);
    for level in 0..12 {
        nested = format!("SELECT * FROM ({nested}) AS t{level}");
    }
    assert_eq!(refusal(&nested).code, RefusalCode::TooComplex);
    // A statement after an allowed one is named.
    let second = format!("SELECT 1; {}", plus_chain(2_000));
    assert!(refusal(&second).message.starts_with("statement 2 of 2: "), "{}", refusal(&second).message);
}

#[test]
fn long_but_shallow_statements_pass() {
    assert_eq!(kinds(&and_chain(900)), vec![StatementKind::Query]);
    assert_eq!(kinds(&union_chain(900)), vec![StatementKind::Query]);
    // 20,000 certificate numbers in an IN list: 500 KB, but flat.
    let numbers: Vec<String> = (0..20_000).map(|i| format!("'S000041000001251{i:06}'")).collect();
    let in_list = format!("SELECT count(*) FROM certificates WHERE cert_no IN ({})", numbers.join(", "));
    assert!(in_list.len() > 500_000);
    assert_eq!(kinds(&in_list), vec![StatementKind::Query]);
}

#[test]
fn text_over_the_size_limit_is_refused_unparsed() {
    let sql = format!("SELECT '{}'", "x".repeat(MAX_SQL_BYTES));
    let refused = refusal(&sql);
    assert_eq!(refused.code, RefusalCode::StatementTooLong);
    assert_eq!(refused.code.sqlstate(), "54000");
    assert!(refused.to_string().ends_with("[bounds.statement_size]"), "{refused}");
    assert!(refused.message.contains("1 MiB"), "{}", refused.message);
    // The refusal does not quote the text back.
    assert!(!refused.message.contains("xxxx"), "{}", refused.message);
}

#[test]
fn the_longest_text_accepted_parses_and_drops_on_the_parsing_stack() {
    // The worst case of the size limit: a `1+1+…` chain as deep as the text allows, refused and dropped.
    let sql = format!("SELECT 1{}", "+1".repeat((MAX_SQL_BYTES - 10) / 2));
    assert!(sql.len() <= MAX_SQL_BYTES);
    assert_eq!(refusal(&sql).code, RefusalCode::TooComplex);
    assert_eq!(wire_refusal_on_parse_stack(&sql).code, RefusalCode::TooComplex);
}
