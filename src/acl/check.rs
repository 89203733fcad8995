//! Whether a user may run a command, as Redis 7.0's ACLCheckAllUserCommandPerm decides: any
//! selector that allows the command (or its first argument), every key it names (with the
//! access the key spec declares) and every channel it publishes or subscribes to lets it run.
//! Otherwise the most telling refusal is reported: a channel over a key over the command.

use super::{Selector, User};
use crate::commands::{flag, registry, Argv};

/// Why a command may not run; a key's or channel's position in the command.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Denied {
    Command,
    Key(usize),
    Channel(usize),
}

impl Denied {
    fn rank(self) -> (u8, usize) {
        match self {
            Denied::Command => (1, 0),
            Denied::Key(p) => (2, p),
            Denied::Channel(p) => (4, p),
        }
    }

    /// ACL DRYRUN's answer: what is refused, named.
    pub fn verbose(self, id: usize, argv: &Argv<'_>) -> String {
        let shown = |p: usize| String::from_utf8_lossy(argv.get(p)).into_owned();
        match self {
            Denied::Command => {
                format!("This user has no permissions to run the '{}' command", registry().entries[id].full_name)
            }
            Denied::Key(p) => format!("This user has no permissions to access the '{}' key", shown(p)),
            Denied::Channel(p) => format!("This user has no permissions to access the '{}' channel", shown(p)),
        }
    }

    /// The error a script's call raises (scriptVerifyACL).
    pub fn script_text(self) -> &'static str {
        match self {
            Denied::Command => "ERR The user executing the script can't run this command or subcommand",
            Denied::Key(_) => {
                "ERR The user executing the script can't access at least one of the keys mentioned in the command \
                 arguments"
            }
            Denied::Channel(_) => {
                "ERR The user executing the script can't publish to the channel mentioned in the command"
            }
        }
    }

    /// The error EXEC answers for a queued command the user may no longer run.
    pub fn exec_text(self) -> String {
        let reason = match self {
            Denied::Command => "no permission to execute the command or subcommand",
            Denied::Key(_) => "no permission to touch the specified keys",
            Denied::Channel(_) => "no permission to access one of the channels used as arguments",
        };
        format!(
            "NOPERM ACLs rules changed between the moment the transaction was accumulated and the EXEC call. This \
             command is no longer allowed for the following reason: {reason}"
        )
    }

    /// The NOPERM text Redis answers with (without `-`).
    pub fn text(self, id: usize) -> String {
        match self {
            Denied::Command => {
                format!("NOPERM this user has no permissions to run the '{}' command", registry().entries[id].full_name)
            }
            Denied::Key(_) => "NOPERM this user has no permissions to access one of the keys used as arguments".into(),
            Denied::Channel(_) => {
                "NOPERM this user has no permissions to access one of the channels used as arguments".into()
            }
        }
    }
}

/// Records a refusal of `conn`'s command `id` in the ACL LOG.
pub fn log_denied(
    core: &mut crate::shard::Core,
    conn: &crate::server::conn::Conn,
    client_info: String,
    denied: Denied,
    id: usize,
    argv: &Argv<'_>,
    context: super::log::Context,
) {
    use super::log::{Entry, Reason};
    let (reason, object) = match denied {
        Denied::Command => (Reason::Command, registry().entries[id].full_name.as_bytes().to_vec()),
        Denied::Key(p) => (Reason::Key, argv.get(p).to_vec()),
        Denied::Channel(p) => (Reason::Channel, argv.get(p).to_vec()),
    };
    let entry = Entry {
        count: 1,
        reason,
        context,
        object,
        username: conn.user.name.clone(),
        ctime_ms: crate::shard::now_ms(),
        client_info,
    };
    super::log::record(core, entry);
}

/// May `user` run command `id` with `argv`?
pub fn check(user: &User, id: usize, argv: &Argv<'_>) -> Result<(), Denied> {
    let mut keys: Option<crate::commands::introspection::KeyAccess> = None;
    let mut worst: Option<Denied> = None;
    for s in &user.selectors {
        match check_selector(s, id, argv, &mut keys) {
            Ok(()) => return Ok(()),
            Err(d) => {
                if worst.is_none_or(|w| d.rank() > w.rank()) {
                    worst = Some(d);
                }
            }
        }
    }
    Err(worst.unwrap_or(Denied::Command))
}

fn check_selector(
    s: &Selector,
    id: usize,
    argv: &Argv<'_>,
    keys: &mut Option<crate::commands::introspection::KeyAccess>,
) -> Result<(), Denied> {
    let entry = &registry().entries[id];
    if !s.all_commands && entry.spec.flags & flag::NO_AUTH == 0 && !s.allows(id) {
        let at = if entry.parent.is_some() { 2 } else { 1 };
        let allowed = argv.len() > at
            && s.firstargs(id).is_some_and(|args| args.iter().any(|a| a.eq_ignore_ascii_case(argv.get(at))));
        if !allowed {
            return Err(Denied::Command);
        }
    }
    if !s.all_keys {
        for &(p, need) in keys.get_or_insert_with(|| crate::commands::introspection::key_access_of(id, argv)).iter() {
            let key = argv.get(p);
            let ok = s
                .keys
                .iter()
                .any(|(pattern, flags)| flags & need == need && crate::config::glob_match(pattern, key, false));
            if !ok {
                return Err(Denied::Key(p));
            }
        }
    }
    if !s.all_channels {
        let (from, count, literal) = match entry.full_name.as_str() {
            "publish" | "spublish" => (1, 1, false),
            "subscribe" | "ssubscribe" => (1, argv.len() - 1, false),
            "psubscribe" => (1, argv.len() - 1, true),
            _ => (0, 0, false),
        };
        for p in from..from + count {
            let channel = argv.get(p);
            let ok = s.channels.iter().any(|pattern| {
                if literal {
                    c_str(pattern) == c_str(channel)
                } else {
                    crate::config::glob_match(pattern, channel, false)
                }
            });
            if !ok {
                return Err(Denied::Channel(p));
            }
        }
    }
    Ok(())
}

/// Would `user` still be allowed the subscriptions `subs` (ACLKillPubsubClientsIfNeeded)?
/// Patterns must be allowed as they are written, channels by the user's channel patterns.
pub fn keeps_subscriptions(user: &User, subs: &crate::pubsub::Subs) -> bool {
    use crate::pubsub::Kind;
    if user.selectors.iter().any(|s| s.all_channels) {
        return true;
    }
    let allowed: Vec<&Vec<u8>> = user.selectors.iter().flat_map(|s| s.channels.iter()).collect();
    let literal = |p: &[u8]| allowed.iter().any(|a| c_str(a) == c_str(p));
    let matched = |c: &[u8]| allowed.iter().any(|a| crate::config::glob_match(a, c, false));
    subs.of(Kind::Pattern).iter().all(|p| literal(p))
        && subs.of(Kind::Channel).iter().all(|c| matched(c))
        && subs.of(Kind::Shard).iter().all(|c| matched(c))
}

/// May `user` read any key (Redis checks the key `*` for read access)? SORT's BY and GET need it.
pub fn reads_every_key(user: &User) -> bool {
    user.selectors.iter().any(|s| {
        s.all_keys
            || s.keys.iter().any(|(p, flags)| flags & super::READ != 0 && crate::config::glob_match(p, b"*", false))
    })
}

/// The bytes C's strcmp sees: up to a NUL.
fn c_str(s: &[u8]) -> &[u8] {
    &s[..s.iter().position(|&b| b == 0).unwrap_or(s.len())]
}
