//! Protected mode and connection limits against redis-server 7.0.15.

mod common;
use common::*;
use std::io::{Read, Write};
use std::net::{IpAddr, TcpStream, UdpSocket};
use std::time::Duration;

/// This machine's address on a non-loopback interface, found without sending anything.
fn outside_address() -> Option<IpAddr> {
    let s = UdpSocket::bind("0.0.0.0:0").ok()?;
    s.connect("192.0.2.1:9").ok()?;
    let ip = s.local_addr().ok()?.ip();
    (!ip.is_loopback() && !ip.is_unspecified()).then_some(ip)
}

/// What a client connecting from `ip` reads first after sending PING (or that it was closed).
fn first_words(ip: IpAddr, port: u16) -> String {
    let mut s = TcpStream::connect((ip, port)).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let _ = s.write_all(b"PING\r\n");
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    while let Ok(n) = s.read(&mut chunk) {
        if n == 0 {
            break;
        }
        buf.extend_from_slice(&chunk[..n]);
        if buf.ends_with(b"\r\n") {
            break;
        }
    }
    String::from_utf8_lossy(&buf).into_owned()
}

/// Protected mode: with the default user nopass, a client from another interface gets Redis's
/// DENIED text; a password for the default user, or protected mode off, lets it in.
#[test]
fn protected_mode_as_redis() {
    let ip = outside_address().expect("a non-loopback address to connect from (this test needs one)");
    let session = |server: Proc| -> Vec<String> {
        let mut out = vec![first_words(ip, server.port)];
        let mut admin = server.raw();
        admin.words("CONFIG SET requirepass secret");
        out.push(first_words(ip, server.port));
        admin.words("AUTH secret");
        admin.words("CONFIG SET requirepass ''");
        out.push(first_words(ip, server.port));
        admin.words("CONFIG SET protected-mode no");
        out.push(first_words(ip, server.port));
        out
    };
    let want = session(Proc::redis(&["--bind", "0.0.0.0"]));
    let got = session(Proc::shardis(&["--bind", "0.0.0.0"]));
    assert_eq!(got, want);
    assert!(want[0].starts_with("-DENIED"), "{want:?}");
}

/// Starts `program` under `ulimit -n 100` on a free port; returns the child and the port.
fn start_limited(program: &str, extra: &[&str]) -> (std::process::Child, u16) {
    let port = free_port();
    let script = format!("ulimit -n 100 && exec {program} --port {port} --save '' {}", extra.join(" "));
    let mut child = std::process::Command::new("sh")
        .args(["-c", &script])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    for _ in 0..100 {
        if Raw::try_connect(port) {
            return (child, port);
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let _ = child.kill();
    let _ = child.wait();
    panic!("{program} did not start");
}

/// maxclients is clamped to the open-file limit less 32, as Redis does, and the client past it
/// gets Redis's error while the others are served.
#[test]
fn maxclients_follows_the_open_file_limit() {
    let shardis_bin = env!("CARGO_BIN_EXE_shardis-server");
    let session = |program: &str, extra: &[&str]| -> Vec<String> {
        let (mut child, port) = start_limited(program, extra);
        let mut out = Vec::new();
        let mut admin = Raw::connect(port);
        out.push(s(&admin.words("CONFIG GET maxclients")));
        admin.words("CONFIG SET maxclients 5");
        let mut held: Vec<Raw> = (0..4).map(|_| Raw::connect(port)).collect();
        for c in &mut held {
            out.push(s(&c.words("PING")));
        }
        out.push(first_words("127.0.0.1".parse().unwrap(), port));
        drop(held);
        std::thread::sleep(Duration::from_millis(200));
        out.push(first_words("127.0.0.1".parse().unwrap(), port));
        // Past the open-file limit at run time: refused, with the number that would fit.
        for line in ["CONFIG SET maxclients 1000", "CONFIG GET maxclients", "CONFIG SET maxclients 60"] {
            out.push(s(&admin.words(line)));
        }
        let _ = child.kill();
        let _ = child.wait();
        out
    };
    let want = session("redis-server", &["--appendonly", "no"]);
    let got = session(shardis_bin, &["--shards", "2"]);
    assert_eq!(got, want);
    assert_eq!(want[0], "*2\r\n$10\r\nmaxclients\r\n$2\r\n68\r\n");
}

/// `timeout` closes idle clients, never blocked or subscribed ones.
#[test]
fn idle_timeout_spares_blocked_and_subscribed_clients() {
    run_cases_then(
        &[&[
            "CONFIG SET timeout 1",
            "@2 PING",
            "@3 SUBSCRIBE ch",
            "@5 & BLPOP nolist 0",
            "sleep 2600",
            "@2 <none 100",
            "@3 <none 100",
            "@5 <none 100",
            "@6 PUBLISH ch hi",
            "@3 <",
            "@6 RPUSH nolist x",
            "@5 <",
            "@1 <none 100",
        ]],
        &["CONFIG SET timeout 0"],
    );
}

/// rename-command as Redis: the old name is unknown, the new one runs the command (in scripts
/// too), an empty new name removes it.
#[test]
fn rename_command_as_redis() {
    let args = ["--rename-command", "GET", "MYGET", "--rename-command", "FLUSHALL", "''"];
    let lines = [
        "SET x 1",
        "GET x",
        "MYGET x",
        "myget x",
        "FLUSHALL",
        "EVAL return(redis.call('myget','x')) 0",
        "EVAL return(redis.pcall('get','x')) 0",
        "DEL x",
        // Lookups take the new names; entries keep their own; a removed command is gone.
        "COMMAND INFO myget get flushall",
        "COMMAND DOCS myget flushall",
        "COMMAND GETKEYS myget a",
        "COMMAND GETKEYS get a",
        "COMMAND LIST FILTERBY PATTERN *flushall*",
        "COMMAND LIST FILTERBY PATTERN myget",
        "COMMAND DOCS client|list",
        // ACL key checks find a renamed command's keys.
        "ACL SETUSER u on nopass ~a* +@all",
        "AUTH u x",
        "MYGET b",
        "MYGET a",
        "ACL DRYRUN u myget b",
        "EVAL return(redis.acl_check_cmd('myget','b')) 0",
        "EVAL return(redis.acl_check_cmd('myget','a')) 0",
        "EVAL return(redis.acl_check_cmd('get','a')) 0",
        "EVAL return(redis.acl_check_cmd('config','nosuch')) 0",
        "EVAL return(redis.acl_check_cmd('config','get','x')) 0",
        "EVAL return(redis.acl_check_cmd()) 0",
        "EVAL return(redis.acl_check_cmd({})) 0",
    ];
    let session = |server: Proc| -> String {
        let mut c = server.raw();
        lines.iter().map(|l| format!("> {l}\n{}", s(&c.cmd(&line_args(l))))).collect()
    };
    let redis_args: Vec<&str> = args.iter().map(|a| if *a == "''" { "" } else { a }).collect();
    let want = session(Proc::redis(&redis_args));
    let got = session(Proc::shardis(&redis_args));
    assert_eq!(got, want);
    // COMMAND and COMMAND COUNT leave FLUSHALL out, and only it.
    let count = |server: Proc| -> (i64, usize) {
        let mut con = server.client();
        let n: i64 = redis::cmd("COMMAND").arg("COUNT").query(&mut con).unwrap();
        let all: Vec<redis::Value> = redis::cmd("COMMAND").query(&mut con).unwrap();
        (n, all.len())
    };
    let (before, renamed) = (count(Proc::shardis(&[])), count(Proc::shardis(&redis_args)));
    assert_eq!(renamed, (before.0 - 1, before.1 - 1));
}

/// Raises this process's open-file limit to its hard limit; returns the new soft limit.
fn raise_open_files() -> u64 {
    let mut limit = libc::rlimit { rlim_cur: 0, rlim_max: 0 };
    // SAFETY: getrlimit/setrlimit only read and write the struct we pass.
    unsafe {
        libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit);
        limit.rlim_cur = limit.rlim_max;
        libc::setrlimit(libc::RLIMIT_NOFILE, &limit);
        libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit);
    }
    limit.rlim_cur
}

/// 10,000 clients at once on four shards: every one is served, and the one past maxclients
/// gets Redis's error; once some leave, new ones are let in again. (With a hard open-file
/// limit under 10,200 it uses as many as the limit allows, and says so.)
#[test]
fn ten_thousand_clients_and_the_one_past_maxclients() {
    let have = raise_open_files();
    let n = 10_000usize.min(have.saturating_sub(200) as usize);
    assert!(n >= 1_000, "the open-file limit ({have}) is too low for this test");
    if n < 10_000 {
        eprintln!("only {n} clients: the hard open-file limit is {have}");
    }
    let max = n.to_string();
    let server = Proc::shardis(&["--maxclients", &max]);
    let mut clients: Vec<TcpStream> = Vec::with_capacity(n);
    for _ in 0..n {
        let c = TcpStream::connect(("127.0.0.1", server.port)).unwrap();
        c.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        clients.push(c);
    }
    // Every client is served (pipelined: all send, then all read).
    for c in &mut clients {
        c.write_all(b"PING\r\n").unwrap();
    }
    for c in &mut clients {
        let mut buf = [0u8; 7];
        c.read_exact(&mut buf).unwrap();
        assert_eq!(&buf, b"+PONG\r\n");
    }
    assert_eq!(first_words("127.0.0.1".parse().unwrap(), server.port), "-ERR max number of clients reached\r\n");
    clients.truncate(n - 10);
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(first_words("127.0.0.1".parse().unwrap(), server.port), "+PONG\r\n");
}

/// 1,000 idle connections held open through a pipelined load: 8 busy clients, each with 200
/// rounds of 50 pipelined SETs and GETs on keys of every shard, get every reply right, and
/// every idle connection still answers afterwards. (How throughput and p99 fare is measured,
/// not asserted: `scripts/bench-idle-clients.sh`, BENCHMARKS.md.)
#[test]
fn busy_clients_are_served_beside_a_thousand_idle_ones() {
    let have = raise_open_files();
    assert!(have >= 1_200, "the open-file limit ({have}) is too low for this test");
    let server = Proc::shardis(&[]);
    let mut idle: Vec<Raw> = (0..1_000).map(|_| server.raw()).collect();
    let busy: Vec<_> = (0..8)
        .map(|w| {
            let port = server.port;
            std::thread::spawn(move || {
                let mut c = Raw::connect(port);
                let keys: Vec<String> =
                    (0..50).map(|i| key_on_shard(&format!("busy{w}:{i}:"), i % SHARDS, SHARDS)).collect();
                for round in 0..200 {
                    let value = format!("{w}-{round}");
                    let mut pipeline = Vec::new();
                    for k in &keys {
                        pipeline.extend(encode(&[b"SET", k.as_bytes(), value.as_bytes()]));
                        pipeline.extend(encode(&[b"GET", k.as_bytes()]));
                    }
                    c.send(&pipeline);
                    let want = format!("${}\r\n{value}\r\n", value.len());
                    for k in &keys {
                        assert_eq!(c.reply(), b"+OK\r\n", "SET {k}");
                        assert_eq!(s(&c.reply()), want, "GET {k}");
                    }
                }
            })
        })
        .collect();
    for b in busy {
        b.join().unwrap();
    }
    for c in &mut idle {
        c.send(b"PING\r\n");
    }
    for c in &mut idle {
        assert_eq!(c.reply(), b"+PONG\r\n");
    }
}

/// CLIENT LIST's `cmd=` is the last command a client named, as Redis's lastcmd: the last of a
/// pipelined run (here of keys on one shard, which may be another core's), NULL after an
/// unknown command, and a refused one.
#[test]
fn client_list_shows_the_last_command_named() {
    let session = |server: Proc| -> Vec<String> {
        let mut a = server.raw();
        let mut b = server.raw();
        a.words("CLIENT SETNAME watched");
        let cmd_of_a = |b: &mut Raw| -> String {
            let list = s(&b.words("CLIENT LIST"));
            let line = list.lines().find(|l| l.contains("name=watched")).expect("a's line").to_string();
            line.split(' ').find(|f| f.starts_with("cmd=")).unwrap_or("").to_string()
        };
        let mut out = Vec::new();
        a.send(b"GET {t}1\r\nSTRLEN {t}2\r\nTTL {t}3\r\n");
        for _ in 0..3 {
            a.reply();
        }
        out.push(cmd_of_a(&mut b));
        a.words("NOSUCH x");
        out.push(cmd_of_a(&mut b));
        a.words("CONFIG NOSUCH");
        out.push(cmd_of_a(&mut b));
        a.words("GET");
        out.push(cmd_of_a(&mut b));
        a.words("MULTI");
        a.words("INCR {t}1");
        out.push(cmd_of_a(&mut b));
        out
    };
    let want = session(Proc::redis(&[]));
    assert_eq!(session(Proc::shardis(&[])), want);
    assert_eq!(want, ["cmd=ttl", "cmd=NULL", "cmd=NULL", "cmd=get", "cmd=incr"]);
}
