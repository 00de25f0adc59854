//! TSIG (RFC 8945) on the nameserver: the keys it accepts, the check of a
//! signed request and the signing of its answers, one message or a whole
//! transfer sequence, and the signing of the NOTIFYs we send. The MACs, the time/fudge/truncation checks and the
//! error answers (BADKEY, BADTIME, …) are `domain::tsig`'s; this module
//! holds the keys and bridges our pre-built wire messages to its builder.

use std::collections::HashMap;
use std::fmt::Write;
use std::sync::Arc;

use arc_swap::ArcSwap;
use domain::base::iana::TsigRcode;
use domain::base::message_builder::AdditionalBuilder;
use domain::base::name::ToName;
use domain::base::{Message, MessageBuilder, ParsedName};
use domain::rdata::AllRecordData;
use domain::rdata::tsig::Time48;
use domain::tsig::{Algorithm, ClientTransaction, Key, KeyName, KeyStore, ServerSequence};
use tern_core::{Name, TsigAlgorithm, TsigKey};

use crate::wire::HEADER_LEN;

/// A key the server signs with, and its name in Tern's canonical form (for
/// matching against zones' `transfer_keys`).
#[derive(Clone)]
pub struct SigningKey(Arc<(Key, Name)>);

impl SigningKey {
    pub fn name(&self) -> &Name {
        &self.0.1
    }
}

impl AsRef<Key> for SigningKey {
    fn as_ref(&self) -> &Key {
        &self.0.0
    }
}

type KeyMap = HashMap<(String, Algorithm), SigningKey>;

/// The keys the server knows, replaced as a whole when the store's change.
#[derive(Default)]
pub struct TsigKeys {
    keys: ArcSwap<KeyMap>,
}

impl TsigKeys {
    /// Installs `keys`, skipping (and logging) any `domain` refuses.
    pub fn replace(&self, keys: &[TsigKey]) {
        let mut map = KeyMap::new();
        for key in keys {
            match signing_key(key) {
                Ok(signing) => {
                    map.insert(
                        (key.name.as_str().to_string(), algorithm(key.algorithm)),
                        signing,
                    );
                }
                Err(e) => tracing::warn!(key = %key.name, error = %e, "TSIG key not usable"),
            }
        }
        self.keys.store(Arc::new(map));
    }

    /// The key of that name (whatever its algorithm), to sign requests with.
    pub fn by_name(&self, name: &Name) -> Option<SigningKey> {
        self.keys
            .load()
            .iter()
            .find(|((key_name, _), _)| key_name == name.as_str())
            .map(|(_, key)| key.clone())
    }

    pub fn len(&self) -> usize {
        self.keys.load().len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Checks a request whose additional section ends in a TSIG record at
    /// `tsig_at`.
    pub(crate) fn verify(&self, message: &[u8], tsig_at: usize) -> Verified {
        let keys = self.keys.load();
        let Ok(mut parsed) = Message::from_octets(message.to_vec()) else {
            return Verified::Rejected(None);
        };
        let now = Time48::now();
        match ServerSequence::request(&Lookup(&keys), &mut parsed, now) {
            Ok(Some(sequence)) => {
                // `domain` took the record out of the counts and restored the
                // original id; the bytes go too, so parsing sees a plain query.
                let mut request = parsed.into_octets();
                request.truncate(tsig_at);
                Verified::Signed {
                    sequence: Box::new(sequence),
                    request,
                }
            }
            // Not reached: the caller found a TSIG record.
            Ok(None) => Verified::Rejected(None),
            Err(error) => {
                let mismatch = error.error() == TsigRcode::FORMERR;
                // Logged as what the peer is told (see `mark_bad_signature`):
                // a wrong secret is BADSIG, not the FORMERR domain reports.
                let code = if mismatch {
                    "BADSIG".to_string()
                } else {
                    error.error().to_string()
                };
                tracing::info!(tsig_error = %code, "TSIG check failed");
                let Ok(original) = Message::from_octets(message) else {
                    return Verified::Rejected(None);
                };
                let mut response = error
                    .build_message(&original, MessageBuilder::new_vec())
                    .ok()
                    .map(AdditionalBuilder::finish);
                if mismatch && let Some(response) = &mut response {
                    mark_bad_signature(response);
                }
                Verified::Rejected(response)
            }
        }
    }
}

pub(crate) enum Verified {
    /// Signed with a known key: answer `request` (the message without its
    /// TSIG record) and sign every message of the answer with `sequence`.
    Signed {
        sequence: Box<ServerSequence<SigningKey>>,
        request: Vec<u8>,
    },
    /// The answer to send instead (NOTAUTH with the TSIG error, or FORMERR);
    /// `None` when even that could not be built from the message.
    Rejected(Option<Vec<u8>>),
}

/// domain 0.12.3 reports a MAC that does not verify with TSIG error FORMERR
/// in a NOTAUTH answer; RFC 8945 §5.2.2 asks for BADSIG (16), which is what
/// clients and operators look for. A NOTAUTH whose unsigned TSIG says FORMERR
/// is only produced by that path, and its error field is the last four
/// octets but two (Other Len is 0 there).
fn mark_bad_signature(response: &mut [u8]) {
    const NOTAUTH: u8 = 9;
    const BADSIG: u16 = 16;
    let len = response.len();
    if len > HEADER_LEN + 4
        && response[3] & 0x0f == NOTAUTH
        && response[len - 2..] == [0, 0]
        && response[len - 4..len - 2] == TsigRcode::FORMERR.to_int().to_be_bytes()
    {
        response[len - 4..len - 2].copy_from_slice(&BADSIG.to_be_bytes());
    }
}

/// Signs the next message of an answer. `None` if the message cannot be
/// re-read (it was built by us, so that is a bug worth a log line).
pub(crate) fn sign(sequence: &mut ServerSequence<SigningKey>, message: &[u8]) -> Option<Vec<u8>> {
    let mut builder = rebuild(message)?;
    match sequence.answer(&mut builder, Time48::now()) {
        Ok(()) => Some(builder.finish()),
        Err(e) => {
            tracing::error!(error = %e, "signing an answer with TSIG");
            None
        }
    }
}

/// Signs a request we send (NOTIFY) with `key`.
pub(crate) fn sign_request(key: SigningKey, message: &[u8]) -> Option<Vec<u8>> {
    let mut builder = rebuild(message)?;
    match ClientTransaction::request(key, &mut builder, Time48::now()) {
        Ok(_) => Some(builder.finish()),
        Err(e) => {
            tracing::error!(error = %e, "signing a request with TSIG");
            None
        }
    }
}

/// Our message as a `domain` builder positioned after its last record, so
/// `domain` can compute the MAC over it and append the TSIG record. Names
/// come out uncompressed; a signed answer is a rare, small or transfer
/// message, where that costs nothing that matters.
fn rebuild(message: &[u8]) -> Option<AdditionalBuilder<Vec<u8>>> {
    let parsed = Message::from_octets(message).ok()?;
    let mut builder = MessageBuilder::new_vec();
    *builder.header_mut() = parsed.header();
    let mut question = builder.question();
    for item in parsed.question() {
        question.push(item.ok()?).ok()?;
    }
    let mut unreadable = false;
    let builder = parsed
        .copy_records(question.answer(), |record| {
            match record.to_record::<AllRecordData<_, ParsedName<_>>>() {
                Ok(Some(record)) => Some(record),
                _ => {
                    unreadable = true;
                    None
                }
            }
        })
        .ok()?;
    if unreadable {
        tracing::error!(
            len = message.len(),
            "answer could not be re-read for TSIG signing"
        );
        return None;
    }
    Some(builder)
}

/// Looks keys up by the canonical (lower-case, absolute) form of the name in
/// the request, whatever case the peer wrote it in.
struct Lookup<'a>(&'a KeyMap);

impl KeyStore for Lookup<'_> {
    type Key = SigningKey;

    fn get_key<N: ToName>(&self, name: &N, algorithm: Algorithm) -> Option<SigningKey> {
        let mut canonical = String::new();
        for label in name.iter_labels().filter(|l| !l.is_root()) {
            let _ = write!(canonical, "{label}.");
        }
        if canonical.is_empty() {
            canonical.push('.');
        }
        canonical.make_ascii_lowercase();
        self.0.get(&(canonical, algorithm)).cloned()
    }
}

fn algorithm(algorithm: TsigAlgorithm) -> Algorithm {
    match algorithm {
        TsigAlgorithm::HmacSha1 => Algorithm::Sha1,
        TsigAlgorithm::HmacSha256 => Algorithm::Sha256,
        TsigAlgorithm::HmacSha384 => Algorithm::Sha384,
        TsigAlgorithm::HmacSha512 => Algorithm::Sha512,
    }
}

fn signing_key(key: &TsigKey) -> Result<SigningKey, String> {
    let name = KeyName::from_chars(key.name.as_str().chars()).map_err(|e| e.to_string())?;
    let signing = Key::new(algorithm(key.algorithm), &key.secret, name, None, None)
        .map_err(|e| e.to_string())?;
    Ok(SigningKey(Arc::new((signing, key.name.clone()))))
}
