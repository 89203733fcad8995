# Helpers the benchmark scripts share (sourced, not run).

# A TCP port nobody listens on right now.
free_port() { python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])'; }

# Waits (up to 10 s) until something accepts connections on 127.0.0.1:$1.
wait_ready() {
  for _ in $(seq 100); do
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
    sleep 0.1
  done
  return 1
}

# CPU time (user + system, all threads) of process $1, in clock ticks.
cpu_ticks() { awk '{print $14+$15}' "/proc/$1/stat"; }

# Starts server command $1 (`{PORT}` replaced by a free port) pinned to CPU 0, in "$work" (set
# by the caller), logging to "$work/PORT.log"; prints "pid port" once it accepts connections.
start_pinned() {
  local p; p=$(free_port)
  (cd "$work" && exec taskset -c 0 bash -c "exec ${1//\{PORT\}/$p}") >"$work/$p.log" 2>&1 &
  wait_ready "$p"
  echo "$! $p"
}

# Runs "$LOADGEN" (src/bin/loadgen.rs, set by the caller) with the arguments after $1, pinned to
# CPU 1, measuring the CPU of server process $1; prints "units/s p50 p99 server-us-per-unit".
measure_loadgen() { # pid loadgen-args...
  local pid=$1; shift
  local t0 t1 out
  t0=$(cpu_ticks "$pid")
  out=$(taskset -c 1 "$LOADGEN" "$@")
  t1=$(cpu_ticks "$pid")
  python3 - "$t0" "$t1" "$out" <<'PY'
import sys
t0, t1 = int(sys.argv[1]), int(sys.argv[2])
units, secs, p50, p99 = sys.argv[3].split()
print("%.0f %s %s %.3f" % (int(units) / float(secs), p50, p99, (t1 - t0) / 100 / int(units) * 1e6))
PY
}

# Prints a BENCHMARKS.md table row labelled $1 from the rounds in the arrays ra (shardis) and rb
# (redis), medians; CPU columns with ROW_DIGITS decimals (default 2).
row() { # label
  python3 - "$1" "${ROW_DIGITS:-2}" "${ra[@]}" -- "${rb[@]}" <<'PY'
import sys, statistics
label, d = sys.argv[1], int(sys.argv[2]); rest = sys.argv[3:]; i = rest.index("--")
a = [x.split() for x in rest[:i]]; b = [x.split() for x in rest[i + 1:]]
m = lambda rows, k: statistics.median(float(r[k]) for r in rows)
cpu = "%%.%df" % d
print(("| %s | %.0f | %.0f | %.3f/%.3f | %.3f/%.3f | " + cpu + " | " + cpu + " | %.2fx |") % (label, m(a, 0), m(b, 0), m(a, 1), m(a, 2), m(b, 1), m(b, 2), m(a, 3), m(b, 3), m(a, 3) / m(b, 3)))
PY
}

# Runs redis-benchmark (pinned to CPU 1) with -n $2 and the arguments after $2 (-p, -P, -c,
# the command...), measuring the CPU of server process $1; prints "ops/s p50 p99 us-per-op".
measure_benchmark() { # pid n redis-benchmark-args...
  local pid=$1 n=$2 t0 t1 out; shift 2
  t0=$(cpu_ticks "$pid")
  out=$(taskset -c 1 redis-benchmark -n "$n" --csv "$@" 2>/dev/null | tail -1)
  t1=$(cpu_ticks "$pid")
  python3 - "$t0" "$t1" "$n" "$out" <<'PY'
import sys, csv, io
t0, t1, n = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
row = next(csv.reader(io.StringIO(sys.argv[4])))
print("%s %s %s %.3f" % (row[1], row[4], row[6], (t1 - t0) / 100 / n * 1e6))
PY
}

# The start of a benchmark script: a release build, ROUNDS (default 3) and N (default $1), a
# work directory, and a trap that stops the processes in `pids` and removes the directory.
bench_begin() {
  cargo build --release --quiet --bin shardis-server
  ROUNDS=${ROUNDS:-3}; N=${N:-$1}; ROW_DIGITS=3
  work=$(mktemp -d); pids=()
  trap 'kill "${pids[@]}" 2>/dev/null; rm -rf "$work"' EXIT
}

# shardis with one shard and Debian's redis-server, each pinned as start_pinned pins it:
# sets PA PORTA (shardis) and PB PORTB (redis), and adds both to `pids`.
start_pair() {
  read -r PA PORTA < <(start_pinned "$PWD/target/release/shardis-server --port {PORT} --shards 1 --save ''"); pids+=("$PA")
  read -r PB PORTB < <(start_pinned "redis-server --port {PORT} --save '' --appendonly no"); pids+=("$PB")
}
