#!/usr/bin/env bash
# What one huge value costs a background save: shardis (1 shard, CPU 0) holding one sorted set
# of ZMEMBERS members (default 2M) or one string of STRING_BYTES bytes (default 300 MB); BGSAVE
# while a client on CPU 1 PINGs every millisecond. Prints the save's length, the peak memory
# growth (PSS, sampled every 10 ms) and the longest PING: a value is encoded whole when the
# walk (or a write) reaches it, and the shard serves nothing meanwhile.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh
cargo build --release --quiet --bin shardis-server
work=$(mktemp -d); trap 'kill $(jobs -p) 2>/dev/null; rm -rf "$work"' EXIT
for kind in zset string; do
  port=$(free_port); mkdir -p "$work/$kind"
  (cd "$work/$kind" && exec taskset -c 0 "$OLDPWD/target/release/shardis-server" --port "$port" --shards 1 \
     --save '' --dir .) >"$work/$kind.log" 2>&1 &
  pid=$!; wait_ready "$port"
  taskset -c 1 python3 - "$kind" "$port" "$pid" "${ZMEMBERS:-2000000}" "${STRING_BYTES:-300000000}" <<'PY'
import socket, subprocess, sys, threading, time
kind, port, pid, members, size = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
def conn():
    s = socket.create_connection(("127.0.0.1", port)); s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1); return s
def resp(args):
    args = [a if isinstance(a, bytes) else str(a).encode() for a in args]
    return b"*%d\r\n" % len(args) + b"".join(b"$%d\r\n%s\r\n" % (len(a), a) for a in args)
def cmd(s, *args):
    s.sendall(resp(args)); return s.recv(1 << 16)
s = conn()
if kind == "zset":
    buf = b"".join(resp([b"ZADD", b"big"] + [x for j in range(i, min(members, i + 1000)) for x in (j, b"member:%d" % j)])
                   for i in range(0, members, 1000))
    subprocess.run(["redis-cli", "-p", str(port), "--pipe"], input=buf, capture_output=True, check=True)
    what = "a sorted set of %d members" % members
else:
    s.sendall(resp([b"SET", b"big", b"x" * size])); reply = s.recv(64); assert reply == b"+OK\r\n", reply
    what = "a string of %d MB" % (size // 1000000)
def pss():
    return int([l for l in open("/proc/%d/smaps_rollup" % pid) if l.startswith("Pss:")][0].split()[1])
lat, stop = [], False
def probe():
    c = conn()
    while not stop:
        t = time.perf_counter(); cmd(c, "PING"); lat.append(time.perf_counter() - t); time.sleep(0.001)
th = threading.Thread(target=probe); th.start(); time.sleep(0.3)
base = peak = pss(); t0 = time.time(); started = cmd(s, "BGSAVE"); assert started.startswith(b"+Background"), started
while b"rdb_bgsave_in_progress:1" in cmd(s, "INFO", "persistence"):
    peak = max(peak, pss()); time.sleep(0.01)
t1 = time.time(); time.sleep(0.2); stop = True; th.join()
print("| %s | %d MB | %.2f s | +%d MB | %.0f ms |" % (what, base // 1024, t1 - t0, (peak - base) // 1024, max(lat) * 1000))
PY
  kill "$pid"; wait "$pid" 2>/dev/null || true
done
