//! Pub/Sub byte for byte against redis-server 7.0.15, in RESP2 and RESP3, with subscribers and
//! publishers on different shards (4); and what only a multi-core server can get wrong: a
//! subscription counted everywhere once it has replied, publish order, subscribers that
//! disconnect, and a subscriber that stops reading.

mod common;
use common::*;

use std::time::{Duration, Instant};

/// A connection on shard `shard` of shardis (any connection on redis-server).
fn conn_on(port: u16, shard: Option<usize>) -> Raw {
    let Some(shard) = shard else { return Raw::connect(port) };
    loop {
        let mut raw = Raw::connect(port);
        if raw.words("DEBUG CONN-SHARD") == format!(":{shard}\r\n").into_bytes() {
            return raw;
        }
    }
}

/// Is `frame` a published message (message / pmessage / smessage), as a push or an array, or
/// a tracking invalidation push?
fn is_message(frame: &[u8]) -> bool {
    let (kind, items) = flat(frame);
    (matches!(kind, b'*' | b'>')
        && items.first().is_some_and(|w| w == b"message" || w == b"pmessage" || w == b"smessage"))
        || (kind == b'>' && items.first().is_some_and(|w| w == b"invalidate"))
}

/// What one connection saw: the replies to its commands, and the messages it received.
#[derive(Debug, Default, PartialEq)]
struct Seen {
    replies: Vec<String>,
    messages: Vec<String>,
}

/// Runs `steps` (role, command words) with one connection per role, role i on shard
/// `shards[i]` of shardis. After each command the connection is sent `PING <marker>`, and every
/// frame before that ping's answer belongs to the command, except published messages, which
/// are kept apart (their timing against replies is not the same on two servers; their order
/// is). `expect` gives how many messages each role must end with (shardis's run waits for
/// redis's count).
fn run(
    port: u16,
    shards: Option<&[usize]>,
    resp3: bool,
    roles: usize,
    steps: &[(usize, &str)],
    expect: Option<&[usize]>,
) -> Vec<Seen> {
    let mut conns: Vec<Raw> = (0..roles).map(|r| conn_on(port, shards.map(|s| s[r]))).collect();
    for c in &mut conns {
        if resp3 {
            c.words("HELLO 3");
        }
    }
    // `$idN` in a step stands for role N's client id (the servers number clients apart).
    let ids: Vec<String> =
        conns.iter_mut().map(|c| s(&c.words("CLIENT ID")).trim_start_matches(':').trim().to_string()).collect();
    let mut seen: Vec<Seen> = (0..roles).map(|_| Seen::default()).collect();
    for (n, &(role, line)) in steps.iter().enumerate() {
        let c = &mut conns[role];
        let mut line = line.to_string();
        for (r, id) in ids.iter().enumerate() {
            line = line.replace(&format!("$id{r}"), id);
        }
        c.send(&encode(&line_args(&line)));
        let marker = format!("m{n}");
        c.send(&encode(&[b"PING", marker.as_bytes()]));
        loop {
            let frame = c.reply();
            let (_, items) = flat(&frame);
            if frame.ends_with(format!("{marker}\r\n").as_bytes()) && (items.len() == 2 || frame.starts_with(b"$")) {
                break;
            }
            if is_message(&frame) {
                seen[role].messages.push(s(&frame));
            } else {
                let mut text = s(&frame);
                if line.to_ascii_uppercase().contains("CHANNELS") {
                    // Which order a server lists channels in is its hash table's business.
                    let (_, mut items) = flat(&frame);
                    items.sort();
                    text = format!("{items:?}");
                }
                seen[role].replies.push(text);
            }
        }
    }
    for (role, c) in conns.iter_mut().enumerate() {
        let want = expect.map_or(usize::MAX, |e| e[role]);
        let deadline = Instant::now() + Duration::from_secs(5);
        while seen[role].messages.len() < want && Instant::now() < deadline {
            if let Ok(frame) = c.reply_within(Duration::from_millis(if expect.is_some() { 500 } else { 100 })) {
                seen[role].messages.push(s(&frame));
            } else if expect.is_none() {
                break;
            }
        }
    }
    seen
}

/// Runs the steps on both servers in RESP2 and RESP3 and compares what every role saw.
fn compare(shards: &[usize], steps: &[(usize, &str)]) {
    let redis = Proc::redis(&[]);
    let shardis = Proc::shardis(&["--enable-debug-command", "yes"]);
    for resp3 in [false, true] {
        let want = run(redis.port, None, resp3, shards.len(), steps, None);
        let counts: Vec<usize> = want.iter().map(|w| w.messages.len()).collect();
        assert!(counts.iter().sum::<usize>() > 0 && want.iter().all(|w| !w.replies.is_empty()));
        let got = run(shardis.port, Some(shards), resp3, shards.len(), steps, Some(&counts));
        if std::env::var_os("SHOW").is_some() {
            eprintln!("resp3={resp3} {got:#?}");
        }
        for (role, (g, w)) in got.iter().zip(&want).enumerate() {
            assert_eq!(g.replies, w.replies, "resp3={resp3} role {role} replies");
            // Which keys are invalidated must match; the order of one write's invalidations
            // from several shards is not Redis's to give (it has one shard).
            let split = |seen: &Seen| {
                let (mut inv, msgs): (Vec<String>, Vec<String>) =
                    seen.messages.iter().cloned().partition(|m| m.starts_with(">2\r\n$10\r\ninvalidate"));
                inv.sort();
                (msgs, inv)
            };
            assert_eq!(split(g), split(w), "resp3={resp3} role {role} messages");
        }
    }
}

#[test]
fn channels_patterns_and_replies_match_redis() {
    // Roles: three subscribers and two publishers, spread over the four shards.
    let (s1, s2, s3, p, p2) = (0, 1, 2, 3, 4);
    compare(
        &[0, 1, 2, 3, 0],
        &[
            (s1, "SUBSCRIBE news sport news"),
            (s2, "PSUBSCRIBE n* [a-c]?x h\\*llo"),
            (s3, "SUBSCRIBE news"),
            (s3, "PSUBSCRIBE *"),
            (p, "PUBLISH news hi"),
            (p, "PUBLISH sport s1"),
            (p, "PUBLISH b1x y"),
            (p, "PUBLISH h*llo esc"),
            (p, "PUBLISH hello plain"),
            (p2, "PUBLISH nobody x"),
            (p, "PUBSUB CHANNELS"),
            (p, "PUBSUB CHANNELS n*"),
            (p, "PUBSUB NUMSUB news sport nope"),
            (p, "PUBSUB NUMSUB"),
            (p, "PUBSUB NUMPAT"),
            (p, "PUBSUB HELP"),
            (p, "PUBSUB NOPE"),
            (p, "PUBSUB CHANNELS a b"),
            (s1, "UNSUBSCRIBE sport"),
            (s1, "PING"),
            (s1, "PING a b"),
            (s1, "GET k"),
            (s1, "CLIENT GETNAME"),
            (s1, "UNSUBSCRIBE nosuch"),
            (s2, "PUNSUBSCRIBE n*"),
            (p, "PUBLISH news again"),
            (s3, "RESET"),
            (s3, "GET k"),
            (p, "PUBLISH news after-reset"),
            (p, "PUBSUB NUMSUB news"),
            (p, "PUBSUB NUMPAT"),
            (s1, "UNSUBSCRIBE"),
            (s1, "UNSUBSCRIBE"),
            (s1, "PUNSUBSCRIBE"),
            (s1, "GET k"),
            (s2, "SSUBSCRIBE sc1 sc2"),
            (s2, "PUNSUBSCRIBE [a-c]?x"),
            (p, "SPUBLISH sc1 m1"),
            (p, "SPUBLISH sc2 m2"),
            (p, "PUBLISH sc1 not-shard"),
            (p, "PUBSUB SHARDCHANNELS"),
            (p, "PUBSUB SHARDCHANNELS *2"),
            (p, "PUBSUB SHARDNUMSUB sc1 sc2 x"),
            (s2, "SUNSUBSCRIBE sc1"),
            (s2, "PUBLISH sc2 from-subscriber"),
            (p, "SPUBLISH sc2 m3"),
            (s2, "SUNSUBSCRIBE"),
            (s2, "PUNSUBSCRIBE"),
            (s2, "GET k"),
            // A subscriber publishing to itself (RESP3; refused in RESP2).
            (p2, "SUBSCRIBE me"),
            (p2, "PUBLISH me self"),
            (p2, "SUBSCRIBE"),
            (p2, "UNSUBSCRIBE me"),
            (p, "PUBSUB NUMSUB me news"),
        ],
    );
}

/// Once SUBSCRIBE has replied, a PUBLISH from any shard counts and delivers to the new
/// subscriber; once UNSUBSCRIBE has replied, none does. (Fails if a subscription replies before
/// every shard applied it.)
#[test]
fn a_subscription_counts_everywhere_once_it_replied() {
    let shardis = Proc::shardis_env(&["--enable-debug-command", "yes"], &[("SHARDIS_TEST_HOOKS", "1")]);
    let mut subs: Vec<Raw> = (0..SHARDS).map(|s| conn_on(shardis.port, Some(s))).collect();
    let mut pubs: Vec<Raw> = (0..SHARDS).map(|s| conn_on(shardis.port, Some(s))).collect();
    for round in 0..200 {
        let channel = format!("c{round}");
        let sub = &mut subs[round % SHARDS];
        // Every 10th round another shard reads no message from the others for a while: the
        // subscription must not reply before that shard has applied it.
        let holder = (round + 1) % SHARDS;
        if round % 10 == 0 {
            assert_eq!(s(&pubs[holder].words("DEBUG HOLD-INBOX 50")), "+OK\r\n");
        }
        let reply = sub.cmd(&[b"SUBSCRIBE", channel.as_bytes()]);
        assert!(s(&reply).contains(&channel), "{}", s(&reply));
        for (p, publisher) in pubs.iter_mut().enumerate() {
            let got = publisher.cmd(&[b"PUBLISH", channel.as_bytes(), format!("from{p}").as_bytes()]);
            assert_eq!(s(&got), ":1\r\n", "round {round} publisher on shard {p}");
        }
        for p in 0..SHARDS {
            let (_, items) = flat(&sub.reply());
            assert_eq!(items, [b"message".to_vec(), channel.clone().into_bytes(), format!("from{p}").into_bytes()]);
        }
        if round % 10 == 5 {
            assert_eq!(s(&pubs[holder].words("DEBUG HOLD-INBOX 50")), "+OK\r\n");
        }
        sub.cmd(&[b"UNSUBSCRIBE", channel.as_bytes()]);
        for publisher in pubs.iter_mut() {
            assert_eq!(s(&publisher.cmd(&[b"PUBLISH", channel.as_bytes(), b"late"])), ":0\r\n", "round {round}");
        }
    }
}

/// Four publishers (one per shard) pipeline messages to one channel and a pattern; subscribers
/// on every shard get each publisher's messages complete and in order, while other subscribers
/// come and go without reading. The subscribers that left are no longer counted.
#[test]
fn publish_order_with_subscribers_coming_and_going() {
    const N: usize = 3000;
    let shardis = Proc::shardis(&["--enable-debug-command", "yes"]);
    let port = shardis.port;
    let mut readers: Vec<Raw> = (0..2 * SHARDS).map(|i| conn_on(port, Some(i % SHARDS))).collect();
    for (i, r) in readers.iter_mut().enumerate() {
        if i % 2 == 0 {
            r.words("SUBSCRIBE o");
        } else {
            r.words("PSUBSCRIBE o*");
        }
    }
    let churn = std::thread::spawn(move || {
        for i in 0..40 {
            let mut c = Raw::connect(port);
            c.words(if i % 2 == 0 { "SUBSCRIBE o" } else { "PSUBSCRIBE o*" });
            std::thread::sleep(Duration::from_millis(5));
            drop(c);
        }
    });
    let publishers: Vec<_> = (0..SHARDS)
        .map(|shard| {
            std::thread::spawn(move || {
                let mut c = conn_on(port, Some(shard));
                let mut batch = Vec::new();
                for i in 0..N {
                    batch.extend(encode(&[b"PUBLISH", b"o", format!("{shard}:{i}").as_bytes()]));
                }
                c.send(&batch);
                for _ in 0..N {
                    let reply = s(&c.reply());
                    let n: usize = reply.trim_start_matches(':').trim().parse().unwrap();
                    assert!(n >= 2 * SHARDS, "{reply}");
                }
            })
        })
        .collect();
    for p in publishers {
        p.join().unwrap();
    }
    churn.join().unwrap();
    for (i, r) in readers.iter_mut().enumerate() {
        let mut next = [0usize; SHARDS];
        for _ in 0..N * SHARDS {
            let (_, items) = flat(&r.reply());
            let body = s(items.last().unwrap());
            let (p, n) = body.split_once(':').unwrap();
            let (p, n): (usize, usize) = (p.parse().unwrap(), n.parse().unwrap());
            assert_eq!(n, next[p], "reader {i}: publisher {p} out of order");
            next[p] += 1;
        }
    }
    // The subscribers that left are gone from the counts on every shard.
    let mut c = Raw::connect(port);
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let numsub = s(&c.words("PUBSUB NUMSUB o"));
        let numpat = s(&c.words("PUBSUB NUMPAT"));
        let published = s(&c.words("PUBLISH o x"));
        if numsub.ends_with(&format!(":{SHARDS}\r\n"))
            && numpat == ":1\r\n"
            && published == format!(":{}\r\n", 2 * SHARDS)
        {
            break;
        }
        assert!(Instant::now() < deadline, "{numsub} {numpat} {published}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// A subscriber that never reads, flooded with 1 GB from another shard: it is disconnected at
/// `client-output-buffer-limit pubsub` (32 MB hard), the server's memory stays bounded, and a
/// subscriber that reads keeps receiving throughout.
#[test]
fn a_flooded_subscriber_that_never_reads_is_disconnected() {
    let shardis = Proc::shardis(&["--enable-debug-command", "yes"]);
    let port = shardis.port;
    let mut slow = conn_on(port, Some(1));
    slow.words("SUBSCRIBE flood");
    let mut good = conn_on(port, Some(2));
    good.words("SUBSCRIBE ok");
    let mut publisher = conn_on(port, Some(0));
    let chunk = vec![b'x'; 1 << 20];
    let before = rss(shardis.pid());
    let mut peak = before;
    for i in 0..1024 {
        let n = s(&publisher.cmd(&[b"PUBLISH", b"flood", &chunk]));
        if i % 64 == 0 {
            let n_ok = s(&publisher.cmd(&[b"PUBLISH", b"ok", format!("{i}").as_bytes()]));
            assert_eq!(n_ok, ":1\r\n");
            let (_, items) = flat(&good.reply());
            assert_eq!(s(&items[2]), format!("{i}"));
            peak = peak.max(rss(shardis.pid()));
        }
        if i == 1023 {
            assert_eq!(n, ":0\r\n", "the slow subscriber is still counted after 1 GB");
        }
    }
    assert!(slow.closed(), "the slow subscriber was not disconnected");
    assert!(peak < before + (256 << 20), "RSS grew from {before} to {peak}");
    let mut c = Raw::connect(port);
    assert_eq!(s(&c.words("PUBSUB NUMSUB flood")), "*2\r\n$5\r\nflood\r\n:0\r\n");
}

/// Messages waiting to cross to a shard that does not read its inbox (held here; a long script
/// in life) are bounded by the pubsub limit too: past it the subscribers they were for are
/// closed instead of the messages piling up in the mesh.
#[test]
fn messages_for_a_shard_that_falls_behind_are_bounded() {
    let shardis = Proc::shardis_env(&["--enable-debug-command", "yes"], &[("SHARDIS_TEST_HOOKS", "1")]);
    let port = shardis.port;
    let mut sub = conn_on(port, Some(1));
    sub.words("SUBSCRIBE flood");
    let mut publisher = conn_on(port, Some(0));
    let mut holder = conn_on(port, Some(1));
    assert_eq!(s(&holder.words("DEBUG HOLD-INBOX 3000")), "+OK\r\n");
    let before = rss(shardis.pid());
    let chunk = vec![b'x'; 1 << 20];
    for _ in 0..200 {
        assert_eq!(s(&publisher.cmd(&[b"PUBLISH", b"flood", &chunk])), ":1\r\n");
    }
    let grown = rss(shardis.pid()).saturating_sub(before);
    if std::env::var_os("SHOW").is_some() {
        eprintln!("grown {grown}");
    }
    assert!(grown < 100 << 20, "200 MB published to a held shard grew RSS by {grown}");
    // Once the shard reads again, the subscriber is closed (its messages went past the limit).
    let mut got = 0;
    loop {
        match sub.reply_within(Duration::from_secs(10)) {
            Ok(_) => got += 1,
            Err(NoReply::Closed) => break,
            Err(NoReply::Timeout) => panic!("the subscriber was neither closed nor sent anything"),
        }
    }
    assert!(got < 40, "{got} messages of 1 MB came through");
}

/// CLIENT TRACKING byte for byte with Redis: the default mode, NOLOOP, OPTIN/OPTOUT, BCAST
/// with prefixes, REDIRECT to a client on another shard (a RESP2 one gets
/// `__redis__:invalidate` messages), the null invalidation of a flush, and the errors; the
/// tracking clients, the writer and the keys on different shards.
#[test]
fn tracking_matches_redis() {
    let (c, w, r, b) = (0, 1, 2, 3);
    compare(
        &[0, 1, 2, 3],
        &[
            (c, "CLIENT TRACKINGINFO"),
            (c, "CLIENT GETREDIR"),
            (c, "CLIENT CACHING yes"),
            (c, "CLIENT TRACKING ON"),
            (c, "CLIENT TRACKINGINFO"),
            (c, "CLIENT GETREDIR"),
            (c, "GET k1"),
            (c, "GET k2"),
            (c, "STRLEN k3"),
            (c, "HGET k4 f"),
            (c, "EVAL return(redis.call('get',KEYS[1])) 1 sk1"),
            (c, "EVAL return(redis.call('get',ARGV[1])) 0 sk2"),
            (c, "EVAL_RO return(redis.call('exists',KEYS[1])) 1 sk3"),
            (w, "MSET sk1 1 sk2 2 sk3 3"),
            (w, "SET k1 v"),
            (w, "SET k1 v2"),
            (c, "SET k2 x"),
            (w, "HSET k4 f v"),
            (w, "SET k3 abc"),
            (c, "SORT_RO sl BY sw_* GET sg_*"),
            (c, "SORT_RO sl3"),
            (c, "SORT sl2 BY nosort"),
            (w, "SET sw_1 5"),
            (w, "SET sg_1 5"),
            (w, "RPUSH sl 1"),
            (w, "RPUSH sl2 1"),
            (w, "RPUSH sl3 1"),
            (c, "MGET m1 m2 m3 m4 m5 m6"),
            (w, "SET m3 x"),
            (w, "MSET m1 a m6 b"),
            (c, "CLIENT TRACKING OFF"),
            (c, "CLIENT TRACKING ON NOLOOP"),
            (c, "MGET y1 y2 y3 y4 y5"),
            (c, "MSET y1 a y2 b y3 c y4 d"),
            (w, "SET y5 e"),
            (w, "MSET y1 z y2 z"),
            (c, "GET k5"),
            (c, "SET k5 y"),
            (w, "SET k5 z"),
            (c, "GET k6"),
            (w, "DEL k6"),
            (w, "SET k6 1"),
            (c, "CLIENT TRACKING OFF"),
            (c, "CLIENT TRACKING ON OPTIN"),
            (c, "CLIENT TRACKING ON OPTOUT"),
            (c, "CLIENT TRACKING ON OPTIN NOLOOP"),
            (c, "GET o1"),
            (c, "CLIENT CACHING no"),
            (c, "CLIENT CACHING yes"),
            (c, "CLIENT TRACKINGINFO"),
            (c, "GET o2"),
            (c, "GET o3"),
            (w, "MSET o1 1 o2 2 o3 3"),
            (c, "CLIENT TRACKING OFF"),
            (c, "CLIENT TRACKING ON OPTOUT"),
            (c, "CLIENT CACHING no"),
            (c, "GET p1"),
            (c, "GET p2"),
            (w, "SET p1 1"),
            (w, "SET p2 1"),
            (c, "CLIENT TRACKING OFF"),
            (b, "CLIENT TRACKING ON BCAST PREFIX user: PREFIX item:"),
            (b, "CLIENT TRACKINGINFO"),
            (b, "CLIENT TRACKING ON BCAST PREFIX it"),
            (b, "CLIENT TRACKING ON BCAST PREFIX zz:"),
            (b, "CLIENT TRACKING ON"),
            (b, "CLIENT TRACKINGINFO"),
            (w, "SET user:1 a"),
            (w, "SET zz:1 a"),
            (w, "SET other 1"),
            (w, "LPUSH item:2 x"),
            (b, "SET user:2 b"),
            (r, "SUBSCRIBE __redis__:invalidate"),
            (c, "CLIENT TRACKING ON REDIRECT $id2"),
            (c, "GET q1"),
            (w, "SET q1 1"),
            (c, "GET q2"),
            (w, "FLUSHALL"),
            (c, "CLIENT TRACKING OFF"),
            (b, "CLIENT TRACKING OFF"),
            (w, "SET user:3 c"),
            (c, "CLIENT TRACKING ON BCAST OPTIN"),
            (c, "CLIENT TRACKING ON OPTIN OPTOUT"),
            (c, "CLIENT TRACKING ON PREFIX a"),
            (c, "CLIENT TRACKING ON BCAST PREFIX a PREFIX ab"),
            (c, "CLIENT TRACKING ON REDIRECT 999999"),
            (c, "CLIENT TRACKING maybe"),
            (c, "CLIENT TRACKING ON foo"),
            (c, "CLIENT TRACKINGINFO"),
        ],
    );
}

/// A client caching what it reads (RESP3 tracking) while writers on every shard change the
/// keys: once the writers stop and the invalidations are in, everything still cached is what
/// the server holds. (Fails if an invalidation is lost: the cache keeps a stale value.)
#[test]
fn a_tracking_cache_never_keeps_a_stale_value() {
    const KEYS: usize = 40;
    let shardis = Proc::shardis(&["--enable-debug-command", "yes"]);
    let port = shardis.port;
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let writers: Vec<_> = (0..SHARDS)
        .map(|shard| {
            let stop = stop.clone();
            std::thread::spawn(move || {
                let mut c = conn_on(port, Some(shard));
                let mut n = 0u64;
                while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                    n += 1;
                    let key = format!("ck{}", (n as usize * 7 + shard) % KEYS);
                    let value = format!("{shard}:{n}");
                    if n.is_multiple_of(5) {
                        c.cmd(&[b"DEL", key.as_bytes()]);
                    } else {
                        c.cmd(&[b"SET", key.as_bytes(), value.as_bytes()]);
                    }
                }
            })
        })
        .collect();
    let mut client = conn_on(port, Some(0));
    client.words("HELLO 3");
    assert_eq!(s(&client.words("CLIENT TRACKING ON")), "+OK\r\n");
    let mut cache: std::collections::HashMap<String, Vec<u8>> = Default::default();
    // Reads one reply, applying any invalidation pushed before it.
    fn answer(c: &mut Raw, cache: &mut std::collections::HashMap<String, Vec<u8>>) -> Vec<u8> {
        loop {
            let frame = c.reply();
            let (kind, items) = flat(&frame);
            if kind == b'>' && items.first().is_some_and(|w| w == b"invalidate") {
                if items.len() == 1 {
                    cache.clear();
                }
                for k in &items[1..] {
                    cache.remove(&s(k));
                }
                continue;
            }
            return frame;
        }
    }
    let deadline = Instant::now() + Duration::from_secs(2);
    let mut i = 0;
    while Instant::now() < deadline {
        i += 1;
        let key = format!("ck{}", i % KEYS);
        if cache.contains_key(&key) {
            continue;
        }
        client.send(&encode(&[b"GET", key.as_bytes()]));
        let reply = answer(&mut client, &mut cache);
        cache.insert(key, reply);
    }
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    for w in writers {
        w.join().unwrap();
    }
    std::thread::sleep(Duration::from_millis(200));
    client.send(&encode(&[b"PING"]));
    assert_eq!(s(&answer(&mut client, &mut cache)), "+PONG\r\n");
    // Any invalidation still on its way (a slow machine) is applied before the check.
    while let Ok(frame) = client.reply_within(Duration::from_millis(300)) {
        let (_, items) = flat(&frame);
        for k in items.iter().skip(1) {
            cache.remove(&s(k));
        }
    }
    assert!(!cache.is_empty());
    let mut check = Raw::connect(port);
    check.words("HELLO 3");
    for (key, cached) in &cache {
        assert_eq!(s(cached), s(&check.cmd(&[b"GET", key.as_bytes()])), "stale cache for {key}");
    }
}

/// `tracking-table-max-keys`: past it, remembered keys are let go with an invalidation, on
/// both servers (Redis in its cron, shardis at once; each shard keeps its share).
#[test]
fn the_tracking_table_is_bounded() {
    for server in [Proc::redis(&[]), Proc::shardis(&[])] {
        let mut c = Raw::connect(server.port);
        c.words("HELLO 3");
        c.words("CONFIG SET tracking-table-max-keys 8");
        c.words("CLIENT TRACKING ON");
        let mut invalidated = 0;
        for i in 0..40 {
            c.send(&encode(&[b"GET", format!("bounded{i}").as_bytes()]));
        }
        let deadline = Instant::now() + Duration::from_secs(5);
        while invalidated < 32 && Instant::now() < deadline {
            if let Ok(frame) = c.reply_within(Duration::from_millis(200)) {
                if flat(&frame).1.first().is_some_and(|w| w == b"invalidate") {
                    invalidated += 1;
                }
            }
        }
        assert!(invalidated >= 32, "{invalidated} invalidations");
    }
}

/// A redirect target that goes away: the next invalidation tells the tracking client, as
/// Redis does (a `tracking-redir-broken` push), and its tracking info says so.
#[test]
fn a_broken_redirect_is_reported() {
    let redis = Proc::redis(&[]);
    let shardis = Proc::shardis(&["--enable-debug-command", "yes"]);
    for (port, shards) in [(redis.port, None), (shardis.port, Some([0usize, 1, 2]))] {
        let mut c = conn_on(port, shards.map(|s| s[0]));
        let mut r = conn_on(port, shards.map(|s| s[1]));
        let mut w = conn_on(port, shards.map(|s| s[2]));
        c.words("HELLO 3");
        let id = s(&r.words("CLIENT ID")).trim_start_matches(':').trim().to_string();
        assert_eq!(s(&c.words(&format!("CLIENT TRACKING ON REDIRECT {id}"))), "+OK\r\n");
        c.words("GET broken1");
        drop(r);
        std::thread::sleep(Duration::from_millis(200));
        w.words("SET broken1 x");
        let push = c.reply_within(Duration::from_secs(5)).expect("a push");
        assert_eq!(s(&push), format!(">2\r\n$21\r\ntracking-redir-broken\r\n:{id}\r\n"));
        let info = s(&c.words("CLIENT TRACKINGINFO"));
        assert!(info.contains("broken_redirect"), "{info}");
    }
}

/// Keys read inside MULTI/EXEC are tracked too, whatever shards they live on.
#[test]
fn reads_in_a_transaction_are_tracked() {
    let redis = Proc::redis(&[]);
    let shardis = Proc::shardis(&[]);
    for port in [redis.port, shardis.port] {
        let mut c = Raw::connect(port);
        let mut w = Raw::connect(port);
        c.words("HELLO 3");
        c.words("CLIENT TRACKING ON");
        for line in ["MULTI", "GET x1", "GET x2", "MGET x3 x4 x5", "EXEC"] {
            c.words(line);
        }
        w.words("MSET x1 1 x2 2 x3 3 x4 4 x5 5 x6 6");
        let mut keys = Vec::new();
        while keys.len() < 5 {
            let frame = c.reply_within(Duration::from_secs(5)).expect("an invalidation");
            keys.extend(flat(&frame).1.into_iter().skip(1).map(|k| s(&k)));
        }
        keys.sort();
        assert_eq!(keys, ["x1", "x2", "x3", "x4", "x5"]);
    }
}

/// INFO's pub/sub and tracking counts are the whole server's, as Redis gives them.
#[test]
fn info_counts_subscriptions_and_tracking() {
    let redis = Proc::redis(&[]);
    let shardis = Proc::shardis(&["--enable-debug-command", "yes"]);
    let fields = [
        "tracking_clients",
        "pubsub_channels",
        "pubsub_patterns",
        "pubsubshard_channels",
        "tracking_total_keys",
        "tracking_total_items",
        "tracking_total_prefixes",
    ];
    let mut seen = Vec::new();
    for (port, shards) in [(redis.port, None), (shardis.port, Some([0usize, 1, 2, 3]))] {
        let mut c: Vec<Raw> = (0..4).map(|i| conn_on(port, shards.map(|s| s[i]))).collect();
        c[0].words("SUBSCRIBE a b c");
        c[1].words("SUBSCRIBE b d");
        c[1].words("PSUBSCRIBE x* y*");
        c[2].words("PSUBSCRIBE x*");
        c[2].words("SSUBSCRIBE s1 s2");
        c[3].words("CLIENT TRACKING ON");
        for k in ["t1", "t2", "t3", "t4", "t5"] {
            c[3].cmd(&[b"GET", k.as_bytes()]);
        }
        let mut other = conn_on(port, shards.map(|s| s[0]));
        other.words("CLIENT TRACKING ON");
        other.words("GET t1");
        let mut bcast = conn_on(port, shards.map(|s| s[1]));
        bcast.words("CLIENT TRACKING ON BCAST PREFIX p: PREFIX q:");
        let info = s(&Raw::connect(port).words("INFO"));
        let values: Vec<String> = fields
            .iter()
            .map(|f| info.lines().find(|l| l.starts_with(&format!("{f}:"))).unwrap_or("missing").trim().to_string())
            .collect();
        seen.push(values);
    }
    assert_eq!(seen[1], seen[0]);
}

/// A tracked key that expires (found by a lookup or by the active cycle) is invalidated, on
/// both servers.
#[test]
fn an_expired_tracked_key_is_invalidated() {
    let redis = Proc::redis(&[]);
    let shardis = Proc::shardis(&["--enable-debug-command", "yes"]);
    for (port, shards) in [(redis.port, None), (shardis.port, Some([0usize, 1]))] {
        let mut c = conn_on(port, shards.map(|s| s[0]));
        let mut w = conn_on(port, shards.map(|s| s[1]));
        c.words("HELLO 3");
        c.words("CLIENT TRACKING ON");
        w.words("SET soon1 v PX 150");
        w.words("SET soon2 v PX 150");
        c.words("GET soon1");
        c.words("GET soon2");
        std::thread::sleep(Duration::from_millis(300));
        // soon1 by a lookup; soon2 left to the active cycle.
        w.words("GET soon1");
        let mut keys = Vec::new();
        while keys.len() < 2 {
            let frame = c.reply_within(Duration::from_secs(5)).expect("an invalidation");
            keys.extend(flat(&frame).1.into_iter().skip(1).map(|k| s(&k)));
        }
        keys.sort();
        assert_eq!(keys, ["soon1", "soon2"]);
    }
}
