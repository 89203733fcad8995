//! Commands with hostile arguments, sent to a running server of three shards (so keys live on
//! different cores and commands cross between them) over its Unix socket.
//!
//! An input is lines of at most 32 commands. A line's first two bytes pick a command or
//! subcommand from the server's own table; the rest, split on spaces, are its arguments. An
//! argument `\xff N` stands for token N of `TOKENS` (keys on every shard, numbers at the edges,
//! option words), so the fuzzer reaches the commands' deep paths without guessing words.
//!
//! Each input starts from an empty keyspace (FLUSHALL, SCRIPT FLUSH, FUNCTION FLUSH) and ends
//! with RESET and an ECHO of a nonce, read back before the next input. A shard that panics aborts the
//! process (libFuzzer's panic hook); a server that stops answering is a crash too: after an
//! input whose replies do not come back in time, a fresh connection must get answers from every
//! shard within seconds.
//!
//! The server has a 64 MB hard output limit for normal clients, as a production setup would:
//! a short request for a huge reply (SRANDMEMBER k -2000000000) then closes its client
//! instead of filling memory.
//!
//! Left out, because they change the server for the inputs that follow or stop it: SHUTDOWN,
//! CONFIG SET/REWRITE/RESETSTAT, ACL changes, CLIENT PAUSE/KILL/REPLY/NO-EVICT, MONITOR,
//! replication and persistence commands. Scripts and FUNCTION LOAD run fixed bodies that pass
//! their fuzzed arguments to redis.call and redis.pcall (a fuzzed body could loop for ever).
#![no_main]
use libfuzzer_sys::fuzz_target;
use std::io::{ErrorKind, Read, Write};
use std::os::unix::net::UnixStream;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

const SHARDS: usize = 3;

const LEFT_OUT: &[&str] = &[
    "shutdown",
    "monitor",
    "sync",
    "psync",
    "replicaof",
    "slaveof",
    "failover",
    "migrate",
    "save",
    "bgsave",
    "bgrewriteaof",
    "config|set",
    "config|rewrite",
    "config|resetstat",
    "acl|setuser",
    "acl|deluser",
    "acl|load",
    "acl|save",
    "client|pause",
    "client|kill",
    "client|reply",
    "client|no-evict",
    "script|kill",
    "function|kill",
    "debug",
    "module",
    // A self test that runs for seconds under the sanitizer, holding its shard.
    "pfselftest",
];

const SCRIPTS: &[&str] = &[
    "return redis.call(unpack(ARGV))",
    "return redis.pcall(unpack(ARGV))",
    "return {redis.pcall(unpack(ARGV)), KEYS}",
    "redis.setresp(3); return redis.pcall(unpack(ARGV))",
];

/// The one library FUNCTION LOAD loads: FCALL f passes its fuzzed arguments on.
const LIBRARY: &str = "#!lua name=fz\nredis.register_function('f', function(keys, args) return redis.pcall(unpack(args)) end)\nredis.register_function{function_name='r', callback=function(keys, args) return redis.call(unpack(args)) end, flags={'no-writes'}}";

#[rustfmt::skip] // Kept in rows: one token a line would run to 150 lines.
const TOKENS: &[&[u8]] = &[
    b"k0", b"k1", b"k2", b"k3", b"k4", b"k5", b"{t}a", b"{t}b", b"0", b"1", b"-1", b"2", b"3", b"10",
    b"100", b"-100", b"255", b"256", b"65535", b"65536", b"4294967295", b"4294967296",
    b"2147483647", b"-2147483648", b"9223372036854775807", b"-9223372036854775808",
    b"9223372036854775808", b"18446744073709551615", b"0.5", b"-0.5", b"1e308", b"-1e308",
    b"1e-308", b"inf", b"-inf", b"+inf", b"nan", b"(1", b"(5", b"[a", b"(a", b"-", b"+", b"*",
    b"$", b">", b"0-0", b"0-1", b"1-0", b"18446744073709551615-18446744073709551615", b"EX",
    b"PX", b"EXAT", b"PXAT", b"NX", b"XX", b"GT", b"LT", b"CH", b"INCR", b"KEEPTTL", b"GET",
    b"PERSIST", b"WITHSCORES", b"WITHSCORE", b"LIMIT", b"BYSCORE", b"BYLEX", b"REV", b"COUNT",
    b"MATCH", b"TYPE", b"BLOCK", b"STREAMS", b"GROUP", b"MAXLEN", b"MINID", b"NOMKSTREAM",
    b"IDLE", b"TIME", b"RETRYCOUNT", b"FORCE", b"JUSTID", b"LEFT", b"RIGHT", b"BEFORE",
    b"AFTER", b"RANK", b"MAXLEN", b"WEIGHTS", b"AGGREGATE", b"SUM", b"MIN", b"MAX", b"STORE",
    b"BY", b"ALPHA", b"ASC", b"DESC", b"FROMMEMBER", b"FROMLONLAT", b"BYRADIUS", b"BYBOX",
    b"WITHCOORD", b"WITHDIST", b"WITHHASH", b"ANY", b"m", b"km", b"OVERFLOW", b"WRAP", b"SAT",
    b"FAIL", b"u8", b"i64", b"u63", b"i1", b"#1", b"SET", b"INCRBY", b"BIT", b"BYTE", b"AND",
    b"OR", b"XOR", b"NOT", b"REPLACE", b"ABSTTL", b"FREQ", b"DB", b"COPY", b"ID", b"NOACK",
    b"MKSTREAM", b"ENTRIESREAD", b"LEN", b"IDX", b"MINMATCHLEN", b"SCHEMA", b"SAMPLES",
    b"USAGE", b"k*", b"*k*", b"[", b"\\", b"", b"\x00", b"\xff\xfe",
];

struct Server {
    path: String,
    _server: shardis::server::Server,
}

fn server() -> &'static Server {
    static SERVER: OnceLock<Server> = OnceLock::new();
    SERVER.get_or_init(|| {
        let dir = std::env::temp_dir().join(format!("shardis-fuzz-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("a work directory");
        let path = dir.join("sock").to_string_lossy().into_owned();
        let text = format!(
            "port 0\nunixsocket {path}\ndir {}\nsave \"\"\nlogfile /dev/null\nmaxmemory 512mb\n\
             client-output-buffer-limit normal 64mb 0 0\n",
            dir.display()
        );
        let (config, _) = shardis::config::Config::from_str(&text, "fuzz").expect("the fuzz config");
        let server = shardis::server::Server::start(config, SHARDS, vec![0, 1]).expect("the server starts");
        Server { path, _server: server }
    })
}

/// What a command's code argument gets: fuzzed, or one of the fixed bodies.
#[derive(Clone, Copy, PartialEq)]
enum Body {
    Fuzzed,
    Script,
    Library,
}

/// Each command the fuzzer may name: its words (`["config", "get"]` for a subcommand) and
/// where its code comes from.
fn commands() -> &'static [(Vec<Vec<u8>>, Body)] {
    static COMMANDS: OnceLock<Vec<(Vec<Vec<u8>>, Body)>> = OnceLock::new();
    COMMANDS.get_or_init(|| {
        let reg = shardis::commands::registry();
        let mut all = Vec::new();
        for e in &reg.entries {
            let name = e.full_name.as_str();
            let top = name.split('|').next().unwrap_or(name);
            if LEFT_OUT.contains(&name) || LEFT_OUT.contains(&top) || !e.subs.is_empty() {
                continue;
            }
            let words = name.split('|').map(|w| w.as_bytes().to_vec()).collect();
            let body = match name {
                "eval" | "eval_ro" => Body::Script,
                "function|load" => Body::Library,
                _ => Body::Fuzzed,
            };
            all.push((words, body));
        }
        all
    })
}

fn encode(out: &mut Vec<u8>, args: &[&[u8]]) {
    out.extend_from_slice(format!("*{}\r\n", args.len()).as_bytes());
    for a in args {
        out.extend_from_slice(format!("${}\r\n", a.len()).as_bytes());
        out.extend_from_slice(a);
        out.extend_from_slice(b"\r\n");
    }
}

enum Ended {
    Answered,
    Closed,
    TimedOut,
}

/// Reads until `want` has arrived, the server closes the connection, or `limit` passes.
/// `seen` keeps the tail of what was read, for the next call to go on from.
fn read_until(conn: &mut UnixStream, seen: &mut Vec<u8>, want: &[u8], limit: Duration) -> Ended {
    let deadline = Instant::now() + limit;
    let mut buf = [0u8; 65536];
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Ended::TimedOut;
        }
        conn.set_read_timeout(Some(left)).expect("a read timeout");
        match conn.read(&mut buf) {
            Ok(0) => return Ended::Closed,
            Ok(n) => {
                // Keep only a tail long enough to find the nonce across reads.
                seen.extend_from_slice(&buf[..n]);
                if memchr::memmem::find(seen, want).is_some() {
                    return Ended::Answered;
                }
                let keep = seen.len().saturating_sub(want.len());
                seen.drain(..keep);
            }
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => return Ended::TimedOut,
            Err(_) => return Ended::Closed,
        }
    }
}

/// After an input timed out: every shard must still answer a fresh client.
fn still_answers(path: &str) {
    let mut conn = UnixStream::connect(path).expect("the server accepts");
    let mut out = Vec::new();
    let keys: Vec<Vec<u8>> = (0..16).map(|i| format!("alive{i}").into_bytes()).collect();
    let mut mset: Vec<&[u8]> = vec![b"MSET"];
    for k in &keys {
        mset.push(k);
        mset.push(b"1");
    }
    encode(&mut out, &mset);
    let mut del: Vec<&[u8]> = vec![b"DEL"];
    del.extend(keys.iter().map(|k| k.as_slice()));
    encode(&mut out, &del);
    encode(&mut out, &[b"ECHO", b"still-alive"]);
    let _ = conn.write_all(&out);
    let answered = read_until(&mut conn, &mut Vec::new(), b"still-alive", Duration::from_secs(60));
    assert!(matches!(answered, Ended::Answered), "the server stopped answering");
}

fuzz_target!(|data: &[u8]| {
    let server = server();
    let commands = commands();
    let mut out = Vec::new();
    encode(&mut out, &[b"FLUSHALL"]);
    encode(&mut out, &[b"SCRIPT", b"FLUSH"]);
    encode(&mut out, &[b"FUNCTION", b"FLUSH"]);
    for line in data.split(|&b| b == b'\n').take(32) {
        if line.len() < 2 {
            continue;
        }
        let (words, body) = &commands[u16::from_le_bytes([line[0], line[1]]) as usize % commands.len()];
        let mut args: Vec<&[u8]> = words.iter().map(|w| w.as_slice()).collect();
        if *body == Body::Library {
            args.extend([b"REPLACE".as_slice(), LIBRARY.as_bytes()]);
            encode(&mut out, &args);
            continue;
        }
        let rest = &line[2..];
        let mut rest = (!rest.is_empty()).then(|| rest.split(|&b| b == b' ')).into_iter().flatten();
        if *body == Body::Script {
            let pick = rest.next().and_then(|a| a.first().copied()).unwrap_or(0);
            args.push(SCRIPTS[pick as usize % SCRIPTS.len()].as_bytes());
        }
        for a in rest {
            args.push(match a {
                [0xff, n] => TOKENS[*n as usize % TOKENS.len()],
                _ => a,
            });
        }
        if show() {
            let words: Vec<String> = args.iter().map(|a| format!("{:?}", String::from_utf8_lossy(a))).collect();
            eprintln!("{}", words.join(" "));
        }
        encode(&mut out, &args);
    }
    encode(&mut out, &[b"RESET"]);
    let nonce = format!("fuzz-input-done-{}", NEXT.fetch_add(1, Ordering::Relaxed));
    encode(&mut out, &[b"ECHO", nonce.as_bytes()]);
    // The connection is kept while inputs end cleanly (RESET leaves it as new); one that timed
    // out or was closed (QUIT, a protocol error) is replaced.
    let mut kept = CONN.lock().unwrap_or_else(|e| e.into_inner());
    let mut client = kept.take().unwrap_or_else(|| Client::connect(&server.path));
    let _ = client.conn.write_all(&out);
    let mut seen = Vec::new();
    // A blocking command (BLPOP k 0, XREAD BLOCK, WAIT) is woken with CLIENT UNBLOCK, so that
    // such inputs cost milliseconds; one that stays stuck for a second is given up on.
    for tries in 0.. {
        match read_until(&mut client.conn, &mut seen, nonce.as_bytes(), Duration::from_millis(25)) {
            Ended::Answered => {
                *kept = Some(client);
                return;
            }
            Ended::Closed => return,
            Ended::TimedOut if tries < 40 => unblock(&server.path, &client.id),
            Ended::TimedOut => break,
        }
    }
    drop(client);
    still_answers(&server.path);
});

/// A connection and its CLIENT ID.
struct Client {
    conn: UnixStream,
    id: Vec<u8>,
}

impl Client {
    fn connect(path: &str) -> Client {
        let mut conn = UnixStream::connect(path).expect("the server accepts");
        conn.write_all(b"CLIENT ID\r\n").expect("a new connection takes a command");
        let line = read_line(&mut conn);
        Client { conn, id: line.strip_prefix(b":").expect("CLIENT ID answers an integer").to_vec() }
    }
}

/// One reply line, without its CRLF.
fn read_line(conn: &mut UnixStream) -> Vec<u8> {
    conn.set_read_timeout(Some(Duration::from_secs(60))).expect("a read timeout");
    let mut line = Vec::new();
    let mut byte = [0u8; 1];
    while !line.ends_with(b"\r\n") {
        conn.read_exact(&mut byte).expect("a reply line");
        line.push(byte[0]);
    }
    line.truncate(line.len() - 2);
    line
}

/// CLIENT UNBLOCK `id`, sent on a connection of its own.
fn unblock(path: &str, id: &[u8]) {
    static CONTROL: Mutex<Option<UnixStream>> = Mutex::new(None);
    let mut control = CONTROL.lock().unwrap_or_else(|e| e.into_inner());
    let conn = control.get_or_insert_with(|| UnixStream::connect(path).expect("the server accepts"));
    let mut cmd = Vec::new();
    encode(&mut cmd, &[b"CLIENT", b"UNBLOCK", id]);
    conn.write_all(&cmd).expect("the control connection stays open");
    read_line(conn);
}

/// `FUZZ_SHOW=1`: print each input's commands (to see what a crash input sends).
fn show() -> bool {
    static SHOW: OnceLock<bool> = OnceLock::new();
    *SHOW.get_or_init(|| std::env::var_os("FUZZ_SHOW").is_some())
}

static NEXT: AtomicU64 = AtomicU64::new(0);
static CONN: Mutex<Option<Client>> = Mutex::new(None);
