//! Column names and meanings of the canonical certificate record (DESIGN §5) as stored in the warehouse's
//! `certificates/` Parquet files. Parquet is the only contract between ingestion and querying, so both sides name
//! columns through these constants and `docs/warehouse.md` describes the physical layout.
//!
//! The `issue_year` column is the Hive partition key (`certificates/issue_year=2024/…`); it is in the path, not in
//! the files. `duplicate_claim` is not stored per row: it depends on every certificate of a person, so ingestion
//! writes the flagged cert_nos to `duplicate_claims/` and the query layer joins them into the `certificates` table.

/// One stored column: name, Arrow type as text, nullability and a Chinese / English comment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Column {
    /// Column name.
    pub name: &'static str,
    /// Arrow logical type (`Utf8`, `Date32`, `Int8`, `Int64`, `Boolean`).
    pub arrow_type: &'static str,
    /// Whether nulls are allowed.
    pub nullable: bool,
    /// Chinese comment, shown to analysts.
    pub comment_zh: &'static str,
    /// English comment.
    pub comment_en: &'static str,
}

const fn col(
    name: &'static str,
    arrow_type: &'static str,
    nullable: bool,
    comment_zh: &'static str,
    comment_en: &'static str,
) -> Column {
    Column { name, arrow_type, nullable, comment_zh, comment_en }
}

/// Columns stored in every `certificates/issue_year=YYYY/*.parquet` file, in file order. Files are sorted by
/// `region_code, issue_date, cert_type, level_rank`.
pub const CERTIFICATE_COLUMNS: [Column; 19] = [
    col("cert_no", "Utf8", false, "证书编号", "certificate number, unique in the warehouse"),
    col("cert_type", "Utf8", false, "证书类型", "certificate type code"),
    col("level", "Utf8", true, "等级", "level code (l5…l1, special_grade, chief); null for types without levels"),
    col("level_rank", "Int8", false, "等级序位", "0 none, 1 l5 … 5 l1, 6 special_grade, 7 chief"),
    col("occupation_code", "Utf8", true, "职业编码", "职业分类大典 code D-DD-DD-DD"),
    col("person_key", "Utf8", false, "人员键", "HMAC-SHA256 of the normalised ID number; never the ID"),
    col("birth_date", "Date32", false, "出生日期", "birth date from the ID number"),
    col("gender", "Utf8", false, "性别", "M or F, from the ID number"),
    col("hukou_region", "Utf8", false, "户籍地区", "first six digits of the ID number"),
    col("agency_id", "Utf8", false, "评价机构代码", "issuing agency"),
    col("agency_type", "Utf8", false, "评价机构类型", "enterprise, college, social, special_competence"),
    col("region_code", "Utf8", false, "统计地区", "reporting unit of the issuing agency"),
    col("issue_date", "Date32", false, "发证日期", "issue date"),
    col("programme", "Utf8", true, "专项", "programme code 1–10 or 2.1–2.5"),
    col("is_youth", "Boolean", false, "青年", "aged 16–35 inclusive on the issue date"),
    col("source_file", "Utf8", false, "来源文件", "landing-relative path of the submitted file"),
    col("source_row", "Int64", false, "来源行号", "1-based line/row number in the source file"),
    col("batch_id", "Utf8", false, "批次", "ingestion batch"),
    col("content_hash", "Utf8", false, "文件哈希", "SHA-256 of the source file"),
];

/// Name of the Hive partition column of `certificates/`.
pub const PARTITION_COLUMN: &str = "issue_year";
