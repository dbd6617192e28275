//! The warehouse's folder and file names (`docs/warehouse.md`), in one place: ingestion writes them, the query
//! layer builds and reads them, the server and the Postgres front end serve from them. Paths are joined by each
//! crate's IO code; this module only names.

/// `WAREHOUSE/CURRENT`: the published snapshot's id, replaced atomically by rename.
pub const CURRENT_FILE: &str = "CURRENT";
/// `WAREHOUSE/.lock`: held by the one ingest or rebuild running.
pub const LOCK_FILE: &str = ".lock";
/// `WAREHOUSE/snapshots/<id>/`: the built snapshots.
pub const SNAPSHOTS_DIR: &str = "snapshots";

/// Accepted certificates, Hive-partitioned by issue year.
pub const CERTIFICATES_DIR: &str = "certificates";
/// Rejected certificate rows, one file per submitted file.
pub const REJECTS_DIR: &str = "rejects";
/// Duplicate claims, brought up to date by every ingest.
pub const DUPLICATE_CLAIMS_DIR: &str = "duplicate_claims";
/// The one file of [`DUPLICATE_CLAIMS_DIR`].
pub const DUPLICATE_CLAIMS_FILE: &str = "duplicate_claims.parquet";
/// The evaluation agency registry as last loaded.
pub const AGENCIES_DIR: &str = "agencies";
/// The one file of [`AGENCIES_DIR`].
pub const AGENCIES_FILE: &str = "agencies.parquet";
/// The ledger: one row per submitted file.
pub const LEDGER_DIR: &str = "ledger";
/// The one file of [`LEDGER_DIR`].
pub const LEDGER_FILE: &str = "ledger.parquet";
/// Caches ingestion keeps beside the data (never data).
pub const INDEX_DIR: &str = "index";
/// The certificate fingerprints a batch starts from, in [`INDEX_DIR`] (a cache; the ingest crate's `claims`).
pub const CERTIFICATE_KEYS_FILE: &str = "certificate_keys.bin";
/// Accepted training rows (DESIGN §16), Hive-partitioned by class end year.
pub const TRAINING_DIR: &str = "training";
/// Rejected training rows, one file per submitted file.
pub const TRAINING_REJECTS_DIR: &str = "training_rejects";
/// The training provider registry as last loaded.
pub const PROVIDERS_DIR: &str = "providers";
/// The one file of [`PROVIDERS_DIR`].
pub const PROVIDERS_FILE: &str = "providers.parquet";

/// The HR office's revocation register as last loaded (DESIGN §18): accepted rows.
pub const REVOCATIONS_DIR: &str = "revocations";
/// The one file of [`REVOCATIONS_DIR`].
pub const REVOCATIONS_FILE: &str = "revocations.parquet";
/// Rejected rows of the revocation register as last loaded.
pub const REVOCATION_REJECTS_DIR: &str = "revocation_rejects";
/// The one file of [`REVOCATION_REJECTS_DIR`].
pub const REVOCATION_REJECTS_FILE: &str = "revocation_rejects.parquet";
/// The renewal register (复审) as last loaded: accepted rows.
pub const RENEWALS_DIR: &str = "renewals";
/// The one file of [`RENEWALS_DIR`].
pub const RENEWALS_FILE: &str = "renewals.parquet";
/// Rejected rows of the renewal register as last loaded.
pub const RENEWAL_REJECTS_DIR: &str = "renewal_rejects";
/// The one file of [`RENEWAL_REJECTS_DIR`].
pub const RENEWAL_REJECTS_FILE: &str = "renewal_rejects.parquet";

/// A snapshot's manifest, written last by its build.
pub const MANIFEST_FILE: &str = "manifest.json";
/// A snapshot's reference tables (`dims/<name>.parquet`).
pub const DIMS_DIR: &str = "dims";
/// A snapshot's models (`models/<id>.parquet` or `models/<id>/year=YYYY/…`).
pub const MODELS_DIR: &str = "models";
/// A snapshot's indicator values.
pub const INDICATOR_VALUES_FILE: &str = "indicator_values.parquet";
/// A snapshot's indicator catalogue.
pub const INDICATORS_FILE: &str = "indicators.parquet";

/// The reported figures in force (DESIGN §17), one row per key: the latest file's.
pub const REPORTED_DIR: &str = "reported";
/// The one file of [`REPORTED_DIR`].
pub const REPORTED_FILE: &str = "reported.parquet";
/// Rejected rows of reported-figures files, one file per submitted file.
pub const REPORTED_REJECTS_DIR: &str = "reported_rejects";
