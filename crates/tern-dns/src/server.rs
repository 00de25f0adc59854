//! UDP and TCP listeners. UDP: blocking receive loops (batched, `udp_batch`).
//! TCP (RFC 7766): length-prefixed messages, several queries per connection
//! answered in order, under the policy of `tcp_slots` (connections in all and
//! per address, idle connections closed first) with an idle timeout between
//! queries and an I/O timeout on every read of a started query and every
//! write.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use tokio::io::AsyncReadExt;
use tokio::net::{TcpListener, TcpStream, UdpSocket};

use crate::answer::{AnswerConfig, answer};
use crate::index::ZoneIndex;
use crate::log_budget::LogBudget;
use crate::tcp_io::write_framed;
use crate::tcp_slots::{Refusal, Slot, Slots, TcpLimits};
use crate::wire::{Transport, error_response, rcode};

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
    tcp_limits: TcpLimits,
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
        Ok(DnsServer {
            udp,
            tcp,
            tcp_limits: TcpLimits::default(),
        })
    }

    /// Replaces the default TCP policy (validate it first:
    /// `TcpLimits::validate`).
    pub fn with_tcp_limits(mut self, limits: TcpLimits) -> DnsServer {
        self.tcp_limits = limits;
        self
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
        let slots = Slots::new(self.tcp_limits);
        for listener in self.tcp {
            tokio::spawn(serve_tcp(
                listener,
                index.clone(),
                config.clone(),
                slots.clone(),
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

/// Connections turned away are logged under a budget: a flood of them must
/// not fill the disk.
static TCP_REFUSED_LOG: LogBudget = LogBudget::new(10);

async fn serve_tcp(
    listener: TcpListener,
    index: Arc<ZoneIndex>,
    config: Arc<AnswerConfig>,
    slots: Arc<Slots>,
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
        let slot = match slots.admit(peer.ip()) {
            Ok(slot) => slot,
            Err(refusal) => {
                if let Some(suppressed_before) = TCP_REFUSED_LOG.allow() {
                    let reason = match refusal {
                        Refusal::PerAddress => {
                            "this address holds --tcp-max-per-address connections"
                        }
                        Refusal::Full => "--tcp-max-clients connections are open and none is idle",
                    };
                    tracing::warn!(%peer, reason, suppressed_before, "TCP connection closed at once");
                }
                continue; // dropping the stream closes it
            }
        };
        let index = index.clone();
        let config = config.clone();
        tokio::spawn(async move {
            if let Err(e) = serve_connection(stream, peer.ip(), &slot, &index, &config).await {
                tracing::debug!(%peer, error = %e, "tcp connection");
            }
        });
    }
}

/// What waiting for the next query on a connection ended with.
enum Next {
    Query,
    /// Idle timeout, eviction or the peer closed: end quietly.
    Close,
}

async fn serve_connection(
    mut stream: TcpStream,
    peer: std::net::IpAddr,
    slot: &Slot,
    index: &ZoneIndex,
    config: &AnswerConfig,
) -> std::io::Result<()> {
    let limits = *slot.limits();
    let mut buf = Vec::new();
    loop {
        slot.idle();
        let mut len = [0u8; 2];
        let next = tokio::select! {
            read = tokio::time::timeout(limits.idle_timeout, stream.read_exact(&mut len)) => match read {
                Ok(Ok(_)) => Next::Query,
                Ok(Err(e)) if e.kind() == std::io::ErrorKind::UnexpectedEof => Next::Close,
                Ok(Err(e)) => return Err(e),
                Err(_) => Next::Close,
            },
            () = slot.evicted() => Next::Close,
        };
        if let Next::Close = next {
            return Ok(());
        }
        slot.busy();
        let len = usize::from(u16::from_be_bytes(len));
        buf.resize(len, 0);
        tokio::time::timeout(limits.io_timeout, stream.read_exact(&mut buf))
            .await
            .map_err(|_| std::io::Error::new(std::io::ErrorKind::TimedOut, "message body"))??;
        if crate::transfer::is_transfer(&buf) {
            crate::transfer::transfer(index, &buf, peer, config, &mut stream, limits.io_timeout)
                .await?;
            continue;
        }
        if let Some(response) = answer(index, &buf, Transport::Tcp, config) {
            write_framed(&mut stream, &response, limits.io_timeout).await?;
        }
    }
}
