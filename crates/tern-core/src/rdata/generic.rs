//! RFC 3597 generic RDATA (`\# <length> <hex>`): the only form for types Tern
//! knows by number alone, and accepted for known types, which are decoded
//! into their typed form so the same data always has one representation.

use crate::text::{Token, hex_decode};

use super::{Rdata, RdataError, RecordType};

pub(super) fn parse(rtype: RecordType, tokens: &[Token]) -> Result<Rdata, RdataError> {
    let invalid = |reason: String| RdataError::Invalid {
        rtype: rtype.to_string(),
        reason,
    };
    let length: usize = tokens
        .first()
        .and_then(|t| t.raw.parse().ok())
        .ok_or_else(|| invalid("generic RDATA needs a length after '\\#'".into()))?;
    let hex: String = tokens[1..].iter().map(|t| t.raw.as_str()).collect();
    let data =
        hex_decode(&hex).ok_or_else(|| invalid("generic RDATA is not valid hexadecimal".into()))?;
    if data.len() != length {
        return Err(invalid(format!(
            "generic RDATA length {length} does not match the {} octets given",
            data.len()
        )));
    }
    Rdata::from_wire(rtype, &data)
}

/// The presentation of opaque data: `\# <length> <hex>`.
pub(super) fn write(out: &mut String, data: &[u8]) {
    out.push_str("\\# ");
    out.push_str(&data.len().to_string());
    if !data.is_empty() {
        out.push(' ');
        out.push_str(&crate::text::hex_encode(data));
    }
}
