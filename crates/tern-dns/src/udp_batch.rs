//! Batched UDP on Linux: `recvmmsg` takes up to `BATCH` queries in one
//! system call and `sendmmsg` returns their answers in one. With one
//! datagram per call, the kernel entry/exit and the wake-up cost more than
//! answering a query (perf, BENCHMARKS.md); Knot batches the same way.
//! Elsewhere, one datagram per call.

use std::net::UdpSocket;

/// Queries taken per receive call.
const BATCH: usize = 32;
/// Largest query read whole. A longer datagram is cut (MSG_TRUNC) and
/// answered FORMERR from its header: real queries are far smaller.
const MAX_QUERY: usize = 4096;

/// Serves `socket` forever: every datagram is given to `answer`, and what it
/// returns is sent back to the datagram's source.
#[cfg(target_os = "linux")]
pub(crate) fn serve(socket: &UdpSocket, mut answer: impl FnMut(&[u8], bool) -> Option<Vec<u8>>) {
    use std::os::fd::AsRawFd;

    let fd = socket.as_raw_fd();
    let mut buffers = vec![[0u8; MAX_QUERY]; BATCH];
    // SAFETY: all-zero is a valid value of these plain C structs (null
    // pointers, zero lengths).
    let mut addresses: Vec<libc::sockaddr_storage> =
        (0..BATCH).map(|_| unsafe { std::mem::zeroed() }).collect();
    let mut iovecs: Vec<libc::iovec> = (0..BATCH).map(|_| unsafe { std::mem::zeroed() }).collect();
    let mut headers: Vec<libc::mmsghdr> =
        (0..BATCH).map(|_| unsafe { std::mem::zeroed() }).collect();
    let mut responses: Vec<(usize, Vec<u8>)> = Vec::with_capacity(BATCH);
    let mut send_iovecs: Vec<libc::iovec> =
        (0..BATCH).map(|_| unsafe { std::mem::zeroed() }).collect();
    let mut send_headers: Vec<libc::mmsghdr> =
        (0..BATCH).map(|_| unsafe { std::mem::zeroed() }).collect();
    loop {
        // The headers point into the buffers; they are rebuilt every round
        // because the kernel rewrites lengths and flags.
        for i in 0..BATCH {
            iovecs[i] = libc::iovec {
                iov_base: buffers[i].as_mut_ptr().cast(),
                iov_len: MAX_QUERY,
            };
            let header = &mut headers[i];
            header.msg_hdr.msg_name = (&raw mut addresses[i]).cast();
            header.msg_hdr.msg_namelen = size_of::<libc::sockaddr_storage>() as libc::socklen_t;
            header.msg_hdr.msg_iov = &raw mut iovecs[i];
            header.msg_hdr.msg_iovlen = 1;
            header.msg_hdr.msg_control = std::ptr::null_mut();
            header.msg_hdr.msg_controllen = 0;
            header.msg_hdr.msg_flags = 0;
            header.msg_len = 0;
        }
        // SAFETY: `headers` holds BATCH initialised entries whose pointers
        // refer to `buffers`, `iovecs` and `addresses`, all alive and not
        // otherwise borrowed for the duration of the call.
        let received = unsafe {
            libc::recvmmsg(
                fd,
                headers.as_mut_ptr(),
                BATCH as libc::c_uint,
                libc::MSG_WAITFORONE,
                std::ptr::null_mut(),
            )
        };
        let Ok(received) = usize::try_from(received) else {
            // EINTR, or ICMP errors from earlier sends: keep serving.
            tracing::debug!(error = %std::io::Error::last_os_error(), "udp receive");
            continue;
        };
        responses.clear();
        for (i, header) in headers.iter().enumerate().take(received) {
            let len = (header.msg_len as usize).min(MAX_QUERY);
            let truncated = header.msg_hdr.msg_flags & libc::MSG_TRUNC != 0;
            if let Some(response) = answer(&buffers[i][..len], truncated) {
                responses.push((i, response));
            }
        }
        for (slot, (i, response)) in responses.iter_mut().enumerate() {
            send_iovecs[slot] = libc::iovec {
                iov_base: response.as_mut_ptr().cast(),
                iov_len: response.len(),
            };
            let header = &mut send_headers[slot];
            header.msg_hdr.msg_name = (&raw mut addresses[*i]).cast();
            header.msg_hdr.msg_namelen = headers[*i].msg_hdr.msg_namelen;
            header.msg_hdr.msg_iov = &raw mut send_iovecs[slot];
            header.msg_hdr.msg_iovlen = 1;
            header.msg_hdr.msg_control = std::ptr::null_mut();
            header.msg_hdr.msg_controllen = 0;
            header.msg_hdr.msg_flags = 0;
            header.msg_len = 0;
        }
        let mut sent = 0;
        while sent < responses.len() {
            // SAFETY: entries `sent..responses.len()` of `send_headers` are
            // initialised above and point into `responses`, `send_iovecs`
            // and `addresses`, which outlive the call.
            let result = unsafe {
                libc::sendmmsg(
                    fd,
                    send_headers[sent..].as_mut_ptr(),
                    (responses.len() - sent) as libc::c_uint,
                    0,
                )
            };
            match usize::try_from(result) {
                Ok(n) if n > 0 => sent += n,
                _ => {
                    // The first unsent answer failed (its peer is gone, a
                    // buffer is full): skip it, send the rest.
                    tracing::debug!(error = %std::io::Error::last_os_error(), "udp send");
                    sent += 1;
                }
            }
        }
    }
}

#[cfg(not(target_os = "linux"))]
pub(crate) fn serve(socket: &UdpSocket, mut answer: impl FnMut(&[u8], bool) -> Option<Vec<u8>>) {
    let mut buf = vec![0u8; MAX_QUERY];
    loop {
        let (len, peer) = match socket.recv_from(&mut buf) {
            Ok(received) => received,
            Err(e) => {
                tracing::debug!(error = %e, "udp receive");
                continue;
            }
        };
        if let Some(response) = answer(&buf[..len], false)
            && let Err(e) = socket.send_to(&response, peer)
        {
            tracing::debug!(error = %e, %peer, "udp send");
        }
    }
}
