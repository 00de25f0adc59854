//! Signed test zones: a zone with every case a signed answer has to get
//! right, signed by BIND's `dnssec-signzone` (NSEC3 per RFC 9276, NSEC3
//! with opt-out, or NSEC), read back into records and loaded into a Tern
//! zone at the store level (no face lets a user write DNSSEC types; in
//! production the signer writes them).

use std::path::PathBuf;
use std::process::Command;

use tern_core::{Name, Rdata, Record, SoaSettings};

use super::{Core, tool_available};

pub const ORIGIN: &str = "signed.test.";

/// Apex data, MX targets whose signed addresses overflow a small UDP
/// answer, a wildcard, CNAME chains (to data, to nothing, into the
/// wildcard), a DNAME, a secure delegation (DS) and two insecure ones (one
/// to `CHILD`, which the same servers serve), all with glue, an empty
/// non-terminal, and room for NXDOMAIN. The signer adds
/// DNSKEY, CDS, CDNSKEY, NSEC3PARAM, NSEC3 or NSEC, and the RRSIGs.
pub const ZONE: &str = "\
$ORIGIN signed.test.
$TTL 3600
@ 3600 IN SOA ns1.signed.test. hostmaster.signed.test. 2024010101 7200 3600 1209600 300
@ NS ns1
ns1 A 192.0.2.1
ns1 AAAA 2001:db8::1
@ A 192.0.2.10
@ MX 10 mail
mail A 192.0.2.25
mx3 MX 10 mail
mx3 MX 20 ns1
mx3 MX 30 www
www A 192.0.2.80
www AAAA 2001:db8::80
txt TXT \"hello\"
_sip._tcp SRV 0 0 5060 www
*.wild A 192.0.2.99
*.wild TXT \"wild\"
alias CNAME chain1
chain1 CNAME www
deadend CNAME nowhere
wildalias CNAME x.wild
dname DNAME wild.signed.test.
secure NS ns.secure
ns.secure A 192.0.2.53
secure DS 12345 13 2 0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF
insecure NS ns.insecure
ns.insecure A 192.0.2.54
a.b.ent A 192.0.2.7
child NS ns.child
ns.child A 192.0.2.56
";

/// An unsigned child served beside its signed parent: its DS question is
/// the parent's to answer (RFC 4035 §3.1.4.1), with the proof of no DS.
pub const CHILD_ORIGIN: &str = "child.signed.test.";
pub const CHILD_ZONE: &str = "\
$ORIGIN child.signed.test.
$TTL 3600
@ SOA ns.child.signed.test. hostmaster.signed.test. 4000000000 7200 3600 1209600 300
@ NS ns
ns A 192.0.2.56
www A 192.0.2.57
";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Denial {
    /// RFC 9276: SHA-1, no salt, no extra iterations, no opt-out.
    Nsec3,
    /// The same with opt-out: the insecure delegation has no NSEC3.
    Nsec3OptOut,
    Nsec,
}

pub struct SignedZone {
    pub dir: tempfile::TempDir,
    pub origin: String,
    /// The signed zone as dnssec-signzone wrote it.
    pub path: PathBuf,
    /// The DS of the zone's key, in presentation (`owner IN DS …`).
    pub ds: String,
}

/// Whether the signer (bind9-utils) is installed; a SKIP line otherwise,
/// a failure in CI.
pub fn signing_tools(test: &str) -> bool {
    tool_available("dnssec-signzone", "-h", test) && tool_available("dnssec-keygen", "-h", test)
}

fn run(command: &mut Command) -> String {
    let output = command.output().expect("run signing tool");
    assert!(
        output.status.success(),
        "{command:?} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// A new ECDSA P-256 key for `origin` in `dir`; its file name stem.
pub fn keygen(dir: &std::path::Path, origin: &str) -> String {
    run(Command::new("dnssec-keygen")
        .args([
            "-q",
            "-a",
            "ECDSAP256SHA256",
            "-f",
            "KSK",
            "-n",
            "ZONE",
            "-K",
        ])
        .arg(dir)
        .arg(origin))
    .trim()
    .to_string()
}

/// The DS (SHA-256) of a key made by `keygen`.
pub fn ds_of(dir: &std::path::Path, key: &str) -> String {
    run(Command::new("dnssec-dsfromkey")
        .arg("-2")
        .arg(dir.join(format!("{key}.key"))))
    .trim()
    .to_string()
}

/// Signs `text` (a zone for `origin`) with one combined key, publishing its
/// CDS and CDNSKEY too.
pub fn sign(origin: &str, text: &str, denial: Denial) -> SignedZone {
    let dir = tempfile::tempdir().expect("tempdir");
    let key = keygen(dir.path(), origin);
    let ds = ds_of(dir.path(), &key);
    let dnskey = std::fs::read_to_string(dir.path().join(format!("{key}.key"))).expect("key");
    let dnskey = dnskey
        .lines()
        .find(|l| !l.starts_with(';'))
        .expect("DNSKEY line")
        .to_string();
    let mut unsigned = text.to_string();
    unsigned.push_str(&ds.replacen(" DS ", " CDS ", 1));
    unsigned.push('\n');
    unsigned.push_str(&dnskey.replacen(" DNSKEY ", " CDNSKEY ", 1));
    unsigned.push('\n');
    let unsigned_path = dir.path().join("unsigned.zone");
    std::fs::write(&unsigned_path, unsigned).expect("unsigned zone");
    let path = dir.path().join("signed.zone");
    let mut command = Command::new("dnssec-signzone");
    match denial {
        Denial::Nsec3 => command.args(["-3", "-", "-H", "0"]),
        Denial::Nsec3OptOut => command.args(["-3", "-", "-H", "0", "-A"]),
        Denial::Nsec => &mut command,
    };
    signzone(&mut command, dir.path(), origin, &unsigned_path, &path);
    SignedZone {
        dir,
        origin: origin.to_string(),
        path,
        ds,
    }
}

/// dnssec-signzone with the zone's key (one record a line on output).
fn signzone(
    command: &mut Command,
    keys: &std::path::Path,
    origin: &str,
    input: &std::path::Path,
    output: &std::path::Path,
) {
    run(command
        .args(["-z", "-S", "-q", "-O", "full", "-K"])
        .arg(keys)
        .arg("-d") // its dsset file, which it would write in the working directory
        .arg(keys)
        .args(["-o", origin, "-f"])
        .arg(output)
        .arg(input));
}

/// The next version of a signed zone, with the same key: `edit` turns the
/// signed file (one record a line) into the input, and dnssec-signzone
/// keeps the signatures still valid and makes only what the change needs —
/// new RRSIGs, the NSEC3 or NSEC records around changed names — as Tern's
/// signer does, with the SOA serial one up. Returns the new file.
pub fn resign(zone: &SignedZone, denial: Denial, edit: impl FnOnce(&str) -> String) -> PathBuf {
    let current = std::fs::read_to_string(&zone.path).expect("signed zone");
    let input = zone.dir.path().join("next.input");
    std::fs::write(&input, edit(&current)).expect("next input");
    let output = zone.dir.path().join("next.zone");
    let mut command = Command::new("dnssec-signzone");
    match denial {
        Denial::Nsec3 => command.args(["-3", "-", "-H", "0"]),
        Denial::Nsec3OptOut => command.args(["-3", "-", "-H", "0", "-A"]),
        Denial::Nsec => &mut command,
    };
    command.args(["-N", "increment"]);
    signzone(&mut command, zone.dir.path(), &zone.origin, &input, &output);
    output
}

/// A signed zone read back: the SOA (Tern generates it from these
/// settings) and every other record.
#[derive(Clone)]
pub struct SignedRecords {
    pub soa: SoaSettings,
    pub serial: u32,
    pub records: Vec<(Name, u32, Rdata)>,
}

/// Reads the signed file through tern-core's trusted path for Tern's own
/// DNSSEC records (an import refuses these types).
pub fn read_signed(origin: &str, path: &std::path::Path) -> SignedRecords {
    let text = std::fs::read(path).expect("signed zone");
    let origin = Name::parse_absolute(origin).expect("origin");
    let mut soa = None;
    let mut records = Vec::new();
    for entry in tern_core::zonefile::ZoneFileReader::new(text.as_slice(), origin).allow_dnssec() {
        let record = entry.unwrap_or_else(|p| panic!("signed zone: {p}"));
        match SoaSettings::from_rdata(&record.rdata, record.ttl) {
            Some(found) => soa = Some(found),
            None => records.push((record.name, record.ttl, record.rdata)),
        }
    }
    let (soa, serial) = soa.expect("the signed zone has an SOA");
    SignedRecords {
        soa,
        serial,
        records,
    }
}

/// Loads signed records as a new active zone of `core`'s organisation,
/// straight into the store; the zone and its records as stored.
pub async fn load_signed(
    core: &Core,
    origin: &str,
    signed: &SignedRecords,
) -> (tern_core::Zone, Vec<Record>) {
    let now = tern_core::now_millis();
    let name = Name::parse_absolute(origin).expect("origin");
    let zone = tern_core::Zone {
        id: tern_core::new_id(),
        kind: tern_core::ZoneKind::for_name(&name),
        name,
        status: tern_core::ZoneStatus::Active,
        prior_status: None,
        default_ttl: 3600,
        description: None,
        settings: serde_json::json!({}),
        dnssec_enabled: true,
        serial: signed.serial,
        soa: signed.soa.clone(),
        org_id: core.org.id,
        project_id: None,
        created_at: now,
        updated_at: now,
        deleted_at: None,
    };
    let records: Vec<Record> = signed
        .records
        .iter()
        .map(|(owner, ttl, rdata)| new_record(&zone, owner, *ttl, rdata))
        .collect();
    let entry = tern_core::JournalEntry {
        seq: 0,
        zone_id: zone.id,
        zone_name: zone.name.clone(),
        serial_before: 0,
        serial_after: zone.serial,
        removed: Vec::new(),
        added: records.clone(),
        zone_after: Some(zone.clone()),
        principal: tern_core::Principal("signer@test".into()),
        source: tern_core::ChangeSource::Import,
        at: now,
        key_transitions: Vec::new(),
    };
    core.store
        .create_zone(&zone, &entry, false)
        .await
        .expect("signed zone");
    (zone, records)
}

fn new_record(zone: &tern_core::Zone, owner: &Name, ttl: u32, rdata: &Rdata) -> Record {
    let now = tern_core::now_millis();
    Record {
        id: tern_core::new_id(),
        zone_id: zone.id,
        name: owner.clone(),
        rtype: rdata.rtype(),
        ttl: Some(ttl),
        rdata: rdata.clone(),
        description: None,
        created_at: now,
        updated_at: now,
        version: 1,
    }
}

/// Commits the change from the stored records to `next` (what a signed
/// zone's change set does: data, signatures, NSEC3 records and SOA serial
/// in one journal entry) and hands the entry to the index, as the commit
/// listener does. Returns the entry.
pub async fn commit_signed(
    core: &Core,
    zone: &tern_core::Zone,
    stored: &[Record],
    next: &SignedRecords,
) -> tern_core::JournalEntry {
    type Key = (String, u16, u32, Vec<u8>);
    let key = |owner: &Name, ttl: u32, rdata: &Rdata| -> Key {
        (owner.to_string(), rdata.rtype().0, ttl, rdata.wire())
    };
    let mut wanted: Vec<Key> = next
        .records
        .iter()
        .map(|(owner, ttl, rdata)| key(owner, *ttl, rdata))
        .collect();
    let mut removed = Vec::new();
    for record in stored {
        let have = key(
            &record.name,
            record.ttl.unwrap_or(zone.default_ttl),
            &record.rdata,
        );
        match wanted.iter().position(|w| *w == have) {
            Some(i) => {
                wanted.swap_remove(i);
            }
            None => removed.push(record.clone()),
        }
    }
    let added: Vec<Record> = next
        .records
        .iter()
        .filter(|(owner, ttl, rdata)| wanted.contains(&key(owner, *ttl, rdata)))
        .map(|(owner, ttl, rdata)| new_record(zone, owner, *ttl, rdata))
        .collect();
    let mut after = zone.clone();
    after.serial = next.serial;
    after.soa = next.soa.clone();
    after.updated_at = tern_core::now_millis();
    let mut entry = tern_core::JournalEntry {
        seq: 0,
        zone_id: zone.id,
        zone_name: zone.name.clone(),
        serial_before: zone.serial,
        serial_after: after.serial,
        removed,
        added,
        zone_after: Some(after.clone()),
        principal: tern_core::Principal("signer@test".into()),
        source: tern_core::ChangeSource::Api,
        at: after.updated_at,
        key_transitions: Vec::new(),
    };
    entry.seq = core
        .store
        .commit(&tern_core::Commit {
            zone_id: zone.id,
            expected_serial: zone.serial,
            zone: after,
            journal: entry.clone(),
            claim: tern_core::NameClaim::Keep,
            keys: Vec::new(),
        })
        .await
        .expect("commit");
    core.index.apply(&entry).await;
    entry
}

/// `signed` with one octet of the last signature over `rtype` at `owner`
/// flipped.
pub fn tamper(signed: &SignedRecords, owner: &str, rtype: u16) -> SignedRecords {
    let mut out = signed.clone();
    let (_, _, rdata) = out
        .records
        .iter_mut()
        .find(|(name, _, rdata)| {
            name.as_str() == owner && rdata.rtype().0 == 46 && covered(&rdata.wire()) == rtype
        })
        .expect("the signature to tamper with");
    let mut wire = rdata.wire();
    if let Some(last) = wire.last_mut() {
        *last ^= 0x01;
    }
    *rdata = Rdata::from_wire(rdata.rtype(), &wire).expect("still RRSIG RDATA");
    out
}

/// `query` with the DO bit set in its OPT record (which it must have).
pub fn with_do(mut query: Vec<u8>) -> Vec<u8> {
    let at = query.len() - 4;
    query[at] |= 0x80;
    query
}

/// The type an RRSIG covers, from its RDATA.
pub fn covered(rdata: &[u8]) -> u16 {
    u16::from_be_bytes([rdata[0], rdata[1]])
}
