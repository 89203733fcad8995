#!/usr/bin/env bash
# Network-path cost per core: PING (inline and RESP) at pipeline 1 and 16, shardis with one shard
# against Debian's redis-server, both pinned to CPU 0, redis-benchmark pinned to CPU 1, measured
# alternately by ../shared/tools/cpu-per-op (throughput, p50/p99, server CPU µs per operation).
# Prints the markdown table that BENCHMARKS.md quotes.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --quiet
TOOL=${CPU_PER_OP:-../shared/tools/cpu-per-op}
exec "$TOOL" \
  -a "$PWD/target/release/shardis-server --port {PORT} --shards 1 --save ''" \
  -b "redis-server --port {PORT} --save '' --appendonly no" \
  --names shardis,redis -t "${TESTS:-ping_inline,ping_mbulk}" -P "${DEPTHS:-1 16}" \
  -n "${N:-200000}" --rounds "${ROUNDS:-3}" "$@"
