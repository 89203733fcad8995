//! What happens when a shard thread panics: the whole process stops at once.
//!
//! A shard owns its part of the keyspace and its connections alone. If its thread died and the
//! others went on, the process would look alive (other shards still accept connections) while
//! every key of the dead shard's slots, and every command routed or fanned out to it, hung
//! forever. So the panic hook logs what was running and ends the process; a supervisor then
//! restarts a whole, consistent server.
//!
//! The event loop marks the command it is about to run with [`Running`]: a `&'static str` in a
//! thread-local, two stores per command, read only by the hook.

use std::cell::Cell;

thread_local! {
    static CURRENT: Cell<&'static str> = const { Cell::new("") };
}

/// Marks `name` as the command this thread is running until the guard is dropped. The panic
/// hook runs before unwinding, so it still sees the mark of the command that panicked.
pub struct Running(&'static str);

impl Running {
    #[inline]
    pub fn set(name: &'static str) -> Running {
        Running(CURRENT.with(|c| c.replace(name)))
    }
}

impl Drop for Running {
    #[inline]
    fn drop(&mut self) {
        CURRENT.with(|c| c.set(self.0));
    }
}

/// The command this thread is running, if any.
pub fn current() -> &'static str {
    CURRENT.with(|c| c.get())
}

/// Installs the hook: a panic anywhere logs a Redis-style crash report naming the thread (the
/// shard) and the command, then ends the process with status 1.
///
/// `_exit(1)` rather than `abort()`: a supervisor (systemd, Docker, Kubernetes) sees a plain
/// failure status and restarts the server, and no core dump is written: for a cache the core
/// would be as large as the dataset, slow to write, and would delay the restart. `_exit` rather
/// than `exit`: the other shard threads are still running, so atexit handlers and destructors of
/// statics must not run under them; `_exit` ends every thread at once and cannot hang.
pub fn install_panic_hook() {
    std::panic::set_hook(Box::new(|info| {
        let thread = std::thread::current();
        let thread = thread.name().unwrap_or("unnamed thread");
        let command = match current() {
            "" => "no command".to_string(),
            name => format!("command '{name}'"),
        };
        let what = info
            .payload()
            .downcast_ref::<&str>()
            .copied()
            .or_else(|| info.payload().downcast_ref::<String>().map(String::as_str))
            .unwrap_or("(no message)");
        let at = info.location().map(|l| format!("{}:{}", l.file(), l.line())).unwrap_or_default();
        crate::warning!("=== SHARDIS BUG REPORT START: Cut & paste starting from here ===");
        crate::warning!("Panic in {} while running {}: {} at {}", thread, command, what, at);
        let trace = std::backtrace::Backtrace::force_capture().to_string();
        for line in trace.lines() {
            crate::warning!("{}", line);
        }
        crate::warning!("=== SHARDIS BUG REPORT END. The server stops now (exit status 1). ===");
        // SAFETY: _exit ends the process without running any more of our code.
        unsafe { libc::_exit(1) };
    }));
}
