//! The nightly job as an operator runs it: one rebuild at a time (exit 5), a dead holder's lock taken over, the
//! release gate refusing (exit 4) and `--force`, `snapshots list | verify | rollback`.

use crate::nights::{self, AS_OF, LENIENT_GATE, copy_base, current, nights, report, utf8};
use crate::{run, skillhouse, stderr};
use std::time::{Duration, Instant};

#[test]
fn a_second_rebuild_is_refused_while_one_runs_and_a_killed_holders_lock_is_taken_over() {
    let fixture = nights();
    let dir = tempfile::tempdir().expect("tempdir");
    let warehouse = copy_base(dir.path());
    // The first rebuild stops right after taking the lock, as if it were busy.
    let mut holder =
        skillhouse(&["rebuild", "--warehouse", utf8(&warehouse), "--landing", utf8(&fixture.night2), "--as-of", AS_OF])
            .env("SKILLHOUSE_KEY_FILE", &fixture.key)
            .env("SKILLHOUSE_FAULT_POINT", "rebuild.locked:1:pause")
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("spawn the first rebuild");
    let pid_line = format!("pid={}\n", holder.id());
    let started = Instant::now();
    while !std::fs::read_to_string(warehouse.join(".lock")).is_ok_and(|text| text.contains(&pid_line)) {
        assert!(started.elapsed() < Duration::from_secs(60), "the first rebuild never took the lock");
        std::thread::sleep(Duration::from_millis(50));
    }

    let second = nights::rebuild(&warehouse, &fixture.night2, &fixture.key, &LENIENT_GATE);
    assert_eq!(second.status.code(), Some(5), "{}", stderr(&second));
    assert!(stderr(&second).contains("another ingest or rebuild is running"), "{}", stderr(&second));
    assert!(stderr(&second).contains(&format!("rebuild (pid {} on ", holder.id())), "{}", stderr(&second));
    assert_eq!(report(&second)["outcome"], "locked");
    let ingest = run(skillhouse(&["ingest", "--warehouse", utf8(&warehouse), utf8(&fixture.night2)])
        .env("SKILLHOUSE_KEY_FILE", &fixture.key));
    assert_eq!(ingest.status.code(), Some(5), "ingest takes the same lock: {}", stderr(&ingest));
    assert_eq!(current(&warehouse).as_deref(), Some(fixture.base_snapshot.as_str()), "nothing was published");

    // kill -9: the kernel releases the dead process's lock, and the next rebuild takes it over.
    holder.kill().expect("kill the holder");
    holder.wait().expect("reap the holder");
    let third = nights::rebuild(&warehouse, &fixture.night2, &fixture.key, &LENIENT_GATE);
    assert_eq!(third.status.code(), Some(3), "{}", stderr(&third));
    let published = report(&third);
    assert_eq!(published["published"], true);
    assert_eq!(current(&warehouse).as_deref(), published["snapshot_id"].as_str());
}

#[test]
fn the_release_gate_refuses_with_exit_4_force_publishes_and_rollback_restores() {
    let fixture = nights();
    let dir = tempfile::tempdir().expect("tempdir");
    let warehouse = copy_base(dir.path());
    let before = current(&warehouse).expect("night 1 published");

    // Night 2 adds certificates; a growth limit of 0.5% refuses it.
    let refused = nights::rebuild(&warehouse, &fixture.night2, &fixture.key, &["--max-row-growth-pct", "0.5"]);
    assert_eq!(refused.status.code(), Some(4), "{}", stderr(&refused));
    let refused_report = report(&refused);
    assert_eq!(refused_report["outcome"], "refused_by_gate");
    assert_eq!(refused_report["published"], false);
    assert_eq!(current(&warehouse).as_deref(), Some(before.as_str()), "the previous snapshot keeps serving");
    let check = refused_report["gate"]["checks"]
        .as_array()
        .and_then(|c| c.iter().find(|c| c["id"] == "certificate_row_change"))
        .expect("row change check");
    assert_eq!(check["status"], "fail");
    let old = skillhouse_query::read_manifest(&warehouse.join("snapshots").join(&before)).expect("manifest").row_counts
        ["certificates"] as f64;
    let new = refused_report["row_counts"]["certificates"].as_f64().expect("candidate rows");
    assert!(new > old, "night 2 adds certificates: {old} → {new}");
    assert_eq!(check["measured"].as_f64(), Some(((new - old) / old * 10_000.0).round() / 100.0));
    assert_eq!(check["threshold"].as_f64(), Some(0.5));
    let refused_id = refused_report["snapshot_id"].as_str().expect("candidate id").to_string();

    // The same night with --force publishes, and says so.
    let forced =
        nights::rebuild(&warehouse, &fixture.night2, &fixture.key, &["--max-row-growth-pct", "0.5", "--force"]);
    let forced_report = report(&forced);
    assert!(matches!(forced.status.code(), Some(0 | 3)), "{}", stderr(&forced));
    assert_eq!(
        (forced_report["published"].clone(), forced_report["gate"]["forced"].clone()),
        (true.into(), true.into())
    );
    let forced_id = forced_report["snapshot_id"].as_str().expect("id").to_string();
    assert_eq!(current(&warehouse).as_deref(), Some(forced_id.as_str()));

    let list = run(&mut skillhouse(&["snapshots", "--warehouse", utf8(&warehouse), "list", "--json"]));
    assert!(list.status.success(), "{}", stderr(&list));
    let listed: serde_json::Value = serde_json::from_slice(&list.stdout).expect("json");
    let states: Vec<(String, String, bool)> = listed
        .as_array()
        .expect("array")
        .iter()
        .map(|s| {
            (
                s["id"].as_str().unwrap_or("").to_string(),
                s["state"].as_str().unwrap_or("").to_string(),
                s["current"] == true,
            )
        })
        .collect();
    assert_eq!(
        states,
        vec![
            (forced_id.clone(), "forced".into(), true),
            (refused_id.clone(), "refused".into(), false),
            (before.clone(), "ready".into(), false)
        ]
    );

    // A refused candidate is not rolled back to without --force; the night-1 snapshot is, after verification.
    let no = run(&mut skillhouse(&["snapshots", "--warehouse", utf8(&warehouse), "rollback", &refused_id]));
    assert_eq!(no.status.code(), Some(1), "{}", stderr(&no));
    assert!(stderr(&no).contains("refused by the release gate"), "{}", stderr(&no));
    let back = run(&mut skillhouse(&["snapshots", "--warehouse", utf8(&warehouse), "rollback", &before]));
    assert!(back.status.success(), "{}", stderr(&back));
    assert_eq!(current(&warehouse).as_deref(), Some(before.as_str()));
    let verify = run(&mut skillhouse(&["snapshots", "--warehouse", utf8(&warehouse), "verify"]));
    assert!(verify.status.success(), "{}", String::from_utf8_lossy(&verify.stdout));
    assert!(String::from_utf8_lossy(&verify.stdout).contains(&format!("snapshot {before}: intact")));
}

#[test]
fn serve_checks_its_rebuild_schedule_before_starting() {
    let dir = tempfile::tempdir().expect("tempdir");
    let warehouse = utf8(dir.path());
    let bad_time =
        run(&mut skillhouse(&["serve", "--warehouse", warehouse, "--rebuild-at", "25:00", "--landing", warehouse]));
    assert_eq!(bad_time.status.code(), Some(2), "{}", stderr(&bad_time));
    assert!(stderr(&bad_time).contains("HH:MM"), "{}", stderr(&bad_time));
    let no_landing = run(&mut skillhouse(&["serve", "--warehouse", warehouse, "--rebuild-at", "02:00"]));
    assert_eq!(no_landing.status.code(), Some(2), "--rebuild-at requires --landing: {}", stderr(&no_landing));
    // Without a key the server refuses to start rather than fail at 2 a.m.
    let no_key =
        run(&mut skillhouse(&["serve", "--warehouse", warehouse, "--rebuild-at", "02:00", "--landing", warehouse]));
    assert_eq!(no_key.status.code(), Some(1), "{}", stderr(&no_key));
    assert!(stderr(&no_key).contains("SKILLHOUSE_KEY_FILE"), "{}", stderr(&no_key));
}
