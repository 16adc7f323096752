//! SQLite access: the connection pool, PRAGMAs, embedded migrations, and the one bridge
//! (`Db::run` / `Db::write`) that runs database work on blocking threads.

pub mod api_tokens;
pub mod avatars;
pub mod revoked;
pub mod sessions;
pub mod users;

use std::path::Path;
use std::time::Duration;

use r2d2::Pool;
use r2d2_sqlite::SqliteConnectionManager;
use rusqlite::{Connection, ErrorCode, Transaction, TransactionBehavior};
use rusqlite_migration::{Migrations, M};
use tracing::Instrument;

/// How long a connection waits on SQLite's write lock before giving up with `Busy`.
const BUSY_TIMEOUT_MS: u32 = 5000;

const MIGRATIONS: &[M<'static>] = &[M::up(include_str!("../../migrations/0001_accounts.sql"))];

/// Database-layer failures. `Busy` becomes 503 upstream; constraint names let services
/// turn unique violations into domain errors.
#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error("database is busy")]
    Busy,
    #[error("constraint violated: {0}")]
    Constraint(String),
    #[error("sqlite: {0}")]
    Sqlite(rusqlite::Error),
    #[error("connection pool: {0}")]
    Pool(#[from] r2d2::Error),
    #[error("migration: {0}")]
    Migration(#[from] rusqlite_migration::Error),
    #[error("blocking task failed: {0}")]
    Join(#[from] tokio::task::JoinError),
}

impl From<rusqlite::Error> for DbError {
    fn from(error: rusqlite::Error) -> Self {
        match error.sqlite_error_code() {
            Some(ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked) => DbError::Busy,
            Some(ErrorCode::ConstraintViolation) => DbError::Constraint(error.to_string()),
            _ => DbError::Sqlite(error),
        }
    }
}

impl DbError {
    /// True when this is a unique/check violation whose message names `needle`
    /// (an index name such as `users_email_key`).
    pub fn violates(&self, needle: &str) -> bool {
        matches!(self, DbError::Constraint(message) if message.contains(needle))
    }
}

pub type DbResult<T> = Result<T, DbError>;

/// A cloneable handle to the database.
#[derive(Clone)]
pub struct Db {
    pool: Pool<SqliteConnectionManager>,
}

impl Db {
    /// Opens (creating if needed) the database file, applies PRAGMAs and migrations.
    pub fn open(path: &Path) -> DbResult<Self> {
        let manager = SqliteConnectionManager::file(path).with_init(apply_pragmas);
        let pool = Pool::builder()
            .max_size(8)
            .connection_timeout(Duration::from_secs(10))
            .build(manager)?;
        let mut conn = pool.get()?;
        Migrations::from_slice(MIGRATIONS).to_latest(&mut conn)?;
        Ok(Self { pool })
    }

    /// Runs read work on a blocking thread, keeping the caller's tracing span.
    pub async fn run<T, F>(&self, work: F) -> DbResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> DbResult<T> + Send + 'static,
    {
        let pool = self.pool.clone();
        let span = tracing::Span::current();
        tokio::task::spawn_blocking(move || {
            let _entered = span.enter();
            let conn = pool.get()?;
            work(&conn)
        })
        .in_current_span()
        .await?
    }

    /// Runs work inside one `BEGIN IMMEDIATE` transaction: committed when `work` returns
    /// `Ok`, rolled back otherwise. Immediate mode takes the write lock up front, so a
    /// read-then-write cannot fail half-way with a stale snapshot.
    pub async fn write<T, E, F>(&self, work: F) -> Result<T, E>
    where
        T: Send + 'static,
        E: From<DbError> + Send + 'static,
        F: FnOnce(&Transaction) -> Result<T, E> + Send + 'static,
    {
        let pool = self.pool.clone();
        let span = tracing::Span::current();
        let joined = tokio::task::spawn_blocking(move || {
            let _entered = span.enter();
            let mut conn = pool.get().map_err(DbError::from)?;
            let tx = conn
                .transaction_with_behavior(TransactionBehavior::Immediate)
                .map_err(DbError::from)?;
            let value = work(&tx)?;
            tx.commit().map_err(DbError::from)?;
            Ok(value)
        })
        .await;
        joined.map_err(|e| E::from(DbError::from(e)))?
    }

    /// Synchronous access for the CLI and start-up checks.
    pub fn connection(&self) -> DbResult<r2d2::PooledConnection<SqliteConnectionManager>> {
        Ok(self.pool.get()?)
    }
}

fn apply_pragmas(conn: &mut Connection) -> rusqlite::Result<()> {
    // FULL: a power cut must not lose a commit that was acknowledged (SPEC §9).
    conn.execute_batch(&format!(
        "PRAGMA journal_mode = WAL;
         PRAGMA synchronous = FULL;
         PRAGMA foreign_keys = ON;
         PRAGMA busy_timeout = {BUSY_TIMEOUT_MS};"
    ))
}

/// Seconds since the Unix epoch.
pub fn now() -> i64 {
    chrono::Utc::now().timestamp()
}
