//! One portable query set for SQLite and PostgreSQL: runtime queries with `$1` placeholders through sqlx's
//! `Any` driver, timestamps as integer seconds, text ids. No per-call backend branches.
use std::str::FromStr;

use std::borrow::Cow;

use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::migrate::{MigrateError, Migration, MigrationType, Migrator};
use sqlx::{AnyPool, Executor, SqlSafeStr};

pub type Tx = sqlx::Transaction<'static, sqlx::Any>;

/// Reads a stored enum from `column` of `row`; unknown text is a decoding error, never a default.
pub fn decode_enum<T>(
    row: &sqlx::any::AnyRow,
    column: &str,
    parse: impl Fn(&str) -> Option<T>,
) -> Result<T, sqlx::Error> {
    use sqlx::Row;
    let text: String = row.try_get(column)?;
    parse(&text).ok_or_else(|| sqlx::Error::Decode(format!("unbekannter Wert „{text}“ in {column}").into()))
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

#[derive(Clone, Debug)]
pub struct Db {
    pub pool: AnyPool,
    pub backend: Backend,
    /// Set while PostgreSQL does not answer (see `watch_availability`): requests then get the
    /// "vorübergehend nicht verfügbar" page at once instead of each waiting for a connection.
    away: std::sync::Arc<std::sync::atomic::AtomicBool>,
}

/// Schema versions in order: (version, description, SQL for SQLite, SQL for PostgreSQL). Most are one
/// portable file; where the two differ (constraints added later) each backend has its own, after the
/// portable part if there is one.
const MIGRATIONS: &[(i64, &str, &str, &str)] = &[
    (1, "init", include_str!("../../migrations/0001_init.sql"), include_str!("../../migrations/0001_init.sql")),
    (2, "wizard", include_str!("../../migrations/0002_wizard.sql"), include_str!("../../migrations/0002_wizard.sql")),
    (3, "audit", include_str!("../../migrations/0003_audit.sql"), include_str!("../../migrations/0003_audit.sql")),
    (
        4,
        "support",
        include_str!("../../migrations/0004_support.sql"),
        include_str!("../../migrations/0004_support.sql"),
    ),
    (5, "api", include_str!("../../migrations/0005_api.sql"), include_str!("../../migrations/0005_api.sql")),
    (
        6,
        "contacts",
        include_str!("../../migrations/0006_contacts.sql"),
        include_str!("../../migrations/0006_contacts.sql"),
    ),
    (
        7,
        "serial locks",
        include_str!("../../migrations/0007_serial_locks.sql"),
        include_str!("../../migrations/0007_serial_locks.sql"),
    ),
    (
        8,
        "name lower",
        include_str!("../../migrations/0008_name_lower.sql"),
        include_str!("../../migrations/0008_name_lower.sql"),
    ),
    (
        9,
        "search covering",
        include_str!("../../migrations/0009_search_covering.sql"),
        include_str!("../../migrations/0009_search_covering.sql"),
    ),
    (
        10,
        "drop sms guard",
        include_str!("../../migrations/0010_drop_sms_guard.sql"),
        include_str!("../../migrations/0010_drop_sms_guard.sql"),
    ),
    (
        11,
        "checks",
        include_str!("../../migrations/0011_checks.sqlite.sql"),
        include_str!("../../migrations/0011_checks.postgres.sql"),
    ),
    (
        12,
        "appointments",
        concat!(
            include_str!("../../migrations/0012_appointments.sql"),
            include_str!("../../migrations/0012_appointments.sqlite.sql")
        ),
        concat!(
            include_str!("../../migrations/0012_appointments.sql"),
            include_str!("../../migrations/0012_appointments.postgres.sql")
        ),
    ),
    (
        13,
        "room",
        concat!(include_str!("../../migrations/0013_room.sql"), include_str!("../../migrations/0013_room.sqlite.sql")),
        concat!(
            include_str!("../../migrations/0013_room.sql"),
            include_str!("../../migrations/0013_room.postgres.sql")
        ),
    ),
    (
        14,
        "recovery",
        concat!(
            include_str!("../../migrations/0014_recovery.sql"),
            include_str!("../../migrations/0014_recovery.sqlite.sql")
        ),
        concat!(
            include_str!("../../migrations/0014_recovery.sql"),
            include_str!("../../migrations/0014_recovery.postgres.sql")
        ),
    ),
    (
        15,
        "practice and device",
        include_str!("../../migrations/0015_practice_device.sql"),
        include_str!("../../migrations/0015_practice_device.sql"),
    ),
    (
        16,
        "delivery topic",
        include_str!("../../migrations/0016_delivery_topic.sql"),
        include_str!("../../migrations/0016_delivery_topic.sql"),
    ),
    (
        17,
        "second device",
        include_str!("../../migrations/0017_second_device.sql"),
        include_str!("../../migrations/0017_second_device.sql"),
    ),
    (
        18,
        "fresh views",
        include_str!("../../migrations/0018_fresh_views.sql"),
        include_str!("../../migrations/0018_fresh_views.sql"),
    ),
    (
        19,
        "practice contact",
        include_str!("../../migrations/0019_practice_contact.sql"),
        include_str!("../../migrations/0019_practice_contact.sql"),
    ),
    (
        20,
        "handover",
        concat!(
            include_str!("../../migrations/0020_handover.sql"),
            include_str!("../../migrations/0020_handover.sqlite.sql")
        ),
        concat!(
            include_str!("../../migrations/0020_handover.sql"),
            include_str!("../../migrations/0020_handover.postgres.sql")
        ),
    ),
    (
        21,
        "rate limits",
        include_str!("../../migrations/0021_rate_limits.sql"),
        include_str!("../../migrations/0021_rate_limits.sql"),
    ),
    (
        22,
        "token key",
        include_str!("../../migrations/0022_token_key.sql"),
        include_str!("../../migrations/0022_token_key.sql"),
    ),
];

/// The last version the hand-written runner before sqlx's migrator could have applied.
const HAND_WRITTEN_LAST: i64 = 10;

/// sqlx's migrator over the embedded migrations of this backend: checksums (an applied migration whose text
/// changed stops the start), one transaction per migration, and on PostgreSQL an advisory lock, so that
/// instances starting together apply each migration once.
fn migrator(backend: Backend) -> Migrator {
    let migrations = MIGRATIONS
        .iter()
        .map(|(version, description, sqlite, postgres)| {
            let sql = match backend {
                Backend::Sqlite => sqlite,
                Backend::Postgres => postgres,
            };
            Migration::new(*version, Cow::Borrowed(*description), MigrationType::Simple, sql.into_sql_str(), false)
        })
        .collect();
    Migrator::with_migrations(migrations)
}

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
            // While PostgreSQL is away, a request waits this long for a connection and then gets the
            // "vorübergehend nicht verfügbar" page, instead of 30 s (sqlx's default) and a proxy's timeout.
            .acquire_timeout(std::time::Duration::from_secs(if backend == Backend::Sqlite { 30 } else { 3 }))
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
        Ok(Db { pool, backend, away: Default::default() })
    }

    /// Brings the schema up to date; `true` when it changed a database that already held a schema. Then
    /// the planner statistics are refreshed as well: a migration may have rebuilt tables full of data.
    pub async fn migrate(&self) -> Result<bool, MigrateError> {
        let upgraded = self.migrate_up_to(i64::MAX).await?;
        if upgraded {
            self.refresh_statistics_or_warn().await;
        }
        Ok(upgraded)
    }

    /// Applies the migrations up to and including `last` (tests use it to build an older database).
    pub async fn migrate_up_to(&self, last: i64) -> Result<bool, MigrateError> {
        let migrator = migrator(self.backend);
        self.adopt_hand_written_history(&migrator).await?;
        let before = self.applied_migrations().await;
        migrator.run_to(last, &self.pool).await?;
        let after = self.applied_migrations().await;
        if after > before {
            tracing::info!(from = before, to = after, "Datenbankschema aktualisiert");
        }
        Ok(before > 0 && after > before)
    }

    /// Databases from before sqlx's migrator recorded their versions in `schema_migrations` (a runner of our
    /// own, which applied 1 to 10 in order). Those versions are marked as applied without running them again
    /// (`skip` takes the migrator's lock, so instances doing this together do it once); migration 11 then
    /// drops the old table. Anything else in a table of that name (gaps, other versions — another tool's
    /// table, say) stops the start instead of silently skipping migrations.
    async fn adopt_hand_written_history(&self, migrator: &Migrator) -> Result<(), MigrateError> {
        let old: Result<Vec<i64>, _> =
            sqlx::query_scalar("SELECT version FROM schema_migrations ORDER BY version").fetch_all(&self.pool).await;
        // No such table (a new database, or one already adopted): nothing to take over.
        let Ok(versions) = old else { return Ok(()) };
        let last = versions.len() as i64;
        if last > HAND_WRITTEN_LAST || versions.iter().zip(1..).any(|(version, expected)| *version != expected) {
            return Err(MigrateError::Source(
                format!(
                    "schema_migrations enthält {versions:?}; erwartet sind die Versionen 1 bis höchstens \
                     {HAND_WRITTEN_LAST} ohne Lücke (von einer älteren Sprechstunde). Bitte prüfen, ob die \
                     Datenbank die richtige ist."
                )
                .into(),
            ));
        }
        if last > 0 {
            tracing::info!(last, "Migrationsstand aus schema_migrations übernommen");
            migrator.skip(&self.pool, Some(last)).await?;
        }
        Ok(())
    }

    async fn applied_migrations(&self) -> i64 {
        sqlx::query_scalar("SELECT COUNT(*) FROM _sqlx_migrations WHERE success")
            .fetch_one(&self.pool)
            .await
            .unwrap_or(0)
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

    /// Without fresh statistics queries are only slower: a refusal (say, by a managed database) must not
    /// stop the start.
    pub async fn refresh_statistics_or_warn(&self) {
        if let Err(error) = self.refresh_statistics().await {
            tracing::warn!(%error, "Statistiken der Datenbank konnten nicht erneuert werden");
        }
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

    /// Whether the database was found away at the last look (PostgreSQL only; an SQLite file is never away).
    pub fn is_away(&self) -> bool {
        self.away.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// PostgreSQL: looks every second whether the database answers, until `shutdown`, on a connection of
    /// its own (a pool busy with requests is no outage) and with a time limit (a network that swallows
    /// packets is one). A failed look marks it away; the first answer after that marks it back, so pages
    /// work again within about a second of its return.
    pub async fn watch_availability(self, mut shutdown: tokio::sync::watch::Receiver<bool>) {
        use sqlx::ConnectOptions;
        const LIMIT: std::time::Duration = std::time::Duration::from_secs(2);
        let mut connection: Option<sqlx::AnyConnection> = None;
        loop {
            let answered = tokio::time::timeout(LIMIT, async {
                if connection.is_none() {
                    connection = Some(self.pool.connect_options().connect().await?);
                }
                let open = connection.as_mut().expect("connected above");
                sqlx::query("SELECT 1").execute(open).await.map(drop)
            })
            .await;
            let away = !matches!(answered, Ok(Ok(())));
            if away {
                // Connected anew next time (a broken connection stays broken).
                connection = None;
            }
            if away != self.away.swap(away, std::sync::atomic::Ordering::Relaxed) {
                if away {
                    tracing::error!("Datenbank nicht erreichbar: Seiten antworten mit „vorübergehend nicht verfügbar“");
                } else {
                    tracing::warn!("Datenbank wieder erreichbar");
                }
            }
            tokio::select! {
                _ = tokio::time::sleep(std::time::Duration::from_secs(1)) => {}
                _ = shutdown.changed() => return,
            }
        }
    }
}

/// The file of an SQLite URL.
fn sqlite_file(url: &str) -> &std::path::Path {
    std::path::Path::new(
        url.trim_start_matches("sqlite://").trim_start_matches("sqlite:").split('?').next().unwrap_or_default(),
    )
}

/// SQLite: one `serve` per database file (its delivery worker takes over claims it finds at the start, see
/// `notify::outbox::release_claims`). Held until the returned file is dropped; the operating system lets go
/// of it when the process dies, even by SIGKILL.
pub fn lock_for_serving(url: &str) -> anyhow::Result<std::fs::File> {
    let path = sqlite_file(url).with_extension("serve-lock");
    let file = std::fs::OpenOptions::new().create(true).truncate(false).write(true).open(&path)?;
    file.try_lock().map_err(|_| {
        anyhow::anyhow!(
            "{} wird schon von einem anderen `sprechstunde serve` benutzt (mehrere Instanzen brauchen PostgreSQL)",
            sqlite_file(url).display()
        )
    })?;
    Ok(file)
}

fn create_parent_dir(url: &str) -> Result<(), sqlx::Error> {
    if let Some(parent) = sqlite_file(url).parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent).map_err(sqlx::Error::Io)?;
    }
    Ok(())
}

/// True when the error is a unique-constraint violation (both backends report it through sqlx).
pub fn is_unique_violation(err: &sqlx::Error) -> bool {
    matches!(err, sqlx::Error::Database(db) if db.is_unique_violation())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::accounts::session::SessionKind;
    use crate::accounts::{AccountStatus, Role};
    use crate::domain::participant::ParticipantState;
    use crate::notify::outbox::Channel;
    use crate::security::audit::AuditEvent;

    /// The quoted values of the `IN (…)` list that follows `marker` in `sql`.
    fn listed<'a>(sql: &'a str, marker: &str) -> Vec<&'a str> {
        let start = sql.find(marker).unwrap_or_else(|| panic!("{marker} in the migration"));
        let list = &sql[start..];
        let list = &list[list.find("IN (").unwrap() + 4..];
        list[..list.find(')').unwrap()].split(',').map(|v| v.trim().trim_matches('\'')).collect()
    }

    #[test]
    fn the_constraints_allow_exactly_the_enums_values() {
        // The latest migration that (re)defines a rule is the one in force.
        let latest = |marker: &str, backend: fn(&(i64, &str, &'static str, &'static str)) -> &'static str| {
            MIGRATIONS.iter().rev().map(backend).find(|sql| sql.contains(marker)).unwrap()
        };
        fn names<T: Copy>(all: &[T], name: fn(T) -> &'static str) -> Vec<&'static str> {
            all.iter().map(|v| name(*v)).collect()
        }
        let cases = [
            ("accounts_status_check", "NEW.status", names(AccountStatus::ALL, AccountStatus::as_str)),
            ("accounts_role_check", "NEW.role", names(Role::ALL, Role::as_str)),
            ("sessions_kind_check", "NEW.kind", names(SessionKind::ALL, SessionKind::as_str)),
            ("outbox_channel_check", "NEW.channel", names(Channel::ALL, Channel::as_str)),
            ("outbox_status_check", "NEW.status NOT IN ('pending'", vec!["pending", "sent", "failed", "cancelled"]),
            ("audit_log_event_check", "NEW.event", names(AuditEvent::ALL, AuditEvent::as_str)),
        ];
        for (constraint, trigger, values) in cases {
            let postgres = latest(&format!("ADD CONSTRAINT {constraint}"), |m| m.3);
            let sqlite = latest(trigger, |m| m.2);
            assert_eq!(listed(postgres, constraint), values, "PostgreSQL {constraint}");
            assert_eq!(listed(sqlite, trigger), values, "SQLite {trigger}");
        }
        let states = names(ParticipantState::ALL, ParticipantState::as_str);
        for (_, _, sqlite, postgres) in MIGRATIONS.iter().filter(|m| m.1 == "appointments") {
            assert_eq!(listed(sqlite, "state TEXT NOT NULL CHECK"), states);
            assert_eq!(listed(postgres, "state TEXT NOT NULL CHECK"), states);
        }
    }

    #[test]
    fn stored_enums_refuse_unknown_text() {
        assert_eq!(SessionKind::parse("login"), Some(SessionKind::Login));
        assert_eq!(SessionKind::parse("guest"), None, "never taken for a login");
        assert_eq!(SessionKind::parse("Login"), None);
        assert_eq!(AccountStatus::parse("link_expired"), None, "derived, never stored");
        assert_eq!(Role::parse("admin"), None);
        assert_eq!(AuditEvent::parse("login.password"), Some(AuditEvent::LoginPassword));
        assert_eq!(AuditEvent::LoginSecondFactor.to_string(), "login.second_factor");
    }
}
