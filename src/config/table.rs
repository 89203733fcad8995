//! Every directive Redis 7.0.15 knows, plus shardis's own `shards`: name, alias, flags, value
//! kind (which decides parsing, validation, CONFIG GET rendering and CONFIG REWRITE format) and
//! default as CONFIG GET renders it.
//!
//! Kinds, bounds, flags and defaults were read off a real 7.0.15 (`CONFIG GET *`, CONFIG SET of
//! out-of-range and malformed values, start-up with bad values); see
//! `tests/fixtures/conf/redis-7.0.15-defaults.tsv`. The directives marked [`IMPLEMENTED`] live
//! in typed fields of `Config`; every other one is kept as its rendered text.

/// CONFIG SET refuses it ("can't set immutable config").
pub const IMMUTABLE: u8 = 1;
/// CONFIG SET allows it only as `enable-protected-configs` says.
pub const PROTECTED: u8 = 2;
/// CONFIG GET shows it only when asked for by its exact name.
pub const HIDDEN: u8 = 4;
/// Takes several arguments in a file; CONFIG SET splits its value on spaces.
pub const MULTI_ARG: u8 = 8;
/// Backed by a typed field of `Config` and acted upon by shardis.
pub const IMPLEMENTED: u8 = 16;
/// Its value is a secret (clients should redact it from logs, SLOWLOG and MONITOR).
pub const SENSITIVE: u8 = 32;

/// How a numeric directive is written and read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NumFmt {
    /// Plain integer (`string2ll`).
    Int,
    /// Memory value (`memtoull`: `1gb`, `100mb`, `1k`), rendered in bytes.
    Memory,
    /// Octal integer (`strtoll(.., 8)`), rendered in octal.
    Octal,
    /// Memory value or `N%`, the percentage kept as a negative number.
    MemoryPercent,
}

/// A numeric directive: bounds (inclusive) and whether Redis compares them as unsigned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Num {
    pub lo: i128,
    pub hi: i128,
    pub unsigned: bool,
    pub fmt: NumFmt,
}

/// Extra validation of a string directive.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StrCheck {
    None,
    DbFilename,
    AofFilename,
    AofDirname,
    Hostname,
    ProcTitle,
}

/// The kind of value a directive takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// `yes` or `no`, any case.
    Bool,
    Num(Num),
    /// One name out of a list (any case); several names may share a value, the first one is
    /// the rendering.
    Enum(&'static [(&'static str, u32)]),
    /// One or more names whose bits add up (shutdown-on-sigint); 0 renders as the zero name.
    Flags(&'static [(&'static str, u32)]),
    /// A string; with `empty_is_null` an empty value means "unset" (and disappears on
    /// CONFIG REWRITE).
    Str {
        empty_is_null: bool,
        check: StrCheck,
    },
    Save,
    Bind,
    Dir,
    ClientOutputBufferLimit,
    OomScoreAdjValues,
    NotifyKeyspaceEvents,
    ReplicaOf,
    LatencyPercentiles,
}

/// One directive.
#[derive(Debug, Clone, Copy)]
pub struct Spec {
    pub name: &'static str,
    pub alias: Option<&'static str>,
    pub flags: u8,
    pub kind: Kind,
    /// The default, as CONFIG GET renders it.
    pub default: &'static str,
}

impl Spec {
    pub fn has(&self, flag: u8) -> bool {
        self.flags & flag != 0
    }
}

const INT_MIN: i128 = i32::MIN as i128;
const INT_MAX: i128 = i32::MAX as i128;
const UINT_MAX: i128 = u32::MAX as i128;
const LONG_MAX: i128 = i64::MAX as i128;
const ULLONG_MAX: i128 = u64::MAX as i128;

const fn boolean(name: &'static str, alias: Option<&'static str>, flags: u8, default: &'static str) -> Spec {
    Spec { name, alias, flags, kind: Kind::Bool, default }
}

const fn numeric(
    name: &'static str,
    alias: Option<&'static str>,
    flags: u8,
    (lo, hi): (i128, i128),
    unsigned: bool,
    fmt: NumFmt,
    default: &'static str,
) -> Spec {
    Spec { name, alias, flags, kind: Kind::Num(Num { lo, hi, unsigned, fmt }), default }
}

/// A signed plain integer.
const fn int(
    name: &'static str,
    alias: Option<&'static str>,
    flags: u8,
    range: (i128, i128),
    default: &'static str,
) -> Spec {
    numeric(name, alias, flags, range, false, NumFmt::Int, default)
}

/// An unsigned plain integer (`size_t`, `unsigned int`).
const fn uint(
    name: &'static str,
    alias: Option<&'static str>,
    flags: u8,
    range: (i128, i128),
    default: &'static str,
) -> Spec {
    numeric(name, alias, flags, range, true, NumFmt::Int, default)
}

/// A memory value; `unsigned` for `size_t` and `unsigned long long` fields.
const fn mem(
    name: &'static str,
    alias: Option<&'static str>,
    flags: u8,
    range: (i128, i128),
    unsigned: bool,
    default: &'static str,
) -> Spec {
    numeric(name, alias, flags, range, unsigned, NumFmt::Memory, default)
}

const fn enumeration(
    name: &'static str,
    flags: u8,
    values: &'static [(&'static str, u32)],
    default: &'static str,
) -> Spec {
    Spec { name, alias: None, flags, kind: Kind::Enum(values), default }
}

const fn string(
    name: &'static str,
    alias: Option<&'static str>,
    flags: u8,
    empty_is_null: bool,
    check: StrCheck,
    default: &'static str,
) -> Spec {
    Spec { name, alias, flags, kind: Kind::Str { empty_is_null, check }, default }
}

const fn special(
    name: &'static str,
    alias: Option<&'static str>,
    flags: u8,
    kind: Kind,
    default: &'static str,
) -> Spec {
    Spec { name, alias, flags, kind, default }
}

const NULL: bool = true;
const EMPTY_OK: bool = false;
const I: u8 = IMMUTABLE;
const IMPL: u8 = IMPLEMENTED;

pub const MAXMEMORY_POLICIES: &[(&str, u32)] = &[
    ("volatile-lru", 0),
    ("volatile-lfu", 1),
    ("volatile-random", 2),
    ("volatile-ttl", 3),
    ("allkeys-lru", 4),
    ("allkeys-lfu", 5),
    ("allkeys-random", 6),
    ("noeviction", 7),
];
pub const LOGLEVELS: &[(&str, u32)] = &[("debug", 0), ("verbose", 1), ("notice", 2), ("warning", 3)];
const SUPERVISED: &[(&str, u32)] = &[("upstart", 0), ("systemd", 1), ("auto", 2), ("no", 3)];
const SYSLOG_FACILITIES: &[(&str, u32)] = &[
    ("user", 0),
    ("local0", 1),
    ("local1", 2),
    ("local2", 3),
    ("local3", 4),
    ("local4", 5),
    ("local5", 6),
    ("local6", 7),
    ("local7", 8),
];
const APPENDFSYNC: &[(&str, u32)] = &[("everysec", 0), ("always", 1), ("no", 2)];
const DISKLESS_LOAD: &[(&str, u32)] = &[("disabled", 0), ("on-empty-db", 1), ("swapdb", 2)];
const TLS_AUTH_CLIENTS: &[(&str, u32)] = &[("no", 0), ("yes", 1), ("optional", 2)];
const OOM_SCORE_ADJ: &[(&str, u32)] = &[("no", 0), ("yes", 1), ("relative", 1), ("absolute", 2)];
const ACL_PUBSUB_DEFAULT: &[(&str, u32)] = &[("allchannels", 0), ("resetchannels", 1)];
const SANITIZE_DUMP: &[(&str, u32)] = &[("no", 0), ("yes", 1), ("clients", 2)];
/// Values of `enable-protected-configs` and friends.
pub const PROTECTED_ACTION: &[(&str, u32)] = &[("no", 0), ("yes", 1), ("local", 2)];
const ENDPOINT_TYPE: &[(&str, u32)] = &[("ip", 0), ("hostname", 1), ("unknown-endpoint", 2)];
const PROPAGATION_ERROR: &[(&str, u32)] = &[("ignore", 0), ("panic", 1), ("panic-on-replicas", 2)];
pub const SHUTDOWN_FLAGS: &[(&str, u32)] = &[("default", 0), ("save", 1), ("nosave", 2), ("now", 4), ("force", 8)];

/// The directives, in Redis's table order (booleans, strings, enums, numbers, TLS, special),
/// shardis's own last. Aliases share their primary's entry.
#[rustfmt::skip]
pub static DIRECTIVES: &[Spec] = &[
    // Booleans.
    boolean("rdbchecksum", None, I | IMPL, "yes"),
    boolean("daemonize", None, I | IMPL, "no"),
    boolean("io-threads-do-reads", None, I, "no"),
    boolean("always-show-logo", None, I, "no"),
    boolean("protected-mode", None, IMPL, "yes"),
    boolean("rdbcompression", None, IMPL, "yes"),
    boolean("rdb-del-sync-files", None, 0, "no"),
    boolean("activerehashing", None, 0, "yes"),
    boolean("stop-writes-on-bgsave-error", None, IMPL, "yes"),
    boolean("set-proc-title", None, I, "yes"),
    boolean("dynamic-hz", None, 0, "yes"),
    boolean("lazyfree-lazy-eviction", None, 0, "no"),
    boolean("lazyfree-lazy-expire", None, 0, "no"),
    boolean("lazyfree-lazy-server-del", None, 0, "no"),
    boolean("lazyfree-lazy-user-del", None, 0, "no"),
    boolean("lazyfree-lazy-user-flush", None, 0, "no"),
    boolean("repl-disable-tcp-nodelay", None, 0, "no"),
    boolean("repl-diskless-sync", None, 0, "yes"),
    boolean("aof-rewrite-incremental-fsync", None, 0, "yes"),
    boolean("no-appendfsync-on-rewrite", None, 0, "no"),
    boolean("cluster-require-full-coverage", None, 0, "yes"),
    boolean("rdb-save-incremental-fsync", None, 0, "yes"),
    boolean("aof-load-truncated", None, 0, "yes"),
    boolean("aof-use-rdb-preamble", None, 0, "yes"),
    boolean("aof-timestamp-enabled", None, 0, "no"),
    boolean("cluster-replica-no-failover", Some("cluster-slave-no-failover"), 0, "no"),
    boolean("replica-lazy-flush", Some("slave-lazy-flush"), 0, "no"),
    boolean("replica-serve-stale-data", Some("slave-serve-stale-data"), 0, "yes"),
    boolean("replica-read-only", Some("slave-read-only"), 0, "yes"),
    boolean("replica-ignore-maxmemory", Some("slave-ignore-maxmemory"), 0, "yes"),
    boolean("jemalloc-bg-thread", None, IMPL, "yes"),
    boolean("activedefrag", None, 0, "no"),
    boolean("syslog-enabled", None, I, "no"),
    boolean("cluster-enabled", None, I, "no"),
    boolean("appendonly", None, IMPL, "no"),
    boolean("cluster-allow-reads-when-down", None, 0, "no"),
    boolean("cluster-allow-pubsubshard-when-down", None, 0, "yes"),
    boolean("crash-log-enabled", None, 0, "yes"),
    boolean("crash-memcheck-enabled", None, 0, "yes"),
    boolean("use-exit-on-panic", None, HIDDEN, "no"),
    boolean("disable-thp", None, I, "yes"),
    boolean("cluster-allow-replica-migration", None, 0, "yes"),
    boolean("replica-announced", None, 0, "yes"),
    boolean("latency-tracking", None, 0, "yes"),
    boolean("aof-disable-auto-gc", None, 0, "no"),
    boolean("replica-ignore-disk-write-errors", None, 0, "no"),
    // Strings.
    string("aclfile", None, I | IMPL, EMPTY_OK, StrCheck::None, ""),
    string("unixsocket", None, I | IMPL, NULL, StrCheck::None, ""),
    string("pidfile", None, I | IMPL, NULL, StrCheck::None, ""),
    string("replica-announce-ip", Some("slave-announce-ip"), 0, NULL, StrCheck::None, ""),
    string("masteruser", None, SENSITIVE, NULL, StrCheck::None, ""),
    string("cluster-announce-ip", None, 0, NULL, StrCheck::None, ""),
    string("cluster-config-file", None, I, EMPTY_OK, StrCheck::None, "nodes.conf"),
    string("cluster-announce-hostname", None, 0, NULL, StrCheck::Hostname, ""),
    string("syslog-ident", None, I, EMPTY_OK, StrCheck::None, "redis"),
    string("dbfilename", None, PROTECTED | IMPL, EMPTY_OK, StrCheck::DbFilename, "dump.rdb"),
    string("appendfilename", None, I, EMPTY_OK, StrCheck::AofFilename, "appendonly.aof"),
    string("appenddirname", None, I, EMPTY_OK, StrCheck::AofDirname, "appendonlydir"),
    string("server_cpulist", None, I, NULL, StrCheck::None, ""),
    string("bio_cpulist", None, I, NULL, StrCheck::None, ""),
    string("aof_rewrite_cpulist", None, I, NULL, StrCheck::None, ""),
    string("bgsave_cpulist", None, I, NULL, StrCheck::None, ""),
    string("ignore-warnings", None, 0, EMPTY_OK, StrCheck::None, ""),
    string("proc-title-template", None, 0, EMPTY_OK, StrCheck::ProcTitle, "{title} {listen-addr} {server-mode}"),
    string("bind-source-addr", None, 0, NULL, StrCheck::None, ""),
    string("logfile", None, I | IMPL, EMPTY_OK, StrCheck::None, ""),
    string("masterauth", None, SENSITIVE, NULL, StrCheck::None, ""),
    string("requirepass", None, SENSITIVE | IMPL, NULL, StrCheck::None, ""),
    // Enumerations.
    enumeration("supervised", I, SUPERVISED, "no"),
    enumeration("syslog-facility", I, SYSLOG_FACILITIES, "local0"),
    enumeration("repl-diskless-load", 0, DISKLESS_LOAD, "disabled"),
    enumeration("loglevel", IMPL, LOGLEVELS, "notice"),
    enumeration("maxmemory-policy", IMPL, MAXMEMORY_POLICIES, "noeviction"),
    enumeration("appendfsync", 0, APPENDFSYNC, "everysec"),
    enumeration("oom-score-adj", 0, OOM_SCORE_ADJ, "no"),
    enumeration("acl-pubsub-default", IMPL, ACL_PUBSUB_DEFAULT, "resetchannels"),
    enumeration("sanitize-dump-payload", 0, SANITIZE_DUMP, "no"),
    enumeration("enable-protected-configs", I, PROTECTED_ACTION, "no"),
    enumeration("enable-debug-command", I | IMPL, PROTECTED_ACTION, "no"),
    enumeration("enable-module-command", I, PROTECTED_ACTION, "no"),
    enumeration("cluster-preferred-endpoint-type", 0, ENDPOINT_TYPE, "ip"),
    enumeration("propagation-error-behavior", 0, PROPAGATION_ERROR, "ignore"),
    special("shutdown-on-sigint", None, MULTI_ARG, Kind::Flags(SHUTDOWN_FLAGS), "default"),
    special("shutdown-on-sigterm", None, MULTI_ARG, Kind::Flags(SHUTDOWN_FLAGS), "default"),
    // Signed integers.
    int("databases", None, I | IMPL, (1, INT_MAX), "16"),
    int("port", None, IMPL, (0, 65535), "6379"),
    int("io-threads", None, I, (1, 128), "1"),
    int("auto-aof-rewrite-percentage", None, 0, (0, INT_MAX), "100"),
    int("cluster-replica-validity-factor", Some("cluster-slave-validity-factor"), 0, (0, INT_MAX), "10"),
    int("list-max-listpack-size", Some("list-max-ziplist-size"), IMPL, (INT_MIN, INT_MAX), "-2"),
    int("tcp-keepalive", None, IMPL, (0, INT_MAX), "300"),
    int("cluster-migration-barrier", None, 0, (0, INT_MAX), "1"),
    int("active-defrag-cycle-min", None, 0, (1, 99), "1"),
    int("active-defrag-cycle-max", None, 0, (1, 99), "25"),
    int("active-defrag-threshold-lower", None, 0, (0, 1000), "10"),
    int("active-defrag-threshold-upper", None, 0, (0, 1000), "100"),
    int("lfu-log-factor", None, IMPL, (0, INT_MAX), "10"),
    int("lfu-decay-time", None, IMPL, (0, INT_MAX), "1"),
    int("replica-priority", Some("slave-priority"), 0, (0, INT_MAX), "100"),
    int("repl-diskless-sync-delay", None, 0, (0, INT_MAX), "5"),
    int("maxmemory-samples", None, IMPL, (1, INT_MAX), "5"),
    int("maxmemory-eviction-tenacity", None, IMPL, (0, 100), "10"),
    int("timeout", None, IMPL, (0, INT_MAX), "0"),
    int("replica-announce-port", Some("slave-announce-port"), 0, (0, 65535), "0"),
    int("tcp-backlog", None, I | IMPL, (0, INT_MAX), "511"),
    int("cluster-port", None, I, (0, 65535), "0"),
    int("cluster-announce-bus-port", None, 0, (0, 65535), "0"),
    int("cluster-announce-port", None, 0, (0, 65535), "0"),
    int("cluster-announce-tls-port", None, 0, (0, 65535), "0"),
    int("repl-timeout", None, 0, (1, INT_MAX), "60"),
    int("repl-ping-replica-period", Some("repl-ping-slave-period"), 0, (1, INT_MAX), "10"),
    int("list-compress-depth", None, 0, (0, INT_MAX), "0"),
    int("rdb-key-save-delay", None, HIDDEN, (INT_MIN, INT_MAX), "0"),
    int("key-load-delay", None, HIDDEN | IMPL, (INT_MIN, INT_MAX), "0"),
    int("active-expire-effort", None, 0, (1, 10), "1"),
    int("hz", None, IMPL, (0, INT_MAX), "10"),
    int("min-replicas-to-write", Some("min-slaves-to-write"), 0, (0, INT_MAX), "0"),
    int("min-replicas-max-lag", Some("min-slaves-max-lag"), 0, (0, INT_MAX), "10"),
    int("watchdog-period", None, HIDDEN, (0, INT_MAX), "0"),
    int("shutdown-timeout", None, 0, (0, INT_MAX), "10"),
    int("repl-diskless-sync-max-replicas", None, 0, (0, INT_MAX), "0"),
    // Unsigned integers.
    uint("maxclients", None, IMPL, (1, UINT_MAX), "10000"),
    numeric("unixsocketperm", None, I | IMPL, (0, 0o777), true, NumFmt::Octal, "0"),
    uint("socket-mark-id", None, I, (0, UINT_MAX), "0"),
    // Longs (compared as signed by Redis).
    int("active-defrag-max-scan-fields", None, 0, (1, LONG_MAX), "1000"),
    int("slowlog-max-len", None, IMPL, (0, LONG_MAX), "128"),
    int("acllog-max-len", None, IMPL, (0, LONG_MAX), "128"),
    int("busy-reply-threshold", Some("lua-time-limit"), IMPL, (0, LONG_MAX), "5000"),
    int("cluster-node-timeout", None, 0, (0, LONG_MAX), "15000"),
    int("slowlog-log-slower-than", None, IMPL, (-1, LONG_MAX), "10000"),
    int("latency-monitor-threshold", None, IMPL, (0, LONG_MAX), "0"),
    mem("proto-max-bulk-len", None, IMPL, (1024 * 1024, LONG_MAX), false, "536870912"),
    int("stream-node-max-entries", None, IMPL, (0, LONG_MAX), "100"),
    mem("repl-backlog-size", None, 0, (1, LONG_MAX), false, "1048576"),
    // Unsigned long longs and size_t.
    mem("maxmemory", None, IMPL, (0, ULLONG_MAX), true, "0"),
    mem("cluster-link-sendbuf-limit", None, 0, (0, ULLONG_MAX), true, "0"),
    uint("hash-max-listpack-entries", Some("hash-max-ziplist-entries"), IMPL, (0, LONG_MAX), "512"),
    uint("set-max-intset-entries", None, IMPL, (0, LONG_MAX), "512"),
    uint("zset-max-listpack-entries", Some("zset-max-ziplist-entries"), IMPL, (0, LONG_MAX), "128"),
    mem("active-defrag-ignore-bytes", None, 0, (1, LONG_MAX), true, "104857600"),
    mem("hash-max-listpack-value", Some("hash-max-ziplist-value"), IMPL, (0, LONG_MAX), true, "64"),
    mem("stream-node-max-bytes", None, IMPL, (0, LONG_MAX), true, "4096"),
    mem("zset-max-listpack-value", Some("zset-max-ziplist-value"), IMPL, (0, LONG_MAX), true, "64"),
    mem("hll-sparse-max-bytes", None, IMPL, (0, LONG_MAX), true, "3000"),
    uint("tracking-table-max-keys", None, IMPL, (0, LONG_MAX), "1000000"),
    mem("client-query-buffer-limit", None, IMPL, (1024 * 1024, LONG_MAX), true, "1073741824"),
    numeric("maxmemory-clients", None, IMPL, (-100, LONG_MAX), false, NumFmt::MemoryPercent, "0"),
    // time_t and off_t.
    int("repl-backlog-ttl", None, 0, (0, LONG_MAX), "3600"),
    mem("auto-aof-rewrite-min-size", None, 0, (0, LONG_MAX), false, "67108864"),
    int("loading-process-events-interval-bytes", None, HIDDEN, (1024, INT_MAX), "2097152"),
    // TLS (Debian's 7.0.15 is built with it, so they all exist).
    int("tls-port", None, 0, (0, 65535), "0"),
    int("tls-session-cache-size", None, 0, (0, INT_MAX), "20480"),
    int("tls-session-cache-timeout", None, 0, (0, INT_MAX), "300"),
    boolean("tls-cluster", None, 0, "no"),
    boolean("tls-replication", None, 0, "no"),
    enumeration("tls-auth-clients", 0, TLS_AUTH_CLIENTS, "yes"),
    boolean("tls-prefer-server-ciphers", None, 0, "no"),
    boolean("tls-session-caching", None, 0, "yes"),
    string("tls-cert-file", None, 0, NULL, StrCheck::None, ""),
    string("tls-key-file", None, 0, NULL, StrCheck::None, ""),
    string("tls-key-file-pass", None, 0, NULL, StrCheck::None, ""),
    string("tls-client-cert-file", None, 0, NULL, StrCheck::None, ""),
    string("tls-client-key-file", None, 0, NULL, StrCheck::None, ""),
    string("tls-client-key-file-pass", None, 0, NULL, StrCheck::None, ""),
    string("tls-dh-params-file", None, 0, NULL, StrCheck::None, ""),
    string("tls-ca-cert-file", None, 0, NULL, StrCheck::None, ""),
    string("tls-ca-cert-dir", None, 0, NULL, StrCheck::None, ""),
    string("tls-protocols", None, 0, NULL, StrCheck::None, ""),
    string("tls-ciphers", None, 0, NULL, StrCheck::None, ""),
    string("tls-ciphersuites", None, 0, NULL, StrCheck::None, ""),
    // Special.
    special("dir", None, PROTECTED | IMPL, Kind::Dir, "."),
    special("save", None, MULTI_ARG | IMPL, Kind::Save, "3600 1 300 100 60 10000"),
    special("client-output-buffer-limit", None, MULTI_ARG | IMPL, Kind::ClientOutputBufferLimit,
            "normal 0 0 0 slave 268435456 67108864 60 pubsub 33554432 8388608 60"),
    special("oom-score-adj-values", None, MULTI_ARG, Kind::OomScoreAdjValues, "0 200 800"),
    special("notify-keyspace-events", None, IMPL, Kind::NotifyKeyspaceEvents, ""),
    // shardis listens on loopback only unless told otherwise (Redis: "* -::*").
    special("bind", None, MULTI_ARG | IMPL, Kind::Bind, "127.0.0.1"),
    special("replicaof", Some("slaveof"), I | MULTI_ARG, Kind::ReplicaOf, ""),
    special("latency-tracking-info-percentiles", None, MULTI_ARG, Kind::LatencyPercentiles, "50 99 99.9"),
    // shardis's own: shard threads, 0 meaning one per CPU of the affinity mask.
    uint("shards", None, I | IMPL, (0, 4096), "0"),
];

/// Finds a directive by name or alias, ignoring ASCII case. Returns its index in
/// [`DIRECTIVES`] and whether the alias was used.
pub fn lookup(name: &[u8]) -> Option<(usize, bool)> {
    DIRECTIVES.iter().enumerate().find_map(|(i, spec)| {
        if spec.name.as_bytes().eq_ignore_ascii_case(name) {
            Some((i, false))
        } else if spec.alias.is_some_and(|a| a.as_bytes().eq_ignore_ascii_case(name)) {
            Some((i, true))
        } else {
            None
        }
    })
}

/// Index of a directive known to exist, by its primary name.
pub fn index_of(name: &str) -> usize {
    DIRECTIVES.iter().position(|s| s.name == name).unwrap_or_else(|| panic!("no directive {name}"))
}

/// Directives Redis accepts only in files (not through CONFIG SET/GET); shardis accepts them
/// with a warning. `(name, min args, max args)` after the directive name.
pub const FILE_ONLY: &[(&str, usize, usize)] =
    &[("include", 1, 1), ("rename-command", 2, 2), ("user", 1, usize::MAX), ("loadmodule", 1, usize::MAX)];

/// Directives Redis 7.0 still accepts in files and ignores.
pub const DEPRECATED: &[&str] = &["list-max-ziplist-entries", "list-max-ziplist-value", "lua-replicate-commands"];
