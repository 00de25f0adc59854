//! DNS messages on a TCP stream (RFC 1035 §4.2.2): each with a two-octet
//! length prefix. A message longer than that prefix can say is refused here,
//! never cut, and every write has a deadline, so a peer that stops reading
//! cannot hold a connection (and what it buffers) for ever.

use std::time::Duration;

use tokio::io::{AsyncWrite, AsyncWriteExt};

/// Writes `message` with its length prefix, in one write, within `timeout`.
pub(crate) async fn write_framed<W: AsyncWrite + Unpin>(
    stream: &mut W,
    message: &[u8],
    timeout: Duration,
) -> std::io::Result<()> {
    let len = u16::try_from(message.len()).map_err(|_| {
        std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            format!(
                "a {}-octet DNS message cannot be framed (at most 65,535)",
                message.len()
            ),
        )
    })?;
    let mut framed = Vec::with_capacity(message.len() + 2);
    framed.extend_from_slice(&len.to_be_bytes());
    framed.extend_from_slice(message);
    match tokio::time::timeout(timeout, stream.write_all(&framed)).await {
        Ok(result) => result,
        Err(_) => Err(std::io::Error::new(
            std::io::ErrorKind::TimedOut,
            "the peer did not read a response within the TCP I/O timeout",
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn an_oversized_message_is_refused_not_cut() {
        let mut out = Vec::new();
        let err = write_framed(&mut out, &vec![0; 70_000], Duration::from_secs(1))
            .await
            .unwrap_err();
        assert_eq!(err.kind(), std::io::ErrorKind::InvalidData);
        assert!(out.is_empty(), "nothing was written");
        write_framed(&mut out, &[1, 2, 3], Duration::from_secs(1))
            .await
            .unwrap();
        assert_eq!(out, [0, 3, 1, 2, 3]);
    }
}
