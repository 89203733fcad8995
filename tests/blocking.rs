//! Blocking pops (BLPOP BRPOP BLMOVE BRPOPLPUSH BLMPOP BZPOPMIN BZPOPMAX BZMPOP) and WAIT, byte
//! for byte against Redis 7.0.15. Cases run on fresh connections after FLUSHALL on both servers;
//! `@2 &CMD` sends a command that blocks, `blocked N` waits until the server counts N blocked
//! clients (so the order in which clients block is the order the lines give), `@2 <` reads the
//! reply that the blocked client got (see `common::transcript` for the syntax).
//!
//! Keys: with 4 shards `a`, `b`, `c`, `d` live on shards 3, 0, 1 and 2 and `q1`, `q2`, `q3` on
//! shards 1, 2 and 3, so a client blocked on several keys, and BLMOVE between two keys, cross
//! shards. `keys_cover_every_shard` checks this.

mod common;
use common::*;
use std::time::{Duration, Instant};

fn run_cases(cases: &[&[&str]]) {
    run_cases_then(cases, &[]);
}

#[test]
fn keys_cover_every_shard() {
    let shard = |k: &str| shardis::shard::route::key_shard(k.as_bytes(), SHARDS);
    assert_eq!(["a", "b", "c", "d"].map(shard), [3, 0, 1, 2]);
    assert_eq!(["q1", "q2", "q3"].map(shard), [1, 2, 3]);
}

#[test]
fn immediate_answers_on_non_empty_keys() {
    // The first non-empty key in argument order answers, whichever shard it is on.
    run_cases(&[
        &["RPUSH c x", "RPUSH d y z", "BLPOP a b c d 0", "BRPOP a d c 0", "BLPOP d 0", "EXISTS c d"],
        &["RPUSH a 1 2 3", "BLMOVE a b LEFT RIGHT 0", "BRPOPLPUSH a b 0", "LRANGE b 0 -1", "LRANGE a 0 -1"],
        &["RPUSH a 1 2 3", "BLMOVE a a RIGHT LEFT 0", "LRANGE a 0 -1", "BRPOPLPUSH a a 0", "LRANGE a 0 -1"],
        &["RPUSH c 1 2 3", "BLMPOP 0 3 a b c LEFT", "BLMPOP 0 3 a b c RIGHT COUNT 5", "EXISTS c"],
        &["ZADD c 1 x 2 y 3 z", "BZPOPMIN a b c 0", "BZPOPMAX a b c 0", "BZMPOP 0 2 a c MIN COUNT 10", "EXISTS c"],
        &["ZADD d 1.5 x 2 y", "ZADD b 3 z", "BZMPOP 0 2 d b MAX", "BZPOPMIN b d 0"],
        &[
            "HELLO 3",
            "RPUSH c x",
            "BLPOP a b c 0",
            "RPUSH a 1 2",
            "BLMPOP 0 1 a LEFT COUNT 1",
            "BLMOVE a b LEFT LEFT 0",
        ],
        &["HELLO 3", "ZADD c 1 x 2.5 y", "BZPOPMIN a c 0", "BZPOPMAX c 0", "ZADD a 1 m", "BZMPOP 0 1 a MIN"],
    ]);
}

#[test]
fn timeouts_answer_null() {
    // Each blocks for its timeout (the `<none 100` shows the 300 ms one has not answered early),
    // then answers a null: *-1 in RESP2, _ in RESP3.
    run_cases(&[
        &["&BLPOP q 0.3", "<none 100", "<"],
        &["BLPOP q 0.05", "BRPOP q1 q2 q3 0.05", "BLMOVE a b LEFT RIGHT 0.05", "BRPOPLPUSH a b 0.05"],
        &["BLMPOP 0.05 2 a b LEFT", "BZPOPMIN a 0.05", "BZPOPMAX a b 0.05", "BZMPOP 0.05 1 a MIN COUNT 2"],
        &["HELLO 3", "BLPOP q 0.05", "BRPOP q 0.05", "BLMOVE a b LEFT RIGHT 0.05", "BRPOPLPUSH a b 0.05"],
        &["HELLO 3", "BLMPOP 0.05 1 a LEFT", "BZPOPMIN a 0.05", "BZPOPMAX a 0.05", "BZMPOP 0.05 1 a MAX"],
        // Timeouts in every form Redis's float parser takes; 0.0001 s rounds up to 1 ms.
        &["BLPOP q 0.0001", "BLPOP q .05", "BLPOP q +0.05", "BLPOP q 5e-2", "BLPOP q 1e-5"],
    ]);
}

#[test]
fn timeout_errors() {
    // Redis multiplies by 1000 into a long long: inf and anything past ~9.2e15 s overflow to a
    // negative number, so they are "negative"; nan is "not a float".
    run_cases(&[
        &["BLPOP q abc", "BLPOP q ''", "BLPOP q 1e3x", "BLPOP q nan", "BLPOP q -1", "BLPOP q -0.5"],
        &["BLPOP q inf", "BLPOP q -inf", "BLPOP q 1e309", "BLPOP q 9223372036854776", "BLPOP q 99999999999999999999"],
        &["BRPOP q x", "BRPOP q -1", "BLMOVE a b LEFT RIGHT x", "BLMOVE a b LEFT RIGHT -1", "BRPOPLPUSH a b -1"],
        &["BLMPOP x 1 q LEFT", "BLMPOP -1 1 q LEFT", "BZPOPMIN z abc", "BZPOPMAX z -1", "BZMPOP -1 1 z MIN"],
        // Errors in the other arguments.
        &["BLPOP q", "BLMOVE a b LEFT UP 0", "BLMPOP 0 0 q LEFT", "BLMPOP 0 x q LEFT", "BLMPOP 0 1 q UP"],
        &["BLMPOP 0 1 q LEFT COUNT 0", "BLMPOP 0 1 q LEFT COUNT -1", "BLMPOP 0 2 q LEFT", "BZMPOP 0 1 z MINX"],
        &["BZMPOP 0 1 z MIN COUNT 0", "BZMPOP 0 -1 z MIN", "BZPOPMIN z", "BRPOPLPUSH a b"],
        &["HELLO 3", "BLPOP q abc", "BLPOP q -1", "BZMPOP 0 0 z MIN"],
    ]);
}

#[test]
fn unusual_timeouts_that_block() {
    // Hex is a float to strtold (16 s), a negative that rounds to 0 ms means "forever", as 0 and
    // -0 do: each blocks until a push.
    let mut cases: Vec<Vec<String>> = Vec::new();
    for timeout in ["0x10", "-1e-300", "0", "-0", "0.0"] {
        let block = format!("@2 &BLPOP q {timeout}");
        cases.push([block.as_str(), "@2 <none 100", "RPUSH q v", "@2 <"].map(String::from).to_vec());
    }
    let cases: Vec<Vec<&str>> = cases.iter().map(|c| c.iter().map(String::as_str).collect()).collect();
    let cases: Vec<&[&str]> = cases.iter().map(Vec::as_slice).collect();
    run_cases(&cases);
}

#[test]
fn wrong_types() {
    run_cases(&[
        // The first existing key decides: WRONGTYPE at once, even when a later key could serve.
        &["SET b s", "RPUSH c x", "BLPOP a b c 0", "BRPOP a b c 0", "LLEN c"],
        &["RPUSH b x", "SET c s", "BLPOP a b c 0", "BLPOP a b c 0"],
        &["SET a s", "BLPOP a 0.05", "BLMPOP 0.05 1 a LEFT", "BZPOPMIN a 0.05", "BZMPOP 0 1 a MIN"],
        &["RPUSH a x", "BZPOPMIN a 0", "BZMPOP 0 1 a MAX", "ZADD b 1 m", "BLPOP b 0", "BLMPOP 0 1 b LEFT"],
        // BLMOVE into a key of another type fails and leaves the source alone.
        &["RPUSH a x", "SET b s", "BLMOVE a b LEFT RIGHT 0", "BRPOPLPUSH a b 0", "LRANGE a 0 -1"],
        &["SET a s", "BLMOVE a b LEFT RIGHT 0", "EXISTS b"],
        &["HELLO 3", "SET b s", "BLPOP a b 0", "BZPOPMAX b 0"],
    ]);
}

#[test]
fn push_wakes_a_client_blocked_on_keys_across_shards() {
    run_cases(&[
        &["@2 &BLPOP q1 q2 q3 0", "blocked 1", "RPUSH q3 v w", "@2 <", "LRANGE q3 0 -1"],
        &["@2 &BRPOP q1 q2 q3 0", "blocked 1", "RPUSH q2 v w", "@2 <", "LRANGE q2 0 -1"],
        &["@2 &BZPOPMIN q1 q2 q3 0", "blocked 1", "ZADD q1 2 m 1 n", "@2 <", "ZRANGE q1 0 -1"],
        &["@2 &BZPOPMAX q1 q2 q3 0", "blocked 1", "ZADD q3 2 m 1 n", "@2 <", "ZRANGE q3 0 -1"],
        &["@2 &BLMPOP 0 3 q1 q2 q3 RIGHT", "blocked 1", "RPUSH q2 1 2 3", "@2 <", "LRANGE q2 0 -1"],
        &["@2 &BZMPOP 0 3 q1 q2 q3 MAX", "blocked 1", "ZADD q3 1 m 2 n", "@2 <", "ZRANGE q3 0 -1"],
        // LMOVE and ZINCRBY serve a blocked client too.
        &["RPUSH q1 x", "@2 &BLPOP q2 q3 0", "blocked 1", "LMOVE q1 q3 LEFT LEFT", "@2 <", "EXISTS q1 q3"],
        &["@2 &BZPOPMIN q1 0", "blocked 1", "ZINCRBY q1 5 m", "@2 <"],
        &["HELLO 3", "@2 HELLO 3", "@2 &BLPOP q1 q2 q3 0", "blocked 1", "RPUSH q1 v", "@2 <"],
        &["HELLO 3", "@2 HELLO 3", "@2 &BZPOPMIN q1 q2 q3 0", "blocked 1", "ZADD q2 1 m", "@2 <"],
        &["HELLO 3", "@2 HELLO 3", "@2 &BZMPOP 0 2 q1 q2 MIN", "blocked 1", "ZADD q2 1 m", "@2 <"],
        &["HELLO 3", "@2 HELLO 3", "@2 &BLMPOP 0 2 q1 q2 LEFT", "blocked 1", "RPUSH q2 m", "@2 <"],
    ]);
}

#[test]
fn a_transaction_pushing_to_several_waited_keys_serves_the_key_pushed_first() {
    // q1, q2, q3 live on three shards; the client waits on all of them, in both orders, and a
    // transaction pushes to two of them: the key pushed first is served, whatever shard
    // finishes first. Each case runs several times, since a race would show only sometimes.
    let once: &[&[&str]] = &[
        &["@2 &BLPOP q1 q2 q3 0", "blocked 1", "MULTI", "RPUSH q3 c", "RPUSH q1 a", "EXEC", "@2 <", "LLEN q1"],
        &["@2 &BLPOP q3 q2 q1 0", "blocked 1", "MULTI", "RPUSH q1 a", "RPUSH q2 b", "EXEC", "@2 <", "LLEN q2"],
        &["@2 &BZPOPMIN q1 q2 0", "blocked 1", "MULTI", "ZADD q2 1 b", "ZADD q1 1 a", "EXEC", "@2 <", "ZCARD q1"],
        &["@2 &BLMPOP 0 2 q1 q3 LEFT", "blocked 1", "MULTI", "RPUSH q3 c", "PING", "RPUSH q1 a", "EXEC", "@2 <"],
    ];
    let more: &[&[&str]] = &[
        // a and e share a shard: the key made ready first is served first.
        &["@2 &BLPOP a e 0", "blocked 1", "MULTI", "LPUSH e 1", "LPUSH a 2", "EXEC", "@2 <"],
        // A key written first that nobody waits on does not decide the order...
        &["@2 &BLPOP a c 0", "blocked 1", "MULTI", "LPUSH e y", "LPUSH c z", "LPUSH a q", "EXEC", "@2 <"],
        // ...and a key arriving by a multi-shard command counts when it arrives.
        &["@2 &BLPOP a c 0", "blocked 1", "MULTI", "LPUSH b y", "RENAME b a", "LPUSH c z", "EXEC", "@2 <"],
        &["@2 &BLPOP a c 0", "blocked 1", "MULTI", "LPUSH b y", "LMOVE b a LEFT LEFT", "LPUSH c z", "EXEC", "@2 <"],
    ];
    let cases: Vec<&[&str]> = (0..8).flat_map(|_| once.iter().chain(more.iter()).copied()).collect();
    run_cases(&cases);
}

#[test]
fn keys_arriving_by_rename_copy_move_or_swapdb_wake_waiters() {
    // x is on shard 3, q on shard 2: the key arrives from another shard.
    run_cases(&[
        &["RPUSH x v", "@2 &BLPOP q 0", "blocked 1", "RENAME x q", "@2 <", "EXISTS x q"],
        &["RPUSH x v w", "@2 &BLPOP q 0", "blocked 1", "COPY x q", "@2 <", "LRANGE q 0 -1", "LLEN x"],
        &["ZADD x 1 m", "@2 &BZPOPMIN q 0", "blocked 1", "RENAME x q", "@2 <"],
        &["RPUSH q v", "@2 SELECT 1", "@2 &BLPOP q 0", "blocked 1", "MOVE q 1", "@2 <"],
        &["SELECT 1", "RPUSH q v", "@2 &BLPOP q 0", "blocked 1", "SWAPDB 0 1", "@2 <", "EXISTS q"],
        // Waiting is per database: a push to db 0 does not serve a client waiting in db 1.
        &["@2 SELECT 1", "@2 &BLPOP q 0", "blocked 1", "RPUSH q v", "@2 <none 100", "SELECT 1", "RPUSH q w", "@2 <"],
    ]);
}

#[test]
fn waiters_are_served_in_the_order_they_blocked() {
    // Every case ends with no client still blocked: one left over would be counted by the next
    // case's `blocked N` until the server notices it closed, and could take its elements.
    run_cases(&[
        &[
            "@2 &BLPOP q 0",
            "blocked 1",
            "@3 &BLPOP q 0",
            "blocked 2",
            "RPUSH q x",
            "@2 <",
            "@3 <none 100",
            "RPUSH q y",
            "@3 <",
            "EXISTS q",
        ],
        // One push of two elements serves both, in order; a third element stays.
        &["@2 &BRPOP q 0", "blocked 1", "@3 &BRPOP q 0", "blocked 2", "RPUSH q x y z", "@2 <", "@3 <", "LRANGE q 0 -1"],
        // Blocked on different key lists: the push to q2 serves the client that blocked first.
        &[
            "@2 &BLPOP q1 q2 0",
            "blocked 1",
            "@3 &BLPOP q2 q3 0",
            "blocked 2",
            "RPUSH q2 v",
            "@2 <",
            "@3 <none 100",
            "RPUSH q3 w",
            "@3 <",
        ],
        &["@2 &BZPOPMIN q 0", "blocked 1", "@3 &BZPOPMAX q 0", "blocked 2", "ZADD q 1 a 2 b", "@2 <", "@3 <"],
        // A client blocked with COUNT takes what it may; the next client gets the rest.
        &[
            "@2 &BLMPOP 0 1 q LEFT COUNT 2",
            "blocked 1",
            "@3 &BLPOP q 0",
            "blocked 2",
            "RPUSH q 1 2 3 4",
            "@2 <",
            "@3 <",
        ],
    ]);
}

#[test]
fn mpop_count_when_woken() {
    run_cases(&[
        &["@2 &BLMPOP 0 2 a b LEFT COUNT 2", "blocked 1", "RPUSH b 1 2 3", "@2 <", "LRANGE b 0 -1"],
        &["@2 &BLMPOP 0 2 a b RIGHT COUNT 10", "blocked 1", "RPUSH a 1 2 3", "@2 <", "EXISTS a"],
        &["@2 &BZMPOP 0 2 a b MIN COUNT 2", "blocked 1", "ZADD a 3 x 1 y 2 z", "@2 <", "ZRANGE a 0 -1"],
        &["@2 &BZMPOP 0 2 a b MAX COUNT 5", "blocked 1", "ZADD b 3 x 1 y", "@2 <", "EXISTS b"],
    ]);
}

#[test]
fn blmove_chains_into_a_key_another_client_blocks_on() {
    // b is on another shard than a and c; the element moved into b serves the client on b, and
    // the one it moves on to c serves the third.
    run_cases(&[
        &[
            "@2 &BLMOVE a b LEFT RIGHT 0",
            "blocked 1",
            "@3 &BLPOP b 0",
            "blocked 2",
            "RPUSH a x",
            "@2 <",
            "@3 <",
            "EXISTS a b",
        ],
        &[
            "@2 &BRPOPLPUSH a b 0",
            "blocked 1",
            "@3 &BLMOVE b c RIGHT LEFT 0",
            "blocked 2",
            "@4 &BRPOP c 0",
            "blocked 3",
            "RPUSH a x",
            "@2 <",
            "@3 <",
            "@4 <",
            "DBSIZE",
        ],
        // BLMOVE woken into a key of another type: the error goes to the blocked client and the
        // element stays where it was.
        &["@2 &BLMOVE a b LEFT RIGHT 0", "blocked 1", "SET b s", "RPUSH a x", "@2 <", "LRANGE a 0 -1"],
        // Into the same key, rotating it.
        &["@2 &BLMOVE a a LEFT RIGHT 0", "blocked 1", "RPUSH a x", "@2 <", "LRANGE a 0 -1"],
    ]);
}

#[test]
fn writes_that_leave_the_key_empty_wake_nobody() {
    run_cases(&[
        // The push and the delete are one transaction: the blocked client never sees the element.
        &["@2 &BLPOP q 0", "blocked 1", "MULTI", "LPUSH q x", "DEL q", "EXEC", "@2 <none 200", "LPUSH q y", "@2 <"],
        &["@2 &BLPOP q 0", "blocked 1", "MULTI", "LPUSH q x y", "LPOP q", "EXEC", "@2 <", "EXISTS q"],
        &[
            "@2 &BZPOPMIN q 0",
            "blocked 1",
            "MULTI",
            "ZADD q 1 m",
            "ZREM q m",
            "EXEC",
            "@2 <none 200",
            "ZADD q 2 n",
            "@2 <",
        ],
        // A key of another type under the name does not wake a list waiter; it keeps waiting.
        &["@2 &BLPOP q 0", "blocked 1", "SET q s", "@2 <none 100", "DEL q", "RPUSH q v", "@2 <"],
        // A waiter of a list is not served by a sorted set and the other way round.
        &["@2 &BLPOP q 0", "blocked 1", "ZADD q 1 m", "@2 <none 100", "DEL q", "RPUSH q v", "@2 <"],
    ]);
}

#[test]
fn a_client_that_disconnects_is_never_served() {
    run_cases(&[
        &["@2 &BLPOP q 0", "blocked 1", "@2 close", "blocked 0", "RPUSH q x", "LLEN q"],
        // The next waiter in line gets the element instead.
        &[
            "@2 &BLPOP q 0",
            "blocked 1",
            "@3 &BLPOP q 0",
            "blocked 2",
            "@2 close",
            "blocked 1",
            "RPUSH q x",
            "@3 <",
            "LLEN q",
        ],
        &["@2 &BZPOPMIN q 0", "blocked 1", "@2 close", "blocked 0", "ZADD q 1 m", "ZCARD q"],
    ]);
}

#[test]
fn client_unblock() {
    run_cases(&[
        // TIMEOUT (the default) answers as the timeout would; ERROR answers -UNBLOCKED.
        &["@2 CLIENT ID", "@2 &BLPOP q 0", "blocked 1", "CLIENT UNBLOCK $id2", "@2 <", "blocked 0", "@2 PING"],
        &["@2 CLIENT ID", "@2 &BRPOP q 0", "blocked 1", "CLIENT UNBLOCK $id2 TIMEOUT", "@2 <"],
        &["@2 CLIENT ID", "@2 &BLPOP q 0", "blocked 1", "CLIENT UNBLOCK $id2 ERROR", "@2 <", "RPUSH q x", "LLEN q"],
        &["@2 CLIENT ID", "@2 &BLMOVE a b LEFT RIGHT 0", "blocked 1", "CLIENT UNBLOCK $id2", "@2 <"],
        &["@2 CLIENT ID", "@2 &BLMPOP 0 1 a LEFT", "blocked 1", "CLIENT UNBLOCK $id2", "@2 <"],
        &["@2 CLIENT ID", "@2 &BZPOPMIN a 0", "blocked 1", "CLIENT UNBLOCK $id2 ERROR", "@2 <"],
        &["@2 CLIENT ID", "@2 &BZMPOP 0 1 a MIN", "blocked 1", "CLIENT UNBLOCK $id2", "@2 <"],
        &["@2 CLIENT ID", "@2 &WAIT 1 0", "blocked 1", "CLIENT UNBLOCK $id2", "@2 <"],
        // A client that is not blocked, or no such client; bad arguments.
        &["@2 CLIENT ID", "CLIENT UNBLOCK $id2", "CLIENT UNBLOCK 999999", "CLIENT UNBLOCK $id2 FOO"],
        &["CLIENT UNBLOCK x", "CLIENT UNBLOCK", "CLIENT UNBLOCK -1"],
        &["@2 HELLO 3", "@2 CLIENT ID", "@2 &BLPOP q 0", "blocked 1", "CLIENT UNBLOCK $id2", "@2 <"],
        &["@2 HELLO 3", "@2 CLIENT ID", "@2 &BZMPOP 0 1 a MIN", "blocked 1", "CLIENT UNBLOCK $id2 ERROR", "@2 <"],
    ]);
}

#[test]
fn wait_without_replicas() {
    // No replicas: WAIT 0 answers :0 at once, WAIT 1 t blocks t ms and answers :0; inside MULTI
    // it answers at once even with timeout 0 (forever).
    run_cases(&[
        &["WAIT 0 0", "WAIT 0 100", "WAIT 1 100"],
        &["&WAIT 1 300", "<none 100", "<"],
        &["MULTI", "WAIT 1 0", "&EXEC", "<"],
        &["WAIT x 0", "WAIT 0 x", "WAIT 0 -1", "WAIT 0", "WAIT -1 0"],
        &["HELLO 3", "WAIT 0 0", "WAIT 1 50", "MULTI", "WAIT 1 0", "EXEC"],
    ]);
}

/// Polls `INFO clients` until `blocked_clients:{want}` shows, for up to 5 s; false if not.
fn blocked_clients_reaches(raw: &mut Raw, want: usize) -> bool {
    let deadline = Instant::now() + Duration::from_secs(5);
    let line = format!("blocked_clients:{want}\r\n");
    while Instant::now() < deadline {
        if s(&raw.words("INFO clients")).contains(&line) {
            return true;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    false
}

/// The `flags=` word of the CLIENT LIST line of client `id`.
fn client_flags(raw: &mut Raw, id: &str) -> String {
    let list = s(&raw.words(&format!("CLIENT LIST ID {id}")));
    list.split_whitespace().find(|w| w.starts_with("flags=")).unwrap_or("no flags= field").to_string()
}

/// On both servers: connection 2 sends `block`, which must block; INFO then counts one blocked
/// client and CLIENT LIST shows flags=b for it; `release` (run on another connection) answers
/// it (`$id` in it stands for the waiter's id), after which the count is 0 and the flag gone.
fn blocked_client_shows(block: &str, release: &str) {
    let redis = Proc::redis(&[]);
    let shardis = Proc::shardis(&[]);
    for (server, port) in [("redis", redis.port), ("shardis", shardis.port)] {
        let mut ctl = Raw::connect(port);
        assert_eq!(ctl.words("FLUSHALL"), b"+OK\r\n");
        let mut waiter = Raw::connect(port);
        let id = s(&waiter.words("CLIENT ID")).trim_start_matches(':').trim().to_string();
        assert!(blocked_clients_reaches(&mut ctl, 0), "{server}: blocked_clients before {block}");
        waiter.send(&encode(&line_args(block)));
        assert!(blocked_clients_reaches(&mut ctl, 1), "{server}: blocked_clients while in {block}");
        assert_eq!(client_flags(&mut ctl, &id), "flags=b", "{server}: CLIENT LIST while in {block}");
        ctl.words(&release.replace("$id", &id));
        waiter.reply_within(Duration::from_secs(5)).unwrap_or_else(|e| panic!("{server}: {block}: {e:?}"));
        assert!(blocked_clients_reaches(&mut ctl, 0), "{server}: blocked_clients after {block}");
        assert_eq!(client_flags(&mut ctl, &id), "flags=N", "{server}: CLIENT LIST after {block}");
    }
}

#[test]
fn list_waits_show_in_info_and_client_list() {
    blocked_client_shows("BLPOP q1 q2 0", "RPUSH q2 x");
    blocked_client_shows("BRPOP q1 0", "RPUSH q1 x");
    blocked_client_shows("BLMOVE a b LEFT RIGHT 0", "RPUSH a x");
    blocked_client_shows("BRPOPLPUSH a b 0", "RPUSH a x");
    blocked_client_shows("BLMPOP 0 2 a b LEFT", "RPUSH b x");
}

#[test]
fn sorted_set_waits_show_in_info_and_client_list() {
    blocked_client_shows("BZPOPMIN q1 q2 0", "ZADD q2 1 x");
    blocked_client_shows("BZPOPMAX q1 0", "ZADD q1 1 x");
    blocked_client_shows("BZMPOP 0 2 a b MIN", "ZADD b 1 x");
}

#[test]
fn wait_shows_in_info_and_client_list() {
    // With no replicas WAIT 1 0 blocks until CLIENT UNBLOCK.
    blocked_client_shows("WAIT 1 0", "CLIENT UNBLOCK $id");
}

/// On both servers: the `timeout` directive never closes a blocked client (it gets its own
/// timeout's null), while an idle one is closed; CLIENT KILL closes a blocked client and its
/// key stays for others; a blocking command sent during CLIENT PAUSE WRITE waits for the pause,
/// and a push held by CLIENT PAUSE ALL serves the blocked client once the pause ends.
#[test]
fn idle_timeout_kill_and_pause_on_blocked_clients() {
    let redis = Proc::redis(&["--timeout", "1"]);
    let shardis = Proc::shardis(&["--timeout", "1"]);
    for (server, port) in [("redis", redis.port), ("shardis", shardis.port)] {
        let mut ctl = Raw::connect(port);
        assert_eq!(ctl.words("FLUSHALL"), b"+OK\r\n");
        // Blocked for 2.5 s with a 1 s idle timeout: answered, not closed.
        let mut waiter = Raw::connect(port);
        let mut idle = Raw::connect(port);
        assert_eq!(idle.words("PING"), b"+PONG\r\n");
        waiter.send(&encode(&line_args("BLPOP q 2.5")));
        let reply = waiter.reply_within(Duration::from_secs(6)).unwrap_or_else(|e| panic!("{server}: {e:?}"));
        assert_eq!(reply, b"*-1\r\n", "{server}: the blocked client got its timeout");
        assert_eq!(waiter.words("PING"), b"+PONG\r\n", "{server}: and is still connected");
        assert!(idle.closed(), "{server}: the idle client was closed");
        // CLIENT KILL of a blocked client: the pushed element stays.
        let mut ctl = Raw::connect(port);
        let mut victim = Raw::connect(port);
        let id = s(&victim.words("CLIENT ID")).trim_start_matches(':').trim().to_string();
        victim.send(&encode(&line_args("BLPOP k1 k2 k3 0")));
        assert!(blocked_clients_reaches(&mut ctl, 1), "{server}");
        assert_eq!(ctl.words(&format!("CLIENT KILL ID {id}")), b":1\r\n", "{server}");
        assert!(blocked_clients_reaches(&mut ctl, 0), "{server}");
        assert_eq!(ctl.words("RPUSH k2 x"), b":1\r\n", "{server}");
        assert_eq!(ctl.words("LLEN k2"), b":1\r\n", "{server}: the killed client took nothing");
        // CLIENT PAUSE ALL holds a push; the blocked client is served when it ends.
        let mut waiter = Raw::connect(port);
        waiter.send(&encode(&line_args("BLPOP q3 0")));
        assert!(blocked_clients_reaches(&mut ctl, 1), "{server}");
        assert_eq!(ctl.words("CLIENT PAUSE 300 ALL"), b"+OK\r\n", "{server}");
        let mut pusher = Raw::connect(port);
        pusher.send(&encode(&line_args("LPUSH q3 y")));
        assert!(waiter.reply_within(Duration::from_millis(150)).is_err(), "{server}: served during the pause");
        let reply = waiter.reply_within(Duration::from_secs(5)).unwrap_or_else(|e| panic!("{server}: {e:?}"));
        assert_eq!(reply, b"*2\r\n$2\r\nq3\r\n$1\r\ny\r\n", "{server}");
        // A blocking command sent during CLIENT PAUSE WRITE waits for the pause to end.
        assert_eq!(ctl.words("CLIENT PAUSE 300 WRITE"), b"+OK\r\n", "{server}");
        let started = Instant::now();
        waiter.send(&encode(&line_args("BLPOP q4 0.01")));
        let reply = waiter.reply_within(Duration::from_secs(5)).unwrap_or_else(|e| panic!("{server}: {e:?}"));
        assert_eq!(reply, b"*-1\r\n", "{server}");
        assert!(started.elapsed() >= Duration::from_millis(200), "{server}: BLPOP ran during the pause");
    }
}
