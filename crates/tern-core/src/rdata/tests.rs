//! Unit tests of RDATA parsing, presentation and wire form across the types.

use super::*;

fn rt(text: &str, rtype: RecordType) -> String {
    let rdata = Rdata::parse_text(rtype, text).unwrap_or_else(|e| panic!("{text}: {e}"));
    let shown = rdata.to_string();
    let again = Rdata::parse_text(rtype, &shown).unwrap_or_else(|e| panic!("{shown}: {e}"));
    assert_eq!(rdata, again, "presentation round trip of {text}");
    let wire = Rdata::from_wire(rtype, &rdata.wire()).unwrap();
    assert_eq!(rdata, wire, "wire round trip of {text}");
    shown
}

#[test]
fn presentation_of_each_type() {
    assert_eq!(rt("192.0.2.1", RecordType::A), "192.0.2.1");
    assert_eq!(
        rt(
            "5 . port=\"8004\" no-default-alpn dohpath=/dns-query{?dns} ohttp tls-supported-groups=29,23",
            RecordType::SVCB
        ),
        "5 . no-default-alpn port=8004 dohpath=/dns-query{?dns} key8 key9=\"\\000\\029\\000\\023\""
    );
    assert_eq!(
        rt(
            "6 . key00997=\"quoted\" key0998=foo key999=bar",
            RecordType::SVCB
        ),
        "6 . key997=\"quoted\" key998=\"foo\" key999=\"bar\""
    );
    assert_eq!(rt("2001:DB8::1", RecordType::AAAA), "2001:db8::1");
    assert_eq!(
        rt("10 Mail.Example.com", RecordType::MX),
        "10 mail.example.com."
    );
    assert_eq!(
        rt("\"v=spf1 -all\" \"x\"", RecordType::TXT),
        "\"v=spf1 -all\" \"x\""
    );
    assert_eq!(
        rt("0 5 5060 sip.example.com.", RecordType::SRV),
        "0 5 5060 sip.example.com."
    );
    assert_eq!(
        rt("0 issue \"letsencrypt.org\"", RecordType::CAA),
        "0 issue \"letsencrypt.org\""
    );
    assert_eq!(rt("1 1 abcdef0123", RecordType::SSHFP), "1 1 ABCDEF0123");
    assert_eq!(rt("3 1 1 ABCD EF", RecordType::TLSA), "3 1 1 ABCDEF");
    assert_eq!(
        rt(
            "100 50 \"s\" \"http+I2L+I2C+I2R\" \"\" _http._tcp.example.com.",
            RecordType::NAPTR
        ),
        "100 50 \"s\" \"http+I2L+I2C+I2R\" \"\" _http._tcp.example.com."
    );
    assert_eq!(
        rt(
            "60485 5 1 2BB183AF5F22588179A53B0A98631FAD1A292118",
            RecordType::DS
        ),
        "60485 5 1 2BB183AF5F22588179A53B0A98631FAD1A292118"
    );
    assert_eq!(
        rt("\"PC\" \"Linux\"", RecordType::HINFO),
        "\"PC\" \"Linux\""
    );
    assert_eq!(
        rt(
            "51 56 0.123 N 5 54 0.000 E 4.00m 1.00m 10000.00m 10.00m",
            RecordType::LOC
        ),
        "51 56 0.123 N 5 54 0.000 E 4.00m 1.00m 10000.00m 10.00m"
    );
    assert_eq!(
        rt("42 21 54 N 71 06 18 W -24m 30m", RecordType::LOC),
        "42 21 54.000 N 71 6 18.000 W -24.00m 30.00m 10000.00m 10.00m"
    );
    assert_eq!(
        rt("admin.example.com. txt.example.com.", RecordType::RP),
        "admin.example.com. txt.example.com."
    );
    assert_eq!(
        rt(
            "1 . alpn=h2,h3 port=443 ipv4hint=192.0.2.1",
            RecordType::HTTPS
        ),
        "1 . alpn=\"h2,h3\" port=443 ipv4hint=192.0.2.1"
    );
    assert_eq!(
        rt(
            "1 svc.example. key65333=\"ex1\" key65444=\"ex2\" mandatory=key65444",
            RecordType::SVCB
        ),
        "1 svc.example. mandatory=key65444 key65333=\"ex1\" key65444=\"ex2\""
    );
    assert_eq!(
        rt("\\# 5 07ED260001", RecordType(65534)),
        "\\# 5 07ED260001"
    );
    assert_eq!(rt("\\# 4 C0000201", RecordType::A), "192.0.2.1");
    assert_eq!(
        rt(
            "ns1.example.com. hostmaster.example.com. 1 1h 10m 1w 5m",
            RecordType::SOA
        ),
        "ns1.example.com. hostmaster.example.com. 1 3600 600 604800 300"
    );
}

#[test]
fn long_txt_is_split() {
    let long = "a".repeat(300);
    let rdata = Rdata::parse_text(RecordType::TXT, &format!("\"{long}\"")).unwrap();
    match rdata {
        Rdata::Txt(strings) => assert_eq!(
            strings.iter().map(|s| s.len()).collect::<Vec<_>>(),
            vec![255, 45]
        ),
        other => panic!("{other:?}"),
    }
}

#[test]
fn errors_name_the_problem() {
    let e = Rdata::parse_text(RecordType::AAAA, "2001:db8::g").unwrap_err();
    assert!(e.to_string().contains("not an IPv6 address"), "{e}");
    let e = Rdata::parse_text(RecordType::MX, "mail.example.com").unwrap_err();
    assert!(e.to_string().contains("preference"), "{e}");
    let e = Rdata::parse_text(RecordType::A, "192.0.2.1 extra").unwrap_err();
    assert!(e.to_string().contains("extra"), "{e}");
    let e = RecordType::parse("MB").unwrap_err();
    assert!(e.to_string().contains("obsolete"), "{e}");
    let e = RecordType::parse("ALIAS").unwrap_err();
    assert!(e.to_string().contains("pseudo-type"), "{e}");
    let e = Rdata::parse_text(RecordType(65534), "\\# 3 0102").unwrap_err();
    assert!(e.to_string().contains("length"), "{e}");
}

#[test]
fn rdata_over_65535_octets_is_refused() {
    for size in [70_000, 2_000_000] {
        let text = format!("\"{}\"", "a".repeat(size));
        let e = Rdata::parse_text(RecordType::TXT, &text).unwrap_err();
        assert!(e.to_string().contains("at most 65535"), "{e}");
        let e = Rdata::from_wire(RecordType(65280), &vec![0u8; size]).unwrap_err();
        assert!(e.to_string().contains("at most 65535"), "{e}");
    }
    // 255 strings of 255 octets and one of 254: exactly 65,535 octets.
    let fits = format!("\"{}\"", "b".repeat(255 * 255 + 254));
    let rdata = Rdata::parse_text(RecordType::TXT, &fits).unwrap();
    assert_eq!(rdata.wire_len(), MAX_RDATA_LEN);
    let over = format!("\"{}\"", "b".repeat(255 * 255 + 255));
    assert!(Rdata::parse_text(RecordType::TXT, &over).is_err());
}
