//! Record types and typed RDATA: parsing from presentation tokens, canonical
//! presentation, and uncompressed wire form both ways. Every supported type is
//! validated here once, whatever face the data came through.

use std::fmt::{self, Write};
use std::net::{Ipv4Addr, Ipv6Addr};

use base64::Engine;
use serde::{Deserialize, Serialize};

use crate::name::{Name, NameError};
use crate::text::{self, Token, hex_decode, hex_encode, parse_ttl, unescape, write_quoted};

/// A record type number with its mnemonic.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct RecordType(pub u16);

macro_rules! record_types {
    ($($name:ident = $num:expr),* $(,)?) => {
        impl RecordType {
            $(pub const $name: RecordType = RecordType($num);)*

            /// The mnemonic for types Tern knows by name.
            pub fn mnemonic(self) -> Option<&'static str> {
                match self.0 {
                    $($num => Some(stringify!($name)),)*
                    _ => None,
                }
            }

            fn from_known_mnemonic(text: &str) -> Option<RecordType> {
                match text {
                    $(stringify!($name) => Some(RecordType($num)),)*
                    _ => None,
                }
            }
        }
    };
}

record_types! {
    A = 1, NS = 2, CNAME = 5, SOA = 6, PTR = 12, HINFO = 13, MX = 15, TXT = 16,
    RP = 17, AAAA = 28, LOC = 29, SRV = 33, NAPTR = 35, DNAME = 39, DS = 43,
    SSHFP = 44, TLSA = 52, SVCB = 64, HTTPS = 65, SPF = 99, CAA = 257,
}

/// Types that have a mnemonic elsewhere but that Tern refuses by name, with the
/// reason a user sees.
fn refused_mnemonic(text: &str) -> Option<&'static str> {
    Some(match text {
        "MD" | "MF" | "MB" | "MG" | "MR" | "MINFO" | "NULL" | "WKS" => {
            "is obsolete (RFC 1035/RFC 2505) and not served"
        }
        "ALIAS" | "ANAME" | "LUA" => "is a vendor pseudo-type, not a DNS record type",
        "RRSIG" | "NSEC" | "NSEC3" | "NSEC3PARAM" | "DNSKEY" | "CDS" | "CDNSKEY" => {
            "is DNSSEC data that Tern generates itself"
        }
        "OPT" | "TSIG" | "TKEY" | "IXFR" | "AXFR" | "ANY" | "MAILA" | "MAILB" => {
            "is a meta type and cannot be stored"
        }
        _ => return None,
    })
}

impl RecordType {
    /// Parses a mnemonic (case-insensitive) or the RFC 3597 `TYPEnnn` form.
    pub fn parse(text: &str) -> Result<RecordType, RdataError> {
        let upper = text.trim().to_ascii_uppercase();
        if let Some(t) = RecordType::from_known_mnemonic(&upper) {
            return Ok(t);
        }
        if let Some(reason) = refused_mnemonic(&upper) {
            return Err(RdataError::UnsupportedType {
                rtype: upper,
                reason: reason.to_string(),
            });
        }
        if let Some(num) = upper.strip_prefix("TYPE")
            && let Ok(n) = num.parse::<u16>()
        {
            let rtype = RecordType(n);
            if matches!(n, 0 | 41 | 249..=255) {
                return Err(RdataError::UnsupportedType {
                    rtype: upper,
                    reason: "is a meta type and cannot be stored".into(),
                });
            }
            return Ok(rtype);
        }
        Err(RdataError::UnsupportedType {
            rtype: text.trim().to_string(),
            reason: "is not supported by name; RFC 3597 form (TYPEnnn \\# <length> <hex>) stores any type opaquely".into(),
        })
    }

    /// Whether `TYPEnnn` data for this type may be stored opaquely.
    pub fn is_known(self) -> bool {
        self.mnemonic().is_some()
    }
}

impl fmt::Display for RecordType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.mnemonic() {
            Some(m) => f.write_str(m),
            None => write!(f, "TYPE{}", self.0),
        }
    }
}

impl fmt::Debug for RecordType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl TryFrom<String> for RecordType {
    type Error = RdataError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        RecordType::parse(&value)
    }
}

impl From<RecordType> for String {
    fn from(value: RecordType) -> Self {
        value.to_string()
    }
}

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

/// SVCB/HTTPS parameters (RFC 9460) are kept in wire form, sorted by key.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct SvcParam {
    pub key: u16,
    pub value: Vec<u8>,
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
    Txt(Vec<Vec<u8>>),
    Spf(Vec<Vec<u8>>),
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
        flags: Vec<u8>,
        services: Vec<u8>,
        regexp: Vec<u8>,
        replacement: Name,
    },
    Ds {
        key_tag: u16,
        algorithm: u8,
        digest_type: u8,
        digest: Vec<u8>,
    },
    Hinfo {
        cpu: Vec<u8>,
        os: Vec<u8>,
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
/// the origin; through an API every hostname is absolute.
#[derive(Debug, Clone, Copy)]
pub enum NameContext<'a> {
    ZoneFile(&'a Name),
    Absolute,
}

impl NameContext<'_> {
    fn parse(&self, rtype: RecordType, token: &Token) -> Result<Name, RdataError> {
        let result = match self {
            NameContext::ZoneFile(origin) => Name::parse_zone_file(&token.raw, origin),
            NameContext::Absolute => Name::parse_absolute(&token.raw),
        };
        result.map_err(|source| RdataError::Name {
            rtype: rtype.to_string(),
            source,
        })
    }
}

struct Fields<'a> {
    rtype: RecordType,
    tokens: &'a [Token],
    pos: usize,
}

impl<'a> Fields<'a> {
    fn invalid(&self, reason: impl Into<String>) -> RdataError {
        RdataError::Invalid {
            rtype: self.rtype.to_string(),
            reason: reason.into(),
        }
    }

    fn next(&mut self, what: &str) -> Result<&'a Token, RdataError> {
        let token = self
            .tokens
            .get(self.pos)
            .ok_or_else(|| self.invalid(format!("missing {what}")))?;
        self.pos += 1;
        Ok(token)
    }

    fn peek(&self) -> Option<&'a Token> {
        self.tokens.get(self.pos)
    }

    fn number<T: std::str::FromStr>(&mut self, what: &str) -> Result<T, RdataError> {
        let token = self.next(what)?;
        token.raw.parse::<T>().map_err(|_| {
            self.invalid(format!(
                "{what} '{}' is not a valid number in range",
                token.raw
            ))
        })
    }

    fn ttl_like(&mut self, what: &str) -> Result<u32, RdataError> {
        let token = self.next(what)?;
        parse_ttl(&token.raw).ok_or_else(|| {
            self.invalid(format!("{what} '{}' is not a valid time value", token.raw))
        })
    }

    fn name(&mut self, what: &str, ctx: NameContext<'_>) -> Result<Name, RdataError> {
        let token = self.next(what)?;
        ctx.parse(self.rtype, token)
    }

    fn char_string(&mut self, what: &str) -> Result<Vec<u8>, RdataError> {
        let token = self.next(what)?;
        let data = unescape(&token.raw).map_err(|source| RdataError::Token {
            rtype: self.rtype.to_string(),
            source,
        })?;
        if data.len() > 255 {
            return Err(self.invalid(format!(
                "{what} is {} octets long; a character-string holds at most 255",
                data.len()
            )));
        }
        Ok(data)
    }

    fn rest_hex(&mut self, what: &str) -> Result<Vec<u8>, RdataError> {
        let joined: String = self.tokens[self.pos.min(self.tokens.len())..]
            .iter()
            .map(|t| t.raw.as_str())
            .collect();
        self.pos = self.tokens.len();
        if joined.is_empty() {
            return Err(self.invalid(format!("missing {what}")));
        }
        hex_decode(&joined).ok_or_else(|| self.invalid(format!("{what} is not valid hexadecimal")))
    }

    fn finish(&self) -> Result<(), RdataError> {
        if self.pos < self.tokens.len() {
            let extra: Vec<&str> = self.tokens[self.pos..]
                .iter()
                .map(|t| t.raw.as_str())
                .collect();
            return Err(self.invalid(format!("unexpected extra data '{}'", extra.join(" "))));
        }
        Ok(())
    }
}

impl Rdata {
    /// TXT or SPF, which share their format.
    fn text_strings(rtype: RecordType, strings: Vec<Vec<u8>>) -> Rdata {
        if rtype == RecordType::SPF {
            Rdata::Spf(strings)
        } else {
            Rdata::Txt(strings)
        }
    }

    /// SVCB or HTTPS, which share their format (RFC 9460).
    fn service_binding(
        rtype: RecordType,
        priority: u16,
        target: Name,
        params: Vec<SvcParam>,
    ) -> Rdata {
        if rtype == RecordType::HTTPS {
            Rdata::Https {
                priority,
                target,
                params,
            }
        } else {
            Rdata::Svcb {
                priority,
                target,
                params,
            }
        }
    }

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
            return Rdata::parse_generic(rtype, &tokens[1..]);
        }
        let mut f = Fields {
            rtype,
            tokens,
            pos: 0,
        };
        let rdata = match rtype {
            RecordType::A => {
                let t = f.next("address")?;
                Rdata::A(
                    t.raw
                        .parse()
                        .map_err(|_| f.invalid(format!("'{}' is not an IPv4 address", t.raw)))?,
                )
            }
            RecordType::AAAA => {
                let t = f.next("address")?;
                Rdata::Aaaa(
                    t.raw
                        .parse()
                        .map_err(|_| f.invalid(format!("'{}' is not an IPv6 address", t.raw)))?,
                )
            }
            RecordType::NS => Rdata::Ns(f.name("nameserver", ctx)?),
            RecordType::CNAME => Rdata::Cname(f.name("target", ctx)?),
            RecordType::PTR => Rdata::Ptr(f.name("target", ctx)?),
            RecordType::DNAME => Rdata::Dname(f.name("target", ctx)?),
            RecordType::MX => Rdata::Mx {
                preference: f.number("preference")?,
                exchange: f.name("exchange", ctx)?,
            },
            RecordType::TXT | RecordType::SPF => {
                let mut strings = Vec::new();
                while let Some(token) = f.peek() {
                    f.pos += 1;
                    let data = unescape(&token.raw).map_err(|source| RdataError::Token {
                        rtype: rtype.to_string(),
                        source,
                    })?;
                    // Long strings are split into 255-octet pieces, as PowerDNS
                    // and BIND do on load; dialects that must refuse them check
                    // before calling the core.
                    if data.is_empty() {
                        strings.push(data);
                    } else {
                        strings.extend(data.chunks(255).map(<[u8]>::to_vec));
                    }
                }
                if strings.is_empty() {
                    return Err(f.invalid("needs at least one string"));
                }
                Rdata::text_strings(rtype, strings)
            }
            RecordType::SRV => Rdata::Srv {
                priority: f.number("priority")?,
                weight: f.number("weight")?,
                port: f.number("port")?,
                target: f.name("target", ctx)?,
            },
            RecordType::CAA => {
                let flags = f.number("flags")?;
                let tag_token = f.next("tag")?;
                let tag = tag_token.raw.to_ascii_lowercase();
                if tag.is_empty()
                    || tag.len() > 255
                    || !tag.bytes().all(|b| b.is_ascii_alphanumeric())
                {
                    return Err(f.invalid(format!(
                        "tag '{}' must be 1-255 letters and digits",
                        tag_token.raw
                    )));
                }
                let value_token = f.next("value")?;
                let value = unescape(&value_token.raw).map_err(|source| RdataError::Token {
                    rtype: rtype.to_string(),
                    source,
                })?;
                Rdata::Caa { flags, tag, value }
            }
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
            RecordType::NAPTR => Rdata::Naptr {
                order: f.number("order")?,
                preference: f.number("preference")?,
                flags: f.char_string("flags")?,
                services: f.char_string("services")?,
                regexp: f.char_string("regexp")?,
                replacement: f.name("replacement", ctx)?,
            },
            RecordType::DS => Rdata::Ds {
                key_tag: f.number("key tag")?,
                algorithm: f.number("algorithm")?,
                digest_type: f.number("digest type")?,
                digest: f.rest_hex("digest")?,
            },
            RecordType::HINFO => Rdata::Hinfo {
                cpu: f.char_string("cpu")?,
                os: f.char_string("os")?,
            },
            RecordType::LOC => parse_loc(&mut f)?,
            RecordType::RP => Rdata::Rp {
                mbox: f.name("mailbox", ctx)?,
                txt: f.name("TXT owner", ctx)?,
            },
            RecordType::SVCB | RecordType::HTTPS => {
                let priority = f.number("priority")?;
                let target = f.name("target", ctx)?;
                let params = parse_svc_params(&mut f)?;
                Rdata::service_binding(rtype, priority, target, params)
            }
            RecordType::SOA => Rdata::Soa {
                mname: f.name("primary nameserver", ctx)?,
                rname: f.name("responsible mailbox", ctx)?,
                serial: f.number("serial")?,
                refresh: f.ttl_like("refresh")?,
                retry: f.ttl_like("retry")?,
                expire: f.ttl_like("expire")?,
                minimum: f.ttl_like("minimum")?,
            },
            other => {
                return Err(RdataError::Invalid {
                    rtype: other.to_string(),
                    reason: "unknown types must use the RFC 3597 form '\\# <length> <hex>'".into(),
                });
            }
        };
        f.finish()?;
        Ok(rdata)
    }

    /// RFC 3597 `\# <length> <hex>`; known types are decoded into their typed
    /// form so the same data always has one representation.
    fn parse_generic(rtype: RecordType, tokens: &[Token]) -> Result<Rdata, RdataError> {
        let invalid = |reason: String| RdataError::Invalid {
            rtype: rtype.to_string(),
            reason,
        };
        let length: usize = tokens
            .first()
            .and_then(|t| t.raw.parse().ok())
            .ok_or_else(|| invalid("generic RDATA needs a length after '\\#'".into()))?;
        let hex: String = tokens[1..].iter().map(|t| t.raw.as_str()).collect();
        let data = hex_decode(&hex)
            .ok_or_else(|| invalid("generic RDATA is not valid hexadecimal".into()))?;
        if data.len() != length {
            return Err(invalid(format!(
                "generic RDATA length {length} does not match the {} octets given",
                data.len()
            )));
        }
        Rdata::from_wire(rtype, &data)
    }

    /// Decodes uncompressed wire-form RDATA.
    pub fn from_wire(rtype: RecordType, data: &[u8]) -> Result<Rdata, RdataError> {
        let mut r = WireReader {
            rtype,
            data,
            pos: 0,
        };
        let rdata = match rtype {
            RecordType::A => {
                let b = r.take(4)?;
                Rdata::A(Ipv4Addr::new(b[0], b[1], b[2], b[3]))
            }
            RecordType::AAAA => {
                let b: [u8; 16] = r
                    .take(16)?
                    .try_into()
                    .map_err(|_| r.invalid("short address"))?;
                Rdata::Aaaa(Ipv6Addr::from(b))
            }
            RecordType::NS => Rdata::Ns(r.name()?),
            RecordType::CNAME => Rdata::Cname(r.name()?),
            RecordType::PTR => Rdata::Ptr(r.name()?),
            RecordType::DNAME => Rdata::Dname(r.name()?),
            RecordType::MX => Rdata::Mx {
                preference: r.u16()?,
                exchange: r.name()?,
            },
            RecordType::TXT | RecordType::SPF => {
                let mut strings = Vec::new();
                while r.pos < data.len() {
                    strings.push(r.char_string()?);
                }
                if strings.is_empty() {
                    return Err(r.invalid("needs at least one string"));
                }
                Rdata::text_strings(rtype, strings)
            }
            RecordType::SRV => Rdata::Srv {
                priority: r.u16()?,
                weight: r.u16()?,
                port: r.u16()?,
                target: r.name()?,
            },
            RecordType::CAA => {
                let flags = r.u8()?;
                let tag_len = r.u8()? as usize;
                let tag = String::from_utf8(r.take(tag_len)?.to_vec())
                    .map_err(|_| r.invalid("tag is not ASCII"))?
                    .to_ascii_lowercase();
                if tag.is_empty() || !tag.bytes().all(|b| b.is_ascii_alphanumeric()) {
                    return Err(r.invalid("tag must be letters and digits"));
                }
                Rdata::Caa {
                    flags,
                    tag,
                    value: r.rest().to_vec(),
                }
            }
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
            RecordType::NAPTR => Rdata::Naptr {
                order: r.u16()?,
                preference: r.u16()?,
                flags: r.char_string()?,
                services: r.char_string()?,
                regexp: r.char_string()?,
                replacement: r.name()?,
            },
            RecordType::DS => Rdata::Ds {
                key_tag: r.u16()?,
                algorithm: r.u8()?,
                digest_type: r.u8()?,
                digest: r.rest_nonempty("digest")?,
            },
            RecordType::HINFO => Rdata::Hinfo {
                cpu: r.char_string()?,
                os: r.char_string()?,
            },
            RecordType::LOC => {
                let version = r.u8()?;
                if version != 0 {
                    return Err(r.invalid("only LOC version 0 is defined"));
                }
                let mut precision = || -> Result<u8, RdataError> {
                    let octet = r.u8()?;
                    let (mantissa, exponent) = (octet >> 4, octet & 0x0f);
                    if mantissa > 9 || exponent > 9 {
                        return Err(r.invalid("LOC size/precision digits must be 0-9"));
                    }
                    // 0 × 10^e is 0 whatever e is: keep one representation.
                    Ok(if mantissa == 0 { 0 } else { octet })
                };
                let size = precision()?;
                let horiz_pre = precision()?;
                let vert_pre = precision()?;
                Rdata::Loc {
                    version,
                    size,
                    horiz_pre,
                    vert_pre,
                    latitude: r.u32()?,
                    longitude: r.u32()?,
                    altitude: r.u32()?,
                }
            }
            RecordType::RP => Rdata::Rp {
                mbox: r.name()?,
                txt: r.name()?,
            },
            RecordType::SVCB | RecordType::HTTPS => {
                let priority = r.u16()?;
                let target = r.name()?;
                let mut params: Vec<SvcParam> = Vec::new();
                while r.pos < data.len() {
                    let key = r.u16()?;
                    let len = r.u16()? as usize;
                    let value = r.take(len)?.to_vec();
                    if params.last().is_some_and(|p| p.key >= key) {
                        return Err(r.invalid(
                            "service parameters must be in strictly increasing key order",
                        ));
                    }
                    params.push(SvcParam { key, value });
                }
                Rdata::service_binding(rtype, priority, target, params)
            }
            RecordType::SOA => Rdata::Soa {
                mname: r.name()?,
                rname: r.name()?,
                serial: r.u32()?,
                refresh: r.u32()?,
                retry: r.u32()?,
                expire: r.u32()?,
                minimum: r.u32()?,
            },
            other => {
                r.pos = data.len();
                Rdata::Unknown {
                    rtype: other,
                    data: data.to_vec(),
                }
            }
        };
        if r.pos != data.len() {
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
                for s in strings {
                    out.push(s.len() as u8);
                    out.extend_from_slice(s);
                }
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
                    out.push(s.len() as u8);
                    out.extend_from_slice(s);
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
                for s in [cpu, os] {
                    out.push(s.len() as u8);
                    out.extend_from_slice(s);
                }
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
                for p in params {
                    out.extend_from_slice(&p.key.to_be_bytes());
                    out.extend_from_slice(&(p.value.len() as u16).to_be_bytes());
                    out.extend_from_slice(&p.value);
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
            Rdata::Txt(strings) | Rdata::Spf(strings) => {
                for (i, s) in strings.iter().enumerate() {
                    if i > 0 {
                        out.push(' ');
                    }
                    write_quoted(&mut out, s);
                }
            }
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
                    write_quoted(&mut out, s);
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
            Rdata::Hinfo { cpu, os } => {
                write_quoted(&mut out, cpu);
                out.push(' ');
                write_quoted(&mut out, os);
            }
            Rdata::Loc {
                size,
                horiz_pre,
                vert_pre,
                latitude,
                longitude,
                altitude,
                ..
            } => write_loc(
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
                    write_svc_param(&mut out, p);
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
            Rdata::Unknown { data, .. } => {
                write!(out, "\\# {}", data.len())?;
                if !data.is_empty() {
                    write!(out, " {}", hex_encode(data))?;
                }
            }
        }
        f.write_str(&out)
    }
}

struct WireReader<'a> {
    rtype: RecordType,
    data: &'a [u8],
    pos: usize,
}

impl<'a> WireReader<'a> {
    fn invalid(&self, reason: &str) -> RdataError {
        RdataError::Invalid {
            rtype: self.rtype.to_string(),
            reason: reason.to_string(),
        }
    }

    fn take(&mut self, n: usize) -> Result<&'a [u8], RdataError> {
        let end = self.pos.checked_add(n).filter(|&e| e <= self.data.len());
        let end = end.ok_or_else(|| self.invalid("RDATA is too short"))?;
        let slice = &self.data[self.pos..end];
        self.pos = end;
        Ok(slice)
    }

    fn u8(&mut self) -> Result<u8, RdataError> {
        Ok(self.take(1)?[0])
    }

    fn u16(&mut self) -> Result<u16, RdataError> {
        let b = self.take(2)?;
        Ok(u16::from_be_bytes([b[0], b[1]]))
    }

    fn u32(&mut self) -> Result<u32, RdataError> {
        let b = self.take(4)?;
        Ok(u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
    }

    fn char_string(&mut self) -> Result<Vec<u8>, RdataError> {
        let len = self.u8()? as usize;
        Ok(self.take(len)?.to_vec())
    }

    fn rest(&mut self) -> &'a [u8] {
        let slice = &self.data[self.pos..];
        self.pos = self.data.len();
        slice
    }

    fn rest_nonempty(&mut self, what: &str) -> Result<Vec<u8>, RdataError> {
        let rest = self.rest();
        if rest.is_empty() {
            return Err(self.invalid(&format!("missing {what}")));
        }
        Ok(rest.to_vec())
    }

    /// An uncompressed wire name; compression pointers are refused because
    /// stored RDATA must stand alone.
    fn name(&mut self) -> Result<Name, RdataError> {
        let mut labels: Vec<&[u8]> = Vec::new();
        loop {
            let len = self.u8()? as usize;
            if len == 0 {
                break;
            }
            if len > 63 {
                return Err(self.invalid("compressed or invalid name in RDATA"));
            }
            labels.push(self.take(len)?);
        }
        Name::from_labels(labels).map_err(|source| RdataError::Name {
            rtype: self.rtype.to_string(),
            source,
        })
    }
}

// ---- LOC (RFC 1876) ----

const LOC_EQUATOR: i64 = 1 << 31;
const LOC_ALT_BASE: i64 = 10_000_000; // centimetres below the reference spheroid

fn parse_loc(f: &mut Fields<'_>) -> Result<Rdata, RdataError> {
    let latitude = parse_loc_coordinate(f, 'N', 'S', 90)?;
    let longitude = parse_loc_coordinate(f, 'E', 'W', 180)?;
    let alt_token = f.next("altitude")?;
    let alt_m = parse_metres(&alt_token.raw)
        .filter(|m| (-100_000.0..=42_849_672.95).contains(m))
        .ok_or_else(|| f.invalid(format!("altitude '{}' is out of range", alt_token.raw)))?;
    let altitude = (LOC_ALT_BASE + (alt_m * 100.0).round() as i64) as u32;
    let mut precision = |what: &str, default: u8| -> Result<u8, RdataError> {
        match f.peek() {
            None => Ok(default),
            Some(t) => {
                f.pos += 1;
                parse_metres(&t.raw)
                    .and_then(encode_loc_precision)
                    .ok_or_else(|| f.invalid(format!("{what} '{}' is out of range", t.raw)))
            }
        }
    };
    let size = precision("size", 0x12)?;
    let horiz_pre = precision("horizontal precision", 0x16)?;
    let vert_pre = precision("vertical precision", 0x13)?;
    Ok(Rdata::Loc {
        version: 0,
        size,
        horiz_pre,
        vert_pre,
        latitude,
        longitude,
        altitude,
    })
}

fn parse_loc_coordinate(
    f: &mut Fields<'_>,
    pos: char,
    neg: char,
    max_deg: i64,
) -> Result<u32, RdataError> {
    let what = if max_deg == 90 {
        "latitude"
    } else {
        "longitude"
    };
    let mut parts: Vec<String> = Vec::new();
    let hemisphere = loop {
        let token = f.next(what)?;
        let upper = token.raw.to_ascii_uppercase();
        if upper.len() == 1 && (upper.starts_with(pos) || upper.starts_with(neg)) {
            break upper.starts_with(neg);
        }
        if parts.len() == 3 {
            return Err(f.invalid(format!("{what} needs '{pos}' or '{neg}'")));
        }
        parts.push(token.raw.clone());
    };
    let bad = || f.invalid(format!("{what} '{}' is not valid", parts.join(" ")));
    let degrees: i64 = parts.first().and_then(|p| p.parse().ok()).ok_or_else(bad)?;
    let minutes: i64 = match parts.get(1) {
        Some(p) => p
            .parse()
            .ok()
            .filter(|m| (0..60).contains(m))
            .ok_or_else(bad)?,
        None => 0,
    };
    let millis: i64 = match parts.get(2) {
        Some(p) => {
            let secs: f64 = p
                .parse()
                .ok()
                .filter(|s| (0.0..60.0).contains(s))
                .ok_or_else(bad)?;
            (secs * 1000.0).round() as i64
        }
        None => 0,
    };
    let total = ((degrees * 60 + minutes) * 60) * 1000 + millis;
    if degrees < 0 || total > max_deg * 3_600_000 {
        return Err(bad());
    }
    let signed = if hemisphere { -total } else { total };
    Ok((LOC_EQUATOR + signed) as u32)
}

fn parse_metres(text: &str) -> Option<f64> {
    let t = text.strip_suffix(['m', 'M']).unwrap_or(text);
    t.parse::<f64>().ok().filter(|v| v.is_finite())
}

/// Encodes centimetres as RFC 1876's mantissa/exponent octet.
fn encode_loc_precision(metres: f64) -> Option<u8> {
    if !(0.0..=90_000_000.0).contains(&metres) {
        return None;
    }
    let mut cm = (metres * 100.0).round() as u64;
    let mut exponent = 0u8;
    while cm >= 10 && exponent < 9 {
        cm /= 10;
        exponent += 1;
    }
    if cm > 9 {
        return None;
    }
    Some(((cm as u8) << 4) | exponent)
}

fn decode_loc_precision(octet: u8) -> f64 {
    let mantissa = f64::from(octet >> 4);
    let exponent = i32::from(octet & 0x0f);
    mantissa * 10f64.powi(exponent) / 100.0
}

fn write_loc_coordinate(out: &mut String, value: u32, pos: char, neg: char) -> fmt::Result {
    let signed = i64::from(value) - LOC_EQUATOR;
    let hemisphere = if signed < 0 { neg } else { pos };
    let abs = signed.abs();
    let degrees = abs / 3_600_000;
    let minutes = (abs / 60_000) % 60;
    let millis = abs % 60_000;
    write!(
        out,
        "{degrees} {minutes} {}.{:03} {hemisphere}",
        millis / 1000,
        millis % 1000
    )
}

fn write_metres(out: &mut String, cm: i64) -> fmt::Result {
    let sign = if cm < 0 { "-" } else { "" };
    let abs = cm.abs();
    write!(out, "{sign}{}.{:02}m", abs / 100, abs % 100)
}

fn write_loc(
    out: &mut String,
    size: u8,
    hp: u8,
    vp: u8,
    lat: u32,
    lon: u32,
    alt: u32,
) -> fmt::Result {
    write_loc_coordinate(out, lat, 'N', 'S')?;
    out.push(' ');
    write_loc_coordinate(out, lon, 'E', 'W')?;
    out.push(' ');
    write_metres(out, i64::from(alt) - LOC_ALT_BASE)?;
    for p in [size, hp, vp] {
        out.push(' ');
        let cm = (decode_loc_precision(p) * 100.0).round() as i64;
        write_metres(out, cm)?;
    }
    Ok(())
}

// ---- SVCB / HTTPS parameters (RFC 9460) ----

/// Registered SvcParamKeys 0-9 (RFC 9460, RFC 9461, RFC 9540, and
/// draft-ietf-tls-key-share-prediction for key 9).
const SVC_KEYS: [&str; 10] = [
    "mandatory",
    "alpn",
    "no-default-alpn",
    "port",
    "ipv4hint",
    "ech",
    "ipv6hint",
    "dohpath",
    "ohttp",
    "tls-supported-groups",
];

fn svc_key_number(name: &str) -> Option<u16> {
    if let Some(i) = SVC_KEYS.iter().position(|k| *k == name) {
        return Some(i as u16);
    }
    name.strip_prefix("key")
        .and_then(|n| n.parse::<u16>().ok())
        .filter(|n| *n != 65535)
}

/// Keys 0-7 are written by name; later ones (ohttp, tls-supported-groups)
/// as `keyNNN` with raw octets, which every RFC 9460 parser reads the same
/// way (NSD 4.6, for one, refuses their names).
fn svc_key_name(key: u16) -> String {
    SVC_KEYS
        .get(key as usize)
        .filter(|_| key <= 7)
        .map(|k| (*k).to_string())
        .unwrap_or_else(|| format!("key{key}"))
}

/// Splits a comma-separated value list, honouring `\,` escapes.
fn split_commas(raw: &str) -> Vec<String> {
    let mut items = vec![String::new()];
    let mut chars = raw.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                if let Some(n) = chars.next() {
                    if n != ','
                        && let Some(last) = items.last_mut()
                    {
                        last.push('\\');
                    }
                    if let Some(last) = items.last_mut() {
                        last.push(n);
                    }
                }
            }
            ',' => items.push(String::new()),
            c => {
                if let Some(last) = items.last_mut() {
                    last.push(c);
                }
            }
        }
    }
    items
}

fn parse_svc_params(f: &mut Fields<'_>) -> Result<Vec<SvcParam>, RdataError> {
    let mut params: Vec<SvcParam> = Vec::new();
    while let Some(token) = f.peek() {
        f.pos += 1;
        let (key_text, mut value_text) = match token.raw.split_once('=') {
            Some((k, v)) => (k.to_ascii_lowercase(), Some(v.to_string())),
            None => (token.raw.to_ascii_lowercase(), None),
        };
        // `key="value with spaces"` tokenizes as `key=` followed by a quoted token.
        if value_text.as_deref() == Some("")
            && let Some(next) = f.peek().filter(|t| t.quoted)
        {
            f.pos += 1;
            value_text = Some(next.raw.clone());
        }
        let key = svc_key_number(&key_text)
            .ok_or_else(|| f.invalid(format!("unknown service parameter '{key_text}'")))?;
        // `keyNNN` is the generic form: its value is raw octets whatever the
        // key (that is how the key is written for peers that lack its name).
        let value = if key_text.starts_with("key") {
            match value_text.as_deref() {
                Some(v) => unescape(v).map_err(|_| {
                    f.invalid(format!("service parameter '{key_text}': bad escape"))
                })?,
                None => Vec::new(),
            }
        } else {
            encode_svc_value(f, key, &key_text, value_text.as_deref())?
        };
        if value.len() > usize::from(u16::MAX) {
            return Err(f.invalid(format!("service parameter '{key_text}': value is too long")));
        }
        if params.iter().any(|p| p.key == key) {
            return Err(f.invalid(format!("service parameter '{key_text}' appears twice")));
        }
        params.push(SvcParam { key, value });
    }
    params.sort_by_key(|p| p.key);
    Ok(params)
}

fn encode_svc_value(
    f: &Fields<'_>,
    key: u16,
    key_text: &str,
    value: Option<&str>,
) -> Result<Vec<u8>, RdataError> {
    let need = |v: Option<&str>| -> Result<String, RdataError> {
        v.filter(|s| !s.is_empty())
            .map(str::to_string)
            .ok_or_else(|| f.invalid(format!("service parameter '{key_text}' needs a value")))
    };
    let bad = |why: &str| f.invalid(format!("service parameter '{key_text}': {why}"));
    let mut out = Vec::new();
    match key {
        0 => {
            let mut keys = Vec::new();
            for item in split_commas(&need(value)?) {
                keys.push(svc_key_number(&item).ok_or_else(|| bad("unknown key in list"))?);
            }
            keys.sort_unstable();
            for k in keys {
                out.extend_from_slice(&k.to_be_bytes());
            }
        }
        1 => {
            for item in split_commas(&need(value)?) {
                let bytes = unescape(&item).map_err(|_| bad("bad escape"))?;
                if bytes.is_empty() || bytes.len() > 255 {
                    return Err(bad("protocol ids must be 1-255 octets"));
                }
                out.push(bytes.len() as u8);
                out.extend_from_slice(&bytes);
            }
        }
        2 | 8 => {
            if value.is_some_and(|v| !v.is_empty()) {
                return Err(bad("takes no value"));
            }
        }
        9 => {
            for item in split_commas(&need(value)?) {
                let group: u16 = item
                    .parse()
                    .map_err(|_| bad("groups are numbers 0-65535"))?;
                out.extend_from_slice(&group.to_be_bytes());
            }
        }
        3 => {
            let port: u16 = need(value)?.parse().map_err(|_| bad("not a port number"))?;
            out.extend_from_slice(&port.to_be_bytes());
        }
        4 => {
            for item in split_commas(&need(value)?) {
                let addr: Ipv4Addr = item.parse().map_err(|_| bad("not an IPv4 address"))?;
                out.extend_from_slice(&addr.octets());
            }
        }
        5 => {
            out = base64::engine::general_purpose::STANDARD
                .decode(need(value)?)
                .map_err(|_| bad("not valid base64"))?;
        }
        6 => {
            for item in split_commas(&need(value)?) {
                let addr: Ipv6Addr = item.parse().map_err(|_| bad("not an IPv6 address"))?;
                out.extend_from_slice(&addr.octets());
            }
        }
        _ => {
            if let Some(v) = value {
                out = unescape(v).map_err(|_| bad("bad escape"))?;
            }
        }
    }
    if out.len() > u16::MAX as usize {
        return Err(bad("value is too long"));
    }
    Ok(out)
}

fn write_svc_param(out: &mut String, p: &SvcParam) {
    let name = svc_key_name(p.key);
    let v = &p.value;
    let rendered: Option<String> = match p.key {
        0 if v.len().is_multiple_of(2) => Some(
            v.chunks(2)
                .map(|c| svc_key_name(u16::from_be_bytes([c[0], c[1]])))
                .collect::<Vec<_>>()
                .join(","),
        ),
        1 => {
            let mut items = Vec::new();
            let mut i = 0;
            let mut ok = true;
            while i < v.len() {
                let len = v[i] as usize;
                match v.get(i + 1..i + 1 + len) {
                    Some(id) if len > 0 => {
                        let mut s = String::new();
                        for &b in id {
                            match b {
                                b',' | b'\\' | b'"' => {
                                    s.push('\\');
                                    s.push('\\');
                                    s.push(b as char);
                                }
                                0x21..=0x7e => s.push(b as char),
                                _ => s.push_str(&format!("\\{b:03}")),
                            }
                        }
                        items.push(s);
                    }
                    _ => ok = false,
                }
                i += 1 + len;
            }
            ok.then(|| items.join(","))
        }
        2 | 8 if v.is_empty() => {
            out.push_str(&name);
            return;
        }
        3 if v.len() == 2 => Some(u16::from_be_bytes([v[0], v[1]]).to_string()),
        4 if !v.is_empty() && v.len().is_multiple_of(4) => Some(
            v.chunks(4)
                .map(|c| Ipv4Addr::new(c[0], c[1], c[2], c[3]).to_string())
                .collect::<Vec<_>>()
                .join(","),
        ),
        5 => Some(base64::engine::general_purpose::STANDARD.encode(v)),
        7 => std::str::from_utf8(v)
            .ok()
            .filter(|s| {
                s.bytes()
                    .all(|b| b.is_ascii_graphic() && b != b'"' && b != b'\\')
            })
            .map(str::to_string),
        _ => None,
    };
    match rendered {
        Some(r) if p.key != 1 => {
            out.push_str(&name);
            out.push('=');
            out.push_str(&r);
        }
        Some(r) => {
            out.push_str(&name);
            out.push_str("=\"");
            out.push_str(&r);
            out.push('"');
        }
        None => {
            // Unknown keys, and known keys whose value does not decode, are
            // shown as the raw octets so nothing is lost.
            out.push_str(&format!("key{}=", p.key));
            write_quoted(out, v);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rt(text: &str, rtype: RecordType) -> String {
        let rdata = Rdata::parse_text(rtype, text).unwrap_or_else(|e| panic!("{text}: {e}"));
        let shown = rdata.to_string();
        let again = Rdata::parse_text(rtype, &shown).unwrap_or_else(|e| panic!("{shown}: {e}"));
        assert_eq!(rdata, again, "presentation round trip of {text}");
        let wire = Rdata::from_wire(rtype, &rdata.wire()).unwrap();
        assert_eq!(rdata, wire, "wire round trip of {text}");
        shown
    }

    #[test]
    fn presentation_of_each_type() {
        assert_eq!(rt("192.0.2.1", RecordType::A), "192.0.2.1");
        assert_eq!(
            rt(
                "5 . port=\"8004\" no-default-alpn dohpath=/dns-query{?dns} ohttp tls-supported-groups=29,23",
                RecordType::SVCB
            ),
            "5 . no-default-alpn port=8004 dohpath=/dns-query{?dns} key8 key9=\"\\000\\029\\000\\023\""
        );
        assert_eq!(
            rt(
                "6 . key00997=\"quoted\" key0998=foo key999=bar",
                RecordType::SVCB
            ),
            "6 . key997=\"quoted\" key998=\"foo\" key999=\"bar\""
        );
        assert_eq!(rt("2001:DB8::1", RecordType::AAAA), "2001:db8::1");
        assert_eq!(
            rt("10 Mail.Example.com", RecordType::MX),
            "10 mail.example.com."
        );
        assert_eq!(
            rt("\"v=spf1 -all\" \"x\"", RecordType::TXT),
            "\"v=spf1 -all\" \"x\""
        );
        assert_eq!(
            rt("0 5 5060 sip.example.com.", RecordType::SRV),
            "0 5 5060 sip.example.com."
        );
        assert_eq!(
            rt("0 issue \"letsencrypt.org\"", RecordType::CAA),
            "0 issue \"letsencrypt.org\""
        );
        assert_eq!(rt("1 1 abcdef0123", RecordType::SSHFP), "1 1 ABCDEF0123");
        assert_eq!(rt("3 1 1 ABCD EF", RecordType::TLSA), "3 1 1 ABCDEF");
        assert_eq!(
            rt(
                "100 50 \"s\" \"http+I2L+I2C+I2R\" \"\" _http._tcp.example.com.",
                RecordType::NAPTR
            ),
            "100 50 \"s\" \"http+I2L+I2C+I2R\" \"\" _http._tcp.example.com."
        );
        assert_eq!(
            rt(
                "60485 5 1 2BB183AF5F22588179A53B0A98631FAD1A292118",
                RecordType::DS
            ),
            "60485 5 1 2BB183AF5F22588179A53B0A98631FAD1A292118"
        );
        assert_eq!(
            rt("\"PC\" \"Linux\"", RecordType::HINFO),
            "\"PC\" \"Linux\""
        );
        assert_eq!(
            rt(
                "51 56 0.123 N 5 54 0.000 E 4.00m 1.00m 10000.00m 10.00m",
                RecordType::LOC
            ),
            "51 56 0.123 N 5 54 0.000 E 4.00m 1.00m 10000.00m 10.00m"
        );
        assert_eq!(
            rt("42 21 54 N 71 06 18 W -24m 30m", RecordType::LOC),
            "42 21 54.000 N 71 6 18.000 W -24.00m 30.00m 10000.00m 10.00m"
        );
        assert_eq!(
            rt("admin.example.com. txt.example.com.", RecordType::RP),
            "admin.example.com. txt.example.com."
        );
        assert_eq!(
            rt(
                "1 . alpn=h2,h3 port=443 ipv4hint=192.0.2.1",
                RecordType::HTTPS
            ),
            "1 . alpn=\"h2,h3\" port=443 ipv4hint=192.0.2.1"
        );
        assert_eq!(
            rt(
                "1 svc.example. key65333=\"ex1\" key65444=\"ex2\" mandatory=key65444",
                RecordType::SVCB
            ),
            "1 svc.example. mandatory=key65444 key65333=\"ex1\" key65444=\"ex2\""
        );
        assert_eq!(
            rt("\\# 5 07ED260001", RecordType(65534)),
            "\\# 5 07ED260001"
        );
        assert_eq!(rt("\\# 4 C0000201", RecordType::A), "192.0.2.1");
        assert_eq!(
            rt(
                "ns1.example.com. hostmaster.example.com. 1 1h 10m 1w 5m",
                RecordType::SOA
            ),
            "ns1.example.com. hostmaster.example.com. 1 3600 600 604800 300"
        );
    }

    #[test]
    fn long_txt_is_split() {
        let long = "a".repeat(300);
        let rdata = Rdata::parse_text(RecordType::TXT, &format!("\"{long}\"")).unwrap();
        match rdata {
            Rdata::Txt(strings) => assert_eq!(
                strings.iter().map(Vec::len).collect::<Vec<_>>(),
                vec![255, 45]
            ),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn errors_name_the_problem() {
        let e = Rdata::parse_text(RecordType::AAAA, "2001:db8::g").unwrap_err();
        assert!(e.to_string().contains("not an IPv6 address"), "{e}");
        let e = Rdata::parse_text(RecordType::MX, "mail.example.com").unwrap_err();
        assert!(e.to_string().contains("preference"), "{e}");
        let e = Rdata::parse_text(RecordType::A, "192.0.2.1 extra").unwrap_err();
        assert!(e.to_string().contains("extra"), "{e}");
        let e = RecordType::parse("MB").unwrap_err();
        assert!(e.to_string().contains("obsolete"), "{e}");
        let e = RecordType::parse("ALIAS").unwrap_err();
        assert!(e.to_string().contains("pseudo-type"), "{e}");
        let e = Rdata::parse_text(RecordType(65534), "\\# 3 0102").unwrap_err();
        assert!(e.to_string().contains("length"), "{e}");
    }
}
