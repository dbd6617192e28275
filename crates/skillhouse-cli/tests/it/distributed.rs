//! Issue 25: the build and analysts' SQL on Apache DataFusion Ballista (`--features skillhouse-cli/distributed`).
//! Standalone Ballista (a scheduler and an executor inside the command) must publish the very values the local
//! engine does — every row of `indicator_values` and of every model — on the bundled sample.

use super::{run, sample, sample_warehouse, skillhouse, stderr};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

/// The sample rebuilt once by standalone Ballista, with the local sample warehouse's key and as-of date.
fn ballista_warehouse() -> &'static Path {
    static WAREHOUSE: OnceLock<PathBuf> = OnceLock::new();
    WAREHOUSE.get_or_init(|| {
        let (landing, manifest) = sample();
        let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("sample-warehouse-ballista");
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("warehouse folder");
        let key = dir.join("key.hex");
        // The key of `sample_warehouse()`: the person keys of both builds must agree.
        std::fs::write(&key, "cd".repeat(32)).expect("key");
        let warehouse = dir.join("wh");
        let output = rebuild(&warehouse, &landing, manifest["as_of"].as_str().expect("as_of"), &key, &[]);
        assert_eq!(output.status.code(), Some(3), "ballista rebuild of the sample: {}", stderr(&output));
        let report: serde_json::Value = serde_json::from_slice(&output.stdout).expect("--json prints JSON");
        assert_eq!(report["outcome"], "published_with_rejects", "{report}");
        warehouse
    })
}

/// `skillhouse rebuild --engine ballista --json` (standalone unless `extra` names a scheduler).
fn rebuild(warehouse: &Path, landing: &Path, as_of: &str, key: &Path, extra: &[&str]) -> Output {
    let (warehouse, landing) = (warehouse.to_str().expect("utf-8"), landing.to_str().expect("utf-8"));
    let mut args = vec!["rebuild", "--warehouse", warehouse, "--landing", landing, "--as-of", as_of, "--json"];
    args.extend(["--engine", "ballista"]);
    args.extend(extra);
    run(skillhouse(&args).env("SKILLHOUSE_KEY_FILE", key))
}

/// The rows of `SELECT * FROM table` as CSV lines, header first, the rest sorted: engines may return rows in any
/// order, and the comparison is of the whole table.
fn table_lines(warehouse: &Path, table: &str, engine: &[&str]) -> Vec<String> {
    query_lines(&mut skillhouse(&[]), warehouse.to_str().expect("utf-8"), table, engine)
}

/// [`table_lines`] by `command` (a `skillhouse` with its environment) on a warehouse given as text (`s3://…`).
fn query_lines(command: &mut Command, warehouse: &str, table: &str, engine: &[&str]) -> Vec<String> {
    let statement = format!("SELECT * FROM {table}");
    let mut args = vec!["sql", "--warehouse", warehouse, "--format", "csv", "-c", &statement];
    args.extend(engine);
    let output = run(command.args(&args));
    assert!(output.status.success(), "{table}: {}", stderr(&output));
    let text = String::from_utf8_lossy(&output.stdout).into_owned();
    let mut lines = text.lines().map(str::to_string);
    let header = lines.next().unwrap_or_default();
    let mut rows: Vec<String> = lines.collect();
    rows.sort();
    std::iter::once(header).chain(rows).collect()
}

/// The models of a snapshot: the tables its manifest counts under `models/`.
fn model_tables(warehouse: &Path) -> Vec<String> {
    let current = std::fs::read_to_string(warehouse.join("CURRENT")).expect("CURRENT");
    let manifest = warehouse.join("snapshots").join(current.trim()).join("manifest.json");
    let manifest: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(manifest).expect("manifest")).expect("manifest is JSON");
    let counts = manifest["row_counts"].as_object().expect("row_counts");
    counts.keys().filter_map(|k| k.strip_prefix("models/")).map(str::to_string).collect()
}

#[test]
fn standalone_ballista_publishes_the_local_engines_indicator_values() {
    let local = table_lines(sample_warehouse(), "indicator_values", &[]);
    let ballista = table_lines(ballista_warehouse(), "indicator_values", &[]);
    // Not vacuous: the sample has values for most of its indicators.
    assert!(local.len() > 100, "{} rows", local.len());
    assert_eq!(local.len(), ballista.len(), "row counts of indicator_values");
    for (l, b) in local.iter().zip(&ballista) {
        assert_eq!(l, b, "indicator_values differ between the engines");
    }
}

#[test]
fn standalone_ballista_writes_the_local_engines_models() {
    let models = model_tables(sample_warehouse());
    assert!(models.iter().any(|m| m == "persons"), "{models:?}");
    assert_eq!(models, model_tables(ballista_warehouse()), "the same models");
    for model in &models {
        let local = table_lines(sample_warehouse(), model, &[]);
        let ballista = table_lines(ballista_warehouse(), model, &[]);
        assert_eq!(local.len(), ballista.len(), "rows of {model}");
        assert!(local == ballista, "{model} differs between the engines");
    }
}

#[test]
fn sql_on_standalone_ballista_answers_as_the_local_shell() {
    let statement = "SELECT region_code, count(*) AS n FROM certificates GROUP BY region_code";
    let local = table_lines(sample_warehouse(), &format!("({statement})"), &[]);
    let ballista = table_lines(sample_warehouse(), &format!("({statement})"), &["--engine", "ballista"]);
    assert!(local.len() > 2, "{local:?}");
    assert_eq!(local, ballista);
}

#[test]
fn sql_on_ballista_refuses_what_the_local_shell_refuses() {
    let warehouse = sample_warehouse().to_str().expect("utf-8");
    let output = run(&mut skillhouse(&[
        "sql",
        "--warehouse",
        warehouse,
        "--engine",
        "ballista",
        "-c",
        "DROP TABLE certificates",
    ]));
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    assert!(
        stderr(&output).to_lowercase().contains("drop") || stderr(&output).contains("refused"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn a_scheduler_url_that_is_not_df_is_refused() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (landing, _) = sample();
    let key = dir.path().join("key.hex");
    std::fs::write(&key, "cd".repeat(32)).expect("key");
    let output = rebuild(&dir.path().join("wh"), &landing, "2025-12-31", &key, &["--scheduler", "http://localhost:1"]);
    assert_ne!(output.status.code(), Some(0));
    assert!(stderr(&output).contains("df://HOST:PORT"), "{}", stderr(&output));
    assert!(!dir.path().join("wh").join("CURRENT").exists(), "nothing published");
}

/// A child process killed when dropped.
struct Child(std::process::Child);

impl Drop for Child {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A port free now (and its successor, which an executor's gRPC service takes), on localhost.
fn free_port_pair() -> u16 {
    loop {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("a free port");
        let port = listener.local_addr().expect("address").port();
        if port < u16::MAX && std::net::TcpListener::bind(("127.0.0.1", port + 1)).is_ok() {
            return port;
        }
    }
}

/// Waits until something listens on `port` (a scheduler or executor has started), for at most a minute.
fn wait_for_port(port: u16) {
    let until = std::time::Instant::now() + std::time::Duration::from_secs(60);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(std::time::Instant::now() < until, "nothing listens on port {port}");
        std::thread::sleep(std::time::Duration::from_millis(200));
    }
}

/// One `skillhouse scheduler` and two `skillhouse executor`s on localhost; the scheduler's `df://` URL.
struct Cluster {
    url: String,
    _scheduler: Child,
    executors: Vec<Child>,
    _work: tempfile::TempDir,
}

fn cluster() -> Cluster {
    let work = tempfile::tempdir().expect("tempdir");
    let scheduler_port = free_port_pair();
    let bind = format!("127.0.0.1:{scheduler_port}");
    let quiet = std::process::Stdio::null;
    let scheduler =
        Child(skillhouse(&["scheduler", "--bind", &bind]).stdout(quiet()).stderr(quiet()).spawn().expect("scheduler"));
    wait_for_port(scheduler_port);
    let mut executors = Vec::new();
    for n in 0..2 {
        let port = free_port_pair();
        let work_dir = work.path().join(format!("executor-{n}"));
        std::fs::create_dir_all(&work_dir).expect("work dir");
        let args = [
            "executor",
            "--scheduler",
            &bind,
            "--bind",
            &format!("127.0.0.1:{port}"),
            "--work-dir",
            work_dir.to_str().expect("utf-8"),
            "--concurrent-tasks",
            "2",
        ];
        executors.push(Child(skillhouse(&args).stdout(quiet()).stderr(quiet()).spawn().expect("executor")));
        wait_for_port(port);
    }
    Cluster { url: format!("df://{bind}"), _scheduler: scheduler, executors, _work: work }
}

/// An S3-compatible server (moto's, from PyPI) on a free localhost port with one empty bucket, stopped when dropped;
/// `skillhouse` commands get its endpoint and credentials through the usual `AWS_*` variables, and working copies
/// under a folder of their own.
struct Moto {
    endpoint: String,
    _server: Child,
    cache: tempfile::TempDir,
}

const BUCKET: &str = "skillhouse-test";

impl Moto {
    fn start() -> Self {
        let port = free_port_pair();
        let quiet = std::process::Stdio::null;
        let server = Command::new("python3")
            .args(["-m", "moto.server", "-H", "127.0.0.1", "-p", &port.to_string()])
            .stdout(quiet())
            .stderr(quiet())
            .spawn()
            .expect("python3 -m moto.server (pip install 'moto[server]'; scripts/test installs it)");
        let server = Child(server);
        wait_for_port(port);
        let endpoint = format!("http://127.0.0.1:{port}");
        let moto = Self { endpoint, _server: server, cache: tempfile::tempdir().expect("tempdir") };
        moto.python(&format!("s3.create_bucket(Bucket='{BUCKET}')"));
        moto
    }

    /// Runs `code` in Python with `s3`, a boto3 client of the server; returns what it prints.
    fn python(&self, code: &str) -> String {
        let program = format!(
            "import boto3\ns3 = boto3.client('s3', endpoint_url='{}', aws_access_key_id='test', \
             aws_secret_access_key='test', region_name='us-east-1')\n{code}",
            self.endpoint
        );
        let output = run(Command::new("python3").args(["-c", &program]));
        assert!(output.status.success(), "boto3: {}", stderr(&output));
        String::from_utf8_lossy(&output.stdout).into_owned()
    }

    /// Every key of the bucket under `prefix` (all pages of the listing).
    fn keys(&self, prefix: &str) -> Vec<String> {
        let listing = self.python(&format!(
            "for page in s3.get_paginator('list_objects_v2').paginate(Bucket='{BUCKET}', Prefix='{prefix}'):\n    \
             for o in page.get('Contents', []): print(o['Key'])"
        ));
        listing.lines().map(str::to_string).collect()
    }

    fn skillhouse(&self, args: &[&str]) -> Command {
        let mut command = skillhouse(args);
        command
            .env("AWS_ENDPOINT_URL", &self.endpoint)
            .env("AWS_ALLOW_HTTP", "true")
            .env("AWS_ACCESS_KEY_ID", "test")
            .env("AWS_SECRET_ACCESS_KEY", "test")
            .env("AWS_REGION", "us-east-1")
            .env("SKILLHOUSE_CACHE_DIR", self.cache.path());
        command
    }
}

/// The sample rebuilt through a cluster of one scheduler and two executors over a warehouse in an S3 bucket
/// publishes the local engine's values; the bucket holds the warehouse's layout; an analyst's query through the
/// cluster answers as the local shell does.
#[test]
fn a_cluster_of_two_executors_over_object_storage_publishes_the_local_engines_values() {
    let moto = Moto::start();
    let cluster = cluster();
    let (landing, manifest) = sample();
    let dir = tempfile::tempdir().expect("tempdir");
    let key = dir.path().join("key.hex");
    std::fs::write(&key, "cd".repeat(32)).expect("key");
    let url = format!("s3://{BUCKET}/henan/wh");
    let as_of = manifest["as_of"].as_str().expect("as_of");
    let args =
        ["rebuild", "--warehouse", &url, "--landing", landing.to_str().expect("utf-8"), "--as-of", as_of, "--json"];
    let output = run(moto
        .skillhouse(&args)
        .args(["--engine", "ballista", "--scheduler", &cluster.url])
        .env("SKILLHOUSE_KEY_FILE", &key));
    assert_eq!(output.status.code(), Some(3), "cluster rebuild over s3: {}", stderr(&output));

    // The bucket holds the warehouse's layout: the pointer, the snapshot it names, the ledger; no lock left.
    let keys = moto.keys("henan/wh/");
    let current = moto.python(&format!(
        "print(s3.get_object(Bucket='{BUCKET}', Key='henan/wh/CURRENT')['Body'].read().decode().strip())"
    ));
    let snapshot = format!("henan/wh/snapshots/{}/", current.trim());
    assert!(keys.contains(&format!("{snapshot}manifest.json")), "{} keys, no manifest", keys.len());
    assert!(keys.iter().any(|k| k.starts_with(&format!("{snapshot}models/"))), "no models");
    assert!(keys.iter().any(|k| k == "henan/wh/ledger/ledger.parquet"), "no ledger");
    assert!(!keys.iter().any(|k| k == "henan/wh/.lock"), "the lock is released");

    // Read back from the bucket by a reader's copy: the local engine's values.
    let local = table_lines(sample_warehouse(), "indicator_values", &[]);
    // A peer reads the layout in the bucket as on disk: pyarrow's own S3 client counts the snapshot's values.
    let peer_rows = moto.python(&format!(
        "import pyarrow.parquet as pq, pyarrow.fs as fs\n\
         s3fs = fs.S3FileSystem(endpoint_override='{}', scheme='http', access_key='test', secret_key='test', \
         region='us-east-1')\n\
         print(pq.read_table('{BUCKET}/{snapshot}indicator_values.parquet', filesystem=s3fs).num_rows)",
        moto.endpoint
    ));
    assert_eq!(peer_rows.trim(), (local.len() - 1).to_string(), "pyarrow over S3 sees every value row");
    assert_eq!(local, query_lines(&mut moto.skillhouse(&[]), &url, "indicator_values", &[]));
    assert_eq!(
        table_lines(sample_warehouse(), "persons", &[]),
        query_lines(&mut moto.skillhouse(&[]), &url, "persons", &[])
    );
    let statement = "(SELECT year, count(*) AS n FROM indicator_values GROUP BY year)";
    let through_cluster =
        query_lines(&mut moto.skillhouse(&[]), &url, statement, &["--engine", "ballista", "--scheduler", &cluster.url]);
    assert_eq!(table_lines(sample_warehouse(), statement, &[]), through_cluster);
}

/// A writer finds the bucket locked by another command: refused with the holder's details, nothing published.
#[test]
fn a_locked_bucket_refuses_a_second_writer_and_publishes_nothing() {
    let moto = Moto::start();
    moto.python(&format!("s3.put_object(Bucket='{BUCKET}', Key='wh/.lock', Body=b'rebuild, pid 1 on elsewhere')"));
    let dir = tempfile::tempdir().expect("tempdir");
    let key = dir.path().join("key.hex");
    std::fs::write(&key, "cd".repeat(32)).expect("key");
    let (landing, _) = sample();
    let url = format!("s3://{BUCKET}/wh");
    let args = ["rebuild", "--warehouse", &url, "--landing", landing.to_str().expect("utf-8"), "--as-of", "2025-12-31"];
    let output = run(moto.skillhouse(&args).env("SKILLHOUSE_KEY_FILE", &key));
    assert_ne!(output.status.code(), Some(0));
    assert!(stderr(&output).contains("pid 1 on elsewhere"), "{}", stderr(&output));
    assert_eq!(moto.keys(""), ["wh/.lock"], "nothing but the other command's lock");
}

/// An executor killed while the build over a bucket runs: the build completes on the other one with the local
/// values, or fails with an error and publishes nothing (no `CURRENT` in the bucket).
#[test]
fn an_executor_killed_mid_build_either_finishes_or_publishes_nothing() {
    let moto = Moto::start();
    let mut cluster = cluster();
    let (landing, manifest) = sample();
    let dir = tempfile::tempdir().expect("tempdir");
    let key = dir.path().join("key.hex");
    std::fs::write(&key, "cd".repeat(32)).expect("key");
    let url = format!("s3://{BUCKET}/killed");
    let land = landing.to_str().expect("utf-8");
    let as_of = manifest["as_of"].as_str().expect("as_of");
    let args = ["rebuild", "--warehouse", &url, "--landing", land, "--as-of", as_of, "--json"];
    let build = moto
        .skillhouse(&args)
        .args(["--engine", "ballista", "--scheduler", &cluster.url])
        .env("SKILLHOUSE_KEY_FILE", &key)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("rebuild");
    // Killed once the build has started writing its snapshot (models under way) in its working copy.
    let until = std::time::Instant::now() + std::time::Duration::from_secs(120);
    let snapshots = moto.cache.path().join("s3").join(BUCKET).join("killed").join("writer").join("snapshots");
    while !std::fs::read_dir(&snapshots).map(|d| d.flatten().any(|e| e.path().join("models").is_dir())).unwrap_or(false)
    {
        assert!(std::time::Instant::now() < until, "the build never reached its models");
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    drop(cluster.executors.remove(0));
    let output = build.wait_with_output().expect("rebuild ends");
    let published = moto.keys("killed/").iter().any(|k| k == "killed/CURRENT");
    match output.status.code() {
        Some(0 | 3) => {
            assert_eq!(
                table_lines(sample_warehouse(), "indicator_values", &[]),
                query_lines(&mut moto.skillhouse(&[]), &url, "indicator_values", &[]),
                "a build that survived the executor publishes the local values"
            );
        }
        code => {
            assert!(!published, "a failed build publishes nothing (exit {code:?})");
            assert!(!stderr(&output).trim().is_empty(), "a failed build says why");
        }
    }
}

/// `GET path` on localhost:`port`: the body, or `None` while nothing answers.
fn http_body(port: u16, path: &str) -> Option<String> {
    use std::io::{Read, Write};
    let mut stream = std::net::TcpStream::connect(("127.0.0.1", port)).ok()?;
    stream.set_read_timeout(Some(std::time::Duration::from_secs(10))).ok()?;
    write!(stream, "GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n").ok()?;
    let mut response = String::new();
    stream.read_to_string(&mut response).ok()?;
    response.split_once("\r\n\r\n").map(|(_, body)| body.to_string())
}

/// The snapshot a server answers from (`/readyz`), once it equals `id`, waiting at most 60 s.
fn wait_for_served(port: u16, id: &str) {
    let until = std::time::Instant::now() + std::time::Duration::from_secs(60);
    loop {
        let body = http_body(port, "/readyz").unwrap_or_default();
        if body.contains(&format!("\"snapshot_id\":\"{id}\"")) {
            return;
        }
        assert!(std::time::Instant::now() < until, "the server never served {id}: {body}");
        std::thread::sleep(std::time::Duration::from_millis(250));
    }
}

/// The nightly cycle on a bucket with the local engine: a rebuild publishes; `serve` answers from it; the next
/// night's rebuild copies the unchanged base files inside the bucket instead of sending them again and the server
/// switches to its snapshot; a rollback moves the bucket's pointer back and the server follows.
#[test]
fn serve_follows_the_buckets_pointer_through_a_new_night_and_a_rollback() {
    let moto = Moto::start();
    let (landing, manifest) = sample();
    let dir = tempfile::tempdir().expect("tempdir");
    let key = dir.path().join("key.hex");
    std::fs::write(&key, "cd".repeat(32)).expect("key");
    let url = format!("s3://{BUCKET}/nights");
    let land = landing.to_str().expect("utf-8");
    let as_of = manifest["as_of"].as_str().expect("as_of");
    let night = |as_of: &str| {
        let args = ["rebuild", "--warehouse", &url, "--landing", land, "--as-of", as_of, "--json", "--force"];
        let output = run(moto.skillhouse(&args).env("SKILLHOUSE_KEY_FILE", &key));
        assert!(matches!(output.status.code(), Some(0 | 3)), "rebuild over s3: {}", stderr(&output));
        let report: serde_json::Value = serde_json::from_slice(&output.stdout).expect("--json prints JSON");
        let id = report["snapshot_id"].as_str().expect("snapshot_id").to_string();
        (id, stderr(&output))
    };
    let current = || {
        moto.python(&format!(
            "print(s3.get_object(Bucket='{BUCKET}', Key='nights/CURRENT')['Body'].read().decode().strip())"
        ))
    };
    // The first night a day before the sample's date, the second on it.
    let (first, _) = night("2025-12-30");
    assert_eq!(current().trim(), first);

    let port = free_port_pair();
    let addr = format!("127.0.0.1:{port}");
    let quiet = std::process::Stdio::null;
    let mut serve = moto.skillhouse(&["serve", "--warehouse", &url, "--addr", &addr, "--poll-interval", "1"]);
    let _server = Child(serve.stdout(quiet()).stderr(quiet()).spawn().expect("serve"));
    wait_for_served(port, &first);

    let (second, log) = night(as_of);
    assert_ne!(second, first);
    assert_eq!(current().trim(), second);
    let copied: usize = log
        .split_whitespace()
        .find_map(|w| w.strip_prefix("copied="))
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("the push reports what it copied: {log}"));
    assert!(copied > 0, "the base files linked into the second snapshot are copied in the bucket: {log}");
    wait_for_served(port, &second);

    let output = run(&mut moto.skillhouse(&["snapshots", "--warehouse", &url, "rollback", &first]));
    assert!(output.status.success(), "rollback over s3: {}", stderr(&output));
    assert_eq!(current().trim(), first, "the rollback put the bucket's pointer");
    wait_for_served(port, &first);
}
