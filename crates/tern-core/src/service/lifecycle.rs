//! Zone lifecycle: creating a zone (its row, SOA and default apex NS set,
//! the organisation's zone quota), soft and hard deletion, and restore.

use std::sync::Arc;

use uuid::Uuid;

use super::checks::{check_settings, check_ttl, check_zone_name};
use super::{Actor, Change, ChangeSet, CommitOutcome, ZoneService, ZoneUpdate};
use crate::error::CoreError;
use crate::model::{
    JournalEntry, Record, SoaSettings, Zone, ZoneKind, ZoneStatus, new_id, now_millis,
};
use crate::name::Name;
use crate::rdata::{Rdata, RecordType};
use crate::serial::{next_serial, now_unix};
use crate::store::{StoreError, ZoneFilter};

/// A zone to create. `NewZone::new` gives the defaults a zone created from
/// nothing but its name gets.
#[derive(Debug, Clone)]
pub struct NewZone {
    pub name: Name,
    pub kind: ZoneKind,
    pub org_id: Uuid,
    pub project_id: Option<Uuid>,
    pub default_ttl: Option<u32>,
    pub description: Option<String>,
    pub settings: serde_json::Value,
    pub status: ZoneStatus,
    pub dnssec_enabled: bool,
}

impl NewZone {
    /// An active zone of the kind its name implies, with server defaults.
    pub fn new(name: Name, org_id: Uuid) -> NewZone {
        NewZone {
            kind: ZoneKind::for_name(&name),
            name,
            org_id,
            project_id: None,
            default_ttl: None,
            description: None,
            settings: serde_json::json!({}),
            status: ZoneStatus::Active,
            dnssec_enabled: false,
        }
    }
}

impl ZoneService {
    pub async fn create_zone(&self, new: NewZone, actor: &Actor) -> Result<Zone, CoreError> {
        let (zone, records) = self.new_zone_row(new).await?;
        Ok(self.insert_zone(zone, records, actor).await?.0)
    }

    /// Checks a new zone's name and builds its row and default apex NS set.
    pub(super) async fn new_zone_row(
        &self,
        new: NewZone,
    ) -> Result<(Zone, Vec<Record>), CoreError> {
        let default_ttl = new.default_ttl.unwrap_or(self.config.default_ttl);
        check_ttl("default_ttl", default_ttl)?;
        check_settings(&new.settings)?;
        check_zone_name(&new.name)?;
        let existing = self
            .store
            .list_zones(&ZoneFilter {
                name: Some(new.name.clone()),
                ..ZoneFilter::default()
            })
            .await?;
        if existing.iter().any(|z| z.org_id == new.org_id) {
            return Err(CoreError::conflict(
                Some("name"),
                format!("zone {} already exists", new.name),
            ));
        }
        if !existing.is_empty() && !self.config.allow_shared_zone_names {
            return Err(CoreError::conflict(
                Some("name"),
                format!(
                    "zone {} is already served for another organisation",
                    new.name
                ),
            ));
        }
        let nameservers = if self.config.nameservers.is_empty() {
            vec![
                Name::parse_zone_file("ns1", &new.name)
                    .map_err(|e| CoreError::validation("name", e.to_string()))?,
            ]
        } else {
            self.config.nameservers.clone()
        };
        let hostmaster = match &self.config.hostmaster {
            Some(h) => h.clone(),
            None => Name::parse_zone_file("hostmaster", &new.name)
                .map_err(|e| CoreError::validation("name", e.to_string()))?,
        };
        let now = now_millis();
        let zone = Zone {
            id: new_id(),
            name: new.name.clone(),
            kind: new.kind,
            status: new.status,
            prior_status: None,
            default_ttl,
            description: new.description,
            settings: new.settings,
            dnssec_enabled: new.dnssec_enabled,
            serial: next_serial(0, now_unix()),
            soa: SoaSettings {
                mname: nameservers[0].clone(),
                rname: hostmaster,
                refresh: self.config.soa_refresh,
                retry: self.config.soa_retry,
                expire: self.config.soa_expire,
                minimum: self.config.soa_minimum,
                ttl: default_ttl,
            },
            org_id: new.org_id,
            project_id: new.project_id,
            created_at: now,
            updated_at: now,
            deleted_at: None,
        };
        let records: Vec<Record> = nameservers
            .iter()
            .map(|ns| Record {
                id: new_id(),
                zone_id: zone.id,
                name: zone.name.clone(),
                rtype: RecordType::NS,
                ttl: None,
                rdata: Rdata::Ns(ns.clone()),
                description: None,
                created_at: now,
                updated_at: now,
                version: 1,
            })
            .collect();
        Ok((zone, records))
    }

    /// The organisation's quotas: zones per organisation when `new_zone`,
    /// records per zone for `records` records.
    async fn check_zone_quota(&self, zone: &Zone, records: usize) -> Result<(), CoreError> {
        let Some(org) = self.store.organisation(zone.org_id).await? else {
            return Ok(());
        };
        if let Some(max) = org.max_zones {
            let zones = self
                .store
                .list_zones(&ZoneFilter {
                    org_id: Some(org.id),
                    ..ZoneFilter::default()
                })
                .await?;
            if zones.len() >= max as usize {
                return Err(CoreError::Quota {
                    field: "name".into(),
                    message: format!(
                        "organisation '{}' may have at most {max} zones (it has {})",
                        org.slug,
                        zones.len()
                    ),
                });
            }
        }
        if let Some(max) = org.max_records_per_zone
            && records > max as usize
        {
            return Err(CoreError::Quota {
                field: "records".into(),
                message: format!(
                    "organisation '{}' allows at most {max} records per zone; this zone would have {records}",
                    org.slug
                ),
            });
        }
        Ok(())
    }

    pub(super) async fn insert_zone(
        &self,
        zone: Zone,
        records: Vec<Record>,
        actor: &Actor,
    ) -> Result<(Zone, Arc<JournalEntry>), CoreError> {
        self.check_zone_quota(&zone, records.len()).await?;
        let now = zone.created_at;
        let mut entry = JournalEntry {
            seq: 0,
            zone_id: zone.id,
            zone_name: zone.name.clone(),
            serial_before: 0,
            serial_after: zone.serial,
            removed: Vec::new(),
            added: records,
            zone_after: Some(zone.clone()),
            principal: actor.principal.clone(),
            source: actor.source.clone(),
            at: now,
        };
        let seq = self
            .store
            .create_zone(&zone, &entry)
            .await
            .map_err(|e| match e {
                StoreError::Duplicate(_) => {
                    CoreError::conflict(Some("name"), format!("zone {} already exists", zone.name))
                }
                other => other.into(),
            })?;
        entry.seq = seq;
        let entry = self.publish_local(entry).await;
        Ok((zone, entry))
    }

    /// Soft delete (recoverable) or, with `hard`, permanent removal.
    pub async fn delete_zone(
        &self,
        zone_id: Uuid,
        hard: bool,
        actor: &Actor,
    ) -> Result<(), CoreError> {
        let zone = self.zone(zone_id).await?;
        if hard {
            let now = now_millis();
            let mut gone = zone.clone();
            gone.status = ZoneStatus::Deleted;
            gone.deleted_at = Some(now);
            let mut entry = JournalEntry {
                seq: 0,
                zone_id,
                zone_name: zone.name.clone(),
                serial_before: zone.serial,
                serial_after: zone.serial,
                removed: Vec::new(),
                added: Vec::new(),
                zone_after: Some(gone),
                principal: actor.principal.clone(),
                source: actor.source.clone(),
                at: now,
            };
            entry.seq = self.store.purge_zone(zone_id, &entry).await?;
            self.publish_local(entry).await;
            return Ok(());
        }
        if zone.status == ZoneStatus::Deleted {
            return Ok(());
        }
        self.apply_zone_update(
            zone_id,
            ZoneUpdate {
                status: Some(ZoneStatus::Deleted),
                ..ZoneUpdate::default()
            },
            actor,
        )
        .await
        .map(|_| ())
    }

    /// Brings a soft-deleted zone back with the status it had before.
    pub async fn restore_zone(&self, zone_id: Uuid, actor: &Actor) -> Result<Zone, CoreError> {
        let zone = self.zone(zone_id).await?;
        if zone.status != ZoneStatus::Deleted {
            return Err(CoreError::conflict(
                Some("status"),
                format!("zone {} is not deleted", zone.name),
            ));
        }
        let others = self
            .store
            .list_zones(&ZoneFilter {
                name: Some(zone.name.clone()),
                ..ZoneFilter::default()
            })
            .await?;
        if others.iter().any(|z| z.id != zone.id) {
            return Err(CoreError::conflict(
                Some("name"),
                format!(
                    "another zone named {} exists now; delete it before restoring this one",
                    zone.name
                ),
            ));
        }
        let status = zone.prior_status.unwrap_or(ZoneStatus::Active);
        let outcome = self
            .apply_zone_update(
                zone_id,
                ZoneUpdate {
                    status: Some(status),
                    ..ZoneUpdate::default()
                },
                actor,
            )
            .await?;
        Ok(outcome.zone)
    }

    pub async fn apply_zone_update(
        &self,
        zone_id: Uuid,
        update: ZoneUpdate,
        actor: &Actor,
    ) -> Result<CommitOutcome, CoreError> {
        self.apply(zone_id, ChangeSet::new(vec![Change::Zone(update)]), actor)
            .await
    }
}
