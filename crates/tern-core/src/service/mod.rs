//! `ZoneService`, the only writer of zone data. Every mutation becomes a
//! `ChangeSet`, is validated against the zone rules, and is committed by the
//! store in one transaction with its journal entry and the next serial; then
//! listeners hear `ZoneChanged`, local commits and (via the follower) remote
//! ones alike. This file holds the service itself and its configuration; the
//! submodules each own one step of the write path.

mod change;
mod checks;
mod commit;
mod events;
mod import;
mod keys;
mod lifecycle;
mod ordering;
mod plan;
mod prepare;
mod working_set;

use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use tokio::sync::broadcast;
use uuid::Uuid;

use crate::error::CoreError;
use crate::model::{ChangeSource, Principal, Zone};
use crate::name::Name;
use crate::signing::{ParentDsLookup, ZoneSigner};
use crate::store::{Store, ZoneFilter};

pub use change::{Change, ChangeSet, CommitOutcome, NewRecord, RecordUpdate, ZoneUpdate};
pub use checks::MAX_TTL;
pub use events::{CommitListener, ZoneChanged};
pub use import::{ImportMode, ImportOptions, ImportReport};
pub use lifecycle::NewZone;

use events::Delivered;
use ordering::ZoneLocks;

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
    /// `--zone-validation dns`: every new zone, whichever face creates it,
    /// starts `pending_validation` (stored, not served) until its owner
    /// proves control; only `NewZone::operator` skips it.
    pub require_zone_validation: bool,
    /// How long a write without an expected serial (and an import) keeps
    /// re-planning while writers in other processes commit to its zone first.
    pub conflict_deadline: Duration,
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
            require_zone_validation: false,
            conflict_deadline: Duration::from_secs(30),
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

pub struct ZoneService {
    store: Arc<dyn Store>,
    config: ServiceConfig,
    events: broadcast::Sender<ZoneChanged>,
    listeners: Mutex<Vec<Arc<dyn CommitListener>>>,
    /// Highest journal seq already delivered to listeners, so the journal
    /// follower does not replay local commits.
    delivered: Mutex<Delivered>,
    /// Each zone's writers take turns (`ordering.rs`).
    locks: ZoneLocks,
    /// Makes the DNSSEC records of signed zones' commits (`signing.rs`).
    signer: OnceLock<Arc<dyn ZoneSigner>>,
    /// Tells the key manager which DS the parent serves (`keys.rs`).
    parent_ds: OnceLock<Arc<dyn ParentDsLookup>>,
    /// Per signed zone, the time before which no signature can fall due,
    /// and the settings that holds for (`keys.rs`).
    resign_after: Mutex<std::collections::HashMap<Uuid, (crate::signing::DnssecSettings, u64)>>,
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
            locks: ZoneLocks::default(),
            signer: OnceLock::new(),
            parent_ds: OnceLock::new(),
            resign_after: Mutex::new(std::collections::HashMap::new()),
        }
    }

    /// Installs the signer; a second call is ignored (one per service).
    pub fn set_signer(&self, signer: Arc<dyn ZoneSigner>) {
        let _ = self.signer.set(signer);
    }

    /// Installs the parent-DS check (`--dnssec-parent-resolver`); without
    /// one, KSK/CSK rollovers and unsigning wait for an operator's
    /// confirmation.
    pub fn set_parent_ds_lookup(&self, lookup: Arc<dyn ParentDsLookup>) {
        let _ = self.parent_ds.set(lookup);
    }

    pub fn signer(&self) -> Option<&Arc<dyn ZoneSigner>> {
        self.signer.get()
    }

    pub fn store(&self) -> &Arc<dyn Store> {
        &self.store
    }

    pub fn config(&self) -> &ServiceConfig {
        &self.config
    }

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
}
