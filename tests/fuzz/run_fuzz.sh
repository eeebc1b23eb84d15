#!/usr/bin/env bash
# run_fuzz.sh FUZZER CORPUS_SEED_DIR SECONDS: runs one libFuzzer target for a bounded time on a
# working copy of the seed corpus and prints the executions it made; fails on any finding.
set -euo pipefail
fuzzer=$1 seeds=$2 seconds=$3
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/corpus"
cp "$seeds"/* "$work/corpus/"
log="$work/log"
if ! "$fuzzer" -max_total_time="$seconds" -print_final_stats=1 -artifact_prefix="$work/" \
        -rss_limit_mb=2048 "$work/corpus" >"$log" 2>&1; then
    tail -50 "$log"
    echo "run_fuzz: $(basename "$fuzzer") found a problem"
    exit 1
fi
execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' || echo '?')
echo "run_fuzz: $(basename "$fuzzer"): $execs executions in ${seconds}s, no findings"
