#!/usr/bin/env bash
# SORT per core, the method of ../shared/tools/cpu-per-op: shardis with one shard against
# Debian's redis-server, both pinned to CPU 0, the load on CPU 1, alternating rounds, medians.
# A list of 10k distinct numbers and 10k weight keys (w_<n>, random numbers), then with
# redis-benchmark -P 1 -c 10:
#   by:       SORT bench:list BY w_* LIMIT 0 10       (reads every weight, sorts 10k)
#   by+get:   SORT bench:list BY w_* GET # GET w_* LIMIT 0 100
#   numeric:  SORT bench:list LIMIT 0 10              (the elements themselves)
#   by-store: SORT bench:list BY w_* STORE bench:out         (a whole sort, 10k written back)
#   alpha-by-store: SORT bench:list BY w_* ALPHA STORE bench:out
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh
set -f  # the workloads hold `*` patterns, split into words unquoted
cargo build --release --quiet --bin shardis-server
ROUNDS=${ROUNDS:-3}; N=${N:-300}; ROW_DIGITS=1
work=$(mktemp -d); pids=()
trap 'kill "${pids[@]}" 2>/dev/null; rm -rf "$work"' EXIT
python3 - >"$work/load.resp" <<'PY'
import random, sys
out = sys.stdout.buffer; rng = random.Random(5)
def cmd(*args):
    out.write(b"*%d\r\n" % len(args) + b"".join(b"$%d\r\n%s\r\n" % (len(a), a) for a in args))
nums = rng.sample(range(1_000_000), 10_000)
for b in range(100):
    cmd(b"RPUSH", b"bench:list", *[b"%d" % n for n in nums[b * 100:(b + 1) * 100]])
for n in nums:
    cmd(b"SET", b"w_%d" % n, b"%.3f" % rng.uniform(-1000, 1000))
PY
read -r PA PORTA < <(start_pinned "$PWD/target/release/shardis-server --port {PORT} --shards 1 --save ''"); pids+=("$PA")
read -r PB PORTB < <(start_pinned "redis-server --port {PORT} --save '' --appendonly no"); pids+=("$PB")
for port in "$PORTA" "$PORTB"; do taskset -c 1 redis-cli -p "$port" --pipe <"$work/load.resp" >/dev/null; done
bench() { # pid port n args... -> "ops/s p50 p99 us_per_op"
  local pid=$1 port=$2 n=$3; shift 3
  measure_benchmark "$pid" "$n" -p "$port" -P 1 -c 10 "$@"
}
WORKLOADS=(
  "SORT bench:list BY w_* LIMIT 0 10"
  "SORT bench:list BY w_* GET # GET w_* LIMIT 0 100"
  "SORT bench:list LIMIT 0 10"
  "SORT bench:list BY w_* STORE bench:out"
  "SORT bench:list BY w_* ALPHA STORE bench:out"
)
for w in "${WORKLOADS[@]}"; do
  # shellcheck disable=SC2086
  [ "$(redis-cli -p "$PORTA" $w | md5sum)" = "$(redis-cli -p "$PORTB" $w | md5sum)" ] || echo "replies differ: $w" >&2
done
[ "$(redis-cli -p "$PORTA" LRANGE bench:out 0 -1 | md5sum)" = "$(redis-cli -p "$PORTB" LRANGE bench:out 0 -1 | md5sum)" ] \
  || echo "stored lists differ" >&2
echo "| workload | shardis ops/s | redis ops/s | shardis p50/p99 ms | redis p50/p99 ms | shardis CPU µs/op | redis CPU µs/op | CPU ratio shardis/redis |"
echo '|---|---|---|---|---|---|---|---|'
declare -A A B
for _ in $(seq "$ROUNDS"); do
  for i in "${!WORKLOADS[@]}"; do
    # shellcheck disable=SC2086
    A[$i]+="$(bench "$PA" "$PORTA" "$N" ${WORKLOADS[$i]});"
    # shellcheck disable=SC2086
    B[$i]+="$(bench "$PB" "$PORTB" "$N" ${WORKLOADS[$i]});"
  done
done
for i in "${!WORKLOADS[@]}"; do
  IFS=';' read -r -a ra <<<"${A[$i]}"; IFS=';' read -r -a rb <<<"${B[$i]}"
  row "${WORKLOADS[$i]} (10k elements, -P 1)"
done
