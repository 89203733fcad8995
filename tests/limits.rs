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

/// Reads until the server ends the connection (EOF or reset) or 10 s pass: (ended, bytes read).
fn drain(raw: &mut Raw) -> (bool, usize) {
    use std::io::Read;
    raw.stream.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let mut chunk = vec![0u8; 1 << 20];
    let mut total = 0;
    loop {
        match raw.stream.read(&mut chunk) {
            Ok(0) => return (true, total),
            Ok(n) => total += n,
            Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => return (true, total),
            Err(_) => return (false, total),
        }
    }
}

/// 200 pipelined GETs of a 256 KB value (51 MB of replies), sent by a client that reads nothing.
fn hog(port: u16) -> Raw {
    let mut hog = Raw::connect(port);
    let key = key_on_shard("hog:", 1, SHARDS);
    assert_eq!(hog.cmd(&[b"SET", key.as_bytes(), &vec![b'h'; 256 * 1024]]), b"+OK\r\n");
    let mut pipeline = Vec::new();
    for _ in 0..200 {
        pipeline.extend(encode(&[b"GET", key.as_bytes()]));
    }
    hog.send(&pipeline);
    hog
}

const HOG_REPLIES: usize = 200 * (256 * 1024 + 11);

#[test]
fn output_buffer_limits_close_clients_that_do_not_read_like_redis() {
    let redis = Proc::redis(&[]);
    let shardis = Proc::shardis(&[]);
    for server in [&redis, &shardis] {
        let mut admin = server.raw();
        // No limit (the default for normal clients): every reply arrives.
        let (ended, got) = {
            let mut h = hog(server.port);
            std::thread::sleep(Duration::from_millis(300));
            h.stream.set_read_timeout(Some(Duration::from_millis(1500))).unwrap();
            let mut total = 0;
            let mut chunk = vec![0u8; 1 << 20];
            while total < HOG_REPLIES {
                match std::io::Read::read(&mut h.stream, &mut chunk) {
                    Ok(0) | Err(_) => break,
                    Ok(n) => total += n,
                }
            }
            (total < HOG_REPLIES, total)
        };
        assert!(!ended, "port {}: only {got} bytes without a limit", server.port);

        // Hard limit: closed as soon as the pending replies pass 1 MB.
        assert_eq!(admin.cmd(&[b"CONFIG", b"SET", b"client-output-buffer-limit", b"normal 1mb 0 0"]), b"+OK\r\n");
        let mut h = hog(server.port);
        let (ended, got) = drain(&mut h);
        assert!(ended && got < HOG_REPLIES / 2, "port {}: hard limit, {got} bytes", server.port);
        assert_eq!(admin.words("PING"), b"+PONG\r\n");

        // Soft limit, 0 seconds: over it at one check, still over it at a check a second later.
        assert_eq!(admin.cmd(&[b"CONFIG", b"SET", b"client-output-buffer-limit", b"normal 0 1mb 0"]), b"+OK\r\n");
        let mut h = hog(server.port);
        std::thread::sleep(Duration::from_millis(1500));
        h.send(b"PING\r\n");
        let (ended, got) = drain(&mut h);
        assert!(ended && got < HOG_REPLIES, "port {}: soft limit, {got} bytes", server.port);
        assert_eq!(admin.cmd(&[b"CONFIG", b"SET", b"client-output-buffer-limit", b"normal 0 0 0"]), b"+OK\r\n");
        assert_eq!(admin.words("PING"), b"+PONG\r\n");
    }
    assert!(shardis.log_text().contains("overcoming of output buffer limits"), "{}", shardis.log_text());
}

/// Clients that send half a request and stall: inside a header, after announcing a 400 MB
/// bulk or a million arguments, and 60 KB into a 100 KB bulk. Each holds what it sent, no more
/// (nothing is set aside for what was only announced), every shard keeps serving others
/// meanwhile, and a stalled request that is finished later runs.
#[test]
fn stalled_half_requests_hold_only_what_they_sent() {
    let server = Proc::shardis(&[]);
    let before = rss(server.pid());
    let partial =
        [&b"*3\r\n$3\r\nSET\r\n$3\r\nkey\r\n$400000000\r\nabc"[..], b"*3\r\n$3\r\nSE", b"*1000000\r\n$3\r\nSET\r\n"];
    let big_head = b"*3\r\n$3\r\nSET\r\n$5\r\nhalf:\r\n$100000\r\n";
    let mut stalled = Vec::new();
    let mut sent = 0;
    for i in 0..40 {
        let mut raw = server.raw();
        let bytes = match partial.get(i % 4) {
            Some(p) => p.to_vec(),
            None => [&big_head[..], &[b'x'; 60_000]].concat(),
        };
        raw.send(&bytes);
        sent += bytes.len();
        stalled.push(raw);
    }
    // Every shard serves other clients meanwhile.
    for shard in 0..SHARDS {
        let key = key_on_shard("served:", shard, SHARDS);
        let mut c = server.raw();
        assert_eq!(c.cmd(&[b"SET", key.as_bytes(), b"v"]), b"+OK\r\n");
        assert_eq!(c.cmd(&[b"GET", key.as_bytes()]), b"$1\r\nv\r\n");
    }
    // What the stalled clients hold: their query buffers (used and free), as CLIENT LIST counts
    // them, within a read's worth of what they sent...
    let list = s(&server.raw().words("CLIENT LIST"));
    let field = |line: &str, name: &str| -> usize {
        line.split(' ').find_map(|f| f.strip_prefix(name)).and_then(|v| v.parse().ok()).unwrap_or(0)
    };
    let used: usize = list.lines().map(|l| field(l, "qbuf=")).sum();
    let held: usize = list.lines().map(|l| field(l, "qbuf=") + field(l, "qbuf-free=")).sum();
    assert!(used <= sent && used >= sent - 64, "{used} bytes unparsed of {sent} sent: {list}");
    assert!(held <= sent + 40 * (64 << 10), "{held} bytes of buffers for {sent} sent: {list}");
    // ...and no more in the process: 10 announced 400 MB bulks would be 4 GB.
    let grown = rss(server.pid()).saturating_sub(before);
    assert!(grown < 64 << 20, "grew {grown} bytes");
    // A stalled request, finished, runs.
    let last = stalled.last_mut().unwrap();
    last.send(&[&[b'x'; 40_000][..], b"\r\n"].concat());
    assert_eq!(last.reply(), b"+OK\r\n");
    assert_eq!(server.raw().cmd(&[b"STRLEN", b"half:"]), b":100000\r\n");
}

/// A short request for a huge reply of repeated picks (SRANDMEMBER, ZRANDMEMBER, HRANDFIELD
/// with a count of minus two billion, keys on every shard) stops at the client's hard output
/// limit: the client is closed, as Redis closes it, memory stays bounded, and the server
/// serves on.
#[test]
fn huge_repeated_picks_stop_at_the_output_limit() {
    let server = Proc::shardis(&["--client-output-buffer-limit", "normal 8mb 0 0"]);
    let before = rss(server.pid());
    for shard in 0..SHARDS {
        let mut setup = server.raw();
        let (s, z, h) = (
            key_on_shard("picks:s:", shard, SHARDS),
            key_on_shard("picks:z:", shard, SHARDS),
            key_on_shard("picks:h:", shard, SHARDS),
        );
        assert_eq!(setup.cmd(&[b"SADD", s.as_bytes(), b"a", b"b"]), b":2\r\n");
        assert_eq!(setup.cmd(&[b"ZADD", z.as_bytes(), b"1", b"a"]), b":1\r\n");
        assert_eq!(setup.cmd(&[b"HSET", h.as_bytes(), b"f", b"v"]), b":1\r\n");
        for cmd in [
            &[&b"SRANDMEMBER"[..], s.as_bytes(), b"-2000000000"][..],
            &[b"ZRANDMEMBER", z.as_bytes(), b"-2000000000", b"WITHSCORES"],
            &[b"HRANDFIELD", h.as_bytes(), b"-2000000000", b"WITHVALUES"],
        ] {
            let mut c = server.raw();
            c.send(&encode(cmd));
            let (ended, _) = drain(&mut c);
            assert!(ended, "{cmd:?} did not close the client");
        }
    }
    let grown = rss(server.pid()).saturating_sub(before);
    assert!(grown < 256 << 20, "grew {grown} bytes");
    assert_eq!(server.raw().words("PING"), b"+PONG\r\n");
    assert!(server.log_text().contains("overcoming of output buffer limits"));
}
