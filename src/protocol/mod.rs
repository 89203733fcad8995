//! RESP wire protocol: request parsing and reply encoding.
//!
//! This layer turns raw bytes read from a client socket into command
//! arguments ([`parse_command`]) and turns command results into reply bytes
//! ([`Out`]), for both RESP2 and RESP3. It is deliberately free of any server
//! state: it does not know about connections, shards, keyspaces or commands,
//! and depends on nothing else in the crate, only on `memchr`, `itoa` and
//! `libc`. Everything the parser needs to know about a connection is passed in
//! through [`Limits`].
//!
//! Behaviour follows Redis 7.0.15 (`networking.c`: `processMultibulkBuffer`,
//! `processInlineBuffer`, `sdssplitargs` and the `addReply*` family), including
//! the exact text of every protocol error, so clients see the same replies they
//! would get from Redis.
//!
//! The parser is stateless: each call parses one command from the start of the
//! given buffer, and when the buffer holds only part of a command it returns
//! [`ParseError::Incomplete`] without consuming anything, so the caller simply
//! calls again once more bytes have arrived. Multibulk arguments are returned as
//! ranges into the caller's buffer (no copying, no per-command allocation once
//! the [`Args`] vectors have grown to size).

pub mod encode;
pub mod parse;

pub use encode::{format_double, Deferred, Out};
pub use parse::{
    parse_command, split_args, string2ll, Args, Limits, ParseError, UNAUTH_MAX_BULK_LEN, UNAUTH_MAX_MULTIBULK_LEN,
};
