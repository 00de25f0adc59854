//! The change vocabulary: what a writer asks for (`ChangeSet` of `Change`s)
//! and what it gets back (`CommitOutcome`).

use std::sync::Arc;

use uuid::Uuid;

use crate::model::{JournalEntry, Record, SoaSettings, Zone, ZoneStatus};
use crate::name::Name;
use crate::rdata::{Rdata, RecordType};

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
    /// `Some(false)` on a signed zone starts going insecure (CDS delete,
    /// then unsigning once the parent's DS is gone) unless
    /// `dnssec_unsign_now`; `Some(true)` signs it, or calls that off.
    pub dnssec_enabled: Option<bool>,
    /// Unsign at once, without waiting for the parent: only safe when the
    /// parent has never held a DS for the zone.
    pub dnssec_unsign_now: bool,
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
