//! One zone as the answer path sees it: an immutable snapshot with every
//! RRset pre-encoded in wire form, the set of names that exist (including
//! empty non-terminals) and the delegation points. A committed change makes
//! the next snapshot from the previous one and the journal entry, without the
//! database.

use std::sync::Arc;

use tern_core::transfer::TransferSettings;
use tern_core::{JournalEntry, Name, Record, RecordType, Zone};
use uuid::Uuid;

use crate::sharded::{Sharded, shards_for};

#[derive(Debug, Clone)]
pub struct RrSet {
    pub rtype: RecordType,
    /// `None` inherits the zone default (one TTL per RRset is a core rule).
    pub ttl: Option<u32>,
    /// Uncompressed wire RDATA, one per record.
    pub rdatas: Vec<Vec<u8>>,
    /// For NS, MX and SRV: the names additional-section processing looks up.
    pub targets: Vec<Name>,
}

#[derive(Debug, Clone)]
pub struct ZoneSnapshot {
    pub zone_id: Uuid,
    pub name: Name,
    pub serial: u32,
    pub default_ttl: u32,
    pub soa_ttl: u32,
    /// RFC 2308 §3: negative answers carry min(SOA TTL, SOA MINIMUM).
    pub negative_ttl: u32,
    pub soa_rdata: Vec<u8>,
    /// Who may transfer the zone and whom to notify (from its settings;
    /// the core validated them on the way in).
    pub transfer: TransferSettings,
    records: usize,
    /// RRsets per name; behind an `Arc` so copying a shard copies pointers.
    nodes: Sharded<Arc<Vec<RrSet>>>,
    /// How many names with data lie strictly below each name: a name with a
    /// count but no data is an empty non-terminal (it exists: NODATA, not
    /// NXDOMAIN).
    below: Sharded<usize>,
}

impl ZoneSnapshot {
    pub fn build(zone: &Zone, records: &[Record]) -> ZoneSnapshot {
        let mut snapshot = ZoneSnapshot::sized_for(zone, records.len());
        snapshot.extend(records);
        snapshot
    }

    /// An empty snapshot sharded for about `records` records, to be filled
    /// with `extend` chunk by chunk (the start-up load).
    pub fn sized_for(zone: &Zone, records: usize) -> ZoneSnapshot {
        ZoneSnapshot::empty(zone, shards_for(records))
    }

    pub fn extend(&mut self, records: &[Record]) {
        for record in records {
            self.insert(record);
        }
    }

    fn empty(zone: &Zone, shards: usize) -> ZoneSnapshot {
        let mut soa_rdata = Vec::new();
        zone.soa_rdata().to_wire(&mut soa_rdata);
        ZoneSnapshot {
            zone_id: zone.id,
            name: zone.name.clone(),
            serial: zone.serial,
            default_ttl: zone.default_ttl,
            soa_ttl: zone.soa.ttl,
            negative_ttl: zone.soa.ttl.min(zone.soa.minimum),
            soa_rdata,
            transfer: TransferSettings::from_settings(&zone.settings).unwrap_or_default(),
            records: 0,
            nodes: Sharded::new(shards),
            below: Sharded::new(shards),
        }
    }

    /// The next snapshot: this one with a committed change applied. The
    /// entry must have been made from this snapshot (its `serial_before`);
    /// the zone's slot (`slot.rs`) sees to that.
    pub fn apply(&self, entry: &JournalEntry) -> ZoneSnapshot {
        let mut next = match &entry.zone_after {
            Some(zone) => {
                let mut meta = ZoneSnapshot::empty(zone, 1);
                meta.nodes = self.nodes.clone();
                meta.below = self.below.clone();
                meta.records = self.records;
                meta
            }
            None => self.clone(),
        };
        // A zone that grew well past its sharding is spread out again (rare:
        // each time the zone grows fourfold).
        let names = next.nodes.len();
        if shards_for(names) >= next.nodes.shards.len() * 4 {
            next.nodes = next.nodes.resharded(shards_for(names));
            next.below = next.below.resharded(shards_for(names));
        }
        next.serial = entry.serial_after;
        for record in &entry.removed {
            next.remove(record);
        }
        for record in &entry.added {
            next.insert(record);
        }
        next
    }

    fn insert(&mut self, record: &Record) {
        let wire = record.rdata.wire();
        let is_new_name = !self.nodes.contains_key(record.name.as_str());
        let rrsets = Arc::make_mut(self.nodes.get_mut_or_default(&record.name));
        match rrsets.iter_mut().find(|s| s.rtype == record.rtype) {
            Some(set) => {
                if !set.rdatas.contains(&wire) {
                    self.records += 1;
                    set.rdatas.push(wire);
                    set.targets.extend(record.rdata.target_name().cloned());
                }
                set.ttl = record.ttl;
            }
            None => {
                self.records += 1;
                rrsets.push(RrSet {
                    rtype: record.rtype,
                    ttl: record.ttl,
                    rdatas: vec![wire],
                    targets: record.rdata.target_name().cloned().into_iter().collect(),
                });
                rrsets.sort_by_key(|s| s.rtype);
            }
        }
        if is_new_name {
            self.count_ancestors(&record.name, true);
        }
    }

    fn remove(&mut self, record: &Record) {
        let wire = record.rdata.wire();
        if !self.nodes.contains_key(record.name.as_str()) {
            return;
        }
        let Some(rrsets) = self.nodes.get_mut(&record.name).map(Arc::make_mut) else {
            return;
        };
        if let Some(set) = rrsets.iter_mut().find(|s| s.rtype == record.rtype)
            && let Some(i) = set.rdatas.iter().position(|w| *w == wire)
        {
            set.rdatas.remove(i);
            self.records -= 1;
            if let Some(target) = record.rdata.target_name()
                && let Some(t) = set.targets.iter().position(|n| n == target)
            {
                set.targets.remove(t);
            }
        }
        rrsets.retain(|s| !s.rdatas.is_empty());
        if rrsets.is_empty() {
            self.nodes.remove(&record.name);
            self.count_ancestors(&record.name, false);
        }
    }

    fn count_ancestors(&mut self, name: &Name, add: bool) {
        for ancestor in name.ancestor_strs() {
            let Ok(ancestor) = Name::parse_absolute(ancestor) else {
                break;
            };
            if !ancestor.is_subdomain_of(&self.name) {
                break;
            }
            if add {
                *self.below.get_mut_or_default(&ancestor) += 1;
            } else if self.below.contains_key(ancestor.as_str()) {
                let left = self.below.get_mut(&ancestor).map(|count| {
                    *count -= 1;
                    *count
                });
                if left == Some(0) {
                    self.below.remove(&ancestor);
                }
            }
            if ancestor == self.name {
                break;
            }
        }
    }

    // Lookups take the canonical text of a name, so the answer path can walk
    // a name's ancestors as slices without building names.

    pub fn rrsets(&self, name: &str) -> Option<&[RrSet]> {
        self.nodes.get(name).map(|sets| sets.as_slice())
    }

    pub fn rrset(&self, name: &str, rtype: RecordType) -> Option<&RrSet> {
        self.nodes.get(name)?.iter().find(|s| s.rtype == rtype)
    }

    /// Whether the name exists in the zone: it has data or names below it.
    pub fn exists(&self, name: &str) -> bool {
        self.nodes.contains_key(name) || self.below.contains_key(name)
    }

    pub fn ttl_of(&self, set: &RrSet) -> u32 {
        set.ttl.unwrap_or(self.default_ttl)
    }

    /// Every RRset of the zone with its owner, in no particular order.
    pub fn all_rrsets(&self) -> impl Iterator<Item = (&Name, &RrSet)> {
        self.nodes
            .shards
            .iter()
            .flat_map(|shard| shard.iter())
            .flat_map(|(name, sets)| sets.iter().map(move |set| (name, set)))
    }

    pub fn record_count(&self) -> usize {
        self.records
    }
}
