#!/usr/bin/env bash
# tools/fuzz-long.sh [-n RUNS] [-t MAX_SECONDS] [-d BUILD_DIR] [-a] [TARGET...]
#
# The long fuzzing run of issue 9: every libFuzzer target (or the ones named, e.g. `tlv eem`)
# runs until RUNS executions (default 10,000,000) or MAX_SECONDS (default 7200) each, one
# after the other, on a working copy of its seed corpus. Prints one table row per target:
# executions, seconds, executions/s, coverage, findings. Exit status 1 if any target found
# something (the reproducer is kept under BUILD_DIR/fuzz-long/, named in the table). The
# corpus each target grows stays in BUILD_DIR/fuzz-long/TARGET/corpus: running the script
# again continues from it (delete the directory to start from the seeds).
#
# By default it builds BUILD_DIR=build-fuzz-long with clang, libFuzzer and UBSan only
# (-Dfuzz_sanitize=undefined): without ASan a target runs about 3x as many inputs in the same
# time. -a uses ASan + UBSan (BUILD_DIR defaults to build-fuzz then, the tools/test.sh build).
# CI does not run this (tools/test.sh runs every target for FUZZ_SECONDS only).
set -euo pipefail
cd "$(dirname "$0")/.."
runs=10000000 max=7200 dir="" asan=0
while getopts "n:t:d:a" o; do
    case $o in
        n) runs=$OPTARG ;;
        t) max=$OPTARG ;;
        d) dir=$OPTARG ;;
        a) asan=1 ;;
        *) sed -n '2,13p' "$0"; exit 2 ;;
    esac
done
shift $((OPTIND - 1))
if [ -z "$dir" ]; then
    if [ "$asan" = 1 ]; then dir=build-fuzz; else dir=build-fuzz-long; fi
fi
san="undefined"
[ "$asan" = 1 ] && san="address,undefined"
if [ ! -f "$dir/build.ninja" ]; then
    CXX=clang++ meson setup "$dir" -Dfuzz=enabled -Dfuzz_sanitize="$san" -Dtests=enabled >/dev/null
fi
all=$(sed -n "s/^  '\([a-z0-9-]*\)': files('fuzz_.*/\1/p" tests/fuzz/meson.build)
all="$all config debug-request"
# Targets defined outside the fuzz_targets dictionary (their own corpus) are listed by name.
while read -r extra; do
    case " $all " in *" $extra "*) ;; *) all="$all $extra" ;; esac
done < <(sed -n "s/^ *fz_\([a-z0-9_]*\) = executable('fuzz-\([a-z0-9-]*\)'.*/\2/p" tests/fuzz/meson.build)
targets=${*:-$all}
ninja_targets=(tests/fuzz/corpus tests/fuzz/config-corpus)
for t in $targets; do ninja_targets+=("tests/fuzz/fuzz-$t"); done
ninja -C "$dir" "${ninja_targets[@]}" >/dev/null
out="$dir/fuzz-long"
mkdir -p "$out"
seeds_of() {
    case $1 in
        config) echo "$dir/tests/fuzz/config-corpus" ;;
        debug-request) echo "tests/fuzz/corpus-debug-request" ;;
        *) if [ -d "tests/fuzz/corpus-$1" ]; then echo "tests/fuzz/corpus-$1"
           elif [ -d "$dir/tests/fuzz/corpus-$1" ]; then echo "$dir/tests/fuzz/corpus-$1"
           else echo "$dir/tests/fuzz/corpus"; fi ;;
    esac
}
bad=0
printf '%-16s %12s %8s %9s %8s  %s\n' target executions seconds "exec/s" coverage findings
for t in $targets; do
    work="$out/$t"
    # A second run continues from the corpus the previous one grew (add its executions up).
    rm -f "$work/log" "$work"/crash-* "$work"/leak-* "$work"/oom-* "$work"/timeout-* "$work"/slow-unit-*
    mkdir -p "$work/corpus"
    cp -r "$(seeds_of "$t")"/. "$work/corpus/"
    start=$(date +%s)
    set +e
    UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 "$dir/tests/fuzz/fuzz-$t" -runs="$runs" \
        -max_total_time="$max" -print_final_stats=1 -rss_limit_mb=2048 -artifact_prefix="$work/" \
        -close_fd_mask=3 "$work/corpus" >"$work/log" 2>&1
    rc=$?
    set -e
    secs=$(( $(date +%s) - start ))
    execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$work/log" | grep -o '[0-9]*$' || echo 0)
    cov=$(grep -o 'cov: [0-9]*' "$work/log" | tail -1 | grep -o '[0-9]*' || echo '?')
    findings=0
    if [ "$rc" != 0 ]; then
        findings=""
        for f in "$work"/crash-* "$work"/leak-* "$work"/oom-* "$work"/timeout-* "$work"/slow-unit-*; do
            [ -e "$f" ] && findings="$findings$(basename "$f") "
        done
        [ -z "$findings" ] && findings="exit $rc (see $work/log)"
        bad=1
    fi
    printf '%-16s %12s %8s %9s %8s  %s\n' "$t" "$execs" "$secs" "$(( execs / (secs > 0 ? secs : 1) ))" \
        "$cov" "$findings"
done
exit $bad
