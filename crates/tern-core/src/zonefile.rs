//! RFC 1035 master files: a streaming reader that yields one record or one
//! problem per entry (with its line number) and keeps going, and the writer
//! that emits Tern's canonical BIND format.
//!
//! The reader is our own rather than `domain`'s `zonefile::inplace`: that one
//! must not be used after its first error, buffers the whole file, and has no
//! LOC; a strict import has to name every bad record and stream large files.

use std::io::{self, BufRead, Write};

use crate::model::{Record, Zone};
use crate::name::Name;
use crate::rdata::{NameContext, Rdata, RecordType};
use crate::text::{Token, parse_ttl, tokenize_line};

/// A record read from a zone file, with the line its entry starts on.
#[derive(Debug, Clone, PartialEq)]
pub struct FileRecord {
    pub line: usize,
    pub name: Name,
    pub ttl: u32,
    pub rdata: Rdata,
}

/// An entry the reader could not turn into a record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileProblem {
    pub line: usize,
    /// The owner and type as written, when the entry got that far.
    pub owner: Option<String>,
    pub rtype: Option<String>,
    pub reason: String,
}

impl std::fmt::Display for FileProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "line {}: ", self.line)?;
        match (&self.owner, &self.rtype) {
            (Some(o), Some(t)) => write!(f, "{o} {t}: ")?,
            (Some(o), None) => write!(f, "{o}: ")?,
            _ => {}
        }
        f.write_str(&self.reason)
    }
}

/// TTL for records before any `$TTL` or explicit TTL (BIND's default).
const FALLBACK_TTL: u32 = 3600;

/// Streams entries from a master file. Each call to `next` returns one record
/// or one problem; directives are handled internally.
pub struct ZoneFileReader<R> {
    input: R,
    line_no: usize,
    origin: Name,
    dollar_ttl: Option<u32>,
    last_ttl: Option<u32>,
    last_owner: Option<Name>,
    buf: String,
    done: bool,
    allow_dnssec: bool,
}

impl<R: BufRead> ZoneFileReader<R> {
    pub fn new(input: R, origin: Name) -> Self {
        ZoneFileReader {
            input,
            line_no: 0,
            origin,
            dollar_ttl: None,
            last_ttl: None,
            last_owner: None,
            buf: String::new(),
            done: false,
            allow_dnssec: false,
        }
    }

    /// Also reads DNSSEC records (RRSIG, NSEC, NSEC3, NSEC3PARAM, DNSKEY,
    /// CDS, CDNSKEY), which a user's zone file may not hold: only for a
    /// signed zone Tern wrote itself (tests, signed export round trips),
    /// never for an import.
    pub fn allow_dnssec(mut self) -> Self {
        self.allow_dnssec = true;
        self
    }

    /// Reads one logical entry: physical lines joined while parentheses are
    /// open, comments removed. Returns the start line, whether it began with
    /// blank space (owner inherited), and the text.
    fn read_entry(&mut self) -> io::Result<Option<(usize, bool, String)>> {
        let mut text = String::new();
        let mut start = 0;
        let mut inherits = false;
        let mut depth = 0i32;
        loop {
            self.buf.clear();
            let mut raw = Vec::new();
            let n = self.input.read_until(b'\n', &mut raw)?;
            if n == 0 {
                if text.trim().is_empty() {
                    return Ok(None);
                }
                return Ok(Some((start, inherits, text)));
            }
            self.line_no += 1;
            self.buf.push_str(&String::from_utf8_lossy(&raw));
            let (content, delta) = strip_comment(&self.buf);
            if text.is_empty() {
                if content.trim().is_empty() {
                    continue;
                }
                start = self.line_no;
                inherits = content.starts_with([' ', '\t']);
            }
            text.push_str(content);
            text.push(' ');
            depth += delta;
            if depth <= 0 {
                return Ok(Some((start, inherits, text)));
            }
        }
    }

    fn problem(
        &self,
        line: usize,
        owner: Option<&str>,
        rtype: Option<&str>,
        reason: impl Into<String>,
    ) -> FileProblem {
        FileProblem {
            line,
            owner: owner.map(str::to_string),
            rtype: rtype.map(str::to_string),
            reason: reason.into(),
        }
    }

    fn directive(&mut self, line: usize, tokens: &[Token]) -> Option<FileProblem> {
        let keyword = tokens[0].raw.to_ascii_uppercase();
        match keyword.as_str() {
            "$ORIGIN" => match tokens
                .get(1)
                .map(|t| Name::parse_zone_file(&t.raw, &self.origin))
            {
                Some(Ok(origin)) => {
                    self.origin = origin;
                    None
                }
                Some(Err(e)) => Some(self.problem(line, None, None, format!("$ORIGIN: {e}"))),
                None => Some(self.problem(line, None, None, "$ORIGIN needs a name")),
            },
            "$TTL" => match tokens.get(1).and_then(|t| parse_ttl(&t.raw)) {
                Some(ttl) => {
                    self.dollar_ttl = Some(ttl);
                    None
                }
                None => Some(self.problem(line, None, None, "$TTL needs a valid TTL")),
            },
            "$INCLUDE" => Some(self.problem(
                line,
                None,
                None,
                "$INCLUDE is not allowed: Tern never reads other files named inside a zone file",
            )),
            other => Some(self.problem(line, None, None, format!("unknown directive {other}"))),
        }
    }

    fn parse_entry(
        &mut self,
        line: usize,
        inherits: bool,
        tokens: Vec<Token>,
    ) -> Result<FileRecord, FileProblem> {
        let mut rest = &tokens[..];
        let owner_text = if inherits {
            None
        } else {
            let (first, tail) = rest
                .split_first()
                .ok_or_else(|| self.problem(line, None, None, "empty entry"))?;
            rest = tail;
            Some(first.raw.clone())
        };
        let owner = match &owner_text {
            Some(text) => Name::parse_zone_file(text, &self.origin)
                .map_err(|e| self.problem(line, Some(text), None, format!("owner name: {e}")))?,
            None => self.last_owner.clone().ok_or_else(|| {
                self.problem(line, None, None, "the first record needs an owner name")
            })?,
        };
        let owner_shown = owner_text.clone().unwrap_or_else(|| owner.to_string());
        self.last_owner = Some(owner.clone());

        let mut ttl = None;
        let mut rtype = None;
        while let Some((token, tail)) = rest.split_first() {
            rest = tail;
            let upper = token.raw.to_ascii_uppercase();
            if ttl.is_none() && token.raw.starts_with(|c: char| c.is_ascii_digit()) {
                ttl = Some(parse_ttl(&token.raw).ok_or_else(|| {
                    self.problem(
                        line,
                        Some(&owner_shown),
                        None,
                        format!("'{}' is not a valid TTL", token.raw),
                    )
                })?);
                continue;
            }
            if upper == "IN" {
                continue;
            }
            if matches!(upper.as_str(), "CH" | "HS" | "CS" | "NONE" | "ANY")
                || upper.starts_with("CLASS")
            {
                return Err(self.problem(
                    line,
                    Some(&owner_shown),
                    None,
                    format!("class {upper} is not served; only IN"),
                ));
            }
            let parsed = if self.allow_dnssec {
                RecordType::parse_trusted(&upper)
            } else {
                RecordType::parse(&upper)
            };
            rtype = Some((
                upper.clone(),
                parsed.map_err(|e| {
                    self.problem(line, Some(&owner_shown), Some(&upper), e.to_string())
                })?,
            ));
            break;
        }
        let (type_text, rtype) = rtype
            .ok_or_else(|| self.problem(line, Some(&owner_shown), None, "missing record type"))?;
        let ctx = NameContext::ZoneFile(&self.origin);
        let rdata = if self.allow_dnssec {
            Rdata::parse_trusted(rtype, rest, ctx)
        } else {
            Rdata::parse(rtype, rest, ctx)
        };
        let rdata = rdata
            .map_err(|e| self.problem(line, Some(&owner_shown), Some(&type_text), e.to_string()))?;
        let ttl = match ttl {
            Some(t) => {
                self.last_ttl = Some(t);
                t
            }
            None => self.dollar_ttl.or(self.last_ttl).unwrap_or(FALLBACK_TTL),
        };
        Ok(FileRecord {
            line,
            name: owner,
            ttl,
            rdata,
        })
    }
}

impl<R: BufRead> Iterator for ZoneFileReader<R> {
    type Item = Result<FileRecord, FileProblem>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            if self.done {
                return None;
            }
            let (line, inherits, text) = match self.read_entry() {
                Ok(Some(entry)) => entry,
                Ok(None) => {
                    self.done = true;
                    return None;
                }
                Err(e) => {
                    self.done = true;
                    let line = self.line_no + 1;
                    return Some(Err(self.problem(
                        line,
                        None,
                        None,
                        format!("read error: {e}"),
                    )));
                }
            };
            let tokens = match tokenize_line(&text) {
                Ok(t) if t.is_empty() => continue,
                Ok(t) => t,
                Err(e) => return Some(Err(self.problem(line, None, None, e.to_string()))),
            };
            if !inherits && tokens[0].raw.starts_with('$') && !tokens[0].quoted {
                match self.directive(line, &tokens) {
                    Some(problem) => return Some(Err(problem)),
                    None => continue,
                }
            }
            return Some(self.parse_entry(line, inherits, tokens));
        }
    }
}

/// Drops a trailing comment (outside quotes) and returns the kept text with
/// its net parenthesis depth change.
fn strip_comment(line: &str) -> (&str, i32) {
    let mut in_quote = false;
    let mut escaped = false;
    let mut depth = 0;
    for (i, c) in line.char_indices() {
        if escaped {
            escaped = false;
            continue;
        }
        match c {
            '\\' => escaped = true,
            '"' => in_quote = !in_quote,
            '(' if !in_quote => depth += 1,
            ')' if !in_quote => depth -= 1,
            ';' if !in_quote => return (&line[..i], depth),
            _ => {}
        }
    }
    (line.trim_end_matches(['\n', '\r']), depth)
}

/// Writes a zone in canonical BIND format: `$ORIGIN`, the SOA, then every
/// record in DNSSEC canonical name order with explicit TTL and class, owners
/// relative to the origin and names in RDATA absolute.
pub fn write_zone(out: &mut impl Write, zone: &Zone, records: &[Record]) -> io::Result<()> {
    let origin = &zone.name;
    writeln!(out, "$ORIGIN {origin}")?;
    writeln!(out, "$TTL {}", zone.default_ttl)?;
    writeln!(out, "@\t{}\tIN\tSOA\t{}", zone.soa.ttl, zone.soa_rdata())?;
    // Sort keys are built once per record (comparing names label by label
    // inside the sort would re-split them O(n log n) times).
    let mut sorted: Vec<&Record> = records.iter().collect();
    sorted.sort_by_cached_key(|r| {
        (
            r.name.canonical_key(),
            r.rtype != RecordType::NS,
            r.rtype,
            r.rdata.wire(),
        )
    });
    for record in sorted {
        writeln!(
            out,
            "{}\t{}\tIN\t{}\t{}",
            record.name.relative_to(origin),
            record.effective_ttl(zone.default_ttl),
            record.rtype,
            record.rdata
        )?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(text: &str) -> Vec<Result<FileRecord, FileProblem>> {
        ZoneFileReader::new(
            text.as_bytes(),
            Name::parse_absolute("example.com").unwrap(),
        )
        .collect()
    }

    #[test]
    fn directives_parens_inheritance() {
        let zone = "$ORIGIN example.com.\n$TTL 1h\n@ IN SOA ns1 hostmaster (\n  2024010101 ; serial\n  1h 10m 1w 5m )\n\tIN NS ns1\nwww 300 A 192.0.2.1\n     A 192.0.2.2\nsub.example.com. IN 600 TXT \"a;b\" \"c\\\"d\"\n";
        let got: Vec<FileRecord> = read(zone).into_iter().map(|r| r.unwrap()).collect();
        assert_eq!(got.len(), 5);
        assert_eq!(got[0].line, 3);
        assert_eq!(got[0].ttl, 3600);
        assert_eq!(got[1].name.as_str(), "example.com.");
        assert_eq!(got[1].line, 6);
        assert_eq!(got[3].name.as_str(), "www.example.com.");
        assert_eq!(got[3].ttl, 3600, "no explicit TTL: $TTL applies");
        assert_eq!(got[4].ttl, 600);
        assert_eq!(got[4].rdata.to_string(), "\"a;b\" \"c\\\"d\"");
    }

    #[test]
    fn problems_carry_lines_and_reading_continues() {
        let zone = "$ORIGIN example.com.\nok A 192.0.2.1\nbad AAAA 2001:db8::g\n$INCLUDE /etc/passwd\nold MB host\nalias ALIAS target.\nstill A 192.0.2.2\nx CH TXT \"x\"\n";
        let got = read(zone);
        let lines: Vec<(usize, bool)> = got
            .iter()
            .map(|r| match r {
                Ok(rec) => (rec.line, true),
                Err(p) => (p.line, false),
            })
            .collect();
        assert_eq!(
            lines,
            vec![
                (2, true),
                (3, false),
                (4, false),
                (5, false),
                (6, false),
                (7, true),
                (8, false)
            ]
        );
        let reasons: Vec<String> = got
            .iter()
            .filter_map(|r| r.as_ref().err())
            .map(|p| p.to_string())
            .collect();
        assert!(reasons[0].contains("not an IPv6 address"), "{reasons:?}");
        assert!(
            reasons[1].contains("$INCLUDE is not allowed"),
            "{reasons:?}"
        );
        assert!(reasons[2].contains("obsolete"), "{reasons:?}");
        assert!(reasons[3].contains("pseudo-type"), "{reasons:?}");
        assert!(reasons[4].contains("only IN"), "{reasons:?}");
    }

    #[test]
    fn relative_names_in_rdata_take_the_origin() {
        let got = read("@ MX 10 mail\n@ NS ns1.other.net.\n");
        assert_eq!(
            got[0].as_ref().unwrap().rdata.to_string(),
            "10 mail.example.com."
        );
        assert_eq!(got[1].as_ref().unwrap().rdata.to_string(), "ns1.other.net.");
    }
}
