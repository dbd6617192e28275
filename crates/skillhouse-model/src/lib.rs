//! The domain of SkillHouse, with no IO.
//!
//! This crate owns the vocabulary every other crate speaks: certificate types ([`CertType`]), skill levels and
//! their ranks ([`Level`]), evaluation-agency types ([`AgencyType`]), the ten special programmes of the 2025
//! provincial plan ([`Programme`]), the reporting units ([`ReportingUnit`]), resident ID numbers and their
//! validation ([`IdNumber`]), the 22-character certificate-number rule ([`check_skill_level_cert_no`]), the date
//! spellings agencies use ([`parse_date`]), the normal form of identifiers compared as keys ([`normalize_key`]),
//! keyed pseudonymisation ([`PseudonymKey`]), the stable reject reason codes ([`RejectReason`],
//! [`TrainingRejectReason`], [`ReportedRejectReason`], [`RevocationRejectReason`]) with their explanations from the
//! reference data ([`reason_text`]), the training vocabulary of DESIGN §16 ([`TrainingKind`], [`ProviderType`],
//! [`TrainingResult`]) and the column names of the warehouse's records ([`schema`]).
//!
//! Every parser accepts what clerks really type: surrounding spaces, full-width digits and letters, Chinese and
//! English spellings. Parsing is total — a value either maps to exactly one variant or is refused — and every
//! variant's canonical code parses back to itself.
//!
//! It must not depend on any IO, engine or format crate (no polars, DataFusion, arrow, filesystem, network):
//! ingestion, querying and serving all build on it, and it stays cheap to test exhaustively. (The one exception is
//! [`fault`], the crash tests' fault-injection points, which reads one environment variable.)

#[macro_use]
mod reason_code;

mod agency;
mod cert_no;
mod cert_type;
mod date;
pub mod fault;
mod id_number;
mod key;
pub mod layout;
mod level;
mod programme;
mod pseudonym;
mod reason;
mod reason_texts;
mod region;
mod reported;
mod revocation;
pub mod schema;
mod text;
mod training;

pub use agency::AgencyType;
pub use cert_no::{CertNoError, check_skill_level_cert_no};
pub use cert_type::CertType;
pub use date::{age_on, excel_serial_to_date, parse_date};
pub use id_number::{Gender, IdError, IdNumber, id_check_char, mask_id_text};
pub use key::{IdentifierError, is_format_char, normalize_key};
pub use level::Level;
pub use programme::Programme;
pub use pseudonym::{KeyError, PseudonymKey};
pub use reason::{RejectReason, TrainingRejectReason};
pub use reason_texts::{ReasonText, reason_text, reason_texts};
pub use region::{PROVINCE_CODE, ReportingUnit};
pub use reported::{REPORTED_COLUMNS, REPORTED_REQUIRED, ReportedRejectReason};
pub use revocation::RevocationRejectReason;
pub use text::fold_cell;
pub use training::{
    ProviderType, TrainingKind, TrainingResult, YOUTH_LEAGUE, parse_organiser, parse_satisfaction, parse_whole_hours,
    parse_yes_no,
};

/// Youth bounds of the plans (青年): age in whole years on the issue date, inclusive.
pub const YOUTH_MIN_AGE: u32 = 16;
/// Upper youth bound, inclusive (35 周岁).
pub const YOUTH_MAX_AGE: u32 = 35;
/// Minimum age for any certificate (under 16 is rejected as `under_age`).
pub const MIN_CERTIFICATE_AGE: u32 = 16;
/// Minimum age of a trainee on the class's start date (DESIGN §16: under 16 is rejected as `under_age`).
pub const MIN_TRAINING_AGE: u32 = 16;
/// Version of the indicator definitions (口径) this build implements; served with every value.
pub const DEFINITION_VERSION: &str = "2025.1";
