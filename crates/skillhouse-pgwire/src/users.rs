//! Who may connect: users with passwords, from `--pg-user`/`--pg-password` and a TOML users file, checked with
//! SCRAM-SHA-256 (the password never crosses the wire, not even hashed with MD5).
//!
//! Users file:
//! ```toml
//! [[user]]
//! name = "zhengzhou_analyst"
//! password = "a long random passphrase"
//! ```
//! Keep it readable by the server's account only; the server warns when others may read it.

use crate::error::{PgError, Result};
use datafusion_postgres::pgwire::api::auth::sasl::scram::gen_salted_password;
use datafusion_postgres::pgwire::api::auth::{AuthSource, LoginInfo, Password};
use datafusion_postgres::pgwire::error::PgWireResult;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::Path;

/// SCRAM iteration count: pgwire's default, the Postgres default, and the RFC minimum.
const SCRAM_ITERATIONS: usize = 4096;

/// One user as configured.
#[derive(Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PgUser {
    /// Login name.
    pub name: String,
    /// Password.
    pub password: String,
}

impl std::fmt::Debug for PgUser {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PgUser").field("name", &self.name).finish_non_exhaustive()
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct UsersFile {
    #[serde(default)]
    user: Vec<PgUser>,
}

/// Reads a users file (`[[user]] name = …, password = …`).
pub fn read_users_file(path: &Path) -> Result<Vec<PgUser>> {
    let text = std::fs::read_to_string(path).map_err(|source| PgError::Io { path: path.to_path_buf(), source })?;
    warn_if_others_can_read(path);
    let file: UsersFile =
        toml::from_str(&text).map_err(|source| PgError::UsersFile { path: path.to_path_buf(), source })?;
    Ok(file.user)
}

#[cfg(unix)]
fn warn_if_others_can_read(path: &Path) {
    use std::os::unix::fs::PermissionsExt;
    if let Ok(meta) = std::fs::metadata(path)
        && meta.permissions().mode() & 0o077 != 0
    {
        tracing::warn!(file = %path.display(), "the Postgres users file is readable by other accounts (chmod 600 it)");
    }
}

#[cfg(not(unix))]
fn warn_if_others_can_read(_path: &Path) {}

/// The SCRAM verifier of one user: a random salt and the salted password derived from it.
#[derive(Clone)]
struct Verifier {
    salt: Vec<u8>,
    salted_password: Vec<u8>,
}

/// The accepted users, as SCRAM verifiers (the passwords themselves are not kept).
#[derive(Clone)]
pub struct Users {
    verifiers: BTreeMap<String, Verifier>,
}

impl std::fmt::Debug for Users {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Users").field("names", &self.verifiers.keys().collect::<Vec<_>>()).finish()
    }
}

fn random_bytes(n: usize) -> Result<Vec<u8>> {
    let mut bytes = vec![0u8; n];
    getrandom::fill(&mut bytes).map_err(|e| PgError::Random(e.to_string()))?;
    Ok(bytes)
}

impl Users {
    /// Users from a list; at least one is required, names are unique, passwords are not empty.
    pub fn new(users: impl IntoIterator<Item = PgUser>) -> Result<Self> {
        let mut verifiers = BTreeMap::new();
        for user in users {
            if user.name.trim().is_empty() {
                return Err(PgError::BadUser { name: user.name, message: "the user name is empty".into() });
            }
            if user.password.is_empty() {
                return Err(PgError::BadUser { name: user.name, message: "the password is empty".into() });
            }
            let salt = random_bytes(16)?;
            let salted_password = gen_salted_password(&user.password, &salt, SCRAM_ITERATIONS);
            if verifiers.insert(user.name.clone(), Verifier { salt, salted_password }).is_some() {
                return Err(PgError::BadUser { name: user.name, message: "the user is given twice".into() });
            }
        }
        if verifiers.is_empty() {
            return Err(PgError::NoUsers);
        }
        Ok(Self { verifiers })
    }

    /// The user names.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.verifiers.keys().map(String::as_str)
    }
}

#[async_trait::async_trait]
impl AuthSource for Users {
    async fn get_password(&self, login: &LoginInfo) -> PgWireResult<Password> {
        match login.user().and_then(|name| self.verifiers.get(name)) {
            Some(verifier) => Ok(Password::new(Some(verifier.salt.clone()), verifier.salted_password.clone())),
            // An unknown user gets a verifier nobody can match, so the exchange (and its failure message) looks
            // the same as a wrong password: no telling which user names exist.
            None => {
                let salt = random_bytes(16).unwrap_or_else(|_| vec![0; 16]);
                let impossible = random_bytes(32).unwrap_or_else(|_| vec![0; 32]);
                tracing::info!(user = login.user().unwrap_or(""), host = login.host(), "login as an unknown user");
                Ok(Password::new(Some(salt), impossible))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user(name: &str, password: &str) -> PgUser {
        PgUser { name: name.into(), password: password.into() }
    }

    #[test]
    fn users_need_a_name_a_password_and_no_twin() {
        assert!(matches!(Users::new(Vec::new()), Err(PgError::NoUsers)));
        assert!(matches!(Users::new([user("", "x")]), Err(PgError::BadUser { .. })));
        assert!(matches!(Users::new([user("a", "")]), Err(PgError::BadUser { .. })));
        assert!(matches!(Users::new([user("a", "x"), user("a", "y")]), Err(PgError::BadUser { .. })));
        let users = Users::new([user("a", "x"), user("b", "y")]).expect("two users");
        assert_eq!(users.names().collect::<Vec<_>>(), vec!["a", "b"]);
        assert!(!format!("{users:?}").contains('x'), "Debug shows no password material");
        assert!(!format!("{:?}", user("a", "secret")).contains("secret"));
    }

    #[test]
    fn the_verifier_is_the_salted_password() {
        let users = Users::new([user("analyst", "s3cret")]).expect("one user");
        let verifier = users.verifiers.get("analyst").expect("analyst");
        assert_eq!(verifier.salted_password, gen_salted_password("s3cret", &verifier.salt, SCRAM_ITERATIONS));
        assert_ne!(verifier.salted_password, gen_salted_password("wrong", &verifier.salt, SCRAM_ITERATIONS));
    }

    #[test]
    fn a_users_file_is_read() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("users.toml");
        std::fs::write(&path, "[[user]]\nname = \"a\"\npassword = \"x\"\n\n[[user]]\nname = \"b\"\npassword = \"y\"\n")
            .expect("write");
        let users = read_users_file(&path).expect("parses");
        assert_eq!(users, vec![user("a", "x"), user("b", "y")]);
        std::fs::write(&path, "[[user]]\nname = \"a\"\npasword = \"typo\"\n").expect("write");
        let error = read_users_file(&path).expect_err("unknown key");
        assert!(error.to_string().contains("users.toml"), "{error}");
    }
}
