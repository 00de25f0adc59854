//! The presentation encodings DNSSEC RDATA uses besides hex: base64 for keys
//! and signatures (RFC 4034 §2.2, §3.2), unpadded base32hex for NSEC3 hashed
//! owners (RFC 5155 §3.3, RFC 4648 §7) and RRSIG times as `YYYYMMDDHHmmSS`
//! in UTC (RFC 4034 §3.2).

use std::fmt::Write;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;

use super::RdataError;
use super::reader::Fields;

/// Base64 in one token; BIND splits long values over lines, which readers
/// join again (every token left is part of it).
pub(super) fn base64_encode(data: &[u8]) -> String {
    STANDARD.encode(data)
}

impl Fields<'_> {
    /// The remaining tokens as one base64 value (RFC 4034 allows
    /// whitespace inside it).
    pub(super) fn rest_base64(&mut self, what: &str) -> Result<Vec<u8>, RdataError> {
        let joined: String = self.tokens[self.pos.min(self.tokens.len())..]
            .iter()
            .map(|t| t.raw.as_str())
            .collect();
        self.pos = self.tokens.len();
        if joined.is_empty() {
            return Err(self.invalid(format!("missing {what}")));
        }
        STANDARD
            .decode(joined.as_bytes())
            .map_err(|e| self.invalid(format!("{what} is not valid base64 ({e})")))
    }

    /// An RRSIG time: `YYYYMMDDHHmmSS` in UTC, or a plain number of seconds
    /// (RFC 4034 §3.2 allows both; a 14-digit token is always a date).
    pub(super) fn rrsig_time(&mut self, what: &str) -> Result<u32, RdataError> {
        let token = self.next(what)?;
        let text = token.raw.as_str();
        let bad = || {
            self.invalid(format!(
                "{what} '{text}' is neither YYYYMMDDHHmmSS nor a number of seconds"
            ))
        };
        if !text.bytes().all(|b| b.is_ascii_digit()) || text.is_empty() {
            return Err(bad());
        }
        if text.len() == 14 {
            return parse_rrsig_date(text).ok_or_else(bad);
        }
        text.parse::<u32>().map_err(|_| bad())
    }

    /// An NSEC3 hashed owner in base32hex (either case, no padding).
    pub(super) fn base32hex(&mut self, what: &str) -> Result<Vec<u8>, RdataError> {
        let token = self.next(what)?;
        base32hex_decode(&token.raw)
            .ok_or_else(|| self.invalid(format!("{what} '{}' is not valid base32hex", token.raw)))
    }
}

const BASE32HEX: &[u8; 32] = b"0123456789abcdefghijklmnopqrstuv";

/// Lower-case, unpadded base32hex, the form NSEC3 owner labels take.
pub fn base32hex_encode(data: &[u8]) -> String {
    let mut out = String::with_capacity(data.len().div_ceil(5) * 8);
    for chunk in data.chunks(5) {
        let mut block = [0u8; 5];
        block[..chunk.len()].copy_from_slice(chunk);
        let bits = block.iter().fold(0u64, |acc, &b| (acc << 8) | u64::from(b));
        // Each input octet adds 8 bits; the last character may be partial.
        let chars = (chunk.len() * 8).div_ceil(5);
        for i in 0..chars {
            let index = (bits >> (35 - 5 * i)) & 0x1f;
            out.push(BASE32HEX[index as usize] as char);
        }
    }
    out
}

/// Decodes unpadded base32hex in either case. Refuses padding, lengths no
/// encoding produces and non-zero bits after the last octet, so each value
/// has exactly one text form.
pub fn base32hex_decode(text: &str) -> Option<Vec<u8>> {
    let values: Vec<u8> = text
        .bytes()
        .map(|c| match c.to_ascii_lowercase() {
            c @ b'0'..=b'9' => Some(c - b'0'),
            c @ b'a'..=b'v' => Some(c - b'a' + 10),
            _ => None,
        })
        .collect::<Option<_>>()?;
    let mut out = Vec::with_capacity(values.len() * 5 / 8);
    for chunk in values.chunks(8) {
        let octets = match chunk.len() {
            8 => 5,
            7 => 4,
            5 => 3,
            4 => 2,
            2 => 1,
            _ => return None,
        };
        let mut bits = 0u64;
        for (i, &v) in chunk.iter().enumerate() {
            bits |= u64::from(v) << (35 - 5 * i);
        }
        let block = bits.to_be_bytes();
        // `bits` holds 40 meaningful bits in the low five octets.
        let block = &block[3..];
        if block[octets..].iter().any(|&b| b != 0) {
            return None;
        }
        out.extend_from_slice(&block[..octets]);
    }
    Some(out)
}

/// Days since 1970-01-01 of a proleptic Gregorian date.
fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = i64::from(month);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(day) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The date of a day count since 1970-01-01.
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

fn days_in_month(year: i64, month: u32) -> u32 {
    match month {
        2 if (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// A 14-digit UTC date as an RRSIG time. Times are serial numbers modulo
/// 2^32 (RFC 4034 §3.1.5), so dates past 2106 wrap, as BIND reads them.
fn parse_rrsig_date(text: &str) -> Option<u32> {
    let field = |range: std::ops::Range<usize>| text.get(range)?.parse::<u32>().ok();
    let year = i64::from(field(0..4)?);
    let (month, day) = (field(4..6)?, field(6..8)?);
    let (hour, minute, second) = (field(8..10)?, field(10..12)?, field(12..14)?);
    if year < 1970
        || !(1..=12).contains(&month)
        || day == 0
        || day > days_in_month(year, month)
        || hour > 23
        || minute > 59
        || second > 59
    {
        return None;
    }
    let seconds =
        days_from_civil(year, month, day) * 86_400 + i64::from(hour * 3600 + minute * 60 + second);
    Some((seconds as u64 & 0xffff_ffff) as u32)
}

/// An RRSIG time as `YYYYMMDDHHmmSS`, the value read as seconds since 1970.
pub(super) fn write_rrsig_time(out: &mut String, time: u32) {
    let days = i64::from(time / 86_400);
    let rest = time % 86_400;
    let (year, month, day) = civil_from_days(days);
    let _ = write!(
        out,
        "{year:04}{month:02}{day:02}{:02}{:02}{:02}",
        rest / 3600,
        rest % 3600 / 60,
        rest % 60
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shown(time: u32) -> String {
        let mut out = String::new();
        write_rrsig_time(&mut out, time);
        out
    }

    #[test]
    fn rrsig_times_both_ways() {
        for (time, text) in [
            (0, "19700101000000"),
            (951_782_400, "20000229000000"),
            (1_735_689_599, "20241231235959"),
            (u32::MAX, "21060207062815"),
        ] {
            assert_eq!(shown(time), text);
            assert_eq!(parse_rrsig_date(text), Some(time), "{text}");
        }
        for bad in [
            "20230229000000",
            "20231301000000",
            "20231200000000",
            "20231231240000",
            "19691231235959",
        ] {
            assert_eq!(parse_rrsig_date(bad), None, "{bad}");
        }
        // Serial arithmetic: 2^32 seconds after 1970 is 0 again.
        assert_eq!(parse_rrsig_date("21060207062816"), Some(0));
    }

    #[test]
    fn base32hex_both_ways() {
        // RFC 4648 §10 test vectors, lower case and unpadded.
        for (data, text) in [
            ("", ""),
            ("f", "co"),
            ("fo", "cpng"),
            ("foo", "cpnmu"),
            ("foob", "cpnmuog"),
            ("fooba", "cpnmuoj1"),
            ("foobar", "cpnmuoj1e8"),
        ] {
            assert_eq!(base32hex_encode(data.as_bytes()), text);
            assert_eq!(base32hex_decode(text).as_deref(), Some(data.as_bytes()));
            assert_eq!(
                base32hex_decode(&text.to_ascii_uppercase()).as_deref(),
                Some(data.as_bytes())
            );
        }
        for bad in ["c", "cpn", "cpnmuo", "cp", "cpng====", "w0", "cq"] {
            assert_eq!(base32hex_decode(bad), None, "{bad}");
        }
    }
}
