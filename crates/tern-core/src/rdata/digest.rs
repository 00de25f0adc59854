//! Types that end in opaque hex data after a few number fields: SSHFP
//! (RFC 4255), TLSA (RFC 6698) and DS (RFC 4034).

use super::reader::{Fields, WireReader};
use super::{NameContext, Rdata, RdataError, RecordType};

pub(super) fn parse(
    rtype: RecordType,
    f: &mut Fields<'_>,
    _ctx: NameContext<'_>,
) -> Result<Rdata, RdataError> {
    Ok(match rtype {
        RecordType::SSHFP => Rdata::Sshfp {
            algorithm: f.number("algorithm")?,
            fp_type: f.number("fingerprint type")?,
            fingerprint: f.rest_hex("fingerprint")?,
        },
        RecordType::TLSA => Rdata::Tlsa {
            usage: f.number("certificate usage")?,
            selector: f.number("selector")?,
            matching_type: f.number("matching type")?,
            data: f.rest_hex("certificate association data")?,
        },
        RecordType::DS => Rdata::Ds {
            key_tag: f.number("key tag")?,
            algorithm: f.number("algorithm")?,
            digest_type: f.number("digest type")?,
            digest: f.rest_hex("digest")?,
        },
        other => return Err(super::misrouted(other)),
    })
}

pub(super) fn from_wire(rtype: RecordType, r: &mut WireReader<'_>) -> Result<Rdata, RdataError> {
    Ok(match rtype {
        RecordType::SSHFP => Rdata::Sshfp {
            algorithm: r.u8()?,
            fp_type: r.u8()?,
            fingerprint: r.rest_nonempty("fingerprint")?,
        },
        RecordType::TLSA => Rdata::Tlsa {
            usage: r.u8()?,
            selector: r.u8()?,
            matching_type: r.u8()?,
            data: r.rest_nonempty("certificate association data")?,
        },
        RecordType::DS => Rdata::Ds {
            key_tag: r.u16()?,
            algorithm: r.u8()?,
            digest_type: r.u8()?,
            digest: r.rest_nonempty("digest")?,
        },
        other => return Err(super::misrouted(other)),
    })
}
