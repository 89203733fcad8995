//! Key -> hash slot -> shard.
//!
//! The slot function is Redis Cluster's: CRC16/XMODEM of the key (or of its `{hash tag}`) mod 16384.
//! Using it inside the process means hash tags co-locate keys for multi-key commands, and a
//! multi-node cluster mode can later sit on top without re-hashing anything.

use crc::{Crc, CRC_16_XMODEM};

/// Number of hash slots, as in Redis Cluster.
pub const SLOTS: usize = 16384;

const CRC16: Crc<u16> = Crc::<u16>::new(&CRC_16_XMODEM);

/// The hash slot of `key`, honouring `{hash tags}` exactly as Redis Cluster does: if the key has a
/// `{` followed later by a `}` with at least one byte between them, only those bytes are hashed.
pub fn key_slot(key: &[u8]) -> u16 {
    let hashed = match memchr::memchr(b'{', key) {
        Some(open) => match memchr::memchr(b'}', &key[open + 1..]) {
            Some(len) if len > 0 => &key[open + 1..open + 1 + len],
            _ => key,
        },
        None => key,
    };
    CRC16.checksum(hashed) & (SLOTS as u16 - 1)
}

/// The shard that owns `slot` when the process runs `shards` shards. Each shard owns one
/// contiguous range of slots, so a later cluster mode can hand out ranges unchanged.
pub fn slot_shard(slot: u16, shards: usize) -> usize {
    slot as usize * shards / SLOTS
}

/// The shard that owns `key`.
pub fn key_shard(key: &[u8], shards: usize) -> usize {
    slot_shard(key_slot(key), shards)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slots_match_redis_cluster() {
        // Values from CLUSTER KEYSLOT on Redis 7.0.
        assert_eq!(key_slot(b"foo"), 12182);
        assert_eq!(key_slot(b"bar"), 5061);
        assert_eq!(key_slot(b"123456789"), 12739);
        assert_eq!(key_slot(b""), 0);
    }

    #[test]
    fn hash_tags() {
        assert_eq!(key_slot(b"{user1000}.following"), key_slot(b"user1000"));
        assert_eq!(key_slot(b"{user1000}.followers"), key_slot(b"user1000"));
        // An empty tag hashes the whole key.
        assert_eq!(key_slot(b"foo{}{bar}"), CRC16.checksum(b"foo{}{bar}") & 16383);
        // Only the first `{` counts, up to the first `}` after it.
        assert_eq!(key_slot(b"foo{{bar}}zap"), key_slot(b"{bar"));
        assert_eq!(key_slot(b"foo{bar}{zap}"), key_slot(b"bar"));
        assert_eq!(key_slot(b"no}tag{"), CRC16.checksum(b"no}tag{") & 16383);
    }

    #[test]
    fn every_shard_owns_a_contiguous_range() {
        for shards in 1..=8 {
            let mut last = 0;
            for slot in 0..SLOTS as u16 {
                let s = slot_shard(slot, shards);
                assert!(s == last || s == last + 1);
                last = s;
            }
            assert_eq!(last, shards - 1);
        }
    }
}
