//! The big sorted-set encoding at 1k, 100k and 1M members (`m:%09d`, random scores): rank of a
//! member, member at a rank, a score seek plus the 10 entries after it (ZRANGE BYSCORE LIMIT 0
//! 10), a score change of an existing member (ZADD on it), and adding then removing a new member.
//! O(log n) operations should cost about the same at every size, up to cache misses.
//!
//! `cargo bench --bench zset`

use std::hint::black_box;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, BatchSize, Criterion};
use shardis::store::zset::{Limits, ZSet};

fn member(n: usize) -> Vec<u8> {
    format!("m:{n:09}").into_bytes()
}

fn bench(c: &mut Criterion) {
    for size in [1_000usize, 100_000, 1_000_000] {
        let mut rng = fastrand::Rng::with_seed(size as u64);
        let mut z = ZSet::default();
        for n in 0..size {
            z.add(&member(n), rng.f64() * 1e6, Limits::DEFAULT);
        }
        assert_eq!(z.encoding(), "skiplist");

        let mut g = c.benchmark_group(format!("zset-{size}"));
        g.warm_up_time(Duration::from_secs(1)).measurement_time(Duration::from_secs(2));
        g.bench_function("rank", |b| b.iter(|| black_box(z.rank(&member(rng.usize(..size))))));
        g.bench_function("at_rank", |b| b.iter(|| black_box(z.at_rank(rng.usize(..size)).1)));
        g.bench_function("seek_score_then_10", |b| {
            b.iter(|| {
                let min = rng.f64() * 1e6;
                let start = z.partition_point(|_, s| s < min);
                black_box(z.range(start, start + 10).len())
            })
        });
        g.bench_function("change_score", |b| {
            b.iter(|| black_box(z.add(&member(rng.usize(..size)), rng.f64() * 1e6, Limits::DEFAULT)))
        });
        g.bench_function("add_new_remove", |b| {
            b.iter_batched(
                || (member(size + rng.usize(..size)), rng.f64() * 1e6),
                |(m, score)| {
                    z.add(&m, score, Limits::DEFAULT);
                    black_box(z.remove(&m))
                },
                BatchSize::SmallInput,
            )
        });
        g.finish();
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
