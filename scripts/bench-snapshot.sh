#!/usr/bin/env bash
# Snapshots side by side with Debian's redis-server: both pinned to CPU 0, load on CPU 1, each
# server started fresh in a scratch directory with 1M keys (`SET key:%010d <32 bytes>`, through
# redis-cli --pipe), named as redis-benchmark -r names them, so the write load overwrites.
#
#   save/load: SAVE's wall time, then a restart from the files and the time until the server
#              answers (shardis with SHARDS shards, default "1 4"; Redis forks nothing here);
#   bgsave:    under a write load (redis-benchmark SET on the same 1M keys, -P 16, 50 conns),
#              ROUNDS (default 5) BGSAVEs 3 s apart, sampling every 50 ms the server's memory
#              (PSS of the server and any child it forked, so pages a fork shares are counted
#              once) and redis-benchmark's throughput (reported every 250 ms); prints the peak
#              memory growth over the level before the first save and, per save, the worst
#              one-second window overlapping it against the median second before it (this VM's
#              throughput drifts by a quarter between runs: the median of rounds is the figure);
#              then, as a control, the same statistic over windows as long, with no save but the
#              same sampling (the worst of a few noisy seconds against a median is below 100% by
#              itself, and the sampling costs CPU too).
#              NO_REDIS=1 skips redis-server; BIN=path runs another shardis-server build.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh
cargo build --release --quiet --bin shardis-server
BIN=${BIN:-$PWD/target/release/shardis-server}; SHARDS_LIST=${SHARDS:-1 4}; KEYS=${KEYS:-1000000}; ROUNDS=${ROUNDS:-5}
work=$(mktemp -d); pids=(); [ -n "${KEEP:-}" ] && echo "work: $work" >&2
trap 'kill "${pids[@]}" 2>/dev/null; [ -n "${KEEP:-}" ] || rm -rf "$work"' EXIT
python3 - "$KEYS" >"$work/load.resp" <<'PY'
import sys
out = sys.stdout.buffer; n = int(sys.argv[1]); v = b"v" * 32
for i in range(n):
    k = b"key:%012d" % i
    out.write(b"*3\r\n$3\r\nSET\r\n$%d\r\n%s\r\n$32\r\n%s\r\n" % (len(k), k, v))
PY
start_in() { # dir command -> "pid port"
  local p; p=$(free_port)
  (cd "$1" && exec taskset -c 0 bash -c "exec ${2//\{PORT\}/$p}") >"$1/server.log" 2>&1 &
  wait_ready "$p"; echo "$! $p"
}
bench_server() { # label command
  local dir="$work/$1"; mkdir -p "$dir"
  read -r pid port < <(start_in "$dir" "$2"); pids+=("$pid")
  taskset -c 1 redis-cli -p "$port" --pipe <"$work/load.resp" >/dev/null
  local t0 t1; t0=$(date +%s.%N); redis-cli -p "$port" SAVE >/dev/null; t1=$(date +%s.%N)
  local save_s; save_s=$(python3 -c "print('%.2f' % ($t1 - $t0))")
  kill "$pid"; wait "$pid" 2>/dev/null || true
  t0=$(date +%s.%N); read -r pid port < <(start_in "$dir" "$2")
  until [ "$(redis-cli -p "$port" PING 2>/dev/null)" = "PONG" ]; do sleep 0.01; done  # Redis answers -LOADING first
  t1=$(date +%s.%N); pids+=("$pid")
  local load_s; load_s=$(python3 -c "print('%.2f' % ($t1 - $t0))")
  [ "$(redis-cli -p "$port" DBSIZE)" = "$KEYS" ] || { echo "$1: reload lost keys" >&2; exit 1; }
  # BGSAVE under load.
  (taskset -c 1 redis-benchmark -p "$port" -t set -r "$KEYS" -d 32 -P 16 -c 50 -n 100000000 2>&1 \
     | python3 -u -c '
import sys, time, re
buf = b""
while True:
    chunk = sys.stdin.buffer.read1(4096)
    if not chunk:
        break
    buf += chunk
    *lines, buf = re.split(rb"[\r\n]", buf)
    for line in lines:
        m = re.search(rb"rps=([0-9.]+)", line)
        if m:
            print("%.3f %s" % (time.time(), m.group(1).decode()), flush=True)
' >"$dir/rps.log") & local bench=$!
  sleep 3
  # One sampler, pinned to CPU 1 with the load (forking redis-cli and awk every 50 ms took
  # CPU 0 from the server too): ROUNDS BGSAVEs, then the control windows.
  taskset -c 1 python3 - "$port" "$pid" "$ROUNDS" "$dir" <<'PY'
import os, socket, sys, time
port, pid, rounds, out = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
s = socket.create_connection(("127.0.0.1", port))
def cmd(*args):
    s.sendall(b"*%d\r\n" % len(args) + b"".join(b"$%d\r\n%s\r\n" % (len(a), a) for a in args))
    data = s.recv(1 << 16)
    while b"\r\n" not in data:
        data += s.recv(1 << 16)
    if data.startswith(b"$"):
        head = data.index(b"\r\n") + 2
        while len(data) < head + int(data[1:head - 2]) + 2:
            data += s.recv(1 << 16)
    return data
def pss():
    total = 0
    for p in [pid] + [int(c) for c in os.popen("pgrep -P %d" % pid).read().split()]:
        try:
            total += int([l for l in open("/proc/%d/smaps_rollup" % p) if l.startswith("Pss:")][0].split()[1])
        except OSError:
            pass
    return total
def sample(until_done, length=None):
    global peak
    t0 = time.time()
    while True:
        saving = b"rdb_bgsave_in_progress:1" in cmd(b"INFO", b"persistence")
        peak = max(peak, pss())
        if (until_done and not saving and time.time() - t0 > 0.05) or (length and time.time() - t0 >= length):
            return t0, time.time()
        time.sleep(0.05)
base = peak = pss()
windows = []
for _ in range(rounds):
    assert cmd(b"BGSAVE").startswith(b"+Background")
    windows.append(sample(True))
    time.sleep(3)
nulls = []
for t0, t1 in windows:
    nulls.append(sample(False, t1 - t0))
    time.sleep(3)
open(out + "/windows", "w").write("".join("%f %f\n" % w for w in windows))
open(out + "/nulls", "w").write("".join("%f %f\n" % w for w in nulls))
open(out + "/memory", "w").write("%d %d\n" % (base, peak))
PY
  local base peak; read -r base peak <"$dir/memory"
  kill "$bench" 2>/dev/null; pkill -f "redis-benchmark -p $port" 2>/dev/null || true; wait "$bench" 2>/dev/null || true
  python3 - "$1" "$save_s" "$load_s" "$base" "$peak" "$dir/windows" "$dir/nulls" "$dir/rps.log" <<'PY'
import sys, statistics
label, save_s, load_s, base, peak, windows, nulls, log = sys.argv[1:]
base, peak = int(base), int(peak)
rows = [(float(t), float(r)) for t, r in (l.split() for l in open(log) if len(l.split()) == 2)]
# redis-benchmark reports every 250 ms; a second is four reports in a row. Each save's worst
# second is the worst such window that overlaps it, against the median second in the 2.5 s
# before it.
seconds = [(rows[i][0], rows[i + 3][0], sum(r for _, r in rows[i:i + 4]) / 4) for i in range(len(rows) - 3)]
def rounds(path):
    ratios, normals = [], []
    for line in open(path):
        t0, t1 = map(float, line.split())
        before = [r for start, end, r in seconds if t0 - 2.5 <= start and end < t0]
        during = [r for start, end, r in seconds if end > t0 and start - 0.25 < t1]
        if before and during:
            normals.append(statistics.median(before))
            ratios.append(100.0 * min(during) / normals[-1])
    return ratios, normals
ratios, normals = rounds(windows)
control, _ = rounds(nulls)
print("| %s | %s | %s | %.0f MB | +%.1f%% | %.0f | %.0f%% (%s) | %.0f%% |" % (
    label, save_s, load_s, base / 1024, 100.0 * (peak - base) / base, statistics.median(normals),
    statistics.median(ratios), ", ".join("%.0f" % r for r in ratios), statistics.median(control)))
PY
}
echo "| server | SAVE s | restart s | memory before BGSAVE | peak growth during BGSAVE | SET/s before (median second) | worst second during BGSAVE (median of rounds; each round) | the same without a save (median) |"
echo '|---|---|---|---|---|---|---|---|'
[ -n "${NO_REDIS:-}" ] || bench_server redis "redis-server --port {PORT} --save '' --appendonly no --dir ."
for n in $SHARDS_LIST; do
  bench_server "shardis-$n" "$BIN --port {PORT} --shards $n --save '' --dir ."
done
