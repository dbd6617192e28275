//! `serve --pg-addr`: the Postgres wire front end's settings from the command line.

use crate::args::ServeArgs;
use anyhow::Context;
use skillhouse_pgwire::{DEFAULT_LOGIN_TIMEOUT, PgConfig, PgUser, Users, read_users_file};
use skillhouse_query::QueryConfig;
use std::time::Duration;

/// The Postgres wire settings, or `None` without `--pg-addr`.
pub fn config(args: &ServeArgs, poll_interval: Duration) -> anyhow::Result<Option<PgConfig>> {
    let Some(addr) = args.pg_addr else { return Ok(None) };
    let pg = &args.pg;
    let mut users = Vec::new();
    if let (Some(name), Some(password)) = (&pg.pg_user, &pg.pg_password) {
        users.push(PgUser { name: name.clone(), password: password.clone() });
    }
    if let Some(path) = &pg.pg_users {
        users.extend(read_users_file(path)?);
    }
    let users = Users::new(users).context("--pg-addr needs at least one user")?;
    Ok(Some(PgConfig {
        warehouse: args.warehouse.warehouse.clone(),
        addr,
        users,
        bounds: super::sql::sql_bounds(&pg.bounds),
        max_connections: pg.pg_max_connections,
        login_timeout: DEFAULT_LOGIN_TIMEOUT,
        poll_interval,
        query: QueryConfig::default(),
    }))
}
