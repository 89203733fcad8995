//! Start-up: configuration files and flags, ports, Unix sockets, daemonizing, logs, signals.

mod common;
use common::*;
use std::process::{Command, Stdio};
use std::time::Duration;

const BIN: &str = env!("CARGO_BIN_EXE_shardis-server");

fn tmpdir(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("shardis-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn run_to_end(args: &[&str]) -> (i32, String) {
    let out = Command::new(BIN).args(args).stdin(Stdio::null()).output().unwrap();
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    (out.status.code().unwrap_or(-1), text)
}

#[test]
fn a_taken_port_stops_start_up() {
    let first = Proc::shardis(&[]);
    let port = first.port.to_string();
    let (code, text) = run_to_end(&["--port", &port, "--shards", "2"]);
    assert_ne!(code, 0);
    assert!(text.contains("Address already in use"), "{text}");
    // A plain redis-server on the port too.
    let redis = Proc::redis(&[]);
    let (code, text) = run_to_end(&["--port", &redis.port.to_string()]);
    assert_ne!(code, 0);
    assert!(text.contains("Address already in use"), "{text}");
}

#[test]
fn bad_configuration_names_the_line() {
    let dir = tmpdir("badconf");
    let conf = dir.join("bad.conf");
    std::fs::write(&conf, "port 7000\n# comment\nnosuchdirective 1\n").unwrap();
    let (code, text) = run_to_end(&[conf.to_str().unwrap()]);
    assert_ne!(code, 0);
    assert!(text.contains("line 3") && text.contains("nosuchdirective"), "{text}");
    std::fs::write(&conf, "maxmemory lots\n").unwrap();
    let (code, text) = run_to_end(&[conf.to_str().unwrap()]);
    assert_ne!(code, 0);
    assert!(text.contains("line 1") && text.contains("maxmemory"), "{text}");
    let (code, text) = run_to_end(&["--databases", "zero"]);
    assert_ne!(code, 0, "{text}");
}

#[test]
fn config_file_and_flags_combine() {
    let dir = tmpdir("conf");
    let conf = dir.join("redis.conf");
    std::fs::write(&conf, "maxmemory 100mb\nmaxmemory-policy allkeys-lru\ndatabases 4\nrequirepass \"p w\"\n").unwrap();
    let server = Proc::shardis(&[conf.to_str().unwrap(), "--databases", "8"]);
    let mut raw = server.raw();
    assert_eq!(raw.cmd(&[b"AUTH", b"p w"]), b"+OK\r\n");
    assert_eq!(raw.words("CONFIG GET maxmemory"), b"*2\r\n$9\r\nmaxmemory\r\n$9\r\n104857600\r\n");
    assert_eq!(raw.words("CONFIG GET databases"), b"*2\r\n$9\r\ndatabases\r\n$1\r\n8\r\n");
    assert_eq!(raw.words("SELECT 7"), b"+OK\r\n");
    assert_eq!(raw.words("SELECT 8"), b"-ERR DB index is out of range\r\n");
    let info = s(&raw.words("INFO server"));
    assert!(info.contains(&format!("config_file:{}", conf.display())), "{info}");
}

#[test]
fn debian_redis_conf_starts() {
    let debian = std::path::Path::new("/etc/redis/redis.conf");
    assert!(debian.exists(), "Debian's redis.conf is missing: .ci/run installs redis-server");
    // Keep its settings but stay in the foreground, on a test port and in a scratch dir.
    let dir = tmpdir("debian");
    let server = Proc::shardis(&[
        "/etc/redis/redis.conf",
        "--daemonize",
        "no",
        "--dir",
        dir.to_str().unwrap(),
        "--logfile",
        "",
        "--pidfile",
        dir.join("pid").to_str().unwrap(),
    ]);
    let mut raw = server.raw();
    assert_eq!(raw.words("PING"), b"+PONG\r\n");
    let log = server.log_text();
    assert!(log.contains("not implemented"), "unimplemented directives should be warned about: {log}");
}

#[test]
fn daemonize_writes_pidfile() {
    let dir = tmpdir("daemon");
    let pidfile = dir.join("shardis.pid");
    let logfile = dir.join("shardis.log");
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let status = Command::new(BIN)
        .args(["--port", &port.to_string(), "--shards", "2", "--daemonize", "yes", "--dir", dir.to_str().unwrap()])
        .args(["--pidfile", pidfile.to_str().unwrap(), "--logfile", logfile.to_str().unwrap()])
        .status()
        .unwrap();
    assert!(status.success());
    let mut pid = String::new();
    for _ in 0..100 {
        pid = std::fs::read_to_string(&pidfile).unwrap_or_default();
        if !pid.is_empty() && Raw::try_connect(port) {
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let pid: i32 = pid.trim().parse().expect("pid file");
    let mut raw = Raw::connect(port);
    assert_eq!(raw.words("PING"), b"+PONG\r\n");
    // SIGTERM: a clean stop that removes the pid file.
    unsafe_kill(pid);
    for _ in 0..100 {
        if !pidfile.exists() {
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(!pidfile.exists(), "pid file left behind");
    let log = std::fs::read_to_string(&logfile).unwrap();
    assert!(log.contains("Ready to accept connections"), "{log}");
    assert!(log.contains("Received SIGTERM"), "{log}");
}

fn unsafe_kill(pid: i32) {
    let _ = Command::new("kill").arg(pid.to_string()).status();
}

#[test]
fn unix_socket_and_several_binds() {
    let dir = tmpdir("unix");
    let sock = dir.join("shardis.sock");
    let server = Proc::shardis(&[
        "--bind",
        "127.0.0.1",
        "::1",
        "--unixsocket",
        sock.to_str().unwrap(),
        "--unixsocketperm",
        "700",
    ]);
    use std::io::{Read, Write};
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(&sock).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o700);
    let mut u = std::os::unix::net::UnixStream::connect(&sock).unwrap();
    u.write_all(b"PING\r\n").unwrap();
    let mut buf = [0u8; 7];
    u.read_exact(&mut buf).unwrap();
    assert_eq!(&buf, b"+PONG\r\n");
    // IPv6 loopback, when the machine has it.
    if let Ok(mut v6) = std::net::TcpStream::connect(("::1", server.port)) {
        v6.write_all(b"PING\r\n").unwrap();
        v6.read_exact(&mut buf).unwrap();
        assert_eq!(&buf, b"+PONG\r\n");
    }
}

#[test]
fn port_zero_serves_only_the_unix_socket() {
    let dir = tmpdir("unixonly");
    let sock = dir.join("s.sock");
    let mut child = Command::new(BIN)
        .args(["--port", "0", "--shards", "2", "--unixsocket", sock.to_str().unwrap(), "--dir", dir.to_str().unwrap()])
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    let mut ok = false;
    for _ in 0..100 {
        if let Ok(mut u) = std::os::unix::net::UnixStream::connect(&sock) {
            use std::io::{Read, Write};
            u.write_all(b"PING\r\n").unwrap();
            let mut buf = [0u8; 7];
            u.read_exact(&mut buf).unwrap();
            ok = &buf == b"+PONG\r\n";
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let _ = child.kill();
    let _ = child.wait();
    assert!(ok);
}

#[test]
fn version_and_help_flags() {
    let (code, text) = run_to_end(&["--version"]);
    assert_eq!(code, 0);
    assert!(text.contains("shardis-server"), "{text}");
    let (code, text) = run_to_end(&["--help"]);
    assert_eq!(code, 0);
    assert!(text.contains("redis.conf"), "{text}");
}

/// A panic on one shard stops the whole process at once, with status 1 and a crash report that
/// names the shard and the command; the hook that panics exists only with SHARDIS_TEST_HOOKS=1.
#[test]
fn a_panicking_shard_stops_the_process() {
    let hooks = [("SHARDIS_TEST_HOOKS", "1")];
    let mut server = Proc::shardis_env(&["--enable-debug-command", "yes"], &hooks);
    let mut raw = server.raw();
    raw.send(&encode(&[b"DEBUG", b"PANIC-FOR-TESTS"]));
    assert!(server.wait_exit(Duration::from_secs(5)), "the process outlived a panicking shard");
    let status = server.exit_status().expect("exited");
    assert_eq!(status.code(), Some(1), "{status:?}");
    let log = server.log_text();
    let report = log.lines().find(|l| l.contains("Panic in shard-")).unwrap_or_else(|| panic!("{log}"));
    assert!(report.contains("while running command 'debug'"), "{report}");
    assert!(report.contains(" # "), "not a warning-level line: {report}");

    // Without the environment variable the subcommand does not exist.
    let server = Proc::shardis(&["--enable-debug-command", "yes"]);
    let reply = s(&server.raw().words("DEBUG PANIC-FOR-TESTS"));
    assert!(reply.starts_with("-ERR unknown subcommand or wrong number of arguments for 'PANIC-FOR-TESTS'"), "{reply}");
    assert_eq!(server.raw().words("PING"), b"+PONG\r\n");
}
