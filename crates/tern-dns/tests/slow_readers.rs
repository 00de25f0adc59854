//! Zone transfers to clients that read slowly or not at all, against a real
//! listener: each connection holds a bounded amount of memory however large
//! the zone (the transfer is built one message at a time), and a reader
//! that stalls is disconnected after the TCP I/O timeout (default 5 s).
//! Its own test binary: it measures this process's resident memory.

mod common;

use std::net::SocketAddr;
use std::time::Duration;

use tern_dns::AnswerConfig;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpSocket, TcpStream};

/// About 7 MB of AXFR: far more than the kernel buffers of a connection
/// whose reader advertises a tiny window.
const RECORDS: usize = 40_000;
const READERS: usize = 8;
/// What the readers may add to the resident set in all, a generous bound
/// for 8 connections holding a 16-64 KiB message each (before the fix each
/// held the whole ~7 MB transfer: 56 MB).
const MAX_GROWTH: u64 = 20 * 1024 * 1024;

fn rss() -> u64 {
    let statm = std::fs::read_to_string("/proc/self/statm").expect("statm");
    let pages: u64 = statm
        .split_whitespace()
        .nth(1)
        .and_then(|p| p.parse().ok())
        .expect("resident pages");
    pages * 4096
}

fn axfr_request(zone: &str) -> Vec<u8> {
    let query = common::query(zone, 252, None);
    let mut framed = (query.len() as u16).to_be_bytes().to_vec();
    framed.extend_from_slice(&query);
    framed
}

/// A connection whose receive window is a few KiB: the server's writes
/// block almost at once.
async fn slow_reader(server: SocketAddr, zone: &str) -> TcpStream {
    let socket = TcpSocket::new_v4().expect("socket");
    socket.set_recv_buffer_size(4096).expect("rcvbuf");
    let mut stream = socket.connect(server).await.expect("connect");
    stream
        .write_all(&axfr_request(zone))
        .await
        .expect("request");
    stream
}

/// Reads until the peer closes; `None` if it did not close within `wait`.
async fn read_to_close(stream: &mut TcpStream, wait: Duration) -> Option<usize> {
    let mut total = 0;
    let mut buf = vec![0u8; 64 * 1024];
    let deadline = tokio::time::Instant::now() + wait;
    loop {
        match tokio::time::timeout_at(deadline, stream.read(&mut buf)).await {
            Ok(Ok(0)) | Ok(Err(_)) => return Some(total),
            Ok(Ok(n)) => total += n,
            Err(_) => return None,
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_transfer_readers_hold_bounded_memory_and_stalled_ones_are_cut_off() {
    let core = common::core().await;
    let mut text = String::from("$TTL 300\n");
    let filler = "x".repeat(150);
    for i in 0..RECORDS {
        text.push_str(&format!("r{i} TXT \"{filler}\"\n"));
    }
    core.import_text("big.test", &text).await;
    let config = AnswerConfig {
        transfer_allow: vec![tern_core::transfer::Cidr::parse("127.0.0.0/8").expect("cidr")],
        ..AnswerConfig::default()
    };
    let server = core.serve(config).await;

    // A reader that keeps up gets the whole zone.
    let mut full = TcpStream::connect(server).await.expect("connect");
    full.write_all(&axfr_request("big.test"))
        .await
        .expect("request");
    let mut whole = 0;
    let mut buf = vec![0u8; 64 * 1024];
    while whole < 6 * 1024 * 1024 {
        match tokio::time::timeout(Duration::from_secs(30), full.read(&mut buf)).await {
            Ok(Ok(0)) | Err(_) => break,
            Ok(Ok(n)) => whole += n,
            Ok(Err(e)) => panic!("full transfer: {e}"),
        }
    }
    // Drain the rest: a transfer ends when its bytes stop coming.
    while let Ok(Ok(n)) =
        tokio::time::timeout(Duration::from_millis(500), full.read(&mut buf)).await
    {
        if n == 0 {
            break;
        }
        whole += n;
    }
    assert!(
        whole > 6 * 1024 * 1024,
        "the zone transfer is {whole} octets"
    );
    drop(full);

    let before = rss();
    let mut readers = Vec::new();
    for _ in 0..READERS {
        readers.push(slow_reader(server, "big.test").await);
    }
    tokio::time::sleep(Duration::from_secs(2)).await;
    let grown = rss().saturating_sub(before);
    eprintln!(
        "resident memory grew by {} KiB with {READERS} stalled transfer readers",
        grown / 1024
    );
    assert!(
        grown < MAX_GROWTH,
        "{READERS} slow readers grew the server by {} MiB",
        grown / (1024 * 1024)
    );

    // Still not reading after the I/O timeout: the server closes them, so
    // what a reader then gets is a cut-off part of the zone, then the end.
    tokio::time::sleep(Duration::from_secs(5)).await;
    for reader in &mut readers {
        let got = read_to_close(reader, Duration::from_secs(5))
            .await
            .expect("a stalled reader was still connected long after the I/O timeout");
        assert!(
            got < whole,
            "a stalled reader got the whole zone ({got} octets)"
        );
    }
}
