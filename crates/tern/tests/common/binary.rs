//! Driving the real `tern` binary: one-shot commands on a temp data dir,
//! `tern serve` on free ports, and minimal HTTP and DNS clients for it.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

pub fn tern(data_dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_tern"))
        .args(args)
        .env("TERN_DATA_DIR", data_dir)
        .env_remove("TERN_DATABASE_URL")
        .env_remove("TERN_CONFIG")
        .env("RUST_LOG", "warn")
        .output()
        .expect("run tern")
}

pub fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../tern-core/tests/fixtures/zones")
        .join(name)
}

pub fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

pub fn free_port() -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    listener.local_addr().expect("addr")
}

pub fn http_get(addr: SocketAddr, path: &str) -> Option<String> {
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

/// A child process killed when dropped.
pub struct Server(pub Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// One HTTP/1.1 request with a bearer token and a JSON body; returns the
/// status code and the body.
pub fn http(addr: SocketAddr, method: &str, path: &str, token: &str, body: &str) -> (u16, String) {
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
pub fn serve(dir: &Path, env: &[(&str, &str)]) -> (Server, SocketAddr, SocketAddr) {
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

/// (RCODE, ANCOUNT) of an A query over UDP, or `None` without an answer.
pub fn dns_answer_count(server: SocketAddr, name: &str) -> Option<(u8, u16)> {
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
