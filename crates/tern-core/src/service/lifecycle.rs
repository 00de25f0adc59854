//! Zone lifecycle: creating a zone (its row, SOA and default apex NS set,
//! the records quota; the zone quota and the name's claim are decided in the
//! store's creating transaction), soft and hard deletion, and restore.

use std::sync::Arc;

use uuid::Uuid;

use super::checks::{check_settings, check_ttl, check_zone_name};
use super::{Actor, Change, ChangeSet, CommitOutcome, ServiceConfig, ZoneService, ZoneUpdate};
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
    pub dnssec_enabled: bool,
    /// Not a status the caller picks: the service decides it from its
    /// policy (`ServiceConfig::require_zone_validation`); only an operator's
    /// call (`NewZone::operator`) may skip validation.
    skip_validation: bool,
}

impl NewZone {
    /// A zone of the kind its name implies, with server defaults: active,
    /// or pending validation when the server requires it.
    pub fn new(name: Name, org_id: Uuid) -> NewZone {
        NewZone {
            kind: ZoneKind::for_name(&name),
            name,
            org_id,
            project_id: None,
            default_ttl: None,
            description: None,
            settings: serde_json::json!({}),
            dnssec_enabled: false,
            skip_validation: false,
        }
    }

    /// A zone an operator creates from the command line (`tern zone
    /// import`): active at once, whatever the server's validation policy,
    /// since whoever runs the CLI already controls the server.
    pub fn operator(name: Name, org_id: Uuid) -> NewZone {
        NewZone {
            skip_validation: true,
            ..NewZone::new(name, org_id)
        }
    }

    /// The status the zone starts with under `config`.
    fn initial_status(&self, config: &ServiceConfig) -> ZoneStatus {
        if config.require_zone_validation && !self.skip_validation {
            ZoneStatus::PendingValidation
        } else {
            ZoneStatus::Active
        }
    }
}

impl ZoneService {
    /// Creates the zone; one created signed (`dnssec_enabled`) is inserted
    /// unsigned and then signed by a second commit, so that the signer sees
    /// signing turned on (keys made, every RRset signed) exactly as when an
    /// existing zone is enabled — every face gets the same signed zone.
    pub async fn create_zone(&self, new: NewZone, actor: &Actor) -> Result<Zone, CoreError> {
        let sign = new.dnssec_enabled;
        if sign {
            // Refused before anything exists: a zone asked for signed must
            // not be left behind unsigned.
            if self.signer().is_none() {
                return Err(CoreError::Unavailable {
                    message: format!(
                        "zone {} cannot be created signed: this server has no DNSSEC signer (no key-encryption key is configured); nothing was created",
                        new.name
                    ),
                });
            }
            crate::signing::DnssecSettings::from_settings(&new.settings)?.validate()?;
        }
        let (mut zone, records) = self.new_zone_row(new).await?;
        zone.dnssec_enabled = false;
        let (zone, _) = self.insert_zone(zone, records, actor).await?;
        if !sign {
            return Ok(zone);
        }
        let enable = ZoneUpdate {
            dnssec_enabled: Some(true),
            ..ZoneUpdate::default()
        };
        match self.apply_zone_update(zone.id, enable, actor).await {
            Ok(outcome) => Ok(outcome.zone),
            Err(e) => {
                // The request fails as a whole, so the zone goes again.
                if let Err(undo) = self.delete_zone(zone.id, true, actor).await {
                    tracing::error!(zone = %zone.name, error = %undo, "removing a zone whose signing failed");
                }
                Err(e)
            }
        }
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
        // An early answer (before a file is parsed, and for dry runs); the
        // store's claim on the name, taken in the creating transaction, is
        // what decides a race.
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
            status: new.initial_status(&self.config),
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

    /// The organisation's records-per-zone quota for a new zone of
    /// `records` records. (Zones per organisation are counted by the store,
    /// inside the creating transaction: see `Store::create_zone`.)
    async fn check_new_zone_records(&self, zone: &Zone, records: usize) -> Result<(), CoreError> {
        let Some(org) = self.store.organisation(zone.org_id).await? else {
            return Ok(());
        };
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
        self.check_new_zone_records(&zone, records.len()).await?;
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
            key_transitions: Vec::new(),
        };
        let seq = self
            .store
            .create_zone(&zone, &entry, self.config.allow_shared_zone_names)
            .await
            .map_err(|e| match e {
                StoreError::Duplicate(_) => {
                    CoreError::conflict(Some("name"), format!("zone {} already exists", zone.name))
                }
                other => zone_name_or_quota_error(other),
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
        if hard {
            // Not while a writer of this process is planning on the zone.
            let _turn = self.locks.turn(zone_id).await;
            let zone = self.zone(zone_id).await?;
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
                key_transitions: Vec::new(),
            };
            entry.seq = self.store.purge_zone(zone_id, &entry).await?;
            self.publish_local(entry).await;
            return Ok(());
        }
        let zone = self.zone(zone_id).await?;
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
        // Whether another zone holds the name now is decided by the store
        // in the restoring commit (`NameClaim::Take`).
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

/// The store's verdicts on a zone's name and its organisation's zone quota,
/// as the service reports them (`field: "name"`).
pub(super) fn zone_name_or_quota_error(e: StoreError) -> CoreError {
    match e {
        e @ StoreError::NameTaken(_) => CoreError::conflict(Some("name"), e.to_string()),
        e @ StoreError::ZoneQuota { .. } => CoreError::Quota {
            field: "name".into(),
            message: e.to_string(),
        },
        other => other.into(),
    }
}
