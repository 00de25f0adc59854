//! Typed RDATA: the `Rdata` enum and its dispatch. Each record type's
//! parsing from presentation tokens and decoding from wire form lives in its
//! own module (routed by the `record_types!` table in `rtype.rs`); this module
//! holds the entry points, canonical presentation and uncompressed wire form.
//! Every supported type is validated here once, whatever face the data came
//! through.

mod address;
mod api;
mod caa;
mod charstr;
mod digest;
mod generic;
mod loc;
mod names;
mod priority;
mod reader;
mod rtype;
mod soa;
mod strings;
mod svcb;
#[cfg(test)]
mod tests;

use std::fmt::{self, Write};
use std::net::{Ipv4Addr, Ipv6Addr};

use serde::{Deserialize, Serialize};

use crate::name::{Name, NameError};
use crate::text::{self, Token, hex_encode, write_quoted};

pub use api::{ContentError, api_text_strings};
pub use charstr::{CharStr, CharStrTooLong};
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
        let rtype = RecordType::parse(rtype).map_err(serde::de::Error::custom)?;
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
            Rdata::Unknown { rtype, .. } => *rtype,
        }
    }

    /// Parses RDATA given as presentation text through an API (names absolute).
    pub fn parse_text(rtype: RecordType, text: &str) -> Result<Rdata, RdataError> {
        let tokens = text::tokenize_line(text).map_err(|source| RdataError::Token {
            rtype: rtype.to_string(),
            source,
        })?;
        Rdata::parse(rtype, &tokens, NameContext::Absolute)
    }

    /// Parses the canonical presentation this type emits (used by the store).
    pub fn parse_canonical(rtype: RecordType, text: &str) -> Result<Rdata, RdataError> {
        Rdata::parse_text(rtype, text)
    }

    /// Parses RDATA from presentation tokens.
    pub fn parse(
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
            Rdata::Ds { digest, .. } => 4 + digest.len(),
            Rdata::Hinfo { cpu, os } => cpu.len() + os.len() + 2,
            Rdata::Loc { .. } => 16,
            Rdata::Rp { mbox, txt } => mbox.wire_len() + txt.wire_len(),
            Rdata::Svcb { target, params, .. } | Rdata::Https { target, params, .. } => {
                2 + target.wire_len() + params.iter().map(|p| 4 + p.value.len()).sum::<usize>()
            }
            Rdata::Soa { mname, rname, .. } => mname.wire_len() + rname.wire_len() + 20,
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

impl fmt::Display for Rdata {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut out = String::new();
        match self {
            Rdata::A(a) => write!(out, "{a}")?,
            Rdata::Aaaa(a) => write!(out, "{a}")?,
            Rdata::Ns(n) | Rdata::Cname(n) | Rdata::Ptr(n) | Rdata::Dname(n) => {
                out.push_str(n.as_str())
            }
            Rdata::Mx {
                preference,
                exchange,
            } => write!(out, "{preference} {exchange}")?,
            Rdata::Txt(strings) | Rdata::Spf(strings) => strings::write_strings(&mut out, strings),
            Rdata::Srv {
                priority,
                weight,
                port,
                target,
            } => write!(out, "{priority} {weight} {port} {target}")?,
            Rdata::Caa { flags, tag, value } => {
                write!(out, "{flags} {tag} ")?;
                write_quoted(&mut out, value);
            }
            Rdata::Sshfp {
                algorithm,
                fp_type,
                fingerprint,
            } => write!(out, "{algorithm} {fp_type} {}", hex_encode(fingerprint))?,
            Rdata::Tlsa {
                usage,
                selector,
                matching_type,
                data,
            } => write!(
                out,
                "{usage} {selector} {matching_type} {}",
                hex_encode(data)
            )?,
            Rdata::Naptr {
                order,
                preference,
                flags,
                services,
                regexp,
                replacement,
            } => {
                write!(out, "{order} {preference} ")?;
                for s in [flags, services, regexp] {
                    s.write_presentation(&mut out);
                    out.push(' ');
                }
                out.push_str(replacement.as_str());
            }
            Rdata::Ds {
                key_tag,
                algorithm,
                digest_type,
                digest,
            } => write!(
                out,
                "{key_tag} {algorithm} {digest_type} {}",
                hex_encode(digest)
            )?,
            Rdata::Hinfo { cpu, os } => strings::write_strings(&mut out, [cpu, os]),
            Rdata::Loc {
                size,
                horiz_pre,
                vert_pre,
                latitude,
                longitude,
                altitude,
                ..
            } => loc::write_loc(
                &mut out, *size, *horiz_pre, *vert_pre, *latitude, *longitude, *altitude,
            )?,
            Rdata::Rp { mbox, txt } => write!(out, "{mbox} {txt}")?,
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
                write!(out, "{priority} {target}")?;
                for p in params {
                    out.push(' ');
                    svcb::write_svc_param(&mut out, p);
                }
            }
            Rdata::Soa {
                mname,
                rname,
                serial,
                refresh,
                retry,
                expire,
                minimum,
            } => write!(
                out,
                "{mname} {rname} {serial} {refresh} {retry} {expire} {minimum}"
            )?,
            Rdata::Unknown { data, .. } => generic::write(&mut out, data),
        }
        f.write_str(&out)
    }
}
