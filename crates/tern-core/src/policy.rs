//! Record policies some API dialects promise their users on top of the zone
//! rules every face shares: which types they take, a TTL range, a separate
//! priority required for MX and SRV, a length limit on TXT strings. The core
//! applies them (dialects only choose which), so the same input gets the
//! same answer on every face that promises the same thing.

use crate::error::CoreError;
use crate::name::Name;
use crate::rdata::{RecordType, api_text_strings};

#[derive(Debug, Clone, Default)]
pub struct RecordPolicy {
    /// Types accepted; `None` is every type Tern supports.
    pub types: Option<Vec<RecordType>>,
    /// Inclusive TTL bounds.
    pub ttl_range: Option<(u32, u32)>,
    /// MX and SRV must come with their priority given separately.
    pub priority_required: bool,
    /// Longest TXT character-string accepted.
    pub txt_string_max: Option<usize>,
}

impl RecordPolicy {
    /// Checks a record given through a face with this policy.
    /// `priority_given` says whether the caller sent a separate priority;
    /// `content` is the record content as given (API rule, see `rdata::api`).
    pub fn check(
        &self,
        rtype: RecordType,
        ttl: Option<u32>,
        priority_given: bool,
        content: Option<&str>,
    ) -> Result<(), CoreError> {
        if let Some(types) = &self.types
            && !types.contains(&rtype)
        {
            return Err(CoreError::validation(
                "type",
                format!(
                    "{rtype} records are not supported here; supported: {}",
                    types
                        .iter()
                        .map(ToString::to_string)
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            ));
        }
        if let (Some((min, max)), Some(ttl)) = (self.ttl_range, ttl)
            && !(min..=max).contains(&ttl)
        {
            return Err(CoreError::validation(
                "ttl",
                format!("TTL must be between {min} and {max} seconds"),
            ));
        }
        if self.priority_required
            && !priority_given
            && matches!(rtype, RecordType::MX | RecordType::SRV)
        {
            return Err(CoreError::validation(
                "priority",
                format!("{rtype} records require a priority value"),
            ));
        }
        // The limit is on the strings as the user wrote them: the core would
        // otherwise split a long one at 255 octets and accept it.
        if let (Some(max), Some(content), RecordType::TXT) = (self.txt_string_max, content, rtype)
            && let Ok(strings) = api_text_strings(content)
            && let Some(long) = strings.iter().find(|s| s.len() > max)
        {
            return Err(CoreError::validation(
                "content",
                format!(
                    "TXT strings are limited to {max} characters (one is {})",
                    long.len()
                ),
            ));
        }
        Ok(())
    }
}

/// PocketDNS's name rule ("cannot start or end with a hyphen"), held to
/// every label of `name` below `zone`, as the hostname rule of RFC 952 and
/// RFC 1123 §2.1 it comes from: `a.-b` is no better than `-a`. The zone's
/// own labels are the zone's business, checked when it was created.
pub fn no_hyphen_at_label_edges(name: &Name, zone: &Name) -> Result<(), CoreError> {
    let below = name.label_count().saturating_sub(zone.label_count());
    match name
        .labels()
        .into_iter()
        .take(below)
        .find(|l| l.starts_with(b"-") || l.ends_with(b"-"))
    {
        Some(label) => Err(CoreError::validation(
            "name",
            format!(
                "'{}' starts or ends with a hyphen, which names here cannot",
                String::from_utf8_lossy(&label)
            ),
        )),
        None => Ok(()),
    }
}

#[cfg(test)]
mod hyphen_tests {
    use super::*;

    #[test]
    fn labels_below_the_zone_may_not_start_or_end_with_a_hyphen() {
        let zone = Name::parse_absolute("my-zone.test.").expect("zone");
        let check = |n: &str| {
            no_hyphen_at_label_edges(&Name::parse_owner(n, &zone).expect("name"), &zone).is_ok()
        };
        assert!(check("@") && check("my-host") && check("a.b-c") && check("*.x"));
        assert!(!check("-www") && !check("www-") && !check("a.-b") && !check("b-.c"));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn policies_name_the_field() {
        let policy = RecordPolicy {
            types: Some(vec![RecordType::A, RecordType::MX]),
            ttl_range: Some((60, 86400)),
            priority_required: true,
            txt_string_max: None,
        };
        assert!(policy.check(RecordType::A, Some(300), false, None).is_ok());
        let field = |r: Result<(), CoreError>| match r {
            Err(CoreError::Validation { field, .. }) => field,
            other => panic!("{other:?}"),
        };
        assert_eq!(
            field(policy.check(RecordType::TXT, None, false, None)),
            "type"
        );
        assert_eq!(
            field(policy.check(RecordType::A, Some(30), false, None)),
            "ttl"
        );
        assert_eq!(
            field(policy.check(RecordType::MX, None, false, None)),
            "priority"
        );
        let txt = RecordPolicy {
            txt_string_max: Some(255),
            ..RecordPolicy::default()
        };
        let long = "a".repeat(256);
        assert_eq!(
            field(txt.check(RecordType::TXT, None, false, Some(&long))),
            "content"
        );
        let quoted = format!("\"{long}\"");
        assert_eq!(
            field(txt.check(RecordType::TXT, None, false, Some(&quoted))),
            "content"
        );
        let fine = format!("\"{}\" \"{}\"", "a".repeat(255), "b".repeat(255));
        assert!(txt.check(RecordType::TXT, None, false, Some(&fine)).is_ok());
    }
}
