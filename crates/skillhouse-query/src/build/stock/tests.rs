//! `stock_by_year_end` against answers worked out by hand, and the same answers through every path DataFusion may
//! take: one phase, partial + final (state and merge), skipped partial aggregation (`convert_to_state`), emitting the
//! first groups early, no GROUP BY, and SQL.

use super::*;
use datafusion::arrow::array::{Date32Array, StringViewArray};
use datafusion::arrow::datatypes::Schema;
use datafusion::arrow::record_batch::RecordBatch;
use datafusion::datasource::MemTable;
use datafusion::prelude::SessionContext;

/// Days since 1970-01-01 of a date, for Date32.
fn day(date: &str) -> i32 {
    let date = chrono::NaiveDate::parse_from_str(date, "%Y-%m-%d").expect("test date");
    let epoch = chrono::NaiveDate::from_ymd_opt(1970, 1, 1).expect("epoch");
    i32::try_from((date - epoch).num_days()).expect("fits")
}

/// An input row: (group, issue year, rank, issue date, cert_no, region).
type Row = (usize, i32, Option<i32>, &'static str, &'static str, &'static str);

/// Person 0: a training certificate in 2021 (no rank), two rank-3 certificates in 2022 (the later one wins), a rank-2
/// one in 2023 (does not beat rank 3). Person 1: special_competence (rank 0) in 2023, then two rank-4 certificates on
/// the same day in 2024 whose numbers differ only by a trailing digit (`A10` beats its prefix `A1`).
const ROWS: [Row; 7] = [
    (0, 2021, None, "2021-05-01", "T1", "410100"),
    (0, 2022, Some(3), "2022-03-01", "B", "410200"),
    (0, 2022, Some(3), "2022-09-01", "A", "410300"),
    (0, 2023, Some(2), "2023-01-01", "C", "410400"),
    (1, 2023, Some(0), "2023-06-30", "SC", "410500"),
    (1, 2024, Some(4), "2024-02-02", "A10", "410600"),
    (1, 2024, Some(4), "2024-02-02", "A1", "410700"),
];

/// A year end of the result: (group, year, rank, cert_no, region).
type YearEnd = (usize, i32, Option<i32>, Option<String>, Option<String>);

/// The expected year ends with last_year 2024, worked out from the comments on [`ROWS`]:
/// (group, year, rank, cert_no, region).
#[allow(clippy::type_complexity)]
const EXPECTED: [(usize, i32, Option<i32>, Option<&str>, Option<&str>); 6] = [
    (0, 2021, None, None, None),
    (0, 2022, Some(3), Some("A"), Some("410300")),
    (0, 2023, Some(3), Some("A"), Some("410300")),
    (0, 2024, Some(3), Some("A"), Some("410300")),
    (1, 2023, Some(0), Some("SC"), Some("410500")),
    (1, 2024, Some(4), Some("A10"), Some("410600")),
];

fn columns(rows: &[Row]) -> (Vec<ArrayRef>, Vec<usize>) {
    let columns: Vec<ArrayRef> = vec![
        Arc::new(Int32Array::from(rows.iter().map(|r| r.1).collect::<Vec<_>>())),
        Arc::new(Int32Array::from(rows.iter().map(|r| r.2).collect::<Vec<_>>())),
        Arc::new(Date32Array::from(rows.iter().map(|r| day(r.3)).collect::<Vec<_>>())),
        Arc::new(StringViewArray::from(rows.iter().map(|r| r.4).collect::<Vec<_>>())),
        Arc::new(StringViewArray::from(rows.iter().map(|r| r.5).collect::<Vec<_>>())),
        Arc::new(Int32Array::from(vec![2024; rows.len()])),
    ];
    (columns, rows.iter().map(|r| r.0).collect())
}

/// The year ends in `columns` (year, rank, cert_no, region_code), the group of row `i` given by `group`.
fn year_ends(columns: &[ArrayRef], group: impl Fn(usize) -> usize) -> Vec<YearEnd> {
    let years = columns[0].as_primitive::<Int32Type>();
    let ranks = columns[1].as_primitive::<Int32Type>();
    let certs = columns[2].as_string::<i32>();
    let regions = columns[3].as_string::<i32>();
    (0..years.len())
        .map(|i| {
            (
                group(i),
                years.value(i),
                ranks.is_valid(i).then(|| ranks.value(i)),
                certs.is_valid(i).then(|| certs.value(i).to_string()),
                regions.is_valid(i).then(|| regions.value(i).to_string()),
            )
        })
        .collect()
}

/// The flat year ends of a result list array, with the group each list belongs to.
fn flatten(result: &ArrayRef) -> Vec<YearEnd> {
    let lists = result.as_list::<i32>();
    (0..lists.len()).flat_map(|group| year_ends(lists.value(group).as_struct().columns(), |_| group)).collect()
}

fn expected() -> Vec<YearEnd> {
    EXPECTED.iter().map(|(g, y, r, c, re)| (*g, *y, *r, c.map(str::to_string), re.map(str::to_string))).collect()
}

#[test]
fn one_phase_gives_the_best_certificate_at_every_year_end() {
    let (values, groups) = columns(&ROWS);
    let mut stock = Stock::default();
    stock.update_batch(&values, &groups, None, 2).expect("update");
    assert_eq!(flatten(&stock.evaluate(EmitTo::All).expect("evaluate")), expected());
}

#[test]
fn partial_states_merged_give_the_same_answer_in_any_split() {
    for split in 0..=ROWS.len() {
        let mut final_stage = Stock::default();
        for part in [&ROWS[..split], &ROWS[split..]] {
            let (values, groups) = columns(part);
            let mut partial = Stock::default();
            partial.update_batch(&values, &groups, None, 2).expect("update");
            let state = partial.state(EmitTo::All).expect("state");
            final_stage.merge_batch(&state, &[0, 1][..state[0].len()], 2).expect("merge");
        }
        assert_eq!(flatten(&final_stage.evaluate(EmitTo::All).expect("evaluate")), expected(), "split at {split}");
    }
}

#[test]
fn rows_converted_to_state_merge_to_the_same_answer_and_filtered_rows_do_not_count() {
    let (values, groups) = columns(&ROWS);
    // Filtering out person 0's 2022 rows leaves 2022 and 2023 with the rank-2 certificate of 2023 only from 2023 on.
    let keep = BooleanArray::from(vec![true, false, false, true, true, true, true]);
    let stock = Stock::default();
    for (filter, expected) in [
        (None, expected()),
        (
            Some(&keep),
            vec![
                (0, 2021, None, None, None),
                (0, 2022, None, None, None),
                (0, 2023, Some(2), Some("C".to_string()), Some("410400".to_string())),
                (0, 2024, Some(2), Some("C".to_string()), Some("410400".to_string())),
                (1, 2023, Some(0), Some("SC".to_string()), Some("410500".to_string())),
                (1, 2024, Some(4), Some("A10".to_string()), Some("410600".to_string())),
            ],
        ),
    ] {
        let state = stock.convert_to_state(&values, filter).expect("convert");
        assert_eq!(state[0].len(), ROWS.len(), "one list per input row");
        let mut merged = Stock::default();
        merged.merge_batch(&state, &groups, 2).expect("merge");
        assert_eq!(flatten(&merged.evaluate(EmitTo::All).expect("evaluate")), expected);
    }
}

#[test]
fn emitting_the_first_group_early_renumbers_the_rest() {
    let (values, groups) = columns(&ROWS);
    let mut stock = Stock::default();
    stock.update_batch(&values, &groups, None, 2).expect("update");
    let first = flatten(&stock.evaluate(EmitTo::First(1)).expect("first"));
    assert_eq!(first, expected()[..4].to_vec());
    // Person 1 is now group 0; a further rank-7 certificate of 2024 for it must land on it.
    let more: [Row; 1] = [(0, 2024, Some(7), "2024-12-01", "CH", "410800")];
    let (values, groups) = columns(&more);
    stock.update_batch(&values, &groups, None, 1).expect("update");
    let rest = flatten(&stock.evaluate(EmitTo::All).expect("rest"));
    assert_eq!(
        rest,
        vec![
            (0, 2023, Some(0), Some("SC".to_string()), Some("410500".to_string())),
            (0, 2024, Some(7), Some("CH".to_string()), Some("410800".to_string())),
        ]
    );
}

#[test]
fn a_different_last_year_or_a_far_one_is_an_error() {
    let (mut values, groups) = columns(&ROWS);
    let mut stock = Stock::default();
    stock.update_batch(&values, &groups, None, 2).expect("update");
    values[5] = Arc::new(Int32Array::from(vec![2025; ROWS.len()]));
    let error = stock.update_batch(&values, &groups, None, 2).expect_err("two last years");
    assert!(error.to_string().contains("last_year must be the same"), "{error}");

    values[5] = Arc::new(Int32Array::from(vec![9999; ROWS.len()]));
    let mut far = Stock::default();
    far.update_batch(&values, &groups, None, 2).expect("update");
    let error = far.evaluate(EmitTo::All).expect_err("far last year");
    assert!(error.to_string().contains("year ends"), "{error}");
}

/// Through SQL: GROUP BY over many small batches (several partitions, so partial and final phases), and the same
/// aggregate without GROUP BY over one person's rows.
#[tokio::test]
async fn sql_with_and_without_group_by() {
    let ctx = SessionContext::new_with_config(datafusion::prelude::SessionConfig::new().with_target_partitions(3));
    ctx.register_udaf(stock_by_year_end());
    let schema = Arc::new(Schema::new(vec![
        Field::new("person", DataType::Int64, false),
        Field::new("issue_year", DataType::Int32, false),
        Field::new("rank", DataType::Int32, true),
        Field::new("issue_date", DataType::Date32, false),
        Field::new("cert_no", DataType::Utf8, false),
        Field::new("region_code", DataType::Utf8, false),
    ]));
    let batches: Vec<RecordBatch> = ROWS
        .iter()
        .map(|r| {
            RecordBatch::try_new(
                Arc::clone(&schema),
                vec![
                    Arc::new(datafusion::arrow::array::Int64Array::from(vec![r.0 as i64])),
                    Arc::new(Int32Array::from(vec![r.1])),
                    Arc::new(Int32Array::from(vec![r.2])),
                    Arc::new(Date32Array::from(vec![day(r.3)])),
                    Arc::new(datafusion::arrow::array::StringArray::from(vec![r.4])),
                    Arc::new(datafusion::arrow::array::StringArray::from(vec![r.5])),
                ],
            )
            .expect("batch")
        })
        .collect();
    let partitions = batches.chunks(3).map(<[RecordBatch]>::to_vec).collect();
    ctx.register_table("c", Arc::new(MemTable::try_new(schema, partitions).expect("table"))).expect("register");
    let sql = "SELECT person, e['year'], e['rank'], e['cert_no'], e['region_code'] FROM (
                 SELECT person, unnest(stock_by_year_end(issue_year, rank, issue_date, cert_no, region_code, 2024)) AS e
                 FROM c GROUP BY person) ORDER BY 1, 2";
    let batches = ctx.sql(sql).await.expect("plan").collect().await.expect("run");
    let mut rows = Vec::new();
    for batch in &batches {
        let persons = batch.column(0).as_primitive::<datafusion::arrow::datatypes::Int64Type>();
        rows.extend(year_ends(&batch.columns()[1..], |i| usize::try_from(persons.value(i)).expect("person")));
    }
    assert_eq!(rows, expected());

    let one =
        "SELECT stock_by_year_end(issue_year, rank, issue_date, cert_no, region_code, 2024) FROM c WHERE person = 1";
    let batches = ctx.sql(one).await.expect("plan").collect().await.expect("run");
    let flat = flatten(batches[0].column(0));
    assert_eq!(flat.into_iter().map(|(_, y, r, c, g)| (1, y, r, c, g)).collect::<Vec<_>>(), expected()[4..].to_vec());
}

/// [`ROWS`] with until years (DESIGN §18): person 0's winning rank-3 certificate `A` is in force until the end of
/// 2022 only (revoked in 2023), so from 2023 `B` (rank 3, in force for good) is the best; person 1's `A10` ends after
/// 2023 — before it was issued — so it never counts and `A1` wins 2024. Worked by hand:
fn until_years() -> Vec<Option<i32>> {
    vec![None, None, Some(2022), None, None, Some(2023), None]
}

#[allow(clippy::type_complexity)]
const EXPECTED_UNTIL: [(usize, i32, Option<i32>, Option<&str>, Option<&str>); 6] = [
    (0, 2021, None, None, None),
    (0, 2022, Some(3), Some("A"), Some("410300")),
    (0, 2023, Some(3), Some("B"), Some("410200")),
    (0, 2024, Some(3), Some("B"), Some("410200")),
    (1, 2023, Some(0), Some("SC"), Some("410500")),
    (1, 2024, Some(4), Some("A1"), Some("410700")),
];

fn columns_with_until(rows: &[Row], untils: &[Option<i32>]) -> (Vec<ArrayRef>, Vec<usize>) {
    let (mut values, groups) = columns(rows);
    values.push(Arc::new(Int32Array::from(untils.to_vec())));
    (values, groups)
}

#[test]
fn an_ended_certificate_makes_way_for_the_next_best_through_every_path() {
    let expected: Vec<YearEnd> = EXPECTED_UNTIL
        .iter()
        .map(|(g, y, r, c, re)| (*g, *y, *r, c.map(str::to_string), re.map(str::to_string)))
        .collect();
    let untils = until_years();
    let (values, groups) = columns_with_until(&ROWS, &untils);
    let mut stock = Stock::default();
    stock.update_batch(&values, &groups, None, 2).expect("update");
    assert_eq!(flatten(&stock.evaluate(EmitTo::All).expect("evaluate")), expected, "one phase");
    for split in 0..=ROWS.len() {
        let mut final_stage = Stock::default();
        for (rows, untils) in [(&ROWS[..split], &untils[..split]), (&ROWS[split..], &untils[split..])] {
            let (values, groups) = columns_with_until(rows, untils);
            let mut partial = Stock::default();
            partial.update_batch(&values, &groups, None, 2).expect("update");
            let state = partial.state(EmitTo::All).expect("state");
            final_stage.merge_batch(&state, &[0, 1][..state[0].len()], 2).expect("merge");
        }
        assert_eq!(flatten(&final_stage.evaluate(EmitTo::All).expect("evaluate")), expected, "split at {split}");
    }
    let state = Stock::default().convert_to_state(&values, None).expect("convert");
    let mut merged = Stock::default();
    merged.merge_batch(&state, &groups, 2).expect("merge");
    assert_eq!(flatten(&merged.evaluate(EmitTo::All).expect("evaluate")), expected, "converted to state");
}
