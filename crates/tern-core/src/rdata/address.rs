//! A and AAAA: one IPv4 or IPv6 address.

use std::net::{Ipv4Addr, Ipv6Addr};

use super::reader::{Fields, WireReader};
use super::{NameContext, Rdata, RdataError, RecordType};

pub(super) fn parse(
    rtype: RecordType,
    f: &mut Fields<'_>,
    _ctx: NameContext<'_>,
) -> Result<Rdata, RdataError> {
    let t = f.next("address")?;
    if rtype == RecordType::AAAA {
        let addr: Ipv6Addr = t
            .raw
            .parse()
            .map_err(|_| f.invalid(format!("'{}' is not an IPv6 address", t.raw)))?;
        return Ok(Rdata::Aaaa(addr));
    }
    let addr: Ipv4Addr = t
        .raw
        .parse()
        .map_err(|_| f.invalid(format!("'{}' is not an IPv4 address", t.raw)))?;
    Ok(Rdata::A(addr))
}

pub(super) fn from_wire(rtype: RecordType, r: &mut WireReader<'_>) -> Result<Rdata, RdataError> {
    if rtype == RecordType::AAAA {
        let b: [u8; 16] = r
            .take(16)?
            .try_into()
            .map_err(|_| r.invalid("short address"))?;
        return Ok(Rdata::Aaaa(Ipv6Addr::from(b)));
    }
    let b = r.take(4)?;
    Ok(Rdata::A(Ipv4Addr::new(b[0], b[1], b[2], b[3])))
}
