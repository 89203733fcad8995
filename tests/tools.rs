//! Redis's own tools against shardis: redis-cli --pipe, redis-benchmark (RESP and inline PING,
//! pipelined), and redis-cli's command hints (which come from COMMAND DOCS).

mod common;
use common::*;
use std::io::Write;
use std::process::{Command, Stdio};

#[test]
fn redis_cli_pipe_mass_insert() {
    let server = Proc::shardis(&[]);
    let mut input = Vec::new();
    for i in 0..20_000 {
        input.extend(encode(&[b"SET", format!("pipe:{i}").as_bytes(), format!("{i}").as_bytes()]));
    }
    let mut child = Command::new("redis-cli")
        .args(["-p", &server.port.to_string(), "--pipe"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("redis-cli (redis-tools) is needed");
    child.stdin.take().unwrap().write_all(&input).unwrap();
    let out = child.wait_with_output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("errors: 0, replies: 20000"), "{text}");
    let mut con = server.client();
    let n: i64 = redis::cmd("DBSIZE").query(&mut con).unwrap();
    assert_eq!(n, 20_000);
}

#[test]
fn redis_benchmark_ping_runs_clean() {
    let server = Proc::shardis(&[]);
    for pipeline in ["1", "16"] {
        let out = Command::new("redis-benchmark")
            .args(["-p", &server.port.to_string(), "-t", "ping,set,get", "-n", "20000", "-P", pipeline, "-q"])
            .args(["-r", "100000"])
            .output()
            .expect("redis-benchmark (redis-tools) is needed");
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(out.status.success(), "{text}");
        for test in ["PING_INLINE", "PING_MBULK", "SET", "GET"] {
            assert!(text.contains(&format!("{test}: ")) && text.contains("requests per second"), "{text}");
        }
        assert!(!text.to_lowercase().contains("error"), "{text}");
    }
}

#[test]
fn redis_cli_one_shot_commands() {
    let server = Proc::shardis(&[]);
    let run = |args: &[&str]| {
        let out = Command::new("redis-cli").args(["-p", &server.port.to_string()]).args(args).output().unwrap();
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    };
    assert_eq!(run(&["PING"]), "PONG");
    assert_eq!(run(&["SET", "cli", "value"]), "OK");
    assert_eq!(run(&["GET", "cli"]), "value");
    assert!(run(&["INFO", "server"]).contains("redis_version:7.2.4"));
    assert!(run(&["-3", "HELLO", "3"]).contains("proto 3"));
}

/// redis-cli in a real terminal (tmux) shows the argument hints it builds from COMMAND DOCS.
#[test]
fn redis_cli_interactive_hints() {
    let server = Proc::shardis(&[]);
    let session = format!("shardis-hints-{}", server.port);
    let tmux =
        |args: &[&str]| Command::new("tmux").args(args).output().expect("tmux is needed (scripts/test.sh installs it)");
    let cli = format!("redis-cli -p {}", server.port);
    assert!(tmux(&["new-session", "-d", "-s", &session, "-x", "160", "-y", "10", &cli]).status.success());
    let screen = || String::from_utf8_lossy(&tmux(&["capture-pane", "-t", &session, "-p"]).stdout).into_owned();
    let wait_for = |needle: &str| {
        for _ in 0..100 {
            let text = screen();
            if text.contains(needle) {
                return text;
            }
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        screen()
    };
    let prompt = format!("127.0.0.1:{}>", server.port);
    let text = wait_for(&prompt);
    assert!(text.contains(&prompt), "{text}");
    tmux(&["send-keys", "-t", &session, "SET foo "]);
    let text = wait_for("[NX|XX]");
    tmux(&["kill-session", "-t", &session]);
    assert!(text.contains("SET foo value [NX|XX] [GET]"), "no hint shown: {text}");
}
