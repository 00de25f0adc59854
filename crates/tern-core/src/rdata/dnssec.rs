//! The signer's own records: DNSKEY and CDNSKEY (RFC 4034 §2, RFC 7344),
//! CDS (RFC 7344, DS's form), RRSIG (RFC 4034 §3) and NSEC3PARAM
//! (RFC 5155 §4). Users never write these (`RecordType::parse` refuses
//! them); they are parsed only from trusted input.

use super::reader::{Fields, WireReader};
use super::{NameContext, Rdata, RdataError, RecordType};

pub(super) fn parse(
    rtype: RecordType,
    f: &mut Fields<'_>,
    ctx: NameContext<'_>,
) -> Result<Rdata, RdataError> {
    Ok(match rtype {
        RecordType::DNSKEY => Rdata::Dnskey {
            flags: f.number("flags")?,
            protocol: f.number("protocol")?,
            algorithm: f.number("algorithm")?,
            public_key: f.rest_base64("public key")?,
        },
        RecordType::CDNSKEY => Rdata::Cdnskey {
            flags: f.number("flags")?,
            protocol: f.number("protocol")?,
            algorithm: f.number("algorithm")?,
            public_key: f.rest_base64("public key")?,
        },
        RecordType::CDS => Rdata::Cds {
            key_tag: f.number("key tag")?,
            algorithm: f.number("algorithm")?,
            digest_type: f.number("digest type")?,
            digest: f.rest_hex("digest")?,
        },
        RecordType::RRSIG => Rdata::Rrsig {
            type_covered: {
                let token = f.next("type covered")?;
                RecordType::parse_in_rdata(&token.raw).ok_or_else(|| {
                    f.invalid(format!("type covered '{}' is not a record type", token.raw))
                })?
            },
            algorithm: f.number("algorithm")?,
            labels: f.number("labels")?,
            original_ttl: f.ttl_like("original TTL")?,
            expiration: f.rrsig_time("signature expiration")?,
            inception: f.rrsig_time("signature inception")?,
            key_tag: f.number("key tag")?,
            signer: f.name("signer's name", ctx)?,
            signature: f.rest_base64("signature")?,
        },
        RecordType::NSEC3PARAM => Rdata::Nsec3param {
            hash_algorithm: f.number("hash algorithm")?,
            flags: f.number("flags")?,
            iterations: f.number("iterations")?,
            salt: f.salt()?,
        },
        other => return Err(super::misrouted(other)),
    })
}

pub(super) fn from_wire(rtype: RecordType, r: &mut WireReader<'_>) -> Result<Rdata, RdataError> {
    Ok(match rtype {
        RecordType::DNSKEY => Rdata::Dnskey {
            flags: r.field("flags", WireReader::u16)?,
            protocol: r.field("protocol", WireReader::u8)?,
            algorithm: r.field("algorithm", WireReader::u8)?,
            public_key: r.rest_nonempty("public key")?,
        },
        RecordType::CDNSKEY => Rdata::Cdnskey {
            flags: r.field("flags", WireReader::u16)?,
            protocol: r.field("protocol", WireReader::u8)?,
            algorithm: r.field("algorithm", WireReader::u8)?,
            public_key: r.rest_nonempty("public key")?,
        },
        RecordType::CDS => Rdata::Cds {
            key_tag: r.field("key tag", WireReader::u16)?,
            algorithm: r.field("algorithm", WireReader::u8)?,
            digest_type: r.field("digest type", WireReader::u8)?,
            digest: r.rest_nonempty("digest")?,
        },
        RecordType::RRSIG => Rdata::Rrsig {
            type_covered: RecordType(r.field("type covered", WireReader::u16)?),
            algorithm: r.field("algorithm", WireReader::u8)?,
            labels: r.field("labels", WireReader::u8)?,
            original_ttl: r.field("original TTL", WireReader::u32)?,
            expiration: r.field("signature expiration", WireReader::u32)?,
            inception: r.field("signature inception", WireReader::u32)?,
            key_tag: r.field("key tag", WireReader::u16)?,
            signer: r.field("signer's name", WireReader::name)?,
            signature: r.rest_nonempty("signature")?,
        },
        RecordType::NSEC3PARAM => Rdata::Nsec3param {
            hash_algorithm: r.field("hash algorithm", WireReader::u8)?,
            flags: r.field("flags", WireReader::u8)?,
            iterations: r.field("iterations", WireReader::u16)?,
            salt: r.field("salt", WireReader::salt)?,
        },
        other => return Err(super::misrouted(other)),
    })
}
