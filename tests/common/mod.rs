//! Test harness: starts the real `shardis-server` binary (4 shards by default, so keys really
//! live on different cores of this 2-CPU machine) on a free port, and, for byte-for-byte
//! comparisons, Debian's `redis-server` 7.0.15 as the reference.

#![allow(dead_code)]

use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub const SHARDS: usize = 4;

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// A server process, killed on drop.
pub struct Proc {
    child: Child,
    pub port: u16,
    pub log: std::path::PathBuf,
}

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Proc {
    /// Starts shardis with `--shards 4` and `args`.
    pub fn shardis(args: &[&str]) -> Proc {
        Self::shardis_env(args, &[])
    }

    /// [`Proc::shardis`] with extra environment variables (`SHARDIS_TEST_HOOKS=1`...).
    pub fn shardis_env(args: &[&str], env: &[(&str, &str)]) -> Proc {
        let shards = SHARDS.to_string();
        let mut all: Vec<&str> = args.iter().take_while(|a| !a.starts_with("--")).copied().collect();
        all.extend(["--shards", shards.as_str()]);
        all.extend(args.iter().skip_while(|a| !a.starts_with("--")));
        Self::spawn_env(env!("CARGO_BIN_EXE_shardis-server"), &all, env)
    }

    /// Starts the reference redis-server 7.0.15 (Debian's package; `.ci/run` installs it).
    pub fn redis(args: &[&str]) -> Proc {
        let mut all = vec!["--save", "", "--appendonly", "no"];
        all.extend_from_slice(args);
        Self::spawn("redis-server", &all)
    }

    fn spawn(program: &str, args: &[&str]) -> Proc {
        Self::spawn_env(program, args, &[])
    }

    fn spawn_env(program: &str, args: &[&str], env: &[(&str, &str)]) -> Proc {
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
            let mut proc = Proc { child, port, log };
            if proc.wait_ready() {
                return proc;
            }
        }
        panic!("{program} did not start");
    }

    fn wait_ready(&mut self) -> bool {
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return false;
            }
            if let Ok(mut s) = TcpStream::connect(("127.0.0.1", self.port)) {
                // Any reply will do: with requirepass set, PING answers -NOAUTH.
                let _ = s.write_all(b"PING\r\n");
                let mut buf = [0u8; 1];
                if s.read_exact(&mut buf).is_ok() && (buf[0] == b'+' || buf[0] == b'-') {
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
        loop {
            if let Some(n) = reply_len(&self.buf) {
                return self.buf.drain(..n).collect();
            }
            let mut chunk = [0u8; 65536];
            let n = self.stream.read(&mut chunk).expect("read reply");
            assert!(
                n > 0,
                "connection closed while waiting for a reply; have {:?}",
                String::from_utf8_lossy(&self.buf)
            );
            self.buf.extend_from_slice(&chunk[..n]);
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
            b'*' | b'~' if n > 0 => pending += n,
            b'%' if n > 0 => pending += 2 * n,
            _ => {}
        }
        at = end + 2;
    }
    (reply[0], items)
}

/// One case on a fresh connection to `port` after FLUSHALL: each line and its reply. `''` is an
/// empty argument; HELLO's reply names the server and the connection, so only its first byte
/// shows; a line starting `sorted ` shows its reply's header and sorted items (for replies whose
/// order Redis leaves to its hash table).
pub fn transcript(port: u16, lines: &[&str]) -> String {
    let mut raw = Raw::connect(port);
    assert_eq!(raw.words("FLUSHALL"), b"+OK\r\n");
    let mut out = String::new();
    for line in lines {
        let (sorted, cmd) = match line.strip_prefix("sorted ") {
            Some(rest) => (true, rest),
            None => (false, *line),
        };
        let reply = raw.cmd(&line_args(cmd));
        let reply = if cmd.starts_with("HELLO") { reply[..1].to_vec() } else { reply };
        let shown = if sorted && reply[0] != b'-' {
            let (head, mut items) = flat(&reply);
            items.sort();
            format!("{} {} {:?}", head as char, items.len(), items.iter().map(|i| s(i)).collect::<Vec<_>>())
        } else {
            s(&reply)
        };
        out.push_str(&format!("> {line}\n{shown}\n"));
    }
    out
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
