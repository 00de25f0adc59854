//! SOA (RFC 1035 §3.3.13): primary nameserver, responsible mailbox, serial
//! and the four timers (BIND time units accepted in presentation).

use super::reader::{Fields, WireReader};
use super::{NameContext, Rdata, RdataError, RecordType};

pub(super) fn parse(
    _rtype: RecordType,
    f: &mut Fields<'_>,
    ctx: NameContext<'_>,
) -> Result<Rdata, RdataError> {
    Ok(Rdata::Soa {
        mname: f.name("primary nameserver", ctx)?,
        rname: f.name("responsible mailbox", ctx)?,
        serial: f.number("serial")?,
        refresh: f.ttl_like("refresh")?,
        retry: f.ttl_like("retry")?,
        expire: f.ttl_like("expire")?,
        minimum: f.ttl_like("minimum")?,
    })
}

pub(super) fn from_wire(_rtype: RecordType, r: &mut WireReader<'_>) -> Result<Rdata, RdataError> {
    Ok(Rdata::Soa {
        mname: r.name()?,
        rname: r.name()?,
        serial: r.u32()?,
        refresh: r.u32()?,
        retry: r.u32()?,
        expire: r.u32()?,
        minimum: r.u32()?,
    })
}
