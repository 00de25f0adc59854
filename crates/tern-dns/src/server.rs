//! UDP and TCP listeners. UDP: blocking receive loops (batched, `udp_batch`). TCP (RFC 7766):
//! length-prefixed messages, several queries per connection answered in
//! order, an idle timeout and a cap on open connections.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream, UdpSocket};
use tokio::sync::Semaphore;

use crate::answer::{AnswerConfig, answer};
use crate::index::ZoneIndex;
use crate::wire::{Transport, error_response, rcode};

const TCP_IDLE: Duration = Duration::from_secs(10);
const TCP_MAX_CONNECTIONS: usize = 512;

#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    #[error("binding {address} ({protocol}): {source}")]
    Bind {
        address: SocketAddr,
        protocol: &'static str,
        #[source]
        source: std::io::Error,
    },
}

/// Bound sockets, ready to serve.
pub struct DnsServer {
    udp: Vec<UdpSocket>,
    tcp: Vec<TcpListener>,
}

impl DnsServer {
    /// Binds UDP and TCP on every address.
    pub async fn bind(addresses: &[SocketAddr]) -> Result<DnsServer, ServerError> {
        let mut udp = Vec::new();
        let mut tcp = Vec::new();
        for &address in addresses {
            let (u, t) = bind_pair(address).await?;
            udp.push(u);
            tcp.push(t);
        }
        Ok(DnsServer { udp, tcp })
    }

    pub fn local_addrs(&self) -> Vec<SocketAddr> {
        self.udp
            .iter()
            .filter_map(|s| s.local_addr().ok())
            .collect()
    }

    /// Serves until the process ends. UDP runs on plain OS threads doing
    /// blocking receive/answer/send (several per socket, one per core): no
    /// reactor wake-ups on the hot path. TCP runs on the async runtime.
    pub fn spawn(self, index: Arc<ZoneIndex>, config: AnswerConfig) -> Result<(), ServerError> {
        let config = Arc::new(config);
        let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
        for socket in self.udp {
            let address = socket.local_addr().ok();
            let socket = socket
                .into_std()
                .and_then(|s| s.set_nonblocking(false).map(|()| s))
                .map_err(|source| ServerError::Bind {
                    address: address.unwrap_or_else(|| SocketAddr::from(([0, 0, 0, 0], 0))),
                    protocol: "udp",
                    source,
                })?;
            let socket = Arc::new(socket);
            for n in 0..threads {
                let (socket, index, config) = (socket.clone(), index.clone(), config.clone());
                std::thread::Builder::new()
                    .name(format!("dns-udp-{n}"))
                    .spawn(move || serve_udp(&socket, &index, &config))
                    .map_err(|source| ServerError::Bind {
                        address: address.unwrap_or_else(|| SocketAddr::from(([0, 0, 0, 0], 0))),
                        protocol: "udp",
                        source,
                    })?;
            }
        }
        let permits = Arc::new(Semaphore::new(TCP_MAX_CONNECTIONS));
        for listener in self.tcp {
            tokio::spawn(serve_tcp(
                listener,
                index.clone(),
                config.clone(),
                permits.clone(),
            ));
        }
        Ok(())
    }
}

/// UDP and TCP on the same address. Port 0 asks for any port: TCP takes
/// the one UDP got, and when another socket holds that TCP port, another
/// pair is tried.
async fn bind_pair(address: SocketAddr) -> Result<(UdpSocket, TcpListener), ServerError> {
    let attempts = if address.port() == 0 { 20 } else { 1 };
    let mut last = None;
    for _ in 0..attempts {
        let udp = UdpSocket::bind(address)
            .await
            .map_err(|source| ServerError::Bind {
                address,
                protocol: "udp",
                source,
            })?;
        let tcp_address = udp.local_addr().unwrap_or(address);
        match TcpListener::bind(tcp_address).await {
            Ok(tcp) => return Ok((udp, tcp)),
            Err(source) => {
                last = Some(ServerError::Bind {
                    address: tcp_address,
                    protocol: "tcp",
                    source,
                })
            }
        }
    }
    Err(last.unwrap_or(ServerError::Bind {
        address,
        protocol: "tcp",
        source: std::io::Error::other("no port pair free"),
    }))
}

fn serve_udp(socket: &std::net::UdpSocket, index: &ZoneIndex, config: &AnswerConfig) {
    crate::udp_batch::serve(socket, |query, truncated| {
        if truncated {
            // Longer than any real query: FORMERR from the header alone.
            return match query {
                [a, b, c, d, ..] if c & 0x80 == 0 => Some(error_response(
                    u16::from_be_bytes([*a, *b]),
                    u16::from_be_bytes([*c, *d]),
                    rcode::FORMERR,
                )),
                _ => None,
            };
        }
        answer(index, query, Transport::Udp, config)
    });
}

async fn serve_tcp(
    listener: TcpListener,
    index: Arc<ZoneIndex>,
    config: Arc<AnswerConfig>,
    permits: Arc<Semaphore>,
) {
    loop {
        let (stream, peer) = match listener.accept().await {
            Ok(accepted) => accepted,
            Err(e) => {
                tracing::warn!(error = %e, "tcp accept");
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
        };
        let Ok(permit) = permits.clone().try_acquire_owned() else {
            tracing::warn!(%peer, "too many TCP connections; closing");
            continue;
        };
        let index = index.clone();
        let config = config.clone();
        tokio::spawn(async move {
            if let Err(e) = serve_connection(stream, peer.ip(), &index, &config).await {
                tracing::debug!(%peer, error = %e, "tcp connection");
            }
            drop(permit);
        });
    }
}

async fn serve_connection(
    mut stream: TcpStream,
    peer: std::net::IpAddr,
    index: &ZoneIndex,
    config: &AnswerConfig,
) -> std::io::Result<()> {
    let mut buf = Vec::new();
    loop {
        let mut len = [0u8; 2];
        match tokio::time::timeout(TCP_IDLE, stream.read_exact(&mut len)).await {
            Err(_) => return Ok(()), // idle
            Ok(Err(e)) if e.kind() == std::io::ErrorKind::UnexpectedEof => return Ok(()),
            Ok(result) => {
                result?;
            }
        }
        let len = usize::from(u16::from_be_bytes(len));
        buf.resize(len, 0);
        tokio::time::timeout(TCP_IDLE, stream.read_exact(&mut buf))
            .await
            .map_err(|_| std::io::Error::new(std::io::ErrorKind::TimedOut, "message body"))??;
        if crate::transfer::is_transfer(&buf) {
            for message in crate::transfer::transfer(index, &buf, peer, config).await {
                write_framed(&mut stream, &message).await?;
            }
            continue;
        }
        if let Some(response) = answer(index, &buf, Transport::Tcp, config) {
            write_framed(&mut stream, &response).await?;
        }
    }
}

/// One message with its RFC 1035 §4.2.2 length prefix, in one write.
async fn write_framed(stream: &mut TcpStream, message: &[u8]) -> std::io::Result<()> {
    let mut framed = Vec::with_capacity(message.len() + 2);
    framed.extend_from_slice(&(message.len() as u16).to_be_bytes());
    framed.extend_from_slice(message);
    stream.write_all(&framed).await
}
