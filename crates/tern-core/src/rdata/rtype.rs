//! Record type numbers and mnemonics, and the table that sends each supported
//! type to the module that parses and decodes it: adding a type is one line
//! in `record_types!` plus its module.

use std::fmt;

use serde::{Deserialize, Serialize};

use super::reader::{Fields, WireReader};
use super::{NameContext, Rdata, RdataError};
use super::{address, caa, digest, loc, names, priority, soa, strings, svcb};

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
    TLSA = 52 => digest,
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
