//! Presentation-format tokens shared by the zone-file reader and the API's
//! record content: splitting on whitespace with quotes and escapes, and the
//! RFC 1035 <character-string> encoding both ways.

use std::fmt::Write;

/// One whitespace-separated field. `raw` keeps backslash escapes as written
/// (names need them undecoded); quotes are stripped and remembered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Token {
    pub raw: String,
    pub quoted: bool,
}

impl Token {
    pub fn plain(raw: impl Into<String>) -> Token {
        Token {
            raw: raw.into(),
            quoted: false,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    #[error("unterminated quoted string")]
    UnterminatedQuote,
    #[error("unbalanced parenthesis")]
    UnbalancedParen,
    #[error("bad escape sequence '{0}'")]
    BadEscape(String),
}

/// Splits one logical line (no newlines expected, though parentheses are
/// tolerated) into tokens. Comments after an unquoted `;` are dropped.
pub fn tokenize_line(text: &str) -> Result<Vec<Token>, TokenError> {
    let mut tokens = Vec::new();
    let mut chars = text.chars().peekable();
    let mut depth = 0i32;
    while let Some(&c) = chars.peek() {
        match c {
            ' ' | '\t' | '\r' | '\n' => {
                chars.next();
            }
            ';' => break,
            '(' => {
                depth += 1;
                chars.next();
            }
            ')' => {
                depth -= 1;
                if depth < 0 {
                    return Err(TokenError::UnbalancedParen);
                }
                chars.next();
            }
            '"' => {
                chars.next();
                let mut raw = String::new();
                let mut closed = false;
                while let Some(c) = chars.next() {
                    match c {
                        '\\' => {
                            raw.push('\\');
                            if let Some(n) = chars.next() {
                                raw.push(n);
                            }
                        }
                        '"' => {
                            closed = true;
                            break;
                        }
                        c => raw.push(c),
                    }
                }
                if !closed {
                    return Err(TokenError::UnterminatedQuote);
                }
                tokens.push(Token { raw, quoted: true });
            }
            _ => {
                let mut raw = String::new();
                while let Some(&c) = chars.peek() {
                    match c {
                        ' ' | '\t' | '\r' | '\n' | ';' | '(' | ')' | '"' => break,
                        '\\' => {
                            raw.push('\\');
                            chars.next();
                            if let Some(n) = chars.next() {
                                raw.push(n);
                            }
                        }
                        c => {
                            raw.push(c);
                            chars.next();
                        }
                    }
                }
                tokens.push(Token { raw, quoted: false });
            }
        }
    }
    if depth != 0 {
        return Err(TokenError::UnbalancedParen);
    }
    Ok(tokens)
}

/// Decodes `\DDD` and `\X` escapes into octets.
pub fn unescape(raw: &str) -> Result<Vec<u8>, TokenError> {
    let bytes = raw.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'\\' {
            let (octet, used) =
                decode_escape(&bytes[i..]).ok_or_else(|| TokenError::BadEscape(raw.to_string()))?;
            out.push(octet);
            i += used;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    Ok(out)
}

/// Decodes the escape at the start of `bytes` (which begins with `\`):
/// `\DDD` (decimal octet) or `\X` (X itself). Returns the octet and how many
/// input bytes it used, or `None` for a malformed escape.
pub fn decode_escape(bytes: &[u8]) -> Option<(u8, usize)> {
    let next = *bytes.get(1)?;
    if !next.is_ascii_digit() {
        return Some((next, 2));
    }
    let digits = bytes.get(1..4)?;
    if !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let value = digits
        .iter()
        .fold(0u32, |acc, d| acc * 10 + u32::from(d - b'0'));
    Some((u8::try_from(value).ok()?, 4))
}

/// Writes octets as a quoted <character-string>.
pub fn write_quoted(out: &mut String, data: &[u8]) {
    out.push('"');
    for &b in data {
        match b {
            b'"' | b'\\' => {
                out.push('\\');
                out.push(b as char);
            }
            0x20..=0x7e => out.push(b as char),
            _ => {
                let _ = write!(out, "\\{b:03}");
            }
        }
    }
    out.push('"');
}

pub fn quoted(data: &[u8]) -> String {
    let mut out = String::new();
    write_quoted(&mut out, data);
    out
}

pub fn hex_encode(data: &[u8]) -> String {
    let mut out = String::with_capacity(data.len() * 2);
    for b in data {
        let _ = write!(out, "{b:02X}");
    }
    out
}

pub fn hex_decode(text: &str) -> Option<Vec<u8>> {
    let digits: Vec<u8> = text.bytes().filter(|b| !b.is_ascii_whitespace()).collect();
    if !digits.len().is_multiple_of(2) {
        return None;
    }
    digits
        .chunks(2)
        .map(|pair| {
            let hi = (pair[0] as char).to_digit(16)?;
            let lo = (pair[1] as char).to_digit(16)?;
            Some((hi * 16 + lo) as u8)
        })
        .collect()
}

/// Parses a TTL in seconds or BIND units (`1h30m`, `1W`, `2d`).
pub fn parse_ttl(text: &str) -> Option<u32> {
    if text.is_empty() {
        return None;
    }
    if let Ok(v) = text.parse::<u32>() {
        return Some(v);
    }
    let mut total: u64 = 0;
    let mut current: Option<u64> = None;
    for c in text.chars() {
        if let Some(d) = c.to_digit(10) {
            current = Some(
                current
                    .unwrap_or(0)
                    .checked_mul(10)?
                    .checked_add(u64::from(d))?,
            );
            continue;
        }
        let unit = match c.to_ascii_lowercase() {
            's' => 1,
            'm' => 60,
            'h' => 3600,
            'd' => 86400,
            'w' => 604800,
            _ => return None,
        };
        total = total.checked_add(current.take()?.checked_mul(unit)?)?;
    }
    if let Some(rest) = current {
        total = total.checked_add(rest)?;
    }
    u32::try_from(total).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_with_quotes_and_comments() {
        let t = tokenize_line(r#"a "b c" d\ e ; comment"#).unwrap();
        assert_eq!(t.len(), 3);
        assert_eq!(
            t[1],
            Token {
                raw: "b c".into(),
                quoted: true
            }
        );
        assert_eq!(t[2].raw, "d\\ e");
        assert_eq!(unescape(r#"a\"b\065"#).unwrap(), b"a\"bA");
        assert!(tokenize_line("\"open").is_err());
    }

    #[test]
    fn ttl_units() {
        assert_eq!(parse_ttl("3600"), Some(3600));
        assert_eq!(parse_ttl("1h30m"), Some(5400));
        assert_eq!(parse_ttl("1W"), Some(604800));
        assert_eq!(parse_ttl("2d1s"), Some(172801));
        assert_eq!(parse_ttl("abc"), None);
        assert_eq!(parse_ttl("99999999999"), None);
    }
}
