//! Record policies some API dialects promise their users on top of the zone
//! rules every face shares: which types they take, a TTL range, a separate
//! priority required for MX and SRV, a length limit on TXT strings. The core
//! applies them (dialects only choose which), so the same input gets the
//! same answer on every face that promises the same thing.

use crate::error::CoreError;
use crate::name::Name;
use crate::rdata::{CharStr, Rdata, RecordType};

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
    /// `priority_given` says whether the caller sent a separate priority.
    pub fn check(
        &self,
        rtype: RecordType,
        ttl: Option<u32>,
        priority_given: bool,
        rdata: Option<&Rdata>,
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
        if let (Some(max), Some(Rdata::Txt(strings))) = (self.txt_string_max, rdata)
            && let Some(long) = strings.iter().find(|s| s.len() > max)
        {
            return Err(txt_too_long(max, long.len()));
        }
        Ok(())
    }

    /// Unquoted TXT content as the one string a face with a TXT limit takes:
    /// refused, not split, when it is longer than the limit.
    pub fn one_txt_string(&self, content: &str) -> Result<Rdata, CoreError> {
        let max = self
            .txt_string_max
            .unwrap_or(CharStr::MAX)
            .min(CharStr::MAX);
        let data = content.as_bytes();
        if data.len() > max {
            return Err(txt_too_long(max, data.len()));
        }
        let string = CharStr::new(data.to_vec()).map_err(|e| txt_too_long(max, e.len))?;
        Ok(Rdata::Txt(vec![string]))
    }
}

fn txt_too_long(max: usize, len: usize) -> CoreError {
    CoreError::validation(
        "content",
        format!("TXT strings are limited to {max} characters (one is {len})"),
    )
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
    }
}
