//! Strings, keys and expiry, byte for byte against Redis 7.0.15. Each case is a sequence of
//! commands on a fresh connection after FLUSHALL on both servers (`''` is an empty argument); with 4 shards the keys of
//! one case (a, b, c, k1..k9, {t}x...) are spread over shards, so multi-key commands take the
//! cross-shard path.

mod common;
use common::*;

fn run_cases(cases: &[&[&str]]) {
    run_cases_then(cases, &[]);
}

#[test]
fn set_and_get_options() {
    run_cases(&[
        &["SET a 1", "GET a", "GET nosuch", "SET a 2 NX", "GET a", "SET a 3 XX", "GET a", "SET b 1 XX", "GET b"],
        &["SET a 1", "SET a 2 GET", "SET nosuch 2 GET", "SET a 3 NX GET", "SET c 4 XX GET", "GET a"],
        &["SET a b EX 0", "SET a b EX -1", "SET a b EX x", "SET a b NX XX", "SET a b EX 10 PX 100"],
        &["SET a b KEEPTTL EX 1", "SET a b EX 9223372036854775807", "SET a b PX 9223372036854775807", "SET a b EXAT 0"],
        &["SET a b EX 100", "TTL a", "SET a c KEEPTTL", "TTL a", "SET a d", "TTL a", "SET a e PXAT 1", "EXISTS a"],
        &["SET a b FOO", "SET a b EX", "SET a", "SETNX a 1", "SETNX a 2", "GET a"],
        &["SETEX a 100 v", "TTL a", "SETEX a 0 v", "SETEX a x v", "PSETEX a 100000 v", "TTL a", "PSETEX a -5 v"],
        &["GETSET a 1", "GETSET a 2", "GET a", "SET t v EX 100", "GETSET t w", "TTL t"],
        &["SET a v", "GETDEL a", "GETDEL a", "EXISTS a"],
        &["SET a v", "GETEX a EX 100", "TTL a", "GETEX a PERSIST", "TTL a", "GETEX a PX 5000", "GETEX nosuch EX 1"],
        &["SET a v", "GETEX a EX 0", "GETEX a FOO", "GETEX a PERSIST EX 1", "GETEX a EXAT 1", "EXISTS a"],
    ]);
}

#[test]
fn multi_key_strings() {
    run_cases(&[
        &["MSET a 1 b 2 c 3 k1 x k2 y k3 z", "MGET a b c k1 k2 k3 nosuch", "MGET a", "MSET a", "MSET a 1 b"],
        &["MSET a 1 a 2 a 3", "GET a", "MSETNX a 1 b 2", "MSETNX n1 1 n2 2 n3 3", "MGET n1 n2 n3", "MSETNX n3 x n4 y"],
        &["MGET n4", "MSETNX a", "MSET {t}a 1 {t}b 2", "MGET {t}a {t}b {t}c"],
    ]);
}

#[test]
fn counters() {
    run_cases(&[
        &["INCR a", "INCR a", "DECR a", "INCRBY a 10", "DECRBY a 3", "GET a", "INCRBY a x", "INCRBY a 1.5"],
        &[
            "SET n 9223372036854775807",
            "INCR n",
            "SET m -9223372036854775808",
            "DECR m",
            "DECRBY m -9223372036854775808",
        ],
        &["SET s hello", "INCR s", "SET s 012", "INCR s", "SET s 1x", "INCR s", "SET s 10 EX 100", "INCR s", "TTL s"],
        &["INCRBYFLOAT f 1.5", "INCRBYFLOAT f 0.1", "SET f 3000", "INCRBYFLOAT f 1.1", "INCRBYFLOAT f x"],
        &[
            "SET f 10.5",
            "INCRBYFLOAT f 0.1",
            "INCRBYFLOAT f -10.6",
            "INCRBYFLOAT f inf",
            "INCRBYFLOAT f 1e5000",
            "GET f",
        ],
        &["SET f 1", "INCRBYFLOAT f 5.0e3", "INCRBYFLOAT f 2.0e2", "OBJECT ENCODING f", "SET h abc", "INCRBYFLOAT h 1"],
    ]);
}

#[test]
fn ranges_and_appends() {
    run_cases(&[
        &["APPEND a hello", "APPEND a _world", "GET a", "STRLEN a", "STRLEN nosuch", "OBJECT ENCODING a"],
        &["SET a Hello_World", "GETRANGE a 0 4", "GETRANGE a -5 -1", "GETRANGE a 5 2", "GETRANGE a -1 -5"],
        &[
            "SET a abc",
            "GETRANGE a 0 100",
            "GETRANGE a -100 1",
            "GETRANGE nosuch 0 -1",
            "GETRANGE a x 1",
            "SUBSTR a 1 1",
        ],
        &["SETRANGE a 5 xyz", "GET a", "SETRANGE a 0 AB", "GET a", "SETRANGE a -1 x", "SETRANGE b 0 ''", "EXISTS b"],
        &["SET a hi", "SETRANGE a 1 ''", "SETRANGE a 536870912 x", "SETRANGE a 2 yo", "GET a", "OBJECT ENCODING a"],
        &[
            "SET n 123",
            "APPEND n 4",
            "GET n",
            "OBJECT ENCODING n",
            "SET e 12345678901234567890123",
            "OBJECT ENCODING e",
        ],
    ]);
}

#[test]
fn lcs() {
    run_cases(&[
        &["MSET {l}a ohmytext {l}b mynewtext", "LCS {l}a {l}b", "LCS {l}a {l}b LEN", "LCS {l}a {l}b IDX"],
        &["MSET {l}a ohmytext {l}b mynewtext", "LCS {l}a {l}b IDX MINMATCHLEN 4 WITHMATCHLEN", "LCS {l}a {l}b LEN IDX"],
        &["MSET a ohmytext b mynewtext", "LCS a b", "LCS a b IDX WITHMATCHLEN", "LCS a nosuch", "LCS a b FOO"],
    ]);
}

#[test]
fn key_commands() {
    run_cases(&[
        &["MSET a 1 b 2 c 3", "DEL a b nosuch", "EXISTS a b c c", "DEL c c", "EXISTS c", "UNLINK a", "TOUCH a b"],
        &["SET a 1", "TYPE a", "TYPE nosuch", "RENAME a b", "GET b", "RENAME nosuch x", "RENAME b b", "GET b"],
        &["SET a 1 EX 100", "RENAME a k7", "TTL k7", "RENAMENX k7 k7", "SET k8 v", "RENAMENX k7 k8", "RENAMENX k7 k9"],
        &["SET a 1", "COPY a b", "GET b", "COPY a b", "COPY a b REPLACE", "COPY a a", "COPY a b DB 99", "COPY a b FOO"],
        &["SET a 1", "COPY a b DB 2", "SELECT 2", "GET b", "COPY nosuch x", "SELECT 0", "COPY a b DB x"],
        &["SET a 1", "MOVE a 1", "EXISTS a", "SELECT 1", "GET a", "MOVE a 1", "MOVE a 99", "MOVE a x", "MOVE nosuch 0"],
        &["MSET a 1 b 2 c 3", "DBSIZE", "FLUSHDB", "DBSIZE", "FLUSHDB FOO", "FLUSHALL ASYNC", "FLUSHALL SYNC"],
        &["SET a 1", "SWAPDB 0 1", "EXISTS a", "SELECT 1", "GET a", "SWAPDB 0 x", "SWAPDB x 0", "SWAPDB 0 99"],
        &[
            "SET a 1",
            "OBJECT ENCODING a",
            "OBJECT REFCOUNT a",
            "OBJECT ENCODING nosuch",
            "OBJECT FREQ a",
            "OBJECT FREQ nosuch",
            "CONFIG SET maxmemory-policy allkeys-lfu",
            "OBJECT IDLETIME nosuch",
            "OBJECT IDLETIME a",
            "CONFIG SET maxmemory-policy noeviction",
            "OBJECT HELP",
        ],
        &["SET a 99999", "OBJECT REFCOUNT a", "SET b xyz", "OBJECT REFCOUNT b", "MEMORY USAGE nosuch", "RANDOMKEY x"],
        &[
            "RANDOMKEY",
            "SET a 1",
            "RANDOMKEY",
            "SCAN x",
            "SCAN 0 COUNT 0",
            "SCAN 0 MATCH",
            "SCAN 0 FOO 1",
            "SCAN 0 TYPE foo",
        ],
        &["SET a hello", "DUMP a", "DUMP nosuch", "RESTORE b 0 x", "RESTORE a 0 x", "RESTORE b -1 x", "RESTORE b x x"],
        &[
            "CONFIG SET rdbcompression no",
            "SET a xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
            "DUMP a",
            "CONFIG GET rdbcompression",
        ],
        &[
            "CONFIG SET rdbcompression yes",
            "SET a xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
            "DUMP a",
            "CONFIG GET rdbcompression",
        ],
        &["SET a 12345", "DUMP a", "SET b 4294967296", "DUMP b", "SET c -1", "DUMP c", "SET d ''", "DUMP d"],
        &["SET a aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "DUMP a", "RESTORE b 0 x FOO"],
        &["RESTORE b 0 x IDLETIME -1", "RESTORE b 0 x FREQ 256", "RESTORE b 0 x ABSTTL REPLACE"],
        &["MSET a 1 b 2 c 3", "KEYS nomatch*", "KEYS [a]", "KEYS b", "KEYS \\a"],
    ]);
}

#[test]
fn expiry() {
    run_cases(&[
        &["SET a 1", "EXPIRE a 100", "TTL a", "PERSIST a", "TTL a", "PERSIST a", "TTL nosuch", "PTTL nosuch"],
        &["SET a 1", "EXPIRE a x", "EXPIRE a 10 FOO", "EXPIRE a 10 NX XX", "EXPIRE a 10 GT LT", "EXPIRE nosuch 10"],
        &[
            "SET a 1",
            "EXPIRE a 100 XX",
            "EXPIRE a 100 NX",
            "EXPIRE a 200 NX",
            "EXPIRE a 50 GT",
            "EXPIRE a 500 GT",
            "TTL a",
        ],
        &["SET a 1", "EXPIRE a 100 GT", "EXPIRE a 100 LT", "TTL a", "EXPIRE a 1000 LT", "EXPIRE a 10 LT", "TTL a"],
        &["SET a 1", "EXPIRE a 9223372036854775807", "PEXPIRE a 9223372036854775807", "EXPIRE a -9223372036854775808"],
        &[
            "SET a 1",
            "EXPIRE a -1",
            "EXISTS a",
            "SET b 1",
            "PEXPIREAT b 1",
            "EXISTS b",
            "SET c 1",
            "EXPIREAT c 100",
            "GET c",
        ],
        &[
            "SET a 1",
            "EXPIREAT a 4102444800",
            "EXPIRETIME a",
            "PEXPIRETIME a",
            "TTL a",
            "EXPIRETIME nosuch",
            "SET b 1",
            "EXPIRETIME b",
        ],
        &["SET a 1", "PEXPIREAT a -9223372036854775808", "EXISTS a"],
    ]);
}

/// Database indexes are C `int`s in Redis: an integer beyond one is its own error, except for
/// SWAPDB, whose two messages cover any bad index.
#[test]
fn database_indexes_out_of_int_range() {
    run_cases(&[
        &["SELECT 2147483648", "SELECT -1", "SELECT 16", "SELECT abc", "SELECT -2147483649", "SELECT 0"],
        &["SET a 1", "COPY a b DB 99999999999", "COPY a b DB -1", "COPY a b DB 16", "COPY a b DB x"],
        &["SWAPDB 2147483648 0", "SWAPDB 0 2147483648", "SWAPDB -1 0", "SWAPDB 0 -1", "SWAPDB x 0", "SWAPDB 0 x"],
        &["SWAPDB 16 0", "SWAPDB 99999999999999999999 0"],
        &["SET k 1", "MOVE k 2147483648", "MOVE k -1", "MOVE k 16", "MOVE k x", "MOVE k 99999999999999999999"],
    ]);
}

/// A stored string with a NUL inside (`1\0002` after SETRANGE) is no float, though C's strtold
/// stops at the NUL and would read 1.
#[test]
fn float_parsers_see_the_whole_stored_value() {
    run_cases(&[
        &["SET foo 1", "SETRANGE foo 2 2", "INCRBYFLOAT foo 1", "INCRBY foo 1", "GET foo"],
        &["SET foo 1.5", "SETRANGE foo 4 5", "INCRBYFLOAT foo 1", "GET foo"],
    ]);
}

/// MEMORY USAGE's options as Redis parses them (the byte counts themselves differ, so only
/// errors and missing keys are compared).
#[test]
fn memory_usage_options() {
    run_cases(&[
        &["SET k v", "MEMORY USAGE k SAMPLES -1", "MEMORY USAGE k SAMPLES x", "MEMORY USAGE k SAMPLES"],
        &["SET k v", "MEMORY USAGE k FOO 1", "MEMORY USAGE k SAMPLES 1 SAMPLES -2", "MEMORY USAGE k SAMPLES 1 FOO"],
        &["MEMORY USAGE nokey SAMPLES -5", "MEMORY USAGE nokey SAMPLES 1 SAMPLES 2", "MEMORY USAGE nokey samples 0"],
    ]);
}
