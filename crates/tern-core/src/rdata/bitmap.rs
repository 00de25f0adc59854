//! `TypeBitmap`: the set of types an NSEC or NSEC3 record says exist at a
//! name, and its window-block wire form (RFC 4034 §4.1.2, RFC 5155 §3.2.1).

use std::fmt;

use super::RecordType;

/// A sorted set of record types without duplicates.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct TypeBitmap {
    types: Vec<RecordType>,
}

/// Why a wire-form type bitmap was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TypeBitmapError {
    #[error("type bitmap is truncated (window {window} needs {needed} more octets)")]
    Truncated { window: u8, needed: usize },
    #[error(
        "type bitmap window {window} comes after window {previous}; windows must be in increasing order"
    )]
    OutOfOrder { window: u8, previous: u8 },
    #[error("type bitmap window {window} has length {len}; it must be 1 to 32 octets")]
    BadLength { window: u8, len: u8 },
    #[error(
        "type bitmap window {window} ends with a zero octet; trailing zero octets and empty windows must be omitted (RFC 4034 §4.1.2)"
    )]
    TrailingZero { window: u8 },
}

impl TypeBitmap {
    pub fn new(types: impl IntoIterator<Item = RecordType>) -> TypeBitmap {
        let mut types: Vec<RecordType> = types.into_iter().collect();
        types.sort_unstable();
        types.dedup();
        TypeBitmap { types }
    }

    pub fn contains(&self, rtype: RecordType) -> bool {
        self.types.binary_search(&rtype).is_ok()
    }

    /// The types in increasing numeric order.
    pub fn iter(&self) -> impl ExactSizeIterator<Item = RecordType> + '_ {
        self.types.iter().copied()
    }

    pub fn len(&self) -> usize {
        self.types.len()
    }

    pub fn is_empty(&self) -> bool {
        self.types.is_empty()
    }

    /// The types grouped by window: (window number, bitmap length).
    fn windows(&self) -> impl Iterator<Item = (u8, &[RecordType])> + '_ {
        self.types
            .chunk_by(|a, b| a.0 >> 8 == b.0 >> 8)
            .map(|chunk| ((chunk[0].0 >> 8) as u8, chunk))
    }

    /// Octets of the wire form.
    pub fn wire_len(&self) -> usize {
        self.windows()
            .map(|(_, types)| 2 + window_octets(types))
            .sum()
    }

    /// Appends the window blocks: only windows with a type, each as short
    /// as its highest type allows.
    pub fn to_wire(&self, out: &mut Vec<u8>) {
        for (window, types) in self.windows() {
            let len = window_octets(types);
            out.push(window);
            out.push(len as u8);
            let start = out.len();
            out.resize(start + len, 0);
            for t in types {
                let low = usize::from(t.0 as u8);
                out[start + low / 8] |= 0x80 >> (low % 8);
            }
        }
    }

    /// Decodes window blocks, refusing any form RFC 4034 §4.1.2 forbids
    /// (BIND and Knot refuse them too), so one set has one encoding.
    pub fn from_wire(data: &[u8]) -> Result<TypeBitmap, TypeBitmapError> {
        let mut types = Vec::new();
        let mut previous: Option<u8> = None;
        let mut rest = data;
        while !rest.is_empty() {
            let window = rest[0];
            let Some(&len) = rest.get(1) else {
                return Err(TypeBitmapError::Truncated { window, needed: 1 });
            };
            if let Some(previous) = previous
                && window <= previous
            {
                return Err(TypeBitmapError::OutOfOrder { window, previous });
            }
            if !(1..=32).contains(&len) {
                return Err(TypeBitmapError::BadLength { window, len });
            }
            let len = usize::from(len);
            let Some(bits) = rest.get(2..2 + len) else {
                return Err(TypeBitmapError::Truncated {
                    window,
                    needed: 2 + len - rest.len(),
                });
            };
            if bits[len - 1] == 0 {
                return Err(TypeBitmapError::TrailingZero { window });
            }
            for (i, &octet) in bits.iter().enumerate() {
                for bit in 0..8 {
                    if octet & (0x80 >> bit) != 0 {
                        let low = (i * 8 + bit) as u16;
                        types.push(RecordType(u16::from(window) << 8 | low));
                    }
                }
            }
            previous = Some(window);
            rest = &rest[2 + len..];
        }
        Ok(TypeBitmap { types })
    }
}

/// Bitmap octets a window needs: up to the octet of its highest type.
fn window_octets(types: &[RecordType]) -> usize {
    types.last().map_or(0, |t| usize::from(t.0 as u8) / 8 + 1)
}

impl FromIterator<RecordType> for TypeBitmap {
    fn from_iter<I: IntoIterator<Item = RecordType>>(iter: I) -> TypeBitmap {
        TypeBitmap::new(iter)
    }
}

impl<'a> IntoIterator for &'a TypeBitmap {
    type Item = RecordType;
    type IntoIter = std::iter::Copied<std::slice::Iter<'a, RecordType>>;
    fn into_iter(self) -> Self::IntoIter {
        self.types.iter().copied()
    }
}

/// The types as mnemonics (or `TYPEnnn`) separated by spaces, in order.
impl fmt::Display for TypeBitmap {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, t) in self.types.iter().enumerate() {
            if i > 0 {
                f.write_str(" ")?;
            }
            write!(f, "{t}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn types(list: &[u16]) -> TypeBitmap {
        TypeBitmap::new(list.iter().map(|&t| RecordType(t)))
    }

    #[test]
    fn encodes_windows_and_decodes_back() {
        let table: &[(&[u16], &[u8])] = &[
            (&[], &[]),
            // A MX RRSIG NSEC3 (RFC 5155 style: one window, up to octet 6).
            (&[1, 15, 46, 50], &[0, 7, 0x40, 0x01, 0, 0, 0, 0x02, 0x20]),
            // A RRSIG NSEC TYPE1234 CAA: windows 0, 1 and 4 (1234 is 4 × 256
            // + 210: octet 26 of window 4, bit 2).
            (&[1, 257, 46, 47, 1234], &{
                let mut w = vec![0, 6, 0x40, 0, 0, 0, 0, 0x03, 1, 1, 0x40, 4, 27];
                w.extend([0; 26]);
                w.push(0x20);
                w
            }),
            // The highest type of a window fills all 32 octets.
            (&[255], &{
                let mut w = vec![0, 32];
                w.extend([0; 31]);
                w.push(0x01);
                w
            }),
        ];
        for (list, wire) in table {
            let bitmap = types(list);
            let mut out = Vec::new();
            bitmap.to_wire(&mut out);
            assert_eq!(&out, wire, "{bitmap}");
            assert_eq!(bitmap.wire_len(), wire.len(), "{bitmap}");
            assert_eq!(TypeBitmap::from_wire(wire), Ok(bitmap.clone()), "{bitmap}");
        }
        assert_eq!(
            types(&[257, 1, 46, 1, 50, 15, 1234]).to_string(),
            "A MX RRSIG NSEC3 CAA TYPE1234"
        );
        let b = types(&[1, 46, 1]);
        assert!(b.contains(RecordType::A) && b.contains(RecordType::RRSIG));
        assert!(!b.contains(RecordType::NS));
        assert_eq!(b.len(), 2);
    }

    #[test]
    fn malformed_wire_is_refused() {
        let cases: &[(&[u8], &str)] = &[
            (&[0], "truncated"),
            (&[0, 2, 0x40], "truncated"),
            (&[0, 0], "length 0"),
            (&[0, 33, 0x40], "length 33"),
            (&[0, 2, 0x40, 0], "ends with a zero octet"),
            (&[0, 1, 0], "ends with a zero octet"),
            (&[1, 1, 0x40, 0, 1, 0x40], "window 0 comes after window 1"),
            (&[0, 1, 0x40, 0, 1, 0x20], "window 0 comes after window 0"),
        ];
        for (wire, expected) in cases {
            let e = TypeBitmap::from_wire(wire).expect_err("malformed");
            assert!(e.to_string().contains(expected), "{wire:?}: {e}");
        }
    }
}
