//! One portable query set for SQLite and PostgreSQL: runtime queries with `$1` placeholders through sqlx's
//! `Any` driver, timestamps as integer seconds, text ids. No per-call backend branches.
use std::str::FromStr;

use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::{AnyPool, Executor};

pub type Tx = sqlx::Transaction<'static, sqlx::Any>;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

#[derive(Clone, Debug)]
pub struct Db {
    pub pool: AnyPool,
    pub backend: Backend,
}

/// Schema versions, applied in order; each runs in its own transaction (both databases have transactional DDL).
const MIGRATIONS: &[(i64, &str)] = &[
    (1, include_str!("../../migrations/0001_init.sql")),
    (2, include_str!("../../migrations/0002_wizard.sql")),
    (3, include_str!("../../migrations/0003_audit.sql")),
    (4, include_str!("../../migrations/0004_support.sql")),
    (5, include_str!("../../migrations/0005_api.sql")),
    (6, include_str!("../../migrations/0006_contacts.sql")),
    (7, include_str!("../../migrations/0007_serial_locks.sql")),
    (8, include_str!("../../migrations/0008_name_lower.sql")),
    (9, include_str!("../../migrations/0009_search_covering.sql")),
    (10, include_str!("../../migrations/0010_drop_sms_guard.sql")),
];

impl Db {
    pub async fn connect(url: &str) -> Result<Self, sqlx::Error> {
        sqlx::any::install_default_drivers();
        let backend = if url.starts_with("sqlite:") {
            Backend::Sqlite
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Backend::Postgres
        } else {
            return Err(sqlx::Error::Configuration(
                "unbekannte Datenbank-URL (erwartet sqlite:… oder postgres://…)".into(),
            ));
        };
        if backend == Backend::Sqlite {
            create_parent_dir(url)?;
        }
        let options = AnyConnectOptions::from_str(url)?;
        let pool = AnyPoolOptions::new()
            .max_connections(if backend == Backend::Sqlite { 8 } else { 10 })
            .after_connect(move |conn, _| {
                Box::pin(async move {
                    if backend == Backend::Sqlite {
                        // WAL lets readers proceed while one writer commits; NORMAL is safe with WAL.
                        conn.execute("PRAGMA journal_mode = WAL").await?;
                        conn.execute("PRAGMA synchronous = NORMAL").await?;
                        // A larger page cache and memory-mapped reads (up to 2 GiB of address space, not memory) keep searches
                        // fast on big databases.
                        conn.execute("PRAGMA cache_size = -65536").await?;
                        conn.execute("PRAGMA mmap_size = 2147418112").await?;
                    }
                    Ok(())
                })
            })
            .connect_with(options)
            .await?;
        Ok(Db { pool, backend })
    }

    /// Brings the schema up to date; `true` when it changed a database that already held a schema (then
    /// `refresh_statistics` is due: a migration may have rebuilt tables full of data).
    pub async fn migrate(&self) -> Result<bool, sqlx::Error> {
        self.migrate_up_to(i64::MAX).await
    }

    /// Applies the migrations up to and including `last` (tests use it to build an older database).
    pub async fn migrate_up_to(&self, last: i64) -> Result<bool, sqlx::Error> {
        self.pool
            .execute(
                "CREATE TABLE IF NOT EXISTS schema_migrations (version BIGINT PRIMARY KEY, applied_at BIGINT NOT NULL)",
            )
            .await?;
        let existing: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM schema_migrations").fetch_one(&self.pool).await?;
        let mut applied = false;
        for (version, sql) in MIGRATIONS.iter().filter(|(version, _)| *version <= last) {
            let mut tx = self.pool.begin().await?;
            let done: Option<i64> = sqlx::query_scalar("SELECT version FROM schema_migrations WHERE version = $1")
                .bind(version)
                .fetch_optional(&mut *tx)
                .await?;
            if done.is_some() {
                continue;
            }
            // Whole-line comments go first, so a ';' in them cannot split a statement.
            let sql: Vec<&str> = sql.lines().filter(|line| !line.trim_start().starts_with("--")).collect();
            for statement in sql.join("\n").split(';').map(str::trim).filter(|s| !s.is_empty()) {
                // Embedded migration text, never input.
                tx.execute(sqlx::AssertSqlSafe(statement.to_owned())).await?;
            }
            let now = crate::clock::Clock::System.now();
            sqlx::query("INSERT INTO schema_migrations (version, applied_at) VALUES ($1, $2)")
                .bind(version)
                .bind(now)
                .execute(&mut *tx)
                .await?;
            tx.commit().await?;
            applied = true;
            tracing::info!(version, "Datenbankschema aktualisiert");
        }
        Ok(applied && existing > 0)
    }

    /// Housekeeping: lock rows untouched since `before`. A lock only matters while a transaction holds it.
    pub async fn purge_serial_locks(&self, before: i64) -> Result<u64, sqlx::Error> {
        sqlx::query("DELETE FROM serial_locks WHERE locked_at < $1")
            .bind(before)
            .execute(&self.pool)
            .await
            .map(|r| r.rows_affected())
    }

    /// Fresh planner statistics, and on PostgreSQL a visibility map for index-only scans. Without them, after
    /// a table rebuild queries run on guesses until autovacuum comes by (if it is switched on at all).
    pub async fn refresh_statistics(&self) -> Result<(), sqlx::Error> {
        let maintenance = match self.backend {
            Backend::Postgres => "VACUUM ANALYZE",
            Backend::Sqlite => "ANALYZE",
        };
        sqlx::query(maintenance).execute(&self.pool).await.map(|_| ())
    }

    pub async fn begin(&self) -> Result<Tx, sqlx::Error> {
        self.pool.begin().await
    }

    /// Begins a transaction that first takes the locks for `keys` (in the order given; keep one order
    /// everywhere). Until it ends, another transaction taking one of them waits, so a cap checked by counting
    /// rows and then inserting one holds under parallel requests. Writing first also matters on SQLite: the
    /// transaction takes the write lock before it reads anything, so it never reads an outdated snapshot.
    pub async fn begin_serialized(&self, keys: &[&str], now: i64) -> Result<Tx, sqlx::Error> {
        let mut tx = self.pool.begin().await?;
        for key in keys {
            sqlx::query(
                "INSERT INTO serial_locks (lock_key, locked_at) VALUES ($1, $2) \
                 ON CONFLICT (lock_key) DO UPDATE SET locked_at = excluded.locked_at",
            )
            .bind(*key)
            .bind(now)
            .execute(&mut *tx)
            .await?;
        }
        Ok(tx)
    }

    pub async fn ping(&self) -> Result<(), sqlx::Error> {
        sqlx::query("SELECT 1").execute(&self.pool).await.map(|_| ())
    }
}

fn create_parent_dir(url: &str) -> Result<(), sqlx::Error> {
    let path = url.trim_start_matches("sqlite://").trim_start_matches("sqlite:").split('?').next().unwrap_or_default();
    if let Some(parent) = std::path::Path::new(path).parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent).map_err(sqlx::Error::Io)?;
    }
    Ok(())
}

/// True when the error is a unique-constraint violation (both backends report it through sqlx).
pub fn is_unique_violation(err: &sqlx::Error) -> bool {
    matches!(err, sqlx::Error::Database(db) if db.is_unique_violation())
}
