//! Server commands: CONFIG INFO TIME LOLWUT DEBUG MONITOR SLOWLOG LATENCY (SHUTDOWN and the
//! saves are in [`super::persist`]).
//!
//! Every shard keeps its own copy of the configuration and its own statistics. CONFIG SET is
//! checked here, then applied on every shard before the reply; INFO and SLOWLOG gather every
//! shard's part and add them up.

use std::fmt::Write as _;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use super::flag::*;
use super::{cmd, container, help, int_arg, registry, Cx, FanOut, Flow, Handler, Spec};
use crate::error::CmdError;
use crate::shard::mesh::JobOut;
use crate::shard::{latency_bucket_label, CmdStat, Core, LatencyHistogram, SlowEntry, LATENCY_BUCKETS};

type R = Result<Flow, CmdError>;

/// CONFIG GET parameter [parameter ...]
fn config_get(cx: &mut Cx) -> R {
    let patterns: Vec<&[u8]> = cx.argv.iter().skip(2).collect();
    let pairs = cx.core.config.get(&patterns);
    let out = cx.out();
    out.map(pairs.len());
    for (name, value) in pairs {
        out.bulk(name.as_bytes());
        out.bulk(value.as_bytes());
    }
    Ok(Flow::Done)
}

/// CONFIG SET parameter value [parameter value ...]
fn config_set(cx: &mut Cx) -> R {
    let argv = cx.argv;
    if !argv.len().is_multiple_of(2) {
        return Err(CmdError::WrongArity("config|set".into()));
    }
    let pairs: Vec<(Vec<u8>, Vec<u8>)> =
        (2..argv.len()).step_by(2).map(|i| (argv.get(i).to_vec(), argv.get(i + 1).to_vec())).collect();
    // Check once here; every shard then applies the same, already valid, change.
    let mut trial = cx.core.config.clone();
    trial.set(&borrow_pairs(&pairs)).map_err(CmdError::Other)?;
    if trial.maxclients > cx.core.config.maxclients {
        // Redis's updateMaxclients: raise the open-file limit now, or refuse the value.
        let mut raised = trial.clone();
        let fits = crate::server::adjust_open_files_limit(&mut raised).is_ok() && raised.maxclients == trial.maxclients;
        if !fits {
            return Err(CmdError::other(format!(
                "ERR CONFIG SET failed (possibly related to argument 'maxclients') - The operating system is not able to handle the specified number of clients, try with {}",
                raised.maxclients
            )));
        }
    }
    let relisten = pairs.iter().any(|(k, _)| k.eq_ignore_ascii_case(b"port") || k.eq_ignore_ascii_case(b"bind"));
    if relisten && (trial.port != cx.core.config.port || trial.bind != cx.core.config.bind) {
        // Checked here, so every shard can then listen on the new address.
        crate::server::probe_all(&trial).map_err(|_| {
            let name = if trial.port != cx.core.config.port { "port" } else { "bind" };
            CmdError::other(format!(
                "ERR CONFIG SET failed (possibly related to argument '{name}') - Unable to listen on this port"
            ))
        })?;
        cx.core.shared.tcp_port.store(trial.port, Ordering::Relaxed);
    }
    apply_process_wide(&trial);
    let shards = cx.core.shards();
    let password = pairs.iter().any(|(k, _)| k.eq_ignore_ascii_case(b"requirepass")).then(|| trial.requirepass.clone());
    let apply = FanOut::apply(shards, move |core: &mut Core| {
        let (port, bind) = (core.config.port, core.config.bind.clone());
        let _ = core.config.set(&borrow_pairs(&pairs));
        core.relisten |= core.config.port != port || core.config.bind != bind;
        core.slowlog.truncate(core.config.slowlog_max_len as usize);
    });
    let Some(password) = password else { return Ok(apply) };
    // requirepass is the default user's password (Redis's ACLUpdateDefaultUserPassword): set
    // once every shard has the new configuration, through the ACL's single writer.
    let Flow::Wait(mut fan) = apply else { unreachable!("FanOut::apply waits") };
    fan.finish = Box::new(move |_core, _conn, _| {
        super::acl::change(
            move |users| {
                let mut default = (**users.default_user()).clone();
                default.apply(b"resetpass", false).expect("resetpass");
                match &password {
                    Some(p) => default.apply(&[b">".as_slice(), p].concat(), false).expect("a password"),
                    None => default.apply(b"nopass", false).expect("nopass"),
                }
                let mut next = users.clone();
                next.users.insert(b"default".to_vec(), std::sync::Arc::new(default));
                Ok(next)
            },
            |out| out.ok(),
        )
    });
    Ok(Flow::Wait(fan))
}

fn borrow_pairs(pairs: &[(Vec<u8>, Vec<u8>)]) -> Vec<(&[u8], &[u8])> {
    pairs.iter().map(|(k, v)| (k.as_slice(), v.as_slice())).collect()
}

/// Settings that live outside the shards (the log).
fn apply_process_wide(config: &crate::config::Config) {
    crate::memory::background_threads(config.jemalloc_bg_thread);
    if let Some(level) = crate::log::Level::parse(config.loglevel.name()) {
        crate::log::set_level(level);
    }
}

/// CONFIG RESETSTAT
fn config_resetstat(cx: &mut Cx) -> R {
    crate::memory::reset_peak();
    Ok(FanOut::apply(cx.core.shards(), |core: &mut Core| core.stats.reset()))
}

/// CONFIG REWRITE
fn config_rewrite(cx: &mut Cx) -> R {
    cx.core.config.rewrite(&cx.core.acl.users.lines()).map_err(CmdError::Other)?;
    crate::notice!("CONFIG REWRITE executed with success.");
    cx.out().ok();
    Ok(Flow::Done)
}

/// CONFIG HELP
fn config_help(cx: &mut Cx) -> R {
    help(
        cx.out(),
        "CONFIG",
        &[
            "GET <pattern>",
            "    Return parameters matching the glob-like <pattern> and their values.",
            "SET <directive> <value>",
            "    Set the configuration <directive> to <value>.",
            "RESETSTAT",
            "    Reset statistics reported by the INFO command.",
            "REWRITE",
            "    Rewrite the configuration file.",
        ],
    );
    Ok(Flow::Done)
}

/// One shard's contribution to INFO.
struct ShardReport {
    commands: Vec<CmdStat>,
    errors: Vec<(Vec<u8>, u64)>,
    totals: [u64; 11],
    clients: usize,
    blocked: usize,
    timed: usize,
    keys: Vec<(usize, usize, usize)>,
    /// Lua VM bytes, cached scripts, their bytes, functions, their libraries' code bytes.
    scripting: [usize; 5],
    /// Tracking clients here, keys remembered for them, and (key, client) pairs.
    tracking: [usize; 3],
    /// Keys changed since the last save.
    changes: u64,
}

fn report(core: &mut Core) -> ShardReport {
    let s = &core.stats;
    ShardReport {
        commands: s.commands.clone(),
        errors: s.errors.iter().map(|(k, v)| (k.clone(), *v)).collect(),
        totals: [
            s.total_commands,
            s.total_connections,
            s.rejected_connections,
            s.net_input_bytes,
            s.net_output_bytes,
            s.total_error_replies,
            s.keyspace_hits,
            s.keyspace_misses,
            s.expired_keys,
            s.evicted_keys,
            s.evicted_clients,
        ],
        clients: core.conns.len(),
        blocked: core.conns.iter().filter(|c| c.blocked.is_some()).count(),
        timed: core.conns.iter().filter(|c| c.blocked.as_ref().is_some_and(|b| b.deadline.is_some())).count(),
        keys: core.dbs.iter().enumerate().map(|(i, db)| (i, db.len(), db.expires_len())).collect(),
        scripting: {
            let sc = &core.scripting;
            let code = sc.libraries.by_name.values().map(|l| l.code.len()).sum();
            [sc.used_memory_lua(), sc.scripts.len(), sc.used_memory_scripts(), sc.libraries.function_count(), code]
        },
        tracking: [
            core.conns.iter().filter(|c| c.tracking.is_some()).count(),
            core.tracking.len(),
            core.tracking.items(),
        ],
        changes: core.snapshot.changes,
    }
}

/// INFO [section [section ...]]
fn info(cx: &mut Cx) -> R {
    let sections: Vec<String> =
        cx.argv.iter().skip(1).map(|s| String::from_utf8_lossy(s).to_ascii_lowercase()).collect();
    let shards = cx.core.shards();
    Ok(FanOut::all(
        shards,
        |_| Box::new(|core: &mut Core| -> JobOut { Box::new(report(core)) }),
        Box::new(move |core, conn, parts| {
            let reports: Vec<ShardReport> =
                parts.into_iter().filter_map(|p| p.downcast::<ShardReport>().ok()).map(|b| *b).collect();
            let text = render_info(core, &sections, &reports);
            conn.out.verbatim(b"txt", text.as_bytes());
            Flow::Done
        }),
    ))
}

const DEFAULT_SECTIONS: &[&str] = &[
    "server",
    "clients",
    "memory",
    "persistence",
    "stats",
    "replication",
    "cpu",
    "modules",
    "errorstats",
    "cluster",
    "keyspace",
];
const ALL_SECTIONS: &[&str] = &[
    "server",
    "clients",
    "memory",
    "persistence",
    "stats",
    "replication",
    "cpu",
    "modules",
    "commandstats",
    "errorstats",
    "cluster",
    "keyspace",
];

fn render_info(core: &Core, asked: &[String], reports: &[ShardReport]) -> String {
    let wanted: Vec<&str> = if asked.is_empty() || asked.iter().any(|s| s == "default") {
        let mut w = DEFAULT_SECTIONS.to_vec();
        w.extend(asked.iter().map(|s| s.as_str()).filter(|s| *s != "default"));
        w
    } else if asked.iter().any(|s| s == "all" || s == "everything") {
        ALL_SECTIONS.to_vec()
    } else {
        asked.iter().map(|s| s.as_str()).collect()
    };
    let mut text = String::new();
    for section in ALL_SECTIONS.iter().filter(|s| wanted.contains(s)) {
        if !text.is_empty() {
            text.push_str("\r\n");
        }
        section_text(core, section, reports, &mut text);
    }
    text
}

fn sum(reports: &[ShardReport], i: usize) -> u64 {
    reports.iter().map(|r| r.totals[i]).sum()
}

fn human(bytes: u64) -> String {
    const UNITS: [&str; 5] = ["B", "K", "M", "G", "T"];
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit < UNITS.len() - 1 {
        value /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{bytes}B")
    } else {
        format!("{:.2}{}", value, UNITS[unit])
    }
}

fn rusage(who: i32) -> (f64, f64) {
    // SAFETY: getrusage fills the zeroed struct we own.
    let ru = unsafe {
        let mut ru: libc::rusage = std::mem::zeroed();
        libc::getrusage(who, &mut ru);
        ru
    };
    let t = |tv: libc::timeval| tv.tv_sec as f64 + tv.tv_usec as f64 / 1e6;
    (t(ru.ru_stime), t(ru.ru_utime))
}

/// Resident set size in bytes, from /proc/self/statm.
pub fn rss_bytes() -> u64 {
    let statm = std::fs::read_to_string("/proc/self/statm").unwrap_or_default();
    let pages: u64 = statm.split_whitespace().nth(1).and_then(|p| p.parse().ok()).unwrap_or(0);
    // SAFETY: sysconf has no preconditions.
    pages * unsafe { libc::sysconf(libc::_SC_PAGESIZE) } as u64
}

fn section_text(core: &Core, section: &str, reports: &[ShardReport], t: &mut String) {
    let shared = &core.shared;
    let cfg = &core.config;
    let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or_default();
    let uptime = shared.started.elapsed().as_secs();
    macro_rules! line { ($($arg:tt)*) => {{ let _ = write!(t, $($arg)*); t.push_str("\r\n"); }} }
    match section {
        "server" => {
            line!("# Server");
            line!("redis_version:{}", crate::REDIS_VERSION);
            line!("redis_git_sha1:00000000");
            line!("redis_git_dirty:0");
            line!("redis_build_id:0");
            line!("redis_mode:standalone");
            line!("os:{}", os_line());
            line!("arch_bits:64");
            line!("monotonic_clock:POSIX clock_gettime");
            line!("multiplexing_api:io_uring");
            line!("atomicvar_api:c11-builtin");
            line!("gcc_version:0.0.0");
            line!("process_id:{}", std::process::id());
            line!("process_supervised:no");
            line!("run_id:{}", shared.run_id);
            line!("tcp_port:{}", shared.tcp_port.load(Ordering::Relaxed));
            line!("server_time_usec:{}", now.as_micros());
            line!("uptime_in_seconds:{}", uptime);
            line!("uptime_in_days:{}", uptime / 86400);
            line!("hz:{}", cfg.hz);
            line!("configured_hz:{}", cfg.hz);
            line!("lru_clock:{}", (now.as_secs()) & ((1 << 24) - 1));
            line!("executable:{}", shared.executable.display());
            line!("config_file:{}", shared.config_file.as_ref().map(|p| p.display().to_string()).unwrap_or_default());
            line!("io_threads_active:0");
            line!("shardis_version:{}", crate::SHARDIS_VERSION);
            line!("shards:{}", shared.shards());
        }
        "clients" => {
            line!("# Clients");
            line!("connected_clients:{}", reports.iter().map(|r| r.clients).sum::<usize>());
            line!("cluster_connections:0");
            line!("maxclients:{}", cfg.maxclients);
            line!("client_recent_max_input_buffer:0");
            line!("client_recent_max_output_buffer:0");
            line!("blocked_clients:{}", reports.iter().map(|r| r.blocked).sum::<usize>());
            line!("tracking_clients:{}", reports.iter().map(|r| r.tracking[0]).sum::<usize>());
            line!("clients_in_timeout_table:{}", reports.iter().map(|r| r.timed).sum::<usize>());
        }
        "memory" => {
            let (allocated, active, resident, _) = crate::memory::allocator_stats();
            let used = crate::memory::used_memory();
            let peak = crate::memory::peak();
            let startup = crate::memory::startup().min(used);
            let rss = rss_bytes();
            // SAFETY: sysconf has no preconditions.
            let total =
                unsafe { libc::sysconf(libc::_SC_PHYS_PAGES) as u64 * libc::sysconf(libc::_SC_PAGESIZE) as u64 };
            line!("# Memory");
            line!("used_memory:{}", used);
            line!("used_memory_human:{}", human(used));
            line!("used_memory_rss:{}", rss);
            line!("used_memory_rss_human:{}", human(rss));
            line!("used_memory_peak:{}", peak);
            line!("used_memory_peak_human:{}", human(peak));
            line!("used_memory_peak_perc:{:.2}%", used as f64 * 100.0 / peak.max(1) as f64);
            line!("used_memory_overhead:{}", startup);
            line!("used_memory_startup:{}", startup);
            line!("used_memory_dataset:{}", used - startup);
            line!("used_memory_dataset_perc:{:.2}%", (used - startup) as f64 * 100.0 / used.max(1) as f64);
            line!("allocator_allocated:{}", allocated);
            line!("allocator_active:{}", active);
            line!("allocator_resident:{}", resident);
            line!("total_system_memory:{}", total);
            line!("total_system_memory_human:{}", human(total));
            // Every shard has its own VM (summed) and the same scripts and libraries (one copy
            // counted).
            let lua: usize = reports.iter().map(|r| r.scripting[0]).sum();
            let one = |k: usize| reports.iter().map(|r| r.scripting[k]).max().unwrap_or(0);
            let (scripts, scripts_mem, functions, functions_mem) = (one(1), one(2), one(3), one(4));
            line!("used_memory_lua:{}", lua);
            line!("used_memory_vm_eval:{}", lua);
            line!("used_memory_lua_human:{}", human(lua as u64));
            line!("used_memory_scripts_eval:{}", scripts_mem);
            line!("number_of_cached_scripts:{}", scripts);
            line!("number_of_functions:{}", functions);
            line!("used_memory_vm_functions:0");
            line!("used_memory_vm_total:{}", lua);
            line!("used_memory_vm_total_human:{}", human(lua as u64));
            line!("used_memory_functions:{}", functions_mem);
            line!("used_memory_scripts:{}", scripts_mem + functions_mem);
            line!("used_memory_scripts_human:{}", human((scripts_mem + functions_mem) as u64));
            line!("maxmemory:{}", cfg.maxmemory);
            line!("maxmemory_human:{}", human(cfg.maxmemory));
            line!("maxmemory_policy:{}", cfg.maxmemory_policy);
            line!("allocator_frag_ratio:{:.2}", active as f64 / allocated.max(1) as f64);
            line!("allocator_frag_bytes:{}", active.saturating_sub(allocated));
            line!("allocator_rss_ratio:{:.2}", resident as f64 / active.max(1) as f64);
            line!("allocator_rss_bytes:{}", resident.saturating_sub(active));
            line!("rss_overhead_ratio:{:.2}", rss as f64 / resident.max(1) as f64);
            line!("rss_overhead_bytes:{}", rss as i64 - resident as i64);
            line!("mem_fragmentation_ratio:{:.2}", rss as f64 / used.max(1) as f64);
            line!("mem_fragmentation_bytes:{}", rss as i64 - used as i64);
            line!("mem_not_counted_for_evict:{}", crate::memory::not_counted_for_evict());
            line!("mem_replication_backlog:0");
            line!("mem_total_replication_buffers:0");
            line!("mem_clients_slaves:0");
            line!("mem_clients_normal:0");
            line!("mem_cluster_links:0");
            line!("mem_aof_buffer:0");
            line!("mem_allocator:jemalloc-5.3.0");
            line!("lazyfree_pending_objects:0");
        }
        "persistence" => {
            line!("# Persistence");
            let loading = &shared.saves.loading;
            let is_loading = loading.active.load(Ordering::Relaxed);
            line!("loading:{}", is_loading as u8);
            line!("async_loading:0");
            line!("rdb_changes_since_last_save:{}", reports.iter().map(|r| r.changes).sum::<u64>());
            let saves = &shared.saves;
            let saving = saves.in_progress.load(Ordering::Relaxed);
            line!("rdb_bgsave_in_progress:{}", saving as u8);
            line!("rdb_last_save_time:{}", super::persist::last_save(core));
            line!("rdb_last_bgsave_status:{}", if saves.last_failed.load(Ordering::Relaxed) { "err" } else { "ok" });
            line!("rdb_last_bgsave_time_sec:{}", saves.last_secs.load(Ordering::Relaxed));
            let current = match saving {
                true => (crate::shard::now_ms().saturating_sub(saves.started_ms.load(Ordering::Relaxed)) / 1000) as i64,
                false => -1,
            };
            line!("rdb_current_bgsave_time_sec:{current}");
            line!("rdb_saves:{}", shared.saves.count.load(Ordering::Relaxed));
            line!("aof_enabled:0");
            line!("aof_rewrite_in_progress:0");
            line!("aof_rewrite_scheduled:0");
            line!("aof_last_write_status:ok");
            if is_loading {
                // As Redis computes them.
                let (total, done) = (loading.total.load(Ordering::Relaxed), loading.loaded.load(Ordering::Relaxed));
                let started = loading.started.load(Ordering::Relaxed);
                let elapsed = (crate::shard::now_ms() / 1000).saturating_sub(started);
                let eta = if elapsed == 0 { 1 } else { elapsed * total.saturating_sub(done) / (done + 1) };
                line!("loading_start_time:{started}");
                line!("loading_total_bytes:{total}");
                line!("loading_rdb_used_mem:0");
                line!("loading_loaded_bytes:{done}");
                line!("loading_loaded_perc:{:.2}", done as f64 / (total + 1) as f64 * 100.0);
                line!("loading_eta_seconds:{eta}");
            }
        }
        "stats" => {
            line!("# Stats");
            line!("total_connections_received:{}", sum(reports, 1));
            line!("total_commands_processed:{}", sum(reports, 0));
            line!("instantaneous_ops_per_sec:0");
            line!("total_net_input_bytes:{}", sum(reports, 3));
            line!("total_net_output_bytes:{}", sum(reports, 4));
            line!("instantaneous_input_kbps:0.00");
            line!("instantaneous_output_kbps:0.00");
            line!("rejected_connections:{}", sum(reports, 2));
            line!("expired_keys:{}", sum(reports, 8));
            line!("evicted_keys:{}", sum(reports, 9));
            line!("evicted_clients:{}", sum(reports, 10));
            let (total, current) = core.shared.budget.exceeded_time(core.now_ms);
            line!("total_eviction_exceeded_time:{total}");
            line!("current_eviction_exceeded_time:{current}");
            line!("keyspace_hits:{}", sum(reports, 6));
            line!("keyspace_misses:{}", sum(reports, 7));
            // Every shard's directory knows the whole server's channels and patterns.
            use crate::pubsub::Kind;
            line!("pubsub_channels:{}", core.pubsub.count(Kind::Channel));
            line!("pubsub_patterns:{}", core.pubsub.count(Kind::Pattern));
            line!("pubsubshard_channels:{}", core.pubsub.count(Kind::Shard));
            line!("latest_fork_usec:0");
            line!("total_forks:0");
            line!("tracking_total_keys:{}", reports.iter().map(|r| r.tracking[1]).sum::<usize>());
            line!("tracking_total_items:{}", reports.iter().map(|r| r.tracking[2]).sum::<usize>());
            line!("tracking_total_prefixes:{}", core.tracking.prefixes());
            line!("unexpected_error_replies:0");
            line!("total_error_replies:{}", sum(reports, 5));
        }
        "replication" => {
            line!("# Replication");
            line!("role:master");
            line!("connected_slaves:0");
            line!("master_failover_state:no-failover");
            line!("master_replid:{}", shared.run_id);
            line!("master_replid2:0000000000000000000000000000000000000000");
            line!("master_repl_offset:0");
            line!("second_repl_offset:-1");
            line!("repl_backlog_active:0");
            line!("repl_backlog_size:1048576");
            line!("repl_backlog_first_byte_offset:0");
            line!("repl_backlog_histlen:0");
        }
        "cpu" => {
            let (sys, user) = rusage(libc::RUSAGE_SELF);
            let (tsys, tuser) = rusage(libc::RUSAGE_THREAD);
            line!("# CPU");
            line!("used_cpu_sys:{:.6}", sys);
            line!("used_cpu_user:{:.6}", user);
            line!("used_cpu_sys_children:0.000000");
            line!("used_cpu_user_children:0.000000");
            line!("used_cpu_sys_main_thread:{:.6}", tsys);
            line!("used_cpu_user_main_thread:{:.6}", tuser);
        }
        "modules" => line!("# Modules"),
        "commandstats" => {
            line!("# Commandstats");
            let reg = registry();
            for (id, entry) in reg.entries.iter().enumerate() {
                let mut total = CmdStat::default();
                for r in reports {
                    let s = r.commands.get(id).copied().unwrap_or_default();
                    total.calls += s.calls;
                    total.usec += s.usec;
                    total.rejected_calls += s.rejected_calls;
                    total.failed_calls += s.failed_calls;
                }
                if total.calls == 0 && total.rejected_calls == 0 && total.failed_calls == 0 {
                    continue;
                }
                let per = if total.calls > 0 { total.usec as f64 / total.calls as f64 } else { 0.0 };
                line!(
                    "cmdstat_{}:calls={},usec={},usec_per_call={:.2},rejected_calls={},failed_calls={}",
                    entry.full_name,
                    total.calls,
                    total.usec,
                    per,
                    total.rejected_calls,
                    total.failed_calls
                );
            }
        }
        "errorstats" => {
            line!("# Errorstats");
            let mut errors: Vec<(Vec<u8>, u64)> = Vec::new();
            for r in reports {
                for (code, n) in &r.errors {
                    match errors.iter_mut().find(|(c, _)| c == code) {
                        Some((_, total)) => *total += n,
                        None => errors.push((code.clone(), *n)),
                    }
                }
            }
            errors.sort();
            for (code, n) in errors {
                line!("errorstat_{}:count={}", String::from_utf8_lossy(&code), n);
            }
        }
        "cluster" => {
            line!("# Cluster");
            line!("cluster_enabled:0");
        }
        "keyspace" => {
            line!("# Keyspace");
            for db in 0..core.dbs.len() {
                let keys: usize = reports.iter().map(|r| r.keys.get(db).map(|k| k.1).unwrap_or(0)).sum();
                let expires: usize = reports.iter().map(|r| r.keys.get(db).map(|k| k.2).unwrap_or(0)).sum();
                if keys > 0 {
                    line!("db{}:keys={},expires={},avg_ttl=0", db, keys, expires);
                }
            }
        }
        _ => {}
    }
}

fn os_line() -> String {
    // SAFETY: uname fills the zeroed struct we own; its fields are NUL-terminated.
    unsafe {
        let mut u: libc::utsname = std::mem::zeroed();
        libc::uname(&mut u);
        let s = |f: &[libc::c_char]| std::ffi::CStr::from_ptr(f.as_ptr()).to_string_lossy().into_owned();
        format!("{} {} {}", s(&u.sysname), s(&u.release), s(&u.machine))
    }
}

/// TIME
fn time(cx: &mut Cx) -> R {
    let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or_default();
    let out = cx.out();
    out.array(2);
    out.bulk(now.as_secs().to_string().as_bytes());
    out.bulk(now.subsec_micros().to_string().as_bytes());
    Ok(Flow::Done)
}

/// LOLWUT [VERSION version]
fn lolwut(cx: &mut Cx) -> R {
    let argv = cx.argv;
    // Like Redis, only `VERSION n` is looked at; other arguments are ignored.
    if argv.len() == 3 && argv.is(1, "VERSION") {
        int_arg(argv.get(2))?;
    }
    let text = format!("Redis ver. {}\n", crate::REDIS_VERSION);
    cx.out().verbatim(b"txt", text.as_bytes());
    Ok(Flow::Done)
}

/// MONITOR
fn monitor(cx: &mut Cx) -> R {
    if cx.core.exec_tx.is_some() {
        return Err(CmdError::other("ERR MONITOR isn't allowed for DENY BLOCKING client"));
    }
    if !cx.conn.monitor {
        cx.conn.monitor = true;
        cx.core.shared.monitors.fetch_add(1, Ordering::Relaxed);
    }
    cx.out().ok();
    Ok(Flow::Done)
}

/// Whether the server was started with `SHARDIS_TEST_HOOKS=1` in its environment, which opens
/// DEBUG subcommands that exist only for shardis's own tests (DEBUG PANIC-FOR-TESTS).
fn test_hooks() -> bool {
    static HOOKS: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    *HOOKS.get_or_init(|| std::env::var_os("SHARDIS_TEST_HOOKS").is_some_and(|v| v == "1"))
}

/// Whether a client is on loopback or the Unix socket, as Redis's islocalClient decides it.
/// The refusal of a protected command (DEBUG) that `enable-debug-command` does not allow for
/// `conn`, checked at dispatch with the other rejections (so inside MULTI it aborts EXEC).
pub fn protected_refusal(core: &Core, conn: &crate::server::conn::Conn) -> Option<String> {
    if core.config.enable_debug_command.allows(is_local_client(conn)) {
        return None;
    }
    Some(
        "ERR DEBUG command not allowed. If the enable-debug-command option is set to \"local\", you can run it \
         from a local connection, otherwise you need to set this option in the configuration file, and then \
         restart the server."
            .into(),
    )
}

fn is_local_client(conn: &crate::server::conn::Conn) -> bool {
    conn.unix || conn.peer.starts_with("127.0.0.1:") || conn.peer.starts_with("[::1]:")
}

/// How long DEBUG SLEEP sleeps, in microseconds, as Redis 7.0 computes it: C's strtod of the
/// argument (a prefix is enough, garbage reads as 0, hex is accepted), times a million,
/// converted to `long long`. NaN, infinities and values past `long long` convert (on x86-64) to
/// LLONG_MIN, a negative time for which nanosleep fails at once: Redis then answers +OK without
/// sleeping, and so do we.
fn debug_sleep_micros(arg: &[u8]) -> u64 {
    let micros = super::strtod(arg).0 * 1e6;
    // 2^63 as f64: the first value past `long long`.
    if (1.0..9_223_372_036_854_775_808.0).contains(&micros) {
        micros as u64
    } else {
        0
    }
}

/// DEBUG RELOAD [MERGE] [NOFLUSH] [NOSAVE]: saves a set (unless NOSAVE), then every shard
/// empties its databases (unless NOFLUSH) and loads its keys from the set; MERGE lets loaded
/// keys replace existing ones, as without it (Redis refuses duplicates without MERGE; here the
/// loaded key wins either way).
fn debug_reload(cx: &mut Cx) -> R {
    let argv = cx.argv;
    let (mut nosave, mut noflush) = (false, false);
    for i in 2..argv.len() {
        if argv.is(i, "NOSAVE") {
            nosave = true;
        } else if argv.is(i, "NOFLUSH") {
            noflush = true;
        } else if !argv.is(i, "MERGE") {
            return Err(CmdError::other("ERR DEBUG RELOAD only supports the MERGE, NOFLUSH and NOSAVE options."));
        }
    }
    let reload = move |core: &mut Core| -> Flow {
        let shards = core.shards();
        FanOut::all(
            shards,
            |_| {
                Box::new(move |core: &mut Core| -> JobOut {
                    Box::new(crate::persistence::snapshot::reload_here(core, !noflush))
                })
            },
            Box::new(|_core, conn, parts| {
                let failed = parts.into_iter().find_map(|p| p.downcast::<Result<(), String>>().ok()?.err());
                match failed {
                    Some(e) => {
                        crate::warning!("DEBUG RELOAD failed: {e}");
                        conn.out.error(b"ERR Error trying to load the RDB dump, check server logs.");
                    }
                    None => conn.out.ok(),
                }
                Flow::Done
            }),
        )
    };
    if cx.core.shared.saves.in_progress.load(Ordering::SeqCst) {
        return Err(CmdError::other("ERR Background save already in progress"));
    }
    if nosave {
        return Ok(reload(cx.core));
    }
    Ok(super::persist::save_flow(
        cx.core,
        |_| {},
        Box::new(move |core, conn, result| match result {
            Ok(()) => reload(core),
            Err(_) => {
                conn.out.error(b"ERR");
                Flow::Done
            }
        }),
    ))
}

/// Sleeps `micros` on this shard's thread in slices, so that SIGTERM or a SHUTDOWN from another
/// shard still stops the server: Redis's DEBUG SLEEP 1e12 blocks its process for good, which a
/// server of many shards must not copy.
fn debug_sleep(shared: &crate::shard::Shared, micros: u64) {
    const SLICE: Duration = Duration::from_millis(10);
    let deadline = std::time::Instant::now().checked_add(Duration::from_micros(micros));
    while !shared.shutting_down.load(Ordering::Relaxed) {
        let left = match deadline {
            Some(d) => d.saturating_duration_since(std::time::Instant::now()),
            None => SLICE,
        };
        if left.is_zero() {
            break;
        }
        std::thread::sleep(left.min(SLICE));
    }
}

/// DEBUG subcommand [argument ...] — the subset shardis supports, listed in DEBUG HELP.
fn debug(cx: &mut Cx) -> R {
    let argv = cx.argv;
    let sub = argv.get(1);
    if sub.eq_ignore_ascii_case(b"help") {
        help(
            cx.out(),
            "DEBUG",
            &[
                "SLEEP <seconds>",
                "    Stop the server for <seconds>. Decimals allowed.",
                "SET-ACTIVE-EXPIRE <0|1>",
                "    Setting it to 0 disables expiring keys in background when they are not accessed.",
                "LOG <message>",
                "    Write <message> to the server log.",
                "SHARD <key>",
                "    (shardis) Return the index of the shard that owns <key>.",
                "CONN-SHARD",
                "    (shardis) Return the index of the shard this connection lives on.",
                "SHARDS",
                "    (shardis) Return, per shard, the number of keys in the current database.",
            ],
        );
    } else if sub.eq_ignore_ascii_case(b"reload") {
        return debug_reload(cx);
    } else if sub.eq_ignore_ascii_case(b"sleep") && argv.len() == 3 {
        // DEBUG SLEEP stops the whole server in Redis; here it stops this shard's thread.
        debug_sleep(&cx.core.shared, debug_sleep_micros(argv.get(2)));
        cx.out().ok();
    } else if sub.eq_ignore_ascii_case(b"hold-inbox") && argv.len() == 3 && test_hooks() {
        // Tests only: this shard reads no message from other shards for <ms> milliseconds, so
        // that a test can catch a reply that did not wait for this shard.
        let ms = int_arg(argv.get(2))?.max(0) as u64;
        cx.core.inbox_held_until = Some(Instant::now() + Duration::from_millis(ms));
        cx.out().ok();
    } else if sub.eq_ignore_ascii_case(b"snapshot-pace") && argv.len() == 4 && test_hooks() {
        // Tests only: background saves write <segments> segments per slice, <ms> apart, on
        // every shard (0 0: as fast as they can), so that writes surely overlap a save.
        let (segments, ms) = (int_arg(argv.get(2))?.max(0) as usize, int_arg(argv.get(3))?.max(0) as u64);
        let pace = (segments > 0).then(|| (segments, Duration::from_millis(ms)));
        return Ok(FanOut::apply(cx.core.shards(), move |core| core.snapshot.pace = pace));
    } else if sub.eq_ignore_ascii_case(b"panic-for-tests") && argv.len() == 2 && test_hooks() {
        panic!("DEBUG PANIC-FOR-TESTS");
    } else if sub.eq_ignore_ascii_case(b"set-active-expire") && argv.len() == 3 {
        cx.out().ok();
    } else if sub.eq_ignore_ascii_case(b"log") && argv.len() == 3 {
        crate::warning!("DEBUG LOG: {}", String::from_utf8_lossy(argv.get(2)));
        cx.out().ok();
    } else if sub.eq_ignore_ascii_case(b"shard") && argv.len() == 3 {
        let shard = cx.core.owner(argv.get(2)) as i64;
        cx.out().int(shard);
    } else if sub.eq_ignore_ascii_case(b"conn-shard") && argv.len() == 2 {
        // shardis only: the shard this connection lives on (tests place clients with it).
        let shard = cx.core.id as i64;
        cx.out().int(shard);
    } else if sub.eq_ignore_ascii_case(b"shards") && argv.len() == 2 {
        let db = cx.conn.db;
        let shards = cx.core.shards();
        return Ok(FanOut::all(
            shards,
            |_| Box::new(move |core: &mut Core| -> JobOut { Box::new(core.dbs[db].len() as i64) }),
            Box::new(|_core, conn, parts| {
                conn.out.array(parts.len());
                for part in parts {
                    conn.out.int(part.downcast::<i64>().map(|n| *n).unwrap_or(0));
                }
                Flow::Done
            }),
        ));
    } else {
        return Err(CmdError::other(format!(
            "ERR unknown subcommand or wrong number of arguments for '{}'. Try DEBUG HELP.",
            String::from_utf8_lossy(sub)
        )));
    }
    Ok(Flow::Done)
}

/// SLOWLOG GET [count]
fn slowlog_get(cx: &mut Cx) -> R {
    let count = match cx.argv.len() {
        2 => 10,
        _ => {
            let n = super::parse_i64(cx.argv.get(2))
                .ok_or_else(|| CmdError::other("ERR count should be greater than or equal to -1"))?;
            if n < -1 {
                return Err(CmdError::other("ERR count should be greater than or equal to -1"));
            }
            if n == -1 {
                usize::MAX
            } else {
                n as usize
            }
        }
    };
    let shards = cx.core.shards();
    Ok(FanOut::all(
        shards,
        |_| {
            Box::new(move |core: &mut Core| -> JobOut {
                Box::new(core.slowlog.iter().take(count).cloned().collect::<Vec<_>>())
            })
        },
        Box::new(move |_core, conn, parts| {
            let mut entries: Vec<SlowEntry> = Vec::new();
            for part in parts {
                if let Ok(part) = part.downcast::<Vec<SlowEntry>>() {
                    entries.extend(*part);
                }
            }
            entries.sort_by_key(|e| std::cmp::Reverse(e.id));
            entries.truncate(count);
            let out = &mut conn.out;
            out.array(entries.len());
            for e in entries {
                out.array(6);
                out.int(e.id as i64);
                out.int(e.time as i64);
                out.int(e.micros as i64);
                out.array(e.args.len());
                for a in &e.args {
                    out.bulk(a);
                }
                out.bulk(e.peer.as_bytes());
                out.bulk(e.name.as_bytes());
            }
            Flow::Done
        }),
    ))
}

/// SLOWLOG LEN
fn slowlog_len(cx: &mut Cx) -> R {
    Ok(FanOut::sum(cx.core.shards(), |core: &mut Core| core.slowlog.len() as i64))
}

/// SLOWLOG RESET
fn slowlog_reset(cx: &mut Cx) -> R {
    Ok(FanOut::apply(cx.core.shards(), |core: &mut Core| core.slowlog.clear()))
}

/// SLOWLOG HELP
fn slowlog_help(cx: &mut Cx) -> R {
    help(
        cx.out(),
        "SLOWLOG",
        &[
            "GET [<count>]",
            "    Return top <count> entries from the slowlog (default: 10, -1 mean all).",
            "    Entries are made of:",
            "    id, timestamp, time in microseconds, arguments array, client IP and port,",
            "    client name",
            "LEN",
            "    Return the length of the slowlog.",
            "RESET",
            "    Reset the slowlog.",
        ],
    );
    Ok(Flow::Done)
}

/// LATENCY DOCTOR
fn latency_doctor(cx: &mut Cx) -> R {
    let text = "I'm sorry, Dave, I can't do that. Latency monitoring is disabled in this Redis instance. You may use \
                \"CONFIG SET latency-monitor-threshold <milliseconds>.\" in order to enable it. If we weren't in a deep \
                space mission I'd suggest to take a look at https://redis.io/topics/latency-monitor.\n";
    let text = if cx.core.config.latency_monitor_threshold == 0 {
        text.to_string()
    } else {
        "Dave, no latency spike was observed during the lifetime of this Redis instance, not in the slightest bit. \
         I honestly think you ought to sleep tonight.\n"
            .to_string()
    };
    cx.out().verbatim(b"txt", text.as_bytes());
    Ok(Flow::Done)
}

/// LATENCY LATEST / LATENCY HISTORY event: no latency events are recorded yet.
fn latency_empty(cx: &mut Cx) -> R {
    cx.out().array(0);
    Ok(Flow::Done)
}

/// LATENCY RESET [event ...]
fn latency_reset(cx: &mut Cx) -> R {
    cx.out().int(0);
    Ok(Flow::Done)
}

/// LATENCY HISTOGRAM [command ...]: per command that has run, its calls and the cumulative
/// counts of its latency buckets (see [`crate::shard::LATENCY_BUCKETS`]), summed over shards.
/// Like Redis: named commands in the order given (repeats repeated, unknown ones and ones that
/// never ran skipped, a container also bringing its subcommands); with no names, every command.
fn latency_histogram(cx: &mut Cx) -> R {
    let reg = registry();
    let mut ids: Vec<usize> = Vec::new();
    let with_subs = |id: usize, ids: &mut Vec<usize>| {
        ids.push(id);
        ids.extend(reg.entries[id].spec.subs.iter().filter_map(|s| reg.lookup_sub(id, s.name.as_bytes())));
    };
    if cx.argv.len() == 2 {
        for (id, _) in reg.top_level() {
            with_subs(id, &mut ids);
        }
    } else {
        for name in cx.argv.iter().skip(2) {
            if let Some(id) = super::introspection::lookup_full(&cx.core.renames, name) {
                with_subs(id, &mut ids);
            }
        }
    }
    let shards = cx.core.shards();
    Ok(FanOut::all(
        shards,
        |_| Box::new(|core: &mut Core| -> JobOut { Box::new(core.stats.latency.clone()) }),
        Box::new(move |_core, conn, parts| {
            let mut total = vec![[0u64; LATENCY_BUCKETS]; registry().len()];
            for part in parts {
                if let Ok(part) = part.downcast::<Vec<Option<Box<LatencyHistogram>>>>() {
                    for (sum, h) in total.iter_mut().zip(part.iter()).filter_map(|(sum, h)| Some((sum, h.as_deref()?)))
                    {
                        for (s, n) in sum.iter_mut().zip(h) {
                            *s += n;
                        }
                    }
                }
            }
            let ran: Vec<usize> = ids.into_iter().filter(|&id| total[id].iter().any(|&n| n > 0)).collect();
            let out = &mut conn.out;
            out.map(ran.len());
            for id in ran {
                let h = &total[id];
                out.bulk(registry().entries[id].full_name.as_bytes());
                out.map(2);
                out.bulk(b"calls");
                out.int(h.iter().sum::<u64>() as i64);
                out.bulk(b"histogram_usec");
                out.map(h.iter().filter(|&&n| n > 0).count());
                let mut cumulative = 0;
                for (k, &n) in h.iter().enumerate() {
                    if n > 0 {
                        cumulative += n;
                        out.int(latency_bucket_label(k) as i64);
                        out.int(cumulative as i64);
                    }
                }
            }
            Flow::Done
        }),
    ))
}

/// LATENCY HELP
fn latency_help(cx: &mut Cx) -> R {
    help(
        cx.out(),
        "LATENCY",
        &[
            "DOCTOR",
            "    Return a human readable latency analysis report.",
            "GRAPH <event>",
            "    Return an ASCII latency graph for the <event> class.",
            "HISTORY <event>",
            "    Return time-latency samples for the <event> class.",
            "LATEST",
            "    Return the latest latency samples for all events.",
            "RESET [<event> ...]",
            "    Reset latency data of one or more <event> classes.",
            "    (default: reset all data for all event classes)",
            "HISTOGRAM [COMMAND ...]",
            "    Return a cumulative distribution of latencies in the format of a histogram for the specified command names.",
            "    If no commands are specified then all histograms are replied.",
        ],
    );
    Ok(Flow::Done)
}

/// LATENCY GRAPH event
fn latency_graph(cx: &mut Cx) -> R {
    let event = String::from_utf8_lossy(cx.argv.get(2)).into_owned();
    Err(CmdError::other(format!("ERR No samples available for event '{event}'")))
}

const ADMIN_ACL: &[&str] = &["@admin", "@slow", "@dangerous"];
const NS: u32 = NOSCRIPT | LOADING | STALE;

const CONFIG_SUBS: &[Spec] = &[
    cmd("get", -3, ADMIN | NS, (0, 0, 0), ADMIN_ACL, Handler::Conn(config_get)),
    cmd("set", -4, ADMIN | NS, (0, 0, 0), ADMIN_ACL, Handler::Conn(config_set)),
    cmd("resetstat", 2, ADMIN | NS, (0, 0, 0), ADMIN_ACL, Handler::Conn(config_resetstat)),
    cmd("rewrite", 2, ADMIN | NS, (0, 0, 0), ADMIN_ACL, Handler::Conn(config_rewrite)),
    cmd("help", 2, LOADING | STALE, (0, 0, 0), &["@slow"], Handler::Conn(config_help)),
];

const SLOWLOG_SUBS: &[Spec] = &[
    cmd("get", -2, ADMIN | LOADING | STALE, (0, 0, 0), ADMIN_ACL, Handler::Conn(slowlog_get)),
    cmd("len", 2, ADMIN | LOADING | STALE, (0, 0, 0), ADMIN_ACL, Handler::Conn(slowlog_len)),
    cmd("reset", 2, ADMIN | LOADING | STALE, (0, 0, 0), ADMIN_ACL, Handler::Conn(slowlog_reset)),
    cmd("help", 2, LOADING | STALE, (0, 0, 0), &["@slow"], Handler::Conn(slowlog_help)),
];

const LATENCY_SUBS: &[Spec] = &[
    cmd("doctor", 2, ADMIN | NS, (0, 0, 0), ADMIN_ACL, Handler::Conn(latency_doctor)),
    cmd("latest", 2, ADMIN | NS, (0, 0, 0), ADMIN_ACL, Handler::Conn(latency_empty)),
    cmd("history", 3, ADMIN | NS, (0, 0, 0), ADMIN_ACL, Handler::Conn(latency_empty)),
    cmd("reset", -2, ADMIN | NS, (0, 0, 0), ADMIN_ACL, Handler::Conn(latency_reset)),
    cmd("graph", 3, ADMIN | NS, (0, 0, 0), ADMIN_ACL, Handler::Conn(latency_graph)),
    cmd("histogram", -2, ADMIN | NS, (0, 0, 0), ADMIN_ACL, Handler::Conn(latency_histogram)),
    cmd("help", 2, LOADING | STALE, (0, 0, 0), &["@slow"], Handler::Conn(latency_help)),
];

pub const SPECS: &[Spec] = &[
    container("config", -2, 0, &["@slow"], CONFIG_SUBS),
    cmd("info", -1, LOADING | STALE, (0, 0, 0), &["@slow", "@dangerous"], Handler::Conn(info)),
    cmd("time", 1, LOADING | STALE | FAST, (0, 0, 0), &["@fast"], Handler::Conn(time)),
    cmd(
        "shutdown",
        -1,
        ADMIN | NS | NO_MULTI | ALLOW_BUSY,
        (0, 0, 0),
        ADMIN_ACL,
        Handler::Conn(super::persist::shutdown),
    ),
    cmd("lolwut", -1, READONLY | FAST, (0, 0, 0), &["@read", "@fast"], Handler::Conn(lolwut)),
    cmd(
        "save",
        1,
        ADMIN | NOSCRIPT | NO_ASYNC_LOADING | NO_MULTI,
        (0, 0, 0),
        ADMIN_ACL,
        Handler::Conn(super::persist::save),
    ),
    cmd("bgsave", -1, ADMIN | NOSCRIPT | NO_ASYNC_LOADING, (0, 0, 0), ADMIN_ACL, Handler::Conn(super::persist::bgsave)),
    cmd(
        "lastsave",
        1,
        LOADING | STALE | FAST,
        (0, 0, 0),
        &["@admin", "@fast", "@dangerous"],
        Handler::Conn(super::persist::lastsave),
    ),
    cmd("monitor", 1, ADMIN | NS, (0, 0, 0), ADMIN_ACL, Handler::Conn(monitor)),
    cmd("debug", -2, ADMIN | NS | PROTECTED, (0, 0, 0), ADMIN_ACL, Handler::Conn(debug)),
    container("slowlog", -2, 0, &["@slow"], SLOWLOG_SUBS),
    container("latency", -2, 0, &["@slow"], LATENCY_SUBS),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_sleep_times_like_redis() {
        // Redis 7.0.15 answers +OK at once for each of these ((long long) of NaN, of an infinity
        // or of anything past 2^63 is LLONG_MIN on x86-64: nanosleep refuses it).
        for v in ["nan", "inf", "-inf", "1e30", "9.3e12", "-1", "-0.5", "abc", "", "1e-7"] {
            assert_eq!(debug_sleep_micros(v.as_bytes()), 0, "{v}");
        }
        assert_eq!(debug_sleep_micros(b"0.25"), 250_000);
        // strtod reads a prefix, skips leading blanks and reads hex, as Redis's sleep does.
        assert_eq!(debug_sleep_micros(b"0.1abc"), 100_000);
        assert_eq!(debug_sleep_micros(b" 0.2"), 200_000);
        assert_eq!(debug_sleep_micros(b"0x1"), 1_000_000);
        assert_eq!(debug_sleep_micros(b"1e12"), 1_000_000_000_000_000_000);
    }
}
