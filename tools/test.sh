#!/usr/bin/env bash
# Builds dmsc-gateway and runs the whole test suite: the normal build (warnings are errors),
# the same tests under ASan+UBSan, and — when clang is there — every libFuzzer target for a
# bounded time. Usage: tools/test.sh [--quick]   (--quick: normal build only)
# Every meson suite runs in both builds, the fault-injection suite `fault` (tests/fault/, real
# pcscd + vpcd, ~1 min) included; the benchmarks (bench/, bench/run.sh) are never run here.
set -euo pipefail
cd "$(dirname "$0")/.."
quick=0
[ "${1:-}" = "--quick" ] && quick=1
jobs=$(nproc 2>/dev/null || echo 2)

setup() {  # setup DIR [meson args...]: configure once, reconfigure when options change
    local dir=$1; shift
    if [ -f "$dir/build.ninja" ]; then
        meson configure "$dir" "$@" >/dev/null
    else
        meson setup "$dir" "$@" >/dev/null
    fi
}

echo "== build (gcc, -Werror) =="
setup build --werror
ninja -C build -j "$jobs"
meson test -C build --print-errorlogs --num-processes "$jobs"
[ "$quick" = 1 ] && exit 0

echo "== ASan + UBSan =="
setup build-asan --werror -Db_sanitize=address,undefined -Db_lundef=false -Dbuildtype=debug
ninja -C build-asan -j "$jobs"
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
    meson test -C build-asan --print-errorlogs --num-processes "$jobs"

if command -v clang++ >/dev/null 2>&1; then
    echo "== libFuzzer targets (clang, ${FUZZ_SECONDS:-20} s each) =="
    if [ ! -f build-fuzz/build.ninja ]; then
        CXX=clang++ meson setup build-fuzz -Dfuzz=enabled -Dfuzz_seconds="${FUZZ_SECONDS:-20}" >/dev/null
    else
        meson configure build-fuzz -Dfuzz_seconds="${FUZZ_SECONDS:-20}" >/dev/null
    fi
    ninja -C build-fuzz -j "$jobs"
    meson test -C build-fuzz --suite fuzz --print-errorlogs --num-processes 1
else
    echo "== clang++ not found: fuzz targets skipped =="
fi
