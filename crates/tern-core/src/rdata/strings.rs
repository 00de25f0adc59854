//! Types made of character-strings: TXT and SPF (one or more strings, long
//! values split at 255 octets) and HINFO (CPU and OS).

use super::charstr::CharStr;
use super::reader::{Fields, WireReader};
use super::{NameContext, Rdata, RdataError, RecordType};

/// TXT or SPF, which share their format.
pub(super) fn text_strings(rtype: RecordType, strings: Vec<CharStr>) -> Rdata {
    if rtype == RecordType::SPF {
        Rdata::Spf(strings)
    } else {
        Rdata::Txt(strings)
    }
}

pub(super) fn parse(
    rtype: RecordType,
    f: &mut Fields<'_>,
    _ctx: NameContext<'_>,
) -> Result<Rdata, RdataError> {
    if rtype == RecordType::HINFO {
        return Ok(Rdata::Hinfo {
            cpu: f.char_string("cpu")?,
            os: f.char_string("os")?,
        });
    }
    let mut strings = Vec::new();
    while !f.is_done() {
        // Long strings are split into 255-octet pieces, as PowerDNS and BIND
        // do on load; dialects that must refuse them check before calling
        // the core.
        strings.extend(CharStr::split(&f.octets("string")?));
    }
    if strings.is_empty() {
        return Err(f.invalid("needs at least one string"));
    }
    Ok(text_strings(rtype, strings))
}

pub(super) fn from_wire(rtype: RecordType, r: &mut WireReader<'_>) -> Result<Rdata, RdataError> {
    if rtype == RecordType::HINFO {
        return Ok(Rdata::Hinfo {
            cpu: r.char_string()?,
            os: r.char_string()?,
        });
    }
    let mut strings = Vec::new();
    while !r.is_done() {
        strings.push(r.char_string()?);
    }
    if strings.is_empty() {
        return Err(r.invalid("needs at least one string"));
    }
    Ok(text_strings(rtype, strings))
}

/// Strings as presentation: each quoted, separated by one space.
pub(super) fn write_strings<'a>(out: &mut String, strings: impl IntoIterator<Item = &'a CharStr>) {
    for (i, s) in strings.into_iter().enumerate() {
        if i > 0 {
            out.push(' ');
        }
        s.write_presentation(out);
    }
}
