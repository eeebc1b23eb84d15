#!/usr/bin/env bash
# bench/run.sh [--quick] [--json FILE]: builds what the benchmarks need (build/, the normal
# gcc build) and runs every benchmark of bench/README.md, printing a table of gateway vs bare
# baseline figures measured in the same run. Root (for pcscd + vpcd in a private namespace)
# adds the PC/SC cycle benchmark and the 10 000-notification soak. Nothing is asserted.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -f build/build.ninja ]; then
    meson configure build -Dbench=true >/dev/null
else
    meson setup build --werror >/dev/null
fi
ninja -C build bench/dmsc-bench gateway/dmsc-gatewayd gateway/dmsc-simcard gateway/dmsc-ctl >/dev/null
exec python3 bench/run.py build "$@"
