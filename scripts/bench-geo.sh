#!/usr/bin/env bash
# GEO per core, the method of ../shared/tools/cpu-per-op: shardis with one shard against
# Debian's redis-server, both pinned to CPU 0, the load on CPU 1, alternating rounds, medians.
#   geoadd:    100k random points (lon -180..180, lat -80..80) loaded with redis-cli --pipe as
#              GEOADDs of 100 points each; server CPU per point;
#   geosearch: redis-benchmark -P 1, `GEOSEARCH bench:geo FROMLONLAT 13.4 38.1 BYRADIUS 500 km
#              ASC WITHDIST` (about 60 points of the 100k), N/10 of them.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh
bench_begin 100000
python3 - >"$work/load.resp" <<'PY'
import random, sys
out = sys.stdout.buffer; rng = random.Random(3)
for b in range(1000):
    args = [b"GEOADD", b"bench:geo"]
    for i in range(100):
        args += [b"%.6f" % rng.uniform(-180, 180), b"%.6f" % rng.uniform(-80, 80), b"p%d" % (b * 100 + i)]
    out.write(b"*%d\r\n" % len(args) + b"".join(b"$%d\r\n%s\r\n" % (len(a), a) for a in args))
PY
start_pair
load() { # pid port -> "points/s 0 0 us_per_point"
  local t0 t1 s0 s1; redis-cli -p "$2" DEL bench:geo >/dev/null
  t0=$(cpu_ticks "$1"); s0=$(date +%s.%N)
  taskset -c 1 redis-cli -p "$2" --pipe <"$work/load.resp" >/dev/null
  t1=$(cpu_ticks "$1"); s1=$(date +%s.%N)
  python3 -c "print('%.0f 0 0 %.3f' % (100000 / ($s1 - $s0), ($t1 - $t0) / 100 / 100000 * 1e6))"
}
bench() { # pid port n args... -> "ops/s p50 p99 us_per_op"
  local pid=$1 port=$2 n=$3; shift 3
  measure_benchmark "$pid" "$n" -p "$port" -P 1 -c 50 "$@"
}
echo "| workload | shardis ops/s | redis ops/s | shardis p50/p99 ms | redis p50/p99 ms | shardis CPU µs/op | redis CPU µs/op | CPU ratio shardis/redis |"
echo '|---|---|---|---|---|---|---|---|'
la=(); lb=(); qa=(); qb=()
for _ in $(seq "$ROUNDS"); do
  for side in a b; do
    if [ $side = a ]; then pid=$PA port=$PORTA; else pid=$PB port=$PORTB; fi
    l=$(load "$pid" "$port")
    q=$(bench "$pid" "$port" $((N / 10)) GEOSEARCH bench:geo FROMLONLAT 13.4 38.1 BYRADIUS 500 km ASC WITHDIST)
    if [ $side = a ]; then la+=("$l"); qa+=("$q"); else lb+=("$l"); qb+=("$q"); fi
  done
done
[ "$(redis-cli -p "$PORTA" GEOSEARCH bench:geo FROMLONLAT 13.4 38.1 BYRADIUS 500 km ASC WITHDIST | md5sum)" = \
  "$(redis-cli -p "$PORTB" GEOSEARCH bench:geo FROMLONLAT 13.4 38.1 BYRADIUS 500 km ASC WITHDIST | md5sum)" ] || echo "replies differ" >&2
ra=("${la[@]}"); rb=("${lb[@]}"); row "GEOADD of 100k points (100 a command, --pipe), per point"
ra=("${qa[@]}"); rb=("${qb[@]}"); row "GEOSEARCH BYRADIUS 500 km ASC WITHDIST over 100k points, -P 1"
echo "points found: $(redis-cli -p "$PORTA" GEOSEARCH bench:geo FROMLONLAT 13.4 38.1 BYRADIUS 500 km | wc -l)"
