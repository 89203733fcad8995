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
