//! `WorkingSet`: the records a change set can see, with its changes applied
//! in memory one by one (duplicates, one TTL per RRset, SOA refusal).

use std::collections::{BTreeMap, HashMap, HashSet};

use uuid::Uuid;

use super::checks::{check_settings, check_ttl};
use super::plan::Plan;
use super::{Change, ZoneUpdate};
use crate::error::CoreError;
use crate::model::{Record, Zone, ZoneStatus, new_id, now_millis};
use crate::name::Name;
use crate::rdata::{Rdata, RecordType};

/// The records a change set can see, with the change applied in memory.
pub(super) struct WorkingSet {
    zone: Zone,
    pub(super) original: HashMap<Uuid, Record>,
    pub(super) records: HashMap<Uuid, Record>,
    warnings: Vec<String>,
    now: i64,
    /// The default TTL changes: records that inherit it are in the plan
    /// even when their stored form stays the same.
    pub(super) retime_inheriting: bool,
}

impl WorkingSet {
    pub(super) fn new(zone: Zone, loaded: Vec<Record>) -> WorkingSet {
        let original: HashMap<Uuid, Record> = loaded.into_iter().map(|r| (r.id, r)).collect();
        WorkingSet {
            records: original.clone(),
            original,
            zone,
            warnings: Vec::new(),
            now: now_millis(),
            retime_inheriting: false,
        }
    }

    fn rrset(&self, name: &Name, rtype: RecordType) -> Vec<&Record> {
        let mut set: Vec<&Record> = self
            .records
            .values()
            .filter(|r| &r.name == name && r.rtype == rtype)
            .collect();
        set.sort_by_key(|r| r.id);
        set
    }

    fn find_same(&self, name: &Name, rdata: &Rdata, except: Option<Uuid>) -> Option<&Record> {
        self.records
            .values()
            .find(|r| Some(r.id) != except && &r.name == name && &r.rdata == rdata)
    }

    /// The TTL a record joining an RRset gets, or a conflict naming the RRset's TTL.
    fn joined_ttl(
        &self,
        name: &Name,
        rtype: RecordType,
        ttl: Option<u32>,
        except: Option<Uuid>,
    ) -> Result<Option<u32>, CoreError> {
        let rrset: Vec<&Record> = self
            .rrset(name, rtype)
            .into_iter()
            .filter(|r| Some(r.id) != except)
            .collect();
        let Some(first) = rrset.first() else {
            return Ok(ttl);
        };
        let set_ttl = first.effective_ttl(self.zone.default_ttl);
        match ttl {
            None => Ok(first.ttl),
            // Same effective TTL: share the RRset's form (explicit or inherited)
            // so a later change of the zone default cannot split the set.
            Some(t) if t == set_ttl => Ok(first.ttl),
            Some(t) => Err(CoreError::conflict(
                Some("ttl"),
                format!(
                    "TTL {t} differs from the TTL {set_ttl} of the RRset {name} {rtype}; all records of an RRset share one TTL (RFC 2181 §5.2): change the RRset's TTL instead"
                ),
            )),
        }
    }

    fn check_new(&self, name: &Name, ttl: Option<u32>, rdata: &Rdata) -> Result<(), CoreError> {
        if let Some(ttl) = ttl {
            check_ttl("ttl", ttl)?;
        }
        if rdata.rtype() == RecordType::SOA {
            return Err(CoreError::validation(
                "type",
                "the SOA record is managed by Tern; change the zone's SOA settings instead",
            ));
        }
        if !name.is_subdomain_of(&self.zone.name) {
            return Err(CoreError::validation(
                "name",
                format!("{name} is outside the zone {}", self.zone.name),
            ));
        }
        Ok(())
    }

    fn duplicate_error(name: &Name, rdata: &Rdata) -> CoreError {
        CoreError::conflict(
            None,
            format!("the record {name} {} {rdata} already exists", rdata.rtype()),
        )
    }

    pub(super) fn apply(&mut self, change: &Change) -> Result<(), CoreError> {
        match change {
            Change::Add(new) => {
                self.check_new(&new.name, new.ttl, &new.rdata)?;
                if self.find_same(&new.name, &new.rdata, None).is_some() {
                    return Err(Self::duplicate_error(&new.name, &new.rdata));
                }
                let ttl = self.joined_ttl(&new.name, new.rdata.rtype(), new.ttl, None)?;
                let record = Record {
                    id: new_id(),
                    zone_id: self.zone.id,
                    name: new.name.clone(),
                    rtype: new.rdata.rtype(),
                    ttl,
                    rdata: new.rdata.clone(),
                    description: new.description.clone(),
                    created_at: self.now,
                    updated_at: self.now,
                    version: 1,
                };
                self.records.insert(record.id, record);
            }
            Change::Update { id, update } => {
                let old = self
                    .records
                    .get(id)
                    .cloned()
                    .ok_or_else(|| CoreError::not_found(format!("record {id}")))?;
                let mut new = old.clone();
                if let Some(name) = &update.name {
                    new.name = name.clone();
                }
                if let Some(rdata) = &update.rdata {
                    new.rdata = rdata.clone();
                    new.rtype = rdata.rtype();
                }
                if let Some(description) = &update.description {
                    new.description = description.clone();
                }
                self.check_new(&new.name, update.ttl.flatten(), &new.rdata)?;
                if self.find_same(&new.name, &new.rdata, Some(*id)).is_some() {
                    return Err(Self::duplicate_error(&new.name, &new.rdata));
                }
                let moved = new.name != old.name || new.rtype != old.rtype;
                match update.ttl {
                    Some(ttl) => {
                        new.ttl = ttl;
                        // One TTL per RRset: the new TTL applies to the whole set.
                        let effective = ttl.unwrap_or(self.zone.default_ttl);
                        let rrset = self.rrset(&new.name, new.rtype);
                        let visible = rrset.iter().any(|r| {
                            r.id != *id && r.effective_ttl(self.zone.default_ttl) != effective
                        });
                        let siblings: Vec<Uuid> = rrset
                            .iter()
                            .filter(|r| r.id != *id && r.ttl != ttl)
                            .map(|r| r.id)
                            .collect();
                        if visible {
                            self.warnings.push(format!(
                                "the TTL of the RRset {} {} is now {effective} for all {} of its records",
                                new.name,
                                new.rtype,
                                siblings.len() + 1
                            ));
                        }
                        for sid in siblings {
                            if let Some(s) = self.records.get_mut(&sid) {
                                s.ttl = ttl;
                                s.updated_at = self.now;
                                s.version += 1;
                            }
                        }
                    }
                    None if moved => {
                        new.ttl = self
                            .joined_ttl(&new.name, new.rtype, None, Some(*id))?
                            .or(old.ttl);
                    }
                    None => {}
                }
                if new != old {
                    new.updated_at = self.now;
                    new.version = old.version + 1;
                }
                self.records.insert(*id, new);
            }
            Change::Delete { id } => {
                if self.records.remove(id).is_none() {
                    return Err(CoreError::not_found(format!("record {id}")));
                }
            }
            Change::ReplaceRrset {
                name,
                rtype,
                ttl,
                records,
            } => {
                for (rdata, _) in records {
                    if rdata.rtype() != *rtype {
                        return Err(CoreError::validation(
                            "records",
                            format!(
                                "a {} record cannot be part of the {name} {rtype} RRset",
                                rdata.rtype()
                            ),
                        ));
                    }
                    self.check_new(name, *ttl, rdata)?;
                }
                let mut seen = HashSet::new();
                for (rdata, _) in records {
                    if !seen.insert(rdata.to_string()) {
                        return Err(CoreError::validation(
                            "records",
                            format!("{name} {rtype} {rdata} is listed twice"),
                        ));
                    }
                }
                let existing: BTreeMap<String, Record> = self
                    .rrset(name, *rtype)
                    .into_iter()
                    .map(|r| (r.rdata.to_string(), r.clone()))
                    .collect();
                let set_ttl = match ttl {
                    Some(t) => Some(*t),
                    None => existing.values().next().and_then(|r| r.ttl),
                };
                for old in existing.values() {
                    self.records.remove(&old.id);
                }
                for (rdata, description) in records {
                    let record = match existing.get(&rdata.to_string()) {
                        Some(old) => {
                            let mut kept = old.clone();
                            kept.ttl = set_ttl;
                            if description.is_some() {
                                kept.description = description.clone();
                            }
                            if &kept != old {
                                kept.updated_at = self.now;
                                kept.version += 1;
                            }
                            kept
                        }
                        None => Record {
                            id: new_id(),
                            zone_id: self.zone.id,
                            name: name.clone(),
                            rtype: *rtype,
                            ttl: set_ttl,
                            rdata: rdata.clone(),
                            description: description.clone(),
                            created_at: self.now,
                            updated_at: self.now,
                            version: 1,
                        },
                    };
                    self.records.insert(record.id, record);
                }
            }
            Change::DeleteRrset { name, rtype } => {
                let ids: Vec<Uuid> = self.rrset(name, *rtype).iter().map(|r| r.id).collect();
                if ids.is_empty() {
                    return Err(CoreError::not_found(format!("RRset {name} {rtype}")));
                }
                for id in ids {
                    self.records.remove(&id);
                }
            }
            Change::Zone(update) => self.apply_zone_update(update)?,
        }
        Ok(())
    }

    fn apply_zone_update(&mut self, update: &ZoneUpdate) -> Result<(), CoreError> {
        let zone = &mut self.zone;
        if let Some(ttl) = update.default_ttl {
            check_ttl("default_ttl", ttl)?;
            zone.default_ttl = ttl;
        }
        if let Some(description) = &update.description {
            zone.description = description.clone();
        }
        if let Some(settings) = &update.settings {
            check_settings(settings)?;
            // A settings object that leaves out the signing settings keeps
            // them: they change through the DNSSEC calls, whatever the face.
            // The key manager's own state in them is not any face's to write.
            let key = crate::signing::DnssecSettings::SETTINGS_KEY;
            let kept = zone.settings.get(key).cloned();
            let kept_unsigning = kept.as_ref().and_then(|d| d.get("unsigning")).cloned();
            zone.settings = settings.clone();
            if let Some(map) = zone.settings.as_object_mut() {
                match map.get_mut(key).and_then(|v| v.as_object_mut()) {
                    Some(dnssec) => {
                        match kept_unsigning {
                            Some(unsigning) => dnssec.insert("unsigning".into(), unsigning),
                            None => dnssec.remove("unsigning"),
                        };
                    }
                    None => {
                        if let Some(kept) = kept {
                            map.insert(key.to_string(), kept);
                        }
                    }
                }
            }
        }
        if let Some(soa) = &update.soa {
            check_ttl("soa.ttl", soa.ttl)?;
            zone.soa = soa.clone();
        }
        if let Some(status) = update.status
            && status != zone.status
        {
            if status == ZoneStatus::Deleted {
                zone.prior_status = Some(zone.status);
                zone.deleted_at = Some(self.now);
            } else if zone.status == ZoneStatus::Deleted {
                zone.prior_status = None;
                zone.deleted_at = None;
            }
            zone.status = status;
        }
        if let Some(dnssec) = update.dnssec_enabled {
            self.set_dnssec(dnssec, update.dnssec_unsign_now)?;
        }
        Ok(())
    }

    /// Signing on or off. Off goes insecure safely (RFC 8078 §4): the zone
    /// stays signed with CDS/CDNSKEY asking the parent to delete its DS,
    /// and the key manager unsigns it once that DS is gone.
    fn set_dnssec(&mut self, enabled: bool, now: bool) -> Result<(), CoreError> {
        use crate::signing::{DnssecSettings, Unsigning};
        let zone = &mut self.zone;
        let mut settings = DnssecSettings::of(zone)?;
        let unsigning = if enabled || !zone.dnssec_enabled || now {
            zone.dnssec_enabled = enabled;
            None
        } else {
            Some(settings.unsigning.clone().unwrap_or(Unsigning {
                requested_at: self.now,
                ds_gone_at: None,
            }))
        };
        if settings.unsigning != unsigning {
            settings.unsigning = unsigning;
            zone.settings = super::keys::with_dnssec_settings(&zone.settings, &settings)?;
        }
        Ok(())
    }

    pub(super) fn changed_ids(&self) -> HashSet<Uuid> {
        self.records
            .values()
            .filter(|r| self.original.get(&r.id) != Some(*r))
            .map(|r| r.id)
            .collect()
    }

    pub(super) fn into_plan(self) -> Plan {
        let mut added = Vec::new();
        let mut removed = Vec::new();
        for (id, old) in &self.original {
            match self.records.get(id) {
                Some(new) if new == old && !(self.retime_inheriting && new.ttl.is_none()) => {}
                Some(new) => {
                    removed.push(old.clone());
                    added.push(new.clone());
                }
                None => removed.push(old.clone()),
            }
        }
        for (id, new) in &self.records {
            if !self.original.contains_key(id) {
                added.push(new.clone());
            }
        }
        added.sort_by(|a, b| {
            a.name
                .canonical_cmp(&b.name)
                .then(a.rtype.cmp(&b.rtype))
                .then(a.id.cmp(&b.id))
        });
        removed.sort_by(|a, b| {
            a.name
                .canonical_cmp(&b.name)
                .then(a.rtype.cmp(&b.rtype))
                .then(a.id.cmp(&b.id))
        });
        Plan {
            zone: self.zone,
            added,
            removed,
            warnings: self.warnings,
            serial: None,
            resign: false,
            keys: Vec::new(),
            transitions: Vec::new(),
        }
    }
}
