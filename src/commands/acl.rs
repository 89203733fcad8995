//! ACL SETUSER, GETUSER, DELUSER, LIST, USERS, WHOAMI, CAT, GENPASS, LOAD, SAVE, HELP, as
//! Redis 7.0 answers them. Changes go through [`change`]: made on shard 0, then installed on
//! every shard before the reply (see [`crate::acl`]).

use std::sync::Arc;

use super::flag::*;
use super::{cmd, container, help, int_arg, Cx, FanOut, Flow, Handler, Spec};
use crate::acl::{Users, CATEGORIES};
use crate::error::CmdError;
use crate::protocol::Out;
use crate::server::conn::Closing;
use crate::shard::mesh::{Job, JobOut};
use crate::shard::Core;

type R = Result<Flow, CmdError>;

/// Makes an ACL change. `edit` runs on shard 0, which orders every change: it builds the next
/// table from the current one, or fails with the error to answer. Every shard then takes the
/// new table (closing the clients of users that are gone), and `done` answers.
pub fn change(
    edit: impl FnOnce(&Users) -> Result<Users, CmdError> + Send + 'static,
    done: impl FnOnce(&mut Out) + 'static,
) -> Flow {
    change_with(edit, false, done)
}

/// [`change`]; with `reload` (ACL LOAD), every client of a user other than `default` is
/// closed, as Redis frees all the old users then.
fn change_with(
    edit: impl FnOnce(&Users) -> Result<Users, CmdError> + Send + 'static,
    reload: bool,
    done: impl FnOnce(&mut Out) + 'static,
) -> Flow {
    let job: Job = Box::new(move |core: &mut Core| -> JobOut {
        let current = core.acl.users.clone();
        let next = edit(&current).map(|mut next| {
            next.version = current.version + 1;
            Arc::new(next)
        });
        Box::new(next)
    });
    Flow::Wait(FanOut {
        jobs: vec![(0, job)],
        finish: Box::new(move |core, conn, mut parts| {
            let next = match parts.pop().map(|p| p.downcast::<Result<Arc<Users>, CmdError>>()) {
                Some(Ok(next)) => *next,
                _ => Err(CmdError::other("ERR ACL change lost")),
            };
            let next = match next {
                Ok(next) => next,
                Err(e) => {
                    conn.out.error(e.to_string().as_bytes());
                    return Flow::Done;
                }
            };
            let caller = conn.id;
            FanOut::all(
                core.shards(),
                |_| {
                    let next = next.clone();
                    Box::new(move |core: &mut Core| -> JobOut {
                        install(core, &next, caller, reload);
                        Box::new(())
                    })
                },
                Box::new(move |core, conn, _| {
                    core.acl.refresh(conn);
                    done(&mut conn.out);
                    Flow::Done
                }),
            )
        }),
    })
}

/// Takes a newer table on this shard and closes the clients of users it no longer has (the
/// caller after its reply, as Redis closes it after the command), and the subscribers whose
/// user lost a channel or pattern they are subscribed to.
fn install(core: &mut Core, next: &Arc<Users>, caller: u64, reload: bool) {
    if !core.acl.install(next) {
        return;
    }
    for c in core.conns.iter_mut() {
        if c.closing != Closing::Open || c.acl_version == 0 {
            continue;
        }
        let close = match next.get(&c.user.name) {
            _ if reload && c.user.name != b"default" => true,
            None => true,
            Some(u) => {
                c.subs.total() > 0 && !Arc::ptr_eq(u, &c.user) && !crate::acl::check::keeps_subscriptions(u, &c.subs)
            }
        };
        if close {
            c.closing = if c.id == caller { Closing::AfterFlush } else { Closing::Now };
            core.dirty.push(c.slot);
        }
    }
}

/// ACL SETUSER username [rule ...]
fn setuser(cx: &mut Cx) -> R {
    let argv = cx.argv;
    let name = argv.get(2).to_vec();
    if crate::acl::has_spaces(&name) {
        return Err(CmdError::other("ERR Usernames can't contain spaces or null characters"));
    }
    let args: Vec<&[u8]> = argv.iter().skip(3).collect();
    let rules = crate::acl::merge_selectors(&args).map_err(|at| {
        CmdError::other(format!(
            "ERR Unmatched parenthesis in acl selector starting at '{}'.",
            String::from_utf8_lossy(argv.get(at + 3))
        ))
    })?;
    let all_channels = cx.core.config.acl_pubsub_default_all;
    Ok(change(
        move |users| {
            let mut user = match users.get(&name) {
                Some(u) => (**u).clone(),
                None => crate::acl::User::new(&name, all_channels),
            };
            for rule in &rules {
                user.apply(rule, all_channels).map_err(|e| {
                    CmdError::other(format!(
                        "ERR Error in ACL SETUSER modifier '{}': {}",
                        String::from_utf8_lossy(crate::acl::c_str(rule)),
                        e.text()
                    ))
                })?;
            }
            let mut next = users.clone();
            next.users.insert(name, Arc::new(user));
            Ok(next)
        },
        |out| out.ok(),
    ))
}

/// ACL DELUSER username [username ...]
fn deluser(cx: &mut Cx) -> R {
    let names: Vec<Vec<u8>> = cx.argv.iter().skip(2).map(<[u8]>::to_vec).collect();
    if names.iter().any(|n| n == b"default") {
        return Err(CmdError::other("ERR The 'default' user cannot be removed"));
    }
    let deleted = names.iter().filter(|n| cx.core.acl.users.get(n).is_some()).count();
    Ok(change(
        move |users| {
            let mut next = users.clone();
            for n in &names {
                next.users.remove(n);
            }
            Ok(next)
        },
        move |out| out.int(deleted as i64),
    ))
}

/// ACL GETUSER username
fn getuser(cx: &mut Cx) -> R {
    let Some(user) = cx.core.acl.users.get(cx.argv.get(2)).cloned() else {
        cx.out().null();
        return Ok(Flow::Done);
    };
    let out = cx.out();
    out.map(6);
    out.bulk(b"flags");
    let flags = user.flags();
    out.set(flags.len());
    for f in flags {
        out.bulk(f.as_bytes());
    }
    out.bulk(b"passwords");
    out.array(user.passwords.len());
    for p in &user.passwords {
        out.bulk(p.as_bytes());
    }
    selector_fields(out, &user.selectors[0]);
    out.bulk(b"selectors");
    out.array(user.selectors.len() - 1);
    for s in &user.selectors[1..] {
        out.map(3);
        selector_fields(out, s);
    }
    Ok(Flow::Done)
}

/// `commands`, `keys` and `channels` of a selector, as ACL GETUSER shows them.
fn selector_fields(out: &mut Out, s: &crate::acl::Selector) {
    out.bulk(b"commands");
    out.bulk(&s.describe_commands());
    out.bulk(b"keys");
    if s.all_keys {
        out.bulk(b"~*");
    } else {
        let keys: Vec<Vec<u8>> = s.keys.iter().map(|(p, f)| crate::acl::pattern_text(p, *f)).collect();
        out.bulk(&keys.join(&b' '));
    }
    out.bulk(b"channels");
    if s.all_channels {
        out.bulk(b"&*");
    } else {
        let channels: Vec<Vec<u8>> = s.channels.iter().map(|c| [b"&".as_slice(), c].concat()).collect();
        out.bulk(&channels.join(&b' '));
    }
}

/// ACL LIST
fn list(cx: &mut Cx) -> R {
    let lines = cx.core.acl.users.lines();
    let out = cx.out();
    out.array(lines.len());
    for line in &lines {
        out.bulk(line);
    }
    Ok(Flow::Done)
}

/// ACL USERS
fn users(cx: &mut Cx) -> R {
    let users = cx.core.acl.users.clone();
    let out = cx.out();
    out.array(users.users.len());
    for name in users.users.keys() {
        out.bulk(name);
    }
    Ok(Flow::Done)
}

/// ACL WHOAMI
fn whoami(cx: &mut Cx) -> R {
    let name = cx.conn.user.name.clone();
    cx.out().bulk(&name);
    Ok(Flow::Done)
}

/// ACL CAT [category]
fn cat(cx: &mut Cx) -> R {
    match cx.argv.len() {
        2 => {
            let out = cx.out();
            out.array(CATEGORIES.len());
            for c in CATEGORIES {
                out.bulk(c.as_bytes());
            }
        }
        3 => {
            let name = cx.argv.get(2);
            let Some(c) = crate::acl::category(name) else {
                let shown = String::from_utf8_lossy(&name[..name.len().min(128)]).into_owned();
                return Err(CmdError::other(format!("ERR Unknown category '{shown}'")));
            };
            let reg = super::registry();
            let names: Vec<&str> = crate::acl::in_category(c).map(|id| reg.entries[id].full_name.as_str()).collect();
            let out = cx.out();
            out.array(names.len());
            for n in names {
                out.bulk(n.as_bytes());
            }
        }
        _ => return Err(CmdError::WrongArity("acl|cat".into())),
    }
    Ok(Flow::Done)
}

/// ACL GENPASS [bits]
fn genpass(cx: &mut Cx) -> R {
    let bits = match cx.argv.len() {
        2 => 256,
        3 => int_arg(cx.argv.get(2))?,
        _ => return Err(CmdError::WrongArity("acl|genpass".into())),
    };
    if bits <= 0 || bits > 4096 {
        return Err(CmdError::other(
            "ERR ACL GENPASS argument must be the number of bits for the output password, a positive number up to \
             4096",
        ));
    }
    let chars = ((bits + 3) / 4) as usize;
    let mut bytes = vec![0u8; chars.div_ceil(2)];
    random_bytes(&mut bytes);
    let mut hex = String::with_capacity(chars + 1);
    for b in bytes {
        hex.push(char::from_digit((b >> 4) as u32, 16).expect("a nibble"));
        hex.push(char::from_digit((b & 15) as u32, 16).expect("a nibble"));
    }
    hex.truncate(chars);
    cx.out().bulk(hex.as_bytes());
    Ok(Flow::Done)
}

/// Bytes from the kernel's random source.
fn random_bytes(buf: &mut [u8]) {
    let mut filled = 0;
    while filled < buf.len() {
        // SAFETY: the pointer and length describe the unfilled tail of `buf`.
        let n = unsafe { libc::getrandom(buf[filled..].as_mut_ptr().cast(), buf.len() - filled, 0) };
        if n > 0 {
            filled += n as usize;
        }
    }
}

/// ACL LOG [count | RESET], read from shard 0, which keeps the log.
fn log(cx: &mut Cx) -> R {
    let argv = cx.argv;
    let mut count = 10usize;
    let reset = argv.len() == 3 && argv.is(2, "reset");
    if argv.len() == 3 && !reset {
        count = int_arg(argv.get(2))?.max(0) as usize;
    } else if argv.len() > 3 {
        return Err(CmdError::WrongArity("acl|log".into()));
    }
    let resp3 = cx.conn.out.resp3;
    let job: Job = Box::new(move |core: &mut Core| -> JobOut {
        let mut out = Out::new(resp3);
        if reset {
            core.acl.log.reset();
            out.ok();
        } else {
            core.acl.log.write(&mut out, count, crate::shard::now_ms());
        }
        Box::new(out.buf)
    });
    Ok(Flow::Wait(FanOut {
        jobs: vec![(0, job)],
        finish: Box::new(|_core, conn, mut parts| {
            if let Some(Ok(bytes)) = parts.pop().map(|p| p.downcast::<Vec<u8>>()) {
                conn.out.raw(&bytes);
            }
            Flow::Done
        }),
    }))
}

/// ACL DRYRUN username command [arg ...]
fn dryrun(cx: &mut Cx) -> R {
    let argv = cx.argv;
    let Some(user) = cx.core.acl.users.get(argv.get(2)).cloned() else {
        return Err(CmdError::other(format!("ERR User '{}' not found", String::from_utf8_lossy(argv.get(2)))));
    };
    let reg = super::registry();
    let not_found = || CmdError::other(format!("ERR Command '{}' not found", String::from_utf8_lossy(argv.get(3))));
    let mut id = cx.core.renames.lookup(argv.get(3)).ok_or_else(not_found)?;
    if matches!(reg.entries[id].spec.handler, Handler::Container(_)) && argv.len() > 4 {
        id = reg.lookup_sub(id, argv.get(4)).ok_or_else(not_found)?;
    }
    let command = argv.tail(3);
    if !super::arity_ok(reg.entries[id].spec.arity, command.len()) {
        return Err(CmdError::WrongArity(reg.entries[id].full_name.clone()));
    }
    match crate::acl::check::check(&user, id, &command) {
        Ok(()) => cx.out().ok(),
        Err(d) => {
            let text = d.verbose(id, &command);
            cx.out().bulk(text.as_bytes());
        }
    }
    Ok(Flow::Done)
}

/// ACL LOAD: the users of the ACL file, all or none.
fn load(cx: &mut Cx) -> R {
    let file = crate::acl::file::path(&cx.core.config).ok_or_else(no_aclfile)?;
    let all_channels = cx.core.config.acl_pubsub_default_all;
    let users = crate::acl::file::load(&file, all_channels).map_err(|e| CmdError::other(format!("ERR {e}")))?;
    Ok(change_with(move |_| Ok(users), true, |out| out.ok()))
}

/// ACL SAVE: every user to the ACL file.
fn save(cx: &mut Cx) -> R {
    let file = crate::acl::file::path(&cx.core.config).ok_or_else(no_aclfile)?;
    crate::acl::file::save(&file, &cx.core.acl.users).map_err(|e| {
        crate::warning!("Saving the ACL file {}: {e}", file.display());
        CmdError::other(
            "ERR There was an error trying to save the ACLs. Please check the server logs for more information",
        )
    })?;
    cx.out().ok();
    Ok(Flow::Done)
}

/// ACL LOAD / ACL SAVE without an ACL file.
fn no_aclfile() -> CmdError {
    CmdError::other(
        "ERR This Redis instance is not configured to use an ACL file. You may want to specify users via the ACL \
         SETUSER command and then issue a CONFIG REWRITE (assuming you have a Redis configuration file set) in \
         order to store users in the Redis configuration.",
    )
}

/// ACL HELP
fn acl_help(cx: &mut Cx) -> R {
    help(
        cx.out(),
        "ACL",
        &[
            "CAT [<category>]",
            "    List all commands that belong to <category>, or all command categories",
            "    when no category is specified.",
            "DELUSER <username> [<username> ...]",
            "    Delete a list of users.",
            "DRYRUN <username> <command> [<arg> ...]",
            "    Returns whether the user can execute the given command without executing the command.",
            "GETUSER <username>",
            "    Get the user's details.",
            "GENPASS [<bits>]",
            "    Generate a secure 256-bit user password. The optional `bits` argument can",
            "    be used to specify a different size.",
            "LIST",
            "    Show users details in config file format.",
            "LOAD",
            "    Reload users from the ACL file.",
            "LOG [<count> | RESET]",
            "    Show the ACL log entries.",
            "SAVE",
            "    Save the current config to the ACL file.",
            "SETUSER <username> <attribute> [<attribute> ...]",
            "    Create or modify a user with the specified attributes.",
            "USERS",
            "    List all the registered usernames.",
            "WHOAMI",
            "    Return the current connection username.",
        ],
    );
    Ok(Flow::Done)
}

const SLOW: &[&str] = &["@slow"];
const ADMIN_SLOW: &[&str] = &["@admin", "@slow", "@dangerous"];
const A: u32 = ADMIN | NOSCRIPT | LOADING | STALE;
const N: u32 = NOSCRIPT | LOADING | STALE;

const ACL_SUBS: &[Spec] = &[
    cmd("help", 2, LOADING | STALE, (0, 0, 0), SLOW, Handler::Conn(acl_help)),
    cmd("genpass", -2, N, (0, 0, 0), SLOW, Handler::Conn(genpass)),
    cmd("cat", -2, N, (0, 0, 0), SLOW, Handler::Conn(cat)),
    cmd("setuser", -3, A, (0, 0, 0), ADMIN_SLOW, Handler::Conn(setuser)),
    cmd("load", 2, A, (0, 0, 0), ADMIN_SLOW, Handler::Conn(load)),
    cmd("list", 2, A, (0, 0, 0), ADMIN_SLOW, Handler::Conn(list)),
    cmd("users", 2, A, (0, 0, 0), ADMIN_SLOW, Handler::Conn(users)),
    cmd("getuser", 3, A, (0, 0, 0), ADMIN_SLOW, Handler::Conn(getuser)),
    cmd("deluser", -3, A, (0, 0, 0), ADMIN_SLOW, Handler::Conn(deluser)),
    cmd("save", 2, A, (0, 0, 0), ADMIN_SLOW, Handler::Conn(save)),
    cmd("whoami", 2, N, (0, 0, 0), SLOW, Handler::Conn(whoami)),
    cmd("log", -2, A, (0, 0, 0), ADMIN_SLOW, Handler::Conn(log)),
    cmd("dryrun", -4, A, (0, 0, 0), ADMIN_SLOW, Handler::Conn(dryrun)),
];

pub const SPECS: &[Spec] = &[container("acl", -2, 0, SLOW, ACL_SUBS)];
