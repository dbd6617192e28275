//! Command-line arguments (DESIGN §15). Every flag also reads a `SKILLHOUSE_*` environment variable.

use chrono::NaiveDate;
use clap::{Args, Parser, Subcommand, ValueEnum};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

/// SkillHouse — skill-talent statistics for 人人持证、技能河南.
#[derive(Debug, Parser)]
#[command(name = "skillhouse", version, about, long_about = None, propagate_version = true)]
pub struct Cli {
    /// More log output (-v info, -vv debug); SKILLHOUSE_LOG takes a tracing filter.
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
#[allow(clippy::large_enum_variant)] // reason: parsed once per process; boxing the big variants buys nothing
pub enum Command {
    /// Sample drops → rebuild → scoreboard in the terminal → serve.
    Demo(DemoArgs),
    /// Write a synthetic landing folder of agency drops, with a manifest of injected defects.
    Datagen(DatagenArgs),
    /// Validate and load files or landing folders into the warehouse (no publish).
    Ingest(IngestArgs),
    /// Ingest new drops, recompute models and indicators, and publish a snapshot.
    Rebuild(RebuildArgs),
    /// Query the published snapshot with SQL.
    Sql(SqlArgs),
    /// Serve the HTTP API, the dashboard and the Postgres wire port.
    Serve(ServeArgs),
    /// List snapshots or roll back to one.
    Snapshots(SnapshotsArgs),
    /// Write a receipt (回执, XLSX and CSV) for every submission: what happened to each agency's and provider's file.
    Receipts(ReceiptsArgs),
    /// Run a Ballista scheduler that knows SkillHouse's functions (docs/distributed.md).
    #[cfg(feature = "distributed")]
    Scheduler(SchedulerArgs),
    /// Run a Ballista executor that knows SkillHouse's functions (docs/distributed.md).
    #[cfg(feature = "distributed")]
    Executor(ExecutorArgs),
}

/// Engines the build and analysts' batch SQL run on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum EngineKind {
    /// DataFusion in this process.
    Local,
    /// Apache DataFusion Ballista: in-process standalone, or the cluster of `--scheduler`
    /// (binaries built with the `distributed` feature).
    Ballista,
}

/// Which engine runs the SQL (`rebuild`, `sql`).
#[derive(Debug, Clone, Args)]
pub struct EngineArgs {
    /// Engine of the models, indicators and queries; `ballista` needs a binary built with the `distributed` feature.
    #[arg(long, env = "SKILLHOUSE_ENGINE", value_enum, default_value = "local")]
    pub engine: EngineKind,
    /// The Ballista scheduler (`df://HOST:PORT`); without it `--engine ballista` runs standalone in the command.
    #[arg(long, env = "SKILLHOUSE_SCHEDULER")]
    pub scheduler: Option<String>,
}

/// Arguments of `scheduler`.
#[cfg(feature = "distributed")]
#[derive(Debug, Args)]
pub struct SchedulerArgs {
    /// Address the scheduler's gRPC service listens on.
    #[arg(long, env = "SKILLHOUSE_SCHEDULER_BIND", default_value = "127.0.0.1:50050")]
    pub bind: SocketAddr,
}

/// Arguments of `executor`.
#[cfg(feature = "distributed")]
#[derive(Debug, Args)]
pub struct ExecutorArgs {
    /// The scheduler (`HOST:PORT` or `df://HOST:PORT`).
    #[arg(long, env = "SKILLHOUSE_SCHEDULER")]
    pub scheduler: String,
    /// Address of the executor's Arrow Flight service; its gRPC service takes the next port.
    #[arg(long, env = "SKILLHOUSE_EXECUTOR_BIND", default_value = "127.0.0.1:50051")]
    pub bind: SocketAddr,
    /// Folder for shuffle files (default: a temporary folder).
    #[arg(long, env = "SKILLHOUSE_EXECUTOR_WORK_DIR")]
    pub work_dir: Option<PathBuf>,
    /// Tasks run at once (default: the cores).
    #[arg(long, env = "SKILLHOUSE_EXECUTOR_TASKS")]
    pub concurrent_tasks: Option<usize>,
}

/// Where the warehouse is and which key pseudonymises IDs.
#[derive(Debug, Args)]
pub struct WarehouseArgs {
    /// Warehouse directory.
    #[arg(long, env = "SKILLHOUSE_WAREHOUSE")]
    pub warehouse: PathBuf,
}

/// The pseudonymisation key.
#[derive(Debug, Args)]
pub struct KeyArgs {
    /// File holding the pseudonymisation key as hex text (at least 32 bytes). Keep it outside the warehouse.
    #[arg(long, env = "SKILLHOUSE_KEY_FILE")]
    pub key_file: Option<PathBuf>,
}

/// Arguments of `demo`.
#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Address to serve the API and dashboard on.
    #[arg(long, env = "SKILLHOUSE_ADDR", default_value = "127.0.0.1:8080")]
    pub addr: SocketAddr,
    /// Folder for the demo warehouse, landing copy and key.
    #[arg(long, env = "SKILLHOUSE_DEMO_DIR", default_value = "demo-warehouse")]
    pub dir: PathBuf,
    /// Print the scoreboard and exit instead of serving.
    #[arg(long, env = "SKILLHOUSE_NO_SERVE")]
    pub no_serve: bool,
}

/// Arguments of `datagen`.
#[derive(Debug, Args)]
pub struct DatagenArgs {
    /// Output landing folder (created; must be empty or absent).
    #[arg(long, env = "SKILLHOUSE_DATAGEN_OUT")]
    pub out: PathBuf,
    /// Number of persons to generate.
    #[arg(long, env = "SKILLHOUSE_DATAGEN_PERSONS", default_value_t = 10_000)]
    pub persons: u64,
    /// Random seed; the same seed and arguments give byte-identical files.
    #[arg(long, env = "SKILLHOUSE_DATAGEN_SEED", default_value_t = 42)]
    pub seed: u64,
    /// Issue years, as `2021-2025`.
    #[arg(long, env = "SKILLHOUSE_DATAGEN_YEARS", default_value = "2021-2025")]
    pub years: String,
    /// Share of rows carrying one injected defect (0 to 0.5).
    #[arg(long, env = "SKILLHOUSE_DATAGEN_DEFECT_RATE", default_value_t = 0.02)]
    pub defect_rate: f64,
    /// Number of evaluation agencies (default scales with persons).
    #[arg(long, env = "SKILLHOUSE_DATAGEN_AGENCIES")]
    pub agencies: Option<u32>,
    /// As-of date of the drop: no valid row is dated after it (default: 31 December of the last year).
    #[arg(long, env = "SKILLHOUSE_DATAGEN_AS_OF")]
    pub as_of: Option<NaiveDate>,
    /// Training records (人次) per person over the years, written under `training/` (0: none).
    #[arg(long, env = "SKILLHOUSE_DATAGEN_TRAINING", default_value_t = skillhouse_datagen::DEFAULT_TRAINING)]
    pub training: f64,
}

/// Arguments of `ingest`.
#[derive(Debug, Args)]
pub struct IngestArgs {
    #[command(flatten)]
    pub warehouse: WarehouseArgs,
    #[command(flatten)]
    pub key: KeyArgs,
    /// Reference data folder (occupations, regions …).
    #[arg(long, env = "SKILLHOUSE_REFERENCE")]
    pub reference: Option<PathBuf>,
    /// Dates after this are `issue_date_future` (default: today).
    #[arg(long, env = "SKILLHOUSE_AS_OF")]
    pub as_of: Option<NaiveDate>,
    /// Files or landing folders to load.
    #[arg(required = true)]
    pub paths: Vec<PathBuf>,
}

/// Arguments of `rebuild`.
#[derive(Debug, Args)]
pub struct RebuildArgs {
    #[command(flatten)]
    pub warehouse: WarehouseArgs,
    #[command(flatten)]
    pub key: KeyArgs,
    /// Landing folder with agencies.csv and one folder per agency.
    #[arg(long, env = "SKILLHOUSE_LANDING")]
    pub landing: PathBuf,
    /// Reference data folder (default: the bundled datasets/reference).
    #[arg(long, env = "SKILLHOUSE_REFERENCE")]
    pub reference: Option<PathBuf>,
    /// As-of date; the same inputs and as-of date give the same indicator values (default: today).
    #[arg(long, env = "SKILLHOUSE_AS_OF")]
    pub as_of: Option<NaiveDate>,
    /// Print the run report as JSON.
    #[arg(long, env = "SKILLHOUSE_JSON")]
    pub json: bool,
    /// Recompute the models of every year. By default the years before the earliest one whose certificate files
    /// changed (and before the as-of year) are taken over from the published snapshot.
    #[arg(long)]
    pub full: bool,
    #[command(flatten)]
    pub publish: PublishArgs,
    #[command(flatten)]
    pub engine: EngineArgs,
}

/// The release gate's thresholds and snapshot retention, shared by `rebuild` and `serve --rebuild-at`.
#[derive(Debug, Clone, Args)]
pub struct PublishArgs {
    /// Snapshots kept for rollback (besides the published one); older ones are removed once no reader holds them.
    #[arg(long, env = "SKILLHOUSE_KEEP", default_value_t = 7, value_parser = clap::value_parser!(u32).range(1..))]
    pub keep: u32,
    /// Publish even if a release-gate check fails (the report and the manifest record it).
    #[arg(long, env = "SKILLHOUSE_FORCE")]
    pub force: bool,
    /// Release gate: largest allowed drop of the certificate count against the published snapshot, in percent.
    #[arg(long, env = "SKILLHOUSE_MAX_ROW_DROP_PCT", default_value_t = skillhouse_query::DEFAULT_MAX_ROW_DROP_PCT)]
    pub max_row_drop_pct: f64,
    /// Release gate: largest allowed growth of the certificate count against the published snapshot, in percent.
    #[arg(long, env = "SKILLHOUSE_MAX_ROW_GROWTH_PCT", default_value_t = skillhouse_query::DEFAULT_MAX_ROW_GROWTH_PCT)]
    pub max_row_growth_pct: f64,
    /// Release gate: largest allowed change of a headline indicator (province stock figures) against the published
    /// snapshot, in percent.
    #[arg(
        long,
        env = "SKILLHOUSE_MAX_INDICATOR_CHANGE_PCT",
        default_value_t = skillhouse_query::DEFAULT_MAX_INDICATOR_CHANGE_PCT
    )]
    pub max_indicator_change_pct: f64,
}

/// Output formats of `sql`.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum OutputFormat {
    /// Aligned table.
    Table,
    /// CSV with a header row.
    Csv,
    /// One JSON object per row.
    Json,
    /// Markdown table.
    Markdown,
}

/// Arguments of `sql`.
#[derive(Debug, Args)]
pub struct SqlArgs {
    #[command(flatten)]
    pub warehouse: WarehouseArgs,
    /// Run one SQL statement and exit.
    #[arg(short = 'c', long = "command", env = "SKILLHOUSE_SQL", conflicts_with = "file")]
    pub command: Option<String>,
    /// Run the statements of a file and exit.
    #[arg(short = 'f', long = "file", env = "SKILLHOUSE_SQL_FILE")]
    pub file: Option<PathBuf>,
    /// Output format (`\format` changes it in the shell).
    #[arg(long, env = "SKILLHOUSE_FORMAT", value_enum, default_value = "table")]
    pub format: OutputFormat,
    #[command(flatten)]
    pub bounds: BoundsArgs,
    #[command(flatten)]
    pub engine: EngineArgs,
}

/// Bounds of analyst SQL (the shell and the Postgres wire port).
#[derive(Debug, Args)]
pub struct BoundsArgs {
    /// Memory one SQL statement may use (e.g. 512MiB, 2GiB); beyond it sorts spill to disk, other statements fail.
    #[arg(long, env = "SKILLHOUSE_MEMORY_LIMIT", default_value = "2GiB", value_parser = parse_memory_limit)]
    pub memory_limit: usize,
    /// Time one SQL statement may take (e.g. 30s, 500ms, 5min; 0 for none); a longer statement is cancelled.
    #[arg(long, env = "SKILLHOUSE_STATEMENT_TIMEOUT", default_value = "300s", value_parser = parse_statement_timeout)]
    pub statement_timeout: StatementTimeout,
}

/// A statement timeout; `None` for no limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StatementTimeout(pub Option<Duration>);

fn parse_memory_limit(text: &str) -> Result<usize, String> {
    skillhouse_query::parse_bytes(text)
}

fn parse_statement_timeout(text: &str) -> Result<StatementTimeout, String> {
    skillhouse_query::parse_timeout(text).map(StatementTimeout)
}

/// Arguments of `serve`.
#[derive(Debug, Args)]
pub struct ServeArgs {
    #[command(flatten)]
    pub warehouse: WarehouseArgs,
    /// HTTP address.
    #[arg(long, env = "SKILLHOUSE_ADDR", default_value = "127.0.0.1:8080")]
    pub addr: SocketAddr,
    /// Postgres wire protocol address (off unless given).
    #[arg(long, env = "SKILLHOUSE_PG_ADDR")]
    pub pg_addr: Option<SocketAddr>,
    /// Run the nightly rebuild inside the server every day at this local time (HH:MM), reading --landing; needs
    /// the pseudonymisation key (--key-file).
    #[arg(long, env = "SKILLHOUSE_REBUILD_AT", requires = "landing", value_parser = parse_time_of_day)]
    pub rebuild_at: Option<chrono::NaiveTime>,
    /// Landing folder for --rebuild-at.
    #[arg(long, env = "SKILLHOUSE_LANDING")]
    pub landing: Option<PathBuf>,
    #[command(flatten)]
    pub key: KeyArgs,
    /// Reference data folder for --rebuild-at (default: the bundled datasets/reference).
    #[arg(long, env = "SKILLHOUSE_REFERENCE")]
    pub reference: Option<PathBuf>,
    #[command(flatten)]
    pub publish: PublishArgs,
    /// Small-cell suppression threshold: published counts below k (and shares built on them) are withheld.
    #[arg(long, env = "SKILLHOUSE_SUPPRESS_K", default_value_t = 10, value_parser = clap::value_parser!(i64).range(1..))]
    pub suppress_k: i64,
    /// Cache-Control header of data answers (ETags make revalidation a cheap 304).
    #[arg(long, env = "SKILLHOUSE_CACHE_CONTROL", default_value = "no-cache")]
    pub cache_control: String,
    /// File of accepted bearer tokens, one per line (`#` comments allowed); without it or --api-tokens, no auth.
    #[arg(long, env = "SKILLHOUSE_TOKEN_FILE")]
    pub token_file: Option<PathBuf>,
    /// Agencies' and training providers' own tokens (TOML: `[[agency]] agency_id, token`, `[[provider]]
    /// provider_id, token`): each sees its own receipts and submissions only (docs/operations.md).
    #[arg(long, env = "SKILLHOUSE_API_USERS")]
    pub api_users: Option<PathBuf>,
    /// Accepted bearer tokens, comma-separated (prefer the environment variable to the flag: flags show in `ps`).
    #[arg(long, env = "SKILLHOUSE_API_TOKENS", value_delimiter = ',', hide_env_values = true)]
    pub api_tokens: Vec<String>,
    /// Origins allowed by CORS (comma-separated, `*` for any); CORS is off unless given.
    #[arg(long = "cors-origin", env = "SKILLHOUSE_CORS_ORIGINS", value_delimiter = ',')]
    pub cors_origins: Vec<String>,
    /// Requests handled at once; beyond it requests are answered 503 at once (load shedding).
    #[arg(long, env = "SKILLHOUSE_MAX_CONCURRENCY", default_value_t = 256)]
    pub max_concurrency: usize,
    /// Seconds a request may take before it is answered 503.
    #[arg(long, env = "SKILLHOUSE_REQUEST_TIMEOUT", default_value_t = 10.0)]
    pub request_timeout: f64,
    /// Largest request body accepted, in bytes (the API takes none).
    #[arg(long, env = "SKILLHOUSE_BODY_LIMIT", default_value_t = 16384)]
    pub body_limit: usize,
    /// Seconds between checks of WAREHOUSE/CURRENT for a newly published snapshot.
    #[arg(long, env = "SKILLHOUSE_POLL_INTERVAL", default_value_t = 2.0)]
    pub poll_interval: f64,
    #[command(flatten)]
    pub pg: PgArgs,
}

/// Users and limits of the Postgres wire port (`serve --pg-addr`).
#[derive(Debug, Args)]
pub struct PgArgs {
    /// A user allowed to connect over the Postgres wire (with --pg-password).
    #[arg(long, env = "SKILLHOUSE_PG_USER", requires = "pg_password")]
    pub pg_user: Option<String>,
    /// Password of --pg-user (prefer the environment variable to the flag: flags show in `ps`).
    #[arg(long, env = "SKILLHOUSE_PG_PASSWORD", hide_env_values = true, requires = "pg_user")]
    pub pg_password: Option<String>,
    /// TOML file of more users: `[[user]]` tables with `name` and `password` (keep it chmod 600).
    #[arg(long, env = "SKILLHOUSE_PG_USERS")]
    pub pg_users: Option<PathBuf>,
    /// Logged-in Postgres sessions served at once; a login beyond them is refused (connections still logging in
    /// do not count: they have 5 s to log in).
    #[arg(long, env = "SKILLHOUSE_PG_MAX_CONNECTIONS", default_value_t = 32)]
    pub pg_max_connections: usize,
    #[command(flatten)]
    pub bounds: BoundsArgs,
}

/// `HH:MM` (24-hour clock).
fn parse_time_of_day(text: &str) -> Result<chrono::NaiveTime, String> {
    chrono::NaiveTime::parse_from_str(text.trim(), "%H:%M").map_err(|_| format!("`{text}` is not a time as HH:MM"))
}

/// Arguments of `receipts`.
#[derive(Debug, Args)]
pub struct ReceiptsArgs {
    #[command(flatten)]
    pub warehouse: WarehouseArgs,
    /// Only this agency's (or training provider's) submissions.
    #[arg(long, env = "SKILLHOUSE_RECEIPTS_AGENCY")]
    pub agency: Option<String>,
    /// Only this month's submissions (YYYY-MM).
    #[arg(long, env = "SKILLHOUSE_RECEIPTS_PERIOD")]
    pub period: Option<String>,
    /// Output folder: `<agency_id>/<YYYY-MM>.receipt.xlsx|csv`, training providers' under `training/`.
    #[arg(long, env = "SKILLHOUSE_RECEIPTS_OUT")]
    pub out: PathBuf,
    /// Read this snapshot instead of the published one.
    #[arg(long, env = "SKILLHOUSE_SNAPSHOT")]
    pub snapshot: Option<String>,
}

/// Arguments of `snapshots`.
#[derive(Debug, Args)]
pub struct SnapshotsArgs {
    #[command(flatten)]
    pub warehouse: WarehouseArgs,
    /// Print the result as JSON.
    #[arg(long, env = "SKILLHOUSE_JSON", global = true)]
    pub json: bool,
    #[command(subcommand)]
    pub action: SnapshotAction,
}

/// What to do with snapshots.
#[derive(Debug, Subcommand)]
pub enum SnapshotAction {
    /// List snapshots, newest first, marking the published one.
    List,
    /// Publish an earlier snapshot again (after verifying its checksums).
    Rollback {
        /// Snapshot id from `list`.
        id: String,
        /// Publish it even if the release gate refused it.
        #[arg(long)]
        force: bool,
    },
    /// Re-check every file of a snapshot (default: the published one) against its manifest's sizes and checksums.
    Verify {
        /// Snapshot id from `list`.
        id: Option<String>,
    },
    /// Apply retention now: keep the published snapshot and the newest N, remove the rest no reader holds.
    Prune {
        /// Snapshots kept besides the published one.
        #[arg(long, env = "SKILLHOUSE_KEEP", default_value_t = 7, value_parser = clap::value_parser!(u32).range(1..))]
        keep: u32,
    },
}
