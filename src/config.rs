//! Typed, validated configuration for `shardis-server`, read the way Redis 7.0 reads it.
//!
//! # Sources
//!
//! `shardis-server [/path/to/redis.conf] [-] [--directive value [value ...]] ...`
//!
//! - The first argument, unless it starts with `-`, is a configuration file in redis.conf syntax.
//! - `-` as the first or last argument reads more configuration from standard input.
//! - Every `--name` starts a directive whose values are the arguments up to the next `--x`
//!   (`--save 900 1 --port 7000`, `--save ""`, a bare `--save` meaning `--save ""`). As in Redis,
//!   the arguments become lines appended after the file (and stdin), so they override it.
//!
//! File syntax is Redis's: one directive per line, `#` comments, arguments split like
//! `sdssplitargs` (double quotes with `\n`, `\xHH`... escapes, single quotes), names in any case,
//! later lines overriding earlier ones except `save`, whose lines add up (`save ""` clears), and
//! `bind`, which takes several addresses on one line. `include /path` (relative to the current
//! directory, wildcards allowed) reads another file in place.
//!
//! Every directive Redis 7.0.15 knows is accepted. The ones shardis acts upon live in typed
//! fields of [`Config`]; the others are kept as text (so CONFIG GET and CONFIG REWRITE show
//! them as Redis would) and draw one warning each at start-up. File-only directives
//! (`rename-command`, `user`, `loadmodule`, module configs, a bare `sentinel`) are accepted with
//! a warning too. An unknown directive or a bad value stops start-up with Redis's error text and
//! the line it is on.
//!
//! # How main.rs uses this module
//!
//! ```no_run
//! use clap::Parser;
//! use shardis::config::{Cli, Config};
//!
//! // clap handles --help/-h and --version/-v; everything else arrives raw in `cli.args`.
//! let cli = Cli::parse();
//! let (mut config, warnings) = Config::from_args(&cli.args).unwrap_or_else(|e| {
//!     eprintln!("{e}");
//!     std::process::exit(1);
//! });
//! for warning in &warnings {
//!     eprintln!("# {warning}"); // or the log module, once logging is set up
//! }
//! // Checks `dir` (and makes it absolute) and that `logfile` can be opened.
//! config.validate_paths().unwrap_or_else(|e| {
//!     eprintln!("{e}");
//!     std::process::exit(1);
//! });
//! std::env::set_current_dir(&config.dir).expect("dir was just validated");
//! ```
//!
//! CONFIG GET, SET and REWRITE map to [`Config::get`], [`Config::set`] (or
//! [`Config::set_with`], which also handles `enable-protected-configs local` and says which
//! directives changed so the server can act on them) and [`Config::rewrite`].

mod glob;
mod rewrite;
mod syntax;
mod table;
#[cfg(test)]
mod tests;

use std::collections::HashSet;
use std::ffi::OsStr;
use std::io::Read;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

/// Redis's glob matcher (`stringmatchlen`), also for KEYS, SCAN MATCH and PSUBSCRIBE.
pub use glob::string_match;
/// Same as [`string_match`].
pub use glob::string_match as glob_match;
use syntax::{memtoull, split_spaces, string2d, string2ll, strtoll_whole, trim};
pub use syntax::{repr, split_args};
use table::{index_of, lookup, Kind, NumFmt, Spec, StrCheck, DEPRECATED, DIRECTIVES, FILE_ONLY};
use table::{HIDDEN, IMMUTABLE, IMPLEMENTED, MULTI_ARG, PROTECTED, SENSITIVE};

/// `maxmemory-policy`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MaxmemoryPolicy {
    VolatileLru,
    VolatileLfu,
    VolatileRandom,
    VolatileTtl,
    AllkeysLru,
    AllkeysLfu,
    AllkeysRandom,
    NoEviction,
}

impl MaxmemoryPolicy {
    const ALL: [MaxmemoryPolicy; 8] = [
        Self::VolatileLru,
        Self::VolatileLfu,
        Self::VolatileRandom,
        Self::VolatileTtl,
        Self::AllkeysLru,
        Self::AllkeysLfu,
        Self::AllkeysRandom,
        Self::NoEviction,
    ];

    /// The name Redis uses (`allkeys-lru`).
    pub fn name(self) -> &'static str {
        table::MAXMEMORY_POLICIES[self as usize].0
    }

    /// Values carry an LFU counter instead of an access time (Redis's MAXMEMORY_FLAG_LFU).
    pub fn is_lfu(self) -> bool {
        matches!(self, Self::VolatileLfu | Self::AllkeysLfu)
    }

    /// Only keys with a deadline may go.
    pub fn is_volatile(self) -> bool {
        matches!(self, Self::VolatileLru | Self::VolatileLfu | Self::VolatileRandom | Self::VolatileTtl)
    }
}

impl std::fmt::Display for MaxmemoryPolicy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// `enable-debug-command` and its siblings: who may use a dangerous feature.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Protection {
    No,
    Yes,
    /// Only clients on loopback or the Unix socket.
    Local,
}

impl Protection {
    /// In the order of [`table::PROTECTED_ACTION`].
    const ALL: [Protection; 3] = [Self::No, Self::Yes, Self::Local];

    /// Whether a client (`local`: on loopback or the Unix socket) may go ahead.
    pub fn allows(self, local: bool) -> bool {
        match self {
            Protection::No => false,
            Protection::Yes => true,
            Protection::Local => local,
        }
    }

    pub fn name(self) -> &'static str {
        table::PROTECTED_ACTION[self as usize].0
    }
}

/// `loglevel`. Ordered from the most verbose.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum LogLevel {
    Debug,
    Verbose,
    Notice,
    Warning,
}

impl LogLevel {
    const ALL: [LogLevel; 4] = [Self::Debug, Self::Verbose, Self::Notice, Self::Warning];

    /// The name Redis uses (`notice`).
    pub fn name(self) -> &'static str {
        table::LOGLEVELS[self as usize].0
    }
}

impl std::fmt::Display for LogLevel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// Why the configuration could not be loaded. `Display` gives the text to print before exiting
/// with status 1, in Redis's words.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// A directive was rejected: Redis's `loadServerConfigFromString` report, naming where the
    /// line came from (a file's path, "standard input" or "the command line"; lines are counted
    /// from 1 in each).
    #[error(
        "*** FATAL CONFIG FILE ERROR (Redis {version}) ***\nReading the configuration file, at line {line} of {origin}\n>>> '{text}'\n{message}",
        version = crate::REDIS_VERSION
    )]
    Line { origin: String, line: usize, text: String, message: String },
    /// A configuration file (or an included one) could not be read.
    #[error("Fatal error, can't open config file '{path}': {reason}")]
    Open { path: String, reason: String },
    /// Standard input could not be read.
    #[error("Fatal error, can't read config from standard input: {reason}")]
    Stdin { reason: String },
    /// A check on the configuration as a whole failed.
    #[error("*** FATAL CONFIG FILE ERROR (Redis {version}) ***\n{message}", version = crate::REDIS_VERSION)]
    Fatal { message: String },
}

/// The command line of `shardis-server`, for clap: `--help`/`-h` and `--version`/`-v` are
/// clap's; every other argument lands in `args`, to be given to [`Config::from_args`].
#[derive(Debug, clap::Parser)]
#[command(
    name = "shardis-server",
    version,
    about = "A Redis-compatible cache server, thread-per-core",
    disable_version_flag = true,
    after_help = "Examples:\n  shardis-server (run the server with default conf)\n  shardis-server /etc/redis/6379.conf\n  shardis-server --port 7777\n  shardis-server /etc/myredis.conf --loglevel verbose -\n  shardis-server --save 60 1000 --shards 4\n  echo 'maxmemory 128mb' | shardis-server -"
)]
pub struct Cli {
    /// Print version
    #[arg(short = 'v', long = "version", action = clap::ArgAction::Version)]
    version: Option<bool>,
    /// [/path/to/redis.conf] [-] [--directive value [value ...]] ...
    #[arg(trailing_var_arg = true, allow_hyphen_values = true, value_name = "ARGS")]
    pub args: Vec<String>,
}

/// Where a directive was set, for errors found after loading.
#[derive(Debug, Clone, PartialEq, Eq)]
struct LineRef {
    origin: String,
    line: usize,
    text: String,
}

/// Bookkeeping that is not part of the configuration's value: always equal.
#[derive(Debug, Clone, Default)]
struct Origin(Option<LineRef>);

impl PartialEq for Origin {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}

/// The server's configuration. Build it with [`Config::from_args`] (or [`Config::default`]),
/// then call [`Config::validate_paths`].
///
/// Typed fields hold the directives shardis implements; every other Redis directive is kept,
/// already validated, as the text CONFIG GET shows (see [`Config::value_of`]).
#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    /// `port`: TCP port; 0 disables TCP.
    pub port: u16,
    /// `bind`: addresses to listen on; a leading `-` makes an address optional, `*` and `::*`
    /// are the IPv4 and IPv6 wildcards. shardis's default is loopback only.
    pub bind: Vec<String>,
    /// `unixsocket`: path of a Unix socket to listen on.
    pub unixsocket: Option<PathBuf>,
    /// `unixsocketperm`: permission bits of the Unix socket (0: leave to the umask).
    pub unixsocketperm: u32,
    /// `requirepass`: password of the default user.
    pub requirepass: Option<Vec<u8>>,
    /// `maxmemory`: in bytes, 0 for no limit.
    pub maxmemory: u64,
    /// `maxmemory-policy`.
    pub maxmemory_policy: MaxmemoryPolicy,
    /// `maxmemory-clients`: bytes all clients may use together before the biggest are closed;
    /// negative: that percentage of `maxmemory` (as Redis keeps it); 0: no limit.
    pub maxmemory_clients: i64,
    /// `maxmemory-samples`: keys eviction looks at per pick.
    pub maxmemory_samples: u32,
    /// `maxmemory-eviction-tenacity`: how long one eviction pass may run (0-100).
    pub maxmemory_eviction_tenacity: u32,
    /// `lfu-log-factor` and `lfu-decay-time` (minutes).
    pub lfu_log_factor: u32,
    pub lfu_decay_time: u32,
    /// `save`: snapshot after `.0` seconds if at least `.1` keys changed; empty: never.
    pub save: Vec<(u64, u64)>,
    /// `dir`: working directory. Absolute after [`Config::validate_paths`]; main changes into it.
    pub dir: PathBuf,
    /// `dbfilename`: snapshot file name inside `dir`.
    pub dbfilename: PathBuf,
    /// `databases`: number of logical databases (at least 1).
    pub databases: usize,
    /// `timeout`: seconds before an idle client is closed; 0 for never.
    pub timeout: u64,
    /// `maxclients`.
    pub maxclients: u32,
    /// `daemonize`.
    pub daemonize: bool,
    /// `pidfile`.
    pub pidfile: Option<PathBuf>,
    /// `loglevel`.
    pub loglevel: LogLevel,
    /// `logfile`: `None` logs to standard output.
    pub logfile: Option<PathBuf>,
    /// `aclfile`: where ACL LOAD and ACL SAVE read and write users.
    pub aclfile: Option<PathBuf>,
    /// `user` lines: each a user name and its rules (selectors already joined), in file order.
    pub users: Vec<Vec<Vec<u8>>>,
    /// `rename-command` lines (old name, new name; empty: removed), in file order.
    pub renames: Vec<(Vec<u8>, Vec<u8>)>,
    /// `proto-max-bulk-len`: largest bulk string a client may send, in bytes.
    pub proto_max_bulk_len: u64,
    /// `client-query-buffer-limit`: largest query buffer of one client, in bytes.
    pub client_query_buffer_limit: u64,
    /// `client-output-buffer-limit`: (hard bytes, soft bytes, soft seconds) for the normal,
    /// replica and pubsub classes, 0 meaning no limit.
    pub client_output_buffer_limit: [(u64, u64, i64); 3],
    /// `notify-keyspace-events`, as class bits (see `pubsub::notify::class`).
    pub notify_keyspace_events: u32,
    /// `tracking-table-max-keys`: keys remembered for CLIENT TRACKING (0: no limit).
    pub tracking_table_max_keys: u64,
    /// `slowlog-log-slower-than`: microseconds; negative disables the slow log, 0 logs all.
    pub slowlog_log_slower_than: i64,
    /// `busy-reply-threshold` (`lua-time-limit`): milliseconds a script runs before commands
    /// that need its shard are refused with -BUSY.
    pub busy_reply_threshold: i64,
    /// `slowlog-max-len`.
    pub slowlog_max_len: u64,
    /// `acllog-max-len`: entries the ACL LOG keeps.
    pub acllog_max_len: u64,
    /// `latency-monitor-threshold`: milliseconds, 0 disables.
    pub latency_monitor_threshold: u64,
    /// `hz`: background task frequency, already clamped to 1..=500 as Redis does.
    pub hz: u32,
    /// `tcp-backlog`.
    pub tcp_backlog: u32,
    /// `tcp-keepalive`: seconds, 0 disables.
    pub tcp_keepalive: u32,
    /// `protected-mode`.
    pub protected_mode: bool,
    /// `enable-debug-command`: who may run DEBUG (immutable, like Redis).
    pub enable_debug_command: Protection,
    /// `acl-pubsub-default`: new users and selectors may use every channel (`allchannels`).
    pub acl_pubsub_default_all: bool,
    /// `shards` (shardis's own): shard threads, 0 for one per CPU of the affinity mask.
    pub shards: usize,
    /// `appendonly`.
    pub appendonly: bool,
    /// `rdbcompression`: LZF-compress long strings in DUMP payloads (and snapshots).
    pub rdbcompression: bool,
    /// `rdbchecksum`: end RDB files with their CRC-64 (0 when off).
    pub rdbchecksum: bool,
    /// `stop-writes-on-bgsave-error`: refuse writes (-MISCONF) while the last background save
    /// failed and save points are set.
    /// `jemalloc-bg-thread`: jemalloc's background threads give freed pages back to the
    /// system while the server idles.
    pub jemalloc_bg_thread: bool,
    pub stop_writes_on_bgsave_error: bool,
    /// `key-load-delay` (tests): microseconds of pause per key loaded at start (negative: a
    /// pause of one microsecond every that many keys), as Redis's debug directive.
    pub key_load_delay: i64,
    /// `list-max-listpack-size` (alias `list-max-ziplist-size`).
    pub list_max_listpack_size: i32,
    /// `hash-max-listpack-entries` (alias `hash-max-ziplist-entries`).
    pub hash_max_listpack_entries: usize,
    /// `hash-max-listpack-value` (alias `hash-max-ziplist-value`).
    pub hash_max_listpack_value: usize,
    /// `set-max-intset-entries`.
    pub set_max_intset_entries: usize,
    /// `zset-max-listpack-entries` (alias `zset-max-ziplist-entries`).
    pub zset_max_listpack_entries: usize,
    /// `zset-max-listpack-value` (alias `zset-max-ziplist-value`).
    pub zset_max_listpack_value: usize,
    /// `stream-node-max-entries`: entries (live and deleted) in one stream node, 0 for no limit.
    pub stream_node_max_entries: u64,
    /// `stream-node-max-bytes`: bytes of one stream node, 0 for no limit.
    pub stream_node_max_bytes: u64,
    /// `hll-sparse-max-bytes`: a sparse HyperLogLog longer than this turns dense.
    pub hll_sparse_max_bytes: u64,
    /// Absolute path of the configuration file given on the command line, which CONFIG REWRITE
    /// rewrites.
    pub config_file: Option<PathBuf>,
    /// Rendered values of the directives without a typed field, by index in the table.
    extra: Vec<Vec<u8>>,
    /// Where `dir` was last set, for the error of [`Config::validate_paths`].
    dir_origin: Origin,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            port: 6379,
            bind: vec!["127.0.0.1".to_string()],
            unixsocket: None,
            unixsocketperm: 0,
            requirepass: None,
            maxmemory: 0,
            maxmemory_policy: MaxmemoryPolicy::NoEviction,
            maxmemory_clients: 0,
            maxmemory_samples: 5,
            maxmemory_eviction_tenacity: 10,
            lfu_log_factor: 10,
            lfu_decay_time: 1,
            save: vec![(3600, 1), (300, 100), (60, 10000)],
            dir: PathBuf::from("."),
            dbfilename: PathBuf::from("dump.rdb"),
            databases: 16,
            timeout: 0,
            maxclients: 10000,
            daemonize: false,
            pidfile: None,
            loglevel: LogLevel::Notice,
            logfile: None,
            aclfile: None,
            users: Vec::new(),
            renames: Vec::new(),
            proto_max_bulk_len: 512 * 1024 * 1024,
            client_query_buffer_limit: 1024 * 1024 * 1024,
            client_output_buffer_limit: [(0, 0, 0), (256 << 20, 64 << 20, 60), (32 << 20, 8 << 20, 60)],
            notify_keyspace_events: 0,
            tracking_table_max_keys: 1_000_000,
            slowlog_log_slower_than: 10000,
            busy_reply_threshold: 5000,
            slowlog_max_len: 128,
            acllog_max_len: 128,
            latency_monitor_threshold: 0,
            hz: 10,
            tcp_backlog: 511,
            tcp_keepalive: 300,
            protected_mode: true,
            enable_debug_command: Protection::No,
            acl_pubsub_default_all: false,
            shards: 0,
            appendonly: false,
            rdbcompression: true,
            rdbchecksum: true,
            stop_writes_on_bgsave_error: true,
            jemalloc_bg_thread: true,
            key_load_delay: 0,
            list_max_listpack_size: -2,
            hash_max_listpack_entries: 512,
            hash_max_listpack_value: 64,
            set_max_intset_entries: 512,
            zset_max_listpack_entries: 128,
            zset_max_listpack_value: 64,
            stream_node_max_entries: 100,
            stream_node_max_bytes: 4096,
            hll_sparse_max_bytes: 3000,
            config_file: None,
            extra: DIRECTIVES.iter().map(|s| s.default.as_bytes().to_vec()).collect(),
            dir_origin: Origin(None),
        }
    }
}

/// A value parsed and validated for one directive, before it is stored.
enum Val {
    Bool(bool),
    Num(i128),
    Enum(u32),
    Bytes(Vec<u8>),
}

/// Why a CONFIG SET or a configuration line is refused: Redis's text.
type Reason = String;

/// How `save` treats its arguments: while loading, the first `save` line replaces the
/// defaults and later ones add to it; CONFIG SET replaces.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
    Load,
    Set,
}

fn bytes_to_path(bytes: &[u8]) -> PathBuf {
    PathBuf::from(OsStr::from_bytes(bytes))
}

fn optional_path(bytes: Vec<u8>) -> Option<PathBuf> {
    (!bytes.is_empty()).then(|| bytes_to_path(&bytes))
}

fn path_bytes(path: &Path) -> Vec<u8> {
    path.as_os_str().as_bytes().to_vec()
}

fn lossy(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// `strerror` text of an I/O error ("No such file or directory"), without Rust's
/// " (os error N)".
pub(crate) fn os_reason(err: &std::io::Error) -> String {
    let text = err.to_string();
    match text.find(" (os error ") {
        Some(cut) => text[..cut].to_string(),
        None => text,
    }
}

fn yes_no(b: bool) -> Vec<u8> {
    (if b { "yes" } else { "no" }).as_bytes().to_vec()
}

fn parse_bool(arg: &[u8]) -> Result<bool, Reason> {
    if arg.eq_ignore_ascii_case(b"yes") {
        Ok(true)
    } else if arg.eq_ignore_ascii_case(b"no") {
        Ok(false)
    } else {
        Err("argument must be 'yes' or 'no'".into())
    }
}

fn parse_num(num: &table::Num, arg: &[u8]) -> Result<i128, Reason> {
    let parsed = match num.fmt {
        NumFmt::Int => string2ll(arg),
        NumFmt::Octal => strtoll_whole(arg, 8).filter(|&(_, overflow)| !overflow).map(|(v, _)| v),
        NumFmt::Memory => memtoull(arg).map(|v| v as i64),
        NumFmt::MemoryPercent => memtoull(arg).map(|v| v as i64).or_else(|| {
            let digits = arg.strip_suffix(b"%").filter(|d| !d.is_empty())?;
            string2ll(digits).filter(|&v| v >= 0).map(|v| -v)
        }),
    };
    let value = parsed.ok_or_else(|| {
        match num.fmt {
            NumFmt::Int => "argument couldn't be parsed into an integer",
            NumFmt::Octal => "argument couldn't be parsed as an octal number",
            NumFmt::Memory => "argument must be a memory value",
            NumFmt::MemoryPercent => "argument must be a memory or percent value",
        }
        .to_string()
    })?;
    if num.unsigned {
        let value = i128::from(value as u64);
        if value < num.lo || value > num.hi {
            return Err(if num.fmt == NumFmt::Octal {
                format!("argument must be between {:o} and {:o} inclusive", num.lo, num.hi)
            } else {
                format!("argument must be between {} and {} inclusive", num.lo, num.hi)
            });
        }
        return Ok(value);
    }
    let value = i128::from(value);
    if num.fmt == NumFmt::MemoryPercent && value < 0 {
        if value < num.lo {
            return Err(format!("percentage argument must be less or equal to {}", -num.lo));
        }
    } else if value < num.lo || value > num.hi {
        return Err(format!("argument must be between {} and {} inclusive", num.lo, num.hi));
    }
    Ok(value)
}

fn render_num(fmt: NumFmt, value: i128) -> Vec<u8> {
    match fmt {
        NumFmt::Octal => format!("{value:o}"),
        NumFmt::MemoryPercent if value < 0 => format!("{}%", -value),
        _ => value.to_string(),
    }
    .into_bytes()
}

fn enum_error(values: &[(&str, u32)]) -> Reason {
    let names: Vec<&str> = values.iter().map(|v| v.0).collect();
    format!("argument(s) must be one of the following: {}", names.join(", "))
}

fn parse_enum(values: &[(&str, u32)], arg: &[u8]) -> Result<u32, Reason> {
    values
        .iter()
        .find(|(name, _)| name.as_bytes().eq_ignore_ascii_case(arg))
        .map(|&(_, id)| id)
        .ok_or_else(|| enum_error(values))
}

fn render_enum(values: &[(&str, u32)], id: u32) -> Vec<u8> {
    values.iter().find(|v| v.1 == id).map_or("unknown", |v| v.0).as_bytes().to_vec()
}

fn render_flags(values: &[(&str, u32)], bits: u32) -> Vec<u8> {
    if bits == 0 {
        return render_enum(values, 0);
    }
    let names: Vec<&str> = values.iter().filter(|v| v.1 != 0 && bits & v.1 == v.1).map(|v| v.0).collect();
    names.join(" ").into_bytes()
}

/// `sdstemplate` + `validateProcTitleTemplate`: `{{` is a literal `{`, `{name}` one of the known
/// variables, and the expansion (title and server mode empty) must not be blank.
fn valid_proc_title(template: &[u8], config: &Config) -> bool {
    let mut out: Vec<u8> = Vec::new();
    let mut i = 0;
    while i < template.len() {
        if template[i] != b'{' {
            out.push(template[i]);
            i += 1;
            continue;
        }
        match template.get(i + 1) {
            None => return false,
            Some(b'{') => {
                out.push(b'{');
                i += 2;
                continue;
            }
            Some(_) => {}
        }
        let Some(len) = template[i + 1..].iter().position(|&b| b == b'}') else {
            return false;
        };
        let value: Vec<u8> = match &template[i + 1..i + 1 + len] {
            b"title" | b"server-mode" => Vec::new(),
            b"listen-addr" => b"*:0".to_vec(),
            b"port" | b"tls-port" => b"0".to_vec(),
            b"unixsocket" => config.unixsocket.as_deref().map(path_bytes).unwrap_or_default(),
            b"config-file" => config.config_file.as_deref().map(path_bytes).unwrap_or_default(),
            _ => return false,
        };
        out.extend(value);
        i += len + 2;
    }
    !trim(&out, b" ").is_empty()
}

fn check_string(check: StrCheck, value: &[u8], config: &Config) -> Result<(), Reason> {
    let is_path = value.contains(&b'/') || value.contains(&b'\\');
    let fail = |text: &str| Err(text.to_string());
    match check {
        StrCheck::None => Ok(()),
        StrCheck::DbFilename if is_path => fail("dbfilename can't be a path, just a filename"),
        StrCheck::AofFilename if value.is_empty() => fail("appendfilename can't be empty"),
        StrCheck::AofFilename if is_path => fail("appendfilename can't be a path, just a filename"),
        StrCheck::AofDirname if value.is_empty() => fail("appenddirname can't be empty"),
        StrCheck::AofDirname if is_path => fail("appenddirname can't be a path, just a dirname"),
        StrCheck::Hostname if value.len() >= 256 => fail("Hostnames must be less than 256 characters"),
        StrCheck::Hostname if !value.iter().all(|b| b.is_ascii_alphanumeric() || *b == b'-' || *b == b'.') => {
            fail("Hostnames may only contain alphanumeric characters, hyphens or dots")
        }
        StrCheck::ProcTitle if !valid_proc_title(value, config) => {
            fail("template format is invalid or contains unknown variables")
        }
        _ => Ok(()),
    }
}

/// Client classes of `client-output-buffer-limit`, in Redis's order and spelling.
const OBUF_CLASSES: [&str; 3] = ["normal", "slave", "pubsub"];

/// `(hard, soft, soft seconds)` of each client class, read back from the rendered value.
fn parse_obuf_limits(rendered: &[u8]) -> [(u64, u64, i64); 3] {
    let mut limits = [(0, 0, 0); 3];
    let words: Vec<&[u8]> = rendered.split(|&b| b == b' ').collect();
    for chunk in words.chunks(4) {
        if let [class, hard, soft, secs] = chunk {
            if let Some(j) = OBUF_CLASSES.iter().position(|c| c.as_bytes() == *class) {
                let num = |w: &[u8]| std::str::from_utf8(w).ok().and_then(|t| t.parse::<i128>().ok()).unwrap_or(0);
                limits[j] = (num(hard) as u64, num(soft) as u64, num(secs) as i64);
            }
        }
    }
    limits
}

fn render_obuf_limits(limits: &[(u64, u64, i64); 3]) -> Vec<u8> {
    let parts: Vec<String> = OBUF_CLASSES
        .iter()
        .zip(limits)
        .map(|(class, (hard, soft, secs))| format!("{class} {hard} {soft} {secs}"))
        .collect();
    parts.join(" ").into_bytes()
}

/// Keyspace notification classes, as `keyspaceEventsStringToFlags` reads them.
const NOTIFY_CLASSES: &[(u8, u32)] = &[
    (b'g', 1 << 2),
    (b'$', 1 << 3),
    (b'l', 1 << 4),
    (b's', 1 << 5),
    (b'h', 1 << 6),
    (b'z', 1 << 7),
    (b'x', 1 << 8),
    (b'e', 1 << 9),
    (b't', 1 << 10),
    (b'm', 1 << 12),
    (b'd', 1 << 13),
    (b'n', 1 << 14),
    (b'K', 1 << 0),
    (b'E', 1 << 1),
];
/// `A`: every class but key-miss (`m`) and new-key (`n`).
const NOTIFY_ALL: u32 =
    (1 << 2) | (1 << 3) | (1 << 4) | (1 << 5) | (1 << 6) | (1 << 7) | (1 << 8) | (1 << 9) | (1 << 10) | (1 << 13);

fn parse_notify_flags(value: &[u8]) -> Option<u32> {
    value.iter().try_fold(0u32, |flags, &c| {
        if c == b'A' {
            return Some(flags | NOTIFY_ALL);
        }
        NOTIFY_CLASSES.iter().find(|(ch, _)| *ch == c).map(|(_, bit)| flags | bit)
    })
}

/// `keyspaceEventsFlagsToString`.
fn render_notify_flags(flags: u32) -> Vec<u8> {
    let mut out = Vec::new();
    if flags & NOTIFY_ALL == NOTIFY_ALL {
        out.push(b'A');
    } else {
        for &(c, bit) in NOTIFY_CLASSES {
            if !matches!(c, b'm' | b'K' | b'E') && flags & bit != 0 {
                out.push(c);
            }
        }
    }
    for (c, bit) in [(b'K', 1 << 0), (b'E', 1 << 1), (b'm', 1 << 12)] {
        if flags & bit != 0 {
            out.push(c);
        }
    }
    out
}

impl Config {
    /// `maxmemory-clients` in bytes (0: no limit; a percentage of an unlimited `maxmemory`
    /// is no limit either).
    pub fn clients_memory_limit(&self) -> u64 {
        match self.maxmemory_clients {
            n if n >= 0 => n as u64,
            percent => self.maxmemory / 100 * percent.unsigned_abs(),
        }
    }

    /// Loads the configuration from the server's arguments (without the program name): an
    /// optional configuration file, `-` for standard input, then `--name value...` groups.
    /// Returns the configuration and the warnings to log (unimplemented directives and the like).
    pub fn from_args(args: &[String]) -> Result<(Config, Vec<String>), ConfigError> {
        Self::from_args_with_stdin(args, &mut std::io::stdin().lock())
    }

    /// [`Config::from_args`] reading `-` from `stdin`.
    pub fn from_args_with_stdin(args: &[String], stdin: &mut dyn Read) -> Result<(Config, Vec<String>), ConfigError> {
        let invocation = Invocation::parse(args);
        let mut loader = Loader::new();
        if args.is_empty() {
            loader.warnings.push(
                "no config file specified, using the default config. In order to specify a config file use \
                 shardis-server /path/to/redis.conf"
                    .to_string(),
            );
        }
        if let Some(file) = &invocation.config_file {
            let path = std::path::absolute(file).unwrap_or_else(|_| PathBuf::from(file));
            loader.cfg.config_file = Some(path.clone());
            let text = std::fs::read(&path)
                .map_err(|e| ConfigError::Open { path: path.display().to_string(), reason: os_reason(&e) })?;
            loader.load(&text, &path.display().to_string())?;
        }
        if invocation.from_stdin {
            let mut text = Vec::new();
            stdin.read_to_end(&mut text).map_err(|e| ConfigError::Stdin { reason: os_reason(&e) })?;
            loader.load(&text, "standard input")?;
        }
        loader.load(&invocation.options, "the command line")?;
        loader.finish()
    }

    /// Loads the configuration from `text` in redis.conf syntax, `origin` naming it in errors.
    /// The result has no `config_file` (CONFIG REWRITE refuses).
    #[allow(clippy::should_implement_trait)]
    pub fn from_str(text: &str, origin: &str) -> Result<(Config, Vec<String>), ConfigError> {
        let mut loader = Loader::new();
        loader.load(text.as_bytes(), origin)?;
        loader.finish()
    }

    /// Start-up checks on paths, which the parser leaves alone so that a configuration can be
    /// read anywhere: `dir` must be an existing directory (it becomes absolute; the caller then
    /// changes into it, as Redis does while reading `dir`), and `logfile`, if any, must open for
    /// appending (it is created if missing; a relative one is taken inside `dir`).
    pub fn validate_paths(&mut self) -> Result<(), ConfigError> {
        let fail = |origin: &Origin, message: String| match &origin.0 {
            Some(at) => ConfigError::Line { origin: at.origin.clone(), line: at.line, text: at.text.clone(), message },
            None => ConfigError::Fatal { message },
        };
        match std::fs::metadata(&self.dir) {
            Err(e) => return Err(fail(&self.dir_origin, os_reason(&e))),
            Ok(meta) if !meta.is_dir() => return Err(fail(&self.dir_origin, "Not a directory".to_string())),
            Ok(_) => {}
        }
        self.dir = std::fs::canonicalize(&self.dir).map_err(|e| fail(&self.dir_origin, os_reason(&e)))?;
        if let Some(logfile) = &self.logfile {
            let path = self.dir.join(logfile);
            std::fs::OpenOptions::new()
                .append(true)
                .create(true)
                .open(&path)
                .map_err(|e| ConfigError::Fatal { message: format!("Can't open the log file: {}", os_reason(&e)) })?;
        }
        Ok(())
    }

    /// CONFIG GET: the `(name, value)` pairs matching any of `patterns`, values rendered as
    /// Redis 7.0 renders them. A pattern without `*`, `?` or `[` is an exact, case-insensitive
    /// name (hidden directives included) and is echoed as given; a glob pattern matches every
    /// visible name and alias, ignoring case. Each directive name appears once.
    pub fn get(&self, patterns: &[&[u8]]) -> Vec<(String, String)> {
        self.get_raw(patterns).into_iter().map(|(name, value)| (name, lossy(&value))).collect()
    }

    /// [`Config::get`] with values as bytes (a `requirepass` need not be UTF-8).
    pub fn get_raw(&self, patterns: &[&[u8]]) -> Vec<(String, Vec<u8>)> {
        let mut seen: HashSet<String> = HashSet::new();
        let mut out = Vec::new();
        for pattern in patterns {
            if !pattern.iter().any(|b| matches!(b, b'*' | b'?' | b'[')) {
                let key = lossy(pattern);
                if seen.contains(&key.to_ascii_lowercase()) {
                    continue;
                }
                if let Some((idx, _)) = lookup(pattern) {
                    seen.insert(key.to_ascii_lowercase());
                    out.push((key, self.render(idx)));
                }
                continue;
            }
            for (idx, spec) in DIRECTIVES.iter().enumerate() {
                if spec.has(HIDDEN) {
                    continue;
                }
                for name in std::iter::once(spec.name).chain(spec.alias) {
                    if !seen.contains(name) && string_match(pattern, name.as_bytes(), true) {
                        seen.insert(name.to_string());
                        out.push((name.to_string(), self.render(idx)));
                    }
                }
            }
        }
        out
    }

    /// The value CONFIG GET shows for one directive, by exact name or alias (any case).
    pub fn value_of(&self, name: &[u8]) -> Option<Vec<u8>> {
        lookup(name).map(|(idx, _)| self.render(idx))
    }

    /// Whether a directive holds a secret (`requirepass`, `masterauth`, `masteruser`), whose
    /// value CONFIG SET callers should redact from logs, SLOWLOG and MONITOR.
    pub fn is_sensitive(name: &[u8]) -> bool {
        lookup(name).is_some_and(|(idx, _)| DIRECTIVES[idx].has(SENSITIVE))
    }

    /// CONFIG SET name value [name value ...], all or nothing, with Redis's error texts
    /// (`ERR ...`). Protected directives (`dir`, `dbfilename`) are refused unless
    /// `enable-protected-configs` is `yes`.
    pub fn set(&mut self, pairs: &[(&[u8], &[u8])]) -> Result<(), String> {
        self.set_with(pairs, false).map(|_| ())
    }

    /// [`Config::set`] for a client that is `local_client` (connected over loopback or the Unix
    /// socket, for `enable-protected-configs local`). Returns the primary names of the
    /// directives whose value changed, for the server to act upon (listen on a new `port`, ...);
    /// if acting fails, the server puts back its copy of the previous `Config` and replies with
    /// Redis's text for it (e.g. "Unable to listen on this port. Check server logs.").
    ///
    /// Like Redis, a new `dir` is checked (it must be a directory) and stored absolute, but the
    /// process's current directory is not changed here.
    pub fn set_with(&mut self, pairs: &[(&[u8], &[u8])], local_client: bool) -> Result<Vec<&'static str>, String> {
        if pairs.is_empty() {
            return Err("ERR wrong number of arguments for 'config|set' command".to_string());
        }
        let failed =
            |name: &str, why: &str| format!("ERR CONFIG SET failed (possibly related to argument '{name}') - {why}");
        let protected_ok = match self.render(index_of("enable-protected-configs")).as_slice() {
            b"yes" => true,
            b"local" => local_client,
            _ => false,
        };
        // Names first: the first unknown, immutable, protected or repeated one fails it all.
        let mut targets: Vec<(usize, bool)> = Vec::with_capacity(pairs.len());
        for (name, _) in pairs {
            let shown = lossy(name);
            let Some((idx, alias)) = lookup(name) else {
                return Err(format!("ERR Unknown option or number of arguments for CONFIG SET - '{shown}'"));
            };
            let spec = &DIRECTIVES[idx];
            if spec.has(IMMUTABLE) {
                return Err(failed(&shown, "can't set immutable config"));
            }
            if spec.has(PROTECTED) && !protected_ok {
                return Err(failed(&shown, "can't set protected config"));
            }
            // As in Redis, a directive and its alias are not seen as the same parameter.
            if targets.contains(&(idx, alias)) {
                return Err(failed(&shown, "duplicate parameter"));
            }
            targets.push((idx, alias));
        }
        let mut next = self.clone();
        for (&(idx, alias), (_, value)) in targets.iter().zip(pairs) {
            let spec = &DIRECTIVES[idx];
            let args = if spec.has(MULTI_ARG) { split_spaces(value) } else { vec![value.to_vec()] };
            let mut save_loaded = true;
            if let Err(why) = next.apply(idx, &args, Mode::Set, &mut save_loaded) {
                let name = if alias { spec.alias.unwrap_or(spec.name) } else { spec.name };
                return Err(failed(name, &why));
            }
        }
        let changed =
            (0..DIRECTIVES.len()).filter(|&i| self.render(i) != next.render(i)).map(|i| DIRECTIVES[i].name).collect();
        *self = next;
        Ok(changed)
    }

    /// CONFIG REWRITE: rewrites the configuration file as Redis does, keeping its comments and
    /// unknown lines, replacing the lines of known directives in place, blanking superseded
    /// ones and appending the non-default rest after `# Generated by CONFIG REWRITE`.
    /// `users` are the ACL users as `user` lines (ACL LIST).
    pub fn rewrite(&self, users: &[Vec<u8>]) -> Result<(), String> {
        let Some(path) = &self.config_file else {
            return Err("ERR The server is running without a config file".to_string());
        };
        rewrite::rewrite_file(self, path, users).map_err(|e| format!("ERR Rewriting config file: {}", os_reason(&e)))
    }

    /// The new content of a configuration file whose current content is `old`.
    pub fn rewrite_content(&self, old: &[u8], users: &[Vec<u8>]) -> Vec<u8> {
        rewrite::rewrite_content(self, old, users)
    }

    /// The value of directive `idx` as CONFIG GET shows it.
    fn render(&self, idx: usize) -> Vec<u8> {
        let spec = &DIRECTIVES[idx];
        if !spec.has(IMPLEMENTED) {
            return self.extra[idx].clone();
        }
        let number = |n: u64| n.to_string().into_bytes();
        let path = |p: &Option<PathBuf>| p.as_deref().map(path_bytes).unwrap_or_default();
        match spec.name {
            "port" => number(u64::from(self.port)),
            "bind" => self.bind.join(" ").into_bytes(),
            "unixsocket" => path(&self.unixsocket),
            "unixsocketperm" => format!("{:o}", self.unixsocketperm).into_bytes(),
            "requirepass" => self.requirepass.clone().unwrap_or_default(),
            "maxmemory" => number(self.maxmemory),
            "maxmemory-policy" => self.maxmemory_policy.name().as_bytes().to_vec(),
            "maxmemory-samples" => number(self.maxmemory_samples.into()),
            "maxmemory-clients" => render_num(NumFmt::MemoryPercent, self.maxmemory_clients.into()),
            "maxmemory-eviction-tenacity" => number(self.maxmemory_eviction_tenacity.into()),
            "lfu-log-factor" => number(self.lfu_log_factor.into()),
            "lfu-decay-time" => number(self.lfu_decay_time.into()),
            "save" => {
                let pairs: Vec<String> = self.save.iter().map(|(secs, changes)| format!("{secs} {changes}")).collect();
                pairs.join(" ").into_bytes()
            }
            "dir" => path_bytes(&std::path::absolute(&self.dir).unwrap_or_else(|_| self.dir.clone())),
            "dbfilename" => path_bytes(&self.dbfilename),
            "databases" => number(self.databases as u64),
            "timeout" => number(self.timeout),
            "maxclients" => number(u64::from(self.maxclients)),
            "daemonize" => yes_no(self.daemonize),
            "pidfile" => path(&self.pidfile),
            "loglevel" => self.loglevel.name().as_bytes().to_vec(),
            "logfile" => path(&self.logfile),
            "aclfile" => path(&self.aclfile),
            "proto-max-bulk-len" => number(self.proto_max_bulk_len),
            "client-query-buffer-limit" => number(self.client_query_buffer_limit),
            "client-output-buffer-limit" => render_obuf_limits(&self.client_output_buffer_limit),
            "notify-keyspace-events" => render_notify_flags(self.notify_keyspace_events),
            "tracking-table-max-keys" => number(self.tracking_table_max_keys),
            "slowlog-log-slower-than" => self.slowlog_log_slower_than.to_string().into_bytes(),
            "busy-reply-threshold" => self.busy_reply_threshold.to_string().into_bytes(),
            "slowlog-max-len" => number(self.slowlog_max_len),
            "acllog-max-len" => number(self.acllog_max_len),
            "latency-monitor-threshold" => number(self.latency_monitor_threshold),
            "hz" => number(u64::from(self.hz)),
            "tcp-backlog" => number(u64::from(self.tcp_backlog)),
            "tcp-keepalive" => number(u64::from(self.tcp_keepalive)),
            "protected-mode" => yes_no(self.protected_mode),
            "enable-debug-command" => self.enable_debug_command.name().as_bytes().to_vec(),
            "acl-pubsub-default" => {
                (if self.acl_pubsub_default_all { "allchannels" } else { "resetchannels" }).as_bytes().to_vec()
            }
            "shards" => number(self.shards as u64),
            "appendonly" => yes_no(self.appendonly),
            "rdbcompression" => yes_no(self.rdbcompression),
            "rdbchecksum" => yes_no(self.rdbchecksum),
            "stop-writes-on-bgsave-error" => yes_no(self.stop_writes_on_bgsave_error),
            "jemalloc-bg-thread" => yes_no(self.jemalloc_bg_thread),
            "key-load-delay" => self.key_load_delay.to_string().into_bytes(),
            "list-max-listpack-size" => self.list_max_listpack_size.to_string().into_bytes(),
            "hash-max-listpack-entries" => number(self.hash_max_listpack_entries as u64),
            "hash-max-listpack-value" => number(self.hash_max_listpack_value as u64),
            "set-max-intset-entries" => number(self.set_max_intset_entries as u64),
            "zset-max-listpack-entries" => number(self.zset_max_listpack_entries as u64),
            "zset-max-listpack-value" => number(self.zset_max_listpack_value as u64),
            "stream-node-max-entries" => number(self.stream_node_max_entries),
            "stream-node-max-bytes" => number(self.stream_node_max_bytes),
            "hll-sparse-max-bytes" => number(self.hll_sparse_max_bytes),
            other => unreachable!("directive {other} is marked implemented but has no field"),
        }
    }

    /// Stores a validated value of directive `idx` (in its typed field, or as rendered text).
    fn store(&mut self, idx: usize, val: Val) {
        let spec = &DIRECTIVES[idx];
        if !spec.has(IMPLEMENTED) {
            self.extra[idx] = match (spec.kind, val) {
                (_, Val::Bool(b)) => yes_no(b),
                (Kind::Num(num), Val::Num(n)) => render_num(num.fmt, n),
                (Kind::Enum(values), Val::Enum(id)) => render_enum(values, id),
                (Kind::Flags(values), Val::Enum(bits)) => render_flags(values, bits),
                (_, Val::Bytes(bytes)) => bytes,
                (kind, _) => unreachable!("{}: value does not fit {kind:?}", spec.name),
            };
            return;
        }
        match (spec.name, val) {
            ("daemonize", Val::Bool(b)) => self.daemonize = b,
            ("protected-mode", Val::Bool(b)) => self.protected_mode = b,
            ("appendonly", Val::Bool(b)) => self.appendonly = b,
            ("rdbcompression", Val::Bool(b)) => self.rdbcompression = b,
            ("rdbchecksum", Val::Bool(b)) => self.rdbchecksum = b,
            ("stop-writes-on-bgsave-error", Val::Bool(b)) => self.stop_writes_on_bgsave_error = b,
            ("jemalloc-bg-thread", Val::Bool(b)) => self.jemalloc_bg_thread = b,
            ("key-load-delay", Val::Num(n)) => self.key_load_delay = n as i64,
            ("unixsocket", Val::Bytes(b)) => self.unixsocket = optional_path(b),
            ("pidfile", Val::Bytes(b)) => self.pidfile = optional_path(b),
            ("logfile", Val::Bytes(b)) => self.logfile = optional_path(b),
            ("aclfile", Val::Bytes(b)) => self.aclfile = optional_path(b),
            ("dbfilename", Val::Bytes(b)) => self.dbfilename = bytes_to_path(&b),
            ("requirepass", Val::Bytes(b)) => self.requirepass = (!b.is_empty()).then_some(b),
            ("loglevel", Val::Enum(id)) => self.loglevel = LogLevel::ALL[id as usize],
            ("maxmemory-policy", Val::Enum(id)) => self.maxmemory_policy = MaxmemoryPolicy::ALL[id as usize],
            ("enable-debug-command", Val::Enum(id)) => self.enable_debug_command = Protection::ALL[id as usize],
            ("acl-pubsub-default", Val::Enum(id)) => self.acl_pubsub_default_all = id == 0,
            ("port", Val::Num(n)) => self.port = n as u16,
            ("databases", Val::Num(n)) => self.databases = n as usize,
            ("timeout", Val::Num(n)) => self.timeout = n as u64,
            ("maxclients", Val::Num(n)) => self.maxclients = n as u32,
            ("unixsocketperm", Val::Num(n)) => self.unixsocketperm = n as u32,
            ("maxmemory", Val::Num(n)) => self.maxmemory = n as u64,
            ("maxmemory-samples", Val::Num(n)) => self.maxmemory_samples = n as u32,
            ("maxmemory-clients", Val::Num(n)) => self.maxmemory_clients = n as i64,
            ("maxmemory-eviction-tenacity", Val::Num(n)) => self.maxmemory_eviction_tenacity = n as u32,
            ("lfu-log-factor", Val::Num(n)) => self.lfu_log_factor = n as u32,
            ("lfu-decay-time", Val::Num(n)) => self.lfu_decay_time = n as u32,
            ("proto-max-bulk-len", Val::Num(n)) => self.proto_max_bulk_len = n as u64,
            ("client-query-buffer-limit", Val::Num(n)) => self.client_query_buffer_limit = n as u64,
            ("client-output-buffer-limit", Val::Bytes(b)) => self.client_output_buffer_limit = parse_obuf_limits(&b),
            ("notify-keyspace-events", Val::Num(flags)) => self.notify_keyspace_events = flags as u32,
            ("tracking-table-max-keys", Val::Num(n)) => self.tracking_table_max_keys = n as u64,
            ("slowlog-log-slower-than", Val::Num(n)) => self.slowlog_log_slower_than = n as i64,
            ("busy-reply-threshold", Val::Num(n)) => self.busy_reply_threshold = n as i64,
            ("slowlog-max-len", Val::Num(n)) => self.slowlog_max_len = n as u64,
            ("acllog-max-len", Val::Num(n)) => self.acllog_max_len = n as u64,
            ("latency-monitor-threshold", Val::Num(n)) => self.latency_monitor_threshold = n as u64,
            // Redis accepts any hz but clamps it to 1..=500.
            ("hz", Val::Num(n)) => self.hz = n.clamp(1, 500) as u32,
            ("tcp-backlog", Val::Num(n)) => self.tcp_backlog = n as u32,
            ("tcp-keepalive", Val::Num(n)) => self.tcp_keepalive = n as u32,
            ("shards", Val::Num(n)) => self.shards = n as usize,
            ("list-max-listpack-size", Val::Num(n)) => self.list_max_listpack_size = n as i32,
            ("hash-max-listpack-entries", Val::Num(n)) => self.hash_max_listpack_entries = n as usize,
            ("hash-max-listpack-value", Val::Num(n)) => self.hash_max_listpack_value = n as usize,
            ("set-max-intset-entries", Val::Num(n)) => self.set_max_intset_entries = n as usize,
            ("zset-max-listpack-entries", Val::Num(n)) => self.zset_max_listpack_entries = n as usize,
            ("zset-max-listpack-value", Val::Num(n)) => self.zset_max_listpack_value = n as usize,
            ("stream-node-max-entries", Val::Num(n)) => self.stream_node_max_entries = n as u64,
            ("stream-node-max-bytes", Val::Num(n)) => self.stream_node_max_bytes = n as u64,
            ("hll-sparse-max-bytes", Val::Num(n)) => self.hll_sparse_max_bytes = n as u64,
            (name, _) => unreachable!("directive {name} got a value of another kind"),
        }
    }

    /// Parses, validates and stores `args` (the words after the name) for directive `idx`.
    /// Single-argument directives get exactly one word (callers check).
    fn apply(&mut self, idx: usize, args: &[Vec<u8>], mode: Mode, save_loaded: &mut bool) -> Result<(), Reason> {
        let spec: &Spec = &DIRECTIVES[idx];
        let first = || args.first().map(Vec::as_slice).unwrap_or_default();
        let wrong_args = || Err::<(), Reason>("wrong number of arguments".to_string());
        let val = match spec.kind {
            Kind::Bool => Val::Bool(parse_bool(first())?),
            Kind::Num(num) => Val::Num(parse_num(&num, first())?),
            Kind::Enum(values) => Val::Enum(parse_enum(values, first())?),
            Kind::Flags(values) => {
                if args.is_empty() {
                    return Err(enum_error(values));
                }
                let mut bits = 0;
                for arg in args {
                    bits |= parse_enum(values, arg)?;
                }
                if bits & 3 == 3 {
                    return Err("shutdown options SAVE and NOSAVE can't be used simultaneously".to_string());
                }
                Val::Enum(bits)
            }
            Kind::Str { check, .. } => {
                check_string(check, first(), self)?;
                Val::Bytes(first().to_vec())
            }
            Kind::Save => return self.apply_save(args, mode, save_loaded),
            Kind::Bind => {
                if args.len() > 16 {
                    return Err("Too many bind addresses specified.".to_string());
                }
                let addresses = if args.len() == 1 && args[0].is_empty() { &[][..] } else { args };
                self.bind = addresses.iter().map(|a| lossy(a)).collect();
                return Ok(());
            }
            Kind::Dir => {
                if args.len() != 1 {
                    return wrong_args();
                }
                let dir = bytes_to_path(first());
                self.dir = match mode {
                    Mode::Load => dir,
                    Mode::Set => match std::fs::metadata(&dir) {
                        Err(e) => return Err(os_reason(&e)),
                        Ok(meta) if !meta.is_dir() => return Err("Not a directory".to_string()),
                        Ok(_) => std::fs::canonicalize(&dir).map_err(|e| os_reason(&e))?,
                    },
                };
                return Ok(());
            }
            Kind::ClientOutputBufferLimit => {
                if !args.len().is_multiple_of(4) {
                    return Err("Wrong number of arguments in buffer limit configuration.".to_string());
                }
                let mut limits = self.client_output_buffer_limit;
                let mut updates = Vec::new();
                for group in args.chunks(4) {
                    let class = match group[0].to_ascii_lowercase().as_slice() {
                        b"normal" => 0,
                        b"slave" | b"replica" => 1,
                        b"pubsub" => 2,
                        _ => return Err("Invalid client class specified in buffer limit configuration.".to_string()),
                    };
                    let secs = strtoll_whole(&group[3], 10).map(|(v, _)| v as i32);
                    match (memtoull(&group[1]), memtoull(&group[2]), secs) {
                        (Some(hard), Some(soft), Some(secs)) if secs >= 0 => {
                            updates.push((class, (hard, soft, i64::from(secs))))
                        }
                        _ => {
                            return Err("Error in hard, soft or soft_seconds setting in buffer limit configuration."
                                .to_string())
                        }
                    }
                }
                for (class, limit) in updates {
                    limits[class] = limit;
                }
                Val::Bytes(render_obuf_limits(&limits))
            }
            Kind::OomScoreAdjValues => {
                if args.len() != 3 {
                    return wrong_args();
                }
                let mut values = Vec::with_capacity(3);
                for arg in args {
                    match strtoll_whole(arg, 10) {
                        Some((v, _)) if (-2000..=2000).contains(&v) => values.push(v.to_string()),
                        _ => {
                            return Err(
                                "Invalid oom-score-adj-values, elements must be between -2000 and 2000.".to_string()
                            )
                        }
                    }
                }
                Val::Bytes(values.join(" ").into_bytes())
            }
            Kind::NotifyKeyspaceEvents => {
                if args.len() != 1 {
                    return wrong_args();
                }
                let flags = parse_notify_flags(first())
                    .ok_or_else(|| "Invalid event class character. Use 'Ag$lshzxeKEtmdn'.".to_string())?;
                // The bits themselves: the rendering (CONFIG GET) leaves `n` out beside `A`.
                Val::Num(i128::from(flags))
            }
            Kind::ReplicaOf => {
                if args.len() != 2 {
                    return wrong_args();
                }
                if args[0].eq_ignore_ascii_case(b"no") && args[1].eq_ignore_ascii_case(b"one") {
                    Val::Bytes(Vec::new())
                } else {
                    match strtoll_whole(&args[1], 10) {
                        Some((port, false)) if (0..=65535).contains(&port) && !args[1].is_empty() => {
                            Val::Bytes(format!("{} {port}", lossy(&args[0])).into_bytes())
                        }
                        _ => return Err("Invalid master port".to_string()),
                    }
                }
            }
            Kind::LatencyPercentiles => {
                let words = if args.len() == 1 && args[0].is_empty() { &[][..] } else { args };
                let mut rendered = Vec::with_capacity(words.len());
                for word in words {
                    let value = string2d(word)
                        .ok_or_else(|| "Invalid latency-tracking-info-percentiles parameters".to_string())?;
                    if !(0.0..=100.0).contains(&value) {
                        return Err(
                            "latency-tracking-info-percentiles parameters should sit between [0.0,100.0]".into()
                        );
                    }
                    rendered.push(syntax::format_double(value));
                }
                Val::Bytes(rendered.join(" ").into_bytes())
            }
        };
        self.store(idx, val);
        Ok(())
    }

    fn apply_save(&mut self, args: &[Vec<u8>], mode: Mode, save_loaded: &mut bool) -> Result<(), Reason> {
        let invalid = || "Invalid save parameters".to_string();
        if args.is_empty() || (args.len() == 1 && args[0].is_empty()) {
            self.save.clear();
            *save_loaded = true;
            return Ok(());
        }
        if !args.len().is_multiple_of(2) {
            return Err(invalid());
        }
        let mut pairs = Vec::with_capacity(args.len() / 2);
        for pair in args.chunks(2) {
            let secs = strtoll_whole(&pair[0], 10).map(|(v, _)| v).filter(|&v| v >= 1).ok_or_else(invalid)?;
            let changes = strtoll_whole(&pair[1], 10).map(|(v, _)| v).filter(|&v| v >= 0).ok_or_else(invalid)?;
            pairs.push((secs as u64, changes as u64));
        }
        if mode == Mode::Set || !*save_loaded {
            self.save.clear();
            *save_loaded = true;
        }
        self.save.extend(pairs);
        Ok(())
    }
}

/// The command line split Redis's way (`main()` in server.c): the configuration file, whether
/// to read standard input, and the `--name value` groups turned into configuration lines.
#[derive(Debug, Default, PartialEq, Eq)]
struct Invocation {
    config_file: Option<String>,
    from_stdin: bool,
    options: Vec<u8>,
}

impl Invocation {
    fn parse(args: &[String]) -> Invocation {
        let mut inv = Invocation::default();
        let n = args.len();
        let mut j = 0;
        if n > 0 && !args[0].starts_with('-') {
            inv.config_file = Some(args[0].clone());
            j = 1;
        }
        // False right after a bare `--name`: the next argument is its value even if it starts
        // with `--` (`--requirepass --secret`).
        let mut handled_last = true;
        while j < n {
            let arg = &args[j];
            if arg == "-" && (j == 0 || j == n - 1) {
                inv.from_stdin = true;
            } else if handled_last && arg.starts_with("--") {
                if !inv.options.is_empty() {
                    inv.options.push(b'\n');
                }
                inv.options.extend_from_slice(&arg.as_bytes()[2..]);
                inv.options.push(b' ');
                let words = split_args(arg.as_bytes()).map_or(0, |w| w.len());
                if words == 1 {
                    handled_last = false;
                    let next_is_name = j + 1 < n && args[j + 1].starts_with("--");
                    if arg.eq_ignore_ascii_case("--save") && next_is_name {
                        // `--save --port 7000` means `--save "" --port 7000`.
                        inv.options.extend_from_slice(b"\"\"");
                        handled_last = true;
                    } else if arg.eq_ignore_ascii_case("--save") && j == n - 1 {
                        inv.options.extend_from_slice(b"\"\"");
                    } else if arg.eq_ignore_ascii_case("--sentinel") && next_is_name {
                        handled_last = true;
                    }
                } else {
                    // "--port 6380" as one argument: name and value together.
                    handled_last = true;
                }
            } else {
                inv.options.extend_from_slice(repr(arg.as_bytes()).as_bytes());
                inv.options.push(b' ');
                handled_last = true;
            }
            j += 1;
        }
        inv
    }
}

/// Why one line was refused: a message for that line, or an error from an included file.
enum Failure {
    Here(Reason),
    Inner(ConfigError),
}

impl From<Reason> for Failure {
    fn from(reason: Reason) -> Self {
        Failure::Here(reason)
    }
}

/// `include` may nest this deep (Redis has no limit and overflows its stack on a loop).
const MAX_INCLUDE_DEPTH: usize = 16;

struct Loader {
    cfg: Config,
    warnings: Vec<String>,
    /// Directives already warned about.
    warned: HashSet<String>,
    /// Whether a `save` line was seen (the first one replaces the defaults).
    save_loaded: bool,
    depth: usize,
}

impl Loader {
    fn new() -> Loader {
        Loader { cfg: Config::default(), warnings: Vec::new(), warned: HashSet::new(), save_loaded: false, depth: 0 }
    }

    fn warn_once(&mut self, key: &str, text: String) {
        if self.warned.insert(key.to_string()) {
            self.warnings.push(text);
        }
    }

    /// Reads every line of `text` (`loadServerConfigFromString`).
    fn load(&mut self, text: &[u8], origin: &str) -> Result<(), ConfigError> {
        for (i, raw) in text.split(|&b| b == b'\n').enumerate() {
            let line = trim(raw, b" \t\r\n");
            if line.is_empty() || line[0] == b'#' {
                continue;
            }
            let fail = |message: Reason| ConfigError::Line {
                origin: origin.to_string(),
                line: i + 1,
                text: lossy(line),
                message,
            };
            let Some(argv) = split_args(line) else {
                return Err(fail("Unbalanced quotes in configuration line".to_string()));
            };
            let Some((name, args)) = argv.split_first() else {
                continue;
            };
            let name = name.to_ascii_lowercase();
            let at = LineRef { origin: origin.to_string(), line: i + 1, text: lossy(line) };
            match self.directive(&name, args, at) {
                Ok(()) => {}
                Err(Failure::Here(message)) => return Err(fail(message)),
                Err(Failure::Inner(err)) => return Err(err),
            }
        }
        Ok(())
    }

    fn directive(&mut self, name: &[u8], args: &[Vec<u8>], at: LineRef) -> Result<(), Failure> {
        let shown = lossy(name);
        if let Some((idx, _)) = lookup(name) {
            let spec = &DIRECTIVES[idx];
            if !spec.has(MULTI_ARG) && args.len() != 1 {
                return Err(Failure::Here("wrong number of arguments".to_string()));
            }
            // As Redis 7.0: a multi-argument directive given one argument (`--save "3600 1"`
            // on the command line) is split on spaces.
            let split;
            let args = if spec.has(MULTI_ARG) && args.len() == 1 && !args[0].is_empty() {
                split = args[0].split(|&b| b == b' ').map(<[u8]>::to_vec).collect::<Vec<_>>();
                &split[..]
            } else {
                args
            };
            self.cfg.apply(idx, args, Mode::Load, &mut self.save_loaded)?;
            if spec.kind == Kind::Dir {
                self.cfg.dir_origin = Origin(Some(at));
            }
            if !spec.has(IMPLEMENTED) {
                self.warn_once(spec.name, format!("directive '{shown}' is not implemented by shardis yet; ignored"));
            }
            return Ok(());
        }
        let name_str = shown.as_str();
        if DEPRECATED.contains(&name_str) && args.len() == 1 {
            self.warn_once(name_str, format!("directive '{shown}' is deprecated and ignored"));
            return Ok(());
        }
        if let Some(&(_, min, max)) = FILE_ONLY.iter().find(|(n, _, _)| *n == name_str) {
            if args.len() < min || args.len() > max {
                return Err(Failure::Here("Bad directive or wrong number of arguments".to_string()));
            }
            if name_str == "include" {
                return self.include(&args[0]);
            }
            if name_str == "user" {
                return self.user(args);
            }
            if name_str == "rename-command" {
                let renamed = crate::commands::Renames::new(&self.cfg.renames);
                if renamed.lookup(&args[0]).is_none() {
                    return Err(Failure::Here("No such command in rename-command".to_string()));
                }
                if !args[1].is_empty() && renamed.lookup(&args[1]).is_some() {
                    return Err(Failure::Here("Target command name already exists".to_string()));
                }
                self.cfg.renames.push((args[0].clone(), args[1].clone()));
                return Ok(());
            }
            self.warn_once(name_str, format!("directive '{shown}' is not implemented by shardis yet; ignored"));
            return Ok(());
        }
        if name.contains(&b'.') {
            if args.len() != 1 {
                return Err(Failure::Here("Module config specified without value".to_string()));
            }
            self.warn_once(name_str, format!("module config '{shown}' ignored: shardis does not load modules"));
            return Ok(());
        }
        if name_str == "sentinel" {
            if !args.is_empty() {
                return Err(Failure::Here("sentinel directive while not in sentinel mode".to_string()));
            }
            self.warn_once(name_str, "directive 'sentinel' ignored: shardis has no sentinel mode".to_string());
            return Ok(());
        }
        Err(Failure::Here("Bad directive or wrong number of arguments".to_string()))
    }

    /// `user NAME RULES...`: checked now with a user nobody sees (Redis's
    /// ACLAppendUserForLoading), loaded when the server starts.
    fn user(&mut self, args: &[Vec<u8>]) -> Result<(), Failure> {
        let name = &args[0];
        // Redis names the token at the failing rule's index in the whole line.
        let token = |j: usize| {
            let line: Vec<&[u8]> = std::iter::once(&b"user"[..]).chain(args.iter().map(Vec::as_slice)).collect();
            lossy(line.get(j).copied().unwrap_or_default())
        };
        if self.cfg.users.iter().any(|u| u[0] == *name) {
            return Err(Failure::Here(format!(
                "Error in user declaration '{}': Duplicate user found. A user can only be defined once in config files",
                token(1)
            )));
        }
        let rules: Vec<&[u8]> = args[1..].iter().map(Vec::as_slice).collect();
        let merged = crate::acl::merge_selectors(&rules)
            .map_err(|j| Failure::Here(format!("Error in user declaration '{}': Syntax error", token(j))))?;
        let mut fake = crate::acl::User::new(b"__fakeuser__", self.cfg.acl_pubsub_default_all);
        for (j, rule) in merged.iter().enumerate() {
            if let Err(e) = fake.apply(rule, self.cfg.acl_pubsub_default_all) {
                return Err(Failure::Here(format!("Error in user declaration '{}': {}", token(j), e.text())));
            }
        }
        let mut user = vec![name.clone()];
        user.extend(merged);
        self.cfg.users.push(user);
        Ok(())
    }

    /// `include PATH`: reads the file (every match, in order, if PATH has a wildcard; none is
    /// fine then) as if its lines stood here.
    fn include(&mut self, pattern: &[u8]) -> Result<(), Failure> {
        if self.depth >= MAX_INCLUDE_DEPTH {
            return Err(Failure::Here(format!("include nesting deeper than {MAX_INCLUDE_DEPTH} levels")));
        }
        let paths = if pattern.iter().any(|b| matches!(b, b'*' | b'?' | b'[')) {
            expand_glob(pattern)
        } else {
            vec![bytes_to_path(pattern)]
        };
        for path in paths {
            let text = std::fs::read(&path).map_err(|e| {
                Failure::Inner(ConfigError::Open { path: path.display().to_string(), reason: os_reason(&e) })
            })?;
            self.depth += 1;
            let result = self.load(&text, &path.display().to_string());
            self.depth -= 1;
            result.map_err(Failure::Inner)?;
        }
        Ok(())
    }

    /// Checks on the whole configuration, then hands it over.
    fn finish(self) -> Result<(Config, Vec<String>), ConfigError> {
        let cluster = self.cfg.render(index_of("cluster-enabled")) == b"yes";
        if cluster && !self.cfg.render(index_of("replicaof")).is_empty() {
            return Err(ConfigError::Fatal { message: "replicaof directive not allowed in cluster mode".to_string() });
        }
        Ok((self.cfg, self.warnings))
    }
}

/// The existing paths matching a glob(3)-style pattern, sorted; `*`, `?` and `[...]` do not
/// cross `/`, and match a leading `.` only when the pattern's component starts with one.
fn expand_glob(pattern: &[u8]) -> Vec<PathBuf> {
    let start = if pattern.starts_with(b"/") { PathBuf::from("/") } else { PathBuf::new() };
    let mut current = vec![start];
    for component in pattern.split(|&b| b == b'/').filter(|c| !c.is_empty()) {
        let wild = component.iter().any(|b| matches!(b, b'*' | b'?' | b'['));
        let mut next = Vec::new();
        for base in &current {
            if !wild {
                next.push(base.join(OsStr::from_bytes(component)));
                continue;
            }
            let dir = if base.as_os_str().is_empty() { Path::new(".") } else { base.as_path() };
            let Ok(entries) = std::fs::read_dir(dir) else {
                continue;
            };
            let mut names: Vec<Vec<u8>> = entries
                .flatten()
                .map(|e| e.file_name().as_bytes().to_vec())
                .filter(|n| (component[0] == b'.' || !n.starts_with(b".")) && string_match(component, n, false))
                .collect();
            names.sort();
            next.extend(names.iter().map(|n| base.join(OsStr::from_bytes(n))));
        }
        current = next;
    }
    current.retain(|p| !p.as_os_str().is_empty() && p.exists());
    current
}
