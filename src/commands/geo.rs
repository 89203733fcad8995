//! GEO over sorted sets, as Redis 7.0 stores it: a member's score is the 52-bit geohash of its
//! position (26 bits of longitude over [-180, 180] interleaved with 26 of latitude over
//! [-85.05112878, 85.05112878]), so GEO keys are ordinary sorted sets on both servers.
//!
//! GEOADD (through ZADD, as Redis calls it), GEOPOS, GEODIST, GEOHASH, GEOSEARCH, GEOSEARCHSTORE
//! and GEORADIUS[BYMEMBER][_RO] with STORE/STOREDIST. Searches scan Redis's cells in Redis's
//! order, so unsorted replies come in the same order as Redis's. Distances use Redis's
//! haversine formula and Earth radius, and replies Redis's formatting.
//!
//! A STORE form whose destination lives on another shard runs as one transaction
//! (`zsets::store_picked`): the search on the source's shard, the store on the destination's.
//! GEORADIUS names its STORE key among its options, so its spec's `more_keys` shows the router
//! where.

use super::flag::*;
use super::{cmd, multi, zsets, Argv, Cx, Flow, Handler, KeyCx, Spec};
use crate::error::CmdError;
use crate::store::value::{Kind, Value};
use crate::store::zset::ZSet;

type R = Result<(), CmdError>;
type F = Result<Flow, CmdError>;

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
    Origin::at(lon1, lat1).distance(lon2, lat2)
}

/// A point distances are measured from, with what Redis's haversine computes of it for every
/// point done once (the same operations in the same order, so the same bits).
#[derive(Clone, Copy)]
struct Origin {
    lon_r: f64,
    lat_r: f64,
    cos_lat: f64,
}

impl Origin {
    fn at(lon: f64, lat: f64) -> Origin {
        let lat_r = deg_rad(lat);
        Origin { lon_r: deg_rad(lon), lat_r, cos_lat: lat_r.cos() }
    }

    fn distance(&self, lon: f64, lat: f64) -> f64 {
        let (lat2r, lon2r) = (deg_rad(lat), deg_rad(lon));
        let u = ((lat2r - self.lat_r) / 2.0).sin();
        let v = ((lon2r - self.lon_r) / 2.0).sin();
        2.0 * EARTH_RADIUS_M * (u * u + self.cos_lat * lat2r.cos() * v * v).sqrt().asin()
    }
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
    /// The centre, for distances.
    origin: Origin,
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
            let limit = r * s.per;
            // The great-circle distance is at least the distance along the meridian, so a point
            // that far in latitude alone is out without the haversine. The margin is far above
            // the haversine's rounding: only points Redis rejects too are skipped this way.
            if EARTH_RADIUS_M * (deg_rad(lat) - s.origin.lat_r).abs() > limit * (1.0 + 1e-9) + 1e-6 {
                return None;
            }
            let d = s.origin.distance(lon, lat);
            (d <= limit).then_some(d)
        }
        Shape::Box(w, h) => {
            let lat_d = EARTH_RADIUS_M * (deg_rad(s.lat) - deg_rad(lat)).abs();
            if lat_d > h * s.per / 2.0 {
                return None;
            }
            if distance(lon, lat, s.lon, lat) > w * s.per / 2.0 {
                return None;
            }
            Some(s.origin.distance(lon, lat))
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
    /// GEOSEARCHSTORE dst src FROMMEMBER|FROMLONLAT ... BYRADIUS|BYBOX ... [options] [STOREDIST]
    SearchStore,
    /// GEORADIUS[_RO] key lon lat radius unit [options]
    Radius { ro: bool },
    /// GEORADIUSBYMEMBER[_RO] key member radius unit [options]
    ByMember { ro: bool },
}

impl Form {
    /// Where the searched key is.
    fn source(self) -> usize {
        if self == Form::SearchStore {
            2
        } else {
            1
        }
    }

    /// The event a store sends.
    fn event(self) -> &'static str {
        if self == Form::SearchStore {
            "geosearchstore"
        } else {
            "georadiusstore"
        }
    }
}

/// GEOSEARCH key FROMMEMBER member | FROMLONLAT lon lat BYRADIUS radius unit | BYBOX width
/// height unit [ASC|DESC] [COUNT count [ANY]] [WITHCOORD] [WITHDIST] [WITHHASH]
fn geosearch(cx: &mut KeyCx) -> R {
    search_generic(cx, Form::Search)
}

/// GEOSEARCHSTORE dst src FROMMEMBER member | FROMLONLAT lon lat BYRADIUS radius unit | BYBOX
/// width height unit [ASC|DESC] [COUNT count [ANY]] [STOREDIST] (both keys here)
fn geosearchstore(cx: &mut KeyCx) -> R {
    search_generic(cx, Form::SearchStore)
}

/// GEORADIUS key longitude latitude radius M|KM|FT|MI [WITHCOORD] [WITHDIST] [WITHHASH]
/// [COUNT count [ANY]] [ASC|DESC] [STORE key | STOREDIST key]
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
fn radius_args(argv: &Argv, at: usize) -> Result<(f64, f64), CmdError> {
    let r = zsets::parse_double(argv.get(at)).ok_or_else(|| CmdError::other("ERR need numeric radius"))?;
    if r < 0.0 {
        return Err(CmdError::other("ERR radius cannot be negative"));
    }
    Ok((r, unit(argv.get(at + 1))?))
}

fn lon_lat(argv: &Argv, at: usize) -> Result<(f64, f64), CmdError> {
    let float =
        |i: usize| zsets::parse_double(argv.get(i)).ok_or_else(|| CmdError::other("ERR value is not a valid float"));
    let (lon, lat) = (float(at)?, float(at + 1)?);
    if !(LONG_MIN..=LONG_MAX).contains(&lon) || !(LAT_MIN..=LAT_MAX).contains(&lat) {
        return Err(CmdError::other(format!("ERR invalid longitude,latitude pair {lon:.6},{lat:.6}")));
    }
    Ok((lon, lat))
}

/// What a search command asks for, as Redis's georadiusGeneric parses it.
struct Query<'a> {
    from_member: Option<&'a [u8]>,
    from_lonlat: Option<(f64, f64)>,
    shape: Shape,
    /// Meters per unit.
    per: f64,
    /// Some(true): ASC, Some(false): DESC.
    order: Option<bool>,
    count: usize,
    any: bool,
    with_coord: bool,
    with_dist: bool,
    with_hash: bool,
    /// Where the result is stored instead of replied: the key's position, and whether the
    /// scores stored are distances (STOREDIST) rather than the members' own.
    store: Option<(usize, bool)>,
}

/// The position of a GEORADIUS[BYMEMBER] STORE/STOREDIST key, found as the command's parser
/// finds it (the last one wins) from `first` (where the options start); the router needs it
/// before the command runs.
fn store_key(argv: &Argv, first: usize) -> Option<usize> {
    let mut found = None;
    let mut i = first;
    while i + 1 < argv.len() {
        if argv.is(i, "store") || argv.is(i, "storedist") {
            found = Some(i + 1);
            i += 1;
        } else if argv.is(i, "count") {
            i += 1;
        }
        i += 1;
    }
    found
}

/// GEORADIUS key lon lat radius unit [options]: its STORE key.
fn radius_store_key(argv: &Argv) -> Option<usize> {
    store_key(argv, 6)
}

/// GEORADIUSBYMEMBER key member radius unit [options]: its STORE key.
fn bymember_store_key(argv: &Argv) -> Option<usize> {
    store_key(argv, 5)
}

/// Parses a search command's arguments. `z` is the searched set (already looked up and of the
/// right type): GEORADIUSBYMEMBER decodes its member before it reads the radius, as Redis does.
fn parse<'a>(argv: &Argv<'a>, form: Form, z: Option<&ZSet>) -> Result<Query<'a>, CmdError> {
    let number = |i: usize, what: &str| {
        zsets::parse_double(argv.get(i)).ok_or_else(|| CmdError::other(format!("ERR need numeric {what}")))
    };
    let mut q = Query {
        from_member: None,
        from_lonlat: None,
        shape: Shape::Radius(0.0),
        per: 1.0,
        order: None,
        count: 0,
        any: false,
        with_coord: false,
        with_dist: false,
        with_hash: false,
        store: (form == Form::SearchStore).then_some((1, false)),
    };
    let mut shape = None;
    let mut i = match form {
        Form::Search => 2,
        Form::SearchStore => 3,
        Form::Radius { .. } => {
            q.from_lonlat = Some(lon_lat(argv, 2)?);
            let (r, p) = radius_args(argv, 4)?;
            (shape, q.per) = (Some(Shape::Radius(r)), p);
            6
        }
        Form::ByMember { .. } => {
            q.from_member = Some(argv.get(2));
            if let Some(z) = z {
                if z.score(argv.get(2)).is_none() {
                    return Err(CmdError::other("ERR could not decode requested zset member"));
                }
                let (r, p) = radius_args(argv, 3)?;
                (shape, q.per) = (Some(Shape::Radius(r)), p);
            }
            5
        }
    };
    let is_search = matches!(form, Form::Search | Form::SearchStore);
    let radius_store = matches!(form, Form::Radius { ro: false } | Form::ByMember { ro: false });
    while i < argv.len() {
        let a = argv.get(i).to_ascii_lowercase();
        let left = argv.len() - i - 1;
        match &a[..] {
            b"withdist" => q.with_dist = true,
            b"withhash" => q.with_hash = true,
            b"withcoord" => q.with_coord = true,
            b"any" => q.any = true,
            b"asc" => q.order = Some(true),
            b"desc" => q.order = Some(false),
            b"count" if left >= 1 => {
                let n = super::int_arg(argv.get(i + 1))?;
                if n <= 0 {
                    return Err(CmdError::other("ERR COUNT must be > 0"));
                }
                q.count = n as usize;
                i += 1;
            }
            b"store" if left >= 1 && radius_store => {
                q.store = Some((i + 1, false));
                i += 1;
            }
            b"storedist" if left >= 1 && radius_store => {
                q.store = Some((i + 1, true));
                i += 1;
            }
            b"storedist" if form == Form::SearchStore => q.store = Some((1, true)),
            // A repeated FROM* or BY* option replaces the earlier one; the other kind is an error.
            b"frommember" if is_search && left >= 1 && q.from_lonlat.is_none() => {
                let member = argv.get(i + 1);
                // Redis decodes the member as it reads it, before any later option.
                if z.is_some_and(|z| z.score(member).is_none()) {
                    return Err(CmdError::other("ERR could not decode requested zset member"));
                }
                q.from_member = Some(member);
                i += 1;
            }
            b"fromlonlat" if is_search && left >= 2 && q.from_member.is_none() => {
                q.from_lonlat = Some(lon_lat(argv, i + 1)?);
                i += 2;
            }
            b"byradius" if is_search && left >= 2 && !matches!(shape, Some(Shape::Box(..))) => {
                let r = number(i + 1, "radius")?;
                if r < 0.0 {
                    return Err(CmdError::other("ERR radius cannot be negative"));
                }
                q.per = unit(argv.get(i + 2))?;
                shape = Some(Shape::Radius(r));
                i += 2;
            }
            b"bybox" if is_search && left >= 3 && !matches!(shape, Some(Shape::Radius(_))) => {
                let (w, h) = (number(i + 1, "width")?, number(i + 2, "height")?);
                if w < 0.0 || h < 0.0 {
                    return Err(CmdError::other("ERR height or width cannot be negative"));
                }
                q.per = unit(argv.get(i + 3))?;
                shape = Some(Shape::Box(w, h));
                i += 3;
            }
            _ => return Err(CmdError::Syntax),
        }
        i += 1;
    }
    if q.store.is_some() && (q.with_dist || q.with_hash || q.with_coord) {
        return Err(CmdError::other(if form == Form::SearchStore {
            "ERR GEOSEARCHSTORE is not compatible with WITHDIST, WITHHASH and WITHCOORD options"
        } else {
            "ERR STORE option in GEORADIUS is not compatible with WITHDIST, WITHHASH and WITHCOORD options"
        }));
    }
    // The command's name as the client wrote it, as Redis words these two.
    let typed = || String::from_utf8_lossy(argv.get(0)).into_owned();
    if is_search && q.from_member.is_none() && q.from_lonlat.is_none() {
        return Err(CmdError::other(format!(
            "ERR exactly one of FROMMEMBER or FROMLONLAT can be specified for {}",
            typed()
        )));
    }
    if is_search && shape.is_none() {
        return Err(CmdError::other(format!("ERR exactly one of BYRADIUS and BYBOX can be specified for {}", typed())));
    }
    if q.any && q.count == 0 {
        return Err(CmdError::other("ERR the ANY argument requires COUNT argument"));
    }
    // (GEORADIUSBYMEMBER over a missing key read no radius: it finds nothing anyway.)
    q.shape = shape.unwrap_or(Shape::Radius(0.0));
    Ok(q)
}

/// The points `q` finds in `z`, in the order asked for and cut to its COUNT.
fn find<'z>(z: &'z ZSet, q: &Query) -> Result<Vec<Found<'z>>, CmdError> {
    let (lon, lat) = match (q.from_lonlat, q.from_member) {
        (Some(xy), _) => xy,
        (None, Some(m)) => match z.score(m) {
            Some(score) => decode(score),
            None => return Err(CmdError::other("ERR could not decode requested zset member")),
        },
        _ => unreachable!("parse checked"),
    };
    let s = Search { lon, lat, shape: q.shape, per: q.per, origin: Origin::at(lon, lat) };
    let mut found = search(z, &s, if q.any { q.count } else { 0 });
    // COUNT without an order means the nearest ones (not with ANY: the first ones found).
    let order = match q.order {
        None if q.count != 0 && !q.any => Some(true),
        order => order,
    };
    // Points at the same distance keep the order they were found in; Redis's qsort (glibc's,
    // not stable) may swap them.
    match order {
        Some(true) => found.sort_by(|a, b| a.dist.partial_cmp(&b.dist).unwrap_or(std::cmp::Ordering::Equal)),
        Some(false) => found.sort_by(|a, b| b.dist.partial_cmp(&a.dist).unwrap_or(std::cmp::Ordering::Equal)),
        None => {}
    }
    if q.count != 0 {
        found.truncate(q.count);
    }
    Ok(found)
}

/// What a STORE form stores of the points found in `z` (None: the key is missing): each member
/// with its own score, or with its distance in the query's unit (STOREDIST).
fn picked(z: Option<&ZSet>, q: &Query) -> Result<zsets::Entries, CmdError> {
    let Some(z) = z else { return Ok(Vec::new()) };
    let dist = q.store.is_some_and(|(_, dist)| dist);
    Ok(find(z, q)?.iter().map(|f| (f.member.to_vec(), if dist { f.dist / q.per } else { f.score })).collect())
}

/// Redis's georadiusGeneric with its keys on this shard: the source is looked up and its type
/// checked first, then the arguments are read, then the search runs.
fn search_generic(cx: &mut KeyCx, form: Form) -> R {
    let argv = cx.argv;
    let z = match cx.core.read(cx.db, argv.get(form.source())) {
        Some((v, _)) => Some(v.as_zset().ok_or(CmdError::WrongType)?),
        None => None,
    };
    let q = parse(&argv, form, z)?;
    if let Some((at, _)) = q.store {
        let entries = picked(z, &q)?;
        let n = zsets::store(cx.core, cx.db, argv.get(at), &entries, zsets::Build::Whole, form.event());
        cx.out.int(n as i64);
        return Ok(());
    }
    let Some(z) = z else {
        cx.out.array(0);
        return Ok(());
    };
    let found = find(z, &q)?;
    let fields = q.with_dist as usize + q.with_hash as usize + q.with_coord as usize;
    let mut text = String::new();
    cx.out.array(found.len());
    for f in &found {
        if fields == 0 {
            cx.out.bulk(f.member);
            continue;
        }
        cx.out.array(fields + 1);
        cx.out.bulk(f.member);
        if q.with_dist {
            // A bulk string in RESP3 too, as Redis sends distances.
            use std::fmt::Write;
            text.clear();
            let _ = write!(text, "{:.4}", f.dist / q.per);
            cx.out.bulk(text.as_bytes());
        }
        if q.with_hash {
            cx.out.int(f.score as i64);
        }
        if q.with_coord {
            let (lon, lat) = decode(f.score);
            cx.out.array(2);
            cx.out.double_text(human(lon).as_bytes());
            cx.out.double_text(human(lat).as_bytes());
        }
    }
    Ok(())
}

/// A STORE form whose source and destination live on different shards: the search runs on the
/// source's shard, the result is stored on the destination's.
fn store_spread(cx: &mut Cx, form: Form) -> F {
    let argv = cx.argv;
    let at = match form {
        Form::SearchStore => Some(1),
        Form::Radius { .. } => radius_store_key(&argv),
        Form::ByMember { .. } => bymember_store_key(&argv),
        Form::Search => None,
    };
    let Some(at) = at else { unreachable!("only a STORE form has its keys on two shards") };
    let (src, dst) = (argv.get(form.source()).to_vec(), argv.get(at).to_vec());
    let mut owned = super::Cmds::default();
    owned.push(0, &argv);
    let pick: zsets::Pick = std::sync::Arc::new(move |z: Option<&ZSet>| {
        let (_, argv) = owned.get(0);
        picked(z, &parse(&argv, form, z)?)
    });
    zsets::store_picked(cx, form.event(), src, dst, zsets::Build::Whole, pick)
}

fn geosearchstore_spread(cx: &mut Cx) -> F {
    store_spread(cx, Form::SearchStore)
}

fn georadius_spread(cx: &mut Cx) -> F {
    store_spread(cx, Form::Radius { ro: false })
}

fn georadiusbymember_spread(cx: &mut Cx) -> F {
    store_spread(cx, Form::ByMember { ro: false })
}

const WG: &[&str] = &["@write", "@geo", "@slow"];
const RG: &[&str] = &["@read", "@geo", "@slow"];

pub const SPECS: &[Spec] = &[
    cmd("geoadd", -5, WRITE | DENYOOM, (1, 1, 1), WG, Handler::Key(geoadd)),
    cmd("geopos", -2, READONLY, (1, 1, 1), RG, Handler::Key(geopos)),
    cmd("geodist", -4, READONLY, (1, 1, 1), RG, Handler::Key(geodist)),
    cmd("geohash", -2, READONLY, (1, 1, 1), RG, Handler::Key(geohash)),
    cmd("geosearch", -7, READONLY, (1, 1, 1), RG, Handler::Key(geosearch)),
    multi("geosearchstore", -8, WRITE | DENYOOM, (1, 2, 1), WG, Handler::Key(geosearchstore), geosearchstore_spread),
    multi(
        "georadius",
        -6,
        WRITE | DENYOOM | MOVABLEKEYS | SIGNALS,
        (1, 1, 1),
        WG,
        Handler::Key(georadius),
        georadius_spread,
    )
    .more_keys(radius_store_key),
    cmd("georadius_ro", -6, READONLY, (1, 1, 1), RG, Handler::Key(georadius_ro)),
    multi(
        "georadiusbymember",
        -5,
        WRITE | DENYOOM | MOVABLEKEYS | SIGNALS,
        (1, 1, 1),
        WG,
        Handler::Key(georadiusbymember),
        georadiusbymember_spread,
    )
    .more_keys(bymember_store_key),
    cmd("georadiusbymember_ro", -5, READONLY, (1, 1, 1), RG, Handler::Key(georadiusbymember_ro)),
];
