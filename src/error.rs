//! Command errors and the one place that turns them into Redis's reply texts.
//!
//! Every text here is byte-identical to Redis 7.0's (checked against Debian's redis-server 7.0.15).
//! The reply carries the text after the leading `-`; the first word is the error code that
//! `INFO errorstats` counts.

use thiserror::Error;

/// Why a command failed. `Display` is the exact reply text without the leading `-`.
#[derive(Clone, Debug, Error, PartialEq)]
pub enum CmdError {
    #[error("ERR syntax error")]
    Syntax,
    #[error("ERR value is not an integer or out of range")]
    NotInteger,
    #[error("ERR value is out of range, must be positive")]
    NotPositive,
    #[error("ERR timeout is not a float or out of range")]
    TimeoutNotFloat,
    #[error("WRONGTYPE Operation against a key holding the wrong kind of value")]
    WrongType,
    #[error("NOAUTH Authentication required.")]
    NoAuth,
    #[error("WRONGPASS invalid username-password pair or user is disabled.")]
    WrongPass,
    #[error("ERR wrong number of arguments for '{0}' command")]
    WrongArity(String),
    #[error("ERR unknown subcommand '{sub}'. Try {container} HELP.")]
    UnknownSubcommand { sub: String, container: String },
    #[error("ERR DB index is out of range")]
    DbIndexOutOfRange,
    /// Redis's getIntFromObjectOrReply: an integer, but not one that fits a C `int`.
    #[error("ERR value is out of range, value must between -2147483648 and 2147483647")]
    NotInt32,
    /// Any other text, already in Redis's wording (code word first).
    #[error("{0}")]
    Other(String),
}

impl CmdError {
    pub fn other(text: impl Into<String>) -> Self {
        CmdError::Other(text.into())
    }

    /// Redis's "unknown subcommand" error: the subcommand is cut at 128 bytes, the container
    /// name upper-cased.
    pub fn unknown_subcommand(container: &str, sub: &[u8]) -> Self {
        CmdError::UnknownSubcommand {
            sub: lossy(&sub[..sub.len().min(128)]),
            container: container.to_ascii_uppercase(),
        }
    }
}

/// Bytes from a client shown inside an error text, as Redis does with `%.128s` and friends.
pub fn lossy(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Redis's "unknown command" text: the name and the first arguments, quoted, until the listed
/// arguments pass 128 bytes.
pub fn unknown_command(name: &[u8], args: &mut dyn Iterator<Item = &[u8]>) -> String {
    let mut text = format!("ERR unknown command '{}', with args beginning with: ", lossy(&name[..name.len().min(128)]));
    // Redis appends `'%.*s' ` while the listed part is under 128 bytes, each argument cut to
    // what is left of those 128.
    let mut listed = String::new();
    for arg in args {
        if listed.len() >= 128 {
            break;
        }
        let shown = &arg[..arg.len().min(128 - listed.len())];
        listed.push('\'');
        listed.push_str(&lossy(shown));
        listed.push_str("' ");
    }
    text.push_str(&listed);
    text
}

/// The error code that `INFO errorstats` files an error under: its first word, as Redis does.
pub fn error_code(text: &[u8]) -> &[u8] {
    let end = memchr::memchr(b' ', text).unwrap_or(text.len());
    &text[..end]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn texts() {
        assert_eq!(CmdError::WrongArity("get".into()).to_string(), "ERR wrong number of arguments for 'get' command");
        assert_eq!(
            CmdError::unknown_subcommand("client", b"foo").to_string(),
            "ERR unknown subcommand 'foo'. Try CLIENT HELP."
        );
        let args: Vec<&[u8]> = vec![b"a", b"b"];
        assert_eq!(
            unknown_command(b"foo", &mut args.into_iter()),
            "ERR unknown command 'foo', with args beginning with: 'a' 'b' "
        );
        assert_eq!(error_code(b"WRONGTYPE Operation"), b"WRONGTYPE");
    }
}
