#!/usr/bin/env bash
# tools/hardening.sh [fuzz-long.sh options]: everything of issue 9 (hardening and measurement)
# in one command, as root on Debian 12 after tools/setup-debian.sh:
#   1. tools/test.sh: the -Werror build and every test (fault injection, security, bounded
#      input included), the same tests under ASan + UBSan, every fuzz target for FUZZ_SECONDS;
#   2. bench/run.sh: every benchmark as a ratio to a baseline of the same run (bench/README.md);
#   3. tools/fuzz-long.sh: every fuzz target to 10 M executions (or its -n / -t limits).
# Stops at the first step that fails. CI runs only step 1 (.ci/run); steps 2-3 take hours.
set -euo pipefail
cd "$(dirname "$0")/.."
echo "== 1/3 tests, sanitizers, fault injection, short fuzzing (tools/test.sh) =="
bash tools/test.sh
echo "== 2/3 benchmarks (bench/run.sh) =="
bash bench/run.sh --json bench/latest.json
echo "== 3/3 long fuzzing (tools/fuzz-long.sh $*) =="
bash tools/fuzz-long.sh "$@"
