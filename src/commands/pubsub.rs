//! SUBSCRIBE UNSUBSCRIBE PSUBSCRIBE PUNSUBSCRIBE SSUBSCRIBE SUNSUBSCRIBE PUBLISH SPUBLISH
//! PUBSUB. The directory and the delivery are in [`crate::pubsub`].

use super::flag::*;
use super::{cmd, container, Cx, Flow, Handler, Spec};
use crate::error::CmdError;
use crate::protocol::Out;
use crate::pubsub::{self, Kind};

type R = Result<Flow, CmdError>;

/// (P|S)SUBSCRIBE name...: one reply frame per name, with the count after it.
fn subscribe_to(cx: &mut Cx, kind: Kind) -> R {
    let mut reply = Out::new(cx.conn.out.resp3);
    let mut names = Vec::new();
    for name in cx.argv.iter().skip(1) {
        if pubsub::mark(cx.conn, kind, name, true) {
            names.push((name.into(), true));
        }
        frame(&mut reply, kind.words().0, Some(name), cx.conn.subs.count(kind));
    }
    Ok(pubsub::change(cx.core, cx.conn, vec![(kind, names)], reply.buf))
}

/// (P|S)UNSUBSCRIBE [name...]: the names given, or every one the connection has.
fn unsubscribe_from(cx: &mut Cx, kind: Kind) -> R {
    let mut reply = Out::new(cx.conn.out.resp3);
    let names: Vec<Box<[u8]>> = if cx.argv.len() == 1 {
        cx.conn.subs.of(kind).iter().cloned().collect()
    } else {
        cx.argv.iter().skip(1).map(Box::from).collect()
    };
    if names.is_empty() {
        frame(&mut reply, kind.words().1, None, cx.conn.subs.count(kind));
    }
    let mut changes = Vec::new();
    for name in names {
        let removed = pubsub::mark(cx.conn, kind, &name, false);
        frame(&mut reply, kind.words().1, Some(&name), cx.conn.subs.count(kind));
        if removed {
            changes.push((name, false));
        }
    }
    Ok(pubsub::change(cx.core, cx.conn, vec![(kind, changes)], reply.buf))
}

/// A (un)subscribe confirmation: a push in RESP3, an array in RESP2.
fn frame(out: &mut Out, word: &[u8], name: Option<&[u8]>, count: usize) {
    out.push(3);
    out.bulk(word);
    out.bulk_opt(name);
    out.int(count as i64);
}

fn subscribe(cx: &mut Cx) -> R {
    subscribe_to(cx, Kind::Channel)
}

fn psubscribe(cx: &mut Cx) -> R {
    subscribe_to(cx, Kind::Pattern)
}

fn ssubscribe(cx: &mut Cx) -> R {
    subscribe_to(cx, Kind::Shard)
}

fn unsubscribe(cx: &mut Cx) -> R {
    unsubscribe_from(cx, Kind::Channel)
}

fn punsubscribe(cx: &mut Cx) -> R {
    unsubscribe_from(cx, Kind::Pattern)
}

fn sunsubscribe(cx: &mut Cx) -> R {
    unsubscribe_from(cx, Kind::Shard)
}

/// PUBLISH channel message
fn publish(cx: &mut Cx) -> R {
    publish_to(cx, Kind::Channel)
}

/// SPUBLISH shardchannel message
fn spublish(cx: &mut Cx) -> R {
    publish_to(cx, Kind::Shard)
}

fn publish_to(cx: &mut Cx, kind: Kind) -> R {
    let (channel, body) = (cx.argv.get(1), cx.argv.get(2));
    let n = pubsub::publish(cx.core, Some(cx.conn), kind, channel, body);
    cx.out().int(n);
    Ok(Flow::Done)
}

/// PUBSUB CHANNELS / SHARDCHANNELS [pattern]
fn channels_of(cx: &mut Cx, kind: Kind, name: &str) -> R {
    let pattern = match cx.argv.len() {
        2 => None,
        3 => Some(cx.argv.get(2)),
        _ => return Err(CmdError::WrongArity(name.into())),
    };
    let names = cx.core.pubsub.names(kind, pattern);
    cx.conn.out.array(names.len());
    for n in names {
        cx.conn.out.bulk(n);
    }
    Ok(Flow::Done)
}

/// PUBSUB NUMSUB / SHARDNUMSUB [name...]: each name and its subscriptions (not patterns').
fn numsub_of(cx: &mut Cx, kind: Kind) -> R {
    let out = &mut cx.conn.out;
    out.array((cx.argv.len() - 2) * 2);
    for name in cx.argv.iter().skip(2) {
        out.bulk(name);
        out.int(i64::from(cx.core.pubsub.subscribers(kind, name)));
    }
    Ok(Flow::Done)
}

fn pubsub_channels(cx: &mut Cx) -> R {
    channels_of(cx, Kind::Channel, "pubsub|channels")
}

fn pubsub_shardchannels(cx: &mut Cx) -> R {
    channels_of(cx, Kind::Shard, "pubsub|shardchannels")
}

fn pubsub_numsub(cx: &mut Cx) -> R {
    numsub_of(cx, Kind::Channel)
}

fn pubsub_shardnumsub(cx: &mut Cx) -> R {
    numsub_of(cx, Kind::Shard)
}

/// PUBSUB NUMPAT: distinct patterns subscribed to, server-wide.
fn pubsub_numpat(cx: &mut Cx) -> R {
    let n = cx.core.pubsub.count(Kind::Pattern);
    cx.out().int(n as i64);
    Ok(Flow::Done)
}

fn pubsub_help(cx: &mut Cx) -> R {
    super::help(
        cx.out(),
        "PUBSUB",
        &[
            "CHANNELS [<pattern>]",
            "    Return the currently active channels matching a <pattern> (default: '*').",
            "NUMPAT",
            "    Return number of subscriptions to patterns.",
            "NUMSUB [<channel> ...]",
            "    Return the number of subscribers for the specified channels, excluding",
            "    pattern subscriptions(default: no channels).",
            "SHARDCHANNELS [<pattern>]",
            "    Return the currently active shard level channels matching a <pattern> (default: '*').",
            "SHARDNUMSUB [<shardchannel> ...]",
            "    Return the number of subscribers for the specified shard level channel(s)",
        ],
    );
    Ok(Flow::Done)
}

const PUBSUB_ACL: &[&str] = &["@pubsub", "@slow"];
const PUBLISH_ACL: &[&str] = &["@pubsub", "@fast"];
const SUB: u32 = PUBSUB | NOSCRIPT | LOADING | STALE;
const INFO: u32 = PUBSUB | LOADING | STALE;

const PUBSUB_SUBS: &[Spec] = &[
    cmd("channels", -2, INFO, (0, 0, 0), PUBSUB_ACL, Handler::Conn(pubsub_channels)),
    cmd("numpat", 2, INFO, (0, 0, 0), PUBSUB_ACL, Handler::Conn(pubsub_numpat)),
    cmd("help", 2, LOADING | STALE, (0, 0, 0), &["@slow"], Handler::Conn(pubsub_help)),
    cmd("shardnumsub", -2, INFO, (0, 0, 0), PUBSUB_ACL, Handler::Conn(pubsub_shardnumsub)),
    cmd("numsub", -2, INFO, (0, 0, 0), PUBSUB_ACL, Handler::Conn(pubsub_numsub)),
    cmd("shardchannels", -2, INFO, (0, 0, 0), PUBSUB_ACL, Handler::Conn(pubsub_shardchannels)),
];

pub const SPECS: &[Spec] = &[
    cmd("subscribe", -2, SUB, (0, 0, 0), PUBSUB_ACL, Handler::Conn(subscribe)),
    cmd("unsubscribe", -1, SUB, (0, 0, 0), PUBSUB_ACL, Handler::Conn(unsubscribe)),
    cmd("psubscribe", -2, SUB, (0, 0, 0), PUBSUB_ACL, Handler::Conn(psubscribe)),
    cmd("punsubscribe", -1, SUB, (0, 0, 0), PUBSUB_ACL, Handler::Conn(punsubscribe)),
    cmd("ssubscribe", -2, SUB, (1, -1, 1), PUBSUB_ACL, Handler::Conn(ssubscribe)),
    cmd("sunsubscribe", -1, SUB, (1, -1, 1), PUBSUB_ACL, Handler::Conn(sunsubscribe)),
    cmd("publish", 3, INFO | FAST, (0, 0, 0), PUBLISH_ACL, Handler::Conn(publish)),
    cmd("spublish", 3, INFO | FAST, (1, 1, 1), PUBLISH_ACL, Handler::Conn(spublish)),
    container("pubsub", -2, 0, &["@slow"], PUBSUB_SUBS),
];
