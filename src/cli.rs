//! The command line. Exit codes: 0 success, 1 failure, 2 bad usage or configuration.

use std::io::{BufRead, IsTerminal};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use clap::{Args, Parser, Subcommand};

mod maintenance;

use crate::app::{self, AppState};
use crate::config::{Backend, Config, ConfigError, Overrides};
use crate::ids::UserId;
use crate::service::accounts::NewAccount;
use crate::service::AccountError;
use crate::service::StartupError;

#[derive(Debug, Parser)]
#[command(name = "hoard", version, about = "A self-hosted drive in one binary.")]
pub struct Cli {
    #[command(flatten)]
    global: GlobalArgs,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Debug, Args)]
struct GlobalArgs {
    /// TOML configuration file (see config.example.toml).
    #[arg(long, short, global = true, value_name = "FILE")]
    config: Option<PathBuf>,
    /// Listen address, e.g. 127.0.0.1:8080 (overrides server.bind).
    #[arg(long, global = true, value_name = "ADDR")]
    bind: Option<String>,
    /// Data directory (overrides storage.data_dir).
    #[arg(long, global = true, value_name = "DIR")]
    data_dir: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Serve the API and web UI (the default).
    Serve,
    /// Manage accounts.
    #[command(subcommand)]
    User(UserCommand),
    /// Print the OpenAPI document.
    Openapi,
    /// Print the effective configuration (all layers applied; the JWT secret redacted).
    Config,
    /// Verify that the database and the blob stores agree; exit 1 when they do not.
    Check {
        /// Fix what is safe to fix: orphans and temp files older than an hour, counters,
        /// objects no row names.
        #[arg(long)]
        repair: bool,
        /// Also download and re-hash every object of the object store (local blobs are
        /// always re-hashed).
        #[arg(long)]
        deep: bool,
        /// The grace period in seconds: younger unreferenced files and objects may belong
        /// to uploads in flight. A hook for the tests, which cannot age an object.
        #[arg(long, hide = true, default_value_t = 3600)]
        grace_s: u64,
    },
    /// Move every blob to the object store or back to blobs/, verifying each hash, then
    /// switch storage.backend in the config file (stop the server first).
    MigrateBlobs {
        /// Where the blobs go.
        #[arg(long, value_parser = parse_backend)]
        to: Backend,
    },
    /// Write a consistent snapshot of the database to FILE (safe while serving).
    Backup { file: PathBuf },
}

#[derive(Debug, Subcommand)]
enum UserCommand {
    /// Create an account; the password is prompted for or read from stdin.
    Add {
        name: String,
        #[arg(long)]
        email: String,
        /// Make the account an admin.
        #[arg(long)]
        admin: bool,
        /// Read the password from the first line of standard input.
        #[arg(long)]
        password_stdin: bool,
    },
    /// Set a new password for an account (its sessions end).
    Passwd {
        name: String,
        #[arg(long)]
        password_stdin: bool,
    },
    /// Turn an account's two-step sign-in off (its owner lost the app and the recovery
    /// codes, and no other admin can reset it).
    ResetMfa { name: String },
    /// List accounts.
    List,
}

pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let overrides = Overrides {
        bind: cli.global.bind.clone(),
        data_dir: cli.global.data_dir.clone(),
    };
    let config = match Config::load(cli.global.config.as_deref(), &overrides) {
        Ok(config) => config,
        Err(error) => {
            eprintln!("hoard: {error}");
            return ExitCode::from(2);
        }
    };
    init_logging(&config);
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(runtime) => runtime,
        Err(error) => return fail(&error),
    };
    let source = maintenance::ConfigSource {
        file: cli.global.config.clone(),
        overrides,
    };
    let command = cli.command.unwrap_or(Command::Serve);
    let outcome = runtime.block_on(run(command, config, &source));
    crate::http::logsink::LogSink::get().flush();
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(CliError::Usage(message)) => {
            eprintln!("hoard: {message}");
            ExitCode::from(2)
        }
        Err(error) => fail(&error),
    }
}

#[derive(Debug, thiserror::Error)]
enum CliError {
    #[error(transparent)]
    Check(#[from] crate::service::check::CheckError),
    #[error("{0} problem(s) found")]
    Inconsistent(usize),
    #[error(transparent)]
    Migrate(#[from] crate::service::migrate::MigrateError),
    #[error("{0} blob(s) are still in the other store; run the command again")]
    Unfinished(u64),
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error(transparent)]
    Startup(#[from] StartupError),
    #[error(transparent)]
    Account(#[from] AccountError),
    #[error(transparent)]
    Io(#[from] std::io::Error),
    #[error("{0}")]
    Usage(String),
}

async fn run(
    command: Command,
    config: Config,
    source: &maintenance::ConfigSource,
) -> Result<(), CliError> {
    match command {
        Command::Openapi => {
            println!("{}", openapi_json(config)?);
            return Ok(());
        }
        Command::Config => {
            print!(
                "{}",
                toml::to_string(&config.redacted()).map_err(std::io::Error::other)?
            );
            return Ok(());
        }
        _ => {}
    }
    let state = AppState::open(config)?;
    match command {
        Command::Serve => {
            state.preflight().await.map_err(|error| match error {
                StartupError::ObjectStoreConfig(message) => CliError::Usage(message),
                other => other.into(),
            })?;
            app::serve(state).await?
        }
        Command::User(user) => run_user(&state, user).await?,
        Command::Check {
            repair,
            deep,
            grace_s,
        } => return maintenance::run_check(&state, repair, deep, grace_s).await,
        Command::MigrateBlobs { to } => return maintenance::run_migrate(&state, to, source).await,
        Command::Backup { file } => {
            if file.exists() {
                return Err(CliError::Usage(format!(
                    "{} exists; choose a new file",
                    file.display()
                )));
            }
            crate::service::check::backup(&state.db, &file)?;
            println!(
                "database snapshot written to {}; a full backup also copies blobs/, jwt.secret and tmp/uploads/ (docs/deploy.md)",
                file.display()
            );
        }
        Command::Openapi | Command::Config => {}
    }
    Ok(())
}

fn parse_backend(text: &str) -> Result<Backend, String> {
    match text {
        "s3" => Ok(Backend::S3),
        "local" => Ok(Backend::Local),
        _ => Err("expected `s3` or `local`".into()),
    }
}

/// The OpenAPI document, built against a throw-away data directory.
pub fn openapi_json(config: Config) -> Result<String, StartupError> {
    let scratch = std::env::temp_dir().join(format!("hoard-openapi-{}", std::process::id()));
    let mut config = config;
    config.storage.data_dir = scratch.clone();
    let state = AppState::open(config)?;
    let spec = crate::api::openapi_document(&state);
    drop(state);
    let _ = std::fs::remove_dir_all(scratch);
    Ok(spec)
}

async fn run_user(state: &Arc<AppState>, command: UserCommand) -> Result<(), CliError> {
    let accounts = &state.accounts;
    match command {
        UserCommand::Add {
            name,
            email,
            admin,
            password_stdin,
        } => {
            let password = read_password(password_stdin)?;
            let account = NewAccount {
                username: name,
                email,
                password,
                admin,
                ..NewAccount::default()
            };
            let user = accounts.create(account).await.map_err(explain)?;
            println!(
                "created {} (id {}, role {})",
                user.username, user.id, user.role
            );
        }
        UserCommand::Passwd {
            name,
            password_stdin,
        } => {
            let password = read_password(password_stdin)?;
            let user = accounts
                .reset_password(&name, &password)
                .await
                .map_err(explain)?;
            println!(
                "password changed for {}; their sessions have ended",
                user.username
            );
        }
        UserCommand::ResetMfa { name } => {
            let all = accounts.all().await?;
            let user = all
                .iter()
                .find(|u| u.username.eq_ignore_ascii_case(&name))
                .ok_or_else(|| CliError::Usage(format!("no account named {name}")))?;
            state.mfa.turn_off(UserId(user.id)).await.map_err(explain)?;
            println!("two-step sign-in is off for {}", user.username);
        }
        UserCommand::List => {
            println!(
                "{:>5}  {:<32}  {:<32}  {:<5}  {:<6}  last login",
                "id", "username", "email", "role", "active"
            );
            for u in accounts.all().await? {
                let last = u
                    .last_login_at
                    .map(|t| crate::api::respond::models::time(t).to_rfc3339())
                    .unwrap_or("-".into());
                println!(
                    "{:>5}  {:<32}  {:<32}  {:<5}  {:<6}  {last}",
                    u.id, u.username, u.email, u.role, u.is_active
                );
            }
        }
    }
    Ok(())
}

/// Turns validation failures into readable usage errors (exit 2).
fn explain(error: AccountError) -> CliError {
    match error {
        AccountError::Validation(fields) | AccountError::WeakPassword(fields) => {
            let detail: Vec<String> = fields.iter().map(|(k, v)| format!("{k}: {v}")).collect();
            CliError::Usage(detail.join("; "))
        }
        AccountError::UsernameTaken | AccountError::EmailTaken | AccountError::NotFound => {
            CliError::Usage(error.to_string())
        }
        other => CliError::Account(other),
    }
}

fn read_password(from_stdin: bool) -> Result<String, CliError> {
    if from_stdin {
        let mut line = String::new();
        std::io::stdin().lock().read_line(&mut line)?;
        return Ok(line.trim_end_matches(['\r', '\n']).to_owned());
    }
    if !std::io::stdin().is_terminal() {
        return Err(CliError::Usage(
            "no terminal to prompt on; use --password-stdin".into(),
        ));
    }
    let first = rpassword::prompt_password("Password: ")?;
    let again = rpassword::prompt_password("Again: ")?;
    if first != again {
        return Err(CliError::Usage("the passwords differ".into()));
    }
    Ok(first)
}

fn init_logging(config: &Config) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .or_else(|_| tracing_subscriber::EnvFilter::try_new(&config.log.level))
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(crate::http::logsink::LogSink::get())
        .try_init();
}

fn fail(error: &dyn std::fmt::Display) -> ExitCode {
    eprintln!("hoard: {error}");
    ExitCode::FAILURE
}
