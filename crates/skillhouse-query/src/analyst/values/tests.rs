//! The wrapped built-ins refuse what would exceed the limit before building it, and answer as before otherwise.

use crate::bounds::{SqlBounds, is_resources_exhausted, run_statement};
use crate::error::QueryError;
use datafusion::arrow::array::RecordBatch;
use datafusion::arrow::util::display::array_value_to_string;
use datafusion::prelude::SessionContext;
use std::time::{Duration, Instant};

const LIMIT: usize = 8 << 20;

fn bounds() -> SqlBounds {
    SqlBounds { memory_limit: LIMIT, statement_timeout: Some(Duration::from_secs(60)) }
}

async fn run(sql: &str) -> crate::Result<Vec<RecordBatch>> {
    let mut statements = crate::guard::parse_and_check(sql)?;
    let (statement, _) = statements.remove(0);
    run_statement(&SessionContext::new(), statement, &bounds()).await
}

/// The single value of a one-row, one-column result, as text.
async fn value(sql: &str) -> String {
    let batches = run(sql).await.unwrap_or_else(|e| panic!("{sql}: {e}"));
    let batch = batches.iter().find(|b| b.num_rows() > 0).unwrap_or_else(|| panic!("{sql}: no rows"));
    array_value_to_string(batch.column(0), 0).expect("printable")
}

async fn refused(sql: &str) {
    let started = Instant::now();
    match run(sql).await {
        Err(QueryError::MemoryLimit { limit, source }) => {
            assert_eq!(limit, LIMIT);
            assert!(is_resources_exhausted(&source), "{sql}: {source}");
        }
        Err(other) => panic!("{sql}: refused otherwise: {other}"),
        Ok(batches) => panic!("{sql}: ran and returned {} batches", batches.len()),
    }
    // Refused from the arguments, not after building gigabytes.
    assert!(started.elapsed() < Duration::from_secs(5), "{sql}: took {:?}", started.elapsed());
}

#[tokio::test]
async fn repeat_of_a_billion_is_refused_with_the_memory_limit_error() {
    // Issue 27: this grew the process to 4 GB under --memory-limit 512MiB.
    refused("SELECT length(repeat('x', 1000000000))").await;
    refused("SELECT repeat('x', 1000000000)").await;
    // The copy DataFusion makes of a constant for every row counts too.
    refused("SELECT repeat('x', 100000) FROM generate_series(1, 8000)").await;
}

#[tokio::test]
async fn every_amplifying_function_is_bounded() {
    for sql in [
        "SELECT lpad('x', 1000000000)",
        "SELECT rpad('x', 1000000000, 'ab')",
        "SELECT lpad(s, 1000000000, '0') FROM (VALUES ('a'), ('b')) AS t(s)",
        "SELECT replace(repeat('a', 100000), 'a', repeat('b', 1000))",
        "SELECT replace(repeat('a', 100000), '', repeat('b', 1000))",
        "SELECT regexp_replace(repeat('a', 100000), 'a', repeat('b', 1000), 'g')",
        "SELECT concat(repeat('x', 3000000), repeat('x', 3000000), repeat('x', 3000000))",
        "SELECT concat_ws(repeat('-', 3000000), 'a', 'b', 'c', 'd')",
        "SELECT array_repeat(1, 1000000000)",
        "SELECT array_resize(make_array(1), 1000000000, 0)",
        "SELECT cardinality(range(1, 1000000000000))",
        "SELECT cardinality(generate_series(1, 1000000000))",
        "SELECT cardinality(range(TIMESTAMP '1970-01-01 00:00:00', TIMESTAMP '2100-01-01 00:00:00', \
         INTERVAL '1 second'))",
        "SELECT cardinality(range(DATE '0001-01-01', DATE '9999-12-31', INTERVAL '1 minute'))",
        "SELECT unnest(range(1, 1000000000))",
    ] {
        refused(sql).await;
    }
}

#[tokio::test]
async fn the_wrapped_functions_answer_as_before() {
    assert_eq!(value("SELECT repeat('ab', 3)").await, "ababab");
    assert_eq!(value("SELECT lpad('7', 5, '0')").await, "00007");
    assert_eq!(value("SELECT rpad('郑州', 4, '市')").await, "郑州市市");
    assert_eq!(value("SELECT replace('a-b-c', '-', '--')").await, "a--b--c");
    assert_eq!(value("SELECT regexp_replace('410100', '^41', 'HN')").await, "HN0100");
    assert_eq!(value("SELECT concat('a', NULL, 'b')").await, "ab");
    assert_eq!(value("SELECT concat_ws('/', 'a', 'b')").await, "a/b");
    assert_eq!(value("SELECT array_repeat(1, 3)").await, "[1, 1, 1]");
    assert_eq!(value("SELECT array_resize(make_array(1, 2), 3, 0)").await, "[1, 2, 0]");
    assert_eq!(value("SELECT range(1, 4)").await, "[1, 2, 3]");
    assert_eq!(value("SELECT generate_series(1, 3)").await, "[1, 2, 3]");
    assert_eq!(value("SELECT cardinality(range(DATE '2025-01-01', DATE '2025-12-31', INTERVAL '1 day'))").await, "364");
    assert_eq!(
        value("SELECT string_agg(repeat(s, n), ',') FROM (VALUES ('a', 2), ('b', 3)) AS t(s, n)").await,
        "aa,bbb"
    );
    assert_eq!(value("SELECT count(*) FROM generate_series(1, 100000)").await, "100000");
    // Column names are the built-in's.
    let batches = run("SELECT repeat('a', 2)").await.expect("runs");
    assert_eq!(batches[0].schema().field(0).name(), "repeat(Utf8(\"a\"),Int64(2))");
}

#[tokio::test]
async fn aggregates_of_large_values_stay_within_the_pool() {
    // 200 values of 100 KB each: 20 MB of state for an 8 MiB limit, charged to the pool by the aggregation.
    refused("SELECT length(string_agg(repeat('x', 100000), '')) FROM generate_series(1, 200)").await;
}

#[test]
fn wrapping_twice_keeps_one_wrapper_with_the_new_limit() {
    let ctx = SessionContext::new();
    crate::bounds::bound_values(&ctx, 1 << 20);
    crate::bounds::bound_values(&ctx, 2 << 20);
    let state = ctx.state();
    let repeat = state.scalar_functions().get("repeat").expect("repeat");
    let wrapper = repeat.inner().downcast_ref::<super::BoundedFunction>().expect("wrapped");
    assert_eq!(wrapper.limit, 2 << 20);
    assert!(wrapper.inner.downcast_ref::<super::BoundedFunction>().is_none(), "not a wrapper of a wrapper");
}

/// Issue 27: `||` is an operator, not a function, and doubled a value per CTE with no check.
#[tokio::test]
async fn the_string_concat_operator_is_bounded_and_keeps_its_meaning() {
    // 1 MiB doubled four times: 16 MiB, over the 8 MiB limit, from values that each pass.
    refused(
        "WITH a AS (SELECT repeat('x', 1048576) AS v), b AS (SELECT v || v AS v FROM a), \
         c AS (SELECT v || v AS v FROM b), d AS (SELECT v || v AS v FROM c), e AS (SELECT v || v AS v FROM d) \
         SELECT length(v) FROM e",
    )
    .await;
    assert_eq!(value("SELECT 'ab' || 'cd'").await, "abcd");
    assert_eq!(value("SELECT ('ab' || NULL) IS NULL").await, "true");
    assert_eq!(value("SELECT s || '-' || n FROM (VALUES ('a', 1)) AS t(s, n)").await, "a-1");
    let batches = run("SELECT s || 'x' FROM (VALUES ('a')) AS t(s)").await.expect("runs");
    assert_eq!(batches[0].schema().field(0).name(), "t.s || Utf8(\"x\")", "the operator's column name");
    // Between arrays `||` is still DataFusion's array concatenation.
    assert_eq!(value("SELECT make_array(1, 2) || make_array(3)").await, "[1, 2, 3]");
}
