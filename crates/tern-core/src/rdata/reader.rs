//! Cursors over RDATA input: `Fields` walks presentation tokens, `WireReader`
//! walks uncompressed wire octets. Both turn a shortfall into an error naming
//! the record type and the field.

use crate::name::Name;
use crate::text::{Token, hex_decode, parse_ttl, unescape};

use super::charstr::CharStr;
use super::{NameContext, RdataError, RecordType};

/// Presentation tokens of one record's RDATA, consumed field by field.
pub(crate) struct Fields<'a> {
    pub(super) rtype: RecordType,
    pub(super) tokens: &'a [Token],
    pub(super) pos: usize,
}

impl<'a> Fields<'a> {
    pub(super) fn invalid(&self, reason: impl Into<String>) -> RdataError {
        RdataError::Invalid {
            rtype: self.rtype.to_string(),
            reason: reason.into(),
        }
    }

    pub(super) fn next(&mut self, what: &str) -> Result<&'a Token, RdataError> {
        let token = self
            .tokens
            .get(self.pos)
            .ok_or_else(|| self.invalid(format!("missing {what}")))?;
        self.pos += 1;
        Ok(token)
    }

    pub(super) fn peek(&self) -> Option<&'a Token> {
        self.tokens.get(self.pos)
    }

    pub(super) fn number<T: std::str::FromStr>(&mut self, what: &str) -> Result<T, RdataError> {
        let token = self.next(what)?;
        token.raw.parse::<T>().map_err(|_| {
            self.invalid(format!(
                "{what} '{}' is not a valid number in range",
                token.raw
            ))
        })
    }

    pub(super) fn ttl_like(&mut self, what: &str) -> Result<u32, RdataError> {
        let token = self.next(what)?;
        parse_ttl(&token.raw).ok_or_else(|| {
            self.invalid(format!("{what} '{}' is not a valid time value", token.raw))
        })
    }

    pub(super) fn name(&mut self, what: &str, ctx: NameContext<'_>) -> Result<Name, RdataError> {
        let token = self.next(what)?;
        ctx.parse(self.rtype, token)
    }

    /// The next token's octets, escapes decoded.
    pub(super) fn octets(&mut self, what: &str) -> Result<Vec<u8>, RdataError> {
        let token = self.next(what)?;
        unescape(&token.raw).map_err(|source| RdataError::Token {
            rtype: self.rtype.to_string(),
            source,
        })
    }

    /// The next token as one <character-string> (refused over 255 octets).
    pub(super) fn char_string(&mut self, what: &str) -> Result<CharStr, RdataError> {
        let data = self.octets(what)?;
        CharStr::new(data).map_err(|e| {
            self.invalid(format!(
                "{what} is {} octets long; a character-string holds at most {}",
                e.len,
                CharStr::MAX
            ))
        })
    }

    /// Whether every token has been consumed.
    pub(super) fn is_done(&self) -> bool {
        self.pos >= self.tokens.len()
    }

    pub(super) fn rest_hex(&mut self, what: &str) -> Result<Vec<u8>, RdataError> {
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

    pub(super) fn finish(&self) -> Result<(), RdataError> {
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

const TOO_SHORT: &str = "RDATA is too short";

/// Uncompressed wire-form RDATA, consumed field by field.
pub(crate) struct WireReader<'a> {
    pub(super) rtype: RecordType,
    pub(super) data: &'a [u8],
    pub(super) pos: usize,
}

impl<'a> WireReader<'a> {
    pub(super) fn invalid(&self, reason: &str) -> RdataError {
        RdataError::Invalid {
            rtype: self.rtype.to_string(),
            reason: reason.to_string(),
        }
    }

    pub(super) fn take(&mut self, n: usize) -> Result<&'a [u8], RdataError> {
        let end = self.pos.checked_add(n).filter(|&e| e <= self.data.len());
        let end = end.ok_or_else(|| self.invalid(TOO_SHORT))?;
        let slice = &self.data[self.pos..end];
        self.pos = end;
        Ok(slice)
    }

    /// Reads one field, naming it when the RDATA ends inside it or the
    /// field is invalid.
    pub(super) fn field<T>(
        &mut self,
        what: &str,
        read: impl FnOnce(&mut Self) -> Result<T, RdataError>,
    ) -> Result<T, RdataError> {
        read(self).map_err(|e| match e {
            RdataError::Invalid { rtype, reason } if reason == TOO_SHORT => RdataError::Invalid {
                rtype,
                reason: format!("RDATA ends before the end of the {what}"),
            },
            RdataError::Invalid { rtype, reason } => RdataError::Invalid {
                rtype,
                reason: format!("{what}: {reason}"),
            },
            other => other,
        })
    }

    pub(super) fn u8(&mut self) -> Result<u8, RdataError> {
        Ok(self.take(1)?[0])
    }

    pub(super) fn u16(&mut self) -> Result<u16, RdataError> {
        let b = self.take(2)?;
        Ok(u16::from_be_bytes([b[0], b[1]]))
    }

    pub(super) fn u32(&mut self) -> Result<u32, RdataError> {
        let b = self.take(4)?;
        Ok(u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
    }

    pub(super) fn char_string(&mut self) -> Result<CharStr, RdataError> {
        let len = self.u8()? as usize;
        let data = self.take(len)?.to_vec();
        // A one-octet length cannot exceed the limit.
        CharStr::new(data).map_err(|_| self.invalid("character-string is too long"))
    }

    /// Whether every octet has been consumed.
    pub(super) fn is_done(&self) -> bool {
        self.pos >= self.data.len()
    }

    pub(super) fn rest(&mut self) -> &'a [u8] {
        let slice = &self.data[self.pos..];
        self.pos = self.data.len();
        slice
    }

    pub(super) fn rest_nonempty(&mut self, what: &str) -> Result<Vec<u8>, RdataError> {
        let rest = self.rest();
        if rest.is_empty() {
            return Err(self.invalid(&format!("missing {what}")));
        }
        Ok(rest.to_vec())
    }

    /// An uncompressed wire name; compression pointers are refused because
    /// stored RDATA must stand alone.
    pub(super) fn name(&mut self) -> Result<Name, RdataError> {
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
