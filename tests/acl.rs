//! ACL users byte for byte against redis-server 7.0.15, with keys on four shards: the rules
//! and how ACL LIST / GETUSER describe them, AUTH and HELLO AUTH, and NOPERM for commands,
//! first arguments, keys (read and write patterns) and channels, selectors included.

mod common;
use common::*;
use std::time::Duration;

fn run_cases(cases: &[&[&str]]) {
    run_cases_then(cases, &[]);
}

/// Redis lists single commands in rules (after `+@all`/`-@all` and the categories) in the order
/// of its command table's hash, seeded at random on each start: those are compared sorted.
fn sorted_rules(text: &str) -> String {
    let sort = |rules: &str| -> String {
        let mut head: Vec<&str> = Vec::new();
        let mut singles: Vec<&str> = Vec::new();
        for t in rules.split(' ') {
            if singles.is_empty() && (t.starts_with("+@") || t.starts_with("-@")) {
                head.push(t);
            } else {
                singles.push(t);
            }
        }
        singles.sort_unstable();
        head.extend(singles);
        head.join(" ")
    };
    text.split('\n')
        .map(|line| {
            let (line, cr) = line.strip_suffix('\r').map_or((line, ""), |l| (l, "\r"));
            match line.find("-@all").or_else(|| line.find("+@all")) {
                Some(at) if !line[at..].contains('(') => format!("{}{}{cr}", &line[..at], sort(&line[at..])),
                _ => format!("{line}{cr}"),
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// How a session starts its server: `Proc::redis` or `Proc::shardis`.
type Start = fn(&[&str]) -> Proc;

/// Runs `session` against Redis and against shardis (each with its own tag, for its files)
/// and compares the transcripts, single commands in rules sorted.
fn same_session_sorted(session: fn(Start, &str) -> String) {
    let want = sorted_rules(&session(Proc::redis, "redis"));
    assert_eq!(sorted_rules(&session(Proc::shardis, "shardis")), want);
}

fn run_sorted(cases: &[&[&str]]) {
    same_on_both(cases, |port, lines| sorted_rules(&transcript(port, lines)));
}

#[test]
fn users_and_rules_as_redis() {
    run_sorted(&[&[
        "ACL LIST",
        "ACL SETUSER alice on >pw ~cache:* &chan:* +get +set -@dangerous +@hash",
        "ACL LIST",
        "ACL GETUSER alice",
        "ACL SETUSER bob",
        "ACL SETUSER carol on nopass +@read -get +get allkeys %R~r:* %W~w:* resetchannels",
        "ACL SETUSER carol resetkeys %R~r:* %W~w:* %RW~rw:* %R~w:* ~w:*",
        "ACL GETUSER carol",
        "ACL SETUSER dave on nopass +config|get +select|0 (~a* +set) (%R~b* &c +get)",
        "ACL GETUSER dave",
        "ACL SETUSER dave clearselectors",
        "ACL GETUSER dave",
        "ACL SETUSER eve on (~a* +get",
        "ACL SETUSER eve #abc",
        "ACL SETUSER eve <nope",
        "ACL SETUSER eve !0000000000000000000000000000000000000000000000000000000000000000",
        "ACL SETUSER eve +config|get|x",
        "ACL SETUSER eve +select|",
        "ACL SETUSER eve -select|0",
        "ACL SETUSER eve %RX~a",
        "ACL SETUSER eve %~b",
        "ACL SETUSER eve +nosuch",
        "ACL SETUSER eve +@nosuch",
        "ACL SETUSER eve allkeys ~x",
        "ACL SETUSER eve allchannels &x",
        "ACL SETUSER eve bogus",
        "ACL SETUSER eve on ~a +get bogus",
        "ACL GETUSER eve",
        "ACL SETUSER eve %R~a %W~a %R %R~ ~ &",
        "ACL SETUSER eve (''\x20+get)",
        "ACL SETUSER eve (+get\x20'')",
        "ACL GETUSER eve",
        "ACL SETUSER eve reset",
        "ACL GETUSER eve",
        "ACL SETUSER frank on >a >b <a #0000000000000000000000000000000000000000000000000000000000000000",
        "ACL GETUSER frank",
        "ACL SETUSER frank !0000000000000000000000000000000000000000000000000000000000000000 nopass skip-sanitize-payload",
        "ACL SETUSER gina on +@all -get -set ~* &*",
        "ACL SETUSER hank on +client|setname +client|getname +config allkeys",
        "ACL SETUSER ivan on -@all +@read -@fast",
        "ACL LIST",
        "ACL USERS",
        "ACL GETUSER nosuch",
        "ACL WHOAMI",
        "ACL CAT",
        "ACL CAT nosuchcat",
        "ACL DELUSER default",
        "ACL DELUSER alice bob nosuch",
        "ACL USERS",
        "ACL GENPASS 0",
        "ACL GENPASS 5000",
        "ACL GENPASS x",
        "ACL HELP",
        "ACL SETUSER kim on >a >b resetpass nocommands +get",
        "ACL GETUSER kim",
        "ACL LOAD",
        "ACL SAVE",
        "ACL NOSUCH",
        "HELLO 3",
        "ACL GETUSER carol",
    ]]);
}

/// Rules with bytes that are not text: Redis reads keywords and command rules up to a NUL (C
/// strings), refuses a NUL in a pattern, and keeps other bytes (a first argument, a password).
#[test]
fn binary_rules_as_redis() {
    let rules: &[&[u8]] = &[
        b"on\x00x",
        b"allkeys\x00x",
        b"~*\x00x",
        b"+@all\x00x",
        b"-get\x00x",
        b"+get\x00x",
        b"+@read\x00x",
        b"+se\x00lect|a",
        b"+select|a\x00b",
        b"+select|\x00",
        b"+select|\xff\xfe",
        b"(+get\x00 +set)",
        b"%R~a\x00",
        b"&c\x00d",
        b">\x00\xff",
        b"\x00",
    ];
    let redis = Proc::redis(&[]);
    let shardis = Proc::shardis(&[]);
    let (mut want, mut got) = (Raw::connect(redis.port), Raw::connect(shardis.port));
    for (i, rule) in rules.iter().enumerate() {
        let name = format!("u{i}");
        let setuser: &[&[u8]] = &[b"ACL", b"SETUSER", name.as_bytes(), rule];
        assert_eq!(got.cmd(setuser), want.cmd(setuser), "rule {rule:?}");
        let list: &[&[u8]] = &[b"ACL", b"GETUSER", name.as_bytes()];
        assert_eq!(got.cmd(list), want.cmd(list), "rule {rule:?}");
    }
    // A selector over several arguments is joined up to each one's NUL, and closed by the
    // whole argument.
    for setuser in [
        &[&b"ACL"[..], b"SETUSER", b"sel", b"(~a", b"+get\x00x)"],
        &[b"ACL", b"SETUSER", b"sel2", b"(~a\x00b", b"+get)"],
    ] {
        assert_eq!(got.cmd(setuser), want.cmd(setuser), "{setuser:?}");
    }
    let auth: &[&[u8]] = &[b"AUTH", b"u14", b"\x00\xff"];
    assert_eq!(got.cmd(&[b"ACL", b"SETUSER", b"u14", b"on", b"+@all"]), b"+OK\r\n");
    want.cmd(&[b"ACL", b"SETUSER", b"u14", b"on", b"+@all"]);
    assert_eq!(got.cmd(auth), want.cmd(auth));
}

#[test]
fn permissions_as_redis() {
    run_cases(&[&[
        "ACL SETUSER alice on >pw ~cache:* &chan:* +get +set +mget +mset +publish +spublish +subscribe +psubscribe +@hash +multi +exec",
        "AUTH alice wrong",
        "AUTH nosuch pw",
        "AUTH alice pw",
        "ACL WHOAMI",
        "GET cache:1",
        "GET other",
        "SET cache:a 1",
        "MSET cache:a 1 cache:b 2 cache:c 3 cache:d 4",
        "MSET cache:a 1 other 2",
        "MGET cache:a cache:b other",
        "MGET cache:a cache:b cache:c",
        "HSET cache:h f v",
        "HGET cache:h f",
        "HGET other f",
        "LPUSH cache:l x",
        "CONFIG GET maxmemory",
        "PUBLISH chan:1 hi",
        "PUBLISH other hi",
        "SPUBLISH other hi",
        "MULTI",
        "GET cache:1",
        "LPUSH cache:l x",
        "GET other",
        "EXEC",
        "AUTH default x",
        "ACL SETUSER bob on nopass %R~r:* %W~w:* +@all",
        "AUTH bob x",
        "ACL WHOAMI",
        "SET r:1 v",
        "GET r:1",
        "SET w:1 v",
        "GET w:1",
        "APPEND w:1 x",
        "SET w:1 v GET",
        "SET w:1 v",
        "SET w:1 v EX 100",
        "COPY r:1 w:2",
        "COPY w:1 r:2",
        "EXISTS r:1 w:1",
        "AUTH default x",
        "SET r:1 v",
        "AUTH bob x",
        "COPY r:1 w:2",
        "GET r:1",
        "AUTH default x",
        "ACL SETUSER carol on nopass +select|0 +get allkeys",
        "AUTH carol x",
        "SELECT 0",
        "SELECT 1",
        "SELECT",
        "GET x",
        "AUTH default x",
        "ACL SETUSER dave on nopass allkeys +get (~w* +set) (&ch* +publish)",
        "AUTH dave x",
        "SET wx 1",
        "SET other 1",
        "GET other",
        "PUBLISH chx 1",
        "PUBLISH other 1",
        "INCR wx",
        "AUTH default x",
        "ACL SETUSER alice off",
        "AUTH alice pw",
        "ACL SETUSER alice on",
        "HELLO 3 AUTH alice wrong",
        "HELLO 3 AUTH alice pw SETNAME me",
        "ACL WHOAMI",
        "CLIENT GETNAME",
        "GET cache:1",
        "GET other",
        "RESET",
        "ACL WHOAMI",
        "ACL SETUSER sub on nopass &chan:* +@pubsub",
        "AUTH sub x",
        "SSUBSCRIBE other",
        "SUBSCRIBE chan:1 other",
        "PSUBSCRIBE chan:1*",
        "SSUBSCRIBE chan:1",
        "RESET",
        "PSUBSCRIBE chan:*",
    ]]);
}

/// EXEC checks the queued commands again: those the user lost the right to run since they were
/// queued (command, key or channel) answer Redis's error, the others run; keys on four shards.
#[test]
fn exec_checks_permissions_again() {
    run_cases(&[&[
        "ACL SETUSER ex on nopass allkeys allchannels +@all",
        "@2 AUTH ex x",
        "@2 MULTI",
        "@2 GET k",
        "@2 SET k2 v",
        "@2 PUBLISH ch v",
        "@2 SET k v",
        "@2 MSET k 1 k3 2 k4 3",
        "ACL SETUSER ex -get resetkeys ~k resetchannels",
        "@2 EXEC",
        "@2 MULTI",
        "@2 SET k 1",
        "@2 INCR k",
        "@2 EXEC",
        "@2 MULTI",
        "@2 SET k 2",
        "ACL SETUSER ex -incr",
        "@2 EXEC",
        "@2 GET k",
    ]]);
}

/// ACL DRYRUN: OK, or what is refused, named; its own errors.
#[test]
fn dryrun_as_redis() {
    run_cases(&[&[
        "ACL SETUSER dr on nopass ~a* &ch* +get +publish +config|get",
        "ACL DRYRUN dr get a",
        "ACL DRYRUN dr get b",
        "ACL DRYRUN dr set a 1",
        "ACL DRYRUN dr publish x 1",
        "ACL DRYRUN dr publish ch 1",
        "ACL DRYRUN nosuch get a",
        "ACL DRYRUN dr nosuchcmd a",
        "ACL DRYRUN dr get",
        "ACL DRYRUN dr config get x",
        "ACL DRYRUN dr config set x y",
        "ACL DRYRUN dr config nosub",
        "ACL DRYRUN dr config",
        "ACL DRYRUN default get a",
        "ACL DRYRUN dr",
    ]]);
}

/// Subscribers whose user loses a channel or pattern they are subscribed to are disconnected;
/// a change that keeps every subscription (or gives all channels) keeps them.
#[test]
fn subscribers_losing_a_channel_are_disconnected() {
    run_cases(&[&[
        "ACL SETUSER sub on nopass +@all allkeys resetchannels &news* &sports",
        "@2 AUTH sub x",
        "@2 SUBSCRIBE news1 sports",
        "@3 AUTH sub x",
        "@3 PSUBSCRIBE news*",
        "@4 AUTH sub x",
        "@4 PING",
        "ACL SETUSER sub &more",
        "@2 <none 200",
        "@3 <none 200",
        "ACL SETUSER sub resetchannels &news* &more",
        "@2 <none 200",
        "@3 <none 200",
        "@4 PING",
        "ACL SETUSER sub resetchannels &news1",
        "@3 <none 200",
        "@4 PING",
    ]]);
}

/// CLIENT KILL USER closes the user's clients (on every shard), and names an unknown user.
#[test]
fn client_kill_user_as_redis() {
    run_cases(&[&[
        "ACL SETUSER k1 on nopass +@all",
        "@2 AUTH k1 x",
        "@3 AUTH k1 x",
        "@4 PING",
        "CLIENT KILL USER nosuch",
        "CLIENT KILL USER k1",
        "@2 <none 200",
        "@3 <none 200",
        "@4 PING",
        "CLIENT KILL USER default",
        "@4 <none 200",
        "PING",
    ]]);
}

/// SORT's BY (with a pattern) and GET read keys SORT does not declare: they need read access
/// to every key, as in Redis 7.0.
#[test]
fn sort_by_and_get_need_every_key() {
    run_cases(&[&[
        "RPUSH l 3 1 2",
        "ACL SETUSER srt on nopass ~l* +sort",
        "ACL SETUSER all on nopass %R~* +sort",
        "AUTH srt x",
        "SORT l BY w_*",
        "SORT l BY nosort",
        "SORT l GET #",
        "SORT l",
        "SORT other",
        "AUTH all x",
        "SORT l BY w_* GET #",
    ]]);
}

/// A script runs as its caller's user: each call is checked, with the scripting errors, raised
/// (redis.call) or returned (redis.pcall); keys on four shards.
#[test]
fn scripts_run_as_their_callers_user() {
    run_cases(&[&[
        "ACL SETUSER lua on nopass ~a* +eval +evalsha +get +set +fcall +function|load +publish",
        "AUTH lua x",
        "EVAL return(redis.call('lpush','a1','v')) 0",
        "EVAL return(redis.pcall('lpush','a1','v')) 0",
        "EVAL return(redis.call('get','b1')) 0",
        "EVAL return(redis.call('set','a1','v')) 0",
        "EVAL return(redis.call('get','a1')) 0",
        "EVAL return(redis.call('set',KEYS[1],'v')) 1 a2",
        "EVAL return(redis.call('set',KEYS[1],'v')) 1 b2",
        "EVAL return(redis.call('publish','ch','v')) 0",
        "AUTH default x",
        "EVAL return(redis.call('lpush','b3','v')) 0",
    ]]);
}

/// requirepass is the default user's password: CONFIG SET changes it (ACL LIST shows the
/// hash), AUTH with one argument checks it, and an empty one makes the user nopass again.
#[test]
fn requirepass_is_the_default_users_password() {
    run_cases(&[&[
        "AUTH x",
        "CONFIG SET requirepass secret",
        "ACL LIST",
        "AUTH wrong",
        "AUTH secret",
        "AUTH default secret",
        "CONFIG SET requirepass ''",
        "ACL LIST",
        "AUTH secret",
    ]]);
}

/// ACL DELUSER closes the user's connections, on every shard; the caller that deletes its own
/// user gets its reply first. SETUSER changes apply to connected clients at once.
#[test]
fn deluser_closes_the_users_connections() {
    let server = Proc::shardis(&[]);
    let mut admin = server.raw();
    assert_eq!(s(&admin.words("ACL SETUSER zed on nopass +@all ~*")), "+OK\r\n");
    let mut clients: Vec<Raw> = (0..8).map(|_| server.raw()).collect();
    for c in &mut clients {
        assert_eq!(s(&c.words("AUTH zed x")), "+OK\r\n");
        assert_eq!(s(&c.words("SET k 1")), "+OK\r\n");
    }
    // Rules changed: the connected clients see them.
    assert_eq!(s(&admin.words("ACL SETUSER zed -set")), "+OK\r\n");
    for c in &mut clients {
        assert_eq!(s(&c.words("SET k 1")), "-NOPERM this user has no permissions to run the 'set' command\r\n");
    }
    assert_eq!(s(&admin.words("ACL DELUSER zed")), ":1\r\n");
    for c in &mut clients {
        assert!(c.closed(), "a client of the deleted user is still open");
    }
    let mut me = server.raw();
    assert_eq!(s(&me.words("ACL SETUSER self on nopass +@all")), "+OK\r\n");
    assert_eq!(s(&me.words("AUTH self x")), "+OK\r\n");
    assert_eq!(s(&me.words("ACL DELUSER self")), ":1\r\n");
    assert!(me.closed());
    assert_eq!(s(&admin.words("ACL USERS")), "*1\r\n$7\r\ndefault\r\n");
}

/// ACL LOG against Redis: what was refused (commands, keys, channels, logins; at the top
/// level, in MULTI and EXEC, and in scripts), by whom, how many times alike, newest first;
/// COUNT and RESET. Ages are not compared, nor the client's details but its name, user and
/// command.
#[test]
fn acl_log_as_redis() {
    let lines: &[&str] = &[
        "ACL SETUSER u on nopass ~a* &ch* +get +set +publish +multi +exec +eval +client",
        "CLIENT SETNAME caller",
        "AUTH u x",
        "GET b",
        "GET b",
        "GET a",
        "LPUSH a x",
        "PUBLISH other x",
        "EVAL return(redis.call('get','b1')) 0",
        "EVAL return(redis.call('lpush','a1','x')) 0",
        "MULTI",
        "GET c",
        "DISCARD",
        "AUTH u wrong",
        "AUTH nosuch x",
        "auth default x",
        "AUTH nosuch x",
    ];
    let entries = |port: u16| -> Vec<Vec<String>> {
        let mut raw = Raw::connect(port);
        raw.words("ACL LOG RESET");
        for line in lines {
            raw.cmd(&line_args(line));
        }
        let mut con = redis::Client::open(format!("redis://127.0.0.1:{port}/")).unwrap().get_connection().unwrap();
        let log: Vec<redis::Value> = redis::cmd("ACL").arg("LOG").query(&mut con).unwrap();
        let two: Vec<redis::Value> = redis::cmd("ACL").arg("LOG").arg(2).query(&mut con).unwrap();
        assert_eq!(two.len(), 2.min(log.len()));
        let reset: String = redis::cmd("ACL").arg("LOG").arg("RESET").query(&mut con).unwrap();
        assert_eq!(reset, "OK");
        let empty: Vec<redis::Value> = redis::cmd("ACL").arg("LOG").query(&mut con).unwrap();
        assert!(empty.is_empty());
        log.iter()
            .map(|e| {
                let redis::Value::Array(fields) = e else { panic!("{e:?}") };
                let text = |v: &redis::Value| match v {
                    redis::Value::BulkString(b) => String::from_utf8_lossy(b).into_owned(),
                    redis::Value::Int(n) => n.to_string(),
                    other => format!("{other:?}"),
                };
                // Of the client's details, its name, user and command (a script's caller's).
                let who = |info: String| -> String {
                    info.split(' ')
                        .filter(|f| f.starts_with("name=") || f.starts_with("user=") || f.starts_with("cmd="))
                        .collect::<Vec<_>>()
                        .join(" ")
                };
                fields
                    .chunks(2)
                    .filter(|kv| text(&kv[0]) != "age-seconds")
                    .map(|kv| match text(&kv[0]).as_str() {
                        "client-info" => format!("client-info={}", who(text(&kv[1]))),
                        field => format!("{field}={}", text(&kv[1])),
                    })
                    .collect()
            })
            .collect()
    };
    let redis = Proc::redis(&[]);
    let shardis = Proc::shardis(&[]);
    assert_eq!(entries(shardis.port), entries(redis.port));
}

/// `user` lines and the ACL file against Redis: users at start-up, ACL SAVE's file, ACL LOAD
/// all or nothing (with Redis's error list), and the clients of the old users closed by a
/// LOAD. Each server has its own file; its path is shown as ACLFILE.
#[test]
fn aclfile_and_user_lines_as_redis() {
    fn session(start: Start, tag: &str) -> String {
        let dir = std::env::temp_dir().join(format!("shardis-acl-{tag}-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("users.acl");
        let path = file.to_string_lossy().into_owned();
        std::fs::write(&file, "user alice on >pw ~a* &* -@all +@read +@hash\n\nuser default on nopass ~* &* +@all\n")
            .unwrap();
        let mut out = String::new();
        {
            let server = start(&["--aclfile", &path]);
            let mut c = server.raw();
            let mut other = server.raw();
            let run = |out: &mut String, c: &mut Raw, line: &str| {
                out.push_str(&format!("> {line}\n{}", s(&c.cmd(&line_args(line))).replace(&path, "ACLFILE")));
            };
            for line in ["ACL LIST", "AUTH alice pw", "GET a", "SET a 1", "AUTH default x"] {
                run(&mut out, &mut c, line);
            }
            run(&mut out, &mut other, "AUTH alice pw");
            for line in ["ACL SETUSER bob on nopass +@string allkeys", "ACL SAVE"] {
                run(&mut out, &mut c, line);
            }
            out.push_str(&std::fs::read_to_string(&file).unwrap());
            std::fs::write(&file, "user carol on +nosuch\nnotuser x\nuser carol off\nuser dave (~a +get\n").unwrap();
            for line in ["ACL LOAD", "ACL USERS"] {
                run(&mut out, &mut c, line);
            }
            std::fs::write(&file, "user bob on nopass allkeys -@all +@list\n").unwrap();
            for line in ["ACL LOAD", "ACL LIST"] {
                run(&mut out, &mut c, line);
            }
            // alice's client was closed by the LOAD (alice is gone, and so is every old user).
            out.push_str(&format!("alice's client closed: {}\n", other.closed()));
            std::fs::remove_file(&file).unwrap();
            run(&mut out, &mut c, "ACL LOAD");
        }
        {
            let server =
                start(&["--user", "alice", "on", ">pw", "~*", "+@all", "--user", "default", "on", "nopass", "+get"]);
            let mut c = server.raw();
            for line in ["ACL LIST", "AUTH alice pw", "SET x 1", "AUTH default x", "GET x", "SET x 1"] {
                out.push_str(&format!("> {line}\n{}", s(&c.cmd(&line_args(line)))));
            }
        }
        std::fs::remove_dir_all(&dir).unwrap();
        out
    }
    same_session_sorted(session);
}

/// CONFIG REWRITE writes the live users as `user` lines: the first old `user` line is replaced
/// in place, the other old ones go, and users beyond them are appended.
#[test]
fn config_rewrite_writes_users_as_redis() {
    fn session(start: Start, tag: &str) -> String {
        let dir = std::env::temp_dir().join(format!("shardis-acl-rewrite-{tag}-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let conf = dir.join("redis.conf");
        std::fs::write(&conf, "# users\nuser bob off\nmaxmemory 1mb\nuser alice on >pw ~a* +get\n").unwrap();
        let server = start(&[conf.to_str().unwrap()]);
        let mut c = server.raw();
        for line in ["ACL SETUSER carol on nopass %R~c* +@hash -hdel", "ACL DELUSER bob", "CONFIG REWRITE"] {
            assert_eq!(s(&c.cmd(&line_args(line))), if line.contains("DELUSER") { ":1\r\n" } else { "+OK\r\n" });
        }
        let text = std::fs::read_to_string(&conf).unwrap();
        std::fs::remove_dir_all(&dir).unwrap();
        // Other directives differ (the port, the directory): keep the file's own and the users.
        let kept = text.lines().filter(|l| l.starts_with("user ") || l.starts_with('#') || l.starts_with("maxmemory "));
        kept.map(|l| format!("{l}\n")).collect()
    }
    same_session_sorted(session);
}

/// An ACL change holds on every shard once it has replied. Clients of one user, spread over the
/// cores, keep setting keys on every shard while an admin takes `+set` away and gives it back,
/// 40 times. A SET sent and answered wholly between one change's reply and the next change
/// must get what the last change says. Then DELUSER closes every one of them mid-stream, and
/// the server carries on. (Fails when a change stays on the admin's shard. Installed on the
/// others by a message sent without waiting, it passes here: the message reaches each shard's
/// queue before the reply leaves, and a shard takes it before the next request it reads.)
#[test]
fn acl_changes_hold_on_every_shard_once_replied() {
    use std::sync::atomic::{AtomicBool, AtomicU64, Ordering::SeqCst};
    use std::sync::Arc;
    let server = Proc::shardis(&[]);
    let mut admin = server.raw();
    assert_eq!(s(&admin.words("ACL SETUSER zed on nopass +@all ~*")), "+OK\r\n");
    // Even: stable (phase / 2 odd: denied); odd: a change is in flight.
    let phase = Arc::new(AtomicU64::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    let workers: Vec<_> = (0..6)
        .map(|w| {
            let (phase, stop, port) = (phase.clone(), stop.clone(), server.port);
            std::thread::spawn(move || {
                let mut c = Raw::connect(port);
                assert_eq!(s(&c.words("AUTH zed x")), "+OK\r\n");
                let keys: Vec<String> = (0..SHARDS).map(|i| key_on_shard(&format!("w{w}:"), i, SHARDS)).collect();
                let (mut judged, mut wrong) = (0, Vec::new());
                for i in 0.. {
                    if stop.load(SeqCst) {
                        break;
                    }
                    let before = phase.load(SeqCst);
                    let sent = c.try_send(&encode(&[b"SET", keys[i % SHARDS].as_bytes(), b"1"]));
                    // Closed by DELUSER:
                    let Some(reply) = sent.ok().and_then(|_| c.reply_within(Duration::from_secs(10)).ok()) else {
                        break;
                    };
                    let reply = s(&reply);
                    let after = phase.load(SeqCst);
                    if before == after && before % 2 == 0 {
                        judged += 1;
                        let denied = (before / 2) % 2 == 1;
                        let ok = if denied { reply.starts_with("-NOPERM") } else { reply == "+OK\r\n" };
                        if !ok {
                            wrong.push(format!("phase {before} shard {}: {reply}", i % SHARDS));
                        }
                    }
                }
                (judged, wrong, c.closed())
            })
        })
        .collect();
    std::thread::sleep(Duration::from_millis(100));
    for change in 1..=40u64 {
        phase.store(2 * change - 1, SeqCst);
        let rule = if change % 2 == 1 { "-set" } else { "+set" };
        assert_eq!(s(&admin.words(&format!("ACL SETUSER zed {rule}"))), "+OK\r\n");
        phase.store(2 * change, SeqCst);
        std::thread::sleep(Duration::from_millis(5));
    }
    assert_eq!(s(&admin.words("ACL DELUSER zed")), ":1\r\n");
    std::thread::sleep(Duration::from_millis(100));
    stop.store(true, SeqCst);
    let mut judged = 0;
    for w in workers {
        let (n, wrong, closed) = w.join().unwrap();
        assert!(wrong.is_empty(), "{wrong:?}");
        assert!(closed, "a client of the deleted user is still open");
        judged += n;
    }
    assert!(judged > 100, "only {judged} requests fell between changes");
    assert_eq!(s(&admin.words("PING")), "+PONG\r\n");
}
