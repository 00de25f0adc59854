//! Planning a change set: load the neighbourhood of the names it touches,
//! apply it in memory (`WorkingSet`) and check the zone rules there, giving
//! the records to add and remove.

use std::collections::HashSet;

use uuid::Uuid;

use super::working_set::WorkingSet;
use super::{Change, ZoneService, ZoneUpdate};
use crate::error::CoreError;
use crate::model::{Record, Zone, ZoneStatus};
use crate::name::Name;
use crate::rdata::{Rdata, RecordType};
use crate::rules;
use crate::signing::is_signer_owned;

pub(super) struct Plan {
    pub(super) zone: Zone,
    pub(super) added: Vec<Record>,
    pub(super) removed: Vec<Record>,
    pub(super) warnings: Vec<String>,
    /// A serial chosen by the caller (imports); otherwise the next one.
    pub(super) serial: Option<u32>,
    /// Commit even without a change of its own: the signer has signatures
    /// to remake, or keys move (`maintain_signing`).
    pub(super) resign: bool,
    /// DNSSEC keys the commit creates or moves, and why.
    pub(super) keys: Vec<crate::dnssec_key::DnssecKey>,
    pub(super) transitions: Vec<crate::dnssec_key::KeyTransition>,
}

impl Plan {
    /// A plan that changes only what the signer or the key manager
    /// brings.
    pub(super) fn resign(zone: Zone) -> Plan {
        Plan {
            zone,
            added: Vec::new(),
            removed: Vec::new(),
            warnings: Vec::new(),
            serial: None,
            resign: true,
            keys: Vec::new(),
            transitions: Vec::new(),
        }
    }
}

impl ZoneService {
    pub(super) async fn plan(&self, zone: &Zone, changes: &[Change]) -> Result<Plan, CoreError> {
        if zone.status == ZoneStatus::Deleted
            && changes.iter().any(|c| {
                !matches!(
                    c,
                    Change::Zone(ZoneUpdate {
                        status: Some(_),
                        ..
                    })
                )
            })
        {
            return Err(CoreError::conflict(
                None,
                format!("zone {} is deleted; restore it first", zone.name),
            ));
        }
        refuse_signer_types(changes)?;
        // Names the change touches, and whether NS records move there (which
        // makes the records below it part of the check).
        let ids: Vec<Uuid> = changes
            .iter()
            .filter_map(|c| match c {
                Change::Update { id, .. } | Change::Delete { id } => Some(*id),
                _ => None,
            })
            .collect();
        let by_id = self.store.records_by_id(zone.id, &ids).await?;
        let mut touched: HashSet<Name> = HashSet::new();
        let mut ns_touched: HashSet<Name> = HashSet::new();
        for change in changes {
            let (name, rtype) = match change {
                Change::Add(r) => (Some(r.name.clone()), Some(r.rdata.rtype())),
                Change::ReplaceRrset { name, rtype, .. } | Change::DeleteRrset { name, rtype } => {
                    (Some(name.clone()), Some(*rtype))
                }
                Change::Update { update, .. } => {
                    (update.name.clone(), update.rdata.as_ref().map(Rdata::rtype))
                }
                Change::Delete { .. } | Change::Zone(_) => (None, None),
            };
            if let Some(name) = name {
                if rtype == Some(RecordType::NS) {
                    ns_touched.insert(name.clone());
                }
                touched.insert(name);
            }
        }
        for r in &by_id {
            if r.rtype == RecordType::NS {
                ns_touched.insert(r.name.clone());
            }
            touched.insert(r.name.clone());
        }
        let mut load: Vec<Name> = Vec::new();
        let mut seen: HashSet<String> = HashSet::new();
        for name in &touched {
            if seen.insert(name.as_str().to_string()) {
                load.push(name.clone());
            }
            if name.is_subdomain_of(&zone.name) {
                for ancestor in name.ancestor_strs() {
                    if seen.insert(ancestor.to_string())
                        && let Ok(n) = Name::parse_absolute(ancestor)
                    {
                        load.push(n);
                    }
                    if ancestor == zone.name.as_str() {
                        break;
                    }
                }
            }
        }
        let mut loaded = self.store.records_at(zone.id, &load).await?;
        let mut check_names = touched.clone();
        for name in ns_touched.iter().filter(|n| **n != zone.name) {
            let below = self.store.records_below(zone.id, name).await?;
            check_names.extend(below.iter().map(|r| r.name.clone()));
            loaded.extend(below);
        }
        loaded.extend(by_id);
        // A new default TTL changes what every inheriting record is served
        // with: the entry lists them (in-place updates), so the journal alone
        // tells a secondary what changed (IXFR).
        let retime = changes.iter().any(|c| {
            matches!(c, Change::Zone(ZoneUpdate { default_ttl: Some(ttl), .. }) if *ttl != zone.default_ttl)
        });
        if retime {
            loaded.extend(
                self.store
                    .records(zone.id)
                    .await?
                    .into_iter()
                    .filter(|r| r.ttl.is_none()),
            );
        }
        let mut ws = WorkingSet::new(zone.clone(), loaded);
        ws.retime_inheriting = retime;
        for (position, change) in changes.iter().enumerate() {
            ws.apply(change)
                .map_err(|e| with_position(e, position, changes.len()))?;
        }
        // Names the change moved records to are checked too.
        for r in ws.records.values() {
            if !ws.original.contains_key(&r.id) || ws.original.get(&r.id) != Some(r) {
                check_names.insert(r.name.clone());
            }
        }
        let refs: Vec<&Record> = ws.records.values().collect();
        let changed_ids: HashSet<Uuid> = ws.changed_ids();
        let violations: Vec<rules::Violation> = rules::check(&zone.name, &refs, Some(&check_names))
            .into_iter()
            .filter(|v| changed_ids.contains(&v.record_id) || touched.contains(&v.name))
            .collect();
        if !violations.is_empty() {
            return Err(CoreError::Rules(violations));
        }
        {
            let apex_ns = ws
                .records
                .values()
                .filter(|r| r.name == zone.name && r.rtype == RecordType::NS)
                .count();
            let had_apex_ns = ws
                .original
                .values()
                .any(|r| r.name == zone.name && r.rtype == RecordType::NS);
            if apex_ns == 0 && had_apex_ns {
                return Err(CoreError::validation(
                    "records",
                    format!("the apex of {} needs at least one NS record", zone.name),
                ));
            }
        }
        Ok(ws.into_plan())
    }
}

/// DNSSEC records are the signer's alone: whatever face or form (a
/// mnemonic is refused by the parsers already; `TYPE46` and generic RDATA
/// are not), no change may add, replace or delete them.
fn refuse_signer_types(changes: &[Change]) -> Result<(), CoreError> {
    for (position, change) in changes.iter().enumerate() {
        let rtype = match change {
            Change::Add(r) => Some(r.rdata.rtype()),
            Change::ReplaceRrset { rtype, .. } | Change::DeleteRrset { rtype, .. } => Some(*rtype),
            Change::Update { update, .. } => update.rdata.as_ref().map(Rdata::rtype),
            Change::Delete { .. } | Change::Zone(_) => None,
        };
        if let Some(rtype) = rtype.filter(|t| is_signer_owned(*t)) {
            return Err(with_position(
                CoreError::validation(
                    "type",
                    format!("record type {rtype} is DNSSEC data that Tern generates itself"),
                ),
                position,
                changes.len(),
            ));
        }
    }
    Ok(())
}

/// Tags a per-change error with its position in a multi-change set, so a
/// batch caller can tell which operation failed.
fn with_position(error: CoreError, position: usize, total: usize) -> CoreError {
    if total <= 1 {
        return error;
    }
    match error {
        CoreError::Validation { field, message } => CoreError::Validation {
            field: format!("changes[{position}].{field}"),
            message,
        },
        CoreError::Conflict { field, message } => CoreError::Conflict {
            field: Some(format!(
                "changes[{position}]{}",
                field.map(|f| format!(".{f}")).unwrap_or_default()
            )),
            message,
        },
        CoreError::NotFound { what } => CoreError::NotFound {
            what: format!("{what} (changes[{position}])"),
        },
        other => other,
    }
}
