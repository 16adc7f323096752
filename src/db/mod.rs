//! SQLite access: the connection pools, PRAGMAs, embedded migrations, and the one bridge
//! (`Db::run` / `Db::write`) that runs database work on blocking threads, beside the
//! inline read path (`Db::read_now`) of the hot routes, which can only read.

pub mod api_tokens;
pub mod avatars;
pub mod blobs;
pub mod dav_locks;
pub mod dav_props;
pub mod entries;
pub mod mfa;
pub mod objects;
pub mod oidc;
pub mod placement;
pub mod revoked;
pub mod sessions;
pub mod shares;
pub mod trash;
pub mod uploads;
pub mod users;
pub mod versions;

use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use r2d2::Pool;
use r2d2_sqlite::SqliteConnectionManager;
use rusqlite::{Connection, ErrorCode, OpenFlags, Transaction, TransactionBehavior};
use rusqlite_migration::{Migrations, M};

/// How long a connection waits on SQLite's write lock before giving up with `Busy`.
const BUSY_TIMEOUT_MS: u32 = 5000;

/// Read-write connections, for `run` and `write`.
const CONNECTIONS: u32 = 8;

/// Read-only connections, for `read_now`. An inline read holds one for a few
/// microseconds on a runtime thread; when none is free the read waits for one off the
/// runtime, so a handful serves any number of requests.
const READERS: u32 = 4;

const MIGRATIONS: &[M<'static>] = &[
    M::up(include_str!("../../migrations/0001_accounts.sql")),
    M::up(include_str!("../../migrations/0002_drive.sql")),
    M::up(include_str!("../../migrations/0003_uploads.sql")),
    M::up(include_str!("../../migrations/0004_shares.sql")),
    M::up(include_str!("../../migrations/0005_listing_index.sql")),
    M::up(include_str!("../../migrations/0006_tree_version.sql")),
    M::up(include_str!("../../migrations/0007_modified_at.sql")),
    M::up(include_str!("../../migrations/0008_dav.sql")),
    M::up(include_str!("../../migrations/0009_mfa.sql")),
    M::up(include_str!("../../migrations/0010_oidc.sql")),
    M::up(include_str!("../../migrations/0011_versions.sql")),
    M::up(include_str!("../../migrations/0012_objects.sql")),
];

/// Database-layer failures. `Busy` (and a pool that stays exhausted) becomes 503 upstream,
/// `Full` 507; constraint names let services
/// turn unique violations into domain errors.
#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error("database is busy")]
    Busy,
    /// SQLITE_FULL: the data filesystem has no room for the database or its WAL.
    #[error("no space left for the database")]
    Full,
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
            Some(ErrorCode::DiskFull) => DbError::Full,
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

/// Errors that may be SQLite's "busy": `Db::read_now` retries those off the async thread.
pub trait MaybeBusy {
    fn is_busy(&self) -> bool;
}

impl MaybeBusy for DbError {
    fn is_busy(&self) -> bool {
        matches!(self, DbError::Busy)
    }
}

/// A cloneable handle to the database.
#[derive(Clone)]
pub struct Db {
    pool: Pool<SqliteConnectionManager>,
    /// Opened `SQLITE_OPEN_READ_ONLY`: work handed to `read_now` cannot write, so it can
    /// never change the database behind `write`'s transaction and the generation counter.
    readers: Pool<SqliteConnectionManager>,
    /// Bumped after every piece of work that may have written (see [`Db::generation`]).
    generation: Arc<AtomicU64>,
}

impl Db {
    /// Opens (creating if needed) the database file, applies PRAGMAs and migrations.
    pub fn open(path: &Path) -> DbResult<Self> {
        let manager = SqliteConnectionManager::file(path).with_init(apply_pragmas);
        let pool = pool(manager, CONNECTIONS, Some(CONNECTIONS))?;
        let mut conn = pool.get()?;
        Migrations::from_slice(MIGRATIONS).to_latest(&mut conn)?;
        // Only now: a read-only connection can neither create the file nor switch it to
        // WAL. The mode is stored in the file, so these read in WAL mode too, and each
        // statement sees every transaction committed before it began.
        let readers = SqliteConnectionManager::file(path)
            .with_flags(
                OpenFlags::SQLITE_OPEN_READ_ONLY
                    | OpenFlags::SQLITE_OPEN_URI
                    | OpenFlags::SQLITE_OPEN_NO_MUTEX,
            )
            .with_init(apply_reader_pragmas);
        Ok(Self {
            pool,
            // Opened on first use, then kept: start-up pays for none of them (cold start
            // with 1,000,000 entries is a SPEC §10 target), and no request opens one twice.
            readers: self::pool(readers, READERS, Some(0))?,
            generation: Arc::new(AtomicU64::new(0)),
        })
    }

    /// A counter that moves after every `write` commits and after every `run` (which may
    /// write), never before: a value read before a lookup that is still current after it
    /// proves this process changed nothing in between, so the lookup may be reused.
    /// Writes by other processes (the CLI beside a live server) do not move it.
    pub fn generation(&self) -> u64 {
        self.generation.load(Ordering::Acquire)
    }

    /// Runs read work on a blocking thread, keeping the caller's tracing span.
    pub async fn run<T, E, F>(&self, work: F) -> Result<T, E>
    where
        T: Send + 'static,
        E: From<DbError> + Send + 'static,
        F: FnOnce(&Connection) -> Result<T, E> + Send + 'static,
    {
        let (pool, generation) = (self.pool.clone(), self.generation.clone());
        let span = tracing::Span::current();
        let joined = tokio::task::spawn_blocking(move || {
            let _entered = span.enter();
            let conn = pool.get().map_err(DbError::from)?;
            let out = work(&conn);
            // Here, not after the await: a caller that went away must not skip it.
            generation.fetch_add(1, Ordering::AcqRel);
            out
        })
        .await;
        joined.map_err(|e| E::from(DbError::from(e)))?
    }

    /// A short indexed read on the caller's own thread. A hop to the blocking pool costs
    /// far more than such a query (~100 µs of thread hand-offs against a few µs), so hot
    /// paths (byte routes) read inline — but never wait: when no reader is free, or SQLite
    /// is momentarily locked, the read waits off the runtime instead. Either way it runs
    /// on a read-only connection: a write attempted here fails, and the generation stays.
    pub async fn read_now<T, E, F>(&self, work: F) -> Result<T, E>
    where
        T: Send + 'static,
        E: From<DbError> + MaybeBusy + Send + 'static,
        F: Fn(&Connection) -> Result<T, E> + Send + 'static,
    {
        if let Some(conn) = self.readers.try_get() {
            if conn.busy_timeout(Duration::ZERO).is_ok() {
                let out = work(&conn);
                // sqlite3_busy_timeout cannot fail on an open connection.
                let _ = conn.busy_timeout(Duration::from_millis(BUSY_TIMEOUT_MS.into()));
                if !matches!(&out, Err(e) if e.is_busy()) {
                    return out;
                }
            }
        }
        self.read_waiting(work).await
    }

    /// `read_now` when it cannot read at once: on a blocking thread, waiting for a reader
    /// and for SQLite's lock as `run` would.
    async fn read_waiting<T, E, F>(&self, work: F) -> Result<T, E>
    where
        T: Send + 'static,
        E: From<DbError> + Send + 'static,
        F: FnOnce(&Connection) -> Result<T, E> + Send + 'static,
    {
        let readers = self.readers.clone();
        let span = tracing::Span::current();
        let joined = tokio::task::spawn_blocking(move || {
            let _entered = span.enter();
            let conn = readers.get().map_err(DbError::from)?;
            work(&conn)
        })
        .await;
        joined.map_err(|e| E::from(DbError::from(e)))?
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
        let (pool, generation) = (self.pool.clone(), self.generation.clone());
        let span = tracing::Span::current();
        let joined = tokio::task::spawn_blocking(move || {
            let _entered = span.enter();
            let mut conn = pool.get().map_err(DbError::from)?;
            let tx = conn
                .transaction_with_behavior(TransactionBehavior::Immediate)
                .map_err(DbError::from)?;
            let value = work(&tx)?;
            let committed = tx.commit();
            generation.fetch_add(1, Ordering::AcqRel);
            committed.map_err(DbError::from)?;
            Ok(value)
        })
        .await;
        joined.map_err(|e| E::from(DbError::from(e)))?
    }

    /// A consistent snapshot of the database into `target` (`VACUUM INTO`), safe while
    /// the server runs.
    pub fn snapshot_into(&self, target: &Path) -> DbResult<()> {
        let conn = self.connection()?;
        conn.execute("VACUUM INTO ?1", [target.to_string_lossy()])?;
        Ok(())
    }

    /// Synchronous access for the CLI and start-up checks.
    pub fn connection(&self) -> DbResult<r2d2::PooledConnection<SqliteConnectionManager>> {
        Ok(self.pool.get()?)
    }
}

/// A pool of at most `size` connections, `min_idle` of them opened now; a connection, once
/// open, stays open (no idle timeout), so none is opened per request.
fn pool(
    manager: SqliteConnectionManager,
    size: u32,
    min_idle: Option<u32>,
) -> DbResult<Pool<SqliteConnectionManager>> {
    Ok(Pool::builder()
        .max_size(size)
        .min_idle(min_idle)
        .idle_timeout(None)
        // r2d2 would run `SELECT 1` (parsed anew) on every checkout; a local SQLite file
        // connection does not go stale, and a broken one fails its query anyway.
        .test_on_check_out(false)
        .connection_timeout(Duration::from_secs(10))
        .build(manager)?)
}

/// The read path's connections: the statement cache and lock wait of the others; the
/// rest (WAL, synchronous, foreign keys) only matters to writers.
fn apply_reader_pragmas(conn: &mut Connection) -> rusqlite::Result<()> {
    conn.set_prepared_statement_cache_capacity(256);
    conn.busy_timeout(Duration::from_millis(BUSY_TIMEOUT_MS.into()))
}

fn apply_pragmas(conn: &mut Connection) -> rusqlite::Result<()> {
    // rusqlite keeps 16 prepared statements per connection; Hoard runs more distinct
    // queries than that, and an evicted one is parsed again on its next use.
    conn.set_prepared_statement_cache_capacity(256);
    // FULL: a power cut must not lose a commit that was acknowledged (SPEC §9).
    conn.execute_batch(&format!(
        "PRAGMA journal_mode = WAL;
         PRAGMA synchronous = FULL;
         PRAGMA foreign_keys = ON;
         PRAGMA busy_timeout = {BUSY_TIMEOUT_MS};"
    ))
}

/// A real query, for `/health`: proves the database answers.
pub fn ping(conn: &Connection) -> DbResult<()> {
    conn.query_row("SELECT 1", [], |r| r.get::<_, i64>(0))?;
    Ok(())
}

/// Seconds since the Unix epoch.
pub fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

#[cfg(test)]
mod tests {
    use super::*;

    type TestResult = Result<(), Box<dyn std::error::Error>>;

    fn open() -> Result<(tempfile::TempDir, Db), Box<dyn std::error::Error>> {
        let dir = tempfile::tempdir()?;
        let db = Db::open(&dir.path().join("t.db"))?;
        Ok((dir, db))
    }

    #[test]
    fn a_listing_page_reuses_its_prepared_plan() -> TestResult {
        use entries::{children, children_sql, Listing, SortKey};
        let (_dir, db) = open()?;
        let conn = db.connection()?;
        conn.execute_batch(
            "INSERT INTO users (username, email, password_hash, display_name, created_at, updated_at)
               VALUES ('u', 'u@example.com', 'x', 'u', 0, 0);
             INSERT INTO entries (owner_id, parent_id, name, kind, created_at, updated_at)
               VALUES (1, NULL, 'a', 'folder', 0, 0), (1, NULL, 'b', 'folder', 0, 0);",
        )?;
        let listing = |offset| Listing {
            sort: SortKey::Name,
            descending: false,
            limit: 10,
            offset,
        };
        for offset in [0, 1, 0] {
            children(&conn, 1, None, &listing(offset))?;
        }
        let statement = conn.prepare_cached(&children_sql(&listing(0)))?;
        let replans = statement.get_status(rusqlite::StatementStatus::RePrepare);
        assert_eq!(replans, 0, "the page query was re-prepared on bind");
        Ok(())
    }

    #[test]
    fn migration_7_starts_modified_at_from_updated_at_and_moves_each_tree_once() -> TestResult {
        let dir = tempfile::tempdir()?;
        let mut conn = Connection::open(dir.path().join("t.db"))?;
        Migrations::from_slice(&MIGRATIONS[..6]).to_latest(&mut conn)?;
        conn.execute_batch(
            "INSERT INTO users (username, email, password_hash, display_name, created_at, updated_at)
               VALUES ('u', 'u@example.com', 'x', 'u', 0, 0);
             INSERT INTO entries (owner_id, parent_id, name, kind, created_at, updated_at)
               VALUES (1, NULL, 'a', 'folder', 5, 50), (1, NULL, 'b', 'folder', 6, 60);",
        )?;
        let version = |c: &Connection| entries::tree_version(c, 1);
        let before = version(&conn)?;
        Migrations::from_slice(MIGRATIONS).to_latest(&mut conn)?;
        let pairs: Vec<(i64, i64)> = conn
            .prepare("SELECT updated_at, modified_at FROM entries ORDER BY id")?
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<Result<_, _>>()?;
        assert_eq!(pairs, [(50, 50), (60, 60)]);
        assert_eq!(version(&conn)?, before + 1);
        conn.execute("UPDATE entries SET name = 'c' WHERE id = 1", [])?;
        assert_eq!(version(&conn)?, before + 2, "the trigger is back");
        Ok(())
    }

    #[test]
    fn connections_use_the_promised_pragmas() -> TestResult {
        let (_dir, db) = open()?;
        let conn = db.connection()?;
        let pragma = |name: &str| {
            conn.query_row(&format!("PRAGMA {name}"), [], |r| {
                r.get::<_, rusqlite::types::Value>(0)
            })
        };
        assert_eq!(
            pragma("journal_mode")?,
            rusqlite::types::Value::Text("wal".into())
        );
        assert_eq!(
            pragma("synchronous")?,
            rusqlite::types::Value::Integer(2),
            "FULL"
        );
        assert_eq!(pragma("foreign_keys")?, rusqlite::types::Value::Integer(1));
        assert_eq!(
            pragma("busy_timeout")?,
            rusqlite::types::Value::Integer(5000)
        );
        assert_eq!(
            pragma("user_version")?,
            rusqlite::types::Value::Integer(MIGRATIONS.len() as i64)
        );
        Ok(())
    }

    #[test]
    fn migrations_are_valid_and_reopening_is_harmless() -> TestResult {
        assert!(Migrations::from_slice(MIGRATIONS).validate().is_ok());
        let dir = tempfile::tempdir()?;
        let path = dir.path().join("t.db");
        drop(Db::open(&path)?);
        let db = Db::open(&path)?;
        let conn = db.connection()?;
        assert_eq!(users::count(&conn)?, 0);
        Ok(())
    }

    #[tokio::test]
    async fn the_inline_read_path_cannot_write() -> TestResult {
        let (_dir, db) = open()?;
        let generation = db.generation();
        let outcome: DbResult<()> = db.read_now(|c| revoked::insert(c, "a", 10)).await;
        let refused = matches!(
            &outcome,
            Err(DbError::Sqlite(e)) if e.sqlite_error_code() == Some(ErrorCode::ReadOnly)
        );
        assert!(refused, "{outcome:?}");
        assert_eq!(db.run(revoked::count).await?, 0);
        // The fallback off the runtime is read-only too.
        let waited: DbResult<()> = db.read_waiting(|c| revoked::insert(c, "b", 10)).await;
        assert!(waited.is_err(), "{waited:?}");
        assert_eq!(db.generation(), generation + 1, "only `run` moved it");
        Ok(())
    }

    #[tokio::test]
    async fn the_inline_read_path_sees_every_committed_write() -> TestResult {
        let (_dir, db) = open()?;
        for jti in ["a", "b", "c"] {
            assert!(!db.read_now(move |c| revoked::contains(c, jti)).await?);
            db.write(move |tx| revoked::insert(tx, jti, 10)).await?;
            assert!(db.read_now(move |c| revoked::contains(c, jti)).await?);
        }
        Ok(())
    }

    #[tokio::test]
    async fn a_failed_write_rolls_back_every_row() -> TestResult {
        let (_dir, db) = open()?;
        let outcome: Result<(), DbError> = db
            .write(|tx| {
                revoked::insert(tx, "a", 10)?;
                Err(DbError::Busy)
            })
            .await;
        assert!(matches!(outcome, Err(DbError::Busy)));
        assert_eq!(db.run(revoked::count).await?, 0);
        Ok(())
    }

    #[tokio::test]
    async fn expired_revocations_are_purged_and_live_ones_kept() -> TestResult {
        let (_dir, db) = open()?;
        let now = now();
        db.write(move |tx| -> DbResult<()> {
            revoked::insert(tx, "old", now - 3600)?;
            revoked::insert(tx, "live", now + 3600)
        })
        .await?;
        let removed = db.write(move |tx| revoked::purge(tx, now)).await?;
        assert_eq!(removed, 1);
        assert!(db.run(|c| revoked::contains(c, "live")).await?);
        assert!(!db.run(|c| revoked::contains(c, "old")).await?);
        Ok(())
    }

    #[tokio::test]
    async fn unique_violations_are_reported_as_constraints() -> TestResult {
        let (_dir, db) = open()?;
        let user = |name: &'static str| {
            move |tx: &Transaction| -> DbResult<i64> {
                let new = users::NewUser {
                    username: name,
                    email: "same@example.com",
                    password_hash: "x",
                    display_name: name,
                    role: users::ROLE_USER,
                    storage_quota: None,
                };
                users::insert(tx, &new, 0)
            }
        };
        db.write(user("first")).await?;
        let error = db.write(user("second")).await.unwrap_err();
        assert!(
            error.violates("users.email") || error.violates("users_email_key"),
            "{error}"
        );
        Ok(())
    }
}
