//! Fuzz target: any bytes as a zone file, and every record read back from
//! its canonical text and wire form. Must never panic; whatever parses must
//! round-trip.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tern_core::zonefile::ZoneFileReader;
use tern_core::{Name, Rdata};

fuzz_target!(|data: &[u8]| {
    let Ok(origin) = Name::parse_absolute("fuzz.example") else {
        return;
    };
    for record in ZoneFileReader::new(data, origin).flatten() {
        let rtype = record.rdata.rtype();
        let shown = record.rdata.to_string();
        let again = Rdata::parse_text(rtype, &shown).expect("canonical text parses");
        assert_eq!(again, record.rdata, "{shown}");
        let wire = record.rdata.wire();
        assert_eq!(Rdata::from_wire(rtype, &wire).expect("own wire decodes"), record.rdata);
    }
});
