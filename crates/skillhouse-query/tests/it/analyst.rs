//! The analyst's session over the fixture snapshot: refusals before anything runs, the per-statement memory limit,
//! the statement timeout that really cancels, and the comments of `\d`.

use crate::fixture;
use skillhouse_query::datafusion::arrow::array::{Array, ArrayRef, Int64Array, StringArray};
use skillhouse_query::datafusion::arrow::datatypes::DataType;
use skillhouse_query::datafusion::logical_expr::{ColumnarValue, Volatility, create_udf};
use skillhouse_query::{
    AnalystSession, Comments, QueryConfig, QueryError, RefusalCode, ResultFormat, SqlBounds, format_batches,
};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

async fn session(bounds: SqlBounds) -> AnalystSession {
    AnalystSession::open(fixture::warehouse(), &QueryConfig::default(), bounds).await.expect("open the fixture")
}

fn csv(batches: &[skillhouse_query::datafusion::arrow::array::RecordBatch]) -> String {
    format_batches(batches, ResultFormat::Csv).expect("csv")
}

#[tokio::test]
async fn a_refused_statement_stops_the_whole_script_before_anything_runs() {
    let session = session(SqlBounds::default()).await;
    let error = session.run_script("SELECT COUNT(*) FROM persons; DROP TABLE persons").await.expect_err("refused");
    let QueryError::Refused(refusal) = &error else { panic!("not a refusal: {error}") };
    assert_eq!(refusal.code, RefusalCode::Ddl);
    assert!(error.to_string().contains("statement 2 of 2") && error.to_string().contains("[read_only.ddl]"), "{error}");
    let rows = session.run_script("SELECT COUNT(*) AS n FROM persons").await.expect("persons still there");
    assert_eq!(csv(&rows[0]), "n\n20\n");
    for (sql, code) in [
        ("SET application_name = 'psql'", RefusalCode::SessionStatement),
        ("BEGIN", RefusalCode::SessionStatement),
        ("SELECT * FROM '/etc/passwd'", RefusalCode::FileTable),
        ("CREATE EXTERNAL TABLE x STORED AS CSV LOCATION '/etc/passwd'", RefusalCode::ExternalTable),
        ("SET datafusion.execution.target_partitions = 64", RefusalCode::SetOption),
        ("COPY persons TO '/tmp/persons.csv'", RefusalCode::Copy),
        ("INSERT INTO regions SELECT * FROM regions", RefusalCode::Dml),
    ] {
        match session.check(sql) {
            Err(QueryError::Refused(refusal)) => assert_eq!(refusal.code, code, "{sql}: {refusal}"),
            other => panic!("{sql}: {other:?}"),
        }
    }
}

#[tokio::test]
async fn a_statement_over_the_memory_limit_fails_cleanly_and_the_session_carries_on() {
    let join = "SELECT COUNT(*) AS n FROM generate_series(1, 1000000) AS a \
                JOIN generate_series(1, 1000000) AS b ON a.value = b.value";
    let tight = session(SqlBounds { memory_limit: 4 << 20, statement_timeout: Some(Duration::from_secs(120)) }).await;
    let error = tight.run_script(join).await.expect_err("a 1M-row hash join does not fit in 4 MiB");
    assert!(matches!(error, QueryError::MemoryLimit { limit, .. } if limit == 4 << 20), "{error:?}");
    assert!(error.to_string().contains("per-statement limit of 4 MiB"), "{error}");
    // The same session answers the next statement, and with room the join runs: the limit was the cause.
    assert_eq!(csv(&tight.run_script("SELECT COUNT(*) AS n FROM regions").await.expect("small query")[0]), "n\n4\n");
    let roomy = session(SqlBounds::default()).await;
    assert_eq!(csv(&roomy.run_script(join).await.expect("fits in 2 GiB")[0]), "n\n1000000\n");
}

#[tokio::test]
async fn an_aggregation_over_the_memory_limit_spills_and_answers() {
    let session = session(SqlBounds { memory_limit: 8 << 20, statement_timeout: Some(Duration::from_secs(120)) }).await;
    let groups = "SELECT COUNT(*) AS groups, SUM(n) AS total FROM \
                  (SELECT value % 500000 AS k, COUNT(*) AS n FROM generate_series(1, 1000000) GROUP BY 1)";
    let rows = session.run_script(groups).await.expect("the aggregation spills instead of failing");
    assert_eq!(csv(&rows[0]), "groups,total\n500000,1000000\n");
    let explained = session.run_script(&format!("EXPLAIN ANALYZE {groups}")).await.expect("explain analyze");
    let plan = csv(&explained[0]);
    let spills: u64 = plan
        .split("spill_count=")
        .skip(1)
        .filter_map(|rest| rest.split(|c: char| !c.is_ascii_digit()).next()?.parse::<u64>().ok())
        .sum();
    assert!(spills > 0, "500,000 groups do not fit in 8 MiB, so the aggregation spilled:\n{plan}");
}

#[tokio::test]
async fn the_statement_timeout_cancels_a_runaway_query() {
    let session =
        session(SqlBounds { memory_limit: 64 << 20, statement_timeout: Some(Duration::from_millis(500)) }).await;
    // `tick` counts the rows the engine pushes through it, so we can see whether work goes on after the timeout.
    static ROWS_SEEN: AtomicU64 = AtomicU64::new(0);
    let tick = create_udf(
        "tick",
        vec![DataType::Int64],
        DataType::Int64,
        Volatility::Volatile,
        Arc::new(|args: &[ColumnarValue]| {
            let arrays = ColumnarValue::values_to_arrays(args)?;
            ROWS_SEEN.fetch_add(arrays[0].len() as u64, Ordering::SeqCst);
            Ok(ColumnarValue::Array(Arc::clone(&arrays[0]) as ArrayRef))
        }),
    );
    session.snapshot().ctx.register_udf(tick);
    let started = Instant::now();
    let error = session
        .run_script(
            "SELECT COUNT(tick(a.value)) FROM generate_series(1, 100000) AS a CROSS JOIN generate_series(1, 100000) AS b",
        )
        .await
        .expect_err("ten billion rows take longer than 500 ms");
    assert!(matches!(error, QueryError::Timeout { limit } if limit == Duration::from_millis(500)), "{error:?}");
    assert!(error.to_string().contains("statement timeout"), "{error}");
    assert!(started.elapsed() < Duration::from_secs(10), "answered after {:?}", started.elapsed());
    // Let in-flight batches drain (an aborted task stops at its next yield, at most a cooperative budget of batches
    // later), then check that nothing runs any more.
    tokio::time::sleep(Duration::from_millis(1000)).await;
    let after_cancel = ROWS_SEEN.load(Ordering::SeqCst);
    assert!(after_cancel > 0, "the query had started");
    tokio::time::sleep(Duration::from_millis(1000)).await;
    assert_eq!(ROWS_SEEN.load(Ordering::SeqCst), after_cancel, "the cancelled query kept running");
}

#[tokio::test]
async fn every_table_and_column_has_a_comment() {
    let session = session(SqlBounds::default()).await;
    let comments = Comments::bundled().expect("comments.toml parses");
    let tables = session.tables().expect("\\d");
    let names = tables.column(0).as_any().downcast_ref::<StringArray>().expect("names");
    let described = tables.column(1).as_any().downcast_ref::<StringArray>().expect("comments");
    assert!(names.len() >= 18, "{} tables", names.len());
    let mut missing = Vec::new();
    for row in 0..names.len() {
        let table = names.value(row);
        if described.is_null(row) {
            missing.push(table.to_string());
        }
        let columns = session.columns(table).await.expect("\\d TABLE");
        let column_names = columns.column(0).as_any().downcast_ref::<StringArray>().expect("columns");
        let column_comments = columns.column(3).as_any().downcast_ref::<StringArray>().expect("comments");
        for c in 0..column_names.len() {
            if column_comments.is_null(c) {
                missing.push(format!("{table}.{}", column_names.value(c)));
            }
        }
    }
    assert!(missing.is_empty(), "add comments to sql/comments.toml for: {missing:?}");
    // Comments name no table or column that does not exist (catches renames).
    for (table, entry) in comments.tables() {
        let Ok(columns) = session.columns(table).await else { panic!("comments.toml names a missing table `{table}`") };
        let column_names = columns.column(0).as_any().downcast_ref::<StringArray>().expect("columns");
        let present: Vec<&str> = (0..column_names.len()).map(|i| column_names.value(i)).collect();
        for column in entry.columns.keys() {
            assert!(present.contains(&column.as_str()), "comments.toml names a missing column `{table}.{column}`");
        }
    }
    assert!(comments.table("persons").is_some_and(|c| c.contains("人员")));
    assert!(comments.column("certificates", "issue_date").is_some_and(|c| c.contains("发证日期")));
    assert!(comments.column("persons", "high_skilled").is_some_and(|c| c.contains("高技能人才")));
}

#[tokio::test]
async fn describe_shows_types_and_nullability() {
    let session = session(SqlBounds::default()).await;
    let columns = session.columns("regions").await.expect("regions");
    let text = csv(&[columns]);
    assert!(text.starts_with("column_name,data_type,nullable,comment\nregion_code,VARCHAR"), "{text}");
    let error = session.columns("no_such_table").await.expect_err("unknown table");
    assert!(error.to_string().contains("no_such_table") || format!("{error:?}").contains("no_such_table"), "{error:?}");
    let rows: Vec<i64> = {
        let batches = session.run_script("SELECT COUNT(*) AS n FROM certificates").await.expect("count");
        let n = batches[0][0].column(0).as_any().downcast_ref::<Int64Array>().expect("Int64").value(0);
        vec![n]
    };
    assert_eq!(rows, vec![23]);
}
