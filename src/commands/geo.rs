//! GEO over sorted sets, as Redis 7.0 stores it: a member's score is the 52-bit geohash of its
//! position (26 bits of longitude over [-180, 180] interleaved with 26 of latitude over
//! [-85.05112878, 85.05112878]), so GEO keys are ordinary sorted sets on both servers.
//!
//! Here so far: GEOADD (through ZADD, as Redis calls it), GEOPOS, GEODIST and GEOHASH. Distances
//! use Redis's haversine formula and Earth radius, and replies Redis's formatting.

use super::flag::*;
use super::{cmd, zsets, Handler, KeyCx, Spec};
use crate::error::CmdError;
use crate::store::value::{Kind, Value};

type R = Result<(), CmdError>;

const LONG_MIN: f64 = -180.0;
const LONG_MAX: f64 = 180.0;
const LAT_MIN: f64 = -85.051_128_78;
const LAT_MAX: f64 = 85.051_128_78;
const STEP: u32 = 26;
const EARTH_RADIUS_M: f64 = 6_372_797.560_856;

/// Spreads the 32 bits of `v` over the even bits of a u64.
fn spread(v: u32) -> u64 {
    let mut x = v as u64;
    x = (x | (x << 16)) & 0x0000_FFFF_0000_FFFF;
    x = (x | (x << 8)) & 0x00FF_00FF_00FF_00FF;
    x = (x | (x << 4)) & 0x0F0F_0F0F_0F0F_0F0F;
    x = (x | (x << 2)) & 0x3333_3333_3333_3333;
    (x | (x << 1)) & 0x5555_5555_5555_5555
}

/// The even bits of `x`, packed.
fn squash(x: u64) -> u32 {
    let mut x = x & 0x5555_5555_5555_5555;
    x = (x | (x >> 1)) & 0x3333_3333_3333_3333;
    x = (x | (x >> 2)) & 0x0F0F_0F0F_0F0F_0F0F;
    x = (x | (x >> 4)) & 0x00FF_00FF_00FF_00FF;
    x = (x | (x >> 8)) & 0x0000_FFFF_0000_FFFF;
    ((x | (x >> 16)) & 0x0000_0000_FFFF_FFFF) as u32
}

/// The 52-bit hash of a position within the given ranges (latitude bits even, longitude odd).
fn encode(lon: f64, lat: f64, lon_range: (f64, f64), lat_range: (f64, f64)) -> u64 {
    let lat_offset = (lat - lat_range.0) / (lat_range.1 - lat_range.0) * (1u64 << STEP) as f64;
    let lon_offset = (lon - lon_range.0) / (lon_range.1 - lon_range.0) * (1u64 << STEP) as f64;
    spread(lat_offset as u32) | (spread(lon_offset as u32) << 1)
}

/// The centre of the cell a score names: (longitude, latitude).
fn decode(score: f64) -> (f64, f64) {
    let bits = score as u64;
    let (ilat, ilon) = (squash(bits), squash(bits >> 1));
    let cells = (1u64 << STEP) as f64;
    let (lat_scale, lon_scale) = (LAT_MAX - LAT_MIN, LONG_MAX - LONG_MIN);
    let lat_min = LAT_MIN + (ilat as f64 * 1.0 / cells) * lat_scale;
    let lat_max = LAT_MIN + ((ilat as f64 + 1.0) * 1.0 / cells) * lat_scale;
    let lon_min = LONG_MIN + (ilon as f64 * 1.0 / cells) * lon_scale;
    let lon_max = LONG_MIN + ((ilon as f64 + 1.0) * 1.0 / cells) * lon_scale;
    let lon = ((lon_min + lon_max) / 2.0).clamp(LONG_MIN, LONG_MAX);
    let lat = ((lat_min + lat_max) / 2.0).clamp(LAT_MIN, LAT_MAX);
    (lon, lat)
}

/// Redis's haversine distance in meters.
fn distance(lon1: f64, lat1: f64, lon2: f64, lat2: f64) -> f64 {
    let rad = |d: f64| d * (std::f64::consts::PI / 180.0);
    let (lat1r, lon1r, lat2r, lon2r) = (rad(lat1), rad(lon1), rad(lat2), rad(lon2));
    let u = ((lat2r - lat1r) / 2.0).sin();
    let v = ((lon2r - lon1r) / 2.0).sin();
    2.0 * EARTH_RADIUS_M * (u * u + lat1r.cos() * lat2r.cos() * v * v).sqrt().asin()
}

/// A unit argument: meters per unit.
fn unit(arg: &[u8]) -> Result<f64, CmdError> {
    match &arg.to_ascii_lowercase()[..] {
        b"m" => Ok(1.0),
        b"km" => Ok(1000.0),
        b"ft" => Ok(0.3048),
        b"mi" => Ok(1609.34),
        _ => Err(CmdError::other("ERR unsupported unit provided. please use M, KM, FT, MI")),
    }
}

/// Redis's long double "human" form: 17 decimals, trailing zeros (and a trailing dot) cut.
fn human(d: f64) -> String {
    let mut s = format!("{d:.17}");
    if s.contains('.') {
        while s.ends_with('0') {
            s.pop();
        }
        if s.ends_with('.') {
            s.pop();
        }
    }
    if s == "-0" {
        s = "0".into();
    }
    s
}

/// GEOADD key [NX|XX] [CH] longitude latitude member [...]: ZADD with each position's hash as
/// the score, as Redis runs it.
fn geoadd(cx: &mut KeyCx) -> R {
    let argv = cx.argv;
    let mut at = 2;
    let (mut nx, mut xx) = (false, false);
    while at < argv.len() {
        let a = argv.get(at);
        if a.eq_ignore_ascii_case(b"nx") {
            nx = true;
        } else if a.eq_ignore_ascii_case(b"xx") {
            xx = true;
        } else if !a.eq_ignore_ascii_case(b"ch") {
            break;
        }
        at += 1;
    }
    if !(argv.len() - at).is_multiple_of(3) || (nx && xx) {
        return Err(CmdError::Syntax);
    }
    let mut buf: Vec<u8> = Vec::new();
    let mut ranges: Vec<(u32, u32)> = Vec::new();
    let mut push = |buf: &mut Vec<u8>, bytes: &[u8]| {
        let start = buf.len() as u32;
        buf.extend_from_slice(bytes);
        ranges.push((start, buf.len() as u32));
    };
    push(&mut buf, b"zadd");
    for i in 1..at {
        push(&mut buf, argv.get(i));
    }
    for e in 0..(argv.len() - at) / 3 {
        let mut xy = [0.0; 2];
        for (k, v) in xy.iter_mut().enumerate() {
            *v = zsets::parse_double(argv.get(at + 3 * e + k))
                .ok_or_else(|| CmdError::other("ERR value is not a valid float"))?;
        }
        if !(LONG_MIN..=LONG_MAX).contains(&xy[0]) || !(LAT_MIN..=LAT_MAX).contains(&xy[1]) {
            return Err(CmdError::other(format!("ERR invalid longitude,latitude pair {:.6},{:.6}", xy[0], xy[1])));
        }
        let bits = encode(xy[0], xy[1], (LONG_MIN, LONG_MAX), (LAT_MIN, LAT_MAX));
        push(&mut buf, itoa::Buffer::new().format(bits).as_bytes());
        push(&mut buf, argv.get(at + 3 * e + 2));
    }
    let mut zadd = KeyCx { core: &mut *cx.core, db: cx.db, argv: super::Argv::new(&buf, &ranges), out: &mut *cx.out };
    zsets::zadd_generic(&mut zadd, false)
}

/// Each member's score, None when it or the key is missing.
fn scores(cx: &mut KeyCx, first: usize) -> Result<Vec<Option<f64>>, CmdError> {
    let key = cx.argv.get(1);
    let members: Vec<&[u8]> = (first..cx.argv.len()).map(|i| cx.argv.get(i)).collect();
    match cx.core.read(cx.db, key) {
        Some((v, _)) if v.kind() != Kind::ZSet => Err(CmdError::WrongType),
        Some((v, _)) => {
            let z = Value::as_zset_mut(v).expect("a sorted set");
            Ok(members.iter().map(|m| z.score(m)).collect())
        }
        None => Ok(vec![None; members.len()]),
    }
}

/// GEOPOS key [member ...]
fn geopos(cx: &mut KeyCx) -> R {
    let found = scores(cx, 2)?;
    cx.out.array(found.len());
    for s in found {
        match s {
            None => cx.out.null_array(),
            Some(score) => {
                let (lon, lat) = decode(score);
                cx.out.array(2);
                for d in [lon, lat] {
                    cx.out.double_text(human(d).as_bytes());
                }
            }
        }
    }
    Ok(())
}

/// GEODIST key member1 member2 [M|KM|FT|MI]
fn geodist(cx: &mut KeyCx) -> R {
    let per = match cx.argv.len() {
        4 => 1.0,
        5 => unit(cx.argv.get(4))?,
        _ => return Err(CmdError::Syntax),
    };
    let found = scores(cx, 2)?;
    match (found[0], found[1]) {
        (Some(a), Some(b)) => {
            let ((lon1, lat1), (lon2, lat2)) = (decode(a), decode(b));
            let d = distance(lon1, lat1, lon2, lat2) / per;
            cx.out.bulk(format!("{d:.4}").as_bytes());
        }
        _ => cx.out.null(),
    }
    Ok(())
}

/// GEOHASH key [member ...]: standard 11-character geohashes (re-encoded over latitude
/// [-90, 90], the last character always from zero bits, as Redis answers).
fn geohash(cx: &mut KeyCx) -> R {
    const ALPHABET: &[u8] = b"0123456789bcdefghjkmnpqrstuvwxyz";
    let found = scores(cx, 2)?;
    cx.out.array(found.len());
    for s in found {
        match s {
            None => cx.out.null(),
            Some(score) => {
                let (lon, lat) = decode(score);
                let bits = encode(lon, lat, (-180.0, 180.0), (-90.0, 90.0));
                let text: Vec<u8> =
                    (0..11)
                        .map(|i| {
                            if i == 10 {
                                ALPHABET[0]
                            } else {
                                ALPHABET[((bits >> (52 - (i + 1) * 5)) & 0x1f) as usize]
                            }
                        })
                        .collect();
                cx.out.bulk(&text);
            }
        }
    }
    Ok(())
}

const WG: &[&str] = &["@write", "@geo", "@slow"];
const RG: &[&str] = &["@read", "@geo", "@slow"];

pub const SPECS: &[Spec] = &[
    cmd("geoadd", -5, WRITE | DENYOOM, (1, 1, 1), WG, Handler::Key(geoadd)),
    cmd("geopos", -2, READONLY, (1, 1, 1), RG, Handler::Key(geopos)),
    cmd("geodist", -4, READONLY, (1, 1, 1), RG, Handler::Key(geodist)),
    cmd("geohash", -2, READONLY, (1, 1, 1), RG, Handler::Key(geohash)),
];
