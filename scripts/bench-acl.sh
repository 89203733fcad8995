#!/usr/bin/env bash
# The CPU an ACL check costs, per core, the method of ../shared/tools/cpu-per-op: shardis with
# one shard against Debian's redis-server, both pinned to CPU 0, redis-benchmark on CPU 1,
# alternating rounds, medians. GET and SET on 1M random keys (key:<n>) at -P 16, as the default
# user (nothing to check) and as a user whose key patterns match on the fourth pattern:
#   ACL SETUSER bench on >pw ~a:* ~b:* ~c:* ~key:* +@all
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh
bench_begin 1000000
start_pair
for port in "$PORTA" "$PORTB"; do
  redis-cli -p "$port" ACL SETUSER bench on '>pw' '~a:*' '~b:*' '~c:*' '~key:*' '+@all' >/dev/null
done
echo "| workload | shardis ops/s | redis ops/s | shardis p50/p99 ms | redis p50/p99 ms | shardis CPU µs/op | redis CPU µs/op | CPU ratio shardis/redis |"
echo '|---|---|---|---|---|---|---|---|'
declare -A A B
for _ in $(seq "$ROUNDS"); do
  for who in default bench; do
    auth=(); [ "$who" = bench ] && auth=(--user bench -a pw)
    for t in get set; do
      A[$who-$t]+="$(measure_benchmark "$PA" "$N" -p "$PORTA" -P 16 -c 50 -r 1000000 "${auth[@]}" -t "$t");"
      B[$who-$t]+="$(measure_benchmark "$PB" "$N" -p "$PORTB" -P 16 -c 50 -r 1000000 "${auth[@]}" -t "$t");"
    done
  done
done
for who in default bench; do
  for t in get set; do
    IFS=';' read -r -a ra <<<"${A[$who-$t]}"; IFS=';' read -r -a rb <<<"${B[$who-$t]}"
    row "$(echo "$t" | tr a-z A-Z) -P 16 as $who"
  done
done
