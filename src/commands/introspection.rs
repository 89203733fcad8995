//! COMMAND and its subcommands, answered from the spec tables.
//!
//! Name, arity, flags, key positions and ACL categories come from our own [`Spec`] rows. The
//! parts that are pure documentation — `COMMAND DOCS`, and the tips and key specifications inside
//! `COMMAND INFO` — are Redis 7's own facts, captured from the reference server into
//! `docs.resp3` (see `scripts/gen-command-docs.sh`) and replayed for the commands we implement.

use super::flag::*;
use super::{arity_ok, cmd, docs, help, key_positions, registry, Argv, Cx, Flow, Handler, Renames, Spec};
use crate::error::CmdError;
use crate::protocol::Out;
use hashbrown::HashMap;
use std::sync::OnceLock;

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

/// The top-level commands some name reaches (all of them unless `rename-command` removed some).
fn reachable(renames: &Renames) -> impl Iterator<Item = (usize, &'static super::Entry)> + '_ {
    registry().top_level().filter(|(id, _)| renames.reaches(*id))
}

/// COMMAND
fn command(cx: &mut Cx) -> R {
    let ids: Vec<usize> = reachable(&cx.core.renames).map(|(id, _)| id).collect();
    let out = cx.out();
    out.array(ids.len());
    for id in ids {
        write_info(out, id);
    }
    Ok(Flow::Done)
}

/// COMMAND COUNT
fn command_count(cx: &mut Cx) -> R {
    let n = reachable(&cx.core.renames).count() as i64;
    cx.out().int(n);
    Ok(Flow::Done)
}

/// COMMAND INFO [command-name ...]
fn command_info(cx: &mut Cx) -> R {
    if cx.argv.len() == 2 {
        return command(cx);
    }
    let argv = cx.argv;
    let ids: Vec<Option<usize>> = argv.iter().skip(2).map(|name| lookup_full(&cx.core.renames, name)).collect();
    let out = cx.out();
    out.array(ids.len());
    for id in ids {
        match id {
            Some(id) => write_info(out, id),
            None => out.null(),
        }
    }
    Ok(Flow::Done)
}

/// A command by the full name a client uses for it: `get` or `client|list` (after
/// `rename-command`, `myget`).
pub fn lookup_full(renames: &Renames, name: &[u8]) -> Option<usize> {
    let reg = registry();
    match memchr::memchr(b'|', name) {
        Some(bar) => renames.lookup(&name[..bar]).and_then(|p| reg.lookup_sub(p, &name[bar + 1..])),
        None => renames.lookup(name),
    }
}

/// COMMAND DOCS [command-name ...]
fn command_docs(cx: &mut Cx) -> R {
    let reg = registry();
    let renames = &cx.core.renames;
    let names: Vec<String> = if cx.argv.len() == 2 {
        reachable(renames).map(|(_, e)| e.full_name.clone()).collect()
    } else {
        cx.argv
            .iter()
            .skip(2)
            .filter_map(|n| lookup_full(renames, n).map(|id| reg.entries[id].full_name.clone()))
            .collect()
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

/// One key found by COMMAND GETKEYS / GETKEYSANDFLAGS: its position in the command and the
/// flags of the key specification that found it (none when found by a fallback).
type FoundKey = (usize, KeyFlags);

#[derive(Clone, Copy)]
enum KeyFlags {
    /// The flags of a key specification, from docs.resp3.
    Spec(&'static [docs::Value]),
    /// Flags a getkeys proc decides from the arguments (SET's depend on GET).
    Fixed(&'static [&'static str]),
}

const NO_FLAGS: KeyFlags = KeyFlags::Fixed(&[]);

/// Why COMMAND GETKEYS finds no keys, in Redis's words.
const NO_KEY_ARGS: &str = "ERR The command has no key arguments";
const INVALID_ARGS: &str = "ERR Invalid arguments specified for command";

/// The keys of `args` (the command line, name first), as Redis's commandGetKeys finds them:
/// first from Redis's own key specifications (replayed from docs.resp3) the way
/// getKeysUsingKeySpecs walks them; if a specification does not fit the arguments, from the
/// command's numkeys rule the way Redis's getkeys procs (genericGetKeys) read it.
/// The keys of `args` (name first) for registry entry `id`, which the caller resolved from the
/// name (through `rename-command`); a container's subcommand is found here.
fn find_keys(mut id: usize, args: &[&[u8]]) -> Result<Vec<FoundKey>, CmdError> {
    let reg = registry();
    if let Handler::Container(_) = reg.entries[id].spec.handler {
        if args.len() >= 2 {
            id = reg.lookup_sub(id, args[1]).ok_or_else(|| CmdError::other("ERR Invalid command specified"))?;
        }
    }
    let entry = &reg.entries[id];
    let spec = entry.spec;
    let key_specs: &[docs::Value] =
        docs_entry(&entry.full_name).and_then(|info| info_field(info, 8)).and_then(|v| v.as_slice()).unwrap_or(&[]);
    if key_specs.is_empty() && spec.keys.0 == 0 && spec.flags & MOVABLEKEYS == 0 {
        return Err(CmdError::other(NO_KEY_ARGS));
    }
    if !arity_ok(spec.arity, args.len()) {
        return Err(CmdError::other("ERR Invalid number of arguments specified for command"));
    }
    // A specification marked variable_flags defers to the command's own rule, as Redis's
    // getKeysFromCommandWithSpecs does; of those, shardis has SET (Redis's setGetKeys).
    let variable = key_specs.iter().any(|ks| {
        ks.get("flags")
            .and_then(|f| f.as_slice())
            .is_some_and(|f| f.iter().any(|x| x.as_str() == Some("variable_flags")))
    });
    if variable && entry.full_name == "set" {
        let get = args.iter().skip(3).any(|a| a.eq_ignore_ascii_case(b"get"));
        let flags: &'static [&'static str] = if get { &["RW", "access", "update"] } else { &["OW", "update"] };
        return Ok(vec![(1, KeyFlags::Fixed(flags))]);
    }
    let found = match keys_from_specs(key_specs, args) {
        Some(found) => found,
        None if key_specs.is_empty() => key_positions(spec, args.len()).map(|p| (p, NO_FLAGS)).collect(),
        None => numkeys_fallback(entry.spec.name, args),
    };
    if found.is_empty() && spec.flags & crate::commands::flag::NO_MANDATORY_KEYS == 0 {
        return Err(CmdError::other(INVALID_ARGS));
    }
    Ok(found)
}

/// The keys of `argv` (name first) and how the command uses each, as ACL checks them: a bit
/// per [`crate::acl::READ`] (the key spec says `access`) and [`crate::acl::WRITE`] (`insert`,
/// `delete` or `update`). Empty when the command names no keys; a shard channel (SPUBLISH's,
/// a `not_key` spec) is not a key.
pub fn key_access(id: usize, argv: &Argv<'_>) -> Vec<(usize, u8)> {
    let args: Vec<&[u8]> = argv.iter().collect();
    let Ok(found) = find_keys(id, &args) else { return Vec::new() };
    let need = |names: &mut dyn Iterator<Item = &str>| {
        names.fold(0u8, |m, f| match f {
            "access" => m | crate::acl::READ,
            "insert" | "delete" | "update" => m | crate::acl::WRITE,
            _ => m,
        })
    };
    let not_key = |flags: &KeyFlags| match flags {
        KeyFlags::Spec(values) => values.iter().any(|v| v.as_str() == Some("not_key")),
        KeyFlags::Fixed(names) => names.contains(&"not_key"),
    };
    found
        .into_iter()
        .filter(|(p, flags)| *p < args.len() && !not_key(flags))
        .map(|(p, flags)| {
            let bits = match flags {
                KeyFlags::Spec(values) => need(&mut values.iter().filter_map(|v| v.as_str())),
                KeyFlags::Fixed(names) => need(&mut names.iter().copied()),
            };
            (p, bits)
        })
        .collect()
}

/// Does where the keys of registry entry `id` are depend on the number of arguments only (every
/// key spec found by index, keys in a range; no variable flags)? Then [`key_access_of`] keeps
/// its answer per argument count.
fn positional(id: usize) -> bool {
    static POSITIONAL: OnceLock<Vec<bool>> = OnceLock::new();
    POSITIONAL.get_or_init(|| {
        registry()
            .entries
            .iter()
            .map(|e| {
                let specs = docs_entry(&e.full_name).and_then(|info| info_field(info, 8)).and_then(|v| v.as_slice());
                let Some(specs) = specs.filter(|s| !s.is_empty()) else { return e.spec.flags & MOVABLEKEYS == 0 };
                e.spec.flags & MOVABLEKEYS == 0
                    && specs.iter().all(|ks| {
                        let kind = |field: &str| ks.get(field).and_then(|v| v.get("type")).and_then(|t| t.as_str());
                        let variable = ks
                            .get("flags")
                            .and_then(|f| f.as_slice())
                            .is_some_and(|f| f.iter().any(|x| x.as_str() == Some("variable_flags")));
                        kind("begin_search") == Some("index") && kind("find_keys") == Some("range") && !variable
                    })
            })
            .collect()
    })[id]
}

/// Keys and the access each needs (see [`key_access`]), shared.
pub type KeyAccess = std::rc::Rc<[(usize, u8)]>;

/// [`key_access`] for registry entry `id`, kept per (command, argument count) on this thread
/// when the positions depend on nothing else: an ACL check of a plain command then costs a
/// lookup, not a walk of its key specs.
pub fn key_access_of(id: usize, argv: &Argv<'_>) -> KeyAccess {
    thread_local! {
        static CACHE: std::cell::RefCell<HashMap<(usize, usize), KeyAccess>> = std::cell::RefCell::new(HashMap::new());
    }
    // SET's one key spec has variable flags (Redis's setGetKeys): its key is read too with GET.
    static SET: OnceLock<Option<usize>> = OnceLock::new();
    let is_set = *SET.get_or_init(|| registry().lookup(b"set")) == Some(id) && argv.len() >= 3;
    let get = is_set && argv.iter().skip(3).any(|a| a.eq_ignore_ascii_case(b"get"));
    if !(positional(id) || is_set) {
        return key_access(id, argv).into();
    }
    CACHE.with(|cache| {
        cache
            .borrow_mut()
            .entry((id, argv.len() * 2 + get as usize))
            .or_insert_with(|| key_access(id, argv).into())
            .clone()
    })
}

/// The positions of the keys in `argv` (name first), found as COMMAND GETKEYS finds them
/// (movable keys included); None when the arguments do not say (the command will refuse them).
pub fn keys_of(id: usize, argv: &Argv<'_>) -> Option<Vec<usize>> {
    let args: Vec<&[u8]> = argv.iter().collect();
    find_keys(id, &args).ok().map(|found| found.into_iter().map(|(p, _)| p).filter(|&p| p < args.len()).collect())
}

/// Redis's getKeysUsingKeySpecs: None when a specification does not fit (Redis's
/// `invalid_spec`), or when there are no specifications.
fn keys_from_specs(key_specs: &'static [docs::Value], args: &[&[u8]]) -> Option<Vec<FoundKey>> {
    if key_specs.is_empty() {
        return None;
    }
    let argc = args.len() as i64;
    let int = |v: Option<&docs::Value>| v.and_then(|v| v.as_int());
    let mut found = Vec::new();
    for ks in key_specs {
        let flags = ks.get("flags").and_then(|f| f.as_slice()).unwrap_or(&[]);
        let (bs, fk) = (ks.get("begin_search")?, ks.get("find_keys")?);
        let (bs_spec, fk_spec) = (bs.get("spec")?, fk.get("spec")?);
        let first = match bs.get("type")?.as_str()? {
            "index" => int(bs_spec.get("index"))?,
            "keyword" => {
                let keyword = bs_spec.get("keyword")?.as_bytes()?;
                let from = int(bs_spec.get("startfrom"))?;
                let start = if from > 0 { from } else { argc + from };
                let end = if from > 0 { argc - 1 } else { 0 };
                let mut i = start;
                let mut at = None;
                while i != end {
                    if i >= argc || i < 1 {
                        break;
                    }
                    if args[i as usize].eq_ignore_ascii_case(keyword) {
                        at = Some(i + 1);
                        break;
                    }
                    i += if start <= end { 1 } else { -1 };
                }
                match at {
                    Some(first) => first,
                    None => continue,
                }
            }
            _ => return None,
        };
        let (first, last, step) = match fk.get("type")?.as_str()? {
            "range" => {
                let (lastkey, limit) = (int(fk_spec.get("lastkey"))?, int(fk_spec.get("limit"))?);
                let last = if lastkey >= 0 {
                    first + lastkey
                } else if limit == 0 {
                    argc + lastkey
                } else {
                    first + ((argc - first) / limit + lastkey)
                };
                (first, last, int(fk_spec.get("keystep"))?)
            }
            "keynum" => {
                let idx = int(fk_spec.get("keynumidx"))?;
                if idx >= argc || first + idx >= argc {
                    return None;
                }
                let numkeys = super::parse_i64(args[(first + idx) as usize]).filter(|n| *n >= 0)?;
                let first = first + int(fk_spec.get("firstkey"))?;
                // numkeys comes from the client: a huge one must not overflow.
                (first, first.saturating_add(numkeys) - 1, int(fk_spec.get("keystep"))?)
            }
            _ => return None,
        };
        if last >= argc || last < first || first >= argc {
            return None;
        }
        let mut i = first;
        while i <= last {
            found.push((i as usize, KeyFlags::Spec(flags)));
            i += step.max(1);
        }
    }
    Some(found)
}

/// Redis's genericGetKeys for the numkeys commands, used when their key specification does not
/// fit: numkeys read by atoi, the keys after it, the destination (if any) last, and no flags.
fn numkeys_fallback(name: &str, args: &[&[u8]]) -> Vec<FoundKey> {
    // (destination, numkeys, first key) offsets, as in Redis's getkeys procs.
    let (store, count, first) = match name {
        "zunionstore" | "zinterstore" | "zdiffstore" => (1, 2, 3),
        "blmpop" | "bzmpop" => (0, 2, 3),
        "zunion" | "zinter" | "zdiff" | "zintercard" | "sintercard" | "lmpop" | "zmpop" => (0, 1, 2),
        "sort" | "sort_ro" => return sort_keys(name == "sort_ro", args),
        _ => return Vec::new(),
    };
    let num = atoi(args.get(count).copied().unwrap_or(b""));
    if num < 1 || num as usize > args.len().saturating_sub(first) {
        return Vec::new();
    }
    let mut found: Vec<FoundKey> = (first..first + num as usize).map(|p| (p, NO_FLAGS)).collect();
    if store > 0 {
        found.push((store, NO_FLAGS));
    }
    found
}

/// Redis's sortGetKeys (sortROGetKeys): the source, and the last STORE's key, found by skipping
/// LIMIT's two arguments and GET's and BY's one (a STORE's key is not skipped).
fn sort_keys(readonly: bool, args: &[&[u8]]) -> Vec<FoundKey> {
    let mut found = vec![(1, KeyFlags::Fixed(&["RO", "access"]))];
    if readonly {
        return found;
    }
    let mut store = None;
    let mut i = 2;
    while i < args.len() {
        let a = args[i];
        if a.eq_ignore_ascii_case(b"limit") {
            i += 2;
        } else if a.eq_ignore_ascii_case(b"store") && i + 1 < args.len() {
            store = Some(i + 1);
        } else if a.eq_ignore_ascii_case(b"get") || a.eq_ignore_ascii_case(b"by") {
            i += 1;
        }
        i += 1;
    }
    found.extend(store.map(|p| (p, KeyFlags::Fixed(&["OW", "update"]))));
    found
}

/// C's atoi: optional blanks and sign, then digits up to the first other byte.
fn atoi(bytes: &[u8]) -> i64 {
    let s = bytes.iter().skip_while(|b| b.is_ascii_whitespace());
    let mut digits = s.peekable();
    let negative = match digits.peek() {
        Some(b'-') => {
            digits.next();
            true
        }
        Some(b'+') => {
            digits.next();
            false
        }
        _ => false,
    };
    let mut n: i64 = 0;
    for &d in digits.take_while(|d| d.is_ascii_digit()) {
        n = n.saturating_mul(10).saturating_add((d - b'0') as i64);
    }
    if negative {
        -n
    } else {
        n
    }
}

/// COMMAND GETKEYS command [arg ...]
fn command_getkeys(cx: &mut Cx) -> R {
    let argv = cx.argv;
    let args: Vec<&[u8]> = argv.iter().skip(2).collect();
    let id = cx.core.renames.lookup(args[0]).ok_or_else(|| CmdError::other("ERR Invalid command specified"))?;
    let found = find_keys(id, &args)?;
    let out = cx.out();
    out.array(found.len());
    for (pos, _) in found {
        out.bulk(args[pos]);
    }
    Ok(Flow::Done)
}

/// COMMAND GETKEYSANDFLAGS command [arg ...]: each key with its key specification's flags.
fn command_getkeysandflags(cx: &mut Cx) -> R {
    let argv = cx.argv;
    let args: Vec<&[u8]> = argv.iter().skip(2).collect();
    let id = cx.core.renames.lookup(args[0]).ok_or_else(|| CmdError::other("ERR Invalid command specified"))?;
    let found = find_keys(id, &args)?;
    let out = cx.out();
    out.array(found.len());
    for (pos, flags) in found {
        out.array(2);
        out.bulk(args[pos]);
        match flags {
            KeyFlags::Spec(flags) => {
                out.set(flags.len());
                for flag in flags {
                    out.simple(flag.as_bytes().unwrap_or(b""));
                }
            }
            KeyFlags::Fixed(flags) => {
                out.set(flags.len());
                for flag in flags {
                    out.simple(flag.as_bytes());
                }
            }
        }
    }
    Ok(Flow::Done)
}

/// COMMAND LIST [FILTERBY <MODULE module-name | ACLCAT category | PATTERN pattern>]
fn command_list(cx: &mut Cx) -> R {
    let argv = cx.argv;
    let reg = registry();
    let mut names: Vec<&str> = Vec::new();
    let renames = &cx.core.renames;
    let every = reg
        .entries
        .iter()
        .enumerate()
        .filter(|(id, _)| renames.reaches(*id))
        .map(|(_, e)| (e.full_name.as_str(), e.spec));
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
    cmd("getkeysandflags", -4, LS, (0, 0, 0), SLOW_CONN, Handler::Conn(command_getkeysandflags)),
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
    more_keys: None,
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
