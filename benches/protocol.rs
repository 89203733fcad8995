//! Protocol layer benchmarks.
//!
//! Each group parses the same bytes two ways: `parse` runs `parse_command`
//! over the whole pipeline, `memchr_scan` only counts the line feeds with
//! `memchr` (a floor: the cost of touching the bytes at all), so the
//! difference is the parser's own cost. Throughput is in commands.

use criterion::{black_box, criterion_group, criterion_main, Criterion, Throughput};
use shardis::protocol::{parse_command, Args, Limits, Out};

const PIPELINE: usize = 16;

fn multibulk(args: &[&[u8]]) -> Vec<u8> {
    let mut v = format!("*{}\r\n", args.len()).into_bytes();
    for a in args {
        v.extend_from_slice(format!("${}\r\n", a.len()).as_bytes());
        v.extend_from_slice(a);
        v.extend_from_slice(b"\r\n");
    }
    v
}

fn pipeline(cmd: &[u8]) -> Vec<u8> {
    cmd.repeat(PIPELINE)
}

/// Parses every command in `buf`; returns the total argument count so the
/// work cannot be optimised away.
fn parse_all(buf: &[u8], limits: &Limits, args: &mut Args) -> usize {
    let mut pos = 0;
    let mut total = 0;
    while pos < buf.len() {
        match parse_command(&buf[pos..], limits, args) {
            Ok(n) => {
                total += args.len();
                pos += n;
            }
            Err(_) => break,
        }
    }
    total
}

fn memchr_scan(buf: &[u8]) -> usize {
    memchr::memchr_iter(b'\n', buf).count()
}

fn bench_pair(c: &mut Criterion, name: &str, buf: &[u8], commands: usize) {
    let limits = Limits::default();
    let mut args = Args::default();
    // Sanity: the buffer holds exactly `commands` complete commands.
    let mut n = 0;
    let mut pos = 0;
    while pos < buf.len() {
        pos += parse_command(&buf[pos..], &limits, &mut args).expect("valid benchmark input");
        n += 1;
    }
    assert_eq!(n, commands);

    let mut group = c.benchmark_group(name);
    group.throughput(Throughput::Elements(commands as u64));
    group.bench_function("parse", |b| b.iter(|| parse_all(black_box(buf), &limits, &mut args)));
    group.bench_function("memchr_scan", |b| b.iter(|| memchr_scan(black_box(buf))));
    group.finish();
}

fn parse_benches(c: &mut Criterion) {
    let get = pipeline(&multibulk(&[b"GET", b"key:000123"]));
    bench_pair(c, "get_pipeline16", &get, PIPELINE);

    let value = [b'v'; 32];
    let set = pipeline(&multibulk(&[b"SET", b"key:000123", &value]));
    bench_pair(c, "set_pipeline16", &set, PIPELINE);

    let ping = pipeline(&multibulk(&[b"PING"]));
    bench_pair(c, "ping_pipeline16", &ping, PIPELINE);

    bench_pair(c, "ping_inline", b"PING\r\n", 1);
    bench_pair(c, "ping_inline_pipeline16", &pipeline(b"PING\r\n"), PIPELINE);
}

fn encode_benches(c: &mut Criterion) {
    let mut group = c.benchmark_group("encode16");
    group.throughput(Throughput::Elements(PIPELINE as u64));
    let mut out = Out::with_capacity(4096, false);
    let value = [b'v'; 32];
    group.bench_function("bulk32", |b| {
        b.iter(|| {
            out.clear();
            for _ in 0..PIPELINE {
                out.bulk(black_box(&value));
            }
            out.len()
        })
    });
    group.bench_function("int", |b| {
        b.iter(|| {
            out.clear();
            for i in 0..PIPELINE as i64 {
                out.int(black_box(i * 1000));
            }
            out.len()
        })
    });
    group.bench_function("double", |b| {
        b.iter(|| {
            out.clear();
            for i in 0..PIPELINE {
                out.double(black_box(i as f64 + 0.1));
            }
            out.len()
        })
    });
    group.finish();
}

criterion_group!(benches, parse_benches, encode_benches);
criterion_main!(benches);
