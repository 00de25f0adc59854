//! A small DNS client for the tests: builds queries, sends them over UDP and
//! decodes responses (with compression pointers) into comparable records.

#![allow(dead_code)]

pub mod changes;
pub mod differ;
pub mod logs;
pub mod signed;
pub mod unbound;
pub mod validate;
pub mod xfr;

use std::net::SocketAddr;
use std::time::Duration;

use tern_core::{Rdata, RecordType};
use tokio::net::UdpSocket;

pub fn query(name: &str, qtype: u16, edns: Option<(u16, u8)>) -> Vec<u8> {
    let mut q = vec![
        0x12,
        0x34,
        0x00,
        0x00,
        0,
        1,
        0,
        0,
        0,
        0,
        0,
        u8::from(edns.is_some()),
    ];
    for label in name.trim_end_matches('.').split('.') {
        q.push(label.len() as u8);
        q.extend_from_slice(label.as_bytes());
    }
    q.push(0);
    q.extend_from_slice(&qtype.to_be_bytes());
    q.extend_from_slice(&1u16.to_be_bytes());
    if let Some((size, version)) = edns {
        q.push(0);
        q.extend_from_slice(&41u16.to_be_bytes());
        q.extend_from_slice(&size.to_be_bytes());
        q.extend_from_slice(&[0, version, 0, 0, 0, 0]);
    }
    q
}

/// An IXFR request for `zone` from `serial` (RFC 1995: the client's SOA in
/// the authority section; only its serial matters).
pub fn ixfr_query(zone: &str, serial: u32) -> Vec<u8> {
    let mut ixfr = query(zone, 251, None);
    ixfr[9] = 1; // NSCOUNT
    ixfr.extend_from_slice(&[0xc0, 12, 0, 6, 0, 1, 0, 0, 0, 0]);
    let mut soa = vec![0, 0]; // root mname, root rname
    soa.extend_from_slice(&serial.to_be_bytes());
    soa.extend_from_slice(&[0; 16]);
    ixfr.extend_from_slice(&(soa.len() as u16).to_be_bytes());
    ixfr.extend_from_slice(&soa);
    ixfr
}

#[derive(Debug)]
pub struct Reply {
    pub rcode: u8,
    pub aa: bool,
    pub tc: bool,
    pub answer: Vec<(String, u16, String)>,
    pub authority: Vec<(String, u16, String)>,
    pub additional: Vec<(String, u16, String)>,
    pub question_bytes: Vec<u8>,
    pub opt_rcode_high: Option<u8>,
    /// TTLs of the answer, authority and additional records, in order.
    pub ttls: [Vec<u32>; 3],
    /// Their RDATA in wire form (names uncompressed), in order.
    pub rdata: [Vec<Vec<u8>>; 3],
    /// The AD bit (a validating resolver's answer).
    pub ad: bool,
}

fn read_name(msg: &[u8], mut pos: usize) -> (String, usize) {
    let mut out = String::new();
    let mut end = None;
    let mut jumps = 0;
    loop {
        let len = msg[pos] as usize;
        if len == 0 {
            pos += 1;
            break;
        }
        if len & 0xc0 == 0xc0 {
            end.get_or_insert(pos + 2);
            pos = ((len & 0x3f) << 8) | msg[pos + 1] as usize;
            jumps += 1;
            assert!(jumps < 20, "pointer loop");
            continue;
        }
        out.push_str(&String::from_utf8_lossy(&msg[pos + 1..pos + 1 + len]));
        out.push('.');
        pos += 1 + len;
    }
    if out.is_empty() {
        out.push('.');
    }
    (out, end.unwrap_or(pos))
}

/// RDATA with compression pointers expanded (peers compress the names of
/// the RFC 1035 types), so it can be decoded on its own.
fn uncompressed_rdata(msg: &[u8], start: usize, rtype: u16, raw: &[u8]) -> Vec<u8> {
    let name_at = |pos: usize, out: &mut Vec<u8>| -> usize {
        let (name, next) = read_name(msg, pos);
        if name != "." {
            for label in name.trim_end_matches('.').split('.') {
                out.push(label.len() as u8);
                out.extend_from_slice(label.as_bytes());
            }
        }
        out.push(0);
        next
    };
    let mut out = Vec::new();
    match rtype {
        2 | 5 | 12 | 39 => {
            name_at(start, &mut out);
        }
        15 => {
            out.extend_from_slice(&raw[..2]);
            name_at(start + 2, &mut out);
        }
        6 => {
            let next = name_at(start, &mut out);
            let next = name_at(next, &mut out);
            out.extend_from_slice(&msg[next..next + 20]);
        }
        17 => {
            let next = name_at(start, &mut out);
            name_at(next, &mut out);
        }
        _ => out.extend_from_slice(raw),
    }
    out
}

pub fn parse(msg: &[u8]) -> Reply {
    let count = |i: usize| u16::from_be_bytes([msg[i], msg[i + 1]]) as usize;
    // Messages after the first of a zone transfer carry no question.
    let mut pos = 12;
    if count(4) > 0 {
        pos = read_name(msg, 12).1 + 4;
    }
    let question_bytes = msg[12..pos].to_vec();
    let mut sections = vec![Vec::new(), Vec::new(), Vec::new()];
    let mut opt_rcode_high = None;
    let mut ttls: [Vec<u32>; 3] = [Vec::new(), Vec::new(), Vec::new()];
    let mut raw: [Vec<Vec<u8>>; 3] = [Vec::new(), Vec::new(), Vec::new()];
    for (section, n) in [count(6), count(8), count(10)].into_iter().enumerate() {
        for _ in 0..n {
            let (owner, p) = read_name(msg, pos);
            let rtype = u16::from_be_bytes([msg[p], msg[p + 1]]);
            let rdlen = u16::from_be_bytes([msg[p + 8], msg[p + 9]]) as usize;
            let rdata = &msg[p + 10..p + 10 + rdlen];
            if rtype == 41 {
                opt_rcode_high = Some(msg[p + 4]);
            } else {
                ttls[section].push(u32::from_be_bytes([
                    msg[p + 4],
                    msg[p + 5],
                    msg[p + 6],
                    msg[p + 7],
                ]));
                let rdata = uncompressed_rdata(msg, p + 10, rtype, rdata);
                raw[section].push(rdata.clone());
                let shown = Rdata::from_wire(RecordType(rtype), &rdata)
                    .map(|r| r.to_string())
                    .unwrap_or_else(|e| format!("undecodable: {e}"));
                sections[section].push((owner.to_ascii_lowercase(), rtype, shown));
            }
            pos = p + 10 + rdlen;
        }
    }
    let additional = sections.pop().unwrap_or_default();
    let authority = sections.pop().unwrap_or_default();
    let answer = sections.pop().unwrap_or_default();
    Reply {
        rcode: msg[3] & 0x0f,
        aa: msg[2] & 0x04 != 0,
        tc: msg[2] & 0x02 != 0,
        answer,
        authority,
        additional,
        question_bytes,
        opt_rcode_high,
        ttls,
        rdata: raw,
        ad: msg[3] & 0x20 != 0,
    }
}

pub async fn udp(addr: SocketAddr, msg: &[u8]) -> Option<Vec<u8>> {
    let socket = UdpSocket::bind("127.0.0.1:0").await.expect("bind");
    socket.send_to(msg, addr).await.expect("send");
    let mut buf = vec![0u8; 65535];
    match tokio::time::timeout(Duration::from_secs(2), socket.recv(&mut buf)).await {
        Ok(Ok(n)) => Some(buf[..n].to_vec()),
        _ => None,
    }
}

/// Sends `messages` pipelined on one TCP connection (every query before any
/// answer is read) and returns the answers in order.
pub async fn tcp(addr: SocketAddr, messages: &[Vec<u8>]) -> Vec<Vec<u8>> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut stream = tokio::net::TcpStream::connect(addr).await.expect("connect");
    let mut framed = Vec::new();
    for msg in messages {
        framed.extend_from_slice(&(msg.len() as u16).to_be_bytes());
        framed.extend_from_slice(msg);
    }
    stream.write_all(&framed).await.expect("write");
    let mut out = Vec::new();
    for _ in messages {
        let mut len = [0u8; 2];
        stream.read_exact(&mut len).await.expect("read length");
        let mut body = vec![0u8; u16::from_be_bytes(len) as usize];
        stream.read_exact(&mut body).await.expect("read body");
        out.push(body);
    }
    out
}

/// An NSD or Knot process serving from a temp dir, killed on drop.
pub struct PeerServer {
    child: std::process::Child,
    pub addr: SocketAddr,
}

impl Drop for PeerServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Whether `nsd` is installed; in CI (`CI=true`) its absence is a failure,
/// elsewhere a visible SKIP line.
pub fn nsd_available(test: &str) -> bool {
    tool_available("nsd", "-v", test)
}

/// Whether `tool` runs (`tool probe_arg`); in CI its absence is a failure,
/// elsewhere a visible SKIP line.
pub fn tool_available(tool: &str, probe_arg: &str, test: &str) -> bool {
    if std::process::Command::new(tool)
        .arg(probe_arg)
        .output()
        .is_ok()
    {
        return true;
    }
    if std::env::var("CI").as_deref() == Ok("true") {
        panic!("{tool} is required in CI");
    }
    let _ = std::io::Write::write_all(
        &mut std::io::stderr(),
        format!("SKIP: {tool} not installed; {test} skipped\n").as_bytes(),
    );
    false
}

/// A loopback port free for UDP and for TCP just now (a peer listens on
/// both; the UDP probe alone missed a TCP port in use).
pub fn free_port() -> u16 {
    loop {
        let port = std::net::UdpSocket::bind("127.0.0.1:0")
            .and_then(|s| s.local_addr())
            .map(|a| a.port())
            .expect("free port");
        if std::net::TcpListener::bind(("127.0.0.1", port)).is_ok() {
            return port;
        }
    }
}

/// Starts NSD in the foreground on a free loopback port with the given
/// `zone:` clauses (zone files relative to `dir`), and waits until it
/// answers `probe` (a zone it must be authoritative for, or any answer).
pub async fn start_nsd(dir: &std::path::Path, zones: &str, probe: &str) -> PeerServer {
    let port = free_port();
    let conf = dir.join("nsd.conf");
    let d = dir.display();
    std::fs::write(
        &conf,
        format!(
            "server:\n  ip-address: 127.0.0.1@{port}\n  zonesdir: \"{d}\"\n  pidfile: \"{d}/nsd.pid\"\n  \
             database: \"\"\n  zonelistfile: \"{d}/zone.list\"\n  xfrdfile: \"{d}/xfrd.state\"\n  \
             xfrdir: \"{d}\"\n  username: \"\"\n  chroot: \"\"\n  logfile: \"{d}/nsd.log\"\n  \
             verbosity: 2\n  rrl-ratelimit: 0\n  minimal-responses: yes\n  refuse-any: no\n\
             remote-control:\n  control-enable: no\n{zones}"
        ),
    )
    .expect("nsd.conf");
    let child = std::process::Command::new("nsd")
        .args(["-d", "-c"])
        .arg(&conf)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("start nsd");
    let addr: SocketAddr = format!("127.0.0.1:{port}").parse().expect("addr");
    let nsd = PeerServer { child, addr };
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    while udp(addr, &query(probe, 6, None)).await.is_none() {
        assert!(
            std::time::Instant::now() < deadline,
            "nsd did not start: {}",
            std::fs::read_to_string(dir.join("nsd.log")).unwrap_or_default()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    nsd
}

/// Starts Knot in the foreground on a free loopback port serving `zones`
/// (name, zone file path) and waits until it answers `probe`'s SOA. A port
/// taken between choosing and binding it (tests run in parallel) is given
/// up for another.
pub async fn start_knot(
    dir: &std::path::Path,
    zones: &[(String, std::path::PathBuf)],
    probe: &str,
) -> PeerServer {
    let d = dir.display();
    let _ = std::fs::remove_file(dir.join("knot.log"));
    let mut conf = format!(
        "template:\n  - id: default\n    storage: \"{d}\"\n    zonefile-sync: -1\n    \
         zonefile-load: whole\n    journal-content: none\n\
         zone:\n"
    );
    for (name, file) in zones {
        conf.push_str(&format!(
            "  - domain: \"{name}\"\n    file: \"{}\"\n",
            file.display()
        ));
    }
    spawn_knot(dir, &conf, probe, |reply| reply.rcode == 0).await
}

/// Starts Knot as a secondary of `primary` for `zones`: it bootstraps each
/// zone by AXFR, refreshes on NOTIFY from 127.0.0.1 (and otherwise only on
/// the SOA's timers), keeps its changes in its journal (so it asks for
/// IXFR) and lets 127.0.0.1 transfer its copy out. Returns once Knot
/// answers at all for the first zone (SERVFAIL until it has transferred).
/// Knot's log (`knot.log` in `dir`, transfers at info) says how it
/// transferred each zone.
pub async fn start_knot_secondary(
    dir: &std::path::Path,
    primary: SocketAddr,
    zones: &[&str],
) -> PeerServer {
    let d = dir.display();
    let mut conf = format!(
        "remote:\n  - id: primary\n    address: {}@{}\n\
         acl:\n  - id: from_primary\n    address: 127.0.0.1\n    action: notify\n  \
         - id: to_tests\n    address: 127.0.0.1\n    action: transfer\n\
         template:\n  - id: default\n    storage: \"{d}\"\n    zonefile-sync: -1\n    \
         zonefile-load: none\n    journal-content: changes\n    master: primary\n    \
         acl: [from_primary, to_tests]\n\
         zone:\n",
        primary.ip(),
        primary.port()
    );
    for name in zones {
        conf.push_str(&format!("  - domain: \"{name}\"\n"));
    }
    let probe = zones.first().copied().unwrap_or(".");
    spawn_knot(dir, &conf, probe, |_| true).await
}

/// Runs knotd on a free loopback port with `zones_conf` (its `remote:`,
/// `acl:`, `template:` and `zone:` sections) and waits until its answer to
/// `probe`'s SOA is `ready`. A port taken between `free_port` and knotd's
/// bind (by any process's outgoing connection) costs a retry on another.
async fn spawn_knot(
    dir: &std::path::Path,
    zones_conf: &str,
    probe: &str,
    ready: impl Fn(&Reply) -> bool,
) -> PeerServer {
    let d = dir.display();
    let log = dir.join("knot.log");
    // Knot does not make the database directory: without it every write
    // to its journal fails ("not exists") and a secondary falls back to AXFR.
    std::fs::create_dir_all(dir.join("db")).expect("knot db dir");
    let mut attempts = 0;
    'start: loop {
        attempts += 1;
        let port = free_port();
        let conf = format!(
            "server:\n  rundir: \"{d}\"\n  listen: 127.0.0.1@{port}\n  udp-workers: 1\n  \
             tcp-workers: 1\n  background-workers: 1\n\
             log:\n  - target: \"{d}/knot.log\"\n    any: info\n\
             database:\n  storage: \"{d}/db\"\n{zones_conf}"
        );
        let path = dir.join("knot.conf");
        std::fs::write(&path, conf).expect("knot.conf");
        let _ = std::fs::remove_file(&log);
        // What knotd says before its log is open (a bad option, say).
        let stderr = std::fs::File::create(dir.join("knotd.stderr")).expect("knotd.stderr");
        let child = std::process::Command::new("knotd")
            .arg("-c")
            .arg(&path)
            .stdout(std::process::Stdio::null())
            .stderr(stderr)
            .spawn()
            .expect("start knotd");
        let addr: SocketAddr = format!("127.0.0.1:{port}").parse().expect("addr");
        let mut knot = PeerServer { child, addr };
        let deadline = std::time::Instant::now() + Duration::from_secs(30);
        loop {
            if let Some(reply) = udp(addr, &query(probe, 6, None)).await
                && ready(&parse(&reply))
            {
                return knot;
            }
            let exited = knot.child.try_wait().ok().flatten();
            let said = std::fs::read_to_string(&log).unwrap_or_default();
            if exited.is_some() && said.contains("address already in use") && attempts < 5 {
                continue 'start;
            }
            assert!(
                exited.is_none() && std::time::Instant::now() < deadline,
                "knotd did not start (exit: {exited:?}): {}{said}",
                std::fs::read_to_string(dir.join("knotd.stderr")).unwrap_or_default(),
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

/// The core a nameserver test needs: a SQLite store in a temp dir, the
/// write path, one organisation, and the index following every commit.
pub struct Core {
    pub dir: tempfile::TempDir,
    pub store: std::sync::Arc<dyn tern_core::Store>,
    pub service: std::sync::Arc<tern_core::ZoneService>,
    pub org: tern_core::Organisation,
    pub index: std::sync::Arc<tern_dns::ZoneIndex>,
}

pub async fn core() -> Core {
    core_with(tern_core::ServiceConfig::default()).await
}

/// `core`, with the write path configured (e.g. shared zone names).
pub async fn core_with(config: tern_core::ServiceConfig) -> Core {
    let dir = tempfile::tempdir().expect("tempdir");
    let url = tern_store::sqlite_url_for_dir(dir.path());
    core_at(dir, &url, config).await
}

/// `core` on the database at `url` (e.g. a fresh PostgreSQL database).
pub async fn core_at(dir: tempfile::TempDir, url: &str, config: tern_core::ServiceConfig) -> Core {
    use std::sync::Arc;
    let store: Arc<dyn tern_core::Store> =
        Arc::new(tern_store::Database::connect(url).await.expect("database"));
    let service = Arc::new(tern_core::ZoneService::new(store.clone(), config));
    let org = organisation(&store, "acme").await;
    let index = tern_dns::ZoneIndex::new(store.clone());
    service.add_listener(Arc::new(tern_dns::IndexListener(index.clone())));
    Core {
        dir,
        store,
        service,
        org,
        index,
    }
}

/// A new organisation with the `dns` feature.
pub async fn organisation(
    store: &std::sync::Arc<dyn tern_core::Store>,
    slug: &str,
) -> tern_core::Organisation {
    let org = tern_core::Organisation {
        id: tern_core::new_id(),
        slug: slug.into(),
        name: slug.into(),
        features: vec!["dns".into()],
        created_at: tern_core::now_millis(),
        max_zones: None,
        max_records_per_zone: None,
    };
    store.create_organisation(&org).await.expect("organisation");
    org
}

impl Core {
    /// Imports a corpus zone (invalid records skipped), as a new zone.
    pub async fn import(&self, zone: &str) -> tern_core::Zone {
        let text = std::fs::read_to_string(format!(
            "{}/../tern-core/tests/fixtures/zones/{zone}",
            env!("CARGO_MANIFEST_DIR")
        ))
        .expect("fixture");
        self.import_text(zone, &text).await
    }

    /// Imports master-file text (invalid records skipped), as a new zone.
    pub async fn import_text(&self, zone: &str, text: &str) -> tern_core::Zone {
        let options = tern_core::ImportOptions {
            mode: tern_core::ImportMode::Replace,
            skip_invalid: true,
            ..tern_core::ImportOptions::default()
        };
        let new = tern_core::NewZone::new(
            tern_core::Name::parse_absolute(zone).expect("name"),
            self.org.id,
        );
        self.service
            .create_zone_from_file(
                new,
                text.as_bytes(),
                &options,
                &tern_core::Actor::new("test", tern_core::ChangeSource::Import),
            )
            .await
            .expect("import")
            .zone
    }

    /// Installs a DNSSEC signer sealing its keys under a new key-encryption
    /// key, and returns that key.
    pub fn sign_with_new_key(&self) -> std::sync::Arc<tern_dnssec::KeyEncryptionKey> {
        let kek = std::sync::Arc::new(tern_dnssec::KeyEncryptionKey::generate().expect("kek"));
        self.service
            .set_signer(std::sync::Arc::new(tern_dnssec::Signer::new(kek.clone())));
        kek
    }

    /// Turns signing on for the zone with its default settings.
    pub async fn enable_signing(&self, zone_id: uuid::Uuid) -> tern_core::CommitOutcome {
        let enable =
            tern_core::ChangeSet::new(vec![tern_core::Change::Zone(tern_core::ZoneUpdate {
                dnssec_enabled: Some(true),
                ..tern_core::ZoneUpdate::default()
            })]);
        self.service
            .apply(
                zone_id,
                enable,
                &tern_core::Actor::new("test", tern_core::ChangeSource::Api),
            )
            .await
            .expect("enable signing")
    }

    /// Loads the index and serves it on a free loopback port.
    pub async fn serve(&self, config: tern_dns::AnswerConfig) -> SocketAddr {
        self.index.load_all().await.expect("load zones");
        let server = tern_dns::DnsServer::bind(&["127.0.0.1:0".parse().expect("addr")])
            .await
            .expect("bind");
        let addr = server.local_addrs()[0];
        server.spawn(self.index.clone(), config).expect("serve");
        addr
    }
}
