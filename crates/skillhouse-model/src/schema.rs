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

/// Columns stored in every `training/end_year=YYYY/*.parquet` file (DESIGN §16), in file order: one accepted
/// trainee row of one class — one 人次. The partition column `end_year` (the year of `end_date`) lives in the path.
/// Files are sorted by `region_code, end_date, provider_id, class_id`.
pub const TRAINING_COLUMNS: [Column; 24] = [
    col("person_key", "Utf8", false, "人员键", "HMAC-SHA256 of the normalised ID number, the same key as certificates"),
    col("birth_date", "Date32", false, "出生日期", "birth date from the ID number"),
    col("gender", "Utf8", false, "性别", "M or F, from the ID number"),
    col("hukou_region", "Utf8", false, "户籍地区", "first six digits of the ID number"),
    col("provider_id", "Utf8", false, "培训机构代码", "training provider (the landing folder)"),
    col("provider_type", "Utf8", false, "培训机构类型", "enterprise, college, social, public, online"),
    col("region_code", "Utf8", false, "统计地区", "region of the provider"),
    col("class_id", "Utf8", false, "班级编号", "the provider's class number; a class is provider_id + class_id"),
    col(
        "training_kind",
        "Utf8",
        false,
        "培训类型",
        "employment, upskilling, entrepreneurship, apprenticeship, gold_collar, other",
    ),
    col("occupation_code", "Utf8", true, "职业编码", "职业分类大典 code; null for entrepreneurship/other without one"),
    col("programme", "Utf8", true, "专项", "programme code 1–10 or 2.1–2.5"),
    col("subsidised", "Boolean", false, "补贴性培训", "a subsidised (补贴性) training place"),
    col("voucher_no", "Utf8", true, "培训券编号", "training voucher number, normalised; each used once"),
    col("organiser", "Utf8", true, "组织单位", "youth_league (共青团) or null"),
    col("start_date", "Date32", false, "开班日期", "first day of the class"),
    col("end_date", "Date32", false, "结业日期", "last day of the class (the row counts in this year)"),
    col("hours_total", "Int32", false, "总课时", "class hours in total"),
    col("hours_practical", "Int32", false, "实操课时", "practical class hours"),
    col("satisfaction", "Float64", true, "满意度", "trainees' satisfaction, 0–100 (per cent)"),
    col("result", "Utf8", false, "培训结果", "passed, failed or dropped (未结业)"),
    col("source_file", "Utf8", false, "来源文件", "landing-relative path of the submitted file"),
    col("source_row", "Int64", false, "来源行号", "1-based line/row number in the source file"),
    col("batch_id", "Utf8", false, "批次", "ingestion batch"),
    col("content_hash", "Utf8", false, "文件哈希", "SHA-256 of the source file"),
];

/// Name of the Hive partition column of `training/`.
pub const TRAINING_PARTITION_COLUMN: &str = "end_year";

/// Columns of `providers/providers.parquet`, the training provider registry as last loaded (DESIGN §16).
pub const PROVIDER_COLUMNS: [Column; 5] = [
    col("provider_id", "Utf8", false, "培训机构代码", "training provider id"),
    col("name", "Utf8", true, "培训机构名称", "provider's name (an organisation, not a person)"),
    col("provider_type", "Utf8", false, "培训机构类型", "enterprise, college, social, public, online"),
    col("region_code", "Utf8", false, "所在地区", "region code (DESIGN §14)"),
    col("registered_on", "Date32", true, "登记日期", "registration date"),
];

/// Columns of `revocations/revocations.parquet`: the revocation register's accepted rows (DESIGN §18).
pub const REVOCATION_COLUMNS: [Column; 6] = [
    col("cert_no", "Utf8", false, "证书编号", "the revoked certificate (an accepted certificate's number)"),
    col("revoked_on", "Date32", false, "撤销日期", "the certificate stops counting in every stock from this date"),
    col("reason", "Utf8", true, "撤销原因", "the office's reason as written (e.g. 弄虚作假)"),
    col("source_file", "Utf8", false, "来源文件", "landing-relative path of the register"),
    col("source_row", "Int64", false, "来源行号", "1-based line/row number in the register"),
    col("batch_id", "Utf8", false, "批次", "ingestion batch"),
];

/// Columns of `renewals/renewals.parquet`: the renewal register's accepted rows (复审, DESIGN §18).
pub const RENEWAL_COLUMNS: [Column; 6] = [
    col("cert_no", "Utf8", false, "证书编号", "the renewed certificate (an accepted certificate's number)"),
    col("renewed_on", "Date32", false, "复审日期", "the renewal's date: a new term in force starts on it"),
    col(
        "valid_until",
        "Date32",
        true,
        "有效期至",
        "the new term's last day in force (有效期至, inclusive); null: the type's validity period from renewed_on",
    ),
    col("source_file", "Utf8", false, "来源文件", "landing-relative path of the register"),
    col("source_row", "Int64", false, "来源行号", "1-based line/row number in the register"),
    col("batch_id", "Utf8", false, "批次", "ingestion batch"),
];
