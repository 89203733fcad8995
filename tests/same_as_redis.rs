//! Byte-for-byte comparison with the reference: the same bytes go to Debian's redis-server
//! 7.0.15 and to shardis (4 shards); the replies must be identical. Only commands whose replies
//! are deterministic are listed (no ids, times, versions).

mod common;
use common::*;

/// Each case runs on a fresh connection to both servers: the bytes to send, then how many
/// replies to read. A case that closes the connection reads until EOF instead.
fn compare(cases: &[(&[u8], usize)]) {
    let redis = Proc::redis(&[]);
    let shardis = Proc::shardis(&[]);
    for (bytes, replies) in cases {
        let run = |port: u16| {
            let mut raw = Raw::connect(port);
            raw.send(bytes);
            let mut out = Vec::new();
            for _ in 0..*replies {
                out.extend(raw.reply());
            }
            out
        };
        eprintln!("case {:?}", s(bytes));
        let want = run(redis.port);
        let got = run(shardis.port);
        assert_eq!(s(&got), s(&want), "for input {:?}", s(bytes));
    }
}

fn cmds(lines: &[&str]) -> (Vec<u8>, usize) {
    let mut bytes = Vec::new();
    for line in lines {
        let args: Vec<&[u8]> = line.split(' ').map(|w| w.as_bytes()).collect();
        bytes.extend(encode(&args));
    }
    (bytes, lines.len())
}

#[test]
fn connection_commands() {
    let cases = [
        cmds(&["PING", "PING hello", "PING a b", "ECHO", "ECHO hi", "ECHO a b"]),
        cmds(&["HELLO 4", "HELLO foo", "HELLO 2 AUTH", "HELLO 2 FOO", "HELLO 2 SETNAME a\nb"]),
        cmds(&["AUTH x", "AUTH default x", "AUTH a b", "AUTH a b c"]),
        cmds(&["SELECT 1", "SELECT 16", "SELECT -1", "SELECT x", "SELECT"]),
        cmds(&["CLIENT", "CLIENT FOO", "CLIENT SETNAME", "CLIENT SETNAME a b", "CLIENT SETNAME a\tb"]),
        cmds(&["CLIENT GETNAME", "CLIENT SETNAME conn1", "CLIENT GETNAME", "CLIENT SETNAME ", "CLIENT GETNAME"]),
        cmds(&[
            "CLIENT KILL 1.2.3.4:5",
            "CLIENT KILL ID 99999",
            "CLIENT KILL ID x",
            "CLIENT KILL FOO bar",
            "CLIENT KILL ID",
        ]),
        cmds(&["CLIENT KILL TYPE foo", "CLIENT KILL TYPE normal SKIPME yes", "CLIENT KILL SKIPME maybe"]),
        cmds(&["CLIENT PAUSE x", "CLIENT PAUSE -1", "CLIENT PAUSE 10 FOO", "CLIENT PAUSE 1 WRITE", "CLIENT UNPAUSE"]),
        cmds(&["CLIENT REPLY FOO", "CLIENT REPLY ON", "CLIENT LIST TYPE foo", "CLIENT LIST ID x", "CLIENT LIST FOO"]),
        (cmds(&["CLIENT REPLY OFF", "PING", "ECHO a", "CLIENT REPLY ON", "PING x"]).0, 2),
        (cmds(&["CLIENT REPLY SKIP", "PING a", "PING b"]).0, 1),
        cmds(&["QUIT"]),
        cmds(&["RESET", "RESET x"]),
    ];
    let cases: Vec<(&[u8], usize)> = cases.iter().map(|(b, n)| (b.as_slice(), *n)).collect();
    compare(&cases);
}

#[test]
fn unknown_commands_and_arity() {
    let long = format!("FOO {} b", "x".repeat(300));
    let cases = [
        cmds(&["FOO", "FOO a b", long.as_str(), "GET", "GET a b", "SET a", "CONFIG", "CONFIG FOO", "CONFIG GET"]),
        cmds(&["SLOWLOG", "SLOWLOG FOO", "LATENCY FOO", "COMMAND FOO", "INFO a b c d e f"]),
    ];
    let cases: Vec<(&[u8], usize)> = cases.iter().map(|(b, n)| (b.as_slice(), *n)).collect();
    compare(&cases);
}

#[test]
fn server_commands() {
    let cases = [
        cmds(&["CONFIG GET maxmemory", "CONFIG GET maxmemory-policy", "CONFIG GET databases", "CONFIG GET nosuch"]),
        cmds(&["CONFIG SET maxmemory 10mb", "CONFIG GET maxmemory", "CONFIG SET maxmemory x", "CONFIG SET nosuch 1"]),
        cmds(&[
            "CONFIG SET maxmemory",
            "CONFIG SET daemonize yes",
            "CONFIG SET maxmemory 1 maxmemory 2",
            "CONFIG HELP",
        ]),
        // A starved machine can make any command "slow": raise the threshold, then clear the log.
        cmds(&[
            "CONFIG SET slowlog-log-slower-than 100000000",
            "SLOWLOG RESET",
            "CONFIG RESETSTAT",
            "SLOWLOG LEN",
            "SLOWLOG GET x",
            "SLOWLOG GET -2",
            "SLOWLOG HELP",
            "CONFIG SET slowlog-log-slower-than 10000",
        ]),
        cmds(&["LATENCY LATEST", "LATENCY HISTORY command", "LATENCY RESET", "LATENCY DOCTOR", "LATENCY HELP"]),
        cmds(&["SHUTDOWN ABORT", "SHUTDOWN FOO", "LOLWUT VERSION x"]),
        // Illegal combinations, which must not shut either server down.
        cmds(&[
            "SHUTDOWN NOSAVE SAVE",
            "SHUTDOWN SAVE NOSAVE NOW",
            "SHUTDOWN ABORT NOW",
            "SHUTDOWN FORCE ABORT",
            "SHUTDOWN SAVE ABORT",
            "SHUTDOWN ABORT ABORT",
            "SHUTDOWN NOW FOO",
        ]),
        cmds(&["COMMAND INFO get set nosuch", "COMMAND DOCS get", "COMMAND DOCS nosuch", "COMMAND HELP"]),
        cmds(&["COMMAND GETKEYS get a", "COMMAND GETKEYS foo a", "COMMAND GETKEYS ping x", "COMMAND GETKEYS get"]),
        // (Redis lists subcommands in hash order, different on every start: compared in unit tests.)
        cmds(&["COMMAND INFO client|list client|setname"]),
        cmds(&["COMMAND LIST FILTERBY foo x", "COMMAND LIST FOO"]),
    ];
    let cases: Vec<(&[u8], usize)> = cases.iter().map(|(b, n)| (b.as_slice(), *n)).collect();
    compare(&cases);
}

#[test]
fn resp3_replies() {
    let mut hello = encode(&[b"HELLO", b"3"]);
    let (rest, n) = cmds(&[
        "PING",
        "ECHO x",
        "CONFIG GET maxmemory",
        "COMMAND INFO get",
        "COMMAND DOCS get",
        "CLIENT GETNAME",
        "LATENCY LATEST",
        "FOO",
    ]);
    hello.extend(rest);
    // The HELLO reply itself differs (version, id): compare what follows it.
    let redis = Proc::redis(&[]);
    let shardis = Proc::shardis(&[]);
    let run = |port: u16| {
        let mut raw = Raw::connect(port);
        raw.send(&hello);
        let first = raw.reply();
        assert!(first.starts_with(b"%7\r\n"), "{}", s(&first));
        (0..n).flat_map(|_| raw.reply()).collect::<Vec<u8>>()
    };
    assert_eq!(s(&run(shardis.port)), s(&run(redis.port)));
}

#[test]
fn protocol_errors() {
    // Redis 7.0 caps the count at INT_MAX, not 1M.
    let big_count = format!("*{}\r\n", i32::MAX as u64 + 1);
    let cases: Vec<(Vec<u8>, usize)> = vec![
        (b"*2\r\n$4\r\nECHO\r\n$2\r\nhi\r\n".to_vec(), 1),
        (b"PING\r\nECHO \"a b\"\r\n".to_vec(), 2),
        (b"ECHO \"unbalanced\r\n".to_vec(), 1),
        (b"ECHO 'a\\'b'\r\nECHO \"\\x41\\n\"\r\n".to_vec(), 2),
        (b"*1\r\nx".to_vec(), 0),
        (b"*x\r\n".to_vec(), 1),
        (big_count.into_bytes(), 1),
        (b"*1\r\n+PING\r\n".to_vec(), 1),
        (b"*1\r\n$x\r\n".to_vec(), 1),
        (b"*1\r\n$-1\r\n".to_vec(), 1),
        (b"*1\r\n$536870913\r\n".to_vec(), 1),
        (b"*0\r\n*-1\r\nPING\r\n".to_vec(), 1),
        (b"\r\n\n  \r\nPING\r\n".to_vec(), 1),
        (b"PING\nPING\r\n".to_vec(), 2),
    ];
    let cases: Vec<(&[u8], usize)> = cases.iter().map(|(b, n)| (b.as_slice(), *n)).collect();
    compare(&cases);
}

#[test]
fn too_big_inline_and_headers() {
    let inline = vec![b'a'; 70 * 1024];
    let mut header = b"*1\r\n$".to_vec();
    header.extend(vec![b'1'; 70 * 1024]);
    let cases = [(inline.as_slice(), 1), (header.as_slice(), 1)];
    compare(&cases);
}
