//! ACL users, as Redis 7.0 keeps them: each user is on or off, has passwords (SHA-256 hex) or
//! `nopass`, and one or more selectors (the root one, and more in parentheses), each a set of
//! allowed commands (a bit per command and subcommand of the registry, first arguments for
//! `+select|0`), key patterns with read/write flags, and channel patterns. A command runs when
//! any selector allows it, its keys and its channels ([`check`]).
//!
//! # Where the table lives
//!
//! Every core holds the whole table, immutable behind an [`Arc`] ([`Acl::users`]), and checks
//! its connections' commands against it with no lock. A change (ACL SETUSER, DELUSER, LOAD,
//! CONFIG SET requirepass) is made on shard 0, which orders all changes, into a new table with
//! the next version; then the connection's core hands that table to every shard and replies
//! only once all have it, so no command anywhere runs under the old rules after the reply. A
//! shard keeps the newest version it was given (two changes may arrive in either order).
//! There, the clients of a deleted user are closed, and so are the subscribers that lost a
//! channel.
//!
//! A connection keeps its user's [`Arc<User>`] and the table version it was read from, and
//! reads it again when the core's version moves on: rules changed with SETUSER apply to the
//! user's connections at once, as in Redis, where the user is changed in place.

pub mod check;
pub mod file;
pub mod log;

use std::collections::BTreeMap;
use std::sync::{Arc, OnceLock};

use sha2::{Digest, Sha256};

use crate::commands::{registry, Handler, Registry};

/// Redis's ACL categories, in its order (ACL CAT, and the order rules are described in).
pub const CATEGORIES: [&str; 21] = [
    "keyspace",
    "read",
    "write",
    "set",
    "sortedset",
    "list",
    "hash",
    "string",
    "bitmap",
    "hyperloglog",
    "geo",
    "stream",
    "pubsub",
    "admin",
    "fast",
    "slow",
    "blocking",
    "dangerous",
    "connection",
    "transaction",
    "scripting",
];

/// Each registry entry's categories, a bit per [`CATEGORIES`] index.
fn categories() -> &'static [u32] {
    static CATS: OnceLock<Vec<u32>> = OnceLock::new();
    CATS.get_or_init(|| {
        registry()
            .entries
            .iter()
            .map(|e| {
                e.spec.acl.iter().fold(0, |m, c| {
                    let name = c.trim_start_matches('@');
                    m | CATEGORIES.iter().position(|&x| x == name).map_or(0, |i| 1 << i)
                })
            })
            .collect()
    })
}

/// The index of a category name, any case.
pub fn category(name: &[u8]) -> Option<usize> {
    CATEGORIES.iter().position(|c| c.as_bytes().eq_ignore_ascii_case(name))
}

/// Registry entries whose category bits include `cat`.
pub fn in_category(cat: usize) -> impl Iterator<Item = usize> {
    let cats = categories();
    command_order().iter().copied().filter(move |&id| cats[id] & (1 << cat) != 0)
}

/// Every command, each followed by its subcommands: the order rules walk the table in.
fn command_order() -> &'static [usize] {
    static ORDER: OnceLock<Vec<usize>> = OnceLock::new();
    ORDER.get_or_init(|| {
        let reg = registry();
        let mut order = Vec::with_capacity(reg.entries.len());
        for (id, e) in reg.top_level() {
            order.push(id);
            let mut subs: Vec<usize> = e.subs.values().copied().collect();
            subs.sort_unstable();
            order.extend(subs);
        }
        order
    })
}

/// Read and write permission of a key pattern.
pub const READ: u8 = 1;
pub const WRITE: u8 = 2;

/// Why a rule could not be applied: Redis's texts (ACLSetUserStringError).
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum RuleError {
    Unknown,
    Syntax,
    KeysAfterAll,
    ChannelsAfterAll,
    NoSuchPassword,
    BadHash,
    FirstArgOfSub,
}

impl RuleError {
    pub fn text(self) -> &'static str {
        match self {
            RuleError::Unknown => "Unknown command or category name in ACL",
            RuleError::Syntax => "Syntax error",
            RuleError::KeysAfterAll => {
                "Adding a pattern after the * pattern (or the 'allkeys' flag) is not valid and does not have any \
                 effect. Try 'resetkeys' to start with an empty list of patterns"
            }
            RuleError::ChannelsAfterAll => {
                "Adding a pattern after the * pattern (or the 'allchannels' flag) is not valid and does not have \
                 any effect. Try 'resetchannels' to start with an empty list of channels"
            }
            RuleError::NoSuchPassword => "The password you are trying to remove from the user does not exist",
            RuleError::BadHash => {
                "The password hash must be exactly 64 characters and contain only lowercase hexadecimal characters"
            }
            RuleError::FirstArgOfSub => "Allowing first-arg of a subcommand is not supported",
        }
    }
}

/// One set of permissions: the user's root, or one in parentheses.
#[derive(Clone, Debug, PartialEq)]
pub struct Selector {
    pub root: bool,
    pub all_keys: bool,
    pub all_channels: bool,
    /// Every command, with no bit to look at (cleared by any removal).
    pub all_commands: bool,
    /// Redis's reserved bit: set by `+@all`, cleared only by `-@all` (commands added later
    /// would be allowed); it decides whether rules are described from `+@all` or `-@all`.
    pub future: bool,
    bits: Vec<u64>,
    /// Commands allowed only with one of these first arguments (`+select|0`).
    firstargs: Vec<(usize, Vec<Vec<u8>>)>,
    /// Key patterns and their [`READ`]/[`WRITE`] flags, in the order given.
    pub keys: Vec<(Vec<u8>, u8)>,
    pub channels: Vec<Vec<u8>>,
}

impl Selector {
    /// An empty selector: nothing allowed; channels as `acl-pubsub-default` says.
    pub fn new(root: bool, all_channels: bool) -> Selector {
        Selector {
            root,
            all_keys: false,
            all_channels,
            all_commands: false,
            future: false,
            bits: vec![0; registry().entries.len().div_ceil(64)],
            firstargs: Vec::new(),
            keys: Vec::new(),
            channels: Vec::new(),
        }
    }

    pub fn allows(&self, id: usize) -> bool {
        self.bits[id / 64] & (1 << (id % 64)) != 0
    }

    fn set_bit(&mut self, id: usize, on: bool) {
        if on {
            self.bits[id / 64] |= 1 << (id % 64);
        } else {
            self.bits[id / 64] &= !(1 << (id % 64));
            self.all_commands = false;
        }
    }

    /// The first arguments `id` is allowed with, if any.
    pub fn firstargs(&self, id: usize) -> Option<&[Vec<u8>]> {
        self.firstargs.iter().find(|(i, _)| *i == id).map(|(_, a)| a.as_slice())
    }

    /// Allows or denies a command; a container's subcommands with it (ACLChangeSelectorPerm).
    fn change(&mut self, reg: &Registry, id: usize, allow: bool) {
        self.set_bit(id, allow);
        self.firstargs.retain(|(i, _)| *i != id);
        for &sub in reg.entries[id].subs.values() {
            self.set_bit(sub, allow);
        }
    }

    fn set_all(&mut self, on: bool) {
        self.bits.iter_mut().for_each(|w| *w = if on { u64::MAX } else { 0 });
        (self.all_commands, self.future) = (on, on);
        self.firstargs.clear();
    }

    fn change_category(&mut self, reg: &Registry, cat: usize, allow: bool) {
        for id in in_category(cat) {
            self.change(reg, id, allow);
        }
    }

    /// Applies one selector rule (ACLSetSelector).
    pub fn apply(&mut self, op: &[u8]) -> Result<(), RuleError> {
        // (An empty rule inside a selector: Redis reads its NUL as no rule it knows.)
        if op.is_empty() {
            return Err(RuleError::Syntax);
        }
        let reg = registry();
        // Redis reads keywords and command rules as C strings, up to a NUL; patterns whole.
        let word = c_str(op);
        let is = |w: &str| word.eq_ignore_ascii_case(w.as_bytes());
        if is("allkeys") || is("~*") {
            self.all_keys = true;
            self.keys.clear();
        } else if is("resetkeys") {
            self.all_keys = false;
            self.keys.clear();
        } else if is("allchannels") || is("&*") {
            self.all_channels = true;
            self.channels.clear();
        } else if is("resetchannels") {
            self.all_channels = false;
            self.channels.clear();
        } else if is("allcommands") || is("+@all") {
            self.set_all(true);
        } else if is("nocommands") || is("-@all") {
            self.set_all(false);
        } else if op[0] == b'~' || op[0] == b'%' {
            if self.all_keys {
                return Err(RuleError::KeysAfterAll);
            }
            let (mut flags, mut at) = (0u8, 1);
            if op[0] == b'%' {
                while at < op.len() {
                    match op[at].to_ascii_uppercase() {
                        b'R' if flags & READ == 0 => flags |= READ,
                        b'W' if flags & WRITE == 0 => flags |= WRITE,
                        b'~' => {
                            at += 1;
                            break;
                        }
                        _ => return Err(RuleError::Syntax),
                    }
                    at += 1;
                }
                if flags == 0 {
                    return Err(RuleError::Syntax);
                }
            } else {
                flags = READ | WRITE;
            }
            let pattern = &op[at..];
            if has_spaces(pattern) {
                return Err(RuleError::Syntax);
            }
            match self.keys.iter_mut().find(|(p, _)| p == pattern) {
                Some((_, f)) => *f |= flags,
                None => self.keys.push((pattern.to_vec(), flags)),
            }
        } else if op[0] == b'&' {
            if self.all_channels {
                return Err(RuleError::ChannelsAfterAll);
            }
            let pattern = &op[1..];
            if has_spaces(pattern) {
                return Err(RuleError::Syntax);
            }
            if !self.channels.iter().any(|c| c == pattern) {
                self.channels.push(pattern.to_vec());
            }
        } else if (op[0] == b'+' || op[0] == b'-') && op.get(1) == Some(&b'@') {
            let cat = category(&word[2..]).ok_or(RuleError::Unknown)?;
            self.change_category(reg, cat, op[0] == b'+');
        } else if op[0] == b'+' {
            let name = &word[1..];
            match memchr::memrchr(b'|', name) {
                None => {
                    let id = lookup(reg, name).ok_or(RuleError::Unknown)?;
                    self.change(reg, id, true);
                }
                Some(bar) => {
                    let (base, arg) = (&name[..bar], &name[bar + 1..]);
                    let id = lookup(reg, base).ok_or(RuleError::Unknown)?;
                    if reg.entries[id].parent.is_some() {
                        return Err(RuleError::FirstArgOfSub);
                    }
                    if arg.is_empty() {
                        return Err(RuleError::Syntax);
                    }
                    if !reg.entries[id].subs.is_empty() {
                        let sub = lookup(reg, name).ok_or(RuleError::Unknown)?;
                        self.change(reg, sub, true);
                    } else {
                        match self.firstargs.iter_mut().find(|(i, _)| *i == id) {
                            Some((_, args)) => {
                                if !args.iter().any(|a| a.eq_ignore_ascii_case(arg)) {
                                    args.push(arg.to_vec());
                                }
                            }
                            None => self.firstargs.push((id, vec![arg.to_vec()])),
                        }
                    }
                }
            }
        } else if op[0] == b'-' {
            let id = lookup(reg, &word[1..]).ok_or(RuleError::Unknown)?;
            self.change(reg, id, false);
        } else {
            return Err(RuleError::Syntax);
        }
        Ok(())
    }

    /// The command rules that rebuild this selector's bits (ACLDescribeSelectorCommandRules):
    /// `+@all` or `-@all`, the categories that fit best, then single commands.
    pub fn describe_commands(&self) -> Vec<u8> {
        let reg = registry();
        let cats = categories();
        let additive = !self.future;
        let mut out = if additive { b"-@all ".to_vec() } else { b"+@all ".to_vec() };
        let mut fake = Selector::new(false, false);
        fake.set_all(!additive);
        let mut temp = self.clone();
        let mut applied = [false; CATEGORIES.len()];
        loop {
            let mut best = None;
            let (mut mindiff, mut maxsame) = (usize::MAX, 0);
            for (j, done) in applied.iter().enumerate() {
                if *done {
                    continue;
                }
                let (mut on, mut off) = (0, 0);
                for &id in command_order() {
                    if cats[id] & (1 << j) != 0 {
                        if temp.allows(id) {
                            on += 1;
                        } else {
                            off += 1;
                        }
                    }
                }
                let (diff, same) = if additive { (off, on) } else { (on, off) };
                if same > diff && (diff < mindiff || (diff == mindiff && same > maxsame)) {
                    (best, mindiff, maxsame) = (Some(j), diff, same);
                }
            }
            let Some(j) = best else { break };
            fake.change_category(reg, j, additive);
            temp.change_category(reg, j, !additive);
            out.extend_from_slice(if additive { b"+@" } else { b"-@" });
            out.extend_from_slice(CATEGORIES[j].as_bytes());
            out.push(b' ');
            applied[j] = true;
        }
        for &id in command_order() {
            let (mine, theirs) = (self.allows(id), fake.allows(id));
            if mine != theirs {
                out.push(if mine { b'+' } else { b'-' });
                out.extend_from_slice(reg.entries[id].full_name.as_bytes());
                out.push(b' ');
                fake.change(reg, id, mine);
            }
            if !mine {
                for arg in self.firstargs(id).unwrap_or(&[]) {
                    out.push(b'+');
                    out.extend_from_slice(reg.entries[id].full_name.as_bytes());
                    out.push(b'|');
                    out.extend_from_slice(arg);
                    out.push(b' ');
                }
            }
        }
        out.pop();
        out
    }

    /// Keys, channels and command rules, as ACL LIST shows a selector (ACLDescribeSelector).
    /// Bytes: patterns are any bytes but spaces.
    pub fn describe(&self) -> Vec<u8> {
        let mut out = Vec::new();
        if self.all_keys {
            out.extend_from_slice(b"~* ");
        } else {
            for (p, flags) in &self.keys {
                out.extend(pattern_text(p, *flags));
                out.push(b' ');
            }
        }
        if self.all_channels {
            out.extend_from_slice(b"&* ");
        } else {
            out.extend_from_slice(b"resetchannels ");
            for c in &self.channels {
                out.push(b'&');
                out.extend_from_slice(c);
                out.push(b' ');
            }
        }
        out.extend(self.describe_commands());
        out
    }

    /// Allows everything: commands, keys and channels.
    pub fn unrestricted(&self) -> bool {
        self.all_commands && self.all_keys && self.all_channels
    }
}

/// A key pattern as rules write it: `~p`, `%R~p` or `%W~p`.
pub fn pattern_text(p: &[u8], flags: u8) -> Vec<u8> {
    let prefix: &[u8] = match flags {
        READ => b"%R~",
        WRITE => b"%W~",
        _ => b"~",
    };
    [prefix, p].concat()
}

/// A command or `container|subcommand`, as ACL rules name them.
fn lookup(reg: &Registry, name: &[u8]) -> Option<usize> {
    match memchr::memchr(b'|', name) {
        None => reg.lookup(name),
        Some(bar) => {
            let (base, sub) = (&name[..bar], &name[bar + 1..]);
            if memchr::memchr(b'|', sub).is_some() {
                return None;
            }
            let id = reg.lookup(base)?;
            if !matches!(reg.entries[id].spec.handler, Handler::Container(_)) {
                return None;
            }
            reg.lookup_sub(id, sub)
        }
    }
}

/// Spaces or NUL bytes, which user names and patterns may not hold (ACLStringHasSpaces).
/// `s` up to its first NUL, as C string functions read it.
pub fn c_str(s: &[u8]) -> &[u8] {
    memchr::memchr(0, s).map_or(s, |end| &s[..end])
}

pub fn has_spaces(s: &[u8]) -> bool {
    s.iter().any(|&c| c == 0 || c.is_ascii_whitespace() || c == 0x0b)
}

/// A password's SHA-256, in lowercase hex, as Redis stores it.
pub fn hash_password(pass: &[u8]) -> String {
    let digest = Sha256::digest(pass);
    let mut hex = String::with_capacity(64);
    for b in digest {
        hex.push(char::from_digit((b >> 4) as u32, 16).expect("a nibble"));
        hex.push(char::from_digit((b & 15) as u32, 16).expect("a nibble"));
    }
    hex
}

fn valid_hash(h: &[u8]) -> bool {
    h.len() == 64 && h.iter().all(|c| c.is_ascii_digit() || (b'a'..=b'f').contains(c))
}

/// One ACL user.
#[derive(Clone, Debug, PartialEq)]
pub struct User {
    pub name: Vec<u8>,
    pub enabled: bool,
    pub nopass: bool,
    /// `sanitize-payload` (Some(true)) or `skip-sanitize-payload` (Some(false)), if either was set.
    pub sanitize: Option<bool>,
    /// SHA-256 hex digests, in the order added.
    pub passwords: Vec<String>,
    /// The root selector first.
    pub selectors: Vec<Selector>,
}

impl User {
    /// A new user: off, no password, no permissions (ACLCreateUser).
    pub fn new(name: &[u8], all_channels: bool) -> User {
        User {
            name: name.to_vec(),
            enabled: false,
            nopass: false,
            sanitize: None,
            passwords: Vec::new(),
            selectors: vec![Selector::new(true, all_channels)],
        }
    }

    /// Redis's default user: on, nopass, everything allowed.
    pub fn default_user() -> User {
        let mut u = User::new(b"default", false);
        for rule in ["+@all", "~*", "&*", "on", "nopass"] {
            u.apply(rule.as_bytes(), false).expect("the default user's rules");
        }
        u
    }

    /// Applies one user rule (ACLSetUser); `all_channels` is `acl-pubsub-default`.
    pub fn apply(&mut self, op: &[u8], all_channels: bool) -> Result<(), RuleError> {
        if op.is_empty() {
            return Ok(());
        }
        let word = c_str(op);
        let is = |w: &str| word.eq_ignore_ascii_case(w.as_bytes());
        if is("on") {
            self.enabled = true;
        } else if is("off") {
            self.enabled = false;
        } else if is("skip-sanitize-payload") {
            self.sanitize = Some(false);
        } else if is("sanitize-payload") {
            self.sanitize = Some(true);
        } else if is("nopass") {
            self.nopass = true;
            self.passwords.clear();
        } else if is("resetpass") {
            self.nopass = false;
            self.passwords.clear();
        } else if op[0] == b'>' || op[0] == b'#' {
            let hash = if op[0] == b'>' {
                hash_password(&op[1..])
            } else if valid_hash(&op[1..]) {
                String::from_utf8_lossy(&op[1..]).into_owned()
            } else {
                return Err(RuleError::BadHash);
            };
            if !self.passwords.contains(&hash) {
                self.passwords.push(hash);
            }
            self.nopass = false;
        } else if op[0] == b'<' || op[0] == b'!' {
            let hash = if op[0] == b'<' {
                hash_password(&op[1..])
            } else if valid_hash(&op[1..]) {
                String::from_utf8_lossy(&op[1..]).into_owned()
            } else {
                return Err(RuleError::BadHash);
            };
            let at = self.passwords.iter().position(|p| *p == hash).ok_or(RuleError::NoSuchPassword)?;
            self.passwords.remove(at);
        } else if op[0] == b'(' && op[op.len() - 1] == b')' {
            let mut s = Selector::new(false, all_channels);
            let inner = c_str(&op[1..op.len() - 1]);
            let words = crate::config::split_args(inner).ok_or(RuleError::Syntax)?;
            for w in words {
                s.apply(&w)?;
            }
            self.selectors.push(s);
        } else if is("clearselectors") {
            self.selectors.truncate(1);
        } else if is("reset") {
            for rule in ["resetpass", "resetkeys", "resetchannels"] {
                self.apply(rule.as_bytes(), all_channels)?;
            }
            if all_channels {
                self.apply(b"allchannels", all_channels)?;
            }
            for rule in ["off", "sanitize-payload", "clearselectors", "-@all"] {
                self.apply(rule.as_bytes(), all_channels)?;
            }
        } else {
            self.selectors[0].apply(op)?;
        }
        Ok(())
    }

    /// Flags, passwords and selectors, as ACL LIST shows a user (ACLDescribeUser).
    pub fn describe(&self) -> Vec<u8> {
        let mut out = Vec::new();
        for flag in self.flags() {
            out.extend_from_slice(flag.as_bytes());
            out.push(b' ');
        }
        for p in &self.passwords {
            out.push(b'#');
            out.extend_from_slice(p.as_bytes());
            out.push(b' ');
        }
        for s in &self.selectors {
            if s.root {
                out.extend(s.describe());
            } else {
                out.extend_from_slice(b" (");
                out.extend(s.describe());
                out.push(b')');
            }
        }
        out
    }

    /// The user's flags in Redis's order.
    pub fn flags(&self) -> Vec<&'static str> {
        let mut f = vec![if self.enabled { "on" } else { "off" }];
        if self.nopass {
            f.push("nopass");
        }
        match self.sanitize {
            Some(false) => f.push("skip-sanitize-payload"),
            Some(true) => f.push("sanitize-payload"),
            None => {}
        }
        f
    }

    /// Does `pass` let a client in as this user (ACLCheckUserCredentials)?
    pub fn accepts(&self, pass: &[u8]) -> bool {
        if !self.enabled {
            return false;
        }
        if self.nopass {
            return true;
        }
        let hash = hash_password(pass);
        self.passwords.iter().any(|p| constant_time_eq(p.as_bytes(), hash.as_bytes()))
    }

    /// The root selector allows everything (the default user, normally): nothing to check.
    pub fn unrestricted(&self) -> bool {
        self.selectors[0].unrestricted()
    }

    /// A new connection as this user is authenticated without AUTH: on and nopass.
    pub fn logs_in_alone(&self) -> bool {
        self.enabled && self.nopass
    }

    /// The default user with everything allowed, shared: what a connection starts with until
    /// it reads its core's table (internal clients keep it).
    pub fn unrestricted_default() -> Arc<User> {
        static DEFAULT: OnceLock<Arc<User>> = OnceLock::new();
        DEFAULT.get_or_init(|| Arc::new(User::default_user())).clone()
    }
}

/// Compares without stopping at the first difference (digests of equal length).
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |d, (x, y)| d | (x ^ y)) == 0
}

/// Splits `ACL SETUSER` arguments, joining a selector given over several of them
/// (`(~a*` `+get)`); Err(index) of an unclosed one (ACLMergeSelectorArguments).
pub fn merge_selectors(args: &[&[u8]]) -> Result<Vec<Vec<u8>>, usize> {
    let mut out = Vec::with_capacity(args.len());
    let mut open: Option<(usize, Vec<u8>)> = None;
    for (j, op) in args.iter().enumerate() {
        if let Some((start, mut sel)) = open.take() {
            // Joined as Redis joins it (`" %s"`: up to a NUL), closed by the whole argument.
            sel.push(b' ');
            sel.extend_from_slice(c_str(op));
            if op.last() == Some(&b')') {
                out.push(sel);
            } else {
                open = Some((start, sel));
            }
            continue;
        }
        if op.first() == Some(&b'(') && op.last() != Some(&b')') {
            open = Some((j, op.to_vec()));
            continue;
        }
        out.push(op.to_vec());
    }
    match open {
        Some((start, _)) => Err(start),
        None => Ok(out),
    }
}

/// The users, by name (kept sorted, as Redis's radix tree lists them), with a version.
#[derive(Clone, Debug)]
pub struct Users {
    pub version: u64,
    pub users: BTreeMap<Vec<u8>, Arc<User>>,
}

impl Users {
    /// Every user as a `user` line of a config or ACL file (ACL LIST's text), by name.
    pub fn lines(&self) -> Vec<Vec<u8>> {
        self.users.iter().map(|(name, u)| [b"user ".as_slice(), name, b" ", &u.describe()].concat()).collect()
    }

    /// The table a server starts with: the default user, with `requirepass` as its password.
    pub fn initial(requirepass: Option<&[u8]>) -> Users {
        let mut default = User::default_user();
        if let Some(pass) = requirepass {
            default.apply(b"resetpass", false).expect("resetpass");
            let mut rule = b">".to_vec();
            rule.extend_from_slice(pass);
            default.apply(&rule, false).expect("a password");
        }
        let mut users = BTreeMap::new();
        users.insert(b"default".to_vec(), Arc::new(default));
        Users { version: 1, users }
    }

    pub fn get(&self, name: &[u8]) -> Option<&Arc<User>> {
        self.users.get(name)
    }

    pub fn default_user(&self) -> &Arc<User> {
        self.users.get(&b"default"[..]).expect("the default user always exists")
    }
}

/// What one core holds of the ACL subsystem.
pub struct Acl {
    pub users: Arc<Users>,
    /// The server's ACL LOG (kept on shard 0 only: see [`log`]).
    pub log: log::Log,
}

impl Acl {
    pub fn new(users: Arc<Users>) -> Acl {
        Acl { users, log: log::Log::default() }
    }

    /// Brings `conn`'s user up to this core's table: the user's new rules, or, when the user
    /// is gone, the default user and no authentication (its clients are being closed).
    #[inline]
    pub fn refresh(&self, conn: &mut crate::server::conn::Conn) {
        if conn.acl_version == self.users.version {
            return;
        }
        match self.users.get(&conn.user.name) {
            Some(u) => conn.user = u.clone(),
            None => {
                conn.user = self.users.default_user().clone();
                conn.authenticated = false;
            }
        }
        conn.acl_version = self.users.version;
    }

    /// Takes `users` if it is newer than what this core has; true when taken.
    pub fn install(&mut self, users: &Arc<Users>) -> bool {
        if users.version > self.users.version {
            self.users = users.clone();
            true
        } else {
            false
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user(rules: &[&str]) -> User {
        let mut u = User::new(b"u", false);
        for r in rules {
            u.apply(r.as_bytes(), false).unwrap();
        }
        u
    }

    #[test]
    fn rules_describe_as_redis_does() {
        assert_eq!(User::default_user().describe(), b"on nopass ~* &* +@all");
        assert_eq!(user(&[]).describe(), b"off resetchannels -@all");
        let alice = user(&["on", ">pw", "~cache:*", "&chan:*", "+get", "+set", "-@dangerous", "+@hash"]);
        assert_eq!(
            String::from_utf8(alice.describe()).unwrap(),
            "on #30c952fab122c3f9759f02a6d95c3758b246b4fee239957b2d4fee46e26170c4 ~cache:* resetchannels \
             &chan:* -@all +@hash +get +set"
        );
        assert_eq!(user(&["+@all", "-get"]).describe(), b"off resetchannels +@all -get");
        assert_eq!(user(&["reset"]).describe(), b"off sanitize-payload resetchannels -@all");
        assert_eq!(user(&["%R~r:*", "%W~w:*", "%RW~rw"]).describe(), b"off %R~r:* %W~w:* ~rw resetchannels -@all");
    }

    /// A selector pattern holding a parenthesis, a quote or a backslash cannot be described in
    /// a way that reads back (in Redis neither: the description is split as the rule was).
    fn describable(user: &User) -> bool {
        user.selectors[1..].iter().all(|s| {
            s.keys.iter().map(|(p, _)| p).chain(&s.channels).all(|p| !p.iter().any(|b| b"()\"'\\".contains(b)))
        })
    }

    /// What the fuzz target checks: rules applied, described, and the description applied to a
    /// new user describe the same (Err: the rules were refused).
    fn round_trip(data: &[u8]) -> Result<(), RuleError> {
        let words: Vec<&[u8]> = data.split(|&b| b == b' ').collect();
        let rules = merge_selectors(&words).map_err(|_| RuleError::Syntax)?;
        let mut user = User::new(b"fuzz", false);
        for rule in &rules {
            user.apply(rule, false)?;
        }
        let described = user.describe();
        if !describable(&user) {
            return Ok(());
        }
        let again_words: Vec<&[u8]> = described.split(|&b| b == b' ').collect();
        let mut again = User::new(b"fuzz", false);
        for rule in merge_selectors(&again_words).expect("a description's selectors are closed") {
            again.apply(&rule, false).expect("a description applies");
        }
        assert_eq!(again.describe(), described);
        Ok(())
    }

    /// Found by fuzzing (fuzz/fuzz_targets/acl_rules.rs): patterns that are not UTF-8 were
    /// described lossily, so two of them described the same.
    #[test]
    fn binary_patterns_describe_as_they_are() {
        round_trip(b"on &c\xcaon &c\xc2on %R~\xff\xfe").unwrap();
        let _ = round_trip(include_bytes!("../../tests/fixtures/fuzz/acl_rules-binary-channels"));
        let _ = round_trip(include_bytes!("../../tests/fixtures/fuzz/acl_rules-selector-firstarg"));
        // First arguments that are not UTF-8 (with NULs, which end the rule as in Redis).
        let _ = round_trip(include_bytes!("../../tests/fixtures/fuzz/acl_rules-binary-firstarg"));
        round_trip(b"+select|\xff\xfe +select|\xfe\xff").unwrap();
        // A crash: an empty rule inside a selector.
        let _ = round_trip(include_bytes!("../../tests/fixtures/fuzz/acl_rules-empty-rule-in-selector"));
    }

    #[test]
    fn rule_errors() {
        let mut u = user(&["allkeys"]);
        assert_eq!(u.apply(b"~x", false), Err(RuleError::KeysAfterAll));
        assert_eq!(u.apply(b"+nosuch", false), Err(RuleError::Unknown));
        assert_eq!(u.apply(b"+@nosuch", false), Err(RuleError::Unknown));
        assert_eq!(u.apply(b"-select|0", false), Err(RuleError::Unknown));
        assert_eq!(u.apply(b"+config|get|x", false), Err(RuleError::FirstArgOfSub));
        assert_eq!(u.apply(b"+select|", false), Err(RuleError::Syntax));
        assert_eq!(u.apply(b"<nosuch", false), Err(RuleError::NoSuchPassword));
        assert_eq!(u.apply(b"#abc", false), Err(RuleError::BadHash));
        assert_eq!(u.apply(b"bogus", false), Err(RuleError::Syntax));
    }

    #[test]
    fn selectors_merge_across_arguments() {
        let args: Vec<&[u8]> = vec![b"on", b"(~a*", b"+get)", b"(+set)"];
        assert_eq!(merge_selectors(&args).unwrap(), vec![b"on".to_vec(), b"(~a* +get)".to_vec(), b"(+set)".to_vec()]);
        let open: Vec<&[u8]> = vec![b"on", b"(~a*", b"+get"];
        assert_eq!(merge_selectors(&open), Err(1));
    }
}
