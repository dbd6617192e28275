//! `skillhouse demo`: the bundled sample drops → rebuild with a generated key → a scoreboard in the terminal
//! ([`super::scoreboard`]) → serve the dashboard page and the HTTP API on the new warehouse.
//!
//! Everything lands in one local folder (`demo-warehouse/` by default): the key file beside the warehouse, never
//! inside it. Running the demo again reuses the key; files already in the ledger are skipped.

use crate::args::{DemoArgs, KeyArgs};
use crate::exit::Outcome;
use anyhow::Context;
use serde::Deserialize;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

pub fn run(args: DemoArgs) -> anyhow::Result<Outcome> {
    let dir = args.dir;
    std::fs::create_dir_all(&dir).with_context(|| format!("creating the demo folder {}", dir.display()))?;
    let key_file = dir.join("demo-key.hex");
    if !key_file.exists() {
        super::generate_key_file(&key_file)?;
        println!("Generated a demo pseudonymisation key in {}", key_file.display());
    }
    let key = super::load_key(&KeyArgs { key_file: Some(key_file) })?;
    let landing = sample_dir()?;
    let reference = super::reference_dir(None)?;
    let as_of = sample_as_of(&landing)?;
    let warehouse = dir.join("warehouse");
    println!("Rebuilding {} from the sample drops in {} (as of {as_of}) …", warehouse.display(), landing.display());
    let settings = skillhouse_pipeline::Settings {
        warehouse: warehouse.clone(),
        landing: landing.clone(),
        reference,
        as_of: Some(as_of),
        key,
        keep: 3,
        gate: skillhouse_query::GateConfig::default(),
        full: false,
    };
    let Some(lock) = super::lock_warehouse(&warehouse, "demo")? else { return Ok(Outcome::Locked) };
    let report = super::rebuild::rebuild(&settings, &lock, true)?;
    drop(lock);
    if !report.published {
        anyhow::bail!("the release gate refused the demo's snapshot (see `skillhouse rebuild` for the report)");
    }
    println!(
        "Loaded {} files ({} unreadable, reported): {} rows = {} accepted + {} rejected; snapshot {}.\n",
        report.files_loaded + report.files_unreadable,
        report.files_unreadable,
        report.rows_read,
        report.rows_accepted,
        report.rows_rejected,
        report.snapshot_id
    );
    let config = skillhouse_server::ServerConfig::new(&warehouse);
    let board = super::scoreboard::load(&warehouse, config.suppress_k)?;
    println!("(合成样例数据 synthetic sample data: a few thousand certificates, far below province-scale targets)\n");
    print!("{}", super::scoreboard::render(&board));
    println!(
        "\nQuery it yourself:  skillhouse sql --warehouse {} -c \"SELECT * FROM indicators\"",
        warehouse.display()
    );
    let addr = args.addr;
    if args.no_serve {
        println!(
            "Serve the dashboard: skillhouse serve --warehouse {} --addr {addr}, then open {}",
            warehouse.display(),
            page_url(addr)
        );
        return Ok(Outcome::Success);
    }
    println!("\n看板 Dashboard: {}", page_url(addr));
    println!("API: {}api/v1/indicators (OpenAPI: /api/v1/openapi.json) · Ctrl-C stops.", page_url(addr));
    let runtime =
        tokio::runtime::Builder::new_multi_thread().enable_all().build().context("starting the server runtime")?;
    runtime.block_on(skillhouse_server::serve(config, addr)).with_context(|| format!("serving on {addr}"))?;
    Ok(Outcome::Success)
}

/// The dashboard's URL for a listening address (a wildcard address is reached on loopback).
fn page_url(addr: SocketAddr) -> String {
    let host = if addr.ip().is_unspecified() {
        if addr.is_ipv4() { "127.0.0.1".to_string() } else { "[::1]".to_string() }
    } else if addr.is_ipv6() {
        format!("[{}]", addr.ip())
    } else {
        addr.ip().to_string()
    };
    format!("http://{host}:{}/", addr.port())
}

/// The bundled sample: `datasets/sample` from the working directory or the source tree.
fn sample_dir() -> anyhow::Result<PathBuf> {
    [PathBuf::from("datasets/sample"), Path::new(env!("CARGO_MANIFEST_DIR")).join("../../datasets/sample")]
        .into_iter()
        .find(|p| p.join("agencies.csv").is_file())
        .context("cannot find the bundled sample drops (datasets/sample); run the demo from the repository")
}

/// The sample's own as-of date, from its manifest, so the demo's numbers never drift with today's date.
fn sample_as_of(landing: &Path) -> anyhow::Result<chrono::NaiveDate> {
    #[derive(Deserialize)]
    struct Manifest {
        as_of: String,
    }
    let path = landing.join("manifest.json");
    let text = std::fs::read_to_string(&path).with_context(|| format!("reading {}", path.display()))?;
    let manifest: Manifest = serde_json::from_str(&text).with_context(|| format!("parsing {}", path.display()))?;
    manifest.as_of.parse().with_context(|| format!("as_of {:?} in {}", manifest.as_of, path.display()))
}
