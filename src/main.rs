//! `shardis-server [path/redis.conf] [--directive value ...]`
//!
//! The only place that deals with the process as a whole: configuration, daemonizing, pid file,
//! signals, logging set-up; then it starts the shards and waits for them.

use std::path::Path;

use anyhow::Context;
use clap::Parser;

use shardis::config::{Cli, Config};
use shardis::server::{self, Server};
use shardis::{notice, warning};

#[global_allocator]
static GLOBAL: shardis::memory::Counting = shardis::memory::Counting;

fn main() {
    GLOBAL.start();
    let cli = Cli::parse();
    if let Err(e) = run(cli) {
        eprintln!("{e:#}");
        std::process::exit(1);
    }
}

fn run(cli: Cli) -> anyhow::Result<()> {
    let (mut config, warnings) = match Config::from_args(&cli.args) {
        Ok(loaded) => loaded,
        Err(e) => {
            eprintln!("{e}");
            std::process::exit(1);
        }
    };
    if config.daemonize {
        daemonize()?;
    }
    // After the fork: a forked child has none of its parent's threads.
    shardis::memory::background_threads(config.jemalloc_bg_thread);
    if let Some(level) = shardis::log::Level::parse(config.loglevel.name()) {
        shardis::log::set_level(level);
    }
    let logfile = config.logfile.as_ref().map(|p| p.display().to_string()).unwrap_or_default();
    shardis::log::set_file(&logfile).with_context(|| format!("Can't open the log file: {logfile}"))?;
    config.validate_paths().map_err(|e| anyhow::anyhow!("{e}"))?;
    std::env::set_current_dir(&config.dir).with_context(|| format!("Can't chdir to '{}'", config.dir.display()))?;

    let cpus = server::affinity_cpus();
    let shards = if config.shards > 0 { config.shards } else { cpus.len().max(1) };
    notice!("oO0OoO0OoO0Oo shardis is starting oO0OoO0OoO0Oo");
    notice!(
        "shardis version={}, Redis compatible version={}, bits=64, pid={}, just started",
        shardis::SHARDIS_VERSION,
        shardis::REDIS_VERSION,
        std::process::id()
    );
    match &config.config_file {
        Some(path) => notice!("Configuration loaded from {}", path.display()),
        None => warning!("No config file specified, using the default config. In order to specify a config file use shardis-server /path/to/redis.conf"),
    }
    for w in &warnings {
        warning!("{}", w);
    }
    server::adjust_open_files_limit(&mut config)?;
    if let Some(pidfile) = &config.pidfile {
        std::fs::write(pidfile, format!("{}\n", std::process::id()))
            .with_context(|| format!("Failed to write PID file {}", pidfile.display()))?;
    }

    // Before any shard starts: a panic on one must stop them all (see shardis::crash).
    shardis::crash::install_panic_hook();
    // Build the command table and parse the command docs now, not on the first client's COMMAND.
    shardis::commands::registry();
    shardis::clock::calibrate();
    if let Some(e) = shardis::commands::docs::load_error() {
        warning!("Command docs unavailable: {}", e);
    }
    // Shard threads inherit this mask, so only the signal thread below sees SIGTERM/SIGINT.
    let signals = block_signals();
    let server = match Server::start(config.clone(), shards, cpus.clone()) {
        Ok(s) => s,
        Err(e) => {
            warning!("Warning: {}", e);
            warning!("Failed listening on port {} (tcp), aborting.", config.port);
            remove_pidfile(config.pidfile.as_deref());
            std::process::exit(1);
        }
    };
    let shared = server.shared.clone();
    let save = !config.save.is_empty();
    std::thread::spawn(move || wait_for_signal(signals, &shared, save));
    notice!(
        "Running mode=standalone, port={}, shards={} on CPUs {:?}.",
        server.shared.tcp_port.load(std::sync::atomic::Ordering::Relaxed),
        shards,
        (0..shards).map(|i| cpus[i % cpus.len()]).collect::<Vec<_>>()
    );
    notice!("Server initialized");
    if config.port != 0 {
        notice!("Ready to accept connections tcp");
    }
    if let Some(path) = &config.unixsocket {
        notice!("Ready to accept connections unix at {}", path.display());
    }
    server.wait()?;
    if let Some(path) = &config.unixsocket {
        let _ = std::fs::remove_file(path);
    }
    remove_pidfile(config.pidfile.as_deref());
    warning!("shardis is now ready to exit, bye bye...");
    Ok(())
}

fn remove_pidfile(path: Option<&Path>) {
    if let Some(path) = path {
        let _ = std::fs::remove_file(path);
    }
}

fn block_signals() -> libc::sigset_t {
    // SAFETY: sigset manipulation on a zeroed set we own; pthread_sigmask for this thread.
    unsafe {
        let mut set: libc::sigset_t = std::mem::zeroed();
        libc::sigemptyset(&mut set);
        libc::sigaddset(&mut set, libc::SIGTERM);
        libc::sigaddset(&mut set, libc::SIGINT);
        libc::pthread_sigmask(libc::SIG_BLOCK, &set, std::ptr::null_mut());
        libc::signal(libc::SIGPIPE, libc::SIG_IGN);
        set
    }
}

/// Every SIGTERM or SIGINT asks for a shutdown, with a save when save points are set (a failed
/// save keeps the server up, and a later signal tries again).
fn wait_for_signal(set: libc::sigset_t, shared: &shardis::shard::Shared, save: bool) {
    loop {
        let mut sig: libc::c_int = 0;
        // SAFETY: sigwait on a set we built; `sig` is a live int.
        unsafe { libc::sigwait(&set, &mut sig) };
        let name = if sig == libc::SIGINT { "SIGINT" } else { "SIGTERM" };
        shardis::commands::persist::on_signal(shared, name, save);
    }
}

/// Classic double-fork-free daemonizing, as Redis does: fork, the parent exits, the child starts a
/// new session and points stdio at /dev/null.
fn daemonize() -> anyhow::Result<()> {
    // SAFETY: called before any thread is started; the child continues with this single thread.
    unsafe {
        match libc::fork() {
            -1 => anyhow::bail!("fork failed: {}", std::io::Error::last_os_error()),
            0 => {}
            _ => libc::_exit(0),
        }
        libc::setsid();
        let null = libc::open(c"/dev/null".as_ptr(), libc::O_RDWR);
        if null >= 0 {
            libc::dup2(null, 0);
            libc::dup2(null, 1);
            libc::dup2(null, 2);
            if null > 2 {
                libc::close(null);
            }
        }
    }
    Ok(())
}
