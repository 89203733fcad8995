//! Test harness: starts the real `shardis-server` binary (4 shards by default, so keys really
//! live on different cores of this 2-CPU machine) on a free port, and, for byte-for-byte
//! comparisons, Debian's `redis-server` 7.0.15 as the reference.

#![allow(dead_code)]

use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub const SHARDS: usize = 4;

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// A server process, killed on drop.
pub struct Proc {
    child: Child,
    pub port: u16,
    pub log: std::path::PathBuf,
    /// A `dir` of its own, removed on drop.
    scratch: Option<std::path::PathBuf>,
}

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        if let Some(dir) = &self.scratch {
            let _ = std::fs::remove_dir_all(dir);
        }
    }
}

impl Proc {
    /// Starts shardis with `--shards 4` and `args`; with no save points unless `args` set
    /// `--save` (as [`Proc::redis`]), and in a `dir` of its own unless `args` name one, so
    /// that no test leaves snapshot files behind or loads a stray `dump.rdb` at start.
    pub fn shardis(args: &[&str]) -> Proc {
        Self::shardis_env(args, &[])
    }

    /// [`Proc::shardis`] with extra environment variables (`SHARDIS_TEST_HOOKS=1`...).
    pub fn shardis_env(args: &[&str], env: &[(&str, &str)]) -> Proc {
        Self::shardis_with(args, env, false)
    }

    /// [`Proc::shardis`] that returns as soon as the server answers, -LOADING included.
    pub fn shardis_loading(args: &[&str]) -> Proc {
        Self::shardis_with(args, &[], true)
    }

    fn shardis_with(args: &[&str], env: &[(&str, &str)], loading_ok: bool) -> Proc {
        let shards = SHARDS.to_string();
        let mut all: Vec<&str> = args.iter().take_while(|a| !a.starts_with("--")).copied().collect();
        all.extend(["--shards", shards.as_str()]);
        if !args.contains(&"--save") {
            all.extend(["--save", ""]);
        }
        static NEXT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let scratch = (!args.contains(&"--dir")).then(|| {
            let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            let dir = std::env::temp_dir().join(format!("shardis-test-dir-{}-{n}", std::process::id()));
            std::fs::create_dir_all(&dir).unwrap();
            dir
        });
        let dir_arg = scratch.as_ref().map(|d| d.to_string_lossy().into_owned());
        if let Some(d) = &dir_arg {
            all.extend(["--dir", d.as_str()]);
        }
        all.extend(args.iter().skip_while(|a| !a.starts_with("--")));
        let mut proc = Self::spawn_env(env!("CARGO_BIN_EXE_shardis-server"), &all, env, loading_ok);
        proc.scratch = scratch;
        proc
    }

    /// Starts the reference redis-server 7.0.15 (Debian's package; `.ci/run` installs it).
    pub fn redis(args: &[&str]) -> Proc {
        // A config file, if any, stays first.
        let (file, flags) = match args.first() {
            Some(first) if !first.starts_with("--") => (&args[..1], &args[1..]),
            _ => (&args[..0], args),
        };
        let mut all = file.to_vec();
        all.extend_from_slice(&["--save", "", "--appendonly", "no"]);
        all.extend_from_slice(flags);
        Self::spawn("redis-server", &all)
    }

    fn spawn(program: &str, args: &[&str]) -> Proc {
        Self::spawn_env(program, args, &[], false)
    }

    fn spawn_env(program: &str, args: &[&str], env: &[(&str, &str)], loading_ok: bool) -> Proc {
        for _ in 0..5 {
            let port = free_port();
            let log = std::env::temp_dir().join(format!("shardis-test-{port}.log"));
            let port_s = port.to_string();
            // A config file, if any, must come first.
            let (file, flags) = match args.first() {
                Some(first) if !first.starts_with("--") => (&args[..1], &args[1..]),
                _ => (&args[..0], args),
            };
            let mut cmd = Command::new(program);
            cmd.args(file).args(["--port", &port_s]).args(flags).envs(env.iter().copied());
            let child = cmd
                .stdout(std::fs::File::create(&log).unwrap())
                .stderr(Stdio::inherit())
                .spawn()
                .unwrap_or_else(|e| panic!("cannot start {program}: {e}"));
            let mut proc = Proc { child, port, log, scratch: None };
            if proc.wait_ready(loading_ok) {
                return proc;
            }
        }
        panic!("{program} did not start");
    }

    fn wait_ready(&mut self, loading_ok: bool) -> bool {
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return false;
            }
            if let Ok(mut s) = TcpStream::connect(("127.0.0.1", self.port)) {
                // Any reply will do (with requirepass set, PING answers -NOAUTH), but -LOADING:
                // a test starts once the snapshot is in.
                let _ = s.write_all(b"PING\r\n");
                let mut buf = [0u8; 4];
                if s.read_exact(&mut buf).is_ok()
                    && (buf[0] == b'+' || buf[0] == b'-')
                    && (&buf != b"-LOA" || loading_ok)
                {
                    return true;
                }
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        false
    }

    /// A redis-crate connection; a reply that takes over 20 s fails the test instead of hanging it.
    pub fn client(&self) -> redis::Connection {
        let con = redis::Client::open(format!("redis://127.0.0.1:{}/", self.port)).unwrap().get_connection().unwrap();
        con.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
        con
    }

    pub fn raw(&self) -> Raw {
        Raw::connect(self.port)
    }

    /// Waits for the process to exit by itself (SHUTDOWN); true if it did.
    pub fn wait_exit(&mut self, within: Duration) -> bool {
        let deadline = Instant::now() + within;
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return true;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        false
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// The exit status, once the process has exited.
    pub fn exit_status(&mut self) -> Option<std::process::ExitStatus> {
        self.child.try_wait().ok().flatten()
    }

    pub fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

/// Why [`Raw::reply_within`] came back without a reply.
#[derive(Debug, PartialEq, Eq)]
pub enum NoReply {
    Timeout,
    Closed,
}

/// A raw RESP connection: send bytes, read whole replies.
pub struct Raw {
    pub stream: TcpStream,
    buf: Vec<u8>,
}

impl Raw {
    pub fn connect(port: u16) -> Raw {
        let stream = TcpStream::connect(("127.0.0.1", port)).unwrap();
        stream.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        stream.set_nodelay(true).unwrap();
        Raw { stream, buf: Vec::new() }
    }

    pub fn send(&mut self, bytes: &[u8]) {
        self.stream.write_all(bytes).unwrap();
    }

    /// Sends what the server may cut off half-way (a client it closes while it sends).
    pub fn try_send(&mut self, bytes: &[u8]) -> std::io::Result<()> {
        self.stream.write_all(bytes)
    }

    /// Sends one command as a RESP array of bulk strings.
    pub fn cmd(&mut self, args: &[&[u8]]) -> Vec<u8> {
        self.send(&encode(args));
        self.reply()
    }

    /// Sends a command written as space-separated words.
    pub fn words(&mut self, line: &str) -> Vec<u8> {
        let args: Vec<&[u8]> = line.split(' ').map(|w| w.as_bytes()).collect();
        self.cmd(&args)
    }

    /// Reads one complete reply (any RESP2/RESP3 type), raw bytes.
    pub fn reply(&mut self) -> Vec<u8> {
        // The stream's own read timeout (10 s from `connect`, unless a test set another).
        let wait = self.stream.read_timeout().ok().flatten().unwrap_or(Duration::from_secs(10));
        match self.reply_within(wait) {
            Ok(reply) => reply,
            Err(NoReply::Closed) => {
                panic!("connection closed while waiting for a reply; have {:?}", String::from_utf8_lossy(&self.buf))
            }
            Err(NoReply::Timeout) => panic!("read reply: timed out; have {:?}", String::from_utf8_lossy(&self.buf)),
        }
    }

    /// Reads one complete reply if it arrives within `wait`. A reply cut short by the timeout
    /// stays buffered, so a later read still sees it whole; the stream's read timeout is left
    /// as it was.
    pub fn reply_within(&mut self, wait: Duration) -> Result<Vec<u8>, NoReply> {
        let deadline = Instant::now() + wait;
        let before = self.stream.read_timeout().unwrap();
        loop {
            if let Some(n) = reply_len(&self.buf) {
                return Ok(self.buf.drain(..n).collect());
            }
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Err(NoReply::Timeout);
            }
            self.stream.set_read_timeout(Some(left)).unwrap();
            let mut chunk = [0u8; 65536];
            let read = self.stream.read(&mut chunk);
            self.stream.set_read_timeout(before).unwrap();
            match read {
                Ok(0) => return Err(NoReply::Closed),
                Ok(n) => self.buf.extend_from_slice(&chunk[..n]),
                Err(e) if matches!(e.kind(), std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut) => {
                    return Err(NoReply::Timeout)
                }
                Err(_) => return Err(NoReply::Closed),
            }
        }
    }

    /// True if the server closed the connection (after any pending replies, which are dropped).
    pub fn closed(&mut self) -> bool {
        let mut chunk = [0u8; 65536];
        loop {
            match self.stream.read(&mut chunk) {
                Ok(0) => return true,
                Ok(_) => continue,
                Err(_) => return false,
            }
        }
    }
}

pub fn encode(args: &[&[u8]]) -> Vec<u8> {
    let mut out = format!("*{}\r\n", args.len()).into_bytes();
    for a in args {
        out.extend_from_slice(format!("${}\r\n", a.len()).as_bytes());
        out.extend_from_slice(a);
        out.extend_from_slice(b"\r\n");
    }
    out
}

/// Length of the first complete RESP value in `buf`, if complete.
pub fn reply_len(buf: &[u8]) -> Option<usize> {
    let line_end = buf.windows(2).position(|w| w == b"\r\n")?;
    let head = std::str::from_utf8(&buf[1..line_end]).ok()?;
    let after = line_end + 2;
    match buf.first()? {
        b'+' | b'-' | b':' | b'_' | b',' | b'#' | b'(' => Some(after),
        b'$' | b'=' | b'!' => {
            let n: i64 = head.parse().ok()?;
            if n < 0 {
                return Some(after);
            }
            let end = after + n as usize + 2;
            (buf.len() >= end).then_some(end)
        }
        b'*' | b'~' | b'>' | b'%' | b'|' => {
            let n: i64 = head.parse().ok()?;
            let count = if matches!(buf[0], b'%' | b'|') { n * 2 } else { n };
            let mut at = after;
            for _ in 0..count.max(0) {
                at += reply_len(&buf[at..])?;
            }
            Some(at)
        }
        _ => None,
    }
}

/// A key whose slot is owned by `shard` (of `shards`), found by trying `prefix0`, `prefix1`...
pub fn key_on_shard(prefix: &str, shard: usize, shards: usize) -> String {
    (0..)
        .map(|i| format!("{prefix}{i}"))
        .find(|k| shardis::shard::route::key_shard(k.as_bytes(), shards) == shard)
        .unwrap()
}

pub fn s(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

impl Raw {
    /// True if something accepts connections on `port`.
    pub fn try_connect(port: u16) -> bool {
        TcpStream::connect(("127.0.0.1", port)).is_ok()
    }
}

/// A test command line split on spaces; `''` stands for an empty argument.
pub fn line_args(line: &str) -> Vec<&[u8]> {
    line.split(' ').map(|w| if w == "''" { &b""[..] } else { w.as_bytes() }).collect()
}

/// Starts the reference redis-server and shardis, runs `transcript(port, case)` for every case
/// on both and asserts the two transcripts are identical.
pub fn same_on_both(cases: &[&[&str]], transcript: impl Fn(u16, &[&str]) -> String) {
    let redis = Proc::redis(&[]);
    let shardis = Proc::shardis(&[]);
    for case in cases {
        let want = transcript(redis.port, case);
        let got = transcript(shardis.port, case);
        assert_eq!(got, want, "case {case:?}");
    }
}

/// Parses one RESP reply into its top-level header byte and a flat list of its scalars (bulk
/// strings, integers and doubles; nested aggregates flattened).
pub fn flat(reply: &[u8]) -> (u8, Vec<Vec<u8>>) {
    let mut items = Vec::new();
    let mut at = 0;
    let mut pending = 1i64;
    while pending > 0 {
        let end = at + reply[at..].windows(2).position(|w| w == b"\r\n").expect("line");
        let line = &reply[at + 1..end];
        let n: i64 = std::str::from_utf8(line).ok().and_then(|x| x.parse().ok()).unwrap_or(0);
        pending -= 1;
        match reply[at] {
            b'$' if n >= 0 => {
                items.push(reply[end + 2..end + 2 + n as usize].to_vec());
                at = end + 4 + n as usize;
                continue;
            }
            b':' | b',' => items.push(line.to_vec()),
            b'*' | b'~' | b'>' if n > 0 => pending += n,
            b'%' if n > 0 => pending += 2 * n,
            _ => {}
        }
        at = end + 2;
    }
    (reply[0], items)
}

/// One case on fresh connections to `port` after FLUSHALL: each line and what it got, as
/// `> line\nreply` (raw bytes). A line is, in full:
///
/// `[@N ]CMD` — runs CMD on connection N (1 unless given; each is opened at its first use) and
/// records its reply. Words are split on spaces; `''` is an empty argument; a word `$idN` is
/// replaced by the id that connection N's `CLIENT ID` answered earlier in the case. HELLO's reply
/// names the server and the connection, so only its first byte shows; `CLIENT ID`'s reply shows
/// as `(id)`, since the servers number their clients differently. Between `@N ` and CMD may stand:
///   `sorted ` — shows the reply's header and sorted items (for orders left to a hash table);
///   `field NAME[,NAME...] ` — shows only the `NAME=value` / `NAME:value` words of the reply,
///     for CLIENT LIST or INFO, whose other fields (ids, addresses, ages) differ between servers;
///   `&` — sends CMD without reading its reply (a client that blocks); records nothing;
///   `noidle ` — shows the reply with every idle time and delivery time as `:?` (they differ
///     between servers): the integer after a bulk string `idle`, `seen-time` or `delivery-time`
///     anywhere in the reply, and the first of the two integers ending any array of 3 or 4
///     items whose others are bulk strings (the pending entries of XPENDING and of XINFO
///     STREAM FULL: `[id, consumer, idle or time, count]`, `[id, time, count]`). It goes first:
///     `@2 noidle XINFO CONSUMERS s g`.
///
/// `[@N ]<` — reads one pending reply of connection N, waiting up to 5 s; records `(no reply)`
/// if none came, `(closed)` if the server closed the connection.
///
/// `[@N ]<none MS` — checks that nothing arrives on connection N within MS milliseconds: records
/// `(nothing)`, or whatever came. After an `&` line this also gives the server time to block the
/// client; where the order of blocked clients matters, use `blocked K` as well.
///
/// `[@N ]close` — closes connection N without a word (a client that goes away while blocked).
///
/// `blocked K` — waits up to 5 s until INFO's `blocked_clients` reads K, asking on a connection
/// of its own; records `(K blocked)`, or the last `blocked_clients` line read.
///
/// `sleep MS` — sleeps MS milliseconds (expiry and timeouts; keep it short).
pub fn transcript(port: u16, lines: &[&str]) -> String {
    let mut conns: std::collections::BTreeMap<String, Raw> = Default::default();
    let mut ids: std::collections::HashMap<String, String> = Default::default();
    let mut first = Raw::connect(port);
    assert_eq!(first.words("FLUSHALL"), b"+OK\r\n");
    conns.insert("1".into(), first);
    let mut out = String::new();
    for line in lines {
        let shown = transcript_step(port, &mut conns, &mut ids, line);
        out.push_str(&format!("> {line}\n{shown}\n"));
    }
    out
}

fn transcript_step(
    port: u16,
    conns: &mut std::collections::BTreeMap<String, Raw>,
    ids: &mut std::collections::HashMap<String, String>,
    line: &str,
) -> String {
    if let Some(ms) = line.strip_prefix("sleep ") {
        std::thread::sleep(Duration::from_millis(ms.parse().expect("sleep MS")));
        return String::new();
    }
    if let Some(want) = line.strip_prefix("blocked ") {
        return wait_blocked(port, want);
    }
    let (name, rest) = match line.strip_prefix('@') {
        Some(tagged) => tagged.split_once(' ').expect("@N then a command"),
        None => ("1", line),
    };
    let raw = conns.entry(name.to_string()).or_insert_with(|| Raw::connect(port));
    let shown_reply = |got: Result<Vec<u8>, NoReply>| match got {
        Ok(reply) => s(&reply),
        Err(NoReply::Timeout) => "(no reply)".to_string(),
        Err(NoReply::Closed) => "(closed)".to_string(),
    };
    if rest == "<" {
        return shown_reply(raw.reply_within(Duration::from_secs(5)));
    }
    if let Some(ms) = rest.strip_prefix("<none ") {
        let wait = Duration::from_millis(ms.parse().expect("<none MS"));
        return match raw.reply_within(wait) {
            Err(NoReply::Timeout) => "(nothing)".to_string(),
            got => shown_reply(got),
        };
    }
    if rest == "close" {
        conns.remove(name);
        return String::new();
    }
    let (noidle, rest) = match rest.strip_prefix("noidle ") {
        Some(cmd) => (true, cmd),
        None => (false, rest),
    };
    let (sorted, rest) = match rest.strip_prefix("sorted ") {
        Some(cmd) => (true, cmd),
        None => (false, rest),
    };
    let (field, rest) = match rest.strip_prefix("field ") {
        Some(named) => {
            let (field, cmd) = named.split_once(' ').expect("field NAME then a command");
            (Some(field), cmd)
        }
        None => (None, rest),
    };
    let (no_wait, cmd) = match rest.strip_prefix('&') {
        Some(cmd) => (true, cmd),
        None => (false, rest),
    };
    let words: Vec<String> = line_args(cmd)
        .into_iter()
        .map(|w| {
            let w = s(w);
            match w.strip_prefix("$id") {
                Some(of) => ids.get(of).unwrap_or_else(|| panic!("{w} before @{of} CLIENT ID")).clone(),
                None => w,
            }
        })
        .collect();
    let args: Vec<&[u8]> = words.iter().map(|w| w.as_bytes()).collect();
    if no_wait {
        raw.send(&encode(&args));
        return String::new();
    }
    let reply = raw.cmd(&args);
    if cmd.eq_ignore_ascii_case("CLIENT ID") && reply[0] == b':' {
        ids.insert(name.to_string(), s(&reply[1..reply.len() - 2]));
        return "(id)".to_string();
    }
    let reply = if cmd.starts_with("HELLO") { reply[..1].to_vec() } else { reply };
    if let Some(field) = field {
        let text = s(&reply);
        let found: Vec<&str> = text
            .split_whitespace()
            .filter(|w| {
                field.split(',').any(|f| w.strip_prefix(f).is_some_and(|v| v.starts_with('=') || v.starts_with(':')))
            })
            .collect();
        return found.join(" ");
    }
    let reply = if noidle && reply[0] != b'-' { mask_idle(&reply) } else { reply };
    if sorted && reply[0] != b'-' {
        let (head, mut items) = flat(&reply);
        items.sort();
        format!("{} {} {:?}", head as char, items.len(), items.iter().map(|i| s(i)).collect::<Vec<_>>())
    } else {
        s(&reply)
    }
}

/// One RESP value parsed for [`mask_idle`]: its bytes up to the first CRLF's end (all of it for
/// a scalar) and, for an aggregate, its items (a map's keys and values alternating).
struct Node {
    head: Vec<u8>,
    items: Option<Vec<Node>>,
}

fn parse_node(buf: &[u8]) -> (Node, usize) {
    let end = buf.windows(2).position(|w| w == b"\r\n").expect("a RESP line") + 2;
    let n: i64 = std::str::from_utf8(&buf[1..end - 2]).ok().and_then(|x| x.parse().ok()).unwrap_or(0);
    match buf[0] {
        b'$' | b'=' | b'!' => {
            let len = if n < 0 { end } else { end + n as usize + 2 };
            (Node { head: buf[..len].to_vec(), items: None }, len)
        }
        b'*' | b'~' | b'>' | b'%' | b'|' => {
            let count = if matches!(buf[0], b'%' | b'|') { n * 2 } else { n };
            let mut at = end;
            let mut items = Vec::new();
            for _ in 0..count.max(0) {
                let (item, len) = parse_node(&buf[at..]);
                items.push(item);
                at += len;
            }
            (Node { head: buf[..end].to_vec(), items: Some(items) }, at)
        }
        _ => (Node { head: buf[..end].to_vec(), items: None }, end),
    }
}

/// The reply with its idle and delivery times as `:?` (the `noidle ` modifier of [`transcript`]).
fn mask_idle(reply: &[u8]) -> Vec<u8> {
    fn bulk(node: &Node) -> Option<&[u8]> {
        let body = node.head.strip_prefix(b"$")?;
        let start = body.windows(2).position(|w| w == b"\r\n")? + 2;
        body.get(start..body.len() - 2)
    }
    fn int(node: &Node) -> bool {
        node.items.is_none() && node.head[0] == b':'
    }
    fn walk(node: &Node, out: &mut Vec<u8>) {
        out.extend_from_slice(&node.head);
        let Some(items) = &node.items else { return };
        let n = items.len();
        let pel = node.head[0] == b'*'
            && (n == 3 || n == 4)
            && int(&items[n - 1])
            && int(&items[n - 2])
            && items[..n - 2].iter().all(|i| bulk(i).is_some());
        for (i, item) in items.iter().enumerate() {
            let named = i > 0 && matches!(bulk(&items[i - 1]), Some(b"idle" | b"seen-time" | b"delivery-time"));
            if int(item) && (named || (pel && i == n - 2)) {
                out.extend_from_slice(b":?\r\n");
            } else {
                walk(item, out);
            }
        }
    }
    let mut out = Vec::new();
    walk(&parse_node(reply).0, &mut out);
    out
}

/// Polls INFO on a connection of its own until `blocked_clients:{want}` shows, for up to 5 s.
fn wait_blocked(port: u16, want: &str) -> String {
    let mut side = Raw::connect(port);
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let (_, items) = flat(&side.words("INFO clients"));
        let info = s(&items.concat());
        let line = info.lines().find(|l| l.starts_with("blocked_clients:")).unwrap_or("no blocked_clients line");
        if line.strip_prefix("blocked_clients:") == Some(want) {
            return format!("({want} blocked)");
        }
        if Instant::now() > deadline {
            return line.to_string();
        }
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// [`same_on_both`] over [`transcript`]s; after each case `reset` (CONFIG SETs back to the
/// defaults both servers started with) runs on both.
pub fn run_cases_then(cases: &[&[&str]], reset: &[&str]) {
    same_on_both(cases, |port, lines| {
        let out = transcript(port, lines);
        let mut raw = Raw::connect(port);
        for line in reset {
            assert_eq!(raw.words(line), b"+OK\r\n", "{line}");
        }
        out
    });
}

/// DUMP of `key`.
pub fn dump(con: &mut redis::Connection, key: &str) -> Vec<u8> {
    redis::cmd("DUMP").arg(key).query(con).unwrap()
}

/// RESTORE ... REPLACE's reply as text: "OK" or the error.
pub fn restore(con: &mut redis::Connection, key: &str, payload: &[u8]) -> String {
    let reply: redis::RedisResult<String> =
        redis::cmd("RESTORE").arg(key).arg(0).arg(payload).arg("REPLACE").query(con);
    match reply {
        Ok(s) => s,
        Err(e) => match (e.code(), e.detail()) {
            (Some(code), Some(detail)) => format!("{code} {detail}"),
            _ => e.to_string(),
        },
    }
}

/// The resident set size of process `pid`, in bytes.
pub fn rss(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let line = status.lines().find(|l| l.starts_with("VmRSS:")).unwrap();
    line.split_whitespace().nth(1).unwrap().parse::<u64>().unwrap() * 1024
}
