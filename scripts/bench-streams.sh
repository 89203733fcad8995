#!/usr/bin/env bash
# Streams per core, the method of ../shared/tools/cpu-per-op: shardis with one shard against
# Debian's redis-server, both pinned to CPU 0, the load generators on CPU 1, alternating rounds
# (A, B, A, B ...), medians. Server CPU comes from /proc/PID/stat.
#
#   xadd:      redis-benchmark -P 16, 50 connections, `XADD bench:stream * f1 <rand> f2 <rand>`;
#   xrange_10: redis-benchmark -P 16, `XRANGE bench:stream - + COUNT 10` over what XADD built;
#   group:     50 consumers of one group looping XREADGROUP COUNT 10 + XACK of what they got
#              until the stream is read (src/bin/loadgen.rs `group`); a unit is one pair.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh
cargo build --release --quiet --bin shardis-server --bin loadgen
ROUNDS=${ROUNDS:-3}; N=${N:-200000}; C=${CONNS:-50}
LOADGEN="$PWD/target/release/loadgen"; ROW_DIGITS=3
work=$(mktemp -d); pids=()
trap 'kill "${pids[@]}" 2>/dev/null; rm -rf "$work"' EXIT
bench() { # pid port args... -> "ops/s p50 p99 us_per_op"
  local pid=$1 port=$2; shift 2
  measure_benchmark "$pid" "$N" -p "$port" -P 16 -r 1000000 -c "$C" "$@"
}
read -r PA PORTA < <(start_pinned "$PWD/target/release/shardis-server --port {PORT} --shards 1 --save ''"); pids+=("$PA")
read -r PB PORTB < <(start_pinned "redis-server --port {PORT} --save '' --appendonly no"); pids+=("$PB")
echo "| workload | shardis units/s | redis units/s | shardis p50/p99 ms | redis p50/p99 ms | shardis CPU µs/unit | redis CPU µs/unit | CPU ratio shardis/redis |"
echo '|---|---|---|---|---|---|---|---|'
xa=(); xb=(); ra=(); rb=(); ga=(); gb=()
for _ in $(seq "$ROUNDS"); do
  for side in a b; do
    if [ $side = a ]; then pid=$PA port=$PORTA; else pid=$PB port=$PORTB; fi
    redis-cli -p "$port" DEL bench:stream >/dev/null
    x=$(bench "$pid" "$port" XADD bench:stream '*' f1 __rand_int__ f2 __rand_int__)
    r=$(bench "$pid" "$port" XRANGE bench:stream - + COUNT 10)
    redis-cli -p "$port" XGROUP CREATE bench:stream g 0 >/dev/null
    g=$(measure_loadgen "$pid" group "$port" "$C" 10)
    if [ $side = a ]; then xa+=("$x"); ra+=("$r"); ga+=("$g"); else xb+=("$x"); rb+=("$r"); gb+=("$g"); fi
  done
done
ra_=("${ra[@]}"); rb_=("${rb[@]}")
ra=("${xa[@]}"); rb=("${xb[@]}"); row "XADD * (2 fields), -P 16, per XADD"
ra=("${ra_[@]}"); rb=("${rb_[@]}"); row "XRANGE - + COUNT 10, -P 16, per XRANGE"
ra=("${ga[@]}"); rb=("${gb[@]}"); row "XREADGROUP COUNT 10 + XACK of the 10, $C consumers, per pair"
