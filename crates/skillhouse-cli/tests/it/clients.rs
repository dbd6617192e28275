//! The tools analysts browse with, against `skillhouse serve --pg-addr`: SQLAlchemy's PostgreSQL inspector (what
//! Superset's table browser calls; psycopg2 and SQLAlchemy from PyPI, which `scripts/test` installs) and the
//! catalogue queries of DBeaver's navigator (`dbeaver.sql`, sent over libpq's extended protocol with parameters
//! bound as DBeaver's JDBC driver binds them), and the row limit DBeaver's data tab puts on the Execute message
//! (`pg_max_rows.py`, a raw protocol client). Each answer is compared with what psql reads from `information_schema`
//! or the tables themselves.

use super::pgwire::{PASSWORD, Server, USER, exec_params, stdout};
use super::stderr;
use std::collections::BTreeSet;
use std::path::Path;
use std::process::Command;

/// psql's unaligned rows split into lines.
fn lines(text: &str) -> Vec<String> {
    text.lines().map(str::to_owned).collect()
}

#[test]
fn sqlalchemy_inspects_every_table_as_superset_does() {
    let server = Server::start(&[]);
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/it/sqlalchemy_inspect.py");
    let url = format!(
        "postgresql+psycopg2://{USER}:{}@127.0.0.1:{}/skillhouse",
        PASSWORD.replace(' ', "%20"),
        server.pg_port
    );
    let output = Command::new("python3").arg(script).arg(url).output().expect("python3 runs");
    assert!(output.status.success(), "SQLAlchemy's inspector failed:\n{}", stderr(&output));
    let report: serde_json::Value = serde_json::from_str(&stdout(&output)).expect("one JSON document");

    assert_eq!(report["schemas"], serde_json::json!(["public"]));
    let names = |key: &str| -> BTreeSet<String> {
        report[key].as_array().expect("a list").iter().map(|v| v.as_str().expect("a name").to_owned()).collect()
    };
    let listed = |kind: &str| -> BTreeSet<String> {
        lines(&server.rows(&format!(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' AND table_type = '{kind}'"
        )))
        .into_iter()
        .collect()
    };
    assert_eq!(names("tables"), listed("BASE TABLE"));
    assert_eq!(names("views"), listed("VIEW"));
    assert!(names("tables").contains("persons") && names("tables").contains("indicator_values"));

    for (table, detail) in report["detail"].as_object().expect("tables") {
        // The columns, in order, as information_schema lists them; every one carries its Chinese comment.
        let columns: Vec<String> = detail["columns"]
            .as_array()
            .expect("columns")
            .iter()
            .map(|c| c["name"].as_str().expect("name").to_owned())
            .collect();
        let expected = lines(&server.rows(&format!(
            "SELECT column_name FROM information_schema.columns WHERE table_schema = 'public' \
             AND table_name = '{table}' ORDER BY ordinal_position"
        )));
        assert_eq!(columns, expected, "{table}");
        for column in detail["columns"].as_array().expect("columns") {
            assert!(column["comment"].as_str().is_some_and(|c| !c.is_empty()), "{table}: {column}");
        }
        assert!(detail["comment"].as_str().is_some_and(|c| !c.is_empty()), "{table} has a comment");
        // Parquet tables have no keys, indexes or constraints.
        for key in ["primary_key", "foreign_keys", "indexes", "unique", "checks"] {
            assert_eq!(detail[key], serde_json::json!([]), "{table} {key}");
        }
    }

    let persons = &report["detail"]["persons"];
    let column = |name: &str| {
        persons["columns"].as_array().expect("columns").iter().find(|c| c["name"] == name).cloned().expect(name)
    };
    assert_eq!(column("person_key")["type"], "TEXT");
    assert_eq!(column("year")["type"], "INTEGER");
    assert_eq!(column("skilled")["type"], "BOOLEAN");
    assert_eq!(column("first_skill_date")["type"], "DATE");
    assert!(column("high_skilled")["comment"].as_str().expect("comment").contains("高技能人才"));
    assert!(persons["comment"].as_str().expect("comment").contains("人员年末存量"));
    assert!(
        report["view_definition"].as_str().is_some_and(|d| d.contains("FROM certificates")),
        "{}",
        report["view_definition"]
    );

    let counted = server.rows("SELECT count(*) FROM persons WHERE skilled AND year = 2024");
    assert_eq!(report["skilled_2024"].to_string(), counted.trim());
}

/// One query of `dbeaver.sql`.
struct DbeaverQuery {
    label: String,
    sql: String,
    params: Vec<String>,
}

fn dbeaver_queries() -> Vec<DbeaverQuery> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/it/dbeaver.sql");
    let text = std::fs::read_to_string(path).expect("dbeaver.sql");
    text.split("-- query: ")
        .skip(1)
        .map(|block| {
            let (header, sql) = block.split_once('\n').expect("a header line");
            let fields: Vec<&str> = header.split(" | ").collect();
            let params = fields.last().and_then(|p| p.strip_prefix("params:")).expect("params field");
            DbeaverQuery {
                label: fields[0].to_owned(),
                sql: sql.trim().to_owned(),
                params: params.split_whitespace().map(str::to_owned).collect(),
            }
        })
        .collect()
}

#[test]
fn dbeaver_browses_the_schema_and_a_table() {
    let queries = dbeaver_queries();
    assert!(queries.len() >= 30, "{} queries", queries.len());
    let server = Server::start(&[]);
    let public = server.rows("SELECT oid FROM pg_catalog.pg_namespace WHERE nspname = 'public'").trim().to_owned();
    let persons = server.rows("SELECT oid FROM pg_catalog.pg_class WHERE relname = 'persons'").trim().to_owned();
    let fill = |text: &str| text.replace("{public}", &public).replace("{persons}", &persons);

    let mut answers = std::collections::HashMap::new();
    for query in &queries {
        let params: Vec<String> = query.params.iter().map(|p| fill(p)).collect();
        let params: Vec<&str> = params.iter().map(String::as_str).collect();
        let output = exec_params(&server, &fill(&query.sql), &params);
        assert!(output.status.success(), "DBeaver's `{}` failed: {}\n{}", query.label, stderr(&output), query.sql);
        answers.insert(query.label.as_str(), stdout(&output));
    }
    let rows = |label: &str| -> Vec<String> { lines(answers.get(label).unwrap_or_else(|| panic!("no query {label}"))) };

    // The database DBeaver connected to is found, or its navigator shows nothing.
    assert_eq!(rows("current database").len(), 1, "{:?}", rows("current database"));
    assert!(rows("current database")[0].contains("skillhouse"));
    // Schemas, and the tables of `public` with their Chinese comments; no table is partitioned.
    assert!(rows("schemas with comments").iter().any(|r| r.contains("public")));
    let tables = rows("tables of a schema");
    let listed = lines(&server.rows("SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'"));
    assert_eq!(tables.len(), listed.len(), "{tables:?}");
    let persons_row = tables.iter().find(|r| r.split('\t').any(|f| f == "persons")).expect("persons is listed");
    assert!(persons_row.contains("人员年末存量"), "{persons_row}");
    // Columns of persons, in order, with their comments.
    let columns = rows("columns of a table");
    let expected = lines(&server.rows(
        "SELECT column_name FROM information_schema.columns WHERE table_name = 'persons' ORDER BY ordinal_position",
    ));
    assert_eq!(columns.len(), expected.len(), "{columns:?}");
    for (row, name) in columns.iter().zip(&expected) {
        assert!(row.split('\t').any(|field| field == name), "{name} in {row}");
    }
    assert!(columns.iter().any(|r| r.contains("高技能人才")), "{columns:?}");
    // No keys, indexes, triggers, rules, policies or inheritance on Parquet tables.
    for label in ["constraints of a table", "references to a table", "indexes of a table", "triggers of a table"] {
        assert_eq!(rows(label), Vec::<String>::new(), "{label}");
    }
    for label in ["rules of a table", "policies of a table", "parents of a table", "children of a table"] {
        assert_eq!(rows(label), Vec::<String>::new(), "{label}");
    }
    // The data tab reads 200 rows; the row count agrees with psql.
    assert_eq!(rows("data viewer").len(), 200);
    assert_eq!(rows("row count"), lines(&server.rows("SELECT count(*) FROM persons")));
}

/// DBeaver's data tab asks for its first 200 rows with the Execute message's row limit (pgjdbc's `setMaxRows`), not
/// with `LIMIT`: the server must stop there and say the portal is suspended, not send the whole table.
#[test]
fn an_execute_row_limit_returns_a_page_and_suspends() {
    let server = Server::start(&[]);
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/it/pg_max_rows.py");
    let port = server.pg_port.to_string();
    let output = Command::new("python3")
        .arg(script)
        .args(["127.0.0.1", &port, USER, PASSWORD, "SELECT p.* FROM public.persons p", "200"])
        .output()
        .expect("python3 runs");
    assert!(output.status.success(), "{}", stderr(&output));
    let total = server.rows("SELECT count(*) FROM persons").trim().to_owned();
    assert!(total.parse::<u64>().is_ok_and(|n| n > 200), "{total}");
    // The limited Execute, then an unlimited one on the same connection.
    assert_eq!(stdout(&output), format!("200 suspended\n{total} complete\n"));
}
