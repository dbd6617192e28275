//! The registers' Parquet (docs/warehouse.md): the accepted rows as last loaded, the rejected rows beside them, and
//! the one lookup the rules need — the issue dates of the certificates a register names.

use super::validate::{RegisterKind, RegisterRow};
use crate::error::{IngestError, Result};
use crate::warehouse::{
    Layout, Lineage, ReasonCode, RejectRecord, date_column, date32, from_date32, i64_values, read_parquet,
    rejects_frame, str_values, write_parquet_atomic,
};
use chrono::NaiveDate;
use polars::prelude::*;
use skillhouse_model::RevocationRejectReason;
use std::collections::{HashMap, HashSet};

impl ReasonCode for RevocationRejectReason {
    fn code(self) -> &'static str {
        RevocationRejectReason::code(self)
    }
}

/// The issue date of every accepted certificate in the warehouse whose number is in `wanted`. Reads two columns
/// of every certificate file: only when a register changed, never on a night whose registers are the same.
pub(crate) fn issue_dates(layout: &Layout, wanted: &HashSet<String>) -> Result<HashMap<String, NaiveDate>> {
    let mut out = HashMap::new();
    if wanted.is_empty() {
        return Ok(out);
    }
    for (path, _) in layout.certificate_files()? {
        let frame = read_parquet(&path, Some(&["cert_no", "issue_date"]))?;
        let numbers = str_values(&frame, &path, "cert_no")?;
        let dates = i64_values(&frame, &path, "issue_date")?;
        for (number, date) in numbers.into_iter().zip(dates) {
            if let (Some(number), Some(date)) = (number, date.and_then(from_date32))
                && wanted.contains(&number)
            {
                out.insert(number, date);
            }
        }
    }
    Ok(out)
}

/// Writes a register's accepted rows (replacing the register as last loaded) and its rejected rows.
pub(crate) fn write_register(
    layout: &Layout,
    kind: RegisterKind,
    rows: &[(i64, RegisterRow)],
    rejects: &[RejectRecord<RevocationRejectReason>],
    lineage: &Lineage<'_>,
) -> Result<()> {
    let input = super::input_of(kind);
    let (Some(path), Some(rejects_path)) = (layout.register_path(input), layout.register_rejects_path(input)) else {
        return Err(IngestError::Internal("a register input without its files"));
    };
    let mut frame = register_frame(kind, rows, lineage).map_err(|e| IngestError::parquet(&path, e))?;
    write_parquet_atomic(&path, &mut frame)?;
    let mut rejected = rejects_frame(rejects, lineage, "", "").map_err(|e| IngestError::parquet(&rejects_path, e))?;
    write_parquet_atomic(&rejects_path, &mut rejected)
}

/// The accepted rows with the columns of `skillhouse_model::schema::REVOCATION_COLUMNS` or `RENEWAL_COLUMNS`.
fn register_frame(kind: RegisterKind, rows: &[(i64, RegisterRow)], lineage: &Lineage<'_>) -> PolarsResult<DataFrame> {
    let n = rows.len();
    let date_name = match kind {
        RegisterKind::Revocations => "revoked_on",
        RegisterKind::Renewals => "renewed_on",
    };
    let mut columns = vec![
        Column::new("cert_no".into(), rows.iter().map(|(_, r)| r.cert_no.as_str()).collect::<Vec<_>>()),
        date_column(date_name, rows.iter().map(|(_, r)| Some(date32(r.date))).collect())?,
    ];
    columns.push(match kind {
        RegisterKind::Revocations => {
            Column::new("reason".into(), rows.iter().map(|(_, r)| r.reason.as_deref()).collect::<Vec<_>>())
        }
        RegisterKind::Renewals => {
            date_column("valid_until", rows.iter().map(|(_, r)| r.valid_until.map(date32)).collect())?
        }
    });
    columns.push(Column::new("source_file".into(), vec![lineage.source_file; n]));
    columns.push(Column::new("source_row".into(), rows.iter().map(|(line, _)| *line).collect::<Vec<i64>>()));
    columns.push(Column::new("batch_id".into(), vec![lineage.batch_id; n]));
    DataFrame::new(n, columns)
}
