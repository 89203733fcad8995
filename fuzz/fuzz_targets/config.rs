//! The configuration parser: any text as a redis.conf.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = shardis::config::Config::from_str(text, "fuzz");
    }
});
