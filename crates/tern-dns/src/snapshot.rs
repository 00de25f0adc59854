//! One zone as the answer path sees it: an immutable snapshot with every
//! RRset pre-encoded in wire form, the RRSIGs beside the RRsets they cover,
//! the set of names that exist (including empty non-terminals), and the
//! denial chains of a signed zone (NSEC3 in hash order, NSEC in canonical
//! order). A committed change makes the next snapshot from the previous one
//! and the journal entry, without the database.

use std::sync::Arc;

use tern_core::transfer::TransferSettings;
use tern_core::{JournalEntry, Name, Record, RecordType, Zone};
use uuid::Uuid;

use crate::nsec::NsecChain;
use crate::nsec3::{Nsec3Chains, Nsec3Entry, Nsec3Params, Nsec3View, owner_hash};
use crate::rrsig::{NSEC, NSEC3, NSEC3PARAM, RRSIG, SigSet, Signatures, type_covered};
use crate::sharded::{Sharded, shards_for};

#[cfg(test)]
#[path = "snapshot_tests.rs"]
mod tests;

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

/// Everything at one name: its RRsets and the RRSIGs over them.
#[derive(Debug, Clone, Default)]
pub struct Node {
    pub sets: Vec<RrSet>,
    /// By type covered; a signature can briefly lack its RRset while a load
    /// or a change is applied (the name then exists without data).
    pub sigs: Vec<SigSet>,
}

impl Node {
    pub fn signatures(&self, covered: RecordType) -> Option<&Signatures> {
        self.sigs
            .iter()
            .find(|s| s.covered == covered)
            .map(|s| &s.sigs)
    }

    fn is_empty(&self) -> bool {
        self.sets.is_empty() && self.sigs.is_empty()
    }
}

/// One RRset in wire form with its owner, as a transfer writes it.
pub struct WireRrSet<'a> {
    pub owner: &'a Name,
    pub rtype: RecordType,
    pub ttl: Option<u32>,
    pub rdatas: &'a [Vec<u8>],
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
    /// RRsets and their signatures per name; behind an `Arc` so copying a
    /// shard copies pointers.
    nodes: Sharded<Arc<Node>>,
    /// How many names with data lie strictly below each name: a name with a
    /// count but no data is an empty non-terminal (it exists: NODATA, not
    /// NXDOMAIN).
    below: Sharded<usize>,
    /// NSEC3 records (and their RRSIGs), which are not names of the zone.
    nsec3: Nsec3Chains,
    /// The parameters of the zone's NSEC3PARAM: which chain answers use.
    nsec3param: Option<Nsec3Params>,
    /// Owners of NSEC records, for zones signed with NSEC.
    nsec: NsecChain,
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
            nsec3: Nsec3Chains::default(),
            nsec3param: None,
            nsec: NsecChain::default(),
        }
    }

    /// The next snapshot: this one with a committed change applied. The
    /// entry must have been made from this snapshot (its `serial_before`);
    /// the zone's slot (`slot.rs`) sees to that.
    pub fn apply(&self, entry: &JournalEntry) -> ZoneSnapshot {
        let mut next = self.clone();
        if let Some(zone) = &entry.zone_after {
            let meta = ZoneSnapshot::empty(zone, 1);
            next.zone_id = meta.zone_id;
            next.name = meta.name;
            next.default_ttl = meta.default_ttl;
            next.soa_ttl = meta.soa_ttl;
            next.negative_ttl = meta.negative_ttl;
            next.soa_rdata = meta.soa_rdata;
            next.transfer = meta.transfer;
        }
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
        let added = match self.dnssec_home(record, &wire) {
            Home::Signature(covered) => {
                let ttl = record.ttl;
                self.with_node(&record.name, |node| {
                    let at = match node.sigs.iter().position(|s| s.covered == covered) {
                        Some(at) => at,
                        None => {
                            node.sigs.push(SigSet {
                                covered,
                                sigs: Signatures::default(),
                            });
                            node.sigs.len() - 1
                        }
                    };
                    node.sigs[at].sigs.add(ttl, wire)
                })
            }
            Home::Nsec3(hash) => self.nsec3.insert(&record.name, hash, record.ttl, wire),
            Home::Nsec3Signature(hash) => {
                self.nsec3.insert_sig(&record.name, hash, record.ttl, wire)
            }
            Home::Data => self.insert_data(record, wire),
        };
        if added {
            self.records += 1;
        }
        self.track_chains(record);
    }

    fn insert_data(&mut self, record: &Record, wire: Vec<u8>) -> bool {
        self.with_node(&record.name, |node| {
            let rrsets = &mut node.sets;
            match rrsets.iter_mut().find(|s| s.rtype == record.rtype) {
                Some(set) => {
                    set.ttl = record.ttl;
                    if set.rdatas.contains(&wire) {
                        return false;
                    }
                    set.rdatas.push(wire);
                    set.targets.extend(record.rdata.target_name().cloned());
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
            true
        })
    }

    /// Changes the node at `name` (made if missing, dropped if left empty),
    /// keeping the counts of names below its ancestors.
    fn with_node(&mut self, name: &Name, change: impl FnOnce(&mut Node) -> bool) -> bool {
        let is_new_name = !self.nodes.contains_key(name.as_str());
        let node = Arc::make_mut(self.nodes.get_mut_or_default(name));
        let changed = change(node);
        let now_empty = node.is_empty();
        if now_empty {
            self.nodes.remove(name);
        }
        match (is_new_name, now_empty) {
            (true, false) => self.count_ancestors(name, true),
            (false, true) => self.count_ancestors(name, false),
            _ => {}
        }
        changed
    }

    fn remove(&mut self, record: &Record) {
        let wire = record.rdata.wire();
        let removed = match self.dnssec_home(record, &wire) {
            Home::Signature(covered) => {
                self.nodes.contains_key(record.name.as_str())
                    && self.with_node(&record.name, |node| {
                        let Some(at) = node.sigs.iter().position(|s| s.covered == covered) else {
                            return false;
                        };
                        let removed = node.sigs[at].sigs.remove(&wire);
                        if node.sigs[at].sigs.is_empty() {
                            node.sigs.remove(at);
                        }
                        removed
                    })
            }
            Home::Nsec3(hash) => self.nsec3.remove(&record.name, hash, &wire),
            Home::Nsec3Signature(hash) => self.nsec3.remove_sig(&record.name, hash, &wire),
            Home::Data => {
                self.nodes.contains_key(record.name.as_str())
                    && self.with_node(&record.name, |node| {
                        let rrsets = &mut node.sets;
                        let mut removed = false;
                        if let Some(set) = rrsets.iter_mut().find(|s| s.rtype == record.rtype)
                            && let Some(i) = set.rdatas.iter().position(|w| *w == wire)
                        {
                            set.rdatas.remove(i);
                            removed = true;
                            if let Some(target) = record.rdata.target_name()
                                && let Some(t) = set.targets.iter().position(|n| n == target)
                            {
                                set.targets.remove(t);
                            }
                        }
                        rrsets.retain(|s| !s.rdatas.is_empty());
                        removed
                    })
            }
        };
        if removed {
            self.records -= 1;
        }
        self.track_chains(record);
    }

    /// Where a record lives: RRSIGs beside the RRset they cover, NSEC3
    /// records (and their RRSIGs) in the hash-ordered chain when their
    /// owner is a hash directly below the apex; everything else, NSEC and
    /// NSEC3PARAM included, as data of its name.
    fn dnssec_home(&self, record: &Record, wire: &[u8]) -> Home {
        match record.rtype {
            RRSIG => match type_covered(wire) {
                Some(NSEC3) => match owner_hash(record.name.as_str(), &self.name) {
                    Some(hash) => Home::Nsec3Signature(hash),
                    None => Home::Signature(NSEC3),
                },
                Some(covered) => Home::Signature(covered),
                None => Home::Data,
            },
            NSEC3 => match owner_hash(record.name.as_str(), &self.name) {
                Some(hash) => Home::Nsec3(hash),
                None => Home::Data,
            },
            _ => Home::Data,
        }
    }

    /// Keeps the NSEC owners and the NSEC3 parameters in step with the
    /// data after a record of theirs came or went.
    fn track_chains(&mut self, record: &Record) {
        if record.rtype == NSEC {
            if self.rrset(record.name.as_str(), NSEC).is_some() {
                self.nsec.insert(&record.name);
            } else {
                self.nsec.remove(&record.name);
            }
        }
        if record.rtype == NSEC3PARAM && record.name == self.name {
            self.nsec3param = self.rrset(self.name.as_str(), NSEC3PARAM).and_then(|set| {
                set.rdatas
                    .iter()
                    .find_map(|r| Nsec3Params::from_nsec3param(r))
            });
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

    /// The RRsets at a name; `None` when it has none (it may still exist).
    pub fn rrsets(&self, name: &str) -> Option<&[RrSet]> {
        self.nodes
            .get(name)
            .map(|node| node.sets.as_slice())
            .filter(|sets| !sets.is_empty())
    }

    pub fn rrset(&self, name: &str, rtype: RecordType) -> Option<&RrSet> {
        self.nodes.get(name)?.sets.iter().find(|s| s.rtype == rtype)
    }

    pub fn node(&self, name: &str) -> Option<&Node> {
        self.nodes.get(name).map(Arc::as_ref)
    }

    /// The RRSIGs at `name` over its `covered` RRset.
    pub fn signatures(&self, name: &str, covered: RecordType) -> Option<&Signatures> {
        self.nodes.get(name)?.signatures(covered)
    }

    /// The NSEC3 chain the zone's NSEC3PARAM names, if it has both.
    pub fn nsec3(&self) -> Option<Nsec3View<'_>> {
        self.nsec3.view(self.nsec3param.as_ref()?)
    }

    /// For a zone signed with NSEC: the owner of the NSEC that matches
    /// `name` or covers it.
    pub fn nsec_covering(&self, name: &Name) -> Option<&Name> {
        if self.nsec.is_empty() {
            return None;
        }
        self.nsec.covering(name)
    }

    /// Whether the name exists in the zone: it has data or names below it.
    pub fn exists(&self, name: &str) -> bool {
        self.nodes.contains_key(name) || self.below.contains_key(name)
    }

    pub fn ttl_of(&self, set: &RrSet) -> u32 {
        set.ttl.unwrap_or(self.default_ttl)
    }

    pub fn ttl_of_sigs(&self, sigs: &Signatures) -> u32 {
        sigs.ttl.unwrap_or(self.default_ttl)
    }

    /// Every RRset of the zone with its owner, signatures and NSEC3
    /// records included, in no particular order (a transfer's content).
    pub fn all_rrsets(&self) -> impl Iterator<Item = WireRrSet<'_>> {
        let nodes = self
            .nodes
            .shards
            .iter()
            .flat_map(|shard| shard.iter())
            .flat_map(|(owner, node)| {
                let sets = node.sets.iter().map(move |set| WireRrSet {
                    owner,
                    rtype: set.rtype,
                    ttl: set.ttl,
                    rdatas: &set.rdatas,
                });
                let sigs = node
                    .sigs
                    .iter()
                    .map(move |sig| signature_set(owner, &sig.sigs));
                sets.chain(sigs)
            });
        let nsec3 = self.nsec3.entries().flat_map(|entry: &Nsec3Entry| {
            [
                WireRrSet {
                    owner: &entry.owner,
                    rtype: NSEC3,
                    ttl: entry.ttl,
                    rdatas: &entry.rdatas,
                },
                signature_set(&entry.owner, &entry.sigs),
            ]
        });
        let pending = self
            .nsec3
            .pending()
            .map(|(owner, sigs)| signature_set(owner, sigs));
        nodes
            .chain(nsec3)
            .chain(pending)
            .filter(|set| !set.rdatas.is_empty())
    }

    pub fn record_count(&self) -> usize {
        self.records
    }
}

fn signature_set<'a>(owner: &'a Name, sigs: &'a Signatures) -> WireRrSet<'a> {
    WireRrSet {
        owner,
        rtype: RRSIG,
        ttl: sigs.ttl,
        rdatas: &sigs.rdatas,
    }
}

/// Where `ZoneSnapshot::insert` and `remove` file a record.
enum Home {
    Data,
    /// Beside the RRset of this type at the record's name.
    Signature(RecordType),
    Nsec3(crate::nsec3::Hash),
    Nsec3Signature(crate::nsec3::Hash),
}
