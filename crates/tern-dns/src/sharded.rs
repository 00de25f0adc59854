//! A map split into copy-on-write shards behind `Arc`s, so that the next
//! version of a large map copies the one shard a change touches, not the
//! whole map. Zone snapshots keep their names in it; the index keeps the
//! served zone names in it.

use std::collections::HashMap;
use std::hash::BuildHasher;
use std::sync::Arc;

use tern_core::Name;

/// Names per shard the sharding aims at. A change copies only the shards it
/// touches, so the next snapshot of a 1,000,000-record zone copies a few
/// hundred entries, not a million; lookups stay one hash and one probe.
/// Small zones get one shard, so thousands of them cost no more than maps.
const NAMES_PER_SHARD: usize = 256;
const MAX_SHARDS: usize = 8192;

pub(crate) fn shards_for(names: usize) -> usize {
    (names / NAMES_PER_SHARD)
        .next_power_of_two()
        .clamp(1, MAX_SHARDS)
}

/// foldhash: much faster than SipHash on short keys and still seeded per
/// map, so tenant-chosen names cannot be crafted to collide.
type Hasher = foldhash::fast::RandomState;

/// A map split into shards behind `Arc`s: cloning is one pointer copy per
/// shard; writing copies the one shard written (copy on write).
#[derive(Debug, Clone)]
pub(crate) struct Sharded<V> {
    hasher: Hasher,
    pub(crate) shards: Vec<Arc<HashMap<Name, V, Hasher>>>,
}

impl<V: Clone> Sharded<V> {
    pub(crate) fn new(shards: usize) -> Sharded<V> {
        Sharded {
            hasher: Hasher::default(),
            shards: (0..shards.max(1))
                .map(|_| Arc::new(HashMap::with_hasher(Hasher::default())))
                .collect(),
        }
    }

    pub(crate) fn shard_of(&self, key: &str) -> usize {
        if self.shards.len() == 1 {
            return 0;
        }
        (self.hasher.hash_one(key) as usize) & (self.shards.len() - 1)
    }

    pub(crate) fn len(&self) -> usize {
        self.shards.iter().map(|s| s.len()).sum()
    }

    /// The same entries spread over `shards` shards.
    pub(crate) fn resharded(&self, shards: usize) -> Sharded<V> {
        let mut next = Sharded::new(shards);
        for shard in &self.shards {
            for (key, value) in shard.iter() {
                let i = next.shard_of(key.as_str());
                Arc::make_mut(&mut next.shards[i]).insert(key.clone(), value.clone());
            }
        }
        next
    }

    pub(crate) fn get(&self, key: &str) -> Option<&V> {
        self.shards[self.shard_of(key)].get(key)
    }

    pub(crate) fn contains_key(&self, key: &str) -> bool {
        self.get(key).is_some()
    }

    pub(crate) fn get_mut_or_default(&mut self, key: &Name) -> &mut V
    where
        V: Default,
    {
        let shard = self.shard_of(key.as_str());
        Arc::make_mut(&mut self.shards[shard])
            .entry(key.clone())
            .or_default()
    }

    pub(crate) fn get_mut(&mut self, key: &Name) -> Option<&mut V> {
        let shard = self.shard_of(key.as_str());
        Arc::make_mut(&mut self.shards[shard]).get_mut(key)
    }

    pub(crate) fn insert(&mut self, key: Name, value: V) {
        let shard = self.shard_of(key.as_str());
        Arc::make_mut(&mut self.shards[shard]).insert(key, value);
    }

    /// Spreads the entries over more shards once they have grown fourfold
    /// past the sharding (rare, so its cost is spread over many changes).
    pub(crate) fn reshard_if_grown(&mut self) {
        let wanted = shards_for(self.len());
        if wanted >= self.shards.len() * 4 {
            *self = self.resharded(wanted);
        }
    }

    pub(crate) fn values(&self) -> impl Iterator<Item = &V> {
        self.shards.iter().flat_map(|shard| shard.values())
    }

    pub(crate) fn remove(&mut self, key: &Name) {
        let shard = self.shard_of(key.as_str());
        if self.shards[shard].contains_key(key) {
            Arc::make_mut(&mut self.shards[shard]).remove(key);
        }
    }
}
