//! `skillhouse receipts`: a receipt (回执) per submission — one XLSX and one CSV for each agency's (and training
//! provider's) month — from the published snapshot (or `--snapshot ID`), so that what an office hands back tells
//! the same state as the figures it publishes. Read only: no lock, nothing in the warehouse changes.

use crate::args::ReceiptsArgs;
use crate::exit::Outcome;
use anyhow::{Context, bail};
use skillhouse_query::SnapshotFolder;
use skillhouse_receipts::{Receipt, read_ledger, submissions};
use std::path::Path;

pub fn run(args: ReceiptsArgs) -> anyhow::Result<Outcome> {
    let warehouse = &args.warehouse.warehouse;
    if let Some(period) = &args.period {
        let probe = skillhouse_receipts::SubmissionKey {
            input: skillhouse_receipts::Input::Certificates,
            agency_id: String::new(),
            period: period.clone(),
        };
        if !probe.has_month() {
            bail!("--period {period}: expected a month as YYYY-MM");
        }
    }
    let folder = match &args.snapshot {
        Some(id) => SnapshotFolder::open(warehouse, id),
        None => SnapshotFolder::open_current(warehouse),
    }
    .with_context(|| format!("opening the snapshot of {}", warehouse.display()))?;
    let base = folder.base_dir();
    let ledger = read_ledger(base).with_context(|| format!("reading the ledger of snapshot {}", folder.id))?;
    let keys = submissions(&ledger, args.agency.as_deref(), args.period.as_deref());
    if keys.is_empty() {
        bail!(
            "snapshot {} has no submission{}{}: nothing written",
            folder.id,
            args.agency.as_deref().map(|a| format!(" of {a}")).unwrap_or_default(),
            args.period.as_deref().map(|p| format!(" in {p}")).unwrap_or_default(),
        );
    }
    let (mut written, mut rejected_rows) = (0usize, 0usize);
    for key in &keys {
        if !is_plain_name(&key.agency_id) {
            eprintln!(
                "skillhouse receipts: skipping {}: the submitter's code is not usable as a folder name",
                key.slice()
            );
            continue;
        }
        let Some(receipt) = Receipt::read(base, &folder.id, &ledger, key)
            .with_context(|| format!("reading the receipt of {}", key.slice()))?
        else {
            continue;
        };
        let xlsx = receipt.xlsx().with_context(|| format!("laying out the receipt of {}", key.slice()))?;
        write(&args.out.join(key.input.receipt_path(&key.agency_id, &key.period, "xlsx")), &xlsx)?;
        write(&args.out.join(key.input.receipt_path(&key.agency_id, &key.period, "csv")), receipt.csv().as_bytes())?;
        written += 1;
        rejected_rows += receipt.rows.len();
    }
    println!(
        "{written} receipts (XLSX and CSV) from snapshot {} in {}, listing {rejected_rows} rejected rows",
        folder.id,
        args.out.display()
    );
    Ok(Outcome::Success)
}

/// Whether a code from the ledger can name a folder: not empty, no separator, not `.`/`..`-like.
fn is_plain_name(code: &str) -> bool {
    !code.is_empty() && !code.starts_with('.') && !code.contains(['/', '\\', '\0'])
}

fn write(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).with_context(|| format!("creating {}", parent.display()))?;
    }
    std::fs::write(path, bytes).with_context(|| format!("writing {}", path.display()))
}
