//! Types that lead with an ordering number before a target: MX (preference,
//! exchange), SRV (priority, weight, port, target) and NAPTR (order,
//! preference, three character-strings, replacement).

use super::reader::{Fields, WireReader};
use super::{NameContext, Rdata, RdataError, RecordType};

pub(super) fn parse(
    rtype: RecordType,
    f: &mut Fields<'_>,
    ctx: NameContext<'_>,
) -> Result<Rdata, RdataError> {
    Ok(match rtype {
        RecordType::MX => Rdata::Mx {
            preference: f.number("preference")?,
            exchange: f.name("exchange", ctx)?,
        },
        RecordType::SRV => Rdata::Srv {
            priority: f.number("priority")?,
            weight: f.number("weight")?,
            port: f.number("port")?,
            target: f.name("target", ctx)?,
        },
        RecordType::NAPTR => Rdata::Naptr {
            order: f.number("order")?,
            preference: f.number("preference")?,
            flags: f.char_string("flags")?,
            services: f.char_string("services")?,
            regexp: f.char_string("regexp")?,
            replacement: f.name("replacement", ctx)?,
        },
        other => return Err(super::misrouted(other)),
    })
}

pub(super) fn from_wire(rtype: RecordType, r: &mut WireReader<'_>) -> Result<Rdata, RdataError> {
    Ok(match rtype {
        RecordType::MX => Rdata::Mx {
            preference: r.u16()?,
            exchange: r.name()?,
        },
        RecordType::SRV => Rdata::Srv {
            priority: r.u16()?,
            weight: r.u16()?,
            port: r.u16()?,
            target: r.name()?,
        },
        RecordType::NAPTR => Rdata::Naptr {
            order: r.u16()?,
            preference: r.u16()?,
            flags: r.char_string()?,
            services: r.char_string()?,
            regexp: r.char_string()?,
            replacement: r.name()?,
        },
        other => return Err(super::misrouted(other)),
    })
}
