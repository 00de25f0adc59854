//! `CharStr`, the RFC 1035 <character-string>: at most 255 octets, held by
//! construction, so no TXT, SPF, HINFO or NAPTR value can carry a string its
//! one-octet wire length cannot describe.

use std::fmt;
use std::ops::Deref;

use crate::text::write_quoted;

/// One <character-string> (RFC 1035 §3.3): 0-255 arbitrary octets.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CharStr(Vec<u8>);

/// Data that does not fit one character-string.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("a character-string holds at most 255 octets, not {len}")]
pub struct CharStrTooLong {
    pub len: usize,
}

impl CharStr {
    /// The most octets one character-string holds.
    pub const MAX: usize = 255;

    pub fn new(data: Vec<u8>) -> Result<CharStr, CharStrTooLong> {
        if data.len() > CharStr::MAX {
            return Err(CharStrTooLong { len: data.len() });
        }
        Ok(CharStr(data))
    }

    /// Splits data into 255-octet strings, as BIND and PowerDNS do with a long
    /// TXT value; empty data is one empty string.
    pub fn split(data: &[u8]) -> Vec<CharStr> {
        if data.is_empty() {
            return vec![CharStr::default()];
        }
        data.chunks(CharStr::MAX)
            .map(|c| CharStr(c.to_vec()))
            .collect()
    }

    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }

    pub fn into_bytes(self) -> Vec<u8> {
        self.0
    }

    /// Length octet and data.
    pub fn to_wire(&self, out: &mut Vec<u8>) {
        // Cannot truncate: `new` and `split` keep the length ≤ 255.
        out.push(self.0.len() as u8);
        out.extend_from_slice(&self.0);
    }

    /// Quoted presentation with `\"`, `\\` and `\DDD` escapes.
    pub fn write_presentation(&self, out: &mut String) {
        write_quoted(out, &self.0);
    }
}

impl Deref for CharStr {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        &self.0
    }
}

impl AsRef<[u8]> for CharStr {
    fn as_ref(&self) -> &[u8] {
        &self.0
    }
}

impl<'a> IntoIterator for &'a CharStr {
    type Item = &'a u8;
    type IntoIter = std::slice::Iter<'a, u8>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.iter()
    }
}

impl TryFrom<Vec<u8>> for CharStr {
    type Error = CharStrTooLong;
    fn try_from(data: Vec<u8>) -> Result<Self, Self::Error> {
        CharStr::new(data)
    }
}

impl TryFrom<&[u8]> for CharStr {
    type Error = CharStrTooLong;
    fn try_from(data: &[u8]) -> Result<Self, Self::Error> {
        CharStr::new(data.to_vec())
    }
}

impl TryFrom<&str> for CharStr {
    type Error = CharStrTooLong;
    fn try_from(text: &str) -> Result<Self, Self::Error> {
        CharStr::new(text.as_bytes().to_vec())
    }
}

impl fmt::Display for CharStr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut out = String::new();
        self.write_presentation(&mut out);
        f.write_str(&out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limit_is_held_by_construction() {
        assert!(CharStr::new(vec![b'a'; 255]).is_ok());
        assert_eq!(
            CharStr::new(vec![b'a'; 256]),
            Err(CharStrTooLong { len: 256 })
        );
        let parts = CharStr::split(&[b'x'; 600]);
        assert_eq!(
            parts.iter().map(|p| p.len()).collect::<Vec<_>>(),
            vec![255, 255, 90]
        );
        assert_eq!(CharStr::split(b""), vec![CharStr::default()]);
        let mut wire = Vec::new();
        CharStr::try_from("ab").unwrap().to_wire(&mut wire);
        assert_eq!(wire, b"\x02ab");
    }
}
