#!/usr/bin/env bash
# Transactions and a job queue per core, the method of ../shared/tools/cpu-per-op: shardis
# against Debian's redis-server, both pinned to CPU 0, the load generator (src/bin/loadgen.rs:
# redis-benchmark cannot send MULTI ... EXEC as one unit, nor block) on CPU 1, alternating rounds
# (A, B, A, B ...), medians. Server CPU comes from /proc/PID/stat.
#
#   tx:    MULTI; SET k1; INCR k2; LPUSH k3; EXEC from 50 connections at -P 1 and -P 16
#          (a transaction counts as one unit; each connection its own keys), shardis with 1
#          shard, and with 4 shards and each connection's three keys on three shards;
#   queue: 50 consumers in BRPOP, 4 producers LPUSHing; messages per second and server CPU per
#          message.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh
cargo build --release --quiet --bin shardis-server --bin loadgen
N=${N:-100000}; C=${CONNS:-50}; ROUNDS=${ROUNDS:-3}; MESSAGES=${MESSAGES:-100000}
LOADGEN="$PWD/target/release/loadgen"
work=$(mktemp -d); pids=()
trap 'kill "${pids[@]}" 2>/dev/null; rm -rf "$work"' EXIT
read -r PR PORTR < <(start_pinned "redis-server --port {PORT} --save '' --appendonly no"); pids+=("$PR")
echo "| workload | shardis units/s | redis units/s | shardis p50/p99 ms | redis p50/p99 ms | shardis CPU µs/unit | redis CPU µs/unit | CPU ratio shardis/redis |"
echo '|---|---|---|---|---|---|---|---|'
for SHARDS in 1 4; do
  read -r PA PORTA < <(start_pinned "$PWD/target/release/shardis-server --port {PORT} --shards $SHARDS --save '' "); pids+=("$PA")
  for d in 1 16; do
    ra=(); rb=()
    for _ in $(seq "$ROUNDS"); do
      ra+=("$(measure_loadgen "$PA" tx "$PORTA" "$C" "$d" "$N" "$SHARDS")")
      rb+=("$(measure_loadgen "$PR" tx "$PORTR" "$C" "$d" "$N" "$SHARDS")")
    done
    row "MULTI SET INCR LPUSH EXEC, $SHARDS shard(s), -P $d"
  done
  ra=(); rb=()
  for _ in $(seq "$ROUNDS"); do
    ra+=("$(measure_loadgen "$PA" queue "$PORTA" 50 4 "$MESSAGES")")
    rb+=("$(measure_loadgen "$PR" queue "$PORTR" 50 4 "$MESSAGES")")
  done
  row "queue: 50 BRPOP consumers, 4 LPUSH producers, $SHARDS shard(s)"
  kill "$PA"; wait "$PA" 2>/dev/null || true
done
