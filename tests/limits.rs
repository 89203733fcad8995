//! Limits on what a client controls: query buffer, bulk length, idle time, output back-pressure.

mod common;
use common::*;
use std::time::{Duration, Instant};

#[test]
fn query_buffer_limit_closes_the_client_and_the_server_carries_on() {
    let server = Proc::shardis(&["--client-query-buffer-limit", "1mb"]);
    let mut raw = server.raw();
    // A bulk of 3 MB announced, 2 MB sent: the buffered query passes 1 MB.
    raw.send(b"*2\r\n$4\r\nECHO\r\n$3000000\r\n");
    let chunk = vec![b'x'; 64 * 1024];
    let mut sent = 0;
    while sent < 2_000_000 {
        if std::io::Write::write_all(&mut raw.stream, &chunk).is_err() {
            break;
        }
        sent += chunk.len();
    }
    assert!(raw.closed());
    let mut other = server.raw();
    assert_eq!(other.words("PING"), b"+PONG\r\n");
    assert!(server.log_text().contains("max query buffer length"), "{}", server.log_text());
}

#[test]
fn big_values_within_the_limit_pass() {
    let server = Proc::shardis(&[]);
    let mut raw = server.raw();
    let value = vec![b'v'; 5 * 1024 * 1024];
    let key = key_on_shard("big:", 2, SHARDS);
    assert_eq!(raw.cmd(&[b"SET", key.as_bytes(), &value]), b"+OK\r\n");
    let reply = raw.cmd(&[b"GET", key.as_bytes()]);
    assert_eq!(reply.len(), value.len() + format!("${}\r\n\r\n", value.len()).len());
}

#[test]
fn proto_max_bulk_len() {
    let server = Proc::shardis(&["--proto-max-bulk-len", "1mb"]);
    let mut raw = server.raw();
    raw.send(b"*2\r\n$4\r\nECHO\r\n$1048577\r\n");
    assert_eq!(raw.reply(), b"-ERR Protocol error: invalid bulk length\r\n");
    assert!(raw.closed());
    let mut raw = server.raw();
    assert_eq!(raw.cmd(&[b"ECHO", &vec![b'a'; 1024 * 1024]]).len(), 1024 * 1024 + 12);
}

#[test]
fn idle_clients_time_out() {
    let server = Proc::shardis(&["--timeout", "1"]);
    let mut idle = server.raw();
    assert_eq!(idle.words("PING"), b"+PONG\r\n");
    let t = Instant::now();
    assert!(idle.closed());
    let waited = t.elapsed();
    assert!(waited >= Duration::from_millis(900) && waited < Duration::from_secs(5), "{waited:?}");
}

#[test]
fn a_client_that_does_not_read_does_not_stop_others() {
    let server = Proc::shardis(&[]);
    // Ask for far more output than the socket buffers hold and never read it.
    let mut hog = server.raw();
    let key = key_on_shard("hog:", 0, SHARDS);
    assert_eq!(hog.cmd(&[b"SET", key.as_bytes(), &vec![b'h'; 256 * 1024]]), b"+OK\r\n");
    let mut pipeline = Vec::new();
    for _ in 0..200 {
        pipeline.extend(encode(&[b"GET", key.as_bytes()]));
    }
    hog.send(&pipeline);
    // Everybody else, on every shard, is still served.
    for _ in 0..8 {
        let mut c = server.raw();
        assert_eq!(c.words("PING"), b"+PONG\r\n");
        assert_eq!(c.cmd(&[b"GET", key.as_bytes()]).len(), 256 * 1024 + 11);
    }
}
