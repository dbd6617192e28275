//! A loaded snapshot as the server holds it: suppressed indicator values, lookups for validating parameters, and
//! every unfiltered answer precomputed in each format with its ETag. Built once per snapshot, then shared read-only
//! (an `Arc`) by every request that started on it.

use crate::error::{ApiError, Result, ServerError};
use crate::load::{SnapshotFiles, ValueRow};
use crate::monthly::{MonthlyRow, monthly_table, suppress_monthly};
use crate::suppress::{SuppressionReport, SuppressionRules, disclosures, suppress};
use crate::table::{Cell, ColumnType, Table};
use axum::body::Bytes;
use axum::http::HeaderValue;
use sha2::{Digest, Sha256};
use skillhouse_query::Manifest;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::time::SystemTime;

/// A representation a client can ask for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Format {
    /// `application/json` (default).
    Json,
    /// `text/csv` with a header row.
    Csv,
    /// `application/vnd.apache.arrow.stream` (Arrow IPC stream).
    Arrow,
    /// An Excel workbook of one sheet (the table with a header row), for people who print or file it.
    Xlsx,
}

impl Format {
    /// Every format.
    pub const ALL: [Self; 4] = [Self::Json, Self::Csv, Self::Arrow, Self::Xlsx];

    /// The formats every unfiltered answer is prepared in when a snapshot is loaded; workbooks are written on
    /// request (few ask, and they cost more to write).
    pub const PREPARED: [Self; 3] = [Self::Json, Self::Csv, Self::Arrow];

    /// The `?format=` value.
    pub const fn name(self) -> &'static str {
        match self {
            Self::Json => "json",
            Self::Csv => "csv",
            Self::Arrow => "arrow",
            Self::Xlsx => "xlsx",
        }
    }

    /// The media type.
    pub const fn content_type(self) -> &'static str {
        match self {
            Self::Json => "application/json",
            Self::Csv => "text/csv; charset=utf-8",
            Self::Arrow => "application/vnd.apache.arrow.stream",
            Self::Xlsx => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        }
    }
}

/// What a data request asks for.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Resource {
    /// `/api/v1/indicators`.
    Catalogue,
    /// `/api/v1/indicators/{indicator_id}`.
    Values(String),
    /// `/api/v1/regions`.
    Regions,
    /// `/api/v1/programmes`.
    Programmes,
    /// `/api/v1/targets`.
    Targets,
    /// `/api/v1/snapshot`.
    Snapshot,
    /// `/api/v1/submissions`.
    Submissions,
    /// `/api/v1/monthly`: month-to-date cumulative flows (序时进度's course through the year).
    Monthly,
    /// `/api/v1/targets/progress`: every target with its value, gap, status and basis (DESIGN §17).
    Progress,
}

impl Resource {
    /// The request path.
    pub fn path(&self) -> String {
        match self {
            Self::Catalogue => "/api/v1/indicators".into(),
            Self::Values(id) => format!("/api/v1/indicators/{id}"),
            Self::Regions => "/api/v1/regions".into(),
            Self::Programmes => "/api/v1/programmes".into(),
            Self::Targets => "/api/v1/targets".into(),
            Self::Snapshot => "/api/v1/snapshot".into(),
            Self::Submissions => "/api/v1/submissions".into(),
            Self::Monthly => "/api/v1/monthly".into(),
            Self::Progress => "/api/v1/targets/progress".into(),
        }
    }
}

/// Validated filters of `/api/v1/indicators/{indicator_id}` and `/api/v1/monthly`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct Filters {
    /// Indicator id (`/api/v1/monthly` only).
    pub indicator: Option<String>,
    /// Region code.
    pub region: Option<String>,
    /// Year.
    pub year: Option<i64>,
    /// Programme code.
    pub programme: Option<String>,
    /// Agency type.
    pub agency_type: Option<String>,
    /// Only this agency's row of `/api/v1/submissions`: set from an agency's own token, never from the query.
    pub agency_id: Option<String>,
}

impl Filters {
    /// True when nothing is filtered.
    pub fn is_empty(&self) -> bool {
        self.indicator.is_none()
            && self.region.is_none()
            && self.year.is_none()
            && self.programme.is_none()
            && self.agency_type.is_none()
            && self.agency_id.is_none()
    }

    /// The filters in a fixed order (`region=…&year=…`), part of the cache key.
    pub fn normalized(&self) -> String {
        let mut parts = Vec::new();
        if let Some(indicator) = &self.indicator {
            parts.push(format!("indicator={indicator}"));
        }
        if let Some(region) = &self.region {
            parts.push(format!("region={region}"));
        }
        if let Some(year) = self.year {
            parts.push(format!("year={year}"));
        }
        if let Some(programme) = &self.programme {
            parts.push(format!("programme={programme}"));
        }
        if let Some(agency_type) = &self.agency_type {
            parts.push(format!("agency_type={agency_type}"));
        }
        if let Some(agency_id) = &self.agency_id {
            parts.push(format!("agency_id={agency_id}"));
        }
        parts.join("&")
    }

    fn keeps(&self, row: &ValueRow) -> bool {
        self.region.as_ref().is_none_or(|r| row.region_code.as_ref() == Some(r))
            && self.year.is_none_or(|y| row.year == Some(y))
            && self.programme.as_ref().is_none_or(|p| row.programme.as_ref() == Some(p))
            && self.agency_type.as_ref().is_none_or(|a| row.agency_type.as_ref() == Some(a))
    }

    fn keeps_month(&self, row: &MonthlyRow) -> bool {
        self.indicator.as_ref().is_none_or(|i| &row.indicator_id == i)
            && self.region.as_ref().is_none_or(|r| row.region_code.as_ref() == Some(r))
            && self.year.is_none_or(|y| row.year == Some(y))
            && self.programme.as_ref().is_none_or(|p| row.programme.as_ref() == Some(p))
    }
}

/// A precomputed answer.
#[derive(Debug, Clone)]
pub struct Prepared {
    /// The body.
    pub body: Bytes,
    /// Its strong ETag (quoted).
    pub etag: HeaderValue,
}

/// Columns of an indicator's values.
pub const VALUE_COLUMNS: [(&str, ColumnType); 25] = [
    ("indicator_id", ColumnType::Text),
    ("region_code", ColumnType::Text),
    ("year", ColumnType::Int),
    ("programme", ColumnType::Text),
    ("agency_type", ColumnType::Text),
    ("value", ColumnType::Float),
    ("numerator", ColumnType::Int),
    ("denominator", ColumnType::Int),
    ("target", ColumnType::Float),
    ("gap", ColumnType::Float),
    ("status", ColumnType::Text),
    ("definition_version", ColumnType::Text),
    ("reference_target", ColumnType::Float),
    ("reference_comparator", ColumnType::Text),
    ("reference_year", ColumnType::Int),
    ("reference_status", ColumnType::Text),
    ("suppressed", ColumnType::Bool),
    ("elapsed_share", ColumnType::Float),
    ("expected_to_date", ColumnType::Float),
    ("pace_status", ColumnType::Text),
    ("basis", ColumnType::Text),
    ("basis_zh", ColumnType::Text),
    ("basis_en", ColumnType::Text),
    ("reported_by", ColumnType::Text),
    ("reported_on", ColumnType::Text),
];

/// How a value's basis (DESIGN §17) reads, in Chinese and in English: the API's `basis_zh` / `basis_en` and the
/// page's labels.
pub fn basis_words(basis: &str) -> (&'static str, &'static str) {
    match basis {
        "computed" => ("据记录计算", "computed from the records"),
        "reported" => ("单位上报", "reported by an office"),
        "no_data" => ("暂无数据", "no data yet"),
        _ => ("未知", "unknown"),
    }
}

/// Columns of the `/api/v1/snapshot` answer in CSV and Arrow (one row per stored table).
pub const SNAPSHOT_COLUMNS: [(&str, ColumnType); 6] = [
    ("snapshot_id", ColumnType::Text),
    ("as_of", ColumnType::Text),
    ("built_at", ColumnType::Text),
    ("definition_version", ColumnType::Text),
    ("table", ColumnType::Text),
    ("rows", ColumnType::Int),
];

/// A snapshot ready to serve.
#[derive(Debug)]
pub struct Published {
    /// Snapshot id.
    pub id: String,
    /// Its manifest.
    pub manifest: Manifest,
    /// When this server finished loading it.
    pub loaded_at: SystemTime,
    /// The suppression threshold applied.
    pub k: i64,
    /// What suppression withheld.
    pub suppression: SuppressionReport,
    catalogue: Table,
    values: BTreeMap<String, Vec<ValueRow>>,
    indicator_entries: HashMap<String, serde_json::Value>,
    region_codes: BTreeSet<String>,
    programme_codes: BTreeSet<String>,
    agency_types: BTreeSet<String>,
    regions: Table,
    programmes: Table,
    targets: Table,
    submissions: Table,
    submissions_hash: String,
    monthly: Vec<MonthlyRow>,
    monthly_ids: BTreeSet<String>,
    progress: Table,
    prepared: HashMap<(Resource, Format), Prepared>,
    openapi: std::sync::OnceLock<Bytes>,
}

impl Published {
    /// Suppresses, indexes and precomputes a snapshot read from disk.
    pub fn build(files: SnapshotFiles, k: i64) -> Result<Self> {
        let SnapshotFiles {
            manifest,
            catalogue,
            mut values,
            regions,
            programmes,
            targets,
            agency_types,
            reportable,
            submissions,
            monthly,
            submissions_hash,
        } = files;
        let province = skillhouse_model::PROVINCE_CODE.to_string();
        let programme_parent: HashMap<String, String> = programmes
            .text_column("programme")
            .into_iter()
            .zip(programmes.text_column("parent"))
            .filter_map(|(p, parent)| Some((p?, parent.filter(|s| !s.is_empty())?)))
            .collect();
        let disclosures = disclosures(&catalogue, &manifest.snapshot_id)?;
        let rules = SuppressionRules { k, province, programme_parent, disclosures };
        let suppression = suppress(&mut values, &rules);
        let mut monthly = monthly;
        suppress_monthly(&mut monthly, &rules);
        let monthly_ids: BTreeSet<String> = monthly.iter().map(|r| r.indicator_id.clone()).collect();
        let submissions = crate::small_counts::suppress_submissions(&submissions, k);

        let mut by_indicator: BTreeMap<String, Vec<ValueRow>> = BTreeMap::new();
        let mut indicator_entries = HashMap::new();
        let catalogue_json = catalogue.json_rows();
        for (id, entry) in
            catalogue.text_column("indicator_id").into_iter().zip(catalogue_json.as_array().into_iter().flatten())
        {
            if let Some(id) = id {
                by_indicator.insert(id.clone(), Vec::new());
                indicator_entries.insert(id, entry.clone());
            }
        }
        for row in values {
            by_indicator.entry(row.indicator_id.clone()).or_default().push(row);
        }
        let progress = crate::progress::progress_table(&targets, &by_indicator, &catalogue, &reportable, &regions);
        let codes = |table: &Table, column: &str| -> BTreeSet<String> {
            table.text_column(column).into_iter().flatten().collect()
        };
        let mut published = Self {
            id: manifest.snapshot_id.clone(),
            loaded_at: SystemTime::now(),
            k,
            suppression,
            region_codes: codes(&regions, "region_code"),
            programme_codes: codes(&programmes, "programme"),
            agency_types: codes(&agency_types, "agency_type"),
            manifest,
            catalogue,
            values: by_indicator,
            indicator_entries,
            regions,
            programmes,
            targets,
            submissions,
            submissions_hash,
            monthly,
            monthly_ids,
            progress,
            prepared: HashMap::new(),
            openapi: std::sync::OnceLock::new(),
        };
        let mut resources = vec![
            Resource::Catalogue,
            Resource::Regions,
            Resource::Programmes,
            Resource::Targets,
            Resource::Snapshot,
            Resource::Submissions,
            Resource::Monthly,
            Resource::Progress,
        ];
        resources.extend(published.values.keys().cloned().map(Resource::Values));
        let unfiltered = Filters::default();
        for resource in resources {
            for format in Format::PREPARED {
                let body = published
                    .render(&resource, &unfiltered, format)
                    .map_err(|source| ServerError::Encode { what: resource.path(), source })?;
                let etag = published.etag(&resource, &unfiltered, format);
                published.prepared.insert((resource.clone(), format), Prepared { body, etag });
            }
        }
        Ok(published)
    }

    /// Reads the warehouse's published snapshot and prepares it as the server serves it, with suppression
    /// threshold `k`. Blocking: call it off an async runtime's workers.
    pub fn open_current(warehouse: &std::path::Path, k: i64) -> Result<Self> {
        let id = crate::load::current_snapshot_id(warehouse)?.ok_or_else(|| ServerError::Snapshot {
            warehouse: warehouse.to_path_buf(),
            source: Box::new(skillhouse_query::QueryError::NoSnapshot { warehouse: warehouse.to_path_buf() }),
        })?;
        Self::build(crate::load::read_snapshot(warehouse, &id)?, k)
    }

    /// The published values of one indicator, suppression applied; empty for an unknown id.
    pub fn values(&self, indicator_id: &str) -> &[ValueRow] {
        self.values.get(indicator_id).map_or(&[], Vec::as_slice)
    }

    /// The indicator catalogue (`indicators.parquet`): one row per indicator, its header's fields as columns.
    pub fn catalogue(&self) -> &Table {
        &self.catalogue
    }

    /// The reporting units and the province (`dims/regions.parquet`).
    pub fn regions(&self) -> &Table {
        &self.regions
    }

    /// The programmes (`dims/programmes.parquet`).
    pub fn programmes(&self) -> &Table {
        &self.programmes
    }

    /// The definition version the snapshot was built with.
    pub fn definition_version(&self) -> &str {
        &self.manifest.definition_version
    }

    /// Region codes of the snapshot's regions.
    pub fn region_codes(&self) -> Vec<String> {
        self.region_codes.iter().cloned().collect()
    }

    /// Programme codes of the snapshot's programmes.
    pub fn programme_codes(&self) -> Vec<String> {
        self.programme_codes.iter().cloned().collect()
    }

    /// Agency types of the snapshot.
    pub fn agency_type_codes(&self) -> Vec<String> {
        self.agency_types.iter().cloned().collect()
    }

    /// The OpenAPI document with this snapshot's ids and codes, rendered by `render` the first time it is asked
    /// for and kept with the snapshot. (The document is the `openapi` module's to write; this only keeps it.)
    pub(crate) fn openapi_with(&self, render: impl FnOnce(&Self) -> Bytes) -> Bytes {
        self.openapi.get_or_init(|| render(self)).clone()
    }

    /// Ids of the indicators with monthly cumulative values (`/api/v1/monthly`), sorted.
    pub fn monthly_indicator_ids(&self) -> Vec<String> {
        self.monthly_ids.iter().cloned().collect()
    }

    /// Indicator ids, sorted.
    pub fn indicator_ids(&self) -> Vec<String> {
        self.values.keys().cloned().collect()
    }

    /// Checks a resource and its filters against the snapshot: 404 for an unknown indicator or region, 400 for an
    /// unknown programme or agency type.
    pub fn validate(&self, resource: &Resource, filters: &Filters) -> Result<(), ApiError> {
        if let Resource::Values(id) = resource
            && !self.values.contains_key(id)
        {
            return Err(ApiError::UnknownIndicator { id: id.clone(), valid: self.indicator_ids() });
        }
        if let Some(id) = &filters.indicator
            && !self.monthly_ids.contains(id)
        {
            return Err(ApiError::UnknownIndicator { id: id.clone(), valid: self.monthly_indicator_ids() });
        }
        if let Some(region) = &filters.region
            && !self.region_codes.contains(region)
        {
            return Err(ApiError::UnknownRegion {
                code: region.clone(),
                valid: self.region_codes.iter().cloned().collect(),
            });
        }
        let closed = |name: &str, value: &Option<String>, valid: &BTreeSet<String>| match value {
            Some(v) if !valid.contains(v) => Err(ApiError::BadParameter {
                name: name.to_string(),
                message: format!("unknown {name} `{v}`"),
                valid: valid.iter().cloned().collect(),
            }),
            _ => Ok(()),
        };
        closed("programme", &filters.programme, &self.programme_codes)?;
        closed("agency_type", &filters.agency_type, &self.agency_types)
    }

    /// The strong ETag of an answer: a digest of the snapshot id, the definition version, the suppression threshold,
    /// the resource, its normalized filters and the format (and, for submissions, the digest of the summary file
    /// it was read from).
    pub fn etag(&self, resource: &Resource, filters: &Filters, format: Format) -> HeaderValue {
        let mut digest = Sha256::new();
        for part in [
            self.id.as_str(),
            self.definition_version(),
            &self.k.to_string(),
            &resource.path(),
            &filters.normalized(),
            format.name(),
        ] {
            digest.update(part.as_bytes());
            digest.update([0]);
        }
        if *resource == Resource::Submissions {
            digest.update(self.submissions_hash.as_bytes());
        }
        let hash = hex::encode(&digest.finalize()[..16]);
        HeaderValue::from_str(&format!("\"{hash}\"")).unwrap_or_else(|_| HeaderValue::from_static("\"invalid\""))
    }

    /// The body of an answer: the precomputed one when unfiltered, else rendered now.
    pub fn body(&self, resource: &Resource, filters: &Filters, format: Format) -> Result<Bytes, ApiError> {
        if filters.is_empty()
            && let Some(prepared) = self.prepared.get(&(resource.clone(), format))
        {
            return Ok(prepared.body.clone());
        }
        self.render(resource, filters, format)
    }

    /// The precomputed ETag of an unfiltered answer, if there is one (avoids hashing on the hot path).
    pub fn prepared_etag(&self, resource: &Resource, format: Format) -> Option<&HeaderValue> {
        self.prepared.get(&(resource.clone(), format)).map(|p| &p.etag)
    }

    fn table(&self, resource: &Resource, filters: &Filters) -> Table {
        match resource {
            Resource::Catalogue => self.catalogue.clone(),
            Resource::Values(id) => {
                let mut table = Table::new(&VALUE_COLUMNS);
                for row in self.values.get(id).into_iter().flatten().filter(|r| filters.keeps(r)) {
                    table.rows.push(vec![
                        Cell::Text(row.indicator_id.clone()),
                        row.region_code.clone().into(),
                        row.year.into(),
                        row.programme.clone().into(),
                        row.agency_type.clone().into(),
                        row.value.into(),
                        row.numerator.into(),
                        row.denominator.into(),
                        row.target.into(),
                        row.gap.into(),
                        Cell::Text(row.status.clone()),
                        Cell::Text(row.definition_version.clone()),
                        row.reference_target.into(),
                        row.reference_comparator.clone().into(),
                        row.reference_year.into(),
                        row.reference_status.clone().into(),
                        Cell::Bool(row.suppressed),
                        row.elapsed_share.into(),
                        row.expected_to_date.into(),
                        row.pace_status.clone().into(),
                        Cell::Text(row.basis.clone()),
                        Cell::Text(basis_words(&row.basis).0.to_string()),
                        Cell::Text(basis_words(&row.basis).1.to_string()),
                        row.reported_by.clone().into(),
                        row.reported_on.clone().into(),
                    ]);
                }
                table
            }
            Resource::Regions => self.regions.clone(),
            Resource::Programmes => self.programmes.clone(),
            Resource::Targets => self.targets.clone(),
            Resource::Monthly => monthly_table(self.monthly.iter().filter(|r| filters.keeps_month(r))),
            Resource::Progress => self.progress.clone(),
            Resource::Submissions => match &filters.agency_id {
                None => self.submissions.clone(),
                Some(agency_id) => {
                    let mut table = Table { columns: self.submissions.columns.clone(), rows: Vec::new() };
                    let ids = self.submissions.text_column("agency_id");
                    for (row, id) in self.submissions.rows.iter().zip(ids) {
                        if id.as_deref() == Some(agency_id.as_str()) {
                            table.rows.push(row.clone());
                        }
                    }
                    table
                }
            },
            Resource::Snapshot => {
                let mut table = Table::new(&SNAPSHOT_COLUMNS);
                let m = &self.manifest;
                for (name, rows) in crate::small_counts::published_row_counts(&m.row_counts, self.k) {
                    table.rows.push(vec![
                        Cell::Text(m.snapshot_id.clone()),
                        Cell::Text(m.as_of.clone()),
                        Cell::Text(m.built_at.clone()),
                        Cell::Text(m.definition_version.clone()),
                        Cell::Text(name),
                        rows.map_or(Cell::Null, |n| Cell::Int(i64::try_from(n).unwrap_or(i64::MAX))),
                    ]);
                }
                table
            }
        }
    }

    fn render(&self, resource: &Resource, filters: &Filters, format: Format) -> Result<Bytes, ApiError> {
        let table = self.table(resource, filters);
        let bytes = match format {
            Format::Csv => table.to_csv(),
            Format::Arrow => table.to_arrow_ipc()?,
            Format::Xlsx => table.to_xlsx()?,
            Format::Json => {
                let mut envelope = serde_json::json!({
                    "snapshot_id": self.id,
                    "definition_version": self.definition_version(),
                });
                match resource {
                    Resource::Snapshot => {
                        let m = &self.manifest;
                        envelope["as_of"] = m.as_of.clone().into();
                        envelope["built_at"] = m.built_at.clone().into();
                        envelope["row_counts"] =
                            serde_json::json!(crate::small_counts::published_row_counts(&m.row_counts, self.k));
                        envelope["suppression"] = serde_json::json!({
                            "k": self.k,
                            "primary_cells": self.suppression.primary,
                            "complementary_cells": self.suppression.complementary,
                            "rows": self.suppression.rows,
                        });
                    }
                    Resource::Values(id) => {
                        envelope["indicator"] = self.indicator_entries.get(id).cloned().unwrap_or_default();
                        envelope["suppression_k"] = self.k.into();
                        envelope["filters"] = serde_json::json!({
                            "region": filters.region,
                            "year": filters.year,
                            "programme": filters.programme,
                            "agency_type": filters.agency_type,
                        });
                        envelope["data"] = table.json_rows();
                    }
                    Resource::Monthly => {
                        envelope["as_of"] = self.manifest.as_of.clone().into();
                        envelope["suppression_k"] = self.k.into();
                        envelope["filters"] = serde_json::json!({
                            "indicator": filters.indicator,
                            "region": filters.region,
                            "year": filters.year,
                            "programme": filters.programme,
                        });
                        envelope["data"] = table.json_rows();
                    }
                    Resource::Catalogue
                    | Resource::Regions
                    | Resource::Programmes
                    | Resource::Targets
                    | Resource::Submissions
                    | Resource::Progress => envelope["data"] = table.json_rows(),
                }
                serde_json::to_vec(&envelope).map_err(|e| ApiError::Internal(format!("encoding JSON: {e}")))?
            }
        };
        Ok(Bytes::from(bytes))
    }

    /// Seconds between the snapshot's build and now (`None` if `built_at` is unreadable).
    pub fn age_seconds(&self) -> Option<f64> {
        let built = chrono::DateTime::parse_from_rfc3339(&self.manifest.built_at).ok()?;
        let age = chrono::Utc::now().signed_duration_since(built);
        Some(age.num_milliseconds() as f64 / 1000.0)
    }
}
