//! Streams, byte for byte against Redis 7.0.15: every command, option and error text, in RESP2
//! and RESP3, with the keys of a case spread over the shards (`a`, `b`, `c`, `d` live on shards
//! 3, 0, 1 and 2 of 4; `s` and `t` on 3 and 1). Cases run on fresh connections after FLUSHALL
//! on both servers (see `common::transcript` for the line syntax: `@2 &CMD` sends a command that
//! blocks, `blocked N` waits until the server counts N blocked clients, `@2 <` reads the reply
//! the blocked client got).
//!
//! What differs between the servers is kept out of the transcripts: IDs made by `*` are never
//! recorded (a case adds with `*` and then reads only what does not show them, XLEN or a
//! COUNT), nor idle times and delivery times (the `noidle ` modifier shows them as `:?`), nor
//! MEMORY USAGE. `automatic_ids` and `memory_usage` check those by shape instead.
//!
//! Trimming with `~` removes whole listpack nodes only, so it depends on the node sizes:
//! cases set `stream-node-max-entries` small and the reset after each case sets both limits
//! back to the defaults. XINFO STREAM's `radix-tree-keys` is the number of nodes, and
//! `radix-tree-nodes` the nodes of Redis's radix tree over the nodes' first IDs (16 big-endian
//! bytes each).

mod common;
use common::*;

fn run_cases(cases: &[&[&str]]) {
    run_cases_then(cases, &["CONFIG SET stream-node-max-entries 100", "CONFIG SET stream-node-max-bytes 4096"]);
}

#[test]
fn keys_live_on_different_shards() {
    let shard = |k: &str| shardis::shard::route::key_shard(k.as_bytes(), SHARDS);
    assert_eq!(["a", "b", "c", "d"].map(shard), [3, 0, 1, 2]);
    assert_eq!(["s", "t"].map(shard), [0, 3]);
}

#[test]
fn xadd_explicit_ids() {
    run_cases(&[
        &["XADD s 1-1 f v", "XADD s 1-2 a 1 b 2", "XADD s 2 f v", "XADD s 10-0 f v", "XRANGE s - +", "XLEN s"],
        // The ID must be above the last one; 0-0 is refused before that is even looked at.
        &["XADD s 5-5 f v", "XADD s 5-5 f v", "XADD s 5-4 f v", "XADD s 5 f v", "XADD s 4-9 f v", "XADD s 0-0 f v"],
        &["XADD s 0 f v", "XADD s 0-0 f v", "EXISTS s", "XADD s 0-1 f v", "XADD s 0 f v", "XRANGE s - +"],
        // `ms-*`: the next sequence number of that millisecond, or 0 for a later one.
        &["XADD s 5-* f v", "XADD s 5-* f v", "XADD s 6-* f v", "XADD s 5-* f v", "XADD s 4-* f v", "XLEN s"],
        &["XADD s 0-* f v", "XADD s 0-* f v", "XADD s 3-7 f v", "XADD s 3-* f v", "XRANGE s - +"],
        // Numbers as strtoull reads them: a leading +, leading zeros, a negative sequence that
        // wraps around 2^64 (the ms part cannot start with '-': it is split at the first '-').
        &["XADD s +5-+3 f v", "XADD s 6--18446744073709551615 f v", "XADD s 0007-0012 f v", "XRANGE s - +"],
        &["XADD s 9223372036854775808-1 f v", "XADD s 18446744073709551615-0 f v", "XRANGE s - +"],
        // The last possible ID: nothing can follow it, not even with NOMKSTREAM or `*`.
        &[
            "XADD s 18446744073709551615-18446744073709551614 f v",
            "XADD s 18446744073709551615-* f v",
            "XADD s 18446744073709551615-* f v",
            "XADD s * f v",
            "XADD s NOMKSTREAM 5 f v",
            "XADD s MAXLEN 0 5 f v",
            "XLEN s",
        ],
        // Field and value bytes as given: empty, integers (listpack stores them as numbers),
        // option words after the ID are fields.
        &[
            "XADD s 1 '' ''",
            "XADD s 2 n 123 m -5 big 9223372036854775808 z 0 neg -9223372036854775808 lead 007",
            "XADD s 3 MAXLEN 5 NOMKSTREAM x",
            "XADD s 4 f v f w",
            "XRANGE s - +",
        ],
        // Same fields as the first entry of the node (Redis stores them as "same fields"),
        // then other fields, then the first ones again.
        &["XADD s 1 a 1 b 2", "XADD s 2 a 3 b 4", "XADD s 3 b 1 a 2", "XADD s 4 a 5 b 6", "XADD s 5 a 7", "XRANGE s - +"],
        // A long value, and many fields.
        &[
            "XADD s 1 f xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
            "XADD s 2 a 1 b 2 c 3 d 4 e 5 f 6 g 7 h 8 i 9 j 10 k 11 l 12 m 13 n 14 o 15 p 16",
            "XRANGE s - +",
        ],
        &["XADD s nomkstream 1 f v", "EXISTS s", "XADD s 1 f v", "XADD s NOMKSTREAM 2 f v", "XADD s NoMkStream 3 f v"],
        &["XADD s 2 f v", "XRANGE s - +", "XADD t NOMKSTREAM MAXLEN 0 1 f v", "EXISTS t"],
        // NOMKSTREAM adds to a stream that exists but is empty.
        &["XADD s 1 f v", "XDEL s 1", "XADD s NOMKSTREAM 2 f v", "XRANGE s - +"],
        &["HELLO 3", "XADD s 1 f v", "XADD s NOMKSTREAM 2 f v", "XADD t NOMKSTREAM 1 f v", "XADD s 1 f v"],
    ]);
}

#[test]
fn xadd_errors() {
    run_cases(&[
        &["XADD s x f v", "XADD s -1 f v", "XADD s 1-x f v", "XADD s 1- f v", "XADD s -1-1 f v", "EXISTS s"],
        &["XADD s 1-1-1 f v", "XADD s '' f v", "XADD s 18446744073709551616 f v", "XADD s 1-18446744073709551616 f v"],
        &["XADD s *-1 f v", "XADD s ** f v", "XADD s 1-** f v", "XADD s 1-*1 f v", "XADD s *-* f v", "XADD s 1.5 f v"],
        &["XADD s $ f v", "XADD s - f v", "XADD s + f v", "XADD s > f v", "XADD s 0x10 f v", "XADD s (1 f v"],
        &["XADD s 1--1 f v", "XADD s \t5 f v", "XADD s 5\t f v", "EXISTS s"],
        // An odd number of field/value words, or none.
        &["XADD s", "XADD s 1", "XADD s 1 f", "XADD s 1 f v g", "XADD s * f", "XADD s NOMKSTREAM 1 f", "EXISTS s"],
        &["XADD s NOMKSTREAM", "XADD s MAXLEN", "XADD s MAXLEN 1", "XADD s MAXLEN 1 1", "XADD s MAXLEN 1 1 f"],
        // Trimming options.
        &["XADD s MAXLEN 1 MINID 1 1 f v", "XADD s MAXLEN 1 MAXLEN 2 1 f v", "XADD s MINID 1 MINID 2 1 f v"],
        &["XADD s MAXLEN -1 1 f v", "XADD s MAXLEN x 1 f v", "XADD s MAXLEN 9223372036854775808 1 f v"],
        &["XADD s MAXLEN ~ 1 LIMIT -1 1 f v", "XADD s MAXLEN = 1 LIMIT 1 1 f v", "XADD s MAXLEN 1 LIMIT 1 1 f v"],
        &["XADD s LIMIT 1 1 f v", "XADD s MINID x 1 f v", "XADD s MINID 1-x 1 f v", "XADD s MINID - 1 f v"],
        &["XADD s MINID + 1 f v", "XADD s MINID (1 1 f v", "XADD s ~ 1 f v", "XADD s MAXLEN ~ x 1 f v"],
        &["XADD s MAXLEN ~ 1 LIMIT x 1 f v", "XADD s MINID ~ 1 LIMIT 9223372036854775808 1 f v", "EXISTS s"],
        // The options are checked before the ID and the stream.
        &["SET s x", "XADD s 1 f v", "XADD s MAXLEN x 1 f v", "XADD s x f v", "XADD s NOMKSTREAM 1 f v"],
        &["XADD s 5 f v", "XADD s MAXLEN -1 1 f v", "XADD s MAXLEN 1 LIMIT 1 1 f v", "XADD s 4 f v", "XLEN s"],
        &["HELLO 3", "XADD s 1 f v", "XADD s 1 f v", "XADD s x f v", "XADD s 1 f", "XADD s MAXLEN -1 2 f v"],
    ]);
}

#[test]
fn xadd_trims() {
    run_cases(&[
        // `=` (the default) trims exactly, down to an empty stream that still exists.
        &["XADD s 1 f v", "XADD s 2 f v", "XADD s MAXLEN 2 3 f v", "XRANGE s - +", "XADD s MAXLEN = 1 4 f v"],
        &["XADD s 1 f v", "XADD s 2 f v", "XADD s MAXLEN 0 3 f v", "XLEN s", "EXISTS s", "XRANGE s - +"],
        &["XADD s 1 f v", "XADD s 2 f v", "XADD s 3 f v", "XADD s MINID 3 4 f v", "XRANGE s - +"],
        &["XADD s 1 f v", "XADD s 2 f v", "XADD s MINID = 9 3 f v", "XLEN s", "XADD s MINID 1 4 f v", "XLEN s"],
        &["XADD s 1-1 f v", "XADD s 1-5 f v", "XADD s 2 f v", "XADD s minid 1-5 3 f v", "XRANGE s - +"],
        // `~` removes whole nodes only: MAXLEN ~ 1 keeps the one node of 4 entries (removing it
        // would leave fewer than 1), MINID ~ 9 removes the node, all of whose entries are below 9.
        &["XADD s 1 f v", "XADD s 2 f v", "XADD s 3 f v", "XADD s MAXLEN ~ 1 4 f v", "XLEN s"],
        &["XADD s 1 f v", "XADD s 2 f v", "XADD s MINID ~ 9 3 f v", "XLEN s"],
        // With 3 entries a node, `~` removes whole nodes while as many as asked remain.
        &[
            "CONFIG SET stream-node-max-entries 3",
            "XADD s 1 f v",
            "XADD s 2 f v",
            "XADD s 3 f v",
            "XADD s 4 f v",
            "XADD s 5 f v",
            "XADD s 6 f v",
            "XADD s 7 f v",
            "XADD s MAXLEN ~ 2 8 f v",
            "XRANGE s - +",
            "XADD s MAXLEN ~ 0 9 f v",
            "XRANGE s - +",
        ],
        &[
            "CONFIG SET stream-node-max-entries 3",
            "XADD s 1 f v",
            "XADD s 2 f v",
            "XADD s 3 f v",
            "XADD s 4 f v",
            "XADD s 5 f v",
            "XADD s MINID ~ 5 6 f v",
            "XRANGE s - +",
            "XADD s MINID ~ 7 7 f v",
            "XRANGE s - +",
        ],
        // LIMIT caps how many entries `~` may remove (whole nodes still); 0 means no cap.
        &[
            "CONFIG SET stream-node-max-entries 2",
            "XADD s 1 f v",
            "XADD s 2 f v",
            "XADD s 3 f v",
            "XADD s 4 f v",
            "XADD s 5 f v",
            "XADD s 6 f v",
            "XADD s MAXLEN ~ 0 LIMIT 1 7 f v",
            "XLEN s",
            "XADD s MAXLEN ~ 0 LIMIT 3 8 f v",
            "XLEN s",
            "XADD s MAXLEN ~ 0 LIMIT 0 9 f v",
            "XRANGE s - +",
        ],
        &[
            "CONFIG SET stream-node-max-entries 1",
            "XADD s 1 f v",
            "XADD s 2 f v",
            "XADD s 3 f v",
            "XADD s 4 f v",
            "XADD s 5 f v",
            "XADD s MINID ~ 5 6 f v",
            "XRANGE s - +",
            "XADD s MAXLEN ~ 1 LIMIT 1 7 f v",
            "XRANGE s - +",
        ],
        // Nodes also close on stream-node-max-bytes.
        &[
            "CONFIG SET stream-node-max-bytes 60",
            "XADD s 1 f 0123456789012345678901234567890123456789",
            "XADD s 2 f 0123456789012345678901234567890123456789",
            "XADD s 3 f 0123456789012345678901234567890123456789",
            "XADD s 4 f v",
            "XADD s MAXLEN ~ 1 5 f v",
            "XRANGE s - +",
        ],
        // Entries deleted inside a node count for nothing: the node goes when the live
        // entries past it are enough.
        &[
            "CONFIG SET stream-node-max-entries 3",
            "XADD s 1 f v",
            "XADD s 2 f v",
            "XADD s 3 f v",
            "XADD s 4 f v",
            "XADD s 5 f v",
            "XDEL s 4",
            "XADD s MAXLEN ~ 2 6 f v",
            "XRANGE s - +",
            "XADD s MAXLEN 1 7 f v",
            "XRANGE s - +",
        ],
        // Trimming happens after the add: MAXLEN 0 leaves the stream empty, MINID above the
        // new ID removes the new entry too.
        &["XADD s MAXLEN 0 1 f v", "XLEN s", "XADD s MINID 5 2 f v", "XLEN s", "XADD s 3 f v", "XLEN s"],
        &["XADD s 1 f v", "XADD s NOMKSTREAM MAXLEN 1 2 f v", "XADD t NOMKSTREAM MAXLEN 1 2 f v", "XRANGE s - +"],
    ]);
}

#[test]
fn xtrim() {
    run_cases(&[
        &["XADD s 1 f v", "XADD s 2 f v", "XADD s 3 f v", "XTRIM s MAXLEN 2", "XTRIM s MAXLEN 2", "XRANGE s - +"],
        &["XADD s 1 f v", "XADD s 2 f v", "XADD s 3 f v", "XTRIM s MINID 3", "XTRIM s MINID = 3", "XRANGE s - +"],
        &["XADD s 1 f v", "XADD s 2 f v", "XTRIM s MAXLEN 0", "EXISTS s", "XLEN s", "XTRIM s MAXLEN 0"],
        &["XADD s 1 f v", "XADD s 2 f v", "XTRIM s MINID 1-1", "XTRIM s MINID 0", "XTRIM s maxlen = 5", "XLEN s"],
        &["XTRIM no MAXLEN 1", "XTRIM no MINID ~ 1 LIMIT 5", "EXISTS no"],
        // `~` removes whole nodes: MAXLEN ~ 0 the one node, MAXLEN ~ 2 nothing.
        &["XADD s 1 f v", "XADD s 2 f v", "XADD s 3 f v", "XTRIM s MAXLEN ~ 2", "XTRIM s MAXLEN ~ 0", "XLEN s"],
        &["XADD s 1 f v", "XADD s 2 f v", "XADD s 3 f v", "XTRIM s MINID ~ 3", "XTRIM s MINID ~ 9", "XLEN s"],
        &[
            "CONFIG SET stream-node-max-entries 2",
            "XADD s 1 f v",
            "XADD s 2 f v",
            "XADD s 3 f v",
            "XADD s 4 f v",
            "XADD s 5 f v",
            "XTRIM s MAXLEN ~ 2",
            "XTRIM s MAXLEN ~ 2",
            "XRANGE s - +",
            "XTRIM s MINID ~ 5",
            "XRANGE s - +",
            "XTRIM s MINID ~ 6",
            "XLEN s",
        ],
        &[
            "CONFIG SET stream-node-max-entries 2",
            "XADD s 1 f v",
            "XADD s 2 f v",
            "XADD s 3 f v",
            "XADD s 4 f v",
            "XADD s 5 f v",
            "XADD s 6 f v",
            "XTRIM s MAXLEN ~ 0 LIMIT 1",
            "XTRIM s MAXLEN ~ 0 LIMIT 2",
            "XTRIM s MINID ~ 9 LIMIT 3",
            "XTRIM s MINID ~ 9 LIMIT 0",
            "XLEN s",
        ],
        // A LIMIT given twice: the last one counts.
        &[
            "CONFIG SET stream-node-max-entries 2",
            "XADD s 1 f v",
            "XADD s 2 f v",
            "XADD s 3 f v",
            "XADD s 4 f v",
            "XTRIM s MAXLEN ~ 0 LIMIT 0 LIMIT 2",
            "XRANGE s - +",
        ],
        // Errors.
        &["XTRIM s", "XTRIM s MAXLEN", "XTRIM s x", "XTRIM s MAXLEN 1 x", "XTRIM s LIMIT 1", "XTRIM s MAXLEN x"],
        &["XTRIM s MAXLEN 1 LIMIT 1", "XTRIM s MAXLEN = 1 LIMIT 1", "XTRIM s NOMKSTREAM MAXLEN 1", "XTRIM s MINID x"],
        &["XTRIM s MINID = 3 MAXLEN 1", "XTRIM s MAXLEN ~", "XTRIM s MAXLEN ~ ~ 1", "XTRIM s MAXLEN = ~ 1"],
        &["XTRIM s MINID 5 LIMIT", "XTRIM s MAXLEN -1", "XTRIM s MAXLEN ~ 1 LIMIT -1", "XTRIM s MINID -"],
        &["XADD s 1 f v", "XTRIM s MAXLEN 1 1", "XTRIM s MAXLEN 1 LIMIT 5", "XTRIM s MINID +", "XLEN s"],
        &["SET s x", "XTRIM s MAXLEN 1", "XTRIM s MAXLEN x", "XTRIM s MINID ~ 1 LIMIT 5"],
    ]);
}

#[test]
fn approximate_trimming_removes_at_most_100_nodes_worth_without_limit() {
    // Without LIMIT, `~` removes at most 100 * stream-node-max-entries entries at a time.
    let mut case: Vec<String> = vec!["CONFIG SET stream-node-max-entries 1".into()];
    case.extend((1..=150).map(|i| format!("XADD s {i} f v")));
    case.extend(["XTRIM s MAXLEN ~ 0", "XLEN s", "XADD s MAXLEN ~ 0 151 f v", "XLEN s"].map(String::from));
    let mut two: Vec<String> = vec!["CONFIG SET stream-node-max-entries 2".into()];
    two.extend((1..=250).map(|i| format!("XADD s {i} f v")));
    two.extend(["XTRIM s MINID ~ 300", "XLEN s", "XTRIM s MINID ~ 300 LIMIT 0", "XLEN s"].map(String::from));
    let cases: Vec<Vec<&str>> = [&case, &two].iter().map(|c| c.iter().map(String::as_str).collect()).collect();
    let cases: Vec<&[&str]> = cases.iter().map(Vec::as_slice).collect();
    run_cases(&cases);
}

#[test]
fn xrange_and_xrevrange() {
    run_cases(&[
        &["XADD s 1 a 1", "XADD s 2-5 b 2", "XADD s 3 c 3", "XRANGE s - +", "XREVRANGE s + -", "XRANGE s + -"],
        // Incomplete IDs: a start `5` means 5-0, an end `5` means 5-18446744073709551615. So an
        // exclusive end `(3` still takes 3-0, and an exclusive start `(1` skips only 1-0.
        &["XADD s 1-1 f v", "XADD s 2-0 f v", "XADD s 2-7 f v", "XADD s 3-0 f v", "XRANGE s 2 2", "XREVRANGE s 2 2"],
        &["XADD s 1-1 f v", "XADD s 2-7 f v", "XRANGE s 1-2 2-7", "XRANGE s 0 1", "XRANGE s 1-1 1-1", "XRANGE s 2-8 +"],
        // Exclusive ranges.
        &["XADD s 1 f v", "XADD s 2 f v", "XADD s 3 f v", "XRANGE s (1 +", "XRANGE s - (3", "XRANGE s (1 (3"],
        &["XADD s 1 f v", "XADD s 2 f v", "XREVRANGE s (2 -", "XREVRANGE s + (1", "XRANGE s (1 (2", "XRANGE s (0 +"],
        &["XADD s 1-5 f v", "XADD s 1-6 f v", "XRANGE s (1-5 +", "XRANGE s (1 +", "XRANGE s - (1-6", "XRANGE s - (2"],
        // An exclusive bound past the last or before the first ID has no neighbour.
        &[
            "XADD s 1 f v",
            "XRANGE s (18446744073709551615-18446744073709551615 +",
            "XRANGE s - (0-0",
            "XREVRANGE s (0 -",
            "XREVRANGE s + (18446744073709551615-18446744073709551615",
            "XRANGE s (18446744073709551615 +",
            "XRANGE s (18446744073709551614-18446744073709551615 +",
        ],
        // COUNT: 0 and negative counts answer a null array (but an empty one on a missing key).
        &["XADD s 1 f v", "XADD s 2 f v", "XADD s 3 f v", "XRANGE s - + COUNT 2", "XREVRANGE s + - COUNT 2"],
        &[
            "XADD s 1 f v",
            "XRANGE s - + COUNT 0",
            "XRANGE s - + COUNT -1",
            "XREVRANGE s + - COUNT 0",
            "XRANGE no - + COUNT 0",
        ],
        &[
            "XADD s 1 f v",
            "XADD s 2 f v",
            "XRANGE s - + COUNT 1 COUNT 5",
            "XRANGE s - + count 1",
            "XRANGE s 5 + COUNT 0",
        ],
        &["XADD s 1 f v", "XRANGE s - + COUNT 9223372036854775807", "XRANGE s 2 1", "XREVRANGE s 1 2", "XRANGE no - +"],
        // Errors.
        &["XADD s 1 f v", "XRANGE s (- +", "XRANGE s - (+", "XRANGE s ( +", "XRANGE s x +", "XRANGE s - x"],
        &["XADD s 1 f v", "XRANGE s - + COUNT", "XRANGE s - + LIMIT 1", "XRANGE s - + COUNT x", "XRANGE s -"],
        &["XADD s 1 f v", "XRANGE s 1-x +", "XRANGE s 18446744073709551616 +", "XRANGE s * +", "XRANGE s 1-* +"],
        &["XRANGE no (- +", "XRANGE no - + COUNT x", "XRANGE no - + FOO", "XREVRANGE no + - COUNT", "XRANGE s $ +"],
        &["XADD s 1 f v", "XREVRANGE s (+ -", "XREVRANGE s + (-", "XREVRANGE s + - COUNT -5", "XREVRANGE s"],
        &["SET s x", "XRANGE s - +", "XREVRANGE s + -", "XRANGE s x +", "XRANGE s - + COUNT x"],
        // Many entries over several nodes, both directions, with and without COUNT.
        &[
            "CONFIG SET stream-node-max-entries 2",
            "XADD s 1 f 1",
            "XADD s 2 f 2",
            "XADD s 3 f 3",
            "XADD s 4 f 4",
            "XADD s 5 f 5",
            "XADD s 6 f 6",
            "XADD s 7 f 7",
            "XDEL s 3 4",
            "XRANGE s 2 6",
            "XREVRANGE s 6 2 COUNT 3",
            "XRANGE s (2 (7 COUNT 2",
        ],
    ]);
}

#[test]
fn xlen_and_xdel() {
    run_cases(&[
        &["XLEN s", "XADD s 1 f v", "XADD s 2 f v", "XLEN s", "XDEL s 1", "XLEN s", "XDEL s 2", "XLEN s", "EXISTS s"],
        // XDEL counts only what it deleted; an ID given twice counts once.
        &["XADD s 1 f v", "XADD s 2 f v", "XADD s 3 f v", "XDEL s 1 1 5 3", "XRANGE s - +", "XDEL s 1", "XDEL no 1"],
        &["XADD s 1-1 f v", "XDEL s 1", "XDEL s 1-1", "XLEN s"],
        &["XADD s 1 f v", "XDEL s x", "XDEL s 1 x", "XLEN s", "XDEL s", "XDEL s -", "XDEL s +", "XDEL s 1-*"],
        &["XDEL no x", "XDEL no 1", "SET k v", "XDEL k 1", "XLEN k", "XLEN", "XLEN s t"],
        // Deleting the first and last entries: XRANGE and the next XADD go on from the last ID.
        &["XADD s 1 f v", "XADD s 2 f v", "XADD s 3 f v", "XDEL s 1 3", "XRANGE s - +", "XADD s 3 f v", "XADD s 4 f v"],
        // A whole node deleted, in the middle.
        &[
            "CONFIG SET stream-node-max-entries 2",
            "XADD s 1 f v",
            "XADD s 2 f v",
            "XADD s 3 f v",
            "XADD s 4 f v",
            "XADD s 5 f v",
            "XDEL s 3 4",
            "XRANGE s - +",
            "XREVRANGE s + -",
            "XLEN s",
        ],
    ]);
}

#[test]
fn xsetid() {
    run_cases(&[
        &["XSETID s 5", "XADD s 3 f v", "XSETID s 2", "XSETID s 3", "XSETID s 10", "XADD s 9 f v", "XADD s 10-* f v"],
        // ENTRIESADDED may not go below the length; MAXDELETEDID not above the new last ID.
        &[
            "XADD s 3 f v",
            "XADD s 4 f v",
            "XSETID s 10",
            "XSETID s 20 ENTRIESADDED 1",
            "XSETID s 20 ENTRIESADDED 2",
            "XSETID s 20 ENTRIESADDED 5 MAXDELETEDID 30",
            "XSETID s 20 ENTRIESADDED 5 MAXDELETEDID 15",
            "XINFO STREAM s",
            "XSETID s 20 ENTRIESADDED 0",
            "XSETID s 20 MAXDELETEDID 25",
            "XSETID s 20 MAXDELETEDID 1",
            "XSETID s 20 ENTRIESADDED 7 ENTRIESADDED 8",
            "XINFO STREAM s",
        ],
        // The new ID is checked against the last entry, not the last ID: it may go back down.
        &[
            "XADD s 3 f v",
            "XSETID s 20",
            "XSETID s 19",
            "XSETID s 3-1",
            "XSETID s 2-9",
            "XADD s 3-2 f v",
            "XINFO STREAM s",
        ],
        // An empty stream takes any ID, even 0-0 and one below its max deleted ID.
        &[
            "XADD s 3 f v",
            "XADD s 4 f v",
            "XDEL s 3 4",
            "XSETID s 0",
            "XSETID s 0-1",
            "XSETID s 0 ENTRIESADDED 10",
            "XINFO STREAM s",
        ],
        &["XADD s 3 f v", "XTRIM s MAXLEN 0", "XSETID s 1", "XINFO STREAM s", "XADD s 1 f v", "XADD s 2 f v"],
        &["XADD s 1 f v", "XSETID s 9223372036854775808 ENTRIESADDED 9223372036854775807", "XINFO STREAM s"],
        &["XADD s 1 f v", "XSETID s 5 ENTRIESADDED 1 MAXDELETEDID 5", "XSETID s 5 MAXDELETEDID 0", "XINFO STREAM s"],
        // Errors.
        &["XADD s 4 f v", "XSETID s 20 ENTRIESADDED -1", "XSETID s 20 ENTRIESADDED x", "XSETID s 20 MAXDELETEDID x"],
        &["XADD s 4 f v", "XSETID s 20 FOO 1", "XSETID s 20 ENTRIESADDED", "XSETID s x", "XSETID s 0", "XSETID s"],
        &["XADD s 4 f v", "XSETID s 20 MAXDELETEDID", "XSETID s -", "XSETID s +", "XSETID s $", "XSETID s 5-*"],
        &["XADD s 4 f v", "XSETID s 3 ENTRIESADDED 0", "XSETID s 3 MAXDELETEDID 9", "XSETID s 3 ENTRIESADDED -1"],
        &["XSETID no 1 ENTRIESADDED 1 MAXDELETEDID 0", "XSETID no x", "SET k v", "XSETID k 1", "XSETID k x"],
        // The order of the checks: arguments, MAXDELETEDID against the ID (even on a missing
        // key or one of another type), the key, the last entry, ENTRIESADDED against the length.
        &["XSETID no 1 MAXDELETEDID 5", "XSETID no 1 ENTRIESADDED -1", "SET k v", "XSETID k 1 MAXDELETEDID 5"],
        &["XADD s 4 f v", "XSETID s 5 ENTRIESADDED 0 MAXDELETEDID 9", "XSETID s 3 ENTRIESADDED 0"],
        &["HELLO 3", "XADD s 4 f v", "XSETID s 5", "XSETID s 3", "XSETID no 5"],
    ]);
}

#[test]
fn xread() {
    // a, b, c and d live on four shards; the reply follows the order of the arguments and
    // leaves out the streams with nothing after the given ID.
    run_cases(&[
        &["XADD a 1 f v", "XADD b 2 f v", "XADD c 3 f v", "XREAD STREAMS a b c 0 0 0", "XREAD STREAMS c b a 0 0 0"],
        &["XADD a 1 f v", "XADD a 2 f v", "XADD c 3 f v", "XREAD STREAMS a b c 1 0 0", "XREAD STREAMS a d c 2 0 3"],
        &[
            "XADD a 1 f v",
            "XADD d 1 f v",
            "XREAD STREAMS d a 0-0 0-0",
            "XREAD STREAMS a a 0 1",
            "XREAD STREAMS a d 1 1",
        ],
        // COUNT limits each stream; 0 and negative counts mean no limit.
        &["XADD a 1 f v", "XADD a 2 f v", "XADD b 3 f v", "XREAD COUNT 1 STREAMS a b 0 0", "XREAD COUNT 0 STREAMS a 0"],
        &[
            "XADD a 1 f v",
            "XADD a 2 f v",
            "XREAD COUNT -1 STREAMS a 0",
            "XREAD count 1 STREAMS a 1-0",
            "XREAD COUNT 1 COUNT 5 STREAMS a 0",
        ],
        // The ID is the last one seen: an incomplete `1` is 1-0, so 1-5 comes.
        &[
            "XADD a 1-0 f v",
            "XADD a 1-5 f v",
            "XADD a 2 f v",
            "XREAD STREAMS a 1",
            "XREAD STREAMS a 1-5",
            "XREAD STREAMS a 2",
        ],
        // `$` without BLOCK: nothing. Missing and empty streams: nothing.
        &["XADD a 1 f v", "XREAD STREAMS a $", "XREAD STREAMS no 0", "XADD b MAXLEN 0 1 f v", "XREAD STREAMS b no 0 0"],
        // Deleted entries are skipped; an ID past the last entry reads nothing.
        &["XADD a 1 f v", "XADD a 2 f v", "XADD a 3 f v", "XDEL a 2", "XREAD STREAMS a 0", "XREAD STREAMS a 9"],
        // STREAMS takes the rest: the words after it are split into keys and IDs.
        &["XADD a 1 f v", "XREAD STREAMS STREAMS 0", "XREAD STREAMS a 0 BLOCK 0", "XREAD STREAMS a b c 0 0 0"],
        // Errors.
        &["XADD a 1 f v", "XREAD STREAMS a b 0", "XREAD STREAMS a", "XREAD a 0", "XREAD STREAMS a 0-* ''"],
        &["XREAD COUNT x STREAMS a 0", "XREAD BLOCK -1 STREAMS a 0", "XREAD BLOCK x STREAMS a 0", "XREAD STREAMS a >"],
        &["XREAD STREAMS a +", "XREAD STREAMS a -", "XREAD STREAMS a x", "XREAD STREAMS a (0", "XREAD STREAMS a 1-*"],
        &[
            "XREAD NOACK STREAMS a 0",
            "XREAD GROUP g c STREAMS a 0",
            "XREAD FOO STREAMS a 0",
            "XREAD COUNT 1",
            "XREAD STREAMS",
        ],
        &["XREAD COUNT", "XREAD COUNT 1 STREAMS", "XREAD BLOCK", "XREAD STREAMS a 18446744073709551616"],
        // Keys and IDs are checked in argument order: a key of another type, or an ID that does
        // not parse (even for a missing key), stops at once.
        &["XADD a 1 f v", "SET b x", "XREAD STREAMS a b 0 0", "XREAD STREAMS no b 0 x", "XREAD STREAMS no b x 0"],
        &["SET b x", "XREAD STREAMS b a 0 x", "XREAD STREAMS a b x 0", "XREAD COUNT 1 STREAMS b 0"],
        &[
            "HELLO 3",
            "XADD a 1 f v",
            "XADD c 2 f v",
            "XREAD STREAMS a b c 0 0 0",
            "XREAD STREAMS a 1",
            "XREAD STREAMS a b 0",
        ],
    ]);
}

#[test]
fn xread_block() {
    run_cases(&[
        // A client blocked on streams of four shards is served by the first one written to.
        &[
            "@2 &XREAD BLOCK 0 STREAMS a b c d $ $ $ $",
            "blocked 1",
            "XADD c 5 f v",
            "@2 <",
            "XADD a 1 f v",
            "@2 <none 50",
        ],
        &["XADD a 1 f v", "@2 &XREAD BLOCK 0 STREAMS a d 1 0", "blocked 1", "XADD d 1 f v", "@2 <"],
        // `$` is the last ID when the client blocked: the entry added next is served, not the one
        // before it.
        &["XADD a 1 f v", "@2 &XREAD BLOCK 0 STREAMS a $", "blocked 1", "XADD a 2 f v", "XADD a 3 f v", "@2 <"],
        // `$` of a missing stream is 0-0.
        &["@2 &XREAD BLOCK 0 STREAMS a $", "blocked 1", "XADD a 0-1 f v", "@2 <"],
        // An ID at or after the last entry blocks; an explicit ID above the new entry keeps waiting.
        &[
            "XADD a 1 f v",
            "@2 &XREAD BLOCK 0 STREAMS a 5",
            "blocked 1",
            "XADD a 3 f v",
            "@2 <none 100",
            "XADD a 6 f v",
            "@2 <",
        ],
        // A stream with entries after the ID answers at once.
        &["XADD a 1 f v", "XREAD BLOCK 0 STREAMS a 0", "XREAD COUNT 1 BLOCK 10 STREAMS b a $ 0"],
        // Timeouts: a null array (RESP2), a null (RESP3).
        &[
            "XREAD BLOCK 50 STREAMS a $",
            "XADD a 1 f v",
            "XREAD BLOCK 50 STREAMS a b $ 0",
            "@2 &XREAD BLOCK 300 STREAMS a $",
            "@2 <none 100",
            "@2 <",
        ],
        &[
            "HELLO 3",
            "XREAD BLOCK 50 STREAMS a $",
            "@2 HELLO 3",
            "@2 &XREAD BLOCK 0 STREAMS a b $ $",
            "blocked 1",
            "XADD b 1 f v",
            "@2 <",
        ],
        // COUNT applies to the entries served; a transaction adds three entries then wakes the
        // client once, with the key written first.
        &[
            "@2 &XREAD COUNT 2 BLOCK 0 STREAMS a b $ $",
            "blocked 1",
            "MULTI",
            "XADD b 1 f v",
            "XADD b 2 f v",
            "XADD b 3 f v",
            "XADD a 8 f v",
            "EXEC",
            "@2 <",
        ],
        &["@2 &XREAD BLOCK 0 STREAMS a c $ $", "blocked 1", "MULTI", "XADD c 1 f v", "XADD a 1 f v", "EXEC", "@2 <"],
        &["@2 &XREAD BLOCK 0 STREAMS a c $ $", "blocked 1", "MULTI", "XADD a 1 f v", "XADD c 1 f v", "EXEC", "@2 <"],
        // Every client blocked on the stream gets the entry: XREAD takes nothing away.
        &[
            "@2 &XREAD BLOCK 0 STREAMS a $",
            "@3 &XREAD BLOCK 0 STREAMS b a $ $",
            "blocked 2",
            "XADD a 1 f v",
            "@2 <",
            "@3 <",
        ],
        // An entry trimmed away by its own XADD still wakes the client, with no entries.
        &["XADD a 1 f v", "@2 &XREAD BLOCK 0 STREAMS a $", "blocked 1", "XADD a MAXLEN 0 5 f v", "@2 <"],
        // A plain XREAD stays blocked when the key goes or changes type; a stream created again
        // serves it only past the ID it waits for.
        &[
            "XADD a 1 f v",
            "@2 &XREAD BLOCK 0 STREAMS a $",
            "blocked 1",
            "DEL a",
            "@2 <none 100",
            "XADD a 0-5 f v",
            "@2 <none 100",
            "SET a x",
            "@2 <none 100",
            "DEL a",
            "XADD a 7 f v",
            "@2 <",
        ],
        // An entry added and deleted in one transaction serves nobody.
        &[
            "@2 &XREAD BLOCK 0 STREAMS a $",
            "blocked 1",
            "MULTI",
            "XADD a 1 f v",
            "DEL a",
            "EXEC",
            "@2 <none 100",
            "XADD a 2 f v",
            "@2 <",
        ],
        // Waiting is per database.
        &[
            "@2 SELECT 1",
            "@2 &XREAD BLOCK 0 STREAMS a $",
            "blocked 1",
            "XADD a 1 f v",
            "@2 <none 100",
            "SELECT 1",
            "XADD a 5 f v",
            "@2 <",
        ],
        // A stream arriving by RENAME from another shard, or by COPY, serves the client.
        &["XADD s 1 f v", "@2 &XREAD BLOCK 0 STREAMS t 0", "blocked 1", "RENAME s t", "@2 <", "EXISTS s"],
        &["XADD s 1 f v", "@2 &XREAD BLOCK 0 STREAMS t 0", "blocked 1", "COPY s t", "@2 <", "XLEN s"],
        // Inside MULTI, BLOCK does not block: the answer is what is there, or a null.
        &["XADD a 1 f v", "MULTI", "XREAD BLOCK 0 STREAMS a $", "XREAD BLOCK 0 STREAMS a 0", "EXEC"],
        // A client that goes away while blocked leaves nothing behind.
        &["@2 &XREAD BLOCK 0 STREAMS a $", "blocked 1", "@2 close", "blocked 0", "XADD a 1 f v", "XLEN a"],
        // CLIENT UNBLOCK answers a null (a timeout) or, with ERROR, an -UNBLOCKED error.
        &[
            "@2 CLIENT ID",
            "@2 &XREAD BLOCK 0 STREAMS a $",
            "blocked 1",
            "CLIENT UNBLOCK $id2",
            "@2 <",
            "@2 &XREAD BLOCK 0 STREAMS a $",
            "blocked 1",
            "CLIENT UNBLOCK $id2 ERROR",
            "@2 <",
        ],
    ]);
}

#[test]
fn xgroup() {
    run_cases(&[
        &["XGROUP CREATE s g $", "XGROUP CREATE s g $ MKSTREAM", "XGROUP CREATE s g $ MKSTREAM", "TYPE s", "XLEN s"],
        &["XADD s 1 f v", "XGROUP CREATE s g 0", "XGROUP CREATE s g2 $", "XGROUP CREATE s g3 5", "XINFO GROUPS s"],
        // ENTRIESREAD: a number of entries read, -1 for unknown.
        &[
            "XADD s 1 f v",
            "XADD s 2 f v",
            "XGROUP CREATE s g 0 ENTRIESREAD 5",
            "XGROUP CREATE s g2 0 ENTRIESREAD -1",
            "XGROUP CREATE s g3 1 ENTRIESREAD 1",
            "XGROUP CREATE s g4 0 ENTRIESREAD -2",
            "XGROUP CREATE s g5 0 ENTRIESREAD x",
            "XGROUP CREATE s g6 0 MKSTREAM ENTRIESREAD 0",
            "XINFO GROUPS s",
        ],
        &["XGROUP CREATE s g 0 MKSTREAM MKSTREAM", "XGROUP create s G 0", "XGROUP CREATE s '' 0", "XINFO GROUPS s"],
        // A missing key is the first error, unless MKSTREAM is given.
        &["XGROUP CREATE s g 0", "XGROUP CREATE s g x", "XGROUP CREATE s g x MKSTREAM", "XGROUP CREATE s g 0 FOO"],
        &["XADD s 1 f v", "XGROUP CREATE s g x", "XGROUP CREATE s g -", "XGROUP CREATE s g +", "XGROUP CREATE s g >"],
        &["XADD s 1 f v", "XGROUP CREATE s g 1-*", "XGROUP CREATE s g (1", "XGROUP CREATE s g ''", "XINFO GROUPS s"],
        &[
            "XGROUP CREATE s",
            "XGROUP",
            "XGROUP FOO",
            "XGROUP FOO s g",
            "XGROUP CREATE s g 0 FOO",
            "XGROUP CREATE s g 0 ENTRIESREAD",
        ],
        &[
            "XGROUP CREATE no g 0 ENTRIESREAD 5",
            "XGROUP CREATE no g x MKSTREAM",
            "EXISTS no",
            "XGROUP CREATE s g 1-* MKSTREAM",
        ],
        &["SET k v", "XGROUP CREATE k g $", "XGROUP CREATE k g $ MKSTREAM", "XGROUP SETID k g 0", "XGROUP DESTROY k g"],
        // SETID moves the group's last delivered ID, anywhere; ENTRIESREAD sets its counter.
        &[
            "XADD s 1 f v",
            "XADD s 2 f v",
            "XGROUP CREATE s g 0",
            "XGROUP SETID s g 1",
            "XINFO GROUPS s",
            "XGROUP SETID s g $",
            "XINFO GROUPS s",
            "XGROUP SETID s g 0 ENTRIESREAD 1",
            "XINFO GROUPS s",
            "XGROUP SETID s g 9 ENTRIESREAD 9",
            "XINFO GROUPS s",
            "XREADGROUP GROUP g c STREAMS s >",
        ],
        &[
            "XADD s 1 f v",
            "XGROUP CREATE s g 0",
            "XGROUP SETID s nog 0",
            "XGROUP SETID s g x",
            "XGROUP SETID s g 0 FOO",
        ],
        &["XADD s 1 f v", "XGROUP CREATE s g 0", "XGROUP SETID s g 0 ENTRIESREAD", "XGROUP SETID s g 0 ENTRIESREAD -2"],
        &["XADD s 1 f v", "XGROUP CREATE s g 0", "XGROUP SETID s g 0 ENTRIESREAD 1 ENTRIESREAD 2", "XGROUP SETID s g"],
        &["XGROUP SETID no g 0", "XGROUP SETID no g x", "XGROUP SETID s g 0 ENTRIESREAD x"],
        // DESTROY answers how many groups went; the pending entries go with the group.
        &[
            "XADD s 1 f v",
            "XGROUP CREATE s g 0",
            "XREADGROUP GROUP g c STREAMS s >",
            "XGROUP DESTROY s g",
            "XGROUP DESTROY s g",
            "XINFO GROUPS s",
            "XPENDING s g",
            "XLEN s",
        ],
        &[
            "XGROUP DESTROY no g",
            "XGROUP DESTROY s",
            "XGROUP DESTROY s g x",
            "XGROUP CREATE s g $ MKSTREAM",
            "XGROUP DESTROY S g",
        ],
        // CREATECONSUMER answers 1 for a new consumer, 0 for one that exists.
        &[
            "XGROUP CREATE s g $ MKSTREAM",
            "XGROUP CREATECONSUMER s g c",
            "XGROUP CREATECONSUMER s g c",
            "XGROUP CREATECONSUMER s g ''",
            "XGROUP CREATECONSUMER s nog c",
            "XGROUP CREATECONSUMER no g c",
            "XGROUP CREATECONSUMER s g",
            "XGROUP CREATECONSUMER s g c x",
            "XINFO GROUPS s",
        ],
        // DELCONSUMER answers how many pending entries the consumer had; they go with it.
        &[
            "XADD s 1 f v",
            "XADD s 2 f v",
            "XGROUP CREATE s g 0",
            "XREADGROUP GROUP g c1 COUNT 1 STREAMS s >",
            "XREADGROUP GROUP g c2 STREAMS s >",
            "XGROUP DELCONSUMER s g c2",
            "XGROUP DELCONSUMER s g c2",
            "XPENDING s g",
            "XGROUP DELCONSUMER s g nobody",
            "XGROUP DELCONSUMER s nog c1",
            "XGROUP DELCONSUMER no g c1",
            "XGROUP DELCONSUMER s g",
            "XINFO GROUPS s",
        ],
        &[
            "HELLO 3",
            "XGROUP CREATE s g $ MKSTREAM",
            "XGROUP CREATECONSUMER s g c",
            "XGROUP DELCONSUMER s g c",
            "XGROUP DESTROY s g",
        ],
    ]);
}

#[test]
fn xreadgroup() {
    run_cases(&[
        // `>` hands out entries nobody in the group got yet; each consumer gets its own.
        &[
            "XADD s 1 f v",
            "XADD s 2 f v",
            "XGROUP CREATE s g 0",
            "XREADGROUP GROUP g c1 COUNT 1 STREAMS s >",
            "XREADGROUP GROUP g c2 STREAMS s >",
            "XREADGROUP GROUP g c1 STREAMS s >",
            "XPENDING s g",
            "XINFO GROUPS s",
        ],
        // An explicit ID reads the consumer's own history (its pending entries after the ID),
        // and counts one more delivery of each.
        &[
            "XADD s 1 f v",
            "XADD s 2 f v",
            "XADD s 3 f v",
            "XGROUP CREATE s g 0",
            "XREADGROUP GROUP g c STREAMS s >",
            "XREADGROUP GROUP g c STREAMS s 0",
            "XREADGROUP GROUP g c COUNT 1 STREAMS s 1",
            "XREADGROUP GROUP g c STREAMS s 3",
            "XACK s g 2",
            "XREADGROUP GROUP g c STREAMS s 0-0",
            "XREADGROUP GROUP g other STREAMS s 0",
            "noidle XPENDING s g - + 10",
        ],
        // A pending entry deleted from the stream shows in the history with a null body.
        &[
            "XADD s 1 f v",
            "XADD s 2 f v",
            "XGROUP CREATE s g 0",
            "XREADGROUP GROUP g c STREAMS s >",
            "XDEL s 1",
            "XREADGROUP GROUP g c STREAMS s 0",
            "XTRIM s MAXLEN 0",
            "XREADGROUP GROUP g c STREAMS s 0",
            "XPENDING s g",
        ],
        // NOACK: the entries are delivered but not pending.
        &[
            "XADD s 1 f v",
            "XADD s 2 f v",
            "XGROUP CREATE s g 0",
            "XREADGROUP GROUP g c NOACK COUNT 1 STREAMS s >",
            "XPENDING s g",
            "XREADGROUP GROUP g c STREAMS s 0",
            "XREADGROUP GROUP g c noack STREAMS s >",
            "XINFO GROUPS s",
        ],
        // Streams on three shards; `>` and history in one call.
        &[
            "XADD a 1 f v",
            "XADD b 2 f v",
            "XADD c 3 f v",
            "XGROUP CREATE a g 0",
            "XGROUP CREATE b g 0",
            "XGROUP CREATE c g 0",
            "XREADGROUP GROUP g x STREAMS a b c > > >",
            "XREADGROUP GROUP g x STREAMS c a b 0 0 0",
            "XADD b 4 f v",
            "XREADGROUP GROUP g x STREAMS a b c > > 0",
            "XREADGROUP GROUP g x STREAMS a b c > > >",
        ],
        // Every stream needs the group; a missing one fails the whole call before anything
        // is read.
        &[
            "XADD a 1 f v",
            "XADD d 1 f v",
            "XGROUP CREATE a g 0",
            "XREADGROUP GROUP g c STREAMS a d > >",
            "XPENDING a g",
            "XINFO CONSUMERS a g",
            "XREADGROUP GROUP g c STREAMS a no > >",
        ],
        // A consumer is created by a history read, even an empty one, but not by a `>` that
        // finds nothing new; COUNT 0 means no limit.
        &[
            "XGROUP CREATE s g $ MKSTREAM",
            "XREADGROUP GROUP g c STREAMS s >",
            "XREADGROUP GROUP g c2 STREAMS s 0",
            "noidle XINFO CONSUMERS s g",
            "XADD s 1 f v",
            "XADD s 2 f v",
            "XREADGROUP GROUP g c COUNT 0 STREAMS s >",
        ],
        // Entries deleted after the group's last ID are skipped; SETID past the end reads nothing
        // until newer entries come.
        &[
            "XADD s 1 f v",
            "XADD s 2 f v",
            "XADD s 3 f v",
            "XGROUP CREATE s g 0",
            "XDEL s 2",
            "XREADGROUP GROUP g c STREAMS s >",
            "XGROUP SETID s g 10",
            "XADD s 5 f v",
            "XREADGROUP GROUP g c STREAMS s >",
            "XADD s 11 f v",
            "XREADGROUP GROUP g c STREAMS s >",
        ],
        // Errors, checked key by key in argument order.
        &[
            "XADD a 1 f v",
            "XGROUP CREATE a g 0",
            "SET b x",
            "XREADGROUP GROUP g c STREAMS no b > >",
            "XREADGROUP GROUP g c STREAMS b no > >",
            "XREADGROUP GROUP g c STREAMS a no x >",
            "XREADGROUP GROUP g c STREAMS a no > x",
            "XREADGROUP GROUP x c STREAMS a >",
            "XREADGROUP GROUP x c STREAMS a 0",
        ],
        &[
            "XADD a 1 f v",
            "XGROUP CREATE a g 0",
            "XREADGROUP GROUP g c STREAMS a $",
            "XREADGROUP GROUP g c STREAMS a -",
            "XREADGROUP GROUP g c STREAMS a +",
            "XREADGROUP GROUP g c STREAMS a > >",
            "XREADGROUP GROUP g c BLOCK 10 STREAMS a",
        ],
        &[
            "XREADGROUP STREAMS a >",
            "XREADGROUP GROUP g STREAMS a >",
            "XREADGROUP GROUP g STREAMS a > >",
            "XREADGROUP GROUP g c g2 STREAMS a >",
            "XREADGROUP GROUP g c FOO STREAMS a >",
            "XREADGROUP GROUP g c COUNT x STREAMS a >",
            "XREADGROUP GROUP g c BLOCK -1 STREAMS a >",
            "XREADGROUP GROUP g c STREAMS no >",
            "XREADGROUP GROUP g c",
        ],
        &[
            "HELLO 3",
            "XADD a 1 f v",
            "XGROUP CREATE a g 0",
            "XREADGROUP GROUP g c STREAMS a >",
            "XREADGROUP GROUP g c STREAMS a >",
        ],
    ]);
}

#[test]
fn xreadgroup_block() {
    run_cases(&[
        &[
            "XGROUP CREATE s g $ MKSTREAM",
            "@2 &XREADGROUP GROUP g c BLOCK 0 STREAMS s >",
            "blocked 1",
            "XADD s 1 f v",
            "@2 <",
            "XPENDING s g",
        ],
        // Streams on two shards; the one written to serves.
        &[
            "XGROUP CREATE a g $ MKSTREAM",
            "XGROUP CREATE b g $ MKSTREAM",
            "@2 &XREADGROUP GROUP g c BLOCK 0 STREAMS a b > >",
            "blocked 1",
            "XADD b 1 f v",
            "@2 <",
            "XPENDING b g",
            "XPENDING a g",
        ],
        // The stream deleted, overwritten, renamed away, flushed: -UNBLOCKED. The group
        // destroyed: -NOGROUP.
        &["XGROUP CREATE s g $ MKSTREAM", "@2 &XREADGROUP GROUP g c BLOCK 0 STREAMS s >", "blocked 1", "DEL s", "@2 <"],
        &[
            "XGROUP CREATE s g $ MKSTREAM",
            "@2 &XREADGROUP GROUP g c BLOCK 0 STREAMS s >",
            "blocked 1",
            "SET s x",
            "@2 <",
        ],
        &[
            "XGROUP CREATE s g $ MKSTREAM",
            "@2 &XREADGROUP GROUP g c BLOCK 0 STREAMS s >",
            "blocked 1",
            "RENAME s t",
            "@2 <",
        ],
        &[
            "XGROUP CREATE s g $ MKSTREAM",
            "@2 &XREADGROUP GROUP g c BLOCK 0 STREAMS s >",
            "blocked 1",
            "FLUSHALL",
            "@2 <",
        ],
        &[
            "XGROUP CREATE s g $ MKSTREAM",
            "@2 &XREADGROUP GROUP g c BLOCK 0 STREAMS s >",
            "blocked 1",
            "SWAPDB 0 1",
            "@2 <",
        ],
        &[
            "XGROUP CREATE s g $ MKSTREAM",
            "@2 &XREADGROUP GROUP g c BLOCK 0 STREAMS s >",
            "blocked 1",
            "XGROUP DESTROY s g",
            "@2 <",
            "XLEN s",
        ],
        // One of two keys deleted: the client is unblocked all the same.
        &[
            "XGROUP CREATE a g $ MKSTREAM",
            "XGROUP CREATE b g $ MKSTREAM",
            "@2 &XREADGROUP GROUP g c BLOCK 0 STREAMS a b > >",
            "blocked 1",
            "DEL b",
            "@2 <",
        ],
        // Consumers of one group blocked on one stream: each entry goes to one of them, in the
        // order they blocked.
        &[
            "XGROUP CREATE s g $ MKSTREAM",
            "@2 &XREADGROUP GROUP g c1 BLOCK 0 STREAMS s >",
            "blocked 1",
            "@3 &XREADGROUP GROUP g c2 BLOCK 0 STREAMS s >",
            "blocked 2",
            "XADD s 1 f v",
            "@2 <",
            "@3 <none 100",
            "XADD s 2 f v",
            "@3 <",
            "XPENDING s g",
        ],
        // Two entries in one transaction: the first consumer takes both (no COUNT)...
        &[
            "XGROUP CREATE s g $ MKSTREAM",
            "@2 &XREADGROUP GROUP g c1 BLOCK 0 STREAMS s >",
            "blocked 1",
            "@3 &XREADGROUP GROUP g c2 BLOCK 0 STREAMS s >",
            "blocked 2",
            "MULTI",
            "XADD s 1 f v",
            "XADD s 2 f v",
            "EXEC",
            "@2 <",
            "@3 <none 100",
            "XADD s 3 f v",
            "@3 <",
        ],
        // ...or, with COUNT 1 each, one each.
        &[
            "XGROUP CREATE s g $ MKSTREAM",
            "@2 &XREADGROUP GROUP g c1 COUNT 1 BLOCK 0 STREAMS s >",
            "blocked 1",
            "@3 &XREADGROUP GROUP g c2 COUNT 1 BLOCK 0 STREAMS s >",
            "blocked 2",
            "MULTI",
            "XADD s 1 f v",
            "XADD s 2 f v",
            "EXEC",
            "@2 <",
            "@3 <",
            "XPENDING s g",
        ],
        // XREAD clients get the entry as well as the first consumer of the group.
        &[
            "XGROUP CREATE b g $ MKSTREAM",
            "@2 &XREAD BLOCK 0 STREAMS b $",
            "@3 &XREADGROUP GROUP g c BLOCK 0 STREAMS b >",
            "blocked 2",
            "@4 &XREADGROUP GROUP g c2 BLOCK 0 STREAMS b >",
            "blocked 3",
            "XADD b 1 f v",
            "@2 <",
            "@3 <",
            "@4 <none 100",
            "MULTI",
            "XADD b 2 f v",
            "DEL b",
            "EXEC",
            "@4 <",
        ],
        // Different groups each get the entry.
        &[
            "XGROUP CREATE s g1 $ MKSTREAM",
            "XGROUP CREATE s g2 $",
            "@2 &XREADGROUP GROUP g1 c BLOCK 0 STREAMS s >",
            "@3 &XREADGROUP GROUP g2 c BLOCK 0 STREAMS s >",
            "blocked 2",
            "XADD s 1 f v",
            "@2 <",
            "@3 <",
            "XINFO GROUPS s",
        ],
        // NOACK when woken: nothing pending.
        &[
            "XGROUP CREATE s g $ MKSTREAM",
            "@2 &XREADGROUP GROUP g c NOACK BLOCK 0 STREAMS s >",
            "blocked 1",
            "XADD s 1 f v",
            "@2 <",
            "XPENDING s g",
        ],
        // A history read never blocks.
        &[
            "XGROUP CREATE s g $ MKSTREAM",
            "XREADGROUP GROUP g c BLOCK 0 STREAMS s 0",
            "XREADGROUP GROUP g c BLOCK 0 STREAMS s 5",
        ],
        // Timeouts.
        &[
            "XGROUP CREATE s g $ MKSTREAM",
            "XREADGROUP GROUP g c BLOCK 50 STREAMS s >",
            "HELLO 3",
            "XREADGROUP GROUP g c BLOCK 50 STREAMS s >",
        ],
        // Inside MULTI it answers as a timeout would.
        &[
            "XGROUP CREATE s g $ MKSTREAM",
            "MULTI",
            "XREADGROUP GROUP g c BLOCK 0 STREAMS s >",
            "XADD s 1 f v",
            "XREADGROUP GROUP g c BLOCK 0 STREAMS s >",
            "EXEC",
        ],
        // SETID while blocked: an entry not after the group's new last ID does not serve.
        &[
            "XGROUP CREATE s g $ MKSTREAM",
            "@2 &XREADGROUP GROUP g c BLOCK 0 STREAMS s >",
            "blocked 1",
            "XGROUP SETID s g 5",
            "XADD s 3 f v",
            "@2 <none 100",
            "XADD s 6 f v",
            "@2 <",
        ],
        // The entry trimmed away by its own XADD: woken with no entries, nothing pending.
        &[
            "XGROUP CREATE s g $ MKSTREAM",
            "@2 &XREADGROUP GROUP g c BLOCK 0 STREAMS s >",
            "blocked 1",
            "XADD s MAXLEN 0 5 f v",
            "@2 <",
            "XINFO GROUPS s",
            "XPENDING s g",
        ],
        // The consumer deleted while its client waits is created again when served.
        &[
            "XGROUP CREATE s g $ MKSTREAM",
            "@2 &XREADGROUP GROUP g c BLOCK 0 STREAMS s >",
            "blocked 1",
            "XGROUP DELCONSUMER s g c",
            "@2 <none 100",
            "XADD s 6 f v",
            "@2 <",
            "XPENDING s g",
        ],
        // CLIENT UNBLOCK.
        &[
            "XGROUP CREATE s g $ MKSTREAM",
            "@2 CLIENT ID",
            "@2 &XREADGROUP GROUP g c BLOCK 0 STREAMS s >",
            "blocked 1",
            "CLIENT UNBLOCK $id2",
            "@2 <",
            "@2 &XREADGROUP GROUP g c BLOCK 0 STREAMS s >",
            "blocked 1",
            "CLIENT UNBLOCK $id2 ERROR",
            "@2 <",
        ],
        &[
            "HELLO 3",
            "@2 HELLO 3",
            "XGROUP CREATE a g $ MKSTREAM",
            "@2 &XREADGROUP GROUP g c BLOCK 0 STREAMS a >",
            "blocked 1",
            "XADD a 1 f v",
            "@2 <",
            "@2 &XREADGROUP GROUP g c BLOCK 0 STREAMS a >",
            "blocked 1",
            "DEL a",
            "@2 <",
        ],
    ]);
}

#[test]
fn xack_and_xpending() {
    run_cases(&[
        // XACK counts the IDs it removed from the group's pending entries; all IDs are checked
        // before any is acknowledged.
        &[
            "XADD s 1 f v",
            "XADD s 2 f v",
            "XADD s 3 f v",
            "XGROUP CREATE s g 0",
            "XREADGROUP GROUP g c STREAMS s >",
            "XACK s g 1 2 2 9",
            "XACK s g 1",
            "XACK s g 3 x",
            "XPENDING s g",
            "XACK s g 3-0",
            "XPENDING s g",
        ],
        &["XADD s 1 f v", "XGROUP CREATE s g 0", "XACK s nog 1", "XACK no g 1", "XACK s g x", "XACK s g", "XACK s g -"],
        &["SET k v", "XACK k g 1", "XACK k g x", "XPENDING k g", "XPENDING k g - + 1"],
        // A pending entry deleted from the stream can still be acknowledged.
        &[
            "XADD s 1 f v",
            "XGROUP CREATE s g 0",
            "XREADGROUP GROUP g c STREAMS s >",
            "XDEL s 1",
            "XPENDING s g",
            "XACK s g 1",
            "XPENDING s g",
        ],
        // The summary: count, lowest and highest ID, and each consumer with its count (as a
        // bulk string), by name.
        &[
            "XADD s 1 f v",
            "XADD s 2 f v",
            "XADD s 3 f v",
            "XADD s 4 f v",
            "XGROUP CREATE s g 0",
            "XGROUP CREATECONSUMER s g idle-one",
            "XREADGROUP GROUP g zed COUNT 1 STREAMS s >",
            "XREADGROUP GROUP g bob COUNT 2 STREAMS s >",
            "XREADGROUP GROUP g amy STREAMS s >",
            "XPENDING s g",
            "XACK s g 1 4",
            "XPENDING s g",
        ],
        // Extended form: ranges (exclusive too), COUNT, a consumer, IDLE as a filter.
        &[
            "XADD s 1 f v",
            "XADD s 2 f v",
            "XADD s 3 f v",
            "XADD s 4 f v",
            "XGROUP CREATE s g 0",
            "XREADGROUP GROUP g amy COUNT 2 STREAMS s >",
            "XREADGROUP GROUP g bob STREAMS s >",
            "noidle XPENDING s g - + 10",
            "noidle XPENDING s g - + 2",
            "noidle XPENDING s g 2 3 10",
            "noidle XPENDING s g (1 (4 10",
            "noidle XPENDING s g - + 10 bob",
            "noidle XPENDING s g 3 + 1 bob",
            "XPENDING s g - + 10 nobody",
            "XPENDING s g + - 10",
            "XPENDING s g - + 0",
            "XPENDING s g - + -1",
        ],
        // IDLE N keeps the entries idle for at least N ms: an entry claimed with a delivery TIME
        // long ago or a long IDLE is, the others are not.
        &[
            "XADD s 1 f v",
            "XADD s 2 f v",
            "XADD s 3 f v",
            "XGROUP CREATE s g 0",
            "XREADGROUP GROUP g amy STREAMS s >",
            "XCLAIM s g amy 0 2 TIME 1000 JUSTID",
            "XCLAIM s g bob 0 3 IDLE 100000000 JUSTID",
            "noidle XPENDING s g IDLE 50000000 - + 10",
            "noidle XPENDING s g IDLE 50000000 - + 10 amy",
            "noidle XPENDING s g IDLE 0 - + 10",
            "noidle XPENDING s g idle -5 - + 10 amy",
            "XPENDING s g IDLE 9223372036854775807 - + 10",
        ],
        // The entries read with NOACK are not pending.
        &[
            "XADD s 1 f v",
            "XGROUP CREATE s g 0",
            "XREADGROUP GROUP g c NOACK STREAMS s >",
            "XPENDING s g",
            "XPENDING s g - + 9",
        ],
        // Errors.
        &["XADD s 1 f v", "XGROUP CREATE s g 0", "XPENDING s nog", "XPENDING no g", "XPENDING s", "XPENDING s g -"],
        &["XADD s 1 f v", "XGROUP CREATE s g 0", "XPENDING s g - +", "XPENDING s g - + x", "XPENDING s g x + 1"],
        &[
            "XADD s 1 f v",
            "XGROUP CREATE s g 0",
            "XPENDING s g IDLE x - + 1",
            "XPENDING s g IDLE - + 1",
            "XPENDING s g IDLE 5",
        ],
        &[
            "XADD s 1 f v",
            "XGROUP CREATE s g 0",
            "XPENDING s g IDLE 5 - +",
            "XPENDING s g (18446744073709551615-18446744073709551615 + 1",
            "XPENDING s g - (0-0 1",
            "XPENDING s g - + 9223372036854775808",
            "XPENDING no g - + 10",
            "XPENDING s nog - + 10",
            "XPENDING s g FOO 5 - + 1",
        ],
        // Words after the consumer are not looked at.
        &[
            "XADD s 1 f v",
            "XGROUP CREATE s g 0",
            "XREADGROUP GROUP g c STREAMS s >",
            "noidle XPENDING s g - + 1 c extra",
        ],
    ]);
}

#[test]
fn xclaim() {
    run_cases(&[
        // Claimed entries change owner and count one more delivery; IDs not pending are skipped.
        &[
            "XADD s 1 f 1",
            "XADD s 2 f 2",
            "XADD s 3 f 3",
            "XGROUP CREATE s g 0",
            "XREADGROUP GROUP g alice STREAMS s >",
            "XCLAIM s g bob 0 1 2 9",
            "noidle XPENDING s g - + 10",
            "XPENDING s g",
            "noidle XINFO CONSUMERS s g",
        ],
        // min-idle-time: only entries idle at least that long move.
        &[
            "XADD s 1 f v",
            "XADD s 2 f v",
            "XGROUP CREATE s g 0",
            "XREADGROUP GROUP g alice STREAMS s >",
            "XCLAIM s g bob 100000000 1 2",
            "XCLAIM s g alice 0 2 TIME 1000 JUSTID",
            "XCLAIM s g bob 100000000 1 2",
            "XPENDING s g",
        ],
        // JUSTID answers IDs and does not count a delivery; RETRYCOUNT sets the count.
        &[
            "XADD s 1 f v",
            "XADD s 2 f v",
            "XGROUP CREATE s g 0",
            "XREADGROUP GROUP g alice STREAMS s >",
            "XCLAIM s g bob 0 1 JUSTID",
            "XCLAIM s g bob 0 2 RETRYCOUNT 7",
            "XCLAIM s g bob 0 1 RETRYCOUNT 0 JUSTID",
            "noidle XPENDING s g - + 10",
            "XCLAIM s g bob 0 2 RETRYCOUNT 3 RETRYCOUNT 5 justid",
            "noidle XPENDING s g - + 10",
        ],
        // FORCE adds to the pending entries an entry of the stream nobody has (created with one
        // delivery, plus the claim's own unless JUSTID); not one that is not in the stream.
        &[
            "XADD s 1 f v",
            "XADD s 2 f v",
            "XGROUP CREATE s g $",
            "XCLAIM s g bob 0 1 FORCE",
            "XCLAIM s g bob 0 2 9 FORCE JUSTID",
            "XCLAIM s g bob 0 2 FORCE JUSTID",
            "noidle XPENDING s g - + 10",
            "XINFO GROUPS s",
        ],
        // An entry deleted from the stream leaves the pending entries and is not answered.
        &[
            "XADD s 1 f v",
            "XADD s 2 f v",
            "XADD s 3 f v",
            "XGROUP CREATE s g 0",
            "XREADGROUP GROUP g alice STREAMS s >",
            "XDEL s 2",
            "XCLAIM s g bob 0 1 2 3",
            "XPENDING s g",
            "XDEL s 3",
            "XCLAIM s g bob 0 3 JUSTID",
            "XPENDING s g",
        ],
        // LASTID moves the group's last delivered ID forward, never back.
        &[
            "XADD s 1 f v",
            "XADD s 2 f v",
            "XGROUP CREATE s g 0",
            "XREADGROUP GROUP g alice COUNT 1 STREAMS s >",
            "XCLAIM s g bob 0 1 LASTID 10 JUSTID",
            "XINFO GROUPS s",
            "XCLAIM s g bob 0 1 LASTID 5 JUSTID",
            "XINFO GROUPS s",
            "XREADGROUP GROUP g alice STREAMS s >",
            "XCLAIM s g bob 0 9 LASTID 20",
            "XINFO GROUPS s",
        ],
        // IDLE and TIME set the delivery time (a bad one becomes now): seen through the IDLE
        // filter of XPENDING.
        &[
            "XADD s 1 f v",
            "XADD s 2 f v",
            "XADD s 3 f v",
            "XADD s 4 f v",
            "XGROUP CREATE s g 0",
            "XREADGROUP GROUP g alice STREAMS s >",
            "XCLAIM s g bob 0 1 IDLE 100000000 JUSTID",
            "XCLAIM s g bob 0 2 TIME 1000 JUSTID",
            "XCLAIM s g bob 0 3 TIME 99999999999999 JUSTID",
            "XCLAIM s g bob 0 4 IDLE -5 TIME -5 JUSTID",
            "noidle XPENDING s g IDLE 50000000 - + 10",
            "XCLAIM s g carol 50000000 1 2 3 4 JUSTID",
        ],
        // The consumer is created only when something is claimed.
        &[
            "XADD s 1 f v",
            "XGROUP CREATE s g 0",
            "XREADGROUP GROUP g alice STREAMS s >",
            "XCLAIM s g zed 100000000 1",
            "XCLAIM s g zed 0 9",
            "XINFO GROUPS s",
            "XCLAIM s g amy 0 1 JUSTID",
            "noidle XINFO CONSUMERS s g",
        ],
        // The first word that is not an ID starts the options; RETRYCOUNT -1 is as if not given.
        &[
            "XADD s 1 f v",
            "XGROUP CREATE s g 0",
            "XREADGROUP GROUP g alice STREAMS s >",
            "XCLAIM s g bob 0 1 x",
            "XCLAIM s g bob 0 x 1",
            "XCLAIM s g bob 0 1 FOO",
            "XCLAIM s g bob 0 1 IDLE",
            "XCLAIM s g bob 0 1 IDLE x",
            "XCLAIM s g bob 0 1 TIME x",
            "XCLAIM s g bob 0 1 RETRYCOUNT x",
            "XCLAIM s g bob 0 1 RETRYCOUNT -1 JUSTID",
            "XCLAIM s g bob 0 1 LASTID x",
            "XCLAIM s g bob 0 1 LASTID",
            "noidle XPENDING s g - + 10",
        ],
        &[
            "XADD s 1 f v",
            "XGROUP CREATE s g 0",
            "XCLAIM s g bob x 1",
            "XCLAIM s g bob -5 1",
            "XCLAIM s g bob 0",
            "XCLAIM s nog bob 0 1",
            "XCLAIM no g bob 0 1",
            "XCLAIM no g bob x 1 FOO",
            "XCLAIM s nog bob x 1",
            "XCLAIM s g bob 0 -",
            "XCLAIM s g bob 0 1-*",
        ],
        &["SET k v", "XCLAIM k g c 0 1", "XCLAIM k g c x 1"],
        &[
            "HELLO 3",
            "XADD s 1 f v",
            "XGROUP CREATE s g 0",
            "XREADGROUP GROUP g alice STREAMS s >",
            "XCLAIM s g bob 0 1",
            "XCLAIM s g bob 0 1 JUSTID",
            "XCLAIM s g bob 100000000 1",
        ],
    ]);
}

#[test]
fn xautoclaim() {
    run_cases(&[
        // The answer: the ID to go on from (0-0 at the end), the claimed entries, the IDs of
        // pending entries no longer in the stream (which leave the pending entries).
        &[
            "XADD s 1 f 1",
            "XADD s 2 f 2",
            "XADD s 3 f 3",
            "XADD s 4 f 4",
            "XGROUP CREATE s g 0",
            "XREADGROUP GROUP g alice STREAMS s >",
            "XAUTOCLAIM s g bob 0 0 COUNT 2",
            "XAUTOCLAIM s g bob 0 (2 COUNT 1",
            "XDEL s 3 4",
            "XAUTOCLAIM s g carol 0 - COUNT 10",
            "noidle XPENDING s g - + 10",
            "XAUTOCLAIM s g carol 0 0 JUSTID",
            "noidle XPENDING s g - + 10",
            "XAUTOCLAIM s g carol 100000000 0",
        ],
        // Start IDs: `+`, an exclusive `(0`; a negative min-idle-time is 0.
        &[
            "XADD s 1 f v",
            "XGROUP CREATE s g 0",
            "XREADGROUP GROUP g alice STREAMS s >",
            "XAUTOCLAIM s g bob 0 0",
            "XAUTOCLAIM s g bob 0 +",
            "XAUTOCLAIM s g bob 0 (0",
            "XAUTOCLAIM s g bob -1 0 JUSTID",
        ],
        // Deleted entries count against COUNT.
        &[
            "XADD s 1 f v",
            "XADD s 2 f v",
            "XADD s 3 f v",
            "XADD s 4 f v",
            "XGROUP CREATE s g 0",
            "XREADGROUP GROUP g a STREAMS s >",
            "XDEL s 1 2 3",
            "XAUTOCLAIM s g b 0 0 COUNT 1",
            "XAUTOCLAIM s g b 0 0 COUNT 2",
            "XAUTOCLAIM s g b 0 0 COUNT 2",
            "XPENDING s g",
        ],
        // min-idle-time picks the entries delivered long enough ago.
        &[
            "XADD s 1 f v",
            "XADD s 2 f v",
            "XADD s 3 f v",
            "XGROUP CREATE s g 0",
            "XREADGROUP GROUP g a STREAMS s >",
            "XCLAIM s g a 0 2 TIME 1000 JUSTID",
            "XAUTOCLAIM s g b 100000000 0",
            "XPENDING s g",
        ],
        // The consumer is created only when something is claimed.
        &[
            "XADD s 1 f v",
            "XGROUP CREATE s g 0",
            "XAUTOCLAIM s g zed 0 0",
            "XINFO GROUPS s",
            "XREADGROUP GROUP g a STREAMS s >",
            "XAUTOCLAIM s g amy 100000000 0",
            "XINFO GROUPS s",
        ],
        // Errors.
        &[
            "XADD s 1 f v",
            "XGROUP CREATE s g 0",
            "XAUTOCLAIM s g c 0 0 COUNT 0",
            "XAUTOCLAIM s g c 0 0 COUNT -1",
            "XAUTOCLAIM s g c 0 0 COUNT x",
            "XAUTOCLAIM s g c 0 0 COUNT 576460752303423488",
            "XAUTOCLAIM s g c 0 0 COUNT 9223372036854775807",
            "XAUTOCLAIM s g c 0 0 COUNT",
        ],
        &[
            "XADD s 1 f v",
            "XGROUP CREATE s g 0",
            "XAUTOCLAIM s g c x 0",
            "XAUTOCLAIM s g c 0 x",
            "XAUTOCLAIM s g c 0 0 FOO",
            "XAUTOCLAIM s g c 0 (+",
            "XAUTOCLAIM s g c 0",
            "XAUTOCLAIM s nog c 0 0",
            "XAUTOCLAIM no g c 0 0",
            "XAUTOCLAIM s g c 0 0 JUSTID JUSTID",
        ],
        &["SET k v", "XAUTOCLAIM k g c 0 0", "XAUTOCLAIM no g c x 0", "XAUTOCLAIM k g c 0 0 COUNT 0"],
        &[
            "HELLO 3",
            "XADD s 1 f v",
            "XADD s 2 f v",
            "XGROUP CREATE s g 0",
            "XREADGROUP GROUP g a STREAMS s >",
            "XDEL s 2",
            "XAUTOCLAIM s g b 0 0",
            "XAUTOCLAIM s g b 0 0 JUSTID",
        ],
    ]);
}

#[test]
fn xinfo_stream() {
    run_cases(&[
        &["XGROUP CREATE s g $ MKSTREAM", "XINFO STREAM s", "XINFO STREAM s FULL"],
        &["XADD s 1-1 a 1", "XADD s 2-2 b 2 c 3", "XADD s 3-3 d 4", "XINFO STREAM s", "XDEL s 3-3", "XINFO STREAM s"],
        // max-deleted-entry-id follows XDEL (not trimming); recorded-first-entry-id the first
        // entry left.
        &[
            "XADD s 1 f v",
            "XADD s 2 f v",
            "XADD s 3 f v",
            "XADD s 4 f v",
            "XDEL s 1",
            "XINFO STREAM s",
            "XDEL s 3",
            "XINFO STREAM s",
            "XTRIM s MAXLEN 1",
            "XINFO STREAM s",
            "XDEL s 4",
            "XINFO STREAM s",
        ],
        // Nodes: radix-tree-keys counts them; radix-tree-nodes the radix tree over their keys.
        &[
            "CONFIG SET stream-node-max-entries 2",
            "XADD s 1 f v",
            "XADD s 2 f v",
            "XADD s 3 f v",
            "XINFO STREAM s",
            "XADD s 4 f v",
            "XADD s 5 f v",
            "XADD s 256 f v",
            "XADD s 257 f v",
            "XADD s 65536 f v",
            "XADD s 65536-1 f v",
            "XADD s 4294967296 f v",
            "XINFO STREAM s",
            "XADD s 18446744073709551615-0 f v",
            "XINFO STREAM s",
            "XDEL s 3 4",
            "XINFO STREAM s",
            "XTRIM s MAXLEN 2",
            "XINFO STREAM s",
        ],
        &[
            "CONFIG SET stream-node-max-entries 1",
            "XADD s 1-1 f v",
            "XADD s 1-2 f v",
            "XADD s 1-3 f v",
            "XADD s 1-256 f v",
            "XADD s 2-0 f v",
            "XADD s 2-1 f v",
            "XADD s 300 f v",
            "XINFO STREAM s",
            "XDEL s 1-2 2-0",
            "XINFO STREAM s",
            "XADD s 301 f v",
            "XINFO STREAM s",
        ],
        // FULL: every entry up to COUNT (10 by default and for a negative COUNT, 0 for all), each group with its
        // pending entries, each consumer with its own.
        &[
            "XADD s 1 f 1",
            "XADD s 2 f 2",
            "XADD s 3 f 3",
            "XADD s 4 f 4",
            "XADD s 5 f 5",
            "XADD s 6 f 6",
            "XADD s 7 f 7",
            "XADD s 8 f 8",
            "XADD s 9 f 9",
            "XADD s 10 f 10",
            "XADD s 11 f 11",
            "XINFO STREAM s FULL",
            "XINFO STREAM s FULL COUNT 2",
            "XINFO STREAM s FULL COUNT 0",
            "XINFO STREAM s full count -1",
        ],
        &[
            "XADD s 1 f v",
            "XADD s 2 f v",
            "XADD s 3 f v",
            "XGROUP CREATE s g1 0",
            "XGROUP CREATE s g2 $",
            "XGROUP CREATECONSUMER s g2 nobody",
            "XREADGROUP GROUP g1 alice COUNT 2 STREAMS s >",
            "XREADGROUP GROUP g1 bob STREAMS s >",
            "XREADGROUP GROUP g1 alice STREAMS s 0",
            "XCLAIM s g1 bob 0 1 TIME 1000 RETRYCOUNT 5 JUSTID",
            "noidle XINFO STREAM s FULL",
            "noidle XINFO STREAM s FULL COUNT 1",
            "XINFO STREAM s",
        ],
        // Errors.
        &[
            "XINFO STREAM no",
            "XINFO STREAM",
            "XINFO STREAM no FULL",
            "SET k v",
            "XINFO STREAM k",
            "XINFO STREAM k FULL",
        ],
        &["XADD s 1 f v", "XINFO STREAM s FOO", "XINFO STREAM s FULL COUNT", "XINFO STREAM s FULL COUNT x"],
        &["XADD s 1 f v", "XINFO STREAM s COUNT 1", "XINFO STREAM s FULL x", "XINFO STREAM s FULL COUNT 1 x"],
        &["XINFO", "XINFO FOO", "XINFO FOO s", "XINFO HELP x", "XINFO STREAM no FOO"],
    ]);
}

#[test]
fn xinfo_groups_and_consumers() {
    run_cases(&[
        // Groups by name, consumers by name.
        &[
            "XADD s 1 f v",
            "XADD s 2 f v",
            "XGROUP CREATE s zz 0",
            "XGROUP CREATE s aa $",
            "XGROUP CREATE s mm 1",
            "XREADGROUP GROUP zz c2 COUNT 1 STREAMS s >",
            "XREADGROUP GROUP zz c1 STREAMS s >",
            "XGROUP CREATECONSUMER s zz c0",
            "XINFO GROUPS s",
            "noidle XINFO CONSUMERS s zz",
            "XINFO CONSUMERS s aa",
        ],
        // Errors.
        &["XINFO GROUPS no", "XINFO CONSUMERS no g", "XINFO GROUPS", "XINFO CONSUMERS s", "XINFO GROUPS s x"],
        &["XADD s 1 f v", "XINFO GROUPS s", "XINFO CONSUMERS s nog", "XINFO CONSUMERS s g x"],
        &["SET k v", "XINFO GROUPS k", "XINFO CONSUMERS k g"],
        // entries-read and lag as the group reads.
        &[
            "XADD s 1 f v",
            "XADD s 2 f v",
            "XADD s 3 f v",
            "XGROUP CREATE s g 0",
            "XINFO GROUPS s",
            "XREADGROUP GROUP g c COUNT 1 STREAMS s >",
            "XINFO GROUPS s",
            "XREADGROUP GROUP g c STREAMS s >",
            "XINFO GROUPS s",
            "XADD s 4 f v",
            "XINFO GROUPS s",
        ],
        // A deletion after the group's last ID makes the lag unknown until the group reads past
        // it; one before it does not.
        &[
            "XADD s 1 f v",
            "XADD s 2 f v",
            "XADD s 3 f v",
            "XADD s 4 f v",
            "XGROUP CREATE s g 0",
            "XREADGROUP GROUP g c COUNT 1 STREAMS s >",
            "XDEL s 3",
            "XINFO GROUPS s",
            "XREADGROUP GROUP g c COUNT 1 STREAMS s >",
            "XINFO GROUPS s",
            "XREADGROUP GROUP g c STREAMS s >",
            "XINFO GROUPS s",
            "XDEL s 2",
            "XINFO GROUPS s",
        ],
        // The first entry deleted: no fragmentation ahead, the lag stays known.
        &[
            "XADD s 1 f v",
            "XADD s 2 f v",
            "XADD s 3 f v",
            "XGROUP CREATE s g 0",
            "XDEL s 1",
            "XINFO GROUPS s",
            "XREADGROUP GROUP g c COUNT 1 STREAMS s >",
            "XINFO GROUPS s",
        ],
        // Trimming leaves no tombstones; a group at 0 behind a trimmed stream.
        &[
            "XADD s 1 f v",
            "XADD s 2 f v",
            "XADD s 3 f v",
            "XGROUP CREATE s g 0",
            "XTRIM s MAXLEN 1",
            "XINFO GROUPS s",
            "XREADGROUP GROUP g c STREAMS s >",
            "XINFO GROUPS s",
        ],
        // Groups created at `$`, at an ID, with ENTRIESREAD, beyond the last ID.
        &[
            "XADD s 1 f v",
            "XADD s 2 f v",
            "XGROUP CREATE s a $",
            "XGROUP CREATE s b 1",
            "XGROUP CREATE s c 1 ENTRIESREAD 1",
            "XGROUP CREATE s d 5",
            "XGROUP CREATE s e 5 ENTRIESREAD 7",
            "XGROUP CREATE s f 0 ENTRIESREAD 0",
            "XINFO GROUPS s",
            "XADD s 3 f v",
            "XINFO GROUPS s",
        ],
        // XSETID's ENTRIESADDED and MAXDELETEDID feed the lag too.
        &[
            "XADD s 1 f v",
            "XADD s 2 f v",
            "XGROUP CREATE s g 0",
            "XSETID s 2 ENTRIESADDED 10",
            "XINFO GROUPS s",
            "XSETID s 2 ENTRIESADDED 10 MAXDELETEDID 1-5",
            "XINFO GROUPS s",
            "XREADGROUP GROUP g c STREAMS s >",
            "XINFO GROUPS s",
        ],
        // An empty stream: everything deleted, or trimmed.
        &[
            "XADD s 1 f v",
            "XADD s 2 f v",
            "XGROUP CREATE s g 0",
            "XDEL s 1 2",
            "XINFO GROUPS s",
            "XGROUP CREATE s h 1",
            "XGROUP CREATE s i 5",
            "XINFO GROUPS s",
        ],
        // Consumers: pending counts as entries move.
        &[
            "XADD s 1 f v",
            "XADD s 2 f v",
            "XGROUP CREATE s g 0",
            "XREADGROUP GROUP g a STREAMS s >",
            "XCLAIM s g b 0 1 JUSTID",
            "noidle XINFO CONSUMERS s g",
            "XACK s g 2",
            "noidle XINFO CONSUMERS s g",
            "XGROUP DELCONSUMER s g b",
            "noidle XINFO CONSUMERS s g",
        ],
    ]);
}

#[test]
fn help() {
    run_cases(&[
        &["XINFO HELP", "XGROUP HELP", "xinfo help", "xgroup help"],
        &["XGROUP HELP x", "XINFO HELP x", "XGROUP", "XINFO", "XGROUP FOO", "XINFO FOO"],
        &["HELLO 3", "XINFO HELP", "XGROUP HELP"],
        // The command table: arity, flags, key positions, ACL categories (Redis lists a
        // container's subcommands in its dict's random order: they are asked for one by one).
        &[
            "COMMAND INFO xadd xrange xrevrange xlen xdel xtrim xsetid xack xpending xclaim xautoclaim",
            "COMMAND INFO xread xreadgroup",
            "COMMAND INFO xgroup|create xgroup|setid xinfo|stream xinfo|consumers",
            "COMMAND DOCS xread",
            "COMMAND GETKEYS XREAD COUNT 1 STREAMS a b 0 0",
            "COMMAND GETKEYS XREADGROUP GROUP g c STREAMS a >",
        ],
    ]);
}

#[test]
fn wrong_types() {
    run_cases(&[
        &["SET x v", "XADD x 1 f v", "XLEN x", "XRANGE x - +", "XREVRANGE x + -", "XDEL x 1", "XTRIM x MAXLEN 0"],
        &["SET x v", "XSETID x 1", "XREAD STREAMS x 0", "XGROUP CREATE x g 0", "XGROUP CREATECONSUMER x g c"],
        &["SET x v", "XGROUP DELCONSUMER x g c", "XGROUP SETID x g 0", "XGROUP DESTROY x g", "XACK x g 1"],
        &["SET x v", "XPENDING x g", "XCLAIM x g c 0 1", "XAUTOCLAIM x g c 0 0", "XINFO STREAM x", "XINFO GROUPS x"],
        &["SET x v", "XINFO CONSUMERS x g", "XREADGROUP GROUP g c STREAMS x >", "XREAD BLOCK 0 STREAMS x $"],
        &[
            "RPUSH l a",
            "XADD l 1 f v",
            "HSET h f v",
            "XLEN h",
            "SADD st m",
            "XRANGE st - +",
            "ZADD z 1 m",
            "XINFO STREAM z",
        ],
        // Other types' commands on a stream.
        &["XADD s 1 f v", "GET s", "LPUSH s x", "HGET s f", "SADD s m", "ZADD s 1 m", "INCR s", "APPEND s x", "XLEN s"],
        &["XADD s 1 f v", "LLEN s", "SCARD s", "ZCARD s", "HLEN s", "STRLEN s", "GETRANGE s 0 1", "BLPOP s 0.01"],
        // SET replaces the stream, groups and all.
        &["XGROUP CREATE s g $ MKSTREAM", "SET s v", "GET s", "XINFO GROUPS s", "DEL s", "XINFO GROUPS s"],
    ]);
}

#[test]
fn key_commands_on_streams() {
    // s shares shard 3 with a; b is on shard 0.
    run_cases(&[
        &["XADD s 1 f v", "TYPE s", "OBJECT ENCODING s", "EXISTS s", "DEL s", "EXISTS s", "TYPE s"],
        &["XGROUP CREATE s g $ MKSTREAM", "TYPE s", "OBJECT ENCODING s", "UNLINK s", "EXISTS s", "DBSIZE"],
        // COPY, on the same shard and across shards: entries, groups, consumers and pending
        // entries all come along, and the copy is independent.
        &[
            "XADD a 1 f v",
            "XADD a 2 f v",
            "XDEL a 2",
            "XADD a 3 f v",
            "XGROUP CREATE a g 0",
            "XREADGROUP GROUP g c COUNT 1 STREAMS a >",
            "COPY a s",
            "COPY a b",
            "noidle XINFO STREAM s FULL",
            "noidle XINFO STREAM b FULL",
            "XINFO STREAM b",
            "COPY a b",
            "XADD a 4 f v",
            "COPY a b REPLACE",
            "XLEN b",
            "XADD b 5 f v",
            "XLEN a",
            "XREADGROUP GROUP g c STREAMS b >",
            "XPENDING a g",
            "XPENDING b g",
            "XINFO GROUPS a",
        ],
        &[
            "CONFIG SET stream-node-max-entries 2",
            "XADD a 1 f v",
            "XADD a 2 f v",
            "XADD a 3 f v",
            "XADD a 4 f v",
            "XADD a 5 f v",
            "XSETID a 9 ENTRIESADDED 20 MAXDELETEDID 8",
            "COPY a b",
            "XINFO STREAM b",
            "XADD b 10 f v",
            "XADD b MAXLEN ~ 1 11 f v",
            "XRANGE b - +",
        ],
        &["XADD s 1 f v", "SET b x", "COPY s b", "GET b", "COPY s b REPLACE", "TYPE b", "COPY s s", "COPY s b DB 1"],
        // RENAME across shards carries everything; RENAMENX refuses an existing target.
        &[
            "XADD a 1 f v",
            "XADD a 2 f v",
            "XGROUP CREATE a g 0",
            "XREADGROUP GROUP g c COUNT 1 STREAMS a >",
            "RENAME a b",
            "EXISTS a",
            "noidle XINFO STREAM b FULL",
            "XADD b 3 f v",
            "XREADGROUP GROUP g c STREAMS b >",
            "XADD c 1 f v",
            "RENAMENX b c",
            "RENAMENX b d",
            "XINFO GROUPS d",
        ],
        // Expiry.
        &["XADD s 1 f v", "EXPIRE s 100", "TTL s", "XADD s 2 f v", "TTL s", "PERSIST s", "TTL s"],
        &["XADD s 1 f v", "PEXPIRE s 10", "sleep 30", "EXISTS s", "XLEN s", "XADD s NOMKSTREAM 2 f v"],
        &[
            "XGROUP CREATE s g $ MKSTREAM",
            "PEXPIRE s 10",
            "sleep 30",
            "XINFO GROUPS s",
            "XREADGROUP GROUP g c STREAMS s >",
        ],
        // Another database.
        &["XADD s 1 f v", "MOVE s 1", "EXISTS s", "SELECT 1", "XRANGE s - +", "COPY s s DB 0", "SELECT 0", "XLEN s"],
        &["XADD s 1 f v", "SELECT 1", "XADD s 5 f v", "SWAPDB 0 1", "XRANGE s - +", "SELECT 0", "XRANGE s - +"],
        &["XADD s 1 f v", "XADD b 1 f v", "SET k v", "sorted KEYS *", "DBSIZE", "FLUSHDB", "DBSIZE"],
    ]);
}

#[test]
fn transactions_and_scripts() {
    run_cases(&[
        // A transaction over streams on three shards.
        &[
            "MULTI",
            "XADD a 1 f v",
            "XADD b 1 f v",
            "XGROUP CREATE c g $ MKSTREAM",
            "XADD c 1 f v",
            "XREADGROUP GROUP g x STREAMS c >",
            "XREAD STREAMS a b c 0 0 0",
            "XLEN b",
            "EXEC",
            "XPENDING c g",
        ],
        // Errors inside run; a bad arity aborts the transaction.
        &["MULTI", "XADD a 1 f v", "XADD a 1 f v", "XGROUP CREATE b g 0", "XLEN a", "EXEC"],
        &["MULTI", "XADD a 1 f v", "XADD a 1", "EXEC", "EXISTS a"],
        // WATCH on a stream: XADD, XDEL and XTRIM that change it touch it; reads do not, and
        // in 7.0 neither do XSETID, XGROUP, XREADGROUP, XACK, XCLAIM or XAUTOCLAIM (they send
        // keyspace events but do not signal the key as modified).
        &["XADD a 1 f v", "WATCH a", "@2 XADD a 2 f v", "MULTI", "XLEN a", "EXEC"],
        &["XADD a 1 f v", "WATCH a", "@2 XRANGE a - +", "@2 XLEN a", "MULTI", "XLEN a", "EXEC"],
        &["XADD a 1 f v", "WATCH a", "@2 XGROUP CREATE a g 0", "MULTI", "XLEN a", "EXEC"],
        &["XADD a 1 f v", "WATCH a", "@2 XDEL a 9", "@2 XTRIM a MAXLEN 5", "MULTI", "XLEN a", "EXEC"],
        &["XADD a 1 f v", "WATCH a", "@2 XDEL a 1", "MULTI", "XLEN a", "EXEC"],
        &["XADD a 1 f v", "WATCH a", "@2 XTRIM a MAXLEN 0", "MULTI", "XLEN a", "EXEC"],
        &[
            "XADD a 1 f v",
            "XADD a 2 f v",
            "XGROUP CREATE a g 0",
            "XREADGROUP GROUP g c COUNT 1 STREAMS a >",
            "WATCH a",
            "@2 XSETID a 5",
            "@2 XGROUP SETID a g 0",
            "@2 XGROUP CREATECONSUMER a g z",
            "@2 XREADGROUP GROUP g d STREAMS a >",
            "@2 XACK a g 1",
            "@2 XCLAIM a g e 0 2",
            "@2 XAUTOCLAIM a g f 0 0",
            "@2 XGROUP DELCONSUMER a g f",
            "@2 XGROUP DESTROY a g",
            "MULTI",
            "XLEN a",
            "EXEC",
        ],
        // Stream replies through Lua.
        &[
            "XADD s 1 f v a b",
            "XADD s 2 g w",
            "EVAL return(redis.call('XRANGE',KEYS[1],'-','+')) 1 s",
            "EVAL return(redis.call('XLEN',KEYS[1])) 1 s",
            "EVAL return(redis.call('XADD',KEYS[1],'3','x','y')) 1 s",
            "EVAL return(redis.call('XREAD','STREAMS',KEYS[1],'2')) 1 s",
            "EVAL return(redis.call('XADD',KEYS[1],'3','x','y')) 1 s",
            "EVAL return(redis.pcall('XADD',KEYS[1],'3','x','y')) 1 s",
        ],
        &[
            "XADD s 1 f v",
            "XGROUP CREATE s g 0",
            "EVAL return(redis.call('XREADGROUP','GROUP','g','c','STREAMS',KEYS[1],'>')) 1 s",
            "EVAL return(redis.call('XPENDING',KEYS[1],'g')) 1 s",
            "EVAL return(redis.call('XINFO','GROUPS',KEYS[1])) 1 s",
            "EVAL return(redis.call('XREAD','BLOCK','0','STREAMS',KEYS[1],'$')) 1 s",
        ],
        &["HELLO 3", "XADD s 1 f v", "EVAL redis.setresp(3);return(redis.call('XREAD','STREAMS',KEYS[1],'0')) 1 s"],
    ]);
}

#[test]
fn automatic_ids_that_are_deterministic() {
    // `*` takes the last ID's millisecond when the clock is behind it: a last ID in the far
    // future makes `*` predictable, up to the last possible ID.
    run_cases(&[
        &["XADD s 99999999999999-5 f v", "XADD s * f v", "XADD s * f v", "XRANGE s - +"],
        &["XADD s 18446744073709551615-18446744073709551613 f v", "XADD s * f v", "XADD s * f v", "XADD s * f v"],
        &["XADD s 99999999999999-0 f v", "XADD s MAXLEN 0 * f v", "XLEN s", "XADD s MAXLEN 1 * f v", "XRANGE s - +"],
        &["XADD t NOMKSTREAM * f v", "XADD t * f", "XADD t * f v g", "XADD t MAXLEN -1 * f v", "XLEN t"],
        &[
            "XSETID s 1",
            "XADD s 99999999999999-0 f v",
            "XSETID s 99999999999999-9",
            "XADD s * f v",
            "XADD s NOMKSTREAM * f v",
        ],
    ]);
}

/// `*` makes `<ms>-<seq>` from the server's clock: the ms within the time of the call, the
/// sequence 0 or one more than the last ID's in the same ms; IDs strictly increasing.
#[test]
fn automatic_ids() {
    let redis = Proc::redis(&[]);
    let shardis = Proc::shardis(&[]);
    for port in [redis.port, shardis.port] {
        let mut raw = Raw::connect(port);
        raw.words("FLUSHALL");
        let now = || std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_millis() as u64;
        let mut last = (0u64, 0u64);
        for key in ["a", "b", "a", "a", "c", "a"] {
            let before = now();
            let reply = raw.words(&format!("XADD {key} * f v"));
            let after = now();
            let (head, items) = flat(&reply);
            assert_eq!(head, b'$', "{}", s(&reply));
            let id = s(&items[0]);
            let (ms, seq) = id.split_once('-').unwrap();
            let (ms, seq): (u64, u64) = (ms.parse().unwrap(), seq.parse().unwrap());
            // A server may read a cached clock: a few ms of slack.
            assert!(before - 50 <= ms && ms <= after + 50, "{id} not within {before}..{after}");
            if key == "a" {
                assert!((ms, seq) > last, "{id} after {last:?}");
                assert!(seq == 0 || ms == last.0, "{id} after {last:?}");
                last = (ms, seq);
            }
        }
        assert_eq!(raw.words("XLEN a"), b":4\r\n");
        // `ms-*` with the clock's ms and `*` right after: the same ms, the next sequence.
        let ms = now() + 1000;
        let first = raw.words(&format!("XADD d {ms}-* f v"));
        assert_eq!(s(&first), format!("${}\r\n{ms}-0\r\n", format!("{ms}-0").len()));
        assert_eq!(s(&raw.words("XADD d * f v")), format!("${}\r\n{ms}-1\r\n", format!("{ms}-1").len()));
        // With a trim and with NOMKSTREAM.
        let (head, _) = flat(&raw.words("XADD e MAXLEN 1 * f v"));
        assert_eq!(head, b'$');
        assert_eq!(raw.words("XADD nope NOMKSTREAM * f v"), b"$-1\r\n");
    }
}

/// MEMORY USAGE of a stream is a positive integer on both servers (its value is the allocator's).
#[test]
fn memory_usage() {
    let redis = Proc::redis(&[]);
    let shardis = Proc::shardis(&[]);
    for port in [redis.port, shardis.port] {
        let mut raw = Raw::connect(port);
        raw.words("FLUSHALL");
        raw.words("XADD s 1 f v");
        raw.words("XADD s 2 a 1 b 2");
        raw.words("XGROUP CREATE s g 0");
        raw.words("XREADGROUP GROUP g c STREAMS s >");
        for cmd in ["MEMORY USAGE s", "MEMORY USAGE s SAMPLES 0", "MEMORY USAGE s SAMPLES 1"] {
            let reply = s(&raw.words(cmd));
            let n: i64 = reply
                .strip_prefix(':')
                .and_then(|r| r.trim_end().parse().ok())
                .unwrap_or_else(|| panic!("{cmd}: {reply}"));
            assert!(n > 0, "{cmd}: {reply}");
        }
        assert_eq!(raw.words("MEMORY USAGE nope"), b"$-1\r\n");
        raw.words("HELLO 3");
        assert_eq!(raw.words("MEMORY USAGE nope"), b"_\r\n");
        assert_eq!(raw.words("MEMORY USAGE s")[0], b':');
    }
}

#[test]
fn resp3_replies() {
    run_cases(&[
        &[
            "HELLO 3",
            "XADD a 1 f v",
            "XADD a 2 g w h x",
            "XADD c 3 f v",
            "XRANGE a - +",
            "XREVRANGE a + - COUNT 1",
            "XRANGE a - + COUNT 0",
            "XRANGE no - +",
            "XREAD STREAMS a b c 0 0 0",
            "XREAD COUNT 1 STREAMS c a 0 1",
            "XREAD STREAMS a 2",
            "XLEN a",
            "XDEL a 1",
            "XTRIM a MAXLEN 0",
        ],
        &[
            "HELLO 3",
            "XADD s 1 f v",
            "XADD s 2 f v",
            "XADD s 3 f v",
            "XGROUP CREATE s g 0",
            "XREADGROUP GROUP g c COUNT 2 STREAMS s >",
            "XDEL s 1",
            "XREADGROUP GROUP g c STREAMS s 0",
            "XREADGROUP GROUP g d STREAMS s >",
            "XREADGROUP GROUP g d STREAMS s >",
            "XPENDING s g",
            "noidle XPENDING s g - + 10",
            "XPENDING s g - + 10 nobody",
            "XACK s g 2",
            "XCLAIM s g e 0 3",
            "XCLAIM s g e 0 3 JUSTID",
            "XAUTOCLAIM s g f 0 0",
            "XAUTOCLAIM s g f 0 0 JUSTID",
        ],
        &[
            "HELLO 3",
            "XADD s 1 f v",
            "XADD s 2 f v",
            "XGROUP CREATE s g 0",
            "XGROUP CREATE s h $",
            "XREADGROUP GROUP g c COUNT 1 STREAMS s >",
            "XINFO STREAM s",
            "noidle XINFO STREAM s FULL",
            "XINFO GROUPS s",
            "noidle XINFO CONSUMERS s g",
            "XINFO CONSUMERS s h",
            "XDEL s 1 2",
            "XINFO STREAM s",
            "XINFO GROUPS s",
        ],
        &[
            "HELLO 3",
            "XGROUP CREATE s g $ MKSTREAM",
            "XINFO STREAM s",
            "XINFO STREAM s FULL",
            "XPENDING s g",
            "XSETID s 5",
            "XREAD BLOCK 10 STREAMS s $",
            "XREADGROUP GROUP g c BLOCK 10 STREAMS s >",
            "XADD s NOMKSTREAM 6 f v",
            "XADD t NOMKSTREAM 6 f v",
            "XREADGROUP GROUP g c BLOCK 10 STREAMS s >",
        ],
    ]);
}
