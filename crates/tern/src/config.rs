//! Command line, environment and `tern.toml`, merged into one `Settings`.
//! Precedence: command line, then environment (clap reads both), then the
//! config file, then built-in defaults.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use clap::{Args, Parser, Subcommand};
use serde::Deserialize;
use tern_core::Name;
use tern_core::transfer::TransferSettings;

#[derive(Parser, Debug)]
#[command(
    name = "tern",
    version,
    about = "Tern: authoritative DNS with a multi-tenant API"
)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Args, Debug, Clone)]
pub struct GlobalArgs {
    /// Directory for the embedded database and other state [default: ./tern-data]
    #[arg(long, env = "TERN_DATA_DIR", global = true)]
    pub data_dir: Option<PathBuf>,
    /// Database URL: sqlite://… or postgres://… [default: SQLite in the data directory]
    #[arg(long, env = "TERN_DATABASE_URL", global = true)]
    pub database: Option<String>,
    /// TOML file with the same keys as the options (data_dir, database, api_listen, …)
    #[arg(long, env = "TERN_CONFIG", global = true)]
    pub config: Option<PathBuf>,
    /// Key sealing DNSSEC private keys; keep it, share it between nodes [default: dnssec.kek in the data dir, made 0600]
    #[arg(
        long,
        env = "TERN_KEY_ENCRYPTION_KEY_FILE",
        global = true,
        value_name = "FILE"
    )]
    pub key_encryption_key_file: Option<PathBuf>,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Run the API and nameserver.
    Serve(Box<ServeArgs>),
    /// Manage zones directly in the configured database.
    #[command(subcommand)]
    Zone(ZoneCommand),
    /// Manage TSIG keys for zone transfers (RFC 8945).
    #[command(subcommand)]
    Tsig(TsigCommand),
    /// Sign zones with DNSSEC, show their keys and DS records.
    #[command(subcommand)]
    Dnssec(DnssecCommand),
    /// Manage API tokens.
    #[command(subcommand)]
    Token(TokenCommand),
    /// Manage organisations (the tenants that own zones and tokens).
    #[command(subcommand)]
    Org(crate::org_cmd::OrgCommand),
    /// Manage an organisation's projects.
    #[command(subcommand)]
    Project(crate::org_cmd::ProjectCommand),
}

#[derive(Subcommand, Debug)]
pub enum TokenCommand {
    /// Create a token and print it (it is shown only this once).
    Create {
        /// Organisation slug (see `tern org list`)
        #[arg(long, default_value = "default")]
        org: String,
        /// A name for the token, shown in listings (e.g. ci, backup-job)
        #[arg(long)]
        name: String,
        /// Comma-separated: dns:list, dns:read, dns:create, dns:update,
        /// dns:delete, dns:*, dnssec:manage, tokens:manage, admin
        #[arg(long, value_delimiter = ',', required = true)]
        scopes: Vec<String>,
        /// Bind the token to a project of the organisation (slug)
        #[arg(long)]
        project: Option<String>,
        /// Lifetime, e.g. 30d, 12h [default: no expiry]
        #[arg(long)]
        expires_in: Option<String>,
    },
    /// List tokens (never their secrets).
    List {
        /// Only this organisation's tokens (slug) [default: all]
        #[arg(long)]
        org: Option<String>,
    },
    /// Revoke a token by its id (from `tern token list`); a running server
    /// refuses it within a few seconds.
    Revoke {
        /// The token's id
        id: String,
    },
}

#[derive(Subcommand, Debug)]
pub enum DnssecCommand {
    /// Sign the zone (one CSK, ECDSA P-256, NSEC3 without salt or extra
    /// iterations unless told otherwise) and print the DS for the parent.
    Enable {
        /// The zone's name, e.g. example.com
        zone: String,
        #[arg(long, default_value = "default")]
        org: String,
        /// ECDSAP256SHA256 (13) or ED25519 (15)
        #[arg(long, default_value = "ECDSAP256SHA256")]
        algorithm: String,
        /// NSEC instead of NSEC3
        #[arg(long)]
        nsec: bool,
        /// A KSK and a ZSK instead of one combined key
        #[arg(long)]
        key_split: bool,
    },
    /// Go insecure safely: publish CDS/CDNSKEY delete, and unsign once the
    /// parent's DS is gone (`ds-seen`, or --dnssec-parent-resolver).
    Disable {
        zone: String,
        #[arg(long, default_value = "default")]
        org: String,
        /// Remove the DNSSEC records at once: only for a zone whose parent
        /// never held its DS (otherwise resolvers see it bogus)
        #[arg(long)]
        now: bool,
    },
    /// Start a key rollover now (ZSK by pre-publication, KSK/CSK by
    /// double-DS); later steps follow on their timings under `serve`.
    Rollover {
        zone: String,
        #[arg(long, default_value = "default")]
        org: String,
        /// csk, ksk or zsk [default: csk, or zsk for a KSK + ZSK pair]
        #[arg(long)]
        role: Option<String>,
    },
    /// Confirm that the parent serves the DS that CDS asks for: the new
    /// key's (a KSK/CSK rollover completes) or none (unsigning goes on).
    DsSeen {
        zone: String,
        #[arg(long, default_value = "default")]
        org: String,
    },
    /// Whether the zone is signed, and its keys with their states.
    Status {
        zone: String,
        #[arg(long, default_value = "default")]
        org: String,
    },
    /// The DS records to give the parent zone's registrar.
    Ds {
        zone: String,
        #[arg(long, default_value = "default")]
        org: String,
    },
}

#[derive(Subcommand, Debug)]
pub enum TsigCommand {
    /// Create a key and print the clause for a BIND, NSD or Knot secondary.
    Create {
        /// Key name, e.g. transfer.example.net
        name: String,
        /// hmac-sha256, hmac-sha384, hmac-sha512 or hmac-sha1
        #[arg(long, default_value = "hmac-sha256")]
        algorithm: String,
        /// Base64 secret to use instead of a generated one (from a peer's config)
        #[arg(long)]
        secret: Option<String>,
        /// Which secondary's configuration syntax to print the key in
        #[arg(long, value_enum, default_value = "all")]
        format: KeyFormat,
    },
    /// List keys (names and algorithms; secrets only with --show-secrets).
    List {
        #[arg(long)]
        show_secrets: bool,
    },
    /// Delete a key; zones naming it in transfer_keys then refuse it.
    Delete { name: String },
}

/// The configuration syntax `tern tsig create` prints a key in.
#[derive(clap::ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyFormat {
    /// named.conf `key` statement
    Bind,
    /// nsd.conf `key:` clause
    Nsd,
    /// knot.conf `key:` section
    Knot,
    /// all three, each under a comment naming it
    All,
}

#[derive(Args, Debug, Clone, Default)]
pub struct ServeArgs {
    /// API listen address [default: 127.0.0.1:8053]
    #[arg(long, env = "TERN_API_LISTEN")]
    pub api_listen: Option<SocketAddr>,
    /// DNS listen address, UDP and TCP; repeatable [default: 127.0.0.1:5300]
    #[arg(long, env = "TERN_DNS_LISTEN", value_delimiter = ',')]
    pub dns_listen: Vec<SocketAddr>,
    /// Nameservers given to new zones (NS set and SOA MNAME), comma-separated
    /// [default: ns1.<zone>, a name inside the zone with no address (glue):
    /// set this for zones anyone is delegated to]
    #[arg(long, env = "TERN_NAMESERVERS", value_delimiter = ',')]
    pub nameservers: Vec<String>,
    /// SOA RNAME of new zones, e.g. hostmaster.example.net [default: hostmaster.<zone>]
    #[arg(long, env = "TERN_HOSTMASTER")]
    pub hostmaster: Option<String>,
    /// Largest UDP response offered to EDNS clients, 512-4096 [default: 1232]
    #[arg(long, env = "TERN_EDNS_UDP_SIZE")]
    pub edns_udp_size: Option<u16>,
    /// Networks allowed to transfer every zone (AXFR/IXFR), comma-separated CIDRs [default: none]
    #[arg(long, env = "TERN_ALLOW_TRANSFER", value_delimiter = ',')]
    pub allow_transfer: Vec<String>,
    /// TSIG keys allowed to transfer every zone, comma-separated key names
    /// (see `tern tsig create`); with keys set, transfers must be signed [default: none]
    #[arg(long, env = "TERN_ALLOW_TRANSFER_KEY", value_delimiter = ',')]
    pub allow_transfer_key: Vec<String>,
    /// Secondaries notified of every zone's changes, comma-separated address[:port]
    #[arg(long, env = "TERN_ALSO_NOTIFY", value_delimiter = ',')]
    pub also_notify: Vec<String>,
    /// API rate limit per token and minute, CLASS=N, comma-separated; classes
    /// read, create, update, delete, bulk; 0 = none
    /// [default: read=1000,create=300,update=300,delete=300,bulk=60]
    #[arg(long, env = "TERN_RATE_LIMIT", value_delimiter = ',')]
    pub rate_limit: Vec<String>,
    /// How zones created through the API become active: none (at once) or
    /// dns (pending until a TXT challenge or delegation is verified) [default: none]
    #[arg(long, env = "TERN_ZONE_VALIDATION")]
    pub zone_validation: Option<String>,
    /// Resolver (address[:port]) that zone validation asks
    #[arg(long, env = "TERN_VALIDATION_RESOLVER")]
    pub validation_resolver: Option<String>,
    /// Resolver (address[:port]) asked for signed zones' DS at the parent:
    /// a KSK/CSK rollover completes, and a zone being unsigned goes
    /// insecure, once it shows the parent did its part [default: none, an
    /// operator confirms with `tern dnssec ds-seen` or the API]
    #[arg(long, env = "TERN_DNSSEC_PARENT_RESOLVER")]
    pub dnssec_parent_resolver: Option<String>,
    /// Largest zone file an API import accepts, in MiB [default: 64]
    #[arg(long, env = "TERN_IMPORT_LIMIT_MB")]
    pub import_limit_mb: Option<usize>,
    /// Let two organisations hold zones of the same name (default: a name
    /// served for one organisation cannot be taken by another)
    #[arg(long, env = "TERN_ALLOW_SHARED_ZONE_NAMES")]
    pub allow_shared_zone_names: bool,
    /// Answer CHAOS TXT id.server / version.bind (default: refused)
    #[arg(long, env = "TERN_CHAOS")]
    pub chaos: bool,
    /// The name id.server / hostname.bind answers with --chaos [default: the host name]
    #[arg(long, env = "TERN_SERVER_ID")]
    pub server_id: Option<String>,
    /// TCP connections open at once, from all clients together [default: 512]
    #[arg(long, env = "TERN_TCP_MAX_CLIENTS")]
    pub tcp_max_clients: Option<usize>,
    /// TCP connections open at once from one client address, at most half of
    /// --tcp-max-clients [default: 32]
    #[arg(long, env = "TERN_TCP_MAX_PER_ADDRESS")]
    pub tcp_max_per_address: Option<usize>,
    /// Seconds a TCP connection may wait for its next query [default: 10]
    #[arg(long, env = "TERN_TCP_IDLE_TIMEOUT")]
    pub tcp_idle_timeout: Option<u64>,
    /// Milliseconds reading the rest of a query or writing one response
    /// message may take; a client that stops reading a transfer is cut off
    /// [default: 5000]
    #[arg(long, env = "TERN_TCP_IO_TIMEOUT")]
    pub tcp_io_timeout: Option<u64>,
}

#[derive(Subcommand, Debug)]
pub enum ZoneCommand {
    /// Import a master file; creates the zone if it does not exist.
    Import {
        /// The zone's name, e.g. example.com
        zone: String,
        /// An RFC 1035 master file
        file: PathBuf,
        /// Make the zone exactly what the file describes (default: merge).
        #[arg(long)]
        replace: bool,
        /// Import the valid records and report the ones refused.
        #[arg(long)]
        skip_invalid: bool,
        /// Show what would change without changing anything.
        #[arg(long)]
        dry_run: bool,
        /// Organisation slug; only `default` is created when missing
        #[arg(long, default_value = "default")]
        org: String,
    },
    /// Print a zone as a BIND master file.
    Export {
        /// The zone's name, e.g. example.com
        zone: String,
        /// Organisation slug
        #[arg(long, default_value = "default")]
        org: String,
        /// With the DNSSEC records of a signed zone, as served
        #[arg(long)]
        signed: bool,
    },
    /// List zones with their ids.
    List {
        /// Only this organisation's zones (slug) [default: all]
        #[arg(long)]
        org: Option<String>,
        /// Also list soft-deleted zones
        #[arg(long)]
        include_deleted: bool,
    },
    /// Delete a zone: soft (it stops being served and can be restored
    /// through the API) or, with --hard, for good.
    Delete {
        /// The zone's name or id (from `tern zone list`)
        zone: String,
        /// Organisation slug, when ZONE is a name
        #[arg(long, default_value = "default")]
        org: String,
        /// Remove the zone, its records and its history for good (also a
        /// zone already soft-deleted)
        #[arg(long)]
        hard: bool,
    },
}

/// The `tern.toml` keys.
#[derive(Deserialize, Debug, Default)]
#[serde(deny_unknown_fields)]
pub struct FileConfig {
    pub data_dir: Option<PathBuf>,
    pub database: Option<String>,
    pub api_listen: Option<SocketAddr>,
    pub dns_listen: Option<Vec<SocketAddr>>,
    pub nameservers: Option<Vec<String>>,
    pub hostmaster: Option<String>,
    pub chaos: Option<bool>,
    pub server_id: Option<String>,
    pub allow_transfer: Option<Vec<String>>,
    pub allow_transfer_key: Option<Vec<String>>,
    pub also_notify: Option<Vec<String>>,
    pub rate_limit: Option<Vec<String>>,
    pub zone_validation: Option<String>,
    pub validation_resolver: Option<String>,
    pub dnssec_parent_resolver: Option<String>,
    pub import_limit_mb: Option<usize>,
    pub allow_shared_zone_names: Option<bool>,
    pub edns_udp_size: Option<u16>,
    pub tcp_max_clients: Option<usize>,
    pub tcp_max_per_address: Option<usize>,
    pub tcp_idle_timeout: Option<u64>,
    pub tcp_io_timeout: Option<u64>,
    pub key_encryption_key_file: Option<PathBuf>,
}

impl FileConfig {
    pub fn load(path: &Path) -> Result<FileConfig> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("reading config file {}", path.display()))?;
        toml::from_str(&text).with_context(|| format!("config file {}", path.display()))
    }
}

#[derive(Debug, Clone)]
pub struct Settings {
    pub data_dir: PathBuf,
    pub database_url: String,
    pub api_listen: SocketAddr,
    pub dns_listen: Vec<SocketAddr>,
    pub nameservers: Vec<Name>,
    pub hostmaster: Option<Name>,
    /// The identity CHAOS queries get, when enabled.
    pub chaos_id: Option<String>,
    pub transfer: TransferSettings,
    pub edns_udp_size: u16,
    pub rate_limits: tern_api::limits::RateLimits,
    pub validation: tern_api::validation::ValidationConfig,
    pub import_limit: usize,
    pub allow_shared_zone_names: bool,
    /// `--zone-validation dns`: new zones wait for their owner's proof.
    pub zone_validation_required: bool,
    pub tcp: tern_dns::TcpLimits,
    /// Where the DNSSEC key-encryption key is kept (unless
    /// TERN_KEY_ENCRYPTION_KEY gives it).
    pub key_encryption_key_file: PathBuf,
    pub dnssec_parent_resolver: Option<SocketAddr>,
}

impl Settings {
    pub fn resolve(global: &GlobalArgs, serve: &ServeArgs) -> Result<Settings> {
        let file = match &global.config {
            Some(path) => FileConfig::load(path)?,
            None => FileConfig::default(),
        };
        let tcp = tcp_limits(serve, &file)?;
        let data_dir = global
            .data_dir
            .clone()
            .or(file.data_dir)
            .unwrap_or_else(|| PathBuf::from("./tern-data"));
        let key_encryption_key_file = global
            .key_encryption_key_file
            .clone()
            .or(file.key_encryption_key_file.clone())
            .unwrap_or_else(|| data_dir.join("dnssec.kek"));
        let database_url = match global.database.clone().or(file.database) {
            Some(url) => url,
            None => {
                std::fs::create_dir_all(&data_dir)
                    .with_context(|| format!("creating data directory {}", data_dir.display()))?;
                tern_store::sqlite_url_for_dir(&data_dir)
            }
        };
        let api_listen = serve
            .api_listen
            .or(file.api_listen)
            .unwrap_or_else(|| SocketAddr::from(([127, 0, 0, 1], 8053)));
        let dns_listen = if !serve.dns_listen.is_empty() {
            serve.dns_listen.clone()
        } else {
            file.dns_listen
                .unwrap_or_else(|| vec![SocketAddr::from(([127, 0, 0, 1], 5300))])
        };
        let ns_texts = if !serve.nameservers.is_empty() {
            serve.nameservers.clone()
        } else {
            file.nameservers.unwrap_or_default()
        };
        let mut nameservers = Vec::new();
        for text in ns_texts.iter().filter(|t| !t.trim().is_empty()) {
            nameservers
                .push(Name::parse_absolute(text).with_context(|| format!("nameserver '{text}'"))?);
        }
        let hostmaster = match serve.hostmaster.clone().or(file.hostmaster) {
            Some(text) => {
                // Accept the mailbox form people type (hostmaster@example.net).
                let dotted = text.replacen('@', ".", 1);
                Some(
                    Name::parse_absolute(&dotted)
                        .with_context(|| format!("hostmaster '{text}'"))?,
                )
            }
            None => None,
        };
        let chaos_id = if serve.chaos || file.chaos.unwrap_or(false) {
            Some(
                serve
                    .server_id
                    .clone()
                    .or(file.server_id)
                    .unwrap_or_else(|| {
                        std::fs::read_to_string("/etc/hostname")
                            .map(|h| h.trim().to_string())
                            .ok()
                            .filter(|h| !h.is_empty())
                            .unwrap_or_else(|| "tern".to_string())
                    }),
            )
        } else {
            None
        };
        let pick = |cli: &Vec<String>, file: Option<Vec<String>>| {
            if cli.is_empty() {
                file.unwrap_or_default()
            } else {
                cli.clone()
            }
        };
        let transfer = TransferSettings::from_settings(&serde_json::json!({
            "transfer_allow": pick(&serve.allow_transfer, file.allow_transfer),
            "transfer_keys": pick(&serve.allow_transfer_key, file.allow_transfer_key),
            "also_notify": pick(&serve.also_notify, file.also_notify),
        }))
        .map_err(|(field, reason)| {
            anyhow::anyhow!(
                "{}: {reason}",
                field
                    .replace("settings.transfer_allow", "--allow-transfer")
                    .replace("settings.transfer_keys", "--allow-transfer-key")
                    .replace("settings.also_notify", "--also-notify")
            )
        })?;
        let edns_udp_size = serve.edns_udp_size.or(file.edns_udp_size).unwrap_or(1232);
        if !(512..=4096).contains(&edns_udp_size) {
            bail!("--edns-udp-size {edns_udp_size}: must be between 512 and 4096");
        }
        if dns_listen.is_empty() {
            bail!("at least one --dns-listen address is needed");
        }
        let mut rate_limits = tern_api::limits::RateLimits::default();
        for spec in pick(&serve.rate_limit, file.rate_limit) {
            rate_limits
                .set(&spec)
                .map_err(|e| anyhow::anyhow!("--rate-limit: {e}"))?;
        }
        let validation_required = match serve
            .zone_validation
            .clone()
            .or(file.zone_validation)
            .as_deref()
        {
            None | Some("none") => false,
            Some("dns") => true,
            Some(other) => bail!("--zone-validation {other}: must be none or dns"),
        };
        let resolver = serve
            .validation_resolver
            .clone()
            .or(file.validation_resolver)
            .map(|r| resolver_address("validation-resolver", &r))
            .transpose()?;
        let dnssec_parent_resolver = serve
            .dnssec_parent_resolver
            .clone()
            .or(file.dnssec_parent_resolver)
            .map(|r| resolver_address("dnssec-parent-resolver", &r))
            .transpose()?;
        let validation = tern_api::validation::ValidationConfig {
            resolver,
            nameservers: nameservers.clone(),
        };
        let import_limit_mb = serve.import_limit_mb.or(file.import_limit_mb).unwrap_or(64);
        if import_limit_mb == 0 {
            bail!("--import-limit-mb: must be at least 1");
        }
        Ok(Settings {
            import_limit: import_limit_mb.saturating_mul(1024 * 1024),
            allow_shared_zone_names: serve.allow_shared_zone_names
                || file.allow_shared_zone_names.unwrap_or(false),
            zone_validation_required: validation_required,
            validation,
            rate_limits,
            data_dir,
            database_url,
            api_listen,
            dns_listen,
            nameservers,
            hostmaster,
            chaos_id,
            transfer,
            edns_udp_size,
            tcp,
            key_encryption_key_file,
            dnssec_parent_resolver,
        })
    }
}

/// `address[:port]`, port 53 when left out.
fn resolver_address(flag: &str, text: &str) -> Result<SocketAddr> {
    text.parse::<SocketAddr>()
        .or_else(|_| {
            text.parse::<std::net::IpAddr>()
                .map(|ip| SocketAddr::new(ip, 53))
        })
        .map_err(|_| anyhow::anyhow!("--{flag} {text}: not an address[:port]"))
}

/// The TCP policy from flags and file, checked as a whole (the per-address
/// cap must leave other clients a reserve).
fn tcp_limits(serve: &ServeArgs, file: &FileConfig) -> Result<tern_dns::TcpLimits> {
    let defaults = tern_dns::TcpLimits::default();
    let limits = tern_dns::TcpLimits {
        max_clients: serve
            .tcp_max_clients
            .or(file.tcp_max_clients)
            .unwrap_or(defaults.max_clients),
        max_per_address: serve
            .tcp_max_per_address
            .or(file.tcp_max_per_address)
            .unwrap_or(defaults.max_per_address),
        idle_timeout: serve
            .tcp_idle_timeout
            .or(file.tcp_idle_timeout)
            .map_or(defaults.idle_timeout, std::time::Duration::from_secs),
        io_timeout: serve
            .tcp_io_timeout
            .or(file.tcp_io_timeout)
            .map_or(defaults.io_timeout, std::time::Duration::from_millis),
    };
    limits
        .validate()
        .map_err(|(flag, reason)| anyhow::anyhow!("--{flag}: {reason}"))?;
    Ok(limits)
}
