//! The store's DNSSEC side, on both engines: signing keys round-trip with
//! their sealed private key; the signer's records are kept out of every
//! user-facing read (listings, counts, lookups by name or id) yet reach the
//! nameserver's load and the signer's own queries; an NSEC3 owner's
//! neighbours are found in hash order.

mod common;

use common::*;
use tern_core::{
    DnssecKey, KeyRole, KeyState, Rdata, Record, RecordFilter, RecordType, Store, new_id,
    now_millis,
};

fn key(zone_id: uuid::Uuid) -> DnssecKey {
    DnssecKey {
        id: new_id(),
        zone_id,
        role: KeyRole::Csk,
        algorithm: 13,
        key_tag: 40_123,
        public_key: vec![7; 64],
        sealed_private_key: vec![1, 2, 3, 250],
        state: KeyState::Active,
        created_at: now_millis(),
        published_at: Some(now_millis()),
        active_at: Some(now_millis()),
        retire_at: None,
        removed_at: None,
    }
}

/// An NSEC3 record (SHA-1, no salt, bitmap {A}) at `<label>.<zone>`.
fn nsec3(zone: &tern_core::Zone, label: &str) -> Record {
    let mut wire = vec![1, 0, 0, 0, 0, 20];
    wire.extend([0x11; 20]);
    wire.extend([0, 1, 0x40]);
    dnssec_record(
        zone,
        &format!("{label}.{}", zone.name),
        RecordType(50),
        wire,
    )
}

/// An RRSIG over the A RRset at `owner`.
fn rrsig(zone: &tern_core::Zone, owner: &str) -> Record {
    let mut wire = vec![0, 1, 13, 3, 0, 0, 1, 44];
    wire.extend([0x68, 0, 0, 0, 0x67, 0, 0, 0, 0x9c, 0xbb]);
    zone.name.to_wire(&mut wire);
    wire.extend([0x5a; 64]);
    dnssec_record(zone, owner, RecordType(46), wire)
}

fn dnssec_record(zone: &tern_core::Zone, owner: &str, rtype: RecordType, wire: Vec<u8>) -> Record {
    let now = now_millis();
    Record {
        id: new_id(),
        zone_id: zone.id,
        name: name(owner),
        rtype,
        ttl: Some(300),
        rdata: Rdata::from_wire(rtype, &wire).expect("DNSSEC rdata"),
        description: None,
        created_at: now,
        updated_at: now,
        version: 1,
    }
}

#[tokio::test]
async fn keys_round_trip_and_change_state() {
    each_engine(|env| async move {
        let org = org(&env.db, "keys").await;
        let zone = zone(org.id, "keys.test");
        env.db
            .create_zone(&zone, &entry(&zone, 0, vec![], vec![]), false)
            .await
            .expect("zone");
        assert!(env.db.dnssec_keys(zone.id).await.expect("keys").is_empty());
        let mut stored = key(zone.id);
        env.db.put_dnssec_key(&stored).await.expect("put");
        assert_eq!(
            env.db.dnssec_keys(zone.id).await.expect("keys"),
            vec![stored.clone()]
        );
        stored.state = KeyState::Retired;
        stored.retire_at = Some(now_millis());
        env.db.put_dnssec_key(&stored).await.expect("update");
        assert_eq!(
            env.db.dnssec_keys(zone.id).await.expect("keys"),
            vec![stored]
        );
    })
    .await;
}

#[tokio::test]
async fn signer_records_stay_out_of_user_reads() {
    each_engine(|env| async move {
        let org = org(&env.db, "reads").await;
        let zone = zone(org.id, "reads.test");
        let www = record(&zone, "www.reads.test", RecordType::A, "192.0.2.1");
        let signature = rrsig(&zone, "www.reads.test");
        let chain = vec![
            nsec3(&zone, "0aaa"),
            nsec3(&zone, "5bbb"),
            nsec3(&zone, "vccc"),
        ];
        let mut added = vec![www.clone(), signature.clone()];
        added.extend(chain.clone());
        env.db
            .create_zone(&zone, &entry(&zone, 0, vec![], added.clone()), false)
            .await
            .expect("zone");

        // What a user sees: the A record alone, however it is asked for.
        assert_eq!(
            env.db.records(zone.id).await.expect("records"),
            vec![www.clone()]
        );
        assert_eq!(env.db.record_count(zone.id).await.expect("count"), 1);
        let at = env
            .db
            .records_at(zone.id, std::slice::from_ref(&www.name))
            .await
            .expect("at");
        assert_eq!(at, vec![www.clone()]);
        let (page, total) = env
            .db
            .records_page(zone.id, &RecordFilter::default(), 0, 100)
            .await
            .expect("page");
        assert_eq!((page, total), (vec![www.clone()], 1));
        let by_id = env
            .db
            .records_by_id(zone.id, &[signature.id])
            .await
            .expect("by id");
        assert!(
            by_id.is_empty(),
            "an RRSIG was addressable by id: {by_id:?}"
        );
        let below = env
            .db
            .records_below(zone.id, &zone.name)
            .await
            .expect("below");
        assert_eq!(below, vec![www.clone()]);

        // What the nameserver and the signer see: everything.
        let mut loaded = Vec::new();
        env.db
            .records_chunked(zone.id, &mut |chunk| loaded.extend(chunk))
            .await
            .expect("chunked");
        assert_eq!(loaded.len(), added.len());
        let signatures = env
            .db
            .dnssec_records_at(zone.id, std::slice::from_ref(&www.name))
            .await
            .expect("at");
        assert_eq!(signatures, vec![signature]);
        let nsec3s = env
            .db
            .records_of_types(zone.id, &[RecordType(50)])
            .await
            .expect("types");
        assert_eq!(nsec3s, chain);
    })
    .await;
}

#[tokio::test]
async fn nsec3_neighbours_are_found_in_hash_order() {
    each_engine(|env| async move {
        let org = org(&env.db, "chain").await;
        let zone = zone(org.id, "chain.test");
        let chain = vec![
            nsec3(&zone, "0aaa"),
            nsec3(&zone, "5bbb"),
            nsec3(&zone, "vccc"),
        ];
        // A user record sorting among the hashes must not be taken for one.
        let between = record(&zone, "6.chain.test", RecordType::A, "192.0.2.6");
        let mut added = chain.clone();
        added.push(between);
        env.db
            .create_zone(&zone, &entry(&zone, 0, vec![], added), false)
            .await
            .expect("zone");
        let nsec3_type = RecordType(50);
        let beside = |label: Option<&str>, after: bool| {
            let db = &env.db;
            let owner = label.map(|l| name(&format!("{l}.chain.test")));
            async move {
                db.record_of_type_beside(zone.id, nsec3_type, owner.as_ref(), after)
                    .await
                    .expect("beside")
                    .map(|r| r.name.to_string())
            }
        };
        assert_eq!(
            beside(Some("5bbb"), false).await.as_deref(),
            Some("0aaa.chain.test.")
        );
        assert_eq!(
            beside(Some("5bbb"), true).await.as_deref(),
            Some("vccc.chain.test.")
        );
        assert_eq!(
            beside(Some("7000"), false).await.as_deref(),
            Some("5bbb.chain.test.")
        );
        assert_eq!(
            beside(Some("0aaa"), false).await,
            None,
            "nothing before the first"
        );
        assert_eq!(
            beside(Some("vccc"), true).await,
            None,
            "nothing after the last"
        );
        assert_eq!(
            beside(None, false).await.as_deref(),
            Some("vccc.chain.test.")
        );
        assert_eq!(
            beside(None, true).await.as_deref(),
            Some("0aaa.chain.test.")
        );
    })
    .await;
}
