//! The maintenance commands: `hoard check [--deep] [--repair]` and `hoard migrate-blobs
//! --to s3|local` (SPEC §1, §14): their output, and the switch of `storage.backend` once
//! every blob has moved.

use std::path::PathBuf;
use std::time::Duration;

use super::CliError;
use crate::app::AppState;
use crate::config::{self, Backend, Config, Overrides};
use crate::service::check::{self, CheckOptions};
use crate::service::migrate::{MigrateError, Migration, Moved};

/// Where the configuration came from: what `migrate-blobs` rewrites and reloads.
pub struct ConfigSource {
    pub file: Option<PathBuf>,
    pub overrides: Overrides,
}

pub async fn run_check(
    state: &AppState,
    repair: bool,
    deep: bool,
    grace_s: u64,
) -> Result<(), CliError> {
    let options = CheckOptions {
        repair,
        deep,
        grace: Duration::from_secs(grace_s),
    };
    let problems = check::run(state, options).await?;
    for problem in &problems {
        println!("{problem}");
    }
    if problems.is_empty() {
        println!("consistent");
        Ok(())
    } else {
        Err(CliError::Inconsistent(problems.len()))
    }
}

/// Moves every blob to `to`, printing a line per blob, then switches the backend.
pub async fn run_migrate(
    state: &AppState,
    to: Backend,
    source: &ConfigSource,
) -> Result<(), CliError> {
    let migration = Migration::open(state).await.map_err(|error| match error {
        MigrateError::Config(error) => CliError::Usage(error.to_string()),
        other => other.into(),
    })?;
    let plan = migration.plan(to).await?;
    let there = place(to);
    println!(
        "moving {} blob(s), {} bytes, to {there}; {} already there",
        plan.moving, plan.bytes, plan.already
    );
    let mut done = 0;
    migration
        .run(to, |moved| {
            done += 1;
            println!("[{done}/{}] {}", plan.moving, describe(moved, to));
        })
        .await?;
    let left = migration.plan(to).await?.moving;
    drop(migration);
    if left > 0 {
        return Err(CliError::Unfinished(left));
    }
    match to {
        Backend::S3 => {
            println!("every blob is in the object store; the files in blobs/ are left in place")
        }
        Backend::Local => println!("every blob is in blobs/; the objects are left in the bucket"),
    }
    switch(to, source, &state.config)
}

fn place(to: Backend) -> &'static str {
    match to {
        Backend::S3 => "the object store",
        Backend::Local => "blobs/",
    }
}

fn describe(moved: &Moved, to: Backend) -> String {
    let (sha256, size, key) = (&moved.sha256, moved.size, &moved.key);
    match to {
        Backend::S3 => format!("{sha256} {size} bytes → {key}"),
        Backend::Local if moved.kept => {
            format!("{sha256} {size} bytes: the copy in blobs/ is intact")
        }
        Backend::Local => format!("{sha256} {size} bytes ← {key}"),
    }
}

/// Points `storage.backend` at `to`: in the config file the command was given (that one
/// value rewritten), or, without one, says what to set.
fn switch(to: Backend, source: &ConfigSource, config: &Config) -> Result<(), CliError> {
    let name = match to {
        Backend::S3 => "s3",
        Backend::Local => "local",
    };
    let Some(file) = &source.file else {
        if config.storage.backend == to {
            println!("storage.backend is already \"{name}\"");
        } else {
            println!(
                "no config file was given (--config): set storage.backend = \"{name}\" \
                 (or HOARD_STORAGE_BACKEND={name}) where the server is configured"
            );
        }
        return Ok(());
    };
    if config::set_backend(file, to)? {
        println!("storage.backend = \"{name}\" written to {}", file.display());
    } else {
        println!(
            "{} already sets storage.backend = \"{name}\"",
            file.display()
        );
    }
    let now = Config::load(Some(file), &source.overrides)?;
    if now.storage.backend != to {
        println!(
            "the environment overrides it: set HOARD_STORAGE_BACKEND={name} where the server starts"
        );
    }
    Ok(())
}
