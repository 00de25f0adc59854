//! One zone as the answer path sees it: an immutable snapshot with every
//! RRset pre-encoded in wire form, the set of names that exist (including
//! empty non-terminals) and the delegation points. A committed change makes
//! the next snapshot from the previous one and the journal entry, without the
//! database.

use std::collections::HashMap;

use tern_core::{JournalEntry, Name, Record, RecordType, Zone};
use uuid::Uuid;

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
    nodes: HashMap<Name, Vec<RrSet>>,
    /// How many names with data lie strictly below each name: a name with a
    /// count but no data is an empty non-terminal (it exists: NODATA, not
    /// NXDOMAIN).
    below: HashMap<Name, usize>,
}

impl ZoneSnapshot {
    pub fn build(zone: &Zone, records: &[Record]) -> ZoneSnapshot {
        let mut snapshot = ZoneSnapshot::empty(zone);
        for record in records {
            snapshot.insert(record);
        }
        snapshot
    }

    fn empty(zone: &Zone) -> ZoneSnapshot {
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
            nodes: HashMap::new(),
            below: HashMap::new(),
        }
    }

    /// The next snapshot: this one with a committed change applied.
    pub fn apply(&self, entry: &JournalEntry) -> ZoneSnapshot {
        let mut next = match &entry.zone_after {
            Some(zone) => {
                let mut meta = ZoneSnapshot::empty(zone);
                meta.nodes = self.nodes.clone();
                meta.below = self.below.clone();
                meta
            }
            None => self.clone(),
        };
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
        let is_new_name = !self.nodes.contains_key(&record.name);
        let rrsets = self.nodes.entry(record.name.clone()).or_default();
        match rrsets.iter_mut().find(|s| s.rtype == record.rtype) {
            Some(set) => {
                if !set.rdatas.contains(&wire) {
                    set.rdatas.push(wire);
                    set.targets.extend(record.rdata.target_name().cloned());
                }
                set.ttl = record.ttl;
            }
            None => {
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
        let Some(rrsets) = self.nodes.get_mut(&record.name) else {
            return;
        };
        if let Some(set) = rrsets.iter_mut().find(|s| s.rtype == record.rtype)
            && let Some(i) = set.rdatas.iter().position(|w| *w == wire)
        {
            set.rdatas.remove(i);
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
                *self.below.entry(ancestor.clone()).or_default() += 1;
            } else if let Some(count) = self.below.get_mut(&ancestor) {
                *count -= 1;
                if *count == 0 {
                    self.below.remove(&ancestor);
                }
            }
            if ancestor == self.name {
                break;
            }
        }
    }

    pub fn rrsets(&self, name: &Name) -> Option<&[RrSet]> {
        self.nodes.get(name).map(Vec::as_slice)
    }

    pub fn rrset(&self, name: &Name, rtype: RecordType) -> Option<&RrSet> {
        self.nodes.get(name)?.iter().find(|s| s.rtype == rtype)
    }

    /// Whether the name exists in the zone: it has data or names below it.
    pub fn exists(&self, name: &Name) -> bool {
        self.nodes.contains_key(name) || self.below.contains_key(name)
    }

    pub fn ttl_of(&self, set: &RrSet) -> u32 {
        set.ttl.unwrap_or(self.default_ttl)
    }

    pub fn record_count(&self) -> usize {
        self.nodes.values().flatten().map(|s| s.rdatas.len()).sum()
    }
}
