//! The store suite: every test runs on SQLite and on PostgreSQL (see
//! `common`), through the `Store` trait as tern-core uses it.

mod common;

use std::collections::HashSet;
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::*;
use tern_core::{
    Commit, Project, Record, RecordType, Store, StoreError, ZoneFilter, ZoneKind, ZoneStatus,
    new_id, now_millis,
};
use tern_store::Database;

/// Applies a change to `zone` and returns the commit: the journal entry is
/// the change (an id in both `removed` and `added` is an update).
fn change(
    zone: &tern_core::Zone,
    delete: Vec<Record>,
    updates: Vec<(Record, Record)>,
    inserts: Vec<Record>,
) -> Commit {
    let mut after = zone.clone();
    after.serial = zone.serial + 1;
    after.updated_at = now_millis();
    let mut removed = delete;
    let mut added = Vec::new();
    for (old, new) in updates {
        removed.push(old);
        added.push(new);
    }
    added.extend(inserts);
    Commit {
        zone_id: zone.id,
        expected_serial: zone.serial,
        zone: after.clone(),
        journal: entry(&after, zone.serial, removed, added),
        claim: tern_core::NameClaim::Keep,
        keys: Vec::new(),
    }
}

async fn new_zone(db: &Database, org_id: uuid::Uuid, zone_name: &str) -> (tern_core::Zone, i64) {
    let zone = zone(org_id, zone_name);
    let records = vec![record(&zone, zone_name, RecordType::NS, "ns1.tern.test.")];
    let seq = db
        .create_zone(&zone, &entry(&zone, 0, vec![], records), true)
        .await
        .expect("create zone");
    (zone, seq)
}

#[tokio::test]
async fn migrations_are_idempotent() {
    each_engine(|env| async move {
        // A second process opening the same database finds it migrated.
        let again = Database::connect(&env.url).await.expect("connect twice");
        assert_eq!(again.backend(), env.db.backend());
        assert_eq!(again.journal_head().await.expect("head"), 0);
        let org = org(&again, "twice").await;
        assert_eq!(
            env.db.organisation(org.id).await.expect("read").as_ref(),
            Some(&org)
        );
        again.close().await;
        let third = Database::connect(&env.url).await.expect("connect thrice");
        third.close().await;
    })
    .await;
}

#[tokio::test]
async fn organisations_and_projects() {
    each_engine(|env| async move {
        let db = &env.db;
        let acme = org(db, "acme").await;
        let beta = org(db, "beta").await;
        assert_eq!(db.organisation(acme.id).await.unwrap(), Some(acme.clone()));
        assert_eq!(db.organisation(new_id()).await.unwrap(), None);
        assert_eq!(
            db.organisation_by_slug("beta").await.unwrap(),
            Some(beta.clone())
        );
        assert_eq!(db.organisation_by_slug("nope").await.unwrap(), None);
        let all = db.list_organisations().await.unwrap();
        assert_eq!(all.len(), 2);
        assert!(all.contains(&acme) && all.contains(&beta));

        let mut dup = acme.clone();
        dup.id = new_id();
        match db.create_organisation(&dup).await {
            Err(StoreError::Duplicate(m)) => assert!(m.contains("acme"), "{m}"),
            other => panic!("{}: duplicate slug gave {other:?}", env.label),
        }

        let project = Project {
            id: new_id(),
            org_id: acme.id,
            slug: "web".into(),
            name: "Web".into(),
            created_at: now_millis(),
        };
        db.create_project(&project).await.unwrap();
        assert_eq!(
            db.project_by_slug(acme.id, "web").await.unwrap(),
            Some(project.clone())
        );
        assert_eq!(db.project_by_slug(beta.id, "web").await.unwrap(), None);
        // The same slug in another organisation is fine, twice in one is not.
        let mut other = project.clone();
        other.id = new_id();
        other.org_id = beta.id;
        db.create_project(&other).await.unwrap();
        let mut again = project.clone();
        again.id = new_id();
        assert!(matches!(
            db.create_project(&again).await,
            Err(StoreError::Duplicate(_))
        ));
        let mut orphan = project.clone();
        orphan.id = new_id();
        orphan.org_id = new_id();
        assert!(matches!(
            db.create_project(&orphan).await,
            Err(StoreError::NotFound(_))
        ));
    })
    .await;
}

#[tokio::test]
async fn tsig_keys_round_trip() {
    each_engine(|env| async move {
        let db = &env.db;
        let key = tern_core::TsigKey::new(
            "Xfr.Example.",
            "hmac-sha384",
            "qpRmVv4Ck2+b4SVzbxRg4v4RbX0aRDsOyn0wxvb8S0E=",
            now_millis(),
        )
        .unwrap();
        db.create_tsig_key(&key).await.unwrap();
        assert_eq!(db.tsig_keys().await.unwrap(), vec![key.clone()]);
        match db.create_tsig_key(&key).await {
            Err(StoreError::Duplicate(m)) => assert!(m.contains("xfr.example."), "{m}"),
            other => panic!("{}: duplicate key gave {other:?}", env.label),
        }
        assert!(db.delete_tsig_key(&key.name).await.unwrap());
        assert!(!db.delete_tsig_key(&key.name).await.unwrap());
        assert!(db.tsig_keys().await.unwrap().is_empty());
    })
    .await;
}

#[tokio::test]
async fn zone_records_stream_in_chunks() {
    each_engine(|env| async move {
        let db = &env.db;
        let acme = org(db, "acme").await;
        let (zone, _) = new_zone(db, acme.id, "chunks.test").await;
        // More than one read chunk (20,000).
        let records: Vec<Record> = (0..20_500)
            .map(|i| {
                record(
                    &zone,
                    &format!("h{i}.chunks.test"),
                    RecordType::A,
                    "192.0.2.1",
                )
            })
            .collect();
        db.commit(&change(&zone, vec![], vec![], records))
            .await
            .unwrap();
        let mut chunks = Vec::new();
        db.records_chunked(zone.id, &mut |chunk| chunks.push(chunk))
            .await
            .unwrap();
        assert!(
            chunks.len() >= 2,
            "{}: {} chunk(s)",
            env.label,
            chunks.len()
        );
        let mut streamed: Vec<uuid::Uuid> = chunks.into_iter().flatten().map(|r| r.id).collect();
        let mut all: Vec<uuid::Uuid> = db
            .records(zone.id)
            .await
            .unwrap()
            .iter()
            .map(|r| r.id)
            .collect();
        streamed.sort();
        all.sort();
        assert_eq!(streamed, all, "{}", env.label);
    })
    .await;
}

#[tokio::test]
async fn create_zone_and_read_it_back() {
    each_engine(|env| async move {
        let db = &env.db;
        let acme = org(db, "acme").await;
        let project = Project {
            id: new_id(),
            org_id: acme.id,
            slug: "p".into(),
            name: "P".into(),
            created_at: now_millis(),
        };
        db.create_project(&project).await.unwrap();
        let mut zone = zone(acme.id, "example.com");
        zone.project_id = Some(project.id);
        let records = every_variant(&zone);
        let journal = entry(&zone, 0, vec![], records.clone());
        let seq = db.create_zone(&zone, &journal, true).await.unwrap();
        assert_eq!(seq, 1);
        assert_eq!(db.journal_head().await.unwrap(), 1);

        assert_eq!(db.zone(zone.id).await.unwrap(), Some(zone.clone()));
        assert_eq!(db.zone(new_id()).await.unwrap(), None);
        let stored = db.records(zone.id).await.unwrap();
        assert_eq!(stored, sorted(records.clone()), "{}", env.label);
        assert_eq!(
            db.record_count(zone.id).await.unwrap(),
            records.len() as u64
        );

        let apex = db.records_at(zone.id, &[zone.name.clone()]).await.unwrap();
        let expected: Vec<Record> = sorted(
            records
                .iter()
                .filter(|r| r.name == zone.name)
                .cloned()
                .collect(),
        );
        assert_eq!(apex, expected);
        let several = db
            .records_at(
                zone.id,
                &[
                    name("host.example.com"),
                    name("geo.example.com"),
                    name("absent.example.com"),
                ],
            )
            .await
            .unwrap();
        assert_eq!(several.len(), 3);

        let below_apex = db.records_below(zone.id, &zone.name).await.unwrap();
        assert_eq!(
            below_apex,
            sorted(
                records
                    .iter()
                    .filter(|r| r.name != zone.name)
                    .cloned()
                    .collect()
            )
        );
        // `_tcp` must not match `xtcp` through LIKE's `_` wildcard, and an
        // escaped dot is not a label boundary.
        let tcp = db
            .records_below(zone.id, &name("_tcp.example.com"))
            .await
            .unwrap();
        assert_eq!(tcp.len(), 1);
        assert_eq!(tcp[0].rtype, RecordType::SRV);
        let label = db
            .records_below(zone.id, &name("label.example.com"))
            .await
            .unwrap();
        assert!(label.is_empty(), "{label:?}");

        let ids = [records[3].id, records[7].id, new_id()];
        let by_id = db.records_by_id(zone.id, &ids).await.unwrap();
        assert_eq!(by_id, sorted(vec![records[3].clone(), records[7].clone()]));
        // Ids of another zone are not returned.
        assert!(db.records_by_id(new_id(), &ids).await.unwrap().is_empty());

        let journal_back = db.journal_since(0, 10).await.unwrap();
        let mut expected_entry = journal.clone();
        expected_entry.seq = 1;
        assert_eq!(journal_back, vec![expected_entry]);

        // A second zone of the same name in the same organisation clashes.
        let mut clash = common::zone(acme.id, "example.com");
        clash.id = new_id();
        match db
            .create_zone(&clash, &entry(&clash, 0, vec![], vec![]), true)
            .await
        {
            Err(StoreError::Duplicate(m)) => assert!(m.contains("example.com"), "{m}"),
            other => panic!("{}: clash gave {other:?}", env.label),
        }
        assert_eq!(db.journal_head().await.unwrap(), 1);

        // Names whose byte order differs from a linguistic one, read in more
        // than one `IN (…)` chunk: the result is still in byte order.
        let mut tricky = Vec::new();
        for label in ["a_b", "a-b", "a", "a0", "A1", "zz", "_z", "-z"] {
            tricky.push(record(
                &zone,
                &format!("{label}.t.example.com"),
                RecordType::A,
                "192.0.2.5",
            ));
        }
        let c = change(&zone, vec![], vec![], tricky.clone());
        db.commit(&c).await.unwrap();
        let mut wanted: Vec<tern_core::Name> = tricky.iter().map(|r| r.name.clone()).collect();
        wanted.extend((0..1200).map(|i| name(&format!("absent{i}.example.com"))));
        wanted.reverse();
        assert_eq!(
            db.records_at(zone.id, &wanted).await.unwrap(),
            sorted(tricky.clone())
        );
        assert_eq!(
            db.records_below(zone.id, &name("t.example.com"))
                .await
                .unwrap(),
            sorted(tricky.clone())
        );
        let mut all = records.clone();
        all.extend(tricky.iter().cloned());
        assert_eq!(db.records(zone.id).await.unwrap(), sorted(all));
        let mut ids: Vec<uuid::Uuid> = tricky.iter().map(|r| r.id).collect();
        ids.extend((0..1200).map(|_| new_id()));
        ids.reverse();
        assert_eq!(
            db.records_by_id(zone.id, &ids).await.unwrap(),
            sorted(tricky.clone())
        );
    })
    .await;
}

#[tokio::test]
async fn list_zones_filters_and_orders() {
    each_engine(|env| async move {
        let db = &env.db;
        let acme = org(db, "acme").await;
        let beta = org(db, "beta").await;
        let (b, _) = new_zone(db, acme.id, "b.test").await;
        let (a, _) = new_zone(db, acme.id, "a.test").await;
        let mut rev = zone(beta.id, "2.0.192.in-addr.arpa");
        rev.kind = ZoneKind::ReverseIpv4;
        rev.status = ZoneStatus::Inactive;
        db.create_zone(&rev, &entry(&rev, 0, vec![], vec![]), true)
            .await
            .unwrap();
        let (shared, _) = new_zone(db, beta.id, "a.test").await;

        let names = |zones: Vec<tern_core::Zone>| -> Vec<(String, uuid::Uuid)> {
            zones
                .into_iter()
                .map(|z| (z.name.to_string(), z.id))
                .collect()
        };
        let all = db.list_zones(&ZoneFilter::default()).await.unwrap();
        let mut a_ids = [a.id, shared.id];
        a_ids.sort();
        assert_eq!(
            names(all),
            vec![
                ("2.0.192.in-addr.arpa.".to_string(), rev.id),
                ("a.test.".to_string(), a_ids[0]),
                ("a.test.".to_string(), a_ids[1]),
                ("b.test.".to_string(), b.id),
            ]
        );
        let of_acme = db
            .list_zones(&ZoneFilter {
                org_id: Some(acme.id),
                ..ZoneFilter::default()
            })
            .await
            .unwrap();
        assert_eq!(of_acme, vec![a.clone(), b.clone()]);
        let by_name = db
            .list_zones(&ZoneFilter {
                name: Some(name("a.test")),
                ..ZoneFilter::default()
            })
            .await
            .unwrap();
        assert_eq!(by_name.len(), 2);
        let reverse = db
            .list_zones(&ZoneFilter {
                kind: Some(ZoneKind::ReverseIpv4),
                ..ZoneFilter::default()
            })
            .await
            .unwrap();
        assert_eq!(reverse, vec![rev.clone()]);
        let inactive = db
            .list_zones(&ZoneFilter {
                status: Some(ZoneStatus::Inactive),
                ..ZoneFilter::default()
            })
            .await
            .unwrap();
        assert_eq!(inactive, vec![rev.clone()]);

        // Soft delete: hidden unless asked for.
        let mut commit = change(&b, vec![], vec![], vec![]);
        commit.zone.status = ZoneStatus::Deleted;
        commit.zone.prior_status = Some(ZoneStatus::Active);
        commit.zone.deleted_at = Some(now_millis());
        commit.journal.zone_after = Some(commit.zone.clone());
        db.commit(&commit).await.unwrap();
        let live = db.list_zones(&ZoneFilter::default()).await.unwrap();
        assert!(live.iter().all(|z| z.id != b.id));
        let with_deleted = db
            .list_zones(&ZoneFilter {
                include_deleted: true,
                ..ZoneFilter::default()
            })
            .await
            .unwrap();
        assert_eq!(with_deleted.len(), 4);
        let deleted = db
            .list_zones(&ZoneFilter {
                status: Some(ZoneStatus::Deleted),
                ..ZoneFilter::default()
            })
            .await
            .unwrap();
        assert_eq!(deleted, vec![commit.zone.clone()]);
        // Its name is free again in that organisation.
        new_zone(db, acme.id, "b.test").await;
    })
    .await;
}

#[tokio::test]
async fn commit_round_trips_records_and_journal() {
    each_engine(|env| async move {
        let db = &env.db;
        let acme = org(db, "acme").await;
        let (zone, _) = new_zone(db, acme.id, "example.com").await;
        let initial = db.records(zone.id).await.unwrap();

        // Insert every variant.
        let inserts = every_variant(&zone);
        let first = change(&zone, vec![], vec![], inserts.clone());
        let seq = db.commit(&first).await.unwrap();
        assert_eq!(seq, 2);
        let mut expected = initial.clone();
        expected.extend(inserts.iter().cloned());
        assert_eq!(db.records(zone.id).await.unwrap(), sorted(expected.clone()));
        assert_eq!(db.zone(zone.id).await.unwrap(), Some(first.zone.clone()));

        // Update some (TTL to None, new RDATA, description), delete others.
        let zone1 = first.zone.clone();
        let mut up_a = inserts[0].clone();
        up_a.rdata = rdata(RecordType::A, "198.51.100.1");
        up_a.ttl = None;
        up_a.version = 2;
        up_a.updated_at += 1;
        let mut up_txt = inserts[7].clone();
        up_txt.description = Some("changed".into());
        up_txt.ttl = Some(60);
        up_txt.version = 2;
        let deleted = vec![inserts[3].clone(), inserts[10].clone()];
        let extra = vec![record(
            &zone1,
            "new.example.com",
            RecordType::AAAA,
            "2001:db8::2",
        )];
        let second = change(
            &zone1,
            deleted.clone(),
            vec![
                (inserts[0].clone(), up_a.clone()),
                (inserts[7].clone(), up_txt.clone()),
            ],
            extra.clone(),
        );
        let seq2 = db.commit(&second).await.unwrap();
        assert_eq!(seq2, 3);
        let gone: HashSet<uuid::Uuid> = deleted.iter().map(|r| r.id).collect();
        let mut now: Vec<Record> = expected
            .into_iter()
            .filter(|r| !gone.contains(&r.id))
            .map(|r| {
                if r.id == up_a.id {
                    up_a.clone()
                } else if r.id == up_txt.id {
                    up_txt.clone()
                } else {
                    r
                }
            })
            .collect();
        now.extend(extra);
        assert_eq!(db.records(zone.id).await.unwrap(), sorted(now));

        // The journal gives back exactly what was written.
        let journal = db.journal_since(1, 10).await.unwrap();
        let mut e1 = first.journal.clone();
        e1.seq = 2;
        let mut e2 = second.journal.clone();
        e2.seq = 3;
        assert_eq!(journal, vec![e1.clone(), e2.clone()]);
        let history = db.zone_journal(zone.id, 0, 10).await.unwrap();
        assert_eq!(history.len(), 3);
        assert_eq!(history[0], e2);
        assert_eq!(history[1], e1);
        assert_eq!(db.zone_journal(zone.id, 1, 1).await.unwrap(), vec![e1]);
        assert!(db.zone_journal(new_id(), 0, 10).await.unwrap().is_empty());

        // An update of a record that is not there is refused.
        let zone2 = second.zone.clone();
        let mut ghost = up_a.clone();
        ghost.id = new_id();
        let bad = change(&zone2, vec![], vec![(ghost.clone(), ghost)], vec![]);
        assert!(matches!(
            db.commit(&bad).await,
            Err(StoreError::NotFound(_))
        ));
        assert_eq!(db.journal_head().await.unwrap(), 3);

        // A record of another zone in the change is refused before anything
        // is written.
        let mut stray = record(&zone2, "stray.example.com", RecordType::A, "192.0.2.8");
        stray.zone_id = new_id();
        let mixed = change(&zone2, vec![], vec![], vec![stray]);
        assert!(matches!(
            db.commit(&mixed).await,
            Err(StoreError::Backend(_))
        ));
        assert_eq!(db.zone(zone.id).await.unwrap(), Some(zone2.clone()));
        assert_eq!(db.journal_head().await.unwrap(), 3);

        // A commit on a zone that does not exist.
        let mut missing = change(&zone2, vec![], vec![], vec![]);
        missing.zone_id = new_id();
        missing.zone.id = missing.zone_id;
        missing.journal.zone_id = missing.zone_id;
        assert!(matches!(
            db.commit(&missing).await,
            Err(StoreError::NotFound(_))
        ));
    })
    .await;
}

#[tokio::test]
async fn stale_serial_is_refused_and_changes_nothing() {
    each_engine(|env| async move {
        let db = &env.db;
        let acme = org(db, "acme").await;
        let (zone, _) = new_zone(db, acme.id, "example.com").await;
        let first = change(
            &zone,
            vec![],
            vec![],
            vec![record(&zone, "a.example.com", RecordType::A, "192.0.2.1")],
        );
        db.commit(&first).await.unwrap();
        let records_before = db.records(zone.id).await.unwrap();

        // Built from the old zone: expects the old serial.
        let stale = change(
            &zone,
            records_before.clone(),
            vec![],
            vec![record(&zone, "b.example.com", RecordType::A, "192.0.2.2")],
        );
        match db.commit(&stale).await {
            Err(StoreError::SerialMismatch { expected, current }) => {
                assert_eq!(expected, zone.serial);
                assert_eq!(current, first.zone.serial);
            }
            other => panic!("{}: stale commit gave {other:?}", env.label),
        }
        assert_eq!(db.records(zone.id).await.unwrap(), records_before);
        assert_eq!(db.zone(zone.id).await.unwrap(), Some(first.zone.clone()));
        assert_eq!(db.journal_head().await.unwrap(), 2);
    })
    .await;
}

#[tokio::test]
async fn failed_commit_leaves_everything_untouched() {
    each_engine(|env| async move {
        let db = &env.db;
        let acme = org(db, "acme").await;
        let (zone, _) = new_zone(db, acme.id, "example.com").await;
        let seed: Vec<Record> = (0..50)
            .map(|i| {
                record(
                    &zone,
                    &format!("h{i}.example.com"),
                    RecordType::A,
                    "192.0.2.1",
                )
            })
            .collect();
        let first = change(&zone, vec![], vec![], seed.clone());
        db.commit(&first).await.unwrap();
        let zone1 = first.zone.clone();
        let records_before = db.records(zone.id).await.unwrap();
        let head_before = db.journal_head().await.unwrap();

        // Deletes and updates that would succeed, then a batch of inserts
        // whose last row reuses an existing record id.
        let mut updated = seed[1].clone();
        updated.ttl = Some(1);
        let mut inserts: Vec<Record> = (0..1200)
            .map(|i| {
                record(
                    &zone1,
                    &format!("n{i}.example.com"),
                    RecordType::A,
                    "192.0.2.3",
                )
            })
            .collect();
        let mut dup = record(&zone1, "dup.example.com", RecordType::A, "192.0.2.4");
        dup.id = seed[5].id;
        inserts.push(dup);
        let failing = change(
            &zone1,
            vec![seed[0].clone()],
            vec![(seed[1].clone(), updated)],
            inserts,
        );
        match db.commit(&failing).await {
            Err(StoreError::Duplicate(_)) => {}
            other => panic!("{}: duplicate id gave {other:?}", env.label),
        }
        assert_eq!(db.records(zone.id).await.unwrap(), records_before);
        assert_eq!(db.zone(zone.id).await.unwrap(), Some(zone1.clone()));
        assert_eq!(db.journal_head().await.unwrap(), head_before);
        assert_eq!(db.zone_journal(zone.id, 0, 100).await.unwrap().len(), 2);

        // The zone still takes a good commit afterwards.
        let good = change(&zone1, vec![seed[0].clone()], vec![], vec![]);
        assert_eq!(db.commit(&good).await.unwrap(), head_before + 1);
    })
    .await;
}

#[tokio::test]
async fn journal_since_is_ordered_and_limited() {
    each_engine(|env| async move {
        let db = &env.db;
        let acme = org(db, "acme").await;
        let (a, s1) = new_zone(db, acme.id, "a.test").await;
        let (b, s2) = new_zone(db, acme.id, "b.test").await;
        assert_eq!((s1, s2), (1, 2));
        let mut za = a.clone();
        let mut zb = b.clone();
        for i in 0..5 {
            let (zone, other) = if i % 2 == 0 {
                (&mut za, "a.test")
            } else {
                (&mut zb, "b.test")
            };
            let c = change(
                zone,
                vec![],
                vec![],
                vec![record(
                    zone,
                    &format!("h{i}.{other}"),
                    RecordType::A,
                    "192.0.2.1",
                )],
            );
            assert_eq!(db.commit(&c).await.unwrap(), 3 + i);
            *zone = c.zone;
        }
        let all = db.journal_since(0, 100).await.unwrap();
        assert_eq!(
            all.iter().map(|e| e.seq).collect::<Vec<_>>(),
            (1..=7).collect::<Vec<_>>()
        );
        let page = db.journal_since(2, 3).await.unwrap();
        assert_eq!(
            page.iter().map(|e| e.seq).collect::<Vec<_>>(),
            vec![3, 4, 5]
        );
        assert!(db.journal_since(7, 10).await.unwrap().is_empty());
        assert_eq!(all[3].zone_id, b.id);
        assert_eq!(all[3].added[0].name, name("h1.b.test"));
        let b_history = db.zone_journal(b.id, 0, 100).await.unwrap();
        assert_eq!(
            b_history.iter().map(|e| e.seq).collect::<Vec<_>>(),
            vec![6, 4, 2]
        );
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn follower_sees_commits_of_another_instance() {
    each_engine(|env| async move {
        let acme = org(&env.db, "acme").await;
        let head = env.db.journal_head().await.unwrap();
        let mut follower = env.db.follow_journal(head);

        // "Another process": a second pool on the same database.
        let other = Database::connect(&env.url).await.unwrap();
        let (zone, seq) = new_zone(&other, acme.id, "example.com").await;
        let started = Instant::now();
        let got = tokio::time::timeout(Duration::from_secs(1), follower.recv())
            .await
            .unwrap_or_else(|_| panic!("{}: no entry within 1 s", env.label))
            .expect("follower stopped");
        assert_eq!(got.seq, seq);
        assert_eq!(got.zone_id, zone.id);
        eprintln!("{}: follower latency {:?}", env.label, started.elapsed());

        // Several commits arrive in order, none skipped.
        let mut current = zone.clone();
        let mut seqs = Vec::new();
        for i in 0..10 {
            let c = change(
                &current,
                vec![],
                vec![],
                vec![record(
                    &current,
                    &format!("h{i}.example.com"),
                    RecordType::A,
                    "192.0.2.1",
                )],
            );
            seqs.push(other.commit(&c).await.unwrap());
            current = c.zone;
        }
        let mut received = Vec::new();
        while received.len() < seqs.len() {
            let e = tokio::time::timeout(Duration::from_secs(2), follower.recv())
                .await
                .expect("entries within 2 s")
                .expect("follower stopped");
            received.push(e.seq);
        }
        assert_eq!(received, seqs);

        // A follower started from 0 replays the journal from the beginning.
        let mut replay = other.follow_journal(0);
        let first = tokio::time::timeout(Duration::from_secs(2), replay.recv())
            .await
            .expect("replay")
            .expect("replay stopped");
        assert_eq!(first.seq, 1);
        drop(replay);
        drop(follower);
        other.close().await;
    })
    .await;
}

#[tokio::test]
async fn purge_removes_zone_records_and_history() {
    each_engine(|env| async move {
        let db = &env.db;
        let acme = org(db, "acme").await;
        let (keep, _) = new_zone(db, acme.id, "keep.test").await;
        let (zone, _) = new_zone(db, acme.id, "example.com").await;
        let c = change(&zone, vec![], vec![], every_variant(&zone));
        let last = db.commit(&c).await.unwrap();
        assert_eq!(last, 3);

        // The purged zone holds the newest entry: the final entry must still
        // come after it, or followers at `last` would never see it.
        let mut gone = c.zone.clone();
        gone.status = ZoneStatus::Deleted;
        gone.deleted_at = Some(now_millis());
        let mut final_entry = entry(&gone, c.zone.serial, vec![], vec![]);
        final_entry.serial_after = c.zone.serial;
        let seq = db.purge_zone(zone.id, &final_entry).await.unwrap();
        assert!(seq > last, "{}: purge seq {seq} after {last}", env.label);
        assert_eq!(db.journal_head().await.unwrap(), seq);

        assert_eq!(db.zone(zone.id).await.unwrap(), None);
        assert!(db.records(zone.id).await.unwrap().is_empty());
        assert_eq!(db.record_count(zone.id).await.unwrap(), 0);
        let history = db.zone_journal(zone.id, 0, 10).await.unwrap();
        assert_eq!(history.len(), 1);
        final_entry.seq = seq;
        assert_eq!(history[0], final_entry);
        assert_eq!(db.journal_since(last, 10).await.unwrap(), vec![final_entry]);

        // Other zones are untouched; purging again is NotFound.
        assert_eq!(db.record_count(keep.id).await.unwrap(), 1);
        assert_eq!(db.zone_journal(keep.id, 0, 10).await.unwrap().len(), 1);
        assert!(matches!(
            db.purge_zone(zone.id, &entry(&gone, 0, vec![], vec![]))
                .await,
            Err(StoreError::NotFound(_))
        ));
        // The name can be created again.
        new_zone(db, acme.id, "example.com").await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_commits_one_wins() {
    each_engine(|env| async move {
        let acme = org(&env.db, "acme").await;
        let (zone, _) = new_zone(&env.db, acme.id, "example.com").await;
        for round in 0..5 {
            let current = env.db.zone(zone.id).await.unwrap().expect("zone");
            let mut tasks = Vec::new();
            for t in 0..2 {
                let commit = change(
                    &current,
                    vec![],
                    vec![],
                    vec![record(
                        &current,
                        &format!("r{round}t{t}.example.com"),
                        RecordType::A,
                        "192.0.2.1",
                    )],
                );
                let env = env.clone();
                tasks.push(tokio::spawn(async move { env.db.commit(&commit).await }));
            }
            let mut wins = 0;
            let mut mismatches = 0;
            for t in tasks {
                match t.await.expect("task") {
                    Ok(_) => wins += 1,
                    Err(StoreError::SerialMismatch {
                        expected,
                        current: now,
                    }) => {
                        assert_eq!(expected, current.serial);
                        assert_eq!(now, current.serial + 1);
                        mismatches += 1;
                    }
                    Err(e) => panic!("{}: {e}", env.label),
                }
            }
            assert_eq!((wins, mismatches), (1, 1), "{} round {round}", env.label);
        }
        assert_eq!(env.db.record_count(zone.id).await.unwrap(), 6);
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_zones_get_gap_free_seqs() {
    each_engine(|env| async move {
        let acme = org(&env.db, "acme").await;
        let other = Arc::new(Database::connect(&env.url).await.unwrap());
        let mut zones = Vec::new();
        for i in 0..4 {
            zones.push(new_zone(&env.db, acme.id, &format!("z{i}.test")).await.0);
        }
        let head = env.db.journal_head().await.unwrap();
        let mut follower = env.db.follow_journal(head);
        let mut tasks = Vec::new();
        for (i, zone) in zones.into_iter().enumerate() {
            // Two pools, as two processes would be.
            let db: Arc<Database> = if i % 2 == 0 {
                other.clone()
            } else {
                Arc::new(Database::connect(&env.url).await.unwrap())
            };
            tasks.push(tokio::spawn(async move {
                let mut current = zone;
                let mut seqs = Vec::new();
                for n in 0..10 {
                    let c = change(
                        &current,
                        vec![],
                        vec![],
                        vec![record(
                            &current,
                            &format!("h{n}.{}", current.name),
                            RecordType::A,
                            "192.0.2.1",
                        )],
                    );
                    seqs.push(db.commit(&c).await.expect("commit"));
                    current = c.zone;
                }
                seqs
            }));
        }
        let mut all = Vec::new();
        for t in tasks {
            let seqs = t.await.expect("task");
            assert!(seqs.windows(2).all(|w| w[0] < w[1]));
            all.extend(seqs);
        }
        all.sort();
        assert_eq!(all, ((head + 1)..=(head + 40)).collect::<Vec<_>>());
        let mut seen = Vec::new();
        while seen.len() < 40 {
            let e = tokio::time::timeout(Duration::from_secs(3), follower.recv())
                .await
                .expect("follower within 3 s")
                .expect("follower stopped");
            seen.push(e.seq);
        }
        assert_eq!(seen, all);
    })
    .await;
}

#[tokio::test]
async fn default_sqlite_url_creates_the_file() {
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().join("data dir with spaces#1");
    std::fs::create_dir_all(&data).expect("mkdir");
    let url = tern_store::sqlite_url_for_dir(&data);
    let db = Database::connect(&url).await.expect("connect");
    assert_eq!(db.journal_head().await.unwrap(), 0);
    db.close().await;
    assert!(data.join("tern.db").exists());
    // A bare sqlite:// URL creates its file too.
    let bare = format!("sqlite://{}", dir.path().join("bare.db").display());
    let db = Database::connect(&bare).await.expect("connect bare");
    db.close().await;
    assert!(dir.path().join("bare.db").exists());
    assert!(matches!(
        Database::connect("mysql://localhost/x").await,
        Err(StoreError::Backend(_))
    ));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn large_changes_round_trip_through_the_journal() {
    each_engine(|env| async move {
        let db = &env.db;
        let acme = org(db, "acme").await;
        let (zone, _) = new_zone(db, acme.id, "big.test").await;
        let head = db.journal_head().await.unwrap();
        let mut follower = db.follow_journal(head);

        // Several thousand records each way: the entry is stored in parts.
        let first: Vec<Record> = (0..7001)
            .map(|i| record(&zone, &format!("h{i}.big.test"), RecordType::A, "192.0.2.1"))
            .collect();
        let c1 = change(&zone, vec![], vec![], first.clone());
        let s1 = db.commit(&c1).await.unwrap();
        let zone1 = c1.zone.clone();
        let mut updates = Vec::new();
        for r in &first[..2500] {
            let mut new = r.clone();
            new.ttl = None;
            new.version = 2;
            updates.push((r.clone(), new));
        }
        let second: Vec<Record> = (0..4500)
            .map(|i| {
                record(
                    &zone1,
                    &format!("n{i}.big.test"),
                    RecordType::AAAA,
                    "2001:db8::1",
                )
            })
            .collect();
        let c2 = change(&zone1, first[2500..5000].to_vec(), updates, second);
        let s2 = db.commit(&c2).await.unwrap();
        // A small entry after the large ones keeps its own records only.
        let zone2 = c2.zone.clone();
        let c3 = change(
            &zone2,
            vec![],
            vec![],
            vec![record(&zone2, "tail.big.test", RecordType::A, "192.0.2.9")],
        );
        let s3 = db.commit(&c3).await.unwrap();

        let mut e1 = c1.journal.clone();
        e1.seq = s1;
        let mut e2 = c2.journal.clone();
        e2.seq = s2;
        let mut e3 = c3.journal.clone();
        e3.seq = s3;
        assert_eq!(
            db.journal_since(head, 10).await.unwrap(),
            vec![e1.clone(), e2.clone(), e3.clone()]
        );
        assert_eq!(db.journal_since(s1, 1).await.unwrap(), vec![e2.clone()]);
        assert_eq!(
            db.zone_journal(zone.id, 0, 2).await.unwrap(),
            vec![e3.clone(), e2.clone()]
        );
        for expected in [e1, e2, e3] {
            let got = tokio::time::timeout(Duration::from_secs(2), follower.recv())
                .await
                .expect("follower within 2 s")
                .expect("follower stopped");
            assert_eq!(got, expected);
        }
        assert_eq!(
            db.record_count(zone.id).await.unwrap(),
            1 + 7001 - 2500 + 4500 + 1
        );
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn processes_opening_a_new_database_together() {
    // SQLite has no migration lock: several processes opening a fresh file at
    // once must all come up. (PostgreSQL's migrator takes an advisory lock.)
    for _ in 0..5 {
        let dir = tempfile::tempdir().expect("tempdir");
        let url = tern_store::sqlite_url_for_dir(dir.path());
        let opens: Vec<_> = (0..4)
            .map(|_| {
                let url = url.clone();
                tokio::spawn(async move { Database::connect(&url).await })
            })
            .collect();
        for open in opens {
            let db = open.await.expect("task").expect("connect");
            assert_eq!(db.journal_head().await.unwrap(), 0);
            db.close().await;
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reading_a_large_zone_with_many_equal_names() {
    each_engine(|env| async move {
        let db = &env.db;
        let acme = org(db, "acme").await;
        let (zone, _) = new_zone(db, acme.id, "big.test").await;
        // Far more records of one name and type than any read chunk, with
        // other names on both sides, so chunk boundaries fall inside ties.
        let mut records: Vec<Record> = (0..45_000)
            .map(|i| {
                record(
                    &zone,
                    "same.big.test",
                    RecordType::A,
                    &format!("10.{}.{}.{}", i >> 16, (i >> 8) & 255, i & 255),
                )
            })
            .collect();
        records.extend(
            (0..3000).map(|i| record(&zone, &format!("a{i}.big.test"), RecordType::TXT, "\"x\"")),
        );
        records.extend(
            (0..3000).map(|i| record(&zone, &format!("z{i}.big.test"), RecordType::A, "192.0.2.1")),
        );
        records.extend((0..2000).map(|i| {
            record(
                &zone,
                "same.big.test",
                RecordType::AAAA,
                &format!("2001:db8::{i:x}"),
            )
        }));
        let c = change(&zone, vec![], vec![], records.clone());
        db.commit(&c).await.unwrap();
        let mut all = db
            .records_at(zone.id, std::slice::from_ref(&zone.name))
            .await
            .unwrap();
        all.extend(records);
        let back = db.records(zone.id).await.unwrap();
        assert_eq!(back.len(), all.len());
        assert!(back == sorted(all), "{}: records differ", env.label);
    })
    .await;
}
