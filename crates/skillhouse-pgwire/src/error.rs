//! The one error type of the Postgres wire front end.

use std::path::PathBuf;

/// Result alias of the Postgres wire front end.
pub type Result<T, E = PgError> = std::result::Result<T, E>;

/// What went wrong while setting up or running the Postgres wire front end. Errors of one client's statements go
/// back to that client as Postgres errors; these are the server's own.
#[derive(Debug, thiserror::Error)]
pub enum PgError {
    /// Reading a file failed.
    #[error("reading {path}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// The users file is not valid.
    #[error("users file {path}")]
    UsersFile {
        /// The file.
        path: PathBuf,
        /// The cause.
        #[source]
        source: toml::de::Error,
    },
    /// A configured user is not valid.
    #[error("Postgres user `{name}`: {message}")]
    BadUser {
        /// The user name.
        name: String,
        /// What is wrong.
        message: String,
    },
    /// No user may connect.
    #[error(
        "no Postgres users: give --pg-user and --pg-password (or SKILLHOUSE_PG_USER and SKILLHOUSE_PG_PASSWORD), or \
         --pg-users FILE"
    )]
    NoUsers,
    /// The system's random source failed.
    #[error("no system randomness for password salts: {0}")]
    Random(String),
    /// Opening the snapshot or preparing the session failed.
    #[error("preparing the SQL session")]
    Query(#[from] skillhouse_query::QueryError),
    /// Installing the Postgres catalogue (`pg_catalog`) failed.
    #[error("installing pg_catalog")]
    Catalog(#[source] Box<skillhouse_query::datafusion::error::DataFusionError>),
    /// Binding the listening socket failed.
    #[error("listening on {addr}")]
    Bind {
        /// The address.
        addr: std::net::SocketAddr,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
}
