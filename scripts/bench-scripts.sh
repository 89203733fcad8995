#!/usr/bin/env bash
# Scripts per core, the method of ../shared/tools/cpu-per-op: shardis against Debian's
# redis-server, both pinned to CPU 0, redis-benchmark on CPU 1, alternating rounds (A, B, A,
# B ...), medians; server CPU from /proc/PID/stat.
#
#   one-key:     EVALSHA of GET + INCR + EXPIRE on one key, -P 1 and -P 16, 1 shard;
#   span:        EVALSHA of INCR on 4 declared keys (random: on different shards of 4);
#   undeclared:  EVALSHA of the queue libraries' bookkeeping shape, keys computed from a
#                prefix in ARGV (TIME, ZADD, SET NX, EXPIRE); then the same with the prefix a
#                hash tag, declared as the script's one key (all keys on its shard);
#   fcall:       FCALL of the one-key function (skipped where FUNCTION is missing).
# With SHARDS=4 (default "1 4") the 4 shards share CPU 0, so the 4-shard rows show what the
# coordination costs, not what 4 cores give.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh
cargo build --release --quiet --bin shardis-server
N=${N:-200000}; C=${CONNS:-50}; ROUNDS=${ROUNDS:-3}; R=${R:-100000}; SHARDS_LIST=${SHARDS:-"1 4"}
work=$(mktemp -d); pids=()
trap 'kill "${pids[@]}" 2>/dev/null; rm -rf "$work"' EXIT

ONE='local v = redis.call("GET", KEYS[1]) redis.call("INCR", KEYS[1]) redis.call("EXPIRE", KEYS[1], 100) return v'
SPAN='for i = 1, #KEYS do redis.call("INCR", KEYS[i]) end return #KEYS'
UNDECLARED='local p = ARGV[1] local t = redis.call("TIME") redis.call("ZADD", p .. ":sched", t[1], ARGV[2]) redis.call("SET", p .. ":lock:" .. ARGV[2], "1", "NX") redis.call("EXPIRE", p .. ":meta", 100) return 1'
LIB="#!lua name=benchlib
redis.register_function('onekey', function(keys, args) local v = redis.call('GET', keys[1]) redis.call('INCR', keys[1]) redis.call('EXPIRE', keys[1], 100) return v end)"

measure() { # pid port depth command... -> "ops/s p50 p99 us_per_op"
  local pid=$1 port=$2 depth=$3; shift 3
  local t0 t1 out
  t0=$(cpu_ticks "$pid")
  out=$(taskset -c 1 redis-benchmark -p "$port" -P "$depth" -r "$R" -n "$N" -c "$C" --csv "$@" 2>/dev/null | tail -1)
  t1=$(cpu_ticks "$pid")
  python3 - "$t0" "$t1" "$N" "$out" <<'PY'
import sys, csv, io
t0, t1, n = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
row = next(csv.reader(io.StringIO(sys.argv[4])))
print("%s %s %s %.3f" % (row[1], row[4], row[6], (t1 - t0) / 100 / n * 1e6))
PY
}
both() { # label depth command... (run on A=shardis, B=redis, alternating)
  local label=$1 depth=$2; shift 2
  ra=(); rb=()
  for _ in $(seq "$ROUNDS"); do
    ra+=("$(measure "$PA" "$PORTA" "$depth" "$@")")
    rb+=("$(measure "$PR" "$PORTR" "$depth" "$@")")
  done
  row "$label"
}
load() { # port -> loads the scripts and the library
  redis-cli -p "$1" SCRIPT LOAD "$ONE" >/dev/null
  redis-cli -p "$1" SCRIPT LOAD "$SPAN" >/dev/null
  redis-cli -p "$1" SCRIPT LOAD "$UNDECLARED" >/dev/null
  redis-cli -p "$1" FUNCTION LOAD REPLACE "$LIB" >/dev/null 2>&1 || true
}
sha() { printf '%s' "$1" | sha1sum | cut -d' ' -f1; }

read -r PR PORTR < <(start_pinned "redis-server --port {PORT} --save '' --appendonly no"); pids+=("$PR")
load "$PORTR"
echo "| workload | shardis ops/s | redis ops/s | shardis p50/p99 ms | redis p50/p99 ms | shardis CPU µs/op | redis CPU µs/op | CPU ratio shardis/redis |"
echo '|---|---|---|---|---|---|---|---|'
for SHARDS in $SHARDS_LIST; do
  read -r PA PORTA < <(start_pinned "$PWD/target/release/shardis-server --port {PORT} --shards $SHARDS --save ''"); pids+=("$PA")
  load "$PORTA"
  for d in 1 16; do
    both "EVALSHA GET+INCR+EXPIRE, 1 key, $SHARDS shard(s), -P $d" "$d" EVALSHA "$(sha "$ONE")" 1 'k:__rand_int__'
  done
  both "EVALSHA INCR x4 declared keys, $SHARDS shard(s), -P 16" 16 EVALSHA "$(sha "$SPAN")" 4 'a:__rand_int__' 'b:__rand_int__' 'c:__rand_int__' 'd:__rand_int__'
  both "EVALSHA TIME+ZADD+SET NX+EXPIRE, undeclared keys, $SHARDS shard(s), -P 16" 16 EVALSHA "$(sha "$UNDECLARED")" 0 'q:__rand_int__' 'job:__rand_int__'
  # The same with the prefix a hash tag declared as the one key, as cluster-ready queue libraries
  # write it (BullMQ's `{queue}` prefix): every key is on the declared key's shard. (One queue:
  # redis-benchmark draws each __rand_int__ apart, so a random tag could not match the key.)
  both "EVALSHA same, one queue's keys under its hash tag, $SHARDS shard(s), -P 16" 16 EVALSHA "$(sha "$UNDECLARED")" 1 '{q}' '{q}' 'job:__rand_int__'
  if [ "$(redis-cli -p "$PORTA" FUNCTION LIST LIBRARYNAME benchlib 2>/dev/null | head -c 12)" = "library_name" ]; then
    for d in 1 16; do
      both "FCALL GET+INCR+EXPIRE, 1 key, $SHARDS shard(s), -P $d" "$d" FCALL onekey 1 'k:__rand_int__'
    done
  fi
  kill "$PA"; wait "$PA" 2>/dev/null || true
done
