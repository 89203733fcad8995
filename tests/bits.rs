//! Bitmaps byte for byte against redis-server 7.0.15, with keys on four shards: SETBIT, GETBIT,
//! BITCOUNT, BITPOS, BITOP (across shards), BITFIELD and BITFIELD_RO, their limits and errors.

mod common;
use common::*;

fn run_cases(cases: &[&[&str]]) {
    run_cases_then(cases, &[]);
}

#[test]
fn setbit_getbit_as_redis() {
    run_cases(&[
        &[
            "SETBIT b 7 1",
            "GET b",
            "SETBIT b 7 0",
            "SETBIT b 100 1",
            "STRLEN b",
            "GETBIT b 100",
            "GETBIT b 99",
            "GETBIT b 100000",
            "GETBIT nosuch 3",
            "SETBIT b -1 1",
            "SETBIT b 4294967296 1",
            "SETBIT b 4294967295 2",
            "SETBIT b x 1",
            "SETBIT b 1 -1",
            "SETBIT b 1 01",
            "GETBIT b -1",
            "GETBIT b 1.5",
            "SET n 1234",
            "SETBIT n 0 1",
            "GET n",
            "LPUSH l a",
            "SETBIT l 0 1",
            "GETBIT l 0",
            "CONFIG SET proto-max-bulk-len 1048576",
            "SETBIT b 8388607 1",
            "SETBIT b 8388608 1",
            "CONFIG SET proto-max-bulk-len 536870912",
        ],
        &["SET k \u{ff}", "GETBIT k 0", "SET e ''", "GETBIT e 0", "SETBIT e 0 1", "GET e"],
    ]);
}

#[test]
fn bitcount_as_redis() {
    run_cases(&[&[
        "SET s foobar",
        "BITCOUNT s",
        "BITCOUNT s 0 0",
        "BITCOUNT s 1 1",
        "BITCOUNT s 1 1 BYTE",
        "BITCOUNT s 5 30 BIT",
        "BITCOUNT s 0 -1 BIT",
        "BITCOUNT s -3 -1",
        "BITCOUNT s -1 -3",
        "BITCOUNT s -100 100",
        "BITCOUNT s 3 1",
        "BITCOUNT s 7 7 bit",
        "BITCOUNT s 0 6 BIT",
        "BITCOUNT s 1 2 BITS",
        "BITCOUNT s 1",
        "BITCOUNT s 1 2 BIT x",
        "BITCOUNT s a 1",
        "BITCOUNT nosuch",
        "BITCOUNT nosuch 1",
        "BITCOUNT nosuch a b",
        "SET n 255",
        "BITCOUNT n",
        "SET e ''",
        "BITCOUNT e",
        "BITCOUNT e 0 -1",
        "BITCOUNT e 0 -1 BIT",
        "RPUSH l a",
        "BITCOUNT l",
    ]]);
}

#[test]
fn bitpos_as_redis() {
    run_cases(&[&[
        "SET s \u{ff}\u{f0}\u{00}",
        "BITPOS s 0",
        "BITPOS s 1",
        "BITPOS s 0 2",
        "BITPOS s 1 2",
        "BITPOS s 1 2 -1",
        "BITPOS s 0 0 0",
        "BITPOS s 0 0 1",
        "BITPOS s 0 0 -1 BIT",
        "BITPOS s 1 7 15 BIT",
        "BITPOS s 0 7 15 BIT",
        "BITPOS s 0 3 6 BIT",
        "BITPOS s 1 3",
        "BITPOS s 1 3 BIT",
        "BITPOS s 0 5 BIT",
        "BITPOS s 2",
        "BITPOS s x",
        "BITPOS s 1 a",
        "BITPOS s 1 0 a",
        "BITPOS s 1 0 1 BITS",
        "BITPOS s 1 0 1 BIT 5",
        "BITPOS nosuch 0",
        "BITPOS nosuch 1",
        "BITPOS nosuch 1 x",
        "SET ones \u{ff}\u{ff}",
        "BITPOS ones 0",
        "BITPOS ones 0 0",
        "BITPOS ones 0 0 -1",
        "BITPOS ones 0 0 -1 BIT",
        "BITPOS ones 0 3 BIT",
        "SET zeros \u{00}\u{00}",
        "BITPOS zeros 1",
        "BITPOS zeros 0 1",
        "SET e ''",
        "BITPOS e 0",
        "BITPOS e 1",
        "BITPOS e 0 0 -1",
        "HSET h a b",
        "BITPOS h 1",
    ]]);
}

#[test]
fn bitop_across_shards_as_redis() {
    run_cases(&[
        &[
            "SET a foobar",
            "SET b abcdef",
            "SET c xyz",
            "BITOP AND dst a b",
            "GET dst",
            "BITOP OR dst a b c",
            "GET dst",
            "BITOP XOR dst a c",
            "GET dst",
            "BITOP NOT dst c",
            "GET dst",
            "BITOP and dst a nosuch",
            "GET dst",
            "EXPIRE dst 100",
            "BITOP OR dst a",
            "TTL dst",
            "BITOP OR dst nosuch1 nosuch2",
            "EXISTS dst",
            "BITOP NOT dst a b",
            "BITOP NAND dst a b",
            "BITOP OR dst",
            "LPUSH l x",
            "BITOP OR dst a l",
            "BITOP OR l a",
            "TYPE l",
            "SET n 12",
            "BITOP XOR dst n a",
            "GET dst",
            "BITOP OR a a b",
            "GET a",
        ],
        // Every key on one shard (a hash tag) goes the local way.
        &["SET {t}a foo", "SET {t}b bar", "BITOP XOR {t}d {t}a {t}b", "GET {t}d", "BITOP NOT {t}d {t}x", "EXISTS {t}d"],
    ]);
}

#[test]
fn bitfield_as_redis() {
    run_cases(&[
        &[
            "BITFIELD f SET i8 0 -100 GET i8 0 GET u8 0",
            "BITFIELD f INCRBY i8 0 -100 GET i8 0",
            "BITFIELD f OVERFLOW SAT INCRBY i8 0 -100",
            "BITFIELD f OVERFLOW FAIL INCRBY i8 0 -100",
            "BITFIELD f OVERFLOW WRAP INCRBY i8 0 -100",
            "BITFIELD f SET u8 #1 255 INCRBY u8 #1 10 OVERFLOW SAT INCRBY u8 #1 300 OVERFLOW FAIL INCRBY u8 #1 1",
            "BITFIELD f SET u8 8 300 SET u8 8 -1 OVERFLOW SAT SET u8 8 300 SET u8 8 -1 OVERFLOW FAIL SET u8 8 300",
            "BITFIELD f GET u63 0 GET i64 0 GET i64 3 GET u1 0 GET i1 0",
            "BITFIELD f SET i64 64 9223372036854775807 INCRBY i64 64 1 OVERFLOW SAT INCRBY i64 64 1",
            "BITFIELD f SET i64 64 -9223372036854775808 OVERFLOW SAT INCRBY i64 64 -1 OVERFLOW WRAP INCRBY i64 64 -1",
            "BITFIELD f SET u63 128 9223372036854775807 INCRBY u63 128 1 OVERFLOW SAT INCRBY u63 128 5",
            "BITFIELD f SET i5 3 100 GET i5 3 SET u3 5 7 INCRBY u3 5 3",
            "GET f",
            "STRLEN f",
            "BITFIELD f",
            "BITFIELD nosuch GET u8 0 GET i16 100",
            "EXISTS nosuch",
            "BITFIELD nosuch2 OVERFLOW FAIL SET u2 0 9",
            "EXISTS nosuch2",
            "GET nosuch2",
            "BITFIELD_RO f GET u8 0 GET i8 #2",
            "BITFIELD_RO f SET u8 0 1",
            "BITFIELD_RO f INCRBY u8 0 1",
            "BITFIELD_RO f GET u64 0",
            "BITFIELD_RO nosuch GET u8 0",
        ],
        &[
            "BITFIELD f GET u64 0",
            "BITFIELD f GET i65 0",
            "BITFIELD f GET i0 0",
            "BITFIELD f GET U8 0",
            "BITFIELD f GET x8 0",
            "BITFIELD f GET u8 -1",
            "BITFIELD f GET u8 #-1",
            "BITFIELD f GET u8 x",
            "BITFIELD f GET u8 ##1",
            "BITFIELD f GET u8 4294967296",
            "BITFIELD f SET u8 0 x",
            "BITFIELD f SET u8 0",
            "BITFIELD f INCRBY u8 0 1.5",
            "BITFIELD f OVERFLOW MAYBE GET u8 0",
            "BITFIELD f OVERFLOW",
            "BITFIELD f NOPE u8 0",
            "BITFIELD f GET u8",
            "BITFIELD f GET u8 0 SET x8 0 1",
            "BITFIELD_RO f SET x8 0 1",
            "LPUSH l a",
            "BITFIELD l GET u8 0",
            "BITFIELD l SET u8 0 1",
            "BITFIELD_RO l GET u8 0",
            "SET n 123",
            "BITFIELD n GET u8 0 SET u8 0 65",
            "GET n",
        ],
    ]);
}

/// A random argument for the bit commands: mostly small offsets and values, so commands meet
/// on the same bits, now and then a hostile one.
fn pick<'a>(rng: &mut fastrand::Rng, small: &'a [&'a str], hostile: &'a [&'a str]) -> &'a str {
    if rng.usize(..12) == 0 {
        hostile[rng.usize(..hostile.len())]
    } else {
        small[rng.usize(..small.len())]
    }
}

fn random_bit_command(rng: &mut fastrand::Rng) -> String {
    const KEYS: &[&str] = &["a", "b", "c", "{t}a", "k"];
    const OFFSETS: &[&str] = &["0", "1", "3", "7", "8", "9", "15", "16", "31", "33", "63", "64", "100", "127", "200"];
    const HOSTILE: &[&str] = &["-1", "x", "1.5", "''", "4294967296", "9223372036854775807", "#-1", "01", "+1"];
    const RANGES: &[&str] = &["0", "1", "2", "-1", "-2", "-3", "5", "10", "-100", "100", "13", "30"];
    const TYPES: &[&str] = &["u1", "u3", "u8", "u16", "i1", "i5", "i8", "i16", "i32", "i64", "u63", "u32"];
    const BAD_TYPES: &[&str] = &["u64", "i65", "u0", "I8", "x8", "u"];
    const VALUES: &[&str] = &["0", "1", "-1", "5", "-100", "127", "128", "255", "300", "-129", "65535", "100000"];
    const BIG: &[&str] = &["9223372036854775807", "-9223372036854775808", "x", "1.5", "4294967295"];
    let key = KEYS[rng.usize(..KEYS.len())];
    let offset = |rng: &mut fastrand::Rng| pick(rng, OFFSETS, HOSTILE).to_string();
    let range = |rng: &mut fastrand::Rng| pick(rng, RANGES, HOSTILE).to_string();
    let unit = |rng: &mut fastrand::Rng| ["", " BYTE", " BIT", " bit", " BITS"][rng.usize(..5)];
    match rng.usize(..9) {
        0 | 1 => format!("SETBIT {key} {} {}", offset(rng), pick(rng, &["0", "1"], &["2", "-1", "x"])),
        2 => format!("GETBIT {key} {}", offset(rng)),
        3 => match rng.usize(..3) {
            0 => format!("BITCOUNT {key}"),
            _ => format!("BITCOUNT {key} {} {}{}", range(rng), range(rng), unit(rng)),
        },
        4 => {
            let bit = pick(rng, &["0", "1"], &["2", "x"]);
            match rng.usize(..3) {
                0 => format!("BITPOS {key} {bit}"),
                1 => format!("BITPOS {key} {bit} {}", range(rng)),
                _ => format!("BITPOS {key} {bit} {} {}{}", range(rng), range(rng), unit(rng)),
            }
        }
        5 => {
            let op = ["AND", "OR", "XOR", "NOT", "and", "NAND"][rng.usize(..6)];
            let n = if op == "NOT" && rng.bool() { 1 } else { rng.usize(1..4) };
            let sources: Vec<&str> = (0..n).map(|_| KEYS[rng.usize(..KEYS.len())]).collect();
            format!("BITOP {op} {key} {}", sources.join(" "))
        }
        6 => format!("SET {key} {}", ["abc", "\u{ff}\u{00}\u{ff}", "12", "''", "foobar"][rng.usize(..5)]),
        _ => {
            let mut line = format!("{} {key}", if rng.usize(..4) == 0 { "BITFIELD_RO" } else { "BITFIELD" });
            for _ in 0..rng.usize(1..4) {
                let ty = pick(rng, TYPES, BAD_TYPES);
                let at = if rng.usize(..4) == 0 { format!("#{}", rng.usize(..6)) } else { offset(rng) };
                match rng.usize(..5) {
                    0 | 1 => line += &format!(" GET {ty} {at}"),
                    2 => line += &format!(" SET {ty} {at} {}", pick(rng, VALUES, BIG)),
                    3 => line += &format!(" INCRBY {ty} {at} {}", pick(rng, VALUES, BIG)),
                    _ => line += &format!(" OVERFLOW {}", pick(rng, &["WRAP", "SAT", "FAIL", "sat"], &["NONE"])),
                }
            }
            line
        }
    }
}

/// Random bit commands (and now and then a SET or a list in the way) on keys of four shards,
/// sent to shardis and to Redis 7.0.15, Redis being the model: every reply must match byte for
/// byte, and so must every key's bytes at the end.
#[test]
fn random_bit_commands_answer_as_redis_does() {
    let redis = Proc::redis(&[]);
    let shardis = Proc::shardis(&[]);
    let (mut ours, mut theirs) = (shardis.raw(), redis.raw());
    for seed in 1..=3u64 {
        let mut rng = fastrand::Rng::with_seed(seed);
        for step in 0..1500 {
            let line = if rng.usize(..100) == 0 { "RPUSH k x".to_string() } else { random_bit_command(&mut rng) };
            let args = line_args(&line);
            let (got, want) = (ours.cmd(&args), theirs.cmd(&args));
            assert_eq!(s(&got), s(&want), "seed {seed} step {step}: {line}");
        }
        for key in ["a", "b", "c", "{t}a", "k"] {
            let dump = |raw: &mut Raw| s(&raw.cmd(&[b"GET", key.as_bytes()]));
            assert_eq!(dump(&mut ours), dump(&mut theirs), "seed {seed}: {key} at the end");
        }
        ours.words("FLUSHALL");
        theirs.words("FLUSHALL");
    }
}

/// WATCH sees a bitmap change only when one happened, as Redis signals it: a SETBIT that sets
/// a bit already set, a BITFIELD whose writes leave the bits as they were (or that OVERFLOW
/// FAIL refused) and that did not grow the string, or a PFADD that changed no register leaves
/// a watching EXEC free to run (the same client wrote, which Redis counts too).
#[test]
fn watch_sees_only_real_bit_changes() {
    run_cases(&[&[
        "SETBIT k 7 1",
        "WATCH k",
        "SETBIT k 7 1",
        "BITFIELD k OVERFLOW FAIL INCRBY u2 100 1 GET u8 0",
        "MULTI",
        "GET k",
        "EXEC",
        "WATCH k",
        "SETBIT k 7 0",
        "MULTI",
        "GET k",
        "EXEC",
        "WATCH k",
        "SETBIT k 100 0",
        "MULTI",
        "STRLEN k",
        "EXEC",
        "WATCH k",
        "BITFIELD k SET u8 0 0",
        "MULTI",
        "STRLEN k",
        "EXEC",
        "WATCH k",
        "BITFIELD k SET u8 0 0 SET u8 200 0",
        "MULTI",
        "STRLEN k",
        "EXEC",
        "WATCH k",
        "BITFIELD k INCRBY u8 0 1",
        "MULTI",
        "STRLEN k",
        "EXEC",
        "PFADD h a b c",
        "WATCH h",
        "PFADD h a b",
        "MULTI",
        "PFCOUNT h",
        "EXEC",
        "WATCH h",
        "PFADD h d",
        "MULTI",
        "PFCOUNT h",
        "EXEC",
    ]]);
}
