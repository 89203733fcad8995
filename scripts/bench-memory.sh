#!/usr/bin/env bash
# Memory per element: RSS and allocator (used_memory) growth after loading one data set through
# redis-cli --pipe, shardis (one shard) and Debian's redis-server, each started fresh and pinned
# to CPU 0, loaded from CPU 1. Data sets (DATASETS, default all):
#   strings   1M `SET key:%012d <32 bytes>`                      (bytes per key)
#   hash      one hash of 1M fields `field:%010d` -> 16 bytes     (bytes per field)
#   set       one set of 1M members `member:%09d`                 (bytes per member)
#   zset      one sorted set of 1M members `member:%09d`, score i (bytes per member)
#   hashes    100k hashes `user:%07d` of 10 fields f0..f9 -> 8 bytes (bytes per hash)
#   list      one list of 1M elements `element:%08d` pushed at the tail (bytes per element)
#   zsets     100k sorted sets `board:%07d` of 10 members `player:%02d`, scores 0..9 (bytes per set)
#   sets      100k sets `tags:%07d` of 10 members `tag:%02d` (bytes per set)
#   stream    one stream of 1M entries `XADD st * user user:%010d amount <i>` (bytes per entry)
# Before the first reading each server answers 8 MB of ECHOs, so that its network buffers
# (shardis's provided receive buffers are 4 MB a shard, touched only when the kernel fills them)
# are resident already and only the data set's own growth is counted.
# Prints one markdown row per data set and server.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh
cargo build --release --quiet
DATASETS=${DATASETS:-strings hash set zset hashes list zsets sets stream}
work=$(mktemp -d); trap 'kill $(jobs -p) 2>/dev/null; rm -rf "$work"' EXIT
generate() { # data set -> RESP on stdout; prints the element count on stderr
  python3 - "$1" <<'PY'
import sys
kind = sys.argv[1]; out = sys.stdout.buffer
def cmd(*args):
    out.write(b"*%d\r\n" % len(args) + b"".join(b"$%d\r\n%s\r\n" % (len(a), a) for a in args))
def batched(key, verb, pairs, n, per=100):
    for start in range(0, n, per):
        args = [verb, key]
        for i in range(start, min(n, start + per)):
            args.extend(pairs(i))
        cmd(*args)
M = 1000000
if kind == "strings":
    for i in range(M):
        cmd(b"SET", b"key:%012d" % i, b"v" * 32)
    n = M
elif kind == "hash":
    batched(b"h", b"HSET", lambda i: (b"field:%010d" % i, b"value:%010d" % i), M); n = M
elif kind == "set":
    batched(b"s", b"SADD", lambda i: (b"member:%09d" % i,), M); n = M
elif kind == "zset":
    batched(b"z", b"ZADD", lambda i: (b"%d" % i, b"member:%09d" % i), M); n = M
elif kind == "list":
    batched(b"l", b"RPUSH", lambda i: (b"element:%08d" % i,), M); n = M
elif kind == "stream":
    for i in range(M):
        cmd(b"XADD", b"st", b"*", b"user", b"user:%010d" % i, b"amount", b"%d" % (i * 7 % 100000))
    n = M
elif kind == "zsets":
    n = 100000
    for i in range(n):
        cmd(b"ZADD", b"board:%07d" % i, *[x for m in range(10) for x in (b"%d" % m, b"player:%02d" % m)])
elif kind == "sets":
    n = 100000
    for i in range(n):
        cmd(b"SADD", b"tags:%07d" % i, *[b"tag:%02d" % m for m in range(10)])
elif kind == "hashes":
    n = 100000
    for i in range(n):
        args = [b"HSET", b"user:%07d" % i]
        for f in range(10):
            args.extend((b"f%d" % f, b"%08d" % (i + f)))
        cmd(*args)
print(n, file=sys.stderr)
PY
}
python3 -c 'import sys; sys.stdout.buffer.write(b"*2\r\n$4\r\nECHO\r\n$1024\r\n" + b"e" * 1024 + b"\r\n")' > "$work/echo1"
for _ in $(seq 8192); do cat "$work/echo1"; done > "$work/warm.resp"
field() { redis-cli -p "$1" INFO memory | tr -d '\r' | awk -F: -v f="$2" '$1==f{print $2}'; }
measure() { # data-set elements name command-with-{PORT}
  local p; p=$(free_port)
  (cd "$work" && exec taskset -c 0 bash -c "exec ${4//\{PORT\}/$p}") >"$work/$3.log" 2>&1 &
  wait_ready "$p"
  local rss0 used0 rss1 used1
  taskset -c 1 redis-cli -p "$p" --pipe < "$work/warm.resp" > /dev/null
  rss0=$(field "$p" used_memory_rss); used0=$(field "$p" used_memory)
  taskset -c 1 redis-cli -p "$p" --pipe < "$work/$1.resp" > /dev/null
  sleep "${SETTLE:-1}"
  rss1=$(field "$p" used_memory_rss); used1=$(field "$p" used_memory)
  echo "| $1 | $3 | $2 | $(( (rss1 - rss0) / $2 )) | $(( (used1 - used0) / $2 )) |"
  redis-cli -p "$p" SHUTDOWN NOSAVE >/dev/null 2>&1 || true
  wait 2>/dev/null || true
}
echo "| data set | server | elements | RSS bytes/element | used_memory bytes/element |"
echo "|---|---|---|---|---|"
for d in $DATASETS; do
  n=$(generate "$d" 2>&1 >"$work/$d.resp")
  measure "$d" "$n" shardis "$PWD/target/release/shardis-server --port {PORT} --shards 1 --save ''"
  measure "$d" "$n" redis "redis-server --port {PORT} --save '' --appendonly no"
done
