//! A tiny warehouse with published snapshots, written directly in the layout of docs/warehouse.md (the snapshot
//! tables as `skillhouse-query` writes them: `indicator_values_schema()`, `Manifest`). The numbers are chosen by
//! hand so that suppression has something to do:
//!
//! - `new_skilled` 2024: province 1000; 410100 600, 410200 **5** (below k), 410300 250, 410400 150 → 410200
//!   withheld, 410400 (the smallest other) withheld with it. 2023: nothing small.
//! - `skilled_persons` 2024: province 5000; 410400 **8** → withheld with 410300 (992).
//! - `high_skill_share` 2024 (numerator high-skilled, denominator skilled): 410400 3/8 → withheld, and 410300
//!   (its denominator 992 is withheld in `skilled_persons`).
//! - `certs_by_agency_type` 2024: enterprise 410300 **7** → withheld with enterprise 410400 (200).
//! - `programme_new_high_skilled` 2025: 2.2 **6** → withheld with 2.3 (144); 2 = 2.1 + 2.2 + 2.3.
//! - `agencies_by_type` 2024: 5 agencies (3 enterprise, 2 college) — organisations, never withheld.

use skillhouse_query::Manifest;
use skillhouse_query::datafusion::arrow::array::{
    ArrayRef, Date32Array, Float64Array, Int32Array, Int64Array, RecordBatch, StringArray,
};
use skillhouse_query::datafusion::arrow::datatypes::{DataType, Field, Schema};
use skillhouse_query::datafusion::parquet::arrow::ArrowWriter;
use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

/// One indicator row before targets: (indicator, region, year, programme, agency_type, value, numerator, denominator).
pub type Row = (&'static str, &'static str, i32, Option<&'static str>, Option<&'static str>, f64, i64, Option<i64>);

fn count(id: &'static str, region: &'static str, year: i32, n: i64) -> Row {
    (id, region, year, None, None, n as f64, n, None)
}

fn share(id: &'static str, region: &'static str, year: i32, num: i64, den: i64) -> Row {
    (id, region, year, None, None, num as f64 / den as f64, num, Some(den))
}

/// The indicator rows of the first snapshot.
pub fn rows() -> Vec<Row> {
    let mut rows = vec![
        count("new_skilled", "410000", 2024, 1000),
        count("new_skilled", "410100", 2024, 600),
        count("new_skilled", "410200", 2024, 5),
        count("new_skilled", "410300", 2024, 250),
        count("new_skilled", "410400", 2024, 150),
        count("new_skilled", "410000", 2023, 800),
        count("new_skilled", "410100", 2023, 400),
        count("new_skilled", "410200", 2023, 200),
        count("new_skilled", "410300", 2023, 100),
        count("new_skilled", "410400", 2023, 100),
        count("skilled_persons", "410000", 2024, 5000),
        count("skilled_persons", "410100", 2024, 3000),
        count("skilled_persons", "410200", 2024, 1000),
        count("skilled_persons", "410300", 2024, 992),
        count("skilled_persons", "410400", 2024, 8),
        share("high_skill_share", "410000", 2024, 1500, 5000),
        share("high_skill_share", "410100", 2024, 900, 3000),
        share("high_skill_share", "410200", 2024, 300, 1000),
        share("high_skill_share", "410300", 2024, 297, 992),
        share("high_skill_share", "410400", 2024, 3, 8),
    ];
    for (agency_type, counts) in
        [("enterprise", [500, 300, 7, 200]), ("college", [400, 12, 50, 60]), ("social", [100, 100, 100, 100])]
    {
        let total: i64 = counts.iter().sum();
        rows.push(("certs_by_agency_type", "410000", 2024, None, Some(agency_type), total as f64, total, None));
        for (region, n) in ["410100", "410200", "410300", "410400"].into_iter().zip(counts) {
            rows.push(("certs_by_agency_type", region, 2024, None, Some(agency_type), n as f64, n, None));
        }
    }
    for (programme, n) in [("1", 500), ("2", 300), ("2.1", 150), ("2.2", 6), ("2.3", 144)] {
        rows.push(("programme_new_high_skilled", "410000", 2025, Some(programme), None, n as f64, n, None));
    }
    for (agency_type, n) in [(None, 5), (Some("enterprise"), 3), (Some("college"), 2)] {
        rows.push(("agencies_by_type", "410000", 2024, None, agency_type, n as f64, n, None));
    }
    rows
}

/// A target: (indicator, region, year, programme, target, comparator).
type TargetRow = (&'static str, &'static str, i32, Option<&'static str>, f64, &'static str);

const TARGETS: [TargetRow; 3] = [
    ("new_skilled", "410000", 2024, None, 2_400_000.0, ">="),
    ("high_skill_share", "410000", 2024, None, 0.35, "~"),
    ("programme_new_high_skilled", "410000", 2025, Some("1"), 60_000.0, ">="),
];

/// Catalogue: (id, title_zh, title_en, unit, disclosure — as the indicator's header says).
const CATALOGUE: [(&str, &str, &str, &str, &str); 7] = [
    ("agencies_by_type", "备案评价机构数量", "Registered evaluation agencies by type", "agencies", "public"),
    (
        "certs_by_agency_type",
        "各类评价机构发放技能类证书数量",
        "Skill certificates issued by agency type",
        "certificates",
        "count certs_by_agency_type",
    ),
    (
        "high_skill_share",
        "高技能人才占技能人才比例",
        "High-skilled share of skilled persons",
        "share",
        "share high_skilled_persons / skilled_persons",
    ),
    (
        "new_skilled",
        "新增技能人才（取证）",
        "Newly skilled persons (certified in the year)",
        "persons",
        "count new_skilled",
    ),
    (
        "programme_new_high_skilled",
        "专项新增高技能人才",
        "New high-skilled persons by special programme",
        "persons",
        "count programme_new_high_skilled",
    ),
    ("skilled_persons", "技能人才总量", "Skilled persons", "persons", "count skilled_persons"),
    (
        "youth_share_new_top_grades",
        "新评聘特级技师和首席技师中青年人才占比",
        "Youth share of new special-grade and chief technicians",
        "share",
        "share new_youth_top_grades / new_top_grades",
    ),
];

pub const REGIONS: [&str; 5] = ["410000", "410100", "410200", "410300", "410400"];

fn write(path: &Path, columns: Vec<(&str, ArrayRef)>) {
    let fields: Vec<Field> = columns.iter().map(|(n, a)| Field::new(*n, a.data_type().clone(), true)).collect();
    let batch = RecordBatch::try_new(Arc::new(Schema::new(fields)), columns.into_iter().map(|(_, a)| a).collect())
        .expect("fixture batch");
    write_batch(path, &batch);
}

fn write_batch(path: &Path, batch: &RecordBatch) {
    std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
    let file = std::fs::File::create(path).expect("create parquet");
    let mut writer = ArrowWriter::try_new(file, batch.schema(), None).expect("writer");
    writer.write(batch).expect("write");
    writer.close().expect("close");
}

fn text<'a>(values: impl IntoIterator<Item = Option<&'a str>>) -> ArrayRef {
    Arc::new(values.into_iter().collect::<StringArray>())
}

/// Writes snapshot `id` with `rows` into `warehouse/snapshots/id` and publishes it (writes CURRENT).
pub fn publish(warehouse: &Path, id: &str, rows: &[Row]) {
    let dir = warehouse.join("snapshots").join(id);
    let names = ["河南省", "郑州市", "开封市", "洛阳市", "平顶山市"];
    write(
        &dir.join("dims/regions.parquet"),
        vec![
            ("region_code", text(REGIONS.map(Some))),
            ("name_zh", text(names.map(Some))),
            ("name_en", text(["Henan Province", "Zhengzhou", "Kaifeng", "Luoyang", "Pingdingshan"].map(Some))),
            ("kind", text(["province", "city", "city", "city", "city"].map(Some))),
            ("parent_code", text([None, Some("410000"), Some("410000"), Some("410000"), Some("410000")])),
        ],
    );
    write(
        &dir.join("dims/programmes.parquet"),
        vec![
            ("programme", text(["1", "2", "2.1", "2.2", "2.3"].map(Some))),
            ("parent", text([None, None, Some("2"), Some("2"), Some("2")])),
            (
                "name_zh",
                text(
                    ["先进制造业技能培训专项", "现代服务业技能培训专项", "康养托育", "文旅文创", "纺织服装"].map(Some),
                ),
            ),
            ("training_target_2025", Arc::new(Int64Array::from(vec![200_000, 470_000, 350_000, 30_000, 30_000]))),
            (
                "new_high_skilled_target_2025",
                Arc::new(Int64Array::from(vec![60_000, 138_000, 100_000, 10_000, 10_000])),
            ),
        ],
    );
    write(
        &dir.join("dims/agency_types.parquet"),
        vec![
            ("agency_type", text(["enterprise", "college", "social", "special_competence"].map(Some))),
            ("name_zh", text(["企业", "院校", "社会培训评价组织", "专项职业能力考核机构"].map(Some))),
        ],
    );
    write(
        &dir.join("dims/targets.parquet"),
        vec![
            ("target_id", text(["t1", "t2", "t3"].map(Some))),
            ("indicator_id", text(TARGETS.map(|t| Some(t.0)))),
            ("region_code", text(TARGETS.map(|t| Some(t.1)))),
            ("year", Arc::new(Int32Array::from(TARGETS.map(|t| t.2).to_vec()))),
            ("programme", text(TARGETS.map(|t| t.3))),
            ("agency_type", text([None, None, None])),
            ("target", Arc::new(Float64Array::from(TARGETS.map(|t| t.4).to_vec()))),
            ("comparator", text(TARGETS.map(|t| Some(t.5)))),
        ],
    );
    let n = CATALOGUE.len();
    write(
        &dir.join("indicators.parquet"),
        vec![
            ("indicator_id", text(CATALOGUE.map(|c| Some(c.0)))),
            ("title_zh", text(CATALOGUE.map(|c| Some(c.1)))),
            ("title_en", text(CATALOGUE.map(|c| Some(c.2)))),
            ("unit", text(CATALOGUE.map(|c| Some(c.3)))),
            ("grain", text(vec![Some("region_code × year"); n])),
            ("target", text(vec![Some("—"); n])),
            ("comparator", text(vec![Some(">="); n])),
            ("source", text(vec![Some("DESIGN §8"); n])),
            ("clause", text(vec![Some("—"); n])),
            ("disclosure", text(CATALOGUE.map(|c| Some(c.4)))),
            ("definition_version", text(vec![Some("2025.1"); n])),
        ],
    );
    write_batch(&dir.join("indicator_values.parquet"), &values_batch(rows));
    let mut row_counts = BTreeMap::new();
    row_counts.insert("indicator_values".to_string(), rows.len() as u64);
    row_counts.insert("dims/regions".to_string(), REGIONS.len() as u64);
    let manifest = Manifest {
        snapshot_id: id.to_string(),
        as_of: "2025-06-30".into(),
        built_at: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        definition_version: "2025.1".into(),
        row_counts,
        ..Manifest::default()
    };
    std::fs::write(dir.join("manifest.json"), serde_json::to_vec_pretty(&manifest).expect("manifest")).expect("write");
    skillhouse_query::publish_snapshot(warehouse, id).expect("publish");
}

fn values_batch(rows: &[Row]) -> RecordBatch {
    let target_of =
        |r: &Row| TARGETS.iter().find(|t| t.0 == r.0 && t.1 == r.1 && t.2 == r.2 && t.3 == r.3).map(|t| (t.4, t.5));
    let targets: Vec<Option<(f64, &str)>> = rows.iter().map(target_of).collect();
    let status = rows.iter().zip(&targets).map(|(r, t)| match t {
        Some((target, ">=")) => Some(if r.5 >= *target { "met" } else { "behind" }),
        Some((target, _)) => Some(if r.5 >= target * 0.95 { "met" } else { "behind" }),
        None => Some("n/a"),
    });
    let columns: Vec<ArrayRef> = vec![
        text(rows.iter().map(|r| Some(r.0))),
        text(rows.iter().map(|r| Some(r.1))),
        Arc::new(Int32Array::from(rows.iter().map(|r| r.2).collect::<Vec<_>>())),
        text(rows.iter().map(|r| r.3)),
        text(rows.iter().map(|r| r.4)),
        Arc::new(Float64Array::from(rows.iter().map(|r| Some(r.5)).collect::<Vec<_>>())),
        Arc::new(Int64Array::from(rows.iter().map(|r| Some(r.6)).collect::<Vec<_>>())),
        Arc::new(Int64Array::from(rows.iter().map(|r| r.7).collect::<Vec<_>>())),
        Arc::new(Float64Array::from(targets.iter().map(|t| t.map(|t| t.0)).collect::<Vec<_>>())),
        Arc::new(Float64Array::from(rows.iter().zip(&targets).map(|(r, t)| t.map(|t| r.5 - t.0)).collect::<Vec<_>>())),
        text(status),
        // Every fixture value is computed from the records (DESIGN §17): nobody reported it.
        text(rows.iter().map(|_| Some("computed"))),
        text(rows.iter().map(|_| None)),
        Arc::new(Date32Array::from(vec![None::<i32>; rows.len()])),
        text(rows.iter().map(|_| Some("2025.1"))),
        // No reference targets: the fixture's values are measured against their own targets only.
        Arc::new(Float64Array::from(vec![None::<f64>; rows.len()])),
        text(rows.iter().map(|_| None)),
        Arc::new(Int32Array::from(vec![None::<i32>; rows.len()])),
        text(rows.iter().map(|_| None)),
    ];
    let schema = skillhouse_query::indicator_values_schema();
    assert_eq!(schema.fields().len(), columns.len(), "indicator_values columns changed");
    let schema = Arc::new(Schema::new(
        schema.fields().iter().map(|f| f.as_ref().clone().with_nullable(true)).collect::<Vec<_>>(),
    ));
    assert_eq!(schema.field(2).data_type(), &DataType::Int32);
    RecordBatch::try_new(schema, columns).expect("values batch")
}

/// Writes `warehouse/ledger/ledger.parquet`: two files of agency A01 (one superseded), one unreadable of A02.
pub fn write_ledger(warehouse: &Path) {
    write(
        &warehouse.join("ledger/ledger.parquet"),
        vec![
            ("source_file", text(["A01/2024-01.csv", "A01/2024-01.xlsx", "A02/2024-02.csv"].map(Some))),
            ("content_hash", text([&"a".repeat(64), &"b".repeat(64), &"c".repeat(64)].map(|h| Some(h.as_str())))),
            ("agency_id", text(["A01", "A01", "A02"].map(Some))),
            ("period", text(["2024-01", "2024-01", "2024-02"].map(Some))),
            ("status", text(["superseded", "loaded", "unreadable"].map(Some))),
            ("rows_read", Arc::new(Int64Array::from(vec![Some(10), Some(12), None]))),
            ("rows_accepted", Arc::new(Int64Array::from(vec![Some(9), Some(10), None]))),
            ("rows_rejected", Arc::new(Int64Array::from(vec![Some(1), Some(2), None]))),
            (
                "rejects_by_reason",
                text([Some("{\"id_checksum\":1}"), Some("{\"id_checksum\":1,\"under_age\":1}"), Some("{}")]),
            ),
        ],
    );
}

/// Writes snapshot `id`'s `models/submissions.parquet` as the build would from [`write_ledger`]'s ledger, worked out
/// by hand: A01's loaded file read 12 rows, accepted 10, rejected 2 (one id_checksum, one under_age) — its superseded
/// file counts as a file only; A02's one file was unreadable.
pub fn write_submissions(warehouse: &Path, id: &str) {
    let int = |values: [i64; 2]| -> ArrayRef { Arc::new(Int64Array::from(values.to_vec())) };
    write(
        &warehouse.join("snapshots").join(id).join("models/submissions.parquet"),
        vec![
            ("agency_id", text(["A01", "A02"].map(Some))),
            ("files", int([2, 1])),
            ("files_loaded", int([1, 0])),
            ("files_superseded", int([1, 0])),
            ("files_unreadable", int([0, 1])),
            ("rows_read", int([12, 0])),
            ("rows_accepted", int([10, 0])),
            ("rows_rejected", int([2, 0])),
            ("rejected_by_reason", text([Some("{\"id_checksum\":1,\"under_age\":1}"), Some("{}")])),
        ],
    );
}

/// Writes snapshot `id`'s `models/monthly_flows.parquet` (sql/models/monthly_flows.sql), `new_skilled` 2024 to March,
/// chosen by hand for suppression: the province 100, 140, 210 (steps 100, 40, 70); 410100 20, 23, 60 (a step of
/// **3**: withheld); 410200 40, 60, 80 (smallest step 20); 410300 40, 57, 70 (smallest step 13: withheld with 410100,
/// the smaller of the two published parts, so the province less the others cannot give 410100 back).
pub fn write_monthly(warehouse: &Path, id: &str) {
    let series: [(&str, [f64; 3]); 4] = [
        ("410000", [100.0, 140.0, 210.0]),
        ("410100", [20.0, 23.0, 60.0]),
        ("410200", [40.0, 60.0, 80.0]),
        ("410300", [40.0, 57.0, 70.0]),
    ];
    let mut regions = Vec::new();
    let mut months = Vec::new();
    let mut ends = Vec::new();
    let mut values = Vec::new();
    for (region, cumulative) in series {
        for (month, value) in (1..=3).zip(cumulative) {
            regions.push(Some(region));
            months.push(month);
            ends.push(Some(["2024-01-31", "2024-02-29", "2024-03-31"][month as usize - 1]));
            values.push(value);
        }
    }
    let rows = regions.len();
    write(
        &warehouse.join("snapshots").join(id).join("models/monthly_flows.parquet"),
        vec![
            ("indicator_id", text(std::iter::repeat_n(Some("new_skilled"), rows))),
            ("region_code", text(regions)),
            ("year", Arc::new(Int32Array::from(vec![2024; rows]))),
            ("month", Arc::new(Int32Array::from(months))),
            ("month_end", text(ends)),
            ("programme", text(std::iter::repeat_n(None, rows))),
            ("agency_type", text(std::iter::repeat_n(None, rows))),
            ("value", Arc::new(Float64Array::from(values))),
        ],
    );
}
