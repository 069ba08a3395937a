//! Development tools — NOT for production data: `dev seed` fills a database with synthetic accounts
//! (e-mail addresses under the reserved domain `seed.invalid`), `dev bench-search` measures the contact
//! search on whatever database is configured and prints latency percentiles and throughput.
use std::time::{Duration, Instant};

use sqlx::Row;

use crate::contacts::store;
use crate::domain::search_terms as normalize;
use crate::state::AppState;

const FIRST: &[&str] = &[
    "Anna", "Ben", "Clara", "David", "Emma", "Felix", "Greta", "Hannah", "Ida", "Jonas", "Jörg", "Karl", "Lea",
    "Lukas", "Marie", "Max", "Nora", "Oskar", "Paul", "Renée", "Sophie", "Till", "Ute", "Volker", "Wiebke", "Yusuf",
    "Zoë", "Ahmet", "Birgit", "Cem", "Dörte", "Elif", "Frieda", "Günther", "Heike", "Ingo", "Jana", "Katrin", "Lars",
    "Mia",
];
const STEMS: &[&str] = &[
    "Müller",
    "Schmidt",
    "Schneider",
    "Fischer",
    "Weber",
    "Meyer",
    "Wagner",
    "Becker",
    "Schulz",
    "Hoffmann",
    "Schröder",
    "Koch",
    "Bauer",
    "Richter",
    "Klein",
    "Wolf",
    "Neumann",
    "Schwarz",
    "Zimmermann",
    "Braun",
    "Krüger",
    "Hofmann",
    "Hartmann",
    "Lange",
    "Schmitt",
    "Werner",
    "Krause",
    "Meier",
    "Lehmann",
    "Schmid",
    "Schulze",
    "Maier",
    "Köhler",
    "Herrmann",
    "König",
    "Walter",
    "Mayer",
    "Huber",
    "Kaiser",
    "Fuchs",
    "Peters",
    "Lang",
    "Scholz",
    "Möller",
    "Weiß",
    "Jung",
    "Hahn",
    "Schubert",
    "Vogel",
    "Friedrich",
    "Keller",
    "Günther",
    "Frank",
    "Berger",
    "Winkler",
    "Roth",
    "Beck",
    "Lorenz",
    "Baumann",
    "Franke",
    "Albrecht",
    "Schuster",
    "Simon",
    "Ludwig",
    "Böhm",
    "Winter",
    "Kraus",
    "Martin",
    "Schumacher",
    "Krämer",
    "Vogt",
    "Stein",
    "Jäger",
    "Otto",
    "Sommer",
    "Groß",
    "Seidel",
    "Heinrich",
    "Brandt",
    "Haas",
];
const ENDINGS: &[&str] = &["", "", "", "-Lindner", "-Kühn", "berg", "mann", "s", "-Yılmaz", "-Öztürk", "er", "hagen"];

fn name(i: u64) -> (String, String) {
    let first = FIRST[(i % FIRST.len() as u64) as usize];
    let rest = i / FIRST.len() as u64;
    let stem = STEMS[(rest % STEMS.len() as u64) as usize];
    let ending = ENDINGS[((rest / STEMS.len() as u64) % ENDINGS.len() as u64) as usize];
    let last = format!("{stem}{ending}");
    let username = format!(
        "{}{}{i}",
        normalize::query_words(first)[0].chars().next().unwrap_or('x'),
        normalize::query_words(&last)[0]
    );
    (format!("Dr. {first} {last}"), username)
}

/// Adds synthetic accounts until there are `total` of them; every fifth is not visible.
pub async fn seed(state: &AppState, total: u64, force: bool) -> anyhow::Result<()> {
    let real: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM accounts WHERE email_normalized NOT LIKE '%@seed.invalid'")
            .fetch_one(&state.db.pool)
            .await?;
    if real > 0 && !force {
        anyhow::bail!(
            "Die Datenbank enthält {real} echte Accounts. `dev seed` ist nur für Entwicklungs- und Benchmark-Datenbanken (--force, falls gewollt)."
        );
    }
    let existing: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM accounts WHERE email_normalized LIKE '%@seed.invalid'")
            .fetch_one(&state.db.pool)
            .await?;
    eprintln!("NUR FÜR ENTWICKLUNG: erzeuge synthetische Accounts (@seed.invalid) {existing} → {total}");
    let now = state.clock.now();
    let started = Instant::now();
    const BATCH: u64 = 500;
    let mut i = existing as u64;
    while i < total {
        let end = (i + BATCH).min(total);
        let mut accounts = String::from(
            "INSERT INTO accounts (id, email, email_normalized, name, name_lower, language, status, username, \
             username_normalized, created_at, registered_at, visible, role, edition, wizard_steps) VALUES ",
        );
        let mut term_rows = Vec::new();
        let mut pair_rows = Vec::new();
        let mut rows = Vec::new();
        for n in i..end {
            let (name, username) = name(n);
            let id = format!("seed{n:010}");
            let visible = n % 5 != 0;
            rows.push((id.clone(), format!("seed{n}@seed.invalid"), name.clone(), username.clone(), visible));
            if visible {
                for term in normalize::terms(&name, &username) {
                    term_rows.push((term, id.clone(), name.clone(), username.clone()));
                }
                for (first, second) in normalize::pairs(&name) {
                    pair_rows.push((first, second, id.clone(), name.clone(), username.clone()));
                }
            }
        }
        for (k, _) in rows.iter().enumerate() {
            let b = k * 7;
            if k > 0 {
                accounts.push(',');
            }
            accounts.push_str(&format!(
                "(${}, ${}, ${}, ${}, ${}, 'de', 'active', ${}, ${}, {now}, {now}, ${}, 'user', 'standard', '')",
                b + 1,
                b + 2,
                b + 2,
                b + 3,
                b + 4,
                b + 5,
                b + 6,
                b + 7
            ));
        }
        let mut tx = state.db.begin().await?;
        let mut query = sqlx::query(sqlx::AssertSqlSafe(accounts));
        for (id, email, name, username, visible) in &rows {
            query = query
                .bind(id)
                .bind(email)
                .bind(name)
                .bind(name.to_lowercase())
                .bind(username)
                .bind(username.to_lowercase())
                .bind(i64::from(*visible));
        }
        query.execute(&mut *tx).await?;
        for chunk in term_rows.chunks(2000) {
            let sql = multi_row_insert("contact_search (term, account_id, name, username)", 4, chunk.len());
            let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
            for (term, id, name, username) in chunk {
                query = query.bind(term).bind(id).bind(name).bind(username);
            }
            query.execute(&mut *tx).await?;
        }
        for chunk in pair_rows.chunks(2000) {
            let sql = multi_row_insert(
                "contact_search_pairs (first_term, second_term, account_id, name, username)",
                5,
                chunk.len(),
            );
            let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
            for (first, second, id, name, username) in chunk {
                query = query.bind(first).bind(second).bind(id).bind(name).bind(username);
            }
            query.execute(&mut *tx).await?;
        }
        tx.commit().await?;
        i = end;
        if i.is_multiple_of(50_000) || i == total {
            eprintln!("  {i} Accounts ({:.0} s)", started.elapsed().as_secs_f64());
        }
    }
    state.db.refresh_statistics().await?;
    eprintln!("fertig in {:.1} s", started.elapsed().as_secs_f64());
    Ok(())
}

/// `INSERT INTO {target} VALUES ($1, …), (…), …` for `rows` rows of `columns` placeholders each.
fn multi_row_insert(target: &str, columns: usize, rows: usize) -> String {
    let mut sql = format!("INSERT INTO {target} VALUES ");
    for row in 0..rows {
        if row > 0 {
            sql.push(',');
        }
        let placeholders: Vec<String> = (1..=columns).map(|c| format!("${}", row * columns + c)).collect();
        sql.push_str(&format!("({})", placeholders.join(", ")));
    }
    sql
}

/// A fixed, varied set of queries like people type them: name prefixes, full names, umlaut spellings,
/// usernames, two words.
fn queries(count: usize) -> Vec<String> {
    let mut state = 0x2545_f491_4f6c_dd1du64;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    (0..count)
        .map(|_| {
            let (name, username) = name(next() % 1_000_000);
            let parts: Vec<&str> = name.split(' ').skip(1).collect();
            let last = parts[1];
            match next() % 6 {
                0 => last.chars().take(3).collect(),
                1 => last.to_owned(),
                2 => normalize::query_words(last)[0].clone(),
                3 => parts[0].to_owned(),
                4 => format!("{} {}", parts[0], last.chars().take(2).collect::<String>()),
                _ => username.chars().take(5).collect(),
            }
        })
        .collect()
}

fn percentile(sorted: &[Duration], p: f64) -> f64 {
    let index = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[index].as_secs_f64() * 1000.0
}

pub async fn bench_search(state: &AppState, count: usize, clients: usize) -> anyhow::Result<()> {
    let accounts: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM accounts").fetch_one(&state.db.pool).await?;
    let findable: i64 =
        sqlx::query_scalar("SELECT COUNT(DISTINCT account_id) FROM contact_search").fetch_one(&state.db.pool).await?;
    let terms: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM contact_search").fetch_one(&state.db.pool).await?;
    let queries = queries(count);
    // Warm up: the first queries load pages from disk.
    for q in queries.iter().take(200) {
        store::search(&state.db, q, "bench", 0).await?;
    }
    let mut latencies = Vec::with_capacity(count);
    let mut results = 0usize;
    for q in &queries {
        let started = Instant::now();
        let (found, _) = store::search(&state.db, q, "bench", 0).await?;
        latencies.push(started.elapsed());
        results += found.len();
    }
    latencies.sort();
    let started = Instant::now();
    let mut tasks = Vec::new();
    for c in 0..clients {
        let db = state.db.clone();
        let mine: Vec<String> = queries.iter().skip(c).step_by(clients).cloned().collect();
        tasks.push(tokio::spawn(async move {
            for q in mine {
                store::search(&db, &q, "bench", 0).await?;
            }
            Ok::<_, sqlx::Error>(())
        }));
    }
    for task in tasks {
        task.await??;
    }
    let throughput = count as f64 / started.elapsed().as_secs_f64();
    let backend = match state.db.backend {
        crate::db::Backend::Sqlite => "SQLite",
        crate::db::Backend::Postgres => "PostgreSQL",
    };
    println!("backend={backend} accounts={accounts} findable={findable} terms={terms}");
    println!(
        "latency (1 client, {count} searches): p50={:.3} ms p99={:.3} ms max={:.3} ms, avg results/page={:.1}",
        percentile(&latencies, 0.50),
        percentile(&latencies, 0.99),
        percentile(&latencies, 1.0),
        results as f64 / count as f64
    );
    println!("throughput ({clients} clients): {throughput:.0} searches/s");
    let rows = sqlx::query("SELECT COUNT(*) FROM accounts WHERE visible = 0").fetch_one(&state.db.pool).await?;
    let hidden: i64 = rows.try_get(0)?;
    println!("hidden accounts (never in the index): {hidden}");
    Ok(())
}

/// A line of `/proc/self/status` in KiB (`VmRSS`: resident now, `VmHWM`: the peak so far); 0 elsewhere.
fn memory_kib(field: &str) -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|line| line.strip_prefix(field)?.strip_prefix(':')?.trim().strip_suffix("kB")?.trim().parse().ok())
        .unwrap_or(0)
}

/// `dev bench-hashing`: `hashes` password hashes submitted at once to the service's hasher; prints one JSON
/// line with the rate and the resident memory before (idle) and at the peak.
pub async fn bench_hashing(hashes: usize) -> anyhow::Result<()> {
    let threads = std::thread::available_parallelism().map_or(2, |n| n.get());
    let hasher = crate::security::hashing::Hasher::new(threads);
    let idle_kib = memory_kib("VmRSS");
    let started = Instant::now();
    let tasks: Vec<_> = (0..hashes)
        .map(|n| {
            let hasher = hasher.clone();
            tokio::spawn(async move { hasher.hash(format!("Leuchtturm am Deich {n}")).await })
        })
        .collect();
    for task in tasks {
        task.await??;
    }
    let seconds = started.elapsed().as_secs_f64();
    let report = serde_json::json!({
        "threads": threads,
        "hashes": hashes,
        "hashes_per_second": (hashes as f64 / seconds).round(),
        "idle_rss_kib": idle_kib,
        "peak_rss_kib": memory_kib("VmHWM"),
        "rss_after_kib": memory_kib("VmRSS"),
    });
    println!("{report}");
    Ok(())
}
