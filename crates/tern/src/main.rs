//! The `tern` binary: parses the command line, opens the store, builds the
//! one `ZoneService`, and runs either the server or a one-shot zone command.

mod config;
mod dnssec_cmd;
mod org_cmd;
mod table;
mod token_cmd;
mod tsig_cmd;
mod zone_cmd;

use std::sync::Arc;

use anyhow::{Context, Result};
use clap::Parser;
use tern_core::{ServiceConfig, Store, ZoneService};
use tern_dns::{AnswerConfig, ChaosIdentity, DnsServer, IndexListener, ZoneIndex};
use tern_store::Database;
use tokio::net::TcpListener;
use tracing_subscriber::EnvFilter;

use crate::config::{Cli, Command, GlobalArgs, ServeArgs, Settings};

/// How soon a TSIG key created or deleted elsewhere takes effect.
const TSIG_KEY_REFRESH: std::time::Duration = std::time::Duration::from_secs(2);
/// How often signed zones are checked for signatures due for refresh; the
/// refresh window (a week by default) makes minutes of delay harmless.
const SIGNATURE_REFRESH: std::time::Duration = std::time::Duration::from_secs(600);

/// Errors end the process with the message and its causes on one line
/// (`error: opening …: permission denied`), never a backtrace: this is a
/// tool's output for its user, whatever `RUST_BACKTRACE` says.
fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .with_ansi(colour_logs())
        .init();
    let result = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")
        .and_then(|runtime| runtime.block_on(run(cli)));
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

/// Colour codes only for a person at a terminal, and not when `NO_COLOR`
/// is set to anything but the empty string (no-color.org): a log file or
/// journald gets plain text.
fn colour_logs() -> bool {
    use std::io::IsTerminal;
    let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
    std::io::stderr().is_terminal() && !no_color
}

async fn run(cli: Cli) -> Result<()> {
    let global = &cli.global;
    match cli.command {
        Command::Serve(args) => serve(Settings::resolve(global, &args)?).await,
        Command::Zone(cmd) => {
            one_shot(global, |s| async move { zone_cmd::run(&s, cmd).await }).await
        }
        Command::Token(cmd) => {
            one_shot(global, |s| async move {
                token_cmd::run(s.store().as_ref(), cmd).await
            })
            .await
        }
        Command::Dnssec(cmd) => {
            one_shot(global, |s| async move { dnssec_cmd::run(&s, cmd).await }).await
        }
        Command::Tsig(cmd) => {
            one_shot(global, |s| async move {
                tsig_cmd::run(s.store().as_ref(), cmd).await
            })
            .await
        }
        Command::Org(cmd) => {
            one_shot(global, |s| async move {
                org_cmd::run_org(s.store().as_ref(), cmd).await
            })
            .await
        }
        Command::Project(cmd) => {
            one_shot(global, |s| async move {
                org_cmd::run_project(s.store().as_ref(), cmd).await
            })
            .await
        }
    }
}

/// Runs a command that is not `serve` on the configured database, then
/// closes it (which checkpoints SQLite's WAL into the database file).
async fn one_shot<F, Fut>(global: &GlobalArgs, command: F) -> Result<()>
where
    F: FnOnce(Arc<ZoneService>) -> Fut,
    Fut: std::future::Future<Output = Result<()>>,
{
    let settings = Settings::resolve(global, &ServeArgs::default())?;
    let (database, service) = open(&settings).await?;
    let result = command(service).await;
    database.close().await;
    result
}

/// Opens the database (applying migrations) and builds the service over it.
pub async fn open(settings: &Settings) -> Result<(Arc<Database>, Arc<ZoneService>)> {
    let database = Arc::new(
        Database::connect(&settings.database_url)
            .await
            .with_context(|| format!("opening database {}", redact(&settings.database_url)))?,
    );
    let config = ServiceConfig {
        nameservers: settings.nameservers.clone(),
        hostmaster: settings.hostmaster.clone(),
        allow_shared_zone_names: settings.allow_shared_zone_names,
        require_zone_validation: settings.zone_validation_required,
        ..ServiceConfig::default()
    };
    let store: Arc<dyn Store> = database.clone();
    let service = Arc::new(ZoneService::new(store, config));
    match key_encryption_key(settings) {
        Ok(kek) => service.set_signer(Arc::new(tern_dnssec::Signer::new(Arc::new(kek)))),
        // Unsigned zones work without it; writes to signed zones are refused
        // with the reason until the key is back.
        Err(e) => tracing::warn!(error = %format!("{e:#}"), "DNSSEC signing unavailable"),
    }
    Ok((database, service))
}

/// The key manager's pass over every signed zone: key steps that are due,
/// then signatures that are due.
async fn maintain_signing(service: &ZoneService) {
    let zones = match service
        .store()
        .list_zones(&tern_core::ZoneFilter::default())
        .await
    {
        Ok(zones) => zones,
        Err(e) => {
            tracing::warn!(error = %e, "listing zones for signature refresh");
            return;
        }
    };
    let actor = tern_core::Actor::new("dnssec", tern_core::ChangeSource::Dnssec);
    for zone in zones.into_iter().filter(|z| z.dnssec_enabled) {
        let request = tern_core::rollover::KeyRequest::Maintain;
        match service.maintain_signing(zone.id, request, &actor).await {
            Ok(Some(outcome)) => {
                let steps: Vec<String> = outcome
                    .entry
                    .iter()
                    .flat_map(|e| &e.key_transitions)
                    .map(|t| format!("{} {} {}", t.role, t.key_tag, t.state))
                    .collect();
                tracing::info!(zone = %zone.name, serial = outcome.serial_after, keys = %steps.join(", "), "signing maintained")
            }
            Ok(None) => {}
            Err(e) => {
                tracing::warn!(zone = %zone.name, error = %e, "maintaining signatures and keys")
            }
        }
    }
}

/// The key that seals DNSSEC private keys: TERN_KEY_ENCRYPTION_KEY, or the
/// key file (created 0600 on first use).
fn key_encryption_key(settings: &Settings) -> Result<tern_dnssec::KeyEncryptionKey> {
    if let Ok(value) = std::env::var("TERN_KEY_ENCRYPTION_KEY") {
        return tern_dnssec::KeyEncryptionKey::from_env_value(&value)
            .context("TERN_KEY_ENCRYPTION_KEY");
    }
    let path = &settings.key_encryption_key_file;
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent)
            .with_context(|| format!("creating {}", parent.display()))?;
    }
    tern_dnssec::KeyEncryptionKey::load_or_create(path)
        .with_context(|| format!("key-encryption key {}", path.display()))
}

async fn serve(settings: Settings) -> Result<()> {
    let (database, service) = open(&settings).await?;
    tracing::info!(database = %redact(&settings.database_url), "database ready");
    if settings.nameservers.is_empty() {
        tracing::warn!(
            "no --nameservers set: new zones get the NS ns1.<zone>, a name inside the zone \
             with no address record (glue), which resolvers cannot reach; set \
             --nameservers (TERN_NAMESERVERS) to this server's names, e.g. ns1.example.net.,ns2.example.net."
        );
    }

    // The nameserver's index follows every commit of this process (each
    // commit awaits it); it is loaded after noting the journal head, so
    // entries committed while it loads are delivered again by the follower
    // (the index applies each zone's entries in serial order and ignores
    // what it already has).
    let head = service.store().journal_head().await?;
    let index = ZoneIndex::new(service.store().clone());
    service.add_listener(Arc::new(IndexListener(index.clone())));
    let started = std::time::Instant::now();
    index
        .load_all()
        .await
        .context("loading zones for the nameserver")?;
    release_freed_heap();
    tracing::info!(
        zones = index.zone_count(),
        elapsed_ms = started.elapsed().as_millis() as u64,
        "zones loaded"
    );
    let dns = DnsServer::bind(&settings.dns_listen).await?;
    tracing::info!(addresses = ?dns.local_addrs(), "DNS listening (UDP and TCP)");
    index.set_notify(tern_dns::notify::NotifyDefaults {
        targets: settings.transfer.notify.clone(),
        keys: settings.transfer.keys.clone(),
    });
    let answer_config = AnswerConfig {
        transfer_allow: settings.transfer.allow.clone(),
        transfer_keys: settings.transfer.keys.clone(),
        max_udp_payload: settings.edns_udp_size,
        chaos: settings.chaos_id.clone().map(|id| ChaosIdentity {
            id,
            version: format!("tern {}", env!("CARGO_PKG_VERSION")),
        }),
    };
    dns.with_tcp_limits(settings.tcp)
        .spawn(index.clone(), answer_config)?;

    // Changes committed by other processes or nodes reach this one through the
    // journal and become the same events as local commits.
    let mut journal = database.follow_journal(head);
    let follower_service = service.clone();
    tokio::spawn(async move {
        while let Some(entry) = journal.recv().await {
            tracing::debug!(seq = entry.seq, zone = %entry.zone_name, serial = entry.serial_after, "journal entry");
            follower_service.publish(entry).await;
        }
        tracing::warn!("journal follower stopped");
    });

    // TSIG keys change outside the zone journal (`tern tsig` in another
    // process, later the API): re-read them every few seconds.
    let key_index = index.clone();
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(TSIG_KEY_REFRESH);
        loop {
            tick.tick().await;
            if let Err(e) = key_index.reload_tsig_keys().await {
                tracing::warn!(error = %e, "re-reading TSIG keys");
            }
        }
    });

    // Signatures are remade before they expire and keys move on when due,
    // by whichever node gets to each zone first (the serial guard lets one
    // commit; the rest find nothing due).
    if let Some(server) = settings.dnssec_parent_resolver {
        service.set_parent_ds_lookup(Arc::new(tern_dns::parent_ds::ParentResolver { server }));
    }
    let refresher = service.clone();
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(SIGNATURE_REFRESH);
        loop {
            tick.tick().await;
            maintain_signing(&refresher).await;
        }
    });

    let listener = TcpListener::bind(settings.api_listen)
        .await
        .with_context(|| format!("binding the API listener on {}", settings.api_listen))?;
    tracing::info!(address = %settings.api_listen, "API listening");
    bootstrap(&service, &settings).await?;
    let app = tern_api::router(
        tern_api::ApiState::new(service, Arc::new(move || index.render_metrics()))
            .with_limits(settings.rate_limits)
            .with_validation(settings.validation.clone())
            .with_import_limit(settings.import_limit),
    );
    axum::serve(
        listener,
        app.into_make_service_with_connect_info::<std::net::SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown_signal())
    .await
    .context("serving the API")?;
    tracing::info!("stopped");
    Ok(())
}

/// First start on a database without any API token: organisation
/// `default` (features `dns` and `kms`; kept if a `tern zone import` or
/// `tern org create` made it before) and an admin token, printed once to
/// stderr and written to `<data-dir>/admin-token` (mode 0600).
/// `TERN_BOOTSTRAP_TOKEN`, when set, is that token. Whether a token exists
/// decides, not whether an organisation does: the README's first steps
/// import a zone (which makes `default`) before the first `serve`.
async fn bootstrap(service: &ZoneService, settings: &Settings) -> Result<()> {
    let store = service.store();
    if !store.list_tokens(None).await?.is_empty() {
        return Ok(());
    }
    let org = match store.organisation_by_slug(org_cmd::DEFAULT_ORG).await? {
        Some(org) => org,
        None => {
            let org = org_cmd::default_organisation();
            store.create_organisation(&org).await?;
            org
        }
    };
    let chosen = std::env::var("TERN_BOOTSTRAP_TOKEN")
        .ok()
        .filter(|t| !t.is_empty());
    let (_, secret) = tern_api::admin::issue_token(
        store.as_ref(),
        tern_api::admin::TokenRequest {
            org_id: org.id,
            project_id: None,
            name: "bootstrap admin".into(),
            scopes: vec![tern_core::Scope::Admin],
            expires_in_secs: None,
            allowed_networks: Vec::new(),
        },
        chosen.clone(),
    )
    .await
    .map_err(|e| anyhow::anyhow!("creating the admin token: {}", e.detail))?;
    // With PostgreSQL nothing else needs the data directory: it may not exist.
    std::fs::create_dir_all(&settings.data_dir)
        .with_context(|| format!("creating {}", settings.data_dir.display()))?;
    let path = settings.data_dir.join("admin-token");
    write_private(&path, &format!("{secret}\n"))
        .with_context(|| format!("writing {}", path.display()))?;
    if chosen.is_none() {
        eprintln!(
            "Created an admin API token for organisation 'default' (also in {}):\n\n    {secret}\n",
            path.display()
        );
    } else {
        eprintln!("Created the admin API token TERN_BOOTSTRAP_TOKEN for organisation 'default'.");
    }
    Ok(())
}

/// Writes a file only its owner can read.
fn write_private(path: &std::path::Path, text: &str) -> std::io::Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options.open(path)?.write_all(text.as_bytes())
}

/// The start-up load frees millions of small allocations (the records read
/// from the store) that glibc keeps in its arenas; hand them back to the
/// system so the resident size is what the served zones need.
fn release_freed_heap() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim only walks glibc's own free lists.
    unsafe {
        libc::malloc_trim(0);
    }
}

async fn shutdown_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(s) => s,
                Err(_) => {
                    let _ = ctrl_c.await;
                    return;
                }
            };
        tokio::select! {
            _ = ctrl_c => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    {
        let _ = ctrl_c.await;
    }
}

/// Hides a password in a database URL before it reaches a log.
fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            let userinfo = &url[scheme + 3..at];
            match userinfo.split_once(':') {
                Some((user, _)) => format!("{}{user}:***{}", &url[..scheme + 3], &url[at..]),
                None => url.to_string(),
            }
        }
        _ => url.to_string(),
    }
}
