//! CAA (RFC 8659): flags, a tag of letters and digits, and a value. The value
//! is the rest of the RDATA, not a character-string: it has no length octet
//! and may be longer than 255 octets.

use super::reader::{Fields, WireReader};
use super::{NameContext, Rdata, RdataError, RecordType};

pub(super) fn parse(
    _rtype: RecordType,
    f: &mut Fields<'_>,
    _ctx: NameContext<'_>,
) -> Result<Rdata, RdataError> {
    let flags = f.number("flags")?;
    let tag_token = f.next("tag")?;
    let tag = tag_token.raw.to_ascii_lowercase();
    if tag.is_empty() || tag.len() > 255 || !tag.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return Err(f.invalid(format!(
            "tag '{}' must be 1-255 letters and digits",
            tag_token.raw
        )));
    }
    let value = f.octets("value")?;
    Ok(Rdata::Caa { flags, tag, value })
}

pub(super) fn from_wire(_rtype: RecordType, r: &mut WireReader<'_>) -> Result<Rdata, RdataError> {
    let flags = r.u8()?;
    let tag_len = r.u8()? as usize;
    let tag = String::from_utf8(r.take(tag_len)?.to_vec())
        .map_err(|_| r.invalid("tag is not ASCII"))?
        .to_ascii_lowercase();
    if tag.is_empty() || !tag.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return Err(r.invalid("tag must be letters and digits"));
    }
    Ok(Rdata::Caa {
        flags,
        tag,
        value: r.rest().to_vec(),
    })
}
