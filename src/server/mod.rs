//! Listening sockets, shard threads, start and stop.
//!
//! Every shard binds its own socket on each `bind` address and the same port with SO_REUSEPORT,
//! so the kernel spreads new connections over the shards. SO_REUSEPORT would also let a second
//! process join the group silently, so before binding, each address is probed with a plain socket
//! (no SO_REUSEPORT): if anyone holds the port, start-up fails with Redis's "Address already in
//! use" message. A Unix socket cannot be shared that way; shard 0 creates it and every shard
//! accepts on the same descriptor.

pub mod bufring;
pub mod conn;
pub mod exec;
pub mod reactor;
pub mod task;

use std::ffi::CString;
use std::net::{IpAddr, SocketAddr};
use std::os::fd::RawFd;
use std::sync::Arc;

use crate::config::Config;
use crate::shard::mesh::Msg;
use crate::shard::{Core, Shared};
use reactor::{Listener, Reactor};

/// Why the server could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("Could not create server TCP listening socket {addr}: {what}: {err}")]
    Listen { addr: String, what: &'static str, err: std::io::Error },
    #[error("Failed opening Unix socket: {0}")]
    Unix(std::io::Error),
    #[error("{0}")]
    Io(#[from] std::io::Error),
    /// The ACL users could not be loaded (`user` lines, `aclfile`).
    #[error("{0}")]
    Acl(String),
}

/// File descriptors kept for other than clients, as Redis's CONFIG_MIN_RESERVED_FDS.
const RESERVED_FDS: u64 = 32;

/// Raises the open-file limit to what `maxclients` needs, or lowers `maxclients` to what the
/// limit allows, saying so, as Redis's adjustOpenFilesLimit does. Err: too few to start.
pub fn adjust_open_files_limit(config: &mut Config) -> anyhow::Result<()> {
    let want = config.maxclients as u64 + RESERVED_FDS;
    let mut limit = libc::rlimit { rlim_cur: 0, rlim_max: 0 };
    // SAFETY: getrlimit only writes the struct we pass.
    if unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) } == -1 {
        crate::warning!(
            "Unable to obtain the current NOFILE limit ({}), assuming 1024 and setting the max clients configuration accordingly.",
            std::io::Error::last_os_error()
        );
        config.maxclients = (1024 - RESERVED_FDS) as u32;
        return Ok(());
    }
    let old = limit.rlim_cur;
    if old >= want {
        return Ok(());
    }
    let mut best = want;
    let mut error = None;
    while best > old {
        let tried = libc::rlimit { rlim_cur: best, rlim_max: best.max(limit.rlim_max) };
        // SAFETY: setrlimit only reads the struct we pass.
        if unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &tried) } != -1 {
            break;
        }
        error = Some(std::io::Error::last_os_error());
        if best < 16 {
            best = old;
            break;
        }
        best -= 16;
    }
    best = best.max(old);
    if best < want {
        if best <= RESERVED_FDS {
            anyhow::bail!(
                "Your current 'ulimit -n' of {old} is not enough for the server to start. Please increase your open file limit to at least {want}. Exiting."
            );
        }
        let requested = config.maxclients;
        config.maxclients = (best - RESERVED_FDS) as u32;
        crate::warning!("You requested maxclients of {requested} requiring at least {want} max file descriptors.");
        crate::warning!(
            "Server can't set maximum open files to {want} because of OS error: {}.",
            error.map_or_else(String::new, |e| e.to_string())
        );
        crate::warning!(
            "Current maximum open files is {best}. maxclients has been reduced to {} to compensate for low ulimit. If you need higher maxclients increase 'ulimit -n'.",
            config.maxclients
        );
    } else {
        crate::notice!("Increased maximum number of open files to {want} (it was originally set to {old}).");
    }
    Ok(())
}

/// A running server: its threads and what they share.
pub struct Server {
    pub shared: Arc<Shared>,
    threads: Vec<std::thread::JoinHandle<std::io::Result<()>>>,
}

impl Server {
    /// Binds, spawns one pinned thread per shard and returns once all are serving.
    pub fn start(config: Config, shards: usize, cpus: Vec<usize>) -> Result<Server, StartError> {
        probe_all(&config)?;
        let mut tcp = Vec::with_capacity(shards);
        for _ in 0..shards {
            tcp.push(tcp_listeners(&config)?.into_iter().map(|(fd, _)| fd).collect::<Vec<_>>());
        }
        let port = config.port;
        let unix = match &config.unixsocket {
            Some(path) => {
                Some(listen_unix(path, config.unixsocketperm, config.tcp_backlog as i32).map_err(StartError::Unix)?)
            }
            None => None,
        };
        let users = Arc::new(crate::acl::file::at_startup(&config).map_err(StartError::Acl)?);
        let files = crate::persistence::snapshot::files_to_load(&config);
        let shared = Arc::new(Shared::new(shards, config.config_file.clone(), port)?);
        if !files.is_empty() {
            let loading = &shared.saves.loading;
            loading.active.store(true, std::sync::atomic::Ordering::SeqCst);
            loading.started.store(crate::shard::now_ms() / 1000, std::sync::atomic::Ordering::Relaxed);
            let total = files.iter().filter_map(|f| std::fs::metadata(f).ok()).map(|m| m.len()).sum();
            loading.total.store(total, std::sync::atomic::Ordering::Relaxed);
        }
        let (ready_tx, ready_rx) = std::sync::mpsc::channel();
        let mut threads = Vec::new();
        for (id, fds) in tcp.into_iter().enumerate() {
            let mut listeners: Vec<Listener> = fds.into_iter().map(|fd| Listener { fd, unix: false }).collect();
            if let Some(fd) = unix {
                listeners.push(Listener { fd, unix: true });
            }
            let (shared, config, users) = (shared.clone(), config.clone(), users.clone());
            let cpu = cpus[id % cpus.len()];
            let ready = ready_tx.clone();
            let loading = !files.is_empty();
            let handle = std::thread::Builder::new().name(format!("shard-{id}")).spawn(move || {
                pin_to(cpu);
                // Built on its own thread: a core holds connection state that never moves.
                let mut core = Core::new(id, shared, config);
                core.acl = crate::acl::Acl::new(users);
                core.snapshot.loading = loading;
                let reactor = Reactor::new(core, listeners);
                let reactor = match reactor {
                    Ok(r) => {
                        let _ = ready.send(Ok(()));
                        r
                    }
                    Err(e) => {
                        let _ = ready.send(Err(std::io::Error::new(e.kind(), e.to_string())));
                        return Err(e);
                    }
                };
                reactor.run()
            })?;
            threads.push(handle);
        }
        for _ in 0..shards {
            ready_rx.recv().map_err(|e| std::io::Error::other(e.to_string()))??;
        }
        if !files.is_empty() {
            let (shared, config) = (shared.clone(), config.clone());
            std::thread::Builder::new()
                .name("loader".into())
                .spawn(move || crate::persistence::snapshot::load_at_start(shared, config, files))?;
        }
        Ok(Server { shared, threads })
    }

    /// Waits for every shard to stop (after SHUTDOWN or [`Server::stop`]).
    pub fn wait(self) -> std::io::Result<()> {
        for t in self.threads {
            t.join().map_err(|_| std::io::Error::other("shard thread panicked"))??;
        }
        Ok(())
    }

    pub fn stop(&self) {
        stop_all(&self.shared);
    }
}

/// Fails if anyone already holds one of the configured TCP addresses.
pub fn probe_all(config: &Config) -> Result<(), StartError> {
    if config.port == 0 {
        return Ok(());
    }
    for addr in bind_addrs(config) {
        if let Some(ip) = addr.ip {
            probe(ip, config.port, &addr.text)?;
        }
    }
    Ok(())
}

/// One listening socket per `bind` address on `port` (none when the port is 0), for one shard.
pub fn tcp_listeners(config: &Config) -> Result<Vec<(RawFd, u16)>, StartError> {
    let mut fds = Vec::new();
    if config.port == 0 {
        return Ok(fds);
    }
    for addr in bind_addrs(config) {
        let Some(ip) = addr.ip else { continue };
        match listen_tcp(ip, config.port, config.tcp_backlog as i32) {
            Ok(fd) => fds.push(fd),
            // `-addr`: skipped when the address does not exist on this host.
            Err((_, err)) if addr.optional && err.raw_os_error() == Some(libc::EADDRNOTAVAIL) => {}
            Err((what, err)) => {
                for (fd, _) in fds {
                    // SAFETY: sockets we just opened.
                    unsafe { libc::close(fd) };
                }
                return Err(StartError::Listen { addr: format!("{}:{}", addr.text, config.port), what, err });
            }
        }
    }
    Ok(fds)
}

/// Asks every shard to stop.
pub fn stop_all(shared: &Shared) {
    shared.shutting_down.store(true, std::sync::atomic::Ordering::SeqCst);
    for shard in 0..shared.shards() {
        shared.mesh.send(shard, Msg::Shutdown);
    }
}

struct BindAddr {
    text: String,
    ip: Option<IpAddr>,
    /// `-` prefix: skip the address if it is not available on this host.
    optional: bool,
}

fn bind_addrs(config: &Config) -> Vec<BindAddr> {
    config
        .bind
        .iter()
        .map(|raw| {
            let optional = raw.starts_with('-');
            let text = raw.trim_start_matches('-').to_string();
            let ip = match text.as_str() {
                "*" => Some(IpAddr::from([0, 0, 0, 0])),
                "::*" => Some(IpAddr::from([0u16; 8])),
                t => t.parse().ok(),
            };
            BindAddr { text, ip, optional }
        })
        .collect()
}

/// Fails if anyone already holds `ip:port`.
fn probe(ip: IpAddr, port: u16, text: &str) -> Result<(), StartError> {
    if port == 0 {
        return Ok(());
    }
    let addr = SocketAddr::new(ip, port);
    match std::net::TcpListener::bind(addr) {
        Ok(_) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::AddrInUse => {
            Err(StartError::Listen { addr: format!("{text}:{port}"), what: "bind", err: e })
        }
        Err(_) => Ok(()),
    }
}

fn listen_tcp(ip: IpAddr, port: u16, backlog: i32) -> Result<(RawFd, u16), (&'static str, std::io::Error)> {
    let last = || std::io::Error::last_os_error();
    let family = if ip.is_ipv4() { libc::AF_INET } else { libc::AF_INET6 };
    // SAFETY: plain socket syscalls on a fd we create and own; address structs are zeroed then
    // filled field by field.
    unsafe {
        let fd = libc::socket(family, libc::SOCK_STREAM | libc::SOCK_CLOEXEC, 0);
        if fd < 0 {
            return Err(("socket", last()));
        }
        let one: libc::c_int = 1;
        let optlen = std::mem::size_of::<libc::c_int>() as libc::socklen_t;
        let onep = &one as *const libc::c_int as *const libc::c_void;
        libc::setsockopt(fd, libc::SOL_SOCKET, libc::SO_REUSEADDR, onep, optlen);
        libc::setsockopt(fd, libc::SOL_SOCKET, libc::SO_REUSEPORT, onep, optlen);
        let rc = match ip {
            IpAddr::V4(v4) => {
                let mut sa: libc::sockaddr_in = std::mem::zeroed();
                sa.sin_family = libc::AF_INET as libc::sa_family_t;
                sa.sin_port = port.to_be();
                sa.sin_addr.s_addr = u32::from(v4).to_be();
                libc::bind(fd, &sa as *const _ as *const libc::sockaddr, std::mem::size_of_val(&sa) as libc::socklen_t)
            }
            IpAddr::V6(v6) => {
                libc::setsockopt(fd, libc::IPPROTO_IPV6, libc::IPV6_V6ONLY, onep, optlen);
                let mut sa: libc::sockaddr_in6 = std::mem::zeroed();
                sa.sin6_family = libc::AF_INET6 as libc::sa_family_t;
                sa.sin6_port = port.to_be();
                sa.sin6_addr.s6_addr = v6.octets();
                libc::bind(fd, &sa as *const _ as *const libc::sockaddr, std::mem::size_of_val(&sa) as libc::socklen_t)
            }
        };
        if rc != 0 {
            let err = last();
            libc::close(fd);
            return Err(("bind", err));
        }
        if libc::listen(fd, backlog) != 0 {
            let err = last();
            libc::close(fd);
            return Err(("listen", err));
        }
        let bound = reactor::sock_name(fd, false);
        let bound_port = bound.rsplit(':').next().and_then(|p| p.parse().ok()).unwrap_or(port);
        Ok((fd, bound_port))
    }
}

fn listen_unix(path: &std::path::Path, perm: u32, backlog: i32) -> std::io::Result<RawFd> {
    use std::os::unix::ffi::OsStrExt;
    let _ = std::fs::remove_file(path);
    let cpath = CString::new(path.as_os_str().as_bytes()).map_err(std::io::Error::other)?;
    // SAFETY: socket syscalls on a fd we own; sun_path is bounded by the length check.
    unsafe {
        let fd = libc::socket(libc::AF_UNIX, libc::SOCK_STREAM | libc::SOCK_CLOEXEC, 0);
        if fd < 0 {
            return Err(std::io::Error::last_os_error());
        }
        let mut sa: libc::sockaddr_un = std::mem::zeroed();
        sa.sun_family = libc::AF_UNIX as libc::sa_family_t;
        let bytes = cpath.as_bytes_with_nul();
        if bytes.len() > sa.sun_path.len() {
            libc::close(fd);
            return Err(std::io::Error::other("unix socket path too long"));
        }
        for (d, s) in sa.sun_path.iter_mut().zip(bytes) {
            *d = *s as libc::c_char;
        }
        if libc::bind(fd, &sa as *const _ as *const libc::sockaddr, std::mem::size_of_val(&sa) as libc::socklen_t) != 0
            || libc::listen(fd, backlog) != 0
        {
            let err = std::io::Error::last_os_error();
            libc::close(fd);
            return Err(err);
        }
        if perm != 0 {
            libc::chmod(cpath.as_ptr(), perm as libc::mode_t);
        }
        Ok(fd)
    }
}

/// CPUs in this process's affinity mask (as `taskset` sets it), in order.
pub fn affinity_cpus() -> Vec<usize> {
    // SAFETY: sched_getaffinity fills the zeroed set we own.
    unsafe {
        let mut set: libc::cpu_set_t = std::mem::zeroed();
        if libc::sched_getaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &mut set) != 0 {
            return (0..std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1)).collect();
        }
        (0..libc::CPU_SETSIZE as usize).filter(|&c| libc::CPU_ISSET(c, &set)).collect()
    }
}

fn pin_to(cpu: usize) {
    // SAFETY: sched_setaffinity for the calling thread with a set we own.
    unsafe {
        let mut set: libc::cpu_set_t = std::mem::zeroed();
        libc::CPU_SET(cpu, &mut set);
        libc::sched_setaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &set);
    }
}
