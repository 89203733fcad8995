//! Feeds arbitrary bytes to the RDB file reader, as a snapshot file or a Redis dump.rdb found at
//! start would reach it.
//!
//! Run with `cargo fuzz run rdb_file` from the repository root (seed the corpus with the files
//! of `../shared/fixtures/rdb`). Checks: no panic; an error names an offset inside the input;
//! whatever reads whole writes back (every key through the file writer) into a file that reads
//! back to the same keys.

#![no_main]

use libfuzzer_sys::fuzz_target;
use shardis::persistence::file::{read_file, FileWriter, Item};
use shardis::persistence::rdb::Encodings;

fn keys(data: &[u8]) -> Result<Vec<(usize, Vec<u8>, shardis::store::value::Value, u64)>, usize> {
    let mut keys = Vec::new();
    read_file(data, &Encodings::default(), 0, |item| {
        if let Item::Key { db, key, value, deadline_ms, .. } = item {
            keys.push((db, key, value, deadline_ms));
        }
        Ok(())
    })
    .map(|_| keys)
    .map_err(|e| e.offset)
}

fuzz_target!(|data: &[u8]| {
    let read = match keys(data) {
        Ok(read) => read,
        Err(offset) => {
            assert!(offset <= data.len(), "offset {offset} past {} bytes", data.len());
            return;
        }
    };
    let mut f = FileWriter::new(Vec::new(), true, true, 0, 0).expect("a Vec takes writes");
    let mut db = usize::MAX;
    for (d, key, value, deadline) in &read {
        if *d != db {
            db = *d;
            f.select_db(db, 0, 0).unwrap();
        }
        f.key(key, value, *deadline).unwrap();
    }
    let (again, _) = f.finish().unwrap();
    let back = keys(&again).expect("what we write reads back");
    assert_eq!(back.len(), read.len());
    for (a, b) in back.iter().zip(&read) {
        assert_eq!((a.0, &a.1, a.3), (b.0, &b.1, b.3));
    }
});
