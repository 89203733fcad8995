#!/usr/bin/env bash
# Keyspace commands per core: SET/GET/INCR/MSET at pipeline 1 and 16, random keys (-r 1000000),
# shardis with one shard against Debian's redis-server, both pinned to CPU 0, redis-benchmark on
# CPU 1, alternating rounds (../shared/tools/cpu-per-op). Prints the table BENCHMARKS.md quotes.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --quiet
TOOL=${CPU_PER_OP:-../shared/tools/cpu-per-op}
exec "$TOOL" \
  -a "$PWD/target/release/shardis-server --port {PORT} --shards 1 --save ''" \
  -b "redis-server --port {PORT} --save '' --appendonly no" \
  --names shardis,redis -t "${TESTS:-set,get,incr,mset}" -P "${DEPTHS:-1 16}" -r "${KEYSPACE:-1000000}" \
  -n "${N:-200000}" --rounds "${ROUNDS:-3}" "$@"
