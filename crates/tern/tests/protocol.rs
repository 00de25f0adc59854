//! DNS protocol edges through the real binary: RRsets too large for one DNS
//! message are refused on every write path (the native API, `tern zone
//! import`); large answers over TCP and zone transfers are checked by dig
//! and kdig against a running `tern serve`.

mod common;

use common::process::{Serve, tern, text, tool_available};

/// TXT RDATA of `strings` character-strings of 250 octets, as presentation.
fn txt(tag: usize, strings: usize) -> String {
    (0..strings)
        .map(|s| format!("\"{tag:04}{s:04}{}\"", "x".repeat(242)))
        .collect::<Vec<_>>()
        .join(" ")
}

fn write_zone(dir: &std::path::Path, name: &str, body: &str) -> std::path::PathBuf {
    let path = dir.join(format!("{name}.zone"));
    std::fs::write(
        &path,
        format!(
            "$ORIGIN {name}.\n$TTL 300\n@ SOA ns1 hostmaster 1 3600 600 86400 300\n@ NS ns1\nns1 A 192.0.2.1\n{body}"
        ),
    )
    .expect("zone file");
    path
}

#[test]
fn rrsets_too_large_for_one_message_are_refused_by_zone_import_and_the_api() {
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path();

    // 300 TXT records of 251 octets: about 79,000 octets, over 65,535.
    let mut body = String::new();
    for i in 0..300 {
        body.push_str(&format!("huge TXT {}\n", txt(i, 1)));
    }
    let path = write_zone(data, "big.test", &body);
    let path = path.to_str().expect("path");
    let out = tern(data, &["zone", "import", "big.test", path]);
    let err = text(&out.stderr);
    assert!(!out.status.success(), "an oversized RRset was imported");
    assert!(
        err.contains("huge.big.test. TXT RRset would need 78942") && err.contains("65535"),
        "{err}"
    );
    assert!(
        !text(&tern(data, &["zone", "list"]).stdout).contains("big.test."),
        "nothing was imported"
    );
    // One record that alone cannot fit: 70,000 characters of TXT.
    let path70k = write_zone(data, "one.test", &format!("long TXT {}\n", txt(0, 280)));
    let out = tern(
        data,
        &[
            "zone",
            "import",
            "one.test",
            path70k.to_str().expect("path"),
        ],
    );
    assert!(
        !out.status.success(),
        "a 70,000-character TXT was imported: {}",
        text(&out.stdout)
    );
    // With --skip-invalid the records that do not fit are left out and the
    // rest of the RRset is served.
    let out = tern(
        data,
        &["zone", "import", "big.test", path, "--skip-invalid"],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains("RRset would need"),
        "{}",
        text(&out.stderr)
    );

    // The native API refuses the record that would overflow its RRset, with
    // a 422 naming the field, and keeps the RRset as it was. (A fresh data
    // directory: the admin token is made by the first start on an empty one.)
    let api_dir = tempfile::tempdir().expect("tempdir");
    let serve = Serve::start(api_dir.path(), &[]);
    let (status, zone) = serve.request(
        "POST",
        "/api/v1/domains",
        r#"{"name": "api.test", "domain_type": "primary"}"#,
    );
    assert_eq!(status, 201, "{zone}");
    let id = zone
        .split("\"id\":\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .expect("zone id");
    let record = |tag: usize| {
        let content = txt(tag, 160).replace('"', "\\\"");
        format!(r#"{{"name": "big", "type": "TXT", "content": "{content}"}}"#)
    };
    let path = format!("/api/v1/domains/{id}/records");
    let (status, body) = serve.request("POST", &path, &record(1));
    assert_eq!(
        status,
        201,
        "40,000 octets fit: {}",
        &body[..body.len().min(300)]
    );
    let (status, body) = serve.request("POST", &path, &record(2));
    assert_eq!(status, 422, "{}", &body[..body.len().min(300)]);
    assert!(
        body.contains("\"field\":\"content\"")
            && body.contains("big.api.test. TXT RRset would need 80")
            && body.contains("65535"),
        "{body}"
    );
}

#[test]
fn large_answers_over_tcp_and_transfers_as_dig_and_kdig_see_them() {
    if !tool_available("dig", "-v", "TCP answer test")
        || !tool_available("kdig", "-V", "TCP answer test")
    {
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path();
    let mut body = String::new();
    // 200 TXT records, about 50,000 octets: fits TCP, not UDP.
    for i in 0..200 {
        body.push_str(&format!("near TXT {}\n", txt(i, 1)));
    }
    // 100 MX targets with 40 addresses each: the answer fits, the
    // additional addresses (about 120,000 octets) do not.
    for i in 0..100 {
        body.push_str(&format!("mx MX 10 m{i}\n"));
        for j in 0..40 {
            body.push_str(&format!("m{i} A 10.{i}.{j}.1\n"));
        }
    }
    let path = write_zone(data, "big.test", &body);
    let out = tern(
        data,
        &["zone", "import", "big.test", path.to_str().expect("path")],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let serve = Serve::start(data, &["--allow-transfer", "127.0.0.0/8"]);

    for tool in ["dig", "kdig"] {
        let out = serve.dig(tool, &["+tcp", "near.big.test", "TXT"]);
        assert!(
            out.contains("NOERROR") && out.contains("ANSWER: 200") && !has_tc(&out),
            "{tool} near over TCP:\n{}",
            head(&out)
        );
        // Knot and NSD: over TCP the additional section is filled as far as
        // it fits, without TC; the answer is whole.
        let out = serve.dig(tool, &["+tcp", "mx.big.test", "MX"]);
        assert!(
            out.contains("NOERROR") && out.contains("ANSWER: 100") && !has_tc(&out),
            "{tool} MX over TCP:\n{}",
            head(&out)
        );
        let additional: usize = out
            .split("ADDITIONAL: ")
            .nth(1)
            .and_then(|s| s.split(|c: char| !c.is_ascii_digit()).next())
            .and_then(|n| n.parse().ok())
            .unwrap_or(0);
        assert!(
            additional > 1000 && additional < 4000,
            "{tool}: {additional} additional records"
        );
    }
    // UDP still truncates: a resolver retries over TCP.
    let out = serve.dig(
        "dig",
        &["+notcp", "+ignore", "+bufsize=1232", "near.big.test", "TXT"],
    );
    assert!(has_tc(&out), "UDP:\n{}", head(&out));

    // The whole zone transfers, framed message by message.
    let records = 3 + 200 + 100 + 100 * 40 + 1; // SOA twice, NS, A, TXT, MX, A
    for tool in ["dig", "kdig"] {
        let out = serve.dig(tool, &["big.test", "AXFR"]);
        assert!(
            !out.to_lowercase().contains("malformed") && !out.contains("failed"),
            "{tool} AXFR:\n{}",
            head(&out)
        );
        let got = out.lines().filter(|l| l.contains("\tIN\t")).count();
        assert_eq!(got, records, "{tool} AXFR records");
    }
}

fn has_tc(dig_output: &str) -> bool {
    dig_output
        .lines()
        .any(|l| l.to_lowercase().contains("flags:") && l.contains(" tc"))
}

fn head(out: &str) -> String {
    out.lines().take(20).collect::<Vec<_>>().join("\n")
}
