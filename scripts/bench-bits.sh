#!/usr/bin/env bash
# Bitmaps per core, the method of ../shared/tools/cpu-per-op: shardis with one shard against
# Debian's redis-server, both pinned to CPU 0, redis-benchmark on CPU 1, alternating rounds
# (A, B, A, B ...), medians. Server CPU comes from /proc/PID/stat. The bitmap is 1 MB
# (`SETBIT bench:bm 8388607 1` first, the rest zeros; counting speed does not depend on them).
#
#   setbit:    -P 16, `SETBIT bench:bm 4194303 <0|1>` (redis-benchmark's __rand_int__ has
#              leading zeros, which both servers refuse as an offset);
#   getbit:    -P 16, `GETBIT bench:bm 1234567`;
#   bitcount:  -P 1, `BITCOUNT bench:bm` (all of the 1 MB), N/100 of them;
#   bitfield:  -P 16, `BITFIELD bench:bm INCRBY u8 #1000 1 GET i16 200`;
#   pfadd:     -P 16, `PFADD bench:hll <rand>` over 1M names (the key turns dense early);
#   pfcount:   -P 1, `PFCOUNT bench:hll bench:hll2` (two keys: a union, never the cache), N/10.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh
cargo build --release --quiet --bin shardis-server
ROUNDS=${ROUNDS:-3}; N=${N:-200000}; C=${CONNS:-50}; ROW_DIGITS=3
work=$(mktemp -d); pids=()
trap 'kill "${pids[@]}" 2>/dev/null; rm -rf "$work"' EXIT
bench() { # pid port n pipeline args... -> "ops/s p50 p99 us_per_op"
  local pid=$1 port=$2 n=$3 p=$4; shift 4
  measure_benchmark "$pid" "$n" -p "$port" -P "$p" -c "$C" "$@"
}
read -r PA PORTA < <(start_pinned "$PWD/target/release/shardis-server --port {PORT} --shards 1 --save ''"); pids+=("$PA")
read -r PB PORTB < <(start_pinned "redis-server --port {PORT} --save '' --appendonly no"); pids+=("$PB")
for port in "$PORTA" "$PORTB"; do redis-cli -p "$port" SETBIT bench:bm 8388607 1 >/dev/null; done
echo "| workload | shardis ops/s | redis ops/s | shardis p50/p99 ms | redis p50/p99 ms | shardis CPU µs/op | redis CPU µs/op | CPU ratio shardis/redis |"
echo '|---|---|---|---|---|---|---|---|'
sa=(); sb=(); ga=(); gb=(); ca=(); cb=(); fa=(); fb=(); pa=(); pb=(); qa=(); qb=()
for _ in $(seq "$ROUNDS"); do
  for side in a b; do
    if [ $side = a ]; then pid=$PA port=$PORTA; else pid=$PB port=$PORTB; fi
    s=$(bench "$pid" "$port" "$N" 16 SETBIT bench:bm 4194303 1)
    g=$(bench "$pid" "$port" "$N" 16 GETBIT bench:bm 1234567)
    c=$(bench "$pid" "$port" $((N / 100)) 1 BITCOUNT bench:bm)
    f=$(bench "$pid" "$port" "$N" 16 BITFIELD bench:bm INCRBY u8 '#1000' 1 GET i16 200)
    h=$(bench "$pid" "$port" "$N" 16 -r 1000000 PFADD bench:hll __rand_int__)
    redis-cli -p "$port" PFADD bench:hll2 a b c >/dev/null
    q=$(bench "$pid" "$port" $((N / 10)) 1 PFCOUNT bench:hll bench:hll2)
    if [ $side = a ]; then sa+=("$s"); ga+=("$g"); ca+=("$c"); fa+=("$f"); pa+=("$h"); qa+=("$q"); else sb+=("$s"); gb+=("$g"); cb+=("$c"); fb+=("$f"); pb+=("$h"); qb+=("$q"); fi
  done
done
ra=("${sa[@]}"); rb=("${sb[@]}"); row "SETBIT, -P 16"
ra=("${ga[@]}"); rb=("${gb[@]}"); row "GETBIT, -P 16"
ra=("${ca[@]}"); rb=("${cb[@]}"); row "BITCOUNT of 1 MB, -P 1"
ra=("${fa[@]}"); rb=("${fb[@]}"); row "BITFIELD INCRBY u8 + GET i16, -P 16"
ra=("${pa[@]}"); rb=("${pb[@]}"); row "PFADD of 1M random names, -P 16"
ra=("${qa[@]}"); rb=("${qb[@]}"); row "PFCOUNT of two keys (dense + sparse), -P 1"
