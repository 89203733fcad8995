//! GEO byte for byte against redis-server 7.0.15, with keys on four shards: GEOADD and its
//! options and errors, the scores (geohashes) it stores, GEOPOS coordinates, GEODIST in every
//! unit, GEOHASH strings, in RESP2 and RESP3.

mod common;
use common::*;

fn run_cases(cases: &[&[&str]]) {
    run_cases_then(cases, &[]);
}

const CITIES: &[&str] = &[
    "GEOADD Sicily 13.361389 38.115556 Palermo 15.087269 37.502669 Catania",
    "GEOADD Sicily 12.758489 38.788135 edge1 17.241510 38.788135 edge2",
    "GEOADD world -180 -85.05112878 sw 180 85.05112878 ne 0 0 origin -0.0001 0.0001 near -122.27652 37.805186 oakland",
    "GEOADD world 139.6917 35.6895 tokyo -74.0060 40.7128 nyc 151.2093 -33.8688 sydney 2.3522 48.8566 paris",
];

#[test]
fn geoadd_pos_dist_hash_as_redis() {
    let mut case: Vec<&str> = CITIES.to_vec();
    case.extend([
        "ZRANGE Sicily 0 -1 WITHSCORES",
        "ZRANGE world 0 -1 WITHSCORES",
        "GEOPOS Sicily Palermo Catania nosuch edge1 edge2",
        "GEOPOS world sw ne origin near oakland tokyo nyc sydney paris",
        "GEOPOS nosuch a b",
        "GEOPOS Sicily",
        "GEODIST Sicily Palermo Catania",
        "GEODIST Sicily Palermo Catania km",
        "GEODIST Sicily Palermo Catania MI",
        "GEODIST Sicily Palermo Catania ft",
        "GEODIST Sicily Palermo Catania m",
        "GEODIST Sicily Palermo nosuch",
        "GEODIST nosuch a b",
        "GEODIST Sicily Palermo Catania yards",
        "GEODIST Sicily Palermo Catania km extra",
        "GEODIST world tokyo nyc km",
        "GEODIST world sw ne",
        "GEODIST world origin near",
        "GEODIST world paris paris",
        "GEOHASH Sicily Palermo Catania nosuch",
        "GEOHASH world sw ne origin near oakland tokyo nyc sydney paris",
        "GEOHASH nosuch a",
        "GEOHASH Sicily",
        "GEOADD Sicily NX 13.361389 38.115556 Palermo 1 1 new",
        "GEOADD Sicily XX 1 2 Palermo 1 1 other",
        "GEOADD Sicily CH 13.361389 38.115556 Palermo 15 37 Catania",
        "GEOADD Sicily XX NX 1 1 a",
        "GEOADD Sicily 1 1",
        "GEOADD Sicily 1 1 a 2",
        "GEOADD Sicily 181 10 a",
        "GEOADD Sicily 10 86 a",
        "GEOADD Sicily -180.0001 0 a",
        "GEOADD Sicily x 10 a",
        "GEOADD Sicily 10 nan a",
        "GEOADD Sicily GT 1 1 a",
        "SET s v",
        "GEOADD s 1 1 a",
        "GEOPOS s a",
        "GEODIST s a b",
        "GEOHASH s a",
        "HELLO 3",
        "GEOPOS Sicily Palermo nosuch",
        "GEODIST Sicily Palermo Catania",
        "GEOHASH Sicily Palermo nosuch",
    ]);
    run_cases(&[&case]);
}

#[test]
fn geosearch_as_redis() {
    let mut case: Vec<&str> = CITIES.to_vec();
    case.extend([
        "GEOSEARCH Sicily FROMLONLAT 15 37 BYRADIUS 200 km ASC",
        "GEOSEARCH Sicily FROMLONLAT 15 37 BYRADIUS 200 km DESC WITHCOORD WITHDIST WITHHASH",
        "GEOSEARCH Sicily FROMLONLAT 15 37 BYRADIUS 200 km",
        "GEOSEARCH Sicily FROMLONLAT 15 37 BYRADIUS 2000 km WITHDIST",
        "GEOSEARCH Sicily FROMMEMBER Palermo BYRADIUS 100 mi WITHDIST",
        "GEOSEARCH Sicily FROMMEMBER Palermo BYBOX 400 400 km ASC WITHDIST",
        "GEOSEARCH Sicily FROMLONLAT 15 37 BYBOX 200 200 km",
        "GEOSEARCH Sicily FROMLONLAT 15 37 BYRADIUS 400 km COUNT 2",
        "GEOSEARCH Sicily FROMLONLAT 15 37 BYRADIUS 400 km COUNT 1 ANY",
        "GEOSEARCH Sicily FROMLONLAT 15 37 BYRADIUS 400 km COUNT 3 DESC",
        "GEOSEARCH Sicily FROMLONLAT 15 37 BYRADIUS 400 km ASC DESC",
        "GEOSEARCH Sicily FROMLONLAT 15 37 BYRADIUS 400 km DESC ASC",
        "GEOSEARCH world FROMLONLAT 0 0 BYRADIUS 20000 km WITHDIST",
        "GEOSEARCH world FROMLONLAT 0 0 BYRADIUS 20000 km ASC WITHCOORD",
        "GEOSEARCH world FROMMEMBER paris BYRADIUS 1000 km",
        "GEOSEARCH world FROMLONLAT 179 85 BYRADIUS 500 km",
        "GEOSEARCH world FROMLONLAT 0 0 BYBOX 40000 20000 km",
        "GEOSEARCH world FROMLONLAT 0 0 BYRADIUS 0 m",
        "GEOSEARCH world FROMMEMBER origin BYRADIUS 20 m WITHDIST",
        "GEOSEARCH nosuch FROMLONLAT 0 0 BYRADIUS 1 km",
        "GEOSEARCH nosuch FROMMEMBER x BYRADIUS 1 km",
        "GEOSEARCH Sicily FROMMEMBER nosuch BYRADIUS 1 km",
        "GEOSEARCH Sicily FROMLONLAT 15 37 BYRADIUS -1 km",
        "GEOSEARCH Sicily FROMLONLAT 15 37 BYBOX -1 1 km",
        "GEOSEARCH Sicily FROMLONLAT 15 37 BYRADIUS 1 yards",
        "GEOSEARCH Sicily FROMLONLAT 15 37 BYRADIUS x km",
        "GEOSEARCH Sicily FROMLONLAT 15 37 BYRADIUS nan km",
        "GEOSEARCH Sicily FROMLONLAT 15 37 BYBOX x 1 km",
        "GEOSEARCH Sicily FROMLONLAT 15 37 BYBOX 1 x km",
        "GEOSEARCH Sicily FROMLONLAT x 37 BYRADIUS 1 km",
        "GEOSEARCH Sicily FROMLONLAT 15 37 BYRADIUS 1 km COUNT x",
        "GEOSEARCH Sicily FROMLONLAT 200 37 BYRADIUS 1 km",
        "GEOSEARCH Sicily FROMLONLAT 15 37 BYRADIUS 1 km COUNT 0",
        "GEOSEARCH Sicily FROMLONLAT 15 37 BYRADIUS 1 km COUNT -1",
        "GEOSEARCH Sicily FROMLONLAT 15 37 BYRADIUS 1 km ANY",
        "GEOSEARCH Sicily FROMLONLAT 15 37 FROMMEMBER Palermo BYRADIUS 1 km",
        "GEOSEARCH Sicily FROMLONLAT 15 37 BYRADIUS 1 km BYBOX 1 1 km",
        "GEOSEARCH Sicily BYRADIUS 1 km",
        "GEOSEARCH Sicily FROMLONLAT 15 37 WITHDIST",
        "GEOSEARCH Sicily FROMLONLAT 15 37 BYRADIUS 1 km STORE x",
        "GEOSEARCH Sicily FROMLONLAT 15 37 BYRADIUS 1 km NOPE",
        "GEOSEARCH Sicily FROMMEMBER Palermo FROMMEMBER Catania BYRADIUS 200 km",
        "GEOSEARCH Sicily FROMMEMBER Palermo BYRADIUS 1 km BYRADIUS 200 km",
        "GEOSEARCH Sicily FROMLONLAT 1 1 FROMLONLAT 15 37 BYBOX 1 1 km BYBOX 400 400 km",
        "GEOSEARCH Sicily FROMMEMBER Palermo BYRADIUS 1 km BYBOX 1 1 km",
        "GEOSEARCH Sicily FROMMEMBER nosuch BYRADIUS 1 km bogus",
        "GEOSEARCHSTORE d Sicily FROMMEMBER nosuch BYRADIUS 1 km WITHDIST",
        "GEOSEARCHSTORE d Sicily ASC DESC BYRADIUS 1 km",
        "GeoSearch Sicily ASC",
        "geosearch Sicily FROMLONLAT 15 37",
        "GEOSEARCHSTORE d Sicily WITHDIST ASC DESC ANY ASC",
        "GEORADIUS Sicily 15 37 200 km",
        "GEORADIUS Sicily 15 37 200 km WITHDIST WITHCOORD ASC",
        "GEORADIUS Sicily 15 37 2000 km COUNT 2 DESC WITHHASH",
        "GEORADIUS Sicily 15 37 2000 km COUNT 2 ANY",
        "GEORADIUS_RO Sicily 15 37 200 km WITHDIST",
        "GEORADIUS_RO Sicily 15 37 200 km STORE x",
        "GEORADIUS Sicily 15 37 200 km WITHDIST STORE x",
        "GEORADIUS Sicily 15 37 -1 km",
        "GEORADIUS Sicily 15 37 x km",
        "GEORADIUS Sicily 15 37 1 parsecs",
        "GEORADIUS Sicily 190 37 1 km",
        "GEORADIUS Sicily 15 37 1 km BYBOX 1 1 km",
        "GEORADIUS nosuch 15 37 1 km",
        "GEORADIUS nosuch 15 37 1 km ANY",
        "GEORADIUSBYMEMBER Sicily Palermo 200 km WITHDIST",
        "GEORADIUSBYMEMBER Sicily Palermo 200 km ASC COUNT 1",
        "GEORADIUSBYMEMBER_RO Sicily Catania 100 mi",
        "GEORADIUSBYMEMBER Sicily nosuch 200 km",
        "GEORADIUSBYMEMBER Sicily nosuch x km",
        "GEORADIUSBYMEMBER Sicily Palermo x km",
        "GEORADIUSBYMEMBER nosuch Palermo x km",
        "GEORADIUSBYMEMBER nosuch Palermo 1 km NOPE",
        "GEORADIUSBYMEMBER_RO Sicily Palermo 1 km STORE x",
        "SET s v",
        "GEOSEARCH s FROMLONLAT 15 37 BYRADIUS 1 km",
        "GEOSEARCH s FROMLONLAT 15 37 BYRADIUS x km",
        "GEORADIUS s 15 37 1 km",
        "GEORADIUSBYMEMBER s a 1 km",
        "HELLO 3",
        "GEOSEARCH Sicily FROMLONLAT 15 37 BYRADIUS 200 km ASC WITHCOORD WITHDIST WITHHASH",
    ]);
    run_cases(&[&case]);
}

/// GEOSEARCHSTORE and GEORADIUS[BYMEMBER] STORE/STOREDIST, with the destination on the
/// source's shard and on each other shard: what is stored (scores or distances, and the
/// encoding), what is deleted, and the errors in Redis's order (the source's type first).
#[test]
fn geo_store_forms_as_redis() {
    // Small sets are compact only up to 4 entries here, so both encodings are stored.
    let mut lines: Vec<String> = vec!["CONFIG SET zset-max-listpack-entries 4".into()];
    lines.extend(CITIES.iter().map(|s| s.to_string()));
    lines.push("SET s v".into());
    for to in 0..common::SHARDS {
        let d = key_on_shard("dst", to, common::SHARDS);
        for c in [
            format!("GEOSEARCHSTORE {d} Sicily FROMLONLAT 15 37 BYRADIUS 200 km"),
            format!("ZRANGE {d} 0 -1 WITHSCORES"),
            format!("OBJECT ENCODING {d}"),
            format!("GEOSEARCHSTORE {d} Sicily FROMLONLAT 15 37 BYRADIUS 400 km STOREDIST DESC COUNT 2"),
            format!("ZRANGE {d} 0 -1 WITHSCORES"),
            format!("GEOSEARCHSTORE {d} Sicily FROMMEMBER Palermo BYBOX 400 400 mi STOREDIST"),
            format!("ZRANGE {d} 0 -1 WITHSCORES"),
            format!("GEOSEARCHSTORE {d} nosuch FROMLONLAT 15 37 BYRADIUS 200 km"),
            format!("EXISTS {d}"),
            format!("SET {d} string"),
            format!("GEOSEARCHSTORE {d} Sicily FROMLONLAT 15 37 BYRADIUS 1 km"),
            format!("TYPE {d}"),
            format!("GEOSEARCHSTORE {d} s FROMLONLAT 15 37 BYRADIUS x km"),
            format!("GEOSEARCHSTORE {d} nosuch FROMLONLAT 15 37 BYRADIUS x km"),
            format!("GEOSEARCHSTORE {d} Sicily FROMMEMBER nosuch BYRADIUS 1 km"),
            format!("GEOSEARCHSTORE {d} Sicily FROMLONLAT 15 37 BYRADIUS 1 km WITHDIST"),
            format!("GEOSEARCHSTORE {d} Sicily FROMLONLAT 15 37 BYRADIUS 1 km STORE x"),
            format!("GEOSEARCHSTORE {d} Sicily FROMLONLAT 15 37 BYRADIUS 1 km ANY"),
            format!("GEORADIUS Sicily 15 37 200 km STORE {d}"),
            format!("ZRANGE {d} 0 -1 WITHSCORES"),
            format!("GEORADIUS Sicily 15 37 200 km STOREDIST {d} ASC COUNT 1"),
            format!("ZRANGE {d} 0 -1 WITHSCORES"),
            format!("GEORADIUS Sicily 15 37 200 km STORE x STORE {d}"),
            format!("ZRANGE {d} 0 -1 WITHSCORES"),
            format!("GEORADIUS Sicily 15 37 200 km STORE {d} WITHCOORD"),
            format!("GEORADIUS Sicily 15 37 0 km STORE {d}"),
            format!("EXISTS {d}"),
            format!("GEORADIUSBYMEMBER Sicily Palermo 300 km STOREDIST {d}"),
            format!("ZRANGE {d} 0 -1 WITHSCORES"),
            format!("GEORADIUSBYMEMBER Sicily nosuch 300 km STORE {d}"),
            format!("GEORADIUSBYMEMBER nosuch Palermo x km STORE {d}"),
            format!("EXISTS {d}"),
            format!("GEORADIUSBYMEMBER s Palermo 1 km STORE {d}"),
            format!("GEORADIUS_RO Sicily 15 37 200 km STORE {d}"),
            format!("GEORADIUS Sicily 15 37 200 km COUNT 1 STORE {d}"),
            format!("ZRANGE {d} 0 -1 WITHSCORES"),
            format!("COMMAND GETKEYS GEORADIUS Sicily 15 37 200 km STORE {d}"),
            format!("GEORADIUS world 0 0 20000 km STORE {d}"),
            format!("ZCARD {d}"),
            format!("OBJECT ENCODING {d}"),
        ] {
            lines.push(c);
        }
    }
    // A source stored over itself.
    lines.push("GEOSEARCHSTORE Sicily Sicily FROMLONLAT 15 37 BYRADIUS 2000 km STOREDIST".into());
    lines.push("ZRANGE Sicily 0 -1 WITHSCORES".into());
    let case: Vec<&str> = lines.iter().map(String::as_str).collect();
    run_cases(&[&case]);
}

/// The store forms inside MULTI/EXEC and scripts, with keys on several shards (a script's
/// undeclared destination included).
#[test]
fn geo_store_forms_in_multi_and_scripts_as_redis() {
    let mut case: Vec<&str> = CITIES.to_vec();
    case.extend([
        "MULTI",
        "GEOSEARCHSTORE d1 Sicily FROMLONLAT 15 37 BYRADIUS 200 km",
        "GEORADIUS Sicily 15 37 200 km STOREDIST d2",
        "GEORADIUSBYMEMBER Sicily Palermo 300 km STORE d3",
        "ZRANGE d2 0 -1 WITHSCORES",
        "ZCARD d3",
        "EXEC",
        "EVAL \"return redis.call('georadius', KEYS[1], 15, 37, 200, 'km', 'store', KEYS[2])\" 2 Sicily d5",
        "EVAL \"return redis.call('georadius', KEYS[1], 15, 37, 200, 'km', 'store', 'undeclared')\" 1 Sicily",
        "ZRANGE undeclared 0 -1",
        "EVAL \"return redis.call('geosearchstore', KEYS[1], KEYS[2], 'frommember', 'Palermo', 'bybox', 500, 500, 'km', 'storedist')\" 2 d6 Sicily",
        "ZRANGE d6 0 -1 WITHSCORES",
    ]);
    run_cases(&[&case]);
}

/// Random points and random searches on both servers: the same members in the same order
/// (Redis's order when unsorted: its cells, then scores), the same distances and coordinates.
#[test]
fn random_geosearch_as_redis() {
    let redis = Proc::redis(&[]);
    let shardis = Proc::shardis(&[]);
    let (mut ours, mut theirs) = (shardis.raw(), redis.raw());
    let mut rng = fastrand::Rng::with_seed(5);
    let mut add = String::from("GEOADD pts");
    for i in 0..400 {
        // Clustered around a few centres, some anywhere.
        let (clon, clat) = [(13.0, 38.0), (-74.0, 40.7), (0.0, 0.0), (139.7, 35.7), (170.0, -80.0)][i % 5];
        let spread = if i % 7 == 0 { 60.0 } else { 2.0 };
        // Wrapped, not clamped: clamping would stack points on one spot, and points at the
        // same distance come back in the order of Redis's (unstable) qsort.
        let lon = (clon + (rng.f64() - 0.5) * spread + 180.0).rem_euclid(360.0) - 180.0;
        let mut lat = clat + (rng.f64() - 0.5) * spread / 2.0;
        if lat.abs() > 85.0 {
            lat = lat.signum() * 170.0 - lat;
        }
        add += &format!(" {lon:.6} {lat:.6} p{i}");
    }
    assert_eq!(ours.cmd(&line_args(&add)), theirs.cmd(&line_args(&add)));
    for step in 0..300 {
        let from = if rng.bool() {
            format!("FROMMEMBER p{}", rng.usize(..400))
        } else {
            format!("FROMLONLAT {:.4} {:.4}", (rng.f64() - 0.5) * 360.0, (rng.f64() - 0.5) * 170.0)
        };
        let unit = ["m", "km", "mi", "ft"][rng.usize(..4)];
        let size = [1.0, 10.0, 100.0, 500.0, 3000.0, 20000.0][rng.usize(..6)]
            * if unit == "m" || unit == "ft" { 1000.0 } else { 1.0 };
        let by = if rng.bool() {
            format!("BYRADIUS {size} {unit}")
        } else {
            format!("BYBOX {size} {} {unit}", size / (1 + rng.usize(..3)) as f64)
        };
        let order = ["", " ASC", " DESC"][rng.usize(..3)];
        let count = match rng.usize(..4) {
            0 => format!(" COUNT {}", rng.usize(1..20)),
            1 => format!(" COUNT {} ANY", rng.usize(1..20)),
            _ => String::new(),
        };
        let with = [" WITHDIST", " WITHCOORD", " WITHHASH", ""][rng.usize(..4)];
        let line = format!("GEOSEARCH pts {from} {by}{order}{count}{with}");
        let (got, want) = (ours.cmd(&line_args(&line)), theirs.cmd(&line_args(&line)));
        assert_eq!(s(&got), s(&want), "step {step}: {line}");
    }
}
