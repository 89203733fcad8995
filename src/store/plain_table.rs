//! Stand-in for the segmented table while it is being written: the same API on a plain map.
#![allow(dead_code)]

use hashbrown::HashMap;

#[derive(Default)]
pub struct Table<V> {
    map: HashMap<Vec<u8>, (V, u64)>,
    expires: usize,
    cursor: usize,
}

impl<V> Table<V> {
    pub fn new() -> Self {
        Table { map: HashMap::new(), expires: 0, cursor: 0 }
    }
    pub fn len(&self) -> usize {
        self.map.len()
    }
    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }
    pub fn expires_len(&self) -> usize {
        self.expires
    }
    pub fn get(&self, key: &[u8]) -> Option<(&V, u64)> {
        self.map.get(key).map(|(v, e)| (v, *e))
    }
    pub fn get_mut(&mut self, key: &[u8]) -> Option<(&mut V, u64)> {
        self.map.get_mut(key).map(|(v, e)| (v, *e))
    }
    pub fn insert(&mut self, key: &[u8], value: V, expire: u64) -> Option<(V, u64)> {
        self.expires += (expire != 0) as usize;
        let old = self.map.insert(key.to_vec(), (value, expire));
        if let Some((_, e)) = &old {
            self.expires -= (*e != 0) as usize;
        }
        old
    }
    pub fn remove(&mut self, key: &[u8]) -> Option<(V, u64)> {
        let old = self.map.remove(key);
        if let Some((_, e)) = &old {
            self.expires -= (*e != 0) as usize;
        }
        old
    }
    pub fn set_expire(&mut self, key: &[u8], expire: u64) -> bool {
        match self.map.get_mut(key) {
            Some((_, e)) => {
                self.expires = self.expires + (expire != 0) as usize - (*e != 0) as usize;
                *e = expire;
                true
            }
            None => false,
        }
    }
    pub fn contains(&self, key: &[u8]) -> bool {
        self.map.contains_key(key)
    }
    pub fn scan(&self, cursor: u64, _count: usize, mut f: impl FnMut(&[u8], &V, u64)) -> u64 {
        if cursor == 0 {
            for (k, (v, e)) in &self.map {
                f(k, v, *e);
            }
        }
        0
    }
    pub fn random(&self, seed: &mut u64) -> Option<(&[u8], &V, u64)> {
        if self.map.is_empty() {
            return None;
        }
        *seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        let n = (*seed >> 33) as usize % self.map.len();
        self.map.iter().nth(n).map(|(k, (v, e))| (k.as_slice(), v, *e))
    }
    pub fn expire_cycle(&mut self, now_ms: u64, budget: usize, mut f: impl FnMut(&[u8], V)) -> (usize, usize) {
        let dead: Vec<Vec<u8>> =
            self.map.iter().filter(|(_, (_, e))| *e != 0 && now_ms > *e).take(budget).map(|(k, _)| k.clone()).collect();
        let n = dead.len();
        for k in dead {
            if let Some((v, _)) = self.remove(&k) {
                f(&k, v);
            }
        }
        (self.expires.min(budget).max(n), n)
    }
    pub fn clear(&mut self) {
        self.map.clear();
        self.expires = 0;
    }
    pub fn memory_bytes(&self) -> usize {
        self.map.capacity() * (std::mem::size_of::<(Vec<u8>, (V, u64))>() + 1)
    }
    pub fn segment_count(&self) -> usize {
        1
    }
    pub fn iter(&self) -> impl Iterator<Item = (&[u8], &V, u64)> {
        self.map.iter().map(|(k, (v, e))| (k.as_slice(), v, *e))
    }
}
