//! Tests of the configuration module. Expected texts were taken from a real Redis 7.0.15
//! (`redis-server`/`redis-cli` on Debian) unless a comment says otherwise.

use super::syntax::{format_memory, memtoull, repr, split_args, string2ll, strtoll_whole};
use super::*;
use std::sync::atomic::{AtomicUsize, Ordering};

fn load(text: &str) -> Config {
    match Config::from_str(text, "test.conf") {
        Ok((config, _)) => config,
        Err(e) => panic!("{text:?} failed to load:\n{e}"),
    }
}

/// The message of the error loading `text` gives (the last line of Redis's report).
fn load_error(text: &str) -> String {
    match Config::from_str(text, "test.conf") {
        Ok(_) => panic!("{text:?} loaded"),
        Err(ConfigError::Line { message, .. }) | Err(ConfigError::Fatal { message }) => message,
        Err(other) => other.to_string(),
    }
}

fn get(config: &Config, name: &str) -> String {
    let found = config.get(&[name.as_bytes()]);
    assert_eq!(found.len(), 1, "CONFIG GET {name} gave {found:?}");
    found[0].1.clone()
}

fn names(found: &[(String, String)]) -> Vec<String> {
    let mut names: Vec<String> = found.iter().map(|(n, _)| n.clone()).collect();
    names.sort();
    names
}

fn set(config: &mut Config, pairs: &[(&str, &str)]) -> Result<(), String> {
    let pairs: Vec<(&[u8], &[u8])> = pairs.iter().map(|(n, v)| (n.as_bytes(), v.as_bytes())).collect();
    config.set(&pairs)
}

fn strings(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| s.to_string()).collect()
}

fn from_args(list: &[&str]) -> Result<(Config, Vec<String>), ConfigError> {
    Config::from_args_with_stdin(&strings(list), &mut std::io::empty())
}

/// A scratch directory removed on drop.
struct TempDir(PathBuf);

impl TempDir {
    fn new(tag: &str) -> TempDir {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let path = std::env::temp_dir().join(format!("shardis-config-{}-{tag}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&path);
        std::fs::create_dir_all(&path).unwrap();
        TempDir(path)
    }

    fn file(&self, name: &str, content: &str) -> PathBuf {
        let path = self.0.join(name);
        std::fs::write(&path, content).unwrap();
        path
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

// ---------------------------------------------------------------------------------------------
// Value syntax.

#[test]
fn config_memory_units_like_memtoull() {
    // (input, value) as CONFIG SET maxmemory then CONFIG GET maxmemory showed on 7.0.15.
    let accepted: &[(&str, u64)] = &[
        ("", 0),
        ("kb", 0),
        ("b", 0),
        ("1B", 1),
        ("1k", 1000),
        ("1K", 1000),
        ("1KB", 1024),
        ("1kb", 1024),
        ("1m", 1_000_000),
        ("1mb", 1_048_576),
        ("1g", 1_000_000_000),
        ("1gb", 1_073_741_824),
        ("100mb", 104_857_600),
        ("18446744073709551615", u64::MAX),
        ("18446744073709551616", u64::MAX),
        ("17179869184gb", 0),
        ("18014398509481984kb", 0),
    ];
    for &(input, value) in accepted {
        assert_eq!(memtoull(input.as_bytes()), Some(value), "{input:?}");
        let mut config = Config::default();
        set(&mut config, &[("maxmemory", input)]).unwrap();
        assert_eq!(config.maxmemory, value, "{input:?}");
        assert_eq!(get(&config, "maxmemory"), value.to_string());
    }
    for input in ["1 gb", "+5", " 5", "5 ", "1tb", "0x10", "-0", "-1", "1.5mb", "1kib"] {
        assert_eq!(memtoull(input.as_bytes()), None, "{input:?}");
        assert_eq!(
            set(&mut Config::default(), &[("maxmemory", input)]),
            Err("ERR CONFIG SET failed (possibly related to argument 'maxmemory') - argument must be a memory value"
                .to_string()),
            "{input:?}"
        );
    }
    assert_eq!(load("maxmemory 1gb").maxmemory, 1 << 30);
    assert_eq!(load("proto-max-bulk-len 1mb").proto_max_bulk_len, 1 << 20);
    let below = "ERR CONFIG SET failed (possibly related to argument 'proto-max-bulk-len') - argument must be \
                 between 1048576 and 9223372036854775807 inclusive";
    for input in ["1023kb", "18446744073709551615", "9223372036854775808"] {
        assert_eq!(set(&mut Config::default(), &[("proto-max-bulk-len", input)]), Err(below.to_string()));
    }
    assert_eq!(format_memory(0), "0");
    assert_eq!(format_memory(1000), "1000");
    assert_eq!(format_memory(2048), "2kb");
    assert_eq!(format_memory(64 << 20), "64mb");
    assert_eq!(format_memory(2 << 30), "2gb");
}

#[test]
fn config_integers_like_string2ll_and_strtoll() {
    for (input, value) in [("0", Some(0)), ("-1", Some(-1)), ("2147483647", Some(2147483647))] {
        assert_eq!(string2ll(input.as_bytes()), value);
    }
    for input in ["", "05", "+5", " 5", "5 ", "-0", "1e3", "9223372036854775808", "-"] {
        assert_eq!(string2ll(input.as_bytes()), None, "{input:?}");
    }
    assert_eq!(string2ll(b"-9223372036854775808"), Some(i64::MIN));
    assert_eq!(strtoll_whole(b"", 10), Some((0, false)));
    assert_eq!(strtoll_whole(b" +7", 10), Some((7, false)));
    assert_eq!(strtoll_whole(b"0777", 8), Some((0o777, false)));
    assert_eq!(strtoll_whole(b"8", 8), None);
    assert_eq!(strtoll_whole(b"5 ", 10), None);
    assert_eq!(strtoll_whole(b" ", 10), None);
    assert_eq!(strtoll_whole(b"99999999999999999999", 10), Some((i64::MAX, true)));

    let mut config = Config::default();
    for input in ["", "05", "+5", " 5", "5 ", "-0", "1e3"] {
        assert_eq!(
            set(&mut config, &[("timeout", input)]),
            Err("ERR CONFIG SET failed (possibly related to argument 'timeout') - argument couldn't be parsed into \
                 an integer"
                .to_string())
        );
    }
    for input in ["2147483648", "-1"] {
        assert_eq!(
            set(&mut config, &[("timeout", input)]),
            Err("ERR CONFIG SET failed (possibly related to argument 'timeout') - argument must be between 0 and \
                 2147483647 inclusive"
                .to_string())
        );
    }
    set(&mut config, &[("timeout", "2147483647")]).unwrap();
    assert_eq!(config.timeout, 2147483647);
    assert_eq!(
        set(&mut config, &[("maxclients", "-1")]),
        Err("ERR CONFIG SET failed (possibly related to argument 'maxclients') - argument must be between 1 and \
             4294967295 inclusive"
            .to_string())
    );
    set(&mut config, &[("slowlog-log-slower-than", "-1")]).unwrap();
    assert_eq!(config.slowlog_log_slower_than, -1);
}

#[test]
fn config_bool_is_yes_or_no_only() {
    for (input, value) in [("yes", true), ("YES", true), ("Yes", true), ("no", false), ("NO", false)] {
        assert_eq!(load(&format!("daemonize {input}")).daemonize, value);
        let mut config = Config::default();
        set(&mut config, &[("activerehashing", input)]).unwrap();
        assert_eq!(get(&config, "activerehashing"), if value { "yes" } else { "no" });
    }
    for input in ["1", "0", "true", "false", "y", "on", "\"\""] {
        assert_eq!(load_error(&format!("daemonize {input}")), "argument must be 'yes' or 'no'", "{input}");
    }
    assert_eq!(
        set(&mut Config::default(), &[("protected-mode", "true")]),
        Err("ERR CONFIG SET failed (possibly related to argument 'protected-mode') - argument must be 'yes' or 'no'"
            .to_string())
    );
}

#[test]
fn config_quoting_like_sdssplitargs() {
    let split = |line: &str| split_args(line.as_bytes()).map(|v| v.into_iter().map(|a| lossy(&a)).collect::<Vec<_>>());
    assert_eq!(split("a b\tc"), Some(strings(&["a", "b", "c"])));
    assert_eq!(split("  "), Some(vec![]));
    assert_eq!(split("\"a b\" c"), Some(strings(&["a b", "c"])));
    assert_eq!(split("'a b' c"), Some(strings(&["a b", "c"])));
    assert_eq!(split(r#""\x41\n\t\\\"\q""#), Some(strings(&["A\n\t\\\"q"])));
    assert_eq!(split(r"'it\'s' '\n'"), Some(strings(&["it's", "\\n"])));
    assert_eq!(split(r#""" ''"#), Some(strings(&["", ""])));
    assert_eq!(split(r#"a"b c""#), Some(strings(&["ab c"])), "a quote may open inside a token");
    assert_eq!(split(r#""\xZZ""#), Some(strings(&["xZZ"])), "a bad \\x escape is a plain escape");
    assert_eq!(split(r#""abc"#), None);
    assert_eq!(split(r#""a"b"#), None, "a closing quote must be followed by a blank");
    assert_eq!(split("'a'b"), None);
    assert_eq!(split("'abc"), None);

    assert_eq!(repr(b"a b\x01\"\\\n\r\t\x07\x08\xff"), r#""a b\x01\"\\\n\r\t\a\b\xff""#);
    assert_eq!(load(r#"requirepass "p w\x01""#).requirepass, Some(b"p w\x01".to_vec()));
    assert_eq!(load("requirepass 'it\\'s'").requirepass, Some(b"it's".to_vec()));
    assert_eq!(load_error("port \"7390"), "Unbalanced quotes in configuration line");
    // Names are case-insensitive, values are not.
    let config = load("PORT 7390\nDaemonize NO\nDBFILENAME Dump.RDB");
    assert_eq!((config.port, config.daemonize, config.dbfilename.as_path()), (7390, false, Path::new("Dump.RDB")));
    // Comments, blank lines, indentation and CRLF.
    let config = load("# comment\n\n   port 7391   \r\n\t# indented comment\r\nhz 20\r\n");
    assert_eq!((config.port, config.hz), (7391, 20));
}

// ---------------------------------------------------------------------------------------------
// Loading.

#[test]
fn config_defaults() {
    let (config, warnings) = Config::from_str("", "empty").unwrap();
    assert!(warnings.is_empty());
    assert_eq!(config, Config::default());
    assert_eq!(config.port, 6379);
    assert_eq!(config.bind, vec!["127.0.0.1"]);
    assert_eq!(config.save, vec![(3600, 1), (300, 100), (60, 10000)]);
    assert_eq!(config.maxmemory_policy, MaxmemoryPolicy::NoEviction);
    assert_eq!(config.loglevel, LogLevel::Notice);
    assert_eq!((config.hash_max_listpack_entries, config.zset_max_listpack_entries), (512, 128));
    let (_, warnings) = from_args(&[]).unwrap();
    assert_eq!(warnings.len(), 1);
    assert!(warnings[0].starts_with("no config file specified, using the default config."), "{warnings:?}");
}

#[test]
fn config_overrides_and_accumulation() {
    let config = load("port 7000\nport 7001\nmaxmemory 1mb\nmaxmemory 2mb");
    assert_eq!((config.port, config.maxmemory), (7001, 2 << 20));
    // The first save line replaces the defaults, the next ones add, `save ""` clears.
    assert_eq!(load("save 900 1\nsave 300 10").save, vec![(900, 1), (300, 10)]);
    assert_eq!(load("save 900 1 300 10").save, vec![(900, 1), (300, 10)]);
    assert_eq!(load("save 900 1\nsave \"\"\nsave 300 10").save, vec![(300, 10)]);
    assert_eq!(load("save 900 1\nsave \"\"").save, vec![]);
    assert_eq!(load("save \"\"\nsave 900 1").save, vec![(900, 1)]);
    assert_eq!(get(&load("save 900 1\nsave 300 10"), "save"), "900 1 300 10");
    // Several bind addresses on one line; the last bind line wins.
    assert_eq!(load("bind 10.0.0.1\nbind 127.0.0.1 -::1").bind, vec!["127.0.0.1", "-::1"]);
    assert_eq!(load("bind \"\"").bind, Vec::<String>::new());
    // Aliases set their primary.
    assert_eq!(load("hash-max-ziplist-entries 7").hash_max_listpack_entries, 7);
    assert_eq!(get(&load("slave-read-only no"), "replica-read-only"), "no");
    // The command line comes after the file and wins; its saves add to the file's.
    let dir = TempDir::new("overrides");
    let file = dir.file("redis.conf", "port 7000\nsave 900 1\nmaxmemory 5mb\n");
    let (config, _) = from_args(&[file.to_str().unwrap(), "--port", "7002", "--save", "60", "5"]).unwrap();
    assert_eq!((config.port, config.maxmemory), (7002, 5 << 20));
    assert_eq!(config.save, vec![(900, 1), (60, 5)]);
    assert_eq!(config.config_file.as_deref(), Some(file.as_path()));
}

#[test]
fn config_command_line_like_redis_main() {
    let options = |list: &[&str]| lossy(&Invocation::parse(&strings(list)).options);
    assert_eq!(options(&["--port", "7000"]), "port \"7000\" ");
    assert_eq!(options(&["--save", "900", "1", "--port", "7000"]), "save \"900\" \"1\" \nport \"7000\" ");
    assert_eq!(options(&["--save"]), "save \"\"");
    assert_eq!(options(&["--save", "--port", "7000"]), "save \"\"\nport \"7000\" ");
    assert_eq!(options(&["--port 7000"]), "port 7000 ");
    assert_eq!(options(&["--requirepass", "--secret"]), "requirepass \"--secret\" ");
    assert_eq!(options(&["--requirepass", "a\"b\n"]), "requirepass \"a\\\"b\\n\" ");
    let inv = Invocation::parse(&strings(&["/etc/redis.conf", "-"]));
    assert_eq!((inv.config_file.as_deref(), inv.from_stdin), (Some("/etc/redis.conf"), true));
    let inv = Invocation::parse(&strings(&["-", "--port", "1"]));
    assert_eq!((inv.config_file, inv.from_stdin), (None, true));

    let (config, warnings) = from_args(&["--save", "--port", "7000", "--maxmemory", "1mb"]).unwrap();
    assert_eq!((config.save.len(), config.port, config.maxmemory), (0, 7000, 1 << 20));
    assert!(warnings.is_empty());
    assert_eq!(from_args(&["--save", ""]).unwrap().0.save, vec![]);
    assert_eq!(from_args(&["--bind", "127.0.0.1", "::1"]).unwrap().0.bind, vec!["127.0.0.1", "::1"]);
    assert_eq!(from_args(&["--requirepass", "a b"]).unwrap().0.requirepass, Some(b"a b".to_vec()));

    let mut stdin: &[u8] = b"maxmemory 3mb\nport 7100\n";
    let args = strings(&["-", "--port", "7200"]);
    let (config, _) = Config::from_args_with_stdin(&args, &mut stdin).unwrap();
    assert_eq!((config.maxmemory, config.port, config.config_file), (3 << 20, 7200, None));

    let err = from_args(&["--port", "7000", "--timeout", "abc"]).unwrap_err();
    let expected = format!(
        "*** FATAL CONFIG FILE ERROR (Redis {}) ***\nReading the configuration file, at line 2 of the command line\n\
         >>> 'timeout \"abc\"'\nargument couldn't be parsed into an integer",
        crate::REDIS_VERSION
    );
    assert_eq!(err.to_string(), expected);
    // "-" in the middle is a value, as in Redis.
    assert_eq!(
        from_args(&["--port", "-", "--hz", "5"]).unwrap_err().to_string().lines().last(),
        Some("argument couldn't be parsed into an integer")
    );
    let err = from_args(&["/nonexistent/shardis.conf"]).unwrap_err();
    assert_eq!(
        err.to_string(),
        "Fatal error, can't open config file '/nonexistent/shardis.conf': No such file or directory"
    );
}

#[test]
fn config_cli_for_main() {
    use clap::Parser;
    let parse = |list: &[&str]| Cli::try_parse_from(list);
    assert_eq!(parse(&["shardis-server"]).unwrap().args, Vec::<String>::new());
    assert_eq!(parse(&["shardis-server", "--port", "7000"]).unwrap().args, strings(&["--port", "7000"]));
    assert_eq!(
        parse(&["shardis-server", "/etc/redis.conf", "--save", "", "--port", "1", "-"]).unwrap().args,
        strings(&["/etc/redis.conf", "--save", "", "--port", "1", "-"])
    );
    assert_eq!(parse(&["shardis-server", "-"]).unwrap().args, strings(&["-"]));
    assert_eq!(parse(&["shardis-server", "--save", "--port", "7"]).unwrap().args, strings(&["--save", "--port", "7"]));
    for flag in ["--version", "-v"] {
        assert_eq!(parse(&["shardis-server", flag]).unwrap_err().kind(), clap::error::ErrorKind::DisplayVersion);
    }
    for flag in ["--help", "-h"] {
        assert_eq!(parse(&["shardis-server", flag]).unwrap_err().kind(), clap::error::ErrorKind::DisplayHelp);
    }
}

#[test]
fn config_include() {
    let (config, _) = from_args(&["tests/fixtures/conf/include-main.conf"]).unwrap();
    // The child's port overrides the main file's earlier line; the main file's later maxmemory
    // overrides the child's; the grandchild's save adds to the child's.
    assert_eq!((config.port, config.maxmemory, config.hz), (7002, 2 << 20, 42));
    assert_eq!(config.save, vec![(10, 1), (20, 2)]);

    let err = load_error("include tests/fixtures/conf/include-missing.conf");
    assert_eq!(
        err,
        "Fatal error, can't open config file 'tests/fixtures/conf/include-missing.conf': No such file or directory"
    );
    assert_eq!(load_error("include"), "Bad directive or wrong number of arguments");
    assert_eq!(load_error("include a b"), "Bad directive or wrong number of arguments");
    let err = Config::from_str("port 1\ninclude tests/fixtures/conf/include-bad-child.conf", "main").unwrap_err();
    match err {
        ConfigError::Line { origin, line, text, message } => {
            assert_eq!(origin, "tests/fixtures/conf/include-bad-child.conf");
            assert_eq!((line, text.as_str()), (3, "maxmemory lots"));
            assert_eq!(message, "argument must be a memory value");
        }
        other => panic!("{other}"),
    }
    assert!(load_error("include tests/fixtures/conf/include-loop.conf").starts_with("include nesting deeper than"));

    // Wildcards: every match in order, none is fine, dot files only when asked for.
    let dir = TempDir::new("include-glob");
    dir.file("a1.conf", "port 7101\nsave 1 1\n");
    dir.file("a2.conf", "port 7102\nsave 2 2\n");
    dir.file(".a3.conf", "port 7103\n");
    let base = dir.0.display();
    let config = load(&format!("include {base}/a*.conf"));
    assert_eq!((config.port, config.save.clone()), (7102, vec![(1, 1), (2, 2)]));
    assert_eq!(load(&format!("include {base}/a[1]*")).port, 7101);
    assert_eq!(load(&format!("include {base}/.a*")).port, 7103);
    assert_eq!(load(&format!("port 5\ninclude {base}/zz*.conf")).port, 5);
    assert_eq!(load(&format!("port 5\ninclude {base}/*/x.conf")).port, 5);
}

#[test]
fn config_error_texts() {
    let cases: &[(&str, &str)] = &[
        ("foo bar", "Bad directive or wrong number of arguments"),
        ("port", "wrong number of arguments"),
        ("port 1 2", "wrong number of arguments"),
        ("port \"7390", "Unbalanced quotes in configuration line"),
        ("port 65536", "argument must be between 0 and 65535 inclusive"),
        ("port -1", "argument must be between 0 and 65535 inclusive"),
        ("port abc", "argument couldn't be parsed into an integer"),
        ("databases 0", "argument must be between 1 and 2147483647 inclusive"),
        ("maxmemory 1tb", "argument must be a memory value"),
        ("maxmemory-clients 101%", "percentage argument must be less or equal to 100"),
        ("maxmemory-clients -5%", "argument must be a memory or percent value"),
        ("daemonize maybe", "argument must be 'yes' or 'no'"),
        ("unixsocketperm 1000", "argument must be between 0 and 777 inclusive"),
        ("unixsocketperm rwx", "argument couldn't be parsed as an octal number"),
        ("unixsocketperm 8", "argument couldn't be parsed as an octal number"),
        (
            "maxmemory-policy lru",
            "argument(s) must be one of the following: volatile-lru, volatile-lfu, volatile-random, volatile-ttl, \
             allkeys-lru, allkeys-lfu, allkeys-random, noeviction",
        ),
        ("loglevel nothing", "argument(s) must be one of the following: debug, verbose, notice, warning"),
        ("oom-score-adj maybe", "argument(s) must be one of the following: no, yes, relative, absolute"),
        ("shutdown-on-sigint save nosave", "shutdown options SAVE and NOSAVE can't be used simultaneously"),
        ("shutdown-on-sigint", "argument(s) must be one of the following: default, save, nosave, now, force"),
        ("save 900", "Invalid save parameters"),
        ("save 0 1", "Invalid save parameters"),
        ("save 1 -1", "Invalid save parameters"),
        ("save 1x 1", "Invalid save parameters"),
        ("dbfilename a/b", "dbfilename can't be a path, just a filename"),
        ("dbfilename a\\b", "dbfilename can't be a path, just a filename"),
        ("bind 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17", "Too many bind addresses specified."),
        ("dir /tmp a", "wrong number of arguments"),
        ("hz -1", "argument must be between 0 and 2147483647 inclusive"),
        ("appendfilename \"\"", "appendfilename can't be empty"),
        ("appendfilename a/b", "appendfilename can't be a path, just a filename"),
        ("appenddirname \"\"", "appenddirname can't be empty"),
        ("appenddirname a/b", "appenddirname can't be a path, just a dirname"),
        ("cluster-announce-hostname a_b", "Hostnames may only contain alphanumeric characters, hyphens or dots"),
        ("proc-title-template \"{title}\"", "template format is invalid or contains unknown variables"),
        ("proc-title-template \"{title} {foo}\"", "template format is invalid or contains unknown variables"),
        ("proc-title-template \"{title\"", "template format is invalid or contains unknown variables"),
        ("proc-title-template \"x {\"", "template format is invalid or contains unknown variables"),
        ("proc-title-template \"  \"", "template format is invalid or contains unknown variables"),
        ("proc-title-template \"{TITLE}\"", "template format is invalid or contains unknown variables"),
        (
            "client-output-buffer-limit master 1gb 2mb 10",
            "Invalid client class specified in buffer limit configuration.",
        ),
        ("client-output-buffer-limit normal 1 1", "Wrong number of arguments in buffer limit configuration."),
        (
            "client-output-buffer-limit slave 1 1 -1",
            "Error in hard, soft or soft_seconds setting in buffer limit configuration.",
        ),
        ("replicaof 127.0.0.1 99999", "Invalid master port"),
        ("replicaof 127.0.0.1", "wrong number of arguments"),
        ("oom-score-adj-values 1 2", "wrong number of arguments"),
        ("oom-score-adj-values -2001 0 0", "Invalid oom-score-adj-values, elements must be between -2000 and 2000."),
        ("notify-keyspace-events q", "Invalid event class character. Use 'Ag$lshzxeKEtmdn'."),
        ("latency-tracking-info-percentiles abc", "Invalid latency-tracking-info-percentiles parameters"),
        (
            "latency-tracking-info-percentiles 101",
            "latency-tracking-info-percentiles parameters should sit between [0.0,100.0]",
        ),
        ("sentinel monitor a b c", "sentinel directive while not in sentinel mode"),
        ("rename-command FOO", "Bad directive or wrong number of arguments"),
        ("user", "Bad directive or wrong number of arguments"),
        ("loadmodule", "Bad directive or wrong number of arguments"),
        ("mymodule.option", "Module config specified without value"),
        ("list-max-ziplist-entries 1 2", "Bad directive or wrong number of arguments"),
        ("shards 5000", "argument must be between 0 and 4096 inclusive"),
        ("cluster-enabled yes\nreplicaof 10.0.0.1 6379", "replicaof directive not allowed in cluster mode"),
    ];
    for (text, message) in cases {
        assert_eq!(load_error(text), *message, "{text}");
    }
    let err = Config::from_str("# first\nport \"abc\"", "/etc/shardis.conf").unwrap_err();
    assert_eq!(
        err.to_string(),
        format!(
            "*** FATAL CONFIG FILE ERROR (Redis {}) ***\nReading the configuration file, at line 2 of \
             /etc/shardis.conf\n>>> 'port \"abc\"'\nargument couldn't be parsed into an integer",
            crate::REDIS_VERSION
        )
    );
    let err = Config::from_str("cluster-enabled yes\nslaveof 10.0.0.1 6379", "x").unwrap_err();
    assert_eq!(
        err.to_string(),
        format!(
            "*** FATAL CONFIG FILE ERROR (Redis {}) ***\nreplicaof directive not allowed in cluster mode",
            crate::REDIS_VERSION
        )
    );
}

#[test]
fn config_warnings_once_per_directive() {
    let text = "lazyfree-lazy-eviction yes\nlazyfree-lazy-eviction no\nslave-read-only no\nreplica-read-only yes\n\
                rename-command FLUSHALL \"\"\nrename-command KEYS \"\"\nuser alice on >pw ~* +@all\n\
                loadmodule /x.so a b\nmymodule.opt 5\nsentinel\nlist-max-ziplist-entries 5\nport 7000\n";
    let (config, warnings) = Config::from_str(text, "x").unwrap();
    assert_eq!(
        warnings,
        strings(&[
            "directive 'lazyfree-lazy-eviction' is not implemented by shardis yet; ignored",
            "directive 'slave-read-only' is not implemented by shardis yet; ignored",
            "directive 'loadmodule' is not implemented by shardis yet; ignored",
            "module config 'mymodule.opt' ignored: shardis does not load modules",
            "directive 'sentinel' ignored: shardis has no sentinel mode",
            "directive 'list-max-ziplist-entries' is deprecated and ignored",
        ])
    );
    // Unimplemented directives still show their value.
    assert_eq!(
        (get(&config, "lazyfree-lazy-eviction"), get(&config, "replica-read-only")),
        ("no".into(), "yes".into())
    );
    // Renames and user lines are kept for start-up.
    assert_eq!(config.renames, vec![(b"FLUSHALL".to_vec(), Vec::new()), (b"KEYS".to_vec(), Vec::new())]);
    let alice: Vec<Vec<u8>> = ["alice", "on", ">pw", "~*", "+@all"].iter().map(|a| a.as_bytes().to_vec()).collect();
    assert_eq!(config.users, vec![alice]);
}

// ---------------------------------------------------------------------------------------------
// CONFIG GET.

/// The real server's `CONFIG GET *` plus its hidden configs (see the fixture's header).
fn redis_defaults() -> Vec<(String, String)> {
    let text = std::fs::read_to_string("tests/fixtures/conf/redis-7.0.15-defaults.tsv").unwrap();
    text.lines()
        .filter(|l| !l.starts_with('#'))
        .map(|l| {
            let (name, value) = l.split_once('\t').unwrap();
            (name.to_string(), value.to_string())
        })
        .collect()
}

#[test]
fn config_get_all_matches_redis_defaults() {
    let config = Config::default();
    let ours = config.get(&[b"*"]);
    let hidden = [
        "key-load-delay",
        "rdb-key-save-delay",
        "watchdog-period",
        "use-exit-on-panic",
        "loading-process-events-interval-bytes",
    ];
    let redis = redis_defaults();
    let mut expected: Vec<String> =
        redis.iter().map(|(n, _)| n.clone()).filter(|n| !hidden.contains(&n.as_str())).collect();
    expected.push("shards".to_string());
    expected.sort();
    assert_eq!(names(&ours), expected);
    for (name, value) in &redis {
        let ours = get(&config, name);
        match name.as_str() {
            "bind" => assert_eq!(ours, "127.0.0.1", "shardis listens on loopback by default"),
            "dir" => assert_eq!(ours, std::env::current_dir().unwrap().display().to_string()),
            _ => assert_eq!(&ours, value, "CONFIG GET {name}"),
        }
    }
}

#[test]
fn config_get_renders_like_redis() {
    let text = "maxmemory 1gb\nsave 900 1\nsave 300 10\nappendonly no\n\
                client-output-buffer-limit replica 1gb 2mb 10\nunixsocketperm 0777\nhz 1000\n\
                oom-score-adj relative\nlatency-tracking-info-percentiles 50.5 99.00 100\n\
                maxmemory-clients 10%\nshutdown-on-sigterm NOW FORCE\nproc-title-template \"{{x}}\"\n\
                loglevel WARNING\nrequirepass s3cret\nreplicaof no one\nmaxmemory-policy ALLKEYS-LRU\n\
                notify-keyspace-events KEA\nunixsocket /tmp/s.sock\nlist-max-ziplist-size 5\n\
                slowlog-log-slower-than -1\nbind 127.0.0.1 -::1\ndatabases 4\n";
    let config = load(text);
    let expected: &[(&str, &str)] = &[
        ("maxmemory", "1073741824"),
        ("save", "900 1 300 10"),
        ("appendonly", "no"),
        ("client-output-buffer-limit", "normal 0 0 0 slave 1073741824 2097152 10 pubsub 33554432 8388608 60"),
        ("unixsocketperm", "777"),
        ("hz", "500"),
        ("oom-score-adj", "yes"),
        ("latency-tracking-info-percentiles", "50.5 99 100"),
        ("maxmemory-clients", "10%"),
        ("shutdown-on-sigterm", "now force"),
        ("proc-title-template", "{{x}}"),
        ("loglevel", "warning"),
        ("requirepass", "s3cret"),
        ("replicaof", ""),
        ("maxmemory-policy", "allkeys-lru"),
        ("notify-keyspace-events", "AKE"),
        ("unixsocket", "/tmp/s.sock"),
        ("list-max-listpack-size", "5"),
        ("list-max-ziplist-size", "5"),
        ("slowlog-log-slower-than", "-1"),
        ("bind", "127.0.0.1 -::1"),
        ("databases", "4"),
        ("proto-max-bulk-len", "536870912"),
        ("client-query-buffer-limit", "1073741824"),
        ("pidfile", ""),
        ("logfile", ""),
    ];
    for (name, value) in expected {
        assert_eq!(get(&config, name), *value, "CONFIG GET {name}");
    }
    assert_eq!(config.hz, 500);
    assert_eq!(config.unixsocketperm, 0o777);
    assert_eq!(load("hz 0").hz, 1);
    assert_eq!(get(&load("notify-keyspace-events n"), "notify-keyspace-events"), "n");
    assert_eq!(get(&load("save 5 \"\""), "save"), "5 0");
    assert_eq!(get(&load("syslog-facility LOCAL3"), "syslog-facility"), "local3");

    let mut config = Config::default();
    for (input, shown) in
        [("KEA", "AKE"), ("Ex$", "$xE"), ("Am", "Am"), ("gK", "gK"), ("AKEmn", "AKEm"), ("g$lshzxetd", "A"), ("", "")]
    {
        set(&mut config, &[("notify-keyspace-events", input)]).unwrap();
        assert_eq!(get(&config, "notify-keyspace-events"), shown, "{input}");
    }
    for (input, shown) in
        [("nosave now", "nosave now"), ("now nosave", "nosave now"), ("default now", "now"), ("default", "default")]
    {
        set(&mut config, &[("shutdown-on-sigint", input)]).unwrap();
        assert_eq!(get(&config, "shutdown-on-sigint"), shown, "{input}");
    }
    for (input, shown) in [("10%", "10%"), ("0%", "0"), ("1gb", "1073741824"), ("5", "5")] {
        set(&mut config, &[("maxmemory-clients", input)]).unwrap();
        assert_eq!(get(&config, "maxmemory-clients"), shown, "{input}");
    }
    for (input, shown) in [("1.5 99.99 0", "1.5 99.99 0"), ("1e2", "100"), ("", "")] {
        set(&mut config, &[("latency-tracking-info-percentiles", input)]).unwrap();
        assert_eq!(get(&config, "latency-tracking-info-percentiles"), shown, "{input}");
    }
    for (input, shown) in [("1 2 3", "1 2 3"), ("1  2", "1 0 2")] {
        set(&mut config, &[("oom-score-adj-values", input)]).unwrap();
        assert_eq!(get(&config, "oom-score-adj-values"), shown, "{input}");
    }
    set(&mut config, &[("client-output-buffer-limit", "normal 1 2 3")]).unwrap();
    set(&mut config, &[("client-output-buffer-limit", "pubsub 1kb 2k 5 replica 1 1 1")]).unwrap();
    assert_eq!(get(&config, "client-output-buffer-limit"), "normal 1 2 3 slave 1 1 1 pubsub 1024 2000 5");
    set(&mut config, &[("client-output-buffer-limit", "NORMAL 0 0 0")]).unwrap();
    assert_eq!(get(&config, "client-output-buffer-limit"), "normal 0 0 0 slave 1 1 1 pubsub 1024 2000 5");
    for (input, shown) in
        [("{{x}}", "{{x}}"), ("x }", "x }"), ("{listen-addr}", "{listen-addr}"), ("{title}{port}", "{title}{port}")]
    {
        set(&mut config, &[("proc-title-template", input)]).unwrap();
        assert_eq!(get(&config, "proc-title-template"), shown, "{input}");
    }
    set(&mut config, &[("cluster-announce-hostname", "a.b-c")]).unwrap();
    assert_eq!(get(&config, "cluster-announce-hostname"), "a.b-c");
}

#[test]
fn config_get_patterns_like_redis() {
    let config = Config::default();
    let sorted = |patterns: &[&str]| {
        let patterns: Vec<&[u8]> = patterns.iter().map(|p| p.as_bytes()).collect();
        names(&config.get(&patterns))
    };
    assert_eq!(
        sorted(&["MAXMEM*"]),
        strings(&[
            "maxmemory",
            "maxmemory-clients",
            "maxmemory-eviction-tenacity",
            "maxmemory-policy",
            "maxmemory-samples"
        ])
    );
    assert_eq!(sorted(&["[M]axmemory"]), strings(&["maxmemory"]));
    assert_eq!(sorted(&["[^a-z]*"]), Vec::<String>::new());
    assert_eq!(sorted(&["maxmemory["]), Vec::<String>::new());
    assert_eq!(sorted(&["maxmemor[xy"]), strings(&["maxmemory"]));
    assert_eq!(sorted(&["maxmemor[z-x]"]), strings(&["maxmemory"]));
    assert_eq!(sorted(&["*\\-p*y"]), strings(&["maxmemory-policy", "replica-priority", "slave-priority"]));
    assert_eq!(sorted(&["h?"]), strings(&["hz"]));
    assert_eq!(sorted(&["hz\\"]), Vec::<String>::new());
    assert_eq!(sorted(&["maxmemory-polic\\y"]), Vec::<String>::new(), "no glob character: exact name only");
    assert_eq!(sorted(&["zset-max-ziplist-*"]), strings(&["zset-max-ziplist-entries", "zset-max-ziplist-value"]));
    assert_eq!(sorted(&["lua*"]), strings(&["lua-time-limit"]));
    assert_eq!(
        sorted(&["*-slave-*"]),
        strings(&["cluster-slave-no-failover", "cluster-slave-validity-factor", "repl-ping-slave-period"])
    );
    assert_eq!(sorted(&["key-load*"]), Vec::<String>::new(), "hidden configs need their exact name");
    assert_eq!(config.get(&[b"key-load-delay"]), vec![("key-load-delay".to_string(), "0".to_string())]);
    // An exact name is echoed as given, once, however it is spelled.
    assert_eq!(config.get(&[b"PORT"]), vec![("PORT".to_string(), "6379".to_string())]);
    assert_eq!(config.get(&[b"port", b"PORT"]), vec![("port".to_string(), "6379".to_string())]);
    let found = config.get(&[b"PORT", b"p*"]);
    assert_eq!(found.iter().filter(|(n, _)| n.eq_ignore_ascii_case("port")).count(), 1);
    assert_eq!(found[0], ("PORT".to_string(), "6379".to_string()));
    let found = config.get(&[b"p*", b"port", b"po*"]);
    assert_eq!(found.iter().filter(|(n, _)| n == "port").count(), 1);
    assert_eq!(config.get(&[b"nosuchthing", b""]), vec![]);
    assert_eq!(config.get(&[b"*"]).len(), 193, "Redis 7.0.15's 192 names and aliases, and shards");
    // Binary values come through get_raw.
    let config = load(r#"requirepass "\xff\x00x""#);
    assert_eq!(config.get_raw(&[b"requirepass"]), vec![("requirepass".to_string(), b"\xff\x00x".to_vec())]);
    assert_eq!(config.value_of(b"REQUIREPASS"), Some(b"\xff\x00x".to_vec()));
    assert!(Config::is_sensitive(b"requirepass") && Config::is_sensitive(b"masterauth"));
    assert!(!Config::is_sensitive(b"port") && !Config::is_sensitive(b"nosuch"));
}

// ---------------------------------------------------------------------------------------------
// CONFIG SET.

#[test]
fn config_set_error_texts() {
    let mut config = Config::default();
    let cases: &[(&[(&str, &str)], &str)] = &[
        (&[("foo", "1")], "ERR Unknown option or number of arguments for CONFIG SET - 'foo'"),
        (&[("DAEMONIZE", "yes")], "ERR CONFIG SET failed (possibly related to argument 'DAEMONIZE') - can't set immutable config"),
        (&[("slaveof", "a 1")], "ERR CONFIG SET failed (possibly related to argument 'slaveof') - can't set immutable config"),
        (&[("dir", "/tmp")], "ERR CONFIG SET failed (possibly related to argument 'dir') - can't set protected config"),
        (&[("dbfilename", "x.rdb")], "ERR CONFIG SET failed (possibly related to argument 'dbfilename') - can't set protected config"),
        (&[("MAXMEMORY", "abc")], "ERR CONFIG SET failed (possibly related to argument 'maxmemory') - argument must be a memory value"),
        (&[("maxmemory", "1"), ("maxmemory", "2")], "ERR CONFIG SET failed (possibly related to argument 'maxmemory') - duplicate parameter"),
        (&[("maxmemory", "5mb"), ("foo", "1"), ("daemonize", "yes")], "ERR Unknown option or number of arguments for CONFIG SET - 'foo'"),
        (&[("daemonize", "yes"), ("foo", "1")], "ERR CONFIG SET failed (possibly related to argument 'daemonize') - can't set immutable config"),
        (&[("maxmemory", "1"), ("maxmemory", "2"), ("daemonize", "yes")], "ERR CONFIG SET failed (possibly related to argument 'maxmemory') - duplicate parameter"),
        (&[("timeout", "1"), ("maxmemory", "abc"), ("hz", "x")], "ERR CONFIG SET failed (possibly related to argument 'maxmemory') - argument must be a memory value"),
        (
            &[("MaxMemory-Policy", "foo")],
            "ERR CONFIG SET failed (possibly related to argument 'maxmemory-policy') - argument(s) must be one of the \
             following: volatile-lru, volatile-lfu, volatile-random, volatile-ttl, allkeys-lru, allkeys-lfu, allkeys-random, noeviction",
        ),
        (&[("Hash-Max-Ziplist-Entries", "x")], "ERR CONFIG SET failed (possibly related to argument 'hash-max-ziplist-entries') - argument couldn't be parsed into an integer"),
        (&[("save", "100")], "ERR CONFIG SET failed (possibly related to argument 'save') - Invalid save parameters"),
        (&[("save", "100  1")], "ERR CONFIG SET failed (possibly related to argument 'save') - Invalid save parameters"),
        (&[("shards", "4")], "ERR CONFIG SET failed (possibly related to argument 'shards') - can't set immutable config"),
        (&[("shutdown-on-sigint", "")], "ERR CONFIG SET failed (possibly related to argument 'shutdown-on-sigint') - argument(s) must be one of the following: default, save, nosave, now, force"),
        (&[("client-output-buffer-limit", "master 1 1 1")], "ERR CONFIG SET failed (possibly related to argument 'client-output-buffer-limit') - Invalid client class specified in buffer limit configuration."),
        (&[("latency-tracking-info-percentiles", " 50")], "ERR CONFIG SET failed (possibly related to argument 'latency-tracking-info-percentiles') - Invalid latency-tracking-info-percentiles parameters"),
    ];
    for (pairs, error) in cases {
        assert_eq!(set(&mut config, pairs), Err(error.to_string()), "{pairs:?}");
    }
    assert_eq!(config, Config::default(), "failed CONFIG SETs change nothing");
    assert_eq!(config.set(&[]), Err("ERR wrong number of arguments for 'config|set' command".to_string()));
}

#[test]
fn config_set_is_atomic_and_reports_changes() {
    let mut config = Config::default();
    let before = config.clone();
    assert!(set(&mut config, &[("timeout", "7"), ("maxmemory", "5mb"), ("save", "1 x")]).is_err());
    assert_eq!(config, before);
    let pairs: Vec<(&[u8], &[u8])> = vec![
        (b"timeout", b"7"),
        (b"maxmemory", b"5mb"),
        (b"save", b"100 1 200 2"),
        (b"hz", b"10"),
        (b"activerehashing", b"no"),
        (b"maxmemory-policy", b"allkeys-lru"),
    ];
    let changed = config.set_with(&pairs, false).unwrap();
    assert_eq!(changed, vec!["activerehashing", "maxmemory-policy", "timeout", "maxmemory", "save"]);
    assert_eq!((config.timeout, config.maxmemory), (7, 5 << 20));
    assert_eq!(config.save, vec![(100, 1), (200, 2)]);
    assert_eq!(config.maxmemory_policy, MaxmemoryPolicy::AllkeysLru);
    assert_eq!(get(&config, "activerehashing"), "no");
    // A directive and its alias are not duplicates (Redis does the same): the last one wins.
    set(&mut config, &[("hash-max-ziplist-entries", "1"), ("hash-max-listpack-entries", "2")]).unwrap();
    assert_eq!(config.hash_max_listpack_entries, 2);
    // CONFIG SET save replaces; "" clears; hz is clamped; bind takes several addresses.
    set(&mut config, &[("save", "5 0")]).unwrap();
    assert_eq!(config.save, vec![(5, 0)]);
    set(&mut config, &[("save", "")]).unwrap();
    assert_eq!((config.save.clone(), get(&config, "save")), (vec![], String::new()));
    set(&mut config, &[("hz", "1000")]).unwrap();
    assert_eq!(config.hz, 500);
    set(&mut config, &[("bind", "127.0.0.1 ::1")]).unwrap();
    assert_eq!(config.bind, vec!["127.0.0.1", "::1"]);
    set(&mut config, &[("requirepass", "pw"), ("port", "0")]).unwrap();
    assert_eq!((config.requirepass.clone(), config.port), (Some(b"pw".to_vec()), 0));
    set(&mut config, &[("requirepass", "")]).unwrap();
    assert_eq!(config.requirepass, None);
    assert_eq!(config.set_with(&[(b"timeout", b"7")], false), Ok(vec![]));
}

#[test]
fn config_set_protected_dir() {
    let dir = TempDir::new("protected");
    let target = dir.0.join("data");
    std::fs::create_dir(&target).unwrap();
    let file = dir.file("plain", "");
    let mut config = load("enable-protected-configs local");
    let run = |config: &mut Config, value: &Path, local: bool| {
        let value = path_bytes(value);
        config.set_with(&[(b"dir".as_slice(), value.as_slice())], local)
    };
    assert!(run(&mut config, &target, false).unwrap_err().ends_with("can't set protected config"));
    assert_eq!(run(&mut config, &target, true), Ok(vec!["dir"]));
    assert_eq!(config.dir, std::fs::canonicalize(&target).unwrap());
    assert_eq!(
        run(&mut config, &dir.0.join("missing"), true),
        Err("ERR CONFIG SET failed (possibly related to argument 'dir') - No such file or directory".to_string())
    );
    assert_eq!(
        run(&mut config, &file, true),
        Err("ERR CONFIG SET failed (possibly related to argument 'dir') - Not a directory".to_string())
    );
    let mut open = load("enable-protected-configs yes");
    set(&mut open, &[("dbfilename", "other.rdb")]).unwrap();
    assert_eq!(open.dbfilename, PathBuf::from("other.rdb"));
    assert_eq!(
        set(&mut open, &[("dbfilename", "a/b.rdb")]),
        Err("ERR CONFIG SET failed (possibly related to argument 'dbfilename') - dbfilename can't be a path, just a \
             filename"
            .to_string())
    );
}

// ---------------------------------------------------------------------------------------------
// validate_paths.

#[test]
fn config_validate_paths() {
    let dir = TempDir::new("paths");
    let (mut config, _) =
        Config::from_str(&format!("port 1\ndir {}\nlogfile shardis.log", dir.0.display()), "x").unwrap();
    config.validate_paths().unwrap();
    assert!(config.dir.is_absolute());
    assert!(dir.0.join("shardis.log").exists(), "the log file is created inside dir");

    let missing = dir.0.join("missing");
    let (mut config, _) = Config::from_str(&format!("port 1\ndir {}", missing.display()), "my.conf").unwrap();
    match config.validate_paths().unwrap_err() {
        ConfigError::Line { origin, line, message, .. } => {
            assert_eq!((origin.as_str(), line, message.as_str()), ("my.conf", 2, "No such file or directory"));
        }
        other => panic!("{other}"),
    }
    let file = dir.file("plain", "");
    let mut config = Config { dir: file, ..Config::default() };
    assert_eq!(
        config.validate_paths().unwrap_err().to_string(),
        format!("*** FATAL CONFIG FILE ERROR (Redis {}) ***\nNot a directory", crate::REDIS_VERSION)
    );
    let mut config = Config { dir: dir.0.clone(), logfile: Some(missing.join("x.log")), ..Config::default() };
    assert_eq!(
        config.validate_paths().unwrap_err().to_string(),
        format!(
            "*** FATAL CONFIG FILE ERROR (Redis {}) ***\nCan't open the log file: No such file or directory",
            crate::REDIS_VERSION
        )
    );
}

// ---------------------------------------------------------------------------------------------
// CONFIG REWRITE.

#[test]
fn config_rewrite_in_place_like_redis() {
    // Loading this fixture into a real 7.0.15 (run from the crate root) and running CONFIG
    // REWRITE gave the same lines, but for the order of the appended ones (Redis's is its hash
    // table's) and a `user default ...` line from its ACL.
    let path = "tests/fixtures/conf/rewrite-before.conf";
    let old = std::fs::read(path).unwrap();
    let (mut config, _) = from_args(&[path]).unwrap();
    config.dir = PathBuf::from("/tmp");
    let expected = "# My config\nport 7386\n# indented comment\n\nhash-max-listpack-entries 100\nreplica-read-only no\n\
                    save 900 1\nsave 300 10\nmaxmemory 100mb\nnotify-keyspace-events \"AKE\"\nrequirepass \"a b\\x01\"\n\
                    timeout 5\n\nloglevel notice\ninclude tests/fixtures/conf/include-grandchild.conf\n\
                    rename-command FLUSHALL \"\"\nclient-output-buffer-limit normal 0 0 0\nbind 127.0.0.1 -::1\n\n\
                    # Generated by CONFIG REWRITE\nhz 42\ndir \"/tmp\"\nsave 20 2\nlatency-tracking-info-percentiles 50 99 99.9\n";
    assert_eq!(lossy(&config.rewrite_content(&old, &[])), expected);

    // After CONFIG SET maxmemory 2gb maxmemory-policy allkeys-lru hz 15 zset-max-ziplist-entries 99
    set(
        &mut config,
        &[("maxmemory", "2gb"), ("maxmemory-policy", "allkeys-lru"), ("hz", "15"), ("zset-max-ziplist-entries", "99")],
    )
    .unwrap();
    let rewritten = lossy(&config.rewrite_content(&old, &[]));
    assert!(rewritten.contains("\nsave 300 10\nmaxmemory 2gb\nnotify-keyspace-events"), "{rewritten}");
    assert!(
        rewritten.ends_with(
            "# Generated by CONFIG REWRITE\nmaxmemory-policy allkeys-lru\nhz 15\nzset-max-listpack-entries 99\n\
             dir \"/tmp\"\nsave 20 2\nlatency-tracking-info-percentiles 50 99 99.9\n"
        ),
        "{rewritten}"
    );
}

#[test]
fn config_rewrite_details() {
    let mut config = Config { dir: PathBuf::from("/tmp"), ..Config::default() };
    // An empty file gets what is always written.
    assert_eq!(
        lossy(&config.rewrite_content(b"", &[])),
        "# Generated by CONFIG REWRITE\ndir \"/tmp\"\nsave 3600 1\nsave 300 100\nsave 60 10000\n\
         latency-tracking-info-percentiles 50 99 99.9\n"
    );
    // An existing signature is reused, a missing final newline is fine, `save ""` replaces the
    // first save line and blanks the others, runs of blank lines collapse, unknown lines are
    // commented out.
    config.port = 7386;
    config.hz = 13;
    config.save.clear();
    let old = b"port 7386\nsave 1 1\n\n\nsave 2 2\nbogus 1\n\"unbalanced\n# Generated by CONFIG REWRITE\nhz 12";
    assert_eq!(
        lossy(&config.rewrite_content(old, &[])),
        "port 7386\nsave \"\"\n\n# ??? bogus 1\n# ??? \"unbalanced\n# Generated by CONFIG REWRITE\nhz 13\n\
         dir \"/tmp\"\nlatency-tracking-info-percentiles 50 99 99.9\n"
    );
    // Formats: memory in units, octal, percent, quoted strings, unset strings removed, enums,
    // client output buffer limits per class.
    let mut config = load(
        "maxmemory 1000\nproto-max-bulk-len 2gb\nunixsocketperm 700\nmaxmemory-clients 5%\n\
         logfile \"/var/log/a b.log\"\npidfile /run/x.pid\nclient-output-buffer-limit replica 1gb 2mb 10\n\
         replicaof 10.0.0.1 6380\nshutdown-on-sigint nosave now\nbind \"\"",
    );
    config.dir = PathBuf::from("/tmp");
    config.pidfile = None;
    let text = lossy(&config.rewrite_content(b"pidfile /run/old.pid\nunixsocket /tmp/old.sock\n", &[]));
    for line in [
        "maxmemory 1000\n",
        "proto-max-bulk-len 2gb\n",
        "unixsocketperm 700\n",
        "maxmemory-clients 5%\n",
        "logfile \"/var/log/a b.log\"\n",
        "client-output-buffer-limit replica 1gb 2mb 10\n",
        "replicaof 10.0.0.1 6380\n",
        "shutdown-on-sigint nosave now\n",
        "bind \"\"\n",
    ] {
        assert!(text.contains(line), "missing {line:?} in:\n{text}");
    }
    assert!(!text.contains("pidfile") && !text.contains("unixsocket "), "unset strings lose their lines:\n{text}");
    assert!(text.starts_with("\n"), "the old pidfile and unixsocket lines are blanked:\n{text}");
    assert!(!text.contains("client-output-buffer-limit normal") && !text.contains("pubsub"));
}

#[test]
fn config_rewrite_round_trip() {
    let dir = TempDir::new("rewrite");
    let original = "# Test config\nport 7400\nbind 127.0.0.1 -::1\nsave 900 1\nsave 300 10\n\
                    maxmemory 100mb\nmaxmemory-policy allkeys-lfu\nrequirepass \"p\\\"w\"\nrdbcompression no\n\
                    slave-read-only no\nclient-output-buffer-limit pubsub 64mb 16mb 90\nnotify-keyspace-events Ex\n\
                    loglevel verbose\n";
    let path = dir.file("redis.conf", original);
    let (mut config, _) = from_args(&[path.to_str().unwrap()]).unwrap();
    config.dir = dir.0.clone();
    set(
        &mut config,
        &[
            ("maxmemory", "2gb"),
            ("save", "60 5"),
            ("hz", "20"),
            ("lazyfree-lazy-user-del", "yes"),
            ("requirepass", "new\npass"),
            ("client-output-buffer-limit", "normal 1mb 1mb 0"),
            ("latency-tracking-info-percentiles", "50 99.9"),
        ],
    )
    .unwrap();
    config.rewrite(&[]).unwrap();
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(text.starts_with("# Test config\nport 7400\nbind 127.0.0.1 -::1\nsave 60 5\n\nmaxmemory 2gb\n"), "{text}");
    assert!(text.contains("requirepass \"new\\npass\"\n"), "{text}");
    let (mut reloaded, _) = from_args(&[path.to_str().unwrap()]).unwrap();
    assert_eq!(reloaded.dir, dir.0);
    reloaded.dir = config.dir.clone();
    assert_eq!(reloaded, config);
    assert_eq!(reloaded.get(&[b"*"]), config.get(&[b"*"]));
    // Rewriting again keeps the meaning. Like Redis, the lines can still move for a while (a
    // class of client-output-buffer-limit reuses the next old line of the directive, a blank
    // line follows the old final newline) but a fixed point comes quickly.
    let mut previous = text.clone();
    for round in 0..4 {
        reloaded.rewrite(&[]).unwrap();
        let (mut again, _) = from_args(&[path.to_str().unwrap()]).unwrap();
        again.dir = config.dir.clone();
        assert_eq!(again, config, "round {round}");
        let now = std::fs::read_to_string(&path).unwrap();
        if round == 3 {
            assert_eq!(now, previous, "no fixed point after 4 rewrites");
        }
        previous = now;
        reloaded = again;
    }
    // No temporary files are left behind.
    assert_eq!(std::fs::read_dir(&dir.0).unwrap().count(), 1);
    // Without a file, and with a file in a missing directory.
    assert_eq!(Config::default().rewrite(&[]), Err("ERR The server is running without a config file".to_string()));
    let lost = Config { config_file: Some(dir.0.join("missing/redis.conf")), ..Config::default() };
    assert_eq!(lost.rewrite(&[]), Err("ERR Rewriting config file: No such file or directory".to_string()));
}

// ---------------------------------------------------------------------------------------------
// Debian's own redis.conf.

#[test]
fn config_loads_debian_redis_conf() {
    let path = "/etc/redis/redis.conf";
    let text = match std::fs::read(path) {
        Ok(text) => text,
        Err(e) => {
            println!("note: skipping: cannot read {path}: {e}");
            return;
        }
    };
    let (config, warnings) = from_args(&[path]).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(config.pidfile.as_deref(), Some(Path::new("/run/redis/redis-server.pid")));
    assert_eq!(config.logfile.as_deref(), Some(Path::new("/var/log/redis/redis-server.log")));
    assert_eq!(config.dir, PathBuf::from("/var/lib/redis"));
    assert!(config.daemonize);
    assert_eq!(config.bind, vec!["127.0.0.1", "-::1"]);
    assert_eq!((config.port, config.tcp_backlog, config.timeout, config.tcp_keepalive), (6379, 511, 0, 300));
    assert_eq!((config.databases, config.hz, config.loglevel), (16, 10, LogLevel::Notice));
    assert!(config.protected_mode && !config.appendonly);
    assert_eq!(config.save, vec![(3600, 1), (300, 100), (60, 10000)]);
    assert_eq!(
        get(&config, "client-output-buffer-limit"),
        Config::default().value_of(b"client-output-buffer-limit").map(|v| lossy(&v)).unwrap()
    );
    assert_eq!(get(&config, "auto-aof-rewrite-min-size"), "67108864");
    assert!(!warnings.iter().any(|w| w.contains("'rdbchecksum'")), "rdbchecksum is implemented");
    assert!(
        warnings.contains(&"directive 'lazyfree-lazy-eviction' is not implemented by shardis yet; ignored".to_string())
    );
    let unique: HashSet<&String> = warnings.iter().collect();
    assert_eq!(unique.len(), warnings.len(), "one warning per directive");
    // Its rewrite keeps it loadable and equal.
    let dir = TempDir::new("debian");
    let copy = dir.0.join("redis.conf");
    std::fs::write(&copy, &text).unwrap();
    let (mut loaded, _) = from_args(&[copy.to_str().unwrap()]).unwrap();
    loaded.rewrite(&[]).unwrap();
    let (reloaded, _) = from_args(&[copy.to_str().unwrap()]).unwrap();
    assert_eq!(reloaded, loaded);
    loaded.config_file = config.config_file.clone();
    assert_eq!(loaded, config);
}

// ---------------------------------------------------------------------------------------------
// The table itself.

#[test]
fn config_table_defaults_are_valid_values() {
    let mut seen = HashSet::new();
    for (idx, spec) in DIRECTIVES.iter().enumerate() {
        for name in std::iter::once(spec.name).chain(spec.alias) {
            assert!(seen.insert(name), "{name} twice");
            assert_eq!(name, name.to_ascii_lowercase());
            assert_eq!(lookup(name.as_bytes()).map(|(i, _)| i), Some(idx));
        }
        if matches!(spec.kind, Kind::Dir | Kind::ReplicaOf) {
            continue;
        }
        let args = if spec.has(MULTI_ARG) {
            split_spaces(spec.default.as_bytes())
        } else {
            vec![spec.default.as_bytes().to_vec()]
        };
        let mut config = Config::default();
        let mut save_loaded = false;
        config.apply(idx, &args, Mode::Load, &mut save_loaded).unwrap_or_else(|e| panic!("{}: {e}", spec.name));
        assert_eq!(lossy(&config.render(idx)), spec.default, "{}", spec.name);
        assert_eq!(lossy(&Config::default().render(idx)), spec.default, "{} in Config::default()", spec.name);
    }
}

/// A multi-argument directive given as one quoted argument is split on spaces, as Redis 7.0
/// does (`redis-server --save "3600 1"`).
#[test]
fn multi_argument_directive_in_one_argument() {
    let (config, _) = Config::from_str("save \"3600 1 300 100\"\n", "x").unwrap();
    assert_eq!(config.save, vec![(3600, 1), (300, 100)]);
    let (config, _) = Config::from_str("save \"\"\n", "x").unwrap();
    assert!(config.save.is_empty());
    assert!(Config::from_str("save \"3600\"\n", "x").is_err());
}
