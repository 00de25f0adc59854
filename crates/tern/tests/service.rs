//! The write path end to end over a real database, on SQLite and PostgreSQL:
//! corpus import/export round trips, strict and lenient imports, serial and
//! journal per change, zone rules, TTL rules and optimistic concurrency.

mod common;

use std::collections::BTreeSet;
use std::fs;

use common::{Engine, engines, fixtures_dir};
use tern_core::{
    Change, ChangeSet, CoreError, ImportMode, ImportOptions, Name, NewRecord, NewZone, Rdata,
    Record, RecordType, RecordUpdate, Zone, ZoneStatus,
};

fn new_zone(engine: &Engine, name: &str) -> NewZone {
    NewZone::new(
        Name::parse_absolute(name).expect("zone name"),
        engine.org.id,
    )
}

fn strict() -> ImportOptions {
    ImportOptions {
        mode: ImportMode::Replace,
        ..ImportOptions::default()
    }
}

fn lenient() -> ImportOptions {
    ImportOptions {
        skip_invalid: true,
        ..strict()
    }
}

fn record_set(zone: &Zone, records: &[Record]) -> BTreeSet<(String, u32, String)> {
    records
        .iter()
        .map(|r| {
            (
                r.name.to_string(),
                r.effective_ttl(zone.default_ttl),
                format!("{} {}", r.rtype, r.rdata),
            )
        })
        .collect()
}

fn corpus() -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = fs::read_dir(fixtures_dir())
        .expect("fixtures")
        .filter_map(|e| e.ok())
        .map(|e| e.path())
        .filter(|p| p.extension().is_none_or(|x| x != "md"))
        .map(|p| {
            let file = p
                .file_name()
                .and_then(|n| n.to_str())
                .unwrap_or_default()
                .to_string();
            let origin = if file == "root.zone" {
                ".".to_string()
            } else {
                file
            };
            (origin, fs::read_to_string(&p).expect("fixture"))
        })
        .collect();
    out.sort();
    out
}

async fn records(engine: &Engine, zone: &Zone) -> Vec<Record> {
    engine
        .service
        .store()
        .records(zone.id)
        .await
        .expect("records")
}

fn rec(name: &str, rtype: RecordType, content: &str, ttl: Option<u32>) -> Change {
    Change::Add(NewRecord {
        name: Name::parse_absolute(name).expect("name"),
        ttl,
        rdata: Rdata::parse_text(rtype, content).expect("rdata"),
        description: None,
    })
}

#[tokio::test]
async fn corpus_round_trips_import_export_import() {
    for engine in engines().await {
        let actor = engine.actor();
        for (origin, text) in corpus() {
            let report = engine
                .service
                .create_zone_from_file(
                    new_zone(&engine, &origin),
                    text.as_bytes(),
                    &lenient(),
                    &actor,
                )
                .await
                .unwrap_or_else(|e| panic!("{} {origin}: {e}", engine.label));
            let zone = report.zone.clone();
            let first = records(&engine, &zone).await;
            let exported = engine.service.export(zone.id).await.expect("export");

            // Importing the same file again changes nothing and keeps the serial.
            let again = engine
                .service
                .import(zone.id, text.as_bytes(), &lenient(), &actor)
                .await
                .expect("re-import");
            assert!(
                !again.changed,
                "{} {origin}: second import changed {:?} / {:?}",
                engine.label,
                again.added(),
                again.removed()
            );
            assert_eq!(
                engine.service.zone(zone.id).await.expect("zone").serial,
                zone.serial
            );

            // The export, imported into a fresh zone of the same name, gives
            // the same records and SOA settings.
            engine
                .service
                .delete_zone(zone.id, true, &actor)
                .await
                .expect("purge");
            let reimport = engine
                .service
                .create_zone_from_file(
                    new_zone(&engine, &origin),
                    exported.as_bytes(),
                    &strict(),
                    &actor,
                )
                .await
                .unwrap_or_else(|e| {
                    panic!(
                        "{} {origin}: exported file does not import strictly: {e}",
                        engine.label
                    )
                });
            assert!(reimport.skipped.is_empty(), "{origin}");
            let second = records(&engine, &reimport.zone).await;
            assert_eq!(
                record_set(&zone, &first),
                record_set(&reimport.zone, &second),
                "{} {origin}",
                engine.label
            );
            assert_eq!(zone.soa, reimport.zone.soa, "{origin}");
            assert_eq!(
                zone.serial, reimport.zone.serial,
                "{origin}: the file's serial is kept"
            );
            engine
                .service
                .delete_zone(reimport.zone.id, true, &actor)
                .await
                .expect("purge");
        }
        engine.finish().await;
    }
}

#[tokio::test]
async fn strict_import_names_every_trap_and_imports_nothing() {
    let traps: &[(&str, &[usize])] = &[
        // EUI48, EUI64, ALIAS, CNAME beside A at *.mixed-wc, MB, MB, MG, MG, MR, WALLET
        (
            "example.com",
            &[
                86, 20192, 20193, 20197, 20201, 20202, 20203, 20204, 20205, 20234,
            ],
        ),
        // two owners outside the zone
        ("nztest.com", &[15, 16]),
    ];
    for engine in engines().await {
        let actor = engine.actor();
        for (origin, lines) in traps {
            let text = fs::read_to_string(fixtures_dir().join(origin)).expect("fixture");
            let head = engine.service.store().journal_head().await.expect("head");
            let err = engine
                .service
                .create_zone_from_file(
                    new_zone(&engine, origin),
                    text.as_bytes(),
                    &strict(),
                    &actor,
                )
                .await
                .expect_err("strict import must refuse the traps");
            let CoreError::Import(problems) = err else {
                panic!("{origin}: expected an import error, got {err}");
            };
            let got: Vec<usize> = problems.iter().map(|p| p.line).collect();
            assert_eq!(&got, lines, "{} {origin}: {problems:#?}", engine.label);
            assert!(problems.iter().all(|p| !p.reason.is_empty()));
            let zones = engine
                .service
                .store()
                .list_zones(&Default::default())
                .await
                .expect("zones");
            assert!(
                zones.is_empty(),
                "{origin}: a refused import left a zone behind"
            );
            assert_eq!(
                engine.service.store().journal_head().await.expect("head"),
                head
            );

            // --skip-invalid imports the rest and reports exactly those lines.
            let report = engine
                .service
                .create_zone_from_file(
                    new_zone(&engine, origin),
                    text.as_bytes(),
                    &lenient(),
                    &actor,
                )
                .await
                .expect("lenient import");
            let skipped: Vec<usize> = report.skipped.iter().map(|p| p.line).collect();
            assert_eq!(&skipped, lines, "{origin}");
            engine
                .service
                .delete_zone(report.zone.id, true, &actor)
                .await
                .expect("purge");
        }
        engine.finish().await;
    }
}

#[tokio::test]
async fn serial_and_journal_advance_once_per_change() {
    for engine in engines().await {
        let actor = engine.actor();
        let text = fs::read_to_string(fixtures_dir().join("minimal.com")).expect("fixture");
        let report = engine
            .service
            .create_zone_from_file(
                new_zone(&engine, "minimal.com"),
                text.as_bytes(),
                &strict(),
                &actor,
            )
            .await
            .expect("import");
        let zone = report.zone;
        let mut serial = zone.serial;
        for (i, name) in ["a", "b", "c"].iter().enumerate() {
            let outcome = engine
                .service
                .apply(
                    zone.id,
                    ChangeSet::new(vec![rec(
                        &format!("{name}.minimal.com"),
                        RecordType::A,
                        &format!("192.0.2.{i}"),
                        None,
                    )]),
                    &actor,
                )
                .await
                .expect("change");
            assert!(outcome.changed);
            assert_eq!(outcome.serial_before, serial);
            assert!(tern_core::serial::serial_gt(outcome.serial_after, serial));
            serial = outcome.serial_after;
        }
        // A change set that changes nothing commits nothing.
        let noop = engine
            .service
            .apply(
                zone.id,
                ChangeSet::new(vec![Change::Zone(Default::default())]),
                &actor,
            )
            .await
            .expect("noop");
        assert!(!noop.changed);
        assert_eq!(
            engine.service.zone(zone.id).await.expect("zone").serial,
            serial
        );

        let journal = engine
            .service
            .store()
            .zone_journal(zone.id, 0, 100)
            .await
            .expect("journal");
        assert_eq!(journal.len(), 4, "one entry for the import, one per change");
        assert_eq!(journal[0].serial_after, serial);
        assert_eq!(journal[0].added.len(), 1);
        assert_eq!(journal[0].added[0].name.as_str(), "c.minimal.com.");
        for pair in journal.windows(2) {
            assert_eq!(
                pair[0].serial_before, pair[1].serial_after,
                "journal serials chain"
            );
        }
        let exported = engine.service.export(zone.id).await.expect("export");
        assert!(
            exported.contains(&format!(" {serial} ")),
            "export shows the current serial:\n{exported}"
        );
        engine.finish().await;
    }
}

/// Each bad change is refused with a typed error naming the problem, and the
/// zone (records and serial) is exactly as before.
#[tokio::test]
async fn bad_changes_are_refused_and_change_nothing() {
    for engine in engines().await {
        let actor = engine.actor();
        let zone = engine
            .service
            .create_zone(new_zone(&engine, "example.org"), &actor)
            .await
            .expect("zone");
        engine
            .service
            .apply(
                zone.id,
                ChangeSet::new(vec![
                    rec("www.example.org", RecordType::A, "192.0.2.1", Some(300)),
                    rec(
                        "alias.example.org",
                        RecordType::CNAME,
                        "www.example.org",
                        None,
                    ),
                    rec(
                        "sub.example.org",
                        RecordType::NS,
                        "ns.sub.example.org",
                        None,
                    ),
                ]),
                &actor,
            )
            .await
            .expect("seed records");
        let before = records(&engine, &zone).await;
        let serial = engine.service.zone(zone.id).await.expect("zone").serial;
        let head = engine.service.store().journal_head().await.expect("head");

        let cases: Vec<(Vec<Change>, &str)> = vec![
            (
                vec![rec(
                    "www.example.org",
                    RecordType::CNAME,
                    "other.example.net",
                    None,
                )],
                "cannot coexist",
            ),
            (
                vec![rec("alias.example.org", RecordType::TXT, "\"x\"", None)],
                "cannot coexist",
            ),
            (
                vec![rec(
                    "example.org",
                    RecordType::CNAME,
                    "other.example.net",
                    None,
                )],
                "zone apex",
            ),
            (
                vec![rec("www.example.net", RecordType::A, "192.0.2.1", None)],
                "outside the zone",
            ),
            (
                vec![rec(
                    "x.sub.example.org",
                    RecordType::TXT,
                    "\"hidden\"",
                    None,
                )],
                "below the delegation",
            ),
            (
                vec![rec("www.example.org", RecordType::A, "192.0.2.1", None)],
                "already exists",
            ),
            (
                vec![rec(
                    "www.example.org",
                    RecordType::A,
                    "192.0.2.2",
                    Some(600),
                )],
                "TTL 300 of the RRset",
            ),
            (
                vec![rec(
                    "www.example.org",
                    RecordType::SOA,
                    "a. b. 1 2 3 4 5",
                    None,
                )],
                "managed by Tern",
            ),
            // All or nothing: a valid first change is not applied when the second fails.
            (
                vec![
                    rec("ok.example.org", RecordType::A, "192.0.2.9", None),
                    rec("www.example.org", RecordType::CNAME, "x.example.net", None),
                ],
                "cannot coexist",
            ),
        ];
        for (changes, needle) in cases {
            let err = engine
                .service
                .apply(zone.id, ChangeSet::new(changes), &actor)
                .await
                .expect_err(needle);
            assert!(
                err.to_string().contains(needle),
                "{}: expected {needle:?} in {err}",
                engine.label
            );
            assert_eq!(
                records(&engine, &zone).await,
                before,
                "{needle}: records changed"
            );
            assert_eq!(
                engine.service.zone(zone.id).await.expect("zone").serial,
                serial
            );
            assert_eq!(
                engine.service.store().journal_head().await.expect("head"),
                head
            );
        }

        // Input that never reaches the service is refused by the parsers.
        let label = "a".repeat(64);
        assert!(
            Name::parse_absolute(&format!("{label}.example.org"))
                .unwrap_err()
                .to_string()
                .contains("limit is 63")
        );
        assert!(
            Rdata::parse_text(RecordType::AAAA, "2001:db8::zz")
                .unwrap_err()
                .to_string()
                .contains("not an IPv6 address")
        );

        // A malformed zone-file line is reported with its line number.
        let bad_file = "$ORIGIN example.org.\n@ 3600 IN SOA ns1 host 1 2 3 4 5\nok A 192.0.2.1\nbad AAAA 2001:db8::zz\nlong.aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa A 192.0.2.1\n";
        let err = engine
            .service
            .import(zone.id, bad_file.as_bytes(), &strict(), &actor)
            .await
            .expect_err("bad file");
        let CoreError::Import(problems) = err else {
            panic!("{err}")
        };
        assert_eq!(
            problems.iter().map(|p| p.line).collect::<Vec<_>>(),
            vec![4, 5]
        );
        assert!(problems[0].reason.contains("IPv6"), "{problems:?}");
        assert!(problems[1].reason.contains("limit is 63"), "{problems:?}");
        assert_eq!(records(&engine, &zone).await, before);
        assert_eq!(
            engine.service.zone(zone.id).await.expect("zone").serial,
            serial
        );
        engine.finish().await;
    }
}

#[tokio::test]
async fn one_ttl_per_rrset() {
    for engine in engines().await {
        let actor = engine.actor();
        let zone = engine
            .service
            .create_zone(new_zone(&engine, "ttl.test"), &actor)
            .await
            .expect("zone");
        engine
            .service
            .apply(
                zone.id,
                ChangeSet::new(vec![rec(
                    "www.ttl.test",
                    RecordType::A,
                    "192.0.2.1",
                    Some(300),
                )]),
                &actor,
            )
            .await
            .expect("first");
        // Joining without a TTL takes the RRset's TTL.
        let joined = engine
            .service
            .apply(
                zone.id,
                ChangeSet::new(vec![rec("www.ttl.test", RecordType::A, "192.0.2.2", None)]),
                &actor,
            )
            .await
            .expect("join");
        assert_eq!(joined.added()[0].ttl, Some(300));
        // Changing one record's TTL changes the RRset and says so.
        let id = joined.added()[0].id;
        let outcome = engine
            .service
            .apply(
                zone.id,
                ChangeSet::new(vec![Change::Update {
                    id,
                    update: RecordUpdate {
                        ttl: Some(Some(900)),
                        ..RecordUpdate::default()
                    },
                }]),
                &actor,
            )
            .await
            .expect("ttl change");
        assert_eq!(outcome.warnings.len(), 1, "{:?}", outcome.warnings);
        assert!(outcome.warnings[0].contains("900"));
        let www: Vec<Record> = records(&engine, &zone)
            .await
            .into_iter()
            .filter(|r| r.rtype == RecordType::A)
            .collect();
        assert_eq!(www.len(), 2);
        assert!(www.iter().all(|r| r.ttl == Some(900)), "{www:?}");
        assert!(
            www.iter().any(|r| r.id == id),
            "record ids are stable across updates"
        );
        engine.finish().await;
    }
}

#[tokio::test]
async fn expected_serial_is_checked() {
    for engine in engines().await {
        let actor = engine.actor();
        let zone = engine
            .service
            .create_zone(new_zone(&engine, "occ.test"), &actor)
            .await
            .expect("zone");
        let mut changes = ChangeSet::new(vec![rec("a.occ.test", RecordType::A, "192.0.2.1", None)]);
        changes.expected_serial = Some(zone.serial.wrapping_sub(1));
        let err = engine
            .service
            .apply(zone.id, changes.clone(), &actor)
            .await
            .expect_err("stale");
        assert!(
            matches!(err, CoreError::SerialMismatch { current, .. } if current == zone.serial),
            "{err}"
        );
        changes.expected_serial = Some(zone.serial);
        engine
            .service
            .apply(zone.id, changes, &actor)
            .await
            .expect("fresh serial");
        engine.finish().await;
    }
}

#[tokio::test]
async fn merge_import_keeps_existing_and_replace_removes_it() {
    for engine in engines().await {
        let actor = engine.actor();
        let zone = engine
            .service
            .create_zone(new_zone(&engine, "merge.test"), &actor)
            .await
            .expect("zone");
        engine
            .service
            .apply(
                zone.id,
                ChangeSet::new(vec![rec(
                    "keep.merge.test",
                    RecordType::A,
                    "192.0.2.1",
                    None,
                )]),
                &actor,
            )
            .await
            .expect("seed");
        let file = "$ORIGIN merge.test.\nnew 300 IN A 192.0.2.2\n";
        let merge = ImportOptions {
            mode: ImportMode::Merge,
            ..ImportOptions::default()
        };
        let dry = ImportOptions {
            dry_run: true,
            ..merge.clone()
        };
        let preview = engine
            .service
            .import(zone.id, file.as_bytes(), &dry, &actor)
            .await
            .expect("dry run");
        assert_eq!(preview.added().len(), 1);
        assert_eq!(
            records(&engine, &zone).await.len(),
            3,
            "dry run changes nothing"
        );
        engine
            .service
            .import(zone.id, file.as_bytes(), &merge, &actor)
            .await
            .expect("merge");
        let names: BTreeSet<String> = records(&engine, &zone)
            .await
            .iter()
            .map(|r| r.name.to_string())
            .collect();
        assert!(names.contains("keep.merge.test.") && names.contains("new.merge.test."));
        let replaced = engine
            .service
            .import(zone.id, file.as_bytes(), &strict(), &actor)
            .await
            .expect("replace");
        assert!(
            replaced
                .removed()
                .iter()
                .any(|r| r.name.as_str() == "keep.merge.test.")
        );
        let left = records(&engine, &zone).await;
        assert_eq!(left.len(), 1, "replace leaves exactly the file: {left:?}");
        engine.finish().await;
    }
}

#[tokio::test]
async fn soft_delete_restore_and_zone_name_uniqueness() {
    for engine in engines().await {
        let actor = engine.actor();
        let zone = engine
            .service
            .create_zone(new_zone(&engine, "del.test"), &actor)
            .await
            .expect("zone");
        let dup = engine
            .service
            .create_zone(new_zone(&engine, "del.test"), &actor)
            .await
            .expect_err("dup");
        assert!(matches!(dup, CoreError::Conflict { .. }), "{dup}");
        engine
            .service
            .delete_zone(zone.id, false, &actor)
            .await
            .expect("soft delete");
        let deleted = engine.service.zone(zone.id).await.expect("still there");
        assert_eq!(deleted.status, ZoneStatus::Deleted);
        assert!(deleted.deleted_at.is_some());
        let err = engine
            .service
            .apply(
                zone.id,
                ChangeSet::new(vec![rec("a.del.test", RecordType::A, "192.0.2.1", None)]),
                &actor,
            )
            .await
            .expect_err("deleted zones take no changes");
        assert!(err.to_string().contains("deleted"), "{err}");
        let restored = engine
            .service
            .restore_zone(zone.id, &actor)
            .await
            .expect("restore");
        assert_eq!(restored.status, ZoneStatus::Active);
        assert!(restored.deleted_at.is_none());
        engine
            .service
            .delete_zone(zone.id, true, &actor)
            .await
            .expect("hard delete");
        assert!(matches!(
            engine.service.zone(zone.id).await,
            Err(CoreError::NotFound { .. })
        ));
        engine.finish().await;
    }
}

/// A zone signed elsewhere (BIND's dnssec-signzone output) imports only as
/// its unsigned data: each DNSSEC line is refused with the message every
/// face gives, strictly, and skipped with `--skip-invalid`.
#[tokio::test]
async fn import_refuses_dnssec_records_of_a_signed_zone() {
    let path = fixtures_dir().join("../dnssec/bind-nsec3.zone");
    let text = fs::read_to_string(&path).expect("signed fixture");
    for engine in engines().await {
        let actor = engine.actor();
        let err = engine
            .service
            .create_zone_from_file(
                new_zone(&engine, "example"),
                text.as_bytes(),
                &strict(),
                &actor,
            )
            .await
            .expect_err("DNSSEC records must be refused");
        let CoreError::Import(problems) = err else {
            panic!("expected an import error, got {err}");
        };
        let mut types = BTreeSet::new();
        for p in &problems {
            let rtype = p.rtype.clone().expect("type");
            assert_eq!(
                p.reason,
                format!("record type {rtype} is DNSSEC data that Tern generates itself"),
                "{p}"
            );
            types.insert(rtype);
        }
        assert_eq!(
            types.into_iter().collect::<Vec<_>>(),
            ["DNSKEY", "NSEC3", "NSEC3PARAM", "RRSIG"]
        );
        let report = engine
            .service
            .create_zone_from_file(
                new_zone(&engine, "example"),
                text.as_bytes(),
                &lenient(),
                &actor,
            )
            .await
            .expect("lenient import");
        assert_eq!(report.skipped.len(), problems.len());
        assert!(
            records(&engine, &report.zone)
                .await
                .iter()
                .all(|r| !r.rtype.is_dnssec())
        );
        engine.finish().await;
    }
}
