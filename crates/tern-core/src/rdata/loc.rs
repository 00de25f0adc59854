//! LOC (RFC 1876): degrees/minutes/seconds coordinates, altitude in metres
//! and three precision octets (mantissa × 10^exponent centimetres).

use std::fmt::{self, Write};

use super::reader::{Fields, WireReader};
use super::{NameContext, Rdata, RdataError, RecordType};

const LOC_EQUATOR: i64 = 1 << 31;
const LOC_ALT_BASE: i64 = 10_000_000; // centimetres below the reference spheroid

pub(super) fn parse(
    _rtype: RecordType,
    f: &mut Fields<'_>,
    _ctx: NameContext<'_>,
) -> Result<Rdata, RdataError> {
    let latitude = parse_loc_coordinate(f, 'N', 'S', 90)?;
    let longitude = parse_loc_coordinate(f, 'E', 'W', 180)?;
    let alt_token = f.next("altitude")?;
    let alt_m = parse_metres(&alt_token.raw)
        .filter(|m| (-100_000.0..=42_849_672.95).contains(m))
        .ok_or_else(|| f.invalid(format!("altitude '{}' is out of range", alt_token.raw)))?;
    let altitude = (LOC_ALT_BASE + (alt_m * 100.0).round() as i64) as u32;
    let mut precision = |what: &str, default: u8| -> Result<u8, RdataError> {
        match f.peek() {
            None => Ok(default),
            Some(t) => {
                f.pos += 1;
                parse_metres(&t.raw)
                    .and_then(encode_loc_precision)
                    .ok_or_else(|| f.invalid(format!("{what} '{}' is out of range", t.raw)))
            }
        }
    };
    let size = precision("size", 0x12)?;
    let horiz_pre = precision("horizontal precision", 0x16)?;
    let vert_pre = precision("vertical precision", 0x13)?;
    Ok(Rdata::Loc {
        version: 0,
        size,
        horiz_pre,
        vert_pre,
        latitude,
        longitude,
        altitude,
    })
}

fn parse_loc_coordinate(
    f: &mut Fields<'_>,
    pos: char,
    neg: char,
    max_deg: i64,
) -> Result<u32, RdataError> {
    let what = if max_deg == 90 {
        "latitude"
    } else {
        "longitude"
    };
    let mut parts: Vec<String> = Vec::new();
    let hemisphere = loop {
        let token = f.next(what)?;
        let upper = token.raw.to_ascii_uppercase();
        if upper.len() == 1 && (upper.starts_with(pos) || upper.starts_with(neg)) {
            break upper.starts_with(neg);
        }
        if parts.len() == 3 {
            return Err(f.invalid(format!("{what} needs '{pos}' or '{neg}'")));
        }
        parts.push(token.raw.clone());
    };
    let bad = || f.invalid(format!("{what} '{}' is not valid", parts.join(" ")));
    let degrees: i64 = parts.first().and_then(|p| p.parse().ok()).ok_or_else(bad)?;
    let minutes: i64 = match parts.get(1) {
        Some(p) => p
            .parse()
            .ok()
            .filter(|m| (0..60).contains(m))
            .ok_or_else(bad)?,
        None => 0,
    };
    let millis: i64 = match parts.get(2) {
        Some(p) => {
            let secs: f64 = p
                .parse()
                .ok()
                .filter(|s| (0.0..60.0).contains(s))
                .ok_or_else(bad)?;
            (secs * 1000.0).round() as i64
        }
        None => 0,
    };
    let total = ((degrees * 60 + minutes) * 60) * 1000 + millis;
    if degrees < 0 || total > max_deg * 3_600_000 {
        return Err(bad());
    }
    let signed = if hemisphere { -total } else { total };
    Ok((LOC_EQUATOR + signed) as u32)
}

fn parse_metres(text: &str) -> Option<f64> {
    let t = text.strip_suffix(['m', 'M']).unwrap_or(text);
    t.parse::<f64>().ok().filter(|v| v.is_finite())
}

/// Encodes centimetres as RFC 1876's mantissa/exponent octet.
fn encode_loc_precision(metres: f64) -> Option<u8> {
    if !(0.0..=90_000_000.0).contains(&metres) {
        return None;
    }
    let mut cm = (metres * 100.0).round() as u64;
    let mut exponent = 0u8;
    while cm >= 10 && exponent < 9 {
        cm /= 10;
        exponent += 1;
    }
    if cm > 9 {
        return None;
    }
    Some(((cm as u8) << 4) | exponent)
}

fn decode_loc_precision(octet: u8) -> f64 {
    let mantissa = f64::from(octet >> 4);
    let exponent = i32::from(octet & 0x0f);
    mantissa * 10f64.powi(exponent) / 100.0
}

fn write_loc_coordinate(out: &mut String, value: u32, pos: char, neg: char) -> fmt::Result {
    let signed = i64::from(value) - LOC_EQUATOR;
    let hemisphere = if signed < 0 { neg } else { pos };
    let abs = signed.abs();
    let degrees = abs / 3_600_000;
    let minutes = (abs / 60_000) % 60;
    let millis = abs % 60_000;
    write!(
        out,
        "{degrees} {minutes} {}.{:03} {hemisphere}",
        millis / 1000,
        millis % 1000
    )
}

fn write_metres(out: &mut String, cm: i64) -> fmt::Result {
    let sign = if cm < 0 { "-" } else { "" };
    let abs = cm.abs();
    write!(out, "{sign}{}.{:02}m", abs / 100, abs % 100)
}

pub(super) fn write_loc(
    out: &mut String,
    size: u8,
    hp: u8,
    vp: u8,
    lat: u32,
    lon: u32,
    alt: u32,
) -> fmt::Result {
    write_loc_coordinate(out, lat, 'N', 'S')?;
    out.push(' ');
    write_loc_coordinate(out, lon, 'E', 'W')?;
    out.push(' ');
    write_metres(out, i64::from(alt) - LOC_ALT_BASE)?;
    for p in [size, hp, vp] {
        out.push(' ');
        let cm = (decode_loc_precision(p) * 100.0).round() as i64;
        write_metres(out, cm)?;
    }
    Ok(())
}

pub(super) fn from_wire(_rtype: RecordType, r: &mut WireReader<'_>) -> Result<Rdata, RdataError> {
    let version = r.u8()?;
    if version != 0 {
        return Err(r.invalid("only LOC version 0 is defined"));
    }
    let mut precision = || -> Result<u8, RdataError> {
        let octet = r.u8()?;
        let (mantissa, exponent) = (octet >> 4, octet & 0x0f);
        if mantissa > 9 || exponent > 9 {
            return Err(r.invalid("LOC size/precision digits must be 0-9"));
        }
        // 0 × 10^e is 0 whatever e is: keep one representation.
        Ok(if mantissa == 0 { 0 } else { octet })
    };
    let size = precision()?;
    let horiz_pre = precision()?;
    let vert_pre = precision()?;
    Ok(Rdata::Loc {
        version,
        size,
        horiz_pre,
        vert_pre,
        latitude: r.u32()?,
        longitude: r.u32()?,
        altitude: r.u32()?,
    })
}
