//! GEO over sorted sets, as Redis 7.0 stores it: a member's score is the 52-bit geohash of its
//! position (26 bits of longitude over [-180, 180] interleaved with 26 of latitude over
//! [-85.05112878, 85.05112878]), so GEO keys are ordinary sorted sets on both servers.
//!
//! Here so far: GEOADD (through ZADD, as Redis calls it), GEOPOS, GEODIST, GEOHASH, GEOSEARCH
//! and GEORADIUS[BYMEMBER][_RO] without STORE/STOREDIST (refused with a message saying so;
//! GEOSEARCHSTORE is not here yet). Searches scan Redis's cells in Redis's order, so unsorted
//! replies come in the same order as Redis's. Distances
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

/// The hash of a position within the given ranges at `step` bits a coordinate (latitude bits
/// even, longitude odd).
fn encode(lon: f64, lat: f64, lon_range: (f64, f64), lat_range: (f64, f64), step: u32) -> u64 {
    let lat_offset = (lat - lat_range.0) / (lat_range.1 - lat_range.0) * (1u64 << step) as f64;
    let lon_offset = (lon - lon_range.0) / (lon_range.1 - lon_range.0) * (1u64 << step) as f64;
    spread(lat_offset as u32) | (spread(lon_offset as u32) << 1)
}

/// The centre of the cell a score names: (longitude, latitude).
fn decode(score: f64) -> (f64, f64) {
    let (lon_min, lon_max, lat_min, lat_max) = cell_area(Cell { bits: score as u64, step: STEP });
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
        let bits = encode(xy[0], xy[1], (LONG_MIN, LONG_MAX), (LAT_MIN, LAT_MAX), STEP);
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
                let bits = encode(lon, lat, (-180.0, 180.0), (-90.0, 90.0), STEP);
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

// ---------------------------------------------------------------------------------------------
// Searching: Redis's boxes, in Redis's order.

const MERCATOR_MAX: f64 = 20_037_726.37;

/// The area searched: a circle (radius) or a box (width, height), in the request's unit.
#[derive(Clone, Copy)]
enum Shape {
    Radius(f64),
    Box(f64, f64),
}

/// A search: centre, shape, meters per unit.
struct Search {
    lon: f64,
    lat: f64,
    shape: Shape,
    per: f64,
}

fn deg_rad(d: f64) -> f64 {
    d * (std::f64::consts::PI / 180.0)
}

fn rad_deg(r: f64) -> f64 {
    r / (std::f64::consts::PI / 180.0)
}

/// geohashEstimateStepsByRadius.
fn steps_for(mut range: f64, lat: f64) -> u32 {
    if range == 0.0 {
        return 26;
    }
    let mut step: i32 = 1;
    while range < MERCATOR_MAX {
        range *= 2.0;
        step += 1;
    }
    step -= 2;
    if !(-66.0..=66.0).contains(&lat) {
        step -= 1;
        if !(-80.0..=80.0).contains(&lat) {
            step -= 1;
        }
    }
    step.clamp(1, 26) as u32
}

/// A cell: its interleaved bits at `step` (0, 0 for none).
#[derive(Clone, Copy, PartialEq)]
struct Cell {
    bits: u64,
    step: u32,
}

fn cell_of(lon: f64, lat: f64, step: u32) -> Cell {
    Cell { bits: encode(lon, lat, (LONG_MIN, LONG_MAX), (LAT_MIN, LAT_MAX), step), step }
}

/// (lon min, lon max, lat min, lat max) of a cell.
fn cell_area(c: Cell) -> (f64, f64, f64, f64) {
    let (ilat, ilon) = (squash(c.bits) as f64, squash(c.bits >> 1) as f64);
    let cells = (1u64 << c.step) as f64;
    let (lat_scale, lon_scale) = (LAT_MAX - LAT_MIN, LONG_MAX - LONG_MIN);
    (
        LONG_MIN + (ilon * 1.0 / cells) * lon_scale,
        LONG_MIN + ((ilon + 1.0) * 1.0 / cells) * lon_scale,
        LAT_MIN + (ilat * 1.0 / cells) * lat_scale,
        LAT_MIN + ((ilat + 1.0) * 1.0 / cells) * lat_scale,
    )
}

/// geohash_move_x / geohash_move_y: the next cell east (+1) or west (-1), north or south.
fn moved(c: Cell, dx: i8, dy: i8) -> Cell {
    let shift = 64 - c.step * 2;
    let mut bits = c.bits;
    for (d, keep, mine) in
        [(dx, 0x5555_5555_5555_5555u64, 0xaaaa_aaaa_aaaa_aaaau64), (dy, 0xaaaa_aaaa_aaaa_aaaa, 0x5555_5555_5555_5555)]
    {
        if d == 0 {
            continue;
        }
        let (mut v, other) = (bits & mine, bits & keep);
        let zz = keep >> shift;
        if d > 0 {
            v = v.wrapping_add(zz + 1);
        } else {
            v |= zz;
            v = v.wrapping_sub(zz + 1);
        }
        v &= mine >> shift;
        bits = v | other;
    }
    Cell { bits, step: c.step }
}

/// The cells to scan, in Redis's order (centre, N, S, E, W, NE, NW, SE, SW), unneeded ones
/// zeroed: geohashGetAreasByShapeWGS84.
fn cells_for(s: &Search) -> [Cell; 9] {
    let (h, w) = match s.shape {
        Shape::Radius(r) => (r * s.per, r * s.per),
        Shape::Box(w, h) => (h / 2.0 * s.per, w / 2.0 * s.per),
    };
    let lat_delta = rad_deg(h / EARTH_RADIUS_M);
    let top = rad_deg(w / EARTH_RADIUS_M / deg_rad(s.lat + lat_delta).cos());
    let bottom = rad_deg(w / EARTH_RADIUS_M / deg_rad(s.lat - lat_delta).cos());
    let south = s.lat < 0.0;
    let (min_lon, max_lon) = if south { (s.lon - bottom, s.lon + bottom) } else { (s.lon - top, s.lon + top) };
    let (min_lat, max_lat) = (s.lat - lat_delta, s.lat + lat_delta);
    let radius = match s.shape {
        Shape::Radius(r) => r,
        Shape::Box(w, h) => ((w / 2.0) * (w / 2.0) + (h / 2.0) * (h / 2.0)).sqrt(),
    } * s.per;
    let mut steps = steps_for(radius, s.lat);
    let around = |c: Cell| {
        [
            c,
            moved(c, 0, 1),
            moved(c, 0, -1),
            moved(c, 1, 0),
            moved(c, -1, 0),
            moved(c, 1, 1),
            moved(c, -1, 1),
            moved(c, 1, -1),
            moved(c, -1, -1),
        ]
    };
    let mut centre = cell_of(s.lon, s.lat, steps);
    let mut cells = around(centre);
    let decrease = cell_area(cells[1]).3 < max_lat
        || cell_area(cells[2]).2 > min_lat
        || cell_area(cells[3]).1 < max_lon
        || cell_area(cells[4]).0 > min_lon;
    if steps > 1 && decrease {
        steps -= 1;
        centre = cell_of(s.lon, s.lat, steps);
        cells = around(centre);
    }
    if steps >= 2 {
        let (lon0, lon1, lat0, lat1) = cell_area(centre);
        let none = Cell { bits: 0, step: 0 };
        if lat0 < min_lat {
            for i in [2, 8, 7] {
                cells[i] = none;
            }
        }
        if lat1 > max_lat {
            for i in [1, 5, 6] {
                cells[i] = none;
            }
        }
        if lon0 < min_lon {
            for i in [4, 8, 6] {
                cells[i] = none;
            }
        }
        if lon1 > max_lon {
            for i in [3, 7, 5] {
                cells[i] = none;
            }
        }
    }
    cells
}

/// A point found: member, distance from the centre (meters), score.
struct Found<'a> {
    member: &'a [u8],
    dist: f64,
    score: f64,
}

/// The distance of a point from the centre when the shape holds it.
fn within(s: &Search, lon: f64, lat: f64) -> Option<f64> {
    match s.shape {
        Shape::Radius(r) => {
            let d = distance(s.lon, s.lat, lon, lat);
            (d <= r * s.per).then_some(d)
        }
        Shape::Box(w, h) => {
            let lat_d = EARTH_RADIUS_M * (deg_rad(s.lat) - deg_rad(lat)).abs();
            if lat_d > h * s.per / 2.0 {
                return None;
            }
            if distance(lon, lat, s.lon, lat) > w * s.per / 2.0 {
                return None;
            }
            Some(distance(s.lon, s.lat, lon, lat))
        }
    }
}

/// Every point of `z` in the search, in Redis's order (cells, then scores); `limit` (COUNT
/// ANY) stops early.
fn search<'a>(z: &'a crate::store::zset::ZSet, s: &Search, limit: usize) -> Vec<Found<'a>> {
    let cells = cells_for(s);
    let mut found = Vec::new();
    let mut last: Option<usize> = None;
    for (i, c) in cells.iter().enumerate() {
        if c.bits == 0 && c.step == 0 {
            continue;
        }
        // Redis compares with the last box scanned only once it is not the centre (index 0).
        if let Some(l) = last.filter(|&l| l != 0) {
            if cells[l] == *c {
                continue;
            }
        }
        if limit != 0 && found.len() >= limit {
            break;
        }
        let min = (c.bits << (52 - c.step * 2)) as f64;
        let max = ((c.bits + 1) << (52 - c.step * 2)) as f64;
        let start = z.partition_point(|_, score| score < min);
        let end = z.partition_point(|_, score| score < max);
        z.for_each_in(start, end, |member, score| {
            if limit != 0 && found.len() >= limit {
                return;
            }
            let (lon, lat) = decode(score);
            if let Some(dist) = within(s, lon, lat) {
                found.push(Found { member, dist, score });
            }
        });
        last = Some(i);
    }
    found
}

/// Which search command runs: its arguments differ.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Form {
    /// GEOSEARCH key FROMMEMBER|FROMLONLAT ... BYRADIUS|BYBOX ... [options]
    Search,
    /// GEORADIUS[_RO] key lon lat radius unit [options]
    Radius { ro: bool },
    /// GEORADIUSBYMEMBER[_RO] key member radius unit [options]
    ByMember { ro: bool },
}

/// GEOSEARCH key FROMMEMBER member | FROMLONLAT lon lat BYRADIUS radius unit | BYBOX width
/// height unit [ASC|DESC] [COUNT count [ANY]] [WITHCOORD] [WITHDIST] [WITHHASH]
fn geosearch(cx: &mut KeyCx) -> R {
    search_generic(cx, Form::Search)
}

/// GEORADIUS key longitude latitude radius M|KM|FT|MI [WITHCOORD] [WITHDIST] [WITHHASH]
/// [COUNT count [ANY]] [ASC|DESC]
fn georadius(cx: &mut KeyCx) -> R {
    search_generic(cx, Form::Radius { ro: false })
}

fn georadius_ro(cx: &mut KeyCx) -> R {
    search_generic(cx, Form::Radius { ro: true })
}

/// GEORADIUSBYMEMBER key member radius M|KM|FT|MI [options as GEORADIUS]
fn georadiusbymember(cx: &mut KeyCx) -> R {
    search_generic(cx, Form::ByMember { ro: false })
}

fn georadiusbymember_ro(cx: &mut KeyCx) -> R {
    search_generic(cx, Form::ByMember { ro: true })
}

/// A radius argument pair (`need numeric radius`, not negative, a unit), as GEORADIUS reads it.
fn radius_args(argv: &super::Argv, at: usize) -> Result<(f64, f64), CmdError> {
    let r = zsets::parse_double(argv.get(at)).ok_or_else(|| CmdError::other("ERR need numeric radius"))?;
    if r < 0.0 {
        return Err(CmdError::other("ERR radius cannot be negative"));
    }
    Ok((r, unit(argv.get(at + 1))?))
}

fn lon_lat(argv: &super::Argv, at: usize) -> Result<(f64, f64), CmdError> {
    let float =
        |i: usize| zsets::parse_double(argv.get(i)).ok_or_else(|| CmdError::other("ERR value is not a valid float"));
    let (lon, lat) = (float(at)?, float(at + 1)?);
    if !(LONG_MIN..=LONG_MAX).contains(&lon) || !(LAT_MIN..=LAT_MAX).contains(&lat) {
        return Err(CmdError::other(format!("ERR invalid longitude,latitude pair {lon:.6},{lat:.6}")));
    }
    Ok((lon, lat))
}

/// Redis's georadiusGeneric for the forms that answer (STORE is not here yet): the key is
/// looked up and its type checked first, then the arguments, then the search.
fn search_generic(cx: &mut KeyCx, form: Form) -> R {
    let argv = cx.argv;
    let key = argv.get(1);
    let exists = match cx.core.read(cx.db, key) {
        Some((v, _)) if v.kind() != Kind::ZSet => return Err(CmdError::WrongType),
        found => found.is_some(),
    };
    let number = |i: usize, what: &str| {
        zsets::parse_double(argv.get(i)).ok_or_else(|| CmdError::other(format!("ERR need numeric {what}")))
    };
    let (mut from_member, mut from_lonlat, mut shape, mut per) = (None, None, None, 1.0);
    let mut i = match form {
        Form::Search => 2,
        Form::Radius { .. } => {
            from_lonlat = Some(lon_lat(&argv, 2)?);
            let (r, p) = radius_args(&argv, 4)?;
            (shape, per) = (Some(Shape::Radius(r)), p);
            6
        }
        Form::ByMember { .. } => {
            from_member = Some(argv.get(2));
            if exists {
                // Redis decodes the member before it reads the radius.
                let known =
                    cx.core.peek(cx.db, key).and_then(|(v, _)| Value::as_zset_mut(v)?.score(argv.get(2))).is_some();
                if !known {
                    return Err(CmdError::other("ERR could not decode requested zset member"));
                }
                let (r, p) = radius_args(&argv, 3)?;
                (shape, per) = (Some(Shape::Radius(r)), p);
            }
            5
        }
    };
    // Some(true): ASC, Some(false): DESC (the last one given wins).
    let (mut order, mut count, mut any) = (None, 0usize, false);
    let (mut with_coord, mut with_dist, mut with_hash, mut store) = (false, false, false, false);
    let is_search = form == Form::Search;
    while i < argv.len() {
        let a = argv.get(i).to_ascii_lowercase();
        let left = argv.len() - i - 1;
        match &a[..] {
            b"withdist" => with_dist = true,
            b"withhash" => with_hash = true,
            b"withcoord" => with_coord = true,
            b"any" => any = true,
            b"asc" => order = Some(true),
            b"desc" => order = Some(false),
            b"count" if left >= 1 => {
                let n = super::int_arg(argv.get(i + 1))?;
                if n <= 0 {
                    return Err(CmdError::other("ERR COUNT must be > 0"));
                }
                count = n as usize;
                i += 1;
            }
            b"store" | b"storedist"
                if left >= 1 && matches!(form, Form::Radius { ro: false } | Form::ByMember { ro: false }) =>
            {
                store = true;
                i += 1;
            }
            b"frommember" if is_search && left >= 1 && from_member.is_none() && from_lonlat.is_none() => {
                from_member = Some(argv.get(i + 1));
                i += 1;
            }
            b"fromlonlat" if is_search && left >= 2 && from_member.is_none() && from_lonlat.is_none() => {
                from_lonlat = Some(lon_lat(&argv, i + 1)?);
                i += 2;
            }
            b"byradius" if is_search && left >= 2 && shape.is_none() => {
                let r = number(i + 1, "radius")?;
                if r < 0.0 {
                    return Err(CmdError::other("ERR radius cannot be negative"));
                }
                per = unit(argv.get(i + 2))?;
                shape = Some(Shape::Radius(r));
                i += 2;
            }
            b"bybox" if is_search && left >= 3 && shape.is_none() => {
                let (w, h) = (number(i + 1, "width")?, number(i + 2, "height")?);
                if w < 0.0 || h < 0.0 {
                    return Err(CmdError::other("ERR height or width cannot be negative"));
                }
                per = unit(argv.get(i + 3))?;
                shape = Some(Shape::Box(w, h));
                i += 3;
            }
            _ => return Err(CmdError::Syntax),
        }
        i += 1;
    }
    if is_search && from_member.is_none() && from_lonlat.is_none() {
        return Err(CmdError::other("ERR exactly one of FROMMEMBER or FROMLONLAT can be specified for geosearch"));
    }
    if is_search && shape.is_none() {
        return Err(CmdError::other("ERR exactly one of BYRADIUS and BYBOX can be specified for geosearch"));
    }
    if store && (with_dist || with_hash || with_coord) {
        return Err(CmdError::other(
            "ERR STORE option in GEORADIUS is not compatible with WITHDIST, WITHHASH and WITHCOORD options",
        ));
    }
    if any && count == 0 {
        return Err(CmdError::other("ERR the ANY argument requires COUNT argument"));
    }
    if store {
        return Err(CmdError::other("ERR GEORADIUS STORE and STOREDIST are not supported yet: use GEOSEARCH"));
    }
    // Looked up (and counted) once already.
    let Some((v, _)) = cx.core.peek(cx.db, key) else {
        cx.out.array(0);
        return Ok(());
    };
    let z = Value::as_zset_mut(v).expect("a sorted set");
    let (lon, lat) = match (from_lonlat, from_member) {
        (Some(xy), _) => xy,
        (None, Some(m)) => match z.score(m) {
            Some(score) => decode(score),
            None => return Err(CmdError::other("ERR could not decode requested zset member")),
        },
        _ => unreachable!("checked above"),
    };
    let s = Search { lon, lat, shape: shape.expect("checked above"), per };
    let mut found = search(z, &s, if any { count } else { 0 });
    // COUNT without an order means the nearest ones (not with ANY: the first ones found).
    if order.is_none() && count != 0 && !any {
        order = Some(true);
    }
    // Points at the same distance keep the order they were found in; Redis's qsort (glibc's,
    // not stable) may swap them.
    match order {
        Some(true) => found.sort_by(|a, b| a.dist.partial_cmp(&b.dist).unwrap_or(std::cmp::Ordering::Equal)),
        Some(false) => found.sort_by(|a, b| b.dist.partial_cmp(&a.dist).unwrap_or(std::cmp::Ordering::Equal)),
        None => {}
    }
    if count != 0 {
        found.truncate(count);
    }
    let fields = with_dist as usize + with_hash as usize + with_coord as usize;
    let mut text = String::new();
    cx.out.array(found.len());
    for f in &found {
        if fields == 0 {
            cx.out.bulk(f.member);
            continue;
        }
        cx.out.array(fields + 1);
        cx.out.bulk(f.member);
        if with_dist {
            // A bulk string in RESP3 too, as Redis sends distances.
            use std::fmt::Write;
            text.clear();
            let _ = write!(text, "{:.4}", f.dist / per);
            cx.out.bulk(text.as_bytes());
        }
        if with_hash {
            cx.out.int(f.score as i64);
        }
        if with_coord {
            let (lon, lat) = decode(f.score);
            cx.out.array(2);
            cx.out.double_text(human(lon).as_bytes());
            cx.out.double_text(human(lat).as_bytes());
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
    cmd("geosearch", -7, READONLY, (1, 1, 1), RG, Handler::Key(geosearch)),
    cmd("georadius", -6, WRITE | DENYOOM | MOVABLEKEYS | SIGNALS, (1, 1, 1), WG, Handler::Key(georadius)),
    cmd("georadius_ro", -6, READONLY, (1, 1, 1), RG, Handler::Key(georadius_ro)),
    cmd(
        "georadiusbymember",
        -5,
        WRITE | DENYOOM | MOVABLEKEYS | SIGNALS,
        (1, 1, 1),
        WG,
        Handler::Key(georadiusbymember),
    ),
    cmd("georadiusbymember_ro", -5, READONLY, (1, 1, 1), RG, Handler::Key(georadiusbymember_ro)),
];
