//! Redis-style log lines: `pid:M 26 Nov 2026 05:46:44.123 * message`.
//!
//! Logging is rare (start, stop, saves, errors), so it is a plain `write(2)` of one whole line to
//! stdout or to the `logfile` (opened O_APPEND): one syscall per line keeps lines from different
//! shards whole without any lock.

use std::sync::atomic::{AtomicI32, AtomicU8, Ordering};

/// Log levels, named as Redis names them, with Redis's line markers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
#[repr(u8)]
pub enum Level {
    Debug = 0,
    Verbose = 1,
    Notice = 2,
    Warning = 3,
    Nothing = 4,
}

impl Level {
    pub fn parse(name: &str) -> Option<Level> {
        Some(match name.to_ascii_lowercase().as_str() {
            "debug" => Level::Debug,
            "verbose" => Level::Verbose,
            "notice" => Level::Notice,
            "warning" => Level::Warning,
            "nothing" => Level::Nothing,
            _ => return None,
        })
    }

    fn marker(self) -> char {
        match self {
            Level::Debug => '.',
            Level::Verbose => '-',
            Level::Notice => '*',
            Level::Warning | Level::Nothing => '#',
        }
    }
}

static LEVEL: AtomicU8 = AtomicU8::new(Level::Notice as u8);
static FD: AtomicI32 = AtomicI32::new(1);

pub fn set_level(level: Level) {
    LEVEL.store(level as u8, Ordering::Relaxed);
}

/// Sends log lines to `path` (appending), or to stdout when `path` is empty.
pub fn set_file(path: &str) -> std::io::Result<()> {
    if path.is_empty() {
        FD.store(1, Ordering::Relaxed);
        return Ok(());
    }
    use std::os::fd::IntoRawFd;
    let file = std::fs::OpenOptions::new().create(true).append(true).open(path)?;
    let old = FD.swap(file.into_raw_fd(), Ordering::Relaxed);
    if old > 2 {
        // SAFETY: the previous log file fd was ours.
        unsafe { libc::close(old) };
    }
    Ok(())
}

pub fn enabled(level: Level) -> bool {
    level as u8 >= LEVEL.load(Ordering::Relaxed) && level != Level::Nothing
}

/// Writes one line at `level`.
pub fn log(level: Level, msg: &str) {
    if !enabled(level) {
        return;
    }
    let line = format!("{}:M {} {} {}\n", std::process::id(), timestamp(), level.marker(), msg);
    let fd = FD.load(Ordering::Relaxed);
    // SAFETY: writes a live buffer to an fd we opened (or stdout).
    unsafe { libc::write(fd, line.as_ptr() as *const libc::c_void, line.len()) };
}

/// Local time as Redis prints it: `26 Nov 2026 05:46:44.123`.
fn timestamp() -> String {
    const MONTHS: [&str; 12] = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
    let secs = now.as_secs() as libc::time_t;
    // SAFETY: localtime_r fills the zeroed struct we pass; both pointers are live.
    let tm = unsafe {
        let mut tm: libc::tm = std::mem::zeroed();
        libc::localtime_r(&secs, &mut tm);
        tm
    };
    format!(
        "{:02} {} {} {:02}:{:02}:{:02}.{:03}",
        tm.tm_mday,
        MONTHS[tm.tm_mon.clamp(0, 11) as usize],
        tm.tm_year + 1900,
        tm.tm_hour,
        tm.tm_min,
        tm.tm_sec,
        now.subsec_millis()
    )
}

#[macro_export]
macro_rules! notice { ($($arg:tt)*) => { $crate::log::log($crate::log::Level::Notice, &format!($($arg)*)) } }
#[macro_export]
macro_rules! warning { ($($arg:tt)*) => { $crate::log::log($crate::log::Level::Warning, &format!($($arg)*)) } }
#[macro_export]
macro_rules! verbose { ($($arg:tt)*) => { $crate::log::log($crate::log::Level::Verbose, &format!($($arg)*)) } }
