//! Lua scripting: EVAL/EVALSHA/SCRIPT and FUNCTION/FCALL, one Lua 5.1 VM per shard.

pub mod libs;
