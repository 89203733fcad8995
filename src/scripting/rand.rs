//! The generator behind `math.random` in Redis's Lua: the 48-bit linear congruential generator
//! of POSIX `lrand48` (x' = 0x5DEECE66D x + 0xB mod 2^48, output the top 31 bits), seeded as
//! `srand48` seeds it. Redis 7.0 seeds it once, with 0, and never again for each script, so
//! what a script draws depends on what earlier scripts drew. shardis keeps one generator per
//! shard, in that shard's VM: a script sees the sequence of the shard it runs on (the owner of
//! its keys, or the connection's shard for a script without keys). With one shard that is
//! exactly Redis's sequence.

const A: u64 = 0x5_DEEC_E66D;
const C: u64 = 0xB;
const MASK: u64 = (1 << 48) - 1;
/// Redis's REDIS_LRAND48_MAX (INT32_MAX).
pub const MAX: i64 = i32::MAX as i64;

#[derive(Clone, Copy, Debug)]
pub struct Rand48 {
    x: u64,
}

impl Rand48 {
    /// srand48(seed): the high 32 bits of the state are the seed, the low 16 are 0x330E.
    pub fn seeded(seed: i32) -> Self {
        Rand48 { x: (((seed as u32 as u64) << 16) | 0x330E) & MASK }
    }

    /// lrand48(): the next value in [0, 2^31).
    pub fn draw(&mut self) -> i64 {
        self.x = (A.wrapping_mul(self.x).wrapping_add(C)) & MASK;
        (self.x >> 17) as i64
    }

    /// math.random's base value in [0, 1), as Redis's patched Lua computes it.
    pub fn unit(&mut self) -> f64 {
        (self.draw() % MAX) as f64 / MAX as f64
    }
}

impl Default for Rand48 {
    fn default() -> Self {
        Rand48::seeded(0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_lrand48() {
        // glibc: srand48(0); lrand48() x3
        let mut r = Rand48::seeded(0);
        assert_eq!([r.draw(), r.draw(), r.draw()], [366850414, 1610402240, 206956554]);
    }
}
