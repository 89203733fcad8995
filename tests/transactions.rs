//! MULTI/EXEC/DISCARD/WATCH/UNWATCH, byte for byte against Redis 7.0.15. Each case runs on fresh
//! connections after FLUSHALL on both servers; `@2 ...` lines run on a second connection (see
//! `common::transcript` for the syntax).
//!
//! Keys: with 4 shards `a`, `b`, `c`, `d` live on shards 3, 0, 1 and 2, so a transaction that
//! touches all four (or a WATCH of all four) spans every shard; `q` and `x` are on shards 2 and 3.
//! `keys_cover_every_shard` below checks this, so a change of the slot function cannot quietly
//! turn these cases into single-shard ones.

mod common;
use common::*;

fn run_cases(cases: &[&[&str]]) {
    run_cases_then(cases, &[]);
}

#[test]
fn keys_cover_every_shard() {
    let shards: Vec<usize> =
        ["a", "b", "c", "d"].iter().map(|k| shardis::shard::route::key_shard(k.as_bytes(), SHARDS)).collect();
    assert_eq!(shards, [3, 0, 1, 2]);
}

#[test]
fn queueing_exec_and_discard() {
    run_cases(&[
        &["MULTI", "SET a 1", "GET a", "INCR a", "EXEC", "GET a"],
        // EXEC and DISCARD outside a transaction; a nested MULTI is an error that does not abort.
        &["EXEC", "DISCARD", "MULTI", "MULTI", "SET a 1", "EXEC", "GET a"],
        &["MULTI", "EXEC", "EXEC"],
        &["MULTI", "SET a 1", "DISCARD", "EXEC", "GET a"],
        &["MULTI", "SET a 1", "RESET", "EXEC", "GET a"],
        &["MULTI", "PING", "PING hi", "ECHO hello", "EXEC"],
        // Arity errors of the transaction commands themselves.
        &["MULTI x", "DISCARD x", "EXEC x", "MULTI", "EXEC x", "DISCARD x", "EXEC"],
        &["HELLO 3", "MULTI", "SET a 1", "GET a", "GET nosuch", "INCR a", "EXEC", "MULTI", "EXEC"],
        &["HELLO 3", "MULTI", "MULTI", "DISCARD", "DISCARD", "EXEC"],
    ]);
}

#[test]
fn queue_time_errors_abort_exec() {
    run_cases(&[
        // The error while queueing is the same text as outside MULTI; EXEC then discards all.
        &["NOSUCH x", "MULTI", "SET a 1", "NOSUCH x", "SET b 2", "EXEC", "MGET a b"],
        &["MULTI", "SET a", "SET a 1", "EXEC", "EXISTS a"],
        &["MULTI", "GET", "GET a b", "EXEC", "MULTI", "PING", "EXEC"],
        &["MULTI", "NOSUCH", "DISCARD", "MULTI", "SET a 1", "EXEC"],
        &["HELLO 3", "MULTI", "SET a 1", "nosuch", "EXEC", "GET a"],
        // WATCH inside MULTI is refused but, unlike an unknown command, does not abort.
        &["MULTI", "WATCH a", "SET a 1", "EXEC"],
    ]);
}

#[test]
fn run_time_errors_are_elements_of_exec() {
    run_cases(&[
        &["SET a hello", "MULTI", "INCR a", "LPUSH a x", "SET b 2", "INCRBY b x", "GET b", "EXEC", "GET a"],
        // Syntax errors that only the command's own parser sees run (and fail) at EXEC time.
        &["MULTI", "SET a 1 EX x", "SET a 2 NX XX", "SET a 3", "LRANGE a x 1", "GET a", "EXEC"],
        &["HELLO 3", "SET a hello", "MULTI", "INCR a", "SADD a x", "SET b 2", "EXEC"],
    ]);
}

#[test]
fn commands_refused_inside_multi() {
    // In 7.0 only SAVE, SHUTDOWN, SYNC and PSYNC carry the no-multi flag: they are refused while
    // queueing and abort the transaction. (shardis has no SAVE/SYNC/PSYNC, so they are not here.)
    // MONITOR is queued and fails at EXEC; WATCH and MULTI are refused without aborting.
    run_cases(&[
        &["MULTI", "SHUTDOWN", "SHUTDOWN NOSAVE", "SET a 1", "EXEC", "GET a"],
        &["MULTI", "SHUTDOWN bogus", "EXEC"],
        &["MULTI", "MONITOR", "SET a 1", "EXEC", "GET a"],
        &["HELLO 3", "MULTI", "MONITOR", "WATCH a", "MULTI", "EXEC"],
    ]);
}

#[test]
fn select_inside_multi() {
    run_cases(&[
        // Commands after SELECT run in the other database, and the connection stays there.
        &["MULTI", "SET a 0", "SELECT 1", "SET a 1", "GET a", "DBSIZE", "EXEC", "GET a", "SELECT 0", "GET a"],
        &["MULTI", "SELECT 99", "SET a 1", "SELECT x", "EXEC", "GET a", "SELECT 0", "GET a"],
        &["SET b 0", "MULTI", "SELECT 2", "SET b 2", "MOVE b 0", "SELECT 0", "GET b", "EXEC"],
    ]);
}

#[test]
fn multi_key_commands_across_shards_in_exec() {
    // a, b, c, d live on four different shards.
    run_cases(&[
        &["MULTI", "MSET a 1 b 2 c 3 d 4", "MGET a b c d nosuch", "DEL a b c", "MGET a b c d", "EXEC"],
        &["SET a 1", "MULTI", "RENAME a b", "GET b", "RENAME b c", "EXISTS a b c", "RENAME nosuch d", "EXEC"],
        &["MULTI", "SADD a 1 2 3", "SADD b 2 3 4", "SINTERSTORE c a b", "SMISMEMBER c 1 2 3 4", "SCARD c", "EXEC"],
        &["MULTI", "RPUSH a x y", "LMOVE a b LEFT RIGHT", "LMOVE a b LEFT RIGHT", "LMOVE a b LEFT RIGHT", "EXEC"],
        &["MULTI", "RPUSH a x", "LMOVE a b LEFT RIGHT", "LRANGE b 0 -1", "EXISTS a", "EXEC"],
        &["MSET a 1 b 2 c 3", "MULTI", "DEL a b c d", "DEL a", "EXEC", "DBSIZE"],
        &["MULTI", "MSETNX a 1 b 2", "MSETNX b 3 c 4", "MGET a b c", "COPY a d", "GET d", "EXEC"],
        &["MULTI", "ZADD a 1 x", "ZADD b 2 x 3 y", "ZUNIONSTORE c 2 a b", "ZRANGE c 0 -1 WITHSCORES", "EXEC"],
        &["HELLO 3", "MULTI", "MSET a 1 b 2 c 3 d 4", "MGET a b c d", "SET a x", "MGET a b", "EXEC"],
    ]);
}

#[test]
fn keyspace_wide_commands_see_the_transactions_writes() {
    run_cases(&[
        &["MULTI", "SET a 1", "SET b 2", "DBSIZE", "EXISTS a b c", "DEL a", "DBSIZE", "KEYS *", "EXEC"],
        // KEYS and SCAN answer in hash-table order, so the whole EXEC reply is shown sorted.
        &["MULTI", "MSET a 1 b 2 c 3 d 4", "KEYS *", "sorted EXEC"],
        &["MULTI", "MSET a 1 b 2 c 3 d 4", "SCAN 0 COUNT 100", "sorted EXEC"],
        &["MULTI", "SET c 1", "RANDOMKEY", "DEL c", "RANDOMKEY", "EXEC"],
        &["SET a 1", "MULTI", "SET b 1", "FLUSHDB", "DBSIZE", "SET c 1", "KEYS *", "EXEC", "DBSIZE"],
        &["SET a 1", "MULTI", "SET d 1", "FLUSHALL", "EXISTS a d", "EXEC"],
        &["SET a 0", "MULTI", "SET a 1", "SWAPDB 0 1", "GET a", "SELECT 1", "GET a", "EXEC", "GET a", "DBSIZE"],
        &["HELLO 3", "MULTI", "SET a 1", "DBSIZE", "RANDOMKEY", "KEYS a", "PING", "ECHO e", "EXEC"],
    ]);
}

#[test]
fn watch_and_unwatch_replies() {
    run_cases(&[
        &["WATCH a b", "WATCH a", "UNWATCH", "UNWATCH", "WATCH", "UNWATCH x"],
        &["HELLO 3", "WATCH a b c d", "UNWATCH"],
        // Nothing modified: the transaction runs.
        &["SET a 1", "WATCH a b c d", "GET a", "MULTI", "SET b 2", "EXEC", "GET b"],
    ]);
}

#[test]
fn watched_key_modified_by_another_client() {
    let mut cases: Vec<Vec<String>> = Vec::new();
    // (what exists first, what connection 2 does) -> does EXEC fail? Redis answers: a write that
    // changes the key (even to the same value) or deletes it, flushes or swaps its database
    // fails EXEC; a write that changes nothing (SETNX on an existing key, DEL of a missing key,
    // a flush when the key did not exist) and reads do not.
    for (setup, modify) in [
        ("SET a 1", "SET a 2"),
        ("SET a 1", "SET a 1"),
        ("SET a 1", "DEL a"),
        ("SET x 1", "DEL a"),
        ("SET a 1", "EXPIRE a 100"),
        ("SET a 1", "PERSIST a"),
        ("SET a 1", "GET a"),
        ("SET x 1", "RENAME x a"),
        ("SET a 1", "RENAME a x"),
        ("SET a 1", "FLUSHDB"),
        ("SET x 1", "FLUSHDB"),
        ("SET a 1", "FLUSHALL"),
        ("SET x 1", "FLUSHALL"),
        ("SET a 1", "SWAPDB 0 1"),
        ("SET x 1", "SWAPDB 0 1"),
        ("SET x 1", "LPUSH a v"),
        ("SET a 1", "INCR a"),
        ("SET a 1", "SETNX a 2"),
        ("SET a 1", "SET a 2 NX"),
        ("SET a 1", "APPEND a ''"),
        ("RPUSH a 1", "LREM a 0 zz"),
        ("SADD a m", "SADD a m"),
        ("SET a 1", "MOVE a 1"),
        ("SET a 1", "COPY a b"),
        ("SET b 1", "COPY b a"),
        ("SET a 1", "TOUCH a"),
        ("SET a 1", "GETEX a"),
        ("SET a 1", "GETEX a EX 100"),
        ("SET a 1", "RENAME a a"),
        ("SET a 1", "SETRANGE a 0 ''"),
        ("SET a 1", "SETRANGE a 0 x"),
        ("SET a 1", "SETRANGE a 5 ''"),
    ] {
        cases.push([setup, "WATCH a", &format!("@2 {modify}"), "MULTI", "PING", "EXEC"].map(String::from).to_vec());
    }
    let cases: Vec<Vec<&str>> = cases.iter().map(|c| c.iter().map(String::as_str).collect()).collect();
    let cases: Vec<&[&str]> = cases.iter().map(Vec::as_slice).collect();
    run_cases(&cases);
}

#[test]
fn watch_outcomes() {
    run_cases(&[
        // Pops over several keys change only the key popped from; a blocking pop that only
        // waits changes nothing.
        &["RPUSH a x", "WATCH b", "@2 LMPOP 2 a b LEFT", "MULTI", "PING", "EXEC"],
        &["ZADD a 1 x", "WATCH b", "@2 ZMPOP 2 a b MIN", "MULTI", "PING", "EXEC"],
        &["RPUSH a x", "WATCH b", "@2 BLPOP a b 0", "MULTI", "PING", "EXEC"],
        &["RPUSH a x", "WATCH a", "@2 BLPOP b a 0", "MULTI", "PING", "EXEC"],
        &["WATCH a", "@2 BLPOP a b 0.05", "MULTI", "PING", "EXEC"],
        &["WATCH b", "@2 BZPOPMIN a b 0.05", "MULTI", "PING", "EXEC"],
        // The watching connection's own write before MULTI aborts it too.
        &["SET a 1", "WATCH a", "SET a 2", "MULTI", "GET a", "EXEC", "GET a"],
        // A missing key that another client creates; RESP3's null EXEC.
        &["HELLO 3", "WATCH a", "@2 SET a 1", "MULTI", "SET a 2", "EXEC", "GET a"],
        // Keys on four shards; a change to any one of them aborts.
        &["WATCH a b c d", "@2 SET c 1", "MULTI", "PING", "EXEC"],
        &["WATCH a b c d", "@2 SET x 1", "MULTI", "PING", "EXEC"],
        // Several databases: the same name in db 1 and db 0; writes to db 2 do not count.
        &["SELECT 1", "WATCH a", "SELECT 0", "WATCH b", "@2 SELECT 2", "@2 SET a 1", "MULTI", "PING", "EXEC"],
        &["SELECT 1", "WATCH a", "SELECT 0", "WATCH b", "@2 SELECT 1", "@2 SET a 1", "MULTI", "PING", "EXEC"],
        // A key created in another database counts once SWAPDB brings it into the watched one.
        &["WATCH a", "@2 SELECT 1", "@2 SET a 1", "MULTI", "PING", "EXEC"],
        &["WATCH a", "@2 SELECT 1", "@2 SET a 1", "@2 SWAPDB 1 0", "MULTI", "PING", "EXEC"],
        // Another client's transaction modifies the key.
        &["WATCH a", "@2 MULTI", "@2 SET a 1", "@2 EXEC", "MULTI", "PING", "EXEC"],
        // A transaction that another client discards changes nothing.
        &["WATCH a", "@2 MULTI", "@2 SET a 1", "@2 DISCARD", "MULTI", "PING", "EXEC"],
        // The modification comes after MULTI but before EXEC.
        &["WATCH a", "MULTI", "PING", "@2 DEL a", "@2 SET a 1", "EXEC"],
    ]);
}

#[test]
fn watches_are_forgotten() {
    run_cases(&[
        &["WATCH a", "@2 SET a 1", "UNWATCH", "MULTI", "PING", "EXEC"],
        &["WATCH a", "@2 SET a 1", "MULTI", "DISCARD", "MULTI", "PING", "EXEC"],
        // DISCARD without MULTI is an error and keeps the watch.
        &["WATCH a", "DISCARD", "@2 SET a 1", "MULTI", "PING", "EXEC"],
        // EXEC unwatches, whether it ran, failed the watch, or was aborted by a queueing error.
        &["WATCH a", "MULTI", "PING", "EXEC", "@2 SET a 1", "MULTI", "PING", "EXEC"],
        &["WATCH a", "@2 SET a 1", "MULTI", "PING", "EXEC", "@2 SET a 2", "MULTI", "PING", "EXEC"],
        &["WATCH a", "@2 SET a 1", "MULTI", "NOSUCH", "EXEC", "MULTI", "PING", "EXEC"],
        &["WATCH a", "RESET", "@2 SET a 1", "MULTI", "PING", "EXEC"],
    ]);
}

#[test]
fn watch_and_expiry() {
    run_cases(&[
        // A key that expires after WATCH fails EXEC, whether the active expiry deleted it in the
        // 300 ms (a deletion is a change) or EXEC finds it expired first.
        &["SET a 1 PX 100", "WATCH a", "sleep 300", "MULTI", "EXISTS a", "EXEC"],
        // A key already expired when watched (deleted or not yet): its deletion is no change,
        // EXEC runs (the rule since 7.0)...
        &["SET a 1 PX 10", "sleep 50", "WATCH a", "@2 DEL a", "MULTI", "GET a", "EXEC"],
        &["SET a 1 PX 10", "sleep 50", "WATCH a", "MULTI", "GET a", "EXEC"],
        // ...but a client writing it again is a change.
        &["SET a 1 PX 10", "sleep 50", "WATCH a", "@2 SET a 2", "MULTI", "GET a", "EXEC"],
        // A watched key given an expiry in the past by another client is deleted: EXEC fails.
        &["SET a 1", "WATCH a", "@2 PEXPIREAT a 1", "MULTI", "PING", "EXEC"],
    ]);
}

#[test]
fn blocking_commands_inside_multi_do_not_block() {
    // Inside a transaction a blocking command on empty keys answers as its timeout would, at once,
    // even with timeout 0; on a non-empty key it pops as the non-blocking form does.
    run_cases(&[
        &["MULTI", "BLPOP q 0", "RPUSH q a b", "BLPOP q 0", "BRPOP q x 0", "BLPOP q 0", "EXEC"],
        &["MULTI", "BLMOVE a b LEFT RIGHT 0", "BRPOPLPUSH a b 0", "RPUSH a 1", "BRPOPLPUSH a b 0", "EXEC"],
        &["MULTI", "BLMPOP 0 2 a b LEFT", "RPUSH b 1 2", "BLMPOP 0 2 a b RIGHT COUNT 5", "EXEC"],
        &["MULTI", "BZPOPMIN a 0", "BZPOPMAX a 0", "BZMPOP 0 1 a MIN", "ZADD a 1 x 2 y", "BZPOPMAX a b 0", "EXEC"],
        &["MULTI", "BLPOP q nope", "BLPOP q -1", "BZMPOP 0 0 a MIN", "EXEC"],
        &["HELLO 3", "MULTI", "BLPOP q 0", "BLMOVE a b LEFT RIGHT 0", "BLMPOP 0 1 a LEFT", "BZPOPMIN a 0", "EXEC"],
        &["HELLO 3", "MULTI", "BZMPOP 0 1 a MIN", "ZADD a 1 x", "BZPOPMIN a b 0", "EXEC"],
    ]);
}

#[test]
fn client_list_shows_queued_commands() {
    // multi= is -1 outside a transaction and the number of queued commands inside; flags= gains x.
    run_cases(&[&[
        "CLIENT ID",
        "@2 field multi,flags CLIENT LIST ID $id1",
        "MULTI",
        "@2 field multi,flags CLIENT LIST ID $id1",
        "SET a 1",
        "GET a",
        "NOSUCH",
        "@2 field multi,flags CLIENT LIST ID $id1",
        "EXEC",
        "@2 field multi,flags CLIENT LIST ID $id1",
    ]]);
}
