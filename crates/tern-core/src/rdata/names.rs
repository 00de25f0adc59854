//! Types whose RDATA is domain names only: NS, CNAME, PTR, DNAME (one
//! target) and RP (a mailbox and a TXT owner).

use super::reader::{Fields, WireReader};
use super::{NameContext, Rdata, RdataError, RecordType};

pub(super) fn parse(
    rtype: RecordType,
    f: &mut Fields<'_>,
    ctx: NameContext<'_>,
) -> Result<Rdata, RdataError> {
    Ok(match rtype {
        RecordType::NS => Rdata::Ns(f.name("nameserver", ctx)?),
        RecordType::CNAME => Rdata::Cname(f.name("target", ctx)?),
        RecordType::PTR => Rdata::Ptr(f.name("target", ctx)?),
        RecordType::DNAME => Rdata::Dname(f.name("target", ctx)?),
        RecordType::RP => Rdata::Rp {
            mbox: f.name("mailbox", ctx)?,
            txt: f.name("TXT owner", ctx)?,
        },
        other => return Err(super::misrouted(other)),
    })
}

pub(super) fn from_wire(rtype: RecordType, r: &mut WireReader<'_>) -> Result<Rdata, RdataError> {
    Ok(match rtype {
        RecordType::NS => Rdata::Ns(r.name()?),
        RecordType::CNAME => Rdata::Cname(r.name()?),
        RecordType::PTR => Rdata::Ptr(r.name()?),
        RecordType::DNAME => Rdata::Dname(r.name()?),
        RecordType::RP => Rdata::Rp {
            mbox: r.name()?,
            txt: r.name()?,
        },
        other => return Err(super::misrouted(other)),
    })
}
