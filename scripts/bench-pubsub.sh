#!/usr/bin/env bash
# Pub/Sub per core, the method of ../shared/tools/cpu-per-op: shardis against Debian's
# redis-server, both pinned to CPU 0, the load generator on CPU 1, alternating rounds (A, B, A,
# B ...), medians. Server CPU comes from /proc/PID/stat.
#
#   fan-out: 100 subscribers (the kernel spreads them over shardis's shards), one publisher
#            pipelining PUBLISH 16 deep (src/bin/loadgen.rs `pubsub`); a unit is one delivered
#            message, so the CPU column is server CPU per delivered message; 1 and 4 shards;
#   nobody:  PUBLISH to channels with no subscriber, redis-benchmark -P 16: CPU per PUBLISH;
#   tracked: GET of random keys (100k) from 50 connections at -P 16, with and without CLIENT
#            TRACKING ON on every connection (`loadgen tracked`): what tracking costs a read.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh
cargo build --release --quiet --bin shardis-server --bin loadgen
ROUNDS=${ROUNDS:-3}; MESSAGES=${MESSAGES:-20000}; SUBS=${SUBS:-100}; N=${N:-1000000}; GETS=${GETS:-1000000}
LOADGEN="$PWD/target/release/loadgen"; ROW_DIGITS=3
work=$(mktemp -d); pids=()
trap 'kill "${pids[@]}" 2>/dev/null; rm -rf "$work"' EXIT
bench() { # pid port -> "ops/s p50 p99 us_per_op" for PUBLISH with nobody listening
  measure_benchmark "$1" "$N" -p "$2" -P 16 -r 100000 -c 50 PUBLISH 'nobody:__rand_int__' hello
}
read -r PR PORTR < <(start_pinned "redis-server --port {PORT} --save '' --appendonly no"); pids+=("$PR")
echo "| workload | shardis units/s | redis units/s | shardis p50/p99 ms | redis p50/p99 ms | shardis CPU µs/unit | redis CPU µs/unit | CPU ratio shardis/redis |"
echo '|---|---|---|---|---|---|---|---|'
for SHARDS in 1 4; do
  read -r PA PORTA < <(start_pinned "$PWD/target/release/shardis-server --port {PORT} --shards $SHARDS --save ''"); pids+=("$PA")
  ra=(); rb=()
  for _ in $(seq "$ROUNDS"); do
    ra+=("$(measure_loadgen "$PA" pubsub "$PORTA" "$SUBS" "$MESSAGES" 16)")
    rb+=("$(measure_loadgen "$PR" pubsub "$PORTR" "$SUBS" "$MESSAGES" 16)")
  done
  row "fan-out: 1 publisher -P 16, $SUBS subscribers, per delivered message, $SHARDS shard(s)"
  ra=(); rb=()
  for _ in $(seq "$ROUNDS"); do
    ra+=("$(bench "$PA" "$PORTA")")
    rb+=("$(bench "$PR" "$PORTR")")
  done
  row "PUBLISH to a channel nobody subscribes to, -P 16, $SHARDS shard(s)"
  for track in 0 1; do
    ra=(); rb=()
    for _ in $(seq "$ROUNDS"); do
      ra+=("$(measure_loadgen "$PA" tracked "$PORTA" 50 "$GETS" 16 "$track")")
      rb+=("$(measure_loadgen "$PR" tracked "$PORTR" 50 "$GETS" 16 "$track")")
    done
    row "GET -P 16, CLIENT TRACKING $([ "$track" = 1 ] && echo ON || echo off), $SHARDS shard(s)"
  done
  kill "$PA"; wait "$PA" 2>/dev/null || true
done
