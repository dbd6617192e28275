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
