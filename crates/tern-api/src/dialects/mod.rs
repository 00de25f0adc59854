//! The seed APIs users' scripts already speak, served beside the native API
//! on the same listener and over the same `ZoneService`. Each module only
//! translates paths, shapes, defaults and error bodies; rules a dialect
//! promises on top of the core's are `tern_core::policy::RecordPolicy`
//! values the core applies.

pub mod designate;
pub mod pocketdns;
pub mod thalassa;
pub mod vpsorg;

use tern_core::{Actor, ChangeSource, Rdata, RecordType};

use crate::auth::Caller;
use crate::error::ApiError;

/// The journal's actor for a change made through `dialect`.
pub fn actor(caller: &Caller, dialect: &str) -> Actor {
    Actor::new(caller.principal(), ChangeSource::Dialect(dialect.into()))
}

/// TXT as users type it (`v=spf1 -all`, no quotes) into presentation form:
/// quoted, escaped, split into 255-octet strings. Text already in quotes is
/// taken as presentation.
pub fn txt_presentation(value: &str) -> String {
    let value = value.trim();
    if value.starts_with('"') {
        return value.to_string();
    }
    let mut out = Vec::new();
    let bytes = value.as_bytes();
    for chunk in bytes.chunks(255) {
        let mut quoted = String::from("\"");
        for &b in chunk {
            match b {
                b'"' | b'\\' => {
                    quoted.push('\\');
                    quoted.push(b as char);
                }
                0x20..=0x7e => quoted.push(b as char),
                other => quoted.push_str(&format!("\\{other:03}")),
            }
        }
        quoted.push('"');
        out.push(quoted);
    }
    if out.is_empty() {
        out.push("\"\"".into());
    }
    out.join(" ")
}

/// A record's value as the simple dialects show it: TXT strings joined
/// without quotes, MX/SRV without the priority, else the presentation.
pub fn plain_value(rdata: &Rdata) -> String {
    if let Rdata::Txt(strings) | Rdata::Spf(strings) = rdata {
        let joined: Vec<u8> = strings.iter().flatten().copied().collect();
        return String::from_utf8_lossy(&joined).into_owned();
    }
    let text = crate::views::split_priority(rdata).1;
    // Fingerprints and digests as tools print and users paste them (lower
    // case); these types hold only numbers and hex.
    if matches!(
        rdata.rtype(),
        RecordType::SSHFP | RecordType::TLSA | RecordType::DS
    ) {
        return text.to_ascii_lowercase();
    }
    text
}

/// RDATA from a simple dialect's `value` (+ `priority`).
pub fn rdata_from_value(
    rtype: RecordType,
    value: &str,
    priority: Option<u32>,
    value_field: &str,
) -> Result<Rdata, ApiError> {
    let content = if matches!(rtype, RecordType::TXT | RecordType::SPF) {
        txt_presentation(value)
    } else {
        value.to_string()
    };
    crate::views::rdata_from_api(rtype, &content, priority, "").map_err(|e| ApiError {
        field: e.field.map(|f| {
            if f == "content" {
                value_field.to_string()
            } else {
                f
            }
        }),
        ..e
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn txt_round_trip() {
        let presentation = txt_presentation("v=spf1 include:\"x\" ~all");
        assert_eq!(presentation, "\"v=spf1 include:\\\"x\\\" ~all\"");
        let rdata = Rdata::parse_text(RecordType::TXT, &presentation).unwrap();
        assert_eq!(plain_value(&rdata), "v=spf1 include:\"x\" ~all");
        let long = "a".repeat(300);
        let rdata = Rdata::parse_text(RecordType::TXT, &txt_presentation(&long)).unwrap();
        assert_eq!(plain_value(&rdata), long);
    }
}
