//! Connection commands: PING ECHO HELLO AUTH SELECT QUIT RESET CLIENT.
//!
//! All of them run on the connection's own core. CLIENT LIST/KILL/PAUSE/UNPAUSE reach every
//! shard, since each shard owns its own connections and its own copy of the pause state.

use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use super::flag::*;
use super::{cmd, container, int_arg, Cx, FanOut, Flow, Handler, Spec};
use crate::error::CmdError;
use crate::server::conn::{Closing, Conn, ReplyMode};
use crate::shard::mesh::JobOut;
use crate::shard::Core;

type R = Result<Flow, CmdError>;

/// PING [message]
fn ping(cx: &mut Cx) -> R {
    if !cx.conn.out.resp3 && cx.conn.subs.total() > 0 {
        // Subscribed in RESP2: a message-shaped pong.
        if cx.argv.len() > 2 {
            return Err(CmdError::WrongArity("ping".into()));
        }
        let msg = if cx.argv.len() == 2 { cx.argv.get(1) } else { b"" };
        let out = cx.out();
        out.array(2);
        out.bulk(b"pong");
        out.bulk(msg);
        return Ok(Flow::Done);
    }
    match cx.argv.len() {
        1 => cx.out().simple(b"PONG"),
        2 => {
            let msg = cx.argv.get(1);
            cx.out().bulk(msg)
        }
        _ => return Err(CmdError::WrongArity("ping".into())),
    }
    Ok(Flow::Done)
}

/// ECHO message
fn echo(cx: &mut Cx) -> R {
    let msg = cx.argv.get(1);
    cx.out().bulk(msg);
    Ok(Flow::Done)
}

/// Logs `conn` in as `user` when `pass` is right for it (ACLAuthenticateUser); a failure goes
/// to the ACL LOG under `command`, the name the client sent.
fn log_in(core: &mut Core, conn: &mut crate::server::conn::Conn, command: &[u8], user: &[u8], pass: &[u8]) -> bool {
    match core.acl.users.get(user) {
        Some(u) if u.accepts(pass) => {
            (conn.user, conn.acl_version, conn.authenticated) = (u.clone(), core.acl.users.version, true);
            true
        }
        _ => {
            use crate::acl::log::{Context, Entry, Reason};
            let entry = Entry {
                count: 1,
                reason: Reason::Auth,
                context: if conn.multi.is_some() { Context::Multi } else { Context::Toplevel },
                object: command.to_vec(),
                username: user.to_vec(),
                ctime_ms: crate::shard::now_ms(),
                client_info: conn.info_line(std::time::Instant::now()),
            };
            crate::acl::log::record(core, entry);
            false
        }
    }
}

/// AUTH [username] password
fn auth(cx: &mut Cx) -> R {
    let (user, pass) = match cx.argv.len() {
        2 => {
            if cx.core.acl.users.default_user().nopass {
                return Err(CmdError::other(
                    "ERR AUTH <password> called without any password configured for the default user. \
                     Are you sure your configuration is correct?",
                ));
            }
            (&b"default"[..], cx.argv.get(1))
        }
        3 => (cx.argv.get(1), cx.argv.get(2)),
        _ => return Err(CmdError::Syntax),
    };
    if log_in(cx.core, cx.conn, cx.argv.get(0), user, pass) {
        cx.out().ok();
        Ok(Flow::Done)
    } else {
        Err(CmdError::WrongPass)
    }
}

/// Client names and library names: printable ASCII without spaces, as Redis requires.
fn valid_name(name: &[u8]) -> bool {
    name.iter().all(|&c| (b'!'..=b'~').contains(&c))
}

/// HELLO [protover [AUTH username password] [SETNAME clientname]]
fn hello(cx: &mut Cx) -> R {
    let argv = cx.argv;
    let mut proto = None;
    let mut i = 1;
    if argv.len() > 1 {
        let ver = int_arg(argv.get(1))
            .map_err(|_| CmdError::other("ERR Protocol version is not an integer or out of range"))?;
        if !(2..=3).contains(&ver) {
            return Err(CmdError::other("NOPROTO unsupported protocol version"));
        }
        proto = Some(ver);
        i = 2;
    }
    let mut creds = None;
    let mut setname = None;
    while i < argv.len() {
        let more = argv.len() - i - 1;
        if argv.is(i, "AUTH") && more >= 2 {
            creds = Some((argv.get(i + 1), argv.get(i + 2)));
            i += 3;
        } else if argv.is(i, "SETNAME") && more >= 1 {
            setname = Some(argv.get(i + 1));
            i += 2;
        } else {
            return Err(CmdError::other(format!(
                "ERR Syntax error in HELLO option '{}'",
                String::from_utf8_lossy(argv.get(i))
            )));
        }
    }
    if let Some((user, pass)) = creds {
        if !log_in(cx.core, cx.conn, argv.get(0), user, pass) {
            return Err(CmdError::WrongPass);
        }
    }
    if !cx.conn.authenticated {
        return Err(CmdError::other(
            "NOAUTH HELLO must be called with the client already authenticated, otherwise the HELLO <proto> \
             AUTH <user> <pass> option can be used to authenticate the client and select the RESP protocol \
             version at the same time",
        ));
    }
    if let Some(name) = setname {
        if !valid_name(name) {
            return Err(CmdError::other("ERR Client names cannot contain spaces, newlines or special characters."));
        }
        cx.conn.name = String::from_utf8_lossy(name).into_owned();
    }
    if let Some(ver) = proto {
        cx.conn.out.resp3 = ver == 3;
    }
    let id = cx.conn.id as i64;
    let out = cx.out();
    out.map(7);
    out.bulk(b"server");
    out.bulk(b"redis");
    out.bulk(b"version");
    out.bulk(crate::REDIS_VERSION.as_bytes());
    out.bulk(b"proto");
    out.int(if out.resp3 { 3 } else { 2 });
    out.bulk(b"id");
    out.int(id);
    out.bulk(b"mode");
    out.bulk(b"standalone");
    out.bulk(b"role");
    out.bulk(b"master");
    out.bulk(b"modules");
    out.array(0);
    Ok(Flow::Done)
}

/// SELECT index
fn select(cx: &mut Cx) -> R {
    let db = super::int32_arg(cx.argv.get(1))?;
    if db < 0 || db as usize >= cx.core.dbs.len() {
        return Err(CmdError::DbIndexOutOfRange);
    }
    cx.conn.db = db as usize;
    cx.out().ok();
    Ok(Flow::Done)
}

/// QUIT
fn quit(cx: &mut Cx) -> R {
    cx.out().ok();
    Ok(Flow::Close)
}

/// RESET
fn reset(cx: &mut Cx) -> R {
    let conn = &mut *cx.conn;
    if conn.monitor {
        conn.monitor = false;
        cx.core.shared.monitors.fetch_sub(1, Ordering::Relaxed);
    }
    conn.db = 0;
    conn.out.resp3 = false;
    conn.name.clear();
    conn.reply = ReplyMode::On;
    conn.no_touch = false;
    // Back to the default user, logged in only if it needs no password.
    let default = cx.core.acl.users.default_user().clone();
    conn.authenticated = default.logs_in_alone();
    (conn.user, conn.acl_version) = (default, cx.core.acl.users.version);
    conn.multi = None;
    super::transactions::unwatch_all(cx);
    crate::pubsub::tracking::forget(cx.core, cx.conn);
    // Leaves every channel, pattern and shard channel, silently; replies when every shard
    // knows (see crate::pubsub).
    let mut reply = crate::protocol::Out::new(false);
    reply.simple(b"RESET");
    let changes = crate::pubsub::take_all(cx.conn);
    Ok(crate::pubsub::change(cx.core, cx.conn, changes, reply.buf))
}

/// CLIENT ID
fn client_id(cx: &mut Cx) -> R {
    let id = cx.conn.id as i64;
    cx.out().int(id);
    Ok(Flow::Done)
}

/// CLIENT UNBLOCK client-id [TIMEOUT | ERROR]: the client lives on some core; each looks.
fn client_unblock(cx: &mut Cx) -> R {
    let id = int_arg(cx.argv.get(2))?;
    let error = match cx.argv.len() {
        3 => false,
        4 if cx.argv.is(3, "TIMEOUT") => false,
        4 if cx.argv.is(3, "ERROR") => true,
        _ => return Err(CmdError::other("ERR CLIENT UNBLOCK reason should be TIMEOUT or ERROR")),
    };
    Ok(FanOut::sum(cx.core.shards(), move |core| {
        i64::from(id > 0 && crate::coord::block::unblock_by_id(core, id as u64, error))
    }))
}

/// CLIENT SETNAME connection-name
fn client_setname(cx: &mut Cx) -> R {
    let name = cx.argv.get(2);
    if !valid_name(name) {
        return Err(CmdError::other("ERR Client names cannot contain spaces, newlines or special characters."));
    }
    cx.conn.name = String::from_utf8_lossy(name).into_owned();
    cx.out().ok();
    Ok(Flow::Done)
}

/// CLIENT GETNAME
fn client_getname(cx: &mut Cx) -> R {
    if cx.conn.name.is_empty() {
        cx.out().null();
    } else {
        let name = cx.conn.name.clone();
        cx.out().bulk(name.as_bytes());
    }
    Ok(Flow::Done)
}

/// CLIENT SETINFO <LIB-NAME libname | LIB-VER libver>
fn client_setinfo(cx: &mut Cx) -> R {
    let (attr, value) = (cx.argv.get(2), cx.argv.get(3));
    let field = if attr.eq_ignore_ascii_case(b"lib-name") {
        "lib-name"
    } else if attr.eq_ignore_ascii_case(b"lib-ver") {
        "lib-ver"
    } else {
        return Err(CmdError::other(format!("ERR Unrecognized option '{}'", String::from_utf8_lossy(attr))));
    };
    if !valid_name(value) {
        return Err(CmdError::other(format!("ERR {field} cannot contain spaces, newlines or special characters.")));
    }
    let value = String::from_utf8_lossy(value).into_owned();
    if field == "lib-name" {
        cx.conn.lib_name = value;
    } else {
        cx.conn.lib_ver = value;
    }
    cx.out().ok();
    Ok(Flow::Done)
}

/// CLIENT NO-TOUCH <ON | OFF>
fn client_no_touch(cx: &mut Cx) -> R {
    cx.conn.no_touch = on_off(cx.argv.get(2))?;
    cx.out().ok();
    Ok(Flow::Done)
}

/// CLIENT NO-EVICT ON|OFF
fn client_no_evict(cx: &mut Cx) -> R {
    cx.conn.no_evict = on_off(cx.argv.get(2))?;
    cx.out().ok();
    Ok(Flow::Done)
}

fn on_off(arg: &[u8]) -> Result<bool, CmdError> {
    if arg.eq_ignore_ascii_case(b"on") {
        Ok(true)
    } else if arg.eq_ignore_ascii_case(b"off") {
        Ok(false)
    } else {
        Err(CmdError::Syntax)
    }
}

/// CLIENT TRACKING ON|OFF [REDIRECT id] [PREFIX prefix ...] [BCAST] [OPTIN] [OPTOUT] [NOLOOP]
fn client_tracking(cx: &mut Cx) -> R {
    let on = on_off(cx.argv.get(2))?;
    let mut mode = crate::pubsub::tracking::Mode::default();
    let mut i = 3;
    while i < cx.argv.len() {
        let more = i + 1 < cx.argv.len();
        if cx.argv.is(i, "REDIRECT") && more {
            if mode.redirect != 0 {
                return Err(CmdError::other("ERR A client can only redirect to a single other client"));
            }
            let id = super::parse_i64(cx.argv.get(i + 1)).ok_or(CmdError::NotInteger)?;
            mode.redirect = id.max(0) as u64;
            i += 1;
        } else if cx.argv.is(i, "PREFIX") && more {
            mode.prefixes.push(cx.argv.get(i + 1).to_vec());
            i += 1;
        } else if cx.argv.is(i, "BCAST") {
            mode.bcast = true;
        } else if cx.argv.is(i, "OPTIN") {
            mode.optin = true;
        } else if cx.argv.is(i, "OPTOUT") {
            mode.optout = true;
        } else if cx.argv.is(i, "NOLOOP") {
            mode.noloop = true;
        } else {
            return Err(CmdError::Syntax);
        }
        i += 1;
    }
    if !on {
        crate::pubsub::tracking::forget(cx.core, cx.conn);
        cx.out().ok();
        return Ok(Flow::Done);
    }
    if !mode.prefixes.is_empty() && !mode.bcast {
        return Err(CmdError::other("ERR PREFIX option requires BCAST mode to be enabled"));
    }
    let old = cx.conn.tracking.as_deref().cloned();
    if old.as_ref().is_some_and(|o| o.bcast != mode.bcast) {
        return Err(CmdError::other(
            "ERR You can't switch BCAST mode on/off before disabling tracking for this client, and then re-enabling it with a different mode.",
        ));
    }
    if mode.bcast && (mode.optin || mode.optout) {
        return Err(CmdError::other("ERR OPTIN and OPTOUT are not compatible with BCAST"));
    }
    if mode.optin && mode.optout {
        return Err(CmdError::other("ERR You can't specify both OPTIN mode and OPTOUT mode"));
    }
    if old.as_ref().is_some_and(|o| (mode.optin && o.optout) || (mode.optout && o.optin)) {
        return Err(CmdError::other(
            "ERR You can't switch OPTIN/OPTOUT mode before disabling tracking for this client, and then re-enabling it with a different mode.",
        ));
    }
    // Already in BCAST mode: the new prefixes join the old ones, which they must not overlap.
    let existing = old.as_ref().map(|o| o.prefixes.clone()).unwrap_or_default();
    for p in &mode.prefixes {
        if let Some(q) = existing.iter().find(|q| p.starts_with(q) || q.starts_with(p)) {
            return Err(CmdError::other(format!(
                "ERR Prefix '{}' overlaps with an existing prefix '{}'. Prefixes for a single client must not overlap.",
                String::from_utf8_lossy(p),
                String::from_utf8_lossy(q)
            )));
        }
    }
    for (a, p) in mode.prefixes.iter().enumerate() {
        for q in &mode.prefixes[a + 1..] {
            if p.starts_with(q) || q.starts_with(p) {
                return Err(CmdError::other(format!(
                    "ERR Prefix '{}' overlaps with another provided prefix '{}'. Prefixes for a single client must not overlap.",
                    String::from_utf8_lossy(p),
                    String::from_utf8_lossy(q)
                )));
            }
        }
    }
    // Kept in order, as Redis's radix tree lists them.
    if mode.bcast && !(existing.is_empty() || mode.prefixes.is_empty()) {
        mode.prefixes.extend(existing);
    } else if mode.bcast && mode.prefixes.is_empty() {
        mode.prefixes = existing;
    }
    mode.prefixes.sort();
    // Switching modes while on: what was registered goes first.
    crate::pubsub::tracking::forget(cx.core, cx.conn);
    if mode.redirect == 0 {
        return Ok(tracking_on(cx.core, cx.conn, mode));
    }
    // The redirect target may live on any shard: find it first.
    let id = mode.redirect;
    Ok(FanOut::all(
        cx.core.shards(),
        move |_| {
            Box::new(move |core: &mut Core| -> JobOut {
                let me = core.id;
                Box::new(core.conns.iter().find(|c| c.id == id && c.closing == Closing::Open).map(|c| c.cref(me)))
            })
        },
        Box::new(move |core, conn, parts| {
            let target = parts
                .into_iter()
                .find_map(|p| p.downcast::<Option<crate::shard::mesh::ConnRef>>().ok().and_then(|t| *t));
            match target {
                None => {
                    conn.out.error(b"ERR The client ID you want redirect to does not exist");
                    Flow::Done
                }
                Some(target) => tracking_on(core, conn, crate::pubsub::tracking::Mode { target: Some(target), ..mode }),
            }
        }),
    ))
}

/// Turns tracking on with `mode`; a BCAST client's prefixes reach every shard before +OK.
fn tracking_on(core: &mut Core, conn: &mut Conn, mode: crate::pubsub::tracking::Mode) -> Flow {
    if !mode.bcast {
        conn.tracking = Some(Box::new(mode));
        conn.out.ok();
        return Flow::Done;
    }
    let register = crate::pubsub::tracking::registration(core, conn, &mode, true);
    conn.tracking = Some(Box::new(mode));
    FanOut::others(
        core,
        register,
        Box::new(|_core, conn, _| {
            conn.out.ok();
            Flow::Done
        }),
    )
}

/// CLIENT CACHING YES|NO: whether the next command's keys are tracked (OPTIN / OPTOUT).
fn client_caching(cx: &mut Cx) -> R {
    let (optin, optout) = cx.conn.tracking.as_ref().map_or((false, false), |m| (m.optin, m.optout));
    if !optin && !optout {
        return Err(CmdError::other(
            "ERR CLIENT CACHING can be called only when the client is in tracking mode with OPTIN or OPTOUT mode enabled",
        ));
    }
    let arg = cx.argv.get(2);
    let yes = if arg.eq_ignore_ascii_case(b"yes") {
        if !optin {
            return Err(CmdError::other(
                "ERR CLIENT CACHING YES is only valid when tracking is enabled in OPTIN mode.",
            ));
        }
        true
    } else if arg.eq_ignore_ascii_case(b"no") {
        if !optout {
            return Err(CmdError::other(
                "ERR CLIENT CACHING NO is only valid when tracking is enabled in OPTOUT mode.",
            ));
        }
        false
    } else {
        return Err(CmdError::Syntax);
    };
    if let Some(mode) = cx.conn.tracking.as_mut() {
        mode.caching = Some(yes);
    }
    cx.out().ok();
    Ok(Flow::Done)
}

/// CLIENT GETREDIR: -1 when not tracking, 0 without a redirect.
fn client_getredir(cx: &mut Cx) -> R {
    let n = cx.conn.tracking.as_ref().map_or(-1, |m| m.redirect as i64);
    cx.out().int(n);
    Ok(Flow::Done)
}

/// CLIENT TRACKINGINFO
fn client_trackinginfo(cx: &mut Cx) -> R {
    let mode = cx.conn.tracking.as_deref().cloned();
    let out = cx.out();
    out.map(3);
    out.bulk(b"flags");
    match &mode {
        None => {
            out.set(1);
            out.bulk(b"off");
        }
        Some(m) => {
            let mut flags: Vec<&[u8]> = vec![b"on"];
            if m.bcast {
                flags.push(b"bcast");
            }
            if m.optin {
                flags.push(b"optin");
                if m.caching == Some(true) {
                    flags.push(b"caching-yes");
                }
            }
            if m.optout {
                flags.push(b"optout");
                if m.caching == Some(false) {
                    flags.push(b"caching-no");
                }
            }
            if m.noloop {
                flags.push(b"noloop");
            }
            if m.broken {
                flags.push(b"broken_redirect");
            }
            out.set(flags.len());
            flags.iter().for_each(|f| out.bulk(f));
        }
    }
    out.bulk(b"redirect");
    out.int(mode.as_ref().map_or(-1, |m| m.redirect as i64));
    out.bulk(b"prefixes");
    let prefixes = mode.map(|m| m.prefixes).unwrap_or_default();
    out.array(prefixes.len());
    prefixes.iter().for_each(|p| out.bulk(p));
    Ok(Flow::Done)
}

/// CLIENT REPLY <ON | OFF | SKIP>
fn client_reply(cx: &mut Cx) -> R {
    let mode = cx.argv.get(2);
    if mode.eq_ignore_ascii_case(b"on") {
        cx.conn.reply = ReplyMode::On;
        cx.out().ok();
    } else if mode.eq_ignore_ascii_case(b"off") {
        cx.conn.reply = ReplyMode::Off;
    } else if mode.eq_ignore_ascii_case(b"skip") {
        if cx.conn.reply != ReplyMode::Off {
            cx.conn.reply = ReplyMode::SkipNext;
        }
    } else {
        return Err(CmdError::Syntax);
    }
    Ok(Flow::Done)
}

/// CLIENT INFO
fn client_info(cx: &mut Cx) -> R {
    let mut line = cx.conn.info_line(Instant::now());
    line.push('\n');
    cx.out().verbatim(b"txt", line.as_bytes());
    Ok(Flow::Done)
}

/// Which clients a CLIENT LIST or CLIENT KILL names.
#[derive(Clone, Default)]
struct Filter {
    ids: Option<Vec<u64>>,
    addr: Option<String>,
    laddr: Option<String>,
    kind: Option<String>,
    user: Option<Vec<u8>>,
    skip_id: Option<u64>,
}

impl Filter {
    fn matches(&self, c: &Conn) -> bool {
        if let Some(ids) = &self.ids {
            if !ids.contains(&c.id) {
                return false;
            }
        }
        if self.addr.as_ref().is_some_and(|a| *a != c.peer) || self.laddr.as_ref().is_some_and(|a| *a != c.local) {
            return false;
        }
        if let Some(kind) = &self.kind {
            // Redis 7.0's getClientType: a RESP2 client with subscriptions.
            let is_pubsub = c.subs.total() > 0 && !c.out.resp3;
            let ok = match kind.as_str() {
                "normal" => !is_pubsub,
                "pubsub" => is_pubsub,
                _ => false,
            };
            if !ok {
                return false;
            }
        }
        if self.user.as_ref().is_some_and(|u| *u != c.user.name) {
            return false;
        }
        self.skip_id != Some(c.id)
    }
}

fn client_type(arg: &[u8]) -> Result<String, CmdError> {
    let t = String::from_utf8_lossy(arg).to_ascii_lowercase();
    match t.as_str() {
        "normal" | "master" | "pubsub" => Ok(t),
        "replica" | "slave" => Ok("replica".into()),
        _ => Err(CmdError::other(format!("ERR Unknown client type '{}'", String::from_utf8_lossy(arg)))),
    }
}

/// CLIENT LIST [TYPE <NORMAL | MASTER | REPLICA | PUBSUB>] [ID client-id [client-id ...]]
fn client_list(cx: &mut Cx) -> R {
    let argv = cx.argv;
    let mut filter = Filter::default();
    if argv.len() == 4 && argv.is(2, "TYPE") {
        filter.kind = Some(client_type(argv.get(3))?);
    } else if argv.len() >= 4 && argv.is(2, "ID") {
        let mut ids = Vec::new();
        for i in 3..argv.len() {
            match super::parse_i64(argv.get(i)) {
                Some(id) if id > 0 => ids.push(id as u64),
                _ => return Err(CmdError::other("ERR Invalid client ID")),
            }
        }
        filter.ids = Some(ids);
    } else if argv.len() != 2 {
        return Err(CmdError::Syntax);
    }
    let shards = cx.core.shards();
    Ok(FanOut::all(
        shards,
        |_| {
            let filter = filter.clone();
            Box::new(move |core: &mut Core| -> JobOut {
                let now = Instant::now();
                let lines: Vec<(u64, String)> =
                    core.conns.iter().filter(|c| filter.matches(c)).map(|c| (c.id, c.info_line(now))).collect();
                Box::new(lines)
            })
        },
        Box::new(|_core, conn, parts| {
            let mut lines: Vec<(u64, String)> = Vec::new();
            for part in parts {
                if let Ok(part) = part.downcast::<Vec<(u64, String)>>() {
                    lines.extend(*part);
                }
            }
            lines.sort_by_key(|(id, _)| *id);
            let mut text = String::new();
            for (_, line) in lines {
                text.push_str(&line);
                text.push('\n');
            }
            conn.out.verbatim(b"txt", text.as_bytes());
            Flow::Done
        }),
    ))
}

/// CLIENT KILL <ip:port | <[ID client-id] | [TYPE ...] | [USER username] | [ADDR ip:port] | [LADDR ip:port] | [SKIPME <YES | NO>]> ...>
fn client_kill(cx: &mut Cx) -> R {
    let argv = cx.argv;
    let mut filter = Filter { skip_id: Some(cx.conn.id), ..Filter::default() };
    let old_style = argv.len() == 3;
    if old_style {
        filter.addr = Some(String::from_utf8_lossy(argv.get(2)).into_owned());
        filter.skip_id = None;
    } else {
        if !argv.len().is_multiple_of(2) {
            return Err(CmdError::Syntax);
        }
        let mut i = 2;
        while i + 1 < argv.len() {
            let value = argv.get(i + 1);
            let text = String::from_utf8_lossy(value).into_owned();
            if argv.is(i, "ID") {
                match super::parse_i64(value) {
                    Some(id) if id > 0 => filter.ids = Some(vec![id as u64]),
                    _ => return Err(CmdError::other("ERR client-id should be greater than 0")),
                }
            } else if argv.is(i, "TYPE") {
                filter.kind = Some(client_type(value)?);
            } else if argv.is(i, "USER") {
                if cx.core.acl.users.get(value).is_none() {
                    return Err(CmdError::other(format!("ERR No such user '{text}'")));
                }
                filter.user = Some(value.to_vec());
            } else if argv.is(i, "ADDR") {
                filter.addr = Some(text);
            } else if argv.is(i, "LADDR") {
                filter.laddr = Some(text);
            } else if argv.is(i, "SKIPME") {
                filter.skip_id = match on_off_yes_no(value)? {
                    true => Some(cx.conn.id),
                    false => None,
                };
            } else {
                return Err(CmdError::Syntax);
            }
            i += 2;
        }
    }
    let shards = cx.core.shards();
    let caller = cx.conn.id;
    Ok(FanOut::all(
        shards,
        |_| {
            let filter = filter.clone();
            Box::new(move |core: &mut Core| -> JobOut {
                let mut killed = 0i64;
                for c in core.conns.iter_mut() {
                    if filter.matches(c) && c.closing == Closing::Open {
                        killed += 1;
                        // The caller gets its reply first, then goes.
                        c.closing = if c.id == caller { Closing::AfterFlush } else { Closing::Now };
                        core.dirty.push(c.slot);
                    }
                }
                Box::new(killed)
            })
        },
        Box::new(move |_core, conn, parts| {
            let killed: i64 = parts.into_iter().filter_map(|p| p.downcast::<i64>().ok()).map(|n| *n).sum();
            if old_style {
                if killed == 0 {
                    conn.out.error(b"ERR No such client");
                } else {
                    conn.out.ok();
                }
            } else {
                conn.out.int(killed);
            }
            Flow::Done
        }),
    ))
}

fn on_off_yes_no(arg: &[u8]) -> Result<bool, CmdError> {
    if arg.eq_ignore_ascii_case(b"yes") {
        Ok(true)
    } else if arg.eq_ignore_ascii_case(b"no") {
        Ok(false)
    } else {
        Err(CmdError::Syntax)
    }
}

/// CLIENT PAUSE timeout [WRITE | ALL]
fn client_pause(cx: &mut Cx) -> R {
    let argv = cx.argv;
    let ms = super::parse_i64(argv.get(2))
        .ok_or_else(|| CmdError::other("ERR timeout is not an integer or out of range"))?;
    if ms < 0 {
        return Err(CmdError::other("ERR timeout is negative"));
    }
    let writes_only = match argv.len() {
        3 => false,
        4 if argv.is(3, "WRITE") => true,
        4 if argv.is(3, "ALL") => false,
        _ => return Err(CmdError::other("ERR CLIENT PAUSE mode must be WRITE or ALL")),
    };
    let until = Instant::now() + Duration::from_millis(ms as u64);
    set_pause(cx, Some(until), writes_only)
}

/// CLIENT UNPAUSE
fn client_unpause(cx: &mut Cx) -> R {
    set_pause(cx, None, false)
}

fn set_pause(cx: &mut Cx, until: Option<Instant>, writes_only: bool) -> R {
    Ok(FanOut::apply(cx.core.shards(), move |core: &mut Core| {
        // A pause never shortens a longer one still running, as in Redis.
        let keep = matches!((core.pause.until, until), (Some(old), Some(new)) if old > new);
        if !keep {
            core.pause.until = until;
            core.pause.writes_only = writes_only;
        }
        for c in core.conns.iter().filter(|c| c.paused) {
            core.dirty.push(c.slot);
        }
    }))
}

/// CLIENT HELP
fn client_help(cx: &mut Cx) -> R {
    super::help(
        cx.out(),
        "CLIENT",
        &[
            "CACHING (YES|NO)",
            "    Enable/disable tracking of the keys for next command in OPTIN/OPTOUT modes.",
            "GETREDIR",
            "    Return the client ID we are redirecting to when tracking is enabled.",
            "GETNAME",
            "    Return the name of the current connection.",
            "ID",
            "    Return the ID of the current connection.",
            "INFO",
            "    Return information about the current client connection.",
            "KILL <ip:port>",
            "    Kill connection made from <ip:port>.",
            "KILL <option> <value> [<option> <value> [...]]",
            "    Kill connections. Options are:",
            "    * ADDR (<ip:port>|<unixsocket>:0)",
            "      Kill connections made from the specified address",
            "    * LADDR (<ip:port>|<unixsocket>:0)",
            "      Kill connections made to specified local address",
            "    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)",
            "      Kill connections by type.",
            "    * USER <username>",
            "      Kill connections authenticated by <username>.",
            "    * SKIPME (YES|NO)",
            "      Skip killing current connection (default: yes).",
            "    * ID <client-id>",
            "      Kill connections by client id.",
            "LIST [options ...]",
            "    Return information about client connections. Options:",
            "    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)",
            "      Return clients of specified type.",
            "UNPAUSE",
            "    Stop the current client pause, resuming traffic.",
            "PAUSE <timeout> [WRITE|ALL]",
            "    Suspend all, or just write, clients for <timeout> milliseconds.",
            "REPLY (ON|OFF|SKIP)",
            "    Control the replies sent to the current connection.",
            "SETNAME <name>",
            "    Assign the name <name> to the current connection.",
            "SETINFO <option> <value>",
            "    Set client meta attr. Options are:",
            "    * LIB-NAME: the client lib name.",
            "    * LIB-VER: the client lib version.",
            "UNBLOCK <clientid> [TIMEOUT|ERROR]",
            "    Unblock the specified blocked client.",
            "TRACKING (ON|OFF) [REDIRECT <id>] [BCAST] [PREFIX <prefix> [...]]",
            "         [OPTIN] [OPTOUT] [NOLOOP]",
            "    Control server assisted client side caching.",
            "TRACKINGINFO",
            "    Report tracking status for the current connection.",
            "NO-EVICT (ON|OFF)",
            "    Protect current client connection from eviction.",
            "NO-TOUCH (ON|OFF)",
            "    Will not touch LRU/LFU stats when this mode is on.",
        ],
    );
    Ok(Flow::Done)
}

const CONN: &[&str] = &["@fast", "@connection"];
const SLOW_CONN: &[&str] = &["@slow", "@connection"];
const ADMIN_CONN: &[&str] = &["@admin", "@slow", "@dangerous", "@connection"];
const NS: u32 = NOSCRIPT | LOADING | STALE;

const CLIENT_SUBS: &[Spec] = &[
    cmd("id", 2, NS, (0, 0, 0), SLOW_CONN, Handler::Conn(client_id)),
    cmd("setname", 3, NS, (0, 0, 0), SLOW_CONN, Handler::Conn(client_setname)),
    cmd("getname", 2, NS, (0, 0, 0), SLOW_CONN, Handler::Conn(client_getname)),
    cmd("list", -2, ADMIN | NS, (0, 0, 0), ADMIN_CONN, Handler::Conn(client_list)),
    cmd("info", 2, NS, (0, 0, 0), SLOW_CONN, Handler::Conn(client_info)),
    cmd("kill", -3, ADMIN | NS, (0, 0, 0), ADMIN_CONN, Handler::Conn(client_kill)),
    cmd("unblock", -3, ADMIN | NS, (0, 0, 0), ADMIN_CONN, Handler::Conn(client_unblock)),
    cmd("setinfo", 4, NS, (0, 0, 0), SLOW_CONN, Handler::Conn(client_setinfo)),
    cmd("no-touch", 3, NS, (0, 0, 0), SLOW_CONN, Handler::Conn(client_no_touch)),
    cmd("no-evict", 3, ADMIN | NS, (0, 0, 0), ADMIN_CONN, Handler::Conn(client_no_evict)),
    cmd("tracking", -3, NS, (0, 0, 0), SLOW_CONN, Handler::Conn(client_tracking)),
    cmd("caching", 3, NS, (0, 0, 0), SLOW_CONN, Handler::Conn(client_caching)),
    cmd("getredir", 2, NS, (0, 0, 0), SLOW_CONN, Handler::Conn(client_getredir)),
    cmd("trackinginfo", 2, NS, (0, 0, 0), SLOW_CONN, Handler::Conn(client_trackinginfo)),
    cmd("reply", 3, NS, (0, 0, 0), SLOW_CONN, Handler::Conn(client_reply)),
    cmd("pause", -3, ADMIN | NS, (0, 0, 0), ADMIN_CONN, Handler::Conn(client_pause)),
    cmd("unpause", 2, ADMIN | NS, (0, 0, 0), ADMIN_CONN, Handler::Conn(client_unpause)),
    cmd("help", 2, LOADING | STALE, (0, 0, 0), SLOW_CONN, Handler::Conn(client_help)),
];

pub const SPECS: &[Spec] = &[
    cmd("ping", -1, FAST, (0, 0, 0), CONN, Handler::Conn(ping)),
    cmd("echo", 2, LOADING | STALE | FAST, (0, 0, 0), CONN, Handler::Conn(echo)),
    cmd("hello", -1, NS | FAST | NO_AUTH | ALLOW_BUSY, (0, 0, 0), CONN, Handler::Conn(hello)),
    cmd("auth", -2, NS | FAST | NO_AUTH | ALLOW_BUSY, (0, 0, 0), CONN, Handler::Conn(auth)),
    cmd("select", 2, LOADING | STALE | FAST, (0, 0, 0), CONN, Handler::Conn(select)),
    cmd("quit", -1, NS | FAST | NO_AUTH | ALLOW_BUSY | TX_CONTROL, (0, 0, 0), CONN, Handler::Conn(quit)),
    cmd("reset", 1, NS | FAST | NO_AUTH | ALLOW_BUSY | TX_CONTROL, (0, 0, 0), CONN, Handler::Conn(reset)),
    container("client", -2, 0, &["@slow"], CLIENT_SUBS),
];
