//! ACL LOG: the commands, keys, channels and logins the ACL refused, as Redis 7.0 records
//! them. One log for the server, kept by shard 0: a shard that refuses something posts the
//! entry there (a message, never a wait), and ACL LOG reads it there. A connection's own
//! refusals reach shard 0 before its later ACL LOG does (messages from one core arrive in order).

use std::collections::VecDeque;

use crate::protocol::Out;
use crate::shard::mesh::{JobOut, Msg};
use crate::shard::Core;

/// Entries alike within this many milliseconds are counted together.
const GROUPING_MS: u64 = 60_000;

#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Reason {
    Command,
    Key,
    Channel,
    Auth,
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Context {
    Toplevel,
    Multi,
    Lua,
}

/// One refusal (or several alike).
#[derive(Clone, Debug)]
pub struct Entry {
    pub count: u64,
    pub reason: Reason,
    pub context: Context,
    /// The command, key or channel refused; AUTH's (or HELLO's) name for a failed login.
    pub object: Vec<u8>,
    pub username: Vec<u8>,
    pub ctime_ms: u64,
    /// CLIENT INFO of the client, when it happened.
    pub client_info: String,
}

impl Entry {
    fn like(&self, other: &Entry) -> bool {
        self.reason == other.reason
            && self.context == other.context
            && self.ctime_ms.abs_diff(other.ctime_ms) <= GROUPING_MS
            && self.object == other.object
            && self.username == other.username
    }
}

/// The log, newest first.
#[derive(Default)]
pub struct Log {
    entries: VecDeque<Entry>,
}

impl Log {
    /// Adds `e`, or counts it with a like entry among the 10 newest (moved to the front), as
    /// Redis's addACLLogEntry does; keeps at most `max` entries.
    pub fn add(&mut self, e: Entry, max: usize) {
        if let Some(i) = self.entries.iter().take(10).position(|old| old.like(&e)) {
            let mut old = self.entries.remove(i).expect("found above");
            old.count += 1;
            (old.ctime_ms, old.client_info) = (e.ctime_ms, e.client_info);
            self.entries.push_front(old);
            return;
        }
        self.entries.push_front(e);
        self.entries.truncate(max);
    }

    pub fn reset(&mut self) {
        self.entries.clear();
    }

    /// The newest `count` entries, as ACL LOG answers.
    pub fn write(&self, out: &mut Out, count: usize, now_ms: u64) {
        let n = count.min(self.entries.len());
        out.array(n);
        for e in self.entries.iter().take(n) {
            out.map(7);
            out.bulk(b"count");
            out.int(e.count as i64);
            out.bulk(b"reason");
            out.bulk(match e.reason {
                Reason::Command => b"command".as_slice(),
                Reason::Key => b"key",
                Reason::Channel => b"channel",
                Reason::Auth => b"auth",
            });
            out.bulk(b"context");
            out.bulk(match e.context {
                Context::Toplevel => b"toplevel".as_slice(),
                Context::Multi => b"multi",
                Context::Lua => b"lua",
            });
            out.bulk(b"object");
            out.bulk(&e.object);
            out.bulk(b"username");
            out.bulk(&e.username);
            out.bulk(b"age-seconds");
            out.double(now_ms.saturating_sub(e.ctime_ms) as f64 / 1000.0);
            out.bulk(b"client-info");
            out.bulk(e.client_info.as_bytes());
        }
    }
}

/// Records a refusal in the server's log (on shard 0).
pub fn record(core: &mut Core, e: Entry) {
    if core.id == 0 {
        let max = core.config.acllog_max_len as usize;
        core.acl.log.add(e, max);
    } else {
        core.shared.mesh.send(
            0,
            Msg::Post(Box::new(move |core: &mut Core| -> JobOut {
                let max = core.config.acllog_max_len as usize;
                core.acl.log.add(e, max);
                Box::new(())
            })),
        );
    }
}
