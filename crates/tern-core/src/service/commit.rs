//! Applying a change set: in the zone's turn, plan it on the zone as read,
//! commit the plan in one store transaction guarded by the serial it was
//! planned on (re-planning a plain write that lost to another process), then
//! deliver the journal entry.

use std::collections::HashSet;

use uuid::Uuid;

use super::lifecycle::zone_name_or_quota_error;
use super::ordering::Backoff;
use super::plan::Plan;
use super::{Actor, ChangeSet, CommitOutcome, ZoneService};
use crate::error::CoreError;
use crate::model::{JournalEntry, Zone, now_millis};
use crate::serial::{next_serial, now_unix};
use crate::store::{Commit, NameClaim, StoreError};

impl ZoneService {
    /// Applies a change set atomically. Writers of one zone take turns in
    /// this process; without an expected serial, a commit that loses to a
    /// writer in another process is planned again on the zone as it is now.
    pub async fn apply(
        &self,
        zone_id: Uuid,
        changes: ChangeSet,
        actor: &Actor,
    ) -> Result<CommitOutcome, CoreError> {
        self.apply_to(zone_id, None, changes, actor).await
    }

    /// `apply`, planned first on `zone` as the caller just read it (one read
    /// less) unless this process has committed to the zone since.
    pub async fn apply_on(
        &self,
        zone: Zone,
        changes: ChangeSet,
        actor: &Actor,
    ) -> Result<CommitOutcome, CoreError> {
        self.apply_to(zone.id, Some(zone), changes, actor).await
    }

    async fn apply_to(
        &self,
        zone_id: Uuid,
        mut seen: Option<Zone>,
        changes: ChangeSet,
        actor: &Actor,
    ) -> Result<CommitOutcome, CoreError> {
        let mut turn = self.locks.turn(zone_id).await;
        let mut backoff = Backoff::new(self.config.conflict_deadline);
        loop {
            let zone = match seen.take() {
                // Read before the turn began: current unless a writer of
                // this process committed meanwhile.
                Some(zone) if turn.serial.is_none_or(|s| s == zone.serial) => zone,
                _ => self.zone(zone_id).await?,
            };
            turn.serial = Some(zone.serial);
            if let Some(expected) = changes.expected_serial
                && expected != zone.serial
            {
                return Err(CoreError::SerialMismatch {
                    expected,
                    current: zone.serial,
                });
            }
            let plan = self.plan(&zone, &changes.changes).await?;
            match self.commit_plan(zone, plan, actor).await {
                Ok(outcome) => {
                    turn.serial = Some(outcome.serial_after);
                    return Ok(outcome);
                }
                Err(CoreError::Store(StoreError::SerialMismatch { expected, current })) => {
                    // Another process committed first.
                    turn.serial = None;
                    if changes.expected_serial.is_some() {
                        return Err(CoreError::SerialMismatch { expected, current });
                    }
                    if !backoff.wait().await {
                        return Err(self.kept_changing(zone_id));
                    }
                }
                Err(e) => return Err(e),
            }
        }
    }

    /// A plain write that lost to other processes until its deadline: a
    /// conflict to retry, never a failed precondition (it had none).
    pub(super) fn kept_changing(&self, zone_id: Uuid) -> CoreError {
        CoreError::conflict(
            None,
            format!(
                "zone {zone_id} kept changing for {} s while other servers wrote to it; nothing was changed, try again",
                self.config.conflict_deadline.as_secs()
            ),
        )
    }

    pub(super) async fn commit_plan(
        &self,
        zone: Zone,
        plan: Plan,
        actor: &Actor,
    ) -> Result<CommitOutcome, CoreError> {
        let metadata_changed = plan.zone != zone;
        let removed_ids: HashSet<Uuid> = plan.removed.iter().map(|r| r.id).collect();
        let added_ids: HashSet<Uuid> = plan.added.iter().map(|r| r.id).collect();
        let growth = added_ids.difference(&removed_ids).count() as i64
            - removed_ids.difference(&added_ids).count() as i64;
        if growth > 0 {
            self.check_record_quota(&zone, growth as u64).await?;
        }
        if plan.added.is_empty() && plan.removed.is_empty() && !metadata_changed && !plan.resign {
            return Ok(CommitOutcome {
                serial_before: zone.serial,
                serial_after: zone.serial,
                zone,
                changed: false,
                entry: None,
                warnings: plan.warnings,
            });
        }
        let now = now_millis();
        let mut after = plan.zone;
        after.serial = plan
            .serial
            .unwrap_or_else(|| next_serial(zone.serial, now_unix()));
        after.updated_at = now;
        let shared = self.config.allow_shared_zone_names;
        let claim = NameClaim::between(zone.status, after.status, shared);
        if claim == (NameClaim::Take { shared: true }) {
            // A restored copy queues behind the zones of its name that were
            // served while it was deleted (`serving`: oldest active first).
            after.created_at = now;
        }
        let (mut removed, mut added) = (plan.removed, plan.added);
        let (mut keys, mut key_transitions) = (plan.keys, plan.transitions);
        if zone.dnssec_enabled || after.dnssec_enabled {
            crate::signing::check_signing_change(&zone, &after)?;
            // The signatures, denial records and key steps go into the same
            // change set: one transaction, one journal entry, one serial
            // step.
            let signer = self.signer.get().ok_or_else(|| CoreError::Unavailable {
                message: format!(
                    "zone {} is signed, and this process has no DNSSEC signer (no key-encryption key); nothing was changed",
                    zone.name
                ),
            })?;
            let zone_keys = self
                .keys_for_commit(
                    signer.as_ref(),
                    &zone,
                    &after,
                    &mut keys,
                    &mut key_transitions,
                )
                .await?;
            let delta = signer
                .sign(
                    self.store.as_ref(),
                    &zone,
                    &after,
                    &zone_keys,
                    &removed,
                    &added,
                )
                .await?;
            removed.extend(delta.removed);
            added.extend(delta.added);
        }
        let commit = Commit {
            zone_id: zone.id,
            expected_serial: zone.serial,
            zone: after.clone(),
            journal: JournalEntry {
                seq: 0,
                zone_id: zone.id,
                zone_name: zone.name.clone(),
                serial_before: zone.serial,
                serial_after: after.serial,
                removed,
                added,
                zone_after: Some(after.clone()),
                principal: actor.principal.clone(),
                source: actor.source.clone(),
                at: now,
                key_transitions,
            },
            claim,
            keys,
        };
        let seq = self.store.commit(&commit).await.map_err(|e| match e {
            // Only a restore can find its name taken: by a live zone of the
            // same organisation (the row's unique index) or another's claim.
            StoreError::Duplicate(_) | StoreError::NameTaken(_) if claim != NameClaim::Keep => {
                CoreError::conflict(
                    Some("name"),
                    format!(
                        "another zone named {} exists now; delete it before restoring this one",
                        zone.name
                    ),
                )
            }
            StoreError::Duplicate(what) => {
                CoreError::conflict(None, format!("{what} already exists"))
            }
            other => zone_name_or_quota_error(other),
        })?;
        let mut entry = commit.journal;
        entry.seq = seq;
        let entry = self.publish_local(entry).await;
        Ok(CommitOutcome {
            zone: after,
            changed: true,
            serial_before: zone.serial,
            serial_after: entry.serial_after,
            entry: Some(entry),
            warnings: plan.warnings,
        })
    }

    /// Records per zone, before a change that adds `growth` records. Only
    /// organisations with a quota pay for the count.
    async fn check_record_quota(&self, zone: &Zone, growth: u64) -> Result<(), CoreError> {
        let Some(org) = self.store.organisation(zone.org_id).await? else {
            return Ok(());
        };
        let Some(max) = org.max_records_per_zone else {
            return Ok(());
        };
        let count = self.store.record_count(zone.id).await? + growth;
        if count > u64::from(max) {
            return Err(CoreError::Quota {
                field: "records".into(),
                message: format!(
                    "organisation '{}' allows at most {max} records per zone; this change would make {count}",
                    org.slug
                ),
            });
        }
        Ok(())
    }
}
