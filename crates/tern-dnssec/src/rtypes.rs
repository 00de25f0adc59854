//! The DNSSEC record types by the names the signer uses (tern-core owns
//! the numbers and mnemonics).

use tern_core::RecordType;

pub const DS: RecordType = RecordType::DS;
pub const RRSIG: RecordType = RecordType::RRSIG;
pub const NSEC: RecordType = RecordType::NSEC;
pub const DNSKEY: RecordType = RecordType::DNSKEY;
pub const NSEC3: RecordType = RecordType::NSEC3;
pub const NSEC3PARAM: RecordType = RecordType::NSEC3PARAM;
pub const CDS: RecordType = RecordType::CDS;
pub const CDNSKEY: RecordType = RecordType::CDNSKEY;

/// The mnemonic of any type (`TYPEnnn` for types without one).
pub fn type_mnemonic(rtype: RecordType) -> String {
    rtype.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dnssec_types_have_their_mnemonics() {
        assert_eq!(type_mnemonic(DNSKEY), "DNSKEY");
        assert_eq!(type_mnemonic(RRSIG), "RRSIG");
        assert_eq!(type_mnemonic(NSEC3PARAM), "NSEC3PARAM");
    }
}
