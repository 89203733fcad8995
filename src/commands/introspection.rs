//! COMMAND and its subcommands, answered from the spec tables.
//!
//! Name, arity, flags, key positions and ACL categories come from our own [`Spec`] rows. The
//! parts that are pure documentation — `COMMAND DOCS`, and the tips and key specifications inside
//! `COMMAND INFO` — are Redis 7's own facts, captured from the reference server into
//! `docs.resp3` (see `scripts/gen-command-docs.sh`) and replayed for the commands we implement.

use super::flag::*;
use super::{arity_ok, cmd, docs, help, key_positions, registry, Cx, Flow, Handler, Spec};
use crate::error::CmdError;
use crate::protocol::Out;

type R = Result<Flow, CmdError>;

/// Writes one COMMAND INFO entry for registry entry `id`.
fn write_info(out: &mut Out, id: usize) {
    let reg = registry();
    let entry = &reg.entries[id];
    let spec = entry.spec;
    out.array(10);
    out.bulk(entry.full_name.as_bytes());
    out.int(spec.arity as i64);
    let flags: Vec<&str> = NAMES.iter().filter(|(bit, _)| spec.flags & bit != 0).map(|(_, n)| *n).collect();
    out.set(flags.len());
    for f in flags {
        out.simple(f.as_bytes());
    }
    out.int(spec.keys.0 as i64);
    out.int(spec.keys.1 as i64);
    out.int(spec.keys.2 as i64);
    out.set(spec.acl.len());
    for cat in spec.acl {
        out.simple(cat.as_bytes());
    }
    let name = entry.full_name.as_str();
    let facts = |index: usize| docs_entry(name).and_then(|info| info_field(info, index));
    match facts(7) {
        Some(tips) => tips.write(out.resp3, &mut out.buf),
        None => out.set(0),
    }
    match facts(8) {
        Some(specs) => specs.write(out.resp3, &mut out.buf),
        None => out.array(0),
    }
    let subs: Vec<usize> = spec.subs.iter().filter_map(|s| reg.lookup_sub(id, s.name.as_bytes())).collect();
    out.set(subs.len());
    for sid in subs {
        write_info(out, sid);
    }
}

/// Redis's COMMAND INFO entry for `full_name` (`get`, `client|list`).
fn docs_entry(full_name: &str) -> Option<&'static docs::Value> {
    match full_name.split_once('|') {
        Some((parent, sub)) => docs::subcommand_info(parent, sub),
        None => docs::info(full_name),
    }
}

fn info_field(info: &'static docs::Value, index: usize) -> Option<&'static docs::Value> {
    match info {
        docs::Value::Array(items) => items.get(index),
        _ => None,
    }
}

/// COMMAND
fn command(cx: &mut Cx) -> R {
    let ids: Vec<usize> = registry().top_level().map(|(id, _)| id).collect();
    let out = cx.out();
    out.array(ids.len());
    for id in ids {
        write_info(out, id);
    }
    Ok(Flow::Done)
}

/// COMMAND COUNT
fn command_count(cx: &mut Cx) -> R {
    let n = registry().top_level().count() as i64;
    cx.out().int(n);
    Ok(Flow::Done)
}

/// COMMAND INFO [command-name ...]
fn command_info(cx: &mut Cx) -> R {
    if cx.argv.len() == 2 {
        return command(cx);
    }
    let reg = registry();
    let argv = cx.argv;
    let out = cx.out();
    out.array(argv.len() - 2);
    for name in argv.iter().skip(2) {
        match lookup_full(name) {
            Some(id) => write_info(out, id),
            None => {
                let _ = reg;
                out.null();
            }
        }
    }
    Ok(Flow::Done)
}

/// A command by its full name: `get` or `client|list`.
fn lookup_full(name: &[u8]) -> Option<usize> {
    let reg = registry();
    match memchr::memchr(b'|', name) {
        Some(bar) => reg.lookup(&name[..bar]).and_then(|p| reg.lookup_sub(p, &name[bar + 1..])),
        None => reg.lookup(name),
    }
}

/// COMMAND DOCS [command-name ...]
fn command_docs(cx: &mut Cx) -> R {
    let reg = registry();
    let names: Vec<String> = if cx.argv.len() == 2 {
        reg.top_level().map(|(_, e)| e.full_name.clone()).collect()
    } else {
        cx.argv.iter().skip(2).filter_map(|n| reg.lookup(n).map(|id| reg.entries[id].full_name.clone())).collect()
    };
    let found: Vec<(String, &docs::Value)> = names.into_iter().filter_map(|n| docs::docs(&n).map(|d| (n, d))).collect();
    let out = cx.out();
    out.map(found.len());
    for (name, doc) in found {
        out.bulk(name.as_bytes());
        doc.write(out.resp3, &mut out.buf);
    }
    Ok(Flow::Done)
}

/// COMMAND GETKEYS command [arg ...]
fn command_getkeys(cx: &mut Cx) -> R {
    let reg = registry();
    let argv = cx.argv;
    let Some(mut id) = reg.lookup(argv.get(2)) else {
        return Err(CmdError::other("ERR Invalid command specified"));
    };
    let argc = argv.len() - 2;
    if let Handler::Container(_) = reg.entries[id].spec.handler {
        if argc >= 2 {
            if let Some(sid) = reg.lookup_sub(id, argv.get(3)) {
                id = sid;
            }
        }
    }
    let spec = reg.entries[id].spec;
    if !arity_ok(spec.arity, argc) {
        return Err(CmdError::other("ERR Invalid number of arguments specified for command"));
    }
    let keys: Vec<usize> = key_positions(spec, argc).collect();
    if keys.is_empty() {
        return Err(CmdError::other("ERR The command has no key arguments"));
    }
    let out = cx.out();
    out.array(keys.len());
    for k in keys {
        out.bulk(argv.get(k + 2));
    }
    Ok(Flow::Done)
}

/// COMMAND LIST [FILTERBY <MODULE module-name | ACLCAT category | PATTERN pattern>]
fn command_list(cx: &mut Cx) -> R {
    let argv = cx.argv;
    let reg = registry();
    let mut names: Vec<&str> = Vec::new();
    let every = reg.entries.iter().map(|e| (e.full_name.as_str(), e.spec));
    match argv.len() {
        2 => names.extend(every.map(|(n, _)| n)),
        5 if argv.is(2, "FILTERBY") => {
            let value = argv.get(4);
            if argv.is(3, "MODULE") {
            } else if argv.is(3, "ACLCAT") {
                let cat = format!("@{}", String::from_utf8_lossy(value).to_ascii_lowercase());
                names.extend(every.filter(|(_, s)| s.acl.contains(&cat.as_str())).map(|(n, _)| n));
            } else if argv.is(3, "PATTERN") {
                names.extend(
                    every.filter(|(n, _)| crate::config::glob_match(value, n.as_bytes(), true)).map(|(n, _)| n),
                );
            } else {
                return Err(CmdError::Syntax);
            }
        }
        _ => return Err(CmdError::Syntax),
    }
    let out = cx.out();
    out.array(names.len());
    for n in names {
        out.bulk(n.as_bytes());
    }
    Ok(Flow::Done)
}

/// COMMAND HELP
fn command_help(cx: &mut Cx) -> R {
    help(
        cx.out(),
        "COMMAND",
        &[
            "(no subcommand)",
            "    Return details about all Redis commands.",
            "COUNT",
            "    Return the total number of commands in this Redis server.",
            "LIST",
            "    Return a list of all commands in this Redis server.",
            "INFO [<command-name> ...]",
            "    Return details about multiple Redis commands.",
            "    If no command names are given, documentation details for all",
            "    commands are returned.",
            "DOCS [<command-name> ...]",
            "    Return documentation details about multiple Redis commands.",
            "    If no command names are given, documentation details for all",
            "    commands are returned.",
            "GETKEYS <full-command>",
            "    Return the keys from a full Redis command.",
            "GETKEYSANDFLAGS <full-command>",
            "    Return the keys and the access flags from a full Redis command.",
        ],
    );
    Ok(Flow::Done)
}

const SLOW_CONN: &[&str] = &["@slow", "@connection"];
const LS: u32 = LOADING | STALE;

const COMMAND_SUBS: &[Spec] = &[
    cmd("count", 2, LS, (0, 0, 0), SLOW_CONN, Handler::Conn(command_count)),
    cmd("info", -2, LS, (0, 0, 0), SLOW_CONN, Handler::Conn(command_info)),
    cmd("docs", -2, LS, (0, 0, 0), SLOW_CONN, Handler::Conn(command_docs)),
    cmd("getkeys", -4, LS, (0, 0, 0), SLOW_CONN, Handler::Conn(command_getkeys)),
    cmd("list", -2, LS, (0, 0, 0), SLOW_CONN, Handler::Conn(command_list)),
    cmd("help", 2, LS, (0, 0, 0), SLOW_CONN, Handler::Conn(command_help)),
];

pub const SPECS: &[Spec] = &[Spec {
    name: "command",
    arity: -1,
    flags: LS,
    keys: (0, 0, 0),
    acl: SLOW_CONN,
    // Bare COMMAND lists every command.
    handler: Handler::Container(Some(command)),
    subs: COMMAND_SUBS,
    spread: None,
}];

#[cfg(test)]
mod tests {
    use super::*;

    /// Every row of our tables agrees with Redis 7's own COMMAND INFO (captured in docs.resp3)
    /// on arity, flags, key positions and ACL categories.
    #[test]
    fn spec_rows_match_redis() {
        let reg = registry();
        let mut wrong = Vec::new();
        for entry in &reg.entries {
            let Some(docs::Value::Array(info)) = docs_entry(&entry.full_name) else {
                wrong.push(format!("{}: not a Redis command", entry.full_name));
                continue;
            };
            let spec = entry.spec;
            let words = |v: &docs::Value| -> Vec<String> {
                v.as_slice().unwrap_or(&[]).iter().filter_map(|x| x.as_str().map(str::to_string)).collect()
            };
            let ours: Vec<String> =
                NAMES.iter().filter(|(bit, _)| spec.flags & bit != 0).map(|(_, n)| n.to_string()).collect();
            let theirs: Vec<String> = words(&info[2]).into_iter().filter(|f| f != "sentinel").collect();
            let mut ours_sorted = ours.clone();
            ours_sorted.sort();
            let mut theirs_sorted = theirs.clone();
            theirs_sorted.sort();
            // ZRANK/ZREVRANK take 7.2's WITHSCORE, so their arity is 7.2's (-3), not 7.0's 3.
            let arity = match entry.full_name.as_str() {
                "zrank" | "zrevrank" => Some(-3),
                _ => info[1].as_int(),
            };
            let facts = (arity, theirs_sorted, (info[3].as_int(), info[4].as_int(), info[5].as_int()), words(&info[6]));
            let mine = (
                Some(spec.arity as i64),
                ours_sorted,
                (Some(spec.keys.0 as i64), Some(spec.keys.1 as i64), Some(spec.keys.2 as i64)),
                spec.acl.iter().map(|s| s.to_string()).collect::<Vec<_>>(),
            );
            if facts != mine {
                wrong.push(format!("{}: redis {:?} ours {:?}", entry.full_name, facts, mine));
            }
        }
        assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    }
}
