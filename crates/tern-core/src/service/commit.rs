//! Applying a change set: plan it on the zone as read, commit the plan in
//! one store transaction guarded by the serial it was planned on, retry a
//! plain write that lost a race, then deliver the journal entry.

use std::collections::HashSet;

use uuid::Uuid;

use super::plan::Plan;
use super::{Actor, ChangeSet, CommitOutcome, ZoneService};
use crate::error::CoreError;
use crate::model::{JournalEntry, Zone, now_millis};
use crate::serial::{next_serial, now_unix};
use crate::store::{Commit, StoreError};

/// How often a change without an expected serial is retried when a
/// concurrent writer commits first.
const COMMIT_ATTEMPTS: usize = 8;

impl ZoneService {
    /// Applies a change set atomically. Without an expected serial, a commit
    /// that loses a race with another writer is re-validated and retried.
    pub async fn apply(
        &self,
        zone_id: Uuid,
        changes: ChangeSet,
        actor: &Actor,
    ) -> Result<CommitOutcome, CoreError> {
        self.apply_to(zone_id, None, changes, actor).await
    }

    /// `apply`, planned first on `zone` as the caller just read it (one read
    /// less); a zone that changed meanwhile is read again, as in `apply`.
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
        let mut last_mismatch = None;
        for _ in 0..COMMIT_ATTEMPTS {
            let zone = match seen.take() {
                Some(zone) => zone,
                None => self.zone(zone_id).await?,
            };
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
                Err(CoreError::Store(StoreError::SerialMismatch { expected, current })) => {
                    if changes.expected_serial.is_some() {
                        return Err(CoreError::SerialMismatch { expected, current });
                    }
                    last_mismatch = Some(CoreError::SerialMismatch { expected, current });
                }
                other => return other,
            }
        }
        Err(last_mismatch.unwrap_or_else(|| {
            CoreError::conflict(None, "the zone is changing too fast; try again")
        }))
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
        if plan.added.is_empty() && plan.removed.is_empty() && !metadata_changed {
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
                removed: plan.removed,
                added: plan.added,
                zone_after: Some(after.clone()),
                principal: actor.principal.clone(),
                source: actor.source.clone(),
                at: now,
            },
        };
        let seq = self.store.commit(&commit).await.map_err(|e| match e {
            StoreError::Duplicate(what) => {
                CoreError::conflict(None, format!("{what} already exists"))
            }
            other => other.into(),
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
