//! `--engine ballista` for `rebuild` and `sql`, and the `scheduler` and `executor` subcommands (issue 25,
//! docs/distributed.md). Without the `distributed` feature, `--engine ballista` is refused with a clear message.

use crate::args::{EngineArgs, EngineKind};
use anyhow::bail;

/// The engine `--engine`/`--scheduler` name: `None` for the local one.
#[cfg(feature = "distributed")]
pub fn engine(args: &EngineArgs) -> anyhow::Result<Option<skillhouse_distributed::Ballista>> {
    match args.engine {
        EngineKind::Local if args.scheduler.is_some() => bail!("--scheduler needs --engine ballista"),
        EngineKind::Local => Ok(None),
        EngineKind::Ballista => {
            let target = skillhouse_distributed::Target::parse(args.scheduler.as_deref())?;
            Ok(Some(skillhouse_distributed::Ballista::new(target)))
        }
    }
}

/// Without the feature there is only the local engine.
#[cfg(not(feature = "distributed"))]
pub fn engine(args: &EngineArgs) -> anyhow::Result<Option<std::convert::Infallible>> {
    match args.engine {
        EngineKind::Local if args.scheduler.is_some() => bail!("--scheduler needs --engine ballista"),
        EngineKind::Local => Ok(None),
        EngineKind::Ballista => bail!(
            "--engine ballista: this skillhouse was built without Ballista; build it with \
             `cargo build --features skillhouse-cli/distributed` (docs/distributed.md)"
        ),
    }
}

/// The engine as the build takes it.
#[cfg(feature = "distributed")]
pub fn provider(engine: &Option<skillhouse_distributed::Ballista>) -> Option<&dyn skillhouse_query::SessionProvider> {
    engine.as_ref().map(|e| e as &dyn skillhouse_query::SessionProvider)
}

/// Without the feature there is no engine to take.
#[cfg(not(feature = "distributed"))]
pub fn provider(engine: &Option<std::convert::Infallible>) -> Option<&dyn skillhouse_query::SessionProvider> {
    engine.as_ref().map(|never| match *never {})
}

/// Without the feature `engine` never returns an engine, so this is never called.
#[cfg(not(feature = "distributed"))]
pub fn sql(_args: crate::args::SqlArgs, engine: std::convert::Infallible) -> anyhow::Result<crate::exit::Outcome> {
    match engine {}
}

#[cfg(feature = "distributed")]
pub use cluster::{executor, scheduler, sql};

#[cfg(feature = "distributed")]
mod cluster {
    use crate::args::{ExecutorArgs, SchedulerArgs, SqlArgs};
    use crate::exit::Outcome;
    use anyhow::{Context, bail};
    use skillhouse_distributed::{Ballista, ExecutorOptions};

    /// A runtime with the large thread stacks Ballista's own binaries use (deep plans decode recursively).
    fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
        tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .thread_stack_size(32 << 20)
            .build()
            .context("starting the runtime")
    }

    /// `skillhouse scheduler`: runs until killed.
    pub fn scheduler(args: SchedulerArgs) -> anyhow::Result<Outcome> {
        eprintln!("skillhouse scheduler: listening on {}", args.bind);
        runtime()?.block_on(skillhouse_distributed::run_scheduler(args.bind))?;
        Ok(Outcome::Success)
    }

    /// `skillhouse executor`: runs until killed or stopped by the scheduler.
    pub fn executor(args: ExecutorArgs) -> anyhow::Result<Outcome> {
        let options = ExecutorOptions {
            scheduler: skillhouse_distributed::parse_scheduler_address(&args.scheduler)?,
            bind: args.bind,
            work_dir: args.work_dir,
            concurrent_tasks: args.concurrent_tasks,
        };
        eprintln!("skillhouse executor: listening on {}, scheduler {}", args.bind, args.scheduler);
        runtime()?.block_on(skillhouse_distributed::run_executor(options))?;
        Ok(Outcome::Success)
    }

    /// `skillhouse sql --engine ballista`: `-c` or `-f` (batch only; the interactive shell stays local).
    pub fn sql(args: SqlArgs, engine: Ballista) -> anyhow::Result<Outcome> {
        let text = match (&args.command, &args.file) {
            (Some(text), _) => text.clone(),
            (None, Some(path)) => {
                std::fs::read_to_string(path).with_context(|| format!("reading SQL file {}", path.display()))?
            }
            (None, None) => bail!("--engine ballista runs -c SQL or -f FILE; the interactive shell is local only"),
        };
        let format = super::super::sql::result_format(args.format);
        let warehouse = args.warehouse.warehouse;
        let rendered = runtime()?
            .block_on(skillhouse_distributed::run_statements(&engine, &warehouse, &text, format))
            .with_context(|| {
                format!(
                    "running SQL on {} over {}",
                    skillhouse_query::SessionProvider::name(&engine),
                    warehouse.display()
                )
            })?;
        for mut output in rendered {
            if !output.is_empty() && !output.ends_with('\n') {
                output.push('\n');
            }
            print!("{output}");
        }
        Ok(Outcome::Success)
    }
}
