//! The seed APIs users' scripts already speak, served beside the native API
//! on the same listener and over the same `ZoneService`. Each module only
//! translates paths, shapes, defaults and error bodies; rules a dialect
//! promises on top of the core's are `tern_core::policy::RecordPolicy`
//! values the core applies.

pub mod designate;
pub mod pocketdns;
pub mod thalassa;
pub mod vpsorg;

use tern_core::{Actor, ChangeSource, Name, Rdata, RecordType};

use crate::auth::Caller;
use crate::error::ApiError;

/// The journal's actor for a change made through `dialect`.
pub fn actor(caller: &Caller, dialect: &str) -> Actor {
    Actor::new(caller.principal(), ChangeSource::Dialect(dialect.into()))
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

/// RDATA from a simple dialect's `value` (+ `priority`) for a record in
/// `zone`, under the core's API content rule; errors about the content name
/// the dialect's own field.
pub fn rdata_from_value(
    rtype: RecordType,
    value: &str,
    priority: Option<u32>,
    zone: &Name,
    value_field: &str,
) -> Result<Rdata, ApiError> {
    crate::views::rdata_from_api(rtype, value, priority, zone, "").map_err(|e| ApiError {
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
        let zone = Name::parse_absolute("example.com.").unwrap();
        let value = "v=spf1 include:\"x\" ~all";
        let rdata = rdata_from_value(RecordType::TXT, value, None, &zone, "value").unwrap();
        assert_eq!(rdata.to_string(), "\"v=spf1 include:\\\"x\\\" ~all\"");
        assert_eq!(plain_value(&rdata), value);
        let long = "a".repeat(300);
        let rdata = rdata_from_value(RecordType::TXT, &long, None, &zone, "value").unwrap();
        assert_eq!(plain_value(&rdata), long);
    }
}
