//! The `tern` binary as a user runs it: zone import/export/list against the
//! embedded database in a temp data dir, and `tern serve` answering its
//! health endpoints over a real socket.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

fn tern(data_dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_tern"))
        .args(args)
        .env("TERN_DATA_DIR", data_dir)
        .env_remove("TERN_DATABASE_URL")
        .env_remove("TERN_CONFIG")
        .env("RUST_LOG", "warn")
        .output()
        .expect("run tern")
}

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../tern-core/tests/fixtures/zones")
        .join(name)
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn import_change_export_list() {
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path();
    let out = tern(
        data,
        &[
            "zone",
            "import",
            "minimal.com",
            fixture("minimal.com").to_str().expect("path"),
        ],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout).contains("imported minimal.com."),
        "{}",
        text(&out.stdout)
    );

    // The same file again: nothing to change.
    let out = tern(
        data,
        &[
            "zone",
            "import",
            "minimal.com",
            fixture("minimal.com").to_str().expect("path"),
        ],
    );
    assert!(out.status.success());
    assert!(
        text(&out.stdout).contains("nothing to change"),
        "{}",
        text(&out.stdout)
    );

    let first = text(&tern(data, &["zone", "export", "minimal.com"]).stdout);
    assert!(first.contains("$ORIGIN minimal.com."), "{first}");
    let serial_of = |zone: &str| -> u64 {
        let soa = zone
            .lines()
            .find(|l| l.contains("\tSOA\t"))
            .expect("SOA line");
        soa.split_whitespace()
            .nth(6)
            .and_then(|s| s.parse().ok())
            .expect("serial")
    };

    // A change: merge a file with one more record; the serial moves by one.
    let extra = data.join("extra.zone");
    std::fs::write(&extra, "$ORIGIN minimal.com.\nextra 300 IN A 192.0.2.77\n").expect("write");
    let out = tern(
        data,
        &[
            "--data-dir",
            data.to_str().expect("path"),
            "zone",
            "import",
            "minimal.com",
            extra.to_str().expect("path"),
        ],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let second = text(&tern(data, &["zone", "export", "minimal.com"]).stdout);
    assert!(second.contains("extra\t300\tIN\tA\t192.0.2.77"), "{second}");
    assert_eq!(serial_of(&second), serial_of(&first) + 1);

    let list = text(&tern(data, &["zone", "list"]).stdout);
    assert!(
        list.contains("minimal.com.") && list.contains("active"),
        "{list}"
    );
}

#[test]
fn strict_import_fails_with_lines_and_skip_invalid_reports() {
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path();
    let path = fixture("nztest.com");
    let out = tern(
        data,
        &["zone", "import", "nztest.com", path.to_str().expect("path")],
    );
    assert!(!out.status.success());
    let err = text(&out.stderr);
    assert!(
        err.contains("line 15") && err.contains("line 16") && err.contains("outside the zone"),
        "{err}"
    );
    let list = text(&tern(data, &["zone", "list"]).stdout);
    assert!(!list.contains("nztest.com."), "nothing imported: {list}");

    let out = tern(
        data,
        &[
            "zone",
            "import",
            "nztest.com",
            path.to_str().expect("path"),
            "--skip-invalid",
        ],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains("skipped: line 15"),
        "{}",
        text(&out.stderr)
    );
    assert!(
        text(&out.stdout).contains("2 skipped"),
        "{}",
        text(&out.stdout)
    );
}

#[test]
fn tsig_keys_are_created_listed_and_deleted() {
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path();
    let out = tern(
        data,
        &[
            "tsig",
            "create",
            "xfr.example.net",
            "--algorithm",
            "hmac-sha512",
        ],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let clause = text(&out.stdout);
    assert!(
        clause.contains("key \"xfr.example.net\"") && clause.contains("algorithm hmac-sha512;"),
        "{clause}"
    );
    // A generated secret is as long as the hash: 64 octets, 88 base64 chars.
    let secret = clause
        .split("secret \"")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .unwrap_or_default();
    assert_eq!(secret.len(), 88, "{clause}");

    let out = tern(data, &["tsig", "create", "xfr.example.net"]);
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("already exists"),
        "{}",
        text(&out.stderr)
    );
    let out = tern(data, &["tsig", "create", "k2", "--algorithm", "hmac-md5"]);
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("unsupported TSIG algorithm 'hmac-md5'"),
        "{}",
        text(&out.stderr)
    );
    let out = tern(data, &["tsig", "create", "k2", "--secret", "c2hvcnQ="]);
    assert!(
        text(&out.stderr).contains("secret: 5 octets is too short"),
        "{}",
        text(&out.stderr)
    );

    let list = text(&tern(data, &["tsig", "list"]).stdout);
    assert_eq!(list.trim(), "xfr.example.net.\thmac-sha512", "{list}");
    let list = text(&tern(data, &["tsig", "list", "--show-secrets"]).stdout);
    assert!(list.contains(secret), "{list}");

    let out = tern(data, &["tsig", "delete", "XFR.example.net."]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        text(&tern(data, &["tsig", "list"]).stdout)
            .trim()
            .is_empty()
    );
    let out = tern(data, &["tsig", "delete", "xfr.example.net"]);
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("no TSIG key named"),
        "{}",
        text(&out.stderr)
    );
}

fn free_port() -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    listener.local_addr().expect("addr")
}

fn http_get(addr: SocketAddr, path: &str) -> Option<String> {
    let mut stream = TcpStream::connect_timeout(&addr, Duration::from_millis(200)).ok()?;
    stream.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"
    )
    .ok()?;
    let mut body = String::new();
    stream.read_to_string(&mut body).ok()?;
    Some(body)
}

struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn serve_answers_health_checks() {
    let dir = tempfile::tempdir().expect("tempdir");
    let api = free_port();
    let dns = free_port();
    let server = Server(
        Command::new(env!("CARGO_BIN_EXE_tern"))
            .args([
                "serve",
                "--api-listen",
                &api.to_string(),
                "--dns-listen",
                &dns.to_string(),
            ])
            .env("TERN_DATA_DIR", dir.path())
            .env_remove("TERN_DATABASE_URL")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start tern serve"),
    );
    let deadline = Instant::now() + Duration::from_secs(30);
    let health = loop {
        if let Some(body) = http_get(api, "/healthz") {
            break body;
        }
        assert!(Instant::now() < deadline, "tern serve did not come up");
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(health.starts_with("HTTP/1.1 200"), "{health}");
    let ready = http_get(api, "/readyz").expect("readyz");
    assert!(
        ready.starts_with("HTTP/1.1 200") && ready.contains("ready"),
        "{ready}"
    );
    assert!(
        dir.path().join("tern.db").exists(),
        "SQLite database in the data dir"
    );

    // Another process (the CLI) imports a zone; the running server learns of
    // it through the journal and answers for it.
    assert_eq!(
        dns_answer_count(dns, "www.plain.test"),
        Some((5, 0)),
        "not served yet: REFUSED"
    );
    let file = dir.path().join("plain.zone");
    std::fs::write(&file, "$ORIGIN plain.test.\nwww 300 IN A 192.0.2.1\n").expect("write zone");
    let out = tern(
        dir.path(),
        &["zone", "import", "plain.test", file.to_str().expect("path")],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let imported = Instant::now();
    let deadline = imported + Duration::from_secs(5);
    loop {
        if dns_answer_count(dns, "www.plain.test") == Some((0, 1)) {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the server never answered for the imported zone"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
    eprintln!(
        "imported zone answered {} ms after the CLI returned",
        imported.elapsed().as_millis()
    );

    // The nameserver's counters on the API listener, in Prometheus text.
    let metrics = http_get(api, "/metrics").expect("metrics");
    assert!(metrics.starts_with("HTTP/1.1 200"), "{metrics}");
    assert!(
        metrics.contains("tern_dns_queries_total{protocol=\"udp\",qtype=\"A\",rcode=\"REFUSED\"} "),
        "{metrics}"
    );
    assert!(
        metrics.contains("tern_dns_queries_total{protocol=\"udp\",qtype=\"A\",rcode=\"NOERROR\"}"),
        "{metrics}"
    );
    assert!(metrics.contains("tern_dns_zones 1"), "{metrics}");
    drop(server);
}

/// (RCODE, ANCOUNT) of an A query over UDP, or `None` without an answer.
/// One HTTP/1.1 request with a bearer token and a JSON body; returns the
/// status code and the body.
fn http(addr: SocketAddr, method: &str, path: &str, token: &str, body: &str) -> (u16, String) {
    let mut stream = TcpStream::connect(addr).expect("connect");
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .expect("timeout");
    write!(
        stream,
        "{method} {path} HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer {token}\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .expect("write");
    let mut response = String::new();
    stream.read_to_string(&mut response).expect("read");
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

/// `tern serve` on free ports with `env`; stderr goes to `<dir>/serve.log`.
fn serve(dir: &Path, env: &[(&str, &str)]) -> (Server, SocketAddr, SocketAddr) {
    let api = free_port();
    let dns = free_port();
    let log = std::fs::File::create(dir.join("serve.log")).expect("log");
    let mut command = Command::new(env!("CARGO_BIN_EXE_tern"));
    command
        .args([
            "serve",
            "--api-listen",
            &api.to_string(),
            "--dns-listen",
            &dns.to_string(),
        ])
        .env("TERN_DATA_DIR", dir)
        .env_remove("TERN_DATABASE_URL")
        .env_remove("TERN_BOOTSTRAP_TOKEN")
        .stdout(Stdio::null())
        .stderr(log);
    for (key, value) in env {
        command.env(key, value);
    }
    let server = Server(command.spawn().expect("start tern serve"));
    let deadline = Instant::now() + Duration::from_secs(30);
    while http_get(api, "/healthz").is_none() {
        assert!(Instant::now() < deadline, "tern serve did not come up");
        std::thread::sleep(Duration::from_millis(50));
    }
    (server, api, dns)
}

#[test]
fn first_start_creates_an_admin_token() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (server, api, _) = serve(dir.path(), &[]);
    let token_file = dir.path().join("admin-token");
    let token = std::fs::read_to_string(&token_file).expect("admin-token written");
    let token = token.trim();
    assert!(token.starts_with("tern_"), "{token}");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&token_file)
            .expect("meta")
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    let log = std::fs::read_to_string(dir.path().join("serve.log")).unwrap_or_default();
    assert!(log.contains(token), "printed once to stderr: {log}");
    let (status, me) = http(api, "GET", "/api/v1/me", token, "");
    assert_eq!(status, 200, "{me}");
    assert!(
        me.contains("\"admin\"") && me.contains("\"default\""),
        "{me}"
    );
    drop(server);

    // The second start does not make another.
    let (server, _, _) = serve(dir.path(), &[]);
    assert_eq!(
        std::fs::read_to_string(&token_file).expect("file").trim(),
        token
    );
    drop(server);

    // `tern token create` issues one from the command line.
    let out = tern(
        dir.path(),
        &[
            "token",
            "create",
            "--name",
            "ci",
            "--scopes",
            "dns:read,dns:list",
            "--expires-in",
            "30d",
        ],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stdout).trim().starts_with("tern_"));
    let out = tern(
        dir.path(),
        &["token", "create", "--name", "x", "--scopes", "dns:write"],
    );
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("unknown scope 'dns:write'"),
        "{}",
        text(&out.stderr)
    );
}

/// Read-your-writes through the whole binary: when the API answers a
/// write, the nameserver already serves it.
#[test]
fn api_changes_are_answered_by_the_nameserver() {
    let dir = tempfile::tempdir().expect("tempdir");
    let token = "tern_test-bootstrap-token-0123456789";
    let (server, api, dns) = serve(dir.path(), &[("TERN_BOOTSTRAP_TOKEN", token)]);
    let (status, zone) = http(
        api,
        "POST",
        "/api/v1/domains",
        token,
        r#"{"name": "live.test", "domain_type": "primary"}"#,
    );
    assert_eq!(status, 201, "{zone}");
    let id = zone
        .split("\"id\":\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .expect("zone id");
    let (status, record) = http(
        api,
        "POST",
        &format!("/api/v1/domains/{id}/records"),
        token,
        r#"{"name": "www", "type": "A", "content": "192.0.2.80"}"#,
    );
    assert_eq!(status, 201, "{record}");
    assert_eq!(
        dns_answer_count(dns, "www.live.test"),
        Some((0, 1)),
        "answered at once"
    );
    let (status, _) = http(api, "DELETE", &format!("/api/v1/domains/{id}"), token, "");
    assert_eq!(status, 204);
    assert_eq!(
        dns_answer_count(dns, "www.live.test"),
        Some((5, 0)),
        "a deleted zone is not served"
    );
    drop(server);
}

fn dns_answer_count(server: SocketAddr, name: &str) -> Option<(u8, u16)> {
    let socket = std::net::UdpSocket::bind("127.0.0.1:0").ok()?;
    socket
        .set_read_timeout(Some(Duration::from_millis(500)))
        .ok()?;
    let mut query = vec![0xab, 0xcd, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0];
    for label in name.split('.') {
        query.push(label.len() as u8);
        query.extend_from_slice(label.as_bytes());
    }
    query.extend_from_slice(&[0, 0, 1, 0, 1]);
    socket.send_to(&query, server).ok()?;
    let mut buf = [0u8; 1500];
    let n = socket.recv(&mut buf).ok()?;
    (n >= 12).then(|| (buf[3] & 0x0f, u16::from_be_bytes([buf[6], buf[7]])))
}

#[test]
fn config_file_and_global_options_after_the_subcommand() {
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().join("from-config");
    let config = dir.path().join("tern.toml");
    std::fs::write(
        &config,
        format!("data_dir = \"{}\"\nnameservers = [\"ns1.example.net.\", \"ns2.example.net.\"]\nhostmaster = \"hostmaster@example.net\"\n", data.display()),
    )
    .expect("write config");
    let file = dir.path().join("plain.zone");
    std::fs::write(&file, "$ORIGIN plain.test.\nwww 300 IN A 192.0.2.1\n").expect("write zone");
    let run = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_tern"))
            .args(args)
            .env_remove("TERN_DATA_DIR")
            .env_remove("TERN_DATABASE_URL")
            .env_remove("TERN_CONFIG")
            .output()
            .expect("run tern")
    };
    let cfg = config.to_str().expect("path");
    let out = run(&[
        "zone",
        "import",
        "plain.test",
        file.to_str().expect("path"),
        "--config",
        cfg,
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        data.join("tern.db").exists(),
        "data_dir from the config file is used"
    );
    let zone = text(&run(&["zone", "export", "plain.test", "--config", cfg]).stdout);
    // A file without NS gets the configured nameservers.
    assert!(zone.contains("@\t3600\tIN\tNS\tns1.example.net."), "{zone}");
    assert!(
        zone.contains("SOA\tns1.example.net. hostmaster.example.net. "),
        "{zone}"
    );
    let out = run(&["--config", cfg, "zone", "list"]);
    assert!(
        text(&out.stdout).contains("plain.test."),
        "{}",
        text(&out.stdout)
    );
    let bad = dir.path().join("bad.toml");
    std::fs::write(&bad, "data_dri = \"typo\"\n").expect("write");
    let out = run(&["zone", "list", "--config", bad.to_str().expect("path")]);
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("data_dri"),
        "unknown keys are named: {}",
        text(&out.stderr)
    );
}
