#!/usr/bin/env bash
# Throughput as shards are added, on a machine with many CPUs: shardis with S shards pinned to
# CPUs 0..S-1 for each S in SHARDS, then Debian's redis-server pinned to CPU 0 as the baseline;
# redis-benchmark with CLIENT_THREADS threads on the last CLIENT_THREADS CPUs, -P 16, random keys.
# Prints a markdown row per server and test: requests/s, p50/p99 ms, server CPU µs per request.
#   SHARDS="1 2 4 8" TESTS=set,get N=4000000 ./scripts/bench-scaling.sh
# REDIS_SERVER / REDIS_BENCHMARK / SHARDIS name the binaries (defaults: PATH, target/release);
# LABEL names the shardis rows; REDIS_BASELINE=0 leaves redis-server out (A/B runs of two builds).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh
SHARDIS=${SHARDIS:-target/release/shardis-server}
REDIS_SERVER=${REDIS_SERVER:-redis-server}
REDIS_BENCHMARK=${REDIS_BENCHMARK:-redis-benchmark}
[ -x "$SHARDIS" ] || cargo build --release --quiet
CPUS=$(nproc)
SHARDS=${SHARDS:-"1 2 4 8"}
CLIENT_THREADS=${CLIENT_THREADS:-$((CPUS / 2))}
TESTS=${TESTS:-set,get}
N=${N:-4000000}; C=${CONNS:-256}; P=${PIPELINE:-16}; R=${KEYSPACE:-1000000}
CLIENT_CPUS="$((CPUS - CLIENT_THREADS))-$((CPUS - 1))"
port=7379
run() { # label server-command cpus
  taskset -c "$3" bash -c "exec $2" >/dev/null 2>&1 &
  local pid=$!
  wait_ready $port
  for t in ${TESTS//,/ }; do
    local t0 t1 out
    t0=$(cpu_ticks $pid)
    out=$(taskset -c "$CLIENT_CPUS" "$REDIS_BENCHMARK" -p $port --threads "$CLIENT_THREADS" -t "$t" -P "$P" -c "$C" \
      -r "$R" -n "$N" --csv 2>/dev/null | tail -n 1)
    t1=$(cpu_ticks $pid)
    python3 - "$1" "$t" "$out" "$t0" "$t1" "$N" <<'PY'
import sys, csv
label, test, line, t0, t1, n = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5]), int(sys.argv[6])
row = next(csv.reader([line]))
print("| %s | %s | %.0f | %s/%s | %.2f |" % (label, test, float(row[1]), row[4], row[6], (t1 - t0) / 100 / n * 1e6))
PY
  done
  kill $pid; wait $pid 2>/dev/null || true
}
echo "CPUs: $CPUS, redis-benchmark: $CLIENT_THREADS threads on CPUs $CLIENT_CPUS, -P $P -c $C -r $R -n $N"
echo
echo "| server | test | requests/s | p50/p99 ms | server CPU µs/request |"
echo "|---|---|---|---|---|"
for s in $SHARDS; do
  run "${LABEL:-shardis}, $s shards" "$SHARDIS --port $port --shards $s --save ''" "0-$((s - 1))"
done
if [ "${REDIS_BASELINE:-1}" = 1 ]; then
  run "redis-server 7.0.15" "$REDIS_SERVER --port $port --save '' --appendonly no" 0
fi
