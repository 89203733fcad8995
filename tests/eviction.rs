//! maxmemory with 4 shards: each policy takes the keys it should and leaves the ones it must,
//! noeviction and scripts answer Redis's -OOM (byte for byte against redis-server), OBJECT
//! FREQ counts, and keys skewed onto one shard may use the memory the others leave.

mod common;
use common::*;

use std::time::Duration;

fn info_field(con: &mut redis::Connection, section: &str, field: &str) -> u64 {
    let text: String = redis::cmd("INFO").arg(section).query(con).unwrap();
    let prefix = format!("{field}:");
    text.lines()
        .find_map(|l| l.strip_prefix(&prefix))
        .unwrap_or_else(|| panic!("no {field} in INFO {section}"))
        .trim()
        .parse()
        .unwrap()
}

fn used(con: &mut redis::Connection) -> u64 {
    info_field(con, "memory", "used_memory") - info_field(con, "memory", "mem_not_counted_for_evict")
}

fn evicted(con: &mut redis::Connection) -> u64 {
    info_field(con, "stats", "evicted_keys")
}

/// SETs `prefix:0..n` with `size`-byte values (and a TTL when `ttl` is not 0), pipelined.
fn fill(con: &mut redis::Connection, prefix: &str, n: usize, size: usize, ttl: u64) {
    let value = "v".repeat(size);
    for chunk in (0..n).collect::<Vec<_>>().chunks(500) {
        let mut pipe = redis::pipe();
        for i in chunk {
            let key = format!("{prefix}:{i}");
            if ttl == 0 {
                pipe.cmd("SET").arg(&key).arg(&value).ignore();
            } else {
                pipe.cmd("SET").arg(&key).arg(&value).arg("EX").arg(ttl).ignore();
            }
        }
        pipe.query::<()>(con).unwrap();
    }
}

fn surviving(con: &mut redis::Connection, prefix: &str, n: usize) -> usize {
    let keys: Vec<String> = (0..n).map(|i| format!("{prefix}:{i}")).collect();
    keys.chunks(500).map(|c| redis::cmd("EXISTS").arg(c).query::<usize>(con).unwrap()).sum()
}

/// What the count may read over the limit at rest: what threads have counted and not
/// published yet (32 KB each), and what INFO itself allocates to answer.
const SLACK: u64 = 512 << 10;

/// Waits until eviction has brought used memory under `limit` (it runs between commands).
fn settle(con: &mut redis::Connection, limit: u64) {
    for _ in 0..200 {
        if used(con) <= limit + SLACK {
            return;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    panic!("used_memory {} stays over {limit}", used(con));
}

#[test]
fn noeviction_answers_oom_to_writes_as_redis_does() {
    let cases: &[&[&str]] = &[&[
        "SET a 1",
        "CONFIG SET maxmemory 1",
        "SET b 2",
        "GET a",
        "INCR a",
        "EXISTS a",
        "MULTI",
        "GET a",
        "EXEC",
        "MULTI",
        "DISCARD",
        "EVAL return(redis.call('set','x','1')) 0",
        "EVAL redis.call('get','a');return(redis.call('set','x','1')) 0",
        "EVAL return(redis.call('get','a')) 0",
        "DEL a",
        "CONFIG SET maxmemory 0",
        "SET b 2",
    ]];
    run_cases_then(cases, &["CONFIG SET maxmemory 0"]);
}

#[test]
fn scripts_follow_their_allow_oom_flag() {
    let shardis = Proc::shardis(&["--shards", "4"]);
    let mut con = shardis.client();
    redis::cmd("CONFIG").arg("SET").arg("maxmemory").arg("1").query::<()>(&mut con).unwrap();
    let run = |con: &mut redis::Connection, body: &str| -> Result<String, String> {
        redis::cmd("EVAL").arg(body).arg(0).query::<String>(con).map_err(|e| e.to_string())
    };
    let err = run(&mut con, "#!lua\nreturn redis.call('get','a') or 'none'").unwrap_err();
    assert!(err.contains("command not allowed when used memory > 'maxmemory'."), "{err}");
    assert_eq!(run(&mut con, "#!lua flags=no-writes\nreturn redis.call('get','a') or 'none'"), Ok("none".into()));
    assert_eq!(run(&mut con, "#!lua flags=allow-oom\nreturn redis.call('set','a','1')"), Ok("OK".into()));
    redis::cmd("CONFIG").arg("SET").arg("maxmemory").arg("0").query::<()>(&mut con).unwrap();
}

/// Shrinks maxmemory to `used + headroom` (memory counted for eviction), then writes `n` new
/// keys of `size` bytes: what has to go makes room for them.
fn squeeze(con: &mut redis::Connection, headroom: u64) -> u64 {
    let limit = used(con) + headroom;
    redis::cmd("CONFIG").arg("SET").arg("maxmemory").arg(limit).query::<()>(con).unwrap();
    limit
}

#[test]
fn allkeys_lru_keeps_the_recently_used() {
    let shardis = Proc::shardis(&["--shards", "4", "--maxmemory-policy", "allkeys-lru"]);
    let mut con = shardis.client();
    fill(&mut con, "cold", 6000, 1000, 0);
    fill(&mut con, "hot", 500, 1000, 0);
    // The LRU clock counts seconds: the cold keys must be older by at least one.
    std::thread::sleep(Duration::from_millis(2100));
    let limit = squeeze(&mut con, 1 << 20);
    for round in 0..8 {
        for i in 0..500 {
            let _: Option<String> = redis::cmd("GET").arg(format!("hot:{i}")).query(&mut con).unwrap();
        }
        fill(&mut con, &format!("new{round}"), 500, 1000, 0);
    }
    settle(&mut con, limit);
    let (hot, cold) = (surviving(&mut con, "hot", 500), surviving(&mut con, "cold", 6000));
    assert!(evicted(&mut con) >= 3000, "evicted {}", evicted(&mut con));
    assert!(hot >= 450, "only {hot} of 500 hot keys survived");
    assert!(cold < 3500, "{cold} of 6000 cold keys survived");
}

#[test]
fn allkeys_lfu_keeps_the_frequently_used_and_object_freq_counts() {
    let shardis = Proc::shardis(&["--shards", "4", "--maxmemory-policy", "allkeys-lfu", "--lfu-log-factor", "0"]);
    let mut con = shardis.client();
    fill(&mut con, "cold", 6000, 1000, 0);
    fill(&mut con, "hot", 500, 1000, 0);
    // A new key starts at 5; with lfu-log-factor 0 every hit counts.
    let freq = |con: &mut redis::Connection, key: &str| -> i64 {
        redis::cmd("OBJECT").arg("FREQ").arg(key).query(con).unwrap()
    };
    assert_eq!(freq(&mut con, "hot:0"), 5);
    for _ in 0..10 {
        for i in 0..500 {
            let _: Option<String> = redis::cmd("GET").arg(format!("hot:{i}")).query(&mut con).unwrap();
        }
    }
    assert_eq!(freq(&mut con, "hot:0"), 15);
    let err = redis::cmd("OBJECT").arg("IDLETIME").arg("hot:0").query::<i64>(&mut con).unwrap_err();
    assert!(err.to_string().contains("An LFU maxmemory policy is selected"), "{err}");
    let limit = squeeze(&mut con, 1 << 20);
    fill(&mut con, "new", 4000, 1000, 0);
    settle(&mut con, limit);
    let hot = surviving(&mut con, "hot", 500);
    assert!(evicted(&mut con) >= 3000, "evicted {}", evicted(&mut con));
    assert!(hot >= 450, "only {hot} of 500 hot keys survived");
}

#[test]
fn allkeys_random_makes_room() {
    let shardis = Proc::shardis(&["--shards", "4", "--maxmemory-policy", "allkeys-random"]);
    let mut con = shardis.client();
    fill(&mut con, "old", 4000, 1000, 0);
    let limit = squeeze(&mut con, 1 << 20);
    fill(&mut con, "new", 4000, 1000, 0);
    settle(&mut con, limit);
    let (old, new) = (surviving(&mut con, "old", 4000), surviving(&mut con, "new", 4000));
    // Random: both generations lose keys.
    assert!(old < 3800 && new < 4000, "old {old}, new {new}");
    assert!(evicted(&mut con) >= 3000);
}

#[test]
fn volatile_policies_take_only_keys_with_a_deadline() {
    for policy in ["volatile-lru", "volatile-lfu", "volatile-random", "volatile-ttl"] {
        let shardis = Proc::shardis(&["--shards", "4", "--maxmemory-policy", policy]);
        let mut con = shardis.client();
        fill(&mut con, "keep", 2000, 1000, 0);
        fill(&mut con, "long", 3000, 1000, 100_000);
        fill(&mut con, "short", 3000, 1000, 1000);
        let limit = squeeze(&mut con, 1 << 20);
        fill(&mut con, "new", 2500, 1000, 0);
        settle(&mut con, limit);
        assert_eq!(surviving(&mut con, "keep", 2000), 2000, "{policy}");
        assert_eq!(surviving(&mut con, "new", 2500), 2500, "{policy}");
        let (long, short) = (surviving(&mut con, "long", 3000), surviving(&mut con, "short", 3000));
        // 2500 new keys take the room of about 1500 with a deadline (a megabyte was free).
        assert!(long + short <= 4800, "{policy}: long {long}, short {short}");
        if policy == "volatile-ttl" {
            // The soonest to expire go first.
            assert!(long >= 2700, "{policy}: only {long} of 3000 long-lived keys survived");
        }
        // With no key left that may go, writes are refused.
        let more: Vec<String> = (0..20000).map(|i| format!("more:{i}")).collect();
        let mut refused = None;
        for key in &more {
            if let Err(e) = redis::cmd("SET").arg(key).arg("v".repeat(1000)).query::<()>(&mut con) {
                refused = Some(e.to_string());
                break;
            }
        }
        let refused = refused.unwrap_or_else(|| panic!("{policy}: writes never refused"));
        assert!(refused.contains("command not allowed when used memory"), "{refused}");
        assert_eq!(surviving(&mut con, "keep", 2000), 2000, "{policy}");
        let _: String = redis::cmd("GET").arg("keep:1").query(&mut con).unwrap();
    }
}

/// Keys skewed onto one shard may use the memory the other shards leave: nothing is evicted
/// while the process is under maxmemory, and once past it RSS stays within 1.3x maxmemory.
#[test]
fn skewed_keys_use_the_whole_budget() {
    let limit: u64 = 128 << 20;
    let shardis = Proc::shardis(&["--shards", "4", "--maxmemory-policy", "allkeys-lru", "--maxmemory", "128mb"]);
    let mut con = shardis.client();
    let base = used(&mut con);
    // Every key on shard 2, up to about 90% of the limit.
    let value = "x".repeat(1000);
    let mut i = 0usize;
    while used(&mut con) < base + (limit - base) * 9 / 10 {
        let mut pipe = redis::pipe();
        for _ in 0..500 {
            pipe.cmd("SET").arg(key_on_shard(&format!("skew{i}"), 2, 4)).arg(&value).ignore();
            i += 1;
        }
        pipe.query::<()>(&mut con).unwrap();
    }
    assert_eq!(evicted(&mut con), 0, "evicted under the limit, with {i} keys on one shard");
    assert_eq!(redis::cmd("DBSIZE").query::<usize>(&mut con).unwrap(), i);
    // Past the limit: eviction holds the process there.
    for _ in 0..200 {
        let mut pipe = redis::pipe();
        for _ in 0..500 {
            pipe.cmd("SET").arg(key_on_shard(&format!("skew{i}"), 2, 4)).arg(&value).ignore();
            i += 1;
        }
        pipe.query::<()>(&mut con).unwrap();
    }
    settle(&mut con, limit);
    assert!(evicted(&mut con) > 0);
    let rss = info_field(&mut con, "memory", "used_memory_rss");
    assert!(rss <= limit * 13 / 10, "RSS {rss} past 1.3x maxmemory {limit}");
}

/// Eviction is spread over the shards in proportion to their keys, whichever shard looks at
/// the total most often: one client writing batches to all four shards (its own shard looks
/// after every shard's answer, the others once a batch) leaves each shard about a quarter of
/// the keys. (When each shard freed its share of the excess it saw, at least a key, the shard
/// that looked most often kept none, and the hit ratio fell under Redis's; now each keeps
/// 67-125% of a quarter.)
#[test]
fn eviction_is_shared_by_the_shards_in_proportion_to_their_keys() {
    let shardis = Proc::shardis(&["--shards", "4", "--maxmemory-policy", "allkeys-lru"]);
    let mut con = shardis.client();
    let limit = used(&mut con) + (8 << 20);
    redis::cmd("CONFIG").arg("SET").arg("maxmemory").arg(limit).query::<()>(&mut con).unwrap();
    let n = 120_000;
    let value = "v".repeat(200);
    for chunk in (0..n).collect::<Vec<_>>().chunks(100) {
        let mut pipe = redis::pipe();
        for i in chunk {
            pipe.cmd("SET").arg(format!("fair:{i}")).arg(&value).ignore();
        }
        pipe.query::<()>(&mut con).unwrap();
    }
    settle(&mut con, limit);
    let mut held = [0usize; 4];
    let names: Vec<String> = (0..n).map(|i| format!("fair:{i}")).collect();
    for chunk in names.chunks(500) {
        let found: Vec<Option<String>> = redis::cmd("MGET").arg(chunk).query(&mut con).unwrap();
        for (name, v) in chunk.iter().zip(found) {
            if v.is_some() {
                held[shardis::shard::route::key_shard(name.as_bytes(), 4)] += 1;
            }
        }
    }
    let total: usize = held.iter().sum();
    assert!(total > 10_000 && total < n / 2, "{held:?}");
    for keys in held {
        assert!(keys * 4 * 2 >= total, "a shard holds under half its quarter: {held:?}");
    }
}

/// CONFIG SET maxmemory below what is held: the server evicts down by itself, in slices, with
/// no command coming in; each evicted key is a change to WATCH and an `evicted` event.
#[test]
fn shrinking_maxmemory_evicts_down_by_itself_and_tells_watchers_and_subscribers() {
    let shardis =
        Proc::shardis(&["--shards", "4", "--maxmemory-policy", "volatile-lru", "--notify-keyspace-events", "Ke"]);
    let mut con = shardis.client();
    fill(&mut con, "bulk", 20_000, 1000, 100_000);
    let _: () = redis::cmd("SET").arg("w").arg("v").arg("EX").arg(100_000).query(&mut con).unwrap();
    let mut watcher = shardis.raw();
    assert_eq!(watcher.words("WATCH w"), b"+OK\r\n");
    let mut subscriber = shardis.raw();
    assert!(subscriber.words("SUBSCRIBE __keyspace@0__:w").starts_with(b"*3\r\n"));
    let _: () = redis::cmd("CONFIG").arg("SET").arg("maxmemory").arg(1).query(&mut con).unwrap();
    // Nothing more is sent: the shards go on evicting by themselves.
    std::thread::sleep(Duration::from_millis(1500));
    let message = subscriber.reply_within(Duration::from_secs(5)).expect("an evicted event");
    assert_eq!(s(&message), "*3\r\n$7\r\nmessage\r\n$16\r\n__keyspace@0__:w\r\n$7\r\nevicted\r\n");
    assert_eq!(redis::cmd("DBSIZE").query::<usize>(&mut con).unwrap(), 0);
    assert_eq!(evicted(&mut con), 20_001);
    let _: () = redis::cmd("CONFIG").arg("SET").arg("maxmemory").arg(0).query(&mut con).unwrap();
    assert_eq!(watcher.words("MULTI"), b"+OK\r\n");
    assert_eq!(watcher.words("PING"), b"+QUEUED\r\n");
    assert_eq!(watcher.words("EXEC"), b"*-1\r\n");
}

/// maxmemory-clients: a client whose query buffer passes the limit is closed, one with CLIENT
/// NO-EVICT is not, and INFO counts the eviction; as redis-server 7.0.15 behaves. Every client
/// counts towards the limit, so the admin connection is NO-EVICT too (else, once the big one
/// is gone, the kept one's buffer alone would keep the total over and the admin would go).
#[test]
fn maxmemory_clients_closes_the_biggest_client_but_not_a_no_evict_one() {
    for server in [Proc::redis(&[]), Proc::shardis(&["--shards", "4"])] {
        let mut admin = server.raw();
        assert_eq!(admin.words("CLIENT NO-EVICT on"), b"+OK\r\n");
        assert_eq!(admin.words("CONFIG SET maxmemory-clients 1mb"), b"+OK\r\n");
        assert_eq!(
            s(&admin.words("CONFIG GET maxmemory-clients")),
            "*2\r\n$17\r\nmaxmemory-clients\r\n$7\r\n1048576\r\n"
        );
        let mut kept = server.raw();
        assert_eq!(kept.words("CLIENT NO-EVICT on"), b"+OK\r\n");
        assert!(s(&kept.words("CLIENT INFO")).contains(" flags=e "));
        assert_eq!(kept.words("CLIENT NO-EVICT maybe"), b"-ERR syntax error\r\n");
        let mut big = server.raw();
        // A SET whose 3 MB value is still coming: 2 MB of it wait in each query buffer.
        let mut partial = b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$3000000\r\n".to_vec();
        partial.extend(std::iter::repeat_n(b'x', 2_000_000));
        kept.send(&partial);
        // The server may close the big client before all of it is sent: it is over the limit
        // from the first megabyte on.
        let _ = big.try_send(&partial);
        let mut evicted = 0;
        for _ in 0..100 {
            std::thread::sleep(Duration::from_millis(20));
            let info = s(&admin.words("INFO stats"));
            evicted = info.lines().find_map(|l| l.strip_prefix("evicted_clients:")).unwrap().trim().parse().unwrap();
            if evicted > 0 {
                break;
            }
        }
        assert_eq!(evicted, 1, "port {}", server.port);
        assert!(matches!(big.reply_within(Duration::from_secs(2)), Err(NoReply::Closed)), "the big client is closed");
        // The no-evict client finishes its SET.
        kept.send(&vec![b'x'; 1_000_000]);
        kept.send(b"\r\n");
        assert_eq!(kept.reply(), b"+OK\r\n");
        assert_eq!(admin.words("CONFIG SET maxmemory-clients 10%"), b"+OK\r\n");
        assert_eq!(s(&admin.words("CONFIG GET maxmemory-clients")), "*2\r\n$17\r\nmaxmemory-clients\r\n$3\r\n10%\r\n");
    }
}

/// Eviction never takes a key a running transaction holds: under steady eviction pressure
/// (allkeys-random, room for a few dozen keys, a writer past the limit), transactions across
/// shards write two keys and read them back in the same EXEC, and always read what they wrote.
#[test]
fn eviction_never_takes_keys_a_transaction_holds() {
    let shardis = Proc::shardis(&["--shards", "4", "--maxmemory-policy", "allkeys-random"]);
    let mut con = shardis.client();
    let limit = used(&mut con) + (1 << 20);
    redis::cmd("CONFIG").arg("SET").arg("maxmemory").arg(limit).query::<()>(&mut con).unwrap();
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let port = shardis.port;
    let writer = {
        let stop = stop.clone();
        std::thread::spawn(move || {
            let mut con = redis::Client::open(format!("redis://127.0.0.1:{port}/")).unwrap().get_connection().unwrap();
            let mut round = 0;
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                fill(&mut con, &format!("pressure{round}"), 8, 64 << 10, 0);
                round += 1;
            }
        })
    };
    let a = key_on_shard("a", 1, 4);
    let b = key_on_shard("b", 2, 4);
    let clients: Vec<_> = (0..4)
        .map(|c| {
            let (a, b) = (format!("{a}:{c}"), format!("{b}:{c}"));
            std::thread::spawn(move || {
                let mut con =
                    redis::Client::open(format!("redis://127.0.0.1:{port}/")).unwrap().get_connection().unwrap();
                for i in 0..300 {
                    let value = format!("{c}-{i}-{}", "x".repeat(900));
                    let (x, y): (Option<String>, Option<String>) = redis::pipe()
                        .atomic()
                        .cmd("SET")
                        .arg(&a)
                        .arg(&value)
                        .ignore()
                        .cmd("SET")
                        .arg(&b)
                        .arg(&value)
                        .ignore()
                        // A connection command between makes EXEC run its commands in order,
                        // job by job: the shards go through passes (and eviction) between.
                        .cmd("PING")
                        .ignore()
                        .cmd("GET")
                        .arg(&a)
                        .cmd("GET")
                        .arg(&b)
                        .query(&mut con)
                        .unwrap();
                    assert_eq!((x.as_deref(), y.as_deref()), (Some(value.as_str()), Some(value.as_str())), "round {i}");
                }
            })
        })
        .collect();
    for c in clients {
        c.join().unwrap();
    }
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    writer.join().unwrap();
    assert!(evicted(&mut con) > 500, "little eviction ran: {}", evicted(&mut con));
}

/// INFO's eviction_exceeded_time fields, on both servers: 0 under the limit; while the
/// process stays over it (noeviction), `current` counts the milliseconds since it went over
/// and `total` includes them; back under, `current` is 0 and `total` keeps the spell.
#[test]
fn eviction_exceeded_time_counts_the_spells_over_the_limit() {
    for server in [Proc::redis(&[]), Proc::shardis(&["--shards", "4"])] {
        let mut con = server.client();
        // Both from one INFO: two would be read at different times.
        let exceeded = |con: &mut redis::Connection| {
            let text: String = redis::cmd("INFO").arg("stats").query(con).unwrap();
            let field = |name: &str| -> u64 {
                let prefix = format!("{name}:");
                text.lines().find_map(|l| l.strip_prefix(&prefix)).unwrap().trim().parse().unwrap()
            };
            (field("total_eviction_exceeded_time"), field("current_eviction_exceeded_time"))
        };
        assert_eq!(exceeded(&mut con), (0, 0), "port {}", server.port);
        let _: () = redis::cmd("SET").arg("a").arg("1").query(&mut con).unwrap();
        let _: () = redis::cmd("CONFIG").arg("SET").arg("maxmemory").arg(1).query(&mut con).unwrap();
        // A write looks at the limit (and is refused: noeviction).
        assert!(redis::cmd("SET").arg("b").arg("2").query::<()>(&mut con).is_err());
        std::thread::sleep(Duration::from_millis(300));
        let (total, current) = exceeded(&mut con);
        assert!(current >= 250 && total >= current, "{total} {current}, port {}", server.port);
        // (With maxmemory 0 Redis stops looking, and `current` would go on counting.)
        let _: () = redis::cmd("CONFIG").arg("SET").arg("maxmemory").arg("1gb").query(&mut con).unwrap();
        let _: () = redis::cmd("SET").arg("b").arg("2").query(&mut con).unwrap();
        let (after, current) = exceeded(&mut con);
        assert_eq!(current, 0, "port {}", server.port);
        assert!(after >= total, "{after} {total}, port {}", server.port);
    }
}
