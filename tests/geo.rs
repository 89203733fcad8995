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
