//! Keys reach the shard that owns them, from any connection, in order.

mod common;
use common::*;

#[test]
fn keys_land_on_every_shard() {
    let server = Proc::shardis(&["--enable-debug-command", "yes"]);
    let mut con = server.client();
    let mut expected = [0i64; SHARDS];
    for i in 0..400 {
        let key = format!("key:{i}");
        let owner = shardis::shard::route::key_shard(key.as_bytes(), SHARDS);
        expected[owner] += 1;
        let _: () = redis::cmd("SET").arg(&key).arg(i).query(&mut con).unwrap();
        let shard: i64 = redis::cmd("DEBUG").arg("SHARD").arg(&key).query(&mut con).unwrap();
        assert_eq!(shard as usize, owner);
    }
    assert!(expected.iter().all(|&n| n > 0), "400 keys should cover 4 shards: {expected:?}");
    let per_shard: Vec<i64> = redis::cmd("DEBUG").arg("SHARDS").query(&mut con).unwrap();
    assert_eq!(per_shard, expected.to_vec());
    let total: i64 = redis::cmd("DBSIZE").query(&mut con).unwrap();
    assert_eq!(total, 400);
    // Every connection, whichever shard accepted it, sees every key.
    for _ in 0..8 {
        let mut other = server.client();
        for i in (0..400).step_by(37) {
            let v: i64 = redis::cmd("GET").arg(format!("key:{i}")).query(&mut other).unwrap();
            assert_eq!(v, i);
        }
    }
}

#[test]
fn hash_tags_colocate() {
    let server = Proc::shardis(&["--enable-debug-command", "yes"]);
    let mut con = server.client();
    let a: i64 = redis::cmd("DEBUG").arg("SHARD").arg("{user1000}.following").query(&mut con).unwrap();
    let b: i64 = redis::cmd("DEBUG").arg("SHARD").arg("{user1000}.followers").query(&mut con).unwrap();
    assert_eq!(a, b);
}

#[test]
fn pipelined_commands_keep_their_order_across_shards() {
    let server = Proc::shardis(&[]);
    let mut raw = server.raw();
    // Interleave writes and reads on keys of all four shards, with local commands in between,
    // in one pipeline; every reply must come back in order and see the write before it.
    let keys: Vec<String> = (0..SHARDS).map(|s| key_on_shard("order:", s, SHARDS)).collect();
    let mut pipeline = Vec::new();
    let mut expect = Vec::new();
    for round in 0..500 {
        for (j, key) in keys.iter().enumerate() {
            let value = format!("{round}-{j}");
            pipeline.extend(encode(&[b"SET", key.as_bytes(), value.as_bytes()]));
            expect.extend_from_slice(b"+OK\r\n");
            if round % 7 == 0 {
                pipeline.extend(encode(&[b"PING"]));
                expect.extend_from_slice(b"+PONG\r\n");
            }
            pipeline.extend(encode(&[b"GET", key.as_bytes()]));
            expect.extend(format!("${}\r\n{}\r\n", value.len(), value).into_bytes());
        }
        // Same-shard runs, to exercise batching.
        let key = &keys[round % SHARDS];
        for _ in 0..3 {
            pipeline.extend(encode(&[b"GET", key.as_bytes()]));
            let value = format!("{round}-{}", round % SHARDS);
            expect.extend(format!("${}\r\n{}\r\n", value.len(), value).into_bytes());
        }
    }
    raw.send(&pipeline);
    let mut got = Vec::new();
    while got.len() < expect.len() {
        got.extend(raw.reply());
    }
    assert_eq!(s(&got), s(&expect));
}

#[test]
fn a_write_is_visible_to_other_connections_once_acknowledged() {
    let server = Proc::shardis(&[]);
    let mut writers: Vec<_> = (0..4).map(|_| server.client()).collect();
    let mut reader = server.client();
    for i in 0..200 {
        let key = format!("vis:{i}");
        let w = &mut writers[i % 4];
        let _: () = redis::cmd("SET").arg(&key).arg(i).query(w).unwrap();
        let v: i64 = redis::cmd("GET").arg(&key).query(&mut reader).unwrap();
        assert_eq!(v, i as i64);
    }
}
