#!/usr/bin/env bash
# Collection commands per core, the method of ../shared/tools/cpu-per-op extended to commands
# that redis-benchmark has no -t name for: shardis with one shard against Debian's redis-server,
# both pinned to CPU 0, redis-benchmark on CPU 1, alternating rounds (A, B, A, B ...), medians.
# Server CPU comes from /proc/PID/stat. Tests run in the order given, so LPOP finds what LPUSH
# pushed and the ZRANGEs read the sorted set ZADD built (redis-benchmark's own keys: mylist,
# myhash, myset, myzset; random members from -r).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh
cargo build --release --quiet
TESTS=${TESTS:-lpush lpop hset sadd zadd zrange_10 zrangebyscore_10}
DEPTHS=${DEPTHS:-16}; R=${KEYSPACE:-1000000}; N=${N:-200000}; C=${CONNS:-50}; ROUNDS=${ROUNDS:-3}
A="$PWD/target/release/shardis-server --port {PORT} --shards 1 --save ''"
B="redis-server --port {PORT} --save '' --appendonly no"
args_of() { # test name -> redis-benchmark arguments
  case "$1" in
    zrange_10) echo "ZRANGE myzset 0 9 WITHSCORES" ;;
    zrangebyscore_10) echo "ZRANGE myzset __rand_int__ +inf BYSCORE LIMIT 0 10 WITHSCORES" ;;
    *) echo "-t $1" ;;
  esac
}
work=$(mktemp -d); pids=()
trap 'kill "${pids[@]}" 2>/dev/null; rm -rf "$work"' EXIT
read -r PA PORTA < <(start_pinned "$A"); pids+=("$PA"); read -r PB PORTB < <(start_pinned "$B"); pids+=("$PB")
measure() { # pid port test depth -> "ops p50 p99 us_per_op"
  local t0 t1 out
  t0=$(cpu_ticks "$1")
  # shellcheck disable=SC2046
  out=$(taskset -c 1 redis-benchmark -p "$2" -P "$4" -r "$R" -n "$N" -c "$C" --csv $(args_of "$3") 2>/dev/null | tail -n +2)
  t1=$(cpu_ticks "$1")
  python3 - "$t0" "$t1" "$out" "$N" <<'PY'
import sys, csv, io
t0, t1, text, n = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], int(sys.argv[4])
row = [r for r in csv.reader(io.StringIO(text)) if len(r) > 6][0]
print("%s %s %s %.3f" % (row[1], row[4], row[6], (t1 - t0) / 100 / n * 1e6))
PY
}
echo "| test | -P | shardis ops/s | redis ops/s | shardis p50/p99 ms | redis p50/p99 ms | shardis CPU µs/op | redis CPU µs/op | CPU ratio shardis/redis |"
echo '|---|---|---|---|---|---|---|---|---|'
for t in $TESTS; do for d in $DEPTHS; do
  ra=(); rb=()
  for _ in $(seq "$ROUNDS"); do ra+=("$(measure "$PA" "$PORTA" "$t" "$d")"); rb+=("$(measure "$PB" "$PORTB" "$t" "$d")"); done
  python3 - "$t" "$d" "${ra[@]}" -- "${rb[@]}" <<'PY'
import sys, statistics
t, d = sys.argv[1], sys.argv[2]; rest = sys.argv[3:]; i = rest.index("--")
a = [x.split() for x in rest[:i]]; b = [x.split() for x in rest[i + 1:]]
m = lambda rows, k: statistics.median(float(r[k]) for r in rows)
print("| %s | %s | %.0f | %.0f | %.3f/%.3f | %.3f/%.3f | %.2f | %.2f | %.2fx |" % (t, d, m(a, 0), m(b, 0), m(a, 1), m(a, 2), m(b, 1), m(b, 2), m(a, 3), m(b, 3), m(a, 3) / m(b, 3)))
PY
done; done
