//! Server commands: INFO, CONFIG, SLOWLOG, COMMAND, TIME, DEBUG, SHUTDOWN, LOLWUT.

mod common;
use common::*;
use std::collections::HashMap;
use std::time::Duration;

fn info_fields(text: &str) -> HashMap<String, String> {
    text.lines().filter_map(|l| l.split_once(':')).map(|(k, v)| (k.to_string(), v.trim().to_string())).collect()
}

#[test]
fn info_sections_and_fields() {
    let server = Proc::shardis(&[]);
    let mut con = server.client();
    for i in 0..50 {
        let _: () = redis::cmd("SET").arg(format!("k{i}")).arg(i).query(&mut con).unwrap();
    }
    let _: Option<String> = redis::cmd("GET").arg("k1").query(&mut con).unwrap();
    let _: Option<String> = redis::cmd("GET").arg("missing").query(&mut con).unwrap();
    let _: redis::RedisResult<()> = redis::cmd("SELECT").arg("x").query(&mut con);
    let text: String = redis::cmd("INFO").query(&mut con).unwrap();
    for section in
        ["# Server", "# Clients", "# Memory", "# Persistence", "# Stats", "# Replication", "# CPU", "# Keyspace"]
    {
        assert!(text.contains(section), "{section} missing");
    }
    assert!(!text.contains("# Commandstats"));
    let f = info_fields(&text);
    assert_eq!(f["redis_version"], "7.2.4");
    assert_eq!(f["shards"], SHARDS.to_string());
    assert!(f.contains_key("shardis_version"));
    assert_eq!(f["tcp_port"], server.port.to_string());
    assert_eq!(f["keyspace_hits"], "1");
    assert_eq!(f["keyspace_misses"], "1");
    assert_eq!(f["db0"], "keys=50,expires=0,avg_ttl=0");
    assert!(f["used_memory"].parse::<u64>().unwrap() > 0);
    assert!(f["total_commands_processed"].parse::<u64>().unwrap() >= 52);
    assert_eq!(f["errorstat_ERR"], "count=1");
    assert_eq!(f["role"], "master");
    let stats: String = redis::cmd("INFO").arg("commandstats").query(&mut con).unwrap();
    let f = info_fields(&stats);
    assert!(f["cmdstat_set"].starts_with("calls=50,usec="), "{stats}");
    assert!(f["cmdstat_select"].ends_with("rejected_calls=0,failed_calls=1"), "{stats}");
    assert!(!stats.contains("# Server"));
    let everything: String = redis::cmd("INFO").arg("everything").query(&mut con).unwrap();
    assert!(everything.contains("# Commandstats") && everything.contains("# Keyspace"));
    let _: () = redis::cmd("CONFIG").arg("RESETSTAT").query(&mut con).unwrap();
    let stats: String = redis::cmd("INFO").arg("stats").query(&mut con).unwrap();
    assert_eq!(info_fields(&stats)["keyspace_hits"], "0");
}

#[test]
fn info_is_verbatim_in_resp3() {
    let server = Proc::shardis(&[]);
    let mut raw = server.raw();
    raw.words("HELLO 3");
    let reply = s(&raw.words("INFO server"));
    assert!(reply.starts_with('=') && reply.contains("txt:# Server\r\n"), "{reply}");
}

#[test]
fn config_set_reaches_every_shard() {
    let server = Proc::shardis(&[]);
    let mut admin = server.client();
    let _: () = redis::cmd("CONFIG").arg("SET").arg("slowlog-log-slower-than").arg(0).query(&mut admin).unwrap();
    // Connections on whichever shard see the new value, and it takes effect there.
    for _ in 0..8 {
        let mut c = server.client();
        let v: Vec<String> = redis::cmd("CONFIG").arg("GET").arg("slowlog-log-slower-than").query(&mut c).unwrap();
        assert_eq!(v, ["slowlog-log-slower-than", "0"]);
        let _: () = redis::cmd("SET").arg("slow").arg("x").query(&mut c).unwrap();
    }
    let len: i64 = redis::cmd("SLOWLOG").arg("LEN").query(&mut admin).unwrap();
    assert!(len >= 16, "{len}");
    let entries: Vec<redis::Value> = redis::cmd("SLOWLOG").arg("GET").arg(3).query(&mut admin).unwrap();
    assert_eq!(entries.len(), 3);
    let all: Vec<redis::Value> = redis::cmd("SLOWLOG").arg("GET").arg(-1).query(&mut admin).unwrap();
    // LEN now also counts that SLOWLOG GET.
    assert_eq!(all.len() as i64 + 1, redis::cmd("SLOWLOG").arg("LEN").query::<i64>(&mut admin).unwrap());
    let _: () = redis::cmd("SLOWLOG").arg("RESET").query(&mut admin).unwrap();
    let _: () = redis::cmd("CONFIG").arg("SET").arg("slowlog-log-slower-than").arg(-1).query(&mut admin).unwrap();
    let len: i64 = redis::cmd("SLOWLOG").arg("LEN").query(&mut admin).unwrap();
    assert!(len <= 1, "{len}");
    // Globs.
    let v: Vec<String> = redis::cmd("CONFIG").arg("GET").arg("slowlog-*").query(&mut admin).unwrap();
    assert_eq!(v.len(), 4);
    let v: Vec<String> = redis::cmd("CONFIG").arg("GET").arg("maxmemory").arg("port").query(&mut admin).unwrap();
    assert_eq!(v.len(), 4);
}

#[test]
fn slowlog_entry_shape() {
    let server = Proc::shardis(&["--slowlog-log-slower-than", "0"]);
    let mut raw = server.raw();
    raw.words("SLOWLOG RESET");
    raw.words("CLIENT SETNAME slowpoke");
    let long = vec![b'z'; 200];
    raw.cmd(&[b"ECHO", &long]);
    let reply = s(&raw.words("SLOWLOG GET 1"));
    assert!(reply.starts_with("*1\r\n*6\r\n:"), "{reply}");
    assert!(reply.contains("$4\r\nECHO\r\n"), "{reply}");
    assert!(reply.contains(&format!("{}... (72 more bytes)", "z".repeat(128))), "{reply}");
    assert!(reply.ends_with("$8\r\nslowpoke\r\n"), "{reply}");
}

#[test]
fn config_rewrite_keeps_the_file() {
    let dir = std::env::temp_dir().join(format!("shardis-rewrite-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let conf = dir.join("redis.conf");
    std::fs::write(&conf, "# my settings\nmaxmemory 1mb\nsave \"\"\n").unwrap();
    let server = Proc::shardis(&[conf.to_str().unwrap()]);
    let mut con = server.client();
    let _: () = redis::cmd("CONFIG").arg("SET").arg("maxmemory").arg("2mb").query(&mut con).unwrap();
    let _: () = redis::cmd("CONFIG").arg("REWRITE").query(&mut con).unwrap();
    let text = std::fs::read_to_string(&conf).unwrap();
    assert!(text.contains("# my settings"), "{text}");
    assert!(text.contains("maxmemory 2mb"), "{text}");
    drop(server);
    // Without a file, REWRITE says so.
    let server = Proc::shardis(&[]);
    let mut raw = server.raw();
    assert_eq!(raw.words("CONFIG REWRITE"), b"-ERR The server is running without a config file\r\n");
}

#[test]
fn command_table() {
    let server = Proc::shardis(&[]);
    let mut con = server.client();
    let count: i64 = redis::cmd("COMMAND").arg("COUNT").query(&mut con).unwrap();
    let all: Vec<redis::Value> = redis::cmd("COMMAND").query(&mut con).unwrap();
    assert_eq!(all.len() as i64, count);
    let list: Vec<String> = redis::cmd("COMMAND").arg("LIST").query(&mut con).unwrap();
    for name in ["ping", "client", "client|list", "config|get", "command|docs", "get", "set"] {
        assert!(list.iter().any(|n| n == name), "{name}");
    }
    let filtered: Vec<String> =
        redis::cmd("COMMAND").arg("LIST").arg("FILTERBY").arg("PATTERN").arg("client|*").query(&mut con).unwrap();
    assert!(filtered.iter().all(|n| n.starts_with("client|")) && filtered.len() > 5, "{filtered:?}");
    let keys: Vec<String> = redis::cmd("COMMAND").arg("GETKEYS").arg("SET").arg("k").arg("v").query(&mut con).unwrap();
    assert_eq!(keys, ["k"]);
    // redis-cli's hints come from COMMAND DOCS.
    let docs: redis::Value = redis::cmd("COMMAND").arg("DOCS").query(&mut con).unwrap();
    match docs {
        redis::Value::Array(items) => assert_eq!(items.len() as i64, count * 2),
        redis::Value::Map(items) => assert_eq!(items.len() as i64, count),
        other => panic!("{other:?}"),
    }
}

#[test]
fn time_and_lolwut_and_debug() {
    let server = Proc::shardis(&["--enable-debug-command", "yes"]);
    let mut con = server.client();
    let (secs, micros): (u64, u64) = redis::cmd("TIME").query(&mut con).unwrap();
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs();
    assert!(secs.abs_diff(now) <= 2 && micros < 1_000_000);
    let art: String = redis::cmd("LOLWUT").query(&mut con).unwrap();
    assert!(art.contains("Redis ver. 7.2.4"));
    let t = std::time::Instant::now();
    let _: () = redis::cmd("DEBUG").arg("SLEEP").arg("0.2").query(&mut con).unwrap();
    assert!(t.elapsed() >= Duration::from_millis(200));
    let help: Vec<String> = redis::cmd("DEBUG").arg("HELP").query(&mut con).unwrap();
    assert!(help.iter().any(|l| l.starts_with("SLEEP")));
    let err = redis::cmd("DEBUG").arg("nosuch").query::<()>(&mut con).unwrap_err();
    assert!(err.to_string().contains("Try DEBUG HELP"), "{err}");
}

/// `enable-debug-command` as Redis 7.0 enforces it: `no` (the default) refuses DEBUG with
/// Redis's text, `local` allows loopback clients (ours), `yes` allows everyone.
#[test]
fn debug_needs_enable_debug_command() {
    same_on_both(&[&["DEBUG SLEEP 0", "DEBUG HELP", "DEBUG", "CONFIG SET enable-debug-command yes"]], transcript);
    for setting in ["local", "yes"] {
        let server = Proc::shardis(&["--enable-debug-command", setting]);
        assert_eq!(server.raw().words("DEBUG SLEEP 0"), b"+OK\r\n", "{setting}");
    }
    let server = Proc::shardis(&["--enable-debug-command", "no"]);
    assert!(s(&server.raw().words("DEBUG SLEEP 0")).starts_with("-ERR DEBUG command not allowed."));
}

/// DEBUG SLEEP with the values Redis 7.0 turns into a negative `long long` (NaN, infinities,
/// anything past 2^63 microseconds, negatives) answers +OK at once, as Redis does, and never
/// panics a shard; a sleep that would last for ages still lets SIGTERM stop the server.
#[test]
fn debug_sleep_odd_values_and_sigterm() {
    let mut server = Proc::shardis(&["--enable-debug-command", "yes"]);
    let mut raw = server.raw();
    for value in ["nan", "inf", "-inf", "1e30", "9.3e12", "-1", "abc", "-0.5", "1e-7", "0"] {
        let t = std::time::Instant::now();
        assert_eq!(raw.words(&format!("DEBUG SLEEP {value}")), b"+OK\r\n", "{value}");
        assert!(t.elapsed() < Duration::from_secs(2), "{value} slept");
    }
    assert_eq!(raw.words("PING"), b"+PONG\r\n");
    // 1e12 seconds: Redis would sleep for 31,000 years.
    raw.send(&encode(&[b"DEBUG", b"SLEEP", b"1e12"]));
    std::thread::sleep(Duration::from_millis(300));
    let pid = server.pid();
    // SAFETY: signals our own child.
    unsafe { libc::kill(pid as i32, libc::SIGTERM) };
    assert!(server.wait_exit(Duration::from_secs(10)), "SIGTERM did not stop a server in DEBUG SLEEP");
    let log = server.log_text();
    assert!(log.contains("Received SIGTERM scheduling shutdown"), "{log}");
}

/// SHUTDOWN from another connection also ends a long DEBUG SLEEP.
#[test]
fn shutdown_ends_debug_sleep() {
    let mut server = Proc::shardis(&["--enable-debug-command", "yes"]);
    let mut sleeper = server.raw();
    sleeper.send(&encode(&[b"DEBUG", b"SLEEP", b"100000"]));
    std::thread::sleep(Duration::from_millis(200));
    let mut other = loop {
        // A connection on a shard that is not sleeping answers PING at once.
        let mut raw = server.raw();
        raw.stream.set_read_timeout(Some(Duration::from_millis(300))).unwrap();
        raw.send(&encode(&[b"PING"]));
        let mut buf = [0u8; 7];
        use std::io::Read;
        if raw.stream.read_exact(&mut buf).is_ok() {
            break raw;
        }
    };
    other.send(&encode(&[b"SHUTDOWN", b"NOSAVE"]));
    assert!(server.wait_exit(Duration::from_secs(10)), "SHUTDOWN did not stop a server in DEBUG SLEEP");
}

#[test]
fn shutdown_stops_the_server() {
    let mut server = Proc::shardis(&[]);
    let mut raw = server.raw();
    assert_eq!(raw.words("SHUTDOWN ABORT"), b"-ERR No shutdown in progress.\r\n");
    raw.send(&encode(&[b"SHUTDOWN", b"NOSAVE"]));
    assert!(raw.closed());
    assert!(server.wait_exit(Duration::from_secs(10)), "server still running after SHUTDOWN");
    let log = server.log_text();
    assert!(log.contains("User requested shutdown"), "{log}");
    assert!(log.contains("ready to exit, bye bye"), "{log}");
}

#[test]
fn config_set_port_moves_every_shard() {
    let server = Proc::shardis(&[]);
    let mut raw = server.raw();
    let new_port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    assert_eq!(raw.cmd(&[b"CONFIG", b"SET", b"port", new_port.to_string().as_bytes()]), b"+OK\r\n");
    // The old connection stays; new ones go to the new port, on every shard.
    assert_eq!(raw.words("PING"), b"+PONG\r\n");
    for _ in 0..12 {
        let mut c = Raw::connect(new_port);
        assert_eq!(c.words("PING"), b"+PONG\r\n");
    }
    assert!(!Raw::try_connect(server.port), "old port still accepts");
    let info = s(&raw.words("INFO server"));
    assert!(info.contains(&format!("tcp_port:{new_port}")), "{info}");
    // A port someone holds is refused.
    let holder = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let taken = holder.local_addr().unwrap().port().to_string();
    assert_eq!(
        raw.cmd(&[b"CONFIG", b"SET", b"port", taken.as_bytes()]),
        b"-ERR CONFIG SET failed (possibly related to argument 'port') - Unable to listen on this port\r\n"
    );
}

/// COMMAND GETKEYS and GETKEYSANDFLAGS find keys as Redis does: from its key specifications
/// (numkeys included), falling back to the numkeys rule of its getkeys procs (atoi, destination
/// last, no flags) when a specification does not fit, with Redis's errors.
#[test]
fn command_getkeys_and_flags_match_redis() {
    let many: String = (1..=260).map(|i| format!(" key{i}")).collect();
    let zunion_many = format!("COMMAND GETKEYS ZUNIONSTORE target 260{many}");
    let zunion_many_flags = format!("COMMAND GETKEYSANDFLAGS ZUNIONSTORE target 260{many}");
    let cases = [
        "zunionstore t 2 a b",
        "zunionstore t 2 a b WEIGHTS 1 2",
        "zunionstore t 5 a",
        "zunionstore t 0 a",
        "zunionstore t -1 a",
        "zunionstore t x a",
        "zunionstore t 2abc a b",
        "zinterstore d 1 a WEIGHTS",
        "zdiffstore d 2 a b",
        "zdiffstore d 2 a",
        "zunion 2 a b",
        "zunion 3 a b",
        "zunion 2abc a b",
        "zunion 0",
        "zinter 1 a",
        "zdiff 2 a b",
        "zintercard 2 a b",
        "zintercard 3 a b",
        "sintercard 2 a b LIMIT 1",
        "sintercard 0 a",
        "lmpop 2 a b LEFT",
        "lmpop 3 a b LEFT",
        "lmpop 4 a b LEFT",
        "lmpop 9223372036854775807 a b LEFT",
        "zunionstore t 9223372036854775807 a",
        "blmpop 0 9223372036854775807 a LEFT",
        "zmpop 1 a MIN",
        "zmpop 2 a MIN",
        "set k v",
        "set k v NX GET",
        "set k v get",
        "set k v GETX",
        "set k",
        "get k",
        "lmove a b LEFT RIGHT",
        "mset a 1 b 2",
        "rename a b",
        "del a b",
        "getdel a",
        "copy a b",
        "hset h f v",
        "object encoding k",
        "object nosuch k",
        "memory usage k",
        "ping",
        "ping x",
        "nosuchcommand a",
    ];
    let mut lines: Vec<String> = Vec::new();
    for case in cases {
        lines.push(format!("COMMAND GETKEYS {case}"));
        lines.push(format!("COMMAND GETKEYSANDFLAGS {case}"));
    }
    lines.push(zunion_many);
    lines.push(zunion_many_flags);
    lines.push("HELLO 3".into());
    for case in ["lmove a b LEFT RIGHT", "zunionstore t 2 a b", "zunionstore t 2abc a b", "set k v"] {
        lines.push(format!("COMMAND GETKEYSANDFLAGS {case}"));
    }
    let lines: Vec<&str> = lines.iter().map(String::as_str).collect();
    same_on_both(&[&lines], transcript);
}

/// The shape of a LATENCY HISTOGRAM reply, timings left out: (command, calls, whether every
/// bucket label is one of Redis's and the counts climb to `calls`).
fn histogram_shape(reply: &[u8]) -> Vec<(String, i64, bool)> {
    let labels: Vec<i64> = (0..21).map(|k| (((1032u64 << k) - 1) / 1000) as i64).collect();
    let (_, items) = flat(reply);
    let mut shape = Vec::new();
    let mut i = 0;
    let num = |b: &[u8]| s(b).parse::<i64>().unwrap();
    // items: name, "calls", n, "histogram_usec", label, count, label, count, ...
    while i < items.len() {
        let (name, calls) = (s(&items[i]), num(&items[i + 2]));
        assert_eq!((s(&items[i + 1]).as_str(), s(&items[i + 3]).as_str()), ("calls", "histogram_usec"));
        i += 4;
        let (mut ok, mut last) = (true, 0);
        while i + 1 < items.len() && s(&items[i]).parse::<i64>().is_ok() {
            let (label, count) = (num(&items[i]), num(&items[i + 1]));
            ok &= labels.contains(&label) && count > last;
            last = count;
            i += 2;
        }
        shape.push((name, calls, ok && last == calls));
    }
    shape
}

/// LATENCY HISTOGRAM: calls and cumulative power-of-two buckets per command that ran, summed
/// over shards, in RESP2 and RESP3 shapes like Redis's.
#[test]
fn latency_histogram_like_redis() {
    let (redis, shardis) = (Proc::redis(&[]), Proc::shardis(&[]));
    let mut replies = Vec::new();
    for server in [&redis, &shardis] {
        let mut raw = server.raw();
        assert_eq!(raw.words("CONFIG RESETSTAT"), b"+OK\r\n");
        // Keys on every shard, so several shards' histograms add up.
        for i in 0..20 {
            raw.words(&format!("SET k{i} v"));
        }
        for i in 0..7 {
            raw.words(&format!("GET k{i}"));
        }
        raw.words("CLIENT ID");
        let filtered = raw.words("LATENCY HISTOGRAM set get nosuch GET client|list client");
        let resp2_head = filtered[0];
        let all = raw.words("LATENCY HISTOGRAM");
        let all_shape: Vec<(String, i64, bool)> =
            histogram_shape(&all).into_iter().filter(|(n, _, _)| n != "hello" && n != "latency|histogram").collect();
        let mut all_sorted = all_shape.clone();
        all_sorted.sort();
        raw.words("HELLO 3");
        let resp3 = raw.words("LATENCY HISTOGRAM get");
        let resp3_text = s(&resp3);
        // RESP3: a map of maps, the buckets a map of integers.
        let resp3_heads: Vec<char> = resp3_text.lines().map(|l| l.chars().next().unwrap()).collect();
        assert_eq!(raw.words("LATENCY HISTOGRAM nosuch"), b"%0\r\n");
        replies.push((histogram_shape(&filtered), resp2_head, all_sorted, histogram_shape(&resp3), resp3_heads));
    }
    let (theirs, ours) = (&replies[0], &replies[1]);
    assert_eq!(ours.0, theirs.0);
    assert_eq!(ours.0.iter().map(|c| c.1).collect::<Vec<_>>(), vec![20, 7, 7, 1]);
    assert_eq!(ours.1, theirs.1);
    assert_eq!(ours.2, theirs.2);
    assert_eq!(ours.3, theirs.3);
    // Bucket counts depend on timing; compare the kinds of header line, not how many buckets.
    assert_eq!(ours.4[..8], theirs.4[..8]);
}
