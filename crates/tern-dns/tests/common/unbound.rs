//! Unbound as a validating resolver in front of a Tern server: one trust
//! anchor, every zone (the root included) stubbed to Tern's loopback port,
//! so it never sends a query anywhere else (and `test.`, which unbound
//! answers itself by default, RFC 6761, left to them), and questions asked
//! with RD and DO whose answers carry AD when the chain validated.

use std::net::SocketAddr;
use std::time::Duration;

use super::signed::with_do;
use super::{PeerServer, Reply, free_port, parse, query, udp};

/// Starts unbound on a free loopback port, validating with `anchor` (a DS
/// or DNSKEY in presentation) and resolving `zones` at `tern`. A port
/// taken between choosing and binding it (tests run in parallel) makes
/// unbound exit; it is started again on another.
pub async fn start_unbound(
    dir: &std::path::Path,
    tern: SocketAddr,
    anchor: &str,
    zones: &[&str],
) -> PeerServer {
    let stubs: Vec<(&str, SocketAddr)> = zones.iter().map(|z| (*z, tern)).collect();
    start_unbound_with(dir, anchor, &stubs, tern).await
}

/// `start_unbound` with each zone stubbed to its own server (a parent and
/// a child on two Terns), the root to `root`.
pub async fn start_unbound_with(
    dir: &std::path::Path,
    anchor: &str,
    stubs: &[(&str, SocketAddr)],
    root: SocketAddr,
) -> PeerServer {
    for _ in 0..5 {
        if let Some(unbound) = try_start(dir, anchor, stubs, root).await {
            return unbound;
        }
    }
    panic!(
        "unbound did not start: {}",
        std::fs::read_to_string(dir.join("unbound.stderr")).unwrap_or_default()
    );
}

async fn try_start(
    dir: &std::path::Path,
    anchor: &str,
    stubs: &[(&str, SocketAddr)],
    root: SocketAddr,
) -> Option<PeerServer> {
    let port = free_port();
    let d = dir.display();
    let mut conf = format!(
        "server:\n  interface: 127.0.0.1\n  port: {port}\n  do-daemonize: no\n  username: \"\"\n  \
         chroot: \"\"\n  directory: \"{d}\"\n  pidfile: \"{d}/unbound.pid\"\n  \
         logfile: \"{d}/unbound.log\"\n  use-syslog: no\n  verbosity: 1\n  val-log-level: 2\n  \
         do-ip6: no\n  do-not-query-localhost: no\n  do-not-query-address: 192.0.2.0/24\n  \
         module-config: \"validator iterator\"\n  trust-anchor: \"{anchor}\"\n  \
         trust-anchor-signaling: no\n  root-key-sentinel: no\n  aggressive-nsec: no\n  \
         qname-minimisation: no\n  prefetch: no\n  target-fetch-policy: \"0 0 0 0 0\"\n  \
         local-zone: \"test.\" nodefault\n\
         remote-control:\n  control-enable: no\n"
    );
    // The root too: nothing may leave the loopback (Tern refuses it).
    for (zone, server) in stubs.iter().copied().chain([(".", root)]) {
        conf.push_str(&format!(
            "stub-zone:\n  name: \"{zone}\"\n  stub-addr: 127.0.0.1@{}\n",
            server.port()
        ));
    }
    let path = dir.join("unbound.conf");
    std::fs::write(&path, conf).expect("unbound.conf");
    let stderr = std::fs::File::create(dir.join("unbound.stderr")).expect("stderr file");
    let child = std::process::Command::new("unbound")
        .arg("-d")
        .arg("-c")
        .arg(&path)
        .stdout(std::process::Stdio::null())
        .stderr(stderr)
        .spawn()
        .expect("start unbound");
    let addr: SocketAddr = format!("127.0.0.1:{port}").parse().expect("addr");
    let mut unbound = PeerServer { child, addr };
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    while udp(addr, &query(".", 6, None)).await.is_none() {
        if unbound.child.try_wait().ok().flatten().is_some() {
            return None;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "unbound did not answer: {}",
            std::fs::read_to_string(dir.join("unbound.log")).unwrap_or_default()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    Some(unbound)
}

/// Asks a resolver for `name`/`qtype` with RD and DO.
pub async fn resolve(resolver: SocketAddr, name: &str, qtype: u16) -> Reply {
    let mut message = with_do(query(name, qtype, Some((4096, 0))));
    message[2] |= 0x01; // RD
    for _ in 0..3 {
        if let Some(reply) = udp(resolver, &message).await {
            return parse(&reply);
        }
    }
    panic!("the resolver did not answer {name} {qtype}");
}
