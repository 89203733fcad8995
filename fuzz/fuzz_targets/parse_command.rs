//! Feeds arbitrary bytes to the request parser as a client pipeline.
//!
//! Run with `cargo fuzz run parse_command` from the repository root.
//! Checks, under several limit sets: no panic; every success consumes at
//! least one byte and no more than what was given; parsing exactly the
//! consumed bytes again yields the same command; arguments stay inside their
//! buffer; errors leave `args` empty and carry a Redis protocol error text.

#![no_main]

use libfuzzer_sys::fuzz_target;
use shardis::protocol::{parse_command, Args, Limits, ParseError};

fn run(data: &[u8], limits: &Limits) {
    let mut args = Args::default();
    let mut again = Args::default();
    let mut pos = 0;
    while pos < data.len() {
        let rest = &data[pos..];
        match parse_command(rest, limits, &mut args) {
            Ok(n) => {
                assert!(n > 0, "no progress");
                assert!(n <= rest.len(), "consumed {n} of {}", rest.len());
                for (i, arg) in args.iter(rest).enumerate() {
                    if !args.inline {
                        let (start, end) = args.ranges[i];
                        assert!(start <= end && end as usize <= n);
                        assert!(arg.len() as u64 <= limits.max_bulk_len as u64);
                    }
                }
                assert_eq!(parse_command(&rest[..n], limits, &mut again), Ok(n));
                assert!(args.iter(rest).eq(again.iter(&rest[..n])));
                pos += n;
            }
            Err(ParseError::Incomplete) => {
                assert!(args.is_empty());
                break;
            }
            Err(ParseError::Protocol(msg)) => {
                assert!(msg.starts_with("ERR Protocol error: "), "{msg}");
                assert!(args.is_empty());
                break;
            }
        }
    }
}

fuzz_target!(|data: &[u8]| {
    run(data, &Limits::default());
    run(data, &Limits { authenticated: false, ..Limits::default() });
    // Tiny limits reach the "too big" and length errors with short inputs.
    run(data, &Limits { max_bulk_len: 8, max_multibulk_len: 4, max_inline_len: 16, authenticated: true });
});
