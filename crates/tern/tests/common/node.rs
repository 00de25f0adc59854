//! Real `tern serve` processes for the tests that drive the binary: the
//! database they share (a SQLite file in a temp dir, or a fresh PostgreSQL
//! database dropped afterwards), nodes started on free ports, the native
//! API as a client sees it, and `tern zone import` run beside them.

use std::net::{SocketAddr, TcpListener};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use serde_json::Value;
use tern_store::testing::FreshPostgres;

/// Nameservers every node and the CLI give new zones (quiets the warning
/// about the `ns1.<zone>` default).
const NAMESERVERS: &str = "ns1.tern.test,ns2.tern.test";
/// A node that has not bound its API after this long is reported as stuck.
const START_TIMEOUT: Duration = Duration::from_secs(60);
/// How often a start is retried when the free API port was taken meanwhile.
const START_ATTEMPTS: usize = 5;

/// The database the nodes and the CLI share.
pub struct Backend {
    pub label: &'static str,
    pub dir: tempfile::TempDir,
    /// `None`: SQLite in `dir` (TERN_DATA_DIR).
    pub postgres: Option<FreshPostgres>,
    /// The bootstrap admin token of the first node, unique per backend so a
    /// node never mistakes another test's server for its own.
    pub token: String,
}

impl Backend {
    pub fn sqlite() -> Backend {
        Backend {
            label: "sqlite",
            dir: tempfile::tempdir().expect("tempdir"),
            postgres: None,
            token: format!("tern_conc_{}", uuid::Uuid::now_v7().simple()),
        }
    }

    /// A fresh PostgreSQL database; `None` after a visible SKIP outside CI
    /// (in CI, `CI=true`, an unreachable server panics).
    pub async fn postgres() -> Option<Backend> {
        let fresh = FreshPostgres::create(&format!("tern_conc_{}", std::process::id())).await?;
        Some(Backend {
            label: "postgres",
            dir: tempfile::tempdir().expect("tempdir"),
            postgres: Some(fresh),
            token: format!("tern_conc_{}", uuid::Uuid::now_v7().simple()),
        })
    }

    /// What a `tern` process needs to open this database. Each node gets its
    /// own data dir on PostgreSQL (nothing is shared but the database).
    fn env(&self, data_dir: &Path) -> Vec<(&'static str, String)> {
        let mut env = vec![
            ("TERN_DATA_DIR", data_dir.display().to_string()),
            ("TERN_NAMESERVERS", NAMESERVERS.to_string()),
            ("RUST_LOG", "info".to_string()),
            ("NO_COLOR", "1".to_string()),
        ];
        if let Some(pg) = &self.postgres {
            env.push(("TERN_DATABASE_URL", pg.url.clone()));
        }
        env
    }

    fn data_dir(&self, node: usize) -> PathBuf {
        match self.postgres {
            None => self.dir.path().to_path_buf(),
            Some(_) => self.dir.path().join(format!("node{node}")),
        }
    }

    /// Starts node number `n` (0 first: it bootstraps the admin token).
    pub async fn start_node(&self, n: usize) -> Result<Node, String> {
        let data_dir = self.data_dir(n);
        std::fs::create_dir_all(&data_dir).map_err(|e| format!("{}: {e}", data_dir.display()))?;
        let mut last = String::new();
        for attempt in 0..START_ATTEMPTS {
            let log = self.dir.path().join(format!("node{n}-{attempt}.log"));
            match Node::start(n, &self.env(&data_dir), &log, &self.token).await {
                Ok(node) => return Ok(node),
                Err(Start::PortTaken(why)) => last = why,
                Err(Start::Failed(why)) => return Err(why),
            }
        }
        Err(format!(
            "{}: node {n} found no free API port in {START_ATTEMPTS} attempts: {last}",
            self.label
        ))
    }

    /// `tern zone import <zone> <file>` (merge) against this database, as an
    /// operator runs it beside the server. `Err` carries its stderr.
    pub async fn import(&self, zone: &str, file: &Path) -> Result<(), String> {
        let out = tokio::process::Command::new(env!("CARGO_BIN_EXE_tern"))
            .args(["zone", "import", zone])
            .arg(file)
            .envs(self.env(&self.data_dir(0)))
            .env("RUST_LOG", "warn")
            .env_remove("TERN_CONFIG")
            .env_remove("RUST_BACKTRACE")
            .kill_on_drop(true)
            .output()
            .await
            .map_err(|e| format!("running tern zone import: {e}"))?;
        if out.status.success() {
            Ok(())
        } else {
            Err(format!(
                "{}: {}",
                out.status,
                String::from_utf8_lossy(&out.stderr).trim()
            ))
        }
    }

    /// Drops the PostgreSQL database (after the nodes are gone).
    pub async fn finish(self) {
        if let Some(pg) = self.postgres {
            pg.drop_database().await;
        }
    }
}

enum Start {
    /// The API port picked as free was bound by someone else first: retry.
    PortTaken(String),
    Failed(String),
}

/// One running `tern serve`; killed when dropped.
pub struct Node {
    pub n: usize,
    pub api: Api,
    pub dns: SocketAddr,
    pub log: PathBuf,
    child: Child,
}

impl Drop for Node {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Node {
    /// `tern serve` with the DNS listener on port 0 (it logs the port it
    /// got) and the API on a port that was free a moment ago (serve logs the
    /// address it was given, not the one it got, so port 0 cannot be learnt
    /// for the API). The node is up when its own log says both listeners are
    /// bound and the API accepts this backend's token.
    async fn start(
        n: usize,
        env: &[(&'static str, String)],
        log: &Path,
        token: &str,
    ) -> Result<Node, Start> {
        let api_addr = free_port();
        let log_file = std::fs::File::create(log).map_err(|e| Start::Failed(e.to_string()))?;
        let child = Command::new(env!("CARGO_BIN_EXE_tern"))
            .args([
                "serve",
                "--api-listen",
                &api_addr.to_string(),
                "--dns-listen",
                "127.0.0.1:0",
                // The writers are many; the test is about ordering, not limits.
                "--rate-limit",
                "read=0,create=0,update=0,delete=0,bulk=0",
            ])
            .envs(env.iter().map(|(k, v)| (k, v)))
            .env("TERN_BOOTSTRAP_TOKEN", token)
            .env_remove("TERN_CONFIG")
            .stdout(Stdio::null())
            .stderr(log_file)
            .spawn()
            .map_err(|e| Start::Failed(format!("starting tern serve: {e}")))?;
        let mut node = Node {
            n,
            api: Api::new(api_addr, token),
            dns: SocketAddr::from(([127, 0, 0, 1], 0)),
            log: log.to_path_buf(),
            child,
        };
        let deadline = tokio::time::Instant::now() + START_TIMEOUT;
        loop {
            let text = node.log_text();
            if let Ok(Some(status)) = node.child.try_wait() {
                let why = format!("node {n} exited ({status}):\n{text}");
                return Err(if text.contains("binding the API listener") {
                    Start::PortTaken(why)
                } else {
                    Start::Failed(why)
                });
            }
            if let Some(dns) = dns_address(&text)
                && text.contains("API listening")
            {
                node.dns = dns;
                let (status, body) = node.api.get("/api/v1/me").await;
                if status == 200 {
                    return Ok(node);
                }
                if status != 0 {
                    return Err(Start::Failed(format!(
                        "node {n}: GET /api/v1/me answered {status}: {body}"
                    )));
                }
            }
            if tokio::time::Instant::now() > deadline {
                return Err(Start::Failed(format!(
                    "node {n} did not come up in {START_TIMEOUT:?}:\n{text}"
                )));
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    pub fn log_text(&self) -> String {
        strip_ansi(&std::fs::read_to_string(&self.log).unwrap_or_default())
    }
}

fn free_port() -> SocketAddr {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free loopback port")
}

/// The address in serve's `DNS listening … addresses=[127.0.0.1:N]` line.
fn dns_address(log: &str) -> Option<SocketAddr> {
    let line = log.lines().find(|l| l.contains("DNS listening"))?;
    let list = line.split("addresses=[").nth(1)?.split(']').next()?;
    list.split(',').next()?.trim().parse().ok()
}

/// Colour codes, should a log carry them despite NO_COLOR (issue 9 saw
/// them on a non-terminal stderr).
fn strip_ansi(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' {
            for c in chars.by_ref() {
                if c.is_ascii_alphabetic() {
                    break;
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// The native API of one node, as a client without preconditions sees it.
#[derive(Clone)]
pub struct Api {
    pub addr: SocketAddr,
    client: reqwest::Client,
    token: String,
}

impl Api {
    fn new(addr: SocketAddr, token: &str) -> Api {
        Api {
            addr,
            client: reqwest::Client::builder()
                .timeout(Duration::from_secs(60))
                .build()
                .expect("HTTP client"),
            token: token.to_string(),
        }
    }

    /// A client of its own (its own connections), for one writer.
    pub fn fresh(&self) -> Api {
        Api::new(self.addr, &self.token)
    }

    /// Status and JSON body; status 0 when the request got no response
    /// (the body then says why).
    pub async fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
    ) -> (u16, Value) {
        let mut request = self
            .client
            .request(method, format!("http://{}{path}", self.addr))
            .bearer_auth(&self.token);
        if let Some(body) = body {
            request = request.json(&body);
        }
        match request.send().await {
            Ok(response) => {
                let status = response.status().as_u16();
                let text = response.text().await.unwrap_or_default();
                let value = serde_json::from_str(&text).unwrap_or(Value::String(text));
                (status, value)
            }
            Err(e) => (0, Value::String(format!("no response: {e}"))),
        }
    }

    pub async fn get(&self, path: &str) -> (u16, Value) {
        self.call(reqwest::Method::GET, path, None).await
    }

    pub async fn post(&self, path: &str, body: Value) -> (u16, Value) {
        self.call(reqwest::Method::POST, path, Some(body)).await
    }

    /// Creates a primary zone; its id.
    pub async fn create_zone(&self, name: &str) -> Result<String, String> {
        let (status, body) = self
            .post(
                "/api/v1/domains",
                serde_json::json!({"name": name, "domain_type": "primary"}),
            )
            .await;
        match body["id"].as_str() {
            Some(id) if status == 201 => Ok(id.to_string()),
            _ => Err(format!("creating zone {name}: {status} {body}")),
        }
    }

    /// The zone's serial as the API (the database) has it.
    pub async fn zone_serial(&self, id: &str) -> Result<u32, String> {
        let (status, body) = self.get(&format!("/api/v1/domains/{id}")).await;
        body["serial"]
            .as_u64()
            .and_then(|s| u32::try_from(s).ok())
            .filter(|_| status == 200)
            .ok_or_else(|| format!("GET zone {id}: {status} {body}"))
    }

    /// Adds one A record without `If-Match`: status and body.
    pub async fn add_a(&self, zone_id: &str, name: &str, address: &str) -> (u16, Value) {
        self.post(
            &format!("/api/v1/domains/{zone_id}/records"),
            serde_json::json!({"name": name, "type": "A", "content": address}),
        )
        .await
    }

    /// Whether the database holds an A record of that relative name (for a
    /// diagnosis: lost by the nameserver, or never stored).
    pub async fn has_record(&self, zone_id: &str, name: &str) -> Option<bool> {
        let (status, body) = self
            .get(&format!(
                "/api/v1/domains/{zone_id}/records?name={name}&type=A"
            ))
            .await;
        let total = body["total"].as_u64().filter(|_| status == 200)?;
        Some(total > 0)
    }
}
