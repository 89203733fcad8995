//! Connection commands through a real client and raw bytes, with 4 shards.

mod common;
use common::*;
use std::time::{Duration, Instant};

#[test]
fn hello_switches_protocol_and_sets_name() {
    let server = Proc::shardis(&[]);
    let mut raw = server.raw();
    let reply = raw.words("HELLO 3 SETNAME worker1");
    let text = s(&reply);
    assert!(
        text.starts_with(
            "%7\r\n$6\r\nserver\r\n$5\r\nredis\r\n$7\r\nversion\r\n$5\r\n7.2.4\r\n$5\r\nproto\r\n:3\r\n$2\r\nid\r\n:"
        ),
        "{text}"
    );
    assert!(
        text.ends_with("$4\r\nmode\r\n$10\r\nstandalone\r\n$4\r\nrole\r\n$6\r\nmaster\r\n$7\r\nmodules\r\n*0\r\n"),
        "{text}"
    );
    assert_eq!(raw.words("CLIENT GETNAME"), b"$7\r\nworker1\r\n");
    // RESP3 null for a missing key, map for CONFIG GET.
    assert_eq!(raw.words("GET nosuchkey"), b"_\r\n");
    assert_eq!(raw.words("CONFIG GET maxmemory"), b"%1\r\n$9\r\nmaxmemory\r\n$1\r\n0\r\n");
    let back = s(&raw.words("HELLO 2"));
    assert!(back.starts_with("*14\r\n"), "{back}");
    assert_eq!(raw.words("GET nosuchkey"), b"$-1\r\n");
}

#[test]
fn auth_with_requirepass() {
    let server = Proc::shardis(&["--requirepass", "s3cret"]);
    let mut raw = server.raw();
    assert_eq!(raw.words("PING"), b"-NOAUTH Authentication required.\r\n");
    assert_eq!(raw.words("GET k"), b"-NOAUTH Authentication required.\r\n");
    assert_eq!(raw.words("AUTH wrong"), b"-WRONGPASS invalid username-password pair or user is disabled.\r\n");
    assert_eq!(raw.words("AUTH other s3cret"), b"-WRONGPASS invalid username-password pair or user is disabled.\r\n");
    let hello = s(&raw.words("HELLO 3"));
    assert!(hello.starts_with("-NOAUTH HELLO must be called with the client already authenticated"), "{hello}");
    assert_eq!(raw.words("AUTH s3cret"), b"+OK\r\n");
    assert_eq!(raw.words("PING"), b"+PONG\r\n");
    // HELLO with AUTH authenticates in one step; RESET drops the authentication again.
    let mut other = server.raw();
    assert!(s(&other.words("HELLO 2 AUTH default s3cret")).starts_with("*14\r\n"));
    assert_eq!(other.words("PING"), b"+PONG\r\n");
    assert_eq!(other.words("RESET"), b"+RESET\r\n");
    assert_eq!(other.words("PING"), b"-NOAUTH Authentication required.\r\n");
    // Through the redis crate.
    let client = redis::Client::open(format!("redis://:s3cret@127.0.0.1:{}/", server.port)).unwrap();
    let mut con = client.get_connection().unwrap();
    let pong: String = redis::cmd("PING").query(&mut con).unwrap();
    assert_eq!(pong, "PONG");
}

#[test]
fn unauthenticated_clients_get_tight_limits() {
    let server = Proc::shardis(&["--requirepass", "pw"]);
    let mut raw = server.raw();
    raw.send(b"*11\r\n");
    assert_eq!(raw.reply(), b"-ERR Protocol error: unauthenticated multibulk length\r\n");
    assert!(raw.closed());
    let mut raw = server.raw();
    raw.send(b"*1\r\n$16385\r\n");
    assert_eq!(raw.reply(), b"-ERR Protocol error: unauthenticated bulk length\r\n");
    assert!(raw.closed());
    // Once authenticated, the usual limits apply.
    let mut raw = server.raw();
    assert_eq!(raw.words("AUTH pw"), b"+OK\r\n");
    let big = vec![b'x'; 20000];
    assert_eq!(raw.cmd(&[b"ECHO", &big]).len(), 20000 + 10);
}

#[test]
fn select_keeps_databases_apart() {
    let server = Proc::shardis(&[]);
    let mut con = server.client();
    let _: () = redis::cmd("SET").arg("k").arg("db0").query(&mut con).unwrap();
    let _: () = redis::cmd("SELECT").arg(3).query(&mut con).unwrap();
    let v: Option<String> = redis::cmd("GET").arg("k").query(&mut con).unwrap();
    assert_eq!(v, None);
    let _: () = redis::cmd("SET").arg("k").arg("db3").query(&mut con).unwrap();
    let _: () = redis::cmd("SELECT").arg(0).query(&mut con).unwrap();
    let v: String = redis::cmd("GET").arg("k").query(&mut con).unwrap();
    assert_eq!(v, "db0");
}

#[test]
fn client_list_and_info_show_every_shard() {
    let server = Proc::shardis(&[]);
    // Enough connections that the kernel spreads them over several shards.
    let mut conns: Vec<_> = (0..12).map(|_| server.client()).collect();
    for (i, c) in conns.iter_mut().enumerate() {
        let _: () = redis::cmd("CLIENT").arg("SETNAME").arg(format!("c{i}")).query(c).unwrap();
    }
    let mut me = server.raw();
    let list = s(&me.words("CLIENT LIST"));
    for i in 0..12 {
        assert!(list.contains(&format!(" name=c{i} ")), "{list}");
    }
    let lines: Vec<&str> = list.lines().skip(1).filter(|l| l.starts_with("id=")).collect();
    assert_eq!(lines.len(), 13, "{list}");
    let fields: Vec<&str> = lines[0].split(' ').map(|f| f.split('=').next().unwrap()).collect();
    assert_eq!(
        fields,
        [
            "id",
            "addr",
            "laddr",
            "fd",
            "name",
            "age",
            "idle",
            "flags",
            "db",
            "sub",
            "psub",
            "ssub",
            "multi",
            "qbuf",
            "qbuf-free",
            "argv-mem",
            "multi-mem",
            "rbs",
            "rbp",
            "obl",
            "oll",
            "omem",
            "tot-mem",
            "events",
            "cmd",
            "user",
            "redir",
            "resp",
            "lib-name",
            "lib-ver"
        ]
    );
    let info = s(&me.words("CLIENT INFO"));
    assert!(info.contains(" cmd=client|info "), "{info}");
    let id = s(&me.words("CLIENT ID"));
    let id = id.trim_start_matches(':').trim();
    assert!(info.contains(&format!("id={id} ")), "{info}");
    let only = s(&me.cmd(&[b"CLIENT", b"LIST", b"ID", id.as_bytes()]));
    assert_eq!(only.lines().filter(|l| l.starts_with("id=")).count(), 1, "{only}");
    assert!(s(&me.words("CLIENT SETINFO lib-name redis-py")) == "+OK\r\n");
    assert!(s(&me.words("CLIENT SETINFO lib-ver 5.0")) == "+OK\r\n");
    assert_eq!(
        me.words("CLIENT SETINFO lib-name a\tb"),
        b"-ERR lib-name cannot contain spaces, newlines or special characters.\r\n"
    );
    assert_eq!(me.words("CLIENT SETINFO foo x"), b"-ERR Unrecognized option 'foo'\r\n");
    let info = s(&me.words("CLIENT INFO"));
    assert!(info.contains(" lib-name=redis-py lib-ver=5.0"), "{info}");
    assert_eq!(me.words("CLIENT NO-TOUCH ON"), b"+OK\r\n");
    assert!(s(&me.words("CLIENT INFO")).contains(" flags=T "));
    assert_eq!(me.words("CLIENT NO-TOUCH maybe"), b"-ERR syntax error\r\n");
}

#[test]
fn client_kill_reaches_other_shards() {
    let server = Proc::shardis(&[]);
    let mut victims: Vec<_> = (0..12).map(|_| server.raw()).collect();
    let ids: Vec<String> =
        victims.iter_mut().map(|v| s(&v.words("CLIENT ID")).trim_start_matches(':').trim().to_string()).collect();
    let mut killer = server.raw();
    for (victim, id) in victims.iter_mut().zip(&ids) {
        assert_eq!(killer.cmd(&[b"CLIENT", b"KILL", b"ID", id.as_bytes()]), b":1\r\n");
        assert!(victim.closed());
    }
    assert_eq!(killer.words("CLIENT KILL ID 1000000"), b":0\r\n");
    // Old form, by address.
    let mut victim = server.raw();
    let addr = victim.stream.local_addr().unwrap().to_string();
    assert_eq!(killer.cmd(&[b"CLIENT", b"KILL", addr.as_bytes()]), b"+OK\r\n");
    assert!(victim.closed());
    // SKIPME no: a client may kill itself, after its reply.
    let my_id = s(&killer.words("CLIENT ID")).trim_start_matches(':').trim().to_string();
    assert_eq!(killer.cmd(&[b"CLIENT", b"KILL", b"ID", my_id.as_bytes(), b"SKIPME", b"no"]), b":1\r\n");
    assert!(killer.closed());
}

#[test]
fn client_pause_holds_writes_everywhere() {
    let server = Proc::shardis(&[]);
    let mut admin = server.client();
    let mut writers: Vec<_> = (0..6).map(|_| server.client()).collect();
    let _: () = redis::cmd("CLIENT").arg("PAUSE").arg(400).arg("WRITE").query(&mut admin).unwrap();
    let started = Instant::now();
    // Reads go through during a WRITE pause.
    let _: Option<String> = redis::cmd("GET").arg("x").query(&mut writers[0]).unwrap();
    assert!(started.elapsed() < Duration::from_millis(300));
    for w in writers.iter_mut() {
        let _: () = redis::cmd("SET").arg("paused").arg(1).query(w).unwrap();
    }
    assert!(started.elapsed() >= Duration::from_millis(350), "writes must wait for the pause");
    // UNPAUSE releases waiting clients at once.
    let _: () = redis::cmd("CLIENT").arg("PAUSE").arg(60_000).arg("WRITE").query(&mut admin).unwrap();
    let port = server.port;
    let waiter = std::thread::spawn(move || {
        let mut raw = Raw::connect(port);
        let t = Instant::now();
        assert_eq!(raw.words("SET paused 2"), b"+OK\r\n");
        t.elapsed()
    });
    std::thread::sleep(Duration::from_millis(300));
    let _: () = redis::cmd("CLIENT").arg("UNPAUSE").query(&mut admin).unwrap();
    let waited = waiter.join().unwrap();
    assert!(waited >= Duration::from_millis(250) && waited < Duration::from_secs(10), "{waited:?}");
}

#[test]
fn client_reply_modes() {
    let server = Proc::shardis(&[]);
    let mut raw = server.raw();
    let remote = key_on_shard("reply:", 1, SHARDS);
    let mut bytes = Vec::new();
    bytes.extend(encode(&[b"CLIENT", b"REPLY", b"OFF"]));
    bytes.extend(encode(&[b"SET", remote.as_bytes(), b"v"]));
    bytes.extend(encode(&[b"GET", remote.as_bytes()]));
    bytes.extend(encode(&[b"DBSIZE"]));
    bytes.extend(encode(&[b"CLIENT", b"REPLY", b"ON"]));
    bytes.extend(encode(&[b"CLIENT", b"REPLY", b"SKIP"]));
    bytes.extend(encode(&[b"GET", remote.as_bytes()]));
    bytes.extend(encode(&[b"ECHO", b"last"]));
    raw.send(&bytes);
    assert_eq!(raw.reply(), b"+OK\r\n");
    assert_eq!(raw.reply(), b"$4\r\nlast\r\n");
}

#[test]
fn quit_closes_after_reply() {
    let server = Proc::shardis(&[]);
    let mut raw = server.raw();
    raw.send(b"PING\r\nQUIT\r\nPING\r\n");
    assert_eq!(raw.reply(), b"+PONG\r\n");
    assert_eq!(raw.reply(), b"+OK\r\n");
    assert!(raw.closed());
}

#[test]
fn reset_restores_defaults() {
    let server = Proc::shardis(&[]);
    let mut raw = server.raw();
    raw.words("HELLO 3 SETNAME x");
    raw.words("SELECT 2");
    assert_eq!(raw.words("RESET"), b"+RESET\r\n");
    assert_eq!(raw.words("CLIENT GETNAME"), b"$-1\r\n");
    let info = s(&raw.words("CLIENT INFO"));
    assert!(info.contains(" db=0 ") && info.contains(" resp=2 "), "{info}");
}

#[test]
fn monitor_sees_commands_from_every_shard() {
    let server = Proc::shardis(&[]);
    let mut mon = server.raw();
    assert_eq!(mon.words("MONITOR"), b"+OK\r\n");
    let mut clients: Vec<_> = (0..8).map(|_| server.raw()).collect();
    for (i, c) in clients.iter_mut().enumerate() {
        let key = format!("mon:{i}");
        assert_eq!(c.cmd(&[b"SET", key.as_bytes(), b"a \"b\"\n"]), b"+OK\r\n");
    }
    let mut seen = Vec::new();
    for _ in 0..8 {
        let line = s(&mon.reply());
        assert!(line.starts_with('+'), "{line}");
        seen.push(line);
    }
    for i in 0..8 {
        let want = format!("\"SET\" \"mon:{i}\" \"a \\\"b\\\"\\n\"");
        assert!(seen.iter().any(|l| l.contains(&want) && l.contains(" [0 127.0.0.1:")), "{want} in {seen:?}");
    }
}

#[test]
fn max_clients() {
    let server = Proc::shardis(&["--maxclients", "3"]);
    // The harness's readiness probe may still count for a moment after it closed: start once
    // the first client is the only one.
    let mut first = server.raw();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    while !s(&first.words("INFO clients")).contains("connected_clients:1\r\n") {
        assert!(std::time::Instant::now() < deadline, "the readiness probe was never let go");
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    // Each of the three is known to be accepted (it answered) before the fourth connects.
    let mut held: Vec<Raw> = std::iter::once(first).chain((0..2).map(|_| server.raw())).collect();
    for c in held.iter_mut() {
        assert_eq!(c.words("PING"), b"+PONG\r\n");
    }
    let mut d = server.raw();
    assert_eq!(d.reply(), b"-ERR max number of clients reached\r\n");
}
