//! Who may see what. Two kinds of bearer token:
//!
//! - **dashboard tokens** (`--token`, `--token-file`): the published aggregates — indicators, reference tables, the
//!   snapshot, the per-agency submissions summary. No receipt: a receipt lists rows of one agency's file.
//! - **submitter tokens**, one per evaluation agency or training provider, from a users file (`--api-users FILE`):
//!   that submitter's own receipts (`/api/v1/submissions/{agency_id}/{period}/receipt.xlsx|csv`,
//!   `/api/v1/training/submissions/{provider_id}/{period}/…`) and, for an agency, its own row of
//!   `/api/v1/submissions`; every other data route is 403 to them.
//!
//! Users file (TOML; keep it readable by the server's account only):
//! ```toml
//! [[agency]]
//! agency_id = "A10001"
//! token = "a long random string"
//!
//! [[provider]]
//! provider_id = "P0001"
//! token = "another long random string"
//! ```
//! Tokens are kept as SHA-256 digests and compared in constant time, like the dashboard tokens.

use crate::config::{ServerConfig, Tokens};
use crate::error::{ApiError, Result, ServerError};
use crate::paths::is_public;
use serde::Deserialize;
use sha2::{Digest, Sha256};
use skillhouse_receipts::Input;
use std::path::Path;
use subtle::ConstantTimeEq;

/// The shortest submitter token accepted: a guessable token would hand out an agency's rows.
pub const MIN_TOKEN_LENGTH: usize = 16;

/// One submitter: an agency (certificate files) or a training provider (training files), by its code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Submitter {
    /// Which files are theirs: an agency's certificates or a provider's trainees.
    pub input: Input,
    /// The agency or provider code, as its landing folder is named.
    pub id: String,
}

/// What a request may see, decided once by the guard and handed to the handlers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Access {
    /// No dashboard token is configured and none was needed: the aggregates are open.
    Open,
    /// A dashboard token: aggregates only.
    Dashboard,
    /// A submitter's token: that submitter's submissions and receipts only.
    Submitter(Submitter),
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct UsersFile {
    #[serde(default)]
    agency: Vec<AgencyUser>,
    #[serde(default)]
    provider: Vec<ProviderUser>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AgencyUser {
    agency_id: String,
    token: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ProviderUser {
    provider_id: String,
    token: String,
}

/// The configured submitter tokens.
#[derive(Clone, Default)]
pub struct Submitters {
    entries: Vec<([u8; 32], Submitter)>,
}

impl std::fmt::Debug for Submitters {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Submitters").field("count", &self.entries.len()).finish()
    }
}

impl Submitters {
    /// Submitters from `(submitter, token)` pairs: codes not empty, tokens at least [`MIN_TOKEN_LENGTH`]
    /// characters and each given once.
    pub fn new(users: impl IntoIterator<Item = (Submitter, String)>) -> std::result::Result<Self, String> {
        let mut entries: Vec<([u8; 32], Submitter)> = Vec::new();
        for (submitter, token) in users {
            let token = token.trim();
            if submitter.id.trim().is_empty() {
                return Err("an entry has an empty agency_id or provider_id".into());
            }
            if token.chars().count() < MIN_TOKEN_LENGTH {
                return Err(format!("the token of {} is shorter than {MIN_TOKEN_LENGTH} characters", submitter.id));
            }
            let digest: [u8; 32] = Sha256::digest(token.as_bytes()).into();
            if entries.iter().any(|(d, _)| *d == digest) {
                return Err(format!("the token of {} is given to another entry too", submitter.id));
            }
            entries.push((digest, submitter));
        }
        Ok(Self { entries })
    }

    /// Reads a users file (`[[agency]]` and `[[provider]]` entries). A file with no entry is an error.
    pub fn from_file(path: &Path) -> Result<Self> {
        let bad = |message: String| ServerError::Tokens { path: path.to_path_buf(), message };
        let text = std::fs::read_to_string(path).map_err(|e| bad(e.to_string()))?;
        warn_if_others_can_read(path);
        // The parser's message may quote the file's text (a token): say where only.
        let file: UsersFile = toml::from_str(&text).map_err(|e| {
            let at = e.span().map(|s| text[..s.start.min(text.len())].lines().count().max(1));
            bad(format!(
                "not a users file ([[agency]] agency_id/token, [[provider]] provider_id/token){}",
                at.map(|line| format!(" at line {line}")).unwrap_or_default()
            ))
        })?;
        let agencies = file
            .agency
            .into_iter()
            .map(|u| (Submitter { input: Input::Certificates, id: u.agency_id.trim().to_string() }, u.token));
        let providers = file
            .provider
            .into_iter()
            .map(|u| (Submitter { input: Input::Training, id: u.provider_id.trim().to_string() }, u.token));
        let submitters = Self::new(agencies.chain(providers)).map_err(bad)?;
        if submitters.is_empty() {
            return Err(bad("holds no [[agency]] or [[provider]] entry".into()));
        }
        Ok(submitters)
    }

    /// True when none is configured.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The submitter whose token this is. Every entry is compared, in constant time, so timing tells nothing.
    pub fn find(&self, presented: &str) -> Option<&Submitter> {
        let digest: [u8; 32] = Sha256::digest(presented.as_bytes()).into();
        let mut found = None;
        for (candidate, submitter) in &self.entries {
            if bool::from(candidate.as_slice().ct_eq(digest.as_slice())) {
                found = Some(submitter);
            }
        }
        found
    }

    /// Whether any submitter token is also a dashboard token (the server refuses to start: a token has one role).
    pub(crate) fn overlaps(&self, tokens: &Tokens) -> bool {
        self.entries.iter().any(|(digest, _)| tokens.accepts_digest(digest))
    }
}

#[cfg(unix)]
fn warn_if_others_can_read(path: &Path) {
    use std::os::unix::fs::PermissionsExt;
    if let Ok(meta) = std::fs::metadata(path)
        && meta.permissions().mode() & 0o077 != 0
    {
        tracing::warn!(file = %path.display(), "the API users file is readable by other accounts (chmod 600 it)");
    }
}

#[cfg(not(unix))]
fn warn_if_others_can_read(_path: &Path) {}

/// The receipt routes, each with the input whose files it serves.
pub(crate) const RECEIPT_ROUTES: [(&str, Input); 4] = [
    ("/api/v1/submissions/{agency_id}/{period}/receipt.xlsx", Input::Certificates),
    ("/api/v1/submissions/{agency_id}/{period}/receipt.csv", Input::Certificates),
    ("/api/v1/training/submissions/{provider_id}/{period}/receipt.xlsx", Input::Training),
    ("/api/v1/training/submissions/{provider_id}/{period}/receipt.csv", Input::Training),
];

/// Decides what a request on `route` may see, given the bearer token presented (if any). Public routes need
/// nothing; receipts need a submitter's token (which one is checked against the path by the handler); a submitter's
/// token opens nothing but its receipts and, for an agency, `/api/v1/submissions`; the other data routes need a
/// dashboard token when dashboard tokens are configured.
pub(crate) fn decide(route: &str, presented: Option<&str>, config: &ServerConfig) -> Result<Access, ApiError> {
    if is_public(route) {
        return Ok(Access::Open);
    }
    let submitter = presented.and_then(|token| config.submitters.find(token));
    let dashboard = presented.is_some_and(|token| config.tokens.accepts(token));
    if RECEIPT_ROUTES.iter().any(|(r, _)| *r == route) {
        return match (submitter, dashboard) {
            (Some(submitter), _) => Ok(Access::Submitter(submitter.clone())),
            (None, true) => Err(ApiError::Forbidden {
                message: "receipts are served to the submitting agency's or provider's own token; a dashboard token \
                          sees aggregates only"
                    .into(),
            }),
            (None, false) => Err(ApiError::Unauthorized),
        };
    }
    if let Some(submitter) = submitter {
        if route == "/api/v1/submissions" && submitter.input == Input::Certificates {
            return Ok(Access::Submitter(submitter.clone()));
        }
        return Err(ApiError::Forbidden {
            message: "an agency's or provider's token sees its own submissions and receipts only".into(),
        });
    }
    if config.tokens.is_empty() {
        Ok(Access::Open)
    } else if dashboard {
        Ok(Access::Dashboard)
    } else {
        Err(ApiError::Unauthorized)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const AGENCY_TOKEN: &str = "agency-a-token-0123456789";
    const PROVIDER_TOKEN: &str = "provider-p-token-0123456789";

    fn config(dashboard: &[&str]) -> ServerConfig {
        let mut config = ServerConfig::new("/nowhere");
        config.tokens = Tokens::from_list(dashboard);
        config.submitters = Submitters::new([
            (Submitter { input: Input::Certificates, id: "A".into() }, AGENCY_TOKEN.into()),
            (Submitter { input: Input::Training, id: "P".into() }, PROVIDER_TOKEN.into()),
        ])
        .expect("valid submitters");
        config
    }

    fn code(result: Result<Access, ApiError>) -> Result<Access, &'static str> {
        result.map_err(|e| e.status_and_code().1)
    }

    #[test]
    fn receipts_need_a_submitter_token_and_dashboards_see_aggregates_only() {
        let receipt = RECEIPT_ROUTES[0].0;
        let training_receipt = RECEIPT_ROUTES[2].0;
        for config in [config(&[]), config(&["dash"])] {
            let agency = Access::Submitter(Submitter { input: Input::Certificates, id: "A".into() });
            assert_eq!(code(decide(receipt, Some(AGENCY_TOKEN), &config)), Ok(agency.clone()));
            assert_eq!(code(decide(receipt, None, &config)), Err("unauthorized"));
            assert_eq!(code(decide(receipt, Some("wrong"), &config)), Err("unauthorized"));
            assert_eq!(code(decide("/api/v1/submissions", Some(AGENCY_TOKEN), &config)), Ok(agency));
            assert_eq!(code(decide("/api/v1/regions", Some(AGENCY_TOKEN), &config)), Err("forbidden"));
            assert_eq!(code(decide("/api/v1/submissions", Some(PROVIDER_TOKEN), &config)), Err("forbidden"));
            assert!(matches!(decide(training_receipt, Some(PROVIDER_TOKEN), &config), Ok(Access::Submitter(_))));
            assert_eq!(code(decide("/healthz", None, &config)), Ok(Access::Open));
        }
        let open = config(&[]);
        assert_eq!(code(decide("/api/v1/regions", None, &open)), Ok(Access::Open));
        let guarded = config(&["dash"]);
        assert_eq!(code(decide(RECEIPT_ROUTES[1].0, Some("dash"), &guarded)), Err("forbidden"));
        assert_eq!(code(decide("/api/v1/regions", Some("dash"), &guarded)), Ok(Access::Dashboard));
        assert_eq!(code(decide("/api/v1/regions", None, &guarded)), Err("unauthorized"));
    }

    #[test]
    fn users_files_are_checked() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("users.toml");
        let write = |text: &str| std::fs::write(&path, text).expect("write");
        write(
            "[[agency]]\nagency_id = \"A\"\ntoken = \"0123456789abcdef\"\n[[provider]]\nprovider_id = \"P\"\ntoken = \"fedcba9876543210\"\n",
        );
        let users = Submitters::from_file(&path).expect("a users file");
        assert_eq!(users.find("0123456789abcdef").map(|s| s.id.as_str()), Some("A"));
        assert_eq!(users.find("fedcba9876543210").map(|s| s.input), Some(Input::Training));
        assert_eq!(users.find("0123456789abcde"), None);
        for (text, expected) in [
            ("", "holds no"),
            ("[[agency]]\nagency_id = \"A\"\ntoken = \"short\"\n", "shorter than"),
            ("[[agency]]\nagency_id = \"\"\ntoken = \"0123456789abcdef\"\n", "empty"),
            (
                "[[agency]]\nagency_id = \"A\"\ntoken = \"0123456789abcdef\"\n[[agency]]\nagency_id = \"B\"\ntoken = \"0123456789abcdef\"\n",
                "another entry",
            ),
            ("[[agency]]\nagency_id = \"A\"\npassword = \"secret-secret-secret\"\n", "line"),
        ] {
            write(text);
            let message = Submitters::from_file(&path).expect_err(text).to_string();
            assert!(message.contains(expected), "{text:?}: {message}");
            assert!(!message.contains("secret"), "{message}");
        }
    }
}
