//! Migrations through sqlx's migrator (issue 8, point 5) and the constraints of migration 11 (point 2).
use sprechstunde::app::{App, Options};
use sprechstunde::clock::Clock;
use sprechstunde::config::Config;
use sprechstunde::db::Db;
use sprechstunde::state::AppState;

use crate::both_databases;
use crate::harness::{Backend, DropDatabase, START, create_pg_database};

/// A fresh database of the given backend: (URL, guard that drops it on PostgreSQL).
async fn fresh_database(backend: Backend, dir: &std::path::Path) -> (String, DropDatabase) {
    match backend {
        Backend::Sqlite => (format!("sqlite://{}?mode=rwc", dir.join("db.sqlite").display()), DropDatabase(None)),
        Backend::Postgres => {
            let (url, pg) = create_pg_database().await;
            (url, DropDatabase(Some(pg)))
        }
    }
}

const OLD_MIGRATIONS: [&str; 10] = [
    include_str!("../../migrations/0001_init.sql"),
    include_str!("../../migrations/0002_wizard.sql"),
    include_str!("../../migrations/0003_audit.sql"),
    include_str!("../../migrations/0004_support.sql"),
    include_str!("../../migrations/0005_api.sql"),
    include_str!("../../migrations/0006_contacts.sql"),
    include_str!("../../migrations/0007_serial_locks.sql"),
    include_str!("../../migrations/0008_name_lower.sql"),
    include_str!("../../migrations/0009_search_covering.sql"),
    include_str!("../../migrations/0010_drop_sms_guard.sql"),
];

async fn a_database_of_the_old_runner_upgrades_in_place(backend: Backend) {
    let dir = tempfile::tempdir().unwrap();
    let (url, _drop) = fresh_database(backend, dir.path()).await;
    // What the hand-written runner left behind: the schema of migrations 1–10 and its own bookkeeping.
    let db = Db::connect(&url).await.unwrap();
    for sql in OLD_MIGRATIONS {
        sqlx::raw_sql(sqlx::AssertSqlSafe(sql)).execute(&db.pool).await.unwrap();
    }
    sqlx::raw_sql("CREATE TABLE schema_migrations (version BIGINT PRIMARY KEY, applied_at BIGINT NOT NULL)")
        .execute(&db.pool)
        .await
        .unwrap();
    for version in 1..=10i64 {
        sqlx::query("INSERT INTO schema_migrations (version, applied_at) VALUES ($1, 0)")
            .bind(version)
            .execute(&db.pool)
            .await
            .unwrap();
    }
    sqlx::raw_sql(
        "INSERT INTO accounts (id, email, email_normalized, name, name_lower, language, status, created_at, edition, \
         wizard_steps, role) VALUES ('a1', 'j@praxis.example', 'j@praxis.example', 'Jana', 'jana', 'de', 'invited', 0, \
         'standard', '', 'user')",
    )
    .execute(&db.pool)
    .await
    .unwrap();
    db.pool.close().await;
    let mut config = Config::defaults_in(dir.path());
    config.database_url = url;
    crate::harness::share_the_test_key(&mut config);
    let state = AppState::new(config, Clock::manual(START)).await.expect("the old database is taken over");
    let versions: Vec<i64> = sqlx::query_scalar("SELECT version FROM _sqlx_migrations WHERE success ORDER BY version")
        .fetch_all(&state.db.pool)
        .await
        .unwrap();
    assert_eq!(versions, (1..=22).collect::<Vec<_>>());
    let old_table = sqlx::query("SELECT COUNT(*) FROM schema_migrations").fetch_one(&state.db.pool).await;
    assert!(old_table.is_err(), "the old bookkeeping is gone");
    let kept: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM accounts WHERE id = 'a1'").fetch_one(&state.db.pool).await.unwrap();
    assert_eq!(kept, 1, "data kept: 1–10 were not run again");
    // Started again, nothing is left to do.
    assert!(!state.db.migrate().await.unwrap());
    state.db.pool.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_instances_start_together_on_one_fresh_postgres_database() {
    let _shared = crate::harness::shared().await;
    let (url, pg) = create_pg_database().await;
    let _drop = DropDatabase(Some(pg));
    let dir = tempfile::tempdir().unwrap();
    let config = |n: &str| {
        let mut config = Config::defaults_in(&dir.path().join(n));
        config.database_url = url.clone();
        crate::harness::share_the_test_key(&mut config);
        config
    };
    let (first, second) = tokio::join!(
        AppState::new(config("a"), Clock::manual(START)),
        AppState::new(config("b"), Clock::manual(START))
    );
    let (first, second) = (first.expect("first instance"), second.expect("second instance"));
    let applied: Vec<(i64, i64)> =
        sqlx::query_as("SELECT version, COUNT(*) FROM _sqlx_migrations GROUP BY version ORDER BY version")
            .fetch_all(&first.db.pool)
            .await
            .unwrap();
    assert_eq!(applied, (1..=22).map(|v| (v, 1)).collect::<Vec<_>>(), "each migration applied once");
    for state in [first, second] {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let app = App::start(state, listener, Options { run_worker: false }).await.unwrap();
        let ready = reqwest::get(format!("http://{}/readyz", app.addr)).await.unwrap();
        assert_eq!(ready.status(), 200, "both instances become ready");
        let pool = app.state.db.pool.clone();
        app.stop().await;
        pool.close().await;
    }
}

async fn the_database_refuses_values_the_code_does_not_know(backend: Backend) {
    let dir = tempfile::tempdir().unwrap();
    let (url, _drop) = fresh_database(backend, dir.path()).await;
    let db = Db::connect(&url).await.unwrap();
    db.migrate().await.unwrap();
    let run = |sql: &'static str| sqlx::raw_sql(sql).execute(&db.pool);
    run(
        "INSERT INTO accounts (id, email, email_normalized, name, language, status, created_at, edition, wizard_steps, \
         role) VALUES ('a1', 'j@x.example', 'j@x.example', 'J', 'de', 'invited', 0, 'standard', '', 'user')",
    )
    .await
    .unwrap();
    for refused in [
        "INSERT INTO sessions (id_hash, kind, account_id, created_at, last_seen_at, expires_at, reauth_at) \
         VALUES ('h', 'guest', 'a1', 0, 0, 1, 0)",
        "UPDATE accounts SET status = 'deleted' WHERE id = 'a1'",
        "UPDATE accounts SET role = 'admin' WHERE id = 'a1'",
        "INSERT INTO outbox (id, channel, recipient, subject, body_text, body_html, status, attempts, next_attempt_at, \
         created_at) VALUES ('o1', 'fax', 'x', '', '', '', 'pending', 0, 0, 0)",
        "INSERT INTO audit_log (id, at, actor, event, outcome) VALUES ('l1', 0, 'system', 'made.up', 'success')",
    ] {
        assert!(sqlx::raw_sql(sqlx::AssertSqlSafe(refused)).execute(&db.pool).await.is_err(), "{refused}");
    }
    run("INSERT INTO sessions (id_hash, kind, account_id, created_at, last_seen_at, expires_at, reauth_at) \
         VALUES ('h', 'login', 'a1', 0, 0, 1, 0)")
    .await
    .expect("known values pass");
    db.pool.close().await;
}

async fn a_foreign_schema_migrations_table_stops_the_start(backend: Backend) {
    for versions in [vec![1i64, 2, 5], vec![20_240_101_000_000]] {
        let dir = tempfile::tempdir().unwrap();
        let (url, _drop) = fresh_database(backend, dir.path()).await;
        let db = Db::connect(&url).await.unwrap();
        sqlx::raw_sql("CREATE TABLE schema_migrations (version BIGINT PRIMARY KEY, applied_at BIGINT NOT NULL)")
            .execute(&db.pool)
            .await
            .unwrap();
        for version in &versions {
            sqlx::query("INSERT INTO schema_migrations (version, applied_at) VALUES ($1, 0)")
                .bind(*version)
                .execute(&db.pool)
                .await
                .unwrap();
        }
        let refused = db.migrate().await.expect_err("no migration may be skipped on a guess");
        assert!(refused.to_string().contains("schema_migrations"), "{refused}");
        let applied: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM _sqlx_migrations").fetch_one(&db.pool).await.unwrap_or(0);
        assert_eq!(applied, 0, "{versions:?}: nothing marked as applied");
        db.pool.close().await;
    }
}

both_databases!(
    a_foreign_schema_migrations_table_stops_the_start,
    a_database_of_the_old_runner_upgrades_in_place,
    the_database_refuses_values_the_code_does_not_know
);
