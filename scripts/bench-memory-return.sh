#!/usr/bin/env bash
# Does memory go back to the system once the data is gone? Side by side with Debian's
# redis-server, each pinned to CPU 0, the load on CPU 1 (issue 13's trial):
#   1. for LOAD_S seconds (default 15), a mixed load: pipelined SETs of random keys (200K
#      names) with values of 16-4000 bytes and TTLs of 1-20 s;
#   2. the server's RSS right after, then every 10 s while it sits idle (every key has
#      expired 20 s after the load);
#   3. the same load again, FLUSHALL, and RSS at once, 10 s and 30 s later.
# Prints one row per server. SHARDS (default 1) for shardis; BIN=path runs another build.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh
cargo build --release --quiet --bin shardis-server
LOAD_S=${LOAD_S:-15}; SHARDS=${SHARDS:-1}; BIN=${BIN:-$PWD/target/release/shardis-server}
work=$(mktemp -d); pids=()
trap 'kill "${pids[@]}" 2>/dev/null; rm -rf "$work"' EXIT
rss_mb() { awk '/VmRSS/ { printf "%.0f", $2 / 1024 }' "/proc/$1/status"; }
load() { # port
  taskset -c 1 python3 - "$1" "$LOAD_S" <<'PY'
import random, socket, sys, time
port, seconds = int(sys.argv[1]), float(sys.argv[2])
s = socket.create_connection(("127.0.0.1", port))
rng = random.Random(7)
blob = b"v" * 4000
end = time.time() + seconds
while time.time() < end:
    out = []
    for _ in range(100):
        k = b"key:%d" % rng.randrange(200000)
        v = blob[:rng.randint(16, 4000)]
        ttl = b"%d" % rng.randint(1, 20)
        out.append(b"*5\r\n$3\r\nSET\r\n$%d\r\n%s\r\n$%d\r\n%s\r\n$2\r\nEX\r\n$%d\r\n%s\r\n" % (len(k), k, len(v), v, len(ttl), ttl))
    s.sendall(b"".join(out))
    got = b""
    while got.count(b"\r\n") < 100:
        got += s.recv(1 << 16)
PY
}
row() { # label command
  local p pid; p=$(free_port)
  (cd "$work" && exec taskset -c 0 bash -c "exec ${2//\{PORT\}/$p}") >"$work/$1.log" 2>&1 &
  pid=$!; pids+=("$pid"); wait_ready "$p"
  local start; start=$(rss_mb "$pid")
  load "$p"
  local line="| $1 | $start | $(rss_mb "$pid")"
  for _ in 1 2 3 4; do sleep 10; line="$line | $(rss_mb "$pid")"; done
  load "$p"
  redis-cli -p "$p" FLUSHALL >/dev/null
  line="$line | $(rss_mb "$pid")"
  sleep 10; line="$line | $(rss_mb "$pid")"
  sleep 20; line="$line | $(rss_mb "$pid")"
  echo "$line | $(redis-cli -p "$p" DBSIZE) |"
  kill "$pid"; wait "$pid" 2>/dev/null || true
}
echo "| server | RSS MB at start | after the load | idle +10 s | +20 s | +30 s | +40 s | FLUSHALL +0 s | +10 s | +30 s | keys left |"
echo "|---|---|---|---|---|---|---|---|---|---|---|"
row redis "redis-server --port {PORT} --save '' --appendonly no"
row "shardis-$SHARDS" "$BIN --port {PORT} --shards $SHARDS --save ''"
