//! Record type numbers and mnemonics, and the table that sends each supported
//! type to the module that parses and decodes it: adding a type is one line
//! in `record_types!` plus its module.

use std::fmt;

use serde::{Deserialize, Serialize};

use super::reader::{Fields, WireReader};
use super::{NameContext, Rdata, RdataError};
use super::{address, caa, denial, digest, dnssec, loc, names, priority, soa, strings, svcb};

/// A record type number with its mnemonic.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct RecordType(pub u16);

/// One line per supported type: its number and the module that owns its
/// presentation parser and wire decoder. The macro generates the constants,
/// the mnemonic table and both dispatches, so a type cannot be half-added.
macro_rules! record_types {
    ($($name:ident = $num:expr => $module:ident),* $(,)?) => {
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

            /// Parses presentation fields with the type's own module; `None`
            /// for a type Tern knows only by number.
            pub(super) fn parse_fields(
                self,
                f: &mut Fields<'_>,
                ctx: NameContext<'_>,
            ) -> Option<Result<Rdata, RdataError>> {
                match self.0 {
                    $($num => Some($module::parse(self, f, ctx)),)*
                    _ => None,
                }
            }

            /// Decodes wire form with the type's own module; `None` for a
            /// type Tern knows only by number.
            pub(super) fn decode_wire(
                self,
                r: &mut WireReader<'_>,
            ) -> Option<Result<Rdata, RdataError>> {
                match self.0 {
                    $($num => Some($module::from_wire(self, r)),)*
                    _ => None,
                }
            }
        }
    };
}

record_types! {
    A = 1 => address,
    NS = 2 => names,
    CNAME = 5 => names,
    SOA = 6 => soa,
    PTR = 12 => names,
    HINFO = 13 => strings,
    MX = 15 => priority,
    TXT = 16 => strings,
    RP = 17 => names,
    AAAA = 28 => address,
    LOC = 29 => loc,
    SRV = 33 => priority,
    NAPTR = 35 => priority,
    DNAME = 39 => names,
    DS = 43 => digest,
    SSHFP = 44 => digest,
    RRSIG = 46 => dnssec,
    NSEC = 47 => denial,
    DNSKEY = 48 => dnssec,
    NSEC3 = 50 => denial,
    NSEC3PARAM = 51 => dnssec,
    TLSA = 52 => digest,
    CDS = 59 => dnssec,
    CDNSKEY = 60 => dnssec,
    SVCB = 64 => svcb,
    HTTPS = 65 => svcb,
    SPF = 99 => strings,
    CAA = 257 => caa,
}

/// Types that have a mnemonic elsewhere but that Tern refuses by name, with the
/// reason a user sees.
fn refused_mnemonic(text: &str) -> Option<&'static str> {
    Some(match text {
        "MD" | "MF" | "MB" | "MG" | "MR" | "MINFO" | "NULL" | "WKS" => {
            "is obsolete (RFC 1035/RFC 2505) and not served"
        }
        "ALIAS" | "ANAME" | "LUA" => "is a vendor pseudo-type, not a DNS record type",
        "OPT" | "TSIG" | "TKEY" | "IXFR" | "AXFR" | "ANY" | "MAILA" | "MAILB" => {
            "is a meta type and cannot be stored"
        }
        _ => return None,
    })
}

/// Why users may not write DNSSEC types, through any face.
pub(super) const DNSSEC_REFUSAL: &str = "is DNSSEC data that Tern generates itself";

/// The error every user-facing parser gives for a DNSSEC type.
pub(super) fn dnssec_refused(rtype: impl fmt::Display) -> RdataError {
    RdataError::UnsupportedType {
        rtype: rtype.to_string(),
        reason: DNSSEC_REFUSAL.into(),
    }
}

impl RecordType {
    /// Parses a mnemonic (case-insensitive) or the RFC 3597 `TYPEnnn` form,
    /// as a user wrote it: DNSSEC types are refused by name and by number,
    /// since only Tern's signer produces them.
    pub fn parse(text: &str) -> Result<RecordType, RdataError> {
        let rtype = RecordType::parse_trusted(text)?;
        if rtype.is_dnssec() {
            return Err(dnssec_refused(text.trim().to_ascii_uppercase()));
        }
        Ok(rtype)
    }

    /// As `parse`, but DNSSEC types are accepted: only for Tern's own data
    /// (the store's canonical text, a signed zone Tern wrote, tests).
    pub fn parse_trusted(text: &str) -> Result<RecordType, RdataError> {
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
        if let Some(n) = type_number(&upper) {
            if matches!(n, 0 | 41 | 249..=255) {
                return Err(RdataError::UnsupportedType {
                    rtype: upper,
                    reason: "is a meta type and cannot be stored".into(),
                });
            }
            return Ok(RecordType(n));
        }
        Err(RdataError::UnsupportedType {
            rtype: text.trim().to_string(),
            reason: "is not supported by name; RFC 3597 form (TYPEnnn \\# <length> <hex>) stores any type opaquely".into(),
        })
    }

    /// A type as it appears inside DNSSEC RDATA (an NSEC/NSEC3 bitmap, an
    /// RRSIG's type covered): any mnemonic Tern knows or any `TYPEnnn`,
    /// meta types included, since a bitmap read off the wire may name them
    /// and its presentation must read back.
    pub(super) fn parse_in_rdata(text: &str) -> Option<RecordType> {
        let upper = text.to_ascii_uppercase();
        RecordType::from_known_mnemonic(&upper).or_else(|| type_number(&upper).map(RecordType))
    }

    /// The types only Tern's signer writes (RFC 4034, RFC 5155, RFC 7344).
    pub fn is_dnssec(self) -> bool {
        matches!(
            self,
            RecordType::RRSIG
                | RecordType::NSEC
                | RecordType::NSEC3
                | RecordType::NSEC3PARAM
                | RecordType::DNSKEY
                | RecordType::CDS
                | RecordType::CDNSKEY
        )
    }

    /// Whether `TYPEnnn` data for this type may be stored opaquely.
    pub fn is_known(self) -> bool {
        self.mnemonic().is_some()
    }
}

/// The number of an RFC 3597 `TYPEnnn` mnemonic (already upper case).
fn type_number(upper: &str) -> Option<u16> {
    upper.strip_prefix("TYPE")?.parse().ok()
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

/// Serde carries Tern's own records (the model, the store), so it reads
/// DNSSEC types back; faces parse user input with `RecordType::parse`.
impl TryFrom<String> for RecordType {
    type Error = RdataError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        RecordType::parse_trusted(&value)
    }
}

impl From<RecordType> for String {
    fn from(value: RecordType) -> Self {
        value.to_string()
    }
}
