//! `skillhouse snapshots`: list the warehouse's snapshots, verify one against its manifest, roll back to an earlier
//! one, or apply retention now. Rollback and prune take the warehouse lock (exit 5 while a rebuild runs); list and
//! verify only read.

use crate::args::{SnapshotAction, SnapshotsArgs};
use crate::exit::Outcome;
use anyhow::Context;
use skillhouse_query::{QueryError, SnapshotInfo, SnapshotState};
use std::path::Path;

pub fn run(args: SnapshotsArgs) -> anyhow::Result<Outcome> {
    let warehouse = args.warehouse.warehouse;
    match args.action {
        SnapshotAction::List => list(&warehouse, args.json),
        SnapshotAction::Verify { id } => verify(&warehouse, id, args.json),
        SnapshotAction::Rollback { id, force } => rollback(&warehouse, &id, force, args.json),
        SnapshotAction::Prune { keep } => prune(&warehouse, keep as usize, args.json),
    }
}

fn state(info: &SnapshotInfo) -> &'static str {
    match info.state {
        SnapshotState::Ready => "ready",
        SnapshotState::Forced => "forced",
        SnapshotState::Refused => "refused",
        SnapshotState::Incomplete => "incomplete",
    }
}

fn list(warehouse: &Path, json: bool) -> anyhow::Result<Outcome> {
    let snapshots = skillhouse_query::list_snapshots(warehouse)
        .with_context(|| format!("listing the snapshots of {}", warehouse.display()))?;
    if json {
        let rows: Vec<_> = snapshots
            .iter()
            .map(|s| {
                let m = s.manifest.as_ref();
                serde_json::json!({
                    "id": s.id,
                    "state": s.state,
                    "current": s.current,
                    "in_use": s.in_use,
                    "as_of": m.map(|m| m.as_of.clone()),
                    "built_at": m.map(|m| m.built_at.clone()),
                    "certificates": s.certificates(),
                    "files": m.map(|m| m.files.len()),
                })
            })
            .collect();
        println!("{}", serde_json::to_string_pretty(&rows)?);
        return Ok(Outcome::Success);
    }
    if snapshots.is_empty() {
        println!("no snapshots in {} (run `skillhouse rebuild`)", warehouse.display());
        return Ok(Outcome::Success);
    }
    println!("  {:<22} {:<10} {:<10} {:<20} {:>12}  readers", "snapshot", "state", "as of", "built at", "certificates");
    for s in &snapshots {
        let m = s.manifest.as_ref();
        println!(
            "{} {:<22} {:<10} {:<10} {:<20} {:>12}  {}",
            if s.current { "*" } else { " " },
            s.id,
            state(s),
            m.map_or("—", |m| m.as_of.as_str()),
            m.map_or("—", |m| m.built_at.as_str()),
            s.certificates().map_or_else(|| "—".to_string(), |n| n.to_string()),
            if s.in_use { "in use" } else { "" }
        );
    }
    println!("(* = published)");
    Ok(Outcome::Success)
}

fn verify(warehouse: &Path, id: Option<String>, json: bool) -> anyhow::Result<Outcome> {
    let id = match id {
        Some(id) => id,
        None => skillhouse_query::current_snapshot_id(warehouse)?
            .with_context(|| format!("nothing is published in {}; name a snapshot", warehouse.display()))?,
    };
    let report = skillhouse_query::verify_snapshot(warehouse, &id).with_context(|| format!("verifying {id}"))?;
    if json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else if report.is_intact() {
        println!("snapshot {id}: intact ({} files, {} bytes checked)", report.files, report.bytes);
    } else {
        println!(
            "snapshot {id}: DAMAGED — {} of {} files differ from the manifest:",
            report.problems.len(),
            report.files
        );
        for problem in &report.problems {
            println!("  {problem}");
        }
    }
    Ok(if report.is_intact() { Outcome::Success } else { Outcome::Failed })
}

fn rollback(warehouse: &Path, id: &str, force: bool, json: bool) -> anyhow::Result<Outcome> {
    let Some(lock) = super::lock_warehouse(warehouse, "snapshots rollback")? else { return Ok(Outcome::Locked) };
    let before = skillhouse_query::current_snapshot_id(warehouse)?;
    match skillhouse_query::rollback(warehouse, id, force, &lock) {
        Ok(report) => {
            if json {
                let value = serde_json::json!({ "published": id, "previous": before, "files_verified": report.files });
                println!("{value}");
            } else {
                println!(
                    "published snapshot {id} again (was {}); {} files verified. Servers pick it up at their next poll.",
                    before.as_deref().unwrap_or("nothing"),
                    report.files
                );
            }
            Ok(Outcome::Success)
        }
        Err(error @ (QueryError::RefusedSnapshot { .. } | QueryError::Integrity { .. })) => {
            eprintln!("skillhouse snapshots rollback: {error}");
            Ok(Outcome::Failed)
        }
        Err(error) => Err(anyhow::Error::new(error).context(format!("rolling back to {id}"))),
    }
}

fn prune(warehouse: &Path, keep: usize, json: bool) -> anyhow::Result<Outcome> {
    let Some(lock) = super::lock_warehouse(warehouse, "snapshots prune")? else { return Ok(Outcome::Locked) };
    let report = skillhouse_query::prune_snapshots(warehouse, keep, &lock).context("applying retention")?;
    if json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        println!(
            "removed {} snapshot(s){}; {} due for removal but in use by readers{}",
            report.removed.len(),
            if report.removed.is_empty() { String::new() } else { format!(" ({})", report.removed.join(", ")) },
            report.in_use.len(),
            if report.in_use.is_empty() { String::new() } else { format!(" ({})", report.in_use.join(", ")) },
        );
    }
    Ok(Outcome::Success)
}
