//! Authenticated denial of existence: NSEC (RFC 4034 §4) and NSEC3
//! (RFC 5155 §3), the records that name the next owner and list the types
//! present. Their parameters record NSEC3PARAM lives with the keys in
//! `dnssec.rs`.

use super::bitmap::TypeBitmap;
use super::reader::{Fields, WireReader};
use super::{NameContext, Rdata, RdataError, RecordType};

pub(super) fn parse(
    rtype: RecordType,
    f: &mut Fields<'_>,
    ctx: NameContext<'_>,
) -> Result<Rdata, RdataError> {
    Ok(match rtype {
        RecordType::NSEC => Rdata::Nsec {
            next: f.name("next domain name", ctx)?,
            types: f.type_bitmap()?,
        },
        RecordType::NSEC3 => Rdata::Nsec3 {
            hash_algorithm: f.number("hash algorithm")?,
            flags: f.number("flags")?,
            iterations: f.number("iterations")?,
            salt: f.salt()?,
            next_hashed: {
                let hash = f.base32hex("next hashed owner name")?;
                if hash.is_empty() || hash.len() > 255 {
                    return Err(f.invalid(format!(
                        "next hashed owner name is {} octets; it must be 1 to 255",
                        hash.len()
                    )));
                }
                hash
            },
            types: f.type_bitmap()?,
        },
        other => return Err(super::misrouted(other)),
    })
}

pub(super) fn from_wire(rtype: RecordType, r: &mut WireReader<'_>) -> Result<Rdata, RdataError> {
    Ok(match rtype {
        RecordType::NSEC => Rdata::Nsec {
            next: r.field("next domain name", WireReader::name)?,
            types: r.type_bitmap()?,
        },
        RecordType::NSEC3 => Rdata::Nsec3 {
            hash_algorithm: r.field("hash algorithm", WireReader::u8)?,
            flags: r.field("flags", WireReader::u8)?,
            iterations: r.field("iterations", WireReader::u16)?,
            salt: r.field("salt", WireReader::salt)?,
            next_hashed: r.field("next hashed owner name", |r| {
                let len = r.u8()?;
                if len == 0 {
                    return Err(r.invalid("has length 0"));
                }
                Ok(r.take(usize::from(len))?.to_vec())
            })?,
            types: r.type_bitmap()?,
        },
        other => return Err(super::misrouted(other)),
    })
}

impl Fields<'_> {
    /// The remaining tokens as types, in any order (stored sorted).
    fn type_bitmap(&mut self) -> Result<TypeBitmap, RdataError> {
        let mut types = Vec::new();
        while let Some(token) = self.peek() {
            self.pos += 1;
            let rtype = RecordType::parse_in_rdata(&token.raw).ok_or_else(|| {
                self.invalid(format!("type bitmap: '{}' is not a record type", token.raw))
            })?;
            types.push(rtype);
        }
        Ok(TypeBitmap::new(types))
    }

    /// An NSEC3/NSEC3PARAM salt: hex, or `-` for none (RFC 5155 §3.3).
    pub(super) fn salt(&mut self) -> Result<Vec<u8>, RdataError> {
        let token = self.next("salt")?;
        if token.raw == "-" {
            return Ok(Vec::new());
        }
        let salt = crate::text::hex_decode(&token.raw)
            .filter(|s| !s.is_empty())
            .ok_or_else(|| self.invalid(format!("salt '{}' is not hex or '-'", token.raw)))?;
        if salt.len() > 255 {
            return Err(self.invalid(format!(
                "salt is {} octets; it holds at most 255",
                salt.len()
            )));
        }
        Ok(salt)
    }
}

impl WireReader<'_> {
    fn type_bitmap(&mut self) -> Result<TypeBitmap, RdataError> {
        let rest = self.rest();
        TypeBitmap::from_wire(rest).map_err(|e| RdataError::Invalid {
            rtype: self.rtype.to_string(),
            reason: e.to_string(),
        })
    }

    pub(super) fn salt(&mut self) -> Result<Vec<u8>, RdataError> {
        let len = self.u8()?;
        Ok(self.take(usize::from(len))?.to_vec())
    }
}

/// An NSEC3 salt as presentation: hex, or `-` when empty.
pub(super) fn write_salt(out: &mut String, salt: &[u8]) {
    if salt.is_empty() {
        out.push('-');
    } else {
        out.push_str(&crate::text::hex_encode(salt));
    }
}
