//! Packing a zone transfer into messages, one at a time: records go into the
//! current message until it reaches the 16 KiB target (RFC 5936 §2.2 leaves
//! the size open; BIND and Knot use 16 KiB), and a message is closed before
//! it would pass the hard limit (65,535 octets less room for a TSIG record).
//! The caller sends each closed message before the next is built, so a
//! transfer holds one message in memory whatever the zone's size.

use tern_core::RecordType;

use crate::wire::Query;

/// The soft size a message is filled up to.
pub(crate) const MESSAGE_TARGET: usize = 16 * 1024;
/// The most a DNS message over TCP can hold (its two-octet length prefix).
pub(crate) const MESSAGE_MAX: usize = u16::MAX as usize;
const CLASS_IN: u16 = 1;

/// A record that cannot go into any message: its RDATA is longer than
/// 65,535 octets, or the record is longer than a message may be.
#[derive(Debug)]
pub(crate) struct Unframeable {
    pub(crate) rtype: u16,
    pub(crate) len: usize,
}

/// Builds the messages of one transfer; the question goes in the first.
pub(crate) struct Builder<'q> {
    id: u16,
    flags: u16,
    question: &'q [u8],
    pub(crate) rcode: u8,
    /// The hard limit of this transfer's messages.
    limit: usize,
    current: Vec<u8>,
    count: u16,
}

impl<'q> Builder<'q> {
    /// `reserve`: octets every message leaves free (the TSIG record added
    /// when it is signed).
    pub(crate) fn new(query: &'q Query<'q>, reserve: usize) -> Builder<'q> {
        let mut builder = Builder {
            id: query.id,
            flags: query.flags,
            question: query.question,
            rcode: 0,
            limit: MESSAGE_MAX.saturating_sub(reserve),
            current: Vec::new(),
            count: 0,
        };
        builder.start(true);
        builder
    }

    fn start(&mut self, with_question: bool) {
        self.current = Vec::with_capacity(MESSAGE_TARGET + 512);
        self.current.extend_from_slice(&self.id.to_be_bytes());
        self.current.extend_from_slice(&[0, 0]); // flags, written when sealed
        self.current
            .extend_from_slice(&u16::from(with_question).to_be_bytes());
        self.current.extend_from_slice(&[0, 0, 0, 0, 0, 0]);
        if with_question {
            self.current.extend_from_slice(self.question);
        }
        self.count = 0;
    }

    /// Adds one record. Returns the message it closed to make room, which the
    /// caller sends before adding more.
    pub(crate) fn record(
        &mut self,
        owner: &[u8],
        rtype: u16,
        ttl: u32,
        rdata: &[u8],
    ) -> Result<Option<Vec<u8>>, Unframeable> {
        let unframeable = || Unframeable {
            rtype,
            len: rdata.len(),
        };
        let rdlen = u16::try_from(rdata.len()).map_err(|_| unframeable())?;
        let len = owner.len() + 10 + rdata.len();
        let mut closed = None;
        if self.count > 0 && (self.current.len() + len > MESSAGE_TARGET || self.count == u16::MAX) {
            closed = Some(self.seal());
            self.start(false);
        }
        if self.current.len() + len > self.limit {
            return Err(unframeable());
        }
        self.current.extend_from_slice(owner);
        self.current.extend_from_slice(&rtype.to_be_bytes());
        self.current.extend_from_slice(&CLASS_IN.to_be_bytes());
        self.current.extend_from_slice(&ttl.to_be_bytes());
        self.current.extend_from_slice(&rdlen.to_be_bytes());
        self.current.extend_from_slice(rdata);
        self.count += 1;
        Ok(closed)
    }

    fn seal(&mut self) -> Vec<u8> {
        // QR, AA, opcode and RD as asked.
        let flags: u16 =
            0x8400 | (self.flags & 0x7800) | (self.flags & 0x0100) | u16::from(self.rcode);
        self.current[2..4].copy_from_slice(&flags.to_be_bytes());
        self.current[6..8].copy_from_slice(&self.count.to_be_bytes());
        std::mem::take(&mut self.current)
    }

    /// The last message.
    pub(crate) fn finish(mut self) -> Vec<u8> {
        self.seal()
    }
}

/// The type of an `Unframeable` record, for the log.
pub(crate) fn type_name(rtype: u16) -> String {
    RecordType(rtype).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::parse_query;

    fn query() -> Vec<u8> {
        let mut q = vec![0x12, 0x34, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0];
        q.extend_from_slice(b"\x07example\x03com\x00\x00\xfc\x00\x01");
        q
    }

    #[test]
    fn messages_close_before_the_limit_and_big_records_are_refused() {
        let wire = query();
        let q = parse_query(&wire, 0x1234, 0).unwrap();
        let mut builder = Builder::new(&q, 100);
        let owner = b"\x03www\x07example\x03com\x00";
        let mut closed = Vec::new();
        for _ in 0..3 {
            if let Some(m) = builder.record(owner, 16, 300, &[7; 40_000]).unwrap() {
                closed.push(m);
            }
        }
        closed.push(builder.finish());
        assert_eq!(closed.len(), 3, "one big record per message");
        assert!(closed.iter().all(|m| m.len() <= MESSAGE_MAX - 100));
        assert_eq!(&closed[0][4..6], &[0, 1], "the question only in the first");
        assert_eq!(&closed[1][4..6], &[0, 0]);

        let mut builder = Builder::new(&q, 100);
        let too_long = builder
            .record(owner, 16, 300, &vec![0; 70_000])
            .unwrap_err();
        assert_eq!(too_long.len, 70_000);
        assert!(builder.record(owner, 16, 300, &[0; 65_500]).is_err());
    }
}
