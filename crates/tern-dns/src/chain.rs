//! A sorted map in copy-on-write chunks: the ordered structure the denial
//! chains of a snapshot live in (NSEC3 owners in hash order, NSEC owners in
//! canonical order). Answers need "the entry at or before this key, wrapping
//! round to the last", which a hash map cannot give; a plain `BTreeMap`
//! could, but the next snapshot would copy all of it. Here a change copies
//! one chunk of at most `MAX_CHUNK` entries and the vector of chunk
//! pointers, as `sharded.rs` does for names.

use std::borrow::Borrow;
use std::sync::Arc;

/// A chunk splits in two past this many entries; chunks never stay empty.
const MAX_CHUNK: usize = 512;

#[derive(Debug, Clone)]
pub(crate) struct SortedChain<K, V> {
    /// Non-empty chunks, each sorted, every key of a chunk below every key
    /// of the next.
    chunks: Vec<Arc<Vec<(K, V)>>>,
    len: usize,
}

impl<K, V> Default for SortedChain<K, V> {
    fn default() -> Self {
        SortedChain {
            chunks: Vec::new(),
            len: 0,
        }
    }
}

impl<K: Ord + Clone, V: Clone> SortedChain<K, V> {
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.len
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The chunk that holds `key` or would: the last whose first key is not
    /// above it (the first chunk for keys below everything).
    fn chunk_for<Q>(&self, key: &Q) -> usize
    where
        K: Borrow<Q>,
        Q: Ord + ?Sized,
    {
        self.chunks
            .partition_point(|c| c.first().is_some_and(|(k, _)| k.borrow() <= key))
            .saturating_sub(1)
    }

    pub(crate) fn get<Q>(&self, key: &Q) -> Option<&V>
    where
        K: Borrow<Q>,
        Q: Ord + ?Sized,
    {
        let chunk = self.chunks.get(self.chunk_for(key))?;
        let i = chunk.binary_search_by(|(k, _)| k.borrow().cmp(key)).ok()?;
        Some(&chunk[i].1)
    }

    /// The entry with the greatest key not above `key`.
    pub(crate) fn floor<Q>(&self, key: &Q) -> Option<(&K, &V)>
    where
        K: Borrow<Q>,
        Q: Ord + ?Sized,
    {
        let chunk = self.chunks.get(self.chunk_for(key))?;
        let at = chunk.partition_point(|(k, _)| k.borrow() <= key);
        let (k, v) = chunk.get(at.checked_sub(1)?)?;
        Some((k, v))
    }

    /// The entry with the greatest key below `key`.
    pub(crate) fn before<Q>(&self, key: &Q) -> Option<(&K, &V)>
    where
        K: Borrow<Q>,
        Q: Ord + ?Sized,
    {
        let c = self.chunk_for(key);
        let chunk = self.chunks.get(c)?;
        let at = chunk.partition_point(|(k, _)| k.borrow() < key);
        match at.checked_sub(1) {
            Some(i) => chunk.get(i).map(|(k, v)| (k, v)),
            None => {
                let previous = self.chunks.get(c.checked_sub(1)?)?;
                previous.last().map(|(k, v)| (k, v))
            }
        }
    }

    pub(crate) fn last(&self) -> Option<(&K, &V)> {
        let (k, v) = self.chunks.last()?.last()?;
        Some((k, v))
    }

    /// In a circular chain (NSEC, NSEC3), the entry whose span holds `key`:
    /// the one at or before it, or the last one for a key before the first.
    pub(crate) fn floor_circular<Q>(&self, key: &Q) -> Option<(&K, &V)>
    where
        K: Borrow<Q>,
        Q: Ord + ?Sized,
    {
        self.floor(key).or_else(|| self.last())
    }

    /// Inserts or replaces; returns the value replaced.
    pub(crate) fn insert(&mut self, key: K, value: V) -> Option<V> {
        if self.chunks.is_empty() {
            self.chunks.push(Arc::new(vec![(key, value)]));
            self.len = 1;
            return None;
        }
        let c = self.chunk_for(&key);
        let chunk = Arc::make_mut(&mut self.chunks[c]);
        match chunk.binary_search_by(|(k, _)| k.cmp(&key)) {
            Ok(i) => return Some(std::mem::replace(&mut chunk[i].1, value)),
            Err(i) => chunk.insert(i, (key, value)),
        }
        self.len += 1;
        if chunk.len() > MAX_CHUNK {
            let upper = chunk.split_off(chunk.len() / 2);
            self.chunks.insert(c + 1, Arc::new(upper));
        }
        None
    }

    pub(crate) fn get_mut<Q>(&mut self, key: &Q) -> Option<&mut V>
    where
        K: Borrow<Q>,
        Q: Ord + ?Sized,
    {
        let c = self.chunk_for(key);
        let i = self
            .chunks
            .get(c)?
            .binary_search_by(|(k, _)| k.borrow().cmp(key))
            .ok()?;
        Some(&mut Arc::make_mut(&mut self.chunks[c])[i].1)
    }

    pub(crate) fn remove<Q>(&mut self, key: &Q) -> Option<V>
    where
        K: Borrow<Q>,
        Q: Ord + ?Sized,
    {
        let c = self.chunk_for(key);
        let i = self
            .chunks
            .get(c)?
            .binary_search_by(|(k, _)| k.borrow().cmp(key))
            .ok()?;
        let chunk = Arc::make_mut(&mut self.chunks[c]);
        let (_, value) = chunk.remove(i);
        if chunk.is_empty() {
            self.chunks.remove(c);
        }
        self.len -= 1;
        Some(value)
    }

    pub(crate) fn iter(&self) -> impl Iterator<Item = (&K, &V)> {
        self.chunks
            .iter()
            .flat_map(|chunk| chunk.iter().map(|(k, v)| (k, v)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::collections::BTreeMap;

    #[derive(Debug, Clone)]
    enum Op {
        Insert(u16, u32),
        Remove(u16),
    }

    fn op() -> impl Strategy<Value = Op> {
        prop_oneof![
            3 => (0u16..3000, any::<u32>()).prop_map(|(k, v)| Op::Insert(k, v)),
            1 => (0u16..3000).prop_map(Op::Remove),
        ]
    }

    proptest! {
        /// The chain answers every lookup as a `BTreeMap` given the same
        /// changes does, across chunk splits and emptied chunks.
        #[test]
        fn agrees_with_a_btree(ops in proptest::collection::vec(op(), 0..3000), probes in proptest::collection::vec(0u16..3100, 50)) {
            let mut chain = SortedChain::default();
            let mut model = BTreeMap::new();
            for op in ops {
                match op {
                    Op::Insert(k, v) => prop_assert_eq!(chain.insert(k, v), model.insert(k, v)),
                    Op::Remove(k) => prop_assert_eq!(chain.remove(&k), model.remove(&k)),
                }
            }
            prop_assert_eq!(chain.len(), model.len());
            prop_assert!(chain.chunks.iter().all(|c| !c.is_empty() && c.len() <= MAX_CHUNK));
            let listed: Vec<_> = chain.iter().map(|(k, v)| (*k, *v)).collect();
            let expected: Vec<_> = model.iter().map(|(k, v)| (*k, *v)).collect();
            prop_assert_eq!(listed, expected);
            for p in probes {
                prop_assert_eq!(chain.get(&p), model.get(&p));
                prop_assert_eq!(chain.floor(&p), model.range(..=p).next_back());
                prop_assert_eq!(chain.before(&p), model.range(..p).next_back());
                let circular = model.range(..=p).next_back().or_else(|| model.iter().next_back());
                prop_assert_eq!(chain.floor_circular(&p), circular);
            }
        }
    }

    #[test]
    fn a_copy_shares_untouched_chunks() {
        let mut chain = SortedChain::default();
        for k in 0..5000u32 {
            chain.insert(k, k);
        }
        let mut next = chain.clone();
        next.insert(2500, 0);
        let shared = chain
            .chunks
            .iter()
            .zip(&next.chunks)
            .filter(|(a, b)| Arc::ptr_eq(a, b))
            .count();
        assert_eq!(shared, chain.chunks.len() - 1, "one chunk copied");
        assert_eq!(
            chain.get(&2500),
            Some(&2500),
            "the old version is unchanged"
        );
        assert_eq!(next.get(&2500), Some(&0));
        assert_eq!(next.get_mut(&7), Some(&mut 7));
    }
}
