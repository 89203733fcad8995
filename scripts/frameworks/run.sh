#!/usr/bin/env bash
# Runs real client frameworks against shardis (4 shards) and Debian's redis-server side by side
# and diffs what they print: redis-py (RESP2 and RESP3) and Django's cache. Not part of the CI
# suite (it installs packages from PyPI into .venv-frameworks); run it after a capability lands.
#
#   ./scripts/frameworks/run.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
source scripts/lib.sh
cargo build --release --quiet --bin shardis-server
venv=.venv-frameworks
[ -x "$venv/bin/python" ] || python3 -m venv "$venv"
"$venv/bin/pip" install -q redis django
work=$(mktemp -d); pids=()
trap 'kill "${pids[@]}" 2>/dev/null; rm -rf "$work"' EXIT
PS=$(free_port); ./target/release/shardis-server --port "$PS" --shards 4 >"$work/shardis.log" 2>&1 & pids+=($!)
PR=$(free_port); redis-server --port "$PR" --save '' --appendonly no >"$work/redis.log" 2>&1 & pids+=($!)
wait_ready "$PS"; wait_ready "$PR"
status=0
for run in "redis_py.py {P} 2" "redis_py.py {P} 3" "django_cache.py {P}"; do
  # shellcheck disable=SC2086
  "$venv/bin/python" scripts/frameworks/${run//\{P\}/$PS} >"$work/shardis.out" 2>&1 || true
  # shellcheck disable=SC2086
  "$venv/bin/python" scripts/frameworks/${run//\{P\}/$PR} >"$work/redis.out" 2>&1 || true
  if diff -u "$work/redis.out" "$work/shardis.out" >"$work/diff"; then
    echo "same as redis: ${run//\{P\}/}"
  else
    echo "DIFFERS: ${run//\{P\}/}"; cat "$work/diff"; status=1
  fi
done
exit $status
