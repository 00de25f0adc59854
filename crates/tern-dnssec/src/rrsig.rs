//! RRSIGs: the fixed header, the data a signature covers (RFC 4034
//! §3.1.8.1 over the canonical RRset of §6.2–6.3), signing and checking an
//! RRset, and the RRSIG RDATA in wire and presentation form.

use base64::Engine;
use tern_core::Name;

use crate::DnssecError;
use crate::keys::{self, Algorithm, SigningKey};
use crate::rtypes::type_mnemonic;
use crate::validity::format_rrsig_time;
use tern_core::RecordType;

/// Class IN, the only class Tern serves.
pub const CLASS_IN: u16 = 1;

/// Every RRSIG field but the signature (RFC 4034 §3.1).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct RrsigHeader {
    pub type_covered: RecordType,
    pub algorithm: u8,
    /// `labels_for(owner)`.
    pub labels: u8,
    pub original_ttl: u32,
    pub expiration: u32,
    pub inception: u32,
    pub key_tag: u16,
    /// The zone apex.
    pub signer: Name,
}

/// The Labels field for an RRset at `owner` (RFC 4034 §3.1.3): its labels,
/// not counting the root nor a leading wildcard `*`.
pub fn labels_for(owner: &Name) -> u8 {
    let count = owner.label_count() - usize::from(owner.is_wildcard());
    u8::try_from(count).unwrap_or(u8::MAX)
}

/// The RRSIG RDATA up to the signature: the 18 fixed octets and the
/// signer's name, canonical and uncompressed.
pub fn header_wire(header: &RrsigHeader) -> Vec<u8> {
    let mut out = Vec::with_capacity(18 + header.signer.wire_len());
    out.extend_from_slice(&header.type_covered.0.to_be_bytes());
    out.push(header.algorithm);
    out.push(header.labels);
    out.extend_from_slice(&header.original_ttl.to_be_bytes());
    out.extend_from_slice(&header.expiration.to_be_bytes());
    out.extend_from_slice(&header.inception.to_be_bytes());
    out.extend_from_slice(&header.key_tag.to_be_bytes());
    header.signer.to_wire(&mut out);
    out
}

/// The whole RRSIG RDATA.
pub fn rrsig_rdata_wire(header: &RrsigHeader, signature: &[u8]) -> Vec<u8> {
    let mut out = header_wire(header);
    out.extend_from_slice(signature);
    out
}

/// The RRSIG RDATA as presentation text, times as `YYYYMMDDHHmmSS`:
/// `A 13 2 3600 20250101000000 20241218000000 12345 example.com. <base64>`.
pub fn rrsig_rdata_text(header: &RrsigHeader, signature: &[u8]) -> String {
    format!(
        "{} {} {} {} {} {} {} {} {}",
        type_mnemonic(header.type_covered),
        header.algorithm,
        header.labels,
        header.original_ttl,
        format_rrsig_time(header.expiration),
        format_rrsig_time(header.inception),
        header.key_tag,
        header.signer,
        base64::engine::general_purpose::STANDARD.encode(signature)
    )
}

/// The octets an RRSIG signs (RFC 4034 §3.1.8.1): the header, then every RR
/// of the set as owner | type | class IN | original TTL | RDLENGTH | RDATA,
/// in canonical order (RDATA as unsigned octet strings, RFC 4034 §6.3),
/// duplicates once.
///
/// `rdatas` must be canonical (RFC 4034 §6.2: uncompressed, names lower
/// case), as `tern_core::Rdata::to_wire` writes them. `owner` is the RRset's
/// owner; when the header has fewer labels than the owner (a wildcard RRset,
/// or an answer synthesised from one) the owner signed is `*.` and the
/// rightmost `labels` labels, as the RFC has it.
pub fn signed_data<R: AsRef<[u8]>>(
    header: &RrsigHeader,
    owner: &Name,
    rdatas: &[R],
) -> Result<Vec<u8>, DnssecError> {
    let owner_wire = signed_owner_wire(owner, header.labels);
    let mut sorted: Vec<&[u8]> = rdatas.iter().map(AsRef::as_ref).collect();
    sorted.sort_unstable();
    sorted.dedup();

    let mut out = header_wire(header);
    for rdata in sorted {
        let rdlength =
            u16::try_from(rdata.len()).map_err(|_| DnssecError::RdataTooLong(rdata.len()))?;
        out.extend_from_slice(&owner_wire);
        out.extend_from_slice(&header.type_covered.0.to_be_bytes());
        out.extend_from_slice(&CLASS_IN.to_be_bytes());
        out.extend_from_slice(&header.original_ttl.to_be_bytes());
        out.extend_from_slice(&rdlength.to_be_bytes());
        out.extend_from_slice(rdata);
    }
    Ok(out)
}

fn signed_owner_wire(owner: &Name, labels: u8) -> Vec<u8> {
    let all = owner.labels();
    let keep = usize::from(labels);
    let mut out = Vec::with_capacity(owner.wire_len() + 2);
    if keep < all.len() {
        out.extend_from_slice(&[1, b'*']);
    }
    for label in &all[all.len().saturating_sub(keep)..] {
        out.push(label.len() as u8);
        out.extend_from_slice(label);
    }
    out.push(0);
    out
}

/// Signs the RRset: the signature field of its RRSIG.
pub fn sign_rrset<R: AsRef<[u8]>>(
    key: &SigningKey,
    header: &RrsigHeader,
    owner: &Name,
    rdatas: &[R],
) -> Result<Vec<u8>, DnssecError> {
    if header.algorithm != key.algorithm().number() {
        return Err(DnssecError::AlgorithmMismatch {
            key: key.algorithm(),
            header: header.algorithm,
        });
    }
    key.sign(&signed_data(header, owner, rdatas)?)
}

/// Whether `signature` is a valid signature of the RRset under the DNSKEY
/// `public_key` (validity times are not checked: that is `Validity`'s job).
pub fn verify_rrset<R: AsRef<[u8]>>(
    algorithm: Algorithm,
    public_key: &[u8],
    header: &RrsigHeader,
    owner: &Name,
    rdatas: &[R],
    signature: &[u8],
) -> bool {
    if header.algorithm != algorithm.number() {
        return false;
    }
    match signed_data(header, owner, rdatas) {
        Ok(data) => keys::verify(algorithm, public_key, &data, signature),
        Err(_) => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keys::tests::{base64_decode, rfc8080_key};
    use tern_core::Rdata;

    fn name(text: &str) -> Name {
        Name::parse_absolute(text).expect("name")
    }

    fn wire(rtype: RecordType, text: &str) -> Vec<u8> {
        Rdata::parse_text(rtype, text).expect("rdata").wire()
    }

    fn header(rtype: RecordType, owner: &Name, algorithm: Algorithm) -> RrsigHeader {
        RrsigHeader {
            type_covered: rtype,
            algorithm: algorithm.number(),
            labels: labels_for(owner),
            original_ttl: 3600,
            expiration: 1_440_021_600,
            inception: 1_438_207_200,
            key_tag: 3613,
            signer: name("example.com."),
        }
    }

    #[test]
    fn labels_skip_the_root_and_a_leading_wildcard() {
        assert_eq!(labels_for(&Name::root()), 0);
        assert_eq!(labels_for(&name("example.com.")), 2);
        assert_eq!(labels_for(&name("www.example.com.")), 3);
        assert_eq!(labels_for(&name("*.example.com.")), 2);
        assert_eq!(labels_for(&name("a.*.example.com.")), 4);
    }

    #[test]
    fn reproduces_the_rfc_8080_mx_signature() {
        // RFC 8080 §6.1: Ed25519 is deterministic, so the signature over
        // `example.com. 3600 IN MX 10 mail.example.com.` is the RFC's.
        let owner = name("example.com.");
        let header = header(RecordType::MX, &owner, Algorithm::Ed25519);
        let rdatas = [wire(RecordType::MX, "10 mail.example.com.")];
        let signature = sign_rrset(&rfc8080_key(), &header, &owner, &rdatas).expect("sign");
        assert_eq!(
            signature,
            base64_decode(
                "oL9krJun7xfBOIWcGHi7mag5/hdZrKWw15jPGrHpjQeRAvTdszaPD+QLs3fx8A4M3e23mRZ9VrbpMngwcrqNAg=="
            )
        );
        assert_eq!(
            rrsig_rdata_text(&header, &signature),
            "MX 15 2 3600 20150819220000 20150729220000 3613 example.com. \
             oL9krJun7xfBOIWcGHi7mag5/hdZrKWw15jPGrHpjQeRAvTdszaPD+QLs3fx8A4M3e23mRZ9VrbpMngwcrqNAg=="
        );
    }

    #[test]
    fn header_wire_is_18_octets_and_the_signer() {
        let owner = name("www.example.com.");
        let h = header(RecordType::A, &owner, Algorithm::EcdsaP256Sha256);
        let out = header_wire(&h);
        assert_eq!(&out[..4], &[0, 1, 13, 3]);
        assert_eq!(&out[4..8], &3600u32.to_be_bytes());
        assert_eq!(&out[8..12], &1_440_021_600u32.to_be_bytes());
        assert_eq!(&out[12..16], &1_438_207_200u32.to_be_bytes());
        assert_eq!(&out[16..18], &3613u16.to_be_bytes());
        assert_eq!(&out[18..], b"\x07example\x03com\x00");
        assert_eq!(rrsig_rdata_wire(&h, &[1, 2]).len(), out.len() + 2);
    }

    #[test]
    fn signed_data_sorts_and_deduplicates_rdatas() {
        let owner = name("www.example.com.");
        let h = header(RecordType::A, &owner, Algorithm::EcdsaP256Sha256);
        let a = wire(RecordType::A, "192.0.2.2");
        let b = wire(RecordType::A, "192.0.2.10");
        let one = signed_data(&h, &owner, &[a.clone(), b.clone(), a.clone()]).expect("data");
        let two = signed_data(&h, &owner, &[b.clone(), a.clone()]).expect("data");
        assert_eq!(one, two);
        let rr_len = owner.wire_len() + 10 + 4;
        assert_eq!(one.len(), header_wire(&h).len() + 2 * rr_len);
        // 192.0.2.2 < 192.0.2.10 as octets: 2 < 10.
        let first_rdata = header_wire(&h).len() + owner.wire_len() + 10;
        assert_eq!(&one[first_rdata..first_rdata + 4], &[192, 0, 2, 2]);
        let rr = &one[header_wire(&h).len()..][..rr_len];
        assert_eq!(
            &rr[owner.wire_len()..owner.wire_len() + 10],
            &[0, 1, 0, 1, 0, 0, 0x0e, 0x10, 0, 4]
        );
    }

    #[test]
    fn shorter_rdata_sorts_before_its_extensions() {
        let owner = name("example.com.");
        let h = header(RecordType::TXT, &owner, Algorithm::Ed25519);
        let short = vec![1, b'a'];
        let long = vec![2, b'a', b'b'];
        let prefix = vec![1];
        let data = signed_data(&h, &owner, &[long, short, prefix]).expect("data");
        let start = header_wire(&h).len() + owner.wire_len() + 8;
        assert_eq!(&data[start..start + 3], &[0, 1, 1]);
    }

    #[test]
    fn wildcard_rrsets_sign_the_wildcard_owner() {
        let wildcard = name("*.example.com.");
        let h = header(RecordType::A, &wildcard, Algorithm::Ed25519);
        let rdatas = [wire(RecordType::A, "192.0.2.1")];
        let stored = signed_data(&h, &wildcard, &rdatas).expect("data");
        let expanded = signed_data(&h, &name("a.b.example.com."), &rdatas).expect("data");
        assert_eq!(stored, expanded);
        let start = header_wire(&h).len();
        assert_eq!(&stored[start..start + 2], &[1, b'*']);
    }

    #[test]
    fn signatures_verify_and_detect_changes() {
        for algorithm in Algorithm::ALL {
            let key = SigningKey::generate(algorithm).expect("key");
            let owner = name("www.example.com.");
            let h = header(RecordType::A, &owner, algorithm);
            let rdatas = [wire(RecordType::A, "192.0.2.1")];
            let sig = sign_rrset(&key, &h, &owner, &rdatas).expect("sign");
            let public = key.public_key();
            assert!(verify_rrset(algorithm, &public, &h, &owner, &rdatas, &sig));
            let other = [wire(RecordType::A, "192.0.2.9")];
            assert!(!verify_rrset(algorithm, &public, &h, &owner, &other, &sig));
            let later = RrsigHeader {
                expiration: h.expiration + 1,
                ..h.clone()
            };
            assert!(!verify_rrset(
                algorithm, &public, &later, &owner, &rdatas, &sig
            ));
            assert!(!verify_rrset(
                algorithm,
                &public,
                &h,
                &name("mail.example.com."),
                &rdatas,
                &sig
            ));
        }
    }

    #[test]
    fn refuses_a_header_of_another_algorithm_and_oversized_rdata() {
        let key = SigningKey::generate(Algorithm::Ed25519).expect("key");
        let owner = name("example.com.");
        let h = header(RecordType::A, &owner, Algorithm::EcdsaP256Sha256);
        let err = sign_rrset(&key, &h, &owner, &[vec![1, 2, 3, 4]]).expect_err("mismatch");
        assert!(
            matches!(err, DnssecError::AlgorithmMismatch { .. }),
            "{err}"
        );
        let h = header(RecordType::A, &owner, Algorithm::Ed25519);
        let err = signed_data(&h, &owner, &[vec![0u8; 70_000]]).expect_err("too long");
        assert!(matches!(err, DnssecError::RdataTooLong(70_000)), "{err}");
    }
}
