//! SVCB and HTTPS (RFC 9460): priority, target and service parameters, kept
//! in wire form sorted by key; known keys are parsed and shown by name.

use std::net::{Ipv4Addr, Ipv6Addr};

use base64::Engine;
use serde::{Deserialize, Serialize};

use crate::name::Name;
use crate::text::{unescape, write_quoted};

use super::reader::{Fields, WireReader};
use super::{NameContext, Rdata, RdataError, RecordType};

/// SVCB/HTTPS parameters (RFC 9460) are kept in wire form, sorted by key.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct SvcParam {
    pub key: u16,
    pub value: Vec<u8>,
}

/// SVCB or HTTPS, which share their format (RFC 9460).
fn service_binding(rtype: RecordType, priority: u16, target: Name, params: Vec<SvcParam>) -> Rdata {
    if rtype == RecordType::HTTPS {
        Rdata::Https {
            priority,
            target,
            params,
        }
    } else {
        Rdata::Svcb {
            priority,
            target,
            params,
        }
    }
}

pub(super) fn parse(
    rtype: RecordType,
    f: &mut Fields<'_>,
    ctx: NameContext<'_>,
) -> Result<Rdata, RdataError> {
    let priority = f.number("priority")?;
    let target = f.name("target", ctx)?;
    let params = parse_svc_params(f)?;
    Ok(service_binding(rtype, priority, target, params))
}

pub(super) fn from_wire(rtype: RecordType, r: &mut WireReader<'_>) -> Result<Rdata, RdataError> {
    let priority = r.u16()?;
    let target = r.name()?;
    let mut params: Vec<SvcParam> = Vec::new();
    while !r.is_done() {
        let key = r.u16()?;
        let len = r.u16()? as usize;
        let value = r.take(len)?.to_vec();
        if params.last().is_some_and(|p| p.key >= key) {
            return Err(r.invalid("service parameters must be in strictly increasing key order"));
        }
        params.push(SvcParam { key, value });
    }
    Ok(service_binding(rtype, priority, target, params))
}

/// Wire form of the parameter list.
pub(super) fn params_to_wire(params: &[SvcParam], out: &mut Vec<u8>) {
    for p in params {
        out.extend_from_slice(&p.key.to_be_bytes());
        // Cannot truncate: parsing refuses values over 65,535 octets.
        out.extend_from_slice(&(p.value.len() as u16).to_be_bytes());
        out.extend_from_slice(&p.value);
    }
}

/// Registered SvcParamKeys 0-9 (RFC 9460, RFC 9461, RFC 9540, and
/// draft-ietf-tls-key-share-prediction for key 9).
const SVC_KEYS: [&str; 10] = [
    "mandatory",
    "alpn",
    "no-default-alpn",
    "port",
    "ipv4hint",
    "ech",
    "ipv6hint",
    "dohpath",
    "ohttp",
    "tls-supported-groups",
];

fn svc_key_number(name: &str) -> Option<u16> {
    if let Some(i) = SVC_KEYS.iter().position(|k| *k == name) {
        return Some(i as u16);
    }
    name.strip_prefix("key")
        .and_then(|n| n.parse::<u16>().ok())
        .filter(|n| *n != 65535)
}

/// Keys 0-7 are written by name; later ones (ohttp, tls-supported-groups)
/// as `keyNNN` with raw octets, which every RFC 9460 parser reads the same
/// way (NSD 4.6, for one, refuses their names).
fn svc_key_name(key: u16) -> String {
    SVC_KEYS
        .get(key as usize)
        .filter(|_| key <= 7)
        .map(|k| (*k).to_string())
        .unwrap_or_else(|| format!("key{key}"))
}

/// Splits a comma-separated value list, honouring `\,` escapes.
fn split_commas(raw: &str) -> Vec<String> {
    let mut items = vec![String::new()];
    let mut chars = raw.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                if let Some(n) = chars.next() {
                    if n != ','
                        && let Some(last) = items.last_mut()
                    {
                        last.push('\\');
                    }
                    if let Some(last) = items.last_mut() {
                        last.push(n);
                    }
                }
            }
            ',' => items.push(String::new()),
            c => {
                if let Some(last) = items.last_mut() {
                    last.push(c);
                }
            }
        }
    }
    items
}

fn parse_svc_params(f: &mut Fields<'_>) -> Result<Vec<SvcParam>, RdataError> {
    let mut params: Vec<SvcParam> = Vec::new();
    while let Some(token) = f.peek() {
        f.pos += 1;
        let (key_text, mut value_text) = match token.raw.split_once('=') {
            Some((k, v)) => (k.to_ascii_lowercase(), Some(v.to_string())),
            None => (token.raw.to_ascii_lowercase(), None),
        };
        // `key="value with spaces"` tokenizes as `key=` followed by a quoted token.
        if value_text.as_deref() == Some("")
            && let Some(next) = f.peek().filter(|t| t.quoted)
        {
            f.pos += 1;
            value_text = Some(next.raw.clone());
        }
        let key = svc_key_number(&key_text)
            .ok_or_else(|| f.invalid(format!("unknown service parameter '{key_text}'")))?;
        // `keyNNN` is the generic form: its value is raw octets whatever the
        // key (that is how the key is written for peers that lack its name).
        let value = if key_text.starts_with("key") {
            match value_text.as_deref() {
                Some(v) => unescape(v).map_err(|_| {
                    f.invalid(format!("service parameter '{key_text}': bad escape"))
                })?,
                None => Vec::new(),
            }
        } else {
            encode_svc_value(f, key, &key_text, value_text.as_deref())?
        };
        if value.len() > usize::from(u16::MAX) {
            return Err(f.invalid(format!("service parameter '{key_text}': value is too long")));
        }
        if params.iter().any(|p| p.key == key) {
            return Err(f.invalid(format!("service parameter '{key_text}' appears twice")));
        }
        params.push(SvcParam { key, value });
    }
    params.sort_by_key(|p| p.key);
    Ok(params)
}

fn encode_svc_value(
    f: &Fields<'_>,
    key: u16,
    key_text: &str,
    value: Option<&str>,
) -> Result<Vec<u8>, RdataError> {
    let need = |v: Option<&str>| -> Result<String, RdataError> {
        v.filter(|s| !s.is_empty())
            .map(str::to_string)
            .ok_or_else(|| f.invalid(format!("service parameter '{key_text}' needs a value")))
    };
    let bad = |why: &str| f.invalid(format!("service parameter '{key_text}': {why}"));
    let mut out = Vec::new();
    match key {
        0 => {
            let mut keys = Vec::new();
            for item in split_commas(&need(value)?) {
                keys.push(svc_key_number(&item).ok_or_else(|| bad("unknown key in list"))?);
            }
            keys.sort_unstable();
            for k in keys {
                out.extend_from_slice(&k.to_be_bytes());
            }
        }
        1 => {
            for item in split_commas(&need(value)?) {
                let bytes = unescape(&item).map_err(|_| bad("bad escape"))?;
                if bytes.is_empty() || bytes.len() > 255 {
                    return Err(bad("protocol ids must be 1-255 octets"));
                }
                out.push(bytes.len() as u8);
                out.extend_from_slice(&bytes);
            }
        }
        2 | 8 => {
            if value.is_some_and(|v| !v.is_empty()) {
                return Err(bad("takes no value"));
            }
        }
        9 => {
            for item in split_commas(&need(value)?) {
                let group: u16 = item
                    .parse()
                    .map_err(|_| bad("groups are numbers 0-65535"))?;
                out.extend_from_slice(&group.to_be_bytes());
            }
        }
        3 => {
            let port: u16 = need(value)?.parse().map_err(|_| bad("not a port number"))?;
            out.extend_from_slice(&port.to_be_bytes());
        }
        4 => {
            for item in split_commas(&need(value)?) {
                let addr: Ipv4Addr = item.parse().map_err(|_| bad("not an IPv4 address"))?;
                out.extend_from_slice(&addr.octets());
            }
        }
        5 => {
            out = base64::engine::general_purpose::STANDARD
                .decode(need(value)?)
                .map_err(|_| bad("not valid base64"))?;
        }
        6 => {
            for item in split_commas(&need(value)?) {
                let addr: Ipv6Addr = item.parse().map_err(|_| bad("not an IPv6 address"))?;
                out.extend_from_slice(&addr.octets());
            }
        }
        _ => {
            if let Some(v) = value {
                out = unescape(v).map_err(|_| bad("bad escape"))?;
            }
        }
    }
    if out.len() > u16::MAX as usize {
        return Err(bad("value is too long"));
    }
    Ok(out)
}

pub(super) fn write_svc_param(out: &mut String, p: &SvcParam) {
    let name = svc_key_name(p.key);
    let v = &p.value;
    let rendered: Option<String> = match p.key {
        0 if v.len().is_multiple_of(2) => Some(
            v.chunks(2)
                .map(|c| svc_key_name(u16::from_be_bytes([c[0], c[1]])))
                .collect::<Vec<_>>()
                .join(","),
        ),
        1 => {
            let mut items = Vec::new();
            let mut i = 0;
            let mut ok = true;
            while i < v.len() {
                let len = v[i] as usize;
                match v.get(i + 1..i + 1 + len) {
                    Some(id) if len > 0 => {
                        let mut s = String::new();
                        for &b in id {
                            match b {
                                b',' | b'\\' | b'"' => {
                                    s.push('\\');
                                    s.push('\\');
                                    s.push(b as char);
                                }
                                0x21..=0x7e => s.push(b as char),
                                _ => s.push_str(&format!("\\{b:03}")),
                            }
                        }
                        items.push(s);
                    }
                    _ => ok = false,
                }
                i += 1 + len;
            }
            ok.then(|| items.join(","))
        }
        2 | 8 if v.is_empty() => {
            out.push_str(&name);
            return;
        }
        3 if v.len() == 2 => Some(u16::from_be_bytes([v[0], v[1]]).to_string()),
        4 if !v.is_empty() && v.len().is_multiple_of(4) => Some(
            v.chunks(4)
                .map(|c| Ipv4Addr::new(c[0], c[1], c[2], c[3]).to_string())
                .collect::<Vec<_>>()
                .join(","),
        ),
        5 => Some(base64::engine::general_purpose::STANDARD.encode(v)),
        7 => std::str::from_utf8(v)
            .ok()
            .filter(|s| {
                s.bytes()
                    .all(|b| b.is_ascii_graphic() && b != b'"' && b != b'\\')
            })
            .map(str::to_string),
        _ => None,
    };
    match rendered {
        Some(r) if p.key != 1 => {
            out.push_str(&name);
            out.push('=');
            out.push_str(&r);
        }
        Some(r) => {
            out.push_str(&name);
            out.push_str("=\"");
            out.push_str(&r);
            out.push('"');
        }
        None => {
            // Unknown keys, and known keys whose value does not decode, are
            // shown as the raw octets so nothing is lost.
            out.push_str(&format!("key{}=", p.key));
            write_quoted(out, v);
        }
    }
}
