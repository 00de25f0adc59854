//! Typed RDATA: the `Rdata` enum and its dispatch. Each record type's
//! parsing from presentation tokens and decoding from wire form lives in its
//! own module (routed by the `record_types!` table in `rtype.rs`); this module
//! holds the entry points and uncompressed wire form, `present.rs` the
//! canonical presentation.
//! Every supported type is validated here once, whatever face the data came
//! through.

mod address;
mod api;
mod bitmap;
mod caa;
mod canonical;
mod charstr;
mod denial;
mod digest;
mod dnssec;
#[cfg(test)]
mod dnssec_tests;
mod dnssec_text;
mod generic;
mod loc;
mod names;
mod present;
mod priority;
mod reader;
mod rtype;
mod soa;
mod strings;
mod svcb;
#[cfg(test)]
mod tests;

use std::net::{Ipv4Addr, Ipv6Addr};

use serde::{Deserialize, Serialize};

use crate::name::{Name, NameError};
use crate::text::{self, Token};

pub use api::{ContentError, api_text_strings};
pub use bitmap::{TypeBitmap, TypeBitmapError};
pub use canonical::canonical_rrset_order;
pub use charstr::{CharStr, CharStrTooLong};
pub use dnssec_text::{base32hex_decode, base32hex_encode};
pub use rtype::RecordType;
pub use svcb::SvcParam;

use reader::{Fields, WireReader};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RdataError {
    #[error("record type {rtype} {reason}")]
    UnsupportedType { rtype: String, reason: String },
    #[error("{rtype} record: {reason}")]
    Invalid { rtype: String, reason: String },
    #[error("{rtype} record: {source}")]
    Name {
        rtype: String,
        #[source]
        source: NameError,
    },
    #[error("{rtype} record: {source}")]
    Token {
        rtype: String,
        #[source]
        source: text::TokenError,
    },
}

/// The most octets RDATA can have: its length is a 16-bit field (RFC 1035
/// §3.2.1), so a longer record could never be sent.
pub const MAX_RDATA_LEN: usize = 65_535;

fn check_wire_len(rtype: RecordType, len: usize) -> Result<(), RdataError> {
    if len > MAX_RDATA_LEN {
        return Err(RdataError::Invalid {
            rtype: rtype.to_string(),
            reason: format!(
                "RDATA is {len} octets in wire form; a record holds at most {MAX_RDATA_LEN}"
            ),
        });
    }
    Ok(())
}

/// The error for a type the `record_types!` table sent to a module that does
/// not own it (a table mistake, never user input).
fn misrouted(rtype: RecordType) -> RdataError {
    RdataError::Invalid {
        rtype: rtype.to_string(),
        reason: "has no parser in this build".into(),
    }
}

/// Typed RDATA. Names are canonical; MX/SRV priority is part of the data.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Rdata {
    A(Ipv4Addr),
    Aaaa(Ipv6Addr),
    Ns(Name),
    Cname(Name),
    Ptr(Name),
    Dname(Name),
    Mx {
        preference: u16,
        exchange: Name,
    },
    Txt(Vec<CharStr>),
    Spf(Vec<CharStr>),
    Srv {
        priority: u16,
        weight: u16,
        port: u16,
        target: Name,
    },
    Caa {
        flags: u8,
        tag: String,
        value: Vec<u8>,
    },
    Sshfp {
        algorithm: u8,
        fp_type: u8,
        fingerprint: Vec<u8>,
    },
    Tlsa {
        usage: u8,
        selector: u8,
        matching_type: u8,
        data: Vec<u8>,
    },
    Naptr {
        order: u16,
        preference: u16,
        flags: CharStr,
        services: CharStr,
        regexp: CharStr,
        replacement: Name,
    },
    Ds {
        key_tag: u16,
        algorithm: u8,
        digest_type: u8,
        digest: Vec<u8>,
    },
    Hinfo {
        cpu: CharStr,
        os: CharStr,
    },
    Loc {
        version: u8,
        size: u8,
        horiz_pre: u8,
        vert_pre: u8,
        latitude: u32,
        longitude: u32,
        altitude: u32,
    },
    Rp {
        mbox: Name,
        txt: Name,
    },
    Svcb {
        priority: u16,
        target: Name,
        params: Vec<SvcParam>,
    },
    Https {
        priority: u16,
        target: Name,
        params: Vec<SvcParam>,
    },
    Soa {
        mname: Name,
        rname: Name,
        serial: u32,
        refresh: u32,
        retry: u32,
        expire: u32,
        minimum: u32,
    },
    Dnskey {
        flags: u16,
        protocol: u8,
        algorithm: u8,
        public_key: Vec<u8>,
    },
    Cdnskey {
        flags: u16,
        protocol: u8,
        algorithm: u8,
        public_key: Vec<u8>,
    },
    Cds {
        key_tag: u16,
        algorithm: u8,
        digest_type: u8,
        digest: Vec<u8>,
    },
    Rrsig {
        type_covered: RecordType,
        algorithm: u8,
        labels: u8,
        original_ttl: u32,
        expiration: u32,
        inception: u32,
        key_tag: u16,
        signer: Name,
        signature: Vec<u8>,
    },
    Nsec {
        next: Name,
        types: TypeBitmap,
    },
    Nsec3 {
        hash_algorithm: u8,
        flags: u8,
        iterations: u16,
        salt: Vec<u8>,
        next_hashed: Vec<u8>,
        types: TypeBitmap,
    },
    Nsec3param {
        hash_algorithm: u8,
        flags: u8,
        iterations: u16,
        salt: Vec<u8>,
    },
    Unknown {
        rtype: RecordType,
        data: Vec<u8>,
    },
}

impl Serialize for Rdata {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut s = self.rtype().to_string();
        s.push(' ');
        s.push_str(&self.to_string());
        serializer.serialize_str(&s)
    }
}

impl<'de> Deserialize<'de> for Rdata {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let s = String::deserialize(deserializer)?;
        let (rtype, rest) = s.split_once(' ').unwrap_or((s.as_str(), ""));
        // Serde carries Tern's own records, signatures included.
        let rtype = RecordType::parse_trusted(rtype).map_err(serde::de::Error::custom)?;
        Rdata::parse_canonical(rtype, rest).map_err(serde::de::Error::custom)
    }
}

/// Where names inside RDATA are resolved: in a zone file relative names take
/// the origin (RFC 1035); through an API face hostnames are absolute with or
/// without the final dot, but a single label without one is refused with a
/// hint (`Name::parse_api_target`); the store's canonical text is absolute.
#[derive(Debug, Clone, Copy)]
pub enum NameContext<'a> {
    ZoneFile(&'a Name),
    /// API content for a record in this zone.
    Api(&'a Name),
    Absolute,
}

impl NameContext<'_> {
    fn parse(&self, rtype: RecordType, token: &Token) -> Result<Name, RdataError> {
        let result = match self {
            NameContext::ZoneFile(origin) => Name::parse_zone_file(&token.raw, origin),
            NameContext::Api(zone) => Name::parse_api_target(&token.raw, zone),
            NameContext::Absolute => Name::parse_absolute(&token.raw),
        };
        result.map_err(|source| RdataError::Name {
            rtype: rtype.to_string(),
            source,
        })
    }
}

impl Rdata {
    pub fn rtype(&self) -> RecordType {
        match self {
            Rdata::A(_) => RecordType::A,
            Rdata::Aaaa(_) => RecordType::AAAA,
            Rdata::Ns(_) => RecordType::NS,
            Rdata::Cname(_) => RecordType::CNAME,
            Rdata::Ptr(_) => RecordType::PTR,
            Rdata::Dname(_) => RecordType::DNAME,
            Rdata::Mx { .. } => RecordType::MX,
            Rdata::Txt(_) => RecordType::TXT,
            Rdata::Spf(_) => RecordType::SPF,
            Rdata::Srv { .. } => RecordType::SRV,
            Rdata::Caa { .. } => RecordType::CAA,
            Rdata::Sshfp { .. } => RecordType::SSHFP,
            Rdata::Tlsa { .. } => RecordType::TLSA,
            Rdata::Naptr { .. } => RecordType::NAPTR,
            Rdata::Ds { .. } => RecordType::DS,
            Rdata::Hinfo { .. } => RecordType::HINFO,
            Rdata::Loc { .. } => RecordType::LOC,
            Rdata::Rp { .. } => RecordType::RP,
            Rdata::Svcb { .. } => RecordType::SVCB,
            Rdata::Https { .. } => RecordType::HTTPS,
            Rdata::Soa { .. } => RecordType::SOA,
            Rdata::Dnskey { .. } => RecordType::DNSKEY,
            Rdata::Cdnskey { .. } => RecordType::CDNSKEY,
            Rdata::Cds { .. } => RecordType::CDS,
            Rdata::Rrsig { .. } => RecordType::RRSIG,
            Rdata::Nsec { .. } => RecordType::NSEC,
            Rdata::Nsec3 { .. } => RecordType::NSEC3,
            Rdata::Nsec3param { .. } => RecordType::NSEC3PARAM,
            Rdata::Unknown { rtype, .. } => *rtype,
        }
    }

    /// Parses RDATA given as presentation text through an API (names
    /// absolute). DNSSEC types are refused, as from any user.
    pub fn parse_text(rtype: RecordType, text: &str) -> Result<Rdata, RdataError> {
        if rtype.is_dnssec() {
            return Err(rtype::dnssec_refused(rtype));
        }
        Rdata::parse_text_trusted(rtype, text)
    }

    /// As `parse_text`, DNSSEC types accepted: only for Tern's own data
    /// (a signed zone it wrote, the signer, tests), never for user input.
    pub fn parse_text_trusted(rtype: RecordType, text: &str) -> Result<Rdata, RdataError> {
        let tokens = text::tokenize_line(text).map_err(|source| RdataError::Token {
            rtype: rtype.to_string(),
            source,
        })?;
        Rdata::parse_trusted(rtype, &tokens, NameContext::Absolute)
    }

    /// Parses the canonical presentation this type emits (used by the
    /// store, which holds the signer's records too).
    pub fn parse_canonical(rtype: RecordType, text: &str) -> Result<Rdata, RdataError> {
        Rdata::parse_text_trusted(rtype, text)
    }

    /// Parses RDATA from presentation tokens a user wrote (zone-file import,
    /// API content): DNSSEC types are refused, whatever the form, since
    /// only Tern's signer makes them.
    pub fn parse(
        rtype: RecordType,
        tokens: &[Token],
        ctx: NameContext<'_>,
    ) -> Result<Rdata, RdataError> {
        if rtype.is_dnssec() {
            return Err(rtype::dnssec_refused(rtype));
        }
        Rdata::parse_trusted(rtype, tokens, ctx)
    }

    /// As `parse`, DNSSEC types accepted: only for trusted input.
    pub fn parse_trusted(
        rtype: RecordType,
        tokens: &[Token],
        ctx: NameContext<'_>,
    ) -> Result<Rdata, RdataError> {
        if tokens.first().is_some_and(|t| t.raw == "\\#" && !t.quoted) {
            return generic::parse(rtype, &tokens[1..]);
        }
        let mut f = Fields {
            rtype,
            tokens,
            pos: 0,
        };
        let rdata = rtype.parse_fields(&mut f, ctx).unwrap_or_else(|| {
            Err(RdataError::Invalid {
                rtype: rtype.to_string(),
                reason: "unknown types must use the RFC 3597 form '\\# <length> <hex>'".into(),
            })
        })?;
        f.finish()?;
        check_wire_len(rtype, rdata.wire_len())?;
        Ok(rdata)
    }

    /// Decodes uncompressed wire-form RDATA.
    pub fn from_wire(rtype: RecordType, data: &[u8]) -> Result<Rdata, RdataError> {
        check_wire_len(rtype, data.len())?;
        let mut r = WireReader {
            rtype,
            data,
            pos: 0,
        };
        let rdata = match rtype.decode_wire(&mut r) {
            Some(result) => result?,
            None => {
                r.pos = data.len();
                Rdata::Unknown {
                    rtype,
                    data: data.to_vec(),
                }
            }
        };
        if !r.is_done() {
            return Err(r.invalid("trailing octets after the RDATA"));
        }
        Ok(rdata)
    }

    /// Uncompressed, canonical (RFC 4034 §6.2) wire form.
    pub fn to_wire(&self, out: &mut Vec<u8>) {
        match self {
            Rdata::A(a) => out.extend_from_slice(&a.octets()),
            Rdata::Aaaa(a) => out.extend_from_slice(&a.octets()),
            Rdata::Ns(n) | Rdata::Cname(n) | Rdata::Ptr(n) | Rdata::Dname(n) => n.to_wire(out),
            Rdata::Mx {
                preference,
                exchange,
            } => {
                out.extend_from_slice(&preference.to_be_bytes());
                exchange.to_wire(out);
            }
            Rdata::Txt(strings) | Rdata::Spf(strings) => {
                strings.iter().for_each(|s| s.to_wire(out))
            }
            Rdata::Srv {
                priority,
                weight,
                port,
                target,
            } => {
                out.extend_from_slice(&priority.to_be_bytes());
                out.extend_from_slice(&weight.to_be_bytes());
                out.extend_from_slice(&port.to_be_bytes());
                target.to_wire(out);
            }
            Rdata::Caa { flags, tag, value } => {
                out.push(*flags);
                out.push(tag.len() as u8);
                out.extend_from_slice(tag.as_bytes());
                out.extend_from_slice(value);
            }
            Rdata::Sshfp {
                algorithm,
                fp_type,
                fingerprint,
            } => {
                out.push(*algorithm);
                out.push(*fp_type);
                out.extend_from_slice(fingerprint);
            }
            Rdata::Tlsa {
                usage,
                selector,
                matching_type,
                data,
            } => {
                out.extend_from_slice(&[*usage, *selector, *matching_type]);
                out.extend_from_slice(data);
            }
            Rdata::Naptr {
                order,
                preference,
                flags,
                services,
                regexp,
                replacement,
            } => {
                out.extend_from_slice(&order.to_be_bytes());
                out.extend_from_slice(&preference.to_be_bytes());
                for s in [flags, services, regexp] {
                    s.to_wire(out);
                }
                replacement.to_wire(out);
            }
            Rdata::Ds {
                key_tag,
                algorithm,
                digest_type,
                digest,
            }
            | Rdata::Cds {
                key_tag,
                algorithm,
                digest_type,
                digest,
            } => {
                out.extend_from_slice(&key_tag.to_be_bytes());
                out.push(*algorithm);
                out.push(*digest_type);
                out.extend_from_slice(digest);
            }
            Rdata::Hinfo { cpu, os } => {
                cpu.to_wire(out);
                os.to_wire(out);
            }
            Rdata::Loc {
                version,
                size,
                horiz_pre,
                vert_pre,
                latitude,
                longitude,
                altitude,
            } => {
                out.extend_from_slice(&[*version, *size, *horiz_pre, *vert_pre]);
                out.extend_from_slice(&latitude.to_be_bytes());
                out.extend_from_slice(&longitude.to_be_bytes());
                out.extend_from_slice(&altitude.to_be_bytes());
            }
            Rdata::Rp { mbox, txt } => {
                mbox.to_wire(out);
                txt.to_wire(out);
            }
            Rdata::Svcb {
                priority,
                target,
                params,
            }
            | Rdata::Https {
                priority,
                target,
                params,
            } => {
                out.extend_from_slice(&priority.to_be_bytes());
                target.to_wire(out);
                svcb::params_to_wire(params, out);
            }
            Rdata::Soa {
                mname,
                rname,
                serial,
                refresh,
                retry,
                expire,
                minimum,
            } => {
                mname.to_wire(out);
                rname.to_wire(out);
                for v in [serial, refresh, retry, expire, minimum] {
                    out.extend_from_slice(&v.to_be_bytes());
                }
            }
            Rdata::Dnskey {
                flags,
                protocol,
                algorithm,
                public_key,
            }
            | Rdata::Cdnskey {
                flags,
                protocol,
                algorithm,
                public_key,
            } => {
                out.extend_from_slice(&flags.to_be_bytes());
                out.extend_from_slice(&[*protocol, *algorithm]);
                out.extend_from_slice(public_key);
            }
            Rdata::Rrsig {
                type_covered,
                algorithm,
                labels,
                original_ttl,
                expiration,
                inception,
                key_tag,
                signer,
                signature,
            } => {
                out.extend_from_slice(&type_covered.0.to_be_bytes());
                out.extend_from_slice(&[*algorithm, *labels]);
                for v in [original_ttl, expiration, inception] {
                    out.extend_from_slice(&v.to_be_bytes());
                }
                out.extend_from_slice(&key_tag.to_be_bytes());
                // Lower case by construction (Name), as RFC 4034 §6.2 wants.
                signer.to_wire(out);
                out.extend_from_slice(signature);
            }
            Rdata::Nsec { next, types } => {
                next.to_wire(out);
                types.to_wire(out);
            }
            Rdata::Nsec3 {
                hash_algorithm,
                flags,
                iterations,
                salt,
                next_hashed,
                types,
            } => {
                out.extend_from_slice(&[*hash_algorithm, *flags]);
                out.extend_from_slice(&iterations.to_be_bytes());
                // Lengths fit one octet: both parsers refuse longer values.
                out.push(salt.len() as u8);
                out.extend_from_slice(salt);
                out.push(next_hashed.len() as u8);
                out.extend_from_slice(next_hashed);
                types.to_wire(out);
            }
            Rdata::Nsec3param {
                hash_algorithm,
                flags,
                iterations,
                salt,
            } => {
                out.extend_from_slice(&[*hash_algorithm, *flags]);
                out.extend_from_slice(&iterations.to_be_bytes());
                out.push(salt.len() as u8);
                out.extend_from_slice(salt);
            }
            Rdata::Unknown { data, .. } => out.extend_from_slice(data),
        }
    }

    /// Octets of the uncompressed wire form, without building it.
    pub fn wire_len(&self) -> usize {
        let strings = |s: &[CharStr]| s.iter().map(|s| s.len() + 1).sum::<usize>();
        match self {
            Rdata::A(_) => 4,
            Rdata::Aaaa(_) => 16,
            Rdata::Ns(n) | Rdata::Cname(n) | Rdata::Ptr(n) | Rdata::Dname(n) => n.wire_len(),
            Rdata::Mx { exchange, .. } => 2 + exchange.wire_len(),
            Rdata::Txt(s) | Rdata::Spf(s) => strings(s),
            Rdata::Srv { target, .. } => 6 + target.wire_len(),
            Rdata::Caa { tag, value, .. } => 2 + tag.len() + value.len(),
            Rdata::Sshfp { fingerprint, .. } => 2 + fingerprint.len(),
            Rdata::Tlsa { data, .. } => 3 + data.len(),
            Rdata::Naptr {
                flags,
                services,
                regexp,
                replacement,
                ..
            } => 7 + flags.len() + services.len() + regexp.len() + replacement.wire_len(),
            Rdata::Ds { digest, .. } | Rdata::Cds { digest, .. } => 4 + digest.len(),
            Rdata::Hinfo { cpu, os } => cpu.len() + os.len() + 2,
            Rdata::Loc { .. } => 16,
            Rdata::Rp { mbox, txt } => mbox.wire_len() + txt.wire_len(),
            Rdata::Svcb { target, params, .. } | Rdata::Https { target, params, .. } => {
                2 + target.wire_len() + params.iter().map(|p| 4 + p.value.len()).sum::<usize>()
            }
            Rdata::Soa { mname, rname, .. } => mname.wire_len() + rname.wire_len() + 20,
            Rdata::Dnskey { public_key, .. } | Rdata::Cdnskey { public_key, .. } => {
                4 + public_key.len()
            }
            Rdata::Rrsig {
                signer, signature, ..
            } => 18 + signer.wire_len() + signature.len(),
            Rdata::Nsec { next, types } => next.wire_len() + types.wire_len(),
            Rdata::Nsec3 {
                salt,
                next_hashed,
                types,
                ..
            } => 6 + salt.len() + next_hashed.len() + types.wire_len(),
            Rdata::Nsec3param { salt, .. } => 5 + salt.len(),
            Rdata::Unknown { data, .. } => data.len(),
        }
    }

    pub fn wire(&self) -> Vec<u8> {
        let mut out = Vec::new();
        self.to_wire(&mut out);
        out
    }

    /// Hostnames this RDATA points at (for additional-section processing and
    /// for the zone rules).
    pub fn target_name(&self) -> Option<&Name> {
        match self {
            Rdata::Ns(n) | Rdata::Cname(n) | Rdata::Ptr(n) | Rdata::Dname(n) => Some(n),
            Rdata::Mx { exchange, .. } => Some(exchange),
            Rdata::Srv { target, .. }
            | Rdata::Svcb { target, .. }
            | Rdata::Https { target, .. } => Some(target),
            _ => None,
        }
    }

    /// MX preference or SRV priority, which some dialects show as a separate field.
    pub fn priority(&self) -> Option<u16> {
        match self {
            Rdata::Mx { preference, .. } => Some(*preference),
            Rdata::Srv { priority, .. } => Some(*priority),
            _ => None,
        }
    }

    /// Presentation without the MX preference / SRV priority field.
    pub fn content_without_priority(&self) -> String {
        let full = self.to_string();
        match self {
            Rdata::Mx { .. } | Rdata::Srv { .. } => full
                .split_once(' ')
                .map(|(_, rest)| rest.to_string())
                .unwrap_or(full),
            _ => full,
        }
    }
}
