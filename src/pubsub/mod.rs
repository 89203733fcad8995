//! Pub/Sub across shards: channels, patterns and shard channels.
//!
//! A subscriber is a connection, and a connection lives on one shard; a publisher may be on
//! any. Every shard keeps a *directory* ([`PubSub`]): for each channel (pattern, shard
//! channel) with a subscriber anywhere, how many subscriptions each shard holds, and which of
//! its own connections they are. A PUBLISH is answered from the publisher's own directory,
//! with no round trip and no lock: the receivers are the channel's subscriptions plus those of
//! every matching pattern, summed over the shards, and the message is posted only to the
//! shards whose counts are not zero (a shard with no matching subscriber never hears of it).
//! Each of those delivers to its own connections.
//!
//! The directory is kept current by messages. A SUBSCRIBE (and every other change: UNSUBSCRIBE,
//! RESET) sends its count changes to every other shard and replies only when all of them have
//! applied them; the subscriber's own shard applies its part last, when the answers are in, and
//! writes the reply then. Because each shard's inbox is first-in first-out per sender:
//!
//! - once SUBSCRIBE has replied, every shard counts the new subscription, so any PUBLISH sent
//!   after the reply, from any connection, is counted and sent to the subscriber's shard, which
//!   by then has the subscriber (a message from shard X arrives after X's answer did);
//! - an UNSUBSCRIBE keeps receiving until it replies: a message that was counted before a
//!   shard applied the change reaches the subscriber's shard before that shard's answer, so it
//!   is delivered, before the UNSUBSCRIBE reply, as in Redis. Nothing is counted and not
//!   delivered, except to a connection that closed (its counts go out without waiting).
//!
//! Order: a connection's commands run on its own shard in the order sent, so one publisher's
//! messages leave in publish order, and per-sender FIFO inboxes keep that order to each
//! subscriber. With several shards, even the publisher's own shard delivers through its
//! inbox, so a message never overtakes one published earlier elsewhere (a publisher that saw
//! another's PUBLISH reply publishes after it, for every subscriber); only a subscribed
//! publisher gets its own message at once, before its reply, as in Redis. PUBLISH runs where the connection is, after the connection's earlier commands
//! have taken effect on whatever shards they went to.
//!
//! Subscriptions are by name for the whole server (Redis's pub/sub ignores databases); the
//! per-connection sets are in [`Subs`]. A subscriber's output is bounded by
//! `client-output-buffer-limit pubsub`: past it, the connection is closed and its memory
//! freed; messages for it are then dropped.
//!
//! Messages on their way to a shard are bounded too, so the mesh is not where memory hides
//! when a shard falls behind (a long script, a paused thread): each shard's bytes in flight are
//! counted in [`crate::shard::Shared`], and a message that would take them past the pubsub hard
//! limit is not sent; the shard is told instead to close the subscribers it was for, as if
//! their own output had gone past the limit (which it would have, once delivered).

pub mod notify;
pub mod tracking;

use std::collections::{HashMap, HashSet};
use std::sync::atomic::Ordering;
use std::sync::Arc;

use crate::protocol::Out;
use crate::server::conn::{Closing, Conn};
use crate::shard::mesh::{Job, JobOut, Msg};
use crate::shard::Core;

/// The three namespaces.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Channel,
    Pattern,
    Shard,
}

impl Kind {
    fn index(self) -> usize {
        self as usize
    }

    /// The reply word of a subscription and of an unsubscription.
    pub fn words(self) -> (&'static [u8], &'static [u8]) {
        match self {
            Kind::Channel => (b"subscribe", b"unsubscribe"),
            Kind::Pattern => (b"psubscribe", b"punsubscribe"),
            Kind::Shard => (b"ssubscribe", b"sunsubscribe"),
        }
    }
}

/// One connection's subscriptions.
#[derive(Default)]
pub struct Subs {
    sets: [HashSet<Box<[u8]>>; 3],
}

impl Subs {
    pub fn of(&self, kind: Kind) -> &HashSet<Box<[u8]>> {
        &self.sets[kind.index()]
    }

    /// The count a (un)subscribe reply shows: channels and patterns together, shard channels
    /// on their own (Redis's clientSubscriptionsCount / clientShardSubscriptionsCount).
    pub fn count(&self, kind: Kind) -> usize {
        match kind {
            Kind::Shard => self.sets[2].len(),
            _ => self.sets[0].len() + self.sets[1].len(),
        }
    }

    /// All subscriptions: the connection is in pub/sub mode while this is not zero.
    pub fn total(&self) -> usize {
        self.sets.iter().map(HashSet::len).sum()
    }
}

/// A connection on this shard, as the directory names it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Sub {
    slot: u32,
    gen: u32,
}

/// One name in the directory.
struct Entry {
    /// Subscriptions per shard.
    counts: Box<[u32]>,
    total: u32,
    /// This shard's subscribers.
    here: Vec<Sub>,
}

/// Names, each with +1 (true) or -1.
pub type Names = Vec<(Box<[u8]>, bool)>;

/// Count changes of one kind made on shard `from`.
pub struct Change {
    kind: Kind,
    from: usize,
    names: Names,
}

/// One shard's directory (see the module docs).
pub struct PubSub {
    shards: usize,
    tables: [HashMap<Box<[u8]>, Entry>; 3],
}

impl PubSub {
    pub fn new(shards: usize) -> PubSub {
        PubSub { shards, tables: Default::default() }
    }

    /// Applies `change`; `here` is the subscriber when the change is this shard's own.
    fn apply(&mut self, change: &Change, here: Option<Sub>) {
        let table = &mut self.tables[change.kind.index()];
        for (name, add) in &change.names {
            if *add {
                let shards = self.shards;
                let entry = table.entry(name.clone()).or_insert_with(|| Entry {
                    counts: vec![0; shards].into_boxed_slice(),
                    total: 0,
                    here: Vec::new(),
                });
                entry.counts[change.from] += 1;
                entry.total += 1;
                entry.here.extend(here);
            } else if let Some(entry) = table.get_mut(name) {
                entry.counts[change.from] = entry.counts[change.from].saturating_sub(1);
                entry.total = entry.total.saturating_sub(1);
                if let Some(sub) = here {
                    if let Some(i) = entry.here.iter().position(|s| *s == sub) {
                        entry.here.swap_remove(i);
                    }
                }
                if entry.total == 0 {
                    table.remove(name);
                }
            }
        }
    }

    /// Names of `kind` with a subscriber anywhere, filtered by a glob `pattern`.
    pub fn names(&self, kind: Kind, pattern: Option<&[u8]>) -> Vec<&[u8]> {
        self.tables[kind.index()]
            .keys()
            .map(|k| &k[..])
            .filter(|k| pattern.is_none_or(|p| crate::config::string_match(p, k, false)))
            .collect()
    }

    /// Subscriptions to `name` of `kind`, over all shards.
    pub fn subscribers(&self, kind: Kind, name: &[u8]) -> u32 {
        self.tables[kind.index()].get(name).map_or(0, |e| e.total)
    }

    /// Names of `kind` with a subscriber anywhere (PUBSUB NUMPAT, INFO).
    pub fn count(&self, kind: Kind) -> usize {
        self.tables[kind.index()].len()
    }
}

/// Changes `conn`'s subscriptions by `changes` (names of each kind, +1 (true) or -1), whose
/// reply is `reply`: the other shards apply the counts first, then this one, then the reply
/// is written (see the module docs).
pub fn change(core: &mut Core, conn: &mut Conn, changes: Vec<(Kind, Names)>, reply: Vec<u8>) -> crate::commands::Flow {
    let changes = Arc::new(made_here(core, changes));
    if core.shards() == 1 || changes.is_empty() {
        apply_own(core, conn, &changes, &reply);
        return crate::commands::Flow::Done;
    }
    let theirs = changes.clone();
    crate::commands::FanOut::others(
        core,
        move |core: &mut Core| theirs.iter().for_each(|change| core.pubsub.apply(change, None)),
        Box::new(move |core, conn, _| {
            apply_own(core, conn, &changes, &reply);
            crate::commands::Flow::Done
        }),
    )
}

/// The non-empty changes among `changes`, as made by this shard.
fn made_here(core: &Core, changes: Vec<(Kind, Names)>) -> Vec<Change> {
    let from = core.id;
    changes
        .into_iter()
        .filter(|(_, names)| !names.is_empty())
        .map(|(kind, names)| Change { kind, from, names })
        .collect()
}

/// This shard's part of a connection's change, and its reply.
fn apply_own(core: &mut Core, conn: &mut Conn, changes: &[Change], reply: &[u8]) {
    let sub = Sub { slot: conn.slot, gen: conn.gen };
    for change in changes {
        core.pubsub.apply(change, Some(sub));
    }
    conn.out.raw(reply);
}

/// Takes every subscription of `conn` away (RESET, a closing connection): the names of each
/// kind, as a change to pass to [`change`] or [`forget`].
pub fn take_all(conn: &mut Conn) -> Vec<(Kind, Names)> {
    [Kind::Channel, Kind::Pattern, Kind::Shard]
        .into_iter()
        .map(|kind| {
            let names = std::mem::take(&mut conn.subs.sets[kind.index()]);
            (kind, names.into_iter().map(|n| (n, false)).collect())
        })
        .collect()
}

/// A closing connection leaves everything at once: its counts go to the other shards without
/// waiting (nobody waits on a reply).
pub fn forget(core: &mut Core, conn: &mut Conn) {
    if conn.subs.total() == 0 {
        return;
    }
    let sub = Sub { slot: conn.slot, gen: conn.gen };
    let changes = Arc::new(made_here(core, take_all(conn)));
    for change in changes.iter() {
        core.pubsub.apply(change, Some(sub));
    }
    core.shared
        .mesh
        .post_others(core.id, move |core: &mut Core| changes.iter().for_each(|change| core.pubsub.apply(change, None)));
}

/// Adds (true) or removes `name` of `kind` in `conn`'s own set; false if it was already so.
pub fn mark(conn: &mut Conn, kind: Kind, name: &[u8], add: bool) -> bool {
    let set = &mut conn.subs.sets[kind.index()];
    if add {
        set.insert(name.into())
    } else {
        set.remove(name)
    }
}

/// A published message on its way to subscribers.
struct Message {
    kind: Kind,
    channel: Box<[u8]>,
    body: Box<[u8]>,
}

/// PUBLISH / SPUBLISH from `publisher` (on this shard): posts the message to every shard with
/// a matching subscriber, delivers it here, and answers how many subscriptions received it.
/// A keyspace notification (`publisher` None) reaches every subscriber through its shard's
/// inbox, this shard's too: the command that made it may be a subscriber's own, out of
/// `core.conns` while it runs.
pub fn publish(core: &mut Core, publisher: Option<&mut Conn>, kind: Kind, channel: &[u8], body: &[u8]) -> i64 {
    let mut receivers = 0u64;
    // Which shards have a receiver (allocated only once there is one).
    let mut targets = Vec::new();
    core.pubsub.matching(kind, channel, |e, _| {
        receivers += u64::from(e.total);
        targets.resize(e.counts.len(), false);
        for (t, &n) in targets.iter_mut().zip(e.counts.iter()) {
            *t |= n > 0;
        }
    });
    if receivers == 0 {
        return 0;
    }
    let message = Arc::new(Message { kind, channel: channel.into(), body: body.into() });
    // A script's client (fd -1) is nobody's subscriber, whatever slot it says.
    let me = publisher.as_deref().map(|p| Sub { slot: if p.fd < 0 { u32::MAX } else { p.slot }, gen: p.gen });
    // With one shard a PUBLISH serves everyone now.
    let all_now = core.shards() == 1 && me.is_some();
    if let (true, Some(me)) = (targets[core.id], me) {
        // The publisher itself, if subscribed (RESP3), gets the message before its reply, as in
        // Redis. With more than one shard, this shard's other subscribers are served through
        // its own inbox like the other shards', behind whatever was published to them before.
        let who = if all_now { Who::Everyone } else { Who::Only(me) };
        deliver(core, publisher, who, &message);
    }
    let hard = core.config.client_output_buffer_limit[2].0;
    let size = (channel.len() + body.len()) as u64 + 64;
    for (shard, _) in targets.iter().enumerate().filter(|(s, t)| **t && !(all_now && *s == core.id)) {
        let message = message.clone();
        let who = match me {
            Some(me) if shard == core.id => Who::AllBut(me),
            _ => Who::Everyone,
        };
        let in_flight = &core.shared.pubsub_in_flight[shard];
        let job: Job = if hard > 0 && in_flight.load(Ordering::Relaxed) + size > hard {
            // The notice names the channel only: the body stays here.
            let notice = Message { kind, channel: channel.into(), body: Box::default() };
            Box::new(move |core: &mut Core| -> JobOut {
                overflow(core, who, &notice);
                Box::new(())
            })
        } else {
            in_flight.fetch_add(size, Ordering::Relaxed);
            Box::new(move |core: &mut Core| -> JobOut {
                deliver(core, None, who, &message);
                core.shared.pubsub_in_flight[core.id].fetch_sub(size, Ordering::Relaxed);
                Box::new(())
            })
        };
        core.shared.mesh.send(shard, Msg::Post(job));
    }
    receivers as i64
}

/// Which of a shard's subscribers a delivery serves.
#[derive(Clone, Copy)]
enum Who {
    Everyone,
    Only(Sub),
    AllBut(Sub),
}

impl Who {
    fn serves(self, sub: Sub) -> bool {
        match self {
            Who::Everyone => true,
            Who::Only(s) => s == sub,
            Who::AllBut(s) => s != sub,
        }
    }
}

impl PubSub {
    /// The entries a message on `channel` of `kind` reaches: the channel's own, then every
    /// matching pattern's (with the pattern).
    fn matching(&self, kind: Kind, channel: &[u8], mut f: impl FnMut(&Entry, Option<&[u8]>)) {
        let table = if kind == Kind::Shard { Kind::Shard } else { Kind::Channel };
        if let Some(e) = self.tables[table.index()].get(channel) {
            f(e, None);
        }
        if kind == Kind::Channel {
            for (pattern, e) in &self.tables[Kind::Pattern.index()] {
                if crate::config::string_match(pattern, channel, false) {
                    f(e, Some(pattern));
                }
            }
        }
    }
}

/// A message that could not be sent here without taking the bytes in flight past the pubsub
/// limit: the subscribers it was for are closed, as their output would have been past it.
fn overflow(core: &mut Core, who: Who, message: &Message) {
    let mut doomed = Vec::new();
    core.pubsub.matching(message.kind, &message.channel, |e, _| {
        doomed.extend(e.here.iter().copied().filter(|&sub| who.serves(sub)));
    });
    for sub in doomed {
        if let Some(conn) = core.conns.get_mut(sub.slot, sub.gen) {
            if conn.close_for_output_limit() {
                core.dirty.push(sub.slot);
            }
        }
    }
}

/// Writes `message` to this shard's subscribers (those `who` names). `current` is the
/// connection running now (it is out of `core.conns`), which may be one of them.
fn deliver(core: &mut Core, mut current: Option<&mut Conn>, who: Who, message: &Message) {
    let limit = core.config.client_output_buffer_limit[2];
    let now_secs = core.now_ms / 1000;
    let mut send = |sub: Sub, pattern: Option<&[u8]>| {
        if !who.serves(sub) {
            return;
        }
        let conn = match current.as_deref_mut() {
            Some(c) if c.fd >= 0 && c.slot == sub.slot && c.gen == sub.gen => c,
            _ => match core.conns.get_mut(sub.slot, sub.gen) {
                Some(c) => c,
                None => return,
            },
        };
        if conn.closing == Closing::Now {
            return;
        }
        write_message(&mut conn.out, message, pattern);
        if limit != (0, 0, 0) && conn.over_output_limit(limit, now_secs) {
            conn.close_for_output_limit();
        }
        core.dirty.push(sub.slot);
    };
    core.pubsub.matching(message.kind, &message.channel, |e, pattern| {
        for &sub in &e.here {
            send(sub, pattern);
        }
    });
}

/// `message` / `pmessage` / `smessage`, as a push in RESP3 and an array in RESP2.
fn write_message(out: &mut Out, message: &Message, pattern: Option<&[u8]>) {
    let word: &[u8] = match (message.kind, pattern) {
        (Kind::Shard, _) => b"smessage",
        (_, Some(_)) => b"pmessage",
        _ => b"message",
    };
    out.push(if pattern.is_some() { 4 } else { 3 });
    out.bulk(word);
    if let Some(p) = pattern {
        out.bulk(p);
    }
    out.bulk(&message.channel);
    out.bulk(&message.body);
}
