//! The server's settings and the bearer-token set.

use crate::error::{Result, ServerError};
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};
use std::time::Duration;
use subtle::ConstantTimeEq;

/// Default `Cache-Control`: caches may store answers but must revalidate (cheap: a 304 on an unchanged ETag) —
/// what a dashboard polling every few seconds wants.
pub const DEFAULT_CACHE_CONTROL: &str = "no-cache";
/// Default number of requests handled at once; more are shed with 503.
pub const DEFAULT_MAX_CONCURRENCY: usize = 256;
/// Default request timeout.
pub const DEFAULT_REQUEST_TIMEOUT: Duration = Duration::from_secs(10);
/// Default request body limit (the API takes no bodies).
pub const DEFAULT_BODY_LIMIT: usize = 16 * 1024;
/// Default interval between checks of `WAREHOUSE/CURRENT`.
pub const DEFAULT_POLL_INTERVAL: Duration = Duration::from_secs(2);

/// Everything `skillhouse serve` can set.
#[derive(Debug, Clone)]
pub struct ServerConfig {
    /// The warehouse whose published snapshot is served.
    pub warehouse: PathBuf,
    /// Small-cell suppression threshold k (counts below it are withheld).
    pub suppress_k: i64,
    /// `Cache-Control` of successful data answers.
    pub cache_control: String,
    /// Accepted dashboard bearer tokens (aggregates); empty means the aggregates need no token.
    pub tokens: Tokens,
    /// Agencies' and training providers' own tokens (`--api-users FILE`): their receipts and submissions only
    /// ([`crate::access`]).
    pub submitters: crate::access::Submitters,
    /// Origins allowed by CORS; empty means CORS is off. `*` allows any origin.
    pub cors_origins: Vec<String>,
    /// Requests handled at once; more are answered 503 at once.
    pub max_concurrency: usize,
    /// Longest time a request may take before it is answered 503.
    pub request_timeout: Duration,
    /// Largest request body accepted, in bytes.
    pub body_limit: usize,
    /// How often `CURRENT` is checked for a newly published snapshot.
    pub poll_interval: Duration,
    /// The nightly rebuild the server runs itself (`--rebuild-at`); none by default.
    pub rebuild: Option<crate::rebuild::ScheduledRebuild>,
}

impl ServerConfig {
    /// The defaults for a warehouse: k = 10, no tokens, no CORS.
    pub fn new(warehouse: impl Into<PathBuf>) -> Self {
        Self {
            warehouse: warehouse.into(),
            suppress_k: crate::suppress::DEFAULT_SUPPRESSION_K,
            cache_control: DEFAULT_CACHE_CONTROL.to_string(),
            tokens: Tokens::default(),
            submitters: crate::access::Submitters::default(),
            cors_origins: Vec::new(),
            max_concurrency: DEFAULT_MAX_CONCURRENCY,
            request_timeout: DEFAULT_REQUEST_TIMEOUT,
            body_limit: DEFAULT_BODY_LIMIT,
            poll_interval: DEFAULT_POLL_INTERVAL,
            rebuild: None,
        }
    }

    /// Refuses settings that cannot work.
    pub fn validate(&self) -> Result<()> {
        if self.max_concurrency == 0 {
            return Err(ServerError::Config("--max-concurrency must be at least 1".into()));
        }
        if self.suppress_k < 1 {
            return Err(ServerError::Config("--suppress-k must be at least 1".into()));
        }
        if self.request_timeout.is_zero() || self.poll_interval.is_zero() {
            return Err(ServerError::Config("timeouts and intervals must be positive".into()));
        }
        if axum::http::HeaderValue::from_str(&self.cache_control).is_err() {
            return Err(ServerError::Config(format!("`{}` is not a valid Cache-Control value", self.cache_control)));
        }
        if self.submitters.overlaps(&self.tokens) {
            return Err(ServerError::Config(
                "a token is both a dashboard token and an agency's or provider's token; give each its own".into(),
            ));
        }
        for origin in &self.cors_origins {
            if axum::http::HeaderValue::from_str(origin).is_err() {
                return Err(ServerError::Config(format!("`{origin}` is not a valid CORS origin")));
            }
        }
        Ok(())
    }
}

/// Accepted bearer tokens, kept as SHA-256 digests and compared in constant time.
#[derive(Clone, Default)]
pub struct Tokens {
    digests: Vec<[u8; 32]>,
}

impl std::fmt::Debug for Tokens {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Tokens").field("count", &self.digests.len()).finish()
    }
}

impl Tokens {
    /// Tokens from strings (blank ones ignored).
    pub fn from_list<I, S>(tokens: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let digests = tokens
            .into_iter()
            .filter_map(|t| Some(t.as_ref().trim().to_string()).filter(|t| !t.is_empty()))
            .map(|t| Sha256::digest(t.as_bytes()).into())
            .collect();
        Self { digests }
    }

    /// Tokens from a file: one per line; blank lines and `#` comments ignored. An empty file is an error (it
    /// would silently turn authentication off).
    pub fn from_file(path: &Path) -> Result<Self> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| ServerError::Tokens { path: path.to_path_buf(), message: e.to_string() })?;
        let tokens = Self::from_list(text.lines().filter(|l| !l.trim_start().starts_with('#')));
        if tokens.is_empty() {
            return Err(ServerError::Tokens { path: path.to_path_buf(), message: "holds no token".into() });
        }
        Ok(tokens)
    }

    /// Both sets of tokens.
    pub fn merged(mut self, other: Tokens) -> Self {
        self.digests.extend(other.digests);
        self
    }

    /// True when no token is configured (authentication off).
    pub fn is_empty(&self) -> bool {
        self.digests.is_empty()
    }

    /// Whether a token's SHA-256 digest is one of the tokens' (constant time, as [`Tokens::accepts`]).
    pub(crate) fn accepts_digest(&self, digest: &[u8; 32]) -> bool {
        let mut found = subtle::Choice::from(0);
        for candidate in &self.digests {
            found |= candidate.as_slice().ct_eq(digest.as_slice());
        }
        found.into()
    }

    /// Whether `presented` is one of the tokens. Digests of equal length are compared in constant time, and every
    /// token is compared, so neither timing nor length reveals a token.
    pub fn accepts(&self, presented: &str) -> bool {
        let digest: [u8; 32] = Sha256::digest(presented.as_bytes()).into();
        let mut found = subtle::Choice::from(0);
        for candidate in &self.digests {
            found |= candidate.as_slice().ct_eq(digest.as_slice());
        }
        found.into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_match_exactly() {
        let tokens = Tokens::from_list(["alpha", " beta ", ""]);
        assert!(tokens.accepts("alpha") && tokens.accepts("beta"));
        assert!(!tokens.accepts("alph") && !tokens.accepts("") && !tokens.accepts("alpha "));
        assert!(Tokens::default().is_empty());
    }
}
