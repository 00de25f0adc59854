//! Type numbers and mnemonics of the DNSSEC record types. `tern-core` refuses
//! these types by name (users never write them), so its `RecordType` shows
//! them as `TYPEnnn`; the signer's output needs the real mnemonics.

use tern_core::RecordType;

pub const DS: RecordType = RecordType(43);
pub const RRSIG: RecordType = RecordType(46);
pub const NSEC: RecordType = RecordType(47);
pub const DNSKEY: RecordType = RecordType(48);
pub const NSEC3: RecordType = RecordType(50);
pub const NSEC3PARAM: RecordType = RecordType(51);
pub const CDS: RecordType = RecordType(59);
pub const CDNSKEY: RecordType = RecordType(60);

/// The mnemonic of any type, the DNSSEC ones included (`TYPEnnn` for types
/// without one).
pub fn type_mnemonic(rtype: RecordType) -> String {
    let dnssec = match rtype {
        RRSIG => "RRSIG",
        NSEC => "NSEC",
        DNSKEY => "DNSKEY",
        NSEC3 => "NSEC3",
        NSEC3PARAM => "NSEC3PARAM",
        CDS => "CDS",
        CDNSKEY => "CDNSKEY",
        other => return other.to_string(),
    };
    dnssec.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dnssec_types_have_their_mnemonics() {
        assert_eq!(type_mnemonic(DNSKEY), "DNSKEY");
        assert_eq!(type_mnemonic(RRSIG), "RRSIG");
        assert_eq!(type_mnemonic(NSEC3PARAM), "NSEC3PARAM");
        assert_eq!(type_mnemonic(CDNSKEY), "CDNSKEY");
        assert_eq!(type_mnemonic(DS), "DS");
        assert_eq!(type_mnemonic(RecordType::SOA), "SOA");
        assert_eq!(type_mnemonic(RecordType(65000)), "TYPE65000");
    }
}
