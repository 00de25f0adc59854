//! Domain names in Tern's canonical form: absolute, lower case, A-labels, with
//! RFC 1035 presentation escapes. Every name that enters the core passes through
//! `Name::parse` so the rest of the system can compare names as plain strings.

use std::fmt;

use serde::{Deserialize, Serialize};

/// Maximum octets in one label (RFC 1035 §2.3.4).
pub const MAX_LABEL_LEN: usize = 63;
/// Maximum octets of a name in wire form (RFC 1035 §2.3.4).
pub const MAX_NAME_LEN: usize = 255;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NameError {
    #[error("name is empty")]
    Empty,
    #[error("name '{name}' has an empty label")]
    EmptyLabel { name: String },
    #[error("label '{label}' is {len} octets long; the limit is 63")]
    LabelTooLong { label: String, len: usize },
    #[error("name '{name}' is {len} octets long in wire form; the limit is 255")]
    NameTooLong { name: String, len: usize },
    #[error("name '{name}' has a bad escape sequence")]
    BadEscape { name: String },
    #[error("name '{name}' is not a valid internationalised domain name: {reason}")]
    Idna { name: String, reason: String },
    #[error("'@' or a relative name '{name}' needs a zone origin")]
    NoOrigin { name: String },
    #[error(
        "'{name}' is a single label without a trailing dot, which is the top-level name '{name}.': did you mean {suggestion}? (write '{name}.' for the top-level name)"
    )]
    SingleLabel { name: String, suggestion: String },
}

/// A canonical absolute domain name. The inner string is the presentation form
/// with a trailing dot (the root is "."), lower case, with `\DDD` / `\X` escapes
/// for octets that are not plain printable characters.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Name(String);

impl Name {
    pub fn root() -> Name {
        Name(".".to_string())
    }

    /// Parses a name as it appears in a zone file: `@` is the origin, a name
    /// without a trailing dot is relative to the origin (RFC 1035 §5.1).
    pub fn parse_zone_file(text: &str, origin: &Name) -> Result<Name, NameError> {
        Self::parse_inner(text, Some(origin))
    }

    /// Parses a name given through an API: always absolute, whether or not it
    /// ends with a dot (every seed document writes hostnames that way).
    pub fn parse_absolute(text: &str) -> Result<Name, NameError> {
        Self::parse_inner(text, None)
    }

    /// Parses a name inside record content given through an API for a record
    /// in `zone`: absolute like `parse_absolute`, except that a single label
    /// without a trailing dot (`www`) is refused, since it is almost always
    /// meant relative to the zone and would silently become a top-level name.
    pub fn parse_api_target(text: &str, zone: &Name) -> Result<Name, NameError> {
        let name = Self::parse_inner(text, None)?;
        let trimmed = text.trim();
        let written_absolute = trimmed.ends_with('.') && !ends_with_escaped_dot(trimmed);
        if name.label_count() == 1 && !written_absolute {
            let suggestion = if zone.is_root() {
                name.as_str().to_string()
            } else {
                format!("{}{}", name.as_str(), zone.as_str())
            };
            return Err(NameError::SingleLabel {
                name: trimmed.to_string(),
                suggestion,
            });
        }
        Ok(name)
    }

    /// Parses an owner name given relative to a zone through an API: `@` is the
    /// apex, a name ending in the zone name (with or without dot) is taken as
    /// is, anything else is relative to the zone.
    pub fn parse_owner(text: &str, zone: &Name) -> Result<Name, NameError> {
        let trimmed = text.trim();
        if trimmed == "@" || trimmed.is_empty() {
            return Ok(zone.clone());
        }
        if trimmed.ends_with('.') && !trimmed.ends_with("\\.") {
            return Self::parse_inner(trimmed, None);
        }
        let absolute = Self::parse_inner(trimmed, None)?;
        if absolute.is_subdomain_of(zone) {
            return Ok(absolute);
        }
        Self::parse_inner(trimmed, Some(zone))
    }

    fn parse_inner(text: &str, origin: Option<&Name>) -> Result<Name, NameError> {
        let text = text.trim();
        if text.is_empty() {
            return Err(NameError::Empty);
        }
        if text == "@" {
            return origin.cloned().ok_or(NameError::NoOrigin {
                name: text.to_string(),
            });
        }
        if text == "." {
            return Ok(Name::root());
        }
        if let Some(name) = Self::parse_plain(text, origin) {
            return name;
        }
        let mut labels = split_labels_marked(text)?;
        let absolute = labels.last().is_some_and(|(l, _)| l.is_empty());
        if absolute {
            labels.pop();
        }
        if labels.iter().any(|(l, _)| l.is_empty()) {
            return Err(NameError::EmptyLabel {
                name: text.to_string(),
            });
        }
        let mut out = String::with_capacity(text.len() + 1);
        let mut wire_len = 1usize;
        for (label, unicode) in &labels {
            // Only characters typed as Unicode go through IDNA; octets written
            // as `\DDD` escapes are taken as they are.
            let label = if *unicode {
                let unicode = String::from_utf8(label.clone()).map_err(|_| NameError::Idna {
                    name: text.to_string(),
                    reason: "label is not valid UTF-8".into(),
                })?;
                idna::domain_to_ascii(&unicode)
                    .map_err(|e| NameError::Idna {
                        name: text.to_string(),
                        reason: e.to_string(),
                    })?
                    .into_bytes()
            } else {
                label.clone()
            };
            if label.len() > MAX_LABEL_LEN {
                return Err(NameError::LabelTooLong {
                    label: escape_label(&label),
                    len: label.len(),
                });
            }
            wire_len += label.len() + 1;
            for &b in &label {
                push_escaped(&mut out, b.to_ascii_lowercase());
            }
            out.push('.');
        }
        if !absolute
            && let Some(origin) = origin
            && !origin.is_root()
        {
            out.push_str(&origin.0);
            wire_len += origin.wire_len() - 1;
        }
        if wire_len > MAX_NAME_LEN {
            return Err(NameError::NameTooLong {
                name: text.to_string(),
                len: wire_len,
            });
        }
        Ok(Name(out))
    }

    /// The common case without escapes or Unicode (host names, `_srv`
    /// labels, wildcards), checked and lower-cased in one pass; `None` sends
    /// anything else down the general path.
    fn parse_plain(text: &str, origin: Option<&Name>) -> Option<Result<Name, NameError>> {
        let bytes = text.as_bytes();
        if !bytes
            .iter()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'*' | b'.' | b'/'))
        {
            return None;
        }
        let absolute = text.ends_with('.');
        let body = if absolute {
            &text[..text.len() - 1]
        } else {
            text
        };
        let mut wire_len = 1;
        for label in body.split('.') {
            if label.is_empty() {
                return Some(Err(NameError::EmptyLabel {
                    name: text.to_string(),
                }));
            }
            if label.len() > MAX_LABEL_LEN {
                return Some(Err(NameError::LabelTooLong {
                    label: label.to_string(),
                    len: label.len(),
                }));
            }
            wire_len += label.len() + 1;
        }
        let mut out = String::with_capacity(text.len() + 1 + origin.map_or(0, |o| o.0.len()));
        out.push_str(body);
        out.make_ascii_lowercase();
        out.push('.');
        if !absolute && let Some(origin) = origin.filter(|o| !o.is_root()) {
            out.push_str(&origin.0);
            wire_len += origin.wire_len() - 1;
        }
        if wire_len > MAX_NAME_LEN {
            return Some(Err(NameError::NameTooLong {
                name: text.to_string(),
                len: wire_len,
            }));
        }
        Some(Ok(Name(out)))
    }

    /// Builds a name from raw labels (wire form), checking lengths.
    pub fn from_labels<'a>(labels: impl IntoIterator<Item = &'a [u8]>) -> Result<Name, NameError> {
        let mut out = String::new();
        let mut wire_len = 1;
        for label in labels {
            if label.is_empty() {
                return Err(NameError::EmptyLabel { name: out });
            }
            if label.len() > MAX_LABEL_LEN {
                return Err(NameError::LabelTooLong {
                    label: escape_label(label),
                    len: label.len(),
                });
            }
            wire_len += label.len() + 1;
            for &b in label {
                push_escaped(&mut out, b.to_ascii_lowercase());
            }
            out.push('.');
        }
        if out.is_empty() {
            return Ok(Name::root());
        }
        if wire_len > MAX_NAME_LEN {
            return Err(NameError::NameTooLong {
                name: out,
                len: wire_len,
            });
        }
        Ok(Name(out))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn is_root(&self) -> bool {
        self.0 == "."
    }

    /// The labels in wire form (escapes decoded), leftmost first.
    pub fn labels(&self) -> Vec<Vec<u8>> {
        if self.is_root() {
            return Vec::new();
        }
        let mut labels = split_labels(&self.0).unwrap_or_default();
        labels.pop();
        labels
    }

    pub fn label_count(&self) -> usize {
        self.labels().len()
    }

    pub fn wire_len(&self) -> usize {
        if self.is_root() {
            1
        } else if !self.0.contains('\\') {
            // Without escapes every label is its text plus a length octet,
            // which the dots and the root octet account for exactly.
            self.0.len() + 1
        } else {
            self.labels().iter().map(|l| l.len() + 1).sum::<usize>() + 1
        }
    }

    /// Uncompressed wire form.
    pub fn to_wire(&self, out: &mut Vec<u8>) {
        for label in self.labels() {
            out.push(label.len() as u8);
            out.extend_from_slice(&label);
        }
        out.push(0);
    }

    /// A `*` leftmost label makes a wildcard (RFC 4592 §2.1.1); a `*` anywhere
    /// else is an ordinary label.
    pub fn is_wildcard(&self) -> bool {
        self.0.starts_with("*.")
    }

    /// Byte offsets where each ancestor's text starts: the position after
    /// every unescaped dot, leftmost first (the root's "." is excluded).
    fn ancestor_offsets(&self) -> Vec<usize> {
        let bytes = self.0.as_bytes();
        let mut escaped = false;
        let mut out = Vec::new();
        for (i, &b) in bytes.iter().enumerate() {
            if escaped {
                // `\DDD` escapes continue with digits, which are never dots.
                escaped = false;
                continue;
            }
            match b {
                b'\\' => escaped = true,
                b'.' if i + 1 < bytes.len() => out.push(i + 1),
                _ => {}
            }
        }
        out
    }

    /// The presentation text of every proper ancestor, nearest first, the root
    /// last. Slices of `self`, so walking up a name never allocates names.
    pub fn ancestor_strs(&self) -> impl Iterator<Item = &str> + '_ {
        let root = if self.is_root() { None } else { Some(".") };
        self.ancestor_offsets()
            .into_iter()
            .map(|i| &self.0[i..])
            .chain(root)
    }

    /// True when `self` equals `ancestor` or lies below it.
    pub fn is_subdomain_of(&self, ancestor: &Name) -> bool {
        if ancestor.is_root() || self == ancestor {
            return true;
        }
        self.ancestor_strs().any(|a| a == ancestor.0)
    }

    /// The name one label up; the root has no parent.
    pub fn parent(&self) -> Option<Name> {
        self.ancestor_strs().next().map(|s| Name(s.to_string()))
    }

    /// A byte string whose order is the canonical name order: labels from
    /// the right, each followed by a 0 octet (so a label sorts before its
    /// extensions, as a shorter octet string does).
    pub fn canonical_key(&self) -> Vec<u8> {
        let mut key = Vec::with_capacity(self.0.len() + 1);
        if !self.0.contains('\\') {
            // No escapes: the labels are the text between the dots.
            for label in self
                .0
                .trim_end_matches('.')
                .rsplit('.')
                .filter(|l| !l.is_empty())
            {
                key.extend_from_slice(label.as_bytes());
                key.push(0);
            }
            return key;
        }
        let labels = self.labels();
        for label in labels.iter().rev() {
            key.extend_from_slice(label);
            key.push(0);
        }
        key
    }

    /// Orders names the DNSSEC canonical way (RFC 4034 §6.1): label by label
    /// from the right, so a zone file lists a name before its children.
    pub fn canonical_cmp(&self, other: &Name) -> std::cmp::Ordering {
        // Signing a zone sorts and searches millions of names: without
        // escapes a label is its text, so compare slices of the stored
        // (lowercase) presentation without splitting into new vectors.
        if !self.0.contains('\\') && !other.0.contains('\\') {
            return text_labels_from_right(&self.0).cmp(text_labels_from_right(&other.0));
        }
        let mine = self.labels();
        let theirs = other.labels();
        mine.iter().rev().cmp(theirs.iter().rev())
    }

    /// Names strictly between `self` and `ancestor` (exclusive of both), nearest
    /// first. Empty if `self` is not below `ancestor`.
    pub fn ancestors_below(&self, ancestor: &Name) -> Vec<Name> {
        let mut out = Vec::new();
        if !self.is_subdomain_of(ancestor) || self == ancestor {
            return out;
        }
        let mut current = self.parent();
        while let Some(name) = current {
            if &name == ancestor {
                break;
            }
            current = name.parent();
            out.push(name);
        }
        out
    }

    /// Presentation relative to `origin`: `@` for the origin itself, the
    /// leading labels for names below it, the absolute name otherwise.
    pub fn relative_to(&self, origin: &Name) -> String {
        if self == origin {
            return "@".to_string();
        }
        if origin.is_root() {
            return self.0.clone();
        }
        if self.is_subdomain_of(origin) {
            let keep = self.0.len() - origin.0.len() - 1;
            return self.0[..keep].to_string();
        }
        self.0.clone()
    }

    /// The name without the trailing dot (the root stays ".").
    pub fn without_dot(&self) -> &str {
        if self.is_root() {
            &self.0
        } else {
            &self.0[..self.0.len() - 1]
        }
    }
}

impl fmt::Display for Name {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for Name {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Name({})", self.0)
    }
}

/// Lets maps keyed by `Name` be searched with a canonical string slice (the
/// hash of a `Name` is the hash of its text).
impl std::borrow::Borrow<str> for Name {
    fn borrow(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for Name {
    type Error = NameError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Name::parse_absolute(&value)
    }
}

impl From<Name> for String {
    fn from(value: Name) -> Self {
        value.0
    }
}

impl std::str::FromStr for Name {
    type Err = NameError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Name::parse_absolute(s)
    }
}

/// Splits presentation text at unescaped dots and decodes escapes per label.
/// A trailing dot yields a final empty label.
/// Whether the final `.` of `text` is escaped (`a\.`), counting the
/// backslashes before it: `a\\.` is an escaped backslash and a real dot.
fn ends_with_escaped_dot(text: &str) -> bool {
    let Some(body) = text.strip_suffix('.') else {
        return false;
    };
    body.bytes().rev().take_while(|&b| b == b'\\').count() % 2 == 1
}

/// The labels of an absolute name without escapes, rightmost first (none
/// for the root).
fn text_labels_from_right(text: &str) -> impl Iterator<Item = &[u8]> {
    let inner = text.strip_suffix('.').unwrap_or(text);
    (!inner.is_empty())
        .then(|| inner.rsplit('.').map(str::as_bytes))
        .into_iter()
        .flatten()
}

fn split_labels(text: &str) -> Result<Vec<Vec<u8>>, NameError> {
    Ok(split_labels_marked(text)?
        .into_iter()
        .map(|(l, _)| l)
        .collect())
}

/// As `split_labels`, also telling for each label whether it holds literal
/// (unescaped) non-ASCII characters, i.e. Unicode that needs IDNA.
fn split_labels_marked(text: &str) -> Result<Vec<(Vec<u8>, bool)>, NameError> {
    let bytes = text.as_bytes();
    let mut labels = Vec::new();
    let mut current = Vec::new();
    let mut unicode = false;
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'\\' => {
                let (octet, used) = crate::text::decode_escape(&bytes[i..]).ok_or_else(|| {
                    NameError::BadEscape {
                        name: text.to_string(),
                    }
                })?;
                current.push(octet);
                i += used;
            }
            b'.' => {
                labels.push((std::mem::take(&mut current), unicode));
                unicode = false;
                i += 1;
            }
            b => {
                unicode |= !b.is_ascii();
                current.push(b);
                i += 1;
            }
        }
    }
    labels.push((current, unicode));
    Ok(labels)
}

fn push_escaped(out: &mut String, b: u8) {
    match b {
        b'.' | b'\\' | b'"' | b'(' | b')' | b';' | b'@' | b'$' => {
            out.push('\\');
            out.push(b as char);
        }
        0x21..=0x7e => out.push(b as char),
        _ => {
            out.push('\\');
            out.push_str(&format!("{b:03}"));
        }
    }
}

fn escape_label(label: &[u8]) -> String {
    let mut out = String::new();
    for &b in label {
        push_escaped(&mut out, b);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn origin() -> Name {
        Name::parse_absolute("example.com").unwrap()
    }

    #[test]
    fn canonical_forms() {
        assert_eq!(
            Name::parse_absolute("WWW.Example.COM").unwrap().as_str(),
            "www.example.com."
        );
        assert_eq!(
            Name::parse_absolute("www.example.com.").unwrap().as_str(),
            "www.example.com."
        );
        assert_eq!(Name::parse_zone_file("@", &origin()).unwrap(), origin());
        assert_eq!(
            Name::parse_zone_file("www", &origin()).unwrap().as_str(),
            "www.example.com."
        );
        assert_eq!(
            Name::parse_zone_file("mail.other.", &origin())
                .unwrap()
                .as_str(),
            "mail.other."
        );
        assert_eq!(
            Name::parse_owner("www.example.com", &origin())
                .unwrap()
                .as_str(),
            "www.example.com."
        );
        assert_eq!(
            Name::parse_owner("www", &origin()).unwrap().as_str(),
            "www.example.com."
        );
        assert_eq!(Name::parse_owner("@", &origin()).unwrap(), origin());
    }

    #[test]
    fn idna_and_underscores() {
        assert_eq!(
            Name::parse_absolute("bücher.example").unwrap().as_str(),
            "xn--bcher-kva.example."
        );
        assert_eq!(
            Name::parse_absolute("_sip._tcp.example.com")
                .unwrap()
                .as_str(),
            "_sip._tcp.example.com."
        );
    }

    #[test]
    fn escapes_round_trip() {
        let name = Name::parse_absolute("a\\.b.example.").unwrap();
        assert_eq!(name.as_str(), "a\\.b.example.");
        assert_eq!(name.labels(), vec![b"a.b".to_vec(), b"example".to_vec()]);
        assert_eq!(name.wire_len(), 13);
        assert_eq!(
            Name::parse_absolute("www.example.com").unwrap().wire_len(),
            17
        );
        assert_eq!(Name::root().wire_len(), 1);
        let name = Name::parse_absolute("\\065bc.example.").unwrap();
        assert_eq!(name.as_str(), "abc.example.");
        assert!(
            !Name::parse_absolute("x\\.example.com.")
                .unwrap()
                .is_subdomain_of(&Name::parse_absolute("example.com.").unwrap())
        );
    }

    #[test]
    fn limits() {
        let long = "a".repeat(64);
        assert!(matches!(
            Name::parse_absolute(&long),
            Err(NameError::LabelTooLong { len: 64, .. })
        ));
        let name = vec!["a".repeat(63); 4].join(".");
        assert!(matches!(
            Name::parse_absolute(&name),
            Err(NameError::NameTooLong { .. })
        ));
        assert!(matches!(
            Name::parse_absolute("a..b"),
            Err(NameError::EmptyLabel { .. })
        ));
    }

    #[test]
    fn wildcard_only_leftmost() {
        assert!(Name::parse_absolute("*.example.com").unwrap().is_wildcard());
        assert!(
            !Name::parse_absolute("host.*.example.com")
                .unwrap()
                .is_wildcard()
        );
    }

    #[test]
    fn canonical_keys_order_names() {
        let names = [
            "example.com.",
            "a.example.com.",
            "z.example.com.",
            "yljkjljk.a.example.com.",
            "*.z.example.com.",
            "\\001.z.example.com.",
        ];
        let mut sorted: Vec<Name> = names
            .iter()
            .map(|n| Name::parse_absolute(n).unwrap())
            .collect();
        sorted.sort_by_key(Name::canonical_key);
        let shown: Vec<&str> = sorted.iter().map(Name::as_str).collect();
        // RFC 4034 §6.1's example order.
        assert_eq!(
            shown,
            [
                "example.com.",
                "a.example.com.",
                "yljkjljk.a.example.com.",
                "z.example.com.",
                "\\001.z.example.com.",
                "*.z.example.com."
            ]
        );
        let root = Name::root();
        assert!(root.canonical_key().is_empty());
    }

    #[test]
    fn canonical_cmp_agrees_with_label_order() {
        // The slice comparison (names without escapes) and the decoded one
        // must order every pair alike, the root and escapes included.
        let names: Vec<Name> = [
            ".",
            "com.",
            "example.com.",
            "a.example.com.",
            "z.example.com.",
            "yljkjljk.a.example.com.",
            "*.z.example.com.",
            "\\001.z.example.com.",
            "b.a.",
            "a.b.",
            "ab.",
            "a-b.",
            "a.",
            "xn--bcher-kva.example.",
            "0.example.",
        ]
        .iter()
        .map(|n| Name::parse_absolute(n).unwrap())
        .collect();
        for a in &names {
            for b in &names {
                let by_labels = a.labels().iter().rev().cmp(b.labels().iter().rev());
                assert_eq!(a.canonical_cmp(b), by_labels, "{a} vs {b}");
            }
        }
    }

    #[test]
    fn relations() {
        let o = origin();
        let n = Name::parse_absolute("a.b.example.com").unwrap();
        assert!(n.is_subdomain_of(&o));
        assert!(!o.is_subdomain_of(&n));
        assert_eq!(n.relative_to(&o), "a.b");
        assert_eq!(o.relative_to(&o), "@");
        assert_eq!(
            n.ancestors_below(&o),
            vec![Name::parse_absolute("b.example.com").unwrap()]
        );
        assert!(
            !Name::parse_absolute("notexample.com")
                .unwrap()
                .is_subdomain_of(&o)
        );
    }
}
