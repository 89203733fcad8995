//! A load generator for what redis-benchmark cannot send: transactions (MULTI ... EXEC as one
//! unit) and a job queue (consumers blocked in BRPOP, producers LPUSHing). Used by
//! `scripts/bench-tx.sh`; prints one line: `<units> <seconds> <p50 ms> <p99 ms>`.
//!
//! `loadgen tx PORT CONNS PIPELINE REQUESTS SHARDS` sends REQUESTS transactions
//! `MULTI; SET k1 v; INCR k2; LPUSH k3 v; EXEC`, PIPELINE transactions at a time per
//! connection; each connection has its own three keys, on three different shards of a server
//! with SHARDS shards (all on the one with 1), so transactions cross shards without all of them
//! contending for the same keys. `loadgen queue PORT CONSUMERS PRODUCERS MESSAGES`
//! runs CONSUMERS clients in `BRPOP q 0` and PRODUCERS clients pushing MESSAGES in all; the
//! latency is from each producer's LPUSH reply (the queue's own speed is the message rate).
//! `loadgen pubsub PORT SUBSCRIBERS MESSAGES PIPELINE` subscribes SUBSCRIBERS clients to one
//! channel, then one publisher sends MESSAGES PUBLISHes, PIPELINE at a time; a unit is one
//! delivered message (MESSAGES x SUBSCRIBERS), the latency is the publisher's.
//! `loadgen tracked PORT CONNS REQUESTS PIPELINE TRACK` sends REQUESTS GETs of random keys
//! (100k of them), PIPELINE at a time per connection, each connection in CLIENT TRACKING
//! first when TRACK is 1: what remembering every read key costs.
//! `loadgen group PORT CONNS COUNT` runs CONNS consumers of group `g` of stream `bench:stream`
//! (created and filled beforehand), each looping `XREADGROUP GROUP g cN COUNT COUNT STREAMS
//! bench:stream >` then `XACK` of the IDs it got, until the group has read everything; a unit
//! is one XREADGROUP + XACK pair, the latency that of the pair.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

fn encode(args: &[&str], out: &mut Vec<u8>) {
    out.extend_from_slice(format!("*{}\r\n", args.len()).as_bytes());
    for a in args {
        out.extend_from_slice(format!("${}\r\n{a}\r\n", a.len()).as_bytes());
    }
}

/// Reads one whole reply (any RESP2 type, nested), discarding it.
fn skip_reply(r: &mut BufReader<TcpStream>, line: &mut Vec<u8>) {
    line.clear();
    r.read_until(b'\n', line).expect("reply");
    let n: i64 = std::str::from_utf8(&line[1..line.len() - 2]).ok().and_then(|s| s.parse().ok()).unwrap_or(0);
    match line[0] {
        b'$' if n >= 0 => {
            let mut body = vec![0u8; n as usize + 2];
            r.read_exact(&mut body).expect("bulk");
        }
        b'*' => {
            for _ in 0..n.max(0) {
                skip_reply(r, line);
            }
        }
        _ => {}
    }
}

fn connect(port: u16) -> (TcpStream, BufReader<TcpStream>) {
    let s = TcpStream::connect(("127.0.0.1", port)).expect("connect");
    s.set_nodelay(true).unwrap();
    let r = BufReader::with_capacity(64 * 1024, s.try_clone().unwrap());
    (s, r)
}

fn percentile(sorted: &[Duration], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let i = ((sorted.len() as f64 * p) as usize).min(sorted.len() - 1);
    sorted[i].as_secs_f64() * 1000.0
}

/// Prints the result line: `units`, the seconds since `start`, p50 and p99 of `lat` (ms).
fn report(units: usize, start: Instant, mut lat: Vec<Duration>) {
    let secs = start.elapsed().as_secs_f64();
    lat.sort();
    println!("{units} {secs:.3} {:.3} {:.3}", percentile(&lat, 0.5), percentile(&lat, 0.99));
}

/// Joins the threads and gathers the latencies they measured.
fn joined(threads: Vec<std::thread::JoinHandle<Vec<Duration>>>) -> Vec<Duration> {
    threads.into_iter().flat_map(|t| t.join().unwrap()).collect()
}

/// Three keys for connection `c`: key j on shard j (mod `shards`).
fn keys_for(c: usize, shards: usize) -> Vec<String> {
    (0..3)
        .map(|j| {
            (0..)
                .map(|i| format!("bench:{c}:{j}:{i}"))
                .find(|k| shards == 1 || shardis::shard::route::key_shard(k.as_bytes(), shards) == j % shards)
                .expect("some key lands on every shard")
        })
        .collect()
}

/// Takes up to `most` of the requests `left` (0: none left).
fn take(left: &AtomicUsize, most: usize) -> usize {
    let mut n = 0;
    while n < most && left.fetch_update(Ordering::Relaxed, Ordering::Relaxed, |n| n.checked_sub(1)).is_ok() {
        n += 1;
    }
    n
}

fn tx(port: u16, conns: usize, pipeline: usize, requests: usize, shards: usize) {
    let left = Arc::new(AtomicUsize::new(requests));
    let start = Instant::now();
    let threads: Vec<_> = (0..conns)
        .map(|c| {
            let (left, keys) = (left.clone(), keys_for(c, shards));
            std::thread::spawn(move || {
                let (mut s, mut r) = connect(port);
                let (mut buf, mut line, mut lat) = (Vec::new(), Vec::new(), Vec::new());
                loop {
                    let batch = take(&left, pipeline);
                    if batch == 0 {
                        return lat;
                    }
                    buf.clear();
                    for _ in 0..batch {
                        encode(&["MULTI"], &mut buf);
                        encode(&["SET", &keys[0], "value"], &mut buf);
                        encode(&["INCR", &keys[1]], &mut buf);
                        encode(&["LPUSH", &keys[2], "item"], &mut buf);
                        encode(&["EXEC"], &mut buf);
                    }
                    let t = Instant::now();
                    s.write_all(&buf).unwrap();
                    for _ in 0..batch * 5 {
                        skip_reply(&mut r, &mut line);
                    }
                    lat.push(t.elapsed());
                }
            })
        })
        .collect();
    report(requests, start, joined(threads));
}

fn queue(port: u16, consumers: usize, producers: usize, messages: usize) {
    let got = Arc::new(AtomicUsize::new(0));
    let start = Instant::now();
    let consumer_threads: Vec<_> = (0..consumers)
        .map(|_| {
            let got = got.clone();
            std::thread::spawn(move || {
                let (mut s, mut r) = connect(port);
                let (mut buf, mut line) = (Vec::new(), Vec::new());
                encode(&["BRPOP", "bench:queue", "1"], &mut buf);
                loop {
                    s.write_all(&buf).unwrap();
                    line.clear();
                    r.read_until(b'\n', &mut line).unwrap();
                    if line.starts_with(b"*-1") {
                        if got.load(Ordering::Relaxed) >= messages {
                            return;
                        }
                        continue;
                    }
                    for _ in 0..2 {
                        skip_reply(&mut r, &mut line);
                    }
                    got.fetch_add(1, Ordering::Relaxed);
                }
            })
        })
        .collect();
    let per = messages / producers;
    let producer_threads: Vec<_> = (0..producers)
        .map(|p| {
            std::thread::spawn(move || {
                let (mut s, mut r) = connect(port);
                let (mut buf, mut line, mut lat) = (Vec::new(), Vec::new(), Vec::new());
                for i in 0..per {
                    buf.clear();
                    encode(&["LPUSH", "bench:queue", &format!("job:{p}:{i}")], &mut buf);
                    let t = Instant::now();
                    s.write_all(&buf).unwrap();
                    skip_reply(&mut r, &mut line);
                    lat.push(t.elapsed());
                }
                lat
            })
        })
        .collect();
    let mut lat = joined(producer_threads);
    while got.load(Ordering::Relaxed) < per * producers {
        std::thread::sleep(Duration::from_millis(1));
    }
    let secs = start.elapsed().as_secs_f64();
    for t in consumer_threads {
        t.join().unwrap();
    }
    lat.sort();
    println!("{} {secs:.3} {:.3} {:.3}", per * producers, percentile(&lat, 0.5), percentile(&lat, 0.99));
}

fn pubsub(port: u16, subscribers: usize, messages: usize, pipeline: usize) {
    let ready = Arc::new(AtomicUsize::new(0));
    let readers: Vec<_> = (0..subscribers)
        .map(|_| {
            let ready = ready.clone();
            std::thread::spawn(move || {
                let (mut s, mut r) = connect(port);
                let (mut buf, mut line) = (Vec::new(), Vec::new());
                encode(&["SUBSCRIBE", "bench:channel"], &mut buf);
                s.write_all(&buf).unwrap();
                skip_reply(&mut r, &mut line);
                ready.fetch_add(1, Ordering::Relaxed);
                for _ in 0..messages {
                    skip_reply(&mut r, &mut line);
                }
            })
        })
        .collect();
    while ready.load(Ordering::Relaxed) < subscribers {
        std::thread::sleep(Duration::from_millis(1));
    }
    let start = Instant::now();
    let (mut s, mut r) = connect(port);
    let (mut buf, mut line, mut lat) = (Vec::new(), Vec::new(), Vec::new());
    let mut sent = 0;
    while sent < messages {
        let batch = pipeline.min(messages - sent);
        buf.clear();
        for i in sent..sent + batch {
            encode(&["PUBLISH", "bench:channel", &format!("message:{i}")], &mut buf);
        }
        let t = Instant::now();
        s.write_all(&buf).unwrap();
        for _ in 0..batch {
            skip_reply(&mut r, &mut line);
        }
        lat.push(t.elapsed());
        sent += batch;
    }
    for t in readers {
        t.join().unwrap();
    }
    report(messages * subscribers, start, lat);
}

fn tracked(port: u16, conns: usize, requests: usize, pipeline: usize, track: bool) {
    let left = Arc::new(AtomicUsize::new(requests));
    let start = Instant::now();
    let threads: Vec<_> = (0..conns)
        .map(|c| {
            let left = left.clone();
            std::thread::spawn(move || {
                let (mut s, mut r) = connect(port);
                let (mut buf, mut line, mut lat) = (Vec::new(), Vec::new(), Vec::new());
                if track {
                    encode(&["CLIENT", "TRACKING", "ON"], &mut buf);
                    s.write_all(&buf).unwrap();
                    skip_reply(&mut r, &mut line);
                }
                let mut seed = (c as u64 + 1).wrapping_mul(0x9e37_79b9_7f4a_7c15);
                loop {
                    let batch = take(&left, pipeline);
                    if batch == 0 {
                        return lat;
                    }
                    buf.clear();
                    for _ in 0..batch {
                        seed ^= seed << 13;
                        seed ^= seed >> 7;
                        seed ^= seed << 17;
                        encode(&["GET", &format!("key:{}", seed % 100_000)], &mut buf);
                    }
                    let t = Instant::now();
                    s.write_all(&buf).unwrap();
                    for _ in 0..batch {
                        skip_reply(&mut r, &mut line);
                    }
                    lat.push(t.elapsed());
                }
            })
        })
        .collect();
    report(requests, start, joined(threads));
}

/// Reads one reply and returns the stream IDs of the entries in an XREADGROUP reply
/// (`[[key, [[id, fields] ...]]]`); None for a null reply.
fn read_ids(r: &mut BufReader<TcpStream>, line: &mut Vec<u8>) -> Option<Vec<String>> {
    let header = |r: &mut BufReader<TcpStream>, line: &mut Vec<u8>| -> i64 {
        line.clear();
        r.read_until(b'\n', line).expect("reply");
        std::str::from_utf8(&line[1..line.len() - 2]).ok().and_then(|s| s.parse().ok()).unwrap_or(0)
    };
    if header(r, line) < 0 {
        return None;
    }
    header(r, line); // [key, entries]
    skip_reply(r, line); // key
    let n = header(r, line);
    let mut ids = Vec::with_capacity(n.max(0) as usize);
    for _ in 0..n {
        header(r, line); // [id, fields]
        let len = header(r, line);
        let mut id = vec![0u8; len as usize + 2];
        r.read_exact(&mut id).expect("id");
        id.truncate(len as usize);
        ids.push(String::from_utf8(id).expect("ASCII id"));
        skip_reply(r, line);
    }
    Some(ids)
}

fn group(port: u16, conns: usize, count: usize) {
    let start = Instant::now();
    let threads: Vec<_> = (0..conns)
        .map(|c| {
            std::thread::spawn(move || {
                let (mut s, mut r) = connect(port);
                let (mut buf, mut line, mut lat) = (Vec::new(), Vec::new(), Vec::new());
                let (consumer, count) = (format!("c{c}"), count.to_string());
                loop {
                    let t = Instant::now();
                    buf.clear();
                    encode(
                        &["XREADGROUP", "GROUP", "g", &consumer, "COUNT", &count, "STREAMS", "bench:stream", ">"],
                        &mut buf,
                    );
                    s.write_all(&buf).unwrap();
                    let Some(ids) = read_ids(&mut r, &mut line) else { return lat };
                    buf.clear();
                    let mut args = vec!["XACK", "bench:stream", "g"];
                    args.extend(ids.iter().map(String::as_str));
                    encode(&args, &mut buf);
                    s.write_all(&buf).unwrap();
                    skip_reply(&mut r, &mut line);
                    lat.push(t.elapsed());
                }
            })
        })
        .collect();
    let lat = joined(threads);
    report(lat.len(), start, lat);
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let num = |i: usize| -> usize { args.get(i).and_then(|a| a.parse().ok()).expect("a number argument") };
    match args.get(1).map(String::as_str) {
        Some("tx") => tx(num(2) as u16, num(3), num(4), num(5), num(6)),
        Some("queue") => queue(num(2) as u16, num(3), num(4), num(5)),
        Some("pubsub") => pubsub(num(2) as u16, num(3), num(4), num(5)),
        Some("tracked") => tracked(num(2) as u16, num(3), num(4), num(5), num(6) == 1),
        Some("group") => group(num(2) as u16, num(3), num(4)),
        _ => {
            eprintln!("usage: loadgen tx PORT CONNS PIPELINE REQUESTS SHARDS | loadgen queue PORT CONSUMERS PRODUCERS MESSAGES | loadgen pubsub PORT SUBSCRIBERS MESSAGES PIPELINE | loadgen tracked PORT CONNS REQUESTS PIPELINE TRACK | loadgen group PORT CONNS COUNT");
            std::process::exit(2);
        }
    }
}
