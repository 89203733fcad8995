//! HyperLogLog byte for byte against redis-server 7.0.15, with keys on four shards: the same
//! PFADDs leave the same string on both servers (sparse, then dense), PFCOUNT answers the same
//! counts (and caches them the same way), PFMERGE and multi-key PFCOUNT across shards, and the
//! errors for other types and for strings that are not HyperLogLogs or are corrupt.

mod common;
use common::*;

fn run_cases(cases: &[&[&str]]) {
    run_cases_then(cases, &[]);
}

#[test]
fn hll_errors_and_debug_as_redis() {
    run_cases(&[
        &[
            "PFADD h a b c",
            "PFADD h a",
            "PFADD h",
            "PFADD fresh",
            "GET fresh",
            "PFCOUNT fresh",
            "GET fresh",
            "PFCOUNT nosuch",
            "PFCOUNT nosuch1 nosuch2",
            "SET s notanhll",
            "PFADD s a",
            "PFCOUNT s",
            "PFCOUNT h s",
            "PFMERGE h s",
            "PFMERGE s h",
            "SET t HYLLx",
            "PFADD t a",
            "LPUSH l a",
            "PFADD l a",
            "PFCOUNT l",
            "PFCOUNT h l",
            "PFMERGE l h",
            "PFMERGE h l",
            "PFDEBUG ENCODING h",
            "PFDEBUG DECODE h",
            "PFDEBUG NOPE h",
            "PFDEBUG ENCODING nosuch",
            "PFDEBUG ENCODING l",
            "PFDEBUG TODENSE h",
            "PFDEBUG ENCODING h",
            "PFDEBUG DECODE h",
            "PFDEBUG TODENSE h",
            "PFCOUNT h",
            "PFMERGE m",
            "GET m",
            "PFMERGE m2 nosuch",
            "PFCOUNT m2",
            "PFSELFTEST",
        ],
        // Sparse strings with a broken run: INVALIDOBJ (the header is right, the runs are not).
        &[
            "SET c HYLL\u{1}\u{0}\u{0}\u{0}\u{0}\u{0}\u{0}\u{0}\u{0}\u{0}\u{0}\u{80}\u{40}\u{0}",
            "PFCOUNT c",
            "PFADD c x",
        ],
    ]);
}

/// Both servers, the same random PFADD/PFCOUNT/PFMERGE traffic: every reply and, now and then,
/// every key's bytes must match (keys on four shards, so PFMERGE and multi-key PFCOUNT cross
/// them); a small `hll-sparse-max-bytes` in one pass turns keys dense sooner.
#[test]
fn the_same_adds_leave_the_same_bytes() {
    let redis = Proc::redis(&[]);
    let shardis = Proc::shardis(&[]);
    let (mut ours, mut theirs) = (shardis.raw(), redis.raw());
    const KEYS: &[&str] = &["a", "b", "c", "{t}a", "{t}b"];
    for (pass, max_bytes) in ["3000", "200"].iter().enumerate() {
        for raw in [&mut ours, &mut theirs] {
            raw.words("FLUSHALL");
            raw.cmd(&[b"CONFIG", b"SET", b"hll-sparse-max-bytes", max_bytes.as_bytes()]);
        }
        let mut rng = fastrand::Rng::with_seed(pass as u64 + 7);
        for step in 0..600 {
            let key = KEYS[rng.usize(..KEYS.len())];
            let line: Vec<String> = match rng.usize(..10) {
                0..=5 => {
                    // A few elements, from a pool that grows with the steps (keys turn dense).
                    let n = rng.usize(1..30);
                    let pool = 50 + step * 40;
                    std::iter::once("PFADD".to_string())
                        .chain(std::iter::once(key.to_string()))
                        .chain((0..n).map(|_| format!("e{}", rng.usize(..pool))))
                        .collect()
                }
                6 => vec!["PFCOUNT".into(), key.into()],
                7 => {
                    let n = rng.usize(1..4);
                    std::iter::once("PFCOUNT".to_string())
                        .chain((0..n).map(|_| KEYS[rng.usize(..KEYS.len())].to_string()))
                        .collect()
                }
                8 => {
                    let n = rng.usize(0..3);
                    std::iter::once("PFMERGE".to_string())
                        .chain(std::iter::once(key.to_string()))
                        .chain((0..n).map(|_| KEYS[rng.usize(..KEYS.len())].to_string()))
                        .collect()
                }
                _ => vec!["GET".into(), key.into()],
            };
            let args: Vec<&[u8]> = line.iter().map(|a| a.as_bytes()).collect();
            let (got, want) = (ours.cmd(&args), theirs.cmd(&args));
            assert_eq!(s(&got), s(&want), "pass {pass} step {step}: {}", line.join(" "));
        }
        for key in KEYS {
            let get = |raw: &mut Raw| raw.cmd(&[b"GET", key.as_bytes()]);
            assert_eq!(get(&mut ours), get(&mut theirs), "pass {pass}: {key} at the end");
            let enc = |raw: &mut Raw| s(&raw.cmd(&[b"PFDEBUG", b"ENCODING", key.as_bytes()]));
            assert_eq!(enc(&mut ours), enc(&mut theirs), "pass {pass}: {key}'s encoding");
        }
    }
    for raw in [&mut ours, &mut theirs] {
        raw.cmd(&[b"CONFIG", b"SET", b"hll-sparse-max-bytes", b"3000"]);
    }
}
