//! DNSKEY and DS: flags, the DNSKEY RDATA, key tags (RFC 4034 Appendix B),
//! SHA-256 DS digests (RFC 4509) and their presentation lines, which the API
//! hands to users for their parent zone.

use base64::Engine;
use ring::digest;
use tern_core::text::hex_encode;
use tern_core::{KeyRole, Name};

use crate::rtypes::{DNSKEY, DS};

/// The only DNSKEY protocol value (RFC 4034 §2.1.2).
pub const PROTOCOL: u8 = 3;
/// Bit 7 of the flags: the key signs zone data (RFC 4034 §2.1.1).
pub const ZONE_KEY_FLAG: u16 = 0x0100;
/// Bit 15 of the flags: the Secure Entry Point, the key a DS points to.
pub const SEP_FLAG: u16 = 0x0001;
/// DS digest type SHA-256 (RFC 4509).
pub const DIGEST_SHA256: u8 = 2;
/// RSA/MD5 (RFC 4034 Appendix B.1), whose key tag is computed differently.
const RSAMD5: u8 = 1;

/// A key's DNSKEY flags by its role: 257 (zone key + SEP) for a CSK or
/// KSK, whose DS the parent holds; 256 for a ZSK.
pub const fn key_flags(role: KeyRole) -> u16 {
    match role {
        KeyRole::Csk | KeyRole::Ksk => ZONE_KEY_FLAG | SEP_FLAG,
        KeyRole::Zsk => ZONE_KEY_FLAG,
    }
}

/// DNSKEY RDATA in wire form: flags, protocol 3, algorithm, public key.
pub fn dnskey_rdata_wire(flags: u16, algorithm: u8, public_key: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(4 + public_key.len());
    out.extend_from_slice(&flags.to_be_bytes());
    out.push(PROTOCOL);
    out.push(algorithm);
    out.extend_from_slice(public_key);
    out
}

/// The key tag of a DNSKEY (RFC 4034 Appendix B). Computed here rather than
/// through `domain::rdata::Dnskey::key_tag`, whose constructor is fallible,
/// so that this is total; the tests hold the two equal.
pub fn key_tag(flags: u16, algorithm: u8, public_key: &[u8]) -> u16 {
    if algorithm == RSAMD5 {
        // Appendix B.1: the most significant 16 of the modulus' least
        // significant 24 bits.
        let len = public_key.len();
        return match public_key.get(len.wrapping_sub(3)..len.wrapping_sub(1)) {
            Some(&[hi, lo]) if len >= 3 => u16::from_be_bytes([hi, lo]),
            _ => 0,
        };
    }
    let rdata = dnskey_rdata_wire(flags, algorithm, public_key);
    let mut sum: u64 = 0;
    for (i, &octet) in rdata.iter().enumerate() {
        sum += if i % 2 == 0 {
            u64::from(octet) << 8
        } else {
            u64::from(octet)
        };
    }
    sum += (sum >> 16) & 0xFFFF;
    (sum & 0xFFFF) as u16
}

/// The SHA-256 DS digest (RFC 4509 §2.1, RFC 4034 §5.1.4): over the owner's
/// canonical wire form followed by the DNSKEY RDATA.
pub fn ds_digest_sha256(owner: &Name, dnskey_wire: &[u8]) -> Vec<u8> {
    let mut context = digest::Context::new(&digest::SHA256);
    // Tern names are canonical (lower case) already.
    let mut owner_wire = Vec::with_capacity(owner.wire_len());
    owner.to_wire(&mut owner_wire);
    context.update(&owner_wire);
    context.update(dnskey_wire);
    context.finish().as_ref().to_vec()
}

/// DS (and CDS) RDATA in wire form.
pub fn ds_rdata_wire(key_tag: u16, algorithm: u8, digest_type: u8, digest: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(4 + digest.len());
    out.extend_from_slice(&key_tag.to_be_bytes());
    out.push(algorithm);
    out.push(digest_type);
    out.extend_from_slice(digest);
    out
}

/// DNSKEY (and CDNSKEY) RDATA as presentation text: `257 3 13 <base64>`.
pub fn dnskey_rdata_text(flags: u16, algorithm: u8, public_key: &[u8]) -> String {
    format!(
        "{flags} {PROTOCOL} {algorithm} {}",
        base64::engine::general_purpose::STANDARD.encode(public_key)
    )
}

/// DS (and CDS) RDATA as presentation text: `12345 13 2 <HEX>`.
pub fn ds_rdata_text(key_tag: u16, algorithm: u8, digest_type: u8, digest: &[u8]) -> String {
    format!("{key_tag} {algorithm} {digest_type} {}", hex_encode(digest))
}

/// A whole DNSKEY line: `example.com. 3600 IN DNSKEY 257 3 13 <base64>`.
pub fn dnskey_presentation(
    owner: &Name,
    ttl: u32,
    flags: u16,
    algorithm: u8,
    public_key: &[u8],
) -> String {
    format!(
        "{owner} {ttl} IN {} {}",
        crate::rtypes::type_mnemonic(DNSKEY),
        dnskey_rdata_text(flags, algorithm, public_key)
    )
}

/// A whole DS line, as the parent zone's operator enters it:
/// `example.com. 3600 IN DS 12345 13 2 <HEX>`.
pub fn ds_presentation(
    owner: &Name,
    ttl: u32,
    key_tag: u16,
    algorithm: u8,
    digest_type: u8,
    digest: &[u8],
) -> String {
    format!(
        "{owner} {ttl} IN {DS} {}",
        ds_rdata_text(key_tag, algorithm, digest_type, digest)
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keys::tests::{RFC8080_PUBLIC_KEY, base64_decode, rfc8080_key};
    use crate::keys::{Algorithm, SigningKey};
    use domain::base::iana::SecurityAlgorithm;
    use domain::rdata::Dnskey;

    fn name(text: &str) -> Name {
        Name::parse_absolute(text).expect("name")
    }

    fn domain_key_tag(flags: u16, algorithm: u8, public_key: &[u8]) -> u16 {
        Dnskey::new(
            flags,
            PROTOCOL,
            SecurityAlgorithm::from_int(algorithm),
            public_key.to_vec(),
        )
        .expect("dnskey")
        .key_tag()
    }

    #[test]
    fn roles_have_their_flags() {
        assert_eq!(key_flags(KeyRole::Csk), 257);
        assert_eq!(key_flags(KeyRole::Ksk), 257);
        assert_eq!(key_flags(KeyRole::Zsk), 256);
    }

    #[test]
    fn rdata_wire_is_flags_protocol_algorithm_key() {
        assert_eq!(
            dnskey_rdata_wire(257, 13, &[0xAA, 0xBB]),
            vec![0x01, 0x01, 3, 13, 0xAA, 0xBB]
        );
    }

    #[test]
    fn rfc_8080_key_has_its_tag_and_ds() {
        // RFC 8080 §6.1: key tag 3613, and the DS line for example.com.
        let public = base64_decode(RFC8080_PUBLIC_KEY);
        assert_eq!(key_tag(257, 15, &public), 3613);
        let wire = dnskey_rdata_wire(257, 15, &public);
        let digest = ds_digest_sha256(&name("example.com."), &wire);
        assert_eq!(
            hex_encode(&digest),
            "3AA5AB37EFCE57F737FC1627013FEE07BDF241BD10F3B1964AB55C78E79A304B"
        );
        assert_eq!(
            ds_presentation(
                &name("example.com."),
                3600,
                3613,
                15,
                DIGEST_SHA256,
                &digest
            ),
            "example.com. 3600 IN DS 3613 15 2 \
             3AA5AB37EFCE57F737FC1627013FEE07BDF241BD10F3B1964AB55C78E79A304B"
        );
        assert_eq!(
            dnskey_presentation(
                &name("example.com."),
                3600,
                257,
                15,
                &rfc8080_key().public_key()
            ),
            format!("example.com. 3600 IN DNSKEY 257 3 15 {RFC8080_PUBLIC_KEY}")
        );
    }

    #[test]
    fn key_tags_agree_with_domain() {
        for algorithm in Algorithm::ALL {
            for _ in 0..50 {
                let key = SigningKey::generate(algorithm).expect("generate");
                for flags in [256, 257] {
                    let public = key.public_key();
                    assert_eq!(
                        key_tag(flags, algorithm.number(), &public),
                        domain_key_tag(flags, algorithm.number(), &public)
                    );
                }
            }
        }
        // Odd lengths, the empty key and RSA/MD5's own rule.
        for (algorithm, key) in [
            (8, vec![1u8, 2, 3, 4, 5]),
            (8, vec![]),
            (8, vec![0xFF; 1001]),
            (1, vec![9, 8, 7, 6, 5]),
            (1, vec![9, 8]),
        ] {
            assert_eq!(
                key_tag(257, algorithm, &key),
                domain_key_tag(257, algorithm, &key),
                "{algorithm} {key:?}"
            );
        }
    }

    #[test]
    fn ds_digest_covers_the_lowercase_owner() {
        let wire = dnskey_rdata_wire(257, 13, &[7; 64]);
        let a = ds_digest_sha256(&name("Example.COM."), &wire);
        let b = ds_digest_sha256(&name("example.com."), &wire);
        assert_eq!(a, b);
        assert_eq!(a.len(), 32);
        assert_ne!(a, ds_digest_sha256(&name("example.net."), &wire));
    }

    #[test]
    fn ds_rdata_wire_and_text() {
        assert_eq!(
            ds_rdata_wire(0x1234, 13, 2, &[0xAB, 0xCD]),
            vec![0x12, 0x34, 13, 2, 0xAB, 0xCD]
        );
        assert_eq!(ds_rdata_text(4660, 13, 2, &[0xAB, 0xCD]), "4660 13 2 ABCD");
    }
}
