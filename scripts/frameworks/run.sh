#!/usr/bin/env bash
# Runs real client frameworks against shardis (4 shards) and Debian's redis-server side by side
# and diffs what they print: redis-py (RESP2 and RESP3, plain commands and its scripting surface:
# Lock, register_script, EVAL/EVALSHA in pipelines, FUNCTION/FCALL; its pub/sub helpers
# and keyspace notifications), Django's cache, RQ, Celery,
# Dramatiq and BullMQ (Node). Not part of the CI suite (it installs packages from PyPI into
# .venv-frameworks and from npm into scripts/frameworks/bullmq/node_modules); run it after a
# capability lands. Each run prints "same as redis" or the diff; the exit status is 1 if any
# differs. Arguments, if any, pick the runs whose line contains one of them:
#
#   ./scripts/frameworks/run.sh            # everything
#   ./scripts/frameworks/run.sh bullmq rq  # just those
#
# Two runs were there to see past a capability shardis lacked then, and stay as narrower checks:
# "celery_run.py nopubsub" keeps Celery off PUBLISH/SUBSCRIBE, "bullmq/run.mjs nostreams" turns the
# stream commands in BullMQ's Lua scripts into no-ops.
set -euo pipefail
cd "$(dirname "$0")/../.."
source scripts/lib.sh
cargo build --release --quiet --bin shardis-server
venv=.venv-frameworks
[ -x "$venv/bin/python" ] || python3 -m venv "$venv"
"$venv/bin/pip" install -q redis django rq celery packaging 'dramatiq[redis]'
if command -v npm >/dev/null; then
  (cd scripts/frameworks/bullmq && npm ci --silent --no-audit --no-fund >/dev/null)
fi
work=$(mktemp -d); pids=()
trap 'kill "${pids[@]}" 2>/dev/null; rm -rf "$work"' EXIT
PS=$(free_port); ./target/release/shardis-server --port "$PS" --shards 4 --save '' >"$work/shardis.log" 2>&1 & pids+=($!)
PR=$(free_port); redis-server --port "$PR" --save '' --appendonly no >"$work/redis.log" 2>&1 & pids+=($!)
wait_ready "$PS"; wait_ready "$PR"
export FW_LOG_DIR=$work  # the Celery worker's log goes there
py="$venv/bin/python scripts/frameworks"
runs=(
  "$py/redis_py.py {P} 2" "$py/redis_py.py {P} 3" "$py/django_cache.py {P}"
  "$py/redis_py_scripts.py {P} 2" "$py/redis_py_scripts.py {P} 3"
  "$py/redis_py_pubsub.py {P} 2" "$py/redis_py_pubsub.py {P} 3"
  "$py/rq_jobs.py {P}"
  "$py/celery_run.py {P}" "$py/celery_run.py {P} nopubsub"
  "$py/dramatiq_run.py {P}"
)
command -v node >/dev/null && runs+=("node scripts/frameworks/bullmq/run.mjs {P}" "node scripts/frameworks/bullmq/run.mjs {P} nostreams")
status=0
for run in "${runs[@]}"; do
  if [ $# -gt 0 ]; then
    keep=0; for a in "$@"; do [[ $run == *"$a"* ]] && keep=1; done
    [ $keep = 1 ] || continue
  fi
  name=${run//\{P\}/}; name=${name#"$venv/bin/python "}
  # shellcheck disable=SC2086
  timeout 120 ${run//\{P\}/$PS} >"$work/shardis.out" 2>&1 || true
  # shellcheck disable=SC2086
  timeout 120 ${run//\{P\}/$PR} >"$work/redis.out" 2>&1 || true
  if diff -u "$work/redis.out" "$work/shardis.out" >"$work/diff"; then
    echo "same as redis: $name"
  else
    echo "DIFFERS: $name"; cat "$work/diff"; status=1
  fi
done
if grep -qiE 'panic|error' "$work/shardis.log"; then
  echo "shardis log:"; grep -iE 'panic|error' "$work/shardis.log"; status=1
fi
exit $status
