//! TCP under pressure (RFC 7766 §6.2), over real loopback sockets: one
//! address holding hundreds of connections must not lock other clients out.
//! The hog uses 127.0.0.1 and the other client 127.0.0.2 (all of 127/8 is
//! local on Linux).

mod common;

use std::net::SocketAddr;
use std::time::Duration;

use tern_dns::AnswerConfig;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpSocket, TcpStream};

const HOG_CONNECTIONS: usize = 600;

async fn connect_from(local: [u8; 4], server: SocketAddr) -> std::io::Result<TcpStream> {
    let socket = TcpSocket::new_v4()?;
    socket.bind(SocketAddr::from((local, 0)))?;
    socket.connect(server).await
}

/// One framed query on `stream`, and its framed answer.
async fn ask(stream: &mut TcpStream, name: &str) -> std::io::Result<Vec<u8>> {
    let query = common::query(name, 6, None);
    let mut framed = (query.len() as u16).to_be_bytes().to_vec();
    framed.extend_from_slice(&query);
    stream.write_all(&framed).await?;
    let mut len = [0u8; 2];
    stream.read_exact(&mut len).await?;
    let mut body = vec![0u8; usize::from(u16::from_be_bytes(len))];
    stream.read_exact(&mut body).await?;
    Ok(body)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_address_holding_600_connections_does_not_lock_out_another() {
    let core = common::core().await;
    core.import("example.com").await;
    let server = core.serve(AnswerConfig::default()).await;

    // The hog opens its connections and keeps them alive, each with a
    // query answered (as a client using keep-alive would).
    let mut hog = Vec::new();
    let mut answered = 0;
    for _ in 0..HOG_CONNECTIONS {
        let Ok(mut stream) = connect_from([127, 0, 0, 1], server).await else {
            continue;
        };
        if tokio::time::timeout(Duration::from_secs(1), ask(&mut stream, "example.com"))
            .await
            .is_ok_and(|r| r.is_ok())
        {
            answered += 1;
        }
        hog.push(stream);
    }
    assert!(answered > 0, "the hog was not served at all");
    assert!(
        answered < HOG_CONNECTIONS,
        "one address was given all {HOG_CONNECTIONS} connections"
    );

    // The protocol requirement: another client is answered within a second,
    // while the hog still holds everything it got.
    let victim = async {
        let mut stream = connect_from([127, 0, 0, 2], server).await?;
        ask(&mut stream, "example.com").await
    };
    let reply = tokio::time::timeout(Duration::from_secs(1), victim)
        .await
        .expect("the other client waited more than 1 s")
        .expect("the other client's connection was refused or closed");
    let reply = common::parse(&reply);
    assert_eq!((reply.rcode, reply.answer.len()), (0, 1), "{reply:?}");
    drop(hog);
}
