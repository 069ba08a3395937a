//! Command line: `serve` and the operator tools. Every subcommand reads the same settings as `serve`.
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use crate::accounts::{self, NewAccount, store};
use crate::clock::Clock;
use crate::config::{Config, LogFormat};
use crate::domain::lang::Lang;
use crate::security::audit::Actor;
use crate::state::AppState;
use crate::web::format::iso_utc;

#[derive(Parser)]
#[command(name = "sprechstunde", version, about = "Videosprechstunde für Arztpraxen – selbst betrieben")]
pub struct Cli {
    /// TOML settings file; SPRECHSTUNDE_* environment variables override it.
    #[arg(long, global = true, env = "SPRECHSTUNDE_CONFIG")]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the web server and its background worker.
    Serve,
    /// Bring the database schema up to date.
    Migrate,
    /// Manage accounts.
    #[command(subcommand)]
    Account(AccountCommand),
    /// The security audit log.
    #[command(subcommand)]
    Audit(AuditCommand),
    /// Support staff.
    #[command(subcommand)]
    Support(SupportCommand),
    /// Tokens for the admin API.
    #[command(subcommand)]
    ApiToken(ApiTokenCommand),
    /// Development and benchmarks only — never on production data.
    #[command(subcommand)]
    Dev(DevCommand),
}

#[derive(Subcommand)]
enum DevCommand {
    /// Fill the database with synthetic accounts (…@seed.invalid) up to this many; NOT for production data.
    Seed {
        #[arg(long)]
        accounts: u64,
        /// Also when the database holds real accounts.
        #[arg(long)]
        force: bool,
    },
    /// Measure the contact search: latency p50/p99 with one client, throughput with several.
    BenchSearch {
        #[arg(long, default_value_t = 2000)]
        queries: usize,
        #[arg(long, default_value_t = 4)]
        clients: usize,
    },
    /// Measure password hashing: this many hashes at once, their rate and the process's memory (RSS).
    BenchHashing {
        #[arg(long, default_value_t = 50)]
        hashes: usize,
    },
}

#[derive(Subcommand)]
enum ApiTokenCommand {
    /// Create a token; its secret is printed once and never stored.
    Create {
        #[arg(long)]
        name: String,
        /// accounts:read or accounts:write (which includes reading); repeat for several.
        #[arg(long = "scope", required = true, value_parser = ["accounts:read", "accounts:write"])]
        scopes: Vec<String>,
    },
    /// List tokens (never their secrets).
    List,
    /// Revoke a token by its id.
    Revoke { id: String },
}

#[derive(Subcommand)]
enum SupportCommand {
    /// Create a support agent; they register through the e-mailed link, with SMS 2FA required.
    CreateUser {
        #[arg(long)]
        email: String,
        #[arg(long)]
        name: String,
        #[arg(long, default_value = "de", value_parser = ["de", "en"])]
        language: String,
    },
}

#[derive(Subcommand)]
enum AuditCommand {
    /// Write the audit log as JSON lines (oldest first) to standard output.
    Export {
        /// Only entries from this time on: 2026-11-01, 2026-11-01T08:00:00Z or unix seconds.
        #[arg(long)]
        since: Option<String>,
    },
}

#[derive(Subcommand)]
enum AccountCommand {
    /// Create an account; its registration e-mail is sent automatically.
    Create {
        #[arg(long)]
        email: String,
        #[arg(long)]
        name: String,
        /// Language of e-mails and pages: de or en.
        #[arg(long, default_value = "de", value_parser = ["de", "en"])]
        language: String,
        /// Product edition (decides the wizard's steps); default: the configured default edition.
        #[arg(long)]
        edition: Option<String>,
    },
    /// Send a new registration link; all older links stop working.
    Resend { id_or_email: String },
    /// Show one account (never any secret).
    Show { id_or_email: String },
    /// List all accounts with the state of their registration link.
    List,
}

pub fn run(cli: Cli) -> ExitCode {
    let config = match Config::load(cli.config.as_deref()) {
        Ok(config) => config,
        Err(error) => {
            eprintln!("Fehler: {error}");
            return ExitCode::from(2);
        }
    };
    init_tracing(config.log_format);
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("Fehler: {error}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(dispatch(cli.command, config)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("Fehler: {error:#}");
            ExitCode::FAILURE
        }
    }
}

fn init_tracing(format: LogFormat) {
    let filter = tracing_subscriber::EnvFilter::try_from_env("SPRECHSTUNDE_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,sqlx=warn"));
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr);
    match format {
        LogFormat::Json => builder.json().init(),
        LogFormat::Pretty => builder.init(),
    }
    std::panic::set_hook(Box::new(log_panic));
}

/// A panic becomes one log line (message and place) in the current span — in a handler, the request's,
/// so it carries the request id — instead of the standard library's text on stderr.
pub fn log_panic(info: &std::panic::PanicHookInfo<'_>) {
    let payload = info.payload();
    let message =
        payload.downcast_ref::<&str>().copied().or_else(|| payload.downcast_ref::<String>().map(String::as_str));
    let location = info.location().map(|l| format!("{}:{}", l.file(), l.line())).unwrap_or_default();
    tracing::error!(message = message.unwrap_or("(ohne Text)"), %location, "Programmfehler");
}

async fn dispatch(command: Command, config: Config) -> anyhow::Result<()> {
    match command {
        Command::Serve => crate::app::serve(config).await,
        Command::Migrate => {
            AppState::new(config, Clock::System).await?;
            println!("Datenbankschema ist aktuell.");
            Ok(())
        }
        Command::Account(command) => {
            let state = AppState::new(config, Clock::System).await?;
            account(&state, command).await
        }
        Command::Support(SupportCommand::CreateUser { email, name, language }) => {
            let state = AppState::new(config, Clock::System).await?;
            let language = Lang::parse(&language).unwrap_or(Lang::De);
            let new =
                NewAccount { email, name, language, edition: Some("support".into()), role: accounts::Role::Support };
            let account = accounts::create(&state, new, Actor::Operator).await?;
            println!(
                "{}",
                serde_json::json!({ "id": account.id, "email": account.email, "status": account.status.as_str(), "role": "support" })
            );
            Ok(())
        }
        Command::Dev(DevCommand::BenchHashing { hashes }) => crate::dev::bench_hashing(hashes).await,
        Command::Dev(command) => {
            let state = AppState::new(config, Clock::System).await?;
            match command {
                DevCommand::Seed { accounts, force } => crate::dev::seed(&state, accounts, force).await,
                DevCommand::BenchSearch { queries, clients } => {
                    crate::dev::bench_search(&state, queries, clients).await
                }
                DevCommand::BenchHashing { .. } => unreachable!("runs without a database, above"),
            }
        }
        Command::ApiToken(command) => {
            let state = AppState::new(config, Clock::System).await?;
            api_token(&state, command).await
        }
        Command::Audit(AuditCommand::Export { since }) => {
            let since = match since {
                Some(text) => crate::web::format::parse_utc(&text).ok_or_else(|| {
                    anyhow::anyhow!("--since „{text}“: erwartet z. B. 2026-11-01 oder 2026-11-01T08:00:00Z")
                })?,
                None => 0,
            };
            let state = AppState::new(config, Clock::System).await?;
            for record in crate::security::audit::since(&state.db, since).await? {
                println!("{}", serde_json::to_string(&record)?);
            }
            Ok(())
        }
    }
}

async fn account(state: &AppState, command: AccountCommand) -> anyhow::Result<()> {
    let now = state.clock.now();
    match command {
        AccountCommand::Create { email, name, language, edition } => {
            let language = Lang::parse(&language).unwrap_or(Lang::De);
            let account = accounts::create(
                state,
                NewAccount { email, name, language, edition, role: accounts::Role::User },
                Actor::Operator,
            )
            .await?;
            println!(
                "{}",
                serde_json::json!({ "id": account.id, "email": account.email, "status": account.status.as_str() })
            );
            eprintln!("Die Registrierungs-E-Mail wird vom laufenden Dienst (sprechstunde serve) versendet.");
        }
        AccountCommand::Resend { id_or_email } => {
            let account = accounts::resend(state, &id_or_email, Actor::Operator).await?;
            println!("Neue Registrierungs-E-Mail für {} eingereiht; ältere Links gelten nicht mehr.", account.email);
        }
        AccountCommand::Show { id_or_email } => {
            let account = store::find(&state.db, &id_or_email)
                .await?
                .ok_or_else(|| accounts::AccountError::NotFound(id_or_email.clone()))?;
            let overview = store::overview(&state.db, &account.id, now)
                .await?
                .ok_or_else(|| accounts::AccountError::NotFound(id_or_email))?;
            print_overview(&overview);
        }
        AccountCommand::List => {
            let all = store::list(&state.db, now).await?;
            println!(
                "{:<32}  {:<13}  {:<20}  {:<20}  {:<8}  E-MAIL",
                "ID", "STATUS", "LINK GESENDET", "LINK GÜLTIG BIS", "MAIL"
            );
            for o in &all {
                println!(
                    "{:<32}  {:<13}  {:<20}  {:<20}  {:<8}  {}",
                    o.id,
                    o.status,
                    o.link_sent_at.map(iso_utc).unwrap_or_else(|| "-".into()),
                    o.link_expires_at.map(iso_utc).unwrap_or_else(|| "-".into()),
                    o.mail_status.as_deref().unwrap_or("-"),
                    o.email
                );
            }
            eprintln!("{} Account(s)", all.len());
        }
    }
    Ok(())
}

async fn api_token(state: &AppState, command: ApiTokenCommand) -> anyhow::Result<()> {
    use crate::api::tokens::{self, Scope};
    let now = state.clock.now();
    match command {
        ApiTokenCommand::Create { name, scopes } => {
            let scopes: Vec<Scope> = scopes.iter().filter_map(|s| Scope::parse(s)).collect();
            let (token, secret) = tokens::create(&state.db, &state.token_key, &name, &scopes, now).await?;
            println!("{}", serde_json::json!({ "id": token.id, "name": token.name, "token": secret }));
            eprintln!("Der Token wird nur jetzt angezeigt; gespeichert ist nur sein Hashwert.");
        }
        ApiTokenCommand::List => {
            for token in tokens::list(&state.db).await? {
                let scopes = token.scopes.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(",");
                let state = match token.revoked_at {
                    Some(at) => format!("widerrufen {}", iso_utc(at)),
                    None => "aktiv".into(),
                };
                println!("{}  {:<24}  {:<30}  {}", token.id, token.name, scopes, state);
            }
        }
        ApiTokenCommand::Revoke { id } => {
            if tokens::revoke(&state.db, &id, now).await? {
                println!("Token {id} widerrufen.");
            } else {
                anyhow::bail!("Kein aktiver Token mit der ID {id}");
            }
        }
    }
    Ok(())
}

fn print_overview(o: &store::Overview) {
    let time = |t: Option<i64>| t.map(iso_utc).unwrap_or_else(|| "-".into());
    println!("ID:               {}", o.id);
    println!("Name:             {}", o.name);
    println!("E-Mail:           {}", o.email);
    println!("Sprache:          {}", o.language);
    println!("Status:           {}", o.status);
    println!("Ausführung:       {}", o.edition);
    if let Some(step) = &o.next_step {
        println!("Nächster Schritt: {step}");
    }
    println!("2FA per SMS:      {}", if o.two_factor_enabled { "aktiv" } else { "aus" });
    println!("Sichtbar:         {}", if o.visible { "ja" } else { "nein" });
    println!("Benutzername:     {}", o.username.as_deref().unwrap_or("-"));
    println!("Angelegt:         {}", iso_utc(o.created_at));
    println!("Registriert:      {}", time(o.registered_at));
    println!("Link gesendet:    {}", time(o.link_sent_at));
    println!("Link gültig bis:  {}", time(o.link_expires_at));
    println!(
        "Registrierungs-E-Mail: {}{}{}",
        o.mail_status.as_deref().unwrap_or("-"),
        o.mail_attempts.map(|n| format!(" ({n} Versuch(e))")).unwrap_or_default(),
        o.mail_error.as_deref().map(|e| format!(", letzter Fehler: {e}")).unwrap_or_default()
    );
}
