//! The key manager's timings: each step comes when its wait is over and
//! not a millisecond before.

use super::*;

const HOUR: i64 = 3_600_000;

fn zone(split: bool) -> (Zone, DnssecSettings) {
    let settings = DnssecSettings {
        key_split: split,
        ..DnssecSettings::default()
    };
    let zone = crate::model::test_zone("example.test");
    (zone, settings)
}

fn key(role: KeyRole, state: KeyState, since: Timestamp, tag: u16) -> DnssecKey {
    DnssecKey {
        id: crate::model::new_id(),
        zone_id: crate::model::new_id(),
        role,
        algorithm: 13,
        key_tag: tag,
        public_key: vec![tag as u8],
        sealed_private_key: Vec::new(),
        state,
        created_at: since,
        published_at: Some(since),
        active_at: (state == KeyState::Active).then_some(since),
        retire_at: (state == KeyState::Retired).then_some(since),
        removed_at: None,
    }
}

struct Run<'a> {
    zone: &'a Zone,
    settings: &'a DnssecSettings,
    max_ttl: u32,
    parent: Option<bool>,
}

impl Run<'_> {
    fn step(
        &self,
        keys: &[DnssecKey],
        now: Timestamp,
        request: KeyRequest,
    ) -> Result<KeyStep, CoreError> {
        let parent = self.parent;
        let parent_has = move |_: Option<&DnssecKey>| parent;
        next_step(&KeyFacts {
            zone: self.zone,
            settings: self.settings,
            keys,
            now,
            max_ttl: self.max_ttl,
            parent_has: &parent_has,
            request,
        })
    }
}

fn states(step: &KeyStep) -> Vec<(u16, KeyState)> {
    step.changed.iter().map(|k| (k.key_tag, k.state)).collect()
}

#[test]
fn a_zsk_takes_over_once_its_dnskey_is_cached_everywhere() {
    let (zone, settings) = zone(true);
    let run = Run {
        zone: &zone,
        settings: &settings,
        max_ttl: 86_400,
        parent: None,
    };
    let ksk = key(KeyRole::Ksk, KeyState::Active, 0, 1);
    let old = key(KeyRole::Zsk, KeyState::Active, 0, 2);
    let asked = run
        .step(
            &[ksk.clone(), old.clone()],
            10 * HOUR,
            KeyRequest::Rollover(KeyRole::Zsk),
        )
        .expect("step");
    assert_eq!(asked.new_keys, vec![KeyRole::Zsk]);
    // Published at 10 h: DNSKEY TTL 1 h + propagation 1 h.
    let new = key(KeyRole::Zsk, KeyState::Published, 10 * HOUR, 3);
    let keys = [ksk.clone(), old.clone(), new.clone()];
    assert!(
        run.step(&keys, 12 * HOUR - 1, KeyRequest::Maintain)
            .expect("step")
            .is_empty()
    );
    let swap = run
        .step(&keys, 12 * HOUR, KeyRequest::Maintain)
        .expect("step");
    assert_eq!(
        states(&swap),
        vec![(3, KeyState::Active), (2, KeyState::Retired)]
    );
    // The old ZSK's signatures live as long as the zone's largest TTL.
    let retired = key(KeyRole::Zsk, KeyState::Retired, 12 * HOUR, 2);
    let active = key(KeyRole::Zsk, KeyState::Active, 12 * HOUR, 3);
    let keys = [ksk, retired, active];
    let remove_at = 12 * HOUR + 24 * HOUR + HOUR;
    assert!(
        run.step(&keys, remove_at - 1, KeyRequest::Maintain)
            .expect("step")
            .is_empty()
    );
    let removed = run
        .step(&keys, remove_at, KeyRequest::Maintain)
        .expect("step");
    assert_eq!(states(&removed), vec![(2, KeyState::Removed)]);
    assert_eq!(removed.transitions.len(), 1);
}

#[test]
fn a_csk_waits_for_the_parent_and_then_for_resolvers_to_forget_the_old_ds() {
    let (zone, settings) = zone(false);
    let mut run = Run {
        zone: &zone,
        settings: &settings,
        max_ttl: 3600,
        parent: Some(false),
    };
    let old = key(KeyRole::Csk, KeyState::Active, 0, 1);
    let new = key(KeyRole::Csk, KeyState::Published, 0, 2);
    let ready = run
        .step(&[old.clone(), new], 2 * HOUR, KeyRequest::Maintain)
        .expect("step");
    assert_eq!(states(&ready), vec![(2, KeyState::Ready)]);
    let new = key(KeyRole::Csk, KeyState::Ready, 0, 2);
    let keys = [old.clone(), new.clone()];
    // However long it waits, a rollover the parent has not seen stays.
    assert!(
        run.step(&keys, 1000 * HOUR, KeyRequest::Maintain)
            .expect("step")
            .is_empty()
    );
    run.parent = None;
    assert!(
        run.step(&keys, 1000 * HOUR, KeyRequest::Maintain)
            .expect("step")
            .is_empty()
    );
    let confirmed = run
        .step(&keys, 1000 * HOUR, KeyRequest::ParentDsConfirmed)
        .expect("step");
    assert_eq!(
        states(&confirmed),
        vec![(2, KeyState::Active), (1, KeyState::Retired)]
    );
    run.parent = Some(true);
    let seen = run
        .step(&keys, 5 * HOUR, KeyRequest::Maintain)
        .expect("step");
    assert_eq!(
        states(&seen),
        vec![(2, KeyState::Active), (1, KeyState::Retired)]
    );
    // Removal: the parent's DS TTL (a day) outlasts the zone's TTLs.
    let retired = key(KeyRole::Csk, KeyState::Retired, 5 * HOUR, 1);
    let active = key(KeyRole::Csk, KeyState::Active, 5 * HOUR, 2);
    let keys = [retired, active];
    let remove_at = 5 * HOUR + 24 * HOUR + HOUR;
    assert!(
        run.step(&keys, remove_at - 1, KeyRequest::Maintain)
            .expect("step")
            .is_empty()
    );
    assert_eq!(
        states(
            &run.step(&keys, remove_at, KeyRequest::Maintain)
                .expect("step")
        ),
        vec![(1, KeyState::Removed)]
    );
}

#[test]
fn requests_that_cannot_be_met_are_refused() {
    let (zone, settings) = zone(false);
    let run = Run {
        zone: &zone,
        settings: &settings,
        max_ttl: 3600,
        parent: None,
    };
    let active = key(KeyRole::Csk, KeyState::Active, 0, 1);
    let err = run
        .step(
            std::slice::from_ref(&active),
            HOUR,
            KeyRequest::ParentDsConfirmed,
        )
        .unwrap_err();
    assert!(err.to_string().contains("no key waits"), "{err}");
    let err = run
        .step(
            std::slice::from_ref(&active),
            HOUR,
            KeyRequest::Rollover(KeyRole::Zsk),
        )
        .unwrap_err();
    assert!(err.to_string().contains("no ZSK"), "{err}");
    let rolling = [active, key(KeyRole::Csk, KeyState::Published, 0, 2)];
    let err = run
        .step(&rolling, HOUR, KeyRequest::Rollover(KeyRole::Csk))
        .unwrap_err();
    assert!(err.to_string().contains("under way"), "{err}");
    let err = run
        .step(&rolling, HOUR, KeyRequest::ParentDsConfirmed)
        .unwrap_err();
    assert!(err.to_string().contains("becomes ready"), "{err}");
}

#[test]
fn a_key_whose_lifetime_is_over_starts_its_own_rollover() {
    let (zone, mut settings) = zone(true);
    settings.zsk_lifetime_secs = 86_400;
    let run = Run {
        zone: &zone,
        settings: &settings,
        max_ttl: 3600,
        parent: None,
    };
    let keys = [
        key(KeyRole::Ksk, KeyState::Active, 0, 1),
        key(KeyRole::Zsk, KeyState::Active, 0, 2),
    ];
    assert!(
        run.step(&keys, 24 * HOUR - 1, KeyRequest::Maintain)
            .expect("step")
            .is_empty()
    );
    // The KSK's lifetime is off by default.
    assert_eq!(
        run.step(&keys, 24 * HOUR, KeyRequest::Maintain)
            .expect("step")
            .new_keys,
        vec![KeyRole::Zsk]
    );
}

#[test]
fn unsigning_waits_for_the_parent_ds_to_go_and_be_forgotten() {
    let (zone, mut settings) = zone(false);
    settings.unsigning = Some(Unsigning {
        requested_at: 0,
        ds_gone_at: None,
    });
    let mut run = Run {
        zone: &zone,
        settings: &settings,
        max_ttl: 3600,
        parent: Some(true),
    };
    let keys = [key(KeyRole::Csk, KeyState::Active, 0, 1)];
    assert!(
        run.step(&keys, HOUR, KeyRequest::Maintain)
            .expect("step")
            .is_empty()
    );
    run.parent = Some(false);
    let gone = run.step(&keys, HOUR, KeyRequest::Maintain).expect("step");
    let unsigning = gone.unsigning.expect("changed").expect("still unsigning");
    assert_eq!(unsigning.ds_gone_at, Some(HOUR));
    let mut settings = settings.clone();
    settings.unsigning = Some(unsigning);
    let run = Run {
        zone: &zone,
        settings: &settings,
        max_ttl: 3600,
        parent: Some(false),
    };
    let at = unsign_at(&settings).expect("time");
    assert_eq!(at, HOUR + 24 * HOUR + HOUR);
    assert!(
        !run.step(&keys, at - 1, KeyRequest::Maintain)
            .expect("step")
            .unsign
    );
    assert!(
        run.step(&keys, at, KeyRequest::Maintain)
            .expect("step")
            .unsign
    );
    assert!(
        run.step(&keys, at, KeyRequest::Rollover(KeyRole::Csk))
            .is_err()
    );
}
