//! Blocking pops under concurrency, with lists on every shard: every item is delivered exactly
//! once (none lost, none twice), whether it was pushed alone or inside MULTI/EXEC, whether the
//! consumer that gets it waits on one list or on all of them, and while other consumers time
//! out or disconnect mid-way (those half-close and read what was sent before the server saw
//! them go: an item served to a client before it left counts as delivered to it, as in Redis).
//!
//! Checked against the mechanism switched off: serving a remote waiter by popping at once and
//! sending the element to the waiter's home (dropped there if the client was served meanwhile or
//! gone, instead of offer, reserve, then pop) loses items in `every_item_is_delivered_exactly_once`
//! and `a_client_blocked_on_three_shards_...` within the first run, and, with a disconnecting
//! client's registrations not cancelled either, in
//! `a_client_that_disconnects_while_blocked_is_never_served` in its first round.

mod common;
use common::*;

use std::collections::HashMap;
use std::io::{Read, Write};
use std::net::{Shutdown, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// One list on each shard.
fn lists() -> Vec<String> {
    (0..SHARDS).map(|s| key_on_shard("queue:", s, SHARDS)).collect()
}

/// Items from a BLPOP/BRPOP/BLMPOP reply (None: timed out).
fn items_of(reply: redis::Value) -> Option<Vec<String>> {
    use redis::Value::*;
    let as_string = |v: &redis::Value| match v {
        BulkString(b) => String::from_utf8(b.clone()).unwrap(),
        other => panic!("unexpected item {other:?}"),
    };
    match reply {
        Nil => None,
        Array(parts) if parts.len() == 2 => match &parts[1] {
            Array(items) => Some(items.iter().map(as_string).collect()),
            single => Some(vec![as_string(single)]),
        },
        other => panic!("unexpected reply {other:?}"),
    }
}

#[test]
fn every_item_is_delivered_exactly_once() {
    let server = Proc::shardis(&[]);
    let lists = lists();
    const PRODUCERS: usize = 3;
    const PER_PRODUCER: usize = 1500;
    let produced = Arc::new(AtomicUsize::new(0));
    let done = Arc::new(AtomicBool::new(false));
    let delivered: Arc<Mutex<HashMap<String, usize>>> = Arc::default();
    let mut threads = Vec::new();

    // Consumers that wait on every list, each with its own command and key order.
    for c in 0..4 {
        let mut con = server.client();
        let (lists, done, delivered) = (lists.clone(), done.clone(), delivered.clone());
        threads.push(std::thread::spawn(move || {
            let mut order = lists.clone();
            order.rotate_left(c % SHARDS);
            loop {
                let mut cmd = match c % 3 {
                    0 => redis::cmd("BLPOP"),
                    1 => redis::cmd("BRPOP"),
                    _ => {
                        let mut cmd = redis::cmd("BLMPOP");
                        cmd.arg(0.3).arg(order.len());
                        cmd
                    }
                };
                cmd.arg(&order);
                if c % 3 == 2 {
                    cmd.arg("LEFT").arg("COUNT").arg(3);
                } else {
                    cmd.arg(0.3);
                }
                match items_of(cmd.query(&mut con).unwrap()) {
                    Some(items) => {
                        let mut d = delivered.lock().unwrap();
                        for item in items {
                            *d.entry(item).or_default() += 1;
                        }
                    }
                    None if done.load(Ordering::SeqCst) => return,
                    None => {}
                }
            }
        }));
    }
    // Consumers that time out in the middle of the traffic (very short timeouts): each reply
    // is either nil or an item, and an item counts as delivered.
    for c in 0..2 {
        let mut con = server.client();
        let (lists, done, delivered) = (lists.clone(), done.clone(), delivered.clone());
        threads.push(std::thread::spawn(move || {
            while !done.load(Ordering::SeqCst) {
                let reply = redis::cmd("BRPOP").arg(&lists[c..]).arg(0.001).query(&mut con).unwrap();
                if let Some(items) = items_of(reply) {
                    let mut d = delivered.lock().unwrap();
                    for item in items {
                        *d.entry(item).or_default() += 1;
                    }
                }
            }
        }));
    }
    // Consumers that block on every list and then leave (half-closing, then reading what was
    // sent before the server saw them go): an item served to one before it left counts as
    // delivered; after it left, none may be served to it.
    for q in 0..2 {
        let (lists, done, delivered, port) = (lists.clone(), done.clone(), delivered.clone(), server.port);
        threads.push(std::thread::spawn(move || {
            let mut rng = fastrand::Rng::with_seed(q);
            while !done.load(Ordering::SeqCst) {
                let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
                let mut args = vec!["BLPOP"];
                args.extend(lists.iter().map(|l| l.as_str()));
                args.push("0");
                send(&mut s, &args);
                std::thread::sleep(Duration::from_micros(rng.u64(0..3000)));
                s.shutdown(Shutdown::Write).unwrap();
                s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
                let mut got = Vec::new();
                s.read_to_end(&mut got).unwrap();
                if !got.is_empty() {
                    let (head, items) = flat(&got);
                    assert_eq!(head, b'*', "{}", s_(&got));
                    *delivered.lock().unwrap().entry(String::from_utf8(items[1].clone()).unwrap()).or_default() += 1;
                }
            }
        }));
    }
    // Producers: single pushes to one list, and MULTI/EXEC pushing to two lists of two shards.
    let mut producers = Vec::new();
    for p in 0..PRODUCERS {
        let mut con = server.client();
        let (lists, produced) = (lists.clone(), produced.clone());
        producers.push(std::thread::spawn(move || {
            let mut seq = 0;
            while seq < PER_PRODUCER {
                let list = &lists[(seq + p) % lists.len()];
                if seq % 5 == 4 && seq + 1 < PER_PRODUCER {
                    let other = &lists[(seq + p + 1) % lists.len()];
                    let (a, b) = (format!("p{p}:{seq}"), format!("p{p}:{}", seq + 1));
                    let _: () = redis::pipe().atomic().lpush(list, &a).rpush(other, &b).query(&mut con).unwrap();
                    seq += 2;
                    produced.fetch_add(2, Ordering::SeqCst);
                } else {
                    let _: () = redis::cmd("LPUSH").arg(list).arg(format!("p{p}:{seq}")).query(&mut con).unwrap();
                    seq += 1;
                    produced.fetch_add(1, Ordering::SeqCst);
                }
            }
        }));
    }
    for t in producers {
        t.join().unwrap();
    }
    // Everything pushed is delivered soon after the producers stop.
    let total = produced.load(Ordering::SeqCst);
    let deadline = Instant::now() + Duration::from_secs(20);
    while delivered.lock().unwrap().len() < total && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    done.store(true, Ordering::SeqCst);
    for t in threads {
        t.join().unwrap();
    }
    let delivered = delivered.lock().unwrap();
    let twice: Vec<_> = delivered.iter().filter(|(_, n)| **n > 1).collect();
    assert!(twice.is_empty(), "delivered more than once: {twice:?}");
    let mut con = server.client();
    let left: usize = lists.iter().map(|l| redis::cmd("LLEN").arg(l).query::<usize>(&mut con).unwrap()).sum();
    assert_eq!(left, 0, "items left in the lists");
    assert_eq!(delivered.len(), total, "items lost: {} of {total} delivered", delivered.len());
}

fn s_(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Sends a command on a raw socket without reading its reply.
fn send(stream: &mut TcpStream, args: &[&str]) {
    let mut buf = format!("*{}\r\n", args.len());
    for a in args {
        buf.push_str(&format!("${}\r\n{a}\r\n", a.len()));
    }
    stream.write_all(buf.as_bytes()).unwrap();
}

fn blocked_clients(con: &mut redis::Connection) -> usize {
    let info: String = redis::cmd("INFO").arg("clients").query(con).unwrap();
    info.lines().find_map(|l| l.strip_prefix("blocked_clients:")).unwrap().trim().parse().unwrap()
}

fn wait_blocked(con: &mut redis::Connection, n: usize) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while blocked_clients(con) != n {
        assert!(Instant::now() < deadline, "blocked_clients never reached {n}");
        std::thread::sleep(Duration::from_millis(5));
    }
}

#[test]
fn a_client_that_disconnects_while_blocked_is_never_served() {
    let server = Proc::shardis(&[]);
    let lists = lists();
    let mut con = server.client();
    for round in 0..20 {
        // Clients (on whatever shards the kernel puts them) block on every list, then go.
        let mut quitters: Vec<TcpStream> =
            (0..6).map(|_| TcpStream::connect(("127.0.0.1", server.port)).unwrap()).collect();
        for (i, q) in quitters.iter_mut().enumerate() {
            let mut args = vec!["BLPOP"];
            args.extend(lists.iter().cycle().skip(i).take(lists.len()).map(|s| s.as_str()));
            args.push("0");
            send(q, &args);
        }
        wait_blocked(&mut con, quitters.len());
        for q in &quitters {
            q.shutdown(Shutdown::Both).unwrap();
        }
        drop(quitters);
        wait_blocked(&mut con, 0);
        // Items pushed now stay for a live consumer.
        for (i, list) in lists.iter().enumerate() {
            let _: () = redis::cmd("RPUSH").arg(list).arg(format!("r{round}:{i}")).query(&mut con).unwrap();
        }
        for (i, list) in lists.iter().enumerate() {
            let got: Vec<String> = redis::cmd("LRANGE").arg(list).arg(0).arg(-1).query(&mut con).unwrap();
            assert_eq!(got, vec![format!("r{round}:{i}")], "round {round}");
        }
        let mut got = Vec::new();
        for _ in 0..lists.len() {
            got.extend(items_of(redis::cmd("BLPOP").arg(&lists).arg(1).query(&mut con).unwrap()).unwrap());
        }
        assert_eq!(got.len(), lists.len());
    }
}

#[test]
fn a_client_blocked_on_three_shards_is_served_once_by_pushes_on_all_three() {
    let server = Proc::shardis(&[]);
    let lists = lists();
    let mut con = server.client();
    for round in 0..30 {
        let mut waiter = TcpStream::connect(("127.0.0.1", server.port)).unwrap();
        let mut args = vec!["BLPOP"];
        args.extend(lists[..3].iter().map(|s| s.as_str()));
        args.push("0");
        send(&mut waiter, &args);
        wait_blocked(&mut con, 1);
        // Three pushers, one per shard, at once.
        let pushers: Vec<_> = lists[..3]
            .iter()
            .map(|l| {
                let mut c = server.client();
                let l = l.clone();
                std::thread::spawn(move || redis::cmd("RPUSH").arg(&l).arg("x").query::<i64>(&mut c).unwrap())
            })
            .collect();
        for p in pushers {
            p.join().unwrap();
        }
        waiter.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
        let mut reply = vec![0u8; 256];
        let n = waiter.read(&mut reply).unwrap();
        assert!(reply[..n].starts_with(b"*2\r\n"), "round {round}: {:?}", s(&reply[..n]));
        let left: i64 = lists[..3].iter().map(|l| redis::cmd("LLEN").arg(l).query::<i64>(&mut con).unwrap()).sum();
        assert_eq!(left, 2, "round {round}: one element served, two left");
        for l in &lists {
            let _: () = redis::cmd("DEL").arg(l).query(&mut con).unwrap();
        }
    }
}
