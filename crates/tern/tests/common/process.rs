//! The `tern` binary as a process: one-shot commands, and `tern serve` on
//! free loopback ports with a known admin token, spoken to over real HTTP
//! and DNS sockets; plus the external tools (dig, kdig, nsd-checkconf, …)
//! that are required in CI and a visible SKIP elsewhere.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

pub const TOKEN: &str = "tern_test-bootstrap-token-0123456789";

/// Runs `tern ARGS` against the data directory `dir`.
pub fn tern(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_tern"))
        .args(args)
        .env("TERN_DATA_DIR", dir)
        .env_remove("TERN_DATABASE_URL")
        .env_remove("TERN_CONFIG")
        .env("RUST_LOG", "warn")
        .output()
        .expect("run tern")
}

pub fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Whether `tool` runs; in CI (`CI=true`) its absence fails the test,
/// elsewhere it prints a SKIP line.
pub fn tool_available(tool: &str, probe: &str, test: &str) -> bool {
    if Command::new(tool).arg(probe).output().is_ok() {
        return true;
    }
    assert!(
        std::env::var("CI").as_deref() != Ok("true"),
        "{tool} is required in CI"
    );
    eprintln!("SKIP: {tool} not installed; {test} skipped");
    false
}

fn free_port() -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    listener.local_addr().expect("addr")
}

/// A running `tern serve`, killed on drop; its stderr is `log`.
pub struct Serve {
    child: Child,
    pub api: SocketAddr,
    pub dns: SocketAddr,
    pub log: PathBuf,
}

impl Drop for Serve {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Serve {
    /// Starts `tern serve EXTRA…` on `dir` and waits for `/healthz`.
    pub fn start(dir: &Path, extra: &[&str]) -> Serve {
        let api = free_port();
        let dns = free_port();
        let log = dir.join("serve.log");
        let child = Command::new(env!("CARGO_BIN_EXE_tern"))
            .args(["serve", "--api-listen", &api.to_string()])
            .args(["--dns-listen", &dns.to_string()])
            .args(extra)
            .env("TERN_DATA_DIR", dir)
            .env("TERN_BOOTSTRAP_TOKEN", TOKEN)
            .env("RUST_LOG", "info")
            .env_remove("TERN_DATABASE_URL")
            .env_remove("TERN_CONFIG")
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log).expect("log"))
            .spawn()
            .expect("start tern serve");
        let serve = Serve {
            child,
            api,
            dns,
            log,
        };
        let deadline = Instant::now() + Duration::from_secs(60);
        while serve.request("GET", "/healthz", "").0 != 200 {
            assert!(
                Instant::now() < deadline,
                "tern serve did not come up: {}",
                serve.log_text()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        serve
    }

    pub fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// One HTTP/1.1 request with the admin token; (status, body), status 0
    /// when the server cannot be reached.
    pub fn request(&self, method: &str, path: &str, body: &str) -> (u16, String) {
        let Ok(mut stream) = TcpStream::connect_timeout(&self.api, Duration::from_millis(500))
        else {
            return (0, String::new());
        };
        let _ = stream.set_read_timeout(Some(Duration::from_secs(30)));
        let sent = write!(
            stream,
            "{method} {path} HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer {TOKEN}\r\n\
             Content-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        );
        let mut response = String::new();
        if sent.is_err() || stream.read_to_string(&mut response).is_err() {
            return (0, String::new());
        }
        let status = response
            .get(9..12)
            .and_then(|s| s.parse().ok())
            .unwrap_or(0);
        let body = response
            .split_once("\r\n\r\n")
            .map(|(_, b)| b.to_string())
            .unwrap_or_default();
        (status, body)
    }

    /// Runs `tool @server -p port ARGS` (dig or kdig) and returns its output.
    pub fn dig(&self, tool: &str, args: &[&str]) -> String {
        let once = if tool == "kdig" {
            "+retry=0"
        } else {
            "+tries=1"
        };
        let output = Command::new(tool)
            .arg(format!("@{}", self.dns.ip()))
            .args(["-p", &self.dns.port().to_string(), "+time=5", once])
            .args(args)
            .output()
            .expect("run dig");
        format!("{}{}", text(&output.stdout), text(&output.stderr))
    }
}
