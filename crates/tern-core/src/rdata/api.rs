//! Record content as every API face takes it (native records, RRsets and
//! batches, templates, and each seed dialect's `value`/`data`/`content`/
//! `values`): one rule, distinct from the zone-file parser.
//!
//! - TXT and SPF: content that does not start with `"` is ONE string, taken
//!   literally (spaces, `;` and `\` included), split into 255-octet
//!   character-strings only when it is longer. Content that starts with `"` is
//!   presentation format: `"a" "b"` is two strings and escapes are honoured.
//!   (In a zone file unquoted whitespace separates strings, per RFC 1035.)
//! - Names are absolute with or without the final dot, but a single label
//!   without one (`www`) is refused with a hint naming the zone.
//! - MX and SRV take their priority separately or at the head of the content;
//!   with neither, the error is about the priority alone.

use crate::name::Name;
use crate::text::{self, Token, TokenError};

use super::{NameContext, Rdata, RecordType};

/// A problem with API content, naming the input field it is about
/// (`content` or `priority`; faces rename them to their own fields).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {message}")]
pub struct ContentError {
    pub field: &'static str,
    pub message: String,
}

impl ContentError {
    fn content(message: impl Into<String>) -> ContentError {
        ContentError {
            field: "content",
            message: message.into(),
        }
    }

    fn priority(message: impl Into<String>) -> ContentError {
        ContentError {
            field: "priority",
            message: message.into(),
        }
    }
}

/// TXT/SPF content as the strings the user wrote, before any splitting at
/// 255 octets: one string for unquoted content, the quoted strings otherwise.
pub fn api_text_strings(content: &str) -> Result<Vec<Vec<u8>>, TokenError> {
    text_tokens(content.trim())?
        .iter()
        .map(|t| text::unescape(&t.raw))
        .collect()
}

/// Tokens of TXT/SPF content under the API rule. Unquoted content becomes
/// one quoted token whose backslashes are escaped, so the RDATA parser takes
/// every octet as written.
fn text_tokens(content: &str) -> Result<Vec<Token>, TokenError> {
    if content.starts_with('"') {
        return text::tokenize_line(content);
    }
    Ok(vec![Token {
        raw: content.replace('\\', "\\\\"),
        quoted: true,
    }])
}

impl Rdata {
    /// Parses the content (and separate priority, if any) an API face was
    /// given for a record in `zone`.
    pub fn parse_api_content(
        rtype: RecordType,
        content: &str,
        priority: Option<u32>,
        zone: &Name,
    ) -> Result<Rdata, ContentError> {
        let content = content.trim();
        if content.is_empty() {
            return Err(ContentError::content("must not be empty"));
        }
        let tokens = if matches!(rtype, RecordType::TXT | RecordType::SPF) {
            text_tokens(content)
        } else {
            text::tokenize_line(content)
        };
        let mut tokens = tokens.map_err(|e| ContentError::content(e.to_string()))?;
        let has_priority = matches!(rtype, RecordType::MX | RecordType::SRV);
        match (has_priority, priority) {
            (true, Some(p)) => {
                if p > u32::from(u16::MAX) {
                    return Err(ContentError::priority("must be between 0 and 65535"));
                }
                tokens.insert(0, Token::plain(p.to_string()));
            }
            // The whole RDATA in content (as a zone file writes it) is
            // accepted too; without a number at its head the priority is
            // what is missing, whatever else the content holds.
            (true, None) => {
                let leads_with_number = tokens
                    .first()
                    .is_some_and(|t| !t.quoted && t.raw.bytes().all(|b| b.is_ascii_digit()));
                if !leads_with_number {
                    return Err(ContentError::priority(format!(
                        "{rtype} records require a priority"
                    )));
                }
            }
            (false, Some(_)) => {
                return Err(ContentError::priority(format!(
                    "{rtype} records have no priority"
                )));
            }
            (false, None) => {}
        }
        Rdata::parse(rtype, &tokens, NameContext::Api(zone))
            .map_err(|e| ContentError::content(e.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rdata::CharStr;

    fn zone() -> Name {
        Name::parse_absolute("example.com.").unwrap()
    }

    fn txt(content: &str) -> Vec<Vec<u8>> {
        match Rdata::parse_api_content(RecordType::TXT, content, None, &zone()) {
            Ok(Rdata::Txt(strings)) => strings.into_iter().map(CharStr::into_bytes).collect(),
            other => panic!("{content}: {other:?}"),
        }
    }

    #[test]
    fn unquoted_txt_is_one_string_and_quoted_is_presentation() {
        assert_eq!(txt("v=spf1 -all"), vec![b"v=spf1 -all".to_vec()]);
        assert_eq!(
            txt("v=DKIM1; k=rsa; p=AB\\C"),
            vec![b"v=DKIM1; k=rsa; p=AB\\C".to_vec()]
        );
        assert_eq!(txt("\"a\" \"b\""), vec![b"a".to_vec(), b"b".to_vec()]);
        assert_eq!(txt("\"a\\\"b\\065\""), vec![b"a\"bA".to_vec()]);
        let long = "x".repeat(300);
        assert_eq!(
            txt(&long).iter().map(Vec::len).collect::<Vec<_>>(),
            vec![255, 45]
        );
        assert_eq!(
            api_text_strings("v=spf1 -all").unwrap(),
            vec![b"v=spf1 -all".to_vec()]
        );
    }

    #[test]
    fn single_label_targets_are_refused_with_a_hint() {
        let z = zone();
        let e = Rdata::parse_api_content(RecordType::CNAME, "www", None, &z).unwrap_err();
        assert_eq!(e.field, "content");
        assert!(e.message.contains("did you mean www.example.com.?"), "{e}");
        let e = Rdata::parse_api_content(RecordType::MX, "mail", Some(10), &z).unwrap_err();
        assert!(e.message.contains("did you mean mail.example.com.?"), "{e}");
        for ok in ["www.", "www.example.com", "www.example.com.", "."] {
            assert!(
                Rdata::parse_api_content(RecordType::CNAME, ok, None, &z).is_ok(),
                "{ok}"
            );
        }
        let e = Rdata::parse_api_content(RecordType::CNAME, "a\\.", None, &z).unwrap_err();
        assert!(e.message.contains("single label"), "{e}");
    }

    #[test]
    fn missing_priority_is_reported_alone() {
        let z = zone();
        let e =
            Rdata::parse_api_content(RecordType::MX, "mail.example.com.", None, &z).unwrap_err();
        assert_eq!(e.field, "priority");
        assert_eq!(e.message, "MX records require a priority");
        let e = Rdata::parse_api_content(RecordType::SRV, "5 5060 sip.example.com.", None, &z)
            .unwrap_err();
        assert_eq!(e.field, "content", "{e}");
        let e = Rdata::parse_api_content(RecordType::A, "192.0.2.1", Some(1), &z).unwrap_err();
        assert_eq!(e.field, "priority");
        assert!(Rdata::parse_api_content(RecordType::MX, "10 mail.example.com.", None, &z).is_ok());
    }
}
