#!/usr/bin/env bash
# Memory per key: RSS growth after 1M SETs of 16-byte keys ("key:%012d") and 32-byte values,
# shardis (one shard) and Debian's redis-server, each started fresh and pinned to CPU 0, loaded
# with redis-cli --pipe from CPU 1. Prints bytes per key from RSS and from the allocator
# (used_memory), for both.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --quiet
KEYS=${KEYS:-1000000}
work=$(mktemp -d); trap 'kill $(jobs -p) 2>/dev/null; rm -rf "$work"' EXIT
python3 - "$KEYS" > "$work/load.resp" <<'PY'
import sys
n = int(sys.argv[1]); value = b"v" * 32; out = sys.stdout.buffer
for i in range(n):
    key = b"key:%012d" % i
    out.write(b"*3\r\n$3\r\nSET\r\n$16\r\n" + key + b"\r\n$32\r\n" + value + b"\r\n")
PY
port() { python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])'; }
field() { redis-cli -p "$1" INFO memory | tr -d '\r' | awk -F: -v f="$2" '$1==f{print $2}'; }
measure() { # name command-with-{PORT}
  local p; p=$(port)
  (cd "$work" && exec taskset -c 0 bash -c "exec ${2//\{PORT\}/$p}") >"$work/$1.log" 2>&1 &
  for _ in $(seq 100); do redis-cli -p "$p" PING 2>/dev/null | grep -q PONG && break; sleep 0.1; done
  local rss0 used0 rss1 used1
  rss0=$(field "$p" used_memory_rss); used0=$(field "$p" used_memory)
  taskset -c 1 redis-cli -p "$p" --pipe < "$work/load.resp" > /dev/null
  sleep 1
  rss1=$(field "$p" used_memory_rss); used1=$(field "$p" used_memory)
  echo "| $1 | $(redis-cli -p "$p" DBSIZE) | $(( (rss1 - rss0) / KEYS )) | $(( (used1 - used0) / KEYS )) |"
  redis-cli -p "$p" SHUTDOWN NOSAVE >/dev/null 2>&1 || true
  wait 2>/dev/null || true
}
echo "| server | keys | RSS bytes/key | used_memory bytes/key |"
echo "|---|---|---|---|"
measure shardis "$PWD/target/release/shardis-server --port {PORT} --shards 1 --save ''"
measure redis "redis-server --port {PORT} --save '' --appendonly no"
