//! The three zone validators the DNSSEC tests hold Tern's signed zones
//! to — BIND's `dnssec-verify`, `ldns-verify-zone` and Knot's `kzonecheck`
//! — run on the zone as `kdig` fetches it by AXFR from the nameserver.

use std::path::{Path, PathBuf};
use std::process::Command;

use super::tool_available;

/// Whether `kdig` and the validators are here (a visible SKIP, or a panic
/// in CI, when not).
pub fn validators_available(test: &str) -> bool {
    tool_available("kdig", "-V", test)
        && tool_available("dnssec-verify", "-V", test)
        && tool_available("ldns-verify-zone", "-v", test)
        && tool_available("kzonecheck", "-V", test)
}

/// The zone as `kdig` prints its AXFR: a master file the validators read.
pub fn axfr(addr: std::net::SocketAddr, zone: &str, dir: &Path, label: &str) -> PathBuf {
    let out = Command::new("kdig")
        .args([
            "-p",
            &addr.port().to_string(),
            &format!("@{}", addr.ip()),
            zone,
            "AXFR",
            "+nocomments",
            "+nostats",
            "+noheader",
        ])
        .output()
        .expect("kdig");
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(
        out.status.success() && text.contains("SOA"),
        "AXFR failed: {text} {}",
        String::from_utf8_lossy(&out.stderr)
    );
    // The closing SOA repeats the first; validators want each record once.
    let mut seen = std::collections::HashSet::new();
    let lines: Vec<&str> = text
        .lines()
        .filter(|l| !l.starts_with(';') && !l.trim().is_empty())
        .filter(|l| seen.insert(l.to_string()))
        .collect();
    let path = dir.join(format!("{label}.zone"));
    std::fs::write(&path, lines.join("\n") + "\n").expect("write zone");
    path
}

fn run(tool: &str, args: &[&str]) -> (bool, String) {
    let out = Command::new(tool).args(args).output().expect(tool);
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}

/// Whether kzonecheck is Knot 3.2 or older. Its DNSSEC check treats a
/// SEP-flagged key as a KSK only unless the DNSKEY RRset holds a single
/// key, so it rejects every zone whose DNSKEY RRset holds two CSKs — the
/// middle of any CSK rollover — whatever signs what: a zone signed by
/// `dnssec-signzone -z` with two KSK-flagged keys, each signing every
/// RRset, is rejected the same way (`a_two_csk_zone_defeats_kzonecheck_3_2`
/// in `rollover.rs` holds that).
pub fn kzonecheck_is_3_2_or_older() -> bool {
    let out = Command::new("kzonecheck").arg("-V").output();
    let text = out
        .map(|o| String::from_utf8_lossy(&o.stdout).to_string())
        .unwrap_or_default();
    let version = text.rsplit("version ").next().unwrap_or("").trim();
    let mut parts = version.split('.').map(|p| p.parse::<u32>().unwrap_or(0));
    let (major, minor) = (parts.next().unwrap_or(0), parts.next().unwrap_or(0));
    (major, minor) <= (3, 2)
}

/// Whether the zone file's DNSKEY RRset holds two or more keys, all of
/// them with the SEP flag (257): two CSKs.
fn has_two_csks(text: &str) -> bool {
    let flags: Vec<&str> = text
        .lines()
        .filter_map(|l| {
            let fields: Vec<&str> = l.split_whitespace().collect();
            let at = fields.iter().position(|f| *f == "DNSKEY")?;
            (at > 0 && fields[at - 1] == "IN").then(|| fields.get(at + 1).copied())?
        })
        .collect();
    flags.len() >= 2 && flags.iter().all(|f| *f == "257")
}

/// All three validators accept the file of `zone` (kzonecheck 3.2 left
/// out, with a note, for a zone with two CSKs: see
/// `kzonecheck_is_3_2_or_older`).
pub fn assert_valid(path: &Path, zone: &str, label: &str) {
    let file = path.to_str().expect("path");
    let origin = format!("{}.", zone.trim_end_matches('.'));
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let skip_kzonecheck = has_two_csks(&text) && kzonecheck_is_3_2_or_older();
    if skip_kzonecheck {
        eprintln!(
            "NOTE: {label}: two CSKs in the DNSKEY RRset; kzonecheck 3.2 rejects any such zone, so only dnssec-verify and ldns-verify-zone (and unbound) judge this step"
        );
    }
    // `-z`: a CSK (SEP flag) signs everything; dnssec-verify otherwise
    // asks for a separate ZSK.
    for (tool, args) in [
        ("dnssec-verify", vec!["-z", "-o", origin.as_str(), file]),
        ("ldns-verify-zone", vec![file]),
        ("kzonecheck", vec!["-o", origin.as_str(), "-d", "on", file]),
    ] {
        if tool == "kzonecheck" && skip_kzonecheck {
            continue;
        }
        let (ok, output) = run(tool, &args);
        assert!(
            ok,
            "{label}: {tool} rejected the zone:\n{output}\n{}",
            std::fs::read_to_string(path).unwrap_or_default()
        );
    }
}
