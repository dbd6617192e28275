//! What a client is told when its statement fails: every error of the query layer and of the engine as a Postgres
//! error with a SQLSTATE, in one exhaustive `match` each — the wire's counterpart of the HTTP edge's status mapping
//! (`skillhouse_server::error`). A new `QueryError` variant does not compile until it is given its code here.
//!
//! Without this, pgwire sends every engine error as `XX000` (internal_error): a misspelt column would read to a
//! client like a crash of the server.

use datafusion_postgres::pgwire::error::{ErrorInfo, PgWireError};
use skillhouse_query::datafusion::error::DataFusionError;
use skillhouse_query::{QueryError, SqlBounds, error_chain, format_bytes};

/// A Postgres error with `code` and `message`, severity `ERROR`.
pub(crate) fn user_error(code: &str, message: String) -> PgWireError {
    PgWireError::UserError(Box::new(ErrorInfo::new("ERROR".to_owned(), code.to_owned(), message)))
}

/// The SQLSTATE of a query-layer error.
pub(crate) fn query_sqlstate(error: &QueryError) -> &'static str {
    match error {
        // The snapshot's files: unreadable, misplaced or damaged on disk.
        QueryError::Io { .. } => "58030",
        QueryError::Register { .. }
        | QueryError::Layout { .. }
        | QueryError::Manifest { .. }
        | QueryError::Parquet { .. }
        | QueryError::Integrity { .. } => "58000",
        // Nothing published (yet), or not the snapshot asked for: the server cannot serve now.
        QueryError::NoSnapshot { .. } | QueryError::UnknownSnapshot { .. } | QueryError::RefusedSnapshot { .. } => {
            "57P03"
        }
        QueryError::Locked { .. } => "55P03",
        QueryError::Refused(refusal) => refusal.code.sqlstate(),
        QueryError::Timeout { .. } => "57014",
        QueryError::MemoryLimit { .. } => "53200",
        QueryError::Sql { source } | QueryError::Engine { source, .. } => engine_sqlstate(source),
        // Definitions and headers are the build's; a client meeting one has met a bug.
        QueryError::Header { .. }
        | QueryError::Definition { .. }
        | QueryError::IndicatorShape { .. }
        | QueryError::Encode { .. }
        | QueryError::Internal(_) => "XX000",
    }
}

/// The SQLSTATE of an engine error: what the client got wrong (syntax, an unknown table or column, an unsupported
/// feature, bad data) apart from what the server lacks (memory) and what is a bug.
pub(crate) fn engine_sqlstate(error: &DataFusionError) -> &'static str {
    match error {
        DataFusionError::SQL(..) => "42601",
        DataFusionError::SchemaError(..) => "42703",
        DataFusionError::Plan(message) if message.contains("not found") && message.contains("table") => "42P01",
        DataFusionError::Plan(_) => "42000",
        DataFusionError::NotImplemented(_) => "0A000",
        DataFusionError::Configuration(_) => "22023",
        DataFusionError::ResourcesExhausted(_) => "53200",
        DataFusionError::ArrowError(..) | DataFusionError::Execution(_) => "22000",
        DataFusionError::IoError(_) | DataFusionError::ParquetError(_) | DataFusionError::ObjectStore(_) => "58030",
        DataFusionError::Context(_, inner) | DataFusionError::Diagnostic(_, inner) => engine_sqlstate(inner),
        DataFusionError::Shared(inner) => engine_sqlstate(inner),
        DataFusionError::Collection(errors) => errors.first().map_or("XX000", engine_sqlstate),
        DataFusionError::External(inner) => match inner.downcast_ref::<QueryError>() {
            Some(query) => query_sqlstate(query),
            None => match inner.downcast_ref::<DataFusionError>() {
                Some(engine) => engine_sqlstate(engine),
                None => "XX000",
            },
        },
        DataFusionError::Internal(_)
        | DataFusionError::ExecutionJoin(_)
        | DataFusionError::Substrait(_)
        | DataFusionError::Ffi(_) => "XX000",
    }
}

/// A query-layer error as the client sees it: its SQLSTATE, and its message with every cause, once.
pub(crate) fn query_error(error: &QueryError) -> PgWireError {
    user_error(query_sqlstate(error), error_chain(error))
}

/// pgwire's handlers hand back engine and query-layer errors boxed as `ApiError`, which pgwire sends as XX000: give
/// each its SQLSTATE. Running out of memory names the limit the statement ran into.
pub(crate) fn classify(error: PgWireError, bounds: &SqlBounds) -> PgWireError {
    let PgWireError::ApiError(source) = &error else { return error };
    if let Some(query) = source.downcast_ref::<QueryError>() {
        return query_error(query);
    }
    let Some(engine) = source.downcast_ref::<DataFusionError>() else { return error };
    match engine_sqlstate(engine) {
        "53200" => {
            tracing::info!(error = %engine, "statement over the memory limit");
            user_error(
                "53200",
                format!(
                    "the statement needs more memory than the per-statement limit of {} [bounds.memory_limit]",
                    format_bytes(bounds.memory_limit)
                ),
            )
        }
        code => user_error(code, error_chain(engine)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use skillhouse_query::datafusion::arrow::error::ArrowError;

    #[test]
    fn a_clients_mistakes_are_not_internal_errors() {
        let bounds = SqlBounds::default();
        let code = |e: DataFusionError| match classify(PgWireError::ApiError(Box::new(e)), &bounds) {
            PgWireError::UserError(info) => info.code.clone(),
            other => panic!("not classified: {other:?}"),
        };
        assert_eq!(code(DataFusionError::Plan("table 'datafusion.public.nope' not found".into())), "42P01");
        assert_eq!(code(DataFusionError::NotImplemented("LATERAL".into())), "0A000");
        assert_eq!(code(DataFusionError::Execution("division by zero".into())), "22000");
        assert_eq!(code(DataFusionError::ResourcesExhausted("pool".into())), "53200");
        let wrapped = DataFusionError::Context("planning".into(), Box::new(DataFusionError::Plan("bad".into())));
        assert_eq!(code(wrapped), "42000");
        assert_eq!(code(DataFusionError::ArrowError(Box::new(ArrowError::DivideByZero), None)), "22000");
        assert_eq!(code(DataFusionError::Internal("bug".into())), "XX000");
    }

    #[test]
    fn query_layer_errors_carry_their_own_codes_and_print_each_cause_once() {
        let timeout = QueryError::Timeout { limit: std::time::Duration::from_secs(2) };
        assert_eq!(query_sqlstate(&timeout), "57014");
        let sql = QueryError::Sql { source: DataFusionError::Plan("no such column".into()) };
        let PgWireError::UserError(info) = query_error(&sql) else { panic!("not a user error") };
        assert_eq!(info.code, "42000");
        assert_eq!(info.message.matches("no such column").count(), 1, "{}", info.message);
        let missing = QueryError::NoSnapshot { warehouse: "/w".into() };
        assert_eq!(query_sqlstate(&missing), "57P03");
    }
}
