//! Field checks shared by zone creation, zone updates and record changes.

use crate::error::CoreError;
use crate::name::Name;

/// RFC 2181 §8: TTLs are 31-bit.
pub const MAX_TTL: u32 = (1 << 31) - 1;

/// Zone settings are a JSON object; the keys Tern itself reads (transfer
/// ACLs, notify targets) must be well-formed.
pub(super) fn check_settings(settings: &serde_json::Value) -> Result<(), CoreError> {
    if !settings.is_object() {
        return Err(CoreError::validation("settings", "must be a JSON object"));
    }
    crate::transfer::TransferSettings::from_settings(settings)
        .map(|_| ())
        .map_err(|(field, reason)| CoreError::validation(field, reason))
}

/// Zone names are host names: letters, digits, `-` and `_` per label (and
/// `/` for RFC 2317 reverse zones). A label with spaces or other escaped
/// octets is a valid DNS name but never a zone anyone registered: a typo.
pub(super) fn check_zone_name(name: &Name) -> Result<(), CoreError> {
    match name
        .as_str()
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '/')))
    {
        Some(bad) => Err(CoreError::validation(
            "name",
            format!(
                "zone names are letters, digits, '-' and '_' (and '/' in RFC 2317 reverse zones); {:?} is not one of them",
                if bad == '\\' {
                    "an escaped octet".to_string()
                } else {
                    bad.to_string()
                }
            ),
        )),
        None => Ok(()),
    }
}

pub(super) fn check_ttl(field: &str, ttl: u32) -> Result<(), CoreError> {
    if ttl > MAX_TTL {
        return Err(CoreError::validation(
            field,
            format!("TTL {ttl} is above the maximum {MAX_TTL} (RFC 2181 §8)"),
        ));
    }
    Ok(())
}
