//! Tern's NSEC3 chain equals Knot's for the same zone: `kzonesign` (Knot
//! 3.2, ECDSA P-256, NSEC3 without salt or extra iterations) and Tern's
//! signer, each given the same unsigned zone — apex data, a delegation
//! with glue below it (not in the chain), empty non-terminals, a wildcard
//! — produce the same NSEC3 records: the same hashed owners, next hashes,
//! type bitmaps and TTLs, and the same NSEC3PARAM. Required in CI; SKIP
//! elsewhere without kzonesign.

mod common;

use std::collections::BTreeSet;

use common::tool_available;
use tern_core::RecordType;

const ORIGIN: &str = "chain.example.";
const ZONE_FILE: &str = "\
$ORIGIN chain.example.
$TTL 3600
@        SOA   ns1 hostmaster 1 3600 600 604800 600
@        NS    ns1
@        A     192.0.2.1
@        MX    10 mail
ns1      A     192.0.2.53
mail     A     192.0.2.25
www      A     192.0.2.80
www      AAAA  2001:db8::80
alias    CNAME www
*.wild   TXT   \"wildcard\"
a.b.c    A     192.0.2.3
x.y      TXT   \"deep\"
sub      NS    ns.sub
ns.sub   A     192.0.2.9
deep.ns.sub A  192.0.2.10
secure   NS    ns.elsewhere.example.
secure   DS    12345 13 2 0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF
";

/// `owner ttl type rdata` of every NSEC3 and NSEC3PARAM line, normalised.
fn denial_lines<'a>(lines: impl Iterator<Item = &'a str>) -> BTreeSet<String> {
    lines
        .filter(|l| !l.starts_with(';'))
        .filter_map(|l| {
            let fields: Vec<&str> = l.split_whitespace().collect();
            // owner, TTL, optional class, then the type.
            let at = if fields.get(2) == Some(&"IN") { 3 } else { 2 };
            if !matches!(fields.get(at), Some(&"NSEC3") | Some(&"NSEC3PARAM")) {
                return None;
            }
            let ttl = fields.get(1).filter(|f| f.parse::<u32>().is_ok())?;
            Some(format!(
                "{} {ttl} {}",
                fields[0].to_lowercase(),
                fields[at..].join(" ").to_lowercase()
            ))
        })
        .collect()
}

fn knot_chain(dir: &std::path::Path) -> BTreeSet<String> {
    let zone = dir.join("zone");
    std::fs::write(&zone, ZONE_FILE).expect("zone");
    std::fs::create_dir_all(dir.join("kdb")).expect("kdb");
    std::fs::create_dir_all(dir.join("out")).expect("out");
    let conf = format!(
        "server:\n    rundir: {d}\ndatabase:\n    storage: {d}/kdb\npolicy:\n  - id: p\n    \
         algorithm: ecdsap256sha256\n    nsec3: on\n    nsec3-iterations: 0\n    \
         nsec3-salt-length: 0\nzone:\n  - domain: {ORIGIN}\n    file: {z}\n    \
         dnssec-signing: on\n    dnssec-policy: p\n",
        d = dir.display(),
        z = zone.display()
    );
    std::fs::write(dir.join("knot.conf"), conf).expect("conf");
    let out = std::process::Command::new("kzonesign")
        .arg("-c")
        .arg(dir.join("knot.conf"))
        .arg("-o")
        .arg(dir.join("out"))
        .arg(ORIGIN)
        .output()
        .expect("kzonesign");
    let signed = std::fs::read_to_string(dir.join("out").join("zone")).unwrap_or_else(|e| {
        panic!(
            "kzonesign wrote nothing ({e}): {}",
            String::from_utf8_lossy(&out.stderr)
        )
    });
    denial_lines(signed.lines())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_nsec3_chain_is_knots() {
    if !tool_available("kzonesign", "-V", "NSEC3 chain against Knot") {
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let knot = knot_chain(dir.path());
    assert!(knot.len() > 10, "kzonesign's chain: {knot:?}");

    let core = common::core().await;
    core.sign_with_new_key();
    let zone = core
        .import_text(ORIGIN.trim_end_matches('.'), ZONE_FILE)
        .await;
    core.enable_signing(zone.id).await;
    let records = core
        .store
        .records_of_types(zone.id, &[RecordType::NSEC3, RecordType::NSEC3PARAM])
        .await
        .expect("denial records");
    let ours: Vec<String> = records
        .iter()
        .map(|r| {
            format!(
                "{} {} IN {} {}",
                r.name,
                r.ttl.unwrap_or(zone.default_ttl),
                r.rtype,
                r.rdata
            )
        })
        .collect();
    let tern = denial_lines(ours.iter().map(String::as_str));
    let only_knot: Vec<&String> = knot.difference(&tern).collect();
    let only_tern: Vec<&String> = tern.difference(&knot).collect();
    assert!(
        only_knot.is_empty() && only_tern.is_empty(),
        "chains differ\nonly Knot's:\n{}\nonly Tern's:\n{}",
        only_knot
            .iter()
            .map(|s| s.as_str())
            .collect::<Vec<_>>()
            .join("\n"),
        only_tern
            .iter()
            .map(|s| s.as_str())
            .collect::<Vec<_>>()
            .join("\n")
    );
}
