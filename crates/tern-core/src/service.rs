//! `ZoneService`, the only writer of zone data. Every mutation becomes a
//! `ChangeSet`, is validated against the zone rules, and is committed by the
//! store in one transaction with its journal entry and the next serial; then
//! listeners hear `ZoneChanged`, local commits and (via the follower) remote
//! ones alike.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::io::BufRead;
use std::sync::{Arc, Mutex};

use tokio::sync::broadcast;
use uuid::Uuid;

use crate::error::CoreError;
use crate::model::{
    ChangeSource, JournalEntry, Principal, Record, SoaSettings, Zone, ZoneKind, ZoneStatus, new_id,
    now_millis,
};
use crate::name::Name;
use crate::rdata::{Rdata, RecordType};
use crate::rules;
use crate::serial::{import_serial, next_serial, now_unix};
use crate::store::{Commit, Store, StoreError, ZoneFilter};
use crate::zonefile::{FileProblem, FileRecord, ZoneFileReader};

/// RFC 2181 §8: TTLs are 31-bit.
pub const MAX_TTL: u32 = (1 << 31) - 1;
/// How often a change without an expected serial is retried when a
/// concurrent writer commits first.
const COMMIT_ATTEMPTS: usize = 8;

/// Server-wide defaults for new zones.
#[derive(Debug, Clone)]
pub struct ServiceConfig {
    /// The NS set and SOA MNAME of new zones; empty means `ns1.<zone>`.
    pub nameservers: Vec<Name>,
    /// SOA RNAME of new zones; `None` means `hostmaster.<zone>`.
    pub hostmaster: Option<Name>,
    pub default_ttl: u32,
    pub soa_refresh: u32,
    pub soa_retry: u32,
    pub soa_expire: u32,
    pub soa_minimum: u32,
    /// Whether two organisations may hold zones of the same name.
    pub allow_shared_zone_names: bool,
}

impl Default for ServiceConfig {
    fn default() -> Self {
        // SOA timers as the ScaiDNS document shows them.
        ServiceConfig {
            nameservers: Vec::new(),
            hostmaster: None,
            default_ttl: 3600,
            soa_refresh: 3600,
            soa_retry: 600,
            soa_expire: 604_800,
            soa_minimum: 600,
            allow_shared_zone_names: false,
        }
    }
}

/// Who is acting and through which face, for the journal.
#[derive(Debug, Clone)]
pub struct Actor {
    pub principal: Principal,
    pub source: ChangeSource,
}

impl Actor {
    pub fn new(principal: impl Into<String>, source: ChangeSource) -> Actor {
        Actor {
            principal: Principal(principal.into()),
            source,
        }
    }
}

/// A committed change, as listeners see it.
#[derive(Debug, Clone)]
pub struct ZoneChanged {
    pub entry: Arc<JournalEntry>,
}

/// Called synchronously before a commit returns to its caller, so that what a
/// listener maintains (the nameserver's snapshots) already reflects the change
/// when the writer hears "done".
pub trait CommitListener: Send + Sync {
    fn on_commit(&self, change: &ZoneChanged);
}

#[derive(Debug, Clone)]
pub struct NewRecord {
    pub name: Name,
    pub ttl: Option<u32>,
    pub rdata: Rdata,
    pub description: Option<String>,
}

#[derive(Debug, Clone, Default)]
pub struct RecordUpdate {
    pub name: Option<Name>,
    /// `Some(None)` resets the TTL to the zone default.
    pub ttl: Option<Option<u32>>,
    pub rdata: Option<Rdata>,
    pub description: Option<Option<String>>,
}

#[derive(Debug, Clone, Default)]
pub struct ZoneUpdate {
    pub default_ttl: Option<u32>,
    pub description: Option<Option<String>>,
    pub settings: Option<serde_json::Value>,
    pub soa: Option<SoaSettings>,
    pub status: Option<ZoneStatus>,
    pub dnssec_enabled: Option<bool>,
}

#[derive(Debug, Clone)]
pub enum Change {
    Add(NewRecord),
    Update {
        id: Uuid,
        update: RecordUpdate,
    },
    Delete {
        id: Uuid,
    },
    /// Replaces the whole RRset; an empty list deletes it. Records whose RDATA
    /// stays keep their ids.
    ReplaceRrset {
        name: Name,
        rtype: RecordType,
        ttl: Option<u32>,
        records: Vec<(Rdata, Option<String>)>,
    },
    DeleteRrset {
        name: Name,
        rtype: RecordType,
    },
    Zone(ZoneUpdate),
}

/// An ordered list of changes applied all-or-nothing.
#[derive(Debug, Clone, Default)]
pub struct ChangeSet {
    pub changes: Vec<Change>,
    /// Optimistic concurrency: refuse unless the zone is at this serial.
    pub expected_serial: Option<u32>,
}

impl ChangeSet {
    pub fn new(changes: Vec<Change>) -> ChangeSet {
        ChangeSet {
            changes,
            expected_serial: None,
        }
    }
}

#[derive(Debug, Clone)]
pub struct CommitOutcome {
    pub zone: Zone,
    /// False when the change set changed nothing (then nothing was committed).
    pub changed: bool,
    pub serial_before: u32,
    pub serial_after: u32,
    /// The committed journal entry (shared with listeners, not copied);
    /// `None` when nothing changed.
    pub entry: Option<Arc<JournalEntry>>,
    /// Things the caller should tell the user (e.g. an RRset's TTL changed).
    pub warnings: Vec<String>,
}

impl CommitOutcome {
    pub fn added(&self) -> &[Record] {
        self.entry
            .as_ref()
            .map(|e| e.added.as_slice())
            .unwrap_or_default()
    }

    pub fn removed(&self) -> &[Record] {
        self.entry
            .as_ref()
            .map(|e| e.removed.as_slice())
            .unwrap_or_default()
    }

    pub fn seq(&self) -> Option<i64> {
        self.entry.as_ref().map(|e| e.seq)
    }
}

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

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImportMode {
    /// Add what the file has, keep what it lacks.
    Merge,
    /// Make the zone exactly what the file describes.
    Replace,
}

#[derive(Debug, Clone)]
pub struct ImportOptions {
    pub mode: ImportMode,
    pub skip_invalid: bool,
    pub dry_run: bool,
    /// A dialect policy: only these types are imported, others are skipped
    /// and reported. `None` imports every supported type.
    pub allowed_types: Option<Vec<RecordType>>,
}

impl Default for ImportOptions {
    fn default() -> Self {
        ImportOptions {
            mode: ImportMode::Replace,
            skip_invalid: false,
            dry_run: false,
            allowed_types: None,
        }
    }
}

#[derive(Debug, Clone)]
pub struct ImportReport {
    pub zone: Zone,
    pub records_in_file: usize,
    /// The change: committed (with its `seq`), or for a dry run what would be
    /// committed (`seq` 0).
    pub entry: Arc<JournalEntry>,
    pub unchanged: usize,
    /// Records refused (only with `skip_invalid`) or not imported by policy.
    pub skipped: Vec<FileProblem>,
    pub warnings: Vec<String>,
    pub changed: bool,
    pub serial_before: u32,
    pub serial_after: u32,
}

impl ImportReport {
    pub fn added(&self) -> &[Record] {
        &self.entry.added
    }

    pub fn removed(&self) -> &[Record] {
        &self.entry.removed
    }

    /// Records present before and after with other content (same id).
    pub fn updated_count(&self) -> usize {
        let removed: HashSet<Uuid> = self.entry.removed.iter().map(|r| r.id).collect();
        self.entry
            .added
            .iter()
            .filter(|r| removed.contains(&r.id))
            .count()
    }
}

pub struct ZoneService {
    store: Arc<dyn Store>,
    config: ServiceConfig,
    events: broadcast::Sender<ZoneChanged>,
    listeners: Mutex<Vec<Arc<dyn CommitListener>>>,
    /// Highest journal seq already delivered to listeners, so the journal
    /// follower does not replay local commits.
    delivered: Mutex<Delivered>,
}

#[derive(Default)]
struct Delivered {
    seqs: std::collections::BTreeSet<i64>,
}

impl ZoneService {
    pub fn new(store: Arc<dyn Store>, config: ServiceConfig) -> ZoneService {
        let (events, _) = broadcast::channel(4096);
        ZoneService {
            store,
            config,
            events,
            listeners: Mutex::new(Vec::new()),
            delivered: Mutex::new(Delivered::default()),
        }
    }

    pub fn store(&self) -> &Arc<dyn Store> {
        &self.store
    }

    pub fn config(&self) -> &ServiceConfig {
        &self.config
    }

    pub fn subscribe(&self) -> broadcast::Receiver<ZoneChanged> {
        self.events.subscribe()
    }

    pub fn add_listener(&self, listener: Arc<dyn CommitListener>) {
        if let Ok(mut listeners) = self.listeners.lock() {
            listeners.push(listener);
        }
    }

    /// Delivers a journal entry to listeners unless it was delivered already
    /// (local commits are delivered when they commit; the follower sees them again).
    pub fn publish(&self, entry: JournalEntry) -> Arc<JournalEntry> {
        let entry = Arc::new(entry);
        self.publish_shared(entry.clone());
        entry
    }

    fn publish_shared(&self, entry: Arc<JournalEntry>) {
        {
            let Ok(mut delivered) = self.delivered.lock() else {
                return;
            };
            if !delivered.seqs.insert(entry.seq) {
                return;
            }
            // Keep the set small: seqs far behind the newest cannot come back.
            while delivered.seqs.len() > 100_000 {
                delivered.seqs.pop_first();
            }
        }
        let change = ZoneChanged { entry };
        let listeners: Vec<Arc<dyn CommitListener>> =
            self.listeners.lock().map(|l| l.clone()).unwrap_or_default();
        for listener in listeners {
            listener.on_commit(&change);
        }
        let _ = self.events.send(change);
    }

    /// Whether a journal entry was already delivered (used by followers).
    pub fn was_delivered(&self, seq: i64) -> bool {
        self.delivered
            .lock()
            .map(|d| d.seqs.contains(&seq))
            .unwrap_or(false)
    }

    // ---------------------------------------------------------------- zones

    pub async fn zone(&self, id: Uuid) -> Result<Zone, CoreError> {
        self.store
            .zone(id)
            .await?
            .ok_or_else(|| CoreError::not_found(format!("zone {id}")))
    }

    /// The live (not deleted) zone of that name in an organisation.
    pub async fn zone_by_name(&self, org_id: Option<Uuid>, name: &Name) -> Result<Zone, CoreError> {
        let zones = self
            .store
            .list_zones(&ZoneFilter {
                org_id,
                name: Some(name.clone()),
                ..ZoneFilter::default()
            })
            .await?;
        zones
            .into_iter()
            .next()
            .ok_or_else(|| CoreError::not_found(format!("zone {name}")))
    }

    pub async fn create_zone(&self, new: NewZone, actor: &Actor) -> Result<Zone, CoreError> {
        let (zone, records) = self.new_zone_row(new).await?;
        Ok(self.insert_zone(zone, records, actor).await?.0)
    }

    /// Checks a new zone's name and builds its row and default apex NS set.
    async fn new_zone_row(&self, new: NewZone) -> Result<(Zone, Vec<Record>), CoreError> {
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

    async fn insert_zone(
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
        let entry = self.publish(entry);
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
            self.publish(entry);
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

    // -------------------------------------------------------------- changes

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

    async fn plan(&self, zone: &Zone, changes: &[Change]) -> Result<Plan, CoreError> {
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
        let mut ws = WorkingSet::new(zone.clone(), loaded);
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

    async fn commit_plan(
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
        let entry = self.publish(entry);
        Ok(CommitOutcome {
            zone: after,
            changed: true,
            serial_before: zone.serial,
            serial_after: entry.serial_after,
            entry: Some(entry),
            warnings: plan.warnings,
        })
    }

    // ------------------------------------------------------ import / export

    /// Imports a master file into a zone. Strict by default: any record that
    /// cannot be parsed or breaks a zone rule aborts the import and every such
    /// record is reported with its line.
    pub async fn import<R: BufRead>(
        &self,
        zone_id: Uuid,
        input: R,
        options: &ImportOptions,
        actor: &Actor,
    ) -> Result<ImportReport, CoreError> {
        let zone = self.zone(zone_id).await?;
        if zone.status == ZoneStatus::Deleted {
            return Err(CoreError::conflict(
                None,
                format!("zone {} is deleted; restore it first", zone.name),
            ));
        }
        let existing = self.store.records(zone.id).await?;
        let mut prepared = prepare_import(&zone, existing, input, options)?;
        if !prepared.changed || options.dry_run {
            let entry = prepared.entry(&zone, actor);
            return Ok(prepared.into_report(entry));
        }
        let plan = Plan {
            zone: prepared.after.clone(),
            added: std::mem::take(&mut prepared.added),
            removed: std::mem::take(&mut prepared.removed),
            warnings: Vec::new(),
            serial: Some(prepared.serial_after),
        };
        let before = zone.clone();
        match self.commit_plan(zone, plan, actor).await {
            Ok(outcome) => {
                prepared.after = outcome.zone;
                let entry = match outcome.entry {
                    Some(entry) => entry,
                    None => prepared.entry(&before, actor),
                };
                Ok(prepared.into_report(entry))
            }
            Err(CoreError::Store(StoreError::SerialMismatch { expected, current })) => {
                Err(CoreError::conflict(
                    None,
                    format!(
                        "the zone changed during the import (serial {expected} became {current}); nothing was imported, run it again"
                    ),
                ))
            }
            Err(e) => Err(e),
        }
    }

    /// Creates a zone from a master file in one commit: the zone row, its
    /// SOA settings from the file and every record, or nothing at all.
    pub async fn create_zone_from_file<R: BufRead>(
        &self,
        new: NewZone,
        input: R,
        options: &ImportOptions,
        actor: &Actor,
    ) -> Result<ImportReport, CoreError> {
        let (mut zone, default_ns) = self.new_zone_row(new).await?;
        // No previous serial: the file's serial stands if it is ahead of today's.
        zone.serial = 0;
        let mut prepared = prepare_import(&zone, Vec::new(), input, options)?;
        if !prepared
            .added
            .iter()
            .any(|r| r.name == zone.name && r.rtype == RecordType::NS)
        {
            prepared.warnings.push(format!(
                "the file has no NS records at {}; the server's nameservers were added",
                zone.name
            ));
            prepared.added.extend(default_ns);
        }
        zone.soa = prepared.after.soa.clone();
        zone.serial = prepared.serial_after;
        prepared.changed = true;
        let empty = Zone {
            serial: 0,
            ..zone.clone()
        };
        if options.dry_run {
            prepared.after = zone;
            let entry = prepared.entry(&empty, actor);
            return Ok(prepared.into_report(entry));
        }
        let records = std::mem::take(&mut prepared.added);
        let (zone, entry) = self.insert_zone(zone, records, actor).await?;
        prepared.after = zone;
        Ok(prepared.into_report(entry))
    }

    /// The zone as a canonical BIND master file.
    pub async fn export(&self, zone_id: Uuid) -> Result<String, CoreError> {
        let zone = self.zone(zone_id).await?;
        let records = self.store.records(zone_id).await?;
        let mut out = Vec::with_capacity(records.len() * 48 + 256);
        crate::zonefile::write_zone(&mut out, &zone, &records)
            .map_err(|e| CoreError::Store(StoreError::Backend(e.to_string())))?;
        String::from_utf8(out).map_err(|e| CoreError::Store(StoreError::Corrupt(e.to_string())))
    }
}

/// Reads a zone file against a zone's current records and works out the
/// result: the records to add and remove, what was skipped and why, the SOA
/// settings and the serial. Pure: nothing is written.
fn prepare_import<R: BufRead>(
    zone: &Zone,
    existing: Vec<Record>,
    input: R,
    options: &ImportOptions,
) -> Result<Prepared, CoreError> {
    let mut problems: Vec<FileProblem> = Vec::new();
    let mut skipped: Vec<FileProblem> = Vec::new();
    let mut warnings: Vec<String> = Vec::new();
    let mut file_records: Vec<FileRecord> = Vec::new();
    let mut soa: Option<(SoaSettings, u32)> = None;
    let mut records_in_file = 0usize;
    for item in ZoneFileReader::new(input, zone.name.clone()) {
        let record = match item {
            Ok(r) => r,
            Err(p) => {
                problems.push(p);
                continue;
            }
        };
        records_in_file += 1;
        if let Some(file_soa) = SoaSettings::from_rdata(&record.rdata, record.ttl) {
            if record.name != zone.name {
                problems.push(problem_for(
                    &record,
                    format!("a SOA record belongs at the apex {}", zone.name),
                ));
            } else if soa.is_some() {
                problems.push(problem_for(
                    &record,
                    "the zone file has more than one SOA record".into(),
                ));
            } else {
                soa = Some(file_soa);
            }
            continue;
        }
        if let Some(allowed) = &options.allowed_types
            && !allowed.contains(&record.rdata.rtype())
        {
            skipped.push(problem_for(
                &record,
                format!("{} records are not imported here", record.rdata.rtype()),
            ));
            continue;
        }
        if record.ttl > MAX_TTL {
            problems.push(problem_for(
                &record,
                format!("TTL {} is above the maximum {MAX_TTL}", record.ttl),
            ));
            continue;
        }
        file_records.push(record);
    }

    // Same name/type/RDATA twice in a file is harmless: keep the first.
    let mut duplicate = vec![false; file_records.len()];
    {
        let mut seen: HashMap<(&Name, &Rdata), usize> = HashMap::with_capacity(file_records.len());
        for (i, record) in file_records.iter().enumerate() {
            match seen.entry((&record.name, &record.rdata)) {
                std::collections::hash_map::Entry::Occupied(first) => {
                    warnings.push(format!(
                        "line {}: {} {} duplicates line {}; loaded once",
                        record.line,
                        record.name,
                        record.rdata.rtype(),
                        first.get()
                    ));
                    duplicate[i] = true;
                }
                std::collections::hash_map::Entry::Vacant(slot) => {
                    slot.insert(record.line);
                }
            }
        }
    }
    let unique: Vec<FileRecord> = file_records
        .into_iter()
        .zip(duplicate)
        .filter(|(_, dup)| !dup)
        .map(|(r, _)| r)
        .collect();

    // RFC 2181 §5.2: one TTL per RRset; a file that disagrees gets the lowest.
    let mut ttls: Vec<u32> = Vec::with_capacity(unique.len());
    let mut file_rrset_ttl: HashMap<(Name, RecordType), u32> = HashMap::new();
    {
        let mut rrset_ttl: HashMap<(&Name, RecordType), (u32, u32, usize)> = HashMap::new();
        for r in &unique {
            let e = rrset_ttl
                .entry((&r.name, r.rdata.rtype()))
                .or_insert((r.ttl, r.ttl, r.line));
            e.0 = e.0.min(r.ttl);
            e.1 = e.1.max(r.ttl);
        }
        let mut ttl_warnings: Vec<(usize, String)> = rrset_ttl
            .iter()
            .filter(|(_, (lo, hi, _))| lo != hi)
            .map(|((name, rtype), (lo, hi, line))| {
                (
                    *line,
                    format!("line {line}: RRset {name} {rtype} has TTLs from {lo} to {hi}; loaded with {lo} (RFC 2181 §5.2)"),
                )
            })
            .collect();
        ttl_warnings.sort();
        warnings.extend(ttl_warnings.into_iter().map(|(_, w)| w));
        for r in &unique {
            ttls.push(
                rrset_ttl
                    .get(&(&r.name, r.rdata.rtype()))
                    .map_or(r.ttl, |t| t.0),
            );
        }
        if options.mode == ImportMode::Merge {
            file_rrset_ttl = rrset_ttl
                .into_iter()
                .map(|((name, rtype), (lo, _, _))| ((name.clone(), rtype), lo))
                .collect();
        }
    }

    // Records the file shares with the zone keep their ids.
    let matches: Vec<Option<usize>> = {
        let index: HashMap<(&Name, &Rdata), usize> = existing
            .iter()
            .enumerate()
            .map(|(i, r)| ((&r.name, &r.rdata), i))
            .collect();
        unique
            .iter()
            .map(|r| index.get(&(&r.name, &r.rdata)).copied())
            .collect()
    };
    let mut existing_slots: Vec<Option<Record>> = existing.into_iter().map(Some).collect();
    let now = now_millis();
    // Parallel to `target`: the line each record came from (0 for records
    // already in the zone) and what the import does to it.
    let mut target: Vec<Record> = Vec::with_capacity(unique.len());
    let mut line_of: Vec<usize> = Vec::with_capacity(unique.len());
    let mut fates: Vec<Fate> = Vec::with_capacity(unique.len());
    for ((r, ttl), matched) in unique.into_iter().zip(ttls).zip(matches) {
        let old = matched.and_then(|i| existing_slots[i].take());
        let record = match old {
            Some(old) => {
                let (record, fate) = retimed(old, ttl, zone.default_ttl, now);
                fates.push(fate);
                record
            }
            None => {
                fates.push(Fate::New);
                Record {
                    id: new_id(),
                    zone_id: zone.id,
                    name: r.name,
                    rtype: r.rdata.rtype(),
                    ttl: Some(ttl),
                    rdata: r.rdata,
                    description: None,
                    created_at: now,
                    updated_at: now,
                    version: 1,
                }
            }
        };
        line_of.push(r.line);
        target.push(record);
    }
    // Records of the zone the file does not have: kept by a merge (an RRset
    // the file also has takes the file's TTL), removed by a replace.
    let mut removed: Vec<Record> = Vec::new();
    for old in existing_slots.into_iter().flatten() {
        if options.mode == ImportMode::Replace {
            removed.push(old);
            continue;
        }
        let ttl = file_rrset_ttl
            .get(&(old.name.clone(), old.rtype))
            .copied()
            .unwrap_or(old.effective_ttl(zone.default_ttl));
        let (record, fate) = retimed(old, ttl, zone.default_ttl, now);
        fates.push(fate);
        line_of.push(0);
        target.push(record);
    }
    drop(file_rrset_ttl);
    // Zone rules over the whole result; with skip_invalid the offenders
    // are dropped and the rest checked again (dropping one record can only
    // resolve conflicts, so this settles quickly).
    for _ in 0..4 {
        let refs: Vec<&Record> = target.iter().collect();
        let violations = rules::check(&zone.name, &refs, None);
        if violations.is_empty() {
            break;
        }
        let bad: HashSet<Uuid> = violations.iter().map(|v| v.record_id).collect();
        let index_of: HashMap<Uuid, usize> = target
            .iter()
            .enumerate()
            .filter(|(_, r)| bad.contains(&r.id))
            .map(|(i, r)| (r.id, i))
            .collect();
        for v in violations {
            problems.push(FileProblem {
                line: index_of.get(&v.record_id).map_or(0, |&i| line_of[i]),
                owner: Some(v.name.to_string()),
                rtype: Some(v.rtype.to_string()),
                reason: v.reason,
            });
        }
        if !options.skip_invalid {
            break;
        }
        let keep: Vec<bool> = target.iter().map(|r| !bad.contains(&r.id)).collect();
        target = retain_by(target, &keep);
        line_of = retain_by(line_of, &keep);
        fates = retain_by(fates, &keep);
    }
    problems.sort_by_key(|p| p.line);
    if !problems.is_empty() {
        if !options.skip_invalid {
            return Err(CoreError::Import(problems));
        }
        skipped.extend(problems);
        skipped.sort_by_key(|p| p.line);
    }

    let mut after = zone.clone();
    let file_serial = soa.as_ref().map(|(_, s)| *s);
    if let Some((settings, _)) = soa {
        after.soa = settings;
    }
    let mut added = Vec::new();
    let mut unchanged = 0usize;
    for (record, fate) in target.into_iter().zip(fates) {
        match fate {
            Fate::New => added.push(record),
            Fate::Same => unchanged += 1,
            Fate::Changed(old) => {
                removed.push(*old);
                added.push(record);
            }
        }
    }
    let changed = !added.is_empty() || !removed.is_empty() || after.soa != zone.soa;
    let serial_after = if changed {
        match file_serial {
            Some(s) => import_serial(zone.serial, s, now_unix()),
            None => next_serial(zone.serial, now_unix()),
        }
    } else {
        zone.serial
    };
    after.serial = serial_after;
    Ok(Prepared {
        after,
        records_in_file,
        added,
        removed,
        unchanged,
        skipped,
        warnings,
        changed,
        serial_after,
    })
}

/// What an import does to one record of the resulting zone.
enum Fate {
    New,
    Same,
    /// Updated in place; holds the version it replaces.
    Changed(Box<Record>),
}

/// Gives an existing record the TTL of its RRset in the file.
fn retimed(old: Record, ttl: u32, zone_default: u32, now: i64) -> (Record, Fate) {
    if old.effective_ttl(zone_default) == ttl {
        return (old, Fate::Same);
    }
    let mut new = old.clone();
    new.ttl = Some(ttl);
    new.updated_at = now;
    new.version += 1;
    (new, Fate::Changed(Box::new(old)))
}

fn retain_by<T>(items: Vec<T>, keep: &[bool]) -> Vec<T> {
    items
        .into_iter()
        .zip(keep)
        .filter(|(_, k)| **k)
        .map(|(item, _)| item)
        .collect()
}

/// What an import would do, before it is committed.
struct Prepared {
    after: Zone,
    records_in_file: usize,
    added: Vec<Record>,
    removed: Vec<Record>,
    unchanged: usize,
    skipped: Vec<FileProblem>,
    warnings: Vec<String>,
    changed: bool,
    serial_after: u32,
}

impl Prepared {
    /// The journal entry this import would append (`seq` 0: not committed).
    fn entry(&mut self, before: &Zone, actor: &Actor) -> Arc<JournalEntry> {
        Arc::new(JournalEntry {
            seq: 0,
            zone_id: before.id,
            zone_name: before.name.clone(),
            serial_before: before.serial,
            serial_after: self.serial_after,
            removed: std::mem::take(&mut self.removed),
            added: std::mem::take(&mut self.added),
            zone_after: Some(self.after.clone()),
            principal: actor.principal.clone(),
            source: actor.source.clone(),
            at: now_millis(),
        })
    }

    fn into_report(self, entry: Arc<JournalEntry>) -> ImportReport {
        ImportReport {
            serial_before: entry.serial_before,
            serial_after: self.after.serial,
            zone: self.after,
            records_in_file: self.records_in_file,
            entry,
            unchanged: self.unchanged,
            skipped: self.skipped,
            warnings: self.warnings,
            changed: self.changed,
        }
    }
}

fn problem_for(record: &FileRecord, reason: String) -> FileProblem {
    FileProblem {
        line: record.line,
        owner: Some(record.name.to_string()),
        rtype: Some(record.rdata.rtype().to_string()),
        reason,
    }
}

/// Zone settings are a JSON object; the keys Tern itself reads (transfer
/// ACLs, notify targets) must be well-formed.
fn check_settings(settings: &serde_json::Value) -> Result<(), CoreError> {
    if !settings.is_object() {
        return Err(CoreError::validation("settings", "must be a JSON object"));
    }
    crate::transfer::TransferSettings::from_settings(settings)
        .map(|_| ())
        .map_err(|(field, reason)| CoreError::validation(field, reason))
}

/// Zone names are host names: letters, digits, `-` and `_` per label (and
/// `/` for RFC 2317 reverse zones). A label with spaces or other escaped
/// octets is a valid DNS name but never a zone anyone registered: a typo.
fn check_zone_name(name: &Name) -> Result<(), CoreError> {
    match name
        .as_str()
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '/')))
    {
        Some(bad) => Err(CoreError::validation(
            "name",
            format!(
                "zone names are letters, digits, '-' and '_' (and '/' in RFC 2317 reverse zones); {:?} is not one of them",
                if bad == '\\' {
                    "an escaped octet".to_string()
                } else {
                    bad.to_string()
                }
            ),
        )),
        None => Ok(()),
    }
}

fn check_ttl(field: &str, ttl: u32) -> Result<(), CoreError> {
    if ttl > MAX_TTL {
        return Err(CoreError::validation(
            field,
            format!("TTL {ttl} is above the maximum {MAX_TTL} (RFC 2181 §8)"),
        ));
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

struct Plan {
    zone: Zone,
    added: Vec<Record>,
    removed: Vec<Record>,
    warnings: Vec<String>,
    /// A serial chosen by the caller (imports); otherwise the next one.
    serial: Option<u32>,
}

/// The records a change set can see, with the change applied in memory.
struct WorkingSet {
    zone: Zone,
    original: HashMap<Uuid, Record>,
    records: HashMap<Uuid, Record>,
    warnings: Vec<String>,
    now: i64,
}

impl WorkingSet {
    fn new(zone: Zone, loaded: Vec<Record>) -> WorkingSet {
        let original: HashMap<Uuid, Record> = loaded.into_iter().map(|r| (r.id, r)).collect();
        WorkingSet {
            records: original.clone(),
            original,
            zone,
            warnings: Vec::new(),
            now: now_millis(),
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

    fn apply(&mut self, change: &Change) -> Result<(), CoreError> {
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
            zone.settings = settings.clone();
        }
        if let Some(soa) = &update.soa {
            check_ttl("soa.ttl", soa.ttl)?;
            zone.soa = soa.clone();
        }
        if let Some(dnssec) = update.dnssec_enabled {
            zone.dnssec_enabled = dnssec;
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
        Ok(())
    }

    fn changed_ids(&self) -> HashSet<Uuid> {
        self.records
            .values()
            .filter(|r| self.original.get(&r.id) != Some(*r))
            .map(|r| r.id)
            .collect()
    }

    fn into_plan(self) -> Plan {
        let mut added = Vec::new();
        let mut removed = Vec::new();
        for (id, old) in &self.original {
            match self.records.get(id) {
                Some(new) if new == old => {}
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
        }
    }
}
