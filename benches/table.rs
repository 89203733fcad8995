//! The keyspace table against a plain `hashbrown::HashMap<Vec<u8>, u64>`, both holding 1M keys
//! of 16 bytes (`key:%012d`): get hit, get miss, overwrite, and insert-new-then-remove (so the
//! size stays put). Keys are looked up in a shuffled order so that misses in cache count as they
//! would on a server.
//!
//! `cargo bench --bench table`

use std::hint::black_box;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, BatchSize, Criterion};
use shardis::store::table::Table;

const KEYS: u64 = 1_000_000;

fn key(n: u64) -> [u8; 16] {
    let mut k = *b"key:000000000000";
    let mut n = n;
    for b in k[4..].iter_mut().rev() {
        *b = b'0' + (n % 10) as u8;
        n /= 10;
    }
    k
}

/// A fixed pseudo-random permutation of `0..n` steps (an odd multiplier modulo a power of two
/// that covers n, skipping what is past n).
struct Walk {
    i: u64,
    n: u64,
}

impl Walk {
    fn next(&mut self) -> u64 {
        loop {
            self.i = self.i.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407) & ((1 << 21) - 1);
            if self.i < self.n {
                return self.i;
            }
        }
    }
}

fn bench(c: &mut Criterion) {
    let mut table: Table<u64> = Table::new();
    let mut map: hashbrown::HashMap<Vec<u8>, u64> = hashbrown::HashMap::new();
    for n in 0..KEYS {
        table.insert(&key(n), n, 0);
        map.insert(key(n).to_vec(), n);
    }

    let mut g = c.benchmark_group("table-1M");
    g.warm_up_time(Duration::from_secs(1)).measurement_time(Duration::from_secs(3));

    let mut w = Walk { i: 1, n: KEYS };
    g.bench_function("get_hit/Table", |b| b.iter(|| black_box(table.get(&key(w.next())))));
    g.bench_function("get_hit/HashMap", |b| b.iter(|| black_box(map.get(&key(w.next())[..]))));

    g.bench_function("get_miss/Table", |b| b.iter(|| black_box(table.get(&key(KEYS + w.next())))));
    g.bench_function("get_miss/HashMap", |b| b.iter(|| black_box(map.get(&key(KEYS + w.next())[..]))));

    g.bench_function("overwrite/Table", |b| b.iter(|| black_box(table.insert(&key(w.next()), 7, 0))));
    g.bench_function("overwrite/HashMap", |b| b.iter(|| black_box(map.insert(key(w.next()).to_vec(), 7))));

    g.bench_function("insert_new_remove/Table", |b| {
        b.iter_batched(
            || key(KEYS + w.next()),
            |k| {
                table.insert(&k, 1, 0);
                black_box(table.remove(&k))
            },
            BatchSize::SmallInput,
        )
    });
    g.bench_function("insert_new_remove/HashMap", |b| {
        b.iter_batched(
            || key(KEYS + w.next()),
            |k| {
                map.insert(k.to_vec(), 1);
                black_box(map.remove(&k[..]))
            },
            BatchSize::SmallInput,
        )
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
