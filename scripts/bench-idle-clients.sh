#!/usr/bin/env bash
# Busy clients with and without 1,000 idle ones: redis-benchmark SET/GET at -P 16 on 50
# connections (load on CPU 1), shardis with one shard pinned to CPU 0 (Redis alongside, the
# same way), alternating rounds, medians. The idle connections are held open by a small
# Python process that never sends anything.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh
bench_begin 1000000
ulimit -n 4096
start_pair
idle() { # port -> pid of a process holding 1,000 idle connections
  python3 - "$1" >/dev/null 2>&1 <<'PY' &
import socket, sys, time
conns = [socket.create_connection(("127.0.0.1", int(sys.argv[1]))) for _ in range(1000)]
time.sleep(3600)
PY
  echo $!
}
echo "| workload | shardis ops/s | redis ops/s | shardis p50/p99 ms | redis p50/p99 ms | shardis CPU µs/op | redis CPU µs/op | CPU ratio shardis/redis |"
echo '|---|---|---|---|---|---|---|---|'
declare -A A B
for _ in $(seq "$ROUNDS"); do
  for crowd in alone idle; do
    holders=()
    if [ "$crowd" = idle ]; then holders+=("$(idle "$PORTA")" "$(idle "$PORTB")"); sleep 2; fi
    for t in set get; do
      A[$crowd-$t]+="$(measure_benchmark "$PA" "$N" -p "$PORTA" -P 16 -c 50 -r 1000000 -t "$t");"
      B[$crowd-$t]+="$(measure_benchmark "$PB" "$N" -p "$PORTB" -P 16 -c 50 -r 1000000 -t "$t");"
    done
    [ ${#holders[@]} -gt 0 ] && kill "${holders[@]}" 2>/dev/null; wait "${holders[@]}" 2>/dev/null || true
  done
done
for crowd in alone idle; do
  for t in set get; do
    IFS=';' read -r -a ra <<<"${A[$crowd-$t]}"; IFS=';' read -r -a rb <<<"${B[$crowd-$t]}"
    row "$(echo "$t" | tr a-z A-Z) -P 16, 50 busy clients, $( [ "$crowd" = idle ] && echo "+1,000 idle" || echo "no idle")"
  done
done
