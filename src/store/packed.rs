//! Length-prefixed strings, the entry format of every compact encoding here (a small hash's
//! pairs, a list node's elements, a small sorted set's members): a LEB128 length, then the bytes.

/// Appends `n` as a LEB128 varint (7 bits a byte, low first).
pub fn put_varint(buf: &mut Vec<u8>, mut n: u64) {
    while n >= 0x80 {
        buf.push((n as u8) | 0x80);
        n >>= 7;
    }
    buf.push(n as u8);
}

/// The varint at `at`, and where what follows it starts.
pub fn read_varint(buf: &[u8], mut at: usize) -> (u64, usize) {
    let (mut n, mut shift) = (0u64, 0);
    loop {
        let byte = buf[at];
        at += 1;
        n |= u64::from(byte & 0x7f) << shift;
        if byte < 0x80 {
            return (n, at);
        }
        shift += 7;
    }
}

/// Appends `s` with its length prefix.
pub fn put_str(buf: &mut Vec<u8>, s: &[u8]) {
    put_varint(buf, s.len() as u64);
    buf.extend_from_slice(s);
}

/// `s` with its length prefix, as a fresh buffer.
pub fn encode_str(s: &[u8]) -> Vec<u8> {
    let mut buf = Vec::with_capacity(encoded_size(s));
    put_str(&mut buf, s);
    buf
}

/// The string that starts (with its length prefix) at `at`: the range of its bytes. The next
/// string starts at the range's end.
pub fn read_str(buf: &[u8], at: usize) -> (usize, usize) {
    let (n, at) = read_varint(buf, at);
    (at, at + n as usize)
}

/// Bytes `s` takes with its length prefix.
pub fn encoded_size(s: &[u8]) -> usize {
    let mut n = s.len();
    let mut size = 1;
    while n >= 0x80 {
        n >>= 7;
        size += 1;
    }
    size + s.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_every_prefix_width() {
        let strings: Vec<Vec<u8>> =
            [0usize, 1, 127, 128, 300, 16383, 16384, 70000].iter().map(|&n| vec![b'x'; n]).collect();
        let mut buf = Vec::new();
        for s in &strings {
            put_str(&mut buf, s);
        }
        assert_eq!(buf.len(), strings.iter().map(|s| encoded_size(s)).sum::<usize>());
        let mut at = 0;
        for s in &strings {
            let (start, end) = read_str(&buf, at);
            assert_eq!(&buf[start..end], &s[..]);
            assert_eq!(encode_str(s), buf[at..end]);
            at = end;
        }
        assert_eq!(at, buf.len());
    }
}
