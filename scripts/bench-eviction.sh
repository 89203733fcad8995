#!/usr/bin/env bash
# Eviction side by side with Debian's redis-server, the same maxmemory and the same trace:
# the hit ratio of a look-aside cache (GET; on a miss, SET) over keys of Zipf popularity
# (exponent ZIPF, default 0.99) with a working set about 3x maxmemory, for allkeys-lru and
# allkeys-lfu. Each server starts fresh, pinned to CPU 0; the client (one connection,
# batches of 100 GETs, then the misses' SETs) on CPU 1. The first fifth of the trace warms
# the cache and is not counted. Prints per policy and server: hit ratio, evicted keys, RSS
# against maxmemory, and the keys and used_memory held at the end.
#   KEYS (default 300000) names, VALUE bytes each (default 200), REQUESTS (default 1000000),
#   MAXMEMORY (default: a third of what the keys take, measured on redis-server), SHARDS
#   (default 1), BIN=path for another shardis build.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh
cargo build --release --quiet --bin shardis-server
KEYS=${KEYS:-300000}; VALUE=${VALUE:-200}; REQUESTS=${REQUESTS:-1000000}; ZIPF=${ZIPF:-0.99}
SHARDS=${SHARDS:-1}; BIN=${BIN:-$PWD/target/release/shardis-server}
work=$(mktemp -d); pids=()
trap 'kill "${pids[@]}" 2>/dev/null; rm -rf "$work"' EXIT
python3 - "$KEYS" "$REQUESTS" "$ZIPF" >"$work/trace" <<'PY'
import bisect, random, sys
n, requests, s = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3])
rng = random.Random(11)
cdf, total = [], 0.0
for rank in range(1, n + 1):
    total += 1.0 / rank ** s
    cdf.append(total)
ids = list(range(n))
rng.shuffle(ids)  # the hot keys land anywhere in the key space (and on any shard)
out = sys.stdout
for _ in range(requests):
    out.write("%d\n" % ids[bisect.bisect_left(cdf, rng.random() * total)])
PY
start() { # command -> "pid port"
  local p; p=$(free_port)
  (cd "$work" && exec taskset -c 0 bash -c "exec ${1//\{PORT\}/$p}") >>"$work/server.log" 2>&1 &
  wait_ready "$p"; echo "$! $p"
}
field() { redis-cli -p "$1" INFO "$2" | tr -d '\r' | awk -F: -v f="$3" '$1 == f { print $2 }'; }
if [ -z "${MAXMEMORY:-}" ]; then
  # What every key takes in redis-server, by filling it without a limit.
  read -r pid port < <(start "redis-server --port {PORT} --save '' --appendonly no")
  before=$(field "$port" memory used_memory)
  python3 - "$port" "$KEYS" "$VALUE" <<'PY'
import socket, sys
port, n, size = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
s = socket.create_connection(("127.0.0.1", port)); v = b"v" * size
for base in range(0, n, 1000):
    s.sendall(b"".join(b"*3\r\n$3\r\nSET\r\n$%d\r\nk:%d\r\n$%d\r\n%s\r\n" % (len(b"k:%d" % i), i, size, v) for i in range(base, min(n, base + 1000))))
    got = b""
    while got.count(b"\r\n") < min(n, base + 1000) - base:
        got += s.recv(1 << 16)
PY
  MAXMEMORY=$(( ( $(field "$port" memory used_memory) - before ) / 3 ))
  kill "$pid"; wait "$pid" 2>/dev/null || true
fi
run() { # label command policy
  local pid port; read -r pid port < <(start "$2 --maxmemory $MAXMEMORY --maxmemory-policy $3")
  pids+=("$pid")
  local hits
  hits=$(taskset -c 1 python3 - "$port" "$VALUE" "$work/trace" <<'PY'
import socket, sys
port, size, trace = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
keys = [int(l) for l in open(trace)]
s = socket.create_connection(("127.0.0.1", port)); v = b"v" * size
def replies(n):
    out, buf = [], b""
    while len(out) < n:
        buf += s.recv(1 << 16)
        while True:
            if buf.startswith(b"$-1\r\n"):
                out.append(None); buf = buf[5:]
            elif buf.startswith(b"$"):
                end = buf.find(b"\r\n")
                if end < 0: break
                ln = int(buf[1:end])
                if len(buf) < end + 2 + ln + 2: break
                out.append(True); buf = buf[end + 4 + ln:]
            elif buf.startswith(b"+") or buf.startswith(b"-"):
                end = buf.find(b"\r\n")
                if end < 0: break
                out.append(True); buf = buf[end + 2:]
            else:
                break
    return out
warm = len(keys) // 5
hits = counted = 0
for at in range(0, len(keys), 100):
    batch = keys[at:at + 100]
    names = [b"k:%d" % k for k in batch]
    s.sendall(b"".join(b"*2\r\n$3\r\nGET\r\n$%d\r\n%s\r\n" % (len(n), n) for n in names))
    got = replies(len(names))
    misses = [n for n, r in zip(names, got) if r is None]
    if at >= warm:
        hits += len(names) - len(misses); counted += len(names)
    if misses:
        s.sendall(b"".join(b"*3\r\n$3\r\nSET\r\n$%d\r\n%s\r\n$%d\r\n%s\r\n" % (len(n), n, size, v) for n in misses))
        replies(len(misses))
print("%.2f" % (100.0 * hits / counted))
PY
)
  local rss; rss=$(field "$port" memory used_memory_rss)
  echo "| $3 | $1 | $hits% | $(field "$port" stats evicted_keys) | $(redis-cli -p "$port" DBSIZE) | $(field "$port" memory used_memory) | $(python3 -c "print('%.2f' % ($rss / $MAXMEMORY))") |"
  kill "$pid"; wait "$pid" 2>/dev/null || true
}
echo "maxmemory: $MAXMEMORY bytes; $KEYS keys of $VALUE bytes, $REQUESTS requests, Zipf $ZIPF"
echo
echo "| policy | server | hit ratio | evicted keys | keys held at the end | used_memory at the end | RSS / maxmemory |"
echo "|---|---|---|---|---|---|---|"
for policy in allkeys-lru allkeys-lfu; do
  run redis "redis-server --port {PORT} --save '' --appendonly no" "$policy"
  run "shardis-$SHARDS" "$BIN --port {PORT} --shards $SHARDS --save ''" "$policy"
done
