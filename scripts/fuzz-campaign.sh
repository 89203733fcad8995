#!/usr/bin/env bash
# The fuzzing campaign issue 15 asks for: each target until 10 million executions or 30
# minutes, whichever comes first, one at a time. Needs nightly and `cargo install cargo-fuzz`.
#   scripts/fuzz-campaign.sh [TARGET...]        (default: every target in fuzz/Cargo.toml)
# Prints one summary line per target; crashes land in fuzz/artifacts/TARGET/.
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${RUNS:-10000000}
SECONDS_PER_TARGET=${SECONDS_PER_TARGET:-1800}
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
    mapfile -t targets < <(sed -n 's/^name = "\(.*\)"/\1/p' fuzz/Cargo.toml | grep -v shardis-fuzz)
fi
for t in "${targets[@]}"; do
    # Seed the RDB targets with the files real Redis versions wrote.
    if [ "$t" = rdb_file ] && [ -d ../shared/fixtures/rdb ]; then
        mkdir -p fuzz/corpus/rdb_file && cp -n ../shared/fixtures/rdb/*.rdb fuzz/corpus/rdb_file/ 2>/dev/null || true
    fi
    log=$(mktemp)
    start=$(date +%s)
    status=0
    cargo +nightly fuzz run "$t" -O -- -runs="$RUNS" -max_total_time="$SECONDS_PER_TARGET" \
        -rss_limit_mb=2048 -print_final_stats=1 >"$log" 2>&1 || status=$?
    took=$(( $(date +%s) - start ))
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
    echo "$t: ${execs:-?} executions in ${took}s, exit $status"
    if [ "$status" -ne 0 ]; then
        grep -E "panicked|ERROR|SUMMARY|Test unit written" "$log" | head -5
    fi
    rm -f "$log"
done
